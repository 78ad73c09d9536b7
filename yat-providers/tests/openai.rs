//! The OpenAI provider (and its compatible family) against a local fake
//! server speaking Chat Completions byte for byte: the text path, errors,
//! retries and models, as this vendor's cases for the checks every wire
//! format runs (`support::checks`). Tools, media and reasoning are in
//! `openai_request.rs` and `openai_stream.rs`, the conformance suite in
//! `conformance/`.
#![cfg(feature = "openai")]

mod support;

use std::time::Duration;

use support::checks::{
    self, Body, Cases, Documented, ErrorCase, Replay, Retry, StreamError, Truncation,
};
use support::vendors::openai::{vendor, CHAT_PATH, KEY};
use support::{delta, finish, text_reply};
use yat_core::{ChatEvent, ChatRequest, FinishReason, LlmProvider, Usage};
use yat_fakeserver::{Action, Response};
use yat_providers::openai::OpenAiCompatible;

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
    let finish = finish(FinishReason::Stop, "stop");
    text_reply(&["Hello", " wörld ✓"], Usage::new(9, 3), finish)
}

/// The transcript up to the chunk with the finish.
fn before_the_finish() -> &'static str {
    let finish = TRANSCRIPT.find("\"finish_reason\":\"stop\"").unwrap();
    &TRANSCRIPT[..TRANSCRIPT[..finish].rfind("data: ").unwrap()]
}

fn request() -> ChatRequest {
    checks::say_hello("gpt-4o-mini")
        .temperature(0.7)
        .max_tokens(256)
}

/// The documented request, with an organization and a project.
fn documented() -> Documented {
    let body = serde_json::from_str(
        r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"max_completion_tokens":256,"stream":true,"stream_options":{"include_usage":true}}"#,
    )
    .unwrap();
    Documented::new(CHAT_PATH, Body::Json(body))
        // The fake server stands in for OpenAI's own host.
        .setting("max_tokens_field", "max_completion_tokens")
        .setting("organization", "org-1")
        .setting("project", "proj-1")
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("openai-organization", "org-1")
        .header("openai-project", "proj-1")
}

/// The documented error bodies.
fn errors() -> Vec<ErrorCase> {
    vec![
        ErrorCase::new(
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-test***6789. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            "authentication",
        ),
        ErrorCase::new(
            404,
            r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            "model_not_found",
        ),
        ErrorCase::new(
            400,
            r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
            "context_length_exceeded",
        ),
        ErrorCase::new(
            429,
            r#"{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
            "rate_limited",
        )
        .header("retry-after", "1")
        .retry_after(Duration::from_secs(1)),
        ErrorCase::new(
            429,
            r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            "quota_exhausted",
        ),
        ErrorCase::new(
            403,
            r#"{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}"#,
            "permission",
        ),
    ]
}

fn cases() -> Cases<OpenAiCompatible> {
    // Offset 1000 lands inside "ö" or "✓" for no transcript length in
    // particular, so find a real multi-byte boundary to cut through.
    let cut = TRANSCRIPT.find('ö').unwrap() + 1;
    let overloaded = r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error"}}"#;
    let error_chunk = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
    );
    Cases::new(vendor(), request(), TRANSCRIPT, expected_events())
        .documented(documented())
        .replay(Replay::new(
            "documented",
            TRANSCRIPT,
            checks::every_cut(vec![cut]),
        ))
        .errors(errors())
        // The key prefix the 401 body masks is still part of the key.
        .hidden("sk-test***")
        .retry(Retry::new(
            "a 500, then a 503 with retry-after-ms",
            "3",
            vec![
                Response::json(500, r#"{"error":{"message":"boom","type":"server_error"}}"#),
                Response::json(503, overloaded).header("retry-after-ms", "10"),
            ],
        ))
        .stream_error(StreamError::new(
            "an error chunk after text",
            error_chunk,
            vec![delta("Hel")],
            "server_error",
            "The server had an error",
        ))
        .truncation(
            Truncation::new(
                "closed before the finish",
                Response::sse(before_the_finish()).then(Action::Close),
            )
            .keeps(2),
        )
        .open_head(before_the_finish())
        .stall_before_output(&TRANSCRIPT[..TRANSCRIPT.find("\n\n").unwrap() + 2])
}

support::checks::wire_checks!(cases; a_stall_before_any_output_times_out_and_hangs_up);

#[tokio::test]
async fn lists_models() {
    let listing = r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]}"#;
    let server = support::serve_get("/v1/models", Response::json(200, listing)).await;
    let p = vendor().at(&server, &[]).await;
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
