//! Reuse of large array buffers, so a training loop does not hand memory back to the operating
//! system and fault it in again every step.
//!
//! When a storage holding at least [`MIN_POOLED`] elements is dropped, its buffer goes to a
//! per-thread free list of its element type; ops that produce large outputs take a buffer from
//! there first. Small arrays are left to the allocator, which handles them well. Each list is
//! bounded by bytes ([`MAX_BYTES`]), and [`empty_cache`] releases everything.
//!
//! A pooled buffer also saves filling: a product's output is overwritten in full, so a reused
//! buffer keeps its old values until then, while a fresh one must be zeroed first (a `[64,
//! 128]` product: 32 KiB of zeros, a tenth of a W2 training step's instructions before the
//! threshold came down from 16K to 4K elements).

use crate::Element;

/// Arrays at least this large (16 KiB of f32) are pooled.
pub(crate) const MIN_POOLED: usize = 4 * 1024;
/// At most this many bytes of free buffers are kept per thread and element type.
pub(crate) const MAX_BYTES: usize = 64 << 20;

/// One thread's free buffers of one element type.
pub struct FreeList<T> {
    buffers: Vec<Vec<T>>,
    bytes: usize,
}

impl<T> Default for FreeList<T> {
    fn default() -> Self {
        FreeList {
            buffers: Vec::new(),
            bytes: 0,
        }
    }
}

fn bytes_of<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Runs `f` on this thread's free list for `T` (None once the thread is shutting down).
fn with_list<T: Element, R>(f: impl FnOnce(&mut FreeList<T>) -> R) -> Option<R> {
    T::free_list()
        .try_with(|l| l.try_borrow_mut().ok().map(|mut l| f(&mut l)))
        .ok()
        .flatten()
}

/// An empty vector with room for `len` elements, from the pool when one fits.
pub(crate) fn take<T: Element>(len: usize) -> Vec<T> {
    match take_keeping(len) {
        Some(mut v) => {
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// A vector of `len` elements that the caller overwrites in full before reading any: a pooled
/// buffer keeps the values it held (initialised memory, so nothing is filled twice), only its
/// missing tail is zeroed; a fresh one is zeroed.
pub(crate) fn take_to_overwrite<T: Element>(len: usize) -> Vec<T> {
    let mut v = take_keeping::<T>(len).unwrap_or_default();
    if v.len() >= len {
        v.truncate(len);
    } else {
        v.resize(len, T::ZERO);
    }
    v
}

/// A pooled buffer with room for `len` elements, its contents as they were.
fn take_keeping<T: Element>(len: usize) -> Option<Vec<T>> {
    if len < MIN_POOLED {
        return None;
    }
    with_list::<T, _>(|list| {
        let i = list
            .buffers
            .iter()
            .position(|v| v.capacity() >= len && v.capacity() <= 2 * len)?;
        let v = list.buffers.swap_remove(i);
        list.bytes -= bytes_of(&v);
        Some(v)
    })
    .flatten()
}

/// Keeps a large buffer for reuse (small ones, and any larger than the byte bound, are
/// freed). When the list would pass its bound, the buffers given back longest ago are freed
/// first: a loop reuses what it gave back last, and a stale buffer (one large tensor dropped
/// long ago) must not fill the list for good, or every large op after it would fault fresh
/// pages in (a 64 MiB tensor dropped before 1024³ products made each product at two threads
/// 40% slower).
pub(crate) fn give<T: Element>(v: Vec<T>) {
    let bytes = bytes_of(&v);
    if v.capacity() < MIN_POOLED || bytes > MAX_BYTES {
        return;
    }
    with_list::<T, _>(|list| {
        let stale = list
            .buffers
            .iter()
            .scan(list.bytes + bytes, |total, old| {
                let over = *total > MAX_BYTES;
                *total -= bytes_of(old);
                Some(over)
            })
            .take_while(|&over| over)
            .count();
        for old in list.buffers.drain(..stale) {
            list.bytes -= bytes_of(&old);
        }
        list.bytes += bytes;
        list.buffers.push(v);
    });
}

/// The bytes of free buffers this thread keeps for reuse, over all element types, with the
/// free blocks of graph nodes, op records and small storages (at most 1 MiB).
///
/// ```
/// tapegrad::empty_cache();
/// assert_eq!(tapegrad::cached_bytes(), 0);
/// ```
pub fn cached_bytes() -> usize {
    with_list::<f32, _>(|l| l.bytes).unwrap_or(0)
        + with_list::<f64, _>(|l| l.bytes).unwrap_or(0)
        + super::shared::cached_bytes()
}

/// Frees the buffers this thread keeps for reuse, and its free blocks of graph nodes and op
/// records (as `torch.cuda.empty_cache`): after a large model is dropped, its memory goes back
/// to the allocator. Each thread has its own pool; call this on every thread that ran large
/// ops.
///
/// ```
/// use tapegrad::Tensor;
/// drop(Tensor::<f32>::zeros(&[1 << 20])); // 4 MiB, kept for reuse
/// assert!(tapegrad::cached_bytes() >= 4 << 20);
/// tapegrad::empty_cache();
/// assert_eq!(tapegrad::cached_bytes(), 0);
/// ```
pub fn empty_cache() {
    with_list::<f32, _>(|l| *l = FreeList::default());
    with_list::<f64, _>(|l| *l = FreeList::default());
    super::shared::empty_cache();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_reused_and_small_ones_are_not() {
        empty_cache();
        let big: Vec<f32> = vec![1.0; MIN_POOLED];
        let ptr = big.as_ptr();
        give(big);
        let again = take::<f32>(MIN_POOLED);
        assert_eq!(again.as_ptr(), ptr, "the same buffer comes back");
        assert!(again.is_empty() && again.capacity() >= MIN_POOLED);
        // f64 has its own list: no f32 buffer is handed out as f64.
        give(again);
        let other = take::<f64>(MIN_POOLED);
        assert_ne!(other.as_ptr() as *const f32, ptr);
        // Too large a buffer for the request is not used (it would waste memory).
        let quarter = take::<f32>(MIN_POOLED / 4);
        assert_ne!(quarter.as_ptr(), ptr);
        let small: Vec<f32> = Vec::with_capacity(16);
        give(small);
        with_list::<f32, _>(|l| assert!(l.buffers.iter().all(|v| v.capacity() >= MIN_POOLED)));
    }

    #[test]
    fn the_pool_is_bounded_by_bytes_and_can_be_emptied() {
        empty_cache();
        let n = MAX_BYTES / 4 / 8; // eight buffers fill the bound
        for _ in 0..20 {
            give(vec![0.0f32; n]);
        }
        assert!(cached_bytes() <= MAX_BYTES);
        assert!(cached_bytes() >= MAX_BYTES / 2);
        empty_cache();
        assert_eq!(cached_bytes(), 0);
    }

    /// A full list makes room for a buffer given back by freeing the oldest ones, so a
    /// stale large buffer does not keep every later one out.
    #[test]
    fn a_full_pool_frees_its_oldest_buffers_first() {
        empty_cache();
        let stale = vec![0.0f32; MAX_BYTES / 4 - MIN_POOLED];
        let stale_ptr = stale.as_ptr();
        give(stale);
        let fresh = vec![0.0f32; 2 * MIN_POOLED];
        let fresh_ptr = fresh.as_ptr();
        give(fresh);
        with_list::<f32, _>(|l| {
            assert_eq!(l.buffers.len(), 1, "the stale buffer made room");
            assert_eq!(l.buffers[0].as_ptr(), fresh_ptr);
            assert!(l.buffers.iter().all(|v| v.as_ptr() != stale_ptr));
            assert_eq!(l.bytes, 2 * MIN_POOLED * 4);
        });
        // Several buffers: only as many old ones go as needed, oldest first.
        empty_cache();
        let quarter = MAX_BYTES / 4 / 4;
        let ptrs: Vec<_> = (0..4)
            .map(|_| {
                let v = vec![0.0f32; quarter];
                let p = v.as_ptr();
                give(v);
                p
            })
            .collect();
        give(vec![0.0f32; quarter / 2]);
        with_list::<f32, _>(|l| {
            let kept: Vec<_> = l.buffers.iter().map(|v| v.as_ptr()).collect();
            assert_eq!(&kept[..3], &ptrs[1..], "only the oldest was freed");
            assert!(l.bytes <= MAX_BYTES);
        });
        // A buffer larger than the whole bound is not kept, and frees nothing.
        give(vec![0.0f32; MAX_BYTES / 4 + 1]);
        assert_eq!(with_list::<f32, _>(|l| l.buffers.len()), Some(4));
        empty_cache();
    }

    #[test]
    fn dropping_a_large_tensor_recycles_its_buffer() {
        let t = crate::Tensor::<f64>::ones(&[MIN_POOLED]);
        let ptr = t.data().as_slice().unwrap().as_ptr();
        drop(t);
        let again = take::<f64>(MIN_POOLED);
        assert_eq!(again.as_ptr(), ptr);
    }
}
