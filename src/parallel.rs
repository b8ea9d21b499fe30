//! How many threads tapegrad may use, and the one place work is split across them.
//!
//! Only large matrix products are split: a thread hand-off costs microseconds, which would
//! dominate the small ops of small models, so everything below a size threshold runs on the
//! calling thread.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// 0 means "not set by `set_num_threads`": use the environment's default.
static THREADS: AtomicUsize = AtomicUsize::new(0);
static DEFAULT: OnceLock<usize> = OnceLock::new();

/// Multiply–adds below which a matrix product stays on one thread (about 40 µs of work).
pub(crate) const PARALLEL_MIN_MACS: usize = 8 << 20;

/// The number of threads tapegrad uses for large matrix products.
///
/// Set by [`set_num_threads`], else by the environment variable `TAPEGRAD_NUM_THREADS`, else
/// the machine's available parallelism.
///
/// ```
/// assert!(tapegrad::num_threads() >= 1);
/// ```
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => *DEFAULT.get_or_init(|| {
            std::env::var("TAPEGRAD_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        }),
        n => n,
    }
}

/// Sets the number of threads for large matrix products (at least 1), for the whole process,
/// as `torch.set_num_threads`. It can be changed at any time.
///
/// ```
/// tapegrad::set_num_threads(1);
/// assert_eq!(tapegrad::num_threads(), 1);
/// ```
pub fn set_num_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

/// How many threads a job of `work` multiply–adds should use.
pub(crate) fn threads_for(work: usize) -> usize {
    if work < PARALLEL_MIN_MACS {
        1
    } else {
        num_threads().min(work / PARALLEL_MIN_MACS).max(1)
    }
}
