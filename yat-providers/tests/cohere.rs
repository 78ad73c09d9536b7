//! The Cohere provider against a local fake server speaking Chat v2
//! (`POST /v2/chat` with `stream: true`) byte for byte.
#![cfg(feature = "cohere")]

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{assert_error, assert_hangs_up, assert_http_error, assert_no_key};
use yat_core::{
    ChatEvent, ChatRequest, ChatStreamExt, Finish, FinishReason, LlmProvider, Message, Usage,
    YatError,
};
use yat_fakeserver::{Action, FakeServer, Response, Route, Split, Transfer};
use yat_providers::cohere::Cohere;

const KEY: &str = "co-test-planted-0123456789";
const CHAT_PATH: &str = "/v2/chat";

/// The spec's streaming example written out as SSE (shared/wire-formats.md
/// §4), with multi-byte text in one delta.
const TRANSCRIPT: &str = concat!(
    "event: message-start\n",
    "data: {\"type\":\"message-start\",\"id\":\"29f14a5a-11de-4cae-9800-25e4747408ea\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
    "event: content-start\n",
    "data: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\",\"text\":\"\"}}}}\n\n",
    "event: content-delta\n",
    "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"LL\"}}}}\n\n",
    "event: content-delta\n",
    "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Ms\"}}}}\n\n",
    "event: content-delta\n",
    "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\" stand für ✓\"}}}}\n\n",
    "event: content-end\n",
    "data: {\"type\":\"content-end\",\"index\":0}\n\n",
    "event: message-end\n",
    "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":5,\"output_tokens\":26},\"tokens\":{\"input_tokens\":71,\"output_tokens\":26}}}}\n\n",
    "data: [DONE]\n\n",
);

fn expected_events() -> Vec<ChatEvent> {
    vec![
        ChatEvent::Delta { text: "LL".into() },
        ChatEvent::Delta { text: "Ms".into() },
        ChatEvent::Delta {
            text: " stand für ✓".into(),
        },
        ChatEvent::Usage(Usage::new(71, 26)),
        ChatEvent::Finish(Finish::new(FinishReason::Stop, "COMPLETE")),
    ]
}

/// Where the `message-end` event starts.
fn message_end_at() -> usize {
    TRANSCRIPT.find("event: message-end").unwrap()
}

async fn provider(server: &FakeServer, extra: &[(&str, &str)]) -> Cohere {
    support::pointed_at(Cohere::default(), "cohere", KEY, &server.url(), extra).await
}

fn request() -> ChatRequest {
    ChatRequest::new(
        "command-a-03-2025",
        vec![Message::system("Be brief."), Message::user("Say hello")],
    )
    .temperature(0.3)
    .top_p(0.75)
    .max_tokens(256)
    .stop("\n\n")
}

async fn events(p: &Cohere) -> Result<Vec<ChatEvent>, YatError> {
    support::events(p, &request()).await
}

async fn serve(resp: Response) -> FakeServer {
    support::serve_post(CHAT_PATH, resp).await
}

#[tokio::test]
async fn sends_the_documented_request() {
    let server = serve(Response::sse(TRANSCRIPT)).await;
    let p = provider(&server, &[]).await;
    assert_eq!(events(&p).await.unwrap(), expected_events());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, CHAT_PATH);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    // Byte for byte: the system prompt as a leading message, top-p as `p`,
    // the parameters as written (0.3, not 0.30000001192092896).
    assert_eq!(
        r.text(),
        r#"{"model":"command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.3,"p":0.75,"max_tokens":256,"stop_sequences":["\n\n"],"stream":true}"#
    );
}

#[tokio::test]
async fn any_split_of_the_stream_gives_the_same_events() {
    let in_char = TRANSCRIPT.find('ü').unwrap() + 1;
    let in_done = TRANSCRIPT.find("[DONE]").unwrap() + 3;
    for split in [
        Split::Whole,
        Split::EveryByte,
        Split::At(vec![in_char, in_done]),
        Split::Size(7),
        Split::Events,
    ] {
        let server = serve(Response::sse(TRANSCRIPT).split(split.clone())).await;
        let p = provider(&server, &[]).await;
        assert_eq!(events(&p).await.unwrap(), expected_events(), "{split:?}");
    }
    // CRLF line ends, and events without `event:` lines (named by `type`).
    let crlf = TRANSCRIPT.replace('\n', "\r\n");
    let unnamed: String = TRANSCRIPT
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("event:"))
        .collect();
    for body in [crlf, unnamed] {
        let server = serve(Response::sse(&body).split(Split::Size(5))).await;
        let p = provider(&server, &[]).await;
        assert_eq!(events(&p).await.unwrap(), expected_events());
    }
}

#[tokio::test]
async fn the_stream_stops_at_done_and_ignores_what_follows() {
    let body = format!(
        "{TRANSCRIPT}event: content-delta\ndata: {{\"type\":\"content-delta\",\"index\":0,\"delta\":{{\"message\":{{\"content\":{{\"text\":\"AFTER\"}}}}}}}}\n\n"
    );
    let server = serve(Response::sse(&body).then(Action::Stall)).await;
    // A stall after `[DONE]` must not matter: the reply is complete there.
    let p = provider(&server, &[("idle_timeout", "5")]).await;
    let start = Instant::now();
    assert_eq!(events(&p).await.unwrap(), expected_events());
    assert!(start.elapsed() < Duration::from_secs(3));
}

const MODELS: &str = r#"{"models":[{"name":"command-a-03-2025","is_deprecated":false,"endpoints":["chat"],"finetuned":false,"context_length":256000,"tokenizer_url":"https://storage.googleapis.com/cohere-public/tokenizers/command-a-03-2025.json","default_endpoints":[],"features":["tools","json_mode"],"sampling_defaults":{"temperature":0.3,"p":0.75,"k":0}}]}"#;

#[tokio::test]
async fn lists_chat_models_across_pages() {
    let page2 = r#"{"models":[{"name":"command-r-08-2024","is_deprecated":false,"endpoints":["chat","generate"],"context_length":128000.0},{"name":"command","is_deprecated":true,"endpoints":["chat"],"context_length":4096}]}"#;
    let mut page1: serde_json::Value = serde_json::from_str(MODELS).unwrap();
    page1["next_page_token"] = "eyJvZmZzZXQiOjF9+/=".into();
    let page1 = page1.to_string();
    let server = FakeServer::start(vec![Route::new("GET", "/v1/models").handle(
        move |r| match r.query("page_token") {
            None => Response::json(200, &page1),
            Some("eyJvZmZzZXQiOjF9%2B%2F%3D") => Response::json(200, page2),
            Some(other) => {
                Response::json(400, &format!(r#"{{"message":"bad page token {other}"}}"#))
            }
        },
    )])
    .await
    .unwrap();
    let p = provider(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    // Deprecated models are left out; sorted by id.
    assert_eq!(ids, ["command-a-03-2025", "command-r-08-2024"]);
    assert_eq!(models[0].context_length, Some(256_000));
    assert_eq!(models[1].context_length, Some(128_000));
    assert!(models
        .iter()
        .all(|m| m.provider == "cohere" && m.supports_streaming));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        // Only models usable with chat, and the same parameters on every page.
        assert_eq!(r.query("endpoint"), Some("chat"));
        assert_eq!(r.query("page_size"), Some("1000"));
    }
    assert_eq!(reqs[0].path, "/v1/models?endpoint=chat&page_size=1000");
}

#[tokio::test]
async fn model_capabilities_come_from_the_listed_features() {
    // Shapes of the live listing: `features` null for models it says
    // nothing about, `supports_vision` next to it.
    let list = r#"{"models":[
        {"name":"command-a-03-2025","endpoints":["chat"],"finetuned":false,"context_length":288000,"features":["json_mode","json_schema","safety_modes","strict_tools","tool_choice","tools"],"supports_vision":false},
        {"name":"c4ai-aya-vision-32b","endpoints":["chat"],"finetuned":false,"context_length":16384,"features":["logprobs","vision"],"supports_vision":true},
        {"name":"command-a-reasoning-08-2025","endpoints":["chat"],"context_length":288000,"features":["reasoning","tools"]},
        {"name":"c4ai-aya-expanse-32b","endpoints":["generate","chat"],"context_length":128000,"features":null}
    ]}"#;
    let server = FakeServer::start(vec![
        Route::new("GET", "/v1/models").respond(Response::json(200, list))
    ])
    .await
    .unwrap();
    let p = provider(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let caps = |id: &str| {
        models
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .capabilities
    };
    use yat_core::ModelCapabilities as C;
    assert_eq!(
        caps("command-a-03-2025"),
        Some(C::default().tools(true).images(false).json_schema(true))
    );
    assert_eq!(
        caps("c4ai-aya-vision-32b"),
        Some(C::default().tools(false).images(true))
    );
    assert_eq!(
        caps("command-a-reasoning-08-2025"),
        Some(C::default().tools(true).images(false).reasoning(true))
    );
    assert_eq!(caps("c4ai-aya-expanse-32b"), None);
}

/// Status, body, response headers, and the error kind expected.
type ErrorCase = (
    u16,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[tokio::test]
async fn documented_error_bodies_map_to_typed_errors() {
    let cases: &[ErrorCase] = &[
        (
            401,
            r#"{"id":"8f0c2b4e-1d6a-4c1e-9a57-3f5d2e7b9c10","message":"invalid api token"}"#,
            &[],
            "authentication",
        ),
        (
            498,
            r#"{"message":"invalid api token"}"#,
            &[],
            "authentication",
        ),
        (
            402,
            r#"{"id":"x","message":"Please add or update your payment method to continue"}"#,
            &[],
            "quota_exhausted",
        ),
        (
            403,
            r#"{"id":"x","message":"You do not have access to this model"}"#,
            &[],
            "permission",
        ),
        (
            404,
            r#"{"id":"x","message":"model 'xyz' not found, make sure the correct model ID was used and that you have access to the model."}"#,
            &[],
            "model_not_found",
        ),
        (
            400,
            r#"{"id":"x","message":"too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292. Try using a shorter prompt, or enabling prompt truncating. See https://docs.cohere.com/reference/generate for more details."}"#,
            &[],
            "context_length_exceeded",
        ),
        (
            400,
            r#"{"id":"x","message":"invalid request: p must be between 0.01 and 0.99"}"#,
            &[],
            "invalid_request",
        ),
        (
            422,
            r#"{"id":"x","message":"invalid request: messages: field required"}"#,
            &[],
            "invalid_request",
        ),
        (
            429,
            r#"{"id":"x","message":"You are past the per minute request limit, please wait and try again later."}"#,
            &[("retry-after", "2")],
            "rate_limited",
        ),
        (
            429,
            r#"{"id":"x","message":"You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'."}"#,
            &[],
            "quota_exhausted",
        ),
        (
            500,
            r#"{"id":"x","message":"internal server error, this has been reported to our developers"}"#,
            &[],
            "server_error",
        ),
        (
            503,
            r#"{"id":"x","message":"service unavailable"}"#,
            &[],
            "overloaded",
        ),
        (
            504,
            r#"{"id":"x","message":"gateway timeout"}"#,
            &[],
            "server_error",
        ),
    ];
    for (status, body, headers, kind) in cases {
        let resp = support::with_headers(Response::json(*status, body), headers);
        let server = serve(resp).await;
        let p = provider(&server, &[("max_retries", "0")]).await;
        let e = events(&p).await.unwrap_err();
        assert_http_error(&e, "cohere", *status, kind);
        if *kind == "rate_limited" {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        }
    }
}

#[tokio::test]
async fn an_invalid_key_is_not_retried() {
    let server = serve(Response::json(401, r#"{"message":"invalid api token"}"#)).await;
    let p = provider(&server, &[("max_retries", "3")]).await;
    assert_eq!(events(&p).await.unwrap_err().kind(), "authentication");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn message_end_with_error_is_a_typed_error_after_the_text() {
    let body = format!(
        "{}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"ERROR\",\"error\":\"internal error: the model is overloaded, please retry\"}}}}\n\ndata: [DONE]\n\n",
        &TRANSCRIPT[..message_end_at()]
    );
    let server = serve(Response::sse(&body)).await;
    let p = provider(&server, &[]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    let (text, err) = support::text_until_error(&mut s, "message-end with ERROR").await;
    assert_eq!(text, "LLMs stand für ✓");
    assert_error(&err, "overloaded", "the model is overloaded");
    assert!(s.next().await.is_none());
    // Output had started: no retry.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn message_end_with_timeout_is_a_server_error() {
    let body = format!(
        "{}event: message-end\ndata: {{\"type\":\"message-end\",\"delta\":{{\"finish_reason\":\"TIMEOUT\"}}}}\n\ndata: [DONE]\n\n",
        &TRANSCRIPT[..message_end_at()]
    );
    let server = serve(Response::sse(&body)).await;
    let p = provider(&server, &[]).await;
    let e = support::stream_error(&p, &request()).await;
    assert_error(&e, "server_error", "TIMEOUT");
}

#[tokio::test]
async fn an_error_body_inside_the_stream_is_a_typed_error() {
    let body = format!(
        "{}data: {{\"id\":\"d4c0\",\"message\":\"internal server error\"}}\n\n",
        &TRANSCRIPT[..message_end_at()]
    );
    let server = serve(Response::sse(&body)).await;
    let p = provider(&server, &[]).await;
    let e = support::stream_error(&p, &request()).await;
    assert_error(&e, "server_error", "internal server error");
}

#[tokio::test]
async fn truncated_stream_is_an_error_not_a_short_reply() {
    let head = &TRANSCRIPT[..message_end_at()];
    for transfer in [Transfer::Chunked, Transfer::CloseDelimited] {
        let server = serve(Response::sse(head).transfer(transfer).then(Action::Close)).await;
        let p = provider(&server, &[("max_retries", "0")]).await;
        let e = support::stream_error(&p, &request()).await;
        assert_eq!(e.kind(), "network", "{transfer:?}: {e}");
    }
    // Ended right after message-end, without `[DONE]`: complete.
    let no_done = TRANSCRIPT.strip_suffix("data: [DONE]\n\n").unwrap();
    let server = serve(Response::sse(no_done).transfer(Transfer::CloseDelimited)).await;
    let p = provider(&server, &[]).await;
    assert_eq!(events(&p).await.unwrap(), expected_events());
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = serve(Response::sse(&TRANSCRIPT[..message_end_at()]).then(Action::Stall)).await;
    let p = provider(&server, &[]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
    drop(s);
    assert_hangs_up(&server, "the server never saw the connection close").await;
}

#[tokio::test]
async fn a_stalled_stream_times_out_and_the_client_hangs_up() {
    let head = &TRANSCRIPT[..TRANSCRIPT.find("event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Ms\"").unwrap()];
    let server = serve(Response::sse(head).then(Action::Stall)).await;
    let p = provider(&server, &[("idle_timeout", "0.3"), ("max_retries", "0")]).await;
    let start = Instant::now();
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert_eq!(
        s.next().await.unwrap().unwrap(),
        ChatEvent::Delta { text: "LL".into() }
    );
    let e = s.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(s);
    assert_hangs_up(&server, "the stalled connection was never closed").await;
}

#[tokio::test]
async fn a_stall_before_any_text_times_out_too() {
    let head = &TRANSCRIPT[..TRANSCRIPT.find("event: content-start").unwrap()];
    let server = serve(Response::sse(head).then(Action::Stall)).await;
    let p = provider(&server, &[("idle_timeout", "0.3"), ("max_retries", "0")]).await;
    let e = support::reply_error(&p, &request()).await;
    assert_eq!(e.kind(), "timeout", "{e}");
}

#[tokio::test]
async fn html_page_with_200_is_a_malformed_response() {
    let server = serve(support::captive_portal("text/html")).await;
    let p = provider(&server, &[("max_retries", "0")]).await;
    let e = events(&p).await.unwrap_err();
    assert_error(&e, "malformed_response", "captive portal");
}

#[tokio::test]
async fn top_p_of_one_is_sent_as_the_largest_value_cohere_accepts() {
    let server = serve(Response::sse(TRANSCRIPT)).await;
    let p = provider(&server, &[]).await;
    let req = ChatRequest::new("command-a-03-2025", vec![Message::user("hi")]).top_p(1.0);
    p.stream_chat(&req)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(server.requests()[0].json()["p"], 0.99);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let url = support::refused_url().await;
    let p = support::pointed_at(
        Cohere::default(),
        "cohere",
        KEY,
        &url,
        &[("max_retries", "0")],
    )
    .await;
    let e = events(&p).await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert_no_key(&e);
}
