//! Progress display on standard error: a spinner per step that ends in a one-line summary, so
//! that standard output carries only results.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A running step.
pub struct Step(ProgressBar);

impl Step {
    /// Starts a step with a message.
    pub fn start(message: &str) -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("template"));
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(bar)
    }

    /// Changes the message (the step's current stage).
    pub fn set(&self, message: &str) {
        self.0.set_message(message.to_string());
    }

    /// Ends the step without a summary (it failed; the error says why).
    pub fn clear(&self) {
        self.0.finish_and_clear();
    }

    /// Ends the step with its summary line.
    pub fn done(self, summary: &str) {
        self.0.finish_and_clear();
        eprintln!("✓ {summary}");
    }
}

/// A step dropped unfinished (an error left the command through `?`) is cleared, so that the
/// error is not printed after a stale spinner line.
impl Drop for Step {
    fn drop(&mut self) {
        if !self.0.is_finished() {
            self.0.finish_and_clear();
        }
    }
}
