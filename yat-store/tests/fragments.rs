//! Fragments are stored once, by the hash of their text, referenced by
//! every prompt that uses them, and read back as they were sent.

use rusqlite::Connection;
use yat_core::{Media, Message, ModelRef, Part};
use yat_store::{fragment_hash, Exchange, Fragment, Store};

const NOTES: &str = "Meeting notes.\nThe launch moves to May.\n";

/// Records one exchange whose prompt is `fragments` then `parts`.
fn ask(store: &mut Store, fragments: &[Fragment<'_>], parts: Vec<Part>) -> i64 {
    let target = ModelRef::new("mock", "mock-echo");
    let mut content: Vec<Part> = fragments.iter().map(|f| Part::text(f.text)).collect();
    content.extend(parts);
    let sent = [Message::user(content)];
    let reply = [Part::text("ok")];
    let id = store.create_conversation("q", None).unwrap();
    store
        .record_exchange(
            id,
            &Exchange::new(&target, &sent, &reply).fragments(fragments),
        )
        .unwrap();
    id
}

fn count(path: &std::path::Path, sql: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_fragment_used_twice_is_stored_once_and_read_back_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let mut store = Store::open(&path).unwrap();
    let notes = Fragment {
        source: "notes.txt",
        text: NOTES,
    };
    let other = Fragment {
        source: "-",
        text: "From stdin.",
    };
    let photo = Part::Image(Media::bytes("image/png", b"\x89PNG\r\n\x1a\n".to_vec()));
    let first = ask(
        &mut store,
        &[notes, other],
        vec![photo.clone(), Part::text("Summarise")],
    );
    let moved = Fragment {
        source: "copy/of/notes.txt",
        text: NOTES,
    };
    let second = ask(
        &mut store,
        &[moved],
        vec![Part::text("When is the launch?")],
    );

    assert_eq!(count(&path, "SELECT count(*) FROM fragments"), 2);
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM messages WHERE instr(content, 'launch moves') > 0"
        ),
        0,
        "the text lives in the fragment only"
    );

    let c = store.conversation(first).unwrap().unwrap();
    let prompt = &c.messages[0];
    assert_eq!(
        c.to_messages()[0],
        Message::user(vec![
            Part::text(NOTES),
            Part::text("From stdin."),
            photo,
            Part::text("Summarise"),
        ]),
        "as sent"
    );
    assert_eq!(prompt.content, "Summarise");
    assert_eq!(prompt.fragments.len(), 2);
    assert_eq!(prompt.fragments[0].hash, fragment_hash(NOTES));
    assert_eq!(prompt.fragments[0].source, "notes.txt");
    assert_eq!(prompt.fragments[0].size, NOTES.len() as u64);

    let json = serde_json::to_value(store.conversation(second).unwrap().unwrap()).unwrap();
    assert_eq!(
        json["messages"][0],
        serde_json::json!({
            "role": "user",
            "content": "When is the launch?",
            "fragments": [{"hash": fragment_hash(NOTES), "source": "copy/of/notes.txt", "size": NOTES.len()}],
            "created_at": json["messages"][0]["created_at"],
        })
    );

    // Kept while a conversation uses it; forgotten with the last one.
    store.delete(first).unwrap();
    assert_eq!(count(&path, "SELECT count(*) FROM fragments"), 1);
    store.delete(second).unwrap();
    assert_eq!(count(&path, "SELECT count(*) FROM fragments"), 0);
}

#[test]
fn a_prompt_that_does_not_start_with_its_fragments_is_stored_as_it_is() {
    let mut store = Store::open_in_memory().unwrap();
    let target = ModelRef::new("mock", "mock-echo");
    let sent = [Message::user("typed, no fragment")];
    let reply = [Part::text("ok")];
    let id = store.create_conversation("q", None).unwrap();
    let f = [Fragment {
        source: "a.txt",
        text: "A",
    }];
    store
        .record_exchange(id, &Exchange::new(&target, &sent, &reply).fragments(&f))
        .unwrap();
    let c = store.conversation(id).unwrap().unwrap();
    assert!(c.messages[0].fragments.is_empty());
    assert_eq!(c.to_messages()[0], sent[0]);
}
