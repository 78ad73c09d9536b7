//! Lines on a pipe: writing a message as one line, reading lines with the
//! size limit, reusing one buffer for both.

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::MAX_LINE_BYTES;

/// Why a line could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A line over [`MAX_LINE_BYTES`]: when reading, the rest of it was
    /// skipped, so the next read starts at the next line.
    #[error("line of {len} bytes or more is over the limit of {MAX_LINE_BYTES} bytes")]
    TooLong {
        /// Its length (when reading: as far as it was read).
        len: usize,
    },
    /// A message that cannot be serialized (a map with non-string keys in
    /// a `passthrough` value, say).
    #[error("cannot serialize the message: {0}")]
    Serialize(#[from] serde_json::Error),
    /// Reading or writing the pipe failed.
    #[error("pipe error: {0}")]
    Io(#[from] std::io::Error),
}

/// Appends `msg` as one line (its JSON, then `\n`) to `out`, which is left
/// as it was on error. Serializing into a buffer the caller reuses makes a
/// message cost no allocation once the buffer has grown.
///
/// ```
/// use yat_process::protocol::encode_line;
/// let mut buf = b"{\"op\":\"shutdown\"}\n".to_vec();
/// encode_line(&serde_json::json!({"op": "cancel", "id": "7"}), &mut buf).unwrap();
/// assert_eq!(buf, b"{\"op\":\"shutdown\"}\n{\"op\":\"cancel\",\"id\":\"7\"}\n");
/// ```
pub fn encode_line<T: Serialize + ?Sized>(msg: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let start = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, msg) {
        out.truncate(start);
        return Err(e.into());
    }
    let len = out.len() - start;
    if len > MAX_LINE_BYTES {
        out.truncate(start);
        return Err(CodecError::TooLong { len });
    }
    out.push(b'\n');
    Ok(())
}

/// Reads `\n`-terminated lines from a pipe into one reused buffer, holding
/// at most [`MAX_LINE_BYTES`] of a line.
///
/// [`next_line`](LineReader::next_line) is cancel-safe: a line half read
/// when its future is dropped (a `select!` that took another branch) is
/// kept, and the next call goes on with it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use yat_process::protocol::LineReader;
/// let mut r = LineReader::new(&b"{\"op\":\"shutdown\"}\n\n{\"op\":\"x\"}"[..]);
/// assert_eq!(r.next_line().await.unwrap(), Some(&b"{\"op\":\"shutdown\"}"[..]));
/// // Blank lines are skipped; a last line without `\n` still counts.
/// assert_eq!(r.next_line().await.unwrap(), Some(&b"{\"op\":\"x\"}"[..]));
/// assert_eq!(r.next_line().await.unwrap(), None);
/// # }
/// ```
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    limit: usize,
    /// Bytes of the current line seen so far (kept or not).
    seen: usize,
    /// The current line is over the limit: its bytes are dropped.
    skipping: bool,
    /// `buf` holds a line already returned: clear it before reading on.
    returned: bool,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// A reader with the protocol's limit.
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, MAX_LINE_BYTES)
    }

    /// A reader with another limit (for tests).
    pub fn with_limit(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            limit,
            seen: 0,
            skipping: false,
            returned: false,
        }
    }

    fn start_line(&mut self) {
        self.buf.clear();
        self.seen = 0;
        self.skipping = false;
        self.returned = false;
    }

    /// The next non-blank line, without its `\n` (and `\r`), or `None` at
    /// the end of the input. A line over the limit is an error and is
    /// skipped to its end, so reading can go on.
    pub async fn next_line(&mut self) -> Result<Option<&[u8]>, CodecError> {
        loop {
            if self.returned {
                self.start_line();
            }
            // Every byte taken from `inner` is recorded in `self` before
            // the next await, so dropping this future loses nothing.
            let at_eof = loop {
                let chunk = self.inner.fill_buf().await?;
                if chunk.is_empty() {
                    break true;
                }
                let (take, done) = match memchr::memchr(b'\n', chunk) {
                    Some(i) => (i, true),
                    None => (chunk.len(), false),
                };
                self.seen += take;
                if !self.skipping {
                    if self.buf.len() + take > self.limit {
                        self.skipping = true;
                        self.buf.clear();
                    } else {
                        self.buf.extend_from_slice(&chunk[..take]);
                    }
                }
                self.inner.consume(take + usize::from(done));
                if done {
                    break false;
                }
            };
            if at_eof && self.seen == 0 {
                self.start_line();
                return Ok(None);
            }
            if self.skipping {
                let len = self.seen;
                self.start_line();
                return Err(CodecError::TooLong { len });
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                self.start_line();
                continue;
            }
            self.returned = true;
            return Ok(Some(&self.buf));
        }
    }

    /// The reader underneath.
    pub fn into_inner(self) -> R {
        self.inner
    }
}
