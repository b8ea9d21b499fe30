//! Fused losses: each is one recorded op instead of three to five, with a backward written in
//! tensor ops (so it can be differentiated again). `crate::loss` is the public face.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::simd;
use crate::autograd::{Context, Function, Grads};
use crate::{Float, Tensor};

/// Mean squared error of two tensors of the same shape.
pub(crate) struct Mse;

impl<T: Float> Function<T> for Mse {
    fn name(&self) -> &'static str {
        "mse"
    }

    /// `(pred − target)·(2/N)·g` for the prediction and its negative for the target, in
    /// PyTorch's order of operations (`mse_loss_backward`).
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let (pred, target) = (ctx.input(0), ctx.input(1));
        let norm = T::of_f64(2.0) / T::from_usize(pred.numel()).unwrap();
        let gp = (pred - target) * norm * g;
        let gt = ctx.needs_input_grad(1).then(|| -&gp);
        Grads::two(ctx.needs_input_grad(0).then_some(gp), gt)
    }
}

impl<T: Float> Tensor<T> {
    /// `mean((self − target)²)` as one op (shapes checked by the caller).
    #[track_caller]
    pub(crate) fn mse_fused(&self, target: &Tensor<T>) -> Tensor<T> {
        let total: T = {
            let (p, t) = (self.data(), target.data());
            match (p.as_slice(), t.as_slice()) {
                (Some(p), Some(t)) => p.iter().zip(t).map(|(&a, &b)| (a - b) * (a - b)).sum(),
                _ => {
                    let (p, t) = (p.view(), t.view());
                    p.iter()
                        .zip(t.iter())
                        .map(|(&a, &b)| (a - b) * (a - b))
                        .sum()
                }
            }
        };
        let loss = total / T::from_usize(self.numel()).unwrap();
        let data = ArrayD::from_elem(IxDyn(&[]), loss);
        Tensor::from_op(data, Mse, (self, target))
    }
}

/// Mean cross-entropy of logits `[N, C]` at target classes, fused: the forward never
/// materialises the log-probabilities, and the backward is one `softmax − one-hot`.
pub(crate) struct CrossEntropy {
    targets: Arc<[usize]>,
}

impl<T: Float> Function<T> for CrossEntropy {
    fn name(&self) -> &'static str {
        "cross_entropy"
    }

    /// `(softmax(x) − onehot(targets)) · g / N`, built from tensor ops so it can be
    /// differentiated again.
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let x = ctx.input(0);
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let mut onehot = ArrayD::<T>::zeros(IxDyn(&[n, c]));
        for (i, &t) in self.targets.iter().enumerate() {
            onehot[[i, t]] = T::one();
        }
        let scale = g / T::from_usize(n).unwrap();
        Grads::one((x.softmax(-1) - Tensor::leaf(onehot)) * scale)
    }
}

impl<T: Float> Tensor<T> {
    /// Mean cross-entropy of `[N, C]` logits against `targets` (checked by the caller).
    #[track_caller]
    pub(crate) fn cross_entropy_fused(&self, targets: &[usize]) -> Tensor<T> {
        let c = self.shape()[1];
        let guard = self.data();
        let x = super::row_major(guard.view());
        let mut total = T::zero();
        for (row, &t) in x.chunks_exact(c.max(1)).zip(targets) {
            // −log_softmax(row)[t], rounded as log_softmax is.
            let (shift, log_sum) = simd::shifted_log_sum(row);
            total += -((row[t] - shift) - log_sum);
        }
        let loss = total / T::from_usize(targets.len()).unwrap();
        drop(guard);
        let op = CrossEntropy {
            targets: targets.into(),
        };
        Tensor::from_op(ArrayD::from_elem(IxDyn(&[]), loss), op, self)
    }
}
