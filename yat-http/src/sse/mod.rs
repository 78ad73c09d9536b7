//! An incremental Server-Sent-Events decoder following the WHATWG
//! `text/event-stream` parsing rules (HTML Living Standard, "Interpreting an
//! event stream").
//!
//! Feed it the response body in whatever pieces the network delivers
//! ([`SseDecoder::feed`]), pull complete events with
//! [`SseDecoder::next_event`], and call [`SseDecoder::finish`] at end of body.
//!
//! What the decoder implements, exactly as the standard says:
//!
//! * lines end with LF, CR or CRLF, and a CRLF split across two pieces is one
//!   line end, not two;
//! * a UTF-8 byte order mark at the very start of the stream is dropped;
//! * `field:value`, with one leading space of the value removed; a line with
//!   no colon is a field with an empty value; a line starting with `:` is a
//!   comment;
//! * `event` names the event, `data` appends a line to its data, `id` sets the
//!   last event id (unless the value contains NUL), `retry` is honoured only
//!   when it is all ASCII digits, and unknown fields are ignored;
//! * a blank line dispatches the event, unless no `data` field was seen, in
//!   which case nothing is dispatched and the event name is forgotten.
//!
//! Where it deliberately differs, because it decodes LLM API responses rather
//! than feeding a browser `EventSource`:
//!
//! * **Final event without a blank line.** The standard discards an event
//!   that is still incomplete at end of stream. Some LLM servers omit the
//!   final blank line, so [`SseDecoder::finish`] dispatches whatever data is
//!   pending, including an unterminated last line.
//! * **Strict UTF-8.** The standard decodes with replacement characters;
//!   every LLM API sends JSON in UTF-8, so a malformed sequence means a broken
//!   response and is reported as [`SseError::InvalidUtf8`] instead of being
//!   silently altered.
//! * **Size limit.** A line longer than the limit, or an event whose joined
//!   data would exceed it, is reported as [`SseError::LineTooLong`]; the
//!   decoder never buffers much more than the limit, whatever it is fed.
//! * **Recovery after an error.** The event in which the error occurred is
//!   dropped and decoding resumes after its terminating blank line.
//! * A `retry` value too large for `u64` is ignored.
//!
//! The decoder does no I/O and never panics on any input.

mod event;
mod field;

use std::fmt;

pub use event::{SseError, SseEvent};
use field::{apply_field, Data, Pending, Persisting};

use crate::lines::{Line, LineBuffer};

/// Outcome of advancing through buffered lines.
enum Step {
    /// `pending` holds an event to hand out.
    Event,
    Error(SseError),
    /// Every complete line has been consumed.
    NeedMore,
}

/// Incremental SSE decoder; feed network chunks, pull events.
///
/// ```
/// use yat_http::sse::{SseDecoder, SseError};
///
/// let body: [&[u8]; 2] = [b"event: delta\ndata: {\"t\":\"Hel", b"lo\"}\n\ndata: [DONE]"];
/// let mut dec = SseDecoder::new();
/// let mut seen = Vec::new();
/// for chunk in body {
///     dec.feed(chunk);
///     while let Some(event) = dec.next_event() {
///         let event = event?;
///         seen.push((event.event.to_owned(), event.data.to_owned()));
///     }
/// }
/// // The body ended without a blank line: `finish` still dispatches.
/// while let Some(event) = dec.finish() {
///     let event = event?;
///     seen.push((event.event.to_owned(), event.data.to_owned()));
/// }
/// assert_eq!(seen, [
///     ("delta".to_owned(), r#"{"t":"Hello"}"#.to_owned()),
///     (String::new(), "[DONE]".to_owned()),
/// ]);
/// # Ok::<(), SseError>(())
/// ```
///
/// Input bytes are kept in one reused buffer; bytes already decoded are
/// released lazily, when a later [`feed`](Self::feed) needs the room, so the
/// cost of moving the undecoded rest is amortised over many events. The
/// decoder holds at most about the limit plus one fed chunk of input, however
/// long a line the server sends.
pub struct SseDecoder {
    /// The input and the lines in it.
    lines: LineBuffer,
    /// An error occurred in the current event: ignore lines until a blank
    /// one.
    skip_event: bool,
    /// An event was handed out; its storage is reset on the next call, not
    /// before, because the caller borrows it until then.
    dispatched: bool,
    pending: Pending,
    persisting: Persisting,
}

impl SseDecoder {
    /// The default limit for one line and for one event's data: 4 MiB.
    pub const DEFAULT_LIMIT: usize = 4 * 1024 * 1024;

    /// A decoder with [`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT).
    pub fn new() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }

    /// A decoder that rejects any line, and any event's joined data, longer
    /// than `max_bytes`.
    pub fn with_limit(max_bytes: usize) -> Self {
        SseDecoder {
            lines: LineBuffer::new(max_bytes),
            skip_event: false,
            dispatched: false,
            pending: Pending::new(),
            persisting: Persisting::default(),
        }
    }

    /// The limit given at construction, in bytes.
    pub fn limit(&self) -> usize {
        self.lines.limit()
    }

    /// Appends the next piece of the stream. It may end anywhere: inside a
    /// line, a UTF-8 sequence, a CRLF or the byte order mark.
    ///
    /// Nothing is decoded here; call [`next_event`](Self::next_event) until it
    /// returns `None` before feeding more, or input accumulates. The tail of
    /// an over-long line is dropped here already, so even a caller that keeps
    /// feeding a line that never ends holds at most about the limit.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) {
        self.settle();
        let pending = &mut self.pending;
        // The pending event's single data line may live in the part about to
        // be released: copy it out (at most once per event).
        self.lines.feed(chunk, |buf| pending.materialize(buf));
    }

    /// Returns the next complete event, an error, or `None` when more input
    /// is needed.
    ///
    /// The event borrows the decoder: it stays valid until the next call on
    /// the decoder. After an `Err`, the rest of the offending event is
    /// skipped and later calls continue with the next event.
    #[inline]
    pub fn next_event(&mut self) -> Option<Result<SseEvent<'_>, SseError>> {
        self.settle();
        match self.advance() {
            Step::Event => Some(self.current_event()),
            Step::Error(e) => Some(Err(e)),
            Step::NeedMore => None,
        }
    }

    /// Signals end of stream and returns what is left, one item per call,
    /// until it returns `None`.
    ///
    /// It first returns any complete events not yet pulled with
    /// [`next_event`](Self::next_event). Then, **deviating from the WHATWG
    /// standard** (which discards an event not ended by a blank line), it
    /// dispatches the pending event if it has data, treating an unterminated
    /// last line as complete: some LLM servers omit the final blank line.
    ///
    /// Once it has returned `None` the decoder is empty and ready for a new
    /// stream; only [`last_event_id`](Self::last_event_id) and
    /// [`last_retry`](Self::last_retry) are kept, since the standard carries
    /// them over to a reconnection. Use [`reset`](Self::reset) to forget them.
    pub fn finish(&mut self) -> Option<Result<SseEvent<'_>, SseError>> {
        self.settle();
        self.lines.end();
        match self.advance() {
            Step::Event => return Some(self.current_event()),
            Step::Error(e) => return Some(Err(e)),
            Step::NeedMore => {}
        }
        if !self.skip_event && self.pending.src != Data::None {
            self.dispatched = true;
            return Some(self.current_event());
        }
        self.reset_stream();
        None
    }

    /// Bytes currently held in internal buffers: input not yet decoded,
    /// decoded input not yet released (released lazily by the next
    /// [`feed`](Self::feed)), and the copy of a multi-line event's data.
    /// Buffer capacity is not counted.
    pub fn buffered_len(&self) -> usize {
        self.lines.len() + self.pending.data.len()
    }

    /// The last event id in force, as [`SseEvent::id`] would report it now.
    /// A client reconnecting sends it as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        let id = self.persisting.last_id.as_str();
        (!id.is_empty()).then_some(id)
    }

    /// The reconnection time (milliseconds) from the most recent valid `retry`
    /// field, including one in an event that was never dispatched.
    pub fn last_retry(&self) -> Option<u64> {
        self.persisting.last_retry
    }

    /// Forgets everything, including the last event id and retry, keeping the
    /// limit and the allocated buffers.
    pub fn reset(&mut self) {
        self.reset_stream();
        self.persisting.last_id.clear();
        self.persisting.last_retry = None;
    }

    /// Releases the storage of the event handed out by the previous call.
    #[inline]
    fn settle(&mut self) {
        if self.dispatched {
            self.dispatched = false;
            self.pending.reset();
        }
    }

    fn reset_stream(&mut self) {
        self.lines.reset();
        self.skip_event = false;
        self.dispatched = false;
        self.pending.reset();
    }

    /// Decodes buffered lines until an event is ready, an error occurs, or
    /// input runs out.
    #[inline]
    fn advance(&mut self) -> Step {
        loop {
            match self.lines.next_line() {
                Line::NeedMore => return Step::NeedMore,
                // Within an event already spoiled, one error is enough.
                Line::TooLong if self.skip_event => {}
                Line::TooLong => {
                    let limit = self.lines.limit();
                    return self.fail(SseError::LineTooLong { limit });
                }
                Line::Complete { start, end } => {
                    if let Some(step) = self.line(start, end) {
                        return step;
                    }
                }
            }
        }
    }

    /// Interprets the line `buf[start..end]` (without its line end).
    #[inline]
    fn line(&mut self, start: usize, end: usize) -> Option<Step> {
        if self.skip_event {
            if start == end {
                self.skip_event = false;
                self.pending.reset();
            }
            return None;
        }
        if start == end {
            if self.pending.src != Data::None {
                self.dispatched = true;
                return Some(Step::Event);
            }
            self.pending.reset();
            return None;
        }
        let applied = match self.lines.text(start, end) {
            Ok(line) => apply_field(
                line,
                start,
                &self.lines,
                &mut self.pending,
                &mut self.persisting,
            ),
            Err(e) => Err(e.into()),
        };
        match applied {
            Ok(()) => None,
            Err(e) => Some(self.fail(e)),
        }
    }

    #[cold]
    fn fail(&mut self, e: SseError) -> Step {
        self.skip_event = true;
        self.pending.reset();
        Step::Error(e)
    }

    /// The event in `pending`, as handed to the caller.
    #[inline]
    fn current_event(&self) -> Result<SseEvent<'_>, SseError> {
        let data = match self.pending.src {
            Data::None => "",
            Data::Owned => self.pending.data.as_str(),
            // Already validated with its line; safe Rust cannot keep that
            // proof across calls, so check again (cheap next to a copy).
            Data::Borrowed { start, end } => self.lines.text(start, end)?,
        };
        Ok(SseEvent {
            event: self.pending.event.as_str(),
            data,
            id: self.last_event_id(),
            retry: self.pending.retry,
        })
    }
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SseDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffer itself can be megabytes: show its size only.
        f.debug_struct("SseDecoder")
            .field("limit", &self.limit())
            .field("buffered_len", &self.buffered_len())
            .field("undecoded", &self.lines.undecoded())
            .field("stream_offset", &self.lines.stream_offset())
            .field("last_event_id", &self.last_event_id())
            .field("last_retry", &self.last_retry())
            .field("skipping_event", &self.skip_event)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
