//! 200 concurrent streams through one provider instance in one process.
//!
//! `cargo bench --features openai --bench concurrent_streams` serves
//! OpenAI streams of 2,000 chunks from the fake server (on its own thread)
//! and drives them from a current-thread runtime, as the CLI does:
//!
//! * one at a time, 20 streams in a row;
//! * 200 at once through the same provider instance (200 connections).
//!
//! It prints the client's CPU per chunk in each case (the CPU time of the
//! runtime's thread, from `/proc/thread-self/schedstat`, so the server's
//! thread is not counted) and their ratio; the target is at most 2×. A
//! plain program, not criterion: each figure is one long run, the median of
//! five. Without `--bench` (as `cargo test --benches` runs it) it runs a
//! small version once, as a smoke test.

// A bench's `main` needs no doc comment.
#![allow(missing_docs)]

use std::time::Instant;

use futures::StreamExt;
use yat::{ChatEvent, ChatRequest, Message, ModelRef, ProviderManager};
use yat_fakeserver::{FakeServer, Format, Generated, Response, Route};

/// Chunks per stream, concurrent streams, streams in a row, repeats.
const FULL: (usize, usize, usize, usize) = (2_000, 200, 20, 5);
/// The smoke test's.
const SMOKE: (usize, usize, usize, usize) = (100, 10, 2, 1);

/// Nanoseconds this thread has run, or `None` off Linux.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Streams one reply and returns its number of deltas.
async fn one(manager: &ProviderManager, target: &ModelRef, chunks: usize) -> usize {
    let request = ChatRequest::new("", vec![Message::user("hi")]);
    let mut stream = manager.chat(target, request).await.expect("stream starts");
    let mut deltas = 0;
    while let Some(event) = stream.next().await {
        if let ChatEvent::Delta { .. } = event.expect("no error mid-stream") {
            deltas += 1;
        }
    }
    assert_eq!(deltas, chunks);
    deltas
}

/// CPU nanoseconds per chunk and wall seconds of `run`.
async fn measure<F: std::future::Future<Output = usize>>(run: F) -> (f64, f64) {
    let cpu = thread_cpu_ns().unwrap_or(0);
    let start = Instant::now();
    let chunks = run.await;
    let wall = start.elapsed().as_secs_f64();
    let used = thread_cpu_ns().unwrap_or(0).saturating_sub(cpu);
    (used as f64 / chunks.max(1) as f64, wall)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (chunks, concurrent_n, sequential, repeats) = if full { FULL } else { SMOKE };
    if thread_cpu_ns().is_none() {
        eprintln!("concurrent_streams: needs /proc/thread-self/schedstat (Linux); skipped");
        return;
    }
    let server = FakeServer::start_blocking(
        "127.0.0.1:0".parse().expect("literal address"),
        vec![Route::new("POST", "/v1/chat/completions")
            .respond(Response::generated(Generated::new(Format::OpenAi, chunks)))],
        false,
    )
    .expect("fake server starts");
    let dir = tempfile::tempdir().expect("scratch dir");
    std::env::set_var("YAT_CONFIG", dir.path().join("provider_config.json"));
    std::env::set_var("YAT_DATA_DIR", dir.path().join("data"));
    std::env::set_var("OPENAI_API_KEY", "dummy");
    std::env::set_var("OPENAI_BASE_URL", format!("{}/v1", server.url()));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let manager = yat::manager().await.expect("manager");
        let target: ModelRef = "openai/gpt-4o-mini".parse().expect("model ref");
        // Builds the client and opens a pooled connection.
        one(&manager, &target, chunks).await;

        let mut single = Vec::new();
        let mut concurrent = Vec::new();
        let mut walls = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            let (cpu, wall) = measure(async {
                let mut n = 0;
                for _ in 0..sequential {
                    n += one(&manager, &target, chunks).await;
                }
                n
            })
            .await;
            single.push(cpu);
            walls.0.push(wall);
            let (cpu, wall) = measure(async {
                let all = (0..concurrent_n).map(|_| one(&manager, &target, chunks));
                futures::future::join_all(all).await.iter().sum()
            })
            .await;
            concurrent.push(cpu);
            walls.1.push(wall);
        }
        let (single, concurrent) = (median(single), median(concurrent));
        println!(
            "one stream at a time ({sequential} × {chunks} chunks): {:.0} ns CPU per chunk, {:.3} s wall",
            single,
            median(walls.0)
        );
        println!(
            "{concurrent_n} concurrent streams ({concurrent_n} × {chunks} chunks): {:.0} ns CPU per chunk, {:.3} s wall",
            concurrent,
            median(walls.1)
        );
        println!(
            "ratio: {:.2}× (target: at most 2×; medians of {repeats})",
            concurrent / single
        );
    });
}
