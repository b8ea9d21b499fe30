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
pub(crate) mod shape;
pub(crate) mod simd;
pub(crate) mod softmax;
pub(crate) mod sort;
pub(crate) mod unary;

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
    let standard;
    let x = match a.as_slice() {
        Some(x) => x,
        None => {
            standard = to_standard(a);
            standard.data.as_slice()
        }
    };
    map_slice(x, a.raw_dim(), f)
}

/// `f` of each of the row-major elements `x` of a tensor of `shape`.
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
        let mut small = [U::ZERO; crate::tensor::buffer::INLINE];
        simd::map_into(x, &mut small, f);
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
    if a.shape() == b.shape() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let v = Buffer::collect(x.len(), x.iter().zip(y).map(|(&x, &y)| f(x, y)));
            return Values::new(v, a.raw_dim());
        }
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

/// A row-major copy of `a`.
pub(crate) fn to_standard<T: Element>(a: &ArrayViewD<'_, T>) -> Values<T> {
    let data = match a.as_slice() {
        Some(x) => Buffer::collect(x.len(), x.iter().copied()),
        None => Buffer::collect(a.len(), elements(a).copied()),
    };
    Values::new(data, a.raw_dim())
}

/// A zero-filled array of `shape`, in a buffer from the pool when it is large.
pub(crate) fn zeros<T: Element>(shape: &[usize]) -> ArrayD<T> {
    let n = shape.iter().product();
    let mut out = pool::take(n);
    out.resize(n, T::ZERO);
    ArrayD::from_shape_vec(IxDyn(shape), out).expect("element count")
}

/// The storage buffer type, for kernels that fill one directly.
pub(crate) use crate::tensor::buffer::Buffer;
