//! Acme's HTTP statuses and error codes → yat's error taxonomy.
//!
//! Every error names the provider, carries the status and Acme's own
//! message, and never the key: Acme's error bodies do not echo it and the
//! request headers are never formatted.

use std::time::Duration;

use yat_core::{Failure, TimeoutPhase, YatError};

use crate::wire::ErrorBody;
use crate::ID;

/// Maps a non-2xx response (status, `Retry-After` header, body) to an error.
pub fn from_status(status: u16, retry_after: Option<&str>, body: &[u8]) -> YatError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => (b.error.code, b.error.message),
        // Proxies and load balancers answer with HTML or nothing: keep an
        // excerpt so the user sees what came back.
        Err(_) => (
            String::new(),
            yat_core::error::excerpt(body, 200).trim().to_owned(),
        ),
    };
    let failure = Failure::http(ID, status, message);
    let retry_after = retry_after
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    match (status, code.as_str()) {
        (401, _) => YatError::Authentication(failure),
        (403, _) => YatError::Permission(failure),
        (404, _) => YatError::ModelNotFound(failure),
        (400 | 413, "context_too_long") => YatError::ContextLengthExceeded(failure),
        (402, _) | (429, "quota_exhausted") => YatError::QuotaExhausted(failure),
        (429, _) => YatError::RateLimited {
            failure,
            retry_after,
        },
        (503, _) => YatError::Overloaded {
            failure,
            retry_after,
        },
        (400..=499, _) => YatError::InvalidRequest(failure),
        _ => YatError::Server(failure),
    }
}

/// Maps an error Acme reports inside the stream (`{"type":"error"}`).
pub fn from_stream(code: &str, message: String) -> YatError {
    let failure = Failure::new(ID, format!("{message} ({code})"));
    match code {
        "overloaded" => YatError::Overloaded {
            failure,
            retry_after: None,
        },
        "filtered" => YatError::ContentBlocked(failure),
        _ => YatError::Server(failure),
    }
}

/// Maps a transport error. reqwest's own message is kept; it names the URL
/// but never the headers.
pub fn from_transport(e: &reqwest::Error, timeout: Duration) -> YatError {
    if e.is_timeout() {
        YatError::Timeout {
            provider: ID.into(),
            phase: if e.is_connect() {
                TimeoutPhase::Connect
            } else {
                TimeoutPhase::Idle
            },
            after: timeout,
        }
    } else {
        // reqwest's top-level message is generic ("error sending request");
        // the cause (refused, DNS, TLS) is in the source chain.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        YatError::network(ID, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_taxonomy() {
        let body = br#"{"error":{"code":"x","message":"nope"}}"#;
        assert_eq!(from_status(401, None, body).kind(), "authentication");
        assert_eq!(from_status(404, None, body).kind(), "model_not_found");
        assert_eq!(from_status(400, None, body).kind(), "invalid_request");
        assert_eq!(from_status(500, None, body).kind(), "server_error");
        let ctx = br#"{"error":{"code":"context_too_long","message":"too long"}}"#;
        assert_eq!(
            from_status(400, None, ctx).kind(),
            "context_length_exceeded"
        );
    }

    #[test]
    fn rate_limit_keeps_retry_after_and_the_message() {
        let e = from_status(
            429,
            Some("1.5"),
            br#"{"error":{"code":"slow_down","message":"easy"}}"#,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        assert_eq!(
            e.to_string(),
            "acme: rate limited (HTTP 429) easy (retry after 1.5s)"
        );
    }

    #[test]
    fn a_body_that_is_not_acme_json_is_shown_as_an_excerpt() {
        let e = from_status(502, None, b"<html>bad gateway</html>");
        assert_eq!(e.kind(), "server_error");
        assert!(e.to_string().contains("bad gateway"), "{e}");
    }
}
