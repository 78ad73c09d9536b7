//! A message's parts as a person reads them in a transcript (`yat log
//! show`, `/save FILE`): text as it is, reasoning dimmed, tool calls and
//! results on one line each, attachments by name and size — never their
//! bytes.

use std::io::{self, Write};

use yat::{Media, MediaSource, Part};

use crate::attach::size_text;
use crate::term::Paint;
use crate::tool_calls::{call_line, result_line};

/// Writes `parts`, one block per part, separated by blank lines.
pub fn write_parts(out: &mut impl Write, parts: &[Part], paint: Paint) -> io::Result<()> {
    let mut first = true;
    for part in parts {
        let block = match part {
            Part::Text(t) if t.trim().is_empty() => continue,
            Part::Text(t) => t.trim_end().to_owned(),
            Part::Image(m) => attachment("image", m),
            Part::Document(m) => attachment("document", m),
            Part::ToolCall(c) => paint.dim(&call_line(c)),
            Part::ToolResult(r) => paint.dim(&result_line(r)),
            Part::Reasoning(r) if r.is_redacted() => {
                paint.dim("[reasoning redacted by the provider]")
            }
            Part::Reasoning(r) if r.text.trim().is_empty() => continue,
            Part::Reasoning(r) => paint.dim(&format!("thinking: {}", r.text.trim_end())),
            _ => paint.dim(&format!("[{} part]", part.kind())),
        };
        if !first {
            writeln!(out)?;
        }
        first = false;
        writeln!(out, "{block}")?;
    }
    Ok(())
}

/// `[image cat.png, image/png, 1.2 MB]`, `[image https://x/y.png]`.
pub fn attachment(kind: &str, m: &Media) -> String {
    let mut facts: Vec<String> = Vec::new();
    match &m.source {
        MediaSource::Url(u) if u.starts_with("data:") => {
            facts.extend(m.name.clone());
        }
        MediaSource::Url(u) => facts.push(u.clone()),
        _ => facts.extend(m.name.clone()),
    }
    facts.extend(m.media_type.clone());
    if let Some(n) = m.len() {
        facts.push(size_text(n as u64));
    }
    if facts.is_empty() {
        format!("[{kind}]")
    } else {
        format!("[{kind} {}]", facts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat::{Reasoning, ToolCall};

    #[test]
    fn parts_read_as_lines_without_bytes() {
        let parts = vec![
            Part::Reasoning(Reasoning::new("Hmm.\n").with_signature("sig")),
            Part::Reasoning(Reasoning::redacted("xyz")),
            Part::text("Here:"),
            Part::Image(Media::bytes("image/png", vec![0u8; 2048]).with_name("cat.png")),
            Part::Document(Media::url("https://x.test/a.pdf")),
            Part::ToolCall(ToolCall::new("c", "f", serde_json::json!({"a": 1}))),
        ];
        let mut out = Vec::new();
        write_parts(&mut out, &parts, Paint(false)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "thinking: Hmm.\n\n[reasoning redacted by the provider]\n\nHere:\n\n\
             [image cat.png, image/png, 2 KB]\n\n[document https://x.test/a.pdf]\n\n\
             → tool f {\"a\":1}\n"
        );
    }
}
