//! The two records that tie a view to its base after in-place writes: `as_strided` (a view
//! of a contiguous base, given by a layout relative to the base's first element) and its
//! adjoint `as_strided_scatter` (zeros of the base's shape with a tensor placed at that
//! layout). They live on the ground floor because a view remakes its own record from them
//! when its base is modified in place (see `Tensor::grad_fn`).

use ndarray::ArrayViewMutD;

use super::function::{Context, Function, Grads};
use super::storage::Layout;
use crate::{Float, Tensor};

/// A view of a contiguous tensor of shape `base_shape` through `layout`, whose offset counts
/// from the base's first element.
pub(crate) struct AsStrided {
    layout: Layout,
    base_shape: Vec<usize>,
}

impl AsStrided {
    pub(crate) fn new(layout: Layout, base_shape: &[usize]) -> Self {
        AsStrided {
            layout,
            base_shape: base_shape.to_vec(),
        }
    }
}

impl<T: Float> Function<T> for AsStrided {
    fn name(&self) -> &'static str {
        "as_strided"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.as_strided_scatter(&self.layout, &self.base_shape))
    }
}

/// Zeros of shape `base_shape` with the input placed at `layout` (the adjoint of
/// [`AsStrided`]).
pub(crate) struct AsStridedScatter {
    layout: Layout,
}

impl<T: Float> Function<T> for AsStridedScatter {
    fn name(&self) -> &'static str {
        "as_strided_scatter"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.row_major().as_strided(&self.layout))
    }
}

impl<T: Float> Tensor<T> {
    /// Adds `g` into the elements of this contiguous tensor that `rel` (relative to its first
    /// element) selects, in place: the engine's accumulation of a placed gradient.
    pub(crate) fn add_at(&self, rel: &Layout, g: &Tensor<T>) {
        debug_assert!(self.is_contiguous() && rel.shape() == g.shape());
        if g.numel() == 0 {
            return;
        }
        let region = Layout::new(
            rel.shape(),
            &rel.strides(),
            self.layout().offset() + rel.offset(),
        );
        assert!(
            region.fits(self.storage().len()),
            "tapegrad: internal error: placed gradient outside the input"
        );
        let src = g.data();
        let mut guard = self.storage().write();
        let mut dst = guard.view_mut(&region);
        dst += &src.view();
    }

    /// This tensor, or a row-major copy of it when it is not row-major (a scatter at the
    /// full row-major layout is a recorded copy, so this floor needs no other op).
    pub(crate) fn row_major(&self) -> Tensor<T> {
        if self.is_contiguous() {
            return self.clone();
        }
        let rel = Layout::contiguous(self.shape());
        self.as_strided_scatter(&rel, self.shape())
    }

    /// A view of this contiguous tensor through `rel` (offset counted from its first element).
    #[track_caller]
    pub(crate) fn as_strided(&self, rel: &Layout) -> Tensor<T> {
        assert!(
            self.is_contiguous(),
            "tapegrad: internal error: as_strided of a non-contiguous tensor"
        );
        let base = self.layout();
        let layout = Layout::new(rel.shape(), &rel.strides(), base.offset() + rel.offset());
        assert!(
            layout.fits(self.storage().len()) && rel.fits(self.numel()),
            "tapegrad: internal error: as_strided layout outside the tensor"
        );
        self.view_op(layout, AsStrided::new(rel.clone(), self.shape()))
    }

    /// Zeros of `base_shape` with this tensor placed at `rel`.
    #[track_caller]
    pub(crate) fn as_strided_scatter(&self, rel: &Layout, base_shape: &[usize]) -> Tensor<T> {
        let n: usize = base_shape.iter().product();
        let mut out = super::pool::take(n);
        out.resize(n, T::zero());
        // An empty view places nothing (and its strides need not describe a valid layout).
        if self.numel() > 0 {
            let src = self.data();
            let shape = rel.ndarray_shape_mut();
            let mut dst = ArrayViewMutD::from_shape(shape, &mut out[rel.offset().min(n)..])
                .expect("tapegrad: internal error: as_strided_scatter layout outside the base");
            dst.assign(&src.view());
        }
        let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(base_shape), out)
            .expect("element count");
        Tensor::from_op(
            data,
            AsStridedScatter {
                layout: rel.clone(),
            },
            self,
        )
    }
}
