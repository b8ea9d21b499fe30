//! Large matrix products run across threads give the single-thread result: f32 products
//! (tapegrad's kernel, blocks claimed by the threads as they go) and f64 ones (matrixmultiply,
//! split by rows or by columns), forward and backward.

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
    // 480×256×160 and 96×512×400: both at least 16M multiply–adds, the size that gets two
    // threads.
    for (m, k, n) in [(480, 256, 160), (96, 512, 400)] {
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

#[test]
fn threaded_f64_matmul_matches_one_thread() {
    let mut rng = StdRng::seed_from_u64(2);
    // Rows split (the longer side) and columns split; both at least 16M multiply–adds, the
    // size that gets two threads.
    for (m, k, n) in [(600, 200, 150), (100, 400, 450)] {
        let a = Tensor::<f64>::randn(&[m, k], &mut rng);
        let b = Tensor::<f64>::randn(&[k, n], &mut rng);
        let mut results = Vec::new();
        for threads in [1, 2] {
            tapegrad::set_num_threads(threads);
            results.push(a.matmul(&b).to_vec());
        }
        for (i, (x, y)) in results[1].iter().zip(&results[0]).enumerate() {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                "element {i}: {x} vs {y}"
            );
        }
        let (av, bv) = (a.to_vec(), b.to_vec());
        let last = m * n - 1;
        let want: f64 = (0..k)
            .map(|p| av[(m - 1) * k + p] * bv[p * n + n - 1])
            .sum();
        assert!(
            (results[1][last] - want).abs() < 1e-9,
            "{} vs {want}",
            results[1][last]
        );
    }
}

#[test]
fn threaded_convolution_matches_one_thread() {
    // 7 images of 16×24×24 through 32 filters of 3×3: enough work to split the images
    // across two threads (4 and 3), each image too small to split by itself.
    let mut rng = StdRng::seed_from_u64(1);
    let x = Tensor::<f32>::randn(&[7, 16, 24, 24], &mut rng).requires_grad();
    let w = Tensor::<f32>::randn(&[32, 16, 3, 3], &mut rng).requires_grad();
    let mut results = Vec::new();
    for threads in [1, 2] {
        tapegrad::set_num_threads(threads);
        x.zero_grad();
        w.zero_grad();
        let y = tapegrad::nn::functional::conv2d(&x, &w, None, 1, 1, 1, 1);
        y.square().sum().backward();
        results.push((
            y.to_vec(),
            x.grad().unwrap().to_vec(),
            w.grad().unwrap().to_vec(),
        ));
    }
    // Each image is computed the same way on either thread; the weight's gradient is summed
    // per thread, then across them.
    assert_eq!(results[1].0, results[0].0);
    assert_eq!(results[1].1, results[0].1);
    close(&results[1].2, &results[0].2);
    // And the result is a convolution: one output element against a plain sum in f64.
    let (xv, wv) = (x.to_vec(), w.to_vec());
    let (o, i, j) = (5, 7, 0); // filter 5 at row 7, column 0 (its left taps in the padding)
    let mut want = 0.0f64;
    for c in 0..16 {
        for di in 0..3 {
            for dj in 1..3 {
                let (r, q) = (i + di - 1, j + dj - 1);
                want +=
                    xv[(c * 24 + r) * 24 + q] as f64 * wv[((o * 16 + c) * 3 + di) * 3 + dj] as f64;
            }
        }
    }
    let got = results[1].0[(o * 24 + i) * 24 + j] as f64;
    assert!((got - want).abs() < 1e-3, "{got} vs {want}");
}
