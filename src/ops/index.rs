//! Joining and indexing: `cat stack narrow index_select gather`, and their adjoints
//! (`embed`, `index_add`, `scatter_add`), which are what their backwards are made of.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn, Slice};

use super::{normalize_dim, normalize_dim_for, Grads, Needs, Op};
use crate::{Float, Tensor};

#[derive(Clone, Debug)]
pub(crate) enum IndexOp {
    Cat {
        dim: usize,
    },
    Narrow {
        dim: usize,
        start: usize,
    },
    /// Places the input at `start` along `dim` in zeros of length `size` (narrow's adjoint).
    Embed {
        dim: usize,
        start: usize,
    },
    IndexSelect {
        dim: usize,
        index: Arc<[usize]>,
    },
    /// Adds slices of the input at `index` positions into zeros of length `size`.
    IndexAdd {
        dim: usize,
        index: Arc<[usize]>,
    },
    Gather {
        dim: usize,
        index: Arc<ArrayD<usize>>,
    },
    /// Adds the input's elements at `index` positions into zeros of `shape`.
    ScatterAdd {
        dim: usize,
        index: Arc<ArrayD<usize>>,
    },
}

impl IndexOp {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            IndexOp::Cat { .. } => "cat",
            IndexOp::Narrow { .. } => "narrow",
            IndexOp::Embed { .. } => "embed",
            IndexOp::IndexSelect { .. } => "index_select",
            IndexOp::IndexAdd { .. } => "index_add",
            IndexOp::Gather { .. } => "gather",
            IndexOp::ScatterAdd { .. } => "scatter_add",
        }
    }

    pub(crate) fn backward<T: Float>(
        &self,
        inputs: &[Tensor<T>],
        g: &Tensor<T>,
        needs: Needs,
    ) -> Grads<T> {
        let x = &inputs[0];
        match self {
            IndexOp::Cat { dim } => {
                let mut offset = 0;
                Grads::Many(
                    inputs
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let len = t.shape()[*dim];
                            offset += len;
                            needs.get(i).then(|| g.narrow_at(*dim, offset - len, len))
                        })
                        .collect(),
                )
            }
            IndexOp::Narrow { dim, start } => Grads::one(g.embed(*dim, *start, x.shape()[*dim])),
            IndexOp::Embed { dim, start, .. } => {
                Grads::one(g.narrow_at(*dim, *start, x.shape()[*dim]))
            }
            IndexOp::IndexSelect { dim, index } => {
                Grads::one(g.index_add(*dim, index.clone(), x.shape()[*dim]))
            }
            IndexOp::IndexAdd { dim, index, .. } => Grads::one(g.select_at(*dim, index.clone())),
            IndexOp::Gather { dim, index } => {
                Grads::one(g.scatter_add(*dim, index.clone(), x.shape().to_vec()))
            }
            IndexOp::ScatterAdd { dim, index, .. } => Grads::one(g.gather_at(*dim, index.clone())),
        }
    }
}

impl<T: Float> Tensor<T> {
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
        let guards: Vec<_> = tensors.iter().map(|t| t.data()).collect();
        let views: Vec<_> = guards.iter().map(|g| g.view()).collect();
        let data = ndarray::concatenate(Axis(d), &views).expect("shapes checked");
        drop(guards);
        Tensor::from_op(
            super::standard(data),
            Op::Index(IndexOp::Cat { dim: d }),
            tensors,
        )
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
    fn narrow_at(&self, dim: usize, start: usize, len: usize) -> Tensor<T> {
        if start == 0 && len == self.shape()[dim] {
            return self.clone();
        }
        let data = self
            .data()
            .slice_axis(Axis(dim), Slice::from(start..start + len))
            .to_owned();
        Tensor::from_op(data, Op::Index(IndexOp::Narrow { dim, start }), self)
    }

    /// The elements `start..start + len` along `dim` (a copy).
    ///
    /// # Panics
    /// If the range runs past the end of `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(t.narrow(0, 1, 2).to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("narrow", dim, shape);
        if start + len > shape[d] {
            panic!(
                "tapegrad: narrow: range {start}..{} is out of bounds for dim {dim} of shape {shape:?}",
                start + len
            );
        }
        self.narrow_at(d, start, len)
    }

    #[track_caller]
    fn embed(&self, dim: usize, start: usize, size: usize) -> Tensor<T> {
        let mut shape = self.shape().to_vec();
        let len = shape[dim];
        shape[dim] = size;
        let mut data = ArrayD::zeros(IxDyn(&shape));
        data.slice_axis_mut(Axis(dim), Slice::from(start..start + len))
            .assign(&*self.data());
        Tensor::from_op(data, Op::Index(IndexOp::Embed { dim, start }), self)
    }

    #[track_caller]
    fn select_at(&self, dim: usize, index: Arc<[usize]>) -> Tensor<T> {
        let data = self.data().select(Axis(dim), &index);
        Tensor::from_op(data, Op::Index(IndexOp::IndexSelect { dim, index }), self)
    }

    /// The slices at `indices` along `dim`, in that order (indices may repeat).
    ///
    /// # Panics
    /// If an index is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    /// assert_eq!(t.index_select(0, &[2, 0]).to_vec(), vec![5.0, 6.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &[usize]) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("index_select", dim, shape);
        if let Some(&bad) = indices.iter().find(|&&i| i >= shape[d]) {
            panic!("tapegrad: index_select: index {bad} is out of range for dim {dim} of shape {shape:?}");
        }
        self.select_at(d, indices.into())
    }

    #[track_caller]
    fn index_add(&self, dim: usize, index: Arc<[usize]>, size: usize) -> Tensor<T> {
        let mut shape = self.shape().to_vec();
        shape[dim] = size;
        let mut data = ArrayD::zeros(IxDyn(&shape));
        {
            let src = self.data();
            for (k, &i) in index.iter().enumerate() {
                let mut dst = data.index_axis_mut(Axis(dim), i);
                dst += &src.index_axis(Axis(dim), k);
            }
        }
        Tensor::from_op(data, Op::Index(IndexOp::IndexAdd { dim, index }), self)
    }

    #[track_caller]
    fn gather_at(&self, dim: usize, index: Arc<ArrayD<usize>>) -> Tensor<T> {
        let src = self.data();
        let data = ArrayD::from_shape_fn(index.raw_dim(), |mut ix| {
            ix[dim] = index[&ix];
            src[&ix]
        });
        drop(src);
        Tensor::from_op(data, Op::Index(IndexOp::Gather { dim, index }), self)
    }

    /// Picks along `dim` by `index`, as `torch.gather`: `out[i][j] = self[index[i][j]][j]`
    /// for `dim = 0`. `index` has the same number of dims as `self`, and is no larger than
    /// `self` in the other dims; the result has `index`'s shape.
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// ```
    /// use tapegrad::{ndarray::{arr2, ArrayD}, Tensor};
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let index: ArrayD<usize> = arr2(&[[1], [0]]).into_dyn();
    /// assert_eq!(t.gather(1, &index).to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &ArrayD<usize>) -> Tensor<T> {
        let shape = self.shape();
        let d = normalize_dim("gather", dim, shape);
        let fits = index.ndim() == shape.len()
            && index
                .shape()
                .iter()
                .zip(shape)
                .enumerate()
                .all(|(i, (a, b))| i == d || a <= b);
        if !fits {
            panic!(
                "tapegrad: gather: index of shape {:?} does not fit tensor of shape {shape:?} along dim {dim}",
                index.shape()
            );
        }
        if let Some(&bad) = index.iter().find(|&&i| i >= shape[d]) {
            panic!(
                "tapegrad: gather: index {bad} is out of range for dim {dim} of shape {shape:?}"
            );
        }
        self.gather_at(d, Arc::new(index.clone()))
    }

    #[track_caller]
    fn scatter_add(&self, dim: usize, index: Arc<ArrayD<usize>>, shape: Vec<usize>) -> Tensor<T> {
        let mut data = ArrayD::zeros(IxDyn(&shape));
        {
            let src = self.data();
            for (ix, &i) in index.indexed_iter() {
                let mut to = ix.clone();
                to[dim] = i;
                data[&to] += src[&ix];
            }
        }
        Tensor::from_op(data, Op::Index(IndexOp::ScatterAdd { dim, index }), self)
    }
}
