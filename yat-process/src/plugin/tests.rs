//! The runtime in process, over in-memory pipes, with providers that
//! misbehave in ways the mock does not: panics, secrets in errors,
//! re-initialization while a chat runs.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream;
use serde_json::{json, Value};
use tokio::io::{AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};
use yat_core::{
    async_trait, ChatEvent, ChatRequest, ChatStream, Failure, LlmProvider, ModelInfo,
    ResolvedSettings, SettingSpec, YatError,
};

use super::{serve_io, PluginError, PluginMeta};
use crate::protocol::LineReader;

/// Instances built so far, to tell a fresh instance from a reused one.
static BUILT: AtomicUsize = AtomicUsize::new(0);

struct Wild {
    key: String,
    generation: usize,
}

fn build() -> Result<Box<dyn LlmProvider>, YatError> {
    Ok(Box::new(Wild {
        key: String::new(),
        generation: BUILT.fetch_add(1, Ordering::SeqCst),
    }))
}

#[async_trait]
impl LlmProvider for Wild {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        if settings.get("panic").is_some() {
            panic!("initialize blew up");
        }
        self.key = settings.get("api_key").unwrap_or_default().to_owned();
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        panic!("list_models blew up")
    }
    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        let generation = self.generation;
        match req.model.as_str() {
            "panic-start" => panic!("stream_chat blew up"),
            "leak" => Err(YatError::Authentication(Failure::http(
                "wild",
                401,
                format!("key {} rejected", self.key),
            ))),
            "panic-mid" => Ok(Box::pin(stream::iter(0..3).map(|i| {
                if i == 2 {
                    panic!("the stream blew up");
                }
                Ok(ChatEvent::Delta {
                    text: i.to_string(),
                })
            }))),
            "generation" => Ok(yat_core::stream::from_text(
                "wild",
                vec![generation.to_string()],
            )),
            _ => Ok(Box::pin(stream::pending())),
        }
    }
}

use futures::StreamExt as _;

const SETTINGS: &[SettingSpec] = &[SettingSpec::secret("api_key", "API key", &["WILD_KEY"])];

struct Host {
    to: WriteHalf<DuplexStream>,
    from: LineReader<BufReader<ReadHalf<DuplexStream>>>,
    served: tokio::task::JoinHandle<Result<(), PluginError>>,
}

impl Host {
    async fn start(constructor: bool) -> Host {
        let (host_end, plugin_end) = tokio::io::duplex(64 * 1024);
        let (plugin_in, plugin_out) = tokio::io::split(plugin_end);
        let (host_in, host_out) = tokio::io::split(host_end);
        let mut meta = PluginMeta::new("wild", "Wild").settings(SETTINGS);
        if constructor {
            meta.constructor = Some(build);
        }
        let served = tokio::spawn(serve_io(
            build().unwrap(),
            meta,
            BufReader::new(plugin_in),
            plugin_out,
        ));
        let mut h = Host {
            to: host_out,
            from: LineReader::new(BufReader::new(host_in)),
            served,
        };
        h.send(json!({"op": "hello", "protocol": [1], "host": "t"}))
            .await;
        assert_eq!(h.recv().await["op"], "hello");
        h
    }
    async fn send(&mut self, v: Value) {
        self.to
            .write_all(format!("{v}\n").as_bytes())
            .await
            .unwrap();
    }
    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), self.from.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        serde_json::from_slice(line).unwrap()
    }
    async fn init(&mut self, settings: Value) -> Value {
        self.send(json!({"op": "initialize", "id": "i", "settings": settings}))
            .await;
        self.recv().await
    }
    async fn chat(&mut self, id: &str, model: &str) {
        self.send(json!({"op": "chat", "id": id, "request": {"model": model, "messages": [{"role": "user", "content": "x"}]}}))
            .await;
    }
}

#[tokio::test]
async fn a_panic_fails_only_its_request_as_internal() {
    let mut h = Host::start(true).await;
    assert_eq!(h.init(json!({})).await, json!({"op": "result", "id": "i"}));
    h.chat("pending", "forever").await;
    h.chat("p1", "panic-start").await;
    assert_eq!(
        h.recv().await,
        json!({"op": "error", "id": "p1", "error": {"kind": "internal", "message": "panicked: stream_chat blew up"}})
    );
    h.chat("p2", "panic-mid").await;
    assert_eq!(
        h.recv().await,
        json!({"op": "event", "id": "p2", "event": {"type": "delta", "text": "0"}})
    );
    assert_eq!(
        h.recv().await,
        json!({"op": "event", "id": "p2", "event": {"type": "delta", "text": "1"}})
    );
    assert_eq!(
        h.recv().await,
        json!({"op": "error", "id": "p2", "error": {"kind": "internal", "message": "panicked: the stream blew up"}})
    );
    h.send(json!({"op": "list_models", "id": "p3"})).await;
    assert_eq!(
        h.recv().await["error"]["message"],
        "panicked: list_models blew up"
    );
    // The chat that never ends is still there, and cancellable.
    h.send(json!({"op": "cancel", "id": "pending"})).await;
    assert_eq!(h.recv().await["error"]["kind"], "cancelled");
    // A panicking initialize leaves the provider failed, not the plugin.
    assert_eq!(
        h.init(json!({"panic": "1"})).await,
        json!({"op": "error", "id": "i", "error": {"kind": "internal", "message": "panicked: initialize blew up"}})
    );
    h.chat("after", "generation").await;
    assert_eq!(h.recv().await["error"]["kind"], "internal");
    h.send(json!({"op": "shutdown"})).await;
    h.served.await.unwrap().unwrap();
}

#[tokio::test]
async fn secret_setting_values_never_leave_the_plugin_in_an_error() {
    let mut h = Host::start(true).await;
    h.init(json!({"api_key": "sk-very-secret-123"})).await;
    h.chat("1", "leak").await;
    let e = h.recv().await;
    assert_eq!(e["error"]["message"], "key [redacted] rejected");
    assert_eq!(e["error"]["status"], 401);
}

#[tokio::test]
async fn re_initialization_builds_a_fresh_instance_and_running_chats_keep_theirs() {
    let mut h = Host::start(true).await;
    h.init(json!({})).await;
    h.chat("old", "forever").await;
    h.chat("g1", "generation").await;
    let g1 = h.recv().await["event"]["text"]
        .as_str()
        .unwrap()
        .parse::<usize>()
        .unwrap();
    h.recv().await; // finish
    h.recv().await; // end
    assert_eq!(h.init(json!({"api_key": "k2"})).await["op"], "result");
    h.chat("g2", "generation").await;
    let g2 = h.recv().await["event"]["text"]
        .as_str()
        .unwrap()
        .parse::<usize>()
        .unwrap();
    assert!(
        g2 > g1,
        "a fresh instance serves after re-initialization ({g1} then {g2})"
    );
    h.recv().await;
    h.recv().await;
    // The chat started on the old instance is still running.
    h.send(json!({"op": "cancel", "id": "old"})).await;
    assert_eq!(
        h.recv().await,
        json!({"op": "error", "id": "old", "error": {"kind": "cancelled", "message": "cancelled"}})
    );
}

#[tokio::test]
async fn without_a_constructor_the_instance_is_re_initialized_in_place() {
    let mut h = Host::start(false).await;
    h.init(json!({})).await;
    h.chat("g1", "generation").await;
    let g1 = h.recv().await["event"]["text"].clone();
    h.recv().await;
    h.recv().await;
    assert_eq!(h.init(json!({})).await["op"], "result");
    h.chat("g2", "generation").await;
    assert_eq!(h.recv().await["event"]["text"], g1);
}

#[tokio::test]
async fn the_end_of_input_ends_the_session_cleanly() {
    let Host { to, from, served } = Host::start(true).await;
    // Both halves: the pipe closes only when the host's whole end is gone.
    drop((to, from));
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), served).await;
    done.expect("the session ends").unwrap().unwrap();
}
