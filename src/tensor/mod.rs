//! The ground floor: the [`Tensor`] handle, its constructors and readers, and what it is made
//! of — storage and views ([`storage`]), the autograd node ([`node`]), the op trait
//! ([`function`]), element types, grad mode and the buffer pool. Nothing here imports ops or
//! the engine.

pub(crate) mod as_strided;
pub(crate) mod buffer;
pub(crate) mod element;
pub(crate) mod function;
pub(crate) mod grad_mode;
pub(crate) mod node;
pub(crate) mod pool;
pub(crate) mod shared;
pub(crate) mod storage;

pub(crate) use node::Values;

use std::fmt;
use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Dimension, IxDyn};
use rand::Rng;

use crate::{Element, Error, Float};
use node::Node;
use shared::Shared;
use storage::{Layout, ReadGuard, WriteGuard};

/// An n-dimensional array of `T` (`f32` by default) that can record the ops applied to it.
///
/// A `Tensor` is a cheap handle: `clone` shares the same storage and graph node, like a
/// Python reference to a `torch.Tensor`. It is `Send + Sync`.
///
/// ```
/// use tapegrad::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).requires_grad();
/// let y = (&x * &x).sum();
/// y.backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0, 6.0]);
/// ```
pub struct Tensor<T: Element = f32>(pub(crate) Shared<Node<T>>);

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor(Shared::clone(&self.0))
    }
}

/// The element count of `shape`, or an error when it (or its size in bytes) overflows:
/// no allocation is ever attempted for a shape that cannot exist.
pub(crate) fn checked_numel<T>(op: &str, shape: &[usize]) -> Result<usize, Error> {
    let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let bytes = n.and_then(|n| n.checked_mul(std::mem::size_of::<T>().max(1)));
    match (n, bytes) {
        (Some(n), Some(b)) if b <= isize::MAX as usize => Ok(n),
        _ => Err(Error::Shape {
            op: op.into(),
            message: format!("shape {shape:?} has too many elements to allocate"),
        }),
    }
}

/// [`checked_numel`] that panics with the message (for constructors that cannot fail).
#[track_caller]
pub(crate) fn numel_or_panic<T>(op: &str, shape: &[usize]) -> usize {
    crate::error::or_panic(checked_numel::<T>(op, shape))
}

impl<T: Element> Tensor<T> {
    /// Builds a tensor from row-major `data`.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Self {
        crate::error::or_panic(Self::try_from_vec(data, shape))
    }

    /// Like [`Tensor::from_vec`], but returns an error instead of panicking.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(Tensor::<f64>::try_from_vec(vec![1.0; 6], &[2, 3]).is_ok());
    /// assert!(Tensor::<f64>::try_from_vec(vec![1.0; 5], &[2, 3]).is_err());
    /// ```
    pub fn try_from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, Error> {
        let numel = checked_numel::<T>("from_vec", shape)?;
        if data.len() != numel {
            return Err(Error::Shape {
                op: "from_vec".into(),
                message: format!(
                    "{} values do not fill shape {:?} ({} elements)",
                    data.len(),
                    shape,
                    numel
                ),
            });
        }
        let storage = Shared::new(storage::Storage::new(data));
        Ok(Tensor::from_parts(
            storage,
            Layout::contiguous(shape),
            false,
            None,
            None,
        ))
    }

    /// Wraps an ndarray array (no copy when it is already in standard layout).
    ///
    /// ```
    /// use tapegrad::{ndarray, Tensor};
    /// let a = ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]).into_dyn();
    /// let t = Tensor::from_array(a);
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    /// ```
    pub fn from_array(a: ArrayD<T>) -> Self {
        Tensor::leaf(a)
    }

    /// A 0-d tensor holding `v`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let s = Tensor::scalar(2.5f32);
    /// assert_eq!(s.ndim(), 0);
    /// assert_eq!(s.item(), 2.5);
    /// ```
    pub fn scalar(v: T) -> Self {
        Tensor::leaf(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// A tensor of zeros.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 2]).to_vec(), vec![0.0; 4]);
    /// ```
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor::filled("zeros", shape, T::ZERO)
    }

    /// A tensor of ones.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::ones(&[3]).to_vec(), vec![1.0; 3]);
    /// ```
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Self {
        Tensor::filled("ones", shape, T::ONE)
    }

    /// A tensor with every element `v`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0f64).to_vec(), vec![7.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn full(shape: &[usize], v: T) -> Self {
        Tensor::filled("full", shape, v)
    }

    /// `full`, with the user's op name in the error message.
    #[track_caller]
    fn filled(op: &str, shape: &[usize], v: T) -> Self {
        let n = numel_or_panic::<T>(op, shape);
        Tensor::leaf(Values::new(buffer::Buffer::filled(n, v), IxDyn(shape)))
    }

    /// Zeros with the shape of `t`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[2, 3]);
    /// assert_eq!(Tensor::zeros_like(&t).shape(), &[2, 3]);
    /// ```
    pub fn zeros_like(t: &Tensor<T>) -> Self {
        Tensor::zeros(t.shape())
    }

    /// Ones with the shape of `t`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[4]);
    /// assert_eq!(Tensor::ones_like(&t).to_vec(), vec![1.0; 4]);
    /// ```
    pub fn ones_like(t: &Tensor<T>) -> Self {
        Tensor::ones(t.shape())
    }

    /// Values from `start` up to (not including) `end` in steps of `step`, as `torch.arange`
    /// (floats computed in f64 and rounded once, as PyTorch's CPU kernel; integers exactly).
    ///
    /// # Panics
    /// If `step` is zero or has the wrong sign for the range, or the range holds more values
    /// than can be allocated.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::arange(0.0f32, 2.0, 0.5).to_vec(), vec![0.0, 0.5, 1.0, 1.5]);
    /// assert_eq!(Tensor::<i64>::arange(0, 7, 3).to_vec(), vec![0, 3, 6]);
    /// assert_eq!(Tensor::arange(3i64, 0, -1).to_vec(), vec![3, 2, 1]);
    /// ```
    #[track_caller]
    pub fn arange(start: T, end: T, step: T) -> Self {
        let show = |v: T| {
            if T::DTYPE.is_float() {
                v.as_f64().to_string()
            } else {
                v.as_i64().to_string()
            }
        };
        let (from, to, by) = (show(start), show(end), show(step));
        let ok = (step > T::ZERO && end >= start) || (step < T::ZERO && end <= start);
        assert!(
            ok,
            "tapegrad: arange: step {by} cannot go from {from} to {to}"
        );
        let too_many = |count: &dyn std::fmt::Display| -> ! {
            panic!(
                "tapegrad: arange: {from}..{to} in steps of {by} holds {count} values, too many \
                 to allocate"
            )
        };
        let data: Vec<T> = if T::DTYPE.is_float() {
            let (a, b, s) = (start.as_f64(), end.as_f64(), step.as_f64());
            let count = ((b - a) / s).ceil();
            let n = count as usize;
            if count.is_nan()
                || count >= usize::MAX as f64
                || checked_numel::<T>("arange", &[n]).is_err()
            {
                too_many(&count);
            }
            (0..n).map(|i| T::of_f64(a + i as f64 * s)).collect()
        } else {
            let (a, b, s) = (start.as_i64(), end.as_i64(), step.as_i64());
            let span = (b as i128 - a as i128).unsigned_abs();
            let count = span.div_ceil(s.unsigned_abs() as u128);
            let n = usize::try_from(count).unwrap_or(usize::MAX);
            if checked_numel::<T>("arange", &[n]).is_err() {
                too_many(&count);
            }
            (0..n as i64).map(|i| T::of_i64(a + i * s)).collect()
        };
        let n = data.len();
        Tensor::from_vec(data, &[n])
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn eye(n: usize) -> Self {
        numel_or_panic::<T>("eye", &[n, n]);
        Tensor::leaf(ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| {
            if ix[0] == ix[1] { T::ONE } else { T::ZERO }
        }))
    }

    /// Whether gradients flow to this tensor (a marked leaf, or the result of a recorded op).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(!Tensor::<f32>::ones(&[1]).is_requires_grad());
    /// ```
    pub fn is_requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Acquire)
    }

    /// True for tensors not made by a recorded op.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::<f32>::ones(&[2]).requires_grad();
    /// assert!(w.is_leaf());
    /// assert!(!w.exp().is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        self.with_record(Option::is_none)
    }

    /// The dimensions.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 5]).shape(), &[2, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.0.layout.shape()
    }

    /// The number of dimensions.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 5, 1]).ndim(), 3);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 5]).numel(), 10);
    /// ```
    pub fn numel(&self) -> usize {
        storage::numel(self.shape())
    }

    /// The elements in row-major order.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.t().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        let data = self.data();
        match data.as_slice() {
            Some(s) => s.to_vec(),
            None => data.view().iter().copied().collect(),
        }
    }

    /// The value of a one-element tensor.
    ///
    /// # Panics
    /// If the tensor has more or fewer than one element.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1, 1]).item(), 3.0);
    /// ```
    #[track_caller]
    pub fn item(&self) -> T {
        assert!(
            self.numel() == 1,
            "tapegrad: item: tensor of shape {:?} has {} elements, not 1",
            self.shape(),
            self.numel()
        );
        let d = self.data();
        *d.view().iter().next().expect("one element")
    }

    /// A copy of the data as an ndarray array (row-major).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::ones(&[2, 2]).to_array();
    /// assert_eq!(a.shape(), &[2, 2]);
    /// ```
    pub fn to_array(&self) -> ArrayD<T> {
        self.data().view().to_owned()
    }

    /// Read access to the elements without copying them: a guard whose
    /// [`view`](Data::view) is an ndarray view of this tensor (strided for views).
    ///
    /// While any guard is alive, writes to the storage from other threads wait, and a write
    /// from this thread panics (it could never proceed); drop guards promptly.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[3]);
    /// assert_eq!(t.data().view().sum(), 3.0);
    /// ```
    #[track_caller]
    pub fn data(&self) -> Data<'_, T> {
        Data {
            guard: self.0.storage.read(),
            layout: &self.0.layout,
        }
    }

    /// Write access to the elements, for updates that are not recorded (initialisation,
    /// hand-written optimizer steps; prefer the in-place ops such as [`Tensor::sub_`]). It
    /// bumps the storage's [version](Tensor::version), so a recorded op that saved this
    /// tensor refuses to run its backward afterwards instead of computing a wrong gradient.
    ///
    /// # Panics
    /// If the tensor is an expanded view (several positions share one element), or this
    /// thread holds a [`data`](Tensor::data) guard of the same storage.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2]);
    /// t.data_mut().view_mut().fill(5.0);
    /// assert_eq!(t.to_vec(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn data_mut(&self) -> DataMut<'_, T> {
        assert!(
            !self.0.layout.overlaps(),
            "tapegrad: data_mut: more than one element of the written-to tensor refers to a \
             single memory location (an expanded view); call .contiguous() first"
        );
        DataMut {
            guard: self.0.storage.write(),
            layout: &self.0.layout,
        }
    }

    /// A new leaf that shares this tensor's storage (no copy), cut from the graph: no
    /// gradient flows through it, and writes to either are seen by both.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::<f32>::ones(&[2]).requires_grad();
    /// let d = w.exp().detach();
    /// assert!(!d.is_requires_grad());
    /// assert!(w.detach().shares_storage(&w));
    /// ```
    pub fn detach(&self) -> Tensor<T> {
        Tensor::from_parts(
            self.0.storage.clone(),
            self.0.layout.clone(),
            false,
            None,
            None,
        )
    }

    /// True when both handles refer to the same tensor.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::ones(&[1]);
    /// assert!(a.same(&a.clone()));
    /// assert!(!a.same(&Tensor::ones(&[1])));
    /// ```
    pub fn same(&self, other: &Tensor<T>) -> bool {
        Shared::ptr_eq(&self.0, &other.0)
    }

    /// Whether both tensors view the same storage (PyTorch:
    /// `a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// assert!(a.t().shares_storage(&a));
    /// assert!(!a.exp().shares_storage(&a));
    /// ```
    pub fn shares_storage(&self, other: &Tensor<T>) -> bool {
        Shared::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// Whether the elements are laid out row-major without gaps.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// assert!(a.is_contiguous());
    /// assert!(!a.t().is_contiguous());
    /// ```
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// The step in elements between neighbours along each dim.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(a.stride(), vec![3, 1]);
    /// assert_eq!(a.t().stride(), vec![1, 3]);
    /// ```
    pub fn stride(&self) -> Vec<isize> {
        self.0
            .layout
            .strides()
            .iter()
            .map(|&s| s as isize)
            .collect()
    }

    /// Where the first element sits in the storage.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::zeros(&[4]);
    /// assert_eq!(a.narrow(0, 1, 2).storage_offset(), 1);
    /// ```
    pub fn storage_offset(&self) -> usize {
        self.0.layout.offset()
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn storage(&self) -> &Shared<storage::Storage<T>> {
        &self.0.storage
    }
}

/// Constructors and autograd state that exist for float tensors only.
impl<T: Float> Tensor<T> {
    /// `n` evenly spaced values from `start` to `end` inclusive, as `torch.linspace`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::linspace(0.0f64, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: T, end: T, n: usize) -> Self {
        let data = match n {
            0 => vec![],
            1 => vec![start],
            _ => {
                let step = (end - start) / T::from_usize(n - 1).unwrap();
                // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
                let half = n / 2;
                (0..n)
                    .map(|i| {
                        if i < half {
                            start + step * T::from_usize(i).unwrap()
                        } else {
                            end - step * T::from_usize(n - 1 - i).unwrap()
                        }
                    })
                    .collect()
            }
        };
        Tensor::from_vec(data, &[n])
    }

    /// Uniform samples in `[0, 1)` from any `rand::Rng`, as `torch.rand`.
    ///
    /// ```
    /// use tapegrad::{rand::{rngs::StdRng, SeedableRng}, Tensor};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let t = Tensor::<f32>::rand(&[100], &mut rng);
    /// assert!(t.to_vec().iter().all(|&v| (0.0..1.0).contains(&v)));
    /// ```
    #[track_caller]
    pub fn rand<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Self {
        let data = (0..numel_or_panic::<T>("rand", shape))
            .map(|_| T::of_f64(rng.random::<f64>()))
            .collect();
        Tensor::from_vec(data, shape)
    }

    /// Standard normal samples from any `rand::Rng`, as `torch.randn`.
    ///
    /// ```
    /// use tapegrad::{rand::{rngs::StdRng, SeedableRng}, Tensor};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let t = Tensor::<f64>::randn(&[10_000], &mut rng);
    /// assert!(t.mean().item().abs() < 0.05);
    /// ```
    #[track_caller]
    pub fn randn<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Self {
        let data = (0..numel_or_panic::<T>("randn", shape))
            .map(|_| T::of_f64(standard_normal(rng)))
            .collect();
        Tensor::from_vec(data, shape)
    }

    /// Marks a leaf as needing a gradient (a builder: it consumes the tensor and returns it).
    ///
    /// # Panics
    /// If the tensor was made by a recorded op (only leaves can be marked, as in PyTorch).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::<f32>::zeros(&[3]).requires_grad();
    /// assert!(w.is_requires_grad());
    /// ```
    #[track_caller]
    pub fn requires_grad(self) -> Self {
        assert!(
            self.is_leaf(),
            "tapegrad: requires_grad: only leaf tensors can be marked; call .detach() first"
        );
        self.0.requires_grad.store(true, Ordering::Release);
        self
    }

    /// The gradient accumulated by `backward`, if any.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::from_vec(vec![2.0f64], &[1]).requires_grad();
    /// assert!(w.grad().is_none());
    /// (&w * 3.0).sum().backward();
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![3.0]);
    /// ```
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.grad_slot().clone()
    }

    pub(crate) fn grad_slot(&self) -> MutexGuard<'_, Option<Tensor<T>>> {
        self.0.grad.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears the accumulated gradient (sets it to `None`, as PyTorch's `set_to_none=True`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::from_vec(vec![2.0f64], &[1]).requires_grad();
    /// (&w * 3.0).sum().backward();
    /// w.zero_grad();
    /// assert!(w.grad().is_none());
    /// ```
    pub fn zero_grad(&self) {
        *self.grad_slot() = None;
    }
}

/// Read access to a tensor's elements (see [`Tensor::data`]).
pub struct Data<'a, T: Element> {
    guard: ReadGuard<'a, T>,
    layout: &'a Layout,
}

impl<T: Element> Data<'_, T> {
    /// The elements as an ndarray view (with the tensor's strides).
    pub fn view(&self) -> ArrayViewD<'_, T> {
        self.guard.view(self.layout)
    }

    /// The elements as a slice, when they are contiguous.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.data().as_slice(), Some(&[1.0, 2.0, 3.0, 4.0][..]));
    /// assert_eq!(t.t().data().as_slice(), None);
    /// ```
    pub fn as_slice(&self) -> Option<&[T]> {
        self.guard.slice(self.layout)
    }

    /// The shape as an ndarray dimension.
    pub(crate) fn dim(&self) -> IxDyn {
        self.layout.dim()
    }
}

/// Write access to a tensor's elements (see [`Tensor::data_mut`]).
pub struct DataMut<'a, T: Element> {
    guard: WriteGuard<'a, T>,
    layout: &'a Layout,
}

impl<T: Element> DataMut<'_, T> {
    /// The elements as a mutable ndarray view.
    pub fn view_mut(&mut self) -> ArrayViewMutD<'_, T> {
        self.guard.view_mut(self.layout)
    }

    /// The elements as a mutable slice, when they are contiguous.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// t.data_mut().as_slice_mut().unwrap()[3] = 9.0;
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 9.0]);
    /// assert!(t.t().data_mut().as_slice_mut().is_none());
    /// ```
    pub fn as_slice_mut(&mut self) -> Option<&mut [T]> {
        self.guard.slice_mut(self.layout)
    }
}

/// One N(0, 1) sample by the Box–Muller transform.
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl<T: Element, D: Dimension> From<ndarray::Array<T, D>> for Tensor<T> {
    fn from(a: ndarray::Array<T, D>) -> Self {
        Tensor::from_array(a.into_dyn())
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
