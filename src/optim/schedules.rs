//! More schedules of `torch.optim.lr_scheduler`: `LinearLr`, `MultiStepLr`, `LambdaLr`,
//! `OneCycleLr`, `CosineAnnealingWarmRestarts`, `SequentialLr`, `ReduceLrOnPlateau`. Each
//! computes the rate of epoch `t` in closed form from the optimizer's rate when it was made.

use std::f64::consts::PI;

use super::scheduler::{LrScheduler, epoch_methods, find};
use super::{MomentumHandle, Optimizer};
use crate::Error;

/// Scales the rate linearly from `start_factor` to `end_factor` over `total_iters` epochs,
/// as `LinearLR` (a warm-up).
///
/// ```
/// use tapegrad::{optim::{LinearLr, LrScheduler, Optimizer, Sgd}, Tensor};
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 0.1);
/// let mut s = LinearLr::new(&opt, 0.5, 1.0, 2);
/// assert!((s.lr() - 0.05).abs() < 1e-12);
/// s.step(&mut opt);
/// assert!((opt.lr() - 0.075).abs() < 1e-12);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert!((opt.lr() - 0.1).abs() < 1e-12);
/// ```
pub struct LinearLr {
    base: f64,
    start: f64,
    end: f64,
    total: usize,
    epoch: usize,
}

impl LinearLr {
    /// From `start_factor`·lr to `end_factor`·lr in `total_iters` epochs.
    pub fn new(
        opt: &dyn Optimizer,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Self {
        LinearLr {
            base: opt.lr(),
            start: start_factor,
            end: end_factor,
            total: total_iters,
            epoch: 0,
        }
    }
}

impl LrScheduler for LinearLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    fn lr(&self) -> f64 {
        let done = if self.total == 0 {
            1.0
        } else {
            self.epoch.min(self.total) as f64 / self.total as f64
        };
        self.base * (self.start + (self.end - self.start) * done)
    }
    epoch_methods!();
}

/// Multiplies the rate by `gamma` at each milestone epoch, as `MultiStepLR`.
///
/// ```
/// use tapegrad::{optim::{MultiStepLr, LrScheduler, Sgd}, Tensor};
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 1.0);
/// let mut s = MultiStepLr::new(&opt, &[1, 3], 0.5);
/// let lrs: Vec<f64> = (0..4).map(|_| { s.step(&mut opt); s.lr() }).collect();
/// assert_eq!(lrs, vec![0.5, 0.5, 0.25, 0.25]);
/// ```
pub struct MultiStepLr {
    base: f64,
    milestones: Vec<usize>,
    gamma: f64,
    epoch: usize,
}

impl MultiStepLr {
    /// Decays by `gamma` at every epoch in `milestones`.
    pub fn new(opt: &dyn Optimizer, milestones: &[usize], gamma: f64) -> Self {
        MultiStepLr {
            base: opt.lr(),
            milestones: milestones.to_vec(),
            gamma,
            epoch: 0,
        }
    }
}

impl LrScheduler for MultiStepLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    fn lr(&self) -> f64 {
        let passed = self.milestones.iter().filter(|&&m| m <= self.epoch).count();
        self.base * self.gamma.powi(passed as i32)
    }
    epoch_methods!();
}

/// The rate `lr·f(epoch)`, as `LambdaLR`.
///
/// ```
/// use tapegrad::{optim::{LambdaLr, LrScheduler, Sgd}, Tensor};
/// let opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 0.1);
/// let s = LambdaLr::new(&opt, |epoch| 1.0 / (epoch as f64 + 1.0));
/// assert!((s.lr() - 0.1).abs() < 1e-12);
/// ```
pub struct LambdaLr {
    base: f64,
    f: Box<dyn Fn(usize) -> f64 + Send>,
    epoch: usize,
}

impl LambdaLr {
    /// The rate scaled by `f(epoch)`.
    pub fn new(opt: &dyn Optimizer, f: impl Fn(usize) -> f64 + Send + 'static) -> Self {
        LambdaLr {
            base: opt.lr(),
            f: Box::new(f),
            epoch: 0,
        }
    }
}

impl LrScheduler for LambdaLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    fn lr(&self) -> f64 {
        self.base * (self.f)(self.epoch)
    }
    epoch_methods!();
}

/// The one-cycle policy, as `OneCycleLR` with its defaults (stepped once per batch): the
/// rate from `max_lr/25` up to `max_lr` over the first 30% of `total_steps` and down to
/// `max_lr/25/10⁴`, both by cosine annealing; the optimizer's own rate is not used. The
/// momentum (SGD's and RMSprop's, β₁ of the Adam family) goes the other way, from 0.95 down
/// to 0.85 and back (PyTorch's `cycle_momentum=True`): the schedule sets it to 0.95 when it
/// is made, through the optimizer's [`MomentumHandle`](super::MomentumHandle).
///
/// As with every schedule here, set the starting rate yourself before the first step
/// (`opt.set_lr(s.lr())`; PyTorch's constructor does it).
///
/// # Panics
/// At its first step, if momentum is cycled and the optimizer has none (`Adagrad`,
/// `Adadelta`, `Lbfgs`): PyTorch's `ValueError`. Use `.cycle_momentum(false)` there. And
/// when stepped more than `total_steps` times, as PyTorch.
///
/// ```
/// use tapegrad::{optim::{OneCycleLr, LrScheduler, Optimizer, Sgd}, Tensor};
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 0.1);
/// let mut s = OneCycleLr::new(&opt, 1.0, 10);
/// assert!((s.lr() - 0.04).abs() < 1e-12);
/// assert_eq!(opt.momentum_handle().unwrap().get(), 0.95);
/// for _ in 0..2 { s.step(&mut opt); }
/// assert!((opt.lr() - 1.0).abs() < 1e-12); // the peak at step 0.3·10 − 1
/// assert!((opt.momentum_handle().unwrap().get() - 0.85).abs() < 1e-12);
/// ```
pub struct OneCycleLr {
    max_lr: f64,
    total: usize,
    pct_start: f64,
    div_factor: f64,
    final_div_factor: f64,
    /// The optimizer's momentum (`None` for an optimizer without one).
    momentum: Option<MomentumHandle>,
    /// Whether the schedule cycles it (the default).
    cycle: bool,
    /// The optimizer's momentum before the schedule set it, for `cycle_momentum(false)`.
    own_momentum: f64,
    base_momentum: f64,
    max_momentum: f64,
    epoch: usize,
}

impl OneCycleLr {
    /// A cycle of `total_steps` batches peaking at `max_lr`; sets the optimizer's momentum
    /// to its starting value (0.95).
    pub fn new(opt: &dyn Optimizer, max_lr: f64, total_steps: usize) -> Self {
        let momentum = opt.momentum_handle();
        let own_momentum = momentum.as_ref().map_or(0.0, |m| m.get());
        let s = OneCycleLr {
            max_lr,
            total: total_steps.max(2),
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
            momentum,
            cycle: true,
            own_momentum,
            base_momentum: 0.85,
            max_momentum: 0.95,
            epoch: 0,
        };
        s.set_momentum();
        s
    }

    /// The fraction of the cycle spent rising (0.3).
    pub fn pct_start(mut self, p: f64) -> Self {
        self.pct_start = p;
        self.set_momentum();
        self
    }

    /// `max_lr / initial_lr` (25).
    pub fn div_factor(mut self, d: f64) -> Self {
        self.div_factor = d;
        self
    }

    /// `initial_lr / min_lr` (10⁴).
    pub fn final_div_factor(mut self, d: f64) -> Self {
        self.final_div_factor = d;
        self
    }

    /// Whether the momentum is cycled (default true). `false` gives the optimizer back the
    /// momentum it had when the schedule was made, and leaves it alone.
    pub fn cycle_momentum(mut self, on: bool) -> Self {
        self.cycle = on;
        match &self.momentum {
            Some(m) if !on => m.set(self.own_momentum),
            _ => self.set_momentum(),
        }
        self
    }

    /// The lowest momentum, at the rate's peak (0.85).
    pub fn base_momentum(mut self, m: f64) -> Self {
        self.base_momentum = m;
        self.set_momentum();
        self
    }

    /// The highest momentum, at the start and the end (0.95).
    pub fn max_momentum(mut self, m: f64) -> Self {
        self.max_momentum = m;
        self.set_momentum();
        self
    }

    /// Where the current step is: whether it is in the rising phase, and how far along
    /// its phase (0 to 1).
    fn phase(&self) -> (bool, f64) {
        let end_up = self.pct_start * self.total as f64 - 1.0;
        let end = (self.total - 1) as f64;
        let t = self.epoch as f64;
        if t <= end_up {
            (true, t / end_up)
        } else {
            (false, (t - end_up) / (end - end_up))
        }
    }

    /// The momentum of the current step: cosine annealing opposite to the rate.
    pub fn momentum(&self) -> f64 {
        let (max, base) = (self.max_momentum, self.base_momentum);
        match self.phase() {
            (true, pct) => cos_anneal(max, base, pct),
            (false, pct) => cos_anneal(base, max, pct),
        }
    }

    fn set_momentum(&self) {
        if let Some(m) = self.momentum.as_ref().filter(|_| self.cycle) {
            m.set(self.momentum());
        }
    }
}

fn cos_anneal(start: f64, end: f64, pct: f64) -> f64 {
    end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0)
}

impl LrScheduler for OneCycleLr {
    #[track_caller]
    fn step(&mut self, opt: &mut dyn Optimizer) {
        assert!(
            !self.cycle || self.momentum.is_some(),
            "tapegrad: OneCycleLr: optimizer must support momentum or beta1 with \
             `cycle_momentum` option enabled (use .cycle_momentum(false))"
        );
        // PyTorch allows `total_steps` steps after the constructor's (the last one a step
        // past the cycle's end, where the cosine turns up again) and refuses more.
        assert!(
            self.epoch < self.total,
            "tapegrad: OneCycleLr: tried to step {} times; the specified number of total steps \
             is {}",
            self.epoch + 2,
            self.total
        );
        self.epoch += 1;
        opt.set_lr(self.lr());
        self.set_momentum();
    }
    fn lr(&self) -> f64 {
        let initial = self.max_lr / self.div_factor;
        let min = initial / self.final_div_factor;
        match self.phase() {
            (true, pct) => cos_anneal(initial, self.max_lr, pct),
            (false, pct) => cos_anneal(self.max_lr, min, pct),
        }
    }
    fn epoch(&self) -> usize {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        self.set_momentum();
    }
}

/// Cosine annealing with warm restarts, as `CosineAnnealingWarmRestarts`: periods of `t_0`,
/// then `t_0·t_mult`, ... epochs, each from the base rate down toward `eta_min`.
///
/// ```
/// use tapegrad::{optim::{CosineAnnealingWarmRestarts, LrScheduler, Sgd}, Tensor};
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 1.0);
/// let mut s = CosineAnnealingWarmRestarts::new(&opt, 2, 1, 0.0);
/// s.step(&mut opt);
/// assert!((s.lr() - 0.5).abs() < 1e-12);
/// s.step(&mut opt);
/// assert!((s.lr() - 1.0).abs() < 1e-12); // restarted
/// ```
pub struct CosineAnnealingWarmRestarts {
    base: f64,
    t_0: usize,
    t_mult: usize,
    eta_min: f64,
    epoch: usize,
}

impl CosineAnnealingWarmRestarts {
    /// A first period of `t_0` epochs, each next one `t_mult` times longer.
    pub fn new(opt: &dyn Optimizer, t_0: usize, t_mult: usize, eta_min: f64) -> Self {
        CosineAnnealingWarmRestarts {
            base: opt.lr(),
            t_0: t_0.max(1),
            t_mult: t_mult.max(1),
            eta_min,
            epoch: 0,
        }
    }
}

impl LrScheduler for CosineAnnealingWarmRestarts {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr());
    }
    fn lr(&self) -> f64 {
        // Where the current epoch falls: t_cur epochs into a period of t_i.
        let (mut t_cur, mut t_i) = (self.epoch, self.t_0);
        while t_cur >= t_i {
            t_cur -= t_i;
            t_i *= self.t_mult;
        }
        self.eta_min
            + (self.base - self.eta_min) * (1.0 + (PI * t_cur as f64 / t_i as f64).cos()) / 2.0
    }
    epoch_methods!();
}

/// Runs `schedulers` one after another, switching at each milestone epoch (and restarting
/// the next one from its own epoch 0), as `SequentialLR`: warm-up then cosine.
///
/// ```
/// use tapegrad::optim::{CosineAnnealingLr, LinearLr, LrScheduler, Optimizer, SequentialLr, Sgd};
/// use tapegrad::Tensor;
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 1.0);
/// let warm = LinearLr::new(&opt, 0.1, 1.0, 2);
/// let cos = CosineAnnealingLr::new(&opt, 4, 0.0);
/// let mut s = SequentialLr::new(&opt, vec![Box::new(warm), Box::new(cos)], &[2]);
/// let lrs: Vec<f64> = (0..3).map(|_| { s.step(&mut opt); opt.lr() }).collect();
/// assert!((lrs[0] - 0.55).abs() < 1e-12 && (lrs[1] - 1.0).abs() < 1e-12);
/// ```
pub struct SequentialLr {
    schedulers: Vec<Box<dyn LrScheduler>>,
    milestones: Vec<usize>,
    epoch: usize,
}

impl SequentialLr {
    /// `schedulers[i]` runs from `milestones[i − 1]` to `milestones[i]`.
    ///
    /// # Panics
    /// If there is not exactly one milestone fewer than schedulers.
    #[track_caller]
    pub fn new(
        opt: &dyn Optimizer,
        schedulers: Vec<Box<dyn LrScheduler>>,
        milestones: &[usize],
    ) -> Self {
        let _ = opt;
        assert!(
            !schedulers.is_empty() && milestones.len() + 1 == schedulers.len(),
            "tapegrad: SequentialLr: {} schedulers need {} milestones, got {}",
            schedulers.len(),
            schedulers.len().saturating_sub(1),
            milestones.len()
        );
        SequentialLr {
            schedulers,
            milestones: milestones.to_vec(),
            epoch: 0,
        }
    }

    /// The active schedule at the current epoch and its own epoch.
    fn active(&self) -> (usize, usize) {
        let idx = self.milestones.iter().filter(|&&m| m <= self.epoch).count();
        let start = if idx == 0 {
            0
        } else {
            self.milestones[idx - 1]
        };
        (idx, self.epoch - start)
    }
}

impl LrScheduler for SequentialLr {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.set_epoch(self.epoch + 1);
        opt.set_lr(self.lr());
    }
    fn lr(&self) -> f64 {
        let (idx, _) = self.active();
        self.schedulers[idx].lr()
    }
    fn epoch(&self) -> usize {
        self.epoch
    }
    fn set_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        let (idx, own) = self.active();
        self.schedulers[idx].set_epoch(own);
    }
}

/// Lowers the rate when a metric stops improving, as `ReduceLROnPlateau` (mode `min`,
/// relative threshold 1e-4): after more than `patience` epochs without improvement the rate
/// is multiplied by `factor`. Feed it with [`ReduceLrOnPlateau::step_metric`].
///
/// ```
/// use tapegrad::{optim::{LrScheduler, Optimizer, ReduceLrOnPlateau, Sgd}, Tensor};
/// let mut opt = Sgd::new(vec![Tensor::<f32>::zeros(&[1]).requires_grad()], 1.0);
/// let mut s = ReduceLrOnPlateau::new(&opt).factor(0.5).patience(1);
/// for loss in [1.0, 0.9, 0.95, 0.95] {
///     s.step_metric(&mut opt, loss);
/// }
/// assert_eq!(opt.lr(), 0.5);
/// ```
pub struct ReduceLrOnPlateau {
    lr: f64,
    factor: f64,
    patience: usize,
    threshold: f64,
    cooldown: usize,
    min_lr: f64,
    best: f64,
    bad_epochs: usize,
    cooldown_left: usize,
    epoch: usize,
}

impl ReduceLrOnPlateau {
    /// PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4, no cooldown, min_lr 0.
    pub fn new(opt: &dyn Optimizer) -> Self {
        ReduceLrOnPlateau {
            lr: opt.lr(),
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            best: f64::INFINITY,
            bad_epochs: 0,
            cooldown_left: 0,
            epoch: 0,
        }
    }

    /// The multiplier applied on a plateau.
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor < 1.0,
            "tapegrad: ReduceLrOnPlateau: factor should be < 1.0"
        );
        self.factor = factor;
        self
    }

    /// Epochs without improvement tolerated.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The relative improvement that counts.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Epochs to wait after a reduction.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The lowest rate.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Records this epoch's `metric` (lower is better) and lowers the rate on a plateau.
    pub fn step_metric(&mut self, opt: &mut dyn Optimizer, metric: f64) {
        self.epoch += 1;
        if metric < self.best * (1.0 - self.threshold) {
            self.best = metric;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > self.patience {
            let new = (self.lr * self.factor).max(self.min_lr);
            if self.lr - new > 1e-8 {
                self.lr = new;
                opt.set_lr(new);
            }
            self.cooldown_left = self.cooldown;
            self.bad_epochs = 0;
        }
    }
}

impl LrScheduler for ReduceLrOnPlateau {
    /// Without a metric there is nothing to react to: the rate stays.
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.epoch += 1;
        opt.set_lr(self.lr);
    }
    fn lr(&self) -> f64 {
        self.lr
    }
    epoch_methods!();
    fn state_dict(&self) -> Vec<(String, f64)> {
        vec![
            ("epoch".into(), self.epoch as f64),
            ("lr".into(), self.lr),
            ("best".into(), self.best),
            ("bad_epochs".into(), self.bad_epochs as f64),
            ("cooldown_left".into(), self.cooldown_left as f64),
        ]
    }
    fn load_state_dict(&mut self, state: &[(String, f64)]) -> Result<(), Error> {
        self.epoch = find(state, "epoch")? as usize;
        self.lr = find(state, "lr")?;
        self.best = find(state, "best")?;
        self.bad_epochs = find(state, "bad_epochs")? as usize;
        self.cooldown_left = find(state, "cooldown_left")? as usize;
        Ok(())
    }
}
