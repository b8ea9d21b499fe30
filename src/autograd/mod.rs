//! The engine: the reverse walk ([`backward`](crate::Tensor::backward), [`grad`](crate::grad)),
//! and the tools around it (gradcheck, DOT graphs, anomaly detection).
//!
//! It also hosts the public face of the op trait, so users add ops with their own backward:
//! implement [`Function`], compute the forward values, and record them with
//! [`Tensor::from_function`](crate::Tensor::from_function).

pub(crate) mod backward;
mod dot;
pub(crate) mod gradcheck;

pub use crate::tensor::function::{Context, Function, Grads};
