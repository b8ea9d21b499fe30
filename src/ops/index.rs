//! Joining and indexing: `cat stack index_select gather`, and their adjoints (`index_add`,
//! `scatter_add`), which are what their backwards are made of.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn};

use super::{normalize_dim, normalize_dim_for};
use crate::autograd::{Context, Function, Grads};
use crate::{Float, Tensor};

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
        Grads::one(g.index_add(self.dim, self.index.clone(), size))
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
    dim: usize,
    index: Arc<ArrayD<usize>>,
}

impl<T: Float> Function<T> for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let shape = ctx.input_shape(0).to_vec();
        Grads::one(g.scatter_add(self.dim, self.index.clone(), shape))
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
        let data = {
            let guards: Vec<_> = tensors.iter().map(|t| t.data()).collect();
            let views: Vec<_> = guards.iter().map(|g| g.view()).collect();
            ndarray::concatenate(Axis(d), &views).expect("shapes checked")
        };
        Tensor::from_op(data, Cat { dim: d }, tensors)
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
        Tensor::from_op(data, IndexSelect { dim, index }, self)
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
            panic!(
                "tapegrad: index_select: index {bad} is out of range for dim {dim} of shape {shape:?}"
            );
        }
        self.select_at(d, indices.into())
    }

    #[track_caller]
    fn index_add(&self, dim: usize, index: Arc<[usize]>, size: usize) -> Tensor<T> {
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
    fn gather_at(&self, dim: usize, index: Arc<ArrayD<usize>>) -> Tensor<T> {
        let data = {
            let guard = self.data();
            let src = guard.view();
            ArrayD::from_shape_fn(index.raw_dim(), |mut ix| {
                ix[dim] = index[&ix];
                src[&ix]
            })
        };
        Tensor::from_op(data, Gather { dim, index }, self)
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
            let guard = self.data();
            let src = guard.view();
            for (ix, &i) in index.indexed_iter() {
                let mut to = ix.clone();
                to[dim] = i;
                data[&to] += src[&ix];
            }
        }
        Tensor::from_op(data, ScatterAdd { dim, index }, self)
    }
}
