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
//! to appear: it registered itself.

use std::io::Write;

use futures::StreamExt;
use yat_core::{ChatEvent, ChatRequest, ConfigLocation, Message, ModelRef, ProviderManager};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("acme-app: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), yat_core::YatError> {
    let builder = ProviderManager::builder().location(ConfigLocation::discover(None));
    // The linking rule: reference every provider crate. `link` also checks
    // at compile time that each was built against this program's yat-core.
    let builder = yat_provider_acme::link(yat_providers::link(builder));
    let manager = builder.build().await?;

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            println!(
                "yat-core {} (registry: {})",
                yat_core::CORE_VERSION,
                yat_core::registry::BACKEND
            );
            for info in manager.statuses() {
                let reason = info.status.reason().unwrap_or_default();
                println!(
                    "{:<6} {:<20} {:<20} {}@{} (yat-core {}) {}",
                    info.id,
                    info.name,
                    info.status.label(),
                    info.crate_name,
                    info.crate_version,
                    info.core_version,
                    reason
                );
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
