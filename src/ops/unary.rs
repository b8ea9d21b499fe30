//! Unary elementwise ops: math functions, activations, and ops with a scalar operand.
//!
//! Backward formulas follow PyTorch's `derivatives.yaml` term for term, so values agree to
//! rounding. Piecewise-constant factors (masks, signs) are constants; everything else is
//! built from differentiable ops of the input or output, so second derivatives are right.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, SQRT_2};

use ndarray::ArrayD;

use super::elementwise::BinaryOp;
use super::{map, map_const, Op};
use crate::{Float, Tensor};

/// PyTorch's softplus switches to the identity above this (for beta = 1).
const SOFTPLUS_THRESHOLD: f64 = 20.0;
const GELU_TANH_KAPPA: f64 = 0.044715;

#[derive(Clone, Copy, Debug)]
pub(crate) enum UnaryOp<T> {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Square,
    Relu,
    LeakyRelu(T),
    Sigmoid,
    Tanh,
    Gelu,
    GeluTanh,
    Silu,
    Softplus,
    Erf,
    Clamp(T, T),
    Powf(T),
    AddScalar(T),
    MulScalar(T),
    DivScalar(T),
    /// `c / x`
    RDivScalar(T),
    /// `c - x`
    RSubScalar(T),
}

fn sigmoid<T: Float>(x: T) -> T {
    // Both branches avoid exp overflow: for x = ±1000 this gives exactly 1 or 0.
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
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

impl<T: Float> UnaryOp<T> {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Square => "square",
            UnaryOp::Relu => "relu",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Gelu => "gelu",
            UnaryOp::GeluTanh => "gelu_tanh",
            UnaryOp::Silu => "silu",
            UnaryOp::Softplus => "softplus",
            UnaryOp::Erf => "erf",
            UnaryOp::Clamp(..) => "clamp",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
            UnaryOp::DivScalar(_) => "div_scalar",
            UnaryOp::RDivScalar(_) => "rdiv_scalar",
            UnaryOp::RSubScalar(_) => "rsub_scalar",
        }
    }

    /// The op applied to every element; one `match` per call, so each arm's loop is a
    /// separate, vectorisable function.
    fn forward(&self, a: &ArrayD<T>) -> ArrayD<T> {
        match *self {
            UnaryOp::Neg => map(a, |x| -x),
            UnaryOp::Exp => map(a, |x| x.exp()),
            UnaryOp::Log => map(a, |x| x.ln()),
            UnaryOp::Sqrt => map(a, |x| x.sqrt()),
            UnaryOp::Abs => map(a, |x| x.abs()),
            UnaryOp::Square => map(a, |x| x * x),
            UnaryOp::Relu => map(a, |x| {
                // NaN stays NaN, as in PyTorch.
                if x > T::zero() || x.is_nan() {
                    x
                } else {
                    T::zero()
                }
            }),
            UnaryOp::LeakyRelu(s) => map(a, |x| if x > T::zero() { x } else { x * s }),
            UnaryOp::Sigmoid => map(a, |x| sigmoid(x)),
            UnaryOp::Tanh => map(a, |x| x.tanh()),
            UnaryOp::Gelu => map(a, |x| {
                x * c(0.5) * (T::one() + (x * c(FRAC_1_SQRT_2)).erf())
            }),
            UnaryOp::GeluTanh => map(a, |x| {
                let inner = c::<T>(SQRT_2 * FRAC_2_SQRT_PI * 0.5)
                    * (x + c::<T>(GELU_TANH_KAPPA) * x * x * x);
                c::<T>(0.5) * x * (T::one() + inner.tanh())
            }),
            UnaryOp::Silu => map(a, |x| x * sigmoid(x)),
            UnaryOp::Softplus => map(a, |x| {
                if x > c(SOFTPLUS_THRESHOLD) {
                    x
                } else {
                    x.exp().ln_1p()
                }
            }),
            UnaryOp::Erf => map(a, |x| x.erf()),
            UnaryOp::Clamp(lo, hi) => map(a, |x| if x.is_nan() { x } else { x.max(lo).min(hi) }),
            UnaryOp::Powf(e) => map(a, |x| x.powf(e)),
            UnaryOp::AddScalar(s) => map(a, |x| x + s),
            UnaryOp::MulScalar(s) => map(a, |x| x * s),
            UnaryOp::DivScalar(s) => map(a, |x| x / s),
            UnaryOp::RDivScalar(s) => map(a, |x| s / x),
            UnaryOp::RSubScalar(s) => map(a, |x| s - x),
        }
    }

    /// The gradient of the input from the gradient `g` of the output `y = op(x)`.
    pub(crate) fn backward(&self, x: &Tensor<T>, y: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
        match *self {
            UnaryOp::Neg => -g,
            UnaryOp::Exp => g * y,
            UnaryOp::Log => g / x,
            UnaryOp::Sqrt => g / &(y * c::<T>(2.0)),
            UnaryOp::Abs => g * &map_const(x, sign),
            UnaryOp::Square => g * &(x * c::<T>(2.0)),
            UnaryOp::Relu => g.binary(x, BinaryOp::ReluBackward),
            UnaryOp::LeakyRelu(s) => {
                g * &map_const(x, |v| if v > T::zero() { T::one() } else { s })
            }
            UnaryOp::Sigmoid => g.binary(y, BinaryOp::SigmoidBackward),
            UnaryOp::Tanh => g.binary(y, BinaryOp::TanhBackward),
            UnaryOp::Gelu => {
                let cdf = ((x * c::<T>(FRAC_1_SQRT_2)).erf() + c::<T>(1.0)) * c::<T>(0.5);
                let pdf =
                    ((x * x) * c::<T>(-0.5)).exp() * c::<T>(FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5);
                g * &(cdf + x * &pdf)
            }
            UnaryOp::GeluTanh => {
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
            }
            UnaryOp::Silu => {
                let s = x.sigmoid();
                g * &(&s * &((x * &s.rsub_scalar(T::one())) + c::<T>(1.0)))
            }
            UnaryOp::Softplus => {
                let s = x.sigmoid();
                let threshold = c::<T>(SOFTPLUS_THRESHOLD);
                if x.data().iter().any(|&v| v > threshold) {
                    // Above the threshold the forward is the identity, so the slope is 1.
                    let below = map_const(x, |v| if v > threshold { T::zero() } else { T::one() });
                    let above = map_const(x, |v| if v > threshold { T::one() } else { T::zero() });
                    g * &(s * below + above)
                } else {
                    g * &s
                }
            }
            UnaryOp::Erf => g * &((x * x).neg().exp() * c::<T>(FRAC_2_SQRT_PI)),
            UnaryOp::Clamp(lo, hi) => {
                g * &map_const(x, |v| {
                    if v >= lo && v <= hi {
                        T::one()
                    } else {
                        T::zero()
                    }
                })
            }
            UnaryOp::Powf(e) => {
                if e == T::zero() {
                    g * c::<T>(0.0)
                } else {
                    g * &(x.powf(e - T::one()) * e)
                }
            }
            UnaryOp::AddScalar(_) => g.clone(),
            UnaryOp::MulScalar(s) => g * s,
            UnaryOp::DivScalar(s) => g / s,
            UnaryOp::RDivScalar(s) => -(g * s) / (x * x),
            UnaryOp::RSubScalar(_) => -g,
        }
    }
}

impl<T: Float> Tensor<T> {
    #[track_caller]
    pub(crate) fn unary(&self, op: UnaryOp<T>) -> Tensor<T> {
        let data = op.forward(&self.data());
        Tensor::from_op(data, Op::Unary(op), self)
    }

    /// `e^x` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).exp().to_vec(), vec![1.0]);
    /// ```
    #[track_caller]
    pub fn exp(&self) -> Tensor<T> {
        self.unary(UnaryOp::Exp)
    }

    /// Natural logarithm elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).log().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn log(&self) -> Tensor<T> {
        self.unary(UnaryOp::Log)
    }

    /// Square root elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![9.0f32], &[1]).sqrt().to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn sqrt(&self) -> Tensor<T> {
        self.unary(UnaryOp::Sqrt)
    }

    /// Absolute value elementwise (gradient 0 at 0, as PyTorch).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-2.0f32, 3.0], &[2]).abs().to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn abs(&self) -> Tensor<T> {
        self.unary(UnaryOp::Abs)
    }

    /// `x²` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-3.0f32], &[1]).square().to_vec(), vec![9.0]);
    /// ```
    #[track_caller]
    pub fn square(&self) -> Tensor<T> {
        self.unary(UnaryOp::Square)
    }

    /// `-x` elementwise (also the unary `-` operator).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32], &[1]).neg().to_vec(), vec![-1.0]);
    /// ```
    #[track_caller]
    pub fn neg(&self) -> Tensor<T> {
        self.unary(UnaryOp::Neg)
    }

    /// `max(x, 0)` elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor<T> {
        self.unary(UnaryOp::Relu)
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
        self.unary(UnaryOp::LeakyRelu(slope))
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
        self.unary(UnaryOp::Sigmoid)
    }

    /// Hyperbolic tangent elementwise.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).tanh().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn tanh(&self) -> Tensor<T> {
        self.unary(UnaryOp::Tanh)
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
        self.unary(UnaryOp::Gelu)
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
        self.unary(UnaryOp::GeluTanh)
    }

    /// SiLU (swish): `x · sigmoid(x)`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).silu().to_vec(), vec![0.0]);
    /// ```
    #[track_caller]
    pub fn silu(&self) -> Tensor<T> {
        self.unary(UnaryOp::Silu)
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
        self.unary(UnaryOp::Softplus)
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
        self.unary(UnaryOp::Erf)
    }

    /// Limits every element to `[min, max]`; the gradient passes where `min <= x <= max`.
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
        self.unary(UnaryOp::Clamp(min, max))
    }

    /// `x^e` elementwise for a scalar exponent.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).powf(0.5).to_vec(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn powf(&self, e: T) -> Tensor<T> {
        self.unary(UnaryOp::Powf(e))
    }

    /// `x + s` for a scalar `s` (also `&x + s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32], &[1]).add_scalar(2.0).to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn add_scalar(&self, s: T) -> Tensor<T> {
        self.unary(UnaryOp::AddScalar(s))
    }

    /// `x · s` for a scalar `s` (also `&x * s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.5f32], &[1]).mul_scalar(2.0).to_vec(), vec![3.0]);
    /// ```
    #[track_caller]
    pub fn mul_scalar(&self, s: T) -> Tensor<T> {
        self.unary(UnaryOp::MulScalar(s))
    }

    /// `x / s` for a scalar `s` (also `&x / s`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).div_scalar(2.0).to_vec(), vec![1.5]);
    /// ```
    #[track_caller]
    pub fn div_scalar(&self, s: T) -> Tensor<T> {
        self.unary(UnaryOp::DivScalar(s))
    }

    /// `s / x` for a scalar `s` (also `s / &x`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).rdiv_scalar(2.0).to_vec(), vec![0.5]);
    /// ```
    #[track_caller]
    pub fn rdiv_scalar(&self, s: T) -> Tensor<T> {
        self.unary(UnaryOp::RDivScalar(s))
    }

    /// `s - x` for a scalar `s` (also `s - &x`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32], &[1]).rsub_scalar(1.0).to_vec(), vec![-3.0]);
    /// ```
    #[track_caller]
    pub fn rsub_scalar(&self, s: T) -> Tensor<T> {
        self.unary(UnaryOp::RSubScalar(s))
    }
}
