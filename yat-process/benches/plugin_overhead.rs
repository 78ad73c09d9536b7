//! What running a provider out of process costs: the mock linked in
//! against the same mock served by the reference plugin (`yat-provider
//! --provider mock`) through the host's `ProcessProvider`, warm child.
//!
//! - Added latency per request: a one-chunk reply (`mock-echo`), stream
//!   opened and drained, one request at a time; medians of both.
//! - CPU per streamed chunk: `mock-long` with one character per chunk,
//!   many chats in a row; CPU time of this process (and, out of process,
//!   of the child) from `/proc/<pid>/stat`, divided by the chunks.
//!
//! `cargo bench -p yat-process --features mock --bench plugin_overhead`
//! measures; without `--bench` (as `cargo test --benches` runs it) it does
//! a few rounds of each as a smoke test. Results: BENCHMARKS.md, "Process
//! plugins (issue 15)".

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use yat_core::{ChatEvent, ChatRequest, LlmProvider, Message, ResolvedSettings};
use yat_process::host::{HostOptions, PluginCommand, ProcessProvider};
use yat_providers::mock::MockProvider;

struct Sizes {
    latency_requests: usize,
    cpu_chats: usize,
    rounds: usize,
}

/// One character per chunk: the most chunks per byte, the worst case for a
/// per-chunk cost.
const SETTINGS: &[(&str, &str)] = &[("chunk_size", "1")];

async fn drain(p: &dyn LlmProvider, req: &ChatRequest) -> usize {
    let mut s = p.stream_chat(req).await.expect("stream starts");
    let mut deltas = 0;
    while let Some(ev) = s.next().await {
        if let ChatEvent::Delta { .. } = ev.expect("no error mid-stream") {
            deltas += 1;
        }
    }
    deltas
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p99(v: &mut [Duration]) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// User + system CPU time of process `pid` (`self` for this one), from
/// `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("procfs");
    // Fields after the command name (which may hold spaces), 1-based from
    // the state field: utime is the 12th, stime the 13th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

async fn latency(p: &dyn LlmProvider, n: usize) -> (Duration, Duration) {
    let req = ChatRequest::new("mock-echo", vec![Message::user("hi")]);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        drain(p, &req).await;
        times.push(t.elapsed());
    }
    (median(&mut times), p99(&mut times))
}

/// CPU seconds of this process and of `child`, and the chunks streamed.
async fn cpu(p: &dyn LlmProvider, child: Option<u32>, chats: usize) -> (f64, f64, usize, Duration) {
    let req = ChatRequest::new("mock-long", vec![Message::user("go")]);
    let hz = ticks_per_second();
    let child = child.map(|c| c.to_string());
    let (me0, ch0) = (cpu_ticks("self"), child.as_deref().map_or(0, cpu_ticks));
    let t = Instant::now();
    let mut chunks = 0;
    for _ in 0..chats {
        chunks += drain(p, &req).await;
    }
    let wall = t.elapsed();
    let (me1, ch1) = (cpu_ticks("self"), child.as_deref().map_or(0, cpu_ticks));
    (
        (me1 - me0) as f64 / hz,
        (ch1 - ch0) as f64 / hz,
        chunks,
        wall,
    )
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let sizes = if measuring {
        Sizes {
            latency_requests: 3_000,
            cpu_chats: 300,
            rounds: 5,
        }
    } else {
        Sizes {
            latency_requests: 20,
            cpu_chats: 2,
            rounds: 1,
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut linked = MockProvider::default();
        linked.initialize(&ResolvedSettings::from_pairs("mock", SETTINGS)).await.unwrap();
        let command = PluginCommand::new(
            "mock",
            env!("CARGO_BIN_EXE_yat-provider"),
            vec!["--provider".into(), "mock".into()],
        );
        let mut oop = ProcessProvider::new(command, HostOptions::default());
        oop.initialize(&ResolvedSettings::from_pairs("mock", SETTINGS)).await.unwrap();
        // Warm: the child is started and has served once.
        drain(&oop, &ChatRequest::new("mock-echo", vec![Message::user("hi")])).await;
        let pid = oop.pid().expect("the child runs");

        println!("process plugins: mock linked vs served by yat-provider (pid {pid}), warm child");
        let (mut lat_l, mut lat_o, mut cpu_l, mut cpu_o, mut wall_l, mut wall_o) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for round in 0..sizes.rounds {
            let (ml, pl) = latency(&linked, sizes.latency_requests).await;
            let (mo, po) = latency(&oop, sizes.latency_requests).await;
            let (me_l, _, chunks_l, w_l) = cpu(&linked, None, sizes.cpu_chats).await;
            let (me_o, child_o, chunks_o, w_o) = cpu(&oop, Some(pid), sizes.cpu_chats).await;
            assert_eq!(chunks_l, chunks_o, "the same chunks both ways");
            let per = |s: f64| s * 1e9 / chunks_l as f64;
            println!(
                "round {round}: request median/p99 linked {ml:?}/{pl:?}, out of process {mo:?}/{po:?}; \
                 {chunks_l} chunks: CPU per chunk linked {:.0} ns, out of process {:.0} ns (host {:.0} + plugin {:.0}); \
                 wall per chunk linked {:.0} ns, out of process {:.0} ns",
                per(me_l),
                per(me_o + child_o),
                per(me_o),
                per(child_o),
                w_l.as_nanos() as f64 / chunks_l as f64,
                w_o.as_nanos() as f64 / chunks_o as f64,
            );
            lat_l.push(ml);
            lat_o.push(mo);
            cpu_l.push(per(me_l));
            cpu_o.push(per(me_o + child_o));
            wall_l.push(w_l.as_nanos() as f64 / chunks_l as f64);
            wall_o.push(w_o.as_nanos() as f64 / chunks_o as f64);
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        let (ml, mo) = (median(&mut lat_l), median(&mut lat_o));
        println!(
            "median of {} rounds: added latency per request {:?} ({ml:?} -> {mo:?}); \
             CPU per chunk {:.0} ns -> {:.0} ns (+{:.0} ns); wall per chunk {:.0} ns -> {:.0} ns",
            sizes.rounds,
            mo.saturating_sub(ml),
            med(&mut cpu_l),
            med(&mut cpu_o.clone()),
            med(&mut cpu_o) - med(&mut cpu_l),
            med(&mut wall_l),
            med(&mut wall_o),
        );
    });
}
