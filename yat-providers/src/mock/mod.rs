//! `mock`: a real provider that needs no key and no network.
//!
//! It is yat's embedded default and the way every error path of the manager
//! and the CLI is tested. Output is deterministic:
//!
//! | model | reply |
//! |---|---|
//! | `mock-echo` | the last user message, verbatim |
//! | `mock-long` | a canned reply of about 250 words |
//! | `mock-slow` | the canned reply, 20 ms between chunks (unless `delay_ms` is set) |
//! | `mock-fail-before` | fails before the first token with a retryable server error |
//! | `mock-fail-mid` | streams `fail_after` chunks of the canned reply, then a network error |
//! | `mock-rate-limited` | rate limited, retry after 2 s |
//!
//! Settings (each also read from `MOCK_<KEY>`): `chunk_size` (characters per
//! chunk, default 8), `delay_ms` (pause between chunks, default 0),
//! `fail` (`init`, `list_models`, `stream` or `after:N`: inject a failure in
//! that duty for every model), `fail_after` (chunks before `mock-fail-mid`
//! fails, default 3).
//!
//! One chunk counts as one output token; input tokens are the
//! whitespace-separated words of all messages.

use std::time::Duration;

use futures::stream;
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatStream, Failure, Finish, FinishReason,
    LlmProvider, ModelInfo, ResolvedSettings, Role, SettingKind, SettingSpec, Usage, YatError,
};

const ID: &str = "mock";

const SETTINGS: &[SettingSpec] = &[
    SettingSpec::new(
        "chunk_size",
        "Characters per chunk",
        SettingKind::Integer,
        &[],
    )
    .default_value("8")
    .help("How many characters each streamed delta carries"),
    SettingSpec::new(
        "delay_ms",
        "Delay between chunks (ms)",
        SettingKind::Integer,
        &[],
    )
    .help("Pause between deltas, to imitate a slow model"),
    SettingSpec::text("fail", "Inject a failure", &[])
        .help("init | list_models | stream | after:N"),
    SettingSpec::new(
        "fail_after",
        "Chunks before mock-fail-mid fails",
        SettingKind::Integer,
        &[],
    )
    .default_value("3"),
];

yat_core::register_provider! {
    id: ID,
    name: "Mock",
    constructor: || Ok(Box::new(MockProvider::default())),
    settings: SETTINGS,
    description: "Deterministic offline provider: echo, canned replies, injectable failures",
}

/// The canned reply of `mock-long`, `mock-slow` and `mock-fail-mid`.
pub const CANNED_REPLY: &str = "yat is a command-line and library client for large language models. \
It speaks to every provider through one async trait, and each provider is an ordinary Rust crate \
that registers itself when it is linked into a program. Cargo features choose which providers are \
compiled in; at start-up the manager discovers them, resolves their settings from the environment, \
.env files and provider_config.json, and reports which are ready, which need a key and which failed. \
This reply comes from the mock provider, which needs no key and no network: it exists so that you \
can try every command right away and so that the test suite can exercise streaming, cancellation, \
usage accounting and error handling without talking to anyone. Replies arrive in small chunks, the \
way a real model streams tokens, and the stream always ends with a usage report and a finish event. \
Set MOCK_DELAY_MS to slow it down, MOCK_CHUNK_SIZE to change the chunk length, or pick the \
mock-fail-mid model to watch an error arrive in the middle of a reply.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    Init,
    ListModels,
    Stream,
    After(usize),
}

/// The mock provider. Public so tests and examples can build one directly.
#[derive(Debug, Clone)]
pub struct MockProvider {
    chunk_size: usize,
    delay: Option<Duration>,
    fail: Option<Fail>,
    fail_after: usize,
}

impl Default for MockProvider {
    fn default() -> Self {
        MockProvider {
            chunk_size: 8,
            delay: None,
            fail: None,
            fail_after: 3,
        }
    }
}

fn parse_fail(v: &str) -> Result<Fail, YatError> {
    let bad = || YatError::InvalidSetting {
        provider: ID.into(),
        key: "fail".into(),
        message: format!("expected init, list_models, stream or after:N, got {v:?}"),
    };
    match v {
        "init" => Ok(Fail::Init),
        "list_models" => Ok(Fail::ListModels),
        "stream" => Ok(Fail::Stream),
        other => other
            .strip_prefix("after:")
            .and_then(|n| n.parse().ok())
            .map(Fail::After)
            .ok_or_else(bad),
    }
}

fn injected(what: &str) -> YatError {
    YatError::Server(Failure::new(ID, format!("injected failure in {what}")))
}

const MODELS: &[(&str, &str)] = &[
    ("mock-echo", "Mock Echo"),
    ("mock-long", "Mock Long Reply"),
    ("mock-slow", "Mock Slow Reply"),
    ("mock-fail-before", "Mock Failure Before First Token"),
    ("mock-fail-mid", "Mock Failure Mid-Stream"),
    ("mock-rate-limited", "Mock Rate Limited"),
];

#[async_trait]
impl LlmProvider for MockProvider {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        *self = MockProvider::default();
        if let Some(n) = settings.get_u64("chunk_size")? {
            if n == 0 {
                return Err(YatError::InvalidSetting {
                    provider: ID.into(),
                    key: "chunk_size".into(),
                    message: "must be at least 1".into(),
                });
            }
            self.chunk_size = usize::try_from(n).unwrap_or(usize::MAX);
        }
        self.delay = settings
            .get_u64("delay_ms")?
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        if let Some(n) = settings.get_u64("fail_after")? {
            self.fail_after = usize::try_from(n).unwrap_or(usize::MAX);
        }
        self.fail = settings.get("fail").map(parse_fail).transpose()?;
        if self.fail == Some(Fail::Init) {
            return Err(YatError::Unavailable {
                provider: ID.into(),
                reason: "injected failure in initialize (setting fail=init)".into(),
            });
        }
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        if self.fail == Some(Fail::ListModels) {
            return Err(injected("list_models"));
        }
        Ok(MODELS
            .iter()
            .map(|(id, name)| {
                ModelInfo::new(ID, *id)
                    .display_name(*name)
                    .context_length(32_768)
                    .max_output_tokens(4_096)
            })
            .collect())
    }

    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        if self.fail == Some(Fail::Stream) {
            return Err(injected("stream_chat"));
        }
        let last_user = req
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .ok_or_else(|| {
                YatError::InvalidRequest(Failure::new(ID, "the conversation has no user message"))
            })?;
        let mut delay = self.delay;
        let mut fail_after = match self.fail {
            Some(Fail::After(n)) => Some(n),
            _ => None,
        };
        let text: &str = match req.model.as_str() {
            "mock-echo" => last_user
                .content
                .first()
                .and_then(yat_core::Part::as_text)
                .unwrap_or(""),
            "mock-long" => CANNED_REPLY,
            "mock-slow" => {
                delay = delay.or(Some(Duration::from_millis(20)));
                CANNED_REPLY
            }
            "mock-fail-mid" => {
                fail_after = Some(self.fail_after);
                CANNED_REPLY
            }
            "mock-fail-before" => return Err(injected("the first token (model mock-fail-before)")),
            "mock-rate-limited" => {
                return Err(YatError::RateLimited {
                    failure: Failure::http(ID, 429, "mock rate limit (model mock-rate-limited)"),
                    retry_after: Some(Duration::from_secs(2)),
                })
            }
            other => {
                return Err(YatError::ModelNotFound(Failure::new(
                    ID,
                    format!(
                        "no model {other:?}; available: {}",
                        MODELS.iter().map(|m| m.0).collect::<Vec<_>>().join(", ")
                    ),
                )))
            }
        };
        let input_tokens = req
            .messages
            .iter()
            .map(|m| m.text().split_whitespace().count() as u64)
            .sum();
        let plan = plan_reply(text, self.chunk_size, req);
        Ok(stream_plan(plan, input_tokens, delay, fail_after))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default().with_stop_sequences(true)
    }
}

struct Plan {
    chunks: Vec<String>,
    finish: Finish,
}

/// Cuts `text` into chunks, applying stop sequences and the token limit the
/// way a real API does: a stop sequence ends the text before it, the limit
/// cuts it with `Length`.
fn plan_reply(text: &str, chunk_size: usize, req: &ChatRequest) -> Plan {
    let mut finish = Finish::new(FinishReason::Stop, "stop");
    let mut text = text;
    if let Some((pos, _)) = req
        .stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|p| (p, s)))
        .min_by_key(|(p, _)| *p)
    {
        text = &text[..pos];
        finish = Finish::new(FinishReason::StopSequence, "stop_sequence");
    }
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (i, _) in text.char_indices() {
        if count == chunk_size {
            chunks.push(text[start..i].to_owned());
            start = i;
            count = 0;
        }
        count += 1;
    }
    if start < text.len() {
        chunks.push(text[start..].to_owned());
    }
    if let Some(limit) = req.max_tokens {
        let limit = limit as usize;
        if chunks.len() > limit {
            chunks.truncate(limit);
            finish = Finish::new(FinishReason::Length, "length");
        }
    }
    Plan { chunks, finish }
}

fn stream_plan(
    plan: Plan,
    input_tokens: u64,
    delay: Option<Duration>,
    fail_after: Option<usize>,
) -> ChatStream {
    let output_tokens = plan.chunks.len() as u64;
    let mut events: Vec<Result<ChatEvent, YatError>> = Vec::with_capacity(plan.chunks.len() + 2);
    for (i, text) in plan.chunks.into_iter().enumerate() {
        if fail_after == Some(i) {
            events.push(Err(YatError::Network {
                provider: ID.into(),
                message: format!("injected failure after {i} chunks"),
            }));
            break;
        }
        events.push(Ok(ChatEvent::Delta { text }));
    }
    let failed = events.last().is_some_and(|e| e.is_err());
    if !failed {
        events.push(Ok(ChatEvent::Usage(Usage::new(
            input_tokens,
            output_tokens,
        ))));
        events.push(Ok(ChatEvent::Finish(plan.finish)));
    }
    let items = stream::iter(events);
    match delay {
        None => Box::pin(items),
        Some(d) => {
            use futures::StreamExt;
            Box::pin(items.then(move |ev| async move {
                if matches!(ev, Ok(ChatEvent::Delta { .. })) {
                    tokio::time::sleep(d).await;
                }
                ev
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{ChatStreamExt, Message};

    async fn ready(pairs: &[(&str, &str)]) -> MockProvider {
        let mut p = MockProvider::default();
        p.initialize(&ResolvedSettings::from_pairs(ID, pairs))
            .await
            .unwrap();
        p
    }

    fn req(model: &str, text: &str) -> ChatRequest {
        ChatRequest::new(model, vec![Message::system("sys"), Message::user(text)])
    }

    #[tokio::test]
    async fn echo_streams_the_last_user_message_in_chunks() {
        let p = ready(&[("chunk_size", "3")]).await;
        let events: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
            p.stream_chat(&req("mock-echo", "héllo wörld"))
                .await
                .unwrap(),
        )
        .await;
        let deltas: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Ok(ChatEvent::Delta { text }) => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, vec!["hél", "lo ", "wör", "ld"]);
        assert_eq!(
            events[events.len() - 2].as_ref().unwrap(),
            &ChatEvent::Usage(Usage::new(3, 4))
        );
        assert!(matches!(
            events.last().unwrap(),
            Ok(ChatEvent::Finish(f)) if f.reason == FinishReason::Stop
        ));
    }

    #[tokio::test]
    async fn max_tokens_cuts_with_length_and_stop_sequences_apply() {
        let p = ready(&[]).await;
        let r = p
            .stream_chat(&req("mock-long", "x").max_tokens(2))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(r.text(), &CANNED_REPLY[..16]);
        assert_eq!(r.finish.unwrap().reason, FinishReason::Length);
        let r = p
            .stream_chat(&req("mock-echo", "one. two").stop(". "))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(r.text(), "one");
        assert_eq!(r.finish.unwrap().reason, FinishReason::StopSequence);
    }

    #[tokio::test]
    async fn injected_failures() {
        let mut p = MockProvider::default();
        let e = p
            .initialize(&ResolvedSettings::from_pairs(ID, &[("fail", "init")]))
            .await
            .unwrap_err();
        assert!(matches!(e, YatError::Unavailable { .. }));
        // Re-initialization starts clean.
        p.initialize(&ResolvedSettings::from_pairs(ID, &[]))
            .await
            .unwrap();
        assert!(p.list_models().await.is_ok());

        let p = ready(&[("fail", "list_models")]).await;
        assert!(p.list_models().await.is_err());

        let p = ready(&[]).await;
        assert!(matches!(
            p.stream_chat(&req("mock-fail-before", "x")).await,
            Err(YatError::Server(_))
        ));
        let r = p
            .stream_chat(&req("mock-fail-mid", "x"))
            .await
            .unwrap()
            .collect_response()
            .await;
        assert!(matches!(r, Err(YatError::Network { .. })));
        assert!(matches!(
            p.stream_chat(&req("nope", "x")).await,
            Err(YatError::ModelNotFound(_))
        ));
        let mut p = MockProvider::default();
        let e = p
            .initialize(&ResolvedSettings::from_pairs(ID, &[("fail", "bogus")]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("after:N"), "{e}");
    }

    #[tokio::test]
    async fn conformance() {
        let p = ready(&[]).await;
        yat_core::testkit::assert_conformance(&p, &yat_core::testkit::Options::default()).await;
    }
}
