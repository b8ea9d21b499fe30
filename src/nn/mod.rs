//! Layers and the [`Module`] trait, with PyTorch's names, shapes and default initialisation.

mod activation;
mod attention;
mod conv;
mod dropout;
mod embedding;
pub mod functional;
pub mod init;
mod layer_norm;
mod linear;
mod norm;
mod pool;
mod recurrent;
mod sequential;

use std::path::Path;

pub use activation::{GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Tanh};
pub use attention::{MultiheadAttention, TransformerEncoderLayer};
pub use conv::{Conv1d, Conv2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use norm::{BatchNorm1d, BatchNorm2d, GroupNorm};
pub use pool::{AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, Flatten, Identity, MaxPool1d, MaxPool2d};
pub use recurrent::{Gru, GruCell, Lstm, LstmCell, Rnn, RnnCell};
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

    /// Every buffer — a tensor saved with the model but not trained, such as BatchNorm's
    /// running statistics — with its state-dict name, in order.
    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }

    /// Parameters and buffers by name, in PyTorch's `state_dict()` order (a module's own
    /// parameters, its own buffers, then each child's state dict).
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
    /// let lin = nn::Linear::<f32>::new(2, 3, &mut StdRng::seed_from_u64(0));
    /// let names: Vec<String> = lin.state_dict().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["weight", "bias"]);
    /// ```
    fn state_dict(&self) -> Vec<(String, Tensor<T>)> {
        let mut all = self.named_parameters();
        all.extend(self.named_buffers());
        all
    }

    /// Copies `state` (as from [`Module::state_dict`] or a PyTorch checkpoint) into the
    /// parameters and buffers, as PyTorch's `load_state_dict`. Shapes must match; with
    /// `strict`, every name must be present and no other name may be. Everything is checked
    /// before anything is written, so an `Err` leaves the module as it was.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
    /// let a = nn::Linear::<f32>::new(2, 3, &mut StdRng::seed_from_u64(0));
    /// let b = nn::Linear::<f32>::new(2, 3, &mut StdRng::seed_from_u64(1));
    /// b.load_state_dict(&a.state_dict(), true).unwrap();
    /// assert_eq!(a.weight.to_vec(), b.weight.to_vec());
    /// assert!(b.load_state_dict(&a.state_dict()[..1], true).is_err()); // "bias" missing
    /// assert!(b.load_state_dict(&a.state_dict()[..1], false).is_ok());
    /// ```
    fn load_state_dict(&self, state: &[(String, Tensor<T>)], strict: bool) -> Result<(), Error> {
        load_into(&self.state_dict(), state, strict)
    }

    /// The number of trainable elements (`sum(p.numel() for p in m.parameters())`).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|p| p.numel()).sum()
    }

    /// Switches training mode (dropout active, batch statistics in BatchNorm) on or off;
    /// `train(false)` is [`Module::eval`]. Reaches every child.
    fn train(&mut self, _mode: bool) {}

    /// Evaluation mode: `train(false)`, as PyTorch's `eval()`.
    fn eval(&mut self) {
        self.train(false);
    }

    /// Whether the module is in training mode (PyTorch's `module.training`), as reported by
    /// its layers that have a mode (dropout, normalisation, containers); a model made only of
    /// layers that behave the same in both modes reports `true`.
    fn is_training(&self) -> bool {
        self.training_state().unwrap_or(true)
    }

    /// The training mode of a module that tracks one (`None` for layers that behave the
    /// same in both modes); what [`Module::is_training`] reads.
    #[doc(hidden)]
    fn training_state(&self) -> Option<bool> {
        self.children().iter().find_map(|(_, c)| c.training_state())
    }

    /// The direct submodules with their names (`"0"`, `"conv1"`, `"blocks.2"`), as
    /// PyTorch's `named_children()`.
    fn children(&self) -> Vec<(String, &dyn Module<T>)> {
        Vec::new()
    }

    /// The layer's type name without its path (`"Linear"`), for [`Module::summary`].
    fn type_name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// A table of every submodule — name, type, parameter count — and the total, like
    /// torchinfo's summary.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let model = nn::Sequential::<f32>::new()
    ///     .add(nn::Linear::new(2, 8, &mut rng))
    ///     .add(nn::ReLU)
    ///     .add(nn::Linear::new(8, 1, &mut rng));
    /// let table = model.summary();
    /// assert!(table.lines().any(|l| l.starts_with("0 ") && l.contains("Linear")));
    /// assert!(table.contains("Total parameters: 33"));
    /// ```
    fn summary(&self) -> String {
        let mut rows = vec![(
            "(root)".to_string(),
            self.type_name(),
            self.num_parameters(),
        )];
        let mut stack: Vec<(String, &dyn Module<T>)> = self.children();
        stack.reverse();
        while let Some((name, m)) = stack.pop() {
            rows.push((name.clone(), m.type_name(), m.num_parameters()));
            let mut kids = m.children();
            kids.reverse();
            stack.extend(kids.into_iter().map(|(n, c)| (format!("{name}.{n}"), c)));
        }
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(4);
        let tw = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
        let mut out = format!("{:width$}  {:tw$}  {:>12}\n", "name", "type", "parameters");
        out.push_str(&format!("{}\n", "-".repeat(width + tw + 16)));
        for (name, ty, n) in &rows {
            out.push_str(&format!("{name:width$}  {ty:tw$}  {n:>12}\n"));
        }
        out.push_str(&format!("Total parameters: {}\n", self.num_parameters()));
        out
    }

    /// Clears the gradient of every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// Saves the state dict (parameters and buffers) as a safetensors file, which PyTorch's
    /// `safetensors.torch.load_file` reads into a `state_dict` (`num_batches_tracked` as
    /// int64, as PyTorch keeps it).
    fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        crate::io::save_params(&self.state_dict(), path.as_ref())
    }

    /// Loads a state dict saved by [`Module::save_safetensors`] or by PyTorch's `save_file`.
    ///
    /// Every name, shape and dtype is checked before anything is written, so a failed load
    /// leaves the module as it was.
    fn load_safetensors(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        crate::io::load_params(&self.state_dict(), path.as_ref())
    }
}

/// Copies `state` into `targets` (both by name) after checking every name and shape.
fn load_into<T: Float>(
    targets: &[(String, Tensor<T>)],
    state: &[(String, Tensor<T>)],
    strict: bool,
) -> Result<(), Error> {
    use std::collections::HashMap;
    let given: HashMap<&str, &Tensor<T>> = state.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut pairs = Vec::new();
    for (name, t) in targets {
        match given.get(name.as_str()) {
            Some(src) if src.shape() != t.shape() => {
                return Err(Error::Mismatch(format!(
                    "load_state_dict: {name:?} has shape {:?} in the state dict but {:?} in \
                     the model",
                    src.shape(),
                    t.shape()
                )));
            }
            Some(src) => pairs.push((t, *src)),
            None if strict => {
                return Err(Error::Mismatch(format!(
                    "load_state_dict: {name:?} is missing from the state dict"
                )));
            }
            None => {}
        }
    }
    if strict {
        let known: std::collections::HashSet<&str> =
            targets.iter().map(|(n, _)| n.as_str()).collect();
        if let Some((extra, _)) = state.iter().find(|(n, _)| !known.contains(n.as_str())) {
            return Err(Error::Mismatch(format!(
                "load_state_dict: the state dict has {extra:?}, which the model does not"
            )));
        }
    }
    crate::no_grad(|| {
        for (dst, src) in pairs {
            if !dst.same(src) {
                dst.copy_(src);
            }
        }
    });
    Ok(())
}

/// What the code `#[derive(Module)]` writes calls.
#[doc(hidden)]
pub mod __derive {
    pub use super::prefixed;
}

/// Prefixes each parameter name with `prefix.`, as PyTorch nests state-dict keys.
#[doc(hidden)]
pub fn prefixed<T: Float>(
    prefix: &str,
    params: Vec<(String, Tensor<T>)>,
) -> Vec<(String, Tensor<T>)> {
    params
        .into_iter()
        .map(|(n, p)| (format!("{prefix}.{n}"), p))
        .collect()
}
