//! User-defined OpenAI-compatible endpoints, declared in `provider_config.json`.
//!
//! ```json
//! {"providers": [{
//!   "id": "lab-server",
//!   "name": "Lab server",
//!   "type": "openai-compatible",
//!   "base_url": "http://10.0.0.5:8000/v1",
//!   "api_key_env": "LAB_SERVER_KEY",
//!   "models": ["llama-3.1-70b"]
//! }]}
//! ```
//!
//! An entry is user-defined when its `type` is `openai-compatible` (the
//! original app's `type` field otherwise holds labels like `cloud`, which
//! are kept untouched). `api_key_env` makes a key required and names the
//! variable it is read from (besides `<ID>_API_KEY`); without it the key is
//! optional. `models` is offered when the server has no `GET /models`;
//! `max_tokens_field` (`max_tokens` | `max_completion_tokens`) and
//! `stream_usage` (bool) tune the request like the built-in presets.
//!
//! `capabilities` says what the server takes beyond text: a list of names
//! (`["tools", "images", "reasoning"]`) or an object of booleans
//! (`{"tools": true, "images": false}`) over the names `tools`,
//! `parallel_tools`, `images`, `documents`, `json_schema`, `json_object`, `reasoning` and
//! `usage_details`. Without it an endpoint is taken to have what most
//! current servers (vLLM, llama.cpp, Ollama, LM Studio) have: tools,
//! images, JSON-schema output and JSON mode ([`DEFAULT_CLAIMS`]). `reasoning_field`
//! (`reasoning_effort` | `reasoning`) says how a reasoning request is sent:
//! as OpenAI's `reasoning_effort` (the default) or OpenRouter's `reasoning`
//! object.

use std::sync::Arc;

use serde_json::Value;
use yat_core::config::ProviderEntry;
use yat_core::settings::{interned, interned_list};
use yat_core::{Capabilities, ProviderConfig, ProviderDef, SettingSpec};

use super::presets::base_capabilities;
use super::{MaxTokensField, OpenAiCompatible, Profile, ReasoningField};
use yat_http as http;

/// The `type` value that marks a user-defined endpoint.
pub const TYPE: &str = "openai-compatible";

/// What an endpoint that declares no `capabilities` is taken to take.
pub const DEFAULT_CLAIMS: &[&str] = &["tools", "images", "json_schema", "json_object"];

/// `caps` with the capability `name` set to `yes`.
fn claim(caps: Capabilities, name: &str, yes: bool) -> Result<Capabilities, String> {
    Ok(match name {
        "tools" => caps.with_tools(yes),
        "parallel_tools" => caps.with_parallel_tools(yes),
        "images" => caps.with_images(yes),
        "documents" => caps.with_documents(yes),
        "json_schema" => caps.with_json_schema(yes),
        "json_object" => caps.with_json_object(yes),
        "reasoning" => caps.with_reasoning(yes),
        "usage_details" => caps.with_usage_details(yes),
        other => return Err(format!("unknown capability {other:?}")),
    })
}

/// The capabilities an entry declares, on top of what every server of the
/// family has.
fn capabilities(
    id: &str,
    entry: &ProviderEntry,
    stream_usage: bool,
) -> Result<Capabilities, String> {
    let bad = |why: String| format!("provider {id:?}: \"capabilities\": {why}");
    let mut caps = base_capabilities(stream_usage);
    match entry.extra.get("capabilities") {
        None | Some(Value::Null) => {
            for name in DEFAULT_CLAIMS {
                caps = claim(caps, name, true).map_err(bad)?;
            }
        }
        Some(Value::Array(names)) => {
            for name in names {
                let name = name
                    .as_str()
                    .ok_or_else(|| bad(format!("{name} is not a capability name")))?;
                caps = claim(caps, name, true).map_err(bad)?;
            }
        }
        Some(Value::Object(flags)) => {
            for (name, yes) in flags {
                let yes = yes
                    .as_bool()
                    .ok_or_else(|| bad(format!("{name}: {yes} is not true or false")))?;
                caps = claim(caps, name, yes).map_err(bad)?;
            }
        }
        Some(other) => return Err(bad(format!("{other} is neither a list nor an object"))),
    }
    Ok(caps)
}

fn str_field<'a>(e: &'a ProviderEntry, key: &str) -> Option<&'a str> {
    e.extra
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Whether `entry` declares a user-defined endpoint.
pub fn is_custom(entry: &ProviderEntry) -> bool {
    matches!(str_field(entry, "type"), Some(t) if t.eq_ignore_ascii_case(TYPE) || t.eq_ignore_ascii_case("openai_compatible"))
}

/// The provider definition of one user-defined entry, or why it is unusable.
pub fn definition(entry: &ProviderEntry) -> Result<ProviderDef, String> {
    let id = entry.id.trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "provider id {id:?} must be letters, digits, - or _"
        ));
    }
    let base_url = str_field(entry, "base_url")
        .ok_or_else(|| format!("provider {id:?}: an openai-compatible entry needs \"base_url\""))?;
    let key_env = str_field(entry, "api_key_env");
    let models: Vec<String> = entry
        .extra
        .get("models")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let max_tokens_field = match str_field(entry, "max_tokens_field") {
        Some("max_completion_tokens") => MaxTokensField::MaxCompletionTokens,
        _ => MaxTokensField::MaxTokens,
    };
    let stream_usage = entry
        .extra
        .get("stream_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let capabilities = capabilities(id, entry, stream_usage)?;
    let reasoning_field = match str_field(entry, "reasoning_field") {
        Some("reasoning") => ReasoningField::Object,
        _ => ReasoningField::Effort,
    };

    let key_spec = match key_env {
        Some(var) => SettingSpec::secret("api_key", "API key", interned_list(&[var])).required(),
        None => SettingSpec::secret("api_key", "API key (optional)", &[]),
    };
    let settings = vec![
        key_spec,
        SettingSpec::url("base_url", "Base URL", &[]).default_value(interned(base_url)),
        http::CONNECT_TIMEOUT,
        http::FIRST_BYTE_TIMEOUT,
        http::IDLE_TIMEOUT,
        http::MAX_RETRIES,
    ];
    let profile = Profile {
        id: id.to_owned(),
        default_base_url: base_url.to_owned(),
        max_tokens_field,
        stream_usage,
        list_models: models.is_empty(),
        static_models: models,
        capabilities,
        reasoning_field,
    };
    let name = entry.name.clone().unwrap_or_else(|| id.to_owned());
    Ok(ProviderDef::dynamic(
        id,
        name,
        settings,
        (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        Arc::new(move || Ok(Box::new(OpenAiCompatible::new(profile.clone())))),
    ))
}

/// Every usable user-defined endpoint in `config`. Unusable entries are
/// logged and skipped; they never stop the others.
pub fn definitions(config: &ProviderConfig) -> Vec<ProviderDef> {
    config
        .providers
        .iter()
        .filter(|e| is_custom(e))
        .filter_map(|e| match definition(e) {
            Ok(d) => Some(d),
            Err(why) => {
                tracing::warn!("{why}");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_becomes_a_definition() {
        let cfg: ProviderConfig = serde_json::from_str(
            r#"{"providers":[
                {"id":"lab","name":"Lab","type":"openai-compatible","base_url":"http://127.0.0.1:9/v1","api_key_env":"LAB_KEY","models":["m1"]},
                {"id":"openai","type":"cloud"},
                {"id":"broken","type":"openai-compatible"}
            ]}"#,
        )
        .unwrap();
        let defs = definitions(&cfg);
        assert_eq!(defs.len(), 1);
        let d = &defs[0];
        assert_eq!(d.id, "lab");
        assert_eq!(d.name, "Lab");
        assert!(d.user_defined);
        assert_eq!(d.settings[0].env_vars, &["LAB_KEY"]);
        assert!(d.settings[0].required);
        assert_eq!(d.settings[1].default, Some("http://127.0.0.1:9/v1"));
    }

    fn caps_of(entry: &str) -> Result<Capabilities, String> {
        let cfg: ProviderConfig =
            serde_json::from_str(&format!(r#"{{"providers":[{entry}]}}"#)).unwrap();
        let e = &cfg.providers[0];
        capabilities(&e.id, e, false)
    }

    #[test]
    fn capabilities_are_declared_as_a_list_or_flags_and_default_to_the_common_ones() {
        let plain =
            caps_of(r#"{"id":"a","type":"openai-compatible","base_url":"http://h/v1"}"#).unwrap();
        assert!(plain.tools && plain.images && plain.json_schema);
        assert!(!plain.reasoning && !plain.documents && !plain.parallel_tools && !plain.usage);
        assert!(plain.stop_sequences && plain.max_tokens);

        let listed = caps_of(
            r#"{"id":"a","type":"openai-compatible","base_url":"http://h/v1","capabilities":["tools","reasoning"]}"#,
        )
        .unwrap();
        assert!(listed.tools && listed.reasoning && !listed.images && !listed.json_schema);

        let flags = caps_of(
            r#"{"id":"a","type":"openai-compatible","base_url":"http://h/v1","capabilities":{"images":false,"documents":true}}"#,
        )
        .unwrap();
        assert!(!flags.images && flags.documents && !flags.tools);

        for bad in [r#"["telepathy"]"#, r#"{"tools":"yes"}"#, "[1]", "true"] {
            let e = format!(
                r#"{{"id":"a","type":"openai-compatible","base_url":"http://h/v1","capabilities":{bad}}}"#
            );
            let why = caps_of(&e).unwrap_err();
            assert!(why.contains("capabilities"), "{why}");
        }
    }
}
