//! `yat keys`: store API keys where settings resolution finds them (the
//! config dir's `.env`, mode 0600) and see which providers have one.

use std::io::{Read, Write};

use serde_json::json;
use yat::settings::SettingSource;
use yat::{ProviderInfo, ProviderManager, SettingKind, SettingSpec};

use crate::cli::KeysAction;
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::table::{Cell, Table};

/// Runs `yat keys ...`.
pub async fn run(ctx: &Ctx, action: KeysAction) -> CmdResult {
    match action {
        KeysAction::Set { provider } => set(ctx, &provider).await,
        KeysAction::Get { provider, reveal } => get(ctx, &provider, reveal).await,
        KeysAction::List { json } => list(ctx, json).await,
        KeysAction::Remove { provider } => remove(ctx, &provider).await,
    }
}

/// The provider's key setting: `api_key` if declared, else its first secret.
pub fn key_spec(info: &ProviderInfo) -> Option<SettingSpec> {
    let secrets = || {
        info.settings
            .iter()
            .filter(|s| s.kind == SettingKind::Secret)
    };
    secrets()
        .find(|s| s.key == "api_key")
        .or_else(|| secrets().next())
        .copied()
}

fn spec_for(manager: &ProviderManager, provider: &str) -> CmdResult<(ProviderInfo, SettingSpec)> {
    let info = manager.info(provider)?;
    match key_spec(&info) {
        Some(spec) => Ok((info, spec)),
        None => Err(Failure::Usage(format!("{provider} takes no API key"))),
    }
}

async fn set(ctx: &Ctx, provider: &str) -> CmdResult {
    let manager = ctx.manager().await?;
    let (info, spec) = spec_for(&manager, provider)?;
    let var = spec.primary_env_var(&info.id);
    let key = if ctx.term.stdin_tty {
        rpassword::prompt_password(format!("{} for {} ({var}): ", spec.label, info.name))
            .map_err(|e| Failure::Runtime(format!("cannot read the key: {e}")))?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Runtime(format!("cannot read the key from stdin: {e}")))?;
        s
    };
    let key = checked_key(&key, "no key given; nothing stored")?;
    let keys = ctx.location().keys();
    keys.set(&var, key)?;
    ctx.term.done(&format!(
        "{var} stored in {} (mode 0600)",
        keys.path().display()
    ));
    let status = manager.reload(provider).await?;
    if let Ok(r) = manager.resolved_settings(provider) {
        if let Some(SettingSource::Env { var }) = r.resolved(spec.key).map(|r| &r.source) {
            ctx.term.warn(&format!(
                "{var} is also set in your environment and takes precedence over the stored key"
            ));
        }
    }
    match crate::remedy::status_reason(provider, &status) {
        None => ctx.term.done(&format!("{provider} is ready")),
        Some(reason) => ctx
            .term
            .warn(&format!("{provider} is {}: {reason}", status.label())),
    }
    Ok(())
}

/// Prints the key `provider` uses, as settings resolve it: to a pipe or a
/// file (the way to hand it to another program), and to a terminal only
/// when asked with `--reveal`, so it does not land on a screen or in a
/// terminal's scrollback by accident. Where it comes from goes to stderr.
async fn get(ctx: &Ctx, provider: &str, reveal: bool) -> CmdResult {
    let manager = ctx.manager().await?;
    let (info, spec) = spec_for(&manager, provider)?;
    let resolved = manager.resolved_settings(provider)?;
    let Some(found) = resolved.resolved(spec.key) else {
        return Err(Failure::Runtime(format!(
            "{provider} has no key: set one with `yat keys set {provider}` or export {}",
            spec.primary_env_var(&info.id)
        )));
    };
    if ctx.term.stdout_tty && !reveal {
        return Err(Failure::Usage(format!(
            "the key would show on the screen: pipe it (`yat keys get {provider} | pbcopy`) \
             or add --reveal"
        )));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", found.value.expose())?;
    out.flush()?;
    drop(out);
    ctx.term
        .note(&format!("{provider}'s key, from {}", found.source));
    Ok(())
}

/// A key as typed or piped, without the line end or quotes around it; a
/// usage error (`empty` when there is nothing) for one that cannot be a key.
pub fn checked_key<'k>(key: &'k str, empty: &str) -> CmdResult<&'k str> {
    let key = yat::secret::sanitize(key);
    if key.is_empty() {
        return Err(Failure::Usage(empty.into()));
    }
    if key.chars().any(char::is_whitespace) {
        return Err(Failure::Usage(
            "the key contains whitespace; pass the key alone".into(),
        ));
    }
    Ok(key)
}

async fn remove(ctx: &Ctx, provider: &str) -> CmdResult {
    let manager = ctx.manager().await?;
    let (info, spec) = spec_for(&manager, provider)?;
    let var = spec.primary_env_var(&info.id);
    let keys = ctx.location().keys();
    if !keys.unset(&var)? {
        return Err(Failure::Runtime(format!(
            "no {var} in {} (keys from the environment or other .env files are not yat's to remove)",
            keys.path().display()
        )));
    }
    ctx.term
        .done(&format!("{var} removed from {}", keys.path().display()));
    Ok(())
}

async fn list(ctx: &Ctx, json: bool) -> CmdResult {
    let manager = ctx.manager().await?;
    let mut rows = Vec::new();
    for info in manager.statuses() {
        let Some(spec) = key_spec(&info) else {
            continue;
        };
        let resolved = manager.resolved_settings(&info.id)?;
        let source = resolved.resolved(spec.key).map(|r| r.source.clone());
        rows.push((
            info.id.clone(),
            spec.primary_env_var(&info.id),
            spec.required,
            source,
        ));
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(id, var, required, source)| {
                json!({
                    "provider": id,
                    "env_var": var,
                    "required": required,
                    "set": source.is_some(),
                    "source": source,
                })
            })
            .collect();
        return print_json(&ctx.term, &list);
    }
    if rows.is_empty() {
        ctx.term.note("no compiled-in provider takes an API key");
        return Ok(());
    }
    let paint = ctx.term.stdout_paint(false);
    let mut t = Table::new(&["PROVIDER", "KEY", "VARIABLE", "FROM"]);
    for (id, var, required, source) in &rows {
        let state = match (source, required) {
            (Some(_), _) => Cell::styled("✓ set", |s| paint.green(s)),
            (None, true) => Cell::styled("✗ not set", |s| paint.yellow(s)),
            (None, false) => Cell::styled("- not set (optional)", |s| paint.dim(s)),
        };
        let from = source.as_ref().map(ToString::to_string).unwrap_or_default();
        t.row(vec![
            Cell::plain(id),
            state,
            Cell::plain(var),
            Cell::plain(from),
        ]);
    }
    let mut out = std::io::stdout().lock();
    t.write(&mut out, paint)?;
    Ok(())
}
