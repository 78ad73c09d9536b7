//! Acme's chat stream: one JSON object per line → yat chat events.
//!
//! The kit's NDJSON framing cuts the body into lines (a UTF-8 character or
//! a CRLF split across reads, a last line without its newline, a bound on
//! line length) and its driver ends a reply that never said `done` with a
//! typed error; this decoder only reads each line's JSON. The tests run it
//! through that same driver, so they test the loop a live reply takes.

use std::collections::VecDeque;

use yat_core::assemble::ReplyState;
use yat_core::{ChatEvent, Finish, FinishReason, Usage, YatError};
use yat_http::{SseEvent, Step, StreamDecoder};

use crate::wire::StreamLine;
use crate::{error, ID};

/// The lines of one reply → chat events.
pub struct AcmeDecoder {
    reply: ReplyState,
}

impl AcmeDecoder {
    /// A decoder for one reply.
    pub fn new() -> Self {
        AcmeDecoder {
            reply: ReplyState::new(ID),
        }
    }
}

/// Acme's `done.reason` → yat's normalised reason; the raw word is kept.
fn finish(reason: &str) -> Finish {
    let normalised = match reason {
        "complete" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "stop_sequence" => FinishReason::StopSequence,
        "filtered" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    Finish::new(normalised, reason)
}

impl StreamDecoder for AcmeDecoder {
    fn decode(
        &mut self,
        line: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        let parsed = serde_json::from_str::<StreamLine>(line.data).map_err(|e| {
            let why = format!("a stream line is not Acme JSON: {e}");
            self.reply.malformed(why, line.data.as_bytes())
        })?;
        match parsed {
            StreamLine::Chunk { text } => {
                if !text.is_empty() {
                    out.push_back(ChatEvent::Delta { text });
                }
                Ok(Step::Continue)
            }
            StreamLine::Done { reason, tokens } => {
                if let Some(t) = tokens {
                    self.reply.usage(Usage::new(t.input, t.output));
                }
                self.reply.finish(finish(&reason));
                self.reply.complete(out)?;
                Ok(Step::Done)
            }
            StreamLine::Error { code, message } => Err(error::from_stream(&code, &message)),
        }
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        self.reply.cut(out, "no done line")
    }
}

#[cfg(test)]
mod tests {
    use yat_http::{decode_pieces, Framing};

    use super::*;

    const TRANSCRIPT: &str = concat!(
        "{\"type\":\"chunk\",\"text\":\"Grüß \"}\n",
        "\n",
        "{\"type\":\"chunk\",\"text\":\"dich\"}\r\n",
        "{\"type\":\"done\",\"reason\":\"length\",\"tokens\":{\"in\":3,\"out\":2}}",
    );

    /// The body, fed in `pieces`, as one line of text.
    fn summary(pieces: &[&[u8]]) -> String {
        let decoded = decode_pieces(ID, Framing::Ndjson, AcmeDecoder::new(), pieces);
        let mut s: String = decoded
            .events
            .iter()
            .map(|e| match e {
                ChatEvent::Delta { text } => text.clone(),
                ChatEvent::Usage(u) => format!("[{}/{}]", u.input_tokens, u.output_tokens),
                ChatEvent::Finish(f) => format!("[{:?} {:?}]", f.reason, f.raw),
                other => format!("[unexpected {other:?}]"),
            })
            .collect();
        if let Some(e) = decoded.error {
            s.push_str(&format!("[err {}]", e.kind()));
        }
        s
    }

    #[test]
    fn a_transcript_split_at_every_byte_decodes_the_same() {
        let bytes = TRANSCRIPT.as_bytes();
        let whole = summary(&[bytes]);
        assert_eq!(whole, "Grüß dich[3/2][Length Some(\"length\")]");
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(summary(&[a, b]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn a_body_that_ends_without_done_is_a_network_error() {
        assert_eq!(
            summary(&[b"{\"type\":\"chunk\",\"text\":\"a\"}\n"]),
            "a[err network]"
        );
    }

    #[test]
    fn an_error_line_ends_the_stream_with_a_typed_error() {
        let body = concat!(
            "{\"type\":\"chunk\",\"text\":\"a\"}\n",
            "{\"type\":\"error\",\"code\":\"overloaded\",\"message\":\"busy\"}\n",
            "{\"type\":\"chunk\",\"text\":\"ignored\"}\n",
        );
        assert_eq!(summary(&[body.as_bytes()]), "a[err overloaded]");
    }

    #[test]
    fn garbage_is_a_malformed_response_with_an_excerpt() {
        let decoded = decode_pieces(ID, Framing::Ndjson, AcmeDecoder::new(), &[b"<html>\n"]);
        let e = decoded.error.expect("an error");
        assert_eq!(e.kind(), "malformed_response");
        assert!(e.to_string().contains("<html>"), "{e}");
    }
}
