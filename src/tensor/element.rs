//! The element types a [`Tensor`](crate::Tensor) can hold, sealed: each carries its dtype
//! and its per-type behaviour (its buffer pool), so nothing else compares type names or ids.

use std::cell::RefCell;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};
use std::thread::LocalKey;

use super::function::Function;
use super::node::{GradFn, Inputs, record_at};
use super::shared::Shared;

/// The dtype of a tensor's elements, as PyTorch and safetensors name them.
///
/// ```
/// use tapegrad::{DType, Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(<i64 as Element>::DTYPE, DType::I64);
/// assert_eq!(DType::F64.name(), "float64");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// 32-bit float (`torch.float32`).
    F32,
    /// 64-bit float (`torch.float64`).
    F64,
    /// 64-bit signed integer (`torch.int64`, PyTorch's LongTensor).
    I64,
    /// Boolean (`torch.bool`).
    Bool,
    /// 16-bit IEEE float (`torch.float16`); read from files only, widened to the tensor's type.
    F16,
    /// bfloat16 (`torch.bfloat16`); read from files only, widened to the tensor's type.
    BF16,
}

impl DType {
    /// PyTorch's name for the dtype (`"float32"`, `"int64"`, `"bool"`, ...).
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F32.name(), "float32");
    /// assert_eq!(tapegrad::DType::I64.name(), "int64");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
        }
    }

    /// Rust's name for the element type (`"f32"`, `"f64"`, `"i64"`, `"bool"`, `"f16"`, `"bf16"`).
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F64.short_name(), "f64");
    /// ```
    pub fn short_name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I64 => "i64",
            DType::Bool => "bool",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
        }
    }

    /// The size of one element in bytes.
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F64.size(), 8);
    /// assert_eq!(tapegrad::DType::Bool.size(), 1);
    /// ```
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
            DType::F16 | DType::BF16 => 2,
        }
    }

    /// Whether the dtype is a floating-point type.
    ///
    /// ```
    /// assert!(tapegrad::DType::BF16.is_float());
    /// assert!(!tapegrad::DType::I64.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }
}

/// An op that can be recorded for both float types: what an op used on every element type
/// (a view, a copy) implements, so that it is recorded for float tensors and ignored for
/// the others.
pub(crate) trait FloatFunction: Function<f32> + Function<f64> {}
impl<F: Function<f32> + Function<f64>> FloatFunction for F {}

// `Sealed` is public only in name (its module is private), so the crate-private types in
// its signature are unreachable from outside: `private_interfaces` is allowed for it.
pub(crate) mod sealed {
    #![allow(private_interfaces, private_bounds)]
    use super::FloatFunction;
    use crate::tensor::node::{GradFn, Inputs};
    use crate::tensor::shared::Shared;

    /// Seals [`Element`](super::Element) and carries its crate-private behaviour.
    pub trait Sealed: Sized {
        /// Records `op` for float types; `None` for the others (which never require grad).
        fn record_op<F: FloatFunction>(
            op: F,
            inputs: Inputs<Self>,
            out_version: u64,
            location: &'static std::panic::Location<'static>,
        ) -> Option<Shared<GradFn<Self>>>
        where
            Self: super::Element;
    }
}

/// A per-thread list of free buffers of one element type (see `tensor/pool.rs`).
pub(crate) type FreeList<T> = RefCell<crate::tensor::pool::FreeList<T>>;

/// What a [`Tensor`](crate::Tensor) can hold: `f32`, `f64` (the [`Float`] types, with
/// autograd), `i64` (indices, labels: PyTorch's LongTensor) and `bool` (masks). Sealed:
/// implemented by tapegrad only.
///
/// ```
/// use tapegrad::{DType, Element, Tensor};
/// let labels = Tensor::<i64>::from_vec(vec![3, 1, 4], &[3]);
/// let mask = Tensor::<bool>::from_vec(vec![true, false], &[2]);
/// assert_eq!(labels.dtype(), DType::I64);
/// assert_eq!(mask.dtype(), DType::Bool);
/// assert_eq!(<i64 as Element>::of_f64(-2.7), -2); // truncates toward zero
/// ```
pub trait Element:
    Copy + PartialEq + PartialOrd + Default + Debug + Send + Sync + 'static + sealed::Sealed
{
    /// The element type's dtype.
    const DTYPE: DType;
    /// Zero (`false` for bool).
    const ZERO: Self;
    /// One (`true` for bool).
    const ONE: Self;

    /// This thread's free list of large buffers of this type.
    #[doc(hidden)]
    fn free_list() -> &'static LocalKey<FreeList<Self>>;

    /// Converts from `f64` as PyTorch's `.to(dtype)`: rounding to the nearest float,
    /// truncating toward zero for `i64` (NaN gives 0, out-of-range values saturate),
    /// nonzero → `true` for bool.
    fn of_f64(v: f64) -> Self;

    /// Converts to `f64` (exact for floats, bool → 0/1, `i64` rounds beyond 2⁵³).
    fn as_f64(self) -> f64;

    /// Converts from `i64` (exact for `i64`, nonzero → `true` for bool).
    fn of_i64(v: i64) -> Self;

    /// Converts to `i64` (floats truncate toward zero, bool → 0/1).
    fn as_i64(self) -> i64;

    /// Converts to another element type, as PyTorch's `.to(dtype)`.
    ///
    /// ```
    /// use tapegrad::Element;
    /// assert_eq!(2.9f32.cast::<i64>(), 2);
    /// assert_eq!(3i64.cast::<bool>(), true);
    /// assert_eq!(true.cast::<f64>(), 1.0);
    /// ```
    fn cast<U: Element>(self) -> U {
        if Self::DTYPE.is_float() || U::DTYPE.is_float() {
            U::of_f64(self.as_f64())
        } else {
            U::of_i64(self.as_i64())
        }
    }

    /// Writes the value the way PyTorch prints it in a tensor (`1.5000`, `3`, `True`); floats
    /// with 4 decimals, or in scientific form when `scientific`.
    #[doc(hidden)]
    fn format(self, scientific: bool) -> String;

    /// Decodes little-endian bytes of `dtype` into values of this type (widening F16/BF16).
    #[doc(hidden)]
    fn from_le_bytes(dtype: DType, bytes: &[u8]) -> Vec<Self> {
        fn chunks<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
            b.chunks_exact(N).map(|c| c.try_into().expect("N bytes"))
        }
        match dtype {
            DType::F32 => chunks::<4>(bytes)
                .map(|c| Self::of_f64(f32::from_le_bytes(c) as f64))
                .collect(),
            DType::F64 => chunks::<8>(bytes)
                .map(|c| Self::of_f64(f64::from_le_bytes(c)))
                .collect(),
            DType::I64 => chunks::<8>(bytes)
                .map(|c| Self::of_i64(i64::from_le_bytes(c)))
                .collect(),
            DType::Bool => bytes
                .iter()
                .map(|&b| Self::of_i64((b != 0) as i64))
                .collect(),
            DType::F16 => chunks::<2>(bytes)
                .map(|c| Self::of_f64(f16_to_f64(u16::from_le_bytes(c))))
                .collect(),
            DType::BF16 => chunks::<2>(bytes)
                .map(|c| {
                    let bits = (u16::from_le_bytes(c) as u32) << 16;
                    Self::of_f64(f32::from_bits(bits) as f64)
                })
                .collect(),
        }
    }

    /// Appends the value's little-endian bytes (in this type's own dtype).
    #[doc(hidden)]
    fn write_le_bytes(self, out: &mut Vec<u8>);

    /// An unsigned key in the order `sort` uses (NaN last, −0 equal to +0), so sorting
    /// compares integers.
    #[doc(hidden)]
    fn sort_key(self) -> u64;

    /// How many low bits of [`Element::sort_key`] can be nonzero.
    #[doc(hidden)]
    const KEY_BITS: u32;

    /// `if c { a } else { b }` without a branch (a bit mask), so a loop of it vectorises
    /// whatever the pattern of `c`.
    #[doc(hidden)]
    fn select(c: bool, a: Self, b: Self) -> Self;
}

/// An IEEE half-precision value (as its bits) widened to f64, exactly.
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((bits >> 10) & 0x1f) as i32;
    let frac = (bits & 0x3ff) as f64;
    let mag = match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    };
    sign * mag
}

/// A floating-point element type: `f32` or `f64`, the types with autograd. Sealed.
///
/// It gathers what the library needs from [`num_traits::Float`] and from ndarray, plus the
/// few functions Rust's standard library lacks (`erf`).
///
/// ```
/// use tapegrad::{Element, Float};
/// assert_eq!(<f64 as Element>::of_f64(0.5), 0.5);
/// assert!((<f32 as Float>::erf(0.5) - 0.520_499_9).abs() < 1e-6);
/// ```
pub trait Float:
    Element
    + num_traits::Float
    + num_traits::FromPrimitive
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Display
    + std::fmt::LowerExp
{
    /// The error function, accurate to about 1e-15 (a few ulps of `f64`).
    fn erf(self) -> Self {
        Self::of_f64(erf_f64(self.as_f64()))
    }

    /// This type's 2-D view as an `f32` view, when the type is `f32` (for the f32-only
    /// GEMM kernel: a per-type hook, so no cast is needed).
    #[doc(hidden)]
    fn as_f32_view(v: ndarray::ArrayView2<'_, Self>) -> Option<ndarray::ArrayView2<'_, f32>> {
        let _ = v;
        None
    }

    /// This type's mutable 2-D view as an `f32` view, when the type is `f32`; the view back
    /// otherwise.
    #[doc(hidden)]
    fn as_f32_view_mut(
        v: ndarray::ArrayViewMut2<'_, Self>,
    ) -> Result<ndarray::ArrayViewMut2<'_, f32>, ndarray::ArrayViewMut2<'_, Self>> {
        Err(v)
    }

    /// `eˣ` for elementwise kernels: branch-free (so loops over it vectorise) in f32, within
    /// 2 ulp; the C library's in f64.
    #[doc(hidden)]
    fn exp_elementwise(self) -> Self {
        self.exp()
    }

    /// `tanh x` for elementwise kernels: branch-free (so loops over it vectorise) in f32,
    /// within 2 ulp; the C library's in f64.
    #[doc(hidden)]
    fn tanh_elementwise(self) -> Self {
        self.tanh()
    }

    /// `sin x` for elementwise kernels: branch-free in f32 for `|x| ≤`
    /// [`Float::FAST_TRIG_LIMIT`] (beyond it the caller recomputes with the C library's);
    /// the C library's in f64.
    #[doc(hidden)]
    fn sin_elementwise(self) -> Self {
        self.sin()
    }

    /// `cos x` for elementwise kernels, as [`Float::sin_elementwise`].
    #[doc(hidden)]
    fn cos_elementwise(self) -> Self {
        self.cos()
    }

    /// Up to which `|x|` the elementwise `sin`/`cos` are accurate.
    #[doc(hidden)]
    const FAST_TRIG_LIMIT: f64 = f64::INFINITY;

    /// `eˣ` for `|x| ≤` [`Float::FAST_EXP_LIMIT`] only (the caller recomputes larger or NaN
    /// inputs with [`Float::exp_elementwise`], whose bits it matches inside the limit).
    #[doc(hidden)]
    fn exp_in_range(self) -> Self {
        self.exp_elementwise()
    }

    /// Up to which `|x|` [`Float::exp_in_range`] is exact.
    #[doc(hidden)]
    const FAST_EXP_LIMIT: f64 = f64::INFINITY;
}

thread_local! {
    static F32_FREE: FreeList<f32> = RefCell::new(Default::default());
    static F64_FREE: FreeList<f64> = RefCell::new(Default::default());
    static I64_FREE: FreeList<i64> = RefCell::new(Default::default());
    static BOOL_FREE: FreeList<bool> = RefCell::new(Default::default());
}

macro_rules! float_element {
    ($t:ty, $bits:ty, $dtype:expr, $free:ident) => {
        #[allow(private_interfaces, private_bounds)]
        impl sealed::Sealed for $t {
            #[inline]
            fn record_op<F: FloatFunction>(
                op: F,
                inputs: Inputs<Self>,
                out_version: u64,
                location: &'static std::panic::Location<'static>,
            ) -> Option<Shared<GradFn<Self>>> {
                Some(record_at(op, inputs, out_version, location))
            }
        }

        impl Element for $t {
            const DTYPE: DType = $dtype;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn free_list() -> &'static LocalKey<FreeList<Self>> {
                &$free
            }
            #[inline]
            fn of_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn of_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn as_i64(self) -> i64 {
                self as i64
            }
            fn format(self, scientific: bool) -> String {
                if self.is_nan() {
                    "nan".into()
                } else if self.is_infinite() {
                    if self > 0.0 { "inf" } else { "-inf" }.into()
                } else if scientific {
                    format!("{self:.4e}")
                } else {
                    format!("{self:.4}")
                }
            }
            fn write_le_bytes(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn sort_key(self) -> u64 {
                const SIGN: $bits = 1 << (<$bits>::BITS - 1);
                // +0 for −0; every NaN after +inf.
                let bits = if self == 0.0 { 0 } else { self.to_bits() };
                let key = if bits & SIGN != 0 { !bits } else { bits | SIGN };
                (if self.is_nan() { <$bits>::MAX } else { key }) as u64
            }
            const KEY_BITS: u32 = <$bits>::BITS;
            #[inline(always)]
            fn select(c: bool, a: Self, b: Self) -> Self {
                let m = (c as $bits).wrapping_neg();
                Self::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
            }
        }
    };
}

float_element!(f32, u32, DType::F32, F32_FREE);
float_element!(f64, u64, DType::F64, F64_FREE);

impl Float for f32 {
    fn as_f32_view(v: ndarray::ArrayView2<'_, Self>) -> Option<ndarray::ArrayView2<'_, f32>> {
        Some(v)
    }
    fn as_f32_view_mut(
        v: ndarray::ArrayViewMut2<'_, Self>,
    ) -> Result<ndarray::ArrayViewMut2<'_, f32>, ndarray::ArrayViewMut2<'_, Self>> {
        Ok(v)
    }
    #[inline(always)]
    fn exp_elementwise(self) -> Self {
        exp_f32(self)
    }
    #[inline(always)]
    fn tanh_elementwise(self) -> Self {
        tanh_f32(self)
    }
    #[inline(always)]
    fn sin_elementwise(self) -> Self {
        sin_cos_f32(self, false)
    }
    #[inline(always)]
    fn cos_elementwise(self) -> Self {
        sin_cos_f32(self, true)
    }
    const FAST_TRIG_LIMIT: f64 = 8192.0;
    #[inline(always)]
    fn exp_in_range(self) -> Self {
        exp_f32_in_range(self)
    }
    const FAST_EXP_LIMIT: f64 = 86.0;
}

impl Float for f64 {}

/// Element types without autograd: nothing to record (they never require grad).
macro_rules! unrecorded {
    ($($t:ty),*) => {$(
        #[allow(private_interfaces, private_bounds)]
        impl sealed::Sealed for $t {
            fn record_op<F: FloatFunction>(
                _: F,
                _: Inputs<Self>,
                _: u64,
                _: &'static std::panic::Location<'static>,
            ) -> Option<Shared<GradFn<Self>>> {
                None
            }
        }
    )*};
}

unrecorded!(i64, bool);

impl Element for i64 {
    const DTYPE: DType = DType::I64;
    const ZERO: Self = 0;
    const ONE: Self = 1;
    fn free_list() -> &'static LocalKey<FreeList<Self>> {
        &I64_FREE
    }
    #[inline]
    fn of_f64(v: f64) -> Self {
        v as i64
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn of_i64(v: i64) -> Self {
        v
    }
    #[inline]
    fn as_i64(self) -> i64 {
        self
    }
    fn format(self, _: bool) -> String {
        self.to_string()
    }
    fn write_le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    #[inline(always)]
    fn sort_key(self) -> u64 {
        (self as u64) ^ (1 << 63)
    }
    const KEY_BITS: u32 = 64;
    #[inline(always)]
    fn select(c: bool, a: Self, b: Self) -> Self {
        let m = (c as i64).wrapping_neg();
        (a & m) | (b & !m)
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    const ONE: Self = true;
    fn free_list() -> &'static LocalKey<FreeList<Self>> {
        &BOOL_FREE
    }
    #[inline]
    fn of_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as i64 as f64
    }
    #[inline]
    fn of_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn as_i64(self) -> i64 {
        self as i64
    }
    fn format(self, _: bool) -> String {
        if self { "True" } else { "False" }.to_string()
    }
    fn write_le_bytes(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    #[inline(always)]
    fn sort_key(self) -> u64 {
        self as u64
    }
    const KEY_BITS: u32 = 1;
    #[inline(always)]
    fn select(c: bool, a: Self, b: Self) -> Self {
        (c & a) | (!c & b)
    }
}

/// `eˣ` in f32 without branches or table look-ups (Cephes' `expf` polynomial after the usual
/// reduction `x = n·ln 2 + r`), so a loop over it vectorises; within 2 ulp of the exact
/// value, ±inf and NaN handled as `f32::exp` does.
///
/// The `mul_add`s are fused on every path: one instruction where the loop is compiled for
/// FMA (`ops::simd`), the C library's correctly rounded `fmaf` elsewhere, so the result does
/// not depend on which path ran.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // Below −104 the result rounds to 0 and above 89 to inf, and the arithmetic below gives
    // exactly that for the clamped values (2ⁿ stays in range), so no select is needed; NaN
    // passes `clamp` unchanged and stays NaN.
    let (p, t) = exp_f32_parts(x.clamp(-104.0, 89.0));
    // n from t's bits (no float-to-int conversion, which does not vectorise); 2ⁿ in two
    // halves, so n down to −150 (subnormal results) and up to 128 (overflow to inf) stays
    // representable.
    let ni = t.to_bits() as i32 - 0x4B40_0000;
    let half = ni >> 1;
    let scale1 = f32::from_bits(((half + 127) as u32) << 23);
    let scale2 = f32::from_bits(((ni - half + 127) as u32) << 23);
    p * scale1 * scale2
}

/// [`exp_f32`] for `|x| ≤ 86` only, where eˣ and the polynomial are normal numbers: 2ⁿ is
/// applied by adding n to the exponent bits (two integer operations instead of eight), which
/// gives the same bits as `exp_f32`'s exact multiplications. Used by `exp` and `sigmoid`,
/// which recompute larger and NaN inputs with `exp_f32` afterwards.
#[inline(always)]
pub(crate) fn exp_f32_in_range(x: f32) -> f32 {
    let (p, t) = exp_f32_parts(x);
    // t's bits are 0x4B40_0000 + n, and 0x4B40_0000 << 23 wraps to 0.
    f32::from_bits(p.to_bits().wrapping_add(t.to_bits() << 23))
}

/// The polynomial `p ≈ e^r` and `t = 1.5·2²³ + n`, where `x = n·ln 2 + r`.
#[inline(always)]
fn exp_f32_parts(x: f32) -> (f32, f32) {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    // Round to nearest by the 1.5·2²³ trick: plain arithmetic (a `floor` call would be a
    // libm call on baseline x86-64 and stop the loop from vectorising).
    const ROUND: f32 = 12_582_912.0;
    let t = x.mul_add(LOG2E, ROUND);
    let n = t - ROUND;
    let r = (-n).mul_add(C2, (-n).mul_add(C1, x));
    let z = r * r;
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_199_9e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 1.666_666_5e-1)
        .mul_add(r, 0.5)
        .mul_add(z, r)
        + 1.0;
    (p, t)
}

/// `tanh x` in f32 without branches (Cephes' `tanhf`): an odd polynomial for `|x| < 0.625`,
/// `1 − 2/(e^{2|x|} + 1)` with [`exp_f32`] beyond, the sign restored; within 2 ulp. Both
/// sides are computed and one picked, so a loop over it vectorises (the C library's `tanhf`
/// costs a call and an `expm1f` per element: a fifth of an LSTM's training time).
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let ax = x.abs();
    let z = x * x;
    let p = (-5.704_988_7e-3f32)
        .mul_add(z, 2.063_909e-2)
        .mul_add(z, -5.373_971_6e-2)
        .mul_add(z, 1.333_144_2e-1)
        .mul_add(z, -3.333_328e-1);
    let small = (p * z).mul_add(x, x);
    // e^{2|x|} overflows to inf past |x| ≈ 44, which gives exactly 1; NaN stays NaN.
    let large = 1.0 - 2.0 / (exp_f32(2.0 * ax) + 1.0);
    // Both sides have the sign of x (the polynomial loses it only for −0).
    let magnitude = if ax < 0.625 { small } else { large };
    magnitude.copysign(x)
}

/// `sin x` or `cos x` in f32 without branches, so a loop over it vectorises: the argument
/// reduced by multiples of π (sin: `x = q·π + r`; cos: `x = (q + ½)·π + r`) in three fused
/// steps, then one odd polynomial for `sin r` on `[−π/2, π/2]` (SLEEF's `sinf_u35`
/// coefficients) and a sign from q's parity. Within 2 ulp for `|x| ≤ 8192`
/// ([`Float::FAST_TRIG_LIMIT`]); past that the reduction loses digits and the caller
/// recomputes with the C library. The `mul_add`s are fused on every path, as in
/// [`exp_f32`].
#[inline(always)]
pub(crate) fn sin_cos_f32(x: f32, cos: bool) -> f32 {
    const INV_PI: f32 = std::f32::consts::FRAC_1_PI;
    // π = PI_A + PI_B + PI_C to about 70 bits.
    const PI_A: f32 = std::f32::consts::PI;
    const PI_B: f32 = -8.742_278e-8;
    const PI_C: f32 = -3.430_249e-15;
    // Round to nearest by the 1.5·2²³ trick; t's bits are 0x4B40_0000 + q, so their lowest
    // bit is q's parity.
    const ROUND: f32 = 12_582_912.0;
    let (h, flip) = if cos {
        // cos x = cos((q + ½)π + r) = (−1)^(q+1) sin r.
        let t = x.mul_add(INV_PI, -0.5) + ROUND;
        (t - ROUND + 0.5, t.to_bits().wrapping_add(1) << 31)
    } else {
        // sin x = sin(qπ + r) = (−1)^q sin r.
        let t = x.mul_add(INV_PI, ROUND);
        (t - ROUND, t.to_bits() << 31)
    };
    let r = (-h).mul_add(PI_C, (-h).mul_add(PI_B, (-h).mul_add(PI_A, x)));
    let r = f32::from_bits(r.to_bits() ^ flip);
    let s = r * r;
    let u = 2.608_316e-6f32
        .mul_add(s, -1.981_069e-4)
        .mul_add(s, 8.333_079e-3)
        .mul_add(s, -1.666_666e-1);
    let y = (s * u).mul_add(r, r);
    // sin(±0) = ±0 (the sum above turns −0 into +0).
    if !cos && x == 0.0 { x } else { y }
}

/// erf(x) in f64.
///
/// For |x| < 3 the series `erf(x) = 2/√π · e^(−x²) · Σ (2x²)^n · x / (1·3·…·(2n+1))` has only
/// positive terms, so it loses no digits to cancellation. Beyond that the continued fraction
/// for erfc converges quickly, and past 6 erf is ±1 to f64 precision.
pub(crate) fn erf_f64(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return f64::NAN;
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    let r = if ax < 3.0 {
        let x2 = ax * ax;
        let mut term = ax;
        let mut sum = ax;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        two_over_sqrt_pi * (-x2).exp() * sum
    } else if ax < 6.0 {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
        let mut f = ax;
        for k in (1..=60).rev() {
            f = ax + (k as f64 / 2.0) / f;
        }
        1.0 - (-ax * ax).exp() / (f * std::f64::consts::PI.sqrt())
    } else {
        1.0
    };
    r.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::{erf_f64, exp_f32, exp_f32_in_range, sin_cos_f32, tanh_f32};

    #[test]
    fn the_vectorisable_sin_and_cos_are_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -8192.0f32;
        while x <= 8192.0 {
            for (cos, want) in [(false, (x as f64).sin()), (true, (x as f64).cos())] {
                let got = sin_cos_f32(x, cos) as f64;
                // In units of the result's ulp, with 2⁻²⁴ (half an ulp of 1) as the floor
                // near zeros of sin and cos.
                let ulp = (want.abs() * f32::EPSILON as f64).max(f32::EPSILON as f64 / 2.0);
                worst = worst.max((got - want).abs() / ulp);
            }
            x += 0.037_3;
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        assert_eq!(sin_cos_f32(0.0, false), 0.0);
        assert_eq!(sin_cos_f32(0.0, true), 1.0);
        assert!(sin_cos_f32(-0.0, false).is_sign_negative());
        assert!(sin_cos_f32(f32::NAN, false).is_nan());
    }

    #[test]
    fn the_vectorisable_tanh_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -12.0f32;
        while x < 12.0 {
            let got = tanh_f32(x) as f64;
            let want = (x as f64).tanh();
            let ulp = ((want as f32).abs() * f32::EPSILON).max(f32::MIN_POSITIVE) as f64;
            worst = worst.max((got - want).abs() / ulp);
            x += 0.000_731;
        }
        assert!(
            worst <= 2.0,
            "worst error {worst} (in units of |tanh x|·2⁻²³)"
        );
        for tiny in [1e-30f32, -3e-8, 1e-3] {
            assert!(
                (tanh_f32(tiny) as f64 - (tiny as f64).tanh()).abs() <= tiny.abs() as f64 * 1.2e-7
            );
        }
        assert_eq!(tanh_f32(0.0), 0.0);
        assert!(tanh_f32(-0.0).is_sign_negative());
        assert_eq!(tanh_f32(50.0), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
    }

    #[test]
    fn the_in_range_exp_gives_the_bits_of_the_full_one() {
        let mut x = -86.0f32;
        while x <= 86.0 {
            assert_eq!(
                exp_f32_in_range(x).to_bits(),
                exp_f32(x).to_bits(),
                "x = {x}"
            );
            x += 0.003_71;
        }
        for x in [-86.0f32, 86.0, 0.0, -0.0, 1e-30] {
            assert_eq!(
                exp_f32_in_range(x).to_bits(),
                exp_f32(x).to_bits(),
                "x = {x}"
            );
        }
    }

    #[test]
    fn the_vectorisable_exp_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -103.0f32;
        while x < 88.7 {
            let got = exp_f32(x) as f64;
            let want = (x as f64).exp();
            let ulp = (want as f32).abs() as f64 * f32::EPSILON as f64;
            if want > 1e-37 {
                worst = worst.max((got - want).abs() / ulp);
            }
            x += 0.013_7;
        }
        assert!(worst <= 1.0, "worst error {worst} (in units of x·2⁻²³)");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(1000.0), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn erf_matches_reference_values() {
        // Values from the C library's erf (glibc), to 17 digits.
        let cases = [
            (0.0, 0.0),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (2.9, 0.999_958_902_121_900_6),
            (3.0, 0.999_977_909_503_001_4),
            (4.5, 0.999_999_999_803_383_9),
            (-1.5, -0.966_105_146_475_310_7),
        ];
        for (x, want) in cases {
            let got = erf_f64(x);
            assert!(
                (got - want).abs() <= 1.5e-15,
                "erf({x}) = {got}, want {want}"
            );
        }
        assert_eq!(erf_f64(7.0), 1.0);
        assert!(erf_f64(f64::NAN).is_nan());
    }
}
