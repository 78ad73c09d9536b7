//! Building errors: constructors that keep the shape of a variant (its
//! excerpt limit, its cause) in one place.

use std::path::PathBuf;
use std::sync::Arc;

use super::YatError;

impl YatError {
    /// Builds a [`YatError::MalformedResponse`] with at most 200 characters
    /// of `received` (lossily decoded, cut on a character boundary, `…`
    /// when cut): enough to recognise what arrived, never a whole body.
    ///
    /// ```
    /// use yat_core::YatError;
    /// let e = YatError::malformed("acme", "not JSON", b"<html>502 Bad Gateway</html>");
    /// assert_eq!(
    ///     e.to_string(),
    ///     "acme: malformed response: not JSON (received: \"<html>502 Bad Gateway</html>\")"
    /// );
    /// ```
    pub fn malformed(
        provider: impl Into<String>,
        message: impl Into<String>,
        received: &[u8],
    ) -> Self {
        YatError::MalformedResponse {
            provider: provider.into(),
            message: message.into(),
            excerpt: excerpt(received, 200),
        }
    }

    /// Builds a [`YatError::Network`] error; attach the transport's error
    /// with [`YatError::with_source`].
    ///
    /// ```
    /// use std::error::Error;
    /// use yat_core::YatError;
    /// let cause = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    /// let e = YatError::network("acme", "connection lost mid-stream").with_source(cause);
    /// assert_eq!(e.to_string(), "acme: network error: connection lost mid-stream");
    /// assert_eq!(e.source().unwrap().to_string(), "reset by peer");
    /// ```
    pub fn network(provider: impl Into<String>, message: impl Into<String>) -> Self {
        YatError::Network {
            provider: provider.into(),
            message: message.into(),
            source: None,
        }
    }

    /// Builds a [`YatError::Io`] error about `path`; attach the OS error
    /// with [`YatError::with_source`].
    pub fn io(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        YatError::Io {
            path: path.into(),
            message: message.into(),
            source: None,
        }
    }

    /// The same error with `cause` as its [`source`](std::error::Error::source),
    /// for the variants that keep one ([`YatError::Network`],
    /// [`YatError::Io`]); any other error is returned unchanged.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        if let YatError::Network { source, .. } | YatError::Io { source, .. } = &mut self {
            *source = Some(Arc::new(cause));
        }
        self
    }
}

/// The first `max_chars` characters of `bytes`, lossily decoded, with `…` when cut.
/// Other crates get it through [`YatError::malformed`] and
/// [`Failure::unreadable_body`](super::Failure::unreadable_body).
pub(crate) fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(max_chars * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out: String = text.chars().take(max_chars).collect();
    if out.len() < bytes.len() {
        out.push('…');
    }
    out
}
