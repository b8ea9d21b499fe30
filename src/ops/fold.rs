//! Sliding windows: `unfold` (im2col: every window of an image as a column) and `fold`
//! (col2im: columns summed back into an image), PyTorch's `F.unfold` and `F.fold`. Each is
//! the other's adjoint, so each one's backward is the other and gradients of any order
//! follow. Convolution and pooling are built on them.

use ndarray::IxDyn;

use super::Buffer;
use crate::autograd::{Context, Function, Grads};
use crate::tensor::{Values, pool};
use crate::{Float, Tensor};

/// The geometry of 2-D sliding windows over `[N, C, H, W]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Window size `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Spacing of the window's taps `(dh, dw)`.
    pub dilation: (usize, usize),
    /// Zeros added on each side `(ph, pw)`.
    pub padding: (usize, usize),
    /// Step between windows `(sh, sw)`.
    pub stride: (usize, usize),
}

impl Windows {
    /// How many windows fit along each spatial dim of an `(h, w)` image, or `None`.
    pub fn count(&self, (h, w): (usize, usize)) -> Option<(usize, usize)> {
        let one = |len: usize, k: usize, d: usize, p: usize, s: usize| {
            let span = d * (k.max(1) - 1) + 1;
            (s > 0 && k > 0 && len + 2 * p >= span).then(|| (len + 2 * p - span) / s + 1)
        };
        let (kh, kw) = self.kernel;
        Some((
            one(h, kh, self.dilation.0, self.padding.0, self.stride.0)?,
            one(w, kw, self.dilation.1, self.padding.1, self.stride.1)?,
        ))
    }

    /// For one image plane: runs (column offset, image offset, length) covering every tap of
    /// every window that lies inside the image (taps in the padding read zeros). With stride
    /// 1 along the width, a run is a whole row of windows: one contiguous copy.
    pub(crate) fn runs(
        &self,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
    ) -> Vec<(usize, usize, usize)> {
        let mut out: Vec<(usize, usize, usize)> = Vec::new();
        let l = oh * ow;
        let contiguous = self.stride.1 == 1;
        self.each((h, w), (oh, ow), |tap, pos, at| {
            if contiguous && let Some(last) = out.last_mut() {
                // Extends the run when both the column and the image offsets continue.
                if last.0 + last.2 == tap * l + pos && last.1 + last.2 == at && pos % ow != 0 {
                    last.2 += 1;
                    return;
                }
            }
            out.push((tap * l + pos, at, 1));
        });
        out
    }

    /// How one image plane's columns are copied: [`Plan::Shifted`] when the windows step by
    /// one and the rows of windows are as wide as the image (a "same" convolution, the
    /// common case), else the [`runs`](Windows::runs).
    pub(crate) fn plan(&self, (h, w): (usize, usize), (oh, ow): (usize, usize)) -> Plan {
        if self.stride != (1, 1) || ow != w {
            return Plan::Runs(self.runs((h, w), (oh, ow)));
        }
        // Tap (i, j) reads the image shifted by a constant: column q (= oy·w + ox) of the
        // tap is image element q + shift, wherever that element is inside the image.
        let (kh, kw) = self.kernel;
        let l = oh * ow;
        let plane = (h * w) as isize;
        let mut shifts = Vec::with_capacity(kh * kw);
        for i in 0..kh {
            for j in 0..kw {
                let dy = (i * self.dilation.0) as isize - self.padding.0 as isize;
                let dx = (j * self.dilation.1) as isize - self.padding.1 as isize;
                let shift = dy * w as isize + dx;
                // Rows of windows whose image row exists, then clipped to the plane.
                let rows = (-dy).clamp(0, oh as isize)..(h as isize - dy).clamp(0, oh as isize);
                let lo = (rows.start * w as isize).max(-shift);
                let hi = (rows.end * w as isize).min(plane - shift);
                if lo >= hi {
                    continue;
                }
                // Inside the run, the columns whose image column is outside the image.
                let tap = (i * kw + j) * l;
                let pads = (lo..hi)
                    .filter(|&q| !(0..w as isize).contains(&(q % w as isize + dx)))
                    .map(|q| tap + q as usize)
                    .collect();
                shifts.push(Shift {
                    col: tap + lo as usize,
                    img: (lo + shift) as usize,
                    len: (hi - lo) as usize,
                    pads,
                });
            }
        }
        Plan::Shifted(shifts)
    }

    /// Calls `f(tap, l, offset)` for every tap of every window inside the image.
    fn each(
        &self,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let (kh, kw) = self.kernel;
        for i in 0..kh {
            for j in 0..kw {
                let tap = i * kw + j;
                for oy in 0..oh {
                    let y = (oy * self.stride.0 + i * self.dilation.0) as isize
                        - self.padding.0 as isize;
                    if y < 0 || y >= h as isize {
                        continue;
                    }
                    for ox in 0..ow {
                        let x = (ox * self.stride.1 + j * self.dilation.1) as isize
                            - self.padding.1 as isize;
                        if x >= 0 && x < w as isize {
                            f(tap, oy * ow + ox, y as usize * w + x as usize);
                        }
                    }
                }
            }
        }
    }
}

/// How the columns of one image plane are gathered from it (and added back).
pub(crate) enum Plan {
    /// Runs (column offset, image offset, length), for any windows.
    Runs(Vec<(usize, usize, usize)>),
    /// One run per tap of a shifted image: columns that fall in the padding are inside the
    /// run and read (or add) the wrong element, so they are zeroed after the copy (before
    /// the add); columns outside every run are padding too.
    Shifted(Vec<Shift>),
}

/// One tap of [`Plan::Shifted`]: `len` columns from `col` copy the image from `img`; `pads`
/// are the positions among them (in the plane's columns) that fall in the padding.
pub(crate) struct Shift {
    col: usize,
    img: usize,
    len: usize,
    pads: Vec<usize>,
}

/// im2col of whole planes: `src` holds planes of `plane` elements, `dst` (zeroed) gets each
/// one's columns, `dst.len() / planes` elements apiece. Positions no window of the plan
/// reads (padding) are left as they are.
pub(crate) fn unfold_planes<T: Float>(src: &[T], dst: &mut [T], plan: &Plan, plane: usize) {
    // Empty planes (an image of height or width 0, all padding) leave only zeros.
    let planes = src.len() / plane.max(1);
    if plane == 0 || planes == 0 {
        return;
    }
    let cols = dst.len() / planes;
    for (dst, img) in dst.chunks_exact_mut(cols).zip(src.chunks_exact(plane)) {
        match plan {
            Plan::Runs(runs) => {
                for &(d, a, len) in runs {
                    dst[d..d + len].copy_from_slice(&img[a..a + len]);
                }
            }
            Plan::Shifted(shifts) => {
                for s in shifts {
                    dst[s.col..s.col + s.len].copy_from_slice(&img[s.img..s.img + s.len]);
                    for &p in &s.pads {
                        dst[p] = T::zero();
                    }
                }
            }
        }
    }
}

/// col2im of whole planes, the adjoint of [`unfold_planes`]: each plane's columns in `cols`
/// are added into its plane of `dst` (`plane` elements each). With [`Plan::Shifted`], the
/// columns of padding positions are zeroed in `cols` first.
pub(crate) fn fold_planes<T: Float>(cols: &mut [T], dst: &mut [T], plan: &Plan, plane: usize) {
    let planes = dst.len() / plane.max(1);
    if plane == 0 || planes == 0 {
        return;
    }
    let per = cols.len() / planes;
    let shifts = match plan {
        Plan::Runs(runs) => return fold_runs(cols, dst, runs, plane),
        Plan::Shifted(shifts) => shifts,
    };
    for (img, col) in dst.chunks_exact_mut(plane).zip(cols.chunks_exact_mut(per)) {
        for s in shifts {
            for &p in &s.pads {
                col[p] = T::zero();
            }
            add_run(&mut img[s.img..s.img + s.len], &col[s.col..s.col + s.len]);
        }
    }
}

/// col2im by [`Windows::runs`]: `cols` are only read.
fn fold_runs<T: Float>(cols: &[T], dst: &mut [T], runs: &[(usize, usize, usize)], plane: usize) {
    let planes = dst.len() / plane.max(1);
    if plane == 0 || planes == 0 {
        return;
    }
    let per = cols.len() / planes;
    for (img, col) in dst.chunks_exact_mut(plane).zip(cols.chunks_exact(per)) {
        for &(d, a, len) in runs {
            add_run(&mut img[a..a + len], &col[d..d + len]);
        }
    }
}

fn add_run<T: Float>(to: &mut [T], from: &[T]) {
    to.iter_mut().zip(from).for_each(|(t, &f)| *t += f);
}

/// im2col; its backward is `fold`.
struct Unfold {
    windows: Windows,
    image: (usize, usize),
}

impl<T: Float> Function<T> for Unfold {
    fn name(&self) -> &'static str {
        "unfold"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.fold2d(self.image, self.windows))
    }
}

/// col2im; its backward is `unfold`.
struct Fold {
    windows: Windows,
}

impl<T: Float> Function<T> for Fold {
    fn name(&self) -> &'static str {
        "fold"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.unfold2d(self.windows))
    }
}

impl<T: Float> Tensor<T> {
    /// Every window of this `[N, C, H, W]` image as a column: `[N, C·kh·kw, L]` with
    /// `L = oh·ow` windows, zeros where a window reaches into the padding (PyTorch's
    /// `F.unfold`; the rows are channel-major, then the taps row by row).
    ///
    /// # Panics
    /// If the tensor is not 4-D or the windows do not fit.
    ///
    /// ```
    /// use tapegrad::{Tensor, Windows};
    /// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect(), &[1, 1, 3, 3]);
    /// let w = Windows { kernel: (2, 2), dilation: (1, 1), padding: (0, 0), stride: (1, 1) };
    /// let cols = x.unfold2d(w);
    /// assert_eq!(cols.shape(), &[1, 4, 4]);
    /// assert_eq!(cols.i((0, .., 0)).to_vec(), vec![0.0, 1.0, 3.0, 4.0]); // the first window
    /// ```
    #[track_caller]
    pub fn unfold2d(&self, windows: Windows) -> Tensor<T> {
        let s = self.shape();
        let Some((oh, ow)) = (s.len() == 4)
            .then(|| windows.count((s[2], s[3])))
            .flatten()
        else {
            panic!("tapegrad: unfold: windows {windows:?} do not fit input of shape {s:?}");
        };
        let (n, c, h, w) = (s[0], s[1], s[2], s[3]);
        let taps = windows.kernel.0 * windows.kernel.1;
        let l = oh * ow;
        let len = n * c * taps * l;
        let mut out = pool::take(len);
        out.resize(len, T::zero());
        {
            let x = self.contiguous();
            let data = x.data();
            let plan = windows.plan((h, w), (oh, ow));
            unfold_planes(data.as_slice().expect("contiguous"), &mut out, &plan, h * w);
        }
        let values = Values::new(Buffer::Heap(out), IxDyn(&[n, c * taps, l]));
        let op = Unfold {
            windows,
            image: (h, w),
        };
        Tensor::from_op(values, op, self)
    }

    /// The adjoint of [`Tensor::unfold2d`]: columns `[N, C·kh·kw, L]` summed back into an
    /// `[N, C, H, W]` image of size `image` (PyTorch's `F.fold`).
    ///
    /// # Panics
    /// If the shape does not match the windows.
    ///
    /// ```
    /// use tapegrad::{Tensor, Windows};
    /// let w = Windows { kernel: (2, 2), dilation: (1, 1), padding: (0, 0), stride: (1, 1) };
    /// let ones = Tensor::<f32>::ones(&[1, 4, 4]);
    /// // How many windows cover each pixel of a 3×3 image.
    /// assert_eq!(ones.fold2d((3, 3), w).to_vec(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn fold2d(&self, image: (usize, usize), windows: Windows) -> Tensor<T> {
        let s = self.shape();
        let taps = windows.kernel.0 * windows.kernel.1;
        let counts = windows.count(image);
        let fits = s.len() == 3
            && taps > 0
            && s[1].is_multiple_of(taps)
            && counts.is_some_and(|(oh, ow)| oh * ow == s[2]);
        if !fits {
            panic!(
                "tapegrad: fold: columns of shape {s:?} do not match windows {windows:?} over \
                 an image of {image:?}"
            );
        }
        let (oh, ow) = counts.expect("checked");
        let (n, c) = (s[0], s[1] / taps);
        let (h, w) = image;
        let len = n * c * h * w;
        let mut out = pool::take(len);
        out.resize(len, T::zero());
        {
            // By runs: the shifted plan would zero columns that are not ours to change.
            let cols = self.contiguous();
            let data = cols.data();
            let runs = windows.runs(image, (oh, ow));
            fold_runs(data.as_slice().expect("contiguous"), &mut out, &runs, h * w);
        }
        let values = Values::new(Buffer::Heap(out), IxDyn(&[n, c, h, w]));
        Tensor::from_op(values, Fold { windows }, self)
    }
}
