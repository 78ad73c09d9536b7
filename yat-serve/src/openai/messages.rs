//! `messages` of a Chat Completions request, read into the contract's
//! conversation.
//!
//! - `system` and `developer` messages are system messages; they, and
//!   `tool` messages, take text only (a string or `text` parts).
//! - A `user` message takes `text`, `image_url` and `file` parts. An image
//!   given as a `data:` URL becomes inline bytes, any other URL stays a URL
//!   for the provider to fetch; the `detail` hint has no counterpart in the
//!   contract and is dropped. A `file` part must carry its bytes
//!   (`file_data`); a `file_id` names a file uploaded to OpenAI, which no
//!   other provider can read, so it is refused, as is `input_audio`.
//! - An `assistant` message becomes its reasoning (`reasoning_content`, the
//!   field DeepSeek and vLLM use), its text (`content` and `refusal`), then
//!   its tool calls with their JSON-text arguments parsed.
//! - A `tool` message does not say which tool it answers, and the contract
//!   (and Gemini) need the name: it is looked up from the earlier assistant
//!   call with the same id. Consecutive tool messages become one message
//!   holding every result, as yat's own tool loop builds them.

use std::collections::HashMap;

use serde::Deserialize;
use yat_core::{Content, Media, Message, Part, Reasoning, Role, ToolCall, ToolOutput, ToolResult};

use super::wire::{StringOr, Structured};
use crate::api_error::ApiError;

/// One entry of `messages`. A flat struct rather than an enum tagged by
/// `role`: a tagged enum buffers the message, which would cost every error
/// inside it the path to its field.
#[derive(Debug, Deserialize)]
pub(super) struct WireMessage {
    role: String,
    #[serde(default)]
    content: Option<WireContent>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    tool_call_id: Option<String>,
}

/// `content`: a string, or an array of parts.
type WireContent = StringOr<Vec<WirePart>>;

impl Structured for Vec<WirePart> {
    const EXPECTING: &'static str = "a string or an array of content parts";
}

/// One content part; which fields matter depends on `type`.
#[derive(Debug, Deserialize)]
struct WirePart {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    /// An object with `url`; some older clients send the URL as a string.
    #[serde(default)]
    image_url: Option<StringOr<WireImageUrl>>,
    #[serde(default)]
    file: Option<WireFile>,
}

#[derive(Debug, Deserialize)]
struct WireImageUrl {
    url: String,
}

impl Structured for WireImageUrl {
    const EXPECTING: &'static str = "a URL or an object with `url`";
}

#[derive(Debug, Deserialize)]
struct WireFile {
    #[serde(default)]
    file_data: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
    #[serde(default)]
    filename: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireToolCall {
    id: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    function: Option<WireFunctionCall>,
}

#[derive(Debug, Deserialize)]
struct WireFunctionCall {
    name: String,
    arguments: String,
}

/// The conversation `messages` describes.
pub(super) fn read(messages: Vec<WireMessage>) -> Result<Vec<Message>, ApiError> {
    if messages.is_empty() {
        return Err(ApiError::invalid(
            "messages",
            "messages must hold at least one message",
        ));
    }
    let mut reader = Reader {
        call_names: HashMap::new(),
        out: Vec::with_capacity(messages.len()),
    };
    for (i, m) in messages.into_iter().enumerate() {
        reader.message(i, m)?;
    }
    Ok(reader.out)
}

/// Reads messages in order, remembering each assistant tool call's name
/// for the results that answer it.
struct Reader {
    call_names: HashMap<String, String>,
    out: Vec<Message>,
}

impl Reader {
    fn message(&mut self, i: usize, m: WireMessage) -> Result<(), ApiError> {
        match m.role.as_str() {
            "system" | "developer" => {
                let content = required(i, m.content, "system")?;
                self.out
                    .push(Message::system(text_only(i, content, "system")?));
            }
            "user" => {
                let content = required(i, m.content, "user")?;
                self.out.push(Message::user(user_content(i, content)?));
            }
            "assistant" => self.assistant(i, m)?,
            "tool" => self.tool(i, m)?,
            other => {
                return Err(ApiError::invalid(
                    format!("messages[{i}].role"),
                    format!(
                    "unknown role `{other}`: expected system, developer, user, assistant or tool"
                ),
                ))
            }
        }
        Ok(())
    }

    fn assistant(&mut self, i: usize, m: WireMessage) -> Result<(), ApiError> {
        let mut content = Content::new();
        if let Some(r) = m.reasoning_content.filter(|r| !r.is_empty()) {
            content.push(Part::Reasoning(Reasoning::new(r)));
        }
        let had_content = m.content.is_some();
        match m.content {
            Some(StringOr::Text(t)) => push_text(&mut content, t),
            Some(StringOr::Other(parts)) => {
                for (j, p) in parts.into_iter().enumerate() {
                    let text = match p.kind.as_str() {
                        "text" => p.text,
                        "refusal" => p.refusal,
                        other => return Err(wrong_part(i, j, other, "an assistant")),
                    };
                    push_text(&mut content, part_field(i, j, text, &p.kind)?);
                }
            }
            None => {}
        }
        if let Some(r) = m.refusal {
            push_text(&mut content, r);
        }
        for (j, call) in m.tool_calls.unwrap_or_default().into_iter().enumerate() {
            let call = tool_call(i, j, call)?;
            self.call_names.insert(call.id.clone(), call.name.clone());
            content.push(Part::ToolCall(call));
        }
        if content.is_empty() {
            if !had_content {
                return Err(ApiError::invalid(
                    format!("messages[{i}].content"),
                    "an assistant message needs content or tool_calls",
                ));
            }
            // `"content": ""`, which OpenAI accepts: an empty turn.
            content.push(Part::text(""));
        }
        self.out.push(Message::assistant(content));
        Ok(())
    }

    fn tool(&mut self, i: usize, m: WireMessage) -> Result<(), ApiError> {
        let param = || format!("messages[{i}].tool_call_id");
        let id = m
            .tool_call_id
            .ok_or_else(|| ApiError::invalid(param(), "a tool message needs tool_call_id"))?;
        let name = self.call_names.get(&id).ok_or_else(|| {
            ApiError::invalid(
                param(),
                format!("no earlier assistant message has a tool call with id `{id}`"),
            )
        })?;
        let content = required(i, m.content, "tool")?;
        let text = text_only(i, content, "tool")?.text().into_owned();
        let result = Part::ToolResult(ToolResult::from_parts(
            &id,
            name,
            ToolOutput::Text(text),
            false,
        ));
        match self.out.last_mut() {
            Some(prev) if prev.role == Role::Tool => prev.content.push(result),
            _ => self.out.push(Message::new(Role::Tool, result)),
        }
        Ok(())
    }
}

/// Appends text, skipping empty pieces (an assistant turn that only
/// called tools often carries `"content": ""`).
fn push_text(content: &mut Content, text: String) {
    if !text.is_empty() {
        content.push(Part::Text(text));
    }
}

/// The content of a message that must have some: present, and not an
/// empty array of parts.
fn required(i: usize, content: Option<WireContent>, role: &str) -> Result<WireContent, ApiError> {
    let param = || format!("messages[{i}].content");
    match content {
        None => Err(ApiError::invalid(
            param(),
            format!("a {role} message needs content"),
        )),
        Some(StringOr::Other(parts)) if parts.is_empty() => Err(ApiError::invalid(
            param(),
            "an empty array: expected at least one content part",
        )),
        Some(content) => Ok(content),
    }
}

/// The field a part of type `kind` must have (`text` of a text part).
fn part_field(i: usize, j: usize, value: Option<String>, kind: &str) -> Result<String, ApiError> {
    value.ok_or_else(|| {
        ApiError::invalid(
            format!("messages[{i}].content[{j}].{kind}"),
            format!("a `{kind}` part needs its `{kind}` field"),
        )
    })
}

fn wrong_part(i: usize, j: usize, kind: &str, whose: &str) -> ApiError {
    ApiError::invalid(
        format!("messages[{i}].content[{j}].type"),
        format!("{whose} message cannot hold a content part of type `{kind}`"),
    )
}

/// Content that may only be text: a system, developer or tool message's.
fn text_only(i: usize, content: WireContent, role: &str) -> Result<Content, ApiError> {
    match content {
        StringOr::Text(t) => Ok(Content::from(t)),
        StringOr::Other(parts) => parts
            .into_iter()
            .enumerate()
            .map(|(j, p)| match p.kind.as_str() {
                "text" => part_field(i, j, p.text, "text").map(Part::Text),
                other => Err(wrong_part(i, j, other, &format!("a {role}"))),
            })
            .collect(),
    }
}

fn user_content(i: usize, content: WireContent) -> Result<Content, ApiError> {
    let parts = match content {
        StringOr::Text(t) => return Ok(Content::from(t)),
        StringOr::Other(parts) => parts,
    };
    parts
        .into_iter()
        .enumerate()
        .map(|(j, p)| {
            let at = |field: &str| format!("messages[{i}].content[{j}].{field}");
            match p.kind.as_str() {
                "text" => part_field(i, j, p.text, "text").map(Part::Text),
                "image_url" => {
                    let url = match p.image_url {
                        Some(StringOr::Text(url)) | Some(StringOr::Other(WireImageUrl { url })) => {
                            url
                        }
                        None => {
                            return Err(ApiError::invalid(
                                at("image_url"),
                                "an `image_url` part needs its `image_url` field",
                            ))
                        }
                    };
                    image(url, at("image_url.url")).map(Part::Image)
                }
                "file" => match p.file {
                    Some(file) => document(file, &at("file")).map(Part::Document),
                    None => Err(ApiError::invalid(
                        at("file"),
                        "a `file` part needs its `file` field",
                    )),
                },
                "input_audio" => Err(ApiError::unsupported(
                    at("type"),
                    "audio input (`input_audio`) is not supported",
                )),
                other => Err(wrong_part(i, j, other, "a user")),
            }
        })
        .collect()
}

/// An image: inline bytes for a `data:` URL, else the URL itself.
fn image(url: String, param: String) -> Result<Media, ApiError> {
    if url.starts_with("data:") {
        let (media_type, bytes) = Media::parse_data_url(&url).ok_or_else(|| {
            ApiError::invalid(
                param,
                "an image data URL must be base64: data:<media type>;base64,<data>",
            )
        })?;
        Ok(Media::bytes(media_type, bytes))
    } else if url.trim().is_empty() {
        Err(ApiError::invalid(param, "the image URL is empty"))
    } else {
        Ok(Media::url(url))
    }
}

/// A document sent inline in a `file` part.
fn document(file: WireFile, param: &str) -> Result<Media, ApiError> {
    if file.file_id.is_some() {
        return Err(ApiError::unsupported(
            format!("{param}.file_id"),
            "files uploaded to OpenAI (`file_id`) are not supported: send the file inline as `file_data`",
        ));
    }
    let data_param = || format!("{param}.file_data");
    let data = file
        .file_data
        .ok_or_else(|| ApiError::invalid(data_param(), "a `file` part needs `file_data`"))?;
    let (media_type, bytes) = decode_file_data(&data).ok_or_else(|| {
        ApiError::invalid(
            data_param(),
            "`file_data` must be a base64 data URL (data:application/pdf;base64,<data>), \
             or base64 of a PDF",
        )
    })?;
    let media = Media::bytes(media_type, bytes);
    Ok(match file.filename {
        Some(name) => media.with_name(name),
        None => media,
    })
}

/// `file_data` is a data URL in OpenAI's examples; plain base64 is also
/// seen, and typed by its content.
fn decode_file_data(data: &str) -> Option<(String, bytes::Bytes)> {
    use base64::Engine as _;
    if data.starts_with("data:") {
        return Media::parse_data_url(data);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let media_type = Media::sniff(&bytes)?;
    Some((media_type.to_owned(), bytes.into()))
}

/// One of an assistant message's `tool_calls`.
fn tool_call(i: usize, j: usize, call: WireToolCall) -> Result<ToolCall, ApiError> {
    let at = |field: &str| format!("messages[{i}].tool_calls[{j}].{field}");
    if let Some(kind) = call.kind.as_deref().filter(|k| *k != "function") {
        return Err(ApiError::unsupported(
            at("type"),
            format!("tool calls of type `{kind}` are not supported, only `function`"),
        ));
    }
    let function = call
        .function
        .ok_or_else(|| ApiError::invalid(at("function"), "a tool call needs `function`"))?;
    let arguments = parse_arguments(&function.arguments).map_err(|e| {
        ApiError::invalid(
            at("function.arguments"),
            format!("the arguments are not valid JSON: {e}"),
        )
    })?;
    Ok(ToolCall::new(call.id, function.name, arguments))
}

/// A call's arguments, parsed. Empty text is read as no arguments (`{}`):
/// some servers stream nothing for a call without parameters, and clients
/// send the empty string back.
fn parse_arguments(text: &str) -> serde_json::Result<serde_json::Value> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::request::parse;
    use super::*;
    use crate::api_error::ErrorKind;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const PNG_B64: &str = "iVBORw0KGgo=";
    const PDF: &[u8] = b"%PDF-1.7";
    const PDF_B64: &str = "JVBERi0xLjc=";

    fn read_messages(messages: Value) -> Result<Vec<Message>, ApiError> {
        let body = json!({"model": "m", "messages": messages});
        parse(body.to_string().as_bytes()).map(|inbound| inbound.request.messages)
    }

    fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
        ToolCall::new(id, name, arguments)
    }

    fn result(id: &str, name: &str, text: &str) -> Part {
        Part::ToolResult(ToolResult::from_parts(
            id,
            name,
            ToolOutput::Text(text.into()),
            false,
        ))
    }

    #[test]
    fn system_and_developer_messages_are_system_messages() {
        let got = read_messages(json!([
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use "}, {"type": "text", "text": "French."}]},
            {"role": "user", "content": "hi", "name": "ann"},
        ]))
        .unwrap();
        assert_eq!(
            got,
            vec![
                Message::system("Be brief."),
                Message::system(vec![Part::text("Use "), Part::text("French.")]),
                Message::user("hi"),
            ]
        );
    }

    #[test]
    fn images_by_data_url_become_bytes_and_by_url_stay_urls() {
        let got = read_messages(json!([{"role": "user", "content": [
            {"type": "text", "text": "What are these?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_B64}"), "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "image_url", "image_url": "https://example.com/dog.jpg"},
        ]}]))
        .unwrap();
        assert_eq!(
            got,
            vec![Message::user(vec![
                Part::text("What are these?"),
                Part::Image(Media::bytes("image/png", PNG.to_vec())),
                Part::Image(Media::url("https://example.com/cat.jpg")),
                Part::Image(Media::url("https://example.com/dog.jpg")),
            ])]
        );
    }

    #[test]
    fn files_sent_inline_become_documents() {
        let got = read_messages(json!([{"role": "user", "content": [
            {"type": "file", "file": {"file_data": format!("data:application/pdf;base64,{PDF_B64}"), "filename": "a.pdf"}},
            {"type": "file", "file": {"file_data": PDF_B64}},
        ]}]))
        .unwrap();
        assert_eq!(
            got,
            vec![Message::user(vec![
                Part::Document(Media::bytes("application/pdf", PDF.to_vec()).with_name("a.pdf")),
                Part::Document(Media::bytes("application/pdf", PDF.to_vec())),
            ])]
        );
    }

    #[test]
    fn an_assistant_turn_is_reasoning_then_text_then_calls() {
        let got = read_messages(json!([
            {"role": "user", "content": "Weather in Paris and Oslo?"},
            {"role": "assistant", "reasoning_content": "Two cities.", "content": "Checking.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "12°C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "3°C"}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_3", "function": {"name": "now", "arguments": ""}},
            ]},
            {"role": "tool", "tool_call_id": "call_3", "content": "noon"},
            {"role": "assistant", "content": [{"type": "text", "text": "Paris is warmer"}, {"type": "refusal", "refusal": "; no more."}]},
            {"role": "assistant", "content": ""},
        ]))
        .unwrap();
        assert_eq!(
            got,
            vec![
                Message::user("Weather in Paris and Oslo?"),
                Message::assistant(vec![
                    Part::Reasoning(Reasoning::new("Two cities.")),
                    Part::text("Checking."),
                    Part::ToolCall(call("call_1", "weather", json!({"city": "Paris"}))),
                    Part::ToolCall(call("call_2", "weather", json!({"city": "Oslo"}))),
                ]),
                // Consecutive results are one message; names come from the calls.
                Message::new(
                    Role::Tool,
                    vec![
                        result("call_1", "weather", "12°C"),
                        result("call_2", "weather", "3°C"),
                    ]
                ),
                // Empty arguments are no arguments.
                Message::assistant(Part::ToolCall(call("call_3", "now", json!({})))),
                Message::new(Role::Tool, result("call_3", "now", "noon")),
                Message::assistant(vec![
                    Part::text("Paris is warmer"),
                    Part::text("; no more.")
                ]),
                Message::assistant(""),
            ]
        );
    }

    #[test]
    fn malformed_messages_are_400s_naming_the_field() {
        let png = format!("data:image/png;base64,{PNG_B64}");
        let asked = json!({"role": "assistant", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ]});
        let user = |content: Value| json!([{"role": "user", "content": content}]);
        let part = |p: Value| user(json!([p]));
        let cases = [
            (
                json!([{"content": "hi"}]),
                "messages[0].role",
                "missing required",
            ),
            (
                json!([{"role": 5, "content": "hi"}]),
                "messages[0].role",
                "invalid type",
            ),
            (
                json!([{"role": "function", "content": "hi"}]),
                "messages[0].role",
                "unknown role",
            ),
            (json!(["hi"]), "messages[0]", "invalid type"),
            (
                json!([{"role": "user"}]),
                "messages[0].content",
                "needs content",
            ),
            (
                user(json!([])),
                "messages[0].content",
                "at least one content part",
            ),
            (
                json!([{"role": "system", "content": null}]),
                "messages[0].content",
                "needs content",
            ),
            (
                user(json!(42)),
                "messages[0].content",
                "a string or an array of content parts",
            ),
            (
                user(json!({"type": "text"})),
                "messages[0].content",
                "invalid type",
            ),
            (
                part(json!({"text": "hi"})),
                "messages[0].content[0].type",
                "missing required",
            ),
            (
                part(json!({"type": "video"})),
                "messages[0].content[0].type",
                "cannot hold",
            ),
            (
                part(json!({"type": "text"})),
                "messages[0].content[0].text",
                "needs its `text`",
            ),
            (
                part(json!({"type": "text", "text": 5})),
                "messages[0].content[0].text",
                "invalid type",
            ),
            (
                part(json!({"type": "input_audio", "input_audio": {"data": "", "format": "wav"}})),
                "messages[0].content[0].type",
                "not supported",
            ),
            (
                part(json!({"type": "image_url"})),
                "messages[0].content[0].image_url",
                "needs its `image_url`",
            ),
            (
                part(json!({"type": "image_url", "image_url": {"detail": "low"}})),
                "messages[0].content[0].image_url.url",
                "missing required",
            ),
            (
                part(json!({"type": "image_url", "image_url": {"url": "data:image/png,%89PNG"}})),
                "messages[0].content[0].image_url.url",
                "must be base64",
            ),
            (
                part(
                    json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}),
                ),
                "messages[0].content[0].image_url.url",
                "must be base64",
            ),
            (
                part(json!({"type": "image_url", "image_url": {"url": ""}})),
                "messages[0].content[0].image_url.url",
                "empty",
            ),
            (
                part(json!({"type": "file", "file": {"file_id": "file-abc"}})),
                "messages[0].content[0].file.file_id",
                "not supported",
            ),
            (
                part(json!({"type": "file", "file": {"filename": "a.pdf"}})),
                "messages[0].content[0].file.file_data",
                "needs `file_data`",
            ),
            (
                part(json!({"type": "file", "file": {"file_data": "not base64!"}})),
                "messages[0].content[0].file.file_data",
                "must be a base64",
            ),
            (
                part(json!({"type": "file", "file": {"file_data": "aGVsbG8="}})),
                "messages[0].content[0].file.file_data",
                "must be a base64",
            ),
            (
                part(json!({"type": "file"})),
                "messages[0].content[0].file",
                "needs its `file`",
            ),
            (
                json!([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": png}}]}]),
                "messages[0].content[0].type",
                "a system message cannot hold",
            ),
            (
                json!([{"role": "assistant"}]),
                "messages[0].content",
                "needs content or tool_calls",
            ),
            (
                json!([{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": png}}]}]),
                "messages[0].content[0].type",
                "an assistant message cannot hold",
            ),
            (
                json!([{"role": "assistant", "content": [{"type": "refusal"}]}]),
                "messages[0].content[0].refusal",
                "needs its `refusal`",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"city\":"}}]}]),
                "messages[0].tool_calls[0].function.arguments",
                "not valid JSON",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"city": "Paris"}}}]}]),
                "messages[0].tool_calls[0].function.arguments",
                "invalid type",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]),
                "messages[0].tool_calls[0].id",
                "missing required",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]),
                "messages[0].tool_calls[0].function",
                "needs `function`",
            ),
            (
                json!([{"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {"name": "f", "input": "x"}}]}]),
                "messages[0].tool_calls[0].type",
                "not supported",
            ),
            (
                json!([asked, {"role": "tool", "content": "ok"}]),
                "messages[1].tool_call_id",
                "needs tool_call_id",
            ),
            (
                json!([asked, {"role": "tool", "tool_call_id": "call_9", "content": "ok"}]),
                "messages[1].tool_call_id",
                "no earlier assistant message has a tool call with id `call_9`",
            ),
            // A result before its call does not count.
            (
                json!([{"role": "tool", "tool_call_id": "call_1", "content": "ok"}, asked]),
                "messages[0].tool_call_id",
                "no earlier",
            ),
            (
                json!([asked, {"role": "tool", "tool_call_id": "call_1"}]),
                "messages[1].content",
                "needs content",
            ),
            (
                json!([asked, {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "image_url", "image_url": {"url": png}}]}]),
                "messages[1].content[0].type",
                "a tool message cannot hold",
            ),
        ];
        for (messages, param, says) in cases {
            let e = read_messages(messages.clone()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{messages}: {e}");
            assert_eq!(e.param.as_deref(), Some(param), "{messages}: {e}");
            assert!(e.message.contains(says), "{messages}: {e}");
        }
    }
}
