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
//! Each check is chosen by the provider's [`Capabilities`](crate::Capabilities):
//! a capability the provider does not claim is reported as skipped, not
//! failed (the opendal behaviour-suite rule). The checks of the 0.2 contract
//! (tools, images, structured output, reasoning, usage details) each send
//! requests built from [`fixtures`], so a fake server can recognise them; a
//! provider whose tool or vision model differs from its text model names it
//! in [`Options`].

mod media;
mod options;
mod reasoning;
mod report;
mod schema;
mod session;
mod structured;
mod text;
mod tools;
mod usage;

pub mod fixtures;

pub use options::Options;
pub use report::{CheckResult, Outcome, Report};

use crate::provider::LlmProvider;
use session::Run;

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
///
/// The first nine hold for every provider (some only when a basic capability
/// is claimed); the last six check the 0.2 contract, each gated by its
/// capability: `tool_round_trip` and `parallel_tool_calls` by
/// [`tools`](crate::Capabilities::tools) (and
/// [`parallel_tools`](crate::Capabilities::parallel_tools)), `image_input` by
/// `images`, `json_schema_output` by `json_schema`, `reasoning_round_trip` by
/// `reasoning`, `usage_details` by `usage_details`.
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
    "tool_round_trip",
    "parallel_tool_calls",
    "image_input",
    "json_schema_output",
    "reasoning_round_trip",
    "usage_details",
];

/// Runs every check and returns the report.
///
/// Panics if [`Options::skip`] names a check that does not exist (a typo
/// there would otherwise silently run the check it meant to skip).
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
    if let Some(unknown) = options.skip.iter().find(|s| !CHECKS.contains(&s.as_str())) {
        panic!(
            "Options::skip names {unknown:?}, which is not a check; the checks are: {}",
            CHECKS.join(", ")
        );
    }
    let mut r = Run::new(provider, options);
    let models = text::list_models(&mut r).await;
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
    r.models = models;
    r.model = model;

    text::checks(&mut r).await;
    tools::tool_round_trip(&mut r).await;
    tools::parallel_tool_calls(&mut r).await;
    media::image_input(&mut r).await;
    structured::json_schema_output(&mut r).await;
    reasoning::reasoning_round_trip(&mut r).await;
    usage::usage_details(&mut r).await;

    debug_assert!(
        r.report
            .checks
            .iter()
            .map(|c| c.name)
            .eq(CHECKS.iter().copied()),
        "checks ran out of CHECKS order: {:?}",
        r.report.checks
    );
    r.report
}
