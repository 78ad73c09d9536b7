//! The one place HTTP happens: a lazily built reqwest client per provider
//! instance, timeouts, retries, status checking, and the loop that turns a
//! response body into chat events through an adapter's [`StreamDecoder`].

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;
use yat_core::{ChatEvent, ChatStream, Failure, ResolvedSettings, Secret, TimeoutPhase, YatError};

use super::error_map::{classify, ErrorBody};
use super::retry::RetryPolicy;
use super::sse::{SseDecoder, SseEvent};

/// Timeouts and retries of one provider instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// From sending the request to the response headers.
    pub first_byte_timeout: Duration,
    /// Between two reads of a streaming body.
    pub idle_timeout: Duration,
    /// Retries before the first event.
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(90),
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpOptions {
    /// Reads the shared HTTP settings ([`super::CONNECT_TIMEOUT`] and friends)
    /// from `settings`, keeping the defaults for what is not set.
    pub fn from_settings(settings: &ResolvedSettings) -> Result<Self, YatError> {
        let mut o = HttpOptions::default();
        let secs = |key: &str| -> Result<Option<Duration>, YatError> {
            let Some(v) = settings.get_f64(key)? else {
                return Ok(None);
            };
            // `try_from` also refuses a value too large for a `Duration`
            // (`1e30`), on which `from_secs_f64` panicked.
            match Duration::try_from_secs_f64(v) {
                Ok(d) if v > 0.0 => Ok(Some(d)),
                _ => Err(YatError::InvalidSetting {
                    provider: settings.provider().to_owned(),
                    key: key.to_owned(),
                    message: "must be a positive number of seconds".into(),
                }),
            }
        };
        if let Some(d) = secs("connect_timeout")? {
            o.connect_timeout = d;
        }
        if let Some(d) = secs("first_byte_timeout")? {
            o.first_byte_timeout = d;
        }
        if let Some(d) = secs("idle_timeout")? {
            o.idle_timeout = d;
        }
        if let Some(n) = settings.get_u64("max_retries")? {
            o.retry.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
        }
        Ok(o)
    }
}

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
fn is_credential(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization" | "x-api-key" | "x-goog-api-key" | "api-key" | "proxy-authorization"
    )
}

/// Turns SSE events into chat events: the provider-specific half of streaming.
pub trait StreamDecoder: Send + 'static {
    /// Handles one SSE event, pushing zero or more chat events. Returns
    /// [`Step::Done`] at the API's end marker.
    fn decode(
        &mut self,
        event: &SseEvent<'_>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<Step, YatError>;

    /// Called when the body ends before [`Step::Done`]. Most APIs have an end
    /// marker, so this is usually a truncation error; Gemini's stream simply
    /// ends, and its decoder emits the finish here.
    fn end_of_body(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError>;
}

/// What the decoder saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep reading.
    Continue,
    /// The API's end marker: stop reading.
    Done,
}

/// Reads a provider's error body into an [`ErrorBody`].
pub type ErrorParser = fn(&[u8]) -> ErrorBody;

/// The HTTP side of one provider instance.
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
        YatError::Network {
            provider: self.provider.to_string(),
            message,
        }
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
            if is_credential(name) {
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

    /// Starts a streaming chat: sends `req`, checks the response, and reads
    /// until the first text (or the end) is decoded, retrying failures up to
    /// that point. The returned stream yields what follows.
    pub async fn stream(
        &self,
        req: &HttpRequest,
        new_decoder: impl Fn() -> Box<dyn StreamDecoder>,
    ) -> Result<ChatStream, YatError> {
        let live = self
            .with_retries(|| async {
                let resp = self.send(req).await?;
                let resp = self.expect_event_stream(resp).await?;
                let mut live = LiveStream {
                    provider: self.provider.clone(),
                    idle: self.options.idle_timeout,
                    body: Box::pin(resp.bytes_stream()),
                    unfed: bytes::Bytes::new(),
                    idle_timer: None,
                    waiting: false,
                    sse: SseDecoder::new(),
                    decoder: new_decoder(),
                    out: VecDeque::with_capacity(8),
                    state: State::Reading,
                    secret: None,
                };
                live.prime().await?;
                Ok(live)
            })
            .await
            .map_err(|e| self.scrub(e))?;
        Ok(Box::pin(LiveStream {
            secret: self.secret.clone(),
            ..live
        }))
    }

    /// A 200 that is not an event stream (an HTML page from a proxy, a JSON
    /// error from a gateway) is an error, not an empty reply.
    async fn expect_event_stream(
        &self,
        resp: reqwest::Response,
    ) -> Result<reqwest::Response, YatError> {
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.is_empty() || ct.starts_with("text/event-stream") {
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
            format!("expected an event stream, got {ct:?}"),
            &body,
        ))
    }
}

/// Removes a key, and any masked prefix of it (`sk-abc***`), from `text`.
pub fn redact_text(text: &str, secret: &Secret) -> String {
    let key = secret.expose();
    let mut out = text.replace(key, "[redacted]");
    if out.contains('*') {
        out = out
            .split(' ')
            .map(|word| {
                // OpenAI shows keys as `sk-abc***wxyz`: a prefix, stars,
                // and sometimes the last characters.
                let Some((stem, rest)) = word.split_once('*') else {
                    return word;
                };
                let tail = rest
                    .trim_start_matches('*')
                    .trim_end_matches(['.', ',', ';', ')']);
                if stem.len() >= 3 && key.starts_with(stem) && key.ends_with(tail) {
                    "[redacted]"
                } else {
                    word
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    out
}

fn redact_error(e: YatError, secret: &Secret) -> YatError {
    use YatError::*;
    let r = |s: String| redact_text(&s, secret);
    let f = |mut f: Failure| {
        f.message = redact_text(&f.message, secret);
        f
    };
    match e {
        Authentication(x) => Authentication(f(x)),
        Permission(x) => Permission(f(x)),
        ModelNotFound(x) => ModelNotFound(f(x)),
        QuotaExhausted(x) => QuotaExhausted(f(x)),
        ContextLengthExceeded(x) => ContextLengthExceeded(f(x)),
        InvalidRequest(x) => InvalidRequest(f(x)),
        Server(x) => Server(f(x)),
        ContentBlocked(x) => ContentBlocked(f(x)),
        RateLimited {
            failure,
            retry_after,
        } => RateLimited {
            failure: f(failure),
            retry_after,
        },
        Overloaded {
            failure,
            retry_after,
        } => Overloaded {
            failure: f(failure),
            retry_after,
        },
        Network { provider, message } => Network {
            provider,
            message: r(message),
        },
        MalformedResponse {
            provider,
            message,
            excerpt,
        } => MalformedResponse {
            provider,
            message: r(message),
            excerpt: r(excerpt),
        },
        other => other,
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Eof,
    Done,
}

/// The most the SSE decoder is fed at once (see `LiveStream::unfed`).
const FEED_PIECE: usize = 16 * 1024;

/// A response body as the network delivers it.
type BodyStream = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// A running stream: the body, the SSE decoder, the provider's decoder and
/// the chat events decoded but not yet handed out.
///
/// It is a hand-written [`Stream`]: an event already decoded is returned
/// straight from the queue, with no future built or moved per event, and
/// the body is read (under the idle timeout) only when everything already
/// received has been decoded.
struct LiveStream {
    provider: Arc<str>,
    idle: Duration,
    body: BodyStream,
    /// What the body delivered and the SSE decoder has not been fed yet.
    /// It is fed [`FEED_PIECE`] bytes at a time, so that the decoder's
    /// buffer stays small however much one read returns (HTTP/1 reads grow
    /// to hundreds of KiB on a fast stream) and the bytes are decoded while
    /// still in cache.
    unfed: bytes::Bytes,
    /// The idle timeout, created on the first wait and re-armed at the
    /// start of each later one (not per read: most reads are ready).
    idle_timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The body returned `Pending` and nothing arrived since: the idle
    /// timer is running.
    waiting: bool,
    sse: SseDecoder,
    decoder: Box<dyn StreamDecoder>,
    out: VecDeque<ChatEvent>,
    state: State,
    /// Scrubbed from the errors the stream yields.
    secret: Option<Arc<Secret>>,
}

fn malformed_sse(provider: &str, e: super::sse::SseError) -> YatError {
    YatError::MalformedResponse {
        provider: provider.to_owned(),
        message: format!("broken event stream: {e}"),
        excerpt: String::new(),
    }
}

impl LiveStream {
    /// Reads until a delta or a finish is queued, or the stream ends. Usage
    /// that arrives first (Anthropic's `message_start`) stays queued, so a
    /// retry of a stream that failed before any text cannot duplicate it.
    async fn prime(&mut self) -> Result<(), YatError> {
        loop {
            if self.out.iter().any(|e| !matches!(e, ChatEvent::Usage(_)))
                || self.state == State::Done
            {
                return Ok(());
            }
            std::future::poll_fn(|cx| self.poll_fill(cx)).await?;
        }
    }

    /// Decodes buffered SSE events, or reads more bytes, queueing whatever
    /// chat events result. Ready after some progress.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), YatError>> {
        // Decode everything already buffered before touching the network.
        loop {
            let ev = match self.sse.next_event() {
                None => break,
                Some(Err(e)) => return Poll::Ready(Err(malformed_sse(&self.provider, e))),
                Some(Ok(ev)) => ev,
            };
            if self.decoder.decode(&ev, &mut self.out)? == Step::Done {
                self.state = State::Done;
                return Poll::Ready(Ok(()));
            }
            if !self.out.is_empty() {
                return Poll::Ready(Ok(()));
            }
        }
        if !self.unfed.is_empty() {
            let piece = self.unfed.split_to(self.unfed.len().min(FEED_PIECE));
            self.sse.feed(&piece);
            return Poll::Ready(Ok(()));
        }
        if self.state == State::Eof {
            if let Some(last) = self.sse.finish() {
                let ev = last.map_err(|e| malformed_sse(&self.provider, e))?;
                if self.decoder.decode(&ev, &mut self.out)? == Step::Done {
                    self.state = State::Done;
                    return Poll::Ready(Ok(()));
                }
            }
            self.state = State::Done;
            return Poll::Ready(self.decoder.end_of_body(&mut self.out));
        }
        match self.body.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.waiting = false;
                self.unfed = bytes;
            }
            Poll::Ready(Some(Err(e))) => {
                return Poll::Ready(Err(YatError::Network {
                    provider: self.provider.to_string(),
                    message: format!(
                        "connection lost mid-stream: {}",
                        source_chain(&e.without_url())
                    ),
                }))
            }
            Poll::Ready(None) => {
                self.waiting = false;
                self.state = State::Eof;
            }
            Poll::Pending => {
                let deadline = tokio::time::Instant::now() + self.idle;
                let timer = match &mut self.idle_timer {
                    Some(timer) => {
                        if !self.waiting {
                            timer.as_mut().reset(deadline);
                        }
                        timer
                    }
                    None => self
                        .idle_timer
                        .insert(Box::pin(tokio::time::sleep_until(deadline))),
                };
                self.waiting = true;
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(YatError::Timeout {
                        provider: self.provider.to_string(),
                        phase: TimeoutPhase::Idle,
                        after: self.idle,
                    }));
                }
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl Stream for LiveStream {
    type Item = Result<ChatEvent, YatError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(ev) = this.out.pop_front() {
                return Poll::Ready(Some(Ok(ev)));
            }
            if this.state == State::Done {
                return Poll::Ready(None);
            }
            match this.poll_fill(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    this.state = State::Done;
                    this.out.clear();
                    let e = match &this.secret {
                        Some(s) => redact_error(e, s),
                        None => e,
                    };
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_timeouts_are_invalid_settings_not_panics() {
        // Found by fuzz/fuzz_targets/config_json.rs: a timeout of 1.3e25 s
        // in provider_config.json panicked in `Duration::from_secs_f64`.
        for bad in [
            "12999999999999999999999990.5",
            "1e30",
            "inf",
            "NaN",
            "0",
            "-1",
        ] {
            let s = ResolvedSettings::from_pairs("p", &[("first_byte_timeout", bad)]);
            match HttpOptions::from_settings(&s) {
                Err(YatError::InvalidSetting { key, .. }) => assert_eq!(key, "first_byte_timeout"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let s = ResolvedSettings::from_pairs(
            "p",
            &[("idle_timeout", "1e9"), ("connect_timeout", "0.5")],
        );
        let o = HttpOptions::from_settings(&s).unwrap();
        assert_eq!(o.idle_timeout, Duration::from_secs(1_000_000_000));
        assert_eq!(o.connect_timeout, Duration::from_millis(500));
    }

    #[test]
    fn redaction_removes_the_key_and_its_masked_forms() {
        let key = Secret::new("sk-test-planted-0123456789");
        let text = "bad key sk-test-planted-0123456789; shown as sk-test***6789. or sk-tes*** (x)";
        let out = redact_text(text, &key);
        assert!(!out.contains("planted"), "{out}");
        assert!(!out.contains("sk-te"), "{out}");
        assert_eq!(out.matches("[redacted]").count(), 3, "{out}");
    }

    #[test]
    fn redaction_leaves_other_starred_words_alone() {
        let key = Secret::new("sk-test-planted-0123456789");
        let text = "a **bold** word and sk-other***1234 and sk-test***0000";
        assert_eq!(redact_text(text, &key), text);
    }
}
