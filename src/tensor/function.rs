//! The op trait: what an op records so the engine can run its backward.
//!
//! Every op of tapegrad — and any op a user adds — is one type implementing [`Function`]:
//! its `backward` turns the gradient of the output into gradients of the inputs, written
//! with tensor ops so that, with `create_graph`, the backward is itself recorded and can be
//! differentiated again. The forward is the method that computes the values and calls
//! [`Tensor::from_function`] (or, inside the crate, `Tensor::from_op`).

use std::cell::Cell;

use super::node::Saved;
use super::storage::Layout;
use crate::{Element, Tensor};

/// An op with its backward, as PyTorch's `torch.autograd.Function`.
///
/// Implement it to add an op of your own: compute the forward values however you like, then
/// record them with [`Tensor::from_function`]. The op then appears by name in DOT graphs and
/// anomaly reports, is checked by [`gradcheck`](crate::gradcheck), and works with
/// `create_graph` when its backward uses tensor ops.
///
/// ```
/// use tapegrad::autograd::{Context, Function, Grads};
/// use tapegrad::Tensor;
///
/// /// x³, with its backward 3x²·g.
/// struct Cube;
///
/// impl Function<f64> for Cube {
///     fn name(&self) -> &'static str {
///         "cube"
///     }
///     fn backward(&self, ctx: &Context<'_, f64>, grad: &Tensor<f64>) -> Grads<f64> {
///         let x = ctx.input(0);
///         Grads::one(grad * &(x * x * 3.0))
///     }
/// }
///
/// fn cube(x: &Tensor<f64>) -> Tensor<f64> {
///     let values = x.data().view().mapv(|v| v * v * v);
///     Tensor::from_function(values, Cube, &[x])
/// }
///
/// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
/// let y = cube(&x).sum();
/// y.backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 12.0]);
/// assert!(y.to_dot().contains("cube"));
/// tapegrad::gradcheck(|v| cube(&v[0]), &[x.detach()], 1e-6, 1e-8, 1e-6).unwrap();
/// ```
pub trait Function<T: Element>: Send + Sync + 'static {
    /// The op's name, shown in DOT graphs, `Display` (`grad_fn=<name>`) and error messages.
    fn name(&self) -> &'static str;

    /// The gradients of the inputs (in input order) from `grad`, the gradient of the output.
    ///
    /// Read inputs and the output through `ctx`, which checks that they were not modified in
    /// place since the op was recorded. Return `None` for inputs without a gradient; a
    /// gradient must have its input's shape. Inputs for which
    /// [`Context::needs_input_grad`] is false may be skipped.
    fn backward(&self, ctx: &Context<'_, T>, grad: &Tensor<T>) -> Grads<T>;

    /// [`Function::backward`] given the output's gradient to keep: what the engine calls.
    ///
    /// The default calls `backward`. Override it (and make `backward` call it with a clone)
    /// when the backward uses `grad` once and can build on it by value: the owned operators
    /// (`grad * 2.0`, `grad * &y`, `-grad`) then compute in place when nothing else can see
    /// the gradient's elements, so the backward allocates nothing.
    ///
    /// ```
    /// use tapegrad::autograd::{Context, Function, Grads};
    /// use tapegrad::Tensor;
    ///
    /// /// 3x, with the gradient scaled in place when it is ours alone.
    /// struct Triple;
    ///
    /// impl Function<f64> for Triple {
    ///     fn name(&self) -> &'static str {
    ///         "triple"
    ///     }
    ///     fn backward(&self, ctx: &Context<'_, f64>, grad: &Tensor<f64>) -> Grads<f64> {
    ///         self.backward_owned(ctx, grad.clone())
    ///     }
    ///     fn backward_owned(&self, _ctx: &Context<'_, f64>, grad: Tensor<f64>) -> Grads<f64> {
    ///         Grads::one(grad * 3.0)
    ///     }
    /// }
    ///
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad();
    /// let y = Tensor::from_function(x.data().view().mapv(|v| 3.0 * v), Triple, &[&x]);
    /// (&y * &y).sum().backward(); // d(9x²)/dx = 18x
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![18.0, 36.0]);
    /// ```
    fn backward_owned(&self, ctx: &Context<'_, T>, grad: Tensor<T>) -> Grads<T> {
        self.backward(ctx, &grad)
    }
}

/// What a [`Function`]'s backward may look at: the op's inputs and output.
pub struct Context<'a, T: Element> {
    pub(crate) inputs: &'a [Saved<T>],
    pub(crate) output: &'a Tensor<T>,
    pub(crate) out_version: u64,
    pub(crate) needs: u64,
    /// The first saved tensor found modified: (expected version, found version).
    pub(crate) modified: Cell<Option<(u64, u64)>>,
}

impl<'a, T: Element> Context<'a, T> {
    fn check(&self, expected: u64, found: u64) {
        if expected != found && self.modified.get().is_none() {
            self.modified.set(Some((expected, found)));
        }
    }

    /// Input `k`, for its values. If it was modified in place after the op was recorded,
    /// backward fails with an error naming this op (the value returned is then not used).
    pub fn input(&self, k: usize) -> &'a Tensor<T> {
        let saved = &self.inputs[k];
        self.check(saved.version(), saved.tensor.version());
        &saved.tensor
    }

    /// Checks a tensor the op kept itself (of any element type, e.g. a `bool` mask) and saw
    /// at `version`: if it was modified in place since, backward fails with an error naming
    /// this op, as for [`Context::input`].
    pub fn check_unmodified<U: Element>(&self, t: &Tensor<U>, version: u64) {
        self.check(version, t.version());
    }

    /// The shape of input `k` (no check: shapes never change in place).
    pub fn input_shape(&self, k: usize) -> &'a [usize] {
        self.inputs[k].tensor.shape()
    }

    /// The op's output, for its values; checked like [`Context::input`].
    pub fn output(&self) -> &'a Tensor<T> {
        self.check(self.out_version, self.output.version());
        self.output
    }

    /// How many inputs the op has.
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// Whether anything needs the gradient of input `k` (others may be returned as `None`).
    pub fn needs_input_grad(&self, k: usize) -> bool {
        k >= 64 || self.needs & (1 << k) != 0
    }
}

/// The input gradients a backward returns, in input order (`None` where there is none).
/// One or two are kept inline, so most backwards allocate nothing for the list.
pub struct Grads<T: Element>(pub(crate) GradsRepr<T>);

pub(crate) enum GradsRepr<T: Element> {
    Fixed([Option<Tensor<T>>; 2]),
    Many(Vec<Option<Tensor<T>>>),
    /// The gradient of a view's only input: zero except at the elements the view selected.
    Placed(Placed<T>),
}

/// A gradient that is zero outside one view of the input: `grad` at `rel`, a layout relative
/// to the first element of a contiguous tensor of `shape`. The engine adds it into that
/// region of the pending gradient in place (no zero-filled tensor per view, no full-size
/// sum); under `create_graph` it becomes the recorded op `as_strided_scatter`.
pub(crate) struct Placed<T: Element> {
    pub(crate) grad: Tensor<T>,
    pub(crate) rel: Layout,
    pub(crate) shape: Vec<usize>,
}

impl<T: Element> Grads<T> {
    /// The gradient of a one-input op.
    pub fn one(g: Tensor<T>) -> Self {
        Grads(GradsRepr::Fixed([Some(g), None]))
    }

    /// The gradients of a two-input op.
    pub fn two(a: Option<Tensor<T>>, b: Option<Tensor<T>>) -> Self {
        Grads(GradsRepr::Fixed([a, b]))
    }

    /// The gradients of an op with any number of inputs.
    pub fn many(grads: Vec<Option<Tensor<T>>>) -> Self {
        Grads(GradsRepr::Many(grads))
    }

    /// The gradient of input 0 as `grad` placed at `rel` in zeros of `shape` (see
    /// [`Placed`]).
    pub(crate) fn placed(grad: Tensor<T>, rel: Layout, shape: &[usize]) -> Self {
        Grads(GradsRepr::Placed(Placed {
            grad,
            rel,
            shape: shape.to_vec(),
        }))
    }

    /// The placed gradient, if that is what this is.
    pub(crate) fn into_placed(self) -> Result<Placed<T>, Self> {
        match self.0 {
            GradsRepr::Placed(p) => Ok(p),
            other => Err(Grads(other)),
        }
    }

    /// How many input gradients this holds (trailing `None`s of the inline pair not
    /// counted), to check it against the op's number of inputs.
    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            GradsRepr::Fixed([_, Some(_)]) => 2,
            GradsRepr::Fixed(_) => 1,
            GradsRepr::Many(v) => v.len(),
            GradsRepr::Placed(_) => 1,
        }
    }

    /// The gradients in input order, `None` where an input got none (the inline pair is
    /// a plain array iterator, so the walk's loop over them is a loop, not a call each).
    #[inline]
    pub(crate) fn into_list(self) -> GradList<T> {
        match self.0 {
            GradsRepr::Fixed(a) => GradList::Fixed(a.into_iter()),
            GradsRepr::Many(v) => GradList::Many(v.into_iter()),
            GradsRepr::Placed(p) => panic!(
                "tapegrad: internal error: a placed gradient of shape {:?} reached into_list",
                p.shape
            ),
        }
    }
}

/// The gradients of [`Grads::into_list`], one per input.
pub(crate) enum GradList<T: Element> {
    Fixed(std::array::IntoIter<Option<Tensor<T>>, 2>),
    Many(std::vec::IntoIter<Option<Tensor<T>>>),
}

impl<T: Element> Iterator for GradList<T> {
    type Item = Option<Tensor<T>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            GradList::Fixed(a) => a.next(),
            GradList::Many(v) => v.next(),
        }
    }
}
