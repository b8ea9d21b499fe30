//! Comparisons to `Tensor<bool>`, the float tests (`isnan`, ...), logic on bool tensors and
//! the reductions of masks (`any`, `all`, `count_nonzero`, `nonzero`, integer `sum`).
//!
//! None of these is differentiable (their results are not floats), so none records anything.

use std::ops::{BitAnd, BitOr, BitXor, Not};

use ndarray::{ArrayD, Dimension, IxDyn};

use super::{map_to, normalize_dim, reduce_lanes, zip_to};
use crate::{Element, Float, Tensor};

/// The right side of a comparison, of [`where_cond`](crate::where_cond) and friends: a
/// tensor (broadcast against the left side) or a scalar.
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::from_vec(vec![0.2f32, 0.7], &[2]);
/// assert_eq!(x.gt(0.5).to_vec(), vec![false, true]);
/// assert_eq!(x.lt(&x).to_vec(), vec![false, false]);
/// ```
pub trait Operand<T: Element> {
    /// The operand as a tensor (a scalar becomes a 0-d tensor).
    fn into_tensor(self) -> Tensor<T>;
}

impl<T: Element> Operand<T> for &Tensor<T> {
    fn into_tensor(self) -> Tensor<T> {
        self.clone()
    }
}

impl<T: Element> Operand<T> for T {
    fn into_tensor(self) -> Tensor<T> {
        Tensor::scalar(self)
    }
}

/// Defines a comparison method from its element test.
macro_rules! comparison {
    ($(#[$doc:meta])* $name:ident, |$a:ident, $b:ident| $test:expr) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name<O: Operand<T>>(&self, other: O) -> Tensor<bool> {
            self.compare(stringify!($name), other, |$a, $b| $test)
        }
    };
}

impl<T: Element> Tensor<T> {
    #[track_caller]
    fn compare<O: Operand<T>>(&self, op: &str, other: O, f: impl Fn(T, T) -> bool) -> Tensor<bool> {
        let other = other.into_tensor();
        let values = {
            let (a, b) = (self.data(), other.data());
            zip_to(op, &a.view(), &b.view(), f)
        };
        Tensor::leaf(values)
    }

    comparison!(
        /// `self == other` elementwise, with broadcasting (`torch.eq`; NaN equals nothing).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let y = Tensor::<i64>::from_vec(vec![1, 2, 3], &[3]);
        /// assert_eq!(y.eq(2).to_vec(), vec![false, true, false]);
        /// ```
        eq, |a, b| a == b
    );
    comparison!(
        /// `self != other` elementwise, with broadcasting (`torch.ne`).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let y = Tensor::<i64>::from_vec(vec![1, 2], &[2]);
        /// assert_eq!(y.ne(&Tensor::from_vec(vec![1, 5], &[2])).to_vec(), vec![false, true]);
        /// ```
        ne, |a, b| a != b
    );
    comparison!(
        /// `self < other` elementwise, with broadcasting (`torch.lt`).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        /// assert_eq!(x.lt(2.0).to_vec(), vec![true, false]);
        /// ```
        lt, |a, b| a < b
    );
    comparison!(
        /// `self <= other` elementwise, with broadcasting (`torch.le`).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        /// assert_eq!(x.le(2.0).to_vec(), vec![true, true]);
        /// ```
        le, |a, b| a <= b
    );
    comparison!(
        /// `self > other` elementwise, with broadcasting (`torch.gt`).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
        /// let col = Tensor::from_vec(vec![1.5f32, 3.5], &[2, 1]);
        /// assert_eq!(x.gt(&col).to_vec(), vec![false, true, false, true]);
        /// ```
        gt, |a, b| a > b
    );
    comparison!(
        /// `self >= other` elementwise, with broadcasting (`torch.ge`).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        /// assert_eq!(x.ge(2.0).to_vec(), vec![false, true]);
        /// ```
        ge, |a, b| a >= b
    );

    /// The number of nonzero (or `true`) elements, as a 0-d `i64` tensor
    /// (`torch.count_nonzero`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32, 2.0, 0.0, -1.0], &[4]);
    /// assert_eq!(x.count_nonzero().item(), 2);
    /// ```
    pub fn count_nonzero(&self) -> Tensor<i64> {
        let n = self.data().view().iter().filter(|&&v| v != T::ZERO).count();
        Tensor::scalar(n as i64)
    }

    /// The indices of the nonzero (or `true`) elements, one row per element: `[n, ndim]`,
    /// in row-major order (`torch.nonzero`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, false, false, true], &[2, 2]);
    /// let idx = m.nonzero();
    /// assert_eq!(idx.shape(), &[2, 2]);
    /// assert_eq!(idx.to_vec(), vec![0, 0, 1, 1]);
    /// ```
    pub fn nonzero(&self) -> Tensor<i64> {
        let ndim = self.ndim();
        let mut rows = Vec::new();
        let mut n = 0;
        for (ix, &v) in self.data().view().indexed_iter() {
            if v != T::ZERO {
                rows.extend(ix.slice().iter().map(|&i| i as i64));
                n += 1;
            }
        }
        Tensor::from_vec(rows, &[n, ndim])
    }
}

impl<T: Float> Tensor<T> {
    /// Which elements are NaN (`torch.isnan`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, f32::NAN], &[2]);
    /// assert_eq!(x.isnan().to_vec(), vec![false, true]);
    /// ```
    pub fn isnan(&self) -> Tensor<bool> {
        Tensor::leaf(map_to(&self.data().view(), |v: T| v.is_nan()))
    }

    /// Which elements are +∞ or −∞ (`torch.isinf`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, f32::NEG_INFINITY, f32::NAN], &[3]);
    /// assert_eq!(x.isinf().to_vec(), vec![false, true, false]);
    /// ```
    pub fn isinf(&self) -> Tensor<bool> {
        Tensor::leaf(map_to(&self.data().view(), |v: T| v.is_infinite()))
    }

    /// Which elements are neither infinite nor NaN (`torch.isfinite`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, f32::INFINITY, f32::NAN], &[3]);
    /// assert_eq!(x.isfinite().to_vec(), vec![true, false, false]);
    /// ```
    pub fn isfinite(&self) -> Tensor<bool> {
        Tensor::leaf(map_to(&self.data().view(), |v: T| v.is_finite()))
    }

    /// Whether `|self − other| ≤ atol + rtol·|other|` everywhere, with broadcasting
    /// (`torch.allclose`; NaNs are never close).
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    /// let b = Tensor::from_vec(vec![1.0f64, 2.0 + 1e-9], &[2]);
    /// assert!(a.allclose(&b, 1e-5, 1e-8));
    /// assert!(!a.allclose(&(&b * 2.0), 1e-5, 1e-8));
    /// ```
    #[track_caller]
    pub fn allclose(&self, other: &Tensor<T>, rtol: f64, atol: f64) -> bool {
        let close = {
            let (a, b) = (self.data(), other.data());
            zip_to("allclose", &a.view(), &b.view(), |x: T, y: T| {
                let (x, y) = (x.as_f64(), y.as_f64());
                x == y || (x - y).abs() <= atol + rtol * y.abs()
            })
        };
        close.view().iter().all(|&c| c)
    }
}

/// Defines an elementwise logic op of two bool tensors with broadcasting.
macro_rules! logic {
    ($(#[$doc:meta])* $name:ident, $f:expr) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(&self, other: &Tensor<bool>) -> Tensor<bool> {
            let values = {
                let (a, b) = (self.data(), other.data());
                zip_to(stringify!($name), &a.view(), &b.view(), $f)
            };
            Tensor::leaf(values)
        }
    };
}

impl Tensor<bool> {
    logic!(
        /// `self AND other` elementwise, with broadcasting (also the `&` operator).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let a = Tensor::from_vec(vec![true, true, false], &[3]);
        /// let b = Tensor::from_vec(vec![true, false, false], &[3]);
        /// assert_eq!(a.logical_and(&b).to_vec(), vec![true, false, false]);
        /// assert_eq!((&a & &b).to_vec(), vec![true, false, false]);
        /// ```
        logical_and, |a: bool, b: bool| a && b
    );
    logic!(
        /// `self OR other` elementwise, with broadcasting (also the `|` operator).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let a = Tensor::from_vec(vec![true, false], &[2]);
        /// assert_eq!(a.logical_or(&Tensor::scalar(false)).to_vec(), vec![true, false]);
        /// ```
        logical_or, |a: bool, b: bool| a || b
    );
    logic!(
        /// `self XOR other` elementwise, with broadcasting (also the `^` operator).
        ///
        /// ```
        /// use tapegrad::Tensor;
        /// let a = Tensor::from_vec(vec![true, false], &[2]);
        /// assert_eq!(a.logical_xor(&Tensor::scalar(true)).to_vec(), vec![false, true]);
        /// ```
        logical_xor, |a: bool, b: bool| a != b
    );

    /// `NOT self` elementwise (also the `!` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![true, false], &[2]);
    /// assert_eq!(a.logical_not().to_vec(), vec![false, true]);
    /// assert_eq!((!&a).to_vec(), vec![false, true]);
    /// ```
    pub fn logical_not(&self) -> Tensor<bool> {
        Tensor::leaf(map_to(&self.data().view(), |v: bool| !v))
    }

    /// Whether any element is `true`, as a 0-d tensor (`torch.any`; false when empty).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(Tensor::from_vec(vec![false, true], &[2]).any().item());
    /// ```
    pub fn any(&self) -> Tensor<bool> {
        Tensor::scalar(self.data().view().iter().any(|&v| v))
    }

    /// Whether every element is `true`, as a 0-d tensor (`torch.all`; true when empty).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(!Tensor::from_vec(vec![false, true], &[2]).all().item());
    /// ```
    pub fn all(&self) -> Tensor<bool> {
        Tensor::scalar(self.data().view().iter().all(|&v| v))
    }

    /// Whether any element along `dim` is `true` (`torch.any(dim, keepdim)`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, false, false, false], &[2, 2]);
    /// assert_eq!(m.any_dim(1, false).to_vec(), vec![true, false]);
    /// ```
    #[track_caller]
    pub fn any_dim(&self, dim: isize, keepdim: bool) -> Tensor<bool> {
        if let Some(y) = super::scalar_dim(self, "any_dim", dim, |x| x.any_dim(0, keepdim)) {
            return y;
        }
        let d = normalize_dim("any_dim", dim, self.shape());
        let out = reduce_lanes(&self.data().view(), d, keepdim, |l| l.iter().any(|&v| v));
        Tensor::leaf(out)
    }

    /// Whether every element along `dim` is `true` (`torch.all(dim, keepdim)`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, true, false, true], &[2, 2]);
    /// assert_eq!(m.all_dim(0, true).to_vec(), vec![false, true]);
    /// ```
    #[track_caller]
    pub fn all_dim(&self, dim: isize, keepdim: bool) -> Tensor<bool> {
        if let Some(y) = super::scalar_dim(self, "all_dim", dim, |x| x.all_dim(0, keepdim)) {
            return y;
        }
        let d = normalize_dim("all_dim", dim, self.shape());
        let out = reduce_lanes(&self.data().view(), d, keepdim, |l| l.iter().all(|&v| v));
        Tensor::leaf(out)
    }

    /// The number of `true` elements as a 0-d `i64` tensor (PyTorch sums bools to int64):
    /// `pred.eq(&labels).sum()` counts the correct predictions.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, true, false], &[3]);
    /// assert_eq!(m.sum().item(), 2);
    /// ```
    pub fn sum(&self) -> Tensor<i64> {
        self.count_nonzero()
    }

    /// The number of `true` elements along `dim`, as `i64`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, true, false, true], &[2, 2]);
    /// assert_eq!(m.sum_dim(1, false).to_vec(), vec![2, 1]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor<i64> {
        let d = normalize_dim("sum_dim", dim, self.shape());
        let out = reduce_lanes(&self.data().view(), d, keepdim, |l| {
            l.iter().filter(|&&v| v).count() as i64
        });
        Tensor::leaf(out)
    }
}

impl Tensor<i64> {
    /// The sum of the elements, as a 0-d tensor (wrapping on overflow, as PyTorch's).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<i64>::from_vec(vec![1, 2, 3], &[3]).sum().item(), 6);
    /// ```
    pub fn sum(&self) -> Tensor<i64> {
        let total = self
            .data()
            .view()
            .iter()
            .fold(0i64, |a, &b| a.wrapping_add(b));
        Tensor::scalar(total)
    }

    /// The sums along `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<i64>::from_vec(vec![1, 2, 3, 4], &[2, 2]);
    /// assert_eq!(t.sum_dim(0, false).to_vec(), vec![4, 6]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor<i64> {
        let d = normalize_dim("sum_dim", dim, self.shape());
        let out = reduce_lanes(&self.data().view(), d, keepdim, |l| {
            l.iter().fold(0i64, |a, &b| a.wrapping_add(b))
        });
        Tensor::leaf(out)
    }
}

/// Implements a bitwise operator on bool tensors, for every mix of owned and borrowed.
macro_rules! bool_operator {
    ($trait:ident, $method:ident, $logic:ident) => {
        impl $trait<&Tensor<bool>> for &Tensor<bool> {
            type Output = Tensor<bool>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<bool>) -> Tensor<bool> {
                self.$logic(rhs)
            }
        }
        impl $trait<Tensor<bool>> for &Tensor<bool> {
            type Output = Tensor<bool>;
            #[track_caller]
            fn $method(self, rhs: Tensor<bool>) -> Tensor<bool> {
                self.$logic(&rhs)
            }
        }
        impl $trait<&Tensor<bool>> for Tensor<bool> {
            type Output = Tensor<bool>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<bool>) -> Tensor<bool> {
                self.$logic(rhs)
            }
        }
        impl $trait<Tensor<bool>> for Tensor<bool> {
            type Output = Tensor<bool>;
            #[track_caller]
            fn $method(self, rhs: Tensor<bool>) -> Tensor<bool> {
                self.$logic(&rhs)
            }
        }
    };
}

bool_operator!(BitAnd, bitand, logical_and);
bool_operator!(BitOr, bitor, logical_or);
bool_operator!(BitXor, bitxor, logical_xor);

impl Not for &Tensor<bool> {
    type Output = Tensor<bool>;
    fn not(self) -> Tensor<bool> {
        self.logical_not()
    }
}

impl Not for Tensor<bool> {
    type Output = Tensor<bool>;
    fn not(self) -> Tensor<bool> {
        self.logical_not()
    }
}

/// Classes as one-hot rows: `[..., num_classes]` with a 1 at each label (`F.one_hot`).
///
/// # Panics
/// If a label is negative or not below `num_classes`.
///
/// ```
/// use tapegrad::Tensor;
/// let y = Tensor::<i64>::from_vec(vec![2, 0], &[2]);
/// let h = tapegrad::one_hot(&y, 3);
/// assert_eq!(h.shape(), &[2, 3]);
/// assert_eq!(h.to_vec(), vec![0, 0, 1, 1, 0, 0]);
/// ```
#[track_caller]
pub fn one_hot(labels: &Tensor<i64>, num_classes: usize) -> Tensor<i64> {
    let mut shape = labels.shape().to_vec();
    shape.push(num_classes);
    let n = crate::tensor::numel_or_panic::<i64>("one_hot", &shape);
    let mut out = vec![0i64; n];
    for (row, &c) in labels.data().view().iter().enumerate() {
        if c < 0 || c as u64 >= num_classes as u64 {
            panic!("tapegrad: one_hot: class {c} is out of range for {num_classes} classes");
        }
        out[row * num_classes + c as usize] = 1;
    }
    Tensor::leaf(ArrayD::from_shape_vec(IxDyn(&shape), out).expect("element count"))
}
