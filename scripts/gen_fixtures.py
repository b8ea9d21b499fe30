"""Generates tests/fixtures/ops.json: values and gradients of every op, computed by PyTorch.

Run from the repository root with PyTorch installed (see scripts/torch-venv.sh):
    python scripts/gen_fixtures.py

For each case it records the inputs (f64), the output, an upstream gradient, the
vector-Jacobian product (first derivatives), and a second derivative: the gradient of
<vjp, w> with respect to the inputs, with `create_graph=True`. The Rust tests in
tests/pytorch_ops.rs evaluate the same op names and compare.
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(1234)

UNARY = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "abs": lambda x: x.abs(),
    "square": lambda x: x.square(),
    "neg": lambda x: -x,
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.1),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "gelu": lambda x: torch.nn.functional.gelu(x),
    "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda x: torch.nn.functional.silu(x),
    "softplus": lambda x: torch.nn.functional.softplus(x),
    "erf": lambda x: torch.erf(x),
    "clamp": lambda x: x.clamp(-0.5, 0.5),
    "powf": lambda x: x.pow(2.5),
    "powf_neg": lambda x: x.pow(-1.5),
    "add_scalar": lambda x: x + 1.5,
    "sub_scalar": lambda x: x - 1.5,
    "mul_scalar": lambda x: x * -2.5,
    "div_scalar": lambda x: x / 3.0,
    "rsub_scalar": lambda x: 2.0 - x,
    "rdiv_scalar": lambda x: 2.0 / x,
}
PIECEWISE_LINEAR = {"hardsigmoid"}
POSITIVE = {"log", "sqrt", "powf", "powf_neg", "rdiv_scalar"}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: torch.maximum(a, b),
    "minimum": lambda a, b: torch.minimum(a, b),
}

GATHER_INDEX = [[0, 2], [1, 1], [3, 0]]
CE_TARGETS = [2, 0, 1, 2]

OTHER = {
    "sum": (lambda x: x.sum(), [[3, 4]]),
    "mean": (lambda x: x.mean(), [[3, 4]]),
    "sum_dim0": (lambda x: x.sum(0), [[3, 4]]),
    "sum_dim_last_keep": (lambda x: x.sum(-1, keepdim=True), [[2, 3, 4]]),
    "mean_dim1": (lambda x: x.mean(1), [[3, 4]]),
    "max_dim1": (lambda x: x.max(1).values, [[3, 4]]),
    "min_dim0_keep": (lambda x: x.min(0, keepdim=True).values, [[3, 4]]),
    "var_dim1_unbiased": (lambda x: x.var(1, unbiased=True), [[3, 4]]),
    "var_dim0_biased_keep": (lambda x: x.var(0, unbiased=False, keepdim=True), [[3, 4]]),
    "logsumexp1": (lambda x: x.logsumexp(1), [[3, 4]]),
    "logsumexp0_keep": (lambda x: x.logsumexp(0, keepdim=True), [[2, 3, 4]]),
    "softmax_last": (lambda x: x.softmax(-1), [[3, 4]]),
    "softmax0": (lambda x: x.softmax(0), [[2, 3, 4]]),
    "log_softmax_last": (lambda x: x.log_softmax(-1), [[3, 4]]),
    "log_softmax1": (lambda x: x.log_softmax(1), [[2, 3, 4]]),
    "matmul_2d": (lambda a, b: a @ b, [[3, 4], [4, 5]]),
    "matmul_1d_1d": (lambda a, b: a @ b, [[4], [4]]),
    "matmul_1d_2d": (lambda a, b: a @ b, [[4], [4, 5]]),
    "matmul_2d_1d": (lambda a, b: a @ b, [[3, 4], [4]]),
    "matmul_3d_2d": (lambda a, b: a @ b, [[2, 3, 4], [4, 5]]),
    "matmul_2d_3d": (lambda a, b: a @ b, [[3, 4], [2, 4, 5]]),
    "matmul_broadcast_batch": (lambda a, b: a @ b, [[2, 1, 3, 4], [5, 4, 2]]),
    "matmul_t": (lambda a, b: a @ b.T, [[3, 4], [5, 4]]),
    "reshape": (lambda x: x.reshape(3, -1), [[2, 6]]),
    "flatten": (lambda x: x.flatten(1, -1), [[2, 3, 4]]),
    "squeeze": (lambda x: x.squeeze(1), [[2, 1, 3]]),
    "unsqueeze": (lambda x: x.unsqueeze(-1), [[2, 3]]),
    "transpose": (lambda x: x.transpose(0, 2), [[2, 3, 4]]),
    "t": (lambda x: x.t(), [[3, 4]]),
    "permute": (lambda x: x.permute(2, 0, 1), [[2, 3, 4]]),
    "broadcast_to": (lambda x: x.broadcast_to(2, 3, 4), [[3, 1]]),
    "sum_to": (lambda x: x.sum_to_size(3, 1), [[2, 3, 4]]),
    "cat0": (lambda a, b: torch.cat([a, b], 0), [[2, 3], [1, 3]]),
    "cat_last": (lambda a, b: torch.cat([a, b], -1), [[2, 3], [2, 2]]),
    "stack1": (lambda a, b: torch.stack([a, b], 1), [[2, 3], [2, 3]]),
    "narrow": (lambda x: x.narrow(1, 1, 2), [[3, 4]]),
    "index_select": (lambda x: x.index_select(0, torch.tensor([2, 0, 2])), [[3, 4]]),
    "gather": (lambda x: x.gather(1, torch.tensor(GATHER_INDEX)), [[3, 4]]),
    # Compositions: a small tanh network and a cube, for Hessian-vector products.
    "cube_sum": (lambda x: x.pow(3.0).sum(), [[5]]),
    "tanh_net": (lambda x, w1, w2: (x @ w1).tanh().matmul(w2).square().mean(), [[4, 3], [3, 5], [5, 2]]),
    "softplus_big": (lambda x: torch.nn.functional.softplus(x), "big"),
    "cross_entropy": (lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(CE_TARGETS)), [[4, 3]]),
    "mse": (lambda a, b: torch.nn.functional.mse_loss(a, b), [[3, 4], [3, 4]]),
    # Views (core v2): no copies, gradients through chains of them.
    "view": (lambda x: x.view(3, -1), [[2, 6]]),
    "expand": (lambda x: x.expand(2, -1, 4), [[3, 1]]),
    "slice_step": (lambda x: x[:, 1:4:2], [[3, 5]]),
    "slice_neg": (lambda x: x[-2:100], [[4, 3]]),
    "select": (lambda x: x.select(1, -1), [[3, 4]]),
    "chunk": (lambda x: torch.cat(x.chunk(2, 1)[::-1], 1), [[3, 5]]),
    "split": (lambda x: (lambda p: torch.cat([p[2], p[0], p[1]], 0))(x.split(2, 0)), [[5, 3]]),
    "unbind": (lambda x: torch.stack(list(reversed(x.unbind(1))), 0), [[2, 3]]),
    "contiguous": (lambda x: x.t().contiguous(), [[3, 4]]),
    "view_chain": (lambda x: x.permute(2, 0, 1).narrow(0, 1, 2).select(1, 0).t() * x[0, :, :2], [[2, 3, 4]]),
    # In-place ops on non-leaves, recorded as PyTorch records them.
    "inplace_mul": (lambda a, b: (a * 1).mul_(b), [[3, 4], [4]]),
    "inplace_chain": (lambda a, b: (a * 2).add_(b).mul_(b).sub_(a).div_(b * b + 1).clamp_(-1, 1), [[3, 4], [3, 4]]),
    "inplace_scalar": (lambda a: (a * 1).add_(0.5).mul_(-3.0).exp(), [[2, 3]]),
    "inplace_view": (lambda a, b: (lambda y: (y[:, 1:3].mul_(b), y)[1])(a * 1), [[3, 4], [3, 2]]),
    "inplace_view_old": (lambda a: (lambda y: (lambda v: (y[1:3].mul_(3.0), v * y[3])[1])(y[0:2]))(a * 1), [[4, 3]]),
    "inplace_fill_copy": (lambda a, b: (lambda y: (y[:, 0:1].fill_(2.0), y[1].zero_(), y[0:1].copy_(b), y * b)[3])(a * 1), [[3, 4], [4]]),
    "inplace_masked_fill": (lambda a: (a * 1).masked_fill_(torch.tensor([[True, False, False, True]]), 0.5) * a, [[3, 4]]),
}

UNARY_SHAPES = [[3, 4], [], [1], [2, 1, 3]]

# Elementwise functions added after the first fixture; generated last so the earlier cases
# keep their random inputs. The value is the input domain.
UNARY_V2 = {
    "sin": (torch.sin, "normal"),
    "cos": (torch.cos, "normal"),
    "tan": (torch.tan, "unit"),
    "asin": (torch.asin, "unit"),
    "acos": (torch.acos, "unit"),
    "atan": (torch.atan, "normal"),
    "sinh": (torch.sinh, "normal"),
    "cosh": (torch.cosh, "normal"),
    "asinh": (torch.asinh, "normal"),
    "acosh": (torch.acosh, "above1"),
    "atanh": (torch.atanh, "unit"),
    "log1p": (torch.log1p, "positive"),
    "expm1": (torch.expm1, "normal"),
    "log2": (torch.log2, "positive"),
    "log10": (torch.log10, "positive"),
    "exp2": (torch.exp2, "normal"),
    "rsqrt": (torch.rsqrt, "positive"),
    "reciprocal": (torch.reciprocal, "positive"),
    "sign": (torch.sign, "normal"),
    "floor": (torch.floor, "wide"),
    "ceil": (torch.ceil, "wide"),
    "round": (torch.round, "wide"),
    "trunc": (torch.trunc, "wide"),
    "frac": (torch.frac, "wide"),
    "log_sigmoid": (torch.nn.functional.logsigmoid, "wide"),
    "softsign": (torch.nn.functional.softsign, "normal"),
    "relu6": (torch.nn.functional.relu6, "wide"),
    "elu": (lambda x: torch.nn.functional.elu(x, 0.7), "normal"),
    "selu": (torch.nn.functional.selu, "normal"),
    "celu": (lambda x: torch.nn.functional.celu(x, 0.5), "normal"),  # 1/alpha exact: PyTorch rounds it to f32
    "mish": (torch.nn.functional.mish, "normal"),
    "hardtanh": (lambda x: torch.nn.functional.hardtanh(x, -0.5, 0.8), "normal"),
    "hardsigmoid": (torch.nn.functional.hardsigmoid, "wide"),
    "hardswish": (torch.nn.functional.hardswish, "wide"),
}
BINARY_SHAPES = [([3, 4], [3, 4]), ([3, 1, 4], [2, 4]), ([], [2, 3]), ([2, 3], [1]), ([5], [5]), ([1, 1], [3, 1])]


# Binary functions added later, generated after everything else: (fn, kinds of a and b).
BINARY_V2 = {
    "pow": (torch.pow, "positive", "normal"),
    "atan2": (torch.atan2, "normal", "normal"),
    "fmod": (torch.fmod, "wide", "positive"),
    "remainder": (torch.remainder, "wide", "positive"),
    "lerp": (lambda a, b: torch.lerp(a, b, 0.3), "normal", "normal"),
}


# Reductions added later, generated after everything else.
OTHER_V2 = {
    "sum_dims": (lambda x: x.sum((0, 2)), [[2, 3, 4]]),
    "sum_dims_keep": (lambda x: x.sum((-1,), keepdim=True), [[2, 3, 4]]),
    "mean_dims": (lambda x: x.mean((0, 1)), [[2, 3, 4]]),
    "amax": (lambda x: x.amax((1,)), [[3, 4]]),
    "amax_ties": (lambda x: torch.cat([x, x], 0).amax(0), [[3, 4]]),
    "amin_keep": (lambda x: x.amin((0, 1), keepdim=True), [[2, 3, 4]]),
    "max_all": (lambda x: x.max(), [[3, 4]]),
    "min_all": (lambda x: x.min(), [[3, 4]]),
    "var_all": (lambda x: x.var(), [[3, 4]]),
    "std_all": (lambda x: x.std(), [[3, 4]]),
    "std_dim": (lambda x: x.std(1, unbiased=False, keepdim=True), [[3, 4]]),
    # Rearranging and linear algebra.
    "flip": (lambda x: x.flip(0, -1), [[2, 3, 4]]),
    "movedim": (lambda x: x.movedim(0, -1) * 1.0, [[2, 3, 4]]),
    "diagonal": (lambda x: x.diagonal(1, 0, 2), [[3, 2, 4]]),
    "diagonal_neg": (lambda x: x.diagonal(-1), [[4, 3]]),
    "trace": (lambda x: x.trace(), [[3, 3]]),
    "diag_vec": (lambda x: torch.diag(x, 1), [[3]]),
    "diag_mat": (lambda x: torch.diag(x, -1), [[3, 4]]),
    "roll": (lambda x: x.roll((1, -2), (0, 1)), [[3, 4]]),
    "repeat": (lambda x: x.repeat(2, 1, 3), [[2, 3]]),
    "tile": (lambda x: x.tile((2,)), [[2, 3]]),
    "tril": (lambda x: x.tril(1), [[2, 3, 4]]),
    "triu": (lambda x: x.triu(-1), [[4, 3]]),
    "pad_constant": (lambda x: torch.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), [[2, 3]]),
    "pad_reflect": (lambda x: torch.nn.functional.pad(x, (2, 1), mode="reflect"), [[2, 4]]),
    "pad_replicate": (lambda x: torch.nn.functional.pad(x, (1, 2, 2, 0), mode="replicate"), [[1, 2, 3]]),
    "pad_circular": (lambda x: torch.nn.functional.pad(x, (1, 2), mode="circular"), [[2, 4]]),
    "outer": (lambda a, b: torch.outer(a, b), [[3], [4]]),
    "dot": (lambda a, b: torch.dot(a, b), [[4], [4]]),
    "bmm": (lambda a, b: torch.bmm(a, b), [[2, 3, 4], [2, 4, 2]]),
    "addmm": (lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0), [[3], [2, 4], [4, 3]]),
    "einsum_bmm": (lambda a, b: torch.einsum("bij,bjk->bik", a, b), [[2, 3, 4], [2, 4, 2]]),
    "einsum_implicit": (lambda a, b: torch.einsum("ij,jk", a, b), [[3, 4], [4, 2]]),
    "einsum_outer_sum": (lambda a, b: torch.einsum("i,j->", a, b), [[3], [4]]),
    "einsum_three": (lambda a, b, c: torch.einsum("ab,bc,ca->b", a, b, c), [[2, 3], [3, 4], [4, 2]]),
    "norm2": (lambda x: torch.linalg.vector_norm(x), [[3, 4]]),
    "norm1_dim": (lambda x: torch.linalg.vector_norm(x, 1, dim=(1,)), [[3, 4]]),
    "norm_inf": (lambda x: torch.linalg.vector_norm(x, float("inf"), dim=(0, 2), keepdim=True), [[2, 3, 4]]),
    "norm3": (lambda x: torch.linalg.vector_norm(x, 3.0, dim=(-1,)), [[3, 4]]),
    "cumsum": (lambda x: x.cumsum(1), [[3, 4]]),
    "cumsum0": (lambda x: x.cumsum(0), [[2, 3, 2]]),
}

# Issue 8, second part: mask, sort and index ops. Integer results (indices) enter the output
# as factors (values * (indices + 1)), so a wrong index shows as a wrong value.
def _sorted(pair):
    v, i = pair
    return v * (i + 1).double()


SCATTER_INDEX = [[0, 2], [3, 1], [1, 0]]
SCATTER_ADD_INDEX = [[0, 0], [3, 1], [2, 2]]
GATHER_I64_INDEX = [[1, 0, 2], [0, 0, 1]]
OTHER_V3 = {
    "where_cond": (lambda a, b: torch.where(a > 0, a, b),
                   [[[3, 4], [4]], [[2, 1, 3], [4, 3]], [[], [3]], [[0, 3], [3]]]),
    "masked_fill": (lambda x: x.masked_fill(x > 0.5, 0.25), [[[3, 4]], [[]], [[0]], [[1, 5]]]),
    "masked_select": (lambda x: x.masked_select(x > 0), [[[3, 4]], [[1]], [[0, 2]]]),
    "masked_select_bcast": (lambda a, b: a.masked_select(b > 0), [[[3, 1], [3, 4]]]),
    "prod": (lambda x: x.prod(), [[[3, 4]], [[]], [[0]]]),
    "prod_dim": (lambda x: x.prod(1), [[[3, 4]], [[2, 1, 3]], [[2, 0]]]),
    "prod_dim_keep": (lambda x: x.prod(0, keepdim=True), [[[3, 4]]]),
    "prod_zeros": (lambda x: (x * (x > 0)).prod(1), [[[3, 4]], [[4, 5]]]),
    "cumprod": (lambda x: x.cumprod(-1), [[[3, 4]], [[5]], [[0, 3]]]),
    "cumprod_zeros": (lambda x: (x * (x > 0)).cumprod(-1), [[[3, 5]], [[4, 4]]]),
    "logcumsumexp": (lambda x: x.logcumsumexp(-1), [[[3, 4]], [[6]], [[2, 0]]]),
    "sort": (lambda x: _sorted(x.sort(-1)), [[[3, 4]], [[5]], [[0]]]),
    "sort_desc0": (lambda x: _sorted(x.sort(0, descending=True)), [[[3, 4]]]),
    "argsort": (lambda x: x * (x.argsort(-1, descending=True) + 1).double(), [[[3, 4]]]),
    "topk": (lambda x: _sorted(x.topk(2, -1)), [[[3, 4]], [[5]]]),
    "topk_smallest": (lambda x: _sorted(x.topk(3, 0, largest=False)), [[[4, 3]]]),
    "kthvalue": (lambda x: _sorted(x.kthvalue(2, 1)), [[[3, 4]]]),
    "kthvalue_keep": (lambda x: _sorted(x.kthvalue(3, 0, keepdim=True)), [[[4, 3]]]),
    "max_dim_indices": (lambda x: _sorted(x.max(1)), [[[3, 4]], [[1, 5]]]),
    "min_dim_indices_keep": (lambda x: _sorted(x.min(0, keepdim=True)), [[[3, 4]]]),
    "argmax": (lambda x: x.sum(-1) * (x.argmax(-1) + 1).double(), [[[3, 4]]]),
    "argmin_keep": (lambda x: x * (x.argmin(0, keepdim=True) + 1).double(), [[[3, 4]]]),
    "scatter": (lambda a, b: a.scatter(1, torch.tensor(SCATTER_INDEX), b), [[[3, 4], [3, 2]]]),
    "scatter_add": (lambda a, b: a.scatter_add(1, torch.tensor(SCATTER_ADD_INDEX), b),
                    [[[3, 4], [3, 2]]]),
    "index_add": (lambda a, b: a.index_add(0, torch.tensor([2, 0, 2]), b), [[[3, 4], [3, 4]]]),
    "index_fill": (lambda x: x.index_fill(1, torch.tensor([0, 2]), -1.0), [[[3, 4]], [[2, 3, 2]]]),
    "gather_i64": (lambda x: x.gather(0, torch.tensor(GATHER_I64_INDEX)), [[[3, 3]]]),
    "one_hot": (lambda x: x * torch.nn.functional.one_hot(torch.tensor([2, 0, 1]), 4).double(),
                [[[3, 4]]]),
    "nonzero": (lambda x: (x > 0).nonzero().double() * x.sum(), [[[3, 4]]]),
    "cast_trunc": (lambda x: x * (x * 3).long().double(), [[[3, 4]]]),
    "compare_mix": (lambda a, b: torch.where((a >= 0.2) & (a < b) | (a == a.max()), a, b * b),
                    [[[3, 4], [4]]]),
}

# Issue 9: the functional forms of the conv, pooling and normalisation layers.
F = torch.nn.functional
OTHER_V4 = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b), [[[2, 3, 5, 5], [4, 3, 3, 3], [4]]]),
    "conv2d_opts": (lambda x, w: F.conv2d(x, w, None, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
                    [[[1, 4, 6, 7], [6, 2, 3, 2]]]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [[[2, 3, 9], [4, 3, 3], [4]]]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [[[2, 3, 6, 6]]]),
    "max_pool2d_pad": (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [[[1, 2, 5, 5]]]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, (2, 3), stride=(2, 1), padding=(1, 1)), [[[1, 2, 5, 6]]]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [[[2, 2, 7, 5]]]),
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         [[[4, 3, 2, 2], [3], [3]]]),
    "batch_norm_1d": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [[[6, 4], [4], [4]]]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [[[2, 4, 3], [4], [4]]]),
    "layer_norm_f": (lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [[[2, 3, 4], [3, 4], [3, 4]]]),
    "unfold": (lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)), [[[2, 2, 5, 6]]]),
    "fold": (lambda x: F.fold(x, (4, 5), (2, 2)), [[[1, 12, 12]]]),
    # Losses with reductions and cross-entropy's options.
    "mse_sum": (lambda a, b: F.mse_loss(a, b, reduction="sum"), [[[3, 4], [3, 4]]]),
    "l1_none": (lambda a, b: F.l1_loss(a, b, reduction="none"), [[[3, 4], [3, 4]]]),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [[[3, 4], [3, 4]]]),
    "huber_sum": (lambda a, b: F.huber_loss(a, b, reduction="sum", delta=0.7), [[[3, 4], [3, 4]]]),
    "bce": (lambda a, b: F.binary_cross_entropy(torch.sigmoid(a), (b > 0).double() * 0.8 + 0.1), [[[3, 4], [3, 4]]]),
    "kl_div": (lambda a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean"), [[[3, 4], [3, 4]]]),
    "kl_div_log": (lambda a, b: F.kl_div(F.log_softmax(a, 1), F.log_softmax(b, 1), reduction="batchmean", log_target=True),
                   [[[3, 4], [3, 4]]]),
    "ce_weighted": (lambda a, b: F.cross_entropy(a, torch.tensor([2, 0, 1, 2]), weight=(b > 0).double() + 0.5), [[[4, 3], [3]]]),
    "ce_ignore_smooth": (lambda a: F.cross_entropy(a, torch.tensor([2, -100, 1, 0]), label_smoothing=0.2), [[[4, 3]]]),
    "ce_probs": (lambda a, b: F.cross_entropy(a, F.softmax(b, 1), label_smoothing=0.1), [[[4, 3], [4, 3]]]),
    "ce_sum_weighted_smooth": (lambda a, b: F.cross_entropy(a, torch.tensor([1, 0, 2, 1]), weight=(b > 0).double() + 0.5,
                                                            label_smoothing=0.3, reduction="sum"), [[[4, 3], [3]]]),
    "ce_mean_weighted_smooth": (lambda a, b: F.cross_entropy(a, torch.tensor([1, -100, 2, 1]), weight=(b > 0).double() + 0.5,
                                                             label_smoothing=0.3), [[[4, 3], [3]]]),
    "nll_none": (lambda a: F.nll_loss(F.log_softmax(a, 1), torch.tensor([1, 0, 2]), reduction="none"), [[[3, 3]]]),
}

# Issue 8: one empty tensor for every op it added, generated last (so the earlier cases keep
# their random inputs): the op table's name and the input shapes. Ops that PyTorch rejects on
# empty inputs (max/min/amax/argmax over an empty dim) are tested to panic in
# tests/masks_and_indices.rs instead, and reductions whose PyTorch value there is NaN or −inf
# (mean, var, std, logsumexp: not valid JSON) are compared in that file too.
EMPTY_OTHER = {
    "sum_dims": [[2, 0, 4]],
    "sum_dims_keep": [[2, 3, 0]],
    "mean_dims": [[2, 3, 0]],
    "amax": [[0, 4]],
    "amax_ties": [[3, 0]],
    "amin_keep": [[2, 3, 0]],
    "var_dim1_unbiased": [[0, 4]],
    "var_dim0_biased_keep": [[3, 0]],
    "std_dim": [[0, 4]],
    "flip": [[2, 0, 4]],
    "movedim": [[2, 0, 4]],
    "diagonal": [[3, 0, 4]],
    "diagonal_neg": [[0, 3]],
    "trace": [[0, 3]],
    "diag_vec": [[0]],
    "diag_mat": [[0, 4]],
    "roll": [[0, 4]],
    "repeat": [[0, 3]],
    "tile": [[0, 3]],
    "tril": [[2, 0, 4]],
    "triu": [[0, 3]],
    "pad_constant": [[0, 3]],
    "pad_reflect": [[0, 2, 4]],
    "pad_replicate": [[0, 1, 2, 3]],
    "pad_circular": [[0, 4]],
    "outer": [[0], [4]],
    "dot": [[0], [0]],
    "bmm": [[2, 0, 4], [2, 4, 2]],
    "addmm": [[3], [0, 4], [4, 3]],
    "einsum_bmm": [[2, 3, 0], [2, 0, 2]],
    "einsum_implicit": [[3, 0], [0, 2]],
    "einsum_outer_sum": [[0], [4]],
    "einsum_three": [[2, 0], [0, 4], [4, 2]],
    "norm2": [[0, 3]],
    "norm1_dim": [[0, 4]],
    "norm_inf": [[2, 0, 4]],
    "norm3": [[0, 4]],
    "cumsum": [[3, 0]],
    "cumsum0": [[0, 3, 2]],
    "view": [[0, 6]],
    "expand": [[0, 1]],
    "slice_step": [[0, 5]],
    "select": [[0, 4]],
    "chunk": [[0, 5]],
    "split": [[5, 0]],
    "unbind": [[0, 3]],
    "masked_select_bcast": [[0, 1], [0, 4]],
    "prod_dim_keep": [[0, 4]],
    "prod_zeros": [[0, 5]],
    "cumprod_zeros": [[0, 5]],
    "sort_desc0": [[0, 3]],
    "argsort": [[3, 0]],
    "topk": [[0, 4]],
    "topk_smallest": [[4, 0]],
    "kthvalue": [[0, 4]],
    "kthvalue_keep": [[4, 0]],
    "max_dim_indices": [[0, 4]],
    "min_dim_indices_keep": [[3, 0]],
    "argmax": [[0, 4]],
    "argmin_keep": [[3, 0]],
    "nonzero": [[0, 4]],
    "cast_trunc": [[0, 4]],
}
# Issue 8: size-1 dims and 0-d inputs for its ops that ran on one shape only (where PyTorch
# accepts them), generated after the empty cases.
SMALL_SHAPES = {
    "sum_dims": [[[2, 1, 1]]],
    "sum_dims_keep": [[[1]], [[]]],
    "mean_dims": [[[1, 1, 3]]],
    "amax": [[[2, 1]]],
    "amax_ties": [[[1, 1]]],
    "amin_keep": [[[1, 1, 2]]],
    "max_all": [[[]], [[1]]],
    "min_all": [[[]], [[1, 1]]],
    "var_all": [[[1, 2]]],
    "std_all": [[[3, 1]]],
    "std_dim": [[[1, 3]]],
    "var_dim1_unbiased": [[[1, 2]]],
    "flip": [[[1, 1, 2]]],
    "movedim": [[[1, 2, 1]]],
    "diagonal": [[[1, 1, 2]]],
    "diagonal_neg": [[[2, 1]]],
    "trace": [[[1, 1]]],
    "diag_vec": [[[1]]],
    "diag_mat": [[[1, 2]]],
    "roll": [[[1, 1]]],
    "repeat": [[[]], [[1, 1]]],
    "tile": [[[]], [[1]]],
    "tril": [[[1, 1]]],
    "triu": [[[1, 3]]],
    "pad_constant": [[[1, 1]]],
    "pad_reflect": [[[1, 3]]],
    "pad_replicate": [[[1, 1, 1]]],
    "pad_circular": [[[1, 2]]],
    "outer": [[[1], [1]]],
    "dot": [[[1], [1]]],
    "bmm": [[[1, 1, 1], [1, 1, 1]]],
    "addmm": [[[], [1, 1], [1, 2]]],
    "einsum_bmm": [[[1, 1, 1], [1, 1, 1]]],
    "einsum_implicit": [[[1, 1], [1, 1]]],
    "einsum_outer_sum": [[[1], [1]]],
    "einsum_three": [[[1, 1], [1, 1], [1, 1]]],
    "norm2": [[[]], [[1]]],
    "norm1_dim": [[[2, 1]]],
    "norm_inf": [[[1, 1, 1]]],
    "norm3": [[[1, 1]]],
    "cumsum": [[[1, 1]]],
    "cumsum0": [[[]]],
    "view": [[[3, 1]]],
    "expand": [[[1, 1]]],
    "chunk": [[[1, 1]]],
    "unbind": [[[1, 1]]],
    "masked_select_bcast": [[[1, 1], [1, 4]]],
    "prod_dim_keep": [[[1, 1]]],
    "prod_zeros": [[[1, 1]]],
    "cumprod_zeros": [[[1, 1]]],
    "logcumsumexp": [[[]]],
    "sort": [[[]]],
    "sort_desc0": [[[1, 3]]],
    "argsort": [[[1, 1]]],
    "kthvalue": [[[1, 2]]],
    "kthvalue_keep": [[[3, 1]]],
    "min_dim_indices_keep": [[[1, 1]]],
    "argmax": [[[]], [[1]]],
    "argmin_keep": [[[1, 1]]],
    "nonzero": [[[]], [[1, 1]]],
    "cast_trunc": [[[]]],
    "compare_mix": [[[], []], [[1], [1, 1]]],
}
NO_INDEX = torch.zeros(0, dtype=torch.long)
EMPTY_INDEXED = {
    "scatter_empty": (lambda a, b: a.scatter(1, NO_INDEX.reshape(0, 2), b), [[3, 4], [0, 2]]),
    "scatter_add_empty": (lambda a, b: a.scatter_add(1, NO_INDEX.reshape(0, 2), b), [[3, 4], [0, 2]]),
    "index_add_empty": (lambda a, b: a.index_add(0, NO_INDEX, b), [[3, 4], [0, 4]]),
    "index_fill_empty": (lambda x: x.index_fill(1, NO_INDEX, -1.0), [[3, 4]]),
    "gather_empty": (lambda x: x.gather(0, NO_INDEX.reshape(0, 3)), [[3, 3]]),
    "one_hot_empty": (lambda x: x * torch.nn.functional.one_hot(NO_INDEX, 4).double(), [[0, 4]]),
    "compare_logic": (lambda a, b: torch.where((a >= 0.2) & (a < b) | (a == b), a, b * b), [[0, 4], [4]]),
}


# Issue 9, later: the "same" windows (stride 1, rows of windows as wide as the image) that a
# convolution unfolds as shifted copies of the image; appended last, so the inputs drawn for
# every case above stay the same.
SAME_WINDOWS = {
    "conv2d_same": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [[2, 3, 5, 6], [4, 3, 3, 3], [4]]),
    "conv2d_same_dilated": (lambda x, w: F.conv2d(x, w, None, padding=(2, 1), dilation=(2, 1), groups=2),
                            [[1, 4, 5, 4], [2, 2, 3, 3]]),
    "conv2d_same_wide_kernel": (lambda x, w: F.conv2d(x, w, None, padding=(0, 2)), [[2, 2, 6, 3], [3, 2, 2, 5]]),
    "unfold_same": (lambda x: F.unfold(x, (3, 3), padding=1), [[2, 2, 4, 5]]),
    "fold_same": (lambda x: F.fold(x, (4, 5), (3, 3), padding=1), [[1, 18, 20]]),
}


SDPA_MASK = torch.tensor([[False, False, False], [True, True, False], [True, False, True]])

# einsum with diagonals (a letter repeated within an operand) and `...`; appended last, so
# the inputs drawn for every case above stay the same.
EINSUM_V2 = {
    "einsum_diag": (lambda x: torch.einsum("ii->i", x), [[3, 3]]),
    "einsum_trace": (lambda x: torch.einsum("ii", x), [[3, 3]]),
    "einsum_diag_sum": (lambda x: torch.einsum("iij->j", x), [[2, 2, 3]]),
    "einsum_ellipsis_bmm": (lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [[2, 2, 3], [2, 3, 2]]),
    "einsum_ellipsis_implicit": (lambda a, b: torch.einsum("...ij,jk", a, b), [[2, 2, 3], [3, 4]]),
    "einsum_ellipsis_broadcast": (lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [[1, 2, 3], [4, 3, 2]]),
    "einsum_ellipsis_middle": (lambda x: torch.einsum("i...j->j...i", x), [[2, 3, 4, 2]]),
    "roll_flat": (lambda x: x.roll(-2), [[2, 3]]),
}

# Inputs exactly at a kink, a tie or a zero, where PyTorch picks a one-sided gradient (or
# masks 0/0): fixed values, value and gradient only (tests/fixtures/kinks.json; second
# derivatives at these points are not defined). op: (fn, inputs as nested lists).
KINKS = {
    "clamp": (UNARY["clamp"], [[-0.5, 0.5, 0.0, -1.0, 1.0]]),
    "hardtanh": (UNARY_V2["hardtanh"][0], [[-0.5, 0.8, 0.0, -1.0, 1.0]]),
    "relu6": (UNARY_V2["relu6"][0], [[0.0, 6.0, 3.0, -1.0, 7.0]]),
    "hardsigmoid": (UNARY_V2["hardsigmoid"][0], [[-3.0, 3.0, 0.0, -4.0, 4.0]]),
    "hardswish": (UNARY_V2["hardswish"][0], [[-3.0, 3.0, 0.0, -4.0, 4.0]]),
    "relu": (UNARY["relu"], [[0.0, 1.0, -1.0]]),
    "leaky_relu": (UNARY["leaky_relu"], [[0.0, 1.0, -1.0]]),
    "abs": (UNARY["abs"], [[0.0, 1.0, -1.0]]),
    "sign": (UNARY_V2["sign"][0], [[0.0, 1.0, -1.0]]),
    "elu": (UNARY_V2["elu"][0], [[0.0, 1.0, -1.0]]),
    "celu": (UNARY_V2["celu"][0], [[0.0, 1.0, -1.0]]),
    "selu": (UNARY_V2["selu"][0], [[0.0, 1.0, -1.0]]),
    "round": (UNARY_V2["round"][0], [[0.5, 1.5, 2.5, -0.5, -2.5, 0.49]]),
    "maximum": (BINARY["maximum"], [[1.0, 3.0, 2.0], [1.0, 2.0, 2.0]]),
    "minimum": (BINARY["minimum"], [[1.0, 3.0, 2.0], [1.0, 2.0, 2.0]]),
    "max_all": (OTHER_V2["max_all"][0], [[[1.0, 3.0], [3.0, 2.0]]]),
    "min_all": (OTHER_V2["min_all"][0], [[[1.0, 0.0], [3.0, 0.0]]]),
    "norm2": (OTHER_V2["norm2"][0], [[[0.0, 0.0], [0.0, 0.0]]]),
    "norm3": (OTHER_V2["norm3"][0], [[[0.0, 0.0], [1.0, -2.0], [0.0, 3.0]]]),
    "norm_half": (lambda x: torch.linalg.vector_norm(x, 0.5, dim=(-1,)), [[[0.0, 0.0], [1.0, -2.0], [0.0, 3.0]]]),
    "norm1_dim": (OTHER_V2["norm1_dim"][0], [[[0.0, 0.0], [1.0, -2.0]]]),
    "pow": (BINARY_V2["pow"][0], [[0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
    "atan2": (BINARY_V2["atan2"][0], [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]),
    # Attention in which one query may attend to no key: zeros there, as PyTorch's
    # `_safe_softmax` (not 0/0 = NaN, which would spread into every gradient).
    "sdpa_dead_row": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=SDPA_MASK),
                      [[[[0.1, -0.2, 0.3, 0.0], [0.5, 0.4, -0.1, 0.2], [-0.3, 0.8, 0.6, -0.5]]],
                       [[[0.2, 0.1, -0.4, 0.3], [-0.6, 0.0, 0.2, 0.1], [0.7, -0.2, 0.1, 0.4]]],
                       [[[1.0, -1.0], [0.5, 2.0], [-0.3, 0.2]]]]),
    "std_all": (OTHER_V2["std_all"][0], [[[2.0, 2.0], [2.0, 2.0]]]),
    "std_dim": (OTHER_V2["std_dim"][0], [[[1.0, 1.0, 1.0], [0.5, 2.0, 3.0]]]),
    # Probabilities of exactly 0 and 1 (a saturated f32 sigmoid): a large finite gradient.
    "bce_saturated": (lambda p: F.binary_cross_entropy(p, torch.tensor([0.0, 1.0, 1.0, 1.0, 0.3])),
                      [[0.0, 1.0, 0.5, 0.0, 1.0]]),
    # Ties, zeros and exact boundaries of the reductions, sorts, pools and losses (stop 18).
    "max_dim1": (OTHER["max_dim1"][0], [[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 2.0]]]),
    "min_dim0_keep": (OTHER["min_dim0_keep"][0], [[[1.0, 2.0], [1.0, 0.0], [3.0, 0.0]]]),
    "max_dim_indices": (OTHER_V3["max_dim_indices"][0], [[[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]]),
    "min_dim_indices_keep": (OTHER_V3["min_dim_indices_keep"][0], [[[1.0, 2.0], [1.0, 0.0], [3.0, 0.0]]]),
    "argmax": (OTHER_V3["argmax"][0], [[[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]]),
    "argmin_keep": (OTHER_V3["argmin_keep"][0], [[[1.0, 2.0], [1.0, 0.0], [3.0, 0.0]]]),
    "kthvalue": (OTHER_V3["kthvalue"][0], [[[1.0, 2.0, 2.0, 3.0], [5.0, 5.0, 5.0, 1.0]]]),
    "sort": (OTHER_V3["sort"][0], [[[2.0, 1.0, 2.0, 1.0, 2.0]]]),
    "sort_desc0": (OTHER_V3["sort_desc0"][0], [[[1.0, 2.0], [1.0, 2.0], [1.0, 0.0]]]),
    "norm_inf": (OTHER_V2["norm_inf"][0], [[[[1.0, -3.0], [3.0, 0.0], [2.0, 2.0]], [[-1.0, 3.0], [0.0, 0.0], [-2.0, 1.0]]]]),
    "fmod": (BINARY_V2["fmod"][0], [[4.0, -4.0, 3.0, -3.0, 0.0], [2.0, 2.0, -1.5, 1.5, 2.0]]),
    "remainder": (BINARY_V2["remainder"][0], [[4.0, -4.0, 3.0, -3.0, 0.0], [2.0, 2.0, -1.5, 1.5, 2.0]]),
    "floor": (UNARY_V2["floor"][0], [[1.0, -2.0, 0.0, 2.5]]),
    "frac": (UNARY_V2["frac"][0], [[1.0, -2.0, 0.0, 2.5]]),
    "prod": (OTHER_V3["prod"][0], [[[1.0, 0.0, 3.0]]]),
    "prod_dim": (OTHER_V3["prod_dim"][0], [[[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [2.0, 1.5, 1.0]]]),
    "cumprod": (OTHER_V3["cumprod"][0], [[[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 1.0, 2.0, 3.0, 1.0]]]),
    "l1_none": (OTHER_V4["l1_none"][0], [[[1.0, 2.0, 3.0]], [[1.0, 0.0, 3.0]]]),
    "smooth_l1": (OTHER_V4["smooth_l1"][0], [[[0.5, -0.5, 0.0, 1.0]], [[0.0, 0.0, 0.0, 0.5]]]),
    "huber_sum": (OTHER_V4["huber_sum"][0], [[[0.7, -0.7, 0.0]], [[0.0, 0.0, 0.0]]]),
    "softplus_big": (OTHER["softplus_big"][0], [[20.0, -20.0, 0.0, 19.99, 20.01]]),
    "max_pool2d": (OTHER_V4["max_pool2d"][0], [[[[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.5], [2.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]]]),
}


# NaN and infinite inputs: which results PyTorch propagates NaN or ±inf into, and the
# gradients it gives there (tests/fixtures/nonfinite.json; value and gradient only). JSON has
# no NaN or infinity, so those are written as the strings "nan", "inf" and "-inf".
_N, _INF = float("nan"), float("inf")


def _op_fn(op):
    for table in (UNARY, BINARY):
        if op in table:
            return table[op]
    for table in (UNARY_V2, BINARY_V2, OTHER, OTHER_V2, OTHER_V3, OTHER_V4):
        if op in table:
            return table[op][0]
    raise KeyError(op)


NONFINITE = {op: (_op_fn(op), values) for op, values in {
    "relu": [[1.0, _N, -_INF, _INF]],
    "clamp": [[_N, _INF, -_INF, 0.2]],
    "sign": [[_N, _INF, -_INF, 2.0]],
    "abs": [[_N, -_INF, _INF]],
    "exp": [[_N, -_INF, _INF]],
    "sigmoid": [[_N, -_INF, _INF]],
    "tanh": [[_N, -_INF, _INF]],
    "sqrt": [[-1.0, _INF, _N]],
    "log": [[-1.0, 0.0, _INF]],
    "round": [[_N, _INF, -_INF]],
    "maximum": [[1.0, _N, 3.0, -_INF], [0.0, 0.0, _N, 0.0]],
    "minimum": [[1.0, _N, 3.0, _INF], [0.0, 0.0, _N, 0.0]],
    "remainder": [[5.0, -5.0, _INF, _N], [0.0, 3.0, 2.0, 1.0]],
    "fmod": [[5.0, -5.0, _INF, _N], [0.0, 3.0, 2.0, 1.0]],
    "max_all": [[[1.0, _N], [3.0, -_INF]]],
    "min_all": [[[1.0, _N], [3.0, -_INF]]],
    "amax": [[[1.0, _N, 3.0], [2.0, -_INF, 0.5]]],
    "max_dim1": [[[1.0, _N, 3.0], [2.0, 5.0, _INF]]],
    "sort": [[[2.0, _N, 1.0, -_INF], [_INF, 0.0, _N, 1.0]]],
    "topk": [[[2.0, _N, 1.0, -_INF], [_INF, 0.0, 3.0, 1.0]]],
    "kthvalue": [[[2.0, _N, 1.0, -_INF], [_INF, 0.0, 3.0, 1.0]]],
    "logsumexp1": [[[-_INF, -_INF, -_INF], [_INF, 1.0, 0.0], [_N, 1.0, 2.0]]],
    "softmax_last": [[[-_INF, 0.0, 1.0], [_INF, 0.0, 1.0]]],
    "cumsum": [[[1.0, _N, 2.0], [_INF, -_INF, 1.0]]],
    "cumprod": [[[2.0, _N, 3.0], [_INF, 2.0, 1.0]]],
    "prod": [[[2.0, _N], [3.0, 1.0]]],
    "logcumsumexp": [[[-_INF, 0.0, -_INF], [1.0, _N, 0.0]]],
    "std_all": [[[1.0, _N], [2.0, 3.0]]],
    "leaky_relu": [[_N, -_INF, _INF, 0.0]],
    "gelu": [[_N, -_INF, _INF, 0.0]],
    "gelu_tanh": [[_N, -_INF, _INF, 0.0]],
    "silu": [[_N, -_INF, _INF, 0.0]],
    "softplus": [[_N, -_INF, _INF, 0.0]],
    "erf": [[_N, -_INF, _INF, 0.0]],
    "elu": [[_N, -_INF, _INF, 0.0]],
    "selu": [[_N, -_INF, _INF, 0.0]],
    "celu": [[_N, -_INF, _INF, 0.0]],
    "mish": [[_N, -_INF, _INF, 0.0]],
    "hardtanh": [[_N, -_INF, _INF, 0.0]],
    "relu6": [[_N, -_INF, _INF, 0.0]],
    "hardsigmoid": [[_N, -_INF, _INF, 0.0]],
    "hardswish": [[_N, -_INF, _INF, 0.0]],
    "log_sigmoid": [[_N, -_INF, _INF, 0.0]],
    "softsign": [[_N, -_INF, _INF, 0.0]],
    "log1p": [[_N, -_INF, _INF, 0.0]],
    "expm1": [[_N, -_INF, _INF, 0.0]],
    "rsqrt": [[_N, -_INF, _INF, 0.0]],
    "reciprocal": [[_N, -_INF, _INF, 0.0]],
    "square": [[_N, -_INF, _INF, 0.0]],
    "sin": [[_N, -_INF, _INF, 0.0]],
    "atan": [[_N, -_INF, _INF, 0.0]],
    "sinh": [[_N, -_INF, _INF, 0.0]],
    "cosh": [[_N, -_INF, _INF, 0.0]],
    "asinh": [[_N, -_INF, _INF, 0.0]],
    "atanh": [[_N, -_INF, _INF, 0.0]],
    "acosh": [[_N, -_INF, _INF, 0.0]],
    "floor": [[_N, -_INF, _INF, 0.0]],
    "frac": [[_N, -_INF, _INF, 0.0]],
    "trunc": [[_N, -_INF, _INF, 0.0]],
    "exp2": [[_N, -_INF, _INF, 0.0]],
    "log2": [[_N, -_INF, _INF, 0.0]],
    "powf": [[_N, -_INF, _INF, 0.0]],
    "powf_neg": [[_N, -_INF, _INF, 0.0]],
    "rdiv_scalar": [[_N, -_INF, _INF, 0.0]],
    "neg": [[_N, -_INF, _INF, 0.0]],
    "add": [[_INF, _N, 1.0], [-_INF, 1.0, _INF]],
    "sub": [[_INF, _N, 1.0], [_INF, 1.0, -_INF]],
    "mul": [[0.0, _N, 2.0, -_INF], [_INF, 1.0, _INF, 3.0]],
    "div": [[0.0, 1.0, _INF, _N, 2.0], [0.0, 0.0, _INF, 1.0, _INF]],
    "pow": [[_INF, 0.0, _INF, _N, 2.0], [0.0, -1.0, 2.0, 0.0, _INF]],
    "atan2": [[_INF, _INF, 1.0, _N], [_INF, 1.0, -_INF, 1.0]],
    "lerp": [[_INF, 1.0, _N], [1.0, _INF, 0.0]],
    "sum": [[[1.0, _INF], [-_INF, 2.0]]],
    "mean": [[[1.0, _INF], [_N, 2.0]]],
    "var_all": [[[1.0, _INF], [0.0, 2.0]]],
    "norm2": [[[1.0, _INF], [0.0, 2.0]]],
    "norm1_dim": [[[1.0, -_INF], [_N, 2.0]]],
    "norm_inf": [[[[1.0, -_INF], [0.0, 2.0]], [[_N, 1.0], [0.0, 0.5]]]],
    "log_softmax_last": [[[-_INF, 0.0, 1.0], [-_INF, -_INF, 2.0], [_INF, 0.0, 1.0]]],
    "cross_entropy": [[[0.0, -_INF, 1.0], [2.0, -_INF, -_INF], [-_INF, 0.5, 0.0], [1.0, 0.0, _INF]]],
    "nll_none": [[[0.0, -_INF, 1.0], [2.0, -_INF, -_INF], [-_INF, 0.5, 0.0]]],
    "mse": [[[1.0, _INF], [_N, 2.0]], [[0.0, 1.0], [1.0, _INF]]],
    "l1_none": [[[1.0, _INF], [_N, 2.0]], [[0.0, 1.0], [1.0, _INF]]],
    "smooth_l1": [[[1.0, _INF], [_N, 2.0]], [[0.0, 1.0], [1.0, _INF]]],
    "huber_sum": [[[1.0, _INF], [_N, 2.0]], [[0.0, 1.0], [1.0, _INF]]],
    "kl_div": [[[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 1.0, 2.0]],
               [[-_INF, 0.0, 1.0, -_INF], [0.0, 0.0, 0.0, 0.0], [-_INF, -_INF, -_INF, 0.0]]],
    "where_cond": [[1.0, -1.0, _N, 2.0], [_N, _INF, 3.0, -_INF]],
    "matmul_2d": [[[1.0, 0.0], [_INF, 1.0]], [[0.0, 1.0], [2.0, _N]]],
    "sum_dim0": [[[1.0, _INF], [_N, 2.0], [-_INF, _INF]]],
    "mean_dim1": [[[1.0, _INF], [_N, 2.0], [-_INF, _INF]]],
    "var_dim1_unbiased": [[[1.0, _INF, 0.0], [_N, 2.0, 1.0], [-_INF, 1.0, 2.0]]],
    "logsumexp0_keep": [[[[_INF, -_INF], [0.0, _N]], [[_INF, -_INF], [1.0, 2.0]]]],
    "softmax0": [[[[_INF, -_INF], [0.0, _N]], [[1.0, -_INF], [1.0, 2.0]]]],
    "amin_keep": [[[[1.0, -_INF], [_N, 2.0]], [[0.0, 3.0], [1.0, 2.0]]]],
    "sort_desc0": [[[2.0, _N], [_INF, 0.0], [-_INF, _N]]],
    # (One NaN per column: which of two NaNs PyTorch's `topk` picks is `nth_element`'s choice.)
    "topk_smallest": [[[2.0, _N, 1.0], [_INF, 0.0, -_INF], [-_INF, 3.0, 0.5], [0.0, 1.0, _N]]],
    "max_dim_indices": [[[2.0, _N, 1.0], [_INF, 0.0, -_INF], [-_INF, _N, 0.5]]],
    "min_dim_indices_keep": [[[2.0, _N, 1.0], [_INF, 0.0, -_INF], [-_INF, 3.0, 0.5]]],
    "argmin_keep": [[[2.0, _N, 1.0], [_INF, 0.0, -_INF], [-_INF, 3.0, 0.5]]],
    "masked_fill": [[[_N, 1.0], [_INF, -_INF]]],
    "outer": [[1.0, _INF, 0.0], [_N, 2.0]],
    "dot": [[1.0, _INF, 0.0], [2.0, 1.0, 3.0]],
    "bmm": [[[[1.0, _INF]], [[0.0, _N]]], [[[1.0], [0.0]], [[2.0], [1.0]]]],
    "max_pool2d": [[[[[1.0, _N, 3.0, 0.0], [_INF, 2.0, -_INF, 1.0]]]]],
    "avg_pool2d": [[[[[1.0, _N, 3.0, 0.0], [_INF, 2.0, -_INF, 1.0], [0.0, 1.0, 2.0, 3.0]]]]],
    "adaptive_avg_pool2d": [[[[[1.0, _N, 3.0, 0.0], [_INF, 2.0, -_INF, 1.0], [0.0, 1.0, 2.0, 3.0]]]]],
    "group_norm": [[[[1.0, _INF, 0.0], [2.0, 1.0, 0.5], [_N, 1.0, 2.0], [0.0, 1.0, 3.0]]],
                   [1.0, 2.0, 0.5, 1.0], [0.0, 0.1, 0.2, 0.3]],
    "batch_norm_1d": [[[1.0, _INF], [2.0, 1.0], [_N, 0.5], [0.0, 3.0]], [1.0, 2.0], [0.0, 0.5]],
    "ce_probs": [[[0.0, -_INF, 1.0], [2.0, -_INF, -_INF], [-_INF, 0.5, 0.0], [1.0, 0.0, 2.0]],
                 [[0.0, 1.0, 2.0], [1.0, 0.0, 0.0], [0.5, 0.5, 1.0], [0.0, 0.0, 0.0]]],
    "kl_div_log": [[[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 1.0, 2.0]],
                   [[-_INF, 0.0, 1.0, -_INF], [0.0, 0.0, 0.0, 0.0], [-_INF, -_INF, -_INF, 0.0]]],
    "bce": [[[_INF, -_INF], [0.0, 40.0], [-40.0, 1.0]], [[1.0, -1.0], [1.0, -1.0], [1.0, 1.0]]],
    "ce_weighted": [[[0.0, -_INF, 1.0], [2.0, -_INF, -_INF], [-_INF, 0.5, 0.0], [1.0, 0.0, 2.0]], [1.0, -1.0, 2.0]],
    "ce_ignore_smooth": [[[0.0, -_INF, 1.0], [-_INF, 1.0, 0.0], [-_INF, 0.5, 0.0], [1.0, 0.0, 2.0]]],
    "ce_mean_weighted_smooth": [[[0.0, -_INF, 1.0], [-_INF, 1.0, 0.0], [-_INF, 0.5, 0.0], [1.0, 0.0, 2.0]],
                                [1.0, -1.0, 2.0]],
}.items()}
# Cross-entropy whose mean divides by a total weight of 0: every target ignored (PyTorch:
# loss NaN, gradient 0), or the classes of the counted targets weighted 0 (gradient NaN in
# their rows, 0 in the ignored one).
NONFINITE["ce_all_ignored"] = (lambda a: F.cross_entropy(a, torch.tensor([-100, -100])),
                               [[[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]]])
NONFINITE["ce_zero_weight"] = (lambda a: F.cross_entropy(a, torch.tensor([0, -100, 1]),
                                                         weight=torch.tensor([0.0, 0.0, 1.0])),
                               [[[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.0, 1.0, 2.0]]])


def _enc(v):
    return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def fixed_cases(table, seed):
    """Value and vector-Jacobian product of each case of `table` (op: (fn, inputs as nested
    lists)), with a generator of its own for the upstream gradients."""
    gk = torch.Generator().manual_seed(seed)
    cases = []
    for op, (fn, values) in table.items():
        xs = [torch.tensor(v).requires_grad_(True) for v in values]
        y = fn(*xs)
        u = torch.randn(y.shape, generator=gk)
        grads = torch.autograd.grad(y, xs, u, allow_unused=True)
        grads = [gr if gr is not None else torch.zeros_like(x) for gr, x in zip(grads, xs)]
        flat = lambda t: [_enc(float(v)) for v in t.detach().reshape(-1).tolist()]
        cases.append({
            "name": f"{op} at {values}",
            "op": op,
            "inputs": [{"shape": list(x.shape), "data": flat(x)} for x in xs],
            "output": {"shape": list(y.shape), "data": flat(y)},
            "upstream": flat(u),
            "grads": [flat(gr) for gr in grads],
        })
    return cases


def sample(shape, kind):
    if kind == "wide":
        return torch.randn(shape, generator=g) * 4.0
    if kind == "unit":
        return torch.rand(shape, generator=g) * 1.8 - 0.9
    if kind == "above1":
        return torch.rand(shape, generator=g) * 2.0 + 1.1
    if kind == "positive":
        return torch.rand(shape, generator=g) * 1.5 + 0.5
    if kind == "big":
        return torch.randn(shape, generator=g) * 30.0
    return torch.randn(shape, generator=g)


def record(name, op, fn, inputs):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(*xs)
    u = torch.randn(y.shape, generator=g)
    grads = torch.autograd.grad(y, xs, u, create_graph=True, allow_unused=True)
    grads = [gr if gr is not None else torch.zeros_like(x) for gr, x in zip(grads, xs)]
    ws = [torch.randn(x.shape, generator=g) for x in xs]
    inner = sum((gr * w).sum() for gr, w in zip(grads, ws))
    if inner.requires_grad and op in PIECEWISE_LINEAR:
        # PyTorch has no double backward for these; their gradient is piecewise constant.
        second = [torch.zeros_like(x) for x in xs]
    elif inner.requires_grad:
        second = torch.autograd.grad(inner, xs, allow_unused=True)
        second = [s if s is not None else torch.zeros_like(x) for s, x in zip(second, xs)]
    else:
        second = [torch.zeros_like(x) for x in xs]
    def flat(t):
        t = t.detach()
        if t._is_zerotensor():  # PyTorch's lazy zeros (e.g. second derivative of a linear op)
            t = torch.zeros(t.shape)
        return [float(v) for v in t.reshape(-1).tolist()]

    return {
        "name": name,
        "op": op,
        "inputs": [{"shape": list(x.shape), "data": flat(x)} for x in inputs],
        "output": {"shape": list(y.shape), "data": flat(y)},
        "upstream": flat(u),
        "grads": [flat(gr) for gr in grads],
        "weights": [flat(w) for w in ws],
        "second": [flat(s) for s in second],
    }


def main():
    cases = []
    for op, fn in UNARY.items():
        kind = "positive" if op in POSITIVE else "normal"
        for shape in UNARY_SHAPES:
            cases.append(record(f"{op}{shape}", op, fn, [sample(shape, kind)]))
    for op, fn in BINARY.items():
        for sa, sb in BINARY_SHAPES:
            a = sample(sa, "normal")
            b = sample(sb, "positive" if op == "div" else "normal")
            cases.append(record(f"{op}{sa}{sb}", op, fn, [a, b]))
    for op, (fn, shapes) in OTHER.items():
        if shapes == "big":
            cases.append(record(op, op, fn, [sample([4, 5], "big")]))
            continue
        cases.append(record(f"{op}{shapes}", op, fn, [sample(s, "normal") for s in shapes]))
    for op, (fn, kind) in UNARY_V2.items():
        for shape in UNARY_SHAPES:
            cases.append(record(f"{op}{shape}", op, fn, [sample(shape, kind)]))
    for op, (fn, ka, kb) in BINARY_V2.items():
        for sa, sb in BINARY_SHAPES:
            cases.append(record(f"{op}{sa}{sb}", op, fn, [sample(sa, ka), sample(sb, kb)]))
    for op, (fn, shapes) in OTHER_V2.items():
        cases.append(record(f"{op}{shapes}", op, fn, [sample(sh, "normal") for sh in shapes]))
    for op, (fn, shape_sets) in OTHER_V3.items():
        for shapes in shape_sets:
            name = f"{op}{shapes}"
            cases.append(record(name, op, fn, [sample(sh, "normal") for sh in shapes]))
    for op, (fn, shape_sets) in OTHER_V4.items():
        for shapes in shape_sets:
            cases.append(record(f"{op}{shapes}", op, fn, [sample(sh, "normal") for sh in shapes]))
    every_op = {**UNARY, **BINARY, **{op: fn for op, (fn, _) in OTHER.items()},
                **{op: fn for op, (fn, _) in UNARY_V2.items()}, **{op: fn for op, (fn, _, _) in BINARY_V2.items()},
                **{op: fn for op, (fn, _) in OTHER_V2.items()}, **{op: fn for op, (fn, _) in OTHER_V3.items()}}
    for op, (fn, kind) in UNARY_V2.items():
        cases.append(record(f"{op}[0, 3]", op, fn, [sample([0, 3], kind)]))
    for op, (fn, ka, kb) in BINARY_V2.items():
        cases.append(record(f"{op}[0, 3][3]", op, fn, [sample([0, 3], ka), sample([3], kb)]))
    for op, shapes in EMPTY_OTHER.items():
        cases.append(record(f"{op}{shapes}", op, every_op[op], [sample(sh, "normal") for sh in shapes]))
    for op, (fn, shapes) in EMPTY_INDEXED.items():
        cases.append(record(f"{op}{shapes}", op, fn, [sample(sh, "normal") for sh in shapes]))
    for op, shape_sets in SMALL_SHAPES.items():
        for shapes in shape_sets:
            cases.append(record(f"{op}{shapes}", op, every_op[op], [sample(sh, "normal") for sh in shapes]))
    for op, (fn, shapes) in SAME_WINDOWS.items():
        cases.append(record(f"{op}{shapes}", op, fn, [sample(sh, "normal") for sh in shapes]))
    for op, (fn, shapes) in EINSUM_V2.items():
        cases.append(record(f"{op}{shapes}", op, fn, [sample(sh, "normal") for sh in shapes]))
    meta = {"torch": torch.__version__, "generator": "scripts/gen_fixtures.py"}
    path = os.path.join("tests", "fixtures", "ops.json")
    with open(path, "w") as f:
        json.dump({"meta": meta, "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {path}")
    kinks = fixed_cases(KINKS, 4321)
    path = os.path.join("tests", "fixtures", "kinks.json")
    with open(path, "w") as f:
        json.dump({"meta": meta, "cases": kinks}, f)
    print(f"wrote {len(kinks)} cases to {path}")
    nonfinite = fixed_cases(NONFINITE, 8765)
    path = os.path.join("tests", "fixtures", "nonfinite.json")
    with open(path, "w") as f:
        json.dump({"meta": meta, "cases": nonfinite}, f)
    print(f"wrote {len(nonfinite)} cases to {path}")


if __name__ == "__main__":
    main()
