//! Google Authenticator exports: `otpauth-migration://offline?data=<base64 protobuf>`.
//!
//! The payload is a small protobuf message (field numbers from Google Authenticator's
//! `MigrationPayload`):
//!
//! ```text
//! MigrationPayload { repeated OtpParameters otp_parameters = 1; int32 version = 2;
//!                    int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5; }
//! OtpParameters    { bytes secret = 1; string name = 2; string issuer = 3;
//!                    Algorithm algorithm = 4;   // 0 unspecified (SHA1), 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!                    DigitCount digits = 5;     // 0 unspecified (6), 1 six, 2 eight
//!                    OtpType type = 6;          // 1 HOTP, 2 TOTP
//!                    int64 counter = 7; }
//! ```
//!
//! It is read by the hand-written decoder below rather than a protobuf crate: the wire format
//! needed is four cases (varint, 64-bit, length-delimited, 32-bit), the decoder checks every
//! length against the remaining bytes, and the buffers that hold seeds stay under our control
//! (wiped). Unknown fields are skipped, as protobuf requires; groups (wire types 3 and 4, which
//! Google never emits) are refused.
//!
//! **Partial failure:** [`parse`] fails as a whole only when the URI or the payload cannot be
//! read at all. Otherwise every entry of the payload comes back, in order, as its own
//! `Result`: one entry with an MD5 algorithm does not cost the user the other nine. The caller
//! shows which positions failed and why ([`MigrationError::code`]).
//!
//! Names: Google stores either `account` or `Issuer:account` in `name`. The prefix is split off
//! when it equals the `issuer` field (any case) or when that field is empty; otherwise the name
//! is kept whole. AWS labels are then recognised exactly as in [`crate::otpauth`]. Text that is
//! not UTF-8 is read lossily (it is a display name; the seed is what matters). Exports have no
//! period: TOTP entries get 30 s, as Google Authenticator uses.

use percent_encoding::percent_decode;
use zeroize::Zeroizing;

use crate::entry::Entry;
use crate::otp::{Algorithm, OtpKind, OtpParams};
use crate::otpauth::AwsLabel;
use crate::secret::{MAX_SECRET_LEN, SecretBytes};

/// Longest migration URI read, in bytes. One export QR code holds about 3 KB.
pub const MAX_MIGRATION_URI_LEN: usize = 64 * 1024;
/// Most entries read from one payload.
pub const MAX_MIGRATION_ENTRIES: usize = 1000;

const SCHEME: &str = "otpauth-migration";
const HOST: &str = "offline";

/// Why a migration URI, or one entry in it, was refused. Never carries seed material or names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// Longer than [`MAX_MIGRATION_URI_LEN`] bytes.
    #[error("the migration URI is longer than {MAX_MIGRATION_URI_LEN} bytes")]
    TooLong,
    /// Not `otpauth-migration://offline`.
    #[error("not an otpauth-migration://offline URI")]
    BadScheme,
    /// No `data` parameter, or an empty one.
    #[error("the migration URI has no data")]
    MissingData,
    /// `data` given more than once.
    #[error("the migration URI has more than one data parameter")]
    DuplicateData,
    /// `data` is not base64 (standard or URL-safe, padded or not).
    #[error("the migration data is not valid base64")]
    BadBase64,
    /// The decoded data is not a well-formed migration payload (truncated, bad varint, wrong
    /// wire type for a known field, group fields).
    #[error("the migration data is not a valid export payload")]
    BadProtobuf,
    /// More than [`MAX_MIGRATION_ENTRIES`] entries.
    #[error("the migration data has more than {MAX_MIGRATION_ENTRIES} entries")]
    TooManyEntries,
    /// Entry error: no secret.
    #[error("the entry has an empty secret")]
    EmptySecret,
    /// Entry error: a secret longer than [`MAX_SECRET_LEN`] bytes.
    #[error("the entry's secret is longer than {MAX_SECRET_LEN} bytes")]
    SecretTooLong,
    /// Entry error: MD5 (algorithm 4) or an algorithm number this version does not know.
    #[error("the entry's algorithm is not supported (only SHA1, SHA256, SHA512)")]
    UnsupportedAlgorithm,
    /// Entry error: a digit-count number other than 0 (unspecified, 6), 1 (6) or 2 (8).
    #[error("the entry's digit count is not supported")]
    UnsupportedDigits,
    /// Entry error: an OTP type other than 1 (HOTP) or 2 (TOTP), including 0 (unspecified):
    /// guessing would mean wrong codes.
    #[error("the entry's OTP type is not supported")]
    UnsupportedType,
}

impl MigrationError {
    /// Stable identifier for programs (the wasm layer's `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "migration_too_long",
            Self::BadScheme => "migration_bad_scheme",
            Self::MissingData => "migration_missing_data",
            Self::DuplicateData => "migration_duplicate_data",
            Self::BadBase64 => "migration_bad_base64",
            Self::BadProtobuf => "migration_bad_protobuf",
            Self::TooManyEntries => "migration_too_many_entries",
            Self::EmptySecret => "migration_empty_secret",
            Self::SecretTooLong => "migration_secret_too_long",
            Self::UnsupportedAlgorithm => "migration_unsupported_algorithm",
            Self::UnsupportedDigits => "migration_unsupported_digits",
            Self::UnsupportedType => "migration_unsupported_type",
        }
    }
}

/// One decoded export. `Debug` never shows seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationBatch {
    /// Every entry of the payload, in order; failed ones carry their own error.
    pub entries: Vec<Result<Entry, MigrationError>>,
    /// Payload format version (Google writes 1).
    pub version: i32,
    /// Number of QR codes in the export, when split (0 if absent).
    pub batch_size: i32,
    /// This QR code's position in the export, from 0.
    pub batch_index: i32,
    /// Identifies the export all the batch's QR codes belong to.
    pub batch_id: i32,
}

/// Reads an `otpauth-migration://offline?data=...` URI (surrounding white space ignored).
pub fn parse(uri: &str) -> Result<MigrationBatch, MigrationError> {
    if uri.len() > MAX_MIGRATION_URI_LEN {
        return Err(MigrationError::TooLong);
    }
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once("://").ok_or(MigrationError::BadScheme)?;
    let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !scheme.eq_ignore_ascii_case(SCHEME)
        || !host.trim_end_matches('/').eq_ignore_ascii_case(HOST)
    {
        return Err(MigrationError::BadScheme);
    }
    let mut data = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key.eq_ignore_ascii_case("data") && data.replace(value).is_some() {
            return Err(MigrationError::DuplicateData);
        }
    }
    let data = data
        .filter(|data| !data.is_empty())
        .ok_or(MigrationError::MissingData)?;
    let payload = decode_base64(data)?;
    MigrationBatch::from_protobuf(&payload)
}

impl MigrationBatch {
    /// Reads the protobuf payload itself (the `data` parameter after base64 decoding).
    pub fn from_protobuf(payload: &[u8]) -> Result<Self, MigrationError> {
        let mut batch = Self {
            entries: Vec::new(),
            version: 0,
            batch_size: 0,
            batch_index: 0,
            batch_id: 0,
        };
        let mut reader = Reader::new(payload);
        while let Some((field, wire)) = reader.key()? {
            match (field, wire) {
                (1, WIRE_LEN) => {
                    if batch.entries.len() == MAX_MIGRATION_ENTRIES {
                        return Err(MigrationError::TooManyEntries);
                    }
                    let message = reader.bytes()?;
                    batch.entries.push(read_entry(message)?);
                }
                (2, WIRE_VARINT) => batch.version = int32(reader.varint()?),
                (3, WIRE_VARINT) => batch.batch_size = int32(reader.varint()?),
                (4, WIRE_VARINT) => batch.batch_index = int32(reader.varint()?),
                (5, WIRE_VARINT) => batch.batch_id = int32(reader.varint()?),
                (1..=5, _) => return Err(MigrationError::BadProtobuf),
                (_, wire) => reader.skip(wire)?,
            }
        }
        Ok(batch)
    }
}

/// Percent-decodes, then reads base64 leniently: standard or URL-safe alphabet, a space where a
/// `+` was (form decoding on the way), line breaks ignored, padding optional. Every buffer is
/// wiped: the payload holds seeds.
fn decode_base64(data: &str) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let mut text = Zeroizing::new(Vec::with_capacity(data.len()));
    text.extend(
        percent_decode(data.as_bytes()).filter_map(|byte| match byte {
            b' ' | b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            b'\r' | b'\n' | b'\t' => None,
            other => Some(other),
        }),
    );
    while text.last() == Some(&b'=') {
        text.pop();
    }
    crate::codec::base64_decode(&text, false)
        .map(Zeroizing::new)
        .ok_or(MigrationError::BadBase64)
}

/// One `OtpParameters` message. `Err` from the outer `Result`: the message is malformed, so the
/// whole payload is. `Err` inside: this entry alone is unusable.
fn read_entry(message: &[u8]) -> Result<Result<Entry, MigrationError>, MigrationError> {
    let mut secret: &[u8] = &[];
    let mut name: &[u8] = &[];
    let mut issuer: &[u8] = &[];
    let (mut algorithm, mut digits, mut kind, mut counter) = (0u64, 0u64, 0u64, 0u64);
    let mut reader = Reader::new(message);
    while let Some((field, wire)) = reader.key()? {
        match (field, wire) {
            (1, WIRE_LEN) => secret = reader.bytes()?,
            (2, WIRE_LEN) => name = reader.bytes()?,
            (3, WIRE_LEN) => issuer = reader.bytes()?,
            (4, WIRE_VARINT) => algorithm = reader.varint()?,
            (5, WIRE_VARINT) => digits = reader.varint()?,
            (6, WIRE_VARINT) => kind = reader.varint()?,
            (7, WIRE_VARINT) => counter = reader.varint()?,
            (1..=7, _) => return Err(MigrationError::BadProtobuf),
            (_, wire) => reader.skip(wire)?,
        }
    }
    Ok(build_entry(
        secret, name, issuer, algorithm, digits, kind, counter,
    ))
}

fn build_entry(
    secret: &[u8],
    name: &[u8],
    issuer: &[u8],
    algorithm: u64,
    digits: u64,
    kind: u64,
    counter: u64,
) -> Result<Entry, MigrationError> {
    if secret.is_empty() {
        return Err(MigrationError::EmptySecret);
    }
    if secret.len() > MAX_SECRET_LEN {
        return Err(MigrationError::SecretTooLong);
    }
    let algorithm = match algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        _ => return Err(MigrationError::UnsupportedAlgorithm),
    };
    let digits = match digits {
        0 | 1 => 6,
        2 => 8,
        _ => return Err(MigrationError::UnsupportedDigits),
    };
    let kind = match kind {
        // int64 on the wire: the counter's 8 bytes, read as unsigned as RFC 4226 does.
        1 => OtpKind::Hotp { counter },
        2 => OtpKind::Totp { period: 30 },
        _ => return Err(MigrationError::UnsupportedType),
    };
    let (label, issuer) = split_name(
        &String::from_utf8_lossy(name),
        &String::from_utf8_lossy(issuer),
    );
    let aws = AwsLabel::recognise(issuer.as_deref(), &label);
    Ok(Entry {
        secret: SecretBytes::new(secret.to_vec()),
        otp: OtpParams {
            kind,
            algorithm,
            digits,
        },
        label,
        issuer,
        aws_account_id: aws.account_id,
        aws_account_alias: aws.account_alias,
        aws_principal: aws.principal,
        device_name: aws.device_name,
        notes: None,
    })
}

/// `(label, issuer)` from Google's `name` and `issuer` fields (see the module docs).
fn split_name(name: &str, issuer: &str) -> (String, Option<String>) {
    let issuer = Some(issuer.trim()).filter(|issuer| !issuer.is_empty());
    if let Some((prefix, account)) = name.split_once(':') {
        let prefix = prefix.trim();
        match issuer {
            None if !prefix.is_empty() => {
                return (account.trim().to_owned(), Some(prefix.to_owned()));
            }
            Some(issuer) if issuer.eq_ignore_ascii_case(prefix) => {
                return (account.trim().to_owned(), Some(issuer.to_owned()));
            }
            _ => {}
        }
    }
    (name.trim().to_owned(), issuer.map(str::to_owned))
}

/// Protobuf `int32`: the low 32 bits of the varint (negative numbers are 10-byte varints).
fn int32(value: u64) -> i32 {
    value as u32 as i32
}

const WIRE_VARINT: u8 = 0;
const WIRE_I64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_I32: u8 = 5;

/// A bounds-checked cursor over protobuf wire bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next field's number and wire type, or `None` at the end of the message.
    fn key(&mut self) -> Result<Option<(u64, u8)>, MigrationError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 {
            return Err(MigrationError::BadProtobuf);
        }
        Ok(Some((field, (key & 7) as u8)))
    }

    /// A base-128 varint of at most 10 bytes that fits in 64 bits.
    fn varint(&mut self) -> Result<u64, MigrationError> {
        let mut value = 0u64;
        for index in 0..10 {
            let (&byte, rest) = self
                .bytes
                .split_first()
                .ok_or(MigrationError::BadProtobuf)?;
            self.bytes = rest;
            // The tenth byte may only carry the 64th bit.
            if index == 9 && byte > 1 {
                return Err(MigrationError::BadProtobuf);
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(MigrationError::BadProtobuf)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], MigrationError> {
        let len = usize::try_from(len).map_err(|_| MigrationError::BadProtobuf)?;
        if len > self.bytes.len() {
            return Err(MigrationError::BadProtobuf);
        }
        let (head, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        Ok(head)
    }

    /// A length-delimited value.
    fn bytes(&mut self) -> Result<&'a [u8], MigrationError> {
        let len = self.varint()?;
        self.take(len)
    }

    /// Skips an unknown field's value.
    fn skip(&mut self, wire: u8) -> Result<(), MigrationError> {
        match wire {
            WIRE_VARINT => self.varint().map(drop),
            WIRE_I64 => self.take(8).map(drop),
            WIRE_LEN => self.bytes().map(drop),
            WIRE_I32 => self.take(4).map(drop),
            _ => Err(MigrationError::BadProtobuf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::AwsPrincipal;

    /// Test-only protobuf writer: the encoder Google Authenticator would be.
    fn varint(mut value: u64, out: &mut Vec<u8>) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn field_bytes(field: u64, bytes: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    fn field_varint(field: u64, value: u64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(value, out);
    }

    fn otp(
        secret: &[u8],
        name: &str,
        issuer: &str,
        alg: u64,
        digits: u64,
        kind: u64,
        counter: u64,
    ) -> Vec<u8> {
        let mut m = Vec::new();
        field_bytes(1, secret, &mut m);
        field_bytes(2, name.as_bytes(), &mut m);
        field_bytes(3, issuer.as_bytes(), &mut m);
        field_varint(4, alg, &mut m);
        field_varint(5, digits, &mut m);
        field_varint(6, kind, &mut m);
        field_varint(7, counter, &mut m);
        m
    }

    fn uri(payload: &[u8]) -> String {
        let b64 = data_encoding::BASE64.encode(payload);
        let encoded: String =
            percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        format!("otpauth-migration://offline?data={encoded}")
    }

    fn sample_payload() -> Vec<u8> {
        let mut p = Vec::new();
        field_bytes(
            1,
            &otp(
                b"12345678901234567890",
                "GitHub:alice",
                "GitHub",
                1,
                1,
                2,
                0,
            ),
            &mut p,
        );
        field_bytes(1, &otp(b"abcdefghij", "bob", "", 4, 1, 2, 0), &mut p);
        field_bytes(
            1,
            &otp(
                b"0123456789",
                "Amazon Web Services:root-account-mfa-device@123456789012",
                "Amazon Web Services",
                0,
                0,
                2,
                0,
            ),
            &mut p,
        );
        field_bytes(1, &otp(b"hotpsecret", "carol", "Bank", 3, 2, 1, 5), &mut p);
        field_varint(2, 1, &mut p);
        field_varint(3, 1, &mut p);
        field_varint(4, 0, &mut p);
        field_varint(5, 0xffff_ffff_ffff_fff6, &mut p); // int32 -10
        p
    }

    #[test]
    fn reads_all_entries_and_reports_failures_by_position() {
        let batch = parse(&uri(&sample_payload())).unwrap();
        assert_eq!(
            (
                batch.version,
                batch.batch_size,
                batch.batch_index,
                batch.batch_id
            ),
            (1, 1, 0, -10)
        );
        assert_eq!(batch.entries.len(), 4);
        let github = batch.entries[0].as_ref().unwrap();
        assert_eq!(
            (github.label.as_str(), github.issuer.as_deref()),
            ("alice", Some("GitHub"))
        );
        assert_eq!(github.otp, OtpParams::default());
        assert_eq!(batch.entries[1], Err(MigrationError::UnsupportedAlgorithm));
        let aws = batch.entries[2].as_ref().unwrap();
        assert_eq!(aws.aws_account_id.as_deref(), Some("123456789012"));
        assert_eq!(aws.aws_principal, Some(AwsPrincipal::Root { email: None }));
        let hotp = batch.entries[3].as_ref().unwrap();
        assert_eq!(
            hotp.otp,
            OtpParams {
                kind: OtpKind::Hotp { counter: 5 },
                algorithm: Algorithm::Sha512,
                digits: 8
            }
        );
    }

    #[test]
    fn lenient_base64() {
        let payload = sample_payload();
        let b64 = data_encoding::BASE64.encode(&payload);
        let spaced = b64.replace('+', " ");
        let url_safe = data_encoding::BASE64URL_NOPAD.encode(&payload);
        for data in [
            b64.clone(),
            spaced,
            url_safe,
            b64.trim_end_matches('=').to_owned(),
        ] {
            let batch = parse(&format!("otpauth-migration://offline?data={data}")).unwrap();
            assert_eq!(batch.entries.len(), 4);
        }
    }

    #[test]
    fn whole_payload_errors() {
        let err = |u: &str| parse(u).unwrap_err().code();
        assert_eq!(err("otpauth://offline?data=AA"), "migration_bad_scheme");
        assert_eq!(
            err("otpauth-migration://online?data=AA"),
            "migration_bad_scheme"
        );
        assert_eq!(err("otpauth-migration://offline"), "migration_missing_data");
        assert_eq!(
            err("otpauth-migration://offline?data="),
            "migration_missing_data"
        );
        assert_eq!(
            err("otpauth-migration://offline?data=CgA&data=CgA"),
            "migration_duplicate_data"
        );
        assert_eq!(
            err("otpauth-migration://offline?data=!!!!"),
            "migration_bad_base64"
        );
        assert_eq!(
            err("otpauth-migration://offline?data=A"),
            "migration_bad_base64"
        );
        // Field 1 claims 16 bytes, has none.
        assert_eq!(err(&uri(&[0x0a, 0x10])), "migration_bad_protobuf");
        // Field 1 as a varint.
        assert_eq!(err(&uri(&[0x08, 0x01])), "migration_bad_protobuf");
        // Group wire type.
        assert_eq!(err(&uri(&[0x33])), "migration_bad_protobuf");
        // Unterminated varint.
        assert_eq!(err(&uri(&[0x10, 0xff])), "migration_bad_protobuf");
        // Eleven-byte varint.
        assert_eq!(
            err(&uri(&[
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
            ])),
            "migration_bad_protobuf"
        );
        let long = format!(
            "otpauth-migration://offline?data={}",
            "A".repeat(MAX_MIGRATION_URI_LEN)
        );
        assert_eq!(err(&long), "migration_too_long");
        let mut many = Vec::new();
        for _ in 0..=MAX_MIGRATION_ENTRIES {
            field_bytes(1, &[], &mut many);
        }
        assert_eq!(err(&uri(&many)), "migration_too_many_entries");
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut entry = otp(b"12345678901234567890", "x", "", 1, 1, 2, 0);
        field_varint(99, 7, &mut entry);
        entry.extend_from_slice(&[0x0d << 3 | 5, 1, 2, 3, 4]); // field 13, fixed32
        entry.extend_from_slice(&[0x0e << 3 | 1, 1, 2, 3, 4, 5, 6, 7, 8]); // field 14, fixed64
        let mut p = Vec::new();
        field_bytes(1, &entry, &mut p);
        field_bytes(42, b"ignored", &mut p);
        let batch = parse(&uri(&p)).unwrap();
        assert!(batch.entries[0].is_ok());
    }

    #[test]
    fn entry_errors() {
        let one = |m: Vec<u8>| {
            let mut p = Vec::new();
            field_bytes(1, &m, &mut p);
            parse(&uri(&p))
                .unwrap()
                .entries
                .remove(0)
                .unwrap_err()
                .code()
        };
        assert_eq!(one(otp(b"", "x", "", 1, 1, 2, 0)), "migration_empty_secret");
        assert_eq!(
            one(otp(&[1; MAX_SECRET_LEN + 1], "x", "", 1, 1, 2, 0)),
            "migration_secret_too_long"
        );
        assert_eq!(
            one(otp(b"abcdefghij", "x", "", 9, 1, 2, 0)),
            "migration_unsupported_algorithm"
        );
        assert_eq!(
            one(otp(b"abcdefghij", "x", "", 1, 3, 2, 0)),
            "migration_unsupported_digits"
        );
        assert_eq!(
            one(otp(b"abcdefghij", "x", "", 1, 1, 0, 0)),
            "migration_unsupported_type"
        );
        assert_eq!(
            one(otp(b"abcdefghij", "x", "", 1, 1, 3, 0)),
            "migration_unsupported_type"
        );
    }

    #[test]
    fn name_splitting() {
        assert_eq!(
            split_name("GitHub:alice", "GitHub"),
            ("alice".into(), Some("GitHub".into()))
        );
        assert_eq!(
            split_name("github: alice", "GitHub"),
            ("alice".into(), Some("GitHub".into()))
        );
        assert_eq!(
            split_name("Site:alice", ""),
            ("alice".into(), Some("Site".into()))
        );
        assert_eq!(
            split_name("a:b", "Other"),
            ("a:b".into(), Some("Other".into()))
        );
        assert_eq!(split_name(":b", ""), (":b".into(), None));
        assert_eq!(split_name("alice", " "), ("alice".into(), None));
    }

    #[test]
    fn debug_hides_secrets() {
        let batch = parse(&uri(&sample_payload())).unwrap();
        let debug = format!("{batch:?}");
        assert!(
            !debug.contains("12345678901234567890") && !debug.contains("GEZDGNBV"),
            "{debug}"
        );
    }
}
