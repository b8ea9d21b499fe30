//! Federated averaging (FedAvg) on the digits set. The 1,437 training rows are split across 5
//! clients unevenly by class (each client holds mostly two digits). Every round each client
//! trains a copy of the global model on its own rows, in its own thread; the server averages
//! the weights, weighted by client size. Compared at the end with centralized training for
//! the same number of epochs.
//!
//!     cargo run --release --example federated

mod common;

use common::{Digits, label_column, load_digits};
use tapegrad::data::{DataLoader, accuracy};
use tapegrad::ndarray::ArrayD;
use tapegrad::prelude::*;
use tapegrad::rand::{Rng, SeedableRng, rngs::StdRng};

const CLIENTS: usize = 5;
const ROUNDS: usize = 30;
const LOCAL_EPOCHS: usize = 2;

fn model(seed: u64) -> nn::Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    nn::Sequential::new()
        .add(nn::Linear::new(64, 64, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(64, 10, &mut rng))
}

/// Trains `net` for `epochs` on `(x, y)` with Adam; the data order depends on `seed`.
fn train(net: &nn::Sequential<f32>, x: &Tensor<f32>, y: &[usize], epochs: usize, seed: u64) {
    let mut opt = optim::Adam::new(net.parameters(), 1e-3);
    let mut loader = DataLoader::new(x.clone(), label_column(y), 32).shuffle(seed);
    for _ in 0..epochs {
        for (xb, yb) in loader.iter() {
            opt.zero_grad();
            loss::cross_entropy(&net.forward(&xb), &yb).backward();
            opt.step();
        }
    }
}

fn weights(net: &nn::Sequential<f32>) -> Vec<ArrayD<f32>> {
    net.parameters().iter().map(|p| p.to_array()).collect()
}

fn set_weights(net: &nn::Sequential<f32>, w: &[ArrayD<f32>]) {
    for (p, v) in net.parameters().iter().zip(w) {
        p.data_mut().view_mut().assign(v);
    }
}

/// Row indices per client: a row of digit d goes to client d / 2 with probability 3/4, else to
/// a random client, so class mixes and sizes differ.
fn split(y: &[usize], rng: &mut StdRng) -> Vec<Vec<usize>> {
    let mut parts = vec![Vec::new(); CLIENTS];
    for (i, &label) in y.iter().enumerate() {
        let client = if rng.random::<f32>() < 0.75 {
            label / 2
        } else {
            rng.random_range(0..CLIENTS)
        };
        parts[client].push(i);
    }
    parts
}

fn main() -> Result<(), tapegrad::Error> {
    let Digits {
        x_train,
        y_train,
        x_test,
        y_test,
    } = load_digits()?;
    let mut rng = StdRng::seed_from_u64(0);
    let clients: Vec<(Tensor<f32>, Vec<usize>)> = split(&y_train, &mut rng)
        .into_iter()
        .map(|rows| {
            (
                x_train.index_select(0, &rows),
                rows.iter().map(|&r| y_train[r]).collect(),
            )
        })
        .collect();
    for (c, (_, y)) in clients.iter().enumerate() {
        let mut counts = [0; 10];
        y.iter().for_each(|&l| counts[l] += 1);
        println!("client {c}: {:>4} rows, per digit {counts:?}", y.len());
    }

    let global = model(0);
    let total: usize = clients.iter().map(|(_, y)| y.len()).sum();
    let start = std::time::Instant::now();
    for round in 1..=ROUNDS {
        let start_weights = weights(&global);
        let updates: Vec<(Vec<ArrayD<f32>>, usize)> = std::thread::scope(|s| {
            let handles: Vec<_> = clients
                .iter()
                .enumerate()
                .map(|(c, (x, y))| {
                    let start_weights = &start_weights;
                    s.spawn(move || {
                        let local = model(0);
                        set_weights(&local, start_weights);
                        train(&local, x, y, LOCAL_EPOCHS, (round * CLIENTS + c) as u64);
                        (weights(&local), y.len())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("client thread"))
                .collect()
        });
        let mut average: Vec<ArrayD<f32>> = start_weights
            .iter()
            .map(|w| ArrayD::zeros(w.raw_dim()))
            .collect();
        for (w, n) in &updates {
            for (avg, wi) in average.iter_mut().zip(w) {
                avg.scaled_add(*n as f32 / total as f32, wi);
            }
        }
        set_weights(&global, &average);
        let acc = accuracy(&no_grad(|| global.forward(&x_test)), &y_test);
        println!("round {round:>2}: test accuracy {acc:.4}");
    }
    let fed_time = start.elapsed().as_secs_f64();
    let fed_acc = accuracy(&no_grad(|| global.forward(&x_test)), &y_test);

    let central = model(0);
    train(&central, &x_train, &y_train, ROUNDS * LOCAL_EPOCHS, 0);
    let central_acc = accuracy(&no_grad(|| central.forward(&x_test)), &y_test);
    println!(
        "\nFedAvg, {CLIENTS} clients, {ROUNDS} rounds × {LOCAL_EPOCHS} local epochs: test accuracy {fed_acc:.4} ({fed_time:.1} s)"
    );
    println!(
        "centralized, {} epochs on all rows:            test accuracy {central_acc:.4}",
        ROUNDS * LOCAL_EPOCHS
    );
    Ok(())
}
