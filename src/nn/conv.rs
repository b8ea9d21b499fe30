//! Convolutions: `Conv1d`, `Conv2d`, with PyTorch's constructor, defaults, initialisation
//! and parameter names.

use rand::Rng;

use super::functional::{Size2, conv1d, conv2d};
use super::linear::uniform;
use crate::{Float, Module, Tensor};

/// A 2-D convolution, as `torch.nn.Conv2d`: weight `[out, in/groups, kh, kw]`, bias `[out]`,
/// both U(−1/√fan_in, 1/√fan_in) with `fan_in = in/groups·kh·kw` (PyTorch's default).
/// Options as builders: `.stride() .padding() .dilation() .groups() .bias(bool)`.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let conv = nn::Conv2d::<f32>::new(2, 4, (3, 3), &mut rng).stride((2, 1)).padding(1).groups(2);
/// assert_eq!(conv.weight.shape(), &[4, 1, 3, 3]);
/// let y = conv.forward(&Tensor::ones(&[5, 2, 8, 8]));
/// assert_eq!(y.shape(), &[5, 4, 4, 8]);
/// ```
#[derive(Module)]
pub struct Conv2d<T: Float = f32> {
    /// `[out, in/groups, kh, kw]`.
    pub weight: Tensor<T>,
    /// `[out]`, or none.
    pub bias: Option<Tensor<T>>,
    /// Steps between windows `(h, w)`.
    pub stride: (usize, usize),
    /// Zeros added on each side `(h, w)`.
    pub padding: (usize, usize),
    /// Spacing of the kernel's taps `(h, w)`.
    pub dilation: (usize, usize),
    /// Channel groups (`in` and `out` divisible by it).
    pub groups: usize,
}

impl<T: Float> Conv2d<T> {
    /// `in_channels → out_channels` with a `kernel` (`(kh, kw)` or one size), stride 1, no
    /// padding, dilation 1, one group, a bias.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: impl Size2,
        rng: &mut R,
    ) -> Self {
        let (kh, kw) = kernel.pair();
        let fan_in = in_channels * kh * kw;
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        Conv2d {
            weight: uniform(&[out_channels, in_channels, kh, kw], bound, rng).requires_grad(),
            bias: Some(uniform(&[out_channels], bound, rng).requires_grad()),
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }

    /// Steps between windows.
    pub fn stride(mut self, stride: impl Size2) -> Self {
        self.stride = stride.pair();
        self
    }

    /// Zeros added on each side.
    pub fn padding(mut self, padding: impl Size2) -> Self {
        self.padding = padding.pair();
        self
    }

    /// Spacing of the kernel's taps.
    pub fn dilation(mut self, dilation: impl Size2) -> Self {
        self.dilation = dilation.pair();
        self
    }

    /// Splits the channels into `groups` independent convolutions; the weight becomes
    /// `[out, in/groups, kh, kw]` (re-initialised as PyTorch would for that shape).
    ///
    /// # Panics
    /// If `in` or `out` is not divisible by `groups`.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> Self {
        let s = self.weight.shape().to_vec();
        let (out, inp) = (s[0], s[1] * self.groups);
        if groups == 0 || inp % groups != 0 || out % groups != 0 {
            panic!(
                "tapegrad: Conv2d: in_channels {inp} and out_channels {out} must be divisible \
                 by groups = {groups}"
            );
        }
        // The fan-in shrinks by `groups / self.groups`: keep the first input channels and
        // widen their U(−b, b) draws to the new bound (uniform stays uniform), so the layer
        // is initialised as PyTorch's would be, without another rng.
        let widen = T::of_f64((groups as f64 / self.groups as f64).sqrt());
        crate::no_grad(|| {
            self.weight = (self.weight.narrow(1, 0, inp / groups).contiguous() * widen).detach();
            self.bias = self.bias.take().map(|b| (b * widen).detach());
        });
        self.weight = self.weight.detach().requires_grad();
        self.bias = self.bias.take().map(|b| b.requires_grad());
        self.groups = groups;
        self
    }

    /// Without a bias when `false` (`bias=False` in PyTorch).
    pub fn bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        }
        self
    }

    /// The convolution of `x` (`[N, in, H, W]`, or an unbatched `[in, H, W]`).
    ///
    /// # Panics
    /// If `x` does not have `in` channels or the window does not fit.
    #[track_caller]
    pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        conv2d(
            x,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
    }
}

/// A 1-D convolution, as `torch.nn.Conv1d`: weight `[out, in/groups, k]`, bias `[out]`,
/// PyTorch's initialisation; input `[N, in, L]`.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let conv = nn::Conv1d::<f32>::new(3, 4, 3, &mut StdRng::seed_from_u64(0)).stride(2).padding(1);
/// assert_eq!(conv.forward(&Tensor::ones(&[2, 3, 10])).shape(), &[2, 4, 5]);
/// ```
#[derive(Module)]
pub struct Conv1d<T: Float = f32> {
    /// `[out, in/groups, k]`.
    pub weight: Tensor<T>,
    /// `[out]`, or none.
    pub bias: Option<Tensor<T>>,
    /// Step between windows.
    pub stride: usize,
    /// Zeros added on each side.
    pub padding: usize,
    /// Spacing of the kernel's taps.
    pub dilation: usize,
    /// Channel groups.
    pub groups: usize,
}

impl<T: Float> Conv1d<T> {
    /// `in_channels → out_channels` with a kernel of `kernel` taps.
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        rng: &mut R,
    ) -> Self {
        let bound = 1.0 / ((in_channels * kernel).max(1) as f64).sqrt();
        Conv1d {
            weight: uniform(&[out_channels, in_channels, kernel], bound, rng).requires_grad(),
            bias: Some(uniform(&[out_channels], bound, rng).requires_grad()),
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
        }
    }

    /// Step between windows.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Zeros added on each side.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Spacing of the kernel's taps.
    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// Splits the channels into `groups` (see [`Conv2d::groups`]).
    ///
    /// # Panics
    /// If `in` or `out` is not divisible by `groups`.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> Self {
        let as_2d = Conv2d {
            weight: self.weight.unsqueeze(2),
            bias: self.bias.take(),
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: self.groups,
        }
        .groups(groups);
        self.weight = as_2d.weight.squeeze(2).detach().requires_grad();
        self.bias = as_2d.bias;
        self.groups = groups;
        self
    }

    /// Without a bias when `false`.
    pub fn bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        }
        self
    }

    /// The convolution of `x` (`[N, in, L]`, or an unbatched `[in, L]`).
    #[track_caller]
    pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        conv1d(
            x,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
    }
}
