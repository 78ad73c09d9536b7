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
    assert!(
        acme.contains(&format!("(yat-core {})", yat_core_version())),
        "{acme}"
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
fn an_unreferenced_provider_crate_is_not_linked() {
    // Same dependencies, but the code never names yat_provider_acme: the
    // crate is not linked and its registration is silently absent. This is
    // the pitfall `use yat_provider_acme as _;` or `link()` prevents.
    let out = Command::new(env!("CARGO_BIN_EXE_forgot-to-link"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let ids = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(ids.lines().collect::<Vec<_>>(), ["mock"], "{ids}");
}

/// The version in yat-core's manifest, read from the source tree so the test
/// does not have to link yat-core itself.
fn yat_core_version() -> String {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../Cargo.toml"))
            .unwrap();
    let pkg = manifest
        .split("[workspace.package]")
        .nth(1)
        .expect("the yat workspace declares its package version");
    pkg.lines()
        .find_map(|l| l.trim().strip_prefix("version = "))
        .expect("a version line")
        .trim_matches('"')
        .to_owned()
}
