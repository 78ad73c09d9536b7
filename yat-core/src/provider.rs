//! The contract a provider implements, and the static data it registers.

use async_trait::async_trait;

use crate::settings::{ResolvedSettings, SettingSpec};
use crate::stream::ChatStream;
use crate::types::{ChatRequest, ModelInfo};
use crate::YatError;

pub use crate::capabilities::{format_size, Capabilities};

/// An LLM provider: the seed's three duties.
///
/// A provider is built by the constructor in its [`ProviderRegistration`],
/// then [`initialize`](LlmProvider::initialize)d with its resolved settings,
/// then shared (`Arc<dyn LlmProvider>`) by every caller. Reload builds a fresh
/// instance, so an instance never sees two configurations at once.
///
/// ```
/// use yat_core::{async_trait, ChatRequest, ChatStream, LlmProvider, ModelInfo, ResolvedSettings, YatError};
///
/// struct Shouty;
///
/// #[async_trait]
/// impl LlmProvider for Shouty {
///     async fn initialize(&mut self, _settings: &ResolvedSettings) -> Result<(), YatError> {
///         Ok(())
///     }
///     async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
///         Ok(vec![ModelInfo::new("shouty", "loud")])
///     }
///     async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
///         let last = req.messages.last().map(|m| m.text().to_uppercase()).unwrap_or_default();
///         Ok(yat_core::stream::from_text("shouty", vec![last]))
///     }
/// }
/// ```
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Reads settings and prepares the provider. Called once per instance by
    /// the manager; calling it again must start from a clean state (drop the
    /// old client, clear the old error), as the original app required.
    ///
    /// Keep it cheap: no network, and no HTTP client construction — build
    /// clients on first use so start-up stays fast for providers a command
    /// does not touch.
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError>;

    /// The models this provider offers.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError>;

    /// Starts a chat and returns its event stream. Errors found before the
    /// first event (bad key, unknown model) are returned here; errors after
    /// it arrive in the stream. Dropping the stream must cancel the request.
    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError>;

    /// What this provider claims to support; the conformance kit skips
    /// checks for capabilities not claimed.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The [model options](crate::options) `model` takes, sent in
    /// [`ChatRequest::extra`]. Declaring them lets a front end list them and
    /// check a user's before sending; the default, none, takes any field.
    fn model_options(&self, model: &str) -> Vec<crate::options::OptionSpec> {
        let _ = model;
        Vec::new()
    }

    /// What this instance says about itself between calls. The default,
    /// healthy with nothing to add, suits a provider whose failures are
    /// its calls' errors. A provider that can fail after it was built and
    /// recovers by itself on a later call (a child process restarted after
    /// a crash) reports the failure here: the manager then shows it as
    /// failed, and keeps the instance rather than discarding it when one of
    /// its calls fails, so the instance can recover.
    fn health(&self) -> crate::origin::Health {
        crate::origin::Health::default()
    }
}

/// Builds a fresh, uninitialized provider instance.
pub type Constructor = fn() -> Result<Box<dyn LlmProvider>, YatError>;

/// Static data a provider crate registers with [`register_provider!`](crate::register_provider).
///
/// Only the macro builds one: the fields are private, so the registering
/// crate's name and version are always the ones cargo compiled it as. A
/// program reads registrations through discovery and these accessors.
///
/// ```
/// // Registrations are read, not built: discovery hands out every linked one.
/// for reg in yat_core::registry::discover().registrations() {
///     println!("{} ({}) from {}@{}", reg.id(), reg.name(), reg.crate_name(), reg.crate_version());
///     for setting in reg.settings() {
///         println!("  {} ({:?})", setting.key, setting.kind);
///     }
/// }
/// ```
#[derive(Debug)]
pub struct ProviderRegistration {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    settings: &'static [SettingSpec],
    constructor: Constructor,
    crate_name: &'static str,
    crate_version: &'static str,
}

impl ProviderRegistration {
    /// Stable lowercase id (`openai`).
    pub const fn id(&self) -> &'static str {
        self.id
    }
    /// Display name (`OpenAI`).
    pub const fn name(&self) -> &'static str {
        self.name
    }
    /// One line on what it is (empty when the registration gives none).
    pub const fn description(&self) -> &'static str {
        self.description
    }
    /// The settings it reads.
    pub const fn settings(&self) -> &'static [SettingSpec] {
        self.settings
    }
    /// Builds a fresh, uninitialized instance.
    pub const fn constructor(&self) -> Constructor {
        self.constructor
    }
    /// The registering crate's name.
    pub const fn crate_name(&self) -> &'static str {
        self.crate_name
    }
    /// The registering crate's version.
    pub const fn crate_version(&self) -> &'static str {
        self.crate_version
    }

    // The items below are what `register_provider!` expands to; they are
    // not part of the API (hidden, and named so that no one types them).

    #[doc(hidden)]
    pub const fn __new(
        id: &'static str,
        name: &'static str,
        constructor: Constructor,
        crate_name: &'static str,
        crate_version: &'static str,
    ) -> Self {
        ProviderRegistration {
            id,
            name,
            description: "",
            settings: &[],
            constructor,
            crate_name,
            crate_version,
        }
    }
    #[doc(hidden)]
    pub const fn __with_settings(mut self, settings: &'static [SettingSpec]) -> Self {
        self.settings = settings;
        self
    }
    #[doc(hidden)]
    pub const fn __with_description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
}

/// Registers a provider so every program that links the crate discovers it.
///
/// `id`, `name` and `constructor` come first, in that order; `settings` and
/// `description` may follow. The macro fills in the crate's name and version,
/// so they cannot be typed wrong.
///
/// ```
/// use yat_core::{register_provider, SettingSpec};
/// # use yat_core::{async_trait, ChatRequest, ChatStream, LlmProvider, ModelInfo, ResolvedSettings, YatError};
/// # #[derive(Default)] struct Acme;
/// # #[async_trait] impl LlmProvider for Acme {
/// #   async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> { Ok(()) }
/// #   async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> { Ok(vec![]) }
/// #   async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> { unimplemented!() }
/// # }
///
/// const SETTINGS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["ACME_API_KEY"]).required()];
///
/// register_provider! {
///     id: "acme",
///     name: "Acme AI",
///     constructor: || Ok(Box::new(Acme::default())),
///     settings: SETTINGS,
///     description: "Acme's hosted models",
/// }
///
/// # fn main() {
/// let reg = yat_core::registry::discover().find("acme").unwrap();
/// assert_eq!(reg.name(), "Acme AI");
/// assert_eq!(reg.description(), "Acme's hosted models");
/// # }
/// ```
#[macro_export]
macro_rules! register_provider {
    (
        id: $id:expr,
        name: $name:expr,
        constructor: $ctor:expr
        $(, $field:ident : $value:expr)* $(,)?
    ) => {
        $crate::__submit_registration! {
            $crate::__registration_fields!(
                $crate::ProviderRegistration::__new(
                    $id,
                    $name,
                    $ctor,
                    ::core::env!("CARGO_PKG_NAME"),
                    ::core::env!("CARGO_PKG_VERSION"),
                );
                $( $field : $value, )*
            )
        }
    };
    ($($other:tt)*) => {
        ::core::compile_error!(
            "register_provider! expects `id: \"...\", name: \"...\", constructor: || ...` \
             in that order, optionally followed by `settings: ...` and `description: \"...\"`"
        );
    };
}

/// Applies `register_provider!`'s optional fields, one at a time.
#[doc(hidden)]
#[macro_export]
macro_rules! __registration_fields {
    ($reg:expr;) => { $reg };
    ($reg:expr; settings : $value:expr, $($rest:tt)*) => {
        $crate::__registration_fields!($reg.__with_settings($value); $($rest)*)
    };
    ($reg:expr; description : $value:expr, $($rest:tt)*) => {
        $crate::__registration_fields!($reg.__with_description($value); $($rest)*)
    };
    // Any other name: looked up among the optional fields' names, so the
    // compiler's error points at the misspelt field in the caller's code
    // and suggests the name it resembles.
    ($reg:expr; $field:ident : $value:expr, $($rest:tt)*) => {{
        let _: () = $crate::__private::optional_fields::$field;
        $crate::__registration_fields!($reg; $($rest)*)
    }};
}
