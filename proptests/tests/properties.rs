//! Property tests over random shapes and values.

use approx::assert_relative_eq;
use proptest::prelude::*;
use tapegrad::Tensor;

/// A shape and another that broadcasts with it (some dims set to 1, some leading dims dropped).
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(1usize..4, 1..4)
        .prop_flat_map(|full| {
            let n = full.len();
            (Just(full), prop::collection::vec(any::<bool>(), n), 0..n)
        })
        .prop_map(|(full, ones, drop)| {
            let small: Vec<usize> = full
                .iter()
                .zip(&ones)
                .skip(drop)
                .map(|(&d, &one)| if one { 1 } else { d })
                .collect();
            (full, small)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn broadcast_gradient_counts_the_copies((full, small) in broadcast_pair()) {
        // d/db sum(a + b) = how many times each element of b was broadcast.
        let a = Tensor::<f64>::zeros(&full);
        let b = Tensor::<f64>::zeros(&small).requires_grad();
        (&a + &b).sum().backward();
        let copies = full.iter().product::<usize>() / small.iter().product::<usize>().max(1);
        let g = b.grad().unwrap();
        prop_assert_eq!(g.shape(), &small[..]);
        prop_assert!(g.to_vec().iter().all(|&v| v == copies as f64));
    }

    #[test]
    fn sum_to_undoes_broadcast_to((full, small) in broadcast_pair(), seed in 0u64..1000) {
        use tapegrad::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(seed);
        let b = Tensor::<f64>::randn(&small, &mut rng);
        let copies = (full.iter().product::<usize>() / small.iter().product::<usize>()) as f64;
        let back = b.broadcast_to(&full).sum_to(&small);
        for (x, y) in back.to_vec().iter().zip(b.to_vec()) {
            assert_relative_eq!(*x, y * copies, max_relative = 1e-12);
        }
    }

    #[test]
    fn softmax_rows_sum_to_one(values in prop::collection::vec(-1000.0f64..1000.0, 12)) {
        let x = Tensor::from_vec(values, &[3, 4]);
        let p = x.softmax(-1);
        for row in p.sum_dim(-1, false).to_vec() {
            assert_relative_eq!(row, 1.0, max_relative = 1e-12);
        }
        let lse = x.logsumexp(-1, true);
        let lp = x.log_softmax(-1);
        for (a, b) in lp.to_vec().iter().zip((&x - &lse).to_vec()) {
            assert_relative_eq!(*a, b, epsilon = 1e-9);
        }
    }

    #[test]
    fn reshape_and_permute_round_trip(dims in prop::collection::vec(1usize..4, 1..5)) {
        let n: usize = dims.iter().product();
        let x = Tensor::from_vec((0..n).map(|v| v as f64).collect(), &dims);
        let flat = x.reshape(&[-1]);
        prop_assert_eq!(flat.to_vec(), x.to_vec());
        let rev: Vec<isize> = (0..dims.len() as isize).rev().collect();
        let back = x.permute(&rev).permute(&rev);
        prop_assert_eq!(back.to_vec(), x.to_vec());
    }

    #[test]
    fn owned_operands_give_the_borrowed_results(
        (full, small) in broadcast_pair(),
        seed in 0u64..1000,
        s in -3.0f32..3.0,
    ) {
        // `a op b` with `a` given up (its buffer may hold the result) must equal `&a op &b`
        // bit for bit, for same-shape and broadcast right operands alike (f32: the SIMD
        // in-place loops run on more than 4 elements).
        use tapegrad::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(seed);
        let a = Tensor::<f32>::randn(&full, &mut rng);
        let same = Tensor::<f32>::randn(&full, &mut rng);
        let b = Tensor::<f32>::randn(&small, &mut rng).abs() + 0.5;
        let fresh = || Tensor::from_vec(a.to_vec(), &full);
        let bits = |t: &Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for other in [&same, &b] {
            prop_assert_eq!(bits(&(fresh() + other)), bits(&(&a + other)));
            prop_assert_eq!(bits(&(fresh() - other)), bits(&(&a - other)));
            prop_assert_eq!(bits(&(fresh() * other)), bits(&(&a * other)));
            prop_assert_eq!(bits(&(fresh() / other)), bits(&(&a / other)));
        }
        prop_assert_eq!(bits(&(fresh() * s)), bits(&(&a * s)));
        prop_assert_eq!(bits(&(fresh() + s)), bits(&(&a + s)));
        prop_assert_eq!(bits(&(fresh() - s)), bits(&(&a - s)));
        prop_assert_eq!(bits(&(fresh() / (s.abs() + 0.5))), bits(&(&a / (s.abs() + 0.5))));
        prop_assert_eq!(bits(&(-fresh())), bits(&(-&a)));
    }

    #[test]
    fn backward_through_owned_gradients_matches_a_kept_upstream(
        dims in prop::collection::vec(1usize..6, 1..4),
        seed in 0u64..1000,
    ) {
        // The same graph, once with backward() (the walk's own gradients, scaled in place)
        // and once with grad() on every intermediate (each gradient also handed out, so
        // never written in place): the leaf gradients agree bit for bit.
        use tapegrad::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(seed);
        let x = Tensor::<f32>::randn(&dims, &mut rng).requires_grad();
        let w = Tensor::<f32>::randn(&dims, &mut rng).requires_grad();
        let h = (&x * &w).tanh();
        let r = (&h * 0.5).sigmoid();
        let y = (&(&r * &h).exp() / 3.0).relu().sum();
        y.backward();
        let handed = tapegrad::grad(&y, &[&x, &w, &h, &r], false);
        let bits = |t: &Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&x.grad().unwrap()), bits(&handed[0]));
        prop_assert_eq!(bits(&w.grad().unwrap()), bits(&handed[1]));
    }
}
