//! Matrix products with PyTorch's `matmul` semantics: 1-D operands are promoted to matrices,
//! batch dims broadcast.
//!
//! The recorded op is `op(a) · op(b)`, where `op` optionally transposes the last two dims.
//! Backward uses the same op with other flags, so transposed operands reach the GEMM as
//! strides and are never copied.

use ndarray::linalg::general_mat_mul;
use ndarray::{
    Array3, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, CowArray, Ix2, Ix3, IxDyn, s,
};

use super::{broadcast_shape, simd};
use crate::autograd::{Context, Function, Grads};
use crate::tensor::{Values, pool};
use crate::{Float, Tensor, parallel};

/// `op(a)·op(b)`, where `op` optionally transposes the last two dims.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatMul {
    /// Transpose the last two dims of the first operand.
    ta: bool,
    /// Transpose the last two dims of the second operand.
    tb: bool,
}

impl<T: Float> Function<T> for MatMul {
    fn name(&self) -> &'static str {
        "matmul"
    }

    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let MatMul { ta, tb } = *self;
        // C = op(A)·op(B)  ⇒  dop(A) = G·op(B)ᵀ and dop(B) = op(A)ᵀ·G, transposed back when
        // A or B entered transposed.
        // Each gradient is summed over the batches its operand was broadcast to, inside the
        // product (`mm_to`): a weight shared by every image of a batch gets one accumulated
        // gradient, not one per image and a sum afterwards.
        let ga = ctx.needs_input_grad(0).then(|| {
            let (b, target) = (ctx.input(1), ctx.input_shape(0));
            if ta {
                mm_to(b, g, tb, true, target)
            } else {
                mm_to(g, b, false, !tb, target)
            }
        });
        let gb = ctx.needs_input_grad(1).then(|| {
            let (a, target) = (ctx.input(0), ctx.input_shape(1));
            if target.len() == 2 && a.ndim() > 2 && !ta {
                // One matrix shared by every batch: its gradient is one product over the
                // stacked rows.
                let a2 = a.reshape(&[-1, a.shape()[a.ndim() - 1] as isize]);
                let g2 = g.reshape(&[-1, g.shape()[g.ndim() - 1] as isize]);
                return if tb {
                    mm(&g2, &a2, true, false)
                } else {
                    mm(&a2, &g2, true, false)
                };
            }
            if tb {
                mm_to(g, a, true, ta, target)
            } else {
                mm_to(a, g, !ta, false, target)
            }
        });
        Grads::two(ga, gb)
    }
}

/// The rows and columns of the last two dims of `shape`, swapped when `transposed`.
fn matrix_dims(shape: &[usize], transposed: bool) -> (usize, usize) {
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if transposed { (c, r) } else { (r, c) }
}

/// `op(a)·op(b)` for operands with at least 2 dims, recorded as one op.
#[track_caller]
pub(crate) fn mm<T: Float>(a: &Tensor<T>, b: &Tensor<T>, ta: bool, tb: bool) -> Tensor<T> {
    let data = {
        let (x, y) = (a.data(), b.data());
        match (x.as_slice(), y.as_slice()) {
            (Some(xs), Some(ys)) if a.ndim() == 2 && b.ndim() == 2 => {
                matmul_slices(xs, a.shape(), ys, b.shape(), ta, tb)
            }
            _ => matmul_arrays(&x.view(), &y.view(), ta, tb, None).into(),
        }
    };
    Tensor::from_op(data, MatMul { ta, tb }, (a, b))
}

/// `op(a)·op(b)` of two row-major matrices, straight from their elements (no dynamic-rank
/// views or arrays: a small layer's product costs a few hundred instructions less).
fn matmul_slices<T: Float>(
    a: &[T],
    sa: &[usize],
    b: &[T],
    sb: &[usize],
    ta: bool,
    tb: bool,
) -> Values<T> {
    let matrix = |x, s: &[usize], t: bool| {
        let v = ArrayView2::from_shape((s[0], s[1]), x).expect("row-major matrix");
        if t { v.reversed_axes() } else { v }
    };
    let (x, y) = (matrix(a, sa, ta), matrix(b, sb, tb));
    let (m, n) = (x.nrows(), y.ncols());
    Values::new(product(x, y), IxDyn(&[m, n]))
}

/// `x·y` as the row-major elements of a new matrix.
fn product<T: Float>(x: ArrayView2<'_, T>, y: ArrayView2<'_, T>) -> Vec<T> {
    let (m, n) = (x.nrows(), y.ncols());
    // Every product path writes all of c (β = 0): no zero fill first.
    let mut out = pool::take_to_overwrite(m * n);
    let c = ArrayViewMut2::from_shape((m, n), &mut out).expect("m·n elements");
    gemm(x, y, c, false);
    out
}

/// `op(a)·op(b)` summed over broadcast batch dims down to `target` (a shape the product's
/// shape broadcasts from, as `sum_to` takes): the batches that land on one matrix of the
/// result are accumulated in the product itself. Recorded as the same op as [`mm`]: its
/// gradient formulas hold as they are, with the incoming gradient broadcast back over the
/// summed batches.
#[track_caller]
fn mm_to<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    ta: bool,
    tb: bool,
    target: &[usize],
) -> Tensor<T> {
    let (sa, sb) = (a.shape(), b.shape());
    let full = broadcast_shape("matmul", &sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let batch = &target[..target.len() - 2];
    if full == batch {
        return mm(a, b, ta, tb);
    }
    let data = {
        let (x, y) = (a.data(), b.data());
        matmul_arrays(&x.view(), &y.view(), ta, tb, Some(batch))
    };
    debug_assert_eq!(data.shape(), target);
    Tensor::from_op(data, MatMul { ta, tb }, (a, b))
}

/// Maps a flat index over the broadcast batch dims to the flat batch index of one operand.
fn batch_index(i: usize, out_batch: &[usize], own_batch: &[usize]) -> usize {
    let lead = out_batch.len() - own_batch.len();
    let (mut rest, mut index, mut stride) = (i, 0, 1);
    for d in (0..out_batch.len()).rev() {
        let pos = rest % out_batch[d];
        rest /= out_batch[d];
        if d >= lead {
            let size = own_batch[d - lead];
            if size != 1 {
                index += pos * stride;
            }
            stride *= size;
        }
    }
    index
}

/// The array as a stack of matrices `[batch, rows, cols]`: a view when the batch dims can
/// be merged without moving elements (ndarray's `to_shape`), else a copy.
fn as3<'a, T: Float>(x: &'a ArrayViewD<'_, T>) -> CowArray<'a, T, Ix3> {
    let s = x.shape();
    let nd = s.len();
    let lead: usize = s[..nd - 2].iter().product();
    let shape = (lead, s[nd - 2], s[nd - 1]);
    // The batch dims merge into one when each (of size > 1) steps over the next whole.
    let strides = x.strides();
    let batch: Vec<usize> = (0..nd - 2).filter(|&i| s[i] > 1).collect();
    let mergeable = batch
        .windows(2)
        .all(|w| strides[w[0]] == strides[w[1]] * s[w[1]] as isize);
    if mergeable {
        return x.to_shape(shape).expect("same element count");
    }
    // Otherwise copy row-major a lane at a time (ndarray's copy walks a dynamic index per
    // element), keeping the last two dims' own strides out of it.
    let copy = super::to_standard(x).into_array();
    CowArray::from(
        copy.into_shape_with_order(shape)
            .expect("same element count"),
    )
}

/// Products up to this many multiply–adds skip the blocked GEMM (a 16×16×16 product).
const SMALL_GEMM_MACS: usize = 4096;
/// One-thread products with an inner dim up to this (one panel of the blocked GEMM) and a
/// right operand of at most `MID_GEMM_Y` elements (64 KiB of f32, in cache while every row
/// of the left one streams past) skip packing too: `simd::mid_gemm`.
const MID_GEMM_K: usize = 256;
const MID_GEMM_Y: usize = 16384;
/// A strided operand of `simd::mid_gemm` is copied row-major only when the other side has at
/// least this many rows (or columns) to reuse the copy; else the blocked GEMM packs it.
const MID_GEMM_REUSE: usize = 64;

/// Whether an `m×k · k×n` product runs one of the kernels without packing (small, or mid-size
/// on one thread with `y` in cache), which read row-major operands.
fn unpacked(m: usize, k: usize, n: usize) -> bool {
    m * k * n <= SMALL_GEMM_MACS
        || (parallel::threads_for(m * k * n) <= 1 && k <= MID_GEMM_K && k * n <= MID_GEMM_Y)
}

/// The elements of a matrix in row-major order: borrowed when they already are, else copied
/// (a transposed operand). A tiny matrix is copied by plain indexing, which costs less than
/// setting up the general strided copy; a larger one by that copy, which is faster per
/// element.
fn row_major2<'a, T: Float>(x: ArrayView2<'a, T>) -> std::borrow::Cow<'a, [T]> {
    match x.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None if x.len() <= 64 => {
            let (rows, cols) = x.dim();
            let mut v = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                v.extend((0..cols).map(|j| x[[i, j]]));
            }
            std::borrow::Cow::Owned(v)
        }
        None => super::row_major(x.into_dyn()),
    }
}

/// `c = x·y` (`c += x·y` when `acc`), split by rows (or columns) across threads when the
/// product is large.
pub(crate) fn gemm<T: Float>(
    x: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    acc: bool,
) {
    let (m, k, n) = (x.nrows(), x.ncols(), y.ncols());
    let threads = parallel::threads_for(m * k * n);
    let small = m * k * n <= SMALL_GEMM_MACS;
    // Without packing, a strided operand is copied row-major element by element: worth it
    // only when the copy is reused across many rows (or columns) of the product.
    let reused = |contiguous: bool, extent: usize| contiguous || extent >= MID_GEMM_REUSE;
    let mid =
        unpacked(m, k, n) && reused(x.as_slice().is_some(), n) && reused(y.as_slice().is_some(), m);
    if small || mid {
        // Packing panels for the blocked kernel costs more than these products gain from it.
        // Row-major copies of strided operands (a head of a permuted attention tensor), then
        // register tiles over rows of c.
        let (xs, ys) = (row_major2(x), row_major2(y));
        let product = |cs: &mut [T]| {
            if small {
                simd::small_gemm(&xs, &ys, cs, k, n, acc)
            } else {
                simd::mid_gemm(&xs, &ys, cs, k, n, acc)
            }
        };
        match c.as_slice_mut() {
            Some(cs) => product(cs),
            None => {
                let mut cs = vec![T::zero(); m * n];
                product(&mut cs);
                c.iter_mut()
                    .zip(cs)
                    .for_each(|(c, v)| *c = if acc { *c + v } else { v });
            }
        }
        return;
    }
    blocked(x, y, c, acc, threads);
}

/// `c (+)= x·y` by matrixmultiply's kernel, split by rows (or columns) across `threads`.
/// Split the longer side of C, so the operand each thread packs whole is the smaller one.
/// Chunks are multiples of 16 to keep the kernel's tiles whole.
fn split<T: Float>(
    x: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    acc: bool,
    threads: usize,
) {
    let (m, n) = (x.nrows(), y.ncols());
    let by_rows = m > n;
    let extent = if by_rows { m } else { n };
    let chunk = extent.div_ceil(threads).div_ceil(16) * 16;
    let axis = Axis(if by_rows { 0 } else { 1 });
    let parts: Vec<_> = c.axis_chunks_iter_mut(axis, chunk).collect();
    parallel::run_each(parts, threads, |i, part| {
        let range = i * chunk..i * chunk + part.len_of(axis);
        let (xs, ys) = if by_rows {
            (x.slice(s![range, ..]), y.view())
        } else {
            (x.view(), y.slice(s![.., range]))
        };
        general(xs, ys, part, acc);
    });
}

/// Outputs of at least this many elements, at least [`SGEMM_MIN_SIDE`] on each side, go to
/// tapegrad's f32 kernel. Below it packing and edge tiles weigh more: on the weight
/// gradients of small layers (32×512×32, 64×512×64) matrixmultiply's 8×8 tiles ran at
/// 1.09–1.33× the speed, and the W6 step, whose 32×64×512 product went to the new kernel,
/// ran 5–7% slower in three of four interleaved pairs. From 64×256×256 up, tapegrad's ran
/// at 1.02–1.13× matrixmultiply's (Zen 3, one thread).
const SGEMM_MIN_OUTPUT: usize = 128 * 128;
/// See [`SGEMM_MIN_OUTPUT`].
const SGEMM_MIN_SIDE: usize = 64;

/// `c (+)= x·y` by a blocked kernel on up to `threads` threads: tapegrad's own for f32 on
/// CPUs with AVX2 and FMA or AVX-512 (`sgemm.rs`) when the output is large enough,
/// matrixmultiply's otherwise. (A product too small for tapegrad's kernel has parts too
/// small for it as well, so `split` hands its parts to matrixmultiply directly.)
fn blocked<T: Float>(
    x: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    acc: bool,
    threads: usize,
) {
    let (m, n) = (x.nrows(), y.ncols());
    if m >= SGEMM_MIN_SIDE
        && n >= SGEMM_MIN_SIDE
        && m * n >= SGEMM_MIN_OUTPUT
        && super::sgemm::available()
        && let (Some(xf), Some(yf)) = (T::as_f32_view(x.view()), T::as_f32_view(y.view()))
    {
        c = match T::as_f32_view_mut(c) {
            Ok(cf) => return super::sgemm::sgemm(xf, yf, cf, acc, threads),
            Err(c) => c,
        };
    }
    if threads > 1 {
        split(x, y, c, acc, threads);
    } else {
        general(x, y, c, acc);
    }
}

/// matrixmultiply's blocked product (through ndarray).
fn general<T: Float>(
    x: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    acc: bool,
) {
    let beta = if acc { T::one() } else { T::zero() };
    general_mat_mul(T::one(), &x, &y, beta, &mut c);
}

/// All batches of `op(x)` as one row-major slice: the copy made for the unpacked kernels, or
/// `x` itself when it is laid out that way.
fn row_major_batches<'s, T: Float>(
    copy: &'s Option<Array3<T>>,
    x3: &'s CowArray<'_, T, Ix3>,
    transposed: bool,
) -> Option<&'s [T]> {
    match copy {
        Some(c) => c.as_slice(),
        None if !transposed => x3.as_slice(),
        None => None,
    }
}

/// `op(a)·op(b)` with broadcast batch dims; with `reduce_to`, the batches are summed down
/// to that batch shape (which the broadcast batch shape broadcasts from).
fn matmul_arrays<T: Float>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    ta: bool,
    tb: bool,
    reduce_to: Option<&[usize]>,
) -> ArrayD<T> {
    let (m, k) = matrix_dims(a.shape(), ta);
    let (_, n) = matrix_dims(b.shape(), tb);
    if a.ndim() == 2 && b.ndim() == 2 {
        // The common case, without the batch machinery.
        let x = a.view().into_dimensionality::<Ix2>().expect("2-d");
        let y = b.view().into_dimensionality::<Ix2>().expect("2-d");
        let x = if ta { x.reversed_axes() } else { x };
        let y = if tb { y.reversed_axes() } else { y };
        return ArrayD::from_shape_vec(IxDyn(&[m, n]), product(x, y)).expect("m·n elements");
    }
    if b.ndim() == 2 && !ta && reduce_to.is_none() {
        // One matrix for every batch (a linear layer on [N, L, E]): one product over the
        // stacked rows of `a`, which packs or reads `b` once instead of once per batch.
        let rows: usize = a.shape()[..a.ndim() - 1].iter().product();
        let xs = super::row_major(a.view());
        let x = ArrayView2::from_shape((rows, k), &xs).expect("same element count");
        let y = b.view().into_dimensionality::<Ix2>().expect("2-d");
        let y = if tb { y.reversed_axes() } else { y };
        let mut shape = a.shape()[..a.ndim() - 1].to_vec();
        shape.push(n);
        return ArrayD::from_shape_vec(IxDyn(&shape), product(x, y)).expect("same element count");
    }
    let (batch_a, batch_b) = (&a.shape()[..a.ndim() - 2], &b.shape()[..b.ndim() - 2]);
    let batch = broadcast_shape("matmul", batch_a, batch_b);
    let target = reduce_to.unwrap_or(&batch).to_vec();
    if reduce_to.is_some() && !ta && tb && m < MID_GEMM_REUSE && n >= MID_GEMM_REUSE {
        // A sum of a·bᵀ (the weight gradient of a convolution: few output channels, many
        // taps, both operands row-major in the summed dim): computed as the transposed sum
        // b·aᵀ, whose small strided operand is cheap to copy for the unpacked kernel, while
        // the blocked GEMM would pack both operands of every product.
        let mut t = matmul_arrays(b, a, false, true, reduce_to);
        let nd = t.ndim();
        t.swap_axes(nd - 2, nd - 1);
        return super::to_standard(&t.view()).into_array();
    }
    let count: usize = batch.iter().product();
    let (a3, b3) = (as3(a), as3(b));
    // Products small enough for the unpacked kernels read row-major operands: a strided
    // operand (a transposed key, a head of a permuted tensor) is made row-major for all its
    // batches in one pass, not copied again inside each product.
    let unpacked = unpacked(m, k, n);
    let rows = |x3: &CowArray<'_, T, Ix3>, t: bool| {
        let strided = x3.len_of(Axis(0)) > 0 && {
            let one = x3.index_axis(Axis(0), 0);
            !(if t { one.reversed_axes() } else { one }).is_standard_layout()
        };
        (unpacked && count > 0 && strided).then(|| {
            let v = if t {
                x3.view().permuted_axes([0, 2, 1])
            } else {
                x3.view()
            };
            super::to_standard(&v.into_dyn())
                .into_array()
                .into_dimensionality::<Ix3>()
                .expect("3-d")
        })
    };
    let (ra, rb) = (rows(&a3, ta), rows(&b3, tb));
    let out_count: usize = target.iter().product();
    let mut out = super::to_overwrite(&[out_count, m, n])
        .into_dimensionality::<Ix3>()
        .expect("3-d");
    let mut written = vec![false; out_count];
    // Tiny products (the heads of attention, hundreds of 8×8 by 8×8) run straight on slices:
    // building views and choosing a kernel for each would cost as much as the product.
    let tiny = m * k * n <= SMALL_GEMM_MACS;
    let slices = (
        row_major_batches(&ra, &a3, ta),
        row_major_batches(&rb, &b3, tb),
    );
    match slices {
        (Some(xs), Some(ys)) if tiny => {
            let cs = out.as_slice_mut().expect("a fresh array");
            for i in 0..count {
                let (ia, ib) = (
                    batch_index(i, &batch, batch_a),
                    batch_index(i, &batch, batch_b),
                );
                let at = batch_index(i, &batch, &target);
                let (x, y) = (&xs[ia * m * k..][..m * k], &ys[ib * k * n..][..k * n]);
                simd::small_gemm(x, y, &mut cs[at * m * n..][..m * n], k, n, written[at]);
                written[at] = true;
            }
        }
        _ => {
            for i in 0..count {
                let (ia, ib) = (
                    batch_index(i, &batch, batch_a),
                    batch_index(i, &batch, batch_b),
                );
                let x = match &ra {
                    Some(r) => r.index_axis(Axis(0), ia),
                    None if ta => a3.index_axis(Axis(0), ia).reversed_axes(),
                    None => a3.index_axis(Axis(0), ia),
                };
                let y = match &rb {
                    Some(r) => r.index_axis(Axis(0), ib),
                    None if tb => b3.index_axis(Axis(0), ib).reversed_axes(),
                    None => b3.index_axis(Axis(0), ib),
                };
                let at = batch_index(i, &batch, &target);
                gemm(x, y, out.index_axis_mut(Axis(0), at), written[at]);
                written[at] = true;
            }
        }
    }
    // Matrices no batch reached (a batch dim of size 0 summed away) are sums of nothing.
    for (at, done) in written.iter().enumerate() {
        if !done {
            out.index_axis_mut(Axis(0), at).fill(T::zero());
        }
    }
    let mut shape = target;
    shape.extend([m, n]);
    out.into_shape_with_order(IxDyn(&shape))
        .expect("standard layout")
}

impl<T: Float> Tensor<T> {
    /// Matrix product with PyTorch's `matmul` rules: 1-D·1-D is a dot product, a 1-D operand
    /// is treated as a row (left) or column (right) vector, and leading batch dims broadcast.
    ///
    /// # Panics
    /// If the inner dims differ or the batch dims cannot broadcast, naming both shapes.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
    /// assert_eq!(a.matmul(&b).to_vec(), vec![3.0, 7.0]);
    /// let batch = Tensor::<f32>::ones(&[5, 2, 3]);
    /// assert_eq!(a.matmul(&batch).shape(), &[5, 2, 3]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.is_empty() || sb.is_empty() {
            panic!(
                "tapegrad: matmul: both arguments need at least 1 dim, got shapes {sa:?} and {sb:?}"
            );
        }
        let ka = sa[sa.len() - 1];
        let kb = if sb.len() == 1 {
            sb[0]
        } else {
            sb[sb.len() - 2]
        };
        if ka != kb {
            panic!("tapegrad: matmul: shapes {sa:?} and {sb:?} do not match ({ka} != {kb})");
        }
        if sa.len() > 2 || sb.len() > 2 {
            let (ba, bb) = (
                &sa[..sa.len().saturating_sub(2)],
                &sb[..sb.len().saturating_sub(2)],
            );
            broadcast_shape("matmul", ba, bb);
        }
        match (sa.len(), sb.len()) {
            (1, 1) => mm(&self.unsqueeze(0), &other.unsqueeze(1), false, false).reshape_to(&[]),
            (1, _) => mm(&self.unsqueeze(0), other, false, false).squeeze(-2),
            (_, 1) => mm(self, &other.unsqueeze(1), false, false).squeeze(-1),
            _ => mm(self, other, false, false),
        }
    }

    /// `self · otherᵀ` for matrices (or batches), without copying the transpose; this is what
    /// a linear layer computes (`x · Wᵀ`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
    /// let w = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    /// assert_eq!(x.matmul_t(&w).to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn matmul_t(&self, other: &Tensor<T>) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() < 2 || sb.len() < 2 || sa[sa.len() - 1] != sb[sb.len() - 1] {
            panic!(
                "tapegrad: matmul_t: shapes {sa:?} and {sb:?} do not match (a · bᵀ needs equal last dims)"
            );
        }
        broadcast_shape("matmul_t", &sa[..sa.len() - 2], &sb[..sb.len() - 2]);
        mm(self, other, false, true)
    }

    /// The outer product of two vectors: `[n] × [m] → [n, m]`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0f32, 4.0, 5.0], &[3]);
    /// assert_eq!(a.outer(&b).to_vec(), vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn outer(&self, other: &Tensor<T>) -> Tensor<T> {
        if self.ndim() != 1 || other.ndim() != 1 {
            panic!(
                "tapegrad: outer: expects two vectors, got shapes {:?} and {:?}",
                self.shape(),
                other.shape()
            );
        }
        self.unsqueeze(1) * other.unsqueeze(0)
    }

    /// The dot product of two vectors of the same length, as a 0-d tensor.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(a.dot(&a).item(), 5.0);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Tensor<T>) -> Tensor<T> {
        if self.ndim() != 1 || other.ndim() != 1 || self.shape() != other.shape() {
            panic!(
                "tapegrad: dot: expects two vectors of the same length, got shapes {:?} and {:?}",
                self.shape(),
                other.shape()
            );
        }
        self.matmul(other)
    }

    /// Batched matrix product of `[b, n, k]` and `[b, k, m]` (no broadcasting), as
    /// `torch.bmm`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::ones(&[4, 2, 3]);
    /// assert_eq!(a.bmm(&Tensor::ones(&[4, 3, 5])).shape(), &[4, 2, 5]);
    /// ```
    #[track_caller]
    pub fn bmm(&self, other: &Tensor<T>) -> Tensor<T> {
        let (a, b) = (self.shape(), other.shape());
        if a.len() != 3 || b.len() != 3 || a[0] != b[0] || a[2] != b[1] {
            panic!("tapegrad: bmm: shapes {a:?} and {b:?} are not [b, n, k] and [b, k, m]");
        }
        mm(self, other, false, false)
    }

    /// `beta·self + alpha·(a · b)` for matrices `a`, `b` (`self` broadcasts to the product),
    /// as `torch.addmm`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let bias = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// let a = Tensor::<f32>::eye(2);
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(bias.addmm(&a, &b, 1.0, 2.0).to_vec(), vec![3.0, 6.0, 7.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn addmm(&self, a: &Tensor<T>, b: &Tensor<T>, beta: T, alpha: T) -> Tensor<T> {
        if a.ndim() != 2 || b.ndim() != 2 {
            panic!(
                "tapegrad: addmm: expects matrices, got shapes {:?} and {:?}",
                a.shape(),
                b.shape()
            );
        }
        (self * beta) + a.matmul(b) * alpha
    }
}
