//! What each wire format the gateway speaks provides: a parser from the
//! client's request body to a [`ChatRequest`], an encoder from the
//! contract's [`ChatEvent`]s to the format's stream, the non-streaming reply
//! body, and the error body. The server (routing, auth, limits, metrics)
//! is written once over this trait; a dialect is a pure translator and
//! never touches the network.

use axum::http::StatusCode;
use yat_core::{ChatEvent, ChatRequest, ChatResponse};

use crate::api_error::ApiError;

/// A client's request, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    /// The model as the client named it (an alias, `PROVIDER/MODEL`, or a
    /// bare name for the gateway's model map). Echoed back in replies.
    pub model: String,
    /// The request in the contract's terms; its `model` field is left empty
    /// (routing fills it).
    pub request: ChatRequest,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// Whether a stream should end with a usage report (OpenAI's
    /// `stream_options.include_usage`; Anthropic always reports usage).
    pub include_usage: bool,
}

/// What every reply of one exchange repeats.
#[derive(Debug, Clone)]
pub(crate) struct ReplyMeta {
    /// The reply's id, made by [`Dialect::reply_id`].
    pub id: String,
    /// The model as the client named it.
    pub model: String,
    /// Unix seconds when the exchange began.
    pub created: u64,
}

/// Turns one reply's events into the format's stream, frame by frame.
/// Every method appends whole frames (SSE events) to `out`.
pub(crate) trait Encoder: Send + 'static {
    /// The upstream has started answering: the frames that open a reply
    /// (Anthropic's `message_start`; OpenAI's first chunk with the role).
    fn start(&mut self, out: &mut Vec<u8>);
    /// One event of the reply.
    fn event(&mut self, event: &ChatEvent, out: &mut Vec<u8>);
    /// The upstream's stream ended: the closing frames (OpenAI's usage
    /// chunk and `data: [DONE]`; Anthropic's `message_delta` and
    /// `message_stop`).
    fn end(&mut self, out: &mut Vec<u8>);
    /// The upstream failed after the stream started: the format's
    /// in-stream error event. Nothing is written after it.
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>);
    /// The upstream has been silent for a while: a frame that keeps
    /// proxies and clients from timing out (Anthropic's `ping`, an SSE
    /// comment for OpenAI).
    fn keepalive(&mut self, out: &mut Vec<u8>);
}

/// One wire format: OpenAI Chat Completions or Anthropic Messages.
pub(crate) trait Dialect: Send + Sync + 'static {
    /// `openai` or `anthropic`: for metrics and logs.
    const NAME: &'static str;
    /// The stream encoder.
    type Encoder: Encoder;
    /// Parses a request body. Malformed JSON, wrong types and what this
    /// format can carry but yat cannot are a 400 naming the field.
    fn parse(body: &[u8]) -> Result<Inbound, ApiError>;
    /// A fresh reply id (`chatcmpl-…`, `msg_…`).
    fn reply_id() -> String;
    /// The encoder for one streamed reply.
    fn encoder(meta: ReplyMeta, include_usage: bool) -> Self::Encoder;
    /// The body of a non-streaming reply.
    fn reply(meta: &ReplyMeta, reply: &ChatResponse) -> Vec<u8>;
    /// The status and body of an error response in this format's shape.
    fn error(error: &ApiError) -> (StatusCode, Vec<u8>);
}

/// `prefix` and `len` random letters and digits: the ids of replies
/// (`chatcmpl-…`, `msg_…`) and requests (`req_…`). Not secrets, so a fast
/// generator does.
pub(crate) fn prefixed_id(prefix: &str, len: usize) -> String {
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    id.extend(std::iter::repeat_with(fastrand::alphanumeric).take(len));
    id
}
