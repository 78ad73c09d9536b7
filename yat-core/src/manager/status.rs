//! Where each provider stands, as the manager reports it.
//!
//! (Kept verbatim here while `ProviderStatus` and `ProviderInfo` move to the
//! crate's own status module.)

use serde::Serialize;

use crate::settings::{MissingSetting, SettingSpec};

/// Where a provider stands.
///
/// ```
/// use yat_core::settings::MissingSetting;
/// use yat_core::ProviderStatus;
/// let status = ProviderStatus::NeedsConfiguration {
///     missing: vec![MissingSetting::new("api_key", "API key", "ACME_API_KEY")],
/// };
/// assert!(!status.is_ready());
/// assert_eq!(status.label(), "needs configuration");
/// assert!(status.reason("acme").unwrap().contains("ACME_API_KEY"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProviderStatus {
    /// Built, initialized, usable.
    Ready,
    /// Turned off in the configuration or at run time.
    Disabled,
    /// Required settings are missing.
    NeedsConfiguration {
        /// What to set.
        missing: Vec<MissingSetting>,
    },
    /// Construction, initialization, model listing or a stream failed or panicked.
    Failed {
        /// Why.
        reason: String,
    },
}

impl ProviderStatus {
    /// Whether the provider can be used.
    pub fn is_ready(&self) -> bool {
        matches!(self, ProviderStatus::Ready)
    }
    /// A short label: `ready`, `disabled`, `needs configuration`, `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            ProviderStatus::Ready => "ready",
            ProviderStatus::Disabled => "disabled",
            ProviderStatus::NeedsConfiguration { .. } => "needs configuration",
            ProviderStatus::Failed { .. } => "failed",
        }
    }
    /// The reason a provider is not ready, with the fix where there is one.
    pub fn reason(&self, provider: &str) -> Option<String> {
        match self {
            ProviderStatus::Ready => None,
            ProviderStatus::Disabled => Some(format!(
                "disabled in the configuration: run `yat providers enable {provider}`"
            )),
            ProviderStatus::NeedsConfiguration { missing } => Some(
                missing
                    .iter()
                    .map(|m| {
                        if m.key == "api_key" {
                            format!(
                                "{} is not set: run `yat keys set {provider}` or export it",
                                m.env_var
                            )
                        } else {
                            format!(
                                "{} ({}) is not set: export {} or run `yat config set {provider}.{} VALUE`",
                                m.label, m.key, m.env_var, m.key
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ProviderStatus::Failed { reason } => Some(reason.clone()),
        }
    }
}

/// A provider's registration data and status: the seed's `get_plugin_info`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// let manager = yat_core::ProviderManager::builder().env(Default::default()).build().await?;
/// for id in manager.ids() {
///     let info = manager.info(&id)?;
///     println!("{} {}@{} (yat-core {}): {}", info.id, info.crate_name, info.crate_version,
///         info.core_version, info.status.label());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct ProviderInfo {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// Registering crate.
    pub crate_name: String,
    /// Its version.
    pub crate_version: String,
    /// The yat-core version it was built against.
    pub core_version: String,
    /// Whether it was defined in the config file.
    pub user_defined: bool,
    /// The settings it reads.
    pub settings: Vec<SettingSpec>,
    /// Where it stands.
    pub status: ProviderStatus,
}
