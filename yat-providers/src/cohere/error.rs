//! Cohere error body → [`ErrorBody`].
//!
//! The body is `{"id": "...", "message": "..."}` (`id` optional; the older
//! errors page shows only `message`), with the kind in the HTTP status
//! (docs.cohere.com/reference/errors): 400 invalid request, "too many
//! tokens: …" for an over-long prompt; 401 and 498 bad key; 402 billing
//! limit; 404 unknown model; 429 rate limit; 499 cancelled; 5xx server.
//! The shared mapping reads all of that from the status and the message.
//!
//! One thing the status does not tell: a trial key's monthly call cap is
//! also a 429, and retrying it within the month does not help, so its
//! message ("… limited to 1000 API calls / month") marks the body
//! [`QUOTA_EXHAUSTED`].

use yat_http::error_map::QUOTA_EXHAUSTED;
use yat_http::{parse_generic, ErrorBody};

/// The [`ErrorParser`](yat_http::ErrorParser) of Cohere.
pub fn parse_error(body: &[u8]) -> ErrorBody {
    let mut out = parse_generic(body);
    let monthly = out.message.as_deref().is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("/ month") || m.contains("per month") || m.contains("monthly")
    });
    if monthly {
        out.codes.push(QUOTA_EXHAUSTED.to_owned());
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
            "cohere",
            status,
            headers,
            body.as_bytes(),
            parse_error(body.as_bytes()),
        )
    }

    #[test]
    fn documented_bodies_map_to_their_variants() {
        let none = HeaderMap::new();
        let cases: &[(u16, &str, &str)] = &[
            (
                401,
                r#"{"id":"8f0c2b4e-1d6a-4c1e-9a57-3f5d2e7b9c10","message":"invalid api token"}"#,
                "authentication",
            ),
            (498, r#"{"message":"invalid api token"}"#, "authentication"),
            (
                402,
                r#"{"id":"x","message":"Please add or update your payment method"}"#,
                "quota_exhausted",
            ),
            (
                404,
                r#"{"id":"...","message":"model 'xyz' not found, make sure the correct model ID was used and that you have access to the model."}"#,
                "model_not_found",
            ),
            (
                400,
                r#"{"id":"...","message":"too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292. Try using a shorter prompt, or enabling prompt truncating. See https://docs.cohere.com/reference/generate for more details."}"#,
                "context_length_exceeded",
            ),
            (
                400,
                r#"{"id":"...","message":"invalid request: message must not be empty in a turn"}"#,
                "invalid_request",
            ),
            (
                429,
                r#"{"id":"...","message":"You are past the per minute request limit, please wait and try again later."}"#,
                "rate_limited",
            ),
            (
                429,
                r#"{"id":"...","message":"trial token rate limit exceeded, limit is 100000 tokens per minute"}"#,
                "rate_limited",
            ),
            (
                429,
                r#"{"id":"...","message":"You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions"}"#,
                "quota_exhausted",
            ),
            (
                499,
                r#"{"id":"...","message":"request cancelled"}"#,
                "cancelled",
            ),
            (
                500,
                r#"{"id":"...","message":"internal server error"}"#,
                "server_error",
            ),
            (
                503,
                r#"{"id":"...","message":"service unavailable"}"#,
                "overloaded",
            ),
            (
                504,
                r#"{"id":"...","message":"gateway timeout"}"#,
                "server_error",
            ),
        ];
        for (status, body, kind) in cases {
            let e = map(*status, &none, body);
            assert_eq!(e.kind(), *kind, "{status} {body}: {e}");
        }
    }

    #[test]
    fn rate_limit_waits_come_from_any_of_the_three_headers() {
        let body = r#"{"message":"slow down"}"#;
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("4"));
        assert_eq!(
            map(429, &h, body).retry_after(),
            Some(Duration::from_secs(4))
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            map(429, &h, body).retry_after(),
            Some(Duration::from_millis(1500))
        );
        let mut h = HeaderMap::new();
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 20;
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&reset.to_string()).unwrap(),
        );
        let wait = map(429, &h, body).retry_after().unwrap();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
    }
}
