//! Errors a client sees, before either format renders them: a kind (which
//! picks the HTTP status and each format's error type), a message that is
//! safe to show (never an upstream key, never an upstream's own wording of
//! a credential problem), and the request field at fault.

use std::time::Duration;

use axum::http::StatusCode;
use yat_core::YatError;

/// What went wrong, in the terms both formats share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed or asks for what the model cannot do (400).
    InvalidRequest,
    /// The request's prompt does not fit the model's context (400).
    ContextLength,
    /// The request or the reply was blocked by a content filter (400).
    ContentBlocked,
    /// No gateway key, or a wrong one (401).
    Authentication,
    /// The key may not do this (403).
    Permission,
    /// No such model or route (404).
    NotFound,
    /// The body is over the gateway's limit (413).
    RequestTooLarge,
    /// The client took too long to send its request (408).
    RequestTimeout,
    /// Too many requests, the key's or the upstream's (429).
    RateLimited,
    /// The upstream account's quota is used up (429).
    QuotaExhausted,
    /// The upstream failed or answered something unusable (502).
    Upstream,
    /// The upstream or the gateway is overloaded, or a provider is not
    /// ready (503).
    Unavailable,
    /// The upstream did not answer in time (504).
    Timeout,
}

impl ErrorKind {
    /// A short snake_case name, for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::ContextLength => "context_length",
            ErrorKind::ContentBlocked => "content_blocked",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RequestTooLarge => "request_too_large",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExhausted => "quota_exhausted",
            ErrorKind::Upstream => "upstream",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
        }
    }

    /// The HTTP status both formats use for this kind (a format may pick
    /// its own, as Anthropic's 529 for overload).
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentBlocked => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::Authentication => StatusCode::UNAUTHORIZED,
            ErrorKind::Permission => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::RateLimited | ErrorKind::QuotaExhausted => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

/// An error for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// A message safe to show the client.
    pub message: String,
    /// The request field at fault, as a JSON path (`messages[2].content`).
    pub param: Option<String>,
    /// When to try again (sent as `retry-after`).
    pub retry_after: Option<Duration>,
    /// A machine-readable code beyond the kind, when a client acts on one
    /// (OpenAI's `code`; Anthropic's `details.error_code`).
    pub code: Option<String>,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            param: None,
            retry_after: None,
            code: None,
        }
    }

    /// The same error with a machine-readable `code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// A 400 about the field at `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            param: Some(param.into()),
            ..ApiError::new(ErrorKind::InvalidRequest, message)
        }
    }

    /// A 400 for a field this gateway cannot carry to the model (`what`
    /// says why, e.g. "n > 1 is not supported").
    pub fn unsupported(param: impl Into<String>, what: impl Into<String>) -> Self {
        ApiError::invalid(param, what)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The error a client sees for a provider's failure. Credential
    /// problems upstream are the gateway's, not the client's: they become a
    /// 502 that names the provider and says nothing of the vendor's reply
    /// (which may quote part of a key).
    pub fn from_yat(error: &YatError) -> Self {
        let provider = error.provider().unwrap_or("the provider").to_owned();
        let mut out = match error {
            YatError::Authentication(_) | YatError::Permission(_) => ApiError::new(
                ErrorKind::Upstream,
                format!("{provider} rejected the gateway's credentials"),
            ),
            YatError::ModelNotFound(_) => ApiError::new(ErrorKind::NotFound, error.to_string()),
            YatError::RateLimited { .. } => {
                ApiError::new(ErrorKind::RateLimited, error.to_string())
            }
            YatError::QuotaExhausted(_) => {
                ApiError::new(ErrorKind::QuotaExhausted, error.to_string())
            }
            YatError::ContextLengthExceeded(_) => {
                ApiError::new(ErrorKind::ContextLength, error.to_string())
            }
            YatError::InvalidRequest(_)
            | YatError::Unsupported { .. }
            | YatError::InvalidModelRef { .. }
            | YatError::NoModel
            | YatError::InvalidToolArguments { .. }
            | YatError::InvalidStructuredOutput { .. } => {
                ApiError::new(ErrorKind::InvalidRequest, error.to_string())
            }
            YatError::ContentBlocked(_) => {
                ApiError::new(ErrorKind::ContentBlocked, error.to_string())
            }
            YatError::UnknownProvider { .. }
            | YatError::UnlistedModel { .. }
            | YatError::AmbiguousModel { .. } => {
                ApiError::new(ErrorKind::NotFound, error.to_string())
            }
            YatError::Overloaded { .. }
            | YatError::Unavailable { .. }
            | YatError::NotReady { .. } => ApiError::new(ErrorKind::Unavailable, error.to_string()),
            YatError::Timeout { .. } => ApiError::new(ErrorKind::Timeout, error.to_string()),
            _ => ApiError::new(ErrorKind::Upstream, error.to_string()),
        };
        out.retry_after = error.retry_after();
        out
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
