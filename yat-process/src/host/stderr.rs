//! The child's stderr: logged line by line through `tracing`, and its last
//! few KiB kept for error reports — with every secret value the host sent
//! replaced, since a plugin may echo its settings to its log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// How much of the end of stderr is kept.
pub(crate) const TAIL_BYTES: usize = 8 * 1024;

/// What replaces a secret in anything shown.
pub(crate) const REDACTED: &str = "[redacted]";

/// The secret values that must never appear in what the host shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // The longest first, so a secret that contains another is replaced
        // whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

/// The end of a child's stderr, shared between the task that reads it and
/// whoever reports a failure.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl StderrTail {
    fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.push_back(line);
        let mut total: usize = lines.iter().map(|l| l.len() + 1).sum();
        while total > TAIL_BYTES && lines.len() > 1 {
            if let Some(first) = lines.pop_front() {
                total -= first.len() + 1;
            }
        }
        if let Some(only) = lines.front_mut() {
            if only.len() > TAIL_BYTES {
                let mut cut = only.len() - TAIL_BYTES;
                while !only.is_char_boundary(cut) {
                    cut += 1;
                }
                only.replace_range(..cut, "…");
            }
        }
    }

    /// The kept lines, joined; empty when the child wrote nothing.
    pub(crate) fn text(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads `stderr` to its end: each line is redacted, logged at debug level
/// and kept in `tail`. Invalid UTF-8 is shown with replacement characters;
/// a line longer than the tail is cut, never buffered whole.
pub(crate) async fn drain(
    stderr: impl AsyncRead + Unpin,
    tail: StderrTail,
    redactor: Redactor,
    provider: String,
) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // Bounded read: a plugin that writes megabytes without a newline
        // costs at most this much memory per read.
        let mut limited = (&mut reader).take(TAIL_BYTES as u64 * 2);
        match limited.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        let line = redactor.redact(&String::from_utf8_lossy(&buf));
        tracing::debug!(provider = %provider, "plugin stderr: {line}");
        tail.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_and_redacts_every_secret() {
        let tail = StderrTail::default();
        for i in 0..2000 {
            tail.push(format!("line {i}"));
        }
        let text = tail.text();
        assert!(text.len() <= TAIL_BYTES, "{}", text.len());
        assert!(text.ends_with("line 1999"));
        assert!(!text.contains("line 0\n"));
        let r = Redactor::new([
            "sk-secret".to_owned(),
            "sk-secret-longer".to_owned(),
            String::new(),
        ]);
        assert_eq!(
            r.redact("key=sk-secret-longer and sk-secret"),
            "key=[redacted] and [redacted]"
        );
    }

    #[test]
    fn one_huge_line_is_cut_to_the_tail() {
        let tail = StderrTail::default();
        tail.push("é".repeat(TAIL_BYTES));
        assert!(tail.text().len() <= TAIL_BYTES + "…".len());
    }
}
