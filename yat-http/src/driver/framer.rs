//! The framing decoder a [`DecodeDriver`](super::DecodeDriver) runs: SSE or
//! NDJSON behind one face, so the driver's loop is written once.

use yat_core::YatError;

use crate::framing::Framing;
use crate::lines::LineError;
use crate::ndjson::NdjsonDecoder;
use crate::sse::{SseDecoder, SseError, SseEvent};

/// The framing decoder of a body.
pub(super) enum Framer {
    Sse(SseDecoder),
    Ndjson(NdjsonDecoder),
}

/// Why the framing rejected part of the body.
pub(super) enum FrameError {
    Sse(SseError),
    Line(LineError),
}

impl Framer {
    pub(super) fn new(framing: Framing) -> Self {
        match framing {
            Framing::Sse => Framer::Sse(SseDecoder::new()),
            Framing::Ndjson => Framer::Ndjson(NdjsonDecoder::new()),
        }
    }

    #[inline]
    pub(super) fn feed(&mut self, chunk: &[u8]) {
        match self {
            Framer::Sse(d) => d.feed(chunk),
            Framer::Ndjson(d) => d.feed(chunk),
        }
    }

    /// The next message; at the end of the body (`at_end`) also the last
    /// one without its terminator.
    #[inline]
    pub(super) fn next(&mut self, at_end: bool) -> Option<Result<SseEvent<'_>, FrameError>> {
        match self {
            Framer::Sse(d) => {
                let item = if at_end { d.finish() } else { d.next_event() };
                item.map(|r| r.map_err(FrameError::Sse))
            }
            Framer::Ndjson(d) => {
                let item = if at_end { d.finish() } else { d.next_line() };
                item.map(|r| {
                    r.map(|line| SseEvent::new("", line))
                        .map_err(FrameError::Line)
                })
            }
        }
    }

    /// Bytes held by the framing decoder.
    #[cfg(test)]
    pub(super) fn buffered_len(&self) -> usize {
        match self {
            Framer::Sse(d) => d.buffered_len(),
            Framer::Ndjson(d) => d.buffered_len(),
        }
    }
}

impl FrameError {
    /// The error a stream of `provider` ends with.
    #[cold]
    pub(super) fn into_error(self, provider: &str) -> YatError {
        let message = match self {
            FrameError::Sse(e) => format!("broken event stream: {e}"),
            FrameError::Line(e) => format!("broken NDJSON stream: {e}"),
        };
        YatError::MalformedResponse {
            provider: provider.to_owned(),
            message,
            excerpt: String::new(),
        }
    }
}
