//! A string that never shows itself.

use serde::{Serialize, Serializer};

/// An API key or other credential.
///
/// `Debug`, `Display` and `Serialize` print `[redacted]`; the only way to the
/// value is [`Secret::expose`], so a key cannot reach a log line, an error
/// message or JSON output by accident. Values are trimmed of surrounding
/// whitespace and of one pair of matching quotes, because keys pasted into
/// `.env` files and shells routinely carry both.
///
/// ```
/// use yat_core::Secret;
/// let s = Secret::new("  \"sk-abc\"\n");
/// assert_eq!(s.expose(), "sk-abc");
/// assert_eq!(format!("{s} {s:?}"), "[redacted] Secret([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a value, trimming whitespace and surrounding quotes.
    pub fn new(value: impl AsRef<str>) -> Self {
        Secret(sanitize(value.as_ref()).into())
    }
    /// The value. Call it only where the value is sent to the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the (trimmed) value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Trims whitespace, then one pair of matching `"` or `'` quotes, then
/// whitespace again.
///
/// ```
/// use yat_core::secret::sanitize;
/// assert_eq!(sanitize("  'sk-1'\n"), "sk-1");
/// assert_eq!(sanitize("\" spaced \""), "spaced");
/// assert_eq!(sanitize("it's"), "it's");
/// ```
pub fn sanitize(value: &str) -> &str {
    let v = value.trim();
    let unquoted = v
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')));
    match unquoted {
        Some(inner) => inner.trim(),
        None => v,
    }
}

/// Whether a setting named `key` is a credential, for values that come
/// without a declared kind: `api_key`, `*_key`, `*_token`, `*secret*`,
/// `*password*` are; `max_tokens` and other counts are not.
pub(crate) fn is_credential_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("key")
        || key.ends_with("token")
        || key.contains("secret")
        || key.contains("password")
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_value() {
        let s = Secret::new("sk-planted-123");
        assert!(!format!("{s}").contains("planted"));
        assert!(!format!("{s:?}").contains("planted"));
        assert!(!format!("{s:#?}").contains("planted"));
        assert!(!serde_json::to_string(&s).unwrap().contains("planted"));
    }

    #[test]
    fn credential_names_are_told_from_counts() {
        for key in [
            "api_key",
            "API_KEY",
            "auth_token",
            "client_secret",
            "db_password",
        ] {
            assert!(is_credential_name(key), "{key}");
        }
        for key in ["max_tokens", "base_url", "timeout", "keys_file"] {
            assert!(!is_credential_name(key), "{key}");
        }
    }

    #[test]
    fn trims_whitespace_and_quotes() {
        assert_eq!(Secret::new(" 'k' ").expose(), "k");
        assert_eq!(Secret::new("\"k\"").expose(), "k");
        assert_eq!(Secret::new("\"k'").expose(), "\"k'");
        assert_eq!(Secret::new("\t\n").expose(), "");
        assert!(Secret::new("\"\"").is_empty());
    }
}
