//! A server yat could not reach: most often a local one (Ollama, LM Studio)
//! that is configured but not running. That is a state, not a fault, so it
//! gets one short line naming where yat looked and why it got no answer,
//! instead of the transport's whole error chain.

use yat::error::Cause;
use yat::{TimeoutPhase, YatError};

/// `ollama: configured, not reachable (http://127.0.0.1:11434/v1: connection
/// refused)`, when `e` says the provider's server could not be reached;
/// `None` for any other error (the server answered, and said no).
pub fn unreachable_line(provider: &str, base_url: Option<&str>, e: &YatError) -> Option<String> {
    let why = why_unreachable(e)?;
    Some(match base_url {
        Some(url) => format!("{provider}: configured, not reachable ({url}: {why})"),
        None => format!("{provider}: configured, not reachable ({why})"),
    })
}

/// Why no answer came, in a few words: the operating system's reason when
/// the error keeps the transport's cause, else the innermost clause of the
/// message.
fn why_unreachable(e: &YatError) -> Option<String> {
    match e {
        YatError::Timeout {
            phase: TimeoutPhase::Connect,
            after,
            ..
        } => Some(format!("no answer within {after:?}")),
        YatError::Network { message, .. } => {
            Some(io_reason(e).unwrap_or_else(|| last_clause(message)))
        }
        _ => None,
    }
}

/// The kind of the first `std::io::Error` in `e`'s source chain
/// ("connection refused"), when it names one.
fn io_reason(e: &YatError) -> Option<String> {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        // The library keeps a cause behind an `Arc`, which shows as a
        // cause of its own type: look inside it too.
        let io = c.downcast_ref::<std::io::Error>().or_else(|| {
            c.downcast_ref::<Cause>()
                .and_then(|a| a.downcast_ref::<std::io::Error>())
        });
        if let Some(io) = io {
            let kind = io.kind();
            if kind != std::io::ErrorKind::Other {
                return Some(kind.to_string());
            }
            return Some(io.to_string());
        }
        cause = c.source();
    }
    None
}

/// The last `: `-separated clause of a message that nests its causes
/// (`cannot connect: ...: Connection refused (os error 111)`), without the
/// OS error number and with a lower-case first letter, as the line reads.
fn last_clause(message: &str) -> String {
    let clause = message.rsplit(": ").next().unwrap_or(message).trim();
    let clause = match clause.rfind(" (os error ") {
        Some(i) if clause.ends_with(')') => &clause[..i],
        _ => clause,
    };
    let mut chars = clause.chars();
    match chars.next() {
        // An acronym ("TLS handshake ...") keeps its capitals.
        Some(first) if chars.next().is_some_and(char::is_lowercase) => first
            .to_lowercase()
            .chain(clause[first.len_utf8()..].chars())
            .collect(),
        _ => clause.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const URL: &str = "http://127.0.0.1:11434/v1";

    #[test]
    fn each_way_of_not_reaching_a_server_reads_as_one_short_line() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let cases = [
            (
                "the transport's message alone",
                YatError::network(
                    "ollama",
                    "cannot connect: error sending request: client error (Connect): \
                     tcp connect error: Connection refused (os error 111)",
                ),
                "ollama: configured, not reachable (http://127.0.0.1:11434/v1: connection refused)",
            ),
            (
                "an io::Error kept as the cause",
                YatError::network("ollama", "cannot connect").with_source(refused),
                "ollama: configured, not reachable (http://127.0.0.1:11434/v1: connection refused)",
            ),
            (
                "a connect timeout",
                YatError::Timeout {
                    provider: "ollama".into(),
                    phase: TimeoutPhase::Connect,
                    after: Duration::from_secs(5),
                },
                "ollama: configured, not reachable (http://127.0.0.1:11434/v1: no answer within 5s)",
            ),
            (
                "an acronym keeps its capitals",
                YatError::network("ollama", "cannot connect: TLS handshake failed"),
                "ollama: configured, not reachable (http://127.0.0.1:11434/v1: TLS handshake failed)",
            ),
        ];
        for (name, error, line) in cases {
            assert_eq!(
                unreachable_line("ollama", Some(URL), &error).as_deref(),
                Some(line),
                "{name}"
            );
        }
    }

    #[test]
    fn a_server_that_answered_is_not_unreachable() {
        let answered = [
            YatError::Server(yat::Failure::http("ollama", 500, "oops")),
            YatError::Timeout {
                provider: "ollama".into(),
                phase: TimeoutPhase::FirstByte,
                after: Duration::from_secs(30),
            },
        ];
        for e in answered {
            assert_eq!(unreachable_line("ollama", Some(URL), &e), None, "{e}");
        }
    }

    #[test]
    fn without_a_base_url_the_line_gives_the_reason_alone() {
        let e = YatError::network("zeta", "connection reset");
        assert_eq!(
            unreachable_line("zeta", None, &e).as_deref(),
            Some("zeta: configured, not reachable (connection reset)")
        );
    }
}
