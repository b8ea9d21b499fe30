use super::{Module, prefixed};
use crate::{Float, Tensor};

/// Layers applied in order, with parameter names exactly as a PyTorch `nn.Sequential`
/// state_dict (`"0.weight"`, `"0.bias"`, `"2.weight"`, ...: the layer's index, a dot, its name).
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let mlp = nn::Sequential::<f32>::new()
///     .add(nn::Linear::new(4, 16, &mut rng))
///     .add(nn::Tanh)
///     .add(nn::Linear::new(16, 3, &mut rng));
/// assert_eq!(mlp.len(), 3);
/// assert_eq!(mlp.parameters().len(), 4);
/// ```
pub struct Sequential<T: Float = f32> {
    layers: Vec<Box<dyn Module<T>>>,
    training: bool,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Sequential {
            layers: Vec::new(),
            training: true,
        }
    }
}

impl<T: Float> Sequential<T> {
    /// An empty sequence (the identity).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a layer (a builder).
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends an already boxed layer.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// let mut seq = nn::Sequential::<f32>::new();
    /// seq.push(Box::new(nn::ReLU));
    /// assert_eq!(seq.len(), 1);
    /// ```
    pub fn push(&mut self, layer: Box<dyn Module<T>>) {
        self.layers.push(layer);
    }

    /// How many layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when there are no layers.
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// assert!(nn::Sequential::<f32>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    #[track_caller]
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h);
        }
        h
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.named_parameters()))
            .collect()
    }

    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.named_buffers()))
            .collect()
    }

    fn state_dict(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.state_dict()))
            .collect()
    }

    fn train(&mut self, mode: bool) {
        self.training = mode;
        for l in &mut self.layers {
            l.train(mode);
        }
    }

    fn training_state(&self) -> Option<bool> {
        Some(self.training)
    }

    fn children(&self) -> Vec<(String, &dyn Module<T>)> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| (i.to_string(), l.as_ref()))
            .collect()
    }
}
