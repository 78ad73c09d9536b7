//! A plugin's declared settings as yat-core [`SettingSpec`]s.
//!
//! `SettingSpec` holds `&'static str`s; a plugin's strings arrive at run
//! time and are interned by yat-core (once per distinct string, so
//! re-reading the same plugins on every reload does not grow memory).

use yat_core::settings::{interned as intern, interned_list as intern_list};
use yat_core::SettingSpec;

use crate::protocol::SettingDecl;

/// The spec of one declared setting.
pub(crate) fn spec_of(d: &SettingDecl) -> SettingSpec {
    let label = if d.label.is_empty() { &d.key } else { &d.label };
    let mut spec = SettingSpec::new(
        intern(&d.key),
        intern(label),
        d.setting_kind(),
        intern_list(&d.all_env_vars()),
    );
    if d.required {
        spec = spec.required();
    }
    if let Some(default) = &d.default {
        spec = spec.default_value(intern(default));
    }
    if !d.description.is_empty() {
        spec = spec.help(intern(&d.description));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat_core::SettingKind;

    #[test]
    fn a_declared_setting_becomes_the_same_spec_and_strings_are_shared() {
        let decl: SettingDecl = serde_json::from_str(
            r#"{"key":"api_key","kind":"secret","env_var":"ACME_API_KEY","required":true,"label":"API key","default":null,"description":"the key"}"#,
        )
        .unwrap();
        let a = spec_of(&decl);
        assert_eq!(a.key, "api_key");
        assert_eq!(a.kind, SettingKind::Secret);
        assert_eq!(a.env_vars, &["ACME_API_KEY"]);
        assert!(a.required);
        assert_eq!(a.help, "the key");
        let b = spec_of(&decl);
        assert!(std::ptr::eq(a.key, b.key) && std::ptr::eq(a.env_vars, b.env_vars));
    }
}
