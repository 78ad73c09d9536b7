//! Configuring and building a [`ProviderManager`].

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::def::DynamicSource;
use super::slots::{Inner, State};
use super::ProviderManager;
use crate::config::{ConfigLocation, ProviderConfig};
use crate::provider::ProviderRegistration;
use crate::registry::{self, Discovery};
use crate::retry::RetryPolicy;
use crate::settings::SettingsSources;
use crate::YatError;

/// Configures a [`ProviderManager`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use std::collections::BTreeMap;
/// use yat_core::{ProviderConfig, ProviderManager};
///
/// // A manager that reads no files and not the process environment: what a
/// // test, or a program that keeps its own secrets, wants.
/// let env: BTreeMap<String, String> = [("ACME_API_KEY".to_string(), "sk-test".to_string())].into();
/// let manager = ProviderManager::builder()
///     .env(env)
///     .config(ProviderConfig::default())
///     .build()
///     .await?;
/// assert!(manager.location().is_none());
/// # Ok(()) }
/// ```
#[must_use]
pub struct ManagerBuilder {
    location: Option<ConfigLocation>,
    env: Option<BTreeMap<String, String>>,
    config: Option<ProviderConfig>,
    discovery: Option<Discovery>,
    dynamic: Vec<DynamicSource>,
    retry: RetryPolicy,
    required: Vec<String>,
}

impl std::fmt::Debug for ManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerBuilder")
            .field("location", &self.location)
            .field("retry", &self.retry)
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl ManagerBuilder {
    pub(super) fn new() -> Self {
        ManagerBuilder {
            location: None,
            env: None,
            config: None,
            discovery: None,
            dynamic: Vec::new(),
            retry: RetryPolicy::default(),
            required: Vec::new(),
        }
    }

    /// Read `provider_config.json` and `.env` files from this location (and
    /// re-read them on reload). Without it, no files are read.
    pub fn location(mut self, location: ConfigLocation) -> Self {
        self.location = Some(location);
        self
    }
    /// Use this configuration instead of reading a file.
    pub fn config(mut self, config: ProviderConfig) -> Self {
        self.config = Some(config);
        self
    }
    /// Use these variables instead of the process environment (tests,
    /// embedding programs that manage their own secrets).
    pub fn env(mut self, env: BTreeMap<String, String>) -> Self {
        self.env = Some(env);
        self
    }
    /// Use these registrations instead of every linked one.
    pub fn registrations(mut self, regs: Vec<&'static ProviderRegistration>) -> Self {
        self.discovery = Some(registry::from_registrations(regs));
        self
    }
    /// Add providers defined at run time from the configuration. May be
    /// called several times: for an id defined twice, linked registrations
    /// win, then the sources in the order they were added; a definition that
    /// loses is not built and is reported by
    /// [`ProviderManager::shadowed`](super::ProviderManager::shadowed).
    pub fn dynamic_source(mut self, source: DynamicSource) -> Self {
        self.dynamic.push(source);
        self
    }
    /// How chats retry a failure before their first output (default:
    /// [`RetryPolicy::default`]). A provider's `max_retries` setting, when
    /// set, replaces the policy's number of retries for that provider.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Makes [`build`](Self::build) fail unless a provider with this id is
    /// linked into the program. Rust links a crate only if the program names
    /// it, so a provider crate that is a dependency but never named is
    /// silently missing; requiring it turns that into a start-up error.
    /// May be called several times.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use yat_core::{ProviderManager, YatError};
    /// let e = ProviderManager::builder()
    ///     .registrations(vec![])
    ///     .require("zeta")
    ///     .build()
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(e, YatError::UnknownProvider { ref id, .. } if id == "zeta"));
    /// # }
    /// ```
    pub fn require(mut self, id: impl Into<String>) -> Self {
        self.required.push(id.into());
        self
    }
    /// [`require`](Self::require)s each of `ids`.
    pub fn require_all<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Reads the configuration and builds every provider. Fails when a
    /// [required](Self::require) provider is not linked
    /// ([`YatError::UnknownProvider`] naming the first one missing, in the
    /// order they were required, and listing the linked ids) or when a
    /// configuration file cannot be read or parsed; a provider that fails
    /// is reported in its status instead.
    pub async fn build(self) -> Result<ProviderManager, YatError> {
        let discovery = self.discovery.unwrap_or_else(registry::discover);
        if let Some(id) = self.required.iter().find(|id| !discovery.is_linked(id)) {
            let mut available: Vec<String> = discovery.ids().into_iter().map(Into::into).collect();
            available.extend(discovery.duplicates().iter().filter_map(|e| match e {
                YatError::DuplicateProvider { id, .. } => Some(id.clone()),
                _ => None,
            }));
            available.sort();
            return Err(YatError::UnknownProvider {
                id: id.clone(),
                available,
            });
        }
        let inner = Arc::new(Inner {
            location: self.location,
            fixed_env: self.env,
            fixed_config: self.config,
            discovery,
            dynamic: self.dynamic,
            retry: self.retry,
            state: RwLock::new(State {
                sources: SettingsSources::default(),
                slots: BTreeMap::new(),
                shadowed: Vec::new(),
                runtime_enabled: BTreeMap::new(),
                next_generation: 1,
            }),
            reload_lock: tokio::sync::Mutex::new(()),
        });
        let manager = ProviderManager { inner };
        manager.reload_all().await?;
        Ok(manager)
    }
}
