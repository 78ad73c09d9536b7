//! What the SSE decoder hands out: an event, or why part of the stream was
//! rejected.

use std::fmt;

use crate::lines::LineError;

/// One dispatched event. It borrows from the decoder, so it lives until the
/// next call on the decoder; copy out whatever must outlive that.
///
/// Under [`Framing::Ndjson`](crate::Framing::Ndjson) the
/// [`DecodeDriver`](crate::DecodeDriver) hands a
/// [`StreamDecoder`](crate::StreamDecoder) each line of the body as an
/// event with that line as its `data` and no name, id or retry, so one
/// decoder can read either framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent<'a> {
    /// The `event` field's value, or `""` when the event had none (the
    /// standard, and callers, treat `""` as `"message"`).
    pub event: &'a str,
    /// The event's `data` lines joined with `'\n'`, without a trailing
    /// newline. May be `""` (a single empty `data` line).
    pub data: &'a str,
    /// The last event id in force: set by an `id` field in this or any
    /// earlier event, as the standard says it persists. `None` when no id has
    /// been set, or when it was cleared by an empty `id` field.
    pub id: Option<&'a str>,
    /// This event's own `retry` field (milliseconds), when it had a valid
    /// one. See [`SseDecoder::last_retry`](super::SseDecoder::last_retry)
    /// for the value in force.
    pub retry: Option<u64>,
}

impl<'a> SseEvent<'a> {
    /// An event named `event` (`""` for none) carrying `data`, with no id
    /// and no retry: what a decoder's unit test feeds it.
    ///
    /// ```
    /// use yat_http::SseEvent;
    /// let ev = SseEvent::new("delta", "{}").with_id("7");
    /// assert_eq!((ev.event, ev.data, ev.id, ev.retry), ("delta", "{}", Some("7"), None));
    /// ```
    pub const fn new(event: &'a str, data: &'a str) -> Self {
        SseEvent {
            event,
            data,
            id: None,
            retry: None,
        }
    }

    /// The same event with the last event id `id`.
    pub const fn with_id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// The same event with its own `retry` field of `ms` milliseconds.
    pub const fn with_retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }
}

/// Why the decoder rejected part of the stream. The event in which the error
/// occurred is dropped; decoding resumes after its terminating blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseError {
    /// A single line, or one event's joined data, exceeded `limit` bytes.
    LineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// A line was not valid UTF-8.
    InvalidUtf8 {
        /// Offset, counted from the first byte of the stream (a leading byte
        /// order mark included), of the first byte that is not valid UTF-8.
        offset: u64,
    },
}

impl From<LineError> for SseError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::TooLong { limit } => SseError::LineTooLong { limit },
            LineError::InvalidUtf8 { offset } => SseError::InvalidUtf8 { offset },
        }
    }
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::LineTooLong { limit } => {
                write!(
                    f,
                    "server-sent event line or data exceeds the limit of {limit} bytes"
                )
            }
            SseError::InvalidUtf8 { offset } => {
                write!(
                    f,
                    "invalid UTF-8 in server-sent event stream at byte {offset}"
                )
            }
        }
    }
}

impl std::error::Error for SseError {}
