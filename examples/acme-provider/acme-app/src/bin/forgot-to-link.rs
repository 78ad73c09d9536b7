//! The linking rule, shown by breaking it: this binary has the same
//! dependencies as `acme-app` (yat-provider-acme is in Cargo.toml) but never
//! mentions the crate, so the linker leaves it out and `acme` is not listed.
//! The test `an_unreferenced_provider_crate_is_not_linked` runs it.

use yat_core::ProviderManager;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `yat_providers` is referenced; `yat_provider_acme` is not.
    let manager = yat_providers::link(ProviderManager::builder())
        .env(Default::default())
        .build()
        .await
        .expect("no configuration files are read");
    for id in manager.ids() {
        println!("{id}");
    }
}
