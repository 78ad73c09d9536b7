//! Help, version, usage errors and completions.

mod common;

use common::{assert_snapshot, no_panic, Sandbox};

#[test]
fn top_level_help_matches_snapshot() {
    let out = Sandbox::new().run(&["--help"]).ok();
    assert_snapshot("help", &out.stdout);
}

#[test]
fn every_command_has_help_with_examples() {
    let sb = Sandbox::new();
    for cmd in [
        "chat",
        "providers",
        "models",
        "log",
        "alias",
        "config",
        "keys",
        "mcp",
        "completions",
    ] {
        let out = sb.run(&[cmd, "--help"]).ok();
        assert!(
            out.stdout.contains("Examples:"),
            "{cmd} --help has no examples:\n{}",
            out.stdout
        );
    }
    assert_snapshot("help-chat", &sb.run(&["chat", "--help"]).ok().stdout);
}

#[test]
fn version_names_the_core_and_the_compiled_providers() {
    let sb = Sandbox::new();
    let short = sb.run(&["-V"]).ok();
    assert_eq!(short.stdout, format!("yat {}\n", env!("CARGO_PKG_VERSION")));
    let long = sb.run(&["--version"]).ok();
    assert!(long.stdout.contains("yat-core"), "{}", long.stdout);
    assert!(long.stdout.contains("providers: "), "{}", long.stdout);
}

/// `yat` alone on a terminal prints the help; with stdin that is not a
/// terminal it is a chat about stdin, and an empty one says so.
#[cfg(unix)]
#[test]
fn no_command_on_a_terminal_prints_help_and_exits_2() {
    // The sandbox must outlive the child: a temporary would be removed
    // while the forked child is still about to enter its directory, and the
    // child's failed exec then aborts on the pty (1 run in 4).
    let sb = Sandbox::new();
    let mut p = common::pty::spawn(&sb, &[], &[]);
    p.exp_string("Usage: yat [OPTIONS] <COMMAND>").unwrap();
    p.exp_string("Commands:").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(common::pty::exit_code(&mut p), 2);

    Sandbox::new()
        .run_stdin(&[], "")
        .code(2)
        .one_error_line("the prompt is empty: pass it as an argument or on stdin (`yat --help`");
}

#[test]
fn unknown_commands_and_flags_are_usage_errors() {
    let sb = Sandbox::new();
    let out = sb.run(&["chat", "--bogus", "hi"]).code(2);
    assert!(out.stderr.starts_with("error:"), "{}", out.stderr);
    sb.check_errors(
        2,
        &[
            (
                &["providers", "frobnicate"],
                "unrecognized subcommand 'frobnicate'",
            ),
            (&["--bogus"], "unexpected argument '--bogus'"),
            (&["chat", "--bogus", "hi"], "--bogus"),
            (&["chat", "--temperature", "9", "hi"], "between 0 and 2"),
            (&["chat", "--max-tokens", "0", "hi"], "--max-tokens"),
            (&["chat", "--top-p", "1.5", "hi"], "--top-p"),
            (&["chat", "-c", "--cid", "3", "hi"], "--cid"),
        ],
    );
}

/// Every command ends a failure the same way, whoever found it (clap, the
/// CLI or the library): one line that starts with `error: `, lower case,
/// and no other line in another style.
#[test]
fn every_command_words_its_error_line_the_same_way() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (&["--bogus"], "error: unexpected argument '--bogus'"),
            (
                &["chat", "-m", "nope/x", "hi"],
                "error: unknown provider \"nope\"",
            ),
            (
                &["providers", "info", "nope"],
                "error: unknown provider \"nope\"",
            ),
            (
                &["models", "--provider", "nope"],
                "error: unknown provider \"nope\"",
            ),
            (&["alias", "set", "a/b", "mock/mock-echo"], "error: "),
            (
                &["config", "set", "justaword", "v"],
                "error: \"justaword\" is not a key",
            ),
            (&["keys", "set", "mock"], "error: mock takes no API key"),
            (&["completions", "tcsh"], "error: invalid value 'tcsh'"),
        ],
    );
    sb.check_errors(
        1,
        &[
            (
                &["chat", "-m", "mock/mock-fail-mid", "x"],
                "error: mock: network error",
            ),
            (&["log", "show", "999"], "error: no conversation 999"),
            (&["alias", "rm", "nope"], "error: no alias \"nope\""),
            (
                &["config", "get", "mock.delay_ms"],
                "error: mock.delay_ms is not set",
            ),
        ],
    );
}

#[test]
fn completions_for_every_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = sb.run(&["completions", shell]).ok();
        assert!(out.stdout.contains("yat"), "{shell}");
        assert!(
            out.stdout.contains("providers"),
            "{shell} completes subcommands"
        );
    }
    sb.run(&["completions", "tcsh"])
        .code(2)
        .one_error_line("invalid value 'tcsh'");
}

#[test]
fn completions_do_not_read_the_configuration() {
    let sb = Sandbox::new();
    sb.write_config("{ this is not json");
    sb.run(&["completions", "bash"]).ok();
    // Commands that need the configuration report the broken file, with its position.
    let out = sb.run(&["providers"]).code(1);
    out.one_error_line("provider_config.json:1:");
}

#[test]
fn output_to_a_pipe_has_no_colour_codes() {
    let sb = Sandbox::new();
    for args in [&["providers"][..], &["models"], &["chat", "hi"]] {
        let out = sb.run(args).ok();
        assert!(!out.stdout.contains('\x1b'), "{args:?}: {:?}", out.stdout);
        assert!(!out.stderr.contains('\x1b'), "{args:?}: {:?}", out.stderr);
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let sb = Sandbox::new();
    let mut child = std::process::Command::new(common::yat_bin())
        .args(["chat", "-m", "mock/mock-long", "--no-history", "x"])
        .env_clear()
        .envs(sb.env())
        .current_dir(sb.work_dir())
        // Not the test runner's stdin: piped stdin is part of the prompt.
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once: every write fails with a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    no_panic(&stderr);
    assert!(!stderr.contains("error:"), "{stderr}");
    assert_eq!(out.status.code(), Some(0));
}
