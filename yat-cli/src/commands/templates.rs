//! `yat templates`: list, show, edit the saved chat set-ups, and say where
//! they are kept.

use std::io::Write;

use crate::cli::TemplatesAction;
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::table::{Cell, Table};
use crate::templates::{self, Template};

/// Runs `yat templates ...`.
pub fn run(ctx: &Ctx, action: TemplatesAction) -> CmdResult {
    match action {
        TemplatesAction::List { json } => list(ctx, json),
        TemplatesAction::Show { name } => {
            let path = templates::path(ctx, &name)?;
            templates::load(ctx, &name)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))?;
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        TemplatesAction::Edit { name } => edit(ctx, &name),
        TemplatesAction::Path => {
            writeln!(
                std::io::stdout().lock(),
                "{}",
                templates::dir(ctx).display()
            )?;
            Ok(())
        }
    }
}

/// Every template, by name.
fn all(ctx: &Ctx) -> CmdResult<Vec<(String, Template)>> {
    let dir = templates::dir(ctx);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Failure::Runtime(format!("{}: {e}", dir.display()))),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .filter(|n| templates::check_name(n).is_ok())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| Ok((n.clone(), templates::load(ctx, &n)?)))
        .collect()
}

fn list(ctx: &Ctx, json: bool) -> CmdResult {
    let all = all(ctx)?;
    if json {
        let listed: Vec<serde_json::Value> = all
            .iter()
            .map(|(name, t)| {
                let mut v = serde_json::to_value(t).unwrap_or_default();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("name".into(), name.clone().into());
                }
                v
            })
            .collect();
        return print_json(&ctx.term, &listed);
    }
    if all.is_empty() {
        ctx.term
            .note("no templates yet: save one with `yat chat --save NAME ...`");
        return Ok(());
    }
    let mut t = Table::new(&["NAME", "MODEL", "SYSTEM", "PROMPT"]);
    let first_line = |s: &Option<String>| {
        let line = s.as_deref().and_then(|s| s.lines().next()).unwrap_or("-");
        let short: String = line.chars().take(40).collect();
        if short.len() < line.len() {
            format!("{short}…")
        } else {
            short
        }
    };
    for (name, tpl) in &all {
        t.row(vec![
            Cell::plain(name),
            Cell::plain(tpl.model.as_deref().unwrap_or("-")),
            Cell::plain(first_line(&tpl.system)),
            Cell::plain(first_line(&tpl.prompt)),
        ]);
    }
    let paint = ctx.term.stdout_paint(false);
    t.write(&mut std::io::stdout().lock(), paint)?;
    Ok(())
}

/// Opens template `name` in the user's editor (a new one starts with a
/// system prompt and `$input` to fill), then checks what was saved.
fn edit(ctx: &Ctx, name: &str) -> CmdResult {
    let path = templates::path(ctx, name)?;
    if !path.exists() {
        let skeleton = Template {
            prompt: Some("$input".into()),
            system: Some(String::new()),
            ..Template::default()
        };
        templates::write(&path, &skeleton)?;
    }
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let status = editor_command(&editor, &path)
        .status()
        .map_err(|e| Failure::Runtime(format!("cannot start the editor {editor:?}: {e}")))?;
    if !status.success() {
        return Err(Failure::Runtime(format!(
            "the editor {editor:?} failed ({status}); {} is as it was left",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::Runtime(format!("{}: {e}", path.display())))?;
    templates::parse(&path, &text).map_err(|e| {
        Failure::Usage(format!(
            "{}; `yat templates edit {name}` to fix it",
            e.message().unwrap_or_default()
        ))
    })?;
    ctx.term
        .done(&format!("template {name} saved ({})", path.display()));
    Ok(())
}

/// The editor on `path`: through the shell on Unix, as git does, so that
/// `EDITOR="code --wait"` works.
fn editor_command(editor: &str, path: &std::path::Path) -> std::process::Command {
    if cfg!(unix) {
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(path);
        c
    } else {
        let mut c = std::process::Command::new(editor);
        c.arg(path);
        c
    }
}
