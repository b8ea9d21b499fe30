//! Shape ops. Views first — `reshape`/`view`, `flatten`, `squeeze`, `unsqueeze`, `permute`,
//! `transpose`, `t`, `expand`/`broadcast_to`, `narrow`, `slice`, `select`, `chunk`, `split`,
//! `unbind` — each a new layout over the same storage, no element copied; then `contiguous`
//! (a copy only when needed) and `sum_to`, the one place a broadcast gradient is reduced.
//!
//! The backward of a view maps the view's gradient back to the input's shape: reshape back,
//! permute back, sum away the broadcast dims, or place the slice into zeros.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::{normalize_dim, normalize_dim_for};
use crate::autograd::{Context, Function, Grads};
use crate::tensor::Values;
use crate::tensor::storage::{Layout, contiguous_strides};
use crate::{Element, Float, Tensor};

/// A view with a new shape over the same elements (row-major order).
pub(crate) struct Reshape;

impl<T: Float> Function<T> for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.reshape_to(ctx.input_shape(0)))
    }
}

/// A view with the dims reordered: dim `i` of the output is dim `axes[i]` of the input.
pub(crate) struct Permute(Vec<usize>);

impl<T: Float> Function<T> for Permute {
    fn name(&self) -> &'static str {
        "permute"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let mut inverse = vec![0; self.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            inverse[a] = i;
        }
        Grads::one(g.permute_axes(inverse))
    }
}

/// A view repeating size-1 (or missing leading) dims with stride 0.
pub(crate) struct Expand;

impl<T: Float> Function<T> for Expand {
    fn name(&self) -> &'static str {
        "expand"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.sum_to(ctx.input_shape(0)))
    }
}

/// A view of every `step`-th element from `start` along `dim` (`narrow` is `step` 1).
pub(crate) struct Slice1 {
    dim: usize,
    start: usize,
    step: usize,
}

impl<T: Float> Function<T> for Slice1 {
    fn name(&self) -> &'static str {
        "slice"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        // g at the sliced positions of zeros of the input's shape: placed, so the engine adds
        // it in place (the chunks of an LSTM's gates fill one buffer instead of four).
        let shape = ctx.input_shape(0);
        let mut strides = contiguous_strides(shape);
        let offset = self.start * strides[self.dim];
        strides[self.dim] *= self.step;
        Grads::placed(g.clone(), Layout::new(g.shape(), &strides, offset), shape)
    }
}

/// A copy of the input in row-major layout.
pub(crate) struct Contiguous;

impl<T: Float> Function<T> for Contiguous {
    fn name(&self) -> &'static str {
        "contiguous"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.clone())
    }
}

/// The sum of the input down to a shape it was broadcast from (the adjoint of [`Expand`]).
pub(crate) struct SumTo;

impl<T: Float> Function<T> for SumTo {
    fn name(&self) -> &'static str {
        "sum_to"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.broadcast_to(ctx.input_shape(0)))
    }
}

/// The strides that show a tensor of `shape` with `strides` as `new_shape` without moving an
/// element, if there are any (PyTorch's `computeStride`): runs of dims that are contiguous
/// among themselves may be split and merged freely.
pub(crate) fn view_strides(
    shape: &[usize],
    strides: &[usize],
    new_shape: &[usize],
) -> Option<Vec<usize>> {
    let numel: usize = shape.iter().product();
    if numel <= 1 || shape.is_empty() {
        return Some(contiguous_strides(new_shape));
    }
    let mut new_strides = vec![0; new_shape.len()];
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base = strides[strides.len() - 1];
    let (mut tensor_numel, mut view_numel) = (1, 1);
    for d in (0..shape.len()).rev() {
        tensor_numel *= shape[d];
        let chunk_ends =
            d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if d > 0 {
                chunk_base = strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

impl<T: Element> Tensor<T> {
    /// Reshape to an exact shape (internal: the element count is already known to match): a
    /// view when the strides allow one, else a copy.
    #[track_caller]
    pub(crate) fn reshape_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let layout = self.layout();
        match view_strides(layout.shape(), &layout.strides(), shape) {
            Some(strides) => self.view_op(Layout::new(shape, &strides, layout.offset()), Reshape),
            None => self.contiguous().reshape_to(shape),
        }
    }

    /// The new shape with one `-1` inferred, or a panic naming `op`.
    #[track_caller]
    fn infer_shape(&self, op: &str, shape: &[isize]) -> Vec<usize> {
        let numel = self.numel();
        let known: usize = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .try_fold(1usize, |acc, d| acc.checked_mul(d))
            .unwrap_or(usize::MAX);
        let inferred = shape.iter().filter(|&&d| d == -1).count();
        let bad = shape.iter().any(|&d| d < -1)
            || inferred > 1
            || (inferred == 0 && known != numel)
            || (inferred == 1 && (known == 0 || !numel.is_multiple_of(known)));
        if bad {
            panic!(
                "tapegrad: {op}: cannot reshape tensor of shape {:?} ({numel} elements) to {shape:?}",
                self.shape()
            );
        }
        shape
            .iter()
            .map(|&d| if d == -1 { numel / known } else { d as usize })
            .collect()
    }

    /// The same elements in a new shape, always as a view (PyTorch's `view`).
    ///
    /// # Panics
    /// If the element counts differ, or the tensor's strides do not allow the shape without
    /// a copy (use [`Tensor::reshape`], which copies then).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 6]);
    /// let v = t.view(&[3, -1]);
    /// assert_eq!(v.shape(), &[3, 4]);
    /// assert!(v.shares_storage(&t));
    /// ```
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Tensor<T> {
        let new = self.infer_shape("view", shape);
        let layout = self.layout();
        if view_strides(layout.shape(), &layout.strides(), &new).is_none() {
            panic!(
                "tapegrad: view: shape {new:?} is not compatible with the strides {:?} of shape \
                 {:?}; use .reshape(..) (which copies when needed)",
                self.stride(),
                self.shape()
            );
        }
        self.reshape_to(&new)
    }

    /// A row-major copy, or this tensor itself when it already is row-major.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3]);
    /// assert!(t.contiguous().same(&t));
    /// let c = t.t().contiguous();
    /// assert!(c.is_contiguous() && !c.shares_storage(&t));
    /// ```
    #[track_caller]
    pub fn contiguous(&self) -> Tensor<T> {
        if self.is_contiguous() {
            return self.clone();
        }
        let data = {
            let d = self.data();
            super::to_standard(&d.view())
        };
        Tensor::from_any_op(data, Contiguous, self)
    }

    /// The same elements in a new shape (row-major); one dim may be `-1` and is inferred. A
    /// view when the strides allow one (always for contiguous tensors), else a copy.
    ///
    /// # Panics
    /// If the element counts differ or more than one dim is `-1`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 6]);
    /// assert_eq!(t.reshape(&[3, -1]).shape(), &[3, 4]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor<T> {
        let new = self.infer_shape("reshape", shape);
        self.reshape_to(&new)
    }

    /// Merges dims `start..=end` into one (negative dims count from the end).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(t.flatten(1, -1).shape(), &[2, 12]);
    /// assert_eq!(t.flatten(0, -1).shape(), &[24]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start: isize, end: isize) -> Tensor<T> {
        let shape = self.shape();
        if shape.is_empty() {
            return self.reshape_to(&[1]);
        }
        let s = normalize_dim("flatten", start, shape);
        let e = normalize_dim("flatten", end, shape);
        assert!(
            s <= e,
            "tapegrad: flatten: start dim {start} comes after end dim {end}"
        );
        let mut new: Vec<usize> = shape[..s].to_vec();
        new.push(shape[s..=e].iter().product());
        new.extend_from_slice(&shape[e + 1..]);
        self.reshape_to(&new)
    }

    /// Removes `dim` if its size is 1 (otherwise returns the tensor unchanged, as PyTorch).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 1, 3]);
    /// assert_eq!(t.squeeze(1).shape(), &[2, 3]);
    /// assert_eq!(t.squeeze(0).shape(), &[2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, dim: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("squeeze", dim, shape);
        if shape[d] != 1 {
            return self.clone();
        }
        let mut new = shape.to_vec();
        new.remove(d);
        self.reshape_to(&new)
    }

    /// Inserts a dim of size 1 at `dim` (which may be `ndim`, or negative).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(t.unsqueeze(0).shape(), &[1, 2, 3]);
    /// assert_eq!(t.unsqueeze(-1).shape(), &[2, 3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim_for("unsqueeze", dim, shape.len() + 1, shape);
        let mut new = shape.to_vec();
        new.insert(d, 1);
        self.reshape_to(&new)
    }

    #[track_caller]
    fn permute_axes(&self, axes: Vec<usize>) -> Tensor<T> {
        if axes.iter().enumerate().all(|(i, &a)| i == a) {
            return self.clone();
        }
        let layout = self.layout();
        let shape: Vec<usize> = axes.iter().map(|&a| layout.shape()[a]).collect();
        let strides: Vec<usize> = axes.iter().map(|&a| layout.strides()[a]).collect();
        self.view_op(
            Layout::new(&shape, &strides, layout.offset()),
            Permute(axes),
        )
    }

    /// Reorders the dims: dim `i` of the result is dim `dims[i]` of `self`.
    ///
    /// # Panics
    /// If `dims` is not a permutation of the tensor's dims.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(t.permute(&[2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Tensor<T> {
        let shape = self.shape();
        // A loop, not a closure: a bad dim must be reported at the caller's line.
        let mut axes = Vec::with_capacity(dims.len());
        for &d in dims {
            axes.push(normalize_dim("permute", d, shape));
        }
        let mut seen = vec![false; shape.len()];
        for &a in &axes {
            seen[a] = true;
        }
        if axes.len() != shape.len() || seen.contains(&false) {
            panic!(
                "tapegrad: permute: {dims:?} is not a permutation of the dims of shape {shape:?}"
            );
        }
        self.permute_axes(axes)
    }

    /// Swaps two dims.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(t.transpose(0, -1).shape(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, d0: isize, d1: isize) -> Tensor<T> {
        let shape = self.shape();
        let (a, b) = (
            normalize_dim("transpose", d0, shape),
            normalize_dim("transpose", d1, shape),
        );
        let mut axes: Vec<usize> = (0..shape.len()).collect();
        axes.swap(a, b);
        self.permute_axes(axes)
    }

    /// The transpose of a matrix (a tensor with at most 2 dims, as PyTorch's `t()`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(m.t().shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            shape.len() <= 2,
            "tapegrad: t: expects a tensor with at most 2 dims, got shape {shape:?}"
        );
        if shape.len() < 2 {
            return self.clone();
        }
        self.permute_axes(vec![1, 0])
    }

    /// Repeats the tensor along size-1 (or missing leading) dims to reach `shape`, as a view
    /// (stride 0 on the repeated dims).
    ///
    /// # Panics
    /// If the shape cannot be broadcast to `shape`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// assert_eq!(t.broadcast_to(&[2, 3]).to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let from = self.shape();
        let lead = shape.len().wrapping_sub(from.len());
        let fits = from.len() <= shape.len()
            && from
                .iter()
                .zip(&shape[lead.min(shape.len())..])
                .all(|(&m, &n)| m == n || m == 1);
        if !fits {
            panic!("tapegrad: broadcast_to: shape {from:?} cannot be broadcast to {shape:?}");
        }
        let layout = self.layout();
        let mut strides = vec![0; shape.len()];
        for d in lead..shape.len() {
            if from[d - lead] == shape[d] {
                strides[d] = layout.strides()[d - lead];
            }
        }
        self.view_op(Layout::new(shape, &strides, layout.offset()), Expand)
    }

    /// [`Tensor::broadcast_to`] with PyTorch's `expand` sizes: `-1` keeps a dim's size.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// let e = t.expand(&[-1, 3]);
    /// assert_eq!(e.shape(), &[2, 3]);
    /// assert!(e.shares_storage(&t));
    /// ```
    #[track_caller]
    pub fn expand(&self, shape: &[isize]) -> Tensor<T> {
        let from = self.shape();
        let lead = shape.len().saturating_sub(from.len());
        let mut sizes = Vec::with_capacity(shape.len());
        for (d, &n) in shape.iter().enumerate() {
            sizes.push(match n {
                -1 if d >= lead => from[d - lead],
                n if n >= 0 => n as usize,
                _ => panic!(
                    "tapegrad: expand: size {n} in {shape:?} is not valid for shape {from:?}"
                ),
            });
        }
        self.broadcast_to(&sizes)
    }

    /// Every `step`-th element along `dim` from `start`, `len` of them, as a view.
    #[track_caller]
    pub(crate) fn slice_at(&self, dim: usize, start: usize, len: usize, step: usize) -> Tensor<T> {
        if start == 0 && step == 1 && len == self.shape()[dim] {
            return self.clone();
        }
        let layout = self.layout();
        let mut shape = layout.shape().to_vec();
        let mut strides = layout.strides().to_vec();
        let offset = if len > 0 {
            layout.offset() + start * strides[dim]
        } else {
            layout.offset()
        };
        shape[dim] = len;
        strides[dim] *= step;
        self.view_op(
            Layout::new(&shape, &strides, offset),
            Slice1 { dim, start, step },
        )
    }

    /// The elements `start..start + len` along `dim`, as a view.
    ///
    /// # Panics
    /// If the range runs past the end of `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    /// let n = t.narrow(0, 1, 2);
    /// assert_eq!(n.to_vec(), vec![2.0, 3.0]);
    /// assert!(n.shares_storage(&t));
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("narrow", dim, shape);
        match start.checked_add(len) {
            Some(end) if end <= shape[d] => {}
            Some(end) => panic!(
                "tapegrad: narrow: range {start}..{end} is out of bounds for dim {dim} of shape {shape:?}"
            ),
            None => panic!(
                "tapegrad: narrow: range {start}..{start}+{len} is out of bounds for dim {dim} of shape {shape:?}"
            ),
        }
        self.slice_at(d, start, len, 1)
    }

    /// Elements `start..end` in steps of `step` along `dim`, as a view — Python's
    /// `x[start:end:step]`: negative bounds count from the end, and bounds past either end
    /// are clamped.
    ///
    /// # Panics
    /// If `step` is not positive.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0, 4.0], &[5]);
    /// assert_eq!(t.slice(0, 1, -1, 2).to_vec(), vec![1.0, 3.0]);
    /// assert_eq!(t.slice(0, -2, 100, 1).to_vec(), vec![3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn slice(&self, dim: isize, start: isize, end: isize, step: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("slice", dim, shape);
        assert!(
            step > 0,
            "tapegrad: slice: step must be positive, got {step}"
        );
        let n = shape[d] as isize;
        let clamp = |i: isize| if i < 0 { (i + n).max(0) } else { i.min(n) };
        let (s, e) = (clamp(start), clamp(end));
        let len = if e > s {
            ((e - s + step - 1) / step) as usize
        } else {
            0
        };
        self.slice_at(d, s.min(n) as usize, len, step as usize)
    }

    /// The slice at `index` along `dim`, with that dim removed, as a view (`x[i]` for dim 0);
    /// a negative index counts from the end.
    ///
    /// # Panics
    /// If the index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.select(0, 1).to_vec(), vec![3.0, 4.0]);
    /// assert_eq!(t.select(1, -1).to_vec(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("select", dim, shape);
        let n = shape[d] as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            panic!(
                "tapegrad: select: index {index} is out of range for dim {dim} of shape {shape:?}"
            );
        }
        self.slice_at(d, i as usize, 1, 1).squeeze(d as isize)
    }

    /// Splits into `chunks` views of (nearly) equal size along `dim`, as `torch.chunk`: each
    /// has `ceil(size / chunks)` elements, the last possibly fewer.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::arange(0.0, 5.0, 1.0);
    /// let parts = t.chunk(2, 0);
    /// assert_eq!(parts[0].to_vec(), vec![0.0, 1.0, 2.0]);
    /// assert_eq!(parts[1].to_vec(), vec![3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor<T>> {
        assert!(
            chunks > 0,
            "tapegrad: chunk: the number of chunks must be positive"
        );
        let d = normalize_dim("chunk", dim, self.shape());
        let size = self.shape()[d].div_ceil(chunks).max(1);
        self.split(size, d as isize)
    }

    /// Splits into views of `size` elements along `dim` (the last may be smaller), as
    /// `torch.split` with an int.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[5, 2]);
    /// let shapes: Vec<_> = t.split(2, 0).iter().map(|p| p.shape().to_vec()).collect();
    /// assert_eq!(shapes, vec![vec![2, 2], vec![2, 2], vec![1, 2]]);
    /// ```
    #[track_caller]
    pub fn split(&self, size: usize, dim: isize) -> Vec<Tensor<T>> {
        assert!(size > 0, "tapegrad: split: the split size must be positive");
        let d = normalize_dim("split", dim, self.shape());
        let n = self.shape()[d];
        (0..n)
            .step_by(size)
            .map(|start| self.slice_at(d, start, size.min(n - start), 1))
            .collect()
    }

    /// The slices along `dim`, each with that dim removed, as views (`torch.unbind`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let rows = t.unbind(0);
    /// assert_eq!(rows[1].to_vec(), vec![3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn unbind(&self, dim: isize) -> Vec<Tensor<T>> {
        let d = normalize_dim("unbind", dim, self.shape());
        (0..self.shape()[d])
            .map(|i| self.slice_at(d, i, 1, 1).squeeze(d as isize))
            .collect()
    }
}

/// Ops that exist for float tensors only.
impl<T: Float> Tensor<T> {
    /// Sums the tensor down to `shape`, the reverse of [`Tensor::broadcast_to`]: leading dims
    /// are summed away and dims that are 1 in `shape` are summed with keepdim. This is how
    /// every broadcasting op returns its gradient to an input's shape.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[4, 2, 3]);
    /// let s = t.sum_to(&[2, 1]);
    /// assert_eq!(s.shape(), &[2, 1]);
    /// assert_eq!(s.to_vec(), vec![12.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor<T> {
        let from = self.shape();
        if from == shape {
            return self.clone();
        }
        let ok = shape.len() <= from.len()
            && shape
                .iter()
                .rev()
                .zip(from.iter().rev())
                .all(|(&s, &f)| s == f || s == 1);
        if !ok {
            panic!("tapegrad: sum_to: shape {from:?} cannot be summed to {shape:?}");
        }
        let data = {
            let d = self.data();
            match d
                .as_slice()
                .and_then(|x| sum_to_flat(x, self.shape(), shape))
            {
                Some(v) => v,
                None => sum_to_array(&d.view(), shape).into(),
            }
        };
        Tensor::from_op(data, SumTo, self)
    }
}

/// The fast paths of [`sum_to_array`] on the row-major elements `x` of a tensor of shape
/// `from`: everything to one value, or rows summed into a trailing block (a bias gradient:
/// [N, C] to [C] or [1, C]). `None` for other shapes.
fn sum_to_flat<T: Float>(x: &[T], from: &[usize], shape: &[usize]) -> Option<Values<T>> {
    if x.is_empty() {
        return None;
    }
    let block: usize = shape.iter().product();
    if block == 1 {
        return Some(Values::new(vec![super::sum::sum(x)], IxDyn(shape)));
    }
    let tail = &from[from.len() - shape.len()..];
    let leading_ones = shape.iter().take_while(|&&d| d == 1).count();
    if shape[leading_ones..] != tail[leading_ones..] {
        return None;
    }
    Some(Values::new(super::sum::rows(x, block), IxDyn(shape)))
}

/// Sums `a` down to `shape` along the dims `shape` broadcasts over (the general path of
/// [`Tensor::sum_to`]; see [`sum_to_flat`] for the common ones).
fn sum_to_array<T: Float>(a: &ArrayViewD<'_, T>, shape: &[usize]) -> ArrayD<T> {
    if a.is_empty() {
        // Nothing to add: zeros (an empty broadcast dim sums to 0, as PyTorch).
        return ArrayD::zeros(IxDyn(shape));
    }
    let lead = a.ndim() - shape.len();
    let mut out = if lead > 0 {
        a.sum_axis(Axis(0))
    } else {
        a.to_owned()
    };
    for _ in 1..lead {
        out = out.sum_axis(Axis(0));
    }
    for (d, &s) in shape.iter().enumerate() {
        if s == 1 && out.shape()[d] != 1 {
            out = out.sum_axis(Axis(d)).insert_axis(Axis(d));
        }
    }
    if out.is_standard_layout() {
        out
    } else {
        super::to_standard(&out.view()).into_array()
    }
}
