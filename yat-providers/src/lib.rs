//! # yat-providers
//!
//! The providers bundled with yat, each behind the cargo feature named after
//! its id, each registering itself with `yat_core::register_provider!`.
//! Linking this crate is what makes them discoverable: call [`link`] (or
//! write `use yat_providers as _;`) from the binary.
//!
//! The HTTP providers are built on the `yat-http` kit, through its public
//! API only, as a third-party provider crate would be.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "anthropic")]
#[cfg_attr(docsrs, doc(cfg(feature = "anthropic")))]
pub mod anthropic;
// What the HTTP providers hold once initialized and the requests they
// build alike.
#[cfg(feature = "http")]
mod api;
#[cfg(feature = "cohere")]
#[cfg_attr(docsrs, doc(cfg(feature = "cohere")))]
pub mod cohere;
#[cfg(feature = "gemini-wire")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "gemini", feature = "google"))))]
pub mod gemini;
// The allocation-free JSON scanner behind the OpenAI and Anthropic fast
// paths: a tool of these two decoders, not of the HTTP kit.
#[cfg(any(feature = "openai-wire", feature = "anthropic"))]
#[cfg_attr(not(feature = "openai-wire"), allow(dead_code))]
mod json_scan;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
#[cfg(feature = "openai-wire")]
#[cfg_attr(docsrs, doc(cfg(feature = "openai-wire")))]
pub mod openai;
#[cfg(all(test, feature = "http"))]
mod request_fixture;
#[cfg(all(
    test,
    any(feature = "anthropic", feature = "cohere", feature = "gemini-wire")
))]
mod setup_check;
#[cfg(all(
    test,
    any(feature = "anthropic", feature = "cohere", feature = "gemini-wire")
))]
mod transcript_run;

use yat_core::manager::ManagerBuilder;

/// Adds what this crate contributes beyond static registrations (the
/// user-defined OpenAI-compatible endpoints of `provider_config.json`, when
/// the `openai` feature is on) to a manager builder.
///
/// Calling it also guarantees the linker keeps this crate, and with it every
/// enabled provider's registration.
pub fn link(builder: ManagerBuilder) -> ManagerBuilder {
    #[cfg(feature = "openai-wire")]
    let builder = builder.dynamic_source(std::sync::Arc::new(openai::custom::definitions));
    builder
}

/// The ids of the providers compiled into this build of the crate, sorted.
// One push per feature: a `vec![]` literal cannot leave out elements by cfg.
#[allow(clippy::vec_init_then_push)]
pub fn enabled_providers() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    #[cfg(feature = "mock")]
    v.push("mock");
    #[cfg(feature = "openai-wire")]
    v.extend(openai::presets::ALL.iter().map(|p| p.id));
    #[cfg(feature = "anthropic")]
    v.push("anthropic");
    #[cfg(feature = "gemini")]
    v.push("gemini");
    #[cfg(feature = "google")]
    v.push("google");
    #[cfg(feature = "cohere")]
    v.push("cohere");
    v.sort_unstable();
    v
}
