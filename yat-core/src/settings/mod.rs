//! What a provider can be configured with, and where each value comes from.
//!
//! A provider declares [`SettingSpec`]s in its registration. At build time
//! the manager resolves each one from, in order: the process environment, the
//! `.env` files, `provider_config.json`, and the declared default. The first
//! source that has a non-empty value wins.
//!
//! - [`SettingSpec`] and [`SettingKind`]: the declaration, and the variables
//!   it is read from ([`implicit_env_var`], [`SettingSpec::primary_env_var`]);
//! - [`SettingsSources`]: what is read, and [`SettingsSources::resolve`];
//! - [`ResolvedSettings`]: the outcome, per provider, with typed getters,
//!   and the [`MissingSetting`]s;
//! - [`SettingValue`], [`SettingSource`], [`ResolvedValue`]: one value and
//!   its origin;
//! - [`interned`], [`interned_list`]: `'static` strings for specs made at
//!   run time.

mod interned;
mod resolve;
mod resolved;
mod spec;
mod value;

pub use interned::{interned, interned_list};
pub use resolve::SettingsSources;
pub use resolved::{MissingSetting, ResolvedSettings};
pub use spec::{implicit_env_var, SettingKind, SettingSpec};
pub use value::{ResolvedValue, SettingSource, SettingValue};
