//! Grad mode: whether ops on this thread are recorded (`no_grad` turns it off).

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread are being recorded.
#[inline]
pub(crate) fn grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Switches recording on or off for this thread until dropped, then restores what was.
pub(crate) struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    pub(crate) fn set(enabled: bool) -> Self {
        let previous = GRAD_ENABLED.with(|g| g.replace(enabled));
        GradModeGuard { previous }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Turns off recording while it lives, like PyTorch's `torch.no_grad()` context.
///
/// ```
/// use tapegrad::{NoGradGuard, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
/// let y = {
///     let _guard = NoGradGuard::new();
///     &w * 2.0
/// };
/// assert!(!y.is_requires_grad());
/// assert!((&w * 2.0).is_requires_grad());
/// ```
pub struct NoGradGuard {
    _mode: GradModeGuard,
}

impl NoGradGuard {
    /// Stops recording on this thread until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NoGradGuard {
            _mode: GradModeGuard::set(false),
        }
    }
}

/// Runs `f` without recording any op, like `with torch.no_grad():`.
///
/// ```
/// use tapegrad::{no_grad, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
/// let y = no_grad(|| w.exp());
/// assert!(!y.is_requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}
