//! The layers as functions, PyTorch's `torch.nn.functional`: each takes its weights as
//! arguments. They are compositions of differentiable tensor ops (convolution is one op whose
//! backward is its two adjoint ops, pooling a pick or a mean over windows), so every
//! gradient, and every second derivative, comes from those ops.

pub use super::attention::scaled_dot_product_attention;
use crate::{Float, Tensor, Windows};

/// A size per spatial dim: `(h, w)`, or one `usize` for both.
pub trait Size2 {
    /// The `(h, w)` pair.
    fn pair(self) -> (usize, usize);
}

impl Size2 for usize {
    fn pair(self) -> (usize, usize) {
        (self, self)
    }
}

impl Size2 for (usize, usize) {
    fn pair(self) -> (usize, usize) {
        self
    }
}

/// Every window of `x` (`[N, C, H, W]`) as columns `[N, C, kh·kw, oh·ow]`, zeros in the
/// padding; and the output size.
#[track_caller]
fn windows_of<T: Float>(op: &str, x: &Tensor<T>, w: Windows) -> (Tensor<T>, usize, usize) {
    let (oh, ow) = output_size(op, x, w);
    let (n, c) = (x.shape()[0] as isize, x.shape()[1] as isize);
    let cols = x.unfold2d(w);
    let taps = (w.kernel.0 * w.kernel.1) as isize;
    (cols.reshape(&[n, c, taps, (oh * ow) as isize]), oh, ow)
}

/// The `(oh, ow)` of windows `w` over the `[N, C, H, W]` input `x`.
///
/// # Panics
/// If `x` is not 4-D or the windows do not fit it.
#[track_caller]
fn output_size<T: Float>(op: &str, x: &Tensor<T>, w: Windows) -> (usize, usize) {
    let s = x.shape();
    let counts = (s.len() == 4).then(|| w.count((s[2], s[3]))).flatten();
    let Some(size) = counts else {
        panic!(
            "tapegrad: {op}: a window of {:?} (dilation {:?}) with padding {:?} and stride {:?} \
             does not fit input of shape {s:?}",
            w.kernel, w.dilation, w.padding, w.stride
        );
    };
    size
}

/// 2-D convolution, as `F.conv2d`: `x` `[N, C, H, W]` (or unbatched `[C, H, W]`), `weight`
/// `[O, C/groups, kh, kw]`, `bias` `[O]`; the result is `[N, O, oh, ow]` (`[O, oh, ow]`).
///
/// # Panics
/// If the shapes do not fit (channels, groups, a window larger than the padded input).
///
/// ```
/// use tapegrad::{nn::functional::conv2d, Tensor};
/// let x = Tensor::<f32>::ones(&[1, 1, 3, 3]);
/// let w = Tensor::<f32>::ones(&[1, 1, 2, 2]);
/// let y = conv2d(&x, &w, None, 1, 0, 1, 1);
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y.to_vec(), vec![4.0; 4]);
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn conv2d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    stride: impl Size2,
    padding: impl Size2,
    dilation: impl Size2,
    groups: usize,
) -> Tensor<T> {
    if x.ndim() == 3 {
        // An unbatched image [C, H, W], as PyTorch takes it: a batch of one.
        let y = conv2d(
            &x.unsqueeze(0),
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
        );
        return y.squeeze(0);
    }
    let ws = weight.shape();
    if ws.len() != 4 || x.ndim() != 4 {
        panic!(
            "tapegrad: conv2d: expects input [N, C, H, W] and weight [O, C/groups, kh, kw], got \
             shapes {:?} and {ws:?}",
            x.shape()
        );
    }
    let c = x.shape()[1];
    let (o, cg) = (ws[0], ws[1]);
    if groups == 0 || c != cg * groups || o % groups != 0 {
        panic!(
            "tapegrad: conv2d: input of shape {:?} has {c} channels, but weight of shape {ws:?} \
             with groups = {groups} expects {}",
            x.shape(),
            cg * groups
        );
    }
    let window = Windows {
        kernel: (ws[2], ws[3]),
        stride: stride.pair(),
        padding: padding.pair(),
        dilation: dilation.pair(),
    };
    // Panics, naming the shapes, when the windows do not fit the input.
    output_size("conv2d", x, window);
    let y = crate::ops::conv::conv2d(x, weight, window, groups);
    match bias {
        Some(b) => y + b.reshape(&[o as isize, 1, 1]),
        None => y,
    }
}

/// 1-D convolution, as `F.conv1d`: `x` `[N, C, L]` (or unbatched `[C, L]`), `weight`
/// `[O, C/groups, k]`.
///
/// ```
/// use tapegrad::{nn::functional::conv1d, Tensor};
/// let x = Tensor::<f32>::ones(&[2, 3, 10]);
/// let w = Tensor::<f32>::ones(&[4, 3, 3]);
/// assert_eq!(conv1d(&x, &w, None, 2, 1, 1, 1).shape(), &[2, 4, 5]);
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn conv1d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
) -> Tensor<T> {
    if x.ndim() == 2 {
        // An unbatched signal [C, L]: a batch of one.
        let y = conv1d(
            &x.unsqueeze(0),
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
        );
        return y.squeeze(0);
    }
    if x.ndim() != 3 || weight.ndim() != 3 {
        panic!(
            "tapegrad: conv1d: expects input [N, C, L] and weight [O, C/groups, k], got shapes \
             {:?} and {:?}",
            x.shape(),
            weight.shape()
        );
    }
    let y = conv2d(
        &x.unsqueeze(2),
        &weight.unsqueeze(2),
        bias,
        (1, stride),
        (0, padding),
        (1, dilation),
        groups,
    );
    y.squeeze(2)
}

/// 2-D max pooling, as `F.max_pool2d` (padding counts as −∞; the gradient goes to the
/// first largest element of each window, as PyTorch's).
///
/// ```
/// use tapegrad::{nn::functional::max_pool2d, Tensor};
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]);
/// assert_eq!(max_pool2d(&x, 2, 2, 0).to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
#[track_caller]
pub fn max_pool2d<T: Float>(
    x: &Tensor<T>,
    kernel: impl Size2,
    stride: impl Size2,
    padding: impl Size2,
) -> Tensor<T> {
    if x.ndim() == 3 {
        // Unbatched [C, H, W]: a batch of one.
        return max_pool2d(&x.unsqueeze(0), kernel, stride, padding).squeeze(0);
    }
    pool2d(
        "max_pool2d",
        x,
        kernel.pair(),
        stride.pair(),
        padding.pair(),
        true,
    )
}

/// 2-D average pooling, as `F.avg_pool2d` (padding counts as zeros in the average, PyTorch's
/// default `count_include_pad=True`).
///
/// ```
/// use tapegrad::{nn::functional::avg_pool2d, Tensor};
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]);
/// assert_eq!(avg_pool2d(&x, 2, 2, 0).to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
/// ```
#[track_caller]
pub fn avg_pool2d<T: Float>(
    x: &Tensor<T>,
    kernel: impl Size2,
    stride: impl Size2,
    padding: impl Size2,
) -> Tensor<T> {
    if x.ndim() == 3 {
        // Unbatched [C, H, W]: a batch of one.
        return avg_pool2d(&x.unsqueeze(0), kernel, stride, padding).squeeze(0);
    }
    pool2d(
        "avg_pool2d",
        x,
        kernel.pair(),
        stride.pair(),
        padding.pair(),
        false,
    )
}

#[track_caller]
fn pool2d<T: Float>(
    op: &str,
    x: &Tensor<T>,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    max: bool,
) -> Tensor<T> {
    if padding.0 * 2 > kernel.0 || padding.1 * 2 > kernel.1 {
        panic!("tapegrad: {op}: padding {padding:?} must be at most half the kernel {kernel:?}");
    }
    let window = Windows {
        kernel,
        stride,
        padding,
        dilation: (1, 1),
    };
    if max {
        return max_pool2d_picks(x, window);
    }
    // Average: padding counts as zeros.
    let (cols, oh, ow) = windows_of(op, x, window);
    let s = x.shape();
    cols.mean_dim(2, false)
        .reshape(&[s[0] as isize, s[1] as isize, oh as isize, ow as isize])
}

/// Max pooling as a gather: each window's largest element is found in one pass over the
/// input (its first position on ties; NaN wins, as in PyTorch's kernel; positions in the
/// padding never do), then picked with `gather`, whose backward adds each output's gradient
/// at its position (summing where windows overlap) and is itself differentiable. No column
/// copy of the input is made.
#[track_caller]
fn max_pool2d_picks<T: Float>(x: &Tensor<T>, w: Windows) -> Tensor<T> {
    let (oh, ow) = output_size("max_pool2d", x, w);
    let s = x.shape();
    let (n, c, h, wd) = (s[0], s[1], s[2], s[3]);
    let x = x.contiguous();
    let mut picks = Vec::with_capacity(n * c * oh * ow);
    {
        let data = x.data();
        let values = data.as_slice().expect("contiguous");
        // Window rows and columns inside the image (padding taps never win).
        let span = |o: usize, stride: usize, pad: usize, k: usize, len: usize| {
            let start = (o * stride) as isize - pad as isize;
            let lo = start.max(0) as usize;
            let hi = ((start + k as isize).min(len as isize)).max(0) as usize;
            lo..hi
        };
        // The common MaxPool2d(2): pairs of pairs, so each pick is a short tournament (the
        // same winner as the scan below: first maximum, last NaN) instead of a chain of four.
        let halves = w.kernel == (2, 2) && w.stride == (2, 2) && w.padding == (0, 0);
        let pick = |(i, a): (usize, T), (j, b): (usize, T)| {
            if b > a || b.is_nan() { (j, b) } else { (i, a) }
        };
        // Without NaN (one vector pass to check), the same winners come from comparisons
        // turned into integers: no branch on which element wins, which is data, not a
        // pattern the branch predictor could learn (this pick was 9% of a CNN step).
        let nan_free = halves && !crate::ops::simd::any_beyond(values, T::infinity());
        for plane in values.chunks_exact((h * wd).max(1)).take(n * c) {
            if halves {
                for oy in 0..oh {
                    let (top, bottom) = (2 * oy * wd, (2 * oy + 1) * wd);
                    let rows = (&plane[top..top + 2 * ow], &plane[bottom..bottom + 2 * ow]);
                    let pairs = rows.0.chunks_exact(2).zip(rows.1.chunks_exact(2));
                    if nan_free {
                        picks.extend(pairs.enumerate().map(|(ox, (u, l))| {
                            // Strict `>`: on a tie the earlier element (left, upper) wins.
                            let (ru, rl) = ((u[1] > u[0]) as usize, (l[1] > l[0]) as usize);
                            let (mu, ml) = (u[0].max(u[1]), l[0].max(l[1]));
                            let (iu, il) = (top + 2 * ox + ru, bottom + 2 * ox + rl);
                            iu + (ml > mu) as usize * (il - iu)
                        }));
                    } else {
                        picks.extend(pairs.enumerate().map(|(ox, (u, l))| {
                            let (i, j) = (top + 2 * ox, bottom + 2 * ox);
                            let upper = pick((i, u[0]), (i + 1, u[1]));
                            let lower = pick((j, l[0]), (j + 1, l[1]));
                            pick(upper, lower).0
                        }));
                    }
                }
                continue;
            }
            for oy in 0..oh {
                let rows = span(oy, w.stride.0, w.padding.0, w.kernel.0, h);
                for ox in 0..ow {
                    let cols = span(ox, w.stride.1, w.padding.1, w.kernel.1, wd);
                    let (mut at, mut best) = (rows.start * wd + cols.start, T::neg_infinity());
                    for r in rows.clone() {
                        let from = r * wd + cols.start;
                        for (j, &v) in plane[from..r * wd + cols.end].iter().enumerate() {
                            // Without branches: which element wins is data, not a pattern.
                            let take = v > best || v.is_nan();
                            at = if take { from + j } else { at };
                            best = T::select(take, v, best);
                        }
                    }
                    picks.push(at);
                }
            }
        }
    }
    let index =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n, c, oh * ow]), picks).expect("count");
    let (n, c) = (n as isize, c as isize);
    x.reshape(&[n, c, (h * wd) as isize])
        .gather_at(2, std::sync::Arc::new(index))
        .reshape(&[n, c, oh as isize, ow as isize])
}

/// Adaptive average pooling to `(oh, ow)`, as `F.adaptive_avg_pool2d`: window `i` of a dim of
/// length `n` covers `⌊i·n/o⌋ .. ⌈(i+1)·n/o⌉`.
///
/// ```
/// use tapegrad::{nn::functional::adaptive_avg_pool2d, Tensor};
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]);
/// assert_eq!(adaptive_avg_pool2d(&x, (1, 1)).to_vec(), vec![7.5]);
/// assert_eq!(adaptive_avg_pool2d(&x, (2, 2)).to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool2d<T: Float>(x: &Tensor<T>, output: impl Size2) -> Tensor<T> {
    if x.ndim() == 3 {
        // Unbatched [C, H, W]: a batch of one.
        return adaptive_avg_pool2d(&x.unsqueeze(0), output).squeeze(0);
    }
    let (oh, ow) = output.pair();
    let s = x.shape();
    if s.len() != 4 || oh == 0 || ow == 0 {
        panic!(
            "tapegrad: adaptive_avg_pool2d: expects input [N, C, H, W] and a nonzero output \
             size, got shape {s:?} and ({oh}, {ow})"
        );
    }
    let (h, w) = (s[2], s[3]);
    let bounds = |i: usize, n: usize, o: usize| (i * n / o, ((i + 1) * n).div_ceil(o));
    let mut rows = Vec::with_capacity(oh);
    for i in 0..oh {
        let (r0, r1) = bounds(i, h, oh);
        let band = x.narrow(2, r0, r1 - r0);
        let mut cells = Vec::with_capacity(ow);
        for j in 0..ow {
            let (c0, c1) = bounds(j, w, ow);
            cells.push(band.narrow(3, c0, c1 - c0).mean_dims(&[2, 3], false));
        }
        let refs: Vec<&Tensor<T>> = cells.iter().collect();
        rows.push(Tensor::stack(&refs, 2));
    }
    let refs: Vec<&Tensor<T>> = rows.iter().collect();
    Tensor::stack(&refs, 2)
}

/// Batch normalisation, as `F.batch_norm`: over every dim but 1 (the channels). In training
/// (or without running statistics) the batch's mean and biased variance normalise, and the
/// running statistics, if given, move by `momentum` (the variance unbiased, as PyTorch);
/// otherwise the running statistics normalise.
///
/// ```
/// use tapegrad::{nn::functional::batch_norm, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64, 3.0, 5.0, 7.0], &[4, 1]);
/// let (mean, var) = (Tensor::zeros(&[1]), Tensor::ones(&[1]));
/// let y = batch_norm(&x, Some(&mean), Some(&var), None, None, true, 0.1, 1e-5);
/// assert!((y.mean().item()).abs() < 1e-12);
/// assert!((mean.item() - 0.4).abs() < 1e-12); // 0.9·0 + 0.1·4
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn batch_norm<T: Float>(
    x: &Tensor<T>,
    running_mean: Option<&Tensor<T>>,
    running_var: Option<&Tensor<T>>,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor<T> {
    let s = x.shape().to_vec();
    if s.len() < 2 {
        panic!("tapegrad: batch_norm: expects input [N, C, ...], got shape {s:?}");
    }
    let c = s[1];
    let mut channel = vec![1isize; s.len()];
    channel[1] = c as isize;
    let dims: Vec<isize> = (0..s.len() as isize).filter(|&d| d != 1).collect();
    let per_channel = |t: &Tensor<T>| t.reshape(&channel);
    let use_batch = training || running_mean.is_none() || running_var.is_none();
    let (mean, var) = if use_batch {
        let count = x.numel() / c.max(1);
        if count <= 1 && training {
            panic!(
                "tapegrad: batch_norm: expected more than 1 value per channel when training, got \
                 input of shape {s:?}"
            );
        }
        let mean = x.mean_dims(&dims, true);
        let var = (x - &mean).square().mean_dims(&dims, true);
        if training {
            crate::no_grad(|| {
                let m = T::of_f64(momentum);
                if let Some(rm) = running_mean {
                    let new = rm * (T::one() - m) + mean.reshape(&[c as isize]) * m;
                    rm.copy_(&new);
                }
                if let Some(rv) = running_var {
                    let unbiased = T::of_f64(count as f64 / (count as f64 - 1.0));
                    let new = rv * (T::one() - m) + var.reshape(&[c as isize]) * (m * unbiased);
                    rv.copy_(&new);
                }
            });
        }
        (mean, var)
    } else {
        let (rm, rv) = (
            running_mean.expect("checked"),
            running_var.expect("checked"),
        );
        (per_channel(rm), per_channel(rv))
    };
    let mut y = (x - &mean) / (var + T::of_f64(eps)).sqrt();
    if let Some(w) = weight {
        y = y * per_channel(w);
    }
    if let Some(b) = bias {
        y = y + per_channel(b);
    }
    y
}

/// Group normalisation, as `F.group_norm`: the channels of each sample split into `groups`,
/// each normalised by its own mean and biased variance, then scaled per channel.
///
/// ```
/// use tapegrad::{nn::functional::group_norm, Tensor};
/// let x = Tensor::from_vec((0..8).map(|v| v as f64).collect(), &[1, 4, 2]);
/// let y = group_norm(&x, 2, None, None, 1e-5);
/// assert!(y.narrow(1, 0, 2).mean().item().abs() < 1e-12);
/// ```
#[track_caller]
pub fn group_norm<T: Float>(
    x: &Tensor<T>,
    groups: usize,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> Tensor<T> {
    let s = x.shape().to_vec();
    if s.len() < 2 || groups == 0 || !s[1].is_multiple_of(groups) {
        panic!(
            "tapegrad: group_norm: input of shape {s:?} does not split into {groups} groups of \
             channels"
        );
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let Some(t) = t
            && t.shape() != [s[1]]
        {
            panic!(
                "tapegrad: group_norm: input of shape {s:?} has {} channels, but the {name} has \
                 shape {:?}",
                s[1],
                t.shape()
            );
        }
    }
    let grouped = x.reshape(&[s[0] as isize, groups as isize, -1]);
    let mean = grouped.mean_dim(-1, true);
    let centered = &grouped - &mean;
    let var = centered.square().mean_dim(-1, true);
    let shape: Vec<isize> = s.iter().map(|&d| d as isize).collect();
    let mut y = (centered / (var + T::of_f64(eps)).sqrt()).reshape(&shape);
    let mut channel = vec![1isize; s.len()];
    channel[1] = s[1] as isize;
    if let Some(w) = weight {
        y = y * w.reshape(&channel);
    }
    if let Some(b) = bias {
        y = y + b.reshape(&channel);
    }
    y
}

/// Layer normalisation over the last dims, as `F.layer_norm` (`normalized` is their shape).
///
/// ```
/// use tapegrad::{nn::functional::layer_norm, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
/// let y = layer_norm(&x, &[2], None, None, 1e-5);
/// assert!(y.sum_dim(1, false).to_vec().iter().all(|v| v.abs() < 1e-12));
/// ```
#[track_caller]
pub fn layer_norm<T: Float>(
    x: &Tensor<T>,
    normalized: &[usize],
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> Tensor<T> {
    let s = x.shape();
    if normalized.is_empty() || s.len() < normalized.len() || !s.ends_with(normalized) {
        panic!("tapegrad: layer_norm: input of shape {s:?} does not end in {normalized:?}");
    }
    let dims: Vec<isize> = (0..normalized.len() as isize).map(|d| -1 - d).collect();
    let centered = x - &x.mean_dims(&dims, true);
    let var = centered.square().mean_dims(&dims, true);
    let mut y = centered / (var + T::of_f64(eps)).sqrt();
    if let Some(w) = weight {
        y = y * w;
    }
    if let Some(b) = bias {
        y = y + b;
    }
    y
}

/// `x·Wᵀ + b` for `x` of shape `[.., in]` (or `[in]`), as `F.linear`.
///
/// ```
/// use tapegrad::{nn::functional::linear, Tensor};
/// let y = linear(&Tensor::<f32>::ones(&[2, 3]), &Tensor::ones(&[4, 3]), None);
/// assert_eq!(y.to_vec(), vec![3.0; 8]);
/// ```
#[track_caller]
pub fn linear<T: Float>(x: &Tensor<T>, weight: &Tensor<T>, bias: Option<&Tensor<T>>) -> Tensor<T> {
    if weight.ndim() == 2 && (x.ndim() == 0 || x.shape()[x.ndim() - 1] != weight.shape()[1]) {
        panic!(
            "tapegrad: linear: input of shape {:?} does not end in in_features = {} (weight \
             {:?})",
            x.shape(),
            weight.shape()[1],
            weight.shape()
        );
    }
    let y = if x.ndim() == 1 {
        x.unsqueeze(0).matmul_t(weight).squeeze(0)
    } else {
        x.matmul_t(weight)
    };
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

/// The rows of `weight` at `ids`, as `F.embedding`: `ids`'s shape plus `[dim]`.
///
/// ```
/// use tapegrad::{nn::functional::embedding, Tensor};
/// let table = Tensor::<f32>::eye(3);
/// let ids = Tensor::<i64>::from_vec(vec![2, 0], &[2]);
/// assert_eq!(embedding(&ids, &table).to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn embedding<T: Float>(ids: &Tensor<i64>, weight: &Tensor<T>) -> Tensor<T> {
    let mut shape: Vec<isize> = ids.shape().iter().map(|&d| d as isize).collect();
    shape.push(weight.shape()[1] as isize);
    weight.index_select(0, &ids.reshape(&[-1])).reshape(&shape)
}

/// Dropout with probability `p` when `training`, as `F.dropout` (survivors scaled by
/// 1/(1−p)); the mask comes from `rng`.
///
/// ```
/// use tapegrad::{nn::functional::dropout, rand::{rngs::StdRng, SeedableRng}, Tensor};
/// let x = Tensor::<f32>::ones(&[1000]);
/// let y = dropout(&x, 0.5, true, &mut StdRng::seed_from_u64(0));
/// assert!(y.to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(dropout(&x, 0.5, false, &mut StdRng::seed_from_u64(0)).to_vec(), x.to_vec());
/// ```
#[track_caller]
pub fn dropout<T: Float, R: rand::Rng + ?Sized>(
    x: &Tensor<T>,
    p: f64,
    training: bool,
    rng: &mut R,
) -> Tensor<T> {
    assert!(
        (0.0..=1.0).contains(&p),
        "tapegrad: dropout: p = {p} is not in [0, 1]"
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x * T::zero();
    }
    let scale = T::of_f64(1.0 / (1.0 - p));
    let mask: Vec<T> = (0..x.numel())
        .map(|_| {
            if rng.random::<f64>() < p {
                T::zero()
            } else {
                scale
            }
        })
        .collect();
    x * &Tensor::from_vec(mask, x.shape())
}
