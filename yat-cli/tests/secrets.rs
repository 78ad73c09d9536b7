//! Secrets through the CLI (hardening issue #6): a key is planted in every
//! place yat reads one from (`yat keys set` into the config dir's `.env`, the
//! environment, a plaintext value left in provider_config.json by an older
//! setup), a local fake server echoes it back in its error bodies, and every
//! output of every command that shows settings, statuses, errors or logs is
//! grepped for it: `config show` (text and `--json`), `config get`, `keys
//! list` (both), `providers list`/`info` (both), `models`, `chat` (text,
//! `--json`, and `-vvv` at TRACE level with retries that log the echoed
//! error).
#![cfg(feature = "openai")]

mod common;

use common::{no_panic, Output, Sandbox};
use yat_fakeserver::{FakeServer, Response, Route};

const KEY: &str = "sk-proj-CLIPLANTEDx4b8d2f6a0c9Q";
const NEEDLE: &str = "CLIPLANTEDx4b8d2f6a0c9";
/// How OpenAI's 401 shows a key.
const MASKED: &str = "sk-proj-***c9Q";
/// A second key, given on the command line to `config set`.
const OTHER: &str = "sk-other-SECONDPLANTEDk2m4n6p8";

#[track_caller]
fn assert_clean(what: &str, out: &Output) {
    for text in [&out.stdout, &out.stderr] {
        for needle in [NEEDLE, MASKED, "SECONDPLANTED"] {
            assert!(
                !text.contains(needle),
                "{needle:?} shows in `{what}`:\n--- stdout\n{}\n--- stderr\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    no_panic(&out.stderr);
}

/// An error body echoing the key whole and masked.
fn echoing(kind: &str, code: Option<&str>) -> String {
    serde_json::json!({"error": {
        "message": format!("Incorrect API key provided: {KEY}. You passed {MASKED}."),
        "type": kind,
        "code": code,
    }})
    .to_string()
}

fn server() -> FakeServer {
    let auth = || {
        Response::json(
            401,
            &echoing("invalid_request_error", Some("invalid_api_key")),
        )
    };
    FakeServer::start_blocking(
        "127.0.0.1:0".parse().unwrap(),
        vec![
            // Two retried 5xx (logged at debug), then the 401; then 401s.
            Route::new("POST", "/v1/chat/completions")
                .respond(Response::json(500, &echoing("server_error", None)))
                .respond(
                    Response::json(503, &echoing("server_error", None))
                        .header("retry-after-ms", "1"),
                )
                .respond(auth()),
            Route::new("GET", "/v1/models").respond(auth()),
            Route::prefix("POST", "/").respond(auth()),
            Route::prefix("GET", "/").respond(auth()),
        ],
        true,
    )
    .unwrap()
}

fn run(sb: &Sandbox, server: &FakeServer, args: &[&str]) -> Output {
    let mut cmd = sb.yat();
    cmd.timeout(std::time::Duration::from_secs(30))
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .env("OPENAI_MAX_RETRIES", "2");
    if cfg!(feature = "anthropic") {
        // A second provider whose key comes from the environment.
        cmd.env("ANTHROPIC_API_KEY", KEY)
            .env("ANTHROPIC_BASE_URL", server.url());
    }
    Output::from(cmd.args(args).output().unwrap())
}

#[test]
fn no_output_of_any_command_shows_a_planted_key() {
    let server = server();
    let sb = Sandbox::new();
    // An older setup's plaintext key in the JSON (shadowed by the .env one
    // below, and still never shown).
    sb.write_config(&format!(
        r#"{{"providers": [{{"id": "openai", "settings": [
            {{"key": "api_key", "type": "password", "env_var": "OPENAI_API_KEY", "value": "{KEY}"}}
        ]}}]}}"#
    ));

    let set = sb.run_stdin(&["keys", "set", "openai"], &format!("{KEY}\n"));
    assert_clean("keys set openai", &set.ok());

    let mut checked = 0;
    let commands: &[&[&str]] = &[
        &["keys", "list"],
        &["keys", "list", "--json"],
        &["config", "show"],
        &["config", "show", "--json"],
        &["config", "show", "openai"],
        &["config", "get", "openai.api_key"],
        &["providers"],
        &["providers", "list", "--json"],
        &["providers", "list", "--verbose"],
        &["providers", "info", "openai"],
        &["providers", "info", "openai", "--json"],
        &["models", "--provider", "openai"],
        &["models", "--provider", "openai", "--json"],
        &["-vvv", "models", "--provider", "openai"],
        &["-vvv", "chat", "-m", "openai/gpt-4o-mini", "hi"],
        &["chat", "-m", "openai/gpt-4o-mini", "hi"],
        &["chat", "--json", "-m", "openai/gpt-4o-mini", "hi"],
        &["-vvv", "chat", "--json", "-m", "openai/gpt-4o-mini", "hi"],
        &["config", "set", "openai.api_key", OTHER],
        &["-vvv", "config", "show"],
        &["keys", "remove", "openai"],
        &["-vvv", "keys", "list"],
    ];
    let mut logged_retries = false;
    for args in commands {
        let out = run(&sb, &server, args);
        assert_clean(&args.join(" "), &out);
        // The first chat meets the two echoing 5xx, retried and logged
        // at debug with the key scrubbed, then the echoing 401.
        if args.contains(&"chat") && out.stderr.contains("retrying") {
            assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
            logged_retries = true;
        }
        checked += 1;
    }
    assert!(logged_retries, "no chat met the echoing 5xx");
    assert!(server.requests().len() > 3);
    #[cfg(feature = "anthropic")]
    for args in [
        &["-vvv", "chat", "-m", "anthropic/claude-sonnet-4-5", "hi"][..],
        &["providers", "info", "anthropic", "--json"][..],
        &["config", "show", "anthropic", "--json"][..],
    ] {
        assert_clean(&args.join(" "), &run(&sb, &server, args));
        checked += 1;
    }

    eprintln!("{checked} command outputs grepped, none shows the key");
}

#[cfg(unix)]
#[test]
fn files_that_hold_keys_are_written_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let sb = Sandbox::new();
    // A .env the user created world-readable: storing a key tightens it.
    std::fs::create_dir_all(sb.keys_file().parent().unwrap()).unwrap();
    std::fs::write(sb.keys_file(), "# mine\nOTHER_VAR=1\n").unwrap();
    std::fs::set_permissions(sb.keys_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    sb.run_stdin(&["keys", "set", "openai"], KEY).ok();
    assert_eq!(mode(&sb.keys_file()), 0o600);
    let env = std::fs::read_to_string(sb.keys_file()).unwrap();
    assert!(env.starts_with("# mine\nOTHER_VAR=1\n"), "{env}");
    assert!(env.contains(KEY));

    // `config set` of a secret goes to the .env (0600), never to the JSON.
    sb.run(&["config", "set", "openai.api_key", OTHER]).ok();
    assert_eq!(mode(&sb.keys_file()), 0o600);
    // Any other setting goes to the JSON, which is 0600 too.
    sb.run(&["config", "set", "openai.base_url", "http://127.0.0.1:9/v1"])
        .ok();
    assert_eq!(mode(&sb.config_file()), 0o600);
    let json = std::fs::read_to_string(sb.config_file()).unwrap();
    assert!(
        !json.contains("SECONDPLANTED") && !json.contains(NEEDLE),
        "{json}"
    );
    // No temporary file is left beside them.
    let dir = sb.config_file().parent().unwrap().to_owned();
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".tmp")),
        "left behind: {names:?}"
    );
}
