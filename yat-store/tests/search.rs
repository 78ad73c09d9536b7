//! Searching the log: full-text words, filters by provider, model,
//! conversation and time, on a real file; and what is stored with each
//! reply (its options and duration).

use std::time::Duration;

use rusqlite::Connection;
use yat_core::{ChatRequest, Message, ModelRef, Part};
use yat_store::{parse_time, Edge, Exchange, LogQuery, Store};

/// A store on disk with three conversations, each one exchange:
/// 1 `mock/mock-echo` on 2024-05-01, 2 `openai/gpt-4o-mini` on 2024-05-02,
/// 3 `openrouter/meta-llama/llama-3` on 2024-05-03.
fn three_conversations(dir: &tempfile::TempDir) -> Store {
    let path = dir.path().join("history.sqlite");
    let mut store = Store::open(&path).unwrap();
    for (prompt, reply, provider, model) in [
        (
            "How does the borrow checker work?",
            "It tracks lifetimes of references.",
            "mock",
            "mock-echo",
        ),
        (
            "Write a haiku about autumn",
            "Leaves fall, borrowing the wind",
            "openai",
            "gpt-4o-mini",
        ),
        (
            "Café prices in Paris?",
            "About three euros for an espresso.",
            "openrouter",
            "meta-llama/llama-3",
        ),
    ] {
        let target = ModelRef::new(provider, model);
        let id = store.create_conversation(prompt, None).unwrap();
        let sent = [Message::user(prompt)];
        let reply = [Part::text(reply)];
        store
            .record_exchange(id, &Exchange::new(&target, &sent, &reply))
            .unwrap();
    }
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "UPDATE messages SET created_at = '2024-05-0' || conversation_id || 'T12:00:00Z';",
        )
        .unwrap();
    store
}

fn ids(store: &Store, query: &LogQuery) -> Vec<i64> {
    store.search(query).unwrap().iter().map(|s| s.id).collect()
}

fn query(edit: impl FnOnce(&mut LogQuery)) -> LogQuery {
    let mut q = LogQuery::new(10);
    edit(&mut q);
    q
}

#[test]
fn words_are_found_in_prompts_and_replies_whatever_their_case_and_accents() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_conversations(&dir);
    let text = |t: &str| query(|q| q.text = Some(t.into()));
    for (typed, found) in [
        ("borrow", vec![1]),
        ("LIFETIMES references", vec![1]),
        ("borrow*", vec![1, 2]),
        ("cafe", vec![3]),
        ("espresso paris", vec![]), // in two messages, not in one
        ("haiku \"autumn\" - OR NEAR( x:y", vec![]),
        ("*", vec![]),
    ] {
        let mut got = ids(&store, &text(typed));
        got.sort_unstable();
        assert_eq!(got, found, "{typed:?}");
    }
    let hit = &store.search(&text("lifetimes")).unwrap()[0];
    assert_eq!(
        hit.snippet.as_deref(),
        Some("It tracks [lifetimes] of references.")
    );
    assert!(store.list(10).unwrap().iter().all(|s| s.snippet.is_none()));
}

#[test]
fn filters_by_provider_model_conversation_and_time_combine() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_conversations(&dir);
    let day = |d: &str, edge| Some(parse_time(d, edge).unwrap());
    for (name, q, found) in [
        ("none: newest first", query(|_| {}), vec![3, 2, 1]),
        (
            "provider",
            query(|q| q.provider = Some("openai".into())),
            vec![2],
        ),
        (
            "model",
            query(|q| q.model = Some("mock-echo".into())),
            vec![1],
        ),
        (
            "provider/model",
            query(|q| q.model = Some("openai/gpt-4o-mini".into())),
            vec![2],
        ),
        (
            "a model with a slash",
            query(|q| q.model = Some("meta-llama/llama-3".into())),
            vec![3],
        ),
        (
            "provider/model with a slash",
            query(|q| q.model = Some("openrouter/meta-llama/llama-3".into())),
            vec![3],
        ),
        (
            "wrong provider",
            query(|q| q.model = Some("mock/gpt-4o-mini".into())),
            vec![],
        ),
        ("conversation", query(|q| q.conversation = Some(2)), vec![2]),
        (
            "since",
            query(|q| q.since = day("2024-05-02", Edge::Start)),
            vec![3, 2],
        ),
        (
            "until",
            query(|q| q.until = day("2024-05-02", Edge::End)),
            vec![2, 1],
        ),
        (
            "one day",
            query(|q| {
                q.since = day("2024-05-02", Edge::Start);
                q.until = day("2024-05-02", Edge::End);
            }),
            vec![2],
        ),
        (
            "words and provider",
            query(|q| {
                q.text = Some("borrow*".into());
                q.provider = Some("openai".into());
            }),
            vec![2],
        ),
        ("limit", query(|q| q.limit = 1), vec![3]),
    ] {
        assert_eq!(ids(&store, &q), found, "{name}");
    }
}

#[test]
fn the_index_follows_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = three_conversations(&dir);
    assert!(store.delete(1).unwrap());
    assert!(ids(&store, &query(|q| q.text = Some("borrow*".into()))) == [2]);
    Connection::open(dir.path().join("history.sqlite"))
        .unwrap()
        .execute_batch("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check');")
        .unwrap();
}

#[test]
fn a_reply_keeps_its_options_and_duration() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let sent = [Message::user("hi")];
    let reply = [Part::text("hi")];
    let request = ChatRequest::new("mock-echo", sent.to_vec())
        .temperature(0.2)
        .max_tokens(64);
    let id = store.create_conversation("hi", None).unwrap();
    store
        .record_exchange(
            id,
            &Exchange::new(&target, &sent, &reply)
                .request(&request)
                .duration(Duration::from_millis(1234)),
        )
        .unwrap();
    store
        .record_exchange(id, &Exchange::new(&target, &sent, &reply))
        .unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    let (timed, untimed) = (&c.messages[1], &c.messages[3]);
    assert_eq!(timed.duration_ms, Some(1234));
    assert_eq!(
        serde_json::to_value(&timed.options).unwrap(),
        serde_json::json!({"temperature": 0.2, "max_tokens": 64})
    );
    assert_eq!((untimed.duration_ms, &untimed.options), (None, &None));

    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["messages"][3]["options"], serde_json::Value::Null);
}
