//! The gateway's state: the manager, the settings and keys it serves
//! with (swapped whole on reload), and the limits' counters.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::http::HeaderMap;
use yat_core::preferences::Preferences;
use yat_core::routing::{candidates, resolve_model};
use yat_core::watch::ConfigWatcher;
use yat_core::{ModelInfo, ModelRef, ProviderConfig, ProviderManager, YatError};

use crate::api_error::{ApiError, ErrorKind};
use crate::config::ServeConfig;
use crate::keys::{ClientKey, KeyStore, KeyTable};
use crate::metrics::Metrics;
use crate::rate::RateLimiter;

/// How long a `GET /v1/models` listing is reused before the providers are
/// asked again (listing can mean one upstream call per provider).
const MODELS_TTL: Duration = Duration::from_secs(60);

/// What a request is served with; replaced whole when files change, so a
/// request sees one consistent version from start to end.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub config: ServeConfig,
    pub prefs: Preferences,
    pub keys: KeyTable,
}

/// Who may call the gateway.
#[derive(Debug, Clone)]
enum Access {
    /// Clients present a key from this file.
    Keys(KeyStore),
    /// Anyone who can reach the socket.
    Open,
}

/// The gateway: a [`ProviderManager`] behind the OpenAI and Anthropic wire
/// formats. Build one with [`Gateway::builder`], mount
/// [`Gateway::router`] in any axum or tower server, or run it with
/// [`crate::serve`].
pub struct Gateway {
    manager: ProviderManager,
    access: Access,
    config_file: Option<PathBuf>,
    snapshot: RwLock<Arc<Snapshot>>,
    watcher: tokio::sync::Mutex<Option<ConfigWatcher>>,
    keys_stamp: Mutex<Option<(SystemTime, u64)>>,
    pub(crate) rate: RateLimiter,
    pub(crate) metrics: Metrics,
    streams: AtomicUsize,
    models: tokio::sync::Mutex<Option<(Instant, Arc<Vec<ModelInfo>>)>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("access", &self.access)
            .field("config_file", &self.config_file)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Gateway`].
#[derive(Debug)]
#[must_use]
pub struct GatewayBuilder {
    manager: ProviderManager,
    config: Option<ServeConfig>,
    prefs: Option<Preferences>,
    access: Option<Access>,
}

impl GatewayBuilder {
    /// Serve with these settings instead of the `serve` object of the
    /// manager's config file (they then do not reload).
    pub fn config(mut self, config: ServeConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Route with these aliases and fallbacks instead of the manager's
    /// config file's (they then do not reload).
    pub fn preferences(mut self, prefs: Preferences) -> Self {
        self.prefs = Some(prefs);
        self
    }

    /// Accept the keys in `store` (reloaded when the file changes). The
    /// default is the `gateway_keys.json` beside the manager's config file.
    pub fn keys(mut self, store: KeyStore) -> Self {
        self.access = Some(Access::Keys(store));
        self
    }

    /// Serve anyone who can reach the socket, with no key. [`crate::serve`]
    /// refuses this on an address other than loopback.
    pub fn open_access(mut self) -> Self {
        self.access = Some(Access::Open);
        self
    }

    /// The gateway. Fails when the config file's `serve` object or the
    /// keys file does not parse, or when neither keys nor open access is
    /// given and the manager reads no config file to find the keys beside.
    pub async fn build(self) -> Result<Arc<Gateway>, YatError> {
        let location = self.manager.location().cloned();
        let access = match (self.access, &location) {
            (Some(a), _) => a,
            (None, Some(loc)) => Access::Keys(KeyStore::beside(loc)),
            (None, None) => {
                return Err(YatError::Config {
                    path: PathBuf::from(crate::keys::KEYS_FILE_NAME),
                    line: None,
                    column: None,
                    message: "the gateway needs keys (a KeyStore) or open access".into(),
                })
            }
        };
        // Settings given in code are fixed; otherwise they follow the file.
        let config_file = match (&self.config, &self.prefs) {
            (Some(_), Some(_)) => None,
            _ => location.as_ref().map(|l| l.config_file.clone()),
        };
        let watcher = ConfigWatcher::new(&self.manager);
        let gateway = Gateway {
            manager: self.manager,
            access,
            snapshot: RwLock::new(Arc::new(Snapshot {
                config: ServeConfig::default(),
                prefs: Preferences::default(),
                keys: KeyTable::default(),
            })),
            watcher: tokio::sync::Mutex::new(watcher),
            keys_stamp: Mutex::new(None),
            rate: RateLimiter::default(),
            metrics: Metrics::new(),
            streams: AtomicUsize::new(0),
            models: tokio::sync::Mutex::new(None),
            config_file,
        };
        let fixed = (self.config, self.prefs);
        let snapshot = gateway.read_snapshot(&fixed.0, &fixed.1)?;
        *gateway.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        Ok(Arc::new(gateway))
    }
}

impl Gateway {
    /// A gateway over `manager`.
    pub fn builder(manager: ProviderManager) -> GatewayBuilder {
        GatewayBuilder {
            manager,
            config: None,
            prefs: None,
            access: None,
        }
    }

    /// The manager it serves.
    pub fn manager(&self) -> &ProviderManager {
        &self.manager
    }

    /// The settings it serves with now.
    pub fn config(&self) -> ServeConfig {
        self.snapshot().config.clone()
    }

    /// Whether clients must present a key.
    pub fn requires_keys(&self) -> bool {
        matches!(self.access, Access::Keys(_))
    }

    /// How many keys are accepted now.
    pub fn key_count(&self) -> usize {
        self.snapshot().keys.len()
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn read_snapshot(
        &self,
        config: &Option<ServeConfig>,
        prefs: &Option<Preferences>,
    ) -> Result<Snapshot, YatError> {
        let file = match &self.config_file {
            Some(path) if path.exists() => Some((ProviderConfig::load(path)?, path)),
            _ => None,
        };
        let config = match (config, &file) {
            (Some(c), _) => c.clone(),
            (None, Some((f, path))) => ServeConfig::from_config(f, path)?,
            (None, None) => ServeConfig::default(),
        };
        let prefs = match (prefs, &file) {
            (Some(p), _) => p.clone(),
            (None, Some((f, path))) => Preferences::from_config(f, path)?,
            (None, None) => Preferences::default(),
        };
        let keys = match &self.access {
            Access::Keys(store) => {
                *self.keys_stamp.lock().unwrap_or_else(|p| p.into_inner()) = stamp(store);
                KeyTable::new(&store.load()?)
            }
            Access::Open => KeyTable::default(),
        };
        Ok(Snapshot {
            config,
            prefs,
            keys,
        })
    }

    /// Applies edits to the config file, the `.env` files and the keys
    /// file: providers whose settings changed are rebuilt (streams already
    /// running keep the instance they started on), and the next request
    /// sees the new routes, limits and keys. Returns whether anything
    /// changed. A file that no longer parses is an error and changes
    /// nothing: the gateway keeps serving the last good version.
    pub async fn reload(&self) -> Result<bool, YatError> {
        let mut watcher = self.watcher.lock().await;
        let reloaded = match watcher.as_mut() {
            Some(w) => w.reload_changed(&self.manager).await?,
            None => Default::default(),
        };
        drop(watcher);
        let keys_changed = match &self.access {
            Access::Keys(store) => {
                stamp(store) != *self.keys_stamp.lock().unwrap_or_else(|p| p.into_inner())
            }
            Access::Open => false,
        };
        if reloaded.is_empty() && !keys_changed {
            return Ok(false);
        }
        if !reloaded.is_empty() {
            *self.models.lock().await = None;
        }
        let fixed = self.fixed_parts();
        let snapshot = self.read_snapshot(&fixed.0, &fixed.1)?;
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snapshot);
        self.rate.prune(Instant::now());
        tracing::info!(files = ?reloaded.files, providers = ?reloaded.providers, keys_changed, "gateway reloaded its configuration");
        Ok(true)
    }

    /// Re-reads the keys file if it changed since it was last read, and
    /// serves the new keys from now on; the new table, or `None` when
    /// nothing changed or the file does not parse.
    fn refresh_keys(&self) -> Option<KeyTable> {
        let Access::Keys(store) = &self.access else {
            return None;
        };
        let now = stamp(store);
        {
            let mut seen = self.keys_stamp.lock().unwrap_or_else(|p| p.into_inner());
            if *seen == now {
                return None;
            }
            *seen = now;
        }
        let keys = match store.load() {
            Ok(records) => KeyTable::new(&records),
            Err(e) => {
                tracing::warn!(error = %e, "keys file change not applied; serving the last good keys");
                return None;
            }
        };
        let mut current = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        *current = Arc::new(Snapshot {
            config: current.config.clone(),
            prefs: current.prefs.clone(),
            keys: keys.clone(),
        });
        Some(keys)
    }

    /// The parts given in code, which a reload keeps.
    fn fixed_parts(&self) -> (Option<ServeConfig>, Option<Preferences>) {
        match self.config_file {
            Some(_) => (None, None),
            None => {
                let s = self.snapshot();
                (Some(s.config.clone()), Some(s.prefs.clone()))
            }
        }
    }

    /// Checks the client's key (`Authorization: Bearer KEY` or
    /// `x-api-key: KEY`) and its request rate.
    pub(crate) fn admit(
        &self,
        snap: &Snapshot,
        headers: &HeaderMap,
    ) -> Result<Arc<ClientKey>, ApiError> {
        let key = match &self.access {
            Access::Open => Arc::new(ClientKey {
                name: "anonymous".into(),
                requests_per_minute: None,
            }),
            Access::Keys(_) => {
                let presented = presented_key(headers).ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::Authentication,
                        "missing gateway key: send `Authorization: Bearer KEY` or `x-api-key: KEY`",
                    )
                })?;
                match snap.keys.check(presented) {
                    Some(key) => key,
                    // A key created a moment ago works at once: look at
                    // the file again before refusing (one stat call).
                    None => self
                        .refresh_keys()
                        .and_then(|keys| keys.check(presented))
                        .ok_or_else(|| {
                            ApiError::new(ErrorKind::Authentication, "invalid gateway key")
                        })?,
                }
            }
        };
        if let Some(rpm) = key
            .requests_per_minute
            .or(snap.config.limits.requests_per_minute)
        {
            if let Err(wait) = self.rate.check(&key.name, rpm, Instant::now()) {
                let mut e = ApiError::new(
                    ErrorKind::RateLimited,
                    format!("rate limit of {rpm} requests per minute reached for this key"),
                );
                e.retry_after = Some(wait.max(Duration::from_secs(1)));
                return Err(e);
            }
        }
        Ok(key)
    }

    /// The models to try for what the client named: its entry in the
    /// `serve.models` map, an alias or `PROVIDER/MODEL`; then the
    /// configured fallbacks.
    pub(crate) fn route(&self, snap: &Snapshot, model: &str) -> Result<Vec<ModelRef>, ApiError> {
        let named = match snap.config.models.get(model) {
            Some(target) => target.clone(),
            // `"*": "openai/*"`: every other bare name to one provider.
            None => match snap.config.models.get("*") {
                Some(pattern)
                    if !model.contains('/') && !snap.prefs.aliases.contains_key(model) =>
                {
                    pattern.replace('*', model)
                }
                _ => model.to_owned(),
            },
        };
        let target = resolve_model(Some(&named), &snap.prefs, &[])
            .map_err(|_| {
                ApiError::new(
                    ErrorKind::NotFound,
                    format!(
                        "model {model:?} is not served here: name it as PROVIDER/MODEL, an alias, \
                         or a name in the gateway's model map"
                    ),
                )
            })?
            .target;
        if self.manager.info(&target.provider).is_err() {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("model {model:?}: no provider {:?} here", target.provider),
            ));
        }
        candidates(&target, &[], &snap.prefs).map_err(|e| ApiError::from_yat(&e))
    }

    /// Takes a stream slot, or says the gateway is full.
    pub(crate) fn open_stream(self: &Arc<Self>, snap: &Snapshot) -> Result<StreamSlot, ApiError> {
        let limit = snap.config.limits.max_concurrent_streams;
        let taken = self.streams.fetch_add(1, Ordering::AcqRel);
        if taken >= limit {
            self.streams.fetch_sub(1, Ordering::AcqRel);
            let mut e = ApiError::new(
                ErrorKind::Unavailable,
                format!("the gateway is serving its limit of {limit} streams; try again shortly"),
            );
            e.retry_after = Some(Duration::from_secs(1));
            return Err(e);
        }
        self.metrics.stream_opened();
        Ok(StreamSlot {
            gateway: self.clone(),
        })
    }

    /// Every ready provider's models, listed at most once a minute.
    pub(crate) async fn models(&self) -> Arc<Vec<ModelInfo>> {
        let mut cached = self.models.lock().await;
        if let Some((at, list)) = &*cached {
            if at.elapsed() < MODELS_TTL {
                return list.clone();
            }
        }
        let mut all = Vec::new();
        for (id, listed) in self.manager.list_all_models().await {
            match listed {
                Ok(models) => all.extend(models),
                Err(e) => tracing::debug!(provider = %id, error = %e, "model listing failed"),
            }
        }
        let list = Arc::new(all);
        *cached = Some((Instant::now(), list.clone()));
        list
    }
}

/// A held stream slot; dropping it frees the slot.
pub(crate) struct StreamSlot {
    gateway: Arc<Gateway>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.gateway.streams.fetch_sub(1, Ordering::AcqRel);
        self.gateway.metrics.stream_closed();
    }
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    let auth = headers.get("authorization")?.to_str().ok()?;
    let (scheme, key) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

fn stamp(store: &KeyStore) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(store.path()).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::ProviderConfig;

    async fn gateway(serve: serde_json::Value) -> Arc<Gateway> {
        let mut config = ProviderConfig::default();
        config.extra.insert(
            "aliases".into(),
            serde_json::json!({"fast": "mock/mock-long"}),
        );
        let prefs = Preferences::from_config(&config, std::path::Path::new("c.json")).unwrap();
        let manager = ProviderManager::builder()
            .config(config)
            .env(Default::default())
            .build()
            .await
            .unwrap();
        Gateway::builder(manager)
            .config(serde_json::from_value(serve).unwrap())
            .preferences(prefs)
            .open_access()
            .build()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn names_resolve_through_the_map_the_wildcard_aliases_and_refs() {
        let gw = gateway(serde_json::json!({
            "models": {"gpt-4o": "mock/mock-echo", "quick": "fast", "*": "mock/*"}
        }))
        .await;
        let snap = gw.snapshot();
        for (asked, served) in [
            ("gpt-4o", "mock/mock-echo"),
            ("quick", "mock/mock-long"),
            ("fast", "mock/mock-long"),
            ("mock-tools", "mock/mock-tools"),
            ("mock/mock-json", "mock/mock-json"),
        ] {
            let route = gw.route(&snap, asked).unwrap();
            assert_eq!(route[0].to_string(), served, "{asked}");
        }
        let e = gw.route(&snap, "nobody/x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn without_a_wildcard_a_bare_name_is_a_404_that_says_how_to_name_models() {
        let gw = gateway(serde_json::json!({})).await;
        let e = gw.route(&gw.snapshot(), "gpt-4o").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("PROVIDER/MODEL"), "{}", e.message);
    }
}
