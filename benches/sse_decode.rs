//! Throughput of the SSE decoder on realistic LLM streams.
//!
//! `cargo bench --bench sse_decode` reports bytes per second: OpenAI-style
//! events (one ~200-byte `data: {json}` line each) fed in one piece, in
//! 16 KiB pieces (a typical HTTP body chunk) and in 1 KiB pieces; and
//! Anthropic-style events (`event:` + `data:` lines, CRLF) in 16 KiB pieces.

// `criterion_group!` defines a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use yat_http::SseDecoder;

/// About 1 MiB of Chat Completions chunks ending in `data: [DONE]`.
fn openai_stream() -> Vec<u8> {
    let words = [
        "Hello", " world", "!", " How", " can", " I", " help", " you", " today", "?",
    ];
    let mut out = Vec::new();
    let mut i = 0usize;
    while out.len() < 1 << 20 {
        let word = words[i % words.len()];
        out.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-9xYz{i:06}\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\
                 \"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}},\
                 \"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// About 1 MiB of Messages API events, CRLF line ends.
fn anthropic_stream() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while out.len() < 1 << 20 {
        out.extend_from_slice(
            format!(
                "event: content_block_delta\r\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\
                 \"delta\":{{\"type\":\"text_delta\",\"text\":\"token {i} of the answer, with some more text\"}}}}\r\n\r\n"
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.extend_from_slice(b"event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n");
    out
}

/// Decodes `bytes` fed in `piece`-sized chunks, as a transport would, and
/// returns the total data length so that nothing is optimised away.
fn decode(bytes: &[u8], piece: usize) -> usize {
    let mut dec = SseDecoder::new();
    let mut total = 0usize;
    for chunk in bytes.chunks(piece) {
        dec.feed(chunk);
        while let Some(ev) = dec.next_event() {
            let ev = ev.expect("benchmark input is valid");
            total += ev.data.len() + ev.event.len();
        }
    }
    while let Some(ev) = dec.finish() {
        total += ev.expect("benchmark input is valid").data.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let openai = openai_stream();
    let anthropic = anthropic_stream();
    let mut group = c.benchmark_group("sse_decode");
    group.throughput(Throughput::Bytes(openai.len() as u64));
    for (name, piece) in [
        ("whole", openai.len()),
        ("16KiB", 16 * 1024),
        ("1KiB", 1024),
    ] {
        group.bench_with_input(BenchmarkId::new("openai", name), &piece, |b, &piece| {
            b.iter(|| decode(black_box(&openai), piece))
        });
    }
    group.throughput(Throughput::Bytes(anthropic.len() as u64));
    group.bench_function(BenchmarkId::new("anthropic", "16KiB"), |b| {
        b.iter(|| decode(black_box(&anthropic), 16 * 1024))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
