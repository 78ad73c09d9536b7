//! The Cohere provider against a local fake server speaking Chat v2
//! (`POST /v2/chat` with `stream: true`) byte for byte: this vendor's cases
//! for the checks every wire format runs (`support::checks`), and what
//! only Cohere does (`[DONE]` after the end, listed features, `p`).
#![cfg(feature = "cohere")]

mod support;

use std::time::{Duration, Instant};

use support::checks::{
    self, Body, Cases, Documented, ErrorCase, Replay, Retry, StreamError, Truncation,
};
use support::vendors::cohere::{vendor, CHAT_PATH, KEY};
use support::{deltas, finish, text_reply};
use yat_core::{ChatEvent, ChatRequest, FinishReason, LlmProvider, Message, Usage};
use yat_fakeserver::{Action, FakeServer, Response, Route, Split, Transfer};
use yat_providers::cohere::Cohere;

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

/// The text the transcript streams, one delta a piece.
const PIECES: [&str; 3] = ["LL", "Ms", " stand für ✓"];

fn expected_events() -> Vec<ChatEvent> {
    let finish = finish(FinishReason::Stop, "COMPLETE");
    text_reply(&PIECES, Usage::new(71, 26), finish)
}

/// Where the `message-end` event starts.
fn message_end_at() -> usize {
    TRANSCRIPT.find("event: message-end").unwrap()
}

fn request() -> ChatRequest {
    checks::say_hello("command-a-03-2025")
        .temperature(0.3)
        .top_p(0.75)
        .max_tokens(256)
        .stop("\n\n")
}

/// The documented request.
fn documented() -> Documented {
    // Byte for byte: the system prompt as a leading message, top-p as `p`,
    // the parameters as written (0.3, not 0.30000001192092896).
    let body = r#"{"model":"command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.3,"p":0.75,"max_tokens":256,"stop_sequences":["\n\n"],"stream":true}"#;
    Documented::new(CHAT_PATH, Body::Text(body))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
}

/// The documented error bodies.
fn errors() -> Vec<ErrorCase> {
    vec![
        ErrorCase::new(
            401,
            r#"{"id":"8f0c2b4e-1d6a-4c1e-9a57-3f5d2e7b9c10","message":"invalid api token"}"#,
            "authentication",
        ),
        ErrorCase::new(
            498,
            r#"{"message":"invalid api token"}"#,
            "authentication",
        ),
        ErrorCase::new(
            402,
            r#"{"id":"x","message":"Please add or update your payment method to continue"}"#,
            "quota_exhausted",
        ),
        ErrorCase::new(
            403,
            r#"{"id":"x","message":"You do not have access to this model"}"#,
            "permission",
        ),
        ErrorCase::new(
            404,
            r#"{"id":"x","message":"model 'xyz' not found, make sure the correct model ID was used and that you have access to the model."}"#,
            "model_not_found",
        ),
        ErrorCase::new(
            400,
            r#"{"id":"x","message":"too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292. Try using a shorter prompt, or enabling prompt truncating. See https://docs.cohere.com/reference/generate for more details."}"#,
            "context_length_exceeded",
        ),
        ErrorCase::new(
            400,
            r#"{"id":"x","message":"invalid request: p must be between 0.01 and 0.99"}"#,
            "invalid_request",
        ),
        ErrorCase::new(
            422,
            r#"{"id":"x","message":"invalid request: messages: field required"}"#,
            "invalid_request",
        ),
        ErrorCase::new(
            429,
            r#"{"id":"x","message":"You are past the per minute request limit, please wait and try again later."}"#,
            "rate_limited",
        )
        .header("retry-after", "2")
        .retry_after(Duration::from_secs(2)),
        ErrorCase::new(
            429,
            r#"{"id":"x","message":"You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'."}"#,
            "quota_exhausted",
        ),
        ErrorCase::new(
            500,
            r#"{"id":"x","message":"internal server error, this has been reported to our developers"}"#,
            "server_error",
        ),
        ErrorCase::new(
            503,
            r#"{"id":"x","message":"service unavailable"}"#,
            "overloaded",
        ),
        ErrorCase::new(
            504,
            r#"{"id":"x","message":"gateway timeout"}"#,
            "server_error",
        ),
        // An invalid key, with retries allowed: none is made.
        ErrorCase::new(401, r#"{"message":"invalid api token"}"#, "authentication")
            .not_retried_within(3),
    ]
}

/// The transcript's text, then `tail` in place of its end.
fn ending_with(tail: &str) -> String {
    format!("{}{tail}", &TRANSCRIPT[..message_end_at()])
}

fn cases() -> Cases<Cohere> {
    let in_char = TRANSCRIPT.find('ü').unwrap() + 1;
    let in_done = TRANSCRIPT.find("[DONE]").unwrap() + 3;
    let splits = checks::every_cut(vec![in_char, in_done]);
    // Events without `event:` lines are named by their `type`.
    let unnamed: String = TRANSCRIPT
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("event:"))
        .collect();
    let no_done = TRANSCRIPT.strip_suffix("data: [DONE]\n\n").unwrap();
    let head = &TRANSCRIPT[..message_end_at()];
    let mut cases = Cases::new(vendor(), request(), TRANSCRIPT, expected_events())
        .documented(documented())
        .replay(Replay::new("documented", TRANSCRIPT, splits))
        .replay(Replay::new(
            "CRLF",
            TRANSCRIPT.replace('\n', "\r\n"),
            vec![Split::Size(5)],
        ))
        .replay(Replay::new("without event lines", unnamed, vec![Split::Size(5)]))
        // Ended right after message-end, without `[DONE]`: complete.
        .replay(
            Replay::new("ended without [DONE]", no_done, vec![Split::Whole])
                .transfer(Transfer::CloseDelimited),
        )
        .errors(errors())
        .retry(Retry::new(
            "a 429, a 500 and a 503",
            "3",
            vec![
                Response::json(
                    429,
                    r#"{"id":"a","message":"You are past the per minute request limit, please wait and try again later."}"#,
                )
                .header("retry-after", "0.1"),
                Response::json(500, r#"{"id":"b","message":"internal server error"}"#),
                Response::json(503, r#"{"id":"c","message":"service unavailable"}"#),
            ],
        ))
        .stream_error(StreamError::new(
            "message-end with ERROR",
            ending_with("event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":\"internal error: the model is overloaded, please retry\"}}\n\ndata: [DONE]\n\n"),
            deltas(&PIECES),
            "overloaded",
            "the model is overloaded",
        ))
        .stream_error(StreamError::new(
            "message-end with TIMEOUT",
            ending_with("event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TIMEOUT\"}}\n\ndata: [DONE]\n\n"),
            deltas(&PIECES),
            "server_error",
            "TIMEOUT",
        ))
        .stream_error(StreamError::new(
            "an error body inside the stream",
            ending_with("data: {\"id\":\"d4c0\",\"message\":\"internal server error\"}\n\n"),
            deltas(&PIECES),
            "server_error",
            "internal server error",
        ))
        .open_head(head)
        .stall_before_output(&TRANSCRIPT[..TRANSCRIPT.find("event: content-start").unwrap()])
        .stall_after_output(
            &TRANSCRIPT[..TRANSCRIPT.find("event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Ms\"").unwrap()],
            1,
        );
    for (name, transfer) in [
        ("chunked, closed before message-end", Transfer::Chunked),
        (
            "close-delimited, closed before message-end",
            Transfer::CloseDelimited,
        ),
    ] {
        let response = Response::sse(head).transfer(transfer).then(Action::Close);
        cases = cases.truncation(Truncation::new(name, response));
    }
    cases
}

support::checks::wire_checks!(
    cases;
    a_stall_before_any_output_times_out_and_hangs_up,
    a_stall_after_output_times_out_and_hangs_up
);

#[tokio::test]
async fn the_stream_stops_at_done_and_ignores_what_follows() {
    let body = format!(
        "{TRANSCRIPT}event: content-delta\ndata: {{\"type\":\"content-delta\",\"index\":0,\"delta\":{{\"message\":{{\"content\":{{\"text\":\"AFTER\"}}}}}}}}\n\n"
    );
    // A stall after `[DONE]` must not matter: the reply is complete there.
    let resp = Response::sse(&body).then(Action::Stall);
    let (_server, p) = vendor().answering(resp, &[("idle_timeout", "5")]).await;
    let start = Instant::now();
    let events = support::events(&p, &request()).await.unwrap();
    assert_eq!(events, expected_events());
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
    let p = vendor().at(&server, &[]).await;
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
    let server = support::serve_get("/v1/models", Response::json(200, list)).await;
    let p = vendor().at(&server, &[]).await;
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

#[tokio::test]
async fn top_p_of_one_is_sent_as_the_largest_value_cohere_accepts() {
    let req = ChatRequest::new("command-a-03-2025", vec![Message::user("hi")]).top_p(1.0);
    let (sent, _) = vendor().exchange(TRANSCRIPT, &req, &[]).await;
    assert_eq!(sent.json()["p"], 0.99);
}
