//! Shape ops: `reshape` (and `flatten squeeze unsqueeze`), `permute` (and `transpose t`),
//! `broadcast_to`, and its reverse `sum_to`, the one place a broadcast gradient is reduced.

use ndarray::{ArrayD, Axis, IxDyn};

use super::{normalize_dim, normalize_dim_for, standard, Op};
use crate::{Float, Tensor};

#[derive(Clone, Debug)]
pub(crate) enum ShapeOp {
    Reshape,
    Permute(Vec<usize>),
    BroadcastTo,
    SumTo,
}

impl ShapeOp {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ShapeOp::Reshape => "reshape",
            ShapeOp::Permute(_) => "permute",
            ShapeOp::BroadcastTo => "broadcast_to",
            ShapeOp::SumTo => "sum_to",
        }
    }

    pub(crate) fn backward<T: Float>(&self, x: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
        match self {
            ShapeOp::Reshape => g.reshape_to(x.shape()),
            ShapeOp::Permute(axes) => {
                let mut inverse = vec![0; axes.len()];
                for (i, &a) in axes.iter().enumerate() {
                    inverse[a] = i;
                }
                g.permute_axes(inverse)
            }
            ShapeOp::BroadcastTo => g.sum_to(x.shape()),
            ShapeOp::SumTo => g.broadcast_to(x.shape()),
        }
    }
}

impl<T: Float> Tensor<T> {
    /// Reshape to an exact shape (internal: the element count is already known to match).
    #[track_caller]
    pub(crate) fn reshape_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let data = self
            .data()
            .clone()
            .into_shape_with_order(IxDyn(shape))
            .expect("standard layout, same element count");
        Tensor::from_op(data, Op::Shape(ShapeOp::Reshape), self)
    }

    /// The same elements in a new shape (row-major); one dim may be `-1` and is inferred.
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
        let numel = self.numel();
        let known: usize = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .product();
        let inferred = shape.iter().filter(|&&d| d == -1).count();
        let bad = shape.iter().any(|&d| d < -1)
            || inferred > 1
            || (inferred == 0 && known != numel)
            || (inferred == 1 && (known == 0 || numel % known != 0));
        if bad {
            panic!(
                "tapegrad: reshape: cannot reshape tensor of shape {:?} ({numel} elements) to {shape:?}",
                self.shape()
            );
        }
        let new: Vec<usize> = shape
            .iter()
            .map(|&d| if d == -1 { numel / known } else { d as usize })
            .collect();
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
        let data = standard(self.data().clone().permuted_axes(IxDyn(&axes)));
        Tensor::from_op(data, Op::Shape(ShapeOp::Permute(axes)), self)
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
        let axes: Vec<usize> = dims
            .iter()
            .map(|&d| normalize_dim("permute", d, shape))
            .collect();
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

    /// Repeats the tensor along size-1 (or missing leading) dims to reach `shape`.
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
        if self.numel() == 1 {
            let v = *self.data().iter().next().expect("one element");
            let data = ArrayD::from_elem(IxDyn(shape), v);
            return Tensor::from_op(data, Op::Shape(ShapeOp::BroadcastTo), self);
        }
        let data = match self.data().broadcast(IxDyn(shape)) {
            Some(view) => view.to_owned(),
            None => panic!(
                "tapegrad: broadcast_to: shape {:?} cannot be broadcast to {shape:?}",
                self.shape()
            ),
        };
        Tensor::from_op(standard(data), Op::Shape(ShapeOp::BroadcastTo), self)
    }

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
        let data = sum_to_array(&self.data(), shape);
        Tensor::from_op(data, Op::Shape(ShapeOp::SumTo), self)
    }
}

/// Sums `a` down to `shape` (which `a`'s shape must broadcast from).
fn sum_to_array<T: Float>(a: &ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    // Fast paths on the flat data: everything to one value, or rows summed into a trailing
    // block (a bias gradient: [N, C] to [C] or [1, C]).
    let block: usize = shape.iter().product();
    if let Some(x) = a.as_slice() {
        if block == 1 {
            return ArrayD::from_elem(IxDyn(shape), x.iter().copied().sum());
        }
        let tail = &a.shape()[a.ndim() - shape.len()..];
        let leading_ones = shape.iter().take_while(|&&d| d == 1).count();
        if shape[leading_ones..] == tail[leading_ones..] {
            let mut out = x[..block].to_vec();
            for row in x[block..].chunks_exact(block) {
                out.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
            }
            return ArrayD::from_shape_vec(IxDyn(shape), out).expect("block size");
        }
    }
    let lead = a.ndim() - shape.len();
    let mut out = if lead > 0 {
        a.sum_axis(Axis(0))
    } else {
        a.clone()
    };
    for _ in 1..lead {
        out = out.sum_axis(Axis(0));
    }
    for (d, &s) in shape.iter().enumerate() {
        if s == 1 && out.shape()[d] != 1 {
            out = out.sum_axis(Axis(d)).insert_axis(Axis(d));
        }
    }
    standard(out)
}
