//! Builds a small network, runs a backward pass, and writes its recorded graph as Graphviz
//! DOT to `graph.dot` (render it with `dot -Tsvg graph.dot -o graph.svg`).
//!
//!     cargo run --release --example graph

use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn main() -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(0);
    let model = nn::Sequential::<f32>::new()
        .add(nn::Linear::new(3, 4, &mut rng))
        .add(nn::Tanh)
        .add(nn::Linear::new(4, 2, &mut rng));
    let x = Tensor::randn(&[5, 3], &mut rng);
    let loss = loss::cross_entropy(&model.forward(&x), &[0, 1, 1, 0, 1]);
    loss.backward();
    let dot = loss.to_dot();
    std::fs::write("graph.dot", &dot)?;
    println!("{dot}");
    println!(
        "wrote graph.dot ({} ops recorded)",
        dot.matches("shape=box").count()
    );
    Ok(())
}
