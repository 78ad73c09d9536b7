//! `yat log`: the stored conversations, listed, searched and shown.

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

    use yat::store::{LogQuery, Store};

    use super::*;
    use crate::commands::log_show::{self, short_time, tokens_text};
    use crate::context::print_json;
    use crate::failure::Failure;
    use crate::table::{Cell, Table};

    pub fn run(ctx: &Ctx, action: Option<LogAction>, list: LogListArgs) -> CmdResult {
        match action {
            None => run_list(ctx, list),
            Some(LogAction::List(args)) => run_list(ctx, args),
            Some(LogAction::Show { id, json }) => log_show::run(ctx, open()?, id, json),
            Some(LogAction::Path) => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", Store::default_path().display())?;
                Ok(())
            }
        }
    }

    /// The database, if there is one: looking must not create it.
    fn open() -> CmdResult<Option<Store>> {
        if !Store::default_path().exists() {
            return Ok(None);
        }
        Ok(Some(Store::open_default()?))
    }

    fn run_list(ctx: &Ctx, args: LogListArgs) -> CmdResult {
        if let (Some(since), Some(until)) = (&args.since, &args.until) {
            if since > until {
                return Err(Failure::Usage(format!(
                    "--since ({since}) is after --until ({until}): nothing can match"
                )));
            }
        }
        let searching = args.query.is_some();
        let json = args.json;
        let query = to_query(ctx, args)?;
        let list = match open()? {
            Some(store) => store.search(&query)?,
            None => Vec::new(),
        };
        if json {
            return print_json(&ctx.term, &list);
        }
        if list.is_empty() {
            ctx.term.note(if searching || is_filtered(&query) {
                "no conversation matches"
            } else {
                "no conversations stored yet"
            });
            return Ok(());
        }
        let paint = ctx.term.stdout_paint(false);
        let mut header = vec!["ID", "UPDATED", "MODEL", "MESSAGES", "TOKENS", "TITLE"];
        if searching {
            header.push("MATCH");
        }
        let mut t = Table::new(&header);
        for c in &list {
            let model = match (&c.provider, &c.model) {
                (Some(p), Some(m)) => format!("{p}/{m}"),
                _ => "-".into(),
            };
            let mut row = vec![
                Cell::plain(c.id.to_string()),
                Cell::styled(short_time(&c.updated_at), |s| paint.dim(s)),
                Cell::plain(model),
                Cell::plain(c.message_count.to_string()),
                Cell::plain(tokens_text(c.input_tokens, c.output_tokens)),
                Cell::plain(&c.title),
            ];
            if let Some(snippet) = &c.snippet {
                row.push(Cell::plain(one_line(snippet)));
            }
            t.row(row);
        }
        let mut out = std::io::stdout().lock();
        t.write(&mut out, paint)?;
        Ok(())
    }

    /// The store's query for the flags; an alias given to `-m` stands for
    /// its model (the configuration is read only then).
    fn to_query(ctx: &Ctx, args: LogListArgs) -> CmdResult<LogQuery> {
        let model = match args.model {
            Some(m) if !m.contains('/') => {
                let prefs = ctx.preferences()?;
                Some(prefs.aliases.get(&m).map_or(m, ToString::to_string))
            }
            other => other,
        };
        let mut q = LogQuery::new(args.count);
        q.text = args.query;
        q.model = model;
        q.provider = args.provider;
        q.conversation = args.conversation;
        q.since = args.since;
        q.until = args.until;
        Ok(q)
    }

    fn is_filtered(q: &LogQuery) -> bool {
        q.model.is_some()
            || q.provider.is_some()
            || q.conversation.is_some()
            || q.since.is_some()
            || q.until.is_some()
    }

    /// A snippet on one table row.
    fn one_line(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
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
