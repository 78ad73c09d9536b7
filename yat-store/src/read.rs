//! Reading history: listings, whole conversations, the latest one.

use rusqlite::{params, OptionalExtension};
use yat_core::Role;

use crate::error::sqlite;
use crate::fragment;
use crate::message_row::{decode_parts, decode_usage, to_u64};
use crate::{Conversation, ConversationId, ConversationSummary, Store, StoreError, StoredMessage};

impl Store {
    /// Conversation `id` with all its messages, or `None` when there is no such one.
    pub fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let summary = self
            .conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS}, NULL FROM conversations c WHERE c.id = ?1"),
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
                        finish_reason, created_at, duration_ms, options, id
                 FROM messages WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(sqlite(&self.path))?;
        let mut fragments =
            fragment::of_conversation(&self.conn, id).map_err(sqlite(&self.path))?;
        let messages = stmt
            .query_map(params![id], |row| {
                let mut m = message_from_row(row)?;
                if let Some(used) = fragments.remove(&row.get::<_, i64>(14)?) {
                    m.with_fragments(used);
                }
                Ok(m)
            })
            .map_err(sqlite(&self.path))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite(&self.path))?;
        Ok(Some(Conversation { summary, messages }))
    }

    /// The most recently updated conversation: the one a user continues.
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
}

/// Most recent activity first. Message ids only grow, so the newest
/// message decides; timestamps have one-second resolution and would tie.
pub(crate) const RECENT_FIRST: &str = "coalesce((SELECT max(m.id) FROM messages m WHERE m.conversation_id = c.id), 0) DESC, c.id DESC";

/// A conversation's listing data, for a query on `conversations c`; a
/// query adds one column, its snippet (NULL when it has none).
pub(crate) const SUMMARY_COLUMNS: &str = "
           c.id, c.title, c.created_at, c.updated_at,
           (SELECT provider FROM messages m WHERE m.conversation_id = c.id AND m.provider IS NOT NULL
             ORDER BY m.id DESC LIMIT 1),
           (SELECT model FROM messages m WHERE m.conversation_id = c.id AND m.model IS NOT NULL
             ORDER BY m.id DESC LIMIT 1),
           (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id),
           (SELECT sum(input_tokens) FROM messages m WHERE m.conversation_id = c.id),
           (SELECT sum(output_tokens) FROM messages m WHERE m.conversation_id = c.id)";

pub(crate) fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        provider: row.get(4)?,
        model: row.get(5)?,
        message_count: to_u64(row.get(6)?),
        // sum() is NULL when no reply reported usage: unknown, not 0.
        input_tokens: row.get::<_, Option<i64>>(7)?.map(to_u64),
        output_tokens: row.get::<_, Option<i64>>(8)?.map(to_u64),
        snippet: row.get(9)?,
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
        duration_ms: row.get::<_, Option<i64>>(12)?.map(to_u64),
        options: decode_options(row.get(13)?)?,
        fragments: Vec::new(),
    })
}

/// The `options` column: a JSON object, or NULL.
fn decode_options(
    json: Option<String>,
) -> rusqlite::Result<Option<serde_json::Map<String, serde_json::Value>>> {
    json.map(|j| serde_json::from_str(&j))
        .transpose()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(13, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn parse_role(s: &str) -> Role {
    match s {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}
