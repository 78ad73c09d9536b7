//! The contract a provider implements, and the static data it registers.

use async_trait::async_trait;

use crate::settings::{ResolvedSettings, SettingSpec};
use crate::stream::ChatStream;
use crate::types::{ChatRequest, ModelInfo, ResponseFormat};
use crate::YatError;

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

/// Optional behaviour a provider may or may not have.
///
/// The manager checks every request against these before it reaches the
/// provider ([`Capabilities::check`]): a request with tools, images,
/// documents, a JSON schema or reasoning for a provider that does not claim
/// them fails with [`YatError::Unsupported`] before anything is sent.
///
/// ```
/// use yat_core::Capabilities;
/// let caps = Capabilities::default().with_stop_sequences(true).with_tools(true);
/// assert!(caps.usage && caps.rejects_unknown_models && caps.max_tokens && caps.stop_sequences);
/// assert!(caps.tools && !caps.images);
/// assert!(!Capabilities::none().usage);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Streams report token usage.
    pub usage: bool,
    /// Usage reports carry details (cache or reasoning tokens) when there are any.
    pub usage_details: bool,
    /// An unknown model id gives [`YatError::ModelNotFound`] (or
    /// `InvalidRequest`) rather than some default model.
    pub rejects_unknown_models: bool,
    /// Honours `max_tokens` by finishing with [`FinishReason::Length`](crate::FinishReason::Length).
    pub max_tokens: bool,
    /// Honours stop sequences.
    pub stop_sequences: bool,
    /// Tool calls (and tool results in the conversation).
    pub tools: bool,
    /// Several tool calls in one turn.
    pub parallel_tools: bool,
    /// Image parts in user messages.
    pub images: bool,
    /// Document (PDF) parts in user messages.
    pub documents: bool,
    /// [`ResponseFormat::JsonSchema`](crate::ResponseFormat::JsonSchema) output.
    pub json_schema: bool,
    /// Reasoning requests, and reasoning sent back on later turns.
    pub reasoning: bool,
}

impl Default for Capabilities {
    /// What a text provider usually has: usage, unknown models rejected,
    /// `max_tokens` honoured; nothing richer.
    fn default() -> Self {
        Capabilities {
            usage: true,
            rejects_unknown_models: true,
            max_tokens: true,
            ..Capabilities::none()
        }
    }
}

macro_rules! capability_setters {
    ($($field:ident => $setter:ident),* $(,)?) => {
        $(
            #[doc = concat!("Sets [`Capabilities::", stringify!($field), "`].")]
            pub const fn $setter(mut self, yes: bool) -> Self {
                self.$field = yes;
                self
            }
        )*
    };
}

impl Capabilities {
    /// Nothing optional claimed.
    pub const fn none() -> Self {
        Capabilities {
            usage: false,
            usage_details: false,
            rejects_unknown_models: false,
            max_tokens: false,
            stop_sequences: false,
            tools: false,
            parallel_tools: false,
            images: false,
            documents: false,
            json_schema: false,
            reasoning: false,
        }
    }

    capability_setters! {
        usage => with_usage,
        usage_details => with_usage_details,
        rejects_unknown_models => with_rejects_unknown_models,
        max_tokens => with_max_tokens,
        stop_sequences => with_stop_sequences,
        tools => with_tools,
        parallel_tools => with_parallel_tools,
        images => with_images,
        documents => with_documents,
        json_schema => with_json_schema,
        reasoning => with_reasoning,
    }

    /// Refuses a request that needs a capability not claimed here, naming it.
    ///
    /// Reasoning parts of earlier turns are not refused: a provider without
    /// reasoning drops them when it sends the conversation, so a conversation
    /// can move between providers.
    ///
    /// ```
    /// use yat_core::{Capabilities, ChatRequest, Media, Message, Part, YatError};
    /// let req = ChatRequest::new("m", vec![Message::user("What is this?").with_part(Part::Image(Media::url("https://x/y.png")))]);
    /// match Capabilities::default().check("acme", &req) {
    ///     Err(YatError::Unsupported { capability, .. }) => assert_eq!(capability, "images"),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(Capabilities::default().with_images(true).check("acme", &req).is_ok());
    /// ```
    pub fn check(&self, provider: &str, request: &ChatRequest) -> Result<(), YatError> {
        let refuse = |capability: &str, message: &str| {
            Err(YatError::Unsupported {
                provider: provider.to_owned(),
                capability: capability.to_owned(),
                message: message.to_owned(),
            })
        };
        if !self.tools
            && (!request.tools.is_empty()
                || request.has_part("tool_call")
                || request.has_part("tool_result"))
        {
            return refuse("tools", "this provider does not take tools or tool calls");
        }
        if !self.parallel_tools && request.parallel_tool_calls == Some(true) {
            return refuse(
                "parallel_tools",
                "this provider makes at most one tool call per turn",
            );
        }
        if !self.images && request.has_part("image") {
            return refuse("images", "this provider does not take images");
        }
        if !self.documents && request.has_part("document") {
            return refuse("documents", "this provider does not take documents");
        }
        if !self.json_schema
            && matches!(request.response_format, Some(ResponseFormat::JsonSchema(_)))
        {
            return refuse(
                "json_schema",
                "this provider cannot hold a reply to a JSON schema",
            );
        }
        if !self.reasoning && request.reasoning.is_some() {
            return refuse("reasoning", "this provider has no reasoning settings");
        }
        Ok(())
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
