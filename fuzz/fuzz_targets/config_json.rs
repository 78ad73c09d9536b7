//! `provider_config.json`: parsing and loading arbitrary text, resolving
//! settings from what parsed, and the save-then-load round trip.
//!
//! Input: the file's bytes.
//!
//! Checked: no panic; `load` of the bytes agrees with `parse` of the text;
//! for a file that parses, saving and loading again gives an equal
//! configuration, and a second save writes the same bytes; resolving the
//! settings of every configured provider (including the typed getters and
//! the HTTP timeouts and retries every HTTP provider reads) never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use yat_core::settings::SettingsSources;
use yat_core::{ProviderConfig, SettingKind, SettingSpec};
use yat_http::{self as http, HttpOptions};

const SPECS: &[SettingSpec] = &[
    SettingSpec::secret("api_key", "API key", &["FUZZ_API_KEY"]).required(),
    SettingSpec::url("base_url", "Base URL", &[]).default_value("http://127.0.0.1:9"),
    SettingSpec::text("model", "Model", &[]),
    SettingSpec::new("timeout", "Timeout", SettingKind::Float, &[]),
    SettingSpec::new("max_retries", "Retries", SettingKind::Integer, &[]),
    SettingSpec::new("stream", "Stream", SettingKind::Bool, &[]),
    http::CONNECT_TIMEOUT,
    http::FIRST_BYTE_TIMEOUT,
    http::IDLE_TIMEOUT,
    http::MAX_RETRIES,
];

fn dir() -> &'static Path {
    yat_fuzz::scratch_dir("config")
}

fuzz_target!(|data: &[u8]| {
    let raw = dir().join("raw.json");
    let saved = dir().join("provider_config.json");
    let again = dir().join("again.json");

    std::fs::write(&raw, data).unwrap();
    let loaded = ProviderConfig::load(&raw);
    let _ = std::fs::remove_file(&raw);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(loaded.is_err(), "a file that is not UTF-8 is an error");
        return;
    };
    let parsed = ProviderConfig::parse(text, &raw);
    match (&parsed, &loaded) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("parse and load disagree: {parsed:?} / {loaded:?}"),
    }
    let Ok(config) = parsed else {
        return;
    };

    let sources = SettingsSources::new(config.clone());
    for entry in config.providers.iter().take(8) {
        let _ = config.is_enabled(&entry.id);
        let r = sources.resolve(&entry.id, SPECS);
        let _ = (
            r.get_f64("timeout"),
            r.get_u64("max_retries"),
            r.get_bool("stream"),
        );
        let _ = format!("{r:?}");
        // The HTTP options every HTTP provider reads from its settings.
        if let Err(e) = HttpOptions::from_settings(&r) {
            let _ = e.to_string();
        }
        for s in &entry.settings {
            let _ = s.value_text();
        }
    }

    // Save-then-load is the identity.
    let _ = std::fs::remove_file(&saved);
    config.save(&saved).unwrap();
    let back = ProviderConfig::load(&saved).unwrap();
    assert_eq!(back, config, "save then load changed the configuration");
    // And saving what was loaded writes the same bytes.
    let _ = std::fs::remove_file(&again);
    back.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let _ = std::fs::remove_file(&saved);
    let _ = std::fs::remove_file(&again);
});
