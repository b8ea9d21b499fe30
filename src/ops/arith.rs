//! The operators `+ - * /` and unary `-` for every mix of `Tensor`, `&Tensor` and a scalar.
//! They forward to the named methods, so there is one implementation of each op.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::{Float, Tensor};

macro_rules! tensor_tensor {
    ($trait:ident, $method:ident) => {
        impl<T: Float> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, rhs)
            }
        }
        impl<T: Float> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, &rhs)
            }
        }
        impl<T: Float> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, rhs)
            }
        }
        impl<T: Float> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, &rhs)
            }
        }
    };
}

tensor_tensor!(Add, add);
tensor_tensor!(Sub, sub);
tensor_tensor!(Mul, mul);
tensor_tensor!(Div, div);

/// `tensor op scalar`.
macro_rules! tensor_scalar {
    ($trait:ident, $method:ident, |$x:ident, $s:ident| $body:expr) => {
        impl<T: Float> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, $s: T) -> Tensor<T> {
                let $x = self;
                $body
            }
        }
        impl<T: Float> $trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, $s: T) -> Tensor<T> {
                let $x = &self;
                $body
            }
        }
    };
}

tensor_scalar!(Add, add, |x, s| x.add_scalar(s));
// x + (-s) rounds exactly as x - s.
tensor_scalar!(Sub, sub, |x, s| x.add_scalar(-s));
tensor_scalar!(Mul, mul, |x, s| x.mul_scalar(s));
tensor_scalar!(Div, div, |x, s| x.div_scalar(s));

/// `scalar op tensor`, for each concrete element type (Rust's orphan rule forbids a generic
/// impl with the scalar on the left).
macro_rules! scalar_tensor {
    ($t:ty) => {
        scalar_tensor!($t, Add, add, add_scalar);
        scalar_tensor!($t, Sub, sub, rsub_scalar);
        scalar_tensor!($t, Mul, mul, mul_scalar);
        scalar_tensor!($t, Div, div, rdiv_scalar);
    };
    ($t:ty, $trait:ident, $method:ident, $call:ident) => {
        impl $trait<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<$t>) -> Tensor<$t> {
                rhs.$call(self)
            }
        }
        impl $trait<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            #[track_caller]
            fn $method(self, rhs: Tensor<$t>) -> Tensor<$t> {
                rhs.$call(self)
            }
        }
    };
}

scalar_tensor!(f32);
scalar_tensor!(f64);

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    #[track_caller]
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Float> Neg for Tensor<T> {
    type Output = Tensor<T>;
    #[track_caller]
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn every_operator_mix_agrees_with_the_methods() {
        let a = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
        let b = Tensor::from_vec(vec![4.0f64, 8.0], &[2]);
        assert_eq!((&a + &b).to_vec(), vec![5.0, 10.0]);
        assert_eq!((a.clone() - &b).to_vec(), vec![-3.0, -6.0]);
        assert_eq!((&a * b.clone()).to_vec(), vec![4.0, 16.0]);
        assert_eq!((a.clone() / b.clone()).to_vec(), vec![0.25, 0.25]);
        assert_eq!((&a - 1.0).to_vec(), vec![0.0, 1.0]);
        assert_eq!((1.0 - &a).to_vec(), vec![0.0, -1.0]);
        assert_eq!((2.0 / &b).to_vec(), vec![0.5, 0.25]);
        assert_eq!((3.0 * a.clone()).to_vec(), vec![3.0, 6.0]);
        assert_eq!((-&a).to_vec(), vec![-1.0, -2.0]);
    }
}
