//! Anthropic error body → [`ErrorBody`].
//!
//! The body is `{"type":"error","error":{"type":...,"message":...},
//! "request_id":"req_..."}` (platform.claude.com/docs/en/api/errors), the
//! same in a non-2xx response and in an in-stream `event: error`. The status
//! and `error.type` go together:
//!
//! | status | `error.type` | yat |
//! |---|---|---|
//! | 400 | `invalid_request_error` (also other 4xx) | invalid request |
//! | 401 | `authentication_error` | authentication |
//! | 402 | `billing_error` | quota exhausted |
//! | 403 | `permission_error` | permission |
//! | 404 | `not_found_error` | model not found |
//! | 413 | `request_too_large` | invalid request |
//! | 429 | `rate_limit_error` | rate limited (`retry-after`) |
//! | 500 | `api_error` | server error |
//! | 504 | `timeout_error` | server error |
//! | 529 | `overloaded_error` | overloaded |
//!
//! The shared mapping reads all of that from the status and the type; the
//! parser adds what only the message tells:
//!
//! - "prompt is too long: 215439 tokens > 200000 maximum" is already read
//!   as a context overflow; "input length and `max_tokens` exceed context
//!   limit" is marked so here;
//! - a workspace spend limit is a 400 `invalid_request_error` saying "You
//!   have reached your specified API usage limits. You will regain access on
//!   …": retrying before that date does not help, so it is marked
//!   [`QUOTA_EXHAUSTED`];
//! - a `rate_limit_error` is marked [`RATE_LIMITED`], so a message that
//!   mentions billing cannot turn a per-minute limit into a quota failure.
//!
//! In a stream there is no status: [`status_of`] gives the one the type
//! stands for, so an `overloaded_error` event becomes the same
//! [`YatError::Overloaded`](yat_core::YatError::Overloaded) as an HTTP 529.
//!
//! The body's `request_id` (may be absent or null) becomes
//! [`ErrorBody::request_id`]; without it [`classify`](yat_http::classify)
//! takes the `request-id` header every response carries. Either way it is
//! the error's [`request_id`](yat_core::YatError::request_id), what
//! Anthropic's support asks for.

use std::borrow::Cow;

use serde::Deserialize;

use yat_http::error_map::{QUOTA_EXHAUSTED, RATE_LIMITED};
use yat_http::{parse_generic, ErrorBody};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    error: Detail<'a>,
    #[serde(default, borrow)]
    request_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Detail<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
}

fn read(body: &[u8]) -> Option<Envelope<'_>> {
    serde_json::from_slice::<Envelope<'_>>(body).ok()
}

/// The HTTP status an `error.type` stands for (the errors page's table), for
/// errors that arrive inside a `200` stream; `None` for a type this version
/// does not know.
pub fn status_of(error_type: &str) -> Option<u16> {
    Some(match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => return None,
    })
}

/// The status of an in-stream error event's data: the one its `error.type`
/// stands for, 500 when the type is unknown or the data unreadable.
pub(crate) fn stream_status(data: &[u8]) -> u16 {
    read(data)
        .and_then(|e| e.error.kind.as_deref().and_then(status_of))
        .unwrap_or(500)
}

/// The [`ErrorParser`](yat_http::ErrorParser) of Anthropic.
pub fn parse_error(body: &[u8]) -> ErrorBody {
    let Some(Envelope {
        error: detail,
        request_id,
    }) = read(body)
    else {
        // A proxy's page (Cloudflare answers an oversized request itself) or
        // another shape: take what the generic reader finds.
        return parse_generic(body);
    };
    let mut out = ErrorBody::new(detail.message.map(Cow::into_owned));
    out.request_id = request_id.map(Cow::into_owned);
    let message = out.message.as_deref().unwrap_or("").to_ascii_lowercase();
    if message.contains("exceed context limit") {
        out.codes.push("context_length_exceeded".to_owned());
    }
    if message.contains("specified api usage limits") {
        out.codes.push(QUOTA_EXHAUSTED.to_owned());
    }
    if let Some(kind) = detail.kind {
        match &*kind {
            "rate_limit_error" => out.codes.push(RATE_LIMITED.to_owned()),
            "billing_error" => out.codes.push(QUOTA_EXHAUSTED.to_owned()),
            _ => {}
        }
        out.codes.insert(0, kind.into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use yat_core::YatError;
    use yat_http::classify;
    use yat_http::header::{HeaderMap, HeaderValue};

    fn map(status: u16, headers: &HeaderMap, body: &str) -> YatError {
        classify(
            "anthropic",
            status,
            headers,
            body.as_bytes(),
            parse_error(body.as_bytes()),
        )
    }

    fn body(kind: &str, message: &str) -> String {
        serde_json::json!({
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
        })
        .to_string()
    }

    #[test]
    fn documented_statuses_and_types_map_to_their_variants() {
        let none = HeaderMap::new();
        let cases: &[(u16, &str, &str, &str)] = &[
            (400, "invalid_request_error", "messages: field required", "invalid_request"),
            (401, "authentication_error", "invalid x-api-key", "authentication"),
            (402, "billing_error", "Your payment method was declined", "quota_exhausted"),
            (403, "permission_error", "Your API key does not have permission to use the specified resource.", "permission"),
            (404, "not_found_error", "model: claude-nonexistent", "model_not_found"),
            (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", "invalid_request"),
            (429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50,000 input tokens per minute.", "rate_limited"),
            (500, "api_error", "Internal server error", "server_error"),
            (504, "timeout_error", "Request timed out", "server_error"),
            (529, "overloaded_error", "Overloaded", "overloaded"),
        ];
        for (status, kind, message, expected) in cases {
            let e = map(*status, &none, &body(kind, message));
            assert_eq!(e.kind(), *expected, "{status} {kind}: {e}");
            assert_eq!(e.status(), Some(*status));
            assert!(e.to_string().contains(message), "{e}");
            // The stream's view of the same type agrees with the status.
            assert_eq!(status_of(kind), Some(*status));
        }
        assert!(map(529, &none, &body("overloaded_error", "Overloaded")).is_retryable());
        assert!(!map(413, &none, &body("request_too_large", "x")).is_retryable());
    }

    #[test]
    fn messages_refine_what_the_status_says() {
        let none = HeaderMap::new();
        let too_long = body(
            "invalid_request_error",
            "prompt is too long: 215439 tokens > 200000 maximum",
        );
        assert_eq!(map(400, &none, &too_long).kind(), "context_length_exceeded");
        let with_max = body(
            "invalid_request_error",
            "input length and `max_tokens` exceed context limit: 197202 + 21333 > 200000, decrease input length or `max_tokens` and try again",
        );
        assert_eq!(map(400, &none, &with_max).kind(), "context_length_exceeded");
        let spend = body(
            "invalid_request_error",
            "You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.",
        );
        assert_eq!(map(400, &none, &spend).kind(), "quota_exhausted");
        let credit = body(
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        );
        assert_eq!(map(400, &none, &credit).kind(), "quota_exhausted");
        // A rate limit stays one whatever its words.
        let limit = body(
            "rate_limit_error",
            "Rate limit exceeded; see billing and plans for higher limits",
        );
        assert_eq!(map(429, &none, &limit).kind(), "rate_limited");
    }

    #[test]
    fn the_request_id_comes_from_the_body_else_the_header() {
        let mut h = HeaderMap::new();
        h.insert("request-id", HeaderValue::from_static("req_from_header"));
        let e = map(401, &h, &body("authentication_error", "invalid x-api-key"));
        assert_eq!(e.request_id(), Some("req_011CSHoEeqs5C35K2UUqR7Fy"));
        assert!(
            e.to_string()
                .ends_with("(request id req_011CSHoEeqs5C35K2UUqR7Fy)"),
            "{e}"
        );
        let bare = r#"{"type":"error","error":{"type":"api_error","message":"x"}}"#;
        assert_eq!(map(500, &h, bare).request_id(), Some("req_from_header"));
        assert_eq!(map(500, &HeaderMap::new(), bare).request_id(), None);
    }

    #[test]
    fn rate_limit_waits_come_from_retry_after() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        h.insert(
            "anthropic-ratelimit-requests-reset",
            HeaderValue::from_static("2025-01-01T00:00:00Z"),
        );
        let e = map(429, &h, &body("rate_limit_error", "slow down"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        // A 529 may come without one: the retry policy backs off instead.
        let e = map(
            529,
            &HeaderMap::new(),
            &body("overloaded_error", "Overloaded"),
        );
        assert!(matches!(
            e,
            YatError::Overloaded {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn parser_reads_type_and_message_and_falls_back() {
        let b = parse_error(body("overloaded_error", "Overloaded").as_bytes());
        assert_eq!(b.message.as_deref(), Some("Overloaded"));
        assert_eq!(b.codes, vec!["overloaded_error"]);
        let b = parse_error(body("rate_limit_error", "x").as_bytes());
        assert_eq!(b.codes, vec!["rate_limit_error", RATE_LIMITED]);
        assert_eq!(
            b.request_id.as_deref(),
            Some("req_011CSHoEeqs5C35K2UUqR7Fy")
        );
        // `request_id` may be null or absent.
        let b = parse_error(
            br#"{"type":"error","error":{"type":"not_found_error","message":"model: x"},"request_id":null}"#,
        );
        assert_eq!(b.message.as_deref(), Some("model: x"));
        assert_eq!(b.request_id, None);
        // Not Anthropic's shape: the generic reader's result.
        assert_eq!(
            parse_error(b"<html>413 Request Entity Too Large</html>"),
            ErrorBody::default()
        );
        assert_eq!(
            parse_error(br#"{"message":"upstream connect error"}"#)
                .message
                .as_deref(),
            Some("upstream connect error")
        );
    }

    #[test]
    fn stream_status_follows_the_type() {
        let s = |d: &str| stream_status(d.as_bytes());
        assert_eq!(
            s(
                r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#
            ),
            529
        );
        assert_eq!(s(&body("rate_limit_error", "x")), 429);
        assert_eq!(s(&body("something_new_error", "x")), 500);
        assert_eq!(s("not json"), 500);
        assert_eq!(status_of("something_new_error"), None);
    }
}
