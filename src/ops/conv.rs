//! 2-D convolution as one op with its two adjoints, as PyTorch's `convolution` and
//! `convolution_backward`: the input's gradient is a transposed convolution of the output's
//! gradient, the weight's gradient a sum over images of the output's gradient times each
//! image's columns. The three ops are each other's backward, so gradients of any order
//! follow (a gradient penalty through a conv net).
//!
//! Each image is unfolded (im2col) into a small column buffer that stays in cache while its
//! products run; unfolding the whole batch first would send columns many times the size of
//! the input through memory, once forward and twice more backward.

use std::ops::Range;

use ndarray::{ArrayView2, ArrayViewMut2, IxDyn};

use super::Buffer;
use super::fold::{Plan, Windows, fold_planes, unfold_planes};
use super::matmul::gemm;
use crate::autograd::{Context, Function, Grads};
use crate::tensor::{Values, pool};
use crate::{Float, Tensor, parallel};

/// Multiply–adds of a batch from which its images are split across threads (at least this
/// many per thread). Lower than a single product's threshold (`PARALLEL_MIN_MACS`): images
/// are independent, so the threads share no packed operand and wait for each other only at
/// the end. The digits CNN's 32 images of 16 → 32 channels (9.4M per product) took 11–15%
/// less time per two-thread training step split than whole (Zen 5).
const SPLIT_MIN_MACS: usize = 2 << 20;

/// The sizes of one convolution: input `[n, c, h, w]`, weight `[o, c/groups, kh, kw]`,
/// output `[n, o, oh, ow]`.
#[derive(Clone, Copy, Debug)]
struct Conv {
    windows: Windows,
    groups: usize,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    oh: usize,
    ow: usize,
}

impl Conv {
    /// The geometry of `x` convolved with `weight`, which the caller has checked fit.
    fn of(x: &[usize], weight: &[usize], windows: Windows, groups: usize) -> Conv {
        let (oh, ow) = windows.count((x[2], x[3])).expect("checked by the caller");
        Conv {
            windows,
            groups,
            n: x[0],
            c: x[1],
            h: x[2],
            w: x[3],
            o: weight[0],
            oh,
            ow,
        }
    }

    /// Input channels of one group.
    fn cg(&self) -> usize {
        self.c / self.groups
    }

    /// Output channels of one group.
    fn og(&self) -> usize {
        self.o / self.groups
    }

    /// Rows of one group's columns: its channels times the kernel's taps.
    fn k(&self) -> usize {
        self.cg() * self.windows.kernel.0 * self.windows.kernel.1
    }

    /// Windows per image.
    fn l(&self) -> usize {
        self.oh * self.ow
    }

    fn plane(&self) -> usize {
        self.h * self.w
    }

    fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    fn output_shape(&self) -> [usize; 4] {
        [self.n, self.o, self.oh, self.ow]
    }

    fn weight_shape(&self) -> [usize; 4] {
        let (kh, kw) = self.windows.kernel;
        [self.o, self.cg(), kh, kw]
    }

    fn plan(&self) -> Plan {
        self.windows.plan((self.h, self.w), (self.oh, self.ow))
    }

    /// Images per thread: one range on the calling thread unless the whole batch is worth
    /// splitting while each image's products are too small to split themselves.
    fn image_ranges(&self) -> Vec<Range<usize>> {
        let per_image = self.o * self.k() * self.l();
        let threads =
            parallel::threads_for_at(self.n * per_image, SPLIT_MIN_MACS).min(self.n.max(1));
        if threads <= 1 || per_image >= parallel::PARALLEL_MIN_MACS {
            return std::iter::once(0..self.n).collect();
        }
        let chunk = self.n.div_ceil(threads);
        (0..self.n)
            .step_by(chunk)
            .map(|i| i..(i + chunk).min(self.n))
            .collect()
    }
}

/// Runs `f(images, out)` for each range of images, on as many threads as there are ranges
/// (`parallel::run`); `out` is split into consecutive parts of `len(range)` elements.
fn split_images<T: Float>(
    ranges: &[Range<usize>],
    out: &mut [T],
    len: impl Fn(&Range<usize>) -> usize,
    f: impl Fn(Range<usize>, &mut [T]) + Sync,
) {
    let mut rest = out;
    let parts: Vec<_> = ranges
        .iter()
        .map(|range| {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut(len(range));
            rest = tail;
            (range.clone(), part)
        })
        .collect();
    let threads = parts.len();
    parallel::run_each(parts, threads, |_, (range, part)| f(range, part));
}

/// The values of a contiguous copy (or view) of `t`, handed to `f` as a slice.
fn with_slice<T: Float, R>(t: &Tensor<T>, f: impl FnOnce(&[T]) -> R) -> R {
    let t = t.contiguous();
    let data = t.data();
    f(data.as_slice().expect("contiguous"))
}

/// `y[i] = W·cols(x[i])` for each image, group by group.
fn forward_arrays<T: Float>(x: &[T], w: &[T], cv: &Conv) -> Vec<T> {
    let (k, l, og, cg, plane) = (cv.k(), cv.l(), cv.og(), cv.cg(), cv.plane());
    let (x_len, y_len) = (cv.c * plane, cv.o * l);
    let plan = cv.plan();
    // Every element is written by a product (β = 0).
    let mut y = pool::take_to_overwrite(cv.n * y_len);
    split_images(
        &cv.image_ranges(),
        &mut y,
        |r| r.len() * y_len,
        |images, y| {
            // Zeroed once: the plan writes the same positions for every image, the rest is
            // padding.
            let mut cols = vec![T::zero(); k * l];
            for (at, i) in images.enumerate() {
                for g in 0..cv.groups {
                    let planes = &x[i * x_len + g * cg * plane..][..cg * plane];
                    unfold_planes(planes, &mut cols, &plan, plane);
                    let wg = ArrayView2::from_shape((og, k), &w[g * og * k..][..og * k]);
                    let c = ArrayView2::from_shape((k, l), &cols[..]);
                    let out = &mut y[at * y_len + g * og * l..][..og * l];
                    let out = ArrayViewMut2::from_shape((og, l), out);
                    gemm(
                        wg.expect("sizes"),
                        c.expect("sizes"),
                        out.expect("sizes"),
                        false,
                    );
                }
            }
        },
    );
    y
}

/// `x̄[i] = fold(Wᵀ·ȳ[i])` for each image: the gradient of the input (a transposed
/// convolution of `gy`).
fn input_grad_arrays<T: Float>(gy: &[T], w: &[T], cv: &Conv) -> Vec<T> {
    let (k, l, og, cg, plane) = (cv.k(), cv.l(), cv.og(), cv.cg(), cv.plane());
    let (x_len, y_len) = (cv.c * plane, cv.o * l);
    let plan = cv.plan();
    // Each group's Wᵀ, row-major once for all images.
    let mut wt = vec![T::zero(); w.len()];
    for g in 0..cv.groups {
        let (src, dst) = (&w[g * og * k..][..og * k], &mut wt[g * og * k..][..og * k]);
        transpose_into(src, dst, og, k);
    }
    let mut gx = pool::take(cv.n * x_len);
    gx.resize(cv.n * x_len, T::zero());
    split_images(
        &cv.image_ranges(),
        &mut gx,
        |r| r.len() * x_len,
        |images, gx| {
            let mut cols = vec![T::zero(); k * l];
            for (at, i) in images.enumerate() {
                for g in 0..cv.groups {
                    let wtg = ArrayView2::from_shape((k, og), &wt[g * og * k..][..og * k]);
                    let gyg =
                        ArrayView2::from_shape((og, l), &gy[i * y_len + g * og * l..][..og * l]);
                    let c = ArrayViewMut2::from_shape((k, l), &mut cols[..]);
                    gemm(
                        wtg.expect("sizes"),
                        gyg.expect("sizes"),
                        c.expect("sizes"),
                        false,
                    );
                    let planes = &mut gx[at * x_len + g * cg * plane..][..cg * plane];
                    fold_planes(&mut cols, planes, &plan, plane);
                }
            }
        },
    );
    gx
}

/// `W̄ = Σᵢ ȳ[i]·cols(x[i])ᵀ`: the gradient of the weight, summed over images inside the
/// products (computed transposed, `cols·ȳᵀ`, so the operand copied per image is the small
/// `ȳ[i]ᵀ`, not the columns).
fn weight_grad_arrays<T: Float>(x: &[T], gy: &[T], cv: &Conv) -> Vec<T> {
    let (k, l, og, cg, plane) = (cv.k(), cv.l(), cv.og(), cv.cg(), cv.plane());
    let (x_len, y_len, w_len) = (cv.c * plane, cv.o * l, cv.o * k);
    let plan = cv.plan();
    let ranges = cv.image_ranges();
    // One Wᵀ sum per thread, added up after.
    let mut partial = vec![T::zero(); ranges.len() * w_len];
    split_images(
        &ranges,
        &mut partial,
        |_| w_len,
        |images, wt| {
            let mut cols = vec![T::zero(); k * l];
            let mut gyt = vec![T::zero(); l * og];
            for i in images {
                for g in 0..cv.groups {
                    let planes = &x[i * x_len + g * cg * plane..][..cg * plane];
                    unfold_planes(planes, &mut cols, &plan, plane);
                    transpose_into(&gy[i * y_len + g * og * l..][..og * l], &mut gyt, og, l);
                    let c = ArrayView2::from_shape((k, l), &cols[..]);
                    let t = ArrayView2::from_shape((l, og), &gyt[..]);
                    let acc = ArrayViewMut2::from_shape((k, og), &mut wt[g * og * k..][..og * k]);
                    gemm(
                        c.expect("sizes"),
                        t.expect("sizes"),
                        acc.expect("sizes"),
                        true,
                    );
                }
            }
        },
    );
    let (sum, rest) = partial.split_at_mut(w_len);
    for part in rest.chunks_exact(w_len) {
        sum.iter_mut().zip(part).for_each(|(s, &p)| *s += p);
    }
    let mut gw = pool::take_to_overwrite(w_len);
    for g in 0..cv.groups {
        let (src, dst) = (
            &sum[g * og * k..][..og * k],
            &mut gw[g * og * k..][..og * k],
        );
        transpose_into(src, dst, k, og);
    }
    gw
}

/// `dst` (cols × rows) = the transpose of `src` (rows × cols), both row-major: eight source
/// rows at a time, so each write is eight adjacent elements.
fn transpose_into<T: Float>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    let mut r = 0;
    while r + 8 <= rows {
        let block: [&[T]; 8] = std::array::from_fn(|i| &src[(r + i) * cols..][..cols]);
        for q in 0..cols {
            let out: &mut [T; 8] = (&mut dst[q * rows + r..][..8]).try_into().expect("8");
            for (o, row) in out.iter_mut().zip(&block) {
                *o = row[q];
            }
        }
        r += 8;
    }
    for r in r..rows {
        for (q, &v) in src[r * cols..][..cols].iter().enumerate() {
            dst[q * rows + r] = v;
        }
    }
}

fn values<T: Float>(data: Vec<T>, shape: [usize; 4]) -> Values<T> {
    Values::new(Buffer::Heap(data), IxDyn(&shape))
}

/// The convolution of `x` `[N, C, H, W]` with `weight` `[O, C/groups, kh, kw]` over
/// `windows`, recorded as one op. The caller has checked the shapes.
pub(crate) fn conv2d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    windows: Windows,
    groups: usize,
) -> Tensor<T> {
    let cv = Conv::of(x.shape(), weight.shape(), windows, groups);
    let y = with_slice(x, |x| with_slice(weight, |w| forward_arrays(x, w, &cv)));
    Tensor::from_op(values(y, cv.output_shape()), ConvOp { cv }, (x, weight))
}

/// The input's gradient from the output's, `gy` `[N, O, oh, ow]`.
fn input_grad<T: Float>(gy: &Tensor<T>, weight: &Tensor<T>, cv: Conv) -> Tensor<T> {
    let gx = with_slice(gy, |gy| {
        with_slice(weight, |w| input_grad_arrays(gy, w, &cv))
    });
    Tensor::from_op(values(gx, cv.input_shape()), InputGrad { cv }, (gy, weight))
}

/// The weight's gradient from the input and the output's gradient.
fn weight_grad<T: Float>(x: &Tensor<T>, gy: &Tensor<T>, cv: Conv) -> Tensor<T> {
    let gw = with_slice(x, |x| with_slice(gy, |gy| weight_grad_arrays(x, gy, &cv)));
    Tensor::from_op(values(gw, cv.weight_shape()), WeightGrad { cv }, (x, gy))
}

/// `y = conv(x, W)`: linear in each input, so each gradient is the other adjoint.
struct ConvOp {
    cv: Conv,
}

impl<T: Float> Function<T> for ConvOp {
    fn name(&self) -> &'static str {
        "conv2d"
    }

    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let gx = ctx
            .needs_input_grad(0)
            .then(|| input_grad(g, ctx.input(1), self.cv));
        let gw = ctx
            .needs_input_grad(1)
            .then(|| weight_grad(ctx.input(0), g, self.cv));
        Grads::two(gx, gw)
    }
}

/// `x̄ = conv_input_grad(ȳ, W)`: ⟨G, x̄⟩ = ⟨conv(G, W), ȳ⟩, so ȳ gets `conv(G, W)` and W gets
/// `conv_weight_grad(G, ȳ)`.
struct InputGrad {
    cv: Conv,
}

impl<T: Float> Function<T> for InputGrad {
    fn name(&self) -> &'static str {
        "conv2d_input_grad"
    }

    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let ggy = ctx.needs_input_grad(0).then(|| {
            let w = ctx.input(1);
            conv2d(g, w, self.cv.windows, self.cv.groups)
        });
        let gw = ctx
            .needs_input_grad(1)
            .then(|| weight_grad(g, ctx.input(0), self.cv));
        Grads::two(ggy, gw)
    }
}

/// `W̄ = conv_weight_grad(x, ȳ)`: ⟨H, W̄⟩ = ⟨conv(x, H), ȳ⟩, so x gets
/// `conv_input_grad(ȳ, H)` and ȳ gets `conv(x, H)`.
struct WeightGrad {
    cv: Conv,
}

impl<T: Float> Function<T> for WeightGrad {
    fn name(&self) -> &'static str {
        "conv2d_weight_grad"
    }

    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        let gx = ctx
            .needs_input_grad(0)
            .then(|| input_grad(ctx.input(1), g, self.cv));
        let ggy = ctx.needs_input_grad(1).then(|| {
            let x = ctx.input(0);
            conv2d(x, g, self.cv.windows, self.cv.groups)
        });
        Grads::two(gx, ggy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_whole_blocks_of_eight_rows_and_the_rest() {
        for (rows, cols) in [(11, 5), (8, 1), (3, 4), (16, 9), (0, 3), (5, 0)] {
            let src: Vec<f64> = (0..rows * cols).map(|v| v as f64).collect();
            let mut dst = vec![f64::NAN; rows * cols];
            transpose_into(&src, &mut dst, rows, cols);
            for r in 0..rows {
                for q in 0..cols {
                    assert_eq!(
                        dst[q * rows + r],
                        src[r * cols + q],
                        "{rows}×{cols} at {r}, {q}"
                    );
                }
            }
        }
    }
}
