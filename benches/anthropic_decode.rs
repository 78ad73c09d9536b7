//! One Anthropic `content_block_delta` event into a `ChatEvent`.
//!
//! `cargo bench --features anthropic --bench anthropic_decode` reports the
//! time per event of `AnthropicDecoder::decode` (the event-name dispatch,
//! the JSON parse, the delta's one allocation, and dropping the event) for
//! the event the Messages API sends per token, named by its `event:` line
//! as on the wire; the same from raw bytes through the transport's decode
//! loop (`DecodeDriver`: the SSE decoder, then the event decoder); and,
//! through that loop, one `tool_use` block whose 2 KiB of arguments arrive
//! in 200 `input_json_delta` events (time per fragment, the block's start
//! and stop and the message's events included).

// `criterion_group!` defines a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yat_http::{DecodeDriver, SseEvent, StreamDecoder};
use yat_providers::anthropic::stream::AnthropicDecoder;

#[path = "support/decoding.rs"]
mod decoding;
#[path = "support/tool_args.rs"]
mod tool_args;

const DELTA: &str =
    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok "}}"#;

/// What comes before the first delta: the message and its text block.
const HEAD: [(&str, &str); 2] = [
    (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_01Yat","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
    ),
    (
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("anthropic_event");
    group.throughput(Throughput::Elements(1));
    let mut dec = AnthropicDecoder::new("anthropic");
    let mut out = VecDeque::with_capacity(8);
    for (event, data) in HEAD {
        let ev = SseEvent::new(event, data);
        dec.decode(&ev, &mut out).expect("valid event");
    }
    decoding::drain(&mut out);
    let ev = SseEvent::new("content_block_delta", DELTA);
    dec.decode(&ev, &mut out).expect("valid event");
    assert!(decoding::drain(&mut out) > 0);
    group.bench_function("content_block_delta", |b| {
        b.iter(|| {
            dec.decode(black_box(&ev), &mut out).expect("valid event");
            decoding::drain(&mut out)
        })
    });

    let head: String = HEAD
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect();
    let delta = format!("event: content_block_delta\ndata: {DELTA}\n\n");
    let driver = || DecodeDriver::new("anthropic", Box::new(AnthropicDecoder::new("anthropic")));
    decoding::bench_text(&mut group, driver, head.as_bytes(), delta.as_bytes());

    let args = tool_args::arguments();
    let wire = tool_args::anthropic_wire(&args, tool_args::FRAGMENTS, "\n");
    decoding::bench_tool_call(&mut group, driver, &wire, "toolu_01Yat", &args);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
