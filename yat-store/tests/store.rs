//! The history database on a real file.

use yat_core::{Message, ModelRef, Part, Role, Usage};
use yat_store::{Exchange, Store, StoreError};

/// Records `prompt` and the text reply `reply` with usage 4/2 and finish `stop`.
fn record(store: &mut Store, id: i64, target: &ModelRef, prompt: &str, reply: &str) {
    let sent = [Message::user(prompt)];
    let reply = [Part::text(reply)];
    store
        .record_exchange(
            id,
            &Exchange::new(target, &sent, &reply)
                .usage(Usage::new(4, 2))
                .finish("stop"),
        )
        .unwrap();
}

#[test]
fn round_trip_on_disk_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("history.sqlite");
    let target = ModelRef::new("mock", "mock-echo");
    let id = {
        let mut store = Store::open(&path).unwrap();
        let id = store
            .create_conversation("First question\nmore", Some("Be brief."))
            .unwrap();
        record(&mut store, id, &target, "First question", "answer one");
        record(&mut store, id, &target, "Second", "answer two");
        id
    };
    let store = Store::open(&path).unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    assert_eq!(c.summary.title, "First question");
    assert_eq!(c.summary.message_count, 5);
    assert_eq!(c.summary.input_tokens, Some(8));
    assert_eq!(c.summary.output_tokens, Some(4));
    assert_eq!(c.summary.provider.as_deref(), Some("mock"));
    assert_eq!(c.summary.model.as_deref(), Some("mock-echo"));
    assert_eq!(
        c.to_messages(),
        vec![
            Message::system("Be brief."),
            Message::user("First question"),
            Message::assistant("answer one"),
            Message::user("Second"),
            Message::assistant("answer two"),
        ]
    );
    assert_eq!(c.messages[2].finish_reason.as_deref(), Some("stop"));
    assert!(c.messages[0].usage.is_none());
    assert!(
        c.summary.created_at.ends_with('Z'),
        "{}",
        c.summary.created_at
    );
    assert_eq!(c.model(), Some(target));
}

#[test]
fn list_is_newest_first_and_limited_and_last_is_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.sqlite")).unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let mut ids = Vec::new();
    for i in 0..5 {
        let prompt = format!("question {i}");
        let id = store.create_conversation(&prompt, None).unwrap();
        record(&mut store, id, &target, &prompt, "a");
        ids.push(id);
    }
    let listed: Vec<i64> = store.list(3).unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![ids[4], ids[3], ids[2]]);
    assert_eq!(store.last().unwrap().unwrap().summary.id, ids[4]);

    // Continuing an older conversation makes it the last one.
    record(&mut store, ids[1], &target, "again", "b");
    assert_eq!(store.last().unwrap().unwrap().summary.id, ids[1]);
}

#[test]
fn empty_store_has_no_last_and_unknown_ids_are_none() {
    let store = Store::open_in_memory().unwrap();
    assert!(store.last().unwrap().is_none());
    assert!(store.list(10).unwrap().is_empty());
    assert!(store.conversation(42).unwrap().is_none());
}

#[test]
fn delete_removes_messages_too() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let id = store.create_conversation("x", Some("sys")).unwrap();
    record(&mut store, id, &target, "x", "y");
    assert!(store.delete(id).unwrap());
    assert!(!store.delete(id).unwrap());
    assert!(store.conversation(id).unwrap().is_none());
}

#[test]
fn import_keeps_roles_and_marks_replies_with_the_model() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-long");
    let id = store
        .import(
            "saved",
            &[Message::user("q"), Message::assistant("a")],
            Some(&target),
        )
        .unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    assert_eq!(c.messages[1].role, Role::Assistant);
    assert_eq!(c.model(), Some(target));
}

#[cfg(unix)]
#[test]
fn database_file_and_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("history.sqlite");
    Store::open(&path).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&data), 0o700);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    drop(Store::open(&path).unwrap());
    set_user_version_to_99(&path);
    let e = Store::open(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("newer yat"), "{e}");
    let y: yat_core::YatError = e.into();
    assert_eq!(y.kind(), "io");
}

/// Sets `user_version` to 99 by editing the file header, so this test needs
/// no SQLite binding of its own.
fn set_user_version_to_99(path: &std::path::Path) {
    // SQLite keeps user_version as a big-endian u32 at byte offset 60 of the header.
    let mut bytes = std::fs::read(path).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn summaries_serialize_for_json_output() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let id = store.create_conversation("hi", None).unwrap();
    record(&mut store, id, &target, "hi", "hi");
    let c = store.conversation(id).unwrap().unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["id"], id);
    assert_eq!(v["messages"][1]["role"], "assistant");
    assert_eq!(v["messages"][1]["usage"]["output_tokens"], 2);
}

#[test]
fn default_path_honours_yat_data_dir() {
    // Only this test touches the variable in this binary.
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("YAT_DATA_DIR", dir.path());
    assert_eq!(Store::default_path(), dir.path().join("history.sqlite"));
    std::env::remove_var("YAT_DATA_DIR");
}

#[test]
fn a_system_prompt_changed_mid_conversation_is_stored_and_continued() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let reply = [Part::text("a")];
    let exchange = |store: &mut Store, id, system, prompt: &str| {
        let sent = [Message::user(prompt)];
        let e = Exchange::new(&target, &sent, &reply).system(system);
        store.record_exchange(id, &e).unwrap();
    };
    let id = store.create_conversation("one", None).unwrap();
    exchange(&mut store, id, "", "one");
    exchange(&mut store, id, "Be terse.", "two");
    exchange(&mut store, id, "Be terse.", "three");
    let c = store.conversation(id).unwrap().unwrap();
    let roles: Vec<Role> = c.messages.iter().map(|m| m.role).collect();
    use Role::{Assistant as A, System as S, User as U};
    assert_eq!(
        roles,
        [U, A, S, U, A, U, A],
        "stored once, where it changed"
    );
    assert_eq!(c.system(), Some("Be terse."));
    assert_eq!(c.to_messages()[0], Message::system("Be terse."));
    assert_eq!(c.to_messages().len(), 7);

    // Removed: recorded as an empty system message, and no longer sent.
    exchange(&mut store, id, "  ", "four");
    let c = store.conversation(id).unwrap().unwrap();
    assert_eq!(c.messages[7].role, Role::System);
    assert_eq!(c.messages[7].content, "");
    assert_eq!(c.system(), None);
    assert!(c.to_messages().iter().all(|m| m.role != Role::System));

    // Not saying leaves it as it is.
    let sent = [Message::user("five")];
    store
        .record_exchange(id, &Exchange::new(&target, &sent, &reply))
        .unwrap();
    assert_eq!(store.conversation(id).unwrap().unwrap().messages.len(), 12);
}
