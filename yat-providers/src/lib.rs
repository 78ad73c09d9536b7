//! # yat-providers
//!
//! The providers bundled with yat, each behind the cargo feature named after
//! its id, each registering itself with `yat_core::register_provider!`.
//! Linking this crate is what makes them discoverable: call [`link`] (or
//! write `use yat_providers as _;`) from the binary.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

use yat_core::manager::ManagerBuilder;

/// Adds what this crate contributes beyond static registrations (the
/// user-defined OpenAI-compatible endpoints of `provider_config.json`, when
/// the `openai` feature is on) to a manager builder.
///
/// Calling it also guarantees the linker keeps this crate, and with it every
/// enabled provider's registration.
pub fn link(builder: ManagerBuilder) -> ManagerBuilder {
    builder
}

/// The ids of the providers compiled into this build of the crate, sorted.
pub fn enabled_providers() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    #[cfg(feature = "mock")]
    v.push("mock");
    v.sort_unstable();
    v
}
