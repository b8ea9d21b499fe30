//! The five training-step workloads of BENCHMARKS.md, shared by `benches/train_step.rs` and
//! `examples/train_memory.rs`. bench/pytorch/train_step.py defines the same five in PyTorch.
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
    }
}

pub fn all() -> Vec<Workload> {
    vec![w1_xor(), w2_digits(), w3_mnist(), w4_wide(), w5_linreg()]
}

impl Workload {
    /// One full training step; returns the loss.
    pub fn step(&mut self) -> f32 {
        self.opt.zero_grad();
        let mut out = self.model.forward(&self.x);
        if self.sigmoid_out {
            out = out.sigmoid();
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
