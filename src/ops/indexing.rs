//! `x.i(index)`: Rust's spelling of `x[...]` (as tch's and candle's `IndexOp`). An index is one
//! item or a tuple of items applied to the leading dims: an integer selects (and drops) a dim,
//! a range keeps it. The result is a view built from [`Tensor::select`] and
//! [`Tensor::slice`], so gradients flow through it.

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

use crate::{Element, Tensor};

/// One item of an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexItem {
    /// One position along the dim (negative counts from the end); the dim is dropped.
    Select(isize),
    /// Positions `start..end` (Python's clamped slice bounds; `None` is open); the dim stays.
    Range(Option<isize>, Option<isize>),
}

/// Anything usable as one item of an index: integers and ranges of integers.
pub trait IntoIndexItem {
    /// The item.
    fn into_item(self) -> IndexItem;
}

macro_rules! integer_items {
    ($($t:ty),*) => {$(
        impl IntoIndexItem for $t {
            fn into_item(self) -> IndexItem {
                IndexItem::Select(self as isize)
            }
        }
        impl IntoIndexItem for Range<$t> {
            fn into_item(self) -> IndexItem {
                IndexItem::Range(Some(self.start as isize), Some(self.end as isize))
            }
        }
        impl IntoIndexItem for RangeFrom<$t> {
            fn into_item(self) -> IndexItem {
                IndexItem::Range(Some(self.start as isize), None)
            }
        }
        impl IntoIndexItem for RangeTo<$t> {
            fn into_item(self) -> IndexItem {
                IndexItem::Range(None, Some(self.end as isize))
            }
        }
        impl IntoIndexItem for RangeInclusive<$t> {
            fn into_item(self) -> IndexItem {
                IndexItem::Range(Some(*self.start() as isize), Some(*self.end() as isize + 1))
            }
        }
        impl IntoIndexItem for RangeToInclusive<$t> {
            fn into_item(self) -> IndexItem {
                IndexItem::Range(None, Some(self.end as isize + 1))
            }
        }
    )*};
}

integer_items!(i32, i64, isize, usize);

impl IntoIndexItem for RangeFull {
    fn into_item(self) -> IndexItem {
        IndexItem::Range(None, None)
    }
}

/// An index for [`Tensor::i`]: one item, or a tuple of up to six.
pub trait TensorIndex {
    /// The items, for the leading dims in order.
    fn items(self) -> Vec<IndexItem>;
}

impl<A: IntoIndexItem> TensorIndex for A {
    fn items(self) -> Vec<IndexItem> {
        vec![self.into_item()]
    }
}

macro_rules! tuple_index {
    ($($name:ident),+) => {
        impl<$($name: IntoIndexItem),+> TensorIndex for ($($name,)+) {
            #[allow(non_snake_case)]
            fn items(self) -> Vec<IndexItem> {
                let ($($name,)+) = self;
                vec![$($name.into_item()),+]
            }
        }
    };
}

tuple_index!(A);
tuple_index!(A, B);
tuple_index!(A, B, C);
tuple_index!(A, B, C, D);
tuple_index!(A, B, C, D, E);
tuple_index!(A, B, C, D, E, F);

impl<T: Element> Tensor<T> {
    /// Indexes the leading dims, as `x[...]` in PyTorch: an integer selects a position and
    /// drops the dim (negative counts from the end), a range (`a..b`, `a..`, `..b`, `..`,
    /// `a..=b`) keeps it. A view: no element is copied, gradients flow back.
    ///
    /// # Panics
    /// If there are more items than dims, or an integer is out of range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 12.0, 1.0).reshape(&[3, 4]);
    /// assert_eq!(x.i((.., 1..3)).to_vec(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]); // x[:, 1:3]
    /// assert_eq!(x.i(1).to_vec(), vec![4.0, 5.0, 6.0, 7.0]);                      // x[1]
    /// assert_eq!(x.i((-1, 2..)).to_vec(), vec![10.0, 11.0]);                     // x[-1, 2:]
    /// assert!(x.i((.., 1..3)).shares_storage(&x));
    /// ```
    #[track_caller]
    pub fn i<I: TensorIndex>(&self, index: I) -> Tensor<T> {
        let items = index.items();
        if items.len() > self.ndim() {
            panic!(
                "tapegrad: i: {} index items for a tensor of shape {:?}",
                items.len(),
                self.shape()
            );
        }
        let mut out = self.clone();
        let mut dim = 0;
        for item in items {
            match item {
                IndexItem::Select(i) => out = out.select(dim as isize, i),
                IndexItem::Range(start, end) => {
                    let n = out.shape()[dim] as isize;
                    out = out.slice(dim as isize, start.unwrap_or(0), end.unwrap_or(n), 1);
                    dim += 1;
                }
            }
        }
        out
    }
}
