//! The decoder against the standard's rules (`standard`), its limits and
//! memory bounds (`bounds`), and a literal transcription of the standard
//! as an oracle for generated streams cut every way (`reference`). Here:
//! the helpers they share.

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

mod bounds;
mod reference;
mod standard;
