//! The reverse walk: from an output back through every recorded op, accumulating gradients.
//!
//! 1. Collect the graph behind the output breadth-first, the items found so far being the
//!    queue (no recursion, so a chain of a million ops is fine).
//! 2. Order the nodes by decreasing tape position: each node then comes after everything that
//!    consumed it, so its gradient is complete when it is reached.
//! 3. For each node, ask its op for the input gradients (only those some target needs) and
//!    add them into the inputs' slots, in place where nobody else holds the buffer.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::or_panic;
use crate::tensor::function::{Context, Grads, Placed};
use crate::tensor::grad_mode::GradModeGuard;
use crate::tensor::node::{Edge, GradFn, Saved};
use crate::tensor::shared::Shared;
use crate::{Error, Float, Tensor};

static DETECT_ANOMALY: AtomicBool = AtomicBool::new(false);

/// Turns anomaly detection on or off for every thread, as `torch.autograd.set_detect_anomaly`.
///
/// When on, backward checks each op's input gradients as they are made and stops at the first
/// NaN or Inf, reporting the op and the source line where it was created. It costs a pass over
/// every gradient, so leave it off when not debugging.
///
/// ```
/// use tapegrad::Tensor;
/// tapegrad::set_detect_anomaly(true);
/// let x = Tensor::from_vec(vec![0.0f64], &[1]).requires_grad();
/// let err = x.sqrt().sum().try_backward().unwrap_err();
/// assert!(err.to_string().contains("sqrt"));
/// tapegrad::set_detect_anomaly(false);
/// ```
pub fn set_detect_anomaly(enabled: bool) {
    DETECT_ANOMALY.store(enabled, Ordering::Relaxed);
}

/// Whether anomaly detection is on.
///
/// ```
/// assert!(!tapegrad::is_anomaly_enabled());
/// ```
pub fn is_anomaly_enabled() -> bool {
    DETECT_ANOMALY.load(Ordering::Relaxed)
}

/// Hashes a node address; addresses are already well spread, so no mixing is needed.
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only pointers are hashed")
    }
    fn write_usize(&mut self, v: usize) {
        // Drop the alignment bits and fold the high bits in.
        self.0 = ((v >> 4) ^ (v >> 20)) as u64;
    }
}

type PtrMap<V> = HashMap<usize, V, BuildHasherDefault<PtrHasher>>;

/// A node of the graph being walked: an op record (with its output, for `Context::output`)
/// or a leaf that accumulates into its `.grad`.
///
/// Items borrow from the graph itself: every record in it is reached from the root's record
/// through its inputs, which a record never changes while it is shared, and `run` holds the
/// root's record for the whole walk. So the walk takes no reference counts per node.
#[derive(Clone, Copy)]
enum Item<'g, T: Float> {
    Op {
        f: &'g Shared<GradFn<T>>,
        out: &'g Tensor<T>,
    },
    Leaf(&'g Tensor<T>),
}

impl<T: Float> Item<'_, T> {
    fn id(&self) -> u64 {
        match self {
            Item::Op { f, .. } => f.id,
            Item::Leaf(_) => 0,
        }
    }
}

fn fn_key<T: Float>(f: &Shared<GradFn<T>>) -> usize {
    Shared::addr(f)
}

fn leaf_key<T: Float>(t: &Tensor<T>) -> usize {
    Shared::addr(&t.0)
}

/// The key and item a gradient for `t`, reaching it along `edge`, goes to.
fn item_of<'g, T: Float>(t: &'g Tensor<T>, edge: &'g Edge<T>) -> Option<(usize, Item<'g, T>)> {
    match edge {
        Edge::None => None,
        Edge::Leaf => Some((leaf_key(t), Item::Leaf(t))),
        Edge::Fn(f) => Some((fn_key(f), Item::Op { f, out: t })),
    }
}

/// The key and item the gradient of a recorded op's input goes to.
fn input_item<T: Float>(saved: &Saved<T>) -> Option<(usize, Item<'_, T>)> {
    match saved.record() {
        Some(f) => Some((
            fn_key(f),
            Item::Op {
                f,
                out: &saved.tensor,
            },
        )),
        None if saved.is_leaf() => Some((leaf_key(&saved.tensor), Item::Leaf(&saved.tensor))),
        None => None,
    }
}

/// One node of the graph being walked, with everything the walk keeps about it.
struct Slot<'g, T: Float> {
    item: Item<'g, T>,
    /// `Graph::edges[start..end]` are the item's inputs (`NONE` where no grad flows).
    start: usize,
    end: usize,
    /// The gradient gathered so far for the item's output.
    grad: Option<Tensor<T>>,
    /// Whether any gradient asked for depends on this item (always, for `backward`).
    needed: bool,
    /// Which of `grad`'s targets this item is, if any.
    target: usize,
}

/// The graph behind an output, in breadth-first discovery order (the root first).
struct Graph<'g, T: Float> {
    slots: Vec<Slot<'g, T>>,
    index: PtrMap<usize>,
    edges: Vec<usize>,
}

const NONE: usize = usize::MAX;

thread_local! {
    /// The node and edge counts of this thread's last walk (see `Graph::collect`).
    static LAST_SIZE: Cell<(usize, usize)> = const { Cell::new((16, 16)) };
}

impl<'g, T: Float> Graph<'g, T> {
    /// `find_later`: whether `index` must hold every node, for finding targets by key after
    /// the walk is collected; else a record that only one saved input leads to
    /// ([`Saved::reached_once`], every link of a chain) goes straight into a slot.
    fn collect(root_key: usize, root: Item<'g, T>, find_later: bool) -> Self {
        // Room for as large a graph as this thread's last walk: a training loop walks the same
        // graph step after step, so the vectors and the map never grow (growing them step by
        // step cost a twentieth of a tiny op's backward), and a small model does not pay for
        // a large reservation either. The map gets twice the room: a half-empty table probes
        // less.
        let (nodes, edges) = LAST_SIZE.with(Cell::get);
        let mut g = Graph {
            slots: Vec::with_capacity(nodes),
            index: PtrMap::with_capacity_and_hasher(2 * nodes, Default::default()),
            edges: Vec::with_capacity(edges),
        };
        g.slots.push(Slot::new(root));
        g.index.insert(root_key, 0);
        // The slots found so far are the queue: slot `i` is expanded when the loop reaches it.
        let mut i = 0;
        while i < g.slots.len() {
            let start = g.edges.len();
            if let Item::Op { f, .. } = g.slots[i].item {
                for saved in f.inputs.as_slice() {
                    let j = match input_item(saved) {
                        None => NONE,
                        Some((_, item)) if !find_later && saved.reached_once() => {
                            g.slots.push(Slot::new(item));
                            g.slots.len() - 1
                        }
                        Some((key, item)) => {
                            let next = g.slots.len();
                            let j = *g.index.entry(key).or_insert(next);
                            if j == next {
                                g.slots.push(Slot::new(item));
                            }
                            j
                        }
                    };
                    g.edges.push(j);
                }
            }
            let end = g.edges.len();
            let slot = &mut g.slots[i];
            (slot.start, slot.end) = (start, end);
            i += 1;
        }
        // Capped, so one huge walk does not make every later one reserve as much.
        const CAP: usize = 1 << 16;
        LAST_SIZE.with(|c| c.set((g.slots.len().min(CAP), g.edges.len().min(CAP))));
        g
    }
}

impl<'g, T: Float> Slot<'g, T> {
    fn new(item: Item<'g, T>) -> Self {
        Slot {
            item,
            start: 0,
            end: 0,
            grad: None,
            needed: true,
            target: NONE,
        }
    }
}

/// Where the walk puts its results.
pub(crate) enum Sink<'a, T: Float> {
    /// Accumulate into the `.grad` of every leaf that requires grad (`backward`).
    Leaves,
    /// Return the gradients of these tensors, touching no `.grad` (`grad`).
    Targets(&'a [&'a Tensor<T>]),
}

/// The key of the item a tensor's own gradient arrives at.
fn own_key<T: Float>(t: &Tensor<T>) -> Option<usize> {
    match t.edge() {
        Edge::None => None,
        Edge::Leaf => Some(leaf_key(t)),
        Edge::Fn(f) => Some(fn_key(&f)),
    }
}

/// Runs the reverse walk from `root` with upstream gradient `seed`.
pub(crate) fn run<T: Float>(
    root: &Tensor<T>,
    seed: Tensor<T>,
    sink: Sink<'_, T>,
    create_graph: bool,
) -> Result<Vec<Option<Tensor<T>>>, Error> {
    let _mode = GradModeGuard::set(create_graph);
    // Held for the whole walk: it keeps every record the items borrow alive.
    let root_edge = root.edge();
    let Some((mut root_key, mut root_item)) = item_of(root, &root_edge) else {
        return Err(not_requiring_grad());
    };
    let mut seed = seed;
    if matches!(sink, Sink::Leaves) && !create_graph && !is_anomaly_enabled() {
        match walk_chain(root_item, seed)? {
            Chain::Done => return Ok(Vec::new()),
            Chain::Rest(key, item, g) => (root_key, root_item, seed) = (key, item, g),
        }
    }
    let Graph {
        mut slots,
        index,
        edges,
    } = Graph::collect(root_key, root_item, matches!(sink, Sink::Targets(_)));
    // A chain is discovered in tape order already; other graphs are put in that order (each
    // record after everything that consumed its output).
    let order: Option<Vec<usize>> = if slots.is_sorted_by_key(|s| Reverse(s.item.id())) {
        None
    } else {
        // Records first, then leaves (position 0, in discovery order): a layered model's
        // records are found in tape order already, so only the leaves move, no sort needed.
        let is_leaf = |i: &usize| matches!(slots[*i].item, Item::Leaf(_));
        let mut order = Vec::with_capacity(slots.len());
        order.extend((0..slots.len()).filter(|i| !is_leaf(i)));
        if !order.is_sorted_by_key(|&i| Reverse(slots[i].item.id())) {
            order.sort_by_key(|&i| Reverse(slots[i].item.id()));
        }
        order.extend((0..slots.len()).filter(is_leaf));
        Some(order)
    };
    let at = |step: usize| order.as_ref().map_or(step, |o| o[step]);

    // Which target (if any) each item is, and which items lead to a target at all.
    let mut results = Vec::new();
    if let Sink::Targets(targets) = &sink {
        results = vec![None; targets.len()];
        for (k, t) in targets.iter().enumerate() {
            if let Some(&i) = own_key(t).and_then(|key| index.get(&key)) {
                slots[i].target = k;
            }
        }
        for step in (0..slots.len()).rev() {
            let i = at(step);
            let (start, end) = (slots[i].start, slots[i].end);
            slots[i].needed = slots[i].target != NONE
                || edges[start..end]
                    .iter()
                    .any(|&j| j != NONE && slots[j].needed);
        }
    }

    let anomaly = is_anomaly_enabled();
    slots[0].grad = Some(seed);
    for step in 0..slots.len() {
        let i = at(step);
        let slot = &mut slots[i];
        let Some(g) = slot.grad.take() else { continue };
        if !slot.needed {
            continue;
        }
        if slot.target != NONE {
            results[slot.target] = Some(g.clone());
        }
        let (f, out) = match slot.item {
            Item::Leaf(t) => {
                if matches!(sink, Sink::Leaves) {
                    accumulate_leaf(t, g, create_graph);
                }
                continue;
            }
            Item::Op { f, out } => (f, out),
        };
        let edges = &edges[slot.start..slot.end];
        let mut bits = 0u64;
        for (k, &j) in edges.iter().enumerate() {
            if j != NONE && slots[j].needed && k < 64 {
                bits |= 1 << k;
            }
        }
        let wide = edges.len() > 64 && edges.iter().any(|&j| j != NONE && slots[j].needed);
        if bits == 0 && !wide {
            continue;
        }
        let inputs = f.inputs.as_slice();
        let needs = if wide { u64::MAX } else { bits };
        let ctx = context(f, out, needs);
        let input_grads = f.op.backward_owned(&ctx, g);
        check_unmodified(f, &ctx)?;
        let input_grads = match input_grads.into_placed() {
            // The fast path: added into its region of the pending gradient, in place.
            Ok(p) if !create_graph && !anomaly => {
                let j = edges[0];
                if j != NONE && slots[j].needed {
                    check_shape(f, &p.shape, inputs[0].tensor.shape(), 0);
                    accumulate_placed(&mut slots[j].grad, p);
                }
                continue;
            }
            // Recorded (or checked for anomalies) as an ordinary gradient.
            Ok(p) => Grads::one(p.grad.as_strided_scatter(&p.rel, &p.shape)),
            Err(grads) => grads,
        };
        check_count(f, input_grads.len(), edges.len());
        // Every entry is visited (those past `count` are `None`), so the list ends empty
        // and dropping it does nothing.
        for (k, gi) in input_grads.into_list().enumerate() {
            let Some(gi) = gi else { continue };
            let j = edges[k];
            if j == NONE || !slots[j].needed {
                continue;
            }
            check_shape(f, gi.shape(), inputs[k].tensor.shape(), k);
            if anomaly && gi.data().view().iter().any(|v| !v.is_finite()) {
                return Err(Error::Anomaly {
                    op: f.op.name(),
                    location: f.location.to_string(),
                    input: k,
                });
            }
            accumulate(&mut slots[j].grad, gi, create_graph);
        }
    }
    Ok(results)
}

/// Where [`walk_chain`] stopped.
enum Chain<'g, T: Float> {
    /// Every gradient has arrived.
    Done,
    /// The rest of the graph, from this item (its key) with this pending gradient.
    Rest(usize, Item<'g, T>, Tensor<T>),
}

/// Walks the chain at the top of a graph: while the item at hand is a one-input op, its
/// backward runs at once and the walk moves on to the input, with none of the general walk's
/// bookkeeping (a loss's last ops, a chain of elementwise ops). The input's gradient is then
/// complete: any other consumer of it in this graph would be reached from the root through
/// this op's one input, so it would consume its own input, and records form no cycles (a
/// record only holds records made before it).
fn walk_chain<'g, T: Float>(
    mut item: Item<'g, T>,
    mut g: Tensor<T>,
) -> Result<Chain<'g, T>, Error> {
    loop {
        let Item::Op { f, out } = item else {
            let Item::Leaf(t) = item else { unreachable!() };
            accumulate_leaf(t, g, false);
            return Ok(Chain::Done);
        };
        let [saved] = f.inputs.as_slice() else {
            return Ok(Chain::Rest(fn_key(f), item, g));
        };
        let Some((_, next)) = input_item(saved) else {
            return Ok(Chain::Done);
        };
        let ctx = context(f, out, 1);
        let grads = f.op.backward_owned(&ctx, g);
        check_unmodified(f, &ctx)?;
        let gi = match grads.into_placed() {
            Ok(p) => {
                let mut acc = None;
                check_shape(f, &p.shape, saved.tensor.shape(), 0);
                accumulate_placed(&mut acc, p);
                acc
            }
            Err(grads) => {
                check_count(f, grads.len(), 1);
                grads.into_list().next().flatten()
            }
        };
        let Some(gi) = gi else { return Ok(Chain::Done) };
        check_shape(f, gi.shape(), saved.tensor.shape(), 0);
        (item, g) = (next, gi);
    }
}

/// The context `f`'s backward reads its output `out` and inputs through, the inputs in the
/// bit set `needs` asking for gradients.
fn context<'a, T: Float>(f: &'a GradFn<T>, out: &'a Tensor<T>, needs: u64) -> Context<'a, T> {
    Context {
        inputs: f.inputs.as_slice(),
        output: out,
        out_version: f.out_version,
        needs,
        modified: Cell::new(None),
    }
}

/// An error if `f`'s backward found a tensor it read modified in place since `f` was
/// recorded.
#[inline]
fn check_unmodified<T: Float>(f: &GradFn<T>, ctx: &Context<'_, T>) -> Result<(), Error> {
    match ctx.modified.get() {
        None => Ok(()),
        Some((expected, found)) => Err(modified(f, expected, found)),
    }
}

#[cold]
fn modified<T: Float>(f: &GradFn<T>, expected: u64, found: u64) -> Error {
    Error::Modified {
        op: f.op.name(),
        location: f.location.to_string(),
        expected,
        found,
    }
}

/// Panics unless a backward gave at most one gradient per input.
#[inline]
fn check_count<T: Float>(f: &GradFn<T>, count: usize, inputs: usize) {
    assert!(
        count <= inputs,
        "tapegrad: backward of {} gave {count} gradients, but the op has {inputs} input(s)",
        f.op.name()
    );
}

/// Panics unless a backward gave input `k` a gradient of its shape.
#[inline]
fn check_shape<T: Float>(f: &GradFn<T>, got: &[usize], want: &[usize], k: usize) {
    assert!(
        same_shape(got, want),
        "tapegrad: backward of {} gave a gradient of shape {got:?} for input {k} of shape \
         {want:?}",
        f.op.name()
    );
}

/// Whether two shapes are equal, in a loop the compiler keeps inline (a slice comparison is a
/// call to `memcmp`, checked once per gradient).
#[inline]
fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Whether nothing else can see `t`'s elements, so they may be updated in place.
fn owned_alone<T: Float>(t: &Tensor<T>) -> bool {
    Shared::strong_count(&t.0) == 1 && Shared::strong_count(t.storage()) == 1 && t.is_contiguous()
}

/// Adds `g` into a pending gradient, in place when the buffer is ours alone.
fn accumulate<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>, create_graph: bool) {
    match slot {
        None => *slot = Some(g),
        Some(acc) if !create_graph && acc.is_leaf() && owned_alone(acc) => {
            add_into(acc, &g);
        }
        Some(acc) => *slot = Some(&*acc + &g),
    }
}

/// Adds a placed gradient (zero outside one region) into a pending gradient: into that
/// region in place when the buffer is ours alone, else through a zero-filled copy.
fn accumulate_placed<T: Float>(slot: &mut Option<Tensor<T>>, p: Placed<T>) {
    match slot {
        Some(acc) if acc.is_leaf() && owned_alone(acc) => acc.add_at(&p.rel, &p.grad),
        None => {
            let acc = Tensor::zeros(&p.shape);
            acc.add_at(&p.rel, &p.grad);
            *slot = Some(acc);
        }
        Some(acc) => *slot = Some(&*acc + &p.grad.as_strided_scatter(&p.rel, &p.shape)),
    }
}

/// `acc += g` in place (same shapes; `acc`'s storage is not shared).
fn add_into<T: Float>(acc: &Tensor<T>, g: &Tensor<T>) {
    let src = g.data();
    let mut dst = acc.data_mut();
    let mut dst = dst.view_mut();
    match (dst.as_slice_mut(), src.as_slice()) {
        (Some(d), Some(s)) => d.iter_mut().zip(s).for_each(|(d, &s)| *d += s),
        (_, _) => dst += &src.view(),
    }
}

/// Adds `g` into a leaf's `.grad`, as PyTorch's AccumulateGrad.
fn accumulate_leaf<T: Float>(leaf: &Tensor<T>, g: Tensor<T>, create_graph: bool) {
    let mut slot = leaf.grad_slot();
    match slot.as_ref() {
        None if create_graph || owned_alone(&g) => *slot = Some(g),
        // Someone else can see this buffer (an upstream passed through, a view): keep our
        // own copy.
        None => *slot = Some(Tensor::leaf(g.to_array())),
        // In place only when no other gradient slot shares the buffer.
        Some(old)
            if !create_graph && old.is_leaf() && !old.is_requires_grad() && owned_alone(old) =>
        {
            add_into(old, &g);
        }
        Some(old) => {
            let sum = old + &g;
            *slot = Some(sum);
        }
    }
}

fn not_requiring_grad() -> Error {
    Error::Backward(
        "the tensor does not require grad and has no recorded op (was it made under \
         no_grad, or from tensors that do not require grad?)"
            .into(),
    )
}

fn check_scalar<T: Float>(op: &str, y: &Tensor<T>) -> Result<(), Error> {
    if y.numel() != 1 {
        return Err(Error::Shape {
            op: op.into(),
            message: format!(
                "the output has shape {:?} ({} elements); gradients can be implicitly created \
                 only for one-element outputs, use {op}_with and an upstream gradient",
                y.shape(),
                y.numel()
            ),
        });
    }
    Ok(())
}

fn check_upstream<T: Float>(op: &str, y: &Tensor<T>, upstream: &Tensor<T>) -> Result<(), Error> {
    if y.shape() != upstream.shape() {
        return Err(Error::Shape {
            op: op.into(),
            message: format!(
                "upstream gradient of shape {:?} does not match output of shape {:?}",
                upstream.shape(),
                y.shape()
            ),
        });
    }
    Ok(())
}

fn backward_from<T: Float>(y: &Tensor<T>, seed: Tensor<T>) -> Result<(), Error> {
    if !y.is_requires_grad() {
        return Err(not_requiring_grad());
    }
    run(y, seed, Sink::Leaves, false).map(|_| ())
}

impl<T: Float> Tensor<T> {
    /// Computes the gradient of this one-element tensor with respect to every leaf that
    /// requires grad, and adds it into their `.grad` (it accumulates, as in PyTorch).
    ///
    /// # Panics
    /// If the tensor has more than one element, does not require grad, or anomaly detection
    /// finds a NaN/Inf gradient. [`Tensor::try_backward`] returns these as errors instead.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f64], &[1]).requires_grad();
    /// let y = (&x * &x).sum();
    /// y.backward();
    /// y.backward(); // accumulates: 6 + 6
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![12.0]);
    /// ```
    #[track_caller]
    pub fn backward(&self) {
        or_panic(self.try_backward())
    }

    /// Like [`Tensor::backward`], but returns problems as an [`Error`].
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let c = Tensor::<f32>::ones(&[1]);
    /// assert!(c.try_backward().is_err()); // nothing requires grad
    /// let x = Tensor::<f32>::ones(&[2]).requires_grad();
    /// assert!(x.exp().try_backward().is_err()); // two elements: use try_backward_with
    /// ```
    pub fn try_backward(&self) -> Result<(), Error> {
        check_scalar("backward", self)?;
        backward_from(self, Tensor::ones(self.shape()))
    }

    /// Backward from a non-scalar output: the vector–Jacobian product with `upstream`, which
    /// has the output's shape.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad();
    /// let y = &x * 3.0;
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 10.0], &[2]));
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn backward_with(&self, upstream: &Tensor<T>) {
        or_panic(self.try_backward_with(upstream))
    }

    /// Like [`Tensor::backward_with`], but returns problems as an [`Error`].
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad();
    /// assert!((&x * 2.0).try_backward_with(&Tensor::ones(&[2])).is_ok());
    /// ```
    pub fn try_backward_with(&self, upstream: &Tensor<T>) -> Result<(), Error> {
        check_upstream("backward_with", self, upstream)?;
        backward_from(self, upstream.detach())
    }
}

/// The gradients of the one-element `y` with respect to `inputs`, as `torch.autograd.grad`.
///
/// No `.grad` is touched. An input that `y` does not depend on gets zeros of its shape. With
/// `create_graph` the backward pass is itself recorded, so the results can be differentiated
/// again (Hessian–vector products, gradient penalties).
///
/// # Panics
/// If `y` has more than one element, or anomaly detection finds a NaN/Inf gradient.
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::from_vec(vec![2.0f64], &[1]).requires_grad();
/// let y = x.powf(3.0).sum();
/// let dx = &tapegrad::grad(&y, &[&x], true)[0]; // 3x² = 12
/// assert_eq!(dx.to_vec(), vec![12.0]);
/// let d2x = &tapegrad::grad(&dx.sum(), &[&x], false)[0]; // 6x = 12
/// assert_eq!(d2x.to_vec(), vec![12.0]);
/// assert!(x.grad().is_none());
/// ```
#[track_caller]
pub fn grad<T: Float>(y: &Tensor<T>, inputs: &[&Tensor<T>], create_graph: bool) -> Vec<Tensor<T>> {
    or_panic(check_scalar("grad", y));
    grad_with(y, &Tensor::ones(y.shape()), inputs, create_graph)
}

/// [`grad`] for a non-scalar `y`: the vector–Jacobian product with `upstream` (`y`'s shape).
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad();
/// let y = &x * &x;
/// let g = tapegrad::grad_with(&y, &Tensor::from_vec(vec![1.0, 1.0], &[2]), &[&x], false);
/// assert_eq!(g[0].to_vec(), vec![2.0, 4.0]);
/// ```
#[track_caller]
pub fn grad_with<T: Float>(
    y: &Tensor<T>,
    upstream: &Tensor<T>,
    inputs: &[&Tensor<T>],
    create_graph: bool,
) -> Vec<Tensor<T>> {
    or_panic(check_upstream("grad_with", y, upstream));
    let results = if y.is_requires_grad() {
        or_panic(run(
            y,
            upstream.clone(),
            Sink::Targets(inputs),
            create_graph,
        ))
    } else {
        vec![None; inputs.len()]
    };
    results
        .into_iter()
        .zip(inputs)
        .map(|(g, x)| g.unwrap_or_else(|| Tensor::zeros(x.shape())))
        .collect()
}
