//! Recording: the graph node behind every tensor, the op record, and grad mode.
//!
//! Every tensor is an `Arc<Node>`. A tensor made by an op whose inputs need gradients gets a
//! [`GradFn`]: which op made it, the input tensors, and the user's source line. The inputs
//! are held by `Arc`, so the recorded graph lives exactly as long as some tensor refers to it.
//! Each node also gets a sequence number, greater than its inputs' numbers: that number is the
//! tape's order. Walking nodes by decreasing sequence number visits every consumer before
//! what it consumes, which is the reverse walk.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use ndarray::{ArrayD, IxDyn};

use crate::ops::Op;
use crate::pool;
use crate::{Float, Tensor};

/// Live tensors of threads that have ended, plus drops seen during a thread's teardown.
static RETIRED: AtomicIsize = AtomicIsize::new(0);
/// Every running thread's count of tensors made minus tensors dropped there (a tensor dropped on
/// another thread than the one that made it makes one count negative; the sum is right).
static LIVE_COUNTS: Mutex<Vec<Arc<AtomicIsize>>> = Mutex::new(Vec::new());

/// A thread's entry in `LIVE_COUNTS`; when the thread ends, its count moves to `RETIRED`.
struct LiveCount(Arc<AtomicIsize>);

impl LiveCount {
    fn new() -> Self {
        let count = Arc::new(AtomicIsize::new(0));
        LIVE_COUNTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(count.clone());
        LiveCount(count)
    }
}

impl Drop for LiveCount {
    fn drop(&mut self) {
        let mut counts = LIVE_COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        RETIRED.fetch_add(self.0.load(Ordering::Relaxed), Ordering::Relaxed);
        counts.retain(|c| !Arc::ptr_eq(c, &self.0));
    }
}

/// Adds `delta` to this thread's live count. Only this thread writes it, so a plain load and
/// store do (no atomic read-modify-write per op).
fn count_live(delta: isize) {
    let counted = LIVE.try_with(|c| {
        c.0.store(c.0.load(Ordering::Relaxed) + delta, Ordering::Relaxed)
    });
    if counted.is_err() {
        RETIRED.fetch_add(delta, Ordering::Relaxed);
    }
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    /// This thread's tape position; see [`next_id`].
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    static LIVE: LiveCount = LiveCount::new();
}

/// A tape position greater than `after` (the largest position among an op's inputs) and than
/// anything made on this thread before. Only "an op comes after its inputs" matters for the
/// reverse walk, so a per-thread counter does, with no atomic operation per op, even for
/// inputs that were made on another thread.
fn next_id(after: u64) -> u64 {
    NEXT_ID.with(|c| {
        let id = c.get().max(after) + 1;
        c.set(id);
        id
    })
}

/// The storage and autograd record behind a [`Tensor`] handle.
pub(crate) struct Node<T: Float> {
    pub(crate) data: RwLock<ArrayD<T>>,
    /// The shape of `data`, kept outside the lock so `shape()` can lend it out.
    pub(crate) shape: IxDyn,
    /// The accumulated gradient; only leaves that require grad ever fill it.
    pub(crate) grad: Mutex<Option<Tensor<T>>>,
    pub(crate) requires_grad: bool,
    pub(crate) grad_fn: Option<GradFn<T>>,
    /// Position on the tape (creation order).
    pub(crate) id: u64,
}

/// How a non-leaf tensor was made.
pub(crate) struct GradFn<T: Float> {
    pub(crate) op: Op<T>,
    pub(crate) inputs: Inputs<T>,
    pub(crate) location: &'static Location<'static>,
}

/// The input tensors of a recorded op; one or two inline, so most records allocate nothing.
pub(crate) enum Inputs<T: Float> {
    One([Tensor<T>; 1]),
    Two([Tensor<T>; 2]),
    Many(Vec<Tensor<T>>),
}

impl<T: Float> Inputs<T> {
    pub(crate) fn as_slice(&self) -> &[Tensor<T>] {
        match self {
            Inputs::One(a) => a,
            Inputs::Two(a) => a,
            Inputs::Many(v) => v,
        }
    }

    fn move_into(self, stack: &mut Vec<Tensor<T>>) {
        match self {
            Inputs::One(a) => stack.extend(a),
            Inputs::Two(a) => stack.extend(a),
            Inputs::Many(v) => stack.extend(v),
        }
    }
}

/// What an op passes as its inputs: checked for `requires_grad` first, and only turned into
/// stored handles (`Arc` clones) when the op is actually recorded.
pub(crate) trait OpInputs<T: Float> {
    fn any_requires_grad(&self) -> bool;
    fn into_inputs(self) -> Inputs<T>;
}

impl<T: Float> OpInputs<T> for &Tensor<T> {
    fn any_requires_grad(&self) -> bool {
        self.0.requires_grad
    }
    fn into_inputs(self) -> Inputs<T> {
        Inputs::One([self.clone()])
    }
}

impl<T: Float> OpInputs<T> for (&Tensor<T>, &Tensor<T>) {
    fn any_requires_grad(&self) -> bool {
        self.0 .0.requires_grad || self.1 .0.requires_grad
    }
    fn into_inputs(self) -> Inputs<T> {
        Inputs::Two([self.0.clone(), self.1.clone()])
    }
}

impl<T: Float> OpInputs<T> for &[&Tensor<T>] {
    fn any_requires_grad(&self) -> bool {
        self.iter().any(|t| t.0.requires_grad)
    }
    fn into_inputs(self) -> Inputs<T> {
        Inputs::Many(self.iter().map(|t| (*t).clone()).collect())
    }
}

impl<T: Float> Node<T> {
    pub(crate) fn new(data: ArrayD<T>, requires_grad: bool, grad_fn: Option<GradFn<T>>) -> Self {
        count_live(1);
        let after = grad_fn.as_ref().map_or(0, |gf| {
            gf.inputs
                .as_slice()
                .iter()
                .map(|t| t.0.id)
                .max()
                .unwrap_or(0)
        });
        let id = next_id(after);
        Node {
            shape: data.raw_dim(),
            data: RwLock::new(data),
            grad: Mutex::new(None),
            requires_grad,
            grad_fn,
            id,
        }
    }
}

/// Dropping a long graph must not recurse once per node (a 1,000,000-op chain would overflow
/// the stack), so a node hands its inputs to an explicit stack, and every input this node
/// held the last reference to is taken apart the same way.
impl<T: Float> Drop for Node<T> {
    fn drop(&mut self) {
        count_live(-1);
        recycle(self.data.get_mut().unwrap_or_else(|e| e.into_inner()));
        let Some(grad_fn) = self.grad_fn.take() else {
            return;
        };
        let mut stack = Vec::new();
        grad_fn.inputs.move_into(&mut stack);
        while let Some(t) = stack.pop() {
            if let Some(mut node) = Arc::into_inner(t.0) {
                if let Some(gf) = node.grad_fn.take() {
                    gf.inputs.move_into(&mut stack);
                }
            }
        }
    }
}

/// How many tensors (graph nodes, gradients included) are alive in the whole process.
///
/// For finding leaks: a training loop that keeps a graph alive by mistake shows a count that
/// grows step after step.
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::<f32>::ones(&[3]).requires_grad();
/// let y = x.exp().sum();
/// assert!(tapegrad::live_tensors() >= 3);
/// drop(y);
/// ```
pub fn live_tensors() -> usize {
    let counts = LIVE_COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let running: isize = counts.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    (running + RETIRED.load(Ordering::Relaxed)).max(0) as usize
}

/// Hands a large array's buffer to the pool (see `pool.rs`) instead of freeing it.
fn recycle<T: Float>(data: &mut ArrayD<T>) {
    if data.len() >= pool::MIN_POOLED {
        let empty = ArrayD::from_shape_vec(IxDyn(&[0]), Vec::new()).expect("empty");
        let (buffer, _) = std::mem::replace(data, empty).into_raw_vec_and_offset();
        pool::give(buffer);
    }
}

/// Whether ops on this thread are being recorded.
pub(crate) fn grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Switches recording on or off for this thread until dropped, then restores what was.
pub(crate) struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    pub(crate) fn set(enabled: bool) -> Self {
        let previous = GRAD_ENABLED.with(|g| g.replace(enabled));
        GradModeGuard { previous }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Turns off recording while it lives, like PyTorch's `torch.no_grad()` context.
///
/// ```
/// use tapegrad::{NoGradGuard, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
/// let y = {
///     let _guard = NoGradGuard::new();
///     &w * 2.0
/// };
/// assert!(!y.is_requires_grad());
/// assert!((&w * 2.0).is_requires_grad());
/// ```
pub struct NoGradGuard {
    _mode: GradModeGuard,
}

impl NoGradGuard {
    /// Stops recording on this thread until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NoGradGuard {
            _mode: GradModeGuard::set(false),
        }
    }
}

/// Runs `f` without recording any op, like `with torch.no_grad():`.
///
/// ```
/// use tapegrad::{no_grad, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
/// let y = no_grad(|| w.exp());
/// assert!(!y.is_requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

impl<T: Float> Tensor<T> {
    /// Wraps an op's result, recording the op when grad mode is on and an input needs a grad.
    #[track_caller]
    pub(crate) fn from_op(data: ArrayD<T>, op: Op<T>, inputs: impl OpInputs<T>) -> Self {
        if !grad_enabled() || !inputs.any_requires_grad() {
            return Tensor::from_node(Node::new(data, false, None));
        }
        let grad_fn = GradFn {
            op,
            inputs: inputs.into_inputs(),
            location: Location::caller(),
        };
        Tensor::from_node(Node::new(data, true, Some(grad_fn)))
    }
}
