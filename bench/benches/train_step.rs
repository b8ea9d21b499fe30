//! Full training steps (zero grads, forward, loss, backward, optimizer step) of the five
//! workloads in BENCHMARKS.md, named `train_step/W1_xor` and so on. `bench/compare.sh` runs
//! these next to PyTorch at 1 and 2 threads.
//!
//!     TAPEGRAD_NUM_THREADS=1 cargo bench -p tapegrad-bench --bench train_step

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/workloads.rs"]
mod workloads;

fn train_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step");
    for mut w in workloads::all() {
        let heavy = w.name == "W4_wide";
        group.sample_size(if heavy { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if heavy { 8 } else { 3 }));
        group.bench_function(w.name, |b| b.iter(|| w.step()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500));
    targets = train_step
}
criterion_main!(benches);
