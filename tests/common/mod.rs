//! Shared by the integration tests: the op table (the same names as
//! scripts/gen_fixtures.py) and the PyTorch fixture reader.
#![allow(dead_code)]

use tapegrad::Tensor;
use tapegrad::loss::{self as L, Reduction as R};
use tapegrad::ndarray::{ArrayD, arr2};
use tapegrad::nn::functional as F;

pub type T64 = Tensor<f64>;

/// The op a fixture case names, applied to its inputs.
pub fn apply(op: &str, x: &[T64]) -> T64 {
    let a = &x[0];
    let b = || &x[1];
    match op {
        "exp" => a.exp(),
        "log" => a.log(),
        "sqrt" => a.sqrt(),
        "abs" => a.abs(),
        "square" => a.square(),
        "neg" => -a,
        "relu" => a.relu(),
        "leaky_relu" => a.leaky_relu(0.1),
        "sigmoid" => a.sigmoid(),
        "tanh" => a.tanh(),
        "gelu" => a.gelu(),
        "gelu_tanh" => a.gelu_tanh(),
        "silu" => a.silu(),
        "softplus" | "softplus_big" => a.softplus(),
        "erf" => a.erf(),
        "clamp" => a.clamp(-0.5, 0.5),
        "powf" => a.powf(2.5),
        "powf_neg" => a.powf(-1.5),
        "add_scalar" => a + 1.5,
        "sub_scalar" => a - 1.5,
        "mul_scalar" => a * -2.5,
        "div_scalar" => a / 3.0,
        "rsub_scalar" => 2.0 - a,
        "rdiv_scalar" => 2.0 / a,
        "sin" => a.sin(),
        "cos" => a.cos(),
        "tan" => a.tan(),
        "asin" => a.asin(),
        "acos" => a.acos(),
        "atan" => a.atan(),
        "sinh" => a.sinh(),
        "cosh" => a.cosh(),
        "asinh" => a.asinh(),
        "acosh" => a.acosh(),
        "atanh" => a.atanh(),
        "log1p" => a.log1p(),
        "expm1" => a.expm1(),
        "log2" => a.log2(),
        "log10" => a.log10(),
        "exp2" => a.exp2(),
        "rsqrt" => a.rsqrt(),
        "reciprocal" => a.reciprocal(),
        "sign" => a.sign(),
        "floor" => a.floor(),
        "ceil" => a.ceil(),
        "round" => a.round(),
        "trunc" => a.trunc(),
        "frac" => a.frac(),
        "log_sigmoid" => a.log_sigmoid(),
        "softsign" => a.softsign(),
        "relu6" => a.relu6(),
        "elu" => a.elu(0.7),
        "selu" => a.selu(),
        "celu" => a.celu(0.5),
        "mish" => a.mish(),
        "hardtanh" => a.hardtanh(-0.5, 0.8),
        "hardsigmoid" => a.hardsigmoid(),
        "hardswish" => a.hardswish(),
        "add" => a + b(),
        "sub" => a - b(),
        "mul" => a * b(),
        "div" => a / b(),
        "maximum" => a.maximum(b()),
        "pow" => a.pow(b()),
        "atan2" => a.atan2(b()),
        "fmod" => a.fmod(b()),
        "remainder" => a.remainder(b()),
        "lerp" => a.lerp(b(), 0.3),
        "minimum" => a.minimum(b()),
        "sum" => a.sum(),
        "mean" => a.mean(),
        "sum_dim0" => a.sum_dim(0, false),
        "sum_dim_last_keep" => a.sum_dim(-1, true),
        "mean_dim1" => a.mean_dim(1, false),
        "max_dim1" => a.max_dim(1, false),
        "min_dim0_keep" => a.min_dim(0, true),
        "var_dim1_unbiased" => a.var_dim(1, true, false),
        "var_dim0_biased_keep" => a.var_dim(0, false, true),
        "logsumexp1" => a.logsumexp(1, false),
        "sum_dims" => a.sum_dims(&[0, 2], false),
        "sum_dims_keep" => a.sum_dims(&[-1], true),
        "mean_dims" => a.mean_dims(&[0, 1], false),
        "amax" => a.amax(&[1], false),
        "amax_ties" => Tensor::cat(&[a, a], 0).amax(&[0], false),
        "amin_keep" => a.amin(&[0, 1], true),
        "max_all" => a.max(),
        "min_all" => a.min(),
        "var_all" => a.var(),
        "std_all" => a.std(),
        "std_dim" => a.std_dim(1, false, true),
        "flip" => a.flip(&[0, -1]),
        "movedim" => a.movedim(0, -1) * 1.0,
        "diagonal" => a.diagonal(1, 0, 2),
        "diagonal_neg" => a.diagonal(-1, 0, 1),
        "trace" => a.trace(),
        "diag_vec" => a.diag(1),
        "diag_mat" => a.diag(-1),
        "roll" => a.roll(&[1, -2], &[0, 1]),
        "repeat" => a.repeat(&[2, 1, 3]),
        "tile" => a.tile(&[2]),
        "tril" => a.tril(1),
        "triu" => a.triu(-1),
        "pad_constant" => a.pad(&[1, 2, 0, 1], tapegrad::PadMode::Constant(0.5)),
        "pad_reflect" => a.pad(&[2, 1], tapegrad::PadMode::Reflect),
        "pad_replicate" => a.pad(&[1, 2, 2, 0], tapegrad::PadMode::Replicate),
        "pad_circular" => a.pad(&[1, 2], tapegrad::PadMode::Circular),
        "outer" => a.outer(b()),
        "dot" => a.dot(b()),
        "bmm" => a.bmm(b()),
        "addmm" => a.addmm(b(), &x[2], 0.5, 2.0),
        "roll_flat" => a.roll(&[-2], &[]),
        "einsum_diag" => tapegrad::einsum("ii->i", &[a]),
        "einsum_trace" => tapegrad::einsum("ii", &[a]),
        "einsum_diag_sum" => tapegrad::einsum("iij->j", &[a]),
        "einsum_ellipsis_bmm" | "einsum_ellipsis_broadcast" => {
            tapegrad::einsum("...ij,...jk->...ik", &[a, b()])
        }
        "einsum_ellipsis_implicit" => tapegrad::einsum("...ij,jk", &[a, b()]),
        "einsum_ellipsis_middle" => tapegrad::einsum("i...j->j...i", &[a]),
        "einsum_bmm" => tapegrad::einsum("bij,bjk->bik", &[a, b()]),
        "einsum_implicit" => tapegrad::einsum("ij,jk", &[a, b()]),
        "einsum_outer_sum" => tapegrad::einsum("i,j->", &[a, b()]),
        "einsum_three" => tapegrad::einsum("ab,bc,ca->b", &[a, b(), &x[2]]),
        "norm2" => a.norm(2.0, None, false),
        "norm1_dim" => a.norm(1.0, Some(&[1]), false),
        "norm_inf" => a.norm(f64::INFINITY, Some(&[0, 2]), true),
        "norm3" => a.norm(3.0, Some(&[-1]), false),
        "norm_half" => a.norm(0.5, Some(&[-1]), false),
        "cumsum" => a.cumsum(1),
        "cumsum0" => a.cumsum(0),
        "logsumexp0_keep" => a.logsumexp(0, true),
        "softmax_last" => a.softmax(-1),
        "softmax0" => a.softmax(0),
        "log_softmax_last" => a.log_softmax(-1),
        "log_softmax1" => a.log_softmax(1),
        "matmul_2d"
        | "matmul_1d_1d"
        | "matmul_1d_2d"
        | "matmul_2d_1d"
        | "matmul_3d_2d"
        | "matmul_2d_3d"
        | "matmul_broadcast_batch" => a.matmul(b()),
        "matmul_t" => a.matmul_t(b()),
        "reshape" => a.reshape(&[3, -1]),
        "flatten" => a.flatten(1, -1),
        "squeeze" => a.squeeze(1),
        "unsqueeze" => a.unsqueeze(-1),
        "transpose" => a.transpose(0, 2),
        "t" => a.t(),
        "permute" => a.permute(&[2, 0, 1]),
        "broadcast_to" => a.broadcast_to(&[2, 3, 4]),
        "sum_to" => a.sum_to(&[3, 1]),
        "cat0" => Tensor::cat(&[a, b()], 0),
        "cat_last" => Tensor::cat(&[a, b()], -1),
        "stack1" => Tensor::stack(&[a, b()], 1),
        "narrow" => a.narrow(1, 1, 2),
        "index_select" => a.index_select(0, &[2, 0, 2]),
        "gather" => a.gather(1, &gather_index()),
        "cube_sum" => a.powf(3.0).sum(),
        "cross_entropy" => tapegrad::loss::cross_entropy(a, &[2, 0, 1, 2]),
        "mse" => tapegrad::loss::mse(a, b()),
        "tanh_net" => a.matmul(b()).tanh().matmul(&x[2]).square().mean(),
        "view" => a.view(&[3, -1]),
        "expand" => a.expand(&[2, -1, 4]),
        "slice_step" => a.slice(1, 1, 4, 2),
        "slice_neg" => a.slice(0, -2, 100, 1),
        "select" => a.select(1, -1),
        "chunk" => {
            let c = a.chunk(2, 1);
            Tensor::cat(&c.iter().rev().collect::<Vec<_>>(), 1)
        }
        "split" => {
            let p = a.split(2, 0);
            Tensor::cat(&[&p[2], &p[0], &p[1]], 0)
        }
        "unbind" => {
            let u = a.unbind(1);
            Tensor::stack(&u.iter().rev().collect::<Vec<_>>(), 0)
        }
        "contiguous" => a.t().contiguous(),
        "view_chain" => {
            let v = a.permute(&[2, 0, 1]).narrow(0, 1, 2).select(1, 0).t();
            v * a.select(0, 0).narrow(1, 0, 2)
        }
        "inplace_mul" => {
            let y = a * 1.0;
            y.mul_(b());
            y
        }
        "inplace_chain" => {
            let y = a * 2.0;
            y.add_(b())
                .mul_(b())
                .sub_(a)
                .div_(&(b() * b() + 1.0))
                .clamp_(-1.0, 1.0);
            y
        }
        "inplace_scalar" => {
            let y = a * 1.0;
            y.add_scalar_(0.5).mul_scalar_(-3.0);
            y.exp()
        }
        "inplace_view" => {
            let y = a * 1.0;
            y.narrow(1, 1, 2).mul_(b());
            y
        }
        "inplace_view_old" => {
            let y = a * 1.0;
            let v = y.narrow(0, 0, 2);
            y.narrow(0, 1, 2).mul_scalar_(3.0);
            v * y.select(0, 3)
        }
        "inplace_fill_copy" => {
            let y = a * 1.0;
            y.narrow(1, 0, 1).fill_(2.0);
            y.select(0, 1).zero_();
            y.narrow(0, 0, 1).copy_(b());
            y * b()
        }
        "inplace_masked_fill" => {
            let y = a * 1.0;
            let mask = Tensor::from_vec(vec![true, false, false, true], &[1, 4]);
            y.masked_fill_(&mask, 0.5);
            y * a
        }
        "where_cond" => tapegrad::where_cond(&a.gt(0.0), a, b()),
        "masked_fill" => a.masked_fill(&a.gt(0.5), 0.25),
        "masked_select" => a.masked_select(&a.gt(0.0)),
        "masked_select_bcast" => a.masked_select(&b().gt(0.0)),
        "prod" => a.prod(),
        "prod_dim" => a.prod_dim(1, false),
        "prod_dim_keep" => a.prod_dim(0, true),
        "prod_zeros" => (a * a.gt(0.0).cast::<f64>()).prod_dim(1, false),
        "cumprod" => a.cumprod(-1),
        "cumprod_zeros" => (a * a.gt(0.0).cast::<f64>()).cumprod(-1),
        "logcumsumexp" => a.logcumsumexp(-1),
        "sort" => sorted(a.sort(-1, false)),
        "sort_desc0" => sorted(a.sort(0, true)),
        "argsort" => a * (a.argsort(-1, true).cast::<f64>() + 1.0),
        "topk" => sorted(a.topk(2, -1, true, true)),
        "topk_smallest" => sorted(a.topk(3, 0, false, true)),
        "kthvalue" => sorted(a.kthvalue(2, 1, false)),
        "kthvalue_keep" => sorted(a.kthvalue(3, 0, true)),
        "max_dim_indices" => sorted(a.max_dim_indices(1, false)),
        "min_dim_indices_keep" => sorted(a.min_dim_indices(0, true)),
        "argmax" => a.sum_dim(-1, false) * (a.argmax(-1, false).cast::<f64>() + 1.0),
        "argmin_keep" => a * (a.argmin(0, true).cast::<f64>() + 1.0),
        "scatter" => a.scatter(1, &i64s(&[0, 2, 3, 1, 1, 0], &[3, 2]), b()),
        "scatter_add" => a.scatter_add(1, &i64s(&[0, 0, 3, 1, 2, 2], &[3, 2]), b()),
        "index_add" => a.index_add(0, &i64s(&[2, 0, 2], &[3]), b()),
        "index_fill" => a.index_fill(1, &i64s(&[0, 2], &[2]), -1.0),
        "gather_i64" => a.gather(0, &i64s(&[1, 0, 2, 0, 0, 1], &[2, 3])),
        "one_hot" => a * tapegrad::one_hot(&i64s(&[2, 0, 1], &[3]), 4).cast::<f64>(),
        "nonzero" => a.gt(0.0).nonzero().cast::<f64>() * a.sum(),
        "cast_trunc" => a * (a * 3.0).cast::<i64>().cast::<f64>(),
        // Index ops with no indices at all.
        "scatter_empty" => a.scatter(1, &i64s(&[], &[0, 2]), b()),
        "scatter_add_empty" => a.scatter_add(1, &i64s(&[], &[0, 2]), b()),
        "index_add_empty" => a.index_add(0, &i64s(&[], &[0]), b()),
        "index_fill_empty" => a.index_fill(1, &i64s(&[], &[0]), -1.0),
        "gather_empty" => a.gather(0, &i64s(&[], &[0, 3])),
        "one_hot_empty" => a * tapegrad::one_hot(&i64s(&[], &[0]), 4).cast::<f64>(),
        "compare_logic" => {
            let mask = &a.ge(0.2) & &a.lt(b()) | a.eq(b());
            tapegrad::where_cond(&mask, a, &(b() * b()))
        }
        "compare_mix" => {
            let mask = &a.ge(0.2) & &a.lt(b()) | a.eq(&a.max());
            tapegrad::where_cond(&mask, a, &(b() * b()))
        }
        "conv2d" => F::conv2d(a, b(), Some(&x[2]), 1, 0, 1, 1),
        "conv2d_opts" => F::conv2d(a, b(), None, (2, 1), (1, 2), (1, 2), 2),
        "conv1d" => F::conv1d(a, b(), Some(&x[2]), 2, 1, 1, 1),
        "max_pool2d" => F::max_pool2d(a, 2, 2, 0),
        "max_pool2d_pad" => F::max_pool2d(a, 3, 2, 1),
        "avg_pool2d" => F::avg_pool2d(a, (2, 3), (2, 1), (1, 1)),
        "adaptive_avg_pool2d" => F::adaptive_avg_pool2d(a, (3, 2)),
        "batch_norm_train" | "batch_norm_1d" => {
            F::batch_norm(a, None, None, Some(b()), Some(&x[2]), true, 0.1, 1e-5)
        }
        "group_norm" => F::group_norm(a, 2, Some(b()), Some(&x[2]), 1e-5),
        "unfold" => a.unfold2d(tapegrad::Windows {
            kernel: (2, 3),
            dilation: (1, 2),
            padding: (1, 0),
            stride: (2, 1),
        }),
        "fold" => a.fold2d(
            (4, 5),
            tapegrad::Windows {
                kernel: (2, 2),
                dilation: (1, 1),
                padding: (0, 0),
                stride: (1, 1),
            },
        ),
        "conv2d_same" => F::conv2d(a, b(), Some(&x[2]), 1, 1, 1, 1),
        "conv2d_same_dilated" => F::conv2d(a, b(), None, 1, (2, 1), (2, 1), 2),
        "conv2d_same_wide_kernel" => F::conv2d(a, b(), None, 1, (0, 2), 1, 1),
        "unfold_same" => a.unfold2d(tapegrad::Windows {
            kernel: (3, 3),
            dilation: (1, 1),
            padding: (1, 1),
            stride: (1, 1),
        }),
        "fold_same" => a.fold2d(
            (4, 5),
            tapegrad::Windows {
                kernel: (3, 3),
                dilation: (1, 1),
                padding: (1, 1),
                stride: (1, 1),
            },
        ),
        "mse_sum" => L::mse_with(a, b(), R::Sum),
        "l1_none" => L::l1_with(a, b(), R::None),
        "smooth_l1" => L::smooth_l1(a, b(), 0.5),
        "huber_sum" => L::huber_with(a, b(), 0.7, R::Sum),
        "sdpa_dead_row" => {
            let allowed = [false, false, false, true, true, false, true, false, true];
            let mask = Tensor::from_vec(allowed.to_vec(), &[3, 3]);
            F::scaled_dot_product_attention(a, b(), &x[2], Some(&mask), 0.0, false)
        }
        "bce_saturated" => L::bce(a, &Tensor::from_vec(vec![0.0, 1.0, 1.0, 1.0, 0.3], &[5])),
        "bce" => L::bce(&a.sigmoid(), &(b().gt(0.0).cast::<f64>() * 0.8 + 0.1)),
        "kl_div" => L::kl_div(&a.log_softmax(1), &b().softmax(1), false),
        "kl_div_log" => L::kl_div(&a.log_softmax(1), &b().log_softmax(1), true),
        "ce_weighted" => {
            let opts = L::CrossEntropyOpts {
                weight: Some(b().gt(0.0).cast::<f64>() + 0.5),
                ..Default::default()
            };
            L::cross_entropy_with(a, &i64s(&[2, 0, 1, 2], &[4]), opts)
        }
        "ce_ignore_smooth" => {
            let opts = L::CrossEntropyOpts {
                label_smoothing: 0.2,
                ..Default::default()
            };
            L::cross_entropy_with(a, &i64s(&[2, -100, 1, 0], &[4]), opts)
        }
        "ce_all_ignored" => L::cross_entropy_with(
            a,
            &i64s(&[-100, -100], &[2]),
            L::CrossEntropyOpts::default(),
        ),
        "ce_zero_weight" => {
            let opts = L::CrossEntropyOpts {
                weight: Some(Tensor::from_vec(vec![0.0, 0.0, 1.0], &[3])),
                ..Default::default()
            };
            L::cross_entropy_with(a, &i64s(&[0, -100, 1], &[3]), opts)
        }
        "ce_probs" => {
            let opts = L::CrossEntropyOpts {
                label_smoothing: 0.1,
                ..Default::default()
            };
            L::cross_entropy_with(a, &b().softmax(1), opts)
        }
        "ce_sum_weighted_smooth" | "ce_mean_weighted_smooth" => {
            let opts = L::CrossEntropyOpts {
                weight: Some(b().gt(0.0).cast::<f64>() + 0.5),
                label_smoothing: 0.3,
                reduction: if op == "ce_sum_weighted_smooth" {
                    R::Sum
                } else {
                    R::Mean
                },
                ..Default::default()
            };
            let y = if op == "ce_sum_weighted_smooth" {
                [1, 0, 2, 1]
            } else {
                [1, -100, 2, 1]
            };
            L::cross_entropy_with(a, &i64s(&y, &[4]), opts)
        }
        "nll_none" => L::nll_with(&a.log_softmax(1), &i64s(&[1, 0, 2], &[3]), R::None),
        "layer_norm_f" => F::layer_norm(a, &[3, 4], Some(b()), Some(&x[2]), 1e-5),
        other => panic!("no op named {other} in the test table"),
    }
}

/// `values · (indices + 1)`: how the fixtures check an op's values and indices at once.
fn sorted((values, indices): (T64, Tensor<i64>)) -> T64 {
    values * (indices.cast::<f64>() + 1.0)
}

/// An `i64` tensor.
pub fn i64s(data: &[i64], shape: &[usize]) -> Tensor<i64> {
    Tensor::from_vec(data.to_vec(), shape)
}

pub fn gather_index() -> ArrayD<usize> {
    arr2(&[[0usize, 2], [1, 1], [3, 0]]).into_dyn()
}

/// One case of tests/fixtures/ops.json.
pub struct Case {
    pub name: String,
    pub op: String,
    pub inputs: Vec<T64>,
    pub output: T64,
    pub upstream: T64,
    pub grads: Vec<Vec<f64>>,
    pub weights: Vec<T64>,
    pub second: Vec<Vec<f64>>,
}

/// A list of numbers; NaN and the infinities, which JSON cannot hold, come as the strings
/// `"nan"`, `"inf"` and `"-inf"` (tests/fixtures/nonfinite.json).
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x.as_str() {
            Some("nan") => f64::NAN,
            Some("inf") => f64::INFINITY,
            Some("-inf") => f64::NEG_INFINITY,
            _ => x.as_f64().unwrap(),
        })
        .collect()
}

pub fn shape(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

pub fn load_cases() -> Vec<Case> {
    parse_cases(include_str!("../fixtures/ops.json"))
}

/// The cases at kinks, ties and zeros (value and gradient only: no `weights`, no `second`).
pub fn load_kink_cases() -> Vec<Case> {
    parse_cases(include_str!("../fixtures/kinks.json"))
}

/// The cases with NaN and infinite inputs (value and gradient only).
pub fn load_nonfinite_cases() -> Vec<Case> {
    parse_cases(include_str!("../fixtures/nonfinite.json"))
}

fn parse_cases(text: &str) -> Vec<Case> {
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let list = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let inputs: Vec<T64> = list(&c["inputs"])
                .iter()
                .map(|i| Tensor::from_vec(floats(&i["data"]), &shape(&i["shape"])))
                .collect();
            let out_shape = shape(&c["output"]["shape"]);
            let weights = list(&c["weights"])
                .iter()
                .zip(&inputs)
                .map(|(w, x)| Tensor::from_vec(floats(w), x.shape()))
                .collect();
            Case {
                name: c["name"].as_str().unwrap().to_string(),
                op: c["op"].as_str().unwrap().to_string(),
                output: Tensor::from_vec(floats(&c["output"]["data"]), &out_shape),
                upstream: Tensor::from_vec(floats(&c["upstream"]), &out_shape),
                grads: list(&c["grads"]).iter().map(floats).collect(),
                second: list(&c["second"]).iter().map(floats).collect(),
                weights,
                inputs,
            }
        })
        .collect()
}

/// Asserts `got` equals `want` to a relative error of `rel` (with a floor of `rel` times
/// 1e-3 of the largest reference value, for entries that cancel to near zero, and 1e-15).
pub fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} != {}",
        got.len(),
        want.len()
    );
    let scale = want
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        // NaN must come out as NaN, and an infinity as the same infinity.
        if !w.is_finite() {
            assert!(
                g.is_nan() && w.is_nan() || g == w,
                "{what}[{i}]: got {g:e}, PyTorch {w:e}"
            );
            continue;
        }
        // 1e-15 absolute: entries that are exactly 0 in exact arithmetic may come out of
        // PyTorch as rounding noise (e.g. ~3e-17 for the second derivative of a product over
        // one element).
        let tol = rel * w.abs() + rel * 1e-3 * scale + 1e-15;
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g:e}, PyTorch {w:e} (diff {:e})",
            (g - w).abs()
        );
    }
}

/// Serialises the tests that swap the process-wide panic hook.
static PANIC_HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Where `f` panicked (`file:line:column`), as the panic hook sees it. Only this thread's
/// panic is taken; other threads' panics (tests run in parallel) go to the previous hook.
pub fn panic_location(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    let _serial = PANIC_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::thread::current().id();
    let seen = Arc::new(Mutex::new(None));
    let ours = seen.clone();
    let previous = Arc::new(std::panic::take_hook());
    let others = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            *ours.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
        } else {
            others(info);
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    drop(std::panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => std::panic::set_hook(hook),
        Err(_) => unreachable!("our hook, the only other owner, was dropped"),
    }
    assert!(result.is_err(), "expected a panic");
    let at = seen.lock().unwrap_or_else(|e| e.into_inner()).take();
    at.expect("the panic hook saw the panic")
}

/// The path of a file in tests/fixtures.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// A JSON fixture of tests/fixtures.
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_path(name)).unwrap()).unwrap()
}

/// Asserts a module's state-dict names and order are the fixture's (PyTorch's).
pub fn assert_state_names<M: tapegrad::nn::Module<f64>>(
    tag: &str,
    model: &M,
    want: &serde_json::Value,
) {
    let names: Vec<String> = model.state_dict().into_iter().map(|(n, _)| n).collect();
    let want: Vec<String> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, want, "{tag}: state_dict names and order");
}

/// Asserts every parameter's gradient equals the fixture's (`grads[name]`) to `rel`.
pub fn assert_param_grads<M: tapegrad::nn::Module<f64>>(
    tag: &str,
    model: &M,
    grads: &serde_json::Value,
    rel: f64,
) {
    for (n, p) in model.named_parameters() {
        let want = floats(&grads[n.as_str()]);
        assert_close(
            &format!("{tag} grad {n}"),
            &p.grad().unwrap().to_vec(),
            &want,
            rel,
        );
    }
}
