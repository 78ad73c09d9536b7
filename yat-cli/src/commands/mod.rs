//! One module per command.

pub mod alias;
pub mod chat;
pub mod completions;
pub mod config;
pub mod keys;
pub mod log;
#[cfg(feature = "history")]
pub mod log_show;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod model_options;
pub mod models;
pub mod providers;
#[cfg(feature = "serve")]
pub mod serve;
pub mod templates;
