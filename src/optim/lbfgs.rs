//! L-BFGS, as `torch.optim.LBFGS`: a quasi-Newton method that re-evaluates the loss through a
//! closure, with an optional strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and
//! 3.6, with cubic interpolation), and PyTorch's defaults and stopping rules.

use std::collections::VecDeque;

use super::{Optimizer, Params, check, check_params, or_panic};
use crate::{Error, Float, Tensor, no_grad};

/// L-BFGS over the parameters, stepped with [`Lbfgs::step_with`] and a closure that zeroes
/// the gradients, computes the loss, calls `backward` and returns the loss.
///
/// ```
/// use tapegrad::{optim::Lbfgs, Tensor};
/// // The Rosenbrock function, minimum at (1, 1).
/// let p = Tensor::from_vec(vec![-1.5f64, 2.0], &[2]).requires_grad();
/// let mut opt = Lbfgs::new(vec![p.clone()], 1.0).strong_wolfe(true).max_iter(100);
/// for _ in 0..5 {
///     opt.step_with(|| {
///         p.zero_grad();
///         let (x, y) = (p.i(0), p.i(1));
///         let loss = (1.0 - &x).square() + (&y - x.square()).square() * 100.0;
///         loss.backward();
///         loss
///     });
/// }
/// assert!(p.to_vec().iter().all(|v| (v - 1.0).abs() < 1e-4));
/// ```
pub struct Lbfgs<T: Float = f32> {
    params: Params<T>,
    max_iter: usize,
    max_eval: Option<usize>,
    tolerance_grad: f64,
    tolerance_change: f64,
    history_size: usize,
    strong_wolfe: bool,
    state: State,
}

/// What carries over between calls of `step_with`.
#[derive(Default)]
struct State {
    iterations: usize,
    func_evals: usize,
    d: Vec<f64>,
    t: f64,
    old_dirs: VecDeque<Vec<f64>>,
    old_steps: VecDeque<Vec<f64>>,
    ro: VecDeque<f64>,
    h_diag: f64,
    prev_grad: Vec<f64>,
    prev_loss: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

impl<T: Float> Lbfgs<T> {
    /// L-BFGS with step size `lr` (PyTorch's default 1), 20 iterations per step, history 100,
    /// no line search.
    #[track_caller]
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        or_panic(Self::try_new(params, lr))
    }

    /// [`Lbfgs::new`] returning an error instead of panicking.
    pub fn try_new(params: Vec<Tensor<T>>, lr: f64) -> Result<Self, Error> {
        check_params(&params, lr)?;
        Ok(Lbfgs {
            params: Params::new(params, lr),
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            strong_wolfe: false,
            state: State::default(),
        })
    }

    /// Iterations per `step_with` (20).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n.max(1);
        self
    }

    /// Loss evaluations per `step_with` (`max_iter · 5/4`).
    pub fn max_eval(mut self, n: usize) -> Self {
        self.max_eval = Some(n.max(1));
        self
    }

    /// Stops when every gradient entry is at most this (1e-7).
    pub fn tolerance_grad(mut self, tol: f64) -> Self {
        self.tolerance_grad = tol;
        self
    }

    /// Stops when the loss or the step changes less than this (1e-9).
    pub fn tolerance_change(mut self, tol: f64) -> Self {
        self.tolerance_change = tol;
        self
    }

    /// How many past steps approximate the inverse Hessian (100).
    #[track_caller]
    pub fn history_size(mut self, n: usize) -> Self {
        or_panic(check(n > 0, || "history_size must be positive".into()));
        self.history_size = n;
        self
    }

    /// Chooses each step length by a strong-Wolfe line search (PyTorch's
    /// `line_search_fn="strong_wolfe"`).
    pub fn strong_wolfe(mut self, on: bool) -> Self {
        self.strong_wolfe = on;
        self
    }

    fn flat_grad(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for p in &self.params.tensors {
            match p.grad() {
                Some(g) => out.extend(g.data().view().iter().map(|v| v.as_f64())),
                None => out.extend(std::iter::repeat_n(0.0, p.numel())),
            }
        }
        out
    }

    fn flat_params(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for p in &self.params.tensors {
            out.extend(p.data().view().iter().map(|v| v.as_f64()));
        }
        out
    }

    /// `p += t·d` (in the parameters' own type, as PyTorch's `add_`).
    fn add_step(&self, t: f64, d: &[f64]) {
        let mut at = 0;
        for p in &self.params.tensors {
            let mut data = p.data_mut();
            for v in data.view_mut().iter_mut() {
                *v += T::of_f64(t) * T::of_f64(d[at]);
                at += 1;
            }
        }
    }

    fn set_params(&self, x: &[f64]) {
        let mut at = 0;
        for p in &self.params.tensors {
            let mut data = p.data_mut();
            for v in data.view_mut().iter_mut() {
                *v = T::of_f64(x[at]);
                at += 1;
            }
        }
    }

    /// Runs up to `max_iter` iterations, re-evaluating the loss with `closure` (which must
    /// zero the gradients, compute the loss, call `backward` and return it). Returns the
    /// loss of the first evaluation.
    pub fn step_with(&mut self, mut closure: impl FnMut() -> Tensor<T>) -> Tensor<T> {
        let lr = self.params.lr;
        let max_eval = self.max_eval.unwrap_or(self.max_iter * 5 / 4);
        let first = closure();
        let mut loss = first.item().as_f64();
        let mut evals = 1;
        self.state.func_evals += 1;
        let mut g = self.flat_grad();
        if max_abs(&g) <= self.tolerance_grad {
            return first;
        }
        let mut n_iter = 0;
        while n_iter < self.max_iter {
            n_iter += 1;
            self.state.iterations += 1;
            let s = &mut self.state;
            if s.iterations == 1 {
                s.d = g.iter().map(|v| -v).collect();
                s.old_dirs.clear();
                s.old_steps.clear();
                s.ro.clear();
                s.h_diag = 1.0;
            } else {
                let y: Vec<f64> = g.iter().zip(&s.prev_grad).map(|(a, b)| a - b).collect();
                let step: Vec<f64> = s.d.iter().map(|v| v * s.t).collect();
                let ys = dot(&y, &step);
                if ys > 1e-10 {
                    if s.old_dirs.len() == self.history_size {
                        s.old_dirs.pop_front();
                        s.old_steps.pop_front();
                        s.ro.pop_front();
                    }
                    s.h_diag = ys / dot(&y, &y);
                    s.old_dirs.push_back(y);
                    s.old_steps.push_back(step);
                    s.ro.push_back(1.0 / ys);
                }
                // The two-loop recursion: d = −H·g.
                let k = s.old_dirs.len();
                let mut al = vec![0.0; k];
                let mut q: Vec<f64> = g.iter().map(|v| -v).collect();
                for i in (0..k).rev() {
                    al[i] = dot(&s.old_steps[i], &q) * s.ro[i];
                    for (qj, dj) in q.iter_mut().zip(&s.old_dirs[i]) {
                        *qj -= al[i] * dj;
                    }
                }
                let mut r: Vec<f64> = q.iter().map(|v| v * s.h_diag).collect();
                for (i, &a) in al.iter().enumerate() {
                    let be = dot(&s.old_dirs[i], &r) * s.ro[i];
                    for (rj, sj) in r.iter_mut().zip(&s.old_steps[i]) {
                        *rj += sj * (a - be);
                    }
                }
                s.d = r;
            }
            s.prev_grad = g.clone();
            s.prev_loss = loss;
            s.t = if s.iterations == 1 {
                (1.0f64).min(1.0 / g.iter().map(|v| v.abs()).sum::<f64>()) * lr
            } else {
                lr
            };
            let gtd = dot(&g, &s.d);
            if gtd > -self.tolerance_change {
                break;
            }
            let d = s.d.clone();
            let t = s.t;
            let used;
            if self.strong_wolfe {
                let x0 = self.flat_params();
                let mut eval = |t: f64| -> (f64, Vec<f64>) {
                    no_grad(|| self.add_step(t, &d));
                    let l = closure().item().as_f64();
                    let g = self.flat_grad();
                    no_grad(|| self.set_params(&x0));
                    (l, g)
                };
                let (l, g_new, t_new, n) =
                    strong_wolfe(&mut eval, t, &d, loss, &g, gtd, self.tolerance_change);
                self.state.t = t_new;
                no_grad(|| self.add_step(t_new, &d));
                loss = l;
                g = g_new;
                used = n;
            } else {
                no_grad(|| self.add_step(t, &d));
                used = if n_iter != self.max_iter {
                    loss = closure().item().as_f64();
                    g = self.flat_grad();
                    1
                } else {
                    0
                };
            }
            evals += used;
            self.state.func_evals += used;
            let s = &self.state;
            if n_iter == self.max_iter || evals >= max_eval || max_abs(&g) <= self.tolerance_grad {
                break;
            }
            if max_abs(&s.d) * s.t.abs() <= self.tolerance_change
                || (loss - s.prev_loss).abs() < self.tolerance_change
            {
                break;
            }
        }
        first
    }
}

/// Cubic interpolation of the minimum between two points with values and slopes, clamped to
/// `bounds` (the interval itself by default).
fn cubic_min(p1: (f64, f64, f64), p2: (f64, f64, f64), bounds: Option<(f64, f64)>) -> f64 {
    let ((x1, f1, g1), (x2, f2, g2)) = (p1, p2);
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        min.max(lo).min(hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// A point of the line search: step, loss, gradient, directional derivative.
#[derive(Clone)]
struct Point {
    t: f64,
    f: f64,
    g: Vec<f64>,
    gtd: f64,
}

/// The strong-Wolfe line search from step `t` along `d`: returns the loss, gradient and step
/// it settles on and how many evaluations it made.
fn strong_wolfe(
    eval: &mut dyn FnMut(f64) -> (f64, Vec<f64>),
    mut t: f64,
    d: &[f64],
    f: f64,
    g: &[f64],
    gtd: f64,
    tolerance_change: f64,
) -> (f64, Vec<f64>, f64, usize) {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MAX_LS: usize = 25;
    let d_norm = max_abs(d);
    let (f_new, g_new) = eval(t);
    let mut evals = 1;
    let mut new = Point {
        gtd: dot(&g_new, d),
        t,
        f: f_new,
        g: g_new,
    };
    let mut prev = Point {
        t: 0.0,
        f,
        g: g.to_vec(),
        gtd,
    };
    let mut done = false;
    let mut ls_iter = 0;
    // Bracketing: [low, high] once found (or a single point that satisfies the conditions).
    let mut bracket: Vec<Point> = Vec::new();
    while ls_iter < MAX_LS {
        if new.f > f + C1 * new.t * gtd || (ls_iter > 1 && new.f >= prev.f) {
            bracket = vec![prev.clone(), new.clone()];
            break;
        }
        if new.gtd.abs() <= -C2 * gtd {
            bracket = vec![new.clone()];
            done = true;
            break;
        }
        if new.gtd >= 0.0 {
            bracket = vec![prev.clone(), new.clone()];
            break;
        }
        let bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10.0);
        let next = cubic_min(
            (prev.t, prev.f, prev.gtd),
            (new.t, new.f, new.gtd),
            Some(bounds),
        );
        prev = new.clone();
        t = next;
        let (f_new, g_new) = eval(t);
        evals += 1;
        new = Point {
            gtd: dot(&g_new, d),
            t,
            f: f_new,
            g: g_new,
        };
        ls_iter += 1;
    }
    if ls_iter == MAX_LS {
        bracket = vec![
            Point {
                t: 0.0,
                f,
                g: g.to_vec(),
                gtd,
            },
            new.clone(),
        ];
    }
    // Zoom: shrink the bracket until a point satisfies the strong-Wolfe conditions.
    let mut insufficient = false;
    let order = |b: &[Point]| {
        if b[0].f <= b[b.len() - 1].f {
            (0, 1)
        } else {
            (1, 0)
        }
    };
    let (mut low, mut high) = order(&bracket);
    while !done && ls_iter < MAX_LS && bracket.len() == 2 {
        if (bracket[1].t - bracket[0].t).abs() * d_norm < tolerance_change {
            break;
        }
        let mut t = cubic_min(
            (bracket[0].t, bracket[0].f, bracket[0].gtd),
            (bracket[1].t, bracket[1].f, bracket[1].gtd),
            None,
        );
        let (lo, hi) = (
            bracket[0].t.min(bracket[1].t),
            bracket[0].t.max(bracket[1].t),
        );
        let eps = 0.1 * (hi - lo);
        if (hi - t).min(t - lo) < eps {
            if insufficient || t >= hi || t <= lo {
                t = if (t - hi).abs() < (t - lo).abs() {
                    hi - eps
                } else {
                    lo + eps
                };
                insufficient = false;
            } else {
                insufficient = true;
            }
        } else {
            insufficient = false;
        }
        let (f_new, g_new) = eval(t);
        evals += 1;
        ls_iter += 1;
        let point = Point {
            gtd: dot(&g_new, d),
            t,
            f: f_new,
            g: g_new,
        };
        if point.f > f + C1 * t * gtd || point.f >= bracket[low].f {
            bracket[high] = point;
            (low, high) = order(&bracket);
        } else {
            if point.gtd.abs() <= -C2 * gtd {
                done = true;
            } else if point.gtd * (bracket[high].t - bracket[low].t) >= 0.0 {
                bracket[high] = bracket[low].clone();
            }
            bracket[low] = point;
        }
    }
    let best = bracket.swap_remove(if bracket.len() == 1 { 0 } else { low });
    (best.f, best.g, best.t, evals)
}

impl<T: Float> Optimizer for Lbfgs<T> {
    /// L-BFGS needs to re-evaluate the loss: use [`Lbfgs::step_with`].
    #[track_caller]
    fn step(&mut self) {
        panic!("tapegrad: Lbfgs: step() needs the loss again; call step_with(|| {{ .. loss }})");
    }
    fn zero_grad(&mut self) {
        self.params.zero_grad();
    }
    fn lr(&self) -> f64 {
        self.params.lr
    }
    #[track_caller]
    fn set_lr(&mut self, lr: f64) {
        or_panic(check(lr >= 0.0, || format!("Invalid learning rate: {lr}")));
        self.params.lr = lr;
    }
}
