//! From an HTTP status, its headers and the provider's JSON error body to
//! one [`YatError`], carrying the vendor's id for the request when it sent
//! one.
//!
//! Each provider extracts what its own body says into an [`ErrorBody`]
//! (message, machine code, a retry hint); [`classify`] then applies the rules
//! every API shares. Status decides first; the code and message refine it,
//! because several vendors send quota, context-length and safety failures
//! with a plain 400 or 429.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use yat_core::{Failure, YatError};

/// What a provider's error body says.
///
/// ```
/// use yat_http::ErrorBody;
/// let mut body = ErrorBody::new(Some("slow down".into()));
/// body.codes.push("rate_limit_exceeded".into());
/// assert_eq!(body.message.as_deref(), Some("slow down"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The human message.
    pub message: Option<String>,
    /// Machine codes: `type`, `code`, `status`, reasons — anything that names the failure.
    pub codes: Vec<String>,
    /// A retry delay given in the body (Gemini's `RetryInfo`).
    pub retry_after: Option<Duration>,
    /// The vendor's id for the request, given in the body (Anthropic's
    /// top-level `request_id`). [`classify`] falls back on the response's
    /// request-id headers when the body has none.
    pub request_id: Option<String>,
}

impl ErrorBody {
    /// A body saying `message`, with no codes and no retry hint.
    pub fn new(message: Option<String>) -> Self {
        ErrorBody {
            message,
            ..ErrorBody::default()
        }
    }
}

/// A code a provider's [`ErrorBody`] parser adds when the body, read with
/// what it knows of its API, shows a quota that short retries will not clear
/// (Gemini's per-day quota, Cohere's trial-key monthly cap).
pub const QUOTA_EXHAUSTED: &str = "yat:quota_exhausted";

/// A code a provider's parser adds when the body shows a transient rate
/// limit although its message speaks of quota and billing (Gemini's 429
/// says "check your plan and billing details" for a per-minute limit); the
/// quota guess from those words then stands down.
pub const RATE_LIMITED: &str = "yat:rate_limited";

/// Reads the common shapes: `{"error": {"message", "type", "code", "status"}}`,
/// `{"error": "text"}`, `{"message": ...}`, `{"detail": ...}`. Returns an empty
/// body when the bytes are not JSON.
pub fn parse_generic(body: &[u8]) -> ErrorBody {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return ErrorBody::default();
    };
    let mut out = ErrorBody::default();
    let err = v.get("error").unwrap_or(&v);
    match err {
        serde_json::Value::String(s) => out.message = Some(s.clone()),
        serde_json::Value::Object(o) => {
            out.message = o
                .get("message")
                .or_else(|| o.get("detail"))
                .and_then(|m| m.as_str())
                .map(str::to_owned);
            for key in ["type", "code", "status"] {
                match o.get(key) {
                    Some(serde_json::Value::String(s)) => out.codes.push(s.clone()),
                    Some(serde_json::Value::Number(n)) => out.codes.push(n.to_string()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if out.message.is_none() {
        out.message = v
            .get("message")
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str())
            .map(str::to_owned);
    }
    out
}

/// The wait a response asks for: `retry-after-ms` (milliseconds, sent by
/// OpenAI and some gateways), else `retry-after` as seconds or as an HTTP
/// date, else the `x-ratelimit-reset-*` headers.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) =
        header_str(headers, "retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
    {
        if let Some(wait) = wait_secs(ms / 1000.0) {
            return Some(wait);
        }
    }
    if let Some(v) = header_str(headers, "retry-after").map(str::trim) {
        if let Ok(secs) = v.parse::<f64>() {
            return wait_secs(secs);
        }
        if let Ok(when) = httpdate::parse_http_date(v) {
            return Some(
                when.duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            );
        }
    }
    rate_limit_reset(headers)
}

/// `x-ratelimit-reset`: the Cohere SDK reads it as a Unix time in seconds,
/// other servers send the seconds left (or a Unix time in milliseconds).
/// The sizes cannot be confused (a Unix time is above 10^9), so all three
/// are accepted.
fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let v: f64 = header_str(headers, "x-ratelimit-reset")?
        .trim()
        .parse()
        .ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    let secs = if v >= 1e12 {
        v / 1000.0 - now()
    } else if v >= 1e9 {
        v - now()
    } else {
        v
    };
    wait_secs(secs.max(0.0))
}

/// A wait of `secs` seconds: `None` unless finite and not negative. A wait
/// too long for a `Duration` (`Retry-After: 1e30`) is `Duration::MAX`, which
/// no retry policy waits for, instead of a panic in
/// `Duration::from_secs_f64`. For a parser reading a delay from its body
/// into [`ErrorBody::retry_after`].
///
/// ```
/// use std::time::Duration;
/// use yat_http::error_map::wait_secs;
/// assert_eq!(wait_secs(1.5), Some(Duration::from_millis(1500)));
/// assert_eq!(wait_secs(-1.0), None);
/// assert_eq!(wait_secs(1e30), Some(Duration::MAX));
/// ```
pub fn wait_secs(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// The vendor's id for the request, from the headers that carry one:
/// `request-id` (Anthropic, on every response) and `x-request-id` (OpenAI,
/// and the many servers and gateways that follow it). Gemini and Cohere
/// document none. A value that is not short printable text is ignored.
fn request_id(headers: &HeaderMap) -> Option<&str> {
    ["request-id", "x-request-id"]
        .into_iter()
        .filter_map(|name| header_str(headers, name))
        .map(str::trim)
        .find(|id| !id.is_empty() && id.len() <= MAX_REQUEST_ID)
}

/// The longest request id kept: real ones are under 100 characters, and an
/// error message has no room for a header's worth of text.
const MAX_REQUEST_ID: usize = 200;

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn mentions(haystack: &[&str], needles: &[&str]) -> bool {
    haystack.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        needles.iter().any(|n| h.contains(n))
    })
}

/// Maps a failed response to the taxonomy: `status`, its `headers`, the
/// body as received (`raw_body`, shown as an excerpt when `body` has no
/// message) and what the provider's parser read from it (`body`). The
/// vendor's request id, from the body or the headers, goes into the
/// [`Failure`].
///
/// ```
/// use yat_http::header::{HeaderMap, HeaderValue};
/// use yat_http::{classify, parse_generic};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-request-id", HeaderValue::from_static("req_42"));
/// let body = br#"{"error":{"message":"boom"}}"#;
/// let e = classify("acme", 500, &headers, body, parse_generic(body));
/// assert_eq!(e.request_id(), Some("req_42"));
/// assert_eq!(e.to_string(), "acme: server error (HTTP 500) boom (request id req_42)");
/// ```
pub fn classify(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    raw_body: &[u8],
    body: ErrorBody,
) -> YatError {
    let mut failure = match body.message {
        Some(message) => Failure::http(provider, status, message),
        None => Failure::unreadable_body(provider, status, raw_body),
    };
    if let Some(id) = body.request_id.as_deref().or_else(|| request_id(headers)) {
        failure = failure.with_request_id(id);
    }
    let mut words: Vec<&str> = body.codes.iter().map(String::as_str).collect();
    words.push(&failure.message);
    let wait = retry_after(headers).or(body.retry_after);

    let rate_limited = body.codes.iter().any(|c| c == RATE_LIMITED);
    if status == 402
        || mentions(&words, &["insufficient_quota", QUOTA_EXHAUSTED])
        || (!rate_limited && mentions(&words, &["billing", "credit balance"]))
    {
        return YatError::QuotaExhausted(failure);
    }
    if mentions(
        &words,
        &[
            "context_length",
            "context length",
            "too many tokens",
            "maximum context",
            "exceeds the maximum number of tokens",
            "prompt is too long",
        ],
    ) {
        return YatError::ContextLengthExceeded(failure);
    }
    if mentions(
        &words,
        &["api_key_invalid", "invalid_api_key", "authentication_error"],
    ) {
        return YatError::Authentication(failure);
    }
    if mentions(
        &words,
        &["content_filter", "content_policy", "safety", "blocked"],
    ) && (400..500).contains(&status)
    {
        return YatError::ContentBlocked(failure);
    }
    match status {
        401 | 498 => YatError::Authentication(failure),
        // Google's CANCELLED and Cohere's "request cancelled": the request
        // was abandoned, which says nothing about whether it was valid.
        499 => YatError::Cancelled {
            provider: provider.to_owned(),
        },
        403 => YatError::Permission(failure),
        404 => YatError::ModelNotFound(failure),
        429 => YatError::RateLimited {
            failure,
            retry_after: wait,
        },
        503 | 529 => YatError::Overloaded {
            failure,
            retry_after: wait,
        },
        408 | 409 | 425 | 500..=599 => {
            if mentions(&words, &["overloaded"]) {
                YatError::Overloaded {
                    failure,
                    retry_after: wait,
                }
            } else {
                YatError::Server(failure)
            }
        }
        _ => YatError::InvalidRequest(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    fn map(status: u16, headers: &HeaderMap, body: &str) -> YatError {
        classify(
            "p",
            status,
            headers,
            body.as_bytes(),
            parse_generic(body.as_bytes()),
        )
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&h(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&h(&[("retry-after-ms", "1500"), ("retry-after", "9")])),
            Some(Duration::from_millis(1500))
        );
        let future = SystemTime::now() + Duration::from_secs(30);
        let d = retry_after(&h(&[("retry-after", &httpdate::fmt_http_date(future))])).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(
            retry_after(&h(&[("retry-after", &past)])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&h(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&h(&[("retry-after", "-1")])), None);
    }

    #[test]
    fn absurd_waits_saturate_instead_of_panicking() {
        // Found by fuzz/fuzz_targets/error_map.rs: these panicked in
        // `Duration::from_secs_f64`.
        for (name, value) in [
            ("retry-after", "1e30"),
            ("retry-after", "111111111111111111111111111111"),
            ("retry-after-ms", "1e300"),
            ("x-ratelimit-reset", "1e300"),
        ] {
            assert_eq!(
                retry_after(&h(&[(name, value)])),
                Some(Duration::MAX),
                "{name}: {value}"
            );
        }
        let e = map(429, &h(&[("retry-after", "1e30")]), "{}");
        assert_eq!(e.retry_after(), Some(Duration::MAX));
        assert!(!e.to_string().is_empty());
        assert_eq!(wait_secs(-0.0), Some(Duration::ZERO));
        assert_eq!(wait_secs(f64::NAN), None);
    }

    #[test]
    fn x_ratelimit_reset_as_unix_seconds_millis_or_a_wait() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let in_30 = (now + 30).to_string();
        let d = retry_after(&h(&[("x-ratelimit-reset", &in_30)])).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let in_30_ms = ((now + 30) * 1000).to_string();
        let d = retry_after(&h(&[("x-ratelimit-reset", &in_30_ms)])).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(
            retry_after(&h(&[("x-ratelimit-reset", "12")])),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(&h(&[("x-ratelimit-reset", "1000000000")])),
            Some(Duration::ZERO)
        );
        // retry-after wins when both are sent.
        assert_eq!(
            retry_after(&h(&[("retry-after", "2"), ("x-ratelimit-reset", "12")])),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn status_rules() {
        let none = HeaderMap::new();
        assert!(matches!(map(401, &none, "{}"), YatError::Authentication(_)));
        assert!(matches!(map(403, &none, "{}"), YatError::Permission(_)));
        assert!(matches!(map(404, &none, "{}"), YatError::ModelNotFound(_)));
        assert!(matches!(map(400, &none, "{}"), YatError::InvalidRequest(_)));
        assert!(matches!(map(500, &none, "{}"), YatError::Server(_)));
        assert!(matches!(map(529, &none, "{}"), YatError::Overloaded { .. }));
        let e = map(
            429,
            &h(&[("retry-after", "3")]),
            r#"{"error":{"message":"slow"}}"#,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.to_string().contains("slow"));
    }

    #[test]
    fn body_refines_status() {
        let none = HeaderMap::new();
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        assert!(matches!(
            map(429, &none, quota),
            YatError::QuotaExhausted(_)
        ));
        let ctx = r#"{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"#;
        assert!(matches!(
            map(400, &none, ctx),
            YatError::ContextLengthExceeded(_)
        ));
        assert!(matches!(map(402, &none, "{}"), YatError::QuotaExhausted(_)));
        assert!(matches!(map(499, &none, "{}"), YatError::Cancelled { .. }));
    }

    #[test]
    fn parser_codes_settle_quota_against_rate_limit() {
        let none = HeaderMap::new();
        let msg = "You exceeded your current quota, please check your plan and billing details.";
        let body = |code: &str| ErrorBody {
            codes: vec![code.into()],
            ..ErrorBody::new(Some(msg.into()))
        };
        // The words alone suggest quota...
        let e = classify("p", 429, &none, b"", body("RESOURCE_EXHAUSTED"));
        assert!(matches!(e, YatError::QuotaExhausted(_)), "{e:?}");
        // ...unless the parser knows it is a rate limit...
        let e = classify("p", 429, &none, b"", body(RATE_LIMITED));
        assert!(matches!(e, YatError::RateLimited { .. }), "{e:?}");
        // ...and a parser can say quota where the words do not.
        let mut b = body(QUOTA_EXHAUSTED);
        b.message = Some("limited to 1000 API calls / month".into());
        assert!(matches!(
            classify("p", 429, &none, b"", b),
            YatError::QuotaExhausted(_)
        ));
    }

    #[test]
    fn the_request_id_comes_from_the_headers_that_carry_one() {
        let body = r#"{"error":{"message":"boom"}}"#;
        for name in ["request-id", "x-request-id"] {
            let e = map(500, &h(&[(name, " req_7 ")]), body);
            assert_eq!(e.request_id(), Some("req_7"), "{name}");
            assert!(e.to_string().ends_with("boom (request id req_7)"), "{e}");
        }
        assert_eq!(map(500, &HeaderMap::new(), body).request_id(), None);
        // A header too long to be an id is not one.
        let long = "r".repeat(MAX_REQUEST_ID + 1);
        assert_eq!(
            map(500, &h(&[("x-request-id", &long)]), body).request_id(),
            None
        );
        // The body's id, when the parser found one, is the vendor's own word.
        let mut parsed = parse_generic(body.as_bytes());
        parsed.request_id = Some("req_body".into());
        let e = classify("p", 429, &h(&[("x-request-id", "req_7")]), b"", parsed);
        assert_eq!(e.request_id(), Some("req_body"));
    }

    #[test]
    fn html_body_gives_an_excerpt() {
        let e = map(
            502,
            &HeaderMap::new(),
            "<html><body>Bad gateway</body></html>",
        );
        assert!(matches!(e, YatError::Server(_)));
        assert!(e.to_string().contains("<html>"), "{e}");
    }
}
