//! The binary, run as a user would: the third-party provider is listed next
//! to yat's bundled `mock`, with the crate each came from.

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("acme-app-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_acme-app"));
    // An empty config location and a clean environment: only what the test sets.
    cmd.args(args)
        .current_dir(&dir)
        .env("YAT_CONFIG", dir.join("provider_config.json"))
        .env("XDG_CONFIG_HOME", &dir)
        .env_remove("ACME_API_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn line<'a>(stdout: &'a str, id: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("{id} is not listed:\n{stdout}"))
}

#[test]
fn lists_the_bundled_mock_and_the_external_acme_provider() {
    let (ok, stdout, stderr) = run(&[], &[]);
    assert!(ok, "{stderr}");
    let mock = line(&stdout, "mock");
    assert!(
        mock.contains("ready") && mock.contains("yat-providers@"),
        "{mock}"
    );
    let acme = line(&stdout, "acme");
    assert!(
        acme.contains("needs configuration") && acme.contains("ACME_API_KEY"),
        "{acme}"
    );
    assert!(acme.contains("yat-provider-acme@0.3.1"), "{acme}");
    // The library gives the remedy as data; the program words it.
    assert!(
        stdout.contains("fix: export ACME_API_KEY=<API key>"),
        "{stdout}"
    );
}

#[test]
fn with_a_key_the_external_provider_is_ready() {
    let (ok, stdout, stderr) = run(&[], &[("ACME_API_KEY", "k")]);
    assert!(ok, "{stderr}");
    assert!(line(&stdout, "acme").contains("ready"), "{stdout}");
}

#[test]
fn chats_with_the_bundled_mock() {
    let (ok, stdout, stderr) = run(&["mock/mock-echo", "hello from acme-app"], &[]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "hello from acme-app");
}

#[test]
fn an_unreferenced_provider_crate_is_not_linked_and_require_says_so() {
    // Same dependencies, but the code never names yat_provider_acme: the
    // crate is not linked and its registration is silently absent, until
    // `require("acme")` turns that into a start-up error.
    let out = Command::new(env!("CARGO_BIN_EXE_forgot-to-link"))
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(ids.lines().collect::<Vec<_>>(), ["mock"], "{ids}");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"unknown provider "acme"; compiled in: mock"#),
        "{stderr}"
    );
}
