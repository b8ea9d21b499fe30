//! In-place ops and version counters: a saved tensor modified afterwards makes backward fail
//! (naming the op and the line), a leaf that requires grad refuses in-place writes outside
//! `no_grad`, and recorded in-place ops on non-leaves give PyTorch's gradients (checked
//! exactly and by finite differences).

use tapegrad::{Error, Tensor, gradcheck, no_grad};

fn x3() -> Tensor<f64> {
    Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad()
}

#[test]
fn every_write_bumps_the_version() {
    let x = Tensor::<f32>::zeros(&[4]);
    let view = x.narrow(0, 1, 2);
    type Write = Box<dyn Fn(&Tensor<f32>)>;
    let writes: Vec<Write> = vec![
        Box::new(|t| {
            t.add_scalar_(1.0);
        }),
        Box::new(|t| {
            t.mul_scalar_(2.0);
        }),
        Box::new(|t| {
            t.fill_(3.0);
        }),
        Box::new(|t| {
            t.zero_();
        }),
        Box::new(|t| {
            t.clamp_(-1.0, 1.0);
        }),
        Box::new(|t| {
            t.add_(&Tensor::scalar(1.0));
        }),
        Box::new(|t| {
            t.copy_(&Tensor::scalar(4.0));
        }),
        Box::new(|t| t.data_mut().view_mut().fill(9.0)),
    ];
    for (v, write) in (x.version()..).zip(writes) {
        write(&view);
        assert_eq!(
            x.version(),
            v + 1,
            "a write through a view bumps the base's version"
        );
    }
    assert_eq!(x.to_vec(), [0.0, 9.0, 9.0, 0.0]);
}

#[test]
fn modifying_a_saved_input_makes_backward_fail_with_the_op_and_line() {
    let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad();
    let y = x.square().sum();
    let line = line!() - 1;
    // The case: v1 returned [22, 24] here instead of an error.
    x.data_mut().view_mut().mapv_inplace(|v| v + 10.0);
    let err = y.try_backward().unwrap_err();
    assert!(matches!(
        err,
        Error::Modified {
            op: "square",
            expected: 0,
            found: 1,
            ..
        }
    ));
    let message = err.to_string();
    assert!(
        message.contains("modified by an in-place operation"),
        "{message}"
    );
    assert!(
        message.contains(&format!("tests/inplace.rs:{line}")),
        "{message}"
    );
    assert!(
        x.grad().is_none(),
        "nothing is accumulated by a failed backward"
    );
}

#[test]
#[should_panic(expected = "`mul` created at")]
fn zeroing_a_tensor_that_mul_saved_panics_in_backward() {
    let x = x3();
    let w = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3]).requires_grad();
    let a = &x * 2.0;
    let y = (&a * &w).sum();
    a.zero_(); // a is not a leaf: recorded, and mul's saved copy of it is now stale
    y.backward();
}

#[test]
fn mul_reads_an_input_only_for_the_other_inputs_gradient() {
    // As PyTorch's mul saves `self` only when `other` needs a gradient: modifying `a` when
    // only `a` needs one does not disturb backward (its gradient is `b`).
    let x = x3();
    let a = &x * 2.0;
    let b = Tensor::from_vec(vec![3.0, 4.0, 5.0], &[3]);
    let y = (&a * &b).sum();
    a.add_scalar_(1.0);
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), [6.0, 8.0, 10.0]);
}

/// Whether backward still runs after an in-place write to the op's output (first) or to its
/// input (second), for `y = op(x * 1)`.
fn survives_writes(op: impl Fn(&Tensor<f64>) -> Tensor<f64>) -> (bool, bool) {
    let run = |write_output: bool| {
        let x = Tensor::from_vec(vec![0.3, 0.5, 0.2], &[3]).requires_grad();
        let input = &x * 1.0;
        let y = op(&input);
        let written = if write_output { &y } else { &input };
        written.add_scalar_(1.0);
        y.sum().try_backward().is_ok()
    };
    (run(true), run(false))
}

#[test]
fn ops_save_the_tensors_pytorch_saves() {
    // PyTorch's relu, exp and reciprocal save their result; sin its input; `2 / x` is
    // `x.reciprocal() * 2` (its saved result is out of reach); mul by a scalar saves nothing.
    assert_eq!(survives_writes(|x| x.relu()), (false, true), "relu");
    assert_eq!(survives_writes(|x| x.exp()), (false, true), "exp");
    assert_eq!(
        survives_writes(|x| x.reciprocal()),
        (false, true),
        "reciprocal"
    );
    assert_eq!(survives_writes(|x| x.sin()), (true, false), "sin");
    assert_eq!(survives_writes(|x| 2.0 / x), (true, true), "rdiv");
    assert_eq!(survives_writes(|x| x * 3.0), (true, true), "mul_scalar");
}

#[test]
fn an_op_that_saved_nothing_is_not_disturbed() {
    // add saves no input values, so modifying an input afterwards is fine (as PyTorch).
    let x = x3();
    let c = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3]);
    let y = (&x + &c).sum();
    c.add_scalar_(5.0);
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), [1.0, 1.0, 1.0]);
}

#[test]
#[should_panic(
    expected = "a leaf tensor that requires grad is being used in an in-place operation"
)]
fn in_place_on_a_leaf_that_requires_grad_panics() {
    x3().mul_scalar_(2.0);
}

#[test]
#[should_panic(expected = "a view of a leaf tensor that requires grad")]
fn in_place_on_a_view_of_such_a_leaf_panics() {
    x3().narrow(0, 0, 2).zero_();
}

#[test]
fn in_place_on_a_leaf_under_no_grad_is_allowed() {
    let x = x3();
    no_grad(|| x.mul_scalar_(2.0).add_scalar_(1.0).version());
    assert_eq!(x.to_vec(), [3.0, 5.0, 7.0]);
    assert!(x.is_leaf() && x.is_requires_grad());
}

#[test]
fn recorded_in_place_on_a_non_leaf_gives_pytorchs_gradient() {
    // y = 2x + 1; y *= x  →  dy/dx = 4x + 1 (the old y is saved as a copy, as PyTorch does).
    let x = x3();
    let y = &x * 2.0 + 1.0;
    y.mul_(&x);
    assert!(!y.is_leaf());
    assert_eq!(y.to_vec(), [3.0, 10.0, 21.0]);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [5.0, 9.0, 13.0]);
    // The record shows the in-place op.
    assert!(y.to_string().contains("grad_fn=<mul>"));
}

#[test]
fn in_place_ops_pass_gradcheck_and_gradgradcheck() {
    let x = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.7], &[4]);
    let w = Tensor::from_vec(vec![1.5, -0.5, 0.25, 2.0], &[4]);
    let f = |v: &[Tensor<f64>]| {
        let y = &v[0] * 1.0;
        y.mul_(&v[1])
            .add_(&v[0].square())
            .div_(&(&v[1].square() + 1.0));
        y.sub_(&v[1])
            .clamp_(-3.0, 3.0)
            .add_scalar_(0.5)
            .mul_scalar_(2.0);
        y
    };
    gradcheck(f, &[x.clone(), w.clone()], 1e-6, 1e-8, 1e-6).unwrap();
    let second = |v: &[Tensor<f64>]| {
        let y = f(v).square().sum();
        let g = tapegrad::grad(&y, &[&v[0], &v[1]], true);
        (&g[0] * &g[1]).sum()
    };
    gradcheck(second, &[x, w], 1e-6, 1e-6, 1e-5).unwrap();
}

#[test]
fn in_place_through_a_view_updates_the_base_history() {
    // PyTorch: y = x * 1; y[1:3] *= 3; y.sum().backward() → x.grad = [1, 3, 3, 1].
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).requires_grad();
    let y = &x * 1.0;
    let before = y.narrow(0, 0, 2); // a view taken before the write
    let middle = y.narrow(0, 1, 2);
    middle.mul_scalar_(3.0);
    assert_eq!(y.to_vec(), [1.0, 6.0, 9.0, 4.0]);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [1.0, 3.0, 3.0, 1.0]);
    // The older view sees the new history too: d/dx sum(y[0:2]) = [1, 3, 0, 0].
    x.zero_grad();
    before.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [1.0, 3.0, 0.0, 0.0]);
    // And the written view itself.
    x.zero_grad();
    (&middle * &middle).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [0.0, 36.0, 54.0, 0.0]);
}

#[test]
fn in_place_through_views_passes_gradcheck() {
    let x = Tensor::from_vec((0..12).map(|v| v as f64 * 0.3 - 1.0).collect(), &[3, 4]);
    let w = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]);
    let f = |v: &[Tensor<f64>]| {
        let y = v[0].exp();
        let y = &y * 1.0; // exp saved its output: write into a copy
        y.select(1, 2).mul_(&v[1]);
        y.t().narrow(0, 0, 2).add_(&v[1].unsqueeze(0));
        y.narrow(0, 1, 2).copy_(&(y.narrow(0, 0, 2) * 2.0)); // mul_scalar saves no input
        y.masked_fill_(
            &Tensor::from_vec(vec![true, false, false, false], &[4]),
            0.0,
        );
        y
    };
    gradcheck(f, &[x.clone(), w.clone()], 1e-6, 1e-7, 1e-6).unwrap();
    let second = |v: &[Tensor<f64>]| {
        let g = tapegrad::grad(&f(v).square().sum(), &[&v[0]], true);
        g[0].sum()
    };
    gradcheck(second, &[x, w], 1e-6, 1e-6, 1e-5).unwrap();
}

#[test]
fn writing_a_non_leaf_from_a_tensor_that_requires_grad_records_it() {
    let w = x3();
    let buffer = Tensor::<f64>::zeros(&[3]);
    buffer.add_(&w).mul_(&w); // buffer = w², recorded
    assert!(buffer.is_requires_grad() && !buffer.is_leaf());
    buffer.sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), [2.0, 4.0, 6.0]);
}

#[test]
#[should_panic(
    expected = "tapegrad: add_: output with shape [3] doesn't match the broadcast shape [2, 3]"
)]
fn in_place_results_keep_the_shape() {
    Tensor::<f32>::zeros(&[3]).add_(&Tensor::zeros(&[2, 3]));
}

#[test]
#[should_panic(
    expected = "more than one element of the written-to tensor refers to a single memory location"
)]
fn writing_an_expanded_view_panics() {
    Tensor::<f32>::zeros(&[3]).expand(&[2, 3]).fill_(1.0);
}
