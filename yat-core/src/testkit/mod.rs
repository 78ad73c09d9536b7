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
//! a capability the provider does not claim is reported as skipped (not
//! applicable, with the reason), not failed (the opendal behaviour-suite
//! rule). Every check has its own named entry in the [`Report`], in the
//! order of [`CHECKS`]. The checks of the 0.2 contract (tools, images,
//! structured output, reasoning, usage details) and `cancel_on_drop` each
//! send requests built from [`fixtures`], so a fake server can recognise
//! them; a provider whose tool or vision model differs from its text model
//! names it in [`Options`].
//!
//! # Scripting the fake server for your wire format
//!
//! An HTTP provider is tested against [`fakeserver`] (the `yat-fakeserver`
//! crate, re-exported here): a script answers each check's request as your
//! API would, recognised by its model and its prompt (the constants of
//! [`fixtures`]), and refuses what your API refuses, so a provider that
//! sends the wrong shape fails. Answer [`fixtures::CANCEL_PROMPT`] with a
//! reply that is still streaming (its first event, then
//! [`Action::Stall`](fakeserver::Action::Stall)) and give the kit
//! [`CancelProbe::fake_server`]: `cancel_on_drop` then passes only if
//! dropping the stream closes the request's connection. Here for a small
//! NDJSON API (the provider itself is hidden; yours is your crate):
//!
//! ```
//! # use futures::StreamExt;
//! # use yat_core::*;
//! # /// A minimal Acme client: one connection per request, NDJSON lines.
//! # struct Acme { addr: std::net::SocketAddr }
//! # type Lines = tokio::io::Lines<tokio::io::BufReader<tokio::net::TcpStream>>;
//! # fn net(e: std::io::Error) -> YatError { YatError::network("acme", e.to_string()) }
//! # impl Acme {
//! #     /// Sends a request; the status, and the body's lines once the head is read.
//! #     async fn send(&self, head: &str, body: &str) -> Result<(u16, Lines), YatError> {
//! #         use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
//! #         let mut sock = tokio::net::TcpStream::connect(self.addr).await.map_err(net)?;
//! #         let req = format!("{head} HTTP/1.1\r\nhost: acme\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}", body.len());
//! #         sock.write_all(req.as_bytes()).await.map_err(net)?;
//! #         let mut lines = tokio::io::BufReader::new(sock).lines();
//! #         let status = lines.next_line().await.map_err(net)?.unwrap_or_default();
//! #         let status = status.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
//! #         while lines.next_line().await.map_err(net)?.is_some_and(|l| !l.is_empty()) {}
//! #         Ok((status, lines))
//! #     }
//! # }
//! # fn decode(line: &str) -> Vec<Result<ChatEvent, YatError>> {
//! #     let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
//! #     if let Some(text) = v["text"].as_str() {
//! #         return vec![Ok(ChatEvent::Delta { text: text.into() })];
//! #     }
//! #     let raw = v["done"].as_str().unwrap_or_default();
//! #     let reason = if raw == "length" { FinishReason::Length } else { FinishReason::Stop };
//! #     let usage = Usage::new(v["in"].as_u64().unwrap_or(0), v["out"].as_u64().unwrap_or(0));
//! #     vec![Ok(ChatEvent::Usage(usage)), Ok(ChatEvent::Finish(Finish::new(reason, raw)))]
//! # }
//! # #[async_trait]
//! # impl LlmProvider for Acme {
//! #     async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
//! #     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
//! #         let (_, mut lines) = self.send("GET /models", "").await?;
//! #         let body = lines.next_line().await.map_err(net)?.unwrap_or_default();
//! #         let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
//! #         Ok(v["models"].as_array().into_iter().flatten().filter_map(|m| m.as_str()).map(|m| ModelInfo::new("acme", m)).collect())
//! #     }
//! #     async fn stream_chat(&self, r: &ChatRequest) -> Result<ChatStream, YatError> {
//! #         let prompt = r.messages.last().map(|m| m.text()).unwrap_or_default();
//! #         let body = serde_json::json!({"model": r.model, "prompt": prompt, "max_tokens": r.max_tokens});
//! #         let (status, mut lines) = self.send("POST /chat", &body.to_string()).await?;
//! #         if status != 200 {
//! #             let why = lines.next_line().await.map_err(net)?.unwrap_or_default();
//! #             let f = Failure::new("acme", why);
//! #             return Err(if status == 404 { YatError::ModelNotFound(f) } else { YatError::InvalidRequest(f) });
//! #         }
//! #         let lines = futures::stream::unfold(lines, |mut l| async move { l.next_line().await.transpose().map(|r| (r, l)) });
//! #         Ok(Box::pin(lines.flat_map(|line| futures::stream::iter(match line {
//! #             Ok(line) => decode(&line),
//! #             Err(e) => vec![Err(net(e))],
//! #         }))))
//! #     }
//! # }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use serde_json::json;
//! use yat_core::testkit::fakeserver::{Action, FakeServer, RecordedRequest, Response, Route, Transfer};
//! use yat_core::testkit::{assert_conformance, fixtures, CancelProbe, Options, Outcome};
//!
//! /// Acme's chat endpoint as the real one answers: NDJSON lines
//! /// `{"text": ...}` then `{"done": reason, "in": n, "out": n}`, the body
//! /// ending when the connection closes.
//! fn acme_chat(req: &RecordedRequest) -> Response {
//!     let body = req.json();
//!     if body["model"] != "acme-1" {
//!         return Response::json(404, r#"{"error":"unknown model"}"#);
//!     }
//!     let Some(prompt) = body["prompt"].as_str() else {
//!         return Response::json(400, r#"{"error":"prompt must be a string"}"#);
//!     };
//!     let ndjson = |lines: &[serde_json::Value]| {
//!         let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
//!         Response::new(200)
//!             .header("content-type", "application/x-ndjson")
//!             .body(text)
//!             .transfer(Transfer::CloseDelimited)
//!     };
//!     if prompt == fixtures::CANCEL_PROMPT {
//!         // Still streaming when the kit drops it.
//!         return ndjson(&[json!({"text": "One,"})]).then(Action::Stall);
//!     }
//!     if body["max_tokens"] == 1 {
//!         return ndjson(&[json!({"text": "Hello"}), json!({"done": "length", "in": 6, "out": 1})]);
//!     }
//!     ndjson(&[
//!         json!({"text": "Hello"}),
//!         json!({"text": " there!"}),
//!         json!({"done": "stop", "in": 6, "out": 2}),
//!     ])
//! }
//!
//! let server = FakeServer::start(vec![
//!     Route::new("GET", "/models").respond(Response::json(200, r#"{"models":["acme-1"]}"#)),
//!     Route::new("POST", "/chat").handle(acme_chat),
//! ])
//! .await
//! .unwrap();
//! let provider = Acme { addr: server.addr() }; // in your test: base_url = server.url()
//! let options = Options::default().cancel_probe(CancelProbe::fake_server(&server));
//! let report = assert_conformance(&provider, &options).await;
//! assert_eq!(report.outcome("cancel_on_drop"), Some(&Outcome::Passed));
//! # }
//! ```

mod cancel;
mod collect;
mod media;
mod options;
mod probe;
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
pub use probe::CancelProbe;
pub use report::{CheckResult, Outcome, Report};
/// The scripted fake server (the `yat-fakeserver` crate), for a provider's
/// conformance script: see [the module docs](self).
pub use yat_fakeserver as fakeserver;

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
/// is claimed; `cancel_on_drop` only when [`Options::cancel_probe`] can see
/// the dropped request's upstream go away); the last six check the 0.2 contract, each gated by its
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

/// The last six [`CHECKS`], those of the 0.2 contract, each run only when
/// its capability is claimed: a text-only provider sees exactly these
/// skipped.
///
/// ```
/// use yat_core::testkit::{CHECKS, CONTRACT_CHECKS};
/// assert_eq!(CONTRACT_CHECKS[0], "tool_round_trip");
/// assert!(CHECKS.ends_with(CONTRACT_CHECKS));
/// ```
pub const CONTRACT_CHECKS: &[&str] = CHECKS.split_at(9).1;

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

    text::streams(&mut r).await;
    collect::collect_matches_stream(&mut r).await;
    text::limits(&mut r).await;
    cancel::cancel_on_drop(&mut r).await;
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
