//! `yat config`: read and change settings and preferences.
//!
//! Where values go: a setting of kind secret (an API key) is written to the
//! `.env` in the config dir (mode 0600) under the provider's first key
//! variable, never into provider_config.json, so the JSON can be shared or
//! committed; every other setting goes into provider_config.json (also 0600).

use std::io::Write;

use serde_json::{json, Value};
use yat::preferences::{DEFAULT_MODEL_KEY, FALLBACKS_KEY, HISTORY_KEY};
use yat::routing::resolve_model;
use yat::settings::SettingSource;
use yat::{ProviderConfig, ProviderManager, SettingKind, SettingSpec};

use crate::cli::ConfigAction;
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::table::{Cell, Table};

/// Runs `yat config ...`.
pub async fn run(ctx: &Ctx, action: ConfigAction) -> CmdResult {
    match action {
        ConfigAction::Path => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", ctx.location().config_file.display())?;
            Ok(())
        }
        ConfigAction::Show { provider, json } => show(ctx, provider.as_deref(), json).await,
        ConfigAction::Get { key } => get(ctx, &key).await,
        ConfigAction::Set { key, value } => set(ctx, &key, &value).await,
        ConfigAction::Unset { key } => unset(ctx, &key).await,
    }
}

/// What a KEY names.
enum Key {
    Setting { provider: String, key: String },
    DefaultModel,
    Fallbacks,
    History,
}

fn parse_key(key: &str) -> CmdResult<Key> {
    match key {
        DEFAULT_MODEL_KEY => Ok(Key::DefaultModel),
        FALLBACKS_KEY => Ok(Key::Fallbacks),
        HISTORY_KEY => Ok(Key::History),
        _ => match key.split_once('.') {
            Some((p, k)) if !p.is_empty() && !k.is_empty() => Ok(Key::Setting {
                provider: p.to_owned(),
                key: k.to_owned(),
            }),
            _ => Err(Failure::Usage(format!(
                "{key:?} is not a key: use PROVIDER.SETTING (for example mock.delay_ms), \
                 {DEFAULT_MODEL_KEY}, {FALLBACKS_KEY} or {HISTORY_KEY}"
            ))),
        },
    }
}

/// The declared setting `provider.key`, or a usage error listing what exists.
fn spec_of(manager: &ProviderManager, provider: &str, key: &str) -> CmdResult<SettingSpec> {
    let info = manager.info(provider)?;
    info.settings
        .iter()
        .find(|s| s.key == key)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = info.settings.iter().map(|s| s.key).collect();
            Failure::Usage(if known.is_empty() {
                format!("{provider} has no settings")
            } else {
                format!(
                    "{provider} has no setting {key:?}; its settings: {}",
                    known.join(", ")
                )
            })
        })
}

fn validate(provider: &str, spec: &SettingSpec, value: &str) -> CmdResult<String> {
    let v = yat::secret::sanitize(value);
    let bad = |what: &str| {
        Failure::Usage(format!(
            "{provider}.{}: expected {what}, got {v:?}",
            spec.key
        ))
    };
    match spec.kind {
        SettingKind::Integer => v
            .parse::<i64>()
            .map(|_| v.to_owned())
            .map_err(|_| bad("a whole number")),
        SettingKind::Float => v
            .parse::<f64>()
            .map(|_| v.to_owned())
            .map_err(|_| bad("a number")),
        SettingKind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok("true".into()),
            "false" | "0" | "no" | "off" => Ok("false".into()),
            _ => Err(bad("true or false")),
        },
        SettingKind::Url if !(v.starts_with("http://") || v.starts_with("https://")) => {
            Err(bad("an http:// or https:// URL"))
        }
        SettingKind::Secret if v.is_empty() => Err(Failure::Usage(format!(
            "{provider}.{}: the value is empty (use `yat config unset`)",
            spec.key
        ))),
        _ => Ok(v.to_owned()),
    }
}

fn parse_bool(value: &str) -> CmdResult<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(Failure::Usage(format!(
            "{HISTORY_KEY}: expected on or off, got {other:?}"
        ))),
    }
}

async fn set(ctx: &Ctx, key: &str, value: &str) -> CmdResult {
    let location = ctx.location();
    let path = &location.config_file;
    match parse_key(key)? {
        Key::DefaultModel => {
            let (manager, prefs) = ctx.manager_and_preferences().await?;
            let target = resolve_model(Some(value), &prefs, &[])?.target;
            ctx.known_provider(&manager, &target.provider)?;
            let done = format!("{DEFAULT_MODEL_KEY} = {target}");
            ctx.change_preferences(|p| p.default_model = Some(target), &done)?;
        }
        Key::Fallbacks => {
            let prefs = ctx.preferences()?;
            let mut list = Vec::new();
            for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                list.push(resolve_model(Some(item), &prefs, &[])?.target);
            }
            let shown = list
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            ctx.change_preferences(
                |p| p.fallbacks = list,
                &format!("{FALLBACKS_KEY} = {shown}"),
            )?;
        }
        Key::History => {
            let on = parse_bool(value)?;
            let shown = if on { "on" } else { "off" };
            ctx.change_preferences(|p| p.history = on, &format!("{HISTORY_KEY} = {shown}"))?;
        }
        Key::Setting { provider, key } => {
            let manager = ctx.manager().await?;
            let spec = spec_of(&manager, &provider, &key)?;
            let value = validate(&provider, &spec, value)?;
            if spec.kind == SettingKind::Secret {
                let var = spec.primary_env_var(&provider);
                let keys = location.keys();
                keys.set(&var, &value)?;
                // A plaintext copy in the JSON (from an older setup) would be
                // shadowed anyway; remove it so the key lives in one place.
                remove_config_value(path, &provider, &key)?;
                ctx.term.done(&format!(
                    "{provider}.{key} stored in {} as {var} (mode 0600; secrets stay out of provider_config.json)",
                    keys.path().display()
                ));
            } else {
                let mut config = ProviderConfig::load(path)?;
                config.provider_mut(&provider).setting_mut(&key).value =
                    Some(Value::String(value.clone()));
                config.save(path)?;
                ctx.term.done(&format!("{provider}.{key} = {value}"));
            }
            report_effect(ctx, &manager, &provider, &key).await?;
        }
    }
    Ok(())
}

/// After a change: reload the provider and say if another source still wins
/// or if the provider no longer starts.
async fn report_effect(
    ctx: &Ctx,
    manager: &ProviderManager,
    provider: &str,
    key: &str,
) -> CmdResult {
    let status = manager.reload(provider).await?;
    let resolved = manager.resolved_settings(provider)?;
    if let Some(r) = resolved.resolved(key) {
        match &r.source {
            SettingSource::Env { var } => ctx.term.note(&format!(
                "{var} is set in the environment and takes precedence"
            )),
            SettingSource::DotEnv { path, var } if path != &ctx.location().keys_file() => ctx
                .term
                .note(&format!("{var} in {} takes precedence", path.display())),
            _ => {}
        }
    }
    if let Some(reason) = crate::remedy::status_reason(provider, &status) {
        if !matches!(status, yat::ProviderStatus::Disabled) {
            ctx.term
                .warn(&format!("{provider} is {}: {reason}", status.label()));
        }
    }
    Ok(())
}

fn remove_config_value(path: &std::path::Path, provider: &str, key: &str) -> CmdResult<bool> {
    let mut config = ProviderConfig::load(path)?;
    let Some(entry) = config.providers.iter_mut().find(|p| p.id == provider) else {
        return Ok(false);
    };
    let Some(i) = entry.settings.iter().position(|s| s.key == key) else {
        return Ok(false);
    };
    if entry.settings[i].value.is_none() {
        return Ok(false);
    }
    entry.settings[i].value = None;
    // An entry that held only the value goes; declarations are kept.
    let s = &entry.settings[i];
    if s.label.is_none()
        && s.kind.is_none()
        && s.required.is_none()
        && s.env_var.is_none()
        && s.default.is_none()
        && s.extra.is_empty()
    {
        entry.settings.remove(i);
    }
    config.save(path)?;
    Ok(true)
}

async fn unset(ctx: &Ctx, key: &str) -> CmdResult {
    let location = ctx.location();
    let path = &location.config_file;
    match parse_key(key)? {
        Key::DefaultModel => ctx.change_preferences(
            |p| p.default_model = None,
            &format!("{DEFAULT_MODEL_KEY} removed"),
        )?,
        Key::Fallbacks => {
            ctx.change_preferences(|p| p.fallbacks.clear(), &format!("{FALLBACKS_KEY} removed"))?
        }
        Key::History => ctx.change_preferences(
            |p| p.history = true,
            &format!("{HISTORY_KEY} back to its default (on)"),
        )?,
        Key::Setting { provider, key } => {
            let manager = ctx.manager().await?;
            let spec = spec_of(&manager, &provider, &key)?;
            let mut removed = remove_config_value(path, &provider, &key)?;
            if spec.kind == SettingKind::Secret {
                let var = spec.primary_env_var(&provider);
                if location.keys().unset(&var)? {
                    removed = true;
                }
            }
            if removed {
                ctx.term.done(&format!("{provider}.{key} removed"));
                report_effect(ctx, &manager, &provider, &key).await?;
            } else {
                ctx.term
                    .note(&format!("{provider}.{key} was not set by yat config"));
            }
        }
    }
    Ok(())
}

async fn get(ctx: &Ctx, key: &str) -> CmdResult {
    let mut out = std::io::stdout().lock();
    match parse_key(key)? {
        Key::DefaultModel => match ctx.preferences()?.default_model {
            Some(m) => writeln!(out, "{m}")?,
            None => return Err(Failure::Runtime(format!("{DEFAULT_MODEL_KEY} is not set"))),
        },
        Key::Fallbacks => {
            let list = ctx.preferences()?.fallbacks;
            let text: Vec<String> = list.iter().map(ToString::to_string).collect();
            writeln!(out, "{}", text.join(","))?;
        }
        Key::History => {
            let on = ctx.preferences()?.history;
            writeln!(out, "{}", if on { "on" } else { "off" })?;
        }
        Key::Setting { provider, key } => {
            let manager = ctx.manager().await?;
            let spec = spec_of(&manager, &provider, &key)?;
            let resolved = manager.resolved_settings(&provider)?;
            match resolved.resolved(&key) {
                Some(r) => {
                    writeln!(out, "{}", r.value.display())?;
                    drop(out);
                    if spec.kind == SettingKind::Secret {
                        ctx.term
                            .note(&format!("secret: masked (from {})", r.source));
                    }
                }
                None => {
                    return Err(Failure::Runtime(format!("{provider}.{key} is not set")));
                }
            }
        }
    }
    Ok(())
}

async fn show(ctx: &Ctx, only: Option<&str>, json: bool) -> CmdResult {
    let location = ctx.location();
    let (manager, prefs) = ctx.manager_and_preferences().await?;
    let ids: Vec<String> = match only {
        Some(id) => {
            ctx.known_provider(&manager, id)?;
            vec![id.to_owned()]
        }
        None => manager.ids(),
    };
    if json {
        let mut providers = serde_json::Map::new();
        for id in &ids {
            let resolved = manager.resolved_settings(id)?;
            providers.insert(
                id.clone(),
                serde_json::to_value(&resolved).unwrap_or_default(),
            );
        }
        let v = json!({
            "config_file": location.config_file,
            "keys_file": location.keys_file(),
            "dotenv_files": location.dotenv_files,
            DEFAULT_MODEL_KEY: prefs.default_model.as_ref().map(ToString::to_string),
            FALLBACKS_KEY: prefs.fallbacks.iter().map(ToString::to_string).collect::<Vec<_>>(),
            HISTORY_KEY: prefs.history,
            "aliases": prefs.aliases.iter().map(|(k, v)| (k.clone(), v.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            "providers": providers,
        });
        return print_json(&ctx.term, &v);
    }
    let paint = ctx.term.stdout_paint(false);
    let mut out = std::io::stdout().lock();
    let exists = |p: &std::path::Path| {
        if p.exists() {
            ""
        } else {
            "  (not created yet)"
        }
    };
    writeln!(
        out,
        "config file   {}{}",
        location.config_file.display(),
        exists(&location.config_file)
    )?;
    let keys = location.keys_file();
    writeln!(out, "keys file     {}{}", keys.display(), exists(&keys))?;
    writeln!(out)?;
    if only.is_none() {
        let mut t = Table::new(&["", ""]);
        t.row(vec![
            DEFAULT_MODEL_KEY.into(),
            prefs
                .default_model
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| format!("- ({} is used)", yat::routing::BUILTIN_MODEL))
                .into(),
        ]);
        let fallbacks: Vec<String> = prefs.fallbacks.iter().map(ToString::to_string).collect();
        t.row(vec![
            FALLBACKS_KEY.into(),
            if fallbacks.is_empty() {
                "-".to_owned()
            } else {
                fallbacks.join(", ")
            }
            .into(),
        ]);
        t.row(vec![
            HISTORY_KEY.into(),
            if prefs.history { "on" } else { "off" }.into(),
        ]);
        let aliases: Vec<String> = prefs
            .aliases
            .iter()
            .map(|(k, v)| format!("{k} → {v}"))
            .collect();
        t.row(vec![
            "aliases".into(),
            if aliases.is_empty() {
                "-".to_owned()
            } else {
                aliases.join(", ")
            }
            .into(),
        ]);
        let mut buf = Vec::new();
        t.write(&mut buf, crate::term::Paint(false))?;
        for line in String::from_utf8_lossy(&buf).lines().skip(1) {
            writeln!(out, "{line}")?;
        }
    }
    for id in &ids {
        let info = manager.info(id)?;
        let resolved = manager.resolved_settings(id)?;
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(id))?;
        if info.settings.is_empty() {
            writeln!(out, "  no settings")?;
            continue;
        }
        let mut t = Table::new(&["  SETTING", "VALUE", "FROM"]);
        for spec in &info.settings {
            let (value, from) = match resolved.resolved(spec.key) {
                Some(r) => (r.value.display(), r.source.to_string()),
                None if spec.required => ("(missing)".to_owned(), "required".to_owned()),
                None => ("-".to_owned(), String::new()),
            };
            t.row(vec![
                Cell::plain(format!("  {}", spec.key)),
                Cell::plain(value),
                Cell::styled(from, |s| paint.dim(s)),
            ]);
        }
        t.write(&mut out, paint)?;
    }
    Ok(())
}
