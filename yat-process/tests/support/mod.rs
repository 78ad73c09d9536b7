//! What the host tests share: the fault plugin behind a `yat-provider-<id>`
//! wrapper in a temporary directory, and providers built on it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use yat_core::{
    ChatEvent, ChatRequest, ChatStream, LlmProvider, Message, ResolvedSettings, YatError,
};
use yat_process::host::{HostOptions, PluginCommand, ProcessProvider};

/// The secret the tests configure; it must never show anywhere.
pub const SECRET: &str = "sk-test-0123456789-never-shown";

/// The Python interpreter itself (not a version manager's shim, which
/// would add a process between the host and the plugin).
pub fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// The fault plugin's source.
pub fn fault_plugin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plugins/fault_plugin.py")
}

/// Writes `dir/yat-provider-<id>`, a shell wrapper that runs the fault
/// plugin with `args`; its path.
pub fn install(dir: &Path, id: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(format!("yat-provider-{id}"));
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "#!/bin/sh\nexec '{}' '{}' --id {id} {} \"$@\"\n",
        python().display(),
        fault_plugin().display(),
        quoted.join(" ")
    );
    std::fs::write(&path, script).unwrap();
    make_executable(&path);
    path
}

/// chmod 755.
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A scratch directory with a plugin recording into it.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub program: PathBuf,
}

impl Rig {
    /// A plugin `fault` that records its starts, started as `start`.
    pub fn new(start: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("rec");
        std::fs::create_dir(&rec).unwrap();
        let program = install(
            dir.path(),
            "fault",
            &["--record", rec.to_str().unwrap(), "--start", start],
        );
        Rig { dir, program }
    }

    /// The lines of a record file (`starts`, `cancels`, `shutdowns`).
    pub fn recorded(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("rec").join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// An initialized provider on this plugin.
    pub async fn provider(&self, options: HostOptions) -> ProcessProvider {
        let mut p =
            ProcessProvider::new(PluginCommand::new("fault", &self.program, vec![]), options);
        p.initialize(&ResolvedSettings::from_pairs(
            "fault",
            &[("api_key", SECRET)],
        ))
        .await
        .unwrap();
        p
    }
}

/// Options with short waits, for tests.
pub fn quick() -> HostOptions {
    HostOptions::default()
        .handshake_timeout(Duration::from_secs(10))
        .restart_backoff(Duration::from_millis(300), Duration::from_secs(2))
        .shutdown_grace(Duration::from_secs(2))
}

/// A chat request with one user message.
pub fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("m1", vec![Message::user(text)])
}

/// Every item of a stream.
pub async fn drain(mut s: ChatStream) -> Vec<Result<ChatEvent, YatError>> {
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.push(item);
    }
    out
}

/// The text of the deltas.
pub fn text(items: &[Result<ChatEvent, YatError>]) -> String {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(ChatEvent::Delta { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The stream's error, which must be its last item.
#[track_caller]
pub fn last_error(items: &[Result<ChatEvent, YatError>]) -> &YatError {
    match items.last() {
        Some(Err(e)) => e,
        other => panic!("expected an error last, got {other:?} in {items:?}"),
    }
}

/// Whether process `pid` exists at all (a zombie counts: it is not reaped).
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits up to 10 s for `cond`.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still not true after 10 s: {what}");
}

/// Whether `pid` is a process whose parent is this test process (a child
/// the host still has to reap, zombie or not).
pub fn is_our_child(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
    let after = &stat[stat.rfind(')').map(|i| i + 2).unwrap_or(0)..];
    let ppid = after
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u32>().ok());
    ppid == Some(std::process::id())
}
