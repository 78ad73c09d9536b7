//! The Anthropic provider against a local fake server speaking the Messages
//! API byte for byte.
#![cfg(feature = "anthropic")]

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{assert_error, assert_hangs_up, assert_http_error, assert_no_key};
use yat_core::{
    ChatEvent, ChatRequest, ChatStreamExt, Finish, FinishReason, LlmProvider, Message, Usage,
    YatError,
};
use yat_fakeserver::{
    anthropic_stream, Action, FakeServer, RecordedRequest, Response, Route, Split,
};
use yat_providers::anthropic::Anthropic;

const KEY: &str = "sk-ant-api03-planted-0123456789";
const MESSAGES_PATH: &str = "/v1/messages";

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

fn delta(t: &str) -> ChatEvent {
    ChatEvent::Delta { text: t.into() }
}

fn expected_events() -> Vec<ChatEvent> {
    vec![
        delta("Hello"),
        delta("!"),
        ChatEvent::Usage(Usage::new(25, 15)),
        ChatEvent::Finish(Finish::new(FinishReason::Stop, "end_turn")),
    ]
}

/// The transcript up to (not including) the first event named `event`.
fn head_until(event: &str) -> &'static str {
    &TRANSCRIPT[..TRANSCRIPT.find(&format!("event: {event}\n")).unwrap()]
}

async fn provider(server: &FakeServer, extra: &[(&str, &str)]) -> Anthropic {
    support::pointed_at(Anthropic::default(), "anthropic", KEY, &server.url(), extra).await
}

fn request() -> ChatRequest {
    ChatRequest::new(
        "claude-sonnet-4-5",
        vec![Message::system("Be brief."), Message::user("Say hello")],
    )
    .temperature(0.7)
    .max_tokens(256)
    .stop("\n\nUser:")
}

async fn events(p: &Anthropic) -> Result<Vec<ChatEvent>, YatError> {
    support::events(p, &request()).await
}

async fn serve(resp: Response) -> FakeServer {
    support::serve_post(MESSAGES_PATH, resp).await
}

fn error_body(kind: &str, message: &str) -> String {
    serde_json::json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
    .to_string()
}

#[tokio::test]
async fn sends_the_documented_request() {
    let server = serve(Response::sse(TRANSCRIPT)).await;
    let p = provider(
        &server,
        &[("anthropic_beta", "token-efficient-tools-2025-02-19")],
    )
    .await;
    assert_eq!(events(&p).await.unwrap(), expected_events());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        r.header("anthropic-beta"),
        Some("token-efficient-tools-2025-02-19")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    assert_eq!(r.header("authorization"), None);
    // The bytes, not a reparse: f32 parameters go out as written.
    assert_eq!(
        r.text(),
        r#"{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7,"stop_sequences":["\n\nUser:"],"stream":true}"#
    );
}

#[tokio::test]
async fn a_request_without_a_limit_gets_the_default_max_tokens() {
    let server = serve(Response::sse(TRANSCRIPT)).await;
    let p = provider(&server, &[("max_tokens", "1024")]).await;
    let req = ChatRequest::new(
        "claude-sonnet-4-5",
        vec![
            Message::user("a"),
            Message::user("b"),
            Message::assistant("c"),
        ],
    );
    p.stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    let body = server.requests()[0].json();
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

#[tokio::test]
async fn any_split_of_the_stream_gives_the_same_events() {
    let pieces = [
        "Hel",
        "lo w\u{f6}rld \u{2713}",
        " \"quoted\"\n",
        "\u{1F600}",
    ];
    let body = anthropic_stream(&pieces);
    // A cut inside a multi-byte character, wherever it lands.
    let cut = body.find('\u{f6}').unwrap() + 1;
    let expected: Vec<ChatEvent> = pieces
        .iter()
        .map(|p| delta(p))
        .chain([
            // The generator reports its (zero) cache counts: they are kept.
            ChatEvent::Usage(
                Usage::new(9, pieces.len() as u64)
                    .with_cache_read(0)
                    .with_cache_write(0),
            ),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "end_turn")),
        ])
        .collect();
    for split in [
        Split::Whole,
        Split::EveryByte,
        Split::At(vec![cut]),
        Split::Size(7),
        Split::Events,
    ] {
        let server = serve(Response::sse(&body).split(split.clone())).await;
        let p = provider(&server, &[]).await;
        assert_eq!(events(&p).await.unwrap(), expected, "{split:?}");
        // The documented transcript too, with CRLF line ends.
        let crlf = TRANSCRIPT.replace('\n', "\r\n");
        let server = serve(Response::sse(&crlf).split(split)).await;
        let p = provider(&server, &[]).await;
        assert_eq!(events(&p).await.unwrap(), expected_events());
    }
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
    let p = provider(&server, &[]).await;
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
    let server = FakeServer::start(vec![Route::new("GET", "/v1/models").respond(Response::json(
        200,
        r#"{"data":[{"type":"model","id":"claude-x","display_name":"X","created_at":"2025-01-01T00:00:00Z"}],"first_id":"claude-x","last_id":"claude-x","has_more":true}"#,
    ))])
    .await
    .unwrap();
    let p = provider(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(server.requests().len(), 2);
}

/// Status, `error.type`, message, extra headers, expected kind.
type ErrorCase = (
    u16,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[tokio::test]
async fn documented_error_bodies_map_to_typed_errors() {
    let cases: &[ErrorCase] = &[
        (401, "authentication_error", "invalid x-api-key", &[], "authentication"),
        (403, "permission_error", "Your API key does not have permission to use the specified resource.", &[], "permission"),
        (404, "not_found_error", "model: claude-nonexistent", &[], "model_not_found"),
        (400, "invalid_request_error", "prompt is too long: 215439 tokens > 200000 maximum", &[], "context_length_exceeded"),
        (400, "invalid_request_error", "max_tokens: Field required", &[], "invalid_request"),
        (402, "billing_error", "Your credit balance is too low to access the Anthropic API.", &[], "quota_exhausted"),
        (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", &[], "invalid_request"),
        (429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50,000 input tokens per minute.", &[("retry-after", "17"), ("anthropic-ratelimit-input-tokens-remaining", "0")], "rate_limited"),
        (500, "api_error", "Internal server error", &[], "server_error"),
        (529, "overloaded_error", "Overloaded", &[], "overloaded"),
    ];
    for (status, kind, message, headers, expected) in cases {
        let resp = Response::json(*status, &error_body(kind, message))
            .header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy");
        let server = serve(support::with_headers(resp, headers)).await;
        let p = provider(&server, &[("max_retries", "0")]).await;
        let e = events(&p).await.unwrap_err();
        assert_http_error(&e, "anthropic", *status, expected);
        assert!(e.to_string().contains(message), "{e}");
        if *expected == "rate_limited" {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(17)));
        }
        assert_eq!(server.requests().len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn an_error_event_after_text_is_a_typed_error_and_not_retried() {
    let body = format!("{}{OVERLOADED_EVENT}", head_until("content_block_stop"));
    let server = serve(Response::sse(&body)).await;
    let p = provider(&server, &[("max_retries", "3")]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert_eq!(s.next().await.unwrap().unwrap(), delta("Hello"));
    assert_eq!(s.next().await.unwrap().unwrap(), delta("!"));
    let e = s.next().await.unwrap().unwrap_err();
    assert!(matches!(e, YatError::Overloaded { .. }), "{e:?}");
    assert_eq!(e.status(), Some(529));
    assert!(e.to_string().contains("Overloaded"), "{e}");
    assert!(s.next().await.is_none());
    // Output had started: a retry would duplicate it.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn truncated_stream_is_an_error_not_a_short_reply() {
    // Everything but message_stop, then the connection dies mid-body.
    for cut in ["message_stop", "message_delta", "content_block_stop"] {
        let server = serve(Response::sse(head_until(cut)).then(Action::Close)).await;
        let p = provider(&server, &[("max_retries", "0")]).await;
        let e = support::stream_error(&p, &request()).await;
        assert_eq!(e.kind(), "network", "cut before {cut}: {e}");
    }
    // A body that ends cleanly (chunked terminator) without message_stop is
    // no complete reply either.
    let server = serve(Response::sse(head_until("message_stop"))).await;
    let p = provider(&server, &[("max_retries", "0")]).await;
    let e = support::stream_error(&p, &request()).await;
    assert_error(&e, "network", "message_stop");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = serve(Response::sse(head_until("content_block_stop")).then(Action::Stall)).await;
    let p = provider(&server, &[]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert_eq!(s.next().await.unwrap().unwrap(), delta("Hello"));
    drop(s);
    assert_hangs_up(&server, "the server never saw the connection close").await;
}

#[tokio::test]
async fn idle_timeout_fires_on_a_stalled_stream_and_hangs_up() {
    // message_start and a ping arrive, then nothing.
    let server = serve(Response::sse(head_until("content_block_delta")).then(Action::Stall)).await;
    let p = provider(&server, &[("idle_timeout", "0.3"), ("max_retries", "0")]).await;
    let start = Instant::now();
    let e = support::reply_error(&p, &request()).await;
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_hangs_up(&server, "the stalled connection was not closed").await;
}

#[tokio::test]
async fn html_page_with_200_is_a_malformed_response() {
    let server = serve(support::captive_portal("text/html")).await;
    let p = provider(&server, &[("max_retries", "0")]).await;
    let e = events(&p).await.unwrap_err();
    assert_error(&e, "malformed_response", "captive portal");
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let url = support::refused_url().await;
    let p = support::pointed_at(
        Anthropic::default(),
        "anthropic",
        KEY,
        &url,
        &[("max_retries", "0")],
    )
    .await;
    let e = events(&p).await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert_no_key(&e);
}
