//! One running child: spawning it, the handshake, the writer and reader
//! tasks, and its death and reaping.
//!
//! The reader task is the only reader of the child's stdout. It routes
//! each message by request id to that request's bounded channel, and
//! removes the route on the request's terminator. The writer task is the
//! only writer of stdin. A third task owns the `Child`: it waits for the
//! exit, kills on request, and on shutdown (the last handle on the
//! connection dropped) sends `shutdown`, closes stdin, waits the grace and
//! kills — so a child is always reaped.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::BufReader;
use tokio::process::{ChildStdout, Command};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use yat_core::YatError;

use super::stderr::{drain, Redactor, StderrTail};
use super::HostOptions;
use crate::protocol::{
    DecodeError, ErrorObject, HostMessage, LineReader, PluginHello, PluginMessage,
    SUPPORTED_VERSIONS,
};

/// How many bytes of stderr go into an error's message (the whole tail is
/// in the provider's health).
const TAIL_IN_MESSAGE: usize = 1024;

/// What a start needs.
pub(crate) struct Launch {
    pub(crate) provider: String,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    /// Variables not passed on to the child (the secrets' own variables
    /// and anything named like a credential).
    pub(crate) env_removed: Vec<String>,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) redactor: Redactor,
    pub(crate) options: HostOptions,
}

/// Why a child is gone, or never came up.
#[derive(Debug, Clone)]
pub(crate) struct Death {
    /// The reason, redacted, with the end of stderr.
    pub(crate) reason: String,
    /// The end of stderr alone (redacted).
    pub(crate) stderr: String,
    /// A line of stdout that was not protocol, when that is why.
    pub(crate) garbage: Option<String>,
}

impl Death {
    pub(crate) fn error(&self, provider: &str) -> YatError {
        match &self.garbage {
            Some(excerpt) => YatError::MalformedResponse {
                provider: provider.to_owned(),
                message: self.reason.clone(),
                excerpt: excerpt.clone(),
            },
            None => YatError::Unavailable {
                provider: provider.to_owned(),
                reason: self.reason.clone(),
            },
        }
    }
}

/// What a death is reported to (the provider's state).
pub(crate) type OnDeath = Box<dyn Fn(&Arc<Conn>, &Death) + Send + Sync>;
/// What a served request is reported to (resets the restart backoff).
pub(crate) type OnServed = Box<dyn Fn() + Send + Sync>;

pub(super) struct Route {
    pub(super) tx: mpsc::Sender<PluginMessage>,
    /// Set when the reader gave up waiting for this route's consumer.
    pub(super) stalled: Arc<std::sync::atomic::AtomicBool>,
}

/// A running child and its tasks.
pub(crate) struct Conn {
    pub(crate) provider: String,
    pub(crate) program: PathBuf,
    pub(crate) pid: Option<u32>,
    pub(crate) hello: PluginHello,
    pub(crate) options: HostOptions,
    out: mpsc::UnboundedSender<Vec<u8>>,
    routes: Mutex<HashMap<String, Route>>,
    next_id: AtomicU64,
    death: Mutex<Option<Death>>,
    tail: StderrTail,
    pub(super) redactor: Redactor,
    kill: Arc<Notify>,
    /// Dropped with the connection: tells the owner task to shut down.
    _shutdown: oneshot::Sender<()>,
    on_death: OnDeath,
    pub(super) on_served: OnServed,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("provider", &self.provider)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// A request's end of the routing: its messages, and whether the reader
/// gave up on it.
pub(crate) struct Registered {
    pub(crate) id: String,
    pub(crate) rx: mpsc::Receiver<PluginMessage>,
    pub(crate) stalled: Arc<std::sync::atomic::AtomicBool>,
}

impl Conn {
    /// Spawns the child, makes the handshake and sends the settings.
    pub(crate) async fn start(
        launch: Launch,
        on_death: OnDeath,
        on_served: OnServed,
    ) -> Result<Arc<Conn>, Death> {
        let o = launch.options;
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for var in &launch.env_removed {
            cmd.env_remove(var);
        }
        let mut child = super::spawn::spawn(&mut cmd).await.map_err(|e| Death {
            reason: format!("cannot run {}: {e}", launch.program.display()),
            stderr: String::new(),
            garbage: None,
        })?;
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Death {
                reason: "the child's pipes could not be opened".into(),
                stderr: String::new(),
                garbage: None,
            });
        };
        let tail = StderrTail::default();
        let stderr_done = tokio::spawn(drain(
            stderr,
            tail.clone(),
            launch.redactor.clone(),
            launch.provider.clone(),
        ));
        let (out, out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(super::tasks::write_lines(stdin, out_rx));
        let kill = Arc::new(Notify::new());
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (exit_tx, exit_rx) = watch::channel(None);
        tokio::spawn(super::tasks::own_child(
            child,
            out.clone(),
            kill.clone(),
            shutdown_rx,
            exit_tx,
            o.shutdown_grace,
        ));

        let mut handshake = Handshake {
            reader: LineReader::new(BufReader::new(stdout)),
            exit: exit_rx.clone(),
            tail: tail.clone(),
            redactor: launch.redactor.clone(),
            program: launch.program.clone(),
        };
        let fail = |d: Death| {
            kill.notify_one();
            d
        };
        let mut line = Vec::new();
        HostMessage::hello()
            .encode(&mut line)
            .map_err(|e| fail(handshake.death(format!("cannot encode hello: {e}"), None)))?;
        let _ = out.send(line);
        let hello = match handshake.next(o.handshake, "hello").await.map_err(fail)? {
            PluginMessage::Hello(h) if SUPPORTED_VERSIONS.contains(&h.protocol) => h,
            PluginMessage::Hello(h) => {
                return Err(fail(handshake.death(
                    format!(
                        "the plugin chose protocol version {}, which this host does not speak (it offers {SUPPORTED_VERSIONS:?})",
                        h.protocol
                    ),
                    None,
                )))
            }
            PluginMessage::Error { error, .. } => {
                return Err(fail(handshake.death(
                    format!(
                        "the plugin refused the handshake ({}): {}",
                        error.kind.as_str(),
                        launch.redactor.redact(&error.message)
                    ),
                    None,
                )))
            }
            other => {
                return Err(fail(handshake.death(
                    format!("the plugin answered hello with {:?}", op_of(&other)),
                    None,
                )))
            }
        };
        let mut line = Vec::new();
        let init = HostMessage::Initialize {
            id: "0".into(),
            settings: launch.settings.clone(),
        };
        init.encode(&mut line)
            .map_err(|e| fail(handshake.death(format!("cannot encode the settings: {e}"), None)))?;
        let _ = out.send(line);
        loop {
            match handshake
                .next(o.handshake, "answer to initialize")
                .await
                .map_err(fail)?
            {
                PluginMessage::Result { id, .. } if id == "0" => break,
                PluginMessage::Error {
                    id: Some(id),
                    error,
                } if id == "0" => {
                    // Not a broken child: the settings were refused. The
                    // child is useless with them, so it goes, but the error
                    // keeps its kind (authentication, invalid request...).
                    kill.notify_one();
                    let mut error = error;
                    error.message = launch.redactor.redact(&error.message);
                    return Err(Death {
                        reason: error.into_yat(&launch.provider).to_string(),
                        stderr: tail.text(),
                        garbage: None,
                    });
                }
                _ => continue,
            }
        }
        let conn = Arc::new(Conn {
            provider: launch.provider,
            program: launch.program,
            pid,
            hello,
            options: o,
            out,
            routes: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            death: Mutex::new(None),
            tail,
            redactor: launch.redactor,
            kill,
            _shutdown: shutdown_tx,
            on_death,
            on_served,
        });
        tokio::spawn(super::tasks::read_messages(
            Arc::downgrade(&conn),
            handshake.reader,
            exit_rx,
            stderr_done,
        ));
        Ok(conn)
    }

    /// Whether the child is still serving.
    pub(crate) fn alive(&self) -> bool {
        self.lock_death().is_none()
    }

    fn lock_death(&self) -> std::sync::MutexGuard<'_, Option<Death>> {
        self.death.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn lock_routes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Route>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why the child is gone, as the error a request gets.
    pub(crate) fn death_error(&self) -> Option<YatError> {
        self.lock_death().as_ref().map(|d| d.error(&self.provider))
    }

    /// A fresh request id with its channel.
    pub(crate) fn register(&self) -> Result<Registered, YatError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let (tx, rx) = mpsc::channel(self.options.chat_buffer);
        let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            // Checked under the routes' lock: a death clears the routes
            // under it, so a route added after a death would never end.
            let mut routes = self.lock_routes();
            if let Some(e) = self.death_error() {
                return Err(e);
            }
            routes.insert(
                id.clone(),
                Route {
                    tx,
                    stalled: stalled.clone(),
                },
            );
        }
        Ok(Registered { id, rx, stalled })
    }

    /// Queues one line for the child.
    pub(crate) fn send(&self, line: Vec<u8>) -> Result<(), YatError> {
        self.out.send(line).map_err(|_| {
            self.death_error().unwrap_or_else(|| YatError::Unavailable {
                provider: self.provider.clone(),
                reason: "the plugin's stdin is closed".into(),
            })
        })
    }

    /// Forgets request `id` and tells the child to stop it.
    pub(crate) fn cancel(&self, id: &str) {
        if self.lock_routes().remove(id).is_some() && self.alive() {
            let mut line = Vec::new();
            if (HostMessage::Cancel { id: id.to_owned() })
                .encode(&mut line)
                .is_ok()
            {
                let _ = self.out.send(line);
            }
        }
    }

    /// The plugin's error about one request, redacted and tagged.
    pub(crate) fn plugin_error(&self, mut error: ErrorObject) -> YatError {
        error.message = self.redactor.redact(&error.message);
        error.into_yat(&self.provider)
    }

    /// The child said nothing for too long: it is killed and every open
    /// request fails.
    pub(crate) fn hung(self: &Arc<Self>, waiting_for: &str, after: Duration) -> YatError {
        let reason = format!(
            "the plugin sent nothing for {after:?} while a request waited for {waiting_for}; it was stopped as hung"
        );
        self.die(reason, None);
        self.death_error().unwrap_or_else(|| YatError::Unavailable {
            provider: self.provider.clone(),
            reason: "hung".into(),
        })
    }

    /// Records the death (the first one wins), ends every request, kills.
    pub(super) fn die(self: &Arc<Self>, reason: String, garbage: Option<String>) {
        let death = {
            let mut slot = self.lock_death();
            if slot.is_some() {
                return;
            }
            let stderr = self.tail.text();
            let death = Death {
                reason: with_stderr(&self.redactor.redact(&reason), &stderr),
                stderr,
                garbage: garbage.map(|g| self.redactor.redact(&g)),
            };
            *slot = Some(death.clone());
            death
        };
        tracing::warn!(provider = %self.provider, reason = %death.reason, "process plugin failed");
        // Dropping the senders ends every request's channel; each request
        // then reads the death.
        self.lock_routes().clear();
        self.kill.notify_one();
        (self.on_death)(self, &death);
    }
}

/// `reason`, then the end of stderr when there is one.
fn with_stderr(reason: &str, stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        return reason.to_owned();
    }
    let mut start = stderr.len().saturating_sub(TAIL_IN_MESSAGE);
    while !stderr.is_char_boundary(start) {
        start += 1;
    }
    let cut = if start > 0 { "…" } else { "" };
    format!("{reason}; its stderr ends with: {cut}{}", &stderr[start..])
}

fn op_of(m: &PluginMessage) -> &'static str {
    match m {
        PluginMessage::Hello(_) => "hello",
        PluginMessage::Result { .. } => "result",
        PluginMessage::Event { .. } => "event",
        PluginMessage::End { .. } => "end",
        PluginMessage::Error { .. } => "error",
    }
}

/// A short excerpt of a line, for an error.
pub(super) fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// What reads the child before the reader task takes over.
struct Handshake {
    reader: LineReader<BufReader<ChildStdout>>,
    exit: watch::Receiver<Option<ExitStatus>>,
    tail: StderrTail,
    redactor: Redactor,
    program: PathBuf,
}

impl Handshake {
    fn death(&self, reason: String, garbage: Option<String>) -> Death {
        let stderr = self.tail.text();
        Death {
            reason: with_stderr(&self.redactor.redact(&reason), &stderr),
            stderr,
            garbage: garbage.map(|g| self.redactor.redact(&g)),
        }
    }

    /// The next message, within `limit`.
    async fn next(&mut self, limit: Duration, what: &str) -> Result<PluginMessage, Death> {
        loop {
            let read = tokio::time::timeout(limit, self.reader.next_line()).await;
            let line = match read {
                Err(_) => {
                    return Err(self.death(
                        format!("{} sent no {what} within {limit:?}", self.program.display()),
                        None,
                    ))
                }
                Ok(Err(e)) => return Err(self.death(format!("reading its stdout: {e}"), None)),
                Ok(Ok(None)) => {
                    let how = exit_words(&mut self.exit).await;
                    // The stderr task may still be reading the last lines.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Err(self.death(
                        format!("{} {how} before {what}", self.program.display()),
                        None,
                    ));
                }
                Ok(Ok(Some(line))) => line,
            };
            match PluginMessage::decode(line) {
                Ok(m) => return Ok(m),
                Err(DecodeError::UnknownOp { .. }) => continue,
                Err(e) => {
                    let garbage = excerpt(line);
                    return Err(self.death(
                        format!("the plugin wrote a line that is not protocol: {e}"),
                        Some(garbage),
                    ));
                }
            }
        }
    }
}

/// How the child ended, in words, waiting a moment for its exit status.
pub(super) async fn exit_words(exit: &mut watch::Receiver<Option<ExitStatus>>) -> String {
    let status = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Some(s) = *exit.borrow_and_update() {
                return Some(s);
            }
            if exit.changed().await.is_err() {
                return None;
            }
        }
    })
    .await
    .ok()
    .flatten();
    match status {
        Some(s) => match (s.code(), signal_of(&s)) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            _ => format!("exited ({s})"),
        },
        None => "closed its stdout".to_owned(),
    }
}

#[cfg(unix)]
fn signal_of(s: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    s.signal()
}
#[cfg(not(unix))]
fn signal_of(_: &ExitStatus) -> Option<i32> {
    None
}
