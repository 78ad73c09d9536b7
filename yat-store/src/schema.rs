//! The database schema and its migrations, versioned with `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// Each entry brings the schema from version `index` to `index + 1`.
/// Append only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: conversations and their messages; usage and the answering model on replies.
    "CREATE TABLE conversations (
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
     CREATE INDEX conversations_by_update ON conversations (updated_at);",
    // 2: every part of a message (tool calls, tool results, reasoning,
    // attachments) as JSON beside its text, the `tool` role, and usage
    // details. SQLite cannot widen a CHECK constraint in place, so the
    // table is rebuilt; old rows keep their text, and their `parts` stay
    // NULL (a message that is its text). Ids are copied so the order of
    // messages and the recency of conversations do not change.
    "CREATE TABLE messages_v2 (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id    INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role               TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
        content            TEXT NOT NULL,
        parts              TEXT,
        provider           TEXT,
        model              TEXT,
        input_tokens       INTEGER,
        output_tokens      INTEGER,
        cache_read_tokens  INTEGER,
        cache_write_tokens INTEGER,
        reasoning_tokens   INTEGER,
        finish_reason      TEXT,
        created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
     );
     INSERT INTO messages_v2 (id, conversation_id, role, content, provider, model,
                              input_tokens, output_tokens, finish_reason, created_at)
        SELECT id, conversation_id, role, content, provider, model,
               input_tokens, output_tokens, finish_reason, created_at
        FROM messages ORDER BY id;
     DROP TABLE messages;
     ALTER TABLE messages_v2 RENAME TO messages;
     CREATE INDEX messages_by_conversation ON messages (conversation_id, id);",
    // 3: how long each reply took and the options it was asked with, and a
    // full-text index over every message's text. The index holds no copy
    // of the text (an external-content FTS5 table reads `messages`);
    // triggers keep it in step, and `rebuild` indexes the rows already
    // there, so an old database is searchable from its first open.
    "ALTER TABLE messages ADD COLUMN duration_ms INTEGER;
     ALTER TABLE messages ADD COLUMN options TEXT;
     CREATE VIRTUAL TABLE messages_fts USING fts5(content, content = 'messages', content_rowid = 'id');
     CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
     END;
     CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
     END;
     CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
     END;
     INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
     CREATE INDEX messages_by_model ON messages (model, provider);",
    // 4: fragments, text a prompt takes by reference (`-f FILE`), stored
    // once by the hash of their text and linked to each prompt using them.
    "CREATE TABLE fragments (
        hash       TEXT PRIMARY KEY,
        text       TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
     );
     CREATE TABLE message_fragments (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        hash       TEXT NOT NULL REFERENCES fragments(hash),
        source     TEXT NOT NULL,
        PRIMARY KEY (message_id, position)
     ) WITHOUT ROWID;
     CREATE INDEX message_fragments_by_hash ON message_fragments (hash);",
];

/// The newest schema version this build knows.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database at `path` up to [`VERSION`], one transaction per step.
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if found > VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            known: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let next = i as i64 + 1;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        // Another process may have migrated while this one waited for the lock.
        let step = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .and_then(|now| {
                if now < next {
                    conn.execute_batch(&format!("{sql}; PRAGMA user_version = {next};"))
                } else {
                    Ok(())
                }
            })
            .and_then(|()| conn.execute_batch("COMMIT"));
        if let Err(source) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(err(source));
        }
    }
    Ok(())
}
