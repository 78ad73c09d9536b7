//! `yat serve`: its keys, its refusals, and one real serving run — a
//! request over a socket, the request log, SIGTERM and exit 0. (The
//! gateway's own behaviour is tested in yat-serve; these are the CLI's
//! parts.)
#![cfg(feature = "serve")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{yat_bin, Sandbox};

#[test]
fn keys_are_shown_once_and_stored_only_as_hashes() {
    let sb = Sandbox::new();
    let out = sb
        .run(&["serve", "keys", "create", "ci", "--rpm", "30"])
        .ok();
    let key = out.stdout.trim().to_owned();
    assert!(
        key.starts_with("yat-") && !key.contains(char::is_whitespace),
        "{key}"
    );
    assert!(out.stderr.contains("only time"), "{}", out.stderr);
    let file = sb.config_file().with_file_name("gateway_keys.json");
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(!stored.contains(&key) && stored.contains("sha256:"));

    let table = sb.run(&["serve", "keys", "list"]).ok();
    assert!(table.stdout.starts_with("NAME"), "{}", table.stdout);
    assert!(table.stdout.contains("ci") && table.stdout.contains("30"));
    let listed = sb.json(&["serve", "keys", "list", "--json"]);
    assert_eq!(listed[0]["name"], "ci");
    assert_eq!(listed[0]["requests_per_minute"], 30);
    for output in [&table.stdout, &listed.to_string()] {
        assert!(!output.contains(&key[8..]), "a listing shows the key");
    }

    sb.check_errors(
        2,
        &[
            (&["serve", "keys", "create", "ci"], "already exists"),
            (&["serve", "keys", "create", "a b"], "key name"),
        ],
    );
    sb.run(&["serve", "keys", "revoke", "ci"]).ok();
    sb.check_errors(
        2,
        &[(&["serve", "keys", "revoke", "ci"], "no gateway key named")],
    );
}

#[test]
fn serving_is_refused_without_keys_or_open_beyond_loopback() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (
                &["serve", "--listen", "127.0.0.1:0"],
                "yat serve keys create",
            ),
            (&["serve", "--no-auth", "--listen", "0.0.0.0:0"], "loopback"),
        ],
    );
}

/// A `yat serve` child on a free loopback port, with its stderr read on a
/// thread.
struct Server {
    child: Child,
    addr: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(sb: &Sandbox, args: &[&str]) -> Server {
        Server::start_under(sb, None, args)
    }

    /// `yat serve` started by `sh -c 'ulimit -Sn N; exec yat …'` when
    /// `fd_limit` is given.
    fn start_under(sb: &Sandbox, fd_limit: Option<u32>, args: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = match fd_limit {
            None => std::process::Command::new(yat_bin()),
            Some(n) => {
                let mut sh = std::process::Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -Sn {n} && exec \"$0\" \"$@\""))
                    .arg(yat_bin());
                sh
            }
        };
        cmd.env_clear().current_dir(sb.work_dir());
        for (k, v) in sb.env() {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(["serve", "--listen", &addr])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.get("/health", "").is_none() {
            assert!(Instant::now() < deadline, "yat serve did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// One HTTP/1.1 exchange with `Connection: close`: the whole response.
    fn exchange(&self, request: &str) -> Option<String> {
        let mut s = TcpStream::connect(&self.addr).ok()?;
        s.write_all(request.as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    }

    fn get(&self, path: &str, key: &str) -> Option<String> {
        self.exchange(&format!(
            "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n"
        ))
    }

    fn post(&self, path: &str, key: &str, body: &str) -> String {
        self.exchange(&format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nx-api-key: {key}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ))
        .expect("the gateway answers")
    }

    /// SIGTERM, then the exit code and every log line.
    fn terminate(mut self) -> (i32, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        (code, self.log.iter().collect())
    }
}

#[cfg(unix)]
#[test]
fn a_served_request_is_logged_as_json_without_the_key_and_sigterm_exits_0() {
    let sb = Sandbox::new();
    let key = sb.run(&["serve", "keys", "create", "laptop"]).ok().stdout;
    let key = key.trim();
    let server = Server::start(&sb, &["--log-format", "json"]);
    let reply = server.post(
        "/v1/messages",
        key,
        r#"{"model":"mock/mock-echo","max_tokens":50,"messages":[{"role":"user","content":"secret prompt words"}]}"#,
    );
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains(r#""text":"secret prompt words""#), "{reply}");
    let refused = server.post("/v1/messages", "yat-wrong", "{}");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("authentication_error"), "{refused}");
    let metrics = server.get("/metrics", key).unwrap();
    assert!(metrics.contains(r#"yat_gateway_requests_total{dialect="anthropic",provider="mock",model="mock-echo",status="200"} 1"#), "{metrics}");

    let (code, log) = server.terminate();
    assert_eq!(code, 0, "{log:#?}");
    let requests: Vec<serde_json::Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "yat_serve::access")
        .collect();
    assert_eq!(requests.len(), 2, "{log:#?}");
    let ok = &requests[0];
    assert_eq!(ok["key"], "laptop");
    assert_eq!(ok["model"], "mock/mock-echo");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["output_tokens"], 3);
    assert!(ok["request_id"].as_str().unwrap().starts_with("req_"));
    assert!(ok["ttfb_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(requests[1]["status"], 401);
    let all = log.join("\n");
    assert!(!all.contains(key), "the log shows a key");
    assert!(!all.contains("secret prompt"), "the log shows the prompt");
}

/// Two descriptors a stream: a soft limit of 1024 (a common default) would
/// stop the gateway near 500 streams, so `yat serve` raises it to the hard
/// limit.
#[cfg(target_os = "linux")]
#[test]
fn serve_raises_a_low_open_file_limit_to_the_hard_one() {
    let sb = Sandbox::new();
    let server = Server::start_under(&sb, Some(256), &["--no-auth"]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    let (soft, hard) = (numbers[0], numbers[1]);
    assert_eq!(soft, hard, "{line}");
    let (code, _) = server.terminate();
    assert_eq!(code, 0);
}
