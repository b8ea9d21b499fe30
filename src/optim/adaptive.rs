//! Per-coordinate adaptive optimizers beyond Adam: `Adagrad`, `Adadelta`, `Adamax`, `NAdam`,
//! `RAdam`, each with PyTorch's defaults and update rule (`torch.optim`, single-tensor form).

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Zip};

use super::state::{self, State};
use super::{
    MomentumHandle, Optimizer, ParamGroup, Params, check_beta, check_nonnegative, check_params,
    or_panic,
};
use crate::io::AnyTensor;
use crate::{Error, Float, Tensor};

/// What every optimizer here shares: the parameters, the step count, weight decay (added to
/// the gradient, L2), `maximize`.
struct Common<T: Float> {
    params: Params<T>,
    step: i32,
    weight_decay: f64,
    maximize: bool,
}

impl<T: Float> Common<T> {
    fn new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        check_params(&params, lr)?;
        Ok(Common {
            params: Params::new(params, lr),
            step: 0,
            weight_decay: 0.0,
            maximize: false,
        })
    }

    /// The gradient of tensor `i` as the update sees it: negated with `maximize`, plus
    /// `wd·p`.
    fn effective(&self, i: usize, g: &ArrayViewD<'_, T>, p: &ArrayViewD<'_, T>) -> ArrayD<T> {
        let sign = if self.maximize { -T::one() } else { T::one() };
        let weight_decay = self.params.wd_of(i, self.weight_decay);
        let wd = T::of_f64(weight_decay);
        let mut out = g.mapv(|v| v * sign);
        if weight_decay != 0.0 {
            Zip::from(&mut out).and(p).for_each(|o, &w| *o += wd * w);
        }
        out
    }

    /// Calls `update(index, learning rate, parameter, effective gradient)` for every
    /// parameter with a gradient; the parameter is updated in place.
    fn each(&mut self, mut update: impl FnMut(usize, f64, &mut ArrayViewMutD<'_, T>, &ArrayD<T>)) {
        self.step += 1;
        for (i, p) in self.params.tensors.iter().enumerate() {
            let Some(grad) = p.grad() else { continue };
            let eff = self.effective(i, &grad.data().view(), &p.data().view());
            let mut data = p.data_mut();
            update(i, self.params.lr_of(i), &mut data.view_mut(), &eff);
        }
    }

    fn state(&self, kind: f64) -> State {
        let mut s = State::new();
        state::put_scalar(&mut s, "kind", kind);
        state::put_scalar(&mut s, "num_params", self.params.tensors.len() as f64);
        state::put_scalar(&mut s, "step", self.step as f64);
        state::put_scalar(&mut s, "lr", self.params.lr);
        s
    }

    fn load(&mut self, s: &[(String, AnyTensor)], kind: f64) -> Result<(), Error> {
        state::check_kind(s, kind, self.params.tensors.len())?;
        self.step = state::scalar(s, "step")? as i32;
        self.params.lr = state::scalar(s, "lr")?;
        Ok(())
    }
}

/// State beyond the step, the rate and the per-parameter buffers (NAdam's momentum product).
trait Extra {
    /// The momentum a schedule may cycle (β₁ of the Adam family).
    fn momentum_handle(&self) -> Option<MomentumHandle> {
        None
    }
    fn extra_state(&self, _: &mut State) {}
    fn load_extra(&mut self, _: &[(String, AnyTensor)]) -> Result<(), Error> {
        Ok(())
    }
}

/// The builders and `Optimizer` methods every optimizer here has.
macro_rules! common_api {
    ($name:ident, $kind:expr, [$($buf:ident),*]) => {
        impl<T: Float> $name<T> {
            /// Adds `w·p` to each gradient (L2 regularisation).
            #[track_caller]
            pub fn weight_decay(mut self, w: f64) -> Self {
                or_panic(check_nonnegative("weight_decay", w));
                self.common.weight_decay = w;
                self
            }

            /// Ascends the objective instead of descending it.
            pub fn maximize(mut self, maximize: bool) -> Self {
                self.common.maximize = maximize;
                self
            }

            /// Adds parameters with their own learning rate or weight decay.
            ///
            /// # Panics
            /// If the group is empty or a setting is invalid.
            #[track_caller]
            pub fn add_param_group(&mut self, group: ParamGroup<T>) {
                or_panic(self.common.params.add_group(group));
                let n = self.common.params.tensors.len();
                $(self.$buf.resize(n, None);)*
            }
        }

        impl<T: Float> Optimizer for $name<T> {
            fn step(&mut self) {
                $name::update(self);
            }
            fn zero_grad(&mut self) {
                self.common.params.zero_grad();
            }
            fn lr(&self) -> f64 {
                self.common.params.lr
            }
            #[track_caller]
            fn set_lr(&mut self, lr: f64) {
                or_panic(super::check(lr >= 0.0, || format!("Invalid learning rate: {lr}")));
                self.common.params.lr = lr;
            }
            fn momentum_handle(&self) -> Option<MomentumHandle> {
                Extra::momentum_handle(self)
            }
            fn state_dict(&self) -> Vec<(String, AnyTensor)> {
                let mut s = self.common.state($kind);
                $(state::put_buffers(&mut s, stringify!($buf), &self.$buf);)*
                self.extra_state(&mut s);
                s
            }
            fn load_state_dict(&mut self, s: &[(String, AnyTensor)]) -> Result<(), Error> {
                let params = &self.common.params.tensors;
                $(let $buf = state::buffers(s, stringify!($buf), params)?;)*
                self.load_extra(s)?;
                self.common.load(s, $kind)?;
                $(self.$buf = $buf;)*
                Ok(())
            }
        }
    };
}

/// `Adagrad`, as `torch.optim.Adagrad`: `p −= lr/(1 + (t−1)·lr_decay) · g/(√Σg² + eps)`.
///
/// ```
/// use tapegrad::{optim::{Adagrad, Optimizer}, Tensor};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = Adagrad::new(vec![w.clone()], 0.1).lr_decay(0.01);
/// w.square().sum().backward();
/// opt.step();
/// assert!((w.item() - 0.9).abs() < 1e-9); // the first step is lr·sign(g)
/// ```
pub struct Adagrad<T: Float = f32> {
    common: Common<T>,
    lr_decay: f64,
    eps: f64,
    initial_accumulator_value: f64,
    sum: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> Adagrad<T> {
    /// Adagrad with learning rate `lr` (PyTorch's default 1e-2), eps 1e-10.
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`Adagrad::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        let n = params.len();
        Ok(Adagrad {
            common: Common::new(params, lr)?,
            lr_decay: 0.0,
            eps: 1e-10,
            initial_accumulator_value: 0.0,
            sum: vec![None; n],
        })
    }

    /// Decays the learning rate as `lr/(1 + (t−1)·lr_decay)`.
    #[track_caller]
    pub fn lr_decay(mut self, d: f64) -> Self {
        or_panic(check_nonnegative("lr_decay", d));
        self.lr_decay = d;
        self
    }

    /// Added to the root of the sum of squares.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Self {
        or_panic(check_nonnegative("epsilon", eps));
        self.eps = eps;
        self
    }

    /// The sum of squares' starting value.
    #[track_caller]
    pub fn initial_accumulator_value(mut self, v: f64) -> Self {
        or_panic(check_nonnegative("initial_accumulator_value", v));
        self.initial_accumulator_value = v;
        self
    }

    fn update(&mut self) {
        let t = self.common.step + 1;
        let decay = 1.0 + (t - 1) as f64 * self.lr_decay;
        let (eps, init) = (
            T::of_f64(self.eps),
            T::of_f64(self.initial_accumulator_value),
        );
        let sums = &mut self.sum;
        self.common.each(|i, lr, w, g| {
            let clr = T::of_f64(lr / decay);
            let s = sums[i].get_or_insert_with(|| ArrayD::from_elem(w.raw_dim(), init));
            Zip::from(w).and(g).and(s).for_each(|w, &g, s| {
                *s += g * g;
                *w -= clr * g / (s.sqrt() + eps);
            });
        });
    }
}

impl<T: Float> Extra for Adagrad<T> {}
common_api!(Adagrad, 5.0, [sum]);

/// `Adadelta`, as `torch.optim.Adadelta` (lr 1.0, rho 0.9, eps 1e-6 by default).
///
/// ```
/// use tapegrad::{optim::{Adadelta, Optimizer}, Tensor};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = Adadelta::new(vec![w.clone()], 1.0);
/// w.square().sum().backward();
/// opt.step();
/// assert!(w.item() < 1.0);
/// ```
pub struct Adadelta<T: Float = f32> {
    common: Common<T>,
    rho: f64,
    eps: f64,
    square_avg: Vec<Option<ArrayD<T>>>,
    acc_delta: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> Adadelta<T> {
    /// Adadelta with learning rate `lr` (PyTorch's default 1.0).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`Adadelta::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        let n = params.len();
        Ok(Adadelta {
            common: Common::new(params, lr)?,
            rho: 0.9,
            eps: 1e-6,
            square_avg: vec![None; n],
            acc_delta: vec![None; n],
        })
    }

    /// The decay of the running averages.
    #[track_caller]
    pub fn rho(mut self, rho: f64) -> Self {
        or_panic(super::check((0.0..=1.0).contains(&rho), || {
            format!("Invalid rho value: {rho}")
        }));
        self.rho = rho;
        self
    }

    /// Added inside both roots.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Self {
        or_panic(check_nonnegative("epsilon", eps));
        self.eps = eps;
        self
    }

    fn update(&mut self) {
        let (rho, eps) = (T::of_f64(self.rho), T::of_f64(self.eps));
        let (sq, acc) = (&mut self.square_avg, &mut self.acc_delta);
        self.common.each(|i, lr, w, g| {
            let lr = T::of_f64(lr);
            let s = sq[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            let a = acc[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            Zip::from(w).and(g).and(s).and(a).for_each(|w, &g, s, a| {
                *s = *s * rho + (T::one() - rho) * g * g;
                let std = (*s + eps).sqrt();
                let delta = (*a + eps).sqrt() / std * g;
                *a = *a * rho + (T::one() - rho) * delta * delta;
                *w -= lr * delta;
            });
        });
    }
}

impl<T: Float> Extra for Adadelta<T> {}
common_api!(Adadelta, 6.0, [square_avg, acc_delta]);

/// The betas and eps builders of the Adam family.
macro_rules! betas_eps {
    ($name:ident) => {
        impl<T: Float> $name<T> {
            /// The decays of the moment estimates.
            #[track_caller]
            pub fn betas(mut self, b1: f64, b2: f64) -> Self {
                or_panic(check_beta(0, b1).and_then(|_| check_beta(1, b2)));
                self.betas.0.set(b1);
                self.betas.1 = b2;
                self
            }

            /// Added to the denominator.
            #[track_caller]
            pub fn eps(mut self, eps: f64) -> Self {
                or_panic(check_nonnegative("epsilon", eps));
                self.eps = eps;
                self
            }
        }
    };
}

/// `Adamax`, as `torch.optim.Adamax` (lr 2e-3): Adam with the infinity norm,
/// `u = max(β₂·u, |g| + eps)`, `p −= lr/(1−β₁ᵗ) · m/u`.
///
/// ```
/// use tapegrad::{optim::{Adamax, Optimizer}, Tensor};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = Adamax::new(vec![w.clone()], 2e-3);
/// w.square().sum().backward();
/// opt.step();
/// assert!((w.item() - (1.0 - 2e-3)).abs() < 1e-6);
/// ```
pub struct Adamax<T: Float = f32> {
    common: Common<T>,
    /// β₁ (shared with a schedule that cycles it) and β₂.
    betas: (MomentumHandle, f64),
    eps: f64,
    exp_avg: Vec<Option<ArrayD<T>>>,
    exp_inf: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> Adamax<T> {
    /// Adamax with learning rate `lr` (PyTorch's default 2e-3).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`Adamax::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        let n = params.len();
        Ok(Adamax {
            common: Common::new(params, lr)?,
            betas: (MomentumHandle::new(0.9), 0.999),
            eps: 1e-8,
            exp_avg: vec![None; n],
            exp_inf: vec![None; n],
        })
    }

    fn update(&mut self) {
        let t = self.common.step + 1;
        let (b1, b2) = (self.betas.0.get(), self.betas.1);
        let bias1 = 1.0 - b1.powi(t);
        let (one_minus_b1, b2, eps) = (T::of_f64(1.0 - b1), T::of_f64(b2), T::of_f64(self.eps));
        let (ma, mi) = (&mut self.exp_avg, &mut self.exp_inf);
        self.common.each(|i, lr, w, g| {
            let clr = T::of_f64(lr / bias1);
            let m = ma[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            let u = mi[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            Zip::from(w).and(g).and(m).and(u).for_each(|w, &g, m, u| {
                *m += one_minus_b1 * (g - *m);
                *u = (*u * b2).max(g.abs() + eps);
                *w -= clr * *m / *u;
            });
        });
    }
}

betas_eps!(Adamax);
impl<T: Float> Extra for Adamax<T> {
    fn momentum_handle(&self) -> Option<MomentumHandle> {
        Some(self.betas.0.clone())
    }
}
common_api!(Adamax, 7.0, [exp_avg, exp_inf]);

/// `NAdam`, as `torch.optim.NAdam` (lr 2e-3, momentum decay 4e-3): Adam with Nesterov
/// momentum and PyTorch's momentum schedule `μₜ = β₁(1 − ½·0.96^(t·ψ))`.
///
/// ```
/// use tapegrad::{optim::{NAdam, Optimizer}, Tensor};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = NAdam::new(vec![w.clone()], 2e-3);
/// w.square().sum().backward();
/// opt.step();
/// assert!(w.item() < 1.0);
/// ```
pub struct NAdam<T: Float = f32> {
    common: Common<T>,
    /// β₁ (shared with a schedule that cycles it) and β₂.
    betas: (MomentumHandle, f64),
    eps: f64,
    momentum_decay: f64,
    mu_product: f64,
    exp_avg: Vec<Option<ArrayD<T>>>,
    exp_avg_sq: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> NAdam<T> {
    /// NAdam with learning rate `lr` (PyTorch's default 2e-3).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`NAdam::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        let n = params.len();
        Ok(NAdam {
            common: Common::new(params, lr)?,
            betas: (MomentumHandle::new(0.9), 0.999),
            eps: 1e-8,
            momentum_decay: 4e-3,
            mu_product: 1.0,
            exp_avg: vec![None; n],
            exp_avg_sq: vec![None; n],
        })
    }

    /// ψ in the momentum schedule.
    #[track_caller]
    pub fn momentum_decay(mut self, d: f64) -> Self {
        or_panic(check_nonnegative("momentum_decay", d));
        self.momentum_decay = d;
        self
    }

    fn update(&mut self) {
        let t = (self.common.step + 1) as f64;
        let (b1, b2) = (self.betas.0.get(), self.betas.1);
        let mu = b1 * (1.0 - 0.5 * 0.96f64.powf(t * self.momentum_decay));
        let mu_next = b1 * (1.0 - 0.5 * 0.96f64.powf((t + 1.0) * self.momentum_decay));
        self.mu_product *= mu;
        let mu_product_next = self.mu_product * mu_next;
        let bias2 = T::of_f64(1.0 - b2.powf(t));
        let mu_product = self.mu_product;
        let (one_minus_b1, b2, one_minus_b2, eps) = (
            T::of_f64(1.0 - b1),
            T::of_f64(b2),
            T::of_f64(1.0 - b2),
            T::of_f64(self.eps),
        );
        let (ma, mv) = (&mut self.exp_avg, &mut self.exp_avg_sq);
        self.common.each(|i, lr, w, g| {
            let c_grad = T::of_f64(-lr * (1.0 - mu) / (1.0 - mu_product));
            let c_avg = T::of_f64(-lr * mu_next / (1.0 - mu_product_next));
            let m = ma[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            let v = mv[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            Zip::from(w).and(g).and(m).and(v).for_each(|w, &g, m, v| {
                *m += one_minus_b1 * (g - *m);
                *v = *v * b2 + one_minus_b2 * g * g;
                let denom = (*v / bias2).sqrt() + eps;
                *w += c_grad * g / denom;
                *w += c_avg * *m / denom;
            });
        });
    }
}

betas_eps!(NAdam);
impl<T: Float> Extra for NAdam<T> {
    fn momentum_handle(&self) -> Option<MomentumHandle> {
        Some(self.betas.0.clone())
    }
    fn extra_state(&self, s: &mut State) {
        state::put_scalar(s, "mu_product", self.mu_product);
    }
    fn load_extra(&mut self, s: &[(String, AnyTensor)]) -> Result<(), Error> {
        self.mu_product = state::scalar(s, "mu_product")?;
        Ok(())
    }
}
common_api!(NAdam, 8.0, [exp_avg, exp_avg_sq]);

/// `RAdam`, as `torch.optim.RAdam` (lr 1e-3): Adam whose adaptive step is switched on, with
/// a rectification factor, once the variance estimate is trustworthy (ρₜ > 5).
///
/// ```
/// use tapegrad::{optim::{RAdam, Optimizer}, Tensor};
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = RAdam::new(vec![w.clone()], 1e-3);
/// w.square().sum().backward();
/// opt.step();
/// assert!((w.item() - (1.0 - 1e-3 * 2.0)).abs() < 1e-12); // plain momentum at first
/// ```
pub struct RAdam<T: Float = f32> {
    common: Common<T>,
    /// β₁ (shared with a schedule that cycles it) and β₂.
    betas: (MomentumHandle, f64),
    eps: f64,
    exp_avg: Vec<Option<ArrayD<T>>>,
    exp_avg_sq: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> RAdam<T> {
    /// RAdam with learning rate `lr` (PyTorch's default 1e-3).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`RAdam::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        let n = params.len();
        Ok(RAdam {
            common: Common::new(params, lr)?,
            betas: (MomentumHandle::new(0.9), 0.999),
            eps: 1e-8,
            exp_avg: vec![None; n],
            exp_avg_sq: vec![None; n],
        })
    }

    fn update(&mut self) {
        let t = (self.common.step + 1) as f64;
        let (b1, b2) = (self.betas.0.get(), self.betas.1);
        let bias1 = 1.0 - b1.powf(t);
        let bias2 = 1.0 - b2.powf(t);
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * b2.powf(t) / bias2;
        let rect = (rho_t > 5.0).then(|| {
            ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .sqrt()
        });
        let (one_minus_b1, b2t, one_minus_b2, eps) = (
            T::of_f64(1.0 - b1),
            T::of_f64(b2),
            T::of_f64(1.0 - b2),
            T::of_f64(self.eps),
        );
        let (bias1, sqrt_bias2) = (T::of_f64(bias1), T::of_f64(bias2.sqrt()));
        let rect = rect.map(T::of_f64);
        let (ma, mv) = (&mut self.exp_avg, &mut self.exp_avg_sq);
        self.common.each(|i, lr, w, g| {
            let lr_t = T::of_f64(lr);
            let m = ma[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            let v = mv[i].get_or_insert_with(|| ArrayD::zeros(w.raw_dim()));
            Zip::from(w).and(g).and(m).and(v).for_each(|w, &g, m, v| {
                *m += one_minus_b1 * (g - *m);
                *v = *v * b2t + one_minus_b2 * g * g;
                let corrected = *m / bias1;
                match rect {
                    Some(r) => {
                        let adaptive = sqrt_bias2 / (v.sqrt() + eps);
                        *w -= corrected * lr_t * adaptive * r;
                    }
                    None => *w -= corrected * lr_t,
                }
            });
        });
    }
}

betas_eps!(RAdam);
impl<T: Float> Extra for RAdam<T> {
    fn momentum_handle(&self) -> Option<MomentumHandle> {
        Some(self.betas.0.clone())
    }
}
common_api!(RAdam, 9.0, [exp_avg, exp_avg_sq]);
