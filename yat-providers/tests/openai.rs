//! The OpenAI provider (and its compatible family) against a local fake
//! server speaking Chat Completions byte for byte: the text path, errors,
//! retries and models. Tools, media and reasoning are in `openai_request.rs`
//! and `openai_stream.rs`, the conformance suite in `openai_conformance.rs`.
#![cfg(feature = "openai")]

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{assert_error, assert_hangs_up, assert_http_error, assert_no_key};
use yat_core::{
    ChatEvent, ChatRequest, Finish, FinishReason, LlmProvider, Message, Usage, YatError,
};
use yat_fakeserver::{Action, FakeServer, Response, Route, Split};
use yat_providers::openai::{presets, OpenAiCompatible};

const KEY: &str = "sk-test-planted-0123456789";
const CHAT_PATH: &str = "/v1/chat/completions";

/// The spec's streaming example plus the usage chunk `include_usage` adds.
const TRANSCRIPT: &str = concat!(
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wörld ✓\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n",
    "data: [DONE]\n\n",
);

fn expected_events() -> Vec<ChatEvent> {
    vec![
        ChatEvent::Delta {
            text: "Hello".into(),
        },
        ChatEvent::Delta {
            text: " wörld ✓".into(),
        },
        ChatEvent::Usage(Usage::new(9, 3)),
        ChatEvent::Finish(Finish::new(FinishReason::Stop, "stop")),
    ]
}

fn openai() -> OpenAiCompatible {
    OpenAiCompatible::new(presets::openai::PRESET.profile())
}

async fn provider(server: &FakeServer, extra: &[(&str, &str)]) -> OpenAiCompatible {
    let base = format!("{}/v1", server.url());
    support::pointed_at(openai(), "openai", KEY, &base, extra).await
}

fn request() -> ChatRequest {
    ChatRequest::new(
        "gpt-4o-mini",
        vec![Message::system("Be brief."), Message::user("Say hello")],
    )
    .temperature(0.7)
    .max_tokens(256)
}

async fn events(p: &OpenAiCompatible) -> Result<Vec<ChatEvent>, YatError> {
    support::events(p, &request()).await
}

async fn serve(resp: Response) -> FakeServer {
    support::serve_post(CHAT_PATH, resp).await
}

#[tokio::test]
async fn sends_the_documented_request() {
    let server = serve(Response::sse(TRANSCRIPT)).await;
    let p = provider(&server, &[("organization", "org-1"), ("project", "proj-1")]).await;
    events(&p).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    assert_eq!(r.header("openai-organization"), Some("org-1"));
    assert_eq!(r.header("openai-project"), Some("proj-1"));
    let expected: serde_json::Value = serde_json::from_str(
        r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"max_completion_tokens":256,"stream":true,"stream_options":{"include_usage":true}}"#,
    )
    .unwrap();
    assert_eq!(r.json(), expected);
}

#[tokio::test]
async fn any_split_of_the_stream_gives_the_same_events() {
    // Offset 1000 lands inside "ö" or "✓" for no transcript length in
    // particular, so find a real multi-byte boundary to cut through.
    let cut = TRANSCRIPT.find('ö').unwrap() + 1;
    for split in [
        Split::Whole,
        Split::EveryByte,
        Split::At(vec![cut]),
        Split::Size(7),
    ] {
        let server = serve(Response::sse(TRANSCRIPT).split(split)).await;
        let p = provider(&server, &[]).await;
        assert_eq!(events(&p).await.unwrap(), expected_events());
    }
}

#[tokio::test]
async fn documented_error_bodies_map_to_typed_errors() {
    type Case<'a> = (u16, &'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-test***6789. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            &[],
            "authentication",
        ),
        (
            404,
            r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            &[],
            "model_not_found",
        ),
        (
            400,
            r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
            &[],
            "context_length_exceeded",
        ),
        (
            429,
            r#"{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
            &[("retry-after", "1")],
            "rate_limited",
        ),
        (
            429,
            r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            &[],
            "quota_exhausted",
        ),
        (
            403,
            r#"{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}"#,
            &[],
            "permission",
        ),
    ];
    for (status, body, headers, kind) in cases {
        let resp = support::with_headers(Response::json(*status, body), headers);
        let server = serve(resp).await;
        let p = provider(&server, &[("max_retries", "0")]).await;
        let e = events(&p).await.unwrap_err();
        assert_http_error(&e, "openai", *status, kind);
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("sk-test***"),
            "masked key prefix leaked: {shown}"
        );
        if *kind == "rate_limited" {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        }
    }
}

#[tokio::test]
async fn in_stream_error_chunk_is_a_typed_error_after_the_text() {
    let body = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
    );
    let server = serve(Response::sse(body)).await;
    let p = provider(&server, &[]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert_eq!(
        s.next().await.unwrap().unwrap(),
        ChatEvent::Delta { text: "Hel".into() }
    );
    let e = s.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), "server_error", "{e}");
    assert!(s.next().await.is_none());
    // Output had started: no retry.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn truncated_stream_is_an_error_not_a_short_reply() {
    let cut = TRANSCRIPT.find("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},").unwrap();
    let server = serve(Response::sse(&TRANSCRIPT[..cut]).then(Action::Close)).await;
    let p = provider(&server, &[("max_retries", "0")]).await;
    let e = support::stream_error(&p, &request()).await;
    assert_eq!(e.kind(), "network", "{e}");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let head = &TRANSCRIPT[..TRANSCRIPT.find("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},").unwrap()];
    let server = serve(Response::sse(head).then(Action::Stall)).await;
    let p = provider(&server, &[]).await;
    let mut s = p.stream_chat(&request()).await.unwrap();
    assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
    drop(s);
    assert_hangs_up(&server, "the server never saw the connection close").await;
}

#[tokio::test]
async fn idle_timeout_fires_on_a_stalled_stream() {
    let head = &TRANSCRIPT[..TRANSCRIPT.find("\n\n").unwrap() + 2];
    let server = serve(Response::sse(head).then(Action::Stall)).await;
    let p = provider(&server, &[("idle_timeout", "0.3"), ("max_retries", "0")]).await;
    let start = Instant::now();
    let e = support::reply_error(&p, &request()).await;
    assert_eq!(e.kind(), "timeout", "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn html_page_with_200_is_a_malformed_response() {
    let server = serve(support::captive_portal("text/html")).await;
    let p = provider(&server, &[("max_retries", "0")]).await;
    let e = events(&p).await.unwrap_err();
    assert_error(&e, "malformed_response", "captive portal");
}

#[tokio::test]
async fn lists_models() {
    let server = FakeServer::start(vec![Route::new("GET", "/v1/models").respond(Response::json(
        200,
        r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]}"#,
    ))])
    .await
    .unwrap();
    let p = provider(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["gpt-4o", "gpt-4o-mini"]);
    assert!(models.iter().all(|m| m.provider == "openai"));
    let r = &server.requests()[0];
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let url = support::refused_url().await;
    let p = support::pointed_at(openai(), "openai", KEY, &url, &[("max_retries", "0")]).await;
    let e = events(&p).await.unwrap_err();
    assert_eq!(e.kind(), "network", "{e}");
    assert_no_key(&e);
}
