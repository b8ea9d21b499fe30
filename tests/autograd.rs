//! The engine's semantics, one test each: accumulation, backward_with, detach, no_grad,
//! grad() with and without create_graph, DOT output, numerical stability, threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{apply, assert_close, load_cases};
use tapegrad::autograd::{Context, Function, Grads};
use tapegrad::rand::{SeedableRng, rngs::StdRng};
use tapegrad::{NoGradGuard, Tensor, grad, no_grad};

fn leaf(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape).requires_grad()
}

#[test]
fn gradients_accumulate_until_zero_grad() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = (&x * &x).sum();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
    y.backward(); // the same graph again
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 8.0]);
    (&x * 10.0).sum().backward(); // a new graph adds in too
    assert_eq!(x.grad().unwrap().to_vec(), vec![14.0, 18.0]);
    x.zero_grad();
    assert!(x.grad().is_none());
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
}

#[test]
fn a_shared_upstream_is_not_aliased_between_leaves() {
    // add passes one gradient buffer to both inputs; accumulating into one must not
    // change the other.
    let a = leaf(&[1.0], &[1]);
    let b = leaf(&[2.0], &[1]);
    (&a + &b).sum().backward();
    (&a * 3.0).sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![4.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![1.0]);
}

#[test]
fn backward_with_is_a_vector_jacobian_product() {
    let x = leaf(&[1.0, 2.0, 3.0], &[3]);
    let y = x.square();
    let u = Tensor::from_vec(vec![1.0, 0.5, -1.0], &[3]);
    y.backward_with(&u);
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0, -6.0]);
    assert_eq!(
        u.to_vec(),
        vec![1.0, 0.5, -1.0],
        "the upstream is not modified"
    );
}

#[test]
#[should_panic(expected = "backward: the output has shape [3]")]
fn backward_of_a_non_scalar_panics() {
    leaf(&[1.0, 2.0, 3.0], &[3]).exp().backward();
}

#[test]
#[should_panic(expected = "upstream gradient of shape [2] does not match output of shape [3]")]
fn backward_with_a_misshapen_upstream_panics() {
    leaf(&[1.0, 2.0, 3.0], &[3])
        .exp()
        .backward_with(&Tensor::ones(&[2]));
}

#[test]
fn backward_of_a_constant_is_an_error() {
    let err = Tensor::<f64>::ones(&[1]).exp().try_backward().unwrap_err();
    assert!(err.to_string().contains("does not require grad"), "{err}");
}

#[test]
fn detach_cuts_the_graph() {
    let x = leaf(&[3.0], &[1]);
    let y = (&x * &x.detach()).sum(); // d/dx = x.detach() = 3, not 2x
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0]);
    assert!(!x.detach().is_requires_grad());
}

#[test]
fn no_grad_records_nothing_and_restores_the_mode() {
    let x = leaf(&[1.0], &[1]);
    let inside = no_grad(|| {
        let nested = no_grad(|| x.exp());
        assert!(!nested.is_requires_grad());
        x.exp() // still off after the nested block ends
    });
    assert!(!inside.is_requires_grad());
    {
        let _g = NoGradGuard::new();
        assert!(!(&x * 2.0).is_requires_grad());
    }
    assert!((&x * 2.0).is_requires_grad());
}

#[test]
fn grad_leaves_dot_grad_alone_and_gives_zeros_for_unused_inputs() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let unused = leaf(&[5.0, 6.0, 7.0], &[3]);
    let y = x.exp().sum();
    let g = grad(&y, &[&x, &unused], false);
    assert_close("dy/dx", &g[0].to_vec(), &[1f64.exp(), 2f64.exp()], 1e-15);
    assert_eq!(g[1].shape(), &[3]);
    assert_eq!(g[1].to_vec(), vec![0.0; 3]);
    assert!(x.grad().is_none() && unused.grad().is_none());
    assert!(
        !g[0].is_requires_grad(),
        "without create_graph nothing is recorded"
    );
}

#[test]
fn grad_with_respect_to_an_intermediate_tensor() {
    let x = leaf(&[2.0], &[1]);
    let h = x.square(); // 4
    let y = h.exp().sum();
    let g = grad(&y, &[&h, &x], false);
    assert_close("dy/dh", &g[0].to_vec(), &[4f64.exp()], 1e-15);
    assert_close("dy/dx", &g[1].to_vec(), &[4f64.exp() * 4.0], 1e-15);
}

/// The Hessian–vector product `∇(∇f · v)` of a fixture case, by double backward.
fn hvp_from_fixture(case_name: &str) {
    let case = load_cases()
        .into_iter()
        .find(|c| c.name.starts_with(case_name))
        .unwrap();
    let xs: Vec<Tensor<f64>> = case
        .inputs
        .iter()
        .map(|x| x.detach().requires_grad())
        .collect();
    let refs: Vec<&Tensor<f64>> = xs.iter().collect();
    let y = apply(&case.op, &xs);
    let g = tapegrad::grad_with(&y, &case.upstream, &refs, true);
    assert!(g[0].is_requires_grad(), "create_graph records the backward");
    let gv = g
        .iter()
        .zip(&case.weights)
        .fold(Tensor::scalar(0.0), |acc, (g, v)| acc + (g * v).sum());
    let hv = grad(&gv, &refs, false);
    for (k, h) in hv.iter().enumerate() {
        assert_close(
            &format!("{case_name} Hv input {k}"),
            &h.to_vec(),
            &case.second[k],
            1e-10,
        );
    }
}

#[test]
fn hessian_vector_product_of_sum_of_cubes_matches_pytorch() {
    hvp_from_fixture("cube_sum");
    // And in closed form: H = diag(6x).
    let x = leaf(&[1.0, -2.0, 0.5], &[3]);
    let v = Tensor::from_vec(vec![1.0, 1.0, 2.0], &[3]);
    let g = &grad(&x.powf(3.0).sum(), &[&x], true)[0];
    let hv = &grad(&(g * &v).sum(), &[&x], false)[0];
    assert_eq!(hv.to_vec(), vec![6.0, -12.0, 6.0]);
}

#[test]
fn hessian_vector_product_of_a_tanh_network_matches_pytorch() {
    hvp_from_fixture("tanh_net");
}

#[test]
fn third_derivative_through_three_create_graph_passes() {
    let x = leaf(&[0.7], &[1]);
    let d1 = &grad(&x.powf(4.0).sum(), &[&x], true)[0];
    let d2 = &grad(&d1.sum(), &[&x], true)[0];
    let d3 = &grad(&d2.sum(), &[&x], false)[0];
    // f = x⁴ ⇒ f''' = 24x
    assert!((d3.item() - 24.0 * 0.7).abs() < 1e-12, "{}", d3.item());
}

#[test]
fn to_dot_lists_ops_shapes_and_source_lines() {
    let w = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let line = line!() + 1;
    let y = w.matmul(&w).tanh().sum();
    let dot = y.to_dot();
    assert!(dot.starts_with("digraph tapegrad {"), "{dot}");
    for needle in ["matmul", "tanh", "sum", "[2, 2]", "leaf (requires grad)"] {
        assert!(dot.contains(needle), "missing {needle} in {dot}");
    }
    assert!(dot.contains(&format!("tests/autograd.rs:{line}")), "{dot}");
    assert_eq!(
        dot.matches("->").count(),
        4,
        "w feeds matmul twice, then tanh, then sum: {dot}"
    );
}

#[test]
fn display_looks_like_pytorch() {
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(
        t.to_string(),
        "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])"
    );
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).requires_grad();
    assert_eq!(
        w.to_string(),
        "tensor([[1.0000, 2.0000]], requires_grad=true)"
    );
    assert_eq!(
        (&w * 2.0).sum().to_string(),
        "tensor(6.0000, grad_fn=<sum>)"
    );
    assert_eq!(
        Tensor::scalar(0.5f64).to_string(),
        "tensor(0.5000, dtype=f64)"
    );
    let big = Tensor::<f32>::zeros(&[2000]);
    assert_eq!(
        big.to_string(),
        "tensor([0.0000, 0.0000, 0.0000, ..., 0.0000, 0.0000, 0.0000])"
    );
}

#[test]
#[should_panic(expected = "only leaf tensors can be marked")]
fn requires_grad_on_a_recorded_tensor_panics() {
    let _ = leaf(&[1.0], &[1]).exp().requires_grad();
}

#[test]
fn stable_ops_give_finite_values_and_gradients_at_1000() {
    let x = leaf(&[1000.0, -1000.0, 0.0, 999.0], &[2, 2]);
    let outputs = [
        x.softmax(-1),
        x.log_softmax(-1),
        x.logsumexp(-1, false),
        x.sigmoid(),
        x.softplus(),
        x.silu(),
    ];
    for y in &outputs {
        assert!(y.to_vec().iter().all(|v| v.is_finite()), "{y}");
        x.zero_grad();
        y.backward_with(&Tensor::ones(y.shape()));
        assert!(
            x.grad().unwrap().to_vec().iter().all(|v| v.is_finite()),
            "grad of {y}"
        );
    }
    assert_close(
        "log_softmax",
        &outputs[1].to_vec(),
        &[0.0, -2000.0, -999.0, 0.0],
        1e-12,
    );
}

fn train_linear(seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Tensor::<f32>::randn(&[64, 3], &mut rng);
    let true_w = Tensor::from_vec(vec![1.5f32, -2.0, 0.5], &[3, 1]);
    let y = x.matmul(&true_w) + 0.3;
    let w = Tensor::<f32>::randn(&[3, 1], &mut rng).requires_grad();
    let b = Tensor::<f32>::zeros(&[1]).requires_grad();
    for _ in 0..200 {
        let loss = (&x.matmul(&w) + &b - &y).square().mean();
        loss.backward();
        for p in [&w, &b] {
            let g = p.grad().unwrap();
            no_grad(|| {
                p.sub_(&(g * 0.05f32));
            });
            p.zero_grad();
        }
    }
    let mut out = w.to_vec();
    out.extend(b.to_vec());
    out
}

#[test]
fn two_threads_train_two_models_bit_identically_to_sequential_runs() {
    let sequential = (train_linear(1), train_linear(2));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| train_linear(1));
        let b = s.spawn(|| train_linear(2));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a, sequential.0);
    assert_eq!(b, sequential.1);
    assert!(
        (a[0] - 1.5).abs() < 1e-2 && (a[3] - 0.3).abs() < 1e-2,
        "it learned: {a:?}"
    );
}

#[test]
fn tensors_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Tensor<f32>>();
    check::<Tensor<f64>>();
    // And they can move between threads with their graph.
    let x = leaf(&[2.0], &[1]);
    let y = std::thread::spawn({
        let x = x.clone();
        move || x.square().sum()
    })
    .join()
    .unwrap();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0]);
}

#[test]
fn graphs_built_across_threads_keep_the_tape_order() {
    // The main thread records many ops; a fresh thread, whose own tape position starts low,
    // consumes the result. The reverse walk must still see the consumer first.
    let x = leaf(&[1.5], &[1]);
    let mut h = x.clone();
    for _ in 0..1000 {
        h = &h * 1.0;
    }
    let y = std::thread::spawn({
        let h = h.clone();
        move || (&h * &h).sum()
    })
    .join()
    .unwrap();
    let z = (&y + &h.sum()) * 2.0; // back on the main thread, mixing both
    z.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0 * (2.0 * 1.5 + 1.0)]);
}

#[test]
fn gradients_built_in_place_never_overwrite_one_handed_out() {
    // Backward scales each gradient in place when the walk holds it alone: a gradient
    // returned by grad() (intermediate targets included), an upstream the caller keeps, and
    // a leaf's .grad must all keep their values.
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = (&x * 2.0).tanh();
    let z = (&y * 3.0).exp();
    let [gy, gx] = <[Tensor<f64>; 2]>::try_from(grad(&z.sum(), &[&y, &x], false)).unwrap();
    let dz = z.to_vec();
    let yv = y.to_vec();
    let want_gy: Vec<f64> = dz.iter().map(|d| 3.0 * d).collect();
    let want_gx: Vec<f64> = (0..2)
        .map(|i| want_gy[i] * (1.0 - yv[i] * yv[i]) * 2.0)
        .collect();
    assert_close("dz/dy", &gy.to_vec(), &want_gy, 1e-12);
    assert_close("dz/dx", &gx.to_vec(), &want_gx, 1e-12);

    let upstream = Tensor::from_vec(vec![1.0, 10.0], &[2]);
    (&x * 4.0).backward_with(&upstream);
    assert_eq!(upstream.to_vec(), vec![1.0, 10.0]);
    let first = x.grad().unwrap();
    assert_eq!(first.to_vec(), vec![4.0, 40.0]);
    (&x * 4.0).backward_with(&upstream);
    assert_eq!(
        first.to_vec(),
        vec![4.0, 40.0],
        "a .grad handed out keeps its values"
    );
    assert_eq!(x.grad().unwrap().to_vec(), vec![8.0, 80.0]);
}

#[test]
fn a_record_found_before_one_of_its_consumers_waits_for_it() {
    // Breadth-first from y, `a` is found (through `+`) before `b`, which also consumes it:
    // the walk must still finish `b` first, or `a` passes on only part of its gradient.
    let x = leaf(&[1.0, -2.0], &[2]);
    let a = &x * 2.0;
    let b = &a * 3.0;
    let c = &b * 4.0;
    let y = (&c + &a).sum();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![26.0, 26.0]); // 2·(12 + 1)
}

/// The walk runs the one-input ops at the top of a graph (a chain) at once, and hands over to
/// the full walk where the graph branches: every case gives the analytic gradient.
#[test]
fn the_chain_at_the_top_of_a_graph_hands_over_where_it_branches() {
    let xs = [0.3, -1.2, 2.0];
    let x = leaf(&xs, &[3]);
    let close = |got: Vec<f64>, want: Vec<f64>| {
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} != {want:?}");
        }
    };

    // A chain down to a two-input op that uses x twice: d/dx exp(x²)·3 = 6x·exp(x²).
    ((&x * &x).exp() * 3.0).sum().backward();
    close(
        x.grad().unwrap().to_vec(),
        xs.iter().map(|v| 6.0 * v * (v * v).exp()).collect(),
    );
    x.zero_grad();

    // A record that another graph also consumes, walked twice.
    let s = x.sin();
    let y = s.exp().sum();
    let _other = s.cos();
    y.backward();
    y.backward();
    close(
        x.grad().unwrap().to_vec(),
        xs.iter().map(|v| 2.0 * v.cos() * v.sin().exp()).collect(),
    );
    x.zero_grad();

    // A chain through a view: the gradient lands in the viewed elements only.
    x.narrow(0, 1, 2).exp().sum().backward();
    close(
        x.grad().unwrap().to_vec(),
        vec![0.0, xs[1].exp(), xs[2].exp()],
    );
    x.zero_grad();

    // A tensor saved in the chain and modified afterwards is still caught.
    let e = x.exp();
    let y = e.sin().sum();
    e.add_scalar_(1.0);
    let err = y.try_backward().unwrap_err().to_string();
    assert!(err.contains("sin"), "{err}");
}

/// `2x`, counting its backward calls.
struct Doubled(Arc<AtomicUsize>);

impl Function<f64> for Doubled {
    fn name(&self) -> &'static str {
        "doubled"
    }
    fn backward(&self, _ctx: &Context<'_, f64>, g: &Tensor<f64>) -> Grads<f64> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Grads::one(g * 2.0)
    }
}

fn doubled(x: &Tensor<f64>, calls: &Arc<AtomicUsize>) -> Tensor<f64> {
    let v = x.data().view().mapv(|v| 2.0 * v);
    Tensor::from_function(v, Doubled(calls.clone()), &[x])
}

/// The walk reaches each record once, whatever leads to it, so each backward runs once: a
/// record used by one op (a chain, where the walk skips its lookup), by two, by two after its
/// tensor got a new record (two saved inputs then hold the old one, and nothing else), and a
/// diamond repeated (reached along 2²⁰ paths if it were not merged).
#[test]
fn every_backward_runs_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let x = leaf(&[1.0, 3.0], &[2]);

    let chain = &doubled(&(&doubled(&x, &calls) * 3.0), &calls) * 5.0;
    chain.sum().backward();
    assert_eq!(calls.swap(0, Ordering::SeqCst), 2);
    assert_eq!(x.grad().unwrap().to_vec(), vec![60.0, 60.0]);
    x.zero_grad();

    let y = doubled(&x, &calls);
    let (a, b) = (&y * 2.0, &y * 5.0);
    (&a + &b).sum().backward();
    assert_eq!(calls.swap(0, Ordering::SeqCst), 1, "two consumers");
    assert_eq!(x.grad().unwrap().to_vec(), vec![14.0, 14.0]);
    x.zero_grad();

    // A view's record is remade when its base was modified in place: afterwards the two
    // products hold the view's old record and nothing else does (and the base's old record
    // is held by the view's old record and by the in-place op's record).
    let y = doubled(&x, &calls);
    let v = y.narrow(0, 1, 1);
    let (a, b) = (&v * 2.0, &v * 5.0);
    y.mul_scalar_(10.0);
    let _remade = &v * 1.0;
    drop((y, v));
    (&a + &b).sum().backward();
    assert_eq!(
        calls.swap(0, Ordering::SeqCst),
        1,
        "two consumers of a replaced record"
    );
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 14.0]);
    x.zero_grad();

    let mut h = doubled(&x, &calls);
    for _ in 0..20 {
        h = &(&h * 0.5) + &(&h * 0.5);
    }
    h.sum().backward();
    assert_eq!(calls.swap(0, Ordering::SeqCst), 1, "repeated diamonds");
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
}
