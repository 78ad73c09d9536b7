//! `GET /v1/models` in the Messages API's shape, for clients that send
//! `anthropic-version`.
//!
//! Source: platform.claude.com/docs/en/api/models ("List Models") and the
//! SDK's `types/model_info.py`: a page `{data, has_more, first_id,
//! last_id}` of `{type: "model", id, display_name, created_at}`, with the
//! newer optional `max_input_tokens` and `max_tokens`.
//!
//! - Each id is the gateway's `PROVIDER/MODEL` reference: what a client
//!   puts in `model` to reach it.
//! - `created_at` is required (RFC 3339), and yat does not know when a
//!   model was released: the SDK documents the epoch for that case.
//! - The whole list is one page (`has_more: false`): the gateway's list is
//!   short, and a client that pages with `after_id` stops at once.

use serde::Serialize;
use yat_core::ModelInfo;

/// The `created_at` of a model whose release date is unknown.
const UNKNOWN_RELEASE: &str = "1970-01-01T00:00:00Z";

#[derive(Serialize)]
struct Page<'a> {
    data: Vec<Entry<'a>>,
    has_more: bool,
    first_id: Option<&'a str>,
    last_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Entry<'a> {
    r#type: &'static str,
    id: String,
    display_name: &'a str,
    created_at: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_input_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

/// The body of `GET /v1/models` listing `models`.
pub(crate) fn models_list(models: &[ModelInfo]) -> Vec<u8> {
    let data: Vec<Entry<'_>> = models
        .iter()
        .map(|m| Entry {
            r#type: "model",
            id: format!("{}/{}", m.provider, m.id),
            display_name: &m.display_name,
            created_at: UNKNOWN_RELEASE,
            max_input_tokens: m.context_length,
            max_tokens: m.max_output_tokens,
        })
        .collect();
    // The ids are owned by `data`; the page borrows them back.
    let first = data.first().map(|e| e.id.clone());
    let last = data.last().map(|e| e.id.clone());
    let page = Page {
        data,
        has_more: false,
        first_id: first.as_deref(),
        last_id: last.as_deref(),
    };
    serde_json::to_vec(&page).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_list_in_the_list_models_shape() {
        let models = [
            ModelInfo::new("anthropic", "claude-sonnet-4-5")
                .display_name("Claude Sonnet 4.5")
                .context_length(200_000)
                .max_output_tokens(64_000),
            ModelInfo::new("mock", "mock-echo"),
        ];
        assert_eq!(
            String::from_utf8(models_list(&models)).unwrap(),
            concat!(
                r#"{"data":["#,
                r#"{"type":"model","id":"anthropic/claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"1970-01-01T00:00:00Z","max_input_tokens":200000,"max_tokens":64000},"#,
                r#"{"type":"model","id":"mock/mock-echo","display_name":"mock-echo","created_at":"1970-01-01T00:00:00Z"}],"#,
                r#""has_more":false,"first_id":"anthropic/claude-sonnet-4-5","last_id":"mock/mock-echo"}"#
            )
        );
        assert_eq!(
            String::from_utf8(models_list(&[])).unwrap(),
            r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#
        );
    }
}
