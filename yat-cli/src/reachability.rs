//! A server yat could not reach: most often a local one (Ollama, LM Studio)
//! that is configured but not running. That is a state, not a fault, so it
//! gets one short line naming where yat looked and why it got no answer,
//! instead of the transport's whole error chain.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use yat::error::Cause;
use yat::{TimeoutPhase, YatError};

/// `ollama: configured, not reachable (http://127.0.0.1:11434/v1: connection
/// refused)`, when `e` says the provider's server could not be reached;
/// `None` for any other error (the server answered, and said no).
pub fn unreachable_line(provider: &str, base_url: Option<&str>, e: &YatError) -> Option<String> {
    let why = why_unreachable(e)?;
    Some(format!("{provider}: {}", not_reachable(base_url, &why)))
}

/// `configured, not reachable (URL: why)`.
pub fn not_reachable(base_url: Option<&str>, why: &str) -> String {
    match base_url {
        Some(url) => format!("configured, not reachable ({url}: {why})"),
        None => format!("configured, not reachable ({why})"),
    }
}

/// How long a probe waits for a server on this machine to take a
/// connection: one that is up takes it at once, and `yat providers` must
/// stay fast when none is.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// What one probe of a base URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Not on this machine: not probed (a remote API is reached when used,
    /// and a listing must not wait on the network).
    Remote,
    /// Something took the connection.
    Reachable,
    /// Nothing did, for this reason (`connection refused`).
    Unreachable(String),
}

/// One TCP connection to the server at `base_url` when it is on this
/// machine (localhost, 127.0.0.0/8, ::1), bounded by [`PROBE_TIMEOUT`]: a
/// local server that is configured (a preset's default is) but not running
/// is the common case, and it is not "ready" in any sense a user means.
pub async fn probe(base_url: &str) -> Probe {
    let Some(addrs) = loopback_addrs(base_url) else {
        return Probe::Remote;
    };
    let connect = tokio::net::TcpStream::connect(&addrs[..]);
    match tokio::time::timeout(PROBE_TIMEOUT, connect).await {
        Ok(Ok(_)) => Probe::Reachable,
        Ok(Err(e)) => Probe::Unreachable(io_kind_text(&e)),
        Err(_) => Probe::Unreachable(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

/// The addresses of an `http(s)://` URL whose host is this machine: its
/// IP, or both loopback addresses for `localhost` (which names them by
/// definition, RFC 6761), so no name is looked up: a lookup runs on a
/// thread of its own and reads the resolver's files, which is most of what
/// the probes would cost.
fn loopback_addrs(url: &str) -> Option<Vec<SocketAddr>> {
    let (host, port) = loopback_authority(url)?;
    Some(match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        ],
    })
}

/// `host` and port of an `http(s)://` URL whose host is this machine.
fn loopback_authority(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    let host = host.to_ascii_lowercase();
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    local.then_some((host, port))
}

/// An I/O error in a few words: its kind (`connection refused`) when it
/// has one, else its text.
fn io_kind_text(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::Other {
        e.to_string()
    } else {
        e.kind().to_string()
    }
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
            return Some(io_kind_text(io));
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
    fn only_this_machines_servers_are_probed() {
        let cases = [
            ("http://localhost:11434/v1", Some(("localhost", 11434))),
            ("http://LOCALHOST:8080", Some(("localhost", 8080))),
            ("http://127.0.0.2/v1", Some(("127.0.0.2", 80))),
            ("https://[::1]/v1", Some(("::1", 443))),
            ("http://[::1]:8000/v1", Some(("::1", 8000))),
            ("http://user@app.localhost:9/v1", Some(("app.localhost", 9))),
            ("https://api.openai.com/v1", None),
            ("http://10.0.0.5:8000/v1", None),
            ("http://localhost.example.com/v1", None),
            ("ftp://localhost/", None),
            ("http://localhost:notaport/", None),
        ];
        assert_eq!(
            loopback_addrs("http://localhost:11434/v1").unwrap(),
            [
                "127.0.0.1:11434".parse().unwrap(),
                "[::1]:11434".parse().unwrap()
            ] as [SocketAddr; 2]
        );
        assert_eq!(
            loopback_addrs("https://[::1]/v1").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        for (url, expected) in cases {
            let got = loopback_authority(url);
            let got = got.as_ref().map(|(h, p)| (h.as_str(), *p));
            assert_eq!(got, expected, "{url}");
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
