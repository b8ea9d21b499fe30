//! `Display` for tensors, laid out like PyTorch's `repr`.

use std::fmt;

use ndarray::{ArrayViewD, Axis};

use crate::{DType, Element, Tensor};

/// Tensors with more elements than this are summarised with `...`, as PyTorch does.
const SUMMARY_THRESHOLD: usize = 1000;
/// Elements shown at each end of a summarised dim.
const EDGE_ITEMS: usize = 3;

/// How every element is printed: fixed with 4 decimals, or scientific when the values span
/// too large a range for that (floats only).
fn use_scientific<T: Element>(values: &ArrayViewD<'_, T>) -> bool {
    if !T::DTYPE.is_float() {
        return false;
    }
    let finite = values
        .iter()
        .map(|v| v.as_f64())
        .filter(|v| v.is_finite() && *v != 0.0)
        .map(f64::abs);
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in finite {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    // Decided on the values as the tensor's type holds them, as PyTorch does.
    hi >= T::of_f64(1e8).as_f64() || (lo < T::of_f64(1e-4).as_f64() && hi > 0.0)
}

fn write_array<T: Element>(
    out: &mut String,
    a: &ArrayViewD<'_, T>,
    indent: usize,
    summarise: bool,
    scientific: bool,
) {
    if a.ndim() == 0 {
        out.push_str(&a[[]].format(scientific));
        return;
    }
    let n = a.len_of(Axis(0));
    let shown: Vec<Option<usize>> = if summarise && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain([None])
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    };
    out.push('[');
    for (k, i) in shown.iter().enumerate() {
        if k > 0 {
            if a.ndim() == 1 {
                out.push_str(", ");
            } else {
                out.push(',');
                out.push_str(&"\n".repeat(a.ndim() - 1));
                out.push_str(&" ".repeat(indent + 1));
            }
        }
        match i {
            Some(i) => write_array(
                out,
                &a.index_axis(Axis(0), *i),
                indent + 1,
                summarise,
                scientific,
            ),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

impl<T: Element> fmt::Display for Tensor<T> {
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).requires_grad();
    /// assert_eq!(t.to_string(), "tensor([[1.0000, 2.0000]], requires_grad=true)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        let view = data.view();
        let mut body = String::new();
        let summarise = view.len() > SUMMARY_THRESHOLD;
        write_array(
            &mut body,
            &view,
            "tensor(".len(),
            summarise,
            use_scientific(&view),
        );
        let mut extras = Vec::new();
        // PyTorch names the dtype unless it is a default one (float32, int64, bool).
        if T::DTYPE == DType::F64 {
            extras.push(format!("dtype={}", T::DTYPE.short_name()));
        }
        match &self.grad_fn() {
            Some(gf) => extras.push(format!("grad_fn=<{}>", gf.op.name())),
            None if self.is_requires_grad() => extras.push("requires_grad=true".into()),
            None => {}
        }
        write!(f, "tensor({body}")?;
        for e in extras {
            write!(f, ", {e}")?;
        }
        write!(f, ")")
    }
}
