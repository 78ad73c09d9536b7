//! The HTTP error mapping: every provider's error-body parser and
//! `classify` over arbitrary statuses, rate-limit headers and bodies.
//!
//! Input: status (`u16`, big-endian), a flags byte saying which of
//! `retry-after`, `retry-after-ms` and `x-ratelimit-reset` are present, each
//! present one as a length byte and its value, then the body.
//!
//! Checked: no panic (parsing, classifying, formatting); the error keeps the
//! provider id and, when it reports a status, the response's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yat_fuzz::Reader;
use yat_http::header::{HeaderMap, HeaderName, HeaderValue};
use yat_http::{classify, error_map, parse_generic, ErrorBody};

const HEADERS: [&str; 3] = ["retry-after", "retry-after-ms", "x-ratelimit-reset"];

type Parser = fn(&[u8]) -> ErrorBody;

const PARSERS: [(&str, Parser); 4] = [
    ("openai", parse_generic),
    ("anthropic", yat_providers::anthropic::error::parse_error),
    ("gemini", yat_providers::gemini::error::parse_error),
    ("cohere", yat_providers::cohere::error::parse_error),
];

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let status = u16::from_be_bytes([r.u8(), r.u8()]);
    let flags = r.u8();
    let mut headers = HeaderMap::new();
    for (i, name) in HEADERS.iter().enumerate() {
        if flags & (1 << i) != 0 {
            let n = usize::from(r.u8());
            if let Ok(v) = HeaderValue::from_bytes(r.bytes(n)) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
    }
    let body = r.rest();

    let _ = error_map::retry_after(&headers);
    for (provider, parse) in PARSERS {
        let parsed = parse(body);
        let e = classify(provider, status, &headers, body, parsed);
        let _ = e.to_string();
        let _ = format!("{e:?}");
        let _ = (e.kind(), e.is_retryable(), e.retry_after());
        if let Some(s) = e.status() {
            assert_eq!(s, status, "{e:?}");
        }
        assert!(format!("{e:?}").contains(provider), "{e:?}");
    }
    let _ = yat_providers::anthropic::error::status_of(&String::from_utf8_lossy(body));
});
