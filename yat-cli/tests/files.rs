//! Files through the CLI (hardening issue #6): a malformed provider_config.json
//! or `.env` is never overwritten, by any command that writes (each fails
//! with one line naming the file and the position, and the bytes stay as
//! they were); and a save cut short by a crash leaves the old file intact.
//! The crash is real: the process is killed by the kernel (`SIGXFSZ`) when
//! the temporary file passes a file-size limit set with `ulimit -f`, in the
//! middle of writing it.
//!
//! Modes (0600) are checked in `tests/secrets.rs`; atomicity under
//! concurrent saves and `SIGKILL` in `yat-core/tests/files.rs`.

mod common;

use common::{no_panic, Sandbox};

/// Broken at line 3: `tru` is not JSON.
const MALFORMED: &str = "{\n  \"providers\": [\n    {\"id\": \"mock\", \"enabled\": tru}\n  ]\n}\n";

#[test]
fn a_malformed_config_is_never_overwritten_by_any_command() {
    let sb = Sandbox::new();
    sb.write_config(MALFORMED);
    let before = std::fs::read(sb.config_file()).unwrap();
    let commands: &[&[&str]] = &[
        &["providers", "enable", "mock"],
        &["providers", "disable", "mock"],
        &["config", "set", "mock.delay_ms", "5"],
        &["config", "unset", "mock.delay_ms"],
        &["config", "set", "default_model", "mock/mock-echo"],
        &["config", "set", "fallbacks", "mock/mock-echo"],
        &["config", "set", "history", "off"],
        &["config", "unset", "default_model"],
        &["models", "default", "mock/mock-echo"],
        &["models", "default", "--unset"],
        &["alias", "set", "fast", "mock/mock-echo"],
        &["alias", "remove", "fast"],
        &["chat", "-m", "mock/mock-echo", "hi"],
        &["config", "show"],
    ];
    for args in commands {
        let out = sb.run(args);
        let what = args.join(" ");
        assert_eq!(out.code, 1, "`{what}`: {out:?}");
        let out = out.one_error_line("provider_config.json:3:");
        assert_eq!(
            out.stderr.lines().filter(|l| !l.trim().is_empty()).count(),
            1,
            "`{what}`: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read(sb.config_file()).unwrap(),
            before,
            "`{what}` changed the malformed file"
        );
    }
    #[cfg(feature = "openai")]
    {
        let out = sb.run_stdin(&["keys", "set", "openai"], "sk-x");
        assert_eq!(out.code, 1, "{out:?}");
        out.one_error_line("provider_config.json:3:");
        assert!(!sb.keys_file().exists(), "a key was stored regardless");
    }
    assert_eq!(std::fs::read(sb.config_file()).unwrap(), before);
    // Nothing was left beside it either.
    let dir = sb.config_file().parent().unwrap().to_owned();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

#[cfg(feature = "openai")]
#[test]
fn a_malformed_env_file_is_never_overwritten() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.keys_file().parent().unwrap()).unwrap();
    let broken = "GOOD=1\nthis line is not a variable\n";
    std::fs::write(sb.keys_file(), broken).unwrap();
    for args in [
        &["keys", "set", "openai"][..],
        &["keys", "remove", "openai"][..],
    ] {
        let out = sb.run_stdin(args, "sk-x");
        assert_eq!(out.code, 1, "{out:?}");
        out.one_error_line(".env");
        assert_eq!(std::fs::read_to_string(sb.keys_file()).unwrap(), broken);
    }
}

#[cfg(unix)]
#[test]
fn a_save_killed_while_writing_leaves_the_old_file_intact() {
    use std::os::unix::process::ExitStatusExt;

    let sb = Sandbox::new();
    // A large file (an original app's config with a big `extra` section),
    // so the new version is far past the limit below.
    let padding = "y".repeat(1 << 20);
    let old = format!(
        "{{\"providers\": [{{\"id\": \"mock\", \"enabled\": true}}], \"notes\": \"{padding}\"}}\n"
    );
    sb.write_config(&old);

    // `ulimit -f 64` is 32 to 64 KiB depending on the shell: the kernel
    // kills yat (SIGXFSZ) in the middle of writing the temporary file.
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.env_clear().current_dir(sb.work_dir());
    for (k, v) in sb.env() {
        cmd.env(k, v);
    }
    let status = cmd
        .args(["-c", "ulimit -f 64; exec \"$0\" \"$@\""])
        .arg(common::yat_bin())
        .args(["config", "set", "mock.delay_ms", "5"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(25),
        "expected death by SIGXFSZ mid-write, got {status:?}"
    );
    assert_eq!(
        std::fs::read_to_string(sb.config_file()).unwrap(),
        old,
        "the crash damaged the file"
    );
    let dir = sb.config_file().parent().unwrap().to_owned();
    let cut: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .map(|e| e.metadata().unwrap().len())
        .collect();
    assert_eq!(cut.len(), 1, "the cut temporary file: {cut:?}");
    assert!(cut[0] < old.len() as u64, "{cut:?}");

    // The next save, without the limit, works and keeps everything.
    let out = sb.run(&["config", "set", "mock.delay_ms", "5"]).ok();
    no_panic(&out.stderr);
    let v = sb.config_json();
    assert_eq!(v["notes"].as_str().map(str::len), Some(1 << 20));
    assert_eq!(v["providers"][0]["settings"][0]["value"], "5");
}
