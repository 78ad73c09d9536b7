//! The conversation of a Messages request (`system` and `messages`) in the
//! contract's terms.
//!
//! Sources: platform.claude.com/docs/en/api/messages ("Create a Message",
//! the content block params) and the SDK's param types
//! (`text_block_param.py`, `image_block_param.py`, `document_block_param.py`,
//! `base64_pdf_source_param.py`, `url_pdf_source_param.py`,
//! `plain_text_source_param.py`, `tool_use_block_param.py`,
//! `tool_result_block_param.py`, `thinking_block_param.py`,
//! `redacted_thinking_block_param.py`).
//!
//! - A block is read as one flat struct of optional fields rather than an
//!   enum tagged by `type`: serde reads a tagged enum through a buffer that
//!   loses the path, and a client told `messages[0].content[1]` is wrong
//!   deserves to hear it is `...source.data`. Which fields a type needs is
//!   checked here, each error naming its path.
//! - Roles are `user` and `assistant`, the first message is the user's, and
//!   a block goes only where the API takes it (`tool_use` and reasoning
//!   from the assistant; images, documents and tool results from the user).
//! - A user turn's `tool_result` blocks become a [`Role::Tool`] message
//!   ahead of the rest of the turn, since that is the contract's place for
//!   results (the mock and the OpenAI encoder look for them there). A
//!   result names no tool, so its name comes from the earlier `tool_use`
//!   block with its id; none is a 400, as the API's own.
//! - A result's content of text blocks is text for the contract, the
//!   blocks joined by newlines; one with images or documents is a
//!   [`ToolOutput::Parts`] of its blocks in order, so the media stay in the
//!   result they belong to.
//! - `cache_control`, `citations`, `context` and other fields yat has no
//!   place for are ignored.

use std::collections::HashMap;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use yat_core::{
    Content, Media, Message, Part, Reasoning, Role, ToolCall, ToolOutput, ToolPart, ToolResult,
};

use crate::api_error::ApiError;

/// Standard base64, padded or not (clients differ; the bytes do not).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A string, or an array of content blocks: `system`, a message's
/// `content`, a tool result's `content`.
#[derive(Debug)]
pub(super) enum TextOrBlocks {
    Text(String),
    Blocks(Vec<WireBlock>),
}

/// Read by hand rather than as an untagged enum, whose error ("did not
/// match any variant") says neither what was expected nor where inside
/// the array it went wrong.
impl<'de> Deserialize<'de> for TextOrBlocks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextOrBlocksVisitor;
        impl<'de> Visitor<'de> for TextOrBlocksVisitor {
            type Value = TextOrBlocks;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of content blocks")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TextOrBlocks, E> {
                Ok(TextOrBlocks::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<TextOrBlocks, E> {
                Ok(TextOrBlocks::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextOrBlocks, A::Error> {
                let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(block) = seq.next_element()? {
                    blocks.push(block);
                }
                Ok(TextOrBlocks::Blocks(blocks))
            }
        }
        d.deserialize_any(TextOrBlocksVisitor)
    }
}

/// One message of `messages`.
#[derive(Deserialize, Debug)]
#[serde(expecting = "a message object")]
pub(super) struct WireMessage {
    role: Option<String>,
    content: Option<TextOrBlocks>,
}

/// A content block of any type; [`block`] checks what its type needs.
#[derive(Deserialize, Debug, Default)]
#[serde(default, expecting = "a content block object")]
pub(super) struct WireBlock {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    source: Option<WireSource>,
    title: Option<String>,
    id: Option<String>,
    name: Option<String>,
    input: Option<serde_json::Value>,
    tool_use_id: Option<String>,
    content: Option<TextOrBlocks>,
    is_error: Option<bool>,
    thinking: Option<String>,
    signature: Option<String>,
    data: Option<String>,
}

/// An image's or a document's `source`.
#[derive(Deserialize, Debug, Default)]
#[serde(default, expecting = "a source object")]
pub(super) struct WireSource {
    #[serde(rename = "type")]
    kind: Option<String>,
    media_type: Option<String>,
    data: Option<String>,
    url: Option<String>,
}

/// `value`, or the API's "Field required" about the field at `path()`
/// (a closure: the path is formatted only when the field is missing).
pub(super) fn required<T, P: Into<String>>(
    value: Option<T>,
    path: impl FnOnce() -> P,
) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(path(), "Field required"))
}

/// The leading system message `system` becomes, if it says anything.
pub(super) fn system_message(system: TextOrBlocks) -> Result<Option<Message>, ApiError> {
    let parts: Vec<Part> = match system {
        TextOrBlocks::Text(text) => vec![Part::Text(text)],
        TextOrBlocks::Blocks(blocks) => blocks
            .into_iter()
            .enumerate()
            .map(|(j, b)| {
                let path = || format!("system[{j}]");
                match b.kind.as_deref() {
                    Some("text") => Ok(Part::Text(required(b.text, || path() + ".text")?)),
                    Some(other) => Err(ApiError::invalid(
                        path() + ".type",
                        format!("a system block must be `text`, not `{other}`"),
                    )),
                    None => Err(ApiError::invalid(path() + ".type", "Field required")),
                }
            })
            .collect::<Result<_, _>>()?,
    };
    let parts: Vec<Part> = parts
        .into_iter()
        .filter(|p| p.as_text() != Some(""))
        .collect();
    Ok((!parts.is_empty()).then(|| Message::system(Content::from(parts))))
}

/// The contract's messages for `messages`, appended to `out`.
pub(super) fn conversation(
    messages: Vec<WireMessage>,
    out: &mut Vec<Message>,
) -> Result<(), ApiError> {
    if messages.is_empty() {
        return Err(ApiError::invalid(
            "messages",
            "at least one message is required",
        ));
    }
    // The tool each earlier `tool_use` id called, for the results.
    let mut called: HashMap<String, String> = HashMap::new();
    for (i, m) in messages.into_iter().enumerate() {
        let path = format!("messages[{i}]");
        let role = required(m.role, || format!("{path}.role"))?;
        let role = match role.as_str() {
            "user" => Role::User,
            "assistant" if i > 0 => Role::Assistant,
            "assistant" => {
                return Err(ApiError::invalid(
                    format!("{path}.role"),
                    "the first message must use the `user` role",
                ))
            }
            other => {
                return Err(ApiError::invalid(
                    format!("{path}.role"),
                    format!("unexpected role `{other}`: messages are `user` or `assistant` (the system prompt is the top-level `system`)"),
                ))
            }
        };
        let content = required(m.content, || format!("{path}.content"))?;
        let mut turn = Turn::default();
        match content {
            TextOrBlocks::Text(text) => turn.parts.push(Part::Text(text)),
            TextOrBlocks::Blocks(blocks) => {
                for (j, b) in blocks.into_iter().enumerate() {
                    let path = format!("{path}.content[{j}]");
                    block(&path, role, b, &mut called, &mut turn)?;
                }
            }
        }
        if !turn.results.is_empty() {
            out.push(Message::new(Role::Tool, Content::from(turn.results)));
            if turn.parts.is_empty() {
                continue;
            }
        }
        out.push(Message::new(role, Content::from(turn.parts)));
    }
    Ok(())
}

/// One message's parts as they are read: tool results apart.
#[derive(Default)]
struct Turn {
    results: Vec<Part>,
    parts: Vec<Part>,
}

/// Adds block `b` at `path` of a `role` message to `turn`.
fn block(
    path: &str,
    role: Role,
    b: WireBlock,
    called: &mut HashMap<String, String>,
    turn: &mut Turn,
) -> Result<(), ApiError> {
    let field = |name: &str| format!("{path}.{name}");
    let kind = required(b.kind.as_deref(), || field("type"))?;
    let from_user = role == Role::User;
    let misplaced = |whose: &str| {
        Err(ApiError::invalid(
            field("type"),
            format!("a `{kind}` block belongs in an {whose} message"),
        ))
    };
    match kind {
        "text" => turn
            .parts
            .push(Part::Text(required(b.text, || field("text"))?)),
        "image" if from_user => {
            let source = required(b.source, || field("source"))?;
            turn.parts
                .push(Part::Image(image(&field("source"), source)?));
        }
        "document" if from_user => {
            let source = required(b.source, || field("source"))?;
            let mut media = document(&field("source"), source)?;
            media.name = b.title;
            turn.parts.push(Part::Document(media));
        }
        "tool_result" if from_user => {
            let id = required(b.tool_use_id, || field("tool_use_id"))?;
            let Some(name) = called.get(&id) else {
                return Err(ApiError::invalid(
                    field("tool_use_id"),
                    format!("no earlier `tool_use` block has the id `{id}`"),
                ));
            };
            let output = match b.content {
                None => ToolOutput::Text(String::new()),
                Some(TextOrBlocks::Text(text)) => ToolOutput::Text(text),
                Some(TextOrBlocks::Blocks(blocks)) => result_blocks(&field("content"), blocks)?,
            };
            turn.results.push(Part::ToolResult(ToolResult::from_parts(
                &id,
                name,
                output,
                b.is_error.unwrap_or(false),
            )));
        }
        "image" | "document" | "tool_result" => return misplaced("user"),
        "tool_use" if !from_user => {
            let id = required(b.id, || field("id"))?;
            let name = required(b.name, || field("name"))?;
            let input = b
                .input
                .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
            called.insert(id.clone(), name.clone());
            turn.parts
                .push(Part::ToolCall(ToolCall::new(id, name, input)));
        }
        "thinking" if !from_user => {
            let mut r = Reasoning::new(required(b.thinking, || field("thinking"))?);
            // An empty signature is no signature (the reply body writes ""
            // for reasoning an upstream did not sign).
            r.signature = b.signature.filter(|s| !s.is_empty());
            turn.parts.push(Part::Reasoning(r));
        }
        "redacted_thinking" if !from_user => {
            turn.parts
                .push(Part::Reasoning(Reasoning::redacted(required(
                    b.data,
                    || field("data"),
                )?)))
        }
        "tool_use" | "thinking" | "redacted_thinking" => return misplaced("assistant"),
        other => {
            return Err(ApiError::invalid(
                field("type"),
                format!("unsupported content block type `{other}`"),
            ))
        }
    }
    Ok(())
}

/// A tool result's blocks: text when they are all text (joined by
/// newlines), else parts in their order.
fn result_blocks(path: &str, blocks: Vec<WireBlock>) -> Result<ToolOutput, ApiError> {
    let mut parts = Vec::with_capacity(blocks.len());
    for (k, b) in blocks.into_iter().enumerate() {
        let path = format!("{path}[{k}]");
        let source = |b: WireBlock| required(b.source, || format!("{path}.source"));
        match b.kind.as_deref() {
            Some("text") => parts.push(ToolPart::Text(required(b.text, || {
                format!("{path}.text")
            })?)),
            Some("image") => {
                parts.push(ToolPart::Image(image(&format!("{path}.source"), source(b)?)?));
            }
            Some("document") => {
                let title = b.title.clone();
                let mut media = document(&format!("{path}.source"), source(b)?)?;
                media.name = title;
                parts.push(ToolPart::Document(media));
            }
            Some(other) => {
                return Err(ApiError::invalid(
                    format!("{path}.type"),
                    format!(
                        "a tool result here may hold `text`, `image` and `document` blocks, not `{other}`"
                    ),
                ))
            }
            None => return Err(ApiError::invalid(format!("{path}.type"), "Field required")),
        }
    }
    if parts.iter().all(|p| p.as_text().is_some()) {
        let texts: Vec<&str> = parts.iter().filter_map(ToolPart::as_text).collect();
        return Ok(ToolOutput::Text(texts.join("\n")));
    }
    Ok(ToolOutput::Parts(parts))
}

/// An image `source`: `base64` or `url`.
fn image(path: &str, source: WireSource) -> Result<Media, ApiError> {
    match source.kind.as_deref() {
        Some("base64") => inline(path, source),
        Some("url") => Ok(Media::url(required(source.url, || format!("{path}.url"))?)),
        Some(other) => Err(ApiError::invalid(
            format!("{path}.type"),
            format!("unsupported image source `{other}` (use `base64` or `url`)"),
        )),
        None => Err(ApiError::invalid(format!("{path}.type"), "Field required")),
    }
}

/// A document `source`: a `base64` PDF, a PDF's `url`, or `text`.
fn document(path: &str, source: WireSource) -> Result<Media, ApiError> {
    match source.kind.as_deref() {
        Some("base64") => inline(path, source),
        Some("url") => Ok(Media::url(required(source.url, || format!("{path}.url"))?)
            .with_media_type("application/pdf")),
        Some("text") => {
            let data = required(source.data, || format!("{path}.data"))?;
            Ok(Media::bytes("text/plain", data.into_bytes()))
        }
        Some(other) => Err(ApiError::invalid(
            format!("{path}.type"),
            format!("unsupported document source `{other}` (use `base64`, `url` or `text`)"),
        )),
        None => Err(ApiError::invalid(format!("{path}.type"), "Field required")),
    }
}

/// Inline base64 bytes with their media type.
fn inline(path: &str, source: WireSource) -> Result<Media, ApiError> {
    let media_type = required(source.media_type, || format!("{path}.media_type"))?;
    let data = required(source.data, || format!("{path}.data"))?;
    let bytes = BASE64
        .decode(data.trim_ascii())
        .map_err(|e| ApiError::invalid(format!("{path}.data"), format!("not valid base64: {e}")))?;
    Ok(Media::bytes(media_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yat_core::MediaSource;

    fn messages(v: serde_json::Value) -> Result<Vec<Message>, ApiError> {
        let wire: Vec<WireMessage> = serde_json::from_value(v).unwrap();
        let mut out = Vec::new();
        conversation(wire, &mut out)?;
        Ok(out)
    }

    fn user(content: serde_json::Value) -> serde_json::Value {
        json!([{"role": "user", "content": content}])
    }

    #[test]
    fn sources_decode_to_media() {
        let png = [0x89, b'P', b'N', b'G'];
        let cases = [
            (
                json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="}, "cache_control": {"type": "ephemeral"}}),
                Part::Image(Media::bytes("image/png", png.to_vec())),
            ),
            (
                // Unpadded base64 is the same bytes.
                json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw"}}),
                Part::Image(Media::bytes("image/png", png.to_vec())),
            ),
            (
                json!({"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}}),
                Part::Image(Media::url("https://x/cat.png")),
            ),
            (
                json!({"type": "document", "title": "a.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}}),
                Part::Document(
                    Media::bytes("application/pdf", b"%PDF-".to_vec()).with_name("a.pdf"),
                ),
            ),
            (
                json!({"type": "document", "source": {"type": "url", "url": "https://x/a.pdf"}}),
                Part::Document(Media::url("https://x/a.pdf").with_media_type("application/pdf")),
            ),
            (
                json!({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}}),
                Part::Document(Media::bytes("text/plain", b"notes".to_vec())),
            ),
        ];
        for (block, expected) in cases {
            let out = messages(user(json!([block]))).unwrap();
            assert_eq!(out, vec![Message::user(expected)], "{block}");
        }
        // Media bytes are held as bytes, not re-encoded text.
        let out = messages(user(json!([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="}}]))).unwrap();
        let Part::Image(m) = &out[0].content[0] else {
            panic!()
        };
        assert!(matches!(&m.source, MediaSource::Bytes(b) if b[..] == png));
    }

    #[test]
    fn a_tool_loop_reads_into_tool_messages_named_after_their_calls() {
        let out = messages(json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Use the tool.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [
                    {"type": "text", "text": "12"}, {"type": "text", "text": "°C"}
                ]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": [
                    {"type": "text", "text": "clock"}, {"type": "text", "text": "broken"},
                    {"type": "image", "source": {"type": "url", "url": "https://x/err.png"}},
                    {"type": "document", "title": "log.txt", "source": {"type": "text", "media_type": "text/plain", "data": "tick"}}
                ]},
                {"type": "text", "text": "Thanks"}
            ]}
        ]))
        .unwrap();
        let paris = ToolCall::new("toolu_1", "get_weather", json!({"city": "Paris"}));
        let time = ToolCall::new("toolu_2", "get_time", json!({}));
        assert_eq!(
            out,
            vec![
                Message::user("Weather in Paris?"),
                Message::assistant(vec![
                    Part::Reasoning(Reasoning::new("Use the tool.").with_signature("sig")),
                    Part::Reasoning(Reasoning::redacted("opaque")),
                    Part::text("Checking."),
                    Part::ToolCall(paris.clone()),
                    Part::ToolCall(time.clone()),
                ]),
                Message::tool_results([
                    ToolResult::new(&paris, "12\n°C"),
                    ToolResult::from_parts(
                        "toolu_2",
                        "get_time",
                        ToolOutput::parts([
                            ToolPart::text("clock"),
                            ToolPart::text("broken"),
                            ToolPart::Image(Media::url("https://x/err.png")),
                            ToolPart::Document(
                                Media::bytes("text/plain", b"tick".to_vec()).with_name("log.txt"),
                            ),
                        ]),
                        true,
                    ),
                ]),
                Message::user("Thanks"),
            ]
        );
    }

    #[test]
    fn results_alone_make_only_a_tool_message_and_unsigned_thinking_has_no_signature() {
        let out = messages(json!([
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hm", "signature": ""},
                {"type": "tool_use", "id": "t", "name": "now"}
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]}
        ]))
        .unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[1].content[0], Part::Reasoning(Reasoning::new("hm")));
        // A call without `input` has no arguments: `{}`.
        assert_eq!(
            out[1].content[1],
            Part::ToolCall(ToolCall::new("t", "now", json!({})))
        );
        assert_eq!(out[2].role, Role::Tool);
        assert_eq!(
            out[2].content[0],
            Part::ToolResult(ToolResult::from_parts(
                "t",
                "now",
                ToolOutput::Text(String::new()),
                false
            ))
        );
    }

    #[test]
    fn system_is_a_string_or_text_blocks() {
        let read = |v: serde_json::Value| system_message(serde_json::from_value(v).unwrap());
        assert_eq!(
            read(json!("Be brief.")).unwrap(),
            Some(Message::system("Be brief."))
        );
        assert_eq!(read(json!("")).unwrap(), None);
        assert_eq!(
            read(json!([{"type": "text", "text": "A", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "B"}])).unwrap(),
            Some(Message::system(vec![Part::text("A"), Part::text("B")]))
        );
        let e = read(json!([{"type": "image"}])).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("system[0].type"));
        let e = read(json!([{"type": "text"}])).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("system[0].text"));
    }

    #[test]
    fn each_wrong_conversation_is_a_400_naming_its_field() {
        let b64 = |data: &str| json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}});
        let cases = [
            (json!([]), "messages", "at least one"),
            (
                json!([{"role": "assistant", "content": "hi"}]),
                "messages[0].role",
                "first message",
            ),
            (
                json!([{"role": "system", "content": "hi"}]),
                "messages[0].role",
                "unexpected role `system`",
            ),
            (
                json!([{"content": "hi"}]),
                "messages[0].role",
                "Field required",
            ),
            (
                json!([{"role": "user"}]),
                "messages[0].content",
                "Field required",
            ),
            (
                user(json!([{"text": "x"}])),
                "messages[0].content[0].type",
                "Field required",
            ),
            (
                user(json!([{"type": "text"}])),
                "messages[0].content[0].text",
                "Field required",
            ),
            (
                user(json!([{"type": "audio"}])),
                "messages[0].content[0].type",
                "unsupported content block type `audio`",
            ),
            (
                user(json!([{"type": "search_result"}])),
                "messages[0].content[0].type",
                "`search_result`",
            ),
            (
                user(json!([b64("%%%")])),
                "messages[0].content[0].source.data",
                "base64",
            ),
            (
                user(json!([{"type": "image"}])),
                "messages[0].content[0].source",
                "Field required",
            ),
            (
                user(json!([{"type": "image", "source": {"type": "file", "file_id": "f"}}])),
                "messages[0].content[0].source.type",
                "`file`",
            ),
            (
                user(json!([{"type": "image", "source": {"type": "base64", "data": "AA=="}}])),
                "messages[0].content[0].source.media_type",
                "Field required",
            ),
            (
                user(json!([{"type": "document", "source": {"type": "content", "content": "x"}}])),
                "messages[0].content[0].source.type",
                "`content`",
            ),
            (
                user(json!([{"type": "tool_use", "id": "t", "name": "f", "input": {}}])),
                "messages[0].content[0].type",
                "assistant message",
            ),
            (
                user(json!([{"type": "thinking", "thinking": "x"}])),
                "messages[0].content[0].type",
                "assistant message",
            ),
            (
                user(json!([{"type": "tool_result", "tool_use_id": "nope"}])),
                "messages[0].content[0].tool_use_id",
                "`nope`",
            ),
            (
                user(json!([{"type": "tool_result"}])),
                "messages[0].content[0].tool_use_id",
                "Field required",
            ),
            (
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": [b64("AA==")]}]),
                "messages[1].content[0].type",
                "user message",
            ),
            (
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}]),
                "messages[1].content[0].name",
                "Field required",
            ),
            (
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f"}]},
                       {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "thinking"}]}]}]),
                "messages[2].content[0].content[0].type",
                "not `thinking`",
            ),
            (
                json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f"}]},
                       {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "document"}]}]}]),
                "messages[2].content[0].content[0].source",
                "Field required",
            ),
        ];
        for (v, param, fragment) in cases {
            let e = messages(v.clone()).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{v}");
            assert!(e.message.contains(fragment), "{v}: {}", e.message);
            assert_eq!(e.status(), 400);
        }
    }
}
