//! Shared pieces of the fuzz targets: reading the control header of an
//! input, driving the SSE decoder the way the transport does, and the
//! invariants every provider stream decoder must keep.
//!
//! Input layouts are plain bytes rather than `arbitrary` encodings so that a
//! seed is a recorded wire transcript with a few control bytes in front
//! (see `seeds/make_seeds.py`), and a crash input can be read by eye.

use std::collections::VecDeque;

use yat_core::{ChatEvent, YatError};
use yat_providers::http::{SseDecoder, SseError, SseEvent, Step, StreamDecoder};

/// A cursor over the control bytes at the front of an input. Reading past
/// the end yields zeros, so every input is valid.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// One byte, or 0 at the end.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }

    /// `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Reads a cut count (0..=31) and that many little-endian `u16` cut points.
pub fn read_cuts(r: &mut Reader<'_>) -> Vec<u16> {
    let n = r.u8() % 32;
    (0..n).map(|_| r.u16()).collect()
}

/// `bytes` cut at `cuts` (each taken modulo `len + 1`; order and repeats do
/// not matter). Empty pieces are kept: a zero-length read must be harmless.
pub fn split<'a>(bytes: &'a [u8], cuts: &[u16]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|&c| usize::from(c) % (bytes.len() + 1))
        .collect();
    at.sort_unstable();
    let mut pieces = Vec::with_capacity(at.len() + 1);
    let mut start = 0;
    for c in at {
        pieces.push(&bytes[start..c]);
        start = c;
    }
    pieces.push(&bytes[start..]);
    pieces
}

/// An SSE event copied out of the decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEvent {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
    pub retry: Option<u64>,
}

impl From<SseEvent<'_>> for OwnedEvent {
    fn from(e: SseEvent<'_>) -> Self {
        OwnedEvent {
            event: e.event.to_owned(),
            data: e.data.to_owned(),
            id: e.id.map(str::to_owned),
            retry: e.retry,
        }
    }
}

/// Everything a whole decode produced, for comparisons.
#[derive(Debug, PartialEq, Eq)]
pub struct SseRun {
    pub items: Vec<Result<OwnedEvent, SseError>>,
    pub last_event_id: Option<String>,
    pub last_retry: Option<u64>,
}

/// Panics if a pull loop has produced more items than the input can hold:
/// every item needs at least one input byte, so more means no progress.
fn guard(items: usize, input_len: usize) {
    assert!(
        items <= 2 * input_len + 8,
        "decoder makes no progress: {items} items from {input_len} bytes"
    );
}

/// Decodes `pieces` with a decoder of `limit`. With `drain`, events are
/// pulled after every piece (as the transport does) and the memory bound is
/// checked; without it, everything is fed first and pulled at the end.
pub fn sse_decode(limit: usize, pieces: &[&[u8]], drain: bool) -> SseRun {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let max_piece = pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut dec = SseDecoder::with_limit(limit);
    let mut items = Vec::new();
    for piece in pieces {
        dec.feed(piece);
        if drain {
            while let Some(r) = dec.next_event() {
                items.push(r.map(OwnedEvent::from));
                guard(items.len(), total);
            }
            // The decoder's promise: about the limit plus one piece, however
            // long a line is and however much has been fed. (A data field
            // being joined can hold up to the limit again.)
            let bound = 3 * (limit.saturating_add(1)) + 2 * max_piece;
            assert!(
                dec.buffered_len() <= bound,
                "holds {} bytes, bound {bound} (limit {limit}, largest piece {max_piece})",
                dec.buffered_len()
            );
        }
    }
    // Whatever is complete comes out of `next_event`...
    while let Some(r) = dec.next_event() {
        items.push(r.map(OwnedEvent::from));
        guard(items.len(), total);
    }
    // ...so `finish` has at most the final unterminated event (or its
    // error) left. The transport calls `finish` once and relies on this.
    let mut at_end = 0;
    while let Some(r) = dec.finish() {
        items.push(r.map(OwnedEvent::from));
        at_end += 1;
        guard(items.len(), total);
    }
    assert!(
        at_end <= 1,
        "finish returned {at_end} items after a full drain"
    );
    assert_eq!(dec.buffered_len(), 0, "finish must leave the decoder empty");
    SseRun {
        items,
        last_event_id: dec.last_event_id().map(str::to_owned),
        last_retry: dec.last_retry(),
    }
}

/// How a stream ended, as the caller of the transport sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The API's end marker.
    Done,
    /// The body ended and the decoder accepted that.
    Eof,
    /// An error (its `Debug`, so two runs can be compared exactly).
    Failed(String),
}

fn failed(e: &YatError) -> Outcome {
    // Every error must format without panicking.
    let _ = e.to_string();
    let _ = e.kind();
    Outcome::Failed(format!("{e:?}"))
}

/// What the transport makes of an SSE-level error.
fn sse_failed(e: SseError) -> Outcome {
    Outcome::Failed(format!("broken event stream: {e}"))
}

/// Runs the SSE decoder and a provider decoder over `pieces` exactly as the
/// transport's `LiveStream::fill` does: pull every buffered event after each
/// piece, stop at `Done` or the first error, call `finish` once at the end
/// of the body, then `end_of_body`.
pub fn pipeline<D: StreamDecoder>(mut dec: D, pieces: &[&[u8]]) -> (Vec<ChatEvent>, Outcome) {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut sse = SseDecoder::new();
    let mut out = VecDeque::new();
    let mut n = 0;
    for piece in pieces {
        sse.feed(piece);
        while let Some(ev) = sse.next_event() {
            n += 1;
            guard(n, total);
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => return (out.into(), sse_failed(e)),
            };
            match dec.decode(&ev, &mut out) {
                Ok(Step::Continue) => {}
                Ok(Step::Done) => return (out.into(), Outcome::Done),
                Err(e) => return (out.into(), failed(&e)),
            }
        }
    }
    if let Some(last) = sse.finish() {
        let ev = match last {
            Ok(ev) => ev,
            Err(e) => return (out.into(), sse_failed(e)),
        };
        match dec.decode(&ev, &mut out) {
            Ok(Step::Continue) => {}
            Ok(Step::Done) => return (out.into(), Outcome::Done),
            Err(e) => return (out.into(), failed(&e)),
        }
    }
    match dec.end_of_body(&mut out) {
        Ok(()) => (out.into(), Outcome::Eof),
        Err(e) => (out.into(), failed(&e)),
    }
}

/// The contract of a chat stream (`yat_core::ChatEvent`): "any number of
/// `Delta`s, at most one `Usage`, and exactly one `Finish`, last". A reply
/// that ended well ends with its one finish; a reply that failed carries no
/// finish at all, since the caller would see the finish followed by an
/// error: partial or spoiled output must never look complete.
pub fn check_events(events: &[ChatEvent], outcome: &Outcome) {
    let finishes = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::Finish(_)))
        .count();
    let usages = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::Usage(_)))
        .count();
    match outcome {
        Outcome::Done | Outcome::Eof => {
            assert_eq!(finishes, 1, "a complete reply has one finish: {events:?}");
            assert!(
                matches!(events.last(), Some(ChatEvent::Finish(_))),
                "the finish is last: {events:?}"
            );
        }
        Outcome::Failed(_) => {
            assert_eq!(
                finishes, 0,
                "a failed reply has no finish: {events:?} {outcome:?}"
            );
        }
    }
    assert!(usages <= 1, "at most one usage: {events:?}");
}

/// Parses the framed-events layout: events separated by 0x1E; in each, the
/// event name is before the first 0x1F and the data after it (no 0x1F: no
/// name). Invalid UTF-8 is replaced, as the SSE decoder only ever hands out
/// valid text.
pub fn framed_events(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == 0x1E)
        .map(|ev| match ev.iter().position(|&b| b == 0x1F) {
            Some(i) => (
                String::from_utf8_lossy(&ev[..i]).into_owned(),
                String::from_utf8_lossy(&ev[i + 1..]).into_owned(),
            ),
            None => (String::new(), String::from_utf8_lossy(ev).into_owned()),
        })
        .collect()
}

/// One stream-decoder fuzz input. Byte 0 picks the layout:
///
/// - even: framed events (see [`framed_events`]), each handed to the decoder
///   as an `SseEvent`, with the event id and retry also taken from byte 0.
///   The transport's view (stop at `Done` or the first error) is checked
///   against the contract; then the remaining events and `end_of_body` are
///   still fed, since a decoder must not panic whatever it is called with.
/// - odd: cut points (see [`read_cuts`]) and a raw SSE body, decoded by the
///   SSE decoder and the provider decoder together: in one piece, at the cut
///   points and byte by byte, which must all give the same chat events and
///   the same ending.
pub fn fuzz_stream<D: StreamDecoder>(data: &[u8], make: impl Fn() -> D) {
    let mut r = Reader::new(data);
    let mode = r.u8();
    if mode & 1 == 0 {
        let events = framed_events(r.rest());
        let id = (mode & 2 != 0).then_some("evt-1");
        let retry = (mode & 4 != 0).then_some(3000);
        // What the transport's caller sees: up to `Done` or the first
        // error, then `end_of_body`.
        let (events_seen, outcome) = transport_view(&events, id, retry, &make);
        check_events(&events_seen, &outcome);
        // The transport stops there, but a decoder must not panic whatever
        // it is called with: every event, then `end_of_body` twice.
        let mut dec = make();
        let mut out = VecDeque::new();
        for (name, body) in &events {
            let ev = SseEvent {
                event: name,
                data: body,
                id,
                retry,
            };
            if let Err(e) = dec.decode(&ev, &mut out) {
                let _ = e.to_string();
            }
        }
        let _ = dec.end_of_body(&mut out);
        let _ = dec.end_of_body(&mut out);
    } else {
        let cuts = read_cuts(&mut r);
        let body = r.rest();
        let whole = pipeline(make(), &[body]);
        check_events(&whole.0, &whole.1);
        let pieces = split(body, &cuts);
        assert_eq!(pipeline(make(), &pieces), whole, "cut at {cuts:?}");
        if body.len() <= 4096 {
            let bytes: Vec<&[u8]> = body.chunks(1).collect();
            assert_eq!(pipeline(make(), &bytes), whole, "byte by byte");
        }
    }
}

/// Framed events decoded as the transport would: up to `Done` or the first
/// error, then `end_of_body`.
fn transport_view<D: StreamDecoder>(
    events: &[(String, String)],
    id: Option<&str>,
    retry: Option<u64>,
    make: &impl Fn() -> D,
) -> (Vec<ChatEvent>, Outcome) {
    let mut dec = make();
    let mut out = VecDeque::new();
    for (name, body) in events {
        let ev = SseEvent {
            event: name,
            data: body,
            id,
            retry,
        };
        match dec.decode(&ev, &mut out) {
            Ok(Step::Continue) => {}
            Ok(Step::Done) => return (out.into(), Outcome::Done),
            Err(e) => return (out.into(), failed(&e)),
        }
    }
    match dec.end_of_body(&mut out) {
        Ok(()) => (out.into(), Outcome::Eof),
        Err(e) => (out.into(), failed(&e)),
    }
}
