//! Optimizers with PyTorch's update rules (same parameters after N steps, to rounding),
//! learning-rate schedulers, and gradient clipping. Updates happen in place and record nothing.

mod adam;
mod adaptive;
mod lbfgs;
mod rmsprop;
mod scheduler;
mod schedules;
mod sgd;
mod state;

pub use adam::{Adam, AdamW};
pub use adaptive::{Adadelta, Adagrad, Adamax, NAdam, RAdam};
pub use lbfgs::Lbfgs;
pub use rmsprop::RmsProp;
pub use scheduler::{CosineAnnealingLr, ExponentialLr, LrScheduler, StepLr};
pub use schedules::{
    CosineAnnealingWarmRestarts, LambdaLr, LinearLr, MultiStepLr, OneCycleLr, ReduceLrOnPlateau,
    SequentialLr,
};
pub use sgd::Sgd;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::io::AnyTensor;
use crate::{Error, Float, Tensor};

/// PyTorch's check of a constructor argument: `Err` with its message unless `ok`.
pub(crate) fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(message()))
    }
}

/// A value that must be a number ≥ 0 (NaN fails), named as PyTorch names it.
pub(crate) fn check_nonnegative(what: &str, v: f64) -> Result<(), Error> {
    check(v >= 0.0, || format!("Invalid {what} value: {v}"))
}

/// A beta that must lie in [0, 1).
pub(crate) fn check_beta(index: usize, b: f64) -> Result<(), Error> {
    check((0.0..1.0).contains(&b), || {
        format!("Invalid beta parameter at index {index}: {b}")
    })
}

/// What every optimizer checks first: some parameters, and a learning rate ≥ 0.
pub(crate) fn check_params<T: Float>(params: &[Tensor<T>], lr: f64) -> Result<(), Error> {
    check(!params.is_empty(), || {
        "optimizer got an empty parameter list".into()
    })?;
    check(lr >= 0.0, || format!("Invalid learning rate: {lr}"))
}

pub(crate) use crate::error::or_panic;

/// An optimizer's momentum (SGD's and RMSprop's `momentum`, β₁ of the Adam family) as a
/// handle it shares: a schedule made from `&opt` keeps one and sets the value the
/// optimizer's next step uses, as PyTorch's schedulers write into the optimizer's param
/// groups ([`OneCycleLr`] cycles it this way).
///
/// ```
/// use tapegrad::{optim::{Optimizer, Sgd}, Tensor};
/// let opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 0.1).momentum(0.9);
/// let m = opt.momentum_handle().unwrap();
/// assert_eq!(m.get(), 0.9);
/// m.set(0.5);
/// assert_eq!(opt.momentum_handle().unwrap().get(), 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct MomentumHandle(Arc<AtomicU64>);

impl MomentumHandle {
    pub(crate) fn new(value: f64) -> Self {
        MomentumHandle(Arc::new(AtomicU64::new(value.to_bits())))
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Sets the value the optimizer's next step uses.
    ///
    /// # Panics
    /// If `value` is negative or NaN.
    #[track_caller]
    pub fn set(&self, value: f64) {
        or_panic(check_nonnegative("momentum", value));
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// What every optimizer does; object-safe, so `Box<dyn Optimizer>` works.
///
/// ```
/// use tapegrad::prelude::*;
/// let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad();
/// let mut opt: Box<dyn Optimizer> = Box::new(optim::Sgd::new(vec![w.clone()], 0.1));
/// (&w * 2.0).sum().backward();
/// opt.step();
/// opt.zero_grad();
/// assert_eq!(w.to_vec(), vec![0.8]);
/// assert!(w.grad().is_none());
/// ```
pub trait Optimizer {
    /// Updates every parameter that has a gradient.
    fn step(&mut self);
    /// Clears every parameter's gradient.
    fn zero_grad(&mut self);
    /// The current learning rate.
    fn lr(&self) -> f64;
    /// Sets the learning rate (schedulers call this).
    ///
    /// # Panics
    /// If `lr` is negative or NaN.
    #[track_caller]
    fn set_lr(&mut self, lr: f64);

    /// The optimizer's momentum as a shared handle: SGD's and RMSprop's `momentum`, β₁ of
    /// `Adam`, `AdamW`, `Adamax`, `NAdam` and `RAdam`; `None` for optimizers without one
    /// (`Adagrad`, `Adadelta`, `Lbfgs`), as PyTorch's `OneCycleLR` tells them apart.
    fn momentum_handle(&self) -> Option<MomentumHandle> {
        None
    }

    /// The optimizer's whole state — step count, learning rate, every per-parameter buffer
    /// — as named tensors, from which [`Optimizer::load_state_dict`] resumes exactly (an
    /// optimizer without its own form keeps its learning rate only).
    fn state_dict(&self) -> Vec<(String, AnyTensor)> {
        let mut s = Vec::new();
        state::put_scalar(&mut s, "lr", self.lr());
        s
    }

    /// Restores a state saved by [`Optimizer::state_dict`] of the same optimizer type over
    /// the same parameters; an `Err` (wrong type, count, shape or dtype) changes nothing.
    fn load_state_dict(&mut self, state: &[(String, AnyTensor)]) -> Result<(), Error> {
        self.set_lr(state::scalar(state, "lr")?);
        Ok(())
    }

    /// Saves [`Optimizer::state_dict`] as a safetensors file.
    ///
    /// ```
    /// use tapegrad::{optim::{Adam, Optimizer}, Tensor};
    /// let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad();
    /// let mut a = Adam::new(vec![w.clone()], 0.1);
    /// w.square().sum().backward();
    /// a.step();
    /// let path = std::env::temp_dir().join("tapegrad_adam_doc.safetensors");
    /// a.save_safetensors(&path).unwrap();
    /// let mut b = Adam::new(vec![w.clone()], 0.5);
    /// b.load_safetensors(&path).unwrap();
    /// assert_eq!(b.lr(), 0.1);
    /// ```
    fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        crate::io::save_safetensors(path, &self.state_dict())
    }

    /// Loads a state saved by [`Optimizer::save_safetensors`].
    fn load_safetensors(&mut self, path: impl AsRef<Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let state = crate::io::load_safetensors(path)?;
        self.load_state_dict(&state)
    }
}

/// The parameters an optimizer updates and their learning rate (PyTorch's param group).
pub(crate) struct Params<T: Float> {
    pub(crate) tensors: Vec<Tensor<T>>,
    /// The first group's rate; schedules set it, and other groups follow in proportion.
    pub(crate) lr: f64,
    /// Per tensor: its group's rate over the first group's (1 in the first group).
    pub(crate) lr_scale: Vec<f64>,
    /// Per tensor: its group's weight decay, when the group set one.
    pub(crate) weight_decay: Vec<Option<f64>>,
}

/// Parameters with their own learning rate or weight decay, added to an optimizer with
/// `add_param_group` (PyTorch's param groups). A schedule scales every group's rate in
/// proportion to the first group's.
///
/// ```
/// use tapegrad::{optim::{Optimizer, ParamGroup, Sgd}, Tensor};
/// let body = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let head = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = Sgd::new(vec![body.clone()], 0.1);
/// opt.add_param_group(ParamGroup::new(vec![head.clone()]).lr(0.01));
/// (&body + &head).sum().backward();
/// opt.step();
/// assert!((body.item() - 0.9).abs() < 1e-12 && (head.item() - 0.99).abs() < 1e-12);
/// ```
pub struct ParamGroup<T: Float = f32> {
    params: Vec<Tensor<T>>,
    lr: Option<f64>,
    weight_decay: Option<f64>,
}

impl<T: Float> ParamGroup<T> {
    /// A group with the optimizer's own settings, until set.
    pub fn new(params: Vec<Tensor<T>>) -> Self {
        ParamGroup {
            params,
            lr: None,
            weight_decay: None,
        }
    }

    /// The group's learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = Some(lr);
        self
    }

    /// The group's weight decay.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.weight_decay = Some(w);
        self
    }
}

/// The `Optimizer` methods that only touch the parameter group, for an optimizer whose group
/// is the field `params`.
macro_rules! group_methods {
    () => {
        fn zero_grad(&mut self) {
            self.params.zero_grad();
        }

        fn lr(&self) -> f64 {
            self.params.lr
        }

        #[track_caller]
        fn set_lr(&mut self, lr: f64) {
            $crate::optim::or_panic($crate::optim::check(lr >= 0.0, || {
                format!("Invalid learning rate: {lr}")
            }));
            self.params.lr = lr;
        }
    };
}
pub(crate) use group_methods;

impl<T: Float> Params<T> {
    /// Adds a parameter group.
    #[track_caller]
    pub(crate) fn add_group(&mut self, group: ParamGroup<T>) -> Result<(), Error> {
        check(!group.params.is_empty(), || {
            "optimizer got an empty parameter list".into()
        })?;
        let lr = group.lr.unwrap_or(self.lr);
        check(lr >= 0.0, || format!("Invalid learning rate: {lr}"))?;
        if let Some(w) = group.weight_decay {
            check_nonnegative("weight_decay", w)?;
        }
        check(self.lr > 0.0 || lr == 0.0, || {
            "a group with its own learning rate needs a nonzero first rate".into()
        })?;
        let scale = if self.lr > 0.0 { lr / self.lr } else { 1.0 };
        for t in group.params {
            self.tensors.push(t);
            self.lr_scale.push(scale);
            self.weight_decay.push(group.weight_decay);
        }
        Ok(())
    }

    /// The learning rate of tensor `i`.
    pub(crate) fn lr_of(&self, i: usize) -> f64 {
        self.lr * self.lr_scale[i]
    }

    /// The weight decay of tensor `i` (`default` unless its group set one).
    pub(crate) fn wd_of(&self, i: usize, default: f64) -> f64 {
        self.weight_decay[i].unwrap_or(default)
    }

    pub(crate) fn new(tensors: Vec<Tensor<T>>, lr: f64) -> Self {
        let n = tensors.len();
        Params {
            tensors,
            lr,
            lr_scale: vec![1.0; n],
            weight_decay: vec![None; n],
        }
    }

    pub(crate) fn zero_grad(&self) {
        for p in &self.tensors {
            p.zero_grad();
        }
    }
}

/// Scales all gradients together so that their joint L2 norm is at most `max_norm`, as
/// `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
///
/// ```
/// use tapegrad::prelude::*;
/// let w = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).requires_grad();
/// (&w * &Tensor::from_vec(vec![3.0, 4.0], &[2])).sum().backward();
/// let norm = optim::clip_grad_norm(&[w.clone()], 1.0);
/// assert_eq!(norm, 5.0);
/// let g = w.grad().unwrap().to_vec();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Float>(params: &[Tensor<T>], max_norm: T) -> T {
    let grads: Vec<Tensor<T>> = params.iter().filter_map(|p| p.grad()).collect();
    let total = grads
        .iter()
        .map(|g| {
            let n = g.data().view().iter().map(|&v| v * v).sum::<T>().sqrt();
            n * n
        })
        .sum::<T>()
        .sqrt();
    let coef = (max_norm / (total + T::of_f64(1e-6))).min(T::one());
    for g in &grads {
        g.data_mut().view_mut().mapv_inplace(|v| v * coef);
    }
    total
}
