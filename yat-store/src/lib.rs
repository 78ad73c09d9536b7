//! # yat-store
//!
//! Conversation history for yat: every exchange — the prompt, the reply, the
//! provider and model that answered, token usage and the time — kept in an
//! embedded SQLite database (compiled in, no system library needed).
//!
//! Every part of a message is kept: attachments with their bytes, tool calls
//! and results, and reasoning with the provider's signatures, so a stored
//! conversation can be sent again as it was and continue where it stopped.
//!
//! The database lives at `$YAT_DATA_DIR/history.sqlite` when `YAT_DATA_DIR`
//! is set, else in the platform data dir (`$XDG_DATA_HOME/yat/` on Linux).
//! It is private to the user (mode 0600, directory 0700).
//!
//! Library users get it through the `yat` facade's `history` feature as
//! `yat::store`; programs that do not keep history do not compile SQLite.
//!
//! ```
//! use yat_core::{Message, ModelRef, Part, Reasoning, Usage};
//! use yat_store::{Exchange, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let id = store.create_conversation("Greetings", Some("Be brief."))?;
//! let target = ModelRef::new("mock", "mock-echo");
//! let reply = [Part::Reasoning(Reasoning::new("A greeting.").with_signature("sig")), Part::text("Hello")];
//! store.record_exchange(id, &Exchange::new(&target, &[Message::user("Hello")], &reply)
//!     .usage(Usage::new(3, 1))
//!     .finish("stop"))?;
//!
//! let last = store.last()?.expect("one conversation");
//! assert_eq!(last.summary.id, id);
//! assert_eq!(last.messages.len(), 3); // system, user, assistant
//! assert_eq!(last.messages[2].content, "Hello"); // the text
//! assert_eq!(last.to_messages()[2].content.len(), 2); // every part, the signature too
//! assert_eq!(last.model(), Some(target));
//! # Ok::<(), yat_store::StoreError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod message_row;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use yat_core::{Content, Message, ModelRef, Part, Role, Usage};

pub use error::StoreError;
use message_row::{decode_parts, decode_usage, encode_parts, encode_usage, text_of, to_u64};

/// The file name of the database inside the data dir.
pub const DATABASE_FILE_NAME: &str = "history.sqlite";

/// A conversation's id: a positive integer, stable for the life of the database.
pub type ConversationId = i64;

/// A conversation as listed by [`Store::list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationSummary {
    /// Its id.
    pub id: ConversationId,
    /// A short title (the start of the first prompt).
    pub title: String,
    /// The provider that answered last, if any answered.
    pub provider: Option<String>,
    /// The model that answered last.
    pub model: Option<String>,
    /// When it started (UTC, RFC 3339).
    pub created_at: String,
    /// When its last message was stored (UTC, RFC 3339).
    pub updated_at: String,
    /// How many messages it holds (system prompt included).
    pub message_count: u64,
    /// Total tokens read over all exchanges.
    pub input_tokens: u64,
    /// Total tokens generated over all exchanges.
    pub output_tokens: u64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StoredMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text (the text parts joined).
    pub content: String,
    /// Every part: text, attachments, tool calls and results, reasoning.
    /// Left out of the JSON form when the message is just its text.
    #[serde(skip_serializing_if = "is_one_text_part")]
    pub parts: Content,
    /// For replies: the provider that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// For replies: the model that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// For replies: the token usage the provider reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// For replies: why generation stopped (`stop`, `length`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// When it was stored (UTC, RFC 3339).
    pub created_at: String,
}

fn is_one_text_part(c: &Content) -> bool {
    matches!(&c[..], [Part::Text(_)])
}

/// A whole conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// Its listing data.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Every message, oldest first.
    pub messages: Vec<StoredMessage>,
}

impl Conversation {
    /// The messages in the form a [`yat_core::ChatRequest`] takes, to
    /// continue it: every part as it was stored, signatures included.
    pub fn to_messages(&self) -> Vec<Message> {
        self.messages
            .iter()
            .map(|m| Message::new(m.role, m.parts.clone()))
            .collect()
    }

    /// The model that wrote the last reply.
    pub fn model(&self) -> Option<ModelRef> {
        self.messages
            .iter()
            .rev()
            .find_map(|m| Some(ModelRef::new(m.provider.clone()?, m.model.clone()?)))
    }
}

/// What was sent and the reply to it, as [`Store::record_exchange`] stores them.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Exchange<'a> {
    /// The model that answered.
    pub target: &'a ModelRef,
    /// The messages sent since the previous reply, in order: the prompt
    /// (with its attachments), and tool results answering that reply's calls.
    pub sent: &'a [Message],
    /// Every part of the reply: reasoning, text, tool calls.
    pub reply: &'a [Part],
    /// Token usage, if the provider reported it.
    pub usage: Option<Usage>,
    /// Why generation stopped (`FinishReason::as_str`), if known.
    pub finish: Option<&'a str>,
}

impl<'a> Exchange<'a> {
    /// `sent`, answered by `target` with `reply`; usage and finish unknown.
    pub fn new(target: &'a ModelRef, sent: &'a [Message], reply: &'a [Part]) -> Self {
        Exchange {
            target,
            sent,
            reply,
            usage: None,
            finish: None,
        }
    }
    /// Sets the usage the provider reported.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
    /// Sets why generation stopped.
    pub fn finish(mut self, finish: &'a str) -> Self {
        self.finish = Some(finish);
        self
    }
}

/// Provider data stored with a reply.
struct ReplyData<'a> {
    target: &'a ModelRef,
    usage: Option<Usage>,
    finish: Option<&'a str>,
}

/// The history database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

pub use yat_core::paths::data_dir;

impl Store {
    /// Where [`Store::open_default`] keeps the database.
    pub fn default_path() -> PathBuf {
        data_dir().join(DATABASE_FILE_NAME)
    }

    /// Opens (creating if needed) the database at [`Store::default_path`].
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open(&Self::default_path())
    }

    /// Opens (creating if needed) the database at `path`, creating its
    /// directory (0700) and the file (0600) when absent, and bringing the
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        create_private_file(path)?;
        let conn = Connection::open(path).map_err(sqlite(path))?;
        Self::from_connection(conn, path.to_owned())
    }

    /// A database that lives only as long as the value (tests, examples).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sqlite(&path))?;
        Self::from_connection(conn, path)
    }

    fn from_connection(conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        // Two yat processes may write at once (a session and a one-shot
        // chat); wait for the other's short transaction instead of failing.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(sqlite(&path))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sqlite(&path))?;
        schema::migrate(&conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a conversation; `system`, when given, is stored as its first message.
    pub fn create_conversation(
        &mut self,
        title: &str,
        system: Option<&str>,
    ) -> Result<ConversationId, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sqlite(&path))?;
        tx.execute(
            "INSERT INTO conversations (title) VALUES (?1)",
            params![title_of(title)],
        )
        .map_err(sqlite(&path))?;
        let id = tx.last_insert_rowid();
        if let Some(system) = system.filter(|s| !s.is_empty()) {
            insert_message(&tx, id, Role::System, &[Part::text(system)], None)
                .map_err(sqlite(&path))?;
        }
        tx.commit().map_err(sqlite(&path))?;
        Ok(id)
    }

    /// Appends what was sent and the reply to conversation `id`, in one
    /// transaction.
    pub fn record_exchange(
        &mut self,
        id: ConversationId,
        exchange: &Exchange<'_>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sqlite(&path))?;
        for m in exchange.sent {
            insert_message(&tx, id, m.role, &m.content, None).map_err(sqlite(&path))?;
        }
        let data = ReplyData {
            target: exchange.target,
            usage: exchange.usage,
            finish: exchange.finish,
        };
        insert_message(&tx, id, Role::Assistant, exchange.reply, Some(&data))
            .map_err(sqlite(&path))?;
        tx.execute(
            "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
            params![id],
        )
        .map_err(sqlite(&path))?;
        tx.commit().map_err(sqlite(&path))
    }

    /// Starts a conversation holding `messages` (as they are: system
    /// prompts, prompts and replies without usage) and returns its id. For
    /// saving a session that was not recorded as it went; replies are
    /// marked as written by `target`.
    pub fn import(
        &mut self,
        title: &str,
        messages: &[Message],
        target: Option<&ModelRef>,
    ) -> Result<ConversationId, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sqlite(&path))?;
        tx.execute(
            "INSERT INTO conversations (title) VALUES (?1)",
            params![title_of(title)],
        )
        .map_err(sqlite(&path))?;
        let id = tx.last_insert_rowid();
        for m in messages {
            let data = match (m.role, target) {
                (Role::Assistant, Some(target)) => Some(ReplyData {
                    target,
                    usage: None,
                    finish: None,
                }),
                _ => None,
            };
            insert_message(&tx, id, m.role, &m.content, data.as_ref()).map_err(sqlite(&path))?;
        }
        tx.commit().map_err(sqlite(&path))?;
        Ok(id)
    }

    /// The `limit` most recently updated conversations, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{SUMMARY_SELECT} ORDER BY {RECENT_FIRST} LIMIT ?1"
            ))
            .map_err(sqlite(&self.path))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![limit], summary_from_row)
            .map_err(sqlite(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sqlite(&self.path))
    }

    /// Conversation `id` with all its messages, or `None` when there is no such one.
    pub fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let summary = self
            .conn
            .query_row(
                &format!("{SUMMARY_SELECT} WHERE c.id = ?1"),
                params![id],
                summary_from_row,
            )
            .optional()
            .map_err(sqlite(&self.path))?;
        let Some(summary) = summary else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT role, content, parts, provider, model, input_tokens, output_tokens,
                        cache_read_tokens, cache_write_tokens, reasoning_tokens,
                        finish_reason, created_at
                 FROM messages WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(sqlite(&self.path))?;
        let messages = stmt
            .query_map(params![id], message_from_row)
            .map_err(sqlite(&self.path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite(&self.path))?;
        Ok(Some(Conversation { summary, messages }))
    }

    /// The most recently updated conversation, for `yat chat --continue`.
    pub fn last(&self) -> Result<Option<Conversation>, StoreError> {
        let id: Option<ConversationId> = self
            .conn
            .query_row(
                &format!("SELECT c.id FROM conversations c ORDER BY {RECENT_FIRST} LIMIT 1"),
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sqlite(&self.path))?;
        match id {
            Some(id) => self.conversation(id),
            None => Ok(None),
        }
    }

    /// Deletes conversation `id` and its messages; `false` when there was none.
    pub fn delete(&mut self, id: ConversationId) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM conversations WHERE id = ?1", params![id])
            .map_err(sqlite(&self.path))?;
        Ok(n > 0)
    }
}

/// Most recent activity first. Message ids only grow, so the newest
/// message decides; timestamps have one-second resolution and would tie.
const RECENT_FIRST: &str = "coalesce((SELECT max(m.id) FROM messages m WHERE m.conversation_id = c.id), 0) DESC, c.id DESC";

const SUMMARY_SELECT: &str = "
    SELECT c.id, c.title, c.created_at, c.updated_at,
           (SELECT provider FROM messages m WHERE m.conversation_id = c.id AND m.provider IS NOT NULL
             ORDER BY m.id DESC LIMIT 1),
           (SELECT model FROM messages m WHERE m.conversation_id = c.id AND m.model IS NOT NULL
             ORDER BY m.id DESC LIMIT 1),
           (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id),
           (SELECT coalesce(sum(input_tokens), 0) FROM messages m WHERE m.conversation_id = c.id),
           (SELECT coalesce(sum(output_tokens), 0) FROM messages m WHERE m.conversation_id = c.id)
    FROM conversations c";

fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        provider: row.get(4)?,
        model: row.get(5)?,
        message_count: to_u64(row.get(6)?),
        input_tokens: to_u64(row.get(7)?),
        output_tokens: to_u64(row.get(8)?),
    })
}

fn message_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    let role: String = row.get(0)?;
    let content: String = row.get(1)?;
    let parts: Option<String> = row.get(2)?;
    let parts = decode_parts(content.clone(), parts.as_deref()).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(StoredMessage {
        role: parse_role(&role),
        content,
        parts,
        provider: row.get(3)?,
        model: row.get(4)?,
        usage: decode_usage([
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
        ]),
        finish_reason: row.get(10)?,
        created_at: row.get(11)?,
    })
}

/// Inserts one message; `reply` carries the answering model's data.
fn insert_message(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    role: Role,
    parts: &[Part],
    reply: Option<&ReplyData<'_>>,
) -> rusqlite::Result<()> {
    let json =
        encode_parts(parts).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let [input, output, cache_read, cache_write, reasoning] =
        encode_usage(reply.and_then(|r| r.usage));
    tx.execute(
        "INSERT INTO messages (conversation_id, role, content, parts, provider, model,
                               input_tokens, output_tokens, cache_read_tokens,
                               cache_write_tokens, reasoning_tokens, finish_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            conversation,
            role.as_str(),
            text_of(parts),
            json,
            reply.map(|r| r.target.provider.as_str()),
            reply.map(|r| r.target.model.as_str()),
            input,
            output,
            cache_read,
            cache_write,
            reasoning,
            reply.and_then(|r| r.finish),
        ],
    )
    .map(drop)
}

fn parse_role(s: &str) -> Role {
    match s {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}

/// The first line of `text`, at most 60 characters, for a listing.
fn title_of(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

fn io(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io(dir, &e))
}

fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map(drop).map_err(|e| io(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_the_first_non_empty_line_cut_at_60_chars() {
        assert_eq!(title_of("\n  hello there \nsecond"), "hello there");
        let long = "é".repeat(70);
        let t = title_of(&long);
        assert_eq!(t.chars().count(), 61);
        assert!(t.ends_with('…'));
    }
}
