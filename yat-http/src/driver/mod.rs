//! Decoding a streamed reply, without the network: the bytes of an
//! event-stream or NDJSON body in, chat events out.
//!
//! A provider supplies a [`StreamDecoder`] (messages to chat events); the
//! [`DecodeDriver`] runs it behind the framing's decoder
//! ([`SseDecoder`](crate::SseDecoder) or
//! [`NdjsonDecoder`](crate::NdjsonDecoder), chosen by [`Framing`]), with the
//! rules every stream follows: stop at the API's end marker, call
//! [`end_of_body`](StreamDecoder::end_of_body) when the body ends without
//! one, end a reply that never finished with an error, and hand out nothing
//! after an error. The transport's live stream is a driver plus a socket
//! and an idle timer, so tests, fuzz targets and benches that feed bytes to
//! a driver run exactly the loop a real reply goes through; [`decode_all`]
//! is that loop over a transcript in one call.

mod framer;
mod transcript;

pub use transcript::{decode_all, decode_pieces, Decoded};

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, YatError};

use crate::framing::Framing;
use crate::sse::SseEvent;
use framer::{FrameError, Framer};

/// Turns the messages of a stream into chat events: the provider-specific
/// half of streaming.
///
/// A reply the driver ends well ends with a [`ChatEvent::Finish`]: a
/// decoder emits one at the API's end marker (or, for an API without one,
/// in [`end_of_body`](Self::end_of_body)); if none came, the driver ends
/// the stream with the error of a cut reply
/// ([`ReplyState::cut`](yat_core::assemble::ReplyState::cut)'s).
pub trait StreamDecoder: Send + 'static {
    /// Handles one message (an SSE event, or under [`Framing::Ndjson`] one
    /// line as the event's `data`), pushing zero or more chat events.
    /// Returns [`Step::Done`] at the API's end marker.
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
#[non_exhaustive]
pub enum Step {
    /// Keep reading.
    Continue,
    /// The API's end marker: stop reading.
    Done,
}

/// The most the framing decoder is handed at once from
/// [`DecodeDriver::feed_bytes`]:
/// its buffer stays this small however much one network read returns
/// (HTTP/1 reads grow to hundreds of KiB on a fast stream), and the bytes
/// are decoded while still in cache.
pub const FEED_PIECE: usize = 16 * 1024;

/// How a decode ended. The list is closed (a decode stops at the API's
/// marker, at the end of the body, or on an error), so callers may match it
/// exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The decoder saw the API's end marker ([`Step::Done`]); any input
    /// after it is ignored.
    Marker,
    /// The body ended and [`StreamDecoder::end_of_body`] accepted that.
    EndOfBody,
    /// An error ended it: one handed out by
    /// [`next_event`](DecodeDriver::next_event) (the decoder's, the
    /// framing's, or that of a reply that ended without a finish), or the
    /// input failed ([`fail`](DecodeDriver::fail)).
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

/// Runs a [`StreamDecoder`] behind the decoder of a [`Framing`]: the one
/// loop between the bytes of a streamed reply and its chat events.
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
///   blank line (the last NDJSON line without its newline), then
///   [`StreamDecoder::end_of_body`] runs;
/// - a decode that ended (at the marker or the end of the body) without a
///   [`ChatEvent::Finish`] ends with the error of a cut reply, so a stream
///   that stopped early never looks complete;
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
/// use yat_core::{ChatEvent, Finish, FinishReason, YatError};
/// use yat_http::{DecodeDriver, SseEvent, Step, StreamDecoder};
///
/// /// A toy API: every event's data is text, `[DONE]` ends the reply.
/// struct Echo;
/// impl StreamDecoder for Echo {
///     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
///         if ev.data == "[DONE]" {
///             out.push_back(ChatEvent::Finish(Finish::reason(FinishReason::Stop)));
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
///         match ev? {
///             ChatEvent::Delta { text: t } => text.push_str(&t),
///             ChatEvent::Finish(_) => text.push('.'),
///             _ => {}
///         }
///     }
/// }
/// assert_eq!(text, "Hello!.");
/// assert!(driver.ending().is_some());
/// # Ok::<(), YatError>(())
/// ```
pub struct DecodeDriver {
    /// Named in the errors of the framing and of a cut reply.
    provider: Arc<str>,
    framer: Framer,
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
    /// A [`ChatEvent::Finish`] was handed out.
    finished: bool,
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

impl DecodeDriver {
    /// A driver running `decoder` over an event-stream body of
    /// `provider`'s (named in the errors of the framing, which the decoder
    /// never sees).
    pub fn new(provider: impl Into<Arc<str>>, decoder: Box<dyn StreamDecoder>) -> Self {
        Self::with_framing(provider, Framing::Sse, decoder)
    }

    /// A driver running `decoder` over a body of `provider`'s framed as
    /// `framing`.
    pub fn with_framing(
        provider: impl Into<Arc<str>>,
        framing: Framing,
        decoder: Box<dyn StreamDecoder>,
    ) -> Self {
        DecodeDriver {
            provider: provider.into(),
            framer: Framer::new(framing),
            decoder,
            out: VecDeque::with_capacity(8),
            unfed: Bytes::new(),
            state: State::Reading,
            error: None,
            finished: false,
        }
    }

    /// Appends the next piece of the body, cut anywhere. It is copied into
    /// the framing decoder's buffer at once, so a large piece makes that buffer
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
            self.framer.feed(&held);
        }
        self.framer.feed(chunk);
    }

    /// Appends the next piece of the body without copying it: it is held
    /// and handed to the framing decoder [`FEED_PIECE`] bytes at a time as
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
            self.framer.feed(&held);
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
                self.finished |= matches!(ev, ChatEvent::Finish(_));
                return Some(Ok(ev));
            }
            match self.pump() {
                Ok(Pump::Progress) => {}
                Ok(Pump::NeedInput) => return None,
                Ok(Pump::Over) => return self.unfinished().map(Err),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The error of a decode that ended well without a finish, once; after
    /// it the decode has failed.
    #[cold]
    fn unfinished(&mut self) -> Option<YatError> {
        if self.finished || !matches!(self.state, State::Over(Ending::Marker | Ending::EndOfBody)) {
            return None;
        }
        self.state = State::Over(Ending::Failed);
        // The same error as a decoder's own `ReplyState::cut`, so a caller
        // cannot tell (and need not care) which of the two noticed.
        ReplyState::new(&*self.provider)
            .cut(&mut VecDeque::new(), "no finish")
            .err()
    }

    /// The events decoded and not pulled yet.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> &VecDeque<ChatEvent> {
        &self.out
    }

    /// Decodes until the decoder queues something, the decode ends, or more
    /// input is needed, leaving the events queued. An error ends the decode;
    /// what the failing step queued before it is handed out first, then the
    /// error (or, pumped again before they are pulled, the error at once and
    /// the queue dropped).
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
            while let Some(item) = self.framer.next(false) {
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
            // At the end the framer hands out what it would mid-body, then
            // the last message even without its terminator.
            let item = self.framer.next(at_end);
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
                    self.framer.feed(&piece);
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

/// One item of the framing decoder through `decoder`.
#[inline]
fn decode(
    decoder: &mut dyn StreamDecoder,
    provider: &str,
    item: Result<SseEvent<'_>, FrameError>,
    out: &mut VecDeque<ChatEvent>,
) -> Result<Step, YatError> {
    match item {
        Ok(ev) => decoder.decode(&ev, out),
        Err(e) => Err(e.into_error(provider)),
    }
}

#[cfg(test)]
mod tests;
