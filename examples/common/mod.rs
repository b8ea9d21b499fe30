//! What the examples share: loading the fixed digits split, progress bars, SVG charts.
#![allow(dead_code)] // each example and test uses a different part

pub mod plot;
pub mod progress;

use tapegrad::Tensor;
use tapegrad::data::{labels, load_csv};

/// Rows 0..1437 train, the last 360 test (data/DATA.md); pixels scaled to [0, 1].
pub const TRAIN_ROWS: usize = 1437;

pub struct Digits {
    pub x_train: Tensor<f32>,
    pub y_train: Vec<usize>,
    pub x_test: Tensor<f32>,
    pub y_test: Vec<usize>,
}

pub fn load_digits() -> Result<Digits, tapegrad::Error> {
    let csv = load_csv::<f32>(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"),
        true,
    )?;
    let (rows, cols) = (csv.data.shape()[0], csv.data.shape()[1]);
    let x = csv.data.narrow(1, 0, cols - 1) / 16.0;
    let y = labels(&csv.data.narrow(1, cols - 1, 1))?;
    Ok(Digits {
        x_train: x.narrow(0, 0, TRAIN_ROWS),
        x_test: x.narrow(0, TRAIN_ROWS, rows - TRAIN_ROWS),
        y_train: y[..TRAIN_ROWS].to_vec(),
        y_test: y[TRAIN_ROWS..].to_vec(),
    })
}

/// Class indices as an `i64` column (PyTorch's LongTensor of labels), for a `DataLoader`.
pub fn label_column(y: &[usize]) -> Tensor<i64> {
    Tensor::from_vec(y.iter().map(|&c| c as i64).collect(), &[y.len()])
}
