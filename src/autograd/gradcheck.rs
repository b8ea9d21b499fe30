//! Checking the engine's gradients against central finite differences.

use crate::{Error, Tensor};

/// Compares the engine's Jacobian of `f` with central finite differences, in f64, as
/// `torch.autograd.gradcheck`.
///
/// Every element of every input is perturbed by `±eps`; every output element is
/// back-propagated with a one-hot upstream gradient. An entry passes when
/// `|analytic − numeric| ≤ atol + rtol·|numeric|`. The inputs themselves are not touched:
/// `f` receives fresh leaves with the same values.
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
/// tapegrad::gradcheck(|v| v[0].tanh().mul(&v[0]), &[x], 1e-6, 1e-8, 1e-6).unwrap();
/// ```
pub fn gradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    eps: f64,
    atol: f64,
    rtol: f64,
) -> Result<(), Error>
where
    F: Fn(&[Tensor<f64>]) -> Tensor<f64>,
{
    let leaves: Vec<Tensor<f64>> = inputs.iter().map(|t| t.detach().requires_grad()).collect();
    let refs: Vec<&Tensor<f64>> = leaves.iter().collect();
    let y = f(&leaves);
    let out_n = y.numel();

    // analytic[o][k] = d y[o] / d input k, one backward pass per output element.
    let mut analytic = Vec::with_capacity(out_n);
    for o in 0..out_n {
        let mut onehot = vec![0.0; out_n];
        onehot[o] = 1.0;
        let upstream = Tensor::from_vec(onehot, y.shape());
        let g = crate::grad_with(&y, &upstream, &refs, false);
        analytic.push(g.iter().map(|t| t.to_vec()).collect::<Vec<_>>());
    }

    let values: Vec<Vec<f64>> = inputs.iter().map(|t| t.to_vec()).collect();
    let eval = |k: usize, e: usize, delta: f64| -> Vec<f64> {
        let shifted: Vec<Tensor<f64>> = values
            .iter()
            .zip(inputs)
            .enumerate()
            .map(|(i, (v, t))| {
                let mut v = v.clone();
                if i == k {
                    v[e] += delta;
                }
                // Marked as needing grad, so an `f` that differentiates inside itself
                // (a gradient penalty, a gradgradcheck) sees the same graph as above.
                Tensor::from_vec(v, t.shape()).requires_grad()
            })
            .collect();
        f(&shifted).to_vec()
    };
    for (k, v) in values.iter().enumerate() {
        for e in 0..v.len() {
            let (plus, minus) = (eval(k, e, eps), eval(k, e, -eps));
            for (o, row) in analytic.iter().enumerate() {
                let numeric = (plus[o] - minus[o]) / (2.0 * eps);
                let a = row[k][e];
                let close = (a - numeric).abs() <= atol + rtol * numeric.abs();
                if !close {
                    return Err(Error::Gradcheck(format!(
                        "d output[{o}] / d input {k}[{e}]: analytic {a:e}, numeric {numeric:e}"
                    )));
                }
            }
        }
    }
    Ok(())
}
