//! How a command ends badly: the one line on stderr and the exit code.

use yat::YatError;

use crate::remedy;

/// Exit code of a provider or runtime error.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a usage error (clap's and ours).
pub const EXIT_USAGE: i32 = 2;
/// Exit code after Ctrl-C.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line asked for something impossible (exit 2).
    Usage(String),
    /// The library failed (exit 1, or 2 when the error is the user's input).
    Yat(YatError),
    /// Something else went wrong at run time (exit 1).
    Runtime(String),
    /// Ctrl-C (exit 130, no message: the reply already says so).
    Interrupted,
    /// stdout was closed by its reader (`| head`): stop quietly, exit 0.
    BrokenPipe,
}

impl From<YatError> for Failure {
    fn from(e: YatError) -> Self {
        Failure::Yat(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Runtime(format!("cannot write output: {e}"))
        }
    }
}

#[cfg(feature = "history")]
impl From<yat::store::StoreError> for Failure {
    fn from(e: yat::store::StoreError) -> Self {
        Failure::Runtime(format!("history: {e}"))
    }
}

/// The result of a command.
pub type CmdResult<T = ()> = Result<T, Failure>;

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Yat(e) if is_usage_error(e) => EXIT_USAGE,
            Failure::Yat(_) | Failure::Runtime(_) => EXIT_FAILURE,
            Failure::Interrupted => EXIT_INTERRUPTED,
            Failure::BrokenPipe => 0,
        }
    }

    /// The single line to print after `error: `, if any.
    pub fn message(&self) -> Option<String> {
        let text = match self {
            Failure::Usage(m) | Failure::Runtime(m) => m.clone(),
            Failure::Yat(e) => describe(e),
            Failure::Interrupted | Failure::BrokenPipe => return None,
        };
        Some(one_line(&text))
    }
}

/// Errors that mean the user typed something wrong, or asked a model for
/// something it cannot do (found before anything is sent).
pub fn is_usage_error(e: &YatError) -> bool {
    matches!(
        e,
        YatError::NoModel
            | YatError::InvalidModelRef { .. }
            | YatError::UnlistedModel { .. }
            | YatError::AmbiguousModel { .. }
            | YatError::UnknownProvider { .. }
            | YatError::Unsupported { .. }
    )
}

/// The flag that asked for a capability, to name in the error.
fn flag_for(capability: &str) -> Option<&'static str> {
    Some(match capability {
        "images" | "documents" => "--attach",
        "json_schema" => "--schema",
        "reasoning" => "--reasoning-effort",
        _ => return None,
    })
}

/// A YatError as a user should read it: the cause (with what caused it,
/// when the library kept that), and the fix where one helps.
pub fn describe(e: &YatError) -> String {
    with_causes(e, explain(e))
}

fn explain(e: &YatError) -> String {
    match e {
        YatError::NoModel => remedy::no_model().to_owned(),
        YatError::NotReady { provider, status } => {
            let reason =
                remedy::status_reason(provider, status).unwrap_or_else(|| status.to_string());
            // A provider that failed to start keeps the error it failed
            // with, which already names it and says it is unavailable.
            if reason.starts_with(&format!("{provider}: ")) {
                reason
            } else {
                format!("{provider}: unavailable: {reason}")
            }
        }
        YatError::InvalidModelRef { input } => format!(
            "{input:?} is neither PROVIDER/MODEL (for example mock/mock-echo) nor an alias \
             (see `yat alias list`)"
        ),
        YatError::UnlistedModel { name, suggestions } if suggestions.is_empty() => format!(
            "{name:?} is neither PROVIDER/MODEL (for example mock/mock-echo) nor an alias \
             (see `yat alias list`), and no ready provider lists a model by that name \
             (see `yat models`)"
        ),
        YatError::UnlistedModel { name, suggestions } => {
            let names: Vec<String> = suggestions.iter().map(ToString::to_string).collect();
            format!(
                "{name:?} is neither PROVIDER/MODEL nor an alias, and no ready provider lists \
                 it: did you mean {}?",
                names.join(" or ")
            )
        }
        YatError::Authentication(f) => {
            format!("{e}: check the key with `yat keys set {}`", f.provider)
        }
        YatError::ModelNotFound(f) => {
            format!("{e} (see `yat models --provider {}`)", f.provider)
        }
        YatError::Unsupported {
            capability,
            provider,
            ..
        } if capability == yat::options::CAPABILITY => {
            format!("{e} (see `yat models --options {provider}/MODEL`)")
        }
        YatError::Unsupported { capability, .. } => match flag_for(capability) {
            Some(flag) => format!("{e} (drop {flag}, or pick another model with -m)"),
            None => e.to_string(),
        },
        YatError::RateLimited { .. } | YatError::Overloaded { .. } => {
            format!("{e}; try again later or add --fallback PROVIDER/MODEL")
        }
        _ => e.to_string(),
    }
}

/// `text`, then each cause in `e`'s source chain that it does not already
/// say, as `text: cause: cause`. A network error's message already names
/// what went wrong at the bottom (yat-http words it: "cannot connect to URL
/// (connection refused): is the server running?"), so only its innermost
/// cause is added, and only when the message does not say it already: the
/// layers in between (the HTTP client's own wrappers) repeat it.
fn with_causes(e: &YatError, mut text: String) -> String {
    let mut chain = Vec::new();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        chain.push(c.to_string());
        cause = c.source();
    }
    if matches!(e, YatError::Network { .. }) {
        chain = chain.pop().into_iter().collect();
        let said = |c: &String| text.to_lowercase().contains(&bare(c).to_lowercase());
        chain.retain(|c| !said(c));
    }
    for said in chain {
        if !said.is_empty() && !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
    }
    text
}

/// An OS error's text without its number: "Connection refused (os error
/// 111)" is "Connection refused".
fn bare(cause: &str) -> &str {
    match cause.rfind(" (os error ") {
        Some(i) if cause.ends_with(')') => &cause[..i],
        _ => cause,
    }
}

/// Collapses a message onto one line.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use yat::Failure as ProviderFailure;

    #[test]
    fn exit_codes() {
        assert_eq!(Failure::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            Failure::Yat(YatError::InvalidModelRef { input: "x".into() }).exit_code(),
            2
        );
        assert_eq!(
            Failure::Yat(YatError::Server(ProviderFailure::new("p", "down"))).exit_code(),
            1
        );
        assert_eq!(Failure::Interrupted.exit_code(), 130);
        assert_eq!(Failure::BrokenPipe.exit_code(), 0);
    }

    #[test]
    fn messages_are_one_line_with_a_fix() {
        let m = Failure::Yat(YatError::Authentication(ProviderFailure::http(
            "openai", 401, "bad\nkey",
        )))
        .message()
        .unwrap();
        assert!(!m.contains('\n'));
        assert!(m.contains("yat keys set openai"), "{m}");
    }

    #[test]
    fn no_model_is_a_usage_error_that_says_how_to_name_one() {
        let f = Failure::Yat(YatError::NoModel);
        assert_eq!(f.exit_code(), EXIT_USAGE);
        let m = f.message().unwrap();
        assert!(m.starts_with("no model given"), "{m}");
        assert!(m.contains("-m PROVIDER/MODEL"), "{m}");
        assert!(m.contains("`yat models default PROVIDER/MODEL`"), "{m}");
    }

    #[test]
    fn a_provider_that_is_not_ready_gets_the_cli_command_that_fixes_it() {
        let e = YatError::NotReady {
            provider: "zeta".into(),
            status: yat::ProviderStatus::Disabled,
        };
        let f = Failure::Yat(e);
        assert_eq!(f.exit_code(), EXIT_FAILURE);
        assert_eq!(
            f.message().unwrap(),
            "zeta: unavailable: disabled in the configuration: run `yat providers enable zeta`"
        );
    }

    #[test]
    fn a_provider_that_failed_to_start_is_named_once() {
        let e = YatError::NotReady {
            provider: "zeta".into(),
            status: yat::ProviderStatus::Failed {
                reason: "zeta: unavailable: no such region".into(),
            },
        };
        assert_eq!(describe(&e), "zeta: unavailable: no such region");
        let e = YatError::NotReady {
            provider: "zeta".into(),
            status: yat::ProviderStatus::Failed {
                reason: "no such region".into(),
            },
        };
        assert_eq!(describe(&e), "zeta: unavailable: no such region");
    }

    #[test]
    fn causes_are_appended_once() {
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = YatError::network("zeta", "connection lost").with_source(reset);
        assert_eq!(
            describe(&e),
            "zeta: network error: connection lost: reset by peer"
        );
        // A cause the message already quotes is not repeated.
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = YatError::network("zeta", "connection lost: reset by peer").with_source(reset);
        assert_eq!(
            describe(&e),
            "zeta: network error: connection lost: reset by peer"
        );
    }

    #[test]
    fn a_network_error_adds_only_its_innermost_cause_and_not_twice() {
        /// An HTTP client's wrapper around the OS error, as reqwest's are.
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "error sending request: tcp connect error")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = || {
            Wrapper(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            ))
        };
        let said =
            "cannot connect to http://127.0.0.1:9/v1 (connection refused): is the server running?";
        let e = YatError::network("zeta", said).with_source(refused());
        assert_eq!(describe(&e), format!("zeta: network error: {said}"));
        // A message that does not name the bottom cause gets it, once,
        // without the layers in between.
        let e = YatError::network("zeta", "cannot connect").with_source(refused());
        assert_eq!(
            describe(&e),
            "zeta: network error: cannot connect: Connection refused (os error 111)"
        );
    }

    #[test]
    fn the_request_id_reaches_the_user() {
        let e =
            YatError::Server(ProviderFailure::http("zeta", 500, "oops").with_request_id("req_9"));
        assert!(
            describe(&e).ends_with("(request id req_9)"),
            "{}",
            describe(&e)
        );
    }
}
