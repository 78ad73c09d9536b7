//! yat providers that run as separate programs.
//!
//! A process plugin is any executable that speaks the JSON-lines protocol
//! of [`protocol`] on its stdin and stdout; `docs/PROCESS-PLUGINS.md` is its
//! reference. [`plugin`] turns any Rust [`LlmProvider`](yat_core::LlmProvider)
//! into such a program.

pub mod discovery;
pub mod host;

pub use discovery::{link, source, PluginSource};
pub mod plugin;
pub mod protocol;
