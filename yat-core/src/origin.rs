//! Where a provider comes from ([`ProviderKind`]) and what a live instance
//! says about itself between calls ([`Health`]).
//!
//! A linked provider is compiled into the program; a user-defined one is
//! declared in `provider_config.json`; a process provider is a separate
//! program speaking a JSON-lines protocol. Front ends show the kind (and,
//! for a process, the program that runs) so a user knows what code serves
//! a provider id.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// What kind of provider a definition is, and where its code is.
///
/// ```
/// use yat_core::ProviderKind;
/// assert_eq!(
///     serde_json::to_value(ProviderKind::Linked).unwrap(),
///     serde_json::json!({"type": "linked"})
/// );
/// assert_eq!(ProviderKind::UserDefined.label(), "user-defined");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProviderKind {
    /// Registered by a crate linked into this program.
    Linked,
    /// Declared in `provider_config.json` and served by linked code (an
    /// OpenAI-compatible endpoint, say).
    UserDefined,
    /// A separate program the host runs and talks to over pipes.
    Process(ProcessOrigin),
}

impl ProviderKind {
    /// A short label: `linked`, `user-defined`, `process`.
    pub fn label(&self) -> &'static str {
        match self {
            ProviderKind::Linked => "linked",
            ProviderKind::UserDefined => "user-defined",
            ProviderKind::Process(_) => "process",
        }
    }

    /// The process details, when it is one.
    pub fn process(&self) -> Option<&ProcessOrigin> {
        match self {
            ProviderKind::Process(p) => Some(p),
            _ => None,
        }
    }
}

/// Where a process provider was found and how it is run.
///
/// ```
/// use yat_core::ProcessOrigin;
/// let o = ProcessOrigin::new("/usr/local/bin/yat-provider-acme".into(), vec!["/usr/local/bin/yat-provider-acme".into()], "PATH");
/// assert_eq!(o.found_in, "PATH");
/// assert_eq!(o.protocol, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ProcessOrigin {
    /// The program that runs (resolved, absolute).
    pub path: PathBuf,
    /// The whole command: the program, then its arguments.
    pub command: Vec<String>,
    /// Where it was found: `PATH`, `plugins directory`, `provider_config.json`.
    pub found_in: String,
    /// The protocol version its handshake chose, when one was made.
    pub protocol: Option<u32>,
}

impl ProcessOrigin {
    /// An origin without a known protocol version.
    pub fn new(path: PathBuf, command: Vec<String>, found_in: impl Into<String>) -> Self {
        ProcessOrigin {
            path,
            command,
            found_in: found_in.into(),
            protocol: None,
        }
    }

    /// The same, with the protocol version its handshake chose.
    pub fn with_protocol(mut self, protocol: u32) -> Self {
        self.protocol = Some(protocol);
        self
    }
}

/// What a live provider instance says about itself between calls
/// ([`LlmProvider::health`](crate::LlmProvider::health)).
///
/// Most providers keep no state worth reporting and return the default
/// (healthy, nothing to add). A provider that can fail after it was built
/// and recovers by itself — a child process that crashed and is restarted
/// on the next use — reports the failure here, so the manager shows it as
/// failed without discarding the instance that will recover.
///
/// ```
/// use yat_core::Health;
/// let h = Health::default();
/// assert!(h.failed.is_none());
/// let h = Health::failed("the plugin exited (code 3)");
/// assert_eq!(h.failed.as_deref(), Some("the plugin exited (code 3)"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Set while the instance is failed: why. It is retried on the next use,
    /// not before `retry_at_unix_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// While failed: when the next try is allowed (milliseconds since the
    /// Unix epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at_unix_ms: Option<u64>,
    /// What the last failure left behind (a process's stderr tail, with
    /// secrets redacted), kept after the instance recovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_detail: Option<String>,
    /// Other facts worth showing (a process's pid, its protocol version).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, String>,
}

impl Health {
    /// A failed health with `reason`.
    pub fn failed(reason: impl Into<String>) -> Self {
        Health {
            failed: Some(reason.into()),
            ..Health::default()
        }
    }
}
