//! A stream decoder run over a body cut into pieces, the way the transport
//! feeds it: the loop and the account of how the run ended that the
//! decoders' unit tests share, whatever the wire format.

use yat_core::{ChatEvent, Finish, FinishReason, YatError};
use yat_http::{decode_pieces, Ending, Framing, StreamDecoder};

/// How a run ended.
#[derive(Debug, PartialEq)]
pub(crate) enum End {
    /// At the stream's end marker.
    Done,
    /// With the body, the decoder content with that.
    Eof,
    /// With an error of this kind.
    Failed(String),
}

/// What a run gave: the events, how it ended, and the error it ended with.
pub(crate) type Run = (Vec<ChatEvent>, End, Option<YatError>);

/// Feeds `pieces` of an SSE body to `decoder` through the driver the
/// transport runs, then ends the body.
pub(crate) fn run_pieces(provider: &str, decoder: impl StreamDecoder, pieces: &[&[u8]]) -> Run {
    let d = decode_pieces(provider, Framing::Sse, decoder, pieces);
    let end = match (d.ending, &d.error) {
        (Ending::Marker, _) => End::Done,
        (Ending::EndOfBody, _) => End::Eof,
        (_, Some(e)) => End::Failed(e.kind().into()),
        (Ending::Failed, None) => unreachable!("decode_pieces checks this"),
    };
    (d.events, end, d.error)
}

/// [`run_pieces`] with `bytes` in pieces of `size` bytes.
pub(crate) fn run_sized(
    provider: &str,
    decoder: impl StreamDecoder,
    bytes: &[u8],
    size: usize,
) -> Run {
    let pieces: Vec<&[u8]> = bytes.chunks(size.max(1)).collect();
    run_pieces(provider, decoder, &pieces)
}

/// `bytes` cut at each of `points` (taken modulo its length), as a
/// property test draws them.
pub(crate) fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        pieces.push(&bytes[start..c]);
        start = c;
    }
    pieces.push(&bytes[start..]);
    pieces
}

/// A piece of reply text.
pub(crate) fn delta(text: &str) -> ChatEvent {
    ChatEvent::Delta { text: text.into() }
}

/// `transcript` without its `event:` lines: the form of a stream whose
/// events are told apart by their JSON `type` alone.
pub(crate) fn without_event_names(transcript: &str) -> String {
    transcript
        .lines()
        .filter(|l| !l.starts_with("event:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A wire format's documented transcript and what it decodes to: a row of
/// the table every SSE decoder is checked against.
pub(crate) struct Documented {
    /// The wire format, named in a failure.
    pub format: &'static str,
    /// Runs a body, in pieces, through the format's decoder.
    pub run: fn(&[&[u8]]) -> Run,
    /// The documentation's transcript, byte for byte, with LF line ends.
    pub transcript: &'static str,
    /// Its events.
    pub expected: Vec<ChatEvent>,
    /// How it ends: at the format's end marker, or with the body for a
    /// format that has none.
    pub end: End,
    /// Raw finish reasons the format documents (and one it does not), and
    /// what each means; each is put in place of the transcript's own.
    pub finish_reasons: &'static [(&'static str, FinishReason)],
    /// A longer reply in the documented shapes, with what the format can
    /// carry beyond plain text (escapes and multi-byte text, events to
    /// skip), and its events.
    pub rich: &'static str,
    /// The events of `rich`.
    pub rich_expected: Vec<ChatEvent>,
}

impl Documented {
    fn run_sized(&self, body: &str, size: usize) -> Run {
        let pieces: Vec<&[u8]> = body.as_bytes().chunks(size.max(1)).collect();
        (self.run)(&pieces)
    }
}

/// The rows of the table: one for each SSE format compiled in.
// One push per feature: a `vec![]` literal cannot leave out elements by cfg.
#[allow(clippy::vec_init_then_push)]
fn documented_formats() -> Vec<Documented> {
    let mut formats: Vec<Documented> = Vec::new();
    #[cfg(feature = "anthropic")]
    formats.push(crate::anthropic::stream::tests::documented());
    #[cfg(feature = "cohere")]
    formats.push(crate::cohere::stream::tests::documented());
    #[cfg(feature = "gemini-wire")]
    formats.push(crate::gemini::stream::tests::documented());
    formats
}

/// Every SSE format's rich reply gives exactly its events, and its
/// documented transcript too
/// however the network cuts it; with its line ends written as LF, CRLF or
/// a lone CR, as SSE allows; without `event:` names (events are told
/// apart by their JSON `type`; formats without names have nothing to
/// lose); and without the blank line after the last event, which some
/// servers leave out.
#[test]
fn documented_transcripts_give_exact_events_however_they_are_cut() {
    for f in &documented_formats() {
        let check = |body: &str, size: usize, case: &str| {
            let (events, end, err) = f.run_sized(body, size);
            let case = format!("{}, {case}, pieces of {size}", f.format);
            assert!(err.is_none(), "{case}: {err:?}");
            assert_eq!((&events, &end), (&f.expected, &f.end), "{case}");
        };
        for eol in ["\n", "\r\n", "\r"] {
            let body = f.transcript.replace('\n', eol);
            for size in [usize::MAX, 1, 2, 3, 5, 7, 13, 64] {
                check(&body, size, &format!("line ends {eol:?}"));
            }
        }
        check(&without_event_names(f.transcript), 7, "no event names");
        check(f.transcript.trim_end(), 5, "no blank line at the end");
        let (events, end, err) = f.run_sized(f.rich, usize::MAX);
        assert!(err.is_none(), "{}, rich: {err:?}", f.format);
        assert_eq!(
            (&events, &end),
            (&f.rich_expected, &f.end),
            "{}, rich",
            f.format
        );
    }
}

/// Every SSE format maps each raw finish reason to its meaning and keeps
/// the raw value, in its documented transcript.
#[test]
fn finish_reasons_are_mapped_and_raw_kept() {
    for f in documented_formats() {
        let Some((ChatEvent::Finish(finish), before)) = f.expected.split_last() else {
            panic!("{}: the transcript does not finish", f.format);
        };
        let own = format!("\"{}\"", finish.raw.as_deref().unwrap());
        assert_eq!(f.transcript.matches(&own).count(), 1, "{}", f.format);
        for (raw, reason) in f.finish_reasons {
            let body = f.transcript.replace(&own, &format!("\"{raw}\""));
            let (events, end, err) = f.run_sized(&body, usize::MAX);
            let case = format!("{}: {raw}", f.format);
            assert!(err.is_none(), "{case}: {err:?}");
            let finish = ChatEvent::Finish(Finish::new(*reason, *raw));
            assert_eq!(events.split_last(), Some((&finish, before)), "{case}");
            assert_eq!(end, f.end, "{case}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// However the network cuts each SSE format's rich reply (inside a
    /// CRLF, inside a multi-byte character, inside a JSON escape or an end
    /// marker), with LF or CRLF line ends, the events are the same.
    #[test]
    fn any_split_of_a_rich_reply_gives_the_same_events(
        points in proptest::collection::vec(0usize..8192, 0..24),
        crlf: bool,
    ) {
        for f in documented_formats() {
            let lf = f.rich.replace("\r\n", "\n");
            let body = if crlf { lf.replace('\n', "\r\n") } else { lf };
            let (events, end, err) = (f.run)(&split_at_points(body.as_bytes(), &points));
            proptest::prop_assert!(err.is_none(), "{}: {:?}", f.format, err);
            proptest::prop_assert_eq!(&end, &f.end, "{}", f.format);
            proptest::prop_assert_eq!(&events, &f.rich_expected, "{}", f.format);
        }
    }
}
