//! `yat providers`: what is compiled in, what is ready, and why not.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Value};
use yat::{ProviderConfig, ProviderInfo, ProviderManager, ProviderStatus};

use crate::cli::{ProvidersAction, ProvidersListArgs};
use crate::context::{print_json, Ctx};
use crate::failure::CmdResult;
use crate::reachability::{not_reachable, probe, Probe};
use crate::remedy::status_reason;
use crate::table::{Cell, Table};
use crate::term::Paint;

/// Runs `yat providers ...`.
pub async fn run(ctx: &Ctx, action: Option<ProvidersAction>, list: ProvidersListArgs) -> CmdResult {
    match action {
        None => run_list(ctx, &list).await,
        Some(ProvidersAction::List(args)) => run_list(ctx, &args).await,
        Some(ProvidersAction::Info { id, json }) => info(ctx, &id, json).await,
        Some(ProvidersAction::Enable { id }) => set_enabled(ctx, &id, true).await,
        Some(ProvidersAction::Disable { id }) => set_enabled(ctx, &id, false).await,
    }
}

/// The status as a coloured symbol and label.
pub fn status_cell(status: &ProviderStatus, paint: Paint) -> Cell {
    match status {
        ProviderStatus::Ready => Cell::styled("✓ ready", |t| paint.green(t)),
        ProviderStatus::Failed { .. } => Cell::styled("✗ failed", |t| paint.red(t)),
        ProviderStatus::NeedsConfiguration { .. } => {
            Cell::styled("! needs configuration", |t| paint.yellow(t))
        }
        ProviderStatus::Disabled => Cell::styled("- disabled", |t| paint.dim(t)),
        ProviderStatus::Shadowed { .. } => Cell::styled("- shadowed", |t| paint.dim(t)),
        other => Cell::plain(other.label()),
    }
}

/// The library's data, plus the reason worded with the CLI's commands and
/// the remedies as data for a program that words its own.
fn info_json(info: &ProviderInfo) -> Value {
    let mut v = serde_json::to_value(info).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("reason".into(), json!(reason(info)));
        map.insert("remedies".into(), json!(info.remedies()));
    }
    v
}

fn reason(info: &ProviderInfo) -> Option<String> {
    status_reason(&info.id, &info.status)
}

/// The ready providers whose server is on this machine, each probed once,
/// all at once (so the listing waits [`PROBE_TIMEOUT`] at most): id, base
/// URL, and what the probe found.
///
/// [`PROBE_TIMEOUT`]: crate::reachability::PROBE_TIMEOUT
async fn probe_local_servers(
    manager: &ProviderManager,
    infos: &[ProviderInfo],
) -> BTreeMap<String, (String, Probe)> {
    let targets: Vec<(String, String)> = infos
        .iter()
        .filter(|i| i.status.is_ready())
        .filter_map(|i| {
            let settings = manager.resolved_settings(&i.id).ok()?;
            Some((i.id.clone(), settings.get("base_url")?.to_owned()))
        })
        .collect();
    let probes = futures::future::join_all(targets.iter().map(|(_, url)| probe(url))).await;
    targets
        .into_iter()
        .zip(probes)
        .filter(|(_, p)| *p != Probe::Remote)
        .map(|((id, url), p)| (id, (url, p)))
        .collect()
}

/// Why a probed provider cannot be used now, in the table's words.
fn unreachable_reason(probed: Option<&(String, Probe)>) -> Option<String> {
    match probed {
        Some((url, Probe::Unreachable(why))) => Some(format!(
            "{}: is the server running?",
            not_reachable(Some(url), why)
        )),
        _ => None,
    }
}

async fn run_list(ctx: &Ctx, args: &ProvidersListArgs) -> CmdResult {
    let manager = ctx.manager().await?;
    let infos = manager.statuses();
    let probed = probe_local_servers(&manager, &infos).await;
    // The definitions another provider's id shadows are listed too, after
    // the one that wins, so a user sees every plugin that was found.
    let mut listed: Vec<&ProviderInfo> = infos.iter().collect();
    let shadowed = manager.shadowed();
    listed.extend(shadowed.iter());
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    if args.json {
        let list: Vec<Value> = listed
            .iter()
            .copied()
            .map(|info| {
                let mut v = info_json(info);
                if let Some(p) = probed.get(&info.id) {
                    v["reachable"] = json!(p.1 == Probe::Reachable);
                    if let Some(reason) = unreachable_reason(Some(p)) {
                        v["reason"] = json!(reason);
                    }
                }
                v
            })
            .collect();
        return print_json(&ctx.term, &list);
    }
    let paint = ctx.term.stdout_paint(false);
    let mut out = std::io::stdout().lock();
    if args.verbose {
        writeln!(
            out,
            "yat {} (plugin API: yat-core {})\n",
            env!("CARGO_PKG_VERSION"),
            yat::CORE_VERSION
        )?;
    }
    let mut table = if args.verbose {
        Table::new(&["ID", "NAME", "KIND", "STATUS", "CRATE", "REASON"])
    } else {
        Table::new(&["ID", "NAME", "KIND", "STATUS", "REASON"])
    };
    for info in listed {
        let shadowed = matches!(info.status, ProviderStatus::Shadowed { .. });
        let unreachable = unreachable_reason(probed.get(&info.id).filter(|_| !shadowed));
        let status = match &unreachable {
            Some(_) => Cell::styled("! not reachable", |t| paint.yellow(t)),
            None => status_cell(&info.status, paint),
        };
        let mut row = vec![
            Cell::plain(&info.id),
            Cell::plain(&info.name),
            Cell::plain(info.kind.label()),
            status,
        ];
        if args.verbose {
            row.push(Cell::plain(format!(
                "{} {}",
                info.crate_name, info.crate_version
            )));
        }
        row.push(Cell::plain(
            unreachable.or_else(|| reason(info)).unwrap_or_default(),
        ));
        table.row(row);
    }
    table.write(&mut out, paint)?;
    let ready = infos
        .iter()
        .filter(|i| i.status.is_ready() && unreachable_reason(probed.get(&i.id)).is_none())
        .count();
    drop(out);
    if ready == 0 && !infos.is_empty() {
        ctx.term
            .note("no provider is ready: `yat providers info ID` says what each one needs");
    }
    Ok(())
}

async fn info(ctx: &Ctx, id: &str, json: bool) -> CmdResult {
    let manager = ctx.manager().await?;
    let info = manager.info(id)?;
    let resolved = manager.resolved_settings(id)?;
    let shadowed: Vec<ProviderInfo> = manager
        .shadowed()
        .into_iter()
        .filter(|s| s.id == id)
        .collect();
    if json {
        let mut v = info_json(&info);
        if let Value::Object(map) = &mut v {
            map.insert(
                "resolved_settings".into(),
                serde_json::to_value(&resolved).unwrap_or(Value::Null),
            );
            map.insert(
                "shadowed".into(),
                Value::Array(shadowed.iter().map(info_json).collect()),
            );
        }
        return print_json(&ctx.term, &v);
    }
    let paint = ctx.term.stdout_paint(false);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} ({})", paint.bold(&info.id), info.name)?;
    if !info.description.is_empty() {
        writeln!(out, "{}", info.description)?;
    }
    writeln!(out)?;
    let mut t = Table::new(&["", ""]);
    t.row(vec!["status".into(), status_cell(&info.status, paint)]);
    if let Some(reason) = reason(&info) {
        t.row(vec!["reason".into(), reason.into()]);
    }
    t.row(vec![
        "crate".into(),
        format!("{} {}", info.crate_name, info.crate_version).into(),
    ]);
    t.row(vec!["kind".into(), info.kind.label().into()]);
    if info.user_defined {
        t.row(vec!["defined in".into(), "provider_config.json".into()]);
    }
    process_rows(&mut t, &info);
    for s in &shadowed {
        let what = match s.kind.process() {
            Some(p) => p.path.display().to_string(),
            None => s.kind.label().to_owned(),
        };
        t.row(vec![
            "also found".into(),
            format!("{what} ({})", s.status).into(),
        ]);
    }
    write_pairs(&mut out, &t)?;
    if let Some(tail) = info
        .health
        .as_ref()
        .and_then(|h| h.last_failure_detail.as_deref())
    {
        writeln!(out, "\nstderr of the last failure:")?;
        for line in tail.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    if info.settings.is_empty() {
        writeln!(out, "no settings")?;
        return Ok(());
    }
    let mut t = Table::new(&["SETTING", "KIND", "ENV", "DEFAULT", "VALUE", "FROM"]);
    for spec in &info.settings {
        let mut vars: Vec<String> = spec.env_vars.iter().map(|v| (*v).to_owned()).collect();
        let implicit = yat::settings::implicit_env_var(&info.id, spec.key);
        if !vars.contains(&implicit) {
            vars.push(implicit);
        }
        let (value, from) = match resolved.resolved(spec.key) {
            Some(r) => (r.value.display(), r.source.to_string()),
            None if spec.required => (paint.yellow("(missing)"), String::new()),
            None => ("-".to_owned(), String::new()),
        };
        let kind = spec.kind.as_str();
        let kind = if spec.required {
            format!("{kind}, required")
        } else {
            kind.to_owned()
        };
        t.row(vec![
            Cell::plain(spec.key),
            Cell::plain(kind),
            Cell::plain(vars.join(" ")),
            Cell::plain(spec.default.unwrap_or("-")),
            Cell::plain(value),
            Cell::plain(from),
        ]);
    }
    t.write(&mut out, paint)?;
    Ok(())
}

/// What a process plugin's info adds: the program that runs, how, where
/// it was found, the protocol its handshake chose, and the live child.
fn process_rows(t: &mut Table, info: &ProviderInfo) {
    let Some(p) = info.kind.process() else {
        return;
    };
    t.row(vec!["program".into(), p.path.display().to_string().into()]);
    t.row(vec!["command".into(), shell_words(&p.command).into()]);
    t.row(vec!["found in".into(), p.found_in.clone().into()]);
    let protocol = p
        .protocol
        .map(|v| v.to_string())
        .unwrap_or_else(|| "- (no handshake yet)".to_owned());
    t.row(vec!["protocol".into(), protocol.into()]);
    if let Some(h) = &info.health {
        if let Some(pid) = h.facts.get("pid") {
            t.row(vec!["pid".into(), pid.clone().into()]);
        }
    }
}

/// A command as a shell would read it back (arguments with spaces or
/// quotes in single quotes).
fn shell_words(command: &[String]) -> String {
    command
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c))
            {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a two-column table without its (empty) header.
fn write_pairs(out: &mut impl Write, t: &Table) -> std::io::Result<()> {
    let mut buf = Vec::new();
    t.write(&mut buf, Paint(false))?;
    let text = String::from_utf8_lossy(&buf);
    for line in text.lines().skip(1) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

async fn set_enabled(ctx: &Ctx, id: &str, enabled: bool) -> CmdResult {
    let manager = ctx.manager().await?;
    ctx.known_provider(&manager, id)?;
    let path = ctx.location().config_file;
    let mut config = ProviderConfig::load(&path)?;
    let needs_write = config.provider(id).is_some() || !enabled;
    if needs_write {
        config.provider_mut(id).enabled = enabled;
        config.save(&path)?;
    }
    let status = manager.reload(id).await?;
    let line = match (enabled, status_reason(id, &status)) {
        (false, _) => format!("{id} disabled"),
        (true, None) => format!("{id} enabled: {}", status.label()),
        (true, Some(reason)) => format!("{id} enabled, but {}: {reason}", status.label()),
    };
    ctx.term.done(&line);
    if needs_write {
        ctx.term.note(&format!("saved in {}", path.display()));
    }
    Ok(())
}
