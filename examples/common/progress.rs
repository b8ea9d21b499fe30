//! Training progress with `indicatif`: a bar redrawn in place on a terminal, and one plain
//! line per epoch when the output goes to a file or a pipe (no `\r` frames in logs).

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress over the epochs of one training run.
pub struct Progress<W: Write> {
    bar: Option<ProgressBar>,
    log: W,
    epochs: usize,
}

impl Progress<std::io::Stdout> {
    /// A bar on standard output when it is a terminal, plain lines otherwise.
    pub fn stdout(epochs: usize) -> Self {
        let out = std::io::stdout();
        let on_terminal = out.is_terminal();
        Progress::new(epochs, out, on_terminal)
    }
}

impl<W: Write> Progress<W> {
    /// Progress written to `log`: a bar when `on_terminal`, else one line per epoch.
    pub fn new(epochs: usize, log: W, on_terminal: bool) -> Self {
        let bar = on_terminal.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(epochs as u64), ProgressDrawTarget::stdout());
            bar.set_style(
                ProgressStyle::with_template("epoch {pos:>3}/{len} [{bar:30}] {msg} ({elapsed})")
                    .expect("a valid template")
                    .progress_chars("#>."),
            );
            bar
        });
        Progress { bar, log, epochs }
    }

    /// After each batch: the running loss (drawn at most a few times a second).
    pub fn batch(&self, loss: f32) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("loss {loss:.4}"));
        }
    }

    /// After each epoch: its loss and test accuracy.
    pub fn epoch(&mut self, epoch: usize, loss: f32, accuracy: f64) {
        let line = format!("loss {loss:.4}, test accuracy {accuracy:.4}");
        match &self.bar {
            Some(bar) => {
                bar.set_message(line);
                bar.inc(1);
            }
            None => {
                let _ = writeln!(self.log, "epoch {epoch:>3}/{} {line}", self.epochs);
            }
        }
    }

    /// Ends the bar (leaving its last state on screen).
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish();
        }
    }

    /// The log, for tests.
    pub fn into_log(self) -> W {
        self.log
    }
}
