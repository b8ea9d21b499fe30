//! The [`Tensor`] handle, its constructors and its readers.

use std::fmt;
use std::sync::{Arc, MutexGuard, RwLockReadGuard, RwLockWriteGuard};

use ndarray::{ArrayD, Dimension, IxDyn};
use rand::Rng;

use crate::autograd::tape::Node;
use crate::{Error, Float};

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
pub struct Tensor<T: Float = f32>(pub(crate) Arc<Node<T>>);

impl<T: Float> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor(Arc::clone(&self.0))
    }
}

fn product(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<T: Float> Tensor<T> {
    pub(crate) fn from_node(node: Node<T>) -> Self {
        Tensor(Arc::new(node))
    }

    /// A leaf tensor (no gradient recorded, `requires_grad` false) holding `data`.
    pub(crate) fn leaf(data: ArrayD<T>) -> Self {
        Tensor::from_node(Node::new(data, false, None))
    }

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
        match Self::try_from_vec(data, shape) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Tensor::from_vec`], but returns an error instead of panicking.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(Tensor::<f64>::try_from_vec(vec![1.0; 6], &[2, 3]).is_ok());
    /// assert!(Tensor::<f64>::try_from_vec(vec![1.0; 5], &[2, 3]).is_err());
    /// ```
    pub fn try_from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, Error> {
        if data.len() != product(shape) {
            return Err(Error::Shape {
                op: "from_vec".into(),
                message: format!(
                    "{} values do not fill shape {:?} ({} elements)",
                    data.len(),
                    shape,
                    product(shape)
                ),
            });
        }
        let array = ArrayD::from_shape_vec(IxDyn(shape), data).expect("length checked above");
        Ok(Tensor::leaf(array))
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
        Tensor::leaf(crate::ops::standard(a))
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
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor::full(shape, T::zero())
    }

    /// A tensor of ones.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::ones(&[3]).to_vec(), vec![1.0; 3]);
    /// ```
    pub fn ones(shape: &[usize]) -> Self {
        Tensor::full(shape, T::one())
    }

    /// A tensor with every element `v`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0f64).to_vec(), vec![7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], v: T) -> Self {
        Tensor::leaf(ArrayD::from_elem(IxDyn(shape), v))
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

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize) -> Self {
        Tensor::leaf(ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| {
            if ix[0] == ix[1] {
                T::one()
            } else {
                T::zero()
            }
        }))
    }

    /// Values from `start` up to (not including) `end` in steps of `step`, as `torch.arange`.
    ///
    /// # Panics
    /// If `step` is zero or has the wrong sign for the range.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::arange(0.0f32, 2.0, 0.5).to_vec(), vec![0.0, 0.5, 1.0, 1.5]);
    /// ```
    #[track_caller]
    pub fn arange(start: T, end: T, step: T) -> Self {
        let ok = (step > T::zero() && end >= start) || (step < T::zero() && end <= start);
        assert!(
            ok,
            "tapegrad: arange: step {step} cannot go from {start} to {end}"
        );
        let n = ((end - start) / step).ceil().to_usize().unwrap_or(0);
        let data = (0..n)
            .map(|i| start + T::from_usize(i).unwrap() * step)
            .collect();
        Tensor::from_vec(data, &[n])
    }

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
    pub fn rand<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Self {
        let data = (0..product(shape))
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
    pub fn randn<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Self {
        let data = (0..product(shape))
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
            self.0.grad_fn.is_none(),
            "tapegrad: requires_grad: only leaf tensors can be marked; call .detach() first"
        );
        if self.0.requires_grad {
            return self;
        }
        let data = match Arc::try_unwrap(self.0) {
            Ok(mut node) => {
                std::mem::take(&mut *node.data.get_mut().unwrap_or_else(|e| e.into_inner()))
            }
            Err(shared) => shared
                .data
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        Tensor::from_node(Node::new(data, true, None))
    }

    /// Whether gradients flow to this tensor (a marked leaf, or the result of a recorded op).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert!(!Tensor::<f32>::ones(&[1]).is_requires_grad());
    /// ```
    pub fn is_requires_grad(&self) -> bool {
        self.0.requires_grad
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
        self.0.grad_fn.is_none()
    }

    /// The dimensions.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 5]).shape(), &[2, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.0.shape.slice()
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
        self.shape().iter().product()
    }

    /// The elements in row-major order.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.t().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.data().iter().copied().collect()
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
        let d = self.data();
        assert!(
            d.len() == 1,
            "tapegrad: item: tensor of shape {:?} has {} elements, not 1",
            d.shape(),
            d.len()
        );
        *d.iter().next().unwrap()
    }

    /// A copy of the data as an ndarray array.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let a = Tensor::<f32>::ones(&[2, 2]).to_array();
    /// assert_eq!(a.shape(), &[2, 2]);
    /// ```
    pub fn to_array(&self) -> ArrayD<T> {
        self.data().clone()
    }

    /// Read access to the data without copying it.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[3]);
    /// assert_eq!(t.data().sum(), 3.0);
    /// ```
    pub fn data(&self) -> RwLockReadGuard<'_, ArrayD<T>> {
        self.0.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the data, for in-place updates that are not recorded (optimizers,
    /// initialisation). The shape must stay the same: the guard panics on drop if it changed.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2]);
    /// t.data_mut().fill(5.0);
    /// assert_eq!(t.to_vec(), vec![5.0, 5.0]);
    /// ```
    pub fn data_mut(&self) -> DataMut<'_, T> {
        let guard = self.0.data.write().unwrap_or_else(|e| e.into_inner());
        let shape = guard.raw_dim();
        DataMut { guard, shape }
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

    /// A new leaf with a copy of the data, cut from the graph (no gradient flows through it).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::<f32>::ones(&[2]).requires_grad();
    /// let d = w.exp().detach();
    /// assert!(!d.is_requires_grad());
    /// ```
    pub fn detach(&self) -> Tensor<T> {
        Tensor::leaf(self.to_array())
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
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Write access to a tensor's data (see [`Tensor::data_mut`]). Dereferences to the array.
pub struct DataMut<'a, T: Float> {
    guard: RwLockWriteGuard<'a, ArrayD<T>>,
    shape: IxDyn,
}

impl<T: Float> std::ops::Deref for DataMut<'_, T> {
    type Target = ArrayD<T>;
    fn deref(&self) -> &ArrayD<T> {
        &self.guard
    }
}

impl<T: Float> std::ops::DerefMut for DataMut<'_, T> {
    fn deref_mut(&mut self) -> &mut ArrayD<T> {
        &mut self.guard
    }
}

impl<T: Float> Drop for DataMut<'_, T> {
    fn drop(&mut self) {
        if self.guard.raw_dim() != self.shape && !std::thread::panicking() {
            // Restore a valid state before reporting: every op relies on a node's shape.
            let shape = self.shape.clone();
            *self.guard = ArrayD::zeros(shape);
            panic!("tapegrad: data_mut: the shape of a tensor cannot be changed in place");
        }
    }
}

/// One N(0, 1) sample by the Box–Muller transform.
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl<T: Float, D: Dimension> From<ndarray::Array<T, D>> for Tensor<T> {
    fn from(a: ndarray::Array<T, D>) -> Self {
        Tensor::from_array(a.into_dyn())
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
