//! [`Shared`]: the reference-counted pointer behind tensor nodes, op records and storages. It
//! is `Arc` without weak references, and its blocks come from a per-thread cache of freed
//! blocks.
//!
//! Why not `Arc`: a graph's nodes, records and small storages are all freed at once after
//! backward, hundreds at a time, and the next forward pass allocates as many again. glibc keeps
//! only seven freed blocks of a size for its thread; the rest go back to the arena's bins, and
//! are taken out of them again. `malloc` and `free` were 28% of the instructions of a tiny
//! recorded op. Here a freed block of up to [`MAX_CACHED`] bytes goes onto this thread's list
//! for its size class, up to [`CLASS_BYTES`] per class, and the next allocation of that class
//! takes it back: a few instructions each way. [`empty_cache`](crate::empty_cache) gives the
//! blocks back to the allocator, and so does the end of the thread.
//!
//! A block freed on another thread than the one that allocated it joins the freeing thread's
//! list: every block of a class has the same size and alignment, so any thread can reuse it or
//! hand it back to the global allocator.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::atomic::{self, AtomicUsize, Ordering};

/// Block sizes are multiples of this, and blocks are aligned to it.
const GRAIN: usize = 16;
/// Blocks of up to this many bytes are cached.
const MAX_CACHED: usize = 256;
const CLASSES: usize = MAX_CACHED / GRAIN;
/// At most this many bytes of free blocks are kept per size class and thread (1 MiB in all).
const CLASS_BYTES: usize = 64 << 10;

/// The block of a [`Shared`]: its count of handles, then the value.
#[repr(C)]
pub(crate) struct Inner<T: ?Sized> {
    count: AtomicUsize,
    value: T,
}

/// A thread-safe reference-counted pointer, as `Arc<T>` (strong references only).
pub(crate) struct Shared<T: ?Sized> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: as for `Arc`: handles on several threads share the value (so `T: Sync`), and the
// last one to go drops it, on whichever thread that is (so `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for Shared<T> {}
impl<T: ?Sized + RefUnwindSafe> UnwindSafe for Shared<T> {}

impl<T> Shared<T> {
    /// A new value with one handle.
    #[inline]
    pub(crate) fn new(value: T) -> Self {
        let ptr = alloc_block(Layout::new::<Inner<T>>()).cast::<Inner<T>>();
        let inner = Inner {
            count: AtomicUsize::new(1),
            value,
        };
        // SAFETY: the block is fresh, and at least as large and aligned as an `Inner<T>`.
        unsafe { ptr.as_ptr().write(inner) };
        Shared {
            ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Shared<T> {
    fn inner(&self) -> &Inner<T> {
        // SAFETY: the block lives as long as any handle to it.
        unsafe { self.ptr.as_ref() }
    }

    /// How many handles share the value.
    pub(crate) fn strong_count(this: &Self) -> usize {
        this.inner().count.load(Ordering::Acquire)
    }

    /// Whether two handles share one value.
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        Shared::addr(a) == Shared::addr(b)
    }

    /// The value's address, to tell values apart without holding them.
    pub(crate) fn addr(this: &Self) -> usize {
        this.ptr.as_ptr() as *const u8 as usize
    }

    /// The value, mutably, when this is its only handle.
    pub(crate) fn get_mut(this: &mut Self) -> Option<&mut T> {
        // Acquire pairs with the Release decrement of every handle dropped before: their uses
        // of the value happen before this one.
        if this.inner().count.load(Ordering::Acquire) != 1 {
            return None;
        }
        // SAFETY: this is the only handle and it is borrowed mutably, so nothing else can
        // reach the value or make a new handle to it while the borrow lasts.
        Some(unsafe { &mut (*this.ptr.as_ptr()).value })
    }

    /// Gives up the handle without dropping it: the block, for [`Shared::from_inner`] (after
    /// an unsizing coercion, as `Arc<GradFn<T, F>>` to `Arc<GradFn<T, dyn Function<T>>>`).
    pub(crate) fn into_inner(this: Self) -> NonNull<Inner<T>> {
        let ptr = this.ptr;
        std::mem::forget(this);
        ptr
    }

    /// The handle [`Shared::into_inner`] gave up.
    ///
    /// # Safety
    /// `ptr` comes from `into_inner`, unchanged but for an unsizing coercion, and is used once.
    pub(crate) unsafe fn from_inner(ptr: NonNull<Inner<T>>) -> Self {
        Shared {
            ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        // Relaxed, as in `Arc`: a handle is only made from another one, which keeps the value
        // alive meanwhile.
        let old = self.inner().count.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            // Billions of leaked handles: the count could wrap and free a live value.
            std::process::abort();
        }
        Shared {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: ?Sized> Drop for Shared<T> {
    fn drop(&mut self) {
        // The last handle (most drops of a graph's teardown) needs no read-modify-write:
        // nothing else can make a new handle meanwhile, and the Acquire load pairs with the
        // Release decrements of the handles dropped before, as the fence below does.
        if self.inner().count.load(Ordering::Acquire) != 1 {
            if self.inner().count.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            // Pairs with the Release decrements of the other handles: their uses of the
            // value happen before it is dropped.
            atomic::fence(Ordering::Acquire);
        }
        let ptr = self.ptr.as_ptr();
        // SAFETY: this was the last handle, so nothing else reaches the value. The layout is
        // read before the value is dropped (for a `dyn` value it comes from the vtable), and
        // the block is freed once, with the layout it was allocated for.
        unsafe {
            let layout = Layout::for_value(&*ptr);
            ptr::drop_in_place(&mut (*ptr).value);
            free_block(self.ptr.cast(), layout);
        }
    }
}

/// A free block on a thread's list: its first bytes point at the next one.
struct FreeBlock {
    next: *mut FreeBlock,
}

/// One thread's lists of free blocks, one per size class.
struct Cache {
    heads: [Cell<*mut FreeBlock>; CLASSES],
    lens: [Cell<usize>; CLASSES],
}

thread_local! {
    static CACHE: Cache = const {
        Cache {
            heads: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            lens: [const { Cell::new(0) }; CLASSES],
        }
    };
}

/// The size class of a block for `layout`, if blocks of it are cached.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    (layout.align() <= GRAIN && layout.size() <= MAX_CACHED)
        .then(|| layout.size().max(1).div_ceil(GRAIN) - 1)
}

/// The layout of every block of a class.
#[inline]
fn class_layout(class: usize) -> Layout {
    Layout::from_size_align((class + 1) * GRAIN, GRAIN).expect("a small power-of-two alignment")
}

/// How many free blocks of each class a thread keeps (a table: no division per free).
const CLASS_CAPS: [usize; CLASSES] = {
    let mut caps = [0; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        caps[class] = CLASS_BYTES / ((class + 1) * GRAIN);
        class += 1;
    }
    caps
};

impl Cache {
    #[inline]
    fn pop(&self, class: usize) -> Option<NonNull<u8>> {
        let head = NonNull::new(self.heads[class].get())?;
        // SAFETY: blocks on the list are free, owned by the list, and hold the next pointer
        // that `push` wrote.
        self.heads[class].set(unsafe { head.as_ref().next });
        self.lens[class].set(self.lens[class].get() - 1);
        Some(head.cast())
    }

    /// Keeps `block` (of `class`'s layout, free) unless the list is full.
    #[inline]
    fn push(&self, class: usize, block: NonNull<u8>) -> bool {
        let len = self.lens[class].get();
        if len >= CLASS_CAPS[class] {
            return false;
        }
        let block = block.cast::<FreeBlock>();
        // SAFETY: the block is free and at least `GRAIN` bytes, aligned to `GRAIN`: room for
        // the next pointer.
        unsafe {
            block.as_ptr().write(FreeBlock {
                next: self.heads[class].get(),
            })
        };
        self.heads[class].set(block.as_ptr());
        self.lens[class].set(len + 1);
        true
    }

    /// Hands every free block back to the allocator.
    fn release(&self) {
        for class in 0..CLASSES {
            while let Some(block) = self.pop(class) {
                // SAFETY: every block of the list was allocated with its class's layout.
                unsafe { alloc::dealloc(block.as_ptr(), class_layout(class)) };
            }
        }
    }

    fn bytes(&self) -> usize {
        (0..CLASSES)
            .map(|c| self.lens[c].get() * (c + 1) * GRAIN)
            .sum()
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.release();
    }
}

/// A block for `layout`: a cached one of its class, or a new one.
#[inline]
fn alloc_block(layout: Layout) -> NonNull<u8> {
    let layout = match class_of(layout) {
        Some(class) => {
            if let Some(block) = CACHE.try_with(|c| c.pop(class)).ok().flatten() {
                return block;
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: the layout has a non-zero size (a block holds at least its count).
    let block = unsafe { alloc::alloc(layout) };
    NonNull::new(block).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// Frees a block that `alloc_block(layout)` gave: onto this thread's list while it has room.
///
/// # Safety
/// `block` came from `alloc_block(layout)` and is not used again.
#[inline]
unsafe fn free_block(block: NonNull<u8>, layout: Layout) {
    let layout = match class_of(layout) {
        Some(class) => {
            if CACHE.try_with(|c| c.push(class, block)).unwrap_or(false) {
                return;
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: the block was allocated with this layout (its class's, when it has one).
    unsafe { alloc::dealloc(block.as_ptr(), layout) };
}

/// The bytes of free blocks this thread keeps.
pub(crate) fn cached_bytes() -> usize {
    CACHE.try_with(Cache::bytes).unwrap_or(0)
}

/// Hands this thread's free blocks back to the allocator.
pub(crate) fn empty_cache() {
    let _ = CACHE.try_with(Cache::release);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn handles_count_share_and_drop_their_value_once() {
        let dropped = Arc::new(AtomicUsize::new(0));
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let mut a = Shared::new(Counted(dropped.clone()));
        assert!(Shared::get_mut(&mut a).is_some());
        let b = a.clone();
        assert_eq!(Shared::strong_count(&a), 2);
        assert!(Shared::ptr_eq(&a, &b));
        assert!(Shared::get_mut(&mut a).is_none());
        drop(a);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        let t = std::thread::spawn(move || drop(b));
        t.join().unwrap();
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn tensors_stay_send_sync_and_unwind_safe() {
        fn check<T: Send + Sync + UnwindSafe + RefUnwindSafe>() {}
        check::<crate::Tensor<f32>>();
        check::<crate::Tensor<i64>>();
    }

    #[test]
    fn freed_blocks_are_reused_bounded_and_released() {
        empty_cache();
        let a = Shared::new([7u64; 5]);
        let addr = Shared::addr(&a);
        drop(a);
        assert_eq!(cached_bytes(), 48);
        // Another type of the same size class gets the same block.
        let b = Shared::new((1u32, 2u64, 3u64, 4u64));
        assert_eq!(Shared::addr(&b), addr);
        assert_eq!((b.0, b.3), (1, 4));
        assert_eq!(cached_bytes(), 0);

        let many: Vec<_> = (0..2 * CLASS_CAPS[0]).map(Shared::new).collect();
        drop(many);
        assert_eq!(
            cached_bytes(),
            CLASS_BYTES,
            "a class keeps at most its bound"
        );
        empty_cache();
        assert_eq!(cached_bytes(), 0);
        // Large values bypass the cache.
        drop(Shared::new([0u8; 1024]));
        assert_eq!(cached_bytes(), 0);
    }

    #[test]
    fn an_unsized_value_is_dropped_with_its_own_layout() {
        trait Name {
            fn name(&self) -> String;
        }
        impl Name for [u64; 3] {
            fn name(&self) -> String {
                format!("{}", self.iter().sum::<u64>())
            }
        }
        let sized = Shared::new([1u64, 2, 3]);
        let sized: NonNull<Inner<[u64; 3]>> = Shared::into_inner(sized);
        let ptr: NonNull<Inner<dyn Name>> = sized;
        // SAFETY: `ptr` comes from `into_inner`, only unsized.
        let unsized_ = unsafe { Shared::from_inner(ptr) };
        let other = unsized_.clone();
        assert_eq!(other.name(), "6");
        empty_cache();
        drop((unsized_, other));
        assert_eq!(
            cached_bytes(),
            32,
            "freed into the class of an Inner<[u64; 3]>"
        );
    }
}
