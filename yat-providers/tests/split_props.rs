//! Property: decoding a stream gives the same chat events however the
//! network cuts its bytes. The SSE decoder and a provider's decoder are run
//! together, exactly as the transport runs them, over wire-exact transcripts
//! (yat-fakeserver's generators) with random text, line ends and cut points;
//! the events must equal both a one-piece decode and what the text says.
#![cfg(all(feature = "openai", feature = "anthropic"))]

use std::collections::VecDeque;

use proptest::prelude::*;
use yat_core::{ChatEvent, Finish, FinishReason, Usage};
use yat_providers::anthropic::stream::AnthropicDecoder;
use yat_providers::http::{SseDecoder, Step, StreamDecoder};
use yat_providers::openai::stream::ChunkDecoder;

/// How a decode ended.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Done,
    Eof,
    Failed(String),
}

/// The transport's loop (`LiveStream::fill`): pull every event after each
/// piece, stop at `Done` or an error, `finish` once at the end of the body,
/// then `end_of_body`.
fn run(mut dec: impl StreamDecoder, pieces: &[&[u8]]) -> (Vec<ChatEvent>, End) {
    let mut sse = SseDecoder::new();
    let mut out = VecDeque::new();
    for piece in pieces {
        sse.feed(piece);
        while let Some(ev) = sse.next_event() {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => return (out.into(), End::Failed(e.to_string())),
            };
            match dec.decode(&ev, &mut out) {
                Ok(Step::Continue) => {}
                Ok(Step::Done) => return (out.into(), End::Done),
                Err(e) => return (out.into(), End::Failed(e.to_string())),
            }
        }
    }
    if let Some(last) = sse.finish() {
        let ev = match last {
            Ok(ev) => ev,
            Err(e) => return (out.into(), End::Failed(e.to_string())),
        };
        match dec.decode(&ev, &mut out) {
            Ok(Step::Continue) => {}
            Ok(Step::Done) => return (out.into(), End::Done),
            Err(e) => return (out.into(), End::Failed(e.to_string())),
        }
    }
    match dec.end_of_body(&mut out) {
        Ok(()) => (out.into(), End::Eof),
        Err(e) => (out.into(), End::Failed(e.to_string())),
    }
}

/// `bytes` cut at `points` (each taken modulo `len + 1`).
fn cut<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
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

/// The events a transcript of `pieces` stands for: one delta per non-empty
/// piece, then usage (9 input tokens, one output token per piece), then the
/// finish.
fn expected(pieces: &[String], raw_finish: &str) -> Vec<ChatEvent> {
    let mut events: Vec<ChatEvent> = pieces
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| ChatEvent::Delta { text: p.clone() })
        .collect();
    events.push(ChatEvent::Usage(Usage::new(9, pieces.len() as u64)));
    events.push(ChatEvent::Finish(Finish::new(
        FinishReason::Stop,
        raw_finish,
    )));
    events
}

/// Text deltas as models send them: any Unicode (escaped as JSON by the
/// generator), often multi-byte, sometimes empty.
fn pieces() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            3 => "[a-zA-Z .,!?]{0,8}",
            2 => "[\u{e9}\u{fc}\u{20ac}\u{1F600}\u{4E2D}\"\\\\\n\r\t ]{1,6}",
            1 => any::<String>(),
        ],
        0..8,
    )
}

/// The generators write LF; servers also send CRLF or CR.
fn with_line_ends(lf: &str, which: u8) -> String {
    match which % 3 {
        0 => lf.to_owned(),
        1 => lf.replace('\n', "\r\n"),
        _ => lf.replace('\n', "\r"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn openai_events_do_not_depend_on_how_the_bytes_are_cut(
        pieces in pieces(),
        eol in any::<u8>(),
        points in prop::collection::vec(any::<usize>(), 0..24),
    ) {
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let body = with_line_ends(&yat_fakeserver::openai_stream(&refs), eol);
        let bytes = body.as_bytes();
        let whole = run(ChunkDecoder::new("openai"), &[bytes]);
        prop_assert_eq!(&whole, &(expected(&pieces, "stop"), End::Done));
        prop_assert_eq!(run(ChunkDecoder::new("openai"), &cut(bytes, &points)), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(run(ChunkDecoder::new("openai"), &singles), whole);
    }

    #[test]
    fn anthropic_events_do_not_depend_on_how_the_bytes_are_cut(
        pieces in pieces(),
        eol in any::<u8>(),
        points in prop::collection::vec(any::<usize>(), 0..24),
    ) {
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let body = with_line_ends(&yat_fakeserver::anthropic_stream(&refs), eol);
        let bytes = body.as_bytes();
        let whole = run(AnthropicDecoder::new("anthropic"), &[bytes]);
        prop_assert_eq!(&whole, &(expected(&pieces, "end_turn"), End::Done));
        prop_assert_eq!(run(AnthropicDecoder::new("anthropic"), &cut(bytes, &points)), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(run(AnthropicDecoder::new("anthropic"), &singles), whole);
    }

    /// Cut short anywhere before its end is known, a transcript is never
    /// taken for a complete reply: it ends in an error, with no finish.
    #[test]
    fn a_truncated_stream_never_looks_complete(
        pieces in pieces(),
        anthropic in any::<bool>(),
        at in any::<prop::sample::Index>(),
        size in 1usize..64,
    ) {
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let (body, end) = if anthropic {
            // Up to the `message_stop` event's name line.
            let body = yat_fakeserver::anthropic_stream(&refs);
            let marker = "event: message_stop\n";
            let end = body.find(marker).unwrap() + marker.len();
            (body, end)
        } else {
            // A compatible server may close right after the finish chunk
            // without `[DONE]`, which is complete by design: so up to the
            // end of that chunk's JSON.
            let body = yat_fakeserver::openai_stream(&refs);
            let finish = body.find("\"finish_reason\":\"stop\"").unwrap();
            let end = finish + body[finish..].find('\n').unwrap();
            (body, end)
        };
        let bytes = &body.as_bytes()[..at.index(end)];
        let pieces: Vec<&[u8]> = bytes.chunks(size).collect();
        let (events, how) = if anthropic {
            run(AnthropicDecoder::new("anthropic"), &pieces)
        } else {
            run(ChunkDecoder::new("openai"), &pieces)
        };
        prop_assert!(matches!(how, End::Failed(_)), "{:?} {:?}", how, events);
        prop_assert!(!events.iter().any(|e| matches!(e, ChatEvent::Finish(_))), "{:?}", events);
    }
}
