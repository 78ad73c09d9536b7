//! `provider_config.json` and `.env`: finding, reading and safely writing them.
//!
//! The file keeps the original app's shape, `{"providers": [{"id", "name",
//! "enabled", "settings": [{"key", "label", "type", "required", "env_var",
//! "default"}]}]}`, so a file written for it loads here. Every field yat does
//! not know (the original's `type`, `icon`, `color`, `config`, ...) is kept in
//! `extra` and written back unchanged.
//!
//! - [`ProviderConfig`] is the whole file; [`ProviderEntry`] and
//!   [`SettingEntry`] are its parts.
//! - [`ConfigLocation`] says which files a run reads.
//! - [`KeyFile`] reads and changes the `.env` that keys are stored in.
//!
//! Every write is atomic and private (mode 0600): any of these files may
//! hold a key.

mod atomic;
mod dotenv;
mod entry;
mod file;
mod keys;
mod location;

pub use entry::{ProviderEntry, SettingEntry};
pub use file::{ProviderConfig, CONFIG_FILE_NAME};
pub use keys::KeyFile;
pub use location::{platform_config_dir, ConfigLocation};

pub(crate) use dotenv::read_dotenv_files;

/// The first of `items` that `is_it`, appended by `make` when there is
/// none: entries keep the file's order and a new one goes last.
fn find_or_push<T>(
    items: &mut Vec<T>,
    is_it: impl Fn(&T) -> bool,
    make: impl FnOnce() -> T,
) -> &mut T {
    let i = match items.iter().position(is_it) {
        Some(i) => i,
        None => {
            items.push(make());
            items.len() - 1
        }
    };
    &mut items[i]
}
