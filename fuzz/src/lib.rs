//! Shared pieces of the fuzz targets: reading the control header of an
//! input, running stream decoders through the transport's own loop
//! (`yat_http::DecodeDriver`), and the invariants every provider
//! stream decoder must keep.
//!
//! Input layouts are plain bytes rather than `arbitrary` encodings so that a
//! seed is a recorded wire transcript with a few control bytes in front
//! (see `seeds/make_seeds.py`), and a crash input can be read by eye.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use yat_core::{ChatEvent, YatError};
use yat_http::{
    DecodeDriver, Ending, LineError, NdjsonDecoder, SseDecoder, SseError, SseEvent, StreamDecoder,
};

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

/// What [`decode_checked`] needs of a line decoder.
trait Pull {
    type Item;
    fn feed(&mut self, bytes: &[u8]);
    fn next_item(&mut self) -> Option<Self::Item>;
    fn finish_item(&mut self) -> Option<Self::Item>;
    fn buffered_len(&self) -> usize;
}

/// [`Pull`] for a line decoder whose pull method is `$next`, its items
/// copied out of the decoder by `$own`.
macro_rules! pull {
    ($dec:ty, $next:ident, $item:ty, $own:expr) => {
        impl Pull for $dec {
            type Item = $item;
            fn feed(&mut self, bytes: &[u8]) {
                <$dec>::feed(self, bytes);
            }
            fn next_item(&mut self) -> Option<$item> {
                self.$next().map(|r| r.map($own))
            }
            fn finish_item(&mut self) -> Option<$item> {
                self.finish().map(|r| r.map($own))
            }
            fn buffered_len(&self) -> usize {
                <$dec>::buffered_len(self)
            }
        }
    };
}

pull!(SseDecoder, next_event, Result<OwnedEvent, SseError>, OwnedEvent::from);
pull!(NdjsonDecoder, next_line, Result<String, LineError>, str::to_owned);

/// Feeds `pieces` to `dec` and pulls every item, checking the invariants
/// both line decoders promise. With `drain`, items are pulled after every
/// piece (as the transport does) and the decoder must hold at most
/// `copies` times its `limit` plus two pieces; without it, everything is
/// fed first and pulled at the end.
fn decode_checked<D: Pull>(
    dec: &mut D,
    limit: usize,
    copies: usize,
    pieces: &[&[u8]],
    drain: bool,
) -> Vec<D::Item> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let max_piece = pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut items = Vec::new();
    for piece in pieces {
        dec.feed(piece);
        if drain {
            while let Some(r) = dec.next_item() {
                items.push(r);
                guard(items.len(), total);
            }
            // The decoder's promise: about the limit plus one piece, however
            // long a line is and however much has been fed.
            let bound = copies * (limit.saturating_add(1)) + 2 * max_piece;
            assert!(
                dec.buffered_len() <= bound,
                "holds {} bytes, bound {bound} (limit {limit}, largest piece {max_piece})",
                dec.buffered_len()
            );
        }
    }
    // Whatever is complete comes out of the pull...
    while let Some(r) = dec.next_item() {
        items.push(r);
        guard(items.len(), total);
    }
    // ...so `finish` has at most the final unterminated item (or its
    // error) left. The transport calls `finish` once and relies on this.
    let mut at_end = 0;
    while let Some(r) = dec.finish_item() {
        items.push(r);
        at_end += 1;
        guard(items.len(), total);
    }
    assert!(
        at_end <= 1,
        "finish returned {at_end} items after a full drain"
    );
    assert_eq!(dec.buffered_len(), 0, "finish must leave the decoder empty");
    items
}

/// Decodes `pieces` with an SSE decoder of `limit` (see [`decode_checked`];
/// a data field being joined can hold up to the limit again, hence three
/// copies).
pub fn sse_decode(limit: usize, pieces: &[&[u8]], drain: bool) -> SseRun {
    let mut dec = SseDecoder::with_limit(limit);
    let items = decode_checked(&mut dec, limit, 3, pieces, drain);
    SseRun {
        items,
        last_event_id: dec.last_event_id().map(str::to_owned),
        last_retry: dec.last_retry(),
    }
}

/// Decodes `pieces` as NDJSON with a decoder of `limit`, pulling after
/// every piece (as the driver does) and checking the memory bound: every
/// line (or its error) in order.
pub fn ndjson_decode(limit: usize, pieces: &[&[u8]]) -> Vec<Result<String, LineError>> {
    decode_checked(
        &mut NdjsonDecoder::with_limit(limit),
        limit,
        2,
        pieces,
        true,
    )
}

/// The header of a line-decoder input: `ctrl`, `limit byte`, cut count and
/// `u16` cut points ([`read_cuts`]), then the body. `ctrl`:
/// - bits 0-1, the line limit: `default_limit`, `limit byte % 64`,
///   `limit byte % 8`, or `256 + 16 * limit byte`;
/// - bit 2: feed every piece before pulling (for decoders that allow it);
/// - bits 3-7: the body is repeated `1 + (ctrl >> 3) * 2` times (up to 63),
///   so a line far longer than the limit arrives in many pieces.
pub struct LineInput<'a> {
    pub limit: usize,
    pub drain: bool,
    pub reps: usize,
    pub cuts: Vec<u16>,
    pub body: &'a [u8],
}

impl<'a> LineInput<'a> {
    /// Reads the header of `data`.
    pub fn read(data: &'a [u8], default_limit: usize) -> Self {
        let mut r = Reader::new(data);
        let ctrl = r.u8();
        let lim = r.u8();
        let limit = match ctrl & 3 {
            0 => default_limit,
            1 => usize::from(lim % 64),
            2 => usize::from(lim % 8),
            _ => 256 + 16 * usize::from(lim),
        };
        let cuts = read_cuts(&mut r);
        LineInput {
            limit,
            drain: ctrl & 4 == 0,
            reps: 1 + usize::from(ctrl >> 3) * 2,
            cuts,
            body: r.rest(),
        }
    }

    /// Checks that `decode(pieces, drain)` gives the same as a one-piece
    /// decode of the repeated body, whether cut at the given points (pulling
    /// after every piece or as the input says), as the body's own pieces
    /// repeated (a long stream in bounded pieces) or fed byte by byte, the
    /// hardest split.
    pub fn check_any_cut<T: PartialEq + std::fmt::Debug>(
        &self,
        decode: impl Fn(&[&[u8]], bool) -> T,
    ) {
        let stream: Vec<u8> = self.body.repeat(self.reps);
        let whole = decode(&[&stream], true);
        let cuts = &self.cuts;
        let pieces = split(&stream, cuts);
        assert_eq!(decode(&pieces, self.drain), whole, "cut at {cuts:?}");
        if self.reps > 1 {
            let mut rep_pieces = Vec::new();
            for _ in 0..self.reps {
                rep_pieces.extend(split(self.body, cuts));
            }
            assert_eq!(decode(&rep_pieces, true), whole, "repeated");
        }
        if stream.len() <= 8192 {
            let bytes: Vec<&[u8]> = stream.chunks(1).collect();
            assert_eq!(decode(&bytes, true), whole, "byte by byte");
        }
    }
}

/// The scratch directory of this process's target, `name`, made on the
/// first call: in RAM (`/dev/shm`) when there is one, since a target runs
/// thousands of times a second; one per process, so parallel fuzzing jobs
/// never share files.
pub fn scratch_dir(name: &str) -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("yat-fuzz-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
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

/// Runs a provider decoder over `pieces` through the transport's loop
/// (`DecodeDriver`, each piece one network read), pulling every event after
/// each piece: the events the caller of the stream sees, and how it ended.
pub fn pipeline<D: StreamDecoder>(dec: D, pieces: &[&[u8]]) -> (Vec<ChatEvent>, Outcome) {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut driver = DecodeDriver::new("fuzz", Box::new(dec));
    let mut events = Vec::new();
    let mut pull = |driver: &mut DecodeDriver| -> Result<(), Outcome> {
        while let Some(item) = driver.next_event() {
            events.push(item.map_err(|e| failed(&e))?);
            guard(events.len(), total);
        }
        Ok(())
    };
    for piece in pieces {
        driver.feed_bytes(piece.to_vec().into());
        if let Err(outcome) = pull(&mut driver) {
            return (events, outcome);
        }
    }
    driver.end();
    if let Err(outcome) = pull(&mut driver) {
        return (events, outcome);
    }
    let outcome = match driver.ending() {
        Some(Ending::Marker) => Outcome::Done,
        Some(Ending::EndOfBody) => Outcome::Eof,
        other => panic!("the driver neither ended nor failed: {other:?}"),
    };
    (events, outcome)
}

/// The contract of a chat stream (`yat_core::ChatEvent`): any number of
/// content events, at most one `Usage`, and exactly one `Finish`, last.
/// Tool calls are numbered 0, 1, ... in the order they start; a call's
/// deltas and its one end come after its start, and every call has ended
/// before the finish. A reply that ended well ends with its one finish; a
/// reply that failed carries no finish at all, since the caller would see
/// the finish followed by an error: partial or spoiled output must never
/// look complete.
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
    check_tool_calls(events, outcome);
}

/// The tool-call part of [`check_events`].
fn check_tool_calls(events: &[ChatEvent], outcome: &Outcome) {
    // Per call, in start order: whether it has ended.
    let mut ended: Vec<bool> = Vec::new();
    let open = |ended: &[bool], index: u32| -> bool {
        usize::try_from(index)
            .ok()
            .and_then(|i| ended.get(i))
            .is_some_and(|done| !done)
    };
    for ev in events {
        match ev {
            ChatEvent::ToolCallStart { index, .. } => {
                assert_eq!(
                    usize::try_from(*index).ok(),
                    Some(ended.len()),
                    "calls are numbered in start order: {events:?}"
                );
                ended.push(false);
            }
            ChatEvent::ToolCallDelta { index, .. } => {
                assert!(
                    open(&ended, *index),
                    "a delta of a call not open: {events:?}"
                );
            }
            ChatEvent::ToolCallEnd { index, .. } => {
                assert!(
                    open(&ended, *index),
                    "an end of a call not open: {events:?}"
                );
                ended[*index as usize] = true;
            }
            ChatEvent::Finish(_) => {
                assert!(
                    ended.iter().all(|&done| done),
                    "a call still open at the finish: {events:?}"
                );
            }
            _ => {}
        }
    }
    if matches!(outcome, Outcome::Done | Outcome::Eof) {
        assert!(
            ended.iter().all(|&done| done),
            "a complete reply left a call open: {events:?}"
        );
    }
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

/// The framed events as an SSE body, with `id` and `retry` fields on each:
/// what a server would send. Line ends inside a data field become `\n`
/// (SSE has no way to send a bare CR in data), and a name loses its line
/// ends.
pub fn framed_to_sse(events: &[(String, String)], id: Option<&str>, retry: Option<u64>) -> Vec<u8> {
    let mut body = String::new();
    for (name, data) in events {
        let name: String = name.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        if !name.is_empty() {
            body.push_str("event: ");
            body.push_str(&name);
            body.push('\n');
        }
        if let Some(id) = id {
            body.push_str("id: ");
            body.push_str(id);
            body.push('\n');
        }
        if let Some(retry) = retry {
            body.push_str(&format!("retry: {retry}\n"));
        }
        for line in data.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
            body.push_str("data: ");
            body.push_str(line);
            body.push('\n');
        }
        body.push('\n');
    }
    body.into_bytes()
}

/// One stream-decoder fuzz input. Byte 0 picks the layout:
///
/// - even: framed events (see [`framed_events`]), with the event id and
///   retry also taken from byte 0, sent as an SSE body
///   ([`framed_to_sse`]) through the transport's loop and checked against
///   the contract; then every event is handed to a fresh decoder directly,
///   past any end marker or error, and `end_of_body` twice, since a decoder
///   must not panic whatever it is called with.
/// - odd: cut points (see [`read_cuts`]) and a raw SSE body, decoded
///   through the transport's loop in one piece, at the cut points and byte
///   by byte, which must all give the same chat events and the same ending.
pub fn fuzz_stream<D: StreamDecoder>(data: &[u8], make: impl Fn() -> D) {
    let mut r = Reader::new(data);
    let mode = r.u8();
    if mode & 1 == 0 {
        let events = framed_events(r.rest());
        let id = (mode & 2 != 0).then_some("evt-1");
        let retry = (mode & 4 != 0).then_some(3000);
        let body = framed_to_sse(&events, id, retry);
        let (seen, outcome) = pipeline(make(), &[&body]);
        check_events(&seen, &outcome);
        // Deliberately not the transport's loop: past `Done` and errors.
        let mut dec = make();
        let mut out = VecDeque::new();
        for (name, body) in &events {
            let mut ev = SseEvent::new(name, body);
            if let Some(id) = id {
                ev = ev.with_id(id);
            }
            if let Some(ms) = retry {
                ev = ev.with_retry(ms);
            }
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
