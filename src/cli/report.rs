//! What goes to stderr: warning and error lines, the progress bar on a
//! terminal, and the summary.
//!
//! No value from a message and no key ever reaches these lines: causes
//! come from the library, which words them without content.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Prints `mailshield: <text>` on stderr.
pub(crate) fn line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "mailshield: {text}");
}

/// Panics are reported where they are caught (a message's warning, the
/// run's error), never with their payload, which may quote input.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Counts for the summary line, and the progress bar.
pub(crate) struct Summary {
    pub messages: u64,
    pub bytes: u64,
    pub findings: u64,
    /// Entity type names, and how many findings of each.
    names: Vec<String>,
    by_type: Vec<u64>,
    pub warnings: u64,
    pub errors: u64,
    start: Instant,
    bar: Option<ProgressBar>,
}

impl Summary {
    /// A summary without findings (of a run that does not scan).
    pub(crate) fn new() -> Summary {
        Summary::with_types(Vec::new())
    }

    /// A summary counting findings of the entity types `names`, by their
    /// index there.
    pub(crate) fn with_types(names: Vec<String>) -> Summary {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {binary_bytes} read, {msg} messages, {binary_bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        Summary {
            messages: 0,
            bytes: 0,
            findings: 0,
            by_type: vec![0; names.len()],
            names,
            warnings: 0,
            errors: 0,
            start: Instant::now(),
            bar,
        }
    }

    /// A warning or error line about one input or message.
    pub(crate) fn report(&mut self, error: bool, at: &str, cause: &str) {
        if error {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
        let text = format!("{at}: {cause}");
        match &self.bar {
            Some(bar) => bar.suspend(|| line(&text)),
            None => line(&text),
        }
    }

    /// An error line about an input as a whole (`<path>: <cause>`).
    pub(crate) fn error_line(&mut self, text: &str) {
        self.errors += 1;
        match &self.bar {
            Some(bar) => bar.suspend(|| line(text)),
            None => line(text),
        }
    }

    /// `n` findings of the entity type at `entity` in the names.
    pub(crate) fn found(&mut self, entity: usize, n: usize) {
        self.findings += n as u64;
        if let Some(total) = self.by_type.get_mut(entity) {
            *total += n as u64;
        }
    }

    /// One message done.
    pub(crate) fn message(&mut self, bytes: usize) {
        self.messages += 1;
        self.bytes += bytes as u64;
        if let Some(bar) = &self.bar {
            bar.set_position(self.bytes);
            bar.set_message(self.messages.to_string());
        }
    }

    /// Prints the summary line.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let secs = self.start.elapsed().as_secs_f64();
        let mbps =
            if secs > 0.0 { self.bytes as f64 / secs / 1e6 } else { 0.0 };
        let mut text = format!(
            "summary: messages={} bytes={} findings={} warnings={} errors={} seconds={secs:.3} mb_per_s={mbps:.1}",
            self.messages,
            self.bytes,
            self.findings,
            self.warnings,
            self.errors
        );
        // Types found, in name order.
        let mut found: Vec<(&str, u64)> = self
            .names
            .iter()
            .zip(&self.by_type)
            .filter(|(_, n)| **n > 0)
            .map(|(ty, n)| (ty.as_str(), *n))
            .collect();
        found.sort_unstable();
        for (ty, n) in found {
            text.push_str(&format!(" {ty}={n}"));
        }
        line(&text);
    }
}
