//! `yat alias`: short names for models.

use std::collections::BTreeMap;

use yat::preferences::Preferences;
use yat::ModelRef;

use crate::cli::AliasAction;
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::table::{Cell, Table};

/// Runs `yat alias ...`.
pub async fn run(ctx: &Ctx, action: AliasAction) -> CmdResult {
    let path = ctx.location().config_file;
    match action {
        AliasAction::Set { name, model } => {
            let target: ModelRef = model.parse()?;
            let manager = ctx.manager().await?;
            ctx.known_provider(&manager, &target.provider)?;
            super::models::check_model_exists(ctx, &manager, &target).await;
            let before = Preferences::update(&path, |p| p.set_alias(&name, target.clone()))?;
            match before {
                Some(old) if old != target => ctx
                    .term
                    .done(&format!("alias {name} → {target} (was {old})")),
                _ => ctx.term.done(&format!("alias {name} → {target}")),
            }
            Ok(())
        }
        AliasAction::List { json } => {
            let prefs = ctx.preferences()?;
            if json {
                let map: BTreeMap<&String, String> = prefs
                    .aliases
                    .iter()
                    .map(|(k, v)| (k, v.to_string()))
                    .collect();
                return print_json(&ctx.term, &map);
            }
            if prefs.aliases.is_empty() {
                ctx.term
                    .note("no aliases; add one with `yat alias set NAME PROVIDER/MODEL`");
                return Ok(());
            }
            let mut t = Table::new(&["ALIAS", "MODEL"]);
            for (name, target) in &prefs.aliases {
                t.row(vec![Cell::plain(name), Cell::plain(target.to_string())]);
            }
            let mut out = std::io::stdout().lock();
            t.write(&mut out, ctx.term.stdout_paint(false))?;
            Ok(())
        }
        AliasAction::Remove { name } => {
            if !ctx.preferences()?.aliases.contains_key(&name) {
                return Err(Failure::Runtime(format!(
                    "no alias {name:?} (see `yat alias list`)"
                )));
            }
            let removed = Preferences::update(&path, |p| Ok(p.remove_alias(&name)))?;
            if let Some(target) = removed {
                ctx.term
                    .done(&format!("alias {name} removed (was {target})"));
            }
            Ok(())
        }
    }
}
