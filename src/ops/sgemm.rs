//! The blocked f32 matrix product on x86-64 with AVX2 and FMA (or AVX-512), as BLIS and
//! OpenBLAS lay it out.
//!
//! `c (+)= x·y` goes in blocks sized for the caches: a `KC × NC` block of `y` is packed into
//! panels of `NR` columns (one panel stays in L1 while it is used), an `MC × KC` block of `x`
//! into panels of `MR` rows (the block stays in L2), and a register kernel multiplies one
//! panel of each into an `MR × NR` tile of `c`. Per step of `k` it loads the panel's row of
//! `y` as vectors, broadcasts each of the `MR` elements of `x`, and fused-multiply-adds:
//! - AVX2 ([`AVX2`]): `6 × 16` tiles, twelve of the sixteen registers accumulating;
//! - AVX-512 ([`AVX512`]): `12 × 32` tiles, 24 of the 32 registers accumulating, twice the
//!   work per instruction. Zen 5 and Intel's server cores run them at full width.
//!
//! Packing reads any strides, so transposed operands (the backward's `gᵀ·x`, `g·wᵀ`) cost no
//! copy of their own.
//!
//! On a Zen 3 machine (AVX2, peak 102 GFLOP/s per core) 1024³ ran at 89–92 GFLOP/s on one
//! thread, against matrixmultiply's 83–86 (which tapegrad used before, and still uses for
//! f64, small products and CPUs without AVX2) and PyTorch's 89–93. Whatever the kernel, each
//! element of `c` is the same chain of FMAs over `k`, in blocks of 256, as matrixmultiply's,
//! so switching kernels changes no result (tested bit for bit).
//!
//! On several threads (`parallel`), each block of `k` is packed once, all of `x`'s rows and
//! all of `y`'s columns, into buffers the threads share, and the threads then claim blocks
//! of `c` one at a time. Splitting `c` in fixed halves made each thread pack all of `x` for
//! itself, and left the product waiting for the slower core whenever a neighbour on the
//! shared machine slowed one of them down. The result is the single thread's, bit for bit.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use std::marker::PhantomData;

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::parallel;
use crate::tensor::pool;

/// Depth of a block: a panel of `y` (`KC × NR`: 16 KiB for AVX2, 32 KiB for AVX-512) fits L1
/// beside the tile's traffic. matrixmultiply's depth too, which keeps the bits the same.
const KC: usize = 256;
/// Rows of a block of `x` (`MC × KC`, 72 KiB, in L2), rounded down to whole panels.
/// Measured on Zen 3 between 48 and 144.
const MC_ROWS: usize = 72;
/// Columns of a block of `y` (`KC × NC`, 1 MiB, in L3).
const NC: usize = 1024;
/// Packed buffers start at this alignment (floats), so every panel row starts a cache line.
const ALIGN: usize = 16;
/// The largest tile of any kernel, for edge tiles computed into a buffer.
const TILE_MAX: usize = 12 * 32;

/// `c[0..MR][0..NR] (+)= x·y` over `k` steps of packed panels (`x` holds `MR·k` floats, `y`
/// `NR·k`), `c`'s rows `rsc` apart, adding to `c` when the flag is set.
type KernelFn = unsafe fn(usize, *const f32, *const f32, *mut f32, isize, bool);

/// A register kernel and its tile, `MR × NR`.
struct Kernel<const MR: usize, const NR: usize> {
    run: KernelFn,
}

impl<const MR: usize, const NR: usize> Kernel<MR, NR> {
    /// Rows of a block of `x`: whole panels.
    const MC: usize = MC_ROWS / MR * MR;
}

/// The AVX2 + FMA kernel, `6 × 16`.
const AVX2: Kernel<6, 16> = Kernel { run: kernel_avx2 };
/// The AVX-512 kernel, `12 × 32`.
const AVX512: Kernel<12, 32> = Kernel {
    run: kernel_avx512::<12>,
};

/// The instruction sets a kernel is compiled for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Isa {
    Avx2,
    Avx512,
}

impl Isa {
    /// The widest this CPU runs, if any; checked once.
    fn best() -> Option<Isa> {
        #[cfg(target_arch = "x86_64")]
        {
            use std::sync::OnceLock;
            static BEST: OnceLock<Option<Isa>> = OnceLock::new();
            *BEST.get_or_init(|| {
                let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
                match (avx2, is_x86_feature_detected!("avx512f")) {
                    (true, true) => Some(Isa::Avx512),
                    (true, false) => Some(Isa::Avx2),
                    _ => None,
                }
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }

    /// Every kernel this CPU runs (for tests that compare them).
    #[cfg(test)]
    fn all() -> Vec<Isa> {
        match Isa::best() {
            Some(Isa::Avx512) => vec![Isa::Avx2, Isa::Avx512],
            Some(Isa::Avx2) => vec![Isa::Avx2],
            None => vec![],
        }
    }
}

/// Whether this CPU runs a kernel (AVX2 and FMA at least).
pub(crate) fn available() -> bool {
    Isa::best().is_some()
}

/// `c = x·y`, or `c += x·y` when `acc`, on up to `threads` threads (the calling one among
/// them), by the widest kernel this CPU runs. The result is the same, bit for bit, whatever
/// the number of threads or the kernel: each element of `c` gets the same chain of FMAs.
/// Call only when [`available`].
pub(crate) fn sgemm(
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    c: ArrayViewMut2<'_, f32>,
    acc: bool,
    threads: usize,
) {
    let isa = Isa::best().expect("sgemm needs AVX2 and FMA");
    sgemm_on(isa, x, y, c, acc, threads);
}

/// [`sgemm`] by the kernel of `isa`, which the CPU must run.
fn sgemm_on(
    isa: Isa,
    x: ArrayView2<'_, f32>,
    y: ArrayView2<'_, f32>,
    mut c: ArrayViewMut2<'_, f32>,
    acc: bool,
    threads: usize,
) {
    let (m, k, n) = (x.nrows(), x.ncols(), y.ncols());
    assert!(
        Isa::best().is_some_and(|best| isa == Isa::Avx2 || best == isa),
        "sgemm: this CPU does not run the {isa:?} kernel"
    );
    assert_eq!((y.nrows(), c.dim()), (k, (m, n)), "sgemm: operand shapes");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !acc {
            c.fill(0.0);
        }
        return;
    }
    // Operands as slices with strides (a copy only for layouts that are neither row- nor
    // column-major, which tapegrad's products do not pass).
    let (x_own, y_own);
    let xs = match Matrix::of(&x) {
        Some(src) => src,
        None => {
            x_own = x.as_standard_layout();
            Matrix::of(&x_own.view()).expect("row-major copy")
        }
    };
    let ys = match Matrix::of(&y) {
        Some(src) => src,
        None => {
            y_own = y.as_standard_layout();
            Matrix::of(&y_own.view()).expect("row-major copy")
        }
    };
    let out = Out::of(&mut c);
    let dims = (m, k, n);
    match isa {
        Isa::Avx2 => product(&AVX2, &xs, &ys, &out, dims, acc, threads),
        Isa::Avx512 => product(&AVX512, &xs, &ys, &out, dims, acc, threads),
    }
}

/// The product by `kern`, on one thread or several.
fn product<const MR: usize, const NR: usize>(
    kern: &Kernel<MR, NR>,
    xs: &Matrix<'_>,
    ys: &Matrix<'_>,
    out: &Out,
    dims: Dims,
    acc: bool,
    threads: usize,
) {
    if threads <= 1 {
        serial(kern, xs, ys, out, dims, acc);
    } else {
        parallel(kern, xs, ys, out, dims, acc, threads, PACKED_MAX);
    }
}

/// The product on one thread, in BLIS's loop order: blocks of `y` (`KC × NC`, packed once),
/// then blocks of `x` (`MC × KC`, packed once per block of `y`).
fn serial<const MR: usize, const NR: usize>(
    kern: &Kernel<MR, NR>,
    xs: &Matrix<'_>,
    ys: &Matrix<'_>,
    out: &Out,
    (m, k, n): Dims,
    acc: bool,
) {
    let kc_max = KC.min(k);
    let mc_max = Kernel::<MR, NR>::MC.min(m.div_ceil(MR) * MR);
    let nc_max = NC.min(n.div_ceil(NR) * NR);
    let mut y_buf = pool::take_to_overwrite::<f32>(kc_max * nc_max + ALIGN);
    let mut x_buf = pool::take_to_overwrite::<f32>(kc_max * mc_max + ALIGN);
    let (yo, xo) = (align_offset(&y_buf), align_offset(&x_buf));
    for jc in (0..n).step_by(nc_max) {
        let nc = nc_max.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            let y_len = kc * nc.div_ceil(NR) * NR;
            pack_y::<NR>(ys, (pc, jc), (kc, nc), &mut y_buf[yo..yo + y_len]);
            // Later blocks of k add to what the first one wrote.
            let add = acc || pc > 0;
            for ic in (0..m).step_by(mc_max) {
                let mc = mc_max.min(m - ic);
                let x_len = kc * mc.div_ceil(MR) * MR;
                pack_x::<MR>(xs, (ic, pc), (mc, kc), &mut x_buf[xo..xo + x_len]);
                let panels = (&x_buf[xo..xo + x_len], &y_buf[yo..yo + y_len]);
                block(kern, out, (ic, jc), (mc, nc), panels, kc, add);
            }
        }
    }
    pool::give(y_buf);
    pool::give(x_buf);
}

/// `(m, k, n)`: `c` is `m × n`, and the inner dimension is `k`.
type Dims = (usize, usize, usize);

/// Every tile of the `mc × nc` block of `c` at (`ic`, `jc`), from the packed panels of its
/// rows of `x` and its columns of `y` (`kc` steps each).
fn block<const MR: usize, const NR: usize>(
    kern: &Kernel<MR, NR>,
    out: &Out,
    (ic, jc): (usize, usize),
    (mc, nc): (usize, usize),
    (x_panels, y_panels): (&[f32], &[f32]),
    kc: usize,
    add: bool,
) {
    for (jp, j0) in (0..nc).step_by(NR).enumerate() {
        let y_panel = &y_panels[jp * kc * NR..][..kc * NR];
        for (ip, i0) in (0..mc).step_by(MR).enumerate() {
            let x_panel = &x_panels[ip * kc * MR..][..kc * MR];
            let (rows, cols) = (MR.min(mc - i0), NR.min(nc - j0));
            out.tile(
                kern,
                (ic + i0, jc + j0),
                (rows, cols),
                (x_panel, y_panel),
                kc,
                add,
            );
        }
    }
}

/// Columns of `c` per work item of a parallel product: 16 panels, so the packed columns of
/// `y` an item reads (`KC × CHUNK`, 256 KiB) stay in the core's L2 while the item's rows of
/// `x` stream past.
const CHUNK: usize = 256;

/// At most this many floats of packed operands are held at once by a parallel product
/// (32 MiB): a 1024³ product packs all of both operands (8 MiB).
const PACKED_MAX: usize = 1 << 23;

/// The product on `threads` threads, in phases of as many blocks of `k` (`KC` steps each) as
/// fit in `packed_max` floats ([`PACKED_MAX`]), usually all of them. In each phase:
/// 1. the threads pack all of `x`'s rows (in blocks of `MC`) and all of `y`'s columns (in
///    chunks of `CHUNK`), for every block of `k` of the phase, into two shared buffers, each
///    block packed once, by whichever thread claims it;
/// 2. they compute the `MC × CHUNK` blocks of `c`, again claimed one at a time, each over
///    every block of `k` of the phase in order (the block of `c` stays in the core's L2).
///
/// Each phase is two [`parallel::run`]s, which return when their tasks are done: the buffers
/// are written, then read, then written again. Work is claimed, not divided up front,
/// because the cores of a shared machine do not run at the same speed: with halves fixed in
/// advance, the product waits for the slower core.
#[allow(clippy::too_many_arguments)]
fn parallel<const MR: usize, const NR: usize>(
    kern: &Kernel<MR, NR>,
    xs: &Matrix<'_>,
    ys: &Matrix<'_>,
    out: &Out,
    (m, k, n): Dims,
    acc: bool,
    threads: usize,
    packed_max: usize,
) {
    let kc_max = KC.min(k);
    let (m_pad, n_pad) = (m.div_ceil(MR) * MR, n.div_ceil(NR) * NR);
    // Where block `s` of a phase starts in each buffer.
    let (x_step, y_step) = (m_pad * kc_max, kc_max * n_pad);
    let steps = k.div_ceil(kc_max);
    let per_phase = (packed_max / (x_step + y_step)).clamp(1, steps);
    let mut x_buf = pool::take_to_overwrite::<f32>(per_phase * x_step + ALIGN);
    let mut y_buf = pool::take_to_overwrite::<f32>(per_phase * y_step + ALIGN);
    let (xo, yo) = (align_offset(&x_buf), align_offset(&y_buf));
    let mc_max = Kernel::<MR, NR>::MC;
    let (row_blocks, col_chunks) = (m.div_ceil(mc_max), n.div_ceil(CHUNK));
    let jobs = row_blocks + col_chunks;
    {
        let xp = Phased::new(&mut x_buf[xo..xo + per_phase * x_step]);
        let yp = Phased::new(&mut y_buf[yo..yo + per_phase * y_step]);
        for first in (0..steps).step_by(per_phase) {
            let phase = first..steps.min(first + per_phase);
            // Block `s` of k: its first step and depth.
            let depth = |s: usize| (s * kc_max, kc_max.min(k - s * kc_max));
            parallel::run(phase.len() * jobs, threads, |t| {
                let (s, i) = (t / jobs, t % jobs);
                let (pc, kc) = depth(first + s);
                if i < row_blocks {
                    let (ic, mc) = (i * mc_max, mc_max.min(m - i * mc_max));
                    // SAFETY: rows `ic..ic + mc` of block `s` belong to task `t` alone, and
                    // nothing reads the buffer until this run has returned.
                    let buf =
                        unsafe { xp.part_mut(s * x_step + ic * kc, mc.div_ceil(MR) * MR * kc) };
                    pack_x::<MR>(xs, (ic, pc), (mc, kc), buf);
                } else {
                    let jc = (i - row_blocks) * CHUNK;
                    let nc = CHUNK.min(n - jc);
                    // SAFETY: as for `x`: these columns of block `s` are task `t`'s alone.
                    let buf =
                        unsafe { yp.part_mut(s * y_step + jc * kc, nc.div_ceil(NR) * NR * kc) };
                    pack_y::<NR>(ys, (pc, jc), (kc, nc), buf);
                }
            });
            parallel::run(row_blocks * col_chunks, threads, |t| {
                let (ic, jc) = ((t / col_chunks) * mc_max, (t % col_chunks) * CHUNK);
                let (mc, nc) = (mc_max.min(m - ic), CHUNK.min(n - jc));
                for s in 0..phase.len() {
                    let (pc, kc) = depth(first + s);
                    // SAFETY: the packing run has returned, and nothing writes the buffers
                    // until this run has.
                    let panels = unsafe {
                        (
                            xp.part(s * x_step + ic * kc, mc.div_ceil(MR) * MR * kc),
                            yp.part(s * y_step + jc * kc, nc.div_ceil(NR) * NR * kc),
                        )
                    };
                    // Later blocks of k add to what the first one wrote.
                    block(kern, out, (ic, jc), (mc, nc), panels, kc, acc || pc > 0);
                }
            });
        }
    }
    pool::give(x_buf);
    pool::give(y_buf);
}

/// A buffer that the tasks of one [`parallel::run`] write in disjoint parts, and those of the
/// next run only read.
struct Phased<'a> {
    ptr: *mut f32,
    len: usize,
    _buf: PhantomData<&'a mut [f32]>,
}

// SAFETY: the parts handed out follow the contract of `part_mut` and `part`: during a run, a
// part is written by one task and nobody else touches it, or the buffer is only read.
unsafe impl Sync for Phased<'_> {}

impl<'a> Phased<'a> {
    fn new(buf: &'a mut [f32]) -> Self {
        Phased {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            _buf: PhantomData,
        }
    }

    /// `len` floats from `start`, to write.
    ///
    /// # Safety
    /// Nothing else reads or writes them until the current run has returned.
    #[allow(clippy::mut_from_ref)]
    unsafe fn part_mut(&self, start: usize, len: usize) -> &mut [f32] {
        assert!(start + len <= self.len, "a part inside the buffer");
        // SAFETY: in bounds (asserted); exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }

    /// `len` floats from `start`, to read.
    ///
    /// # Safety
    /// Nothing writes the buffer until the current run has returned.
    unsafe fn part(&self, start: usize, len: usize) -> &[f32] {
        assert!(start + len <= self.len, "a part inside the buffer");
        // SAFETY: in bounds (asserted); nothing writes it, by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.add(start), len) }
    }
}

/// Floats to skip so that `buf[offset..]` starts on a 64-byte boundary.
fn align_offset(buf: &[f32]) -> usize {
    let misalign = (buf.as_ptr() as usize / std::mem::size_of::<f32>()) % ALIGN;
    (ALIGN - misalign) % ALIGN
}

/// A matrix as a slice: element (i, j) at `i * row_stride + j * col_stride`, one of them 1.
struct Matrix<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Matrix<'a> {
    /// `v` as a slice, when it is row-major or column-major (each with any leading stride
    /// at least as long as its rows or columns: no overlapping views).
    fn of(v: &ArrayView2<'a, f32>) -> Option<Self> {
        let (rows, cols) = v.dim();
        // A stride that is never stepped (one row, one column) may be anything.
        let rs = if rows <= 1 {
            None
        } else {
            Some(usize::try_from(v.strides()[0]).ok()?)
        };
        let cs = if cols <= 1 {
            None
        } else {
            Some(usize::try_from(v.strides()[1]).ok()?)
        };
        let (row_stride, col_stride) = match (rs, cs) {
            (rs, None | Some(1)) if rs.is_none_or(|r| r >= cols) => (rs.unwrap_or(cols), 1),
            (None | Some(1), cs) if cs.is_none_or(|c| c >= rows) => (1, cs.unwrap_or(rows)),
            _ => return None,
        };
        let len = (rows - 1) * row_stride + (cols - 1) * col_stride + 1;
        let ptr = v.as_ptr();
        // ndarray gives the span of a view's elements as a slice only when they are
        // contiguous; a block of a larger matrix (a leading stride longer than its rows) is
        // read through the same span, rebuilt from the view's pointer.
        // SAFETY: `row_stride` and `col_stride` are the view's own strides wherever they are
        // stepped, so offset `i * row_stride + j * col_stride` (i < rows, j < cols) is the
        // view's element (i, j): the span up to the last one, `len` floats from the first,
        // lies in the allocation `v` borrows for 'a, which nothing writes meanwhile.
        let data = unsafe { std::slice::from_raw_parts(ptr, len) };
        Some(Matrix {
            data,
            row_stride,
            col_stride,
        })
    }

    /// Row `i` from column `j`, `n` elements (row-major matrices only).
    fn row(&self, i: usize, j: usize, n: usize) -> &'a [f32] {
        &self.data[i * self.row_stride + j..][..n]
    }

    /// Column `j` from row `i`, `n` elements (column-major matrices only).
    fn column(&self, i: usize, j: usize, n: usize) -> &'a [f32] {
        &self.data[j * self.col_stride + i..][..n]
    }
}

/// Packs the `kc × nc` block of `y` at (`p0`, `j0`) into panels of `NR` columns: panel `j`'s
/// step `p` holds that row's `NR` elements (zeros past the last column).
fn pack_y<const NR: usize>(
    y: &Matrix<'_>,
    (p0, j0): (usize, usize),
    (kc, nc): (usize, usize),
    buf: &mut [f32],
) {
    for (panel, j) in buf.chunks_exact_mut(kc * NR).zip((j0..j0 + nc).step_by(NR)) {
        let cols = NR.min(j0 + nc - j);
        if y.col_stride == 1 {
            // Row-major: one copy per step.
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                copy_padded::<NR>(dst, y.row(p0 + p, j, cols));
            }
        } else {
            // Column-major (a transposed operand): the panel's columns read side by side.
            let c: [&[f32]; NR] = std::array::from_fn(|s| y.column(p0, j + s.min(cols - 1), kc));
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                for (d, col) in dst.iter_mut().zip(&c) {
                    *d = col[p];
                }
                dst[cols..].fill(0.0);
            }
        }
    }
}

/// Packs the `mc × kc` block of `x` at (`i0`, `p0`) into panels of `MR` rows: panel `i`'s
/// step `p` holds column `p` of its `MR` rows (zeros past the last row).
fn pack_x<const MR: usize>(
    x: &Matrix<'_>,
    (i0, p0): (usize, usize),
    (mc, kc): (usize, usize),
    buf: &mut [f32],
) {
    for (panel, i) in buf.chunks_exact_mut(kc * MR).zip((i0..i0 + mc).step_by(MR)) {
        let rows = MR.min(i0 + mc - i);
        if x.row_stride == 1 {
            // Column-major (a transposed operand): each step's rows are adjacent.
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                copy_padded::<MR>(dst, x.column(i, p0 + p, rows));
            }
        } else {
            // Row-major: the panel's rows read side by side.
            let r: [&[f32]; MR] = std::array::from_fn(|s| x.row(i + s.min(rows - 1), p0, kc));
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                for (d, row) in dst.iter_mut().zip(&r) {
                    *d = row[p];
                }
                dst[rows..].fill(0.0);
            }
        }
    }
}

/// `src` into the start of `dst`, zeros after it. A whole panel row is copied as a
/// fixed-size array (a few vector moves; a slice copy of run-time length calls `memcpy`,
/// which cost more than the packing itself for small products).
#[inline(always)]
fn copy_padded<const N: usize>(dst: &mut [f32], src: &[f32]) {
    match (
        <&mut [f32; N]>::try_from(&mut *dst),
        <&[f32; N]>::try_from(src),
    ) {
        (Ok(d), Ok(s)) => *d = *s,
        _ => {
            dst[..src.len()].copy_from_slice(src);
            dst[src.len()..].fill(0.0);
        }
    }
}

/// Where tiles of `c` are written: its first element and strides.
struct Out {
    ptr: *mut f32,
    row_stride: isize,
    col_stride: isize,
    rows: usize,
    cols: usize,
}

// SAFETY: the tasks of a parallel product share one `Out`, and write only through `tile`,
// each into the tiles of its own block of `c`: no two tasks write the same element, and
// nobody reads `c` until the product has returned.
unsafe impl Sync for Out {}

impl Out {
    fn of(c: &mut ArrayViewMut2<'_, f32>) -> Self {
        let (rows, cols) = c.dim();
        let (row_stride, col_stride) = (c.strides()[0], c.strides()[1]);
        Out {
            ptr: c.as_mut_ptr(),
            row_stride,
            col_stride,
            rows,
            cols,
        }
    }

    /// Multiplies two packed panels over `kc` steps into the `rows × cols` tile of `c` at
    /// (`i`, `j`) by `kern`, adding to it when `add`.
    fn tile<const MR: usize, const NR: usize>(
        &self,
        kern: &Kernel<MR, NR>,
        (i, j): (usize, usize),
        (rows, cols): (usize, usize),
        (x, y): (&[f32], &[f32]),
        kc: usize,
        add: bool,
    ) {
        assert!(i + rows <= self.rows && j + cols <= self.cols && rows <= MR && cols <= NR);
        assert!(x.len() >= kc * MR && y.len() >= kc * NR);
        let whole = rows == MR && cols == NR && self.col_stride == 1;
        if whole {
            // SAFETY: the tile lies within `c` (asserted above), its rows are contiguous
            // (`col_stride == 1`), the panels hold `kc` steps (asserted), and `sgemm_on` runs
            // a kernel only on a CPU that has its instructions.
            unsafe {
                let c = self.ptr.offset(i as isize * self.row_stride + j as isize);
                (kern.run)(kc, x.as_ptr(), y.as_ptr(), c, self.row_stride, add);
            }
            return;
        }
        // An edge tile (or a strided `c`): the whole tile into a buffer, then its part.
        let mut t = [0.0f32; TILE_MAX];
        assert!(MR * NR <= TILE_MAX, "a tile fits the buffer");
        // SAFETY: as above, with the buffer as a whole contiguous tile.
        unsafe {
            (kern.run)(
                kc,
                x.as_ptr(),
                y.as_ptr(),
                t.as_mut_ptr(),
                NR as isize,
                false,
            )
        };
        for r in 0..rows {
            for s in 0..cols {
                let off = (i + r) as isize * self.row_stride + (j + s) as isize * self.col_stride;
                // SAFETY: (i + r, j + s) is inside `c` (asserted above), so `off` is within
                // the view `ptr` came from, which `sgemm` borrows mutably.
                unsafe {
                    let d = self.ptr.offset(off);
                    *d = if add {
                        *d + t[r * NR + s]
                    } else {
                        t[r * NR + s]
                    };
                }
            }
        }
    }
}

/// `c[0..6][0..16] (+)= x·y` over `k` steps of packed panels, `c`'s rows `rsc` apart.
///
/// # Safety
/// AVX2 and FMA must be available; `x` holds `6k` floats, `y` `16k`, and `c` six rows of 16
/// writable floats `rsc` apart.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2(k: usize, x: *const f32, y: *const f32, c: *mut f32, rsc: isize, add: bool) {
    const MR: usize = 6;
    const NR: usize = 16;
    // SAFETY: the caller's contract (see above) covers every load, store and prefetch.
    unsafe {
        let z = _mm256_setzero_ps();
        let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
        let (mut c30, mut c31, mut c40, mut c41, mut c50, mut c51) = (z, z, z, z, z, z);
        // The tile of `c` is written at the end: start fetching it now.
        for r in 0..MR as isize {
            _mm_prefetch::<_MM_HINT_T0>(c.offset(r * rsc) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(c.offset(r * rsc + 15) as *const i8);
        }
        let (mut x, mut y) = (x, y);
        // Row `r` of the tile: broadcast x[r] of step `p`, times the step's two vectors of y.
        macro_rules! row {
            ($p:expr, $r:expr, $y0:ident, $y1:ident, $c0:ident, $c1:ident) => {{
                let a = _mm256_broadcast_ss(&*x.add(MR * $p + $r));
                $c0 = _mm256_fmadd_ps(a, $y0, $c0);
                $c1 = _mm256_fmadd_ps(a, $y1, $c1);
            }};
        }
        macro_rules! step {
            ($p:expr) => {{
                let y0 = _mm256_loadu_ps(y.add(NR * $p));
                let y1 = _mm256_loadu_ps(y.add(NR * $p + 8));
                row!($p, 0, y0, y1, c00, c01);
                row!($p, 1, y0, y1, c10, c11);
                row!($p, 2, y0, y1, c20, c21);
                row!($p, 3, y0, y1, c30, c31);
                row!($p, 4, y0, y1, c40, c41);
                row!($p, 5, y0, y1, c50, c51);
            }};
        }
        let mut p = 0;
        while p + 4 <= k {
            step!(0);
            step!(1);
            step!(2);
            step!(3);
            x = x.add(4 * MR);
            y = y.add(4 * NR);
            p += 4;
        }
        while p < k {
            step!(0);
            x = x.add(MR);
            y = y.add(NR);
            p += 1;
        }
        let rows = [
            (c00, c01),
            (c10, c11),
            (c20, c21),
            (c30, c31),
            (c40, c41),
            (c50, c51),
        ];
        for (r, (v0, v1)) in rows.into_iter().enumerate() {
            let row = c.offset(r as isize * rsc);
            if add {
                _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), v0));
                _mm256_storeu_ps(row.add(8), _mm256_add_ps(_mm256_loadu_ps(row.add(8)), v1));
            } else {
                _mm256_storeu_ps(row, v0);
                _mm256_storeu_ps(row.add(8), v1);
            }
        }
    }
}

/// `c[0..MR][0..32] (+)= x·y` over `k` steps of packed panels, `c`'s rows `rsc` apart: two
/// 512-bit vectors of `y` per step, each of the `MR` elements of `x` broadcast against them.
/// The accumulators are an array indexed by constants only, which the compiler keeps in
/// registers (`MR` up to 14 fits the 32 of AVX-512 with the two of `y`).
///
/// # Safety
/// AVX-512F must be available; `x` holds `MR·k` floats, `y` `32k`, and `c` `MR` rows of 32
/// writable floats `rsc` apart.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn kernel_avx512<const MR: usize>(
    k: usize,
    x: *const f32,
    y: *const f32,
    c: *mut f32,
    rsc: isize,
    add: bool,
) {
    const NR: usize = 32;
    // SAFETY: the caller's contract (see above) covers every load, store and prefetch.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); 2]; MR];
        for r in 0..MR as isize {
            _mm_prefetch::<_MM_HINT_T0>(c.offset(r * rsc) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(c.offset(r * rsc + 31) as *const i8);
        }
        let (mut x, mut y) = (x, y);
        for _ in 0..k {
            let y0 = _mm512_loadu_ps(y);
            let y1 = _mm512_loadu_ps(y.add(16));
            for (r, row) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_ps(*x.add(r));
                row[0] = _mm512_fmadd_ps(a, y0, row[0]);
                row[1] = _mm512_fmadd_ps(a, y1, row[1]);
            }
            x = x.add(MR);
            y = y.add(NR);
        }
        for (r, [v0, v1]) in acc.into_iter().enumerate() {
            let row = c.offset(r as isize * rsc);
            if add {
                _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), v0));
                _mm512_storeu_ps(row.add(16), _mm512_add_ps(_mm512_loadu_ps(row.add(16)), v1));
            } else {
                _mm512_storeu_ps(row, v0);
                _mm512_storeu_ps(row.add(16), v1);
            }
        }
    }
}

/// Never called: `available()` is false off x86-64.
///
/// # Safety
/// None needed; it only keeps the callers compiling on other targets.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel_avx2(_: usize, _: *const f32, _: *const f32, _: *mut f32, _: isize, _: bool) {
    unreachable!("sgemm runs only on x86-64 with AVX2 and FMA")
}

/// Never called: `available()` is false off x86-64.
///
/// # Safety
/// None needed; it only keeps the callers compiling on other targets.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel_avx512<const MR: usize>(
    _: usize,
    _: *const f32,
    _: *const f32,
    _: *mut f32,
    _: isize,
    _: bool,
) {
    unreachable!("sgemm runs only on x86-64 with AVX2 and FMA")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};

    /// The product in f64 (ndarray's own), the reference.
    fn reference(x: &ArrayView2<'_, f32>, y: &ArrayView2<'_, f32>) -> Array2<f64> {
        x.mapv(f64::from).dot(&y.mapv(f64::from))
    }

    fn filled(rows: usize, cols: usize, seed: usize, f_order: bool) -> Array2<f32> {
        let v: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919 + seed * 104729) % 1999) as f32 / 1999.0 - 0.5)
            .collect();
        if f_order {
            Array2::from_shape_vec((rows, cols).f(), v).unwrap()
        } else {
            Array2::from_shape_vec((rows, cols), v).unwrap()
        }
    }

    /// Edge tiles in both directions, several blocks of k and of m, transposed (column-major)
    /// operands, a strided `c`, and accumulation.
    #[test]
    fn the_blocked_product_matches_the_product_in_f64() {
        for isa in Isa::all() {
            for &(m, k, n) in &[
                (1, 1, 1),
                (7, 5, 17),
                (6, 256, 16),
                (77, 300, 33),
                // Two blocks of m and n, three of k.
                (79, 520, 1030),
            ] {
                for &(xf, yf) in &[(false, false), (true, false), (false, true), (true, true)] {
                    let x = filled(m, k, 1, xf);
                    let y = filled(k, n, 2, yf);
                    let want = reference(&x.view(), &y.view());
                    let mut c = Array2::<f32>::from_elem((m, n), 9.0);
                    sgemm_on(isa, x.view(), y.view(), c.view_mut(), false, 1);
                    let mut c_acc = Array2::<f32>::from_elem((m, n), 1.0);
                    sgemm_on(isa, x.view(), y.view(), c_acc.view_mut(), true, 1);
                    let mut c_t = Array2::<f32>::zeros((n, m));
                    sgemm_on(
                        isa,
                        x.view(),
                        y.view(),
                        c_t.view_mut().reversed_axes(),
                        false,
                        1,
                    );
                    for ((i, j), &w) in want.indexed_iter() {
                        let tol = 1e-5 * (k as f64).sqrt() + 1e-6;
                        assert!((c[[i, j]] as f64 - w).abs() < tol, "{m}x{k}x{n} at {i},{j}");
                        assert!((c_acc[[i, j]] as f64 - 1.0 - w).abs() < tol);
                        assert!((c_t[[j, i]] as f64 - w).abs() < tol);
                    }
                }
            }
        }
    }

    /// The same FMA chain per element as matrixmultiply's (blocks of 256 over k), so
    /// switching kernels changes no result.
    #[test]
    fn the_bits_are_matrixmultiplys() {
        for isa in Isa::all() {
            for &(m, k, n) in &[(13, 100, 40), (64, 600, 96)] {
                let (x, y) = (filled(m, k, 3, false), filled(k, n, 4, true));
                let mut ours = Array2::<f32>::zeros((m, n));
                sgemm_on(isa, x.view(), y.view(), ours.view_mut(), false, 1);
                let mut theirs = Array2::<f32>::zeros((m, n));
                ndarray::linalg::general_mat_mul(1.0, &x, &y, 0.0, &mut theirs);
                assert_eq!(ours, theirs, "{isa:?}, {m}x{k}x{n}");
            }
        }
    }

    /// Blocks of larger matrices (a leading stride longer than a row) are read in place; a
    /// broadcast operand (stride 0) is copied first.
    #[test]
    fn blocks_and_broadcasts_are_read_right() {
        for isa in Isa::all() {
            let big = filled(40, 300, 5, false);
            let x = big.slice(ndarray::s![3..33, 10..270]);
            let big_t = filled(300, 50, 6, true);
            let y_block = big_t.slice(ndarray::s![20..280, 5..42]);
            let row = filled(1, 37, 7, false);
            let y_bcast = row.broadcast((260, 37)).unwrap();
            for y in [y_block, y_bcast] {
                let want = reference(&x, &y);
                let mut c = Array2::<f32>::zeros((30, 37));
                sgemm_on(isa, x, y, c.view_mut(), false, 1);
                for ((i, j), &w) in want.indexed_iter() {
                    assert!((c[[i, j]] as f64 - w).abs() < 1e-4, "at {i},{j}");
                }
            }
        }
    }

    /// Threads claim blocks as they go, yet each element of `c` gets the same FMAs in the
    /// same order: the result does not depend on the number of threads, bit for bit. Shapes
    /// with edge blocks in m (72 rows), n (256 columns) and k (256 steps), fewer blocks than
    /// threads, transposed operands, a transposed `c`, and accumulation.
    #[test]
    fn the_parallel_product_is_the_serial_one_bit_for_bit() {
        for isa in Isa::all() {
            for &(m, k, n) in &[(1, 3, 700), (150, 520, 300), (73, 257, 529), (300, 40, 17)] {
                for &(xf, yf) in &[(false, false), (true, true)] {
                    let (x, y) = (filled(m, k, 8, xf), filled(k, n, 9, yf));
                    let mut serial = Array2::<f32>::from_elem((m, n), 0.25);
                    sgemm_on(isa, x.view(), y.view(), serial.view_mut(), true, 1);
                    for threads in [2, 3, 5] {
                        let mut par = Array2::<f32>::from_elem((m, n), 0.25);
                        sgemm_on(isa, x.view(), y.view(), par.view_mut(), true, threads);
                        assert_eq!(par, serial, "{m}x{k}x{n}, {threads} threads");
                        let mut par_t = Array2::<f32>::from_elem((n, m), 7.0);
                        sgemm_on(
                            isa,
                            x.view(),
                            y.view(),
                            par_t.view_mut().reversed_axes(),
                            false,
                            threads,
                        );
                        let mut ser_t = Array2::<f32>::zeros((n, m));
                        sgemm_on(
                            isa,
                            x.view(),
                            y.view(),
                            ser_t.view_mut().reversed_axes(),
                            false,
                            1,
                        );
                        assert_eq!(par_t, ser_t, "{m}x{k}x{n} into a transposed c");
                    }
                }
            }
        }
    }

    /// A product whose packed operands exceed the budget goes in several phases (one or two
    /// blocks of k each), with the same bits.
    #[test]
    fn a_product_in_phases_is_the_serial_one_bit_for_bit() {
        for isa in Isa::all() {
            match isa {
                Isa::Avx2 => in_phases(&AVX2, isa),
                Isa::Avx512 => in_phases(&AVX512, isa),
            }
        }
    }

    fn in_phases<const MR: usize, const NR: usize>(kern: &Kernel<MR, NR>, isa: Isa) {
        let (m, k, n) = (100, 1100, 90);
        let (x, y) = (filled(m, k, 10, false), filled(k, n, 11, true));
        let one_block = (m.div_ceil(MR) * MR + n.div_ceil(NR) * NR) * KC;
        for acc in [false, true] {
            let mut serial = Array2::<f32>::from_elem((m, n), 0.5);
            sgemm_on(isa, x.view(), y.view(), serial.view_mut(), acc, 1);
            for budget in [0, 2 * one_block] {
                let mut par = Array2::<f32>::from_elem((m, n), 0.5);
                let (xs, ys) = (
                    Matrix::of(&x.view()).unwrap(),
                    Matrix::of(&y.view()).unwrap(),
                );
                let out = Out::of(&mut par.view_mut());
                parallel(kern, &xs, &ys, &out, (m, k, n), acc, 2, budget);
                assert_eq!(par, serial, "{isa:?}, budget {budget}, acc {acc}");
            }
        }
    }

    #[test]
    fn an_empty_depth_gives_zeros_or_leaves_c() {
        for isa in Isa::all() {
            let x = Array2::<f32>::zeros((3, 0));
            let y = Array2::<f32>::zeros((0, 4));
            let mut c = Array2::<f32>::from_elem((3, 4), 2.0);
            sgemm_on(isa, x.view(), y.view(), c.view_mut(), true, 1);
            assert!(c.iter().all(|&v| v == 2.0));
            sgemm_on(isa, x.view(), y.view(), c.view_mut(), false, 1);
            assert!(c.iter().all(|&v| v == 0.0));
        }
    }
}
