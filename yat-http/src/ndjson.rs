//! An incremental decoder of newline-delimited JSON (NDJSON, JSON Lines, and
//! RFC 7464 JSON text sequences): one JSON text per line.
//!
//! Feed it the response body in whatever pieces the network delivers
//! ([`NdjsonDecoder::feed`]), pull complete lines with
//! [`NdjsonDecoder::next_line`], and call [`NdjsonDecoder::finish`] at end of
//! body. It does not parse the JSON: a line is handed out as text, borrowed
//! from the decoder's buffer, for the caller's own serde types.
//!
//! The rules:
//!
//! * lines end with LF, CR or CRLF, and a CRLF split across two pieces is one
//!   line end, not two;
//! * a UTF-8 byte order mark at the very start of the stream is dropped;
//! * a line that is empty or only spaces and tabs is skipped, as is the
//!   record separator (0x1E) that starts each text of an
//!   `application/json-seq` body;
//! * the last line counts even without a line end, once the body has ended;
//! * a line longer than the limit is a [`LineError::TooLong`] as soon as the
//!   limit is passed, and the rest of it is dropped unread; a line that is
//!   not UTF-8 is a [`LineError::InvalidUtf8`]. Either way decoding resumes
//!   with the next line.
//!
//! Like the SSE decoder it keeps one reused buffer, hands out borrowed
//! lines and never allocates per line once the buffer has grown to its
//! working size.

use std::fmt;

pub use crate::lines::LineError;
use crate::lines::{Line, LineBuffer};

/// The record separator that starts every text of a JSON text sequence.
const RS: u8 = 0x1E;

/// Incremental NDJSON decoder; feed network chunks, pull lines.
///
/// ```
/// use yat_http::ndjson::{LineError, NdjsonDecoder};
///
/// let body: [&[u8]; 3] = [b"{\"t\":\"Hel", b"lo\"}\r\n\n{\"t\":\"!\"", b"}\n{\"done\":true}"];
/// let mut dec = NdjsonDecoder::new();
/// let mut seen = Vec::new();
/// for chunk in body {
///     dec.feed(chunk);
///     while let Some(line) = dec.next_line() {
///         seen.push(line?.to_owned());
///     }
/// }
/// // The last line had no newline: `finish` still hands it out.
/// while let Some(line) = dec.finish() {
///     seen.push(line?.to_owned());
/// }
/// assert_eq!(seen, [r#"{"t":"Hello"}"#, r#"{"t":"!"}"#, r#"{"done":true}"#]);
/// # Ok::<(), LineError>(())
/// ```
pub struct NdjsonDecoder {
    lines: LineBuffer,
}

impl NdjsonDecoder {
    /// The default limit for one line: 4 MiB.
    pub const DEFAULT_LIMIT: usize = 4 * 1024 * 1024;

    /// A decoder with [`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT).
    pub fn new() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }

    /// A decoder that rejects any line longer than `max_bytes`.
    pub fn with_limit(max_bytes: usize) -> Self {
        NdjsonDecoder {
            lines: LineBuffer::new(max_bytes),
        }
    }

    /// The limit given at construction, in bytes.
    pub fn limit(&self) -> usize {
        self.lines.limit()
    }

    /// Appends the next piece of the stream. It may end anywhere: inside a
    /// line, a UTF-8 sequence or a CRLF. Nothing is decoded here; pull with
    /// [`next_line`](Self::next_line) until it returns `None` before feeding
    /// more, or input accumulates.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) {
        self.lines.feed(chunk, |_| {});
    }

    /// The next complete, non-blank line (without its line end), an error,
    /// or `None` when more input is needed. The line borrows the decoder
    /// until the next call on it.
    #[inline]
    pub fn next_line(&mut self) -> Option<Result<&str, LineError>> {
        Some(match self.next_range()? {
            Ok((start, end)) => self.lines.text(start, end),
            Err(e) => Err(e),
        })
    }

    /// Signals end of stream and returns what is left, one item per call,
    /// until it returns `None`: the complete lines not pulled yet, then the
    /// last line even without its line end. Once it has returned `None`
    /// the decoder is empty and ready for a new stream.
    pub fn finish(&mut self) -> Option<Result<&str, LineError>> {
        self.lines.end();
        match self.next_range() {
            Some(Ok((start, end))) => Some(self.lines.text(start, end)),
            Some(Err(e)) => Some(Err(e)),
            None => {
                self.lines.reset();
                None
            }
        }
    }

    /// Where the next line's text lies in the buffer (ranges rather than
    /// text, so that `finish` can reset the buffer when there is none).
    #[inline]
    fn next_range(&mut self) -> Option<Result<(usize, usize), LineError>> {
        loop {
            match self.lines.next_line() {
                Line::NeedMore => return None,
                Line::TooLong => {
                    let limit = self.lines.limit();
                    return Some(Err(LineError::TooLong { limit }));
                }
                Line::Complete { start, end } => {
                    let bytes = self.lines.buf().get(start..end).unwrap_or_default();
                    if let Some(skip) = text_start(bytes) {
                        return Some(Ok((start + skip, end)));
                    }
                }
            }
        }
    }

    /// Bytes currently held: input not yet decoded, and decoded input not
    /// yet released (released lazily by the next [`feed`](Self::feed)).
    /// Buffer capacity is not counted.
    pub fn buffered_len(&self) -> usize {
        self.lines.len()
    }

    /// Forgets the stream, keeping the limit and the allocated buffer.
    pub fn reset(&mut self) {
        self.lines.reset();
    }
}

/// Where the JSON text of a line starts (after a record separator), or
/// `None` for a line with no text: empty, spaces and tabs, or a lone
/// separator.
#[inline]
fn text_start(line: &[u8]) -> Option<usize> {
    let skip = usize::from(line.first() == Some(&RS));
    match line.get(skip) {
        // The common case, a JSON object: no scan.
        Some(b'{') => Some(skip),
        Some(_) => line
            .iter()
            .skip(skip)
            .any(|&b| !matches!(b, b' ' | b'\t' | RS))
            .then_some(skip),
        None => None,
    }
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for NdjsonDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffer itself can be megabytes: show its size only.
        f.debug_struct("NdjsonDecoder")
            .field("limit", &self.limit())
            .field("buffered_len", &self.buffered_len())
            .field("undecoded", &self.lines.undecoded())
            .field("stream_offset", &self.lines.stream_offset())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
