//! `yat log show`: one conversation as a transcript, each reply followed by
//! what is known about it (tokens, duration, options), or as JSON.

use std::io::Write;

use serde_json::Value;
use yat::store::{Conversation, Store, StoredMessage};
use yat::{Part, Role};

use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};

/// What is not known is shown as a dash, never as 0.
const UNKNOWN: &str = "—";

/// Prints conversation `id` (the last one without it) from `store`
/// (`None`: there is no database yet).
pub fn run(ctx: &Ctx, store: Option<Store>, id: Option<i64>, json: bool) -> CmdResult {
    let missing = || {
        Failure::Runtime(match id {
            Some(id) => format!("no conversation {id} (see `yat log`)"),
            None => "no conversations stored yet".into(),
        })
    };
    let store = store.ok_or_else(missing)?;
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

/// `12/40`, or a dash when no reply reported usage.
pub fn tokens_text(input: Option<u64>, output: Option<u64>) -> String {
    match (input, output) {
        (Some(i), Some(o)) => format!("{i}/{o}"),
        _ => UNKNOWN.to_owned(),
    }
}

/// `2024-05-01T12:30:00Z` → `2024-05-01 12:30Z`.
pub fn short_time(t: &str) -> String {
    let t = t.replace('T', " ");
    t.get(..16).map(|s| format!("{s}Z")).unwrap_or(t)
}

/// The conversation's JSON with each attachment's bytes replaced by
/// their size: a log is for reading, and an image is megabytes of base64.
fn without_bytes(c: &Conversation) -> CmdResult<Value> {
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
    let tokens = match (s.input_tokens, s.output_tokens) {
        (Some(i), Some(o)) => format!("{i} tokens in, {o} out"),
        _ => format!("tokens {UNKNOWN}"),
    };
    writeln!(
        out,
        "{}",
        paint.dim(&format!(
            "{model} · started {} · {tokens}",
            short_time(&s.created_at)
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
        // A fragment is shown by reference: its text is in the file it
        // came from, and can be long.
        for f in &m.fragments {
            let hash = f.hash.get(..19).unwrap_or(&f.hash);
            writeln!(
                out,
                "{}",
                paint.dim(&format!(
                    "[fragment {} · {} bytes · {hash}…]",
                    f.source, f.size
                ))
            )?;
        }
        let own = &m.parts[m.fragments.len().min(m.parts.len())..];
        crate::transcript::write_parts(&mut out, own, paint)?;
        if m.role == Role::Assistant {
            writeln!(out, "{}", paint.dim(&reply_facts(m)))?;
        }
    }
    Ok(())
}

/// What is known about a reply, on the line under it: its token usage (a
/// dash when the provider reported none), how long it took, why it stopped
/// when that was not the natural end, and the options it was asked with.
fn reply_facts(m: &StoredMessage) -> String {
    let mut facts = vec![match &m.usage {
        Some(u) => crate::render::usage_text(u),
        None => format!("tokens {UNKNOWN}"),
    }];
    if let Some(ms) = m.duration_ms {
        facts.push(duration_text(ms));
    }
    if let Some(reason) = m.finish_reason.as_deref().filter(|r| *r != "stop") {
        facts.push(format!("finished: {reason}"));
    }
    if let Some(options) = m.options.as_ref().filter(|o| !o.is_empty()) {
        let shown: Vec<String> = options
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect();
        facts.push(shown.join(" "));
    }
    facts.join(" · ")
}

/// `420 ms`, `2.3 s`.
fn duration_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        for (ms, text) in [
            (0, "0 ms"),
            (420, "420 ms"),
            (1000, "1.0 s"),
            (2345, "2.3 s"),
        ] {
            assert_eq!(duration_text(ms), text);
        }
    }
}
