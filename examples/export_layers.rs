//! Writes a Conv2d + BatchNorm2d model and a two-layer bidirectional LSTM, each trained a few
//! steps (so BatchNorm's running statistics and counter are not their defaults), as
//! safetensors checkpoints, with an input and tapegrad's eval-mode output in a JSON file:
//! `scripts/pytorch_loads_ours_layers.py` loads them into the same PyTorch modules (strict
//! `load_state_dict`) and compares the outputs.
//!
//!     cargo run --release --example export_layers && \
//!         bench/pytorch/.venv/bin/python scripts/pytorch_loads_ours_layers.py

use tapegrad::nn::{BatchNorm2d, Conv2d, Flatten, Linear, Lstm};
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

#[derive(Module)]
#[module(element = f64)]
struct Cnn {
    conv: Conv2d<f64>,
    bn: BatchNorm2d<f64>,
    head: Linear<f64>,
}

impl Cnn {
    fn forward(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let h = self.bn.forward(&self.conv.forward(x)).relu();
        self.head.forward(&Flatten::default().forward(&h))
    }
}

fn floats(t: &Tensor<f64>) -> String {
    let v: Vec<String> = t.to_vec().iter().map(|x| format!("{x:e}")).collect();
    format!("[{}]", v.join(", "))
}

fn main() -> Result<(), tapegrad::Error> {
    let mut rng = StdRng::seed_from_u64(0);
    let dir = std::env::temp_dir();
    let mut cnn = Cnn {
        conv: Conv2d::new(2, 4, 3, &mut rng).padding(1).stride(2),
        bn: BatchNorm2d::new(4),
        head: Linear::new(4 * 3 * 3, 3, &mut rng),
    };
    let lstm = Lstm::<f64>::new(3, 5, &mut rng)
        .num_layers(2)
        .bidirectional(true)
        .batch_first(true);
    let mut opt = optim::Sgd::new(cnn.parameters(), 0.1);
    for _ in 0..3 {
        opt.zero_grad();
        let x = Tensor::randn(&[4, 2, 6, 6], &mut rng);
        cnn.forward(&x).square().mean().backward();
        opt.step();
    }
    cnn.eval();
    let x_cnn = Tensor::randn(&[2, 2, 6, 6], &mut rng);
    let y_cnn = no_grad(|| cnn.forward(&x_cnn));
    let x_lstm = Tensor::randn(&[2, 4, 3], &mut rng);
    let (y_lstm, (h, c)) = no_grad(|| lstm.forward_with_state(&x_lstm, None));
    cnn.save_safetensors(dir.join("tapegrad-cnn.safetensors"))?;
    lstm.save_safetensors(dir.join("tapegrad-lstm.safetensors"))?;
    let json = format!(
        "{{\"cnn_x\": {}, \"cnn_y\": {}, \"lstm_x\": {}, \"lstm_y\": {}, \"lstm_h\": {}, \"lstm_c\": {}}}",
        floats(&x_cnn),
        floats(&y_cnn),
        floats(&x_lstm),
        floats(&y_lstm),
        floats(&h),
        floats(&c)
    );
    std::fs::write(dir.join("tapegrad-layers.json"), json)?;
    println!(
        "wrote tapegrad-cnn.safetensors, tapegrad-lstm.safetensors and tapegrad-layers.json to {}",
        dir.display()
    );
    Ok(())
}
