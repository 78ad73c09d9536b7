//! The taxonomy's promises: wording, fallback and retry rules, causes.

use super::build::excerpt;
use super::*;

#[test]
fn display_names_provider_status_and_message() {
    let e = YatError::Authentication(Failure::http("openai", 401, "Incorrect API key"));
    assert_eq!(
        e.to_string(),
        "openai: authentication failed (HTTP 401) Incorrect API key"
    );
    let e = YatError::RateLimited {
        failure: Failure::http("anthropic", 429, "slow down"),
        retry_after: Some(Duration::from_secs(3)),
    };
    assert_eq!(
        e.to_string(),
        "anthropic: rate limited (HTTP 429) slow down (retry after 3.0s)"
    );
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(e.provider(), Some("anthropic"));
}

#[test]
fn config_error_shows_position() {
    let e = YatError::Config {
        path: "/x/provider_config.json".into(),
        line: Some(3),
        column: Some(7),
        message: "expected `,`".into(),
    };
    assert_eq!(e.to_string(), "/x/provider_config.json:3:7: expected `,`");
}

#[test]
fn excerpt_cuts_on_char_boundary() {
    let s = "é".repeat(300);
    let e = excerpt(s.as_bytes(), 10);
    assert_eq!(e.chars().count(), 11);
    assert!(e.ends_with('…'));
    assert_eq!(excerpt(b"short", 10), "short");
}

#[test]
fn request_id_is_shown_and_blank_ids_are_dropped() {
    let f = Failure::http("acme", 500, "oops").with_request_id(" req_123 ");
    assert_eq!(f.request_id.as_deref(), Some("req_123"));
    let e = YatError::Server(f);
    assert_eq!(
        e.to_string(),
        "acme: server error (HTTP 500) oops (request id req_123)"
    );
    assert_eq!(e.request_id(), Some("req_123"));
    let f = Failure::new("acme", "oops").with_request_id("  ");
    assert_eq!(f.request_id, None);
    assert_eq!(f.to_string(), "oops");
    assert_eq!(YatError::NoModel.request_id(), None);
}

#[derive(Debug)]
struct Outer(std::io::Error);
impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls handshake failed")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn chain(e: &dyn std::error::Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push(c.to_string());
        cur = c.source();
    }
    out
}

#[test]
fn source_chain_walks_to_the_cause_and_survives_a_clone() {
    let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    let e = YatError::network("acme", "connection lost").with_source(Outer(reset));
    assert_eq!(e.to_string(), "acme: network error: connection lost");
    let copy = e.clone();
    assert_eq!(chain(&copy), vec!["tls handshake failed", "reset by peer"]);

    let denied = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
    let e = YatError::io("/x/keys.env", "cannot write").with_source(denied);
    assert_eq!(e.to_string(), "/x/keys.env: cannot write");
    assert_eq!(chain(&e), vec!["denied"]);
    assert_eq!(e.kind(), "io");

    assert!(std::error::Error::source(&YatError::network("acme", "x")).is_none());
    // Variants without a place for a cause come back unchanged.
    let e = YatError::NoModel.with_source(std::io::Error::other("ignored"));
    assert!(matches!(e, YatError::NoModel));
    assert!(std::error::Error::source(&e).is_none());
}

#[test]
fn no_model_is_its_own_error() {
    let e = YatError::NoModel;
    assert_eq!(e.to_string(), "no model given");
    assert_eq!(e.kind(), "no_model");
    assert_eq!(e.provider(), None);
    assert!(!e.allows_fallback());
}

#[test]
fn not_ready_carries_the_status_and_its_remedies() {
    use crate::settings::{MissingSetting, SettingKind};
    use crate::status::Remedy;
    let setting =
        MissingSetting::new("api_key", "API key", "ACME_API_KEY").with_kind(SettingKind::Secret);
    let e = YatError::NotReady {
        provider: "acme".into(),
        status: ProviderStatus::NeedsConfiguration {
            missing: vec![setting.clone()],
        },
    };
    assert_eq!(
        e.to_string(),
        "acme: unavailable: API key (ACME_API_KEY) is not set"
    );
    assert_eq!(e.kind(), "not_ready");
    assert_eq!(e.provider(), Some("acme"));
    assert_eq!(
        e.remedies(),
        vec![Remedy::Set {
            provider: "acme".into(),
            setting
        }]
    );
    assert!(YatError::NoModel.remedies().is_empty());
}

/// One example of every variant, with whether it allows a fallback and
/// whether it is retryable.
fn every_variant() -> Vec<(YatError, bool, bool)> {
    let f = || Failure::http("p", 400, "m");
    let p = || "p".to_owned();
    vec![
        (YatError::Authentication(f()), true, false),
        (YatError::Permission(f()), true, false),
        (YatError::ModelNotFound(f()), true, false),
        (
            YatError::RateLimited {
                failure: f(),
                retry_after: None,
            },
            true,
            true,
        ),
        (YatError::QuotaExhausted(f()), true, false),
        (YatError::ContextLengthExceeded(f()), false, false),
        (YatError::InvalidRequest(f()), false, false),
        (YatError::Server(f()), true, true),
        (
            YatError::Overloaded {
                failure: f(),
                retry_after: None,
            },
            true,
            true,
        ),
        (YatError::ContentBlocked(f()), false, false),
        (
            YatError::Timeout {
                provider: p(),
                phase: TimeoutPhase::FirstByte,
                after: Duration::from_secs(1),
            },
            true,
            true,
        ),
        (YatError::network("p", "reset"), true, true),
        (YatError::malformed("p", "bad", b"x"), true, false),
        (YatError::Cancelled { provider: p() }, false, false),
        (
            YatError::Unavailable {
                provider: p(),
                reason: "r".into(),
            },
            true,
            false,
        ),
        (
            YatError::NotReady {
                provider: p(),
                status: ProviderStatus::Disabled,
            },
            true,
            false,
        ),
        (
            YatError::ProviderPanicked {
                provider: p(),
                message: "m".into(),
            },
            true,
            false,
        ),
        (
            YatError::UnknownProvider {
                id: p(),
                available: vec![],
            },
            false,
            false,
        ),
        (
            YatError::DuplicateProvider {
                id: p(),
                first: "a@1".into(),
                second: "b@1".into(),
            },
            true,
            false,
        ),
        (
            YatError::Unsupported {
                provider: p(),
                capability: "tools".into(),
                message: "m".into(),
            },
            false,
            false,
        ),
        (
            YatError::InvalidToolArguments {
                provider: p(),
                id: "c".into(),
                name: "n".into(),
                raw: "{".into(),
                message: "m".into(),
            },
            false,
            false,
        ),
        (
            YatError::InvalidStructuredOutput {
                provider: p(),
                raw: "x".into(),
                message: "m".into(),
            },
            false,
            false,
        ),
        (YatError::StepLimit { steps: 3 }, false, false),
        (YatError::NoModel, false, false),
        (
            YatError::InvalidModelRef { input: "x".into() },
            false,
            false,
        ),
        (
            YatError::UnlistedModel {
                name: "x".into(),
                suggestions: vec![],
            },
            false,
            false,
        ),
        (
            YatError::AmbiguousModel {
                name: "x".into(),
                matches: vec![ModelRef::new("a", "x"), ModelRef::new("b", "x")],
            },
            false,
            false,
        ),
        (
            YatError::InvalidSetting {
                provider: p(),
                key: "k".into(),
                message: "m".into(),
            },
            false,
            false,
        ),
        (
            YatError::Config {
                path: "c.json".into(),
                line: None,
                column: None,
                message: "m".into(),
            },
            false,
            false,
        ),
        (YatError::io("f", "m"), false, false),
    ]
}

/// An exhaustive match, so a new variant does not compile until the
/// table above has a row for it.
fn variant_index(e: &YatError) -> usize {
    use YatError::*;
    match e {
        Authentication(_) => 0,
        Permission(_) => 1,
        ModelNotFound(_) => 2,
        RateLimited { .. } => 3,
        QuotaExhausted(_) => 4,
        ContextLengthExceeded(_) => 5,
        InvalidRequest(_) => 6,
        Server(_) => 7,
        Overloaded { .. } => 8,
        ContentBlocked(_) => 9,
        Timeout { .. } => 10,
        Network { .. } => 11,
        MalformedResponse { .. } => 12,
        Cancelled { .. } => 13,
        Unavailable { .. } => 14,
        NotReady { .. } => 15,
        ProviderPanicked { .. } => 16,
        UnknownProvider { .. } => 17,
        DuplicateProvider { .. } => 18,
        Unsupported { .. } => 19,
        InvalidToolArguments { .. } => 20,
        InvalidStructuredOutput { .. } => 21,
        StepLimit { .. } => 22,
        NoModel => 23,
        InvalidModelRef { .. } => 24,
        InvalidSetting { .. } => 25,
        Config { .. } => 26,
        Io { .. } => 27,
        UnlistedModel { .. } => 28,
        AmbiguousModel { .. } => 29,
    }
}

#[test]
fn fallback_only_when_the_failure_belongs_to_the_provider() {
    let table = every_variant();
    let mut seen: Vec<usize> = table.iter().map(|(e, _, _)| variant_index(e)).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..=29).collect::<Vec<_>>(), "one row per variant");
    for (e, fallback, retryable) in &table {
        assert_eq!(e.allows_fallback(), *fallback, "{}: {e}", e.kind());
        assert_eq!(e.is_retryable(), *retryable, "{}: {e}", e.kind());
        // Whatever is worth retrying is worth trying elsewhere.
        assert!(!retryable || *fallback, "{}", e.kind());
    }
}

#[test]
fn kinds_are_unique_snake_case() {
    let mut kinds: Vec<&str> = every_variant().iter().map(|(e, _, _)| e.kind()).collect();
    assert!(kinds
        .iter()
        .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    kinds.sort_unstable();
    let n = kinds.len();
    kinds.dedup();
    assert_eq!(kinds.len(), n);
}

#[test]
fn every_error_about_a_provider_names_it() {
    const ABOUT_NO_PROVIDER: [&str; 7] = [
        "step_limit",
        "no_model",
        "invalid_model_ref",
        "unlisted_model",
        "ambiguous_model",
        "config",
        "io",
    ];
    for (e, _, _) in every_variant() {
        let expected = (!ABOUT_NO_PROVIDER.contains(&e.kind())).then_some("p");
        assert_eq!(e.provider(), expected, "{}: {e}", e.kind());
    }
}
