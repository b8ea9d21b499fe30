//! # tapegrad
//!
//! A small tensor and reverse-mode autograd library in pure Rust, with PyTorch's names and
//! semantics. An ndarray-backed [`Tensor`] records the ops applied to it; [`Tensor::backward`]
//! walks that record in reverse and accumulates gradients into the leaves.
//!
//! ```
//! use tapegrad::prelude::*;
//!
//! let w = Tensor::from_vec(vec![0.5f32, -1.0], &[2]).requires_grad();
//! let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
//! let loss = (&w * &x).sum().square();   // (w·x)² = (1 - 3)² = 4
//! loss.backward();
//! assert_eq!(loss.item(), 4.0);
//! assert_eq!(w.grad().unwrap().to_vec(), vec![-8.0, -12.0]); // 2(w·x)·x
//! ```
//!
//! See `ARCHITECTURE.md` for how the pieces fit together.
#![deny(missing_docs)]

// `#[derive(Module)]` names `::tapegrad::...`, which must resolve inside this crate too.
extern crate self as tapegrad;

// Floors, bottom up; a module only imports from its own floor or below.
// 1: the tensor handle, storage and views, the autograd node, the op trait.
mod error;
mod parallel;
mod tensor;
// 2: the ops, one type each.
mod ops;
// 3: the engine.
pub mod autograd;
// 4: models, training, files.
pub mod data;
mod display;
pub mod io;
pub mod loss;
pub mod nn;
pub mod optim;
// Unoptimised builds: the public API compiled once for the element types users write.
#[cfg(all(debug_assertions, feature = "instances"))]
#[doc(hidden)]
pub mod instances;

pub use autograd::backward::{grad, grad_with, is_anomaly_enabled, set_detect_anomaly};
pub use autograd::gradcheck::gradcheck;
pub use error::{Error, Result};
pub use ops::compare::{Operand, one_hot};
pub use ops::fold::Windows;
pub use ops::index::{IndexArray, Indices};
pub use ops::indexing::{IndexItem, IntoIndexItem, TensorIndex};
pub use ops::rearrange::{PadMode, einsum};
pub use ops::select::where_cond;
pub use parallel::{num_threads, set_num_threads};
pub use tensor::element::{DType, Element, Float};
pub use tensor::grad_mode::{NoGradGuard, no_grad};
pub use tensor::node::live_tensors;
pub use tensor::pool::{cached_bytes, empty_cache};
pub use tensor::{Data, DataMut, Tensor};

/// The `Module` trait and, in the macro namespace, `#[derive(Module)]` (as serde's
/// `Serialize`): see [`nn::Module`] for both.
pub use nn::Module;
#[doc(hidden)]
pub use tapegrad_derive::Module;

/// The ndarray version tapegrad is built on, so callers can pass arrays without matching
/// versions by hand.
pub use ndarray;
/// The rand version tapegrad is built on, for rngs passed to constructors and layers.
pub use rand;

/// The names most programs need: `use tapegrad::prelude::*;`.
pub mod prelude {
    pub use crate::Module;
    pub use crate::nn;
    pub use crate::optim::{self, Optimizer};
    pub use crate::{Element, Float, NoGradGuard, Tensor, loss, no_grad};
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn tensor_is_send_and_sync() {
        assert_send_sync::<crate::Tensor<f32>>();
        assert_send_sync::<crate::Tensor<f64>>();
    }
}

/// The README's code blocks, run as doctests so the quick start stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
