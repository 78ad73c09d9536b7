//! The decoder against the standard's rules, every way of cutting its
//! input, and its memory bounds.

use super::*;
use crate::cuts::{self, split_at_points};
use proptest::prelude::*;

/// An event copied out of the decoder, for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    event: String,
    data: String,
    id: Option<String>,
    retry: Option<u64>,
}

impl From<SseEvent<'_>> for Owned {
    fn from(e: SseEvent<'_>) -> Self {
        Owned {
            event: e.event.to_owned(),
            data: e.data.to_owned(),
            id: e.id.map(str::to_owned),
            retry: e.retry,
        }
    }
}

type Item = Result<Owned, SseError>;

fn ev(event: &str, data: &str, id: Option<&str>, retry: Option<u64>) -> Item {
    Ok(Owned {
        event: event.into(),
        data: data.into(),
        id: id.map(Into::into),
        retry,
    })
}

fn msg(data: &str) -> Item {
    ev("", data, None, None)
}

fn drain(dec: &mut SseDecoder, out: &mut Vec<Item>) {
    while let Some(r) = dec.next_event() {
        out.push(r.map(Owned::from));
        assert!(out.len() < 100_000, "next_event does not terminate");
    }
}

fn finish(dec: &mut SseDecoder, out: &mut Vec<Item>) {
    let mut n = 0;
    while let Some(r) = dec.finish() {
        out.push(r.map(Owned::from));
        n += 1;
        assert!(n < 100_000, "finish does not terminate");
    }
    assert_eq!(dec.buffered_len(), 0, "finish must leave the decoder empty");
}

/// Decodes `pieces` in order, pulling after every piece, then finishes.
fn decode_pieces(limit: usize, pieces: &[&[u8]]) -> Vec<Item> {
    let mut dec = SseDecoder::with_limit(limit);
    let mut out = Vec::new();
    for p in pieces {
        dec.feed(p);
        drain(&mut dec, &mut out);
    }
    finish(&mut dec, &mut out);
    out
}

fn decode(input: &[u8]) -> Vec<Item> {
    decode_pieces(SseDecoder::DEFAULT_LIMIT, &[input])
}

/// Every way of splitting `input` into two pieces, and into single bytes,
/// gives the same result as one piece.
fn assert_split_invariant(limit: usize, input: &[u8]) -> Vec<Item> {
    cuts::assert_split_invariant(input, |pieces| decode_pieces(limit, pieces))
}

#[test]
fn lf_line_ends() {
    assert_eq!(
        assert_split_invariant(64, b"data: a\n\ndata: b\n\n"),
        [msg("a"), msg("b")]
    );
}

#[test]
fn cr_line_ends() {
    assert_eq!(
        assert_split_invariant(64, b"data: a\r\rdata: b\r\r"),
        [msg("a"), msg("b")]
    );
}

#[test]
fn crlf_line_ends() {
    assert_eq!(
        assert_split_invariant(64, b"data: a\r\n\r\ndata: b\r\n\r\n"),
        [msg("a"), msg("b")]
    );
}

#[test]
fn mixed_line_ends() {
    assert_eq!(
        assert_split_invariant(64, b"data: a\rdata: b\ndata: c\r\n\n"),
        [msg("a\nb\nc")]
    );
}

#[test]
fn crlf_split_across_pieces_is_one_line_end() {
    // A blank line made of CR | LF split across pieces would dispatch a
    // second time if the LF were taken as a line of its own.
    let mut dec = SseDecoder::new();
    dec.feed(b"data: a\r");
    assert!(dec.next_event().is_none());
    dec.feed(b"\ndata: b\r");
    assert!(dec.next_event().is_none());
    dec.feed(b"\n\r");
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(msg("a\nb"))
    );
    assert!(dec.next_event().is_none());
    dec.feed(b"\n");
    assert!(dec.next_event().is_none());
    dec.feed(b"data: c\r\n\r\n");
    assert_eq!(dec.next_event().map(|r| r.map(Owned::from)), Some(msg("c")));
    assert!(dec.finish().is_none());
}

#[test]
fn cr_dispatches_without_waiting_for_next_byte() {
    let mut dec = SseDecoder::new();
    dec.feed(b"data: a\r\r");
    assert_eq!(dec.next_event().map(|r| r.map(Owned::from)), Some(msg("a")));
}

#[test]
fn cr_then_cr_across_pieces_is_a_blank_line() {
    assert_eq!(
        decode_pieces(64, &[b"data: a\r", b"\rdata: b\r", b"\r"]),
        [msg("a"), msg("b")]
    );
}

#[test]
fn multi_line_data_joined_with_lf() {
    assert_eq!(
        assert_split_invariant(64, b"data: a\ndata: b\ndata:c\n\n"),
        [msg("a\nb\nc")]
    );
}

#[test]
fn empty_data_lines() {
    assert_eq!(decode(b"data\n\n"), [msg("")]);
    assert_eq!(decode(b"data:\n\n"), [msg("")]);
    assert_eq!(decode(b"data:\ndata:\n\n"), [msg("\n")]);
    assert_eq!(decode(b"data: a\ndata\ndata: b\n\n"), [msg("a\n\nb")]);
}

#[test]
fn comments_are_ignored() {
    assert_eq!(
        assert_split_invariant(64, b": keep-alive\n:\ndata: a\n: inside\n\n:x\n\n"),
        [msg("a")]
    );
}

#[test]
fn event_names() {
    assert_eq!(
        decode(b"event: ping\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"),
        [ev("ping", "1", None, None), msg("2"), msg("3")]
    );
}

#[test]
fn event_name_is_reset_by_blank_line_without_data() {
    assert_eq!(decode(b"event: lost\n\ndata: x\n\n"), [msg("x")]);
}

#[test]
fn last_event_name_wins() {
    assert_eq!(
        decode(b"event: a\nevent: b\ndata: x\n\n"),
        [ev("b", "x", None, None)]
    );
}

#[test]
fn id_persists_across_events() {
    assert_eq!(
        decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid\ndata: d\n\n"),
        [
            ev("", "a", Some("1"), None),
            ev("", "b", Some("1"), None),
            ev("", "c", Some("2"), None),
            ev("", "d", None, None),
        ]
    );
}

#[test]
fn id_containing_nul_is_ignored() {
    assert_eq!(
        decode(b"id: good\ndata: a\n\nid: b\0ad\ndata: b\n\n"),
        [
            ev("", "a", Some("good"), None),
            ev("", "b", Some("good"), None)
        ]
    );
}

#[test]
fn retry_is_reported_per_event() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"retry: 1500\ndata: a\n\ndata: b\n\nretry: 20\n\n");
    drain(&mut dec, &mut out);
    assert_eq!(out, [ev("", "a", None, Some(1500)), msg("b")]);
    // A retry in a block without data is not dispatched but is in force.
    assert_eq!(dec.last_retry(), Some(20));
}

#[test]
fn invalid_retry_is_ignored() {
    for bad in [
        "retry: 1a",
        "retry: -1",
        "retry: +1",
        "retry:",
        "retry: 1 ",
        "retry:  1",
        "retry: 99999999999999999999999",
    ] {
        let input = format!("retry: 7\n{bad}\ndata: x\n\n");
        assert_eq!(
            decode(input.as_bytes()),
            [ev("", "x", None, Some(7))],
            "{bad:?}"
        );
    }
    assert_eq!(
        decode(b"retry:0\ndata: x\n\n"),
        [ev("", "x", None, Some(0))]
    );
}

#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(decode(b"foo: bar\nData: no\nDATA\ndata: x\n\n"), [msg("x")]);
}

#[test]
fn bom_is_stripped_once() {
    assert_eq!(
        assert_split_invariant(64, b"\xEF\xBB\xBFdata: a\n\n"),
        [msg("a")]
    );
    // A second mark is part of the first field name: unknown field.
    assert_eq!(
        decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n"),
        [msg("b")]
    );
    // Not at the start: part of the value.
    assert_eq!(decode("data: \u{FEFF}a\n\n".as_bytes()), [msg("\u{FEFF}a")]);
}

#[test]
fn partial_bom_is_ordinary_input() {
    // An incomplete mark is invalid UTF-8 at the start of the stream.
    assert_eq!(
        decode(b"\xEF\xBBdata: a\n\ndata: b\n\n"),
        [Err(SseError::InvalidUtf8 { offset: 0 }), msg("b")]
    );
    assert_eq!(
        decode(b"data: \xEF\xBB\xBF\xEF\xBB\n\n"),
        [Err(SseError::InvalidUtf8 { offset: 9 })]
    );
    assert_eq!(
        decode_pieces(64, &[b"\xEF", b"\xBB"]),
        [Err(SseError::InvalidUtf8 { offset: 0 })]
    );
    assert_eq!(
        decode_pieces(64, &[b"\xEF"]),
        [Err(SseError::InvalidUtf8 { offset: 0 })]
    );
    assert_eq!(
        decode_pieces(64, &[b"\xEF", b"x"]),
        [Err(SseError::InvalidUtf8 { offset: 0 })]
    );
    assert_eq!(decode(b""), []);
}

#[test]
fn field_without_colon_has_empty_value() {
    assert_eq!(decode(b"data\ndata\n\n"), [msg("\n")]);
    assert_eq!(decode(b"event\ndata: x\n\n"), [msg("x")]);
}

#[test]
fn only_one_space_is_stripped() {
    assert_eq!(
        decode(b"data:  two\n\ndata:none\n\ndata:\tx\n\ndata: a: b\n\n"),
        [msg(" two"), msg("none"), msg("\tx"), msg("a: b")]
    );
    assert_eq!(
        decode(b"event:  e\ndata: x\n\n"),
        [ev(" e", "x", None, None)]
    );
}

#[test]
fn event_without_data_is_not_dispatched() {
    assert_eq!(decode(b"event: a\n\nid: 3\n\n: c\n\nretry: 5\n\n"), []);
    assert_eq!(decode(b"\n\n\n\r\n\r"), []);
}

#[test]
fn finish_dispatches_final_event_without_blank_line() {
    assert_eq!(decode(b"data: a\n\ndata: b\n"), [msg("a"), msg("b")]);
    // Unterminated last line.
    assert_eq!(
        decode(b"data: a\n\nevent: e\ndata: b"),
        [msg("a"), ev("e", "b", None, None)]
    );
    assert_eq!(decode(b"data: a\r"), [msg("a")]);
    // Nothing pending: nothing dispatched.
    assert_eq!(decode(b"data: a\n\nevent: e\n"), [msg("a")]);
    assert_eq!(decode(b"data: a\n\n: comment"), [msg("a")]);
}

#[test]
fn finish_returns_unpulled_events_first_and_resets() {
    let mut dec = SseDecoder::new();
    dec.feed(b"id: 9\ndata: a\n\ndata: b\n\ndata: c");
    let mut out = Vec::new();
    finish(&mut dec, &mut out);
    assert_eq!(
        out,
        [
            ev("", "a", Some("9"), None),
            ev("", "b", Some("9"), None),
            ev("", "c", Some("9"), None)
        ]
    );
    assert!(dec.finish().is_none());
    assert_eq!(dec.last_event_id(), Some("9"));
    // Ready for a new stream, which may start with its own mark.
    dec.feed(b"\xEF\xBB\xBFdata: d\n\n");
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(ev("", "d", Some("9"), None))
    );
    dec.reset();
    assert_eq!(dec.last_event_id(), None);
}

#[test]
fn utf8_split_across_pieces() {
    let input = "data: é€😀\n\n".as_bytes();
    assert_eq!(assert_split_invariant(64, input), [msg("é€😀")]);
}

#[test]
fn invalid_utf8_is_an_error_with_stream_offset() {
    let mut dec = SseDecoder::new();
    dec.feed(b"data: ok\n\ndata: b\xFFd\n");
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(msg("ok"))
    );
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(Err(SseError::InvalidUtf8 { offset: 17 }))
    );
    // The rest of the bad event is skipped; the next one decodes.
    dec.feed(b"data: more\n\ndata: next\n\n");
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(msg("next"))
    );
    assert!(dec.next_event().is_none());
}

#[test]
fn invalid_utf8_offset_counts_bom_and_released_bytes() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"\xEF\xBB\xBFdata: ok\n\n");
    drain(&mut dec, &mut out);
    for _ in 0..10 {
        dec.feed(b"data: 0123456789\n\n");
        drain(&mut dec, &mut out);
    }
    dec.feed(b"event: \xC3(\n\n");
    drain(&mut dec, &mut out);
    let bad = 3 + 10 + 10 * 18 + 7;
    assert_eq!(
        out.last(),
        Some(&Err(SseError::InvalidUtf8 { offset: bad }))
    );
    assert_eq!(out.len(), 12);
}

#[test]
fn invalid_utf8_in_comment_or_unknown_field_is_an_error() {
    assert_eq!(
        decode(b":\xFF\ndata: x\n\ndata: y\n\n"),
        [Err(SseError::InvalidUtf8 { offset: 1 }), msg("y")]
    );
    assert_eq!(
        decode(b"\xC0: x\n\n"),
        [Err(SseError::InvalidUtf8 { offset: 0 })]
    );
    // Truncated sequence at the end of the stream.
    assert_eq!(
        decode(b"data: \xE2\x82"),
        [Err(SseError::InvalidUtf8 { offset: 6 })]
    );
}

#[test]
fn line_limit_is_exact() {
    let ok = b"data: 1234\n\n"; // 10-byte line
    assert_eq!(assert_split_invariant(10, ok), [msg("1234")]);
    assert_eq!(
        assert_split_invariant(9, ok),
        [Err(SseError::LineTooLong { limit: 9 })]
    );
    // Comments count too; the event they are in is dropped.
    assert_eq!(
        assert_split_invariant(9, b"data: a\n: 123456789\ndata: b\n\ndata: c\n\n"),
        [Err(SseError::LineTooLong { limit: 9 }), msg("c")]
    );
}

#[test]
fn data_limit_counts_joined_length() {
    // Three 4-byte values joined: 14 bytes.
    let input = b"data:aaaa\ndata:bbbb\ndata:cccc\n\ndata: d\n\n";
    assert_eq!(
        assert_split_invariant(14, input),
        [msg("aaaa\nbbbb\ncccc"), msg("d")]
    );
    assert_eq!(
        assert_split_invariant(13, input),
        [Err(SseError::LineTooLong { limit: 13 }), msg("d")]
    );
}

#[test]
fn endless_line_keeps_memory_bounded() {
    const LIMIT: usize = 1024 * 1024;
    const CHUNK: usize = 64 * 1024;
    let mut dec = SseDecoder::with_limit(LIMIT);
    let chunk = vec![b'x'; CHUNK];
    dec.feed(b"data: ok\n\ndata: ");
    assert_eq!(
        dec.next_event().map(|r| r.map(Owned::from)),
        Some(msg("ok"))
    );
    let mut errors = 0;
    let mut max_held = 0;
    for _ in 0..(10 * 1024 * 1024 / CHUNK) {
        dec.feed(&chunk);
        max_held = max_held.max(dec.buffered_len());
        while let Some(r) = dec.next_event() {
            assert_eq!(r, Err(SseError::LineTooLong { limit: LIMIT }));
            errors += 1;
        }
        assert!(
            dec.buffered_len() <= LIMIT + CHUNK,
            "held {}",
            dec.buffered_len()
        );
        assert!(
            dec.lines.buf_capacity() <= 2 * (LIMIT + CHUNK),
            "capacity {}",
            dec.lines.buf_capacity()
        );
    }
    assert_eq!(
        errors, 1,
        "an unterminated line is reported once, as soon as it passes the limit"
    );
    assert!(max_held <= LIMIT + CHUNK);
    // Its end arrives: the rest of the over-long event is dropped, and
    // decoding resumes after the blank line; the error offset accounts for
    // the dropped bytes.
    dec.feed(b"\ndata: dropped\n\ndata: \xFF\n\n");
    let mut out = Vec::new();
    drain(&mut dec, &mut out);
    let bad = 10 + 6 + 10 * 1024 * 1024 + 1 + 15 + 6;
    assert_eq!(out, [Err(SseError::InvalidUtf8 { offset: bad as u64 })]);
}

#[test]
fn endless_line_without_pulling_keeps_memory_bounded() {
    const LIMIT: usize = 4096;
    let mut dec = SseDecoder::with_limit(LIMIT);
    dec.feed(b"data: a\n\n");
    for _ in 0..1000 {
        dec.feed(&[b'y'; 1000]);
        assert!(dec.buffered_len() <= LIMIT + 1000 + 16);
    }
    let mut out = Vec::new();
    finish(&mut dec, &mut out);
    assert_eq!(out, [msg("a"), Err(SseError::LineTooLong { limit: LIMIT })]);
}

#[test]
fn whole_long_line_in_one_piece_is_rejected() {
    let mut input = b"data: ".to_vec();
    input.extend(std::iter::repeat(b'z').take(100));
    input.extend_from_slice(b"\n\ndata: after\n\n");
    assert_eq!(
        decode_pieces(50, &[&input]),
        [Err(SseError::LineTooLong { limit: 50 }), msg("after")]
    );
    assert_eq!(
        decode_pieces(50, &input.chunks(7).collect::<Vec<_>>()),
        [Err(SseError::LineTooLong { limit: 50 }), msg("after")]
    );
}

#[test]
fn zero_limit_rejects_every_non_blank_line() {
    assert_eq!(
        decode_pieces(0, &[b"data: a\n\n\n:\n\n"]),
        [
            Err(SseError::LineTooLong { limit: 0 }),
            Err(SseError::LineTooLong { limit: 0 })
        ]
    );
}

#[test]
fn single_line_data_is_borrowed_from_input() {
    let mut dec = SseDecoder::new();
    dec.feed(b"data: {\"a\":1}\n\n");
    let ptr = match dec.next_event() {
        Some(Ok(e)) => e.data.as_ptr() as usize,
        other => panic!("{other:?}"),
    };
    let range = dec.lines.buf().as_ptr_range();
    assert!((range.start as usize..range.end as usize).contains(&ptr));
    assert_eq!(dec.pending.data.capacity(), 0, "no copy was made");
}

#[test]
fn event_split_across_pieces_survives_compaction() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    let filler = b"data: 0123456789012345678901234567890123456789\n\n";
    for _ in 0..50 {
        dec.feed(filler);
        drain(&mut dec, &mut out);
    }
    dec.feed(b"data: single");
    drain(&mut dec, &mut out);
    dec.feed(b"\n");
    drain(&mut dec, &mut out);
    for _ in 0..50 {
        // Comments inside the event force releases under it.
        dec.feed(b": padding padding padding padding padding\n");
        drain(&mut dec, &mut out);
    }
    dec.feed(b"\n");
    drain(&mut dec, &mut out);
    assert_eq!(out.len(), 51);
    assert_eq!(out.last(), Some(&msg("single")));
    assert!(
        dec.buffered_len() < 1024,
        "decoded input is released: {}",
        dec.buffered_len()
    );
}

#[test]
fn steady_state_does_not_grow_buffers() {
    let mut dec = SseDecoder::new();
    let mut n = 0usize;
    let piece: &[u8] = b"event: delta\ndata: {\"x\":1}\ndata: {\"y\":2}\n\ndata: [DONE]\n\n";
    let mut caps = None;
    for round in 0..2000 {
        // Odd-sized pieces so events straddle feeds.
        for p in piece.chunks(17) {
            dec.feed(p);
            while let Some(r) = dec.next_event() {
                r.unwrap();
                n += 1;
            }
        }
        if round == 100 {
            caps = Some((
                dec.lines.buf_capacity(),
                dec.pending.data.capacity(),
                dec.pending.event.capacity(),
            ));
        }
    }
    assert_eq!(n, 4000);
    assert_eq!(
        caps,
        Some((
            dec.lines.buf_capacity(),
            dec.pending.data.capacity(),
            dec.pending.event.capacity()
        ))
    );
}

const OPENAI: &str = concat!(
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
    "data: [DONE]\n\n",
);

#[test]
fn openai_transcript() {
    let out = assert_split_invariant(SseDecoder::DEFAULT_LIMIT, OPENAI.as_bytes());
    assert_eq!(out.len(), 4);
    for item in &out[..3] {
        let e = item.as_ref().unwrap();
        assert_eq!(e.event, "");
        assert!(
            e.data.starts_with("{\"id\":\"chatcmpl-123\"") && e.data.ends_with("\"usage\":null}")
        );
    }
    assert!(out[1]
        .as_ref()
        .unwrap()
        .data
        .contains("\"content\":\"Hello\""));
    assert_eq!(out[3], msg("[DONE]"));
}

#[test]
fn anthropic_transcript() {
    let input = concat!(
        "event: message_start\r\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[]}}\r\n\r\n",
        "event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n",
        "event: content_block_delta\r\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\r\n\r\n",
        "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
    );
    let out = assert_split_invariant(SseDecoder::DEFAULT_LIMIT, input.as_bytes());
    let names: Vec<_> = out
        .iter()
        .map(|e| e.as_ref().unwrap().event.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "ping",
            "content_block_delta",
            "message_stop"
        ]
    );
    assert_eq!(out[1], ev("ping", "{\"type\": \"ping\"}", None, None));
    assert_eq!(
        out[3],
        ev("message_stop", "{\"type\":\"message_stop\"}", None, None)
    );
}

#[test]
fn error_display() {
    assert_eq!(
        SseError::LineTooLong { limit: 5 }.to_string(),
        "server-sent event line or data exceeds the limit of 5 bytes"
    );
    assert_eq!(
        SseError::InvalidUtf8 { offset: 7 }.to_string(),
        "invalid UTF-8 in server-sent event stream at byte 7"
    );
    let _: &dyn std::error::Error = &SseError::InvalidUtf8 { offset: 0 };
    assert!(format!("{:?}", SseDecoder::default()).contains("SseDecoder"));
}

/// A literal transcription of the standard's algorithm over a whole
/// (valid UTF-8) stream, plus the `finish` deviation: the oracle.
fn reference(input: &str) -> Vec<Item> {
    let s = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => lines.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    let unterminated = (!cur.is_empty()).then_some(cur);
    let mut out = Vec::new();
    let (mut data, mut event, mut last_id, mut retry) =
        (String::new(), String::new(), String::new(), None);
    let mut dispatch =
        |data: &mut String, event: &mut String, last_id: &String, retry: &mut Option<u64>| {
            if !data.is_empty() {
                data.pop();
                out.push(Ok(Owned {
                    event: event.clone(),
                    data: data.clone(),
                    id: (!last_id.is_empty()).then(|| last_id.clone()),
                    retry: *retry,
                }));
            }
            data.clear();
            event.clear();
            *retry = None;
        };
    let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
    all.extend(unterminated.as_deref());
    for line in all {
        if line.is_empty() {
            dispatch(&mut data, &mut event, &last_id, &mut retry);
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match name {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => last_id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                retry = value.parse().ok().or(retry);
            }
            _ => {}
        }
    }
    dispatch(&mut data, &mut event, &last_id, &mut retry);
    out
}

fn sse_line() -> impl Strategy<Value = String> {
    let text = "[a-z0-9 :{}\",éü€😀\u{0}\t]{0,12}";
    prop_oneof![
        4 => text.prop_map(|t| format!("data: {t}")),
        1 => text.prop_map(|t| format!("data:{t}")),
        1 => Just("data".to_owned()),
        1 => "[a-z_]{0,8}".prop_map(|t| format!("event: {t}")),
        1 => text.prop_map(|t| format!("id: {t}")),
        1 => Just("id".to_owned()),
        1 => "[0-9]{1,4}|[0-9a]{0,3}|[0-9]{21}".prop_map(|t| format!("retry: {t}")),
        1 => text.prop_map(|t| format!(":{t}")),
        1 => text.prop_map(|t| format!("x-{t}")),
        3 => Just(String::new()),
    ]
}

fn sse_stream() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(
            (
                sse_line(),
                prop_oneof![Just("\n"), Just("\r"), Just("\r\n")],
            ),
            0..24,
        ),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, cut_last)| {
            let mut s = if bom {
                "\u{FEFF}".to_owned()
            } else {
                String::new()
            };
            let n = lines.len();
            for (i, (line, end)) in lines.into_iter().enumerate() {
                s.push_str(&line);
                if !(cut_last && i + 1 == n) {
                    s.push_str(end);
                }
            }
            s
        })
}

fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        2 => prop::sample::select(b"\r\n\r\n:  data event id retry 0123456789 \xEF\xBB\xBF\xC3\xA9\xF0\x9F\x98\x80\x00".to_vec()),
    ];
    prop::collection::vec(byte, 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_reference_algorithm(stream in sse_stream()) {
        prop_assert_eq!(decode(stream.as_bytes()), reference(&stream));
    }

    #[test]
    fn any_split_of_valid_stream_gives_same_events(
        stream in sse_stream(),
        points in prop::collection::vec(0usize..400, 0..12),
    ) {
        let bytes = stream.as_bytes();
        let whole = decode(bytes);
        let pieces = split_at_points(bytes, &points);
        prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &pieces), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &singles), whole);
    }

    #[test]
    fn any_split_with_small_limit_gives_same_results(
        stream in sse_stream(),
        limit in 0usize..24,
        points in prop::collection::vec(0usize..400, 0..12),
    ) {
        let bytes = stream.as_bytes();
        let whole = decode_pieces(limit, &[bytes]);
        prop_assert_eq!(decode_pieces(limit, &split_at_points(bytes, &points)), whole);
    }

    #[test]
    fn random_bytes_never_panic_and_are_split_invariant(
        bytes in noisy_bytes(),
        limit in prop_oneof![Just(SseDecoder::DEFAULT_LIMIT), 0usize..40],
        points in prop::collection::vec(0usize..300, 0..16),
    ) {
        let whole = decode_pieces(limit, &[&bytes]);
        prop_assert_eq!(decode_pieces(limit, &split_at_points(&bytes, &points)), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(decode_pieces(limit, &singles), whole);
    }
}

#[test]
fn a_line_that_never_ends_is_reported_once_it_passes_the_limit() {
    let mut d = SseDecoder::with_limit(64);
    d.feed(b"data: ok\n\ndata: ");
    assert_eq!(d.next_event().unwrap().unwrap().data, "ok");
    assert!(d.next_event().is_none());
    d.feed(&[b'x'; 100]);
    assert!(matches!(
        d.next_event(),
        Some(Err(SseError::LineTooLong { limit: 64 }))
    ));
    // Reported once; the rest of that event is skipped, and the stream
    // goes on after it.
    d.feed(&[b'x'; 1000]);
    assert!(d.next_event().is_none());
    d.feed(b"\n\ndata: next\n\n");
    assert_eq!(d.next_event().unwrap().unwrap().data, "next");
    assert!(d.buffered_len() < 200);
}
