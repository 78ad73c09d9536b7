//! Gemini error body → [`ErrorBody`].
//!
//! The body is a `google.rpc.Status` in JSON:
//! `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}`,
//! the same in a non-2xx response and in an in-stream `data:` payload. What
//! decides the kind is in `status` and the typed `details`, not in the
//! message (ai.google.dev/gemini-api/docs/generate-content/api-errors):
//!
//! - an invalid key is a 400 `INVALID_ARGUMENT` whose `ErrorInfo.reason` is
//!   `API_KEY_INVALID` (the reason goes into the codes, where the shared
//!   mapping reads it as an authentication failure); a request that reached
//!   Google with no key at all is a 403 `PERMISSION_DENIED` "Method doesn't
//!   allow unregistered callers", an authentication failure too;
//! - a 429 `RESOURCE_EXHAUSTED` carries `RetryInfo.retryDelay` (`"43s"`),
//!   which becomes [`ErrorBody::retry_after`]. Its message ("You exceeded
//!   your current quota, please check your plan and billing details") reads
//!   like a billing failure but is a per-minute limit, so the body is marked
//!   [`RATE_LIMITED`]: retrying after the delay works;
//! - a `QuotaFailure` whose `quotaId` names a per-day quota
//!   (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`) will not clear with
//!   short retries, so the body is marked [`QUOTA_EXHAUSTED`], as is a 402
//!   (prepaid credits used up) by its status alone.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use yat_http::error_map::{QUOTA_EXHAUSTED, RATE_LIMITED};
use yat_http::{parse_generic, ErrorBody};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    error: Status<'a>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(default)]
    code: Option<u16>,
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    details: Vec<Detail<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail<'a> {
    #[serde(rename = "@type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    /// `ErrorInfo.reason`.
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
    /// `RetryInfo.retryDelay`, a protobuf Duration (`"43s"`, `"0.5s"`).
    #[serde(default, borrow)]
    retry_delay: Option<Cow<'a, str>>,
    /// `QuotaFailure.violations`.
    #[serde(default, borrow)]
    violations: Vec<Violation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Violation<'a> {
    #[serde(default, borrow)]
    quota_id: Option<Cow<'a, str>>,
}

/// Parses a protobuf JSON Duration: decimal seconds with an `s` suffix. A
/// delay too long for a `Duration` (`"1e30s"`) saturates instead of
/// panicking.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    yat_http::error_map::wait_secs(secs)
}

/// The HTTP status a `google.rpc.Status` body names in its `code`, if any.
pub(crate) fn status_code(body: &[u8]) -> Option<u16> {
    read(body).and_then(|s| s.code)
}

fn read(body: &[u8]) -> Option<Status<'_>> {
    // With `alt=sse` errors are one object; without it Google wraps them in
    // an array, as it does the stream itself. Accept both.
    let trimmed = body.trim_ascii_start();
    if trimmed.first() == Some(&b'[') {
        let mut list: Vec<Envelope<'_>> = serde_json::from_slice(trimmed).ok()?;
        (!list.is_empty()).then(|| list.swap_remove(0).error)
    } else {
        serde_json::from_slice::<Envelope<'_>>(trimmed)
            .ok()
            .map(|e| e.error)
    }
}

/// The [`ErrorParser`](yat_http::ErrorParser) of Gemini.
pub fn parse_error(body: &[u8]) -> ErrorBody {
    let Some(status) = read(body) else {
        // A proxy's page or an unexpected shape: take what the generic
        // reader finds.
        return parse_generic(body);
    };
    let mut out = ErrorBody::new(status.message.map(Cow::into_owned));
    if let Some(s) = &status.status {
        out.codes.push(s.to_string());
    }
    let mut per_day = false;
    for d in &status.details {
        let kind = d.kind.as_deref().unwrap_or("");
        if kind.ends_with("google.rpc.ErrorInfo") {
            if let Some(r) = &d.reason {
                out.codes.push(r.to_string());
            }
        } else if kind.ends_with("google.rpc.RetryInfo") {
            out.retry_after = d.retry_delay.as_deref().and_then(parse_duration);
        } else if kind.ends_with("google.rpc.QuotaFailure") {
            per_day |= d
                .violations
                .iter()
                .filter_map(|v| v.quota_id.as_deref())
                .any(|id| id.contains("PerDay"));
        }
    }
    if status.status.as_deref() == Some("PERMISSION_DENIED")
        && out
            .message
            .as_deref()
            .is_some_and(|m| m.contains("unregistered callers"))
    {
        // No key reached Google ("Method doesn't allow unregistered
        // callers ... Please use API Key"): the fix is the key, as for a
        // wrong one, so it is told as one.
        out.codes.push("API_KEY_INVALID".to_owned());
    }
    if status.status.as_deref() == Some("RESOURCE_EXHAUSTED") {
        if per_day {
            out.codes.push(QUOTA_EXHAUSTED.to_owned());
        } else if status.code != Some(402) {
            out.codes.push(RATE_LIMITED.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::YatError;
    use yat_http::classify;
    use yat_http::header::HeaderMap;

    // The documented bodies (shared/wire-formats.md §3), byte for byte.
    const KEY_INVALID: &str = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#;
    const NOT_FOUND: &str = r#"{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}"#;
    const TOO_LONG: &str = r#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#;
    const PER_MINUTE: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. ...","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}}"#;
    const PER_DAY: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. ...","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"22s"}]}}"#;
    const OVERLOADED: &str = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;

    fn map(status: u16, body: &str) -> YatError {
        classify(
            "gemini",
            status,
            &HeaderMap::new(),
            body.as_bytes(),
            parse_error(body.as_bytes()),
        )
    }

    #[test]
    fn documented_bodies_map_to_their_variants() {
        let e = map(400, KEY_INVALID);
        assert!(matches!(e, YatError::Authentication(_)), "{e:?}");
        assert!(e.to_string().contains("API key not valid"), "{e}");
        assert!(matches!(map(404, NOT_FOUND), YatError::ModelNotFound(_)));
        assert!(matches!(
            map(400, TOO_LONG),
            YatError::ContextLengthExceeded(_)
        ));
        let e = map(429, PER_MINUTE);
        assert!(matches!(e, YatError::RateLimited { .. }), "{e:?}");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(43)));
        assert!(matches!(map(429, PER_DAY), YatError::QuotaExhausted(_)));
        let e = map(503, OVERLOADED);
        assert!(matches!(e, YatError::Overloaded { .. }), "{e:?}");
        assert!(e.is_retryable());
    }

    #[test]
    fn reported_key_errors_are_authentication_failures() {
        // Reported bodies: a missing key, an expired key (same reason as an
        // invalid one), and the array form the non-SSE endpoint uses.
        let missing = r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#;
        assert_eq!(map(403, missing).kind(), "authentication");
        let expired = r#"{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        assert_eq!(map(400, expired).kind(), "authentication");
        let wrapped = format!("[{KEY_INVALID}]");
        assert_eq!(map(400, &wrapped).kind(), "authentication");
        // A disabled API is a permission problem, not a key problem.
        let disabled = r#"{"error":{"code":403,"message":"Generative Language API has not been used in project 1 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com"}]}}"#;
        assert_eq!(map(403, disabled).kind(), "permission");
        // The detail that echoes the key (DebugInfo) never reaches the message.
        let debug = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIza-planted"}]}}"#;
        assert!(!map(400, debug).to_string().contains("planted"));
    }

    #[test]
    fn status_table_of_the_api_errors_page() {
        let body = |code: u16, status: &str| {
            format!(r#"{{"error":{{"code":{code},"message":"m","status":"{status}"}}}}"#)
        };
        assert!(matches!(
            map(402, &body(402, "RESOURCE_EXHAUSTED")),
            YatError::QuotaExhausted(_)
        ));
        assert!(matches!(
            map(403, &body(403, "PERMISSION_DENIED")),
            YatError::Permission(_)
        ));
        assert!(matches!(
            map(400, &body(400, "INVALID_ARGUMENT")),
            YatError::InvalidRequest(_)
        ));
        assert!(matches!(
            map(499, &body(499, "CANCELLED")),
            YatError::Cancelled { .. }
        ));
        assert!(matches!(
            map(500, &body(500, "INTERNAL")),
            YatError::Server(_)
        ));
        assert!(matches!(
            map(504, &body(504, "DEADLINE_EXCEEDED")),
            YatError::Server(_)
        ));
        // A 429 with no details is still a rate limit, with no delay known.
        let e = map(429, &body(429, "RESOURCE_EXHAUSTED"));
        assert!(
            matches!(
                e,
                YatError::RateLimited {
                    retry_after: None,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn parser_reads_codes_delays_and_the_array_form() {
        let b = parse_error(PER_MINUTE.as_bytes());
        assert_eq!(b.retry_after, Some(Duration::from_secs(43)));
        assert_eq!(b.codes, vec!["RESOURCE_EXHAUSTED", RATE_LIMITED]);
        let b = parse_error(KEY_INVALID.as_bytes());
        assert_eq!(b.codes, vec!["INVALID_ARGUMENT", "API_KEY_INVALID"]);
        let wrapped = format!("[{NOT_FOUND}]");
        let b = parse_error(wrapped.as_bytes());
        assert_eq!(b.codes, vec!["NOT_FOUND"]);
        assert_eq!(status_code(wrapped.as_bytes()), Some(404));
        // Not Google's shape: the generic reader's result.
        assert_eq!(parse_error(b"<html>502</html>"), ErrorBody::default());
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("43"), None);
        assert_eq!(parse_duration("-1s"), None);
        // Panicked in `Duration::from_secs_f64` before.
        assert_eq!(parse_duration("1e30s"), Some(Duration::MAX));
        assert_eq!(parse_duration("99999999999999999999s"), Some(Duration::MAX));
        let body = r#"{"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1e300s"}]}}"#;
        assert_eq!(
            parse_error(body.as_bytes()).retry_after,
            Some(Duration::MAX)
        );
    }
}
