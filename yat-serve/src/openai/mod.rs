//! OpenAI Chat Completions, server side: `POST /v1/chat/completions` read
//! into the contract's request, the contract's events written back as
//! `chat.completion.chunk`s or one `chat.completion`, errors in OpenAI's
//! error shape, and `GET /v1/models`.
//!
//! The client side of the same format is `yat-providers`' `openai`
//! module; this is its mirror image, checked against OpenAI's
//! `openapi.yaml` (github.com/openai/openai-openapi) and against how the
//! official Python SDK reads a stream (`_streaming.py`,
//! `lib/streaming/_deltas.py`).

mod error;
mod messages;
mod models;
mod reply;
mod request;
mod stream;
mod wire;

use axum::http::StatusCode;
use yat_core::ChatResponse;

pub(crate) use models::models_list;
pub(crate) use stream::ChunkEncoder;

use crate::api_error::ApiError;
use crate::dialect::{prefixed_id, Dialect, Inbound, ReplyMeta};

/// The OpenAI Chat Completions wire format.
pub(crate) struct OpenAi;

impl Dialect for OpenAi {
    const NAME: &'static str = "openai";
    type Encoder = ChunkEncoder;

    fn parse(body: &[u8]) -> Result<Inbound, ApiError> {
        request::parse(body)
    }

    /// `chatcmpl-` and 24 random letters and digits, as OpenAI's ids look.
    fn reply_id() -> String {
        prefixed_id("chatcmpl-", 24)
    }

    fn encoder(meta: ReplyMeta, include_usage: bool) -> ChunkEncoder {
        ChunkEncoder::new(meta, include_usage)
    }

    fn reply(meta: &ReplyMeta, reply: &ChatResponse) -> Vec<u8> {
        reply::body(meta, reply)
    }

    fn error(error: &ApiError) -> (StatusCode, Vec<u8>) {
        error::response(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_ids_look_like_openai_s_and_differ() {
        let a = OpenAi::reply_id();
        let b = OpenAi::reply_id();
        let suffix = a.strip_prefix("chatcmpl-").unwrap();
        assert_eq!(suffix.len(), 24);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn the_dialect_reads_a_request_and_writes_its_reply() {
        let inbound = OpenAi::parse(
            br#"{"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!((inbound.model.as_str(), inbound.stream), ("fast", true));
        assert_eq!(OpenAi::NAME, "openai");
        let meta = ReplyMeta {
            id: OpenAi::reply_id(),
            model: inbound.model,
            created: 1,
        };
        let mut encoder = OpenAi::encoder(meta.clone(), inbound.include_usage);
        let mut out = Vec::new();
        crate::dialect::Encoder::start(&mut encoder, &mut out);
        assert!(out.starts_with(format!("data: {{\"id\":\"{}\"", meta.id).as_bytes()));
        let body = OpenAi::reply(&meta, &ChatResponse::default());
        assert!(body.starts_with(b"{\"id\":\"chatcmpl-"));
        let (status, _) = OpenAi::error(&ApiError::invalid("model", "no"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
