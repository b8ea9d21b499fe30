//! Learns XOR with a 2→8→1 MLP (tanh hidden layer, sigmoid output, MSE, SGD lr 0.5).
//!
//!     cargo run --release --example xor

use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = nn::Sequential::new()
        .add(nn::Linear::new(2, 8, &mut rng))
        .add(nn::Tanh)
        .add(nn::Linear::new(8, 1, &mut rng))
        .add(nn::Sigmoid);
    let x = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[4, 1]);
    let mut opt = optim::Sgd::new(model.parameters(), 0.5);

    let start = std::time::Instant::now();
    for step in 0..=2000 {
        opt.zero_grad();
        let loss = loss::mse(&model.forward(&x), &y);
        loss.backward();
        opt.step();
        if step % 400 == 0 {
            println!("step {step:>4}  loss {:.6}", loss.item());
        }
    }
    let elapsed = start.elapsed();

    let pred = no_grad(|| model.forward(&x)).to_vec();
    let mut correct = 0;
    println!("\n a  b | xor | prediction");
    for (i, p) in pred.iter().enumerate() {
        let (a, b, want) = (x.to_vec()[2 * i], x.to_vec()[2 * i + 1], y.to_vec()[i]);
        correct += ((*p > 0.5) == (want > 0.5)) as usize;
        println!(" {a}  {b} |  {want}  | {p:.4}");
    }
    println!(
        "\naccuracy {}/4 = {:.0}%  (2000 steps in {:.1} ms)",
        correct,
        correct as f32 * 25.0,
        elapsed.as_secs_f64() * 1e3
    );
}
