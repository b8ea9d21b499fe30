//! The elements behind a storage: up to [`INLINE`] of them kept inline (no heap allocation,
//! the common case for losses, biases and small models' activations), more in a `Vec`, which
//! goes back to the buffer pool when the storage is dropped.

use super::pool;
use crate::Element;

/// Tensors of at most this many elements need no heap buffer.
pub(crate) const INLINE: usize = 4;

/// A fixed-length run of elements.
pub(crate) enum Buffer<T> {
    Inline(usize, [T; INLINE]),
    Heap(Vec<T>),
}

impl<T: Element> Buffer<T> {
    /// The elements of `values`, `len` of them.
    pub(crate) fn collect(len: usize, values: impl Iterator<Item = T>) -> Self {
        if len <= INLINE {
            let mut data = [T::ZERO; INLINE];
            let mut n = 0;
            for (slot, v) in data.iter_mut().zip(values) {
                *slot = v;
                n += 1;
            }
            debug_assert_eq!(n, len);
            Buffer::Inline(n, data)
        } else {
            let mut v = pool::take(len);
            v.extend(values);
            Buffer::Heap(v)
        }
    }

    /// `len` copies of `v`.
    pub(crate) fn filled(len: usize, v: T) -> Self {
        if len <= INLINE {
            Buffer::Inline(len, [v; INLINE])
        } else {
            let mut data = pool::take(len);
            data.resize(len, v);
            Buffer::Heap(data)
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Buffer::Inline(n, data) => &data[..*n],
            Buffer::Heap(v) => v,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Buffer::Inline(n, data) => &mut data[..*n],
            Buffer::Heap(v) => v,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            Buffer::Inline(n, data) => data[..n].to_vec(),
            Buffer::Heap(v) => v,
        }
    }
}

impl<T: Element> From<Vec<T>> for Buffer<T> {
    fn from(v: Vec<T>) -> Self {
        Buffer::Heap(v)
    }
}
