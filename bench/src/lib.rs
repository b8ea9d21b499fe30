//! tapegrad's benchmarks and property tests live in this crate (`benches/`, `tests/`), so
//! that criterion and proptest are not dev-dependencies of the library: examples and
//! programs that use tapegrad never build them.
//!
//! ```text
//! cargo bench -p tapegrad-bench --bench train_step
//! cargo test -p tapegrad-bench
//! ```
