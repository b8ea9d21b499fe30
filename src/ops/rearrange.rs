//! Rearranging elements: `movedim`, `diagonal` (views), `flip` (one op), and compositions of
//! views, `cat` and masks — `roll`, `repeat`, `tile`, `tril`, `triu`, `diag`, `trace`, `pad` —
//! whose gradients follow from their parts.

use ndarray::Axis;

use super::normalize_dim;
use crate::autograd::{Context, Function, Grads};
use crate::tensor::storage::Layout;
use crate::{Element, Float, Tensor};

/// The elements reversed along `dims` (a copy; its own adjoint).
pub(crate) struct Flip(Vec<usize>);

impl<T: Float> Function<T> for Flip {
    fn name(&self) -> &'static str {
        "flip"
    }
    fn backward(&self, _ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        Grads::one(g.flip_at(&self.0))
    }
}

/// The diagonal `offset` of dims `d1` and `d2`, as a view (the diagonal becomes the last dim).
pub(crate) struct Diagonal {
    offset: isize,
    d1: usize,
    d2: usize,
}

impl<T: Float> Function<T> for Diagonal {
    fn name(&self) -> &'static str {
        "diagonal"
    }
    fn backward(&self, ctx: &Context<'_, T>, g: &Tensor<T>) -> Grads<T> {
        // Zeros of the input's shape with `g` on the diagonal, built as a strided view.
        let shape = ctx.input_shape(0);
        let layout = diagonal_layout(&Layout::contiguous(shape), self.offset, self.d1, self.d2);
        let rel = Layout::new(layout.shape(), &layout.strides(), layout.offset());
        Grads::one(g.contiguous().as_strided_scatter(&rel, shape))
    }
}

/// The layout of the diagonal `offset` of dims `d1`, `d2` of a tensor with layout `l`.
fn diagonal_layout(l: &Layout, offset: isize, d1: usize, d2: usize) -> Layout {
    let (n1, n2) = (l.shape()[d1] as isize, l.shape()[d2] as isize);
    let (s1, s2) = (l.strides()[d1], l.strides()[d2]);
    let len = if offset >= 0 {
        (n1.min(n2 - offset)).max(0)
    } else {
        ((n1 + offset).min(n2)).max(0)
    } as usize;
    let start = if len == 0 {
        l.offset()
    } else if offset >= 0 {
        l.offset() + offset as usize * s2
    } else {
        l.offset() + (-offset) as usize * s1
    };
    let mut shape = Vec::new();
    let mut strides = Vec::new();
    for d in 0..l.shape().len() {
        if d != d1 && d != d2 {
            shape.push(l.shape()[d]);
            strides.push(l.strides()[d]);
        }
    }
    shape.push(len);
    strides.push(s1 + s2);
    Layout::new(&shape, &strides, start)
}

impl<T: Element> Tensor<T> {
    #[track_caller]
    fn flip_at(&self, dims: &[usize]) -> Tensor<T> {
        let values = {
            let d = self.data();
            let mut v = d.view();
            for &a in dims {
                v.invert_axis(Axis(a));
            }
            super::to_standard(&v)
        };
        Tensor::from_any_op(values, Flip(dims.to_vec()), self)
    }

    /// The elements in reverse order along each of `dims`, as `torch.flip`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.flip(&[1]).to_vec(), vec![2.0, 1.0, 4.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn flip(&self, dims: &[isize]) -> Tensor<T> {
        let mut d = Vec::with_capacity(dims.len());
        for &x in dims {
            d.push(normalize_dim("flip", x, self.shape()));
        }
        self.flip_at(&d)
    }

    /// Moves dim `source` to position `destination`, the others keeping their order (a view).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(t.movedim(0, -1).shape(), &[3, 4, 2]);
    /// ```
    #[track_caller]
    pub fn movedim(&self, source: isize, destination: isize) -> Tensor<T> {
        let s = normalize_dim("movedim", source, self.shape());
        let d = normalize_dim("movedim", destination, self.shape());
        let mut order: Vec<isize> = (0..self.ndim() as isize)
            .filter(|&i| i != s as isize)
            .collect();
        order.insert(d, s as isize);
        self.permute(&order)
    }

    /// The diagonal `offset` (above the main one when positive) of dims `d1` and `d2`, as a
    /// view whose last dim is the diagonal (`torch.diagonal`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::<f32>::arange(0.0, 9.0, 1.0).reshape(&[3, 3]);
    /// assert_eq!(m.diagonal(0, 0, 1).to_vec(), vec![0.0, 4.0, 8.0]);
    /// assert_eq!(m.diagonal(1, 0, 1).to_vec(), vec![1.0, 5.0]);
    /// assert!(m.diagonal(-1, 0, 1).shares_storage(&m));
    /// ```
    #[track_caller]
    pub fn diagonal(&self, offset: isize, d1: isize, d2: isize) -> Tensor<T> {
        let (a, b) = (
            normalize_dim("diagonal", d1, self.shape()),
            normalize_dim("diagonal", d2, self.shape()),
        );
        assert!(
            a != b,
            "tapegrad: diagonal: dims {d1} and {d2} are the same dim of shape {:?}",
            self.shape()
        );
        let layout = diagonal_layout(self.layout(), offset, a, b);
        self.view_op(
            layout,
            Diagonal {
                offset,
                d1: a,
                d2: b,
            },
        )
    }
}

impl<T: Float> Tensor<T> {
    /// The sum of the main diagonal of a matrix.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// assert_eq!(Tensor::<f32>::eye(3).trace().item(), 3.0);
    /// ```
    #[track_caller]
    pub fn trace(&self) -> Tensor<T> {
        assert!(
            self.ndim() == 2,
            "tapegrad: trace: expects a matrix, got shape {:?}",
            self.shape()
        );
        self.diagonal(0, 0, 1).sum()
    }

    /// For a vector: the square matrix with it on diagonal `k`; for a matrix: its diagonal
    /// `k` (a copy), as `torch.diag`.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let v = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(v.diag(0).to_vec(), vec![1.0, 0.0, 0.0, 2.0]);
    /// assert_eq!(v.diag(1).shape(), &[3, 3]);
    /// assert_eq!(v.diag(0).diag(0).to_vec(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn diag(&self, k: isize) -> Tensor<T> {
        match self.ndim() {
            1 => {
                let n = self.shape()[0];
                let square = self.unsqueeze(1) * Tensor::eye(n);
                let k_abs = k.unsigned_abs();
                // Diagonal k lies k columns right (k > 0) or k rows down (k < 0).
                if k >= 0 {
                    square.pad(&[k_abs, 0, 0, k_abs], PadMode::Constant(T::zero()))
                } else {
                    square.pad(&[0, k_abs, k_abs, 0], PadMode::Constant(T::zero()))
                }
            }
            2 => self.diagonal(k, 0, 1).contiguous(),
            _ => panic!(
                "tapegrad: diag: expects a vector or a matrix, got shape {:?}",
                self.shape()
            ),
        }
    }
}

impl<T: Element> Tensor<T> {
    /// The elements shifted by `shifts[i]` along `dims[i]`, wrapping around (`torch.roll`);
    /// with no `dims` and one shift, the flattened elements are rolled, as PyTorch's.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(t.roll(&[1], &[0]).to_vec(), vec![4.0, 1.0, 2.0, 3.0]);
    /// let m = t.reshape(&[2, 2]);
    /// assert_eq!(m.roll(&[1], &[]).to_vec(), vec![4.0, 1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn roll(&self, shifts: &[isize], dims: &[isize]) -> Tensor<T> {
        if dims.is_empty() && shifts.len() == 1 {
            // No dims: the flattened tensor is rolled and given its shape back (PyTorch's
            // `roll(shifts)` without `dims`).
            let shape: Vec<isize> = self.shape().iter().map(|&n| n as isize).collect();
            return self.reshape(&[-1]).roll(shifts, &[0]).reshape(&shape);
        }
        assert!(
            shifts.len() == dims.len(),
            "tapegrad: roll: {} shifts for {} dims",
            shifts.len(),
            dims.len()
        );
        let mut out = self.clone();
        for (&shift, &dim) in shifts.iter().zip(dims) {
            let d = normalize_dim("roll", dim, self.shape());
            let n = self.shape()[d] as isize;
            if n == 0 {
                continue;
            }
            let s = shift.rem_euclid(n) as usize;
            if s == 0 {
                continue;
            }
            let n = n as usize;
            let tail = out.narrow(d as isize, n - s, s);
            let head = out.narrow(d as isize, 0, n - s);
            out = Tensor::cat(&[&tail, &head], d as isize);
        }
        out
    }

    /// The tensor tiled `reps[i]` times along dim `i` (`torch.Tensor.repeat`; `reps` may be
    /// longer than the dims, adding leading ones).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(t.repeat(&[2]).to_vec(), vec![1.0, 2.0, 1.0, 2.0]);
    /// assert_eq!(t.repeat(&[2, 1]).shape(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn repeat(&self, reps: &[usize]) -> Tensor<T> {
        assert!(
            reps.len() >= self.ndim(),
            "tapegrad: repeat: {} repeats for shape {:?} (need at least one per dim)",
            reps.len(),
            self.shape()
        );
        let lead = reps.len() - self.ndim();
        let shape: Vec<usize> = (0..reps.len())
            .map(|i| if i < lead { 1 } else { self.shape()[i - lead] })
            .collect();
        // [s0, s1] → [1, s0, 1, s1] → expand to [r0, s0, r1, s1] → [r0·s0, r1·s1].
        let mut split = Vec::new();
        let mut expanded = Vec::new();
        for (&r, &s) in reps.iter().zip(&shape) {
            split.extend([1, s as isize]);
            expanded.extend([r as isize, s as isize]);
        }
        let out: Vec<isize> = reps
            .iter()
            .zip(&shape)
            .map(|(&r, &s)| (r * s) as isize)
            .collect();
        self.reshape(&split).expand(&expanded).reshape(&out)
    }

    /// [`Tensor::repeat`] with `reps` padded with leading ones to the number of dims
    /// (`torch.tile`).
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let t = Tensor::<f32>::ones(&[2, 3]);
    /// assert_eq!(t.tile(&[2]).shape(), &[2, 6]);
    /// ```
    #[track_caller]
    pub fn tile(&self, reps: &[usize]) -> Tensor<T> {
        let mut full = vec![1; self.ndim().saturating_sub(reps.len())];
        full.extend_from_slice(reps);
        self.repeat(&full)
    }
}

impl<T: Float> Tensor<T> {
    /// The lower triangle of the last two dims (elements with `col − row ≤ k`), zeros above.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::<f32>::ones(&[2, 2]);
    /// assert_eq!(m.tril(0).to_vec(), vec![1.0, 0.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn tril(&self, k: isize) -> Tensor<T> {
        self * &self.triangle_mask("tril", |row, col| col - row <= k)
    }

    /// The upper triangle of the last two dims (elements with `col − row ≥ k`), zeros below.
    ///
    /// ```
    /// use tapegrad::Tensor;
    /// let m = Tensor::<f32>::ones(&[2, 2]);
    /// assert_eq!(m.triu(1).to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn triu(&self, k: isize) -> Tensor<T> {
        self * &self.triangle_mask("triu", |row, col| col - row >= k)
    }

    #[track_caller]
    fn triangle_mask(&self, op: &str, keep: impl Fn(isize, isize) -> bool) -> Tensor<T> {
        let s = self.shape();
        assert!(
            s.len() >= 2,
            "tapegrad: {op}: expects at least 2 dims, got shape {s:?}"
        );
        let (rows, cols) = (s[s.len() - 2], s[s.len() - 1]);
        let mask = (0..rows * cols)
            .map(|i| {
                let (r, c) = ((i / cols) as isize, (i % cols) as isize);
                if keep(r, c) { T::one() } else { T::zero() }
            })
            .collect();
        Tensor::from_vec(mask, &[rows, cols])
    }

    /// Pads the last dims, PyTorch's `F.pad` order: `(left, right)` for the last dim, then
    /// `(top, bottom)` for the one before, and so on.
    ///
    /// # Panics
    /// If `pad` has an odd length or more pairs than dims, or a reflect pad is not smaller
    /// than its dim.
    ///
    /// ```
    /// use tapegrad::{PadMode, Tensor};
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(t.pad(&[1, 2], PadMode::Constant(0.0)).to_vec(), vec![0.0, 1.0, 2.0, 3.0, 0.0, 0.0]);
    /// assert_eq!(t.pad(&[2, 1], PadMode::Reflect).to_vec(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
    /// assert_eq!(t.pad(&[1, 1], PadMode::Replicate).to_vec(), vec![1.0, 1.0, 2.0, 3.0, 3.0]);
    /// assert_eq!(t.pad(&[1, 1], PadMode::Circular).to_vec(), vec![3.0, 1.0, 2.0, 3.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn pad(&self, pad: &[usize], mode: PadMode<T>) -> Tensor<T> {
        assert!(
            pad.len().is_multiple_of(2) && pad.len() / 2 <= self.ndim(),
            "tapegrad: pad: {pad:?} does not pair up with the dims of shape {:?}",
            self.shape()
        );
        let mut out = self.clone();
        for (i, lr) in pad.chunks(2).enumerate() {
            let d = self.ndim() - 1 - i;
            out = out.pad_dim(d, lr[0], lr[1], mode);
        }
        out
    }

    #[track_caller]
    fn pad_dim(&self, d: usize, left: usize, right: usize, mode: PadMode<T>) -> Tensor<T> {
        if left == 0 && right == 0 {
            return self.clone();
        }
        let n = self.shape()[d];
        let dim = d as isize;
        let side = |len: usize, at_left: bool| -> Tensor<T> {
            match mode {
                PadMode::Constant(v) => {
                    let mut shape = self.shape().to_vec();
                    shape[d] = len;
                    Tensor::full(&shape, v)
                }
                PadMode::Reflect => {
                    assert!(
                        len < n,
                        "tapegrad: pad: a reflect pad of {len} needs a dim longer than {len}, got {n} in shape {:?}",
                        self.shape()
                    );
                    let start = if at_left { 1 } else { n - 1 - len };
                    self.narrow(dim, start, len).flip_at(&[d])
                }
                PadMode::Replicate => {
                    let edge = self.narrow(dim, if at_left { 0 } else { n - 1 }, 1);
                    let mut shape: Vec<isize> = edge.shape().iter().map(|&s| s as isize).collect();
                    shape[d] = len as isize;
                    edge.expand(&shape)
                }
                PadMode::Circular => {
                    assert!(
                        len <= n,
                        "tapegrad: pad: a circular pad of {len} is longer than dim {d} of shape {:?}",
                        self.shape()
                    );
                    self.narrow(dim, if at_left { n - len } else { 0 }, len)
                }
            }
        };
        let mut parts = Vec::new();
        if left > 0 {
            parts.push(side(left, true));
        }
        parts.push(self.clone());
        if right > 0 {
            parts.push(side(right, false));
        }
        let refs: Vec<&Tensor<T>> = parts.iter().collect();
        Tensor::cat(&refs, dim)
    }
}

/// How [`Tensor::pad`] fills the new elements (PyTorch's `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode<T> {
    /// A constant value.
    Constant(T),
    /// The mirror image without the edge (`[1, 2, 3]` → `[3, 2, 1, 2, 3, 2]`).
    Reflect,
    /// Copies of the edge element.
    Replicate,
    /// The other end, wrapping around.
    Circular,
}

/// `torch.einsum`: each operand's letters name its dims, and `...` stands for the dims no
/// letter names (broadcast across operands, aligned from the right); letters missing from
/// the output (after `->`, or else the letters seen once, in alphabetical order after the
/// `...` dims) are summed. A letter repeated within one operand takes that operand's
/// diagonal (`"ii->i"`, `"ii"` is the trace). Computed as diagonal views, one broadcast
/// product and a sum, so gradients (and second derivatives) follow from those ops.
///
/// # Panics
/// If the equation does not fit the operands: wrong letter counts, sizes that differ for one
/// letter, a repeated letter over dims of different sizes, more than one `...` in a term.
///
/// ```
/// use tapegrad::{einsum, Tensor};
/// let a = Tensor::<f32>::ones(&[2, 3, 4]);
/// let b = Tensor::<f32>::ones(&[2, 4, 5]);
/// assert_eq!(einsum("bij,bjk->bik", &[&a, &b]).shape(), &[2, 3, 5]);
/// assert_eq!(einsum("...ij,...jk->...ik", &[&a, &b]).shape(), &[2, 3, 5]);
/// let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(einsum("ij->ji", &[&m]).to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
/// assert_eq!(einsum("ij,ij->", &[&m, &m]).item(), 30.0);
/// assert_eq!(einsum("ii->i", &[&m]).to_vec(), vec![1.0, 4.0]);
/// assert_eq!(einsum("ii", &[&m]).item(), 5.0);
/// ```
#[track_caller]
pub fn einsum<T: Float>(equation: &str, operands: &[&Tensor<T>]) -> Tensor<T> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (inputs, output) = match eq.split_once("->") {
        Some((i, o)) => (i, Some(o)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<&str> = inputs.split(',').collect();
    if terms.len() != operands.len() {
        panic!(
            "tapegrad: einsum: {equation:?} names {} operands, got {}",
            terms.len(),
            operands.len()
        );
    }
    // The dims `...` covers: as many as the operand with the most (broadcast from the right).
    let ellipsis_dims = |term: &str, t: &Tensor<T>| -> usize {
        if !term.contains("...") {
            return 0;
        }
        let named = term.replacen("...", "", 1).chars().count();
        if term.matches("...").count() > 1 || named > t.ndim() {
            panic!(
                "tapegrad: einsum: {term:?} in {equation:?} does not name the dims of shape {:?}",
                t.shape()
            );
        }
        t.ndim() - named
    };
    let widest = terms
        .iter()
        .zip(operands)
        .map(|(term, t)| ellipsis_dims(term, t))
        .max()
        .unwrap_or(0);
    // `...` becomes letters of its own (from Unicode's private use area), the last ones
    // shared by every operand, so its dims broadcast like numpy's.
    let hidden = |k: usize| char::from_u32(0xE000 + k as u32).expect("a private-use char");
    let expand = |term: &str, k: usize| -> Vec<char> {
        match term.split_once("...") {
            Some((left, right)) => left
                .chars()
                .chain((widest - k..widest).map(hidden))
                .chain(right.chars())
                .collect(),
            None => term.chars().collect(),
        }
    };
    // Each operand with its letters; a letter repeated within it becomes its diagonal.
    let mut named: Vec<(Tensor<T>, Vec<char>)> = Vec::new();
    for (term, &t) in terms.iter().zip(operands) {
        let mut chars = expand(term, ellipsis_dims(term, t));
        let letters_ok = term
            .replacen("...", "", 1)
            .chars()
            .all(|c| c.is_ascii_alphabetic());
        if chars.len() != t.ndim() || !letters_ok {
            panic!(
                "tapegrad: einsum: {term:?} in {equation:?} does not name the dims of shape {:?}",
                t.shape()
            );
        }
        let mut t = t.clone();
        while let Some((p, q)) = repeated(&chars) {
            let (m, n) = (t.shape()[p], t.shape()[q]);
            if m != n {
                panic!(
                    "tapegrad: einsum: letter {:?} repeats within {term:?} over dims of sizes \
                     {m} and {n} ({equation:?})",
                    chars[p]
                );
            }
            // The diagonal drops both dims and appends itself as the last.
            t = t.diagonal(0, p as isize, q as isize);
            let c = chars[p];
            chars.remove(q);
            chars.remove(p);
            chars.push(c);
        }
        named.push((t, chars));
    }
    // Every letter in first-seen order, with its size.
    let mut letters: Vec<(char, usize)> = Vec::new();
    for (t, chars) in &named {
        for (&c, &n) in chars.iter().zip(t.shape()) {
            match letters.iter_mut().find(|(l, _)| *l == c) {
                Some((_, m)) if *m != n && *m != 1 && n != 1 => panic!(
                    "tapegrad: einsum: letter {c:?} is {m} in one operand and {n} in another ({equation:?})"
                ),
                Some((_, m)) => *m = (*m).max(n),
                None => letters.push((c, n)),
            }
        }
    }
    let out: Vec<char> = match output {
        Some(o) => {
            if o.matches("...").count() > 1 {
                panic!("tapegrad: einsum: more than one `...` in the output of {equation:?}");
            }
            expand(o, widest)
        }
        None => {
            // Implicit output: the `...` dims, then the letters seen once, alphabetically.
            let mut once: Vec<char> = letters
                .iter()
                .map(|&(c, _)| c)
                .filter(|&c| c.is_ascii_alphabetic())
                .filter(|&c| inputs.chars().filter(|&x| x == c).count() == 1)
                .collect();
            once.sort_unstable();
            (0..widest).map(hidden).chain(once).collect()
        }
    };
    for (k, c) in out.iter().enumerate() {
        if !letters.iter().any(|(l, _)| l == c) {
            panic!("tapegrad: einsum: output letter {c:?} is not in the inputs of {equation:?}");
        }
        if out[..k].contains(c) {
            panic!("tapegrad: einsum: output letter {c:?} repeats in {equation:?}");
        }
    }
    // Left to right, two operands at a time (as PyTorch without opt_einsum): each step keeps
    // the letters a later operand or the output still needs, so no intermediate holds a
    // letter longer than it must.
    let mut named = named.into_iter();
    let mut acc = named.next().expect("at least one operand");
    let rest: Vec<(Tensor<T>, Vec<char>)> = named.collect();
    if rest.is_empty() {
        return broadcast_contract(&[acc], &out);
    }
    for (i, next) in rest.iter().enumerate() {
        let keep: Vec<char> = if i + 1 == rest.len() {
            out.clone()
        } else {
            let later: Vec<char> = rest[i + 1..]
                .iter()
                .flat_map(|(_, c)| c.iter().copied())
                .chain(out.iter().copied())
                .collect();
            let mut keep: Vec<char> = Vec::new();
            for &c in acc.1.iter().chain(&next.1) {
                if later.contains(&c) && !keep.contains(&c) {
                    keep.push(c);
                }
            }
            keep
        };
        let y = contract_pair(&acc.0, &acc.1, &next.0, &next.1, &keep)
            .unwrap_or_else(|| broadcast_contract(&[acc, next.clone()], &keep));
        acc = (y, keep);
    }
    acc.0
}

/// The operands' broadcast product over every letter, summed down to `out`.
fn broadcast_contract<T: Float>(named: &[(Tensor<T>, Vec<char>)], out: &[char]) -> Tensor<T> {
    let mut letters: Vec<char> = Vec::new();
    for (_, chars) in named {
        for &c in chars {
            if !letters.contains(&c) {
                letters.push(c);
            }
        }
    }
    // Global order: output letters first, then the summed ones.
    let mut order: Vec<char> = out.to_vec();
    order.extend(letters.iter().copied().filter(|c| !out.contains(c)));
    let mut product: Option<Tensor<T>> = None;
    for (t, chars) in named {
        // Permute the operand's dims into global order, then insert size-1 dims for the rest.
        let present: Vec<isize> = order
            .iter()
            .filter_map(|c| chars.iter().position(|x| x == c).map(|p| p as isize))
            .collect();
        let mut aligned = t.permute(&present);
        for (k, c) in order.iter().enumerate() {
            if !chars.contains(c) {
                aligned = aligned.unsqueeze(k as isize);
            }
        }
        product = Some(match product {
            None => aligned,
            Some(p) => p * aligned,
        });
    }
    let product = product.expect("at least one operand");
    let summed: Vec<isize> = (out.len()..order.len()).map(|d| d as isize).collect();
    if summed.is_empty() {
        product.contiguous()
    } else {
        product.sum_dims(&summed, false)
    }
}

/// Two operands as one (batched) matrix product, as PyTorch's `einsum` does, instead of a
/// broadcast product of every letter (which for `"bij,bjk->bik"` holds b·i·j·k numbers).
/// Letters only one operand has and the output lacks are summed first; then the shared
/// letters in the output are batch dims, the shared ones not in it are contracted, and the
/// rest are the rows and columns. `None` (the general path) when nothing is contracted or a
/// contracted letter would need broadcasting.
fn contract_pair<T: Float>(
    a: &Tensor<T>,
    ca: &[char],
    b: &Tensor<T>,
    cb: &[char],
    out: &[char],
) -> Option<Tensor<T>> {
    // Sums out the letters of `t` that neither the other operand nor the output has.
    let reduce = |t: &Tensor<T>, c: &[char], other: &[char]| -> (Tensor<T>, Vec<char>) {
        let lone: Vec<isize> = (0..c.len())
            .filter(|&k| !other.contains(&c[k]) && !out.contains(&c[k]))
            .map(|k| k as isize)
            .collect();
        if lone.is_empty() {
            return (t.clone(), c.to_vec());
        }
        let kept = c
            .iter()
            .enumerate()
            .filter(|(k, _)| !lone.contains(&(*k as isize)));
        (t.sum_dims(&lone, false), kept.map(|(_, &x)| x).collect())
    };
    let (a, ca) = reduce(a, ca, cb);
    let (b, cb) = reduce(b, cb, &ca);
    let size =
        |t: &Tensor<T>, c: &[char], x: char| t.shape()[c.iter().position(|&y| y == x).unwrap()];
    let batch: Vec<char> = out
        .iter()
        .copied()
        .filter(|x| ca.contains(x) && cb.contains(x))
        .collect();
    let summed: Vec<char> = ca
        .iter()
        .copied()
        .filter(|x| cb.contains(x) && !out.contains(x))
        .collect();
    let rows: Vec<char> = ca.iter().copied().filter(|x| !cb.contains(x)).collect();
    let cols: Vec<char> = cb.iter().copied().filter(|x| !ca.contains(x)).collect();
    // Without a contracted letter the broadcast product is the output itself: no gain.
    if summed.is_empty() || summed.iter().any(|&x| size(&a, &ca, x) != size(&b, &cb, x)) {
        return None;
    }
    let arrange = |t: &Tensor<T>, c: &[char], first: &[char], second: &[char]| {
        let order: Vec<isize> = batch
            .iter()
            .chain(first)
            .chain(second)
            .map(|x| c.iter().position(|y| y == x).unwrap() as isize)
            .collect();
        let mut shape: Vec<isize> = batch.iter().map(|&x| size(t, c, x) as isize).collect();
        shape.push(first.iter().map(|&x| size(t, c, x)).product::<usize>() as isize);
        shape.push(second.iter().map(|&x| size(t, c, x)).product::<usize>() as isize);
        t.permute(&order).reshape(&shape)
    };
    let product = arrange(&a, &ca, &rows, &summed).matmul(&arrange(&b, &cb, &summed, &cols));
    // [batch…, rows, cols] → one dim per letter, then the output's order.
    let mut shape: Vec<isize> = product.shape()[..batch.len()]
        .iter()
        .map(|&n| n as isize)
        .collect();
    shape.extend(rows.iter().map(|&x| size(&a, &ca, x) as isize));
    shape.extend(cols.iter().map(|&x| size(&b, &cb, x) as isize));
    let have: Vec<char> = batch.iter().chain(&rows).chain(&cols).copied().collect();
    let order: Vec<isize> = out
        .iter()
        .map(|x| have.iter().position(|y| y == x).unwrap() as isize)
        .collect();
    Some(product.reshape(&shape).permute(&order).contiguous())
}

/// The first two positions that hold the same letter.
fn repeated(chars: &[char]) -> Option<(usize, usize)> {
    (0..chars.len()).find_map(|p| {
        (p + 1..chars.len())
            .find(|&q| chars[q] == chars[p])
            .map(|q| (p, q))
    })
}
