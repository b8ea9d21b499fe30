//! How many threads tapegrad may use, and the one place work is split across them: [`run`],
//! on a pool of worker threads that sleep while there is no work.
//!
//! Only large matrix products and convolutions are split: a hand-off to another thread costs
//! microseconds, which would dominate the small ops of small models, so everything below a
//! size threshold runs on the calling thread. The workers are started once and kept: on the
//! 2-core VMs of BENCHMARKS.md, starting and joining a thread took 98–136 µs, as long as a
//! whole 16M multiply–add product takes on two cores.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// 0 means "not set by `set_num_threads`": use the environment's default.
static THREADS: AtomicUsize = AtomicUsize::new(0);
static DEFAULT: OnceLock<usize> = OnceLock::new();

/// Multiply–adds below which a matrix product stays on one thread (about 40 µs of work).
pub(crate) const PARALLEL_MIN_MACS: usize = 8 << 20;

/// The number of threads tapegrad uses for large matrix products.
///
/// Set by [`set_num_threads`], else by the environment variable `TAPEGRAD_NUM_THREADS`, else
/// the machine's available parallelism.
///
/// ```
/// assert!(tapegrad::num_threads() >= 1);
/// ```
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => *DEFAULT.get_or_init(|| {
            std::env::var("TAPEGRAD_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        }),
        n => n,
    }
}

/// Sets the number of threads for large matrix products (at least 1), for the whole process,
/// as `torch.set_num_threads`. It can be changed at any time.
///
/// ```
/// tapegrad::set_num_threads(1);
/// assert_eq!(tapegrad::num_threads(), 1);
/// ```
pub fn set_num_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

/// How many threads a job of `work` multiply–adds should use.
pub(crate) fn threads_for(work: usize) -> usize {
    threads_for_at(work, PARALLEL_MIN_MACS)
}

/// How many threads a job of `work` multiply–adds should use, giving each at least `min`.
pub(crate) fn threads_for_at(work: usize, min: usize) -> usize {
    if work < min {
        1
    } else {
        num_threads().min(work / min).max(1)
    }
}

/// Runs `task(i)` for every `i` in `0..tasks` on up to `threads` threads: the calling one and
/// workers of tapegrad's pool. Tasks are claimed one at a time, so a thread that a busy
/// machine slows down takes fewer of them. Returns when every task has returned; a panic in
/// a task is raised again here once the others are done.
///
/// The calling thread always works too, so `run` never waits for a worker to become free:
/// when the workers are busy (another thread's products, or a `run` inside a task), the
/// caller runs every task itself. A task that runs on a worker and calls `run` runs its own
/// tasks on that worker.
pub(crate) fn run(tasks: usize, threads: usize, task: impl Fn(usize) + Sync) {
    let helpers = threads.min(tasks).saturating_sub(1);
    if helpers == 0 || IS_WORKER.with(Cell::get) {
        (0..tasks).for_each(task);
        return;
    }
    start_workers(helpers);
    let task: &(dyn Fn(usize) + Sync + '_) = &task;
    // SAFETY: only the lifetime is erased. `Job::task` is called only for a task index
    // claimed below `tasks`, and this function returns (or unwinds) only after all `tasks`
    // calls have returned (`finish` waits for that, and panics are caught until then), so no
    // call outlives the borrow of `task`.
    let task = unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(
            task,
        )
    };
    let job = Arc::new(Job {
        task,
        tasks,
        helpers,
        joined: AtomicUsize::new(0),
        next: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
        panic: Mutex::new(None),
        done: Mutex::new(false),
        all_done: Condvar::new(),
    });
    lock(&POOL.jobs).push(job.clone());
    POOL.wake.notify_all();
    job.work();
    job.finish();
    lock(&POOL.jobs).retain(|j| !Arc::ptr_eq(j, &job));
    if let Some(payload) = lock(&job.panic).take() {
        panic::resume_unwind(payload);
    }
}

/// [`run`] over owned parts: task `i` gets `parts[i]` (a disjoint piece of an output, say).
pub(crate) fn run_each<P: Send>(parts: Vec<P>, threads: usize, task: impl Fn(usize, P) + Sync) {
    // Each part waits in a slot of its own until its task takes it out (one uncontended lock
    // per task).
    let slots: Vec<Mutex<Option<P>>> = parts.into_iter().map(|p| Mutex::new(Some(p))).collect();
    run(slots.len(), threads, |i| {
        let part = lock(&slots[i]).take().expect("each part is taken once");
        task(i, part);
    });
}

/// Spins of a caller waiting for its last tasks before it sleeps.
const SPINS: u32 = 1 << 12;

/// One call of [`run`]: its tasks, and how far they have got.
struct Job {
    /// The tasks, with their lifetime erased (see `run`).
    task: *const (dyn Fn(usize) + Sync),
    tasks: usize,
    /// How many workers may join (the caller makes one more thread).
    helpers: usize,
    joined: AtomicUsize,
    /// The next task to claim.
    next: AtomicUsize,
    /// Tasks that have returned (or panicked).
    finished: AtomicUsize,
    /// The first panic of a task.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Set, and `all_done` notified, when the last task returns.
    done: Mutex<bool>,
    all_done: Condvar,
}

// SAFETY: `task` points at a `Sync` closure, called from several threads only while the
// thread that owns it waits in `run` (see there); everything else in a job is thread-safe.
unsafe impl Send for Job {}
// SAFETY: as above.
unsafe impl Sync for Job {}

impl Job {
    /// Claims and runs tasks until none is left to claim.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.tasks {
                return;
            }
            // SAFETY: task `i` is claimed and has not returned, so `run` is still waiting
            // and the closure is alive (see `run`).
            let task = unsafe { &*self.task };
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| task(i))) {
                lock(&self.panic).get_or_insert(payload);
            }
            // AcqRel: the caller's final load sees every task's writes.
            if self.finished.fetch_add(1, Ordering::AcqRel) + 1 == self.tasks {
                *lock(&self.done) = true;
                self.all_done.notify_all();
            }
        }
    }

    /// Waits until every task has returned: a short spin (the other threads' last tasks are
    /// usually about to end), then sleep.
    fn finish(&self) {
        let mut spins = 0;
        while self.finished.load(Ordering::Acquire) < self.tasks {
            if spins < SPINS {
                std::hint::spin_loop();
                spins += 1;
                continue;
            }
            let mut done = lock(&self.done);
            while !*done {
                done = self.all_done.wait(done).unwrap_or_else(|e| e.into_inner());
            }
            return;
        }
    }
}

/// The worker threads and the jobs they may join.
struct Pool {
    jobs: Mutex<Vec<Arc<Job>>>,
    /// Notified when a job is added.
    wake: Condvar,
    /// How many workers have been started.
    workers: Mutex<usize>,
}

static POOL: Pool = Pool {
    jobs: Mutex::new(Vec::new()),
    wake: Condvar::new(),
    workers: Mutex::new(0),
};

thread_local! {
    static IS_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// The pool's locks guard no invariant a panic could break (tasks run outside them).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts workers until there are `n` (fewer if the system refuses more threads: the callers
/// of `run` then do more of the work themselves).
fn start_workers(n: usize) {
    let mut workers = lock(&POOL.workers);
    while *workers < n {
        let started = std::thread::Builder::new()
            .name("tapegrad-worker".into())
            .spawn(worker);
        if started.is_err() {
            return;
        }
        *workers += 1;
    }
}

/// A worker's life: join any job with tasks left to claim and room for one more helper, else
/// sleep until a job is added.
fn worker() {
    IS_WORKER.with(|w| w.set(true));
    let mut jobs = lock(&POOL.jobs);
    loop {
        let open = jobs.iter().find(|j| {
            j.next.load(Ordering::Relaxed) < j.tasks && j.joined.load(Ordering::Relaxed) < j.helpers
        });
        let Some(job) = open.cloned() else {
            jobs = POOL.wake.wait(jobs).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        // Under the lock: two workers cannot both take a job's last helper place.
        job.joined.fetch_add(1, Ordering::Relaxed);
        drop(jobs);
        job.work();
        // Buffers this worker's tasks took from its pool go back to the allocator, as they
        // did when each product started threads of its own: a worker keeps no memory
        // between jobs (and `empty_cache` on the caller's thread covers everything).
        crate::tensor::pool::empty_cache();
        jobs = lock(&POOL.jobs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `f` on a thread of its own and fails if it takes longer than a minute: a
    /// deadlock fails the test instead of hanging the suite.
    fn within_a_minute(f: impl FnOnce() + Send + 'static) {
        let (done, wait) = mpsc::channel();
        let t = std::thread::spawn(move || {
            f();
            let _ = done.send(());
        });
        match wait.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => t.join().unwrap(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The closure panicked: report its panic.
                if let Err(payload) = t.join() {
                    panic::resume_unwind(payload);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("parallel::run did not return"),
        }
    }

    #[test]
    fn every_task_runs_once_whatever_the_threads() {
        within_a_minute(|| {
            for threads in 1..=4 {
                for tasks in [0, 1, 2, 3, 17, 200] {
                    let hits: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
                    run(tasks, threads, |i| {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                    });
                    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
                }
            }
        });
    }

    #[test]
    fn each_task_gets_its_own_part() {
        within_a_minute(|| {
            let mut out = vec![0usize; 10];
            let parts: Vec<&mut [usize]> = out.chunks_mut(3).collect();
            run_each(parts, 2, |i, part| part.iter_mut().for_each(|v| *v = i + 1));
            assert_eq!(out, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
        });
    }

    #[test]
    fn work_is_shared_with_a_worker() {
        within_a_minute(|| {
            // Tasks long enough that the worker, once awake, claims some of them (unless
            // other tests keep it busy all along: then the caller runs them all, which
            // `run` allows, so retry a few times).
            let me = std::thread::current().id();
            let shared = (0..20).any(|_| {
                let elsewhere = AtomicUsize::new(0);
                run(64, 2, |_| {
                    std::thread::sleep(Duration::from_micros(200));
                    if std::thread::current().id() != me {
                        elsewhere.fetch_add(1, Ordering::Relaxed);
                    }
                });
                elsewhere.load(Ordering::Relaxed) > 0
            });
            assert!(shared, "no task ever ran on a worker");
        });
    }

    #[test]
    fn a_panicking_task_panics_the_caller_after_the_others_ran() {
        within_a_minute(|| {
            let ran = AtomicUsize::new(0);
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                run(50, 2, |i| {
                    ran.fetch_add(1, Ordering::Relaxed);
                    if i == 7 {
                        panic!("task seven fails");
                    }
                })
            }));
            let payload = result.expect_err("the panic reaches the caller");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"task seven fails"));
            assert_eq!(ran.load(Ordering::Relaxed), 50);
            // The pool still works.
            let sum = AtomicUsize::new(0);
            run(10, 2, |i| {
                sum.fetch_add(i, Ordering::Relaxed);
            });
            assert_eq!(sum.into_inner(), 45);
        });
    }

    /// Nested runs and several callers at once (the workers busy with other callers' jobs)
    /// finish: a caller never waits for a free worker.
    #[test]
    fn nested_runs_and_many_callers_finish() {
        within_a_minute(|| {
            let total = Arc::new(AtomicUsize::new(0));
            let callers: Vec<_> = (0..6)
                .map(|_| {
                    let total = total.clone();
                    std::thread::spawn(move || {
                        for _ in 0..100 {
                            run(4, 3, |_| {
                                run(3, 2, |_| {
                                    total.fetch_add(1, Ordering::Relaxed);
                                });
                            });
                        }
                    })
                })
                .collect();
            for c in callers {
                c.join().unwrap();
            }
            assert_eq!(total.load(Ordering::Relaxed), 6 * 100 * 4 * 3);
        });
    }
}
