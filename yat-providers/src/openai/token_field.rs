//! Which field carries the token limit, decided per base URL.
//!
//! `max_completion_tokens` is OpenAI's own field (its reasoning models
//! reject `max_tokens`); compatible servers (llama.cpp, llama-cpp-python,
//! vLLM, Ollama, LM Studio) read `max_tokens` and silently ignore the other,
//! so a reply asked to stop at 5 tokens runs on until the context fills.
//! The `openai` provider is also the one people point at such servers
//! (`OPENAI_BASE_URL=http://127.0.0.1:8000/v1`), so it sends OpenAI's field
//! to OpenAI's hosts only; the `max_tokens_field` setting overrides that.

use yat_core::{ResolvedSettings, SettingSpec, YatError};

use super::{MaxTokensField, Profile};

/// The setting that names the field outright.
pub const SETTING: SettingSpec = SettingSpec::text("max_tokens_field", "Token-limit field", &[])
    .help(
        "max_tokens or max_completion_tokens; unset: max_completion_tokens for OpenAI's own \
         API, max_tokens for any other base URL",
    );

/// The hosts that are OpenAI's own API: api.openai.com, and Azure
/// OpenAI's resources, which take the same field.
fn is_openai_host(host: &str) -> bool {
    host == "api.openai.com" || host.ends_with(".openai.azure.com")
}

/// The host of a URL, lower-cased (empty when it has none).
fn host(url: &str) -> String {
    yat_http::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default()
}

/// Whether `profile` speaks to OpenAI's own API at `base_url`: made for
/// it, and pointed at one of its hosts.
pub fn is_openai(profile: &Profile, base_url: &str) -> bool {
    is_openai_host(&host(&profile.default_base_url)) && is_openai_host(&host(base_url))
}

/// The field to send for `profile` at `base_url`, when no setting names
/// one: the profile's own, except that a profile made for OpenAI's API
/// sends `max_tokens` anywhere else.
pub fn field_at(profile: &Profile, base_url: &str) -> MaxTokensField {
    let made_for_openai = is_openai_host(&host(&profile.default_base_url));
    if made_for_openai && !is_openai_host(&host(base_url)) {
        MaxTokensField::MaxTokens
    } else {
        profile.max_tokens_field
    }
}

/// The field for `profile` at `base_url`, the `max_tokens_field` setting
/// first.
pub fn resolve(
    profile: &Profile,
    base_url: &str,
    settings: &ResolvedSettings,
) -> Result<MaxTokensField, YatError> {
    match settings.get(SETTING.key).map(str::trim) {
        None | Some("") => Ok(field_at(profile, base_url)),
        Some("max_tokens") => Ok(MaxTokensField::MaxTokens),
        Some("max_completion_tokens") => Ok(MaxTokensField::MaxCompletionTokens),
        Some(other) => Err(YatError::InvalidSetting {
            provider: profile.id.clone(),
            key: SETTING.key.into(),
            message: format!("{other:?} is neither max_tokens nor max_completion_tokens"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(default_base_url: &str, field: MaxTokensField) -> Profile {
        Profile {
            id: "p".into(),
            default_base_url: default_base_url.into(),
            max_tokens_field: field,
            stream_usage: false,
            static_models: Vec::new(),
            list_models: true,
            capabilities: yat_core::Capabilities::none(),
            reasoning_field: super::super::ReasoningField::Effort,
        }
    }

    #[test]
    fn openais_field_goes_to_openais_hosts_only() {
        use MaxTokensField::{MaxCompletionTokens as Completion, MaxTokens as Plain};
        let openai = profile("https://api.openai.com/v1", Completion);
        let declared = profile("http://10.0.0.5:8000/v1", Completion);
        let plain = profile("http://localhost:8080/v1", Plain);
        let cases = [
            (&openai, "https://api.openai.com/v1", Completion),
            (&openai, "https://API.OpenAI.com:443/v1/", Completion),
            (&openai, "https://me.openai.azure.com/openai/v1", Completion),
            (&openai, "http://127.0.0.1:8000/v1", Plain),
            (&openai, "http://[::1]:8000/v1", Plain),
            (&openai, "https://user@gateway.example/v1", Plain),
            (&openai, "https://api.openai.com.evil.example/v1", Plain),
            // A profile declared with OpenAI's field keeps it wherever it points.
            (&declared, "http://10.0.0.6:8000/v1", Completion),
            (&plain, "https://api.openai.com/v1", Plain),
        ];
        // Only there does the profile speak to OpenAI itself (and declare
        // OpenAI's own options).
        assert!(is_openai(&openai, "https://api.openai.com/v1"));
        assert!(!is_openai(&openai, "http://127.0.0.1:8000/v1"));
        assert!(!is_openai(&plain, "https://api.openai.com/v1"));
        for (p, url, expected) in cases {
            assert_eq!(
                field_at(p, url),
                expected,
                "{} at {url}",
                p.default_base_url
            );
        }
    }

    #[test]
    fn the_setting_names_the_field_outright() {
        use MaxTokensField::{MaxCompletionTokens as Completion, MaxTokens as Plain};
        let openai = profile("https://api.openai.com/v1", Completion);
        let local = "http://127.0.0.1:8000/v1";
        let with = |v: &str| ResolvedSettings::from_pairs("p", &[("max_tokens_field", v)]);
        let cases = [
            (local, with("max_completion_tokens"), Completion),
            ("https://api.openai.com/v1", with("max_tokens"), Plain),
            (local, with(" "), Plain),
            (local, ResolvedSettings::from_pairs("p", &[]), Plain),
        ];
        for (url, settings, expected) in cases {
            assert_eq!(resolve(&openai, url, &settings).unwrap(), expected, "{url}");
        }
        let e = resolve(&openai, local, &with("max")).unwrap_err();
        assert_eq!(e.kind(), "invalid_setting");
        assert!(e.to_string().contains("max_tokens_field"), "{e}");
    }
}
