//! Every op's value, gradient and second derivative against PyTorch's, from the fixture
//! made by scripts/gen_fixtures.py (relative error ≤ 1e-10 in f64).

use crate::common::{Case, apply, assert_close, load_cases, load_kink_cases, load_nonfinite_cases};
use tapegrad::Tensor;

const REL: f64 = 1e-10;

#[test]
fn values_match_pytorch() {
    for case in load_cases() {
        let y = apply(&case.op, &case.inputs);
        assert_eq!(
            y.shape(),
            case.output.shape(),
            "{}: output shape",
            case.name
        );
        assert_close(
            &format!("{} value", case.name),
            &y.to_vec(),
            &case.output.to_vec(),
            REL,
        );
    }
}

/// Runs each case's op forward and backward and compares the gradients with PyTorch's.
fn check_gradients(cases: &[Case]) {
    for case in cases {
        let xs: Vec<Tensor<f64>> = case
            .inputs
            .iter()
            .map(|x| x.detach().requires_grad())
            .collect();
        let y = apply(&case.op, &xs);
        y.backward_with(&case.upstream);
        for (k, (x, want)) in xs.iter().zip(&case.grads).enumerate() {
            let got = x
                .grad()
                .map(|g| g.to_vec())
                .unwrap_or_else(|| vec![0.0; x.numel()]);
            assert_close(&format!("{} grad of input {k}", case.name), &got, want, REL);
        }
    }
}

#[test]
fn gradients_match_pytorch() {
    check_gradients(&load_cases());
}

/// Inputs exactly at a kink (clamp's bounds, hardswish's ±3, relu's 0, huber's delta,
/// softplus's threshold), a tie (maximum, max, max over a dim and its index, kthvalue, sort,
/// the ∞-norm, max pooling) or a zero (a zero norm, `0^0`, atan2 at the origin, products and
/// cumulative products through zeros, fmod at exact multiples): the one-sided choice or the
/// masked 0/0 PyTorch makes there, not only the smooth parts between them.
#[test]
fn values_and_gradients_at_kinks_match_pytorch() {
    let cases = load_kink_cases();
    assert!(cases.len() >= 49, "the kink fixture has its cases");
    check_values_and_gradients(&cases);
}

/// NaN and infinite inputs to 116 ops (elementwise, binary, reductions, scans,
/// sorts, norms, pools, normalisations, `where`, `matmul`, losses with −inf logits or a total
/// weight of 0): where PyTorch propagates NaN or ±inf and the gradients it gives there,
/// element for element: NaN must be NaN, an infinity the same infinity.
#[test]
fn values_and_gradients_at_nan_and_inf_match_pytorch() {
    let cases = load_nonfinite_cases();
    assert!(cases.len() >= 116, "the non-finite fixture has its cases");
    check_values_and_gradients(&cases);
}

/// Each case's value, then its gradients.
fn check_values_and_gradients(cases: &[Case]) {
    for case in cases {
        let y = apply(&case.op, &case.inputs);
        assert_close(
            &format!("{} value", case.name),
            &y.to_vec(),
            &case.output.to_vec(),
            REL,
        );
    }
    check_gradients(cases);
}

#[test]
fn second_derivatives_match_pytorch() {
    // d/dx <vjp(x, u), w>: exercises every backward formula under create_graph.
    for case in load_cases() {
        let xs: Vec<Tensor<f64>> = case
            .inputs
            .iter()
            .map(|x| x.detach().requires_grad())
            .collect();
        let refs: Vec<&Tensor<f64>> = xs.iter().collect();
        let y = apply(&case.op, &xs);
        let grads = tapegrad::grad_with(&y, &case.upstream, &refs, true);
        let mut inner = Tensor::scalar(0.0);
        for (g, w) in grads.iter().zip(&case.weights) {
            inner = inner + (g * w).sum();
        }
        let second = tapegrad::grad(&inner, &refs, false);
        for (k, (s, want)) in second.iter().zip(&case.second).enumerate() {
            assert_close(
                &format!("{} second derivative, input {k}", case.name),
                &s.to_vec(),
                want,
                REL,
            );
        }
    }
}
