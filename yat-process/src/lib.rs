//! yat providers that run as separate programs.
//!
//! A process plugin is any executable that speaks the JSON-lines protocol
//! of [`protocol`] on its stdin and stdout; `docs/PROCESS-PLUGINS.md` is its
//! reference. [`plugin`] turns any Rust [`LlmProvider`](yat_core::LlmProvider)
//! into such a program.
//!
//! The host side: [`host::ProcessProvider`] is an `LlmProvider` served by
//! such a child (started on first use, kept warm, restarted with backoff
//! after a failure), and [`discovery`] finds the plugins (`yat-provider-<id>`
//! on `PATH`, in the config dir's `plugins/`, or declared in
//! `provider_config.json`) and gives them to a manager in one line:
//! [`link`]`(builder, Some(&location))`.

pub mod discovery;
pub mod host;
pub mod plugin;
pub mod protocol;

pub use discovery::{link, source, PluginSource};
