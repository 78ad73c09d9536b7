//! Hot reload: notice edits to `provider_config.json` and the `.env` files
//! and rebuild exactly the providers they touch, the original app's
//! "edit settings, no restart".
//!
//! Polling, not OS notifications: a long-running program calls
//! [`ConfigWatcher::reload_changed`] at the moments it can act on a change
//! (between two turns of a chat), which costs a few `stat` calls.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
//! use yat_core::watch::ConfigWatcher;
//! use yat_core::{ConfigLocation, ProviderManager};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let location = ConfigLocation::for_file(dir.path().join("provider_config.json"), dir.path());
//! let manager = ProviderManager::builder().location(location).build().await?;
//! let mut watcher = ConfigWatcher::new(&manager).expect("the manager reads files");
//! // Nothing was edited: nothing is reloaded.
//! assert!(watcher.reload_changed(&manager).await?.is_empty());
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::config::ProviderConfig;
use crate::manager::ProviderManager;
use crate::settings::{ResolvedSettings, SettingsSources};
use crate::YatError;

/// What a file looked like at the last check: its modification time and
/// length, or absent.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &PathBuf) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// What [`ConfigWatcher::reload_changed`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reloaded {
    /// The files that changed since the last check.
    pub files: Vec<PathBuf>,
    /// The providers rebuilt because their settings, enabled flag or entry
    /// changed, sorted.
    pub providers: Vec<String>,
}

impl Reloaded {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Watches the files a [`ProviderManager`] reads its configuration from.
#[derive(Debug)]
pub struct ConfigWatcher {
    files: Vec<(PathBuf, Stamp)>,
}

impl ConfigWatcher {
    /// A watcher of `manager`'s configuration files, or `None` when the
    /// manager reads none (it was given its configuration in code).
    pub fn new(manager: &ProviderManager) -> Option<Self> {
        let loc = manager.location()?;
        let files = std::iter::once(&loc.config_file)
            .chain(&loc.dotenv_files)
            .map(|p| (p.clone(), stamp(p)))
            .collect();
        Some(ConfigWatcher { files })
    }

    /// The files changed since the last check (or since [`ConfigWatcher::new`]);
    /// marks them seen.
    pub fn changed_files(&mut self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (path, seen) in &mut self.files {
            let now = stamp(path);
            if now != *seen {
                *seen = now;
                out.push(path.clone());
            }
        }
        out
    }

    /// When a watched file changed, works out which providers the change
    /// touches and reloads exactly those: a provider whose resolved settings,
    /// enabled flag or configuration entry differ. A change to the set of
    /// user-defined providers reloads all of them.
    ///
    /// A file that no longer parses is an error and changes nothing: the
    /// providers keep running on the last good configuration.
    pub async fn reload_changed(
        &mut self,
        manager: &ProviderManager,
    ) -> Result<Reloaded, YatError> {
        let files = self.changed_files();
        if files.is_empty() {
            return Ok(Reloaded::default());
        }
        let Some(location) = manager.location() else {
            return Ok(Reloaded::default());
        };
        let sources = SettingsSources::read(location)?;
        let old_config = manager.config();
        let statuses = manager.statuses();

        // Entries for ids the manager does not have (new user-defined
        // providers, or ones removed) change the set of providers.
        let known: BTreeSet<&str> = statuses.iter().map(|i| i.id.as_str()).collect();
        let unknown_entries = |c: &ProviderConfig| -> Vec<String> {
            c.providers
                .iter()
                .filter(|p| !known.contains(p.id.as_str()))
                .map(|p| serde_json::to_string(p).unwrap_or_default())
                .collect()
        };
        let set_changed = unknown_entries(&old_config) != unknown_entries(&sources.config)
            || statuses.iter().any(|i| {
                // Configured endpoints and process plugins are defined by
                // their entry: a changed entry is a changed definition.
                (i.user_defined || i.kind.process().is_some())
                    && old_config.provider(&i.id) != sources.config.provider(&i.id)
            });
        if set_changed {
            manager.reload_all().await?;
            let providers = manager.ids();
            return Ok(Reloaded { files, providers });
        }

        let mut providers = Vec::new();
        for info in &statuses {
            let id = info.id.as_str();
            let before = manager.resolved_settings(id)?;
            let after = sources.resolve(id, &info.settings);
            let touched = !same_values(&before, &after)
                || old_config.is_enabled(id) != sources.config.is_enabled(id)
                || old_config.provider(id) != sources.config.provider(id);
            if touched {
                manager.reload(id).await?;
                providers.push(info.id.clone());
            }
        }
        Ok(Reloaded { files, providers })
    }
}

fn same_values(a: &ResolvedSettings, b: &ResolvedSettings) -> bool {
    let values = |s: &ResolvedSettings| -> Vec<(String, String)> {
        s.iter()
            .map(|(k, v)| (k.to_owned(), v.value.expose().to_owned()))
            .collect()
    };
    values(a) == values(b) && a.missing() == b.missing()
}
