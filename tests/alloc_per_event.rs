//! No allocation per event beyond what the event itself holds.
//!
//! A stream of chunks is pushed through the transport's decode loop
//! (`DecodeDriver`: the SSE decoder, then a provider's decoder), in the
//! pieces a transport would feed, with a counting global allocator
//! installed. Once the buffers have grown to their working size, each text
//! delta costs exactly one allocation, of exactly the delta's length (the
//! `String` in `ChatEvent::Delta`), and nothing else allocates per event:
//! not the SSE framing, not the JSON, not the event queue. A tool-call
//! fragment likewise costs one allocation (the `String` in
//! `ChatEvent::ToolCallDelta`): the cost grows linearly with the fragments,
//! plus the doubling of the one buffer the call's arguments collect in. A
//! text message (`Message::user("hi")`) is one allocation: its one part is
//! held inline.
//!
//! A buffer may still grow once in the measured stretch, the first time an
//! event straddles a feed in a way the warm-up did not meet (the SSE
//! decoder then keeps that event's data in a reused string): at most
//! [`SLACK`] allocations in ten thousand events, independent of their
//! number.
#![cfg(feature = "openai")]

use std::alloc::System;
use std::hint::black_box;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use yat::{ChatEvent, Message};
use yat_http::{DecodeDriver, StreamDecoder};

#[path = "../benches/support/tool_args.rs"]
mod tool_args;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Counts of one measured stretch.
#[derive(Debug, PartialEq, Eq)]
struct Counted {
    allocations: usize,
    reallocations: usize,
    bytes: usize,
}

/// What a measured stretch produced.
#[derive(Debug, Default)]
struct Seen {
    /// Text deltas and their bytes.
    deltas: usize,
    delta_bytes: usize,
    /// Tool-call argument fragments and their bytes.
    fragments: usize,
    fragment_bytes: usize,
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

/// Feeds `wire` through a driver of `decoder` in `piece`-byte pieces,
/// pulling every event after each piece: `wire[..warm]` unmeasured, then
/// `wire[warm..stop]` measured, then the rest unmeasured (so that the
/// stream completes). Returns the counts and what the measured part
/// produced.
fn measure(
    decoder: impl StreamDecoder,
    wire: &[u8],
    (warm, stop): (usize, usize),
    piece: usize,
) -> (Counted, Seen) {
    let mut driver = DecodeDriver::new("test", Box::new(decoder));
    let mut run = |bytes: &[u8], seen: &mut Seen| {
        for chunk in bytes.chunks(piece) {
            driver.feed(chunk);
            while let Some(ev) = driver.next_event() {
                match ev.expect("valid stream") {
                    ChatEvent::Delta { text } => {
                        seen.deltas += 1;
                        seen.delta_bytes += text.len();
                    }
                    ChatEvent::ToolCallDelta { arguments, .. } => {
                        seen.fragments += 1;
                        seen.fragment_bytes += arguments.len();
                    }
                    _ => {}
                }
            }
        }
    };
    run(&wire[..warm], &mut Seen::default());
    let mut seen = Seen::default();
    let region = Region::new(GLOBAL);
    run(&wire[warm..stop], &mut seen);
    let change = region.change();
    run(&wire[stop..], &mut Seen::default());
    (
        Counted {
            allocations: change.allocations,
            reallocations: change.reallocations,
            bytes: change.bytes_allocated,
        },
        seen,
    )
}

/// The stretch of a text stream measured: all but the first sixth.
fn after_a_sixth(wire: &[u8]) -> (usize, usize) {
    (wire.len() / 6, wire.len())
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

/// `n` text deltas after the message's start and its text block's start.
#[cfg(feature = "anthropic")]
fn anthropic_wire(n: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    wire.extend_from_slice(
        concat!(
            "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\
             \"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\
             \"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\r\n\r\n",
            "event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":0,\
             \"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n",
        )
        .as_bytes(),
    );
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

/// Arguments of `n` ten-byte fragments: plain letters, or (`escaped`) code
/// whose quotes, backslashes and newlines are escaped on the wire.
fn fragmented_args(n: usize, escaped: bool) -> String {
    let unit = if escaped {
        "say(\"hi\")\n"
    } else {
        "abcdefghij"
    };
    let per_unit = serde_json::to_string(unit).unwrap().len() - 2;
    let content = unit.repeat((10 * n).div_ceil(per_unit));
    serde_json::json!({ "c": content }).to_string()
}

/// The measured stretch of a tool-call stream: from a sixth to five sixths,
/// so the call's start and end (which parses the arguments) stay outside.
fn middle(wire: &[u8]) -> (usize, usize) {
    (wire.len() / 6, wire.len() * 5 / 6)
}

/// One allocation per fragment (the `String` of its `ToolCallDelta`),
/// give or take [`SLACK`], plus the doubling of the buffer the call's
/// arguments collect in (`before` bytes at the start of the stretch): at
/// most one reallocation per doubling. The cost is linear in the fragments,
/// escaped or not: like the text of a delta, a fragment is unescaped into
/// its one allocation.
/// Returns what is wrong, so that every case is measured before the test
/// fails.
fn per_fragment(got: &Counted, seen: &Seen, before: usize, what: &str) -> Option<String> {
    let doublings =
        (usize::BITS - ((before + seen.fragment_bytes) / before.max(1)).leading_zeros()) as usize;
    assert!(seen.fragments >= 8_000, "{what}: {seen:?}");
    let within = got
        .allocations
        .checked_sub(seen.fragments)
        .is_some_and(|extra| extra <= SLACK)
        && got.reallocations <= doublings + SLACK;
    (!within).then(|| {
        format!(
            "{what}: {got:?} for {} fragments (the arguments buffer doubles {doublings} times at most)",
            seen.fragments
        )
    })
}

// One test function: the allocator's counters are global, so nothing else
// may run while a stretch is measured.
#[test]
fn one_allocation_per_text_delta_or_tool_fragment_and_nothing_else() {
    use yat_providers::openai::stream::ChunkDecoder;

    // A text message holds its one part inline: the text is the only
    // allocation.
    let region = Region::new(GLOBAL);
    let message = black_box(Message::user(black_box("hi")));
    let change = region.change();
    drop(message);
    assert_eq!(
        (
            change.allocations,
            change.reallocations,
            change.bytes_allocated
        ),
        (1, 0, 2),
        "Message::user(\"hi\")"
    );

    for piece in [16 * 1024, 1500, 97] {
        // Plain text: one allocation of exactly the text per delta.
        let wire = openai_wire(12_000, "\"tok \"");
        let (got, seen) = measure(
            ChunkDecoder::new("openai"),
            &wire,
            after_a_sixth(&wire),
            piece,
        );
        assert!(seen.deltas >= 9_000, "{seen:?}");
        assert_per_delta(
            &got,
            seen.deltas,
            Some(seen.delta_bytes),
            &format!("OpenAI chunks fed in {piece}-byte pieces"),
        );

        // Text with escapes is unescaped into its one allocation.
        let wire = openai_wire(6_000, r#""line\n\"q\" \u00e9""#);
        let (got, seen) = measure(
            ChunkDecoder::new("openai"),
            &wire,
            after_a_sixth(&wire),
            piece,
        );
        assert_per_delta(
            &got,
            seen.deltas,
            None,
            &format!("escaped OpenAI chunks fed in {piece}-byte pieces"),
        );
    }

    // Tool calls: 12,000 fragments of ten bytes, plain and escaped.
    let mut over = Vec::new();
    for escaped in [false, true] {
        let args = fragmented_args(12_000, escaped);
        let wire = tool_args::openai_wire(&args, 12_000);
        let (got, seen) = measure(ChunkDecoder::new("openai"), &wire, middle(&wire), 16 * 1024);
        over.extend(per_fragment(
            &got,
            &seen,
            args.len() / 6,
            &format!("OpenAI tool-call fragments (escaped: {escaped})"),
        ));
    }

    #[cfg(feature = "anthropic")]
    {
        use yat_providers::anthropic::stream::AnthropicDecoder;
        let wire = anthropic_wire(12_000);
        let (got, seen) = measure(
            AnthropicDecoder::new("anthropic"),
            &wire,
            after_a_sixth(&wire),
            16 * 1024,
        );
        assert!(seen.deltas >= 9_000, "{seen:?}");
        assert_per_delta(
            &got,
            seen.deltas,
            Some(seen.delta_bytes),
            "Anthropic events",
        );

        for escaped in [false, true] {
            let args = fragmented_args(12_000, escaped);
            let wire = tool_args::anthropic_wire(&args, 12_000, "\r\n");
            let (got, seen) = measure(
                AnthropicDecoder::new("anthropic"),
                &wire,
                middle(&wire),
                16 * 1024,
            );
            over.extend(per_fragment(
                &got,
                &seen,
                args.len() / 6,
                &format!("Anthropic input_json_delta fragments (escaped: {escaped})"),
            ));
        }
    }
    assert!(
        over.is_empty(),
        "more than one allocation per fragment:\n{}",
        over.join("\n")
    );
}
