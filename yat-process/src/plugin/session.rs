//! One plugin session: the loop that reads the host's lines and answers
//! them, and the state the request tasks share.

// An `ErrorObject` is built once per failed request and sent as it is:
// boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt as _;
use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use yat_core::{LlmProvider, ResolvedSettings, SettingKind, YatError};

use super::{chat, writer, PluginError, PluginMeta};
use crate::protocol::{
    negotiate, CodecError, DecodeError, ErrorKind, ErrorObject, HostMessage, LineReader,
    PluginMessage,
};

/// Messages waiting for the writer. Bounded, so a host that stops reading
/// stops the chats (each waits on its next send) instead of growing memory.
const QUEUE: usize = 256;

/// Where the provider instance stands.
enum Readiness {
    /// Built, `initialize` not received yet.
    Uninitialized,
    Ready,
    /// The last `initialize` failed (or panicked): why.
    Failed(YatError),
}

struct Slot {
    /// `None` only while `initialize` works on the instance in place.
    provider: Option<Arc<dyn LlmProvider>>,
    readiness: Readiness,
    /// Whether `provider` has been initialized once (a later `initialize`
    /// then wants a fresh instance, when there is a constructor).
    used: bool,
}

/// What the session's tasks share.
pub(super) struct Shared {
    pub(super) meta: PluginMeta,
    slot: Mutex<Slot>,
    /// The running chats, by id: the sender that cancels each.
    chats: Mutex<HashMap<String, oneshot::Sender<()>>>,
    /// The secret values of the current settings, scrubbed from every
    /// error message before it leaves the plugin.
    secrets: Mutex<Vec<String>>,
    pub(super) out: mpsc::Sender<PluginMessage>,
}

impl Shared {
    /// The provider, if it is ready; else why not, as an error to answer with.
    pub(super) fn provider(&self) -> Result<Arc<dyn LlmProvider>, ErrorObject> {
        let slot = lock(&self.slot);
        match (&slot.readiness, &slot.provider) {
            (_, None) => Err(ErrorObject::new(
                ErrorKind::Unavailable,
                "re-initializing: the host sent new settings",
            )),
            (Readiness::Ready, Some(p)) => Ok(p.clone()),
            (Readiness::Uninitialized, _) => Err(ErrorObject::new(
                ErrorKind::Unavailable,
                "not initialized: the host has sent no `initialize` yet",
            )),
            (Readiness::Failed(e), _) => Err(self.wire_error(e)),
        }
    }

    /// `e` on the wire, with every secret value of the settings replaced.
    pub(super) fn wire_error(&self, e: &YatError) -> ErrorObject {
        let mut o = ErrorObject::from_yat(e);
        for secret in lock(&self.secrets).iter() {
            if o.message.contains(secret.as_str()) {
                o.message = o.message.replace(secret.as_str(), "[redacted]");
            }
        }
        o
    }

    /// A panic's payload as an `internal` error.
    pub(super) fn panic_error(&self, payload: &(dyn std::any::Any + Send)) -> ErrorObject {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_owned());
        self.wire_error(&YatError::ProviderPanicked {
            provider: self.meta.id.clone(),
            message,
        })
    }

    /// Forgets chat `id`; whether it was still running (then the caller
    /// owns its terminator).
    pub(super) fn forget_chat(&self, id: &str) -> bool {
        lock(&self.chats).remove(id).is_some()
    }

    async fn send(&self, msg: PluginMessage) {
        // Fails only when the writer is gone; the loop notices that itself.
        let _ = self.out.send(msg).await;
    }

    async fn answer_error(&self, id: Option<String>, error: ErrorObject) {
        self.send(PluginMessage::Error { id, error }).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing holds these locks across a panic point: a poisoned one is
    // still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How the loop ended.
enum Exit {
    /// `shutdown` or the end of the input.
    Done,
    /// The host's `hello` offered no version we speak.
    Unsupported(Vec<u32>),
}

/// Serves `provider` over any pair of pipes: reads the host's lines from
/// `input`, writes the answers to `output`. Returns on `shutdown` or at
/// the end of `input` (running chats are dropped, which cancels them), or
/// with [`PluginError::UnsupportedProtocol`] after telling a host it has
/// no version in common with.
pub async fn serve_io<R, W>(
    provider: Box<dyn LlmProvider>,
    meta: PluginMeta,
    input: R,
    output: W,
) -> Result<(), PluginError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE);
    let mut writer = tokio::spawn(writer::run(rx, output));
    let shared = Arc::new(Shared {
        meta,
        slot: Mutex::new(Slot {
            provider: Some(Arc::from(provider)),
            readiness: Readiness::Uninitialized,
            used: false,
        }),
        chats: Mutex::new(HashMap::new()),
        secrets: Mutex::new(Vec::new()),
        out: tx,
    });
    let mut tasks = JoinSet::new();
    let mut reader = LineReader::new(input);
    let mut greeted = false;
    let exit = loop {
        tokio::select! {
            line = reader.next_line() => {
                let line = match line {
                    Ok(Some(line)) => line,
                    Ok(None) => break Ok(Exit::Done),
                    Err(CodecError::TooLong { len }) => {
                        tracing::warn!(len, "skipped a line over the protocol's limit");
                        continue;
                    }
                    Err(e) => break Err(PluginError::Io(e)),
                };
                match HostMessage::decode(line) {
                    Ok(msg) => {
                        if let Some(exit) = handle(&shared, &mut tasks, &mut greeted, msg).await {
                            break Ok(exit);
                        }
                    }
                    Err(e) => refuse(&shared, e).await,
                }
            }
            // Reap finished request tasks so the set does not grow.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            done = &mut writer => {
                // The host closed our stdout: nobody is listening.
                break match done {
                    Ok(Err(e)) => Err(PluginError::Io(e)),
                    _ => Ok(Exit::Done),
                };
            }
        }
    };
    tasks.abort_all();
    match exit {
        Ok(Exit::Unsupported(offered)) => {
            // Let the writer send the refusal: it stops once every sender
            // is gone, and no request task exists before the handshake.
            drop(shared);
            let _ = writer.await;
            Err(PluginError::UnsupportedProtocol { offered })
        }
        other => {
            writer.abort();
            other.map(|_| ())
        }
    }
}

/// Answers a line that is not a message: with an error for its request
/// when it names one, else only a log line (the host cannot be answered
/// about a request it did not name).
async fn refuse(shared: &Shared, e: DecodeError) {
    tracing::warn!(error = %e, "ignored a line from the host");
    if let Some(id) = e.id() {
        let id = id.to_owned();
        shared
            .answer_error(
                Some(id),
                ErrorObject::new(ErrorKind::InvalidRequest, e.to_string()),
            )
            .await;
    }
}

async fn handle(
    shared: &Arc<Shared>,
    tasks: &mut JoinSet<()>,
    greeted: &mut bool,
    msg: HostMessage,
) -> Option<Exit> {
    match msg {
        HostMessage::Hello { protocol, host } => {
            let Some(version) = negotiate(&protocol) else {
                let error = ErrorObject::new(
                    ErrorKind::UnsupportedProtocol,
                    format!(
                        "this plugin speaks protocol {}; the host offers {protocol:?}",
                        crate::protocol::PROTOCOL_VERSION
                    ),
                );
                shared.answer_error(None, error).await;
                return Some(Exit::Unsupported(protocol));
            };
            tracing::debug!(%host, version, "handshake");
            let mut hello = {
                let slot = lock(&shared.slot);
                let caps = slot.provider.as_ref().map(|p| p.capabilities());
                shared.meta.hello(caps)
            };
            hello.protocol = version;
            *greeted = true;
            shared.send(PluginMessage::Hello(hello)).await;
        }
        HostMessage::Shutdown => return Some(Exit::Done),
        other if !*greeted => {
            if let Some(id) = other.id() {
                let error = ErrorObject::new(ErrorKind::InvalidRequest, "expected `hello` first");
                shared.answer_error(Some(id.to_owned()), error).await;
            }
        }
        HostMessage::Initialize { id, settings } => {
            let answer = initialize(shared, settings).await;
            shared
                .send(match answer {
                    Ok(()) => PluginMessage::Result { id, models: None },
                    Err(error) => PluginMessage::Error {
                        id: Some(id),
                        error,
                    },
                })
                .await;
        }
        HostMessage::ListModels { id } => {
            tasks.spawn(chat::list_models(shared.clone(), id));
        }
        HostMessage::Chat { id, request } => {
            let (cancel_tx, cancel_rx) = oneshot::channel();
            let duplicate = lock(&shared.chats).insert(id.clone(), cancel_tx).is_some();
            if duplicate {
                tracing::warn!(%id, "a chat id was reused while its chat runs");
            }
            tasks.spawn(chat::run(shared.clone(), id, request, cancel_rx));
        }
        HostMessage::Cancel { id } => {
            if let Some(cancel) = lock(&shared.chats).remove(&id) {
                let _ = cancel.send(());
            }
        }
        // Variants a later version adds are refused like unknown ops.
        #[allow(unreachable_patterns)]
        other => {
            if let Some(id) = other.id() {
                let error = ErrorObject::new(ErrorKind::InvalidRequest, "unsupported op");
                shared.answer_error(Some(id.to_owned()), error).await;
            }
        }
    }
    None
}

/// Applies new settings: initializes a fresh instance (or, without a
/// constructor, this one in place), and swaps it in. Chats already running
/// keep the streams they have.
async fn initialize(
    shared: &Shared,
    settings: BTreeMap<String, String>,
) -> Result<(), ErrorObject> {
    let meta = &shared.meta;
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resolved = ResolvedSettings::from_pairs(&meta.id, &pairs);
    *lock(&shared.secrets) = secret_values(meta, &settings);

    let fresh = {
        let slot = lock(&shared.slot);
        match meta.constructor {
            Some(ctor) if slot.used => Some(ctor),
            _ => None,
        }
    };
    let mut provider: Arc<dyn LlmProvider> = match fresh {
        Some(ctor) => match AssertUnwindSafe(async { ctor() }).catch_unwind().await {
            Ok(Ok(p)) => Arc::from(p),
            Ok(Err(e)) => return Err(fail(shared, e)),
            Err(panic) => return Err(shared.panic_error(panic.as_ref())),
        },
        // Taken out of the slot, so that the requests that hold it are
        // the only other owners.
        None => match lock(&shared.slot).provider.take() {
            Some(p) => p,
            None => {
                return Err(ErrorObject::new(
                    ErrorKind::Internal,
                    "no provider instance",
                ))
            }
        },
    };
    let outcome = {
        let Some(instance) = Arc::get_mut(&mut provider) else {
            // Only when there is no constructor and a request still holds
            // the instance: a list_models or a chat being started.
            lock(&shared.slot).provider = Some(provider);
            return Err(ErrorObject::new(
                ErrorKind::Unavailable,
                "busy: cannot re-initialize while a request is starting; send `initialize` again",
            ));
        };
        AssertUnwindSafe(instance.initialize(&resolved))
            .catch_unwind()
            .await
    };
    let mut slot = lock(&shared.slot);
    slot.used = true;
    slot.provider = Some(provider);
    match outcome {
        Ok(Ok(())) => {
            slot.readiness = Readiness::Ready;
            Ok(())
        }
        Ok(Err(e)) => {
            let wire = shared.wire_error(&e);
            slot.readiness = Readiness::Failed(e);
            Err(wire)
        }
        Err(panic) => {
            let wire = shared.panic_error(panic.as_ref());
            slot.readiness = Readiness::Failed(YatError::ProviderPanicked {
                provider: meta.id.clone(),
                message: wire.message.clone(),
            });
            Err(wire)
        }
    }
}

fn fail(shared: &Shared, e: YatError) -> ErrorObject {
    let wire = shared.wire_error(&e);
    lock(&shared.slot).readiness = Readiness::Failed(e);
    wire
}

/// The values to scrub from messages: those of settings declared secret,
/// and of keys that look like credentials. Very short values are left
/// alone: replacing every `1` in a message protects nothing.
fn secret_values(meta: &PluginMeta, settings: &BTreeMap<String, String>) -> Vec<String> {
    settings
        .iter()
        .filter(|(k, v)| {
            let declared = meta
                .settings
                .iter()
                .any(|d| d.key == **k && d.setting_kind() == SettingKind::Secret);
            let lower = k.to_ascii_lowercase();
            let looks = lower.ends_with("key")
                || lower.ends_with("token")
                || lower.contains("secret")
                || lower.contains("password");
            (declared || looks) && v.trim().len() >= 4
        })
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}
