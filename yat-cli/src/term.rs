//! What the terminal allows: colour, spinners, and the notes yat writes on
//! stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

/// The terminal yat runs in, detected once.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// stdin is a terminal.
    pub stdin_tty: bool,
    /// stdout is a terminal.
    pub stdout_tty: bool,
    /// stderr is a terminal.
    pub stderr_tty: bool,
    /// `NO_COLOR` is set (to anything non-empty).
    pub no_color: bool,
}

impl Term {
    /// Looks at the process's streams and environment.
    pub fn detect() -> Self {
        Term {
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    /// Colours for stdout (tables), unless `json` output is asked for.
    pub fn stdout_paint(&self, json: bool) -> Paint {
        Paint(self.stdout_tty && !self.no_color && !json)
    }

    /// Colours for stderr (notes, errors).
    pub fn stderr_paint(&self) -> Paint {
        Paint(self.stderr_tty && !self.no_color)
    }

    /// Whether to animate a spinner on stderr: only for a person watching.
    pub fn spinner_allowed(&self, json: bool) -> bool {
        self.stderr_tty && !self.no_color && !json
    }

    /// A note on stderr: `note: ...`.
    pub fn note(&self, text: &str) {
        self.labelled("note:", Paint::dim, text);
    }

    /// A warning on stderr: `warning: ...`.
    pub fn warn(&self, text: &str) {
        self.labelled("warning:", Paint::yellow, text);
    }

    /// A confirmation on stderr: `✓ ...`.
    pub fn done(&self, text: &str) {
        self.labelled("✓", Paint::green, text);
    }

    /// The error line: `error: ...`, lower case like clap's own usage
    /// errors, so every error of every command reads the same.
    pub fn error(&self, text: &str) {
        self.labelled("error:", Paint::red, text);
    }

    /// `LABEL text` on stderr, the label coloured when stderr allows it.
    fn labelled(&self, label: &str, colour: fn(Paint, &str) -> String, text: &str) {
        eprint_line(&format!("{} {text}", colour(self.stderr_paint(), label)));
    }

    /// A spinner on stderr with `message`, when allowed; cleared on drop.
    pub fn spinner(&self, json: bool, message: &str) -> Spinner {
        if !self.spinner_allowed(json) {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(90));
        Spinner(Some(bar))
    }
}

/// Writes a line to stderr; a closed stderr is not worth a panic.
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// A spinner shown until the first token; clears itself when dropped.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    /// Removes the spinner now.
    pub fn clear(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}

/// ANSI colours, or plain text when off.
#[derive(Debug, Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    /// Green (ready, done).
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    /// Red (failed, errors).
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    /// Yellow (needs attention).
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    /// Dim (disabled, secondary).
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    /// Bold (headers).
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    /// The code that starts dim text streamed piece by piece ("" when off).
    pub fn dim_start(self) -> &'static str {
        if self.0 {
            "\x1b[2m"
        } else {
            ""
        }
    }
    /// The code that ends what [`Paint::dim_start`] started ("" when off).
    pub fn reset(self) -> &'static str {
        if self.0 {
            "\x1b[0m"
        } else {
            ""
        }
    }
}
