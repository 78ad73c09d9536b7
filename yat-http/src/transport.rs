//! The one place HTTP happens: a lazily built reqwest client per provider
//! instance, timeouts, status checking, and transport errors that name what
//! failed and keep their cause. Retries are not here: the manager applies
//! one policy to every provider's chat. The body of a streamed
//! reply is read by the live stream (`live.rs`: the idle timeout, the
//! scrubbing of errors) into a [`DecodeDriver`](crate::DecodeDriver),
//! which decodes it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use yat_core::{ChatStream, Secret, TimeoutPhase, YatError};

use crate::driver::StreamDecoder;
use crate::error_map::{classify, ErrorBody};
use crate::framing::Framing;
use crate::live::LiveStream;
use crate::options::HttpOptions;
use crate::redact::redact_error;
use crate::request::HttpRequest;

/// Reads a provider's error body into an [`ErrorBody`].
pub type ErrorParser = fn(&[u8]) -> ErrorBody;

/// The HTTP side of one provider instance: sends its requests with the
/// timeouts of its [`HttpOptions`], maps failed responses to
/// errors with its [`ErrorParser`], and scrubs its key from every error.
/// The client is built on the first request and shared by every request
/// after it (one connection pool per provider instance).
pub struct Transport {
    provider: Arc<str>,
    options: HttpOptions,
    parse_error: ErrorParser,
    client: OnceLock<reqwest::Client>,
    secret: Option<Arc<Secret>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("provider", &self.provider)
            .field("options", &self.options)
            .field("client_built", &self.client.get().is_some())
            .finish()
    }
}

/// Error bodies are read up to this size; beyond it they are cut.
const MAX_ERROR_BODY: usize = 64 * 1024;

impl Transport {
    /// A transport for `provider`. No client is built until the first request.
    pub fn new(provider: &str, options: HttpOptions, parse_error: ErrorParser) -> Self {
        Transport {
            provider: provider.into(),
            options,
            parse_error,
            client: OnceLock::new(),
            secret: None,
        }
    }

    /// Scrubs `secret` (and the masked prefixes of it that some APIs echo,
    /// like `sk-abc***`) from every error this transport returns.
    pub fn redacting(mut self, secret: Option<Secret>) -> Self {
        self.secret = secret.filter(|s| !s.is_empty()).map(Arc::new);
        self
    }

    fn scrub(&self, e: YatError) -> YatError {
        match &self.secret {
            Some(s) => redact_error(e, s),
            None => e,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Whether the client has been built (it is built on first use).
    pub fn client_built(&self) -> bool {
        self.client.get().is_some()
    }

    fn client(&self) -> Result<&reqwest::Client, YatError> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let built = reqwest::Client::builder()
            .connect_timeout(self.options.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("yat/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                let e = e.without_url();
                self.network(format!("cannot build the HTTP client: {}", root_cause(&e)))
                    .with_source(e)
            })?;
        Ok(self.client.get_or_init(|| built))
    }

    fn network(&self, message: String) -> YatError {
        YatError::network(&*self.provider, message)
    }

    fn timeout(&self, phase: TimeoutPhase, after: Duration) -> YatError {
        YatError::Timeout {
            provider: self.provider.to_string(),
            phase,
            after,
        }
    }

    fn to_reqwest(&self, req: &HttpRequest) -> Result<reqwest::Request, YatError> {
        let client = self.client()?;
        let mut headers = HeaderMap::with_capacity(req.headers.len());
        for (name, value) in &req.headers {
            let mut v = HeaderValue::from_str(value).map_err(|_| YatError::InvalidSetting {
                provider: self.provider.to_string(),
                key: name.as_str().to_owned(),
                // Never echo the value: it may be a key.
                message: "contains characters not allowed in an HTTP header".into(),
            })?;
            if req.is_secret(name) {
                v.set_sensitive(true);
            }
            headers.append(name.clone(), v);
        }
        let mut b = client
            .request(req.method.clone(), &req.url)
            .headers(headers);
        if let Some(body) = &req.body {
            b = b.body(body.clone());
        }
        b.build().map_err(|e| YatError::InvalidSetting {
            provider: self.provider.to_string(),
            key: "base_url".into(),
            message: format!("cannot build a request: {}", e.without_url()),
        })
    }

    /// A failure to send: the message names the URL (without its query,
    /// which may hold a key) and what went wrong; the reqwest error, without
    /// its URL, stays reachable as the cause.
    fn map_send_error(&self, req: &HttpRequest, e: reqwest::Error) -> YatError {
        let e = e.without_url();
        if e.is_timeout() && e.is_connect() {
            return self.timeout(TimeoutPhase::Connect, self.options.connect_timeout);
        }
        let message = if e.is_connect() {
            connect_failure(&shown_url(&req.url), &e)
        } else {
            format!("request failed: {}", root_cause(&e))
        };
        self.network(message).with_source(e)
    }

    /// Sends `req` and waits for the response headers, within the first-byte
    /// timeout. Non-2xx responses are mapped to errors here.
    async fn send(&self, req: &HttpRequest) -> Result<reqwest::Response, YatError> {
        let request = self.to_reqwest(req)?;
        let client = self.client()?;
        let resp = tokio::time::timeout(self.options.first_byte_timeout, client.execute(request))
            .await
            .map_err(|_| self.timeout(TimeoutPhase::FirstByte, self.options.first_byte_timeout))?
            .map_err(|e| self.map_send_error(req, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let body = self
            .read_bounded(resp, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let parsed = (self.parse_error)(&body);
        Err(classify(
            &self.provider,
            status.as_u16(),
            &headers,
            &body,
            parsed,
        ))
    }

    async fn read_bounded(
        &self,
        mut resp: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, YatError> {
        let mut body = Vec::new();
        loop {
            let chunk = tokio::time::timeout(self.options.idle_timeout, resp.chunk())
                .await
                .map_err(|_| self.timeout(TimeoutPhase::Idle, self.options.idle_timeout))?
                .map_err(|e| {
                    let e = e.without_url();
                    self.network(format!("reading the response failed: {}", root_cause(&e)))
                        .with_source(e)
                })?;
            match chunk {
                None => return Ok(body),
                Some(c) => {
                    let room = limit.saturating_sub(body.len());
                    body.extend_from_slice(&c[..c.len().min(room)]);
                    if body.len() >= limit {
                        return Ok(body);
                    }
                }
            }
        }
    }

    /// GETs (or POSTs) `req` and parses the JSON response (a model list).
    ///
    /// One attempt: retrying is the caller's policy. A chat is retried by
    /// [`ProviderManager`](yat_core::ProviderManager) before its first
    /// output, for every provider alike; a listing is cheap to ask again
    /// and is not retried here, so that `max_retries` means one thing in
    /// one place. A caller that wants retries wraps the call in a loop on
    /// [`RetryPolicy::delay`](yat_core::retry::RetryPolicy::delay).
    pub async fn json<T: DeserializeOwned>(&self, req: &HttpRequest) -> Result<T, YatError> {
        let result = async {
            let resp = self.send(req).await?;
            let body = self.read_bounded(resp, 32 * 1024 * 1024).await?;
            serde_json::from_slice(&body).map_err(|e| {
                YatError::malformed(
                    self.provider.to_string(),
                    format!("invalid JSON: {e}"),
                    &body,
                )
            })
        }
        .await;
        result.map_err(|e| self.scrub(e))
    }

    /// Starts a streaming chat: sends `req`, checks the response (its status,
    /// and a content type that `framing` [accepts](Framing::accepts)), and
    /// returns the stream of its body through `decoder` as soon as the
    /// headers are checked. Dropping the stream closes the connection.
    ///
    /// Nothing here waits for the first event or retries: a failure before
    /// the first output is the stream's first item, and
    /// [`ProviderManager`](yat_core::ProviderManager) reads to the first
    /// output and retries by its one policy, for every provider alike.
    pub async fn stream(
        &self,
        req: &HttpRequest,
        framing: Framing,
        decoder: Box<dyn StreamDecoder>,
    ) -> Result<ChatStream, YatError> {
        let started = async {
            let resp = self.send(req).await?;
            self.expect_stream(resp, framing).await
        }
        .await;
        let resp = started.map_err(|e| self.scrub(e))?;
        let live = LiveStream::new(
            self.provider.clone(),
            self.options.idle_timeout,
            resp,
            framing,
            decoder,
        );
        Ok(Box::pin(live.redacting(self.secret.clone())))
    }

    /// A 200 that is not a stream of `framing` (an HTML page from a proxy, a
    /// JSON error from a gateway) is an error, not an empty reply.
    async fn expect_stream(
        &self,
        resp: reqwest::Response,
        framing: Framing,
    ) -> Result<reqwest::Response, YatError> {
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if framing.accepts(&ct) {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = self.read_bounded(resp, MAX_ERROR_BODY).await?;
        if ct.contains("json") {
            let parsed = (self.parse_error)(&body);
            if parsed.message.is_some() {
                // A gateway that reports an error with a 200: classify it by
                // its body, as a server error unless the body says otherwise.
                let e = classify(&self.provider, 500, &headers, &body, parsed);
                tracing::debug!(provider = %self.provider, status, "error body with a success status");
                return Err(e);
            }
        }
        Err(YatError::malformed(
            self.provider.to_string(),
            format!("expected {}, got {ct:?}", framing.noun()),
            &body,
        ))
    }
}

/// The innermost error of `e`'s source chain: what actually happened (an
/// OS error, a DNS failure), under the layers of the HTTP stack that wrap it.
pub(crate) fn root_cause<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> &'e (dyn std::error::Error + 'static) {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur
}

/// Whether `e`'s source chain holds a refused connection.
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// The message of a connection that could not be made to `url`.
fn connect_failure(url: &str, e: &(dyn std::error::Error + 'static)) -> String {
    if refused(e) {
        // Nothing listens there: most often a local server not started, or
        // a wrong port in `base_url`.
        format!("cannot connect to {url} (connection refused): is the server running?")
    } else {
        format!("cannot connect to {url}: {}", root_cause(e))
    }
}

/// `url` as an error may show it: without credentials, query or fragment
/// (a key may ride in any of them).
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            // Both only fail for URLs that cannot have them.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "the configured URL".to_owned(),
    }
}
