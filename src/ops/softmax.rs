//! `softmax` and `log_softmax` along a dim, both shifted by the lane's max so that logits of
//! ±1000 give no NaN or Inf.

use ndarray::Axis;

use super::{normalize_dim, Op};
use crate::{Float, Tensor};

#[derive(Clone, Copy, Debug)]
pub(crate) enum SoftmaxOp {
    Softmax { dim: usize },
    LogSoftmax { dim: usize },
}

impl SoftmaxOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            SoftmaxOp::Softmax { .. } => "softmax",
            SoftmaxOp::LogSoftmax { .. } => "log_softmax",
        }
    }

    /// From the output `y` alone, as PyTorch's `_softmax_backward_data` and
    /// `_log_softmax_backward_data`.
    pub(crate) fn backward<T: Float>(self, y: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
        match self {
            SoftmaxOp::Softmax { dim } => (g - &(g * y).sum_dim(dim as isize, true)) * y,
            SoftmaxOp::LogSoftmax { dim } => g - &(y.exp() * g.sum_dim(dim as isize, true)),
        }
    }
}

impl<T: Float> Tensor<T> {
    #[track_caller]
    fn softmax_op(&self, op: SoftmaxOp, dim: usize) -> Tensor<T> {
        let mut out = self.to_array();
        if !out.is_empty() {
            for mut lane in out.lanes_mut(Axis(dim)) {
                let m = lane.fold(
                    T::neg_infinity(),
                    |a, &b| if b > a || b.is_nan() { b } else { a },
                );
                let shift = if m.is_infinite() { T::zero() } else { m };
                lane.mapv_inplace(|v| v - shift);
                let sum: T = lane.iter().map(|v| v.exp()).sum();
                match op {
                    SoftmaxOp::Softmax { .. } => lane.mapv_inplace(|v| v.exp() / sum),
                    SoftmaxOp::LogSoftmax { .. } => {
                        let log_sum = sum.ln();
                        lane.mapv_inplace(|v| v - log_sum)
                    }
                }
            }
        }
        Tensor::from_op(out, Op::Softmax(op), self)
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
        let d = normalize_dim("softmax", dim, self.shape());
        self.softmax_op(SoftmaxOp::Softmax { dim: d }, d)
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
        let d = normalize_dim("log_softmax", dim, self.shape());
        self.softmax_op(SoftmaxOp::LogSoftmax { dim: d }, d)
    }
}
