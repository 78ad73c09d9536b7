//! A strict, allocation-free JSON scanner for the hot path of stream
//! decoders: it walks one event's JSON, hands the caller the fields it asks
//! for (borrowed unless they hold escapes) and skips the rest.
//!
//! It exists because a chunk is mostly fields nobody reads (ids, model,
//! fingerprints, `logprobs`), and serde's derive spends most of its time
//! matching and skipping them. The scanner is a fast path, never the only
//! path: every method returns `None` on anything it does not handle, and
//! the caller then parses the same text with serde_json, which gives the
//! answer or the error. So the scanner must never *accept* what serde_json
//! would reject; it may decline anything. To keep that promise it
//! validates every value it skips against the JSON grammar (RFC 8259):
//! numbers, literals, escapes, no control characters in strings, and it
//! declines keys with escapes and nesting deeper than [`MAX_DEPTH`] (far
//! below serde_json's recursion limit of 128).

use std::borrow::Cow;

use yat_http::JsonText;

/// Nesting a skipped value may have before the scanner declines it.
pub(crate) const MAX_DEPTH: u32 = 32;

/// A cursor over one JSON text.
pub(crate) struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// The first index at or after `i` holding `"`, `\` or a control character
/// (or `b.len()`).
///
/// Eight bytes at a time: in each 64-bit word the classic "has a zero
/// byte" test (`(v - 0x01..) & !v & 0x80..`) flags the bytes equal to `"`
/// or `\` (after an XOR) and the bytes below 0x20. A borrow can only set
/// flags *above* a real match, so the lowest flag is exact.
#[inline]
fn plain_run(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// The value of the four hex digits at `b[i..i + 4]`.
#[inline]
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = (v << 4) | char::from(d).to_digit(16)?;
    }
    Some(v)
}

#[inline]
fn is_digit(b: Option<&u8>) -> bool {
    matches!(b, Some(b'0'..=b'9'))
}

impl<'a> Scan<'a> {
    /// A cursor at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Scan {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// The cursor's offset in bytes.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves the cursor to `pos`: only to where a scan of the very same
    /// bytes stood, so that the scanner's state is the one it would reach.
    pub(crate) fn resume_at(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Consumes the byte `c`.
    #[inline]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.pos += 1)
    }

    /// The byte at the cursor.
    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace.
    #[inline]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Succeeds when only whitespace is left.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws();
        (self.pos == self.bytes.len()).then_some(())
    }

    /// Consumes the literal `null`.
    #[inline]
    pub(crate) fn null(&mut self) -> Option<()> {
        self.literal(b"null")
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// Iterates an object at the cursor: `f` gets each key (declined when it
    /// holds an escape) with the cursor on its value, and must consume
    /// exactly that value.
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        if self.peek()? != b'{' {
            return None;
        }
        self.pos += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            self.ws();
            f(self, key)?;
            if !self.next_element(b'}')? {
                return Some(());
            }
        }
    }

    /// Iterates an array at the cursor: `f` gets each element's index with
    /// the cursor on it, and must consume exactly that element.
    pub(crate) fn array(
        &mut self,
        mut f: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        if self.peek()? != b'[' {
            return None;
        }
        self.pos += 1;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        let mut index = 0;
        loop {
            f(self, index)?;
            index += 1;
            if !self.next_element(b']')? {
                return Some(());
            }
        }
    }

    /// After an element of an object or an array: past a `,`, `true` (the
    /// cursor is on the next element); past `close`, `false` (the
    /// container is over); anything else is declined.
    #[inline]
    fn next_element(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                self.ws();
                Some(true)
            }
            c if c == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A key: a string without escapes.
    pub(crate) fn key(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let end = plain_run(self.bytes, start);
        if *self.bytes.get(end)? != b'"' {
            return None;
        }
        self.pos = end + 1;
        self.text.get(start..end)
    }

    /// `null` or a string.
    pub(crate) fn opt_string(&mut self) -> Option<Option<JsonText<'a>>> {
        match self.peek()? {
            b'n' => self.null().map(|()| None),
            _ => self.string().map(Some),
        }
    }

    /// A string, borrowed when it has no escapes, unescaped into an owned
    /// `String` when it has. Declines a lone surrogate escape (serde_json
    /// rejects it).
    pub(crate) fn string(&mut self) -> Option<JsonText<'a>> {
        if self.peek()? != b'"' {
            return None;
        }
        let b = self.bytes;
        let start = self.pos + 1;
        let mut j = plain_run(b, start);
        match *b.get(j)? {
            b'"' => {
                self.pos = j + 1;
                return Some(JsonText(Cow::Borrowed(self.text.get(start..j)?)));
            }
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::with_capacity(j - start + 16);
        out.push_str(self.text.get(start..j)?);
        loop {
            // b[j] is a backslash.
            let escape = *b.get(j + 1)?;
            j += 2;
            let ch = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let unit = hex4(b, j)?;
                    j += 4;
                    match unit {
                        0xD800..=0xDBFF => {
                            if b.get(j..j + 2)? != b"\\u" {
                                return None;
                            }
                            let low = hex4(b, j + 2)?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return None;
                            }
                            j += 6;
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                        }
                        0xDC00..=0xDFFF => return None,
                        _ => char::from_u32(unit)?,
                    }
                }
                _ => return None,
            };
            out.push(ch);
            let k = plain_run(b, j);
            out.push_str(self.text.get(j..k)?);
            match *b.get(k)? {
                b'"' => {
                    self.pos = k + 1;
                    return Some(JsonText(Cow::Owned(out)));
                }
                b'\\' => j = k,
                _ => return None,
            }
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        let b = self.bytes;
        let mut j = self.pos + 1;
        loop {
            j = plain_run(b, j);
            match *b.get(j)? {
                b'"' => {
                    self.pos = j + 1;
                    return Some(());
                }
                b'\\' => match *b.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' => {
                        hex4(b, j + 2)?;
                        j += 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    fn skip_number(&mut self) -> Option<()> {
        let b = self.bytes;
        let mut j = self.pos;
        if b.get(j) == Some(&b'-') {
            j += 1;
        }
        match *b.get(j)? {
            b'0' => j += 1,
            b'1'..=b'9' => {
                j += 1;
                while is_digit(b.get(j)) {
                    j += 1;
                }
            }
            _ => return None,
        }
        if b.get(j) == Some(&b'.') {
            j += 1;
            if !is_digit(b.get(j)) {
                return None;
            }
            while is_digit(b.get(j)) {
                j += 1;
            }
        }
        if let Some(b'e' | b'E') = b.get(j) {
            j += 1;
            if let Some(b'+' | b'-') = b.get(j) {
                j += 1;
            }
            if !is_digit(b.get(j)) {
                return None;
            }
            while is_digit(b.get(j)) {
                j += 1;
            }
        }
        self.pos = j;
        Some(())
    }

    /// Skips one value of any kind, checking it is valid JSON.
    pub(crate) fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => {
                let inner = depth.checked_sub(1)?;
                self.object(|s, _| s.skip_value(inner))
            }
            b'[' => {
                let inner = depth.checked_sub(1)?;
                self.array(|s, _| s.skip_value(inner))
            }
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the scanner accepts `text` as one JSON value.
    fn accepts(text: &str) -> bool {
        let mut s = Scan::new(text);
        s.ws();
        s.skip_value(MAX_DEPTH).is_some() && s.end().is_some()
    }

    #[test]
    fn skips_valid_json_and_declines_what_serde_rejects() {
        for ok in [
            r#"{"a":[1,-2.5e+3,0,0.1,1E9,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"],"b":{}}"#,
            " [ ] ",
            r#""\ud83d\ude00""#,
            "-0",
        ] {
            assert!(accepts(ok), "{ok}");
            assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(ok).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a"1}"#,
            "[1 2]",
            r#""\x""#,
            r#""\u12g4""#,
            "\"a\u{1}\"",
            "\"open",
            "{",
            "[",
            r#"{"a":1}x"#,
            r#"{1:2}"#,
            "NaN",
            "",
        ] {
            assert!(!accepts(bad), "{bad:?}");
            assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn plain_run_finds_the_first_special_byte_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'x'] {
                    // Bytes that sit next to the specials in value, and
                    // multi-byte UTF-8, must not be flagged.
                    let mut v: Vec<u8> = (0..len)
                        .map(|k| [b'!', b'#', b'[', b']', b' ', 0xc3, 0xa9, 0x7f][k % 8])
                        .collect();
                    if at < len {
                        v[at] = special;
                        // A later special must not hide the first one.
                        if at + 1 < len {
                            v[at + 1] = b'"';
                        }
                    }
                    let want = v
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .unwrap_or(len);
                    for start in 0..=want.min(3) {
                        assert_eq!(plain_run(&v, start), want, "{v:?} from {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn depth_beyond_the_limit_is_declined() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(!accepts(&deep));
        let shallow = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(accepts(&shallow));
    }

    #[test]
    fn strings_borrow_unless_escaped_and_lone_surrogates_are_declined() {
        let mut s = Scan::new(r#""plain""#);
        assert!(matches!(s.string().unwrap().0, Cow::Borrowed("plain")));
        let mut s = Scan::new(r#""a\nb\u00e9\ud83d\ude00\"""#);
        let t = s.string().unwrap();
        assert!(matches!(t.0, Cow::Owned(_)));
        assert_eq!(t.as_str(), "a\nb\u{e9}\u{1F600}\"");
        for lone in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
        ] {
            assert!(Scan::new(lone).string().is_none(), "{lone}");
            assert!(serde_json::from_str::<String>(lone).is_err(), "{lone}");
        }
    }
}
