//! Errors in the Messages API's shape: `{"type":"error","error":{"type",
//! "message"}}`, with the status the API uses for each kind.
//!
//! Source: platform.claude.com/docs/en/api/errors ("HTTP errors": 400
//! `invalid_request_error`, also for other 4xx codes; 401
//! `authentication_error`; 403 `permission_error`; 404 `not_found_error`;
//! 413 `request_too_large`; 429 `rate_limit_error`; 500 `api_error`; 529
//! `overloaded_error`) and the SDK's `ErrorType`, which adds
//! `timeout_error` and `billing_error`. The SDK raises its own exception
//! class per status (`_client.py` `_make_status_error`: 529 is
//! `OverloadedError`, any other 5xx `InternalServerError`).
//!
//! - Overload is 529, not 503: the API has no 503, and 529 is what an
//!   Anthropic client treats as "busy, retry" (the SDK retries it and
//!   raises `OverloadedError`). Every [`ErrorKind::Unavailable`] goes out
//!   so, a provider that is not ready included: to the client it is the
//!   same "try again shortly".
//! - A timeout is 504 `timeout_error` (the SDK's `ErrorType`); a failed
//!   upstream is 502 `api_error`, the API's type for a failure on its side.
//! - The body has no `param` field, so a message about one field starts
//!   with its path, as the API's own do (`max_tokens: Field required`).
//! - The API adds `request_id`; the dialect does not know it (the server
//!   sends it as a header), and the SDK types it as optional.

use std::borrow::Cow;

use axum::http::StatusCode;
use serde::Serialize;

use crate::api_error::{ApiError, ErrorKind};

use super::wire::write_event;

/// `529`, Anthropic's status for an overloaded API.
const OVERLOADED: u16 = 529;

/// The status and `error.type` for `kind`.
pub(super) fn status_and_type(kind: ErrorKind) -> (StatusCode, &'static str) {
    let (status, kind) = match kind {
        ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentBlocked => {
            (StatusCode::BAD_REQUEST, "invalid_request_error")
        }
        ErrorKind::Authentication => (StatusCode::UNAUTHORIZED, "authentication_error"),
        ErrorKind::Permission => (StatusCode::FORBIDDEN, "permission_error"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found_error"),
        ErrorKind::RequestTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large"),
        ErrorKind::RateLimited | ErrorKind::QuotaExhausted => {
            (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error")
        }
        ErrorKind::Upstream => (StatusCode::BAD_GATEWAY, "api_error"),
        ErrorKind::Unavailable => (
            StatusCode::from_u16(OVERLOADED).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "overloaded_error",
        ),
        ErrorKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout_error"),
        ErrorKind::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "timeout_error"),
    };
    (status, kind)
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    r#type: &'static str,
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    r#type: &'static str,
    message: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
}

/// What the SDKs read beyond the type (the tool runner, for one, falls
/// back from server-held threads on `thread_unsupported_request`).
#[derive(Serialize)]
struct Details<'a> {
    error_code: &'a str,
}

/// The status and body for `error`. The message names the field first
/// when the error is about one and the message does not already.
fn body(error: &ApiError) -> (StatusCode, ErrorBody<'_>) {
    let (status, kind) = status_and_type(error.kind);
    let message = match error.param.as_deref() {
        Some(param) if !error.message.starts_with(param) => {
            Cow::Owned(format!("{param}: {}", error.message))
        }
        _ => Cow::Borrowed(error.message.as_str()),
    };
    let body = ErrorBody {
        r#type: "error",
        error: ErrorObject {
            r#type: kind,
            message,
            details: error
                .code
                .as_deref()
                .map(|error_code| Details { error_code }),
        },
    };
    (status, body)
}

/// The status and body of an error response.
pub(super) fn response(error: &ApiError) -> (StatusCode, Vec<u8>) {
    let (status, body) = body(error);
    (status, serde_json::to_vec(&body).unwrap_or_default())
}

/// Appends the in-stream `error` event: the error body's shape under
/// `event: error` (the streaming docs' example is an `overloaded_error`).
pub(super) fn write_stream_error(error: &ApiError, out: &mut Vec<u8>) {
    write_event(out, "error", &body(error).1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_the_documented_status_and_type() {
        let cases = [
            (ErrorKind::InvalidRequest, 400, "invalid_request_error"),
            (ErrorKind::ContextLength, 400, "invalid_request_error"),
            (ErrorKind::ContentBlocked, 400, "invalid_request_error"),
            (ErrorKind::Authentication, 401, "authentication_error"),
            (ErrorKind::Permission, 403, "permission_error"),
            (ErrorKind::NotFound, 404, "not_found_error"),
            (ErrorKind::RequestTooLarge, 413, "request_too_large"),
            (ErrorKind::RateLimited, 429, "rate_limit_error"),
            (ErrorKind::QuotaExhausted, 429, "rate_limit_error"),
            (ErrorKind::Upstream, 502, "api_error"),
            (ErrorKind::Unavailable, 529, "overloaded_error"),
            (ErrorKind::Timeout, 504, "timeout_error"),
        ];
        for (kind, status, name) in cases {
            let (s, body) = response(&ApiError::new(kind, "went wrong"));
            assert_eq!(s.as_u16(), status, "{kind:?}");
            assert_eq!(
                String::from_utf8(body).unwrap(),
                format!(r#"{{"type":"error","error":{{"type":"{name}","message":"went wrong"}}}}"#)
            );
        }
    }

    #[test]
    fn a_field_error_names_the_field_once() {
        let (_, body) = response(&ApiError::invalid("max_tokens", "Field required"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["message"], "max_tokens: Field required");
        let (_, body) = response(&ApiError::invalid("model", "model: Field required"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["message"], "model: Field required");
    }

    #[test]
    fn the_stream_error_is_a_named_event() {
        let mut out = Vec::new();
        write_stream_error(
            &ApiError::new(ErrorKind::Unavailable, "Overloaded"),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        );
    }
}
