//! The NDJSON decoder: line ends, blank lines, the last line, UTF-8 and the
//! limit, under every way of cutting its input, against a reference model.

use super::*;
use crate::cuts::{assert_split_invariant, split_at_points};
use proptest::prelude::*;

type Item = Result<String, LineError>;

fn ok(line: &str) -> Item {
    Ok(line.to_owned())
}

/// Decodes `pieces` in order, pulling after every piece, then finishes.
fn decode_pieces(limit: usize, pieces: &[&[u8]]) -> Vec<Item> {
    let mut dec = NdjsonDecoder::with_limit(limit);
    let mut out = Vec::new();
    for p in pieces {
        dec.feed(p);
        while let Some(r) = dec.next_line() {
            out.push(r.map(str::to_owned));
            assert!(out.len() < 100_000, "next_line does not terminate");
        }
    }
    let mut at_end = 0;
    while let Some(r) = dec.finish() {
        out.push(r.map(str::to_owned));
        at_end += 1;
        assert!(at_end < 100_000, "finish does not terminate");
    }
    assert!(at_end <= 1, "after a full drain only the last line is left");
    assert_eq!(dec.buffered_len(), 0, "finish must leave the decoder empty");
    out
}

/// Every cut of `input` decodes to the same as the whole, which is returned.
fn split_invariant(limit: usize, input: &[u8]) -> Vec<Item> {
    assert_split_invariant(input, |pieces| decode_pieces(limit, pieces))
}

fn decode(input: &[u8]) -> Vec<Item> {
    split_invariant(NdjsonDecoder::DEFAULT_LIMIT, input)
}

#[test]
fn lf_cr_and_crlf_end_lines_however_the_body_is_cut() {
    let expected = [ok("{\"a\":1}"), ok("{\"b\":2}"), ok("{\"c\":3}")];
    for body in [
        &b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"[..],
        b"{\"a\":1}\r{\"b\":2}\r{\"c\":3}\r",
        b"{\"a\":1}\r\n{\"b\":2}\r\n{\"c\":3}\r\n",
        b"{\"a\":1}\r\n{\"b\":2}\r{\"c\":3}\n",
    ] {
        assert_eq!(decode(body), expected, "{body:?}");
    }
}

#[test]
fn a_crlf_split_across_pieces_is_one_line_end() {
    let mut dec = NdjsonDecoder::new();
    dec.feed(b"{\"a\":1}\r");
    // The CR ends the line at once: no waiting for a possible LF.
    assert_eq!(dec.next_line(), Some(Ok("{\"a\":1}")));
    dec.feed(b"\n{\"b\":2}\n");
    assert_eq!(dec.next_line(), Some(Ok("{\"b\":2}")));
    assert_eq!(dec.next_line(), None);
}

#[test]
fn blank_lines_are_skipped() {
    assert_eq!(
        decode(b"\n\r\n{\"a\":1}\n\n  \t \n\r\r{\"b\":2}\n\n"),
        [ok("{\"a\":1}"), ok("{\"b\":2}")]
    );
    assert_eq!(decode(b"\n\n\r\n \n"), []);
    assert_eq!(decode(b""), []);
}

#[test]
fn json_text_sequences_lose_their_record_separators() {
    assert_eq!(
        decode(b"\x1e{\"a\":1}\n\x1e\n\x1e\"text\"\n\x1e  \n"),
        [ok("{\"a\":1}"), ok("\"text\"")]
    );
}

#[test]
fn lines_are_handed_out_as_they_are_apart_from_their_end() {
    // The decoder frames; the JSON parser judges. Leading spaces, trailing
    // spaces and a non-object are all kept.
    assert_eq!(
        decode(b"  {\"a\":1} \n[1,2]\nnot json\n"),
        [ok("  {\"a\":1} "), ok("[1,2]"), ok("not json")]
    );
}

#[test]
fn the_last_line_counts_without_a_newline_once_the_body_ends() {
    let mut dec = NdjsonDecoder::new();
    dec.feed(b"{\"a\":1}\n{\"done\":true}");
    assert_eq!(dec.next_line(), Some(Ok("{\"a\":1}")));
    assert_eq!(dec.next_line(), None, "it may still continue");
    assert_eq!(dec.finish(), Some(Ok("{\"done\":true}")));
    assert_eq!(dec.finish(), None);
    assert_eq!(
        decode(b"{\"a\":1}\r\n{\"b\":2}"),
        [ok("{\"a\":1}"), ok("{\"b\":2}")]
    );
}

#[test]
fn finish_hands_out_unpulled_lines_first_and_leaves_a_fresh_decoder() {
    let mut dec = NdjsonDecoder::new();
    dec.feed(b"{\"a\":1}\n\n{\"b\":2}\n{\"c\"");
    assert_eq!(dec.finish(), Some(Ok("{\"a\":1}")));
    assert_eq!(dec.finish(), Some(Ok("{\"b\":2}")));
    assert_eq!(dec.finish(), Some(Ok("{\"c\"")));
    assert_eq!(dec.finish(), None);
    assert_eq!(dec.buffered_len(), 0);
    // A new stream, from its first byte: a byte order mark is dropped again.
    dec.feed(b"\xEF\xBB\xBF{\"d\":4}\n");
    assert_eq!(dec.next_line(), Some(Ok("{\"d\":4}")));
}

#[test]
fn utf8_split_across_pieces_is_reassembled() {
    let body = "{\"t\":\"é – 😀\"}\n{\"t\":\"ß\"}".as_bytes();
    assert_eq!(
        decode(body),
        [ok("{\"t\":\"é – 😀\"}"), ok("{\"t\":\"ß\"}")]
    );
}

#[test]
fn a_byte_order_mark_at_the_start_is_dropped_once() {
    assert_eq!(
        decode(b"\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBF{\"b\":2}\n"),
        [ok("{\"a\":1}"), ok("\u{feff}{\"b\":2}")],
        "only the first is a byte order mark"
    );
    // A partial mark is ordinary (invalid) input.
    assert_eq!(
        decode(b"\xEF\xBB{\"a\":1}\n"),
        [Err(LineError::InvalidUtf8 { offset: 0 })]
    );
}

#[test]
fn invalid_utf8_is_an_error_at_its_stream_offset_and_the_next_line_goes_on() {
    assert_eq!(
        decode(b"{\"a\":1}\n{\"b\":\"\xff\"}\n{\"c\":3}\n"),
        [
            ok("{\"a\":1}"),
            Err(LineError::InvalidUtf8 { offset: 14 }),
            ok("{\"c\":3}"),
        ]
    );
    // The offset counts the byte order mark and input already released.
    let mut dec = NdjsonDecoder::new();
    let filler = b"{\"pad\":\"0123456789012345678901234567890123456789\"}\n";
    dec.feed(b"\xEF\xBB\xBF");
    for _ in 0..100 {
        dec.feed(filler);
        while let Some(line) = dec.next_line() {
            line.unwrap();
        }
    }
    dec.feed(b"{\xC3}\n");
    let at = 3 + 100 * filler.len() as u64 + 1;
    assert_eq!(
        dec.next_line(),
        Some(Err(LineError::InvalidUtf8 { offset: at }))
    );
}

#[test]
fn the_limit_is_exact() {
    let line = |n: usize| {
        let mut l = vec![b'1'; n];
        l.push(b'\n');
        l
    };
    assert_eq!(split_invariant(8, &line(8)), [ok("11111111")]);
    let mut body = line(9);
    body.extend_from_slice(b"2\n");
    assert_eq!(
        split_invariant(8, &body),
        [Err(LineError::TooLong { limit: 8 }), ok("2")]
    );
}

#[test]
fn a_line_that_never_ends_is_reported_once_with_memory_bounded() {
    const LIMIT: usize = 64 * 1024;
    const CHUNK: usize = 8 * 1024;
    let mut dec = NdjsonDecoder::with_limit(LIMIT);
    dec.feed(b"{\"ok\":1}\n{\"t\":\"");
    assert_eq!(dec.next_line(), Some(Ok("{\"ok\":1}")));
    let chunk = vec![b'x'; CHUNK];
    let mut errors = 0;
    for _ in 0..(4 * 1024 * 1024 / CHUNK) {
        dec.feed(&chunk);
        while let Some(r) = dec.next_line() {
            assert_eq!(r, Err(LineError::TooLong { limit: LIMIT }));
            errors += 1;
        }
        assert!(
            dec.buffered_len() <= LIMIT + CHUNK,
            "{}",
            dec.buffered_len()
        );
    }
    assert_eq!(errors, 1, "reported once, as soon as it passes the limit");
    // Its end arrives: the rest is dropped, the next line decoded, and
    // offsets still count the dropped bytes.
    dec.feed(b"\"}\n{\"b\":2}\n\xff\n");
    assert_eq!(dec.next_line(), Some(Ok("{\"b\":2}")));
    let at = 9 + 6 + 4 * 1024 * 1024 + 3 + 8;
    assert_eq!(
        dec.next_line(),
        Some(Err(LineError::InvalidUtf8 { offset: at as u64 }))
    );
}

#[test]
fn an_over_long_last_line_is_reported_at_the_end_of_the_body_too() {
    let mut body = b"{\"a\":1}\n".to_vec();
    body.extend(std::iter::repeat(b'z').take(40));
    assert_eq!(
        split_invariant(16, &body),
        [ok("{\"a\":1}"), Err(LineError::TooLong { limit: 16 })]
    );
}

#[test]
fn lines_are_borrowed_and_the_buffer_stops_growing() {
    let mut dec = NdjsonDecoder::new();
    dec.feed(b"{\"a\":1}\n");
    let range = dec.lines.buf().as_ptr_range();
    let line = dec.next_line().unwrap().unwrap();
    assert!(range.contains(&line.as_ptr()), "the line is not a copy");
    // Feeding line after line, in pieces that cut lines, reaches a
    // working size and stays there.
    let body = b"{\"choices\":[{\"delta\":{\"content\":\"tok \"}}]}\n".repeat(4);
    let mut capacity = 0;
    for round in 0..2000 {
        for piece in body.chunks(37) {
            dec.feed(piece);
            while let Some(line) = dec.next_line() {
                line.unwrap();
            }
        }
        if round == 100 {
            capacity = dec.lines.buf_capacity();
        }
    }
    assert_eq!(
        dec.lines.buf_capacity(),
        capacity,
        "the buffer grew in steady state"
    );
    assert!(capacity <= 4 * body.len(), "{capacity}");
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(
        LineError::TooLong { limit: 9 }.to_string(),
        "a line exceeds the limit of 9 bytes"
    );
    assert_eq!(
        LineError::InvalidUtf8 { offset: 3 }.to_string(),
        "invalid UTF-8 at byte 3"
    );
}

/// The rules, written as plainly as possible over the whole input.
fn reference(input: &[u8], limit: usize) -> Vec<Item> {
    let start = if input.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut out = Vec::new();
    let mut i = start;
    while i < input.len() {
        let end = input[i..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(input.len(), |p| i + p);
        let line = &input[i..end];
        let next = match (input.get(end), input.get(end + 1)) {
            (Some(b'\r'), Some(b'\n')) => end + 2,
            _ => end + 1,
        };
        if line.len() > limit {
            out.push(Err(LineError::TooLong { limit }));
        } else {
            let skip = usize::from(line.first() == Some(&0x1E));
            let text = &line[skip..];
            if !text.iter().all(|&b| matches!(b, b' ' | b'\t' | 0x1E)) {
                out.push(match std::str::from_utf8(text) {
                    Ok(t) => Ok(t.to_owned()),
                    Err(e) => Err(LineError::InvalidUtf8 {
                        offset: (i + skip + e.valid_up_to()) as u64,
                    }),
                });
            }
        }
        i = next;
    }
    out
}

/// Bodies made of what NDJSON streams hold: objects, blank lines, every
/// line end, record separators, multibyte characters, stray bytes.
fn ndjson_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(b"{\"t\":\"x\"}".to_vec()),
        1 => Just("{\"t\":\"é😀\"}".as_bytes().to_vec()),
        2 => prop::sample::select(vec![
            b"\n".to_vec(), b"\r".to_vec(), b"\r\n".to_vec(), b" ".to_vec(), b"\t".to_vec(),
            b"\x1e".to_vec(), b"\xEF\xBB\xBF".to_vec(), b"\xff".to_vec(), b"\xC3".to_vec(),
        ]),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_the_reference_however_cut(
        bytes in ndjson_bytes(),
        limit in prop_oneof![Just(NdjsonDecoder::DEFAULT_LIMIT), 0usize..24],
        points in prop::collection::vec(0usize..400, 0..12),
    ) {
        let expected = reference(&bytes, limit);
        prop_assert_eq!(&decode_pieces(limit, &[&bytes]), &expected);
        prop_assert_eq!(&decode_pieces(limit, &split_at_points(&bytes, &points)), &expected);
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&decode_pieces(limit, &singles), &expected);
    }
}
