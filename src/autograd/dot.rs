//! Graphviz output of a recorded graph.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use crate::{Float, Tensor};

impl<T: Float> Tensor<T> {
    /// The graph recorded behind this tensor in Graphviz DOT: one box per op (its name, output
    /// shape and the source line that created it), one ellipse per leaf, arrows from inputs
    /// to the ops that used them. Render with `dot -Tsvg graph.dot -o graph.svg`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let w = Tensor::<f32>::ones(&[2, 2]).requires_grad();
    /// let dot = w.matmul(&w).relu().sum().to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("matmul") && dot.contains("relu"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut ids: HashMap<usize, usize> = HashMap::new();
        let mut out =
            String::from("digraph tapegrad {\n  rankdir=BT;\n  node [fontname=\"monospace\"];\n");
        let mut stack = vec![self.clone()];
        ids.insert(Arc::as_ptr(&self.0) as usize, 0);
        while let Some(t) = stack.pop() {
            let id = ids[&(Arc::as_ptr(&t.0) as usize)];
            let shape = format!("{:?}", t.shape());
            match &t.0.grad_fn {
                Some(gf) => {
                    let _ = writeln!(
                        out,
                        "  n{id} [shape=box, label=\"{}\\n{shape}\\n{}\"];",
                        gf.op.name(),
                        gf.location
                    );
                    for input in gf.inputs.as_slice() {
                        let key = Arc::as_ptr(&input.0) as usize;
                        let next = ids.len();
                        let j = *ids.entry(key).or_insert(next);
                        if j == next {
                            stack.push(input.clone());
                        }
                        let _ = writeln!(out, "  n{j} -> n{id};");
                    }
                }
                None => {
                    let kind = if t.is_requires_grad() {
                        "leaf (requires grad)"
                    } else {
                        "constant"
                    };
                    let _ = writeln!(out, "  n{id} [shape=ellipse, label=\"{kind}\\n{shape}\"];");
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
