//! Conversion between element types (`x.to(dtype)` in PyTorch).

use super::map_to;
use crate::tensor::grad_mode::grad_enabled;
use crate::{Element, Tensor};

impl<T: Element> Tensor<T> {
    /// The elements converted to `U`, as PyTorch's `x.to(dtype)`: float → `i64` truncates
    /// toward zero, anything → bool is "nonzero", bool → number is 0 or 1. Casting to the
    /// same type returns this tensor itself (gradients flow through it).
    ///
    /// The result of a cast to `i64` or `bool` never requires grad, as in PyTorch.
    ///
    /// # Panics
    /// Casting a tensor that requires grad between `f32` and `f64` outside `no_grad`: a graph
    /// holds one element type, so the gradient could not flow back, and tapegrad says so
    /// instead of silently detaching (`.detach()` first to mean it).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![-1.7f32, 0.0, 2.5], &[3]);
    /// assert_eq!(x.cast::<i64>().to_vec(), vec![-1, 0, 2]);
    /// assert_eq!(x.cast::<bool>().to_vec(), vec![true, false, true]);
    /// assert_eq!(x.gt(0.0).cast::<f64>().to_vec(), vec![0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        if let Some(same) = (self as &dyn std::any::Any).downcast_ref::<Tensor<U>>() {
            return same.clone();
        }
        // Integer and bool results never carry gradients (as in PyTorch); a float result
        // would be expected to, and cannot.
        if U::DTYPE.is_float() && self.is_requires_grad() && grad_enabled() {
            panic!(
                "tapegrad: cast: a {} tensor that requires grad cannot be cast to {}: the \
                 gradient cannot flow across element types; call .detach() first",
                T::DTYPE.short_name(),
                U::DTYPE.short_name()
            );
        }
        Tensor::leaf(map_to(&self.data().view(), |v: T| v.cast::<U>()))
    }

    /// The tensor's element type.
    ///
    /// ```
    /// use tapegrad::{DType, Tensor};
    /// assert_eq!(Tensor::<f64>::zeros(&[1]).dtype(), DType::F64);
    /// ```
    pub fn dtype(&self) -> crate::DType {
        T::DTYPE
    }
}
