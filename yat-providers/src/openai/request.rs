//! The Chat Completions request body.
//!
//! Reference: OpenAI's `openapi.yaml`, schema `CreateChatCompletionRequest`
//! and the message, content-part and tool schemas it names.
//!
//! How yat's conversation maps onto it:
//!
//! - A message whose parts are all text goes out with `content` as one
//!   string (the parts joined); one with images or documents as an array
//!   of `text`, `image_url` and `file` parts. Images go as their URL or as
//!   a `data:` URL of their bytes; documents as `file_data` (a `data:` URL)
//!   with a `filename`, the only way Chat Completions takes a file inline.
//! - An assistant message's tool calls go in its `tool_calls`, arguments
//!   as JSON text; its `content` is `null` when it has no text.
//! - Every tool result becomes its own `{role: "tool", tool_call_id,
//!   content}` message, in order, where its message stood. The API has no
//!   error flag for a result, so a failed one's content is prefixed with
//!   [`TOOL_ERROR_PREFIX`]: the model reads that it failed and why. A
//!   `tool` message takes text only, so a result's images and documents
//!   are described in it and sent in one `user` message after the last
//!   `tool` message of the turn (see `tool_results.rs`).
//! - Reasoning parts are dropped: Chat Completions takes no reasoning in
//!   messages, and DeepSeek documents a 400 for `reasoning_content` sent
//!   back.

use std::borrow::Cow;

use serde::Serialize;
use yat_core::{
    ChatRequest, Failure, Media, MediaSource, Message, Part, ResponseFormat, Role, ToolChoice,
    YatError,
};

use super::tool_results::{tool_message, ResultMedia};
use super::Profile;

/// What a failed tool result's content starts with on the wire.
pub const TOOL_ERROR_PREFIX: &str = "Error: ";

/// Which field carries the token limit: OpenAI replaced `max_tokens` with
/// `max_completion_tokens` (reasoning models reject the old one), while most
/// compatible servers only know `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_completion_tokens`
    MaxCompletionTokens,
    /// `max_tokens`
    MaxTokens,
}

/// How a server takes a reasoning request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningField {
    /// `reasoning_effort: "low" | "medium" | "high"` (OpenAI and most
    /// compatible servers); a token budget is sent as the nearest effort.
    Effort,
    /// `reasoning: {effort}` or, when a token budget is given,
    /// `reasoning: {max_tokens}` (OpenRouter's unified parameter).
    Object,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The body of `POST /chat/completions`, borrowing from the request.
#[derive(Serialize)]
pub(crate) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<WireReasoning>,
}

impl<'a> ChatBody<'a> {
    /// The body for `req` as `profile`'s server takes it, the token limit
    /// in `limit_field`. Fails only on media the API cannot take (a
    /// document by URL, bytes of an unknown type).
    pub(crate) fn new(
        req: &'a ChatRequest,
        profile: &Profile,
        limit_field: MaxTokensField,
    ) -> Result<Self, YatError> {
        let (max_completion_tokens, max_tokens) = match limit_field {
            MaxTokensField::MaxCompletionTokens => (req.max_tokens, None),
            MaxTokensField::MaxTokens => (None, req.max_tokens),
        };
        let mut messages = Vec::with_capacity(req.messages.len());
        let mut media = ResultMedia::new(&profile.capabilities);
        for m in &req.messages {
            push_message(&profile.id, m, &mut messages, &mut media)?;
        }
        media.flush(&mut messages);
        let (reasoning_effort, reasoning) = match (req.reasoning, profile.reasoning_field) {
            (None, _) => (None, None),
            (Some(r), ReasoningField::Effort) => (Some(r.effort_or_nearest().as_str()), None),
            (Some(r), ReasoningField::Object) => (
                None,
                Some(match (r.effort, r.budget_tokens) {
                    (None, Some(n)) => WireReasoning {
                        effort: None,
                        max_tokens: Some(n),
                    },
                    _ => WireReasoning {
                        effort: Some(r.effort_or_nearest().as_str()),
                        max_tokens: None,
                    },
                }),
            ),
        };
        Ok(ChatBody {
            model: &req.model,
            messages,
            stream: true,
            stream_options: profile.stream_usage.then_some(StreamOptions {
                include_usage: true,
            }),
            temperature: req.temperature,
            top_p: req.top_p,
            max_completion_tokens,
            max_tokens,
            stop: &req.stop,
            seed: req.seed,
            tools: req
                .tools
                .iter()
                .map(|t| WireTool {
                    kind: "function",
                    function: WireFunction {
                        name: &t.name,
                        description: Some(t.description.as_str()).filter(|d| !d.is_empty()),
                        parameters: &t.parameters,
                        strict: t.strict,
                    },
                })
                .collect(),
            tool_choice: req.tool_choice.as_ref().and_then(tool_choice),
            parallel_tool_calls: req.parallel_tool_calls,
            response_format: req.response_format.as_ref().and_then(response_format),
            reasoning_effort,
            reasoning,
        })
    }
}

#[derive(Serialize)]
struct WireReasoning {
    #[serde(skip_serializing_if = "Option::is_none")]
    effort: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    parameters: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict: Option<bool>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireToolChoice<'a> {
    Mode(&'static str),
    Function {
        #[serde(rename = "type")]
        kind: &'static str,
        function: WireName<'a>,
    },
}

#[derive(Serialize)]
struct WireName<'a> {
    name: &'a str,
}

fn tool_choice(choice: &ToolChoice) -> Option<WireToolChoice<'_>> {
    Some(match choice {
        ToolChoice::Auto => WireToolChoice::Mode("auto"),
        ToolChoice::None => WireToolChoice::Mode("none"),
        ToolChoice::Required => WireToolChoice::Mode("required"),
        ToolChoice::Tool { name } => WireToolChoice::Function {
            kind: "function",
            function: WireName { name },
        },
        other => {
            tracing::debug!(
                ?other,
                "a tool choice Chat Completions cannot express; left out"
            );
            return None;
        }
    })
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireResponseFormat<'a> {
    Text,
    JsonObject,
    JsonSchema { json_schema: WireJsonSchema<'a> },
}

#[derive(Serialize)]
struct WireJsonSchema<'a> {
    name: &'a str,
    schema: &'a serde_json::Value,
    strict: bool,
}

fn response_format(format: &ResponseFormat) -> Option<WireResponseFormat<'_>> {
    Some(match format {
        ResponseFormat::Text => WireResponseFormat::Text,
        ResponseFormat::JsonObject => WireResponseFormat::JsonObject,
        ResponseFormat::JsonSchema(s) => WireResponseFormat::JsonSchema {
            json_schema: WireJsonSchema {
                name: &s.name,
                schema: &s.schema,
                strict: s.strict,
            },
        },
        other => {
            tracing::debug!(
                ?other,
                "a response format Chat Completions cannot express; left out"
            );
            return None;
        }
    })
}

/// One entry of `messages`.
#[derive(Serialize)]
pub(super) struct WireMessage<'a> {
    role: &'static str,
    content: WireContent<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_call_id: Option<&'a str>,
}

impl<'a> WireMessage<'a> {
    pub(super) fn new(role: &'static str, content: WireContent<'a>) -> Self {
        WireMessage {
            role,
            content,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum WireContent<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<WirePart<'a>>),
    /// `null`: an assistant turn that only called tools.
    Null,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum WirePart<'a> {
    Text { text: Cow<'a, str> },
    ImageUrl { image_url: WireImageUrl },
    File { file: WireFile<'a> },
}

#[derive(Serialize)]
pub(super) struct WireImageUrl {
    pub(super) url: String,
}

#[derive(Serialize)]
pub(super) struct WireFile<'a> {
    file_data: String,
    filename: &'a str,
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireCallFunction<'a>,
}

#[derive(Serialize)]
struct WireCallFunction<'a> {
    name: &'a str,
    arguments: String,
}

/// Appends what `m` becomes on the wire: its tool results as `tool`
/// messages, then the message itself unless results were all it held.
///
/// The media of results wait in `media` until a message that is not a
/// `tool` message goes out (or the end): the API wants every `tool`
/// message of a turn right after the assistant message that called.
fn push_message<'a>(
    provider: &str,
    m: &'a Message,
    out: &mut Vec<WireMessage<'a>>,
    media: &mut ResultMedia<'a>,
) -> Result<(), YatError> {
    let mut results = 0;
    for r in m.content.tool_results() {
        results += 1;
        out.push(tool_message(r));
        media.collect(provider, r)?;
    }
    let rest = m.content.len() - results;
    match m.role {
        Role::Tool => {
            if rest > 0 {
                tracing::debug!("parts of a tool message other than results are not sent");
            }
        }
        Role::Assistant => {
            media.flush(out);
            out.push(assistant_message(m));
        }
        _ if results > 0 && rest == 0 => {}
        _ => {
            media.flush(out);
            out.push(WireMessage::new(
                m.role.as_str(),
                user_content(provider, m)?,
            ));
        }
    }
    Ok(())
}

fn assistant_message(m: &Message) -> WireMessage<'_> {
    let tool_calls: Vec<WireToolCall<'_>> = m
        .content
        .tool_calls()
        .map(|c| WireToolCall {
            id: &c.id,
            kind: "function",
            function: WireCallFunction {
                name: &c.name,
                arguments: c.arguments_text(),
            },
        })
        .collect();
    if m.content
        .iter()
        .any(|p| matches!(p, Part::Image(_) | Part::Document(_)))
    {
        tracing::debug!("images and documents in an assistant message are not sent");
    }
    let text = m.content.text();
    let content = if text.is_empty() && !tool_calls.is_empty() {
        WireContent::Null
    } else {
        WireContent::Text(text)
    };
    WireMessage {
        tool_calls,
        ..WireMessage::new("assistant", content)
    }
}

/// A user (or system) message's content: one string when it is all text,
/// an array of parts when it holds media.
fn user_content<'a>(provider: &str, m: &'a Message) -> Result<WireContent<'a>, YatError> {
    let has_media = m
        .content
        .iter()
        .any(|p| matches!(p, Part::Image(_) | Part::Document(_)));
    if !has_media {
        return Ok(WireContent::Text(m.content.text()));
    }
    let mut parts = Vec::with_capacity(m.content.len());
    for p in &m.content {
        match p {
            Part::Text(text) => parts.push(WirePart::Text {
                text: Cow::Borrowed(text),
            }),
            Part::Image(media) => parts.push(WirePart::ImageUrl {
                image_url: WireImageUrl {
                    url: media_url(provider, media, "images")?,
                },
            }),
            Part::Document(media) => parts.push(document_part(provider, media)?),
            // Results were sent as tool messages already; calls and
            // reasoning have no place in a user message.
            Part::ToolResult(_) => {}
            other => tracing::debug!(kind = other.kind(), "part not sent in a user message"),
        }
    }
    Ok(WireContent::Parts(parts))
}

/// A document as a `file` part.
pub(super) fn document_part<'a>(
    provider: &str,
    media: &'a Media,
) -> Result<WirePart<'a>, YatError> {
    let file_data = document_data(provider, media)?;
    // OpenAI wants a file name with the data; a PDF's should say so.
    let filename =
        media
            .name
            .as_deref()
            .unwrap_or(if file_data.starts_with("data:application/pdf;") {
                "document.pdf"
            } else {
                "document"
            });
    Ok(WirePart::File {
        file: WireFile {
            file_data,
            filename,
        },
    })
}

/// The URL of `media`: its own, or a `data:` URL of its bytes (the media
/// type read from the bytes when none was given).
pub(super) fn media_url(
    provider: &str,
    media: &Media,
    capability: &str,
) -> Result<String, YatError> {
    if let Some(url) = media.to_data_url() {
        return Ok(url);
    }
    let sniffed = match &media.source {
        MediaSource::Bytes(b) => Media::sniff(b),
        _ => None,
    };
    sniffed
        .and_then(|ty| media.clone().with_media_type(ty).to_data_url())
        .ok_or_else(|| {
            YatError::InvalidRequest(Failure::new(
                provider,
                format!(
                    "{capability}: the media type of inline bytes is not given and not recognisable; set it"
                ),
            ))
        })
}

/// A document as `file_data`: a `data:` URL, which is all Chat Completions
/// takes inline.
fn document_data(provider: &str, media: &Media) -> Result<String, YatError> {
    match &media.source {
        MediaSource::Url(u) if !u.starts_with("data:") => Err(YatError::Unsupported {
            provider: provider.to_owned(),
            capability: "documents".into(),
            message: "Chat Completions takes documents as inline data, not by URL; send the bytes"
                .into(),
        }),
        _ => media_url(provider, media, "documents"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_fixture;
    use yat_core::{JsonSchema, ReasoningConfig, ReasoningEffort, ToolCall, ToolResult, ToolSpec};

    fn profile(max: MaxTokensField, usage: bool, reasoning: ReasoningField) -> Profile {
        Profile {
            id: "openai".into(),
            default_base_url: String::new(),
            max_tokens_field: max,
            stream_usage: usage,
            static_models: Vec::new(),
            list_models: true,
            capabilities: yat_core::Capabilities::default(),
            reasoning_field: reasoning,
        }
    }

    fn body(req: &ChatRequest, p: &Profile) -> serde_json::Value {
        // Compare the bytes as sent (f32 0.7 must go out as 0.7), parsed.
        let bytes =
            serde_json::to_vec(&ChatBody::new(req, p, p.max_tokens_field).unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn openai() -> Profile {
        profile(
            MaxTokensField::MaxCompletionTokens,
            true,
            ReasoningField::Effort,
        )
    }

    #[test]
    fn request_body_matches_the_documented_shape() {
        let req = request_fixture::sampled("gpt-4o-mini");
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"temperature":0.7,"top_p":0.9,"max_completion_tokens":256,"stop":["\n\n"],"stream":true,"stream_options":{"include_usage":true}}"#,
        )
        .unwrap();
        assert_eq!(body(&req, &openai()), expected);
    }

    #[test]
    fn compatible_servers_get_max_tokens_and_no_stream_options() {
        let req = ChatRequest::new("m", vec![Message::user("hi")]).max_tokens(5);
        let v = body(
            &req,
            &profile(MaxTokensField::MaxTokens, false, ReasoningField::Effort),
        );
        assert_eq!(v["max_tokens"], 5);
        for absent in [
            "max_completion_tokens",
            "stream_options",
            "stop",
            "temperature",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "response_format",
            "reasoning_effort",
            "reasoning",
            "seed",
        ] {
            assert!(v.get(absent).is_none(), "{absent} sent: {v}");
        }
    }

    #[test]
    fn text_parts_join_into_one_string_and_reasoning_is_dropped() {
        let m = Message::assistant(vec![
            Part::Reasoning(yat_core::Reasoning::new("hm").with_signature("s")),
            Part::text("Hel"),
            Part::text("lo"),
        ]);
        let v = body(&ChatRequest::new("m", vec![m]), &openai());
        assert_eq!(
            v["messages"],
            serde_json::json!([{"role": "assistant", "content": "Hello"}])
        );
    }

    #[test]
    fn tool_choice_modes_and_response_formats() {
        let cases = [
            (ToolChoice::Auto, serde_json::json!("auto")),
            (ToolChoice::None, serde_json::json!("none")),
            (ToolChoice::Required, serde_json::json!("required")),
            (
                ToolChoice::Tool { name: "f".into() },
                serde_json::json!({"type": "function", "function": {"name": "f"}}),
            ),
        ];
        for (choice, wire) in cases {
            let req = ChatRequest::new("m", vec![]).tool_choice(choice);
            assert_eq!(body(&req, &openai())["tool_choice"], wire);
        }
        let formats = [
            (ResponseFormat::Text, serde_json::json!({"type": "text"})),
            (
                ResponseFormat::JsonObject,
                serde_json::json!({"type": "json_object"}),
            ),
            (
                ResponseFormat::JsonSchema(
                    JsonSchema::new("city", serde_json::json!({"type": "object"})).strict(false),
                ),
                serde_json::json!({"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object"}, "strict": false}}),
            ),
        ];
        for (format, wire) in formats {
            let req = ChatRequest::new("m", vec![]).response_format(format);
            assert_eq!(body(&req, &openai())["response_format"], wire);
        }
    }

    #[test]
    fn reasoning_goes_as_an_effort_or_as_openrouters_object() {
        let budget =
            ChatRequest::new("m", vec![]).reasoning(ReasoningConfig::budget_tokens(20_000));
        assert_eq!(body(&budget, &openai())["reasoning_effort"], "high");
        let router = profile(MaxTokensField::MaxTokens, true, ReasoningField::Object);
        let v = body(&budget, &router);
        assert_eq!(v["reasoning"], serde_json::json!({"max_tokens": 20_000}));
        assert!(v.get("reasoning_effort").is_none());
        let effort =
            ChatRequest::new("m", vec![]).reasoning(ReasoningConfig::effort(ReasoningEffort::Low));
        assert_eq!(
            body(&effort, &router)["reasoning"],
            serde_json::json!({"effort": "low"})
        );
        assert_eq!(body(&effort, &openai())["reasoning_effort"], "low");
    }

    #[test]
    fn tools_leave_out_an_empty_description_and_unset_strictness() {
        let req = ChatRequest::new("m", vec![]).tool(ToolSpec::new(
            "now",
            "",
            serde_json::json!({"type": "object"}),
        ));
        assert_eq!(
            body(&req, &openai())["tools"],
            serde_json::json!([{"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}])
        );
    }

    #[test]
    fn results_in_a_user_message_go_first_as_tool_messages() {
        let call = ToolCall::new("c1", "f", serde_json::json!({}));
        let m = Message::user(vec![
            Part::ToolResult(ToolResult::new(&call, serde_json::json!({"ok": true}))),
            Part::text("and now?"),
        ]);
        let v = body(&ChatRequest::new("m", vec![m]), &openai());
        assert_eq!(
            v["messages"],
            serde_json::json!([
                {"role": "tool", "tool_call_id": "c1", "content": "{\"ok\":true}"},
                {"role": "user", "content": "and now?"}
            ])
        );
    }

    #[test]
    fn media_without_a_known_type_and_documents_by_url_are_refused() {
        let unknown = Message::user("x").with_part(Part::Image(Media::bytes("", b"??".to_vec())));
        let mut unknown = unknown;
        if let Part::Image(m) = &mut unknown.content[1] {
            m.media_type = None;
        }
        let req = ChatRequest::new("m", vec![unknown]);
        assert!(matches!(
            ChatBody::new(&req, &openai(), MaxTokensField::MaxCompletionTokens),
            Err(YatError::InvalidRequest(_))
        ));
        let by_url = Message::user("x").with_part(Part::Document(Media::url("https://x/a.pdf")));
        let req = ChatRequest::new("m", vec![by_url]);
        match ChatBody::new(&req, &openai(), MaxTokensField::MaxCompletionTokens) {
            Err(YatError::Unsupported { capability, .. }) => assert_eq!(capability, "documents"),
            other => panic!("{:?}", other.err()),
        }
        // Bytes without a type but with a recognisable magic number go.
        let mut png = Message::user("x").with_part(Part::Image(Media::bytes(
            "image/png",
            b"\x89PNG\r\n\x1a\n".to_vec(),
        )));
        if let Part::Image(m) = &mut png.content[1] {
            m.media_type = None;
        }
        let v = body(&ChatRequest::new("m", vec![png]), &openai());
        assert_eq!(
            v["messages"][0]["content"][1]["image_url"]["url"],
            "data:image/png;base64,iVBORw0KGgo="
        );
    }
}
