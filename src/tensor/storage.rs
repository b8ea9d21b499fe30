//! Storage and layout: a tensor is a view — shape, strides, offset — of a shared buffer.
//!
//! [`Storage`] owns the elements, a version counter (bumped by every write, as PyTorch's
//! `_version`) and a reader–writer lock that never deadlocks on re-entry:
//!
//! - readers never wait for a *waiting* writer when the same thread already reads this
//!   storage, so an op that reads one tensor twice (`&w * &w`) cannot hang;
//! - a thread that holds a read guard and asks to write the same storage (or the reverse)
//!   gets a panic that says so, instead of waiting for itself forever;
//! - a writer waiting on readers of other threads stops new readers from starting (so a
//!   writer is not starved), and the lock is held only for the length of one kernel.
//!
//! [`Layout`] says which elements of a storage a tensor sees. Views (`t`, `narrow`,
//! `reshape`, `expand`, ...) are new layouts over the same storage: no element is copied.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ndarray::{ArrayViewD, ArrayViewMutD, Dimension, IxDyn, ShapeBuilder};

use super::buffer::Buffer;
use super::pool;
use crate::Element;

const WRITER: usize = 1 << (usize::BITS - 1);
const WAITING: usize = 1 << (usize::BITS - 2);
const READERS: usize = !(WRITER | WAITING);

/// How many guards a thread tracks without allocating; an op holds one or two at a time.
const HELD_INLINE: usize = 8;

/// The storages this thread holds a guard on: the address, with the low bit set for a write
/// guard (storages are aligned, so the bit is free). A bag, in no order: a thread never
/// holds a read and a write guard on one storage. Plain cells with nothing to drop, so
/// reaching them costs no thread-local destructor check, then a vector for the rare thread
/// that holds more guards at once (`cat` of many tensors).
struct Held {
    len: Cell<usize>,
    inline: [Cell<usize>; HELD_INLINE],
}

thread_local! {
    static HELD: Held = const {
        Held {
            len: Cell::new(0),
            inline: [const { Cell::new(0) }; HELD_INLINE],
        }
    };
    static HELD_MORE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn held(addr: usize) -> Option<bool> {
    let kind = |e: usize| (e & !1 == addr).then_some(e & 1 == 1);
    HELD.with(|h| {
        let n = h.len.get();
        h.inline[..n].iter().find_map(|e| kind(e.get()))
    })
    .or_else(|| {
        HELD_MORE
            .try_with(|m| m.borrow().iter().find_map(|&e| kind(e)))
            .ok()
            .flatten()
    })
}

#[inline]
fn register(addr: usize, write: bool) {
    let entry = addr | write as usize;
    let inline = HELD.with(|h| {
        let n = h.len.get();
        if n < HELD_INLINE {
            h.inline[n].set(entry);
            h.len.set(n + 1);
        }
        n < HELD_INLINE
    });
    if !inline {
        HELD_MORE.with(|m| m.borrow_mut().push(entry));
    }
}

#[inline]
fn unregister(addr: usize, write: bool) {
    let entry = addr | write as usize;
    let found = HELD.with(|h| {
        let n = h.len.get();
        // Guards are mostly dropped in reverse order: the last entry is the usual match.
        let i = h.inline[..n].iter().rposition(|e| e.get() == entry)?;
        h.inline[i].set(h.inline[n - 1].get());
        h.len.set(n - 1);
        Some(())
    });
    if found.is_none() {
        // During thread teardown the vector may be gone; nothing is left to track then.
        let _ = HELD_MORE.try_with(|m| {
            let mut m = m.borrow_mut();
            if let Some(i) = m.iter().rposition(|&e| e == entry) {
                m.swap_remove(i);
            }
        });
    }
}

/// Spins briefly, then yields the core: lock holders are kernels that finish soon.
fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A shared, fixed-size buffer of elements with a version counter and a re-entrant-safe lock.
pub(crate) struct Storage<T: Element> {
    buf: UnsafeCell<Buffer<T>>,
    /// The element count, kept outside the cell so it can be read without a guard.
    len: usize,
    state: AtomicUsize,
    version: AtomicU64,
}

// SAFETY: the buffer is only reached through `ReadGuard` (shared) and `WriteGuard` (exclusive),
// whose lock protocol below excludes a writer from every reader and every other writer.
unsafe impl<T: Element> Sync for Storage<T> {}
// SAFETY: `Storage` owns its elements (`T: Send`), inline or in a `Vec`.
unsafe impl<T: Element> Send for Storage<T> {}
// A panic inside a kernel releases its guard on unwinding; the elements are plain numbers, so
// a half-finished write leaves valid (if partly updated) values, as a poisoned lock would.
impl<T: Element> std::panic::RefUnwindSafe for Storage<T> {}

impl<T: Element> Storage<T> {
    /// The elements, writable without a guard: `&mut self` proves nobody else can reach
    /// them (the caller holds the only handle to this storage).
    pub(crate) fn elements_mut(&mut self) -> &mut [T] {
        self.buf.get_mut().as_mut_slice()
    }

    pub(crate) fn new(data: impl Into<Buffer<T>>) -> Self {
        let data = data.into();
        Storage {
            len: data.len(),
            buf: UnsafeCell::new(data),
            state: AtomicUsize::new(0),
            version: AtomicU64::new(0),
        }
    }

    fn addr(&self) -> usize {
        self as *const Self as usize
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// How many writes this storage has seen.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Shared access. Waits while another thread writes.
    ///
    /// # Panics
    /// If this thread holds a write guard on the same storage (it would wait for itself).
    #[track_caller]
    #[inline]
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        self.lock_read();
        register(self.addr(), false);
        ReadGuard { storage: self }
    }

    /// [`Storage::read`] for a kernel that takes no other guard while it holds this one (a
    /// one-input op reading its input): the guard is not entered in this thread's list,
    /// which only serves guards taken while another is held. Taking one then would not be
    /// detected, and could wait for a writer that waits for this guard.
    #[track_caller]
    #[inline]
    pub(crate) fn read_alone(&self) -> AloneGuard<'_, T> {
        self.lock_read();
        AloneGuard { storage: self }
    }

    /// Joins the readers (see [`Storage::read`]).
    #[track_caller]
    #[inline]
    fn lock_read(&self) {
        let mut s = self.state.load(Ordering::Relaxed);
        let mut spins = 0;
        loop {
            if s & (WRITER | WAITING) == 0 {
                match self.state.compare_exchange_weak(
                    s,
                    s + 1,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => {
                        s = now;
                        continue;
                    }
                }
            }
            match held(self.addr()) {
                Some(true) => panic!(
                    "tapegrad: a tensor is read while this thread holds its data_mut() guard; \
                     drop the guard (or copy the value out) first"
                ),
                // This thread already reads it, so no writer can be inside: join the readers
                // even if a writer waits (waiting for it would wait for ourselves).
                Some(false) => {
                    self.state.fetch_add(1, Ordering::Acquire);
                    break;
                }
                None => {
                    backoff(&mut spins);
                    s = self.state.load(Ordering::Relaxed);
                }
            }
        }
    }

    /// Exclusive access; bumps the version. Waits for readers and writers of other threads.
    ///
    /// # Panics
    /// If this thread holds any guard on the same storage.
    #[track_caller]
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        if let Some(w) = held(self.addr()) {
            let what = if w { "data_mut()" } else { "data()" };
            panic!(
                "tapegrad: a tensor is written while this thread holds its {what} guard; \
                 drop the guard (or copy the value out) first"
            );
        }
        let mut spins = 0;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & !WAITING == 0 {
                if self
                    .state
                    .compare_exchange_weak(s, WRITER, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    break;
                }
                continue;
            }
            if s & WAITING == 0 {
                self.state.fetch_or(WAITING, Ordering::Relaxed);
            }
            backoff(&mut spins);
        }
        self.version.fetch_add(1, Ordering::AcqRel);
        register(self.addr(), true);
        WriteGuard { storage: self }
    }
}

impl<T: Element> Drop for Storage<T> {
    fn drop(&mut self) {
        if let Buffer::Heap(v) = self.buf.get_mut() {
            pool::give(std::mem::take(v));
        }
    }
}

/// Shared access to a storage; see [`Storage::read`].
pub(crate) struct ReadGuard<'a, T: Element> {
    storage: &'a Storage<T>,
}

impl<'a, T: Element> ReadGuard<'a, T> {
    /// The elements `layout` selects.
    pub(crate) fn view(&self, layout: &Layout) -> ArrayViewD<'_, T> {
        // SAFETY: the guard, which the view borrows, keeps writers out while it lives.
        unsafe { view_of(self.storage, layout) }
    }

    /// The elements of a contiguous `layout` as a slice, without building a view (the
    /// common case of every kernel); `None` for a strided layout.
    #[inline]
    pub(crate) fn slice(&self, layout: &Layout) -> Option<&[T]> {
        // SAFETY: as in `view`.
        unsafe { slice_of(self.storage, layout) }
    }
}

/// The elements `layout` selects.
///
/// # Safety
/// A read guard on `storage` must be held while the view lives.
unsafe fn view_of<'a, T: Element>(storage: &'a Storage<T>, layout: &Layout) -> ArrayViewD<'a, T> {
    // SAFETY: `layout` was checked against this storage's length when it was made
    // (`Layout::fits`), so every element it reaches is inside the buffer; the caller's read
    // guard keeps writers out for as long as the view lives.
    unsafe {
        let base = (*storage.buf.get()).as_slice().as_ptr();
        ArrayViewD::from_shape_ptr(layout.ndarray_shape(), base.add(layout.offset()))
    }
}

/// The elements of a contiguous `layout` as a slice; `None` for a strided layout.
///
/// # Safety
/// A read guard on `storage` must be held while the slice lives.
#[inline]
unsafe fn slice_of<'a, T: Element>(storage: &'a Storage<T>, layout: &Layout) -> Option<&'a [T]> {
    // SAFETY: the caller's read guard keeps writers out while the slice lives.
    let all = unsafe { (*storage.buf.get()).as_slice() };
    if let Layout::RowMajor(shape) = layout {
        // Every op's result: the first elements, no stride to check.
        let n = numel(shape.slice());
        return Some(all.get(..n).unwrap_or(&[]));
    }
    if !layout.is_contiguous() {
        return None;
    }
    let n = numel(layout.shape());
    // A contiguous layout reaches the `n` elements from its offset on (`Layout::fits`
    // checked them against the length); an empty one may sit past the end.
    let offset = layout.offset();
    Some(all.get(offset..offset + n).unwrap_or(&[]))
}

/// The element count of `shape`, without a loop for the one- and two-dim shapes of most
/// tensors (a loop's setup costs more than their product).
#[inline]
pub(crate) fn numel(shape: &[usize]) -> usize {
    match shape {
        [] => 1,
        [a] => *a,
        [a, b] => a * b,
        _ => shape.iter().product(),
    }
}

/// Shared access to a storage for a kernel that takes no other guard meanwhile; see
/// [`Storage::read_alone`].
pub(crate) struct AloneGuard<'a, T: Element> {
    storage: &'a Storage<T>,
}

impl<T: Element> AloneGuard<'_, T> {
    /// As [`ReadGuard::view`].
    pub(crate) fn view(&self, layout: &Layout) -> ArrayViewD<'_, T> {
        // SAFETY: the guard, which the view borrows, keeps writers out while it lives.
        unsafe { view_of(self.storage, layout) }
    }

    /// As [`ReadGuard::slice`].
    #[inline]
    pub(crate) fn slice(&self, layout: &Layout) -> Option<&[T]> {
        // SAFETY: as in `view`.
        unsafe { slice_of(self.storage, layout) }
    }
}

impl<T: Element> Drop for AloneGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        let prev = self.storage.state.fetch_sub(1, Ordering::Release);
        debug_assert!(prev & READERS > 0);
    }
}

impl<T: Element> Drop for ReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        unregister(self.storage.addr(), false);
        let prev = self.storage.state.fetch_sub(1, Ordering::Release);
        debug_assert!(prev & READERS > 0);
    }
}

/// Exclusive access to a storage; see [`Storage::write`].
pub(crate) struct WriteGuard<'a, T: Element> {
    storage: &'a Storage<T>,
}

impl<T: Element> WriteGuard<'_, T> {
    /// The elements `layout` selects, writable.
    ///
    /// # Panics
    /// If two positions of the layout share an element (an expanded tensor).
    #[track_caller]
    pub(crate) fn view_mut(&mut self, layout: &Layout) -> ArrayViewMutD<'_, T> {
        assert!(
            !layout.overlaps(),
            "tapegrad: unsupported operation: more than one element of the written-to tensor \
             refers to a single memory location (shape {:?}, strides {:?}); call .contiguous() \
             first",
            layout.shape(),
            &*layout.strides()
        );
        // SAFETY: as in `ReadGuard::view`, the layout is inside the buffer; it does not
        // overlap itself (checked above); the write guard excludes every other access while
        // the view (borrowing `self` mutably) lives.
        unsafe {
            let base = (*self.storage.buf.get()).as_mut_slice().as_mut_ptr();
            ArrayViewMutD::from_shape_ptr(layout.ndarray_shape_mut(), base.add(layout.offset()))
        }
    }

    /// The elements of a contiguous `layout` as a mutable slice, without building a view;
    /// `None` for a strided layout.
    pub(crate) fn slice_mut(&mut self, layout: &Layout) -> Option<&mut [T]> {
        if !layout.is_contiguous() {
            return None;
        }
        let n = numel(layout.shape());
        let offset = layout.offset();
        // SAFETY: the write guard, which `&mut self` borrows, excludes every other access
        // while the slice lives.
        let all = unsafe { (*self.storage.buf.get()).as_mut_slice() };
        // As in `ReadGuard::slice`: an empty layout may sit past the end.
        match all.get_mut(offset..offset + n) {
            Some(s) => Some(s),
            None => Some(&mut []),
        }
    }
}

impl<T: Element> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        unregister(self.storage.addr(), true);
        self.storage.state.fetch_and(!WRITER, Ordering::Release);
    }
}

/// Which elements of a storage a tensor sees: element `i` (a multi-index) is at
/// `offset + Σ i[d]·strides[d]`. Strides are in elements and never negative.
///
/// Row-major strides at offset 0 (every op's result) are not stored: only views that need
/// other strides or an offset box them. A tensor's node then stays small (112 bytes): a
/// graph's nodes are made and freed by the hundred, from the per-thread block cache of
/// [`shared`](super::shared), and every byte of them is memory traffic.
#[derive(Clone, Debug)]
pub(crate) enum Layout {
    /// Row-major from offset 0. As large as a bare shape: the other variant's box sits in
    /// the shape's unused tag values.
    RowMajor(IxDyn),
    Strided(Box<Strided>),
}

/// Layouts are equal when they select the same elements in the same order, stored strides
/// or not.
impl PartialEq for Layout {
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape()
            && self.offset() == other.offset()
            && *self.strides() == *other.strides()
    }
}

impl Eq for Layout {}

/// A layout's strides, in elements (computed for a row-major layout, which does not store
/// them).
pub(crate) struct Strides(IxDyn);

impl std::ops::Deref for Strides {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.0.slice()
    }
}

/// A layout that is not row-major from offset 0.
#[derive(Clone, Debug)]
pub(crate) struct Strided {
    shape: IxDyn,
    strides: IxDyn,
    offset: usize,
}

/// Row-major strides of `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    contiguous_dim(shape).slice().to_vec()
}

/// Row-major strides of `shape` as an `IxDyn` (stored inline up to 4 dims).
fn contiguous_dim(shape: &[usize]) -> IxDyn {
    const INLINE: usize = 8;
    let mut buf = [0usize; INLINE];
    if shape.len() > INLINE {
        return IxDyn(&contiguous_strides_slow(shape));
    }
    let mut acc = 1;
    for d in (0..shape.len()).rev() {
        buf[d] = acc;
        acc *= shape[d].max(1);
    }
    IxDyn(&buf[..shape.len()])
}

/// Whether `strides` are `shape`'s row-major strides (as [`contiguous_dim`] gives them).
fn is_row_major(shape: &[usize], strides: &[usize]) -> bool {
    let mut acc = Some(1usize);
    for (&n, &s) in shape.iter().zip(strides).rev() {
        if acc != Some(s) {
            return false;
        }
        acc = acc.and_then(|a| a.checked_mul(n.max(1)));
    }
    shape.len() == strides.len()
}

fn contiguous_strides_slow(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for d in (0..shape.len()).rev() {
        strides[d] = acc;
        acc *= shape[d].max(1);
    }
    strides
}

impl Layout {
    /// The shape and strides of a read view as ndarray takes them. An empty layout gets zero
    /// strides, as ndarray gives its own empty arrays (copying an empty view with other
    /// strides makes ndarray check offsets that do not exist, and fail). Mutable views keep
    /// their strides: ndarray rejects zero strides there as self-overlapping.
    fn ndarray_shape(&self) -> ndarray::StrideShape<IxDyn> {
        match self {
            // ndarray's own row-major strides (zeros when empty, as above).
            Layout::RowMajor(shape) => shape.clone().into(),
            Layout::Strided(st) if st.shape.size() == 0 => {
                let zeros = IxDyn(&vec![0; st.shape.ndim()]);
                st.shape.clone().strides(zeros)
            }
            Layout::Strided(st) => st.shape.clone().strides(st.strides.clone()),
        }
    }

    /// The shape and strides as ndarray takes them for a mutable view.
    pub(crate) fn ndarray_shape_mut(&self) -> ndarray::StrideShape<IxDyn> {
        self.dim().strides(self.strides().0)
    }

    /// Row-major layout of `shape` at offset 0.
    pub(crate) fn contiguous(shape: &[usize]) -> Self {
        Self::row_major(IxDyn(shape))
    }

    /// Row-major layout of `shape` at offset 0.
    #[inline]
    pub(crate) fn row_major(shape: IxDyn) -> Self {
        Layout::RowMajor(shape)
    }

    pub(crate) fn new(shape: &[usize], strides: &[usize], offset: usize) -> Self {
        if offset == 0 && is_row_major(shape, strides) {
            return Layout::RowMajor(IxDyn(shape));
        }
        Layout::Strided(Box::new(Strided {
            shape: IxDyn(shape),
            strides: IxDyn(strides),
            offset,
        }))
    }

    #[inline]
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Layout::RowMajor(shape) => shape.slice(),
            Layout::Strided(st) => st.shape.slice(),
        }
    }

    /// The shape as an ndarray dimension.
    #[inline]
    pub(crate) fn dim(&self) -> IxDyn {
        match self {
            Layout::RowMajor(shape) => shape.clone(),
            Layout::Strided(st) => st.shape.clone(),
        }
    }

    /// The strides, in elements.
    pub(crate) fn strides(&self) -> Strides {
        Strides(match self {
            Layout::RowMajor(shape) => contiguous_dim(shape.slice()),
            Layout::Strided(st) => st.strides.clone(),
        })
    }

    /// Where the first element is in the storage.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        match self {
            Layout::RowMajor(_) => 0,
            Layout::Strided(st) => st.offset,
        }
    }

    /// Whether the elements are row-major and adjacent (sizes of 1 may have any stride).
    #[inline]
    pub(crate) fn is_contiguous(&self) -> bool {
        let Layout::Strided(st) = self else {
            return true;
        };
        let mut expected = 1;
        for (&n, &s) in self.shape().iter().zip(st.strides.slice()).rev() {
            if n == 0 {
                return true;
            }
            if n != 1 && s != expected {
                return false;
            }
            expected *= n;
        }
        true
    }

    /// This layout, with the offset of an empty one brought inside a storage of `len`
    /// elements: a view with no elements (`x[:, 5:5]`, a slice of an empty tensor) may
    /// compute an offset past the end, and its pointer must still stay within the buffer.
    pub(crate) fn empty_within(mut self, len: usize) -> Self {
        if let Layout::Strided(st) = &mut self
            && st.shape.slice().contains(&0)
        {
            st.offset = st.offset.min(len);
        }
        self
    }

    /// Whether every position reaches a storage of `len` elements.
    pub(crate) fn fits(&self, len: usize) -> bool {
        if self.shape().contains(&0) {
            return self.offset() <= len;
        }
        let last: Option<usize> = self
            .shape()
            .iter()
            .zip(self.strides().iter())
            .try_fold(self.offset(), |acc, (&n, &s)| {
                acc.checked_add((n - 1).checked_mul(s)?)
            });
        matches!(last, Some(l) if l < len)
    }

    /// Whether two positions may reach the same element (a zero stride on a dim longer than
    /// one, or strides too small for the sizes inside them).
    pub(crate) fn overlaps(&self) -> bool {
        if self.is_contiguous() {
            return false;
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape()
            .iter()
            .copied()
            .zip(self.strides().iter().copied())
            .filter(|&(n, _)| n > 1)
            .collect();
        if self.shape().contains(&0) {
            return false;
        }
        dims.sort_by_key(|&(_, s)| s);
        let mut span = 1; // elements covered by the dims inside this one
        for (n, s) in dims {
            if s < span {
                return true;
            }
            span += s * (n - 1);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn guards_hand_out_the_elements_of_contiguous_layouts_as_slices() {
        let s = Storage::new((0..6).map(|v| v as f32).collect::<Vec<_>>());
        {
            let r = s.read();
            assert_eq!(
                r.slice(&Layout::new(&[2, 2], &[2, 1], 2)),
                Some(&[2.0, 3.0, 4.0, 5.0][..])
            );
            assert_eq!(
                r.slice(&Layout::new(&[3, 2], &[1, 3], 0)),
                None,
                "a transpose"
            );
            // An empty view may sit past the end of the buffer.
            assert_eq!(r.slice(&Layout::new(&[0, 3], &[3, 1], 6)), Some(&[][..]));
        }
        {
            let mut w = s.write();
            w.slice_mut(&Layout::new(&[2], &[1], 4)).unwrap()[1] = 50.0;
            assert!(w.slice_mut(&Layout::new(&[2, 2], &[1, 2], 0)).is_none());
        }
        assert_eq!(s.read().slice(&Layout::contiguous(&[6])).unwrap()[5], 50.0);
    }

    #[test]
    fn layouts_know_contiguity_bounds_and_overlap() {
        let c = Layout::contiguous(&[2, 3]);
        assert!(c.is_contiguous() && c.fits(6) && !c.fits(5) && !c.overlaps());
        let t = Layout::new(&[3, 2], &[1, 3], 0);
        assert!(!t.is_contiguous() && t.fits(6) && !t.overlaps());
        let expanded = Layout::new(&[4, 3], &[0, 1], 0);
        assert!(expanded.overlaps() && expanded.fits(3));
        let narrow = Layout::new(&[2, 2], &[3, 1], 1);
        assert!(!narrow.is_contiguous() && narrow.fits(6) && !narrow.fits(5));
        assert!(Layout::new(&[0, 5], &[5, 1], 7).fits(7));
        assert!(!Layout::new(&[usize::MAX, 2], &[usize::MAX, 1], 0).fits(10));
        // Row-major strides from offset 0 are not stored, but read back the same.
        let plain = Layout::new(&[2, 1, 3], &[3, 3, 1], 0);
        assert!(matches!(plain, Layout::RowMajor(_)) && plain == Layout::contiguous(&[2, 1, 3]));
        assert_eq!(plain.strides().to_vec(), [3, 3, 1]);
        let odd = Layout::new(&[2, 1, 3], &[3, 7, 1], 0);
        assert!(matches!(odd, Layout::Strided(_)) && odd.is_contiguous() && odd != plain);
        assert_eq!((odd.strides().to_vec(), odd.offset()), (vec![3, 7, 1], 0));
        let shifted = Layout::new(&[2, 3], &[3, 1], 2);
        assert!(shifted.is_contiguous() && shifted.offset() == 2 && shifted.fits(8));
        assert!(!shifted.fits(7));
    }

    #[test]
    fn a_thread_may_read_twice_while_another_waits_to_write() {
        let s = Arc::new(Storage::new(vec![1.0f32; 4]));
        let first = s.read();
        let writer = {
            let s = s.clone();
            std::thread::spawn(move || {
                let _w = s.write();
            })
        };
        // Give the writer time to start waiting, then read again on this thread.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = s.read();
        drop((first, second));
        writer.join().unwrap();
        assert_eq!(s.version(), 1);
    }

    #[test]
    #[should_panic(expected = "holds its data() guard")]
    fn writing_while_this_thread_reads_panics_instead_of_hanging() {
        let s = Storage::new(vec![1.0f64; 2]);
        let _r = s.read();
        let _w = s.write();
    }

    #[test]
    #[should_panic(expected = "holds its data_mut() guard")]
    fn reading_while_this_thread_writes_panics_instead_of_hanging() {
        let s = Storage::new(vec![1.0f64; 2]);
        let _w = s.write();
        let _r = s.read();
    }

    #[test]
    fn a_storage_read_twice_stays_held_until_both_guards_go_whichever_list_holds_them() {
        let storages: Vec<Storage<f32>> = (0..12).map(|_| Storage::new(vec![0.0f32])).collect();
        // Eight guards fill the inline slots; the rest go to the vector.
        let mut first: Vec<ReadGuard<'_, f32>> = storages.iter().map(|s| s.read()).collect();
        let second: Vec<ReadGuard<'_, f32>> = storages.iter().map(|s| s.read()).collect();
        // Freed inline slots take the next guards while the vector still holds older ones.
        first.truncate(4);
        let again: Vec<ReadGuard<'_, f32>> = storages[..4].iter().map(|s| s.read()).collect();
        drop(first);
        for s in &storages {
            assert_eq!(held(s.addr()), Some(false));
        }
        drop(second);
        for (i, s) in storages.iter().enumerate() {
            assert_eq!(held(s.addr()), (i < 4).then_some(false));
        }
        drop(again);
        assert!(storages.iter().all(|s| held(s.addr()).is_none()));
    }

    #[test]
    fn many_guards_held_at_once_are_tracked_and_released_in_any_order() {
        let storages: Vec<Storage<f32>> = (0..20).map(|_| Storage::new(vec![0.0f32; 2])).collect();
        let mut guards: Vec<Option<ReadGuard<'_, f32>>> =
            storages.iter().map(|s| Some(s.read())).collect();
        for s in &storages {
            assert_eq!(held(s.addr()), Some(false));
        }
        // Release in a scrambled order; every storage becomes writable again.
        for i in (0..20).map(|k| (k * 7) % 20) {
            guards[i] = None;
            assert_eq!(held(storages[i].addr()), None);
        }
        for s in &storages {
            drop(s.write());
        }
        assert!(
            storages
                .iter()
                .all(|s| held(s.addr()).is_none() && s.version() == 1)
        );
    }

    #[test]
    fn views_see_the_selected_elements() {
        let s = Storage::new((0..6).map(|v| v as f64).collect::<Vec<_>>());
        let t = Layout::new(&[3, 2], &[1, 3], 0);
        let r = s.read();
        let v = r.view(&t);
        assert_eq!(
            v.iter().copied().collect::<Vec<_>>(),
            [0., 3., 1., 4., 2., 5.]
        );
        drop(v);
        drop(r);
        let mut w = s.write();
        w.view_mut(&Layout::new(&[2], &[3], 1)).fill(9.0);
        drop(w);
        let r = s.read();
        let all = r.view(&Layout::contiguous(&[6]));
        assert_eq!(
            all.iter().copied().collect::<Vec<_>>(),
            [0., 9., 2., 3., 9., 5.]
        );
    }
}
