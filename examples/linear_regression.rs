//! Fits y = 3x − 2 (plus noise) with raw tensors and a hand-written SGD loop, then prints the
//! learned parameters and the loss curve.
//!
//!     cargo run --release --example linear_regression

use tapegrad::rand::{rngs::StdRng, SeedableRng};
use tapegrad::{no_grad, Tensor};

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    let n = 200;
    let x = Tensor::<f32>::rand(&[n, 1], &mut rng) * 4.0 - 2.0; // x in [-2, 2)
    let noise = Tensor::<f32>::randn(&[n, 1], &mut rng) * 0.1;
    let y = &x * 3.0 - 2.0 + noise;

    let w = Tensor::<f32>::zeros(&[1, 1]).requires_grad();
    let b = Tensor::<f32>::zeros(&[1]).requires_grad();
    let lr = 0.1;
    let mut losses = Vec::new();
    for _ in 0..100 {
        let pred = x.matmul(&w) + &b;
        let loss = (&pred - &y).square().mean();
        loss.backward();
        no_grad(|| {
            for p in [&w, &b] {
                let g = p.grad().expect("backward filled the gradient");
                *p.data_mut() -= &(&*g.data() * lr);
                p.zero_grad();
            }
        });
        losses.push(loss.item());
    }

    println!(
        "learned  w = {:.4}, b = {:.4}   (true: w = 3, b = -2)",
        w.item(),
        b.item()
    );
    println!(
        "final MSE = {:.5}  (noise variance 0.01)\n",
        losses.last().unwrap()
    );
    print_curve(&losses);
}

/// The loss per step as a small terminal chart with a log-scaled y axis.
fn print_curve(losses: &[f32]) {
    let (rows, cols) = (12, 50);
    let logs: Vec<f32> = losses.iter().map(|l| l.max(1e-12).log10()).collect();
    let (lo, hi) = logs
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let mut grid = vec![vec![' '; cols]; rows];
    for c in 0..cols {
        let v = logs[c * (logs.len() - 1) / (cols - 1)];
        let r = ((hi - v) / (hi - lo).max(1e-6) * (rows - 1) as f32).round() as usize;
        grid[r][c] = '*';
    }
    println!("loss (log scale) over {} steps", losses.len());
    for (r, row) in grid.iter().enumerate() {
        let label = 10f32.powf(hi - (hi - lo) * r as f32 / (rows - 1) as f32);
        println!("{label:>9.4} |{}", row.iter().collect::<String>());
    }
    println!("          +{}", "-".repeat(cols));
}
