//! Decoding a streamed reply, without the network: the bytes of an
//! event-stream body in, chat events out.
//!
//! A provider supplies a [`StreamDecoder`] (SSE events to chat events); the
//! [`DecodeDriver`] runs it behind the [`SseDecoder`], with the rules every
//! stream follows: stop at the API's end marker, call
//! [`end_of_body`](StreamDecoder::end_of_body) when the body ends without
//! one, and hand out nothing after an error. The transport's live stream is
//! a driver plus a socket and an idle timer, so tests, fuzz targets and
//! benches that feed bytes to a driver run exactly the loop a real reply
//! goes through; [`decode_all`] is that loop over a transcript in one call.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use yat_core::{ChatEvent, YatError};

use super::sse::{SseDecoder, SseError, SseEvent};

/// Turns SSE events into chat events: the provider-specific half of streaming.
pub trait StreamDecoder: Send + 'static {
    /// Handles one SSE event, pushing zero or more chat events. Returns
    /// [`Step::Done`] at the API's end marker.
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError>;

    /// Called when the body ends before [`Step::Done`]. Most APIs have an end
    /// marker, so this is usually a truncation error; Gemini's stream simply
    /// ends, and its decoder emits the finish here.
    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError>;
}

/// What the decoder saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep reading.
    Continue,
    /// The API's end marker: stop reading.
    Done,
}

/// The most the SSE decoder is handed at once from [`DecodeDriver::feed_bytes`]:
/// its buffer stays this small however much one network read returns
/// (HTTP/1 reads grow to hundreds of KiB on a fast stream), and the bytes
/// are decoded while still in cache.
pub const FEED_PIECE: usize = 16 * 1024;

/// How a decode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The decoder saw the API's end marker ([`Step::Done`]); any input
    /// after it is ignored.
    Marker,
    /// The body ended and [`StreamDecoder::end_of_body`] accepted that.
    EndOfBody,
    /// An error ended it: one handed out by
    /// [`next_event`](DecodeDriver::next_event), or the input failed
    /// ([`fail`](DecodeDriver::fail)).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// [`DecodeDriver::end`] was called: what is buffered is still decoded.
    BodyEnded,
    Over(Ending),
}

/// What one [`DecodeDriver::pump`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pump {
    /// Events were queued, or the decode ended.
    Progress,
    /// Everything fed has been decoded: feed more, or end the body.
    NeedInput,
    /// The decode had ended already.
    Over,
}

/// Runs a [`StreamDecoder`] behind an [`SseDecoder`]: the one loop between
/// the bytes of a streamed reply and its chat events.
///
/// Feed it the body as it arrives ([`feed`](Self::feed) or
/// [`feed_bytes`](Self::feed_bytes)), pull events with
/// [`next_event`](Self::next_event) until it returns `None`, and call
/// [`end`](Self::end) when the body ends. Events are decoded lazily, one SSE
/// event at a time, as they are pulled. The rules:
///
/// - at [`Step::Done`] the decode stops: later input is ignored, and
///   `end_of_body` is not called;
/// - when the body ends first, the last event is dispatched even without its
///   blank line, then [`StreamDecoder::end_of_body`] runs;
/// - an error (of the SSE framing or of the decoder) is the last item: the
///   events the failing call had queued come first (the well-formed tool
///   calls beside a malformed one), and nothing follows. No decoder queues a
///   finish before an error, so a failed stream never looks complete.
///
/// `None` from `next_event` means "feed more" while [`ending`](Self::ending)
/// is `None`, and "over" after.
///
/// ```
/// use std::collections::VecDeque;
/// use yat_core::{ChatEvent, YatError};
/// use yat_providers::http::{DecodeDriver, SseEvent, Step, StreamDecoder};
///
/// /// A toy API: every event's data is text, `[DONE]` ends the reply.
/// struct Echo;
/// impl StreamDecoder for Echo {
///     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
///         if ev.data == "[DONE]" {
///             return Ok(Step::Done);
///         }
///         out.push_back(ChatEvent::Delta { text: ev.data.to_owned() });
///         Ok(Step::Continue)
///     }
///     fn end_of_body(&mut self, _: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
///         Err(YatError::malformed("echo", "the reply was cut short", b""))
///     }
/// }
///
/// let mut driver = DecodeDriver::new("echo", Box::new(Echo));
/// let mut text = String::new();
/// for read in [&b"data: Hel"[..], b"lo\n\ndata: !\n", b"\ndata: [DONE]\n\n"] {
///     driver.feed(read);
///     while let Some(ev) = driver.next_event() {
///         if let ChatEvent::Delta { text: t } = ev? {
///             text.push_str(&t);
///         }
///     }
/// }
/// assert_eq!(text, "Hello!");
/// assert!(driver.ending().is_some());
/// # Ok::<(), YatError>(())
/// ```
pub struct DecodeDriver {
    /// Named in the errors of the SSE framing.
    provider: Arc<str>,
    sse: SseDecoder,
    decoder: Box<dyn StreamDecoder>,
    out: VecDeque<ChatEvent>,
    /// Input from `feed_bytes` not handed to the SSE decoder yet; it is
    /// handed over [`FEED_PIECE`] bytes at a time, when everything before
    /// it has been decoded.
    unfed: Bytes,
    state: State,
    /// The error that ended the decode, held until the events the same
    /// decode step queued before it (the well-formed tool calls beside a
    /// malformed one) have been pulled.
    error: Option<YatError>,
}

impl std::fmt::Debug for DecodeDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeDriver")
            .field("provider", &self.provider)
            .field("queued", &self.out.len())
            .field("unfed", &self.unfed.len())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

fn malformed_sse(provider: &str, e: SseError) -> YatError {
    YatError::MalformedResponse {
        provider: provider.to_owned(),
        message: format!("broken event stream: {e}"),
        excerpt: String::new(),
    }
}

impl DecodeDriver {
    /// A driver running `decoder` for `provider`'s stream (named in the
    /// errors of the SSE framing, which the decoder never sees).
    pub fn new(provider: impl Into<Arc<str>>, decoder: Box<dyn StreamDecoder>) -> Self {
        DecodeDriver {
            provider: provider.into(),
            sse: SseDecoder::new(),
            decoder,
            out: VecDeque::with_capacity(8),
            unfed: Bytes::new(),
            state: State::Reading,
            error: None,
        }
    }

    /// Appends the next piece of the body, cut anywhere. It is copied into
    /// the SSE decoder's buffer at once, so a large piece makes that buffer
    /// as large; [`feed_bytes`](Self::feed_bytes) avoids that. Ignored once
    /// the body has ended or the decode is over.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.state != State::Reading {
            return;
        }
        if !self.unfed.is_empty() {
            // What `feed_bytes` holds came first.
            let held = std::mem::take(&mut self.unfed);
            self.sse.feed(&held);
        }
        self.sse.feed(chunk);
    }

    /// Appends the next piece of the body without copying it: it is held
    /// and handed to the SSE decoder [`FEED_PIECE`] bytes at a time as
    /// events are pulled, so the decoder's buffer stays small however large
    /// the piece. What the network half of a transport uses. Ignored once
    /// the body has ended or the decode is over.
    #[inline]
    pub fn feed_bytes(&mut self, chunk: Bytes) {
        if self.state != State::Reading || chunk.is_empty() {
            return;
        }
        if !self.unfed.is_empty() {
            // Fed again before pulling everything: keep the order.
            let held = std::mem::replace(&mut self.unfed, chunk);
            self.sse.feed(&held);
        } else {
            self.unfed = chunk;
        }
    }

    /// The body ended: what is buffered is still decoded, then the last
    /// event without its blank line, then
    /// [`end_of_body`](StreamDecoder::end_of_body) unless the decode
    /// stopped at the end marker first.
    pub fn end(&mut self) {
        if self.state == State::Reading {
            self.state = State::BodyEnded;
        }
    }

    /// The input failed (a lost connection, a timeout): the decode is over,
    /// and events decoded but not pulled yet are dropped.
    pub fn fail(&mut self) {
        self.state = State::Over(Ending::Failed);
        self.out.clear();
        self.error = None;
    }

    /// How the decode ended, once it has. Events may still be queued after
    /// the end marker: pull until `None`.
    pub fn ending(&self) -> Option<Ending> {
        match self.state {
            State::Over(ending) => Some(ending),
            State::Reading | State::BodyEnded => None,
        }
    }

    /// The next chat event or the error that ends the stream, decoding what
    /// has been fed as needed. `None`: everything fed is decoded (feed more,
    /// or [`end`](Self::end)), or the decode is over
    /// ([`ending`](Self::ending) says which).
    #[inline]
    pub fn next_event(&mut self) -> Option<Result<ChatEvent, YatError>> {
        loop {
            if let Some(ev) = self.out.pop_front() {
                return Some(Ok(ev));
            }
            match self.pump() {
                Ok(Pump::Progress) => {}
                Ok(Pump::NeedInput | Pump::Over) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The events decoded and not pulled yet.
    pub(crate) fn queued(&self) -> &VecDeque<ChatEvent> {
        &self.out
    }

    /// Decodes until the decoder queues something, the decode ends, or more
    /// input is needed, leaving the events queued. An error ends the decode;
    /// what the failing step queued before it is handed out first, then the
    /// error (or, pumped again before they are pulled, the error at once and
    /// the queue dropped: a retry starts over).
    #[inline]
    pub(crate) fn pump(&mut self) -> Result<Pump, YatError> {
        if let Some(e) = self.error.take() {
            self.out.clear();
            return Err(e);
        }
        // Nearly every event is already buffered, mid-body: decoding it here
        // rather than through `fill` saves about 45 instructions per event
        // (callgrind, OpenAI chunks), a third of the loop's own cost.
        if self.state == State::Reading {
            while let Some(item) = self.sse.next_event() {
                match decode(&mut *self.decoder, &self.provider, item, &mut self.out) {
                    Ok(Step::Continue) if self.out.is_empty() => {}
                    Ok(Step::Continue) => return Ok(Pump::Progress),
                    Ok(Step::Done) => {
                        self.state = State::Over(Ending::Marker);
                        return Ok(Pump::Progress);
                    }
                    Err(e) => return self.failed(e),
                }
            }
        }
        self.fill().or_else(|e| self.failed(e))
    }

    /// Ends the decode with `e`: at once when nothing is queued, else after
    /// the queued events.
    #[cold]
    fn failed(&mut self, e: YatError) -> Result<Pump, YatError> {
        self.state = State::Over(Ending::Failed);
        if self.out.is_empty() {
            Err(e)
        } else {
            self.error = Some(e);
            Ok(Pump::Progress)
        }
    }

    fn fill(&mut self) -> Result<Pump, YatError> {
        loop {
            let at_end = match self.state {
                State::Over(_) => return Ok(Pump::Over),
                State::Reading => false,
                State::BodyEnded => self.unfed.is_empty(),
            };
            // At the end `finish` hands out what `next_event` would, then
            // the last event even without its blank line.
            let item = if at_end {
                self.sse.finish()
            } else {
                self.sse.next_event()
            };
            match item {
                Some(item) => {
                    if decode(&mut *self.decoder, &self.provider, item, &mut self.out)?
                        == Step::Done
                    {
                        self.state = State::Over(Ending::Marker);
                        return Ok(Pump::Progress);
                    }
                    if !self.out.is_empty() {
                        return Ok(Pump::Progress);
                    }
                }
                None if !self.unfed.is_empty() => {
                    let piece = self.unfed.split_to(self.unfed.len().min(FEED_PIECE));
                    self.sse.feed(&piece);
                }
                None if at_end => {
                    self.state = State::Over(Ending::EndOfBody);
                    self.decoder.end_of_body(&mut self.out)?;
                    return Ok(Pump::Progress);
                }
                None => return Ok(Pump::NeedInput),
            }
        }
    }
}

/// One item of the SSE decoder through `decoder`.
#[inline]
fn decode(
    decoder: &mut dyn StreamDecoder,
    provider: &str,
    item: Result<SseEvent<'_>, SseError>,
    out: &mut VecDeque<ChatEvent>,
) -> Result<Step, YatError> {
    match item {
        Ok(ev) => decoder.decode(&ev, out),
        Err(e) => Err(malformed_sse(provider, e)),
    }
}

/// Decodes a whole body, given as the pieces the network would deliver, and
/// returns every event in order, ending with the error if there was one:
/// what a caller of the live stream would see. Each piece goes through
/// [`DecodeDriver::feed_bytes`], as in the transport. Errors of the SSE
/// framing name the provider `sse` (use a [`DecodeDriver`] to name it).
///
/// For tests of a decoder against transcripts:
///
/// ```
/// # use std::collections::VecDeque;
/// # use yat_core::{ChatEvent, YatError};
/// # use yat_providers::http::{SseEvent, Step, StreamDecoder};
/// # struct Echo;
/// # impl StreamDecoder for Echo {
/// #     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
/// #         out.push_back(ChatEvent::Delta { text: ev.data.to_owned() });
/// #         Ok(Step::Continue)
/// #     }
/// #     fn end_of_body(&mut self, _: &mut VecDeque<ChatEvent>) -> Result<(), YatError> { Ok(()) }
/// # }
/// use yat_providers::http::decode_all;
///
/// let body = b"data: a\n\ndata: b\n\n";
/// let whole = decode_all(Echo, &[body]);
/// let bytewise: Vec<&[u8]> = body.chunks(1).collect();
/// assert_eq!(whole.len(), 2);
/// assert_eq!(format!("{whole:?}"), format!("{:?}", decode_all(Echo, &bytewise)));
/// ```
pub fn decode_all(
    decoder: impl StreamDecoder,
    chunks: &[&[u8]],
) -> Vec<Result<ChatEvent, YatError>> {
    let mut driver = DecodeDriver::new("sse", Box::new(decoder));
    let mut all = Vec::new();
    for chunk in chunks {
        driver.feed_bytes(Bytes::copy_from_slice(chunk));
        all.extend(std::iter::from_fn(|| driver.next_event()));
    }
    driver.end();
    all.extend(std::iter::from_fn(|| driver.next_event()));
    all
}

/// A whole body decoded as the transport decodes it, for decoder unit
/// tests: the events, how the decode ended, and the error if it failed.
#[cfg(test)]
pub(crate) struct Decoded {
    pub events: Vec<ChatEvent>,
    pub ending: Ending,
    pub error: Option<YatError>,
}

/// Runs `decoder` over `pieces` (fed one by one, then the end of the body)
/// and checks the driver's promises on the way: nothing after an error, and
/// an ending that agrees with the error.
#[cfg(test)]
pub(crate) fn decode_pieces(
    provider: &str,
    decoder: impl StreamDecoder,
    pieces: &[&[u8]],
) -> Decoded {
    let mut driver = DecodeDriver::new(provider, Box::new(decoder));
    let mut events = Vec::new();
    let mut error: Option<YatError> = None;
    let mut pull = |driver: &mut DecodeDriver| {
        while let Some(item) = driver.next_event() {
            assert!(error.is_none(), "{item:?} after the error {error:?}");
            match item {
                Ok(ev) => events.push(ev),
                Err(e) => error = Some(e),
            }
        }
    };
    for piece in pieces {
        driver.feed(piece);
        pull(&mut driver);
    }
    driver.end();
    pull(&mut driver);
    let ending = driver
        .ending()
        .expect("a decode is over once its body ended");
    assert_eq!(
        ending == Ending::Failed,
        error.is_some(),
        "ended as {ending:?} with {error:?}"
    );
    Decoded {
        events,
        ending,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy API: `data: <text>` is a delta, `data: [DONE]` the end
    /// marker, `data: bad` an error after queueing a delta; `two` queues
    /// two deltas. The end of the body is accepted (with a delta `eof`)
    /// when `cut_ok`.
    struct Toy {
        cut_ok: bool,
    }

    impl StreamDecoder for Toy {
        fn decode(
            &mut self,
            ev: &SseEvent<'_>,
            out: &mut VecDeque<ChatEvent>,
        ) -> Result<Step, YatError> {
            match ev.data {
                "[DONE]" => return Ok(Step::Done),
                "bad" => {
                    out.push_back(delta("spoiled"));
                    return Err(YatError::malformed("toy", "bad event", b"bad"));
                }
                "two" => {
                    out.push_back(delta("t1"));
                    out.push_back(delta("t2"));
                }
                "" => {}
                text => out.push_back(delta(text)),
            }
            Ok(Step::Continue)
        }

        fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
            if self.cut_ok {
                out.push_back(delta("eof"));
                Ok(())
            } else {
                out.push_back(delta("spoiled"));
                Err(YatError::malformed("toy", "cut short", b""))
            }
        }
    }

    fn delta(text: &str) -> ChatEvent {
        ChatEvent::Delta { text: text.into() }
    }

    /// The items of `decode_all`, shown: deltas as their text, errors as
    /// their kind.
    fn shown(items: &[Result<ChatEvent, YatError>]) -> Vec<String> {
        items
            .iter()
            .map(|r| match r {
                Ok(ChatEvent::Delta { text }) => text.clone(),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("error {}", e.kind()),
            })
            .collect()
    }

    fn all(cut_ok: bool, chunks: &[&[u8]]) -> Vec<String> {
        shown(&decode_all(Toy { cut_ok }, chunks))
    }

    #[test]
    fn events_do_not_depend_on_how_the_body_is_cut() {
        let body = b"data: a\r\n\r\ndata: two\n\n: comment\n\ndata: b\rdata: c\r\r".as_slice();
        let whole = all(false, &[body]);
        assert_eq!(
            whole,
            [
                "a",
                "t1",
                "t2",
                "b\nc",
                "spoiled",
                "error malformed_response"
            ]
        );
        let bytewise: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(all(false, &bytewise), whole);
        for at in 0..=body.len() {
            assert_eq!(
                all(false, &[&body[..at], &body[at..]]),
                whole,
                "cut at {at}"
            );
        }
    }

    #[test]
    fn the_end_marker_stops_the_decode_and_skips_end_of_body() {
        let body = b"data: a\n\ndata: [DONE]\n\ndata: after\n\n".as_slice();
        assert_eq!(all(false, &[body]), ["a"]);
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: false }));
        d.feed(b"data: a\n\ndata: [DONE]\n\n");
        assert_eq!(shown(&[d.next_event().unwrap()]), ["a"]);
        assert!(d.next_event().is_none());
        assert_eq!(d.ending(), Some(Ending::Marker));
        d.feed(b"data: later\n\n");
        d.end();
        assert!(d.next_event().is_none(), "nothing after the end marker");
    }

    #[test]
    fn an_error_is_the_last_item_after_what_its_call_queued() {
        // What the failing call queued first is handed out (the good tool
        // calls beside a malformed one), then the error, then nothing.
        let body = b"data: a\n\ndata: bad\n\ndata: b\n\n".as_slice();
        assert_eq!(
            all(true, &[body]),
            ["a", "spoiled", "error malformed_response"]
        );
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed(body);
        assert!(d.next_event().unwrap().is_ok());
        assert!(d.next_event().unwrap().is_ok());
        assert!(d.next_event().unwrap().is_err());
        assert_eq!(d.ending(), Some(Ending::Failed));
        d.feed(b"data: c\n\n");
        assert!(d.next_event().is_none(), "nothing after an error");
    }

    #[test]
    fn a_body_that_ends_runs_end_of_body_after_the_last_unterminated_event() {
        assert_eq!(all(true, &[b"data: a\n\ndata: b"]), ["a", "b", "eof"]);
        assert_eq!(
            all(false, &[b"data: a\n\ndata: b"]),
            ["a", "b", "spoiled", "error malformed_response"],
            "what end_of_body queued comes before its error"
        );
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed(b"data: a\n\n");
        assert!(d.next_event().is_some());
        assert!(d.next_event().is_none());
        assert_eq!(d.ending(), None, "None with no ending: feed more");
        d.end();
        assert_eq!(shown(&[d.next_event().unwrap()]), ["eof"]);
        assert_eq!(d.ending(), Some(Ending::EndOfBody));
        assert!(d.next_event().is_none());
    }

    #[test]
    fn a_framing_error_is_a_malformed_response_naming_the_provider() {
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed(b"data: a\xff\n\ndata: b\n\n");
        match d.next_event() {
            Some(Err(YatError::MalformedResponse {
                provider, message, ..
            })) => {
                assert_eq!(provider, "toy");
                assert!(message.contains("broken event stream"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(d.next_event().is_none());
    }

    #[test]
    fn feed_bytes_hands_the_sse_decoder_one_piece_at_a_time() {
        let event = b"data: 0123456789abcdef0123456789abcdef\n\n";
        let body: Vec<u8> = event.repeat(20 * FEED_PIECE / event.len());
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed_bytes(Bytes::from(body.clone()));
        let mut n = 0;
        while let Some(ev) = d.next_event() {
            ev.unwrap();
            n += 1;
            // One piece, and the part of an event the piece before cut.
            let held = d.sse.buffered_len();
            assert!(held <= FEED_PIECE + event.len(), "{held}");
        }
        assert_eq!(n, body.len() / event.len());
    }

    #[test]
    fn feed_and_feed_bytes_keep_the_order_of_the_input() {
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed_bytes(Bytes::from_static(b"data: a\n\nda"));
        d.feed_bytes(Bytes::from_static(b"ta: b\n\nd"));
        d.feed(b"ata: c\n\n");
        d.feed_bytes(Bytes::from_static(b"data: d\n\n"));
        d.end();
        let got: Vec<_> = std::iter::from_fn(|| d.next_event()).collect();
        assert_eq!(shown(&got), ["a", "b", "c", "d", "eof"]);
    }

    #[test]
    fn a_failed_input_ends_the_decode_and_drops_the_queue() {
        let mut d = DecodeDriver::new("toy", Box::new(Toy { cut_ok: true }));
        d.feed(b"data: two\n\n");
        assert_eq!(d.pump().unwrap(), Pump::Progress);
        assert_eq!(d.queued().len(), 2);
        d.fail();
        assert_eq!(d.ending(), Some(Ending::Failed));
        assert!(d.next_event().is_none());
    }
}
