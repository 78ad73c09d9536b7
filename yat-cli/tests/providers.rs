//! `yat providers` and `yat models`.

mod common;

use common::{assert_table_snapshot, Sandbox};
use serde_json::json;

#[test]
fn list_shows_mock_ready_in_a_table() {
    let out = Sandbox::new().run(&["providers"]).ok();
    assert_table_snapshot("providers", &out.stdout, &["mock "]);
    // `providers list` is the same command.
    let again = Sandbox::new().run(&["providers", "list"]).ok();
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn verbose_list_names_crate_versions_and_the_plugin_api() {
    let out = Sandbox::new().run(&["providers", "--verbose"]).ok();
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        out.stdout.contains(&format!("yat-providers {v}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("plugin API: yat-core {v}")),
        "{}",
        out.stdout
    );
}

#[test]
fn json_list_has_status_and_reason() {
    let mock = provider(&Sandbox::new(), "mock");
    assert_eq!(mock["status"]["state"], "ready");
    assert_eq!(mock["reason"], serde_json::Value::Null);
    assert_eq!(mock["remedies"], json!([]));
    assert_eq!(mock["crate_name"], "yat-providers");
}

#[test]
fn json_gives_the_remedies_as_data_and_the_reason_in_cli_words() {
    let sb = Sandbox::new();
    sb.run(&["providers", "disable", "mock"]).ok();
    let mock = provider(&sb, "mock");
    assert_eq!(mock["status"], json!({"state": "disabled"}));
    assert_eq!(
        mock["remedies"],
        json!([{"remedy": "enable", "provider": "mock"}])
    );
    assert_eq!(
        mock["reason"],
        "disabled in the configuration: run `yat providers enable mock`"
    );

    // The sandbox has no keys: a keyed provider names what is missing.
    let openai = provider(&sb, "openai");
    assert_eq!(openai["status"]["state"], "needs_configuration");
    let setting = json!({"key": "api_key", "label": "API key",
        "env_var": "OPENAI_API_KEY", "kind": "secret"});
    assert_eq!(openai["status"]["missing"], json!([setting]));
    assert_eq!(
        openai["remedies"],
        json!([{"remedy": "set", "provider": "openai", "setting": setting}])
    );
    assert_eq!(
        openai["reason"],
        "API key (OPENAI_API_KEY) is not set: run `yat keys set openai` or export OPENAI_API_KEY"
    );
}

#[test]
fn info_shows_settings_with_sources() {
    let sb = Sandbox::new();
    let out = sb
        .run_with(&[("MOCK_CHUNK_SIZE", "4")], &["providers", "info", "mock"])
        .ok();
    for shown in ["✓ ready", "chunk_size", "env MOCK_CHUNK_SIZE"] {
        assert!(out.stdout.contains(shown), "{shown}: {}", out.stdout);
    }
    let v = sb.json(&["providers", "info", "mock", "--json"]);
    assert_eq!(v["id"], "mock");
    assert!(v["settings"].as_array().unwrap().len() >= 4);
}

#[test]
fn unknown_provider_is_a_usage_error_listing_what_exists() {
    let sb = Sandbox::new();
    let unknown = "unknown provider \"mokc\"; compiled in: ";
    sb.check_errors(
        2,
        &[
            (&["providers", "info", "mokc"], unknown),
            (&["providers", "enable", "mokc"], unknown),
        ],
    );
    assert!(!sb.config_file().exists(), "nothing written for a typo");
}

#[test]
fn disable_persists_and_enable_restores() {
    let sb = Sandbox::new();
    let out = sb.run(&["providers", "disable", "mock"]).ok();
    assert!(out.stderr.contains("mock disabled"), "{}", out.stderr);
    assert_eq!(sb.config_json()["providers"][0]["enabled"], false);

    let list = sb.run(&["providers"]).ok();
    assert!(list.stdout.contains("- disabled"), "{}", list.stdout);
    sb.run(&["chat", "-m", "mock/mock-echo", "hi"])
        .code(1)
        .one_error_line("yat providers enable mock");

    let out = sb.run(&["providers", "enable", "mock"]).ok();
    assert!(out.stderr.contains("mock enabled: ready"), "{}", out.stderr);
    assert_eq!(sb.config_json()["providers"][0]["enabled"], true);
    sb.run(&["chat", "-m", "mock/mock-echo", "hi"]).ok();
}

#[test]
fn enable_keeps_unknown_fields_of_the_original_app() {
    let sb = Sandbox::new();
    sb.write_config(
        r##"{"providers": [{"id": "mock", "name": "Mock", "icon": "🧪", "color": "#fff", "enabled": false,
            "config": {"x": 1}}], "theme": "dark"}"##,
    );
    sb.run(&["providers", "enable", "mock"]).ok();
    let v = sb.config_json();
    assert_eq!(v["providers"][0]["enabled"], true);
    assert_eq!(v["providers"][0]["icon"], "🧪");
    assert_eq!(v["providers"][0]["config"]["x"], 1);
    assert_eq!(v["theme"], "dark");
}

#[test]
fn a_provider_that_fails_to_start_is_reported_and_the_rest_work() {
    let out = Sandbox::new()
        .run_with(&[("MOCK_FAIL", "init")], &["providers"])
        .ok();
    for shown in ["✗ failed", "injected failure in initialize"] {
        assert!(out.stdout.contains(shown), "{shown}: {}", out.stdout);
    }
}

#[test]
fn models_lists_every_mock_model() {
    let out = Sandbox::new().run(&["models"]).ok();
    assert_table_snapshot("models", &out.stdout, &["mock/"]);
    let v = Sandbox::new().json(&["models", "--provider", "mock", "--json"]);
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ref"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"mock/mock-echo") && ids.contains(&"mock/mock-slow"),
        "{ids:?}"
    );
}

#[test]
fn models_of_an_unknown_or_broken_provider() {
    let sb = Sandbox::new();
    sb.run(&["models", "--provider", "nope"]).code(2);
    let broken = [("MOCK_FAIL", "list_models")];
    sb.run_with(&broken, &["models", "--provider", "mock"])
        .code(1)
        .one_error_line("injected failure in list_models");
    let out = sb.run_with(&broken, &["models"]).ok();
    // Said once, by the CLI: the library's own warning is not shown too.
    assert_eq!(
        out.stderr_lines("warning:"),
        ["warning: mock: cannot list models: mock: server error injected failure in list_models"],
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("WARN"), "{}", out.stderr);
}

#[cfg(all(
    feature = "ollama",
    feature = "lmstudio",
    feature = "vllm",
    feature = "llamacpp"
))]
mod local_servers {
    use super::*;

    /// Points each `(provider, base URL)` in the sandbox's config file.
    fn point_at(sb: &Sandbox, locals: &[(&str, &str)]) {
        let providers: Vec<_> = locals
            .iter()
            .map(|(id, url)| json!({"id": id, "settings": [{"key": "base_url", "value": url}]}))
            .collect();
        sb.write_config(&json!({ "providers": providers }).to_string());
    }

    /// `yat ARGS...`, which must succeed within `limit_ms`.
    fn run_within(sb: &Sandbox, args: &[&str], limit_ms: u128) -> common::Output {
        let started = std::time::Instant::now();
        let out = sb.run(args).ok();
        let took = started.elapsed();
        assert!(took.as_millis() < limit_ms, "{args:?} took {took:?}");
        out
    }

    /// Local servers that are configured but not running: one short line
    /// each, naming where yat looked, and nothing else about them.
    #[test]
    fn models_says_once_per_local_server_that_it_is_not_reachable() {
        let sb = Sandbox::new();
        let url = format!("{}/v1", common::closed_port_url());
        let locals = ["llamacpp", "lmstudio", "ollama", "vllm"];
        point_at(&sb, &locals.map(|id| (id, url.as_str())));
        let line =
            |id: &str| format!("{id}: configured, not reachable ({url}: connection refused)");

        // Without retries: a refused connection is not tried again (that
        // took 1.2 s per server).
        let out = run_within(&sb, &["models"], 1000);
        let lines: Vec<&str> = out.stderr.lines().collect();
        let expected: Vec<String> = locals
            .iter()
            .map(|id| format!("note: {}", line(id)))
            .collect();
        assert_eq!(lines[..locals.len()], expected, "{}", out.stderr);
        // Then the count of the others (keyed providers without a key), which
        // does not count these again.
        assert_eq!(lines.len(), locals.len() + 1, "{}", out.stderr);
        assert!(
            lines[locals.len()]
                .ends_with(" provider(s) not ready and not listed: see `yat providers`"),
            "{}",
            out.stderr
        );

        // Asked for one of them, the same words are the error.
        let out = sb
            .run(&["models", "--provider", "ollama"])
            .code(1)
            .one_error_line(&line("ollama"));
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }

    /// `yat providers` does not call a local server "ready" when nothing
    /// listens there: one quick probe each, all at once, and one line that says
    /// where yat looked; a server that is up stays ready.
    #[test]
    fn providers_probes_each_local_server_once_and_says_which_are_not_reachable() {
        let sb = Sandbox::new();
        let closed = format!("{}/v1", common::closed_port_url());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = format!("http://{}/v1", listener.local_addr().unwrap());
        point_at(
            &sb,
            &[
                ("llamacpp", &open),
                ("lmstudio", &closed),
                ("ollama", &closed),
                ("vllm", &closed),
            ],
        );

        let out = run_within(&sb, &["providers"], 1000);
        let row = |id: &str| {
            let rows: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.starts_with(&format!("{id} ")))
                .collect();
            assert_eq!(rows.len(), 1, "{}", out.stdout);
            rows[0]
        };
        assert!(row("llamacpp").contains("✓ ready"), "{}", out.stdout);
        for id in ["lmstudio", "ollama", "vllm"] {
            let line = row(id);
            assert!(line.contains("! not reachable"), "{line}");
            assert!(
                line.ends_with(&format!(
                    "configured, not reachable ({closed}: connection refused): is the server running?"
                )),
                "{line}"
            );
        }
        assert_eq!(out.stderr, "", "nothing else is said about them");

        // As data: `reachable` for each probed provider, the reason in words.
        assert_eq!(provider(&sb, "llamacpp")["reachable"], true);
        let ollama = provider(&sb, "ollama");
        assert_eq!(ollama["reachable"], false);
        assert!(
            ollama["reason"]
                .as_str()
                .unwrap()
                .starts_with("configured, not reachable"),
            "{ollama}"
        );
        // A provider not on this machine is not probed.
        assert!(provider(&sb, "mock").get("reachable").is_none());
    }
}

/// Every column of `yat models` has a header, and `--json` gives what the
/// table shows: the default and the aliases of each model.
#[test]
fn models_shows_defaults_and_aliases_under_headers_and_as_json() {
    let sb = Sandbox::new();
    sb.run(&["models", "default", "mock/mock-echo"]).ok();
    sb.run(&["alias", "set", "fast", "mock/mock-long"]).ok();
    sb.run(&["alias", "set", "quick", "mock/mock-long"]).ok();
    let table = sb.run(&["models", "--provider", "mock"]).ok().stdout;
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    assert_eq!(header, ["MODEL", "NAME", "CONTEXT", "MAX OUTPUT", "NOTES"]);
    let row = |model: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{model} ")))
            .unwrap_or_else(|| panic!("no {model} in\n{table}"))
    };
    assert!(row("mock/mock-echo").ends_with("  default"), "{table}");
    assert!(
        row("mock/mock-long").ends_with("  alias fast, alias quick"),
        "{table}"
    );

    let list = sb.json(&["models", "--provider", "mock", "--json"]);
    let model = |r: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["ref"] == r)
            .unwrap()
            .clone()
    };
    assert_eq!(model("mock/mock-long")["aliases"], json!(["fast", "quick"]));
    assert_eq!(model("mock/mock-long")["default"], false);
    assert_eq!(model("mock/mock-echo")["aliases"], json!([]));
    assert_eq!(model("mock/mock-echo")["default"], true);
}

#[test]
fn default_model_set_show_use_unset() {
    let sb = Sandbox::new();
    let out = sb.run(&["models", "default"]).ok();
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("no default model set"),
        "{}",
        out.stderr
    );

    sb.run(&["models", "default", "mock/mock-long"]).ok();
    assert_eq!(sb.config_json()["default_model"], "mock/mock-long");
    assert_eq!(
        sb.run(&["models", "default"]).ok().stdout,
        "mock/mock-long\n"
    );
    let models = sb.run(&["models"]).ok();
    assert!(models
        .stdout
        .lines()
        .any(|l| l.starts_with("mock/mock-long") && l.ends_with("default")));

    // The default is used without the "using the mock" notice.
    let chat = sb.run(&["chat", "--max-tokens", "1", "hi"]).ok();
    assert_eq!(chat.stdout, "yat is a\n");
    assert!(!chat.stderr.contains("no default"), "{}", chat.stderr);

    sb.run(&["models", "default", "--unset"]).ok();
    assert!(sb.config_json().get("default_model").is_none());
}

#[test]
fn default_model_must_be_a_known_provider() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (
                &["models", "default", "nope/x"],
                "unknown provider \"nope\"",
            ),
            (
                &["models", "default", "no-slash"],
                "\"no-slash\" is neither",
            ),
        ],
    );
    assert!(!sb.config_file().exists());
    // A model a ready provider does not list is a warning, not an error.
    let out = sb.run(&["models", "default", "mock/unlisted"]).ok();
    assert!(
        out.stderr.contains("does not list a model"),
        "{}",
        out.stderr
    );
}

/// The entry of `yat providers --json` for `id`.
fn provider(sb: &Sandbox, id: &str) -> serde_json::Value {
    let list = sb.json(&["providers", "--json"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {list}"))
        .clone()
}
