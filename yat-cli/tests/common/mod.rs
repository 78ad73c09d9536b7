//! A sandbox per test: the `yat` binary with its own config file, data dir,
//! home and working directory, and no inherited environment, so no test
//! reads or writes the machine's real configuration or sees a real key.
#![allow(dead_code, unused_imports)] // each test binary uses a part of it

mod apis;
#[cfg(target_os = "linux")]
mod config_reads;
#[cfg(unix)]
pub mod pty;
mod snapshot;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub use apis::{anthropic_redacted_stream, redacted_reasoning_reply, serve, Api, KEY};
#[cfg(target_os = "linux")]
pub use config_reads::config_reads;
pub use snapshot::{assert_snapshot, assert_table_snapshot, rows_for};

/// Temporary directories for one test.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// Creates the directories (the config dir itself is left for yat to create).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "work", "xdg-config", "xdg-data"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Sandbox { dir }
    }

    /// The root of the sandbox.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `$YAT_CONFIG`.
    pub fn config_file(&self) -> PathBuf {
        self.root().join("config").join("provider_config.json")
    }

    /// The `.env` yat writes keys to (beside the config file).
    pub fn keys_file(&self) -> PathBuf {
        self.root().join("config").join(".env")
    }

    /// `$YAT_DATA_DIR`.
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    /// The working directory the binary runs in.
    pub fn work_dir(&self) -> PathBuf {
        self.root().join("work")
    }

    /// The config file's content, parsed.
    pub fn config_json(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.config_file()).unwrap()).unwrap()
    }

    /// Writes the config file.
    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config_file().parent().unwrap()).unwrap();
        std::fs::write(self.config_file(), text).unwrap();
    }

    /// The environment every run gets, and nothing else.
    pub fn env(&self) -> Vec<(String, PathBuf)> {
        vec![
            ("YAT_CONFIG".into(), self.config_file()),
            ("YAT_DATA_DIR".into(), self.data_dir()),
            ("HOME".into(), self.root().join("home")),
            ("XDG_CONFIG_HOME".into(), self.root().join("xdg-config")),
            ("XDG_DATA_HOME".into(), self.root().join("xdg-data")),
        ]
    }

    /// `yat` with a cleared environment and the sandbox's paths.
    pub fn yat(&self) -> Command {
        let mut cmd = Command::new(yat_bin());
        cmd.env_clear().current_dir(self.work_dir());
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// `yat ARGS...`, run to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.yat().args(args).run()
    }

    /// `yat ARGS...` with `VAR=value` pairs added to its environment.
    pub fn run_with(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.yat().envs(env.iter().copied()).args(args).run()
    }

    /// `yat ARGS...` with `input` on its stdin.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        self.yat().args(args).write_stdin(input).run()
    }

    /// `yat ARGS...`, which must succeed, its stdout parsed as one JSON value.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        self.run(args).ok().json()
    }

    /// Runs each `(args, needle)`: each must exit with `code` and say why
    /// in one `error:` line containing `needle`.
    #[track_caller]
    pub fn check_errors(&self, code: i32, cases: &[(&[&str], &str)]) {
        for (args, needle) in cases {
            let out = self.run(args);
            assert_eq!(out.code, code, "{args:?}:\n{}", out.stderr);
            out.one_error_line(needle);
        }
    }

    /// `yat` pointed at the fake server at `url` as `api`, with a key.
    pub fn at(&self, api: Api, url: &str) -> Command {
        let mut cmd = self.yat();
        cmd.envs(api.env(url));
        cmd
    }

    /// Writes `bytes` to `name` in the working directory; its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.work_dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// A run of `yat` that must succeed: its whole stdout, and what its stderr
/// says (each somewhere in it).
pub struct Reply {
    /// What the case shows, for a failure's message.
    pub name: &'static str,
    /// The arguments.
    pub args: &'static [&'static str],
    /// stdout, exactly.
    pub stdout: &'static str,
    /// Pieces of stderr.
    pub stderr: &'static [&'static str],
}

/// Runs each case, in a sandbox of its own, and checks what it printed.
#[track_caller]
pub fn check_replies(cases: &[Reply]) {
    for case in cases {
        let out = Sandbox::new().run(case.args);
        let name = case.name;
        assert_eq!(out.code, 0, "{name}:\n{}", out.stderr);
        assert_eq!(out.stdout, case.stdout, "{name}:\n{}", out.stderr);
        for said in case.stderr {
            assert!(
                out.stderr.contains(said),
                "{name}: {said:?} not in\n{}",
                out.stderr
            );
        }
        no_panic(&out.stderr);
    }
}

/// Runs a prepared `yat` to completion.
pub trait Run {
    /// The finished run.
    fn run(&mut self) -> Output;
}

impl Run for Command {
    fn run(&mut self) -> Output {
        Output::from(self.output().unwrap())
    }
}

/// `http://127.0.0.1:PORT` of a port that was free a moment ago: nothing
/// listens there, so a connection is refused.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// The binary under test.
pub fn yat_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_yat"))
}

/// A finished run, with its streams as text.
#[derive(Debug)]
pub struct Output {
    /// Exit code.
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(o: std::process::Output) -> Self {
        Output {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }
}

impl Output {
    /// stdout as one JSON value.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout is not JSON:\n{}", self.stdout))
    }

    /// stdout as JSON lines (`--json` events), each with a `type`.
    #[track_caller]
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                assert!(v["type"].is_string(), "no type: {l}");
                v
            })
            .collect()
    }

    /// The `error` event that ends the `--json` output of a failed run.
    #[track_caller]
    pub fn error_event(&self) -> serde_json::Value {
        let last = self.events().pop().expect("no events");
        assert_eq!(last["type"], "error", "{}", self.stdout);
        assert!(
            last["message"].is_string() && last["kind"].is_string(),
            "{last}"
        );
        last
    }

    /// The text of the `delta` events of `--json` output.
    pub fn delta_text(&self) -> String {
        self.events()
            .iter()
            .filter(|e| e["type"] == "delta")
            .filter_map(|e| e["text"].as_str())
            .collect()
    }

    /// The lines of stderr that start with `prefix` (`warning:`, `note:`).
    pub fn stderr_lines(&self, prefix: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// Asserts that stderr contains `needle`, showing it when not.
    #[track_caller]
    pub fn says(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not on stderr:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.code(0)
    }

    /// Asserts that stderr is exactly one `error: ...` line containing `needle`,
    /// in the one style every command uses (lower case, as clap's own), and
    /// that nothing looks like a panic or a backtrace.
    #[track_caller]
    pub fn one_error_line(self, needle: &str) -> Self {
        let lines = self.stderr_lines("error:");
        assert_eq!(lines.len(), 1, "one error line expected:\n{}", self.stderr);
        for other in ["Error", "ERROR", " ERROR", "[ERROR"] {
            assert!(
                !self.stderr.lines().any(|l| l.starts_with(other)),
                "an error line in another style ({other:?}):\n{}",
                self.stderr
            );
        }
        assert!(
            lines[0].contains(needle),
            "{:?} not in {:?}",
            needle,
            lines[0]
        );
        no_panic(&self.stderr);
        self
    }
}

/// Asserts that `text` shows no panic or backtrace.
#[track_caller]
pub fn no_panic(text: &str) {
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "stack backtrace",
        "thread 'main'",
    ] {
        assert!(!text.contains(bad), "{bad:?} in:\n{text}");
    }
}
