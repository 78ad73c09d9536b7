//! The host side: [`ProcessProvider`], an [`LlmProvider`] served by a child
//! process speaking protocol v1.
//!
//! - **Lazy start.** Building and initializing the provider spawns
//!   nothing; the first `list_models` or `stream_chat` starts the child,
//!   makes the handshake (within [`HostOptions::handshake`]) and sends the
//!   settings. Listing providers never runs a plugin.
//! - **Warm reuse.** One child serves every later request, and several
//!   chats at once, multiplexed by request id: one reader task routes lines
//!   to per-request channels, one writer task owns stdin.
//! - **Re-initialization.** `initialize` on an instance whose child runs
//!   sends the new settings to it (`initialize` again, which the protocol
//!   makes safe); a child not started yet gets them when it starts. (The
//!   manager's reload builds a fresh instance anyway; the old child exits
//!   when the last stream on it ends.)
//! - **Streams are streams.** Each event is handed over as it arrives;
//!   dropping the [`ChatStream`] sends `cancel`.
//! - **Backpressure.** Each chat has a bounded buffer
//!   ([`HostOptions::chat_buffer`]). When it is full the reader waits for
//!   that consumer, which also stops reading the pipe, so the plugin blocks
//!   on its stdout — memory stays bounded. A consumer that takes nothing
//!   for [`HostOptions::consumer_stall`] loses its chat (cancelled, with an
//!   error) so the other chats are stalled at most that long.
//! - **Isolation.** A child that crashes, exits, hangs (no handshake, or no
//!   first message of a request within [`HostOptions::first_message`]) or
//!   writes anything that is not protocol is killed; every open request
//!   gets a typed [`YatError`] naming the provider, the reason and the end
//!   of the child's stderr (every secret setting's value replaced by
//!   `[redacted]`). The provider reports itself failed through
//!   [`LlmProvider::health`] and starts a new child on the next use, after
//!   a backoff that doubles with each failure in a row ([`HostOptions::backoff`]);
//!   while it waits, requests fail at once with the reason and the time of
//!   the next try.
//! - **Reaping.** The last handle on a child gone (the provider dropped
//!   and every stream on it ended), the host sends `shutdown`, closes
//!   stdin, waits [`HostOptions::shutdown_grace`], kills, and waits for the
//!   exit. A child is never left a zombie while the runtime runs.
//! - **Secrets** travel only in `initialize`: never in argv, and the
//!   child's environment loses every variable a secret setting is read
//!   from and every variable named like a credential.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use yat_core::settings::SettingValue;
use yat_core::{
    async_trait, Capabilities, ChatRequest, ChatStream, Health, LlmProvider, ModelInfo,
    ResolvedSettings, SettingKind, SettingSpec, YatError,
};

mod conn;
mod options;
mod probe;
mod spawn;
mod stderr;
mod stream;
mod tasks;

pub use options::HostOptions;
pub use probe::{probe, Probed};

use conn::{Conn, Death, Launch};
use options::{Backoff, Failed};
use stderr::Redactor;
use stream::{request, PluginStream};

use crate::protocol::{HostMessage, PluginMessage};

/// What the host knows of a plugin before running it: how to run it and
/// what it declared (from the discovery's cached handshake).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PluginCommand {
    /// The id it is served under.
    pub id: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The settings it declared.
    pub settings: Vec<SettingSpec>,
    /// What it supports.
    pub capabilities: Capabilities,
}

impl PluginCommand {
    /// A plugin run as `program args...`, serving `id`, with no declared
    /// settings and default capabilities.
    pub fn new(id: impl Into<String>, program: impl Into<PathBuf>, args: Vec<String>) -> Self {
        PluginCommand {
            id: id.into(),
            program: program.into(),
            args,
            settings: Vec::new(),
            capabilities: Capabilities::default(),
        }
    }
    /// The same, with the settings it declared.
    pub fn with_settings(mut self, settings: Vec<SettingSpec>) -> Self {
        self.settings = settings;
        self
    }
    /// The same, with its capabilities.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }
}

/// A provider served by a child process over protocol v1.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
/// use yat_core::{LlmProvider, ResolvedSettings};
/// use yat_process::host::{HostOptions, PluginCommand, ProcessProvider};
///
/// let mut p = ProcessProvider::new(
///     PluginCommand::new("acme", "/usr/local/bin/yat-provider-acme", vec![]),
///     HostOptions::default(),
/// );
/// p.initialize(&ResolvedSettings::from_pairs("acme", &[("api_key", "sk-...")])).await?; // spawns nothing
/// let models = p.list_models().await?; // starts the child
/// # Ok(()) }
/// ```
pub struct ProcessProvider {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessProvider")
            .field("id", &self.shared.command.id)
            .field("program", &self.shared.command.program)
            .finish_non_exhaustive()
    }
}

struct Shared {
    command: PluginCommand,
    options: HostOptions,
    state: Mutex<State>,
    /// One start at a time.
    starting: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    settings: BTreeMap<String, String>,
    redactor: Redactor,
    env_removed: Vec<String>,
    conn: Option<Arc<Conn>>,
    failed: Option<Failed>,
    last_failure_detail: Option<String>,
    backoff: Backoff,
    starts: u64,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record_failure(&self, death: &Death) {
        let mut st = self.lock();
        let wait = st.backoff.failed(&self.options);
        st.failed = Some(Failed {
            reason: death.reason.clone(),
            stderr: death.stderr.clone(),
            retry_at: Instant::now() + wait,
            retry_at_wall: SystemTime::now() + wait,
        });
        st.last_failure_detail = Some(death.stderr.clone()).filter(|s| !s.is_empty());
    }
}

impl ProcessProvider {
    /// A provider that will run `command` when first used.
    pub fn new(command: PluginCommand, options: HostOptions) -> Self {
        ProcessProvider {
            shared: Arc::new(Shared {
                command,
                options,
                state: Mutex::new(State::default()),
                starting: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The running child's process id, if one runs.
    pub fn pid(&self) -> Option<u32> {
        let st = self.shared.lock();
        st.conn.as_ref().filter(|c| c.alive()).and_then(|c| c.pid)
    }

    /// How many children this instance has started.
    pub fn starts(&self) -> u64 {
        self.shared.lock().starts
    }

    fn id(&self) -> &str {
        &self.shared.command.id
    }

    /// The running child, started if there is none (unless backing off).
    async fn conn(&self) -> Result<Arc<Conn>, YatError> {
        let _one = self.shared.starting.lock().await;
        let launch = {
            let st = self.shared.lock();
            if let Some(c) = st.conn.as_ref().filter(|c| c.alive()) {
                return Ok(c.clone());
            }
            if let Some(f) = st.failed.as_ref().filter(|f| Instant::now() < f.retry_at) {
                return Err(YatError::Unavailable {
                    provider: self.id().to_owned(),
                    reason: format!("{}; next try {}", f.reason, when(f)),
                });
            }
            Launch {
                provider: self.id().to_owned(),
                program: self.shared.command.program.clone(),
                args: self.shared.command.args.clone(),
                env_removed: st.env_removed.clone(),
                settings: st.settings.clone(),
                redactor: st.redactor.clone(),
                options: self.shared.options,
            }
        };
        let weak = Arc::downgrade(&self.shared);
        let on_death: conn::OnDeath = Box::new(move |conn, death| {
            if let Some(shared) = weak.upgrade() {
                shared.record_failure(death);
                let mut st = shared.lock();
                if st.conn.as_ref().is_some_and(|c| Arc::ptr_eq(c, conn)) {
                    st.conn = None;
                }
            }
        });
        let weak = Arc::downgrade(&self.shared);
        let on_served: conn::OnServed = Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.lock().backoff.succeeded();
            }
        });
        self.shared.lock().starts += 1;
        tracing::debug!(provider = %self.id(), program = %self.shared.command.program.display(), "starting process plugin");
        match Conn::start(launch, on_death, on_served).await {
            Ok(c) => {
                let mut st = self.shared.lock();
                st.failed = None;
                st.conn = Some(c.clone());
                Ok(c)
            }
            Err(death) => {
                self.shared.record_failure(&death);
                Err(death.error(self.id()))
            }
        }
    }
}

/// `in 1.2s (at 12:03:04 UTC)`.
fn when(f: &Failed) -> String {
    let left = f.retry_at.saturating_duration_since(Instant::now());
    let secs = f
        .retry_at_wall
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!(
        "in {:.1}s (at {h:02}:{m:02}:{s:02} UTC)",
        left.as_secs_f64()
    )
}

/// Whether an environment variable's name looks like it holds a credential.
fn credential_like(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.ends_with("_KEY")
        || n.contains("API_KEY")
        || n.contains("TOKEN")
        || n.contains("SECRET")
        || n.contains("PASSWORD")
        || n.contains("CREDENTIAL")
}

#[async_trait]
impl LlmProvider for ProcessProvider {
    async fn initialize(&mut self, settings: &ResolvedSettings) -> Result<(), YatError> {
        let specs = &self.shared.command.settings;
        let mut values = BTreeMap::new();
        let mut secrets = Vec::new();
        for (key, v) in settings.iter() {
            let is_secret = matches!(v.value, SettingValue::Secret(_))
                || specs
                    .iter()
                    .any(|s| s.key == key && s.kind == SettingKind::Secret);
            if is_secret {
                secrets.push(v.value.expose().to_owned());
            }
            values.insert(key.to_owned(), v.value.expose().to_owned());
        }
        let mut env_removed: Vec<String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .filter(|(k, v)| {
                credential_like(k)
                    || v.to_str()
                        .is_some_and(|v| !v.is_empty() && secrets.iter().any(|s| s == v))
            })
            .map(|(k, _)| k)
            .collect();
        for spec in specs.iter().filter(|s| s.kind == SettingKind::Secret) {
            env_removed.extend(spec.env_vars.iter().map(|v| (*v).to_owned()));
            env_removed.push(yat_core::settings::implicit_env_var(self.id(), spec.key));
        }
        let running = {
            let mut st = self.shared.lock();
            st.settings = values.clone();
            st.redactor = Redactor::new(secrets);
            st.env_removed = env_removed;
            // A clean state: an old failure does not hold back the new
            // settings.
            st.failed = None;
            st.backoff = Backoff::default();
            st.conn.clone().filter(|c| c.alive())
        };
        if let Some(conn) = running {
            let reg = conn.register()?;
            let mut line = Vec::new();
            (HostMessage::Initialize {
                id: reg.id.clone(),
                settings: values,
            })
            .encode(&mut line)
            .map_err(|e| invalid(self.id(), e))?;
            send_or_forget(&conn, &reg.id, line)?;
            match request(&conn, reg, "initialize").await? {
                PluginMessage::Result { .. } => {}
                other => return Err(unexpected(self.id(), &other)),
            }
        }
        Ok(())
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        let conn = self.conn().await?;
        let reg = conn.register()?;
        let mut line = Vec::new();
        (HostMessage::ListModels { id: reg.id.clone() })
            .encode(&mut line)
            .map_err(|e| invalid(self.id(), e))?;
        send_or_forget(&conn, &reg.id, line)?;
        match request(&conn, reg, "the model list").await? {
            PluginMessage::Result { models, .. } => {
                let mut models = models.unwrap_or_default();
                for m in &mut models {
                    // The plugin names itself as it likes; the host serves
                    // it under its own id.
                    m.provider.clone_from(&self.shared.command.id);
                }
                Ok(models)
            }
            other => Err(unexpected(self.id(), &other)),
        }
    }

    async fn stream_chat(&self, request: &ChatRequest) -> Result<ChatStream, YatError> {
        let conn = self.conn().await?;
        let mut line = Vec::new();
        let reg = conn.register()?;
        if let Err(e) = HostMessage::encode_chat(&reg.id, request, &mut line) {
            conn.cancel(&reg.id);
            return Err(invalid(self.id(), e));
        }
        let first = Box::pin(tokio::time::sleep(conn.options.first_message));
        let stream = PluginStream {
            conn: conn.clone(),
            reg,
            first: Some(first),
            done: false,
        };
        conn.send(line)?;
        Ok(Box::pin(stream))
    }

    fn capabilities(&self) -> Capabilities {
        self.shared.command.capabilities
    }

    fn health(&self) -> Health {
        let st = self.shared.lock();
        let mut h = Health::default();
        if let Some(f) = &st.failed {
            h.failed = Some(format!("{}; next try {}", f.reason, when(f)));
            h.retry_at_unix_ms = f
                .retry_at_wall
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| d.as_millis() as u64);
            if !f.stderr.is_empty() {
                h.last_failure_detail = Some(f.stderr.clone());
            }
        }
        if h.last_failure_detail.is_none() {
            h.last_failure_detail.clone_from(&st.last_failure_detail);
        }
        h.facts.insert(
            "program".into(),
            self.shared.command.program.display().to_string(),
        );
        h.facts.insert("starts".into(), st.starts.to_string());
        if let Some(c) = st.conn.as_ref().filter(|c| c.alive()) {
            if let Some(pid) = c.pid {
                h.facts.insert("pid".into(), pid.to_string());
            }
            h.facts
                .insert("protocol".into(), c.hello.protocol.to_string());
            if !c.hello.version.is_empty() {
                h.facts
                    .insert("plugin_version".into(), c.hello.version.clone());
            }
        }
        h
    }
}

/// Sends a request's line; if it cannot go, the request is forgotten so
/// its route does not linger.
fn send_or_forget(conn: &Conn, id: &str, line: Vec<u8>) -> Result<(), YatError> {
    conn.send(line).inspect_err(|_| conn.cancel(id))
}

fn invalid(provider: &str, e: impl std::fmt::Display) -> YatError {
    YatError::InvalidRequest(yat_core::Failure::new(
        provider,
        format!("cannot encode the request for the plugin: {e}"),
    ))
}

fn unexpected(provider: &str, m: &PluginMessage) -> YatError {
    YatError::MalformedResponse {
        provider: provider.to_owned(),
        message: "the plugin answered with the wrong kind of message".into(),
        excerpt: format!("{m:?}").chars().take(200).collect(),
    }
}
