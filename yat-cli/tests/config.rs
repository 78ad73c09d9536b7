//! `yat config` and `yat keys`, and that secrets never reach any output.

mod common;

use common::Sandbox;

#[test]
fn path_is_the_config_file_in_use() {
    let sb = Sandbox::new();
    let out = sb.run(&["config", "path"]).ok();
    assert_eq!(
        out.stdout.trim_end(),
        sb.config_file().display().to_string()
    );
    let other = sb.root().join("elsewhere.json");
    let out = sb
        .run(&["--config", other.to_str().unwrap(), "config", "path"])
        .ok();
    assert_eq!(out.stdout.trim_end(), other.display().to_string());
}

#[test]
fn set_get_unset_a_provider_setting() {
    let sb = Sandbox::new();
    sb.run(&["config", "set", "mock.chunk_size", "3"]).ok();
    assert_eq!(
        sb.run(&["config", "get", "mock.chunk_size"]).ok().stdout,
        "3\n"
    );
    assert_eq!(
        sb.config_json()["providers"][0]["settings"][0]["value"],
        "3"
    );
    // The provider uses it: 3 characters per JSON delta.
    let out = sb
        .run(&["chat", "--json", "-m", "mock/mock-echo", "abcdef"])
        .ok();
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.contains("\"delta\""))
            .count(),
        2
    );

    sb.run(&["config", "unset", "mock.chunk_size"]).ok();
    assert_eq!(
        sb.run(&["config", "get", "mock.chunk_size"]).ok().stdout,
        "8\n",
        "the default again"
    );
    sb.run(&["config", "get", "mock.delay_ms"])
        .code(1)
        .one_error_line("mock.delay_ms is not set");
}

#[test]
fn values_are_checked_against_the_setting_kind() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (
                &["config", "set", "mock.chunk_size", "many"],
                "expected a whole number",
            ),
            (
                &["config", "set", "mock.colour", "red"],
                "its settings: chunk_size",
            ),
            (&["config", "set", "nope.key", "v"], "unknown provider"),
            (&["config", "set", "justaword", "v"], "PROVIDER.SETTING"),
            (&["config", "set", "history", "maybe"], "expected on or off"),
            (
                &["config", "set", "default_model", "nope/x"],
                "unknown provider \"nope\"",
            ),
        ],
    );
    assert!(!sb.config_file().exists(), "nothing written");
}

#[test]
fn a_value_that_breaks_the_provider_is_reported() {
    let sb = Sandbox::new();
    let out = sb.run(&["config", "set", "mock.fail", "init"]).ok();
    assert!(
        out.stderr.contains("warning: mock is failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_environment_wins_and_config_set_says_so() {
    let sb = Sandbox::new();
    sb.run_with(
        &[("MOCK_CHUNK_SIZE", "5")],
        &["config", "set", "mock.chunk_size", "3"],
    )
    .ok()
    .says("MOCK_CHUNK_SIZE is set in the environment and takes precedence");
}

#[test]
fn show_lists_preferences_and_settings_with_sources() {
    let sb = Sandbox::new();
    sb.run(&["config", "set", "mock.delay_ms", "0"]).ok();
    sb.run(&["config", "set", "default_model", "mock/mock-long"])
        .ok();
    sb.run(&["config", "set", "fallbacks", "mock/mock-echo"])
        .ok();
    let out = sb.run(&["config", "show"]).ok();
    assert!(
        out.stdout.contains("default_model  mock/mock-long"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fallbacks      mock/mock-echo"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("delay_ms    0      provider_config.json"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("chunk_size  8      default"),
        "{}",
        out.stdout
    );
    let json: serde_json::Value = sb.json(&["config", "show", "--json"]);
    assert_eq!(json["default_model"], "mock/mock-long");
    assert_eq!(
        json["providers"]["mock"]["values"]["delay_ms"]["source"],
        "config_file"
    );
    assert_eq!(
        sb.run(&["config", "get", "fallbacks"]).ok().stdout,
        "mock/mock-echo\n"
    );
}

#[test]
fn a_malformed_config_file_is_an_error_with_its_position_and_is_kept() {
    let sb = Sandbox::new();
    sb.write_config("{\n  \"providers\": [,]\n}");
    sb.check_errors(
        1,
        &[
            (
                &["config", "set", "mock.chunk_size", "3"],
                "provider_config.json:2:",
            ),
            (
                &["alias", "set", "x", "mock/mock-echo"],
                "provider_config.json:2:",
            ),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(sb.config_file()).unwrap(),
        "{\n  \"providers\": [,]\n}"
    );
}

#[test]
fn keys_for_a_provider_without_one() {
    Sandbox::new().check_errors(
        2,
        &[
            (&["keys", "set", "mock"], "mock takes no API key"),
            (&["keys", "set", "nope"], "unknown provider \"nope\""),
        ],
    );
}

/// A key planted in the environment, a `.env` file and the config never
/// shows up in any output, whatever the verbosity.
#[test]
fn planted_secrets_never_appear_in_output() {
    const PLANTED: &str = "sk-planted-7f3e9a";
    let sb = Sandbox::new();
    std::fs::write(
        sb.work_dir().join(".env"),
        format!("MOCK_API_KEY={PLANTED}\n"),
    )
    .unwrap();
    let runs: &[&[&str]] = &[
        &["config", "show"],
        &["config", "show", "--json"],
        &["providers", "--json"],
        &["providers", "info", "mock", "--json"],
        &["keys", "list", "--json"],
        &["-vvv", "chat", "--json", "-m", "mock/mock-echo", "hi"],
        &["-vvv", "models", "--provider", "mock", "--json"],
    ];
    for args in runs {
        let out = sb.run_with(&[("MOCK_API_KEY", PLANTED)], args);
        assert!(!out.stdout.contains(PLANTED), "{args:?} stdout");
        assert!(!out.stderr.contains(PLANTED), "{args:?} stderr");
    }
}

#[cfg(feature = "openai")]
mod with_a_secret_setting {
    use super::*;

    const PLANTED: &str = "sk-planted-openai-1234";

    #[test]
    fn config_set_of_a_secret_goes_to_the_private_env_file_and_stays_masked() {
        let sb = Sandbox::new();
        let out = sb.run(&["config", "set", "openai.api_key", PLANTED]).ok();
        assert!(out.stderr.contains("as OPENAI_API_KEY"), "{}", out.stderr);
        assert!(!out.stderr.contains(PLANTED));
        let env = std::fs::read_to_string(sb.keys_file()).unwrap();
        assert!(env.contains(PLANTED));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(sb.keys_file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        if sb.config_file().exists() {
            assert!(!std::fs::read_to_string(sb.config_file())
                .unwrap()
                .contains(PLANTED));
        }
        for args in [
            &["config", "show"][..],
            &["config", "show", "openai", "--json"],
            &["config", "get", "openai.api_key"],
            &["providers", "info", "openai"],
            &["keys", "list"],
            &["-vvv", "providers"],
        ] {
            let out = sb.run(args).ok();
            assert!(
                !out.stdout.contains(PLANTED) && !out.stderr.contains(PLANTED),
                "{args:?}"
            );
        }
        // A re-read resolves it: the provider is configured.
        let info = sb.run(&["providers", "info", "openai", "--json"]).ok();
        let v: serde_json::Value = serde_json::from_str(&info.stdout).unwrap();
        assert_eq!(
            v["resolved_settings"]["values"]["api_key"]["value"],
            "[redacted]"
        );
        assert_eq!(
            v["resolved_settings"]["values"]["api_key"]["source"],
            "dot_env"
        );
        assert_eq!(
            sb.run(&["config", "get", "openai.api_key"]).ok().stdout,
            "********\n"
        );
    }

    #[test]
    fn keys_set_from_stdin_list_and_remove() {
        let sb = Sandbox::new();
        sb.run_stdin(&["keys", "set", "openai"], &format!("  {PLANTED}\n"))
            .ok()
            .says("OPENAI_API_KEY stored in")
            .says("openai is ready");
        assert!(std::fs::read_to_string(sb.keys_file())
            .unwrap()
            .contains(&format!("OPENAI_API_KEY=\"{PLANTED}\"")));

        let list = sb.run(&["keys", "list"]).ok();
        let line = list
            .stdout
            .lines()
            .find(|l| l.starts_with("openai "))
            .unwrap();
        assert!(
            line.contains("✓ set") && line.contains("OPENAI_API_KEY"),
            "{line}"
        );
        assert!(!list.stdout.contains(PLANTED));
        let json: serde_json::Value = sb.json(&["keys", "list", "--json"]);
        let openai = json
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["provider"] == "openai")
            .unwrap();
        assert_eq!(openai["set"], true);

        sb.run(&["keys", "remove", "openai"]).ok();
        assert!(!std::fs::read_to_string(sb.keys_file())
            .unwrap()
            .contains(PLANTED));
        sb.run(&["keys", "remove", "openai"]).code(1);
        sb.run_stdin(&["keys", "set", "openai"], "\n")
            .code(2)
            .one_error_line("no key given");
    }

    /// `yat keys get` prints the key yat uses to a pipe (where it came from
    /// on stderr), and to a terminal only with --reveal.
    #[test]
    fn keys_get_prints_the_key_to_a_pipe_or_when_revealed() {
        let sb = Sandbox::new();
        sb.run_stdin(&["keys", "set", "openai"], PLANTED).ok();
        let out = sb.run(&["keys", "get", "openai"]).ok();
        assert_eq!(out.stdout, format!("{PLANTED}\n"));
        assert!(
            out.stderr.starts_with("note: openai's key, from "),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains(PLANTED));
        // What yat uses: the environment before the stored key.
        let out = sb
            .run_with(
                &[("OPENAI_API_KEY", "sk-from-env")],
                &["keys", "get", "openai"],
            )
            .ok()
            .says("from env OPENAI_API_KEY");
        assert_eq!(out.stdout, "sk-from-env\n");
        sb.check_errors(2, &[(&["keys", "get", "mock"], "mock takes no API key")]);
        sb.check_errors(
            1,
            &[(
                &["keys", "get", "anthropic"],
                "anthropic has no key: set one with `yat keys set anthropic`",
            )],
        );

        #[cfg(unix)]
        {
            use common::pty::{exit_code, spawn};
            let mut p = spawn(&sb, &["keys", "get", "openai"], &[]);
            p.exp_string("error: the key would show on the screen")
                .unwrap();
            let shown = p.exp_eof().unwrap();
            assert!(!shown.contains(PLANTED), "{shown}");
            assert_eq!(exit_code(&mut p), 2);
            let mut p = spawn(&sb, &["keys", "get", "openai", "--reveal"], &[]);
            p.exp_string(PLANTED).unwrap();
            p.exp_eof().unwrap();
            assert_eq!(exit_code(&mut p), 0);
        }
    }

    #[test]
    fn a_missing_key_says_how_to_fix_it() {
        let sb = Sandbox::new();
        sb.run(&["chat", "-m", "openai/gpt-4o-mini", "hi"])
            .code(1)
            .one_error_line(
                "openai: unavailable: API key (OPENAI_API_KEY) is not set: \
                 run `yat keys set openai` or export OPENAI_API_KEY",
            );
    }
}
