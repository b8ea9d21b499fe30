use ndarray::{ArrayD, Zip};

use super::state;
use super::{
    MomentumHandle, Optimizer, ParamGroup, Params, check, check_nonnegative, check_params,
    group_methods, or_panic,
};
use crate::io::AnyTensor;
use crate::{Error, Float, Tensor};

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay,
/// exactly as `torch.optim.SGD` (dampening 0).
///
/// ```
/// use tapegrad::prelude::*;
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad();
/// let mut opt = optim::Sgd::new(vec![w.clone()], 0.1).momentum(0.9).nesterov(true);
/// for _ in 0..3 {
///     opt.zero_grad();
///     w.square().sum().backward();
///     opt.step();
/// }
/// assert!(w.item() < 0.5);
/// ```
pub struct Sgd<T: Float = f32> {
    params: Params<T>,
    momentum: MomentumHandle,
    nesterov: bool,
    weight_decay: f64,
    maximize: bool,
    buffers: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> Sgd<T> {
    /// Plain SGD with learning rate `lr`.
    ///
    /// # Panics
    /// If `params` is empty or `lr` is negative or NaN ([`Sgd::try_new`] returns the error).
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// Like [`Sgd::new`], but returns an error for an empty parameter list or a bad `lr`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert!(optim::Sgd::<f32>::try_new(vec![], 0.1).is_err());
    /// let w = Tensor::<f32>::zeros(&[1]).requires_grad();
    /// assert!(optim::Sgd::try_new(vec![w], f64::NAN).is_err());
    /// ```
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        check_params(&params, lr)?;
        let n = params.len();
        Ok(Sgd {
            params: Params::new(params, lr),
            momentum: MomentumHandle::new(0.0),
            nesterov: false,
            weight_decay: 0.0,
            maximize: false,
            buffers: vec![None; n],
        })
    }

    /// Momentum factor (default 0).
    #[track_caller]
    pub fn momentum(self, m: f64) -> Self {
        or_panic(check_nonnegative("momentum", m));
        self.momentum.set(m);
        self
    }

    /// Nesterov momentum (default off; needs momentum > 0, set before).
    #[track_caller]
    pub fn nesterov(mut self, on: bool) -> Self {
        or_panic(check(!on || self.momentum.get() > 0.0, || {
            "Nesterov momentum requires a momentum and zero dampening".into()
        }));
        self.nesterov = on;
        self
    }

    /// L2 penalty added to the gradient (default 0).
    #[track_caller]
    pub fn weight_decay(mut self, w: f64) -> Self {
        or_panic(check_nonnegative("weight_decay", w));
        self.weight_decay = w;
        self
    }

    /// Adds parameters with their own learning rate or weight decay.
    ///
    /// # Panics
    /// If the group is empty or a setting is invalid.
    #[track_caller]
    pub fn add_param_group(&mut self, group: ParamGroup<T>) {
        let before = self.params.tensors.len();
        or_panic(self.params.add_group(group));
        self.buffers
            .resize(self.params.tensors.len().max(before), None);
    }

    /// Ascends the objective instead of descending it.
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }
}

impl<T: Float> Optimizer for Sgd<T> {
    fn step(&mut self) {
        let momentum = self.momentum.get();
        let mom = T::of_f64(momentum);
        for (i, (p, buf)) in self
            .params
            .tensors
            .iter()
            .zip(&mut self.buffers)
            .enumerate()
        {
            let weight_decay = self.params.wd_of(i, self.weight_decay);
            let (lr, wd) = (T::of_f64(self.params.lr_of(i)), T::of_f64(weight_decay));
            let Some(grad) = p.grad() else { continue };
            let grad = grad.data();
            let mut param = p.data_mut();
            let plain = weight_decay == 0.0 && momentum == 0.0 && !self.maximize;
            if plain {
                // Plain SGD: one pass, no temporary; over slices when both are contiguous.
                if let (Some(w), Some(g)) = (param.as_slice_mut(), grad.as_slice()) {
                    w.iter_mut().zip(g).for_each(|(w, &g)| *w += -lr * g);
                    continue;
                }
            }
            let grad = grad.view();
            let mut param = param.view_mut();
            if plain {
                Zip::from(&mut param)
                    .and(&grad)
                    .for_each(|w, &g| *w += -lr * g);
                continue;
            }
            let mut d = grad.to_owned();
            if self.maximize {
                d.mapv_inplace(|v| -v);
            }
            if weight_decay != 0.0 {
                Zip::from(&mut d).and(&param).for_each(|d, &w| *d += wd * w);
            }
            if momentum != 0.0 {
                let b = match buf {
                    None => buf.insert(d.clone()),
                    Some(b) => {
                        Zip::from(&mut *b)
                            .and(&d)
                            .for_each(|b, &g| *b = *b * mom + g);
                        b
                    }
                };
                if self.nesterov {
                    Zip::from(&mut d).and(&*b).for_each(|d, &b| *d += mom * b);
                } else {
                    d.assign(b);
                }
            }
            Zip::from(&mut param)
                .and(&d)
                .for_each(|w, &d| *w += -lr * d);
        }
    }

    group_methods!();

    fn momentum_handle(&self) -> Option<MomentumHandle> {
        Some(self.momentum.clone())
    }

    fn state_dict(&self) -> Vec<(String, AnyTensor)> {
        let mut s = Vec::new();
        state::put_scalar(&mut s, "kind", 1.0);
        state::put_scalar(&mut s, "num_params", self.params.tensors.len() as f64);
        state::put_scalar(&mut s, "lr", self.params.lr);
        state::put_buffers(&mut s, "momentum_buffer", &self.buffers);
        s
    }

    fn load_state_dict(&mut self, s: &[(String, AnyTensor)]) -> Result<(), Error> {
        state::check_kind(s, 1.0, self.params.tensors.len())?;
        let buffers = state::buffers(s, "momentum_buffer", &self.params.tensors)?;
        self.params.lr = state::scalar(s, "lr")?;
        self.buffers = buffers;
        Ok(())
    }
}
