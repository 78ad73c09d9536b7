//! A request an adapter builds without I/O, for the transport to send.

use reqwest::header::{HeaderName, CONTENT_TYPE};
use reqwest::Method;
use yat_core::YatError;

/// A request an adapter wants sent: pure data, built without I/O. Its
/// `Debug` shows credential headers as `[redacted]`.
#[derive(Clone)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Headers; credentials are marked sensitive when converted.
    pub headers: Vec<(HeaderName, String)>,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A GET of `url`.
    pub fn get(url: String) -> Self {
        HttpRequest {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
        }
    }
    /// A POST of `body` serialized as JSON.
    pub fn post_json(url: String, body: &impl serde::Serialize) -> Result<Self, YatError> {
        let body = serde_json::to_vec(body).map_err(|e| {
            YatError::InvalidRequest(yat_core::Failure::new(
                "yat",
                format!("cannot encode the request: {e}"),
            ))
        })?;
        Ok(HttpRequest {
            method: Method::POST,
            url,
            headers: vec![(CONTENT_TYPE, "application/json".into())],
            body: Some(body),
        })
    }
    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// The JSON body, parsed (for tests of request builders).
    pub fn json_body(&self) -> serde_json::Value {
        self.body
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_credential(name) {
                    "[redacted]"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body.as_deref().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Whether a header carries a credential and must never be logged.
pub(crate) fn is_credential(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization" | "x-api-key" | "x-goog-api-key" | "api-key" | "proxy-authorization"
    )
}
