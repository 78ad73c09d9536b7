//! What every provider's decoder bench shares: emptying a decoder's
//! output, and the benches through the transport's decode loop
//! (`DecodeDriver`: the SSE decoder, then a provider's decoder).

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Throughput};
use yat::ChatEvent;
use yat_http::DecodeDriver;

use super::tool_args;

/// Drops every event in `out`, returning the text bytes seen (so that
/// nothing is optimised away).
pub fn drain(out: &mut VecDeque<ChatEvent>) -> usize {
    let mut n = 0;
    while let Some(ev) = out.pop_front() {
        if let ChatEvent::Delta { text } = ev {
            n += text.len();
        }
    }
    n
}

/// `with_sse/10k`: `head`, then 10,000 times the text event `event`, as
/// bytes on the wire, fed to a fresh driver from `driver` in 16 KiB reads,
/// as a transport does, every event pulled after each read (the whole
/// per-event library cost).
pub fn bench_text(
    group: &mut BenchmarkGroup<'_, WallTime>,
    driver: impl Fn() -> DecodeDriver,
    head: &[u8],
    event: &[u8],
) {
    let wire = [head, &event.repeat(10_000)].concat();
    let wire = wire.as_slice();
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("with_sse/10k", |b| {
        b.iter(|| {
            let mut driver = driver();
            let mut n = 0usize;
            for piece in black_box(wire).chunks(16 * 1024) {
                driver.feed(piece);
                while let Some(ev) = driver.next_event() {
                    if let ChatEvent::Delta { text } = ev.expect("valid event") {
                        n += text.len();
                    }
                }
            }
            n
        })
    });
}

/// `tool_call_with_sse/2KiB_in_200`: `wire`, one call `id` of the
/// [`tool_args`] call, through a fresh driver from `driver`; checked once
/// to decode to that call before it is timed.
pub fn bench_tool_call(
    group: &mut BenchmarkGroup<'_, WallTime>,
    driver: impl Fn() -> DecodeDriver,
    wire: &[u8],
    id: &str,
    args: &str,
) {
    let mut check = driver();
    check.feed(wire);
    check.end();
    let events: Vec<ChatEvent> = std::iter::from_fn(|| check.next_event())
        .map(|ev| ev.expect("valid tool-call stream"))
        .collect();
    tool_args::assert_one_call(&events, id, args);
    group.throughput(Throughput::Elements(tool_args::FRAGMENTS as u64));
    group.bench_function("tool_call_with_sse/2KiB_in_200", |b| {
        b.iter(|| {
            let mut driver = driver();
            driver.feed(black_box(wire));
            driver.end();
            tool_args::drain(&mut driver)
        })
    });
}
