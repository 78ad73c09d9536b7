//! The cohere stream decoder (`yat_providers::cohere::stream::CohereDecoder`) over
//! arbitrary events, alone and behind the SSE decoder; see
//! `yat_fuzz::fuzz_stream` for the input layout and what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_providers::cohere::stream::CohereDecoder;

fuzz_target!(|data: &[u8]| {
    yat_fuzz::fuzz_stream(data, || CohereDecoder::new("cohere"));
});
