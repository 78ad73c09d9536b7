//! The openai stream decoder (`yat_providers::openai::stream::ChunkDecoder`) over
//! arbitrary events, alone and behind the SSE decoder; see
//! `yat_fuzz::fuzz_stream` for the input layout and what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_providers::openai::stream::ChunkDecoder;

fuzz_target!(|data: &[u8]| {
    yat_fuzz::fuzz_stream(data, || ChunkDecoder::new("openai"));
});
