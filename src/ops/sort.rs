//! Sorting along a dim: `sort`, `argsort`, `topk`, `kthvalue`.
//!
//! Each computes the order of every lane, then picks the values with `gather`, so the
//! gradient of the values is gather's (it flows back to the picked elements) and needs no
//! op of its own.

use std::sync::Arc;

use ndarray::{ArrayD, Axis, IxDyn, Zip};

use super::index::Gather;
use super::normalize_dim;
use crate::{Element, Tensor};

impl<T: Element> Tensor<T> {
    /// For every lane along `d`, the positions of its first `k` elements in sorted order
    /// (stable: equal elements keep their order).
    fn lane_order(&self, d: usize, k: usize, descending: bool) -> (ArrayD<usize>, ArrayD<T>) {
        let mut shape = self.shape().to_vec();
        let n = shape[d];
        shape[d] = k;
        let mut out = ArrayD::<usize>::zeros(IxDyn(&shape));
        let mut values = ArrayD::<T>::from_elem(IxDyn(&shape), T::ZERO);
        let data = self.data();
        let view = data.view();
        // Sorting compares integer keys (`Element::sort_key`), with the position as the tie
        // breaker, so an unstable sort gives the stable order: for 32-bit keys both fit in
        // one u64, otherwise (key, position) pairs.
        let packed = T::KEY_BITS <= 32 && n <= u32::MAX as usize;
        let flip = |k: u64| if descending { !k } else { k };
        let (mut one, mut two): (Vec<u64>, Vec<(u64, u64)>) = (Vec::new(), Vec::new());
        Zip::from(view.lanes(Axis(d)))
            .and(out.lanes_mut(Axis(d)))
            .and(values.lanes_mut(Axis(d)))
            .for_each(|lane, mut o, mut v| {
                if packed {
                    one.clear();
                    let keys = lane.iter().zip(0u64..);
                    one.extend(keys.map(|(&v, i)| (flip(v.sort_key()) & 0xFFFF_FFFF) << 32 | i));
                    let k = k.min(one.len());
                    if k < one.len() && k > 0 {
                        one.select_nth_unstable(k - 1);
                        one.truncate(k);
                    }
                    one.sort_unstable();
                    for ((slot, value), key) in o.iter_mut().zip(v.iter_mut()).zip(&one) {
                        *slot = (key & 0xFFFF_FFFF) as usize;
                        *value = lane[*slot];
                    }
                } else {
                    two.clear();
                    two.extend(
                        lane.iter()
                            .zip(0u64..)
                            .map(|(&v, i)| (flip(v.sort_key()), i)),
                    );
                    two.sort_unstable();
                    for ((slot, value), key) in o.iter_mut().zip(v.iter_mut()).zip(&two) {
                        *slot = key.1 as usize;
                        *value = lane[*slot];
                    }
                }
            });
        (out, values)
    }

    /// The picked values, recorded as a `gather` at `order`, and `order` as `i64` (the
    /// shared end of every op here).
    #[track_caller]
    fn pick(
        &self,
        d: usize,
        (order, values): (ArrayD<usize>, ArrayD<T>),
    ) -> (Tensor<T>, Tensor<i64>) {
        let indices = Tensor::leaf(order.mapv(|i| i as i64));
        let op = Gather {
            dim: d,
            index: Arc::new(order),
        };
        (Tensor::from_any_op(values, op, self), indices)
    }

    /// The elements sorted along `dim`, and where each came from (`torch.sort`, stable:
    /// equal elements keep their order; NaN sorts last, first when `descending`). The
    /// gradient of the values flows back to the elements they came from.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]);
    /// let (values, indices) = x.sort(0, false);
    /// assert_eq!(values.to_vec(), vec![1.0, 2.0, 3.0]);
    /// assert_eq!(indices.to_vec(), vec![1, 2, 0]);
    /// ```
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> (Tensor<T>, Tensor<i64>) {
        if let Some(y) = super::scalar_dim(self, "sort", dim, |x| x.sort(0, descending)) {
            return y;
        }
        let d = normalize_dim("sort", dim, self.shape());
        let order = self.lane_order(d, self.shape()[d], descending);
        self.pick(d, order)
    }

    /// Where each element of the sorted lanes along `dim` came from (`torch.argsort`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<i64>::from_vec(vec![3, 1, 2], &[3]);
    /// assert_eq!(x.argsort(0, true).to_vec(), vec![0, 2, 1]);
    /// ```
    #[track_caller]
    pub fn argsort(&self, dim: isize, descending: bool) -> Tensor<i64> {
        if let Some(y) = super::scalar_dim(self, "argsort", dim, |x| x.argsort(0, descending)) {
            return y;
        }
        let d = normalize_dim("argsort", dim, self.shape());
        let (order, _) = self.lane_order(d, self.shape()[d], descending);
        Tensor::leaf(order.mapv(|i| i as i64))
    }

    /// The `k` largest (or smallest, when `largest` is false) elements along `dim` and
    /// their indices (`torch.topk`); always in sorted order, which `sorted = false` allows.
    ///
    /// # Panics
    /// If `k` is larger than the size of `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![0.1f32, 0.7, 0.2, 0.9], &[4]);
    /// let (v, i) = x.topk(2, -1, true, true);
    /// assert_eq!(v.to_vec(), vec![0.9, 0.7]);
    /// assert_eq!(i.to_vec(), vec![3, 1]);
    /// ```
    #[track_caller]
    pub fn topk(
        &self,
        k: usize,
        dim: isize,
        largest: bool,
        sorted: bool,
    ) -> (Tensor<T>, Tensor<i64>) {
        let _ = sorted;
        if let Some(y) = super::scalar_dim(self, "topk", dim, |x| x.topk(k, 0, largest, true)) {
            return y;
        }
        let d = normalize_dim("topk", dim, self.shape());
        let n = self.shape()[d];
        if k > n {
            panic!(
                "tapegrad: topk: k = {k} is larger than dim {dim} of size {n} (shape {:?})",
                self.shape()
            );
        }
        let order = self.lane_order(d, k, largest);
        self.pick(d, order)
    }

    /// The `k`-th smallest element along `dim` (k counts from 1) and its index
    /// (`torch.kthvalue`).
    ///
    /// # Panics
    /// If `k` is 0 or larger than the size of `dim`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![5.0f32, 1.0, 3.0, 2.0, 8.0, 4.0], &[2, 3]);
    /// let (v, i) = x.kthvalue(2, 1, false);
    /// assert_eq!(v.to_vec(), vec![3.0, 4.0]);
    /// assert_eq!(i.to_vec(), vec![2, 2]);
    /// ```
    #[track_caller]
    pub fn kthvalue(&self, k: usize, dim: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        if let Some(y) = super::scalar_dim(self, "kthvalue", dim, |x| x.kthvalue(k, 0, keepdim)) {
            return y;
        }
        let d = normalize_dim("kthvalue", dim, self.shape());
        let n = self.shape()[d];
        if k == 0 || k > n {
            panic!(
                "tapegrad: kthvalue: k = {k} is out of range for dim {dim} of size {n} (k counts \
                 from 1)"
            );
        }
        let order = self.lane_order(d, k, false);
        let (values, indices) = self.pick(d, order);
        let values = values.slice_at(d, k - 1, 1, 1);
        let indices = indices.slice_at(d, k - 1, 1, 1);
        if keepdim {
            (values, indices)
        } else {
            (values.squeeze(d as isize), indices.squeeze(d as isize))
        }
    }
}
