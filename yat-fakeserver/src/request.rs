//! Reading HTTP/1.1 requests off a connection, and what a test can ask of
//! one afterwards.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Bound on a request head; larger is answered by closing the connection.
const MAX_HEAD: usize = 1 << 20;
/// Bound on a request body.
const MAX_BODY: usize = 64 << 20;

/// A request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, query string included.
    pub path: String,
    /// Headers in the order received, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The value of query parameter `name`, if present (not percent-decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        let q = self.path.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then_some(v)
        })
    }
}

/// Reads one request; `Ok(None)` when the client closed the connection
/// between requests. `buf` carries bytes read past the end of a request.
pub(crate) async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<RecordedRequest>> {
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(invalid("connection closed inside a request head"))
            };
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| invalid("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let path = first.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    buf.drain(..head_end + 4);

    let value = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let body = if value("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(stream, buf).await?
    } else {
        let len: usize = value("content-length")
            .map(|v| v.parse().map_err(|_| invalid("bad content-length")))
            .transpose()?
            .unwrap_or(0);
        if len > MAX_BODY {
            return Err(invalid("request body too large"));
        }
        while buf.len() < len {
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a request body"));
            }
        }
        buf.drain(..len).collect()
    };
    Ok(Some(RecordedRequest {
        method,
        path,
        headers,
        body,
    }))
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(p) = find(buf, b"\r\n") {
                break p;
            }
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a chunk size"));
            }
        };
        let size_text = std::str::from_utf8(&buf[..line_end]).map_err(|_| invalid("chunk size"))?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| invalid("chunk size"))?;
        buf.drain(..line_end + 2);
        if body.len() + size > MAX_BODY {
            return Err(invalid("request body too large"));
        }
        // The chunk, then its CRLF (after the last chunk: trailers, which
        // clients do not send; the blank line ends it).
        while buf.len() < size + 2 {
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a chunk"));
            }
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
        if size == 0 {
            return Ok(body);
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_headers() {
        let r = RecordedRequest {
            method: "POST".into(),
            path: "/v1beta/models/m:streamGenerateContent?alt=sse&x=1".into(),
            headers: vec![("x-goog-api-key".into(), "k".into())],
            body: b"{\"a\":1}".to_vec(),
        };
        assert_eq!(r.query("alt"), Some("sse"));
        assert_eq!(r.query("key"), None);
        assert_eq!(r.header("X-Goog-Api-Key"), Some("k"));
        assert_eq!(r.path_only(), "/v1beta/models/m:streamGenerateContent");
        assert_eq!(r.json()["a"], 1);
    }
}
