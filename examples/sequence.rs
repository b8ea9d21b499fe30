//! An LSTM that forecasts a sine wave: from 20 noisy samples of sin(ω·t + φ) (random phase
//! and frequency, noise σ = 0.05) predict the next clean value. LSTM(1 → 32, batch_first),
//! the last hidden state through Linear(32 → 1); Adam 1e-2, batch 64, 400 steps of fresh
//! sequences; test MSE on 1,000 held-out sequences (`bench/pytorch/sequence.py` runs the
//! same recipe in PyTorch).
//!
//!     cargo run --release --example sequence

use std::time::Instant;

use tapegrad::nn::{Linear, Lstm};
use tapegrad::prelude::*;
use tapegrad::rand::{Rng, SeedableRng, rngs::StdRng};

const STEPS: usize = 20;

#[derive(Module)]
struct Forecaster {
    lstm: Lstm,
    head: Linear,
}

impl Forecaster {
    /// `[N, 20, 1]` samples → `[N, 1]` next values.
    fn forward(&self, x: &Tensor) -> Tensor {
        let (out, _) = self.lstm.forward_with_state(x, None);
        self.head.forward(&out.select(1, -1))
    }
}

/// `n` noisy windows and the clean next value of each.
fn batch(n: usize, rng: &mut StdRng) -> (Tensor, Tensor) {
    let (mut x, mut y) = (Vec::with_capacity(n * STEPS), Vec::with_capacity(n));
    for _ in 0..n {
        let omega: f32 = rng.random_range(0.2..0.6);
        let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        for t in 0..STEPS {
            let noise = 0.05 * (rng.random::<f32>() + rng.random::<f32>() - 1.0) * 2.45;
            x.push((omega * t as f32 + phase).sin() + noise);
        }
        y.push((omega * STEPS as f32 + phase).sin());
    }
    (
        Tensor::from_vec(x, &[n, STEPS, 1]),
        Tensor::from_vec(y, &[n, 1]),
    )
}

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = Forecaster {
        lstm: Lstm::new(1, 32, &mut rng).batch_first(true),
        head: Linear::new(32, 1, &mut rng),
    };
    let mut opt = optim::Adam::new(model.parameters(), 1e-2);
    let (test_x, test_y) = batch(1000, &mut StdRng::seed_from_u64(1));
    let baseline = loss::mse(&test_x.select(1, -1), &test_y).item();
    let start = Instant::now();
    for step in 1..=400 {
        let (x, y) = batch(64, &mut rng);
        opt.zero_grad();
        let l = loss::mse(&model.forward(&x), &y);
        l.backward();
        opt.step();
        if step % 100 == 0 {
            println!("step {step:4}  train MSE {:.5}", l.item());
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let test = no_grad(|| loss::mse(&model.forward(&test_x), &test_y)).item();
    println!(
        "test MSE {test:.5} (repeating the last noisy sample: {baseline:.5}); 400 steps in \
         {elapsed:.1} s ({:.2} ms per step)",
        elapsed * 1e3 / 400.0
    );
}
