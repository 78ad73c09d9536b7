//! The plugin side: any [`LlmProvider`] served over stdin and stdout as a
//! process plugin.
//!
//! [`serve`] reads the host's messages, answers `hello` from the
//! [`PluginMeta`], runs each chat as its own task (so chats run at once and
//! a cancel stops one by dropping its stream), sends every message through
//! one writer task, and returns on `shutdown` or at the end of stdin. A
//! panic in the provider fails only the request it happened in, as an
//! `internal` error.
//!
//! A whole plugin program, serving a provider linked into it:
//!
//! ```no_run
//! # async fn main_() -> Result<(), yat_process::plugin::PluginError> {
//! // In `yat-provider-acme`'s main, with the crate that registers `acme` linked:
//! yat_process::plugin::serve_id("acme").await
//! # }
//! ```

mod chat;
mod session;
mod writer;

use yat_core::{Constructor, LlmProvider, ProviderRegistration, SettingSpec, YatError};

use crate::protocol::{CodecError, PluginHello, SettingDecl, PROTOCOL_VERSION};

pub use session::serve_io;

/// What a plugin says about itself in its `hello`.
///
/// ```
/// use yat_core::SettingSpec;
/// use yat_process::plugin::PluginMeta;
/// const SETTINGS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"])];
/// let meta = PluginMeta::new("acme", "Acme AI").description("Acme's models").version("1.2.0").settings(SETTINGS);
/// assert_eq!(meta.id, "acme");
/// assert_eq!(meta.settings[0].key, "api_key");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PluginMeta {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// The plugin's version.
    pub version: String,
    /// The settings the provider reads.
    pub settings: Vec<SettingDecl>,
    /// Builds a fresh instance when the host sends `initialize` again, so a
    /// re-initialization starts clean even while chats run. Without one the
    /// instance is re-initialized in place when no request holds it.
    pub constructor: Option<Constructor>,
}

impl PluginMeta {
    /// A provider id and display name; nothing else.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        PluginMeta {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            version: String::new(),
            settings: Vec::new(),
            constructor: None,
        }
    }
    /// Everything a registration says: id, name, description, settings,
    /// the registering crate's version, and its constructor.
    pub fn from_registration(reg: &ProviderRegistration) -> Self {
        PluginMeta {
            description: reg.description().to_owned(),
            version: reg.crate_version().to_owned(),
            settings: reg.settings().iter().map(SettingDecl::from).collect(),
            constructor: Some(reg.constructor()),
            ..PluginMeta::new(reg.id(), reg.name())
        }
    }
    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    /// Sets the version.
    pub fn version(mut self, v: impl Into<String>) -> Self {
        self.version = v.into();
        self
    }
    /// Sets the settings.
    pub fn settings(mut self, specs: &[SettingSpec]) -> Self {
        self.settings = specs.iter().map(SettingDecl::from).collect();
        self
    }

    fn hello(&self, capabilities: Option<yat_core::Capabilities>) -> PluginHello {
        let mut h = PluginHello::new(self.id.clone(), self.name.clone());
        h.protocol = PROTOCOL_VERSION;
        h.description = self.description.clone();
        h.version = self.version.clone();
        h.settings = self.settings.clone();
        h.capabilities = capabilities.map(Into::into);
        h
    }
}

/// Why a plugin stopped serving other than by `shutdown` or end of input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The host offered no protocol version this plugin speaks; it was told
    /// so before the plugin stopped.
    #[error(
        "the host offers protocol versions {offered:?}; this plugin speaks {PROTOCOL_VERSION}"
    )]
    UnsupportedProtocol {
        /// What the host offered.
        offered: Vec<u32>,
    },
    /// The provider could not be built.
    #[error(transparent)]
    Provider(#[from] YatError),
    /// Reading stdin or writing stdout failed.
    #[error(transparent)]
    Io(#[from] CodecError),
}

/// Serves `provider` on stdin and stdout until `shutdown` or the end of
/// stdin. See [`serve_io`] for any other pair of pipes.
///
/// Call it on a Tokio runtime with its IO driver (`#[tokio::main]`, or a
/// builder's `enable_all`). When stdin and stdout are pipes (as when yat
/// runs the plugin) they are read and written without blocking, through
/// that driver; otherwise (a terminal, a file) through Tokio's
/// blocking-thread stdin and stdout, which costs a thread hand-off per
/// read and per write.
pub async fn serve(provider: Box<dyn LlmProvider>, meta: PluginMeta) -> Result<(), PluginError> {
    #[cfg(unix)]
    if let Some((input, output)) = pipes() {
        tracing::debug!("stdin and stdout are pipes: serving without blocking threads");
        return serve_io(provider, meta, tokio::io::BufReader::new(input), output).await;
    }
    serve_io(
        provider,
        meta,
        tokio::io::BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    )
    .await
}

/// stdin and stdout as non-blocking pipes, when both are pipes. Copies of
/// the descriptors are made non-blocking, which also affects the
/// process's own stdin and stdout: nothing else may use them anyway
/// (stdout is the protocol's).
#[cfg(unix)]
fn pipes() -> Option<(
    tokio::net::unix::pipe::Receiver,
    tokio::net::unix::pipe::Sender,
)> {
    use std::os::fd::AsFd;
    use tokio::net::unix::pipe;
    let input = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let output = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    // Both checked before either is changed: "not a pipe" leaves the
    // descriptors as they were.
    let kind = |fd: &std::os::fd::OwnedFd| {
        std::fs::File::from(fd.try_clone().ok()?)
            .metadata()
            .ok()
            .map(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()))
    };
    if kind(&input) != Some(true) || kind(&output) != Some(true) {
        return None;
    }
    let input = pipe::Receiver::from_owned_fd(input).ok()?;
    let output = pipe::Sender::from_owned_fd(output).ok()?;
    Some((input, output))
}

/// Serves a fresh instance of a linked provider, described by its
/// registration.
pub async fn serve_registration(reg: &ProviderRegistration) -> Result<(), PluginError> {
    let provider = (reg.constructor())()?;
    serve(provider, PluginMeta::from_registration(reg)).await
}

/// Serves the linked provider registered as `id`; an unknown id is
/// [`YatError::UnknownProvider`], listing the ids that are linked.
pub async fn serve_id(id: &str) -> Result<(), PluginError> {
    let discovery = yat_core::registry::discover();
    match discovery.find(id) {
        Some(reg) => serve_registration(reg).await,
        None => Err(PluginError::Provider(YatError::UnknownProvider {
            id: id.to_owned(),
            available: discovery.ids().into_iter().map(str::to_owned).collect(),
        })),
    }
}

#[cfg(test)]
mod tests;
