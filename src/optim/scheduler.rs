//! Learning-rate schedules, as `torch.optim.lr_scheduler`: call `step` once per epoch, after
//! the optimizer's steps, and it sets the optimizer's learning rate for the next epoch.

use super::Optimizer;
use crate::io::AnyTensor;
use crate::{Error, Tensor};

/// A learning-rate schedule. Schedules take the optimizer by reference when made, so they
/// cannot set its rate then: for a schedule whose first rate is not the optimizer's (a
/// warm-up), call `opt.set_lr(schedule.lr())` before the first epoch (PyTorch does this in
/// the constructor).
pub trait LrScheduler: Send {
    /// Advances one epoch and sets the optimizer's learning rate.
    fn step(&mut self, opt: &mut dyn Optimizer);
    /// The learning rate the schedule gives for the current epoch.
    fn lr(&self) -> f64;

    /// The epoch count (steps taken), which is all most schedules' state is.
    fn epoch(&self) -> usize;

    /// Sets the epoch count (for resuming, and for [`SequentialLr`](super::SequentialLr),
    /// which restarts each schedule at its milestone).
    fn set_epoch(&mut self, epoch: usize);

    /// The schedule's state as named numbers, for exact resumption.
    fn state_dict(&self) -> Vec<(String, f64)> {
        vec![("epoch".into(), self.epoch() as f64)]
    }

    /// Restores [`LrScheduler::state_dict`].
    fn load_state_dict(&mut self, state: &[(String, f64)]) -> Result<(), Error> {
        let epoch = find(state, "epoch")?;
        self.set_epoch(epoch as usize);
        Ok(())
    }

    /// Saves [`LrScheduler::state_dict`] as a safetensors file of float64 scalars.
    fn save_safetensors(&self, path: impl AsRef<std::path::Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let tensors: Vec<(String, AnyTensor)> = self
            .state_dict()
            .into_iter()
            .map(|(n, v)| (n, Tensor::<f64>::scalar(v).into()))
            .collect();
        crate::io::save_safetensors(path, &tensors)
    }

    /// Loads a state saved by [`LrScheduler::save_safetensors`].
    fn load_safetensors(&mut self, path: impl AsRef<std::path::Path>) -> Result<(), Error>
    where
        Self: Sized,
    {
        let mut state = Vec::new();
        for (n, t) in crate::io::load_safetensors(path)? {
            state.push((n, t.to::<f64>().item()));
        }
        self.load_state_dict(&state)
    }
}

/// A value of a scheduler's state by name.
pub(crate) fn find(state: &[(String, f64)], name: &str) -> Result<f64, Error> {
    state
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| Error::Mismatch(format!("scheduler state: {name:?} is missing")))
}

/// The `epoch`/`set_epoch` of a schedule that keeps its count in `self.epoch`.
macro_rules! epoch_methods {
    () => {
        fn epoch(&self) -> usize {
            self.epoch
        }
        fn set_epoch(&mut self, epoch: usize) {
            self.epoch = epoch;
        }
    };
}
pub(crate) use epoch_methods;

/// Multiplies the learning rate by `gamma` every `step_size` epochs.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::optim::LrScheduler;
/// let w = Tensor::<f32>::zeros(&[1]).requires_grad();
/// let mut opt = optim::Sgd::new(vec![w], 1.0);
/// let mut sched = optim::StepLr::new(&opt, 2, 0.1);
/// for _ in 0..4 { sched.step(&mut opt); }
/// assert!((opt.lr() - 0.01).abs() < 1e-12);
/// ```
pub struct StepLr {
    base: f64,
    step_size: usize,
    gamma: f64,
    epoch: usize,
}

impl StepLr {
    /// Starts from the optimizer's current learning rate.
    pub fn new(opt: &dyn Optimizer, step_size: usize, gamma: f64) -> Self {
        StepLr {
            base: opt.lr(),
            step_size: step_size.max(1),
            gamma,
            epoch: 0,
        }
    }
}

impl LrScheduler for StepLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    epoch_methods!();
    fn lr(&self) -> f64 {
        self.base * self.gamma.powi((self.epoch / self.step_size) as i32)
    }
}

/// Multiplies the learning rate by `gamma` every epoch.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::optim::LrScheduler;
/// let w = Tensor::<f32>::zeros(&[1]).requires_grad();
/// let mut opt = optim::Sgd::new(vec![w], 1.0);
/// let mut sched = optim::ExponentialLr::new(&opt, 0.5);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert_eq!(opt.lr(), 0.25);
/// ```
pub struct ExponentialLr {
    base: f64,
    gamma: f64,
    epoch: usize,
}

impl ExponentialLr {
    /// Starts from the optimizer's current learning rate.
    pub fn new(opt: &dyn Optimizer, gamma: f64) -> Self {
        ExponentialLr {
            base: opt.lr(),
            gamma,
            epoch: 0,
        }
    }
}

impl LrScheduler for ExponentialLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    epoch_methods!();
    fn lr(&self) -> f64 {
        self.base * self.gamma.powi(self.epoch as i32)
    }
}

/// Anneals from the base rate to `eta_min` along half a cosine over `t_max` epochs.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::optim::LrScheduler;
/// let w = Tensor::<f32>::zeros(&[1]).requires_grad();
/// let mut opt = optim::Sgd::new(vec![w], 1.0);
/// let mut sched = optim::CosineAnnealingLr::new(&opt, 10, 0.0);
/// for _ in 0..5 { sched.step(&mut opt); }
/// assert!((opt.lr() - 0.5).abs() < 1e-12);
/// ```
pub struct CosineAnnealingLr {
    base: f64,
    t_max: usize,
    eta_min: f64,
    epoch: usize,
}

impl CosineAnnealingLr {
    /// Starts from the optimizer's current learning rate.
    pub fn new(opt: &dyn Optimizer, t_max: usize, eta_min: f64) -> Self {
        CosineAnnealingLr {
            base: opt.lr(),
            t_max: t_max.max(1),
            eta_min,
            epoch: 0,
        }
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    epoch_methods!();
    fn lr(&self) -> f64 {
        let t = self.epoch as f64 / self.t_max as f64;
        self.eta_min + (self.base - self.eta_min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
    }
}
