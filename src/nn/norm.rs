//! Normalisation layers with running statistics or groups: `BatchNorm1d`, `BatchNorm2d`,
//! `GroupNorm`, with PyTorch's defaults, parameter and buffer names.

use super::functional::{batch_norm, group_norm};
use crate::{Float, Module, Tensor};

/// Defines a BatchNorm layer for inputs of the given ranks.
macro_rules! batch_norm_layer {
    ($name:ident, $ranks:expr, $shape:literal, $example:literal) => {
        #[doc = concat!("Batch normalisation, as `torch.nn.", stringify!($name), "` (input ", $shape, "): ")]
        /// parameters `weight` (ones) and `bias` (zeros), buffers `running_mean` (zeros),
        /// `running_var` (ones) and `num_batches_tracked` (written as int64 in checkpoints);
        /// momentum 0.1, eps 1e-5. In training mode the batch's statistics normalise and the
        /// running ones move; in eval mode the running ones normalise.
        ///
        /// ```
        /// use tapegrad::prelude::*;
        #[doc = concat!("let mut bn = nn::", stringify!($name), "::<f32>::new(3).momentum(0.2);")]
        #[doc = concat!("let x = Tensor::randn(&", $example, ", &mut tapegrad::rand::rng());")]
        /// let y = bn.forward(&x);
        /// assert_eq!(y.shape(), x.shape());
        /// assert_eq!(bn.num_batches_tracked.as_ref().unwrap().item(), 1.0);
        /// bn.eval();
        /// let names: Vec<String> = bn.state_dict().into_iter().map(|(n, _)| n).collect();
        /// assert_eq!(names, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
        /// ```
        #[derive(Module)]
        pub struct $name<T: Float = f32> {
            /// `[C]` scale (none without `affine`).
            pub weight: Option<Tensor<T>>,
            /// `[C]` shift (none without `affine`).
            pub bias: Option<Tensor<T>>,
            /// `[C]` running mean.
            #[module(buffer)]
            pub running_mean: Option<Tensor<T>>,
            /// `[C]` running (unbiased) variance.
            #[module(buffer)]
            pub running_var: Option<Tensor<T>>,
            /// How many training batches updated the running statistics.
            #[module(buffer)]
            pub num_batches_tracked: Option<Tensor<T>>,
            /// The weight of the newest batch in the running statistics.
            pub momentum: f64,
            /// Added to the variance.
            pub eps: f64,
            #[module(training)]
            training: bool,
        }

        impl<T: Float> $name<T> {
            /// For `num_features` channels.
            pub fn new(num_features: usize) -> Self {
                $name {
                    weight: Some(Tensor::ones(&[num_features]).requires_grad()),
                    bias: Some(Tensor::zeros(&[num_features]).requires_grad()),
                    running_mean: Some(Tensor::zeros(&[num_features])),
                    running_var: Some(Tensor::ones(&[num_features])),
                    num_batches_tracked: Some(Tensor::zeros(&[])),
                    momentum: 0.1,
                    eps: 1e-5,
                    training: true,
                }
            }

            /// The weight of the newest batch in the running statistics.
            pub fn momentum(mut self, momentum: f64) -> Self {
                self.momentum = momentum;
                self
            }

            /// Added to the variance.
            pub fn eps(mut self, eps: f64) -> Self {
                self.eps = eps;
                self
            }

            /// With (default) or without the learned `weight` and `bias`.
            pub fn affine(mut self, affine: bool) -> Self {
                if !affine {
                    self.weight = None;
                    self.bias = None;
                }
                self
            }

            /// Normalises `x`.
            ///
            /// # Panics
            /// If `x` does not have a valid rank or the layer's channel count in dim 1.
            #[track_caller]
            pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
                let c = self.running_mean.as_ref().or(self.weight.as_ref()).map(|t| t.numel());
                if !$ranks.contains(&x.ndim()) || Some(x.shape()[1]) != c {
                    panic!(
                        "tapegrad: {}: expects input {} with {} channels, got shape {:?}",
                        stringify!($name),
                        $shape,
                        c.unwrap_or(0),
                        x.shape()
                    );
                }
                if self.training {
                    if let Some(n) = &self.num_batches_tracked {
                        crate::no_grad(|| n.add_scalar_(T::one()));
                    }
                }
                batch_norm(
                    x,
                    self.running_mean.as_ref(),
                    self.running_var.as_ref(),
                    self.weight.as_ref(),
                    self.bias.as_ref(),
                    self.training,
                    self.momentum,
                    self.eps,
                )
            }
        }
    };
}

batch_norm_layer!(BatchNorm1d, [2, 3], "`[N, C]` or `[N, C, L]`", "[8, 3]");
batch_norm_layer!(BatchNorm2d, [4], "`[N, C, H, W]`", "[4, 3, 2, 2]");

/// Group normalisation, as `torch.nn.GroupNorm`: `weight` (ones) and `bias` (zeros) per
/// channel, eps 1e-5.
///
/// ```
/// use tapegrad::prelude::*;
/// let gn = nn::GroupNorm::<f32>::new(2, 4);
/// assert_eq!(gn.forward(&Tensor::ones(&[3, 4, 5])).shape(), &[3, 4, 5]);
/// ```
#[derive(Module)]
pub struct GroupNorm<T: Float = f32> {
    /// `[C]` scale.
    pub weight: Option<Tensor<T>>,
    /// `[C]` shift.
    pub bias: Option<Tensor<T>>,
    /// The number of groups the channels split into.
    pub groups: usize,
    /// Added to the variance.
    pub eps: f64,
}

impl<T: Float> GroupNorm<T> {
    /// `channels` in `groups` groups.
    ///
    /// # Panics
    /// If `channels` is not divisible by `groups`.
    #[track_caller]
    pub fn new(groups: usize, channels: usize) -> Self {
        if groups == 0 || !channels.is_multiple_of(groups) {
            panic!("tapegrad: GroupNorm: {channels} channels do not split into {groups} groups");
        }
        GroupNorm {
            weight: Some(Tensor::ones(&[channels]).requires_grad()),
            bias: Some(Tensor::zeros(&[channels]).requires_grad()),
            groups,
            eps: 1e-5,
        }
    }

    /// Added to the variance.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// With (default) or without the learned `weight` and `bias`.
    pub fn affine(mut self, affine: bool) -> Self {
        if !affine {
            self.weight = None;
            self.bias = None;
        }
        self
    }

    /// Normalises `x` (`[N, C, ...]`).
    #[track_caller]
    pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        group_norm(
            x,
            self.groups,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
}
