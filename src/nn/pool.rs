//! Pooling layers: `MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool2d`, and the
//! shape layers `Flatten` and `Identity`. None has parameters; each is a `Module<T>` for
//! every float `T`.

use super::functional::{Size2, adaptive_avg_pool2d, avg_pool2d, max_pool2d};
use crate::{Float, Module, Tensor};

/// Defines a 2-D pooling layer and its 1-D form.
macro_rules! pooling {
    ($two:ident, $one:ident, $f:ident, $what:literal) => {
        #[doc = concat!("2-D ", $what, " pooling, as `torch.nn.", stringify!($two), "`: input `[N, C, H, W]` or `[C, H, W]`; the stride defaults to the kernel.")]
        ///
        /// ```
        /// use tapegrad::prelude::*;
        #[doc = concat!("let pool = nn::", stringify!($two), "::new((2, 2)).stride((2, 2)).padding((1, 1));")]
        /// let y: Tensor<f32> = pool.forward(&Tensor::ones(&[1, 3, 4, 4]));
        /// assert_eq!(y.shape(), &[1, 3, 3, 3]);
        /// ```
        #[derive(Clone, Copy, Debug)]
        pub struct $two {
            /// Window size `(h, w)`.
            pub kernel: (usize, usize),
            /// Step between windows `(h, w)`.
            pub stride: (usize, usize),
            /// Padding on each side `(h, w)`.
            pub padding: (usize, usize),
        }

        impl $two {
            /// Windows of `kernel` (`(kh, kw)` or one size), stride = kernel, no padding.
            pub fn new(kernel: impl Size2) -> Self {
                let kernel = kernel.pair();
                $two {
                    kernel,
                    stride: kernel,
                    padding: (0, 0),
                }
            }

            /// Step between windows.
            pub fn stride(mut self, stride: impl Size2) -> Self {
                self.stride = stride.pair();
                self
            }

            /// Padding on each side (at most half the kernel).
            pub fn padding(mut self, padding: impl Size2) -> Self {
                self.padding = padding.pair();
                self
            }
        }

        impl<T: Float> Module<T> for $two {
            #[track_caller]
            fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
                $f(x, self.kernel, self.stride, self.padding)
            }
        }

        #[doc = concat!("1-D ", $what, " pooling, as `torch.nn.", stringify!($one), "`: input `[N, C, L]` or `[C, L]`.")]
        ///
        /// ```
        /// use tapegrad::prelude::*;
        #[doc = concat!("let pool = nn::", stringify!($one), "::new(2);")]
        /// let y: Tensor<f32> = pool.forward(&Tensor::ones(&[2, 3, 9]));
        /// assert_eq!(y.shape(), &[2, 3, 4]);
        /// ```
        #[derive(Clone, Copy, Debug)]
        pub struct $one {
            /// Window size.
            pub kernel: usize,
            /// Step between windows.
            pub stride: usize,
            /// Padding on each side.
            pub padding: usize,
        }

        impl $one {
            /// Windows of `kernel`, stride = kernel, no padding.
            pub fn new(kernel: usize) -> Self {
                $one {
                    kernel,
                    stride: kernel,
                    padding: 0,
                }
            }

            /// Step between windows.
            pub fn stride(mut self, stride: usize) -> Self {
                self.stride = stride;
                self
            }

            /// Padding on each side (at most half the kernel).
            pub fn padding(mut self, padding: usize) -> Self {
                self.padding = padding;
                self
            }
        }

        impl<T: Float> Module<T> for $one {
            #[track_caller]
            fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
                if x.ndim() == 2 {
                    // Unbatched [C, L]: a batch of one.
                    return self.forward(&x.unsqueeze(0)).squeeze(0);
                }
                if x.ndim() != 3 {
                    panic!(
                        "tapegrad: {}: expects input [N, C, L] or [C, L], got shape {:?}",
                        stringify!($one),
                        x.shape()
                    );
                }
                let y = $f(
                    &x.unsqueeze(2),
                    (1, self.kernel),
                    (1, self.stride),
                    (0, self.padding),
                );
                y.squeeze(2)
            }
        }
    };
}

pooling!(MaxPool2d, MaxPool1d, max_pool2d, "max");
pooling!(AvgPool2d, AvgPool1d, avg_pool2d, "average");

/// Average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`.
///
/// ```
/// use tapegrad::prelude::*;
/// let y: Tensor<f32> = nn::AdaptiveAvgPool2d::new((1, 1)).forward(&Tensor::ones(&[2, 3, 5, 7]));
/// assert_eq!(y.shape(), &[2, 3, 1, 1]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d {
    /// The output size `(h, w)`.
    pub output: (usize, usize),
}

impl AdaptiveAvgPool2d {
    /// Pools to `output` (`(h, w)` or one size).
    pub fn new(output: impl Size2) -> Self {
        AdaptiveAvgPool2d {
            output: output.pair(),
        }
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        adaptive_avg_pool2d(x, self.output)
    }
}

/// Flattens dims `start..=end` into one, as `torch.nn.Flatten` (a view when possible).
///
/// ```
/// use tapegrad::prelude::*;
/// let y: Tensor<f32> = nn::Flatten::new(1, -1).forward(&Tensor::ones(&[2, 3, 4]));
/// assert_eq!(y.shape(), &[2, 12]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    /// The first dim flattened.
    pub start: isize,
    /// The last dim flattened.
    pub end: isize,
}

impl Flatten {
    /// Flattens `start..=end` (PyTorch's defaults are 1 and −1).
    pub fn new(start: isize, end: isize) -> Self {
        Flatten { start, end }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new(1, -1)
    }
}

impl<T: Float> Module<T> for Flatten {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.flatten(self.start, self.end)
    }
}

/// Returns its input, as `torch.nn.Identity` (a placeholder in a model's structure).
///
/// ```
/// use tapegrad::prelude::*;
/// let x = Tensor::<f32>::ones(&[2]);
/// assert!(nn::Identity.forward(&x).same(&x));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl Identity {
    /// The identity layer (also just `Identity`).
    pub fn new() -> Self {
        Identity
    }
}

impl<T: Float> Module<T> for Identity {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.clone()
    }
}
