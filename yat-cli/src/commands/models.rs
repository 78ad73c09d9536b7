//! `yat models`: what each ready provider offers, and the default model.

use std::io::Write;

use serde_json::json;
use yat::preferences::Preferences;
use yat::routing::{resolve_model, BUILTIN_MODEL};
use yat::{ModelInfo, YatError};

use crate::cli::{ModelsAction, ModelsListArgs};
use crate::context::{print_json, Ctx};
use crate::failure::CmdResult;
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
    let manager = ctx.manager().await?;
    let prefs = ctx.preferences()?;
    let results: Vec<(String, Result<Vec<ModelInfo>, YatError>)> = match &args.provider {
        Some(id) => {
            // Unknown or not ready: that is the answer, as an error.
            let models = manager.list_models(id).await?;
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
    if args.json {
        let list: Vec<_> = models
            .iter()
            .map(|m| {
                let full = format!("{}/{}", m.provider, m.id);
                let mut v = serde_json::to_value(m).unwrap_or_default();
                v["ref"] = json!(full);
                v["default"] = json!(default.as_deref() == Some(full.as_str()));
                v
            })
            .collect();
        print_json(&ctx.term, &list)?;
    } else {
        let paint = ctx.term.stdout_paint(false);
        let mut t = Table::new(&["MODEL", "NAME", "CONTEXT", "MAX OUTPUT", ""]);
        for m in &models {
            let full = format!("{}/{}", m.provider, m.id);
            let mut marks: Vec<String> = Vec::new();
            if default.as_deref() == Some(full.as_str()) {
                marks.push("default".into());
            }
            for (name, target) in &prefs.aliases {
                if target.to_string() == full {
                    marks.push(format!("alias {name}"));
                }
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
        ctx.term.warn(&format!(
            "{id}: cannot list models: {}",
            crate::failure::describe(e)
        ));
    }
    if args.provider.is_none() && !args.json {
        let not_ready = manager
            .statuses()
            .iter()
            .filter(|i| !i.status.is_ready())
            .count();
        if not_ready > 0 {
            ctx.term.note(&format!(
                "{not_ready} provider(s) not ready and not listed: see `yat providers`"
            ));
        }
    }
    Ok(())
}

async fn default(ctx: &Ctx, model: Option<&str>, unset: bool) -> CmdResult {
    let path = ctx.location().config_file;
    if unset {
        Preferences::update(&path, |p| {
            p.default_model = None;
            Ok(())
        })?;
        ctx.term.done(&format!(
            "default model removed ({BUILTIN_MODEL} is used when nothing is named)"
        ));
        return Ok(());
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
    let prefs = ctx.preferences()?;
    let target = resolve_model(Some(model), &prefs, &[])?.target;
    let manager = ctx.manager().await?;
    ctx.known_provider(&manager, &target.provider)?;
    check_model_exists(ctx, &manager, &target).await;
    Preferences::update(&path, |p| {
        p.default_model = Some(target.clone());
        Ok(())
    })?;
    ctx.term.done(&format!("default model: {target}"));
    Ok(())
}

/// Warns (without failing) when a ready provider does not list the model:
/// some APIs serve models they do not list.
pub async fn check_model_exists(ctx: &Ctx, manager: &yat::ProviderManager, target: &yat::ModelRef) {
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
    if let Ok(models) = manager.list_models(&target.provider).await {
        if !models.iter().any(|m| m.id == target.model) {
            ctx.term.warn(&format!(
                "{} does not list a model {:?} (see `yat models --provider {}`)",
                target.provider, target.model, target.provider
            ));
        }
    }
}
