//! What the manager, routing, retry and tool-loop tests share: one in-test
//! provider whose every duty is scripted by the test, the streams it answers
//! with, and a manager that reads nothing from the machine.
//!
//! Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use yat_core::manager::ManagerBuilder;
use yat_core::routing::{stream_with_fallback, FallbackError, Routed};
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatResponse, ChatStream, ChatStreamExt,
    ConfigLocation, Failure, Finish, FinishReason, LlmProvider, Message, ModelInfo, ModelRef,
    ProviderConfig, ProviderManager, ProviderStatus, ResolvedSettings, YatError,
};

/// What a scripted provider's chat hook is told.
pub struct Call<'a> {
    /// The provider's id.
    pub id: &'static str,
    /// 1 for the first chat of this provider, 2 for the next, ... (over every
    /// instance, when the attempts are counted in a static).
    pub attempt: usize,
    /// The request, as the provider received it.
    pub request: &'a ChatRequest,
    /// What `initialize` was given.
    pub settings: &'a ResolvedSettings,
}

impl Call<'_> {
    /// The text of the last message: what the test asked for.
    pub fn prompt(&self) -> String {
        self.request
            .messages
            .last()
            .map(|m| m.text().into_owned())
            .unwrap_or_default()
    }
}

type InitHook = Box<dyn Fn(&ResolvedSettings) -> Result<(), YatError> + Send + Sync>;
type ListHook = Box<dyn Fn(&'static str) -> Result<Vec<ModelInfo>, YatError> + Send + Sync>;
type ChatHook = Box<dyn Fn(Call<'_>) -> Result<ChatStream, YatError> + Send + Sync>;

/// Where a provider counts its chats: its own counter, or a static one a
/// test reads after the manager built and dropped its instances.
enum Attempts {
    Own(AtomicUsize),
    Shared(&'static AtomicUsize),
}

/// A provider that does what the test says in each duty and records every
/// request. Without a chat hook it answers with the replies queued with
/// [`reply`](Self::reply), in order, and fails once they run out.
pub struct Scripted {
    id: &'static str,
    init: Option<InitHook>,
    list: Option<ListHook>,
    chat: Option<ChatHook>,
    capabilities: Capabilities,
    attempts: Attempts,
    settings: ResolvedSettings,
    queued: Mutex<VecDeque<ChatStream>>,
    requests: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    /// A provider that initializes, lists one model `m` and has nothing to say.
    pub fn new(id: &'static str) -> Self {
        Scripted {
            id,
            init: None,
            list: None,
            chat: None,
            capabilities: Capabilities::default(),
            attempts: Attempts::Own(AtomicUsize::new(0)),
            settings: ResolvedSettings::default(),
            queued: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// A provider that answers request N with the N-th of `replies`.
    pub fn replying(replies: Vec<Vec<Result<ChatEvent, YatError>>>) -> Self {
        let s = Scripted::new("scripted");
        for events in replies {
            s.reply(replay(events));
        }
        s
    }

    /// `initialize` runs this (after which the settings reach the chat hook).
    pub fn on_init(
        mut self,
        hook: impl Fn(&ResolvedSettings) -> Result<(), YatError> + Send + Sync + 'static,
    ) -> Self {
        self.init = Some(Box::new(hook));
        self
    }

    /// `list_models` runs this, given the provider's id.
    pub fn on_list(
        mut self,
        hook: impl Fn(&'static str) -> Result<Vec<ModelInfo>, YatError> + Send + Sync + 'static,
    ) -> Self {
        self.list = Some(Box::new(hook));
        self
    }

    /// `stream_chat` runs this.
    pub fn on_chat(
        mut self,
        hook: impl Fn(Call<'_>) -> Result<ChatStream, YatError> + Send + Sync + 'static,
    ) -> Self {
        self.chat = Some(Box::new(hook));
        self
    }

    /// What the provider claims.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Counts chats in `counter` instead of in this instance.
    pub fn counting(mut self, counter: &'static AtomicUsize) -> Self {
        self.attempts = Attempts::Shared(counter);
        self
    }

    /// Boxed, as a constructor returns it.
    pub fn boxed(self) -> Result<Box<dyn LlmProvider>, YatError> {
        Ok(Box::new(self))
    }

    /// Queues the answer to the next request that has none yet.
    pub fn reply(&self, stream: ChatStream) {
        self.queued.lock().unwrap().push_back(stream);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// The last request received.
    #[track_caller]
    pub fn last_request(&self) -> ChatRequest {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("no request was sent")
    }

    fn attempts(&self) -> &AtomicUsize {
        match &self.attempts {
            Attempts::Own(n) => n,
            Attempts::Shared(n) => n,
        }
    }
}

#[async_trait]
impl LlmProvider for Scripted {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        if let Some(hook) = &self.init {
            hook(settings)?;
        }
        self.settings = settings.clone();
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        match &self.list {
            Some(hook) => hook(self.id),
            None => Ok(vec![ModelInfo::new(self.id, "m")]),
        }
    }

    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        self.requests.lock().unwrap().push(request.clone());
        let attempt = self.attempts().fetch_add(1, Ordering::SeqCst) + 1;
        match &self.chat {
            Some(hook) => hook(Call {
                id: self.id,
                attempt,
                request,
                settings: &self.settings,
            }),
            None => self
                .queued
                .lock()
                .unwrap()
                .pop_front()
                .ok_or_else(|| YatError::network(self.id, "no more scripted replies")),
        }
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }
}

/// A stream of exactly these items.
pub fn replay(items: Vec<Result<ChatEvent, YatError>>) -> ChatStream {
    Box::pin(futures::stream::iter(items))
}

/// A stream of these events.
pub fn events(events: Vec<ChatEvent>) -> ChatStream {
    replay(events.into_iter().map(Ok).collect())
}

/// A stream of these events, then this error.
pub fn then_fail(events: Vec<ChatEvent>, error: YatError) -> ChatStream {
    replay(events.into_iter().map(Ok).chain([Err(error)]).collect())
}

/// A text delta.
pub fn text(t: &str) -> ChatEvent {
    ChatEvent::Delta { text: t.into() }
}

/// `pieces` as deltas, then a finish for this reason.
pub fn text_then(pieces: &[&str], reason: FinishReason) -> ChatStream {
    replay(
        pieces
            .iter()
            .map(|p| Ok(text(p)))
            .chain([Ok(ChatEvent::Finish(Finish::reason(reason)))])
            .collect(),
    )
}

/// A well-behaved stream that waits before each of `pieces`, so that a test
/// can act while it runs, then finishes.
pub fn slow(pieces: Vec<String>) -> ChatStream {
    Box::pin(
        futures::stream::iter(pieces)
            .then(|t| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(ChatEvent::Delta { text: t })
            })
            .chain(futures::stream::iter([Ok(ChatEvent::Finish(Finish::new(
                FinishReason::Stop,
                "stop",
            )))])),
    )
}

/// A stream that yields one delta `a`, then panics with `payload` when
/// polled again.
pub fn panics_after_one_delta<P: std::any::Any + Send + 'static>(payload: P) -> ChatStream {
    let mut payload = Some(payload);
    let mut delta_sent = false;
    Box::pin(futures::stream::poll_fn(move |_| {
        if !delta_sent {
            delta_sent = true;
            return std::task::Poll::Ready(Some(Ok(text("a"))));
        }
        std::panic::panic_any(payload.take().expect("never polled after its panic"))
    }))
}

/// A 503 from provider `id`.
pub fn unavailable(id: &str, message: impl Into<String>) -> YatError {
    YatError::Server(Failure::http(id, 503, message))
}

/// A manager builder over this environment and an empty configuration: no
/// file and no variable of the machine running the tests is read.
pub fn builder(env: &[(&str, &str)]) -> ManagerBuilder {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProviderManager::builder()
        .env(env)
        .config(ProviderConfig::default())
}

/// A manager builder that reads the configuration from `path` and the `.env`
/// files beside it, and no variable of the machine running the tests.
pub fn at_config_file(path: &Path) -> ManagerBuilder {
    let dir = path.parent().expect("a file in a directory");
    ProviderManager::builder()
        .env(BTreeMap::new())
        .location(ConfigLocation::for_file(path.to_path_buf(), dir))
}

/// [`builder`], built.
pub async fn manager(env: &[(&str, &str)]) -> ProviderManager {
    builder(env).build().await.expect("manager builds")
}

/// A one-message request for model `m`.
pub fn ask(prompt: &str) -> ChatRequest {
    ChatRequest::new("m", vec![Message::user(prompt)])
}

/// A model reference, `provider/model`.
pub fn m(s: &str) -> ModelRef {
    s.parse().unwrap()
}

/// Why provider `id` failed; panics unless it did.
#[track_caller]
pub fn failed_reason(m: &ProviderManager, id: &str) -> String {
    match m.info(id).unwrap().status {
        ProviderStatus::Failed { reason } => reason,
        other => panic!("{id}: expected failed, got {other:?}"),
    }
}

/// Reads a chat whose provider panics after one delta: the panic's message,
/// once the stream has yielded the delta, the panic as an error, and then
/// nothing more (a panicked stream is never polled again).
pub async fn panic_message_of(mut s: ChatStream) -> String {
    assert!(matches!(s.next().await, Some(Ok(ChatEvent::Delta { .. }))));
    let message = match s.next().await {
        Some(Err(YatError::ProviderPanicked { message, .. })) => message,
        other => panic!("expected the provider's panic, got {other:?}"),
    };
    assert!(
        s.next().await.is_none(),
        "a panicked stream is never polled again"
    );
    message
}

/// The error with which provider `id` refuses to start a chat on `req`.
pub async fn refusal(m: &ProviderManager, id: &str, req: &ChatRequest) -> YatError {
    match m.stream_chat(id, req).await {
        Ok(_) => panic!("{id} started a chat it should have refused"),
        Err(e) => e,
    }
}

/// The router over `candidates` (`provider/model` each) for a one-message
/// request that names no model: each candidate's chat names its own.
pub async fn route(m: &ProviderManager, candidates: &[&str]) -> Result<Routed, FallbackError> {
    let candidates: Vec<ModelRef> = candidates.iter().map(|c| self::m(c)).collect();
    let request = ChatRequest::new("", vec![Message::user("hi")]);
    stream_with_fallback(m, &candidates, &request).await
}

/// The whole reply of provider `id` to `req`, which must succeed.
pub async fn answer(m: &ProviderManager, id: &str, req: &ChatRequest) -> ChatResponse {
    m.stream_chat(id, req)
        .await
        .unwrap_or_else(|e| panic!("{id} refused: {e}"))
        .collect_response()
        .await
        .unwrap_or_else(|e| panic!("{id} failed: {e}"))
}
