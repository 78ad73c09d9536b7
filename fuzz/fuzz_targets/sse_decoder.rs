//! The SSE decoder over arbitrary bytes cut at arbitrary points.
//!
//! Input: `ctrl`, `limit byte`, cut count and `u16` cut points
//! (`yat_fuzz::read_cuts`), then the body. `ctrl`:
//! - bits 0-1, the line/data limit: the default (4 MiB), `limit byte % 64`,
//!   `limit byte % 8`, or `256 + 16 * limit byte`;
//! - bit 2: feed every piece before pulling any event (no memory bound then:
//!   the caller chose to let input accumulate);
//! - bits 3-7: the body is repeated `1 + (ctrl >> 3) * 2` times (up to 63),
//!   so a line far longer than the limit arrives in many pieces.
//!
//! Checked: no panic, no endless pull loop; the same events, errors (with
//! their offsets), last event id and retry as a one-piece decode, whether
//! cut at the given points or fed byte by byte; `finish` has at most one
//! item left after a full drain; memory held stays about the limit plus one
//! piece however long the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_fuzz::{read_cuts, split, sse_decode, Reader};
use yat_http::SseDecoder;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let ctrl = r.u8();
    let lim = r.u8();
    let limit = match ctrl & 3 {
        0 => SseDecoder::DEFAULT_LIMIT,
        1 => usize::from(lim % 64),
        2 => usize::from(lim % 8),
        _ => 256 + 16 * usize::from(lim),
    };
    let no_drain = ctrl & 4 != 0;
    let reps = 1 + usize::from(ctrl >> 3) * 2;
    let cuts = read_cuts(&mut r);
    let body = r.rest();
    let stream: Vec<u8> = body.repeat(reps);

    let whole = sse_decode(limit, &[&stream], true);
    // Cut at the given points, pulling after every piece or not.
    let pieces = split(&stream, &cuts);
    assert_eq!(
        sse_decode(limit, &pieces, !no_drain),
        whole,
        "cut at {cuts:?}"
    );
    // The body's own pieces, repeated: a long stream in bounded pieces.
    if reps > 1 {
        let mut rep_pieces = Vec::new();
        for _ in 0..reps {
            rep_pieces.extend(split(body, &cuts));
        }
        assert_eq!(sse_decode(limit, &rep_pieces, true), whole, "repeated");
    }
    // Byte by byte, the hardest split.
    if stream.len() <= 8192 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(sse_decode(limit, &bytes, true), whole, "byte by byte");
    }
});
