//! The exchanges whose bytes are known, as one table of steps.

use serde_json::{json, Value};
use yat_core::ChatRequest;

use crate::driver::{linked_lines, Plugin, WAIT};

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
