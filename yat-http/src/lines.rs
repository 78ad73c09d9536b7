//! The line splitter under both stream decoders: input fed in arbitrary
//! pieces, lines out, in one reused buffer.
//!
//! Both the SSE and the NDJSON decoder read a body as lines, and a line is
//! the same thing for both: it ends with LF, CR or CRLF (a CRLF split across
//! two pieces is one line end), a UTF-8 byte order mark at the very start is
//! dropped, a line longer than the limit is an error the moment it is known
//! to be too long (not at a line end a misbehaving server may never send),
//! and at the end of the body an unterminated last line is still a line.
//! What a line *means* stays with each decoder.

use std::collections::VecDeque;
use std::fmt;

use memchr::{memchr2, memrchr2};

/// The UTF-8 encoding of U+FEFF.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Value of `LineBuffer::bom` once the start of the stream has been examined.
const BOM_DECIDED: u8 = u8::MAX;

/// Why a line of a stream was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineError {
    /// A line exceeded `limit` bytes.
    TooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// A line was not valid UTF-8.
    InvalidUtf8 {
        /// Offset, counted from the first byte of the stream (a leading byte
        /// order mark included), of the first byte that is not valid UTF-8.
        offset: u64,
    },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong { limit } => {
                write!(f, "a line exceeds the limit of {limit} bytes")
            }
            LineError::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 at byte {offset}")
            }
        }
    }
}

impl std::error::Error for LineError {}

/// What [`LineBuffer::next_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line `buf[start..end]`, without its line end.
    Complete { start: usize, end: usize },
    /// A line longer than the limit: either complete (and consumed), or
    /// still arriving, in which case the rest of it is dropped silently.
    TooLong,
    /// Every complete line has been handed out.
    NeedMore,
}

/// Input bytes and the lines in them.
///
/// Bytes already decoded are released lazily, when a later
/// [`feed`](Self::feed) needs the room, so the cost of moving the undecoded
/// rest is amortised over many lines. It holds at most about the limit plus
/// one fed piece, however long a line the server sends.
pub(crate) struct LineBuffer {
    /// Input not yet released; `buf[pos..]` is not yet decoded.
    buf: Vec<u8>,
    pos: usize,
    /// `buf[pos..scanned]` is known to hold no line end, so a long line
    /// arriving in many small pieces is scanned once, not once per piece.
    scanned: usize,
    /// Start of the trailing incomplete line in `buf`, for the limit check in
    /// `append`.
    tail_start: usize,
    /// Stream offset of `buf[0]`, for error offsets.
    base: u64,
    /// Bytes dropped from over-long lines: `(index in buf, count)`, the bytes
    /// having stood just before `buf[index]`. Only error offsets need them.
    gaps: VecDeque<(usize, u64)>,
    limit: usize,
    /// How many bytes of a byte order mark have been seen (and held back) at
    /// the start of the stream, or `BOM_DECIDED`.
    bom: u8,
    /// The tail line exceeded the limit: drop input up to the next line end.
    truncating: bool,
    /// The over-long line being truncated was reported already: drop what is
    /// kept of it when it ends.
    skip_line: bool,
    /// The last line ended with a CR at the end of the input: an LF starting
    /// the next piece belongs to that line end.
    skip_lf: bool,
    /// The body ended: the final unterminated line counts as a line.
    eof: bool,
}

impl LineBuffer {
    pub(crate) fn new(limit: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            pos: 0,
            scanned: 0,
            tail_start: 0,
            base: 0,
            gaps: VecDeque::new(),
            limit,
            bom: 0,
            truncating: false,
            skip_line: false,
            skip_lf: false,
            eof: false,
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Appends the next piece of the stream, cut anywhere. `release` sees
    /// the buffer just before decoded input is dropped from it, so a decoder
    /// that kept a range of it can copy that out first.
    #[inline]
    pub(crate) fn feed(&mut self, chunk: &[u8], release: impl FnOnce(&[u8])) {
        // More input after the end continues the stream (a caller that
        // resumed reading); the end must be signalled again.
        self.eof = false;
        let mut chunk = chunk;
        if self.bom != BOM_DECIDED {
            let held = usize::from(self.bom);
            let mut matched = held;
            let mut taken = 0;
            while let (Some(&want), Some(&got)) = (BOM.get(matched), chunk.get(taken)) {
                if want != got {
                    break;
                }
                matched += 1;
                taken += 1;
            }
            if matched == BOM.len() {
                self.bom = BOM_DECIDED;
                self.base = BOM.len() as u64;
                chunk = chunk.get(taken..).unwrap_or_default();
            } else if taken == chunk.len() {
                // Still a prefix of the mark: hold it until the next piece.
                self.bom = matched as u8;
                return;
            } else {
                // Not a mark after all: the held bytes are ordinary input.
                self.bom = BOM_DECIDED;
                self.append(BOM.get(..held).unwrap_or_default(), |_| {});
            }
        }
        self.append(chunk, release);
    }

    /// The body ended: an unterminated last line is now a line.
    pub(crate) fn end(&mut self) {
        if !self.eof {
            self.eof = true;
            if self.bom != BOM_DECIDED {
                // The stream ended inside what looked like a byte order mark.
                let held = usize::from(self.bom);
                self.bom = BOM_DECIDED;
                self.append(BOM.get(..held).unwrap_or_default(), |_| {});
            }
        }
    }

    /// Bytes held: input not yet decoded and decoded input not yet released.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The capacity of the buffer, for tests of its bounds.
    #[cfg(test)]
    pub(crate) fn buf_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes not decoded yet.
    pub(crate) fn undecoded(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Stream offset of the next byte to decode.
    pub(crate) fn stream_offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The whole buffer; line ranges index into it.
    #[inline]
    pub(crate) fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// `buf[start..end]` as text, or the offset of its first invalid byte.
    #[inline]
    pub(crate) fn text(&self, start: usize, end: usize) -> Result<&str, LineError> {
        let bytes = self.buf.get(start..end).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|e| LineError::InvalidUtf8 {
            offset: self.base + (start + e.valid_up_to()) as u64,
        })
    }

    /// Forgets the stream, keeping the limit and the allocated buffer.
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.scanned = 0;
        self.tail_start = 0;
        self.base = 0;
        self.gaps.clear();
        self.bom = 0;
        self.truncating = false;
        self.skip_line = false;
        self.skip_lf = false;
        self.eof = false;
    }

    /// Appends input (the byte order mark already handled), enforcing the
    /// limit on the trailing incomplete line.
    fn append(&mut self, chunk: &[u8], release: impl FnOnce(&[u8])) {
        let mut chunk = chunk;
        if self.truncating {
            match memchr2(b'\n', b'\r', chunk) {
                None => {
                    self.note_gap(chunk.len());
                    return;
                }
                Some(i) => {
                    self.note_gap(i);
                    self.truncating = false;
                    chunk = chunk.get(i..).unwrap_or_default();
                }
            }
        }
        if chunk.is_empty() {
            return;
        }
        self.compact(chunk.len(), release);
        // Keeping one byte beyond the limit is enough for the line to be
        // rejected when it is decoded, however it was split.
        let max_line = self.limit.saturating_add(1);
        let old_len = self.buf.len();
        let keep = match memrchr2(b'\n', b'\r', chunk) {
            Some(i) => {
                self.tail_start = old_len + i + 1;
                (i + 1).saturating_add(max_line)
            }
            None => max_line.saturating_sub(old_len.saturating_sub(self.tail_start)),
        };
        match chunk.get(..keep) {
            Some(head) if keep < chunk.len() => {
                self.buf.extend_from_slice(head);
                self.truncating = true;
                self.note_gap(chunk.len() - keep);
            }
            _ => self.buf.extend_from_slice(chunk),
        }
    }

    /// Records `n` bytes dropped just before the current end of `buf`.
    fn note_gap(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let at = self.buf.len();
        match self.gaps.back_mut() {
            Some(gap) if gap.0 == at => gap.1 += n as u64,
            _ => self.gaps.push_back((at, n as u64)),
        }
    }

    /// Folds the gaps that lie before `index` into `base`.
    #[inline]
    fn fold_gaps(&mut self, index: usize) {
        while let Some(&(at, n)) = self.gaps.front() {
            if at > index {
                break;
            }
            self.base += n;
            self.gaps.pop_front();
        }
    }

    /// Releases decoded input before appending `incoming` bytes, but only
    /// when that is cheap relative to what it frees (the undecoded rest is no
    /// larger than the decoded part) or when the buffer would otherwise have
    /// to grow; so each byte is moved a bounded number of times.
    fn compact(&mut self, incoming: usize, release: impl FnOnce(&[u8])) {
        let pos = self.pos;
        if pos == 0 {
            return;
        }
        let rest = self.buf.len().saturating_sub(pos);
        let spare = self.buf.capacity() - self.buf.len();
        if rest > pos && spare >= incoming {
            return;
        }
        release(&self.buf);
        self.fold_gaps(pos);
        for gap in &mut self.gaps {
            gap.0 -= pos;
        }
        self.buf.drain(..pos);
        self.base += pos as u64;
        self.scanned = self.scanned.saturating_sub(pos);
        self.tail_start = self.tail_start.saturating_sub(pos);
        self.pos = 0;
    }

    /// The next line, a line found too long, or `NeedMore`.
    #[inline]
    pub(crate) fn next_line(&mut self) -> Line {
        loop {
            if self.skip_lf {
                match self.buf.get(self.pos) {
                    None => return Line::NeedMore,
                    Some(&b) => {
                        self.skip_lf = false;
                        if b == b'\n' {
                            self.pos += 1;
                        }
                    }
                }
            }
            let start = self.pos;
            let from = self.scanned.max(start);
            let rest = self.buf.get(from..).unwrap_or_default();
            let (end, next) = match memchr2(b'\n', b'\r', rest) {
                Some(i) => {
                    let end = from + i;
                    if rest.get(i) == Some(&b'\r') {
                        match self.buf.get(end + 1) {
                            Some(&b'\n') => (end, end + 2),
                            Some(_) => (end, end + 1),
                            None => {
                                // The LF of a CRLF may be in the next piece.
                                self.skip_lf = true;
                                (end, end + 1)
                            }
                        }
                    } else {
                        (end, end + 1)
                    }
                }
                None => {
                    let len = self.buf.len();
                    if self.truncating && !self.skip_line {
                        // The unfinished line is already over the limit:
                        // say so now rather than at a line end that a
                        // misbehaving server may never send.
                        self.scanned = len;
                        self.skip_line = true;
                        return Line::TooLong;
                    }
                    if !self.eof || start >= len {
                        self.scanned = len;
                        return Line::NeedMore;
                    }
                    // The end of the body ends the line being truncated.
                    self.truncating = false;
                    (len, len)
                }
            };
            self.pos = next;
            self.fold_gaps(start);
            if self.skip_line {
                self.skip_line = false;
                continue;
            }
            if end - start > self.limit {
                return Line::TooLong;
            }
            return Line::Complete { start, end };
        }
    }
}

impl fmt::Debug for LineBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffer itself can be megabytes: show its size only.
        f.debug_struct("LineBuffer")
            .field("limit", &self.limit)
            .field("held", &self.buf.len())
            .field("undecoded", &self.undecoded())
            .field("stream_offset", &self.stream_offset())
            .finish_non_exhaustive()
    }
}
