//! Binary classification of two interleaving half-moons with a 2→16→16→1 MLP trained on
//! `bce_with_logits`.
//!
//!     cargo run --release --example moons

use tapegrad::prelude::*;
use tapegrad::rand::{Rng, SeedableRng, rngs::StdRng};

/// `n` points on two noisy interleaving half circles, as scikit-learn's `make_moons`.
fn make_moons(n: usize, noise: f32, rng: &mut StdRng) -> (Tensor<f32>, Tensor<f32>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let t = rng.random_range(0.0..std::f32::consts::PI);
        let (px, py, label) = if i % 2 == 0 {
            (t.cos(), t.sin(), 0.0)
        } else {
            (1.0 - t.cos(), 0.5 - t.sin(), 1.0)
        };
        x.push(px + noise * (rng.random::<f32>() - 0.5) * 2.0);
        x.push(py + noise * (rng.random::<f32>() - 0.5) * 2.0);
        y.push(label);
    }
    (Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n, 1]))
}

fn accuracy(logits: &Tensor<f32>, y: &Tensor<f32>) -> f32 {
    let hits = logits
        .to_vec()
        .iter()
        .zip(y.to_vec())
        .filter(|(l, t)| (**l > 0.0) == (*t > 0.5))
        .count();
    hits as f32 / y.numel() as f32
}

fn main() {
    let mut rng = StdRng::seed_from_u64(3);
    let (x_train, y_train) = make_moons(400, 0.35, &mut rng);
    let (x_test, y_test) = make_moons(200, 0.35, &mut rng);
    let model = nn::Sequential::new()
        .add(nn::Linear::new(2, 16, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(16, 16, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(16, 1, &mut rng));
    let mut opt = optim::Adam::new(model.parameters(), 0.01);
    for epoch in 0..=300 {
        opt.zero_grad();
        let logits = model.forward(&x_train);
        let loss = loss::bce_with_logits(&logits, &y_train);
        loss.backward();
        opt.step();
        if epoch % 50 == 0 {
            println!(
                "epoch {epoch:>3}  loss {:.4}  train accuracy {:.3}",
                loss.item(),
                accuracy(&logits, &y_train)
            );
        }
    }
    let test = accuracy(&no_grad(|| model.forward(&x_test)), &y_test);
    println!(
        "test accuracy {test:.3} on {} held-out points",
        y_test.numel()
    );
}
