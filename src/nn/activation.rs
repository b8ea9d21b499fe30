//! Activation functions as modules, for use in [`Sequential`](super::Sequential).

use super::Module;
use crate::{Float, Tensor};

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl<T: Float> Module<T> for $name {
            #[track_caller]
            fn forward(&self, $x: &Tensor<T>) -> Tensor<T> {
                $body
            }
        }
    };
}

activation!(
    /// `max(x, 0)`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let y = nn::ReLU.forward(&Tensor::from_vec(vec![-1.0f32, 1.0], &[2]));
    /// assert_eq!(y.to_vec(), vec![0.0, 1.0]);
    /// ```
    ReLU, |x| x.relu()
);
activation!(
    /// Hyperbolic tangent.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert_eq!(nn::Tanh.forward(&Tensor::<f32>::zeros(&[1])).to_vec(), vec![0.0]);
    /// ```
    Tanh, |x| x.tanh()
);
activation!(
    /// The logistic function.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert_eq!(nn::Sigmoid.forward(&Tensor::<f32>::zeros(&[1])).to_vec(), vec![0.5]);
    /// ```
    Sigmoid, |x| x.sigmoid()
);
activation!(
    /// GELU, exact (erf) form, as `torch.nn.GELU()`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert_eq!(nn::GELU.forward(&Tensor::<f32>::zeros(&[1])).to_vec(), vec![0.0]);
    /// ```
    GELU, |x| x.gelu()
);
activation!(
    /// SiLU (swish), `x · sigmoid(x)`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert_eq!(nn::SiLU.forward(&Tensor::<f32>::zeros(&[1])).to_vec(), vec![0.0]);
    /// ```
    SiLU, |x| x.silu()
);

/// `x` where positive, `slope · x` elsewhere; `LeakyReLU::default()` has PyTorch's 0.01.
///
/// ```
/// use tapegrad::prelude::*;
/// let y = nn::LeakyReLU(0.5).forward(&Tensor::from_vec(vec![-2.0f32], &[1]));
/// assert_eq!(y.to_vec(), vec![-1.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LeakyReLU(pub f64);

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU(0.01)
    }
}

impl<T: Float> Module<T> for LeakyReLU {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.leaky_relu(T::of_f64(self.0))
    }
}
