//! Layers and the [`Module`] trait, with PyTorch's names, shapes and default initialisation.

mod activation;
mod dropout;
mod embedding;
pub mod init;
mod layer_norm;
mod linear;
mod sequential;

use std::path::Path;

pub use activation::{GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Tanh};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use sequential::Sequential;

use crate::{Error, Float, Tensor};

/// A layer or model: something with a forward pass and named parameters, as `torch.nn.Module`.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let model = nn::Sequential::<f32>::new()
///     .add(nn::Linear::new(2, 8, &mut rng))
///     .add(nn::ReLU)
///     .add(nn::Linear::new(8, 1, &mut rng));
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// let y = model.forward(&Tensor::zeros(&[4, 2]));
/// assert_eq!(y.shape(), &[4, 1]);
/// ```
pub trait Module<T: Float = f32>: Send + Sync {
    /// The forward pass. `#[track_caller]`, so a shape mistake inside a layer (even one
    /// called through `Sequential`) is reported at the caller's line.
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T>;

    /// Every parameter with its state-dict name (`"weight"`, `"0.bias"`, ...), in order.
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }

    /// Every parameter, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Switches training mode (dropout active) on or off; `train(false)` is PyTorch's `eval()`.
    fn train(&mut self, _mode: bool) {}

    /// Clears the gradient of every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// Saves the named parameters as a safetensors file, which PyTorch's
    /// `safetensors.torch.load_file` reads into a `state_dict`.
    fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        crate::io::save_params(&self.named_parameters(), path.as_ref())
    }

    /// Loads parameters saved by [`Module::save_safetensors`] or by PyTorch's `save_file`.
    ///
    /// Every name, shape and dtype is checked before anything is written, so a failed load
    /// leaves the parameters as they were.
    fn load_safetensors(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        crate::io::load_params(&self.named_parameters(), path.as_ref())
    }
}

/// Prefixes each parameter name with `prefix.`, as PyTorch nests state-dict keys.
pub(crate) fn prefixed<T: Float>(
    prefix: &str,
    params: Vec<(String, Tensor<T>)>,
) -> Vec<(String, Tensor<T>)> {
    params
        .into_iter()
        .map(|(n, p)| (format!("{prefix}.{n}"), p))
        .collect()
}
