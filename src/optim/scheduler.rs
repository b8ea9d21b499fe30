//! Learning-rate schedules, as `torch.optim.lr_scheduler`: call `step` once per epoch, after
//! the optimizer's steps, and it sets the optimizer's learning rate for the next epoch.

use super::Optimizer;

/// A learning-rate schedule.
pub trait LrScheduler {
    /// Advances one epoch and sets the optimizer's learning rate.
    fn step(&mut self, opt: &mut dyn Optimizer);
    /// The learning rate the schedule gives for the current epoch.
    fn lr(&self) -> f64;
}

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
    fn lr(&self) -> f64 {
        let t = self.epoch as f64 / self.t_max as f64;
        self.eta_min + (self.base - self.eta_min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
    }
}
