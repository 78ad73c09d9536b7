//! The conversation as Gemini `contents`: turns of parts.
//!
//! Reference: ai.google.dev/api/caching#Content and #Part (`text`,
//! `inlineData`, `fileData`, `functionCall`, `functionResponse`,
//! `thoughtSignature`), ai.google.dev/gemini-api/docs/function-calling and
//! ai.google.dev/gemini-api/docs/thought-signatures.
//!
//! - Assistant turns have the role `model`; tool results go back as a `user`
//!   turn of `functionResponse` parts (Gemini has no tool role).
//!   Consecutive turns of one role are merged (Gemini wants the roles to
//!   alternate), so the results of parallel calls form one turn.
//! - Images and documents: inline bytes (and base64 `data:` URLs) are
//!   `inlineData {mimeType, data}`; other URLs are `fileData {mimeType?,
//!   fileUri}`, which Gemini fetches itself.
//! - Ids: a call id yat made up ([`SYNTHETIC_ID_PREFIX`]) was never
//!   Gemini's, so it is left out of the `functionCall` and the
//!   `functionResponse`; Gemini then pairs them by name and order.
//! - `functionResponse.response` must be an object. The reference says the
//!   keys are the caller's choice ("output", "result", ...) and that a
//!   failed call "can have an `error` key": text is sent as
//!   `{"result": text}`, a failure as `{"error": ...}`, and a JSON object
//!   as it is.
//! - Signatures: a call's `thoughtSignature` is echoed on its
//!   `functionCall` part, as the API requires of Gemini 3 models. A signed
//!   reasoning part is the signature Gemini put on a text or thought part
//!   (the stream turns it into [`Reasoning`] with a signature); it goes back
//!   where the API sent it in a stream, on a part of empty text:
//!   `{"text": "", "thoughtSignature": ...}`. Thought text itself is not
//!   sent back (the API does not read it as context), nor is reasoning
//!   without a signature, nor another provider's redacted reasoning.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use yat_core::assemble::SYNTHETIC_ID_PREFIX;
use yat_core::{
    ChatRequest, Media, MediaSource, Part, Reasoning, Role, ToolCall, ToolOutput, ToolPart,
    ToolResult,
};

/// One `Content` of the request: a role and its parts.
#[derive(Serialize, Debug)]
pub(crate) struct Turn<'a> {
    role: &'static str,
    parts: Vec<WirePart<'a>>,
}

/// One `Part` of the request.
#[derive(Serialize, Debug)]
#[serde(untagged)]
pub(crate) enum WirePart<'a> {
    Text {
        text: &'a str,
        #[serde(rename = "thoughtSignature", skip_serializing_if = "Option::is_none")]
        thought_signature: Option<&'a str>,
    },
    Inline {
        #[serde(rename = "inlineData")]
        inline_data: Blob<'a>,
    },
    File {
        #[serde(rename = "fileData")]
        file_data: FileData<'a>,
    },
    Call {
        #[serde(rename = "functionCall")]
        function_call: Call<'a>,
        #[serde(rename = "thoughtSignature", skip_serializing_if = "Option::is_none")]
        thought_signature: Option<&'a str>,
    },
    Response {
        #[serde(rename = "functionResponse")]
        function_response: Response<'a>,
    },
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Blob<'a> {
    mime_type: &'a str,
    data: Cow<'a, str>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'a str>,
    file_uri: &'a str,
}

#[derive(Serialize, Debug)]
pub(crate) struct Call<'a> {
    name: &'a str,
    args: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

#[derive(Serialize, Debug)]
pub(crate) struct Response<'a> {
    name: &'a str,
    response: Cow<'a, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    /// The result's images and documents, as `inlineData` (or `fileData`)
    /// parts nested in the `functionResponse`: the documented form of a
    /// multimodal function response (ai.google.dev/gemini-api/docs/function-calling,
    /// "Multimodal function responses"; API reference `FunctionResponse.parts`,
    /// `FunctionResponsePart`). Siblings of the `functionResponse` in the
    /// turn would read as the user's own attachments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parts: Vec<WirePart<'a>>,
}

/// The `contents` of `req`: every message but the system ones, in order,
/// consecutive turns of one role merged. A message that maps to no part
/// (empty text, unsigned reasoning) is left out: the API rejects a turn
/// without parts. Fails, with a message for the caller, on media it cannot
/// send.
pub(crate) fn contents(req: &ChatRequest) -> Result<Vec<Turn<'_>>, String> {
    let mut turns: Vec<Turn<'_>> = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        let role = match m.role {
            Role::User | Role::Tool => "user",
            Role::Assistant => "model",
            // System messages are the top-level `systemInstruction`.
            _ => continue,
        };
        let mut parts = Vec::with_capacity(m.content.len());
        for part in &m.content {
            if let Some(p) = wire_part(part)? {
                parts.push(p);
            }
        }
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.parts.append(&mut parts),
            _ => turns.push(Turn { role, parts }),
        }
    }
    Ok(turns)
}

fn wire_part(part: &Part) -> Result<Option<WirePart<'_>>, String> {
    Ok(match part {
        Part::Text(t) if t.is_empty() => None,
        Part::Text(t) => Some(WirePart::Text {
            text: t,
            thought_signature: None,
        }),
        Part::Image(m) | Part::Document(m) => Some(media(m)?),
        Part::ToolCall(c) => Some(call(c)),
        Part::ToolResult(r) => Some(result(r)?),
        Part::Reasoning(r) => signed_reasoning(r),
        other => {
            tracing::debug!(
                kind = other.kind(),
                "gemini: leaving out a part it cannot send"
            );
            None
        }
    })
}

/// The id to send: Gemini's own, never one yat made up.
fn real_id(id: &str) -> Option<&str> {
    (!id.is_empty() && !id.starts_with(SYNTHETIC_ID_PREFIX)).then_some(id)
}

fn call(c: &ToolCall) -> WirePart<'_> {
    WirePart::Call {
        function_call: Call {
            name: &c.name,
            args: &c.arguments,
            id: real_id(&c.id),
        },
        thought_signature: c.signature.as_deref(),
    }
}

fn result(r: &ToolResult) -> Result<WirePart<'_>, String> {
    let key = if r.is_error { "error" } else { "result" };
    // The text (media described in it) goes in `response`, the media
    // themselves in `parts`.
    let mut parts = Vec::new();
    if let ToolOutput::Parts(tool_parts) = &r.content {
        for p in tool_parts {
            if let ToolPart::Image(m) | ToolPart::Document(m) = p {
                parts.push(media(m)?);
            }
        }
    }
    let response = match &r.content {
        ToolOutput::Json(v @ Value::Object(_)) if !r.is_error => Cow::Borrowed(v),
        ToolOutput::Json(v) => Cow::Owned(wrap(key, v.clone())),
        ToolOutput::Text(t) => Cow::Owned(wrap(key, Value::String(t.clone()))),
        other => Cow::Owned(wrap(key, other.to_json())),
    };
    Ok(WirePart::Response {
        function_response: Response {
            name: &r.name,
            response,
            id: real_id(&r.call_id),
            parts,
        },
    })
}

fn wrap(key: &str, value: Value) -> Value {
    let mut m = serde_json::Map::with_capacity(1);
    m.insert(key.to_owned(), value);
    Value::Object(m)
}

fn signed_reasoning(r: &Reasoning) -> Option<WirePart<'_>> {
    if r.is_redacted() {
        return None;
    }
    r.signature.as_deref().map(|sig| WirePart::Text {
        text: "",
        thought_signature: Some(sig),
    })
}

fn media(m: &Media) -> Result<WirePart<'_>, String> {
    match &m.source {
        MediaSource::Bytes(b) => {
            let mime_type = m
                .media_type
                .as_deref()
                .or_else(|| Media::sniff(b))
                .ok_or_else(|| unknown_type(m))?;
            Ok(WirePart::Inline {
                inline_data: Blob {
                    mime_type,
                    data: Cow::Owned(m.base64().unwrap_or_default()),
                },
            })
        }
        MediaSource::Url(url) if url.starts_with("data:") => {
            // Already base64: passed on as it is, not decoded and encoded again.
            let (own_type, data) = split_data_url(url).ok_or_else(|| {
                format!(
                    "{}: only base64 `data:` URLs can be sent inline",
                    m.name.as_deref().unwrap_or("a media part")
                )
            })?;
            Ok(WirePart::Inline {
                inline_data: Blob {
                    mime_type: m.media_type.as_deref().unwrap_or(own_type),
                    data: Cow::Borrowed(data),
                },
            })
        }
        MediaSource::Url(url) => Ok(WirePart::File {
            file_data: FileData {
                mime_type: m.media_type.as_deref(),
                file_uri: url,
            },
        }),
        _ => Err(unknown_type(m)),
    }
}

fn unknown_type(m: &Media) -> String {
    format!(
        "{}: the media type is not given and cannot be told from the bytes",
        m.name.as_deref().unwrap_or("a media part")
    )
}

/// `data:<type>;base64,<data>` split into its type and its base64 text.
fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let (meta, data) = url.strip_prefix("data:")?.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    (!media_type.is_empty()).then_some((media_type, data.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::Message;

    fn json(req: &ChatRequest) -> Value {
        serde_json::to_value(contents(req).unwrap()).unwrap()
    }

    #[test]
    fn empty_and_unsigned_parts_leave_no_empty_turn() {
        let req = ChatRequest::new(
            "m",
            vec![
                Message::user("a"),
                Message::assistant(Part::Reasoning(Reasoning::new("thinking"))),
                Message::assistant(""),
                Message::user("b"),
            ],
        );
        assert_eq!(
            json(&req),
            serde_json::json!([{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}])
        );
    }

    #[test]
    fn data_urls_split_only_when_base64() {
        assert_eq!(
            split_data_url("data:image/png;base64, iVBO \n"),
            Some(("image/png", "iVBO"))
        );
        assert_eq!(split_data_url("data:text/plain,hello"), None);
        assert_eq!(split_data_url("data:;base64,AA=="), None);
        let m = Media::url("data:text/plain,hello").with_name("note.txt");
        let req = ChatRequest::new("m", vec![Message::user(Part::Document(m))]);
        assert!(contents(&req).unwrap_err().contains("note.txt"));
    }

    #[test]
    fn bytes_without_a_type_are_sniffed_or_refused() {
        let mut png = Media::bytes("x", b"\x89PNG\r\n\x1a\n".to_vec());
        png.media_type = None;
        let req = ChatRequest::new("m", vec![Message::user(Part::Image(png))]);
        assert_eq!(
            json(&req)[0]["parts"][0]["inlineData"]["mimeType"],
            "image/png"
        );
        let mut odd = Media::bytes("x", b"????".to_vec());
        odd.media_type = None;
        let req = ChatRequest::new("m", vec![Message::user(Part::Image(odd))]);
        assert!(contents(&req).is_err());
    }
}
