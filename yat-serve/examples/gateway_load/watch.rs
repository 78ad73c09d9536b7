//! What the watched processes (`--watch NAME=PID`) spend: CPU time from
//! `/proc/PID/stat`, resident memory from `/proc/PID/status`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Samples the watched processes' resident memory every 50 ms on a thread
/// of its own, and their CPU time at the start and the end.
pub(crate) struct Watch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<Sample>>>,
}

struct Sample {
    name: String,
    pid: u32,
    cpu_before: Option<f64>,
    rss_before_kib: Option<u64>,
    rss_max_kib: u64,
    /// The highest resident size seen in each second of the run.
    rss_per_second_kib: Vec<u64>,
}

impl Watch {
    pub(crate) fn start(processes: &[(String, u32)]) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let mut samples: Vec<Sample> = processes
            .iter()
            .map(|(name, pid)| Sample {
                name: name.clone(),
                pid: *pid,
                cpu_before: cpu_seconds(Some(*pid)),
                rss_before_kib: status_kib(*pid, "VmRSS"),
                rss_max_kib: 0,
                rss_per_second_kib: Vec::new(),
            })
            .collect();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            loop {
                let second = started.elapsed().as_secs() as usize;
                for s in &mut samples {
                    let rss = status_kib(s.pid, "VmRSS").unwrap_or(0);
                    s.rss_max_kib = s.rss_max_kib.max(rss);
                    if s.rss_per_second_kib.len() <= second {
                        s.rss_per_second_kib.resize(second + 1, 0);
                    }
                    s.rss_per_second_kib[second] = s.rss_per_second_kib[second].max(rss);
                }
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            samples
        });
        Watch {
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn finish(mut self) -> Value {
        self.stop.store(true, Ordering::SeqCst);
        let samples = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let mut out = serde_json::Map::new();
        for s in samples {
            let cpu = cpu_seconds(Some(s.pid))
                .zip(s.cpu_before)
                .map(|(after, before)| ((after - before) * 1e3).round() / 1e3);
            out.insert(
                s.name,
                json!({
                    "pid": s.pid,
                    "cpu_s": cpu,
                    "rss_before_kib": s.rss_before_kib,
                    "rss_max_kib": s.rss_max_kib,
                    "rss_after_kib": status_kib(s.pid, "VmRSS"),
                    "hwm_after_kib": status_kib(s.pid, "VmHWM"),
                    "rss_per_second_kib": s.rss_per_second_kib,
                }),
            );
        }
        Value::Object(out)
    }
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// User plus system CPU time of a process (this one for `None`), from
/// `/proc/PID/stat`, in seconds. Linux counts it in clock ticks of 1/100 s
/// (`USER_HZ`, 100 on every mainstream architecture).
pub(crate) fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".into(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces; utime and stime are the 14th and 15th fields of the line.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}
