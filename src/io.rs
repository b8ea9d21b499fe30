//! Tensors in safetensors files, the format PyTorch's `safetensors.torch.save_file` and
//! `load_file` use: modules' checkpoints (see [`Module::save_safetensors`]) and any mix of
//! named tensors of every element type ([`save_safetensors`], [`load_safetensors`]).
//!
//! `float16` and `bfloat16` data, which PyTorch users often save, are read by widening.
//!
//! [`Module::save_safetensors`]: crate::nn::Module::save_safetensors

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use crate::{DType, Element, Error, Float, Tensor};

/// A tensor of any element type, for files that mix dtypes (a state dict with an `int64`
/// step counter, a mask saved beside weights).
///
/// ```
/// use tapegrad::{io::AnyTensor, DType, Tensor};
/// let t: AnyTensor = Tensor::<i64>::from_vec(vec![3, 4], &[2]).into();
/// assert_eq!(t.dtype(), DType::I64);
/// assert_eq!(t.to::<f32>().to_vec(), vec![3.0, 4.0]);
/// ```
#[derive(Clone, Debug)]
pub enum AnyTensor {
    /// `float32`.
    F32(Tensor<f32>),
    /// `float64`.
    F64(Tensor<f64>),
    /// `int64`.
    I64(Tensor<i64>),
    /// `bool`.
    Bool(Tensor<bool>),
}

impl AnyTensor {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            AnyTensor::F32(_) => DType::F32,
            AnyTensor::F64(_) => DType::F64,
            AnyTensor::I64(_) => DType::I64,
            AnyTensor::Bool(_) => DType::Bool,
        }
    }

    /// The shape.
    ///
    /// ```
    /// use tapegrad::{io::AnyTensor, Tensor};
    /// assert_eq!(AnyTensor::from(Tensor::<bool>::zeros(&[2, 1])).shape(), &[2, 1]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        match self {
            AnyTensor::F32(t) => t.shape(),
            AnyTensor::F64(t) => t.shape(),
            AnyTensor::I64(t) => t.shape(),
            AnyTensor::Bool(t) => t.shape(),
        }
    }

    /// The tensor converted to `T` (the same tensor when it already is a `Tensor<T>`).
    pub fn to<T: Element>(&self) -> Tensor<T> {
        match self {
            AnyTensor::F32(t) => t.cast(),
            AnyTensor::F64(t) => t.cast(),
            AnyTensor::I64(t) => t.cast(),
            AnyTensor::Bool(t) => t.cast(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            AnyTensor::F32(t) => to_bytes(t),
            AnyTensor::F64(t) => to_bytes(t),
            AnyTensor::I64(t) => to_bytes(t),
            AnyTensor::Bool(t) => to_bytes(t),
        }
    }
}

impl<T: Element> From<Tensor<T>> for AnyTensor {
    fn from(t: Tensor<T>) -> Self {
        let any = &t as &dyn Any;
        if let Some(t) = any.downcast_ref::<Tensor<f32>>() {
            AnyTensor::F32(t.clone())
        } else if let Some(t) = any.downcast_ref::<Tensor<f64>>() {
            AnyTensor::F64(t.clone())
        } else if let Some(t) = any.downcast_ref::<Tensor<i64>>() {
            AnyTensor::I64(t.clone())
        } else if let Some(t) = any.downcast_ref::<Tensor<bool>>() {
            AnyTensor::Bool(t.clone())
        } else {
            unreachable!("Element is sealed: f32, f64, i64 and bool only")
        }
    }
}

/// The safetensors dtype of a tapegrad dtype.
fn file_dtype(d: DType) -> Dtype {
    match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::I64 => Dtype::I64,
        DType::Bool => Dtype::BOOL,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
    }
}

/// The tapegrad dtype of a safetensors dtype tapegrad reads.
fn our_dtype(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        Dtype::I64 => DType::I64,
        Dtype::BOOL => DType::Bool,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        _ => return None,
    })
}

fn to_bytes<T: Element>(t: &Tensor<T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.numel() * T::DTYPE.size());
    for v in t.to_vec() {
        v.write_le_bytes(&mut out);
    }
    out
}

/// Writes `(name, dtype, shape, bytes)` entries as a safetensors file.
fn write(entries: Vec<(String, DType, Vec<usize>, Vec<u8>)>, path: &Path) -> Result<(), Error> {
    let mut views = Vec::with_capacity(entries.len());
    for (name, dtype, shape, data) in &entries {
        let view = TensorView::new(file_dtype(*dtype), shape.clone(), data)
            .map_err(|e| Error::Format(format!("{name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let out = safetensors::serialize(views, None).map_err(|e| Error::Format(e.to_string()))?;
    std::fs::write(path, out)?;
    Ok(())
}

/// Writes named tensors of any element types to a safetensors file that PyTorch's
/// `safetensors.torch.load_file` reads (`int64` and `bool` included).
///
/// # Errors
/// If the file cannot be written.
///
/// ```
/// use tapegrad::{io, Tensor};
/// let path = std::env::temp_dir().join("tapegrad_io_doc.safetensors");
/// let tensors = vec![
///     ("w".to_string(), Tensor::<f32>::ones(&[2, 2]).into()),
///     ("step".to_string(), Tensor::<i64>::scalar(7).into()),
///     ("mask".to_string(), Tensor::from_vec(vec![true, false], &[2]).into()),
/// ];
/// io::save_safetensors(&path, &tensors).unwrap();
/// let back = io::load_safetensors(&path).unwrap();
/// assert_eq!(back.len(), 3);
/// let step = &back.iter().find(|(n, _)| n == "step").unwrap().1;
/// assert_eq!(step.to::<i64>().item(), 7);
/// ```
pub fn save_safetensors(
    path: impl AsRef<Path>,
    tensors: &[(String, AnyTensor)],
) -> Result<(), Error> {
    let entries = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.dtype(), t.shape().to_vec(), t.bytes()))
        .collect();
    write(entries, path.as_ref())
}

/// Reads every tensor of a safetensors file, in name order: `float32`, `float64`, `int64`
/// and `bool` as they are, `float16` and `bfloat16` widened to `float32`.
///
/// # Errors
/// A missing file, a damaged or truncated one, or a dtype tapegrad does not hold (e.g.
/// `uint8`): an `Err` naming the file (and tensor), never a panic.
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<Vec<(String, AnyTensor)>, Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })?;
    let file = parse(&bytes, path)?;
    let mut out = Vec::new();
    let mut tensors = file.tensors();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, view) in tensors {
        let dtype = our_dtype(view.dtype()).ok_or_else(|| {
            Error::Format(format!(
                "{}: {name:?} has dtype {:?}, which tapegrad does not read",
                path.display(),
                view.dtype()
            ))
        })?;
        let shape = view.shape().to_vec();
        let t = match dtype {
            DType::F64 => AnyTensor::F64(decode(dtype, &view, &shape)?),
            DType::I64 => AnyTensor::I64(decode(dtype, &view, &shape)?),
            DType::Bool => AnyTensor::Bool(decode(dtype, &view, &shape)?),
            _ => AnyTensor::F32(decode(dtype, &view, &shape)?),
        };
        out.push((name, t));
    }
    Ok(out)
}

fn parse<'a>(bytes: &'a [u8], path: &Path) -> Result<SafeTensors<'a>, Error> {
    SafeTensors::deserialize(bytes).map_err(|e| {
        Error::Format(format!(
            "{}: not a valid safetensors file: {e}",
            path.display()
        ))
    })
}

fn decode<T: Element>(
    dtype: DType,
    view: &TensorView<'_>,
    shape: &[usize],
) -> Result<Tensor<T>, Error> {
    Tensor::try_from_vec(T::from_le_bytes(dtype, view.data()), shape)
}

/// Whether a state-dict entry is an integer counter kept in a float buffer
/// (`num_batches_tracked`), written and read as int64 as PyTorch does.
fn is_counter(name: &str) -> bool {
    name == "num_batches_tracked" || name.ends_with(".num_batches_tracked")
}

/// Writes named float tensors (a module's state dict) to a safetensors file.
pub(crate) fn save_params<T: Float>(
    params: &[(String, Tensor<T>)],
    path: &Path,
) -> Result<(), Error> {
    let entries = params
        .iter()
        .map(|(n, t)| {
            if is_counter(n) {
                // PyTorch keeps BatchNorm's step counter as int64.
                (
                    n.clone(),
                    DType::I64,
                    t.shape().to_vec(),
                    to_bytes(&t.cast::<i64>()),
                )
            } else {
                (n.clone(), T::DTYPE, t.shape().to_vec(), to_bytes(t))
            }
        })
        .collect();
    write(entries, path)
}

/// Reads a safetensors file into the named tensors, checking every name and shape first:
/// nothing is written unless everything matches. Float data of any width converts to `T`
/// (as PyTorch's `load_state_dict` copies into the parameter's dtype).
pub(crate) fn load_params<T: Float>(
    params: &[(String, Tensor<T>)],
    path: &Path,
) -> Result<(), Error> {
    let bytes = std::fs::read(path)?;
    let file = parse(&bytes, path)?;
    let mut found: HashMap<String, TensorView<'_>> = file.tensors().into_iter().collect();
    let mut values = Vec::with_capacity(params.len());
    for (name, t) in params {
        let view = found.remove(name).ok_or_else(|| {
            Error::Mismatch(format!("{}: parameter {name:?} is missing", path.display()))
        })?;
        if view.shape() != t.shape() {
            return Err(Error::Mismatch(format!(
                "{}: {name:?} has shape {:?} in the file but {:?} in the model",
                path.display(),
                view.shape(),
                t.shape()
            )));
        }
        let dtype = our_dtype(view.dtype()).filter(|d| d.is_float() || is_counter(name));
        let Some(dtype) = dtype else {
            return Err(Error::Mismatch(format!(
                "{}: {name:?} is {:?} in the file but {:?} in the model",
                path.display(),
                view.dtype(),
                file_dtype(T::DTYPE)
            )));
        };
        values.push(T::from_le_bytes(dtype, view.data()));
    }
    if let Some(extra) = found.keys().min() {
        return Err(Error::Mismatch(format!(
            "{}: the file has {extra:?}, which the model does not",
            path.display()
        )));
    }
    for ((_, t), v) in params.iter().zip(values) {
        let mut data = t.data_mut();
        let mut data = data.view_mut();
        for (dst, src) in data.iter_mut().zip(v) {
            *dst = src;
        }
    }
    Ok(())
}
