//! Attention: `scaled_dot_product_attention`, `MultiheadAttention` and
//! `TransformerEncoderLayer`, with PyTorch's defaults, mask conventions and parameter names.

use rand::Rng;

use super::functional::dropout;
use super::{Dropout, LayerNorm, Linear};
use crate::{Float, Module, Tensor, where_cond};

/// `softmax(q·kᵀ/√d + mask)·v`, as `F.scaled_dot_product_attention`: `q` `[.., L, d]`, `k`
/// `[.., S, d]`, `v` `[.., S, dv]`. `attn_mask` is a bool mask broadcastable to `[.., L, S]`
/// where `true` means "may attend" (PyTorch's convention for this function); `is_causal`
/// lets position `i` attend to `j ≤ i` only. Dropout on the weights with probability
/// `dropout_p` (use 0 at evaluation). A query that may attend to no key gets zero weights
/// (and a zero output row), as PyTorch's, not NaN.
///
/// ```
/// use tapegrad::{nn::functional::scaled_dot_product_attention as sdpa, Tensor};
/// let q = Tensor::<f64>::ones(&[1, 3, 2]);
/// let v = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[1, 3, 2]);
/// let y = sdpa(&q, &q, &v, None, 0.0, true);
/// // Row 0 sees only position 0; row 2 averages all three.
/// assert_eq!(y.i((0, 0)).to_vec(), vec![1.0, 0.0]);
/// assert!((y.i((0, 2)).to_vec()[0] - 2.0 / 3.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn scaled_dot_product_attention<T: Float>(
    q: &Tensor<T>,
    k: &Tensor<T>,
    v: &Tensor<T>,
    attn_mask: Option<&Tensor<bool>>,
    dropout_p: f64,
    is_causal: bool,
) -> Tensor<T> {
    let d = *q.shape().last().unwrap_or(&1);
    let scores = q.matmul(&k.transpose(-2, -1)) * T::of_f64(1.0 / (d as f64).sqrt());
    let (l, s) = (
        scores.shape()[scores.ndim() - 2],
        scores.shape()[scores.ndim() - 1],
    );
    let mut allowed: Option<Tensor<bool>> = attn_mask.cloned();
    if is_causal {
        let causal = Tensor::<bool>::ones(&[l, s]).cast::<f64>().tril(0).gt(0.0);
        allowed = Some(match allowed {
            Some(m) => &m & &causal,
            None => causal,
        });
    }
    let scores = match &allowed {
        Some(m) => scores.masked_fill(&m.logical_not(), T::neg_infinity()),
        None => scores,
    };
    // Only a mask can leave a query no key (as −∞ scores).
    let mut weights = if allowed.is_some() {
        safe_softmax(&scores)
    } else {
        scores.softmax(-1)
    };
    if dropout_p > 0.0 {
        weights = dropout(&weights, dropout_p, true, &mut rand::rng());
    }
    weights.matmul(v)
}

/// Softmax over the last dim, except that a row whose scores are all −∞ (every key masked)
/// gives zeros instead of `0/0 = NaN`, as PyTorch's `_safe_softmax` in
/// `scaled_dot_product_attention`. Its gradient there is 0: the row's scores are all masked
/// fills, which pass no gradient on.
fn safe_softmax<T: Float>(scores: &Tensor<T>) -> Tensor<T> {
    let weights = scores.softmax(-1);
    let dead = scores.eq(T::neg_infinity()).all_dim(-1, true);
    if !dead.any().item() {
        return weights;
    }
    where_cond(&dead, T::zero(), &weights)
}

/// Multi-head attention, as `torch.nn.MultiheadAttention`: parameters `in_proj_weight`
/// (`[3E, E]`, Xavier-uniform), `in_proj_bias` (zeros), `out_proj.weight`, `out_proj.bias`
/// (zeros). Inputs `[L, N, E]` (`[N, L, E]` with `batch_first`).
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let mha = nn::MultiheadAttention::<f32>::new(8, 2, &mut StdRng::seed_from_u64(0)).batch_first(true);
/// let x = Tensor::ones(&[3, 5, 8]);
/// let (y, w) = mha.forward_qkv(&x, &x, &x, None, None, true);
/// assert_eq!((y.shape(), w.unwrap().shape()), (&[3, 5, 8][..], &[3, 5, 5][..]));
/// ```
#[derive(Module)]
pub struct MultiheadAttention<T: Float = f32> {
    /// `[3E, E]`: the query, key and value projections stacked.
    pub in_proj_weight: Tensor<T>,
    /// `[3E]`.
    pub in_proj_bias: Option<Tensor<T>>,
    /// The output projection.
    pub out_proj: Linear<T>,
    /// The number of heads (divides E).
    pub num_heads: usize,
    /// `[N, L, E]` inputs and outputs instead of `[L, N, E]`.
    pub batch_first: bool,
    /// Dropout on the attention weights in training mode.
    pub dropout: f64,
    #[module(training)]
    training: bool,
}

impl<T: Float> MultiheadAttention<T> {
    /// `embed_dim` features in `num_heads` heads.
    ///
    /// # Panics
    /// If `num_heads` does not divide `embed_dim`.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(embed_dim: usize, num_heads: usize, rng: &mut R) -> Self {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            panic!(
                "tapegrad: MultiheadAttention: embed_dim {embed_dim} must be divisible by \
                 num_heads {num_heads}"
            );
        }
        let in_proj_weight = Tensor::zeros(&[3 * embed_dim, embed_dim]);
        super::init::xavier_uniform(&in_proj_weight, 1.0, rng);
        let out_proj = Linear::new(embed_dim, embed_dim, rng);
        if let Some(b) = &out_proj.bias {
            crate::no_grad(|| b.zero_());
        }
        MultiheadAttention {
            in_proj_weight: in_proj_weight.requires_grad(),
            in_proj_bias: Some(Tensor::zeros(&[3 * embed_dim]).requires_grad()),
            out_proj,
            num_heads,
            batch_first: false,
            dropout: 0.0,
            training: true,
        }
    }

    /// `[N, L, E]` inputs and outputs.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// Dropout on the attention weights (training mode only).
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Self-attention of `x` without masks (the output only).
    #[track_caller]
    pub fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.forward_qkv(x, x, x, None, None, false).0
    }

    /// Attention of `query` over `key`/`value`, as PyTorch's `forward(query, key, value,
    /// key_padding_mask, attn_mask, need_weights)`. Masks are bool with `true` meaning
    /// "masked out" (PyTorch's convention here): `key_padding_mask` `[N, S]`, `attn_mask`
    /// `[L, S]` or `[N·heads, L, S]`. With `need_weights`, the attention weights averaged
    /// over heads, `[N, L, S]`. Unbatched inputs `[L, E]` (with a `key_padding_mask` `[S]`)
    /// give `[L, E]` and `[L, S]`, as PyTorch's. A query with every key masked attends to
    /// nothing (zero weights, so its output is the output projection's bias), as PyTorch's
    /// `need_weights=False` path; PyTorch's `need_weights=True` path gives NaN there.
    ///
    /// # Panics
    /// If the shapes do not fit.
    #[track_caller]
    pub fn forward_qkv(
        &self,
        query: &Tensor<T>,
        key: &Tensor<T>,
        value: &Tensor<T>,
        key_padding_mask: Option<&Tensor<bool>>,
        attn_mask: Option<&Tensor<bool>>,
        need_weights: bool,
    ) -> (Tensor<T>, Option<Tensor<T>>) {
        if query.ndim() == 2 {
            // Unbatched inputs ([L, E], [S, E]; a key_padding_mask [S]), as PyTorch takes
            // them: a batch of one.
            let dim = if self.batch_first { 0 } else { 1 };
            let padding = key_padding_mask.map(|m| m.unsqueeze(0));
            let (out, weights) = self.forward_qkv(
                &query.unsqueeze(dim),
                &key.unsqueeze(dim),
                &value.unsqueeze(dim),
                padding.as_ref(),
                attn_mask,
                need_weights,
            );
            return (out.squeeze(dim), weights.map(|w| w.squeeze(0)));
        }
        let e = self.in_proj_weight.shape()[1];
        // Checked here, not in the closure below, so a panic names the caller's line.
        for t in [query, key, value] {
            if t.ndim() != 3 || t.shape()[2] != e {
                panic!(
                    "tapegrad: MultiheadAttention: expects inputs [L, N, {e}] ([N, L, {e}] with \
                     batch_first) or unbatched [L, {e}], got shape {:?}",
                    t.shape()
                );
            }
        }
        let to_batch = |t: &Tensor<T>| {
            if self.batch_first {
                t.clone()
            } else {
                t.transpose(0, 1)
            }
        };
        let (q, k, v) = (to_batch(query), to_batch(key), to_batch(value));
        let (n, l, s) = (q.shape()[0], q.shape()[1], k.shape()[1]);
        let h = self.num_heads;
        let hd = e / h;
        let w = self.in_proj_weight.chunk(3, 0);
        let b = self.in_proj_bias.as_ref().map(|b| b.chunk(3, 0));
        let project = |x: &Tensor<T>, i: usize, len: usize| {
            let y = x.matmul_t(&w[i]);
            let y = match &b {
                Some(b) => y + &b[i],
                None => y,
            };
            // [N, len, E] → [N, heads, len, hd]
            y.reshape(&[n as isize, len as isize, h as isize, hd as isize])
                .transpose(1, 2)
        };
        let (qh, kh, vh) = (project(&q, 0, l), project(&k, 1, s), project(&v, 2, s));
        let mut scores = qh.matmul(&kh.transpose(-2, -1)) * T::of_f64(1.0 / (hd as f64).sqrt());
        if let Some(m) = attn_mask {
            let m = match m.ndim() {
                2 => m.clone(),
                3 => m.reshape(&[n as isize, h as isize, l as isize, s as isize]),
                _ => panic!(
                    "tapegrad: MultiheadAttention: attn_mask of shape {:?}, expected [{l}, {s}] \
                     or [{}, {l}, {s}]",
                    m.shape(),
                    n * h
                ),
            };
            scores = scores.masked_fill(&m, T::neg_infinity());
        }
        if let Some(m) = key_padding_mask {
            if m.shape() != [n, s] {
                panic!(
                    "tapegrad: MultiheadAttention: key_padding_mask of shape {:?}, expected \
                     [{n}, {s}]",
                    m.shape()
                );
            }
            scores = scores.masked_fill(
                &m.reshape(&[n as isize, 1, 1, s as isize]),
                T::neg_infinity(),
            );
        }
        let masked = attn_mask.is_some() || key_padding_mask.is_some();
        let mut weights = if masked {
            safe_softmax(&scores)
        } else {
            scores.softmax(-1)
        };
        if self.training && self.dropout > 0.0 {
            weights = dropout(&weights, self.dropout, true, &mut rand::rng());
        }
        let out = weights
            .matmul(&vh)
            .transpose(1, 2)
            .reshape(&[n as isize, l as isize, e as isize]);
        let out = self.out_proj.forward(&out);
        let out = if self.batch_first {
            out
        } else {
            out.transpose(0, 1)
        };
        let avg = need_weights.then(|| weights.mean_dim(1, false));
        (out, avg)
    }
}

/// One transformer encoder layer, as `torch.nn.TransformerEncoderLayer`: self-attention and
/// a ReLU feed-forward block, each with dropout, a residual connection and LayerNorm (after
/// the block by default, before it with `norm_first`). Defaults: dropout 0.1, eps 1e-5,
/// `[L, N, E]` inputs.
///
/// ```
/// use tapegrad::prelude::*;
/// use tapegrad::rand::{rngs::StdRng, SeedableRng};
/// let layer = nn::TransformerEncoderLayer::<f32>::new(8, 2, 16, &mut StdRng::seed_from_u64(0))
///     .dropout(0.0)
///     .batch_first(true);
/// assert_eq!(layer.forward(&Tensor::ones(&[3, 5, 8])).shape(), &[3, 5, 8]);
/// assert_eq!(layer.named_parameters()[0].0, "self_attn.in_proj_weight");
/// ```
#[derive(Module)]
pub struct TransformerEncoderLayer<T: Float = f32> {
    /// The self-attention block.
    pub self_attn: MultiheadAttention<T>,
    /// `E → dim_feedforward`.
    pub linear1: Linear<T>,
    dropout: Dropout,
    /// `dim_feedforward → E`.
    pub linear2: Linear<T>,
    /// After (or before, with `norm_first`) the attention block.
    pub norm1: LayerNorm<T>,
    /// After (or before) the feed-forward block.
    pub norm2: LayerNorm<T>,
    dropout1: Dropout,
    dropout2: Dropout,
    /// LayerNorm before each block instead of after.
    pub norm_first: bool,
}

impl<T: Float> TransformerEncoderLayer<T> {
    /// `d_model` features, `nhead` heads, a feed-forward block of `dim_feedforward`.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        d_model: usize,
        nhead: usize,
        dim_feedforward: usize,
        rng: &mut R,
    ) -> Self {
        TransformerEncoderLayer {
            self_attn: MultiheadAttention::new(d_model, nhead, rng).dropout(0.1),
            linear1: Linear::new(d_model, dim_feedforward, rng),
            dropout: Dropout::new(0.1),
            linear2: Linear::new(dim_feedforward, d_model, rng),
            norm1: LayerNorm::new(d_model),
            norm2: LayerNorm::new(d_model),
            dropout1: Dropout::new(0.1),
            dropout2: Dropout::new(0.1),
            norm_first: false,
        }
    }

    /// The dropout probability of every dropout in the layer.
    pub fn dropout(mut self, p: f64) -> Self {
        self.self_attn.dropout = p;
        self.dropout = Dropout::new(p);
        self.dropout1 = Dropout::new(p);
        self.dropout2 = Dropout::new(p);
        self
    }

    /// `[N, L, E]` inputs and outputs.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.self_attn.batch_first = batch_first;
        self
    }

    /// LayerNorm before each block (pre-norm) instead of after.
    pub fn norm_first(mut self, norm_first: bool) -> Self {
        self.norm_first = norm_first;
        self
    }

    /// The layer applied to `src` without masks.
    #[track_caller]
    pub fn forward(&self, src: &Tensor<T>) -> Tensor<T> {
        self.forward_with_mask(src, None, None)
    }

    /// The layer with PyTorch's `src_mask` (`[L, L]`, `true` = masked out) and
    /// `src_key_padding_mask` (`[N, L]`, `true` = padding).
    #[track_caller]
    pub fn forward_with_mask(
        &self,
        src: &Tensor<T>,
        src_mask: Option<&Tensor<bool>>,
        src_key_padding_mask: Option<&Tensor<bool>>,
    ) -> Tensor<T> {
        // Checked here so a wrong input panics at the caller's line (the closures below
        // cannot pass it on).
        let d = self.self_attn.in_proj_weight.shape()[1];
        if !matches!(src.ndim(), 2 | 3) || src.shape()[src.ndim() - 1] != d {
            panic!(
                "tapegrad: TransformerEncoderLayer: expects input [S, N, {d}] ([N, S, {d}] with \
                 batch_first) or unbatched [S, {d}], got shape {:?}",
                src.shape()
            );
        }
        let attend = |x: &Tensor<T>| {
            let (y, _) = self
                .self_attn
                .forward_qkv(x, x, x, src_key_padding_mask, src_mask, false);
            Module::<T>::forward(&self.dropout1, &y)
        };
        let feed = |x: &Tensor<T>| {
            let h = Module::<T>::forward(&self.dropout, &self.linear1.forward(x).relu());
            Module::<T>::forward(&self.dropout2, &self.linear2.forward(&h))
        };
        if self.norm_first {
            let x = src + &attend(&self.norm1.forward(src));
            &x + &feed(&self.norm2.forward(&x))
        } else {
            let x = self.norm1.forward(&(src + &attend(src)));
            self.norm2.forward(&(&x + &feed(&x)))
        }
    }
}
