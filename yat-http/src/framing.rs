//! How a streamed body is cut into messages: server-sent events or one JSON
//! text per line. The choice decides the decoder the
//! [`DecodeDriver`](crate::DecodeDriver) runs and the content types
//! [`Transport::stream`](crate::Transport::stream) accepts.

/// The framing of a streamed reply body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Framing {
    /// `text/event-stream`, decoded by the [`SseDecoder`](crate::SseDecoder):
    /// the [`StreamDecoder`](crate::StreamDecoder) sees each event.
    #[default]
    Sse,
    /// One JSON text per line (`application/x-ndjson`, JSON Lines,
    /// `application/json-seq`), decoded by the
    /// [`NdjsonDecoder`](crate::NdjsonDecoder): the
    /// [`StreamDecoder`](crate::StreamDecoder) sees each non-blank line as
    /// an [`SseEvent`](crate::SseEvent) whose `data` is the line and whose
    /// name is `""`.
    Ndjson,
}

/// The media types of newline-delimited JSON in use: the NDJSON spec's, JSON
/// Lines' (with and without the `x-`), and RFC 7464's JSON text sequences.
const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonl",
    "application/jsonlines",
    "application/x-jsonlines",
    "application/json-seq",
];

impl Framing {
    /// Whether a response whose `Content-Type` is `content_type` carries
    /// this framing. Parameters (`; charset=utf-8`) and case are ignored,
    /// and a missing content type (`""`) is accepted: some servers send
    /// none. A plain `application/json` is not NDJSON: it is what gateways
    /// answer errors with.
    ///
    /// ```
    /// use yat_http::Framing;
    /// assert!(Framing::Sse.accepts("text/event-stream; charset=utf-8"));
    /// assert!(Framing::Ndjson.accepts("Application/X-NDJSON"));
    /// assert!(Framing::Ndjson.accepts("application/json-seq"));
    /// assert!(!Framing::Ndjson.accepts("text/event-stream"));
    /// assert!(!Framing::Sse.accepts("application/json"));
    /// ```
    pub fn accepts(self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if essence.is_empty() {
            return true;
        }
        match self {
            Framing::Sse => essence.eq_ignore_ascii_case("text/event-stream"),
            Framing::Ndjson => NDJSON_TYPES.iter().any(|t| essence.eq_ignore_ascii_case(t)),
        }
    }

    /// What a body of this framing is called in error messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Framing::Sse => "an event stream",
            Framing::Ndjson => "an NDJSON stream",
        }
    }
}
