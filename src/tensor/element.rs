//! The element types a [`Tensor`](crate::Tensor) can hold, sealed: each carries its dtype
//! and its per-type behaviour (its buffer pool), so nothing else compares type names or ids.

use std::cell::RefCell;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};
use std::thread::LocalKey;

/// The dtype of a tensor's elements, as PyTorch and safetensors name them.
///
/// ```
/// use tapegrad::{DType, Float};
/// assert_eq!(<f32 as Float>::DTYPE, DType::F32);
/// assert_eq!(DType::F64.name(), "float64");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// 32-bit float (`torch.float32`).
    F32,
    /// 64-bit float (`torch.float64`).
    F64,
}

impl DType {
    /// PyTorch's name for the dtype (`"float32"`, `"float64"`).
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F32.name(), "float32");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Rust's name for the element type (`"f32"`, `"f64"`).
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F64.short_name(), "f64");
    /// ```
    pub fn short_name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// The size of one element in bytes.
    ///
    /// ```
    /// assert_eq!(tapegrad::DType::F64.size(), 8);
    /// ```
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A per-thread list of free buffers of one element type (see `tensor/pool.rs`).
pub(crate) type FreeList<T> = RefCell<crate::tensor::pool::FreeList<T>>;

/// A floating-point element type: `f32` or `f64`. Sealed: implemented by tapegrad only.
///
/// It gathers what the library needs from [`num_traits::Float`] and from ndarray, plus the
/// few functions Rust's standard library lacks (`erf`).
///
/// ```
/// use tapegrad::Float;
/// assert_eq!(<f64 as Float>::of_f64(0.5), 0.5);
/// assert!((<f32 as Float>::erf(0.5) - 0.520_499_9).abs() < 1e-6);
/// ```
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + std::fmt::LowerExp
    + Send
    + Sync
    + 'static
    + sealed::Sealed
{
    /// The element type's dtype.
    const DTYPE: DType;

    /// This thread's free list of large buffers of this type.
    #[doc(hidden)]
    fn free_list() -> &'static LocalKey<FreeList<Self>>;

    /// Decodes little-endian bytes of `dtype` (F32 or F64) into values of this type.
    #[doc(hidden)]
    fn from_le_bytes(dtype: DType, bytes: &[u8]) -> Vec<Self> {
        match dtype {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|c| Self::of_f64(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64))
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|c| Self::of_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
                .collect(),
        }
    }

    /// Appends the value's little-endian bytes (in this type's own dtype).
    #[doc(hidden)]
    fn write_le_bytes(self, out: &mut Vec<u8>);

    /// Converts from `f64`, rounding to the nearest value of this type.
    fn of_f64(v: f64) -> Self;

    /// Converts to `f64` (exact).
    fn as_f64(self) -> f64;

    /// The error function, accurate to about 1e-15 (a few ulps of `f64`).
    fn erf(self) -> Self {
        Self::of_f64(erf_f64(self.as_f64()))
    }

    /// `eˣ` for elementwise kernels: branch-free (so loops over it vectorise) in f32, within
    /// 2 ulp; the C library's in f64.
    #[doc(hidden)]
    fn exp_elementwise(self) -> Self {
        self.exp()
    }
}

thread_local! {
    static F32_FREE: FreeList<f32> = RefCell::new(Default::default());
    static F64_FREE: FreeList<f64> = RefCell::new(Default::default());
}

impl Float for f32 {
    const DTYPE: DType = DType::F32;
    fn free_list() -> &'static LocalKey<FreeList<Self>> {
        &F32_FREE
    }
    fn write_le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    #[inline(always)]
    fn exp_elementwise(self) -> Self {
        exp_f32(self)
    }
    fn of_f64(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const DTYPE: DType = DType::F64;
    fn free_list() -> &'static LocalKey<FreeList<Self>> {
        &F64_FREE
    }
    fn write_le_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn of_f64(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
    }
}

/// `eˣ` in f32 without branches or table look-ups (Cephes' `expf` polynomial after the usual
/// reduction `x = n·ln 2 + r`), so a loop over it vectorises; within 2 ulp of the exact
/// value, ±inf and NaN handled as `f32::exp` does.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    // Past these the result is 0 or inf in f32.
    let xc = x.clamp(-103.972_08, 88.722_84);
    // Round to nearest by the 1.5·2²³ trick: plain arithmetic (a `floor` call would be a
    // libm call on baseline x86-64 and stop the loop from vectorising).
    const ROUND: f32 = 12_582_912.0;
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    // The same integer from t's bits (no float-to-int conversion, which does not vectorise).
    let ni = t.to_bits() as i32 - 0x4B40_0000;
    let r = xc - n * C1 - n * C2;
    let z = r * r;
    let p = (((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 0.5)
        * z
        + r
        + 1.0;
    // 2ⁿ in two halves, so n down to −150 (subnormal results) stays representable.
    let n = ni;
    let half = n >> 1;
    let scale1 = f32::from_bits(((half + 127) as u32) << 23);
    let scale2 = f32::from_bits(((n - half + 127) as u32) << 23);
    let y = p * scale1 * scale2;
    if x.is_nan() {
        x
    } else if x > 88.722_84 {
        f32::INFINITY
    } else if x < -103.972_08 {
        0.0
    } else {
        y
    }
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
    use super::{erf_f64, exp_f32};

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
