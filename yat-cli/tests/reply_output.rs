//! How the reply is printed: as it streams, whole (`--no-stream`), or only
//! its first or last fenced code block (`-x`, `--xl`).

mod common;

use common::Sandbox;

/// What the echoing mock is asked to say back.
const REPLY: &str = "Try this:\n```sh\nls -l\n```\nor this:\n~~~python\nprint(1)\n~~~\nDone.";
/// What stdout shows of it whole.
const WHOLE: &str = "Try this:\n```sh\nls -l\n```\nor this:\n~~~python\nprint(1)\n~~~\nDone.\n";

#[test]
fn the_reply_whole_or_one_of_its_code_blocks() {
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("streamed", &[], REPLY, WHOLE),
        ("held until complete", &["--no-stream"], REPLY, WHOLE),
        ("the first code block", &["-x"], REPLY, "ls -l\n"),
        ("the long flag", &["--extract"], REPLY, "ls -l\n"),
        ("the last code block", &["--xl"], REPLY, "print(1)\n"),
        ("its other name", &["--extract-last"], REPLY, "print(1)\n"),
        (
            "no code block: the whole reply",
            &["-x"],
            "just words",
            "just words\n",
        ),
    ];
    let sb = Sandbox::new();
    for (name, flags, prompt, expected) in cases {
        let args = [
            &["chat", "--no-history", "-m", "mock/mock-echo"][..],
            flags,
            &[prompt],
        ]
        .concat();
        assert_eq!(sb.run(&args).ok().stdout, *expected, "{name}");
    }
}

/// A reply that fails mid-stream: held text is still printed (nothing is
/// lost), a code block of a reply cut short is not.
#[test]
fn a_failed_reply_keeps_its_text_but_gives_no_code() {
    let sb = Sandbox::new();
    let streamed = sb.run(&["chat", "--no-history", "-m", "mock/mock-fail-mid", "x"]);
    let held = sb
        .run(&[
            "chat",
            "--no-history",
            "--no-stream",
            "-m",
            "mock/mock-fail-mid",
            "x",
        ])
        .code(1)
        .one_error_line("mock: network error");
    assert!(!held.stdout.is_empty());
    assert_eq!(held.stdout, streamed.stdout);
    let code = sb
        .run(&[
            "chat",
            "--no-history",
            "-x",
            "-m",
            "mock/mock-fail-mid",
            "x",
        ])
        .code(1);
    assert_eq!(code.stdout, "");
}

#[test]
fn held_output_does_not_mix_with_json_or_a_schema() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (&["chat", "-x", "--json", "hi"], "--json"),
            (&["chat", "--xl", "--schema", "{}", "hi"], "--schema"),
            (&["chat", "--no-stream", "--json", "hi"], "--json"),
            (&["chat", "-x", "--xl", "hi"], "--xl"),
        ],
    );
}
