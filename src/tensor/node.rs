//! What autograd records: the node behind every tensor handle and the op records between them.
//!
//! A [`Tensor`] is a `Shared<Node>`: a view (layout) of a shared storage, plus its autograd
//! state — whether it requires grad, its accumulated `.grad`, and its `grad_fn`, the record of
//! the op that made it. A record ([`GradFn`]) holds the op (any [`Function`]), its inputs as
//! [`Saved`] tensors with the storage version each had when recorded, and an edge to each
//! input's own record. Edges point at records, not tensors, as in PyTorch: when a tensor is
//! modified in place, it gets a new record, and ops recorded before keep pointing at the old
//! one. Each record has a sequence number greater than its inputs' numbers: that number is
//! the tape's order.

use std::cell::Cell;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};

use super::as_strided::AsStrided;
use super::buffer::Buffer;
use super::element::FloatFunction;
use super::function::Function;
use super::grad_mode::grad_enabled;
use super::shared::{Inner, Shared};
use super::storage::{Layout, Storage};
use crate::{Element, Float, Tensor};

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
#[inline]
fn count_live(delta: isize) {
    let counted = LIVE.try_with(|c| {
        c.0.store(c.0.load(Ordering::Relaxed) + delta, Ordering::Relaxed)
    });
    if counted.is_err() {
        RETIRED.fetch_add(delta, Ordering::Relaxed);
    }
}

thread_local! {
    /// This thread's tape position; see [`next_id`].
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    static LIVE: LiveCount = LiveCount::new();
}

/// A tape position greater than `after` (the largest position among an op's inputs) and than
/// anything made on this thread before. Only "an op comes after its inputs" matters for the
/// reverse walk, so a per-thread counter does, with no atomic operation per op, even for
/// inputs that were made on another thread.
#[inline]
fn next_id(after: u64) -> u64 {
    NEXT_ID.with(|c| {
        let id = c.get().max(after) + 1;
        c.set(id);
        id
    })
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

/// The storage view and autograd state behind a [`Tensor`] handle.
pub(crate) struct Node<T: Element> {
    pub(crate) storage: Shared<Storage<T>>,
    pub(crate) layout: Layout,
    pub(crate) requires_grad: AtomicBool,
    /// Whether the record was ever replaced: `grad_fn` holds it, not `made_by` (see
    /// [`Tensor::with_record`] and [`Saved::reached_once`]).
    rebased: AtomicBool,
    /// The record of the op that made this tensor (None for leaves). It never changes, so
    /// the ops that read it (every op recorded on this tensor) take no lock.
    made_by: Option<Shared<GradFn<T>>>,
    /// The record after the tensor was modified in place by a recorded op (or a view
    /// remade), once `rebased` is set.
    grad_fn: Mutex<Option<Shared<GradFn<T>>>>,
    /// The accumulated gradient; only leaves that require grad ever fill it.
    pub(crate) grad: Mutex<Option<Tensor<T>>>,
    /// For a view: what it views (boxed, so that a node is at most 112 bytes; see
    /// [`Layout`]).
    pub(crate) view: Option<Box<ViewOf<T>>>,
}

// A tensor may be used after a panic was caught, as before `made_by` moved out of its mutex
// (whose poisoning made it unwind-safe): records are immutable once made, and the mutable
// parts (`grad_fn`, `grad`) are still behind mutexes.
impl<T: Element> std::panic::RefUnwindSafe for Node<T> {}

/// What a view views.
pub(crate) struct ViewOf<T: Element> {
    /// The tensor whose storage it views (never itself a view).
    pub(crate) base: Tensor<T>,
    /// The address of the base's record when this view's record was made. When the base
    /// gets a new record (it was modified in place), the view's record is remade from it, as
    /// PyTorch regenerates a view's `grad_fn`.
    pub(crate) base_fn: AtomicUsize,
}

/// How a non-leaf tensor was made. `F` is the op; records are shared as
/// `Shared<GradFn<T, dyn Function<T>>>`, one allocation for the record and the op together.
pub(crate) struct GradFn<T: Element, F: ?Sized = dyn Function<T>> {
    /// Position on the tape (creation order).
    pub(crate) id: u64,
    pub(crate) location: &'static Location<'static>,
    pub(crate) inputs: Inputs<T>,
    /// The output storage's version when the op was recorded.
    pub(crate) out_version: u64,
    pub(crate) op: F,
}

/// An input of a recorded op: the tensor, its storage version then, and where its gradient
/// goes ([`Saved::record`], [`Saved::is_leaf`]).
pub(crate) struct Saved<T: Element> {
    pub(crate) tensor: Tensor<T>,
    /// The record the gradient goes to, when the input was made by a recorded op.
    record: Option<Shared<GradFn<T>>>,
    /// The storage version at capture, times two, plus one when the gradient goes into the
    /// input's `.grad` (a leaf that requires grad). Packed so that a saved input is 32 bytes
    /// and a record of one or two inputs stays a small block: records are made and freed by
    /// the hundred. (A version would need 2⁶³ writes to lose its top bit.)
    version_and_leaf: u64,
}

/// Where the gradient of an input goes.
pub(crate) enum Edge<T: Element> {
    /// Nowhere: the input did not require grad.
    None,
    /// Into the input's `.grad` (it is a leaf that requires grad).
    Leaf,
    /// Into the record of the op that made the input.
    Fn(Shared<GradFn<T>>),
}

/// The inputs of a recorded op; one or two inline, so most records allocate nothing more.
pub(crate) enum Inputs<T: Element> {
    One([Saved<T>; 1]),
    Two([Saved<T>; 2]),
    Many(Vec<Saved<T>>),
    /// None left: the record is being taken apart (see [`Teardown`]).
    Taken,
}

impl<T: Element> Inputs<T> {
    pub(crate) fn as_slice(&self) -> &[Saved<T>] {
        match self {
            Inputs::One(a) => a,
            Inputs::Two(a) => a,
            Inputs::Many(v) => v,
            Inputs::Taken => &[],
        }
    }

    fn take(&mut self) -> Inputs<T> {
        std::mem::replace(self, Inputs::Taken)
    }

    #[inline]
    fn move_into(self, rest: &mut Teardown<T>) {
        match self {
            Inputs::One([a]) => rest.push_saved(a),
            Inputs::Two([a, b]) => {
                rest.push_saved(a);
                rest.push_saved(b);
            }
            Inputs::Many(v) => v.into_iter().for_each(|s| rest.push_saved(s)),
            Inputs::Taken => {}
        }
    }
}

impl<T: Element> Saved<T> {
    /// Captures `t` as an input: its version now and its current record.
    #[inline]
    pub(crate) fn of(t: &Tensor<T>) -> Self {
        let (record, leaf) = match t.edge() {
            Edge::None => (None, false),
            Edge::Leaf => (None, true),
            Edge::Fn(f) => (Some(f), false),
        };
        Saved {
            tensor: t.clone(),
            record,
            version_and_leaf: t.version() << 1 | leaf as u64,
        }
    }

    /// The storage version the input had when the op was recorded.
    pub(crate) fn version(&self) -> u64 {
        self.version_and_leaf >> 1
    }

    /// The record the input's gradient goes to, if it was made by a recorded op.
    pub(crate) fn record(&self) -> Option<&Shared<GradFn<T>>> {
        self.record.as_ref()
    }

    /// Whether this is the only saved input that leads to its record, so that a walk reaches
    /// the record once and needs no lookup to find it again. It is when the record has two
    /// handles, this one and the node's own: the node, which this input holds, has had no
    /// other record since it was made (a replaced record can be held by two saved inputs).
    /// Any other handle (another saved input, a walk's root) makes the count larger, and the
    /// answer no; so does a count that another thread changes meanwhile, as a record in this
    /// walk's graph keeps its handles for the length of the walk.
    #[inline]
    pub(crate) fn reached_once(&self) -> bool {
        self.record
            .as_ref()
            .is_some_and(|f| Shared::strong_count(f) == 2)
            && !self.tensor.0.rebased.load(Ordering::Acquire)
    }

    /// Whether the input's gradient goes into its `.grad` (a leaf that requires grad).
    pub(crate) fn is_leaf(&self) -> bool {
        self.version_and_leaf & 1 == 1
    }
}

/// What an op passes as its inputs: checked for `requires_grad` first, and only turned into
/// saved inputs when the op is actually recorded.
pub(crate) trait OpInputs<T: Element> {
    fn any_requires_grad(&self) -> bool;
    fn capture(self) -> Inputs<T>;
}

impl<T: Element> OpInputs<T> for &Tensor<T> {
    fn any_requires_grad(&self) -> bool {
        self.is_requires_grad()
    }
    fn capture(self) -> Inputs<T> {
        Inputs::One([Saved::of(self)])
    }
}

impl<T: Element> OpInputs<T> for (&Tensor<T>, &Tensor<T>) {
    fn any_requires_grad(&self) -> bool {
        self.0.is_requires_grad() || self.1.is_requires_grad()
    }
    fn capture(self) -> Inputs<T> {
        Inputs::Two([Saved::of(self.0), Saved::of(self.1)])
    }
}

impl<T: Element> OpInputs<T> for &[&Tensor<T>] {
    fn any_requires_grad(&self) -> bool {
        self.iter().any(|t| t.is_requires_grad())
    }
    fn capture(self) -> Inputs<T> {
        Inputs::Many(self.iter().map(|t| Saved::of(t)).collect())
    }
}

impl<T: Element> Node<T> {
    #[inline]
    pub(crate) fn new(
        storage: Shared<Storage<T>>,
        layout: Layout,
        requires_grad: bool,
        grad_fn: Option<Shared<GradFn<T>>>,
        base: Option<Tensor<T>>,
    ) -> Self {
        count_live(1);
        let view = base.map(|base| {
            let base_fn = AtomicUsize::new(base.with_record(fn_addr));
            Box::new(ViewOf { base, base_fn })
        });
        Node {
            storage,
            layout,
            requires_grad: AtomicBool::new(requires_grad),
            rebased: AtomicBool::new(false),
            made_by: grad_fn,
            grad_fn: Mutex::new(None),
            grad: Mutex::new(None),
            view,
        }
    }
}

/// Builds a record for `op` over `inputs`, placed on the tape after every input.
#[track_caller]
pub(crate) fn record<T: Element, F: Function<T>>(
    op: F,
    inputs: Inputs<T>,
    out_version: u64,
) -> Shared<GradFn<T>> {
    record_at(op, inputs, out_version, Location::caller())
}

/// [`record`] with the user's source line given.
#[inline]
pub(crate) fn record_at<T: Element, F: Function<T>>(
    op: F,
    inputs: Inputs<T>,
    out_version: u64,
    location: &'static Location<'static>,
) -> Shared<GradFn<T>> {
    let after = inputs
        .as_slice()
        .iter()
        .map(|s| s.record().map_or(0, |f| f.id))
        .max()
        .unwrap_or(0);
    let f = Shared::new(GradFn {
        id: next_id(after),
        location,
        inputs,
        out_version,
        op,
    });
    // Records are kept as `GradFn<T, dyn Function<T>>`: the op inline, one block in all.
    let sized: NonNull<Inner<GradFn<T, F>>> = Shared::into_inner(f);
    let ptr: NonNull<Inner<GradFn<T>>> = sized;
    // SAFETY: `ptr` comes from `into_inner` just above, only unsized.
    unsafe { Shared::from_inner(ptr) }
}

/// What is left to take apart of a graph being dropped, held without recursion: dropping
/// the last handle to a chain of a million records must not use a million stack frames.
/// Every record or node whose last reference we hold has its inputs moved here before it is
/// dropped, so its own `Drop` finds nothing left and returns at once.
///
/// Most graphs are chains: the record and the tensor at hand stay in `record` and `tensor`,
/// and the stacks only fill (and allocate) where the graph branches.
struct Teardown<T: Element> {
    record: Option<Shared<GradFn<T>>>,
    tensor: Option<Tensor<T>>,
    records: Vec<Shared<GradFn<T>>>,
    tensors: Vec<Tensor<T>>,
}

impl<T: Element> Teardown<T> {
    fn new() -> Self {
        Teardown {
            record: None,
            tensor: None,
            records: Vec::new(),
            tensors: Vec::new(),
        }
    }

    #[inline]
    fn push_record(&mut self, f: Shared<GradFn<T>>) {
        match &self.record {
            None => self.record = Some(f),
            Some(_) => self.records.push(f),
        }
    }

    #[inline]
    fn push_saved(&mut self, s: Saved<T>) {
        self.push_tensor(s.tensor);
        if let Some(f) = s.record {
            self.push_record(f);
        }
    }

    #[inline]
    fn push_tensor(&mut self, t: Tensor<T>) {
        match &self.tensor {
            None => self.tensor = Some(t),
            Some(_) => self.tensors.push(t),
        }
    }

    /// Drops everything held, taking apart each record and node whose last handle it holds.
    /// Records go first: a record shared with the node that made it is then released by the
    /// node, and taken apart by the next round.
    fn run(mut self) {
        loop {
            if let Some(mut f) = self.record.take().or_else(|| self.records.pop()) {
                if let Some(owned) = Shared::get_mut(&mut f) {
                    owned.inputs.take().move_into(&mut self);
                }
            } else if let Some(mut t) = self.tensor.take().or_else(|| self.tensors.pop()) {
                if let Some(node) = Shared::get_mut(&mut t.0) {
                    if let Some(f) = node.made_by.take() {
                        self.push_record(f);
                    }
                    let lock = node.grad_fn.get_mut().unwrap_or_else(|e| e.into_inner());
                    if let Some(f) = lock.take() {
                        self.push_record(f);
                    }
                    if let Some(view) = node.view.take() {
                        self.push_tensor(view.base);
                    }
                    let grad = node.grad.get_mut().unwrap_or_else(|e| e.into_inner());
                    if let Some(g) = grad.take() {
                        self.push_tensor(g);
                    }
                }
            } else {
                return;
            }
        }
    }
}

/// A node hands its record, base and gradient to a [`Teardown`] (see there).
impl<T: Element> Drop for Node<T> {
    #[inline]
    fn drop(&mut self) {
        count_live(-1);
        let f = self.made_by.take();
        let view = self.view.take();
        let rebased = self
            .grad_fn
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if f.is_none() && view.is_none() && rebased.is_none() {
            return;
        }
        let mut rest = Teardown::new();
        rest.record = f;
        rest.tensor = view.map(|v| v.base);
        if let Some(r) = rebased {
            rest.push_record(r);
        }
        rest.run();
    }
}

impl<T: Element, F: ?Sized> Drop for GradFn<T, F> {
    fn drop(&mut self) {
        // Taken apart by a teardown already (checked in place: no move of the inputs).
        if matches!(self.inputs, Inputs::Taken) {
            return;
        }
        let mut rest = Teardown::new();
        self.inputs.take().move_into(&mut rest);
        rest.run();
    }
}

impl<T: Element> Tensor<T> {
    /// A new tensor over `storage` seen through `layout`.
    #[inline]
    pub(crate) fn from_parts(
        storage: Shared<Storage<T>>,
        layout: Layout,
        requires_grad: bool,
        grad_fn: Option<Shared<GradFn<T>>>,
        base: Option<Tensor<T>>,
    ) -> Self {
        debug_assert!(layout.fits(storage.len()));
        Tensor(Shared::new(Node::new(
            storage,
            layout,
            requires_grad,
            grad_fn,
            base,
        )))
    }

    /// A leaf tensor (no gradient recorded, `requires_grad` false) holding `data`.
    pub(crate) fn leaf(data: impl Into<Values<T>>) -> Self {
        let (storage, layout) = data.into().into_storage();
        Tensor::from_parts(Shared::new(storage), layout, false, None, None)
    }

    /// Wraps an op's result that exists for every element type (a copy, a gather), recording
    /// the op when the type is a float, grad mode is on and an input needs a grad.
    #[track_caller]
    pub(crate) fn from_any_op<F: FloatFunction>(
        data: impl Into<Values<T>>,
        op: F,
        inputs: impl OpInputs<T>,
    ) -> Self {
        if !grad_enabled() || !inputs.any_requires_grad() {
            return Tensor::leaf(data);
        }
        let (storage, layout) = data.into().into_storage();
        let grad_fn = T::record_op(op, inputs.capture(), 0, Location::caller());
        let requires_grad = grad_fn.is_some();
        Tensor::from_parts(Shared::new(storage), layout, requires_grad, grad_fn, None)
    }

    /// A view of this tensor's storage through `layout`, recorded as `op` (whose backward
    /// maps the view's gradient back to this tensor's shape).
    #[track_caller]
    pub(crate) fn view_op<F: FloatFunction>(&self, layout: Layout, op: F) -> Self {
        let layout = layout.empty_within(self.0.storage.len());
        debug_assert!(layout.fits(self.0.storage.len()));
        let base = Some(self.base().cloned().unwrap_or_else(|| self.clone()));
        let storage = self.0.storage.clone();
        if !grad_enabled() || !self.is_requires_grad() {
            return Tensor::from_parts(storage, layout, false, None, base);
        }
        let grad_fn = T::record_op(op, self.capture(), self.version(), Location::caller());
        let requires_grad = grad_fn.is_some();
        Tensor::from_parts(storage, layout, requires_grad, grad_fn, base)
    }

    /// The storage version (bumped by every in-place write, as PyTorch's `_version`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2]);
    /// let v = x.version();
    /// x.add_scalar_(1.0);
    /// assert_eq!(x.version(), v + 1);
    /// ```
    pub fn version(&self) -> u64 {
        self.0.storage.version()
    }

    /// This tensor's record (None for leaves).
    pub(crate) fn grad_fn(&self) -> Option<Shared<GradFn<T>>> {
        self.refresh_view();
        self.with_record(Option::clone)
    }

    /// Remakes a view's record when its base was modified in place since the view was made,
    /// so gradients through the view see the base's new history.
    fn refresh_view(&self) {
        let Some(view) = &self.0.view else { return };
        let base = &view.base;
        if !self.is_requires_grad() || !base.is_requires_grad() {
            return;
        }
        let now = base.with_record(fn_addr);
        if now == view.base_fn.load(Ordering::Acquire) {
            return;
        }
        assert!(
            base.is_contiguous(),
            "tapegrad: a view of a non-contiguous tensor that was modified in place cannot be \
             differentiated; take the view again after the in-place op"
        );
        let rel = self.layout_in(base);
        let op = AsStrided::new(rel, base.shape());
        let inputs = Inputs::One([Saved::of(base)]);
        self.replace_record(T::record_op(op, inputs, self.version(), Location::caller()));
        view.base_fn.store(now, Ordering::Release);
    }

    /// This view's layout relative to the first element of `base` (a contiguous tensor
    /// over the same storage).
    pub(crate) fn layout_in(&self, base: &Tensor<T>) -> Layout {
        let l = self.layout();
        Layout::new(l.shape(), &l.strides(), l.offset() - base.layout().offset())
    }

    /// For a view: the tensor whose storage it views.
    pub(crate) fn base(&self) -> Option<&Tensor<T>> {
        self.0.view.as_ref().map(|v| &v.base)
    }

    /// This tensor's elements, writable in place, when nothing else can see them or will
    /// miss them: this is the only handle to its node and the node the only user of its
    /// storage (so no view, no detached alias, no saved input), it neither requires grad nor
    /// holds a record or a `.grad`, and it is row-major over the whole storage. An op that
    /// owns such a tensor may write its result there instead of allocating a new one (Rust's
    /// ownership then guarantees that the old values are never read again).
    pub(crate) fn sole_elements(&mut self) -> Option<&mut [T]> {
        let node = Shared::get_mut(&mut self.0)?;
        let alone = !*node.requires_grad.get_mut()
            && node.view.is_none()
            && node.made_by.is_none()
            && node.grad_fn.get_mut().is_ok_and(|f| f.is_none())
            && node.grad.get_mut().is_ok_and(|g| g.is_none());
        let Layout::RowMajor(shape) = &node.layout else {
            return None;
        };
        if !alone {
            return None;
        }
        let numel = super::storage::numel(shape.slice());
        let elements = Shared::get_mut(&mut node.storage)?.elements_mut();
        (elements.len() == numel).then_some(elements)
    }

    /// `f` of this tensor's current record. Until the tensor is modified in place that is
    /// `made_by`, which never changes and is read without a lock; after, the `grad_fn` slot,
    /// read under its lock. (A reader that sees `rebased` unset while another thread
    /// replaces the record reads the record from before the replacement, as if it had run
    /// first.) Writes go through `replace_record`, so the slot stays inside this module and
    /// its parent.
    #[inline]
    pub(super) fn with_record<R>(&self, f: impl FnOnce(&Option<Shared<GradFn<T>>>) -> R) -> R {
        if !self.0.rebased.load(Ordering::Acquire) {
            return f(&self.0.made_by);
        }
        f(&self.0.grad_fn.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A new handle to this tensor's elements and history as they are now: a node of its own
    /// over the same storage and layout, with the same record. An op that writes into this
    /// tensor and records it saves the alias, not the tensor: the tensor is about to take the
    /// op's record, which would then hold the node that holds it, a cycle that nothing frees.
    ///
    /// A view's alias is recorded afresh over an alias of its base (its base's history seen
    /// through its layout, as `refresh_view` remakes it): the view's own record holds the
    /// base itself, and the base takes a record that leads back here when the view is
    /// written.
    #[track_caller]
    pub(crate) fn alias_with_history(&self) -> Tensor<T> {
        // The alias of a leaf that requires grad would collect its gradient in the alias's
        // `.grad`; in-place ops refuse such leaves before they get here.
        debug_assert!(!(self.is_requires_grad() && self.is_leaf()));
        let record = match &self.0.view {
            Some(view)
                if self.is_requires_grad()
                    && view.base.is_requires_grad()
                    && view.base.is_contiguous() =>
            {
                let base = view.base.alias_with_history();
                let op = AsStrided::new(self.layout_in(&view.base), view.base.shape());
                let inputs = Inputs::One([Saved::of(&base)]);
                T::record_op(op, inputs, self.version(), Location::caller())
            }
            _ => {
                self.refresh_view();
                self.with_record(Option::clone)
            }
        };
        Tensor::from_parts(
            self.0.storage.clone(),
            self.0.layout.clone(),
            self.is_requires_grad(),
            record,
            None,
        )
    }

    /// Gives this tensor a new record (after an in-place op, or for a view whose base was
    /// modified in place).
    pub(crate) fn replace_record(&self, f: Option<Shared<GradFn<T>>>) {
        let mut slot = self.0.grad_fn.lock().unwrap_or_else(|e| e.into_inner());
        // Set before the new record is visible, and while the slot is locked: a reader that
        // sees the flag then waits for the lock and reads the new record, and a walk that
        // sees the old record's count drop to two handles sees the flag too.
        self.0.rebased.store(true, Ordering::Release);
        *slot = f;
    }

    /// Where a gradient for this tensor goes, as an op input recorded now.
    #[inline]
    pub(crate) fn edge(&self) -> Edge<T> {
        if !self.is_requires_grad() {
            return Edge::None;
        }
        match self.grad_fn() {
            Some(f) => Edge::Fn(f),
            None => Edge::Leaf,
        }
    }
}

impl<T: Float> Tensor<T> {
    /// Wraps an op's result, recording the op when grad mode is on and an input needs a grad.
    #[track_caller]
    pub(crate) fn from_op<F: Function<T>>(
        data: impl Into<Values<T>>,
        op: F,
        inputs: impl OpInputs<T>,
    ) -> Self {
        if !grad_enabled() || !inputs.any_requires_grad() {
            return Tensor::leaf(data);
        }
        let (storage, layout) = data.into().into_storage();
        let grad_fn = record(op, inputs.capture(), 0);
        Tensor::from_parts(Shared::new(storage), layout, true, Some(grad_fn), None)
    }

    /// Records a user-defined op: `values` is the forward result the caller computed from
    /// `inputs`, and `op`'s backward gives the inputs' gradients. Nothing is recorded under
    /// `no_grad` or when no input requires grad. See [`Function`] for an example.
    #[track_caller]
    pub fn from_function<F: Function<T>>(values: ArrayD<T>, op: F, inputs: &[&Tensor<T>]) -> Self {
        Tensor::from_op(values, op, inputs)
    }
}

/// The address of a record, 0 for none (to tell records apart without holding them).
fn fn_addr<T: Element>(f: &Option<Shared<GradFn<T>>>) -> usize {
    f.as_ref().map_or(0, Shared::addr)
}

/// An op's result: row-major elements and their shape, before they become a storage.
/// Kernels fill a [`Buffer`] (inline when small) and hand it over as it is; ndarray results
/// convert.
pub(crate) struct Values<T: Element> {
    pub(crate) data: Buffer<T>,
    pub(crate) shape: IxDyn,
}

impl<T: Element> Values<T> {
    /// `data` (row-major, `shape`'s element count) as values.
    pub(crate) fn new(data: impl Into<Buffer<T>>, shape: IxDyn) -> Self {
        let data = data.into();
        debug_assert_eq!(data.len(), shape.size());
        Values { data, shape }
    }

    /// The values as an ndarray view.
    pub(crate) fn view(&self) -> ArrayViewD<'_, T> {
        ArrayViewD::from_shape(self.shape.clone(), self.data.as_slice()).expect("element count")
    }

    /// The values as an ndarray array.
    pub(crate) fn into_array(self) -> ArrayD<T> {
        ArrayD::from_shape_vec(self.shape, self.data.into_vec()).expect("element count")
    }

    fn into_storage(self) -> (Storage<T>, Layout) {
        (Storage::new(self.data), Layout::row_major(self.shape))
    }
}

impl<T: Element> From<ArrayD<T>> for Values<T> {
    fn from(data: ArrayD<T>) -> Self {
        let shape = data.raw_dim();
        let data = if data.is_standard_layout() {
            data
        } else {
            data.as_standard_layout().into_owned()
        };
        let n = shape.size();
        let (mut vec, offset) = data.into_raw_vec_and_offset();
        if let Some(o) = offset.filter(|&o| o > 0) {
            vec.drain(..o);
        }
        vec.truncate(n);
        Values {
            data: Buffer::Heap(vec),
            shape,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_input_keeps_its_version_and_where_its_gradient_goes() {
        let leaf = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
        let plain = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        for _ in 0..3 {
            plain.data_mut();
        }
        let made = &leaf * 2.0;

        let s = Saved::of(&leaf);
        assert!(s.is_leaf() && s.record().is_none());
        assert_eq!(s.version(), 0);
        let s = Saved::of(&plain);
        assert!(!s.is_leaf() && s.record().is_none());
        assert_eq!(s.version(), 3);
        let s = Saved::of(&made);
        let f = made.grad_fn().unwrap();
        assert!(!s.is_leaf() && s.record().is_some_and(|g| Shared::ptr_eq(g, &f)));
        assert_eq!(s.version(), made.version());
    }

    /// A graph's nodes and records are made and freed by the hundred: their blocks (with the
    /// count of handles) stay small, well within the per-thread block cache's 256 bytes.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn nodes_and_records_of_two_inputs_are_small_blocks() {
        use std::mem::size_of;
        assert_eq!(size_of::<Saved<f64>>(), 32);
        assert!(size_of::<Inner<GradFn<f64, f64>>>() <= 112);
        assert_eq!(size_of::<Layout>(), 40);
        assert!(size_of::<Inner<Node<f64>>>() <= 128);
    }
}
