//! Acme's error codes → yat's taxonomy.
//!
//! The kit's `classify` maps the status (401 → `Authentication`, 429 →
//! `RateLimited` with `Retry-After`, ...), keeps an excerpt of a body that
//! is not JSON, and the transport scrubs the key from every error. What is
//! left is what only Acme knows: the codes whose meaning the status does not
//! carry, and the errors it reports inside the stream.

use yat_core::{Failure, YatError};
use yat_http::error_map::QUOTA_EXHAUSTED;
use yat_http::{parse_generic, ErrorBody};

use crate::ID;

/// Reads Acme's `{"error": {"code", "message"}}` (the common shape) and
/// adds the words `classify` knows for Acme's `context_too_long` (sent with
/// a 400 or 413) and `quota_exhausted` (sent with a 429 that no wait will
/// clear).
pub fn parse(body: &[u8]) -> ErrorBody {
    let mut parsed = parse_generic(body);
    let known: Vec<String> = parsed
        .codes
        .iter()
        .filter_map(|code| match code.as_str() {
            "context_too_long" => Some("context_length_exceeded".to_owned()),
            "quota_exhausted" => Some(QUOTA_EXHAUSTED.to_owned()),
            _ => None,
        })
        .collect();
    parsed.codes.extend(known);
    parsed
}

/// Maps an error Acme reports inside the stream (`{"type":"error"}`).
pub fn from_stream(code: &str, message: &str) -> YatError {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use yat_http::classify;
    use yat_http::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    use super::*;

    fn error(status: u16, retry_after: Option<&'static str>, body: &[u8]) -> YatError {
        let mut headers = HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(v));
        }
        classify(ID, status, &headers, body, parse(body))
    }

    fn acme(code: &str) -> Vec<u8> {
        format!(r#"{{"error":{{"code":"{code}","message":"nope"}}}}"#).into_bytes()
    }

    #[test]
    fn statuses_and_codes_map_to_the_taxonomy() {
        for (status, code, kind) in [
            (401, "invalid_key", "authentication"),
            (403, "x", "permission"),
            (404, "unknown_model", "model_not_found"),
            (400, "bad_json", "invalid_request"),
            (400, "context_too_long", "context_length_exceeded"),
            (413, "context_too_long", "context_length_exceeded"),
            (402, "x", "quota_exhausted"),
            (429, "quota_exhausted", "quota_exhausted"),
            (429, "slow_down", "rate_limited"),
            (503, "x", "overloaded"),
            (500, "x", "server_error"),
        ] {
            let e = error(status, None, &acme(code));
            assert_eq!(e.kind(), kind, "{status} {code}: {e}");
            assert_eq!(e.status(), Some(status));
        }
    }

    #[test]
    fn rate_limit_keeps_retry_after_and_the_message() {
        let e = error(
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
        let e = error(502, None, b"<html>bad gateway</html>");
        assert_eq!(e.kind(), "server_error");
        assert!(e.to_string().contains("bad gateway"), "{e}");
    }

    #[test]
    fn stream_errors_keep_the_code() {
        assert_eq!(from_stream("overloaded", "busy").kind(), "overloaded");
        assert_eq!(from_stream("filtered", "no").kind(), "content_blocked");
        let e = from_stream("oops", "broke");
        assert_eq!(e.kind(), "server_error");
        assert!(e.to_string().contains("broke (oops)"), "{e}");
    }
}
