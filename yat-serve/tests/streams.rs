//! Streams and the upstream's faults: a client that goes away cancels the
//! upstream request; tool calls go out as they arrive; an upstream that
//! stalls, resets or fails mid-stream is the format's in-stream error
//! event and a closed connection, never a hang; one that fails before
//! answering is the right status; the configured fallback answers for a
//! model that fails before its first token.
//!
//! The upstream is the fake server behind the gateway's `openai`
//! provider, which picks its answer by the model the client named.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{bounded, read_sse, status_and_json, Format, Frame, Running, Setup};
use yat_fakeserver::{openai_stream, Action, FakeServer, Fault, Response, Split};

/// The upstream key; a 401 body below quotes it, as OpenAI's does.
const UPSTREAM_KEY: &str = "sk-upstream-planted-0123";

fn error_body(message: &str, kind: &str, code: Option<&str>) -> String {
    json!({ "error": { "message": message, "type": kind, "code": code } }).to_string()
}

/// The first pieces of a reply: its role chunk and two text chunks.
fn opening() -> String {
    let whole = openai_stream(&["Hel", "lo"]);
    // role, "Hel", "lo": the first three events, without the end.
    whole.split_inclusive("\n\n").take(3).collect()
}

/// A tool call's first fragment, as OpenAI streams it.
fn call_start() -> String {
    let chunk = json!({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{ "index": 0, "finish_reason": null, "delta": { "tool_calls": [{
            "index": 0, "id": "call_1", "type": "function",
            "function": { "name": "weather", "arguments": "" } }] } }]
    });
    format!("data: {chunk}\n\n")
}

/// The upstream's answer for each model name.
fn scripted(model: &str) -> Response {
    let json = Response::json;
    match model {
        "ok" => Response::sse(&openai_stream(&["Hel", "lo"])),
        "stall-mid" => Response::sse(&opening()).then(Action::Stall),
        "reset-mid" => Response::sse(&opening()).then(Action::Reset),
        "close-mid" => Response::sse(&opening()).then(Action::Close),
        "endless" => Response::sse(&opening().repeat(200))
            .split(Split::Events)
            .pace(Duration::from_millis(10)),
        "tool-then-stall" => Response::sse(&(opening() + &call_start())).then(Action::Stall),
        "stall-first" => Response::new(200).before_headers(Fault::Stall),
        "reset-first" => Response::new(200).before_headers(Fault::Reset),
        "e400" => json(
            400,
            &error_body("messages: bad", "invalid_request_error", None),
        ),
        "e401" => json(
            401,
            &error_body(
                &format!("Incorrect API key provided: {UPSTREAM_KEY}"),
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
        ),
        "e404" => json(
            404,
            &error_body(
                "The model `e404` does not exist",
                "invalid_request_error",
                Some("model_not_found"),
            ),
        ),
        "e429" => json(
            429,
            &error_body(
                "Rate limit reached",
                "requests",
                Some("rate_limit_exceeded"),
            ),
        )
        .header("retry-after", "7"),
        "e500" => json(
            500,
            &error_body("The server had an error", "server_error", None),
        ),
        "e503" => json(
            503,
            &error_body("The engine is currently overloaded", "server_error", None),
        ),
        other => json(
            404,
            &error_body(
                &format!("no script for {other}"),
                "invalid_request_error",
                None,
            ),
        ),
    }
}

/// The fake upstream, and a gateway whose `openai` provider uses it with
/// short timeouts.
async fn gateway_with_upstream(setup: Setup) -> (FakeServer, Running) {
    let upstream = FakeServer::start(vec![yat_fakeserver::Route::new(
        "POST",
        "/v1/chat/completions",
    )
    .handle(|req| scripted(req.json()["model"].as_str().unwrap_or_default()))])
    .await
    .unwrap();
    let base_url = format!("{}/v1", upstream.url());
    let gw = setup
        .provider(
            "openai",
            &[
                ("base_url", &base_url),
                ("first_byte_timeout", "0.4"),
                ("idle_timeout", "0.4"),
            ],
        )
        .env("OPENAI_API_KEY", UPSTREAM_KEY)
        .start()
        .await;
    (upstream, gw)
}

/// The frames of a stream up to the first one `done` accepts, reading as
/// they arrive (the stream is left open).
async fn read_until(response: &mut reqwest::Response, done: impl Fn(&Frame) -> bool) -> Vec<Frame> {
    let mut text = String::new();
    loop {
        let chunk = bounded("the next frame", response.chunk())
            .await
            .unwrap()
            .expect("the stream goes on");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        let complete = &text[..text.rfind("\n\n").map_or(0, |i| i + 2)];
        let frames = support::parse_sse(complete);
        if frames.iter().any(&done) {
            return frames;
        }
    }
}

/// A client that goes away mid-stream cancels the upstream request at
/// once (the fake server sees its connection closed), the stream slot is
/// freed and the exchange is counted as the client's going.
#[tokio::test]
async fn a_client_that_disconnects_mid_stream_cancels_the_upstream() {
    let (upstream, gw) = gateway_with_upstream(Setup::default()).await;
    let gone = upstream.disconnects();
    for (i, format) in Format::BOTH.into_iter().enumerate() {
        let mut reply = gw.say(format, "openai/endless", "go", true).await;
        let frames = read_until(&mut reply, |f| {
            format.streamed_text(std::slice::from_ref(f)) == "Hel"
        })
        .await;
        assert!(!format.completed(&frames));
        drop(reply);
        bounded("the upstream sees the client go", gone.past(i)).await;
        gw.wait_streams_closed().await;
        let series = format!(
            r#"yat_gateway_errors_total{{dialect="{}",provider="openai",kind="client_gone"}}"#,
            match format {
                Format::OpenAi => "openai",
                Format::Anthropic => "anthropic",
            }
        );
        assert_eq!(gw.metric(&series).await, 1.0, "{series}");
    }
    // The same with the mock, whose stream is cancelled by being dropped.
    let mut slow = gw.say(Format::OpenAi, "mock/mock-slow", "x", true).await;
    support::next_text(&mut slow).await;
    drop(slow);
    gw.wait_streams_closed().await;
}

/// The gateway does not hold tool calls back: the call's first fragment
/// reaches the client while the upstream is still sending (here, stalled
/// after it).
#[tokio::test]
async fn a_tool_call_reaches_the_client_before_the_upstream_finishes() {
    let (_upstream, gw) = gateway_with_upstream(Setup::default()).await;
    for format in Format::BOTH {
        let mut body = format.body("openai/tool-then-stall", "weather?", true);
        body["tools"] = match format {
            Format::OpenAi => json!([{ "type": "function", "function": {
                "name": "weather", "parameters": { "type": "object" } } }]),
            Format::Anthropic => {
                json!([{ "name": "weather", "input_schema": { "type": "object" } }])
            }
        };
        let mut reply = gw.chat(format, &body).await;
        let frames = read_until(&mut reply, |f| {
            let Some(v) = f.json() else { return false };
            match format {
                Format::OpenAi => {
                    v["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "weather"
                }
                Format::Anthropic => {
                    v["content_block"]["type"] == "tool_use"
                        && v["content_block"]["name"] == "weather"
                }
            }
        })
        .await;
        assert_eq!(format.streamed_text(&frames), "Hello", "{format:?}");
    }
}

/// What each mid-stream fault becomes: the text so far, then the format's
/// in-stream error event, then the end of the connection — never a hang,
/// never a complete-looking reply.
#[tokio::test]
async fn an_upstream_that_fails_mid_stream_is_an_error_event_and_a_closed_stream() {
    let (upstream, gw) = gateway_with_upstream(Setup::default()).await;
    // (model, OpenAI's error type, Anthropic's)
    let cases = [
        ("openai/stall-mid", "server_error", "timeout_error"),
        ("openai/reset-mid", "server_error", "api_error"),
        ("openai/close-mid", "server_error", "api_error"),
        ("mock/mock-fail-mid", "server_error", "api_error"),
    ];
    for (model, openai_kind, anthropic_kind) in cases {
        for format in Format::BOTH {
            let what = format!("{model}, {format:?}");
            let frames = read_sse(gw.say(format, model, "go", true).await).await;
            let error = format
                .stream_error(&frames)
                .unwrap_or_else(|| panic!("{what}: no error event in {frames:?}"));
            let kind = match format {
                Format::OpenAi => openai_kind,
                Format::Anthropic => anthropic_kind,
            };
            assert_eq!(format.error_type(&error), kind, "{what}: {error}");
            assert!(!format.completed(&frames), "{what}");
            assert_eq!(
                format.stream_error(frames.last().map(std::slice::from_ref).unwrap()),
                Some(error),
                "{what}: the error event is the last frame"
            );
            assert!(
                !format.streamed_text(&frames).is_empty(),
                "{what}: the text so far"
            );
        }
    }
    // The stalled upstream connection was closed by the provider's idle
    // timeout, and nothing is left open.
    assert!(upstream.client_disconnects() >= 2);
    gw.wait_streams_closed().await;
}

/// An upstream failure before the reply starts is a proper HTTP error:
/// the status and type the client's SDK expects, `retry-after` passed on,
/// and an upstream credential problem is the gateway's 502, which says
/// nothing of the vendor's reply (it quoted the key).
#[tokio::test]
async fn an_upstream_failure_before_the_reply_is_the_right_status() {
    let (_upstream, gw) = gateway_with_upstream(Setup::default()).await;
    // (model, status and type as OpenAI, as Anthropic, retry-after)
    let cases = [
        (
            "e400",
            (400, "invalid_request_error"),
            (400, "invalid_request_error"),
            None,
        ),
        ("e401", (502, "server_error"), (502, "api_error"), None),
        (
            "e404",
            (404, "invalid_request_error"),
            (404, "not_found_error"),
            None,
        ),
        (
            "e429",
            (429, "requests"),
            (429, "rate_limit_error"),
            Some("7"),
        ),
        ("e500", (502, "server_error"), (502, "api_error"), None),
        (
            "e503",
            (503, "server_error"),
            (529, "overloaded_error"),
            None,
        ),
        (
            "stall-first",
            (504, "server_error"),
            (504, "timeout_error"),
            None,
        ),
        (
            "reset-first",
            (502, "server_error"),
            (502, "api_error"),
            None,
        ),
    ];
    for (model, openai, anthropic, retry_after) in cases {
        for (format, (status, kind)) in [(Format::OpenAi, openai), (Format::Anthropic, anthropic)] {
            for stream in [false, true] {
                let what = format!("{model}, {format:?}, stream {stream}");
                let r = gw
                    .say(format, &format!("openai/{model}"), "hi", stream)
                    .await;
                let got_retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let (got, body) = status_and_json(r).await;
                assert_eq!(
                    (got, format.error_type(&body).as_str()),
                    (status, kind),
                    "{what}: {body}"
                );
                assert_eq!(got_retry.as_deref(), retry_after, "{what}");
                assert!(!body.to_string().contains("planted"), "{what}: {body}");
            }
        }
    }
    let (_, body) = status_and_json(gw.say(Format::OpenAi, "openai/e401", "hi", false).await).await;
    assert_eq!(
        Format::OpenAi.error_message(&body),
        "openai rejected the gateway's credentials"
    );
    // And the gateway goes on serving the same upstream.
    let frames = read_sse(gw.say(Format::OpenAi, "openai/ok", "hi", true).await).await;
    assert_eq!(Format::OpenAi.streamed_text(&frames), "Hello");
}

/// The configured fallback answers for a model that fails before its
/// first token; `x-yat-model` says which model answered, and the reply
/// names it. Without a fallback, the reply keeps the client's own name
/// for the model (an alias here).
#[tokio::test]
async fn a_fallback_answers_when_the_first_model_fails_before_answering() {
    let gw = Setup::default()
        .set("fallbacks", json!(["mock/mock-echo"]))
        .set("aliases", json!({ "fast": "mock/mock-echo" }))
        .start()
        .await;
    let model_of = |format: Format, body: &Value| match format {
        Format::OpenAi => body["model"].as_str().map(str::to_owned),
        Format::Anthropic => body["model"].as_str().map(str::to_owned),
    };
    for format in Format::BOTH {
        // (asked, x-yat-model, the reply's model)
        for (asked, served, named) in [
            ("mock/mock-fail-before", "mock/mock-echo", "mock/mock-echo"),
            ("fast", "mock/mock-echo", "fast"),
        ] {
            let what = format!("{format:?} {asked}");
            let r = gw.say(format, asked, "rescued", false).await;
            assert_eq!(r.headers()["x-yat-model"], served, "{what}");
            let (status, body) = status_and_json(r).await;
            assert_eq!(status, 200, "{what}: {body}");
            assert_eq!(format.reply_text(&body), "rescued", "{what}");
            assert_eq!(model_of(format, &body).as_deref(), Some(named), "{what}");

            let r = gw.say(format, asked, "rescued", true).await;
            assert_eq!(r.headers()["x-yat-model"], served, "{what}, streamed");
            let frames = read_sse(r).await;
            assert_eq!(format.streamed_text(&frames), "rescued", "{what}, streamed");
            let first = frames[0].json().unwrap();
            let streamed_model = match format {
                Format::OpenAi => first["model"].clone(),
                Format::Anthropic => first["message"]["model"].clone(),
            };
            assert_eq!(streamed_model, named, "{what}, streamed");
        }
    }
}
