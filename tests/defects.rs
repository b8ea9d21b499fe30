//! Regression tests for the defects found by trying bad inputs as a user would (core v2,
//! item 6): each one used to panic inside the crate, abort, hang or silently go wrong.

use crate::common::panic_location;
use tapegrad::Error;
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn rng() -> StdRng {
    StdRng::seed_from_u64(0)
}

#[test]
fn backward_over_empty_batches_gives_zero_gradients() {
    // Linear on a [0, 4] batch: PyTorch gives zero gradients.
    let layer = nn::Linear::<f64>::new(4, 3, &mut rng());
    let y = layer.forward(&Tensor::zeros(&[0, 4]));
    assert_eq!(y.shape(), &[0, 3]);
    y.sum().backward();
    for p in layer.parameters() {
        let g = p.grad().unwrap();
        assert_eq!(g.shape(), p.shape());
        assert!(g.to_vec().iter().all(|&v| v == 0.0));
    }
    // [0, 3] + [3]
    let b = Tensor::<f64>::ones(&[3]).requires_grad();
    (Tensor::zeros(&[0, 3]) + &b).sum().backward();
    assert_eq!(b.grad().unwrap().to_vec(), [0.0; 3]);
    // Batched matmul with an empty batch.
    let w = Tensor::<f64>::ones(&[3, 2]).requires_grad();
    Tensor::zeros(&[0, 4, 3]).matmul(&w).sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), [0.0; 6]);
}

#[test]
fn try_forms_return_errors_instead_of_panicking() {
    // An element count that overflows.
    let err = Tensor::<f32>::try_from_vec(vec![], &[usize::MAX, 2]).unwrap_err();
    assert!(err.to_string().contains("too many elements"), "{err}");
    // Non-scalar output for try_backward; wrong upstream shape for try_backward_with.
    let x = Tensor::<f32>::ones(&[2]).requires_grad();
    let y = x.exp();
    assert!(matches!(y.try_backward(), Err(Error::Shape { .. })));
    assert!(matches!(
        y.try_backward_with(&Tensor::ones(&[3])),
        Err(Error::Shape { .. })
    ));
}

#[test]
#[should_panic(expected = "tapegrad: broadcast_to: shape [1, 1] cannot be broadcast to [3]")]
fn broadcast_to_checks_one_element_tensors_too() {
    Tensor::<f32>::ones(&[1, 1]).broadcast_to(&[3]);
}

#[test]
#[should_panic(expected = "tapegrad: narrow: range 1..1+18446744073709551615 is out of bounds")]
fn narrow_does_not_overflow() {
    Tensor::<f32>::ones(&[4]).narrow(0, 1, usize::MAX);
}

#[test]
#[should_panic(expected = "tapegrad: arange: 0..100000000000000000000 in steps of 1 holds")]
fn arange_of_an_absurd_range_is_an_error_not_an_empty_tensor() {
    Tensor::<f64>::arange(0.0, 1e20, 1.0);
}

#[test]
#[should_panic(expected = "tapegrad: zeros: shape [4611686018427387904, 4] has too many elements")]
fn an_overflowing_shape_gets_tapegrads_message() {
    Tensor::<f32>::zeros(&[1 << 62, 4]);
}

#[test]
#[should_panic(
    expected = "tapegrad: full: shape [1099511627776, 1073741824] has too many elements"
)]
fn an_absurd_size_panics_before_allocating() {
    // 2^70 bytes of f32: checked against isize::MAX, never handed to the allocator.
    Tensor::<f32>::full(&[1 << 40, 1 << 30], 1.0);
}

#[test]
fn shape_mistakes_inside_layers_are_reported_at_the_callers_line() {
    let model = nn::Sequential::<f32>::new().add(nn::Linear::new(4, 2, &mut rng()));
    let line = line!() + 1;
    let at = panic_location(|| drop(model.forward(&Tensor::zeros(&[3, 5]))));
    assert!(at.starts_with(&format!("tests/defects.rs:{line}")), "{at}");

    let emb = nn::Embedding::<f32>::new(3, 2, &mut rng());
    let line = line!() + 1;
    let at = panic_location(|| drop(emb.forward(&Tensor::from_vec(vec![7.0], &[1]))));
    assert!(at.starts_with(&format!("tests/defects.rs:{line}")), "{at}");

    let line = line!() + 1;
    let at = panic_location(|| drop(Tensor::<f32>::zeros(&[2, 3]).permute(&[0, 5])));
    assert!(at.starts_with(&format!("tests/defects.rs:{line}")), "{at}");
}

#[test]
#[should_panic(expected = "tapegrad: xavier_uniform: gain -1 gives a scale of")]
fn init_with_a_negative_gain_panics_with_the_reason() {
    nn::init::xavier_uniform(&Tensor::<f32>::zeros(&[3, 3]), -1.0, &mut rng());
}

#[test]
#[should_panic(expected = "tapegrad: xavier_normal: gain NaN")]
fn init_with_a_nan_gain_panics_with_the_reason() {
    nn::init::xavier_normal(&Tensor::<f32>::zeros(&[3, 3]), f64::NAN, &mut rng());
}

#[test]
fn init_of_empty_tensors_does_nothing_and_zero_gain_gives_zeros() {
    nn::init::kaiming_uniform(&Tensor::<f32>::zeros(&[0, 3]), &mut rng());
    let w = Tensor::<f32>::ones(&[2, 2]);
    nn::init::xavier_uniform(&w, 0.0, &mut rng());
    assert_eq!(w.to_vec(), [0.0; 4]);
}

#[test]
fn optimizers_validate_their_arguments_as_pytorch() {
    let w = || vec![Tensor::<f32>::zeros(&[2]).requires_grad()];
    let message = |r: Result<Box<dyn Optimizer>, Error>| r.err().unwrap().to_string();
    let boxed = |o: Result<optim::Adam<f32>, Error>| o.map(|o| Box::new(o) as Box<dyn Optimizer>);
    assert!(
        message(boxed(optim::Adam::try_new(w(), f64::NAN))).contains("Invalid learning rate: NaN")
    );
    assert!(
        message(boxed(optim::Adam::try_new(w(), -0.1))).contains("Invalid learning rate: -0.1")
    );
    assert!(
        message(boxed(optim::Adam::try_new(vec![], 0.1)))
            .contains("optimizer got an empty parameter list")
    );
    assert!(optim::Sgd::try_new(w(), 0.1).is_ok());
    assert!(optim::AdamW::try_new(w(), 1e-3).is_ok());
    assert!(optim::RmsProp::<f32>::try_new(vec![], 1e-3).is_err());
    let caught = |f: Box<dyn FnOnce() + std::panic::UnwindSafe>| {
        let e = std::panic::catch_unwind(f).unwrap_err();
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let betas = caught(Box::new(move || {
        drop(optim::Adam::new(w(), 0.1).betas(1.0, 0.999))
    }));
    assert!(
        betas.contains("Invalid beta parameter at index 0: 1"),
        "{betas}"
    );
    let eps = caught(Box::new(move || drop(optim::Adam::new(w(), 0.1).eps(-1.0))));
    assert!(eps.contains("Invalid epsilon value: -1"), "{eps}");
    let mom = caught(Box::new(move || {
        drop(optim::Sgd::new(w(), 0.1).momentum(-0.5))
    }));
    assert!(mom.contains("Invalid momentum value: -0.5"), "{mom}");
    let nesterov = caught(Box::new(move || {
        drop(optim::Sgd::new(w(), 0.1).nesterov(true))
    }));
    assert!(
        nesterov.contains("Nesterov momentum requires a momentum"),
        "{nesterov}"
    );
    let wd = caught(Box::new(move || {
        drop(optim::RmsProp::new(w(), 0.1).weight_decay(f64::NAN))
    }));
    assert!(wd.contains("Invalid weight_decay value: NaN"), "{wd}");
    let lr = caught(Box::new(move || optim::Sgd::new(w(), 0.1).set_lr(f64::NAN)));
    assert!(lr.contains("Invalid learning rate: NaN"), "{lr}");
}

#[test]
fn the_buffer_pool_is_bounded_and_can_be_emptied() {
    tapegrad::empty_cache();
    // 100 MiB of large tensors dropped: the pool keeps at most its bound per type.
    for _ in 0..25 {
        drop(Tensor::<f32>::zeros(&[1 << 20]));
        drop(Tensor::<f64>::zeros(&[1 << 19]));
        let many: Vec<_> = (0..10).map(|_| Tensor::<f32>::zeros(&[1 << 20])).collect();
        drop(many);
    }
    assert!(
        tapegrad::cached_bytes() <= 2 * (64 << 20),
        "{}",
        tapegrad::cached_bytes()
    );
    assert!(tapegrad::cached_bytes() > 0);
    tapegrad::empty_cache();
    assert_eq!(tapegrad::cached_bytes(), 0);
}

#[test]
fn sin_and_cos_of_large_f32_arguments_use_the_exact_function() {
    // The vectorised f32 kernels are exact up to |x| = 8192; larger arguments (and inf)
    // are recomputed with the C library's functions.
    let xs = vec![
        0.5f32,
        -3.0,
        8191.0,
        1e5,
        -3.0e7,
        f32::INFINITY,
        f32::NAN,
        1e30,
    ];
    let x = Tensor::from_vec(xs.clone(), &[xs.len()]);
    for (got, &v) in x.sin().to_vec().iter().zip(&xs) {
        let want = (v as f64).sin() as f32;
        assert!(
            (got.is_nan() && want.is_nan()) || (got - want).abs() <= 2.0 * f32::EPSILON,
            "sin({v}) = {got}, want {want}"
        );
    }
    for (got, &v) in x.cos().to_vec().iter().zip(&xs) {
        let want = (v as f64).cos() as f32;
        assert!(
            (got.is_nan() && want.is_nan()) || (got - want).abs() <= 2.0 * f32::EPSILON,
            "cos({v}) = {got}, want {want}"
        );
    }
}

#[test]
fn bce_of_a_saturated_f32_sigmoid_has_a_finite_gradient() {
    // sigmoid(20) is exactly 1.0 in f32: log(1 − p) = −∞ and the composed gradient was NaN,
    // which an optimizer step then spread into every weight.
    let x = Tensor::from_vec(vec![20.0f32, -20.0, 0.5], &[3]).requires_grad();
    let p = x.sigmoid();
    assert_eq!(p.to_vec()[0], 1.0);
    let y = Tensor::from_vec(vec![0.0f32, 1.0, 1.0], &[3]);
    let l = loss::bce(&p, &y);
    // −log p and −log(1 − p), each at most 100 (PyTorch's clamp of the logs).
    let want: f64 = p
        .to_vec()
        .iter()
        .zip(y.to_vec())
        .map(|(&p, y)| {
            let (p, y) = (f64::from(p), f64::from(y));
            -(y * p.ln().max(-100.0) + (1.0 - y) * (1.0 - p).ln().max(-100.0))
        })
        .sum::<f64>()
        / 3.0;
    assert!(
        (f64::from(l.item()) - want).abs() < 1e-4,
        "{} vs {want}",
        l.item()
    );
    l.backward();
    let g = x.grad().unwrap().to_vec();
    assert!(g.iter().all(|v| v.is_finite()), "gradient {g:?}");
}

#[test]
fn bce_rejects_probabilities_outside_zero_one() {
    let p = Tensor::from_vec(vec![0.5f64, 1.5], &[2]);
    let err = std::panic::catch_unwind(|| loss::bce(&p, &Tensor::ones(&[2])))
        .expect_err("a probability of 1.5 is refused");
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "tapegrad: bce: every probability must be in [0, 1], got 1.5"
    );
}

#[test]
fn a_one_cycle_schedule_refuses_an_optimizer_without_momentum_and_extra_steps() {
    use tapegrad::optim::{Adagrad, LrScheduler, OneCycleLr, Sgd};
    let w = Tensor::<f32>::zeros(&[1]).requires_grad();
    let mut adagrad = Adagrad::new(vec![w.clone()], 0.1);
    let mut s = OneCycleLr::new(&adagrad, 0.1, 5);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.step(&mut adagrad)))
        .expect_err("no momentum to cycle");
    let text = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(
        text.contains("optimizer must support momentum or beta1"),
        "{text}"
    );
    // Without cycling it runs, and gives a momentum optimizer its own momentum back.
    let mut s = OneCycleLr::new(&adagrad, 0.1, 5).cycle_momentum(false);
    s.step(&mut adagrad);
    let mut sgd = Sgd::new(vec![w], 0.1).momentum(0.3);
    let mut s = OneCycleLr::new(&sgd, 0.1, 5);
    assert_eq!(sgd.momentum_handle().unwrap().get(), 0.95);
    s = s.cycle_momentum(false);
    assert_eq!(sgd.momentum_handle().unwrap().get(), 0.3);
    s = s.cycle_momentum(true);
    assert_eq!(sgd.momentum_handle().unwrap().get(), 0.95);
    s = s.cycle_momentum(false);
    assert_eq!(sgd.momentum_handle().unwrap().get(), 0.3);
    // `total_steps` steps are allowed (as PyTorch), one more is refused.
    for _ in 0..5 {
        s.step(&mut sgd);
    }
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.step(&mut sgd)))
        .expect_err("a sixth step of a five-step cycle");
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "tapegrad: OneCycleLr: tried to step 7 times; the specified number of total steps is 5"
    );
}

#[test]
fn log_sigmoid_of_large_f32_inputs_keeps_its_tiny_values() {
    // −ln(1 + e^−x) rounded 1 + e^−x in f32 (0.9% off at x = 12); log1p keeps it.
    let xs = [8.0f32, 12.0, 16.0, 30.0, -30.0, 0.0];
    let got = Tensor::from_vec(xs.to_vec(), &[xs.len()])
        .log_sigmoid()
        .to_vec();
    for (&x, &y) in xs.iter().zip(&got) {
        let x64 = f64::from(x);
        let want = x64.min(0.0) - (-x64.abs()).exp().ln_1p();
        let rel = (f64::from(y) - want).abs() / want.abs();
        assert!(rel < 1e-6, "log_sigmoid({x}) = {y}, want {want}");
    }
}

#[test]
fn atanh_near_minus_one_keeps_its_digits_in_f32() {
    // ½·ln_1p(2x/(1 − x)) took ln_1p of a value near −1 for x near −1: 6e-6 off at −0.998.
    let xs = [
        -0.998f32, -0.9999, -0.5, -1e-4, 0.0, 1e-4, 0.5, 0.998, 0.9999,
    ];
    let got = Tensor::from_vec(xs.to_vec(), &[xs.len()]).atanh().to_vec();
    for (&x, &y) in xs.iter().zip(&got) {
        let want = f64::from(x).atanh();
        let tol = 2.0 * f64::from(f32::EPSILON) * want.abs();
        assert!(
            (f64::from(y) - want).abs() <= tol,
            "atanh({x}) = {y}, want {want}"
        );
    }
    let signs = Tensor::from_vec(vec![-0.0f32, -1.0, 1.0], &[3])
        .atanh()
        .to_vec();
    assert!(
        signs[0] == 0.0 && signs[0].is_sign_negative(),
        "atanh(-0) = -0"
    );
    assert_eq!(&signs[1..], &[f32::NEG_INFINITY, f32::INFINITY]);
}

#[test]
fn f32_reductions_of_many_elements_stay_as_accurate_as_pytorchs() {
    // Left-to-right f32 sums drifted (a 10M-element mean by 6e-5); cascade sums do not.
    let mut rng = StdRng::seed_from_u64(3);
    let x = Tensor::<f32>::rand(&[2_000_000], &mut rng);
    let x64 = x.cast::<f64>();
    let rel = |a: f32, b: f64| (f64::from(a) - b).abs() / b.abs();
    assert!(rel(x.mean().item(), x64.mean().item()) < 1e-6);
    assert!(rel(x.var().item(), x64.var().item()) < 1e-6);
    assert!(rel(x.square().sum().item(), x64.square().sum().item()) < 1e-6);
    let logits = Tensor::<f32>::randn(&[50_000, 4], &mut rng);
    let labels: Vec<usize> = (0..50_000).map(|i| i % 4).collect();
    let ce = loss::cross_entropy(&logits, &labels).item();
    let ce64 = loss::cross_entropy(&logits.cast::<f64>(), &labels).item();
    assert!(rel(ce, ce64) < 1e-6, "{ce} vs {ce64}");
    // A bias's gradient over a large batch: the broadcast sum down to [4].
    let b = Tensor::<f32>::zeros(&[4]).requires_grad();
    ((&logits + &b) * &logits).sum().backward();
    let want = logits.cast::<f64>().sum_dim(0, false).to_vec();
    for (g, w) in b.grad().unwrap().to_vec().iter().zip(&want) {
        assert!((f64::from(*g) - w).abs() < 1e-3, "{g} vs {w}");
    }
}
