//! `yat chat` against real HTTP providers: pointed at any OpenAI- or
//! Anthropic-compatible server with `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`
//! (here the fake server on 127.0.0.1), it streams the reply byte for byte
//! and sends the documented request.
#![cfg(all(feature = "openai", feature = "anthropic"))]

mod common;

use std::time::Duration;

use common::Sandbox;
use yat_fakeserver::{anthropic_stream, openai_stream, FakeServer, Response, Route, Split};

const KEY: &str = "sk-e2e-planted-0123456789";
const PIECES: &[&str] = &["Bonjour", ", ", "le ", "monde ", "— ", "ça ", "va ?"];

#[tokio::test]
async fn openai_base_url_points_yat_chat_at_any_compatible_server() {
    let server = FakeServer::start(vec![Route::new("POST", "/v1/chat/completions")
        .respond(Response::sse(&openai_stream(PIECES)).split(Split::EveryByte))])
    .await
    .unwrap();
    let sb = Sandbox::new();
    let out = sb
        .yat()
        .timeout(Duration::from_secs(30))
        .env("OPENAI_API_KEY", KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .args([
            "chat",
            "--no-history",
            "-m",
            "openai/gpt-4o-mini",
            "-s",
            "Be brief.",
        ])
        .arg("Say hello")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", PIECES.concat())
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("planted"));

    let req = &server.requests()[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = req.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Say hello");
}

#[tokio::test]
async fn anthropic_base_url_points_yat_chat_at_the_server() {
    let server = FakeServer::start(vec![Route::new("POST", "/v1/messages")
        .respond(Response::sse(&anthropic_stream(PIECES)).split(Split::Size(5)))])
    .await
    .unwrap();
    let sb = Sandbox::new();
    let out = sb
        .yat()
        .timeout(Duration::from_secs(30))
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", server.url())
        .args([
            "chat",
            "--no-history",
            "--json",
            "-m",
            "anthropic/claude-sonnet-4-5",
        ])
        .arg("Say hello")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, PIECES.concat());
    let last = events.last().unwrap();
    assert_eq!(last["type"], "finish");
    assert_eq!(last["raw"], "end_turn");
    assert!(events
        .iter()
        .any(|e| e["type"] == "usage" && e["input_tokens"] == 9 && e["output_tokens"] == 7));

    let req = &server.requests()[0];
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.json()["stream"], true);
}
