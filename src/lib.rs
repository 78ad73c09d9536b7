//! # yat
//!
//! Talk to every LLM provider through one async trait.
//!
//! A provider is an ordinary crate that implements [`LlmProvider`] and
//! registers itself with [`register_provider!`]; cargo features choose which
//! bundled providers are compiled in, and a [`ProviderManager`] discovers,
//! configures and runs every provider the program links. This crate is the
//! facade: it re-exports [`yat_core`] (the trait, the manager, the types, the
//! errors) and links the providers you pick, so a program needs one line:
//!
//! ```sh
//! cargo add yat --features openai,anthropic
//! ```
//!
//! Then, in three steps — build the manager, pick a model, stream:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat::YatError> {
//! use yat::{ChatRequest, ChatStreamExt, Message, ModelRef};
//!
//! // Every linked provider, configured from the environment, `.env` and
//! // provider_config.json; each one ready, disabled, needing a key, or failed.
//! let manager = yat::manager().await?;
//!
//! // PROVIDER/MODEL, as everywhere in yat.
//! let target: ModelRef = "mock/mock-echo".parse()?;
//!
//! let reply = manager
//!     .chat(&target, ChatRequest::new("", vec![Message::user("Hello")]))
//!     .await?
//!     .collect_response()
//!     .await?;
//! assert_eq!(reply.text(), "Hello");
//! # Ok(()) }
//! ```
//!
//! Streaming token by token, fanning out to several providers, and defining a
//! provider inside your own program are in the repository's `examples/`
//! (`chat.rs`, `fan_out.rs`, `custom_provider.rs`). Writing a provider crate
//! of your own is `docs/PLUGINS.md`.
//!
//! ## Cargo features
//!
//! Each bundled provider is a feature named after its id. Only the providers
//! whose features are on are compiled and linked; the HTTP stack comes in only
//! with the first HTTP provider.
//!
//! | feature | what it adds |
//! |---|---|
//! | `mock` *(default)* | the offline provider: deterministic echo and canned replies, injectable failures; no key, no network |
//! | `openai` | OpenAI (Chat Completions); also user-defined OpenAI-compatible endpoints declared in `provider_config.json` |
//! | `deepseek` | DeepSeek (OpenAI-compatible preset) |
//! | `groq` | Groq (OpenAI-compatible preset) |
//! | `mistral` | Mistral (OpenAI-compatible preset) |
//! | `openrouter` | OpenRouter (OpenAI-compatible preset) |
//! | `together` | Together AI (OpenAI-compatible preset) |
//! | `xai` | xAI (OpenAI-compatible preset) |
//! | `fireworks` | Fireworks AI (OpenAI-compatible preset) |
//! | `ollama` | Ollama on `localhost:11434` (OpenAI-compatible preset, no key) |
//! | `lmstudio` | LM Studio on `localhost:1234` (OpenAI-compatible preset, no key) |
//! | `vllm` | vLLM on `localhost:8000` (OpenAI-compatible preset, no key) |
//! | `llamacpp` | llama.cpp server on `localhost:8080` (OpenAI-compatible preset, no key) |
//! | `anthropic` | Anthropic (Messages API) |
//! | `gemini` | Google Gemini (`streamGenerateContent` over SSE) |
//! | `google` | the Gemini provider again under the original app's id `google` (reads `GOOGLE_API_KEY` first) |
//! | `cohere` | Cohere (Chat API v2) |
//! | `all` | every bundled provider |
//! | `testkit` | `yat::testkit`: the conformance suite, for provider authors' tests |
//! | `linkme` | collect registrations with `linkme` distributed slices instead of `inventory` (no code runs before `main`); provider code does not change |
//! | `history` | `yat::store`: conversation history in SQLite (compiles SQLite in) |
//! | `serve` | `yat::serve`: the OpenAI- and Anthropic-compatible gateway (`yat serve`) |
//! | `mcp` | `yat::mcp`: tools from Model Context Protocol servers for the tool loop |
//! | `process-plugins` | `yat::process`: providers that run as separate programs (`yat-provider-<id>`) |
//! | `http` | `yat::http`: the HTTP kit (`yat-http`) for a provider defined in your own program; a provider crate depends on `yat-http` itself |
//! | `schema` | JSON Schemas derived from Rust types (schemars): typed tools (`Toolbox::typed`) and `structured::structured::<T>` |
//! | `full` | every feature above but `linkme`: what the test command (`cargo test --workspace --features full`) builds |
//!
//! `cargo add yat --no-default-features --features openai` leaves the mock
//! out. The ids compiled into a build are [`providers::enabled_providers`].
//!
//! ## Linking
//!
//! Providers register at link time, and Rust links only the crates a program
//! names. This crate names `yat-providers` for you; a provider crate from
//! elsewhere must be named once by the program (`use yat_provider_acme as _;`
//! or its `link` function), or it is silently left out.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use yat_core::*;

/// The bundled providers (one module per enabled feature).
///
/// ```
/// // The ids the enabled features compiled in, sorted.
/// let ids = yat::providers::enabled_providers();
/// assert!(ids.contains(&"mock"));
/// ```
pub use yat_providers as providers;

/// The HTTP kit for providers (the `http` feature): the `yat-http` crate,
/// for a program that defines an HTTP provider of its own with `yat` as its
/// only dependency.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use yat_http as http;

/// Conversation history in SQLite (the `history` feature).
#[cfg(feature = "history")]
#[cfg_attr(docsrs, doc(cfg(feature = "history")))]
pub use yat_store as store;

/// The OpenAI- and Anthropic-compatible gateway (the `serve` feature).
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub use yat_serve as serve;

/// Tools from MCP servers for the tool loop (the `mcp` feature).
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub use yat_mcp as mcp;

/// Providers that run as separate programs (the `process-plugins` feature).
#[cfg(feature = "process-plugins")]
#[cfg_attr(docsrs, doc(cfg(feature = "process-plugins")))]
pub use yat_process as process;

/// Builds a [`ProviderManager`] the way the `yat` CLI does: configuration
/// from `$YAT_CONFIG`, `./provider_config.json` or the platform config dir,
/// `.env` files, the process environment, every linked provider, every
/// user-defined endpoint declared in the configuration and, with the
/// `process-plugins` feature, every process plugin found (see
/// `yat::process::discovery`).
///
/// Fails only when a configuration file exists but cannot be read or parsed;
/// a provider that cannot start is reported in its status instead.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat::YatError> {
/// let manager = yat::manager().await?;
/// for info in manager.statuses() {
///     let why = info.status.reason().unwrap_or_default();
///     println!("{:<12} {:<20} {why}", info.id, info.status.label());
/// }
/// # Ok(()) }
/// ```
pub async fn manager() -> Result<ProviderManager, YatError> {
    manager_with_config(None).await
}

/// Like [`manager()`], with an explicit `provider_config.json` path (the
/// CLI's `--config`). `.env` files are read from the working directory and
/// from that file's directory.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat::YatError> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("provider_config.json");
/// std::fs::write(&path, r#"{"providers": [{"id": "mock", "enabled": false}]}"#).unwrap();
///
/// let manager = yat::manager_with_config(Some(&path)).await?;
/// assert_eq!(manager.info("mock")?.status, yat::ProviderStatus::Disabled);
/// # Ok(()) }
/// ```
pub async fn manager_with_config(
    config: Option<&std::path::Path>,
) -> Result<ProviderManager, YatError> {
    let location = ConfigLocation::discover(config);
    let builder = yat_providers::link(ProviderManager::builder().location(location.clone()));
    // Process plugins (`yat-provider-<id>` on PATH, in the config dir's
    // `plugins/`, or declared in the configuration), beside the linked ones.
    #[cfg(feature = "process-plugins")]
    let builder = yat_process::link(builder, Some(&location));
    builder.build().await
}

// The README's Rust blocks are compiled and run as doctests too, so its
// examples stay true.
#[cfg(all(doctest, feature = "mock"))]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

// The plugin guide's Rust blocks are compiled and run as doctests of this
// crate, so the code a provider author copies from it builds.
#[cfg(all(doctest, feature = "testkit", feature = "mock"))]
#[doc = include_str!("../docs/PLUGINS.md")]
struct PluginsGuide;
