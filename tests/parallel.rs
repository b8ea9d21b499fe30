//! Large matrix products split across threads give the single-thread result, for splits by
//! rows and by columns, forward and backward.

use tapegrad::Tensor;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn close(a: &[f32], b: &[f32]) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
            "element {i}: {x} vs {y}"
        );
    }
}

#[test]
fn threaded_matmul_matches_one_thread() {
    let mut rng = StdRng::seed_from_u64(0);
    // 320×256×160 (rows split) and 96×512×400 (columns split): both above the threshold.
    for (m, k, n) in [(320, 256, 160), (96, 512, 400)] {
        let a = Tensor::<f32>::randn(&[m, k], &mut rng).requires_grad();
        let b = Tensor::<f32>::randn(&[k, n], &mut rng).requires_grad();
        let mut results = Vec::new();
        for threads in [1, 2] {
            tapegrad::set_num_threads(threads);
            a.zero_grad();
            b.zero_grad();
            let y = a.matmul(&b);
            y.square().sum().backward();
            results.push((
                y.to_vec(),
                a.grad().unwrap().to_vec(),
                b.grad().unwrap().to_vec(),
            ));
        }
        close(&results[1].0, &results[0].0);
        close(&results[1].1, &results[0].1);
        close(&results[1].2, &results[0].2);
        // And the product itself is right: one entry against a plain dot product in f64.
        let (av, bv) = (a.to_vec(), b.to_vec());
        let want: f64 = (0..k).map(|p| av[p] as f64 * bv[p * n] as f64).sum();
        assert!(
            (results[1].0[0] as f64 - want).abs() < 1e-3,
            "{} vs {want}",
            results[1].0[0]
        );
    }
}
