//! Reasoning in text mode: before the answer, dimmed on a terminal, on
//! stderr when stdout is piped, hidden with `--no-reasoning`; and
//! `--reasoning-effort` reaching the request.

mod common;

use common::Sandbox;

#[test]
fn piped_stdout_gets_the_answer_and_stderr_the_reasoning() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-reasoning",
            "How many r in strawberry?",
        ])
        .ok();
    assert_eq!(out.stdout, "How many r in strawberry?\n");
    assert!(
        out.stderr
            .starts_with("thinking: The question has 5 words. It begins with \"How many r in\".\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\x1b'), "no colour off a terminal");
}

#[test]
fn no_reasoning_hides_it() {
    let out = Sandbox::new()
        .run(&[
            "chat",
            "-m",
            "mock/mock-reasoning",
            "--no-reasoning",
            "-u",
            "Why?",
        ])
        .ok();
    assert_eq!(out.stdout, "Why?\n");
    assert!(!out.stderr.contains("The question"), "{}", out.stderr);
    // Still counted: usage details say how much of the output was reasoning.
    assert!(out.stderr.contains("output tokens ("), "{}", out.stderr);
    assert!(out.stderr.contains(" reasoning)"), "{}", out.stderr);
}

#[test]
fn effort_sets_how_much_the_model_thinks() {
    let sb = Sandbox::new();
    let low = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-reasoning",
            "--reasoning-effort",
            "low",
            "Why is the sky blue?",
        ])
        .ok();
    assert_eq!(low.stderr, "thinking: The question has 5 words.\n");
    let high = sb
        .run(&[
            "chat",
            "-m",
            "mock/mock-reasoning",
            "--reasoning-effort",
            "high",
            "Why is the sky blue?",
        ])
        .ok();
    assert!(
        high.stderr
            .trim_end()
            .ends_with("Echoing it back answers it."),
        "{}",
        high.stderr
    );
    sb.run(&["chat", "--reasoning-effort", "max", "x"]).code(2);
}

#[cfg(unix)]
#[test]
fn on_a_terminal_reasoning_is_dimmed_before_the_answer() {
    use rexpect::session::{spawn_with_options, Options};

    let sb = Sandbox::new();
    let mut cmd = std::process::Command::new(common::yat_bin());
    cmd.args([
        "chat",
        "-m",
        "mock/mock-reasoning",
        "--reasoning-effort",
        "low",
        "Is it dim?",
    ])
    .env_clear()
    .envs(sb.env())
    .env("TERM", "xterm")
    .current_dir(sb.work_dir());
    let options = Options::new().timeout_ms(Some(20_000));
    let mut p = spawn_with_options(cmd, options).unwrap();
    let shown = p.exp_eof().unwrap();
    assert!(
        shown.contains("\x1b[2mThe question has 3 words.\x1b[0m\r\n\r\nIs it dim?\r\n"),
        "{shown:?}"
    );
}

#[cfg(feature = "anthropic")]
#[test]
fn redacted_reasoning_is_said_not_shown() {
    let out = common::redacted_reasoning_reply(&Sandbox::new(), &[]);
    assert_eq!(out.stdout, "Done.\n");
    assert_eq!(
        out.stderr,
        "thinking: [reasoning redacted by the provider]\n"
    );
}
