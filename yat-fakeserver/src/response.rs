//! What a route answers: status, headers, a body, and how the body is cut,
//! paced and ended — the knobs that let a test reproduce what real servers
//! and real networks do.

use std::sync::Arc;
use std::time::Duration;

use crate::generate::Generated;

/// How the body is cut into separate writes (each its own HTTP chunk when
/// the response is chunked, and its own TCP segment: the socket has
/// `TCP_NODELAY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    /// The whole body in one write (large generated bodies: 64 KiB writes).
    Whole,
    /// One byte per write: every boundary a decoder can meet.
    EveryByte,
    /// Cut at these byte offsets (out-of-range offsets are ignored).
    At(Vec<usize>),
    /// Pieces of this many bytes (0 is treated as 1).
    Size(usize),
    /// One SSE event (up to and including its blank line) per write.
    Events,
}

/// What happens after the body has been written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Finish the response properly (chunked terminator) and keep the
    /// connection for the next request.
    End,
    /// Abort the connection with a TCP reset.
    Reset,
    /// Close the connection without finishing the response: a truncated
    /// body, as when a proxy or the server dies mid-stream.
    Close,
    /// Send nothing more and keep the connection open until the client
    /// goes away (counted in [`FakeServer::client_disconnects`]).
    ///
    /// [`FakeServer::client_disconnects`]: crate::FakeServer::client_disconnects
    Stall,
}

/// A fault injected before the status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Reset the connection without answering.
    Reset,
    /// Never answer; hold the connection until the client goes away.
    Stall,
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// How the body is framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// `content-length` for fixed bodies, chunked for SSE and generated ones.
    Auto,
    /// `transfer-encoding: chunked`.
    Chunked,
    /// `content-length`.
    Length,
    /// Neither: the body ends when the connection closes (HTTP/1.0 style).
    CloseDelimited,
}

/// The body of a response.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Bytes(Arc<[u8]>),
    Generated(Generated),
}

/// A scripted response.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) split: Split,
    pub(crate) pace: Option<Duration>,
    pub(crate) then: Action,
    pub(crate) before_headers: Option<Fault>,
    pub(crate) transfer: Transfer,
}

impl Response {
    /// An empty response with this status.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Arc::from(&b""[..])),
            split: Split::Whole,
            pace: None,
            then: Action::End,
            before_headers: None,
            transfer: Transfer::Auto,
        }
    }

    /// A JSON body (`content-type: application/json`) with this status.
    pub fn json(status: u16, body: &str) -> Self {
        Response::new(status)
            .header("content-type", "application/json")
            .body(body)
    }

    /// A 200 `text/event-stream` response with this body, chunked, as the
    /// vendors send their streams.
    pub fn sse(body: &str) -> Self {
        Response::new(200)
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(body)
            .transfer(Transfer::Chunked)
    }

    /// A 200 event stream produced on the fly (bounded memory at any size).
    pub fn generated(generated: Generated) -> Self {
        let mut r = Response::sse("");
        r.body = Body::Generated(generated);
        r
    }

    /// Adds a header (sent in the order added).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = Body::Bytes(Arc::from(body.as_ref()));
        self
    }

    /// Cuts the body into separate writes.
    pub fn split(mut self, split: Split) -> Self {
        self.split = split;
        self
    }

    /// Waits this long between two writes of the body.
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = Some(pace);
        self
    }

    /// What to do once the body is written (default [`Action::End`]).
    pub fn then(mut self, action: Action) -> Self {
        self.then = action;
        self
    }

    /// A fault before the status line.
    pub fn before_headers(mut self, fault: Fault) -> Self {
        self.before_headers = Some(fault);
        self
    }

    /// How the body is framed (default [`Transfer::Auto`]).
    pub fn transfer(mut self, transfer: Transfer) -> Self {
        self.transfer = transfer;
        self
    }

    pub(crate) fn framing(&self) -> Transfer {
        match (self.transfer, &self.body) {
            (Transfer::Auto, Body::Generated(_)) => Transfer::Chunked,
            (Transfer::Auto, Body::Bytes(_)) => Transfer::Length,
            (t, _) => t,
        }
    }
}

/// Cuts `body` into the pieces `split` asks for.
pub(crate) fn pieces<'a>(body: &'a [u8], split: &Split) -> Vec<&'a [u8]> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut cuts: Vec<usize> = match split {
        Split::Whole => Vec::new(),
        Split::EveryByte => (1..body.len()).collect(),
        Split::At(at) => at
            .iter()
            .copied()
            .filter(|&c| c > 0 && c < body.len())
            .collect(),
        Split::Size(n) => (1..body.len()).filter(|i| i % (*n).max(1) == 0).collect(),
        Split::Events => event_ends(body),
    };
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        out.push(&body[start..c]);
        start = c;
    }
    out.push(&body[start..]);
    out
}

/// Offsets just past each blank line (`\n\n`, `\r\n\r\n` or `\r\r`).
fn event_ends(body: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while i + 1 < body.len() {
        let len = if body[i..].starts_with(b"\r\n\r\n") {
            4
        } else if body[i..].starts_with(b"\n\n") || body[i..].starts_with(b"\r\r") {
            2
        } else {
            0
        };
        if len > 0 {
            i += len;
            if i < body.len() {
                ends.push(i);
            }
        } else {
            i += 1;
        }
    }
    ends
}

/// The reason phrase of common statuses.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(p: &[&[u8]]) -> Vec<u8> {
        p.concat()
    }

    #[test]
    fn every_split_keeps_every_byte() {
        let body = b"data: a\n\ndata: b\r\n\r\n: c\n\ndata: d\n\n";
        for s in [
            Split::Whole,
            Split::EveryByte,
            Split::At(vec![0, 3, 3, 100, 7]),
            Split::Size(5),
            Split::Size(0),
            Split::Events,
        ] {
            assert_eq!(join(&pieces(body, &s)), body, "{s:?}");
        }
        assert_eq!(pieces(body, &Split::EveryByte).len(), body.len());
        assert_eq!(
            pieces(body, &Split::Events),
            vec![
                &b"data: a\n\n"[..],
                b"data: b\r\n\r\n",
                b": c\n\n",
                b"data: d\n\n"
            ]
        );
    }
}
