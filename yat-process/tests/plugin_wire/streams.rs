//! Chats of every kind, at once, cancelled, and the plugin's lifecycle.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use yat_core::{ChatRequest, LlmProvider, Message, ResolvedSettings, ToolSpec};
use yat_process::protocol::PluginMessage;
use yat_providers::mock::MockProvider;

use crate::driver::{chat_line, linked_lines, weather_tool, Plugin};

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
