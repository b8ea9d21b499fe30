//! Unary elementwise ops: math functions, activations, and ops with a scalar operand.
//!
//! Each op is one type: its [`Elementwise::f`] is the forward on one element, and its
//! [`Function`] impl right below is the backward. Backward formulas follow PyTorch's
//! `derivatives.yaml` term for term, so values agree to rounding. Piecewise-constant factors
//! (masks, signs) are constants; everything else is built from differentiable ops of the
//! input or output, so second derivatives are right.

use std::borrow::Cow;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, SQRT_2};

use super::elementwise::{ReluBackward, SigmoidBackward, TanhBackward};
use super::map_const;
use crate::autograd::{Context, Function, Grads};
use crate::{Float, Tensor};

/// PyTorch's softplus switches to the identity above this (for beta = 1).
const SOFTPLUS_THRESHOLD: f64 = 20.0;
const GELU_TANH_KAPPA: f64 = 0.044715;

/// The forward of an elementwise op, one element at a time.
pub(crate) trait Elementwise<T: Float> {
    fn f(&self, x: T) -> T;

    /// For ops whose fast `f` is exact only for `|x| ≤` this: larger inputs are recomputed
    /// with [`Elementwise::exact`] after the vectorised pass.
    fn fast_limit(&self) -> f64 {
        f64::INFINITY
    }

    fn exact(&self, x: T) -> T {
        self.f(x)
    }
}

#[inline(always)]
pub(crate) fn sigmoid<T: Float>(x: T) -> T {
    // No branch, so the loop vectorises; exp(−x) overflowing to inf gives exactly 0, and
    // 1/(1 + e^−x) loses no digits for negative x either.
    T::one() / (T::one() + (-x).exp_elementwise())
}

/// -1, 0 or 1 (0 at 0, so `abs` has gradient 0 there, as in PyTorch).
fn sign<T: Float>(v: T) -> T {
    if v > T::zero() {
        T::one()
    } else if v < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

fn c<T: Float>(v: f64) -> T {
    T::of_f64(v)
}

/// Implements [`Function`] for an elementwise op: its name and its backward, which gets the
/// op value, the context and the output gradient and returns the input gradient.
macro_rules! backward {
    ($op:ty, $name:literal, |$s:pat_param, $ctx:ident, $g:ident| $body:expr) => {
        impl<T: Float> Function<T> for $op {
            fn name(&self) -> &'static str {
                $name
            }
            fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
                self.backward_owned(ctx, g.clone())
            }
            // The gradient by value: an owned operator on it computes in place when it is
            // the walk's alone.
            fn backward_owned(&self, $ctx: &Context<'_, T>, $g: Tensor<T>) -> Grads<T> {
                let $s = self;
                Grads::one($body)
            }
        }
    };
}

/// Implements [`Elementwise`] for an op from its forward on one element.
macro_rules! forward {
    ($op:ty, |$s:pat_param, $x:ident| $body:expr) => {
        impl<T: Float> Elementwise<T> for $op {
            #[inline(always)]
            fn f(&self, $x: T) -> T {
                let $s = self;
                $body
            }
        }
    };
}

#[derive(Clone, Copy)]
pub(crate) struct Neg;
forward!(Neg, |_, x| -x);
backward!(Neg, "neg", |_, _ctx, g| -g);

#[derive(Clone, Copy)]
pub(crate) struct Exp;
impl<T: Float> Elementwise<T> for Exp {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        x.exp_in_range()
    }
    fn fast_limit(&self) -> f64 {
        T::FAST_EXP_LIMIT
    }
    fn exact(&self, x: T) -> T {
        x.exp_elementwise()
    }
}
backward!(Exp, "exp", |_, ctx, g| g * ctx.output());

#[derive(Clone, Copy)]
pub(crate) struct Log;
forward!(Log, |_, x| x.ln());
backward!(Log, "log", |_, ctx, g| g / ctx.input(0));

#[derive(Clone, Copy)]
pub(crate) struct Sqrt;
forward!(Sqrt, |_, x| x.sqrt());
backward!(Sqrt, "sqrt", |_, ctx, g| g / &(ctx.output() * c::<T>(2.0)));

/// The standard deviation from a variance: `√v`, but with no gradient where it is 0 (as
/// PyTorch's `std_backward` masks it), so a constant input gets 0, not `∞ · 0 = NaN`.
#[derive(Clone, Copy)]
pub(crate) struct StdOfVar;
forward!(StdOfVar, |_, v| v.sqrt());
backward!(StdOfVar, "std", |_, ctx, g| {
    let y = ctx.output();
    super::select::where_cond(&y.eq(T::ZERO), T::ZERO, &(g / &(y * c::<T>(2.0))))
});

#[derive(Clone, Copy)]
pub(crate) struct Abs;
forward!(Abs, |_, x| x.abs());
backward!(Abs, "abs", |_, ctx, g| g * &map_const(ctx.input(0), sign));

#[derive(Clone, Copy)]
pub(crate) struct Square;
forward!(Square, |_, x| x * x);
backward!(Square, "square", |_, ctx, g| g * &(ctx.input(0)
    * c::<T>(2.0)));

#[derive(Clone, Copy)]
pub(crate) struct Relu;
// NaN stays NaN, as in PyTorch.
forward!(Relu, |_, x| if x > T::zero() || x.is_nan() {
    x
} else {
    T::zero()
});
// The mask comes from the output (the same sign as the input), as PyTorch's relu saves its
// result: the input may then be modified in place, and the output may not.
backward!(Relu, "relu", |_, ctx, g| g
    .binary_owned(ctx.output(), ReluBackward));

#[derive(Clone, Copy)]
pub(crate) struct LeakyRelu<T>(pub(crate) T);
impl<T: Float> Elementwise<T> for LeakyRelu<T> {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        if x > T::zero() { x } else { x * self.0 }
    }
}
impl<T: Float> Function<T> for LeakyRelu<T> {
    fn name(&self) -> &'static str {
        "leaky_relu"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let s = self.0;
        let slope = map_const(ctx.input(0), |v| if v > T::zero() { T::one() } else { s });
        Grads::one(g * &slope)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Sigmoid;
impl<T: Float> Elementwise<T> for Sigmoid {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        T::one() / (T::one() + (-x).exp_in_range())
    }
    fn fast_limit(&self) -> f64 {
        T::FAST_EXP_LIMIT
    }
    fn exact(&self, x: T) -> T {
        sigmoid(x)
    }
}
backward!(Sigmoid, "sigmoid", |_, ctx, g| g
    .binary_owned(ctx.output(), SigmoidBackward));

#[derive(Clone, Copy)]
pub(crate) struct Tanh;
forward!(Tanh, |_, x| x.tanh_elementwise());
backward!(Tanh, "tanh", |_, ctx, g| g
    .binary_owned(ctx.output(), TanhBackward));

#[derive(Clone, Copy)]
pub(crate) struct Gelu;
forward!(Gelu, |_, x| x
    * c(0.5)
    * (T::one() + (x * c(FRAC_1_SQRT_2)).erf()));
backward!(Gelu, "gelu", |_, ctx, g| {
    let x = ctx.input(0);
    let cdf = ((x * c::<T>(FRAC_1_SQRT_2)).erf() + c::<T>(1.0)) * c::<T>(0.5);
    let pdf = ((x * x) * c::<T>(-0.5)).exp() * c::<T>(FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5);
    g * &(cdf + x * &pdf)
});

#[derive(Clone, Copy)]
pub(crate) struct GeluTanh;
forward!(GeluTanh, |_, x| {
    let inner = c::<T>(SQRT_2 * FRAC_2_SQRT_PI * 0.5) * (x + c::<T>(GELU_TANH_KAPPA) * x * x * x);
    c::<T>(0.5) * x * (T::one() + inner.tanh_elementwise())
});
backward!(GeluTanh, "gelu_tanh", |_, ctx, g| {
    let x = ctx.input(0);
    let beta = c::<T>(SQRT_2 * FRAC_2_SQRT_PI * 0.5);
    let kappa = c::<T>(GELU_TANH_KAPPA);
    let x_sq = x * x;
    let inner = (x + &(&(&x_sq * x) * kappa)) * beta;
    let t = inner.tanh();
    let left = x * c::<T>(0.5);
    let left_derivative = (&t + c::<T>(1.0)) * c::<T>(0.5);
    let inner_derivative = (&x_sq * c::<T>(3.0) * kappa + c::<T>(1.0)) * beta;
    let right_derivative = left * (&t * &t).rsub_scalar(T::one()) * inner_derivative;
    g * &(left_derivative + right_derivative)
});

#[derive(Clone, Copy)]
pub(crate) struct Silu;
forward!(Silu, |_, x| x * sigmoid(x));
backward!(Silu, "silu", |_, ctx, g| {
    let x = ctx.input(0);
    let s = x.sigmoid();
    g * &(&s * &((x * &s.rsub_scalar(T::one())) + c::<T>(1.0)))
});

#[derive(Clone, Copy)]
pub(crate) struct Softplus;
forward!(Softplus, |_, x| if x > c(SOFTPLUS_THRESHOLD) {
    x
} else {
    x.exp().ln_1p()
});
backward!(Softplus, "softplus", |_, ctx, g| {
    let x = ctx.input(0);
    let s = x.sigmoid();
    let threshold = c::<T>(SOFTPLUS_THRESHOLD);
    let above_any = x.data().view().iter().any(|&v| v > threshold);
    if above_any {
        // Above the threshold the forward is the identity, so the slope is 1.
        let below = map_const(x, |v| if v > threshold { T::zero() } else { T::one() });
        let above = map_const(x, |v| if v > threshold { T::one() } else { T::zero() });
        g * &(s * below + above)
    } else {
        g * &s
    }
});

#[derive(Clone, Copy)]
pub(crate) struct Erf;
forward!(Erf, |_, x| x.erf());
backward!(Erf, "erf", |_, ctx, g| {
    let x = ctx.input(0);
    g * &((x * x).neg().exp() * c::<T>(FRAC_2_SQRT_PI))
});

#[derive(Clone, Copy)]
pub(crate) struct Clamp<T>(pub(crate) T, pub(crate) T);
forward!(Clamp<T>, |s, x| if x.is_nan() {
    x
} else {
    x.max(s.0).min(s.1)
});
backward!(Clamp<T>, "clamp", |s, ctx, g| {
    // As PyTorch (2.x): no gradient at the bounds themselves, only strictly between them.
    let (lo, hi) = (s.0, s.1);
    g * &map_const(ctx.input(0), |v| {
        if v > lo && v < hi {
            T::one()
        } else {
            T::zero()
        }
    })
});

#[derive(Clone, Copy)]
pub(crate) struct Powf<T>(pub(crate) T);
forward!(Powf<T>, |s, x| x.powf(s.0));
backward!(Powf<T>, "powf", |s, ctx, g| {
    let e = s.0;
    if e == T::zero() {
        g * c::<T>(0.0)
    } else {
        g * &(ctx.input(0).powf(e - T::one()) * e)
    }
});

#[derive(Clone, Copy)]
pub(crate) struct AddScalar<T>(pub(crate) T);
forward!(AddScalar<T>, |s, x| x + s.0);
backward!(AddScalar<T>, "add_scalar", |_, _ctx, g| g.clone());

#[derive(Clone, Copy)]
pub(crate) struct MulScalar<T>(pub(crate) T);
forward!(MulScalar<T>, |s, x| x * s.0);
backward!(MulScalar<T>, "mul_scalar", |s, _ctx, g| g * s.0);

#[derive(Clone, Copy)]
pub(crate) struct DivScalar<T>(pub(crate) T);
forward!(DivScalar<T>, |s, x| x / s.0);
backward!(DivScalar<T>, "div_scalar", |s, _ctx, g| g / s.0);

/// `c - x`
#[derive(Clone, Copy)]
pub(crate) struct RSubScalar<T>(pub(crate) T);
forward!(RSubScalar<T>, |s, x| s.0 - x);
backward!(RSubScalar<T>, "rsub_scalar", |_, _ctx, g| -g);

// Trigonometric, hyperbolic, logarithmic and exponential functions (PyTorch's
// `derivatives.yaml` formulas).

#[derive(Clone, Copy)]
pub(crate) struct Sin;
impl<T: Float> Elementwise<T> for Sin {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        x.sin_elementwise()
    }
    fn fast_limit(&self) -> f64 {
        T::FAST_TRIG_LIMIT
    }
    fn exact(&self, x: T) -> T {
        x.sin()
    }
}
backward!(Sin, "sin", |_, ctx, g| g * &ctx.input(0).cos());

#[derive(Clone, Copy)]
pub(crate) struct Cos;
impl<T: Float> Elementwise<T> for Cos {
    #[inline(always)]
    fn f(&self, x: T) -> T {
        x.cos_elementwise()
    }
    fn fast_limit(&self) -> f64 {
        T::FAST_TRIG_LIMIT
    }
    fn exact(&self, x: T) -> T {
        x.cos()
    }
}
backward!(Cos, "cos", |_, ctx, g| g * &ctx.input(0).sin().neg());

#[derive(Clone, Copy)]
pub(crate) struct Tan;
forward!(Tan, |_, x| x.tan());
backward!(Tan, "tan", |_, ctx, g| {
    let y = ctx.output();
    g * &((y * y) + c::<T>(1.0))
});

#[derive(Clone, Copy)]
pub(crate) struct Asin;
forward!(Asin, |_, x| x.asin());
backward!(Asin, "asin", |_, ctx, g| {
    let x = ctx.input(0);
    g * &(&(x * x).neg() + c::<T>(1.0)).rsqrt()
});

#[derive(Clone, Copy)]
pub(crate) struct Acos;
forward!(Acos, |_, x| x.acos());
backward!(Acos, "acos", |_, ctx, g| {
    let x = ctx.input(0);
    g * &(&(x * x).neg() + c::<T>(1.0)).rsqrt().neg()
});

#[derive(Clone, Copy)]
pub(crate) struct Atan;
forward!(Atan, |_, x| x.atan());
backward!(Atan, "atan", |_, ctx, g| {
    let x = ctx.input(0);
    g / &((x * x) + c::<T>(1.0))
});

#[derive(Clone, Copy)]
pub(crate) struct Sinh;
forward!(Sinh, |_, x| x.sinh());
backward!(Sinh, "sinh", |_, ctx, g| g * &ctx.input(0).cosh());

#[derive(Clone, Copy)]
pub(crate) struct Cosh;
forward!(Cosh, |_, x| x.cosh());
backward!(Cosh, "cosh", |_, ctx, g| g * &ctx.input(0).sinh());

#[derive(Clone, Copy)]
pub(crate) struct Asinh;
forward!(Asinh, |_, x| x.asinh());
backward!(Asinh, "asinh", |_, ctx, g| {
    let x = ctx.input(0);
    g * &((x * x) + c::<T>(1.0)).rsqrt()
});

#[derive(Clone, Copy)]
pub(crate) struct Acosh;
forward!(Acosh, |_, x| x.acosh());
backward!(Acosh, "acosh", |_, ctx, g| {
    let x = ctx.input(0);
    g * &((x * x) - c::<T>(1.0)).rsqrt()
});

#[derive(Clone, Copy)]
pub(crate) struct Atanh;
// ½·ln(1 + 2|x|/(1 − |x|)) with the sign of x, as C libraries compute it: the standard
// library's form takes `ln_1p` of a value near −1 for x near −1 and loses digits there (6e-6
// relative in f32 at x = −0.998).
forward!(Atanh, |_, x| {
    let a = x.abs();
    (c::<T>(0.5) * (c::<T>(2.0) * a / (T::one() - a)).ln_1p()).copysign(x)
});
backward!(Atanh, "atanh", |_, ctx, g| {
    let x = ctx.input(0);
    g * &(&(x * x).neg() + c::<T>(1.0)).reciprocal()
});

#[derive(Clone, Copy)]
pub(crate) struct Log1p;
forward!(Log1p, |_, x| x.ln_1p());
backward!(Log1p, "log1p", |_, ctx, g| g / &(ctx.input(0)
    + c::<T>(1.0)));

#[derive(Clone, Copy)]
pub(crate) struct Expm1;
forward!(Expm1, |_, x| x.exp_m1());
backward!(Expm1, "expm1", |_, ctx, g| g * &(ctx.output()
    + c::<T>(1.0)));

#[derive(Clone, Copy)]
pub(crate) struct Log2;
forward!(Log2, |_, x| x.log2());
backward!(Log2, "log2", |_, ctx, g| {
    g / &(ctx.input(0) * c::<T>(std::f64::consts::LN_2))
});

#[derive(Clone, Copy)]
pub(crate) struct Log10;
forward!(Log10, |_, x| x.log10());
backward!(Log10, "log10", |_, ctx, g| {
    g / &(ctx.input(0) * c::<T>(std::f64::consts::LN_10))
});

#[derive(Clone, Copy)]
pub(crate) struct Exp2;
forward!(Exp2, |_, x| x.exp2());
backward!(Exp2, "exp2", |_, ctx, g| {
    g * &(ctx.output() * c::<T>(std::f64::consts::LN_2))
});

#[derive(Clone, Copy)]
pub(crate) struct Rsqrt;
forward!(Rsqrt, |_, x| x.sqrt().recip());
backward!(Rsqrt, "rsqrt", |_, ctx, g| {
    let y = ctx.output();
    (g * c::<T>(-0.5)) * &(&(y * y) * y)
});

#[derive(Clone, Copy)]
pub(crate) struct Reciprocal;
forward!(Reciprocal, |_, x| x.recip());
backward!(Reciprocal, "reciprocal", |_, ctx, g| {
    let y = ctx.output();
    g.neg() * &(y * y)
});

// Rounding (piecewise constant: zero gradient, as PyTorch) and activations.

/// A zero gradient of `g`'s shape (what PyTorch gives for the rounding family).
fn zero_grad_like<T: Float>(g: &Tensor<T>) -> Tensor<T> {
    g * c::<T>(0.0)
}

/// 1 where `keep(x)`, else 0: a constant mask of `x`'s shape.
fn mask<T: Float>(x: &Tensor<T>, keep: impl Fn(T) -> bool) -> Tensor<T> {
    map_const(x, |v| if keep(v) { T::one() } else { T::zero() })
}

#[derive(Clone, Copy)]
pub(crate) struct Sign;
// NaN → 0, as PyTorch's `sign` (whose kernel is `(0 < x) − (x < 0)`).
forward!(Sign, |_, x| sign(x));
backward!(Sign, "sign", |_, _ctx, g| zero_grad_like(&g));

#[derive(Clone, Copy)]
pub(crate) struct Floor;
forward!(Floor, |_, x| x.floor());
backward!(Floor, "floor", |_, _ctx, g| zero_grad_like(&g));

#[derive(Clone, Copy)]
pub(crate) struct Ceil;
forward!(Ceil, |_, x| x.ceil());
backward!(Ceil, "ceil", |_, _ctx, g| zero_grad_like(&g));

/// Round half to even, as `torch.round`.
fn round_half_even<T: Float>(x: T) -> T {
    let r = x.round();
    if (x - x.trunc()).abs() == c(0.5) {
        (x * c(0.5)).round() * c(2.0)
    } else {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Round;
forward!(Round, |_, x| round_half_even(x));
backward!(Round, "round", |_, _ctx, g| zero_grad_like(&g));

#[derive(Clone, Copy)]
pub(crate) struct Trunc;
forward!(Trunc, |_, x| x.trunc());
backward!(Trunc, "trunc", |_, _ctx, g| zero_grad_like(&g));

#[derive(Clone, Copy)]
pub(crate) struct Frac;
forward!(Frac, |_, x| x - x.trunc());
backward!(Frac, "frac", |_, _ctx, g| g.clone());

#[derive(Clone, Copy)]
pub(crate) struct LogSigmoid;
forward!(LogSigmoid, |_, x| {
    // PyTorch's form: min(x, 0) − log1p(e^−|x|). No overflow for large |x|, and `log1p`
    // keeps the tiny result for large x (ln(1 + e^−x) in f32 lost it to 1 + e^−x).
    x.min(T::zero()) - (-x.abs()).exp().ln_1p()
});
backward!(LogSigmoid, "log_sigmoid", |_, ctx, g| g * &ctx
    .input(0)
    .neg()
    .sigmoid());

#[derive(Clone, Copy)]
pub(crate) struct Softsign;
forward!(Softsign, |_, x| x / (T::one() + x.abs()));
// As PyTorch, whose `softsign` is `x / (|x| + 1)` differentiated op by op: the same
// `1 / (|x| + 1)²` for finite x, and NaN at ±∞ (∞/∞), where the simplified form gives 0.
backward!(Softsign, "softsign", |_, ctx, g| {
    let x = ctx.input(0);
    let d = x.abs() + c::<T>(1.0);
    &g / &d - (&g * x / (&d * &d)) * x.sign()
});

#[derive(Clone, Copy)]
pub(crate) struct Hardtanh<T>(pub(crate) T, pub(crate) T);
forward!(Hardtanh<T>, |s, x| if x.is_nan() {
    x
} else {
    x.max(s.0).min(s.1)
});
// As PyTorch's `hardtanh_backward`: 0 at or beyond a bound, else the gradient (at NaN too).
backward!(Hardtanh<T>, "hardtanh", |s, ctx, g| {
    let (lo, hi) = (s.0, s.1);
    g * &mask(ctx.input(0), |v| !(v <= lo || v >= hi))
});

#[derive(Clone, Copy)]
pub(crate) struct Elu<T> {
    pub(crate) alpha: T,
    pub(crate) scale: T,
}
forward!(Elu<T>, |s, x| {
    let v = if x > T::zero() {
        x
    } else {
        s.alpha * x.exp_m1()
    };
    s.scale * v
});
// As PyTorch's `elu_backward`: `α·eˣ` where x ≤ 0, else 1 (at NaN and +∞ too), times the
// scale.
backward!(Elu<T>, "elu", |s, ctx, g| {
    let x = ctx.input(0);
    let slope = x.le(T::zero()).where_cond(&(x.exp() * s.alpha), T::one());
    g * &(slope * s.scale)
});

#[derive(Clone, Copy)]
pub(crate) struct Celu<T>(pub(crate) T);
forward!(Celu<T>, |s, x| {
    if x > T::zero() {
        x
    } else {
        s.0 * (x / s.0).exp_m1()
    }
});
// As `elu`: `e^(x/α)` where x ≤ 0, else 1.
backward!(Celu<T>, "celu", |s, ctx, g| {
    let x = ctx.input(0);
    g * &x.le(T::zero()).where_cond(&(x / s.0).exp(), T::one())
});

#[derive(Clone, Copy)]
pub(crate) struct Mish;
forward!(Mish, |_, x| {
    let sp = if x > c(SOFTPLUS_THRESHOLD) {
        x
    } else {
        x.exp().ln_1p()
    };
    x * sp.tanh()
});
backward!(Mish, "mish", |_, ctx, g| {
    let x = ctx.input(0);
    let t = x.softplus().tanh();
    let d = &t + &(x * &x.sigmoid() * (&t * &t).rsub_scalar(T::one()));
    g * &d
});

#[derive(Clone, Copy)]
pub(crate) struct Hardsigmoid;
// NaN stays NaN, as in PyTorch.
forward!(Hardsigmoid, |_, x| if x.is_nan() {
    x
} else {
    ((x + c(3.0)).max(T::zero()).min(c(6.0))) / c(6.0)
});
backward!(Hardsigmoid, "hardsigmoid", |_, ctx, g| {
    // PyTorch's kernel multiplies by 1/6 rounded to f32, in f64 too; so do we, to match it.
    let one_sixth = c::<T>(f64::from(1.0f32 / 6.0f32));
    g * &(mask(ctx.input(0), |v| v > c(-3.0) && v < c(3.0)) * one_sixth)
});

#[derive(Clone, Copy)]
pub(crate) struct Hardswish;
forward!(Hardswish, |_, x| x
    * ((x + c(3.0)).max(T::zero()).min(c(6.0)))
    / c(6.0));
backward!(Hardswish, "hardswish", |_, ctx, g| {
    // PyTorch: 0 up to −3, x/3 + 1/2 strictly between −3 and 3, else 1 (from 3 on, and at
    // NaN).
    let x = ctx.input(0);
    let middle = x
        .lt(c::<T>(3.0))
        .where_cond(&(x / c::<T>(3.0) + c::<T>(0.5)), T::one());
    g * &x.le(c::<T>(-3.0)).where_cond(T::zero(), &middle)
});

impl<T: Float> Tensor<T> {
    /// Applies an elementwise op: one specialised loop per op type.
    #[track_caller]
    pub(crate) fn unary<F: Elementwise<T> + Function<T>>(&self, op: F) -> Tensor<T> {
        let data = {
            // Nothing else is read or written while the guard is held, so it need not be
            // entered in the thread's list of guards (see `Storage::read_alone`).
            let guard = self.0.storage.read_alone();
            let layout = &self.0.layout;
            // One pass over contiguous elements (a strided view is copied first).
            let x = match guard.slice(layout) {
                Some(x) => Cow::Borrowed(x),
                None => super::row_major(guard.view(layout)),
            };
            let mut data = super::map_slice(&x, layout.dim(), |v| op.f(v));
            let limit = op.fast_limit();
            if limit.is_finite() {
                // Inputs beyond the fast kernel's range (or NaN): recomputed exactly.
                let limit = T::of_f64(limit);
                if super::simd::any_beyond(&x, limit) {
                    let out = data.data.as_mut_slice().iter_mut();
                    for (y, &v) in out.zip(x.iter()) {
                        if super::simd::beyond(v, limit) {
                            *y = op.exact(v);
                        }
                    }
                }
            }
            data
        };
        Tensor::from_op(data, op, self)
    }

    /// [`Tensor::unary`] of a tensor the caller gives up: computed in place when nothing else
    /// can see its elements (see `sole_elements`), so a chain of temporaries — and most of a
    /// backward pass, whose gradients are the walk's own — allocates nothing.
    #[track_caller]
    pub(crate) fn unary_owned<F: Elementwise<T> + Function<T>>(mut self, op: F) -> Tensor<T> {
        if let Some(x) = self.sole_elements() {
            let limit = op.fast_limit();
            // Inputs beyond a fast kernel's range need the exact one; they are rare, and the
            // ordinary path handles them.
            if !limit.is_finite() || !super::simd::any_beyond(x, T::of_f64(limit)) {
                if x.len() <= crate::tensor::buffer::INLINE {
                    x.iter_mut().for_each(|v| *v = op.f(*v));
                } else {
                    super::simd::map_in_place(x, |v| op.f(v));
                }
                return self;
            }
        }
        self.unary(op)
    }

    /// `e^x` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).exp().to_vec(), vec![1.0]);
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Tensor<T> {
        self.unary(Exp)
    }

    /// Natural logarithm elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).log().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn log(&self) -> Tensor<T> {
        self.unary(Log)
    }

    /// Square root elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![9.0f32], &[1]).sqrt().to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn sqrt(&self) -> Tensor<T> {
        self.unary(Sqrt)
    }

    /// The square root of a variance, as a standard deviation: 0 gradient where it is 0.
    pub(crate) fn std_of_var(&self) -> Tensor<T> {
        self.unary(StdOfVar)
    }

    /// Absolute value elementwise (gradient 0 at 0, as PyTorch).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-2.0f32, 3.0], &[2]).abs().to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn abs(&self) -> Tensor<T> {
        self.unary(Abs)
    }

    /// `x²` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-3.0f32], &[1]).square().to_vec(), vec![9.0]);
    /// ```
    #[track_caller]
    pub fn square(&self) -> Tensor<T> {
        self.unary(Square)
    }

    /// `-x` elementwise (also the unary `-` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32], &[1]).neg().to_vec(), vec![-1.0]);
    /// ```
    #[track_caller]
    pub fn neg(&self) -> Tensor<T> {
        self.unary(Neg)
    }

    /// `max(x, 0)` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor<T> {
        self.unary(Relu)
    }

    /// `x` where positive, `slope · x` elsewhere.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).leaky_relu(0.1);
    /// assert_eq!(y.to_vec(), vec![-0.1, 2.0]);
    /// ```
    #[track_caller]
    pub fn leaky_relu(&self, slope: T) -> Tensor<T> {
        self.unary(LeakyRelu(slope))
    }

    /// The logistic function `1 / (1 + e^-x)`, stable for large |x|.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f32, 1000.0, -1000.0], &[3]).sigmoid();
    /// assert_eq!(y.to_vec(), vec![0.5, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor<T> {
        self.unary(Sigmoid)
    }

    /// Hyperbolic tangent elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).tanh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn tanh(&self) -> Tensor<T> {
        self.unary(Tanh)
    }

    /// GELU, exact form `x · Φ(x)` (PyTorch's default `approximate='none'`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![1.0f64], &[1]).gelu();
    /// assert!((y.item() - 0.841_344_746_068_542_9).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn gelu(&self) -> Tensor<T> {
        self.unary(Gelu)
    }

    /// GELU, tanh approximation (PyTorch's `approximate='tanh'`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![1.0f64], &[1]).gelu_tanh();
    /// assert!((y.item() - 0.841_191_990_607_477_2).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn gelu_tanh(&self) -> Tensor<T> {
        self.unary(GeluTanh)
    }

    /// SiLU (swish): `x · sigmoid(x)`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).silu().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn silu(&self) -> Tensor<T> {
        self.unary(Silu)
    }

    /// `log(1 + e^x)`, the identity above 20 as in PyTorch (so no overflow).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![1000.0f32, -1000.0], &[2]).softplus();
    /// assert_eq!(y.to_vec(), vec![1000.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn softplus(&self) -> Tensor<T> {
        self.unary(Softplus)
    }

    /// The error function elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![0.5f64], &[1]).erf();
    /// assert!((y.item() - 0.520_499_877_813_046_5).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn erf(&self) -> Tensor<T> {
        self.unary(Erf)
    }

    /// Limits every element to `[min, max]`; the gradient passes where `min < x < max` (as
    /// PyTorch 2.x: none at the bounds themselves).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![-2.0f32, 0.5, 2.0], &[3]).clamp(-1.0, 1.0);
    /// assert_eq!(y.to_vec(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: T, max: T) -> Tensor<T> {
        assert!(
            min <= max,
            "tapegrad: clamp: min {min} is greater than max {max}"
        );
        self.unary(Clamp(min, max))
    }

    /// `x^e` elementwise for a scalar exponent.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).powf(0.5).to_vec(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn powf(&self, e: T) -> Tensor<T> {
        self.unary(Powf(e))
    }

    /// `x + s` for a scalar `s` (also `&x + s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32], &[1]).add_scalar(2.0).to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn add_scalar(&self, s: T) -> Tensor<T> {
        self.unary(AddScalar(s))
    }

    /// `x · s` for a scalar `s` (also `&x * s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.5f32], &[1]).mul_scalar(2.0).to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn mul_scalar(&self, s: T) -> Tensor<T> {
        self.unary(MulScalar(s))
    }

    /// `x / s` for a scalar `s` (also `&x / s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).div_scalar(2.0).to_vec(), vec![1.5]);
    /// ```
    #[track_caller]
    pub fn div_scalar(&self, s: T) -> Tensor<T> {
        self.unary(DivScalar(s))
    }

    /// `s / x` for a scalar `s` (also `s / &x`), computed as PyTorch's `s / x`: `1/x`, then
    /// times `s` (so the values round as PyTorch's, and the backward reads `1/x`, not `x`,
    /// which may then be modified in place).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).rdiv_scalar(2.0).to_vec(), vec![0.5]);
    /// ```
    #[track_caller]
    pub fn rdiv_scalar(&self, s: T) -> Tensor<T> {
        self.reciprocal().mul_scalar(s)
    }

    /// `s - x` for a scalar `s` (also `s - &x`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).rsub_scalar(1.0).to_vec(), vec![-3.0]);
    /// ```
    #[track_caller]
    pub fn rsub_scalar(&self, s: T) -> Tensor<T> {
        self.unary(RSubScalar(s))
    }

    /// Sine elementwise (radians).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).sin().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn sin(&self) -> Tensor<T> {
        self.unary(Sin)
    }

    /// Cosine elementwise (radians).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).cos().to_vec(), vec![1.0]);
    /// ```
    #[track_caller]
    pub fn cos(&self) -> Tensor<T> {
        self.unary(Cos)
    }

    /// Tangent elementwise (radians).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).tan().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn tan(&self) -> Tensor<T> {
        self.unary(Tan)
    }

    /// Arcsine elementwise (NaN outside [−1, 1]).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).asin().to_vec(), vec![std::f64::consts::FRAC_PI_2]);
    /// ```
    #[track_caller]
    pub fn asin(&self) -> Tensor<T> {
        self.unary(Asin)
    }

    /// Arccosine elementwise (NaN outside [−1, 1]).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).acos().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn acos(&self) -> Tensor<T> {
        self.unary(Acos)
    }

    /// Arctangent elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).atan().to_vec(), vec![std::f64::consts::FRAC_PI_4]);
    /// ```
    #[track_caller]
    pub fn atan(&self) -> Tensor<T> {
        self.unary(Atan)
    }

    /// Hyperbolic sine elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).sinh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn sinh(&self) -> Tensor<T> {
        self.unary(Sinh)
    }

    /// Hyperbolic cosine elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).cosh().to_vec(), vec![1.0]);
    /// ```
    #[track_caller]
    pub fn cosh(&self) -> Tensor<T> {
        self.unary(Cosh)
    }

    /// Inverse hyperbolic sine elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).asinh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn asinh(&self) -> Tensor<T> {
        self.unary(Asinh)
    }

    /// Inverse hyperbolic cosine elementwise (NaN below 1).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).acosh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn acosh(&self) -> Tensor<T> {
        self.unary(Acosh)
    }

    /// Inverse hyperbolic tangent elementwise (±inf at ±1).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).atanh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn atanh(&self) -> Tensor<T> {
        self.unary(Atanh)
    }

    /// `ln(1 + x)`, accurate for small `x`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).log1p().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn log1p(&self) -> Tensor<T> {
        self.unary(Log1p)
    }

    /// `eˣ − 1`, accurate for small `x`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).expm1().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn expm1(&self) -> Tensor<T> {
        self.unary(Expm1)
    }

    /// Base-2 logarithm elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![8.0f64], &[1]).log2().to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn log2(&self) -> Tensor<T> {
        self.unary(Log2)
    }

    /// Base-10 logarithm elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![100.0f64], &[1]).log10().to_vec(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn log10(&self) -> Tensor<T> {
        self.unary(Log10)
    }

    /// `2ˣ` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f64], &[1]).exp2().to_vec(), vec![8.0]);
    /// ```
    #[track_caller]
    pub fn exp2(&self) -> Tensor<T> {
        self.unary(Exp2)
    }

    /// `1 / √x` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f64], &[1]).rsqrt().to_vec(), vec![0.5]);
    /// ```
    #[track_caller]
    pub fn rsqrt(&self) -> Tensor<T> {
        self.unary(Rsqrt)
    }

    /// `1 / x` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f64], &[1]).reciprocal().to_vec(), vec![0.25]);
    /// ```
    #[track_caller]
    pub fn reciprocal(&self) -> Tensor<T> {
        self.unary(Reciprocal)
    }

    /// -1, 0 or 1 by the sign (0 at 0, and at NaN as PyTorch's); zero gradient, as PyTorch.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f64, 0.0, 3.0, f64::NAN], &[4]);
    /// assert_eq!(x.sign().to_vec(), vec![-1.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn sign(&self) -> Tensor<T> {
        self.unary(Sign)
    }

    /// Rounds down; zero gradient.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.5f64, 1.5], &[2]).floor().to_vec(), vec![-2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn floor(&self) -> Tensor<T> {
        self.unary(Floor)
    }

    /// Rounds up; zero gradient.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.5f64, 1.5], &[2]).ceil().to_vec(), vec![-1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn ceil(&self) -> Tensor<T> {
        self.unary(Ceil)
    }

    /// Rounds to the nearest integer, halves to even (as `torch.round`); zero gradient.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.5f64, 1.5, 2.5, -2.5], &[4]).round().to_vec(), vec![0.0, 2.0, 2.0, -2.0]);
    /// ```
    #[track_caller]
    pub fn round(&self) -> Tensor<T> {
        self.unary(Round)
    }

    /// Rounds toward zero; zero gradient.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.7f64, 1.7], &[2]).trunc().to_vec(), vec![-1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn trunc(&self) -> Tensor<T> {
        self.unary(Trunc)
    }

    /// `x − trunc(x)`; gradient 1.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.5f64, 2.25], &[2]).frac().to_vec(), vec![-0.5, 0.25]);
    /// ```
    #[track_caller]
    pub fn frac(&self) -> Tensor<T> {
        self.unary(Frac)
    }

    /// `log(sigmoid(x))`, stable for large |x|.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).log_sigmoid().to_vec(), vec![-(2f64.ln())]);
    /// ```
    #[track_caller]
    pub fn log_sigmoid(&self) -> Tensor<T> {
        self.unary(LogSigmoid)
    }

    /// `x / (1 + |x|)`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64, -3.0], &[2]).softsign().to_vec(), vec![0.5, -0.75]);
    /// ```
    #[track_caller]
    pub fn softsign(&self) -> Tensor<T> {
        self.unary(Softsign)
    }

    /// `min(max(x, 0), 6)`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f64, 3.0, 9.0], &[3]).relu6().to_vec(), vec![0.0, 3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn relu6(&self) -> Tensor<T> {
        self.unary(Hardtanh(T::zero(), T::of_f64(6.0)))
    }

    /// SELU: `scale·(x if x > 0 else α·(eˣ − 1))` with PyTorch's α and scale.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).selu().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn selu(&self) -> Tensor<T> {
        self.unary(Elu {
            alpha: T::of_f64(1.673_263_242_354_377_3),
            scale: T::of_f64(1.050_700_987_355_480_5),
        })
    }

    /// Mish: `x·tanh(softplus(x))`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).mish().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn mish(&self) -> Tensor<T> {
        self.unary(Mish)
    }

    /// `relu6(x + 3) / 6`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64, 5.0], &[2]).hardsigmoid().to_vec(), vec![0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn hardsigmoid(&self) -> Tensor<T> {
        self.unary(Hardsigmoid)
    }

    /// `x·relu6(x + 3) / 6`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-4.0f64, 4.0], &[2]).hardswish().to_vec(), vec![0.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn hardswish(&self) -> Tensor<T> {
        self.unary(Hardswish)
    }

    /// ELU: `x` where positive, `α·(eˣ − 1)` elsewhere.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![1.0f64, 0.0], &[2]).elu(1.0);
    /// assert_eq!(y.to_vec(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn elu(&self, alpha: T) -> Tensor<T> {
        self.unary(Elu {
            alpha,
            scale: T::one(),
        })
    }

    /// CELU: `max(0, x) + min(0, α·(e^(x/α) − 1))`.
    ///
    /// # Panics
    /// If `alpha` is 0.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![2.0f64, 0.0], &[2]).celu(1.0);
    /// assert_eq!(y.to_vec(), vec![2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn celu(&self, alpha: T) -> Tensor<T> {
        assert!(alpha != T::zero(), "tapegrad: celu: alpha must not be 0");
        self.unary(Celu(alpha))
    }

    /// Limits every element to `[min, max]`; the gradient passes strictly inside (PyTorch's
    /// `hardtanh`, which differs from `clamp` at the ends).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let y = Tensor::from_vec(vec![-2.0f64, 0.5, 2.0], &[3]).hardtanh(-1.0, 1.0);
    /// assert_eq!(y.to_vec(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn hardtanh(&self, min: T, max: T) -> Tensor<T> {
        assert!(
            min <= max,
            "tapegrad: hardtanh: min {min} is greater than max {max}"
        );
        self.unary(Hardtanh(min, max))
    }
}
