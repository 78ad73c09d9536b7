//! The manager's state: one slot per provider, each holding its definition,
//! status and live instance, replaced whole on reload.
//!
//! Every instance carries a generation number. Whatever holds an instance
//! (a running stream, a retry loop) reports failures with that number, so a
//! failure of an old instance never marks the one a reload put in its place.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::def::ProviderDef;
use super::{DynamicSource, ProviderManager};
use crate::config::{ConfigLocation, ProviderConfig};
use crate::origin::Health;
use crate::provider::LlmProvider;
use crate::registry::Discovery;
use crate::retry::RetryPolicy;
use crate::settings::SettingsSources;
use crate::status::{ProviderInfo, ProviderStatus};
use crate::YatError;

pub(super) struct Slot {
    pub(super) def: Arc<ProviderDef>,
    pub(super) status: ProviderStatus,
    pub(super) instance: Option<Arc<dyn LlmProvider>>,
    pub(super) generation: u64,
    /// The builder's policy with this provider's `max_retries` applied.
    pub(super) retry: RetryPolicy,
}

pub(super) struct State {
    pub(super) sources: SettingsSources,
    pub(super) slots: BTreeMap<String, Slot>,
    /// Definitions not built because another one has their id.
    pub(super) shadowed: Vec<(Arc<ProviderDef>, String)>,
    pub(super) runtime_enabled: BTreeMap<String, bool>,
    pub(super) next_generation: u64,
}

pub(super) struct Inner {
    pub(super) location: Option<ConfigLocation>,
    pub(super) fixed_env: Option<BTreeMap<String, String>>,
    pub(super) fixed_config: Option<ProviderConfig>,
    pub(super) discovery: Discovery,
    pub(super) dynamic: Vec<DynamicSource>,
    pub(super) retry: RetryPolicy,
    pub(super) state: RwLock<State>,
    pub(super) reload_lock: tokio::sync::Mutex<()>,
}

/// A ready instance, as a chat starts on it.
pub(super) struct Live {
    pub(super) provider: Arc<dyn LlmProvider>,
    pub(super) generation: u64,
    pub(super) retry: RetryPolicy,
}

/// What building one provider gave.
pub(super) struct Built {
    pub(super) status: ProviderStatus,
    pub(super) instance: Option<Arc<dyn LlmProvider>>,
    pub(super) retry: RetryPolicy,
}

impl ProviderManager {
    pub(super) fn live(&self, id: &str) -> Result<Live, YatError> {
        let st = self.read();
        let slot = st.slots.get(id).ok_or_else(|| unknown(id, &st))?;
        match (&slot.instance, &slot.status) {
            (Some(p), ProviderStatus::Ready) => Ok(Live {
                provider: p.clone(),
                generation: slot.generation,
                retry: slot.retry,
            }),
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

    /// Puts a freshly built provider in its slot, under a new generation.
    pub(super) fn install(&self, def: Arc<ProviderDef>, built: Built) {
        let mut st = self.write();
        let slot = new_slot(&mut st, def, built);
        st.slots.insert(slot.def.id.clone(), slot);
    }

    pub(super) fn mark_failed(&self, id: &str, generation: u64, reason: String) {
        mark_failed(&self.inner, id, generation, reason);
    }

    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A poisoned lock only means a panic happened while it was held; the
        // state itself is always left consistent, so keep serving.
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) fn new_slot(st: &mut State, def: Arc<ProviderDef>, built: Built) -> Slot {
    let generation = st.next_generation;
    st.next_generation += 1;
    Slot {
        def,
        status: built.status,
        instance: built.instance,
        generation,
        retry: built.retry,
    }
}

pub(super) fn mark_failed(inner: &Inner, id: &str, generation: u64, reason: String) {
    if let Some(slot) = inner
        .state
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .slots
        .get(id)
    {
        if let Some(instance) = &slot.instance {
            // An instance that tracks its own failures recovers on a later
            // call: keep it, its health says it is failed meanwhile.
            if instance.health().failed.is_some() {
                tracing::debug!(provider = id, %reason, "provider reports its own failure");
                return;
            }
        }
    }
    let mut st = inner.state.write().unwrap_or_else(|e| e.into_inner());
    if let Some(slot) = st.slots.get_mut(id) {
        // A reload may have replaced the instance meanwhile: the new one
        // has not failed.
        if slot.generation == generation {
            tracing::debug!(provider = id, %reason, "provider marked failed");
            slot.status = ProviderStatus::Failed { reason };
            slot.instance = None;
        }
    }
}

pub(super) fn unknown(id: &str, st: &State) -> YatError {
    YatError::UnknownProvider {
        id: id.to_owned(),
        available: st.slots.keys().cloned().collect(),
    }
}

pub(super) fn info_of(slot: &Slot) -> ProviderInfo {
    // Most providers have nothing to report: no health, rather than an
    // empty one in every listing.
    let health = slot
        .instance
        .as_ref()
        .map(|p| p.health())
        .filter(|h| *h != Health::default());
    let status = match (&slot.status, &health) {
        (
            ProviderStatus::Ready,
            Some(Health {
                failed: Some(reason),
                ..
            }),
        ) => ProviderStatus::Failed {
            reason: reason.clone(),
        },
        (status, _) => status.clone(),
    };
    def_info(&slot.def, status, health)
}

pub(super) fn def_info(
    d: &ProviderDef,
    status: ProviderStatus,
    health: Option<Health>,
) -> ProviderInfo {
    ProviderInfo {
        id: d.id.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        crate_name: d.crate_name.clone(),
        crate_version: d.crate_version.clone(),
        user_defined: d.user_defined,
        kind: d.kind.clone(),
        settings: d.settings.clone(),
        status,
        health,
    }
}
