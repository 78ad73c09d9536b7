//! Tool results on the Chat Completions wire: each a `tool` message of
//! text, and the images and documents among them in one `user` message
//! after the turn's last `tool` message.
//!
//! Why the split: a `tool` message's `content` is "a string or an array of
//! text content parts" (OpenAI `openapi.yaml`,
//! `ChatCompletionRequestToolMessage`, whose parts are
//! `ChatCompletionRequestToolMessageContentPart` = text only), while a
//! `user` message takes `image_url` and `file` parts. The `tool` messages
//! answering one assistant message must follow it directly, so the media
//! go after all of them: the model reads each result's text with its
//! media described (`[image: image/png, 1234 bytes]`), then sees the media
//! themselves, each group labelled with the call it came from.

use std::borrow::Cow;

use yat_core::{Capabilities, ToolOutput, ToolPart, ToolResult, YatError};

use super::request::{
    document_part, media_url, WireContent, WireImageUrl, WireMessage, WirePart, TOOL_ERROR_PREFIX,
};

/// A result as a `tool` message: its text, a failure's prefixed.
pub(super) fn tool_message(r: &ToolResult) -> WireMessage<'_> {
    let text: Cow<'_, str> = match &r.content {
        ToolOutput::Text(t) => Cow::Borrowed(t),
        other => Cow::Owned(other.to_text()),
    };
    let content = if r.is_error {
        Cow::Owned(format!("{TOOL_ERROR_PREFIX}{text}"))
    } else {
        text
    };
    let mut message = WireMessage::new("tool", WireContent::Text(content));
    message.tool_call_id = Some(&r.call_id);
    message
}

/// The media of the results sent so far that have not gone out yet.
pub(super) struct ResultMedia<'a> {
    parts: Vec<WirePart<'a>>,
    /// Whether the server takes images and documents at all. One that
    /// does not gets the description in the `tool` message only: a tool
    /// that returns a picture must not make the whole request fail.
    images: bool,
    documents: bool,
}

impl<'a> ResultMedia<'a> {
    /// Nothing collected yet, for a server that takes these kinds of media.
    pub(super) fn new(capabilities: &Capabilities) -> Self {
        ResultMedia {
            parts: Vec::new(),
            images: capabilities.images,
            documents: capabilities.documents,
        }
    }

    /// Takes `r`'s images and documents, after a text part naming the call.
    pub(super) fn collect(&mut self, provider: &str, r: &'a ToolResult) -> Result<(), YatError> {
        let ToolOutput::Parts(parts) = &r.content else {
            return Ok(());
        };
        let mut media = Vec::new();
        for part in parts {
            match part {
                ToolPart::Image(m) if self.images => media.push(WirePart::ImageUrl {
                    image_url: WireImageUrl {
                        url: media_url(provider, m, "images")?,
                    },
                }),
                ToolPart::Document(m) if self.documents => media.push(document_part(provider, m)?),
                // Text, media the server does not take, and kinds a later
                // yat-core adds are in the tool message's text already.
                _ => {}
            }
        }
        if !media.is_empty() {
            self.parts.push(WirePart::Text {
                text: Cow::Owned(format!(
                    "The images and documents the {} tool returned (call {}):",
                    r.name, r.call_id
                )),
            });
            self.parts.append(&mut media);
        }
        Ok(())
    }

    /// Sends what was collected as one `user` message.
    pub(super) fn flush(&mut self, out: &mut Vec<WireMessage<'a>>) {
        if self.parts.is_empty() {
            return;
        }
        let parts = std::mem::take(&mut self.parts);
        out.push(WireMessage::new("user", WireContent::Parts(parts)));
    }
}
