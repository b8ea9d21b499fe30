//! Graph lifetime: long chains backward and drop without recursion, in-place ops leave no
//! cycle, and a training loop leaves no graph behind. These count live tensors process-wide, so they run in one test
//! binary of their own, one after the other.

use tapegrad::Tensor;

/// A chain of a million recorded ops, run on a thread with the default 2 MiB stack.
fn long_chain() {
    let x = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad();
    let mut y = x.clone();
    for _ in 0..1_000_000 {
        y = &y * 1.0;
    }
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
    drop(y); // drops the whole chain: must not recurse
}

/// A long chain that branches at every step (each value used twice, once through a view),
/// so the teardown keeps records and tensors on its stacks as well as in hand.
fn long_branching_chain() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
    let mut y = x.clone();
    for _ in 0..200_000 {
        y = (&y.reshape(&[2, 1]).squeeze(1) + &y) * 0.5;
    }
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    drop(y);
}

/// In-place ops on recorded tensors: on a tensor, on a tensor whose old values the backward
/// reads (`mul_`), and through a view. The record a tensor takes in place must not hold the
/// tensor itself, or the two would keep each other alive.
fn in_place_steps() {
    for _ in 0..100 {
        let x = Tensor::<f64>::ones(&[3]).requires_grad();
        let y = &x * 2.0;
        y.mul_scalar_(3.0);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![6.0; 3]);

        let x = Tensor::<f64>::ones(&[3]).requires_grad();
        let y = &x * 2.0;
        y.mul_(&x);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![4.0; 3]);

        let x = Tensor::<f64>::ones(&[3]).requires_grad();
        let y = &x * 2.0;
        let v = y.narrow(0, 1, 2);
        v.mul_scalar_(5.0);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 10.0, 10.0]);
    }
}

fn training_steps(steps: usize) {
    let w = Tensor::<f32>::ones(&[4, 4]).requires_grad();
    let x = Tensor::<f32>::ones(&[8, 4]);
    for _ in 0..steps {
        let loss = x.matmul(&w).tanh().square().mean();
        loss.backward();
        w.zero_grad();
    }
}

/// Runs `chain` on a thread with the default 2 MiB stack and checks that it left no tensor
/// alive.
fn on_small_stack(what: &str, chain: fn()) {
    let before = tapegrad::live_tensors();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(chain)
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("{what}: backward and drop on a 2 MiB stack"));
    assert_eq!(
        tapegrad::live_tensors(),
        before,
        "{what}: every node was freed"
    );
}

#[test]
fn graphs_are_freed_and_long_chains_do_not_overflow_the_stack() {
    let before = tapegrad::live_tensors();
    on_small_stack("a million-op chain", long_chain);
    on_small_stack("a branching 200,000-step chain", long_branching_chain);
    on_small_stack("in-place ops on recorded tensors and views", in_place_steps);

    training_steps(10);
    let after_warmup = tapegrad::live_tensors();
    training_steps(10_000);
    assert_eq!(
        tapegrad::live_tensors(),
        after_warmup,
        "10,000 steps leave nothing behind"
    );
    assert_eq!(after_warmup, before);
}
