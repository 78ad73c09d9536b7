//! The `/v2/chat` request body, built from a [`ChatRequest`].
//!
//! Reference: `cohere-openapi.yaml` (path `/v2/chat`; schemas
//! `UserMessageV2`, `AssistantMessageV2`, `SystemMessageV2`,
//! `ToolMessageV2`, `ToolCallV2`, `ToolV2`, `ImageContent`, `ToolContent`,
//! `ResponseFormatV2`, `Thinking`), docs.cohere.com/v2/docs/tool-use-overview
//! and docs.cohere.com/docs/reasoning.
//!
//! How the contract maps where Cohere has no exact counterpart:
//! - Messages of text only keep the plain-string `content`; a user message
//!   with images becomes `[{"type":"text"},{"type":"image_url","image_url":{"url"}}]`,
//!   bytes going as a `data:` URL. Only user messages take images.
//! - An assistant turn's calls go in `tool_calls` (arguments as JSON text).
//!   Its reasoning goes back as `tool_plan` when the turn made calls (Cohere
//!   returns its plan as reasoning), and as `{"type":"thinking"}` content
//!   otherwise (how a reasoning model's turn is sent back). Redacted
//!   reasoning, which Cohere never produces, is dropped.
//! - Each tool result is its own `tool` message. JSON output goes as the
//!   documented `{"type":"document","document":{"data":"<JSON text>"}}`,
//!   text as a text block; Cohere has no error flag, so a failed call goes
//!   as a document `{"error": <message>}` the model can read.
//! - `tool_choice`: auto is Cohere's default (omitted); none is `NONE`,
//!   required `REQUIRED`. Cohere cannot name a tool, so one named tool is
//!   `REQUIRED` with only that tool offered: the model must call it.
//! - `strict` on any tool turns on Cohere's request-wide `strict_tools`
//!   (its tools take no `strict` field of their own).
//! - `parallel_tool_calls` has no Cohere counterpart and is not sent.
//! - A JSON schema goes as `{"type":"json_object","json_schema":...}` (its
//!   name and strictness have no field); reasoning as
//!   `{"type":"enabled","token_budget":...}`.

use std::borrow::Cow;

use serde::Serialize;
use yat_core::{
    ChatRequest, Failure, Media, MediaSource, Message, Part, ReasoningConfig, ResponseFormat, Role,
    ToolCall, ToolChoice, ToolOutput, ToolResult, ToolSpec, YatError,
};

use super::ID;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict_tools: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Thinking>,
    stream: bool,
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum WireMessage<'a> {
    System {
        content: Cow<'a, str>,
    },
    User {
        content: WireContent<'a>,
    },
    Assistant {
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<WireContent<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_plan: Option<Cow<'a, str>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireToolCall<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: [WirePart<'a>; 1],
    },
}

/// A message's `content`: a string, or content blocks.
#[derive(Serialize)]
#[serde(untagged)]
enum WireContent<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<WirePart<'a>>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart<'a> {
    Text { text: Cow<'a, str> },
    ImageUrl { image_url: ImageUrl<'a> },
    Thinking { thinking: &'a str },
    Document { document: Document },
}

#[derive(Serialize)]
struct ImageUrl<'a> {
    url: Cow<'a, str>,
}

#[derive(Serialize)]
struct Document {
    /// JSON text, as Cohere's own examples send it.
    data: String,
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    arguments: String,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireToolFunction<'a>,
}

#[derive(Serialize)]
struct WireToolFunction<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    parameters: &'a serde_json::Value,
}

#[derive(Serialize)]
struct WireResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    json_schema: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: &'static str,
    token_budget: u32,
}

fn invalid(message: impl Into<String>) -> YatError {
    YatError::InvalidRequest(Failure::new(ID, message))
}

impl<'a> ChatBody<'a> {
    /// The body for `req` (see the module notes for how each part maps).
    /// Fails on what Cohere cannot take: documents, images outside user
    /// messages or of unknown type, a tool choice naming no offered tool.
    pub(crate) fn new(req: &'a ChatRequest) -> Result<Self, YatError> {
        let mut messages = Vec::with_capacity(req.messages.len());
        for m in &req.messages {
            push_message(m, &mut messages)?;
        }
        let (tools, tool_choice) = tools(&req.tools, req.tool_choice.as_ref())?;
        let strict_tools = tools.iter().any(|t| t.strict == Some(true)).then_some(true);
        Ok(ChatBody {
            model: &req.model,
            messages,
            temperature: req.temperature,
            p: req.top_p.map(clamp_p),
            max_tokens: req.max_tokens,
            stop_sequences: &req.stop,
            seed: req.seed,
            tools: tools.into_iter().map(wire_tool).collect(),
            strict_tools,
            tool_choice,
            response_format: req.response_format.as_ref().and_then(response_format),
            thinking: req.reasoning.as_ref().map(thinking),
            stream: true,
        })
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

/// The tools offered and the `tool_choice`.
fn tools<'a>(
    all: &'a [ToolSpec],
    choice: Option<&ToolChoice>,
) -> Result<(Vec<&'a ToolSpec>, Option<&'static str>), YatError> {
    let every = || all.iter().collect::<Vec<_>>();
    Ok(match choice {
        Some(ToolChoice::None) if !all.is_empty() => (every(), Some("NONE")),
        Some(ToolChoice::Required) if all.is_empty() => {
            return Err(invalid("tool_choice `required` needs at least one tool"))
        }
        Some(ToolChoice::Required) => (every(), Some("REQUIRED")),
        Some(ToolChoice::Tool { name }) => match all.iter().find(|t| t.name == *name) {
            Some(tool) => (vec![tool], Some("REQUIRED")),
            None => {
                return Err(invalid(format!(
                    "tool_choice names the tool `{name}`, which is not among the request's tools"
                )))
            }
        },
        _ => (every(), None),
    })
}

fn wire_tool(t: &ToolSpec) -> WireTool<'_> {
    WireTool {
        kind: "function",
        function: WireToolFunction {
            name: &t.name,
            description: &t.description,
            parameters: &t.parameters,
        },
    }
}

fn response_format(f: &ResponseFormat) -> Option<WireResponseFormat<'_>> {
    let (kind, json_schema) = match f {
        ResponseFormat::Text => ("text", None),
        ResponseFormat::JsonObject => ("json_object", None),
        ResponseFormat::JsonSchema(s) => ("json_object", Some(&s.schema)),
        _ => return None,
    };
    Some(WireResponseFormat { kind, json_schema })
}

fn thinking(r: &ReasoningConfig) -> Thinking {
    Thinking {
        kind: "enabled",
        token_budget: r.budget(),
    }
}

/// Appends the Cohere messages of `m`: its tool results (each its own
/// `tool` message), then the rest of it in its role.
fn push_message<'a>(m: &'a Message, out: &mut Vec<WireMessage<'a>>) -> Result<(), YatError> {
    let results = m.content.tool_results().count();
    out.extend(m.content.tool_results().map(tool_message));
    let only_results = results > 0 && results == m.content.len();
    if only_results || m.role == Role::Tool {
        if m.role == Role::Tool && !only_results {
            tracing::debug!("cohere: parts of a tool message other than results are not sent");
        }
        return Ok(());
    }
    for p in m.content.iter() {
        match p {
            Part::Document(_) => {
                return Err(YatError::Unsupported {
                    provider: ID.to_owned(),
                    capability: "documents".into(),
                    message: "Cohere's chat takes no files; send the document's text".into(),
                })
            }
            Part::Image(_) if m.role != Role::User => {
                return Err(invalid(format!(
                    "Cohere takes images only in user messages, not in {} messages",
                    m.role.as_str()
                )))
            }
            _ => {}
        }
    }
    out.push(match m.role {
        Role::System => WireMessage::System {
            content: m.content.text(),
        },
        Role::Assistant => assistant(m),
        _ => WireMessage::User {
            content: user_content(m)?,
        },
    });
    Ok(())
}

fn tool_message(r: &ToolResult) -> WireMessage<'_> {
    let part = match (&r.content, r.is_error) {
        (ToolOutput::Text(t), false) => WirePart::Text {
            text: Cow::Borrowed(t),
        },
        (ToolOutput::Json(v), false) => WirePart::Document {
            document: Document {
                data: v.to_string(),
            },
        },
        // Parts with images (and kinds a later yat-core adds): their text,
        // each image described. A v2 tool message's content blocks are
        // `text` and `document` only (docs.cohere.com/reference/chat,
        // `messages[].content` of role `tool`), so the images themselves
        // are not sent.
        (output, false) => WirePart::Text {
            text: Cow::Owned(output.to_text()),
        },
        (output, true) => WirePart::Document {
            document: Document {
                data: serde_json::json!({ "error": output.to_json() }).to_string(),
            },
        },
    };
    WireMessage::Tool {
        tool_call_id: &r.call_id,
        content: [part],
    }
}

fn user_content(m: &Message) -> Result<WireContent<'_>, YatError> {
    if !m.content.iter().any(|p| matches!(p, Part::Image(_))) {
        return Ok(WireContent::Text(m.content.text()));
    }
    let mut parts = Vec::with_capacity(m.content.len());
    for p in m.content.iter() {
        match p {
            Part::Text(t) => parts.push(WirePart::Text {
                text: Cow::Borrowed(t),
            }),
            Part::Image(media) => parts.push(WirePart::ImageUrl {
                image_url: ImageUrl {
                    url: image_url(media)?,
                },
            }),
            other => tracing::debug!(kind = other.kind(), "cohere: not sent in a user message"),
        }
    }
    Ok(WireContent::Parts(parts))
}

/// The URL Cohere reads an image from: its own URL, or its bytes as a
/// `data:` URL, typed by the media type given or read from the bytes.
fn image_url(media: &Media) -> Result<Cow<'_, str>, YatError> {
    match &media.source {
        MediaSource::Url(u) => Ok(Cow::Borrowed(u)),
        MediaSource::Bytes(bytes) => {
            let ty = media
                .media_type
                .as_deref()
                .or_else(|| Media::sniff(bytes))
                .ok_or_else(|| {
                    invalid("an image's media type is not given and its bytes are not PNG, JPEG, GIF or WebP")
                })?;
            let data = media.base64().unwrap_or_default();
            Ok(Cow::Owned(format!("data:{ty};base64,{data}")))
        }
        _ => Err(invalid("an image source Cohere cannot take")),
    }
}

fn assistant(m: &Message) -> WireMessage<'_> {
    let tool_calls: Vec<WireToolCall<'_>> = m.content.tool_calls().map(wire_call).collect();
    let reasoning = || {
        m.content.iter().filter_map(|p| match p {
            Part::Reasoning(r) if !r.text.is_empty() => Some(r.text.as_str()),
            _ => None,
        })
    };
    let has_text = m.content.iter().any(|p| matches!(p, Part::Text(_)));
    if !tool_calls.is_empty() {
        let plan: Vec<&str> = reasoning().collect();
        let tool_plan = match plan.as_slice() {
            [] => None,
            [one] => Some(Cow::Borrowed(*one)),
            many => Some(Cow::Owned(many.concat())),
        };
        return WireMessage::Assistant {
            content: has_text.then(|| WireContent::Text(m.content.text())),
            tool_plan,
            tool_calls,
        };
    }
    if reasoning().next().is_none() {
        return WireMessage::Assistant {
            content: Some(WireContent::Text(m.content.text())),
            tool_plan: None,
            tool_calls,
        };
    }
    let parts = m
        .content
        .iter()
        .filter_map(|p| match p {
            Part::Reasoning(r) if !r.text.is_empty() => {
                Some(WirePart::Thinking { thinking: &r.text })
            }
            Part::Text(t) => Some(WirePart::Text {
                text: Cow::Borrowed(t),
            }),
            _ => None,
        })
        .collect();
    WireMessage::Assistant {
        content: Some(WireContent::Parts(parts)),
        tool_plan: None,
        tool_calls,
    }
}

fn wire_call(c: &ToolCall) -> WireToolCall<'_> {
    WireToolCall {
        id: &c.id,
        kind: "function",
        function: WireFunction {
            name: &c.name,
            arguments: c.arguments_text(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_fixture;
    use yat_core::{JsonSchema, ReasoningEffort};

    fn sent(req: &ChatRequest) -> String {
        String::from_utf8(serde_json::to_vec(&ChatBody::new(req).unwrap()).unwrap()).unwrap()
    }

    fn value(req: &ChatRequest) -> serde_json::Value {
        serde_json::from_str(&sent(req)).unwrap()
    }

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = request_fixture::sampled("command-a-03-2025");
        // The bytes sent, not a `Value`: f32 parameters must go out as
        // written (0.7, not 0.699999988079071).
        assert_eq!(
            sent(&req),
            r#"{"model":"command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"p":0.9,"max_tokens":256,"stop_sequences":["\n\n"],"stream":true}"#
        );
        let bare = ChatRequest::new("m", vec![Message::user("hi"), Message::assistant("yo")]);
        assert_eq!(
            value(&bare),
            serde_json::json!({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"stream":true})
        );
    }

    #[test]
    fn top_p_is_brought_into_the_accepted_range() {
        let body = |p: f32| sent(&ChatRequest::new("m", vec![Message::user("hi")]).top_p(p));
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
        assert_eq!(
            sent(&req),
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line\\nbreak \\\"quoted\\\" tab\\t é \u{1F600} \\u0007\"}],\"stream\":true}"
        );
    }

    #[test]
    fn several_text_parts_are_one_string() {
        let m = Message::user("a").with_part(Part::text("b"));
        let v = value(&ChatRequest::new("m", vec![m]));
        assert_eq!(v["messages"][0]["content"], "ab");
    }

    #[test]
    fn reasoning_of_several_parts_is_one_tool_plan() {
        let call = ToolCall::new("c1", "f", serde_json::json!({}));
        let m = Message::assistant(vec![
            Part::Reasoning(yat_core::Reasoning::new("I will ")),
            Part::Reasoning(yat_core::Reasoning::redacted("opaque")),
            Part::Reasoning(yat_core::Reasoning::new("call f.")),
            Part::ToolCall(call),
        ]);
        let v = value(&ChatRequest::new("m", vec![m]));
        assert_eq!(v["messages"][0]["tool_plan"], "I will call f.");
        assert!(v["messages"][0].get("content").is_none());
    }

    #[test]
    fn effort_and_budget_both_become_a_token_budget() {
        let v = value(
            &ChatRequest::new("m", vec![Message::user("hi")])
                .reasoning(ReasoningConfig::effort(ReasoningEffort::Low)),
        );
        assert_eq!(
            v["thinking"],
            serde_json::json!({"type":"enabled","token_budget":2048})
        );
        let v = value(
            &ChatRequest::new("m", vec![Message::user("hi")])
                .reasoning(ReasoningConfig::budget_tokens(500)),
        );
        assert_eq!(v["thinking"]["token_budget"], 500);
    }

    #[test]
    fn response_formats_map_to_json_object() {
        let fmt = |f: ResponseFormat| {
            value(&ChatRequest::new("m", vec![Message::user("hi")]).response_format(f))
                ["response_format"]
                .clone()
        };
        assert_eq!(
            fmt(ResponseFormat::Text),
            serde_json::json!({"type":"text"})
        );
        assert_eq!(
            fmt(ResponseFormat::JsonObject),
            serde_json::json!({"type":"json_object"})
        );
        let schema = serde_json::json!({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]});
        assert_eq!(
            fmt(ResponseFormat::JsonSchema(JsonSchema::new(
                "a",
                schema.clone()
            ))),
            serde_json::json!({"type":"json_object","json_schema":schema})
        );
    }

    #[test]
    fn extra_fields_are_written_over_the_body_keeping_numbers_as_written() {
        let req = ChatRequest::new("m", vec![Message::user("hi")])
            .temperature(0.3)
            .extra(ID, "k", serde_json::json!(40))
            .extra(ID, "stream", serde_json::json!(true));
        let body = ChatBody::new(&req).unwrap();
        let r = crate::api::sse_post(ID, "http://h".into(), &body, req.extra_for(ID)).unwrap();
        assert_eq!(
            String::from_utf8(r.body.unwrap()).unwrap(),
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.3,"stream":true,"k":40}"#
        );
    }

    #[test]
    fn impossible_requests_fail_before_sending() {
        let err = |req: ChatRequest| ChatBody::new(&req).err().unwrap();
        let user = || vec![Message::user("hi")];
        let e = err(ChatRequest::new("m", user()).tool_choice(ToolChoice::Required));
        assert_eq!(e.kind(), "invalid_request");
        let e = err(ChatRequest::new("m", user())
            .tool(ToolSpec::new("a", "", serde_json::json!({"type":"object"})))
            .tool_choice(ToolChoice::Tool { name: "b".into() }));
        assert!(e.to_string().contains("`b`"), "{e}");
        let doc = Message::user("read").with_part(Part::Document(Media::bytes(
            "application/pdf",
            b"%PDF-1.7".to_vec(),
        )));
        assert_eq!(err(ChatRequest::new("m", vec![doc])).kind(), "unsupported");
        let sys = Message::system("s").with_part(Part::Image(Media::url("https://x/y.png")));
        assert_eq!(
            err(ChatRequest::new("m", vec![sys])).kind(),
            "invalid_request"
        );
        let unknown =
            Message::user("?").with_part(Part::Image(Media::bytes("x", b"hello".to_vec())));
        // A media type is given ("x"): sent as is, Cohere judges it.
        assert!(ChatBody::new(&ChatRequest::new("m", vec![unknown])).is_ok());
        let mut untyped = Media::bytes("x", b"hello".to_vec());
        untyped.media_type = None;
        let m = Message::user("?").with_part(Part::Image(untyped));
        assert_eq!(
            err(ChatRequest::new("m", vec![m])).kind(),
            "invalid_request"
        );
    }

    #[test]
    fn tool_choice_none_without_tools_is_not_sent() {
        let v =
            value(&ChatRequest::new("m", vec![Message::user("hi")]).tool_choice(ToolChoice::None));
        assert!(v.get("tool_choice").is_none());
        let v =
            value(&ChatRequest::new("m", vec![Message::user("hi")]).tool_choice(ToolChoice::Auto));
        assert!(v.get("tool_choice").is_none());
    }
}
