//! The error type returned by everything that can fail without it being a programming mistake:
//! reading files, checkpoints and CSV, gradient checks, and anomaly detection.

use std::fmt;

/// Everything that can go wrong in tapegrad that is not a bug in the caller's code.
///
/// Shape mistakes in tensor ops are programming errors and panic instead (with the op name,
/// both shapes and the caller's line); `Error` is for input from outside and for checks.
///
/// ```
/// use tapegrad::Tensor;
/// let err = Tensor::<f32>::try_from_vec(vec![1.0, 2.0, 3.0], &[2, 2]).unwrap_err();
/// assert!(err.to_string().contains("3 values"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A shape does not fit: `op` names what was attempted.
    Shape {
        /// The operation or function that found the mismatch.
        op: String,
        /// What is wrong, with the shapes involved.
        message: String,
    },
    /// An operating-system error while reading or writing a file.
    Io(std::io::Error),
    /// A file or value is not in the expected format (damaged checkpoint, bad CSV value, ...).
    Format(String),
    /// A checkpoint does not match the module: a missing, extra or misshapen parameter.
    Mismatch(String),
    /// `gradcheck` found an analytical gradient that disagrees with finite differences.
    Gradcheck(String),
    /// Anomaly detection found a NaN or infinite gradient.
    Anomaly {
        /// The op whose backward produced the non-finite value.
        op: &'static str,
        /// Where the user created that op (`file:line:column`).
        location: String,
        /// Which input's gradient was non-finite.
        input: usize,
    },
    /// Backward was asked of a tensor that cannot give it (for example, no gradient recorded).
    Backward(String),
    /// An argument is outside its valid range (a negative learning rate, a beta of 1, an
    /// empty parameter list): PyTorch's `ValueError`.
    Invalid(String),
    /// A tensor that a recorded op saved for its backward was modified in place afterwards,
    /// so its gradient can no longer be computed (PyTorch's "modified by an inplace
    /// operation").
    Modified {
        /// The op whose backward needed the tensor.
        op: &'static str,
        /// Where the user created that op (`file:line:column`).
        location: String,
        /// The storage version the op saw when it was recorded.
        expected: u64,
        /// The version found at backward time.
        found: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, message } => write!(f, "tapegrad: {op}: {message}"),
            Error::Io(e) => write!(f, "tapegrad: I/O error: {e}"),
            Error::Format(m) => write!(f, "tapegrad: bad format: {m}"),
            Error::Mismatch(m) => write!(f, "tapegrad: checkpoint does not match: {m}"),
            Error::Gradcheck(m) => write!(f, "tapegrad: gradcheck failed: {m}"),
            Error::Anomaly {
                op,
                location,
                input,
            } => write!(
                f,
                "tapegrad: anomaly: the backward of `{op}` (created at {location}) \
                 returned NaN or Inf in the gradient of its input {input}"
            ),
            Error::Backward(m) => write!(f, "tapegrad: backward: {m}"),
            Error::Invalid(m) => write!(f, "tapegrad: {m}"),
            Error::Modified {
                op,
                location,
                expected,
                found,
            } => write!(
                f,
                "tapegrad: backward: one of the tensors needed for gradient computation has been \
                 modified by an in-place operation: `{op}` created at {location} expected \
                 version {expected}, got {found}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// The value, or a panic with the error's message at the caller's line: how every panicking
/// form wraps its `try_` form.
#[track_caller]
pub(crate) fn or_panic<R>(r: Result<R>) -> R {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// `Result` with tapegrad's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
