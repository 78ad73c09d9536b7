//! Anthropic Messages, server side: `POST /v1/messages` read into the
//! contract, replies written back as the API writes them.
//!
//! [`request`] reads the body (its conversation in [`content`]), [`stream`]
//! encodes a streamed reply, [`reply`] a whole one, [`error`] the error
//! bodies, [`models`] the model list; [`wire`] holds the shapes they share.

mod content;
mod error;
mod models;
mod reply;
mod request;
mod stream;
mod wire;

#[cfg(test)]
mod accumulate_tests;

use axum::http::StatusCode;
use yat_core::ChatResponse;

use crate::api_error::ApiError;
use crate::dialect::{prefixed_id, Dialect, Inbound, ReplyMeta};

// The server lists models in this shape when a client sends `anthropic-version`.
pub(crate) use models::models_list;
pub(crate) use stream::StreamEncoder;

/// The Anthropic Messages wire format.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Anthropic;

/// How many random characters follow `msg_` in a reply id (the API's ids
/// have 24).
const ID_LEN: usize = 24;

impl Dialect for Anthropic {
    const NAME: &'static str = "anthropic";
    type Encoder = StreamEncoder;

    fn parse(body: &[u8]) -> Result<Inbound, ApiError> {
        request::parse(body)
    }

    fn reply_id() -> String {
        prefixed_id("msg_", ID_LEN)
    }

    /// Anthropic streams always end with usage, so `include_usage` is moot.
    fn encoder(meta: ReplyMeta, _include_usage: bool) -> StreamEncoder {
        StreamEncoder::new(meta)
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
    fn reply_ids_look_like_the_apis() {
        let a = Anthropic::reply_id();
        let b = Anthropic::reply_id();
        assert_ne!(a, b);
        let rest = a.strip_prefix("msg_").unwrap();
        assert_eq!(rest.len(), ID_LEN);
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_eq!(Anthropic::NAME, "anthropic");
    }
}
