//! Acme's chat stream: newline-delimited JSON → yat chat events.
//!
//! [`Decoder`] is pure (bytes in, events out) so it is tested against
//! transcripts split at every byte; [`events`] wraps it around the HTTP body.
//! Lines are split on the `\n` byte, so a UTF-8 character cut across two
//! reads is joined before it is decoded.

use std::collections::VecDeque;

use futures::{Stream, StreamExt};
use yat_core::{ChatEvent, ChatStream, Finish, FinishReason, Usage, YatError};

use crate::wire::StreamLine;
use crate::{error, ID};

/// Acme's `done.reason` → yat's normalised reason; the raw value is kept.
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

/// Turns bytes into events, one line at a time.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    done: bool,
}

impl Decoder {
    /// Feeds bytes; returns the events of every complete line.
    pub fn push(&mut self, bytes: &[u8], out: &mut VecDeque<Result<ChatEvent, YatError>>) {
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(nl) = self.buf[start..].iter().position(|b| *b == b'\n') {
            let line = &self.buf[start..start + nl];
            start += nl + 1;
            if self.done {
                continue;
            }
            decode_line(line, &mut self.done, out);
        }
        self.buf.drain(..start);
    }

    /// The body ended: a last line without `\n` is decoded, and a stream
    /// that never said `done` is an error (the connection broke).
    pub fn end(&mut self, out: &mut VecDeque<Result<ChatEvent, YatError>>) {
        let rest = std::mem::take(&mut self.buf);
        if !self.done && !rest.iter().all(u8::is_ascii_whitespace) {
            decode_line(&rest, &mut self.done, out);
        }
        if !self.done {
            self.done = true;
            out.push_back(Err(YatError::network(
                ID,
                "the connection closed before the reply finished",
            )));
        }
    }

    /// Whether `done` (or an error) has been seen: nothing more will follow.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

fn decode_line(line: &[u8], done: &mut bool, out: &mut VecDeque<Result<ChatEvent, YatError>>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match serde_json::from_slice::<StreamLine>(line) {
        Ok(StreamLine::Chunk { text }) => {
            if !text.is_empty() {
                out.push_back(Ok(ChatEvent::Delta { text }));
            }
        }
        Ok(StreamLine::Done { reason, tokens }) => {
            if let Some(t) = tokens {
                out.push_back(Ok(ChatEvent::Usage(Usage::new(t.input, t.output))));
            }
            out.push_back(Ok(ChatEvent::Finish(finish(&reason))));
            *done = true;
        }
        Ok(StreamLine::Error { code, message }) => {
            out.push_back(Err(error::from_stream(&code, message)));
            *done = true;
        }
        Err(e) => {
            out.push_back(Err(YatError::malformed(
                ID,
                format!("a stream line is not Acme JSON: {e}"),
                line,
            )));
            *done = true;
        }
    }
}

/// The chat stream over an HTTP body. It owns the body: dropping the stream
/// drops the response, which closes the connection — the request is
/// cancelled on Acme's side too.
pub fn events<S, B>(body: S, idle_timeout: std::time::Duration) -> ChatStream
where
    S: Stream<Item = Result<B, reqwest::Error>> + Send + Unpin + 'static,
    B: AsRef<[u8]>,
{
    struct State<S> {
        body: S,
        decoder: Decoder,
        ready: VecDeque<Result<ChatEvent, YatError>>,
    }
    let state = State {
        body,
        decoder: Decoder::default(),
        ready: VecDeque::new(),
    };
    Box::pin(futures::stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.ready.pop_front() {
                return Some((item, st));
            }
            if st.decoder.is_done() {
                return None;
            }
            match st.body.next().await {
                Some(Ok(bytes)) => st.decoder.push(bytes.as_ref(), &mut st.ready),
                Some(Err(e)) => {
                    st.decoder.done = true;
                    st.ready
                        .push_back(Err(error::from_transport(&e, idle_timeout)));
                }
                None => st.decoder.end(&mut st.ready),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSCRIPT: &str = concat!(
        "{\"type\":\"chunk\",\"text\":\"Grüß \"}\n",
        "\n",
        "{\"type\":\"chunk\",\"text\":\"dich\"}\r\n",
        "{\"type\":\"done\",\"reason\":\"length\",\"tokens\":{\"in\":3,\"out\":2}}\n",
    );

    fn decode_in_pieces(pieces: &[&[u8]]) -> Vec<Result<ChatEvent, YatError>> {
        let mut d = Decoder::default();
        let mut out = VecDeque::new();
        for p in pieces {
            d.push(p, &mut out);
        }
        d.end(&mut out);
        out.into_iter().collect()
    }

    fn summary(events: &[Result<ChatEvent, YatError>]) -> String {
        events
            .iter()
            .map(|e| match e {
                Ok(ChatEvent::Delta { text }) => text.clone(),
                Ok(ChatEvent::Usage(u)) => format!("[{}/{}]", u.input_tokens, u.output_tokens),
                Ok(ChatEvent::Finish(f)) => format!("[{:?}]", f.reason),
                Ok(other) => format!("[unexpected {other:?}]"),
                Err(e) => format!("[err {}]", e.kind()),
            })
            .collect()
    }

    #[test]
    fn a_transcript_split_at_every_byte_decodes_the_same() {
        let bytes = TRANSCRIPT.as_bytes();
        let whole = summary(&decode_in_pieces(&[bytes]));
        assert_eq!(whole, "Grüß dich[3/2][Length]");
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(summary(&decode_in_pieces(&[a, b])), whole, "cut at {cut}");
        }
    }

    #[test]
    fn a_body_that_ends_without_done_is_a_network_error() {
        let got = decode_in_pieces(&[b"{\"type\":\"chunk\",\"text\":\"a\"}\n"]);
        assert_eq!(summary(&got), "a[err network]");
    }

    #[test]
    fn an_error_line_ends_the_stream_with_a_typed_error() {
        let got = decode_in_pieces(&[
            b"{\"type\":\"chunk\",\"text\":\"a\"}\n{\"type\":\"error\",\"code\":\"overloaded\",\"message\":\"busy\"}\n{\"type\":\"chunk\",\"text\":\"ignored\"}\n",
        ]);
        assert_eq!(summary(&got), "a[err overloaded]");
    }

    #[test]
    fn garbage_is_a_malformed_response_with_an_excerpt() {
        let got = decode_in_pieces(&[b"<html>\n"]);
        let e = got[0].as_ref().unwrap_err();
        assert_eq!(e.kind(), "malformed_response");
        assert!(e.to_string().contains("<html>"), "{e}");
    }
}
