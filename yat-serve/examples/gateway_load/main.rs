//! `gateway_load`: a load generator for the gateway (or for any OpenAI
//! Chat Completions endpoint), the client side of `benches/gateway.sh`.
//!
//! It sends streaming `POST /v1/chat/completions` requests, reads every SSE
//! frame of every reply, checks that each stream carries exactly the text
//! the upstream generated and ends with `data: [DONE]`, and records each
//! request's time to first byte (first body bytes) and total time (the end
//! of the body). It prints one JSON object: counts, errors, requests per
//! second, p50/p90/p99/max of both times, and for each watched process its
//! CPU time and resident memory over the run.
//!
//! ```text
//! # 500 streams at once
//! gateway_load --url http://127.0.0.1:8787/v1/chat/completions --mode concurrent --streams 500 --chunks 100
//! # 200 requests a second for 10 s, open loop (a request starts on schedule, whatever the others do)
//! gateway_load --url ... --mode rate --rate 200 --duration 10
//! # the same to two URLs at the same instants (direct and through the gateway): noise hits both alike
//! gateway_load --url http://127.0.0.1:9000/v1/chat/completions --pair http://127.0.0.1:8787/v1/chat/completions --mode rate
//! # as many as 32 workers can get through in 10 s, each sending its next request when one ends
//! gateway_load --url ... --mode saturate --workers 32 --duration 10
//! # watch processes while the load runs (CPU from /proc/PID/stat, RSS from /proc/PID/status)
//! gateway_load --url ... --watch gateway=1234 --watch upstream=1235
//! # a self-contained check: a fake server and a gateway in this process, 20 streams through it
//! gateway_load --smoke 20
//! ```
//!
//! `--chunks` must match the upstream's (`yat-fakeserver --chunks K`): the
//! expected text is `--token` repeated that many times. Runs on one thread
//! unless `--threads N` asks for more, so that on a small machine the
//! generator's share of the CPU stays known.

mod smoke;
mod stream;
mod watch;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::stream::{Outcome, Target};
use crate::watch::{cpu_seconds, Watch};

const USAGE: &str =
    "usage: gateway_load --url URL [--mode concurrent|rate|saturate] [--streams N] \
[--rate R] [--duration SECS] [--workers C] [--chunks K] [--token T] [--model M] [--key KEY] \
[--threads N] [--timeout SECS] [--watch NAME=PID]... [--pair URL2 (rate mode)] | gateway_load --smoke N [--chunks K]";

/// How the requests are sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mode {
    /// `streams` requests started together, each to its end.
    Concurrent,
    /// `rate` requests a second for `duration`, open loop.
    Rate,
    /// `workers` loops, each sending its next request when one ends.
    Saturate,
}

#[derive(Clone, Debug)]
pub(crate) struct Args {
    url: String,
    /// A second URL sent the same requests at the same instants (rate mode).
    pair: Option<String>,
    mode: Mode,
    streams: usize,
    rate: f64,
    duration: Duration,
    workers: usize,
    chunks: usize,
    token: String,
    model: String,
    key: Option<String>,
    threads: usize,
    timeout: Duration,
    watch: Vec<(String, u32)>,
    smoke: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        pair: None,
        mode: Mode::Concurrent,
        streams: 500,
        rate: 200.0,
        duration: Duration::from_secs(10),
        workers: 32,
        chunks: 100,
        token: "tok ".into(),
        model: "openai/gpt-4o-mini".into(),
        key: None,
        threads: 1,
        timeout: Duration::from_secs(60),
        watch: Vec::new(),
        smoke: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag}: {what}, not {value:?}");
        let number = || value.parse::<usize>().map_err(|_| bad("a whole number"));
        let seconds = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0 && s.is_finite())
                .map(Duration::from_secs_f64)
                .ok_or_else(|| bad("a positive number of seconds"))
        };
        match flag.as_str() {
            "--url" => a.url = value,
            "--pair" => a.pair = Some(value),
            "--mode" => {
                a.mode = match value.as_str() {
                    "concurrent" => Mode::Concurrent,
                    "rate" => Mode::Rate,
                    "saturate" => Mode::Saturate,
                    _ => return Err(bad("concurrent, rate or saturate")),
                }
            }
            "--streams" => a.streams = number()?,
            "--rate" => {
                a.rate = value
                    .parse()
                    .ok()
                    .filter(|r: &f64| *r > 0.0 && r.is_finite())
                    .ok_or_else(|| bad("a positive number"))?
            }
            "--duration" => a.duration = seconds()?,
            "--workers" => a.workers = number()?,
            "--chunks" => a.chunks = number()?,
            "--token" => a.token = value,
            "--model" => a.model = value,
            "--key" => a.key = Some(value),
            "--threads" => a.threads = number()?.max(1),
            "--timeout" => a.timeout = seconds()?,
            "--smoke" => a.smoke = Some(number()?),
            "--watch" => {
                let (name, pid) = value
                    .split_once('=')
                    .and_then(|(n, p)| Some((n.to_owned(), p.parse().ok()?)))
                    .ok_or_else(|| bad("NAME=PID"))?;
                a.watch.push((name, pid));
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    if a.url.is_empty() && a.smoke.is_none() {
        return Err(format!("--url is needed\n{USAGE}"));
    }
    if a.pair.is_some() && a.mode != Mode::Rate {
        return Err("--pair is for --mode rate".into());
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gateway_load: {e}");
            std::process::exit(2);
        }
    };
    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .expect("a tokio runtime");
    let report = match args.smoke {
        Some(n) => runtime.block_on(smoke::smoke(args.clone(), n)),
        None => runtime.block_on(run(&args)),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("JSON values serialize")
    );
    if report["errors"].as_u64() != Some(0) || report["ok"].as_u64() == Some(0) {
        std::process::exit(1);
    }
}

/// Everything a run collected.
#[derive(Default)]
struct Tally {
    ttfb: Vec<Duration>,
    total: Vec<Duration>,
    chunks: usize,
    errors: BTreeMap<String, usize>,
    /// How late the open-loop schedule started requests.
    lateness: Vec<Duration>,
}

impl Tally {
    fn record(&mut self, result: Result<Outcome, String>) {
        match result {
            Ok(o) => {
                self.ttfb.push(o.ttfb);
                self.total.push(o.total);
                self.chunks += o.chunks;
            }
            Err(e) => *self.errors.entry(e).or_default() += 1,
        }
    }
}

/// Streams open now, and the most open at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    async fn around<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        let r = f.await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

pub(crate) async fn run(args: &Args) -> Value {
    let target = Target::new(args, &args.url);
    let mut targets = vec![target.clone()];
    targets.extend(args.pair.as_deref().map(|url| Target::new(args, url)));
    let in_flight = Arc::new(InFlight::default());
    let watch = Watch::start(&args.watch);
    let started = Instant::now();
    let mut tallies = match args.mode {
        Mode::Concurrent => vec![concurrent(&target, &in_flight, args.streams).await],
        Mode::Rate => rate(&targets, &in_flight, args.rate, args.duration).await,
        Mode::Saturate => vec![saturate(&target, &in_flight, args.workers, args.duration).await],
    };
    let elapsed = started.elapsed();
    let watched = watch.finish();
    let paired = (tallies.len() > 1).then(|| tallies.remove(1));
    let mut out = report(args, &tallies[0], elapsed, &in_flight, watched);
    if let (Some(p), Some(url)) = (paired, &args.pair) {
        out["errors"] =
            json!(out["errors"].as_u64().unwrap_or(0) + p.errors.values().sum::<usize>() as u64);
        out["paired"] = stats(&p);
        out["paired"]["url"] = json!(url);
    }
    out
}

async fn concurrent(target: &Arc<Target>, in_flight: &Arc<InFlight>, n: usize) -> Tally {
    // Every task waits at the barrier, so all requests go out together.
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (target, in_flight, barrier) = (target.clone(), in_flight.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                in_flight.around(target.stream()).await
            })
        })
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        tally.record(t.await.unwrap_or_else(|e| Err(format!("task failed: {e}"))));
    }
    tally
}

/// One tally per target; each tick sends one request to every target, in
/// an order that rotates from tick to tick.
async fn rate(
    targets: &[Arc<Target>],
    in_flight: &Arc<InFlight>,
    per_second: f64,
    duration: Duration,
) -> Vec<Tally> {
    let period = Duration::from_secs_f64(1.0 / per_second);
    let count = (per_second * duration.as_secs_f64()).round() as usize;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count * targets.len());
    let mut lateness = Vec::with_capacity(count);
    for i in 0..count {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        lateness.push(tokio::time::Instant::now().saturating_duration_since(due));
        for k in 0..targets.len() {
            let which = (i + k) % targets.len();
            let (target, in_flight) = (targets[which].clone(), in_flight.clone());
            tasks.push((
                which,
                tokio::spawn(async move { in_flight.around(target.stream()).await }),
            ));
        }
    }
    let mut tallies: Vec<Tally> = targets.iter().map(|_| Tally::default()).collect();
    tallies[0].lateness = lateness;
    for (which, t) in tasks {
        tallies[which].record(t.await.unwrap_or_else(|e| Err(format!("task failed: {e}"))));
    }
    tallies
}

async fn saturate(
    target: &Arc<Target>,
    in_flight: &Arc<InFlight>,
    workers: usize,
    duration: Duration,
) -> Tally {
    let deadline = Instant::now() + duration;
    let shared = Arc::new(Mutex::new(Tally::default()));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (target, in_flight, shared) = (target.clone(), in_flight.clone(), shared.clone());
            tokio::spawn(async move {
                let mut mine = Tally::default();
                while Instant::now() < deadline {
                    mine.record(in_flight.around(target.stream()).await);
                }
                let mut all = shared.lock().unwrap_or_else(|p| p.into_inner());
                all.ttfb.append(&mut mine.ttfb);
                all.total.append(&mut mine.total);
                all.chunks += mine.chunks;
                for (e, n) in mine.errors {
                    *all.errors.entry(e).or_default() += n;
                }
            })
        })
        .collect();
    for t in tasks {
        if let Err(e) = t.await {
            let mut all = shared.lock().unwrap_or_else(|p| p.into_inner());
            *all.errors.entry(format!("task failed: {e}")).or_default() += 1;
        }
    }
    let all = std::mem::take(&mut *shared.lock().unwrap_or_else(|p| p.into_inner()));
    all
}

// ------------------------------------------------------------ the report

/// Milliseconds, to the microsecond.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// p50, p90, p99 (nearest rank) and max, in ms.
fn percentiles(v: &mut [Duration]) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_unstable();
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    json!({
        "p50": ms(rank(0.50)),
        "p90": ms(rank(0.90)),
        "p99": ms(rank(0.99)),
        "max": ms(v[v.len() - 1]),
    })
}

/// Counts, errors and latencies of one target.
fn stats(tally: &Tally) -> Value {
    let ok = tally.ttfb.len();
    let errors: usize = tally.errors.values().sum();
    let (mut ttfb, mut total) = (tally.ttfb.clone(), tally.total.clone());
    json!({
        "requests": ok + errors,
        "ok": ok,
        "errors": errors,
        "error_kinds": tally.errors.iter().take(10).map(|(e, n)| json!({"error": e, "count": n})).collect::<Vec<_>>(),
        "chunks": tally.chunks,
        "ttfb_ms": percentiles(&mut ttfb),
        "total_ms": percentiles(&mut total),
    })
}

fn report(
    args: &Args,
    tally: &Tally,
    elapsed: Duration,
    in_flight: &InFlight,
    watched: Value,
) -> Value {
    let ok = tally.ttfb.len();
    let mut late = tally.lateness.clone();
    let mode = match args.mode {
        Mode::Concurrent => json!({"mode": "concurrent", "streams": args.streams}),
        Mode::Rate => {
            json!({"mode": "rate", "rate": args.rate, "duration_s": args.duration.as_secs_f64()})
        }
        Mode::Saturate => {
            json!({"mode": "saturate", "workers": args.workers, "duration_s": args.duration.as_secs_f64()})
        }
    };
    let mut out = json!({
        "run": mode,
        "url": args.url,
        "chunks_per_stream": args.chunks,
        "elapsed_s": (elapsed.as_secs_f64() * 1e3).round() / 1e3,
        "rps": ((ok as f64 / elapsed.as_secs_f64()) * 10.0).round() / 10.0,
        "max_in_flight": in_flight.max.load(Ordering::SeqCst),
        "schedule_lateness_ms": percentiles(&mut late),
        "client_cpu_s": cpu_seconds(None),
        "watched": watched,
    });
    if let (Value::Object(out), Value::Object(stats)) = (&mut out, stats(tally)) {
        out.extend(stats);
    }
    out
}
