//! The element types a [`Tensor`](crate::Tensor) can hold.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point element type: `f32` or `f64`.
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
{
    /// The type's name as PyTorch and safetensors spell it (`"F32"`, `"F64"`).
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to the nearest value of this type.
    fn of_f64(v: f64) -> Self;

    /// Converts to `f64` (exact).
    fn as_f64(self) -> f64;

    /// The error function, accurate to about 1e-15 (a few ulps of `f64`).
    fn erf(self) -> Self {
        Self::of_f64(erf_f64(self.as_f64()))
    }
}

impl Float for f32 {
    const DTYPE: &'static str = "F32";
    fn of_f64(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const DTYPE: &'static str = "F64";
    fn of_f64(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
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
    use super::erf_f64;

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
