//! A whole recorded body through the driver in one call: what tests of a
//! decoder against transcripts need.

use bytes::Bytes;
use yat_core::{ChatEvent, YatError};

use super::{DecodeDriver, Ending, StreamDecoder};
use crate::framing::Framing;

/// Decodes a whole event-stream body, given as the pieces the network would
/// deliver, and returns every event in order, ending with the error if there
/// was one: what a caller of the live stream would see. Each piece goes
/// through [`DecodeDriver::feed_bytes`], as in the transport. Errors name
/// the provider `sse` (use a [`DecodeDriver`] or [`decode_pieces`] to name
/// it, or to decode NDJSON).
///
/// For tests of a decoder against transcripts:
///
/// ```
/// # use std::collections::VecDeque;
/// # use yat_core::{ChatEvent, Finish, FinishReason, YatError};
/// # use yat_http::{SseEvent, Step, StreamDecoder};
/// # struct Echo;
/// # impl StreamDecoder for Echo {
/// #     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
/// #         out.push_back(ChatEvent::Delta { text: ev.data.to_owned() });
/// #         Ok(Step::Continue)
/// #     }
/// #     fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
/// #         out.push_back(ChatEvent::Finish(Finish::reason(FinishReason::Stop)));
/// #         Ok(())
/// #     }
/// # }
/// use yat_http::decode_all;
///
/// let body = b"data: a\n\ndata: b\n\n";
/// let whole = decode_all(Echo, &[body]);
/// let bytewise: Vec<&[u8]> = body.chunks(1).collect();
/// assert_eq!(whole.len(), 3, "two deltas and the finish");
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

/// A whole body decoded as the transport decodes it: the events, how the
/// decode ended, and the error if it failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Decoded {
    /// Every event handed out, in order.
    pub events: Vec<ChatEvent>,
    /// How the decode ended.
    pub ending: Ending,
    /// The error that ended it, when [`ending`](Self::ending) is
    /// [`Ending::Failed`].
    pub error: Option<YatError>,
}

/// Runs `decoder` over `pieces` of a `framing` body of `provider`'s (fed
/// one by one, then the end of the body) and returns what came out.
///
/// Meant for tests: it also checks the driver's promises on the way and
/// panics if one is broken — an item after the error, or an ending that
/// disagrees with the error.
///
/// ```
/// # use std::collections::VecDeque;
/// # use yat_core::{ChatEvent, Finish, FinishReason, YatError};
/// # use yat_http::{SseEvent, Step, StreamDecoder};
/// # struct Lines;
/// # impl StreamDecoder for Lines {
/// #     fn decode(&mut self, ev: &SseEvent<'_>, out: &mut VecDeque<ChatEvent>) -> Result<Step, YatError> {
/// #         if ev.data == r#"{"done":true}"# {
/// #             out.push_back(ChatEvent::Finish(Finish::reason(FinishReason::Stop)));
/// #             return Ok(Step::Done);
/// #         }
/// #         out.push_back(ChatEvent::Delta { text: ev.data.to_owned() });
/// #         Ok(Step::Continue)
/// #     }
/// #     fn end_of_body(&mut self, _: &mut VecDeque<ChatEvent>) -> Result<(), YatError> { Ok(()) }
/// # }
/// use yat_http::{decode_pieces, Ending, Framing};
///
/// let done = decode_pieces("lines", Framing::Ndjson, Lines, &[b"\"a\"\n{\"do", b"ne\":true}"]);
/// assert_eq!((done.events.len(), done.ending), (2, Ending::Marker));
/// // Cut before the last line: the reply never finished.
/// let cut = decode_pieces("lines", Framing::Ndjson, Lines, &[b"\"a\"\n"]);
/// assert_eq!(cut.ending, Ending::Failed);
/// assert_eq!(cut.error.unwrap().kind(), "network");
/// ```
pub fn decode_pieces(
    provider: &str,
    framing: Framing,
    decoder: impl StreamDecoder,
    pieces: &[&[u8]],
) -> Decoded {
    let mut driver = DecodeDriver::with_framing(provider, framing, Box::new(decoder));
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
