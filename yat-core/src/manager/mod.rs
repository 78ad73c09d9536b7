//! Live provider instances: built from settings, isolated from each other,
//! reloadable while in use. The seed's `LLMManager`.
//!
//! Where things are:
//! - `builder`: [`ManagerBuilder`], what a manager is built from;
//! - `def`: [`ProviderDef`], what the manager can build (a linked
//!   registration or a provider defined in the configuration);
//! - `slots`: one slot per provider (definition, status, live instance);
//! - `reload`: building providers from settings, reloading them;
//! - `chat`: the chat path, where the retry policy before the first output
//!   is applied for every provider;
//! - `guarded_stream`: the stream wrapped around a provider's (keeps the
//!   instance alive, catches panics, replays what was read before the
//!   reply was handed out);
//! - `status`: [`ProviderStatus`] and [`ProviderInfo`].

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use crate::config::{ConfigLocation, ProviderConfig};
use crate::provider::LlmProvider;
use crate::settings::ResolvedSettings;
use crate::types::ModelInfo;
use crate::YatError;

mod builder;
mod chat;
mod def;
mod guarded_stream;
mod reload;
mod slots;

pub use crate::status::{ProviderInfo, ProviderStatus};
pub use builder::ManagerBuilder;
pub use def::{DynamicConstructor, DynamicSource, ProviderDef};

use slots::{def_info, info_of, unknown, Inner};

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
        ManagerBuilder::new()
    }

    /// The configuration location in use, if files are read.
    pub fn location(&self) -> Option<&ConfigLocation> {
        self.inner.location.as_ref()
    }

    /// The configuration as last read (the manager reads the file once per
    /// build or reload; a caller that needs more of it than the providers,
    /// like `Preferences::from_config`, reads it from here).
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

    /// The definitions that were not built because another provider has
    /// their id (a linked provider wins over a process plugin or a
    /// configured endpoint of the same id), each with status
    /// [`ProviderStatus::Shadowed`], in id order.
    pub fn shadowed(&self) -> Vec<ProviderInfo> {
        let st = self.read();
        st.shadowed
            .iter()
            .map(|(def, by)| def_info(def, ProviderStatus::Shadowed { by: by.clone() }, None))
            .collect()
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
        self.live(id).map(|l| l.provider)
    }

    /// The models of `id`. An error or a panic marks the provider failed.
    pub async fn list_models(&self, id: &str) -> Result<Vec<ModelInfo>, YatError> {
        let live = self.live(id)?;
        let result = AssertUnwindSafe(live.provider.list_models())
            .catch_unwind()
            .await;
        let result = match result {
            Ok(r) => r,
            Err(payload) => Err(YatError::ProviderPanicked {
                provider: id.to_owned(),
                message: panic_message(&*payload),
            }),
        };
        if let Err(e) = &result {
            self.mark_failed(id, live.generation, e.to_string());
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
}
