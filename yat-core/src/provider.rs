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
}

/// Builds a fresh, uninitialized provider instance.
pub type Constructor = fn() -> Result<Box<dyn LlmProvider>, YatError>;

/// Static data a provider crate registers with [`register_provider!`](crate::register_provider).
///
/// Build one only through the macro: it records the registering crate's name
/// and version and the yat-core version it was compiled against, which is how
/// `yat providers --verbose` can tell a plugin author which API they built for.
///
/// ```
/// // Registrations are read, not built: discovery hands out every linked one.
/// for reg in yat_core::registry::discover().registrations() {
///     println!("{} ({}) from {}@{}, built against yat-core {}",
///         reg.id, reg.name, reg.crate_name, reg.crate_version, reg.core_version);
///     for setting in reg.settings {
///         println!("  {} ({:?})", setting.key, setting.kind);
///     }
/// }
/// ```
#[derive(Debug)]
pub struct ProviderRegistration {
    /// Stable lowercase id (`openai`).
    pub id: &'static str,
    /// Display name (`OpenAI`).
    pub name: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// The settings it reads.
    pub settings: &'static [SettingSpec],
    /// Builds an instance.
    pub constructor: Constructor,
    /// The registering crate's name.
    pub crate_name: &'static str,
    /// The registering crate's version.
    pub crate_version: &'static str,
    /// The yat-core version the registering crate was compiled against.
    pub core_version: &'static str,
}

impl ProviderRegistration {
    #[doc(hidden)]
    pub const fn __new(
        id: &'static str,
        name: &'static str,
        constructor: Constructor,
        crate_name: &'static str,
        crate_version: &'static str,
        core_version: &'static str,
    ) -> Self {
        ProviderRegistration {
            id,
            name,
            description: "",
            settings: &[],
            constructor,
            crate_name,
            crate_version,
            core_version,
        }
    }
    /// Sets the settings (for use inside `register_provider!`).
    pub const fn settings(mut self, settings: &'static [SettingSpec]) -> Self {
        self.settings = settings;
        self
    }
    /// Sets the description (for use inside `register_provider!`).
    pub const fn description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
}

/// Registers a provider so every program that links the crate discovers it.
///
/// `id`, `name` and `constructor` come first, in that order; `settings` and
/// `description` may follow. The macro fills in the crate's name and version
/// and the yat-core version, so they cannot be typed wrong.
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
/// assert_eq!(reg.name, "Acme AI");
/// assert_eq!(reg.core_version, yat_core::CORE_VERSION);
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
            $crate::ProviderRegistration::__new(
                $id,
                $name,
                $ctor,
                ::core::env!("CARGO_PKG_NAME"),
                ::core::env!("CARGO_PKG_VERSION"),
                $crate::CORE_VERSION,
            )
            $( .$field($value) )*
        }
    };
    ($($other:tt)*) => {
        ::core::compile_error!(
            "register_provider! expects `id: \"...\", name: \"...\", constructor: || ...` \
             in that order, optionally followed by `settings: ...` and `description: \"...\"`"
        );
    };
}
