//! Strings for [`SettingSpec`](super::SettingSpec)s made at run time.
//!
//! A spec holds `&'static str`s, because linked providers declare theirs as
//! constants. Providers defined at run time (an endpoint in the config
//! file, a process plugin's handshake) have owned strings; each distinct one
//! is leaked once and handed out again on every later call, so rebuilding
//! the same definitions on every reload does not grow memory.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

/// The one `'static` copy of `s`.
///
/// ```
/// let owned = String::from("ACME_API_KEY");
/// let a = yat_core::settings::interned(&owned);
/// assert_eq!(a, "ACME_API_KEY");
/// assert!(std::ptr::eq(a, yat_core::settings::interned("ACME_API_KEY")));
/// ```
pub fn interned(s: &str) -> &'static str {
    static POOL: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = pool.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    pool.insert(leaked);
    leaked
}

/// The one `'static` copy of a list of strings (a spec's variables).
///
/// ```
/// let vars = yat_core::settings::interned_list(&["ACME_KEY", "ACME_TOKEN"]);
/// assert_eq!(vars, &["ACME_KEY", "ACME_TOKEN"]);
/// assert!(std::ptr::eq(vars, yat_core::settings::interned_list(&["ACME_KEY", "ACME_TOKEN"])));
/// ```
pub fn interned_list<S: AsRef<str>>(items: &[S]) -> &'static [&'static str] {
    static POOL: OnceLock<Mutex<BTreeSet<&'static [&'static str]>>> = OnceLock::new();
    let items: Vec<&'static str> = items.iter().map(|s| interned(s.as_ref())).collect();
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = pool.get(items.as_slice()) {
        return found;
    }
    let leaked: &'static [&'static str] = Box::leak(items.into_boxed_slice());
    pool.insert(leaked);
    leaked
}
