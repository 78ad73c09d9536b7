//! `yat models --options PROVIDER/MODEL`: the options `-o KEY VALUE` takes
//! for a model, as its provider declares them.

use std::io::Write;

use serde_json::json;
use yat::routing::resolve_model_listed;

use crate::context::{print_json, Ctx};
use crate::failure::CmdResult;
use crate::table::{Cell, Table};

/// Lists the options of `model` (an alias, a bare name or PROVIDER/MODEL).
pub async fn run(ctx: &Ctx, model: &str, json: bool) -> CmdResult {
    let (manager, prefs) = ctx.manager_and_preferences().await?;
    let target = resolve_model_listed(Some(model), &prefs, &manager)
        .await?
        .target;
    let declared = manager
        .provider(&target.provider)?
        .model_options(&target.model);
    if json {
        let list: Vec<_> = declared
            .iter()
            .map(|o| json!({"name": o.name, "kind": o.kind, "help": o.help}))
            .collect();
        return print_json(&ctx.term, &list);
    }
    if declared.is_empty() {
        ctx.term.note(&format!(
            "{} declares no options: -o KEY VALUE sends any field with the request \
             (VALUE read as JSON when it is JSON)",
            target.provider
        ));
        return Ok(());
    }
    let paint = ctx.term.stdout_paint(false);
    let mut t = Table::new(&["OPTION", "VALUE", "WHAT IT DOES"]);
    for o in &declared {
        t.row(vec![
            Cell::plain(o.name),
            Cell::plain(o.kind.as_str()),
            Cell::plain(o.help),
        ]);
    }
    let mut out = std::io::stdout().lock();
    t.write(&mut out, paint)?;
    out.flush()?;
    Ok(())
}
