//! Live provider instances: built from settings, isolated from each other,
//! reloadable while in use. The seed's `LLMManager`.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, RwLock, Weak};
use std::task::{Context, Poll};

use futures::{FutureExt, Stream};

use crate::config::{read_dotenv, ConfigLocation, ProviderConfig};
use crate::provider::{Constructor, LlmProvider, ProviderRegistration};
use crate::registry::{self, Discovery};
use crate::settings::{ResolvedSettings, SettingSpec, SettingsSources};
pub use crate::status::{ProviderInfo, ProviderStatus};
use crate::stream::ChatStream;
use crate::types::{ChatEvent, ChatRequest, ModelInfo, ModelRef};
use crate::YatError;

/// A factory for providers defined at run time (from the config file).
pub type DynamicConstructor =
    Arc<dyn Fn() -> Result<Box<dyn LlmProvider>, YatError> + Send + Sync + 'static>;

/// Produces extra provider definitions from the configuration, re-run on
/// every full reload. This is how user-defined endpoints declared in
/// `provider_config.json` become providers without recompiling.
pub type DynamicSource = Arc<dyn Fn(&ProviderConfig) -> Vec<ProviderDef> + Send + Sync + 'static>;

enum Factory {
    Static(Constructor),
    Dynamic(DynamicConstructor),
}

/// A provider the manager can build: a static registration or a definition
/// made at run time.
///
/// ```
/// use yat_core::ProviderDef;
/// for reg in yat_core::registry::discover().registrations() {
///     let def = ProviderDef::from_registration(reg);
///     assert_eq!(def.id, reg.id);
///     assert!(!def.user_defined);
/// }
/// ```
pub struct ProviderDef {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// Settings it reads.
    pub settings: Vec<SettingSpec>,
    /// The crate that registered it.
    pub crate_name: String,
    /// That crate's version.
    pub crate_version: String,
    /// The yat-core version that crate was built against.
    pub core_version: String,
    /// Whether it came from the config file rather than a linked crate.
    pub user_defined: bool,
    factory: Factory,
}

impl std::fmt::Debug for ProviderDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderDef")
            .field("id", &self.id)
            .field("crate", &self.crate_name)
            .field("user_defined", &self.user_defined)
            .finish_non_exhaustive()
    }
}

impl ProviderDef {
    /// The definition of a linked registration.
    pub fn from_registration(r: &'static ProviderRegistration) -> Self {
        ProviderDef {
            id: r.id.to_owned(),
            name: r.name.to_owned(),
            description: r.description.to_owned(),
            settings: r.settings.to_vec(),
            crate_name: r.crate_name.to_owned(),
            crate_version: r.crate_version.to_owned(),
            core_version: r.core_version.to_owned(),
            user_defined: false,
            factory: Factory::Static(r.constructor),
        }
    }

    /// A definition made at run time. `origin_crate` is the crate whose code
    /// serves it (for `--verbose` output).
    pub fn dynamic(
        id: impl Into<String>,
        name: impl Into<String>,
        settings: Vec<SettingSpec>,
        origin_crate: (&str, &str),
        constructor: DynamicConstructor,
    ) -> Self {
        ProviderDef {
            id: id.into(),
            name: name.into(),
            description: "user-defined in provider_config.json".into(),
            settings,
            crate_name: origin_crate.0.to_owned(),
            crate_version: origin_crate.1.to_owned(),
            core_version: crate::CORE_VERSION.to_owned(),
            user_defined: true,
            factory: Factory::Dynamic(constructor),
        }
    }

    fn construct(&self) -> Result<Box<dyn LlmProvider>, YatError> {
        match &self.factory {
            Factory::Static(f) => f(),
            Factory::Dynamic(f) => f(),
        }
    }
}

struct Slot {
    def: Arc<ProviderDef>,
    status: ProviderStatus,
    instance: Option<Arc<dyn LlmProvider>>,
    generation: u64,
}

struct State {
    sources: SettingsSources,
    slots: BTreeMap<String, Slot>,
    runtime_enabled: BTreeMap<String, bool>,
    next_generation: u64,
}

struct Inner {
    location: Option<ConfigLocation>,
    fixed_env: Option<BTreeMap<String, String>>,
    fixed_config: Option<ProviderConfig>,
    discovery: Discovery,
    dynamic: Option<DynamicSource>,
    state: RwLock<State>,
    reload_lock: tokio::sync::Mutex<()>,
}

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
    dynamic: Option<DynamicSource>,
}

impl ManagerBuilder {
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
    /// Add providers defined at run time from the configuration.
    pub fn dynamic_source(mut self, source: DynamicSource) -> Self {
        self.dynamic = Some(source);
        self
    }
    /// Reads the configuration and builds every provider. Fails only when a
    /// configuration file cannot be read or parsed; a provider that fails is
    /// reported in its status instead.
    pub async fn build(self) -> Result<ProviderManager, YatError> {
        let inner = Arc::new(Inner {
            location: self.location,
            fixed_env: self.env,
            fixed_config: self.config,
            discovery: self.discovery.unwrap_or_else(registry::discover),
            dynamic: self.dynamic,
            state: RwLock::new(State {
                sources: SettingsSources::default(),
                slots: BTreeMap::new(),
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

/// Holds one live instance per enabled provider.
///
/// Cheap to clone (an `Arc`). Every method that runs provider code catches
/// errors and panics and turns them into the provider's status; nothing a
/// provider does can bring the host down.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use yat_core::ProviderManager;
/// let manager = ProviderManager::builder().build().await?;
/// for info in manager.statuses() {
///     println!("{} {}", info.id, info.status.label());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ProviderManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ProviderManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderManager")
            .field("providers", &self.ids())
            .finish_non_exhaustive()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

impl ProviderManager {
    /// Starts configuring a manager.
    pub fn builder() -> ManagerBuilder {
        ManagerBuilder {
            location: None,
            env: None,
            config: None,
            discovery: None,
            dynamic: None,
        }
    }

    /// The configuration location in use, if files are read.
    pub fn location(&self) -> Option<&ConfigLocation> {
        self.inner.location.as_ref()
    }

    /// The configuration as last read.
    pub fn config(&self) -> ProviderConfig {
        self.read().sources.config.clone()
    }

    /// Every provider id, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.read().slots.keys().cloned().collect()
    }

    /// Registration data and status of every provider, sorted by id.
    pub fn statuses(&self) -> Vec<ProviderInfo> {
        let st = self.read();
        st.slots.values().map(info_of).collect()
    }

    /// Registration data and status of one provider.
    pub fn info(&self, id: &str) -> Result<ProviderInfo, YatError> {
        let st = self.read();
        st.slots
            .get(id)
            .map(info_of)
            .ok_or_else(|| unknown(id, &st))
    }

    /// The settings `id` resolves to now (secrets masked in every output form).
    pub fn resolved_settings(&self, id: &str) -> Result<ResolvedSettings, YatError> {
        let st = self.read();
        let slot = st.slots.get(id).ok_or_else(|| unknown(id, &st))?;
        Ok(st.sources.resolve(id, &slot.def.settings))
    }

    /// The ready instance of `id`, or why there is none.
    pub fn provider(&self, id: &str) -> Result<Arc<dyn LlmProvider>, YatError> {
        self.instance(id).map(|(p, _)| p)
    }

    fn instance(&self, id: &str) -> Result<(Arc<dyn LlmProvider>, u64), YatError> {
        let st = self.read();
        let slot = st.slots.get(id).ok_or_else(|| unknown(id, &st))?;
        match (&slot.instance, &slot.status) {
            (Some(p), ProviderStatus::Ready) => Ok((p.clone(), slot.generation)),
            (_, status) => Err(YatError::NotReady {
                provider: id.to_owned(),
                status: match status {
                    ProviderStatus::Ready => ProviderStatus::Failed {
                        reason: "not initialized".into(),
                    },
                    other => other.clone(),
                },
            }),
        }
    }

    /// The models of `id`. An error or a panic marks the provider failed.
    pub async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>, YatError> {
        let (p, generation) = self.instance(id)?;
        let result = AssertUnwindSafe(p.list_models()).catch_unwind().await;
        let result = match result {
            Ok(r) => r,
            Err(payload) => Err(YatError::ProviderPanicked {
                provider: id.to_owned(),
                message: panic_message(&*payload),
            }),
        };
        if let Err(e) = &result {
            self.mark_failed(id, generation, e.to_string());
        }
        result
    }

    /// The models of every ready provider, fetched concurrently, in id order.
    pub async fn list_all_models(&self) -> Vec<(String, Result<Vec<ModelInfo>, YatError>)> {
        let ids: Vec<String> = self
            .statuses()
            .into_iter()
            .filter(|i| i.status.is_ready())
            .map(|i| i.id)
            .collect();
        let futures = ids.iter().map(|id| self.list_models(id));
        let results = futures::future::join_all(futures).await;
        ids.into_iter().zip(results).collect()
    }

    /// Starts a chat on provider `id`.
    ///
    /// A request that needs a capability the provider does not claim (tools,
    /// images, a JSON schema, ...) fails with [`YatError::Unsupported`]
    /// before the provider sees it.
    ///
    /// The stream keeps the instance it started on alive, so a reload while
    /// it runs does not disturb it. A panic while creating the stream, or
    /// inside it, becomes a [`YatError::ProviderPanicked`] (as the error, or
    /// as the stream's last item) and marks the provider failed.
    pub async fn stream_chat(
        &self,
        id: &str,
        request: &ChatRequest,
    ) -> Result<ChatStream, YatError> {
        let (p, generation) = self.instance(id)?;
        p.capabilities().check(id, request)?;
        let result = AssertUnwindSafe(p.stream_chat(request))
            .catch_unwind()
            .await;
        match result {
            Ok(Ok(inner)) => Ok(Box::pin(GuardedStream {
                inner: Some(inner),
                _instance: p,
                provider: id.to_owned(),
                generation,
                manager: Arc::downgrade(&self.inner),
            })),
            Ok(Err(e)) => Err(e),
            Err(payload) => {
                let e = YatError::ProviderPanicked {
                    provider: id.to_owned(),
                    message: panic_message(&*payload),
                };
                self.mark_failed(id, generation, e.to_string());
                Err(e)
            }
        }
    }

    /// Starts a chat on the model `target` names; `request.model` is replaced
    /// by the model part of `target`.
    pub async fn chat(
        &self,
        target: &ModelRef,
        mut request: ChatRequest,
    ) -> Result<ChatStream, YatError> {
        request.model.clone_from(&target.model);
        self.stream_chat(&target.provider, &request).await
    }

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
        let (status, instance) = build_one(&def, &sources, enabled).await;
        self.install(def, status.clone(), instance);
        Ok(status)
    }

    /// Re-reads the configuration and rebuilds every provider (including
    /// user-defined ones, which may appear or disappear).
    pub async fn reload_all(&self) -> Result<(), YatError> {
        let _guard = self.inner.reload_lock.lock().await;
        let sources = self.read_sources()?;
        let defs = self.definitions(&sources.config);
        let builds = defs.iter().map(|(def, preset_failure)| {
            let enabled = self.is_enabled(&def.id, &sources.config);
            let sources = &sources;
            async move {
                match preset_failure {
                    Some(reason) => (
                        ProviderStatus::Failed {
                            reason: reason.clone(),
                        },
                        None,
                    ),
                    None => build_one(def, sources, enabled).await,
                }
            }
        });
        let built = futures::future::join_all(builds).await;
        let mut st = self.write();
        st.sources = sources;
        let mut slots = BTreeMap::new();
        for ((def, _), (status, instance)) in defs.into_iter().zip(built) {
            let generation = st.next_generation;
            st.next_generation += 1;
            slots.insert(
                def.id.clone(),
                Slot {
                    def,
                    status,
                    instance,
                    generation,
                },
            );
        }
        st.slots = slots;
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

    fn definitions(&self, config: &ProviderConfig) -> Vec<(Arc<ProviderDef>, Option<String>)> {
        let d = &self.inner.discovery;
        let mut out: BTreeMap<String, (Arc<ProviderDef>, Option<String>)> = d
            .registrations()
            .iter()
            .map(|r| {
                (
                    r.id.to_owned(),
                    (Arc::new(ProviderDef::from_registration(r)), None),
                )
            })
            .collect();
        for dup in d.duplicates() {
            if let YatError::DuplicateProvider { id, first, .. } = dup {
                let (crate_name, crate_version) = first.split_once('@').unwrap_or((first, ""));
                let def = ProviderDef {
                    id: id.clone(),
                    name: id.clone(),
                    description: String::new(),
                    settings: Vec::new(),
                    crate_name: crate_name.to_owned(),
                    crate_version: crate_version.to_owned(),
                    core_version: String::new(),
                    user_defined: false,
                    factory: Factory::Dynamic(Arc::new(|| {
                        Err(YatError::Unavailable {
                            provider: String::new(),
                            reason: "duplicate registration".into(),
                        })
                    })),
                };
                out.insert(id.clone(), (Arc::new(def), Some(dup.to_string())));
            }
        }
        if let Some(source) = &self.inner.dynamic {
            let extra =
                std::panic::catch_unwind(AssertUnwindSafe(|| source(config))).unwrap_or_default();
            for def in extra {
                if let Some((existing, _)) = out.get(&def.id) {
                    let reason = format!(
                        "the id {:?} in provider_config.json is already used by {}; pick another id",
                        def.id, existing.crate_name
                    );
                    tracing::warn!(provider = %def.id, "{reason}");
                    continue;
                }
                out.insert(def.id.clone(), (Arc::new(def), None));
            }
        }
        out.into_values().collect()
    }

    fn read_sources(&self) -> Result<SettingsSources, YatError> {
        let env = match &self.inner.fixed_env {
            Some(e) => e.clone(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        };
        let mut dotenv = Vec::new();
        let mut config = self.inner.fixed_config.clone().unwrap_or_default();
        if let Some(loc) = &self.inner.location {
            for path in &loc.dotenv_files {
                let vars = read_dotenv(path)?;
                if !vars.is_empty() {
                    dotenv.push((path.clone(), vars));
                }
            }
            if self.inner.fixed_config.is_none() {
                config = ProviderConfig::load(&loc.config_file)?;
            }
        }
        Ok(SettingsSources {
            env,
            dotenv,
            config,
        })
    }

    fn install(
        &self,
        def: Arc<ProviderDef>,
        status: ProviderStatus,
        instance: Option<Arc<dyn LlmProvider>>,
    ) {
        let mut st = self.write();
        let generation = st.next_generation;
        st.next_generation += 1;
        st.slots.insert(
            def.id.clone(),
            Slot {
                def,
                status,
                instance,
                generation,
            },
        );
    }

    fn mark_failed(&self, id: &str, generation: u64, reason: String) {
        mark_failed(&self.inner, id, generation, reason);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A poisoned lock only means a panic happened while it was held; the
        // state itself is always left consistent, so keep serving.
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn mark_failed(inner: &Inner, id: &str, generation: u64, reason: String) {
    let mut st = inner.state.write().unwrap_or_else(|e| e.into_inner());
    if let Some(slot) = st.slots.get_mut(id) {
        // A reload may have replaced the instance meanwhile: the new one
        // has not failed.
        if slot.generation == generation {
            tracing::warn!(provider = id, %reason, "provider marked failed");
            slot.status = ProviderStatus::Failed { reason };
            slot.instance = None;
        }
    }
}

fn unknown(id: &str, st: &State) -> YatError {
    YatError::UnknownProvider {
        id: id.to_owned(),
        available: st.slots.keys().cloned().collect(),
    }
}

fn info_of(slot: &Slot) -> ProviderInfo {
    let d = &slot.def;
    ProviderInfo {
        id: d.id.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        crate_name: d.crate_name.clone(),
        crate_version: d.crate_version.clone(),
        core_version: d.core_version.clone(),
        user_defined: d.user_defined,
        settings: d.settings.clone(),
        status: slot.status.clone(),
    }
}

async fn build_one(
    def: &ProviderDef,
    sources: &SettingsSources,
    enabled: bool,
) -> (ProviderStatus, Option<Arc<dyn LlmProvider>>) {
    if !enabled {
        return (ProviderStatus::Disabled, None);
    }
    let settings = sources.resolve(&def.id, &def.settings);
    if !settings.missing().is_empty() {
        return (
            ProviderStatus::NeedsConfiguration {
                missing: settings.missing().to_vec(),
            },
            None,
        );
    }
    let failed = |reason: String| {
        tracing::debug!(provider = %def.id, %reason, "provider failed to start");
        (ProviderStatus::Failed { reason }, None)
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
        Ok(Ok(())) => (ProviderStatus::Ready, Some(Arc::from(provider))),
        Ok(Err(e)) => failed(e.to_string()),
        Err(payload) => failed(format!(
            "panicked in initialize: {}",
            panic_message(&*payload)
        )),
    }
}

/// Wraps a provider's stream: keeps its instance alive and turns a panic
/// inside it into a final error item.
struct GuardedStream {
    inner: Option<ChatStream>,
    _instance: Arc<dyn LlmProvider>,
    provider: String,
    generation: u64,
    manager: Weak<Inner>,
}

impl Stream for GuardedStream {
    type Item = Result<ChatEvent, YatError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx))) {
            Ok(Poll::Ready(None)) => {
                self.release();
                Poll::Ready(None)
            }
            Ok(other) => other,
            Err(payload) => {
                // The panicked stream may be in any state: never poll it again.
                self.release();
                let e = YatError::ProviderPanicked {
                    provider: self.provider.clone(),
                    message: panic_message(&*payload),
                };
                if let Some(m) = self.manager.upgrade() {
                    mark_failed(&m, &self.provider, self.generation, e.to_string());
                }
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

impl GuardedStream {
    /// Drops the provider's stream. That runs provider code (it is how a
    /// request is cancelled), so a panic there is caught like any other
    /// and marks the provider failed instead of reaching the caller.
    fn release(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(inner))) {
            let e = YatError::ProviderPanicked {
                provider: self.provider.clone(),
                message: panic_message(&*payload),
            };
            if let Some(m) = self.manager.upgrade() {
                mark_failed(&m, &self.provider, self.generation, e.to_string());
            }
        }
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.release();
    }
}
