//! Exact resume: a run stopped after 10 steps, saved (model, optimizer, schedule) and resumed
//! from the files in fresh objects gives bit-identical parameters to 20 uninterrupted steps.

use tapegrad::optim::{CosineAnnealingLr, LrScheduler};
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn model() -> nn::Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(7);
    nn::Sequential::new()
        .add(nn::Linear::new(4, 8, &mut rng))
        .add(nn::Tanh)
        .add(nn::Linear::new(8, 2, &mut rng))
}

fn data() -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(8);
    (
        Tensor::randn(&[16, 4], &mut rng),
        Tensor::randn(&[16, 2], &mut rng),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tapegrad_resume_{}_{name}", std::process::id()))
}

/// Trains `steps` steps from the state in the files (if any), then saves everything.
fn run<O: Optimizer>(
    make_opt: &dyn Fn(Vec<Tensor<f32>>) -> O,
    with_schedule: bool,
    tag: &str,
    resume: bool,
    steps: usize,
) -> Vec<f32> {
    let m = model();
    let mut opt = make_opt(m.parameters());
    let mut sched = CosineAnnealingLr::new(&opt, 20, 0.001);
    let (mfile, ofile, sfile) = (
        temp(&format!("{tag}.m")),
        temp(&format!("{tag}.o")),
        temp(&format!("{tag}.s")),
    );
    if resume {
        m.load_safetensors(&mfile).unwrap();
        opt.load_safetensors(&ofile).unwrap();
        sched.load_safetensors(&sfile).unwrap();
    }
    let (x, y) = data();
    for _ in 0..steps {
        opt.zero_grad();
        loss::mse(&m.forward(&x), &y).backward();
        opt.step();
        if with_schedule {
            sched.step(&mut opt);
        }
    }
    m.save_safetensors(&mfile).unwrap();
    opt.save_safetensors(&ofile).unwrap();
    sched.save_safetensors(&sfile).unwrap();
    m.parameters().iter().flat_map(|p| p.to_vec()).collect()
}

fn check<O: Optimizer>(tag: &str, with_schedule: bool, make: &dyn Fn(Vec<Tensor<f32>>) -> O) {
    let straight = run(make, with_schedule, &format!("{tag}_a"), false, 20);
    run(make, with_schedule, &format!("{tag}_b"), false, 10);
    let resumed = run(make, with_schedule, &format!("{tag}_b"), true, 10);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&straight),
        bits(&resumed),
        "{tag}: resumed run differs"
    );
    // Without the optimizer's state the run would differ: the test can fail.
    let fresh = {
        run(make, with_schedule, &format!("{tag}_c"), false, 10);
        std::fs::remove_file(temp(&format!("{tag}_c.o"))).ok();
        let m = model();
        m.load_safetensors(temp(&format!("{tag}_c.m"))).unwrap();
        let mut opt = make(m.parameters());
        let (x, y) = data();
        for _ in 0..10 {
            opt.zero_grad();
            loss::mse(&m.forward(&x), &y).backward();
            opt.step();
        }
        m.parameters()
            .iter()
            .flat_map(|p| p.to_vec())
            .collect::<Vec<f32>>()
    };
    assert_ne!(
        bits(&straight),
        bits(&fresh),
        "{tag}: a fresh optimizer should differ"
    );
    for suffix in ["a.m", "a.o", "a.s", "b.m", "b.o", "b.s", "c.m", "c.s"] {
        std::fs::remove_file(temp(&format!("{tag}_{suffix}"))).ok();
    }
}

#[test]
fn adam_resumes_bit_for_bit() {
    check("adam", false, &|p| optim::Adam::new(p, 0.01));
}

#[test]
fn adamw_with_a_cosine_schedule_resumes_bit_for_bit() {
    check("adamw", true, &|p| {
        optim::AdamW::new(p, 0.01).weight_decay(0.05)
    });
}

#[test]
fn sgd_with_momentum_resumes_bit_for_bit() {
    check("sgd", false, &|p| optim::Sgd::new(p, 0.05).momentum(0.9));
}

#[test]
fn nadam_and_adagrad_resume_bit_for_bit() {
    check("nadam", false, &|p| optim::NAdam::new(p, 0.01));
    check("adagrad", false, &|p| optim::Adagrad::new(p, 0.05));
}

#[test]
fn a_state_of_another_optimizer_is_an_error() {
    let m = model();
    let adam = optim::Adam::new(m.parameters(), 0.01);
    let mut sgd = optim::Sgd::new(m.parameters(), 0.01);
    let err = sgd.load_state_dict(&adam.state_dict()).unwrap_err();
    assert!(err.to_string().contains("another optimizer type"), "{err}");
    let mut small = optim::Adam::new(m.parameters()[..1].to_vec(), 0.01);
    let err = small.load_state_dict(&adam.state_dict()).unwrap_err();
    assert!(err.to_string().contains("4 parameters"), "{err}");
}

#[test]
fn a_one_cycle_schedule_resumes_with_its_cycled_momentum_bit_for_bit() {
    use tapegrad::optim::{OneCycleLr, Sgd};
    let (x, y) = data();
    let train = |m: &nn::Sequential<f32>, opt: &mut Sgd<f32>, s: &mut OneCycleLr, steps| {
        for _ in 0..steps {
            opt.zero_grad();
            loss::mse(&m.forward(&x), &y).backward();
            opt.step();
            s.step(opt);
        }
    };
    let fresh = || {
        let m = model();
        let mut opt = Sgd::new(m.parameters(), 0.1);
        let s = OneCycleLr::new(&opt, 0.1, 20);
        opt.set_lr(s.lr());
        (m, opt, s)
    };
    let bits = |m: &nn::Sequential<f32>| -> Vec<u32> {
        let params = m.parameters();
        params
            .iter()
            .flat_map(|p| p.to_vec())
            .map(f32::to_bits)
            .collect()
    };
    let (m, mut opt, mut s) = fresh();
    train(&m, &mut opt, &mut s, 20);
    let straight = bits(&m);

    let (m, mut opt, mut s) = fresh();
    train(&m, &mut opt, &mut s, 10);
    let files = [temp("onecycle.m"), temp("onecycle.o"), temp("onecycle.s")];
    m.save_safetensors(&files[0]).unwrap();
    opt.save_safetensors(&files[1]).unwrap();
    s.save_safetensors(&files[2]).unwrap();
    // Fresh objects: the new schedule sets the momentum back to 0.95 when made; loading its
    // state puts the cycled value back.
    let (m, mut opt, mut s) = fresh();
    m.load_safetensors(&files[0]).unwrap();
    opt.load_safetensors(&files[1]).unwrap();
    s.load_safetensors(&files[2]).unwrap();
    assert_eq!(opt.momentum_handle().unwrap().get(), s.momentum());
    assert!(s.momentum() < 0.95);
    train(&m, &mut opt, &mut s, 10);
    assert_eq!(straight, bits(&m), "the resumed one-cycle run differs");
    for f in files {
        std::fs::remove_file(f).ok();
    }
}
