//! The one place HTTP happens: a lazily built reqwest client per provider
//! instance, timeouts, retries and status checking. The body of a streamed
//! reply is read by the live stream (`live.rs`: the idle timeout, the
//! scrubbing of errors) into a [`DecodeDriver`](crate::DecodeDriver),
//! which decodes it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

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
/// timeouts and retries of its [`HttpOptions`], maps failed responses to
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
                self.network(format!("cannot build the HTTP client: {}", e.without_url()))
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

    fn map_send_error(&self, e: reqwest::Error) -> YatError {
        let e = e.without_url();
        if e.is_timeout() && e.is_connect() {
            return self.timeout(TimeoutPhase::Connect, self.options.connect_timeout);
        }
        if e.is_connect() {
            return self.network(format!("cannot connect: {}", source_chain(&e)));
        }
        self.network(source_chain(&e))
    }

    /// Sends `req` and waits for the response headers, within the first-byte
    /// timeout. Non-2xx responses are mapped to errors here.
    async fn send(&self, req: &HttpRequest) -> Result<reqwest::Response, YatError> {
        let request = self.to_reqwest(req)?;
        let client = self.client()?;
        let resp = tokio::time::timeout(self.options.first_byte_timeout, client.execute(request))
            .await
            .map_err(|_| self.timeout(TimeoutPhase::FirstByte, self.options.first_byte_timeout))?
            .map_err(|e| self.map_send_error(e))?;
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
                .map_err(|e| self.network(source_chain(&e.without_url())))?;
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

    /// Runs `attempt` with the retry policy. Errors after the first event
    /// never come through here, so a retry can never duplicate output.
    async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T, YatError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, YatError>>,
    {
        let start = Instant::now();
        let mut retry = 0;
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => match self.options.retry.delay(retry, &e, start.elapsed()) {
                    Some(wait) => {
                        // The error may quote the key (a gateway's 5xx body
                        // echoing it): only its scrubbed form is logged.
                        let shown = self.scrub(e.clone());
                        tracing::debug!(provider = %self.provider, error = %shown, ?wait, retry, "retrying");
                        tokio::time::sleep(wait).await;
                        retry += 1;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    /// GETs (or POSTs) `req` and parses the JSON response, with retries.
    pub async fn json<T: DeserializeOwned>(&self, req: &HttpRequest) -> Result<T, YatError> {
        let result = self
            .with_retries(|| async {
                let resp = self.send(req).await?;
                let body = self.read_bounded(resp, 32 * 1024 * 1024).await?;
                serde_json::from_slice(&body).map_err(|e| {
                    YatError::malformed(
                        self.provider.to_string(),
                        format!("invalid JSON: {e}"),
                        &body,
                    )
                })
            })
            .await;
        result.map_err(|e| self.scrub(e))
    }

    /// Starts a streaming chat: sends `req`, checks the response (its status,
    /// and a content type that `framing` [accepts](Framing::accepts)), and
    /// reads until the first text (or the end) is decoded, retrying failures
    /// up to that point. The returned stream yields what follows; dropping
    /// it closes the connection.
    ///
    /// `new_decoder` makes a fresh decoder for each attempt, so a retry
    /// starts from a clean state.
    pub async fn stream(
        &self,
        req: &HttpRequest,
        framing: Framing,
        new_decoder: impl Fn() -> Box<dyn StreamDecoder>,
    ) -> Result<ChatStream, YatError> {
        let live = self
            .with_retries(|| async {
                let resp = self.send(req).await?;
                let resp = self.expect_stream(resp, framing).await?;
                let mut live = LiveStream::new(
                    self.provider.clone(),
                    self.options.idle_timeout,
                    resp,
                    framing,
                    new_decoder(),
                );
                live.prime().await?;
                Ok(live)
            })
            .await
            .map_err(|e| self.scrub(e))?;
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

/// `e` and its sources, each once, joined by `: `.
pub(crate) fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}
