//! Building providers from settings, and rebuilding them on reload: a fresh
//! instance is built aside and swapped in whole, so a stream already running
//! keeps the instance it started on.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use super::def::ProviderDef;
use super::slots::{new_slot, unknown, Built};
use super::{panic_message, ProviderManager};
use crate::config::{read_dotenv_files, ProviderConfig};
use crate::origin::ProviderKind;
use crate::retry::{RetryPolicy, MAX_RETRIES};
use crate::settings::{ResolvedSettings, SettingsSources};
use crate::status::ProviderStatus;
use crate::YatError;

impl ProviderManager {
    /// Re-reads the configuration and `.env` files and rebuilds `id` from
    /// them, then swaps the new instance in. Streams already running finish
    /// on the old instance.
    pub async fn reload(&self, id: &str) -> Result<ProviderStatus, YatError> {
        let _guard = self.inner.reload_lock.lock().await;
        let sources = self.read_sources()?;
        let def = {
            let mut st = self.write();
            st.sources = sources.clone();
            match st.slots.get(id) {
                Some(slot) => slot.def.clone(),
                None => return Err(unknown(id, &st)),
            }
        };
        let enabled = self.is_enabled(&def.id, &sources.config);
        let built = build_one(&def, &sources, enabled, self.inner.retry).await;
        let status = built.status.clone();
        self.install(def, built);
        Ok(status)
    }

    /// Re-reads the configuration and rebuilds every provider (including
    /// user-defined ones, which may appear or disappear).
    pub async fn reload_all(&self) -> Result<(), YatError> {
        let _guard = self.inner.reload_lock.lock().await;
        let sources = self.read_sources()?;
        let mut shadowed = Vec::new();
        let defs = self.definitions(&sources.config, &mut shadowed);
        let base = self.inner.retry;
        let builds = defs.iter().map(|(def, preset_failure)| {
            let enabled = self.is_enabled(&def.id, &sources.config);
            let sources = &sources;
            async move {
                match preset_failure {
                    Some(reason) => Built {
                        status: ProviderStatus::Failed {
                            reason: reason.clone(),
                        },
                        instance: None,
                        retry: base,
                    },
                    None => build_one(def, sources, enabled, base).await,
                }
            }
        });
        let built = futures::future::join_all(builds).await;
        let mut st = self.write();
        st.sources = sources;
        let mut slots = BTreeMap::new();
        for ((def, _), built) in defs.into_iter().zip(built) {
            let slot = new_slot(&mut st, def, built);
            slots.insert(slot.def.id.clone(), slot);
        }
        st.slots = slots;
        st.shadowed = shadowed;
        Ok(())
    }

    /// Turns a provider on or off for this manager (not persisted: the CLI
    /// writes `provider_config.json` for that) and rebuilds it.
    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<ProviderStatus, YatError> {
        {
            let mut st = self.write();
            if !st.slots.contains_key(id) {
                return Err(unknown(id, &st));
            }
            st.runtime_enabled.insert(id.to_owned(), enabled);
        }
        self.reload(id).await
    }

    fn is_enabled(&self, id: &str, config: &ProviderConfig) -> bool {
        self.read()
            .runtime_enabled
            .get(id)
            .copied()
            .unwrap_or_else(|| config.is_enabled(id))
    }

    /// Every provider to build, with the reason it cannot be when that is
    /// known beforehand (an id registered twice).
    /// The definitions that lose to another of the same id are in `shadowed`.
    fn definitions(
        &self,
        config: &ProviderConfig,
        shadowed: &mut Vec<(Arc<ProviderDef>, String)>,
    ) -> Vec<(Arc<ProviderDef>, Option<String>)> {
        let d = &self.inner.discovery;
        let mut out: BTreeMap<String, (Arc<ProviderDef>, Option<String>)> = d
            .registrations()
            .iter()
            .map(|r| {
                (
                    r.id().to_owned(),
                    (Arc::new(ProviderDef::from_registration(r)), None),
                )
            })
            .collect();
        for dup in d.duplicates() {
            if let YatError::DuplicateProvider { id, first, .. } = dup {
                let def = ProviderDef::duplicate(id, first);
                out.insert(id.clone(), (Arc::new(def), Some(dup.to_string())));
            }
        }
        for source in &self.inner.dynamic {
            let extra =
                std::panic::catch_unwind(AssertUnwindSafe(|| source(config))).unwrap_or_default();
            for def in extra {
                if let Some((existing, _)) = out.get(&def.id) {
                    let by = winner(existing);
                    tracing::warn!(provider = %def.id, "{} is shadowed by {by}", def.kind.label());
                    shadowed.push((Arc::new(def), by));
                    continue;
                }
                out.insert(def.id.clone(), (Arc::new(def), None));
            }
        }
        shadowed.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out.into_values().collect()
    }

    /// Reads every source of settings once: the environment (or the fixed
    /// one), the `.env` files and `provider_config.json`.
    fn read_sources(&self) -> Result<SettingsSources, YatError> {
        let env = match &self.inner.fixed_env {
            Some(e) => e.clone(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        };
        let mut sources =
            SettingsSources::new(self.inner.fixed_config.clone().unwrap_or_default()).with_env(env);
        if let Some(loc) = &self.inner.location {
            sources.dotenv = read_dotenv_files(&loc.dotenv_files)?;
            if self.inner.fixed_config.is_none() {
                tracing::debug!(path = %loc.config_file.display(), "reading the configuration");
                sources.config = ProviderConfig::load(&loc.config_file)?;
            }
        }
        Ok(sources)
    }
}

/// What wins over a definition of the same id, in words.
fn winner(def: &ProviderDef) -> String {
    match &def.kind {
        ProviderKind::Linked => format!(
            "the linked provider ({} {})",
            def.crate_name, def.crate_version
        ),
        ProviderKind::UserDefined => "the provider defined in provider_config.json".to_owned(),
        ProviderKind::Process(p) => format!("the process plugin {}", p.path.display()),
    }
}

/// Builds, initializes and checks one provider; every failure or panic
/// becomes its status.
async fn build_one(
    def: &ProviderDef,
    sources: &SettingsSources,
    enabled: bool,
    base: RetryPolicy,
) -> Built {
    let not_built = |status: ProviderStatus| Built {
        status,
        instance: None,
        retry: base,
    };
    if !enabled {
        return not_built(ProviderStatus::Disabled);
    }
    let settings = sources.resolve(&def.id, &def.settings);
    if !settings.missing().is_empty() {
        return not_built(ProviderStatus::NeedsConfiguration {
            missing: settings.missing().to_vec(),
        });
    }
    let failed = |reason: String| {
        tracing::debug!(provider = %def.id, %reason, "provider failed to start");
        not_built(ProviderStatus::Failed { reason })
    };
    let retry = match retry_policy(def, &settings, sources, base) {
        Ok(r) => r,
        Err(e) => return failed(e.to_string()),
    };
    let mut provider = match std::panic::catch_unwind(AssertUnwindSafe(|| def.construct())) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(e.to_string()),
        Err(payload) => {
            return failed(format!(
                "panicked in constructor: {}",
                panic_message(&*payload)
            ))
        }
    };
    match AssertUnwindSafe(provider.initialize(&settings))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => Built {
            status: ProviderStatus::Ready,
            instance: Some(Arc::from(provider)),
            retry,
        },
        Ok(Err(e)) => failed(e.to_string()),
        Err(payload) => failed(format!(
            "panicked in initialize: {}",
            panic_message(&*payload)
        )),
    }
}

/// `base` with the provider's `max_retries` applied. Every provider has the
/// setting: from its own declaration when it lists one (its default, its
/// variables), else from [`MAX_RETRIES`] (`<ID>_MAX_RETRIES`, the config file).
fn retry_policy(
    def: &ProviderDef,
    declared: &ResolvedSettings,
    sources: &SettingsSources,
    base: RetryPolicy,
) -> Result<RetryPolicy, YatError> {
    let key = MAX_RETRIES.key;
    let n = if def.settings.iter().any(|s| s.key == key) {
        declared.get_u64(key)?
    } else {
        sources.resolve(&def.id, &[MAX_RETRIES]).get_u64(key)?
    };
    Ok(match n {
        Some(n) => base.with_max_retries(u32::try_from(n).unwrap_or(u32::MAX)),
        None => base,
    })
}
