//! A provider's own account of a failure.

/// What a provider said went wrong: who, the HTTP status if any, its words,
/// and the id the vendor gave the request (what its support asks for).
///
/// ```
/// use yat_core::{Failure, YatError};
/// let f = Failure::http("acme", 401, "invalid key").with_request_id("req_123");
/// assert_eq!(f.to_string(), "(HTTP 401) invalid key (request id req_123)");
/// let e = YatError::Authentication(f);
/// assert_eq!(e.to_string(), "acme: authentication failed (HTTP 401) invalid key (request id req_123)");
/// assert_eq!(e.status(), Some(401));
/// assert_eq!(e.request_id(), Some("req_123"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// Provider id (`openai`, `mock`, ...).
    pub provider: String,
    /// HTTP status, for HTTP providers.
    pub status: Option<u16>,
    /// The provider's message (or ours, when the provider sent none).
    pub message: String,
    /// The vendor's id for the failed request (a `request-id` /
    /// `x-request-id` header, or a field of the error body), when it sent one.
    pub request_id: Option<String>,
}

impl Failure {
    /// A failure without an HTTP status.
    pub fn new(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            provider: provider.into(),
            status: None,
            message: message.into(),
            request_id: None,
        }
    }
    /// A failure that came with an HTTP status.
    pub fn http(provider: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Failure {
            status: Some(status),
            ..Failure::new(provider, message)
        }
    }
    /// A failure whose body could not be read as the API's error shape (a
    /// proxy's HTML page, a truncated body): the message is a short excerpt
    /// of what came back, or says there was none.
    ///
    /// ```
    /// use yat_core::Failure;
    /// let f = Failure::unreadable_body("acme", 502, b"<html>Bad Gateway</html>");
    /// assert_eq!(f.to_string(), "(HTTP 502) unexpected error body: <html>Bad Gateway</html>");
    /// assert_eq!(Failure::unreadable_body("acme", 500, b"").message, "no error body");
    /// ```
    pub fn unreadable_body(provider: impl Into<String>, status: u16, body: &[u8]) -> Self {
        let message = if body.iter().all(u8::is_ascii_whitespace) {
            "no error body".to_owned()
        } else {
            format!(
                "unexpected error body: {}",
                super::build::excerpt(body, 200).trim()
            )
        };
        Failure::http(provider, status, message)
    }
    /// The same failure, with the vendor's id for the request. A blank id
    /// is ignored.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        let id = id.trim();
        if !id.is_empty() {
            self.request_id = Some(id.to_owned());
        }
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = self.status {
            write!(f, "(HTTP {s}) ")?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}
