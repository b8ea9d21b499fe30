//! A tour of the op surface, written as a PyTorch user writes it: integer and bool tensors,
//! masks and `where`, slicing, sorting, one-hot labels, scatter and `einsum` — each step with
//! the PyTorch line it mirrors, and a gradient through the lot at the end.
//!
//!     cargo run --release --example ops_tour

use std::time::Instant;

use tapegrad::rand::{SeedableRng, rngs::StdRng};
use tapegrad::{Tensor, einsum, one_hot, where_cond};

fn main() {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(0);

    // x = torch.randn(4, 5)
    let x = Tensor::<f32>::randn(&[4, 5], &mut rng).requires_grad();
    println!("x = {x}\n");

    // Masks: comparisons give bool tensors; & | ! combine them.
    // mask = (x > 0) & (x < 1.5)
    let mask = &x.gt(0.0) & &x.lt(1.5);
    println!("mask = (x > 0) & (x < 1.5) = {mask}");
    println!("mask.sum() = {}  (bools sum to int64)\n", mask.sum());

    // torch.where(mask, x, 0.1 * x): a leaky clip, differentiable in x.
    let leaky = where_cond(&mask, &x, &(&x * 0.1));
    // x.masked_fill(~mask, 0)
    let kept = x.masked_fill(&!&mask, 0.0);
    println!("where(mask, x, 0.1x)[0] = {}", leaky.i(0));
    println!("x.masked_fill(~mask, 0)[0] = {}\n", kept.i(0));

    // Slicing: x[:, 1:3], x[-1], x[::2] — views, no copies.
    let cols = x.i((.., 1..3));
    let last = x.i(-1isize);
    let every_other = x.slice(0, 0, 4, 2);
    println!(
        "x[:, 1:3] shape {:?}, x[-1] shape {:?}, x[::2] shape {:?}; share x's storage: {}\n",
        cols.shape(),
        last.shape(),
        every_other.shape(),
        cols.shares_storage(&x) && last.shares_storage(&x)
    );

    // Sorting: values and int64 indices.
    // top, idx = x.topk(2, dim=-1)
    let (top, idx) = x.topk(2, -1, true, true);
    println!("x.topk(2) values {top}\n          indices {idx}");
    let (sorted, order) = x.i(0).sort(0, false);
    println!("x[0].sort() = {sorted}, order {order}\n");

    // Labels as int64: argmax, one_hot, gather.
    // labels = x.argmax(-1); onehot = F.one_hot(labels, 5)
    let labels = x.argmax(-1, false);
    let onehot = one_hot(&labels, 5);
    println!("labels = x.argmax(-1) = {labels}");
    println!("F.one_hot(labels, 5) = {onehot}");
    // x.gather(1, labels.unsqueeze(1)) picks each row's largest value.
    let picked = x.gather(1, &labels.unsqueeze(1));
    println!("x.gather(1, labels[:, None]) = {}\n", picked.squeeze(1));

    // Scatter: counts per class, as torch.zeros(5).scatter_add(0, labels, ones).
    let counts =
        Tensor::<f32>::zeros(&[5]).scatter_add(0, &labels, &Tensor::ones(&[labels.numel()]));
    println!("class counts = {counts}\n");

    // einsum: a batched bilinear form, "bi,ij,bj->b".
    let w = Tensor::<f32>::randn(&[5, 5], &mut rng);
    let bilinear = einsum("bi,ij,bj->b", &[&x, &w, &x]);
    println!("einsum('bi,ij,bj->b', x, w, x) = {bilinear}\n");

    // One gradient through all of it.
    let loss = (leaky.square().sum() + picked.sum() + bilinear.sum() + top.sum()) / 10.0;
    loss.backward();
    let grad = x.grad().expect("x requires grad");
    println!("loss = {:.4}", loss.item());
    println!("d loss / d x = {grad}");
    println!(
        "\ntour done in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
}
