//! Errors in Chat Completions' shape: `{"error":{"message","type","param","code"}}`
//! (the spec's `ErrorResponse`; all four fields always present, `param` and
//! `code` may be null), with the status the error's kind gives.
//!
//! The official SDKs pick their exception class from the status alone
//! (openai-python's `_make_status_error`: 400 `BadRequestError`, 401
//! `AuthenticationError`, 403 `PermissionDeniedError`, 404 `NotFoundError`,
//! 429 `RateLimitError`, ≥ 500 `InternalServerError`) and expose `type`,
//! `code` and `param` as they are. The spec leaves `type` and `code` free
//! strings, so the values below are the ones OpenAI's API is seen to send
//! for the same conditions:
//!
//! - 400 `invalid_request_error`, with `context_length_exceeded` as the
//!   code for an over-long prompt (the error-codes guide's example);
//! - 401 `invalid_request_error` / `invalid_api_key` (OpenAI's reply to a
//!   wrong key);
//! - 403 `request_forbidden` (OpenAI's 403 for an unsupported region, as
//!   clients report it, e.g. songquanpeng/one-api#1692);
//! - 404 `invalid_request_error` / `model_not_found`;
//! - 429 `requests` / `rate_limit_exceeded` for a rate limit (OpenAI names
//!   the exhausted limit, `requests` or `tokens`, in `type`; the gateway's
//!   own limit counts requests), and `insufficient_quota` as both type and
//!   code for a used-up quota, so a client can tell that retrying will not
//!   help;
//! - 5xx `server_error`, as OpenAI's overload and internal errors.
//!
//! The same body is the in-stream error frame: openai-python's `Stream`
//! raises `APIError` for any `data:` payload with a top-level `error`,
//! taking its `message` (`_streaming.py`).

use axum::http::StatusCode;
use serde::Serialize;

use super::wire::write_json;
use crate::api_error::{ApiError, ErrorKind};

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// OpenAI's `type` and `code` for an error of `kind`.
fn type_and_code(kind: ErrorKind) -> (&'static str, Option<&'static str>) {
    const INVALID: &str = "invalid_request_error";
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge | ErrorKind::RequestTimeout => {
            (INVALID, None)
        }
        ErrorKind::ContextLength => (INVALID, Some("context_length_exceeded")),
        ErrorKind::ContentBlocked => (INVALID, Some("content_filter")),
        ErrorKind::Authentication => (INVALID, Some("invalid_api_key")),
        ErrorKind::Permission => ("request_forbidden", None),
        ErrorKind::NotFound => (INVALID, Some("model_not_found")),
        ErrorKind::RateLimited => ("requests", Some("rate_limit_exceeded")),
        ErrorKind::QuotaExhausted => ("insufficient_quota", Some("insufficient_quota")),
        ErrorKind::Upstream | ErrorKind::Unavailable | ErrorKind::Timeout => ("server_error", None),
    }
}

/// Appends the error body (`{"error":{…}}`) to `out`.
pub(super) fn write_body(error: &ApiError, out: &mut Vec<u8>) {
    let (kind, code) = type_and_code(error.kind);
    write_json(
        out,
        &ErrorBody {
            error: ErrorObject {
                message: &error.message,
                kind,
                param: error.param.as_deref(),
                code: error.code.as_deref().or(code),
            },
        },
    );
}

/// The status and body of an error response.
pub(super) fn response(error: &ApiError) -> (StatusCode, Vec<u8>) {
    let mut body = Vec::with_capacity(128 + error.message.len());
    write_body(error, &mut body);
    (error.status(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_openai_s_type_code_and_status() {
        let cases = [
            (
                ErrorKind::InvalidRequest,
                400,
                "invalid_request_error",
                None,
            ),
            (
                ErrorKind::ContextLength,
                400,
                "invalid_request_error",
                Some("context_length_exceeded"),
            ),
            (
                ErrorKind::ContentBlocked,
                400,
                "invalid_request_error",
                Some("content_filter"),
            ),
            (
                ErrorKind::Authentication,
                401,
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
            (ErrorKind::Permission, 403, "request_forbidden", None),
            (
                ErrorKind::NotFound,
                404,
                "invalid_request_error",
                Some("model_not_found"),
            ),
            (
                ErrorKind::RequestTooLarge,
                413,
                "invalid_request_error",
                None,
            ),
            (
                ErrorKind::RateLimited,
                429,
                "requests",
                Some("rate_limit_exceeded"),
            ),
            (
                ErrorKind::QuotaExhausted,
                429,
                "insufficient_quota",
                Some("insufficient_quota"),
            ),
            (ErrorKind::Upstream, 502, "server_error", None),
            (ErrorKind::Unavailable, 503, "server_error", None),
            (ErrorKind::Timeout, 504, "server_error", None),
        ];
        for (kind, status, ty, code) in cases {
            let (got_status, body) = response(&ApiError::new(kind, "went wrong"));
            assert_eq!(got_status.as_u16(), status, "{kind:?}");
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                body,
                serde_json::json!({"error": {
                    "message": "went wrong", "type": ty, "param": null, "code": code,
                }}),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn the_field_at_fault_is_the_param() {
        let (status, body) = response(&ApiError::invalid("messages[2].content", "bad \"part\""));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"error":{"message":"bad \"part\"","type":"invalid_request_error","param":"messages[2].content","code":null}}"#
        );
    }
}
