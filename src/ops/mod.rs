//! Every differentiable op, one file per family; each op is one type implementing
//! [`Function`](crate::autograd::Function), its forward (the public method) and backward side
//! by side.
//!
//! An op's forward computes an ndarray result from its inputs' (possibly strided) views and
//! calls `Tensor::from_op` with the op value; views call `Tensor::view_op` with a new layout
//! instead. Backward formulas use tensor ops, so with `create_graph` the backward itself is
//! recorded and can be differentiated again.

mod arith;
pub(crate) mod cast;
pub(crate) mod compare;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod fold;
pub(crate) mod index;
pub(crate) mod indexing;
pub(crate) mod inplace;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod rearrange;
pub(crate) mod reduce;
pub(crate) mod select;
pub(crate) mod sgemm;
pub(crate) mod shape;
pub(crate) mod simd;
pub(crate) mod softmax;
pub(crate) mod sort;
pub(crate) mod sum;
pub(crate) mod unary;

use std::borrow::Cow;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::tensor::{Values, pool};
use crate::{Element, Float, Tensor};

/// A dim given as `isize` (negative counts from the end) as an index below `ndim`.
#[track_caller]
pub(crate) fn normalize_dim(op: &str, dim: isize, shape: &[usize]) -> usize {
    normalize_dim_for(op, dim, shape.len(), shape)
}

/// A result of a dim-taking op that [`scalar_dim`] can bring back to 0-d.
pub(crate) trait ToScalar {
    fn to_scalar(self) -> Self;
}

impl<E: Element> ToScalar for Tensor<E> {
    fn to_scalar(self) -> Self {
        self.reshape(&[])
    }
}

impl<A: Element, B: Element> ToScalar for (Tensor<A>, Tensor<B>) {
    fn to_scalar(self) -> Self {
        (self.0.reshape(&[]), self.1.reshape(&[]))
    }
}

/// PyTorch lets a dim-taking op (`sum(-1)`, `cumsum(0)`, `sort`, `softmax`, ...) see a 0-d
/// tensor as one element along dim 0 or −1: the op runs on it as shape `[1]` (dim 0) and its
/// results go back to 0-d, keepdim or not. `None` when `x` is not 0-d.
///
/// # Panics
/// If `x` is 0-d and `dim` is neither 0 nor −1.
#[track_caller]
pub(crate) fn scalar_dim<E: Element, R: ToScalar>(
    x: &Tensor<E>,
    op: &str,
    dim: isize,
    f: impl FnOnce(&Tensor<E>) -> R,
) -> Option<R> {
    if x.ndim() != 0 {
        return None;
    }
    if dim != 0 && dim != -1 {
        panic!("tapegrad: {op}: dim {dim} is out of range for shape []");
    }
    Some(f(&x.reshape(&[1])).to_scalar())
}

/// Like [`normalize_dim`] for a dim that may also be `ndim` itself (`unsqueeze`, `stack`).
#[track_caller]
pub(crate) fn normalize_dim_for(op: &str, dim: isize, ndim: usize, shape: &[usize]) -> usize {
    let n = ndim as isize;
    let d = if dim < 0 { dim + n } else { dim };
    if d < 0 || d >= n {
        panic!("tapegrad: {op}: dim {dim} is out of range for shape {shape:?}");
    }
    d as usize
}

/// The shape two shapes broadcast to, numpy's rule: align from the right, sizes must be
/// equal or 1.
#[track_caller]
pub(crate) fn broadcast_shape(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            _ if da == db => da,
            (1, d) | (d, 1) => d,
            _ => panic!(
                "tapegrad: {op}: shapes {a:?} and {b:?} cannot be broadcast together \
                 ({da} != {db} at dim {i})"
            ),
        };
    }
    out
}

/// A constant (no gradient) tensor of the same shape as `x`, from `f` of each element.
pub(crate) fn map_const<T: Float>(x: &Tensor<T>, f: impl Fn(T) -> T) -> Tensor<T> {
    let data = {
        let d = x.data();
        map(&d.view(), f)
    };
    Tensor::leaf(data)
}

/// `f` of each element, in row-major order, into a buffer from the pool when it is large.
pub(crate) fn map<T: Element>(a: &ArrayViewD<'_, T>, f: impl Fn(T) -> T) -> Values<T> {
    map_to(a, f)
}

/// `f` of each element, into another element type (comparisons, casts), row-major. The loop
/// runs over contiguous elements (a strided view is copied first), compiled for AVX2 + FMA
/// where the CPU has them.
pub(crate) fn map_to<T: Element, U: Element>(
    a: &ArrayViewD<'_, T>,
    f: impl Fn(T) -> U,
) -> Values<U> {
    map_slice(&row_major(a.view()), a.raw_dim(), f)
}

/// `f` of each of the row-major elements `x` of a tensor of `shape`.
#[inline]
pub(crate) fn map_slice<T: Element, U: Element>(
    x: &[T],
    shape: IxDyn,
    f: impl Fn(T) -> U,
) -> Values<U> {
    let out = if x.len() > crate::tensor::buffer::INLINE {
        let mut out = pool::take(x.len());
        simd::extend_mapped(x, &mut out, f);
        Buffer::Heap(out)
    } else {
        // At most four elements: a plain loop (no vector code, nothing to dispatch).
        let mut small = [U::ZERO; crate::tensor::buffer::INLINE];
        for (o, &v) in small.iter_mut().zip(x) {
            *o = f(v);
        }
        Buffer::Inline(x.len(), small)
    };
    Values::new(out, shape)
}

/// `f` applied elementwise to `a` and `b` broadcast together, into any element type.
#[track_caller]
pub(crate) fn zip_to<T: Element, U: Element>(
    op: &str,
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> U,
) -> Values<U> {
    if a.shape() == b.shape()
        && let (Some(x), Some(y)) = (a.as_slice(), b.as_slice())
    {
        let v = Buffer::collect(x.len(), x.iter().zip(y).map(|(&x, &y)| f(x, y)));
        return Values::new(v, a.raw_dim());
    }
    // A scalar on either side (`x.gt(0.5)`): one pass over the other.
    if b.len() == 1 && b.ndim() <= a.ndim() {
        let y = *b.iter().next().expect("one element");
        return map_to(a, |x| f(x, y));
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        let x = *a.iter().next().expect("one element");
        return map_to(b, |y| f(x, y));
    }
    let shape = IxDyn(&broadcast_shape(op, a.shape(), b.shape()));
    let av = a.broadcast(shape.clone()).expect("broadcastable");
    let bv = b.broadcast(shape).expect("broadcastable");
    ndarray::Zip::from(&av)
        .and(&bv)
        .map_collect(|&x, &y| f(x, y))
        .into()
}

/// `f` of every lane along `dim` (a reduction), with `dim` kept as size 1 when `keepdim`.
pub(crate) fn reduce_lanes<T: Element, U: Element>(
    a: &ArrayViewD<'_, T>,
    dim: usize,
    keepdim: bool,
    f: impl Fn(ndarray::ArrayView1<'_, T>) -> U,
) -> ArrayD<U> {
    let out = a.map_axis(ndarray::Axis(dim), f);
    if keepdim {
        out.insert_axis(ndarray::Axis(dim))
    } else {
        out
    }
}

/// The elements of a strided view in row-major order, a lane (last dim) at a time: ndarray's
/// element iterator over a dynamic-rank view pays an index update per element, a lane's
/// iterator only a stride.
pub(crate) fn elements<'a, T>(a: &'a ArrayViewD<'_, T>) -> Box<dyn Iterator<Item = &'a T> + 'a> {
    if a.ndim() == 0 {
        return Box::new(a.iter());
    }
    let last = ndarray::Axis(a.ndim() - 1);
    Box::new(a.lanes(last).into_iter().flat_map(|lane| lane.into_iter()))
}

/// The elements of `a` in row-major order: borrowed when they already are, else copied
/// (by [`extend_row_major`]).
pub(crate) fn row_major<'a, T: Element>(a: ArrayViewD<'a, T>) -> Cow<'a, [T]> {
    if let Some(x) = a.to_slice() {
        return Cow::Borrowed(x);
    }
    let mut out = Vec::with_capacity(a.len());
    extend_row_major(&a, &mut out);
    Cow::Owned(out)
}

/// A row-major copy of `a`.
pub(crate) fn to_standard<T: Element>(a: &ArrayViewD<'_, T>) -> Values<T> {
    let data = match a.as_slice() {
        Some(x) => Buffer::collect(x.len(), x.iter().copied()),
        None if a.len() <= crate::tensor::buffer::INLINE => {
            Buffer::collect(a.len(), elements(a).copied())
        }
        None => {
            let mut out = pool::take(a.len());
            extend_row_major(a, &mut out);
            Buffer::Heap(out)
        }
    };
    Values::new(data, a.raw_dim())
}

/// Appends the elements of a strided view to `out` in row-major order. Dims that lie back to
/// back in memory are merged first (a transposed pair of heads is two runs, not thousands of
/// lanes), and the innermost run is copied as a slice when its elements are adjacent. An
/// odometer over the outer dims replaces ndarray's per-lane iterators, whose setup cost
/// dominated copies of permuted attention heads (a lane of 8 elements each).
pub(crate) fn extend_row_major<T: Copy>(a: &ArrayViewD<'_, T>, out: &mut Vec<T>) {
    if a.is_empty() {
        return;
    }
    // (size, stride) of each dim longer than 1, outermost first, merged where possible; on
    // the stack (this runs for every small strided operand, e.g. each head of attention).
    const MAX_DIMS: usize = 8;
    if a.ndim() > MAX_DIMS {
        out.extend(a.iter().copied());
        return;
    }
    let mut dims = [(0usize, 0isize); MAX_DIMS];
    let mut len = 0;
    for (&n, &s) in a.shape().iter().zip(a.strides()) {
        if n == 1 {
            continue;
        }
        if len > 0 && dims[len - 1].1 == s * n as isize {
            dims[len - 1] = (dims[len - 1].0 * n, s);
        } else {
            dims[len] = (n, s);
            len += 1;
        }
    }
    let (inner_n, inner_s) = if len > 0 {
        len -= 1;
        dims[len]
    } else {
        (1, 1)
    };
    let dims = &dims[..len];
    let base = a.as_ptr();
    out.reserve(a.len());
    let mut index = [0usize; MAX_DIMS];
    let mut offset = 0isize;
    loop {
        // SAFETY: `offset + k·inner_s` (k < inner_n) is the memory offset, from `a.as_ptr()`,
        // of the element of `a` at the multi-index the odometer holds (every dim below its
        // size), and ndarray guarantees each element of a view is valid to read while the
        // view lives.
        unsafe {
            let run = base.offset(offset);
            if inner_s == 1 {
                out.extend_from_slice(std::slice::from_raw_parts(run, inner_n));
            } else {
                out.extend((0..inner_n).map(|k| *run.offset(k as isize * inner_s)));
            }
        }
        // Next multi-index of the outer dims, last dim fastest.
        let mut d = dims.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            offset += dims[d].1;
            if index[d] < dims[d].0 {
                break;
            }
            offset -= dims[d].1 * dims[d].0 as isize;
            index[d] = 0;
        }
    }
}

/// An array of `shape` for a kernel that writes every element before anything reads one (a
/// matrix product with β = 0): a reused buffer is not zero-filled first.
pub(crate) fn to_overwrite<T: Element>(shape: &[usize]) -> ArrayD<T> {
    let out = pool::take_to_overwrite(shape.iter().product());
    ArrayD::from_shape_vec(IxDyn(shape), out).expect("element count")
}

/// The storage buffer type, for kernels that fill one directly.
pub(crate) use crate::tensor::buffer::Buffer;

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, Axis, IxDyn, Slice};

    use super::extend_row_major;

    #[test]
    fn strided_copies_follow_row_major_order_for_every_layout() {
        let base =
            ArrayD::from_shape_vec(IxDyn(&[2, 3, 4, 5]), (0..120).collect::<Vec<i64>>()).unwrap();
        let mut views = vec![
            base.view(),
            base.view().permuted_axes(IxDyn(&[0, 2, 1, 3])),
            base.view().permuted_axes(IxDyn(&[3, 1, 0, 2])),
            base.view().reversed_axes(),
        ];
        let mut sliced = base.view();
        sliced.slice_axis_inplace(Axis(3), Slice::new(1, None, 2));
        sliced.slice_axis_inplace(Axis(1), Slice::new(0, Some(1), 1));
        views.push(sliced);
        let mut flipped = base.view();
        flipped.invert_axis(Axis(2));
        views.push(flipped);
        views.push(base.view().into_shape_with_order(IxDyn(&[120])).unwrap());
        // More dims than the stack arrays hold: the plain iterator.
        let nine = base
            .view()
            .into_shape_with_order(IxDyn(&[2, 1, 3, 1, 4, 1, 5, 1, 1]))
            .unwrap();
        views.push(nine.permuted_axes(IxDyn(&[6, 1, 4, 3, 2, 5, 0, 7, 8])));
        let inserted = base.view().insert_axis(Axis(1));
        views.push(inserted.broadcast(IxDyn(&[2, 2, 3, 4, 5])).unwrap());
        for v in views {
            let mut out = vec![-1];
            extend_row_major(&v, &mut out);
            let want: Vec<i64> = std::iter::once(-1).chain(v.iter().copied()).collect();
            assert_eq!(out, want, "shape {:?} strides {:?}", v.shape(), v.strides());
        }
        let empty = base
            .view()
            .slice_axis(Axis(2), Slice::new(0, Some(0), 1))
            .into_owned();
        let mut out = Vec::<i64>::new();
        extend_row_major(&empty.view(), &mut out);
        assert!(out.is_empty());
    }
}
