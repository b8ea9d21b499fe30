//! Loss functions with PyTorch's formulas and mean reduction.

use ndarray::{ArrayD, IxDyn};

use crate::{Float, Tensor};

#[track_caller]
fn same_shape<T: Float>(op: &str, pred: &Tensor<T>, target: &Tensor<T>) {
    if pred.shape() != target.shape() {
        panic!(
            "tapegrad: {op}: prediction of shape {:?} and target of shape {:?} differ",
            pred.shape(),
            target.shape()
        );
    }
}

/// Mean squared error, `mean((pred − target)²)`, as `F.mse_loss`.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 4.0], &[2]);
/// assert_eq!(loss::mse(&p, &t).item(), 2.0);
/// ```
#[track_caller]
pub fn mse<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
    same_shape("mse", pred, target);
    pred.mse_fused(target)
}

/// Mean absolute error, `mean(|pred − target|)`, as `F.l1_loss`.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let t = Tensor::from_vec(vec![2.0f32, 4.0], &[2]);
/// assert_eq!(loss::l1(&p, &t).item(), 1.5);
/// ```
#[track_caller]
pub fn l1<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
    same_shape("l1", pred, target);
    (pred - target).abs().mean()
}

/// Huber loss, as `F.huber_loss(delta=delta)`: `½d²` where `|d| < delta`, else
/// `delta·(|d| − ½delta)`.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let t = Tensor::zeros(&[2]);
/// assert_eq!(loss::huber(&p, &t, 1.0).item(), (0.125 + 2.5) / 2.0);
/// ```
#[track_caller]
pub fn huber<T: Float>(pred: &Tensor<T>, target: &Tensor<T>, delta: T) -> Tensor<T> {
    same_shape("huber", pred, target);
    let a = (pred - target).abs();
    // q = min(|d|, delta): the quadratic part; the rest of |d| is linear.
    let q = a.clamp(T::zero(), delta);
    (q.square() * T::of_f64(0.5) + (&a - &q) * delta).mean()
}

/// Binary cross-entropy on logits, as `F.binary_cross_entropy_with_logits`:
/// `y·softplus(−x) + (1−y)·softplus(x)`, stable for any logit.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let logits = Tensor::from_vec(vec![0.0f64, 1000.0], &[2]);
/// let target = Tensor::from_vec(vec![1.0, 1.0], &[2]);
/// let l = loss::bce_with_logits(&logits, &target).item();
/// assert!((l - 2f64.ln() / 2.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn bce_with_logits<T: Float>(logits: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
    same_shape("bce_with_logits", logits, target);
    let pos = target * &(-logits).softplus();
    let neg = target.rsub_scalar(T::one()) * logits.softplus();
    (pos + neg).mean()
}

/// Cross-entropy of logits `[N, C]` against class indices (a `Tensor<i64>` or `usize`s),
/// as `F.cross_entropy`.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let logits = Tensor::from_vec(vec![0.0f64, 0.0, 0.0, 0.0], &[2, 2]);
/// assert!((loss::cross_entropy(&logits, &[0, 1]).item() - 2f64.ln()).abs() < 1e-12);
/// let labels = Tensor::<i64>::from_vec(vec![0, 1], &[2]);
/// assert!((loss::cross_entropy(&logits, &labels).item() - 2f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn cross_entropy<T: Float, C: Targets + ?Sized>(logits: &Tensor<T>, targets: &C) -> Tensor<T> {
    let targets = targets.class_indices("cross_entropy");
    check_classes("cross_entropy", logits, &targets);
    logits.cross_entropy_fused(&targets)
}

/// Negative log-likelihood of log-probabilities `[N, C]` at class indices, as `F.nll_loss`.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let log_probs = Tensor::from_vec(vec![-1.0f32, -2.0, -3.0, -4.0], &[2, 2]);
/// assert_eq!(loss::nll(&log_probs, &[1, 0]).item(), 2.5);
/// ```
#[track_caller]
pub fn nll<T: Float, C: Targets + ?Sized>(log_probs: &Tensor<T>, targets: &C) -> Tensor<T> {
    let targets = targets.class_indices("nll");
    let targets = &targets[..];
    check_classes("nll", log_probs, targets);
    let index =
        ArrayD::from_shape_vec(IxDyn(&[targets.len(), 1]), targets.to_vec()).expect("[N, 1]");
    -log_probs.gather(1, &index).mean()
}

#[track_caller]
fn check_classes<T: Float>(op: &str, scores: &Tensor<T>, targets: &[usize]) {
    let s = scores.shape();
    if s.len() != 2 || s[0] != targets.len() {
        panic!(
            "tapegrad: {op}: expects scores [N, C] and N targets, got shape {s:?} and {} targets",
            targets.len()
        );
    }
    if let Some(&bad) = targets.iter().find(|&&t| t >= s[1]) {
        panic!(
            "tapegrad: {op}: target class {bad} is out of range for {} classes",
            s[1]
        );
    }
}

/// Class labels for [`cross_entropy`], [`nll`] and [`accuracy`](crate::data::accuracy): a
/// 1-D `Tensor<i64>` (PyTorch's LongTensor of targets) or a slice, array or `Vec` of `usize`.
pub trait Targets {
    /// The labels as indices.
    ///
    /// # Panics
    /// If a label is negative or the tensor is not 1-D (the message names `op`).
    #[doc(hidden)]
    fn class_indices(&self, op: &str) -> Vec<usize>;
}

impl Targets for [usize] {
    fn class_indices(&self, _: &str) -> Vec<usize> {
        self.to_vec()
    }
}

impl<const N: usize> Targets for [usize; N] {
    fn class_indices(&self, _: &str) -> Vec<usize> {
        self.to_vec()
    }
}

impl Targets for Vec<usize> {
    fn class_indices(&self, _: &str) -> Vec<usize> {
        self.clone()
    }
}

impl Targets for Tensor<i64> {
    #[track_caller]
    fn class_indices(&self, op: &str) -> Vec<usize> {
        if self.ndim() != 1 {
            panic!(
                "tapegrad: {op}: targets must be 1-D class indices, got shape {:?}",
                self.shape()
            );
        }
        let data = self.data();
        let mut out = Vec::with_capacity(self.numel());
        for &t in data.view().iter() {
            if t < 0 {
                panic!("tapegrad: {op}: target class {t} is negative");
            }
            out.push(t as usize);
        }
        out
    }
}
