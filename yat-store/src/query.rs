//! Which conversations a search lists: full-text words, the model or
//! provider that answered, one conversation, a time range; and reading the
//! times a person types (`2024-05-01`, `2024-05-01 14:30`, `7d`).

use crate::ConversationId;

/// What [`Store::search`](crate::Store::search) looks for. Every filter
/// that is set must hold; with none set it lists the most recent
/// conversations, as [`Store::list`](crate::Store::list) does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogQuery {
    /// Words one message of the conversation must contain, each of them
    /// (SQLite full-text search: case and accents ignored, whole words; a
    /// word ending in `*` matches words starting with it). Results come
    /// best match first.
    pub text: Option<String>,
    /// A reply came from this provider.
    pub provider: Option<String>,
    /// A reply came from this model: `MODEL`, or `PROVIDER/MODEL`.
    pub model: Option<String>,
    /// Only this conversation.
    pub conversation: Option<ConversationId>,
    /// A message was stored at or after this time (`YYYY-MM-DDTHH:MM:SSZ`,
    /// as [`parse_time`] gives it).
    pub since: Option<String>,
    /// A message was stored at or before this time (same form), within
    /// `since` when both are set.
    pub until: Option<String>,
    /// At most this many conversations.
    pub limit: usize,
}

impl LogQuery {
    /// The `limit` most recent conversations; add filters with the fields.
    pub fn new(limit: usize) -> Self {
        LogQuery {
            text: None,
            provider: None,
            model: None,
            conversation: None,
            since: None,
            until: None,
            limit,
        }
    }
}

/// The FTS5 query for what a person typed: each word quoted, so that no
/// character is taken as query syntax, all of them required; a trailing
/// `*` is kept as a prefix search. `None` when there is no word.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter_map(|word| {
            let (stem, prefix) = match word.strip_suffix('*') {
                Some(stem) => (stem, "*"),
                None => (word, ""),
            };
            (!stem.is_empty()).then(|| format!("\"{}\"{prefix}", stem.replace('"', "\"\"")))
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Which end of a range a time is for: a day (or a minute) given without
/// the finer units covers all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `--since`: the first second.
    Start,
    /// `--until`: the last second.
    End,
}

/// A time as typed, in UTC, to the form the database stores
/// (`2024-05-01T14:30:00Z`): `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (or
/// with `T`, and an optional `Z`), or an age before now: `30m`, `12h`,
/// `7d`, `2w`. The error says what is accepted.
pub fn parse_time(text: &str, edge: Edge) -> Result<String, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a time: use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (UTC), \
             or an age such as 30m, 12h, 7d, 2w"
        )
    };
    if let Some(age) = parse_age(text) {
        return seconds_ago(age).ok_or_else(bad);
    }
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let (date, time) = match text.split_once([' ', 'T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let [y, mo, d] = numbers::<3>(date, '-').ok_or_else(bad)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || date.len() != 10 {
        return Err(bad());
    }
    let last = edge == Edge::End;
    let (h, mi, s) = match time {
        None => (
            if last { 23 } else { 0 },
            if last { 59 } else { 0 },
            if last { 59 } else { 0 },
        ),
        Some(t) => match (t.len(), numbers::<3>(t, ':'), numbers::<2>(t, ':')) {
            (8, Some([h, mi, s]), _) => (h, mi, s),
            (5, _, Some([h, mi])) => (h, mi, if last { 59 } else { 0 }),
            _ => return Err(bad()),
        },
    };
    if h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    Ok(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
}

/// `N` units of `text` split at `sep`, each all digits.
fn numbers<const N: usize>(text: &str, sep: char) -> Option<[u64; N]> {
    let mut out = [0; N];
    let mut parts = text.split(sep);
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Seconds in `30m`, `12h`, `7d`, `2w`.
fn parse_age(text: &str) -> Option<u64> {
    let unit = match text.chars().last()? {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let n: u64 = text[..text.len() - 1].parse().ok()?;
    n.checked_mul(unit)
}

fn is_leap(y: u64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `secs` seconds before now, as SQLite's clock (the one that stamps
/// every row) tells it, in the stored form.
fn seconds_ago(secs: u64) -> Option<String> {
    let conn = rusqlite::Connection::open_in_memory().ok()?;
    conn.query_row(
        "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
        [format!("-{secs} seconds")],
        |r| r.get(0),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_words_become_a_query_with_no_syntax() {
        for (typed, query) in [
            ("rust borrow", Some(r#""rust" "borrow""#)),
            ("  say \"hi\"  ", Some(r#""say" """hi""""#)),
            ("borr* -x OR", Some(r#""borr"* "-x" "OR""#)),
            ("   ", None),
            ("*", None),
        ] {
            assert_eq!(fts_query(typed).as_deref(), query, "{typed:?}");
        }
    }

    #[test]
    fn times_as_typed_become_stored_timestamps() {
        use Edge::{End, Start};
        for (typed, edge, stored) in [
            ("2024-05-01", Start, "2024-05-01T00:00:00Z"),
            ("2024-05-01", End, "2024-05-01T23:59:59Z"),
            ("2024-05-01 14:30", Start, "2024-05-01T14:30:00Z"),
            ("2024-05-01T14:30", End, "2024-05-01T14:30:59Z"),
            ("2024-05-01T14:30:07Z", End, "2024-05-01T14:30:07Z"),
            ("2024-02-29", Start, "2024-02-29T00:00:00Z"),
        ] {
            assert_eq!(parse_time(typed, edge).as_deref(), Ok(stored), "{typed}");
        }
        for bad in [
            "yesterday",
            "2024-5-1",
            "2023-02-29",
            "2024-13-01",
            "2024-05-01 25:00",
            "2024-05-01 14",
            "2024-05-01T14:30:00+02:00",
            "7y",
            "-3d",
        ] {
            let e = parse_time(bad, Edge::Start).unwrap_err();
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn ages_count_back_from_now() {
        let week_ago = parse_time("1w", Edge::Start).unwrap();
        let days_ago = parse_time("7d", Edge::End).unwrap();
        let now = parse_time("0m", Edge::Start).unwrap();
        assert_eq!(week_ago.len(), 20);
        assert!(
            week_ago <= days_ago && days_ago < now,
            "{week_ago} {days_ago} {now}"
        );
    }
}
