//! The SSE decoder over arbitrary bytes cut at arbitrary points.
//!
//! Input: `yat_fuzz::LineInput`, with the default limit of 4 MiB (the
//! limit applies to lines and data); bit 2 of `ctrl` feeds every piece
//! before pulling any event (no memory bound then: the caller chose to let
//! input accumulate).
//!
//! Checked: no panic, no endless pull loop; the same events, errors (with
//! their offsets), last event id and retry as a one-piece decode, whether
//! cut at the given points or fed byte by byte; `finish` has at most one
//! item left after a full drain; memory held stays about the limit plus one
//! piece however long the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_fuzz::{sse_decode, LineInput};
use yat_http::SseDecoder;

fuzz_target!(|data: &[u8]| {
    let input = LineInput::read(data, SseDecoder::DEFAULT_LIMIT);
    input.check_any_cut(|pieces, drain| sse_decode(input.limit, pieces, drain));
});
