//! In-place ops, PyTorch's trailing underscore: `add_ sub_ mul_ div_ add_scalar_ mul_scalar_
//! fill_ zero_ copy_ clamp_ masked_fill_`.
//!
//! Each writes into the tensor's storage (so every view of it sees the change), bumps the
//! storage's version, and — when grad mode is on and a gradient can flow — is recorded as
//! PyTorch records it: the tensor gets a new record whose input is its old history. A saved
//! tensor overwritten this way is caught at backward time by the version check. For a view,
//! the base gets the new history (`copy_slices`) and the view becomes a view of it.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::elementwise::{Add, Div, Mul, Sub, zip_broadcast};
use super::unary::{AddScalar, Clamp, Elementwise, MulScalar};
use crate::autograd::{Context, Function, Grads};
use crate::tensor::Values;
use crate::tensor::grad_mode::grad_enabled;
use crate::tensor::node::{GradFn, Inputs, Saved, record};
use crate::tensor::shared::Shared;
use crate::tensor::storage::Layout;
use crate::{Float, Tensor};

/// The base of a view after an in-place write through the view: the old base with the
/// view's region replaced by the new values (PyTorch's `CopySlices`).
struct CopySlices {
    /// The view's layout relative to the base's first element.
    region: Layout,
}

impl<T: Float> Function<T> for CopySlices {
    fn name(&self) -> &'static str {
        "copy_slices"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let g = g.contiguous();
        let in_region = g.as_strided(&self.region);
        let base = ctx
            .needs_input_grad(0)
            .then(|| &g - &in_region.as_strided_scatter(&self.region, g.shape()));
        let values = ctx.needs_input_grad(1).then(|| in_region.contiguous());
        Grads::two(base, values)
    }
}

/// Every element set to a constant: no gradient reaches the old values.
struct Fill;

impl<T: Float> Function<T> for Fill {
    fn name(&self) -> &'static str {
        "fill"
    }
    fn backward(&self, _ctx: &Context<'_, T>, _g: &Tensor<T>) -> Grads<T> {
        Grads::two(None, None)
    }
}

/// The values of `src` (broadcast) copied over the tensor.
struct Copy;

impl<T: Float> Function<T> for Copy {
    fn name(&self) -> &'static str {
        "copy"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let src = ctx
            .needs_input_grad(1)
            .then(|| g.sum_to(ctx.input_shape(1)));
        Grads::two(None, src)
    }
}

/// `v` where the mask is nonzero, the old value elsewhere.
struct MaskedFill;

impl<T: Float> Function<T> for MaskedFill {
    fn name(&self) -> &'static str {
        "masked_fill"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let keep = super::map_const(ctx.input(1), |m| {
            if m == T::zero() { T::one() } else { T::zero() }
        });
        Grads::two(ctx.needs_input_grad(0).then(|| g * &keep), None)
    }
}

impl<T: Float> Tensor<T> {
    /// PyTorch's rules for in-place writes on tensors that autograd tracks.
    #[track_caller]
    fn check_inplace(&self, op: &str) {
        if !grad_enabled() {
            return;
        }
        if self.is_requires_grad() && self.is_leaf() && self.base().is_none() {
            panic!(
                "tapegrad: {op}: a leaf tensor that requires grad is being used in an in-place \
                 operation; update it under tapegrad::no_grad"
            );
        }
        if let Some(base) = self.base()
            && base.is_requires_grad()
            && base.is_leaf()
        {
            panic!(
                "tapegrad: {op}: a view of a leaf tensor that requires grad is being used in \
                     an in-place operation; update it under tapegrad::no_grad"
            );
        }
    }

    /// Writes `f(self, other)` into this tensor and records `op` when a gradient can flow.
    /// `keeps_self`: the op's backward reads the old values of `self`, so when recording, a
    /// copy of them is its input instead (as PyTorch saves `original_self`).
    #[track_caller]
    fn inplace<F: Function<T>>(
        &self,
        name: &str,
        op: F,
        other: Option<&Tensor<T>>,
        keeps_self: bool,
        f: impl FnOnce(&ArrayViewD<'_, T>, Option<&ArrayViewD<'_, T>>) -> Values<T>,
    ) -> &Self {
        self.check_inplace(name);
        let values = {
            let a = self.data();
            let b = other.map(|o| o.data());
            let bv = b.as_ref().map(|b| b.view());
            f(&a.view(), bv.as_ref())
        };
        let recording = grad_enabled()
            && (self.is_requires_grad() || other.is_some_and(|o| o.is_requires_grad()));
        let inputs = recording.then(|| {
            // An alias with this tensor's history now, not the tensor itself, which is about
            // to take the new record (see `alias_with_history`).
            let me = if keeps_self {
                self.alias_with_history().contiguous_copy()
            } else {
                self.alias_with_history()
            };
            match other {
                Some(o) => Inputs::Two([Saved::of(&me), Saved::of(o)]),
                None => Inputs::One([Saved::of(&me)]),
            }
        });
        {
            let mut guard = self.storage().write();
            guard.view_mut(self.layout()).assign(&values.view());
        }
        if let Some(inputs) = inputs {
            let rec = record(op, inputs, self.version());
            match self.base() {
                None => self.set_history(rec),
                Some(base) => self.rebase_view(base, rec),
            }
        }
        self
    }

    fn set_history(&self, rec: Shared<GradFn<T>>) {
        self.replace_record(Some(rec));
        self.0
            .requires_grad
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// After an in-place write through this view: the base's history becomes the old base
    /// with this view's region replaced by `rec`'s result, and this view a view of it.
    #[track_caller]
    fn rebase_view(&self, base: &Tensor<T>, rec: Shared<GradFn<T>>) {
        assert!(
            base.is_contiguous(),
            "tapegrad: in-place op on a view of a non-contiguous tensor that requires grad; \
             call .contiguous() on it first"
        );
        let region = self.layout_in(base);
        // The new values of the region, as their own tensor over the same elements.
        let values = Tensor::from_parts(
            self.storage().clone(),
            self.layout().clone(),
            true,
            Some(rec),
            None,
        );
        let inputs = Inputs::Two([Saved::of(&base.alias_with_history()), Saved::of(&values)]);
        let copy = record(CopySlices { region }, inputs, base.version());
        base.set_history(copy);
        // The base changed its record: the next look at this view's record remakes it.
        self.0
            .requires_grad
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(view) = &self.0.view {
            view.base_fn
                .store(usize::MAX, std::sync::atomic::Ordering::Release);
        }
    }

    /// A row-major copy, recorded (even of a row-major tensor).
    #[track_caller]
    pub(crate) fn contiguous_copy(&self) -> Tensor<T> {
        let rel = Layout::contiguous(self.shape());
        self.as_strided_scatter(&rel, self.shape())
    }

    /// Checks that `other` broadcasts to this tensor's shape (an in-place result keeps it).
    #[track_caller]
    fn check_broadcasts_into(&self, op: &str, other: &Tensor<T>) {
        let shape = super::broadcast_shape(op, self.shape(), other.shape());
        if shape != self.shape() {
            panic!(
                "tapegrad: {op}: output with shape {:?} doesn't match the broadcast shape {shape:?} \
                 of {:?} and {:?}",
                self.shape(),
                self.shape(),
                other.shape()
            );
        }
    }

    /// `self = op(self, other)`; `keeps_self` when the backward of `other` reads `self`.
    #[track_caller]
    fn binary_<F: super::elementwise::Binary<T> + Function<T> + std::marker::Copy>(
        &self,
        name: &str,
        other: &Tensor<T>,
        op: F,
        keeps_self: bool,
    ) -> &Self {
        self.check_broadcasts_into(name, other);
        let values = move |a: &ArrayViewD<'_, T>, b: Option<&ArrayViewD<'_, T>>| {
            zip_broadcast(name, a, b.expect("two operands"), |x, y| op.f(x, y))
        };
        let keeps_self = keeps_self && other.is_requires_grad();
        self.inplace(name, op, Some(other), keeps_self, values)
    }

    /// `self += other` (broadcast), in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// x.add_(&Tensor::scalar(10.0));
    /// assert_eq!(x.to_vec(), vec![11.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn add_(&self, other: &Tensor<T>) -> &Self {
        self.binary_("add_", other, Add, false)
    }

    /// `self -= other` (broadcast), in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// x.sub_(&x.detach());
    /// assert_eq!(x.to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn sub_(&self, other: &Tensor<T>) -> &Self {
        self.binary_("sub_", other, Sub, false)
    }

    /// `self *= other` (broadcast), in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// x.mul_(&Tensor::from_vec(vec![3.0, 4.0], &[2]));
    /// assert_eq!(x.to_vec(), vec![3.0, 8.0]);
    /// ```
    #[track_caller]
    pub fn mul_(&self, other: &Tensor<T>) -> &Self {
        self.binary_("mul_", other, Mul, true)
    }

    /// `self /= other` (broadcast), in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f32, 8.0], &[2]);
    /// x.div_(&Tensor::scalar(2.0));
    /// assert_eq!(x.to_vec(), vec![1.5, 4.0]);
    /// ```
    #[track_caller]
    pub fn div_(&self, other: &Tensor<T>) -> &Self {
        self.binary_("div_", other, Div, true)
    }

    /// `self = op(self)`; `keeps_self` when the backward reads `self`.
    #[track_caller]
    fn unary_<F: Elementwise<T> + Function<T> + std::marker::Copy>(
        &self,
        name: &str,
        op: F,
        keeps_self: bool,
    ) -> &Self {
        let values =
            move |a: &ArrayViewD<'_, T>, _: Option<&ArrayViewD<'_, T>>| super::map(a, |x| op.f(x));
        self.inplace(name, op, None, keeps_self, values)
    }

    /// `self += v` for a scalar `v`, in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    /// x.add_scalar_(0.5);
    /// assert_eq!(x.to_vec(), vec![1.5, 2.5]);
    /// ```
    #[track_caller]
    pub fn add_scalar_(&self, v: T) -> &Self {
        self.unary_("add_scalar_", AddScalar(v), false)
    }

    /// `self *= v` for a scalar `v`, in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    /// x.mul_scalar_(3.0);
    /// assert_eq!(x.to_vec(), vec![3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn mul_scalar_(&self, v: T) -> &Self {
        self.unary_("mul_scalar_", MulScalar(v), false)
    }

    /// Limits every element to `[min, max]`, in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 2.0], &[3]);
    /// x.clamp_(-1.0, 1.0);
    /// assert_eq!(x.to_vec(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp_(&self, min: T, max: T) -> &Self {
        assert!(
            min <= max,
            "tapegrad: clamp_: min {min} is greater than max {max}"
        );
        // The mask of clamp's backward reads the old values.
        self.unary_("clamp_", Clamp(min, max), true)
    }

    /// Every element set to `v`, in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[3]);
    /// x.fill_(7.0);
    /// assert_eq!(x.to_vec(), vec![7.0; 3]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, v: T) -> &Self {
        let values = |a: &ArrayViewD<'_, T>, _: Option<&ArrayViewD<'_, T>>| {
            ArrayD::from_elem(IxDyn(a.shape()), v).into()
        };
        self.inplace("fill_", Fill, None, false, values)
    }

    /// Every element set to 0, in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::ones(&[2]);
    /// x.zero_();
    /// assert_eq!(x.to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn zero_(&self) -> &Self {
        self.fill_(T::zero())
    }

    /// The values of `src` (broadcast to this shape) copied in, in place; the gradient flows
    /// to `src`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 2]);
    /// x.copy_(&Tensor::from_vec(vec![1.0, 2.0], &[2]));
    /// assert_eq!(x.to_vec(), vec![1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn copy_(&self, src: &Tensor<T>) -> &Self {
        self.check_broadcasts_into("copy_", src);
        let values = |a: &ArrayViewD<'_, T>, b: Option<&ArrayViewD<'_, T>>| {
            let b = b.expect("a source");
            let view = b.broadcast(a.raw_dim()).expect("broadcast checked");
            super::to_standard(&view)
        };
        self.inplace("copy_", Copy, Some(src), false, values)
    }

    /// `v` wherever `mask` is true (the mask broadcasts to this shape), in place.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// x.masked_fill_(&x.eq(2.0), -1.0);
    /// assert_eq!(x.to_vec(), vec![1.0, -1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill_(&self, mask: &Tensor<bool>, v: T) -> &Self {
        self.check_mask("masked_fill_", mask);
        let values = |a: &ArrayViewD<'_, T>, m: Option<&ArrayViewD<'_, T>>| {
            zip_broadcast("masked_fill_", a, m.expect("a mask"), |x, m| {
                if m == T::zero() { x } else { v }
            })
        };
        // The mask is a constant: it is read for its values, never differentiated.
        let mask = mask.cast::<T>();
        self.inplace("masked_fill_", MaskedFill, Some(&mask), false, values)
    }
}
