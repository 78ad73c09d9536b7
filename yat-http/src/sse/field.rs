//! The event being assembled from `field: value` lines, and how one line
//! changes it.

use crate::lines::LineBuffer;

use super::SseError;

/// Where the pending event's data currently lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Data {
    /// No `data` field yet: a blank line dispatches nothing.
    None,
    /// Exactly one `data` line, still in the input buffer at this range, so a
    /// single-line event (the common case) is never copied.
    Borrowed { start: usize, end: usize },
    /// Copied into `Pending::data` (two or more lines, or the input buffer was
    /// compacted under a single line).
    Owned,
}

/// The event being assembled. The strings are reused across events so that
/// steady-state decoding does not allocate.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) event: String,
    pub(super) data: String,
    pub(super) src: Data,
    pub(super) retry: Option<u64>,
}

impl Pending {
    pub(super) fn new() -> Self {
        Pending {
            event: String::new(),
            data: String::new(),
            src: Data::None,
            retry: None,
        }
    }

    pub(super) fn reset(&mut self) {
        self.event.clear();
        self.data.clear();
        self.src = Data::None;
        self.retry = None;
    }

    /// Moves a borrowed data line out of `buf`, which is about to release
    /// it, into the event's own string.
    pub(super) fn materialize(&mut self, buf: &[u8]) {
        if let Data::Borrowed { start, end } = self.src {
            let bytes = buf.get(start..end).unwrap_or_default();
            self.data.clear();
            // The line was validated when it was decoded, so this borrows and
            // copies once; lossy only to stay panic-free.
            self.data.push_str(&String::from_utf8_lossy(bytes));
            self.src = Data::Owned;
        }
    }
}

/// The last id and retry in force: unlike the pending event, they persist
/// from event to event.
#[derive(Debug, Default)]
pub(super) struct Persisting {
    pub(super) last_id: String,
    pub(super) last_retry: Option<u64>,
}

/// Applies one non-blank, valid line to the event being assembled. `line`
/// is `lines.buf()[line_start..]`; the buffer is passed so that a single
/// data line can be recorded as a range instead of copied.
#[inline]
pub(super) fn apply_field(
    line: &str,
    line_start: usize,
    lines: &LineBuffer,
    pending: &mut Pending,
    persisting: &mut Persisting,
) -> Result<(), SseError> {
    let limit = lines.limit();
    let (name, value) = match line.split_once(':') {
        Some(("", _)) => return Ok(()), // comment
        Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
        None => (line, ""),
    };
    match name {
        "data" => {
            // `value` is a suffix of `line`.
            let value_end = line_start + line.len();
            let value_start = value_end - value.len();
            match pending.src {
                Data::None => {
                    pending.src = Data::Borrowed {
                        start: value_start,
                        end: value_end,
                    }
                }
                Data::Borrowed { start, end } => {
                    let joined = (end - start) + 1 + value.len();
                    if joined > limit {
                        return Err(SseError::LineTooLong { limit });
                    }
                    let first = lines.text(start, end)?;
                    pending.data.clear();
                    pending.data.reserve(joined);
                    pending.data.push_str(first);
                    pending.data.push('\n');
                    pending.data.push_str(value);
                    pending.src = Data::Owned;
                }
                Data::Owned => {
                    if pending.data.len() + 1 + value.len() > limit {
                        return Err(SseError::LineTooLong { limit });
                    }
                    pending.data.push('\n');
                    pending.data.push_str(value);
                }
            }
        }
        "event" => {
            pending.event.clear();
            pending.event.push_str(value);
        }
        // An id containing NUL is ignored, falling through to `_`.
        "id" if !value.contains('\0') => {
            persisting.last_id.clear();
            persisting.last_id.push_str(value);
        }
        "retry" => {
            if let Some(ms) = parse_retry(value) {
                pending.retry = Some(ms);
                persisting.last_retry = Some(ms);
            }
        }
        _ => {}
    }
    Ok(())
}

/// A `retry` value counts only when it is one or more ASCII digits (no sign,
/// no spaces) that fit in a `u64`.
fn parse_retry(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}
