//! What the manager can build: a linked registration or a definition made
//! at run time from the configuration.

use std::sync::Arc;

use crate::config::ProviderConfig;
use crate::origin::ProviderKind;
use crate::provider::{Constructor, LlmProvider, ProviderRegistration};
use crate::settings::SettingSpec;
use crate::YatError;

/// A factory for providers defined at run time (from the config file).
pub type DynamicConstructor =
    Arc<dyn Fn() -> Result<Box<dyn LlmProvider>, YatError> + Send + Sync + 'static>;

/// Produces extra provider definitions from the configuration, re-run on
/// every full reload. This is how user-defined endpoints declared in
/// `provider_config.json`, and process plugins, become providers without
/// recompiling. A builder takes several; for an id given twice, linked
/// registrations win, then the sources in the order they were added.
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
///     assert_eq!(def.id, reg.id());
///     assert!(!def.user_defined);
/// }
/// ```
#[non_exhaustive]
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
    /// Whether it came from the config file rather than a linked crate
    /// (`kind` is [`ProviderKind::UserDefined`]; kept for 0.3 programs).
    pub user_defined: bool,
    /// What kind of provider it is and where its code is.
    pub kind: ProviderKind,
    factory: Factory,
}

impl std::fmt::Debug for ProviderDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderDef")
            .field("id", &self.id)
            .field("crate", &self.crate_name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl ProviderDef {
    /// The definition of a linked registration.
    pub fn from_registration(r: &'static ProviderRegistration) -> Self {
        ProviderDef {
            id: r.id().to_owned(),
            name: r.name().to_owned(),
            description: r.description().to_owned(),
            settings: r.settings().to_vec(),
            crate_name: r.crate_name().to_owned(),
            crate_version: r.crate_version().to_owned(),
            user_defined: false,
            kind: ProviderKind::Linked,
            factory: Factory::Static(r.constructor()),
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
            user_defined: true,
            kind: ProviderKind::UserDefined,
            factory: Factory::Dynamic(constructor),
        }
    }

    /// The same definition, of another kind (a process plugin's source
    /// says [`ProviderKind::Process`]). `user_defined` follows the kind.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use yat_core::{ProcessOrigin, ProviderDef, ProviderKind, YatError};
    /// let origin = ProcessOrigin::new("/bin/yat-provider-acme".into(), vec!["/bin/yat-provider-acme".into()], "PATH");
    /// let def = ProviderDef::dynamic("acme", "Acme", vec![], ("my-host", "1.0.0"),
    ///     Arc::new(|| Err(YatError::Unavailable { provider: "acme".into(), reason: "demo".into() })))
    ///     .with_kind(ProviderKind::Process(origin))
    ///     .with_description("Acme models, out of process");
    /// assert!(!def.user_defined);
    /// assert_eq!(def.kind.label(), "process");
    /// ```
    pub fn with_kind(mut self, kind: ProviderKind) -> Self {
        self.user_defined = kind == ProviderKind::UserDefined;
        self.kind = kind;
        self
    }

    /// The same definition, with another one-line description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The stand-in for an id that two linked crates registered: it never
    /// builds, and its status says why. `first` is `crate@version`.
    pub(super) fn duplicate(id: &str, first: &str) -> Self {
        let (crate_name, crate_version) = first.split_once('@').unwrap_or((first, ""));
        ProviderDef {
            id: id.to_owned(),
            name: id.to_owned(),
            description: String::new(),
            settings: Vec::new(),
            crate_name: crate_name.to_owned(),
            crate_version: crate_version.to_owned(),
            user_defined: false,
            kind: ProviderKind::Linked,
            factory: Factory::Dynamic(Arc::new(|| {
                Err(YatError::Unavailable {
                    provider: String::new(),
                    reason: "duplicate registration".into(),
                })
            })),
        }
    }

    pub(super) fn construct(&self) -> Result<Box<dyn LlmProvider>, YatError> {
        match &self.factory {
            Factory::Static(f) => f(),
            Factory::Dynamic(f) => f(),
        }
    }
}
