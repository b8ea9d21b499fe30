//! The training-step workloads of BENCHMARKS.md, shared by `benches/train_step.rs` and
//! `examples/train_memory.rs`. bench/pytorch/train_step.py defines the same ones in PyTorch:
//! five MLPs (W1–W5), the digits CNN (W6) and the sort transformer (W7) of issue 9.
//!
//! One step = zero grads, forward, loss, backward, optimizer step; f32; one fixed random batch.
#![allow(dead_code)]

use tapegrad::prelude::*;
use tapegrad::rand::{Rng, SeedableRng, rngs::StdRng};

pub enum Target {
    Values(Tensor<f32>),
    Classes(Vec<usize>),
}

pub struct Workload {
    pub name: &'static str,
    pub model: nn::Sequential<f32>,
    pub opt: Box<dyn Optimizer>,
    pub x: Tensor<f32>,
    pub target: Target,
    pub sigmoid_out: bool,
    /// Scores per position (`[N, L, C]`): flattened to `[N·L, C]` for the loss.
    pub per_position: bool,
}

fn mlp(
    sizes: &[usize],
    hidden: fn() -> Box<dyn Module<f32>>,
    rng: &mut StdRng,
) -> nn::Sequential<f32> {
    let mut m = nn::Sequential::new();
    for (i, w) in sizes.windows(2).enumerate() {
        m.push(Box::new(nn::Linear::new(w[0], w[1], rng)));
        if i + 2 < sizes.len() {
            m.push(hidden());
        }
    }
    m
}

fn relu() -> Box<dyn Module<f32>> {
    Box::new(nn::ReLU)
}

fn tanh() -> Box<dyn Module<f32>> {
    Box::new(nn::Tanh)
}

fn classifier(name: &'static str, sizes: &[usize], batch: usize) -> Workload {
    let mut rng = StdRng::seed_from_u64(0);
    let model = mlp(sizes, relu, &mut rng);
    let opt: Box<dyn Optimizer> = Box::new(optim::Adam::new(model.parameters(), 1e-3));
    let classes = *sizes.last().unwrap();
    let x = Tensor::randn(&[batch, sizes[0]], &mut rng);
    let target = Target::Classes((0..batch).map(|_| rng.random_range(0..classes)).collect());
    Workload {
        name,
        model,
        opt,
        x,
        target,
        sigmoid_out: false,
        per_position: false,
    }
}

pub fn w1_xor() -> Workload {
    let mut rng = StdRng::seed_from_u64(0);
    let model = mlp(&[2, 8, 1], tanh, &mut rng);
    let opt: Box<dyn Optimizer> = Box::new(optim::Sgd::new(model.parameters(), 0.5));
    let x = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4, 1]);
    Workload {
        name: "W1_xor",
        model,
        opt,
        x,
        target: Target::Values(y),
        sigmoid_out: true,
        per_position: false,
    }
}

pub fn w2_digits() -> Workload {
    classifier("W2_digits", &[64, 128, 10], 64)
}

pub fn w3_mnist() -> Workload {
    classifier("W3_mnist", &[784, 256, 128, 10], 128)
}

pub fn w4_wide() -> Workload {
    classifier("W4_wide", &[1024, 1024, 1024, 10], 256)
}

pub fn w5_linreg() -> Workload {
    let mut rng = StdRng::seed_from_u64(0);
    let model = nn::Sequential::new().add(nn::Linear::new(13, 1, &mut rng));
    let opt: Box<dyn Optimizer> = Box::new(optim::Sgd::new(model.parameters(), 0.01));
    let x = Tensor::randn(&[32, 13], &mut rng);
    let y = Tensor::randn(&[32, 1], &mut rng);
    Workload {
        name: "W5_linreg",
        model,
        opt,
        x,
        target: Target::Values(y),
        sigmoid_out: false,
        per_position: false,
    }
}

/// The digits CNN of `examples/digits_cnn.rs`: batch 32 of 8×8 images, Adam.
pub fn w6_digits_cnn() -> Workload {
    let mut rng = StdRng::seed_from_u64(0);
    let model = nn::Sequential::new()
        .add(nn::Conv2d::new(1, 16, 3, &mut rng).padding(1))
        .add(nn::ReLU)
        .add(nn::Conv2d::new(16, 32, 3, &mut rng).padding(1))
        .add(nn::ReLU)
        .add(nn::MaxPool2d::new(2))
        .add(nn::Flatten::default())
        .add(nn::Linear::new(512, 64, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(64, 10, &mut rng));
    let opt: Box<dyn Optimizer> = Box::new(optim::Adam::new(model.parameters(), 1e-3));
    let x = Tensor::rand(&[32, 1, 8, 8], &mut rng);
    let target = Target::Classes((0..32).map(|_| rng.random_range(0..10)).collect());
    Workload {
        name: "W6_digits_cnn",
        model,
        opt,
        x,
        target,
        sigmoid_out: false,
        per_position: false,
    }
}

/// The sort transformer of `examples/sort_transformer.rs` (without the learned positions):
/// batch 64 of 8 digit ids, two encoder layers, Adam.
pub fn w7_sort_transformer() -> Workload {
    let mut rng = StdRng::seed_from_u64(0);
    let mut model = nn::Sequential::new().add(nn::Embedding::new(10, 32, &mut rng));
    for _ in 0..2 {
        model = model.add(
            nn::TransformerEncoderLayer::new(32, 4, 64, &mut rng)
                .dropout(0.0)
                .batch_first(true),
        );
    }
    let model = model.add(nn::Linear::new(32, 10, &mut rng));
    let opt: Box<dyn Optimizer> = Box::new(optim::Adam::new(model.parameters(), 1e-3));
    let ids: Vec<usize> = (0..64 * 8).map(|_| rng.random_range(0..10)).collect();
    let x = Tensor::from_vec(ids.iter().map(|&i| i as f32).collect(), &[64, 8]);
    let mut sorted = ids.clone();
    for row in sorted.chunks_mut(8) {
        row.sort_unstable();
    }
    Workload {
        name: "W7_sort_transformer",
        model,
        opt,
        x,
        target: Target::Classes(sorted),
        sigmoid_out: false,
        per_position: true,
    }
}

pub fn all() -> Vec<Workload> {
    vec![
        w1_xor(),
        w2_digits(),
        w3_mnist(),
        w4_wide(),
        w5_linreg(),
        w6_digits_cnn(),
        w7_sort_transformer(),
    ]
}

impl Workload {
    /// One full training step; returns the loss.
    pub fn step(&mut self) -> f32 {
        self.opt.zero_grad();
        let mut out = self.model.forward(&self.x);
        if self.sigmoid_out {
            out = out.sigmoid();
        }
        if self.per_position {
            let classes = *out.shape().last().unwrap() as isize;
            out = out.reshape(&[-1, classes]);
        }
        let loss = match &self.target {
            Target::Values(y) => loss::mse(&out, y),
            Target::Classes(c) => loss::cross_entropy(&out, c),
        };
        loss.backward();
        self.opt.step();
        loss.item()
    }
}
