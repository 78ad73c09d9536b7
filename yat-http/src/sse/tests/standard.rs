//! The standard's parsing rules, one case each, under every split.

use super::*;

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
