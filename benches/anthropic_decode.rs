//! One Anthropic `content_block_delta` event into a `ChatEvent`.
//!
//! `cargo bench --features anthropic --bench anthropic_decode` reports the
//! time per event of `AnthropicDecoder::decode` (the event-name dispatch,
//! the JSON parse, the delta's one allocation, and dropping the event) for
//! the event the Messages API sends per token, named by its `event:` line
//! as on the wire, and the same through the SSE decoder from raw bytes.

// `criterion_group!` defines a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yat::ChatEvent;
use yat_providers::anthropic::stream::AnthropicDecoder;
use yat_providers::http::{SseDecoder, SseEvent, StreamDecoder};

const DELTA: &str =
    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok "}}"#;

fn drain(out: &mut VecDeque<ChatEvent>) -> usize {
    let mut n = 0;
    while let Some(ev) = out.pop_front() {
        if let ChatEvent::Delta { text } = ev {
            n += text.len();
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("anthropic_event");
    group.throughput(Throughput::Elements(1));
    let mut dec = AnthropicDecoder::new("anthropic");
    let mut out = VecDeque::with_capacity(8);
    let ev = SseEvent {
        event: "content_block_delta",
        data: DELTA,
        id: None,
        retry: None,
    };
    dec.decode(&ev, &mut out).expect("valid event");
    assert!(drain(&mut out) > 0);
    group.bench_function("content_block_delta", |b| {
        b.iter(|| {
            dec.decode(black_box(&ev), &mut out).expect("valid event");
            drain(&mut out)
        })
    });

    let mut wire = Vec::new();
    for _ in 0..10_000 {
        wire.extend_from_slice(b"event: content_block_delta\ndata: ");
        wire.extend_from_slice(DELTA.as_bytes());
        wire.extend_from_slice(b"\n\n");
    }
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("with_sse/10k", |b| {
        b.iter(|| {
            let mut sse = SseDecoder::new();
            let mut dec = AnthropicDecoder::new("anthropic");
            let mut n = 0usize;
            for piece in black_box(&wire).chunks(16 * 1024) {
                sse.feed(piece);
                while let Some(ev) = sse.next_event() {
                    dec.decode(&ev.expect("valid SSE"), &mut out)
                        .expect("valid event");
                    n += drain(&mut out);
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
