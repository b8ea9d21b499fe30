//! Recurrent layers: `Rnn`, `Gru`, `Lstm` (layers, `batch_first`, bidirectional) and their
//! cells, with PyTorch's equations, gate order (GRU: r, z, n; LSTM: i, f, g, o),
//! initialisation U(−1/√hidden, 1/√hidden) and parameter names (`weight_ih_l0`,
//! `bias_hh_l1_reverse`, ...). Built from tensor ops, so gradients of any order flow.

use rand::Rng;

use super::Module;
use super::linear::uniform;
use crate::{Float, Tensor};

/// Which recurrence a layer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rnn,
    Gru,
    Lstm,
}

impl Kind {
    /// Rows of the stacked gate weights, in units of the hidden size.
    fn gates(self) -> usize {
        match self {
            Kind::Rnn => 1,
            Kind::Gru => 3,
            Kind::Lstm => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Rnn => "Rnn",
            Kind::Gru => "Gru",
            Kind::Lstm => "Lstm",
        }
    }
}

/// The weights of one direction of one layer (or of a cell).
struct Weights<T: Float> {
    w_ih: Tensor<T>,
    w_hh: Tensor<T>,
    b_ih: Option<Tensor<T>>,
    b_hh: Option<Tensor<T>>,
}

impl<T: Float> Weights<T> {
    fn new<R: Rng + ?Sized>(kind: Kind, input: usize, hidden: usize, rng: &mut R) -> Self {
        let bound = 1.0 / (hidden.max(1) as f64).sqrt();
        let rows = kind.gates() * hidden;
        let mut param = |shape: &[usize]| uniform::<T, R>(shape, bound, rng).requires_grad();
        Weights {
            w_ih: param(&[rows, input]),
            w_hh: param(&[rows, hidden]),
            b_ih: Some(param(&[rows])),
            b_hh: Some(param(&[rows])),
        }
    }

    fn named(&self, suffix: &str) -> Vec<(String, Tensor<T>)> {
        let mut out = vec![
            (format!("weight_ih{suffix}"), self.w_ih.clone()),
            (format!("weight_hh{suffix}"), self.w_hh.clone()),
        ];
        if let Some(b) = &self.b_ih {
            out.push((format!("bias_ih{suffix}"), b.clone()));
        }
        if let Some(b) = &self.b_hh {
            out.push((format!("bias_hh{suffix}"), b.clone()));
        }
        out
    }

    /// `x·W_ihᵀ + b_ih` for inputs `[.., input]`.
    fn input_part(&self, x: &Tensor<T>) -> Tensor<T> {
        let y = x.matmul_t(&self.w_ih);
        match &self.b_ih {
            Some(b) => y + b,
            None => y,
        }
    }

    /// `h·W_hhᵀ + b_hh`.
    fn hidden_part(&self, h: &Tensor<T>) -> Tensor<T> {
        let y = h.matmul_t(&self.w_hh);
        match &self.b_hh {
            Some(b) => y + b,
            None => y,
        }
    }

    /// One step: `xi` is the input part for this step (`[N, G·H]`); returns the new `h`
    /// (and `c` for an LSTM).
    fn step(
        &self,
        kind: Kind,
        xi: &Tensor<T>,
        h: &Tensor<T>,
        c: Option<&Tensor<T>>,
    ) -> (Tensor<T>, Option<Tensor<T>>) {
        let hh = self.hidden_part(h);
        match kind {
            Kind::Rnn => ((xi + &hh).tanh(), None),
            Kind::Gru => {
                let (xs, hs) = (xi.chunk(3, -1), hh.chunk(3, -1));
                let r = (&xs[0] + &hs[0]).sigmoid();
                let z = (&xs[1] + &hs[1]).sigmoid();
                let n = (&xs[2] + &(r * &hs[2])).tanh();
                // (1 − z)·n + z·h
                let h_new = &n + &(z * &(h - &n));
                (h_new, None)
            }
            Kind::Lstm => {
                let gates = (xi + &hh).chunk(4, -1);
                let i = gates[0].sigmoid();
                let f = gates[1].sigmoid();
                let g = gates[2].tanh();
                let o = gates[3].sigmoid();
                let c_new = f * c.expect("an LSTM carries c") + i * g;
                let h_new = o * c_new.tanh();
                (h_new, Some(c_new))
            }
        }
    }
}

/// A stack of recurrent layers; `Rnn`, `Gru` and `Lstm` wrap it.
struct Stack<T: Float> {
    kind: Kind,
    input: usize,
    hidden: usize,
    layers: usize,
    batch_first: bool,
    bidirectional: bool,
    /// `[layer][direction]`.
    weights: Vec<Vec<Weights<T>>>,
}

impl<T: Float> Stack<T> {
    fn new<R: Rng + ?Sized>(kind: Kind, input: usize, hidden: usize, rng: &mut R) -> Self {
        let mut s = Stack {
            kind,
            input,
            hidden,
            layers: 1,
            batch_first: false,
            bidirectional: false,
            weights: Vec::new(),
        };
        s.build(rng);
        s
    }

    fn dirs(&self) -> usize {
        1 + self.bidirectional as usize
    }

    fn build<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let dirs = self.dirs();
        self.weights = (0..self.layers)
            .map(|l| {
                let input = if l == 0 {
                    self.input
                } else {
                    self.hidden * dirs
                };
                (0..dirs)
                    .map(|_| Weights::new(self.kind, input, self.hidden, rng))
                    .collect()
            })
            .collect();
    }

    /// Rebuilds the weights for a new layer count or direction, drawing from an rng seeded
    /// by the current weights (builders have no rng of their own).
    fn rebuild(&mut self) {
        use rand::SeedableRng;
        let seed = self.weights[0][0]
            .w_ih
            .to_vec()
            .first()
            .map_or(0, |v| v.as_f64().to_bits());
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        self.build(&mut rng);
    }

    fn named(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = Vec::new();
        for (l, dirs) in self.weights.iter().enumerate() {
            for (d, w) in dirs.iter().enumerate() {
                let suffix = format!("_l{l}{}", if d == 1 { "_reverse" } else { "" });
                out.extend(w.named(&suffix));
            }
        }
        out
    }

    /// Runs the stack over `x`; `state` is `h0` (and `c0`), `[layers·dirs, N, H]`.
    #[track_caller]
    fn run(
        &self,
        x: &Tensor<T>,
        state: Option<(Tensor<T>, Option<Tensor<T>>)>,
    ) -> (Tensor<T>, Tensor<T>, Option<Tensor<T>>) {
        let op = self.kind.name();
        let unbatched = x.ndim() == 2;
        if !(x.ndim() == 2 || x.ndim() == 3) || x.shape()[x.ndim() - 1] != self.input {
            panic!(
                "tapegrad: {op}: expects input [L, N, {in}] ([N, L, {in}] with batch_first, or \
                 [L, {in}]), got shape {:?}",
                x.shape(),
                in = self.input
            );
        }
        // Time-major [L, N, in].
        let x = if unbatched {
            x.unsqueeze(1)
        } else if self.batch_first {
            x.transpose(0, 1)
        } else {
            x.clone()
        };
        let (steps, n) = (x.shape()[0], x.shape()[1]);
        let dirs = self.dirs();
        let slots = self.layers * dirs;
        let lstm = self.kind == Kind::Lstm;
        let (h0, c0) = match state {
            Some((h, c)) => {
                let h = if unbatched { h.unsqueeze(1) } else { h };
                let c = c.map(|c| if unbatched { c.unsqueeze(1) } else { c });
                if h.shape() != [slots, n, self.hidden] {
                    panic!(
                        "tapegrad: {op}: initial state of shape {:?}, expected [{slots}, {n}, {}]",
                        h.shape(),
                        self.hidden
                    );
                }
                (h, c)
            }
            None => {
                let zeros = Tensor::zeros(&[slots, n, self.hidden]);
                (zeros.clone(), lstm.then_some(zeros))
            }
        };
        let mut layer_in = x;
        let (mut h_last, mut c_last) = (Vec::new(), Vec::new());
        for (l, dir_weights) in self.weights.iter().enumerate() {
            let mut outs = Vec::with_capacity(dirs);
            for (d, w) in dir_weights.iter().enumerate() {
                let slot = (l * dirs + d) as isize;
                let mut h = h0.select(0, slot);
                let mut c = c0.as_ref().map(|c| c.select(0, slot));
                // All steps' input parts in one matmul.
                let xi = w.input_part(&layer_in);
                let mut seq = vec![None; steps];
                let order: Box<dyn Iterator<Item = usize>> = if d == 0 {
                    Box::new(0..steps)
                } else {
                    Box::new((0..steps).rev())
                };
                for t in order {
                    let (h_new, c_new) =
                        w.step(self.kind, &xi.select(0, t as isize), &h, c.as_ref());
                    h = h_new;
                    c = c_new;
                    seq[t] = Some(h.clone());
                }
                let seq: Vec<Tensor<T>> = seq.into_iter().map(|s| s.expect("every step")).collect();
                let refs: Vec<&Tensor<T>> = seq.iter().collect();
                outs.push(if steps > 0 {
                    Tensor::stack(&refs, 0)
                } else {
                    Tensor::zeros(&[0, n, self.hidden])
                });
                h_last.push(h);
                c_last.extend(c);
            }
            let refs: Vec<&Tensor<T>> = outs.iter().collect();
            layer_in = if dirs == 1 {
                outs[0].clone()
            } else {
                Tensor::cat(&refs, -1)
            };
        }
        let stack = |v: &[Tensor<T>]| {
            let refs: Vec<&Tensor<T>> = v.iter().collect();
            let s = Tensor::stack(&refs, 0);
            if unbatched { s.squeeze(1) } else { s }
        };
        let h_n = stack(&h_last);
        let c_n = lstm.then(|| stack(&c_last));
        let out = if unbatched {
            layer_in.squeeze(1)
        } else if self.batch_first {
            layer_in.transpose(0, 1)
        } else {
            layer_in
        };
        (out, h_n, c_n)
    }
}

/// Defines a multi-layer recurrent layer type over [`Stack`].
macro_rules! recurrent {
    ($name:ident, $kind:expr, $torch:literal, $doc:literal) => {
        #[doc = concat!("A multi-layer ", $doc, ", as `torch.nn.", $torch, "`: input `[L, N, in]` (`[N, L, in]` with `batch_first`, or unbatched `[L, in]`), output `[L, N, dirs·hidden]`. Options as builders: `.num_layers(n) .batch_first(bool) .bidirectional(bool)`.")]
        ///
        /// ```
        /// use tapegrad::prelude::*;
        /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
        #[doc = concat!("let m = nn::", stringify!($name), "::<f32>::new(3, 5, &mut StdRng::seed_from_u64(0)).num_layers(2).batch_first(true).bidirectional(true);")]
        /// let x = Tensor::ones(&[4, 7, 3]); // [N, L, in]
        /// let (out, _state) = m.forward_with_state(&x, None);
        /// assert_eq!(out.shape(), &[4, 7, 10]);
        /// assert_eq!(m.named_parameters()[0].0, "weight_ih_l0");
        /// ```
        pub struct $name<T: Float = f32> {
            stack: Stack<T>,
        }

        impl<T: Float> $name<T> {
            /// `input` features to `hidden` features, one layer, time-major, one direction.
            pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
                $name {
                    stack: Stack::new($kind, input, hidden, rng),
                }
            }

            /// Stacks `n` layers (new weights for the new shapes).
            pub fn num_layers(mut self, n: usize) -> Self {
                self.stack.layers = n.max(1);
                self.stack.rebuild();
                self
            }

            /// Inputs and outputs `[N, L, ..]` instead of `[L, N, ..]`.
            pub fn batch_first(mut self, batch_first: bool) -> Self {
                self.stack.batch_first = batch_first;
                self
            }

            /// Runs each layer forwards and backwards, outputs concatenated (new weights).
            pub fn bidirectional(mut self, bidirectional: bool) -> Self {
                self.stack.bidirectional = bidirectional;
                self.stack.rebuild();
                self
            }
        }

        impl<T: Float> Module<T> for $name<T> {
            /// The output sequence (the final state discarded).
            #[track_caller]
            fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
                self.forward_with_state(x, None).0
            }

            fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
                self.stack.named()
            }
        }
    };
}

recurrent!(
    Rnn,
    Kind::Rnn,
    "RNN",
    "Elman RNN with tanh, `h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)`"
);
recurrent!(Gru, Kind::Gru, "GRU", "GRU (gates r, z, n)");
recurrent!(Lstm, Kind::Lstm, "LSTM", "LSTM (gates i, f, g, o)");

impl<T: Float> Rnn<T> {
    /// The output sequence and the final hidden state `h_n` (`[layers·dirs, N, hidden]`),
    /// from `h0` (zeros when `None`).
    #[track_caller]
    pub fn forward_with_state(
        &self,
        x: &Tensor<T>,
        h0: Option<Tensor<T>>,
    ) -> (Tensor<T>, Tensor<T>) {
        let (out, h, _) = self.stack.run(x, h0.map(|h| (h, None)));
        (out, h)
    }
}

impl<T: Float> Gru<T> {
    /// The output sequence and the final hidden state `h_n`, from `h0` (zeros when `None`).
    #[track_caller]
    pub fn forward_with_state(
        &self,
        x: &Tensor<T>,
        h0: Option<Tensor<T>>,
    ) -> (Tensor<T>, Tensor<T>) {
        let (out, h, _) = self.stack.run(x, h0.map(|h| (h, None)));
        (out, h)
    }
}

impl<T: Float> Lstm<T> {
    /// The output sequence and the final state `(h_n, c_n)`, from `(h0, c0)` (zeros when
    /// `None`).
    #[track_caller]
    pub fn forward_with_state(
        &self,
        x: &Tensor<T>,
        state: Option<(Tensor<T>, Tensor<T>)>,
    ) -> (Tensor<T>, (Tensor<T>, Tensor<T>)) {
        let (out, h, c) = self.stack.run(x, state.map(|(h, c)| (h, Some(c))));
        (out, (h, c.expect("an LSTM returns c")))
    }
}

/// Defines a cell type: one step of a recurrence.
macro_rules! cell {
    ($name:ident, $kind:expr, $torch:literal) => {
        #[doc = concat!("One step of the recurrence, as `torch.nn.", $torch, "`: input `[N, in]` (or `[in]`), parameters `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.")]
        pub struct $name<T: Float = f32> {
            weights: Weights<T>,
            hidden: usize,
        }

        impl<T: Float> $name<T> {
            /// `input` features to `hidden` features.
            pub fn new<R: Rng + ?Sized>(input: usize, hidden: usize, rng: &mut R) -> Self {
                $name {
                    weights: Weights::new($kind, input, hidden, rng),
                    hidden,
                }
            }

            fn zeros(&self, x: &Tensor<T>) -> Tensor<T> {
                let mut shape = x.shape()[..x.ndim() - 1].to_vec();
                shape.push(self.hidden);
                Tensor::zeros(&shape)
            }

            /// One step from `h` (and `c` for an LSTM; zeros when `None`). An unbatched `[in]`
            /// sample (states `[hidden]`) is a batch of one; any other shape panics at the
            /// caller's line.
            #[track_caller]
            fn step_from(
                &self,
                x: &Tensor<T>,
                h: Option<Tensor<T>>,
                c: Option<Tensor<T>>,
            ) -> (Tensor<T>, Option<Tensor<T>>) {
                let input = self.weights.w_ih.shape()[1];
                if !matches!(x.ndim(), 1 | 2) || x.shape()[x.ndim() - 1] != input {
                    panic!(
                        "tapegrad: {}: expects input [N, {input}] or [{input}], got shape {:?}",
                        $torch,
                        x.shape()
                    );
                }
                if x.ndim() == 1 {
                    let one = |t: Tensor<T>| t.unsqueeze(0);
                    let (h, c) = self.step_from(&x.unsqueeze(0), h.map(one), c.map(one));
                    return (h.squeeze(0), c.map(|c| c.squeeze(0)));
                }
                let h = h.unwrap_or_else(|| self.zeros(x));
                let c = ($kind == Kind::Lstm).then(|| c.unwrap_or_else(|| self.zeros(x)));
                let xi = self.weights.input_part(x);
                self.weights.step($kind, &xi, &h, c.as_ref())
            }
        }

        impl<T: Float> Module<T> for $name<T> {
            /// The new hidden state from a zero state.
            #[track_caller]
            fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
                self.step_from(x, None, None).0
            }

            fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
                self.weights.named("")
            }
        }
    };
}

cell!(RnnCell, Kind::Rnn, "RNNCell");
cell!(GruCell, Kind::Gru, "GRUCell");
cell!(LstmCell, Kind::Lstm, "LSTMCell");

impl<T: Float> RnnCell<T> {
    /// `h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)`, from `h` (zeros when `None`).
    ///
    /// ```
    /// use tapegrad::prelude::*;
    /// use tapegrad::rand::{rngs::StdRng, SeedableRng};
    /// let cell = nn::RnnCell::<f32>::new(3, 4, &mut StdRng::seed_from_u64(0));
    /// let h = cell.forward_with_state(&Tensor::ones(&[2, 3]), None);
    /// assert_eq!(cell.forward_with_state(&Tensor::ones(&[2, 3]), Some(h)).shape(), &[2, 4]);
    /// ```
    #[track_caller]
    pub fn forward_with_state(&self, x: &Tensor<T>, h: Option<Tensor<T>>) -> Tensor<T> {
        self.step_from(x, h, None).0
    }
}

impl<T: Float> GruCell<T> {
    /// The new hidden state from `h` (zeros when `None`).
    #[track_caller]
    pub fn forward_with_state(&self, x: &Tensor<T>, h: Option<Tensor<T>>) -> Tensor<T> {
        self.step_from(x, h, None).0
    }
}

impl<T: Float> LstmCell<T> {
    /// The new `(h, c)` from `(h, c)` (zeros when `None`).
    #[track_caller]
    pub fn forward_with_state(
        &self,
        x: &Tensor<T>,
        state: Option<(Tensor<T>, Tensor<T>)>,
    ) -> (Tensor<T>, Tensor<T>) {
        let (h, c) = state.unzip();
        let (h, c) = self.step_from(x, h, c);
        (h, c.expect("an LSTM returns c"))
    }
}
