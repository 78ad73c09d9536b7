//! A database written by yat 0.1 (schema 1, text-only messages) opened by
//! this version: migrated in place, nothing lost, and ready for messages of
//! every kind.

use rusqlite::Connection;
use yat_core::{Media, Message, ModelRef, Part, Reasoning, Role, ToolCall, ToolResult, Usage};
use yat_store::{Exchange, LogQuery, Store};

/// The schema of yat 0.1, written out by hand as that version created it.
const SCHEMA_1: &str = "
    CREATE TABLE conversations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        title       TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE messages (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content         TEXT NOT NULL,
        provider        TEXT,
        model           TEXT,
        input_tokens    INTEGER,
        output_tokens   INTEGER,
        finish_reason   TEXT,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
    CREATE INDEX conversations_by_update ON conversations (updated_at);
    PRAGMA user_version = 1;";

/// Two conversations as 0.1 stored them: the first with a system prompt
/// and usage, the second with a reply whose usage was never reported.
fn write_old_database(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA_1).unwrap();
    conn.execute_batch(
        "INSERT INTO conversations (id, title, created_at, updated_at)
             VALUES (1, 'old question', '2024-05-01T10:00:00Z', '2024-05-01T10:00:05Z'),
                    (2, 'no usage', '2024-05-02T10:00:00Z', '2024-05-02T10:00:05Z');
         INSERT INTO messages (id, conversation_id, role, content, provider, model,
                               input_tokens, output_tokens, finish_reason, created_at)
             VALUES (1, 1, 'system', 'Be brief.', NULL, NULL, NULL, NULL, NULL, '2024-05-01T10:00:00Z'),
                    (2, 1, 'user', 'old question', NULL, NULL, NULL, NULL, NULL, '2024-05-01T10:00:01Z'),
                    (3, 1, 'assistant', 'old answer', 'mock', 'mock-echo', 7, 3, 'stop', '2024-05-01T10:00:05Z'),
                    (4, 2, 'user', 'no usage', NULL, NULL, NULL, NULL, NULL, '2024-05-02T10:00:01Z'),
                    (5, 2, 'assistant', 'reply', 'lab', 'llama', NULL, NULL, NULL, '2024-05-02T10:00:05Z');",
    )
    .unwrap();
}

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_old_database_is_migrated_in_place_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    write_old_database(&path);

    let store = Store::open(&path).unwrap();
    assert_eq!(user_version(&path), 4);

    // The rows already there are indexed for full-text search.
    let mut q = LogQuery::new(10);
    q.text = Some("answer".into());
    let found = store.search(&q).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].snippet.as_deref(), Some("old [answer]"));

    let old = store.conversation(1).unwrap().unwrap();
    assert_eq!(old.summary.title, "old question");
    assert_eq!(old.summary.created_at, "2024-05-01T10:00:00Z");
    assert_eq!(
        (old.summary.input_tokens, old.summary.output_tokens),
        (Some(7), Some(3))
    );
    assert_eq!(
        old.to_messages(),
        vec![
            Message::system("Be brief."),
            Message::user("old question"),
            Message::assistant("old answer"),
        ]
    );
    let reply = &old.messages[2];
    assert_eq!(reply.usage, Some(Usage::new(7, 3)), "no detail made up");
    assert_eq!(
        (reply.duration_ms, &reply.options),
        (None, &None),
        "not recorded then: unknown"
    );
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.created_at, "2024-05-01T10:00:05Z");
    assert_eq!(old.model(), Some(ModelRef::new("mock", "mock-echo")));

    let unknown = store.conversation(2).unwrap().unwrap();
    assert_eq!(
        unknown.messages[1].usage, None,
        "unknown usage stays unknown"
    );
    assert_eq!(
        (unknown.summary.input_tokens, unknown.summary.output_tokens),
        (None, None),
        "no reply reported usage: the totals are unknown too"
    );
    assert_eq!(store.last().unwrap().unwrap().summary.id, 2);
    drop(store);

    // Opening again finds nothing left to do.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.list(10).unwrap().len(), 2);
    assert_eq!(user_version(&path), 4);
    assert_eq!(store.search(&q).unwrap().len(), 1, "indexed once");
}

#[test]
fn a_migrated_database_takes_tool_calls_reasoning_and_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    write_old_database(&path);
    let mut store = Store::open(&path).unwrap();
    let target = ModelRef::new("mock", "mock-tools");

    let photo = Media::bytes("image/png", b"\x89PNG\r\n\x1a\nrest".to_vec()).with_name("cat.png");
    let prompt = [Message::user("What is the weather where this was taken?")
        .with_part(Part::Image(photo.clone()))];
    let call = ToolCall::new(
        "call_1",
        "get_weather",
        serde_json::json!({"city": "Paris"}),
    );
    let first_reply = [
        Part::Reasoning(Reasoning::new("They want the weather.").with_signature("sig-1")),
        Part::Reasoning(Reasoning::redacted("opaque==")),
        Part::ToolCall(call.clone()),
    ];
    store
        .record_exchange(
            1,
            &Exchange::new(&target, &prompt, &first_reply)
                .usage(Usage::new(20, 12).with_reasoning(8).with_cache_read(100))
                .finish("tool_calls"),
        )
        .unwrap();
    let results = [Message::tool_results([ToolResult::new(&call, "12°C")])];
    let answer = [Part::text("It is 12°C in Paris.")];
    store
        .record_exchange(1, &Exchange::new(&target, &results, &answer))
        .unwrap();

    // The continued old conversation is now the most recent.
    let c = store.last().unwrap().unwrap();
    assert_eq!(c.summary.id, 1);
    assert_eq!(c.summary.message_count, 7);
    let messages = c.to_messages();
    assert_eq!(
        &messages[..3],
        &[
            Message::system("Be brief."),
            Message::user("old question"),
            Message::assistant("old answer"),
        ]
    );
    assert_eq!(messages[3], prompt[0]);
    assert_eq!(messages[4], Message::assistant(first_reply.to_vec()));
    assert_eq!(messages[5], results[0]);
    assert_eq!(messages[5].role, Role::Tool);
    assert_eq!(messages[6], Message::assistant("It is 12°C in Paris."));

    let reply = &c.messages[4];
    assert_eq!(reply.content, "", "a reply of tool calls has no text");
    assert_eq!(
        reply.usage,
        Some(Usage::new(20, 12).with_reasoning(8).with_cache_read(100))
    );
    assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(c.messages[6].usage, None, "not reported: unknown, not 0");
    assert_eq!(
        c.messages[3].content,
        "What is the weather where this was taken?"
    );
    assert!(c
        .messages
        .windows(2)
        .all(|w| w[0].created_at <= w[1].created_at));
}
