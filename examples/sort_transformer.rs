//! A tiny transformer that learns to sort sequences of 8 digits: token embeddings plus learned
//! positions, two `TransformerEncoderLayer`s (d_model 32, 4 heads, feed-forward 64, no
//! dropout, batch_first), and a linear read-out per position. Adam 1e-3, batch 64, 3,000
//! steps of fresh random sequences; accuracy is whole sequences sorted exactly, on 1,000
//! held-out ones. PyTorch with this recipe reaches 0.999–1.000.
//!
//!     cargo run --release --example sort_transformer [steps]

use std::time::Instant;

use tapegrad::nn::{Embedding, Linear, TransformerEncoderLayer};
use tapegrad::prelude::*;
use tapegrad::rand::{Rng, SeedableRng, rngs::StdRng};

const LEN: usize = 8;
const DIGITS: usize = 10;
const D: usize = 32;

#[derive(Module)]
struct Sorter {
    embed: Embedding,
    positions: Tensor,
    layers: Vec<TransformerEncoderLayer>,
    head: Linear,
}

impl Sorter {
    fn new(rng: &mut StdRng) -> Self {
        Sorter {
            embed: Embedding::new(DIGITS, D, rng),
            positions: (Tensor::randn(&[LEN, D], rng) * 0.02)
                .detach()
                .requires_grad(),
            layers: (0..2)
                .map(|_| {
                    TransformerEncoderLayer::new(D, 4, 64, rng)
                        .dropout(0.0)
                        .batch_first(true)
                })
                .collect(),
            head: Linear::new(D, DIGITS, rng),
        }
    }

    /// Digits `[N, L]` (as floats, for `Module::forward`) to logits `[N, L, 10]`.
    fn forward(&self, digits: &Tensor) -> Tensor {
        self.logits(&digits.cast::<i64>())
    }

    fn logits(&self, digits: &Tensor<i64>) -> Tensor {
        let mut h = self.embed.forward_ids(digits) + &self.positions;
        for layer in &self.layers {
            h = layer.forward(&h);
        }
        self.head.forward(&h)
    }
}

/// `n` random sequences and their sorted versions.
fn batch(n: usize, rng: &mut StdRng) -> (Tensor<i64>, Tensor<i64>) {
    let mut x = Vec::with_capacity(n * LEN);
    let mut y = Vec::with_capacity(n * LEN);
    for _ in 0..n {
        let mut seq: Vec<i64> = (0..LEN)
            .map(|_| rng.random_range(0..DIGITS as i64))
            .collect();
        x.extend_from_slice(&seq);
        seq.sort_unstable();
        y.extend(seq);
    }
    (
        Tensor::from_vec(x, &[n, LEN]),
        Tensor::from_vec(y, &[n, LEN]),
    )
}

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sorter::new(&mut rng);
    println!("sort_transformer: {} parameters", model.num_parameters());
    let mut opt = optim::Adam::new(model.parameters(), 1e-3);
    let (test_x, test_y) = batch(1000, &mut StdRng::seed_from_u64(1));
    let start = Instant::now();
    for step in 1..=steps {
        let (x, y) = batch(64, &mut rng);
        opt.zero_grad();
        let logits = model.logits(&x).reshape(&[-1, DIGITS as isize]);
        let loss = loss::cross_entropy(&logits, &y.reshape(&[-1]));
        loss.backward();
        opt.step();
        if step % 500 == 0 || step == steps {
            println!("step {step:5}  loss {:.4}", loss.item());
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let predicted = no_grad(|| model.logits(&test_x)).argmax(-1, false);
    let exact = predicted.eq(&test_y).all_dim(1, false).sum().item();
    println!(
        "sequence accuracy {:.3} on 1000 held-out sequences; {steps} steps in {elapsed:.1} s \
         ({:.2} ms per step)",
        exact as f64 / 1000.0,
        elapsed * 1e3 / steps as f64
    );
}
