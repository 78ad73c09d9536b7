//! A request an adapter builds without I/O, for the transport to send.

use reqwest::header::{HeaderName, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use yat_core::{Secret, YatError};

/// A request an adapter wants sent: pure data, built without I/O, so a
/// provider's request builder is tested without a socket.
///
/// Credentials go on with [`bearer_auth`](Self::bearer_auth) or
/// [`secret_header`](Self::secret_header): such a header is marked
/// sensitive on the wire (HTTP/2 never indexes it) and shows as
/// `[redacted]` in `Debug`, as do the usual credential headers
/// (`authorization`, `x-api-key`, `x-goog-api-key`, `api-key`) however
/// they were added.
///
/// ```
/// use yat_core::Secret;
/// use yat_http::header::HeaderName;
/// use yat_http::HttpRequest;
///
/// let key = Secret::new("sk-very-secret");
/// let req = HttpRequest::post_json("https://api.example/v1/chat".into(), &serde_json::json!({"a": 1}))?
///     .bearer_auth(&key)
///     .secret_header(HeaderName::from_static("x-zeta-key"), &key);
/// let shown = format!("{req:?}");
/// assert!(!shown.contains("very-secret"), "{shown}");
/// assert_eq!(req.json_body()["a"], 1);
/// # Ok::<(), yat_core::YatError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Headers; credentials are marked sensitive when converted.
    pub headers: Vec<(HeaderName, String)>,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
    /// Headers added as secrets, whatever their name.
    secret_names: Vec<HeaderName>,
}

impl HttpRequest {
    /// A request of `method` for `url`, with no headers and no body.
    pub fn new(method: Method, url: String) -> Self {
        HttpRequest {
            method,
            url,
            headers: Vec::new(),
            body: None,
            secret_names: Vec::new(),
        }
    }

    /// A GET of `url`.
    pub fn get(url: String) -> Self {
        Self::new(Method::GET, url)
    }
    /// A POST of `body` serialized as JSON.
    pub fn post_json(url: String, body: &impl serde::Serialize) -> Result<Self, YatError> {
        let body = serde_json::to_vec(body).map_err(|e| {
            YatError::InvalidRequest(yat_core::Failure::new(
                "yat",
                format!("cannot encode the request: {e}"),
            ))
        })?;
        let mut req = Self::new(Method::POST, url).header(CONTENT_TYPE, "application/json");
        req.body = Some(body);
        Ok(req)
    }
    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// Adds `Authorization: Bearer <key>`, as a secret.
    pub fn bearer_auth(self, key: &Secret) -> Self {
        let value = format!("Bearer {}", key.expose());
        self.secret_value(AUTHORIZATION, value)
    }
    /// Adds the header `name` with the value `key`, as a secret.
    pub fn secret_header(self, name: HeaderName, key: &Secret) -> Self {
        let value = key.expose().to_owned();
        self.secret_value(name, value)
    }
    fn secret_value(mut self, name: HeaderName, value: String) -> Self {
        if !is_credential(&name) && !self.secret_names.contains(&name) {
            self.secret_names.push(name.clone());
        }
        self.header(name, value)
    }
    /// Whether the header `name` carries a credential: it is sent marked
    /// sensitive and never shown.
    pub fn is_secret(&self, name: &HeaderName) -> bool {
        is_credential(name) || self.secret_names.contains(name)
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
                let shown = if self.is_secret(name) {
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

/// Whether a header, by its name, carries a credential.
fn is_credential(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization" | "x-api-key" | "x-goog-api-key" | "api-key" | "proxy-authorization"
    )
}
