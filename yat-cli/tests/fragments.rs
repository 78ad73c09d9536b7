//! `yat chat -f`: files and stdin whose text goes with the prompt, sent in
//! front of it, stored once in the log, and refused before sending when
//! they cannot fit the model's context.
#![cfg(feature = "history")]

mod common;

use common::{serve, Api, Run, Sandbox};
use rusqlite::Connection;

const NOTES: &str = "Meeting notes: the launch moves to May.\n";

fn count(sb: &Sandbox, sql: &str) -> i64 {
    Connection::open(sb.data_dir().join("history.sqlite"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// The text of message `index` of a recorded OpenAI request (`-1`: the
/// last), its parts joined as the API reads them.
fn text_of(body: &serde_json::Value, index: isize) -> String {
    let messages = body["messages"].as_array().unwrap();
    let i = if index < 0 {
        messages.len() - 1
    } else {
        index as usize
    };
    match &messages[i]["content"] {
        serde_json::Value::String(s) => s.clone(),
        parts => parts
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap())
            .collect(),
    }
}

#[test]
fn fragments_go_before_the_prompt_and_are_stored_once() {
    let sb = Sandbox::new();
    sb.file("notes.txt", NOTES);
    let api = Api::OpenAi;
    let server = serve(api, vec![api.stream(&["ok"]); 3]);
    let chat = |args: &[&str], stdin: &str| {
        sb.at(api, &server.url())
            .args(["chat", "-m", api.model()])
            .args(args)
            .write_stdin(stdin)
            .run()
            .ok();
    };
    chat(
        &["-f", "notes.txt", "-f", "-", "When is the launch?"],
        "Piped text.\n",
    );
    chat(&["--fragment", "notes.txt", "Who decided?"], "");
    // Continuing sends the stored fragment again, as it was.
    chat(&["-c", "And why?"], "");

    let requests = server.requests();
    assert_eq!(
        text_of(&requests[0].json(), -1),
        format!("{NOTES}Piped text.\nWhen is the launch?")
    );
    assert_eq!(
        text_of(&requests[1].json(), -1),
        format!("{NOTES}Who decided?")
    );
    assert_eq!(
        text_of(&requests[2].json(), 0),
        format!("{NOTES}Who decided?")
    );
    assert_eq!(text_of(&requests[2].json(), -1), "And why?");

    assert_eq!(count(&sb, "SELECT count(*) FROM fragments"), 2);
    assert_eq!(count(&sb, "SELECT count(*) FROM message_fragments"), 3);
    assert_eq!(
        count(
            &sb,
            "SELECT count(*) FROM messages WHERE instr(content, 'launch moves') > 0"
        ),
        0,
        "the notes are in the log once, as a fragment"
    );

    let c = sb.json(&["log", "show", "--json"]);
    assert_eq!(
        c["title"], "Who decided?",
        "titled after the prompt's own text"
    );
    let prompt = &c["messages"][0];
    assert_eq!(prompt["content"], "Who decided?");
    assert_eq!(prompt["fragments"][0]["source"], "notes.txt");
    assert_eq!(prompt["fragments"][0]["size"], NOTES.len());
    assert!(prompt["fragments"][0]["hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown.contains(&format!(
            "## user\n\n[fragment notes.txt · {} bytes · sha256:",
            NOTES.len()
        )),
        "{shown}"
    );
    assert!(!shown.contains("launch moves"), "{shown}");
}

#[test]
fn stdin_as_the_only_fragment_is_the_whole_prompt() {
    let sb = Sandbox::new();
    let out = sb.run_stdin(&["chat", "-m", "mock/mock-echo", "-f", "-"], "echo me\n");
    assert_eq!(out.ok().stdout, "echo me\n");
    assert_eq!(count(&sb, "SELECT count(*) FROM fragments"), 1);
}

#[test]
fn fragments_that_cannot_be_sent_are_refused_before_sending() {
    let sb = Sandbox::new();
    sb.file("empty.txt", "  \n");
    sb.file("image.bin", b"\x89PNG\r\n\x1a\n\xff\xfe");
    // mock-echo's context is 32,768 tokens: 200 kB is about 50,000.
    sb.file("big.txt", format!("{}\n", "word ".repeat(40_000)));
    sb.check_errors(
        2,
        &[
            (
                &["chat", "-f", "missing.txt", "hi"],
                "missing.txt: cannot read the fragment",
            ),
            (
                &["chat", "-f", "image.bin", "hi"],
                "image.bin is not text (UTF-8)",
            ),
            (
                &["chat", "-f", "empty.txt", "hi"],
                "the fragment empty.txt is empty",
            ),
            (&["chat", "-f", "-", "-f", "-", "hi"], "can be given once"),
            (
                &["chat", "-m", "mock/mock-echo", "-f", "big.txt", "hi"],
                "the fragment big.txt is about 50001 tokens (at 4 bytes a token), \
                 more than mock/mock-echo's context of 32768 tokens",
            ),
        ],
    );
    assert!(
        !sb.data_dir().join("history.sqlite").exists(),
        "nothing was sent or stored"
    );
}
