//! The operators `+ - * /` and unary `-` for every mix of `Tensor`, `&Tensor` and a scalar.
//! They forward to the named methods' ops, so there is one implementation of each op. An
//! operand given up by value (`x * 2.0`, `a + &b`, `-x`) may hold the result: the op is then
//! computed in place when nothing else can see its elements, which saves an allocation per
//! temporary without changing any value.

use std::ops::{Add, Div, Mul, Neg, Sub};

use super::{elementwise, unary};
use crate::{Float, Tensor};

macro_rules! tensor_tensor {
    ($trait:ident, $method:ident, $op:expr) => {
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
        // A left operand given up may hold the result (see `binary_owned`).
        impl<T: Float> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                self.binary_owned(rhs, $op)
            }
        }
        impl<T: Float> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                self.binary_owned(&rhs, $op)
            }
        }
    };
}

tensor_tensor!(Add, add, elementwise::Add);
tensor_tensor!(Sub, sub, elementwise::Sub);
tensor_tensor!(Mul, mul, elementwise::Mul);
tensor_tensor!(Div, div, elementwise::Div);

/// `tensor op scalar`.
macro_rules! tensor_scalar {
    ($trait:ident, $method:ident, |$s:ident| $op:expr) => {
        impl<T: Float> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, $s: T) -> Tensor<T> {
                self.unary($op)
            }
        }
        // A tensor given up may hold the result (see `unary_owned`).
        impl<T: Float> $trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, $s: T) -> Tensor<T> {
                self.unary_owned($op)
            }
        }
    };
}

tensor_scalar!(Add, add, |s| unary::AddScalar(s));
// x + (-s) rounds exactly as x - s.
tensor_scalar!(Sub, sub, |s| unary::AddScalar(-s));
tensor_scalar!(Mul, mul, |s| unary::MulScalar(s));
tensor_scalar!(Div, div, |s| unary::DivScalar(s));

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
        self.unary_owned(unary::Neg)
    }
}

#[cfg(test)]
mod tests {
    use super::unary::Exp;
    use crate::Tensor;
    use crate::tensor::shared::Shared;

    /// The address of a tensor's storage, to tell whether an op wrote into it.
    fn storage_of(t: &Tensor<f64>) -> usize {
        Shared::addr(t.storage())
    }

    fn five() -> Tensor<f64> {
        Tensor::from_vec(vec![1.0, -2.0, 3.0, -4.0, 5.0], &[5])
    }

    #[test]
    fn an_operand_given_up_holds_the_result_when_nothing_else_sees_it() {
        let (x, y) = (five(), five());
        let px = storage_of(&x);
        let z = -((x * 2.0 + 1.0 - 3.0) / 2.0 * &y + y);
        assert_eq!(storage_of(&z), px, "every step wrote into x's storage");
        // -(((2x + 1 - 3) / 2) · y + y) = -x·y
        assert_eq!(z.to_vec(), vec![-1.0, -4.0, -9.0, -16.0, -25.0]);
        let (a, b) = (five(), five());
        let pa = storage_of(&a);
        let w = a + b;
        assert_eq!(storage_of(&w), pa, "the left operand holds the sum");
    }

    #[test]
    fn an_operand_others_can_see_is_left_alone() {
        let base = five();
        let expect = |t: &Tensor<f64>| assert_eq!(t.to_vec(), five().to_vec());
        // Another handle to the node.
        let kept = base.clone();
        let p = storage_of(&kept);
        let out = base * 2.0;
        assert_ne!(storage_of(&out), p);
        expect(&kept);
        // A detached alias of the storage, and a view of it.
        let x = five();
        let alias = x.detach();
        let out = x + 1.0;
        assert!(!out.shares_storage(&alias));
        expect(&alias);
        let x = five();
        let view = x.narrow(0, 1, 2);
        let out = x * 3.0;
        assert!(!out.shares_storage(&view));
        assert_eq!(view.to_vec(), vec![-2.0, 3.0]);
        // An input saved for backward.
        let a = five().requires_grad();
        let b = five();
        let loss = (&a * &b).sum();
        let scaled = b * 10.0;
        loss.backward();
        assert_eq!(a.grad().unwrap().to_vec(), five().to_vec());
        assert_eq!(scaled.to_vec()[0], 10.0);
    }

    #[test]
    fn an_operand_given_up_that_requires_grad_is_recorded() {
        let x = five().requires_grad();
        let y = x.clone() * 2.0;
        let z = (-(y * 3.0)).sum();
        z.backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![-6.0; 5]);
        // A leaf with a `.grad` keeps it (the grad is not written into).
        let w = five().requires_grad();
        (&w * 2.0).sum().backward();
        let g = w.grad().unwrap();
        let w_plain = crate::no_grad(|| w * 1.0);
        assert_eq!(g.to_vec(), vec![2.0; 5]);
        assert_eq!(w_plain.to_vec(), five().to_vec());
        assert!(!w_plain.is_requires_grad());
    }

    #[test]
    fn in_place_exp_recomputes_inputs_beyond_the_fast_range_exactly() {
        let values = vec![0.5, 100.0, -800.0, f64::NAN, 1.0];
        let x = Tensor::from_vec(values.clone(), &[5]);
        let reference = x.unary(Exp).to_vec();
        let owned = Tensor::from_vec(values, &[5]).unary_owned(Exp).to_vec();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&owned), bits(&reference));
        let long: Vec<f64> = (0..40).map(|i| i as f64 * 0.37 - 7.0).collect();
        let x = Tensor::from_vec(long.clone(), &[40]);
        let p = storage_of(&x);
        let owned = x.unary_owned(Exp);
        assert_eq!(storage_of(&owned), p);
        assert_eq!(
            bits(&owned.to_vec()),
            bits(&Tensor::from_vec(long, &[40]).unary(Exp).to_vec())
        );
    }

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
