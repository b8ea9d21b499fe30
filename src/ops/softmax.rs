//! `softmax` and `log_softmax` along a dim, both shifted by the lane's max so that logits of
//! ±1000 give no NaN or Inf.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};

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

/// Mean cross-entropy of logits `[N, C]` at target classes, fused: the forward never
/// materialises the log-probabilities, and the backward is one `softmax − one-hot`.
#[derive(Clone, Debug)]
pub(crate) struct CrossEntropyOp {
    targets: Arc<[usize]>,
}

impl CrossEntropyOp {
    pub(crate) fn name(&self) -> &'static str {
        "cross_entropy"
    }

    /// `(softmax(x) − onehot(targets)) · g / N`, built from tensor ops so it can be
    /// differentiated again.
    pub(crate) fn backward<T: Float>(&self, x: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let mut onehot = ArrayD::<T>::zeros(IxDyn(&[n, c]));
        for (i, &t) in self.targets.iter().enumerate() {
            onehot[[i, t]] = T::one();
        }
        let scale = g / T::from_usize(n).unwrap();
        (x.softmax(-1) - Tensor::leaf(onehot)) * scale
    }
}

impl<T: Float> Tensor<T> {
    /// Mean cross-entropy of `[N, C]` logits against `targets` (checked by the caller).
    #[track_caller]
    pub(crate) fn cross_entropy_fused(&self, targets: &[usize]) -> Tensor<T> {
        let data = self.data();
        let c = data.shape()[1];
        let x = data.as_slice().expect("standard layout");
        let mut total = T::zero();
        for (row, &t) in x.chunks_exact(c.max(1)).zip(targets) {
            // −log_softmax(row)[t], shifted by the row's max as log_softmax is.
            let m = row.iter().fold(
                T::neg_infinity(),
                |a, &b| if b > a || b.is_nan() { b } else { a },
            );
            let shift = if m.is_infinite() { T::zero() } else { m };
            let sum: T = row.iter().map(|&v| (v - shift).exp()).sum();
            total += -((row[t] - shift) - sum.ln());
        }
        let loss = total / T::from_usize(targets.len()).unwrap();
        drop(data);
        let op = CrossEntropyOp {
            targets: targets.into(),
        };
        Tensor::from_op(
            ArrayD::from_elem(IxDyn(&[]), loss),
            Op::CrossEntropy(op),
            self,
        )
    }
}
