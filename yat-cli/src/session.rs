//! The interactive session of `yat chat`: line editing and input history,
//! multi-turn context, slash commands, Ctrl-C that stops only the reply, and
//! hot reload of the configuration between turns.

use std::path::{Path, PathBuf};

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};
use yat::routing::{candidates, resolve_model_listed};
use yat::watch::ConfigWatcher;
use yat::{Message, Role, YatError};

use crate::commands::chat::{set_system, system_of, ChatSetup};
use crate::context::Ctx;
use crate::failure::{describe, CmdResult, Failure};
use crate::render::{End, Mode};
use crate::session_input::{self, Read};

const HELP: &str = "\
/model [MODEL]    show or switch the model (PROVIDER/MODEL or an alias)
/system [TEXT]    show or set the system prompt (/system - removes it)
/clear            start a new conversation (keeps model and system prompt)
/save [FILE]      write the conversation to FILE (Markdown), or store it in the history
/help             this list
/exit             leave (or Ctrl-D)
Ctrl-C stops a reply (and a tool call); at the prompt it clears the line.";

/// What a slash command asks the loop to do next.
enum Next {
    Continue,
    Exit,
}

/// Runs the session until `/exit` or Ctrl-D, then stops its MCP servers.
pub async fn run(ctx: &Ctx, mut setup: ChatSetup, continued: Option<i64>) -> CmdResult {
    let result = converse(ctx, &mut setup, continued).await;
    crate::commands::chat::stop_tools(&setup).await;
    result
}

async fn converse(ctx: &Ctx, setup: &mut ChatSetup, continued: Option<i64>) -> CmdResult {
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<(), FileHistory> = Editor::with_config(config)
        .map_err(|e| Failure::Runtime(format!("cannot start the line editor: {e}")))?;
    let history_file = yat::paths::data_dir().join("chat_history.txt");
    let _ = editor.load_history(&history_file);
    let mut watcher = ConfigWatcher::new(&setup.manager);

    let target = &setup.route.target;
    match continued {
        Some(id) => ctx.term.note(&format!(
            "continuing conversation {id} ({} messages) with {target}",
            setup.messages.len()
        )),
        None => ctx.term.note(&format!("chatting with {target}")),
    }
    ctx.term
        .note("/help lists commands; Ctrl-C stops a reply, Ctrl-D leaves");
    if !setup.attachments.is_empty() {
        ctx.term.note(&format!(
            "{} attachment(s) go with your first prompt",
            setup.attachments.len()
        ));
    }

    loop {
        if let Some(w) = watcher.as_mut() {
            hot_reload(ctx, w, setup).await;
        }
        let prompt = format!("{}> ", setup.route.target.model);
        match editor.readline(&prompt) {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                if let Some(request) = session_input::request(line) {
                    match session_input::read(&mut editor, request, ctx.term)? {
                        Read::Prompt(text) => turn(ctx, setup, &text).await?,
                        Read::Nothing => {}
                        Read::Eof => break,
                    }
                    continue;
                }
                if let Some(command) = line.strip_prefix('/') {
                    match slash(ctx, setup, command).await {
                        Next::Continue => continue,
                        Next::Exit => break,
                    }
                }
                turn(ctx, setup, line).await?;
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::Runtime(format!("cannot read input: {e}"))),
        }
    }
    save_line_history(&mut editor, &history_file);
    if let Some(id) = setup.recorder.conversation() {
        ctx.term.note(&format!(
            "stored as conversation {id} (`yat chat --cid {id}` continues it)"
        ));
    }
    Ok(())
}

/// One prompt and its reply. A failed or interrupted reply leaves the
/// conversation as it was before the prompt; only output errors end the session.
async fn turn(ctx: &Ctx, setup: &mut ChatSetup, line: &str) -> CmdResult {
    let before = setup.messages.len();
    // Attachments go with the first prompt, and stay for the next one if
    // this one fails.
    let attachments = setup.attachments.clone();
    let outcome = setup
        .exchange(ctx, attachments, line, Mode::Text, true)
        .await?;
    match outcome.end {
        End::Complete => {
            setup.attachments.clear();
            setup.messages.extend(outcome.earlier);
            setup.messages.push(outcome.reply.into_message());
        }
        // The tool loop stopped at its step limit: what it did stays, and
        // the calls it did not run are answered "not run" next time.
        End::Failed(e @ YatError::StepLimit { .. }) => {
            setup.attachments.clear();
            setup.messages.extend(outcome.earlier);
            setup.messages.push(outcome.reply.into_message());
            ctx.term.error(&describe(&e));
        }
        End::Interrupted => {
            setup.messages.truncate(before);
            ctx.term
                .note("the stopped reply is not part of the conversation");
        }
        End::Failed(e) => {
            setup.messages.truncate(before);
            ctx.term.error(&describe(&e));
        }
    }
    Ok(())
}

async fn slash(ctx: &Ctx, setup: &mut ChatSetup, command: &str) -> Next {
    let (name, arg) = match command.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (command, ""),
    };
    match name {
        "exit" | "quit" | "q" => return Next::Exit,
        "help" | "?" => {
            eprintln_lines(HELP);
            eprintln_lines(crate::session_tools::HELP);
            eprintln_lines(session_input::HELP);
        }
        "model" => {
            if arg.is_empty() {
                crate::term::eprint_line(&setup.route.target.to_string());
            } else {
                let switched = resolve_model_listed(Some(arg), &setup.prefs, &setup.manager)
                    .await
                    .and_then(|route| {
                        setup.manager.info(&route.target.provider)?;
                        let c = candidates(&route.target, &setup.fallback, &setup.prefs)?;
                        Ok((route, c))
                    });
                match switched {
                    Ok((route, c)) => {
                        crate::commands::models::check_model_exists(
                            ctx,
                            &setup.manager,
                            &route.target,
                        )
                        .await;
                        ctx.term.done(&format!("model: {}", route.target));
                        setup.route = route;
                        setup.candidates = c;
                    }
                    Err(e) => ctx.term.error(&describe(&e)),
                }
            }
        }
        "system" => {
            if arg.is_empty() {
                match system_of(&setup.messages) {
                    Some(s) => crate::term::eprint_line(&s),
                    None => ctx.term.note("no system prompt"),
                }
            } else if arg == "-" {
                set_system(&mut setup.messages, None);
                ctx.term.done("system prompt removed");
            } else {
                set_system(&mut setup.messages, Some(arg));
                ctx.term.done("system prompt set");
            }
        }
        "clear" => {
            let system = system_of(&setup.messages).map(std::borrow::Cow::into_owned);
            setup.messages.clear();
            set_system(&mut setup.messages, system.as_deref());
            setup.recorder.restart();
            ctx.term.done("new conversation");
        }
        "save" => save(ctx, setup, arg),
        "tools" => crate::session_tools::tools(ctx, setup),
        "mcp" => crate::session_tools::mcp(ctx, setup, arg).await,
        other => ctx
            .term
            .error(&format!("unknown command /{other}: /help lists them")),
    }
    Next::Continue
}

fn save(ctx: &Ctx, setup: &mut ChatSetup, arg: &str) {
    if !setup.messages.iter().any(|m| m.role == Role::User) {
        ctx.term.note("nothing to save yet");
        return;
    }
    if !arg.is_empty() {
        let path = PathBuf::from(arg);
        match std::fs::write(
            &path,
            transcript(&setup.messages, &setup.route.target.to_string()),
        ) {
            Ok(()) => ctx.term.done(&format!("saved to {}", path.display())),
            Err(e) => ctx.term.error(&format!("{}: {e}", path.display())),
        }
        return;
    }
    if let Some(id) = setup.recorder.conversation() {
        ctx.term.done(&format!(
            "already stored as conversation {id} (`yat log show {id}`)"
        ));
        return;
    }
    match setup.recorder.import(&setup.messages, &setup.route.target) {
        Ok(id) => {
            setup.recorder.continue_conversation(id);
            ctx.term.done(&format!(
                "stored as conversation {id} (`yat log show {id}`)"
            ));
        }
        Err(e) => ctx.term.error(
            &e.message()
                .unwrap_or_else(|| "cannot store the conversation".into()),
        ),
    }
}

/// The conversation as Markdown: every part, attachments by name and size.
fn transcript(messages: &[Message], model: &str) -> String {
    let mut out = format!("# yat conversation\n\nmodel: {model}\n").into_bytes();
    for m in messages {
        out.extend_from_slice(format!("\n## {}\n\n", m.role.as_str()).as_bytes());
        // Writing to a Vec cannot fail.
        let _ = crate::transcript::write_parts(&mut out, &m.content, crate::term::Paint(false));
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Picks up edits to provider_config.json and the .env files, reloading
/// the providers they touch and saying so.
async fn hot_reload(ctx: &Ctx, watcher: &mut ConfigWatcher, setup: &mut ChatSetup) {
    match watcher.reload_changed(&setup.manager).await {
        Ok(r) if r.is_empty() => {}
        Ok(r) => {
            let files: Vec<String> = r.files.iter().map(|f| file_label(f)).collect();
            if r.providers.is_empty() {
                ctx.term.note(&format!(
                    "{} changed; no provider affected",
                    files.join(", ")
                ));
            } else {
                ctx.term.note(&format!(
                    "reloaded {} ({} changed)",
                    r.providers.join(", "),
                    files.join(", ")
                ));
                for id in &r.providers {
                    if let Ok(info) = setup.manager.info(id) {
                        if let Some(reason) = crate::remedy::status_reason(id, &info.status) {
                            ctx.term
                                .warn(&format!("{id} is {}: {reason}", info.status.label()));
                        }
                    }
                }
            }
            // A change may be to the preferences only (aliases, fallbacks),
            // which no provider reload reads: read them from the file.
            match ctx.preferences() {
                Ok(p) => setup.prefs = p,
                Err(e) => ctx.term.warn(&e.message().unwrap_or_default()),
            }
            match candidates(&setup.route.target, &setup.fallback, &setup.prefs) {
                Ok(c) => setup.candidates = c,
                Err(e) => ctx
                    .term
                    .warn(&format!("{}; keeping the previous models", describe(&e))),
            }
        }
        Err(e) => ctx
            .term
            .warn(&format!("{}; keeping the previous settings", describe(&e))),
    }
}

fn file_label(path: &Path) -> String {
    path.display().to_string()
}

fn eprintln_lines(text: &str) {
    for line in text.lines() {
        crate::term::eprint_line(line);
    }
}

fn save_line_history(editor: &mut Editor<(), FileHistory>, path: &Path) {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        if builder.create(dir).is_err() {
            return;
        }
    }
    if editor.save_history(path).is_ok() {
        // Prompts are private.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
}
