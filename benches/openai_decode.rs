//! One OpenAI `chat.completion.chunk` into a `ChatEvent`.
//!
//! `cargo bench --features openai --bench openai_decode` reports the time
//! per event of `ChunkDecoder::decode` (the JSON parse, the delta's one
//! allocation, and dropping the event again) on:
//!
//! * `plain`: the chunk OpenAI sends for a token, byte for byte as the fake
//!   server sends it (id, object, created, model, service tier, system
//!   fingerprint, one choice with `logprobs` and `finish_reason`);
//! * `escaped`: the same with a token holding a newline, a quote and a
//!   `\u` escape (the path that has to unescape);
//! * `plain_new_prefix`: `plain`, but every chunk with another `id`, so the
//!   decoder can never resume after the prefix the previous chunk shared
//!   (what a server that varies its chunks' heads costs);
//! * `with_sse`: the raw `data:` line through the transport's decode loop
//!   (`DecodeDriver`: the SSE decoder, then the chunk decoder), fed in
//!   16 KiB pieces as a transport would (the whole per-event library cost);
//! * `tool_call_with_sse`: one tool call whose 2 KiB of arguments arrive in
//!   200 `tool_calls` fragments, through the same loop: the time per
//!   fragment, the start, the end (which parses the arguments) and the
//!   finish included.

// `criterion_group!` defines a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yat::ChatEvent;
use yat_http::{DecodeDriver, SseEvent, StreamDecoder};
use yat_providers::openai::stream::ChunkDecoder;

#[path = "support/decoding.rs"]
mod decoding;
#[path = "support/tool_args.rs"]
mod tool_args;

const PLAIN: &str = r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","choices":[{"index":0,"delta":{"content":"tok "},"logprobs":null,"finish_reason":null}],"usage":null}"#;

const ESCAPED: &str = r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","choices":[{"index":0,"delta":{"content":"\"tok\"\n\u00e9"},"logprobs":null,"finish_reason":null}],"usage":null}"#;

fn event(data: &str) -> SseEvent<'_> {
    SseEvent::new("", data)
}

/// Decodes `data` once and drops what it produced.
fn decode_one(dec: &mut ChunkDecoder, out: &mut VecDeque<ChatEvent>, data: &str) -> usize {
    dec.decode(&event(data), out).expect("valid chunk");
    decoding::drain(out)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("openai_chunk");
    group.throughput(Throughput::Elements(1));
    // As in a real stream, one decoder sees chunk after chunk of the stream.
    for (name, data) in [("plain", PLAIN), ("escaped", ESCAPED)] {
        let mut dec = ChunkDecoder::new("openai");
        let mut out = VecDeque::with_capacity(8);
        assert!(decode_one(&mut dec, &mut out, data) > 0);
        group.bench_function(name, |b| {
            b.iter(|| decode_one(&mut dec, &mut out, black_box(data)))
        });
    }

    let other = PLAIN.replace("chatcmpl-yat0001", "chatcmpl-yat0002");
    let mut dec = ChunkDecoder::new("openai");
    let mut out = VecDeque::with_capacity(8);
    let mut flip = false;
    group.bench_function("plain_new_prefix", |b| {
        b.iter(|| {
            flip = !flip;
            let data = if flip { PLAIN } else { other.as_str() };
            decode_one(&mut dec, &mut out, black_box(data))
        })
    });

    let chunk = format!("data: {PLAIN}\n\n");
    let driver = || DecodeDriver::new("openai", Box::new(ChunkDecoder::new("openai")));
    decoding::bench_text(&mut group, driver, b"", chunk.as_bytes());

    let args = tool_args::arguments();
    let wire = tool_args::openai_wire(&args, tool_args::FRAGMENTS);
    decoding::bench_tool_call(&mut group, driver, &wire, "call_yat0001", &args);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
