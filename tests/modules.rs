//! `#[derive(Module)]` and the module API: PyTorch's state-dict names and order, buffers,
//! `train`/`eval` reaching every child, `load_state_dict`, `summary`, checkpoints with
//! buffers, and the empty-parameter-list error a module that registers nothing runs into.

use tapegrad::nn::{Dropout, Linear};
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

#[derive(Module)]
struct Block<T: Float> {
    fc: Linear<T>,
    drop: Dropout,
}

impl<T: Float> Block<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.drop.forward(&self.fc.forward(x).relu())
    }
}

#[derive(Module)]
struct Net<T: Float = f32> {
    stem: Linear<T>,
    blocks: Vec<Block<T>>,
    head: Option<Linear<T>>,
    pair: [Linear<T>; 2],
    scale: Tensor<T>,
    #[module(buffer)]
    running: Tensor<T>,
    extra: Vec<Tensor<T>>,
    boxed: Box<dyn Module<T>>,
    #[module(skip)]
    note: String,
}

impl<T: Float> Net<T> {
    fn new(rng: &mut StdRng) -> Self {
        Net {
            stem: Linear::new(3, 4, rng),
            blocks: vec![
                Block {
                    fc: Linear::new(4, 4, rng),
                    drop: Dropout::with_seed(0.5, 1),
                },
                Block {
                    fc: Linear::new(4, 4, rng),
                    drop: Dropout::with_seed(0.5, 2),
                },
            ],
            head: Some(Linear::new(4, 2, rng)),
            pair: [Linear::new(2, 2, rng), Linear::without_bias(2, 2, rng)],
            scale: Tensor::ones(&[1]).requires_grad(),
            running: Tensor::zeros(&[2]),
            extra: vec![Tensor::zeros(&[3]).requires_grad()],
            boxed: Box::new(Linear::<T>::new(2, 1, rng)),
            note: "not a parameter".into(),
        }
    }

    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let mut h = self.stem.forward(x);
        for b in &self.blocks {
            h = b.forward(&h);
        }
        let h = self.head.as_ref().unwrap().forward(&h);
        let h = self.pair[1].forward(&self.pair[0].forward(&h)) * &self.scale;
        self.boxed.forward(&(h + &self.running))
    }
}

fn names(list: Vec<(String, Tensor<f32>)>) -> Vec<String> {
    list.into_iter().map(|(n, _)| n).collect()
}

#[test]
fn derive_registers_fields_under_pytorchs_names_and_order() {
    let net = Net::<f32>::new(&mut StdRng::seed_from_u64(0));
    // Own parameters first (field order), then each child's: as PyTorch's named_parameters.
    assert_eq!(
        names(net.named_parameters()),
        [
            "scale",
            "stem.weight",
            "stem.bias",
            "blocks.0.fc.weight",
            "blocks.0.fc.bias",
            "blocks.1.fc.weight",
            "blocks.1.fc.bias",
            "head.weight",
            "head.bias",
            "pair.0.weight",
            "pair.0.bias",
            "pair.1.weight",
            "extra.0",
            "boxed.weight",
            "boxed.bias",
        ]
    );
    assert_eq!(names(net.named_buffers()), ["running"]);
    // state_dict: own parameters, own buffers, then the children.
    let sd = names(net.state_dict());
    assert_eq!(&sd[..3], ["scale", "running", "stem.weight"]);
    assert_eq!(sd.len(), 16);
    assert_eq!(
        net.num_parameters(),
        1 + (12 + 4) + 2 * (16 + 4) + (8 + 2) + (4 + 2) + 4 + 3 + (2 + 1)
    );
    assert_eq!(net.note, "not a parameter");
    let y = net.forward(&Tensor::ones(&[5, 3]));
    assert_eq!(y.shape(), &[5, 1]);
}

#[test]
fn train_and_eval_reach_every_child() {
    let mut net = Net::<f32>::new(&mut StdRng::seed_from_u64(0));
    assert!(net.is_training());
    let x = Tensor::ones(&[64, 3]);
    // Dropout is active: two forward passes differ.
    assert_ne!(net.forward(&x).to_vec(), net.forward(&x).to_vec());
    net.eval();
    assert!(!net.is_training());
    assert!(!net.blocks[1].is_training());
    assert_eq!(net.forward(&x).to_vec(), net.forward(&x).to_vec());
    net.train(true);
    assert!(net.blocks[0].is_training());
}

#[test]
fn load_state_dict_is_strict_or_not_and_checks_shapes_first() {
    let a = Net::<f32>::new(&mut StdRng::seed_from_u64(0));
    let b = Net::<f32>::new(&mut StdRng::seed_from_u64(1));
    let sd = a.state_dict();
    sd[1].1.data_mut().view_mut().fill(5.0); // "running" in a's buffer
    b.load_state_dict(&sd, true).unwrap();
    for ((n, x), (_, y)) in a.state_dict().iter().zip(b.state_dict()) {
        assert_eq!(x.to_vec(), y.to_vec(), "{n}");
    }
    assert_eq!(b.running.to_vec(), vec![5.0, 5.0]);

    let c = Net::<f32>::new(&mut StdRng::seed_from_u64(2));
    let before = c.stem.weight.to_vec();
    let mut partial = a.state_dict();
    partial.retain(|(n, _)| n != "head.bias");
    let err = c.load_state_dict(&partial, true).unwrap_err();
    assert!(
        err.to_string().contains("\"head.bias\" is missing"),
        "{err}"
    );
    assert_eq!(
        c.stem.weight.to_vec(),
        before,
        "a failed load changes nothing"
    );
    c.load_state_dict(&partial, false).unwrap();
    assert_eq!(c.stem.weight.to_vec(), a.stem.weight.to_vec());

    let mut extra = a.state_dict();
    extra.push(("ghost".into(), Tensor::zeros(&[1])));
    let err = c.load_state_dict(&extra, true).unwrap_err();
    assert!(err.to_string().contains("\"ghost\""), "{err}");
    let mut wrong = a.state_dict();
    wrong[2].1 = Tensor::zeros(&[9]);
    let err = c.load_state_dict(&wrong, false).unwrap_err();
    assert!(err.to_string().contains("shape [9]"), "{err}");
}

#[test]
fn checkpoints_include_buffers() {
    let a = Net::<f32>::new(&mut StdRng::seed_from_u64(0));
    a.running.data_mut().view_mut().fill(3.0);
    let path = std::env::temp_dir().join(format!("tapegrad_net_{}.st", std::process::id()));
    a.save_safetensors(&path).unwrap();
    let b = Net::<f32>::new(&mut StdRng::seed_from_u64(1));
    b.load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(b.running.to_vec(), vec![3.0, 3.0]);
    assert_eq!(b.pair[1].weight.to_vec(), a.pair[1].weight.to_vec());
}

#[test]
fn summary_lists_every_submodule_with_its_parameter_count() {
    let net = Net::<f32>::new(&mut StdRng::seed_from_u64(0));
    let table = net.summary();
    for row in [
        "stem",
        "blocks.0",
        "blocks.0.fc",
        "blocks.1.drop",
        "pair.1",
        "boxed",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("{row} "))),
            "no row {row} in\n{table}"
        );
    }
    assert!(table.contains("Linear") && table.contains("Block") && table.contains("Dropout"));
    assert!(table.contains(&format!("Total parameters: {}", net.num_parameters())));
}

#[test]
fn a_struct_with_a_concrete_element_type_derives_too() {
    #[derive(Module)]
    #[module(element = f64)]
    struct Probe {
        w: Tensor<f64>,
    }
    impl Probe {
        fn forward(&self, x: &Tensor<f64>) -> Tensor<f64> {
            x * &self.w
        }
    }
    let p = Probe {
        w: Tensor::from_vec(vec![2.0], &[1]).requires_grad(),
    };
    let m: &dyn Module<f64> = &p;
    assert_eq!(m.forward(&Tensor::scalar(3.0)).to_vec(), vec![6.0]);
    assert_eq!(names64(m.named_parameters()), ["w"]);
    let mut opt = optim::Sgd::new(p.parameters(), 0.5);
    m.forward(&Tensor::scalar(1.0)).sum().backward();
    opt.step();
    assert_eq!(p.w.to_vec(), vec![1.5]);
}

fn names64(list: Vec<(String, Tensor<f64>)>) -> Vec<String> {
    list.into_iter().map(|(n, _)| n).collect()
}

#[test]
#[should_panic(expected = "optimizer got an empty parameter list")]
fn a_module_that_registers_nothing_cannot_train_silently() {
    #[derive(Module)]
    struct Nothing {
        #[module(skip)]
        w: Tensor<f32>,
    }
    impl Nothing {
        fn forward(&self, x: &Tensor<f32>) -> Tensor<f32> {
            x * &self.w
        }
    }
    let m = Nothing {
        w: Tensor::ones(&[1]).requires_grad(),
    };
    let _ = optim::Adam::new(m.parameters(), 1e-3);
}
