use rand::Rng;

use super::Module;
use crate::{Float, Tensor};

/// A lookup table of `n` vectors of size `dim`, as `torch.nn.Embedding` (initialised N(0, 1)).
///
/// `forward` takes a tensor of indices stored as floats (any shape) and returns its shape plus
/// `[dim]`; [`Embedding::forward_ids`] takes a `Tensor<i64>` of ids and [`Embedding::lookup`]
/// `usize` indices.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let emb = nn::Embedding::<f32>::new(10, 4, &mut StdRng::seed_from_u64(0));
/// let ids = Tensor::from_vec(vec![1.0, 7.0, 7.0], &[3]);
/// assert_eq!(emb.forward(&ids).shape(), &[3, 4]);
/// assert_eq!(emb.lookup(&[1, 2], &[2]).shape(), &[2, 4]);
/// ```
pub struct Embedding<T: Float = f32> {
    /// `[n, dim]`.
    pub weight: Tensor<T>,
}

impl<T: Float> Embedding<T> {
    /// A table of `n` embeddings of size `dim`.
    pub fn new<R: Rng + ?Sized>(n: usize, dim: usize, rng: &mut R) -> Self {
        Embedding {
            weight: Tensor::randn(&[n, dim], rng).requires_grad(),
        }
    }

    /// The rows at `indices`, arranged in `shape` (whose element count is `indices.len()`).
    ///
    /// # Panics
    /// If an index is out of range or `shape` does not hold the indices.
    #[track_caller]
    pub fn lookup(&self, indices: &[usize], shape: &[usize]) -> Tensor<T> {
        if shape.iter().product::<usize>() != indices.len() {
            panic!(
                "tapegrad: Embedding: {} indices do not fill shape {shape:?}",
                indices.len()
            );
        }
        let dim = self.weight.shape()[1];
        let mut out: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        out.push(dim as isize);
        self.weight.index_select(0, indices).reshape(&out)
    }

    /// The rows at `ids` (any shape), as PyTorch's `embedding(ids)`: the result has `ids`'s
    /// shape plus `[dim]`.
    ///
    /// # Panics
    /// If an id is negative or not below the table size.
    ///
    /// ```
    /// use tapegrad::{nn::Embedding, rand::{rngs::StdRng, SeedableRng}, Tensor};
    /// let emb = Embedding::<f32>::new(10, 4, &mut StdRng::seed_from_u64(0));
    /// let ids = Tensor::<i64>::from_vec(vec![1, 7, 7, 0], &[2, 2]);
    /// assert_eq!(emb.forward_ids(&ids).shape(), &[2, 2, 4]);
    /// ```
    #[track_caller]
    pub fn forward_ids(&self, ids: &Tensor<i64>) -> Tensor<T> {
        super::functional::embedding(ids, &self.weight)
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let n = self.weight.shape()[0];
        let values = x.to_vec();
        let mut indices = Vec::with_capacity(values.len());
        // A loop, not a closure: a panic here must point at the caller's line.
        for v in values {
            match v.to_usize() {
                Some(i) if T::from_usize(i) == Some(v) && i < n => indices.push(i),
                _ => panic!("tapegrad: Embedding: {v} is not an index below {n}"),
            }
        }
        self.lookup(&indices, x.shape())
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![("weight".into(), self.weight.clone())]
    }
}
