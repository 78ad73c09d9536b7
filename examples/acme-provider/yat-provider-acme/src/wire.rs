//! The Acme Chat wire format: serde types and the request translation.
//!
//! Kept pure (no I/O) so the request body and the decoders are tested
//! without a socket.

use serde::{Deserialize, Serialize};
use yat_core::{ChatRequest, ModelInfo, Role};

/// `POST /v1/chat` body.
#[derive(Debug, Serialize)]
pub struct ChatBody<'a> {
    pub model: &'a str,
    pub conversation: Vec<Turn<'a>>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub stop: &'a [String],
}

/// One turn of the conversation. Acme names the roles `system`, `human`, `bot`.
#[derive(Debug, Serialize)]
pub struct Turn<'a> {
    pub from: &'static str,
    pub text: std::borrow::Cow<'a, str>,
}

/// yat's request in Acme's words. Parameters left unset are not sent, so
/// Acme applies its own defaults.
pub fn chat_body(request: &ChatRequest) -> ChatBody<'_> {
    ChatBody {
        model: &request.model,
        conversation: request
            .messages
            .iter()
            // Acme is a text API: it claims no tools, images or reasoning,
            // so the manager refuses requests holding such parts before they
            // reach this provider, and only the text of each turn is sent.
            .filter_map(|m| {
                let from = match m.role {
                    Role::System => "system",
                    Role::User => "human",
                    Role::Assistant => "bot",
                    _ => return None,
                };
                Some(Turn {
                    from,
                    text: m.text(),
                })
            })
            .collect(),
        stream: true,
        temperature: request.temperature,
        max_tokens: request.max_tokens,
        top_p: request.top_p,
        stop: &request.stop,
    }
}

/// `GET /v1/models` response.
#[derive(Debug, Deserialize)]
pub struct ModelList {
    pub data: Vec<Model>,
}

/// One model.
#[derive(Debug, Deserialize)]
pub struct Model {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub context_window: Option<u32>,
    #[serde(default)]
    pub max_reply: Option<u32>,
}

impl Model {
    /// The model as yat lists it.
    pub fn into_info(self) -> ModelInfo {
        let mut info = ModelInfo::new(crate::ID, &self.name);
        info.display_name = self.label.unwrap_or(self.name);
        info.context_length = self.context_window;
        info.max_output_tokens = self.max_reply;
        info
    }
}

/// One line of the `application/x-ndjson` chat stream.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamLine {
    /// A piece of the reply.
    Chunk { text: String },
    /// The end: why, and the token counts.
    Done {
        reason: String,
        #[serde(default)]
        tokens: Option<Tokens>,
    },
    /// Acme failed after the reply started.
    Error { code: String, message: String },
}

/// Token counts.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    #[serde(rename = "in")]
    pub input: u64,
    #[serde(rename = "out")]
    pub output: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::Message;

    #[test]
    fn request_uses_acme_role_names_and_omits_unset_parameters() {
        let req = ChatRequest::new(
            "acme-1",
            vec![
                Message::system("be brief"),
                Message::user("hi"),
                Message::assistant("hello"),
            ],
        )
        .max_tokens(5);
        let json = serde_json::to_value(chat_body(&req)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "model": "acme-1",
                "conversation": [
                    {"from": "system", "text": "be brief"},
                    {"from": "human", "text": "hi"},
                    {"from": "bot", "text": "hello"}
                ],
                "stream": true,
                "max_tokens": 5
            })
        );
    }
}
