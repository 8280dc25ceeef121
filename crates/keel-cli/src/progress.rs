//! A progress bar on stderr for long work. Hidden with `--quiet` and whenever stderr is not a
//! terminal, so scripts and logs only ever see results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Cheap to clone: clones share one bar, so parallel workers can all advance it.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar counting `total` units (samples, files) under `label`.
    pub fn new(total: u64, label: &str, quiet: bool) -> Self {
        let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {percent:>3}% {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_string());
        Self { bar }
    }

    pub fn advance(&self, units: u64) {
        self.bar.inc(units);
    }

    /// Removes the bar so the summary that follows starts on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
