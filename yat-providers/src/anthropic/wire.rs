//! Anthropic Messages response shapes: the stream's events and the model
//! list (the request is in [`request`](super::request) and
//! [`turns`](super::turns)).
//!
//! Reference: platform.claude.com/docs/en/build-with-claude/streaming (the
//! stream events and their `delta` types), platform.claude.com/docs/en/api/models
//! ("List Models"), and the official SDK's generated types
//! (`raw_message_start_event.py`, `raw_content_block_start_event.py`,
//! `raw_content_block_delta_event.py`, `raw_message_delta_event.py`,
//! `message_delta_usage.py`, `model_info.py`, `model_capabilities.py`).

use serde::Deserialize;
use yat_core::{ModelCapabilities, Usage};

use yat_http::JsonText;

/// Only the `type` of an event, for streams that carry no `event:` names.
#[derive(Deserialize)]
pub(crate) struct EventType<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
}

/// `usage` of `message_start.message` and of `message_delta`. Every field
/// may be missing or null: `message_delta` often carries only
/// `output_tokens`, and the extended-thinking example of the streaming docs
/// carries no usage at all.
#[derive(Deserialize, Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
}

impl WireUsage {
    /// The report as a [`Usage`], `None` when it has no count at all.
    ///
    /// Anthropic's `input_tokens` already leaves out the prompt tokens read
    /// from or written to the cache, which is yat's meaning of input; the
    /// cache counts are kept apart, and a cache count the report leaves out
    /// stays unknown. `message_delta` reports are cumulative, so merging
    /// reports by keeping the larger count (what
    /// [`ReplyState::usage`](yat_core::assemble::ReplyState::usage) does)
    /// keeps the latest.
    pub(crate) fn to_usage(self) -> Option<Usage> {
        let known = self.input_tokens.is_some()
            || self.cache_creation_input_tokens.is_some()
            || self.cache_read_input_tokens.is_some()
            || self.output_tokens.is_some();
        if !known {
            return None;
        }
        let mut u = Usage::new(
            self.input_tokens.unwrap_or(0),
            self.output_tokens.unwrap_or(0),
        );
        if let Some(n) = self.cache_read_input_tokens {
            u = u.with_cache_read(n);
        }
        if let Some(n) = self.cache_creation_input_tokens {
            u = u.with_cache_write(n);
        }
        Some(u)
    }
}

/// `message_start`: `{"message": {..., "usage": {...}}}`.
#[derive(Deserialize)]
pub(crate) struct MessageStart {
    #[serde(default)]
    pub message: Option<StartedMessage>,
}

#[derive(Deserialize)]
pub(crate) struct StartedMessage {
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// `content_block_start`: the block's position and its opening state.
#[derive(Deserialize)]
pub(crate) struct ContentBlockStart<'a> {
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default, borrow)]
    pub content_block: Option<StartedBlock<'a>>,
}

/// A block as it opens: `text` (`text`), `thinking` (`thinking`,
/// `signature`), `redacted_thinking` (`data`), `tool_use` (`id`, `name`,
/// `input`, documented as `{}`), or a type this version does not know.
#[derive(Deserialize)]
pub(crate) struct StartedBlock<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub text: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub thinking: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub signature: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub data: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub id: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub name: Option<JsonText<'a>>,
    #[serde(default)]
    pub input: Option<serde_json::Value>,
}

/// `content_block_delta`: which block, and the piece.
#[derive(Deserialize)]
pub(crate) struct ContentBlockDelta<'a> {
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default, borrow)]
    pub delta: Option<BlockDelta<'a>>,
}

impl<'a> ContentBlockDelta<'a> {
    /// `data` read by the scanner's fast path, or by serde when the fast
    /// path declines it (serde then gives the answer or the error).
    pub(crate) fn parse(data: &'a str) -> Result<Self, serde_json::Error> {
        match super::delta_scan::fast_delta(data) {
            Some(d) => Ok(d),
            None => serde_json::from_str(data),
        }
    }
}

/// A delta: `text_delta` (`text`), `thinking_delta` (`thinking`),
/// `signature_delta` (`signature`), `input_json_delta` (`partial_json`),
/// or one this version skips (`citations_delta`, newer types).
#[derive(Deserialize)]
pub(crate) struct BlockDelta<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub text: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub thinking: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub signature: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub partial_json: Option<JsonText<'a>>,
}

/// `message_delta`: the stop reason and the cumulative usage.
#[derive(Deserialize)]
pub(crate) struct MessageDelta<'a> {
    #[serde(default, borrow)]
    pub delta: Option<StopDelta<'a>>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub(crate) struct StopDelta<'a> {
    #[serde(default, borrow)]
    pub stop_reason: Option<JsonText<'a>>,
}

/// `GET /v1/models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub data: Vec<WireModel>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// A `ModelInfo`. `max_input_tokens`, `max_tokens`, `lifecycle` and
/// `capabilities` are newer fields (the SDK's `model_info.py`); older
/// responses have only `id`, `display_name`, `created_at` and `type`.
#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// `active`, `deprecated` or `retired`.
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// `{image_input: {supported}, pdf_input: {supported},
    /// structured_outputs: {supported}, thinking: {supported, types}, ...}`,
    /// read loosely: a shape this version does not expect must not cost
    /// the whole list.
    #[serde(default)]
    pub capabilities: Option<serde_json::Value>,
}

impl WireModel {
    /// Whether a request naming it can still succeed: a `retired` model
    /// stays in the list as a record but "inference requests naming it
    /// fail".
    pub(crate) fn is_usable(&self) -> bool {
        self.lifecycle.as_deref() != Some("retired")
    }

    /// What the listing says the model can do, `None` when it says nothing
    /// yat asks about. The listing has no entry for tools (every current
    /// model takes them), so that stays unknown.
    pub(crate) fn capabilities(&self) -> Option<ModelCapabilities> {
        let caps = self.capabilities.as_ref()?;
        let supported = |key: &str| {
            caps.get(key)
                .and_then(|c| c.get("supported"))
                .and_then(serde_json::Value::as_bool)
        };
        type Setter = fn(ModelCapabilities, bool) -> ModelCapabilities;
        let mut out = ModelCapabilities::default();
        let mut known = false;
        for (key, set) in [
            ("image_input", ModelCapabilities::images as Setter),
            ("pdf_input", ModelCapabilities::documents),
            ("structured_outputs", ModelCapabilities::json_schema),
            ("thinking", ModelCapabilities::reasoning),
        ] {
            if let Some(yes) = supported(key) {
                out = set(out, yes);
                known = true;
            }
        }
        known.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn usage_keeps_cache_counts_apart_and_unknown_ones_unknown() {
        let start: WireUsage = serde_json::from_str(
            r#"{"input_tokens":2679,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":3}"#,
        )
        .unwrap();
        assert_eq!(
            start.to_usage(),
            Some(
                Usage::new(2679, 3)
                    .with_cache_read(100)
                    .with_cache_write(10)
            )
        );
        let delta: WireUsage = serde_json::from_str(r#"{"output_tokens":15}"#).unwrap();
        assert_eq!(delta.to_usage(), Some(Usage::new(0, 15)));
        let later: WireUsage = serde_json::from_str(
            r#"{"input_tokens":10682,"cache_creation_input_tokens":0,"cache_read_input_tokens":null,"output_tokens":510,"server_tool_use":{"web_search_requests":1}}"#,
        )
        .unwrap();
        assert_eq!(
            later.to_usage(),
            Some(Usage::new(10682, 510).with_cache_write(0))
        );
        assert_eq!(WireUsage::default().to_usage(), None);
        // Merged as running totals: the latest counts, details from both.
        assert_eq!(
            start.to_usage().unwrap().merge(delta.to_usage().unwrap()),
            Usage::new(2679, 15)
                .with_cache_read(100)
                .with_cache_write(10)
        );
    }

    #[test]
    fn deltas_borrow_their_text() {
        let d: ContentBlockDelta = serde_json::from_str(
            r#"{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Hello"}}"#,
        )
        .unwrap();
        assert_eq!(d.index, Some(3));
        let delta = d.delta.unwrap();
        assert!(matches!(delta.text.unwrap().0, Cow::Borrowed("Hello")));
        let s: ContentBlockStart = serde_json::from_str(
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
        )
        .unwrap();
        let b = s.content_block.unwrap();
        assert_eq!(b.kind.as_deref(), Some("tool_use"));
        assert_eq!(b.input, Some(serde_json::json!({})));
    }

    #[test]
    fn model_list_reads_old_and_new_shapes() {
        let l: ModelList = serde_json::from_str(
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-x","display_name":"X","created_at":"2025-01-01T00:00:00Z","max_input_tokens":200000,"max_tokens":64000,"lifecycle":"retired","capabilities":{}}],"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-x","has_more":true}"#,
        )
        .unwrap();
        assert!(l.has_more);
        assert_eq!(l.last_id.as_deref(), Some("claude-x"));
        assert!(l.data[0].is_usable());
        assert_eq!(l.data[0].max_input_tokens, None);
        assert_eq!(l.data[0].capabilities(), None);
        assert!(!l.data[1].is_usable());
        assert_eq!(l.data[1].max_tokens, Some(64000));
        // `{}` says nothing yat asks about.
        assert_eq!(l.data[1].capabilities(), None);
    }

    #[test]
    fn model_capabilities_are_read_where_the_listing_has_them() {
        let m: WireModel = serde_json::from_str(
            r#"{"id":"claude-haiku-4-5","capabilities":{"batch":{"supported":true},"image_input":{"supported":true},"pdf_input":{"supported":false},"structured_outputs":{"supported":true},"thinking":{"supported":true,"types":{"enabled":{"supported":true}}},"effort":{"supported":false}}}"#,
        )
        .unwrap();
        assert_eq!(
            m.capabilities(),
            Some(
                ModelCapabilities::default()
                    .images(true)
                    .documents(false)
                    .json_schema(true)
                    .reasoning(true)
            )
        );
        // A shape from the future costs nothing but that entry.
        let m: WireModel = serde_json::from_str(
            r#"{"id":"x","capabilities":{"image_input":true,"thinking":{"supported":false}}}"#,
        )
        .unwrap();
        assert_eq!(
            m.capabilities(),
            Some(ModelCapabilities::default().reasoning(false))
        );
    }
}
