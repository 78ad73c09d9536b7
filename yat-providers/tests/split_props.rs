//! Property: decoding a stream gives the same chat events however the
//! network cuts its bytes. Transcripts go through the transport's own loop
//! (`DecodeDriver`, fed as the live stream feeds it) over wire-exact
//! transcripts (yat-fakeserver's generators) with random text, line ends
//! and cut points; the events must equal both a one-piece decode and what
//! the text says. Every recorded transcript in `tests/fixtures/` must
//! decode the same however it is cut, too.
#![cfg(all(feature = "openai", feature = "anthropic"))]

use std::sync::OnceLock;

use proptest::prelude::*;
use yat_core::{ChatEvent, Finish, FinishReason, Usage};
use yat_http::{DecodeDriver, Ending, StreamDecoder};
use yat_providers::anthropic::stream::AnthropicDecoder;
use yat_providers::openai::stream::ChunkDecoder;

/// How a decode ended.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Done,
    Eof,
    Failed(String),
}

/// The events of `pieces` through the driver, each piece fed as one
/// network read, and how the decode ended.
fn run(dec: Box<dyn StreamDecoder>, pieces: &[&[u8]]) -> (Vec<ChatEvent>, End) {
    let mut driver = DecodeDriver::new("test", dec);
    let mut events = Vec::new();
    let mut pull = |driver: &mut DecodeDriver| -> Option<End> {
        while let Some(item) = driver.next_event() {
            match item {
                Ok(ev) => events.push(ev),
                Err(e) => return Some(End::Failed(e.to_string())),
            }
        }
        None
    };
    for piece in pieces {
        driver.feed_bytes(piece.to_vec().into());
        if let Some(failed) = pull(&mut driver) {
            return (events, failed);
        }
    }
    driver.end();
    if let Some(failed) = pull(&mut driver) {
        return (events, failed);
    }
    let end = match driver.ending() {
        Some(Ending::Marker) => End::Done,
        Some(Ending::EndOfBody) => End::Eof,
        other => panic!("the decode did not end: {other:?}"),
    };
    (events, end)
}

fn openai_decoder() -> Box<dyn StreamDecoder> {
    Box::new(ChunkDecoder::new("openai"))
}

fn anthropic_decoder() -> Box<dyn StreamDecoder> {
    Box::new(AnthropicDecoder::new("anthropic"))
}

/// A decoder for one wire format.
type Make = fn() -> Box<dyn StreamDecoder>;

/// Every recorded transcript (`tests/fixtures/<format>/*.sse`) of the wire
/// formats built in, with a decoder of its format, read once.
fn transcripts() -> &'static [(String, Make, Vec<u8>)] {
    static ALL: OnceLock<Vec<(String, Make, Vec<u8>)>> = OnceLock::new();
    ALL.get_or_init(|| {
        #[allow(unused_mut)]
        let mut formats: Vec<(&str, Make)> =
            vec![("openai", openai_decoder), ("anthropic", anthropic_decoder)];
        #[cfg(feature = "gemini-wire")]
        formats.push(("gemini", || {
            Box::new(yat_providers::gemini::stream::GeminiDecoder::new("gemini"))
        }));
        #[cfg(feature = "cohere")]
        formats.push(("cohere", || {
            Box::new(yat_providers::cohere::stream::CohereDecoder::new("cohere"))
        }));
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut all = Vec::new();
        for (format, make) in formats {
            let Ok(dir) = std::fs::read_dir(fixtures.join(format)) else {
                continue;
            };
            for entry in dir {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "sse") {
                    let bytes = std::fs::read(&path).unwrap();
                    all.push((path.display().to_string(), make, bytes));
                }
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    })
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
/// piece, then `usage`, then the finish.
fn expected(pieces: &[String], usage: Usage, raw_finish: &str) -> Vec<ChatEvent> {
    let mut events: Vec<ChatEvent> = pieces
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| ChatEvent::Delta { text: p.clone() })
        .collect();
    events.push(ChatEvent::Usage(usage));
    events.push(ChatEvent::Finish(Finish::new(
        FinishReason::Stop,
        raw_finish,
    )));
    events
}

/// The usage of the OpenAI transcript: 9 input tokens, one output token
/// per piece.
fn openai_usage(pieces: &[String]) -> Usage {
    Usage::new(9, pieces.len() as u64)
}

/// The usage of the Anthropic transcript: `message_start` reports 9 input
/// tokens, no cache use (reported, so `Some(0)`) and one output token;
/// `message_delta` one output token per piece. The counts are running
/// totals, so the larger stands.
fn anthropic_usage(pieces: &[String]) -> Usage {
    Usage::new(9, pieces.len().max(1) as u64)
        .with_cache_read(0)
        .with_cache_write(0)
}

/// A wire format whose transcripts yat-fakeserver generates: its decoder,
/// its generator, the usage and finish its transcripts report, and where in
/// a transcript its end becomes known.
struct Generated {
    name: &'static str,
    decoder: Make,
    generate: fn(&[&str]) -> String,
    usage: fn(&[String]) -> Usage,
    finish: &'static str,
    complete_from: fn(&str) -> usize,
}

const GENERATED: [Generated; 2] = [
    Generated {
        name: "openai",
        decoder: openai_decoder,
        generate: yat_fakeserver::openai_stream,
        usage: openai_usage,
        finish: "stop",
        // A compatible server may close right after the finish chunk
        // without `[DONE]`, which is complete by design: so from the end of
        // that chunk's JSON.
        complete_from: |body| {
            let finish = body.find("\"finish_reason\":\"stop\"").unwrap();
            finish + body[finish..].find('\n').unwrap()
        },
    },
    Generated {
        name: "anthropic",
        decoder: anthropic_decoder,
        generate: yat_fakeserver::anthropic_stream,
        usage: anthropic_usage,
        finish: "end_turn",
        // From the `message_stop` event's name line.
        complete_from: |body| {
            let marker = "event: message_stop\n";
            body.find(marker).unwrap() + marker.len()
        },
    },
];

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

    /// However the bytes of a generated transcript are cut, in every
    /// generated format, the events are the same and what the text says.
    #[test]
    fn generated_events_do_not_depend_on_how_the_bytes_are_cut(
        pieces in pieces(),
        eol in any::<u8>(),
        points in prop::collection::vec(any::<usize>(), 0..24),
    ) {
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        for f in &GENERATED {
            let body = with_line_ends(&(f.generate)(&refs), eol);
            let bytes = body.as_bytes();
            let whole = run((f.decoder)(), &[bytes]);
            let expected = (expected(&pieces, (f.usage)(&pieces), f.finish), End::Done);
            prop_assert_eq!(&whole, &expected, "{}", f.name);
            prop_assert_eq!(&run((f.decoder)(), &cut(bytes, &points)), &whole, "{}", f.name);
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(&run((f.decoder)(), &singles), &whole, "{}", f.name);
        }
    }

    /// Cut short anywhere before its end is known, a transcript is never
    /// taken for a complete reply: it ends in an error, with no finish.
    #[test]
    fn a_truncated_stream_never_looks_complete(
        pieces in pieces(),
        format in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        size in 1usize..64,
    ) {
        let f = &GENERATED[format.index(GENERATED.len())];
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let body = (f.generate)(&refs);
        let bytes = &body.as_bytes()[..at.index((f.complete_from)(&body))];
        let pieces: Vec<&[u8]> = bytes.chunks(size).collect();
        let (events, how) = run((f.decoder)(), &pieces);
        prop_assert!(matches!(how, End::Failed(_)), "{}: {:?} {:?}", f.name, how, events);
        prop_assert!(!events.iter().any(|e| matches!(e, ChatEvent::Finish(_))), "{:?}", events);
    }

    /// A recorded transcript (tool calls, reasoning, usage details: what
    /// real servers sent) gives the same events and the same ending in one
    /// piece, cut anywhere, and byte by byte.
    #[test]
    fn recorded_transcripts_decode_the_same_however_cut(
        which in any::<prop::sample::Index>(),
        points in prop::collection::vec(any::<usize>(), 0..24),
    ) {
        let all = transcripts();
        prop_assume!(!all.is_empty());
        let (name, make, bytes) = &all[which.index(all.len())];
        let whole = run(make(), &[bytes]);
        prop_assert_eq!(&run(make(), &cut(bytes, &points)), &whole, "{}", name);
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&run(make(), &singles), &whole, "{}", name);
    }
}
