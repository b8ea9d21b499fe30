//! tapegrad's property tests live in this crate (`tests/properties.rs`), so that proptest is
//! not a dev-dependency of the library: examples and programs that use tapegrad never build
//! it, and neither does the test command build criterion (a dev-dependency of `bench/` only).
//!
//! ```text
//! cargo test -p tapegrad-proptests
//! ```
