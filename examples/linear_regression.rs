//! Linear regression twice:
//! 1. y = 3x − 2 plus noise, with raw tensors and a hand-written SGD loop; prints the learned
//!    w and b and the loss curve.
//! 2. Three features, with `nn::Linear` and `optim::Sgd`; checks the result against the
//!    closed-form least-squares solution.
//!
//!     cargo run --release --example linear_regression

use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn main() {
    raw_tensors();
    println!();
    with_nn();
}

fn raw_tensors() {
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
                p.sub_(&(g * lr));
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

fn with_nn() {
    let mut rng = StdRng::seed_from_u64(7);
    let (n, d) = (500, 3);
    let x = Tensor::<f64>::randn(&[n, d], &mut rng);
    let true_w = Tensor::from_vec(vec![0.5, -1.5, 2.0], &[1, d]);
    let y = x.matmul_t(&true_w) + 0.7 + Tensor::randn(&[n, 1], &mut rng) * 0.2;

    let layer = nn::Linear::<f64>::new(d, 1, &mut rng);
    let mut opt = optim::Sgd::new(layer.parameters(), 0.1);
    for _ in 0..300 {
        opt.zero_grad();
        let loss = loss::mse(&layer.forward(&x), &y);
        loss.backward();
        opt.step();
    }
    let learned: Vec<f64> = layer
        .weight
        .to_vec()
        .into_iter()
        .chain(layer.bias.as_ref().unwrap().to_vec())
        .collect();
    let exact = least_squares(&x, &y);
    println!("nn::Linear + SGD on {n} samples, {d} features:");
    println!("  SGD          w = {:?}", rounded(&learned));
    println!("  closed form  w = {:?}", rounded(&exact));
    let gap = learned
        .iter()
        .zip(&exact)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    println!("  largest difference {gap:.2e}");
    assert!(gap < 1e-6, "SGD did not reach the least-squares solution");
}

fn rounded(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| (x * 1e4).round() / 1e4).collect()
}

/// Solves the normal equations [X 1]ᵀ[X 1] w = [X 1]ᵀ y by Gaussian elimination.
fn least_squares(x: &Tensor<f64>, y: &Tensor<f64>) -> Vec<f64> {
    let xa = Tensor::cat(&[x, &Tensor::ones(&[x.shape()[0], 1])], 1);
    let a = xa.t().matmul(&xa).to_vec();
    let b = xa.t().matmul(y).to_vec();
    let k = b.len();
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            a[i * k..(i + 1) * k]
                .iter()
                .copied()
                .chain([b[i]])
                .collect()
        })
        .collect();
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))
            .unwrap();
        m.swap(col, pivot);
        for row in 0..k {
            if row != col {
                let f = m[row][col] / m[col][col];
                let pivot_row = m[col].clone();
                for (v, p) in m[row].iter_mut().zip(&pivot_row) {
                    *v -= f * p;
                }
            }
        }
    }
    (0..k).map(|i| m[i][k] / m[i][i]).collect()
}
