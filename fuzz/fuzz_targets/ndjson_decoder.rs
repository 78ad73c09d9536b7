//! The NDJSON decoder over arbitrary bytes cut at arbitrary points.
//!
//! Input: `yat_fuzz::LineInput`, with the default limit of 4 MiB; bit 2 of
//! `ctrl` is not used (lines are always pulled after every piece).
//!
//! Checked: no panic, no endless pull loop; the same lines and errors (with
//! their offsets) as a one-piece decode, whether cut at the given points or
//! fed byte by byte; `finish` has at most one item left after a full drain;
//! memory held stays about the limit plus one piece.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_fuzz::{ndjson_decode, LineInput};
use yat_http::NdjsonDecoder;

fuzz_target!(|data: &[u8]| {
    let input = LineInput::read(data, NdjsonDecoder::DEFAULT_LIMIT);
    input.check_any_cut(|pieces, _| ndjson_decode(input.limit, pieces));
});
