//! Where a provider stands, and what would make it usable.
//!
//! The library states facts: which setting is missing, which variable
//! holds it, whether it is a secret, whether the provider is turned off.
//! It names no command of any program: a terminal front end, a GUI or a
//! server words the [`Remedy`] for its own users (the `yat` CLI says
//! "run `yat keys set openai`").

use serde::Serialize;

use crate::origin::{Health, ProviderKind};
use crate::settings::{MissingSetting, SettingSpec};

/// Where a provider stands.
///
/// Its [`Display`](std::fmt::Display) is neutral text a program may show as
/// is; [`ProviderStatus::remedies`] gives what would fix it as data.
///
/// ```
/// use yat_core::settings::MissingSetting;
/// use yat_core::{ProviderStatus, SettingKind};
/// let status = ProviderStatus::NeedsConfiguration {
///     missing: vec![MissingSetting::new("api_key", "API key", "ACME_API_KEY")
///         .with_kind(SettingKind::Secret)],
/// };
/// assert!(!status.is_ready());
/// assert_eq!(status.label(), "needs configuration");
/// assert_eq!(status.reason().unwrap(), "API key (ACME_API_KEY) is not set");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
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
        /// Why, in the words of the error that failed it.
        reason: String,
    },
    /// Not built: another provider has the same id and wins (a linked
    /// provider over a process plugin or a configured endpoint). Only
    /// [`ProviderManager::shadowed`](crate::ProviderManager::shadowed)
    /// reports it.
    Shadowed {
        /// What wins, in words: `the linked provider (yat-providers 0.3.0)`.
        by: String,
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
            ProviderStatus::Shadowed { .. } => "shadowed",
        }
    }

    /// Why the provider is not ready, in neutral words (no fix): `None`
    /// when it is ready.
    pub fn reason(&self) -> Option<String> {
        match self {
            ProviderStatus::Ready => None,
            other => Some(other.to_string()),
        }
    }

    /// What would make `provider` (the id this status belongs to) ready,
    /// one remedy per thing to do; empty when it is ready or when nothing
    /// but a change to the provider itself would help (a failed start).
    ///
    /// ```
    /// use yat_core::{ProviderStatus, Remedy};
    /// assert_eq!(
    ///     ProviderStatus::Disabled.remedies("acme"),
    ///     vec![Remedy::Enable { provider: "acme".into() }]
    /// );
    /// assert!(ProviderStatus::Ready.remedies("acme").is_empty());
    /// ```
    pub fn remedies(&self, provider: &str) -> Vec<Remedy> {
        match self {
            ProviderStatus::Ready
            | ProviderStatus::Failed { .. }
            | ProviderStatus::Shadowed { .. } => Vec::new(),
            ProviderStatus::Disabled => vec![Remedy::Enable {
                provider: provider.to_owned(),
            }],
            ProviderStatus::NeedsConfiguration { missing } => missing
                .iter()
                .map(|m| Remedy::Set {
                    provider: provider.to_owned(),
                    setting: m.clone(),
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for ProviderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderStatus::NeedsConfiguration { missing } => {
                for (i, m) in missing.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}", Unset(m))?;
                }
                Ok(())
            }
            ProviderStatus::Failed { reason } => f.write_str(reason),
            ProviderStatus::Shadowed { by } => write!(f, "shadowed by {by}"),
            other => f.write_str(other.label()),
        }
    }
}

/// `API key (ACME_API_KEY) is not set`.
struct Unset<'a>(&'a MissingSetting);

impl std::fmt::Display for Unset<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}) is not set", self.0.label, self.0.env_var)
    }
}

/// One thing that would make a provider usable, as data: what to change,
/// never how to change it with some program. A front end words it for its
/// users.
///
/// ```
/// use yat_core::settings::{MissingSetting, SettingsSources};
/// use yat_core::{ProviderStatus, Remedy, SettingKind, SettingSpec};
///
/// const SPECS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required()];
/// let resolved = SettingsSources::default().resolve("acme", SPECS);
/// let status = ProviderStatus::NeedsConfiguration { missing: resolved.missing().to_vec() };
/// match &status.remedies("acme")[0] {
///     Remedy::Set { provider, setting } => {
///         assert_eq!(provider, "acme");
///         assert_eq!(setting.env_var, "ACME_API_KEY");
///         assert_eq!(setting.kind, SettingKind::Secret);
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "remedy", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Remedy {
    /// Turn the provider on.
    Enable {
        /// Provider id.
        provider: String,
    },
    /// Give a required setting a value: in one of its environment
    /// variables, or in the configuration (a secret in a `.env` file, never
    /// in `provider_config.json`).
    Set {
        /// Provider id.
        provider: String,
        /// The setting: key, label, variable and kind.
        setting: MissingSetting,
    },
}

impl Remedy {
    /// The provider this remedy is for.
    pub fn provider(&self) -> &str {
        match self {
            Remedy::Enable { provider } | Remedy::Set { provider, .. } => provider,
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
///     println!("{} {}@{}: {}", info.id, info.crate_name, info.crate_version, info.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
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
    /// Whether it was defined in the config file (`kind` is
    /// [`ProviderKind::UserDefined`]; kept for 0.3 programs).
    pub user_defined: bool,
    /// What kind of provider it is and where its code is.
    pub kind: ProviderKind,
    /// The settings it reads.
    pub settings: Vec<SettingSpec>,
    /// Where it stands. A ready instance that reports a failure through
    /// [`LlmProvider::health`](crate::LlmProvider::health) shows as failed.
    pub status: ProviderStatus,
    /// What the live instance says about itself (`None` when there is no
    /// instance, or it has nothing to report).
    pub health: Option<Health>,
}

impl ProviderInfo {
    /// What would make this provider ready: [`ProviderStatus::remedies`]
    /// for its id.
    pub fn remedies(&self) -> Vec<Remedy> {
        self.status.remedies(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SettingKind;

    fn missing(key: &str, label: &str, env_var: &str, kind: SettingKind) -> MissingSetting {
        MissingSetting::new(key, label, env_var).with_kind(kind)
    }

    #[test]
    fn every_status_has_a_neutral_reason_and_typed_remedies() {
        let key = missing("api_key", "API key", "ACME_API_KEY", SettingKind::Secret);
        let url = missing("base_url", "Base URL", "ACME_BASE_URL", SettingKind::Url);
        let cases: Vec<(ProviderStatus, Option<&str>, Vec<Remedy>)> = vec![
            (ProviderStatus::Ready, None, vec![]),
            (
                ProviderStatus::Disabled,
                Some("disabled"),
                vec![Remedy::Enable {
                    provider: "acme".into(),
                }],
            ),
            (
                ProviderStatus::NeedsConfiguration {
                    missing: vec![key.clone(), url.clone()],
                },
                Some("API key (ACME_API_KEY) is not set; Base URL (ACME_BASE_URL) is not set"),
                vec![
                    Remedy::Set {
                        provider: "acme".into(),
                        setting: key,
                    },
                    Remedy::Set {
                        provider: "acme".into(),
                        setting: url,
                    },
                ],
            ),
            (
                ProviderStatus::Failed {
                    reason: "acme: setting timeout_secs: not a number".into(),
                },
                Some("acme: setting timeout_secs: not a number"),
                vec![],
            ),
        ];
        for (status, reason, remedies) in cases {
            assert_eq!(status.reason().as_deref(), reason, "{status:?}");
            assert_eq!(status.remedies("acme"), remedies, "{status:?}");
            for r in &remedies {
                assert_eq!(r.provider(), "acme");
            }
        }
    }

    #[test]
    fn no_reason_names_a_command() {
        let statuses = [
            ProviderStatus::Disabled,
            ProviderStatus::NeedsConfiguration {
                missing: vec![missing("api_key", "API key", "K", SettingKind::Secret)],
            },
        ];
        for s in statuses {
            let text = s.to_string();
            for word in ["yat ", "run ", "export "] {
                assert!(!text.contains(word), "{text}");
            }
        }
    }

    #[test]
    fn status_and_remedy_serialize_as_tagged_data() {
        let s = ProviderStatus::NeedsConfiguration {
            missing: vec![missing("api_key", "API key", "K", SettingKind::Secret)],
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"state": "needs_configuration",
                "missing": [{"key": "api_key", "label": "API key", "env_var": "K", "kind": "secret"}]})
        );
        assert_eq!(
            serde_json::to_value(ProviderStatus::Ready).unwrap(),
            serde_json::json!({"state": "ready"})
        );
        assert_eq!(
            serde_json::to_value(&s.remedies("acme")[0]).unwrap(),
            serde_json::json!({"remedy": "set", "provider": "acme",
                "setting": {"key": "api_key", "label": "API key", "env_var": "K", "kind": "secret"}})
        );
        assert_eq!(
            serde_json::to_value(&ProviderStatus::Disabled.remedies("acme")[0]).unwrap(),
            serde_json::json!({"remedy": "enable", "provider": "acme"})
        );
    }
}
