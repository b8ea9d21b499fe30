//! Binary elementwise ops with numpy broadcasting: `add sub mul div maximum minimum`, and the
//! fused backward ops of relu, tanh and sigmoid.
//!
//! Each op is one type: [`Binary::f`] is its forward on a pair of elements, and its
//! [`Function`] impl right below is its backward. Each backward reduces its gradients to the
//! inputs' shapes with [`Tensor::sum_to`], the one place where broadcasting is undone.

use ndarray::{ArrayViewD, IxDyn, Zip};

use super::select::where_cond;
use super::{Buffer, broadcast_shape};
use crate::autograd::{Context, Function, Grads};
use crate::tensor::Values;
use crate::tensor::grad_mode::grad_enabled;
use crate::{Float, Tensor};

/// The forward of a binary elementwise op, one pair of elements at a time.
pub(crate) trait Binary<T: Float> {
    fn f(&self, x: T, y: T) -> T;
}

/// The two input gradients, each reduced to its input's shape.
fn reduced<T: Float>(
    ctx: &Context<'_, T>,
    ga: Option<Tensor<T>>,
    gb: Option<Tensor<T>>,
) -> Grads<T> {
    Grads::two(
        ga.map(|t| t.sum_to(ctx.input_shape(0))),
        gb.map(|t| t.sum_to(ctx.input_shape(1))),
    )
}

/// Implements [`Binary`] for an op from its forward on one pair of elements.
macro_rules! forward {
    ($op:ty, |$x:ident, $y:ident| $body:expr) => {
        impl<T: Float> Binary<T> for $op {
            #[inline(always)]
            fn f(&self, $x: T, $y: T) -> T {
                $body
            }
        }
    };
}

/// Implements [`Function`] for a binary op: the body returns the pair of unreduced input
/// gradients, computing each only when `ctx.needs_input_grad` asks for it.
macro_rules! backward {
    ($op:ty, $name:literal, |$ctx:ident, $g:ident| $body:expr) => {
        impl<T: Float> Function<T> for $op {
            fn name(&self) -> &'static str {
                $name
            }
            fn backward(&self, $ctx: &Context<'_, T>, $g: &Tensor<T>) -> Grads<T> {
                let (ga, gb): (Option<Tensor<T>>, Option<Tensor<T>>) = $body;
                reduced($ctx, ga, gb)
            }
        }
    };
}

#[derive(Clone, Copy)]
pub(crate) struct Add;
forward!(Add, |x, y| x + y);
backward!(Add, "add", |ctx, g| (
    ctx.needs_input_grad(0).then(|| g.clone()),
    ctx.needs_input_grad(1).then(|| g.clone()),
));

#[derive(Clone, Copy)]
pub(crate) struct Sub;
forward!(Sub, |x, y| x - y);
backward!(Sub, "sub", |ctx, g| (
    ctx.needs_input_grad(0).then(|| g.clone()),
    ctx.needs_input_grad(1).then(|| -g),
));

#[derive(Clone, Copy)]
pub(crate) struct Mul;
forward!(Mul, |x, y| x * y);
impl<T: Float> Function<T> for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        self.backward_owned(ctx, g.clone())
    }
    // The gradient by value: the last product written is computed in `g`'s buffer when the
    // walk holds it alone.
    fn backward_owned(&self, ctx: &Context<'_, T>, g: Tensor<T>) -> Grads<T> {
        // Each input is read (and version-checked) only when the other's gradient needs it.
        let (ga, gb) = match (ctx.needs_input_grad(0), ctx.needs_input_grad(1)) {
            (true, true) => (Some(&g * ctx.input(1)), Some(g * ctx.input(0))),
            (true, false) => (Some(g * ctx.input(1)), None),
            (false, true) => (None, Some(g * ctx.input(0))),
            (false, false) => (None, None),
        };
        reduced(ctx, ga, gb)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Div;
forward!(Div, |x, y| x / y);
backward!(Div, "div", |ctx, g| {
    let b = ctx.input(1);
    (
        ctx.needs_input_grad(0).then(|| g / b),
        ctx.needs_input_grad(1)
            .then(|| -(g * ctx.input(0)) / (b * b)),
    )
});

/// `a^b` for a tensor exponent.
#[derive(Clone, Copy)]
pub(crate) struct Pow;
forward!(Pow, |x, y| x.powf(y));
backward!(Pow, "pow", |ctx, g| {
    let (a, b) = (ctx.input(0), ctx.input(1));
    // PyTorch: no gradient for the base where the exponent is 0, none for the exponent
    // where the base is 0 and the exponent is not negative.
    let ga = ctx.needs_input_grad(0).then(|| {
        let term = g * &(b * &a.pow(&b.add_scalar(-T::one())));
        where_cond(&b.eq(T::ZERO), T::ZERO, &term)
    });
    let gb = ctx.needs_input_grad(1).then(|| {
        let masked = &a.eq(T::ZERO) & &b.ge(T::ZERO);
        where_cond(&masked, T::ZERO, &(g * &(ctx.output() * &a.log())))
    });
    (ga, gb)
});

/// `atan2(a, b)`, the angle of the point (b, a).
#[derive(Clone, Copy)]
pub(crate) struct Atan2;
forward!(Atan2, |x, y| x.atan2(y));
backward!(Atan2, "atan2", |ctx, g| {
    let (a, b) = (ctx.input(0), ctx.input(1));
    let r2 = &(a * a) + &(b * b);
    // At the origin the angle has no gradient: PyTorch gives 0 there, not 0/0.
    let origin = r2.eq(T::ZERO);
    (
        ctx.needs_input_grad(0)
            .then(|| where_cond(&origin, T::ZERO, &(g * b / &r2))),
        ctx.needs_input_grad(1)
            .then(|| where_cond(&origin, T::ZERO, &(g * &a.neg() / &r2))),
    )
});

/// The quotient `a / b` rounded by `div` (truncated for fmod, floored for remainder), constant.
fn quotient<T: Float>(op: &str, a: &Tensor<T>, b: &Tensor<T>, div: fn(T, T) -> T) -> Tensor<T> {
    let (x, y) = (a.data(), b.data());
    Tensor::leaf(zip_broadcast(op, &x.view(), &y.view(), div))
}

/// `a / b` rounded toward zero.
fn div_trunc<T: Float>(a: T, b: T) -> T {
    (a / b).trunc()
}

/// `a / b` rounded down, computed as PyTorch's `div(a, b, rounding_mode="floor")`: from
/// `fmod`, so the quotient is exact where `a / b` would round, and an infinite `a` gives NaN.
fn div_floor<T: Float>(a: T, b: T) -> T {
    if b == T::zero() {
        return a / b;
    }
    let rem = a % b;
    let mut div = (a - rem) / b;
    if rem != T::zero() && (b < T::zero()) != (rem < T::zero()) {
        div -= T::one();
    }
    if div == T::zero() {
        return T::zero().copysign(a / b);
    }
    let floor = div.floor();
    if div - floor > T::of_f64(0.5) {
        floor + T::one()
    } else {
        floor
    }
}

/// `a − trunc(a/b)·b` (C's `fmod`: the sign of `a`).
#[derive(Clone, Copy)]
pub(crate) struct Fmod;
forward!(Fmod, |x, y| x % y);
backward!(Fmod, "fmod", |ctx, g| (
    ctx.needs_input_grad(0).then(|| g.clone()),
    ctx.needs_input_grad(1)
        .then(|| g.neg() * quotient("fmod", ctx.input(0), ctx.input(1), div_trunc)),
));

/// `a − floor(a/b)·b` (Python's `%`: the sign of `b`).
#[derive(Clone, Copy)]
pub(crate) struct Remainder;
forward!(Remainder, |x, y| {
    let r = x % y;
    if r != T::zero() && ((r < T::zero()) != (y < T::zero())) {
        r + y
    } else {
        r
    }
});
backward!(Remainder, "remainder", |ctx, g| (
    ctx.needs_input_grad(0).then(|| g.clone()),
    ctx.needs_input_grad(1)
        .then(|| g.neg() * quotient("remainder", ctx.input(0), ctx.input(1), div_floor)),
));

/// The share of the gradient the first of `x`, `y` takes, as PyTorch's formula: half on a
/// tie, none when it loses, else all. So where either is NaN, both take all of it.
fn winner_share<T: Float>(x: T, y: T, max: bool) -> T {
    let loses = if max { x < y } else { x > y };
    if x == y {
        T::of_f64(0.5)
    } else if loses {
        T::zero()
    } else {
        T::one()
    }
}

/// The gradients of maximum (`max`) or minimum: the larger (smaller) input takes the
/// gradient; a tie splits it in halves, as PyTorch.
fn extremum_grads<T: Float>(
    ctx: &Context<'_, T>,
    g: &Tensor<T>,
    max: bool,
) -> (Option<Tensor<T>>, Option<Tensor<T>>) {
    let (a, b) = (ctx.input(0), ctx.input(1));
    let share = |first: &Tensor<T>, second: &Tensor<T>| {
        let (x, y) = (first.data(), second.data());
        let w = zip_broadcast("maximum", &x.view(), &y.view(), |x, y| {
            winner_share(x, y, max)
        });
        Tensor::leaf(w)
    };
    (
        ctx.needs_input_grad(0).then(|| g * &share(a, b)),
        ctx.needs_input_grad(1).then(|| g * &share(b, a)),
    )
}

#[derive(Clone, Copy)]
pub(crate) struct Maximum;
// NaN wins, as in PyTorch.
forward!(Maximum, |x, y| if x.is_nan() || y.is_nan() {
    T::nan()
} else {
    x.max(y)
});
backward!(Maximum, "maximum", |ctx, g| extremum_grads(ctx, g, true));

#[derive(Clone, Copy)]
pub(crate) struct Minimum;
forward!(Minimum, |x, y| if x.is_nan() || y.is_nan() {
    T::nan()
} else {
    x.min(y)
});
backward!(Minimum, "minimum", |ctx, g| extremum_grads(ctx, g, false));

/// 0 where `b ≤ 0`, else `a`: relu's backward (`a` the gradient, `b` relu's output), as
/// PyTorch's `threshold_backward`, so a NaN input passes its gradient on. Linear in `a`; `b`'s
/// mask is piecewise constant, so `b` gets no gradient.
#[derive(Clone, Copy)]
pub(crate) struct ReluBackward;
forward!(ReluBackward, |x, y| if y <= T::zero() {
    T::zero()
} else {
    x
});
backward!(ReluBackward, "relu_backward", |ctx, g| (
    ctx.needs_input_grad(0)
        .then(|| g.binary(ctx.input(1), ReluBackward)),
    None,
));

/// `a·(1 − b²)`: tanh's backward (`b` tanh's output).
#[derive(Clone, Copy)]
pub(crate) struct TanhBackward;
forward!(TanhBackward, |x, y| x * (T::one() - y * y));
backward!(TanhBackward, "tanh_backward", |ctx, g| (
    ctx.needs_input_grad(0)
        .then(|| g.binary(ctx.input(1), TanhBackward)),
    ctx.needs_input_grad(1)
        .then(|| (g * ctx.input(0) * ctx.input(1)) * T::of_f64(-2.0)),
));

/// `a·(1 − b)·b`: sigmoid's backward (`b` sigmoid's output).
#[derive(Clone, Copy)]
pub(crate) struct SigmoidBackward;
forward!(SigmoidBackward, |x, y| x * (T::one() - y) * y);
backward!(SigmoidBackward, "sigmoid_backward", |ctx, g| (
    ctx.needs_input_grad(0)
        .then(|| g.binary(ctx.input(1), SigmoidBackward)),
    ctx.needs_input_grad(1)
        .then(|| g * ctx.input(0) * (ctx.input(1) * T::of_f64(-2.0)).add_scalar(T::one())),
));

/// `f(row element, bias element)` for every row of `rows` (a multiple of `bias` long): one
/// tight loop per row, so large arrays vectorise.
fn by_rows<T: Float>(rows: &[T], bias: &[T], f: impl Fn(T, T) -> T) -> Buffer<T> {
    if rows.len() <= crate::tensor::buffer::INLINE {
        let each = rows.chunks_exact(bias.len());
        let values = each.flat_map(|row| row.iter().zip(bias).map(|(&x, &y)| f(x, y)));
        return Buffer::collect(rows.len(), values);
    }
    let mut out = crate::tensor::pool::take(rows.len());
    for row in rows.chunks_exact(bias.len()) {
        out.extend(row.iter().zip(bias).map(|(&x, &y)| f(x, y)));
    }
    Buffer::Heap(out)
}

/// `f` applied elementwise to `a` and `b` broadcast together.
#[track_caller]
pub(crate) fn zip_broadcast<T: Float>(
    op: &str,
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> T,
) -> Values<T> {
    if a.shape() == b.shape() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            return zip_slices(x, y, a.raw_dim(), &f);
        }
        return Zip::from(a).and(b).map_collect(|&x, &y| f(x, y)).into();
    }
    if b.len() == 1 && b.ndim() <= a.ndim() {
        let y = *b.iter().next().unwrap();
        return with_right(&super::row_major(a.view()), a.raw_dim(), y, &f);
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        let x = *a.iter().next().unwrap();
        return with_left(x, &super::row_major(b.view()), b.raw_dim(), &f);
    }
    // A bias: b's shape is a's trailing dims (e.g. [N, C] + [C]), so b repeats along rows.
    if b.ndim() <= a.ndim()
        && a.shape()[a.ndim() - b.ndim()..] == *b.shape()
        && !b.is_empty()
        && let (Some(x), Some(y)) = (a.as_slice(), b.as_slice())
    {
        return Values::new(by_rows(x, y, &f), a.raw_dim());
    }
    if a.ndim() < b.ndim()
        && b.shape()[b.ndim() - a.ndim()..] == *a.shape()
        && !a.is_empty()
        && let (Some(x), Some(y)) = (a.as_slice(), b.as_slice())
    {
        return Values::new(by_rows(y, x, |y, x| f(x, y)), b.raw_dim());
    }
    // One side varies along a run of middle dims only (a per-channel bias or scale:
    // [N, C, H, W] with [C, 1, 1]): plain loops over [outer, mid, inner].
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        if let Some(v) = by_channels(a.shape(), x, b.shape(), y, &f) {
            return Values::new(v, a.raw_dim());
        }
        if let Some(v) = by_channels(b.shape(), y, a.shape(), x, |y, x| f(x, y)) {
            return Values::new(v, b.raw_dim());
        }
    }
    let shape = IxDyn(&broadcast_shape(op, a.shape(), b.shape()));
    let av = a.broadcast(shape.clone()).expect("broadcastable");
    let bv = b.broadcast(shape).expect("broadcastable");
    Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)).into()
}

/// `f` of each pair of `x` and `y` (of the same length), as a tensor of `shape`.
fn zip_slices<T: Float, F: Fn(T, T) -> T>(x: &[T], y: &[T], shape: IxDyn, f: &F) -> Values<T> {
    let v = Buffer::collect(x.len(), x.iter().zip(y).map(|(&x, &y)| f(x, y)));
    Values::new(v, shape)
}

/// `f(x, y)` for each `x`, as a tensor of `shape`.
fn with_right<T: Float, F: Fn(T, T) -> T>(x: &[T], shape: IxDyn, y: T, f: &F) -> Values<T> {
    super::map_slice(x, shape, |x| f(x, y))
}

/// `f(x, y)` for each `y`, as a tensor of `shape`.
fn with_left<T: Float, F: Fn(T, T) -> T>(x: T, y: &[T], shape: IxDyn, f: &F) -> Values<T> {
    super::map_slice(y, shape, |y| f(x, y))
}

/// `f(x, y)` with `y` of shape `ys` broadcast to `xs` when `ys` (padded with leading ones) is
/// 1 everywhere but a run of dims equal to `xs`'s there; None for other shapes.
fn by_channels<T: Float>(
    xs: &[usize],
    x: &[T],
    ys: &[usize],
    y: &[T],
    f: impl Fn(T, T) -> T,
) -> Option<Buffer<T>> {
    if ys.len() > xs.len() || y.len() <= 1 || x.len() <= crate::tensor::buffer::INLINE {
        return None;
    }
    let pad = xs.len() - ys.len();
    let padded = |i: usize| if i < pad { 1 } else { ys[i - pad] };
    let first = (0..xs.len()).find(|&i| padded(i) != 1)?;
    let last = (0..xs.len()).rev().find(|&i| padded(i) != 1)?;
    if (first..=last).any(|i| padded(i) != xs[i]) {
        return None;
    }
    let inner: usize = xs[last + 1..].iter().product();
    let mut out = crate::tensor::pool::take(x.len());
    for (block, &v) in x.chunks_exact(inner).zip(y.iter().cycle()) {
        out.extend(block.iter().map(|&u| f(u, v)));
    }
    Some(Buffer::Heap(out))
}

impl<T: Float> Tensor<T> {
    /// Applies a binary op with broadcasting: one specialised loop per op type.
    #[track_caller]
    pub(crate) fn binary<F: Binary<T> + Function<T>>(&self, other: &Tensor<T>, op: F) -> Tensor<T> {
        let data = {
            let (a, b) = (self.data(), other.data());
            let f = |x, y| op.f(x, y);
            // The common cases straight from the storages, without building views (the same
            // loops as `zip_broadcast`'s).
            match (a.as_slice(), b.as_slice()) {
                (Some(x), Some(y)) if self.shape() == other.shape() => {
                    zip_slices(x, y, a.dim(), &f)
                }
                (Some(x), Some(&[y])) if other.ndim() <= self.ndim() => {
                    with_right(x, a.dim(), y, &f)
                }
                _ => zip_broadcast(op.name(), &a.view(), &b.view(), f),
            }
        };
        Tensor::from_op(data, op, (self, other))
    }

    /// [`Tensor::binary`] with a left operand the caller gives up: computed in place when
    /// nothing else can see its elements (see `sole_elements`), the shapes are equal and the
    /// result is not recorded.
    #[track_caller]
    pub(crate) fn binary_owned<F: Binary<T> + Function<T>>(
        mut self,
        other: &Tensor<T>,
        op: F,
    ) -> Tensor<T> {
        let recorded = grad_enabled() && other.is_requires_grad();
        if !recorded && self.shape() == other.shape() {
            let b = other.data();
            if let (Some(y), Some(x)) = (b.as_slice(), self.sole_elements()) {
                if x.len() <= crate::tensor::buffer::INLINE {
                    x.iter_mut().zip(y).for_each(|(a, &b)| *a = op.f(*a, b));
                } else {
                    super::simd::zip_in_place(x, y, |a, b| op.f(a, b));
                }
                drop(b);
                return self;
            }
        }
        self.binary(other, op)
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
        self.binary(other, Add)
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
        self.binary(other, Sub)
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
        self.binary(other, Mul)
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
        self.binary(other, Div)
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
        self.binary(other, Maximum)
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
        self.binary(other, Minimum)
    }

    /// `self^exponent` elementwise with a tensor exponent (broadcast), as `torch.pow`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![2.0f64, 3.0], &[2]);
    /// assert_eq!(a.pow(&Tensor::from_vec(vec![3.0, 2.0], &[2])).to_vec(), vec![8.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn pow(&self, exponent: &Tensor<T>) -> Tensor<T> {
        self.binary(exponent, Pow)
    }

    /// `self^e` for a scalar exponent (the same as [`Tensor::powf`]).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f64], &[1]).pow_scalar(2.0).to_vec(), vec![9.0]);
    /// ```
    #[track_caller]
    pub fn pow_scalar(&self, e: T) -> Tensor<T> {
        self.powf(e)
    }

    /// `atan2(self, other)` elementwise with broadcasting: the angle of (other, self).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![1.0f64], &[1]).atan2(&Tensor::from_vec(vec![1.0], &[1]));
    /// assert_eq!(y.to_vec(), vec![std::f64::consts::FRAC_PI_4]);
    /// ```
    #[track_caller]
    pub fn atan2(&self, other: &Tensor<T>) -> Tensor<T> {
        self.binary(other, Atan2)
    }

    /// The remainder of `self / divisor` with the sign of `self` (C's `fmod`), broadcasting.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let r = Tensor::from_vec(vec![-7.0f64, 7.0], &[2]).fmod(&Tensor::scalar(3.0));
    /// assert_eq!(r.to_vec(), vec![-1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn fmod(&self, divisor: &Tensor<T>) -> Tensor<T> {
        self.binary(divisor, Fmod)
    }

    /// [`Tensor::fmod`] by a scalar.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-7.0f64], &[1]).fmod_scalar(3.0).to_vec(), vec![-1.0]);
    /// ```
    #[track_caller]
    pub fn fmod_scalar(&self, divisor: T) -> Tensor<T> {
        self.fmod(&Tensor::scalar(divisor))
    }

    /// The remainder of `self / divisor` with the sign of the divisor (Python's `%`),
    /// broadcasting.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let r = Tensor::from_vec(vec![-7.0f64, 7.0], &[2]).remainder(&Tensor::scalar(3.0));
    /// assert_eq!(r.to_vec(), vec![2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn remainder(&self, divisor: &Tensor<T>) -> Tensor<T> {
        self.binary(divisor, Remainder)
    }

    /// [`Tensor::remainder`] by a scalar.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-7.0f64], &[1]).remainder_scalar(3.0).to_vec(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn remainder_scalar(&self, divisor: T) -> Tensor<T> {
        self.remainder(&Tensor::scalar(divisor))
    }

    /// `self + weight·(end − self)`, as `torch.lerp` with a scalar weight.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![0.0f64, 10.0], &[2]);
    /// assert_eq!(a.lerp(&Tensor::from_vec(vec![1.0, 20.0], &[2]), 0.5).to_vec(), vec![0.5, 15.0]);
    /// ```
    #[track_caller]
    pub fn lerp(&self, end: &Tensor<T>, weight: T) -> Tensor<T> {
        // Checked here so a mismatch names `lerp`, not the `sub` inside.
        broadcast_shape("lerp", self.shape(), end.shape());
        self + &((end - self) * weight)
    }
}
