//! Runs one training workload of BENCHMARKS.md for many steps and reports time per step and
//! memory: resident set size at step 100 and at the end, and the peak, against the bytes the
//! model needs (parameters, gradients, Adam state). Linux only for the memory figures.
//!
//!     cargo run --release --example train_memory -- W3_mnist 1000

#[path = "../bench/benches/common/workloads.rs"]
mod workloads;

use tapegrad::nn::Module;

/// A field of /proc/self/status in KiB (VmRSS, VmHWM), or 0 where unavailable.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map(String::as_str).unwrap_or("W3_mnist");
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mut w = workloads::all()
        .into_iter()
        .find(|w| w.name == name)
        .expect("W1_xor … W5_linreg");
    let param_bytes: usize = w.model.parameters().iter().map(|p| p.numel() * 4).sum();
    let start = std::time::Instant::now();
    let (mut rss_100, mut loss) = (0, 0.0);
    for step in 1..=steps {
        loss = w.step();
        if step == 100 {
            rss_100 = status_kib("VmRSS:");
        }
    }
    let per_step = start.elapsed().as_secs_f64() / steps as f64;
    let (rss_end, peak) = (status_kib("VmRSS:"), status_kib("VmHWM:"));
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{name}: {steps} steps, {:.1} µs/step, final loss {loss:.4}",
        per_step * 1e6
    );
    println!(
        "parameters {:.2} MiB; + gradients + Adam moments = {:.2} MiB",
        param_bytes as f64 / 1048576.0,
        4.0 * param_bytes as f64 / 1048576.0
    );
    println!(
        "RSS at step 100 {:.1} MiB, at step {steps} {:.1} MiB, peak {:.1} MiB",
        mib(rss_100),
        mib(rss_end),
        mib(peak)
    );
}
