//! Weight initialisation in place, as `torch.nn.init`; every function takes the rng to use,
//! so results are reproducible from a seed.
//!
//! ```
//! use tapegrad::prelude::*;
//! use tapegrad::rand::{rngs::StdRng, SeedableRng};
//! let w = Tensor::<f32>::zeros(&[64, 32]).requires_grad();
//! nn::init::xavier_uniform(&w, 1.0, &mut StdRng::seed_from_u64(0));
//! let bound = (6.0f32 / (32.0 + 64.0)).sqrt();
//! assert!(w.to_vec().iter().all(|v| v.abs() <= bound));
//! ```

use rand::Rng;

use crate::tensor::standard_normal;
use crate::{Float, Tensor};

/// `(fan_in, fan_out)` as PyTorch computes them: dims 1 and 0 times the receptive field.
#[track_caller]
fn fans<T: Float>(t: &Tensor<T>) -> (f64, f64) {
    let s = t.shape();
    assert!(
        s.len() >= 2,
        "tapegrad: init: fan in and out need at least 2 dims, got shape {s:?}"
    );
    let receptive: usize = s[2..].iter().product();
    ((s[1] * receptive) as f64, (s[0] * receptive) as f64)
}

fn fill<T: Float>(t: &Tensor<T>, mut sample: impl FnMut() -> f64) {
    t.data_mut()
        .view_mut()
        .mapv_inplace(|_| T::of_f64(sample()));
}

/// Checks a gain and the scale it gives (a uniform bound or a normal's σ), as PyTorch's
/// `uniform_`/`normal_` refuse an inverted range or a negative σ.
#[track_caller]
fn check_scale(op: &str, gain: f64, scale: f64) {
    if !(gain.is_finite() && gain >= 0.0 && scale.is_finite()) {
        panic!(
            "tapegrad: {op}: gain {gain} gives a scale of {scale}; the gain must be finite and \
             not negative"
        );
    }
}

/// U(−bound, bound) samples, or zeros for a zero bound (an empty range for rand).
fn fill_uniform<T: Float, R: Rng + ?Sized>(t: &Tensor<T>, bound: f64, rng: &mut R) {
    if bound == 0.0 {
        fill(t, || 0.0);
    } else {
        fill(t, || rng.random_range(-bound..bound));
    }
}

/// U(−a, a) with `a = gain·√(6 / (fan_in + fan_out))`.
#[track_caller]
pub fn xavier_uniform<T: Float, R: Rng + ?Sized>(t: &Tensor<T>, gain: f64, rng: &mut R) {
    if t.numel() == 0 {
        return; // as PyTorch: initialising a zero-element tensor does nothing
    }
    let (fan_in, fan_out) = fans(t);
    let a = gain * (6.0 / (fan_in + fan_out)).sqrt();
    check_scale("xavier_uniform", gain, a);
    fill_uniform(t, a, rng);
}

/// N(0, σ²) with `σ = gain·√(2 / (fan_in + fan_out))`.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let w = Tensor::<f64>::zeros(&[200, 200]);
/// nn::init::xavier_normal(&w, 1.0, &mut StdRng::seed_from_u64(0));
/// let std = w.square().mean().item().sqrt();
/// assert!((std - 0.07071).abs() < 0.002);
/// ```
#[track_caller]
pub fn xavier_normal<T: Float, R: Rng + ?Sized>(t: &Tensor<T>, gain: f64, rng: &mut R) {
    if t.numel() == 0 {
        return;
    }
    let (fan_in, fan_out) = fans(t);
    let std = gain * (2.0 / (fan_in + fan_out)).sqrt();
    check_scale("xavier_normal", gain, std);
    fill(t, || std * standard_normal(rng));
}

/// U(−b, b) with `b = √2·√(3 / fan_in)` (PyTorch's default: fan_in mode, ReLU gain).
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let w = Tensor::<f32>::zeros(&[10, 24]);
/// nn::init::kaiming_uniform(&w, &mut StdRng::seed_from_u64(0));
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 0.5));
/// ```
#[track_caller]
pub fn kaiming_uniform<T: Float, R: Rng + ?Sized>(t: &Tensor<T>, rng: &mut R) {
    if t.numel() == 0 {
        return;
    }
    let (fan_in, _) = fans(t);
    let b = 2f64.sqrt() * (3.0 / fan_in).sqrt();
    fill_uniform(t, b, rng);
}

/// N(0, σ²) with `σ = √2 / √fan_in` (fan_in mode, ReLU gain).
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let w = Tensor::<f64>::zeros(&[400, 50]);
/// nn::init::kaiming_normal(&w, &mut StdRng::seed_from_u64(0));
/// assert!((w.square().mean().item().sqrt() - 0.2).abs() < 0.005);
/// ```
#[track_caller]
pub fn kaiming_normal<T: Float, R: Rng + ?Sized>(t: &Tensor<T>, rng: &mut R) {
    if t.numel() == 0 {
        return;
    }
    let (fan_in, _) = fans(t);
    let std = 2f64.sqrt() / fan_in.sqrt();
    fill(t, || std * standard_normal(rng));
}
