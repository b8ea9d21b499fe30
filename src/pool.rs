//! Reuse of large array buffers, so a training loop does not hand memory back to the operating
//! system and fault it in again every step.
//!
//! When a tensor holding at least [`MIN_POOLED`] elements is dropped, its buffer goes to a
//! per-thread free list; ops that produce large outputs take a buffer from there first. Small
//! arrays are left to the allocator, which handles them well.

use std::any::TypeId;
use std::cell::RefCell;

use crate::Float;

/// Arrays at least this large (64 KiB of f32) are pooled.
pub(crate) const MIN_POOLED: usize = 16 * 1024;
/// At most this many free buffers are kept per thread and element type.
const MAX_FREE: usize = 32;

thread_local! {
    static F32: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    static F64: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// The free list of `A` seen as one of `B`; only called when `A` and `B` are the same type.
fn same_list<A: 'static, B: 'static>(list: &mut Vec<Vec<A>>) -> &mut Vec<Vec<B>> {
    assert_eq!(TypeId::of::<A>(), TypeId::of::<B>());
    // SAFETY: A and B are the same type (checked above), so the two types are identical.
    unsafe { &mut *(list as *mut Vec<Vec<A>> as *mut Vec<Vec<B>>) }
}

/// Runs `f` on this thread's free list for `T` (None once the thread is shutting down).
fn with_list<T: Float, R>(f: impl FnOnce(&mut Vec<Vec<T>>) -> R) -> Option<R> {
    let id = TypeId::of::<T>();
    if id == TypeId::of::<f32>() {
        F32.try_with(|l| f(same_list(&mut l.borrow_mut()))).ok()
    } else if id == TypeId::of::<f64>() {
        F64.try_with(|l| f(same_list(&mut l.borrow_mut()))).ok()
    } else {
        None
    }
}

/// An empty vector with room for `len` elements, from the pool when one fits.
pub(crate) fn take<T: Float>(len: usize) -> Vec<T> {
    if len >= MIN_POOLED {
        let found = with_list::<T, _>(|list| {
            let i = list
                .iter()
                .position(|v| v.capacity() >= len && v.capacity() <= 2 * len)?;
            Some(list.swap_remove(i))
        });
        if let Some(Some(mut v)) = found {
            v.clear();
            return v;
        }
    }
    Vec::with_capacity(len)
}

/// Keeps a large buffer for reuse (small ones are simply freed).
pub(crate) fn give<T: Float>(v: Vec<T>) {
    if v.capacity() >= MIN_POOLED {
        with_list::<T, _>(|list| {
            if list.len() < MAX_FREE {
                list.push(v);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_reused_and_small_ones_are_not() {
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
        with_list::<f32, _>(|l| assert!(l.iter().all(|v| v.capacity() >= MIN_POOLED)));
    }

    #[test]
    fn dropping_a_large_tensor_recycles_its_buffer() {
        let t = crate::Tensor::<f64>::ones(&[MIN_POOLED]);
        let ptr = t.data().as_ptr();
        drop(t);
        let again = take::<f64>(MIN_POOLED);
        assert_eq!(again.as_ptr(), ptr);
    }
}
