//! Checkpoints in the safetensors format, readable by PyTorch's `safetensors.torch.load_file`.

use std::collections::HashMap;
use std::path::Path;

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use crate::{DType, Element, Error, Float, Tensor};

fn dtype_of<T: Element>() -> Dtype {
    file_dtype(T::DTYPE)
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

fn to_bytes<T: Element>(t: &Tensor<T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.numel() * T::DTYPE.size());
    for v in t.to_vec() {
        v.write_le_bytes(&mut out);
    }
    out
}

/// Writes named tensors to a safetensors file.
pub(crate) fn save_safetensors<T: Float>(
    params: &[(String, Tensor<T>)],
    path: &Path,
) -> Result<(), Error> {
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = params
        .iter()
        .map(|(n, t)| (n.clone(), to_bytes(t), t.shape().to_vec()))
        .collect();
    let mut views = Vec::with_capacity(bytes.len());
    for (name, data, shape) in &bytes {
        let view = TensorView::new(dtype_of::<T>(), shape.clone(), data)
            .map_err(|e| Error::Format(format!("{name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let out = safetensors::serialize(views, None).map_err(|e| Error::Format(e.to_string()))?;
    std::fs::write(path, out)?;
    Ok(())
}

/// Reads a safetensors file into the named tensors, checking every name, shape and dtype
/// first: nothing is written unless everything matches.
pub(crate) fn load_safetensors<T: Float>(
    params: &[(String, Tensor<T>)],
    path: &Path,
) -> Result<(), Error> {
    let bytes = std::fs::read(path)?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        Error::Format(format!(
            "{}: not a valid safetensors file: {e}",
            path.display()
        ))
    })?;
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
        if view.dtype() != dtype_of::<T>() {
            return Err(Error::Mismatch(format!(
                "{}: {name:?} is {:?} in the file but {:?} in the model",
                path.display(),
                view.dtype(),
                dtype_of::<T>()
            )));
        }
        values.push(T::from_le_bytes(T::DTYPE, view.data()));
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
