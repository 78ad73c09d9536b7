//! The OpenAI-compatible family, as data.
//!
//! Each entry becomes a registered provider behind the cargo feature of the
//! same name. Its settings are `api_key` and `base_url` (read from
//! `<ID>_API_KEY` and `<ID>_BASE_URL`, which for every vendor here is also
//! the vendor's own variable name), plus the shared HTTP timeouts. Adding a
//! vendor is one more entry in the table at the bottom of this file and a
//! feature in `Cargo.toml`.
//!
//! What each vendor takes beyond text (`claims`) is written from its own
//! documentation, cited next to the entry; the manager refuses a request
//! that needs something not claimed before it is sent. Every server's
//! stream is read the same way whatever it claims: tool-call fragments,
//! `reasoning_content`/`reasoning` deltas and usage details are decoded
//! whenever they appear.

use yat_core::Capabilities;

use super::{MaxTokensField, Profile, ReasoningField};

/// One vendor's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Provider id (also the cargo feature).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Default base URL (ending before `/chat/completions`).
    pub base_url: &'static str,
    /// Whether a key is required (local servers need none).
    pub key_required: bool,
    /// Token-limit field.
    pub max_tokens_field: MaxTokensField,
    /// Whether `stream_options.include_usage` is accepted.
    pub stream_usage: bool,
    /// What the server takes.
    pub capabilities: Capabilities,
    /// How it takes a reasoning request.
    pub reasoning_field: ReasoningField,
}

/// What every server of the family has: usage when asked for it, unknown
/// models rejected, `max_tokens` and stop sequences honoured.
pub const fn base_capabilities(stream_usage: bool) -> Capabilities {
    Capabilities::none()
        .with_usage(stream_usage)
        .with_rejects_unknown_models(true)
        .with_max_tokens(true)
        .with_stop_sequences(true)
}

impl Preset {
    /// The runtime profile of this preset.
    pub fn profile(&self) -> Profile {
        Profile {
            id: self.id.to_owned(),
            default_base_url: self.base_url.to_owned(),
            max_tokens_field: self.max_tokens_field,
            stream_usage: self.stream_usage,
            static_models: Vec::new(),
            list_models: true,
            capabilities: self.capabilities,
            reasoning_field: self.reasoning_field,
        }
    }
}

macro_rules! presets {
    ($(
        $feature:literal => $module:ident {
            name: $name:literal,
            base_url: $url:literal,
            key: $key:ident,
            max_tokens: $mt:ident,
            stream_usage: $usage:literal,
            claims: [$($claim:ident),* $(,)?],
            $(max_bytes: { image: $img:expr, document: $doc:expr },)?
            $(reasoning_field: $rf:ident,)?
            description: $desc:literal
            $(, extra_settings: [$($extra:expr),* $(,)?])?
            $(,)?
        }
    )*) => {
        /// Every preset compiled into this build.
        pub const ALL: &[Preset] = &[$(
            #[cfg(feature = $feature)]
            $module::PRESET,
        )*];

        $(
            #[cfg(feature = $feature)]
            #[doc = concat!("The `", $feature, "` preset: ", $desc)]
            pub mod $module {
                use super::Preset;
                use yat_http as http;
                use crate::openai::{MaxTokensField, OpenAiCompatible, ReasoningField};
                use yat_core::SettingSpec;

                /// This preset's data.
                pub const PRESET: Preset = Preset {
                    id: $feature,
                    name: $name,
                    base_url: $url,
                    key_required: presets!(@required $key),
                    max_tokens_field: MaxTokensField::$mt,
                    stream_usage: $usage,
                    capabilities: {
                        let c = super::base_capabilities($usage);
                        $(let c = presets!(@claim c, $claim);)*
                        $(let c = c
                            .with_max_image_bytes($img * yat_core::Capabilities::MB)
                            .with_max_document_bytes($doc * yat_core::Capabilities::MB);)?
                        c
                    },
                    reasoning_field: presets!(@reasoning $($rf)?),
                };

                /// The settings it reads.
                pub const SETTINGS: &[SettingSpec] = &[
                    presets!(@key $key),
                    SettingSpec::url("base_url", "Base URL", &[]).default_value($url),
                    $($($extra,)*)?
                    http::CONNECT_TIMEOUT,
                    http::FIRST_BYTE_TIMEOUT,
                    http::IDLE_TIMEOUT,
                    http::MAX_RETRIES,
                ];

                yat_core::register_provider! {
                    id: $feature,
                    name: $name,
                    constructor: || Ok(Box::new(OpenAiCompatible::new(PRESET.profile()))),
                    settings: SETTINGS,
                    description: $desc,
                }
            }
        )*
    };
    (@claim $c:ident, tools) => { $c.with_tools(true) };
    (@claim $c:ident, parallel_tools) => { $c.with_parallel_tools(true) };
    (@claim $c:ident, images) => { $c.with_images(true) };
    (@claim $c:ident, documents) => { $c.with_documents(true) };
    (@claim $c:ident, json_schema) => { $c.with_json_schema(true) };
    (@claim $c:ident, json_object) => { $c.with_json_object(true) };
    (@claim $c:ident, reasoning) => { $c.with_reasoning(true) };
    (@claim $c:ident, usage_details) => { $c.with_usage_details(true) };
    (@reasoning) => { ReasoningField::Effort };
    (@reasoning $rf:ident) => { ReasoningField::$rf };
    (@required required) => { true };
    (@required optional) => { false };
    (@key required) => { SettingSpec::secret("api_key", "API key", &[]).required() };
    (@key optional) => { SettingSpec::secret("api_key", "API key (optional)", &[]) };
}

presets! {
    "openai" => openai {
        name: "OpenAI",
        base_url: "https://api.openai.com/v1",
        key: required,
        max_tokens: MaxCompletionTokens,
        stream_usage: true,
        // Chat Completions reference: tools, parallel_tool_calls, image_url and file parts,
        // json_schema response format, reasoning_effort, cached and reasoning token details.
        claims: [tools, parallel_tools, images, documents, json_schema, reasoning, usage_details, json_object],
        // Images up to 20 MB each, PDF files up to 32 MB (the vision and
        // file-input guides).
        max_bytes: { image: 20, document: 32 },
        description: "OpenAI Chat Completions",
        extra_settings: [
            SettingSpec::text("organization", "Organization", &["OPENAI_ORG_ID"]),
            SettingSpec::text("project", "Project", &["OPENAI_PROJECT_ID"]),
            crate::openai::token_field::SETTING,
        ],
    }
    "deepseek" => deepseek {
        name: "DeepSeek",
        base_url: "https://api.deepseek.com/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        // api-docs.deepseek.com: function calling, thinking mode with reasoning_effort
        // (low/high; medium maps to high), reasoning_content streamed, prompt_cache_hit_tokens;
        // no image input, JSON output as json_object only.
        claims: [tools, reasoning, usage_details, json_object],
        description: "DeepSeek's OpenAI-compatible API",
    }
    "groq" => groq {
        name: "Groq",
        base_url: "https://api.groq.com/openai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        // console.groq.com/docs: tool use with parallel_tool_calls, vision models take
        // image_url, structured outputs (json_schema), reasoning_effort and a `reasoning` delta.
        claims: [tools, parallel_tools, images, json_schema, reasoning, json_object],
        description: "Groq's OpenAI-compatible API",
    }
    "mistral" => mistral {
        name: "Mistral",
        base_url: "https://api.mistral.ai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        // docs.mistral.ai: function calling with parallel_tool_calls, vision (image_url),
        // custom structured outputs (json_schema); documents go through its own OCR API.
        claims: [tools, parallel_tools, images, json_schema, json_object],
        description: "Mistral La Plateforme (sends usage unasked)",
    }
    "openrouter" => openrouter {
        name: "OpenRouter",
        base_url: "https://openrouter.ai/api/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        // openrouter.ai/docs: tool calling, images and PDFs as `file` parts, structured
        // outputs, the unified `reasoning` parameter and `delta.reasoning`, usage details.
        claims: [tools, parallel_tools, images, documents, json_schema, reasoning, usage_details, json_object],
        reasoning_field: Object,
        description: "OpenRouter: many vendors' models, ids like anthropic/claude-3.5-sonnet",
    }
    "together" => together {
        name: "Together AI",
        base_url: "https://api.together.xyz/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        // docs.together.ai: function calling, vision models, JSON schema mode.
        claims: [tools, parallel_tools, images, json_schema, json_object],
        description: "Together AI's OpenAI-compatible API (sends usage unasked)",
    }
    "xai" => xai {
        name: "xAI",
        base_url: "https://api.x.ai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        // docs.x.ai: function calling, image understanding, structured outputs,
        // reasoning_effort for its mini reasoning models, reasoning_content, token details.
        claims: [tools, parallel_tools, images, json_schema, reasoning, usage_details, json_object],
        description: "xAI Grok models",
    }
    "fireworks" => fireworks {
        name: "Fireworks AI",
        base_url: "https://api.fireworks.ai/inference/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        // docs.fireworks.ai: function calling, vision models, JSON schema response format.
        claims: [tools, images, json_schema, json_object],
        description: "Fireworks AI's OpenAI-compatible API (sends usage unasked)",
    }
    "ollama" => ollama {
        name: "Ollama",
        base_url: "http://localhost:11434/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: true,
        // docs.ollama.com/api/openai-compatibility: tools, vision (image content),
        // response_format, reasoning_effort; a `reasoning` delta from thinking models.
        claims: [tools, images, json_schema, reasoning, json_object],
        description: "A local Ollama server (no key)",
    }
    "lmstudio" => lmstudio {
        name: "LM Studio",
        base_url: "http://localhost:1234/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: false,
        // lmstudio.ai/docs: tool use, image input for VLMs, structured output (json_schema).
        claims: [tools, images, json_schema],
        description: "A local LM Studio server (no key)",
    }
    "vllm" => vllm {
        name: "vLLM",
        base_url: "http://localhost:8000/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: true,
        // docs.vllm.ai: tool calling (with --enable-auto-tool-choice), multimodal
        // image_url input, structured outputs; reasoning_content with a reasoning parser.
        claims: [tools, parallel_tools, images, json_schema, json_object],
        description: "A vLLM server (key only if started with --api-key)",
    }
    "llamacpp" => llamacpp {
        name: "llama.cpp",
        base_url: "http://localhost:8080/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: false,
        // llama.cpp tools/server README: tool calls (--jinja), multimodal image_url
        // (with an mmproj), response_format json_schema; reasoning_content from thinking models.
        claims: [tools, images, json_schema, json_object],
        description: "A local llama.cpp server (no key)",
    }
}
