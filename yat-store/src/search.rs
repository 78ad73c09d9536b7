//! Listing and searching conversations: [`Store::list`] and [`Store::search`].

use rusqlite::types::Value;

use crate::error::sqlite;
use crate::query::fts_query;
use crate::read::{summary_from_row, RECENT_FIRST, SUMMARY_COLUMNS};
use crate::{ConversationSummary, LogQuery, Store, StoreError};

/// Every message that matches, with its rank and snippet; materialized, as
/// SQLite cannot compute a snippet inside the aggregate that follows.
const HITS: &str = "
    WITH hits AS MATERIALIZED (
        SELECT m.conversation_id AS cid, messages_fts.rank AS rank,
               snippet(messages_fts, 0, '[', ']', '…', 12) AS snippet
        FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
        WHERE messages_fts MATCH ?)";

/// For each conversation with a hit: its best rank and that message's
/// snippet (SQLite takes a bare column from the row that holds the `min`).
const BEST_MATCH: &str = "SELECT cid, min(rank) AS rank, snippet FROM hits GROUP BY cid";

impl Store {
    /// The `limit` most recently updated conversations, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<ConversationSummary>, StoreError> {
        self.search(&LogQuery::new(limit))
    }

    /// The conversations that pass every filter of `query`: best match
    /// first when it has words to find (each summary then has its
    /// snippet), else the most recently updated first. Words that leave
    /// nothing to search for (only `*`) match nothing.
    pub fn search(&self, query: &LogQuery) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut args: Vec<Value> = Vec::new();
        let mut sql = String::new();
        let order = match &query.text {
            Some(text) => {
                let Some(fts) = fts_query(text) else {
                    return Ok(Vec::new());
                };
                args.push(fts.into());
                sql.push_str(&format!(
                    "{HITS} SELECT {SUMMARY_COLUMNS}, best.snippet FROM conversations c \
                     JOIN ({BEST_MATCH}) best ON best.cid = c.id"
                ));
                format!("best.rank, {RECENT_FIRST}")
            }
            None => {
                sql.push_str(&format!(
                    "SELECT {SUMMARY_COLUMNS}, NULL FROM conversations c"
                ));
                RECENT_FIRST.to_owned()
            }
        };
        sql.push_str(" WHERE 1");
        let mut exists = |condition: &str, values: Vec<Value>| {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND {condition})"
            ));
            args.extend(values);
        };
        if let Some(p) = &query.provider {
            exists("m.provider = ?", vec![p.clone().into()]);
        }
        if let Some(model) = &query.model {
            // A model id may hold a '/' itself (openrouter's
            // `meta-llama/llama-3`): the whole text is also tried as one.
            let (p, m) = model.split_once('/').unwrap_or(("", model));
            exists(
                "((m.provider = ? AND m.model = ?) OR m.model = ?)",
                vec![
                    p.to_owned().into(),
                    m.to_owned().into(),
                    model.clone().into(),
                ],
            );
        }
        match (&query.since, &query.until) {
            (Some(since), Some(until)) => exists(
                "m.created_at >= ? AND m.created_at <= ?",
                vec![since.clone().into(), until.clone().into()],
            ),
            (Some(since), None) => exists("m.created_at >= ?", vec![since.clone().into()]),
            (None, Some(until)) => exists("m.created_at <= ?", vec![until.clone().into()]),
            (None, None) => {}
        }
        if let Some(id) = query.conversation {
            sql.push_str(" AND c.id = ?");
            args.push(id.into());
        }
        sql.push_str(&format!(" ORDER BY {order} LIMIT ?"));
        args.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());

        let mut stmt = self.conn.prepare(&sql).map_err(sqlite(&self.path))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), summary_from_row)
            .map_err(sqlite(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sqlite(&self.path))
    }
}
