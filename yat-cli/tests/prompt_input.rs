//! Where the prompt comes from: the argument, piped stdin, or both; nothing
//! the user gave is dropped.

mod common;

use common::Sandbox;

/// `yat ARGS...` with `piped` on stdin, answered by the echoing mock: what
/// the model was sent comes back on stdout.
fn sent(args: &[&str], piped: &str) -> String {
    let args = [&["--no-history", "-m", "mock/mock-echo"][..], args].concat();
    let out = Sandbox::new()
        .run_stdin(&[&["chat"][..], &args].concat(), piped)
        .ok();
    out.stdout
}

#[test]
fn piped_input_and_the_prompt_argument_both_reach_the_model() {
    let cases: &[(&str, &[&str], &str, &str)] = &[
        (
            "piped text first, then the argument, a blank line between",
            &["Summarise this:"],
            "line one\nline two\n",
            "line one\nline two\n\nSummarise this:\n",
        ),
        (
            "`-` alone is stdin, not the text \"-\"",
            &["-"],
            "from stdin\n",
            "from stdin\n",
        ),
        (
            "an empty pipe leaves the argument alone",
            &["just this"],
            "",
            "just this\n",
        ),
        (
            "no argument: the piped text is the prompt",
            &[],
            "piped only\n",
            "piped only\n",
        ),
    ];
    for (name, args, piped, expected) in cases {
        assert_eq!(sent(args, piped), *expected, "{name}");
    }
}

#[test]
fn a_dash_with_nothing_piped_is_an_empty_prompt() {
    Sandbox::new()
        .run_stdin(&["chat", "-"], "")
        .code(2)
        .one_error_line("the prompt is empty");
}

/// With no command, the arguments are a chat's (as in llm); a word that
/// names a command stays the command.
#[test]
fn a_prompt_with_no_command_is_a_chat() {
    let sb = Sandbox::new();
    let chats: &[(&[&str], &str, &str)] = &[
        (&["hello"], "", "hello\n"),
        (&["-m", "mock/mock-echo", "two words"], "", "two words\n"),
        (&["-v", "--no-history", "quiet"], "", "quiet\n"),
        (&[], "hi\n", "hi\n"),
        (&["Summarise:"], "notes\n", "notes\n\nSummarise:\n"),
    ];
    for (args, piped, expected) in chats {
        let out = sb.run_stdin(args, piped).ok();
        assert_eq!(out.stdout, *expected, "{args:?}:\n{}", out.stderr);
    }
    let models = sb.run(&["models"]).ok();
    assert!(models.stdout.starts_with("MODEL"), "{}", models.stdout);
    let help = sb.run(&["help"]).ok();
    assert!(help.stdout.contains("Commands:"), "{}", help.stdout);
}
