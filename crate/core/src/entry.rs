//! A vault entry: one OTP seed and what the user knows about it.
//!
//! Everything in an entry is secret (an MSP's client list is sensitive), so an entry only ever
//! leaves memory sealed (see `vault`). The sealed payload schema is in docs/FORMAT.md.

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::otp::{Algorithm, OtpKind, OtpParams};
use crate::secret::SecretBytes;

/// Which AWS principal an entry's MFA device belongs to.
///
/// `Debug` shows the kind only: user names and e-mail addresses are confidential.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub enum AwsPrincipal {
    /// The account's root user, optionally with the root user's e-mail address.
    Root { email: Option<String> },
    /// An IAM user, by user name.
    IamUser { name: String },
}

/// One OTP credential.
///
/// `Debug` shows only the OTP parameters and which fields are set: the seed, names, account ids,
/// e-mail addresses and notes are all confidential. The strings are wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub secret: SecretBytes,
    pub otp: OtpParams,
    /// The name shown to users (from the otpauth label's account part, or typed by the user).
    pub label: String,
    pub issuer: Option<String>,
    /// 12-digit AWS account id.
    pub aws_account_id: Option<String>,
    /// AWS account alias (the sign-in URL's subdomain).
    pub aws_account_alias: Option<String>,
    pub aws_principal: Option<AwsPrincipal>,
    /// The MFA device name registered at AWS.
    pub device_name: Option<String>,
    pub notes: Option<String>,
}

impl fmt::Debug for AwsPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root { .. } => f.write_str("Root { .. }"),
            Self::IamUser { .. } => f.write_str("IamUser { .. }"),
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn set<T>(field: &Option<T>) -> &'static str {
            if field.is_some() {
                "[REDACTED]"
            } else {
                "None"
            }
        }
        f.debug_struct("Entry")
            .field("secret", &self.secret)
            .field("otp", &self.otp)
            .field("label", &"[REDACTED]")
            .field("issuer", &set(&self.issuer))
            .field("aws_account_id", &set(&self.aws_account_id))
            .field("aws_account_alias", &set(&self.aws_account_alias))
            .field("aws_principal", &self.aws_principal)
            .field("device_name", &set(&self.device_name))
            .field("notes", &set(&self.notes))
            .finish()
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        // The seed wipes itself (SecretBytes); the metadata is confidential too.
        self.label.zeroize();
        self.issuer.zeroize();
        self.aws_account_id.zeroize();
        self.aws_account_alias.zeroize();
        self.aws_principal.zeroize();
        self.device_name.zeroize();
        self.notes.zeroize();
    }
}

impl Entry {
    /// A plain entry with default TOTP parameters and no AWS metadata.
    pub fn new(secret: SecretBytes, label: impl Into<String>) -> Self {
        Self {
            secret,
            otp: OtpParams::default(),
            label: label.into(),
            issuer: None,
            aws_account_id: None,
            aws_account_alias: None,
            aws_principal: None,
            device_name: None,
            notes: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sealed payload (docs/FORMAT.md §4.4). The JSON schema is defined here, independently of the
// serde derives elsewhere in the crate, so that nothing but this code can change stored bytes.

/// Largest seed an entry payload carries, in bytes (FORMAT.md §4.4).
pub const PAYLOAD_SECRET_MAX_LEN: usize = 1024;
/// Base32 length of [`PAYLOAD_SECRET_MAX_LEN`] bytes, unpadded.
const PAYLOAD_SECRET_MAX_B32: usize = PAYLOAD_SECRET_MAX_LEN.div_ceil(5) * 8;

/// Why an entry cannot be written as, or read from, the v1 payload. Never carries any of the
/// entry's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not a JSON object of the v1 schema (bad syntax, unknown or duplicate member, wrong type).
    /// The position is a byte column in the decrypted payload.
    #[error("entry payload does not match the v1 schema (line {line}, column {column})")]
    InvalidJson { line: usize, column: usize },
    /// The seed is empty, longer than [`PAYLOAD_SECRET_MAX_LEN`], or not canonical upper-case
    /// unpadded base32.
    #[error("entry secret is empty, too long, or not canonical base32")]
    InvalidSecret,
    /// Digits outside 6..=8, a zero period, or `period`/`counter` not matching the type.
    #[error("entry OTP parameters are invalid")]
    InvalidOtpParams,
}

impl EntryError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EntryError::InvalidJson { .. } => "entry_invalid_json",
            EntryError::InvalidSecret => "entry_invalid_secret",
            EntryError::InvalidOtpParams => "entry_invalid_otp_params",
        }
    }
}

impl Entry {
    /// Checks what the payload schema requires of an entry (seed size, digits, period).
    pub fn check(&self) -> Result<(), EntryError> {
        if self.secret.is_empty() || self.secret.len() > PAYLOAD_SECRET_MAX_LEN {
            return Err(EntryError::InvalidSecret);
        }
        // The same rules as code generation (otp::OtpParams::validate), so that a stored entry
        // always yields a code.
        self.otp
            .validate()
            .map_err(|_| EntryError::InvalidOtpParams)
    }

    /// The v1 payload JSON (unpadded). The buffer is wiped on drop and sized so that it never
    /// reallocates (which would leave a copy of the seed behind).
    pub fn to_payload_json(&self) -> Result<Zeroizing<Vec<u8>>, EntryError> {
        self.check()?;
        let secret = self.secret.to_base32();
        let (kind, period, counter) = match self.otp.kind {
            OtpKind::Totp { period } => ("totp", Some(period), None),
            OtpKind::Hotp { counter } => ("hotp", None, Some(counter)),
        };
        let principal = self.aws_principal.as_ref().map(|p| match p {
            AwsPrincipal::Root { email } => PrincipalOut::Root {
                email: email.as_deref(),
            },
            AwsPrincipal::IamUser { name } => PrincipalOut::IamUser { name },
        });
        let out = PayloadOut {
            secret: &secret,
            kind,
            period,
            counter,
            algorithm: self.otp.algorithm.name(),
            digits: self.otp.digits,
            label: &self.label,
            issuer: self.issuer.as_deref(),
            aws_account_id: self.aws_account_id.as_deref(),
            aws_account_alias: self.aws_account_alias.as_deref(),
            aws_principal: principal,
            device_name: self.device_name.as_deref(),
            notes: self.notes.as_deref(),
        };
        // JSON escapes a byte as at most 6 bytes (`\u00XX`); the fixed part is under 400 bytes.
        let texts = [
            Some(self.label.as_str()),
            self.issuer.as_deref(),
            self.aws_account_id.as_deref(),
            self.aws_account_alias.as_deref(),
            self.device_name.as_deref(),
            self.notes.as_deref(),
            match &self.aws_principal {
                Some(AwsPrincipal::Root { email }) => email.as_deref(),
                Some(AwsPrincipal::IamUser { name }) => Some(name.as_str()),
                None => None,
            },
        ];
        let text_len: usize = texts.iter().flatten().map(|t| t.len()).sum();
        let capacity = 512 + secret.len() + 6 * text_len;
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        serde_json::to_writer(&mut *buf, &out)
            .map_err(|_| EntryError::InvalidJson { line: 0, column: 0 })?;
        Ok(buf)
    }

    /// Reads a v1 payload (unpadded JSON), strictly: unknown members, wrong types, non-canonical
    /// base32 and out-of-range parameters are refused.
    pub fn from_payload_json(json: &[u8]) -> Result<Self, EntryError> {
        let p: PayloadIn = serde_json::from_slice(json).map_err(|e| EntryError::InvalidJson {
            line: e.line(),
            column: e.column(),
        })?;
        let b32 = p.secret.0.as_bytes();
        if b32.is_empty() || b32.len() > PAYLOAD_SECRET_MAX_B32 {
            return Err(EntryError::InvalidSecret);
        }
        let secret =
            SecretBytes::new(crate::codec::base32_decode(b32).ok_or(EntryError::InvalidSecret)?);
        let kind = match (p.kind, p.period, p.counter) {
            (KindIn::Totp, Some(period), None) => OtpKind::Totp { period },
            (KindIn::Hotp, None, Some(counter)) => OtpKind::Hotp { counter },
            _ => return Err(EntryError::InvalidOtpParams),
        };
        let entry = Entry {
            secret,
            otp: OtpParams {
                kind,
                algorithm: p.algorithm.into(),
                digits: p.digits,
            },
            label: p.label,
            issuer: p.issuer,
            aws_account_id: p.aws_account_id,
            aws_account_alias: p.aws_account_alias,
            aws_principal: p.aws_principal.map(|pr| match pr {
                PrincipalIn::Root { email } => AwsPrincipal::Root { email },
                PrincipalIn::IamUser { name } => AwsPrincipal::IamUser { name },
            }),
            device_name: p.device_name,
            notes: p.notes,
        };
        entry.check()?;
        Ok(entry)
    }
}

#[derive(Serialize)]
struct PayloadOut<'a> {
    secret: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
    algorithm: &'static str,
    digits: u8,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_account_alias: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_principal: Option<PrincipalOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum PrincipalOut<'a> {
    Root {
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'a str>,
    },
    IamUser {
        name: &'a str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadIn {
    secret: SecretText,
    #[serde(rename = "type")]
    kind: KindIn,
    #[serde(default)]
    period: Option<u32>,
    #[serde(default)]
    counter: Option<u64>,
    algorithm: AlgorithmIn,
    digits: u8,
    label: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    aws_account_id: Option<String>,
    #[serde(default)]
    aws_account_alias: Option<String>,
    #[serde(default)]
    aws_principal: Option<PrincipalIn>,
    #[serde(default)]
    device_name: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindIn {
    Totp,
    Hotp,
}

#[derive(Deserialize)]
enum AlgorithmIn {
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "SHA512")]
    Sha512,
}

impl From<AlgorithmIn> for Algorithm {
    fn from(a: AlgorithmIn) -> Self {
        match a {
            AlgorithmIn::Sha1 => Algorithm::Sha1,
            AlgorithmIn::Sha256 => Algorithm::Sha256,
            AlgorithmIn::Sha512 => Algorithm::Sha512,
        }
    }
}

/// `{"type": "root", "email"?: string|null}` or `{"type": "iam_user", "name": string}`, nothing
/// else. Read as one flat object and checked (`PrincipalFields`), not as a serde internally tagged
/// enum: that buffers the object in serde's generic `Content` tree, whose error paths alone
/// (float formatting among them) were about 8 KB of the gzipped wasm package. Accepts exactly
/// every object the tagged enum accepted, and refuses every object it refused (tested below).
#[derive(Deserialize)]
#[serde(try_from = "PrincipalFields")]
enum PrincipalIn {
    Root { email: Option<String> },
    IamUser { name: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalFields {
    #[serde(rename = "type")]
    kind: PrincipalKind,
    /// Absent: `None`; `null`: `Some(None)`; a string: `Some(Some(_))`.
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PrincipalKind {
    Root,
    IamUser,
}

/// A member that is present, even as `null` (`#[serde(default)]` gives `None` when absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl TryFrom<PrincipalFields> for PrincipalIn {
    type Error = &'static str;

    fn try_from(f: PrincipalFields) -> Result<Self, Self::Error> {
        match (f.kind, f.email, f.name) {
            (PrincipalKind::Root, email, None) => Ok(Self::Root {
                email: email.flatten(),
            }),
            (PrincipalKind::Root, _, Some(_)) => Err("unknown field `name` for a root principal"),
            (PrincipalKind::IamUser, None, Some(Some(name))) => Ok(Self::IamUser { name }),
            (PrincipalKind::IamUser, Some(_), _) => {
                Err("unknown field `email` for an IAM user principal")
            }
            (PrincipalKind::IamUser, None, _) => Err("an IAM user principal needs a `name` string"),
        }
    }
}

/// The base32 seed while it is still text: wiped on drop.
struct SecretText(Zeroizing<String>);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretText(Zeroizing::new(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde internally tagged enum `PrincipalIn` was before: the oracle for what it reads.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    enum TaggedPrincipal {
        Root {
            #[serde(default)]
            email: Option<String>,
        },
        IamUser {
            name: String,
        },
    }

    #[test]
    fn principal_reads_exactly_what_the_tagged_enum_read() {
        let cases = [
            r#"{"type":"root"}"#,
            r#"{"type":"root","email":null}"#,
            r#"{"type":"root","email":"a@b.c"}"#,
            r#"{"email":"a@b.c","type":"root"}"#,
            r#"{"type":"root","name":"x"}"#,
            r#"{"type":"root","name":null}"#,
            r#"{"type":"root","email":1}"#,
            r#"{"type":"root","email":"a","email":"b"}"#,
            r#"{"type":"root","type":"root"}"#,
            r#"{"type":"iam_user","name":"alice"}"#,
            r#"{"name":"alice","type":"iam_user"}"#,
            r#"{"type":"iam_user"}"#,
            r#"{"type":"iam_user","name":null}"#,
            r#"{"type":"iam_user","name":"a","email":null}"#,
            r#"{"type":"iam_user","name":"a","email":"e"}"#,
            r#"{"type":"iam_user","name":"a","other":1}"#,
            r#"{"type":"IamUser","name":"a"}"#,
            r#"{"type":"admin"}"#,
            r#"{"type":null}"#,
            r#"{"email":"a@b.c"}"#,
            r#"{}"#,
            r#"[]"#,
            r#"["root"]"#,
            r#"["root","a@b.c"]"#,
            r#"["root",null]"#,
            r#""root""#,
            r#"null"#,
            r#"1.5"#,
        ];
        for json in cases {
            let old = serde_json::from_str::<TaggedPrincipal>(json).ok();
            let new = serde_json::from_str::<PrincipalIn>(json)
                .ok()
                .map(|p| match p {
                    PrincipalIn::Root { email } => TaggedPrincipal::Root { email },
                    PrincipalIn::IamUser { name } => TaggedPrincipal::IamUser { name },
                });
            assert_eq!(new, old, "{json}");
        }
        // The one difference: serde also reads structs from JSON arrays, by position. The
        // tagged enum read `[tag, ...fields of that variant]`; the flat form reads `[type,
        // email, name]`, so it refuses the array form of an IAM user (stricter). Tessera has
        // only ever written objects (`PrincipalOut`).
        let json = r#"["iam_user","alice"]"#;
        assert!(serde_json::from_str::<TaggedPrincipal>(json).is_ok());
        assert!(serde_json::from_str::<PrincipalIn>(json).is_err());
    }

    fn aws_root() -> Entry {
        let mut e = Entry::new(SecretBytes::new(vec![7u8; 40]), "root");
        e.issuer = Some("Amazon Web Services".into());
        e.aws_account_id = Some("123456789012".into());
        e.aws_principal = Some(AwsPrincipal::Root {
            email: Some("root@example.com".into()),
        });
        e.notes = Some("line\n\"quoted\" \u{1} ünïcode".into());
        e
    }

    #[test]
    fn debug_shows_no_confidential_field() {
        let mut e = aws_root();
        e.device_name = Some("my-device".into());
        e.aws_account_alias = Some("acme-prod".into());
        let shown = format!("{e:?} {:?}", e.aws_principal);
        for confidential in [
            "root\"",
            "Amazon",
            "123456789012",
            "acme-prod",
            "root@example.com",
            "my-device",
            "quoted",
            "BwcH",
            "[7, 7",
        ] {
            assert!(!shown.contains(confidential), "{confidential} in {shown}");
        }
        assert!(shown.contains("REDACTED") && shown.contains("Root"));
        let iam = AwsPrincipal::IamUser {
            name: "alice".into(),
        };
        assert_eq!(format!("{iam:?}"), "IamUser { .. }");
    }

    #[test]
    fn payload_round_trip_and_field_order() {
        let e = aws_root();
        let json = e.to_payload_json().unwrap();
        let text = core::str::from_utf8(&json).unwrap();
        assert!(text.starts_with(r#"{"secret":"A4DQ"#), "{text}");
        assert!(text.contains(r#""type":"totp","period":30,"algorithm":"SHA1","digits":6"#));
        assert!(text.contains(r#""aws_principal":{"type":"root","email":"root@example.com"}"#));
        assert_eq!(Entry::from_payload_json(&json).unwrap(), e);

        let mut h = Entry::new(SecretBytes::new(vec![1, 2, 3]), "");
        h.otp = OtpParams {
            kind: OtpKind::Hotp { counter: u64::MAX },
            algorithm: Algorithm::Sha512,
            digits: 8,
        };
        h.aws_principal = Some(AwsPrincipal::IamUser {
            name: "alice".into(),
        });
        let json = h.to_payload_json().unwrap();
        assert_eq!(Entry::from_payload_json(&json).unwrap(), h);
    }

    #[test]
    fn payload_is_strict() {
        let ok = r#"{"secret":"AEBAG","type":"totp","period":30,"algorithm":"SHA1","digits":6,"label":"x"}"#;
        assert!(Entry::from_payload_json(ok.as_bytes()).is_ok());
        let cases = [
            (
                ok.replace(r#""label":"x""#, r#""label":"x","extra":1"#),
                "entry_invalid_json",
            ),
            (
                ok.replace(r#""label":"x""#, r#""label":"x","label":"y""#),
                "entry_invalid_json",
            ),
            (ok.replace("AEBAG", "aebag"), "entry_invalid_secret"),
            (ok.replace("AEBAG", "AEBAG==="), "entry_invalid_secret"),
            (ok.replace("AEBAG", "AEBAH"), "entry_invalid_secret"),
            (ok.replace("AEBAG", ""), "entry_invalid_secret"),
            (
                ok.replace(r#""digits":6"#, r#""digits":9"#),
                "entry_invalid_otp_params",
            ),
            (
                ok.replace(r#""digits":6"#, r#""digits":"6""#),
                "entry_invalid_json",
            ),
            (
                ok.replace(r#""period":30"#, r#""period":0"#),
                "entry_invalid_otp_params",
            ),
            (
                ok.replace(r#""period":30"#, r#""counter":3"#),
                "entry_invalid_otp_params",
            ),
            (
                ok.replace(r#""period":30"#, r#""period":30,"counter":3"#),
                "entry_invalid_otp_params",
            ),
            (
                ok.replace(r#""type":"totp""#, r#""type":"hotp""#),
                "entry_invalid_otp_params",
            ),
            (ok.replace("SHA1", "sha1"), "entry_invalid_json"),
            (
                ok.replace(
                    r#""label":"x""#,
                    r#""label":"x","aws_principal":{"type":"root","x":1}"#,
                ),
                "entry_invalid_json",
            ),
            (
                ok.replace(
                    r#""label":"x""#,
                    r#""label":"x","aws_principal":{"type":"iam_user"}"#,
                ),
                "entry_invalid_json",
            ),
            (ok[..ok.len() - 1].to_string(), "entry_invalid_json"),
        ];
        for (json, code) in cases {
            let err = Entry::from_payload_json(json.as_bytes()).unwrap_err();
            assert_eq!(err.code(), code, "{json}");
        }
        let too_long = format!(
            r#"{{"secret":"{}","type":"totp","period":30,"algorithm":"SHA1","digits":6,"label":"x"}}"#,
            "A".repeat(PAYLOAD_SECRET_MAX_B32 + 8)
        );
        assert_eq!(
            Entry::from_payload_json(too_long.as_bytes()).unwrap_err(),
            EntryError::InvalidSecret
        );
        let null_ok = ok.replace(r#""label":"x""#, r#""label":"x","issuer":null"#);
        assert_eq!(
            Entry::from_payload_json(null_ok.as_bytes()).unwrap().issuer,
            None
        );
    }

    #[test]
    fn errors_never_carry_content() {
        let bad = r#"{"secret":"AEBAG","type":"totp","period":30,"algorithm":"SECRETALG","digits":6,"label":"x"}"#;
        let err = Entry::from_payload_json(bad.as_bytes()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRETALG"));
        let bad = r#"{"secret":"AEBAG","type":"totp","period":30,"algorithm":"SHA1","digits":6,"label":"x","CLIENTNAME":1}"#;
        let err = Entry::from_payload_json(bad.as_bytes()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CLIENTNAME"));
    }

    #[test]
    fn sealing_side_checks_too() {
        let mut e = Entry::new(SecretBytes::new(vec![]), "x");
        assert_eq!(e.to_payload_json().unwrap_err(), EntryError::InvalidSecret);
        e.secret = SecretBytes::new(vec![1; PAYLOAD_SECRET_MAX_LEN + 1]);
        assert_eq!(e.to_payload_json().unwrap_err(), EntryError::InvalidSecret);
        e.secret = SecretBytes::new(vec![1; PAYLOAD_SECRET_MAX_LEN]);
        assert!(Entry::from_payload_json(&e.to_payload_json().unwrap()).is_ok());
        e.otp.digits = 5;
        assert_eq!(
            e.to_payload_json().unwrap_err(),
            EntryError::InvalidOtpParams
        );
    }
}
