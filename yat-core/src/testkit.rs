//! The conformance suite: the same checks against any [`LlmProvider`].
//!
//! A provider crate adds one test that points its provider at a fake server
//! (or at nothing, for offline providers) and runs the whole suite:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # use yat_core::*;
//! # struct P;
//! # #[async_trait] impl LlmProvider for P {
//! #   async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
//! #   async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("p", "m")]) }
//! #   async fn stream_chat(&self, r: &ChatRequest) -> Result<ChatStream, YatError> {
//! #     if r.model != "m" { return Err(YatError::ModelNotFound(Failure::new("p", "no such model"))) }
//! #     let n = r.max_tokens.unwrap_or(3).min(3) as usize;
//! #     let mut ev: Vec<Result<ChatEvent, YatError>> = ["a", "b", "c"][..n].iter().map(|t| Ok(ChatEvent::Delta { text: t.to_string() })).collect();
//! #     ev.push(Ok(ChatEvent::Usage(Usage::new(1, n as u64))));
//! #     ev.push(Ok(ChatEvent::Finish(Finish::new(if n < 3 { FinishReason::Length } else { FinishReason::Stop }, "x"))));
//! #     Ok(Box::pin(futures::stream::iter(ev)))
//! #   }
//! # }
//! # let my_provider = P;
//! use yat_core::testkit::{assert_conformance, Options};
//! assert_conformance(&my_provider, &Options::default()).await;
//! # }
//! ```
//!
//! Each check is chosen by the provider's [`Capabilities`]: a capability the
//! provider does not claim is reported as skipped, not failed (the opendal
//! behaviour-suite rule).

use std::fmt;
use std::time::Duration;

use futures::StreamExt;

use crate::provider::{Capabilities, LlmProvider};
use crate::types::{ChatEvent, ChatRequest, FinishReason, Message, ModelInfo, Usage};
use crate::YatError;

/// How to run the suite.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use yat_core::testkit::{assert_conformance, Options};
///
/// let options = Options {
///     timeout: Duration::from_secs(5),
///     ..Options::default().model("e")
/// };
/// assert_conformance(&Echo, &options).await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// The model to chat with; default: the first streaming model listed.
    pub model: Option<String>,
    /// The prompt for the chat checks.
    pub prompt: String,
    /// A model id the provider certainly does not have.
    pub unknown_model: String,
    /// The longest any single call may take before it counts as a hang.
    pub timeout: Duration,
    /// `(stop sequence, text that must not appear)`: enables the stop check
    /// for providers claiming stop sequences (the reply to `prompt` must
    /// contain the stop sequence without it).
    pub stop_probe: Option<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            model: None,
            prompt: "Say hello in five words.".into(),
            unknown_model: "yat-conformance-no-such-model".into(),
            timeout: Duration::from_secs(10),
            stop_probe: None,
        }
    }
}

impl Options {
    /// Uses this model for the chat checks.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

/// The outcome of one check.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_core::testkit::{run, Options, Outcome};
/// let report = run(&Echo, &Options::default()).await;
/// // Echo claims no optional capability: those checks are skipped, not failed.
/// assert_eq!(report.outcome("list_models"), Some(&Outcome::Passed));
/// assert!(matches!(report.outcome("max_tokens"), Some(Outcome::Skipped(_))));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It held.
    Passed,
    /// Not applicable: the capability is not claimed.
    Skipped(String),
    /// It did not hold, and why.
    Failed(String),
}

/// One check's name and outcome.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_core::testkit::{run, Options, CHECKS};
/// let report = run(&Echo, &Options::default()).await;
/// let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
/// assert_eq!(names, CHECKS);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// Every check's outcome.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_core::testkit::{run, Options};
/// let report = run(&Echo, &Options::default()).await;
/// assert!(report.passed() && report.failures().is_empty());
/// println!("{report}"); // one line per check: ok / skipped (why) / FAILED: why
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In the order they ran.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> Vec<&CheckResult> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .collect()
    }
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }
    /// The outcome of the check called `name`.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.outcome)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Outcome::Passed => writeln!(f, "  ok      {}", c.name)?,
                Outcome::Skipped(why) => writeln!(f, "  skipped {} ({why})", c.name)?,
                Outcome::Failed(why) => writeln!(f, "  FAILED  {}: {why}", c.name)?,
            }
        }
        Ok(())
    }
}

/// Runs the suite and panics with the report if any check failed.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // In a provider crate's tests/conformance.rs, under #[tokio::test]:
/// yat_core::testkit::assert_conformance(&Echo, &Default::default()).await;
/// # }
/// ```
pub async fn assert_conformance(provider: &dyn LlmProvider, options: &Options) -> Report {
    let report = run(provider, options).await;
    assert!(report.passed(), "conformance failed:\n{report}");
    report
}

/// The names of every check, in order.
pub const CHECKS: &[&str] = &[
    "list_models",
    "stream_text",
    "stream_ends_with_finish",
    "usage",
    "collect_matches_stream",
    "max_tokens",
    "stop_sequences",
    "unknown_model_is_typed_error",
    "cancel_on_drop",
];

struct Run<'a> {
    p: &'a dyn LlmProvider,
    o: &'a Options,
    caps: Capabilities,
    report: Report,
}

/// Collected events of one chat, or the error that ended it.
struct Transcript {
    events: Vec<ChatEvent>,
    error: Option<YatError>,
}

impl Transcript {
    fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
    fn usage(&self) -> Option<Usage> {
        self.events.iter().rev().find_map(|e| match e {
            ChatEvent::Usage(u) => Some(*u),
            _ => None,
        })
    }
    fn finish_reason(&self) -> Option<FinishReason> {
        match self.events.last() {
            Some(ChatEvent::Finish(f)) => Some(f.reason),
            _ => None,
        }
    }
}

impl Run<'_> {
    fn record(&mut self, name: &'static str, outcome: Outcome) {
        self.report.checks.push(CheckResult { name, outcome });
    }

    fn request(&self, model: &str) -> ChatRequest {
        ChatRequest::new(model, vec![Message::user(self.o.prompt.clone())])
    }

    async fn chat(&self, req: &ChatRequest) -> Result<Transcript, String> {
        let work = async {
            let mut s = match self.p.stream_chat(req).await {
                Ok(s) => s,
                Err(e) => {
                    return Transcript {
                        events: vec![],
                        error: Some(e),
                    }
                }
            };
            let mut events = Vec::new();
            while let Some(item) = s.next().await {
                match item {
                    Ok(ev) => events.push(ev),
                    Err(e) => {
                        return Transcript {
                            events,
                            error: Some(e),
                        }
                    }
                }
            }
            Transcript {
                events,
                error: None,
            }
        };
        tokio::time::timeout(self.o.timeout, work)
            .await
            .map_err(|_| format!("no end within {:?}: the stream hangs", self.o.timeout))
    }
}

/// Runs every check and returns the report.
///
/// ```
/// # use yat_core::*;
/// # struct Echo;
/// # #[async_trait]
/// # impl LlmProvider for Echo {
/// #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![ModelInfo::new("echo", "e")]) }
/// #     async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
/// #         Ok(stream::from_text("echo", vec!["hi".into()]))
/// #     }
/// #     fn capabilities(&self) -> Capabilities { Capabilities::none() }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let report = yat_core::testkit::run(&Echo, &Default::default()).await;
/// for failed in report.failures() {
///     eprintln!("{}: {:?}", failed.name, failed.outcome);
/// }
/// # }
/// ```
pub async fn run(provider: &dyn LlmProvider, options: &Options) -> Report {
    let mut r = Run {
        p: provider,
        o: options,
        caps: provider.capabilities(),
        report: Report::default(),
    };

    // list_models
    let models = tokio::time::timeout(options.timeout, provider.list_models()).await;
    let models: Vec<ModelInfo> = match models {
        Err(_) => {
            r.record("list_models", Outcome::Failed("hangs".into()));
            vec![]
        }
        Ok(Err(e)) => {
            r.record("list_models", Outcome::Failed(format!("error: {e}")));
            vec![]
        }
        Ok(Ok(m)) => {
            let mut ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
            ids.sort_unstable();
            let before = ids.len();
            ids.dedup();
            if m.is_empty() {
                r.record("list_models", Outcome::Failed("no models".into()));
            } else if ids.len() != before {
                r.record("list_models", Outcome::Failed("duplicate model ids".into()));
            } else if let Some(bad) = m.iter().find(|m| m.id.is_empty() || m.provider.is_empty()) {
                r.record(
                    "list_models",
                    Outcome::Failed(format!("model with an empty id or provider: {bad:?}")),
                );
            } else {
                r.record("list_models", Outcome::Passed);
            }
            m
        }
    };

    let model = options.model.clone().or_else(|| {
        models
            .iter()
            .find(|m| m.supports_streaming)
            .map(|m| m.id.clone())
    });
    let Some(model) = model else {
        for name in &CHECKS[1..] {
            r.record(name, Outcome::Failed("no model to chat with".into()));
        }
        return r.report;
    };

    // stream_text / stream_ends_with_finish / usage
    let req = r.request(&model);
    match r.chat(&req).await {
        Err(hang) => {
            r.record("stream_text", Outcome::Failed(hang.clone()));
            r.record("stream_ends_with_finish", Outcome::Failed(hang.clone()));
            r.record("usage", Outcome::Failed(hang));
        }
        Ok(t) => {
            if let Some(e) = &t.error {
                let msg = format!("stream failed: {e}");
                r.record("stream_text", Outcome::Failed(msg.clone()));
                r.record("stream_ends_with_finish", Outcome::Failed(msg.clone()));
                r.record("usage", Outcome::Failed(msg));
            } else {
                if t.text().is_empty() {
                    r.record("stream_text", Outcome::Failed("no text".into()));
                } else {
                    r.record("stream_text", Outcome::Passed);
                }
                let finishes = t
                    .events
                    .iter()
                    .filter(|e| matches!(e, ChatEvent::Finish(_)))
                    .count();
                if finishes == 1 && t.finish_reason().is_some() {
                    r.record("stream_ends_with_finish", Outcome::Passed);
                } else {
                    r.record(
                        "stream_ends_with_finish",
                        Outcome::Failed(format!(
                            "{finishes} finish events; last event {:?}",
                            t.events.last()
                        )),
                    );
                }
                if !r.caps.usage {
                    r.record("usage", Outcome::Skipped("usage not claimed".into()));
                } else {
                    match t.usage() {
                        None => r.record("usage", Outcome::Failed("no usage event".into())),
                        Some(u) if u.input_tokens == 0 => r.record(
                            "usage",
                            Outcome::Failed(format!("zero input tokens: {u:?}")),
                        ),
                        Some(u) if u.output_tokens == 0 => r.record(
                            "usage",
                            Outcome::Failed(format!("text arrived but zero output tokens: {u:?}")),
                        ),
                        Some(_) => r.record("usage", Outcome::Passed),
                    }
                }
            }
        }
    }

    // collect_matches_stream: the collector and the raw stream agree.
    let collected = tokio::time::timeout(options.timeout, async {
        let s = provider.stream_chat(&req).await?;
        let mut s = s;
        let mut text = String::new();
        let mut events = Vec::new();
        while let Some(ev) = s.next().await {
            let ev = ev?;
            if let ChatEvent::Delta { text: t } = &ev {
                text.push_str(t);
            }
            events.push(Ok(ev));
        }
        let resp = crate::stream::collect(futures::stream::iter(events)).await?;
        Ok::<_, YatError>((text, resp))
    })
    .await;
    match collected {
        Err(_) => r.record("collect_matches_stream", Outcome::Failed("hangs".into())),
        Ok(Err(e)) => r.record("collect_matches_stream", Outcome::Failed(e.to_string())),
        Ok(Ok((text, resp))) if text == resp.text() && resp.finish.is_some() => {
            r.record("collect_matches_stream", Outcome::Passed)
        }
        Ok(Ok((text, resp))) => r.record(
            "collect_matches_stream",
            Outcome::Failed(format!("stream text {text:?} vs collected {resp:?}")),
        ),
    }

    // max_tokens
    if !r.caps.max_tokens {
        r.record(
            "max_tokens",
            Outcome::Skipped("max_tokens not claimed".into()),
        );
    } else {
        let req = r.request(&model).max_tokens(1);
        match r.chat(&req).await {
            Err(h) => r.record("max_tokens", Outcome::Failed(h)),
            Ok(Transcript { error: Some(e), .. }) => {
                r.record("max_tokens", Outcome::Failed(format!("error: {e}")))
            }
            Ok(t) => {
                let reason = t.finish_reason();
                let out = t.usage().map(|u| u.output_tokens);
                if reason == Some(FinishReason::Length) || out.is_some_and(|n| n <= 1) {
                    r.record("max_tokens", Outcome::Passed)
                } else {
                    r.record(
                        "max_tokens",
                        Outcome::Failed(format!(
                            "max_tokens=1 gave finish {reason:?}, output tokens {out:?}"
                        )),
                    )
                }
            }
        }
    }

    // stop_sequences
    match (&options.stop_probe, r.caps.stop_sequences) {
        (_, false) => r.record("stop_sequences", Outcome::Skipped("not claimed".into())),
        (None, true) => r.record(
            "stop_sequences",
            Outcome::Skipped("no Options::stop_probe given".into()),
        ),
        (Some((stop, must_not_appear)), true) => {
            let req = r.request(&model).stop(stop.clone());
            match r.chat(&req).await {
                Err(h) => r.record("stop_sequences", Outcome::Failed(h)),
                Ok(Transcript { error: Some(e), .. }) => {
                    r.record("stop_sequences", Outcome::Failed(e.to_string()))
                }
                Ok(t) if t.text().contains(must_not_appear.as_str()) => r.record(
                    "stop_sequences",
                    Outcome::Failed(format!("{must_not_appear:?} appears in {:?}", t.text())),
                ),
                Ok(_) => r.record("stop_sequences", Outcome::Passed),
            }
        }
    }

    // unknown_model_is_typed_error
    if !r.caps.rejects_unknown_models {
        r.record(
            "unknown_model_is_typed_error",
            Outcome::Skipped("provider accepts any model id".into()),
        );
    } else {
        let req = r.request(&options.unknown_model);
        match r.chat(&req).await {
            Err(h) => r.record("unknown_model_is_typed_error", Outcome::Failed(h)),
            Ok(Transcript { error: None, .. }) => r.record(
                "unknown_model_is_typed_error",
                Outcome::Failed("an unknown model streamed a reply".into()),
            ),
            Ok(Transcript { error: Some(e), .. }) => match e {
                YatError::ModelNotFound(_) | YatError::InvalidRequest(_) if e.provider().is_some_and(|p| !p.is_empty()) => {
                    r.record("unknown_model_is_typed_error", Outcome::Passed)
                }
                other => r.record(
                    "unknown_model_is_typed_error",
                    Outcome::Failed(format!(
                        "expected ModelNotFound or InvalidRequest naming the provider, got {} ({other})",
                        other.kind()
                    )),
                ),
            },
        }
    }

    // cancel_on_drop: take one event, drop the stream, then the provider must
    // still serve a full chat promptly.
    let cancel = tokio::time::timeout(options.timeout, async {
        let mut s = provider.stream_chat(&req).await?;
        let _first = s.next().await;
        drop(s);
        let s = provider.stream_chat(&req).await?;
        crate::stream::collect(s).await
    })
    .await;
    match cancel {
        Err(_) => r.record(
            "cancel_on_drop",
            Outcome::Failed("after dropping a stream the provider hangs".into()),
        ),
        Ok(Err(e)) => r.record(
            "cancel_on_drop",
            Outcome::Failed(format!("after dropping a stream: {e}")),
        ),
        Ok(Ok(resp)) if resp.finish.is_some() => r.record("cancel_on_drop", Outcome::Passed),
        Ok(Ok(_)) => r.record(
            "cancel_on_drop",
            Outcome::Failed("the chat after a dropped stream did not finish".into()),
        ),
    }

    r.report
}
