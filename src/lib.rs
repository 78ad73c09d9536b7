//! # yat
//!
//! Talk to every LLM provider through one async trait.
//!
//! This is the facade: it re-exports [`yat_core`] (the trait, the manager,
//! the types) and links the providers chosen with cargo features, so a
//! program needs only
//!
//! ```toml
//! [dependencies]
//! yat = { version = "0.1", features = ["openai", "anthropic"] }
//! ```
//!
//! and then:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat::YatError> {
//! use yat::{ChatRequest, ChatStreamExt, Message, ModelRef};
//!
//! let manager = yat::manager().await?;
//! let target: ModelRef = "mock/mock-echo".parse()?;
//! let reply = manager
//!     .chat(&target, ChatRequest::new("", vec![Message::user("Hello")]))
//!     .await?
//!     .collect_response()
//!     .await?;
//! assert_eq!(reply.text, "Hello");
//! # Ok(()) }
//! ```
//!
//! Every provider is a cargo feature named after its id; `mock` is on by
//! default and needs no key and no network.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use yat_core::*;

/// The bundled providers (one module per enabled feature).
pub use yat_providers as providers;

/// Builds a [`ProviderManager`] the way the `yat` CLI does: configuration
/// from `$YAT_CONFIG`, `./provider_config.json` or the platform config dir,
/// `.env` files, the process environment, every linked provider and every
/// user-defined endpoint declared in the configuration.
pub async fn manager() -> Result<ProviderManager, YatError> {
    manager_with_config(None).await
}

/// Like [`manager`], with an explicit `provider_config.json` path (the
/// CLI's `--config`).
pub async fn manager_with_config(
    config: Option<&std::path::Path>,
) -> Result<ProviderManager, YatError> {
    let builder = ProviderManager::builder().location(ConfigLocation::discover(config));
    yat_providers::link(builder).build().await
}
