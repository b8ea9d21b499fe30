use ndarray::{ArrayD, Zip};

use super::state;
use super::{
    MomentumHandle, Optimizer, ParamGroup, Params, check, check_beta, check_nonnegative,
    check_params, or_panic,
};
use crate::io::AnyTensor;
use crate::ops::simd;
use crate::{Error, Float, Tensor};

/// The first and second moment estimates of one parameter.
struct Moments<T: Float> {
    m: ArrayD<T>,
    v: ArrayD<T>,
    /// The running maximum of `v` (amsgrad only).
    vmax: Option<ArrayD<T>>,
}

/// The Adam update shared by [`Adam`] (L2 weight decay added to the gradient) and [`AdamW`]
/// (decoupled weight decay applied to the parameter), as PyTorch's single-tensor Adam.
struct AdamCore<T: Float> {
    params: Params<T>,
    /// β₁ (shared with a schedule that cycles it) and β₂.
    betas: (MomentumHandle, f64),
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
    amsgrad: bool,
    maximize: bool,
    step: i32,
    state: Vec<Option<Moments<T>>>,
}

impl<T: Float> AdamCore<T> {
    fn new(params: Vec<Tensor<T>>, lr: f64, weight_decay: f64, decoupled: bool) -> Self {
        let n = params.len();
        AdamCore {
            params: Params::new(params, lr),
            betas: (MomentumHandle::new(0.9), 0.999),
            eps: 1e-8,
            weight_decay,
            decoupled,
            amsgrad: false,
            maximize: false,
            step: 0,
            state: (0..n).map(|_| None).collect(),
        }
    }

    fn step(&mut self) {
        self.step += 1;
        let (b1, b2) = (self.betas.0.get(), self.betas.1);
        let bias1 = 1.0 - b1.powi(self.step);
        let bias2_sqrt = (1.0 - b2.powi(self.step)).sqrt();
        let c = T::of_f64;
        let (one_minus_b1, b2t, one_minus_b2) = (c(1.0 - b1), c(b2), c(1.0 - b2));
        let (bias2_sqrt, eps) = (c(bias2_sqrt), c(self.eps));
        for (i, (p, state)) in self.params.tensors.iter().zip(&mut self.state).enumerate() {
            let Some(grad) = p.grad() else { continue };
            // This parameter's group's rate and decay.
            let (lr, weight_decay) = (
                self.params.lr_of(i),
                self.params.wd_of(i, self.weight_decay),
            );
            let step_size = c(lr / bias1);
            let (wd, decay) = (c(weight_decay), c(1.0 - lr * weight_decay));
            let grad = grad.data();
            let grad = grad.view();
            let mut param = p.data_mut();
            let mut param = param.view_mut();
            let amsgrad = self.amsgrad;
            let s = state.get_or_insert_with(|| Moments {
                m: ArrayD::zeros(param.raw_dim()),
                v: ArrayD::zeros(param.raw_dim()),
                vmax: amsgrad.then(|| ArrayD::zeros(param.raw_dim())),
            });
            let (decoupled, l2) = (self.decoupled, !self.decoupled && weight_decay != 0.0);
            let sign = if self.maximize { -T::one() } else { T::one() };
            let update = |w: &mut T, g: T, m: &mut T, v: &mut T, vmax: Option<&mut T>| {
                if decoupled {
                    *w *= decay;
                }
                let g = g * sign;
                let g = if l2 { g + wd * *w } else { g };
                *m += one_minus_b1 * (g - *m);
                *v = *v * b2t + one_minus_b2 * g * g;
                let second = match vmax {
                    Some(vmax) => {
                        *vmax = vmax.max(*v);
                        *vmax
                    }
                    None => *v,
                };
                let denom = second.sqrt() / bias2_sqrt + eps;
                *w += -step_size * *m / denom;
            };
            match &mut s.vmax {
                Some(vmax) => Zip::from(&mut param)
                    .and(&grad)
                    .and(&mut s.m)
                    .and(&mut s.v)
                    .and(vmax)
                    .for_each(|w, &g, m, v, vmax| update(w, g, m, v, Some(vmax))),
                None => match (
                    param.as_slice_mut(),
                    grad.as_slice(),
                    s.m.as_slice_mut(),
                    s.v.as_slice_mut(),
                ) {
                    // Contiguous (every parameter but a strided view): one loop compiled
                    // for the CPU's vectors; the same operations, so the same bits.
                    (Some(w), Some(g), Some(m), Some(v)) => {
                        simd::update_with_moments(w, g, m, v, |w, g, m, v| update(w, g, m, v, None))
                    }
                    _ => Zip::from(&mut param)
                        .and(&grad)
                        .and(&mut s.m)
                        .and(&mut s.v)
                        .for_each(|w, &g, m, v| update(w, g, m, v, None)),
                },
            }
        }
    }
}

impl<T: Float> AdamCore<T> {
    fn state_dict(&self, kind: f64) -> Vec<(String, AnyTensor)> {
        let mut s = Vec::new();
        state::put_scalar(&mut s, "kind", kind);
        state::put_scalar(&mut s, "num_params", self.params.tensors.len() as f64);
        state::put_scalar(&mut s, "step", self.step as f64);
        state::put_scalar(&mut s, "lr", self.params.lr);
        let pick = |f: &dyn Fn(&Moments<T>) -> Option<ArrayD<T>>| -> Vec<Option<ArrayD<T>>> {
            self.state.iter().map(|m| m.as_ref().and_then(f)).collect()
        };
        state::put_buffers(&mut s, "exp_avg", &pick(&|m| Some(m.m.clone())));
        state::put_buffers(&mut s, "exp_avg_sq", &pick(&|m| Some(m.v.clone())));
        state::put_buffers(&mut s, "max_exp_avg_sq", &pick(&|m| m.vmax.clone()));
        s
    }

    fn load_state_dict(&mut self, s: &[(String, AnyTensor)], kind: f64) -> Result<(), Error> {
        state::check_kind(s, kind, self.params.tensors.len())?;
        let params = &self.params.tensors;
        let m = state::buffers(s, "exp_avg", params)?;
        let v = state::buffers(s, "exp_avg_sq", params)?;
        let vmax = state::buffers(s, "max_exp_avg_sq", params)?;
        let (step, lr) = (state::scalar(s, "step")?, state::scalar(s, "lr")?);
        self.state = m
            .into_iter()
            .zip(v)
            .zip(vmax)
            .map(|((m, v), vmax)| Some(Moments { m: m?, v: v?, vmax }))
            .collect();
        self.step = step as i32;
        self.params.lr = lr;
        Ok(())
    }
}

macro_rules! adam_like {
    ($(#[$doc:meta])* $name:ident, decoupled = $decoupled:expr, default_wd = $wd:expr) => {
        $(#[$doc])*
        pub struct $name<T: Float = f32>(AdamCore<T>);

        impl<T: Float> $name<T> {
            /// With PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
            ///
            /// # Panics
            /// If `params` is empty or `lr` is negative or NaN (`try_new` returns the error).
            #[track_caller]
            pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
                or_panic(Self::try_new(params, lr))
            }

            /// Like `new`, but returns an error for an empty parameter list or a bad `lr`.
            pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
                check_params(&params, lr)?;
                Ok($name(AdamCore::new(params, lr, $wd, $decoupled)))
            }

            /// The moment decay rates (default 0.9, 0.999), each in [0, 1).
            #[track_caller]
            pub fn betas(mut self, b1: f64, b2: f64) -> Self {
                or_panic(check_beta(0, b1).and_then(|_| check_beta(1, b2)));
                self.0.betas.0.set(b1);
                self.0.betas.1 = b2;
                self
            }

            /// Added to the denominator for stability (default 1e-8).
            #[track_caller]
            pub fn eps(mut self, eps: f64) -> Self {
                or_panic(check_nonnegative("epsilon", eps));
                self.0.eps = eps;
                self
            }

            /// Weight decay.
            #[track_caller]
            pub fn weight_decay(mut self, w: f64) -> Self {
                or_panic(check_nonnegative("weight_decay", w));
                self.0.weight_decay = w;
                self
            }

            /// Adds parameters with their own learning rate or weight decay.
            ///
            /// # Panics
            /// If the group is empty or a setting is invalid.
            #[track_caller]
            pub fn add_param_group(&mut self, group: ParamGroup<T>) {
                let before = self.0.params.tensors.len();
                or_panic(self.0.params.add_group(group));
                let added = self.0.params.tensors.len() - before;
                self.0.state.extend((0..added).map(|_| None));
            }

            /// Divides by the running maximum of the second moment (PyTorch's `amsgrad`).
            pub fn amsgrad(mut self, amsgrad: bool) -> Self {
                self.0.amsgrad = amsgrad;
                self
            }

            /// Ascends the objective instead of descending it.
            pub fn maximize(mut self, maximize: bool) -> Self {
                self.0.maximize = maximize;
                self
            }
        }

        impl<T: Float> Optimizer for $name<T> {
            fn step(&mut self) {
                self.0.step();
            }
            fn zero_grad(&mut self) {
                self.0.params.zero_grad();
            }
            fn lr(&self) -> f64 {
                self.0.params.lr
            }
            #[track_caller]
            fn set_lr(&mut self, lr: f64) {
                or_panic(check(lr >= 0.0, || format!("Invalid learning rate: {lr}")));
                self.0.params.lr = lr;
            }
            fn momentum_handle(&self) -> Option<MomentumHandle> {
                Some(self.0.betas.0.clone())
            }
            fn state_dict(&self) -> Vec<(String, AnyTensor)> {
                self.0.state_dict(if $decoupled { 3.0 } else { 2.0 })
            }
            fn load_state_dict(&mut self, s: &[(String, AnyTensor)]) -> Result<(), Error> {
                self.0.load_state_dict(s, if $decoupled { 3.0 } else { 2.0 })
            }
        }
    };
}

adam_like!(
    /// Adam, as `torch.optim.Adam` (weight decay is an L2 term added to the gradient; default 0).
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad();
    /// let mut opt = optim::Adam::new(vec![w.clone()], 0.1);
    /// w.square().sum().backward();
    /// opt.step();
    /// assert!((w.item() - 0.9).abs() < 1e-6); // the first step moves by lr
    /// ```
    Adam, decoupled = false, default_wd = 0.0
);

adam_like!(
    /// AdamW, as `torch.optim.AdamW`: decoupled weight decay (default 0.01) shrinks the
    /// parameter by `lr·wd` before the Adam step.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad();
    /// let mut opt = optim::AdamW::new(vec![w.clone()], 0.1).weight_decay(0.5);
    /// (&w * 0.0).sum().backward(); // zero gradient: only the decay acts
    /// opt.step();
    /// assert!((w.item() - 0.95).abs() < 1e-6);
    /// ```
    AdamW, decoupled = true, default_wd = 0.01
);
