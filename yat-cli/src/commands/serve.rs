//! `yat serve`: the gateway (yat-serve) on a socket, and its keys. All the
//! serving is the library's; this file picks the address, the log format
//! and the runtime, and words the outcome for a terminal.

use serde_json::json;
use yat::serve::keys::{KeyError, KeyStore};
use yat::serve::Gateway;

use crate::cli::{LogFormat, ServeAction, ServeArgs, ServeKeysAction};
use crate::context::{print_json, Ctx};
use crate::failure::{CmdResult, Failure};
use crate::table::{Cell, Table};

/// Runs `yat serve ...`. Serving gets a runtime with one worker per core;
/// the key commands need none.
pub fn run(ctx: &Ctx, action: Option<ServeAction>, args: ServeArgs) -> CmdResult {
    match action {
        Some(ServeAction::Keys { action }) => keys(ctx, action),
        None => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::Runtime(format!("cannot start the async runtime: {e}")))?;
            rt.block_on(serve(ctx, args))
        }
    }
}

/// The request log: `yat_serve::access` lines at info on stderr, as text
/// or JSON; `-v` and `RUST_LOG` as for every command.
pub fn init_logging(verbose: u8, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::new(v),
        _ => EnvFilter::new(match verbose {
            0 => "warn,yat_serve=info",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

async fn serve(ctx: &Ctx, args: ServeArgs) -> CmdResult {
    let manager = ctx.manager().await?;
    let location = ctx.location();
    let builder = Gateway::builder(manager);
    let builder = if args.no_auth {
        builder.open_access()
    } else {
        builder.keys(KeyStore::beside(&location))
    };
    let gateway = builder.build().await?;
    if gateway.requires_keys() && gateway.key_count() == 0 {
        return Err(Failure::Usage(format!(
            "no gateway keys in {}: create one with `yat serve keys create NAME`, \
             or serve without keys on loopback with --no-auth",
            KeyStore::beside(&location).path().display()
        )));
    }
    raise_descriptor_limit(gateway.config().limits.max_concurrent_streams);
    let addr = args.listen.unwrap_or(gateway.config().listen);
    if args.no_auth && !addr.ip().is_loopback() {
        return Err(Failure::Usage(format!(
            "--no-auth is for loopback addresses only, not {addr}: create a key with \
             `yat serve keys create NAME`"
        )));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    ctx.term.note(&format!(
        "serving on http://{bound} (OpenAI base URL http://{bound}/v1, Anthropic base URL http://{bound}){}; Ctrl-C stops",
        if args.no_auth { ", no keys" } else { "" }
    ));
    yat::serve::serve(listener, gateway, yat::serve::shutdown_signal()).await?;
    ctx.term.note("stopped");
    Ok(())
}

/// Each stream holds two descriptors (the client's and the upstream's
/// connection) and the upstream pool keeps idle ones a while, so the common
/// soft limit of 1024 runs out near 500 streams: raise it to the hard limit,
/// and say so when even that is short of the stream limit.
fn raise_descriptor_limit(max_streams: usize) {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit");
            return;
        }
    };
    let needed = (max_streams as u64).saturating_mul(2).saturating_add(64);
    if limit < needed {
        tracing::warn!(
            limit,
            max_concurrent_streams = max_streams,
            "the open-file limit allows about {} streams; raise it (ulimit -n) or lower serve.limits.max_concurrent_streams",
            limit.saturating_sub(64) / 2
        );
    }
}

fn keys(ctx: &Ctx, action: ServeKeysAction) -> CmdResult {
    let store = KeyStore::beside(&ctx.location());
    match action {
        ServeKeysAction::Create { name, rpm } => {
            let (_, secret) = store.create(&name, rpm).map_err(key_failure)?;
            // The key alone on stdout, so `$(yat serve keys create x)` works.
            println!("{secret}");
            ctx.term.done(&format!(
                "key {name:?} created; its hash is in {} — this is the only time the key is shown",
                store.path().display()
            ));
            Ok(())
        }
        ServeKeysAction::List { json } => {
            let keys = store.load()?;
            if json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        json!({
                            "name": k.name,
                            "prefix": k.prefix,
                            "created": k.created,
                            "requests_per_minute": k.requests_per_minute,
                        })
                    })
                    .collect();
                return print_json(&ctx.term, &list);
            }
            if keys.is_empty() {
                ctx.term.note(&format!(
                    "no gateway keys in {}: create one with `yat serve keys create NAME`",
                    store.path().display()
                ));
                return Ok(());
            }
            let paint = ctx.term.stdout_paint(false);
            let mut t = Table::new(&["NAME", "PREFIX", "CREATED", "REQUESTS/MIN"]);
            for k in &keys {
                t.row(vec![
                    Cell::plain(&k.name),
                    Cell::plain(format!("{}…", k.prefix)),
                    Cell::plain(utc_minute(k.created)),
                    Cell::plain(
                        k.requests_per_minute
                            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                    ),
                ]);
            }
            let mut out = std::io::stdout().lock();
            t.write(&mut out, paint)?;
            Ok(())
        }
        ServeKeysAction::Revoke { name } => {
            if store.revoke(&name).map_err(key_failure)? {
                ctx.term.done(&format!(
                    "key {name:?} revoked; a running gateway refuses it within a second"
                ));
                Ok(())
            } else {
                Err(Failure::Usage(format!("no gateway key named {name:?}")))
            }
        }
    }
}

/// A bad name is the user's mistake (exit 2); a file problem is not.
fn key_failure(e: KeyError) -> Failure {
    match e {
        KeyError::File(e) => Failure::Yat(e),
        other => Failure::Usage(other.to_string()),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (civil-from-days, no date crate).
fn utc_minute(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read_as_utc() {
        assert_eq!(super::utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_minute(1_764_547_200), "2025-12-01 00:00 UTC");
        assert_eq!(super::utc_minute(951_782_400), "2000-02-29 00:00 UTC");
    }
}
