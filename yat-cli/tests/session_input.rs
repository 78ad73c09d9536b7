//! Prompts longer than a line in the interactive session, on a
//! pseudo-terminal: `!multi` … `!end`, and `!edit` with `$EDITOR` (a small
//! script standing in for the user's editor).
#![cfg(unix)]

mod common;

use common::pty::{exit_code, spawn};
use common::Sandbox;
use rexpect::session::PtySession;

fn session(sb: &Sandbox, env: &[(&str, &str)]) -> PtySession {
    let mut p = spawn(
        sb,
        &["chat", "--no-history", "-u", "-m", "mock/mock-echo"],
        env,
    );
    p.exp_string("Ctrl-D leaves").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    p
}

fn leave(mut p: PtySession) {
    p.send_line("/exit").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn multi_reads_lines_until_end_and_sends_them_as_one_prompt() {
    let sb = Sandbox::new();
    let mut p = session(&sb, &[]);
    p.send_line("!multi").unwrap();
    p.exp_string("... ").unwrap();
    p.send_line("first line").unwrap();
    p.exp_string("... ").unwrap();
    p.send_line("/model is text here").unwrap();
    p.exp_string("... ").unwrap();
    p.send_line("!end").unwrap();
    // The echo: both lines, as one prompt of 6 words.
    p.exp_string("first line\r\n/model is text here").unwrap();
    p.exp_string("mock/mock-echo: 6 input tokens").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    // An empty entry sends nothing.
    p.send_line("!multi").unwrap();
    p.exp_string("... ").unwrap();
    p.send_line("!end").unwrap();
    p.exp_string("nothing to send").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    leave(p);
}

#[test]
fn edit_sends_what_the_editor_saved() {
    let sb = Sandbox::new();
    // Appends a line to the draft it is given; fails on a draft that says so.
    let script = sb.file(
        "editor.sh",
        "#!/bin/sh\ngrep -q fail \"$1\" && exit 3\nprintf 'written in the editor\\n' >> \"$1\"\n",
    );
    let editor = format!("/bin/sh {}", script.display());
    // Drafts go to the temporary directory, and are removed.
    let tmp = sb.root().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let tmp_var = tmp.to_str().unwrap();
    let mut p = session(&sb, &[("EDITOR", &editor), ("TMPDIR", tmp_var)]);

    p.send_line("!edit").unwrap();
    p.exp_string("written in the editor").unwrap();
    p.exp_string("mock/mock-echo: 4 input tokens").unwrap();
    p.exp_string("mock-echo> ").unwrap();

    // A draft to start from, through /edit.
    p.send_line("/edit my draft").unwrap();
    p.exp_string("my draft\r\nwritten in the editor").unwrap();
    p.exp_string("mock-echo> ").unwrap();

    // An editor that fails sends nothing, and the session goes on.
    p.send_line("!edit fail").unwrap();
    p.exp_string("error: the editor").unwrap();
    p.exp_string("nothing sent").unwrap();
    p.exp_string("mock-echo> ").unwrap();
    leave(p);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "a draft was left"
    );
}
