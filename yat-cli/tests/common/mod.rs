//! A sandbox per test: the `yat` binary with its own config file, data dir,
//! home and working directory, and no inherited environment, so no test
//! reads or writes the machine's real configuration or sees a real key.
#![allow(dead_code)] // each test binary uses a part of it

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
        Output::from(self.yat().args(args).output().unwrap())
    }
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
    /// and that nothing looks like a panic or a backtrace.
    #[track_caller]
    pub fn one_error_line(self, needle: &str) -> Self {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(lines.len(), 1, "one error line expected:\n{}", self.stderr);
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

/// Compares `actual` with `tests/snapshots/NAME.txt`. Run with
/// `UPDATE_SNAPSHOTS=1` to write the files after a deliberate change.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "snapshot {name} differs (UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)"
    );
}

/// The table's header and the rows of the given providers or models only,
/// so a snapshot does not depend on which other provider features are on.
pub fn rows_for(table: &str, keep: &[&str]) -> String {
    let mut out = String::new();
    for (i, line) in table.lines().enumerate() {
        if i == 0 || keep.iter().any(|k| line.starts_with(k)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Compares a table with its snapshot. With only the listed rows present
/// (a mock-only build) the comparison is exact, alignment included; with
/// other providers compiled in, their rows are dropped and runs of spaces
/// compared as one, since the other rows change the column widths.
#[track_caller]
pub fn assert_table_snapshot(name: &str, table: &str, keep: &[&str]) {
    let kept = rows_for(table, keep);
    if kept == table {
        return assert_snapshot(name, table);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        collapse_spaces(&expected),
        collapse_spaces(&kept),
        "snapshot {name}"
    );
}

fn collapse_spaces(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.split("  ")
                .filter(|p| !p.is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An Anthropic stream with a redacted thinking block, then text.
pub fn anthropic_redacted_stream() -> String {
    let events = [
        (
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}
