//! Graphviz output of a recorded graph.

use std::collections::HashMap;
use std::fmt::Write;

use crate::tensor::node::GradFn;
use crate::tensor::shared::Shared;
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
        let mut out =
            String::from("digraph tapegrad {\n  rankdir=BT;\n  node [fontname=\"monospace\"];\n");
        let mut ids: HashMap<usize, usize> = HashMap::new();
        // (id, the tensor, its record if it has one)
        let mut stack = vec![(0, self.clone(), self.grad_fn())];
        ids.insert(key(self, &stack[0].2), 0);
        while let Some((id, t, record)) = stack.pop() {
            let shape = format!("{:?}", t.shape());
            let Some(gf) = record else {
                let kind = if t.is_requires_grad() {
                    "leaf (requires grad)"
                } else {
                    "constant"
                };
                let _ = writeln!(out, "  n{id} [shape=ellipse, label=\"{kind}\\n{shape}\"];");
                continue;
            };
            let _ = writeln!(
                out,
                "  n{id} [shape=box, label=\"{}\\n{shape}\\n{}\"];",
                gf.op.name(),
                gf.location
            );
            for saved in gf.inputs.as_slice() {
                let input_record = saved.record().cloned();
                let k = key(&saved.tensor, &input_record);
                let next = ids.len();
                let j = *ids.entry(k).or_insert(next);
                if j == next {
                    stack.push((j, saved.tensor.clone(), input_record));
                }
                let _ = writeln!(out, "  n{j} -> n{id};");
            }
        }
        out.push_str("}\n");
        out
    }
}

/// What identifies a graph node: its record, or the tensor itself for leaves and constants.
fn key<T: Float>(t: &Tensor<T>, record: &Option<Shared<GradFn<T>>>) -> usize {
    match record {
        Some(f) => Shared::addr(f),
        None => Shared::addr(&t.0),
    }
}
