use ndarray::{ArrayD, Zip};

use super::{
    MomentumHandle, Optimizer, ParamGroup, Params, check_nonnegative, check_params, group_methods,
    or_panic,
};
use crate::{Error, Float, Tensor};

/// RMSprop, as `torch.optim.RMSprop` (alpha 0.99, eps 1e-8, not centered), with optional
/// momentum and weight decay.
///
/// ```
/// use tapegrad::prelude::*;
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = optim::RmsProp::new(vec![w.clone()], 0.01);
/// w.square().sum().backward();
/// opt.step();
/// assert!((w.item() - (1.0 - 0.01 * 2.0 / (0.01f64 * 4.0).sqrt())).abs() < 1e-6);
/// ```
pub struct RmsProp<T: Float = f32> {
    params: Params<T>,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: MomentumHandle,
    maximize: bool,
    square_avg: Vec<Option<ArrayD<T>>>,
    buffers: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> RmsProp<T> {
    /// With PyTorch's defaults.
    ///
    /// # Panics
    /// If `params` is empty or `lr` is negative or NaN ([`RmsProp::try_new`] returns the
    /// error).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// Like [`RmsProp::new`], but returns an error for an empty parameter list or a bad `lr`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let w = Tensor::<f32>::zeros(&[1]).requires_grad();
    /// assert!(optim::RmsProp::try_new(vec![w], -1.0).is_err());
    /// ```
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        check_params(&params, lr)?;
        let n = params.len();
        Ok(RmsProp {
            params: Params::new(params, lr),
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: MomentumHandle::new(0.0),
            maximize: false,
            square_avg: vec![None; n],
            buffers: vec![None; n],
        })
    }

    /// Smoothing constant of the squared-gradient average (default 0.99).
    #[track_caller]
    pub fn alpha(mut self, a: f64) -> Self {
        or_panic(check_nonnegative("alpha", a));
        self.alpha = a;
        self
    }

    /// Added to the denominator (default 1e-8).
    #[track_caller]
    pub fn eps(mut self, e: f64) -> Self {
        or_panic(check_nonnegative("epsilon", e));
        self.eps = e;
        self
    }

    /// L2 penalty added to the gradient (default 0).
    #[track_caller]
    pub fn weight_decay(mut self, w: f64) -> Self {
        or_panic(check_nonnegative("weight_decay", w));
        self.weight_decay = w;
        self
    }

    /// Momentum factor (default 0).
    #[track_caller]
    pub fn momentum(self, m: f64) -> Self {
        or_panic(check_nonnegative("momentum", m));
        self.momentum.set(m);
        self
    }
}

impl<T: Float> RmsProp<T> {
    /// Ascends the objective instead of descending it.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }

    /// Adds parameters with their own learning rate or weight decay.
    ///
    /// # Panics
    /// If the group is empty or a setting is invalid.
    #[track_caller]
    pub fn add_param_group(&mut self, group: ParamGroup<T>) {
        or_panic(self.params.add_group(group));
        let n = self.params.tensors.len();
        self.square_avg.resize(n, None);
        self.buffers.resize(n, None);
    }
}

impl<T: Float> Optimizer for RmsProp<T> {
    fn step(&mut self) {
        let c = T::of_f64;
        let (alpha, one_minus_alpha, eps) = (c(self.alpha), c(1.0 - self.alpha), c(self.eps));
        let momentum = self.momentum.get();
        let mom = c(momentum);
        let params = &self.params;
        for (i, ((p, sq), buf)) in params
            .tensors
            .iter()
            .zip(&mut self.square_avg)
            .zip(&mut self.buffers)
            .enumerate()
        {
            let Some(grad) = p.grad() else { continue };
            let (lr, wd) = (c(params.lr_of(i)), c(params.wd_of(i, self.weight_decay)));
            let sign = if self.maximize { -T::one() } else { T::one() };
            let grad = grad.data();
            let grad = grad.view();
            let mut param = p.data_mut();
            let mut param = param.view_mut();
            let sq = sq.get_or_insert_with(|| ArrayD::zeros(param.raw_dim()));
            if momentum > 0.0 {
                let buf = buf.get_or_insert_with(|| ArrayD::zeros(param.raw_dim()));
                Zip::from(&mut param)
                    .and(&grad)
                    .and(sq)
                    .and(buf)
                    .for_each(|w, &g, s, b| {
                        let g = g * sign + wd * *w;
                        *s = *s * alpha + one_minus_alpha * g * g;
                        *b = *b * mom + g / (s.sqrt() + eps);
                        *w += -lr * *b;
                    });
            } else {
                Zip::from(&mut param)
                    .and(&grad)
                    .and(sq)
                    .for_each(|w, &g, s| {
                        let g = g * sign + wd * *w;
                        *s = *s * alpha + one_minus_alpha * g * g;
                        *w += -lr * g / (s.sqrt() + eps);
                    });
            }
        }
    }

    group_methods!();

    fn momentum_handle(&self) -> Option<MomentumHandle> {
        Some(self.momentum.clone())
    }
}
