//! `yat models`: what each ready provider offers, and the default model.

use std::io::Write;

use serde_json::json;
use yat::routing::{resolve_model_listed, BUILTIN_MODEL};
use yat::{ModelInfo, ProviderManager, YatError};

use crate::cli::{ModelsAction, ModelsListArgs};
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::reachability::unreachable_line;
use crate::table::{Cell, Table};

/// Runs `yat models ...`.
pub async fn run(ctx: &Ctx, action: Option<ModelsAction>, list: ModelsListArgs) -> CmdResult {
    match action {
        None => run_list(ctx, &list).await,
        Some(ModelsAction::List(args)) => run_list(ctx, &args).await,
        Some(ModelsAction::Default { model, unset }) => default(ctx, model.as_deref(), unset).await,
    }
}

async fn run_list(ctx: &Ctx, args: &ModelsListArgs) -> CmdResult {
    if let Some(model) = &args.options {
        return crate::commands::model_options::run(ctx, model, args.json).await;
    }
    let (manager, prefs) = ctx.manager_and_preferences().await?;
    // Counted before listing: a provider whose listing fails is marked
    // failed, and its own line below already says so.
    let not_ready = manager
        .statuses()
        .iter()
        .filter(|i| !i.status.is_ready())
        .count();
    let results: Vec<(String, Result<Vec<ModelInfo>, YatError>)> =
        match &args.provider {
            Some(id) => {
                // Unknown or not ready: that is the answer, as an error.
                let models = manager.list_models(id).await.map_err(|e| {
                    match unreachable(&manager, id, &e) {
                        Some(line) => Failure::Runtime(line),
                        None => Failure::from(e),
                    }
                })?;
                vec![(id.clone(), Ok(models))]
            }
            None => manager.list_all_models().await,
        };
    let mut models = Vec::new();
    let mut failures = Vec::new();
    for (id, r) in results {
        match r {
            Ok(list) => models.extend(list),
            Err(e) => failures.push((id, e)),
        }
    }
    let default = prefs.default_model.as_ref().map(ToString::to_string);
    let aliases_of = |full: &str| -> Vec<&str> {
        prefs
            .aliases
            .iter()
            .filter(|(_, target)| target.to_string() == full)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    if args.json {
        let list: Vec<_> = models
            .iter()
            .map(|m| {
                let full = format!("{}/{}", m.provider, m.id);
                let mut v = serde_json::to_value(m).unwrap_or_default();
                v["ref"] = json!(full);
                v["default"] = json!(default.as_deref() == Some(full.as_str()));
                v["aliases"] = json!(aliases_of(&full));
                v
            })
            .collect();
        print_json(&ctx.term, &list)?;
    } else {
        let paint = ctx.term.stdout_paint(false);
        let mut t = Table::new(&["MODEL", "NAME", "CONTEXT", "MAX OUTPUT", "NOTES"]);
        for m in &models {
            let full = format!("{}/{}", m.provider, m.id);
            let mut marks: Vec<String> = Vec::new();
            if default.as_deref() == Some(full.as_str()) {
                marks.push("default".into());
            }
            for name in aliases_of(&full) {
                marks.push(format!("alias {name}"));
            }
            t.row(vec![
                Cell::plain(full),
                Cell::plain(&m.display_name),
                Cell::plain(
                    m.context_length
                        .map(|n| n.to_string())
                        .unwrap_or("-".into()),
                ),
                Cell::plain(
                    m.max_output_tokens
                        .map(|n| n.to_string())
                        .unwrap_or("-".into()),
                ),
                Cell::styled(marks.join(", "), |s| paint.green(s)),
            ]);
        }
        let mut out = std::io::stdout().lock();
        t.write(&mut out, paint)?;
        out.flush()?;
    }
    for (id, e) in &failures {
        match unreachable(&manager, id, e) {
            Some(line) => ctx.term.note(&line),
            None => ctx.term.warn(&format!(
                "{id}: cannot list models: {}",
                crate::failure::describe(e)
            )),
        }
    }
    if args.provider.is_none() && !args.json && not_ready > 0 {
        ctx.term.note(&format!(
            "{not_ready} provider(s) not ready and not listed: see `yat providers`"
        ));
    }
    Ok(())
}

/// The one line for a provider whose server did not answer, naming the
/// base URL it was asked at.
fn unreachable(manager: &ProviderManager, id: &str, e: &YatError) -> Option<String> {
    let settings = manager.resolved_settings(id).ok();
    let base_url = settings.as_ref().and_then(|s| s.get("base_url"));
    unreachable_line(id, base_url, e)
}

async fn default(ctx: &Ctx, model: Option<&str>, unset: bool) -> CmdResult {
    if unset {
        return ctx.change_preferences(
            |p| p.default_model = None,
            &format!("default model removed ({BUILTIN_MODEL} is used when nothing is named)"),
        );
    }
    let Some(model) = model else {
        let prefs = ctx.preferences()?;
        let mut out = std::io::stdout().lock();
        match &prefs.default_model {
            Some(m) => writeln!(out, "{m}")?,
            None => {
                drop(out);
                ctx.term.note(&format!(
                    "no default model set: {BUILTIN_MODEL} (offline) is used; \
                     set one with `yat models default PROVIDER/MODEL`"
                ));
            }
        }
        return Ok(());
    };
    let (manager, prefs) = ctx.manager_and_preferences().await?;
    let target = resolve_model_listed(Some(model), &prefs, &manager)
        .await?
        .target;
    ctx.known_provider(&manager, &target.provider)?;
    check_model_exists(ctx, &manager, &target).await;
    let done = format!("default model: {target}");
    ctx.change_preferences(|p| p.default_model = Some(target), &done)
}

/// Warns (without failing) when a ready provider does not list the model:
/// some APIs serve models they do not list.
pub async fn check_model_exists(ctx: &Ctx, manager: &ProviderManager, target: &yat::ModelRef) {
    let ready = manager
        .info(&target.provider)
        .map(|i| i.status.is_ready())
        .unwrap_or(false);
    if !ready {
        if let Ok(info) = manager.info(&target.provider) {
            ctx.term.warn(&format!(
                "{} is not ready: {}",
                target.provider,
                crate::remedy::status_reason(&target.provider, &info.status).unwrap_or_default()
            ));
        }
        return;
    }
    match manager.list_models(&target.provider).await {
        Ok(models) if !models.iter().any(|m| m.id == target.model) => ctx.term.warn(&format!(
            "{} does not list a model {:?} (see `yat models --provider {}`)",
            target.provider, target.model, target.provider
        )),
        Ok(_) => {}
        // The library does not log this failure at the default level: the
        // CLI says it, once.
        Err(e) => ctx.term.warn(&format!(
            "cannot check that {} offers {:?}: {}",
            target.provider,
            target.model,
            unreachable(manager, &target.provider, &e)
                .unwrap_or_else(|| crate::failure::describe(&e))
        )),
    }
}
