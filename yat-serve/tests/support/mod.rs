//! What the gateway's integration tests share: a gateway started in
//! process on 127.0.0.1 over a temporary config directory with one key
//! ([`Setup`], [`Running`]), the two wire formats as a raw HTTP client
//! sees them ([`Format`]), an SSE body read back into frames, yat's own
//! OpenAI and Anthropic providers pointed at the gateway, and a tracing
//! subscriber that keeps every event for the request-log checks.

// Each test file compiles this module on its own and uses a part of it.
#![allow(dead_code)]

pub mod capture;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yat_core::retry::RetryPolicy;
use yat_core::{ConfigLocation, LlmProvider, ProviderManager, ResolvedSettings, YatError};
use yat_providers::anthropic::Anthropic;
use yat_providers::openai::{presets, OpenAiCompatible};
use yat_serve::keys::{KeyStore, KEYS_FILE_NAME};
use yat_serve::Gateway;

/// The longest any one step of a test may take: past it, a hang fails
/// the test instead of blocking the suite.
pub const LIMIT: Duration = Duration::from_secs(10);

/// `fut`, or a panic naming `what` if it takes longer than [`LIMIT`].
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: nothing within {LIMIT:?} (a hang)"),
    }
}

/// Polls `check` every 20 ms until it returns `Some`, up to [`LIMIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A gateway about to start: its `provider_config.json`, the `.env` beside
/// it (upstream keys), and who may call it.
pub struct Setup {
    config: Value,
    dotenv: String,
    open: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            config: json!({ "providers": [] }),
            dotenv: String::new(),
            open: false,
        }
    }
}

impl Setup {
    /// The `serve` object of the config file.
    pub fn serve(self, serve: Value) -> Self {
        self.set("serve", serve)
    }

    /// A top-level field of the config file (`aliases`, `fallbacks`).
    pub fn set(mut self, key: &str, value: Value) -> Self {
        self.config[key] = value;
        self
    }

    /// A provider entry with these setting values.
    pub fn provider(mut self, id: &str, settings: &[(&str, &str)]) -> Self {
        let settings: Vec<Value> = settings
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect();
        self.config["providers"]
            .as_array_mut()
            .expect("providers is a list")
            .push(json!({ "id": id, "settings": settings }));
        self
    }

    /// A variable in the `.env` beside the config file (an upstream key).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.dotenv.push_str(&format!("{name}={value}\n"));
        self
    }

    /// Serve without keys.
    pub fn open_access(mut self) -> Self {
        self.open = true;
        self
    }

    /// The gateway over these files, not yet serving.
    pub async fn build(self) -> Built {
        let dir = tempfile::tempdir().unwrap();
        let config_file = dir.path().join("provider_config.json");
        std::fs::write(&config_file, self.config.to_string()).unwrap();
        std::fs::write(dir.path().join(".env"), &self.dotenv).unwrap();
        let keys = KeyStore::new(dir.path().join(KEYS_FILE_NAME));
        let (_, key) = keys.create("tests", None).unwrap();
        // No process environment (a developer's OPENAI_API_KEY must not
        // turn a provider on) and no retries (a failure shows at once).
        let manager = ProviderManager::builder()
            .location(ConfigLocation::for_file(config_file, dir.path()))
            .env(BTreeMap::new())
            .retry_policy(RetryPolicy::none())
            .build()
            .await
            .unwrap();
        let builder = Gateway::builder(manager);
        let builder = if self.open {
            builder.open_access()
        } else {
            builder.keys(keys)
        };
        Built {
            gateway: builder.build().await.unwrap(),
            key,
            dir,
        }
    }

    /// The gateway serving on an ephemeral loopback port.
    pub async fn start(self) -> Running {
        let built = self.build().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        built.serve_on(listener)
    }
}

/// A gateway built over its temporary directory.
pub struct Built {
    pub gateway: Arc<Gateway>,
    /// The secret of the key named `tests`.
    pub key: String,
    pub dir: tempfile::TempDir,
}

impl Built {
    /// Serves on `listener` until [`Running::shutdown`] or drop.
    pub fn serve_on(self, listener: tokio::net::TcpListener) -> Running {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(yat_serve::serve(listener, self.gateway.clone(), async {
            let _ = stopped.await;
        }));
        Running {
            url,
            key: self.key,
            gateway: self.gateway,
            dir: self.dir,
            http: reqwest::Client::new(),
            stop: Some(stop),
            served: Some(served),
        }
    }
}

/// A gateway serving on 127.0.0.1.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// A valid gateway key (named `tests`).
    pub key: String,
    pub gateway: Arc<Gateway>,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<Result<(), YatError>>>,
}

impl Running {
    /// The gateway's `provider_config.json`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("provider_config.json")
    }

    /// The gateway's keys file.
    pub fn keys(&self) -> KeyStore {
        KeyStore::new(self.dir.path().join(KEYS_FILE_NAME))
    }

    /// Replaces the config file (the gateway picks it up on its own).
    pub fn write_config(&self, config: &Value) {
        // Through a rename, as an editor or `yat config` saves: the
        // gateway never reads half a file.
        let tmp = self.dir.path().join("provider_config.json.tmp");
        std::fs::write(&tmp, config.to_string()).unwrap();
        std::fs::rename(&tmp, self.config_file()).unwrap();
    }

    /// `method path` with the gateway key as a bearer token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    /// A chat request of `format` with `body`, key included.
    pub async fn chat(&self, format: Format, body: &Value) -> reqwest::Response {
        bounded(
            "a chat request",
            format
                .headers(self.request(reqwest::Method::POST, format.path()))
                .json(body)
                .send(),
        )
        .await
        .expect("the gateway answers")
    }

    /// `format`'s one-message request for `model` saying `text`.
    pub async fn say(
        &self,
        format: Format,
        model: &str,
        text: &str,
        stream: bool,
    ) -> reqwest::Response {
        self.chat(format, &format.body(model, text, stream)).await
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let r = bounded(
            "metrics",
            self.request(reqwest::Method::GET, "/metrics").send(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    /// The value of one series (`name{labels}` exactly as rendered), or 0
    /// when it has not been written yet.
    pub async fn metric(&self, series: &str) -> f64 {
        metric_value(&self.metrics().await, series)
    }

    /// Waits until no stream is open (the slot and the gauge are freed
    /// when a reply's body is dropped, a moment after the client goes).
    pub async fn wait_streams_closed(&self) {
        eventually("streams in flight back to 0", || async {
            (self.metric("yat_gateway_streams_in_flight").await == 0.0).then_some(())
        })
        .await
    }

    /// Asks the gateway to stop and waits for `serve` to return.
    pub fn begin_shutdown(&mut self) -> JoinHandle<Result<(), YatError>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.served.take().expect("serving")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(served) = self.served.take() {
            served.abort();
        }
    }
}

/// The value of `series` in Prometheus text `text` (0 when absent).
pub fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

/// The two wire formats, as a plain HTTP client speaks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenAi,
    Anthropic,
}

impl Format {
    pub const BOTH: [Format; 2] = [Format::OpenAi, Format::Anthropic];

    pub fn path(self) -> &'static str {
        match self {
            Format::OpenAi => "/v1/chat/completions",
            Format::Anthropic => "/v1/messages",
        }
    }

    /// The headers a client of this format sends besides its key.
    pub fn headers(self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Format::OpenAi => r,
            Format::Anthropic => r.header("anthropic-version", "2023-06-01"),
        }
    }

    /// A one-message request for `model` saying `text`.
    pub fn body(self, model: &str, text: &str, stream: bool) -> Value {
        let mut body = json!({
            "model": model,
            "messages": [{ "role": "user", "content": text }],
            "stream": stream,
        });
        match self {
            Format::OpenAi => body["stream_options"] = json!({ "include_usage": stream }),
            Format::Anthropic => body["max_tokens"] = json!(1024),
        }
        body
    }

    /// The error's type in an error body of this format.
    pub fn error_type(self, body: &Value) -> String {
        let kind = match self {
            Format::OpenAi => &body["error"]["type"],
            Format::Anthropic => {
                assert_eq!(body["type"], "error", "not an Anthropic error: {body}");
                &body["error"]["type"]
            }
        };
        kind.as_str()
            .unwrap_or_else(|| panic!("no error type in {body}"))
            .to_owned()
    }

    /// The error's message (Anthropic's has no `param`; the field's path
    /// starts the message instead).
    pub fn error_message(self, body: &Value) -> String {
        body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {body}"))
            .to_owned()
    }

    /// The text of a whole (non-streaming) reply.
    pub fn reply_text(self, body: &Value) -> String {
        match self {
            Format::OpenAi => body["choices"][0]["message"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            Format::Anthropic => body["content"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect(),
        }
    }

    /// The text deltas of a streamed reply.
    pub fn streamed_text(self, frames: &[Frame]) -> String {
        frames
            .iter()
            .filter_map(|f| {
                let v = f.json()?;
                match self {
                    Format::OpenAi => v["choices"][0]["delta"]["content"]
                        .as_str()
                        .map(str::to_owned),
                    Format::Anthropic => (v["type"] == "content_block_delta"
                        && v["delta"]["type"] == "text_delta")
                        .then(|| v["delta"]["text"].as_str().unwrap_or_default().to_owned()),
                }
            })
            .collect()
    }

    /// The in-stream error event of a streamed reply, if there is one.
    pub fn stream_error(self, frames: &[Frame]) -> Option<Value> {
        frames.iter().find_map(|f| {
            let v = f.json()?;
            let is_error = match self {
                Format::OpenAi => v.get("error").is_some(),
                Format::Anthropic => f.event.as_deref() == Some("error") && v["type"] == "error",
            };
            is_error.then_some(v)
        })
    }

    /// Whether a streamed reply ended the way a complete one does
    /// (`[DONE]`; `message_stop`).
    pub fn completed(self, frames: &[Frame]) -> bool {
        match self {
            Format::OpenAi => frames.last().is_some_and(|f| f.data == "[DONE]"),
            Format::Anthropic => frames
                .last()
                .is_some_and(|f| f.event.as_deref() == Some("message_stop")),
        }
    }
}

/// One SSE event: its `event:` name and its `data:`.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }
}

/// The events of an SSE text (comments and keep-alives dropped).
pub fn parse_sse(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            (event.is_some() || !data.is_empty()).then(|| Frame {
                event,
                data: data.join("\n"),
            })
        })
        .collect()
}

/// A streamed response read to its end, as frames.
pub async fn read_sse(response: reqwest::Response) -> Vec<Frame> {
    assert_eq!(response.status(), 200, "a stream starts with 200");
    let text = bounded("the stream's end", response.text())
        .await
        .expect("the stream ends cleanly");
    parse_sse(&text)
}

/// The next piece of a body that goes on, as text.
pub async fn next_text(response: &mut reqwest::Response) -> String {
    let piece = bounded("the next piece", response.chunk())
        .await
        .expect("the body goes on")
        .expect("the body has not ended");
    String::from_utf8(piece.to_vec()).expect("UTF-8")
}

/// The rest of a body, as text, up to its end or the connection's.
pub async fn rest_text(response: &mut reqwest::Response) -> String {
    let mut text = String::new();
    while let Ok(Some(piece)) = bounded("the body's end", response.chunk()).await {
        text.push_str(std::str::from_utf8(&piece).expect("UTF-8"));
    }
    text
}

/// A response's JSON body, with its status.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = bounded("a body", response.text()).await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}), status {status}: {text}"));
    (status, body)
}

/// yat's own OpenAI provider, pointed at the gateway with its key.
pub async fn openai_client(gw: &Running) -> OpenAiCompatible {
    let mut p = OpenAiCompatible::new(presets::openai::PRESET.profile());
    let base = format!("{}/v1", gw.url);
    p.initialize(&ResolvedSettings::from_pairs(
        "openai",
        &[("api_key", gw.key.as_str()), ("base_url", base.as_str())],
    ))
    .await
    .unwrap();
    p
}

/// yat's own Anthropic provider, pointed at the gateway with its key.
pub async fn anthropic_client(gw: &Running) -> Anthropic {
    let mut p = Anthropic::default();
    p.initialize(&ResolvedSettings::from_pairs(
        "anthropic",
        &[("api_key", gw.key.as_str()), ("base_url", gw.url.as_str())],
    ))
    .await
    .unwrap();
    p
}

/// Both of yat's clients of the gateway, by name.
pub async fn clients(gw: &Running) -> Vec<(&'static str, Box<dyn LlmProvider>)> {
    vec![
        ("openai", Box::new(openai_client(gw).await)),
        ("anthropic", Box::new(anthropic_client(gw).await)),
    ]
}
