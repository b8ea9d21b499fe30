//! Reductions: `sum mean sum_dim mean_dim max_dim min_dim var_dim logsumexp prod`, the
//! scans `cumsum cumprod logcumsumexp`, and `argmax`/`argmin`.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::normalize_dim;
use super::select::where_cond;
use super::simd;
use crate::autograd::{Context, Function, Grads};
use crate::{Element, Float, Tensor};

/// The sum of every element: a cascade sum over contiguous data.
fn sum_all<T: Float>(a: &ArrayViewD<'_, T>) -> T {
    match a.as_slice() {
        Some(s) => super::sum::sum(s),
        None => a.sum(),
    }
}

fn count<T: Float>(n: usize) -> T {
    T::from_usize(n).expect("a count fits a float")
}

/// The sum of all elements.
pub(crate) struct Sum;

impl<T: Float> Function<T> for Sum {
    fn name(&self) -> &'static str {
        "sum"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.broadcast_to(ctx.input_shape(0)))
    }
}

/// The mean of all elements.
pub(crate) struct Mean;

impl<T: Float> Function<T> for Mean {
    fn name(&self) -> &'static str {
        "mean"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let shape = ctx.input_shape(0);
        let n = count::<T>(shape.iter().product());
        Grads::one((g / n).broadcast_to(shape))
    }
}

/// The sum along `dim`.
pub(crate) struct SumDim {
    dim: usize,
    keepdim: bool,
}

impl<T: Float> Function<T> for SumDim {
    fn name(&self) -> &'static str {
        "sum_dim"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(keep(g, self.dim, self.keepdim).broadcast_to(ctx.input_shape(0)))
    }
}

/// The mean along `dim`.
pub(crate) struct MeanDim {
    dim: usize,
    keepdim: bool,
}

impl<T: Float> Function<T> for MeanDim {
    fn name(&self) -> &'static str {
        "mean_dim"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let shape = ctx.input_shape(0);
        let n = count::<T>(shape[self.dim]);
        Grads::one((keep(g, self.dim, self.keepdim) / n).broadcast_to(shape))
    }
}

/// Max or min along `dim`; `indices` are the positions picked (the gradient goes there).
pub(crate) struct SelectDim {
    dim: usize,
    keepdim: bool,
    max: bool,
    indices: Box<ArrayD<usize>>,
}

impl<T: Float> Function<T> for SelectDim {
    fn name(&self) -> &'static str {
        if self.max { "max_dim" } else { "min_dim" }
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        // A one at each picked position: lanes along `dim` are (outer, inner) pairs of a
        // row-major [outer, n, inner] array, in the order `indices` lists them.
        let shape = ctx.input_shape(0);
        let n = shape[self.dim];
        let inner: usize = shape[self.dim + 1..].iter().product();
        let mut mask = vec![T::zero(); shape.iter().product()];
        for (lane, &i) in self.indices.iter().enumerate() {
            let (o, k) = (lane / inner.max(1), lane % inner.max(1));
            mask[(o * n + i) * inner + k] = T::one();
        }
        let mask = Tensor::from_vec(mask, shape);
        Grads::one(keep(g, self.dim, self.keepdim) * mask)
    }
}

/// The variance along `dim`.
pub(crate) struct VarDim {
    dim: usize,
    keepdim: bool,
    unbiased: bool,
}

impl<T: Float> Function<T> for VarDim {
    fn name(&self) -> &'static str {
        "var_dim"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let x = ctx.input(0);
        let dof = count::<T>(x.shape()[self.dim].saturating_sub(self.unbiased as usize));
        let centered = x - &x.mean_dim(self.dim as isize, true);
        Grads::one(keep(g, self.dim, self.keepdim) * (centered * (T::of_f64(2.0) / dof)))
    }
}

/// `log(sum(exp(x)))` along `dim`.
pub(crate) struct LogSumExp {
    dim: usize,
    keepdim: bool,
}

impl<T: Float> Function<T> for LogSumExp {
    fn name(&self) -> &'static str {
        "logsumexp"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let (x, out) = (ctx.input(0), ctx.output());
        let softmax = (x - &keep(out, self.dim, self.keepdim)).exp();
        Grads::one(keep(g, self.dim, self.keepdim) * softmax)
    }
}

/// The sum over several dims.
pub(crate) struct SumDims {
    dims: Vec<usize>,
    keepdim: bool,
}

impl<T: Float> Function<T> for SumDims {
    fn name(&self) -> &'static str {
        "sum_dims"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let shape = ctx.input_shape(0);
        Grads::one(keep_dims(g, &self.dims, self.keepdim, shape).broadcast_to(shape))
    }
}

/// The largest (or smallest) value over several dims; tied elements share the gradient
/// evenly, as PyTorch's `amax`/`amin` (and global `max`/`min`).
pub(crate) struct Extremum {
    dims: Vec<usize>,
    keepdim: bool,
    max: bool,
    /// Whether a NaN result counts the NaN elements as its ties, as PyTorch's global
    /// `max`/`min` (`evenly_distribute_backward`) and ∞-norm do; `amax`/`amin` count none
    /// there, so their gradient is NaN.
    nan_ties: bool,
}

impl<T: Float> Function<T> for Extremum {
    fn name(&self) -> &'static str {
        if self.max { "amax" } else { "amin" }
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let x = ctx.input(0);
        let shape = x.shape();
        let out = keep_dims(ctx.output(), &self.dims, self.keepdim, shape);
        let ties = {
            let (a, b) = (x.data(), out.data());
            let nan_ties = self.nan_ties;
            let at = |a: T, b: T| {
                if a == b || nan_ties && a.is_nan() && b.is_nan() {
                    T::one()
                } else {
                    T::zero()
                }
            };
            Tensor::leaf(super::elementwise::zip_broadcast(
                "amax",
                &a.view(),
                &b.view(),
                at,
            ))
        };
        let count = ties.sum_dims_at(&self.dims, true);
        let g = keep_dims(g, &self.dims, self.keepdim, shape);
        Grads::one(g * ties / count)
    }
}

/// The vector `p`-norm over several dims, for `p` other than 1 and ∞ (which are `sum` and
/// `amax` of `|x|`). Its own op so the gradient at a zero norm is 0, as PyTorch's
/// `norm_backward` masks it, where the composed `sqrt(Σx²)` would give `0 · ∞ = NaN`.
pub(crate) struct Norm {
    p: f64,
    dims: Vec<usize>,
    keepdim: bool,
}

impl<T: Float> Function<T> for Norm {
    fn name(&self) -> &'static str {
        "norm"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let x = ctx.input(0);
        let shape = x.shape();
        let norm = keep_dims(ctx.output(), &self.dims, self.keepdim, shape);
        let g = keep_dims(g, &self.dims, self.keepdim, shape);
        let zero = norm.eq(T::ZERO);
        let p = self.p;
        if p == 2.0 {
            // x · g / ‖x‖
            return Grads::one(x * &where_cond(&zero, T::ZERO, &(g / &norm)));
        }
        // sgn(x) · |x|^(p−1) · g / ‖x‖^(p−1); for p < 1, |0|^(p−1) = ∞ is taken as 0.
        let scale = where_cond(&zero, T::ZERO, &(g / norm.powf(T::of_f64(p - 1.0))));
        let scaled = if p < 1.0 {
            let a = x.abs();
            x.sign() * where_cond(&a.eq(T::ZERO), T::ZERO, &a.powf(T::of_f64(p - 1.0)))
        } else if p < 2.0 {
            x.sign() * x.abs().powf(T::of_f64(p - 1.0))
        } else {
            x * &x.abs().powf(T::of_f64(p - 2.0))
        };
        Grads::one(scaled * scale)
    }
}

/// `t` with the reduced `dims` put back (size 1) when the reduction dropped them.
fn keep_dims<T: Float>(t: &Tensor<T>, dims: &[usize], keepdim: bool, shape: &[usize]) -> Tensor<T> {
    if keepdim {
        return t.clone();
    }
    let kept: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if dims.contains(&d) { 1 } else { n })
        .collect();
    t.reshape_to(&kept)
}

/// Distinct dims from `dims` (negative from the end), sorted; all dims when empty.
#[track_caller]
fn normalize_dims(op: &str, dims: &[isize], shape: &[usize]) -> Vec<usize> {
    if shape.is_empty() {
        // A 0-d tensor: dim 0 (or −1) is its one element, so reducing over it is reducing
        // over everything, as PyTorch has it.
        if let Some(d) = dims.iter().find(|&&d| d != 0 && d != -1) {
            panic!("tapegrad: {op}: dim {d} is out of range for shape []");
        }
        return Vec::new();
    }
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        out.push(normalize_dim(op, d, shape));
    }
    if dims.is_empty() {
        out = (0..shape.len()).collect();
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `a` reduced over `dims` with `f` of each lane, the dims kept (size 1).
fn reduce_kept<T: Float>(
    a: ArrayViewD<'_, T>,
    dims: &[usize],
    f: impl Fn(ArrayViewD<'_, T>) -> T,
) -> ArrayD<T> {
    let mut out = a.to_owned();
    for &d in dims {
        out = out
            .map_axis(Axis(d), |lane| f(lane.into_dyn()))
            .insert_axis(Axis(d));
    }
    out
}

/// `a` (dims kept) reshaped to drop `dims` unless `keepdim`.
fn drop_dims<T: Float>(a: ArrayD<T>, dims: &[usize], keepdim: bool) -> ArrayD<T> {
    if keepdim {
        return a;
    }
    let shape: Vec<usize> = a
        .shape()
        .iter()
        .enumerate()
        .filter(|(d, _)| !dims.contains(d))
        .map(|(_, &n)| n)
        .collect();
    a.into_shape_with_order(IxDyn(&shape))
        .expect("same element count")
}

/// The largest (`max`) or smallest element of a lane; NaN wins, as PyTorch.
fn extreme<T: Float>(lane: ArrayViewD<'_, T>, max: bool) -> T {
    lane.iter().copied().fold(
        if max {
            T::neg_infinity()
        } else {
            T::infinity()
        },
        |a, b| {
            if a.is_nan() || b.is_nan() {
                T::nan()
            } else if (max && b > a) || (!max && b < a) {
                b
            } else {
                a
            }
        },
    )
}

/// Running sums along `dim`; the backward is the running sum from the other end.
pub(crate) struct Cumsum {
    dim: usize,
}

impl<T: Float> Function<T> for Cumsum {
    fn name(&self) -> &'static str {
        "cumsum"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let d = self.dim as isize;
        Grads::one(g.flip(&[d]).cumsum(d).flip(&[d]))
    }
}

/// Running products along `dim`. The backward is exact with zeros in the input (PyTorch's
/// `cumprod_backward`): before the first zero of a lane the usual `Σ g·out / x`; at the first
/// zero the product of what precedes it times `Σ g_j·Π(x after it up to j)`; after it, 0.
pub(crate) struct Cumprod {
    dim: usize,
}

impl<T: Float> Function<T> for Cumprod {
    fn name(&self) -> &'static str {
        "cumprod"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let d = self.dim as isize;
        let (x, out) = (ctx.input(0), ctx.output());
        let reverse_cumsum = |t: &Tensor<T>| t.flip(&[d]).cumsum(d).flip(&[d]);
        let zero = x.eq(T::ZERO);
        if !zero.any().item() {
            return Grads::one(reverse_cumsum(&(g * out)) / x);
        }
        // How many zeros each position has seen, itself included.
        let seen = zero.cast::<T>().cumsum(d);
        let before = seen.eq(T::ZERO);
        let first = &zero & &seen.eq(T::ONE);
        let x_before = where_cond(&before, x, T::ONE);
        let w = where_cond(&before, &(g * out), T::ZERO);
        let grad_before = where_cond(&before, &(reverse_cumsum(&w) / &x_before), T::ZERO);
        // At the first zero: Π(x before it) · Σ_{j ≥ k} g_j · Π_{k < m ≤ j} x_m.
        let after_only = where_cond(&(&before | &first), T::ONE, x).cumprod(d);
        let tail = where_cond(&before, T::ZERO, &(g * &after_only)).sum_dim(d, true);
        let head = x_before.prod_dim(d, true);
        let grad_first = where_cond(&first, &(head * tail), T::ZERO);
        Grads::one(grad_before + grad_first)
    }
}

/// `log Σ_{j ≤ i} exp(x_j)` along `dim`. The backward splits the gradient by sign and works
/// in log space, as PyTorch's, so large inputs do not overflow.
pub(crate) struct LogCumSumExp {
    dim: usize,
}

impl<T: Float> Function<T> for LogCumSumExp {
    fn name(&self) -> &'static str {
        "logcumsumexp"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let d = self.dim as isize;
        let (x, out) = (ctx.input(0), ctx.output());
        let reverse = |t: &Tensor<T>| t.flip(&[d]).logcumsumexp(d).flip(&[d]);
        // log|g| split by sign; the other side gets the lowest finite value, not −∞, so
        // no ∞ − ∞ appears in the second derivative (PyTorch's formula).
        let log_abs = g.abs().log();
        let positive = where_cond(&g.gt(T::ZERO), &log_abs, T::min_value());
        let negative = where_cond(&g.lt(T::ZERO), &log_abs, T::min_value());
        let up = (reverse(&(positive - out)) + x).exp();
        let down = (reverse(&(negative - out)) + x).exp();
        Grads::one(up - down)
    }
}

/// The product along `dim`: each element's gradient is the product of the others, `Π/x` as
/// PyTorch computes it, or from exclusive running products on both sides in a lane with a
/// zero (exact there).
pub(crate) struct ProdDim {
    dim: usize,
    keepdim: bool,
}

impl<T: Float> Function<T> for ProdDim {
    fn name(&self) -> &'static str {
        "prod_dim"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let x = ctx.input(0);
        let d = self.dim;
        let n = x.shape()[d];
        if n == 0 {
            return Grads::one(Tensor::zeros(x.shape()));
        }
        let di = d as isize;
        // Π_{m < i} x_m: a one, then the running product of all but the last element.
        let exclusive = |t: &Tensor<T>| {
            let mut ones_shape = t.shape().to_vec();
            ones_shape[d] = 1;
            let shifted = Tensor::cat(
                &[&Tensor::ones(&ones_shape), &t.slice_at(d, 0, n - 1, 1)],
                di,
            );
            shifted.cumprod(di)
        };
        let g = keep(g, d, self.keepdim);
        // As PyTorch's `prod_backward`: g·Π/x in a lane without a zero (so a NaN or an
        // infinity spreads over its lane as there), the products of the other elements where
        // a zero would make that 0/0.
        let result = keep(ctx.output(), d, self.keepdim);
        let zero = x.eq(T::ZERO);
        if !zero.any().item() {
            return Grads::one(g * result / x);
        }
        let left = exclusive(x);
        let right = exclusive(&x.flip(&[di])).flip(&[di]);
        let others = &g * left * right;
        let lane_has_zero = zero.any_dim(di, true);
        // Ones in the lanes that take `others`, so the branch not taken holds no 0/0 for a
        // second derivative to multiply by zero.
        let divisor = lane_has_zero.where_cond(T::one(), x);
        Grads::one(lane_has_zero.where_cond(&others, &(g * result / divisor)))
    }
}

/// `t` with the reduced `dim` put back (size 1) when the reduction dropped it.
fn keep<T: Float>(t: &Tensor<T>, dim: usize, keepdim: bool) -> Tensor<T> {
    if keepdim {
        t.clone()
    } else {
        t.unsqueeze(dim as isize)
    }
}

/// `a` with `dim` restored as size 1 when `keepdim` asks for it.
fn shape_result<T: Element>(a: ArrayD<T>, dim: usize, keepdim: bool) -> ArrayD<T> {
    if keepdim { a.insert_axis(Axis(dim)) } else { a }
}

/// [`select`] of every lane along `d` of row-major `x`: the result in row-major order of the
/// other dims, as `map_axis` gives it, with plain loops over the [outer, n, inner] layout.
fn select_contiguous<T: Float>(
    x: &[T],
    shape: &[usize],
    d: usize,
    max: bool,
) -> ArrayD<(usize, T)> {
    let n = shape[d];
    let inner: usize = shape[d + 1..].iter().product();
    let outer: usize = shape[..d].iter().product();
    // Values and positions in separate arrays, updated without branches, so the inner loop
    // vectorises.
    let mut values: Vec<T> = Vec::with_capacity(outer * inner);
    let mut positions: Vec<u32> = vec![0; outer * inner];
    for o in 0..outer {
        let block = &x[o * n * inner..(o + 1) * n * inner];
        let start = values.len();
        values.extend_from_slice(&block[..inner]);
        let (best, at) = (&mut values[start..], &mut positions[start..start + inner]);
        for (k, row) in block.chunks_exact(inner.max(1)).enumerate().skip(1) {
            for ((b, i), &v) in best.iter_mut().zip(at.iter_mut()).zip(row) {
                let better = if max { v > *b } else { v < *b };
                // NaN wins and stays (the first NaN), as in PyTorch.
                let take = (better || v.is_nan()) && !b.is_nan();
                *b = T::select(take, v, *b);
                *i = if take { k as u32 } else { *i };
            }
        }
    }
    let mut rest: Vec<usize> = shape.to_vec();
    rest.remove(d);
    let out = positions
        .into_iter()
        .zip(values)
        .map(|(i, v)| (i as usize, v))
        .collect();
    ArrayD::from_shape_vec(IxDyn(&rest), out).expect("element count")
}

/// Index and value of the largest (or smallest) element of a lane; NaN wins, as in PyTorch.
fn select<T: Float>(lane: ArrayViewD<'_, T>, max: bool) -> (usize, T) {
    let mut best = (0, lane[0]);
    for (i, &v) in lane.iter().enumerate().skip(1) {
        if best.1.is_nan() {
            break;
        }
        let better = if max { v > best.1 } else { v < best.1 };
        if better || v.is_nan() {
            best = (i, v);
        }
    }
    best
}

impl<T: Float> Tensor<T> {
    /// `dim` as an index, for a reduction that has no value over an empty dim (max, min,
    /// argmax: PyTorch raises there too).
    #[track_caller]
    fn reduce_dim(&self, op: &str, dim: isize) -> usize {
        let d = normalize_dim(op, dim, self.shape());
        if self.shape()[d] == 0 {
            panic!(
                "tapegrad: {op}: cannot reduce an empty dim {dim} of shape {:?}",
                self.shape()
            );
        }
        d
    }

    /// The sum of all elements, as a 0-d tensor.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.sum().item(), 10.0);
    /// ```
    #[track_caller]
    pub fn sum(&self) -> Tensor<T> {
        let s = sum_all(&self.data().view());
        Tensor::from_op(ArrayD::from_elem(IxDyn(&[]), s), Sum, self)
    }

    /// The mean of all elements, as a 0-d tensor.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.mean().item(), 2.5);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Tensor<T> {
        let n = T::from_usize(self.numel()).unwrap();
        let m = sum_all(&self.data().view()) / n;
        Tensor::from_op(ArrayD::from_elem(IxDyn(&[]), m), Mean, self)
    }

    /// Sums along `dim`, keeping it as size 1 when `keepdim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.sum_dim(0, false).to_vec(), vec![4.0, 6.0]);
    /// assert_eq!(t.sum_dim(-1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "sum_dim", dim, |x| x.sum_dim(0, keepdim)) {
            return y;
        }
        let d = normalize_dim("sum_dim", dim, self.shape());
        let data = shape_result(self.data().view().sum_axis(Axis(d)), d, keepdim);
        Tensor::from_op(data, SumDim { dim: d, keepdim }, self)
    }

    /// Means along `dim`, keeping it as size 1 when `keepdim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.mean_dim(1, false).to_vec(), vec![1.5, 3.5]);
    /// ```
    #[track_caller]
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "mean_dim", dim, |x| x.mean_dim(0, keepdim)) {
            return y;
        }
        // Over an empty dim: 0/0 = NaN, as in PyTorch.
        let d = normalize_dim("mean_dim", dim, self.shape());
        let n = T::from_usize(self.shape()[d]).unwrap();
        let data = shape_result(self.data().view().sum_axis(Axis(d)) / n, d, keepdim);
        Tensor::from_op(data, MeanDim { dim: d, keepdim }, self)
    }

    #[track_caller]
    fn select_dim(&self, op: &str, dim: isize, keepdim: bool, max: bool) -> Tensor<T> {
        self.select_dim_indices(op, dim, keepdim, max).0
    }

    /// The max (or min) along `dim` and the index of each.
    #[track_caller]
    fn select_dim_indices(
        &self,
        op: &str,
        dim: isize,
        keepdim: bool,
        max: bool,
    ) -> (Tensor<T>, Tensor<i64>) {
        let d = self.reduce_dim(op, dim);
        let picked = {
            let data = self.data();
            match data.as_slice() {
                // (Positions are kept as u32 there.)
                Some(x) if self.shape()[d] <= u32::MAX as usize => {
                    select_contiguous(x, self.shape(), d, max)
                }
                _ => data
                    .view()
                    .map_axis(Axis(d), |lane| select(lane.into_dyn(), max)),
            }
        };
        let values = shape_result(picked.mapv(|(_, v)| v), d, keepdim);
        let positions = shape_result(picked.mapv(|(i, _)| i as i64), d, keepdim);
        let indices = Box::new(picked.mapv(|(i, _)| i));
        let op = SelectDim {
            dim: d,
            keepdim,
            max,
            indices,
        };
        (Tensor::from_op(values, op, self), Tensor::leaf(positions))
    }

    /// The largest value along `dim`; the gradient goes to the first largest element.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(t.max_dim(1, false).to_vec(), vec![5.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "max_dim", dim, |x| x.max_dim(0, keepdim)) {
            return y;
        }
        self.select_dim("max_dim", dim, keepdim, true)
    }

    /// The smallest value along `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(t.min_dim(0, true).to_vec(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "min_dim", dim, |x| x.min_dim(0, keepdim)) {
            return y;
        }
        self.select_dim("min_dim", dim, keepdim, false)
    }

    /// The largest value along `dim` and its index (`torch.max(x, dim)`; the first index
    /// on ties, NaN counts as largest). The gradient goes to the picked element.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// let (values, indices) = t.max_dim_indices(1, false);
    /// assert_eq!(values.to_vec(), vec![5.0, 3.0]);
    /// assert_eq!(indices.to_vec(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn max_dim_indices(&self, dim: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        if let Some(y) = super::scalar_dim(self, "max_dim_indices", dim, |x| {
            x.max_dim_indices(0, keepdim)
        }) {
            return y;
        }
        self.select_dim_indices("max_dim_indices", dim, keepdim, true)
    }

    /// The smallest value along `dim` and its index (`torch.min(x, dim)`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// let (values, indices) = t.min_dim_indices(0, true);
    /// assert_eq!(values.to_vec(), vec![1.0, 2.0]);
    /// assert_eq!(indices.shape(), &[1, 2]);
    /// assert_eq!(indices.to_vec(), vec![0, 1]);
    /// ```
    #[track_caller]
    pub fn min_dim_indices(&self, dim: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        if let Some(y) = super::scalar_dim(self, "min_dim_indices", dim, |x| {
            x.min_dim_indices(0, keepdim)
        }) {
            return y;
        }
        self.select_dim_indices("min_dim_indices", dim, keepdim, false)
    }

    /// The index of the largest value along `dim` (the first on ties; NaN counts as
    /// largest), as `torch.argmax`; not differentiable.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(t.argmax(1, false).to_vec(), vec![1, 0]);
    /// assert_eq!(t.argmax(-1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, dim: isize, keepdim: bool) -> Tensor<i64> {
        if let Some(y) = super::scalar_dim(self, "argmax", dim, |x| x.argmax(0, keepdim)) {
            return y;
        }
        self.arg_select("argmax", dim, keepdim, true)
    }

    /// The index of the smallest value along `dim` (the first on ties), as `torch.argmin`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(t.argmin(0, false).to_vec(), vec![0, 1]);
    /// ```
    #[track_caller]
    pub fn argmin(&self, dim: isize, keepdim: bool) -> Tensor<i64> {
        if let Some(y) = super::scalar_dim(self, "argmin", dim, |x| x.argmin(0, keepdim)) {
            return y;
        }
        self.arg_select("argmin", dim, keepdim, false)
    }

    #[track_caller]
    fn arg_select(&self, op: &str, dim: isize, keepdim: bool, max: bool) -> Tensor<i64> {
        let d = self.reduce_dim(op, dim);
        let picked = self
            .data()
            .view()
            .map_axis(Axis(d), |lane| select(lane.into_dyn(), max).0 as i64);
        Tensor::leaf(shape_result(picked, d, keepdim))
    }

    /// The variance along `dim`, with Bessel's correction when `unbiased` (PyTorch's
    /// `correction=1`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]);
    /// assert!((t.var_dim(0, true, false).item() - 5.0 / 3.0).abs() < 1e-15);
    /// assert_eq!(t.var_dim(0, false, false).item(), 1.25);
    /// ```
    #[track_caller]
    pub fn var_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor<T> {
        if let Some(y) =
            super::scalar_dim(self, "var_dim", dim, |x| x.var_dim(0, unbiased, keepdim))
        {
            return y;
        }
        // Over an empty dim: NaN (0/0), as in PyTorch.
        let d = normalize_dim("var_dim", dim, self.shape());
        let n = self.shape()[d];
        // PyTorch's max(0, N − correction): no elements (or one, unbiased) give 0/0 = NaN.
        let dof = T::from_usize(n.saturating_sub(unbiased as usize)).unwrap();
        let var = {
            let guard = self.data();
            let data = guard.view();
            let count = T::from_usize(n).unwrap();
            if data.stride_of(Axis(d)) == 1 {
                // Contiguous lanes (the last dim, or everything): two cascade sums each.
                data.map_axis(Axis(d), |lane| {
                    let lane = lane.to_slice().expect("a unit-stride lane");
                    let mean = super::sum::sum(lane) / count;
                    super::sum::squared_deviations(lane, mean) / dof
                })
            } else {
                let mean = data.sum_axis(Axis(d)) / count;
                let centered = &data - &mean.insert_axis(Axis(d));
                centered.mapv(|v| v * v).sum_axis(Axis(d)) / dof
            }
        };
        let op = VarDim {
            dim: d,
            keepdim,
            unbiased,
        };
        Tensor::from_op(shape_result(var, d, keepdim), op, self)
    }

    /// `log(sum(exp(x)))` along `dim`, computed without overflow (the max is factored out).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]);
    /// let y = t.logsumexp(0, false).item();
    /// assert!((y - (1000.0 + 2f32.ln())).abs() < 1e-3);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "logsumexp", dim, |x| x.logsumexp(0, keepdim)) {
            return y;
        }
        // Over an empty dim: log 0 = −inf, as in PyTorch.
        let d = normalize_dim("logsumexp", dim, self.shape());
        let mut scratch = Vec::new();
        let out = self
            .data()
            .view()
            .map_axis(Axis(d), |lane| match lane.as_slice() {
                Some(x) => simd::logsumexp(x),
                None => {
                    scratch.clear();
                    scratch.extend(lane.iter().copied());
                    simd::logsumexp(&scratch)
                }
            });
        let op = LogSumExp { dim: d, keepdim };
        Tensor::from_op(shape_result(out, d, keepdim), op, self)
    }

    /// The sum over `dims` (every dim when `dims` is empty), keeping them as size 1 when
    /// `keepdim`.
    #[track_caller]
    pub(crate) fn sum_dims_at(&self, dims: &[usize], keepdim: bool) -> Tensor<T> {
        let values = {
            let d = self.data();
            drop_dims(
                reduce_kept(d.view(), dims, |lane| sum_all(&lane)),
                dims,
                keepdim,
            )
        };
        let op = SumDims {
            dims: dims.to_vec(),
            keepdim,
        };
        Tensor::from_op(values, op, self)
    }

    /// The sum over several dims (`torch.sum(x, dims)`); an empty list means every dim.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[2, 3, 4]);
    /// assert_eq!(t.sum_dims(&[0, -1], false).to_vec(), vec![8.0, 8.0, 8.0]);
    /// assert_eq!(t.sum_dims(&[1], true).shape(), &[2, 1, 4]);
    /// ```
    #[track_caller]
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let d = normalize_dims("sum_dims", dims, self.shape());
        self.sum_dims_at(&d, keepdim)
    }

    /// The mean over several dims; an empty list means every dim.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.mean_dims(&[0, 1], false).item(), 2.5);
    /// ```
    #[track_caller]
    pub fn mean_dims(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let d = normalize_dims("mean_dims", dims, self.shape());
        let n: usize = d.iter().map(|&i| self.shape()[i]).product();
        self.sum_dims_at(&d, keepdim) / count::<T>(n)
    }

    #[track_caller]
    fn extremum(
        &self,
        op: &str,
        dims: &[isize],
        keepdim: bool,
        max: bool,
        nan_ties: bool,
    ) -> Tensor<T> {
        let d = normalize_dims(op, dims, self.shape());
        if let Some(&empty) = d.iter().find(|&&i| self.shape()[i] == 0) {
            panic!(
                "tapegrad: {op}: cannot reduce an empty dim {empty} of shape {:?}",
                self.shape()
            );
        }
        let values = {
            let data = self.data();
            drop_dims(
                reduce_kept(data.view(), &d, |lane| extreme(lane, max)),
                &d,
                keepdim,
            )
        };
        let op = Extremum {
            dims: d,
            keepdim,
            max,
            nan_ties,
        };
        Tensor::from_op(values, op, self)
    }

    /// The largest value over `dims` (every dim when empty); tied elements share the
    /// gradient evenly, as `torch.amax`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 5.0, 2.0], &[2, 2]);
    /// assert_eq!(t.amax(&[1], false).to_vec(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        self.extremum("amax", dims, keepdim, true, false)
    }

    /// The smallest value over `dims` (every dim when empty), as `torch.amin`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 2.0], &[2, 2]);
    /// assert_eq!(t.amin(&[0], true).to_vec(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        self.extremum("amin", dims, keepdim, false, false)
    }

    /// The largest element, as a 0-d tensor; ties share the gradient evenly (PyTorch's
    /// `x.max()`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 3.0, 3.0], &[3]).requires_grad();
    /// x.max().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn max(&self) -> Tensor<T> {
        self.extremum("max", &[], false, true, true)
    }

    /// The smallest element, as a 0-d tensor; ties share the gradient evenly.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0f32, -1.0], &[2]).min().item(), -1.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Tensor<T> {
        self.extremum("min", &[], false, false, true)
    }

    /// The variance of all elements, with Bessel's correction (PyTorch's default).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert!((t.var().item() - 5.0 / 3.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn var(&self) -> Tensor<T> {
        self.flatten(0, -1).var_dim(0, true, false)
    }

    /// The standard deviation of all elements, with Bessel's correction.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 3.0], &[2]);
    /// assert!((t.std().item() - 2f64.sqrt()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn std(&self) -> Tensor<T> {
        self.var().std_of_var()
    }

    /// The standard deviation along `dim` (Bessel's correction when `unbiased`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 3.0, 2.0, 2.0], &[2, 2]);
    /// assert_eq!(t.std_dim(1, false, false).to_vec(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn std_dim(&self, dim: isize, unbiased: bool, keepdim: bool) -> Tensor<T> {
        self.var_dim(dim, unbiased, keepdim).std_of_var()
    }

    /// The vector `p`-norm over `dims` (every dim when `None`), as `torch.linalg.vector_norm`:
    /// `p = 2` (Euclidean), `1`, `f64::INFINITY` (largest |x|; ties share the gradient), or
    /// any other positive `p`.
    ///
    /// # Panics
    /// If `p` is not positive.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let v = Tensor::from_vec(vec![3.0f64, -4.0], &[2]);
    /// assert_eq!(v.norm(2.0, None, false).item(), 5.0);
    /// assert_eq!(v.norm(1.0, None, false).item(), 7.0);
    /// assert_eq!(v.norm(f64::INFINITY, Some(&[0]), false).item(), 4.0);
    /// ```
    #[track_caller]
    pub fn norm(&self, p: f64, dims: Option<&[isize]>, keepdim: bool) -> Tensor<T> {
        assert!(p > 0.0, "tapegrad: norm: p must be positive, got {p}");
        let dims = dims.unwrap_or(&[]);
        if p == f64::INFINITY {
            // amax of |x|, but a NaN lane's gradient goes to its NaNs (and becomes 0 there,
            // through `abs`), as PyTorch's `norm_backward` masks it.
            return self.abs().extremum("norm", dims, keepdim, true, true);
        }
        if p == 1.0 {
            return self.abs().sum_dims(dims, keepdim);
        }
        // Checked first, so a bad dim panics at the caller's line (not in the closure).
        let kept = normalize_dims("norm", dims, self.shape());
        let value = crate::no_grad(|| {
            if p == 2.0 {
                self.square().sum_dims(dims, keepdim).sqrt()
            } else {
                self.abs()
                    .powf(T::of_f64(p))
                    .sum_dims(dims, keepdim)
                    .powf(T::of_f64(1.0 / p))
            }
        });
        let op = Norm {
            p,
            dims: kept,
            keepdim,
        };
        Tensor::from_op(value.to_array(), op, self)
    }

    /// Running sums along `dim`, as `torch.cumsum`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.cumsum(1).to_vec(), vec![1.0, 3.0, 3.0, 7.0]);
    /// assert_eq!(t.cumsum(0).to_vec(), vec![1.0, 2.0, 4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "cumsum", dim, |x| x.cumsum(0)) {
            return y;
        }
        let d = normalize_dim("cumsum", dim, self.shape());
        let mut values = self.data().view().to_owned();
        values.accumulate_axis_inplace(Axis(d), |&prev, cur| *cur += prev);
        Tensor::from_op(values, Cumsum { dim: d }, self)
    }

    /// Running products along `dim` (`torch.cumprod`); the gradient is exact with zeros.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(t.cumprod(0).to_vec(), vec![1.0, 2.0, 6.0, 24.0]);
    /// ```
    #[track_caller]
    pub fn cumprod(&self, dim: isize) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "cumprod", dim, |x| x.cumprod(0)) {
            return y;
        }
        let d = normalize_dim("cumprod", dim, self.shape());
        let mut values = self.data().view().to_owned();
        values.accumulate_axis_inplace(Axis(d), |&prev, cur| *cur *= prev);
        Tensor::from_op(values, Cumprod { dim: d }, self)
    }

    /// `log(cumsum(exp(x)))` along `dim`, computed without overflow (`torch.logcumsumexp`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1000.0f64, 1000.0], &[2]);
    /// let y = t.logcumsumexp(0).to_vec();
    /// assert_eq!(y[0], 1000.0);
    /// assert!((y[1] - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn logcumsumexp(&self, dim: isize) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "logcumsumexp", dim, |x| x.logcumsumexp(0)) {
            return y;
        }
        let d = normalize_dim("logcumsumexp", dim, self.shape());
        let mut values = self.data().view().to_owned();
        values.accumulate_axis_inplace(Axis(d), |&prev, cur| *cur = log_add_exp(prev, *cur));
        Tensor::from_op(values, LogCumSumExp { dim: d }, self)
    }

    /// The product along `dim` (`torch.prod(x, dim, keepdim)`); the gradient of each
    /// element is the product of the others (exact with zeros).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.prod_dim(1, false).to_vec(), vec![2.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        if let Some(y) = super::scalar_dim(self, "prod_dim", dim, |x| x.prod_dim(0, keepdim)) {
            return y;
        }
        let d = normalize_dim("prod_dim", dim, self.shape());
        let values = self
            .data()
            .view()
            .map_axis(Axis(d), |lane| lane.iter().fold(T::one(), |a, &b| a * b));
        let values = shape_result(values, d, keepdim);
        Tensor::from_op(values, ProdDim { dim: d, keepdim }, self)
    }

    /// The product of all elements, as a 0-d tensor (`torch.prod`; 1 when empty).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.prod().item(), 24.0);
    /// ```
    #[track_caller]
    pub fn prod(&self) -> Tensor<T> {
        self.reshape(&[-1]).prod_dim(0, false)
    }
}

/// `log(eᵃ + eᵇ)` without overflow (−∞ on both sides stays −∞).
fn log_add_exp<T: Float>(a: T, b: T) -> T {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == T::neg_infinity() || hi.is_nan() || lo.is_nan() {
        return if lo.is_nan() { lo } else { hi };
    }
    if hi == T::infinity() {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}
