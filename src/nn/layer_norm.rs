use super::Module;
use crate::{Float, Tensor};

/// Normalises the last dim to mean 0 and variance 1, then scales and shifts, as
/// `torch.nn.LayerNorm(dim)` (eps 1e-5, weight ones, bias zeros, biased variance).
///
/// ```
/// use tapegrad::prelude::*;
/// let ln = nn::LayerNorm::<f64>::new(4);
/// let y = ln.forward(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 4]));
/// assert!(y.mean().item().abs() < 1e-12);
/// ```
pub struct LayerNorm<T: Float = f32> {
    /// Scale, `[dim]`.
    pub weight: Tensor<T>,
    /// Shift, `[dim]`.
    pub bias: Tensor<T>,
    /// Added to the variance before the square root.
    pub eps: f64,
}

impl<T: Float> LayerNorm<T> {
    /// A layer over a last dim of size `dim`.
    pub fn new(dim: usize) -> Self {
        LayerNorm {
            weight: Tensor::ones(&[dim]).requires_grad(),
            bias: Tensor::zeros(&[dim]).requires_grad(),
            eps: 1e-5,
        }
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let dim = self.weight.numel();
        let last = x.shape().last().copied();
        if last != Some(dim) {
            panic!(
                "tapegrad: LayerNorm: input of shape {:?} does not end in {dim}",
                x.shape()
            );
        }
        let centered = x - &x.mean_dim(-1, true);
        let var = centered.square().mean_dim(-1, true);
        let std = (var + T::of_f64(self.eps)).sqrt();
        centered / std * &self.weight + &self.bias
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![
            ("weight".into(), self.weight.clone()),
            ("bias".into(), self.bias.clone()),
        ]
    }
}
