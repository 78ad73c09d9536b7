//! The connection settings every HTTP provider reads the same way, and the
//! state it keeps once initialized: where its API lives (`base_url`), the
//! key it authenticates with (`api_key`) and the [`Transport`] that sends
//! its requests.
//!
//! Only the reading is shared. How the key goes on the wire (a bearer
//! token, `x-api-key`, `x-goog-api-key`) and which paths lie under the base
//! URL stay with each adapter.

use reqwest::Url;
use yat_core::{ResolvedSettings, Secret, YatError};

use crate::options::HttpOptions;
use crate::transport::{ErrorParser, Transport};

/// The key and the transport of an initialized provider.
///
/// Built in one step from the settings, so that a provider cannot hold a
/// key its transport does not scrub from errors.
#[derive(Debug)]
#[non_exhaustive]
pub struct Connection {
    /// The `api_key` setting; `None` when it is unset or empty.
    pub key: Option<Secret>,
    /// Sends the provider's requests; redacts [`key`](Self::key) from
    /// every error it returns.
    pub transport: Transport,
}

impl Connection {
    /// Reads `api_key` and the shared HTTP settings
    /// ([`COMMON_SETTINGS`](crate::COMMON_SETTINGS)) of
    /// `provider`. No client is built yet: that happens on the first
    /// request.
    pub fn from_settings(
        provider: &str,
        settings: &ResolvedSettings,
        parse_error: ErrorParser,
    ) -> Result<Self, YatError> {
        let key = settings.secret("api_key").filter(|k| !k.is_empty());
        let transport =
            Transport::new(provider, HttpOptions::from_settings(settings)?, parse_error)
                .redacting(key.clone());
        Ok(Connection { key, transport })
    }
}

/// The error of a provider asked to do something before `initialize`
/// succeeded (or after it failed: a failed re-initialization leaves
/// nothing half-configured behind).
pub fn not_initialized(provider: &str) -> YatError {
    YatError::Unavailable {
        provider: provider.into(),
        reason: "not initialized".into(),
    }
}

/// Reads the `base_url` setting of `provider` (`default` when it is unset
/// or empty) as an http(s) URL that paths can be appended to.
///
/// ```
/// use yat_core::ResolvedSettings;
/// use yat_http::connection::base_url;
///
/// let set = ResolvedSettings::from_pairs("p", &[("base_url", "http://h/v1/")]);
/// assert_eq!(base_url("p", &set, "https://d").unwrap().as_str(), "http://h/v1/");
/// let unset = ResolvedSettings::from_pairs("p", &[]);
/// assert_eq!(base_url("p", &unset, "https://d").unwrap().as_str(), "https://d/");
/// let ftp = ResolvedSettings::from_pairs("p", &[("base_url", "ftp://h")]);
/// assert!(base_url("p", &ftp, "https://d").is_err());
/// ```
pub fn base_url(
    provider: &str,
    settings: &ResolvedSettings,
    default: &str,
) -> Result<Url, YatError> {
    let raw = settings
        .get("base_url")
        .filter(|u| !u.is_empty())
        .unwrap_or(default);
    let bad = |why: String| YatError::InvalidSetting {
        provider: provider.to_owned(),
        key: "base_url".into(),
        message: format!("{raw:?} {why}"),
    };
    let url = Url::parse(raw).map_err(|e| bad(format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(bad("is not an http(s) URL".into()));
    }
    Ok(url)
}

/// `base` with the path segments `path` appended, each percent-encoded,
/// after exactly one `/`.
///
/// ```
/// use yat_http::Url;
/// use yat_http::connection::endpoint;
///
/// let base = Url::parse("http://h/proxy/").unwrap();
/// assert_eq!(endpoint(&base, &["v1", "models"]).as_str(), "http://h/proxy/v1/models");
/// let bare = Url::parse("http://h").unwrap();
/// assert_eq!(endpoint(&bare, &["v2", "chat"]).as_str(), "http://h/v2/chat");
/// ```
pub fn endpoint(base: &Url, path: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_generic;

    fn settings(pairs: &[(&str, &str)]) -> ResolvedSettings {
        ResolvedSettings::from_pairs("p", pairs)
    }

    #[test]
    fn an_empty_key_is_no_key() {
        let key = |k| {
            Connection::from_settings("p", &settings(&[("api_key", k)]), parse_generic)
                .unwrap()
                .key
        };
        assert!(key("").is_none());
        assert_eq!(key("k").as_ref().map(Secret::expose), Some("k"));
    }

    #[test]
    fn bad_base_urls_name_the_setting_and_the_value() {
        for bad in ["ftp://x", "nope", "data:text/plain,x", "mailto:a@b"] {
            let e = base_url("p", &settings(&[("base_url", bad)]), "https://d").unwrap_err();
            match e {
                YatError::InvalidSetting {
                    provider,
                    key,
                    message,
                } => {
                    assert_eq!((provider.as_str(), key.as_str()), ("p", "base_url"));
                    assert!(
                        message.starts_with(&format!("{bad:?} is not ")),
                        "{message}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // An empty setting falls back to the default.
        assert_eq!(
            base_url("p", &settings(&[("base_url", "")]), "https://d/x")
                .unwrap()
                .as_str(),
            "https://d/x"
        );
    }

    #[test]
    fn not_initialized_names_the_provider() {
        assert!(matches!(
            not_initialized("google"),
            YatError::Unavailable { ref provider, .. } if provider == "google"
        ));
    }
}
