//! `GET /v1/models` in OpenAI's shape (the spec's `ListModelsResponse`):
//! `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
//!
//! Each model's id is the `PROVIDER/MODEL` reference a client puts in a
//! request's `model`, and `owned_by` is the provider. Providers do not say
//! when a model was made, so every entry carries `created`, the time the
//! gateway gives (the listing's own time).

use serde::Serialize;
use yat_core::ModelInfo;

use super::wire::write_json;

#[derive(Serialize)]
struct ModelList<'a> {
    object: &'static str,
    data: Vec<ModelEntry<'a>>,
}

#[derive(Serialize)]
struct ModelEntry<'a> {
    id: String,
    object: &'static str,
    created: u64,
    owned_by: &'a str,
}

/// The body of `GET /v1/models` listing `models`.
pub(crate) fn models_list(models: &[ModelInfo], created: u64) -> Vec<u8> {
    let list = ModelList {
        object: "list",
        data: models
            .iter()
            .map(|m| ModelEntry {
                id: format!("{}/{}", m.provider, m.id),
                object: "model",
                created,
                owned_by: &m.provider,
            })
            .collect(),
    };
    let mut out = Vec::with_capacity(32 + 96 * models.len());
    write_json(&mut out, &list);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_listed_by_their_reference_and_owned_by_their_provider() {
        let models = [
            ModelInfo::new("anthropic", "claude-sonnet-4-5"),
            ModelInfo::new("openrouter", "meta/llama-3"),
        ];
        assert_eq!(
            std::str::from_utf8(&models_list(&models, 1_700_000_000)).unwrap(),
            r#"{"object":"list","data":[{"id":"anthropic/claude-sonnet-4-5","object":"model","created":1700000000,"owned_by":"anthropic"},{"id":"openrouter/meta/llama-3","object":"model","created":1700000000,"owned_by":"openrouter"}]}"#
        );
        assert_eq!(
            std::str::from_utf8(&models_list(&[], 1)).unwrap(),
            r#"{"object":"list","data":[]}"#
        );
    }
}
