//! An optimizer's state as named tensors, for checkpoints that resume a run exactly: the
//! per-parameter buffers (`exp_avg.0`, `momentum_buffer.3`, ...) in the parameters' own
//! type, and the scalars (step count, learning rate, hyper-parameters) as 0-d `float64`
//! tensors, so every value round-trips bit for bit.

use ndarray::ArrayD;

use crate::io::AnyTensor;
use crate::{Error, Float, Tensor};

/// Named tensors of a state dict.
pub(crate) type State = Vec<(String, AnyTensor)>;

/// Adds a scalar.
pub(crate) fn put_scalar(state: &mut State, name: &str, v: f64) {
    state.push((name.to_string(), Tensor::<f64>::scalar(v).into()));
}

/// Adds one buffer per parameter that has one (`name.i`).
pub(crate) fn put_buffers<T: Float>(state: &mut State, name: &str, bufs: &[Option<ArrayD<T>>]) {
    for (i, b) in bufs.iter().enumerate() {
        if let Some(b) = b {
            state.push((format!("{name}.{i}"), Tensor::from_array(b.clone()).into()));
        }
    }
}

fn find<'a>(state: &'a [(String, AnyTensor)], name: &str) -> Option<&'a AnyTensor> {
    state.iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// Reads a scalar saved by [`put_scalar`].
pub(crate) fn scalar(state: &[(String, AnyTensor)], name: &str) -> Result<f64, Error> {
    match find(state, name) {
        Some(AnyTensor::F64(t)) if t.numel() == 1 => Ok(t.item()),
        Some(t) => Err(Error::Mismatch(format!(
            "optimizer state: {name:?} is {:?} of shape {:?}, expected a float64 scalar",
            t.dtype(),
            t.shape()
        ))),
        None => Err(Error::Mismatch(format!(
            "optimizer state: {name:?} is missing"
        ))),
    }
}

/// Reads the buffers saved by [`put_buffers`], checking each against its parameter's shape
/// and the element type.
pub(crate) fn buffers<T: Float>(
    state: &[(String, AnyTensor)],
    name: &str,
    params: &[Tensor<T>],
) -> Result<Vec<Option<ArrayD<T>>>, Error> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = format!("{name}.{i}");
            let Some(t) = find(state, &key) else {
                return Ok(None);
            };
            if t.dtype() != T::DTYPE || t.shape() != p.shape() {
                return Err(Error::Mismatch(format!(
                    "optimizer state: {key:?} is {:?} {:?}, but parameter {i} is {:?} {:?}",
                    t.dtype(),
                    t.shape(),
                    T::DTYPE,
                    p.shape()
                )));
            }
            Ok(Some(t.to::<T>().to_array()))
        })
        .collect()
}

/// Checks that the state is for the same kind of optimizer and number of parameters.
pub(crate) fn check_kind(
    state: &[(String, AnyTensor)],
    kind: f64,
    params: usize,
) -> Result<(), Error> {
    let found = scalar(state, "kind")?;
    if found != kind {
        return Err(Error::Mismatch(format!(
            "optimizer state: saved by another optimizer type (kind {found}, expected {kind})"
        )));
    }
    let n = scalar(state, "num_params")?;
    if n != params as f64 {
        return Err(Error::Mismatch(format!(
            "optimizer state: saved for {n} parameters, this optimizer has {params}"
        )));
    }
    Ok(())
}
