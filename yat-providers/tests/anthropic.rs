//! The Anthropic provider against a local fake server speaking the Messages
//! API byte for byte, as this vendor's cases for the checks every wire
//! format runs (`support::checks`), and its model listing.
#![cfg(feature = "anthropic")]

mod support;

use std::time::Duration;

use support::checks::{
    self, Body, Cases, Documented, ErrorCase, Replay, Retry, StreamError, Truncation,
};
use support::vendors::anthropic::{vendor, KEY, MESSAGES_PATH};
use support::{delta, finish, text_reply};
use yat_core::{ChatEvent, ChatRequest, FinishReason, LlmProvider, Message, Usage};
use yat_fakeserver::{
    anthropic_stream, Action, FakeServer, Fault, RecordedRequest, Response, Route,
};
use yat_providers::anthropic::Anthropic;

/// The docs' "Basic streaming request" response, byte for byte.
const TRANSCRIPT: &str = concat!(
    "event: message_start\n",
    "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-opus-4-1-20250805\", \"stop_reason\": null, \"stop_sequence\": null, \"usage\": {\"input_tokens\": 25, \"output_tokens\": 1}}}\n\n",
    "event: content_block_start\n",
    "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n",
    "event: ping\n",
    "data: {\"type\": \"ping\"}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hello\"}}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"!\"}}\n\n",
    "event: content_block_stop\n",
    "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n",
    "event: message_delta\n",
    "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\":null}, \"usage\": {\"output_tokens\": 15}}\n\n",
    "event: message_stop\n",
    "data: {\"type\": \"message_stop\"}\n\n",
);

/// The docs' in-stream error example.
const OVERLOADED_EVENT: &str = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";

fn expected_events() -> Vec<ChatEvent> {
    let finish = finish(FinishReason::Stop, "end_turn");
    text_reply(&["Hello", "!"], Usage::new(25, 15), finish)
}

/// The transcript up to (not including) the first event named `event`.
fn head_until(event: &str) -> &'static str {
    &TRANSCRIPT[..TRANSCRIPT.find(&format!("event: {event}\n")).unwrap()]
}

fn request() -> ChatRequest {
    checks::say_hello("claude-sonnet-4-5")
        .temperature(0.7)
        .max_tokens(256)
        .stop("\n\nUser:")
}

fn error_body(kind: &str, message: &str) -> String {
    serde_json::json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
    .to_string()
}

/// The documented request, with a beta header asked for.
fn documented() -> Documented {
    Documented::new(
        MESSAGES_PATH,
        Body::Text(
            r#"{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7,"stop_sequences":["\n\nUser:"],"stream":true}"#,
        ),
    )
    .setting("anthropic_beta", "token-efficient-tools-2025-02-19")
    .header("x-api-key", KEY)
    .header("anthropic-version", "2023-06-01")
    .header("anthropic-beta", "token-efficient-tools-2025-02-19")
    .header("content-type", "application/json")
    .header("accept", "text/event-stream")
    .without("authorization")
}

/// A documented error: `status` with `error.type` and `message`, which
/// the error must repeat, mapped to `expected`.
fn documented_error(status: u16, kind: &str, message: &str, expected: &'static str) -> ErrorCase {
    ErrorCase::new(status, error_body(kind, message), expected)
        .header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
        .mentions(message)
}

fn errors() -> Vec<ErrorCase> {
    vec![
        documented_error(401, "authentication_error", "invalid x-api-key", "authentication"),
        documented_error(403, "permission_error", "Your API key does not have permission to use the specified resource.", "permission"),
        documented_error(404, "not_found_error", "model: claude-nonexistent", "model_not_found"),
        documented_error(400, "invalid_request_error", "prompt is too long: 215439 tokens > 200000 maximum", "context_length_exceeded"),
        documented_error(400, "invalid_request_error", "max_tokens: Field required", "invalid_request"),
        documented_error(402, "billing_error", "Your credit balance is too low to access the Anthropic API.", "quota_exhausted"),
        documented_error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", "invalid_request"),
        documented_error(429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50,000 input tokens per minute.", "rate_limited")
            .header("retry-after", "17")
            .header("anthropic-ratelimit-input-tokens-remaining", "0")
            .retry_after(Duration::from_secs(17)),
        documented_error(500, "api_error", "Internal server error", "server_error"),
        documented_error(529, "overloaded_error", "Overloaded", "overloaded"),
    ]
}

fn cases() -> Cases<Anthropic> {
    let pieces = [
        "Hel",
        "lo w\u{f6}rld \u{2713}",
        " \"quoted\"\n",
        "\u{1F600}",
    ];
    let generated = anthropic_stream(&pieces);
    // The generator reports its (zero) cache counts: they are kept.
    let usage = Usage::new(9, pieces.len() as u64)
        .with_cache_read(0)
        .with_cache_write(0);
    let end_turn = finish(FinishReason::Stop, "end_turn");
    let generated_events = text_reply(&pieces, usage, end_turn);
    // A cut inside a multi-byte character, wherever it lands.
    let in_char = generated.find('\u{f6}').unwrap() + 1;
    // The same cuts for the documented transcript.
    let splits = checks::every_cut(vec![in_char]);
    let mut cases = Cases::new(vendor(), request(), TRANSCRIPT, expected_events())
        .documented(documented())
        .replay(Replay::new("generated", generated, splits.clone()).events(generated_events))
        .replay(Replay::new(
            "documented, CRLF",
            TRANSCRIPT.replace('\n', "\r\n"),
            splits,
        ))
        .errors(errors())
        .retry(
            // 529 comes without retry-after: the policy backs off by itself.
            Retry::new(
                "529, then 429 with retry-after 0",
                "3",
                vec![
                    Response::json(529, &error_body("overloaded_error", "Overloaded")),
                    Response::json(429, &error_body("rate_limit_error", "slow down"))
                        .header("retry-after", "0"),
                ],
            )
            .within(Duration::from_secs(5)),
        )
        // The first attempt dies right after message_start: its usage never
        // reaches the caller, and the second attempt's reply arrives once.
        .retry(Retry::new(
            "an error event before any text",
            "2",
            vec![Response::sse(&format!(
                "{}{OVERLOADED_EVENT}",
                head_until("content_block_start")
            ))],
        ))
        .retry(Retry::new(
            "a reset before the response",
            "2",
            vec![Response::sse(TRANSCRIPT).before_headers(Fault::Reset)],
        ))
        .stream_error(
            StreamError::new(
                "an error event after text",
                format!("{}{OVERLOADED_EVENT}", head_until("content_block_stop")),
                vec![delta("Hello"), delta("!")],
                "overloaded",
                "Overloaded",
            )
            .status(529),
        )
        // A body that ends cleanly (chunked terminator) without message_stop
        // is no complete reply either.
        .truncation(
            Truncation::new(
                "ended before message_stop",
                Response::sse(head_until("message_stop")),
            )
            .mentions("message_stop"),
        )
        .open_head(head_until("content_block_stop"))
        // message_start and a ping arrive, then nothing.
        .stall_before_output(head_until("content_block_delta"));
    // Everything but message_stop, then the connection dies mid-body.
    for cut in ["message_stop", "message_delta", "content_block_stop"] {
        let response = Response::sse(head_until(cut)).then(Action::Close);
        cases = cases.truncation(Truncation::new(cut, response));
    }
    cases
}

support::checks::wire_checks!(cases; a_stall_before_any_output_times_out_and_hangs_up);

#[tokio::test]
async fn a_request_without_a_limit_gets_the_default_max_tokens() {
    let req = ChatRequest::new(
        "claude-sonnet-4-5",
        vec![
            Message::user("a"),
            Message::user("b"),
            Message::assistant("c"),
        ],
    );
    let (sent, _) = vendor()
        .exchange(TRANSCRIPT, &req, &[("max_tokens", "1024")])
        .await;
    let body = sent.json();
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(
        body["messages"],
        serde_json::json!([
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": "c"}
        ])
    );
    assert!(body.get("system").is_none());
}

/// Two pages of models, newest first as the API lists them, the second
/// asked for with `after_id`; one retired model that must not be offered.
fn models_page(req: &RecordedRequest) -> Response {
    match req.query("after_id") {
        None => Response::json(
            200,
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z","max_input_tokens":200000,"max_tokens":64000},{"type":"model","id":"claude-opus-4-1-20250805","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"}],"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-opus-4-1-20250805","has_more":true}"#,
        ),
        Some("claude-opus-4-1-20250805") => Response::json(
            200,
            r#"{"data":[{"type":"model","id":"claude-3-haiku-20240307","display_name":"Claude Haiku 3","created_at":"2024-03-07T00:00:00Z","lifecycle":"active"},{"type":"model","id":"claude-2.0","display_name":"Claude 2.0","created_at":"2023-07-11T00:00:00Z","lifecycle":"retired"}],"first_id":"claude-3-haiku-20240307","last_id":"claude-2.0","has_more":false}"#,
        ),
        Some(other) => Response::json(
            400,
            &error_body(
                "invalid_request_error",
                &format!("unexpected after_id {other}"),
            ),
        ),
    }
}

#[tokio::test]
async fn lists_models_across_pages() {
    let server = FakeServer::start(vec![Route::new("GET", "/v1/models").handle(models_page)])
        .await
        .unwrap();
    let p = vendor().at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "claude-3-haiku-20240307",
            "claude-opus-4-1-20250805",
            "claude-sonnet-4-5-20250929"
        ]
    );
    let sonnet = &models[2];
    assert_eq!(sonnet.display_name, "Claude Sonnet 4.5");
    assert_eq!(sonnet.context_length, Some(200_000));
    assert_eq!(sonnet.max_output_tokens, Some(64_000));
    assert!(sonnet.supports_streaming);
    assert_eq!(models[1].context_length, None);
    assert!(models.iter().all(|m| m.provider == "anthropic"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].path, "/v1/models?limit=1000");
    assert_eq!(
        reqs[1].path,
        "/v1/models?limit=1000&after_id=claude-opus-4-1-20250805"
    );
    for r in &reqs {
        assert_eq!(r.header("x-api-key"), Some(KEY));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    }
}

#[tokio::test]
async fn model_paging_stops_when_the_cursor_does_not_move() {
    // A broken server that always has more, always after the same id.
    let page = r#"{"data":[{"type":"model","id":"claude-x","display_name":"X","created_at":"2025-01-01T00:00:00Z"}],"first_id":"claude-x","last_id":"claude-x","has_more":true}"#;
    let server = support::serve_get("/v1/models", Response::json(200, page)).await;
    let p = vendor().at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(server.requests().len(), 2);
}
