//! One error taxonomy for every provider and every part of yat.
//!
//! Provider failures carry the provider id, the HTTP status when there was
//! one, and the provider's own message. Nothing in here ever holds a key or an
//! `Authorization` header: providers build these from response bodies, which
//! do not echo credentials, and the [`Secret`](crate::Secret) type cannot be
//! formatted into a message.

use std::path::PathBuf;
use std::time::Duration;

/// What a provider said went wrong: who, the HTTP status if any, and its words.
///
/// ```
/// use yat_core::{Failure, YatError};
/// let f = Failure::http("acme", 401, "invalid key");
/// assert_eq!(f.to_string(), "(HTTP 401) invalid key");
/// let e = YatError::Authentication(f);
/// assert_eq!(e.to_string(), "acme: authentication failed (HTTP 401) invalid key");
/// assert_eq!(e.status(), Some(401));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Provider id (`openai`, `mock`, ...).
    pub provider: String,
    /// HTTP status, for HTTP providers.
    pub status: Option<u16>,
    /// The provider's message (or ours, when the provider sent none).
    pub message: String,
}

impl Failure {
    /// A failure without an HTTP status.
    pub fn new(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            provider: provider.into(),
            status: None,
            message: message.into(),
        }
    }
    /// A failure that came with an HTTP status.
    pub fn http(provider: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Failure {
            provider: provider.into(),
            status: Some(status),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "(HTTP {s}) {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Which wait ran out.
///
/// ```
/// use std::time::Duration;
/// use yat_core::{TimeoutPhase, YatError};
/// let e = YatError::Timeout { provider: "acme".into(), phase: TimeoutPhase::FirstByte, after: Duration::from_secs(30) };
/// assert_eq!(e.to_string(), "acme: timed out waiting for the first byte (after 30s)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for the response to start.
    FirstByte,
    /// Waiting between two pieces of a stream.
    Idle,
    /// The whole request, including retries.
    Total,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::FirstByte => "waiting for the first byte",
            TimeoutPhase::Idle => "waiting for the next event",
            TimeoutPhase::Total => "for the whole request",
        })
    }
}

/// Every error yat returns.
///
/// Match on the variant to decide what to do; [`YatError::is_retryable`] and
/// [`YatError::retry_after`] answer the common question for you.
///
/// ```
/// use yat_core::{Failure, YatError};
///
/// fn advice(e: &YatError) -> &'static str {
///     match e {
///         YatError::Authentication(_) => "check the key",
///         YatError::ModelNotFound(_) => "list the models",
///         e if e.is_retryable() => "try again",
///         e if e.allows_fallback() => "try another provider",
///         _ => "give up",
///     }
/// }
/// let e = YatError::Server(Failure::http("acme", 500, "oops"));
/// assert_eq!(advice(&e), "try again");
/// assert_eq!(e.kind(), "server_error");
/// assert_eq!(e.provider(), Some("acme"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum YatError {
    /// The key is missing, wrong or expired.
    #[error("{}: authentication failed {}", .0.provider, .0)]
    Authentication(Failure),
    /// The key is valid but may not do this.
    #[error("{}: permission denied {}", .0.provider, .0)]
    Permission(Failure),
    /// The model (or another named resource) does not exist.
    #[error("{}: model not found {}", .0.provider, .0)]
    ModelNotFound(Failure),
    /// Too many requests; try again later.
    #[error("{}: rate limited {failure}{}", failure.provider, fmt_retry(*retry_after))]
    RateLimited {
        /// What the provider said.
        failure: Failure,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The account's quota or credit is used up; retrying will not help.
    #[error("{}: quota exhausted {}", .0.provider, .0)]
    QuotaExhausted(Failure),
    /// The conversation is longer than the model's context window.
    #[error("{}: context length exceeded {}", .0.provider, .0)]
    ContextLengthExceeded(Failure),
    /// The request was rejected as malformed or out of range.
    #[error("{}: invalid request {}", .0.provider, .0)]
    InvalidRequest(Failure),
    /// The provider failed on its side.
    #[error("{}: server error {}", .0.provider, .0)]
    Server(Failure),
    /// The provider is temporarily overloaded.
    #[error("{}: overloaded {failure}{}", failure.provider, fmt_retry(*retry_after))]
    Overloaded {
        /// What the provider said.
        failure: Failure,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The provider's safety system blocked the request or the reply.
    #[error("{}: content blocked {}", .0.provider, .0)]
    ContentBlocked(Failure),
    /// A wait ran out.
    #[error("{provider}: timed out {phase} (after {after:?})")]
    Timeout {
        /// Provider id.
        provider: String,
        /// Which wait.
        phase: TimeoutPhase,
        /// The configured limit.
        after: Duration,
    },
    /// The connection failed or broke.
    #[error("{provider}: network error: {message}")]
    Network {
        /// Provider id.
        provider: String,
        /// What happened.
        message: String,
    },
    /// The provider sent something that does not follow its API.
    #[error("{provider}: malformed response: {message} (received: {excerpt:?})")]
    MalformedResponse {
        /// Provider id.
        provider: String,
        /// What was wrong.
        message: String,
        /// A short, truncated excerpt of what arrived.
        excerpt: String,
    },
    /// The caller cancelled the request.
    #[error("{provider}: cancelled")]
    Cancelled {
        /// Provider id.
        provider: String,
    },
    /// The provider cannot be used: not configured, disabled, or failed to start.
    #[error("{provider}: unavailable: {reason}")]
    Unavailable {
        /// Provider id.
        provider: String,
        /// Why, with the fix when there is one.
        reason: String,
    },
    /// A provider panicked; the host caught it.
    #[error("{provider}: provider panicked: {message}")]
    ProviderPanicked {
        /// Provider id.
        provider: String,
        /// The panic message.
        message: String,
    },
    /// No linked provider has this id.
    #[error("unknown provider {id:?}; compiled in: {}", available.join(", "))]
    UnknownProvider {
        /// The id asked for.
        id: String,
        /// The ids that exist.
        available: Vec<String>,
    },
    /// Two linked crates registered the same provider id.
    #[error("provider {id:?} is registered twice: by {first} and by {second}")]
    DuplicateProvider {
        /// The contested id.
        id: String,
        /// `crate@version` of the first registration.
        first: String,
        /// `crate@version` of the second registration.
        second: String,
    },
    /// The request needs something the provider does not offer (tools,
    /// images, JSON-schema output, ...). Found before anything is sent.
    #[error("{provider}: {capability} not supported: {message}")]
    Unsupported {
        /// Provider id.
        provider: String,
        /// What is missing: `tools`, `parallel_tools`, `images`, `documents`,
        /// `json_schema`, `json_object`, `reasoning`, or a size limit
        /// (`image_size`, `document_size`, `inline_size`).
        capability: String,
        /// The detail and, when there is one, what to do instead.
        message: String,
    },
    /// The model called a tool with arguments that are not valid JSON. The
    /// raw text is kept whole.
    #[error(
        "{provider}: the arguments of tool call `{name}` ({id}) are not valid JSON: {message}"
    )]
    InvalidToolArguments {
        /// Provider id.
        provider: String,
        /// The call's id.
        id: String,
        /// The tool's name.
        name: String,
        /// The arguments as the model sent them.
        raw: String,
        /// The parse error.
        message: String,
    },
    /// A reply could not be read as the structured output asked for. The
    /// raw text is kept whole.
    #[error(
        "{}the reply does not match the requested structure: {message}",
        provider_prefix(provider)
    )]
    InvalidStructuredOutput {
        /// Provider id.
        provider: String,
        /// The reply's text.
        raw: String,
        /// What is wrong with it.
        message: String,
    },
    /// A tool loop hit its step limit with calls still pending.
    #[error("the tool loop stopped after {steps} steps with tool calls still pending")]
    StepLimit {
        /// Steps taken.
        steps: u32,
    },
    /// A model reference is not `PROVIDER/MODEL`.
    #[error(
        "invalid model reference {input:?}: expected PROVIDER/MODEL (for example mock/mock-echo)"
    )]
    InvalidModelRef {
        /// What was given.
        input: String,
    },
    /// A setting has a value of the wrong kind.
    #[error("{provider}: setting {key}: {message}")]
    InvalidSetting {
        /// Provider id.
        provider: String,
        /// Setting key.
        key: String,
        /// What is wrong with the value (never the value of a secret).
        message: String,
    },
    /// A configuration file could not be read or parsed.
    #[error("{}{}: {message}", path.display(), fmt_position(*line, *column))]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line of a parse error.
        line: Option<usize>,
        /// 1-based column of a parse error.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
}

/// `"{provider}: "`, or nothing when the provider is not known (a reply
/// collected from a stream does not say which provider produced it).
fn provider_prefix(provider: &str) -> String {
    if provider.is_empty() {
        String::new()
    } else {
        format!("{provider}: ")
    }
}

fn fmt_retry(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!(" (retry after {:.1}s)", d.as_secs_f64()),
        None => String::new(),
    }
}

fn fmt_position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl YatError {
    /// The provider this error is about, when it is about one.
    pub fn provider(&self) -> Option<&str> {
        use YatError::*;
        match self {
            Authentication(f)
            | Permission(f)
            | ModelNotFound(f)
            | QuotaExhausted(f)
            | ContextLengthExceeded(f)
            | InvalidRequest(f)
            | Server(f)
            | ContentBlocked(f) => Some(&f.provider),
            RateLimited { failure, .. } | Overloaded { failure, .. } => Some(&failure.provider),
            Timeout { provider, .. }
            | Network { provider, .. }
            | MalformedResponse { provider, .. }
            | Cancelled { provider }
            | Unavailable { provider, .. }
            | ProviderPanicked { provider, .. }
            | InvalidSetting { provider, .. }
            | Unsupported { provider, .. }
            | InvalidToolArguments { provider, .. }
            | InvalidStructuredOutput { provider, .. } => Some(provider),
            UnknownProvider { id, .. } | DuplicateProvider { id, .. } => Some(id),
            InvalidModelRef { .. } | Config { .. } | Io { .. } | StepLimit { .. } => None,
        }
    }

    /// The HTTP status that produced this error, if any.
    pub fn status(&self) -> Option<u16> {
        self.failure().and_then(|f| f.status)
    }

    /// The provider's own failure report, for the variants that carry one.
    pub fn failure(&self) -> Option<&Failure> {
        use YatError::*;
        match self {
            Authentication(f)
            | Permission(f)
            | ModelNotFound(f)
            | QuotaExhausted(f)
            | ContextLengthExceeded(f)
            | InvalidRequest(f)
            | Server(f)
            | ContentBlocked(f) => Some(f),
            RateLimited { failure, .. } | Overloaded { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// Whether sending the same request again may succeed: rate limits,
    /// overload, server errors, timeouts and network failures.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            YatError::RateLimited { .. }
                | YatError::Overloaded { .. }
                | YatError::Server(_)
                | YatError::Timeout { .. }
                | YatError::Network { .. }
        )
    }

    /// Whether trying another provider makes sense (a fallback): everything
    /// retryable, plus a provider that is unavailable or panicked.
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable()
            || matches!(
                self,
                YatError::Unavailable { .. }
                    | YatError::ProviderPanicked { .. }
                    | YatError::QuotaExhausted(_)
                    | YatError::Unsupported { .. }
            )
    }

    /// How long the provider asked to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            YatError::RateLimited { retry_after, .. }
            | YatError::Overloaded { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable snake_case name of the variant, for JSON output and logs.
    pub fn kind(&self) -> &'static str {
        use YatError::*;
        match self {
            Authentication(_) => "authentication",
            Permission(_) => "permission",
            ModelNotFound(_) => "model_not_found",
            RateLimited { .. } => "rate_limited",
            QuotaExhausted(_) => "quota_exhausted",
            ContextLengthExceeded(_) => "context_length_exceeded",
            InvalidRequest(_) => "invalid_request",
            Server(_) => "server_error",
            Overloaded { .. } => "overloaded",
            ContentBlocked(_) => "content_blocked",
            Timeout { .. } => "timeout",
            Network { .. } => "network",
            MalformedResponse { .. } => "malformed_response",
            Cancelled { .. } => "cancelled",
            Unavailable { .. } => "unavailable",
            ProviderPanicked { .. } => "provider_panicked",
            UnknownProvider { .. } => "unknown_provider",
            DuplicateProvider { .. } => "duplicate_provider",
            InvalidModelRef { .. } => "invalid_model_ref",
            InvalidSetting { .. } => "invalid_setting",
            Config { .. } => "config",
            Io { .. } => "io",
            Unsupported { .. } => "unsupported",
            InvalidToolArguments { .. } => "invalid_tool_arguments",
            InvalidStructuredOutput { .. } => "invalid_structured_output",
            StepLimit { .. } => "step_limit",
        }
    }

    /// Builds a [`YatError::MalformedResponse`] with at most 200 characters
    /// of `received`, cut on a character boundary.
    pub fn malformed(
        provider: impl Into<String>,
        message: impl Into<String>,
        received: &[u8],
    ) -> Self {
        YatError::MalformedResponse {
            provider: provider.into(),
            message: message.into(),
            excerpt: excerpt(received, 200),
        }
    }
}

/// The first `max_chars` characters of `bytes`, lossily decoded, with `…` when cut.
///
/// ```
/// use yat_core::error::excerpt;
/// assert_eq!(excerpt(b"short", 10), "short");
/// assert_eq!(excerpt("ééé".as_bytes(), 2), "éé…");
/// ```
pub fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text.chars().take(max_chars).collect();
    if out.len() < bytes.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_provider_status_and_message() {
        let e = YatError::Authentication(Failure::http("openai", 401, "Incorrect API key"));
        assert_eq!(
            e.to_string(),
            "openai: authentication failed (HTTP 401) Incorrect API key"
        );
        let e = YatError::RateLimited {
            failure: Failure::http("anthropic", 429, "slow down"),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            e.to_string(),
            "anthropic: rate limited (HTTP 429) slow down (retry after 3.0s)"
        );
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(e.provider(), Some("anthropic"));
    }

    #[test]
    fn config_error_shows_position() {
        let e = YatError::Config {
            path: "/x/provider_config.json".into(),
            line: Some(3),
            column: Some(7),
            message: "expected `,`".into(),
        };
        assert_eq!(e.to_string(), "/x/provider_config.json:3:7: expected `,`");
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let s = "é".repeat(300);
        let e = excerpt(s.as_bytes(), 10);
        assert_eq!(e.chars().count(), 11);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(b"short", 10), "short");
    }

    #[test]
    fn quota_is_not_retryable_but_allows_fallback() {
        let e = YatError::QuotaExhausted(Failure::http("openai", 429, "insufficient_quota"));
        assert!(!e.is_retryable());
        assert!(e.allows_fallback());
    }
}
