//! Binary elementwise ops with numpy broadcasting: `add sub mul div maximum minimum`.
//!
//! Each backward reduces its gradient to the input's shape with [`Tensor::sum_to`], the one
//! place where broadcasting is undone.

use ndarray::{ArrayD, IxDyn, Zip};

use super::{broadcast_shape, Grads, Needs, Op};
use crate::{Float, Tensor};

#[derive(Clone, Copy, Debug)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    /// `a` where `b > 0`, else 0: relu's backward (`a` the gradient, `b` relu's input).
    ReluBackward,
    /// `a·(1 − b²)`: tanh's backward (`b` tanh's output).
    TanhBackward,
    /// `a·(1 − b)·b`: sigmoid's backward (`b` sigmoid's output).
    SigmoidBackward,
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::ReluBackward => "relu_backward",
            BinaryOp::TanhBackward => "tanh_backward",
            BinaryOp::SigmoidBackward => "sigmoid_backward",
        }
    }

    #[inline(always)]
    fn apply<T: Float>(self, x: T, y: T) -> T {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            // NaN wins, as in PyTorch.
            BinaryOp::Maximum if x.is_nan() || y.is_nan() => T::nan(),
            BinaryOp::Minimum if x.is_nan() || y.is_nan() => T::nan(),
            BinaryOp::Maximum => x.max(y),
            BinaryOp::Minimum => x.min(y),
            BinaryOp::ReluBackward => {
                if y > T::zero() {
                    x
                } else {
                    T::zero()
                }
            }
            BinaryOp::TanhBackward => x * (T::one() - y * y),
            BinaryOp::SigmoidBackward => x * (T::one() - y) * y,
        }
    }

    pub(crate) fn backward<T: Float>(
        self,
        a: &Tensor<T>,
        b: &Tensor<T>,
        g: &Tensor<T>,
        needs: Needs,
    ) -> Grads<T> {
        let (ga, gb) = match self {
            // The fused backward ops are linear in `a`; `b`'s mask is piecewise constant.
            BinaryOp::ReluBackward => (needs.get(0).then(|| g.binary(b, self)), None),
            BinaryOp::TanhBackward => (
                needs.get(0).then(|| g.binary(b, self)),
                needs.get(1).then(|| (g * a * b) * T::of_f64(-2.0)),
            ),
            BinaryOp::SigmoidBackward => (
                needs.get(0).then(|| g.binary(b, self)),
                needs
                    .get(1)
                    .then(|| g * a * (b * T::of_f64(-2.0)).add_scalar(T::one())),
            ),
            BinaryOp::Add => (
                needs.get(0).then(|| g.clone()),
                needs.get(1).then(|| g.clone()),
            ),
            BinaryOp::Sub => (needs.get(0).then(|| g.clone()), needs.get(1).then(|| -g)),
            BinaryOp::Mul => (needs.get(0).then(|| g * b), needs.get(1).then(|| g * a)),
            BinaryOp::Div => (
                needs.get(0).then(|| g / b),
                needs.get(1).then(|| -(g * a) / (b * b)),
            ),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // The larger (smaller) input takes the gradient; a tie splits it in halves.
                let first_wins = |x: T, y: T| {
                    let wins = match self {
                        BinaryOp::Maximum => x > y,
                        _ => x < y,
                    };
                    if wins {
                        T::one()
                    } else if x == y {
                        T::of_f64(0.5)
                    } else {
                        T::zero()
                    }
                };
                let wa = Tensor::leaf(zip_broadcast("maximum", &a.data(), &b.data(), first_wins));
                let wb = Tensor::leaf(zip_broadcast("maximum", &b.data(), &a.data(), |y, x| {
                    first_wins(y, x)
                }));
                (needs.get(0).then(|| g * &wa), needs.get(1).then(|| g * &wb))
            }
        };
        Grads::Fixed([
            ga.map(|t| t.sum_to(a.shape())),
            gb.map(|t| t.sum_to(b.shape())),
        ])
    }
}

/// `f` applied elementwise to `a` and `b` broadcast together.
#[track_caller]
pub(crate) fn zip_broadcast<T: Float>(
    op: &str,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    if a.shape() == b.shape() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let mut v = crate::pool::take(x.len());
            v.extend(x.iter().zip(y).map(|(&x, &y)| f(x, y)));
            return ArrayD::from_shape_vec(a.raw_dim(), v).expect("same shape");
        }
        return Zip::from(a).and(b).map_collect(|&x, &y| f(x, y));
    }
    if b.len() == 1 && b.ndim() <= a.ndim() {
        let y = *b.iter().next().unwrap();
        return super::map(a, |x| f(x, y));
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        let x = *a.iter().next().unwrap();
        return super::map(b, |y| f(x, y));
    }
    // A bias: b's shape is a's trailing dims (e.g. [N, C] + [C]), so b repeats along rows.
    if b.ndim() <= a.ndim() && a.shape()[a.ndim() - b.ndim()..] == *b.shape() && !b.is_empty() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let mut out = crate::pool::take(x.len());
            for row in x.chunks_exact(y.len()) {
                out.extend(row.iter().zip(y).map(|(&x, &y)| f(x, y)));
            }
            return ArrayD::from_shape_vec(a.raw_dim(), out).expect("same shape as a");
        }
    }
    if a.ndim() < b.ndim() && b.shape()[b.ndim() - a.ndim()..] == *a.shape() && !a.is_empty() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let mut out = crate::pool::take(y.len());
            for row in y.chunks_exact(x.len()) {
                out.extend(x.iter().zip(row).map(|(&x, &y)| f(x, y)));
            }
            return ArrayD::from_shape_vec(b.raw_dim(), out).expect("same shape as b");
        }
    }
    let shape = IxDyn(&broadcast_shape(op, a.shape(), b.shape()));
    let av = a.broadcast(shape.clone()).expect("broadcastable");
    let bv = b.broadcast(shape).expect("broadcastable");
    Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y))
}

impl<T: Float> Tensor<T> {
    #[track_caller]
    pub(crate) fn binary(&self, other: &Tensor<T>, op: BinaryOp) -> Tensor<T> {
        let (a, b) = (self.data(), other.data());
        let name = op.name();
        // One match per call with the op a constant in each arm, so `apply` folds to one
        // expression and each loop is specialised and vectorised (not a jump per element).
        macro_rules! each {
            ($($v:ident),*) => {
                match op {
                    $(BinaryOp::$v => zip_broadcast(name, &a, &b, |x, y| BinaryOp::$v.apply(x, y)),)*
                }
            };
        }
        let data = each!(
            Add,
            Sub,
            Mul,
            Div,
            Maximum,
            Minimum,
            ReluBackward,
            TanhBackward,
            SigmoidBackward
        );
        drop((a, b));
        Tensor::from_op(data, Op::Binary(op), (self, other))
    }

    /// Elementwise `self + other` with broadcasting (also the `+` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
    /// assert_eq!(a.add(&b).to_vec(), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    /// ```
    #[track_caller]
    pub fn add(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Add)
    }

    /// Elementwise `self - other` with broadcasting (also the `-` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![5.0f32, 7.0], &[2]);
    /// assert_eq!(a.sub(&Tensor::scalar(1.0)).to_vec(), vec![4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn sub(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Sub)
    }

    /// Elementwise `self * other` with broadcasting (also the `*` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
    /// assert_eq!(a.mul(&a).to_vec(), vec![4.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn mul(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Mul)
    }

    /// Elementwise `self / other` with broadcasting (also the `/` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
    /// assert_eq!(a.div(&Tensor::scalar(2.0)).to_vec(), vec![1.0, 1.5]);
    /// ```
    #[track_caller]
    pub fn div(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Div)
    }

    /// Elementwise maximum with broadcasting; on a tie each input gets half the gradient,
    /// as in PyTorch.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 5.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0f32, 2.0], &[2]);
    /// assert_eq!(a.maximum(&b).to_vec(), vec![3.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Maximum)
    }

    /// Elementwise minimum with broadcasting.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 5.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0f32, 2.0], &[2]);
    /// assert_eq!(a.minimum(&b).to_vec(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn minimum(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, BinaryOp::Minimum)
    }
}
