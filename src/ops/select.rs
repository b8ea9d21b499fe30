//! Selection by a bool mask: `where_cond` (`torch.where`), `masked_fill`, `masked_select`.

use ndarray::{IxDyn, Zip};

use super::compare::Operand;
use super::{Buffer, broadcast_shape};
use crate::autograd::{Context, Function, Grads};
use crate::tensor::Values;
use crate::tensor::buffer::INLINE;
use crate::tensor::pool;
use crate::{Element, Float, Tensor};

/// `torch.where(cond, a, b)`: the gradient goes to `a` where `cond` holds, to `b` elsewhere.
struct WhereCond {
    cond: Tensor<bool>,
    version: u64,
}

impl<T: Float> Function<T> for WhereCond {
    fn name(&self) -> &'static str {
        "where_cond"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        ctx.check_unmodified(&self.cond, self.version);
        let ga = ctx
            .needs_input_grad(0)
            .then(|| where_cond(&self.cond, g, T::ZERO).sum_to(ctx.input_shape(0)));
        let gb = ctx
            .needs_input_grad(1)
            .then(|| where_cond(&self.cond, T::ZERO, g).sum_to(ctx.input_shape(1)));
        Grads::two(ga, gb)
    }
}

/// `out.extend(if c { x } else { y })` over three slices, compiled for AVX2 when the CPU has
/// it (as `ops::map`; the selection is bitwise, so the result is the same either way).
fn select_slices<T: Element>(c: &[bool], x: &[T], y: &[T], out: &mut Vec<T>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above), which is all `select_avx2` needs.
        unsafe { select_avx2(c, x, y, out) };
        return;
    }
    select_plain(c, x, y, out);
}

#[inline(always)]
fn select_plain<T: Element>(c: &[bool], x: &[T], y: &[T], out: &mut Vec<T>) {
    let picked = c.iter().zip(x).zip(y);
    out.extend(picked.map(|((&c, &x), &y)| T::select(c, x, y)));
}

/// [`select_plain`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn select_avx2<T: Element>(c: &[bool], x: &[T], y: &[T], out: &mut Vec<T>) {
    select_plain(c, x, y, out);
}

/// `a` where `cond` is true, else `b`, all three broadcast together (`torch.where`).
/// Either side may be a scalar. Gradients flow to `a` and `b` (zero where not picked).
///
/// # Panics
/// If the shapes cannot be broadcast together.
///
/// ```
/// use tapegrad::{where_cond, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f32, 2.0, -3.0], &[3]).requires_grad();
/// let y = where_cond(&x.gt(0.0), &x, 0.0); // relu
/// assert_eq!(y.to_vec(), vec![0.0, 2.0, 0.0]);
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
/// ```
#[track_caller]
pub fn where_cond<T: Element>(
    cond: &Tensor<bool>,
    a: impl Operand<T>,
    b: impl Operand<T>,
) -> Tensor<T> {
    let (a, b) = (a.into_tensor(), b.into_tensor());
    let shape = broadcast_shape("where_cond", cond.shape(), a.shape());
    let shape = IxDyn(&broadcast_shape("where_cond", &shape, b.shape()));
    let values: Values<T> = {
        let (c, x, y) = (cond.data(), a.data(), b.data());
        let (cv, xv, yv) = (c.view(), x.view(), y.view());
        let same = cv.shape() == xv.shape() && xv.shape() == yv.shape();
        match (same, c.as_slice(), x.as_slice(), y.as_slice()) {
            // Same shapes, contiguous: one pass over three slices.
            (true, Some(c), Some(x), Some(y)) if c.len() > INLINE => {
                let mut out = pool::take(c.len());
                select_slices(c, x, y, &mut out);
                Values::new(Buffer::Heap(out), shape)
            }
            _ => {
                let c = cv.broadcast(shape.clone()).expect("broadcastable");
                let x = xv.broadcast(shape.clone()).expect("broadcastable");
                let y = yv.broadcast(shape).expect("broadcastable");
                Zip::from(&c)
                    .and(&x)
                    .and(&y)
                    .map_collect(|&c, &x, &y| T::select(c, x, y))
                    .into()
            }
        }
    };
    let op = WhereCond {
        cond: cond.clone(),
        version: cond.version(),
    };
    Tensor::from_any_op(values, op, (&a, &b))
}

impl Tensor<bool> {
    /// `a` where this mask is true, else `b`: [`where_cond`] as a method.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::from_vec(vec![true, false], &[2]);
    /// assert_eq!(m.where_cond(1i64, 0i64).to_vec(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn where_cond<T: Element>(&self, a: impl Operand<T>, b: impl Operand<T>) -> Tensor<T> {
        where_cond(self, a, b)
    }
}

impl<T: Element> Tensor<T> {
    /// `v` where `mask` is true, the tensor's own values elsewhere (`masked_fill`, not in
    /// place); the mask broadcasts to this tensor's shape. The gradient flows where the mask
    /// is false.
    ///
    /// # Panics
    /// If the mask does not broadcast to this tensor's shape.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let scores = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let causal = Tensor::from_vec(vec![false, true, false, false], &[2, 2]);
    /// let masked = scores.masked_fill(&causal, f32::NEG_INFINITY);
    /// assert_eq!(masked.to_vec(), vec![1.0, f32::NEG_INFINITY, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor<bool>, v: T) -> Tensor<T> {
        self.check_mask("masked_fill", mask);
        where_cond(mask, v, self)
    }

    /// The elements where `mask` (broadcast with this tensor) is true, as a 1-D tensor in
    /// row-major order (`masked_select`). Gradients flow back to the selected elements.
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0, -4.0], &[2, 2]);
    /// assert_eq!(x.masked_select(&x.gt(0.0)).to_vec(), vec![1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn masked_select(&self, mask: &Tensor<bool>) -> Tensor<T> {
        let shape = broadcast_shape("masked_select", self.shape(), mask.shape());
        let picked: Vec<usize> = {
            let m = mask.data();
            let m = m.view();
            let m = m.broadcast(IxDyn(&shape)).expect("broadcastable");
            m.iter()
                .enumerate()
                .filter_map(|(i, &b)| b.then_some(i))
                .collect()
        };
        self.broadcast_to(&shape)
            .reshape(&[-1])
            .index_select(0, &picked)
    }

    /// Panics unless `mask` broadcasts to this tensor's shape exactly.
    #[track_caller]
    pub(crate) fn check_mask(&self, op: &str, mask: &Tensor<bool>) {
        let (s, m) = (self.shape(), mask.shape());
        let fits = m.len() <= s.len()
            && m.iter()
                .rev()
                .zip(s.iter().rev())
                .all(|(&a, &b)| a == b || a == 1);
        if !fits {
            panic!("tapegrad: {op}: mask of shape {m:?} does not broadcast to shape {s:?}");
        }
    }
}
