//! Conversation storage: `yat log`, `-c`, `--cid`, `--no-history`, the
//! `history` setting, and the database file.
#![cfg(feature = "history")]

mod common;

use common::Sandbox;

fn log_json(sb: &Sandbox) -> Vec<serde_json::Value> {
    let out = sb.run(&["log", "--json"]).ok();
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn empty_history() {
    let sb = Sandbox::new();
    let out = sb.run(&["log"]).ok();
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("no conversations stored yet"));
    assert!(log_json(&sb).is_empty());
    sb.run(&["log", "show"])
        .code(1)
        .one_error_line("no conversations stored yet");
    sb.run(&["chat", "-c", "x"])
        .code(1)
        .one_error_line("no conversation to continue");
    assert!(
        !sb.data_dir().join("history.sqlite").exists(),
        "reading creates nothing"
    );
}

#[test]
fn exchanges_are_stored_listed_and_shown() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-echo",
        "-s",
        "be brief",
        "first question",
    ])
    .ok();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-long",
        "--max-tokens",
        "1",
        "second question",
    ])
    .ok();

    let list = log_json(&sb);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["title"], "second question");
    assert_eq!(list[0]["provider"], "mock");
    assert_eq!(list[0]["model"], "mock-long");
    assert_eq!(list[1]["message_count"], 3, "system, user, assistant");

    let table = sb.run(&["log"]).ok().stdout;
    let header = table.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["ID", "UPDATED", "MODEL", "MESSAGES", "TOKENS", "TITLE"]
    );
    assert!(table.contains("mock/mock-long") && table.contains("first question"));
    assert_eq!(sb.run(&["log", "-n", "1"]).ok().stdout.lines().count(), 2);

    let id = list[1]["id"].as_i64().unwrap().to_string();
    let shown = sb.run(&["log", "show", &id]).ok().stdout;
    assert!(shown.contains("## system\n\nbe brief"), "{shown}");
    assert!(shown.contains("## user\n\nfirst question"), "{shown}");
    assert!(
        shown.contains("## assistant (mock/mock-echo)\n\nfirst question"),
        "{shown}"
    );

    let json = sb.run(&["log", "show", &id, "--json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["messages"][2]["usage"]["output_tokens"], 2);
    assert_eq!(v["messages"][2]["finish_reason"], "stop");

    sb.run(&["log", "show", "999"])
        .code(1)
        .one_error_line("no conversation 999");
}

#[test]
fn continue_sends_the_history_and_appends_to_the_same_conversation() {
    let sb = Sandbox::new();
    sb.run(&["chat", "-m", "mock/mock-echo", "one"]).ok();
    // -u shows input tokens: the earlier exchange ("one" + "one") is sent too.
    let out = sb.run(&["chat", "-c", "-u", "two"]).ok();
    assert_eq!(out.stdout, "two\n");
    assert!(
        out.stderr.contains("mock/mock-echo: 3 input tokens"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("no default"),
        "the conversation's model is used: {}",
        out.stderr
    );
    let list = log_json(&sb);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["message_count"], 4);

    // --cid picks an older one; -m overrides its model.
    sb.run(&["chat", "-m", "mock/mock-echo", "other"]).ok();
    let first = list[0]["id"].as_i64().unwrap().to_string();
    sb.run(&[
        "chat",
        "--cid",
        &first,
        "-m",
        "mock/mock-long",
        "--max-tokens",
        "1",
        "three",
    ])
    .ok();
    let list = log_json(&sb);
    assert_eq!(
        list[0]["id"].as_i64().unwrap().to_string(),
        first,
        "most recent first"
    );
    assert_eq!(list[0]["message_count"], 6);
    assert_eq!(list[0]["model"], "mock-long");
}

#[test]
fn no_history_flag_and_setting_store_nothing() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "--no-history",
        "-m",
        "mock/mock-echo",
        "secret plans",
    ])
    .ok();
    assert!(log_json(&sb).is_empty());
    sb.run(&["config", "set", "history", "off"]).ok();
    assert_eq!(sb.run(&["config", "get", "history"]).ok().stdout, "off\n");
    sb.run(&["chat", "-m", "mock/mock-echo", "more plans"]).ok();
    assert!(log_json(&sb).is_empty());
    sb.run(&["config", "set", "history", "on"]).ok();
    sb.run(&["chat", "-m", "mock/mock-echo", "now stored"]).ok();
    assert_eq!(log_json(&sb).len(), 1);
}

#[test]
fn failed_and_interrupted_replies_are_not_stored() {
    let sb = Sandbox::new();
    sb.run(&["chat", "-m", "mock/mock-fail-mid", "x"]).code(1);
    assert!(log_json(&sb).is_empty());
}

#[test]
fn database_lives_in_the_data_dir_and_is_private() {
    let sb = Sandbox::new();
    let path = sb.run(&["log", "path"]).ok().stdout;
    assert_eq!(
        path.trim_end(),
        sb.data_dir().join("history.sqlite").display().to_string()
    );
    sb.run(&["chat", "-m", "mock/mock-echo", "x"]).ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.data_dir().join("history.sqlite"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// An OpenAI stream that reports no usage, as some local servers send it.
const STREAM_WITHOUT_USAGE: &str = "\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

#[test]
fn a_reply_without_usage_is_stored_as_unknown_not_zero() {
    use common::{serve, Api, Run};
    let sb = Sandbox::new();
    let api = Api::OpenAi;
    let server = serve(
        api,
        vec![yat_fakeserver::Response::sse(STREAM_WITHOUT_USAGE)],
    );
    let out = sb
        .at(api, &server.url())
        .args(["chat", "-u", "-m", api.model(), "hello"])
        .run()
        .ok();
    assert!(out.stderr.contains("no usage reported"), "{}", out.stderr);

    let list = log_json(&sb);
    assert_eq!(list[0]["input_tokens"], serde_json::Value::Null);
    assert_eq!(list[0]["output_tokens"], serde_json::Value::Null);
    let shown: serde_json::Value = sb.json(&["log", "show", "--json"]);
    let reply = &shown["messages"][1];
    assert_eq!(reply.get("usage"), Some(&serde_json::Value::Null));
    assert_eq!(reply["finish_reason"], "stop");

    let table = sb.run(&["log"]).ok().stdout;
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[4..6], ["2", "—"], "{table}");
    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(shown.contains("· tokens —\n"), "{shown}");
    assert!(shown.contains("\n\nHi\ntokens — · "), "{shown}");
    assert!(!shown.contains(" 0 "), "{shown}");
}

/// Three conversations: 1 `mock/mock-echo` on 2024-05-01, 2 `mock/mock-long`
/// on 2024-05-02, 3 `mock/mock-echo` on 2024-05-03 (dates set in the file).
fn three_days(sb: &Sandbox) {
    for args in [
        ["-m", "mock/mock-echo", "How does the borrow checker work?"],
        ["-m", "mock/mock-long", "Tell me about borrowing money"],
        ["-m", "mock/mock-echo", "Café prices in Paris"],
    ] {
        sb.run(&[&["chat", "--max-tokens", "4"], &args[..]].concat())
            .ok();
    }
    rusqlite::Connection::open(sb.data_dir().join("history.sqlite"))
        .unwrap()
        .execute_batch(
            "UPDATE messages SET created_at = '2024-05-0' || conversation_id || 'T12:00:00Z';",
        )
        .unwrap();
}

fn ids(sb: &Sandbox, args: &[&str]) -> Vec<i64> {
    let out = sb.run(&[&["log", "--json"], args].concat()).ok();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_log_is_searched_and_filtered() {
    let sb = Sandbox::new();
    three_days(&sb);
    sb.run(&["alias", "set", "long", "mock/mock-long"]).ok();
    for (args, found) in [
        (&[][..], &[3, 2, 1][..]),
        (&["-q", "borrow"], &[1]),
        // Best match first: bm25 ranks the shorter message higher.
        (&["-q", "BORROW*"], &[2, 1]),
        (&["-q", "cafe paris"], &[3]),
        (&["-q", "checker \"work\" OR - x:y"], &[]),
        (&["-m", "mock/mock-echo"], &[3, 1]),
        (&["--model", "mock-long"], &[2]),
        (&["-m", "long"], &[2]),
        (&["--provider", "mock"], &[3, 2, 1]),
        (&["--provider", "openai"], &[]),
        (&["--cid", "2"], &[2]),
        (&["--since", "2024-05-02"], &[3, 2]),
        (&["--until", "2024-05-02 12:00"], &[2, 1]),
        (
            &["--since", "2024-05-02T00:00:00Z", "--until", "2024-05-02"],
            &[2],
        ),
        (&["--since", "30d"], &[]),
        (
            &["-q", "borrow*", "-m", "mock-echo", "--until", "2024-05-01"],
            &[1],
        ),
        (&["-n", "1"], &[3]),
    ] {
        assert_eq!(ids(&sb, args), found, "yat log {args:?}");
    }

    let table = sb.run(&["log", "-q", "borrowing"]).ok().stdout;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header.last(), Some(&"MATCH"));
    assert!(table.contains("Tell me about [borrowing] money"), "{table}");
    sb.run(&["log", "-q", "nowhere"])
        .ok()
        .says("no conversation matches");
}

#[test]
fn bad_search_flags_are_usage_errors() {
    let sb = Sandbox::new();
    sb.check_errors(
        2,
        &[
            (&["log", "--since", "2024-13-01"], "is not a time"),
            (&["log", "--until", "yesterday"], "YYYY-MM-DD"),
            (&["log", "-q", " * "], "no word to search for"),
            (
                &["log", "--since", "2024-06-01", "--until", "2024-05-01"],
                "--since (2024-06-01T00:00:00Z) is after --until",
            ),
            (&["log", "--cid", "x"], "invalid value 'x'"),
        ],
    );
}

#[test]
fn the_json_shapes_are_the_documented_ones() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-long",
        "-s",
        "Be brief.",
        "--temperature",
        "0.5",
        "--max-tokens",
        "3",
        "--stop",
        "END",
        "Tell me",
    ])
    .ok();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let summary = [
        "id",
        "title",
        "provider",
        "model",
        "created_at",
        "updated_at",
        "message_count",
        "input_tokens",
        "output_tokens",
    ];
    let list = log_json(&sb);
    assert_eq!(keys(&list[0]), summary);
    let found = sb.json(&["log", "-q", "tell", "--json"]);
    assert_eq!(keys(&found[0]), [&summary[..], &["snippet"]].concat());

    let c = sb.json(&["log", "show", "--json"]);
    assert_eq!(keys(&c), [&summary[..], &["messages"]].concat());
    let m = &c["messages"];
    assert_eq!(keys(&m[0]), ["role", "content", "created_at"]);
    assert_eq!(keys(&m[1]), ["role", "content", "created_at"]);
    assert_eq!(
        keys(&m[2]),
        [
            "role",
            "content",
            "provider",
            "model",
            "usage",
            "finish_reason",
            "duration_ms",
            "options",
            "created_at"
        ]
    );
    assert_eq!(
        m[2]["options"],
        serde_json::json!({"temperature": 0.5, "max_tokens": 3, "stop": ["END"]})
    );
    assert!(m[2]["duration_ms"].is_u64());
    assert_eq!(m[2]["finish_reason"], "length");

    let shown = sb.run(&["log", "show"]).ok().stdout;
    let facts = shown.lines().last().unwrap();
    assert!(
        facts.starts_with("4 input tokens, 3 output tokens · ")
            && facts
                .ends_with(" ms · finished: length · temperature=0.5 max_tokens=3 stop=[\"END\"]"),
        "{shown}"
    );
}
