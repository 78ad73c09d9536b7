//! The linking rule, shown by breaking it: this binary has the same
//! dependencies as `acme-app` (yat-provider-acme is in Cargo.toml) but never
//! mentions the crate, so the linker leaves it out and `acme` is not listed.
//! Requiring it turns the silent absence into a start-up error. The test
//! `an_unreferenced_provider_crate_is_not_linked_and_require_says_so` runs it.
//!
//! (`acme-app`'s `#![warn(unused_crate_dependencies)]` would flag this file
//! at build time; it is left out here so the example builds without
//! warnings.)

use yat_core::ProviderManager;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `yat_providers` is referenced; `yat_provider_acme` is not.
    let builder = || yat_providers::link(ProviderManager::builder()).env(Default::default());
    let manager = builder().build().await.expect("no configuration is read");
    for id in manager.ids() {
        println!("{id}");
    }
    if let Err(e) = builder().require("acme").build().await {
        eprintln!("forgot-to-link: {e}");
        std::process::exit(1);
    }
}
