//! Fragments: text given to a prompt by reference (a file, stdin) and
//! stored once, by the SHA-256 of its text, however many prompts use it.
//!
//! A prompt that uses fragments is stored as its own parts (the typed
//! text, attachments) plus one `message_fragments` row per fragment; it
//! reads back with each fragment's text as a text part in front, as sent.

use std::collections::HashMap;

use rusqlite::{params, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};
use yat_core::Part;

use crate::ConversationId;

/// A fragment as handed to [`Exchange::fragments`](crate::Exchange::fragments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Where it was read from (a path, `-` for stdin), as given.
    pub source: &'a str,
    /// Its text, exactly as sent.
    pub text: &'a str,
}

/// A fragment a stored prompt refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FragmentRef {
    /// `sha256:` and the hex SHA-256 of its text: the same text is one
    /// fragment wherever it was read from.
    pub hash: String,
    /// Where this prompt read it from.
    pub source: String,
    /// Its length in bytes.
    pub size: u64,
}

/// The id of `text` in the store: `sha256:` and its hex digest.
pub fn fragment_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// How many of `fragments` the prompt `parts` starts with, as text parts
/// in order: all of them or none (a prompt built some other way is
/// stored as it is).
pub(crate) fn leading_fragments(parts: &[Part], fragments: &[Fragment<'_>]) -> usize {
    let all = fragments.len() <= parts.len()
        && fragments
            .iter()
            .zip(parts)
            .all(|(f, p)| matches!(p, Part::Text(t) if t == f.text));
    if all {
        fragments.len()
    } else {
        0
    }
}

/// Links message `message` to `fragments`, storing each text once.
pub(crate) fn link(
    tx: &Transaction<'_>,
    message: i64,
    fragments: &[Fragment<'_>],
) -> rusqlite::Result<()> {
    for (position, f) in fragments.iter().enumerate() {
        let hash = fragment_hash(f.text);
        tx.execute(
            "INSERT OR IGNORE INTO fragments (hash, text) VALUES (?1, ?2)",
            params![hash, f.text],
        )?;
        tx.execute(
            "INSERT INTO message_fragments (message_id, position, hash, source)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                message,
                i64::try_from(position).unwrap_or(i64::MAX),
                hash,
                f.source
            ],
        )?;
    }
    Ok(())
}

/// The fragments of each message of conversation `id` that has some, in
/// order: their references and texts, by message id.
pub(crate) fn of_conversation(
    conn: &rusqlite::Connection,
    id: ConversationId,
) -> rusqlite::Result<HashMap<i64, Vec<(FragmentRef, String)>>> {
    let mut stmt = conn.prepare(
        "SELECT mf.message_id, mf.hash, mf.source, f.text
         FROM message_fragments mf
         JOIN messages m ON m.id = mf.message_id
         JOIN fragments f ON f.hash = mf.hash
         WHERE m.conversation_id = ?1
         ORDER BY mf.message_id, mf.position",
    )?;
    let mut out: HashMap<i64, Vec<(FragmentRef, String)>> = HashMap::new();
    let rows = stmt.query_map(params![id], |r| {
        let text: String = r.get(3)?;
        let reference = FragmentRef {
            hash: r.get(1)?,
            source: r.get(2)?,
            size: text.len() as u64,
        };
        Ok((r.get::<_, i64>(0)?, reference, text))
    })?;
    for row in rows {
        let (message, reference, text) = row?;
        out.entry(message).or_default().push((reference, text));
    }
    Ok(out)
}

/// Forgets the fragments no stored prompt refers to any more.
pub(crate) fn prune(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM fragments WHERE hash NOT IN (SELECT hash FROM message_fragments)",
        [],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_of_the_text() {
        assert_eq!(
            fragment_hash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_prompt_uses_all_its_fragments_or_none() {
        let f = [
            Fragment {
                source: "a",
                text: "A",
            },
            Fragment {
                source: "b",
                text: "B",
            },
        ];
        let parts = [Part::text("A"), Part::text("B"), Part::text("q")];
        assert_eq!(leading_fragments(&parts, &f), 2);
        assert_eq!(leading_fragments(&parts[1..], &f), 0);
        assert_eq!(leading_fragments(&parts[..1], &f), 0);
        assert_eq!(leading_fragments(&parts, &[]), 0);
    }
}
