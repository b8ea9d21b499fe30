//! `softmax` and `log_softmax` along a dim, both shifted by the lane's max so that logits of
//! ±1000 give no NaN or Inf.

use ndarray::Axis;

use super::normalize_dim;
use super::simd;
use crate::autograd::{Context, Function, Grads};
use crate::{Float, Tensor};

/// `exp(x) / sum(exp(x))` along `dim`; its backward uses the output alone, as PyTorch's
/// `_softmax_backward_data`.
pub(crate) struct Softmax {
    dim: usize,
}

impl<T: Float> Function<T> for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let y = ctx.output();
        Grads::one((g - &(g * y).sum_dim(self.dim as isize, true)) * y)
    }
}

/// `x − logsumexp(x)` along `dim`; backward from the output, as `_log_softmax_backward_data`.
pub(crate) struct LogSoftmax {
    dim: usize,
}

impl<T: Float> Function<T> for LogSoftmax {
    fn name(&self) -> &'static str {
        "log_softmax"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let y = ctx.output();
        Grads::one(g - &(y.exp() * g.sum_dim(self.dim as isize, true)))
    }
}

impl<T: Float> Tensor<T> {
    #[track_caller]
    fn softmax_values(&self, dim: usize, log: bool) -> ndarray::ArrayD<T> {
        let mut out = self.to_array();
        if !out.is_empty() {
            let mut scratch = Vec::new();
            for mut lane in out.lanes_mut(Axis(dim)) {
                match lane.as_slice_mut() {
                    Some(x) => simd::softmax_in_place(x, log),
                    // A lane across rows: through a contiguous copy, for the vector loop.
                    None => {
                        scratch.clear();
                        scratch.extend(lane.iter().copied());
                        simd::softmax_in_place(&mut scratch, log);
                        lane.iter_mut().zip(&scratch).for_each(|(o, &v)| *o = v);
                    }
                }
            }
        }
        out
    }

    /// `exp(x) / sum(exp(x))` along `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let p = Tensor::from_vec(vec![1000.0f32, 1000.0, -1000.0], &[3]).softmax(0);
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "softmax", dim, |x| x.softmax(0)) {
            return y;
        }
        let d = normalize_dim("softmax", dim, self.shape());
        Tensor::from_op(self.softmax_values(d, false), Softmax { dim: d }, self)
    }

    /// `x - logsumexp(x)` along `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let lp = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).log_softmax(-1);
    /// assert!((lp.to_vec()[0] + 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "log_softmax", dim, |x| x.log_softmax(0)) {
            return y;
        }
        let d = normalize_dim("log_softmax", dim, self.shape());
        Tensor::from_op(self.softmax_values(d, true), LogSoftmax { dim: d }, self)
    }
}
