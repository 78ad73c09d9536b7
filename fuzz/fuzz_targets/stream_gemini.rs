//! The gemini stream decoder (`yat_providers::gemini::stream::GeminiDecoder`) over
//! arbitrary events, alone and behind the SSE decoder; see
//! `yat_fuzz::fuzz_stream` for the input layout and what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_providers::gemini::stream::GeminiDecoder;

fuzz_target!(|data: &[u8]| {
    yat_fuzz::fuzz_stream(data, || GeminiDecoder::new("gemini"));
});
