//! No lock hazards: threads that read one tensor twice in an op while another thread writes it
//! never deadlock, and a guard held across a call into tapegrad panics with a message instead
//! of hanging. Each test is bounded by a timeout, not by luck.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use tapegrad::Error;
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

/// Runs `f` on a thread and fails the test if it does not finish within `limit`.
fn within<R: Send + 'static>(limit: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("deadlock: the threads did not finish in time")
}

#[test]
fn eight_trainers_and_a_writer_on_one_model_never_hang() {
    const WRITES: usize = 100_000;
    let (steps, refused) = within(Duration::from_secs(240), || {
        let mut rng = StdRng::seed_from_u64(0);
        let w = Tensor::<f32>::randn(&[8, 8], &mut rng).requires_grad();
        let x = Tensor::<f32>::randn(&[4, 8], &mut rng);
        let delta = Tensor::<f32>::full(&[8, 8], 1e-7);
        let done = AtomicBool::new(false);
        let (steps, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    while !done.load(Ordering::Relaxed) {
                        // An L2 term and w·wᵀ read w twice in one op.
                        let loss = x.matmul(&w).square().mean()
                            + (&w * &w).sum() * 1e-3
                            + w.matmul_t(&w).mean();
                        match loss.try_backward() {
                            Ok(()) => steps.fetch_add(1, Ordering::Relaxed),
                            // The writer changed w between forward and backward: the
                            // version check refuses, as PyTorch would.
                            Err(Error::Modified { .. }) => refused.fetch_add(1, Ordering::Relaxed),
                            Err(e) => panic!("{e}"),
                        };
                        w.zero_grad();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..WRITES {
                    no_grad(|| w.sub_(&delta).version());
                }
                done.store(true, Ordering::Relaxed);
            });
        });
        assert_eq!(w.version(), WRITES as u64);
        (steps.into_inner(), refused.into_inner())
    });
    assert!(
        steps + refused >= 8,
        "the trainers ran ({steps} steps, {refused} refused)"
    );
}

#[test]
fn an_op_reading_one_tensor_twice_while_a_writer_waits_does_not_hang() {
    within(Duration::from_secs(60), || {
        let w = Tensor::<f64>::ones(&[64, 64]);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..2_000 {
                    w.add_scalar_(0.0);
                }
            });
            for _ in 0..2_000 {
                let _ = (&w * &w).sum();
                let _ = w.matmul_t(&w);
                let _ = Tensor::cat(&[&w, &w, &w], 0);
                let _ = w.maximum(&w);
            }
        });
    });
}

/// A one-input op reads its input with a guard that is not entered in the thread's list (it
/// takes no other meanwhile); it must still join the readers when this thread already holds
/// a guard on the tensor and a writer waits, or it would wait for the writer, which waits for
/// this thread.
#[test]
fn a_one_input_op_while_holding_the_guard_and_a_writer_waits_does_not_hang() {
    within(Duration::from_secs(60), || {
        let w = Tensor::<f64>::ones(&[8]);
        for _ in 0..20 {
            let guard = w.data();
            std::thread::scope(|s| {
                s.spawn(|| {
                    w.add_scalar_(0.0);
                });
                // Give the writer time to start waiting for the guard above.
                std::thread::sleep(Duration::from_millis(5));
                assert_eq!(w.exp().to_vec(), vec![1f64.exp(); 8]);
                assert_eq!(w.t().sqrt().to_vec(), vec![1.0; 8]);
                drop(guard);
            });
        }
    });
}

#[test]
#[should_panic(expected = "a tensor is read while this thread holds its data_mut() guard")]
fn a_one_input_op_while_holding_the_write_guard_panics() {
    let w = Tensor::<f32>::ones(&[2]);
    let _guard = w.data_mut();
    let _ = w.exp();
}

#[test]
#[should_panic(expected = "a tensor is written while this thread holds its data() guard")]
fn writing_a_tensor_while_holding_its_read_guard_panics() {
    let w = Tensor::<f32>::ones(&[2]);
    let guard = w.data();
    w.sub_(&Tensor::scalar(1.0));
    drop(guard);
}

#[test]
#[should_panic(expected = "a tensor is read while this thread holds its data_mut() guard")]
fn reading_a_tensor_while_holding_its_write_guard_panics() {
    // v1 hung here: `*w.data_mut() -= &*w.data()`.
    let w = Tensor::<f32>::ones(&[2]);
    let mut guard = w.data_mut();
    let copy = w.to_vec();
    guard.view_mut().fill(copy[0]);
}

#[test]
#[should_panic(expected = "holds its data() guard")]
fn an_optimizer_step_while_holding_a_guard_panics_instead_of_hanging() {
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
    let mut opt = optim::Sgd::new(vec![w.clone()], 0.1);
    w.square().sum().backward();
    let _guard = w.data();
    opt.step();
}

/// An op reads its input's record without a lock until the input is first modified in place,
/// and under the lock after. Ops recorded on a tensor while another thread keeps modifying it
/// in place (by ×1, whose record saves nothing) see the record from before or after each
/// modification: every gradient is then exactly the one without them.
#[test]
fn ops_recorded_while_another_thread_modifies_the_input_in_place_see_a_whole_record() {
    let (checked, modified) = within(Duration::from_secs(60), || {
        let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]).requires_grad();
        // Neither `×3` nor the in-place `×1` saves a tensor, so backward never refuses.
        let y = &x * 3.0;
        let done = AtomicBool::new(false);
        let (checked, modified) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    while !done.load(Ordering::Relaxed) {
                        let loss = (&y * 2.0).sum();
                        let g = tapegrad::grad(&loss, &[&x], false);
                        assert_eq!(g[0].to_vec(), vec![6.0; 3]);
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..2_000 {
                    y.mul_scalar_(1.0);
                    modified.fetch_add(1, Ordering::Relaxed);
                }
                // Let the readers run against the last record too.
                let seen = checked.load(Ordering::Relaxed);
                while checked.load(Ordering::Relaxed) < seen + 100 {
                    std::hint::spin_loop();
                }
                done.store(true, Ordering::Relaxed);
            });
        });
        (checked.into_inner(), modified.into_inner())
    });
    assert_eq!(modified, 2_000);
    assert!(checked >= 100, "{checked} gradients checked");
}
