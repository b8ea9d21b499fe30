//! Fits sin(x) on [−π, π] with a 1→32→32→1 tanh MLP and Adam, then writes `sine.svg`: the
//! fit against the truth, and the loss curve.
//!
//!     cargo run --release --example sine    # then open sine.svg

mod common;

use std::f32::consts::PI;

use common::plot::{Chart, Line, write_svg};
use plotters::style::{BLUE, RED, RGBColor};

use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    let xs = x.to_vec();
    let line = |name: &str, color, ys: &[f32]| Line {
        name: name.into(),
        color,
        points: xs
            .iter()
            .zip(ys)
            .map(|(&x, &y)| (x as f64, y as f64))
            .collect(),
    };
    let grey = RGBColor(150, 150, 150);
    let log_losses = losses
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, (*l as f64).max(1e-12).log10()))
        .collect();
    let charts = [
        Chart {
            title: "sin(x) and the MLP's fit".into(),
            x_desc: "x".into(),
            y_desc: "y".into(),
            lines: vec![line("sin(x)", grey, &y.to_vec()), line("fit", BLUE, &fit)],
        },
        Chart {
            title: "training loss".into(),
            x_desc: "step".into(),
            y_desc: "log10 mse".into(),
            lines: vec![Line {
                name: "mse".into(),
                color: RED,
                points: log_losses,
            }],
        },
    ];
    write_svg("sine.svg", &charts)?;
    println!("wrote sine.svg");
    Ok(())
}
