//! Fits sin(x) on [−π, π] with a 1→32→32→1 tanh MLP and Adam, then writes `sine.svg`: the
//! fit against the truth, and the loss curve.
//!
//!     cargo run --release --example sine    # then open sine.svg

use std::f32::consts::PI;
use std::fmt::Write;

use tapegrad::prelude::*;
use tapegrad::rand::{rngs::StdRng, SeedableRng};

fn main() -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(0);
    let x = Tensor::linspace(-PI, PI, 256).unsqueeze(1);
    let y = Tensor::from_array(x.data().view().mapv(f32::sin));
    let model = nn::Sequential::new()
        .add(nn::Linear::new(1, 32, &mut rng))
        .add(nn::Tanh)
        .add(nn::Linear::new(32, 32, &mut rng))
        .add(nn::Tanh)
        .add(nn::Linear::new(32, 1, &mut rng));
    let mut opt = optim::Adam::new(model.parameters(), 1e-2);
    let mut losses = Vec::new();
    for step in 0..2000 {
        opt.zero_grad();
        let loss = loss::mse(&model.forward(&x), &y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
        if step % 400 == 0 {
            println!("step {step:>4}  mse {:.6}", loss.item());
        }
    }
    let fit = no_grad(|| model.forward(&x)).to_vec();
    let max_err = fit
        .iter()
        .zip(y.to_vec())
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    println!(
        "final mse {:.2e}, largest error {max_err:.4}",
        losses.last().unwrap()
    );
    std::fs::write("sine.svg", svg(&x.to_vec(), &y.to_vec(), &fit, &losses))?;
    println!("wrote sine.svg");
    Ok(())
}

/// Polyline points for `ys` against `xs`, scaled into a `w × h` box at (`left`, `top`).
fn points(
    xs: &[f32],
    ys: &[f32],
    (left, top, w, h): (f32, f32, f32, f32),
    (y0, y1): (f32, f32),
) -> String {
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let mut s = String::new();
    for (x, y) in xs.iter().zip(ys) {
        let px = left + (x - x0) / (x1 - x0) * w;
        let py = top + h - (y - y0) / (y1 - y0) * h;
        let _ = write!(s, "{px:.1},{py:.1} ");
    }
    s
}

fn svg(xs: &[f32], truth: &[f32], fit: &[f32], losses: &[f32]) -> String {
    let panel = |left| (left, 40.0, 400.0, 260.0);
    let steps: Vec<f32> = (0..losses.len()).map(|i| i as f32).collect();
    let log_loss: Vec<f32> = losses.iter().map(|l| l.max(1e-9).log10()).collect();
    let (lo, hi) = log_loss
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="920" height="340" font-family="sans-serif" font-size="13">
<rect width="920" height="340" fill="white"/>
<text x="40" y="25">sin(x) (grey) and the MLP's fit (blue)</text>
<rect x="40" y="40" width="400" height="260" fill="none" stroke="#ccc"/>
<polyline fill="none" stroke="#999" stroke-width="4" points="{}"/>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{}"/>
<text x="480" y="25">training loss, log10 scale ({:.1} … {:.1})</text>
<rect x="480" y="40" width="400" height="260" fill="none" stroke="#ccc"/>
<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="{}"/>
<text x="40" y="320">x from −π to π</text><text x="480" y="320">step 0 … {}</text>
</svg>
"##,
        points(xs, truth, panel(40.0), (-1.1, 1.1)),
        points(xs, fit, panel(40.0), (-1.1, 1.1)),
        lo,
        hi,
        points(&steps, &log_loss, panel(480.0), (lo, hi)),
        losses.len() - 1
    )
}
