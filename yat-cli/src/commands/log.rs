//! `yat log`: the stored conversations.

use crate::cli::{LogAction, LogListArgs};
use crate::context::Ctx;
use crate::failure::CmdResult;

/// Runs `yat log ...`.
pub async fn run(ctx: &Ctx, action: Option<LogAction>, list: LogListArgs) -> CmdResult {
    imp::run(ctx, action, list)
}

#[cfg(feature = "history")]
mod imp {
    use std::io::Write;

    use yat::store::{Conversation, Store, StoredMessage};
    use yat::{Part, Role};

    use super::*;
    use crate::context::print_json;
    use crate::failure::Failure;
    use crate::table::{Cell, Table};

    pub fn run(ctx: &Ctx, action: Option<LogAction>, list: LogListArgs) -> CmdResult {
        match action {
            None => run_list(ctx, &list),
            Some(LogAction::List(args)) => run_list(ctx, &args),
            Some(LogAction::Show { id, json }) => show(ctx, id, json),
            Some(LogAction::Path) => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", Store::default_path().display())?;
                Ok(())
            }
        }
    }

    fn open() -> CmdResult<Option<Store>> {
        // Listing must not create the database as a side effect.
        if !Store::default_path().exists() {
            return Ok(None);
        }
        Ok(Some(Store::open_default()?))
    }

    fn run_list(ctx: &Ctx, args: &LogListArgs) -> CmdResult {
        let list = match open()? {
            Some(store) => store.list(args.count)?,
            None => Vec::new(),
        };
        if args.json {
            return print_json(&ctx.term, &list);
        }
        if list.is_empty() {
            ctx.term.note("no conversations stored yet");
            return Ok(());
        }
        let paint = ctx.term.stdout_paint(false);
        let mut t = Table::new(&["ID", "UPDATED", "MODEL", "MESSAGES", "TOKENS", "TITLE"]);
        for c in &list {
            let model = match (&c.provider, &c.model) {
                (Some(p), Some(m)) => format!("{p}/{m}"),
                _ => "-".into(),
            };
            t.row(vec![
                Cell::plain(c.id.to_string()),
                Cell::styled(short_time(&c.updated_at), |s| paint.dim(s)),
                Cell::plain(model),
                Cell::plain(c.message_count.to_string()),
                Cell::plain(tokens_text(c.input_tokens, c.output_tokens)),
                Cell::plain(&c.title),
            ]);
        }
        let mut out = std::io::stdout().lock();
        t.write(&mut out, paint)?;
        Ok(())
    }

    /// What is not known is shown as a dash, never as 0.
    const UNKNOWN: &str = "—";

    /// `12/40`, or a dash when no reply reported usage.
    fn tokens_text(input: Option<u64>, output: Option<u64>) -> String {
        match (input, output) {
            (Some(i), Some(o)) => format!("{i}/{o}"),
            _ => UNKNOWN.to_owned(),
        }
    }

    /// `2024-05-01T12:30:00Z` → `2024-05-01 12:30` (UTC).
    fn short_time(t: &str) -> String {
        let t = t.replace('T', " ");
        t.get(..16).map(|s| format!("{s}Z")).unwrap_or(t)
    }

    fn show(ctx: &Ctx, id: Option<i64>, json: bool) -> CmdResult {
        let missing = || {
            Failure::Runtime(match id {
                Some(id) => format!("no conversation {id} (see `yat log`)"),
                None => "no conversations stored yet".into(),
            })
        };
        let store = open()?.ok_or_else(missing)?;
        let found = match id {
            Some(id) => store.conversation(id)?,
            None => store.last()?,
        };
        let c = found.ok_or_else(missing)?;
        if json {
            return print_json(&ctx.term, &without_bytes(&c)?);
        }
        write_transcript(ctx, &c)
    }

    /// The conversation's JSON with each attachment's bytes replaced by
    /// their size: a log is for reading, and an image is megabytes of base64.
    fn without_bytes(c: &Conversation) -> CmdResult<serde_json::Value> {
        let mut v = serde_json::to_value(c).map_err(std::io::Error::from)?;
        let Some(messages) = v.get_mut("messages").and_then(|m| m.as_array_mut()) else {
            return Ok(v);
        };
        for (stored, m) in c.messages.iter().zip(messages) {
            let Some(parts) = m.get_mut("parts").and_then(|p| p.as_array_mut()) else {
                continue;
            };
            for (part, json) in stored.parts.iter().zip(parts) {
                let (Part::Image(media) | Part::Document(media)) = part else {
                    continue;
                };
                if let (Some(obj), Some(n)) = (json.as_object_mut(), media.len()) {
                    obj.remove("data");
                    obj.insert("size".into(), n.into());
                }
            }
        }
        Ok(v)
    }

    /// What is known about a reply, on the line under it: its token usage
    /// (a dash when the provider reported none).
    fn reply_facts(m: &StoredMessage) -> String {
        match &m.usage {
            Some(u) => crate::render::usage_text(u),
            None => format!("tokens {UNKNOWN}"),
        }
    }

    fn write_transcript(ctx: &Ctx, c: &Conversation) -> CmdResult {
        let paint = ctx.term.stdout_paint(false);
        let s = &c.summary;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}",
            paint.bold(&format!("# {} (conversation {})", s.title, s.id))
        )?;
        let model = match (&s.provider, &s.model) {
            (Some(p), Some(m)) => format!("{p}/{m}"),
            _ => "-".into(),
        };
        writeln!(
            out,
            "{}",
            paint.dim(&format!(
                "{model} · started {} · {}",
                short_time(&s.created_at),
                match (s.input_tokens, s.output_tokens) {
                    (Some(i), Some(o)) => format!("{i} tokens in, {o} out"),
                    _ => format!("tokens {UNKNOWN}"),
                }
            ))
        )?;
        for m in &c.messages {
            let who = match m.role {
                // An empty system message records that the prompt was removed.
                Role::System if m.content.trim().is_empty() => "system (removed)".to_owned(),
                Role::System => "system".to_owned(),
                Role::User => "user".to_owned(),
                Role::Assistant => match (&m.provider, &m.model) {
                    (Some(p), Some(model)) => format!("assistant ({p}/{model})"),
                    _ => "assistant".to_owned(),
                },
                other => other.as_str().to_owned(),
            };
            writeln!(out)?;
            writeln!(out, "{}", paint.bold(&format!("## {who}")))?;
            if m.content.is_empty() && m.role == Role::System {
                continue;
            }
            writeln!(out)?;
            crate::transcript::write_parts(&mut out, &m.parts, paint)?;
            if m.role == Role::Assistant {
                writeln!(out, "{}", paint.dim(&reply_facts(m)))?;
            }
        }
        Ok(())
    }
}

#[cfg(not(feature = "history"))]
mod imp {
    use super::*;
    use crate::failure::Failure;

    pub fn run(_ctx: &Ctx, _action: Option<LogAction>, _list: LogListArgs) -> CmdResult {
        Err(Failure::Usage(
            "this yat was built without conversation history (cargo feature `history`)".into(),
        ))
    }
}
