//! What a provider can be configured with, and where each value comes from.
//!
//! A provider declares [`SettingSpec`]s in its registration. At build time
//! the manager resolves each one from, in order: the process environment, the
//! `.env` files, `provider_config.json`, and the declared default. The first
//! source that has a non-empty value wins.
//!
//! - [`spec`](SettingSpec): the declaration, and the variables it is read from;
//! - [`SettingsSources::resolve`]: the resolution;
//! - [`ResolvedSettings`]: its outcome, per provider, with typed getters;
//! - [`SettingValue`] and [`SettingSource`]: one value and its origin.

mod resolve;
mod resolved;
mod spec;
mod value;

pub use resolve::SettingsSources;
pub use resolved::{MissingSetting, ResolvedSettings};
pub use spec::{implicit_env_var, SettingKind, SettingSpec};
pub use value::{mask, ResolvedValue, SettingSource, SettingValue};
