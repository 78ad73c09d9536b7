//! Fault injection (hardening issue #6): every network and server fault of
//! the issue's list through the OpenAI provider, and the format-specific ones
//! (unknown event type, invalid JSON in one event, truncation without the
//! terminal event) through the Anthropic provider too, all against the local
//! fake server on 127.0.0.1.
//!
//! Every chat goes the way a program's does: through a
//! [`ProviderManager`], whose one policy retries a failure before the first
//! output (the provider's transport sends once and streams what comes).
//! Each case asserts the documented typed error ([`YatError::kind`]) or the
//! documented behaviour, within a bounded time (every test body runs under
//! [`bounded`], so a hang fails instead of blocking CI), and that a failed
//! stream never ends in a `Finish`: partial output is never presented as
//! complete. Cases that `openai.rs` and `anthropic.rs` already assert exactly
//! (401/404/429 error bodies, HTML page with a `text/html` 200, idle timeout
//! before the first text, drop after a delta) are not repeated here;
//! `RELIABILITY.md` lists which file holds which case.
#![cfg(feature = "openai")]

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use yat_core::settings::implicit_env_var;
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatStream, Finish, FinishReason,
    LlmProvider, Message, ModelInfo, ProviderConfig, ProviderManager, ResolvedSettings,
    TimeoutPhase, Usage, YatError,
};
use yat_fakeserver::{
    openai_stream, Action, FakeServer, Fault, Format, Generated, Response, Route, Split, Transfer,
};
use yat_providers::openai::{presets, OpenAiCompatible};

const KEY: &str = "sk-faults-planted-0123456789";

/// The most any test here may take; the slowest case needs about 2 s.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs a test body, failing it if it does not finish within [`LIMIT`].
async fn bounded<F: Future<Output = ()>>(body: F) {
    if tokio::time::timeout(LIMIT, body).await.is_err() {
        panic!("no result within {LIMIT:?}: a hang");
    }
}

/// How one chat went: the events the caller saw, and the error that ended it.
#[derive(Debug)]
struct Outcome {
    events: Vec<ChatEvent>,
    error: Option<YatError>,
}

impl Outcome {
    /// The text of the deltas the caller saw.
    fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Asserts that the chat failed with `kind`, that no `Finish` was seen
    /// (partial output is never presented as complete) and that the error
    /// shows no key. Returns the error.
    #[track_caller]
    fn failed(&self, kind: &str) -> &YatError {
        let e = self
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("expected a {kind} error, the chat succeeded: {self:?}"));
        assert_eq!(e.kind(), kind, "{e}");
        assert!(
            !self
                .events
                .iter()
                .any(|e| matches!(e, ChatEvent::Finish(_))),
            "a failed stream presented a finish: {self:?}"
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("planted"), "key in an error: {shown}");
        e
    }

    /// Asserts a complete reply (no error, exactly one `Finish`, last) and
    /// returns its text.
    #[track_caller]
    fn complete(&self) -> String {
        assert!(self.error.is_none(), "{:?}", self.error);
        let finishes = self
            .events
            .iter()
            .filter(|e| matches!(e, ChatEvent::Finish(_)))
            .count();
        assert_eq!(finishes, 1, "{self:?}");
        assert!(matches!(self.events.last(), Some(ChatEvent::Finish(_))));
        self.text()
    }
}

/// One provider behind a [`ProviderManager`]: what a program holds.
struct Chat {
    manager: ProviderManager,
    id: &'static str,
}

impl Chat {
    /// A manager holding only the linked provider `id`, with `key`, the
    /// base URL `base` and the settings `extra` (`max_retries`, timeouts),
    /// given as its environment.
    async fn new(id: &'static str, base: &str, extra: &[(&str, &str)]) -> Chat {
        let registration = yat_core::registry::discover()
            .find(id)
            .unwrap_or_else(|| panic!("{id} is not linked"));
        let mut env = BTreeMap::from([
            (implicit_env_var(id, "api_key"), KEY.to_owned()),
            (implicit_env_var(id, "base_url"), base.to_owned()),
        ]);
        for (key, value) in extra {
            env.insert(implicit_env_var(id, key), (*value).to_owned());
        }
        let manager = ProviderManager::builder()
            .registrations(vec![registration])
            .env(env)
            .config(ProviderConfig::default())
            .build()
            .await
            .unwrap();
        let status = manager.info(id).unwrap().status;
        assert!(status.is_ready(), "{id}: {status:?}");
        Chat { manager, id }
    }

    /// Starts a chat: returns at its first output, or with the error that
    /// came before it once retries are spent.
    async fn start(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        self.manager.stream_chat(self.id, req).await
    }
}

/// Starts a chat and reads it to its end, as a caller would.
async fn run(chat: &Chat, req: &ChatRequest) -> Outcome {
    let mut stream = match chat.start(req).await {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                events: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(ev) => events.push(ev),
            Err(e) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream went on after its error"
                );
                return Outcome {
                    events,
                    error: Some(e),
                };
            }
        }
    }
    Outcome {
        events,
        error: None,
    }
}

fn request() -> ChatRequest {
    ChatRequest::new("gpt-4o-mini", vec![Message::user("Say hello")])
}

/// OpenAI behind a manager, talking to `url` (the server's root).
async fn openai(url: &str, extra: &[(&str, &str)]) -> Chat {
    Chat::new("openai", &format!("{url}/v1"), extra).await
}

async fn server(responses: Vec<Response>) -> FakeServer {
    let mut route = Route::new("POST", "/v1/chat/completions");
    for r in responses {
        route = route.respond(r);
    }
    FakeServer::start(vec![route]).await.unwrap()
}

/// A complete stream: role chunk, "Hello", " world", the stop chunk, the
/// usage chunk and `[DONE]`.
fn transcript() -> String {
    openai_stream(&["Hello", " world"])
}

fn expected_events() -> Vec<ChatEvent> {
    vec![
        ChatEvent::Delta {
            text: "Hello".into(),
        },
        ChatEvent::Delta {
            text: " world".into(),
        },
        ChatEvent::Usage(Usage::new(9, 2)),
        ChatEvent::Finish(Finish::new(FinishReason::Stop, "stop")),
    ]
}

/// The first `n` SSE events of the transcript (role chunk first).
fn first_events(n: usize) -> String {
    transcript().split_inclusive("\n\n").take(n).collect()
}

fn error_json(message: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})
        .to_string()
}

/// Chats started on [`Counted`], across the tests of this binary.
static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

/// OpenAI, counting the chats the manager starts on it: one per attempt.
struct Counted(OpenAiCompatible);

#[async_trait]
impl LlmProvider for Counted {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        self.0.initialize(settings).await
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        self.0.list_models().await
    }
    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        ATTEMPTS.fetch_add(1, Ordering::SeqCst);
        self.0.stream_chat(req).await
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
}

yat_core::register_provider! {
    id: "counted-openai",
    name: "OpenAI, counted",
    constructor: || Ok(Box::new(Counted(OpenAiCompatible::new(presets::openai::PRESET.profile())))),
    settings: presets::openai::SETTINGS,
}

#[tokio::test]
async fn a_refused_connection_is_not_retried_and_names_the_url_without_the_key() {
    bounded(async {
        let port = {
            let s = server(vec![]).await;
            s.url().rsplit(':').next().unwrap().to_owned()
        };
        // A key in the URL's user info: it may not show.
        let base = format!("http://user:{KEY}@127.0.0.1:{port}/v1");
        // The default policy (2 retries) is in force: the refusal alone
        // decides that there is no second attempt.
        let chat = Chat::new("counted-openai", &base, &[]).await;
        let before = ATTEMPTS.load(Ordering::SeqCst);
        let out = run(&chat, &request()).await;
        assert_eq!(ATTEMPTS.load(Ordering::SeqCst) - before, 1, "retried");
        let e = out.failed("network");
        assert_eq!(
            e.to_string(),
            format!(
                "openai: network error: cannot connect to \
                 http://127.0.0.1:{port}/v1/chat/completions (connection refused): \
                 is the server running?"
            )
        );
        assert!(!e.is_retryable());
        assert!(e.allows_fallback(), "another provider may well answer");

        // Nor in its query.
        let with_query = format!("http://127.0.0.1:{port}/v1?key={KEY}");
        let other = run(&Chat::new("openai", &with_query, &[]).await, &request()).await;
        let shown = other.failed("network").to_string();
        assert!(!shown.contains("key="), "{shown}");
        assert!(shown.contains("(connection refused)"), "{shown}");

        // The cause is kept, down to the operating system's word.
        let mut cause = std::error::Error::source(e);
        let mut refused = false;
        while let Some(c) = cause {
            assert!(!c.to_string().contains("planted"), "{c}");
            refused |= c
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
            cause = c.source();
        }
        assert!(refused, "no io::Error in the source chain of {e:?}");
    })
    .await;
}

#[tokio::test]
async fn the_provider_returns_at_the_headers_and_the_manager_at_the_first_output() {
    bounded(async {
        // Headers, then nothing: the transport has set up the stream and
        // returns; what comes before the first output is the stream's.
        let s = server(vec![Response::sse("").then(Action::Stall)]).await;
        let mut p = OpenAiCompatible::new(presets::openai::PRESET.profile());
        let base = format!("{}/v1", s.url());
        let settings = [
            ("api_key", KEY),
            ("base_url", &base),
            ("idle_timeout", "0.3"),
        ];
        p.initialize(&ResolvedSettings::from_pairs("openai", &settings))
            .await
            .unwrap();
        let mut stream = tokio::time::timeout(Duration::from_secs(2), p.stream_chat(&request()))
            .await
            .expect("the provider waited for an event")
            .expect("the headers were fine");
        match stream.next().await {
            Some(Err(YatError::Timeout {
                phase: TimeoutPhase::Idle,
                ..
            })) => {}
            other => panic!("{other:?}"),
        }
        assert!(stream.next().await.is_none());

        // Through the manager the same silence is the start's error, and
        // is retried (a timeout may pass): two requests, then the error.
        let s = server(vec![Response::sse("").then(Action::Stall)]).await;
        let chat = openai(&s.url(), &[("idle_timeout", "0.3"), ("max_retries", "1")]).await;
        let out = run(&chat, &request()).await;
        assert!(out.events.is_empty());
        out.failed("timeout");
        assert_eq!(s.requests().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn errors_carry_the_request_id_the_server_sent() {
    bounded(async {
        for (status, kind) in [
            (401, "authentication"),
            (404, "model_not_found"),
            (500, "server_error"),
        ] {
            let s =
                server(vec![Response::json(status, &error_json("no"))
                    .header("x-request-id", "req_faults_42")])
                .await;
            let chat = openai(&s.url(), &[("max_retries", "0")]).await;
            let out = run(&chat, &request()).await;
            let e = out.failed(kind);
            assert_eq!(e.request_id(), Some("req_faults_42"), "{status}");
            assert!(e.to_string().ends_with("(request id req_faults_42)"), "{e}");
        }
        // An id that echoes the key is scrubbed like the message.
        let s =
            server(vec![Response::json(500, &error_json("no"))
                .header("x-request-id", &format!("req-{KEY}"))])
            .await;
        let chat = openai(&s.url(), &[("max_retries", "0")]).await;
        run(&chat, &request()).await.failed("server_error");
    })
    .await;
}

#[tokio::test]
async fn reset_before_headers_is_a_network_error_and_is_retried() {
    bounded(async {
        let s = server(vec![
            Response::sse(&transcript()).before_headers(Fault::Reset)
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        run(&p, &request()).await.failed("network");
        assert_eq!(s.requests().len(), 1);

        let s = server(vec![
            Response::sse(&transcript()).before_headers(Fault::Reset),
            Response::sse(&transcript()).before_headers(Fault::Reset),
            Response::sse(&transcript()),
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "2")]).await;
        let out = run(&p, &request()).await;
        assert_eq!(out.complete(), "Hello world");
        assert_eq!(out.events, expected_events());
        assert_eq!(s.requests().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn reset_mid_stream_after_text_ends_in_a_network_error_without_retry() {
    bounded(async {
        // Role, "Hello", " world", then a TCP reset.
        let s = server(vec![Response::sse(&first_events(3))
            .split(Split::Events)
            .then(Action::Reset)])
        .await;
        let p = openai(&s.url(), &[("max_retries", "3")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("network");
        assert!(e.to_string().contains("mid-stream"), "{e}");
        assert_eq!(out.text(), "Hello world");
        // Output had reached the caller: a retry would duplicate it.
        assert_eq!(s.requests().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn reset_mid_stream_before_any_text_is_retried_without_duplicating_output() {
    bounded(async {
        let s = server(vec![
            Response::sse(&first_events(1)).then(Action::Reset),
            Response::sse(&transcript()),
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "1")]).await;
        let out = run(&p, &request()).await;
        assert_eq!(out.events, expected_events());
        assert_eq!(s.requests().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn truncation_without_the_terminal_event_is_an_error_at_every_cut() {
    bounded(async {
        let full = transcript();
        let events: Vec<&str> = full.split_inclusive("\n\n").collect();
        // Inside the " world" chunk's JSON.
        let mid_event = events[0].len() + events[1].len() + events[2].len() / 2;
        let mut cuts: Vec<(usize, bool)> = (0..=3)
            .map(|n| (events[..n].iter().map(|e| e.len()).sum(), false))
            .collect();
        cuts.push((mid_event, true));
        for (cut, inside_an_event) in cuts {
            for transfer in [Transfer::Chunked, Transfer::CloseDelimited] {
                let s = server(vec![Response::sse(&full[..cut])
                    .transfer(transfer)
                    .then(Action::Close)])
                .await;
                let p = openai(&s.url(), &[("max_retries", "0")]).await;
                let out = run(&p, &request()).await;
                // A chunked body cut short is a broken connection; a body
                // whose end only the close marks is judged by its content:
                // no finish_reason and no [DONE] means cut, and a half event
                // at the end is not valid JSON.
                let kind = match (transfer, inside_an_event) {
                    (Transfer::CloseDelimited, true) => "malformed_response",
                    _ => "network",
                };
                let e = out.failed(kind);
                assert!(
                    out.text().len() <= "Hello world".len(),
                    "cut {cut} {transfer:?}: {e}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_close_delimited_body_that_ends_after_the_finish_reason_is_complete() {
    // Documented behaviour (openai/stream.rs): some compatible servers close
    // after the finish chunk without `[DONE]`; the reply is complete then.
    bounded(async {
        let s = server(vec![
            Response::sse(&first_events(4)).transfer(Transfer::CloseDelimited)
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        assert_eq!(run(&p, &request()).await.complete(), "Hello world");
    })
    .await;
}

#[tokio::test]
async fn stall_before_the_first_byte_times_out_and_hangs_up() {
    bounded(async {
        let s = server(vec![
            Response::sse(&transcript()).before_headers(Fault::Stall)
        ])
        .await;
        let p = openai(
            &s.url(),
            &[("first_byte_timeout", "0.3"), ("max_retries", "0")],
        )
        .await;
        let start = Instant::now();
        let out = run(&p, &request()).await;
        let e = out.failed("timeout");
        assert!(
            matches!(
                e,
                YatError::Timeout {
                    phase: TimeoutPhase::FirstByte,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(
            s.wait_for_client_disconnect(Duration::from_secs(5)).await,
            "the stalled connection was left open"
        );

        // A timeout is retryable: one retry, then the same error.
        let s = server(vec![
            Response::sse(&transcript()).before_headers(Fault::Stall)
        ])
        .await;
        let p = openai(
            &s.url(),
            &[("first_byte_timeout", "0.2"), ("max_retries", "1")],
        )
        .await;
        run(&p, &request()).await.failed("timeout");
        assert_eq!(s.requests().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn stall_mid_stream_after_text_fires_the_idle_timeout_and_hangs_up() {
    bounded(async {
        let s = server(vec![Response::sse(&first_events(3)).then(Action::Stall)]).await;
        let p = openai(&s.url(), &[("idle_timeout", "0.3"), ("max_retries", "3")]).await;
        let start = Instant::now();
        let out = run(&p, &request()).await;
        let e = out.failed("timeout");
        assert!(
            matches!(
                e,
                YatError::Timeout {
                    phase: TimeoutPhase::Idle,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(out.text(), "Hello world");
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(s.requests().len(), 1, "no retry after output");
        assert!(
            s.wait_for_client_disconnect(Duration::from_secs(5)).await,
            "the stalled connection was left open"
        );
    })
    .await;
}

#[tokio::test]
async fn the_idle_timeout_measures_silence_not_the_whole_reply() {
    // Documented behaviour: a slow but steady stream (each gap below the
    // idle timeout, the whole reply far above it) completes.
    bounded(async {
        let s = server(vec![Response::generated(Generated::new(
            Format::OpenAi,
            12,
        ))
        .pace(Duration::from_millis(60))])
        .await;
        let p = openai(&s.url(), &[("idle_timeout", "0.4"), ("max_retries", "0")]).await;
        let start = Instant::now();
        let out = run(&p, &request()).await;
        assert_eq!(out.complete(), "tok ".repeat(12));
        assert!(start.elapsed() > Duration::from_millis(600));
    })
    .await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_in_seconds_is_waited_out() {
    bounded(async {
        let limited = Response::json(429, &error_json("Rate limit reached for requests"))
            .header("retry-after", "1");
        let s = server(vec![limited.clone(), Response::sse(&transcript())]).await;
        let p = openai(&s.url(), &[("max_retries", "1")]).await;
        let start = Instant::now();
        let out = run(&p, &request()).await;
        assert_eq!(out.events, expected_events());
        assert!(
            start.elapsed() >= Duration::from_millis(950),
            "Retry-After: 1 not honoured: {:?}",
            start.elapsed()
        );
        assert_eq!(s.requests().len(), 2);

        // A wait beyond the retry budget (60 s) is not slept through: the
        // typed error comes at once, with the wait for the caller to honour.
        let s = server(vec![
            Response::json(429, &error_json("slow down")).header("retry-after", "3600")
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "3")]).await;
        let start = Instant::now();
        let out = run(&p, &request()).await;
        let e = out.failed("rate_limited");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(s.requests().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_as_an_http_date() {
    bounded(async {
        let at = |secs: u64| httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs));
        let s = server(vec![
            Response::json(429, &error_json("slow down")).header("retry-after", &at(3))
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let wait = out.failed("rate_limited").retry_after().expect("a wait");
        // The date has whole seconds: 3 s from now is 2 to 3 s away.
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );

        // A date in the past means "now"; one in a second is waited for.
        for date in [httpdate::fmt_http_date(SystemTime::UNIX_EPOCH), at(1)] {
            let s = server(vec![
                Response::json(429, &error_json("slow down")).header("retry-after", &date),
                Response::sse(&transcript()),
            ])
            .await;
            let p = openai(&s.url(), &[("max_retries", "1")]).await;
            let out = run(&p, &request()).await;
            assert_eq!(out.events, expected_events(), "{date}");
            assert_eq!(s.requests().len(), 2);
        }
    })
    .await;
}

#[tokio::test]
async fn server_errors_are_typed_and_retried_then_succeed_without_duplicated_output() {
    bounded(async {
        let failing = |status: u16| {
            Response::json(status, &error_json(&format!("upstream {status}")))
                .header("retry-after-ms", "10")
        };
        for (status, kind) in [
            (500, "server_error"),
            (502, "server_error"),
            (503, "overloaded"),
            (529, "overloaded"),
        ] {
            let s = server(vec![failing(status)]).await;
            let p = openai(&s.url(), &[("max_retries", "0")]).await;
            let out = run(&p, &request()).await;
            let e = out.failed(kind);
            assert_eq!(e.status(), Some(status));
            assert!(e.is_retryable(), "{status}");

            let s = server(vec![failing(status), Response::sse(&transcript())]).await;
            let p = openai(&s.url(), &[("max_retries", "1")]).await;
            assert_eq!(
                run(&p, &request()).await.events,
                expected_events(),
                "{status}"
            );
            assert_eq!(s.requests().len(), 2);
        }

        // All four in a row, then the reply: once, whole.
        let s = server(vec![
            failing(500),
            failing(502),
            failing(503),
            failing(529),
            Response::sse(&transcript()),
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "4")]).await;
        assert_eq!(run(&p, &request()).await.events, expected_events());
        assert_eq!(s.requests().len(), 5);

        // Without Retry-After the policy backs off by itself (jittered,
        // at least half the 500 ms first delay).
        let s = server(vec![
            Response::json(500, &error_json("boom")),
            Response::sse(&transcript()),
        ])
        .await;
        let p = openai(&s.url(), &[("max_retries", "1")]).await;
        let start = Instant::now();
        assert_eq!(run(&p, &request()).await.events, expected_events());
        assert!(
            start.elapsed() >= Duration::from_millis(240),
            "{:?}",
            start.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn an_error_body_with_invalid_utf8_is_still_a_typed_error() {
    bounded(async {
        let s = server(vec![Response::new(500)
            .header("content-type", "application/json")
            .body(b"{\"error\": {\"message\": \"bad \xff\xfe bytes\"}}\xc3")])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("server_error");
        assert!(e.to_string().contains("bad"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn html_pages_with_200_are_errors_with_a_bounded_excerpt() {
    // openai.rs holds the `text/html` case exactly; here a large page, and a
    // page sent with no content type at all.
    bounded(async {
        let page = format!(
            "<html><body>{}</body></html>",
            "Please log in to continue. ".repeat(40_000)
        );
        let s = server(vec![Response::new(200)
            .header("content-type", "text/html; charset=utf-8")
            .body(&page)])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("malformed_response");
        let shown = e.to_string();
        assert!(shown.contains("Please log in"), "{shown}");
        assert!(
            shown.len() < 1_000,
            "the excerpt is not bounded: {} bytes",
            shown.len()
        );

        // Without a content type the body is read as a stream: it has no
        // event, so it ends without a finish, which is an error.
        let s = server(vec![Response::new(200)
            .body("<html><body>Please log in to the captive portal</body></html>")])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        run(&p, &request()).await.failed("network");
    })
    .await;
}

#[tokio::test]
async fn a_json_body_where_an_event_stream_was_expected_is_an_error() {
    bounded(async {
        // A server that ignored `stream: true` and sent a whole completion.
        let completion = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#;
        let s = server(vec![Response::json(200, completion)]).await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("malformed_response");
        assert!(e.to_string().contains("expected an event stream"), "{e}");
        assert!(e.to_string().contains("chat.completion"), "{e}");

        // A gateway reporting an error with a 200: typed by its body.
        let s = server(vec![Response::json(200, &error_json("upstream connect error"))]).await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("server_error");
        assert!(e.to_string().contains("upstream connect error"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn invalid_json_in_one_event_is_a_malformed_response() {
    bounded(async {
        let garbage = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]]\n\n";
        // After text: the text stays, the stream ends in the error.
        let body = format!(
            "{}{garbage}{}",
            first_events(2),
            &transcript()[first_events(2).len()..]
        );
        let s = server(vec![Response::sse(&body)]).await;
        let p = openai(&s.url(), &[("max_retries", "3")]).await;
        let out = run(&p, &request()).await;
        match out.failed("malformed_response") {
            YatError::MalformedResponse {
                excerpt, message, ..
            } => {
                assert!(message.contains("invalid chunk"), "{message}");
                assert!(excerpt.contains("]]"), "{excerpt}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out.text(), "Hello");
        assert_eq!(s.requests().len(), 1);

        // Before any text: not retryable either (the server is broken, not busy).
        let s = server(vec![Response::sse(&format!("{garbage}{}", transcript()))]).await;
        let p = openai(&s.url(), &[("max_retries", "3")]).await;
        run(&p, &request()).await.failed("malformed_response");
        assert_eq!(s.requests().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn unknown_events_fields_and_comments_are_ignored() {
    // What real servers add around the documented chunks: comments
    // (OpenRouter's keep-alives), ids and retry fields, an event type the
    // client does not know, chunks without choices, new fields.
    bounded(async {
        let events: Vec<String> = transcript()
            .split_inclusive("\n\n")
            .map(|e| e.replacen("\"choices\":", "\"obfuscation\":\"Zx9\",\"choices\":", 1))
            .collect();
        let body = format!(
            ": OPENROUTER PROCESSING\n\nretry: 3000\nid: 1\n{}event: ping\ndata: {{\"type\":\"ping\"}}\n\ndata: {{\"choices\":[]}}\n\n{}: keep-alive\n\n{}",
            events[0],
            events[1..3].concat(),
            events[3..].concat(),
        );
        let s = server(vec![Response::sse(&body).split(Split::Size(5))]).await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        assert_eq!(run(&p, &request()).await.events, expected_events());
    })
    .await;
}

/// A chunk whose content is one line of `size` bytes (a 10 MiB "line").
fn huge_line(size: usize) -> String {
    let head = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
    let tail = "\"},\"finish_reason\":null}]}\n\n";
    let mut line = String::with_capacity(size);
    line.push_str(head);
    line.extend(std::iter::repeat('x').take(size - head.len() - tail.len()));
    line.push_str(tail);
    line
}

#[tokio::test]
async fn a_ten_mib_line_is_a_clear_error() {
    bounded(async {
        let body = format!(
            "{}{}{}",
            first_events(2),
            huge_line(10 << 20),
            first_events(6)
        );
        let s = server(vec![Response::sse(&body).split(Split::Size(64 << 10))]).await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("malformed_response");
        assert!(
            e.to_string().contains("exceeds the limit of 4194304 bytes"),
            "{e}"
        );
        assert_eq!(out.text(), "Hello");
        // Its memory cost is measured by the next test.
    })
    .await;
}

#[tokio::test]
async fn a_line_that_never_ends_fails_once_it_passes_the_limit() {
    bounded(async {
        // 5 MiB of one unfinished line, then the server holds the
        // connection open: the error must not wait for a line end.
        let head = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
        let body = format!("{}{head}{}", first_events(2), "x".repeat(5 << 20));
        let s = server(vec![Response::sse(&body)
            .split(Split::Size(64 << 10))
            .then(Action::Stall)])
        .await;
        let p = openai(&s.url(), &[("max_retries", "0")]).await;
        let out = run(&p, &request()).await;
        let e = out.failed("malformed_response");
        assert!(e.to_string().contains("exceeds the limit"), "{e}");
        assert_eq!(out.text(), "Hello");
        assert!(s.wait_for_client_disconnect(Duration::from_secs(5)).await);
    })
    .await;
}

/// Peak resident memory of this process (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The client half of the memory test below, run in a child process so the
/// server's copy of the body is not counted: streams from
/// `$YAT_FAULTS_CHILD_URL` and prints what happened and its peak memory.
#[tokio::test]
#[ignore = "run in a child process by a_ten_mib_line_costs_the_client_no_more_than_the_limit"]
async fn child_client_reports_its_peak_memory() {
    let Ok(url) = std::env::var("YAT_FAULTS_CHILD_URL") else {
        return;
    };
    let p = openai(&url, &[("max_retries", "0")]).await;
    let out = run(&p, &request()).await;
    println!(
        "outcome={} text_len={}",
        out.error.as_ref().map_or("complete", |e| e.kind()),
        out.text().len()
    );
    println!("peak_rss_kib={}", peak_rss_kib());
}

/// Runs [`child_client_reports_its_peak_memory`] against `server`; returns
/// (outcome kind, peak RSS KiB).
fn child_peak(server: &FakeServer) -> (String, u64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_client_reports_its_peak_memory",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("YAT_FAULTS_CHILD_URL", server.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} from the child:\n{stdout}"))
            .to_owned()
    };
    (field("outcome="), field("peak_rss_kib=").parse().unwrap())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_ten_mib_line_costs_the_client_no_more_than_the_limit() {
    bounded(async {
        let small = server(vec![Response::sse(&transcript())]).await;
        let body = format!(
            "{}{}{}",
            first_events(2),
            huge_line(10 << 20),
            first_events(6)
        );
        let big = server(vec![Response::sse(&body).split(Split::Size(64 << 10))]).await;
        let (base, huge) =
            tokio::task::spawn_blocking(move || (child_peak(&small), child_peak(&big)))
                .await
                .unwrap();
        assert_eq!(base.0, "complete");
        assert_eq!(huge.0, "malformed_response");
        let extra = huge.1.saturating_sub(base.1);
        eprintln!(
            "peak RSS: normal reply {} KiB, 10 MiB line {} KiB (+{extra} KiB)",
            base.1, huge.1
        );
        // The decoder holds at most its 4 MiB limit plus one read; a client
        // that buffered the line would need 10 MiB or more.
        assert!(extra < 8 << 10, "+{extra} KiB for a 10 MiB line");
    })
    .await;
}

#[tokio::test]
async fn invalid_utf8_is_a_malformed_response() {
    bounded(async {
        let bad_chunk: &[u8] =
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"caf\xe9 \xff\"}}]}\n\n";
        let head = first_events(2);
        let mut body = head.clone().into_bytes();
        body.extend_from_slice(bad_chunk);
        body.extend_from_slice(&transcript().as_bytes()[head.len()..]);
        // Cut right after the first bad byte too: the check does not depend
        // on how the bytes arrive.
        let at = head.len() + bad_chunk.iter().position(|&b| b == 0xe9).unwrap() + 1;
        for split in [Split::Whole, Split::At(vec![at]), Split::EveryByte] {
            let s = server(vec![Response::sse("").body(&body).split(split.clone())]).await;
            let p = openai(&s.url(), &[("max_retries", "0")]).await;
            let out = run(&p, &request()).await;
            let e = out.failed("malformed_response");
            assert!(e.to_string().contains("invalid UTF-8"), "{split:?}: {e}");
            assert_eq!(out.text(), "Hello", "{split:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_stream_that_never_ends_is_cancelled_by_dropping_it() {
    bounded(async {
        // An endless, steady stream: read some, then drop.
        let s = server(vec![Response::generated(Generated::new(
            Format::OpenAi,
            usize::MAX / 2,
        ))
        .pace(Duration::from_millis(2))])
        .await;
        let p = openai(&s.url(), &[]).await;
        let mut stream = p.start(&request()).await.unwrap();
        for _ in 0..20 {
            assert!(matches!(
                stream.next().await,
                Some(Ok(ChatEvent::Delta { .. }))
            ));
        }
        drop(stream);
        assert!(
            s.wait_for_client_disconnect(Duration::from_secs(5)).await,
            "the server never saw the stream dropped"
        );

        // Dropped while waiting for the next event (a timeout around it).
        let s = server(vec![Response::generated(Generated::new(
            Format::OpenAi,
            usize::MAX / 2,
        ))
        .pace(Duration::from_millis(200))])
        .await;
        let p = openai(&s.url(), &[]).await;
        let stream = p.start(&request()).await.unwrap();
        let read_all = async move {
            let mut stream = stream;
            while stream.next().await.is_some() {}
        };
        assert!(tokio::time::timeout(Duration::from_millis(500), read_all)
            .await
            .is_err());
        assert!(s.wait_for_client_disconnect(Duration::from_secs(5)).await);
    })
    .await;
}

#[tokio::test]
async fn a_keep_alive_only_stream_is_cancelled_by_dropping_the_start() {
    // Documented behaviour: the idle timeout measures silence, so a server
    // that sends only keep-alive comments keeps the request open (as in the
    // vendors' SDKs); the caller bounds it by dropping. Here the drop
    // happens inside the manager's start, which waits for the first text.
    bounded(async {
        let s = server(vec![Response::sse(&": keep-alive\n\n".repeat(100_000))
            .split(Split::Events)
            .pace(Duration::from_millis(20))])
        .await;
        let p = openai(&s.url(), &[("idle_timeout", "0.3"), ("max_retries", "0")]).await;
        let req = request();
        let started = tokio::time::timeout(Duration::from_millis(800), p.start(&req)).await;
        assert!(
            started.is_err(),
            "no text ever came, yet the start returned"
        );
        assert!(
            s.wait_for_client_disconnect(Duration::from_secs(5)).await,
            "the server never saw the start dropped"
        );

        // The same drop before the response headers arrive.
        let s = server(vec![
            Response::sse(&transcript()).before_headers(Fault::Stall)
        ])
        .await;
        let p = openai(&s.url(), &[]).await;
        let started = tokio::time::timeout(Duration::from_millis(300), p.start(&req)).await;
        assert!(started.is_err());
        assert!(s.wait_for_client_disconnect(Duration::from_secs(5)).await);
    })
    .await;
}

#[cfg(feature = "anthropic")]
mod anthropic {
    //! The format-specific faults through the Anthropic provider.

    use super::*;
    use yat_fakeserver::anthropic_stream;

    /// Anthropic behind a manager, talking to `url` (the server's root).
    async fn anthropic(url: &str, extra: &[(&str, &str)]) -> Chat {
        Chat::new("anthropic", url, extra).await
    }

    async fn server(responses: Vec<Response>) -> FakeServer {
        let mut route = Route::new("POST", "/v1/messages");
        for r in responses {
            route = route.respond(r);
        }
        FakeServer::start(vec![route]).await.unwrap()
    }

    fn request() -> ChatRequest {
        ChatRequest::new("claude-sonnet-4-5", vec![Message::user("Say hello")])
    }

    /// message_start, content_block_start, ping, "Hello", "!",
    /// content_block_stop, message_delta, message_stop.
    fn transcript() -> String {
        anthropic_stream(&["Hello", "!"])
    }

    fn events() -> Vec<String> {
        transcript()
            .split_inclusive("\n\n")
            .map(str::to_owned)
            .collect()
    }

    fn expected_events() -> Vec<ChatEvent> {
        vec![
            ChatEvent::Delta {
                text: "Hello".into(),
            },
            ChatEvent::Delta { text: "!".into() },
            // The transcript reports no cache use: zero, not unknown.
            ChatEvent::Usage(Usage::new(9, 2).with_cache_read(0).with_cache_write(0)),
            ChatEvent::Finish(Finish::new(FinishReason::Stop, "end_turn")),
        ]
    }

    #[tokio::test]
    async fn unknown_event_types_blocks_and_deltas_are_ignored() {
        bounded(async {
            let ev = events();
            let unknown = concat!(
                "event: some_future_event\ndata: {\"type\":\"some_future_event\",\"anything\":[1,2,3]}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"citations_delta\",\"citation\":{\"type\":\"web_search_result_location\"}}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
                "event: whatever\ndata: not json at all\n\n",
            );
            let body = format!("{}{unknown}{}", ev[..4].concat(), ev[4..].concat());
            let s = server(vec![Response::sse(&body).split(Split::Size(7))]).await;
            let p = anthropic(&s.url(), &[("max_retries", "0")]).await;
            assert_eq!(run(&p, &request()).await.events, expected_events());
        })
        .await;
    }

    #[tokio::test]
    async fn invalid_json_in_one_event_is_a_malformed_response() {
        bounded(async {
            let ev = events();
            let garbage = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}}\n\n";
            // After "Hello": the text stays, the stream ends in the error,
            // and nothing is retried.
            let body = format!("{}{garbage}{}", ev[..4].concat(), ev[4..].concat());
            let s = server(vec![Response::sse(&body)]).await;
            let p = anthropic(&s.url(), &[("max_retries", "3")]).await;
            let out = run(&p, &request()).await;
            let e = out.failed("malformed_response");
            assert!(e.to_string().contains("content_block_delta"), "{e}");
            assert_eq!(out.text(), "Hello");
            assert_eq!(s.requests().len(), 1);

            // In message_start, before anything reached the caller.
            let broken_start = ev[0].replacen("\"usage\":{", "\"usage\":{{", 1);
            let s = server(vec![Response::sse(&format!("{broken_start}{}", ev[1..].concat()))])
                .await;
            let p = anthropic(&s.url(), &[("max_retries", "3")]).await;
            let out = run(&p, &request()).await;
            assert!(out.failed("malformed_response").to_string().contains("message_start"));
            assert!(out.events.is_empty());
        })
        .await;
    }

    #[tokio::test]
    async fn the_request_id_comes_from_the_error_body_else_the_header() {
        bounded(async {
            let error = |request_id: &str| {
                format!(
                    r#"{{"type":"error","error":{{"type":"not_found_error","message":"model: claude-nonexistent"}},"request_id":{request_id}}}"#
                )
            };
            for (body, expected) in [
                (error(r#""req_011CSHoEeqs5C35K2UUqR7Fy""#), "req_011CSHoEeqs5C35K2UUqR7Fy"),
                (error("null"), "req_from_the_header"),
            ] {
                let s = server(vec![
                    Response::json(404, &body).header("request-id", "req_from_the_header")
                ])
                .await;
                let chat = anthropic(&s.url(), &[]).await;
                let out = run(&chat, &request()).await;
                let e = out.failed("model_not_found");
                assert_eq!(e.request_id(), Some(expected), "{body}");
                assert!(e.to_string().contains(&format!("(request id {expected})")), "{e}");
            }
        })
        .await;
    }

    #[tokio::test]
    async fn an_error_event_before_any_text_is_retried_without_duplicate_usage() {
        // The first attempt dies right after message_start: its usage never
        // reaches the caller, and the second attempt's reply arrives once.
        bounded(async {
            let overloaded = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
            let s = server(vec![
                Response::sse(&format!("{}{overloaded}", events()[0])),
                Response::sse(&transcript()),
            ])
            .await;
            let chat = anthropic(&s.url(), &[("max_retries", "1")]).await;
            assert_eq!(run(&chat, &request()).await.events, expected_events());
            assert_eq!(s.requests().len(), 2);
        })
        .await;
    }

    #[tokio::test]
    async fn truncation_without_message_stop_is_an_error() {
        // anthropic.rs holds the closed and cleanly ended cases; here the
        // body's end is only the connection closing, or a reset.
        bounded(async {
            let ev = events();
            for (cut, then) in [
                (7, Action::End),
                (6, Action::End),
                (4, Action::Reset),
                (5, Action::Close),
            ] {
                let s = server(vec![Response::sse(&ev[..cut].concat())
                    .transfer(Transfer::CloseDelimited)
                    .then(then)])
                .await;
                let p = anthropic(&s.url(), &[("max_retries", "0")]).await;
                let out = run(&p, &request()).await;
                let e = out.failed("network");
                assert!(!out.text().is_empty(), "cut {cut}: {e}");
            }
        })
        .await;
    }
}

mod every_format {
    //! The manager's one retry policy over each wire format: what fails
    //! before the first output is retried, boundedly, and the reply arrives
    //! once; what the provider refuses for good is not retried. The
    //! format-specific hints (Gemini's wait in the body) come after.

    use super::*;
    #[cfg(feature = "anthropic")]
    use yat_fakeserver::anthropic_stream;

    /// One wire format: the provider, its base URL under the server's
    /// root, where its chats are posted, a model, a complete reply, and the
    /// reply's first event alone (no output yet).
    struct Wire {
        id: &'static str,
        base: &'static str,
        path: &'static str,
        model: &'static str,
        reply: String,
        first_event: String,
    }

    impl Wire {
        async fn chat(&self, server: &FakeServer, extra: &[(&str, &str)]) -> Chat {
            Chat::new(self.id, &format!("{}{}", server.url(), self.base), extra).await
        }

        async fn server(&self, responses: Vec<Response>) -> FakeServer {
            let route = responses
                .into_iter()
                .fold(Route::new("POST", self.path), Route::respond);
            FakeServer::start(vec![route]).await.unwrap()
        }

        fn request(&self) -> ChatRequest {
            ChatRequest::new(self.model, vec![Message::user("Say hello")])
        }

        /// The events of the reply, served whole on the first try.
        async fn clean_events(&self) -> Vec<ChatEvent> {
            let s = self.server(vec![Response::sse(&self.reply)]).await;
            let out = run(&self.chat(&s, &[]).await, &self.request()).await;
            out.complete();
            out.events
        }
    }

    fn first_event(reply: &str) -> String {
        reply.split_inclusive("\n\n").next().unwrap().to_owned()
    }

    /// Every format compiled in.
    fn wires() -> Vec<Wire> {
        let openai = super::transcript();
        let mut wires = vec![Wire {
            id: "openai",
            base: "/v1",
            path: "/v1/chat/completions",
            model: "gpt-4o-mini",
            first_event: first_event(&openai),
            reply: openai,
        }];
        #[cfg(feature = "anthropic")]
        {
            let reply = anthropic_stream(&["Hello", "!"]);
            wires.push(Wire {
                id: "anthropic",
                base: "",
                path: "/v1/messages",
                model: "claude-sonnet-4-5",
                first_event: first_event(&reply),
                reply,
            });
        }
        #[cfg(feature = "gemini")]
        {
            // The prompt's usage first, then the text with the finish.
            let reply = concat!(
                "data: {\"candidates\": [{\"content\": {\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6}}\r\n\r\n",
                "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 6,\"candidatesTokenCount\": 1}}\r\n\r\n",
            );
            wires.push(Wire {
                id: "gemini",
                base: "/v1beta",
                path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                model: "gemini-2.5-flash",
                first_event: reply.split_inclusive("\r\n\r\n").next().unwrap().to_owned(),
                reply: reply.to_owned(),
            });
        }
        #[cfg(feature = "cohere")]
        {
            let reply = concat!(
                "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"m1\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n",
                "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hi\"}}}}\n\n",
                "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"tokens\":{\"input_tokens\":5,\"output_tokens\":1}}}}\n\n",
            );
            wires.push(Wire {
                id: "cohere",
                base: "",
                path: "/v2/chat",
                model: "command-a-03-2025",
                first_event: first_event(reply),
                reply: reply.to_owned(),
            });
        }
        wires
    }

    fn failing(status: u16) -> Response {
        Response::json(status, r#"{"error":{"message":"upstream trouble"}}"#)
            .header("retry-after-ms", "10")
    }

    #[tokio::test]
    async fn failures_before_the_first_output_are_retried_and_the_reply_comes_once() {
        bounded(async {
            for wire in wires() {
                let clean = wire.clean_events().await;
                // A server error, then a reply cut after its first event
                // (usage at most, no output), then the reply.
                let s = wire
                    .server(vec![
                        failing(500),
                        Response::sse(&wire.first_event).then(Action::Reset),
                        Response::sse(&wire.reply),
                    ])
                    .await;
                let out = run(
                    &wire.chat(&s, &[("max_retries", "2")]).await,
                    &wire.request(),
                )
                .await;
                assert_eq!(out.events, clean, "{}", wire.id);
                assert_eq!(s.requests().len(), 3, "{}", wire.id);
            }
        })
        .await;
    }

    #[tokio::test]
    async fn retries_are_bounded_by_max_retries() {
        bounded(async {
            for wire in wires() {
                let s = wire.server(vec![failing(502)]).await;
                let out = run(
                    &wire.chat(&s, &[("max_retries", "2")]).await,
                    &wire.request(),
                )
                .await;
                let e = out.failed("server_error");
                assert!(
                    e.to_string().contains("upstream trouble"),
                    "{}: {e}",
                    wire.id
                );
                assert_eq!(s.requests().len(), 3, "{}", wire.id);
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_rejected_key_is_not_retried() {
        bounded(async {
            for wire in wires() {
                let s = wire
                    .server(vec![Response::json(
                        401,
                        r#"{"error":{"message":"bad key"}}"#,
                    )])
                    .await;
                let out = run(
                    &wire.chat(&s, &[("max_retries", "3")]).await,
                    &wire.request(),
                )
                .await;
                out.failed("authentication");
                assert_eq!(s.requests().len(), 1, "{}", wire.id);
            }
        })
        .await;
    }

    #[cfg(feature = "gemini")]
    #[tokio::test]
    async fn gemini_rate_limit_waits_for_the_retry_delay_in_the_body() {
        bounded(async {
            let wire = wires().into_iter().find(|w| w.id == "gemini").unwrap();
            // No header: the wait is the body's RetryInfo.
            let limited = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.2s"}]}}"#;
            let s = wire
                .server(vec![Response::json(429, limited), Response::sse(&wire.reply)])
                .await;
            let chat = wire.chat(&s, &[("max_retries", "1")]).await;
            let start = Instant::now();
            run(&chat, &wire.request()).await.complete();
            assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
            assert_eq!(s.requests().len(), 2);
        })
        .await;
    }

    #[cfg(feature = "anthropic")]
    #[tokio::test]
    async fn anthropic_overload_without_a_wait_is_backed_off_then_retried() {
        bounded(async {
            let wire = wires().into_iter().find(|w| w.id == "anthropic").unwrap();
            let overloaded =
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
            let limited =
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
            let s = wire
                .server(vec![
                    Response::json(529, overloaded),
                    Response::json(429, limited).header("retry-after", "0"),
                    Response::sse(&wire.reply),
                ])
                .await;
            let chat = wire.chat(&s, &[("max_retries", "3")]).await;
            let start = Instant::now();
            assert_eq!(
                run(&chat, &wire.request()).await.events,
                wire.clean_events().await
            );
            // The 529 said nothing: the policy's own backoff, at least half
            // its first 500 ms.
            assert!(
                start.elapsed() >= Duration::from_millis(240),
                "{:?}",
                start.elapsed()
            );
            assert_eq!(s.requests().len(), 3);
        })
        .await;
    }
}
