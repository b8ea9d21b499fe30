//! Fused losses: each is one recorded op instead of three to five, with a backward written in
//! tensor ops (so it can be differentiated again). `crate::loss` is the public face.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::elementwise::Binary;
use super::simd;
use crate::autograd::{Context, Function, Grads};
use crate::{Float, Tensor};

/// Binary cross-entropy of probabilities against targets, elementwise, as PyTorch's
/// `binary_cross_entropy`: each log clamped at −100 and the gradient's denominator
/// `p(1 − p)` kept at least 1e-12, so a probability of exactly 0 or 1 (a saturated `f32`
/// sigmoid) gives a large finite gradient, not `0 · ∞ = NaN`.
#[derive(Clone, Copy)]
pub(crate) struct Bce;

impl<T: Float> Binary<T> for Bce {
    #[inline(always)]
    fn f(&self, p: T, y: T) -> T {
        let floor = T::of_f64(-100.0);
        (y - T::one()) * (-p).ln_1p().max(floor) - y * p.ln().max(floor)
    }
}

impl<T: Float> Function<T> for Bce {
    fn name(&self) -> &'static str {
        "bce"
    }

    /// `g·(p − y) / max((1 − p)·p, 1e-12)` for the probabilities and `−logit(p)·g` for the
    /// targets, as PyTorch's `binary_cross_entropy_backward` (shapes are equal).
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let (p, y) = (ctx.input(0), ctx.input(1));
        let gp = ctx.needs_input_grad(0).then(|| {
            // PyTorch's EPSILON is 1e-12 rounded to f32, in f64 too.
            let eps = T::of_f64(f64::from(1e-12f32));
            let denom = (p.rsub_scalar(T::one()) * p).clamp(eps, T::infinity());
            g * &(p - y) / denom
        });
        let gy = ctx
            .needs_input_grad(1)
            .then(|| g * &(p.neg().log1p() - p.log()));
        Grads::two(gp, gy)
    }
}

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
    /// Binary cross-entropy of these probabilities against `target`, per element, as one
    /// op (shapes and the [0, 1] range checked by the caller).
    #[track_caller]
    pub(crate) fn bce_elementwise(&self, target: &Tensor<T>) -> Tensor<T> {
        self.binary(target, Bce)
    }

    /// `mean((self − target)²)` as one op (shapes checked by the caller).
    #[track_caller]
    pub(crate) fn mse_fused(&self, target: &Tensor<T>) -> Tensor<T> {
        let total: T = {
            let (p, t) = (self.data(), target.data());
            match (p.as_slice(), t.as_slice()) {
                (Some(p), Some(t)) => super::sum::squared_differences(p, t),
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
        // −log_softmax(row)[t], rounded as log_softmax is.
        let nll = |i: usize| {
            let row = &x[i * c..(i + 1) * c];
            let (shift, log_sum) = simd::shifted_log_sum(row);
            -((row[targets[i]] - shift) - log_sum)
        };
        // The rows' losses in a cascade sum, so a large batch keeps the mean's f32 accuracy.
        let total = super::sum::cascade(0..targets.len(), &|rows: std::ops::Range<usize>| {
            rows.map(nll).fold(T::zero(), |a, b| a + b)
        });
        let loss = total / T::from_usize(targets.len()).unwrap();
        drop(guard);
        let op = CrossEntropy {
            targets: targets.into(),
        };
        Tensor::from_op(ArrayD::from_elem(IxDyn(&[]), loss), op, self)
    }
}
