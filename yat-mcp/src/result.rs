//! What a tool call returned, in yat's terms, and how it is put to the
//! model: text as text, structured content as JSON, images as image parts
//! of a [`ToolOutput::Parts`], audio and resources described in text. Big
//! results are cut, and the cut is said in the text.

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use serde_json::Value;
use yat_core::{Media, ToolOutput, ToolPart};

/// How many characters of a result go back to the model unless told
/// otherwise.
pub const DEFAULT_MAX_RESULT_CHARS: usize = 100_000;

/// One piece of a tool's result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum McpContent {
    /// Text.
    Text(String),
    /// An image, its bytes decoded.
    Image(Media),
    /// An image whose base64 did not decode; what the server claimed.
    BadImage {
        /// The media type the server gave.
        mime_type: String,
        /// Why it was not decoded.
        reason: String,
    },
    /// Audio: only its description reaches the model.
    Audio {
        /// The media type.
        mime_type: String,
        /// Its size in bytes (decoded).
        bytes: usize,
    },
    /// An embedded resource with text.
    ResourceText {
        /// Its URI.
        uri: String,
        /// Its media type.
        mime_type: Option<String>,
        /// The text.
        text: String,
    },
    /// An embedded binary resource: only its description reaches the model.
    ResourceBlob {
        /// Its URI.
        uri: String,
        /// Its media type.
        mime_type: Option<String>,
        /// Its size in bytes (decoded).
        bytes: usize,
    },
    /// A link to a resource the server can read.
    ResourceLink {
        /// Its URI.
        uri: String,
        /// Its name.
        name: String,
        /// Its media type.
        mime_type: Option<String>,
    },
}

impl McpContent {
    /// How this piece reads to the model.
    pub fn describe(&self) -> String {
        match self {
            McpContent::Text(t) => t.clone(),
            McpContent::Image(m) => format!(
                "[image: {}, {} bytes]",
                m.media_type.as_deref().unwrap_or("unknown type"),
                m.len().unwrap_or(0)
            ),
            McpContent::BadImage { mime_type, reason } => {
                format!("[image: {mime_type}, not readable: {reason}]")
            }
            McpContent::Audio { mime_type, bytes } => {
                format!("[audio: {mime_type}, {bytes} bytes]")
            }
            McpContent::ResourceText { uri, text, .. } => format!("[resource {uri}]\n{text}"),
            McpContent::ResourceBlob {
                uri,
                mime_type,
                bytes,
            } => format!(
                "[resource {uri}: {}, {bytes} bytes]",
                mime_type.as_deref().unwrap_or("binary")
            ),
            McpContent::ResourceLink {
                uri,
                name,
                mime_type,
            } => match mime_type {
                Some(t) => format!("[resource link {name}: {uri} ({t})]"),
                None => format!("[resource link {name}: {uri}]"),
            },
        }
    }
}

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct McpCallResult {
    /// The pieces, in the server's order.
    pub content: Vec<McpContent>,
    /// The structured result (`structuredContent`), if the server sent one.
    pub structured: Option<Value>,
    /// Whether the tool reported a failure (`isError`).
    pub is_error: bool,
}

impl McpCallResult {
    /// Converts rmcp's result.
    pub(crate) fn from_rmcp(result: CallToolResult) -> Self {
        McpCallResult {
            content: result.content.into_iter().map(convert_block).collect(),
            structured: result.structured_content,
            is_error: result.is_error.unwrap_or(false),
        }
    }

    /// The images among the pieces.
    pub fn images(&self) -> impl Iterator<Item = &Media> {
        self.content.iter().filter_map(|c| match c {
            McpContent::Image(m) => Some(m),
            _ => None,
        })
    }

    /// Every piece as text, joined by newlines: what a terminal shows and
    /// what the model reads when the result is not structured.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self.content.iter().map(McpContent::describe).collect();
        parts.join("\n")
    }

    /// What the model gets, at most `max_chars` characters:
    ///
    /// | the result | the model gets |
    /// |---|---|
    /// | structured content, and pieces that are all text (by the spec, its serialization) | JSON: the structured content |
    /// | structured content and other pieces | as below, then the JSON as text |
    /// | images among the pieces | parts: each image as an image part, the other pieces as text, in order |
    /// | pieces only | text: each piece's text or description, one per line |
    /// | nothing | text: `(no output)` |
    ///
    /// Text longer than `max_chars` is cut to `max_chars` and ends
    /// with `… [truncated: N more characters]`; JSON that is cut becomes
    /// text; images are not text and are kept whole.
    pub fn to_tool_output(&self, max_chars: usize) -> ToolOutput {
        let all_text = self
            .content
            .iter()
            .all(|c| matches!(c, McpContent::Text(_)));
        let output = match (&self.structured, all_text) {
            (Some(v), true) => ToolOutput::Json(v.clone()),
            (None, _) if self.content.is_empty() => ToolOutput::Text("(no output)".to_owned()),
            (structured, _) if self.images().next().is_some() => {
                let mut parts = Vec::new();
                for piece in &self.content {
                    match piece {
                        McpContent::Image(m) => parts.push(ToolPart::Image(m.clone())),
                        other => push_line(&mut parts, other.describe()),
                    }
                }
                if let Some(v) = structured {
                    push_line(&mut parts, v.to_string());
                }
                ToolOutput::Parts(parts)
            }
            (Some(v), false) => ToolOutput::Text(format!("{}\n{v}", self.text())),
            (None, _) => ToolOutput::Text(self.text()),
        };
        cap(output, max_chars)
    }
}

/// Appends `line` to the text part that ends `parts`, or as a new text
/// part after an image: neighbouring pieces of text read as one block, as
/// they do in [`McpCallResult::text`].
fn push_line(parts: &mut Vec<ToolPart>, line: String) {
    match parts.last_mut() {
        Some(ToolPart::Text(t)) => {
            t.push('\n');
            t.push_str(&line);
        }
        _ => parts.push(ToolPart::Text(line)),
    }
}

/// `output` if its text is at most `max_chars` characters, else its text
/// cut there with a note of how much was cut. Of parts, only the text
/// parts count and are cut; images and documents are kept.
pub fn cap(output: ToolOutput, max_chars: usize) -> ToolOutput {
    if let ToolOutput::Parts(parts) = output {
        return ToolOutput::Parts(cap_parts(parts, max_chars));
    }
    let text = match &output {
        ToolOutput::Text(t) => std::borrow::Cow::Borrowed(t.as_str()),
        other => std::borrow::Cow::Owned(other.to_text()),
    };
    // Cheap check first: bytes bound characters from above.
    if text.len() <= max_chars {
        return output;
    }
    let total = text.chars().count();
    if total <= max_chars {
        return output;
    }
    let cut: String = text.chars().take(max_chars).collect();
    ToolOutput::Text(format!(
        "{cut}… [truncated: {} more characters]",
        total - max_chars
    ))
}

fn cap_parts(parts: Vec<ToolPart>, max_chars: usize) -> Vec<ToolPart> {
    let mut left = max_chars;
    let mut cut_chars = 0;
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            ToolPart::Text(t) if cut_chars > 0 => cut_chars += t.chars().count(),
            ToolPart::Text(t) => {
                let n = t.chars().count();
                if n <= left {
                    left -= n;
                    out.push(ToolPart::Text(t));
                } else {
                    cut_chars = n - left;
                    let kept: String = t.chars().take(left).collect();
                    left = 0;
                    if !kept.is_empty() {
                        out.push(ToolPart::Text(kept));
                    }
                }
            }
            media => out.push(media),
        }
    }
    if cut_chars > 0 {
        let note = format!("… [truncated: {cut_chars} more characters]");
        match out.last_mut() {
            Some(ToolPart::Text(t)) => t.push_str(&note),
            _ => out.push(ToolPart::Text(note)),
        }
    }
    out
}

fn convert_block(block: ContentBlock) -> McpContent {
    let b64 = base64::engine::general_purpose::STANDARD;
    match block {
        ContentBlock::Text(t) => McpContent::Text(t.text),
        ContentBlock::Image(i) => match b64.decode(i.data.trim()) {
            Ok(bytes) => McpContent::Image(Media::bytes(i.mime_type, bytes)),
            Err(e) => McpContent::BadImage {
                mime_type: i.mime_type,
                reason: format!("invalid base64 ({e})"),
            },
        },
        ContentBlock::Audio(a) => McpContent::Audio {
            bytes: decoded_len(&a.data),
            mime_type: a.mime_type,
        },
        ContentBlock::Resource(r) => match r.resource {
            ResourceContents::TextResourceContents {
                uri,
                mime_type,
                text,
                ..
            } => McpContent::ResourceText {
                uri,
                mime_type,
                text,
            },
            ResourceContents::BlobResourceContents {
                uri,
                mime_type,
                blob,
                ..
            } => McpContent::ResourceBlob {
                uri,
                mime_type,
                bytes: decoded_len(&blob),
            },
            other => McpContent::Text(format!(
                "[resource of a kind this version does not read: {}]",
                resource_kind(&other)
            )),
        },
        ContentBlock::ResourceLink(link) => McpContent::ResourceLink {
            uri: link.uri.clone(),
            name: link.name.clone(),
            mime_type: link.mime_type.clone(),
        },
        // A content kind newer than this version: say so rather than drop it.
        other => McpContent::Text(format!(
            "[content of a kind this version does not read: {}]",
            serde_json::to_value(&other)
                .ok()
                .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "unknown".into())
        )),
    }
}

fn resource_kind(r: &ResourceContents) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.get("uri").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The size base64 text decodes to, without decoding it.
fn decoded_len(data: &str) -> usize {
    let data = data.trim();
    let pad = data.bytes().rev().take_while(|&b| b == b'=').count();
    (data.len() / 4 * 3).saturating_sub(pad)
}

#[cfg(test)]
#[path = "result_tests.rs"]
mod tests;
