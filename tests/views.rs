//! Views: every view op shares its input's storage (no element copied), writes through a view
//! are seen by the base, and gradients through chains of views land in the right elements
//! (finite differences and exact values).

use tapegrad::{Tensor, gradcheck, no_grad};

fn t(shape: &[usize]) -> Tensor<f64> {
    let n = shape.iter().product::<usize>();
    Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape)
}

#[test]
fn every_view_op_shares_storage() {
    let x = t(&[2, 3, 4]);
    let views: Vec<(&str, Tensor<f64>)> = vec![
        ("reshape", x.reshape(&[6, 4])),
        ("view", x.view(&[-1])),
        ("flatten", x.flatten(0, 1)),
        ("transpose", x.transpose(0, 2)),
        ("permute", x.permute(&[1, 2, 0])),
        ("t", x.select(0, 0).t()),
        ("narrow", x.narrow(1, 1, 2)),
        ("slice", x.slice(2, 0, 4, 2)),
        ("select", x.select(1, -1)),
        ("squeeze", x.narrow(0, 0, 1).squeeze(0)),
        ("unsqueeze", x.unsqueeze(1)),
        ("expand", x.unsqueeze(0).expand(&[5, -1, -1, -1])),
        ("broadcast_to", x.broadcast_to(&[3, 2, 3, 4])),
        ("detach", x.detach()),
        ("unbind", x.unbind(1).remove(2)),
        ("chunk", x.chunk(2, 2).remove(1)),
        ("split", x.split(1, 0).remove(1)),
        ("contiguous", x.contiguous()),
    ];
    for (name, v) in &views {
        assert!(v.shares_storage(&x), "{name} copied its input");
    }
    assert!(!x.exp().shares_storage(&x));
}

#[test]
fn views_see_the_right_elements() {
    let x = t(&[2, 3]);
    assert_eq!(x.t().to_vec(), [0., 3., 1., 4., 2., 5.]);
    assert_eq!(x.t().stride(), vec![1, 3]);
    assert_eq!(x.narrow(1, 1, 2).to_vec(), [1., 2., 4., 5.]);
    assert_eq!(x.narrow(1, 1, 2).storage_offset(), 1);
    assert_eq!(x.select(1, 2).to_vec(), [2., 5.]);
    assert_eq!(x.slice(1, 0, 3, 2).to_vec(), [0., 2., 3., 5.]);
    assert_eq!(
        x.unsqueeze(1).expand(&[2, 2, 3]).to_vec()[..6],
        [0., 1., 2., 0., 1., 2.]
    );
    // A view of a view, then back to a row-major copy.
    let v = x.t().narrow(0, 1, 2);
    assert_eq!(v.to_vec(), [1., 4., 2., 5.]);
    assert!(!v.is_contiguous());
    let c = v.contiguous();
    assert!(c.is_contiguous() && !c.shares_storage(&x));
    assert_eq!(c.to_vec(), v.to_vec());
}

#[test]
fn reshape_copies_only_when_no_view_exists() {
    let x = t(&[2, 3]);
    // A transpose cannot be flattened without moving elements: reshape copies...
    let r = x.t().reshape(&[6]);
    assert!(!r.shares_storage(&x));
    assert_eq!(r.to_vec(), [0., 3., 1., 4., 2., 5.]);
    // ...but splitting a dim of a transpose is still a view.
    let s = x.t().reshape(&[3, 2, 1]);
    assert!(s.shares_storage(&x));
    assert_eq!(s.to_vec(), [0., 3., 1., 4., 2., 5.]);
}

#[test]
#[should_panic(expected = "tapegrad: view: shape [6] is not compatible with the strides [1, 3]")]
fn view_refuses_what_needs_a_copy() {
    t(&[2, 3]).t().view(&[6]);
}

#[test]
fn writes_through_a_view_are_seen_by_the_base() {
    let x = Tensor::<f32>::zeros(&[3, 4]);
    x.narrow(1, 1, 2).fill_(5.0);
    x.select(0, 2).add_scalar_(1.0);
    x.t().select(0, 0).mul_scalar_(10.0); // column 0
    assert_eq!(
        x.to_vec(),
        [0., 5., 5., 0., 0., 5., 5., 0., 10., 6., 6., 1.]
    );
    // And writes to the base are seen by an existing view.
    let col = x.select(1, 3);
    x.zero_();
    assert_eq!(col.to_vec(), [0., 0., 0.]);
}

#[test]
fn gradients_through_view_chains_land_in_the_right_elements() {
    let x = t(&[2, 3]).requires_grad();
    // y = sum of x[:, 1:3].T * w, with a broadcast and a reshape on the way.
    let w = Tensor::from_vec(vec![1.0, 10.0], &[1, 2]);
    let y = (x.narrow(1, 1, 2).t().reshape(&[2, 2]) * w.expand(&[2, -1])).sum();
    y.backward();
    // element [i, j] of x.narrow(1,1,2).t() is x[j, 1 + i], weighted by w[j].
    assert_eq!(x.grad().unwrap().to_vec(), [0., 1., 1., 0., 10., 10.]);
}

#[test]
fn view_chains_pass_gradcheck_and_gradgradcheck() {
    let x = Tensor::from_vec(
        (0..24).map(|v| (v as f64) * 0.1 - 1.0).collect(),
        &[2, 3, 4],
    );
    let chain = |v: &[Tensor<f64>]| {
        let a = v[0].permute(&[2, 0, 1]).narrow(0, 1, 3).slice(2, 0, 3, 2);
        let b = a
            .select(1, 1)
            .unsqueeze(0)
            .expand(&[2, -1, -1])
            .reshape(&[4, 3]);
        (b.square() * &v[0].t_last()).sum_dim(0, false)
    };
    gradcheck(chain, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-6).unwrap();
    // Second order: the gradient, recorded, checked again.
    let grad_of_chain = |v: &[Tensor<f64>]| {
        let y = chain(v).sum();
        tapegrad::grad(&y, &[&v[0]], true).remove(0).square().sum()
    };
    gradcheck(grad_of_chain, &[x], 1e-6, 1e-6, 1e-5).unwrap();
}

/// A [4, 3] view of x's first rows, to give the chain above a second, differentiable factor.
trait LastRows {
    fn t_last(&self) -> Tensor<f64>;
}

impl LastRows for Tensor<f64> {
    fn t_last(&self) -> Tensor<f64> {
        self.select(0, 0).t().narrow(1, 0, 3)
    }
}

#[test]
fn backward_through_unbind_chunk_split_is_exact() {
    let x = t(&[3, 2]).requires_grad();
    let parts = x.unbind(0);
    let chunks = x.chunk(2, 1);
    let y = (&parts[0] * 1.0).sum() + (&parts[2] * 3.0).sum() + (&chunks[1] * 100.0).sum();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), [1., 101., 0., 100., 3., 103.]);
}

#[test]
fn detach_shares_storage_but_cuts_the_graph() {
    let x = t(&[3]).requires_grad();
    let d = x.detach();
    assert!(d.shares_storage(&x) && !d.is_requires_grad());
    no_grad(|| {
        d.add_scalar_(1.0);
    });
    assert_eq!(x.to_vec(), [1., 2., 3.]);
}

#[test]
fn indexing_with_i_is_a_view_like_pythons_brackets() {
    let x = t(&[3, 4, 2]);
    // x[:, 1:3] , x[1], x[-1, ..2], x[1..=2, 0, 1]
    assert_eq!(x.i((.., 1..3)).shape(), &[3, 2, 2]);
    assert_eq!(x.i(1).to_vec(), x.select(0, 1).to_vec());
    assert_eq!(x.i((-1, ..2)).to_vec(), [16., 17., 18., 19.]);
    assert_eq!(x.i((1..=2, 0, 1)).to_vec(), [9., 17.]);
    assert_eq!(x.i((.., .., -1)).shape(), &[3, 4]);
    assert!(x.i((.., 1..3)).shares_storage(&x));
    // Gradients land in the indexed elements only.
    let w = t(&[2, 3]).requires_grad();
    w.i((.., 1..)).sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), [0., 1., 1., 0., 1., 1.]);
}

#[test]
#[should_panic(expected = "tapegrad: i: 3 index items for a tensor of shape [2, 3]")]
fn too_many_index_items_panic() {
    t(&[2, 3]).i((0, 1, 2));
}

#[test]
#[should_panic(expected = "tapegrad: select: index 5 is out of range for dim 0 of shape [2, 3]")]
fn an_index_out_of_range_panics() {
    t(&[2, 3]).i(5);
}

#[test]
fn gradients_of_many_slices_of_one_tensor_add_up_exactly() {
    // Slices hand the engine placed gradients, added in place into one buffer: mixed here
    // with full-size gradients arriving before and after, and checked by finite differences
    // (first order: the in-place path) and against the recorded path (create_graph).
    let x = Tensor::from_vec((0..24).map(|i| (i as f64 * 0.37).sin()).collect(), &[4, 6]);
    let f = |v: &[Tensor<f64>]| {
        let x = &v[0];
        let c = x.chunk(3, 1);
        (&c[0] * &c[1]).sum()
            + (x * 2.0).sum()
            + c[2].exp().sum()
            + x.narrow(0, 1, 2).square().sum()
            + x.select(1, 4).sum()
            + x.i((.., 1..6)).t().sum_dim(0, false).square().sum()
    };
    gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-6).unwrap();
    let xr = x.detach().requires_grad();
    let y = f(std::slice::from_ref(&xr));
    let fast = tapegrad::grad(&y, &[&xr], false).remove(0);
    let recorded = tapegrad::grad(&f(std::slice::from_ref(&xr)), &[&xr], true).remove(0);
    assert_eq!(fast.to_vec(), recorded.to_vec());
}

#[test]
fn small_products_of_strided_operands_sum_in_order_exactly() {
    // Below the blocked-GEMM size, every c[i, j] is Σ_p x[i, p]·y[p, j] summed for p in
    // order from zero: bit-identical to the plain loop, whatever the operands' layouts.
    let naive = |x: &Tensor<f64>, y: &Tensor<f64>| {
        let (m, k, n) = (x.shape()[0], x.shape()[1], y.shape()[1]);
        let (xv, yv) = (x.contiguous().to_vec(), y.contiguous().to_vec());
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0;
                for p in 0..k {
                    acc += xv[i * k + p] * yv[p * n + j];
                }
                c[i * n + j] = acc;
            }
        }
        c
    };
    let values = |n: usize, seed: f64| -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.71).sin()).collect()
    };
    for (m, k, n) in [(3, 7, 13), (8, 8, 8), (5, 1, 17), (2, 16, 9), (4, 0, 3)] {
        let x = Tensor::from_vec(values(m * k, 0.5), &[m, k]);
        let xt = Tensor::from_vec(values(m * k, 0.5), &[k, m]).t();
        let y = Tensor::from_vec(values(k * n, 1.5), &[k, n]);
        let yt = Tensor::from_vec(values(k * n, 1.5), &[n, k]).t();
        // A strided slice of a wider tensor.
        let wide = Tensor::from_vec(values(k * 2 * n, 2.5), &[k, 2 * n]);
        let ys = wide.i((.., 0..2 * n)).slice(1, 0, 2 * n as isize, 2);
        for a in [&x, &xt] {
            for b in [&y, &yt, &ys] {
                assert_eq!(a.matmul(b).to_vec(), naive(a, b), "{m}x{k}x{n}");
            }
        }
    }
    // Batches of them, as the heads of attention: permuted queries times transposed keys,
    // and a matrix broadcast over every batch; each batch is the plain loop's bits.
    let (b, h, m, k, n) = (3, 2, 5, 4, 6);
    let q = Tensor::from_vec(values(b * m * h * k, 0.1), &[b, m, h, k]).permute(&[0, 2, 1, 3]);
    let key = Tensor::from_vec(values(b * n * h * k, 0.2), &[b, n, h, k]).permute(&[0, 2, 1, 3]);
    let scores = q.matmul_t(&key);
    assert_eq!(scores.shape(), &[b, h, m, n]);
    let shared = Tensor::from_vec(values(k * n, 0.3), &[1, 1, k, n]);
    let mixed = q.matmul(&shared);
    for bi in 0..b {
        for hi in 0..h {
            let at = |t: &Tensor<f64>| t.select(0, bi as isize).select(0, hi as isize);
            let (qb, kb) = (at(&q), at(&key));
            assert_eq!(
                at(&scores).to_vec(),
                naive(&qb, &kb.t()),
                "scores {bi}, {hi}"
            );
            let s = shared.select(0, 0).select(0, 0);
            assert_eq!(at(&mixed).to_vec(), naive(&qb, &s), "shared {bi}, {hi}");
        }
    }
}

#[test]
fn mid_size_products_fuse_each_term_in_order_exactly() {
    // Products too big for the small kernel whose right operand fits in cache run the
    // register-tiled kernel: every c[i, j] is x[i, p]·y[p, j] fused-multiply-added for p in
    // order from zero (the rounding of one FMA chain), whatever the tile a column lands in.
    fn check<T: tapegrad::Float>(values: impl Fn(usize, f64) -> Vec<T>) {
        let naive = |x: &Tensor<T>, y: &Tensor<T>| {
            let (m, k, n) = (x.shape()[0], x.shape()[1], y.shape()[1]);
            let (xv, yv) = (x.contiguous().to_vec(), y.contiguous().to_vec());
            let mut c = vec![T::zero(); m * n];
            for i in 0..m {
                for j in 0..n {
                    let mut acc = T::zero();
                    for p in 0..k {
                        acc = xv[i * k + p].mul_add(yv[p * n + j], acc);
                    }
                    c[i * n + j] = acc;
                }
            }
            c
        };
        // Rows: full tiles of 4 and a remainder; columns: tiles of 16 and 8 and single ones.
        for (m, k, n) in [(67, 40, 27), (64, 96, 32), (70, 3, 24), (65, 256, 9)] {
            let x = Tensor::from_vec(values(m * k, 0.5), &[m, k]);
            let y = Tensor::from_vec(values(k * n, 1.5), &[k, n]);
            let yt = Tensor::from_vec(values(k * n, 1.5), &[n, k]).t();
            for b in [&y, &yt] {
                let bits = |v: Vec<T>| {
                    v.iter()
                        .map(|v| v.to_f64().unwrap().to_bits())
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    bits(x.matmul(b).to_vec()),
                    bits(naive(&x, b)),
                    "{m}x{k}x{n}"
                );
            }
        }
    }
    check::<f64>(|n, seed| (0..n).map(|i| ((i as f64 + seed) * 0.71).sin()).collect());
    check::<f32>(|n, seed| {
        (0..n)
            .map(|i| ((i as f64 + seed) * 0.71).sin() as f32)
            .collect()
    });
}

#[test]
fn a_matrix_shared_by_every_batch_is_one_product_forward_and_backward() {
    // [N, L, E]·W and [N, L, E]·Wᵀ stack the rows into one product; values match each
    // batch's own product, and the gradients pass gradcheck (W's is one product too).
    let values = |n: usize, seed: f64| -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.37).cos()).collect()
    };
    let x = Tensor::from_vec(values(3 * 5 * 4, 0.1), &[3, 5, 4]).requires_grad();
    let w = Tensor::from_vec(values(4 * 6, 0.2), &[4, 6]).requires_grad();
    let wt = Tensor::from_vec(values(6 * 4, 0.3), &[6, 4]).requires_grad();
    let y = x.matmul(&w);
    assert_eq!(y.shape(), &[3, 5, 6]);
    for b in 0..3 {
        let own = x.select(0, b).matmul(&w).to_vec();
        for (a, e) in y.select(0, b).to_vec().iter().zip(own) {
            assert!((a - e).abs() < 1e-12);
        }
    }
    assert_eq!(x.matmul_t(&wt).shape(), &[3, 5, 6]);
    // A permuted (strided) batch, as the heads of attention are.
    let xp = x.permute(&[1, 0, 2]);
    let f = |t: &[Tensor<f64>]| {
        (t[0].matmul(&t[1]).square().sum() + t[0].matmul_t(&t[2]).sin().sum())
            + t[0].permute(&[1, 0, 2]).matmul(&t[1]).tanh().sum()
    };
    gradcheck(f, &[x.clone(), w.clone(), wt.clone()], 1e-6, 1e-7, 1e-6).unwrap();
    assert_eq!(xp.matmul(&w).shape(), &[5, 3, 6]);
    // Empty rows and an empty inner dim.
    let e = Tensor::<f64>::zeros(&[2, 0, 4]).matmul(&w);
    assert_eq!(e.shape(), &[2, 0, 6]);
    let z = Tensor::<f64>::ones(&[2, 3, 0]).matmul(&Tensor::zeros(&[0, 5]));
    assert_eq!((z.shape(), z.to_vec()), (&[2, 3, 5][..], vec![0.0; 30]));
}

#[test]
fn products_into_reused_buffers_overwrite_every_element() {
    // Large products write into buffers reused from dropped tensors without zeroing them
    // first: fill the pool with NaN-filled buffers, then check each product path (tiled,
    // blocked, batched, stacked rows, an empty inner dim) leaves none of it behind.
    let poison = |n: usize| drop(Tensor::<f32>::full(&[n], f32::NAN));
    let ones = |shape: &[usize]| Tensor::<f32>::ones(shape);
    let cases: Vec<(Tensor<f32>, Tensor<f32>, f32)> = vec![
        (ones(&[128, 8]), ones(&[8, 128]), 8.0),       // tiled kernel
        (ones(&[128, 300]), ones(&[300, 128]), 300.0), // blocked GEMM (k > 256)
        (ones(&[4, 64, 8]), ones(&[4, 8, 64]), 8.0),   // a batch of products
        (ones(&[4, 64, 8]), ones(&[8, 64]), 8.0),      // one matrix for every batch
        (ones(&[128, 0]), ones(&[0, 128]), 0.0),       // nothing to sum
    ];
    for (a, b, expected) in cases {
        let n = a.shape()[..a.ndim() - 1].iter().product::<usize>() * b.shape()[b.ndim() - 1];
        poison(n);
        let c = a.matmul(&b);
        assert_eq!(c.numel(), n);
        assert!(
            c.to_vec().iter().all(|&v| v == expected),
            "{:?}·{:?}",
            a.shape(),
            b.shape()
        );
    }
}

#[test]
fn a_shared_operand_gets_its_gradient_summed_inside_the_product() {
    // A matrix broadcast over batches (a convolution's weight against the columns of every
    // image) gets Σₙ Gₙ·Xₙᵀ accumulated in the product itself, including the transposed
    // form used when it has few rows and many columns, a 2-D weight against a 4-D batch, a
    // shared transposed operand and an empty batch (a zero gradient, as PyTorch).
    let values = |n: usize, seed: f64| -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.37).cos()).collect()
    };
    for (m, k, l, wshape, xshape) in [
        (3, 70, 5, vec![1, 3, 70], vec![4, 1, 70, 5]), // few rows, many columns
        (6, 4, 9, vec![1, 6, 4], vec![3, 1, 4, 9]),
        (2, 3, 4, vec![2, 3], vec![2, 3, 3, 4]), // a matrix against a 4-D batch
        (5, 66, 2, vec![5, 66], vec![0, 66, 2]), // no batch at all
    ] {
        let w = Tensor::from_vec(values(m * k, 0.1), &wshape).requires_grad();
        let x = Tensor::from_vec(values(xshape.iter().product(), 0.2), &xshape).requires_grad();
        let y = w.matmul(&x);
        let r = Tensor::from_vec(values(y.numel(), 0.3), y.shape());
        (&y * &r).sum().backward();
        // Σ over batches of r_b · x_bᵀ, one element at a time.
        let batches = y.numel() / (m * l);
        let (rv, xv) = (r.to_vec(), x.contiguous().to_vec());
        let mut expect = vec![0.0; m * k];
        for b in 0..batches {
            for i in 0..m {
                for j in 0..k {
                    for p in 0..l {
                        expect[i * k + j] += rv[(b * m + i) * l + p] * xv[(b * k + j) * l + p];
                    }
                }
            }
        }
        let got = w.grad().unwrap();
        assert_eq!(got.shape(), &wshape[..]);
        for (a, e) in got.to_vec().iter().zip(&expect) {
            assert!((a - e).abs() < 1e-12, "{wshape:?}·{xshape:?}: {a} vs {e}");
        }
        if batches > 0 {
            let wt = Tensor::from_vec(values(m * k, 0.4), &[k, m]).requires_grad();
            let f = |t: &[Tensor<f64>]| {
                t[0].matmul(&t[1]).sin().sum() + t[2].t().matmul(&t[1]).square().sum()
            };
            let small = xshape.iter().product::<usize>() < 400;
            if small {
                gradcheck(f, &[w.clone(), x.clone(), wt.clone()], 1e-6, 1e-7, 1e-6).unwrap();
                // Second order: the recorded gradients, checked again.
                let grads_of_f = |t: &[Tensor<f64>]| {
                    let g = tapegrad::grad(&f(t), &[&t[0], &t[1], &t[2]], true);
                    g[0].square().sum() + g[1].sin().sum() + g[2].square().sum()
                };
                gradcheck(grads_of_f, &[w, x, wt], 1e-6, 1e-6, 1e-5).unwrap();
            }
        }
    }
}
