//! Reader for the language-neutral vector files in `tests/vectors/` (syntax in
//! `tests/vectors/README.md`).
//!
//! ```ignore
//! mod common;
//! use common::vectors::read_records;
//!
//! for record in read_records("rfc4226-appendix-d.txt") {
//!     record.expect_keys(&["secret_hex", "counter", "code"]);
//!     let secret = record.hex("secret_hex");
//!     let counter: u64 = record.parse("counter");
//! }
//! ```
//!
//! Everything fails loudly, naming the file and line: a malformed line, a file with no record,
//! a missing or repeated key, a key the test does not know (`expect_keys`). A vector can never
//! be skipped silently.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]
#![allow(
    clippy::panic,
    reason = "test helpers: a malformed vector must fail the test loudly"
)]

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// `tests/vectors/NAME` from the repository root.
pub fn vector_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(name)
}

/// One record: `key: value` lines between blank lines, in file order.
#[derive(Clone, Debug)]
pub struct Record {
    /// `file:line` of the record's first line, for failure messages.
    pub origin: String,
    fields: Vec<(String, String)>,
}

/// Reads every record of `path`; a bare file name is looked up in `tests/vectors/`.
pub fn read_records(path: impl AsRef<Path>) -> Vec<Record> {
    let path = path.as_ref();
    let path = if path.components().count() == 1 {
        vector_path(&path.to_string_lossy())
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut records = Vec::new();
    let mut current: Option<Record> = None;
    for (index, line) in text.lines().enumerate() {
        let origin = format!("{name}:{}", index + 1);
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            records.extend(current.take());
            continue;
        }
        let (key, value) = split_line(line)
            .unwrap_or_else(|| panic!("{origin}: not a `key: value` line: {line:?}"));
        current
            .get_or_insert_with(|| Record {
                origin,
                fields: Vec::new(),
            })
            .fields
            .push((key.to_owned(), value.to_owned()));
    }
    records.extend(current);
    assert!(!records.is_empty(), "{}: no records", path.display());
    records
}

/// `key: value` (one space after the colon; the value is not trimmed) or `key:` for an empty
/// value. Keys are `[a-z0-9_]+`.
fn split_line(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let valid_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_key {
        return None;
    }
    if value.is_empty() {
        return Some((key, value));
    }
    value.strip_prefix(' ').map(|value| (key, value))
}

impl Record {
    /// Fails unless every key of the record is in `known`.
    pub fn expect_keys(&self, known: &[&str]) {
        for (key, _) in &self.fields {
            assert!(
                known.contains(&key.as_str()),
                "{}: unknown key `{key}`",
                self.origin
            );
        }
    }

    /// The value of `key`, which must appear exactly once.
    pub fn get(&self, key: &str) -> &str {
        self.get_opt(key)
            .unwrap_or_else(|| panic!("{}: missing key `{key}`", self.origin))
    }

    /// The value of `key` if present; fails if it appears more than once.
    pub fn get_opt(&self, key: &str) -> Option<&str> {
        let all = self.get_all(key);
        assert!(all.len() <= 1, "{}: key `{key}` repeated", self.origin);
        all.first().copied()
    }

    /// Every value of `key`, in file order (possibly none).
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// `get(key)` parsed with `FromStr` (numbers and the like).
    pub fn parse<T: FromStr>(&self, key: &str) -> T
    where
        T::Err: Debug,
    {
        let value = self.get(key);
        value
            .parse()
            .unwrap_or_else(|error| panic!("{}: `{key}: {value}`: {error:?}", self.origin))
    }

    /// `get(key)` as lower-case hex.
    pub fn hex(&self, key: &str) -> Vec<u8> {
        let value = self.get(key);
        data_encoding::HEXLOWER
            .decode(value.as_bytes())
            .unwrap_or_else(|error| {
                panic!("{}: `{key}` is not lower-case hex: {error}", self.origin)
            })
    }

    /// `get(key)` as standard padded base64 (keys ending in `_b64`).
    pub fn b64(&self, key: &str) -> Vec<u8> {
        let value = self.get(key);
        data_encoding::BASE64
            .decode(value.as_bytes())
            .unwrap_or_else(|error| panic!("{}: `{key}` is not base64: {error}", self.origin))
    }
}
