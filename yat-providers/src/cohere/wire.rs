//! Cohere Chat v2 response shapes: the stream's events and the model list
//! (the parts yat reads). The request body is in [`super::request`].
//!
//! Reference: Cohere's `cohere-openapi.yaml` (path `/v2/chat`; schemas
//! `ChatContentStartEvent`, `ChatContentDeltaEvent`, `ChatToolPlanDeltaEvent`,
//! `ChatToolCallStartEvent`, `ChatToolCallDeltaEvent`, `ChatMessageEndEvent`,
//! `ChatFinishReason`, `Usage`, `ListModelsResponse`, `GetModelResponse`),
//! docs.cohere.com/v2/docs/streaming and docs.cohere.com/v2/docs/tool-use-streaming.

use serde::de::IgnoredAny;
use serde::Deserialize;
use yat_core::{ModelCapabilities, Usage};

use yat_http::JsonText;

/// Only the `type` of an event, for streams that carry no `event:` names,
/// and whether the event looks like an error body (`{"message": ...}` with
/// no `type`) instead.
#[derive(Deserialize)]
pub(crate) struct EventType<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<JsonText<'a>>,
    #[serde(default)]
    pub message: Option<IgnoredAny>,
}

/// The envelope of the events that carry a piece of the message:
/// `{"delta":{"message":M}}`, `M` being what the event carries.
#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct Envelope<M> {
    #[serde(default)]
    pub delta: Option<DeltaMessage<M>>,
}

/// The `delta` of an [`Envelope`].
#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct DeltaMessage<M> {
    #[serde(default)]
    pub message: Option<M>,
}

impl<M> DeltaMessage<M> {
    fn carried(delta: Option<Self>) -> Option<M> {
        delta?.message
    }
}

/// `content-start` and `content-delta`:
/// `{"delta":{"message":{"content":{"text":"..."}}}}`, or `thinking`
/// instead of `text` for a reasoning block.
pub(crate) type ContentDelta<'a> = Envelope<DeltaContent<'a>>;

#[derive(Deserialize)]
pub(crate) struct DeltaContent<'a> {
    #[serde(default, borrow)]
    pub content: Option<DeltaText<'a>>,
}

/// One piece of a content block.
#[derive(Deserialize, Default)]
pub(crate) struct DeltaText<'a> {
    /// A piece of the reply.
    #[serde(default, borrow)]
    pub text: Option<JsonText<'a>>,
    /// A piece of the model's reasoning (with `thinking` on).
    #[serde(default, borrow)]
    pub thinking: Option<JsonText<'a>>,
}

impl<'a> ContentDelta<'a> {
    /// The block's piece (empty when the event carries none).
    pub(crate) fn content(self) -> DeltaText<'a> {
        DeltaMessage::carried(self.delta)
            .and_then(|m| m.content)
            .unwrap_or_default()
    }
}

/// `tool-plan-delta`: `{"delta":{"message":{"tool_plan":"..."}}}`.
pub(crate) type ToolPlanDelta<'a> = Envelope<PlanText<'a>>;

#[derive(Deserialize)]
pub(crate) struct PlanText<'a> {
    #[serde(default, borrow)]
    pub tool_plan: Option<JsonText<'a>>,
}

impl<'a> ToolPlanDelta<'a> {
    /// The piece of the plan, if any.
    pub(crate) fn text(self) -> Option<JsonText<'a>> {
        DeltaMessage::carried(self.delta)?.tool_plan
    }
}

/// `tool-call-start` (`id`, `function.name`, maybe a first piece of
/// `function.arguments`) and `tool-call-delta` (a piece of
/// `function.arguments`), both under `delta.message.tool_calls` (one call,
/// an object), keyed by the event's `index`.
#[derive(Deserialize)]
pub(crate) struct ToolCallEvent<'a> {
    #[serde(default)]
    pub index: Option<u64>,
    #[serde(default, borrow)]
    pub delta: Option<DeltaMessage<ToolCallMessage<'a>>>,
}

#[derive(Deserialize)]
pub(crate) struct ToolCallMessage<'a> {
    #[serde(default, borrow)]
    pub tool_calls: Option<WireToolCall<'a>>,
}

/// The call (or the piece of it) an event carries.
#[derive(Deserialize, Default)]
pub(crate) struct WireToolCall<'a> {
    #[serde(default, borrow)]
    pub id: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub function: Option<WireFunction<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct WireFunction<'a> {
    #[serde(default, borrow)]
    pub name: Option<JsonText<'a>>,
    #[serde(default, borrow)]
    pub arguments: Option<JsonText<'a>>,
}

impl<'a> ToolCallEvent<'a> {
    /// The call the event carries (empty when it carries none).
    pub(crate) fn call(self) -> (Option<u64>, WireToolCall<'a>) {
        let call = DeltaMessage::carried(self.delta)
            .and_then(|m| m.tool_calls)
            .unwrap_or_default();
        (self.index, call)
    }
}

/// `message-end`: the finish reason, usage, and on `ERROR` the error message.
#[derive(Deserialize)]
pub(crate) struct MessageEnd<'a> {
    #[serde(default, borrow)]
    pub delta: Option<EndDelta<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct EndDelta<'a> {
    #[serde(default, borrow)]
    pub finish_reason: Option<JsonText<'a>>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    #[serde(default, borrow)]
    pub error: Option<JsonText<'a>>,
}

/// `Usage`: `tokens` counts what the model processed (the prompt
/// scaffolding Cohere adds included), `billed_units` what is charged, and
/// `cached_tokens` the prompt tokens that hit Cohere's cache. All are JSON
/// numbers.
#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub billed_units: Option<Counts>,
    #[serde(default)]
    pub tokens: Option<Counts>,
    #[serde(default)]
    pub cached_tokens: Option<f64>,
}

#[derive(Deserialize, Clone, Copy, Default)]
pub(crate) struct Counts {
    #[serde(default)]
    pub input_tokens: Option<f64>,
    #[serde(default)]
    pub output_tokens: Option<f64>,
}

/// A count as a whole number; negative, NaN and infinite counts are no count.
fn count(v: Option<f64>) -> Option<u64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| x.round() as u64)
}

impl WireUsage {
    /// `(input, output)`: from `tokens`, each falling back to `billed_units`.
    ///
    /// `tokens` is what the model read and wrote, which is what yat's usage
    /// means (and what a context window is spent on); `billed_units` leaves
    /// out Cohere's own prompt scaffolding (71 tokens read against 5 billed
    /// in the spec's example), so it is only the fallback.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let t = self.tokens.unwrap_or_default();
        let b = self.billed_units.unwrap_or_default();
        (
            count(t.input_tokens).or(count(b.input_tokens)).unwrap_or(0),
            count(t.output_tokens)
                .or(count(b.output_tokens))
                .unwrap_or(0),
        )
    }

    /// The usage in yat's terms: cache hits, when reported, are taken out of
    /// the input and kept in `cache_read_tokens` (the spec counts them among
    /// the prompt tokens). Cohere reports no reasoning count: `None`.
    pub(crate) fn usage(&self) -> Usage {
        let (input, output) = self.counts();
        match count(self.cached_tokens) {
            Some(cached) => {
                Usage::new(input.saturating_sub(cached), output).with_cache_read(cached)
            }
            None => Usage::new(input, output),
        }
    }
}

/// `GET /v1/models`.
#[derive(Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub models: Vec<WireModel>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct WireModel {
    pub name: String,
    #[serde(default)]
    pub is_deprecated: bool,
    #[serde(default)]
    pub context_length: Option<f64>,
    /// What the model supports (`"tools"`, `"vision"`, `"logprobs"`, ...);
    /// `null` for models the listing says nothing about.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// Sent by the live listing next to `features` (not in the spec).
    #[serde(default)]
    pub supports_vision: Option<bool>,
}

impl WireModel {
    /// What the listing says about the model, or `None` when it says
    /// nothing (`features` null or absent).
    ///
    /// The spec leaves the feature names open. `tools` and `vision` are the
    /// names the live listing uses, and a model without them lacks them (the
    /// vision models list `["logprobs","vision"]` and take no tools).
    /// `reasoning` and `json_schema` are only believed when listed: a model
    /// that does not list them may still have them under another name.
    pub(crate) fn capabilities(&self) -> Option<ModelCapabilities> {
        let vision_flag = self.supports_vision;
        let Some(features) = self.features.as_deref() else {
            return vision_flag.map(|v| ModelCapabilities::default().images(v));
        };
        let has = |name: &str| features.iter().any(|f| f.eq_ignore_ascii_case(name));
        let mut caps = ModelCapabilities::default()
            .tools(has("tools"))
            .images(has("vision") || vision_flag == Some(true));
        if has("reasoning") {
            caps = caps.reasoning(true);
        }
        if has("json_schema") {
            caps = caps.json_schema(true);
        }
        Some(caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn events_without_a_type_but_with_a_message_look_like_errors() {
        let t: EventType = serde_json::from_str(r#"{"id":"x","message":"boom"}"#).unwrap();
        assert!(t.kind.is_none() && t.message.is_some());
        let t: EventType = serde_json::from_str(r#"{"type":"content-end","index":0}"#).unwrap();
        assert_eq!(t.kind.unwrap().as_str(), "content-end");
    }

    #[test]
    fn usage_prefers_tokens_and_falls_back_to_billed_units() {
        let u: WireUsage = serde_json::from_str(
            r#"{"billed_units":{"input_tokens":5,"output_tokens":26},"tokens":{"input_tokens":71,"output_tokens":26}}"#,
        )
        .unwrap();
        assert_eq!(u.counts(), (71, 26));
        assert_eq!(u.usage(), Usage::new(71, 26));
        let u: WireUsage =
            serde_json::from_str(r#"{"billed_units":{"input_tokens":5.0,"output_tokens":26.0}}"#)
                .unwrap();
        assert_eq!(u.counts(), (5, 26));
        let u = WireUsage {
            billed_units: None,
            tokens: Some(Counts {
                input_tokens: Some(-1.0),
                output_tokens: Some(f64::INFINITY),
            }),
            cached_tokens: Some(f64::NAN),
        };
        assert_eq!(u.counts(), (0, 0));
        assert_eq!(u.usage(), Usage::new(0, 0));
    }

    #[test]
    fn cache_hits_are_taken_out_of_the_input() {
        let u: WireUsage = serde_json::from_str(
            r#"{"tokens":{"input_tokens":1200,"output_tokens":30},"cached_tokens":1024}"#,
        )
        .unwrap();
        assert_eq!(u.usage(), Usage::new(176, 30).with_cache_read(1024));
        let u: WireUsage = serde_json::from_str(
            r#"{"tokens":{"input_tokens":10,"output_tokens":3},"cached_tokens":0}"#,
        )
        .unwrap();
        assert_eq!(u.usage(), Usage::new(10, 3).with_cache_read(0));
    }

    #[test]
    fn content_delta_borrows_its_text_and_reads_thinking() {
        let d: ContentDelta = serde_json::from_str(
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"LL"}}}}"#,
        )
        .unwrap();
        let c = d.content();
        assert!(matches!(c.text.map(|t| t.0), Some(Cow::Borrowed("LL"))));
        assert!(c.thinking.is_none());
        let d: ContentDelta = serde_json::from_str(
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"hmm"}}}}"#,
        )
        .unwrap();
        let c = d.content();
        assert!(c.text.is_none());
        assert_eq!(c.thinking.unwrap().as_str(), "hmm");
    }

    #[test]
    fn tool_call_events_carry_index_id_name_and_arguments() {
        let e: ToolCallEvent = serde_json::from_str(
            r#"{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":{"id":"get_weather_ay6nmvjgp9vn","type":"function","function":{"name":"get_weather","arguments":""}}}}}"#,
        )
        .unwrap();
        let (index, call) = e.call();
        assert_eq!(index, Some(1));
        assert_eq!(call.id.unwrap().as_str(), "get_weather_ay6nmvjgp9vn");
        let f = call.function.unwrap();
        assert_eq!(
            (f.name.unwrap().as_str(), f.arguments.unwrap().as_str()),
            ("get_weather", "")
        );
        let e: ToolCallEvent = serde_json::from_str(
            r#"{"type":"tool-call-delta","index":1,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\n    \""}}}}}"#,
        )
        .unwrap();
        let (_, call) = e.call();
        assert!(call.id.is_none());
        assert_eq!(
            call.function.unwrap().arguments.unwrap().as_str(),
            "{\n    \""
        );
        let e: ToolCallEvent =
            serde_json::from_str(r#"{"type":"tool-call-end","index":1}"#).unwrap();
        assert!(e.call().1.function.is_none());
    }

    #[test]
    fn tool_plan_delta_reads_the_plan() {
        let d: ToolPlanDelta = serde_json::from_str(
            r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":" will"}}}"#,
        )
        .unwrap();
        assert_eq!(d.text().unwrap().as_str(), " will");
    }

    fn model(json: &str) -> WireModel {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn model_capabilities_come_from_features() {
        let m = model(
            r#"{"name":"command-a-03-2025","features":["json_mode","json_schema","safety_modes","strict_tools","tool_choice","tools"]}"#,
        );
        assert_eq!(
            m.capabilities(),
            Some(
                ModelCapabilities::default()
                    .tools(true)
                    .images(false)
                    .json_schema(true)
            )
        );
        let m = model(
            r#"{"name":"c4ai-aya-vision-32b","features":["logprobs","vision"],"supports_vision":true}"#,
        );
        assert_eq!(
            m.capabilities(),
            Some(ModelCapabilities::default().tools(false).images(true))
        );
        let m = model(r#"{"name":"command-a-reasoning-08-2025","features":["reasoning","tools"]}"#);
        assert_eq!(
            m.capabilities(),
            Some(
                ModelCapabilities::default()
                    .tools(true)
                    .images(false)
                    .reasoning(true)
            )
        );
        assert_eq!(
            model(r#"{"name":"c4ai-aya-expanse-32b","features":null}"#).capabilities(),
            None
        );
        assert_eq!(model(r#"{"name":"x"}"#).capabilities(), None);
        assert_eq!(
            model(r#"{"name":"x","features":null,"supports_vision":false}"#).capabilities(),
            Some(ModelCapabilities::default().images(false))
        );
    }
}
