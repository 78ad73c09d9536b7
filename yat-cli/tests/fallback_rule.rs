//! `--fallback` follows whether a failure belongs to the first provider: a
//! rejected key or a missing model says nothing about the next one, so yat
//! moves on; a malformed request would be malformed there too, so it stops.
//! The first provider is a real OpenAI-format server on 127.0.0.1.
#![cfg(feature = "openai")]

mod common;

use std::time::Duration;

use common::Sandbox;
use yat_fakeserver::{FakeServer, Response, Route};

const KEY: &str = "sk-rejected-planted-0123456789";

fn openai_error(status: u16, kind: &str, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "error": {"message": message, "type": kind, "param": null, "code": code}
    });
    Response::json(status, &body.to_string())
}

/// Runs `yat chat -m openai/gpt-x --fallback mock/mock-echo hello` against a
/// server that answers every chat with `answer`; returns (exit code,
/// stdout, stderr) and how many chats reached the server.
async fn chat_with_fallback(answer: Response) -> (i32, String, String, usize) {
    let server = FakeServer::start(vec![
        Route::new("POST", "/v1/chat/completions").respond(answer)
    ])
    .await
    .unwrap();
    let out = Sandbox::new()
        .yat()
        .timeout(Duration::from_secs(30))
        .env("OPENAI_API_KEY", KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .args([
            "chat",
            "--no-history",
            "-m",
            "openai/gpt-x",
            "--fallback",
            "mock/mock-echo",
            "hello",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("planted"), "the key leaked: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        server.requests().len(),
    )
}

#[tokio::test]
async fn a_rejected_key_falls_back_to_the_next_model_without_retrying() {
    let (code, stdout, stderr, chats) = chat_with_fallback(openai_error(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided",
    ))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "hello\n");
    assert!(
        stderr.contains("openai/gpt-x failed before answering"),
        "{stderr}"
    );
    assert!(stderr.contains("answered by mock/mock-echo"), "{stderr}");
    assert_eq!(chats, 1, "a rejected key is not retried");
}

#[tokio::test]
async fn a_missing_model_falls_back_to_the_next_model() {
    let (code, stdout, stderr, _) = chat_with_fallback(openai_error(
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `gpt-x` does not exist",
    ))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "hello\n");
    assert!(stderr.contains("answered by mock/mock-echo"), "{stderr}");
}

#[tokio::test]
async fn a_malformed_request_stops_at_the_first_model() {
    let (code, stdout, stderr, chats) = chat_with_fallback(openai_error(
        400,
        "invalid_request_error",
        "invalid_value",
        "messages[0].content: invalid",
    ))
    .await;
    assert_ne!(code, 0);
    assert_eq!(stdout, "");
    assert!(stderr.contains("messages[0].content: invalid"), "{stderr}");
    assert!(!stderr.contains("answered by"), "{stderr}");
    assert_eq!(chats, 1);
}
