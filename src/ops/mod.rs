//! Every differentiable op, one file per family, each op's forward and backward side by side.
//!
//! An op's forward computes an ndarray result and calls [`Tensor::from_op`] with an [`Op`]
//! value; its backward (in the same file) turns the output gradient into input gradients
//! using tensor ops, so with `create_graph` the backward itself is recorded and can be
//! differentiated again. [`Op::backward`] is the one dispatch from the reverse walk into the
//! families.

mod arith;
pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod unary;

use ndarray::{ArrayD, IxDyn};

use crate::{Float, Tensor};

/// Which op made a tensor, with whatever the backward needs besides the inputs and output.
pub(crate) enum Op<T: Float> {
    Unary(unary::UnaryOp<T>),
    Binary(elementwise::BinaryOp),
    Reduce(reduce::ReduceOp),
    Softmax(softmax::SoftmaxOp),
    CrossEntropy(loss::CrossEntropyOp),
    Mse(loss::MseOp),
    MatMul(matmul::MatMulOp),
    Shape(shape::ShapeOp),
    Index(index::IndexOp),
}

/// Which inputs of an op need a gradient (bit i for input i), so backward skips the rest:
/// the gradient of a data batch that nobody asked for is never computed.
#[derive(Clone, Copy)]
pub(crate) struct Needs(pub(crate) u64);

impl Needs {
    pub(crate) fn get(self, i: usize) -> bool {
        i >= 64 || self.0 & (1 << i) != 0
    }
}

/// The gradient of each input (None where not needed), in input order; one or two inline,
/// so the backward of most ops allocates nothing for the list.
pub(crate) enum Grads<T: Float> {
    Fixed([Option<Tensor<T>>; 2]),
    Many(Vec<Option<Tensor<T>>>),
}

impl<T: Float> Grads<T> {
    pub(crate) fn one(g: Tensor<T>) -> Self {
        Grads::Fixed([Some(g), None])
    }
}

impl<T: Float> Grads<T> {
    /// Calls `f(input index, gradient)` for every input that got a gradient.
    pub(crate) fn for_each(self, mut f: impl FnMut(usize, Tensor<T>)) {
        let mut each = |(k, g): (usize, Option<Tensor<T>>)| {
            if let Some(g) = g {
                f(k, g)
            }
        };
        match self {
            Grads::Fixed(a) => a.into_iter().enumerate().for_each(&mut each),
            Grads::Many(v) => v.into_iter().enumerate().for_each(&mut each),
        }
    }
}
impl<T: Float> Op<T> {
    /// The op's name as users know it (used in DOT graphs and anomaly reports).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Unary(op) => op.name(),
            Op::Binary(op) => op.name(),
            Op::Reduce(op) => op.name(),
            Op::Softmax(op) => op.name(),
            Op::CrossEntropy(op) => op.name(),
            Op::Mse(op) => op.name(),
            Op::MatMul(op) => op.name(),
            Op::Shape(op) => op.name(),
            Op::Index(op) => op.name(),
        }
    }

    /// Input gradients from the output gradient `grad`.
    pub(crate) fn backward(
        &self,
        inputs: &[Tensor<T>],
        out: &Tensor<T>,
        grad: &Tensor<T>,
        needs: Needs,
    ) -> Grads<T> {
        match self {
            Op::Unary(op) => Grads::one(op.backward(&inputs[0], out, grad)),
            Op::Binary(op) => op.backward(&inputs[0], &inputs[1], grad, needs),
            Op::Reduce(op) => Grads::one(op.backward(&inputs[0], out, grad)),
            Op::Softmax(op) => Grads::one(op.backward(out, grad)),
            Op::CrossEntropy(op) => Grads::one(op.backward(&inputs[0], grad)),
            Op::Mse(op) => op.backward(&inputs[0], &inputs[1], grad, needs),
            Op::MatMul(op) => op.backward(&inputs[0], &inputs[1], grad, needs),
            Op::Shape(op) => Grads::one(op.backward(&inputs[0], grad)),
            Op::Index(op) => op.backward(inputs, grad, needs),
        }
    }
}

/// The array in standard (row-major, contiguous) layout; every tensor's data is kept so.
pub(crate) fn standard<T: Float>(a: ArrayD<T>) -> ArrayD<T> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// A dim given as `isize` (negative counts from the end) as an index below `ndim`.
#[track_caller]
pub(crate) fn normalize_dim(op: &str, dim: isize, shape: &[usize]) -> usize {
    normalize_dim_for(op, dim, shape.len(), shape)
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
    Tensor::leaf(map(&x.data(), f))
}

/// `f` of each element, into a buffer from the pool when the array is large.
pub(crate) fn map<T: Float>(a: &ArrayD<T>, f: impl Fn(T) -> T) -> ArrayD<T> {
    match a.as_slice() {
        Some(x) if x.len() >= crate::pool::MIN_POOLED => {
            let mut out = crate::pool::take(x.len());
            out.extend(x.iter().map(|&v| f(v)));
            ArrayD::from_shape_vec(a.raw_dim(), out).expect("same shape")
        }
        _ => a.mapv(f),
    }
}

/// A zero-filled array of `shape`, in a buffer from the pool when it is large.
pub(crate) fn zeros<T: Float>(shape: &[usize]) -> ArrayD<T> {
    let n = shape.iter().product();
    let mut out = crate::pool::take(n);
    out.resize(n, T::zero());
    ArrayD::from_shape_vec(IxDyn(shape), out).expect("element count")
}
