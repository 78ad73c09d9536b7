//! Which script checks which provider: one per wire format, chosen by the
//! registration's id, and the endpoint kinds a config file can declare.
//!
//! Every OpenAI-compatible preset is found in the preset table itself, so a
//! preset added there is checked with no change here. A registration that
//! speaks another wire format needs a line in [`for_id`] naming its
//! script, and a new wire format a script module beside this one.

use crate::chat_completions::Dialect;
use crate::script::{Script, Upstream};
use crate::{anthropic, chat_completions, cohere, gemini};
use yat_core::testkit::Options;

/// The script for the registration `id` (from `crate_name`), or what to add.
pub fn for_id(id: &str, crate_name: &str) -> Result<Script, String> {
    #[cfg(feature = "openai-wire")]
    if let Some(preset) = yat_providers::openai::presets::ALL
        .iter()
        .find(|p| p.id == id)
    {
        return Ok(chat_completions::script(Dialect::of_preset(preset)));
    }
    match id {
        "anthropic" => Ok(anthropic::script()),
        "gemini" | "google" => Ok(gemini::script()),
        "cohere" => Ok(cohere::script()),
        "mock" => Ok(mock()),
        _ => Err(format!(
            "no fake-server script for the registration {id:?} (crate {crate_name}): map it to \
             the script of its wire format in `for_id` of yat-providers/tests/conformance/wire.rs, \
             or add a script for a new wire format beside it (see chat_completions.rs)"
        )),
    }
}

/// The mock answers in process; with its richer models named it shows
/// every check but cancellation.
fn mock() -> Script {
    Script {
        upstream: Upstream::InProcess,
        options: Options {
            // Its echo holds the prompt: the word is there unless the stop
            // sequence cuts the reply before it.
            stop_probe: Some(("five".into(), "five".into())),
            ..Options::default()
        }
        .parallel_tool_model("mock-parallel-tools")
        .usage_details_model("mock-reasoning"),
        not_shown: vec![(
            "cancel_on_drop",
            "an in-process stream has no upstream a probe could watch go away",
        )],
        after: None,
    }
}

/// An endpoint declared in `provider_config.json`, as a user writes it.
pub struct Endpoint {
    pub id: &'static str,
    /// Its `type`.
    pub kind: &'static str,
    /// The variable its key is read from.
    pub key_env: &'static str,
    /// The entry's fields besides `id`, `type`, `base_url` and `api_key_env`.
    pub fields: &'static str,
    /// What the server it declares takes, for its script.
    pub dialect: Dialect,
}

impl Endpoint {
    /// The config file's entry, its base URL `base_url`.
    pub fn entry(&self, base_url: &str) -> serde_json::Value {
        let mut entry: serde_json::Value =
            serde_json::from_str(self.fields).expect("the table's fields are JSON");
        let map = entry
            .as_object_mut()
            .expect("the table's fields are an object");
        map.insert("id".into(), self.id.into());
        map.insert("type".into(), self.kind.into());
        map.insert("base_url".into(), base_url.into());
        map.insert("api_key_env".into(), self.key_env.into());
        entry
    }

    pub fn script(&self) -> Script {
        chat_completions::script(self.dialect)
    }
}

/// Each kind of endpoint a config file can declare, with the declarations
/// checked for it: today `openai-compatible` only, once as a bare entry
/// (what a server is assumed to take) and once with every field set.
pub fn endpoints() -> &'static [Endpoint] {
    #[cfg(feature = "openai-wire")]
    {
        const KIND: &str = yat_providers::openai::custom::TYPE;
        &[
            Endpoint {
                id: "lab-bare",
                kind: KIND,
                key_env: "LAB_BARE_KEY",
                fields: r#"{"name": "Lab server"}"#,
                dialect: Dialect::DECLARED_BARE,
            },
            Endpoint {
                id: "lab-declared",
                kind: KIND,
                key_env: "LAB_DECLARED_KEY",
                fields: r#"{
                    "models": ["gpt-4o-mini"],
                    "max_tokens_field": "max_completion_tokens",
                    "stream_usage": true,
                    "reasoning_field": "reasoning",
                    "capabilities": ["tools", "parallel_tools", "images", "json_schema", "reasoning", "usage_details"]
                }"#,
                dialect: Dialect::DECLARED_FULL,
            },
        ]
    }
    #[cfg(not(feature = "openai-wire"))]
    {
        &[]
    }
}
