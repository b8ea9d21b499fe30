//! Every differentiable op passes finite-difference gradcheck in f64, on the shapes of the
//! fixture cases: broadcast pairs ([3,1,4] with [2,4], scalar with matrix), size-1 dims, 1-D
//! and 0-d inputs. The same for the second derivative (gradcheck of the gradient itself).

use crate::common::{apply, load_cases};
use tapegrad::{Tensor, gradcheck};

#[test]
fn every_op_passes_gradcheck() {
    for case in load_cases() {
        let op = case.op.clone();
        gradcheck(|x| apply(&op, x), &case.inputs, 1e-6, 1e-7, 1e-5)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

#[test]
fn every_op_passes_gradgradcheck() {
    // The function checked is x ↦ <vjp(x, u), w>, whose gradient needs create_graph.
    for case in load_cases() {
        let op = case.op.clone();
        let (u, w) = (case.upstream.clone(), case.weights.clone());
        let f = |x: &[Tensor<f64>]| {
            let refs: Vec<&Tensor<f64>> = x.iter().collect();
            let y = apply(&op, x);
            let grads = tapegrad::grad_with(&y, &u, &refs, true);
            grads
                .iter()
                .zip(&w)
                .fold(Tensor::scalar(0.0), |acc, (g, w)| acc + (g * w).sum())
        };
        gradcheck(f, &case.inputs, 1e-6, 1e-6, 1e-4)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

#[test]
fn gradcheck_rejects_a_wrong_gradient() {
    // detach() hides part of the function from the engine, so the analytic gradient is wrong.
    let x = Tensor::from_vec(vec![0.5, 1.5], &[2]);
    let wrong = gradcheck(|v| (&v[0] * &v[0].detach()).sum(), &[x], 1e-6, 1e-8, 1e-6);
    assert!(
        matches!(wrong, Err(tapegrad::Error::Gradcheck(_))),
        "{wrong:?}"
    );
}
