//! A user-defined op through the public `Function` trait: it passes gradcheck and
//! gradgradcheck, appears by name in DOT graphs, `Display` and anomaly reports, and its saved
//! inputs are version-checked like the built-in ops'.

use tapegrad::autograd::{Context, Function, Grads};
use tapegrad::{Error, Tensor, gradcheck, ndarray::Zip};

/// `a·sin(b)`, with its backward in tensor ops (so it can be differentiated again).
struct ScaledSin;

impl Function<f64> for ScaledSin {
    fn name(&self) -> &'static str {
        "scaled_sin"
    }
    fn backward(&self, ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let ga = ctx.needs_input_grad(0).then(|| g * &sin(b));
        let gb = ctx.needs_input_grad(1).then(|| g * a * cos(b));
        Grads::two(ga, gb)
    }
}

/// sin and cos as custom ops too, so the backward above is differentiable.
struct Sin;
struct Cos;

impl Function<f64> for Sin {
    fn name(&self) -> &'static str {
        "my_sin"
    }
    fn backward(&self, ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        Grads::one(g * &cos(ctx.input(0)))
    }
}

impl Function<f64> for Cos {
    fn name(&self) -> &'static str {
        "my_cos"
    }
    fn backward(&self, ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        Grads::one(-(g * &sin(ctx.input(0))))
    }
}

fn sin(x: &Tensor<f64>) -> Tensor<f64> {
    let v = x.data().view().mapv(f64::sin);
    Tensor::from_function(v, Sin, &[x])
}

fn cos(x: &Tensor<f64>) -> Tensor<f64> {
    let v = x.data().view().mapv(f64::cos);
    Tensor::from_function(v, Cos, &[x])
}

fn scaled_sin(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
    let values = {
        let (a, b) = (a.data(), b.data());
        Zip::from(&a.view())
            .and(&b.view())
            .map_collect(|&a, &b| a * b.sin())
    };
    Tensor::from_function(values, ScaledSin, &[a, b])
}

fn inputs() -> [Tensor<f64>; 2] {
    [
        Tensor::from_vec(vec![0.5, -1.5, 2.0, 0.1], &[2, 2]),
        Tensor::from_vec(vec![0.3, 1.1, -2.2, 3.0], &[2, 2]),
    ]
}

#[test]
fn a_custom_op_passes_gradcheck_and_gradgradcheck() {
    let f = |v: &[Tensor<f64>]| scaled_sin(&v[0], &v[1]);
    gradcheck(f, &inputs(), 1e-6, 1e-8, 1e-6).unwrap();
    let second = |v: &[Tensor<f64>]| {
        let y = scaled_sin(&v[0], &v[1]).square().sum();
        let g = tapegrad::grad(&y, &[&v[0], &v[1]], true);
        (&g[0] + &g[1]).sum()
    };
    gradcheck(second, &inputs(), 1e-6, 1e-6, 1e-5).unwrap();
}

#[test]
fn a_custom_op_is_named_in_graphs_and_display() {
    let [a, b] = inputs();
    let a = a.requires_grad();
    let y = scaled_sin(&a, &b);
    assert!(y.to_string().contains("grad_fn=<scaled_sin>"));
    assert!(y.sum().to_dot().contains("scaled_sin"));
}

/// An op whose backward gives NaN, for the anomaly report.
struct Broken;

impl Function<f64> for Broken {
    fn name(&self) -> &'static str {
        "broken_op"
    }
    fn backward(&self, _ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        Grads::one(g * f64::NAN)
    }
}

#[test]
fn anomaly_detection_names_a_custom_op() {
    let x = Tensor::from_vec(vec![1.0], &[1]).requires_grad();
    let y = Tensor::from_function(x.to_array(), Broken, &[&x]);
    let line = line!() - 1;
    tapegrad::set_detect_anomaly(true);
    let err = y.sum().try_backward().unwrap_err();
    tapegrad::set_detect_anomaly(false);
    let message = err.to_string();
    assert!(message.contains("broken_op"), "{message}");
    assert!(
        message.contains(&format!("custom_op.rs:{line}")),
        "{message}"
    );
}

#[test]
fn a_custom_ops_saved_inputs_are_version_checked() {
    let [a, b] = inputs();
    let a = a.requires_grad();
    let b = &b * 1.0;
    let y = scaled_sin(&a, &b).sum();
    b.add_scalar_(1.0);
    assert!(matches!(
        y.try_backward(),
        Err(Error::Modified {
            op: "scaled_sin",
            ..
        })
    ));
}

/// An op whose backward gives a gradient of the wrong shape.
struct Misshapen;

impl Function<f64> for Misshapen {
    fn name(&self) -> &'static str {
        "misshapen_op"
    }
    fn backward(&self, _ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        Grads::one(g.sum())
    }
}

#[test]
#[should_panic(
    expected = "backward of misshapen_op gave a gradient of shape [] for input 0 of \
                           shape [3]"
)]
fn a_custom_op_giving_a_gradient_of_the_wrong_shape_is_named() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad();
    let y = Tensor::from_function(x.to_array(), Misshapen, &[&x]);
    y.sum().backward();
}

/// An op of one input whose backward gives two gradients.
struct TooMany;

impl Function<f64> for TooMany {
    fn name(&self) -> &'static str {
        "too_many_op"
    }
    fn backward(&self, _ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        Grads::two(Some(g.clone()), Some(g.clone()))
    }
}

#[test]
#[should_panic(expected = "backward of too_many_op gave 2 gradients, but the op has 1 input(s)")]
fn a_custom_op_giving_more_gradients_than_inputs_is_named() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    let y = Tensor::from_function(x.to_array(), TooMany, &[&x]);
    y.sum().backward();
}
