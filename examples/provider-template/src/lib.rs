//! # yat-provider-template
//!
//! A complete yat provider to copy: every step a real provider takes, in
//! order, with what yat expects at each one. The "API" it talks to is a
//! local function (`remote_reply`) so the crate builds and passes the
//! conformance suite offline; replace that function with your HTTP call.
//!
//! A program gets this provider by depending on the crate and linking it:
//!
//! ```
//! // In the program's main.rs (or lib.rs): keep the crate linked, and
//! // check at compile time that it was built against the program's yat-core.
//! const _: fn(yat_core::manager::ManagerBuilder) -> yat_core::manager::ManagerBuilder =
//!     yat_provider_template::link;
//!
//! let found = yat_core::registry::discover();
//! assert!(found.find("template").is_some());
//! ```

// ─── STEP 1 — imports ─────────────────────────────────────────────────────
// Everything a provider needs comes from yat-core: the trait, the types of
// requests and events, the error taxonomy and the settings machinery.
// `async_trait` is re-exported so your crate needs no extra dependency.
use futures::stream;
use yat_core::manager::ManagerBuilder;
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatStream, Failure, Finish, FinishReason,
    LlmProvider, ModelInfo, ResolvedSettings, Role, Secret, SettingKind, SettingSpec, Usage,
    YatError,
};

// ─── STEP 2 — the id and the name ─────────────────────────────────────────
// The id is how users name your provider everywhere: `yat chat -m
// template/template-echo`, `provider_config.json`, the implicit environment
// variables (`TEMPLATE_API_KEY`). Lowercase, stable, unique among all
// providers a program links: two crates registering one id are both
// rejected, with an error naming both crates.

/// The provider id.
pub const ID: &str = "template";
/// The display name.
pub const NAME: &str = "Template";

// ─── STEP 3 — declare the settings ────────────────────────────────────────
// Static data: yat resolves each setting before `initialize` runs, from (in
// order) the process environment, `.env` files, `provider_config.json`, then
// the default declared here. Each is read from the variables listed *and*
// from `<ID>_<KEY>` (here `TEMPLATE_API_KEY`, `TEMPLATE_BASE_URL`, ...).
//
// A `required` setting that no source supplies leaves the provider in
// "needs configuration" (with the variable to set) and `initialize` is not
// called at all, so you never see a missing required value.

/// The settings this provider reads.
pub const SETTINGS: &[SettingSpec] = &[
    // `secret`: held as a `Secret`, never printed, trimmed of whitespace and
    // quotes. List the variable your vendor documents; the implicit
    // `TEMPLATE_API_KEY` is read too (and it is the same one here).
    SettingSpec::secret("api_key", "API key", &["TEMPLATE_API_KEY"])
        .required()
        .help("Your Template API key"),
    // A URL with a default: lets tests and proxies point the provider elsewhere.
    SettingSpec::url("base_url", "Base URL", &[])
        .default_value("https://api.template.invalid/v1")
        .help("Where the API lives"),
    // Any kind: secret, text, url, integer, float, bool. Values arrive as
    // text; the typed getters (`get_u64`, `get_f64`, `get_bool`) validate.
    SettingSpec::new(
        "timeout_secs",
        "Request timeout (s)",
        SettingKind::Integer,
        &[],
    )
    .default_value("60"),
];

// ─── STEP 4 — register ────────────────────────────────────────────────────
// One macro call, anywhere in the crate, and the only way to build a
// registration. It records id, name, settings and the constructor, plus
// this crate's name and version (shown by `yat providers --verbose`).
// `id`, `name` and `constructor` come first, in that order.
//
// The constructor only allocates: it runs for every enabled provider at
// start-up, so no I/O, no client, no reading of the environment here.
yat_core::register_provider! {
    id: ID,
    name: NAME,
    constructor: || Ok(Box::new(TemplateProvider::default())),
    settings: SETTINGS,
    description: "Template provider: echoes the last user message (replace with your API)",
}

// ─── STEP 5 — the link function ───────────────────────────────────────────
// Programs must reference your crate or the linker drops it and its
// registration with it (the linking rule, docs/PLUGINS.md). `use
// yat_provider_template as _;` is enough for that; this function does it and
// more: its signature names yat-core's `ManagerBuilder`, so a program built
// against a different yat-core fails to compile ("perhaps two different
// versions of crate `yat_core` are being used?") instead of silently not
// listing your provider.

/// Keeps this crate linked into the program, and checks at compile time that
/// the program and this crate share one yat-core.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// let manager = yat_provider_template::link(yat_core::ProviderManager::builder())
///     .env(Default::default())
///     .build()
///     .await?;
/// assert!(manager.ids().contains(&"template".to_string()));
/// # Ok(()) }
/// ```
pub fn link(builder: ManagerBuilder) -> ManagerBuilder {
    builder
}

// ─── STEP 6 — the provider type ───────────────────────────────────────────
// Built by the constructor, then `initialize`d once, then shared by every
// caller as `Arc<dyn LlmProvider>` (so `&self` everywhere after
// initialization; use interior mutability only for caches). A reload builds
// a fresh instance; streams running on the old one finish on it.

/// The configured state: what `initialize` produced. An HTTP provider keeps
/// here a `yat_http::Connection` (the HTTP kit's transport, whose client is
/// built by the first request; see examples/acme-provider): start-up stays
/// cheap for providers a program links but does not use.
#[derive(Debug)]
struct Client {
    api_key: Secret,
    base_url: String,
    timeout_secs: u64,
}

/// The provider. `Default` is the unconfigured state.
#[derive(Debug, Default)]
pub struct TemplateProvider {
    client: Option<Client>,
}

/// The models this provider offers. A provider whose API lists models can
/// fetch them in `list_models` instead.
const MODELS: &[(&str, &str, u32)] = &[
    ("template-echo", "Template Echo", 8_192),
    ("template-echo-large", "Template Echo Large", 128_000),
];

#[async_trait]
impl LlmProvider for TemplateProvider {
    // ─── STEP 7 — duty 1: initialize ──────────────────────────────────────
    // Read the resolved settings and prepare. Rules:
    // - Start from a clean state: it may be called again, and the old client
    //   and any old error must not survive (`self.client = None` first).
    // - No network, no HTTP client yet. Validate what can be validated
    //   locally and return a typed error (`InvalidSetting`, `Unavailable`):
    //   the manager marks the provider failed with that reason and every
    //   other provider keeps working. A panic is caught too, but an error
    //   reads better.
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        self.client = None;

        // Required, so present whenever initialize runs under the manager;
        // still checked, because tests and programs may call it directly.
        let api_key = settings
            .secret("api_key")
            .ok_or_else(|| YatError::Unavailable {
                provider: ID.into(),
                reason: "TEMPLATE_API_KEY is not set".into(),
            })?;
        let base_url = settings
            .get("base_url")
            .unwrap_or("https://api.template.invalid/v1")
            .trim_end_matches('/')
            .to_owned();
        if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
            return Err(YatError::InvalidSetting {
                provider: ID.into(),
                key: "base_url".into(),
                message: format!("expected an http(s) URL, got {base_url:?}"),
            });
        }
        // `get_u64` reports a non-number as `InvalidSetting`, naming where
        // the value came from (and never printing a secret).
        let timeout_secs = settings.get_u64("timeout_secs")?.unwrap_or(60);

        self.client = Some(Client {
            api_key,
            base_url,
            timeout_secs,
        });
        Ok(())
    }

    // ─── STEP 8 — duty 2: list the models ─────────────────────────────────
    // `ModelInfo::new(provider id, model id)` plus what you know: display
    // name, context length, output limit. Ids must be unique and non-empty.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        Ok(MODELS
            .iter()
            .map(|(id, name, context)| {
                ModelInfo::new(ID, *id)
                    .display_name(*name)
                    .context_length(*context)
                    .max_output_tokens(1_024)
            })
            .collect())
    }

    // ─── STEP 9 — duty 3: stream a chat ───────────────────────────────────
    // Return errors found before anything streams (not configured, unknown
    // model, HTTP status of the response) from this function; errors after
    // the first event go into the stream as `Err` items.
    //
    // The stream: any number of `Delta`s, at most one `Usage`, and exactly one
    // `Finish`, last. Dropping it must cancel the request: build it from
    // values it owns (the HTTP response, a buffer), never from a spawned task
    // that outlives it.
    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        let client = self.client.as_ref().ok_or_else(|| YatError::Unavailable {
            provider: ID.into(),
            reason: "not initialized".into(),
        })?;
        if !MODELS.iter().any(|(id, _, _)| *id == request.model) {
            // The conformance suite checks this: an unknown model is a typed
            // error naming the provider, never a silent default.
            return Err(YatError::ModelNotFound(Failure::new(
                ID,
                format!("no model {:?}", request.model),
            )));
        }
        if !request.messages.iter().any(|m| m.role == Role::User) {
            return Err(YatError::InvalidRequest(Failure::new(
                ID,
                "the conversation has no user message",
            )));
        }

        // Here an HTTP provider sends the request with yat-http (see
        // examples/acme-provider): build an `HttpRequest` from `request`,
        // with the key as a secret header, and hand it to the transport's
        // `stream` with its framing (SSE or NDJSON) and a decoder of the
        // API's messages; the kit maps a non-2xx status to the error
        // taxonomy. Retries and fallbacks are the manager's, not yours.
        let reply = remote_reply(client, request);
        Ok(into_stream(reply))
    }

    // ─── STEP 10 — capabilities ───────────────────────────────────────────
    // What you claim, the conformance suite checks; what you do not claim,
    // it skips. Claim only what your API really does.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_usage(true)
            .with_rejects_unknown_models(true)
            .with_max_tokens(true)
            .with_stop_sequences(true)
    }
}

/// What the "remote API" sends back: the words of the reply, why it ended,
/// and the token counts.
#[derive(Debug)]
struct RemoteReply {
    words: Vec<String>,
    finish: Finish,
    usage: Usage,
}

/// Stands in for the provider's API: echoes the last user message, one word
/// per token, honouring `max_tokens` and stop sequences the way real APIs
/// do. Replace it with your HTTP call.
fn remote_reply(client: &Client, request: &ChatRequest) -> RemoteReply {
    // A real provider sends these; the template only shows where they go.
    let _ = (
        client.api_key.expose(),
        &client.base_url,
        client.timeout_secs,
    );

    let prompt = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.text())
        .unwrap_or_default();

    // A stop sequence ends the text before it ...
    let mut text: &str = &prompt;
    let mut finish = Finish::new(FinishReason::Stop, "complete");
    if let Some(pos) = request
        .stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text = &text[..pos];
        finish = Finish::new(FinishReason::StopSequence, "stop_sequence");
    }
    // ... and the token limit cuts it short with `Length`.
    let mut words: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
    if let Some(max) = request.max_tokens {
        if words.len() > max as usize {
            words.truncate(max as usize);
            finish = Finish::new(FinishReason::Length, "max_tokens");
        }
    }
    let input_tokens = request
        .messages
        .iter()
        .map(|m| m.text().split_whitespace().count() as u64)
        .sum();
    RemoteReply {
        usage: Usage::new(input_tokens, words.len() as u64),
        words,
        finish,
    }
}

/// Turns a reply into the event stream: deltas, then usage, then the finish.
///
/// The stream owns everything it needs (`'static`), so dropping it drops the
/// reply: with an HTTP body in place of `words`, that closes the connection,
/// which is how yat cancels.
fn into_stream(reply: RemoteReply) -> ChatStream {
    let deltas = reply
        .words
        .into_iter()
        .map(|text| Ok(ChatEvent::Delta { text }));
    let tail = [
        Ok(ChatEvent::Usage(reply.usage)),
        Ok(ChatEvent::Finish(reply.finish)),
    ];
    Box::pin(stream::iter(deltas.chain(tail)))
}
