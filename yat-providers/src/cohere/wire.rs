//! Cohere Chat v2 request and response shapes (the parts yat uses).
//!
//! Reference: Cohere's `cohere-openapi.yaml` (path `/v2/chat`; schemas
//! `ChatContentDeltaEvent`, `ChatMessageEndEvent`, `ChatFinishReason`,
//! `Usage`, `ListModelsResponse`, `GetModelResponse`) and
//! docs.cohere.com/v2/docs/streaming.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use yat_core::ChatRequest;

use crate::http::JsonText;

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

/// A `/v2/chat` request body.
#[derive(Serialize)]
pub(crate) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    /// Cohere's name for top-p.
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    stream: bool,
}

impl<'a> ChatBody<'a> {
    /// The body for `req`: the roles are Cohere's own (`system`, `user`,
    /// `assistant`), content is a plain string, top-p goes out as `p`
    /// brought into the range Cohere accepts ([`clamp_p`]).
    pub(crate) fn new(req: &'a ChatRequest) -> Self {
        ChatBody {
            model: &req.model,
            messages: req
                .messages
                .iter()
                .map(|m| WireMessage {
                    role: m.role.as_str(),
                    content: m
                        .content
                        .first()
                        .and_then(yat_core::Part::as_text)
                        .unwrap_or(""),
                })
                .collect(),
            stream: true,
            temperature: req.temperature,
            p: req.top_p.map(clamp_p),
            max_tokens: req.max_tokens,
            stop_sequences: &req.stop,
        }
    }
}

/// Cohere's `p` must lie in 0.01–0.99. The common `top_p = 1.0` means "no
/// nucleus cut", which the API cannot express (leaving `p` out means its
/// default 0.75): the nearest allowed value keeps the intent instead of a
/// 400. NaN is left for the API to reject.
pub(crate) fn clamp_p(p: f32) -> f32 {
    if p.is_nan() {
        p
    } else {
        p.clamp(0.01, 0.99)
    }
}

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

/// `content-delta`: `{"delta":{"message":{"content":{"text":"..."}}}}`.
#[derive(Deserialize)]
pub(crate) struct ContentDelta<'a> {
    #[serde(default, borrow)]
    pub delta: Option<DeltaMessage<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct DeltaMessage<'a> {
    #[serde(default, borrow)]
    pub message: Option<DeltaContent<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct DeltaContent<'a> {
    #[serde(default, borrow)]
    pub content: Option<DeltaText<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct DeltaText<'a> {
    /// The reply's text. With `thinking` on, reasoning arrives in a
    /// `thinking` field instead, which is not part of the reply.
    #[serde(default, borrow)]
    pub text: Option<JsonText<'a>>,
}

impl<'a> ContentDelta<'a> {
    /// The text of the delta, if it has any.
    pub(crate) fn text(self) -> Option<JsonText<'a>> {
        self.delta?.message?.content?.text
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

/// `Usage`: `tokens` counts what the model processed (prompt scaffolding
/// included), `billed_units` what is charged. Both are JSON numbers.
#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub billed_units: Option<Counts>,
    #[serde(default)]
    pub tokens: Option<Counts>,
}

#[derive(Deserialize, Clone, Copy, Default)]
pub(crate) struct Counts {
    #[serde(default)]
    pub input_tokens: Option<f64>,
    #[serde(default)]
    pub output_tokens: Option<f64>,
}

impl WireUsage {
    /// `(input, output)`: from `tokens`, each falling back to `billed_units`.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let t = self.tokens.unwrap_or_default();
        let b = self.billed_units.unwrap_or_default();
        let n = |v: Option<f64>| {
            v.filter(|x| x.is_finite() && *x >= 0.0)
                .map(|x| x.round() as u64)
        };
        (
            n(t.input_tokens).or(n(b.input_tokens)).unwrap_or(0),
            n(t.output_tokens).or(n(b.output_tokens)).unwrap_or(0),
        )
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use yat_core::Message;

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = ChatRequest::new(
            "command-a-03-2025",
            vec![Message::system("Be brief."), Message::user("Say hello")],
        )
        .temperature(0.3)
        .top_p(0.75)
        .max_tokens(256)
        .stop("\n\n");
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.3, not 0.30000001192092896).
        let sent = String::from_utf8(serde_json::to_vec(&ChatBody::new(&req)).unwrap()).unwrap();
        assert_eq!(
            sent,
            r#"{"model":"command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.3,"p":0.75,"max_tokens":256,"stop_sequences":["\n\n"],"stream":true}"#
        );
        let bare = ChatRequest::new("m", vec![Message::user("hi"), Message::assistant("yo")]);
        let v = serde_json::to_value(ChatBody::new(&bare)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"stream":true})
        );
    }

    #[test]
    fn top_p_is_brought_into_the_accepted_range() {
        let body = |p: f32| {
            let req = ChatRequest::new("m", vec![Message::user("hi")]).top_p(p);
            serde_json::to_string(&ChatBody::new(&req)).unwrap()
        };
        assert!(body(1.0).contains(r#""p":0.99"#), "{}", body(1.0));
        assert!(body(0.0).contains(r#""p":0.01"#), "{}", body(0.0));
        assert!(body(0.5).contains(r#""p":0.5"#), "{}", body(0.5));
        assert!(clamp_p(f32::NAN).is_nan());
    }

    #[test]
    fn text_is_escaped_as_json_requires() {
        let req = ChatRequest::new(
            "m",
            vec![Message::user(
                "line\nbreak \"quoted\" tab\t é \u{1F600} \u{7}",
            )],
        );
        let sent = String::from_utf8(serde_json::to_vec(&ChatBody::new(&req)).unwrap()).unwrap();
        assert_eq!(
            sent,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line\\nbreak \\\"quoted\\\" tab\\t é \u{1F600} \\u0007\"}],\"stream\":true}"
        );
    }

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
        let u: WireUsage =
            serde_json::from_str(r#"{"billed_units":{"input_tokens":5.0,"output_tokens":26.0}}"#)
                .unwrap();
        assert_eq!(u.counts(), (5, 26));
    }

    #[test]
    fn content_delta_borrows_its_text() {
        let d: ContentDelta = serde_json::from_str(
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"LL"}}}}"#,
        )
        .unwrap();
        assert!(matches!(d.text().map(|t| t.0), Some(Cow::Borrowed("LL"))));
        let d: ContentDelta = serde_json::from_str(
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"hmm"}}}}"#,
        )
        .unwrap();
        assert!(d.text().is_none());
    }
}
