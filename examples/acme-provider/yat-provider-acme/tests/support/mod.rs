//! A fake Acme Chat on 127.0.0.1, scripted on yat's fake server: the API
//! the provider speaks, so the provider runs end to end with no network.
//!
//! The key must be `test-key`; the reply echoes the last `human` turn, one
//! word per line, honouring `max_tokens` and `stop`; `acme-slow` streams
//! 500 words 20 ms apart, so a test can drop it mid-reply; `acme-busy`
//! answers 429 with `Retry-After: 2`.

#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};
use yat_fakeserver::{FakeServer, RecordedRequest, Response, Route, Split, Transfer};

pub const KEY: &str = "test-key";

/// The fake Acme.
pub async fn start() -> FakeServer {
    start_after(Vec::new()).await
}

/// The fake Acme, whose chat endpoint first gives `first_chats`, in order.
pub async fn start_after(first_chats: Vec<Response>) -> FakeServer {
    let mut chat = Route::new("POST", "/v1/chat");
    for r in first_chats {
        chat = chat.respond(r);
    }
    let routes = vec![
        chat.handle(|req| authed(req, || reply(&req.json()))),
        Route::new("GET", "/v1/models").handle(|req| {
            authed(req, || {
                let models = json!({"data": [
                    {"name": "acme-1", "label": "Acme One", "context_window": 16384, "max_reply": 2048},
                    {"name": "acme-slow", "label": "Acme Slow"}
                ]});
                Response::json(200, &models.to_string())
            })
        }),
    ];
    FakeServer::start(routes)
        .await
        .expect("a port on 127.0.0.1")
}

/// An Acme error response.
pub fn error(status: u16, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    Response::json(status, &body.to_string())
}

fn authed(req: &RecordedRequest, answer: impl FnOnce() -> Response) -> Response {
    if req.header("x-acme-key") == Some(KEY) {
        answer()
    } else {
        error(
            401,
            "invalid_key",
            "the X-Acme-Key header is missing or wrong",
        )
    }
}

fn reply(req: &Value) -> Response {
    let slow = match req["model"].as_str().unwrap_or_default() {
        "acme-1" => false,
        "acme-slow" => true,
        "acme-busy" => {
            return error(429, "slow_down", "too many requests").header("retry-after", "2")
        }
        other => return error(404, "unknown_model", &format!("no model named {other:?}")),
    };
    let turns = req["conversation"].as_array().cloned().unwrap_or_default();
    let texts = || turns.iter().filter_map(|t| t["text"].as_str());
    let input_tokens: usize = texts().map(|t| t.split_whitespace().count()).sum();
    let prompt = turns
        .iter()
        .rev()
        .find(|t| t["from"] == "human")
        .and_then(|t| t["text"].as_str())
        .unwrap_or_default();

    let mut text = prompt;
    let mut reason = "complete";
    let stops = req["stop"].as_array().cloned().unwrap_or_default();
    let stop_at = stops
        .iter()
        .filter_map(|s| s.as_str())
        .filter(|s| !s.is_empty());
    if let Some(pos) = stop_at.filter_map(|s| text.find(s)).min() {
        text = &text[..pos];
        reason = "stop_sequence";
    }
    let mut words: Vec<&str> = text.split_inclusive(' ').collect();
    if slow {
        // Long enough that only a client that stays would see the end.
        words = words.into_iter().cycle().take(500).collect();
    }
    if let Some(max) = req["max_tokens"].as_u64() {
        if words.len() as u64 > max {
            words.truncate(max as usize);
            reason = "length";
        }
    }

    // One line per write, as a streaming server sends them.
    let mut body = String::new();
    let mut line_ends = Vec::new();
    for w in &words {
        body.push_str(&format!("{}\n", json!({"type": "chunk", "text": w})));
        line_ends.push(body.len());
    }
    let tokens = json!({"in": input_tokens, "out": words.len()});
    body.push_str(&format!(
        "{}\n",
        json!({"type": "done", "reason": reason, "tokens": tokens})
    ));
    let response = Response::new(200)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .split(Split::At(line_ends))
        .transfer(Transfer::Chunked);
    if slow {
        response.pace(Duration::from_millis(20))
    } else {
        response
    }
}
