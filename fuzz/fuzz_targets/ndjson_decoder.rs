//! The NDJSON decoder over arbitrary bytes cut at arbitrary points.
//!
//! Input: `ctrl`, `limit byte`, cut count and `u16` cut points
//! (`yat_fuzz::read_cuts`), then the body. `ctrl`:
//! - bits 0-1, the line limit: the default (4 MiB), `limit byte % 64`,
//!   `limit byte % 8`, or `256 + 16 * limit byte`;
//! - bits 3-7: the body is repeated `1 + (ctrl >> 3) * 2` times (up to 63),
//!   so a line far longer than the limit arrives in many pieces.
//!
//! Checked: no panic, no endless pull loop; the same lines and errors (with
//! their offsets) as a one-piece decode, whether cut at the given points or
//! fed byte by byte; `finish` has at most one item left after a full drain;
//! memory held stays about the limit plus one piece.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_fuzz::{ndjson_decode, read_cuts, split, Reader};
use yat_http::NdjsonDecoder;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let ctrl = r.u8();
    let lim = r.u8();
    let limit = match ctrl & 3 {
        0 => NdjsonDecoder::DEFAULT_LIMIT,
        1 => usize::from(lim % 64),
        2 => usize::from(lim % 8),
        _ => 256 + 16 * usize::from(lim),
    };
    let reps = 1 + usize::from(ctrl >> 3) * 2;
    let cuts = read_cuts(&mut r);
    let body = r.rest();
    let stream: Vec<u8> = body.repeat(reps);

    let whole = ndjson_decode(limit, &[&stream]);
    let pieces = split(&stream, &cuts);
    assert_eq!(ndjson_decode(limit, &pieces), whole, "cut at {cuts:?}");
    if reps > 1 {
        let mut rep_pieces = Vec::new();
        for _ in 0..reps {
            rep_pieces.extend(split(body, &cuts));
        }
        assert_eq!(ndjson_decode(limit, &rep_pieces), whole, "repeated");
    }
    if stream.len() <= 8192 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(ndjson_decode(limit, &bytes), whole, "byte by byte");
    }
});
