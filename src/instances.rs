//! Unoptimised builds of this repository's tests, doctests and examples: compiles the public
//! API for each element type once, here (the `instances` feature, which only the crate's own
//! dev-dependency on itself turns on).
//!
//! Almost all of tapegrad is generic over the element type, so a crate that calls
//! `Tensor::<f32>::exp` compiles its own copy of `exp`, with every closure and iterator
//! adapter beneath it. In unoptimised builds rustc shares generic instances between crates: a
//! copy made in this crate is linked instead of made again. [`instances`] names the public
//! functions for the element types users write, so the seven test binaries and the merged
//! doctests reuse one copy instead of each compiling its own. The merged doctests compiled
//! in 6.0 s without it and in 1.9 s with it, the `suite` test binary in 45 s and 10 s
//! (BENCHMARKS.md, "Build and test times").
//!
//! Optimised builds make their own copies anyway (rustc shares nothing there), so this is
//! compiled out of them, and out of every crate that depends on tapegrad (their debug builds
//! would pay for the whole API where they use a part). A function left off the list still
//! works; it is compiled where it is used.

use crate::nn::{self, Module};
use crate::optim::{self, LrScheduler, Optimizer};
use crate::{Element, Float, Tensor, loss};

/// Appends the address of each listed function (naming it is what makes rustc compile it).
macro_rules! fns {
    ($v:ident; $($f:expr),* $(,)?) => {
        $v.extend([$($f as *const ()),*])
    };
}

/// Appends the address of each listed method of `$ty`.
macro_rules! methods {
    ($v:ident, $ty:ty; $($m:ident),* $(,)?) => {
        $v.extend([$(<$ty>::$m as *const ()),*])
    };
}

/// The addresses of the functions compiled here; never called, only linked.
#[doc(hidden)]
pub fn instances() -> Vec<*const ()> {
    let mut v = Vec::new();
    element::<f32>(&mut v);
    element::<f64>(&mut v);
    element::<i64>(&mut v);
    element::<bool>(&mut v);
    float::<f32>(&mut v);
    float::<f64>(&mut v);
    layers::<f32>(&mut v);
    layers::<f64>(&mut v);
    training::<f32>(&mut v);
    training::<f64>(&mut v);
    methods!(v, Tensor<bool>; logical_not, any, all, any_dim, all_dim, sum, sum_dim);
    methods!(v, Tensor<i64>; sum, sum_dim);
    fns!(v; crate::one_hot);
    v
}

/// Methods that exist for every element type.
fn element<T: Element>(v: &mut Vec<*const ()>) {
    methods!(v, Tensor<T>;
        dtype, count_nonzero, nonzero, cat, stack, flip, movedim, diagonal, roll, repeat,
        tile, masked_fill, masked_select, view, contiguous, reshape, flatten, squeeze,
        unsqueeze, permute, transpose, t, broadcast_to, expand, narrow, slice, select, chunk,
        split, unbind, sort, argsort, topk, kthvalue, from_vec, try_from_vec, from_array,
        scalar, zeros, ones, full, zeros_like, ones_like, arange, eye, is_requires_grad,
        is_leaf, shape, ndim, numel, to_vec, item, to_array, data, data_mut, detach, same,
        shares_storage, is_contiguous, stride, storage_offset, version);
    fns!(v;
        Tensor::<T>::cast::<f32>, Tensor::<T>::cast::<f64>, Tensor::<T>::cast::<i64>,
        Tensor::<T>::cast::<bool>, Tensor::<T>::index_select::<[usize]>,
        Tensor::<T>::index_select::<Tensor<i64>>, Tensor::<T>::gather::<Tensor<i64>>,
        Tensor::<T>::scatter::<Tensor<i64>>, Tensor::<T>::index_fill::<Tensor<i64>>,
        Tensor::<T>::i::<usize>, Tensor::<T>::i::<std::ops::Range<usize>>,
        Tensor::<T>::eq::<T>, Tensor::<T>::eq::<&Tensor<T>>, Tensor::<T>::ne::<T>,
        Tensor::<T>::ne::<&Tensor<T>>, Tensor::<T>::lt::<T>, Tensor::<T>::lt::<&Tensor<T>>,
        Tensor::<T>::le::<T>, Tensor::<T>::le::<&Tensor<T>>, Tensor::<T>::gt::<T>,
        Tensor::<T>::gt::<&Tensor<T>>, Tensor::<T>::ge::<T>, Tensor::<T>::ge::<&Tensor<T>>,
        <Tensor<T> as std::fmt::Display>::fmt, <Tensor<T> as std::fmt::Debug>::fmt,
    );
    fns!(v; select::<T>);
}

/// Methods of float tensors (autograd and the differentiable ops).
fn float<T: Float>(v: &mut Vec<*const ()>) {
    methods!(v, Tensor<T>;
        backward, try_backward, backward_with, try_backward_with, to_dot, isnan, isinf,
        isfinite, allclose, add, sub, mul, div, maximum, minimum, pow, pow_scalar, atan2,
        fmod, fmod_scalar, remainder, remainder_scalar, lerp, unfold2d, fold2d, add_, sub_,
        mul_, div_, add_scalar_, mul_scalar_, clamp_, fill_, zero_, copy_, masked_fill_,
        matmul, outer, dot, bmm, addmm, trace, diag, tril, triu, pad, sum, mean, sum_dim,
        mean_dim, max_dim, min_dim, max_dim_indices, min_dim_indices, argmax, argmin,
        var_dim, logsumexp, sum_dims, mean_dims, amax, amin, max, min, var, std, std_dim,
        norm, cumsum, cumprod, logcumsumexp, prod_dim, prod, softmax, log_softmax, exp, log,
        sqrt, abs, square, relu, leaky_relu, sigmoid, tanh, gelu, gelu_tanh, silu, softplus,
        clamp, powf, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log1p,
        expm1, log2, log10, exp2, rsqrt, reciprocal, sign, floor, ceil, round, trunc, frac,
        log_sigmoid, softsign, relu6, selu, mish, hardsigmoid, hardswish, elu, celu,
        hardtanh, linspace, requires_grad, grad, zero_grad);
    fns!(v;
        Tensor::<T>::scatter_add::<Tensor<i64>>, Tensor::<T>::index_add::<Tensor<i64>>,
        Tensor::<T>::rand::<rand::rngs::StdRng>, Tensor::<T>::randn::<rand::rngs::StdRng>,
        <&Tensor<T> as std::ops::Add<&Tensor<T>>>::add,
        <&Tensor<T> as std::ops::Sub<&Tensor<T>>>::sub,
        <&Tensor<T> as std::ops::Mul<&Tensor<T>>>::mul,
        <&Tensor<T> as std::ops::Div<&Tensor<T>>>::div,
        <&Tensor<T> as std::ops::Add<T>>::add, <&Tensor<T> as std::ops::Sub<T>>::sub,
        <&Tensor<T> as std::ops::Mul<T>>::mul, <&Tensor<T> as std::ops::Div<T>>::div,
        <&Tensor<T> as std::ops::Neg>::neg,
        crate::einsum::<T>, crate::grad::<T>, crate::grad_with::<T>,
        loss::mse::<T>, loss::l1::<T>, loss::huber::<T>, loss::bce_with_logits::<T>,
        loss::cross_entropy::<T, [usize]>, loss::cross_entropy::<T, Tensor<i64>>,
        loss::nll::<T, [usize]>, loss::nll::<T, Tensor<i64>>, loss::mse_with::<T>,
        loss::l1_with::<T>, loss::smooth_l1::<T>, loss::bce::<T>, loss::kl_div::<T>,
        nn::functional::conv1d::<T>,
        nn::functional::batch_norm::<T>, nn::functional::layer_norm::<T>,
        nn::functional::linear::<T>, nn::functional::embedding::<T>,
        nn::functional::scaled_dot_product_attention::<T>,
    );
    #[cfg(feature = "csv")]
    fns!(v; load_csv::<T>);
}

/// The layers' `Module` methods.
fn layers<T: Float>(v: &mut Vec<*const ()>) {
    macro_rules! modules {
        ($($m:ty),* $(,)?) => {$(
            fns!(v;
                <$m as Module<T>>::forward, <$m as Module<T>>::parameters,
                <$m as Module<T>>::named_parameters, <$m as Module<T>>::state_dict,
                <$m as Module<T>>::summary,
            );
        )*};
    }
    modules!(
        nn::Linear<T>,
        nn::Conv1d<T>,
        nn::Conv2d<T>,
        nn::MaxPool1d,
        nn::MaxPool2d,
        nn::AvgPool1d,
        nn::AvgPool2d,
        nn::AdaptiveAvgPool2d,
        nn::BatchNorm1d<T>,
        nn::BatchNorm2d<T>,
        nn::GroupNorm<T>,
        nn::LayerNorm<T>,
        nn::Embedding<T>,
        nn::Dropout,
        nn::Flatten,
        nn::Identity,
        nn::Sequential<T>,
        nn::ReLU,
        nn::Tanh,
        nn::Sigmoid,
        nn::GELU,
        nn::SiLU,
        nn::Rnn<T>,
        nn::Gru<T>,
        nn::Lstm<T>,
        nn::MultiheadAttention<T>,
        nn::TransformerEncoderLayer<T>,
    );
    fns!(v;
        nn::Linear::<T>::new::<rand::rngs::StdRng>, nn::Lstm::<T>::forward_with_state,
        nn::Gru::<T>::forward_with_state, nn::Rnn::<T>::forward_with_state,
        nn::MultiheadAttention::<T>::forward_qkv,
    );
}

/// Optimizers and schedules.
fn training<T: Float>(v: &mut Vec<*const ()>) {
    macro_rules! optimizers {
        ($($o:ty),* $(,)?) => {$(
            fns!(v; <$o as Optimizer>::step, <$o as Optimizer>::zero_grad);
        )*};
    }
    optimizers!(
        optim::Sgd<T>,
        optim::Adam<T>,
        optim::AdamW<T>,
        optim::RmsProp<T>,
        optim::Adagrad<T>,
        optim::Adadelta<T>,
        optim::Adamax<T>,
        optim::NAdam<T>,
        optim::RAdam<T>,
        optim::Lbfgs<T>,
    );
    fns!(v;
        optim::clip_grad_norm::<T>, <optim::StepLr as LrScheduler>::step,
        <optim::CosineAnnealingLr as LrScheduler>::step,
    );
}

// Functions with `impl Trait` arguments cannot be named with types; these call them with the
// common ones.

fn select<T: Element>(cond: &Tensor<bool>, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    cond.where_cond(a, b)
}

#[cfg(feature = "csv")]
fn load_csv<T: Float>(path: &str, header: bool) -> crate::Result<crate::data::Csv<T>> {
    crate::data::load_csv(path, header)
}
