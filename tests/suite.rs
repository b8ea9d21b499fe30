//! Most integration tests, compiled into this one binary (one link instead of a dozen keeps
//! the cold test build short). Tests that change process-wide state — the anomaly flag, the
//! thread count, the live-tensor count, threads under a timeout — have binaries of their own
//! (see Cargo.toml).

mod common;
/// What the examples share (the digits split, progress display), tested here too.
#[path = "../examples/common/mod.rs"]
mod examples_common;

mod attention;
mod autograd;
mod data;
mod defects;
mod dtypes;
mod gradcheck_ops;
mod inplace;
mod layers;
mod masks_and_indices;
mod modules;
mod nn_pytorch;
mod progress;
mod pytorch_ops;
mod recurrent;
mod resume;
mod shape_errors;
mod training;
mod views;
