//! Line and data limits, bounded memory, borrowing, recorded transcripts.

use super::*;

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
