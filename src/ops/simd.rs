//! Loops over slices compiled a second time for AVX2 and FMA, chosen at run time.
//!
//! The build targets baseline x86-64: SSE2 vectors half as wide, and no fused multiply-add.
//! The f32 kernels (`exp_f32`, `sin_cos_f32`, `tanh_f32`) use `mul_add`, which Rust always
//! fuses: one instruction in code compiled for FMA, a call to a correctly rounded `fmaf`
//! elsewhere. So both versions of a loop give the same bits; only the speed differs.
//!
//! For that speed, everything a loop calls must inline into the `#[target_feature]`
//! function: each loop here is a plain `for` over slices in an `#[inline(always)]` body, and
//! the element functions are `#[inline(always)]` too. (A closure handed to a generic
//! "run this with AVX2" wrapper is not reliably inlined; neither is `Vec::extend`.)

use std::mem::MaybeUninit;

use crate::{Element, Float};

/// Whether this CPU has AVX2 and FMA (detected once, then a cached load).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Defines `$name`, which runs `$body` (the `#[inline(always)]` function `$plain`) compiled
/// for AVX2 + FMA when the CPU has them.
macro_rules! dispatch {
    (
        $(#[$doc:meta])*
        fn $name:ident / $fast:ident / $plain:ident
            <$($g:ident: $bound:path),*>($($arg:ident: $ty:ty),*) -> $ret:ty $body:block
    ) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<$($g: $bound),*>($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above), which is all
                // the `#[target_feature]` version needs.
                return unsafe { $fast($($arg),*) };
            }
            $plain($($arg),*)
        }

        /// The plain version compiled for AVX2 and FMA.
        ///
        /// # Safety
        /// The CPU must support AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $fast<$($g: $bound),*>($($arg: $ty),*) -> $ret {
            $plain($($arg),*)
        }

        #[inline(always)]
        fn $plain<$($g: $bound),*>($($arg: $ty),*) -> $ret $body
    };
}

dispatch! {
    /// `out[i] = f(x[i])` into uninitialised slots (`out` exactly as long as `x`).
    fn map_uninit / map_uninit_fast / map_uninit_plain
        <T: Element, U: Element, F: Fn(T) -> U>(x: &[T], out: &mut [MaybeUninit<U>], f: F) -> () {
        debug_assert_eq!(x.len(), out.len());
        // Blocks of 16: two AVX2 vectors of f32 in flight per step, which hides the long
        // dependency chains of the polynomial kernels.
        let mut blocks = out.chunks_exact_mut(16);
        for (o, x) in (&mut blocks).zip(x.chunks_exact(16)) {
            for (slot, &v) in o.iter_mut().zip(x) {
                slot.write(f(v));
            }
        }
        let done = x.len() / 16 * 16;
        for (slot, &v) in blocks.into_remainder().iter_mut().zip(&x[done..]) {
            slot.write(f(v));
        }
    }
}

dispatch! {
    /// `x[i] = f(x[i])` in place.
    fn map_in_place / map_in_place_fast / map_in_place_plain
        <T: Element, F: Fn(T) -> T>(x: &mut [T], f: F) -> () {
        let mut blocks = x.chunks_exact_mut(16);
        for block in &mut blocks {
            for v in block.iter_mut() {
                *v = f(*v);
            }
        }
        for v in blocks.into_remainder() {
            *v = f(*v);
        }
    }
}

dispatch! {
    /// `x[i] = f(x[i], y[i])` in place (`y` exactly as long as `x`).
    fn zip_in_place / zip_in_place_fast / zip_in_place_plain
        <T: Element, F: Fn(T, T) -> T>(x: &mut [T], y: &[T], f: F) -> () {
        debug_assert_eq!(x.len(), y.len());
        for (a, &b) in x.iter_mut().zip(y) {
            *a = f(*a, b);
        }
    }
}

dispatch! {
    /// `f(w[i], g[i], m[i], v[i])` for every i (all four exactly as long as `w`): an
    /// optimizer's update of a parameter from its gradient and two running moments.
    fn update_with_moments / update_with_moments_fast / update_with_moments_plain
        <T: Element, F: Fn(&mut T, T, &mut T, &mut T)>(
            w: &mut [T], g: &[T], m: &mut [T], v: &mut [T], f: F
        ) -> () {
        debug_assert!(g.len() == w.len() && m.len() == w.len() && v.len() == w.len());
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            f(w, g, m, v);
        }
    }
}

/// `out.extend(x.iter().map(f))`, with the loop compiled for AVX2 + FMA when available.
#[inline(always)]
pub(crate) fn extend_mapped<T: Element, U: Element>(x: &[T], out: &mut Vec<U>, f: impl Fn(T) -> U) {
    out.reserve(x.len());
    let start = out.len();
    map_uninit(x, &mut out.spare_capacity_mut()[..x.len()], f);
    // SAFETY: the `x.len()` slots after `start` were reserved and have just been written.
    unsafe { out.set_len(start + x.len()) };
}

/// The max of a lane (NaN wins): softmax's shift before `exp`. As in PyTorch, a lane whose
/// max is infinite comes out all NaN (`x − max` is NaN at the max).
#[inline(always)]
fn max_of<T: Float>(x: &[T]) -> T {
    x.iter().fold(
        T::neg_infinity(),
        |a, &b| if b > a || b.is_nan() { b } else { a },
    )
}

/// `logsumexp`'s shift: the max, except that an infinite max is not shifted by, so
/// `[-inf, -inf]` gives −inf and `[inf, 1]` gives inf, as PyTorch's `logsumexp` does.
#[inline(always)]
fn shift_of<T: Float>(x: &[T]) -> T {
    let m = max_of(x);
    if m.is_infinite() { T::zero() } else { m }
}

dispatch! {
    /// `(shift, log Σ exp(x − shift))` with the max as the shift: `log Σ exp(x)` is their
    /// sum, and log-softmax is `(x − shift) − log_sum`, as PyTorch rounds it.
    fn shifted_log_sum / shifted_log_sum_fast / shifted_log_sum_plain<T: Float>(x: &[T]) -> (T, T) {
        let shift = shift_of(x);
        let mut sum = T::zero();
        for &v in x {
            sum += (v - shift).exp_elementwise();
        }
        (shift, sum.ln())
    }
}

/// `log Σ exp(x)`, shifted by the max.
#[inline(always)]
pub(crate) fn logsumexp<T: Float>(x: &[T]) -> T {
    let (shift, log_sum) = shifted_log_sum(x);
    log_sum + shift
}

dispatch! {
    /// Softmax (or log-softmax when `log`) of a lane, in place.
    fn softmax_in_place / softmax_fast / softmax_plain<T: Float>(x: &mut [T], log: bool) -> () {
        let shift = max_of(x);
        if log {
            let mut sum = T::zero();
            for v in x.iter_mut() {
                *v -= shift;
                sum += v.exp_elementwise();
            }
            let log_sum = sum.ln();
            for v in x.iter_mut() {
                *v -= log_sum;
            }
        } else {
            let mut sum = T::zero();
            for v in x.iter_mut() {
                *v = (*v - shift).exp_elementwise();
                sum += *v;
            }
            for v in x.iter_mut() {
                *v /= sum;
            }
        }
    }
}

/// Whether this CPU has AVX-512F besides AVX2 and FMA (detected once, then a cached load).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && has_avx2_fma()
}

/// One compiled version of a tiled product: `tiled` in `ROWS × COLS` tiles, compiled for
/// the CPU features `$features`.
macro_rules! gemm_variant {
    (
        $(#[$doc:meta])*
        $name:ident, $features:literal, $fused:literal, $rows:literal, $cols:literal
    ) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The CPU must support the features it is compiled for.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name<T: Float>(
            xs: &[T],
            ys: &[T],
            cs: &mut [T],
            k: usize,
            n: usize,
            acc: bool,
        ) {
            tiled::<T, $fused, $rows, $cols>(xs, ys, cs, k, n, acc)
        }
    };
}

/// Defines `$name`, a product of row-major matrices in register tiles: `ROWS × COLS` tiles
/// of AVX-512 (`$wide`, 16 vectors of 16 f32: the ISA has 32 registers) or of AVX2 (`$fast`,
/// 8 vectors of 8 f32 out of 16) when the CPU has them, else the portable loop. Every tile
/// shape gives each element of `c` the same terms in the same order, so the three agree bit
/// for bit.
macro_rules! gemm_dispatch {
    (
        $(#[$doc:meta])*
        fn $name:ident / $wide:ident / $fast:ident, fused: $fused:literal
    ) => {
        $(#[$doc])*
        pub(crate) fn $name<T: Float>(
            xs: &[T],
            ys: &[T],
            cs: &mut [T],
            k: usize,
            n: usize,
            acc: bool,
        ) {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx512() {
                    // SAFETY: the CPU supports AVX-512F, AVX2 and FMA (checked just above).
                    return unsafe { $wide(xs, ys, cs, k, n, acc) };
                }
                if has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { $fast(xs, ys, cs, k, n, acc) };
                }
            }
            tiled::<T, $fused, 4, 16>(xs, ys, cs, k, n, acc)
        }

        gemm_variant!(
            /// The tiled loop compiled for AVX-512: tiles of eight rows by 32 columns.
            $wide, "avx512f,avx2,fma", $fused, 8, 32
        );
        gemm_variant!(
            /// The tiled loop compiled for AVX2 and FMA: tiles of four rows by 16 columns.
            $fast, "avx2,fma", $fused, 4, 16
        );
    };
}

gemm_dispatch! {
    /// `c = x·y` (or `c += x·y` when `acc`) for small row-major matrices (`x` m×k, `y` k×n,
    /// `c` m×n): each `c[i, j]` sums the products `x[i, p]·y[p, j]` for p in order from zero
    /// (or from its old value), as a dot product would, in the tiles of [`mid_gemm`] so the
    /// sums of several rows run side by side instead of waiting on one another.
    fn small_gemm / small_gemm_wide / small_gemm_fast, fused: false
}

gemm_dispatch! {
    /// `c = x·y` (or `c += x·y` when `acc`) for row-major `x` (m×k), `y` (k×n) and `c` (m×n)
    /// too big for [`small_gemm`] yet with `y` small enough to stay in cache: tiles of `c`
    /// are summed in registers over p, with no packing of either operand. Each `c[i, j]` is
    /// `x[i, p]·y[p, j]` fused-multiply-added for p in order from zero (or from its old
    /// value), the order and rounding of the blocked GEMM's FMA kernel when k fits one of
    /// its panels.
    fn mid_gemm / mid_gemm_wide / mid_gemm_fast, fused: true
}

/// `c = x·y` (`c += x·y` when `acc`) in register tiles of `R` rows (then four, then one) by
/// `W` columns (then 16, 8 and 1), each element's terms added for p in order: fused
/// multiply-adds when `FUSED`, else a product then a sum.
#[inline(always)]
fn tiled<T: Float, const FUSED: bool, const R: usize, const W: usize>(
    xs: &[T],
    ys: &[T],
    cs: &mut [T],
    k: usize,
    n: usize,
    acc: bool,
) {
    if k == 0 || n == 0 {
        if !acc {
            cs.fill(T::zero());
        }
        return;
    }
    let m = cs.len() / n;
    let mut i = 0;
    while i + R <= m {
        tile_row::<T, R, W, FUSED>(xs, ys, cs, i, k, n, acc);
        i += R;
    }
    if R > 4 && i + 4 <= m {
        tile_row::<T, 4, W, FUSED>(xs, ys, cs, i, k, n, acc);
        i += 4;
    }
    while i < m {
        tile_row::<T, 1, W, FUSED>(xs, ys, cs, i, k, n, acc);
        i += 1;
    }
}

/// Rows `i..i + R` of `c = x·y`, in tiles `W` columns wide, then 16, 8 and 1.
#[inline(always)]
fn tile_row<T: Float, const R: usize, const W: usize, const FUSED: bool>(
    xs: &[T],
    ys: &[T],
    cs: &mut [T],
    i: usize,
    k: usize,
    n: usize,
    acc: bool,
) {
    let mut j = 0;
    while j + W <= n {
        tile::<T, R, W, FUSED>(xs, ys, cs, (i, j), (k, n), acc);
        j += W;
    }
    if W > 16 && j + 16 <= n {
        tile::<T, R, 16, FUSED>(xs, ys, cs, (i, j), (k, n), acc);
        j += 16;
    }
    if j + 8 <= n {
        tile::<T, R, 8, FUSED>(xs, ys, cs, (i, j), (k, n), acc);
        j += 8;
    }
    while j < n {
        tile::<T, R, 1, FUSED>(xs, ys, cs, (i, j), (k, n), acc);
        j += 1;
    }
}

/// The R×C tile of `c = x·y` at row `i`, column `j`, summed in registers over p.
#[inline(always)]
fn tile<T: Float, const R: usize, const C: usize, const FUSED: bool>(
    xs: &[T],
    ys: &[T],
    cs: &mut [T],
    (i, j): (usize, usize),
    (k, n): (usize, usize),
    acc: bool,
) {
    let x: [&[T]; R] = std::array::from_fn(|r| &xs[(i + r) * k..(i + r + 1) * k]);
    let mut sum = [[T::zero(); C]; R];
    if acc {
        for (r, sum_r) in sum.iter_mut().enumerate() {
            sum_r.copy_from_slice(&cs[(i + r) * n + j..(i + r) * n + j + C]);
        }
    }
    for p in 0..k {
        let y = &ys[p * n + j..p * n + j + C];
        for (sum_r, x_r) in sum.iter_mut().zip(&x) {
            let a = x_r[p];
            for (s, &v) in sum_r.iter_mut().zip(y) {
                *s = if FUSED { a.mul_add(v, *s) } else { *s + a * v };
            }
        }
    }
    for (r, sum_r) in sum.iter().enumerate() {
        cs[(i + r) * n + j..(i + r) * n + j + C].copy_from_slice(sum_r);
    }
}

/// Whether `|v|` exceeds `limit` or is NaN.
#[inline(always)]
pub(crate) fn beyond<T: Float>(v: T, limit: T) -> bool {
    v.abs() > limit || v.is_nan()
}

dispatch! {
    /// Whether any `|x|` exceeds `limit` or is NaN.
    fn any_beyond / any_beyond_fast / any_beyond_plain<T: Float>(x: &[T], limit: T) -> bool {
        x.iter().fold(false, |any, &v| any | beyond(v, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::element::exp_f32;

    type Gemm<T> = fn(&[T], &[T], &mut [T], usize, usize, bool);

    /// Every version of the unpacked products this CPU runs: (name, fused, product).
    fn gemm_versions<T: Float>() -> Vec<(&'static str, bool, Gemm<T>)> {
        let mut v: Vec<(&'static str, bool, Gemm<T>)> = vec![
            ("mid, portable", true, |x, y, c, k, n, acc| {
                tiled::<T, true, 4, 16>(x, y, c, k, n, acc)
            }),
            ("small, portable", false, |x, y, c, k, n, acc| {
                tiled::<T, false, 4, 16>(x, y, c, k, n, acc)
            }),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if has_avx2_fma() {
                // SAFETY (both): only listed when the CPU has AVX2 and FMA.
                v.push(("mid, AVX2", true, |x, y, c, k, n, acc| unsafe {
                    mid_gemm_fast(x, y, c, k, n, acc)
                }));
                v.push(("small, AVX2", false, |x, y, c, k, n, acc| unsafe {
                    small_gemm_fast(x, y, c, k, n, acc)
                }));
            }
            if has_avx512() {
                // SAFETY (both): only listed when the CPU has AVX-512F, AVX2 and FMA.
                v.push(("mid, AVX-512", true, |x, y, c, k, n, acc| unsafe {
                    mid_gemm_wide(x, y, c, k, n, acc)
                }));
                v.push(("small, AVX-512", false, |x, y, c, k, n, acc| unsafe {
                    small_gemm_wide(x, y, c, k, n, acc)
                }));
            }
        }
        v
    }

    /// c (+)= x·y as each version must compute it: for each c[i, j], the terms in order,
    /// fused multiply-adds (mid) or products then adds (small), from zero or the old value.
    fn expected<T: Float>(
        x: &[T],
        y: &[T],
        old: &[T],
        (m, k, n): (usize, usize, usize),
        fused: bool,
        acc: bool,
    ) -> Vec<T> {
        let mut c: Vec<T> = if acc {
            old.to_vec()
        } else {
            vec![T::zero(); m * n]
        };
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    let (a, b) = (x[i * k + p], y[p * n + j]);
                    c[i * n + j] = if fused {
                        a.mul_add(b, c[i * n + j])
                    } else {
                        c[i * n + j] + a * b
                    };
                }
            }
        }
        c
    }

    fn each_version_computes_each_element_in_order<T: Float>() {
        // 13 rows: a tile of eight, one of four, one of one; 59 columns: 32, 16, 8, then
        // three of one. So every tile shape of every version runs.
        let (m, k, n) = (13, 5, 59);
        let x: Vec<T> = (0..m * k)
            .map(|i| T::of_f64((i as f64 * 0.31).sin()))
            .collect();
        let y: Vec<T> = (0..k * n)
            .map(|i| T::of_f64((i as f64 * 0.17).cos()))
            .collect();
        let old: Vec<T> = (0..m * n)
            .map(|i| T::of_f64(i as f64 * 0.5 - 3.0))
            .collect();
        let versions = gemm_versions::<T>();
        assert!(versions.len() >= 2);
        for (name, fused, gemm) in versions {
            for acc in [false, true] {
                let mut c = old.clone();
                gemm(&x, &y, &mut c, k, n, acc);
                let want = expected(&x, &y, &old, (m, k, n), fused, acc);
                assert!(c == want, "{name}, acc {acc}");
            }
            // With an empty inner dimension, c is kept (acc) or zeroed.
            let mut kept = old.clone();
            gemm(&[], &[], &mut kept, 0, n, true);
            assert!(kept == old, "{name}");
            gemm(&[], &[], &mut kept, 0, n, false);
            assert!(kept.iter().all(|v| *v == T::zero()), "{name}");
        }
    }

    #[test]
    fn every_version_of_the_unpacked_products_sums_each_element_in_order() {
        each_version_computes_each_element_in_order::<f32>();
        each_version_computes_each_element_in_order::<f64>();
    }

    #[test]
    fn the_fma_loops_compute_exactly_what_the_plain_loops_compute() {
        let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.037 - 18.0).collect();
        let f = |v: f32| exp_f32(v) * 0.5 + v / 3.0;
        let mut fast = Vec::new();
        extend_mapped(&x, &mut fast, f);
        let plain: Vec<f32> = x.iter().map(|&v| f(v)).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast), bits(&plain));

        let mut a = x[..300].to_vec();
        let mut b = a.clone();
        softmax_in_place(&mut a, false);
        softmax_plain(&mut b, false);
        assert_eq!(bits(&a), bits(&b));
        assert!((a.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(
            shifted_log_sum(&x).1.to_bits(),
            shifted_log_sum_plain(&x).1.to_bits(),
            "logsumexp"
        );

        // An Adam step: products, sums, a square root and a quotient per element.
        let adam = |w: &mut f32, g: f32, m: &mut f32, v: &mut f32| {
            *m += 0.1 * (g - *m);
            *v = *v * 0.999 + 0.001 * g * g;
            *w += -0.01 * *m / (v.sqrt() / 0.3 + 1e-8);
        };
        let g: Vec<f32> = x.iter().map(|v| (v * 1.7).sin()).collect();
        let mut fast = (
            x.clone(),
            x.iter().map(|v| v * 0.01).collect::<Vec<_>>(),
            x.iter().map(|v| v.abs()).collect::<Vec<_>>(),
        );
        let mut plain = fast.clone();
        for _ in 0..3 {
            update_with_moments(&mut fast.0, &g, &mut fast.1, &mut fast.2, adam);
            update_with_moments_plain(&mut plain.0, &g, &mut plain.1, &mut plain.2, adam);
        }
        assert_eq!(bits(&fast.0), bits(&plain.0), "adam");
        assert_eq!(bits(&fast.1), bits(&plain.1));
        assert_eq!(bits(&fast.2), bits(&plain.2));
    }

    #[test]
    fn range_limited_kernels_recompute_everything_outside_their_range_exactly() {
        use crate::Tensor;
        use crate::tensor::element::sin_cos_f32;
        let specials = [
            -1e4f32,
            -104.5,
            -100.0,
            -87.5,
            -86.0,
            -0.0,
            0.0,
            0.3,
            86.0,
            86.5,
            88.7,
            89.0,
            1e4,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            9000.0,
            -8192.5,
        ];
        // Long enough for the vector loops, and as a strided view too.
        let values: Vec<f32> = specials.iter().cycle().take(72).copied().collect();
        let x = Tensor::from_vec(values.clone(), &[72]);
        let pairs: Vec<f32> = values.iter().flat_map(|&v| [v, -1.0]).collect();
        let strided = Tensor::from_vec(pairs, &[72, 2]).select(1, 0);
        let sigmoid_exact = |v: f32| 1.0 / (1.0 + exp_f32(-v));
        for input in [&x, &strided] {
            type Exact<'a> = &'a dyn Fn(f32) -> f32;
            let checks: [(Tensor<f32>, Exact<'_>); 3] = [
                (input.exp(), &exp_f32),
                (input.sigmoid(), &sigmoid_exact),
                (input.sin(), &|v: f32| {
                    if v.abs() <= 8192.0 {
                        sin_cos_f32(v, false)
                    } else {
                        v.sin()
                    }
                }),
            ];
            for (got, want) in checks {
                for (g, &v) in got.to_vec().iter().zip(&values) {
                    let w = want(v);
                    assert!(
                        g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                        "at {v}: {g} vs {w}"
                    );
                }
            }
        }
        assert_eq!(x.exp().to_vec()[13], f32::INFINITY);
        assert_eq!(x.exp().to_vec()[14], 0.0);
        assert!(x.sigmoid().to_vec()[15].is_nan());
    }
}
