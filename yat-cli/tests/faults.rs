//! Fault injection through the CLI (hardening issue #6): each network and
//! server fault of `yat-providers/tests/faults.rs`, this time as a user
//! meets it in `yat chat`: the exit code (1 for a provider error), exactly
//! one clear line on stderr, and no partial output presented as complete
//! (in `--json` mode no `finish` event after a failure; in text mode the
//! partial text, then the error line).
//!
//! Table-driven: each case starts its own fake server on 127.0.0.1 and runs
//! the binary once, under a kill timer, a few cases at a time.
#![cfg(feature = "openai")]

mod common;

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use common::{no_panic, Api, Run, Sandbox};
use yat_fakeserver::{openai_stream, Action, Fault, Format, Generated, Response, Split, Transfer};

/// The most one run of the binary may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `--json`: one event per line on stdout.
    Json,
    /// The text as it arrives.
    Text,
}

#[derive(Debug)]
enum Expect {
    /// Exit 1, one `error:` line containing `needle`; `kind` in the JSON
    /// error event; exactly `partial` as the text shown.
    Fails {
        kind: &'static str,
        needle: &'static str,
        partial: &'static str,
    },
    /// Exit 0 with exactly this text, after this many requests.
    Completes { text: &'static str, requests: usize },
}

struct Case {
    name: &'static str,
    api: Api,
    /// `None`: nothing listens on the port (connection refused).
    responses: Option<Vec<Response>>,
    /// Extra variables (`OPENAI_MAX_RETRIES` is 0 unless set here).
    env: Vec<(&'static str, String)>,
    mode: Mode,
    expect: Expect,
}

fn case(name: &'static str, responses: Vec<Response>, mode: Mode, expect: Expect) -> Case {
    Case {
        name,
        api: Api::OpenAi,
        responses: Some(responses),
        env: Vec::new(),
        mode,
        expect,
    }
}

impl Case {
    fn env(mut self, var: &'static str, value: &str) -> Self {
        self.env.push((var, value.to_owned()));
        self
    }
}

fn fails(kind: &'static str, needle: &'static str, partial: &'static str) -> Expect {
    Expect::Fails {
        kind,
        needle,
        partial,
    }
}

fn transcript() -> String {
    openai_stream(&["Hello", " world"])
}

/// The first `n` SSE events of the transcript (role chunk first).
fn first_events(n: usize) -> String {
    transcript().split_inclusive("\n\n").take(n).collect()
}

fn error_json(message: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})
        .to_string()
}

fn failing(status: u16) -> Response {
    Response::json(status, &error_json(&format!("upstream {status}")))
        .header("retry-after-ms", "10")
}

fn ten_mib_line() -> String {
    let head = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
    let tail = "\"},\"finish_reason\":null}]}\n\n";
    let fill = "x".repeat((10 << 20) - head.len() - tail.len());
    format!("{head}{fill}{tail}")
}

fn openai_cases() -> Vec<Case> {
    use Mode::{Json, Text};
    let in_3s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    let mut invalid_utf8 = first_events(2).into_bytes();
    invalid_utf8.extend_from_slice(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xff\"}}]}\n\n",
    );
    vec![
        Case {
            responses: None,
            ..case(
                "connection refused",
                vec![],
                Json,
                fails("network", "cannot connect", ""),
            )
        },
        case(
            "reset before headers",
            vec![Response::sse(&transcript()).before_headers(Fault::Reset)],
            Json,
            fails("network", "openai: network error", ""),
        ),
        case(
            "reset mid-stream",
            vec![Response::sse(&first_events(3))
                .split(Split::Events)
                .then(Action::Reset)],
            Text,
            fails("network", "connection lost mid-stream", "Hello world"),
        ),
        case(
            "truncated without [DONE]",
            vec![Response::sse(&first_events(3)).then(Action::Close)],
            Json,
            fails("network", "openai: network error", "Hello world"),
        ),
        case(
            "truncated, close-delimited",
            vec![Response::sse(&first_events(2)).transfer(Transfer::CloseDelimited)],
            Text,
            fails("network", "before the reply was complete", "Hello"),
        ),
        case(
            "stall before the first byte",
            vec![Response::sse(&transcript()).before_headers(Fault::Stall)],
            Json,
            fails("timeout", "timed out waiting for the first byte", ""),
        )
        .env("OPENAI_FIRST_BYTE_TIMEOUT", "0.3"),
        case(
            "stall mid-stream",
            vec![Response::sse(&first_events(3)).then(Action::Stall)],
            Json,
            fails(
                "timeout",
                "timed out waiting for the next event",
                "Hello world",
            ),
        )
        .env("OPENAI_IDLE_TIMEOUT", "0.3"),
        case(
            "429 with Retry-After seconds",
            vec![Response::json(429, &error_json("Rate limit reached")).header("retry-after", "7")],
            Json,
            fails(
                "rate_limited",
                "rate limited (HTTP 429) Rate limit reached (retry after 7.0s)",
                "",
            ),
        ),
        case(
            "429 with Retry-After as an HTTP date",
            vec![Response::json(429, &error_json("Rate limit reached"))
                .header("retry-after", &in_3s)],
            Text,
            fails("rate_limited", "(retry after ", ""),
        ),
        case(
            "429 retried after Retry-After",
            vec![
                Response::json(429, &error_json("Rate limit reached")).header("retry-after", "1"),
                Response::sse(&transcript()),
            ],
            Text,
            Expect::Completes {
                text: "Hello world",
                requests: 2,
            },
        )
        .env("OPENAI_MAX_RETRIES", "1"),
        case(
            "500 502 503 529 then success",
            vec![
                failing(500),
                failing(502),
                failing(503),
                failing(529),
                Response::sse(&transcript()),
            ],
            Json,
            Expect::Completes {
                text: "Hello world",
                requests: 5,
            },
        )
        .env("OPENAI_MAX_RETRIES", "4"),
        case(
            "529 without retries",
            vec![failing(529)],
            Json,
            fails(
                "overloaded",
                "openai: overloaded (HTTP 529) upstream 529",
                "",
            ),
        ),
        case(
            "HTML page with 200",
            vec![Response::new(200)
                .header("content-type", "text/html")
                .body("<html><body>Please log in to the captive portal</body></html>")],
            Text,
            fails(
                "malformed_response",
                "expected an event stream, got \"text/html\"",
                "",
            ),
        ),
        case(
            "JSON where SSE was expected",
            vec![Response::json(
                200,
                r#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}]}"#,
            )],
            Json,
            fails(
                "malformed_response",
                "expected an event stream, got \"application/json\"",
                "",
            ),
        ),
        case(
            "invalid JSON in one event",
            vec![Response::sse(&format!(
                "{}data: {{\"choices\":[oops\n\n{}",
                first_events(2),
                &transcript()[first_events(2).len()..]
            ))],
            Json,
            fails("malformed_response", "invalid chunk", "Hello"),
        ),
        case(
            "unknown event type",
            vec![Response::sse(&format!(
                ": keep-alive\n\nevent: ping\ndata: {{\"type\":\"ping\"}}\n\n{}",
                transcript()
            ))],
            Json,
            Expect::Completes {
                text: "Hello world",
                requests: 1,
            },
        ),
        case(
            "a 10 MiB line",
            vec![
                Response::sse(&format!("{}{}", first_events(2), ten_mib_line()))
                    .split(Split::Size(64 << 10)),
            ],
            Text,
            fails(
                "malformed_response",
                "exceeds the limit of 4194304 bytes",
                "Hello",
            ),
        ),
        case(
            "invalid UTF-8",
            vec![Response::sse("").body(&invalid_utf8)],
            Json,
            fails("malformed_response", "invalid UTF-8", "Hello"),
        ),
    ]
}

#[cfg(feature = "anthropic")]
fn anthropic_cases() -> Vec<Case> {
    use yat_fakeserver::anthropic_stream;
    let ev: Vec<String> = anthropic_stream(&["Hello", "!"])
        .split_inclusive("\n\n")
        .map(str::to_owned)
        .collect();
    let anthropic = |c: Case| Case {
        api: Api::Anthropic,
        ..c
    };
    vec![
        anthropic(case(
            "anthropic: unknown event type",
            vec![Response::sse(&format!(
                "{}event: some_future_event\ndata: {{\"type\":\"some_future_event\"}}\n\n{}",
                ev[..4].concat(),
                ev[4..].concat()
            ))],
            Mode::Json,
            Expect::Completes {
                text: "Hello!",
                requests: 1,
            },
        )),
        anthropic(case(
            "anthropic: invalid JSON in one event",
            vec![Response::sse(&format!(
                "{}event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"delta\":[\n\n{}",
                ev[..4].concat(),
                ev[4..].concat()
            ))],
            Mode::Json,
            fails("malformed_response", "invalid content_block_delta event", "Hello"),
        )),
        anthropic(case(
            "anthropic: truncated without message_stop",
            vec![Response::sse(&ev[..7].concat())],
            Mode::Text,
            fails("network", "no message_stop", "Hello!"),
        )),
    ]
}

#[cfg(not(feature = "anthropic"))]
fn anthropic_cases() -> Vec<Case> {
    Vec::new()
}

/// The sandboxed `yat chat` of `api`, pointed at `url`, without retries.
fn chat(sb: &Sandbox, api: Api, url: &str, mode: Mode) -> assert_cmd::Command {
    let mut cmd = sb.at(api, url);
    cmd.timeout(RUN_LIMIT)
        .env(api.max_retries_var(), "0")
        .args(["chat", "-m", api.model()]);
    if mode == Mode::Json {
        cmd.arg("--json");
    }
    cmd.arg("Say hello");
    cmd
}

/// Runs one case and checks everything the issue asks of it.
fn check(case: Case) {
    let name = case.name;
    let server = case
        .responses
        .map(|responses| common::serve(case.api, responses));
    let url = match &server {
        Some(s) => s.url(),
        None => common::closed_port_url(),
    };
    let sb = Sandbox::new();
    let mut cmd = chat(&sb, case.api, &url, case.mode);
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.run();
    let took = start.elapsed();
    let context = format!(
        "case {name:?} ({took:?})\n--- stdout\n{}\n--- stderr\n{}",
        excerpt(&out.stdout),
        out.stderr
    );
    assert!(
        !out.stdout.contains("planted") && !out.stderr.contains("planted"),
        "key shown: {context}"
    );
    no_panic(&out.stderr);
    let stderr_lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let (text, events) = match case.mode {
        Mode::Json => {
            let events = out.events();
            let text: String = events
                .iter()
                .filter(|e| e["type"] == "delta")
                .filter_map(|e| e["text"].as_str())
                .collect();
            (text, Some(events))
        }
        Mode::Text => (out.stdout.clone(), None),
    };
    match case.expect {
        Expect::Fails {
            kind,
            needle,
            partial,
        } => {
            assert_eq!(out.code, 1, "exit code: {context}");
            assert_eq!(stderr_lines.len(), 1, "one line on stderr: {context}");
            assert!(stderr_lines[0].starts_with("error: "), "{context}");
            assert!(
                stderr_lines[0].contains(needle),
                "{needle:?} missing: {context}"
            );
            match events {
                Some(events) => {
                    assert_eq!(text, partial, "{context}");
                    let last = events
                        .last()
                        .unwrap_or_else(|| panic!("no events: {context}"));
                    assert_eq!(last["type"], "error", "{context}");
                    assert_eq!(last["kind"], kind, "{context}");
                    assert!(
                        !events.iter().any(|e| e["type"] == "finish"),
                        "a failed reply presented as complete: {context}"
                    );
                }
                None => {
                    let shown = if partial.is_empty() {
                        String::new()
                    } else {
                        format!("{partial}\n")
                    };
                    assert_eq!(text, shown, "{context}");
                }
            }
        }
        Expect::Completes {
            text: want,
            requests,
        } => {
            assert_eq!(out.code, 0, "{context}");
            assert!(stderr_lines.is_empty(), "{context}");
            match events {
                Some(events) => {
                    assert_eq!(text, want, "{context}");
                    let finishes = events.iter().filter(|e| e["type"] == "finish").count();
                    assert_eq!(finishes, 1, "{context}");
                }
                None => assert_eq!(text, format!("{want}\n"), "{context}"),
            }
            let served = server.as_ref().map_or(0, |s| s.requests().len());
            assert_eq!(served, requests, "requests: {context}");
        }
    }
    assert!(took < RUN_LIMIT, "{context}");
}

fn excerpt(s: &str) -> &str {
    let end = s.char_indices().nth(2_000).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[test]
fn every_fault_ends_with_its_exit_code_and_one_clear_line() {
    let mut cases = openai_cases();
    cases.extend(anthropic_cases());
    let started = Instant::now();
    let count = cases.len();
    // A few binaries at a time: each case mostly waits on its server.
    let mut cases = cases.into_iter().peekable();
    while cases.peek().is_some() {
        let batch: Vec<Case> = cases.by_ref().take(4).collect();
        std::thread::scope(|s| {
            for case in batch {
                s.spawn(move || check(case));
            }
        });
    }
    eprintln!(
        "{count} fault cases through the CLI in {:?}",
        started.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn a_stream_that_never_ends_is_cancelled_by_ctrl_c() {
    let api = Api::OpenAi;
    let server = common::serve(
        api,
        vec![
            Response::generated(Generated::new(Format::OpenAi, usize::MAX / 2))
                .pace(Duration::from_millis(5)),
        ],
    );
    let sb = Sandbox::new();
    let mut cmd = std::process::Command::new(common::yat_bin());
    cmd.env_clear()
        .current_dir(sb.work_dir())
        .envs(sb.env())
        .envs(api.env(&server.url()));
    let mut child = cmd
        .args(["chat", "-m", api.model(), "Say hello"])
        // Not the test runner's stdin: piped stdin is part of the prompt.
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the reply to be flowing.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).unwrap();
    assert!(n > 0 && first.starts_with(b"tok"), "{:?}", &first[..n]);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + RUN_LIMIT;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("yat did not stop on Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("reply interrupted"), "{stderr}");
    no_panic(&stderr);
    assert!(
        rest.ends_with('\n'),
        "the partial text is ended with a newline"
    );
    // The request was cancelled, not left running.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.client_disconnects() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.client_disconnects() > 0,
        "the server never saw the hang-up"
    );
}
