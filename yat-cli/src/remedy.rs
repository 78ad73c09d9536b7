//! The CLI's words for what the library reports as data: the command that
//! fixes a provider's status, the note on a model chosen for the user. The
//! library names settings and variables; only this file names `yat`
//! commands for them.

use yat::routing::{ModelSource, Route};
use yat::{ProviderStatus, Remedy, SettingKind};

/// The command (or variable) that carries out `remedy`.
pub fn word(remedy: &Remedy) -> String {
    match remedy {
        Remedy::Enable { provider } => format!("run `yat providers enable {provider}`"),
        // A secret is prompted for (or read from stdin), never typed on a
        // command line where the shell history keeps it.
        Remedy::Set { provider, setting } if setting.kind == SettingKind::Secret => format!(
            "run `yat keys set {provider}` or export {}",
            setting.env_var
        ),
        Remedy::Set { provider, setting } => format!(
            "export {} or run `yat config set {provider}.{} VALUE`",
            setting.env_var, setting.key
        ),
        other => format!("see `yat providers info {}`", other.provider()),
    }
}

/// Why `provider` is not ready and how to fix it, one line; `None` when it
/// is ready.
pub fn status_reason(provider: &str, status: &ProviderStatus) -> Option<String> {
    match status {
        ProviderStatus::Ready => None,
        ProviderStatus::Disabled => Some(format!(
            "disabled in the configuration: {}",
            word(&Remedy::Enable {
                provider: provider.to_owned()
            })
        )),
        // One clause per missing setting: the library's words for what is
        // unset, then its fix.
        ProviderStatus::NeedsConfiguration { missing } => Some(
            missing
                .iter()
                .map(|m| {
                    let unset = ProviderStatus::NeedsConfiguration {
                        missing: vec![m.clone()],
                    };
                    let fix = word(&Remedy::Set {
                        provider: provider.to_owned(),
                        setting: m.clone(),
                    });
                    format!("{unset}: {fix}")
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => {
            let fixes: Vec<String> = other.remedies(provider).iter().map(word).collect();
            let reason = other.reason().unwrap_or_default();
            Some(if fixes.is_empty() {
                reason
            } else {
                format!("{reason}: {}", fixes.join(", "))
            })
        }
    }
}

/// What to say about a model the user did not choose: the offline mock,
/// used only because nothing names a model.
pub fn route_notice(route: &Route) -> Option<String> {
    match &route.source {
        ModelSource::Builtin => Some(format!(
            "no model given and no default set: using {} (offline mock); \
             pass -m PROVIDER/MODEL or run `yat models default PROVIDER/MODEL`",
            route.target
        )),
        ModelSource::Listed(name) => Some(format!(
            "using {} (the only ready provider listing {name:?})",
            route.target
        )),
        _ => None,
    }
}

/// What to do when no model is named at all.
pub fn no_model() -> &'static str {
    "no model given: pass -m PROVIDER/MODEL, or set a default with \
     `yat models default PROVIDER/MODEL`"
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat::settings::MissingSetting;
    use yat::ModelRef;

    fn missing(key: &str, label: &str, env_var: &str, kind: SettingKind) -> MissingSetting {
        MissingSetting::new(key, label, env_var).with_kind(kind)
    }

    #[test]
    fn every_remedy_is_worded_with_its_command() {
        let cases = [
            (
                Remedy::Enable {
                    provider: "zeta".into(),
                },
                "run `yat providers enable zeta`",
            ),
            (
                Remedy::Set {
                    provider: "zeta".into(),
                    setting: missing("api_key", "API key", "ZETA_API_KEY", SettingKind::Secret),
                },
                "run `yat keys set zeta` or export ZETA_API_KEY",
            ),
            (
                Remedy::Set {
                    provider: "zeta".into(),
                    setting: missing("base_url", "Base URL", "ZETA_BASE_URL", SettingKind::Url),
                },
                "export ZETA_BASE_URL or run `yat config set zeta.base_url VALUE`",
            ),
        ];
        for (remedy, words) in cases {
            assert_eq!(word(&remedy), words);
        }
    }

    #[test]
    fn every_status_reads_as_cause_then_fix() {
        let cases = [
            (ProviderStatus::Ready, None),
            (
                ProviderStatus::Disabled,
                Some("disabled in the configuration: run `yat providers enable zeta`"),
            ),
            (
                ProviderStatus::NeedsConfiguration {
                    missing: vec![
                        missing("api_key", "API key", "ZETA_API_KEY", SettingKind::Secret),
                        missing("region", "Region", "ZETA_REGION", SettingKind::Text),
                    ],
                },
                Some(
                    "API key (ZETA_API_KEY) is not set: run `yat keys set zeta` or export \
                     ZETA_API_KEY; Region (ZETA_REGION) is not set: export ZETA_REGION or run \
                     `yat config set zeta.region VALUE`",
                ),
            ),
            (
                ProviderStatus::Failed {
                    reason: "zeta: setting timeout_secs: not a number".into(),
                },
                Some("zeta: setting timeout_secs: not a number"),
            ),
        ];
        for (status, expected) in cases {
            assert_eq!(status_reason("zeta", &status).as_deref(), expected);
        }
    }

    #[test]
    fn only_the_builtin_model_gets_a_notice() {
        let route = |source| Route::new(ModelRef::new("mock", "mock-echo"), source);
        let notice = route_notice(&route(ModelSource::Builtin)).unwrap();
        assert!(notice.contains("using mock/mock-echo"), "{notice}");
        assert!(notice.contains("`yat models default PROVIDER/MODEL`"));
        let notice = route_notice(&route(ModelSource::Listed("mock-echo".into()))).unwrap();
        assert_eq!(
            notice,
            "using mock/mock-echo (the only ready provider listing \"mock-echo\")"
        );
        for source in [
            ModelSource::Explicit,
            ModelSource::Default,
            ModelSource::Alias("fast".into()),
        ] {
            assert_eq!(route_notice(&route(source)), None);
        }
    }
}
