//! The conversation log keeps every part: a database written by yat 0.1 is
//! migrated in place and continues; reasoning is stored with its signature
//! and sent back so the provider that signed it accepts the next turn;
//! usage details are stored, unknown usage stays unknown.
#![cfg(feature = "history")]

mod common;

use common::Sandbox;
use rusqlite::Connection;

fn db(sb: &Sandbox) -> Connection {
    Connection::open(sb.data_dir().join("history.sqlite")).unwrap()
}

/// A history database as yat 0.1 wrote it: schema 1, text only, one
/// conversation with usage and one whose reply reported none.
fn write_old_database(sb: &Sandbox) {
    std::fs::create_dir_all(sb.data_dir()).unwrap();
    db(sb)
        .execute_batch(
            "CREATE TABLE conversations (
                id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
                updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
             CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
                content TEXT NOT NULL, provider TEXT, model TEXT,
                input_tokens INTEGER, output_tokens INTEGER, finish_reason TEXT,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
             CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
             CREATE INDEX conversations_by_update ON conversations (updated_at);
             PRAGMA user_version = 1;
             INSERT INTO conversations (id, title, created_at, updated_at)
                VALUES (1, 'old question', '2024-05-01T10:00:00Z', '2024-05-01T10:00:05Z'),
                       (2, 'unmetered', '2024-05-02T10:00:00Z', '2024-05-02T10:00:05Z');
             INSERT INTO messages (conversation_id, role, content, provider, model,
                                   input_tokens, output_tokens, finish_reason, created_at)
                VALUES (1, 'system', 'Be brief.', NULL, NULL, NULL, NULL, NULL, '2024-05-01T10:00:00Z'),
                       (1, 'user', 'old question', NULL, NULL, NULL, NULL, NULL, '2024-05-01T10:00:01Z'),
                       (1, 'assistant', 'old answer', 'mock', 'mock-echo', 7, 3, 'stop', '2024-05-01T10:00:05Z'),
                       (2, 'user', 'unmetered', NULL, NULL, NULL, NULL, NULL, '2024-05-02T10:00:01Z'),
                       (2, 'assistant', 'reply', 'mock', 'mock-echo', NULL, NULL, NULL, '2024-05-02T10:00:05Z');",
        )
        .unwrap();
}

#[test]
fn an_old_database_is_migrated_shown_and_continued() {
    let sb = Sandbox::new();
    write_old_database(&sb);

    let shown = sb.run(&["log", "show", "1"]).ok().stdout;
    assert!(
        shown.contains("## system\n\nBe brief.\n\n## user\n\nold question\n\n## assistant (mock/mock-echo)\n\nold answer\n"),
        "{shown}"
    );
    let version: i64 = db(&sb)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4);
    // Its rows were indexed for search by the migration.
    let found = sb.json(&["log", "-q", "answer", "--json"]);
    assert_eq!(found[0]["id"], 1);
    assert_eq!(found[0]["snippet"], "old [answer]");

    let old: serde_json::Value = sb.json(&["log", "show", "1", "--json"]);
    assert_eq!(old["created_at"], "2024-05-01T10:00:00Z");
    assert_eq!(
        old["messages"][2]["usage"],
        serde_json::json!({"input_tokens": 7, "output_tokens": 3})
    );
    let unmetered: serde_json::Value = sb.json(&["log", "show", "2", "--json"]);
    assert_eq!(
        unmetered["messages"][1].get("usage"),
        Some(&serde_json::Value::Null),
        "unknown, not 0"
    );

    // Continue the old conversation with a reasoning model: the old rows
    // are sent (their words count as input: 2 + 2 + 2, the system prompt
    // as read from the cache), the new reply keeps its parts.
    let out = sb
        .run(&[
            "chat",
            "--cid",
            "1",
            "-m",
            "mock/mock-reasoning",
            "-u",
            "And now?",
        ])
        .ok();
    assert_eq!(out.stdout, "And now?\n");
    assert!(
        out.stderr.contains("mock/mock-reasoning: 6 input tokens"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(", 2 read from the cache"),
        "{}",
        out.stderr
    );
    let c: serde_json::Value = sb.json(&["log", "show", "1", "--json"]);
    let reply = &c["messages"][4];
    assert_eq!(reply["parts"][0]["type"], "reasoning");
    assert!(reply["parts"][0]["signature"]
        .as_str()
        .unwrap()
        .starts_with("mock-sig-"));
    assert_eq!(
        reply["parts"][1],
        serde_json::json!({"type": "text", "text": "And now?"})
    );
    assert!(reply["usage"]["reasoning_tokens"].as_u64().unwrap() > 0);
    assert_eq!(reply["usage"]["cache_read_tokens"], 2, "the system prompt");
    assert!(
        c["messages"][3].get("parts").is_none(),
        "a text prompt is its text"
    );
}

#[test]
fn reasoning_is_sent_back_signed_and_the_signing_model_accepts_the_next_turn() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-reasoning",
        "How many r in strawberry?",
    ])
    .ok();
    // mock-reasoning refuses a turn whose earlier reasoning comes back
    // without its signature or changed; this one is accepted.
    let out = sb.run(&["chat", "-c", "And in three words?"]).ok();
    assert_eq!(out.stdout, "And in three words?\n");
    let out = sb.run(&["chat", "-c", "Once more"]).ok();
    assert_eq!(out.stdout, "Once more\n");

    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown.contains(
            "## assistant (mock/mock-reasoning)\n\nthinking: The question has 5 words. \
             It begins with \"How many r in\".\n\nHow many r in strawberry?\n"
        ),
        "{shown}"
    );
    assert!(
        !shown.contains("mock-sig-"),
        "signatures are not for reading: {shown}"
    );

    // Had the signature not survived storage, the provider would refuse.
    db(&sb)
        .execute(
            "UPDATE messages SET parts = replace(parts, 'mock-sig-', 'mock-sig-0') WHERE id = 2",
            [],
        )
        .unwrap();
    sb.run(&["chat", "-c", "Again"])
        .code(1)
        .one_error_line("the reasoning has a signature that does not match its text");
}

#[test]
fn log_show_renders_each_replys_usage_with_the_details_reported() {
    let sb = Sandbox::new();
    sb.run(&[
        "chat",
        "-m",
        "mock/mock-reasoning",
        "--reasoning-effort",
        "low",
        "Hi there",
    ])
    .ok();
    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown.contains("Hi there\n2 input tokens, 5 output tokens (4 reasoning) · "),
        "{shown}"
    );
    assert!(
        shown.trim_end().ends_with(" ms · reasoning_effort=low"),
        "{shown}"
    );
    sb.run(&["chat", "-m", "mock/mock-echo", "plain"]).ok();
    let shown = sb.run(&["log", "show"]).ok().stdout;
    assert!(
        shown.contains("## assistant (mock/mock-echo)\n\nplain\n1 input tokens, 1 output tokens"),
        "{shown}"
    );
}
