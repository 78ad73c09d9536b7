//! Discovery of every linked [`ProviderRegistration`].
//!
//! The backend is chosen by yat-core's features, never by provider code:
//! `inventory` by default, `linkme` distributed slices with the `linkme`
//! feature. Both collect registrations at link time; neither runs code at
//! start-up.
//!
//! Linking rule: a registration is only present if the linker keeps the
//! object file that holds it. Rust keeps a dependency only if something of it
//! is referenced, so a program must reference each provider crate it depends
//! on (`use my_provider as _;`). The `yat` facade and CLI do this for
//! `yat-providers`.

use crate::provider::ProviderRegistration;
use crate::YatError;

#[cfg(not(feature = "linkme"))]
inventory::collect!(ProviderRegistration);

#[cfg(not(feature = "linkme"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __submit_registration {
    ($reg:expr) => {
        $crate::__private::inventory::submit! { $reg }
    };
}

/// The distributed slice registrations are collected in (linkme backend).
#[cfg(feature = "linkme")]
#[doc(hidden)]
#[linkme::distributed_slice]
pub static __REGISTRATIONS: [ProviderRegistration];

#[cfg(feature = "linkme")]
#[doc(hidden)]
#[macro_export]
macro_rules! __submit_registration {
    ($reg:expr) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::registry::__REGISTRATIONS)]
            #[linkme(crate = $crate::__private::linkme)]
            static REGISTRATION: $crate::ProviderRegistration = $reg;
        };
    };
}

/// The registry backend this build of yat-core uses: `"inventory"` or `"linkme"`.
pub const BACKEND: &str = if cfg!(feature = "linkme") {
    "linkme"
} else {
    "inventory"
};

fn all() -> impl Iterator<Item = &'static ProviderRegistration> {
    #[cfg(not(feature = "linkme"))]
    {
        inventory::iter::<ProviderRegistration>.into_iter()
    }
    #[cfg(feature = "linkme")]
    {
        __REGISTRATIONS.iter()
    }
}

/// The outcome of discovery: registrations sorted by id, and any id claimed
/// more than once.
///
/// ```
/// let found = yat_core::registry::discover();
/// assert!(found.duplicates().is_empty());
/// let ids = found.ids();
/// assert!(ids.windows(2).all(|w| w[0] < w[1])); // sorted, unique
/// for id in ids {
///     assert_eq!(found.find(id).unwrap().id(), id);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Discovery {
    registrations: Vec<&'static ProviderRegistration>,
    duplicates: Vec<YatError>,
}

impl Discovery {
    /// Every usable registration, sorted by id. For a duplicated id, none of
    /// its registrations is here: picking one would be a silent guess.
    pub fn registrations(&self) -> &[&'static ProviderRegistration] {
        &self.registrations
    }
    /// One [`YatError::DuplicateProvider`] per id registered more than once,
    /// naming both crates.
    pub fn duplicates(&self) -> &[YatError] {
        &self.duplicates
    }
    /// The registration for `id`.
    pub fn find(&self, id: &str) -> Option<&'static ProviderRegistration> {
        self.registrations
            .binary_search_by(|r| r.id().cmp(id))
            .ok()
            .map(|i| self.registrations[i])
    }
    /// Whether some linked crate registered `id`, usable or not (an id
    /// registered twice is linked, and unusable).
    pub fn is_linked(&self, id: &str) -> bool {
        self.find(id).is_some()
            || self
                .duplicates
                .iter()
                .any(|e| matches!(e, YatError::DuplicateProvider { id: d, .. } if d == id))
    }
    /// The ids, sorted.
    pub fn ids(&self) -> Vec<&'static str> {
        self.registrations.iter().map(|r| r.id()).collect()
    }
    /// The registrations, or the first duplicate-id error.
    pub fn into_result(self) -> Result<Vec<&'static ProviderRegistration>, YatError> {
        match self.duplicates.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.registrations),
        }
    }
}

/// Collects every registration linked into this program.
///
/// ```
/// let found = yat_core::registry::discover();
/// for reg in found.registrations() {
///     println!("{} ({} {})", reg.id(), reg.crate_name(), reg.crate_version());
/// }
/// ```
pub fn discover() -> Discovery {
    from_registrations(all().collect())
}

/// Sorts `regs` by id and separates duplicated ids. Public so that tests
/// and benchmarks can run discovery over a synthetic set.
///
/// ```
/// use yat_core::registry::{discover, from_registrations};
/// let all = discover().registrations().to_vec();
/// let again = from_registrations(all.clone());
/// assert_eq!(again.ids(), discover().ids());
/// // The same registration twice is a duplicate, not a silent pick.
/// if let Some(first) = all.first() {
///     let twice = from_registrations(vec![first, first]);
///     assert!(twice.find(first.id()).is_none());
///     assert_eq!(twice.duplicates().len(), 1);
/// }
/// ```
pub fn from_registrations(mut regs: Vec<&'static ProviderRegistration>) -> Discovery {
    regs.sort_unstable_by(|a, b| a.id().cmp(b.id()).then(a.crate_name().cmp(b.crate_name())));
    let mut duplicates = Vec::new();
    let mut out: Vec<&'static ProviderRegistration> = Vec::with_capacity(regs.len());
    let mut i = 0;
    while i < regs.len() {
        let mut j = i + 1;
        while j < regs.len() && regs[j].id() == regs[i].id() {
            j += 1;
        }
        if j - i == 1 {
            out.push(regs[i]);
        } else {
            duplicates.push(YatError::DuplicateProvider {
                id: regs[i].id().to_owned(),
                first: format!("{}@{}", regs[i].crate_name(), regs[i].crate_version()),
                second: format!(
                    "{}@{}",
                    regs[i + 1].crate_name(),
                    regs[i + 1].crate_version()
                ),
            });
        }
        i = j;
    }
    Discovery {
        registrations: out,
        duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderRegistration;

    fn ctor() -> Result<Box<dyn crate::LlmProvider>, YatError> {
        Err(YatError::Unavailable {
            provider: "x".into(),
            reason: "test".into(),
        })
    }

    fn reg(id: &'static str, krate: &'static str) -> &'static ProviderRegistration {
        Box::leak(Box::new(ProviderRegistration::__new(
            id, id, ctor, krate, "1.0.0",
        )))
    }

    #[test]
    fn sorted_by_id_and_duplicates_name_both_crates() {
        let d = from_registrations(vec![
            reg("zeta", "z"),
            reg("alpha", "a"),
            reg("dup", "crate-one"),
            reg("dup", "crate-two"),
        ]);
        assert_eq!(d.ids(), vec!["alpha", "zeta"]);
        assert_eq!(d.duplicates().len(), 1);
        let msg = d.duplicates()[0].to_string();
        assert!(
            msg.contains("crate-one@1.0.0") && msg.contains("crate-two@1.0.0"),
            "{msg}"
        );
        assert!(d.find("dup").is_none());
        assert!(d.clone().into_result().is_err());
        assert!(d.is_linked("dup") && d.is_linked("zeta") && !d.is_linked("omega"));
    }
}
