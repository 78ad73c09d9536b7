//! Property: `provider_config.json` save-then-load is the identity, for
//! any configuration the file can hold: providers with or without names and
//! settings, every setting field, and arbitrary JSON in the fields yat does
//! not interpret (which must be written back unchanged).

use proptest::prelude::*;
use serde_json::{Map, Value};
use yat_core::config::{ProviderEntry, SettingEntry};
use yat_core::ProviderConfig;

/// Any JSON value (finite numbers: JSON has no others).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A value for `default` or `value`. A top-level `null` is excluded: the
/// file cannot tell `"value": null` from no value, and both load as `None`.
fn setting_value() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(json().prop_filter("not null", |v| !v.is_null()))
}

/// Fields yat does not interpret, never named like one it does.
fn extra(known: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(
        (
            prop_oneof!["[a-z_]{1,8}", any::<String>()]
                .prop_filter("not a known field", move |k| !known.contains(&k.as_str())),
            json(),
        ),
        0..3,
    )
    .prop_map(|kv| kv.into_iter().collect())
}

fn setting() -> impl Strategy<Value = SettingEntry> {
    (
        any::<String>(),
        prop::option::of(any::<String>()),
        prop::option::of(prop_oneof![
            Just("password".to_owned()),
            Just("text".to_owned()),
            any::<String>()
        ]),
        prop::option::of(any::<bool>()),
        prop::option::of("[A-Z_]{1,12}"),
        setting_value(),
        setting_value(),
        extra(&[
            "key", "label", "type", "required", "env_var", "default", "value",
        ]),
    )
        .prop_map(
            |(key, label, kind, required, env_var, default, value, extra)| {
                let mut s = SettingEntry::new(key);
                s.label = label;
                s.kind = kind;
                s.required = required;
                s.env_var = env_var;
                s.default = default;
                s.value = value;
                s.extra = extra;
                s
            },
        )
}

fn entry() -> impl Strategy<Value = ProviderEntry> {
    (
        prop_oneof!["[a-z][a-z0-9-]{0,10}", any::<String>()],
        prop::option::of(any::<String>()),
        any::<bool>(),
        prop::collection::vec(setting(), 0..4),
        extra(&["id", "name", "enabled", "settings"]),
    )
        .prop_map(|(id, name, enabled, settings, extra)| {
            let mut e = ProviderEntry::new(id);
            e.name = name;
            e.enabled = enabled;
            e.settings = settings;
            e.extra = extra;
            e
        })
}

fn config() -> impl Strategy<Value = ProviderConfig> {
    (prop::collection::vec(entry(), 0..4), extra(&["providers"])).prop_map(|(providers, extra)| {
        let mut c = ProviderConfig::new(providers);
        c.extra = extra;
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn save_then_load_is_the_identity(config in config()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        config.save(&path).unwrap();
        let loaded = ProviderConfig::load(&path).unwrap();
        prop_assert_eq!(&loaded, &config);
        // Saving what was loaded (over the file, as `yat config set` does)
        // writes the same bytes again.
        let first = std::fs::read(&path).unwrap();
        loaded.save(&path).unwrap();
        prop_assert_eq!(std::fs::read(&path).unwrap(), first);
    }

    /// The same from the file's side: whatever text parses, saved and
    /// loaded, is what was parsed.
    #[test]
    fn a_parsed_file_survives_save_and_load(config in config(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&config).unwrap()
        } else {
            serde_json::to_string(&config).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider_config.json");
        let parsed = ProviderConfig::parse(&text, &path).unwrap();
        parsed.save(&path).unwrap();
        prop_assert_eq!(ProviderConfig::load(&path).unwrap(), parsed);
    }
}
