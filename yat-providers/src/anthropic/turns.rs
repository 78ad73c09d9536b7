//! The conversation as the Messages API takes it: `user` and `assistant`
//! turns of content blocks.
//!
//! Sources: platform.claude.com/docs/en/api/messages ("Create a Message":
//! the content block params), .../build-with-claude/tool-use (tool results
//! and where they go), .../build-with-claude/extended-thinking (thinking
//! blocks in a tool loop), .../build-with-claude/vision and
//! .../build-with-claude/pdf-support (the sources).
//!
//! - There are two roles. System messages are not turns (the caller lifts
//!   them into `system`); [`Role::Tool`] messages are `user` turns, because
//!   the API has no tool role; consecutive turns of one role are merged.
//! - A turn that is one text block goes out as a plain string, as it did
//!   before blocks existed; anything else as an array of blocks.
//! - A `user` turn that answers tool calls must open with its
//!   `tool_result` blocks ("tool result blocks must immediately follow the
//!   tool use blocks"), so results merged into a turn are placed ahead of
//!   its other blocks whichever message they came in.
//! - Reasoning goes back only in `assistant` turns and only as the API
//!   gave it: `thinking` with its signature, `redacted_thinking` with its
//!   data. Unsigned reasoning (another provider's, or a reply that was cut
//!   before the signature) is dropped: the API rejects it.
//! - Empty text is left out: the API rejects an empty text block.
//! - Parts a role cannot carry (an image from the assistant, a tool call
//!   from the user) are dropped with a debug log; a message of nothing but
//!   such parts adds no turn.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use yat_core::{Failure, Media, MediaSource, Message, Part, Role, ToolOutput, ToolPart, YatError};

/// Where an image's or a document's bytes come from.
#[derive(Serialize, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Source<'a> {
    /// Inline bytes, base64.
    Base64 {
        media_type: Cow<'a, str>,
        data: String,
    },
    /// A URL the API fetches itself.
    Url { url: &'a str },
    /// A plain-text document, inline (documents only).
    Text {
        media_type: &'static str,
        data: &'a str,
    },
}

/// One content block of a turn.
#[derive(Serialize, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Block<'a> {
    Text {
        text: &'a str,
    },
    Image {
        source: Source<'a>,
    },
    Document {
        source: Source<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<&'a str>,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Cow<'a, serde_json::Value>,
    },
    ToolResult {
        tool_use_id: &'a str,
        content: ResultContent<'a>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    RedactedThinking {
        data: &'a str,
    },
}

/// A `tool_result`'s `content`: a string, or blocks when the tool returned
/// images or documents. The Messages API takes `content` as "a string or a
/// list of content blocks" of type text, image or document
/// (https://docs.anthropic.com/en/api/messages, `tool_result.content`;
/// https://docs.anthropic.com/en/docs/build-with-claude/tool-use, "tool
/// results can include images"), so the media reach the model as media.
#[derive(Serialize, Debug, PartialEq)]
#[serde(untagged)]
pub(crate) enum ResultContent<'a> {
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
}

/// One turn: a role and its blocks, tool results first.
#[derive(Debug)]
pub(crate) struct Turn<'a> {
    role: &'static str,
    blocks: Vec<Block<'a>>,
    /// How many of the leading blocks are tool results.
    results: usize,
}

impl<'a> Turn<'a> {
    fn push(&mut self, block: Block<'a>) {
        if matches!(block, Block::ToolResult { .. }) {
            self.blocks.insert(self.results, block);
            self.results += 1;
        } else {
            self.blocks.push(block);
        }
    }
}

impl Serialize for Turn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("role", self.role)?;
        match self.blocks.as_slice() {
            [Block::Text { text }] => m.serialize_entry("content", text)?,
            blocks => m.serialize_entry("content", blocks)?,
        }
        m.end()
    }
}

/// The turns of `messages` (system messages left out), or the reason a
/// part cannot be sent.
pub(crate) fn turns<'a>(
    provider: &str,
    messages: &'a [Message],
) -> Result<Vec<Turn<'a>>, YatError> {
    let mut turns: Vec<Turn<'a>> = Vec::with_capacity(messages.len());
    for m in messages {
        let role = match m.role {
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
            _ => continue,
        };
        for part in m.content.iter() {
            let Some(block) = block(provider, role, part)? else {
                continue;
            };
            match turns.last_mut() {
                Some(last) if last.role == role => last.push(block),
                _ => {
                    let mut turn = Turn {
                        role,
                        blocks: Vec::with_capacity(m.content.len()),
                        results: 0,
                    };
                    turn.push(block);
                    turns.push(turn);
                }
            }
        }
    }
    Ok(turns)
}

/// The block `part` becomes in a turn of `role`, if it has one there.
fn block<'a>(
    provider: &str,
    role: &'static str,
    part: &'a Part,
) -> Result<Option<Block<'a>>, YatError> {
    let user = role == "user";
    Ok(Some(match part {
        Part::Text(t) if t.is_empty() => return Ok(None),
        Part::Text(text) => Block::Text { text },
        Part::Image(m) if user => Block::Image {
            source: source(provider, m, "image")?,
        },
        Part::Document(m) if user => Block::Document {
            source: source(provider, m, "document")?,
            title: m.name.as_deref(),
        },
        Part::ToolCall(c) if !user => Block::ToolUse {
            id: &c.id,
            name: &c.name,
            // The API takes an object; a call with no arguments has none.
            input: match &c.arguments {
                serde_json::Value::Null => {
                    Cow::Owned(serde_json::Value::Object(Default::default()))
                }
                v => Cow::Borrowed(v),
            },
        },
        Part::ToolResult(r) if user => Block::ToolResult {
            tool_use_id: &r.call_id,
            content: match &r.content {
                ToolOutput::Text(t) => ResultContent::Text(Cow::Borrowed(t.as_str())),
                ToolOutput::Parts(parts) if r.content.has_media() => {
                    match result_blocks(provider, parts)? {
                        Some(blocks) => ResultContent::Blocks(blocks),
                        None => ResultContent::Text(Cow::Owned(r.content.to_text())),
                    }
                }
                // JSON, parts of text only, and whatever a later version
                // adds: their text.
                other => ResultContent::Text(Cow::Owned(other.to_text())),
            },
            is_error: r.is_error,
        },
        Part::Reasoning(r) if !user => match (&r.redacted, &r.signature) {
            (Some(data), _) => Block::RedactedThinking { data },
            (None, Some(signature)) => Block::Thinking {
                thinking: &r.text,
                signature,
            },
            (None, None) => {
                tracing::debug!(provider, "unsigned reasoning left out of the request");
                return Ok(None);
            }
        },
        other => {
            tracing::debug!(
                provider,
                role,
                kind = other.kind(),
                "part left out: the role cannot carry it"
            );
            return Ok(None);
        }
    }))
}

/// The blocks of a tool result that holds media, in the tool's order.
/// Empty text is left out: the API refuses empty text blocks. `None` when
/// a part is of a kind a later yat-core added: the result then goes as
/// text, which describes it, rather than without it.
fn result_blocks<'a>(
    provider: &str,
    parts: &'a [ToolPart],
) -> Result<Option<Vec<Block<'a>>>, YatError> {
    let mut blocks = Vec::with_capacity(parts.len());
    for part in parts {
        blocks.push(match part {
            ToolPart::Text(t) if t.is_empty() => continue,
            ToolPart::Text(text) => Block::Text { text },
            ToolPart::Image(m) => Block::Image {
                source: source(provider, m, "image")?,
            },
            ToolPart::Document(m) => Block::Document {
                source: source(provider, m, "document")?,
                title: m.name.as_deref(),
            },
            _ => return Ok(None),
        });
    }
    Ok(Some(blocks))
}

/// The `source` of an image or a document. Inline bytes need a media type:
/// the one given, else the one their first bytes show.
fn source<'a>(provider: &str, m: &'a Media, what: &str) -> Result<Source<'a>, YatError> {
    let invalid = |message: String| YatError::InvalidRequest(Failure::new(provider, message));
    match &m.source {
        MediaSource::Url(url) if url.starts_with("data:") => {
            let (media_type, bytes) = Media::parse_data_url(url)
                .ok_or_else(|| invalid(format!("the {what}'s data: URL is not base64 data")))?;
            let data = Media::bytes(media_type.clone(), bytes)
                .base64()
                .unwrap_or_default();
            Ok(Source::Base64 {
                media_type: Cow::Owned(media_type),
                data,
            })
        }
        MediaSource::Url(url) => Ok(Source::Url { url }),
        MediaSource::Bytes(bytes) => {
            let media_type = match m.media_type.as_deref() {
                Some(t) => t,
                None => Media::sniff(bytes).ok_or_else(|| {
                    invalid(format!(
                        "the {what} has no media type and its bytes do not show one"
                    ))
                })?,
            };
            if what == "document" && media_type == "text/plain" {
                let data = std::str::from_utf8(bytes)
                    .map_err(|_| invalid("a text/plain document is not UTF-8".into()))?;
                return Ok(Source::Text {
                    media_type: "text/plain",
                    data,
                });
            }
            Ok(Source::Base64 {
                media_type: Cow::Borrowed(media_type),
                data: m.base64().unwrap_or_default(),
            })
        }
        _ => Err(invalid(format!(
            "this kind of {what} source cannot be sent"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yat_core::{Reasoning, ToolCall, ToolResult};

    fn wire(messages: &[Message]) -> serde_json::Value {
        serde_json::to_value(turns("anthropic", messages).unwrap()).unwrap()
    }

    #[test]
    fn a_lone_text_is_a_string_and_anything_more_is_blocks() {
        assert_eq!(
            wire(&[Message::user("hi")]),
            json!([{"role": "user", "content": "hi"}])
        );
        assert_eq!(
            wire(&[Message::user("a"), Message::user("b")]),
            json!([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])
        );
    }

    #[test]
    fn results_lead_the_user_turn_whichever_message_they_came_in() {
        let call = ToolCall::new("toolu_1", "now", json!({}));
        let msgs = [
            Message::user("What time is it?"),
            Message::assistant(Part::ToolCall(call.clone())),
            Message::user("and be quick"),
            Message::tool_results([ToolResult::new(&call, "12:00")]),
        ];
        assert_eq!(
            wire(&msgs)[2],
            json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "12:00"},
                {"type": "text", "text": "and be quick"}
            ]})
        );
    }

    #[test]
    fn unsigned_reasoning_and_misplaced_parts_are_dropped() {
        let msgs = [
            Message::user(vec![
                Part::text("q"),
                Part::ToolCall(ToolCall::new("x", "f", json!({}))),
                Part::Reasoning(Reasoning::new("user thoughts").with_signature("s")),
            ]),
            Message::assistant(vec![
                Part::Reasoning(Reasoning::new("no signature")),
                Part::Image(Media::url("https://example.com/a.png")),
                Part::text("a"),
            ]),
        ];
        assert_eq!(
            wire(&msgs),
            json!([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
        );
        // A message of nothing sendable adds no turn, so its neighbours merge.
        let msgs = [
            Message::user("a"),
            Message::assistant(Part::Reasoning(Reasoning::new("lost"))),
            Message::user("b"),
        ];
        assert_eq!(wire(&msgs).as_array().unwrap().len(), 1);
    }

    #[test]
    fn media_sources_cover_bytes_urls_data_urls_and_text_documents() {
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let msgs = [Message::user(vec![
            Part::Image(Media::bytes("image/png", png.clone())),
            Part::Image(Media::url("data:image/gif;base64,R0lGOA==")),
            Part::Image(Media::url("https://example.com/cat.jpg")),
            Part::Document(
                Media::bytes("text/plain", b"plain words".to_vec()).with_name("notes.txt"),
            ),
            Part::Document(Media::bytes("application/pdf", b"%PDF-1.7".to_vec())),
        ])];
        let v = wire(&msgs);
        let blocks = v[0]["content"].as_array().unwrap();
        assert_eq!(
            blocks[0]["source"],
            json!({"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgpyZXN0"})
        );
        assert_eq!(
            blocks[1]["source"],
            json!({"type": "base64", "media_type": "image/gif", "data": "R0lGOA=="})
        );
        assert_eq!(
            blocks[2]["source"],
            json!({"type": "url", "url": "https://example.com/cat.jpg"})
        );
        assert_eq!(
            blocks[3],
            json!({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain words"}, "title": "notes.txt"})
        );
        assert_eq!(
            blocks[4]["source"],
            json!({"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjc="})
        );
    }

    #[test]
    fn bytes_without_a_type_are_sniffed_or_refused() {
        let mut m = Media::bytes("x", b"%PDF-1.4".to_vec());
        m.media_type = None;
        let v = wire(&[Message::user(Part::Document(m))]);
        assert_eq!(
            v[0]["content"][0]["source"]["media_type"],
            "application/pdf"
        );
        let mut m = Media::bytes("x", b"????".to_vec());
        m.media_type = None;
        let msgs = [Message::user(Part::Image(m))];
        assert!(matches!(
            turns("anthropic", &msgs),
            Err(YatError::InvalidRequest(_))
        ));
        let msgs = [Message::user(Part::Image(Media::url(
            "data:image/png,notbase64",
        )))];
        assert!(matches!(
            turns("anthropic", &msgs),
            Err(YatError::InvalidRequest(_))
        ));
    }
}
