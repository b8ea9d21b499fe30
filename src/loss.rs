//! Loss functions with PyTorch's formulas: the plain forms reduce by the mean (as PyTorch's
//! defaults), the `*_with` forms take a [`Reduction`].

use ndarray::{ArrayD, IxDyn};

use crate::{Float, Tensor, where_cond};

/// How a loss reduces its per-element values, as PyTorch's `reduction=` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over elements (PyTorch's default).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one value per element (per sample for class losses).
    None,
    /// The sum divided by the batch size (dim 0): `kl_div`'s mathematically right mean.
    BatchMean,
}

impl Reduction {
    /// Applies the reduction to per-element losses.
    #[track_caller]
    fn apply<T: Float>(self, per: Tensor<T>) -> Tensor<T> {
        match self {
            Reduction::Mean => per.mean(),
            Reduction::Sum => per.sum(),
            Reduction::None => per,
            Reduction::BatchMean => {
                let n = per.shape().first().copied().unwrap_or(1).max(1);
                per.sum() / T::of_f64(n as f64)
            }
        }
    }
}

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
    l1_with(pred, target, Reduction::Mean)
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
    huber_with(pred, target, delta, Reduction::Mean)
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
    bce_with_logits_with(logits, target, Reduction::Mean)
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
    nll_with(log_probs, targets, Reduction::Mean)
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

/// [`mse`] with a reduction.
///
/// ```
/// use tapegrad::{loss::{self, Reduction}, Tensor};
/// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 4.0], &[2]);
/// assert_eq!(loss::mse_with(&p, &t, Reduction::Sum).item(), 4.0);
/// assert_eq!(loss::mse_with(&p, &t, Reduction::None).to_vec(), vec![0.0, 4.0]);
/// ```
#[track_caller]
pub fn mse_with<T: Float>(pred: &Tensor<T>, target: &Tensor<T>, reduction: Reduction) -> Tensor<T> {
    same_shape("mse", pred, target);
    reduction.apply((pred - target).square())
}

/// [`l1`] with a reduction.
///
/// ```
/// use tapegrad::{loss::{self, Reduction}, Tensor};
/// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(loss::l1_with(&p, &Tensor::zeros(&[2]), Reduction::Sum).item(), 3.0);
/// ```
#[track_caller]
pub fn l1_with<T: Float>(pred: &Tensor<T>, target: &Tensor<T>, reduction: Reduction) -> Tensor<T> {
    same_shape("l1", pred, target);
    reduction.apply((pred - target).abs())
}

/// [`huber`] with a reduction.
///
/// ```
/// use tapegrad::{loss::{self, Reduction}, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let l = loss::huber_with(&p, &Tensor::zeros(&[2]), 1.0, Reduction::None);
/// assert_eq!(l.to_vec(), vec![0.125, 2.5]);
/// ```
#[track_caller]
pub fn huber_with<T: Float>(
    pred: &Tensor<T>,
    target: &Tensor<T>,
    delta: T,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("huber", pred, target);
    let a = (pred - target).abs();
    // q = min(|d|, delta): the quadratic part; the rest of |d| is linear.
    let q = a.clamp(T::zero(), delta);
    reduction.apply(q.square() * T::of_f64(0.5) + (&a - &q) * delta)
}

/// Smooth L1 loss, as `F.smooth_l1_loss(beta=beta)`: `½d²/beta` where `|d| < beta`, else
/// `|d| − ½beta` (Huber divided by `beta`; L1 when `beta` is 0). Mean reduction.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// assert_eq!(loss::smooth_l1(&p, &Tensor::zeros(&[2]), 1.0).item(), (0.125 + 2.5) / 2.0);
/// ```
#[track_caller]
pub fn smooth_l1<T: Float>(pred: &Tensor<T>, target: &Tensor<T>, beta: T) -> Tensor<T> {
    smooth_l1_with(pred, target, beta, Reduction::Mean)
}

/// [`smooth_l1`] with a reduction.
#[track_caller]
pub fn smooth_l1_with<T: Float>(
    pred: &Tensor<T>,
    target: &Tensor<T>,
    beta: T,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("smooth_l1", pred, target);
    let a = (pred - target).abs();
    if beta == T::zero() {
        return reduction.apply(a);
    }
    let q = a.clamp(T::zero(), beta);
    reduction.apply(q.square() * T::of_f64(0.5) / beta + (&a - &q))
}

/// [`bce_with_logits`] with a reduction.
#[track_caller]
pub fn bce_with_logits_with<T: Float>(
    logits: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("bce_with_logits", logits, target);
    let pos = target * &(-logits).softplus();
    let neg = target.rsub_scalar(T::one()) * logits.softplus();
    reduction.apply(pos + neg)
}

/// Binary cross-entropy on probabilities, as `F.binary_cross_entropy`:
/// `−(y·log p + (1−y)·log(1−p))`, each log clamped at −100 as PyTorch's. Mean reduction.
/// A probability of exactly 0 or 1 has a large finite gradient (PyTorch's denominator
/// `max(p(1 − p), 1e-12)`).
///
/// # Panics
/// If a probability is outside `[0, 1]` (or NaN), as PyTorch raises.
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 0.9], &[2]);
/// let y = Tensor::from_vec(vec![1.0, 1.0], &[2]);
/// assert!((loss::bce(&p, &y).item() - (2f64.ln() - 0.9f64.ln()) / 2.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn bce<T: Float>(probs: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
    bce_with(probs, target, Reduction::Mean)
}

/// [`bce`] with a reduction.
#[track_caller]
pub fn bce_with<T: Float>(
    probs: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("bce", probs, target);
    let outside = {
        let data = probs.data();
        let view = data.view();
        view.iter()
            .copied()
            .find(|v| !(*v >= T::zero() && *v <= T::one()))
    };
    if let Some(v) = outside {
        panic!("tapegrad: bce: every probability must be in [0, 1], got {v}");
    }
    reduction.apply(probs.bce_elementwise(target))
}

/// Kullback–Leibler divergence, as `F.kl_div(input, target, log_target=…)` with
/// `reduction="batchmean"` (the sum over a sample, averaged over the batch): `input` holds
/// log-probabilities; `target` probabilities (or log-probabilities with `log_target`).
///
/// ```
/// use tapegrad::{loss, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 0.5], &[1, 2]);
/// assert_eq!(loss::kl_div(&p.log(), &p, false).item(), 0.0);
/// ```
#[track_caller]
pub fn kl_div<T: Float>(log_input: &Tensor<T>, target: &Tensor<T>, log_target: bool) -> Tensor<T> {
    kl_div_with(log_input, target, log_target, Reduction::BatchMean)
}

/// [`kl_div`] with a reduction (PyTorch's `"mean"` is [`Reduction::Mean`], over elements).
#[track_caller]
pub fn kl_div_with<T: Float>(
    log_input: &Tensor<T>,
    target: &Tensor<T>,
    log_target: bool,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("kl_div", log_input, target);
    let per = if log_target {
        target.exp() * (target - log_input)
    } else {
        // t·log t is 0 at t = 0 (PyTorch's xlogy).
        let positive = target.gt(T::zero());
        let log_t = where_cond(&positive, &target.log(), T::zero());
        target * &(log_t - log_input)
    };
    reduction.apply(per)
}

/// [`nll`] with a reduction.
#[track_caller]
pub fn nll_with<T: Float, C: Targets + ?Sized>(
    log_probs: &Tensor<T>,
    targets: &C,
    reduction: Reduction,
) -> Tensor<T> {
    let targets = targets.class_indices("nll");
    check_classes("nll", log_probs, &targets);
    let index =
        ArrayD::from_shape_vec(IxDyn(&[targets.len(), 1]), targets.to_vec()).expect("[N, 1]");
    reduction.apply(-log_probs.gather(1, &index).squeeze(1))
}

/// The target of [`cross_entropy_with`]: class indices (`Tensor<i64>` or `usize`s), or class
/// probabilities as a float `[N, C]` tensor.
pub enum CrossEntropyTarget<'a, T: Float> {
    /// One class per sample.
    Classes(Vec<i64>),
    /// A distribution over the classes per sample, `[N, C]`.
    Probabilities(&'a Tensor<T>),
}

impl<'a, T: Float> From<&'a Tensor<i64>> for CrossEntropyTarget<'a, T> {
    fn from(t: &'a Tensor<i64>) -> Self {
        CrossEntropyTarget::Classes(t.to_vec())
    }
}

impl<T: Float> From<&[usize]> for CrossEntropyTarget<'_, T> {
    fn from(t: &[usize]) -> Self {
        CrossEntropyTarget::Classes(t.iter().map(|&c| c as i64).collect())
    }
}

impl<T: Float, const N: usize> From<&[usize; N]> for CrossEntropyTarget<'_, T> {
    fn from(t: &[usize; N]) -> Self {
        CrossEntropyTarget::Classes(t.iter().map(|&c| c as i64).collect())
    }
}

impl<'a, T: Float> From<&'a Tensor<T>> for CrossEntropyTarget<'a, T> {
    fn from(t: &'a Tensor<T>) -> Self {
        CrossEntropyTarget::Probabilities(t)
    }
}

/// The options of [`cross_entropy_with`], PyTorch's keyword arguments with their defaults.
#[derive(Clone, Debug)]
pub struct CrossEntropyOpts<T: Float> {
    /// A weight per class (`[C]`), or none.
    pub weight: Option<Tensor<T>>,
    /// Samples with this target count for nothing (class targets only; −100 by default).
    pub ignore_index: i64,
    /// Mixes the target with the uniform distribution: `(1 − ε)·target + ε/C`.
    pub label_smoothing: f64,
    /// How the per-sample losses reduce (a weighted mean for [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyOpts<T> {
    fn default() -> Self {
        CrossEntropyOpts {
            weight: None,
            ignore_index: -100,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

/// Cross-entropy with every option of `F.cross_entropy` for `[N, C]` logits: class weights,
/// `ignore_index`, label smoothing, a reduction, and class-probability targets.
///
/// ```
/// use tapegrad::loss::{self, CrossEntropyOpts, Reduction};
/// use tapegrad::Tensor;
/// let logits = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 2.0], &[2, 2]);
/// let y = Tensor::<i64>::from_vec(vec![0, -100], &[2]);
/// let opts = CrossEntropyOpts { label_smoothing: 0.1, ..Default::default() };
/// let l = loss::cross_entropy_with(&logits, &y, opts);
/// // Only the first sample counts: 0.95·(−log p₀) + 0.05·(−log p₁).
/// let lse = (2f64.exp() + 1.0).ln();
/// assert!((l.item() - (0.95 * (lse - 2.0) + 0.05 * lse)).abs() < 1e-12);
/// let per = loss::cross_entropy_with(&logits, &y, CrossEntropyOpts { reduction: Reduction::None, ..Default::default() });
/// assert_eq!(per.to_vec()[1], 0.0);
/// ```
#[track_caller]
pub fn cross_entropy_with<'a, T: Float>(
    logits: &Tensor<T>,
    target: impl Into<CrossEntropyTarget<'a, T>>,
    opts: CrossEntropyOpts<T>,
) -> Tensor<T> {
    let s = logits.shape();
    if s.len() != 2 {
        panic!("tapegrad: cross_entropy: expects logits [N, C], got shape {s:?}");
    }
    let (n, c) = (s[0], s[1]);
    if let Some(w) = &opts.weight
        && w.shape() != [c]
    {
        panic!(
            "tapegrad: cross_entropy: weight of shape {:?} does not match {c} classes",
            w.shape()
        );
    }
    let logp = logits.log_softmax(1);
    let eps = T::of_f64(opts.label_smoothing);
    let weight_row = match &opts.weight {
        Some(w) => w.reshape(&[1, c as isize]),
        None => Tensor::ones(&[1, c]),
    };
    match target.into() {
        CrossEntropyTarget::Probabilities(t) => {
            if t.shape() != s {
                panic!(
                    "tapegrad: cross_entropy: probability target of shape {:?} does not match \
                     logits of shape {s:?}",
                    t.shape()
                );
            }
            let smoothed = t * (T::one() - eps) + eps / T::of_f64(c as f64);
            let per = -(smoothed * &logp * &weight_row).sum_dim(1, false);
            opts.reduction.apply(per)
        }
        CrossEntropyTarget::Classes(classes) => {
            if classes.len() != n {
                panic!(
                    "tapegrad: cross_entropy: {n} samples but {} targets",
                    classes.len()
                );
            }
            // Each sample's class (0 for an ignored one, whose loss is masked out below).
            let mut picked = vec![0usize; n];
            let mut counted = vec![false; n];
            for (i, &k) in classes.iter().enumerate() {
                if k == opts.ignore_index {
                    continue;
                }
                if k < 0 || k as usize >= c {
                    panic!(
                        "tapegrad: cross_entropy: target class {k} is out of range for {c} classes"
                    );
                }
                picked[i] = k as usize;
                counted[i] = true;
            }
            let counted = Tensor::from_vec(counted, &[n]);
            let index = ArrayD::from_shape_vec(IxDyn(&[n, 1]), picked.clone()).expect("[N, 1]");
            // The log-probability of each sample's class, picked out rather than summed
            // against a one-hot row: a −∞ logit elsewhere in the row (a masked class) would
            // give −∞·0 = NaN. Ignored samples are masked with `where`, not a zero factor, for
            // the same reason.
            let target_logp = logp.gather(1, &index).squeeze(1);
            let class_weight = match &opts.weight {
                Some(w) => w.index_select(0, &picked[..]),
                None => Tensor::ones(&[n]),
            };
            // The weight of each sample's class (0 for ignored samples).
            let sample_weight = counted.where_cond(&class_weight, T::zero());
            let nll = counted.where_cond(&(-target_logp * &class_weight), T::zero());
            let per = if opts.label_smoothing > 0.0 {
                let smooth = -(&logp * &weight_row).sum_dim(1, false) / T::of_f64(c as f64);
                nll * (T::one() - eps) + counted.where_cond(&smooth, T::zero()) * eps
            } else {
                nll
            };
            match opts.reduction {
                Reduction::Mean => {
                    let total = sample_weight.sum();
                    if total.item() != T::zero() {
                        per.sum() / total
                    } else {
                        // 0/0, as PyTorch: the loss is NaN, and so is the gradient of the
                        // counted samples (of weight 0), but ignored samples get exactly 0.
                        // So a batch whose targets are all ignored leaves zero gradients.
                        let nan_where_counted = counted.where_cond(T::nan(), T::zero());
                        (per * nan_where_counted).sum() + T::nan()
                    }
                }
                r => r.apply(per),
            }
        }
    }
}
