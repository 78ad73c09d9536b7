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
//! | `mock-tools` | calls the first tool (or the one `tool_choice` names) with arguments made from its schema, or the JSON object the last user message ends with; answers tool results in text; without tools (or with `tool_choice: none`) echoes |
//! | `mock-parallel-tools` | calls the first two tools at once, their argument pieces interleaved (arguments as `mock-tools`) |
//! | `mock-json` | the smallest instance of the requested JSON schema, or a JSON object; plain text without a format |
//! | `mock-reasoning` | signed reasoning, then the last user message; refuses reasoning sent back unsigned or changed |
//! | `mock-vision` | says what each image and document of the last user message is (type and size, or URL) |
//!
//! Settings (each also read from `MOCK_<KEY>`): `chunk_size` (characters per
//! chunk, default 8), `delay_ms` (pause between chunks, default 0),
//! `fail` (`init`, `list_models`, `stream` or `after:N`: inject a failure in
//! that duty for every model), `fail_after` (chunks before `mock-fail-mid`
//! fails, default 3).
//!
//! One chunk counts as one output token (a piece of reasoning or of tool
//! arguments too); input tokens are the whitespace-separated words of all
//! messages. The models from `mock-tools` on report usage details: an image
//! or document counts 85 input tokens, system messages count as read from
//! the prompt cache (`cache_read_tokens`), and `mock-reasoning` reports its
//! reasoning tokens. `fail=after:N` counts every streamed event of those
//! models (reasoning, call starts and ends) as a chunk.

mod reasoning;
mod reply;
mod schema;
mod structured;
mod tools;
mod vision;

use std::time::Duration;

use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Failure, LlmProvider, ModelCapabilities,
    ModelInfo, ResolvedSettings, Role, SettingKind, SettingSpec, YatError,
};

use reply::{plain_input_tokens, plan_reply, stream_plan, stream_reply};
use tools::Calls;

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
    description: "Deterministic offline provider: echo, canned replies, tools, JSON, reasoning, vision, injectable failures",
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

/// What a model can do beyond text, as its listing says: a set of the
/// bits below.
type Skills = u8;
const TEXT: Skills = 0;
const TOOLS: Skills = 1;
const MEDIA: Skills = 1 << 1;
const JSON: Skills = 1 << 2;
const REASONING: Skills = 1 << 3;

const MODELS: &[(&str, &str, Skills)] = &[
    ("mock-echo", "Mock Echo", TEXT),
    ("mock-long", "Mock Long Reply", TEXT),
    ("mock-slow", "Mock Slow Reply", TEXT),
    ("mock-fail-before", "Mock Failure Before First Token", TEXT),
    ("mock-fail-mid", "Mock Failure Mid-Stream", TEXT),
    ("mock-rate-limited", "Mock Rate Limited", TEXT),
    ("mock-tools", "Mock Tool Caller", TOOLS),
    ("mock-parallel-tools", "Mock Parallel Tool Caller", TOOLS),
    ("mock-json", "Mock JSON Replies", JSON),
    ("mock-reasoning", "Mock Reasoning", REASONING),
    ("mock-vision", "Mock Vision", MEDIA),
];

fn capabilities(skills: Skills) -> ModelCapabilities {
    let has = |skill: Skills| skills & skill != 0;
    ModelCapabilities::default()
        .tools(has(TOOLS))
        .images(has(MEDIA))
        .documents(has(MEDIA))
        .json_schema(has(JSON))
        .reasoning(has(REASONING))
}

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
            .map(|(id, name, skills)| {
                ModelInfo::new(ID, *id)
                    .display_name(*name)
                    .context_length(32_768)
                    .max_output_tokens(4_096)
                    .capabilities(capabilities(*skills))
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
        let rich = match req.model.as_str() {
            "mock-tools" => Some(tools::reply(req, self.chunk_size, Calls::One)?),
            "mock-parallel-tools" => Some(tools::reply(req, self.chunk_size, Calls::Two)?),
            "mock-json" => Some(structured::reply(req, self.chunk_size)),
            "mock-reasoning" => Some(reasoning::reply(req, self.chunk_size)?),
            "mock-vision" => Some(vision::reply(req, self.chunk_size)?),
            _ => None,
        };
        if let Some(reply) = rich {
            return Ok(stream_reply(reply, delay, fail_after));
        }
        // Every text part of the last user message: attachments may come
        // before the prompt.
        let echoed = last_user.text();
        let text: &str = match req.model.as_str() {
            "mock-echo" => &echoed,
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
        let plan = plan_reply(text, self.chunk_size, req);
        Ok(stream_plan(
            plan,
            plain_input_tokens(req),
            delay,
            fail_after,
        ))
    }

    /// Everything: each model of the second table does one of the richer
    /// things; the text models ignore tools and formats.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_stop_sequences(true)
            .with_usage_details(true)
            .with_tools(true)
            .with_parallel_tools(true)
            .with_images(true)
            .with_documents(true)
            .with_json_schema(true)
            .with_json_object(true)
            .with_reasoning(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::{ChatEvent, ChatStreamExt, FinishReason, Message, Usage};

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
    async fn the_listing_says_what_each_model_can_do() {
        let models = ready(&[]).await.list_models().await.unwrap();
        assert_eq!(models.len(), MODELS.len());
        let caps = |id: &str| {
            models
                .iter()
                .find(|m| m.id == id)
                .and_then(|m| m.capabilities)
                .unwrap()
        };
        assert_eq!(
            caps("mock-echo"),
            ModelCapabilities::default()
                .tools(false)
                .images(false)
                .documents(false)
                .json_schema(false)
                .reasoning(false)
        );
        assert_eq!(caps("mock-tools").tools, Some(true));
        assert_eq!(caps("mock-parallel-tools").tools, Some(true));
        assert_eq!(caps("mock-json").json_schema, Some(true));
        assert_eq!(caps("mock-reasoning").reasoning, Some(true));
        let vision = caps("mock-vision");
        assert_eq!(
            (vision.images, vision.documents, vision.tools),
            (Some(true), Some(true), Some(false))
        );
    }

    #[tokio::test]
    async fn the_richer_models_stream_with_the_settings_delay_and_injected_failure() {
        let req = ChatRequest::new("mock-tools", vec![Message::user("x")]).tool(yat_core::ToolSpec::new(
            "f",
            "",
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
        ));
        // {"a":"mock"} in pieces of 3: 4 deltas, plus the start and the end.
        let p = ready(&[("chunk_size", "3"), ("fail", "after:5")]).await;
        let events: Vec<_> =
            futures::StreamExt::collect::<Vec<_>>(p.stream_chat(&req).await.unwrap()).await;
        assert_eq!(events.len(), 6);
        assert!(matches!(events[5], Err(YatError::Network { .. })));

        let p = ready(&[("chunk_size", "3"), ("delay_ms", "15")]).await;
        let started = std::time::Instant::now();
        let r = p
            .stream_chat(&req)
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(60),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            r.tool_calls().next().unwrap().arguments,
            serde_json::json!({"a": "mock"})
        );
        assert_eq!(r.usage.unwrap().output_tokens, 4);

        for model in [
            "mock-json",
            "mock-reasoning",
            "mock-vision",
            "mock-parallel-tools",
        ] {
            let r = p
                .stream_chat(&req.clone().model(model))
                .await
                .unwrap()
                .collect_response()
                .await
                .unwrap();
            assert!(r.finish.is_some(), "{model}");
        }
    }

    #[tokio::test]
    async fn conformance() {
        let p = ready(&[]).await;
        let options = yat_core::testkit::Options {
            stop_probe: Some(("five".into(), "five".into())),
            ..Default::default()
        }
        .parallel_tool_model("mock-parallel-tools")
        .usage_details_model("mock-reasoning");
        let report = yat_core::testkit::assert_conformance(&p, &options).await;
        // An in-process stream has no upstream for a cancel probe to watch:
        // that check is not applicable, every other one passes.
        assert!(
            report.checks.iter().all(|c| match c.name {
                "cancel_on_drop" => matches!(c.outcome, yat_core::testkit::Outcome::Skipped(_)),
                _ => c.outcome == yat_core::testkit::Outcome::Passed,
            }),
            "{report}"
        );
    }
}
