//! Concurrency and load (hardening issue #6): one provider instance serves
//! 200 concurrent streams from the fake server with no mixing of outputs
//! (each prompt selects its own text, and every reply is checked whole), no
//! deadlock (everything runs under a timeout), and memory that returns to
//! its level after warm-up however many rounds follow (counted exactly: a
//! counting global allocator gives the heap bytes in use), and to its level
//! before the provider existed once it is dropped; then a reload of that
//! provider in the middle of the load loses no stream.
//!
//! The figures (time per round, resident memory before, at peak, after) are
//! printed with `--nocapture` and recorded in RELIABILITY.md. The two tests
//! take turns (a lock), so one's memory is not measured during the other.
#![cfg(feature = "openai")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use yat_core::{
    ChatRequest, ChatStreamExt, LlmProvider, Message, ProviderConfig, ProviderManager,
    ProviderStatus, ResolvedSettings,
};
use yat_fakeserver::{openai_stream, FakeServer, RecordedRequest, Response, Route, Split};
use yat_providers::openai::{presets, OpenAiCompatible};

const KEY: &str = "sk-load-planted-0123456789";
const STREAMS: usize = 200;
/// Text deltas per reply.
const DELTAS: usize = 40;
/// The whole of one test, warm-up and every round included.
const LIMIT: Duration = Duration::from_secs(120);

/// One test at a time: memory figures of one must not include the other.
static TURN: Mutex<()> = Mutex::new(());

/// Counts every allocation of the process, so that the heap bytes still in
/// use after the load can be compared exactly with those before it.
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes in use now (client, runtime and fake server alike), in KiB.
fn live_kib() -> i64 {
    let s = GLOBAL.stats();
    // Reallocations are already in both byte counts.
    (s.bytes_allocated as i64 - s.bytes_deallocated as i64) / 1024
}

/// The reply to prompt `n`: deltas that name the stream and their position,
/// so any mixing of two streams shows in either's text.
fn pieces(n: usize) -> Vec<String> {
    (0..DELTAS)
        .map(|k| format!("<{n}:{k}:{}>", "·".repeat(20)))
        .collect()
}

fn expected_text(n: usize) -> String {
    pieces(n).concat()
}

/// Answers each chat with the reply its prompt (`stream N`) selects, one
/// event per write, paced so that the streams interleave.
fn echo(req: &RecordedRequest) -> Response {
    let body = req.json();
    let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
    let n: usize = prompt
        .strip_prefix("stream ")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let pieces = pieces(n);
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    Response::sse(&openai_stream(&refs))
        .split(Split::Events)
        .pace(Duration::from_millis(2))
}

/// A server answering with [`echo`] and counting the requests. It keeps no
/// copy of them (a recording server would grow with every request, which
/// the memory figures must not include).
fn echo_server() -> (FakeServer, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let server = FakeServer::start_blocking(
        "127.0.0.1:0".parse().unwrap(),
        vec![
            Route::new("POST", "/v1/chat/completions").handle(move |req| {
                counter.fetch_add(1, Ordering::SeqCst);
                echo(req)
            }),
        ],
        false,
    )
    .unwrap();
    (server, served)
}

fn request(n: usize) -> ChatRequest {
    ChatRequest::new("gpt-4o-mini", vec![Message::user(format!("stream {n}"))])
}

/// Resident memory of this process now, in KiB (`VmRSS`).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples [`rss_kib`] every 5 ms on its own thread, keeping the maximum.
struct PeakSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    fn start() -> Self {
        let peak = Arc::new(AtomicU64::new(rss_kib()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        PeakSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `STREAMS` chats at once on `p`, each on its own task, and checks
/// every reply whole. Returns the wall time.
async fn round(p: &Arc<OpenAiCompatible>) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..STREAMS)
        .map(|n| {
            let p = p.clone();
            tokio::spawn(async move {
                let r = p.stream_chat(&request(n)).await?.collect_response().await?;
                Ok::<_, yat_core::YatError>((n, r))
            })
        })
        .collect();
    for t in tasks {
        let (n, r) = t.await.expect("task").expect("stream");
        assert_eq!(r.text(), expected_text(n), "stream {n} got another's text");
        assert_eq!(r.usage.map(|u| u.output_tokens), Some(DELTAS as u64));
        assert!(r.finish.is_some(), "stream {n} has no finish");
    }
    start.elapsed()
}

#[test]
fn one_instance_serves_200_concurrent_streams_without_mixing_or_leaking() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let (server, served) = echo_server();
    let rt = runtime();
    rt.block_on(async {
        tokio::time::timeout(LIMIT, async {
            let cold = rss_kib();
            let cold_live = live_kib();
            let mut p = OpenAiCompatible::new(presets::openai::PRESET.profile());
            let base = format!("{}/v1", server.url());
            p.initialize(&ResolvedSettings::from_pairs(
                "openai",
                &[("api_key", KEY), ("base_url", &base), ("max_retries", "0")],
            ))
            .await
            .unwrap();
            let p = Arc::new(p);

            // Warm-up: the runtime's threads, the connection pool and the
            // allocator's arenas reach their working size.
            let sampler = PeakSampler::start();
            let warm_time = round(&p).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let warm = rss_kib();
            let warm_live = live_kib();
            let mut live = Vec::new();
            let mut times = vec![warm_time];
            let mut after = Vec::new();
            // `YAT_LOAD_ROUNDS=50` makes it a soak test.
            let rounds: usize = std::env::var("YAT_LOAD_ROUNDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5);
            for _ in 0..rounds {
                // A finished reply returns its connection to the pool a
                // moment later; without a pause a new round can find some
                // still busy and open more, and the pool (90 s idle
                // timeout) grows with each round instead of settling.
                tokio::time::sleep(Duration::from_millis(50)).await;
                times.push(round(&p).await);
                after.push(rss_kib());
                live.push(live_kib());
            }
            let peak = sampler.finish();
            drop(p);
            tokio::time::sleep(Duration::from_millis(200)).await;
            let dropped = rss_kib();
            let dropped_live = live_kib();
            let total: usize = STREAMS * (rounds + 1);
            assert_eq!(served.load(Ordering::SeqCst), total);
            eprintln!(
                "load: {total} streams ({STREAMS} at once x {} rounds, {DELTAS} deltas each); \
                 round times {:?}; RSS KiB: before {cold}, after warm-up {warm}, peak {peak}, \
                 after each round {after:?}, after dropping the provider {dropped}; \
                 heap KiB in use: before {cold_live}, after warm-up {warm_live}, \
                 after each round {live:?}, after dropping the provider {dropped_live}; \
                 connections opened {}",
                rounds + 1,
                times,
                server.connections(),
            );
            // No stream holds on to memory once it is done. The pool may
            // still open connections in the first two rounds (more of them
            // on a loaded machine, where streams overlap differently), so
            // the heap settles after round 2 and then stays flat: a leak of
            // 500 bytes a stream (100 KiB a round) would climb past the
            // bound over the three rounds after it. Once the provider is
            // dropped, the heap holds what it held before it existed (the
            // exact check, below).
            let settled = live.get(1).copied().unwrap_or(warm_live);
            for (i, l) in live.iter().enumerate().skip(2) {
                assert!(
                    *l <= settled + 256,
                    "heap grew from {settled} KiB (round 2) to {l} KiB after round {}",
                    i + 1
                );
            }
            assert!(
                dropped_live <= cold_live + 512,
                "{dropped_live} KiB still in use after dropping the provider (before: {cold_live})"
            );
            // Resident memory also settles (the allocator keeps freed pages
            // for reuse, so it only ever approaches a plateau).
            let last = *after.last().unwrap();
            assert!(
                last <= warm + 16 * 1024,
                "RSS grew from {warm} KiB to {last} KiB over {rounds} rounds"
            );
            // Each round of 200 streams runs concurrently: far faster than
            // one after another (each reply is paced over about 90 ms).
            for t in &times[1..] {
                assert!(*t < Duration::from_secs(15), "{t:?}");
            }
        })
        .await
        .expect("deadlock: the load did not finish in time");
    });
}

#[test]
fn reloading_the_provider_under_load_loses_no_stream() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let (old_server, old_served) = echo_server();
    let (new_server, new_served) = echo_server();
    let rt = runtime();
    rt.block_on(async {
        tokio::time::timeout(LIMIT, async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("provider_config.json");
            let point_at = |server: &FakeServer| {
                let mut cfg = ProviderConfig::default();
                cfg.provider_mut("openai").setting_mut("base_url").value =
                    Some(format!("{}/v1", server.url()).into());
                cfg.save(&path).unwrap();
            };
            point_at(&old_server);
            let env: BTreeMap<String, String> =
                [("OPENAI_API_KEY".to_owned(), KEY.to_owned())].into();
            let m = yat_providers::link(ProviderManager::builder())
                .env(env)
                .location(yat_core::ConfigLocation::for_file(path.clone(), dir.path()))
                .build()
                .await
                .unwrap();
            assert_eq!(m.info("openai").unwrap().status, ProviderStatus::Ready);

            let start = Instant::now();
            let chat = |n: usize| {
                let m = m.clone();
                tokio::spawn(async move {
                    let s = m.stream_chat("openai", &request(n)).await?;
                    Ok::<_, yat_core::YatError>((n, s.collect_response().await?))
                })
            };
            // Start 200 streams (each has its first text when this returns),
            // then read them on their own tasks.
            let started = futures::future::try_join_all((0..STREAMS).map(|n| {
                let m = m.clone();
                async move { m.stream_chat("openai", &request(n)).await }
            }))
            .await
            .unwrap();
            let running: Vec<_> = started
                .into_iter()
                .enumerate()
                .map(|(n, s)| tokio::spawn(async move { Ok((n, s.collect_response().await?)) }))
                .collect();
            // Reload while they stream: the new instance talks to another
            // server, so where each request went proves which instance
            // served it.
            point_at(&new_server);
            assert_eq!(m.reload("openai").await.unwrap(), ProviderStatus::Ready);
            let reloaded_at = start.elapsed();
            let later: Vec<_> = (STREAMS..STREAMS + 50).map(chat).collect();
            // And reload again, twice, while both groups run.
            for _ in 0..2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                assert_eq!(m.reload("openai").await.unwrap(), ProviderStatus::Ready);
            }
            let mut finished = 0;
            for t in running.into_iter().chain(later) {
                let (n, r) = t.await.expect("task").expect("stream");
                assert_eq!(r.text(), expected_text(n), "stream {n}");
                assert!(r.finish.is_some(), "stream {n} was cut");
                finished += 1;
            }
            assert_eq!(finished, STREAMS + 50);
            assert_eq!(old_served.load(Ordering::SeqCst), STREAMS);
            assert_eq!(new_served.load(Ordering::SeqCst), 50);
            eprintln!(
                "reload under load: {} streams finished whole, 3 reloads (first at {reloaded_at:?}), \
                 total {:?}",
                STREAMS + 50,
                start.elapsed()
            );
        })
        .await
        .expect("deadlock: the reload under load did not finish in time");
    });
}
