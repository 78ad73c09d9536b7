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

// Safe code only: the zero-copy path re-checks UTF-8 instead of trusting
// `from_utf8_unchecked`.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;

use memchr::{memchr2, memrchr2};

/// The UTF-8 encoding of U+FEFF.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Value of `SseDecoder::bom` once the start of the stream has been examined.
const BOM_DECIDED: u8 = u8::MAX;

/// One dispatched event. It borrows from the decoder, so it lives until the
/// next call on the decoder; copy out whatever must outlive that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// one. See [`SseDecoder::last_retry`] for the value in force.
    pub retry: Option<u64>,
}

/// Why the decoder rejected part of the stream. The event in which the error
/// occurred is dropped; decoding resumes after its terminating blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Where the pending event's data currently lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
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
struct Pending {
    event: String,
    data: String,
    src: Data,
    retry: Option<u64>,
}

impl Pending {
    fn new() -> Self {
        Pending {
            event: String::new(),
            data: String::new(),
            src: Data::None,
            retry: None,
        }
    }

    fn reset(&mut self) {
        self.event.clear();
        self.data.clear();
        self.src = Data::None;
        self.retry = None;
    }
}

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
/// use yat_providers::http::sse::{SseDecoder, SseError};
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
    /// Input not yet released; `buf[pos..]` is not yet decoded.
    buf: Vec<u8>,
    pos: usize,
    /// `buf[pos..scanned]` is known to hold no line end, so a long line
    /// arriving in many small pieces is scanned once, not once per piece.
    scanned: usize,
    /// Start of the trailing incomplete line in `buf`, for the limit check in
    /// `feed`.
    tail_start: usize,
    /// Stream offset of `buf[0]`, for error offsets.
    base: u64,
    /// Bytes dropped from over-long lines: `(index in buf, count)`, the bytes
    /// having stood just before `buf[index]`. Only error offsets need them.
    gaps: VecDeque<(usize, u64)>,
    limit: usize,
    /// How many bytes of a byte order mark have been seen (and held back) at
    /// the start of the stream, or `BOM_DECIDED`.
    bom: u8,
    /// The tail line exceeded the limit: drop input up to the next line end.
    truncating: bool,
    /// The last line ended with a CR at the end of the input: an LF starting
    /// the next piece belongs to that line end.
    skip_lf: bool,
    /// An error occurred in the current event: ignore lines until a blank
    /// one.
    skip_event: bool,
    /// `finish` was called: the final unterminated line counts as a line.
    eof: bool,
    /// An event was handed out; its storage is reset on the next call, not
    /// before, because the caller borrows it until then.
    dispatched: bool,
    pending: Pending,
    last_id: String,
    last_retry: Option<u64>,
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
            buf: Vec::new(),
            pos: 0,
            scanned: 0,
            tail_start: 0,
            base: 0,
            gaps: VecDeque::new(),
            limit: max_bytes,
            bom: 0,
            truncating: false,
            skip_lf: false,
            skip_event: false,
            eof: false,
            dispatched: false,
            pending: Pending::new(),
            last_id: String::new(),
            last_retry: None,
        }
    }

    /// The limit given at construction, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Appends the next piece of the stream. It may end anywhere: inside a
    /// line, a UTF-8 sequence, a CRLF or the byte order mark.
    ///
    /// Nothing is decoded here; call [`next_event`](Self::next_event) until it
    /// returns `None` before feeding more, or input accumulates. The tail of
    /// an over-long line is dropped here already, so even a caller that keeps
    /// feeding a line that never ends holds at most about the limit.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.settle();
        // More input after `finish` continues the stream (a caller that
        // resumed reading); `finish` must be called again at its end.
        self.eof = false;
        let mut chunk = chunk;
        if self.bom != BOM_DECIDED {
            let held = usize::from(self.bom);
            let mut matched = held;
            let mut taken = 0;
            while let (Some(&want), Some(&got)) = (BOM.get(matched), chunk.get(taken)) {
                if want != got {
                    break;
                }
                matched += 1;
                taken += 1;
            }
            if matched == BOM.len() {
                self.bom = BOM_DECIDED;
                self.base = BOM.len() as u64;
                chunk = chunk.get(taken..).unwrap_or_default();
            } else if taken == chunk.len() {
                // Still a prefix of the mark: hold it until the next piece.
                self.bom = matched as u8;
                return;
            } else {
                // Not a mark after all: the held bytes are ordinary input.
                self.bom = BOM_DECIDED;
                self.append(BOM.get(..held).unwrap_or_default());
            }
        }
        self.append(chunk);
    }

    /// Returns the next complete event, an error, or `None` when more input
    /// is needed.
    ///
    /// The event borrows the decoder: it stays valid until the next call on
    /// the decoder. After an `Err`, the rest of the offending event is
    /// skipped and later calls continue with the next event.
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
        if !self.eof {
            self.eof = true;
            if self.bom != BOM_DECIDED {
                // The stream ended inside what looked like a byte order mark.
                let held = usize::from(self.bom);
                self.bom = BOM_DECIDED;
                self.append(BOM.get(..held).unwrap_or_default());
            }
        }
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
        self.buf.len() + self.pending.data.len()
    }

    /// The last event id in force, as [`SseEvent::id`] would report it now.
    /// A client reconnecting sends it as `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        (!self.last_id.is_empty()).then_some(self.last_id.as_str())
    }

    /// The reconnection time (milliseconds) from the most recent valid `retry`
    /// field, including one in an event that was never dispatched.
    pub fn last_retry(&self) -> Option<u64> {
        self.last_retry
    }

    /// Forgets everything, including the last event id and retry, keeping the
    /// limit and the allocated buffers.
    pub fn reset(&mut self) {
        self.reset_stream();
        self.last_id.clear();
        self.last_retry = None;
    }

    /// Releases the storage of the event handed out by the previous call.
    fn settle(&mut self) {
        if self.dispatched {
            self.dispatched = false;
            self.pending.reset();
        }
    }

    fn reset_stream(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.scanned = 0;
        self.tail_start = 0;
        self.base = 0;
        self.gaps.clear();
        self.bom = 0;
        self.truncating = false;
        self.skip_lf = false;
        self.skip_event = false;
        self.eof = false;
        self.dispatched = false;
        self.pending.reset();
    }

    /// Appends input (the byte order mark already handled), enforcing the
    /// limit on the trailing incomplete line.
    fn append(&mut self, chunk: &[u8]) {
        let mut chunk = chunk;
        if self.truncating {
            match memchr2(b'\n', b'\r', chunk) {
                None => {
                    self.note_gap(chunk.len());
                    return;
                }
                Some(i) => {
                    self.note_gap(i);
                    self.truncating = false;
                    chunk = chunk.get(i..).unwrap_or_default();
                }
            }
        }
        if chunk.is_empty() {
            return;
        }
        self.compact(chunk.len());
        // Keeping one byte beyond the limit is enough for the line to be
        // rejected when it is decoded, however it was split.
        let max_line = self.limit.saturating_add(1);
        let old_len = self.buf.len();
        let keep = match memrchr2(b'\n', b'\r', chunk) {
            Some(i) => {
                self.tail_start = old_len + i + 1;
                (i + 1).saturating_add(max_line)
            }
            None => max_line.saturating_sub(old_len.saturating_sub(self.tail_start)),
        };
        match chunk.get(..keep) {
            Some(head) if keep < chunk.len() => {
                self.buf.extend_from_slice(head);
                self.truncating = true;
                self.note_gap(chunk.len() - keep);
            }
            _ => self.buf.extend_from_slice(chunk),
        }
    }

    /// Records `n` bytes dropped just before the current end of `buf`.
    fn note_gap(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let at = self.buf.len();
        match self.gaps.back_mut() {
            Some(gap) if gap.0 == at => gap.1 += n as u64,
            _ => self.gaps.push_back((at, n as u64)),
        }
    }

    /// Folds the gaps that lie before `index` into `base`.
    fn fold_gaps(&mut self, index: usize) {
        while let Some(&(at, n)) = self.gaps.front() {
            if at > index {
                break;
            }
            self.base += n;
            self.gaps.pop_front();
        }
    }

    /// Releases decoded input before appending `incoming` bytes, but only
    /// when that is cheap relative to what it frees (the undecoded rest is no
    /// larger than the decoded part) or when the buffer would otherwise have
    /// to grow; so each byte is moved a bounded number of times.
    fn compact(&mut self, incoming: usize) {
        let pos = self.pos;
        if pos == 0 {
            return;
        }
        let rest = self.buf.len().saturating_sub(pos);
        let spare = self.buf.capacity() - self.buf.len();
        if rest > pos && spare >= incoming {
            return;
        }
        // The pending event's single data line may live in the part about to
        // be released: copy it out (at most once per event).
        self.materialize();
        self.fold_gaps(pos);
        for gap in &mut self.gaps {
            gap.0 -= pos;
        }
        self.buf.drain(..pos);
        self.base += pos as u64;
        self.scanned = self.scanned.saturating_sub(pos);
        self.tail_start = self.tail_start.saturating_sub(pos);
        self.pos = 0;
    }

    /// Moves a borrowed data line into the pending event's own string.
    fn materialize(&mut self) {
        if let Data::Borrowed { start, end } = self.pending.src {
            let bytes = self.buf.get(start..end).unwrap_or_default();
            self.pending.data.clear();
            // The line was validated when it was decoded, so this borrows and
            // copies once; lossy only to stay panic-free.
            self.pending.data.push_str(&String::from_utf8_lossy(bytes));
            self.pending.src = Data::Owned;
        }
    }

    /// Decodes buffered lines until an event is ready, an error occurs, or
    /// input runs out.
    fn advance(&mut self) -> Step {
        loop {
            if self.skip_lf {
                match self.buf.get(self.pos) {
                    None => return Step::NeedMore,
                    Some(&b) => {
                        self.skip_lf = false;
                        if b == b'\n' {
                            self.pos += 1;
                        }
                    }
                }
            }
            let start = self.pos;
            let from = self.scanned.max(start);
            let rest = self.buf.get(from..).unwrap_or_default();
            let (end, next) = match memchr2(b'\n', b'\r', rest) {
                Some(i) => {
                    let end = from + i;
                    if rest.get(i) == Some(&b'\r') {
                        match self.buf.get(end + 1) {
                            Some(&b'\n') => (end, end + 2),
                            Some(_) => (end, end + 1),
                            None => {
                                // The LF of a CRLF may be in the next piece.
                                self.skip_lf = true;
                                (end, end + 1)
                            }
                        }
                    } else {
                        (end, end + 1)
                    }
                }
                None => {
                    let len = self.buf.len();
                    if self.truncating && !self.skip_event {
                        // The unfinished line is already over the limit:
                        // say so now rather than at a line end that a
                        // misbehaving server may never send.
                        self.scanned = len;
                        return self.fail(SseError::LineTooLong { limit: self.limit });
                    }
                    if !self.eof || start >= len {
                        self.scanned = len;
                        return Step::NeedMore;
                    }
                    (len, len)
                }
            };
            self.pos = next;
            if let Some(step) = self.line(start, end) {
                return step;
            }
        }
    }

    /// Interprets the line `buf[start..end]` (without its line end).
    fn line(&mut self, start: usize, end: usize) -> Option<Step> {
        self.fold_gaps(start);
        if self.skip_event {
            if start == end {
                self.skip_event = false;
                self.pending.reset();
            }
            return None;
        }
        if end - start > self.limit {
            return Some(self.fail(SseError::LineTooLong { limit: self.limit }));
        }
        if start == end {
            if self.pending.src != Data::None {
                self.dispatched = true;
                return Some(Step::Event);
            }
            self.pending.reset();
            return None;
        }
        let bytes = self.buf.get(start..end).unwrap_or_default();
        let line = match std::str::from_utf8(bytes) {
            Ok(line) => line,
            Err(e) => {
                let offset = self.base + (start + e.valid_up_to()) as u64;
                return Some(self.fail(SseError::InvalidUtf8 { offset }));
            }
        };
        let applied = apply_field(
            line,
            start,
            &self.buf,
            self.base,
            self.limit,
            &mut self.pending,
            &mut self.last_id,
            &mut self.last_retry,
        );
        match applied {
            Ok(()) => None,
            Err(e) => Some(self.fail(e)),
        }
    }

    fn fail(&mut self, e: SseError) -> Step {
        self.skip_event = true;
        self.pending.reset();
        Step::Error(e)
    }

    /// The event in `pending`, as handed to the caller.
    fn current_event(&self) -> Result<SseEvent<'_>, SseError> {
        let data = match self.pending.src {
            Data::None => "",
            Data::Owned => self.pending.data.as_str(),
            Data::Borrowed { start, end } => {
                // Already validated with its line; safe Rust cannot keep that
                // proof across calls, so check again (cheap next to a copy).
                let bytes = self.buf.get(start..end).unwrap_or_default();
                std::str::from_utf8(bytes).map_err(|e| SseError::InvalidUtf8 {
                    offset: self.base + (start + e.valid_up_to()) as u64,
                })?
            }
        };
        Ok(SseEvent {
            event: self.pending.event.as_str(),
            data,
            id: self.last_event_id(),
            retry: self.pending.retry,
        })
    }
}

/// Applies one non-blank, valid line to the event being assembled. `line`
/// starts at `buf[line_start]`; the buffer is passed separately so that a
/// single data line can be recorded as a range instead of copied.
#[allow(clippy::too_many_arguments)]
fn apply_field(
    line: &str,
    line_start: usize,
    buf: &[u8],
    base: u64,
    limit: usize,
    pending: &mut Pending,
    last_id: &mut String,
    last_retry: &mut Option<u64>,
) -> Result<(), SseError> {
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
                    let first = buf.get(start..end).unwrap_or_default();
                    let first = std::str::from_utf8(first).map_err(|e| SseError::InvalidUtf8 {
                        offset: base + (start + e.valid_up_to()) as u64,
                    })?;
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
            last_id.clear();
            last_id.push_str(value);
        }
        "retry" => {
            if let Some(ms) = parse_retry(value) {
                pending.retry = Some(ms);
                *last_retry = Some(ms);
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

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SseDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffer itself can be megabytes: show its size only.
        f.debug_struct("SseDecoder")
            .field("limit", &self.limit)
            .field("buffered_len", &self.buffered_len())
            .field("undecoded", &self.buf.len().saturating_sub(self.pos))
            .field("stream_offset", &(self.base + self.pos as u64))
            .field("last_event_id", &self.last_event_id())
            .field("last_retry", &self.last_retry)
            .field("skipping_event", &self.skip_event)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An event copied out of the decoder, for comparisons.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Owned {
        event: String,
        data: String,
        id: Option<String>,
        retry: Option<u64>,
    }

    impl From<SseEvent<'_>> for Owned {
        fn from(e: SseEvent<'_>) -> Self {
            Owned {
                event: e.event.to_owned(),
                data: e.data.to_owned(),
                id: e.id.map(str::to_owned),
                retry: e.retry,
            }
        }
    }

    type Item = Result<Owned, SseError>;

    fn ev(event: &str, data: &str, id: Option<&str>, retry: Option<u64>) -> Item {
        Ok(Owned {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
            retry,
        })
    }

    fn msg(data: &str) -> Item {
        ev("", data, None, None)
    }

    fn drain(dec: &mut SseDecoder, out: &mut Vec<Item>) {
        while let Some(r) = dec.next_event() {
            out.push(r.map(Owned::from));
            assert!(out.len() < 100_000, "next_event does not terminate");
        }
    }

    fn finish(dec: &mut SseDecoder, out: &mut Vec<Item>) {
        let mut n = 0;
        while let Some(r) = dec.finish() {
            out.push(r.map(Owned::from));
            n += 1;
            assert!(n < 100_000, "finish does not terminate");
        }
        assert_eq!(dec.buffered_len(), 0, "finish must leave the decoder empty");
    }

    /// Decodes `pieces` in order, pulling after every piece, then finishes.
    fn decode_pieces(limit: usize, pieces: &[&[u8]]) -> Vec<Item> {
        let mut dec = SseDecoder::with_limit(limit);
        let mut out = Vec::new();
        for p in pieces {
            dec.feed(p);
            drain(&mut dec, &mut out);
        }
        finish(&mut dec, &mut out);
        out
    }

    fn decode(input: &[u8]) -> Vec<Item> {
        decode_pieces(SseDecoder::DEFAULT_LIMIT, &[input])
    }

    /// Cuts `input` at the given points (any order, out-of-range ignored).
    fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
        let mut cuts: Vec<usize> = points
            .iter()
            .copied()
            .filter(|&p| p <= input.len())
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut pieces = Vec::new();
        let mut prev = 0;
        for c in cuts {
            pieces.push(&input[prev..c]);
            prev = c;
        }
        pieces.push(&input[prev..]);
        pieces
    }

    /// Every way of splitting `input` into two pieces, and into single bytes,
    /// gives the same result as one piece.
    fn assert_split_invariant(limit: usize, input: &[u8]) -> Vec<Item> {
        let whole = decode_pieces(limit, &[input]);
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(
                decode_pieces(limit, &[a, b]),
                whole,
                "split at {i} of {input:?}"
            );
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            decode_pieces(limit, &bytes),
            whole,
            "byte by byte: {input:?}"
        );
        whole
    }

    #[test]
    fn lf_line_ends() {
        assert_eq!(
            assert_split_invariant(64, b"data: a\n\ndata: b\n\n"),
            [msg("a"), msg("b")]
        );
    }

    #[test]
    fn cr_line_ends() {
        assert_eq!(
            assert_split_invariant(64, b"data: a\r\rdata: b\r\r"),
            [msg("a"), msg("b")]
        );
    }

    #[test]
    fn crlf_line_ends() {
        assert_eq!(
            assert_split_invariant(64, b"data: a\r\n\r\ndata: b\r\n\r\n"),
            [msg("a"), msg("b")]
        );
    }

    #[test]
    fn mixed_line_ends() {
        assert_eq!(
            assert_split_invariant(64, b"data: a\rdata: b\ndata: c\r\n\n"),
            [msg("a\nb\nc")]
        );
    }

    #[test]
    fn crlf_split_across_pieces_is_one_line_end() {
        // A blank line made of CR | LF split across pieces would dispatch a
        // second time if the LF were taken as a line of its own.
        let mut dec = SseDecoder::new();
        dec.feed(b"data: a\r");
        assert!(dec.next_event().is_none());
        dec.feed(b"\ndata: b\r");
        assert!(dec.next_event().is_none());
        dec.feed(b"\n\r");
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(msg("a\nb"))
        );
        assert!(dec.next_event().is_none());
        dec.feed(b"\n");
        assert!(dec.next_event().is_none());
        dec.feed(b"data: c\r\n\r\n");
        assert_eq!(dec.next_event().map(|r| r.map(Owned::from)), Some(msg("c")));
        assert!(dec.finish().is_none());
    }

    #[test]
    fn cr_dispatches_without_waiting_for_next_byte() {
        let mut dec = SseDecoder::new();
        dec.feed(b"data: a\r\r");
        assert_eq!(dec.next_event().map(|r| r.map(Owned::from)), Some(msg("a")));
    }

    #[test]
    fn cr_then_cr_across_pieces_is_a_blank_line() {
        assert_eq!(
            decode_pieces(64, &[b"data: a\r", b"\rdata: b\r", b"\r"]),
            [msg("a"), msg("b")]
        );
    }

    #[test]
    fn multi_line_data_joined_with_lf() {
        assert_eq!(
            assert_split_invariant(64, b"data: a\ndata: b\ndata:c\n\n"),
            [msg("a\nb\nc")]
        );
    }

    #[test]
    fn empty_data_lines() {
        assert_eq!(decode(b"data\n\n"), [msg("")]);
        assert_eq!(decode(b"data:\n\n"), [msg("")]);
        assert_eq!(decode(b"data:\ndata:\n\n"), [msg("\n")]);
        assert_eq!(decode(b"data: a\ndata\ndata: b\n\n"), [msg("a\n\nb")]);
    }

    #[test]
    fn comments_are_ignored() {
        assert_eq!(
            assert_split_invariant(64, b": keep-alive\n:\ndata: a\n: inside\n\n:x\n\n"),
            [msg("a")]
        );
    }

    #[test]
    fn event_names() {
        assert_eq!(
            decode(b"event: ping\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"),
            [ev("ping", "1", None, None), msg("2"), msg("3")]
        );
    }

    #[test]
    fn event_name_is_reset_by_blank_line_without_data() {
        assert_eq!(decode(b"event: lost\n\ndata: x\n\n"), [msg("x")]);
    }

    #[test]
    fn last_event_name_wins() {
        assert_eq!(
            decode(b"event: a\nevent: b\ndata: x\n\n"),
            [ev("b", "x", None, None)]
        );
    }

    #[test]
    fn id_persists_across_events() {
        assert_eq!(
            decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid\ndata: d\n\n"),
            [
                ev("", "a", Some("1"), None),
                ev("", "b", Some("1"), None),
                ev("", "c", Some("2"), None),
                ev("", "d", None, None),
            ]
        );
    }

    #[test]
    fn id_containing_nul_is_ignored() {
        assert_eq!(
            decode(b"id: good\ndata: a\n\nid: b\0ad\ndata: b\n\n"),
            [
                ev("", "a", Some("good"), None),
                ev("", "b", Some("good"), None)
            ]
        );
    }

    #[test]
    fn retry_is_reported_per_event() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(b"retry: 1500\ndata: a\n\ndata: b\n\nretry: 20\n\n");
        drain(&mut dec, &mut out);
        assert_eq!(out, [ev("", "a", None, Some(1500)), msg("b")]);
        // A retry in a block without data is not dispatched but is in force.
        assert_eq!(dec.last_retry(), Some(20));
    }

    #[test]
    fn invalid_retry_is_ignored() {
        for bad in [
            "retry: 1a",
            "retry: -1",
            "retry: +1",
            "retry:",
            "retry: 1 ",
            "retry:  1",
            "retry: 99999999999999999999999",
        ] {
            let input = format!("retry: 7\n{bad}\ndata: x\n\n");
            assert_eq!(
                decode(input.as_bytes()),
                [ev("", "x", None, Some(7))],
                "{bad:?}"
            );
        }
        assert_eq!(
            decode(b"retry:0\ndata: x\n\n"),
            [ev("", "x", None, Some(0))]
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(decode(b"foo: bar\nData: no\nDATA\ndata: x\n\n"), [msg("x")]);
    }

    #[test]
    fn bom_is_stripped_once() {
        assert_eq!(
            assert_split_invariant(64, b"\xEF\xBB\xBFdata: a\n\n"),
            [msg("a")]
        );
        // A second mark is part of the first field name: unknown field.
        assert_eq!(
            decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n"),
            [msg("b")]
        );
        // Not at the start: part of the value.
        assert_eq!(decode("data: \u{FEFF}a\n\n".as_bytes()), [msg("\u{FEFF}a")]);
    }

    #[test]
    fn partial_bom_is_ordinary_input() {
        // An incomplete mark is invalid UTF-8 at the start of the stream.
        assert_eq!(
            decode(b"\xEF\xBBdata: a\n\ndata: b\n\n"),
            [Err(SseError::InvalidUtf8 { offset: 0 }), msg("b")]
        );
        assert_eq!(
            decode(b"data: \xEF\xBB\xBF\xEF\xBB\n\n"),
            [Err(SseError::InvalidUtf8 { offset: 9 })]
        );
        assert_eq!(
            decode_pieces(64, &[b"\xEF", b"\xBB"]),
            [Err(SseError::InvalidUtf8 { offset: 0 })]
        );
        assert_eq!(
            decode_pieces(64, &[b"\xEF"]),
            [Err(SseError::InvalidUtf8 { offset: 0 })]
        );
        assert_eq!(
            decode_pieces(64, &[b"\xEF", b"x"]),
            [Err(SseError::InvalidUtf8 { offset: 0 })]
        );
        assert_eq!(decode(b""), []);
    }

    #[test]
    fn field_without_colon_has_empty_value() {
        assert_eq!(decode(b"data\ndata\n\n"), [msg("\n")]);
        assert_eq!(decode(b"event\ndata: x\n\n"), [msg("x")]);
    }

    #[test]
    fn only_one_space_is_stripped() {
        assert_eq!(
            decode(b"data:  two\n\ndata:none\n\ndata:\tx\n\ndata: a: b\n\n"),
            [msg(" two"), msg("none"), msg("\tx"), msg("a: b")]
        );
        assert_eq!(
            decode(b"event:  e\ndata: x\n\n"),
            [ev(" e", "x", None, None)]
        );
    }

    #[test]
    fn event_without_data_is_not_dispatched() {
        assert_eq!(decode(b"event: a\n\nid: 3\n\n: c\n\nretry: 5\n\n"), []);
        assert_eq!(decode(b"\n\n\n\r\n\r"), []);
    }

    #[test]
    fn finish_dispatches_final_event_without_blank_line() {
        assert_eq!(decode(b"data: a\n\ndata: b\n"), [msg("a"), msg("b")]);
        // Unterminated last line.
        assert_eq!(
            decode(b"data: a\n\nevent: e\ndata: b"),
            [msg("a"), ev("e", "b", None, None)]
        );
        assert_eq!(decode(b"data: a\r"), [msg("a")]);
        // Nothing pending: nothing dispatched.
        assert_eq!(decode(b"data: a\n\nevent: e\n"), [msg("a")]);
        assert_eq!(decode(b"data: a\n\n: comment"), [msg("a")]);
    }

    #[test]
    fn finish_returns_unpulled_events_first_and_resets() {
        let mut dec = SseDecoder::new();
        dec.feed(b"id: 9\ndata: a\n\ndata: b\n\ndata: c");
        let mut out = Vec::new();
        finish(&mut dec, &mut out);
        assert_eq!(
            out,
            [
                ev("", "a", Some("9"), None),
                ev("", "b", Some("9"), None),
                ev("", "c", Some("9"), None)
            ]
        );
        assert!(dec.finish().is_none());
        assert_eq!(dec.last_event_id(), Some("9"));
        // Ready for a new stream, which may start with its own mark.
        dec.feed(b"\xEF\xBB\xBFdata: d\n\n");
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(ev("", "d", Some("9"), None))
        );
        dec.reset();
        assert_eq!(dec.last_event_id(), None);
    }

    #[test]
    fn utf8_split_across_pieces() {
        let input = "data: é€😀\n\n".as_bytes();
        assert_eq!(assert_split_invariant(64, input), [msg("é€😀")]);
    }

    #[test]
    fn invalid_utf8_is_an_error_with_stream_offset() {
        let mut dec = SseDecoder::new();
        dec.feed(b"data: ok\n\ndata: b\xFFd\n");
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(msg("ok"))
        );
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(Err(SseError::InvalidUtf8 { offset: 17 }))
        );
        // The rest of the bad event is skipped; the next one decodes.
        dec.feed(b"data: more\n\ndata: next\n\n");
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(msg("next"))
        );
        assert!(dec.next_event().is_none());
    }

    #[test]
    fn invalid_utf8_offset_counts_bom_and_released_bytes() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(b"\xEF\xBB\xBFdata: ok\n\n");
        drain(&mut dec, &mut out);
        for _ in 0..10 {
            dec.feed(b"data: 0123456789\n\n");
            drain(&mut dec, &mut out);
        }
        dec.feed(b"event: \xC3(\n\n");
        drain(&mut dec, &mut out);
        let bad = 3 + 10 + 10 * 18 + 7;
        assert_eq!(
            out.last(),
            Some(&Err(SseError::InvalidUtf8 { offset: bad }))
        );
        assert_eq!(out.len(), 12);
    }

    #[test]
    fn invalid_utf8_in_comment_or_unknown_field_is_an_error() {
        assert_eq!(
            decode(b":\xFF\ndata: x\n\ndata: y\n\n"),
            [Err(SseError::InvalidUtf8 { offset: 1 }), msg("y")]
        );
        assert_eq!(
            decode(b"\xC0: x\n\n"),
            [Err(SseError::InvalidUtf8 { offset: 0 })]
        );
        // Truncated sequence at the end of the stream.
        assert_eq!(
            decode(b"data: \xE2\x82"),
            [Err(SseError::InvalidUtf8 { offset: 6 })]
        );
    }

    #[test]
    fn line_limit_is_exact() {
        let ok = b"data: 1234\n\n"; // 10-byte line
        assert_eq!(assert_split_invariant(10, ok), [msg("1234")]);
        assert_eq!(
            assert_split_invariant(9, ok),
            [Err(SseError::LineTooLong { limit: 9 })]
        );
        // Comments count too; the event they are in is dropped.
        assert_eq!(
            assert_split_invariant(9, b"data: a\n: 123456789\ndata: b\n\ndata: c\n\n"),
            [Err(SseError::LineTooLong { limit: 9 }), msg("c")]
        );
    }

    #[test]
    fn data_limit_counts_joined_length() {
        // Three 4-byte values joined: 14 bytes.
        let input = b"data:aaaa\ndata:bbbb\ndata:cccc\n\ndata: d\n\n";
        assert_eq!(
            assert_split_invariant(14, input),
            [msg("aaaa\nbbbb\ncccc"), msg("d")]
        );
        assert_eq!(
            assert_split_invariant(13, input),
            [Err(SseError::LineTooLong { limit: 13 }), msg("d")]
        );
    }

    #[test]
    fn endless_line_keeps_memory_bounded() {
        const LIMIT: usize = 1024 * 1024;
        const CHUNK: usize = 64 * 1024;
        let mut dec = SseDecoder::with_limit(LIMIT);
        let chunk = vec![b'x'; CHUNK];
        dec.feed(b"data: ok\n\ndata: ");
        assert_eq!(
            dec.next_event().map(|r| r.map(Owned::from)),
            Some(msg("ok"))
        );
        let mut errors = 0;
        let mut max_held = 0;
        for _ in 0..(10 * 1024 * 1024 / CHUNK) {
            dec.feed(&chunk);
            max_held = max_held.max(dec.buffered_len());
            while let Some(r) = dec.next_event() {
                assert_eq!(r, Err(SseError::LineTooLong { limit: LIMIT }));
                errors += 1;
            }
            assert!(
                dec.buffered_len() <= LIMIT + CHUNK,
                "held {}",
                dec.buffered_len()
            );
            assert!(
                dec.buf.capacity() <= 2 * (LIMIT + CHUNK),
                "capacity {}",
                dec.buf.capacity()
            );
        }
        assert_eq!(
            errors, 1,
            "an unterminated line is reported once, as soon as it passes the limit"
        );
        assert!(max_held <= LIMIT + CHUNK);
        // Its end arrives: the rest of the over-long event is dropped, and
        // decoding resumes after the blank line; the error offset accounts for
        // the dropped bytes.
        dec.feed(b"\ndata: dropped\n\ndata: \xFF\n\n");
        let mut out = Vec::new();
        drain(&mut dec, &mut out);
        let bad = 10 + 6 + 10 * 1024 * 1024 + 1 + 15 + 6;
        assert_eq!(out, [Err(SseError::InvalidUtf8 { offset: bad as u64 })]);
    }

    #[test]
    fn endless_line_without_pulling_keeps_memory_bounded() {
        const LIMIT: usize = 4096;
        let mut dec = SseDecoder::with_limit(LIMIT);
        dec.feed(b"data: a\n\n");
        for _ in 0..1000 {
            dec.feed(&[b'y'; 1000]);
            assert!(dec.buffered_len() <= LIMIT + 1000 + 16);
        }
        let mut out = Vec::new();
        finish(&mut dec, &mut out);
        assert_eq!(out, [msg("a"), Err(SseError::LineTooLong { limit: LIMIT })]);
    }

    #[test]
    fn whole_long_line_in_one_piece_is_rejected() {
        let mut input = b"data: ".to_vec();
        input.extend(std::iter::repeat(b'z').take(100));
        input.extend_from_slice(b"\n\ndata: after\n\n");
        assert_eq!(
            decode_pieces(50, &[&input]),
            [Err(SseError::LineTooLong { limit: 50 }), msg("after")]
        );
        assert_eq!(
            decode_pieces(50, &input.chunks(7).collect::<Vec<_>>()),
            [Err(SseError::LineTooLong { limit: 50 }), msg("after")]
        );
    }

    #[test]
    fn zero_limit_rejects_every_non_blank_line() {
        assert_eq!(
            decode_pieces(0, &[b"data: a\n\n\n:\n\n"]),
            [
                Err(SseError::LineTooLong { limit: 0 }),
                Err(SseError::LineTooLong { limit: 0 })
            ]
        );
    }

    #[test]
    fn single_line_data_is_borrowed_from_input() {
        let mut dec = SseDecoder::new();
        dec.feed(b"data: {\"a\":1}\n\n");
        let ptr = match dec.next_event() {
            Some(Ok(e)) => e.data.as_ptr() as usize,
            other => panic!("{other:?}"),
        };
        let range = dec.buf.as_ptr_range();
        assert!((range.start as usize..range.end as usize).contains(&ptr));
        assert_eq!(dec.pending.data.capacity(), 0, "no copy was made");
    }

    #[test]
    fn event_split_across_pieces_survives_compaction() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        let filler = b"data: 0123456789012345678901234567890123456789\n\n";
        for _ in 0..50 {
            dec.feed(filler);
            drain(&mut dec, &mut out);
        }
        dec.feed(b"data: single");
        drain(&mut dec, &mut out);
        dec.feed(b"\n");
        drain(&mut dec, &mut out);
        for _ in 0..50 {
            // Comments inside the event force releases under it.
            dec.feed(b": padding padding padding padding padding\n");
            drain(&mut dec, &mut out);
        }
        dec.feed(b"\n");
        drain(&mut dec, &mut out);
        assert_eq!(out.len(), 51);
        assert_eq!(out.last(), Some(&msg("single")));
        assert!(
            dec.buffered_len() < 1024,
            "decoded input is released: {}",
            dec.buffered_len()
        );
    }

    #[test]
    fn steady_state_does_not_grow_buffers() {
        let mut dec = SseDecoder::new();
        let mut n = 0usize;
        let piece: &[u8] = b"event: delta\ndata: {\"x\":1}\ndata: {\"y\":2}\n\ndata: [DONE]\n\n";
        let mut caps = None;
        for round in 0..2000 {
            // Odd-sized pieces so events straddle feeds.
            for p in piece.chunks(17) {
                dec.feed(p);
                while let Some(r) = dec.next_event() {
                    r.unwrap();
                    n += 1;
                }
            }
            if round == 100 {
                caps = Some((
                    dec.buf.capacity(),
                    dec.pending.data.capacity(),
                    dec.pending.event.capacity(),
                ));
            }
        }
        assert_eq!(n, 4000);
        assert_eq!(
            caps,
            Some((
                dec.buf.capacity(),
                dec.pending.data.capacity(),
                dec.pending.event.capacity()
            ))
        );
    }

    const OPENAI: &str = concat!(
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn openai_transcript() {
        let out = assert_split_invariant(SseDecoder::DEFAULT_LIMIT, OPENAI.as_bytes());
        assert_eq!(out.len(), 4);
        for item in &out[..3] {
            let e = item.as_ref().unwrap();
            assert_eq!(e.event, "");
            assert!(
                e.data.starts_with("{\"id\":\"chatcmpl-123\"")
                    && e.data.ends_with("\"usage\":null}")
            );
        }
        assert!(out[1]
            .as_ref()
            .unwrap()
            .data
            .contains("\"content\":\"Hello\""));
        assert_eq!(out[3], msg("[DONE]"));
    }

    #[test]
    fn anthropic_transcript() {
        let input = concat!(
            "event: message_start\r\n",
            "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[]}}\r\n\r\n",
            "event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n",
            "event: content_block_delta\r\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\r\n\r\n",
            "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
        );
        let out = assert_split_invariant(SseDecoder::DEFAULT_LIMIT, input.as_bytes());
        let names: Vec<_> = out
            .iter()
            .map(|e| e.as_ref().unwrap().event.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_delta",
                "message_stop"
            ]
        );
        assert_eq!(out[1], ev("ping", "{\"type\": \"ping\"}", None, None));
        assert_eq!(
            out[3],
            ev("message_stop", "{\"type\":\"message_stop\"}", None, None)
        );
    }

    #[test]
    fn error_display() {
        assert_eq!(
            SseError::LineTooLong { limit: 5 }.to_string(),
            "server-sent event line or data exceeds the limit of 5 bytes"
        );
        assert_eq!(
            SseError::InvalidUtf8 { offset: 7 }.to_string(),
            "invalid UTF-8 in server-sent event stream at byte 7"
        );
        let _: &dyn std::error::Error = &SseError::InvalidUtf8 { offset: 0 };
        assert!(format!("{:?}", SseDecoder::default()).contains("SseDecoder"));
    }

    /// A literal transcription of the standard's algorithm over a whole
    /// (valid UTF-8) stream, plus the `finish` deviation: the oracle.
    fn reference(input: &str) -> Vec<Item> {
        let s = input.strip_prefix('\u{FEFF}').unwrap_or(input);
        let mut lines = Vec::new();
        let mut cur = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lines.push(std::mem::take(&mut cur));
                }
                '\n' => lines.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        let unterminated = (!cur.is_empty()).then_some(cur);
        let mut out = Vec::new();
        let (mut data, mut event, mut last_id, mut retry) =
            (String::new(), String::new(), String::new(), None);
        let mut dispatch =
            |data: &mut String, event: &mut String, last_id: &String, retry: &mut Option<u64>| {
                if !data.is_empty() {
                    data.pop();
                    out.push(Ok(Owned {
                        event: event.clone(),
                        data: data.clone(),
                        id: (!last_id.is_empty()).then(|| last_id.clone()),
                        retry: *retry,
                    }));
                }
                data.clear();
                event.clear();
                *retry = None;
            };
        let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
        all.extend(unterminated.as_deref());
        for line in all {
            if line.is_empty() {
                dispatch(&mut data, &mut event, &last_id, &mut retry);
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (name, value) = match line.find(':') {
                Some(i) => {
                    let v = &line[i + 1..];
                    (&line[..i], v.strip_prefix(' ').unwrap_or(v))
                }
                None => (line, ""),
            };
            match name {
                "event" => event = value.to_owned(),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                "id" if !value.contains('\0') => last_id = value.to_owned(),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    retry = value.parse().ok().or(retry);
                }
                _ => {}
            }
        }
        dispatch(&mut data, &mut event, &last_id, &mut retry);
        out
    }

    fn sse_line() -> impl Strategy<Value = String> {
        let text = "[a-z0-9 :{}\",éü€😀\u{0}\t]{0,12}";
        prop_oneof![
            4 => text.prop_map(|t| format!("data: {t}")),
            1 => text.prop_map(|t| format!("data:{t}")),
            1 => Just("data".to_owned()),
            1 => "[a-z_]{0,8}".prop_map(|t| format!("event: {t}")),
            1 => text.prop_map(|t| format!("id: {t}")),
            1 => Just("id".to_owned()),
            1 => "[0-9]{1,4}|[0-9a]{0,3}|[0-9]{21}".prop_map(|t| format!("retry: {t}")),
            1 => text.prop_map(|t| format!(":{t}")),
            1 => text.prop_map(|t| format!("x-{t}")),
            3 => Just(String::new()),
        ]
    }

    fn sse_stream() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop::collection::vec(
                (
                    sse_line(),
                    prop_oneof![Just("\n"), Just("\r"), Just("\r\n")],
                ),
                0..24,
            ),
            any::<bool>(),
        )
            .prop_map(|(bom, lines, cut_last)| {
                let mut s = if bom {
                    "\u{FEFF}".to_owned()
                } else {
                    String::new()
                };
                let n = lines.len();
                for (i, (line, end)) in lines.into_iter().enumerate() {
                    s.push_str(&line);
                    if !(cut_last && i + 1 == n) {
                        s.push_str(end);
                    }
                }
                s
            })
    }

    fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            3 => any::<u8>(),
            2 => prop::sample::select(b"\r\n\r\n:  data event id retry 0123456789 \xEF\xBB\xBF\xC3\xA9\xF0\x9F\x98\x80\x00".to_vec()),
        ];
        prop::collection::vec(byte, 0..300)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn matches_reference_algorithm(stream in sse_stream()) {
            prop_assert_eq!(decode(stream.as_bytes()), reference(&stream));
        }

        #[test]
        fn any_split_of_valid_stream_gives_same_events(
            stream in sse_stream(),
            points in prop::collection::vec(0usize..400, 0..12),
        ) {
            let bytes = stream.as_bytes();
            let whole = decode(bytes);
            let pieces = split_at_points(bytes, &points);
            prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &pieces), whole.clone());
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &singles), whole);
        }

        #[test]
        fn any_split_with_small_limit_gives_same_results(
            stream in sse_stream(),
            limit in 0usize..24,
            points in prop::collection::vec(0usize..400, 0..12),
        ) {
            let bytes = stream.as_bytes();
            let whole = decode_pieces(limit, &[bytes]);
            prop_assert_eq!(decode_pieces(limit, &split_at_points(bytes, &points)), whole);
        }

        #[test]
        fn random_bytes_never_panic_and_are_split_invariant(
            bytes in noisy_bytes(),
            limit in prop_oneof![Just(SseDecoder::DEFAULT_LIMIT), 0usize..40],
            points in prop::collection::vec(0usize..300, 0..16),
        ) {
            let whole = decode_pieces(limit, &[&bytes]);
            prop_assert_eq!(decode_pieces(limit, &split_at_points(&bytes, &points)), whole.clone());
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(decode_pieces(limit, &singles), whole);
        }
    }

    #[test]
    fn a_line_that_never_ends_is_reported_once_it_passes_the_limit() {
        let mut d = SseDecoder::with_limit(64);
        d.feed(b"data: ok\n\ndata: ");
        assert_eq!(d.next_event().unwrap().unwrap().data, "ok");
        assert!(d.next_event().is_none());
        d.feed(&[b'x'; 100]);
        assert!(matches!(
            d.next_event(),
            Some(Err(SseError::LineTooLong { limit: 64 }))
        ));
        // Reported once; the rest of that event is skipped, and the stream
        // goes on after it.
        d.feed(&[b'x'; 1000]);
        assert!(d.next_event().is_none());
        d.feed(b"\n\ndata: next\n\n");
        assert_eq!(d.next_event().unwrap().unwrap().data, "next");
        assert!(d.buffered_len() < 200);
    }
}
