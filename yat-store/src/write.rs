//! Writing history: starting conversations, appending exchanges, importing
//! whole sessions, deleting. Each call is one transaction.

use rusqlite::{params, OptionalExtension, Transaction};
use yat_core::{Message, ModelRef, Part, Role, Usage};

use crate::error::sqlite;
use crate::fragment;
use crate::message_row::{encode_parts, encode_usage, text_of};
use crate::options::options_of;
use crate::{ConversationId, Exchange, Store, StoreError};

/// Provider data stored with a reply.
struct ReplyData<'a> {
    target: &'a ModelRef,
    usage: Option<Usage>,
    finish: Option<&'a str>,
    /// The request's options as JSON text.
    options: Option<String>,
    duration_ms: Option<i64>,
}

impl Store {
    /// Starts a conversation; `system`, when given, is stored as its first message.
    pub fn create_conversation(
        &mut self,
        title: &str,
        system: Option<&str>,
    ) -> Result<ConversationId, StoreError> {
        self.in_transaction(|tx| {
            let id = insert_conversation(tx, title)?;
            if let Some(system) = system.filter(|s| !s.is_empty()) {
                insert_message(tx, id, Role::System, &[Part::text(system)], None)?;
            }
            Ok(id)
        })
    }

    /// Appends what was sent and the reply to conversation `id`, in one
    /// transaction.
    pub fn record_exchange(
        &mut self,
        id: ConversationId,
        exchange: &Exchange<'_>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| {
            if let Some(system) = exchange.system {
                record_system_change(tx, id, system)?;
            }
            let prompt = exchange.sent.len().saturating_sub(1);
            for (i, m) in exchange.sent.iter().enumerate() {
                let used = if i == prompt {
                    fragment::leading_fragments(&m.content, exchange.fragments)
                } else {
                    0
                };
                let row = insert_message(tx, id, m.role, &m.content[used..], None)?;
                fragment::link(tx, row, &exchange.fragments[..used])?;
            }
            let data = ReplyData {
                target: exchange.target,
                usage: exchange.usage,
                finish: exchange.finish,
                options: exchange
                    .request
                    .map(|r| serde_json::Value::Object(options_of(r)).to_string()),
                duration_ms: exchange
                    .duration
                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            };
            insert_message(tx, id, Role::Assistant, exchange.reply, Some(&data))?;
            tx.execute(
                "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                params![id],
            )
            .map(drop)
        })
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
        self.in_transaction(|tx| {
            let id = insert_conversation(tx, title)?;
            for m in messages {
                let data = match (m.role, target) {
                    (Role::Assistant, Some(target)) => Some(ReplyData {
                        target,
                        usage: None,
                        finish: None,
                        options: None,
                        duration_ms: None,
                    }),
                    _ => None,
                };
                insert_message(tx, id, m.role, &m.content, data.as_ref())?;
            }
            Ok(id)
        })
    }

    /// Deletes conversation `id` and its messages, and the fragments no
    /// other conversation uses; `false` when there was none.
    pub fn delete(&mut self, id: ConversationId) -> Result<bool, StoreError> {
        self.in_transaction(|tx| {
            let n = tx.execute("DELETE FROM conversations WHERE id = ?1", params![id])?;
            fragment::prune(tx)?;
            Ok(n > 0)
        })
    }

    /// Runs `body` in one transaction, committed only when it succeeds.
    fn in_transaction<T>(
        &mut self,
        body: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.transaction().map_err(sqlite(&self.path))?;
        body(&tx)
            .and_then(|out| tx.commit().map(|()| out))
            .map_err(sqlite(&self.path))
    }
}

/// Inserts an empty conversation titled after `title`; returns its id.
fn insert_conversation(tx: &Transaction<'_>, title: &str) -> rusqlite::Result<ConversationId> {
    tx.execute(
        "INSERT INTO conversations (title) VALUES (?1)",
        params![title_of(title)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Stores `system` as a `system` message when it is not the conversation's
/// current system prompt (its last `system` message; an empty one means
/// removed). A change is a new row rather than an edit: the log shows when
/// the prompt changed, and what each earlier reply was written under.
fn record_system_change(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    system: &str,
) -> rusqlite::Result<()> {
    let system = system.trim();
    let current: Option<String> = tx
        .query_row(
            "SELECT content FROM messages WHERE conversation_id = ?1 AND role = 'system'
             ORDER BY id DESC LIMIT 1",
            params![conversation],
            |r| r.get(0),
        )
        .optional()?;
    if current.as_deref().unwrap_or("").trim() == system {
        return Ok(());
    }
    insert_message(tx, conversation, Role::System, &[Part::text(system)], None).map(drop)
}

/// Inserts one message; `reply` carries the answering model's data.
/// Returns its id.
fn insert_message(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    role: Role,
    parts: &[Part],
    reply: Option<&ReplyData<'_>>,
) -> rusqlite::Result<i64> {
    let json =
        encode_parts(parts).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let [input, output, cache_read, cache_write, reasoning] =
        encode_usage(reply.and_then(|r| r.usage));
    tx.execute(
        "INSERT INTO messages (conversation_id, role, content, parts, provider, model,
                               input_tokens, output_tokens, cache_read_tokens,
                               cache_write_tokens, reasoning_tokens, finish_reason,
                               options, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
            reply.and_then(|r| r.options.as_deref()),
            reply.and_then(|r| r.duration_ms),
        ],
    )?;
    Ok(tx.last_insert_rowid())
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
