//! `GET /models`, and what a listing says a model can do.
//!
//! OpenAI's own listing is `{id, object, created, owned_by}` and says
//! nothing about capabilities. OpenRouter's adds `name`, `context_length`,
//! `architecture.input_modalities` (`text`, `image`, `file`, ...),
//! `supported_parameters` (`tools`, `reasoning`, `structured_outputs`, ...)
//! and `top_provider.max_completion_tokens`; those are read where present.

use serde::Deserialize;
use yat_core::{ModelCapabilities, ModelInfo};

/// `GET /models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub data: Vec<WireModel>,
}

#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    context_length: Option<u32>,
    #[serde(default)]
    architecture: Option<Architecture>,
    #[serde(default)]
    supported_parameters: Option<Vec<String>>,
    #[serde(default)]
    top_provider: Option<TopProvider>,
}

#[derive(Deserialize)]
struct Architecture {
    #[serde(default)]
    input_modalities: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TopProvider {
    #[serde(default)]
    max_completion_tokens: Option<u32>,
}

impl WireModel {
    /// The model as yat describes it, for `provider`.
    pub fn into_info(self, provider: &str) -> ModelInfo {
        let capabilities = self.capabilities();
        let mut info = ModelInfo::new(provider, self.id);
        if let Some(n) = self.name {
            info = info.display_name(n);
        }
        if let Some(n) = self.context_length {
            info = info.context_length(n);
        }
        if let Some(n) = self.top_provider.and_then(|t| t.max_completion_tokens) {
            info = info.max_output_tokens(n);
        }
        if let Some(c) = capabilities {
            info = info.capabilities(c);
        }
        info
    }

    fn capabilities(&self) -> Option<ModelCapabilities> {
        let params = self.supported_parameters.as_deref();
        let inputs = self
            .architecture
            .as_ref()
            .and_then(|a| a.input_modalities.as_deref());
        if params.is_none() && inputs.is_none() {
            return None;
        }
        let mut c = ModelCapabilities::default();
        if let Some(p) = params {
            let has = |name: &str| p.iter().any(|x| x == name);
            c = c
                .tools(has("tools"))
                .reasoning(has("reasoning"))
                .json_schema(has("structured_outputs"));
        }
        if let Some(m) = inputs {
            let has = |name: &str| m.iter().any(|x| x == name);
            c = c.images(has("image")).documents(has("file"));
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openrouter_listings_say_what_a_model_can_do_openais_do_not() {
        let list: ModelList = serde_json::from_str(
            r#"{"data":[
                {"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"system"},
                {"id":"anthropic/claude-sonnet-4","name":"Claude Sonnet 4","context_length":200000,
                 "architecture":{"input_modalities":["text","image","file"],"output_modalities":["text"]},
                 "supported_parameters":["tools","tool_choice","reasoning","max_tokens"],
                 "top_provider":{"max_completion_tokens":64000}}
            ]}"#,
        )
        .unwrap();
        let mut infos = list.data.into_iter().map(|m| m.into_info("openrouter"));
        let plain = infos.next().unwrap();
        assert_eq!(plain.capabilities, None);
        let rich = infos.next().unwrap();
        assert_eq!(rich.display_name, "Claude Sonnet 4");
        assert_eq!(
            (rich.context_length, rich.max_output_tokens),
            (Some(200_000), Some(64_000))
        );
        assert_eq!(
            rich.capabilities,
            Some(
                ModelCapabilities::default()
                    .tools(true)
                    .reasoning(true)
                    .json_schema(false)
                    .images(true)
                    .documents(true)
            )
        );
    }
}
