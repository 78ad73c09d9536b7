//! Process plugins through the CLI: a `yat-provider-<id>` program on PATH
//! is listed, chatted with and described like any provider.

mod common;

use std::path::{Path, PathBuf};

use common::Sandbox;

/// The host tests' fault plugin (stdlib Python), whose chat echoes the
/// prompt and which breaks on request.
fn fault_plugin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../yat-process/tests/plugins/fault_plugin.py")
}

fn python() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Writes `dir/yat-provider-<id>` running the fault plugin with `args`.
fn install(dir: &Path, id: &str, args: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("yat-provider-{id}"));
    let script = format!(
        "#!/bin/sh\nexec '{}' '{}' --id {id} {args} \"$@\"\n",
        python(),
        fault_plugin().display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A sandbox with a `bin` directory holding plugins, and `PATH` for it.
struct Rig {
    sb: Sandbox,
    bin: PathBuf,
}

impl Rig {
    fn new() -> Self {
        let sb = Sandbox::new();
        let bin = sb.root().join("bin");
        Rig { sb, bin }
    }
    fn run(&self, args: &[&str]) -> common::Output {
        self.sb
            .run_with(&[("PATH", self.bin.to_str().unwrap())], args)
    }
}

#[test]
fn a_plugin_on_path_is_listed_as_a_process_provider() {
    let rig = Rig::new();
    install(&rig.bin, "fault", "");
    let out = rig.run(&["providers"]).ok();
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("fault "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        row.contains("Fault plugin") && row.contains("process") && row.contains("ready"),
        "{row}"
    );
    let mock = out.stdout.lines().find(|l| l.starts_with("mock ")).unwrap();
    assert!(mock.contains("linked"), "{mock}");

    let list = rig.run(&["providers", "--json"]).ok().json();
    let fault = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "fault")
        .unwrap();
    assert_eq!(fault["kind"]["type"], "process");
    assert_eq!(fault["kind"]["found_in"], "PATH");
    assert_eq!(fault["status"]["state"], "ready");
}

#[test]
fn chat_goes_through_the_plugin() {
    let rig = Rig::new();
    install(&rig.bin, "fault", "");
    let out = rig
        .run(&["chat", "-m", "fault/m1", "hello through a pipe"])
        .ok();
    assert_eq!(out.stdout.trim_end(), "hello through a pipe");
    let models = rig
        .run(&["models", "--provider", "fault", "--json"])
        .ok()
        .json();
    assert!(models.to_string().contains("\"m1\""), "{models}");
}

#[test]
fn a_plugin_crash_is_one_clear_error_naming_the_provider_and_its_stderr() {
    let rig = Rig::new();
    install(&rig.bin, "fault", "");
    let out = rig.run(&["chat", "-m", "fault/m1", "crash"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("fault"), "{}", out.stderr);
    assert!(out.stderr.contains("killed by signal 9"), "{}", out.stderr);
    assert!(out.stderr.contains("crashing on purpose"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn info_shows_the_program_the_command_and_the_protocol() {
    let rig = Rig::new();
    let program = install(&rig.bin, "fault", "");
    let out = rig.run(&["providers", "info", "fault"]).ok();
    // Each row as "label value", spaces collapsed.
    let rows: Vec<String> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for needle in [
        format!("program {}", program.display()),
        format!("command {}", program.display()),
        "kind process".to_owned(),
        "found in PATH".to_owned(),
        "protocol 1".to_owned(),
    ] {
        assert!(rows.contains(&needle), "{needle:?} not in\n{}", out.stdout);
    }
    assert!(out.stdout.contains("api_key"), "{}", out.stdout);
    let v = rig
        .run(&["providers", "info", "fault", "--json"])
        .ok()
        .json();
    assert_eq!(v["kind"]["path"], program.display().to_string());
    assert_eq!(v["kind"]["command"][0], program.display().to_string());
    assert_eq!(v["kind"]["protocol"], 1);
}

#[test]
fn a_plugin_with_a_linked_id_is_listed_as_shadowed_and_never_run() {
    let rig = Rig::new();
    let rec = rig.sb.root().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    install(&rig.bin, "mock", &format!("--record '{}'", rec.display()));
    let out = rig.run(&["providers"]).ok();
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("mock "))
        .collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    assert!(
        rows[0].contains("linked") && rows[0].contains("ready"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("process") && rows[1].contains("shadowed by the linked provider"),
        "{}",
        rows[1]
    );
    let info = rig.run(&["providers", "info", "mock"]).ok();
    assert!(info.stdout.contains("also found"), "{}", info.stdout);
    assert!(!rec.join("starts").exists(), "the shadowed plugin ran");
}

#[test]
fn a_plugin_that_cannot_start_is_listed_failed_with_why() {
    let rig = Rig::new();
    install(&rig.bin, "broken", "--start die");
    let out = rig.run(&["providers"]).ok();
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("broken "))
        .unwrap();
    assert!(row.contains("failed"), "{row}");
    assert!(row.contains("exited before hello"), "{row}");
    // The rest keeps working.
    rig.run(&["chat", "-m", "mock/mock-echo", "still fine"])
        .ok();
}

/// The Python reference plugin (stdlib only) on PATH, speaking to the fake
/// OpenAI server: configured from the environment like any provider, its
/// key sent to the server and shown nowhere.
#[test]
fn the_python_reference_plugin_chats_with_an_openai_compatible_server() {
    use common::{serve, Api, KEY};
    let rig = Rig::new();
    std::fs::create_dir_all(&rig.bin).unwrap();
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/python/yat-provider-openai-compat")
        .canonicalize()
        .unwrap();
    std::os::unix::fs::symlink(&plugin, rig.bin.join("yat-provider-openai-compat")).unwrap();
    // Its `#!/usr/bin/env python3` needs the interpreter on PATH.
    let py = PathBuf::from(python());
    let path = std::env::join_paths([rig.bin.as_path(), py.parent().unwrap()]).unwrap();
    let server = serve(
        Api::OpenAi,
        vec![Api::OpenAi.stream(&["Hel", "lo ", "from Python"])],
    );
    let base = format!("{}/v1", server.url());
    let env = [
        ("PATH", path.to_str().unwrap()),
        ("OPENAI_COMPAT_BASE_URL", base.as_str()),
        ("OPENAI_COMPAT_API_KEY", KEY),
    ];
    let out = rig
        .sb
        .run_with(&env, &["chat", "-m", "openai-compat/gpt-x", "hi"])
        .ok();
    assert_eq!(out.stdout.trim_end(), "Hello from Python");
    let info = rig
        .sb
        .run_with(&env, &["providers", "info", "openai-compat", "--json"])
        .ok();
    assert_eq!(info.json()["kind"]["type"], "process");
    for text in [&out.stdout, &out.stderr, &info.stdout, &info.stderr] {
        assert!(!text.contains("planted"), "the key showed: {text}");
    }
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json()["model"], "gpt-x");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}
