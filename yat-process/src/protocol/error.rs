//! The error object of the protocol, and its mapping to and from
//! yat-core's [`YatError`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use yat_core::{Failure, TimeoutPhase, YatError};

/// What kind of failure an [`ErrorObject`] reports.
///
/// The first fourteen are the protocol's core list; `quota_exhausted`,
/// `overloaded`, `content_blocked`, `unsupported` and `invalid_setting`
/// keep yat-core's finer distinctions across the process boundary. A kind
/// this version does not know (a newer plugin's) reads as `internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The key is missing, wrong or expired.
    Authentication,
    /// The key may not do this.
    Permission,
    /// The model does not exist.
    NotFound,
    /// Too many requests (`retry_after_ms` when known).
    RateLimited,
    /// The conversation is too long for the model.
    ContextLength,
    /// The request is malformed or out of range.
    InvalidRequest,
    /// The upstream service failed.
    Server,
    /// A wait ran out.
    Timeout,
    /// The connection failed or broke.
    Network,
    /// The upstream service sent something that does not follow its API.
    Malformed,
    /// The chat was cancelled.
    Cancelled,
    /// The provider cannot be used (not configured, not initialized).
    Unavailable,
    /// No protocol version in common with the host.
    UnsupportedProtocol,
    /// The plugin failed on its own (a panic, a bug).
    Internal,
    /// The account's quota is used up; retrying will not help.
    QuotaExhausted,
    /// The upstream service is overloaded (`retry_after_ms` when known).
    Overloaded,
    /// The upstream safety system blocked the request or the reply.
    ContentBlocked,
    /// The request needs something the provider does not offer
    /// (`capability` names it).
    Unsupported,
    /// A setting has a bad value (`key` names it).
    InvalidSetting,
    /// A kind this version does not know; treated as `internal`.
    #[serde(other)]
    Unknown,
}

impl ErrorKind {
    /// The snake_case wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ContextLength => "context_length",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network => "network",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::UnsupportedProtocol => "unsupported_protocol",
            ErrorKind::Internal | ErrorKind::Unknown => "internal",
            ErrorKind::QuotaExhausted => "quota_exhausted",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::ContentBlocked => "content_blocked",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidSetting => "invalid_setting",
        }
    }
}

/// A failure on the wire: its kind, a message for people, and the facts a
/// caller acts on.
///
/// ```
/// use std::time::Duration;
/// use yat_core::{Failure, YatError};
/// use yat_process::protocol::{ErrorKind, ErrorObject};
///
/// let e = YatError::RateLimited { failure: Failure::http("acme", 429, "slow down"), retry_after: Some(Duration::from_millis(1200)) };
/// let wire = ErrorObject::from_yat(&e);
/// assert_eq!(
///     serde_json::to_string(&wire).unwrap(),
///     r#"{"kind":"rate_limited","message":"slow down","status":429,"retry_after_ms":1200}"#
/// );
/// // The host tags it with the provider id it serves under.
/// let back = wire.into_yat("acme-plugin");
/// assert_eq!(back.to_string(), "acme-plugin: rate limited (HTTP 429) slow down (retry after 1.2s)");
/// assert!(back.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorObject {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened, for people. Never a secret.
    #[serde(default)]
    pub message: String,
    /// The upstream HTTP status, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long to wait before retrying, for `rate_limited` and `overloaded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// The model the error is about, for `not_found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The upstream service's id for the failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `unsupported`: what is missing (`tools`, `images`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// For `invalid_setting`: which setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For `timeout`: which wait (`connect`, `first_byte`, `idle`, `total`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// For `timeout`: the limit that ran out, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ms: Option<u64>,
}

impl ErrorObject {
    /// An error of `kind` with `message` and no other facts.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorObject {
            kind,
            message: message.into(),
            status: None,
            retry_after_ms: None,
            model: None,
            request_id: None,
            capability: None,
            key: None,
            phase: None,
            after_ms: None,
        }
    }

    /// The wire form of a provider's error: its kind and facts, and its
    /// message without the provider prefix (the host adds its own).
    ///
    /// Variants with no kind of their own travel as the nearest one:
    /// a provider panic as `internal`, a model name the provider cannot
    /// resolve as `not_found` or `invalid_request`, tool arguments or a
    /// structure the model got wrong as `malformed`, a file or configuration
    /// error as `internal`.
    pub fn from_yat(e: &YatError) -> ErrorObject {
        use YatError as Y;
        let failure = |kind, f: &Failure| {
            let mut o = ErrorObject::new(kind, f.message.clone());
            o.status = f.status;
            o.request_id = f.request_id.clone();
            o
        };
        let millis =
            |d: Option<Duration>| d.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        match e {
            Y::Authentication(f) => failure(ErrorKind::Authentication, f),
            Y::Permission(f) => failure(ErrorKind::Permission, f),
            Y::ModelNotFound(f) => failure(ErrorKind::NotFound, f),
            Y::RateLimited {
                failure: f,
                retry_after,
            } => ErrorObject {
                retry_after_ms: millis(*retry_after),
                ..failure(ErrorKind::RateLimited, f)
            },
            Y::QuotaExhausted(f) => failure(ErrorKind::QuotaExhausted, f),
            Y::ContextLengthExceeded(f) => failure(ErrorKind::ContextLength, f),
            Y::InvalidRequest(f) => failure(ErrorKind::InvalidRequest, f),
            Y::Server(f) => failure(ErrorKind::Server, f),
            Y::Overloaded {
                failure: f,
                retry_after,
            } => ErrorObject {
                retry_after_ms: millis(*retry_after),
                ..failure(ErrorKind::Overloaded, f)
            },
            Y::ContentBlocked(f) => failure(ErrorKind::ContentBlocked, f),
            Y::Timeout { phase, after, .. } => ErrorObject {
                phase: Some(phase_name(*phase).to_owned()),
                after_ms: millis(Some(*after)),
                ..ErrorObject::new(ErrorKind::Timeout, format!("timed out {phase}"))
            },
            Y::Network { message, .. } => ErrorObject::new(ErrorKind::Network, message.clone()),
            Y::MalformedResponse {
                message, excerpt, ..
            } => ErrorObject::new(
                ErrorKind::Malformed,
                if excerpt.is_empty() {
                    message.clone()
                } else {
                    format!("{message} (received: {excerpt:?})")
                },
            ),
            Y::Cancelled { .. } => ErrorObject::new(ErrorKind::Cancelled, "cancelled"),
            Y::Unavailable { reason, .. } => {
                ErrorObject::new(ErrorKind::Unavailable, reason.clone())
            }
            Y::NotReady { status, .. } => {
                ErrorObject::new(ErrorKind::Unavailable, status.to_string())
            }
            Y::ProviderPanicked { message, .. } => {
                ErrorObject::new(ErrorKind::Internal, format!("panicked: {message}"))
            }
            Y::Unsupported {
                capability,
                message,
                ..
            } => ErrorObject {
                capability: Some(capability.clone()),
                ..ErrorObject::new(ErrorKind::Unsupported, message.clone())
            },
            Y::InvalidSetting { key, message, .. } => ErrorObject {
                key: Some(key.clone()),
                ..ErrorObject::new(ErrorKind::InvalidSetting, message.clone())
            },
            Y::UnlistedModel { name, .. } => ErrorObject {
                model: Some(name.clone()),
                ..ErrorObject::new(ErrorKind::NotFound, e.to_string())
            },
            Y::NoModel | Y::InvalidModelRef { .. } | Y::AmbiguousModel { .. } => {
                ErrorObject::new(ErrorKind::InvalidRequest, e.to_string())
            }
            Y::InvalidToolArguments { .. } | Y::InvalidStructuredOutput { .. } => {
                ErrorObject::new(ErrorKind::Malformed, without_prefix(e))
            }
            _ => ErrorObject::new(ErrorKind::Internal, without_prefix(e)),
        }
    }

    /// The [`YatError`] this stands for, about provider `provider` (the id
    /// the host serves the plugin under). `unsupported_protocol` and
    /// `unavailable` become [`YatError::Unavailable`]; `internal` (and a
    /// kind this version does not know) becomes
    /// [`YatError::ProviderPanicked`] — the provider failed on its own and
    /// another one may do better, but the same request again will not.
    pub fn into_yat(self, provider: &str) -> YatError {
        let provider = provider.to_owned();
        let message = match (&self.model, self.kind) {
            (Some(m), ErrorKind::NotFound) if !self.message.contains(m.as_str()) => {
                format!("{} (model {m})", self.message)
            }
            _ => self.message,
        };
        let failure = || {
            let f = match self.status {
                Some(s) => Failure::http(provider.clone(), s, message.clone()),
                None => Failure::new(provider.clone(), message.clone()),
            };
            match &self.request_id {
                Some(id) => f.with_request_id(id.clone()),
                None => f,
            }
        };
        let retry_after = self.retry_after_ms.map(Duration::from_millis);
        match self.kind {
            ErrorKind::Authentication => YatError::Authentication(failure()),
            ErrorKind::Permission => YatError::Permission(failure()),
            ErrorKind::NotFound => YatError::ModelNotFound(failure()),
            ErrorKind::RateLimited => YatError::RateLimited {
                failure: failure(),
                retry_after,
            },
            ErrorKind::QuotaExhausted => YatError::QuotaExhausted(failure()),
            ErrorKind::ContextLength => YatError::ContextLengthExceeded(failure()),
            ErrorKind::InvalidRequest => YatError::InvalidRequest(failure()),
            ErrorKind::Server => YatError::Server(failure()),
            ErrorKind::Overloaded => YatError::Overloaded {
                failure: failure(),
                retry_after,
            },
            ErrorKind::ContentBlocked => YatError::ContentBlocked(failure()),
            ErrorKind::Timeout => YatError::Timeout {
                provider,
                phase: self
                    .phase
                    .as_deref()
                    .and_then(phase_from_name)
                    .unwrap_or(TimeoutPhase::Total),
                after: Duration::from_millis(self.after_ms.unwrap_or(0)),
            },
            ErrorKind::Network => YatError::network(provider, message),
            ErrorKind::Malformed => YatError::MalformedResponse {
                provider,
                message,
                excerpt: String::new(),
            },
            ErrorKind::Cancelled => YatError::Cancelled { provider },
            ErrorKind::Unavailable => YatError::Unavailable {
                provider,
                reason: message,
            },
            ErrorKind::UnsupportedProtocol => YatError::Unavailable {
                provider,
                reason: format!("no protocol version in common with the plugin: {message}"),
            },
            ErrorKind::Unsupported => YatError::Unsupported {
                provider,
                capability: self.capability.unwrap_or_else(|| "unknown".to_owned()),
                message,
            },
            ErrorKind::InvalidSetting => YatError::InvalidSetting {
                provider,
                key: self.key.unwrap_or_default(),
                message,
            },
            ErrorKind::Internal | ErrorKind::Unknown => {
                YatError::ProviderPanicked { provider, message }
            }
        }
    }
}

/// The error's text without its `"{provider}: "` prefix: the host puts
/// its own provider id in front.
fn without_prefix(e: &YatError) -> String {
    let text = e.to_string();
    match e.provider() {
        Some(p) if !p.is_empty() => text
            .strip_prefix(p)
            .and_then(|t| t.strip_prefix(": "))
            .map(str::to_owned)
            .unwrap_or(text),
        _ => text,
    }
}

fn phase_name(p: TimeoutPhase) -> &'static str {
    match p {
        TimeoutPhase::Connect => "connect",
        TimeoutPhase::FirstByte => "first_byte",
        TimeoutPhase::Idle => "idle",
        _ => "total",
    }
}

fn phase_from_name(s: &str) -> Option<TimeoutPhase> {
    Some(match s {
        "connect" => TimeoutPhase::Connect,
        "first_byte" => TimeoutPhase::FirstByte,
        "idle" => TimeoutPhase::Idle,
        "total" => TimeoutPhase::Total,
        _ => return None,
    })
}
