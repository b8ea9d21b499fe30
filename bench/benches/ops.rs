//! Op-level benchmarks: the cost of recording one tiny op (forward + backward), views of a
//! 16M-element tensor (O(1)), elementwise throughput on 1M elements, and matmul forward +
//! backward.
//!
//!     cargo bench -p tapegrad-bench --bench ops

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tapegrad::rand::{SeedableRng, rngs::StdRng};
use tapegrad::{Tensor, no_grad};

/// A chain of this many tiny ops is built and back-propagated per iteration.
const CHAIN: usize = 100;

fn recording_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("tape");
    group.throughput(Throughput::Elements(CHAIN as u64));
    let x = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad();
    group.bench_function("tiny_op_forward_backward", |b| {
        b.iter(|| {
            let mut y = x.clone();
            for _ in 0..CHAIN {
                y = &y * 1.0001;
            }
            y.backward();
            x.zero_grad();
        })
    });
    group.bench_function("tiny_op_forward_no_grad", |b| {
        b.iter(|| {
            no_grad(|| {
                let mut y = x.clone();
                for _ in 0..CHAIN {
                    y = &y * 1.0001;
                }
                black_box(y)
            })
        })
    });
    group.finish();
}

fn elementwise(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    let n = 1 << 20;
    let a = Tensor::<f32>::randn(&[n], &mut rng);
    let b = Tensor::<f32>::randn(&[n], &mut rng);
    let mut group = c.benchmark_group("elementwise_1M");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("add", |bch| bch.iter(|| black_box(&a + &b)));
    group.bench_function("mul", |bch| bch.iter(|| black_box(&a * &b)));
    group.bench_function("exp", |bch| bch.iter(|| black_box(a.exp())));
    group.bench_function("sin", |bch| bch.iter(|| black_box(a.sin())));
    group.bench_function("sigmoid", |bch| bch.iter(|| black_box(a.sigmoid())));
    group.bench_function("tanh", |bch| bch.iter(|| black_box(a.tanh())));
    group.bench_function("gt", |bch| bch.iter(|| black_box(a.gt(&b))));
    group.bench_function("gt_scalar", |bch| bch.iter(|| black_box(a.gt(0.5))));
    let mask = a.gt(&b);
    group.bench_function("where_cond", |bch| {
        bch.iter(|| black_box(tapegrad::where_cond(&mask, &a, &b)))
    });
    group.finish();

    // Sorting 1M f32: tapegrad's sort (values and indices) beside the standard library's
    // unstable sort of the bare values, the yardstick.
    let mut group = c.benchmark_group("sort_1M");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function("tapegrad_sort", |bch| {
        bch.iter(|| black_box(a.sort(0, false)))
    });
    let values = a.to_vec();
    group.bench_function("std_sort_unstable_by", |bch| {
        bch.iter(|| {
            let mut v = values.clone();
            v.sort_unstable_by(|x, y| x.total_cmp(y));
            black_box(v)
        })
    });
    group.finish();
}

fn matmul(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    // Forward only, the figure compared with PyTorch's `a @ b` GFLOP/s.
    let mut group = c.benchmark_group("matmul_forward");
    let (a, b) = (
        Tensor::<f32>::randn(&[1024, 1024], &mut rng),
        Tensor::<f32>::randn(&[1024, 1024], &mut rng),
    );
    group.throughput(Throughput::Elements(2 * 1024 * 1024 * 1024));
    group.bench_function("1024", |bch| bch.iter(|| black_box(a.matmul(&b))));
    group.finish();

    let mut group = c.benchmark_group("matmul_forward_backward");
    for n in [256usize, 512, 1024] {
        let a = Tensor::<f32>::randn(&[n, n], &mut rng).requires_grad();
        let b = Tensor::<f32>::randn(&[n, n], &mut rng).requires_grad();
        // Forward + two backward GEMMs.
        group.throughput(Throughput::Elements((3 * 2 * n * n * n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bch, _| {
            bch.iter(|| {
                a.matmul(&b).sum().backward();
                a.zero_grad();
                b.zero_grad();
            })
        });
    }
    group.finish();
}

/// Views of a 16M-element tensor: O(1), whatever the size (no element is copied).
fn views(c: &mut Criterion) {
    let x = Tensor::<f32>::zeros(&[4096, 4096]);
    let mut group = c.benchmark_group("view_16M");
    group.bench_function("reshape", |b| b.iter(|| black_box(x.reshape(&[-1, 1024]))));
    group.bench_function("t", |b| b.iter(|| black_box(x.t())));
    group.bench_function("narrow", |b| b.iter(|| black_box(x.narrow(1, 100, 2000))));
    group.bench_function("expand", |b| {
        let row = x.select(0, 0);
        b.iter(|| black_box(row.expand(&[4096, -1])))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = recording_overhead, views, elementwise, matmul
}
criterion_main!(benches);
