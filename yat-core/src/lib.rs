//! # yat-core
//!
//! The contract between yat and its providers. A provider is an ordinary
//! crate that implements [`LlmProvider`] and registers itself with
//! [`register_provider!`]; whatever provider crates a program links are the
//! providers it has, discovered at start-up by [`registry::discover`] and run
//! by a [`ProviderManager`].
//!
//! Three steps, as with any link-time plugin system:
//!
//! 1. **Declare** a type and implement [`LlmProvider`]'s three duties:
//!    `initialize`, `list_models`, `stream_chat`.
//! 2. **Register** it: `register_provider! { id: "acme", name: "Acme", constructor: || Ok(Box::new(Acme::default())) }`.
//! 3. **Iterate**: `ProviderManager::builder().build().await?` builds every
//!    linked provider from its settings and reports each one's status.
//!
//! This crate has no HTTP client and no provider code; those live in
//! `yat-providers`. Its semver is the plugin API's version: a provider built
//! against yat-core 0.2.x works with every 0.2.y host.
//!
//! Features:
//! - `testkit`: the conformance suite ([`testkit`]) any provider crate runs against itself.
//! - `linkme`: collect registrations with `linkme` instead of `inventory`.
//! - `schemars`: JSON Schemas derived from Rust types, for typed tools
//!   (`Toolbox::typed`) and structured replies (`structured::structured`).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod assemble;
pub mod capabilities;
pub mod config;
pub mod error;
pub mod manager;
pub mod options;
pub mod origin;
pub mod paths;
pub mod preferences;
pub mod provider;
pub mod registry;
pub mod retry;
pub mod routing;
pub mod secret;
mod setters;
pub mod settings;
pub mod status;
pub mod stream;
pub mod structured;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
pub mod tools;
pub mod types;
pub mod watch;

pub use async_trait::async_trait;
pub use config::{ConfigLocation, ProviderConfig};
pub use error::{Failure, TimeoutPhase, YatError};
pub use manager::{ProviderDef, ProviderInfo, ProviderManager, ProviderStatus};
pub use origin::{Health, ProcessOrigin, ProviderKind};
pub use provider::{Capabilities, Constructor, LlmProvider, ProviderRegistration};
pub use retry::RetryPolicy;
/// The schemars crate this one derives schemas with (the `schemars`
/// feature), for `#[derive(JsonSchema)]` without a dependency of your own:
/// `#[schemars(crate = "yat_core::schemars")]`.
#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
pub use schemars;
pub use secret::Secret;
pub use settings::{ResolvedSettings, SettingKind, SettingSpec};
pub use status::Remedy;
pub use stream::{ChatStream, ChatStreamExt};
pub use tools::{run_tools, ToolLoopEvent, ToolOutcome, ToolRun, Toolbox};
pub use types::{
    ChatEvent, ChatRequest, ChatResponse, Content, Finish, FinishReason, JsonSchema, Media,
    MediaSource, Message, ModelCapabilities, ModelInfo, ModelRef, Part, Reasoning, ReasoningConfig,
    ReasoningEffort, ResponseBuilder, ResponseFormat, Role, ToolCall, ToolChoice, ToolOutput,
    ToolPart, ToolResult, ToolSpec, Usage,
};

/// The version of this yat-core: the plugin API's version. A program links
/// one yat-core per semver-incompatible version, each with its own registry,
/// so every provider a program discovers was built against this one.
pub const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[doc(hidden)]
pub mod __private {
    /// The optional fields of `register_provider!`, by name: a misspelt
    /// one fails to resolve here, pointing at the caller's code.
    #[allow(non_upper_case_globals)]
    pub mod optional_fields {
        pub const settings: () = ();
        pub const description: () = ();
    }
    pub use inventory;
    #[cfg(feature = "linkme")]
    pub use linkme;
}
