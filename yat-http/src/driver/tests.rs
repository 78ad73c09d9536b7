//! The driver's rules, with a toy decoder.

use super::*;

/// A toy API: `data: <text>` is a delta, `data: [DONE]` the end
/// marker (with a finish), `data: bad` an error after queueing a delta;
/// `two` queues two deltas. The end of the body is accepted (with a delta
/// `eof` and a finish) when `cut_ok`. Without `finishes` it never emits a
/// finish: a decoder that forgot to.
struct Toy {
    cut_ok: bool,
    finishes: bool,
}

impl Toy {
    fn finish(&self, out: &mut VecDeque<ChatEvent>) {
        if self.finishes {
            out.push_back(ChatEvent::Finish(yat_core::Finish::reason(
                yat_core::FinishReason::Stop,
            )));
        }
    }
}

impl StreamDecoder for Toy {
    fn decode(
        &mut self,
        ev: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError> {
        match ev.data {
            "[DONE]" => {
                self.finish(out);
                return Ok(Step::Done);
            }
            "bad" => {
                out.push_back(delta("spoiled"));
                return Err(YatError::malformed("toy", "bad event", b"bad"));
            }
            "two" => {
                out.push_back(delta("t1"));
                out.push_back(delta("t2"));
            }
            "" => {}
            text => out.push_back(delta(text)),
        }
        Ok(Step::Continue)
    }

    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        if self.cut_ok {
            out.push_back(delta("eof"));
            self.finish(out);
            Ok(())
        } else {
            out.push_back(delta("spoiled"));
            Err(YatError::malformed("toy", "cut short", b""))
        }
    }
}

fn delta(text: &str) -> ChatEvent {
    ChatEvent::Delta { text: text.into() }
}

/// The items of `decode_all`, shown: deltas as their text, errors as
/// their kind.
fn shown(items: &[Result<ChatEvent, YatError>]) -> Vec<String> {
    items
        .iter()
        .map(|r| match r {
            Ok(ChatEvent::Delta { text }) => text.clone(),
            Ok(ChatEvent::Finish(_)) => "finish".into(),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("error {}", e.kind()),
        })
        .collect()
}

fn all(cut_ok: bool, chunks: &[&[u8]]) -> Vec<String> {
    shown(&decode_all(
        Toy {
            cut_ok,
            finishes: true,
        },
        chunks,
    ))
}

#[test]
fn events_do_not_depend_on_how_the_body_is_cut() {
    let body = b"data: a\r\n\r\ndata: two\n\n: comment\n\ndata: b\rdata: c\r\r".as_slice();
    let whole = all(false, &[body]);
    assert_eq!(
        whole,
        [
            "a",
            "t1",
            "t2",
            "b\nc",
            "spoiled",
            "error malformed_response"
        ]
    );
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(all(false, &bytewise), whole);
    for at in 0..=body.len() {
        assert_eq!(
            all(false, &[&body[..at], &body[at..]]),
            whole,
            "cut at {at}"
        );
    }
}

#[test]
fn the_end_marker_stops_the_decode_and_skips_end_of_body() {
    let body = b"data: a\n\ndata: [DONE]\n\ndata: after\n\n".as_slice();
    assert_eq!(all(false, &[body]), ["a", "finish"]);
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: false,
            finishes: true,
        }),
    );
    d.feed(b"data: a\n\ndata: [DONE]\n\n");
    assert_eq!(shown(&[d.next_event().unwrap()]), ["a"]);
    assert_eq!(shown(&[d.next_event().unwrap()]), ["finish"]);
    assert!(d.next_event().is_none());
    assert_eq!(d.ending(), Some(Ending::Marker));
    d.feed(b"data: later\n\n");
    d.end();
    assert!(d.next_event().is_none(), "nothing after the end marker");
}

#[test]
fn an_error_is_the_last_item_after_what_its_call_queued() {
    // What the failing call queued first is handed out (the good tool
    // calls beside a malformed one), then the error, then nothing.
    let body = b"data: a\n\ndata: bad\n\ndata: b\n\n".as_slice();
    assert_eq!(
        all(true, &[body]),
        ["a", "spoiled", "error malformed_response"]
    );
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed(body);
    assert!(d.next_event().unwrap().is_ok());
    assert!(d.next_event().unwrap().is_ok());
    assert!(d.next_event().unwrap().is_err());
    assert_eq!(d.ending(), Some(Ending::Failed));
    d.feed(b"data: c\n\n");
    assert!(d.next_event().is_none(), "nothing after an error");
}

#[test]
fn a_body_that_ends_runs_end_of_body_after_the_last_unterminated_event() {
    assert_eq!(
        all(true, &[b"data: a\n\ndata: b"]),
        ["a", "b", "eof", "finish"]
    );
    assert_eq!(
        all(false, &[b"data: a\n\ndata: b"]),
        ["a", "b", "spoiled", "error malformed_response"],
        "what end_of_body queued comes before its error"
    );
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed(b"data: a\n\n");
    assert!(d.next_event().is_some());
    assert!(d.next_event().is_none());
    assert_eq!(d.ending(), None, "None with no ending: feed more");
    d.end();
    assert_eq!(shown(&[d.next_event().unwrap()]), ["eof"]);
    assert_eq!(d.ending(), Some(Ending::EndOfBody));
    assert_eq!(shown(&[d.next_event().unwrap()]), ["finish"]);
    assert!(d.next_event().is_none());
}

#[test]
fn a_framing_error_is_a_malformed_response_naming_the_provider() {
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed(b"data: a\xff\n\ndata: b\n\n");
    match d.next_event() {
        Some(Err(YatError::MalformedResponse {
            provider, message, ..
        })) => {
            assert_eq!(provider, "toy");
            assert!(message.contains("broken event stream"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(d.next_event().is_none());
}

#[test]
fn feed_bytes_hands_the_sse_decoder_one_piece_at_a_time() {
    let event = b"data: 0123456789abcdef0123456789abcdef\n\n";
    let body: Vec<u8> = event.repeat(20 * FEED_PIECE / event.len());
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed_bytes(Bytes::from(body.clone()));
    let mut n = 0;
    while let Some(ev) = d.next_event() {
        ev.unwrap();
        n += 1;
        // One piece, and the part of an event the piece before cut.
        let held = d.framer.buffered_len();
        assert!(held <= FEED_PIECE + event.len(), "{held}");
    }
    assert_eq!(n, body.len() / event.len());
}

#[test]
fn feed_and_feed_bytes_keep_the_order_of_the_input() {
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed_bytes(Bytes::from_static(b"data: a\n\nda"));
    d.feed_bytes(Bytes::from_static(b"ta: b\n\nd"));
    d.feed(b"ata: c\n\n");
    d.feed_bytes(Bytes::from_static(b"data: d\n\n"));
    d.end();
    let got: Vec<_> = std::iter::from_fn(|| d.next_event()).collect();
    assert_eq!(shown(&got), ["a", "b", "c", "d", "eof", "finish"]);
}

#[test]
fn a_failed_input_ends_the_decode_and_drops_the_queue() {
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed(b"data: two\n\n");
    assert_eq!(d.pump().unwrap(), Pump::Progress);
    assert_eq!(d.queued().len(), 2);
    d.fail();
    assert_eq!(d.ending(), Some(Ending::Failed));
    assert!(d.next_event().is_none());
}

/// The events and the ending of `body` through a [`Toy`] that never
/// finishes, for `framing`.
fn without_finish(framing: Framing, body: &[u8]) -> Decoded {
    let toy = Toy {
        cut_ok: true,
        finishes: false,
    };
    decode_pieces("toy", framing, toy, &[body])
}

#[test]
fn a_reply_that_ends_without_a_finish_ends_with_the_error_of_a_cut_reply() {
    // Whether the decoder accepted the end of the body or saw its end
    // marker, and whatever the framing: no finish, no success.
    for (framing, body) in [
        (Framing::Sse, &b"data: a\n\n"[..]),
        (Framing::Sse, b"data: a\n\ndata: [DONE]\n\n"),
        (Framing::Ndjson, b"a\n"),
        (Framing::Ndjson, b"a\n[DONE]"),
    ] {
        let d = without_finish(framing, body);
        assert_eq!(d.ending, Ending::Failed, "{body:?}");
        assert_eq!(
            shown(&d.events.into_iter().map(Ok).collect::<Vec<_>>())[0],
            "a"
        );
        // The same typed error as `ReplyState::cut`'s.
        let mut reply = yat_core::assemble::ReplyState::new("toy");
        let cut = reply.cut(&mut VecDeque::new(), "no finish").unwrap_err();
        let e = d.error.expect("an error");
        assert_eq!((e.kind(), e.to_string()), (cut.kind(), cut.to_string()));
    }
}

#[test]
fn the_cut_error_comes_once_and_then_nothing() {
    let mut d = DecodeDriver::new(
        "toy",
        Box::new(Toy {
            cut_ok: true,
            finishes: false,
        }),
    );
    d.feed(b"data: a\n\n");
    d.end();
    assert_eq!(shown(&[d.next_event().unwrap()]), ["a"]);
    assert_eq!(shown(&[d.next_event().unwrap()]), ["eof"]);
    assert!(matches!(
        d.next_event(),
        Some(Err(YatError::Network { .. }))
    ));
    assert_eq!(d.ending(), Some(Ending::Failed));
    assert!(d.next_event().is_none());
}

#[test]
fn ndjson_lines_reach_the_decoder_as_data_however_the_body_is_cut() {
    let body = b"a\r\n\ntwo\n  \nb\r[DONE]\nlater\n".as_slice();
    let run = |pieces: &[&[u8]]| {
        let d = decode_pieces(
            "toy",
            Framing::Ndjson,
            Toy {
                cut_ok: false,
                finishes: true,
            },
            pieces,
        );
        (
            shown(&d.events.into_iter().map(Ok).collect::<Vec<_>>()),
            d.ending,
        )
    };
    let whole = crate::cuts::assert_split_invariant(body, run);
    assert_eq!(
        whole,
        (
            vec![
                "a".into(),
                "t1".into(),
                "t2".into(),
                "b".into(),
                "finish".into()
            ],
            Ending::Marker
        )
    );
}

#[test]
fn a_broken_ndjson_line_is_a_malformed_response_naming_the_provider() {
    let mut d = DecodeDriver::with_framing(
        "toy",
        Framing::Ndjson,
        Box::new(Toy {
            cut_ok: true,
            finishes: true,
        }),
    );
    d.feed(b"a\n\xff\nb\n");
    assert_eq!(shown(&[d.next_event().unwrap()]), ["a"]);
    match d.next_event() {
        Some(Err(YatError::MalformedResponse {
            provider, message, ..
        })) => {
            assert_eq!(provider, "toy");
            assert!(message.contains("broken NDJSON stream"), "{message}");
            assert!(message.contains("invalid UTF-8 at byte 2"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(d.next_event().is_none(), "nothing after an error");
}
