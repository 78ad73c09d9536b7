//! The OpenAI-compatible family, as data.
//!
//! Each entry becomes a registered provider behind the cargo feature of the
//! same name. Its settings are `api_key` and `base_url` (read from
//! `<ID>_API_KEY` and `<ID>_BASE_URL`, which for every vendor here is also
//! the vendor's own variable name), plus the shared HTTP timeouts. Adding a
//! vendor is one more entry in the table at the bottom of this file and a
//! feature in `Cargo.toml`.

use super::{MaxTokensField, Profile};

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
                use crate::http;
                use crate::openai::{MaxTokensField, OpenAiCompatible};
                use yat_core::SettingSpec;

                /// This preset's data.
                pub const PRESET: Preset = Preset {
                    id: $feature,
                    name: $name,
                    base_url: $url,
                    key_required: presets!(@required $key),
                    max_tokens_field: MaxTokensField::$mt,
                    stream_usage: $usage,
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
        description: "OpenAI Chat Completions",
        extra_settings: [
            SettingSpec::text("organization", "Organization", &["OPENAI_ORG_ID"]),
            SettingSpec::text("project", "Project", &["OPENAI_PROJECT_ID"]),
        ],
    }
    "deepseek" => deepseek {
        name: "DeepSeek",
        base_url: "https://api.deepseek.com/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "DeepSeek's OpenAI-compatible API",
    }
    "groq" => groq {
        name: "Groq",
        base_url: "https://api.groq.com/openai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "Groq's OpenAI-compatible API",
    }
    "mistral" => mistral {
        name: "Mistral",
        base_url: "https://api.mistral.ai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        description: "Mistral La Plateforme (sends usage unasked)",
    }
    "openrouter" => openrouter {
        name: "OpenRouter",
        base_url: "https://openrouter.ai/api/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "OpenRouter: many vendors' models, ids like anthropic/claude-3.5-sonnet",
    }
    "together" => together {
        name: "Together AI",
        base_url: "https://api.together.xyz/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        description: "Together AI's OpenAI-compatible API (sends usage unasked)",
    }
    "xai" => xai {
        name: "xAI",
        base_url: "https://api.x.ai/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "xAI Grok models",
    }
    "fireworks" => fireworks {
        name: "Fireworks AI",
        base_url: "https://api.fireworks.ai/inference/v1",
        key: required,
        max_tokens: MaxTokens,
        stream_usage: false,
        description: "Fireworks AI's OpenAI-compatible API (sends usage unasked)",
    }
    "ollama" => ollama {
        name: "Ollama",
        base_url: "http://localhost:11434/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "A local Ollama server (no key)",
    }
    "lmstudio" => lmstudio {
        name: "LM Studio",
        base_url: "http://localhost:1234/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: false,
        description: "A local LM Studio server (no key)",
    }
    "vllm" => vllm {
        name: "vLLM",
        base_url: "http://localhost:8000/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: true,
        description: "A vLLM server (key only if started with --api-key)",
    }
    "llamacpp" => llamacpp {
        name: "llama.cpp",
        base_url: "http://localhost:8080/v1",
        key: optional,
        max_tokens: MaxTokens,
        stream_usage: false,
        description: "A local llama.cpp server (no key)",
    }
}
