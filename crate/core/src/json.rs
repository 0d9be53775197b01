//! A small strict JSON reader and writer (RFC 8259) for the few fixed shapes the core and its
//! wasm binding exchange: entry and metadata payloads (FORMAT.md §4.4, §4.5), audit export lines
//! (§13.3) and the objects that cross into JS.
//!
//! It replaces `serde_json` on every path the wasm package reaches: the serde machinery, its
//! error messages and the float formatting they pull in were about a fifth of the gzipped
//! module (docs/PERFORMANCE.md). Encoding, not cryptography.
//!
//! The reader is a pull parser: callers walk the shape they expect and refuse anything else, so
//! unknown, duplicated and mistyped members are refused where they are read. What it accepts is
//! what `serde_json` accepted for those shapes: any member order, insignificant whitespace, every
//! string escape (surrogate pairs joined, lone surrogates refused), only valid UTF-8, no
//! control characters in strings, no trailing characters. Integers are plain JSON integers in
//! range (no fraction, no exponent, no sign: a `-` is refused, where serde read `-0` as 0).
//! A value of the wrong type (`"6"` for a number, a struct given as an array) is refused.
//!
//! The writer emits the same bytes as `serde_json`'s compact writer: members in the order
//! written, no whitespace, `"`, `\` and control characters escaped (`\b \f \n \r \t`, others
//! `\u00xx`), everything else (including non-ASCII) as is.

use std::borrow::Cow;

/// Why JSON was refused. Never carries a value; `Unknown` carries the member name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON (bad syntax, bad escape, invalid UTF-8, trailing characters, unexpected end).
    Syntax,
    /// JSON, but a value of the wrong type or out of range.
    Type,
    /// A member this shape does not have.
    Unknown(String),
    /// A required member is absent.
    Missing(&'static str),
    /// A member given twice.
    Duplicate(&'static str),
}

impl JsonError {
    /// A message naming the member concerned (never a value), as serde's did.
    pub fn message(&self) -> String {
        match self {
            JsonError::Syntax => "the argument is not valid JSON".to_owned(),
            JsonError::Type => "an argument member has the wrong type or value".to_owned(),
            JsonError::Unknown(k) => ["unknown field `", k, "`"].concat(),
            JsonError::Missing(k) => ["missing field `", k, "`"].concat(),
            JsonError::Duplicate(k) => ["duplicate field `", k, "`"].concat(),
        }
    }
}

/// Strict pull reader over one JSON text. `Debug` shows the position only: the text may be a
/// decrypted payload.
pub struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl core::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reader")
            .field("len", &self.b.len())
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    /// 1-based line and column (in bytes) of the reader's position, for error messages.
    pub fn line_col(&self) -> (usize, usize) {
        let before = &self.b[..self.pos.min(self.b.len())];
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        (line, before.len() - start + 1)
    }

    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.pos += 1;
        }
        None
    }

    fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    /// The error for a value that is not the one wanted: `Type` when it is some other JSON
    /// value, `Syntax` when it is not JSON.
    fn mistyped(&mut self) -> JsonError {
        match self.peek() {
            Some(b'"' | b'{' | b'[' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => JsonError::Type,
            _ => JsonError::Syntax,
        }
    }

    /// Nothing but whitespace left.
    pub fn end(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(JsonError::Syntax),
        }
    }

    /// Starts an object (`{`). Walk it with [`Self::member`].
    pub fn object(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'{') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.mistyped())
        }
    }

    /// The next member's name, its `:` consumed, or `None` after the closing `}`. `first` is
    /// `true` before the first call for an object.
    pub fn member(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>, JsonError> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(JsonError::Syntax),
        }
        *first = false;
        if self.peek() != Some(b'"') {
            return Err(JsonError::Syntax);
        }
        let key = self.string()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// Starts an array (`[`). Walk it with [`Self::element`].
    pub fn array(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'[') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.mistyped())
        }
    }

    /// `true` when another element follows (its `,` consumed), `false` after the closing `]`.
    pub fn element(&mut self, first: &mut bool) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                return Ok(false);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(JsonError::Syntax),
        }
        *first = false;
        if self.peek() == Some(b']') {
            return Err(JsonError::Syntax);
        }
        Ok(true)
    }

    /// `true` (and consumed) when the next value is `null`.
    pub fn null(&mut self) -> Result<bool, JsonError> {
        if self.peek() != Some(b'n') {
            return Ok(false);
        }
        self.literal(b"null")?;
        Ok(true)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    pub fn bool(&mut self) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| true),
            Some(b'f') => self.literal(b"false").map(|()| false),
            _ => Err(self.mistyped()),
        }
    }

    /// A non-negative JSON integer that fits in a `u64`.
    pub fn u64(&mut self) -> Result<u64, JsonError> {
        let start = match self.peek() {
            Some(b'0'..=b'9') => self.pos,
            Some(b'-') => {
                // A JSON number, but not one of ours: check its syntax for the right error.
                self.pos += 1;
                self.number_tail()?;
                return Err(JsonError::Type);
            }
            _ => return Err(self.mistyped()),
        };
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.pos) {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        if self.b[start] == b'0' && self.pos - start > 1 {
            return Err(JsonError::Syntax);
        }
        if matches!(self.b.get(self.pos), Some(b'.' | b'e' | b'E')) {
            self.pos = start;
            self.number_tail()?;
            return Err(JsonError::Type);
        }
        if overflow {
            return Err(JsonError::Type);
        }
        Ok(value)
    }

    /// Skips the rest of a number (after any `-`), checking its syntax.
    fn number_tail(&mut self) -> Result<(), JsonError> {
        let digits = |r: &mut Self| {
            let s = r.pos;
            while matches!(r.b.get(r.pos), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos - s
        };
        let s = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[s] == b'0') {
            return Err(JsonError::Syntax);
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(JsonError::Syntax);
            }
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(JsonError::Syntax);
            }
        }
        Ok(())
    }

    pub fn u32(&mut self) -> Result<u32, JsonError> {
        u32::try_from(self.u64()?).map_err(|_| JsonError::Type)
    }

    pub fn u8(&mut self) -> Result<u8, JsonError> {
        u8::try_from(self.u64()?).map_err(|_| JsonError::Type)
    }

    /// A string, borrowed when it has no escapes.
    pub fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.mistyped());
        }
        self.pos += 1;
        let b = self.b;
        let start = self.pos;
        // Fast path: no escape.
        while let Some(&c) = b.get(self.pos) {
            match c {
                b'"' => {
                    let s =
                        std::str::from_utf8(&b[start..self.pos]).map_err(|_| JsonError::Syntax)?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return Err(JsonError::Syntax),
                _ => self.pos += 1,
            }
        }
        let mut out: Vec<u8> = b[start..self.pos].to_vec();
        loop {
            let Some(&c) = b.get(self.pos) else {
                return Err(JsonError::Syntax);
            };
            self.pos += 1;
            match c {
                b'"' => break,
                0..=0x1f => return Err(JsonError::Syntax),
                b'\\' => {
                    let Some(&e) = b.get(self.pos) else {
                        return Err(JsonError::Syntax);
                    };
                    self.pos += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(JsonError::Syntax),
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| JsonError::Syntax)
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if !self.b[self.pos..].starts_with(b"\\u") {
                    return Err(JsonError::Syntax);
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(JsonError::Syntax);
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(JsonError::Syntax),
            _ => hi,
        };
        char::from_u32(code).ok_or(JsonError::Syntax)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::Syntax)?;
        let mut v = 0u32;
        for &d in digits {
            let x = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(JsonError::Syntax),
            };
            v = (v << 4) | u32::from(x);
        }
        self.pos += 4;
        Ok(v)
    }

    pub fn owned_string(&mut self) -> Result<String, JsonError> {
        self.string().map(Cow::into_owned)
    }

    /// `null` as `None`.
    pub fn opt_string(&mut self) -> Result<Option<String>, JsonError> {
        if self.null()? {
            Ok(None)
        } else {
            self.owned_string().map(Some)
        }
    }

    pub fn opt_u64(&mut self) -> Result<Option<u64>, JsonError> {
        if self.null()? {
            Ok(None)
        } else {
            self.u64().map(Some)
        }
    }
}

/// Sets a member read once: `Duplicate` the second time.
pub fn once<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), JsonError> {
    if slot.is_some() {
        return Err(JsonError::Duplicate(name));
    }
    *slot = Some(value);
    Ok(())
}

/// An optional text member that may be `null`: absent leaves `slot` `None`, `null` makes it
/// `Some(None)`, a string `Some(Some(s))`; given twice: `Duplicate`.
pub fn once_opt_string(
    r: &mut Reader<'_>,
    slot: &mut Option<Option<String>>,
    name: &'static str,
) -> Result<(), JsonError> {
    let v = r.opt_string()?;
    once(slot, name, v)
}

/// Marks a member seen (for optional members whose value may be `null`, where the slot alone
/// cannot tell): `Duplicate` the second time.
pub fn seen(flag: &mut bool, name: &'static str) -> Result<(), JsonError> {
    if *flag {
        return Err(JsonError::Duplicate(name));
    }
    *flag = true;
    Ok(())
}

/// A required member: `Missing` when absent.
pub fn required<T>(slot: Option<T>, name: &'static str) -> Result<T, JsonError> {
    slot.ok_or(JsonError::Missing(name))
}

/// Compact JSON writer into a byte buffer (which it only appends to). `Debug` shows the length
/// only: the buffer may hold a payload with a seed.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    comma: bool,
}

impl core::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Writer")
            .field("len", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Writer<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, comma: false }
    }

    fn sep(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
    }

    pub fn begin_object(&mut self) {
        self.sep();
        self.out.push(b'{');
        self.comma = false;
    }

    pub fn end_object(&mut self) {
        self.out.push(b'}');
        self.comma = true;
    }

    pub fn begin_array(&mut self) {
        self.sep();
        self.out.push(b'[');
        self.comma = false;
    }

    pub fn end_array(&mut self) {
        self.out.push(b']');
        self.comma = true;
    }

    /// A member name; its value is written next.
    pub fn key(&mut self, k: &str) {
        self.sep();
        self.escaped(k);
        self.out.push(b':');
        self.comma = false;
    }

    pub fn str(&mut self, v: &str) {
        self.sep();
        self.escaped(v);
        self.comma = true;
    }

    pub fn u64(&mut self, v: u64) {
        self.sep();
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[i..]);
        self.comma = true;
    }

    pub fn i64(&mut self, v: i64) {
        if v < 0 {
            self.sep();
            self.out.push(b'-');
            self.comma = false;
        }
        self.u64(v.unsigned_abs());
    }

    pub fn bool(&mut self, v: bool) {
        self.sep();
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self.comma = true;
    }

    pub fn null(&mut self) {
        self.sep();
        self.out.extend_from_slice(b"null");
        self.comma = true;
    }

    /// `"k": v`.
    pub fn str_member(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    /// `"k": v`, nothing when `None`.
    pub fn opt_str_member(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str_member(k, v);
        }
    }

    /// `"k": v`, or `"k": null` when `None`.
    pub fn str_or_null_member(&mut self, k: &str, v: Option<&str>) {
        self.key(k);
        match v {
            Some(v) => self.str(v),
            None => self.null(),
        }
    }

    pub fn u64_member(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u64(v);
    }

    fn escaped(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &c) in bytes.iter().enumerate() {
            let short = match c {
                b'"' => b'"',
                b'\\' => b'\\',
                0x08 => b'b',
                0x0c => b'f',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0..=0x1f => b'u',
                _ => continue,
            };
            self.out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            self.out.push(b'\\');
            self.out.push(short);
            if short == b'u' {
                self.out.extend_from_slice(b"00");
                self.out.push(HEX[usize::from(c >> 4)]);
                self.out.push(HEX[usize::from(c & 15)]);
            }
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(json: &str) -> Result<String, JsonError> {
        let mut r = Reader::new(json.as_bytes());
        let s = r.owned_string()?;
        r.end()?;
        Ok(s)
    }

    fn read_u64(json: &str) -> Result<u64, JsonError> {
        let mut r = Reader::new(json.as_bytes());
        let v = r.u64()?;
        r.end()?;
        Ok(v)
    }

    #[test]
    fn strings_agree_with_serde_json() {
        let cases = [
            r#""""#,
            r#""abc""#,
            r#"  "a\"b\\c\/d\b\f\n\r\t"  "#,
            r#""\u00e9\u20AC\ud83d\ude00""#,
            "\"caf\u{e9} \u{1F600}\"",
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\u12""#,
            r#""\x""#,
            "\"a\u{1}b\"",
            "\"a\tb\"",
            r#""abc"#,
            r#""abc" x"#,
            r#"12"#,
            r#"null"#,
            "\"\u{7f}\"",
        ];
        for json in cases {
            let ours = read_str(json).ok();
            let theirs = serde_json::from_str::<String>(json).ok();
            assert_eq!(ours, theirs, "{json}");
        }
        // Invalid UTF-8 inside a string.
        let mut r = Reader::new(b"\"\xff\"");
        assert_eq!(r.string(), Err(JsonError::Syntax));
    }

    #[test]
    fn integers_agree_with_serde_json() {
        for json in [
            "0",
            "7",
            " 30 ",
            "18446744073709551615",
            "18446744073709551616",
            "01",
            "1.0",
            "1e2",
            "1E+2",
            "-1",
            "1.",
            "+1",
            "\"1\"",
            "true",
            "",
            "1 2",
        ] {
            let ours = read_u64(json).ok();
            let theirs = serde_json::from_str::<u64>(json).ok();
            assert_eq!(ours, theirs, "{json}");
        }
        // The one difference: serde reads `-0` as 0; JSON integers here have no sign.
        assert_eq!(read_u64("-0"), Err(JsonError::Type));
        assert_eq!(read_u64("1.5"), Err(JsonError::Type));
        assert_eq!(read_u64("1.x"), Err(JsonError::Syntax));
        let mut r = Reader::new(b"256");
        assert_eq!(r.u8(), Err(JsonError::Type));
    }

    #[test]
    fn objects_and_arrays() {
        let mut r = Reader::new(br#" { "a" : [1, 2 ,3], "b":{}, "c": null } "#);
        r.object().unwrap();
        let mut first = true;
        assert_eq!(r.member(&mut first).unwrap().as_deref(), Some("a"));
        r.array().unwrap();
        let mut got = Vec::new();
        let mut f = true;
        while r.element(&mut f).unwrap() {
            got.push(r.u64().unwrap());
        }
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(r.member(&mut first).unwrap().as_deref(), Some("b"));
        r.object().unwrap();
        assert_eq!(r.member(&mut true).unwrap(), None);
        assert_eq!(r.member(&mut first).unwrap().as_deref(), Some("c"));
        assert!(r.null().unwrap());
        assert_eq!(r.member(&mut first).unwrap(), None);
        r.end().unwrap();

        for bad in [
            &b"{,}"[..],
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{\"a\":1 \"b\":2}",
            b"{1:2}",
        ] {
            let mut r = Reader::new(bad);
            r.object().unwrap();
            let mut first = true;
            let res = (|| {
                while r.member(&mut first)?.is_some() {
                    r.u64()?;
                }
                Ok::<_, JsonError>(())
            })();
            assert_eq!(res, Err(JsonError::Syntax), "{bad:?}");
        }
        for bad in [&b"[1,]"[..], b"[,1]", b"[1 2]"] {
            let mut r = Reader::new(bad);
            r.array().unwrap();
            let mut first = true;
            let res = (|| {
                while r.element(&mut first)? {
                    r.u64()?;
                }
                Ok::<_, JsonError>(())
            })();
            assert_eq!(res, Err(JsonError::Syntax), "{bad:?}");
        }
        assert_eq!(Reader::new(b"[]").object(), Err(JsonError::Type));
        assert_eq!(Reader::new(b"x").object(), Err(JsonError::Syntax));
    }

    #[test]
    fn writer_matches_serde_json() {
        let texts = [
            "",
            "plain",
            "q\"b\\s/",
            "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}",
            "caf\u{e9} \u{1F600} \u{2028}",
        ];
        for t in texts {
            let mut buf = Vec::new();
            let mut w = Writer::new(&mut buf);
            w.begin_object();
            w.str_member("k", t);
            w.u64_member("n", u64::MAX);
            w.key("z");
            w.i64(-42);
            w.key("arr");
            w.begin_array();
            w.bool(true);
            w.null();
            w.u64(0);
            w.end_array();
            w.end_object();
            let expected =
                serde_json::json!({"k": t, "n": u64::MAX, "z": -42, "arr": [true, null, 0]});
            // serde_json's `json!` map is sorted; compare by re-reading and by the escape.
            let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
            assert_eq!(v, expected);
            let mut one = Vec::new();
            Writer::new(&mut one).str(t);
            assert_eq!(one, serde_json::to_vec(t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn debug_shows_no_content() {
        let text = br#"{"secret":"SECRETSEED"}"#;
        assert!(!format!("{:?}", Reader::new(text)).contains("SECRET"));
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf);
        w.str("SECRETSEED");
        assert!(!format!("{w:?}").contains("SECRET"));
    }

    #[test]
    fn line_and_column() {
        let mut r = Reader::new(b"{\n  \"a\": x}");
        r.object().unwrap();
        let mut first = true;
        r.member(&mut first).unwrap();
        assert_eq!(r.u64(), Err(JsonError::Syntax));
        assert_eq!(r.line_col(), (2, 8));
    }
}
