//! Joining and indexing: `cat stack index_select gather`, and their adjoints (`index_add`,
//! `scatter_add`), which are what their backwards are made of.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};

use super::{normalize_dim, normalize_dim_for};
use crate::autograd::{Context, Function, Grads};
use crate::{Element, Float, Tensor};

/// Tensors joined along `dim`.
pub(crate) struct Cat {
    dim: usize,
}

impl<T: Float> Function<T> for Cat {
    fn name(&self) -> &'static str {
        "cat"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let mut offset = 0;
        let grads = (0..ctx.num_inputs())
            .map(|i| {
                let len = ctx.input_shape(i)[self.dim];
                offset += len;
                ctx.needs_input_grad(i)
                    .then(|| g.slice_at(self.dim, offset - len, len, 1))
            })
            .collect();
        Grads::many(grads)
    }
}

/// The slices at `index` along `dim`.
pub(crate) struct IndexSelect {
    dim: usize,
    index: Arc<[usize]>,
}

impl<T: Float> Function<T> for IndexSelect {
    fn name(&self) -> &'static str {
        "index_select"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let size = ctx.input_shape(0)[self.dim];
        Grads::one(g.index_add_zeros(self.dim, self.index.clone(), size))
    }
}

/// Slices of the input added at `index` positions into zeros (index_select's adjoint).
pub(crate) struct IndexAdd {
    dim: usize,
    index: Arc<[usize]>,
}

impl<T: Float> Function<T> for IndexAdd {
    fn name(&self) -> &'static str {
        "index_add"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.select_at(self.dim, self.index.clone()))
    }
}

/// Elements picked along `dim` by `index` (`torch.gather`).
pub(crate) struct Gather {
    pub(crate) dim: usize,
    pub(crate) index: Arc<ArrayD<usize>>,
}

impl<T: Float> Function<T> for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let shape = ctx.input_shape(0).to_vec();
        Grads::one(g.scatter_add_zeros(self.dim, self.index.clone(), shape))
    }
}

/// The input's elements added at `index` positions into zeros (gather's adjoint).
pub(crate) struct ScatterAdd {
    dim: usize,
    index: Arc<ArrayD<usize>>,
}

impl<T: Float> Function<T> for ScatterAdd {
    fn name(&self) -> &'static str {
        "scatter_add"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.gather_at(self.dim, self.index.clone()))
    }
}

impl<T: Element> Tensor<T> {
    /// Joins tensors along an existing dim; all other dims must agree.
    ///
    /// # Panics
    /// If `tensors` is empty or the shapes differ outside `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// let b = Tensor::<f32>::ones(&[1, 3]);
    /// assert_eq!(Tensor::cat(&[&a, &b], 0).shape(), &[3, 3]);
    /// ```
    #[track_caller]
    pub fn cat(tensors: &[&Tensor<T>], dim: isize) -> Tensor<T> {
        assert!(
            !tensors.is_empty(),
            "tapegrad: cat: needs at least one tensor"
        );
        let first = tensors[0].shape();
        let d = normalize_dim("cat", dim, first);
        for t in tensors {
            let s = t.shape();
            let same = s.len() == first.len()
                && s.iter()
                    .zip(first)
                    .enumerate()
                    .all(|(i, (a, b))| i == d || a == b);
            if !same {
                panic!("tapegrad: cat: shapes {first:?} and {s:?} differ outside dim {dim}");
            }
        }
        let data = {
            let guards: Vec<_> = tensors.iter().map(|t| t.data()).collect();
            let views: Vec<_> = guards.iter().map(|g| g.view()).collect();
            ndarray::concatenate(Axis(d), &views).expect("shapes checked")
        };
        Tensor::from_any_op(data, Cat { dim: d }, tensors)
    }

    /// Joins tensors of equal shape along a new dim.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(Tensor::stack(&[&a, &a], 1).shape(), &[2, 2, 3]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[&Tensor<T>], dim: isize) -> Tensor<T> {
        assert!(
            !tensors.is_empty(),
            "tapegrad: stack: needs at least one tensor"
        );
        let first = tensors[0].shape();
        let d = normalize_dim_for("stack", dim, first.len() + 1, first);
        for t in tensors {
            if t.shape() != first {
                panic!(
                    "tapegrad: stack: shapes {first:?} and {:?} differ",
                    t.shape()
                );
            }
        }
        let expanded: Vec<Tensor<T>> = tensors.iter().map(|t| t.unsqueeze(d as isize)).collect();
        let refs: Vec<&Tensor<T>> = expanded.iter().collect();
        Tensor::cat(&refs, d as isize)
    }

    #[track_caller]
    fn select_at(&self, dim: usize, index: Arc<[usize]>) -> Tensor<T> {
        let data = self.data().view().select(Axis(dim), &index);
        Tensor::from_any_op(data, IndexSelect { dim, index }, self)
    }

    /// The slices at `indices` along `dim`, in that order (indices may repeat); `indices`
    /// is a `usize` slice or a 1-D `Tensor<i64>`.
    ///
    /// # Panics
    /// If an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    /// assert_eq!(t.index_select(0, &[2, 0]).to_vec(), vec![5.0, 6.0, 1.0, 2.0]);
    /// let idx = Tensor::<i64>::from_vec(vec![1], &[1]);
    /// assert_eq!(t.index_select(1, &idx).to_vec(), vec![2.0, 4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn index_select<I: Indices + ?Sized>(&self, dim: isize, indices: &I) -> Tensor<T> {
        let d = normalize_dim("index_select", dim, self.shape());
        let index = indices.indices("index_select", d, self.shape());
        self.select_at(d, index)
    }

    #[track_caller]
    pub(crate) fn gather_at(&self, dim: usize, index: Arc<ArrayD<usize>>) -> Tensor<T> {
        let data = {
            let guard = self.data();
            let src = guard.view();
            match last_dim_rows(&src, &index, dim) {
                // Row by row along the last dim (max pooling's picks, a batch of labels).
                Some((src, idx, n, m)) => {
                    let mut out = Vec::with_capacity(idx.len());
                    for (row, picks) in src.chunks_exact(n).zip(idx.chunks_exact(m)) {
                        out.extend(picks.iter().map(|&i| row[i]));
                    }
                    ArrayD::from_shape_vec(index.raw_dim(), out).expect("element count")
                }
                None => ArrayD::from_shape_fn(index.raw_dim(), |mut ix| {
                    ix[dim] = index[&ix];
                    src[&ix]
                }),
            }
        };
        Tensor::from_any_op(data, Gather { dim, index }, self)
    }

    /// Picks along `dim` by `index`, as `torch.gather`: `out[i][j] = self[index[i][j]][j]`
    /// for `dim = 0`. `index` (a `Tensor<i64>` or an `ndarray` of `usize`) has the same
    /// number of dims as `self`, and is no larger than `self` in the other dims; the result
    /// has `index`'s shape.
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let index = Tensor::<i64>::from_vec(vec![1, 0], &[2, 1]);
    /// assert_eq!(t.gather(1, &index).to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn gather<I: IndexArray + ?Sized>(&self, dim: isize, index: &I) -> Tensor<T> {
        let d = normalize_dim("gather", dim, self.shape());
        let index = index.index_array("gather", d, self.shape());
        self.gather_at(d, index)
    }
}

impl<T: Float> Tensor<T> {
    #[track_caller]
    fn index_add_zeros(&self, dim: usize, index: Arc<[usize]>, size: usize) -> Tensor<T> {
        let mut shape = self.shape().to_vec();
        shape[dim] = size;
        let mut data = ArrayD::zeros(IxDyn(&shape));
        {
            let guard = self.data();
            let src = guard.view();
            for (k, &i) in index.iter().enumerate() {
                let mut dst = data.index_axis_mut(Axis(dim), i);
                dst += &src.index_axis(Axis(dim), k);
            }
        }
        Tensor::from_op(data, IndexAdd { dim, index }, self)
    }

    #[track_caller]
    pub(crate) fn scatter_add_zeros(
        &self,
        dim: usize,
        index: Arc<ArrayD<usize>>,
        shape: Vec<usize>,
    ) -> Tensor<T> {
        let mut data = ArrayD::zeros(IxDyn(&shape));
        {
            let guard = self.data();
            let src = guard.view();
            let rows = (dim + 1 == shape.len() && shape[..dim] == index.shape()[..dim])
                .then(|| (src.as_slice(), index.as_slice(), data.as_slice_mut()));
            match rows {
                // Row by row along the last dim: the adjoint of the gather above.
                Some((Some(src), Some(idx), Some(out))) if !out.is_empty() && !idx.is_empty() => {
                    let (n, m) = (shape[dim], index.shape()[dim]);
                    let rows = out.chunks_exact_mut(n).zip(idx.chunks_exact(m));
                    for ((row, picks), vals) in rows.zip(src.chunks_exact(m)) {
                        for (&i, &v) in picks.iter().zip(vals) {
                            row[i] += v;
                        }
                    }
                }
                _ => {
                    for (ix, &i) in index.indexed_iter() {
                        let mut to = ix.clone();
                        to[dim] = i;
                        data[&to] += src[&ix];
                    }
                }
            }
        }
        Tensor::from_op(data, ScatterAdd { dim, index }, self)
    }
}

/// For a gather along the last dim of row-major `src` by a row-major `index` with the same
/// leading dims: both as slices, with the row lengths of each.
fn last_dim_rows<'a, T>(
    src: &'a ndarray::ArrayViewD<'_, T>,
    index: &'a ArrayD<usize>,
    dim: usize,
) -> Option<(&'a [T], &'a [usize], usize, usize)> {
    let (s, i) = (src.shape(), index.shape());
    if dim + 1 != s.len() || s[..dim] != i[..dim] || index.is_empty() {
        return None;
    }
    Some((src.as_slice()?, index.as_slice()?, s[dim], i[dim]))
}

/// Indices along one dim, for `index_select`, `index_add`, `index_fill`: a slice, array or
/// `Vec` of `usize`, or a 1-D `Tensor<i64>`.
pub trait Indices {
    /// The indices, checked against `shape[dim]` (the panic names `op`, the index and the
    /// size).
    #[doc(hidden)]
    fn indices(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<[usize]>;
}

/// Checks one index against the size of `dim`.
#[track_caller]
fn checked_index(op: &str, i: i64, dim: usize, shape: &[usize]) -> usize {
    if i < 0 || i as u64 >= shape[dim] as u64 {
        panic!(
            "tapegrad: {op}: index {i} is out of range for dim {dim} of size {} (shape {shape:?})",
            shape[dim]
        );
    }
    i as usize
}

impl Indices for [usize] {
    #[track_caller]
    fn indices(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<[usize]> {
        for &i in self {
            checked_index(op, i.try_into().unwrap_or(i64::MAX), dim, shape);
        }
        self.into()
    }
}

impl<const N: usize> Indices for [usize; N] {
    #[track_caller]
    fn indices(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<[usize]> {
        self[..].indices(op, dim, shape)
    }
}

impl Indices for Vec<usize> {
    #[track_caller]
    fn indices(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<[usize]> {
        self[..].indices(op, dim, shape)
    }
}

impl Indices for Tensor<i64> {
    #[track_caller]
    fn indices(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<[usize]> {
        if self.ndim() > 1 {
            panic!(
                "tapegrad: {op}: the index must be 1-D (or 0-d), got shape {:?}",
                self.shape()
            );
        }
        let data = self.data();
        let v = data.view();
        // A plain loop, not a closure, so a bad index panics at the caller's line.
        let mut out = Vec::with_capacity(v.len());
        for &i in v.iter() {
            out.push(checked_index(op, i, dim, shape));
        }
        out.into()
    }
}

/// An index with as many dims as the tensor it picks from, for `gather` and `scatter*`: a
/// `Tensor<i64>` or an `ndarray::ArrayD<usize>`.
pub trait IndexArray {
    /// The index, checked against `shape`: the same number of dims, no larger than `shape`
    /// outside `dim`, every value below `shape[dim]`.
    #[doc(hidden)]
    fn index_array(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<ArrayD<usize>>;
}

#[track_caller]
fn check_index_shape(op: &str, index: &[usize], dim: usize, shape: &[usize]) {
    let fits = index.len() == shape.len()
        && index
            .iter()
            .zip(shape)
            .enumerate()
            .all(|(i, (a, b))| i == dim || a <= b);
    if !fits {
        panic!(
            "tapegrad: {op}: index of shape {index:?} does not fit tensor of shape {shape:?} \
             along dim {dim}"
        );
    }
}

impl IndexArray for ArrayD<usize> {
    #[track_caller]
    fn index_array(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<ArrayD<usize>> {
        check_index_shape(op, self.shape(), dim, shape);
        for &i in self {
            checked_index(op, i.try_into().unwrap_or(i64::MAX), dim, shape);
        }
        Arc::new(self.clone())
    }
}

impl IndexArray for Tensor<i64> {
    #[track_caller]
    fn index_array(&self, op: &str, dim: usize, shape: &[usize]) -> Arc<ArrayD<usize>> {
        check_index_shape(op, self.shape(), dim, shape);
        let data = self.data();
        Arc::new(data.view().mapv(|i| checked_index(op, i, dim, shape)))
    }
}

/// `src` written at `index` positions along `dim` over the input (`torch.scatter`); where an
/// index repeats, the last write wins (as PyTorch's CPU kernel).
struct Scatter {
    dim: usize,
    index: Arc<ArrayD<usize>>,
}

impl<T: Float> Function<T> for Scatter {
    fn name(&self) -> &'static str {
        "scatter"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let ga = ctx.needs_input_grad(0).then(|| {
            // The written positions got their values from src, not from the input.
            let mut keep = ArrayD::from_elem(IxDyn(ctx.input_shape(0)), true);
            for (ix, &i) in self.index.indexed_iter() {
                let mut to = ix.clone();
                to[self.dim] = i;
                keep[&to] = false;
            }
            Tensor::leaf(keep).where_cond(g, T::ZERO)
        });
        let gb = ctx
            .needs_input_grad(1)
            .then(|| g.gather_at(self.dim, self.index.clone()));
        Grads::two(ga, gb)
    }
}

impl<T: Element> Tensor<T> {
    /// `src` narrowed to the index's shape (scatter reads only that corner of `src`).
    #[track_caller]
    fn scatter_source(&self, op: &str, index: &ArrayD<usize>, src: &Tensor<T>) -> Tensor<T> {
        let fits = src.ndim() == index.ndim()
            && index.shape().iter().zip(src.shape()).all(|(a, b)| a <= b);
        if !fits {
            panic!(
                "tapegrad: {op}: index of shape {:?} is larger than src of shape {:?}",
                index.shape(),
                src.shape()
            );
        }
        let mut out = src.clone();
        for (d, &n) in index.shape().iter().enumerate() {
            out = out.slice_at(d, 0, n, 1);
        }
        out
    }

    /// A copy of this tensor with `src`'s values written at `index` along `dim`, as
    /// `torch.scatter`: `out[index[i][j]][j] = src[i][j]` for `dim = 0`. Gradients flow to
    /// this tensor (except where written) and to `src`.
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3]);
    /// let index = Tensor::<i64>::from_vec(vec![2, 0], &[2, 1]);
    /// let src = Tensor::from_vec(vec![5.0f32, 7.0], &[2, 1]);
    /// assert_eq!(x.scatter(1, &index, &src).to_vec(), vec![0.0, 0.0, 5.0, 7.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn scatter<I: IndexArray + ?Sized>(
        &self,
        dim: isize,
        index: &I,
        src: &Tensor<T>,
    ) -> Tensor<T> {
        let d = normalize_dim("scatter", dim, self.shape());
        let index = index.index_array("scatter", d, self.shape());
        let src = self.scatter_source("scatter", &index, src);
        let mut out = self.data().view().to_owned();
        {
            let s = src.data();
            let s = s.view();
            for (ix, &i) in index.indexed_iter() {
                let mut to = ix.clone();
                to[d] = i;
                out[&to] = s[&ix];
            }
        }
        Tensor::from_any_op(out, Scatter { dim: d, index }, (self, &src))
    }

    /// A copy of this tensor with `v` in the slices at `indices` along `dim`
    /// (`torch.index_fill`); the gradient flows to the other elements.
    ///
    /// # Panics
    /// If an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::ones(&[2, 3]);
    /// assert_eq!(x.index_fill(1, &[0, 2], 0.0).to_vec(), vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn index_fill<I: Indices + ?Sized>(&self, dim: isize, indices: &I, v: T) -> Tensor<T> {
        let d = normalize_dim("index_fill", dim, self.shape());
        let index = indices.indices("index_fill", d, self.shape());
        let mut mask = ArrayD::from_elem(IxDyn(&[self.shape()[d]]), false);
        for &i in index.iter() {
            mask[i] = true;
        }
        // A [n, 1, 1, ...] mask broadcasts along the other dims.
        let mut shape = vec![1; self.ndim()];
        shape[d] = self.shape()[d];
        let mask = Tensor::leaf(mask.into_shape_with_order(IxDyn(&shape)).expect("size"));
        mask.where_cond(v, self)
    }
}

impl<T: Float> Tensor<T> {
    /// This tensor plus `src`'s values added at `index` along `dim`, as
    /// `torch.scatter_add`: `out[index[i][j]][j] += src[i][j]` for `dim = 0` (repeated
    /// indices add up). Gradients flow to both.
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let counts = Tensor::<f32>::zeros(&[3]);
    /// let index = Tensor::<i64>::from_vec(vec![0, 2, 0], &[3]);
    /// let ones = Tensor::<f32>::ones(&[3]);
    /// assert_eq!(counts.scatter_add(0, &index, &ones).to_vec(), vec![2.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add<I: IndexArray + ?Sized>(
        &self,
        dim: isize,
        index: &I,
        src: &Tensor<T>,
    ) -> Tensor<T> {
        let d = normalize_dim("scatter_add", dim, self.shape());
        let index = index.index_array("scatter_add", d, self.shape());
        let src = self.scatter_source("scatter_add", &index, src);
        self + &src.scatter_add_zeros(d, index, self.shape().to_vec())
    }

    /// This tensor plus the slices of `src` added at `indices` along `dim`
    /// (`torch.index_add`; repeated indices add up). Gradients flow to both.
    ///
    /// # Panics
    /// If an index is out of range or `src` has the wrong shape.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[3, 2]);
    /// let src = Tensor::<f32>::ones(&[2, 2]);
    /// let y = x.index_add(0, &[2, 2], &src);
    /// assert_eq!(y.to_vec(), vec![0.0, 0.0, 0.0, 0.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_add<I: Indices + ?Sized>(
        &self,
        dim: isize,
        indices: &I,
        src: &Tensor<T>,
    ) -> Tensor<T> {
        let d = normalize_dim("index_add", dim, self.shape());
        let index = indices.indices("index_add", d, self.shape());
        let mut want = self.shape().to_vec();
        want[d] = index.len();
        if src.shape() != want {
            panic!(
                "tapegrad: index_add: src of shape {:?} does not fit {} indices into shape {:?} \
                 along dim {dim} (want {want:?})",
                src.shape(),
                index.len(),
                self.shape()
            );
        }
        self + &src.index_add_zeros(d, index, self.shape()[d])
    }
}
