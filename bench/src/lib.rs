//! tapegrad's benchmarks live in this crate (`benches/`), so that criterion is not a
//! dev-dependency of the library: examples, programs that use tapegrad and the test command
//! never build it. Property tests are in `proptests/`.
//!
//! ```text
//! cargo bench -p tapegrad-bench --bench train_step
//! ```
