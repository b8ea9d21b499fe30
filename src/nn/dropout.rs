use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::Module;
use crate::{Float, Tensor};

static NEXT_SEED: AtomicU64 = AtomicU64::new(0x5eed);

/// Zeroes each element with probability `p` in training mode and scales the rest by
/// `1/(1−p)`; the identity in eval mode (`train(false)`), as `torch.nn.Dropout`.
///
/// ```
/// use tapegrad::prelude::*;
/// let mut drop = nn::Dropout::with_seed(0.5, 7);
/// let x = Tensor::<f32>::ones(&[1000]);
/// let y = drop.forward(&x).to_vec();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.train(false);
/// assert_eq!(drop.forward(&x).to_vec(), x.to_vec());
/// ```
pub struct Dropout {
    p: f64,
    training: bool,
    rng: Mutex<StdRng>,
}

impl Dropout {
    /// Dropout with probability `p`, its masks drawn from a per-layer seeded rng (each new
    /// layer in a process gets the next seed, so runs are reproducible).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64) -> Self {
        Self::with_seed(p, NEXT_SEED.fetch_add(1, Ordering::Relaxed))
    }

    /// Dropout whose masks come from an rng seeded with `seed`.
    #[track_caller]
    pub fn with_seed(p: f64, seed: u64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "tapegrad: Dropout: p = {p} is not in [0, 1]"
        );
        Dropout {
            p,
            training: true,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Training mode (masks drawn) or eval mode (the identity); the same as
    /// [`Module::train`], callable without naming the element type.
    pub fn train(&mut self, mode: bool) {
        self.training = mode;
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        if !self.training || self.p == 0.0 {
            return x.clone();
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        super::functional::dropout(x, self.p, true, &mut *rng)
    }

    fn train(&mut self, mode: bool) {
        Dropout::train(self, mode);
    }

    fn training_state(&self) -> Option<bool> {
        Some(self.training)
    }
}
