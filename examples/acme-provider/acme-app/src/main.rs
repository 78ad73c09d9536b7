//! A program that uses yat's bundled providers and a third-party one.
//!
//! ```text
//! acme-app                        list every provider, like `yat providers --verbose`
//! acme-app PROVIDER/MODEL PROMPT  stream one reply
//! ```
//!
//! Its Cargo.toml depends on `yat-core`, `yat-providers` (feature `mock`) and
//! `yat-provider-acme`; the two `link` calls below are what makes the linker
//! keep both provider crates. Nothing else is needed for the Acme provider
//! to appear: it registered itself. `require("acme")` makes start-up fail
//! if the crate is ever left out anyway.

// A provider crate that is a dependency but never named is not linked, and
// its provider silently missing: this lint names such a crate at build time.
#![warn(unused_crate_dependencies)]

use std::io::Write;

use futures::StreamExt;
use yat_core::{
    ChatEvent, ChatRequest, ConfigLocation, Message, ModelRef, ProviderManager, Remedy,
};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("acme-app: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), yat_core::YatError> {
    let builder = ProviderManager::builder()
        .location(ConfigLocation::discover(None))
        // Fail loudly, not with a shorter list, if Acme is not linked.
        .require("acme");
    // The linking rule: reference every provider crate. `link` also checks
    // at compile time that each was built against this program's yat-core.
    let builder = yat_provider_acme::link(yat_providers::link(builder));
    let manager = builder.build().await?;

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            println!("registry: {}", yat_core::registry::BACKEND);
            for info in manager.statuses() {
                let reason = info.status.reason().unwrap_or_default();
                println!(
                    "{:<6} {:<20} {:<20} {}@{} {}",
                    info.id,
                    info.name,
                    info.status.label(),
                    info.crate_name,
                    info.crate_version,
                    reason
                );
                for remedy in info.remedies() {
                    println!("       fix: {}", word(&remedy));
                }
            }
            Ok(())
        }
        [target, prompt] => {
            let target: ModelRef = target.parse()?;
            let mut stream = manager
                .chat(&target, ChatRequest::new("", vec![Message::user(prompt)]))
                .await?;
            let mut out = std::io::stdout();
            while let Some(event) = stream.next().await {
                if let ChatEvent::Delta { text } = event? {
                    let _ = out.write_all(text.as_bytes());
                    let _ = out.flush();
                }
            }
            println!();
            Ok(())
        }
        _ => {
            eprintln!("usage: acme-app [PROVIDER/MODEL PROMPT]");
            std::process::exit(2);
        }
    }
}

/// The library says what would fix a provider as data; the program words it
/// for its own users.
fn word(remedy: &Remedy) -> String {
    match remedy {
        Remedy::Set { setting, .. } => format!("export {}=<{}>", setting.env_var, setting.label),
        Remedy::Enable { provider } => {
            format!("remove \"enabled\": false from {provider} in provider_config.json")
        }
        other => format!("{other:?}"),
    }
}
