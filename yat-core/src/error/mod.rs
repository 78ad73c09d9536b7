//! One error taxonomy for every provider and every part of yat.
//!
//! Provider failures carry the provider id, the HTTP status when there was
//! one, and the provider's own message. Nothing in here ever holds a key or an
//! `Authorization` header: providers build these from response bodies, which
//! do not echo credentials, and the [`Secret`](crate::Secret) type cannot be
//! formatted into a message.
//!
//! Nothing in here names a command of any program either: an error carries
//! what a fix needs as data (the provider, the setting, the variable, the
//! provider's [`ProviderStatus`]) and a front end words the fix.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::status::ProviderStatus;
use crate::types::ModelRef;

mod build;
mod failure;
mod timeout;

#[doc(hidden)]
pub use failure::Failure;
pub use timeout::TimeoutPhase;

/// The error underneath a [`YatError`] (an I/O or a connection error),
/// shared so that `YatError` stays `Clone`. Reached with
/// [`std::error::Error::source`].
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Every error yat returns.
///
/// Match on the variant to decide what to do; [`YatError::is_retryable`],
/// [`YatError::allows_fallback`] and [`YatError::retry_after`] answer the
/// common questions for you.
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
    /// The connection failed or broke. Build it with [`YatError::network`]
    /// (and [`YatError::with_source`]).
    #[error("{provider}: network error: {message}")]
    #[non_exhaustive]
    Network {
        /// Provider id.
        provider: String,
        /// What happened.
        message: String,
        /// The transport's own error, when there is one.
        #[source]
        source: Option<Cause>,
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
    /// The provider says it cannot be used (not initialized, a client it
    /// could not build, ...). The manager reports a provider it holds but
    /// that is not ready as [`YatError::NotReady`].
    #[error("{provider}: unavailable: {reason}")]
    Unavailable {
        /// Provider id.
        provider: String,
        /// Why.
        reason: String,
    },
    /// The manager has this provider but it is not ready: disabled, missing
    /// a setting, or failed to start. The status carries what a fix needs
    /// ([`ProviderStatus::remedies`]).
    ///
    /// ```
    /// use yat_core::{ProviderStatus, Remedy, YatError};
    /// let e = YatError::NotReady { provider: "acme".into(), status: ProviderStatus::Disabled };
    /// assert_eq!(e.to_string(), "acme: unavailable: disabled");
    /// assert_eq!(e.remedies(), vec![Remedy::Enable { provider: "acme".into() }]);
    /// ```
    #[error("{provider}: unavailable: {status}")]
    NotReady {
        /// Provider id.
        provider: String,
        /// Where it stands (never [`ProviderStatus::Ready`]).
        status: ProviderStatus,
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
    /// No model was named and none is configured to fall back on (no
    /// default model, no built-in one linked), or the name given was blank.
    #[error("no model given")]
    NoModel,
    /// A model reference is not `PROVIDER/MODEL`.
    #[error(
        "invalid model reference {input:?}: expected PROVIDER/MODEL (for example mock/mock-echo)"
    )]
    InvalidModelRef {
        /// What was given.
        input: String,
    },
    /// A bare model name (no provider, not an alias) that no ready
    /// provider lists. Found before anything is sent.
    #[error(
        "no ready provider lists a model named {name:?}{}",
        fmt_did_you_mean(suggestions)
    )]
    UnlistedModel {
        /// The name given.
        name: String,
        /// The listed models closest to it, closest first (maybe none).
        suggestions: Vec<ModelRef>,
    },
    /// A bare model name that several ready providers list.
    #[error(
        "{name:?} is listed by several providers ({}): name one as PROVIDER/MODEL",
        fmt_refs(matches)
    )]
    AmbiguousModel {
        /// The name given.
        name: String,
        /// Every listed model of that name.
        matches: Vec<ModelRef>,
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
    /// A file could not be read or written. Build it with [`YatError::io`]
    /// (and [`YatError::with_source`]).
    #[error("{}: {message}", path.display())]
    #[non_exhaustive]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// The OS error, when there is one.
        #[source]
        source: Option<Cause>,
    },
}

/// Whether `cause`'s chain holds a refused connection.
fn refused(cause: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(cause);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// `"{provider}: "`, or nothing when the provider is not known (a reply
/// collected from a stream does not say which provider produced it).
fn fmt_refs(refs: &[ModelRef]) -> String {
    refs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_did_you_mean(suggestions: &[ModelRef]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            fmt_refs(suggestions).replace(", ", " or ")
        )
    }
}

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
        if let Some(f) = self.failure() {
            return Some(&f.provider);
        }
        match self {
            Timeout { provider, .. }
            | Network { provider, .. }
            | MalformedResponse { provider, .. }
            | Cancelled { provider }
            | Unavailable { provider, .. }
            | NotReady { provider, .. }
            | ProviderPanicked { provider, .. }
            | InvalidSetting { provider, .. }
            | Unsupported { provider, .. }
            | InvalidToolArguments { provider, .. }
            | InvalidStructuredOutput { provider, .. } => Some(provider),
            UnknownProvider { id, .. } | DuplicateProvider { id, .. } => Some(id),
            // The variants with a `Failure` were answered above.
            _ => None,
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
    /// overload, server errors, timeouts and network failures — except a
    /// refused connection (an [`std::io::ErrorKind::ConnectionRefused`] in
    /// its [source](std::error::Error::source) chain): nothing listens at
    /// that address, which a wait of seconds does not change.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use yat_core::YatError;
    /// let reset = YatError::network("acme", "lost").with_source(Error::from(ErrorKind::ConnectionReset));
    /// assert!(reset.is_retryable());
    /// let refused = YatError::network("acme", "cannot connect").with_source(Error::from(ErrorKind::ConnectionRefused));
    /// assert!(!refused.is_retryable());
    /// assert!(refused.allows_fallback());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            YatError::Network { source, .. } => !source.as_deref().is_some_and(refused),
            e => matches!(
                e,
                YatError::RateLimited { .. }
                    | YatError::Overloaded { .. }
                    | YatError::Server(_)
                    | YatError::Timeout { .. }
            ),
        }
    }

    /// Whether the failure belongs to the provider, so that another one
    /// (a fallback) may well succeed where it failed: a rejected key, a
    /// missing model, an exhausted quota, a rate limit, an outage, a
    /// timeout, a broken connection, a provider that is not ready or
    /// panicked, a reply that does not follow its own API.
    ///
    /// Not when the request itself is at fault and would fail everywhere
    /// (malformed, too long for the context, blocked content, a capability
    /// it needs, tool arguments or a structure the model got wrong), nor
    /// for the caller's own doing (cancelled, an unknown provider or a bad
    /// model name, configuration files).
    ///
    /// ```
    /// use yat_core::{Failure, YatError};
    /// assert!(YatError::Authentication(Failure::http("acme", 401, "bad key")).allows_fallback());
    /// assert!(!YatError::InvalidRequest(Failure::http("acme", 400, "bad field")).allows_fallback());
    /// ```
    pub fn allows_fallback(&self) -> bool {
        use YatError::*;
        match self {
            Authentication(_)
            | Permission(_)
            | ModelNotFound(_)
            | RateLimited { .. }
            | QuotaExhausted(_)
            | Server(_)
            | Overloaded { .. }
            | Timeout { .. }
            | Network { .. }
            | MalformedResponse { .. }
            | Unavailable { .. }
            | NotReady { .. }
            | ProviderPanicked { .. }
            | DuplicateProvider { .. } => true,
            ContextLengthExceeded(_)
            | InvalidRequest(_)
            | ContentBlocked(_)
            | Unsupported { .. }
            | InvalidToolArguments { .. }
            | InvalidStructuredOutput { .. }
            | Cancelled { .. }
            | UnknownProvider { .. }
            | NoModel
            | InvalidModelRef { .. }
            | UnlistedModel { .. }
            | AmbiguousModel { .. }
            | InvalidSetting { .. }
            | Config { .. }
            | Io { .. }
            | StepLimit { .. } => false,
        }
    }

    /// The vendor's id for the failed request, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.failure().and_then(|f| f.request_id.as_deref())
    }

    /// What would make the provider usable, for a [`YatError::NotReady`];
    /// empty for every other error.
    pub fn remedies(&self) -> Vec<crate::Remedy> {
        match self {
            YatError::NotReady { provider, status } => status.remedies(provider),
            _ => Vec::new(),
        }
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
            NotReady { .. } => "not_ready",
            ProviderPanicked { .. } => "provider_panicked",
            UnknownProvider { .. } => "unknown_provider",
            DuplicateProvider { .. } => "duplicate_provider",
            NoModel => "no_model",
            InvalidModelRef { .. } => "invalid_model_ref",
            UnlistedModel { .. } => "unlisted_model",
            AmbiguousModel { .. } => "ambiguous_model",
            InvalidSetting { .. } => "invalid_setting",
            Config { .. } => "config",
            Io { .. } => "io",
            Unsupported { .. } => "unsupported",
            InvalidToolArguments { .. } => "invalid_tool_arguments",
            InvalidStructuredOutput { .. } => "invalid_structured_output",
            StepLimit { .. } => "step_limit",
        }
    }
}

#[cfg(test)]
mod tests;
