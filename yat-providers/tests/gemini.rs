//! The Gemini provider (and its `google` alias) against a local fake server
//! speaking `streamGenerateContent?alt=sse` byte for byte: this vendor's
//! cases for the checks every wire format runs (`support::checks`), and
//! what only Gemini does (model turns, safety stops, the alias).
#![cfg(any(feature = "gemini", feature = "google"))]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::checks::{
    self, Body, Cases, Documented, ErrorCase, Replay, Retry, StreamError, Truncation,
};
use support::vendors::gemini::{vendor, vendor_as, CHAT_PATH, KEY};
use support::{delta, finish, text_reply};
use yat_core::settings::SettingsSources;
use yat_core::{
    ChatEvent, ChatRequest, ChatStreamExt, Finish, FinishReason, LlmProvider, Message,
    ResolvedSettings, Usage,
};
use yat_fakeserver::{Action, FakeServer, Response, Route, Split, Transfer};
use yat_providers::gemini::{Gemini, GOOGLE_SETTINGS, SETTINGS};

/// A reply in the documented shape (shared/wire-formats.md §3; the values are
/// illustrative): CRLF line ends as in Google's own output, running usage on
/// every chunk, multi-byte text, the finish on the last chunk and no end
/// marker after it.
const TRANSCRIPT: &str = concat!(
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" wörld ✓ How can I help?\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"totalTokenCount\": 6},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 8,\"totalTokenCount\": 14},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mGqHaPm3Ld2F7M8Px4mQ6QE\"}\r\n\r\n",
);

/// Where the last chunk (the one with the finish) starts.
fn last_chunk_at() -> usize {
    TRANSCRIPT.rfind("data:").unwrap()
}

fn expected_events() -> Vec<ChatEvent> {
    let finish = finish(FinishReason::Stop, "STOP");
    text_reply(
        &["Hello", " wörld ✓ How can I help?"],
        Usage::new(6, 8),
        finish,
    )
}

fn request() -> ChatRequest {
    checks::say_hello("gemini-2.5-flash")
        .temperature(0.7)
        .top_p(0.95)
        .max_tokens(256)
        .stop("\n\n")
}

/// The documented request: the key in a header, never in the URL.
fn documented() -> Documented {
    // Byte for byte: proto-JSON names, the system prompt lifted out, the
    // parameters as written (0.7, not 0.699999988079071).
    let body = r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Say hello"}]}],"generationConfig":{"temperature":0.7,"topP":0.95,"maxOutputTokens":256,"stopSequences":["\n\n"]}}"#;
    // `alt=sse` selects the event stream.
    Documented::new(format!("{CHAT_PATH}?alt=sse"), Body::Text(body))
        .header("x-goog-api-key", KEY)
        .without("authorization")
        .header("content-type", "application/json")
}

/// The documented error bodies.
fn errors() -> Vec<ErrorCase> {
    vec![
        // An invalid key is a 400, not a 401; the DebugInfo detail that echoes
        // the key must not reach the message.
        ErrorCase::new(
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIzaSy-test-planted-0123456789"}]}}"#,
            "authentication",
        ),
        ErrorCase::new(
            403,
            r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#,
            "authentication",
        ),
        ErrorCase::new(
            403,
            r#"{"error":{"code":403,"message":"Your API key doesn't have the required permissions.","status":"PERMISSION_DENIED"}}"#,
            "permission",
        ),
        ErrorCase::new(
            404,
            r#"{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}"#,
            "model_not_found",
        ),
        ErrorCase::new(
            400,
            r#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#,
            "context_length_exceeded",
        ),
        ErrorCase::new(
            400,
            r#"{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}"#,
            "invalid_request",
        ),
        ErrorCase::new(
            429,
            r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}}"#,
            "rate_limited",
        )
        // No header: the wait comes from RetryInfo in the body.
        .retry_after(Duration::from_secs(43)),
        ErrorCase::new(
            429,
            r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22s"}]}}"#,
            "quota_exhausted",
        ),
        ErrorCase::new(
            402,
            r#"{"error":{"code":402,"message":"Your prepaid credits are used up.","status":"RESOURCE_EXHAUSTED"}}"#,
            "quota_exhausted",
        ),
        ErrorCase::new(
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
            "overloaded",
        ),
        ErrorCase::new(
            500,
            r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#,
            "server_error",
        ),
        // Without the detail, and with retries allowed: none is made.
        ErrorCase::new(400, r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#, "authentication").not_retried_within(3),
    ]
}

fn cases() -> Cases<Gemini> {
    // Cut inside "ö" and inside a CRLF.
    let in_char = TRANSCRIPT.find('ö').unwrap() + 1;
    let in_crlf = TRANSCRIPT.find("\r\n").unwrap() + 1;
    let splits = checks::every_cut(vec![in_crlf, in_char]);
    let limited = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.2s"}]}}"#;
    let internal =
        r#"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#;
    let overloaded = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;
    // Nothing reached the caller yet, so the cut can be retried safely.
    let no_text = "data: {\"candidates\": [{\"content\": {\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6}}\r\n\r\n";
    let error_after_text = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
        "data: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try again later.\",\"status\": \"UNAVAILABLE\"}}\r\n\r\n",
    );
    let blocked = "data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},\"usageMetadata\": {\"promptTokenCount\": 12,\"totalTokenCount\": 12},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"x1\"}\r\n\r\n";
    let head = &TRANSCRIPT[..last_chunk_at()];
    let mut cases = Cases::new(vendor(), request(), TRANSCRIPT, expected_events())
        .documented(documented())
        .replay(Replay::new("documented", TRANSCRIPT, splits))
        // No chunked framing, no length: only the decoder can tell a whole
        // reply.
        .replay(
            Replay::new(
                "framed by closing the connection",
                TRANSCRIPT,
                vec![Split::Whole],
            )
            .transfer(Transfer::CloseDelimited),
        )
        .errors(errors())
        .retry(
            Retry::new(
                "a 429 waits for the retry delay in the body",
                "2",
                vec![Response::json(429, limited)],
            )
            .at_least(Duration::from_millis(200)),
        )
        .retry(Retry::new(
            "a 500, then a 503",
            "3",
            vec![
                Response::json(500, internal),
                Response::json(503, overloaded),
            ],
        ))
        .retry(Retry::new(
            "a stream cut before any text",
            "1",
            vec![Response::sse(no_text).then(Action::Close)],
        ))
        .stream_error(StreamError::new(
            "an error after text",
            error_after_text,
            vec![delta("Hel")],
            "overloaded",
            "overloaded",
        ))
        .stream_error(StreamError::new(
            "a blocked prompt",
            blocked,
            vec![],
            "content_blocked",
            "PROHIBITED_CONTENT",
        ))
        .truncation(Truncation::new(
            "cut inside the last event",
            Response::sse(&TRANSCRIPT[..TRANSCRIPT.find("\"finishReason\"").unwrap()])
                .transfer(Transfer::CloseDelimited)
                .then(Action::Close),
        ))
        // The reset may overtake the text on its way: the error then comes
        // before the stream starts. Either way it is a network error.
        .truncation(
            Truncation::new(
                "reset after the text",
                Response::sse(head).then(Action::Reset),
            )
            .may_fail_before_the_stream(),
        )
        .open_head(head)
        .stall_after_output(&TRANSCRIPT[..TRANSCRIPT.find("\r\n\r\n").unwrap() + 4], 1);
    for transfer in [Transfer::Chunked, Transfer::CloseDelimited] {
        let response = Response::sse(head).transfer(transfer).then(Action::Close);
        let name = match transfer {
            Transfer::Chunked => "chunked, closed before the finish",
            _ => "close-delimited, closed before the finish",
        };
        cases = cases.truncation(Truncation::new(name, response).keeps(2));
    }
    cases
}

support::checks::wire_checks!(cases; a_stall_after_output_times_out_and_hangs_up);

#[tokio::test]
async fn a_conversation_goes_out_with_model_turns() {
    let req = ChatRequest::new(
        "models/gemini-2.5-flash",
        vec![
            Message::user("Hi"),
            Message::assistant("Hello! How can I help?"),
            Message::user("Tell me a joke"),
        ],
    );
    let (r, _) = vendor().exchange(TRANSCRIPT, &req, &[]).await;
    // The `models/` prefix is not doubled.
    assert_eq!(r.path, format!("{CHAT_PATH}?alt=sse"));
    assert_eq!(
        r.text(),
        r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Hello! How can I help?"}]},{"role":"user","parts":[{"text":"Tell me a joke"}]}]}"#
    );
}

const MODELS: &str = r#"{"models":[{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","description":"Stable version of Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","createCachedContent","batchGenerateContent"],"temperature":1,"topP":0.95,"topK":64,"maxTemperature":2,"thinking":true},{"name":"models/gemini-embedding-001","version":"001","displayName":"Gemini Embedding 001","inputTokenLimit":2048,"outputTokenLimit":1,"supportedGenerationMethods":["embedContent","countTextTokens","countTokens","asyncBatchEmbedContent"]}]}"#;

#[tokio::test]
async fn lists_models_across_pages() {
    let page2 = r#"{"models":[{"name":"models/gemini-2.5-pro","displayName":"Gemini 2.5 Pro","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}]}"#;
    let mut page1: serde_json::Value = serde_json::from_str(MODELS).unwrap();
    page1["nextPageToken"] = "Ch5tb2RlbHMv+Z2VtaW5p/LTIuNS1mbGFzaA==".into();
    let page1 = page1.to_string();
    let server = FakeServer::start(vec![Route::new("GET", "/v1beta/models")
        .handle(move |r| match r.query("pageToken") {
            None => Response::json(200, &page1),
            Some("Ch5tb2RlbHMv%2BZ2VtaW5p%2FLTIuNS1mbGFzaA%3D%3D") => Response::json(200, page2),
            Some(other) => Response::json(
                400,
                &format!(r#"{{"error":{{"code":400,"message":"bad page token {other}","status":"INVALID_ARGUMENT"}}}}"#),
            ),
        })])
    .await
    .unwrap();
    let p = vendor().at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    // Bare ids, chat models only, sorted.
    assert_eq!(ids, ["gemini-2.5-flash", "gemini-2.5-pro"]);
    let flash = &models[0];
    assert_eq!(flash.display_name, "Gemini 2.5 Flash");
    assert_eq!(flash.provider, "gemini");
    assert_eq!(flash.context_length, Some(1_048_576));
    assert_eq!(flash.max_output_tokens, Some(65_536));
    assert!(flash.supports_streaming);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.header("x-goog-api-key"), Some(KEY));
        assert!(!r.path.contains("key="));
        // The other parameters stay the same while paging.
        assert_eq!(r.query("pageSize"), Some("1000"));
    }
    assert_eq!(reqs[0].path, "/v1beta/models?pageSize=1000");
}

#[tokio::test]
async fn a_page_token_handed_out_twice_does_not_loop() {
    let page = r#"{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"same"}"#;
    let server = support::serve_get("/v1beta/models", Response::json(200, page)).await;
    let p = vendor().at(&server, &[]).await;
    let models = p.list_models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_reply_stopped_for_safety_keeps_its_text_and_says_why() {
    let body = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Once upon\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}],\"role\": \"model\"},\"finishReason\": \"SAFETY\",\"index\": 0,\"safetyRatings\": [{\"category\": \"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\": \"HIGH\",\"blocked\": true}]}],\"usageMetadata\": {\"promptTokenCount\": 5,\"candidatesTokenCount\": 2,\"totalTokenCount\": 7}}\r\n\r\n",
    );
    let (_, reply) = vendor().exchange(body, &request(), &[]).await;
    assert_eq!(reply.text(), "Once upon");
    assert_eq!(
        reply.finish,
        Some(Finish::new(FinishReason::ContentFilter, "SAFETY"))
    );
}

#[tokio::test]
async fn the_google_alias_reads_google_api_key_first() {
    let server = FakeServer::start(vec![
        Route::new("POST", CHAT_PATH).respond(Response::sse(TRANSCRIPT)),
        Route::new("GET", "/v1beta/models").respond(Response::json(200, MODELS)),
    ])
    .await
    .unwrap();
    let base = format!("{}/v1beta", server.url());
    let sources = SettingsSources::default().with_env(BTreeMap::from([
        ("GOOGLE_API_KEY".to_owned(), "google-key".to_owned()),
        ("GEMINI_API_KEY".to_owned(), "gemini-key".to_owned()),
        ("GEMINI_BASE_URL".to_owned(), base),
    ]));
    for (id, specs, key) in [
        ("google", GOOGLE_SETTINGS, "google-key"),
        ("gemini", SETTINGS, "gemini-key"),
    ] {
        let settings = sources.resolve(id, specs);
        assert!(settings.missing().is_empty(), "{id}");
        let mut p = Gemini::new(id);
        p.initialize(&settings).await.unwrap();
        let models = p.list_models().await.unwrap();
        assert!(models.iter().all(|m| m.provider == id), "{id}");
        p.stream_chat(&request())
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        let reqs = server.requests();
        assert!(
            reqs[reqs.len() - 2..]
                .iter()
                .all(|r| r.header("x-goog-api-key") == Some(key)),
            "{id}"
        );
    }
    // With only the other app's variable set, each still finds a key.
    let only_gemini = SettingsSources::default().with_env(BTreeMap::from([(
        "GEMINI_API_KEY".to_owned(),
        "gemini-key".to_owned(),
    )]));
    assert_eq!(
        only_gemini
            .resolve("google", GOOGLE_SETTINGS)
            .get("api_key"),
        Some("gemini-key")
    );
}

#[tokio::test]
async fn errors_name_the_alias_they_came_from() {
    let not_found = r#"{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}"#;
    let (_server, p) = vendor_as("google")
        .answering(Response::json(404, not_found), &[("max_retries", "0")])
        .await;
    let e = support::events(&p, &request()).await.unwrap_err();
    assert_eq!(e.provider(), Some("google"));
}

#[tokio::test]
async fn reinitializing_starts_from_a_clean_state() {
    let gemini = vendor();
    let (old, mut p) = gemini.answering(Response::sse(TRANSCRIPT), &[]).await;
    let new = gemini.serve(Response::sse(TRANSCRIPT)).await;
    support::events(&p, &request()).await.unwrap();
    let base = format!("{}/v1beta", new.url());
    p.initialize(&ResolvedSettings::from_pairs(
        "gemini",
        &[("api_key", "AIza-second"), ("base_url", &base)],
    ))
    .await
    .unwrap();
    support::events(&p, &request()).await.unwrap();
    assert_eq!(old.requests().len(), 1);
    assert_eq!(
        new.requests()[0].header("x-goog-api-key"),
        Some("AIza-second")
    );
}

#[cfg(all(feature = "gemini", feature = "google"))]
#[tokio::test]
async fn both_ids_are_registered_by_the_same_code_with_their_own_settings() {
    let found = yat_core::registry::discover();
    for (id, specs) in [("gemini", SETTINGS), ("google", GOOGLE_SETTINGS)] {
        let reg = found
            .find(id)
            .unwrap_or_else(|| panic!("{id} is not registered"));
        assert_eq!(reg.settings(), specs, "{id}");
        let not_found = r#"{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}"#;
        let server = vendor().serve(Response::json(404, not_found)).await;
        let mut p = (reg.constructor())().unwrap();
        let base = format!("{}/v1beta", server.url());
        p.initialize(&ResolvedSettings::from_pairs(
            id,
            &[("api_key", KEY), ("base_url", &base), ("max_retries", "0")],
        ))
        .await
        .unwrap();
        let e = match p.stream_chat(&request()).await {
            Ok(_) => panic!("{id}: a 404 streamed"),
            Err(e) => e,
        };
        assert_eq!(e.provider(), Some(id));
    }
}
