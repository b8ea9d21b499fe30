use rand::Rng;

use crate::{Float, Module, Tensor};

/// `y = x·Wᵀ + b`, as `torch.nn.Linear`: weight `[out, in]`, bias `[out]`, both initialised
/// U(−1/√in, 1/√in) (PyTorch's default, kaiming-uniform with a = √5).
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let layer = nn::Linear::<f32>::new(3, 2, &mut StdRng::seed_from_u64(0));
/// assert_eq!(layer.weight.shape(), &[2, 3]);
/// assert_eq!(layer.forward(&Tensor::ones(&[5, 3])).shape(), &[5, 2]);
/// ```
#[derive(Module)]
pub struct Linear<T: Float = f32> {
    /// `[out_features, in_features]`.
    pub weight: Tensor<T>,
    /// `[out_features]`, or `None` for a layer built without bias.
    pub bias: Option<Tensor<T>>,
}

impl<T: Float> Linear<T> {
    /// A layer with bias and PyTorch's default initialisation.
    pub fn new<R: Rng + ?Sized>(in_features: usize, out_features: usize, rng: &mut R) -> Self {
        let mut layer = Self::without_bias(in_features, out_features, rng);
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        layer.bias = Some(uniform(&[out_features], bound, rng).requires_grad());
        layer
    }

    /// A layer without bias (`bias=False`).
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
    /// let layer = nn::Linear::<f32>::without_bias(3, 2, &mut StdRng::seed_from_u64(0));
    /// assert_eq!(layer.parameters().len(), 1);
    /// ```
    pub fn without_bias<R: Rng + ?Sized>(
        in_features: usize,
        out_features: usize,
        rng: &mut R,
    ) -> Self {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        Linear {
            weight: uniform(&[out_features, in_features], bound, rng).requires_grad(),
            bias: None,
        }
    }

    /// A layer with the given weight `[out, in]` and optional bias `[out]`.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let layer = nn::Linear::from_tensors(Tensor::<f32>::eye(2), None);
    /// assert_eq!(layer.forward(&Tensor::ones(&[1, 2])).to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Self {
        let as_param = |t: Tensor<T>| {
            if t.is_requires_grad() {
                t
            } else {
                t.requires_grad()
            }
        };
        Linear {
            weight: as_param(weight),
            bias: bias.map(as_param),
        }
    }
}

/// A tensor of U(−bound, bound) samples.
pub(crate) fn uniform<T: Float, R: Rng + ?Sized>(
    shape: &[usize],
    bound: f64,
    rng: &mut R,
) -> Tensor<T> {
    let n = shape.iter().product();
    let data = (0..n)
        .map(|_| T::of_f64(rng.random_range(-bound..bound)))
        .collect();
    Tensor::from_vec(data, shape)
}

impl<T: Float> Linear<T> {
    /// `x·Wᵀ + b` for `x` of shape `[.., in]` (or `[in]`).
    ///
    /// # Panics
    /// If the last dim of `x` is not `in_features`.
    #[track_caller]
    pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        super::functional::linear(x, &self.weight, self.bias.as_ref())
    }
}
