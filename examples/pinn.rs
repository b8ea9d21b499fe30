//! A physics-informed network: solve u''(x) = −sin(x) on [0, π] with u(0) = u(π) = 0 (the
//! answer is sin x) by training a small MLP on the equation's residual. u'' comes from
//! `tapegrad::grad` with `create_graph = true`, twice, and training differentiates through
//! both: third derivatives of the network. Adam first, then L-BFGS with a strong-Wolfe line
//! search, as PINN practice goes.
//!
//!     cargo run --release --example pinn

use std::f64::consts::PI;
use std::time::Instant;

use tapegrad::nn::Linear;
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

#[derive(Module)]
struct Net {
    l1: Linear<f64>,
    l2: Linear<f64>,
    l3: Linear<f64>,
}

impl Net {
    fn forward(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let h = self.l1.forward(x).tanh();
        let h = self.l2.forward(&h).tanh();
        self.l3.forward(&h)
    }
}

/// The residual of u'' + sin x at the collocation points, and the boundary values.
fn loss(net: &Net, x: &Tensor<f64>, ends: &Tensor<f64>) -> Tensor<f64> {
    let u = net.forward(x);
    let du = tapegrad::grad(&u.sum(), &[x], true).remove(0);
    let d2u = tapegrad::grad(&du.sum(), &[x], true).remove(0);
    let residual = d2u + x.sin();
    residual.square().mean() + net.forward(ends).square().sum()
}

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Net {
        l1: Linear::new(1, 32, &mut rng),
        l2: Linear::new(32, 32, &mut rng),
        l3: Linear::new(32, 1, &mut rng),
    };
    let n = 64;
    let x = Tensor::linspace(0.0, PI, n)
        .reshape(&[-1, 1])
        .requires_grad();
    let ends = Tensor::from_vec(vec![0.0, PI], &[2, 1]);
    let start = Instant::now();

    let mut adam = optim::Adam::new(net.parameters(), 1e-2);
    for step in 1..=1500 {
        adam.zero_grad();
        let l = loss(&net, &x, &ends);
        l.backward();
        adam.step();
        if step % 500 == 0 {
            println!("adam  step {step:5}  loss {:.3e}", l.item());
        }
    }
    let mut lbfgs = optim::Lbfgs::new(net.parameters(), 1.0)
        .max_iter(50)
        .history_size(50)
        .strong_wolfe(true);
    for round in 1..=10 {
        let l = lbfgs.step_with(|| {
            net.zero_grad();
            let l = loss(&net, &x, &ends);
            l.backward();
            l
        });
        if round % 5 == 0 {
            println!("lbfgs round {round:4}  loss {:.3e}", l.item());
        }
    }

    let test = Tensor::linspace(0.0, PI, 201).reshape(&[-1, 1]);
    let u = no_grad(|| net.forward(&test));
    let err = (u - test.sin()).abs().max().item();
    println!(
        "max |u(x) − sin(x)| on 201 points: {err:.2e}  ({:.1} s)",
        start.elapsed().as_secs_f64()
    );
}
