//! The reference plugin serving the linked mock, run as a real child over
//! real pipes: every exchange of the protocol, checked as bytes on the
//! wire against what the same provider produces linked in.

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use yat_core::{ChatRequest, LlmProvider, Message, ResolvedSettings, ToolSpec};
use yat_process::protocol::{ErrorObject, HostMessage, LineReader, PluginMessage};
use yat_providers::mock::MockProvider;

/// Long enough for a loaded CI machine; a hang fails instead of blocking.
const WAIT: Duration = Duration::from_secs(20);

struct Plugin {
    child: Child,
    stdin: Option<ChildStdin>,
    out: LineReader<BufReader<ChildStdout>>,
}

impl Plugin {
    fn start() -> Plugin {
        Self::start_with(
            Command::new(env!("CARGO_BIN_EXE_yat-provider")).args(["--provider", "mock"]),
        )
    }

    fn start_with(cmd: &mut Command) -> Plugin {
        let mut child = cmd
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the reference plugin");
        let stdin = child.stdin.take();
        let out = LineReader::new(BufReader::new(child.stdout.take().unwrap()));
        Plugin { child, stdin, out }
    }

    /// Started, greeted and initialized with `settings`.
    async fn ready(settings: Value) -> Plugin {
        let mut p = Plugin::start();
        p.send(&json!({"op": "hello", "protocol": [1], "host": "test"}))
            .await;
        assert_eq!(p.recv().await["op"], "hello");
        p.send(&json!({"op": "initialize", "id": "init", "settings": settings}))
            .await;
        assert_eq!(p.recv_raw().await, r#"{"op":"result","id":"init"}"#);
        p
    }

    async fn send_raw(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    async fn send(&mut self, msg: &Value) {
        self.send_raw(msg.to_string().as_bytes()).await;
    }

    async fn recv_raw(&mut self) -> String {
        let line = tokio::time::timeout(WAIT, self.out.next_line())
            .await
            .expect("the plugin answers in time")
            .expect("a readable line")
            .expect("a line, not the end of the output");
        String::from_utf8(line.to_vec()).unwrap()
    }

    async fn recv(&mut self) -> Value {
        serde_json::from_str(&self.recv_raw().await).unwrap()
    }

    /// Every line for `id` up to and including its terminator, as sent.
    async fn collect(&mut self, id: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.recv_raw().await;
            let msg = PluginMessage::decode(line.as_bytes()).unwrap();
            if msg.id() != Some(id) {
                panic!("a line for another request: {line}");
            }
            let end = msg.is_terminator();
            lines.push(line);
            if end {
                return lines;
            }
        }
    }

    async fn exit_code(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the plugin exits in time")
            .unwrap();
        status.code()
    }

    async fn stderr(mut self) -> String {
        use tokio::io::AsyncReadExt;
        drop(self.stdin.take());
        let mut err = String::new();
        let mut pipe = self.child.stderr.take().unwrap();
        tokio::time::timeout(WAIT, pipe.read_to_string(&mut err))
            .await
            .unwrap()
            .unwrap();
        err
    }
}

/// What the same provider, linked in, streams for `request`: the plugin's
/// lines for chat `id` must be exactly these.
async fn linked_lines(settings: &[(&str, &str)], id: &str, request: &ChatRequest) -> Vec<String> {
    let mut mock = MockProvider::default();
    mock.initialize(&ResolvedSettings::from_pairs("mock", settings))
        .await
        .unwrap();
    let mut lines = Vec::new();
    let line = |msg: PluginMessage| {
        let mut buf = Vec::new();
        msg.encode(&mut buf).unwrap();
        buf.pop();
        String::from_utf8(buf).unwrap()
    };
    let error = |e| PluginMessage::Error {
        id: Some(id.into()),
        error: ErrorObject::from_yat(&e),
    };
    match mock.stream_chat(request).await {
        Err(e) => lines.push(line(error(e))),
        Ok(mut stream) => loop {
            match stream.next().await {
                Some(Ok(event)) => lines.push(line(PluginMessage::Event {
                    id: id.into(),
                    event,
                })),
                Some(Err(e)) => break lines.push(line(error(e))),
                None => break lines.push(line(PluginMessage::End { id: id.into() })),
            }
        },
    }
    lines
}

fn chat_line(id: &str, request: &ChatRequest) -> Vec<u8> {
    let mut buf = Vec::new();
    HostMessage::encode_chat(id, request, &mut buf).unwrap();
    buf.pop();
    buf
}

fn weather_tool() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "Weather in a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

#[tokio::test]
async fn hello_negotiates_the_highest_common_version_and_declares_the_provider() {
    for offered in [json!([1]), json!([1, 2, 9])] {
        let mut p = Plugin::start();
        p.send(&json!({"op": "hello", "protocol": offered, "host": "test/1"}))
            .await;
        let line = p.recv_raw().await;
        assert!(line.starts_with(r#"{"op":"hello","protocol":1,"id":"mock","name":"Mock","description":"Deterministic"#), "{line}");
        let hello: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(hello["version"], env!("CARGO_PKG_VERSION"));
        let chunk = &hello["settings"][0];
        assert_eq!(
            chunk,
            &json!({"key": "chunk_size", "kind": "integer", "env_var": null, "env_vars": [], "required": false,
                    "label": "Characters per chunk", "default": "8", "description": "How many characters each streamed delta carries"})
        );
        assert_eq!(hello["capabilities"]["tools"], true);
        p.send(&json!({"op": "shutdown"})).await;
        assert_eq!(p.exit_code().await, Some(0));
    }
}

/// One step of a scripted exchange.
enum Step {
    /// Send this line.
    Send(&'static str),
    /// The next line is exactly this.
    Expect(&'static str),
    /// The next line starts with this.
    ExpectPrefix(&'static str),
    /// Send `initialize` with these settings (a JSON object); expect `result`.
    Init(&'static str),
    /// Send this `chat` line; expect, line for line, what the linked mock
    /// with the last `Init`'s settings streams for its request.
    ChatAsLinked(&'static str),
    /// Close stdin.
    Close,
    /// The plugin exits with this code (stdin left as it is).
    Exit(i32),
}

use Step::*;

const HELLO: Step = Send(r#"{"op":"hello","protocol":[1],"host":"test"}"#);
const HELLO_BACK: Step =
    ExpectPrefix(r#"{"op":"hello","protocol":1,"id":"mock","name":"Mock","description":"#);

/// Every exchange whose bytes are known, as (what it proves, steps).
fn exchanges() -> Vec<(&'static str, Vec<Step>)> {
    vec![
        (
            "a host with no version in common is told so, and the plugin exits 1",
            vec![
                Send(r#"{"op":"hello","protocol":[2,3],"host":"future"}"#),
                Expect(
                    r#"{"op":"error","error":{"kind":"unsupported_protocol","message":"this plugin speaks protocol 1; the host offers [2, 3]"}}"#,
                ),
                Exit(1),
            ],
        ),
        (
            "requests before hello are refused by id; shutdown before hello exits 0",
            vec![
                Send(r#"{"op":"list_models","id":"early"}"#),
                Expect(
                    r#"{"op":"error","id":"early","error":{"kind":"invalid_request","message":"expected `hello` first"}}"#,
                ),
                Send(r#"{"op":"shutdown"}"#),
                Exit(0),
            ],
        ),
        (
            "requests before initialize are unavailable",
            vec![
                HELLO,
                HELLO_BACK,
                Send(r#"{"op":"list_models","id":"2"}"#),
                Expect(
                    r#"{"op":"error","id":"2","error":{"kind":"unavailable","message":"not initialized: the host has sent no `initialize` yet"}}"#,
                ),
                Send(
                    r#"{"op":"chat","id":"3","request":{"model":"mock-echo","messages":[{"role":"user","content":"hi"}]}}"#,
                ),
                Expect(
                    r#"{"op":"error","id":"3","error":{"kind":"unavailable","message":"not initialized: the host has sent no `initialize` yet"}}"#,
                ),
            ],
        ),
        (
            "a failed initialize is answered, repeated to later requests, and repaired by the next",
            vec![
                HELLO,
                HELLO_BACK,
                Send(r#"{"op":"initialize","id":"1","settings":{"chunk_size":"zero"}}"#),
                Expect(
                    r#"{"op":"error","id":"1","error":{"kind":"invalid_setting","message":"expected a whole number, got \"zero\" (from provider_config.json)","key":"chunk_size"}}"#,
                ),
                Send(r#"{"op":"list_models","id":"2"}"#),
                Expect(
                    r#"{"op":"error","id":"2","error":{"kind":"invalid_setting","message":"expected a whole number, got \"zero\" (from provider_config.json)","key":"chunk_size"}}"#,
                ),
                Init(r#"{"chunk_size":"100"}"#),
                ChatAsLinked(
                    r#"{"op":"chat","id":"4","request":{"model":"mock-echo","messages":[{"role":"user","content":"one piece now"}]}}"#,
                ),
            ],
        ),
        (
            "unknown ops are answered by id or skipped; broken lines are answered by id or skipped",
            vec![
                HELLO,
                HELLO_BACK,
                Init("{}"),
                Send("this is not json"),
                Send(r#"{"op":"teleport"}"#),
                Send(r#"{"op":"cancel","id":"never-existed"}"#),
                Send(r#"{"op":"teleport","id":"u1","where":"mars"}"#),
                Expect(
                    r#"{"op":"error","id":"u1","error":{"kind":"invalid_request","message":"unknown op \"teleport\""}}"#,
                ),
                Send(r#"{"op":"chat","id":"bad","request":{"model":7,"messages":[]}}"#),
                Expect(
                    r#"{"op":"error","id":"bad","error":{"kind":"invalid_request","message":"malformed message: invalid type: integer `7`, expected a string at line 1 column 44"}}"#,
                ),
                Send(r#"{"op":"chat","id":"nothing"}"#),
                Expect(
                    r#"{"op":"error","id":"nothing","error":{"kind":"invalid_request","message":"malformed message: `chat` without `request`"}}"#,
                ),
            ],
        ),
        (
            "unknown fields, at the top and inside the request, change nothing",
            vec![
                HELLO,
                HELLO_BACK,
                Init(r#"{"chunk_size":"3","from_the_future":"x"}"#),
                ChatAsLinked(
                    r#"{"op":"chat","trace":{"x":1},"id":"ok","request":{"model":"mock-echo","future_knob":3,"messages":[{"role":"user","content":"hi there","mood":"calm"}]}}"#,
                ),
            ],
        ),
        (
            "a chat for a model the provider lacks, and one it rate-limits, fail by id",
            vec![
                HELLO,
                HELLO_BACK,
                Init("{}"),
                ChatAsLinked(
                    r#"{"op":"chat","id":"nf","request":{"model":"mock-nope","messages":[{"role":"user","content":"x"}]}}"#,
                ),
                Send(
                    r#"{"op":"chat","id":"rl","request":{"model":"mock-rate-limited","messages":[{"role":"user","content":"x"}]}}"#,
                ),
                Expect(
                    r#"{"op":"error","id":"rl","error":{"kind":"rate_limited","message":"mock rate limit (model mock-rate-limited)","status":429,"retry_after_ms":2000}}"#,
                ),
            ],
        ),
        (
            "the end of stdin ends the plugin with 0",
            vec![HELLO, HELLO_BACK, Init("{}"), Close, Exit(0)],
        ),
        (
            "shutdown ends the plugin with 0",
            vec![HELLO, HELLO_BACK, Send(r#"{"op":"shutdown"}"#), Exit(0)],
        ),
    ]
}

#[tokio::test]
async fn every_scripted_exchange_has_exactly_these_bytes_on_the_wire() {
    for (what, steps) in exchanges() {
        let mut p = Plugin::start();
        let mut settings: Vec<(String, String)> = Vec::new();
        for (n, step) in steps.into_iter().enumerate() {
            let at = format!("{what}: step {n}");
            match step {
                Send(line) => p.send_raw(line.as_bytes()).await,
                Expect(line) => assert_eq!(p.recv_raw().await, line, "{at}"),
                ExpectPrefix(prefix) => {
                    let got = p.recv_raw().await;
                    assert!(got.starts_with(prefix), "{at}: {got}");
                }
                Init(json) => {
                    p.send_raw(
                        format!(r#"{{"op":"initialize","id":"init","settings":{json}}}"#)
                            .as_bytes(),
                    )
                    .await;
                    assert_eq!(p.recv_raw().await, r#"{"op":"result","id":"init"}"#, "{at}");
                    let map: std::collections::BTreeMap<String, String> =
                        serde_json::from_str(json).unwrap();
                    settings = map.into_iter().collect();
                }
                ChatAsLinked(line) => {
                    let v: Value = serde_json::from_str(line).unwrap();
                    let id = v["id"].as_str().unwrap();
                    let request: ChatRequest =
                        serde_json::from_value(v["request"].clone()).unwrap();
                    let pairs: Vec<(&str, &str)> = settings
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    let want = linked_lines(&pairs, id, &request).await;
                    p.send_raw(line.as_bytes()).await;
                    assert_eq!(p.collect(id).await, want, "{at}");
                }
                Close => drop(p.stdin.take()),
                Exit(code) => {
                    let status = tokio::time::timeout(WAIT, p.child.wait())
                        .await
                        .expect("exits in time")
                        .unwrap();
                    assert_eq!(status.code(), Some(code), "{at}");
                }
            }
        }
    }
}

#[tokio::test]
async fn lines_the_plugin_skips_are_logged_on_stderr_never_on_stdout() {
    let mut p = Plugin::ready(json!({})).await;
    p.send_raw(b"this is not json").await;
    p.send_raw(br#"{"op":"list_models","id":"after"}"#).await;
    // The next stdout line is the answer: nothing was written for the
    // broken line.
    assert!(p
        .recv_raw()
        .await
        .starts_with(r#"{"op":"result","id":"after","#));
    let err = p.stderr().await;
    assert!(err.contains("ignored a line from the host"), "{err}");
}

#[tokio::test]
async fn list_models_answers_exactly_what_the_linked_provider_lists() {
    let mut p = Plugin::ready(json!({})).await;
    p.send(&json!({"op": "list_models", "id": "m"})).await;
    let mut mock = MockProvider::default();
    mock.initialize(&ResolvedSettings::from_pairs("mock", &[]))
        .await
        .unwrap();
    let mut expected = Vec::new();
    PluginMessage::Result {
        id: "m".into(),
        models: Some(mock.list_models().await.unwrap()),
    }
    .encode(&mut expected)
    .unwrap();
    expected.pop();
    assert_eq!(p.recv_raw().await.as_bytes(), &expected[..]);
}

#[tokio::test]
async fn every_event_kind_streams_byte_for_byte_as_the_linked_provider_streams_it() {
    let settings = [("chunk_size", "5")];
    let mut p = Plugin::ready(json!({"chunk_size": "5"})).await;
    let cases = [
        // Text deltas, usage, finish.
        ChatRequest::new(
            "mock-echo",
            vec![
                Message::system("be brief"),
                Message::user("hello out there"),
            ],
        ),
        // Reasoning deltas and the signature.
        ChatRequest::new("mock-reasoning", vec![Message::user("think first")])
            .reasoning(yat_core::ReasoningConfig::budget_tokens(1024)),
        // Tool call start, argument deltas, end; finish tool_calls.
        ChatRequest::new("mock-tools", vec![Message::user("weather?")]).tool(weather_tool()),
        // Two calls at once, their pieces interleaved.
        ChatRequest::new("mock-parallel-tools", vec![Message::user("both")])
            .tool(weather_tool())
            .tool(ToolSpec::new("now", "The time", json!({"type": "object"}))),
        // Inline image bytes travel as base64 and come back described.
        ChatRequest::new(
            "mock-vision",
            vec![
                Message::user("what is this?").with_part(yat_core::Part::Image(
                    yat_core::Media::bytes("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
                )),
            ],
        ),
        // An error before the first event.
        ChatRequest::new("mock-rate-limited", vec![Message::user("x")]),
        ChatRequest::new("mock-nope", vec![Message::user("x")]),
        // An error after events.
        ChatRequest::new("mock-fail-mid", vec![Message::user("x")]),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for (n, request) in cases.iter().enumerate() {
        let id = format!("c{n}");
        p.send_raw(&chat_line(&id, request)).await;
        let got = p.collect(&id).await;
        let want = linked_lines(&settings, &id, request).await;
        assert_eq!(got, want, "model {}", request.model);
        for line in &got {
            let v: Value = serde_json::from_str(line).unwrap();
            kinds.insert(
                v["event"]["type"]
                    .as_str()
                    .or(v["op"].as_str())
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let every = [
        "delta",
        "reasoning_delta",
        "reasoning_signature",
        "tool_call_start",
        "tool_call_delta",
        "tool_call_end",
        "usage",
        "finish",
        "end",
        "error",
    ];
    for kind in every {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    // The rate limit keeps its retry hint on the wire.
    p.send_raw(&chat_line("rl", &cases[5])).await;
    let rl: Value = serde_json::from_str(&p.collect("rl").await[0]).unwrap();
    assert_eq!(
        rl["error"],
        json!({"kind": "rate_limited", "message": "mock rate limit (model mock-rate-limited)", "status": 429, "retry_after_ms": 2000})
    );
}

#[tokio::test]
async fn two_chats_run_at_once_over_one_child_interleaved_by_id() {
    let mut p = Plugin::ready(json!({"chunk_size": "40", "delay_ms": "5"})).await;
    let request = ChatRequest::new("mock-long", vec![Message::user("x")]);
    p.send_raw(&chat_line("a", &request)).await;
    p.send_raw(&chat_line("b", &request)).await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut order = String::new();
    let mut open = 2;
    while open > 0 {
        let line = p.recv_raw().await;
        let msg = PluginMessage::decode(line.as_bytes()).unwrap();
        open -= usize::from(msg.is_terminator());
        match msg.id() {
            Some("a") => (a.push(line), order.push('a')).1,
            Some("b") => (b.push(line), order.push('b')).1,
            _ => panic!("{line}"),
        }
    }
    // Interleaved: b's stream started before a's ended.
    let first_b = order.find('b').unwrap();
    let last_a = order.rfind('a').unwrap();
    assert!(first_b < last_a, "not interleaved: {order}");
    let settings = [("chunk_size", "40"), ("delay_ms", "5")];
    assert_eq!(a, linked_lines(&settings, "a", &request).await);
    assert_eq!(b, linked_lines(&settings, "b", &request).await);
}

#[tokio::test]
async fn cancel_stops_a_chat_with_one_cancelled_terminator_and_the_child_serves_on() {
    let mut p = Plugin::ready(json!({"delay_ms": "30"})).await;
    let request = ChatRequest::new("mock-long", vec![Message::user("x")]);
    p.send_raw(&chat_line("slow", &request)).await;
    let first = p.recv().await;
    assert_eq!(
        (first["op"].as_str(), first["id"].as_str()),
        (Some("event"), Some("slow"))
    );
    p.send(&json!({"op": "cancel", "id": "slow"})).await;
    let rest = p.collect("slow").await;
    assert!(
        rest.len() <= 2,
        "the stream went on after the cancel: {rest:?}"
    );
    assert_eq!(
        rest.last().unwrap(),
        r#"{"op":"error","id":"slow","error":{"kind":"cancelled","message":"cancelled"}}"#
    );
    // A late cancel of a finished chat sends nothing; the next chat is
    // answered, and nothing more about "slow" comes before it.
    p.send(&json!({"op": "cancel", "id": "slow"})).await;
    p.send(&json!({"op": "cancel", "id": "never-existed"}))
        .await;
    let echo = ChatRequest::new("mock-echo", vec![Message::user("still here")]);
    p.send_raw(&chat_line("next", &echo)).await;
    let lines = p.collect("next").await;
    assert_eq!(
        lines,
        linked_lines(&[("delay_ms", "30")], "next", &echo).await
    );
}

#[tokio::test]
async fn a_line_over_16_mib_is_skipped_and_the_next_one_served() {
    let mut p = Plugin::ready(json!({})).await;
    let mut huge = br#"{"op":"chat","id":"huge","request":{"model":"mock-echo","messages":[{"role":"user","content":""#.to_vec();
    huge.resize(huge.len() + 17 * 1024 * 1024, b'a');
    huge.extend_from_slice(br#""}]}}"#);
    let writer = {
        let mut stdin = p.stdin.take().unwrap();
        tokio::spawn(async move {
            stdin.write_all(&huge).await.unwrap();
            stdin
                .write_all(b"\n{\"op\":\"list_models\",\"id\":\"after\"}\n")
                .await
                .unwrap();
            stdin
        })
    };
    let line = p.recv_raw().await;
    assert!(
        line.starts_with(r#"{"op":"result","id":"after","models":["#),
        "{}",
        &line[..line.len().min(200)]
    );
    p.stdin = Some(writer.await.unwrap());
}

#[tokio::test]
async fn the_end_of_stdin_and_shutdown_end_the_plugin_at_once_even_mid_chat() {
    for by_shutdown in [false, true] {
        let mut p = Plugin::ready(json!({"delay_ms": "1000"})).await;
        let request = ChatRequest::new("mock-long", vec![Message::user("x")]);
        p.send_raw(&chat_line("long", &request)).await;
        p.recv().await; // streaming
        if by_shutdown {
            p.send(&json!({"op": "shutdown"})).await;
        }
        let started = std::time::Instant::now();
        assert_eq!(p.exit_code().await, Some(0));
        // A chat with a second between chunks did not hold it up.
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[tokio::test]
async fn the_provider_id_comes_from_the_program_name() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("yat-provider-mock");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_yat-provider"), &link).unwrap();
    let mut p = Plugin::start_with(&mut Command::new(&link));
    p.send(&json!({"op": "hello", "protocol": [1], "host": "test"}))
        .await;
    assert_eq!(p.recv().await["id"], "mock");

    let unknown = dir.path().join("yat-provider-nosuch");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_yat-provider"), &unknown).unwrap();
    let out = std::process::Command::new(&unknown)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"unknown provider "nosuch"; compiled in: "#) && err.contains("mock"),
        "{err}"
    );

    let bare = std::process::Command::new(env!("CARGO_BIN_EXE_yat-provider"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(2));
    assert!(bare.stdout.is_empty());
    assert!(String::from_utf8_lossy(&bare.stderr).contains("no provider named; linked: "));
}
