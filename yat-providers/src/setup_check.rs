//! The providers' unit tests of their setup: an instance initialized from
//! literal settings, the headers of a request it builds, and the checks
//! every HTTP provider's setup passes alike.

use yat_core::{ChatRequest, LlmProvider, Message, ResolvedSettings, YatError};
use yat_http::{HttpRequest, Method};

/// `provider`, initialized as `id` with the settings `pairs`.
pub(crate) async fn ready<P: LlmProvider>(mut provider: P, id: &str, pairs: &[(&str, &str)]) -> P {
    provider
        .initialize(&ResolvedSettings::from_pairs(id, pairs))
        .await
        .unwrap();
    provider
}

/// The headers of `r`, in order, as text.
pub(crate) fn headers(r: &HttpRequest) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Checks that `r` is a `method` request of `url` with exactly `expected`
/// for headers, in that order.
pub(crate) fn assert_request(
    r: &HttpRequest,
    method: Method,
    url: &str,
    expected: &[(&str, &str)],
) {
    assert_eq!(r.method, method);
    assert_eq!(r.url, url);
    assert_eq!(headers(r), expected);
}

/// Checks that `list_request` asks for the first page of a list with a GET
/// of `first`, and for the page after `cursor` with a GET of `then`, where
/// the cursor is query-encoded.
pub(crate) fn assert_pages(
    list_request: impl Fn(Option<&str>) -> Result<HttpRequest, YatError>,
    first: &str,
    cursor: &str,
    then: &str,
) {
    for (cursor, url) in [(None, first), (Some(cursor), then)] {
        let r = list_request(cursor).unwrap();
        assert_eq!(
            (&r.method, r.url.as_str()),
            (&Method::GET, url),
            "{cursor:?}"
        );
    }
}

/// `base_url` values no HTTP provider may accept: not http(s), not a URL,
/// or a URL nothing can be appended to.
pub(crate) const BAD_BASE_URLS: &[(&str, &str)] = &[
    ("base_url", "ftp://x"),
    ("base_url", "nope"),
    ("base_url", "not a url"),
    ("base_url", "data:text/plain,x"),
    ("base_url", "mailto:a@b"),
];

/// Checks that initializing a new instance (`new()`) as `id` with each of
/// `cases`, a setting and a bad value, fails with an error naming that
/// setting.
pub(crate) async fn assert_bad_settings_rejected<P: LlmProvider>(
    new: impl Fn() -> P,
    id: &str,
    cases: &[(&str, &str)],
) {
    for (key, bad) in cases {
        let e = new()
            .initialize(&ResolvedSettings::from_pairs(id, &[(key, bad)]))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, YatError::InvalidSetting { key: k, .. } if k == key),
            "{key}={bad}: {e:?}"
        );
    }
}

/// Checks that `chat_request` (an initialized instance's) refuses a blank
/// model before anything is sent, and that `fresh` (an instance never
/// initialized, reporting itself as `fresh_id`) is unavailable.
pub(crate) fn assert_blank_model_and_uninitialized_refused(
    chat_request: impl Fn(&ChatRequest) -> Result<HttpRequest, YatError>,
    fresh: impl Fn(&ChatRequest) -> Result<HttpRequest, YatError>,
    fresh_id: &str,
) {
    let no_model = ChatRequest::new(" ", vec![Message::user("x")]);
    assert!(matches!(
        chat_request(&no_model),
        Err(YatError::InvalidRequest(_))
    ));
    let e = fresh(&no_model).unwrap_err();
    assert!(
        matches!(&e, YatError::Unavailable { provider, .. } if provider == fresh_id),
        "{e:?}"
    );
}
