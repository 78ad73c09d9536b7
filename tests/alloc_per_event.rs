//! No allocation per event beyond the text delta itself.
//!
//! A stream of chunks is pushed through the SSE decoder and a provider's
//! decoder, in the pieces a transport would feed, with a counting global
//! allocator installed. Once the buffers have grown to their working size,
//! each text delta costs exactly one allocation, of exactly the delta's
//! length (the `String` in `ChatEvent::Delta`), and nothing else allocates
//! per event: not the SSE framing, not the JSON, not the event queue.
//!
//! A buffer may still grow once in the measured stretch, the first time an
//! event straddles a feed in a way the warm-up did not meet (the SSE
//! decoder then keeps that event's data in a reused string): at most
//! [`SLACK`] allocations in ten thousand events, independent of their
//! number.
#![cfg(feature = "openai")]

use std::alloc::System;
use std::collections::VecDeque;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use yat::ChatEvent;
use yat_providers::http::{SseDecoder, StreamDecoder};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Counts of one measured stretch.
#[derive(Debug, PartialEq, Eq)]
struct Counted {
    allocations: usize,
    reallocations: usize,
    bytes: usize,
}

/// Allocations allowed beyond one per delta in a measured stretch: buffer
/// growth, which does not scale with the number of events.
const SLACK: usize = 4;

/// One allocation of exactly the delta per delta, give or take [`SLACK`]
/// allocations (of at most 64 KiB in all) of buffer growth.
fn assert_per_delta(got: &Counted, deltas: usize, delta_bytes: Option<usize>, what: &str) {
    let extra = got.allocations.checked_sub(deltas);
    assert!(
        extra.is_some_and(|e| e + got.reallocations <= SLACK),
        "{what}: {got:?} for {deltas} deltas"
    );
    if let Some(delta_bytes) = delta_bytes {
        let extra_bytes = got.bytes.checked_sub(delta_bytes);
        assert!(
            extra_bytes.is_some_and(|b| b <= 64 * 1024)
                && (extra != Some(0) || extra_bytes == Some(0)),
            "{what}: {got:?} for {deltas} deltas of {delta_bytes} bytes"
        );
    }
}

/// Feeds `wire` in `piece`-byte pieces: first `warm` bytes unmeasured, then
/// the rest measured. Returns the counts and (deltas, delta bytes) of the
/// measured part.
fn measure(
    decoder: &mut dyn StreamDecoder,
    wire: &[u8],
    warm: usize,
    piece: usize,
) -> (Counted, usize, usize) {
    let mut sse = SseDecoder::new();
    let mut out: VecDeque<ChatEvent> = VecDeque::with_capacity(8);
    let mut deltas = 0usize;
    let mut delta_bytes = 0usize;
    let (head, tail) = wire.split_at(warm);
    let mut run = |bytes: &[u8], deltas: &mut usize, delta_bytes: &mut usize| {
        for chunk in bytes.chunks(piece) {
            sse.feed(chunk);
            while let Some(ev) = sse.next_event() {
                let ev = ev.expect("valid SSE");
                decoder.decode(&ev, &mut out).expect("valid event");
                while let Some(ev) = out.pop_front() {
                    if let ChatEvent::Delta { text } = ev {
                        *deltas += 1;
                        *delta_bytes += text.len();
                    }
                }
            }
        }
    };
    let (mut d0, mut b0) = (0, 0);
    run(head, &mut d0, &mut b0);
    let region = Region::new(GLOBAL);
    run(tail, &mut deltas, &mut delta_bytes);
    let change = region.change();
    (
        Counted {
            allocations: change.allocations,
            reallocations: change.reallocations,
            bytes: change.bytes_allocated,
        },
        deltas,
        delta_bytes,
    )
}

fn openai_wire(n: usize, token: &str) -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..n {
        wire.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-{i:08}\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\
                 \"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_yat0001\",\
                 \"choices\":[{{\"index\":0,\"delta\":{{\"content\":{token}}},\"logprobs\":null,\"finish_reason\":null}}],\
                 \"usage\":null}}\n\n"
            )
            .as_bytes(),
        );
    }
    wire
}

#[cfg(feature = "anthropic")]
fn anthropic_wire(n: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..n {
        wire.extend_from_slice(
            format!(
                "event: content_block_delta\r\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\
                 \"delta\":{{\"type\":\"text_delta\",\"text\":\"token {i} \"}}}}\r\n\r\n"
            )
            .as_bytes(),
        );
    }
    wire
}

// One test function: the allocator's counters are global, so nothing else
// may run while a stretch is measured.
#[test]
fn one_allocation_per_text_delta_and_nothing_else() {
    use yat_providers::openai::stream::ChunkDecoder;

    for piece in [16 * 1024, 1500, 97] {
        // Plain text: one allocation of exactly the text per delta.
        let wire = openai_wire(12_000, "\"tok \"");
        let (got, deltas, delta_bytes) = measure(
            &mut ChunkDecoder::new("openai"),
            &wire,
            wire.len() / 6,
            piece,
        );
        assert!(deltas >= 9_000, "{deltas}");
        assert_per_delta(
            &got,
            deltas,
            Some(delta_bytes),
            &format!("OpenAI chunks fed in {piece}-byte pieces"),
        );

        // Text with escapes is unescaped into its one allocation.
        let wire = openai_wire(6_000, r#""line\n\"q\" \u00e9""#);
        let (got, deltas, _) = measure(
            &mut ChunkDecoder::new("openai"),
            &wire,
            wire.len() / 6,
            piece,
        );
        assert_per_delta(
            &got,
            deltas,
            None,
            &format!("escaped OpenAI chunks fed in {piece}-byte pieces"),
        );
    }

    #[cfg(feature = "anthropic")]
    {
        use yat_providers::anthropic::stream::AnthropicDecoder;
        let wire = anthropic_wire(12_000);
        let (got, deltas, delta_bytes) = measure(
            &mut AnthropicDecoder::new("anthropic"),
            &wire,
            wire.len() / 6,
            16 * 1024,
        );
        assert!(deltas >= 9_000, "{deltas}");
        assert_per_delta(&got, deltas, Some(delta_bytes), "Anthropic events");
    }
}
