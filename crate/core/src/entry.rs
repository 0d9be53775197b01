//! A vault entry: one OTP seed and what the user knows about it.
//!
//! Everything in an entry is secret (an MSP's client list is sensitive), so an entry only ever
//! leaves memory sealed (see `vault`). The sealed payload schema is in docs/FORMAT.md.

use core::fmt;

use std::borrow::Cow;

use zeroize::{Zeroize, Zeroizing};

use crate::json::{self, JsonError};

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
        let mut w = json::Writer::new(&mut buf);
        w.begin_object();
        w.str_member("secret", &secret);
        match self.otp.kind {
            OtpKind::Totp { period } => {
                w.str_member("type", "totp");
                w.u64_member("period", u64::from(period));
            }
            OtpKind::Hotp { counter } => {
                w.str_member("type", "hotp");
                w.u64_member("counter", counter);
            }
        }
        w.str_member("algorithm", self.otp.algorithm.name());
        w.u64_member("digits", u64::from(self.otp.digits));
        w.str_member("label", &self.label);
        w.opt_str_member("issuer", self.issuer.as_deref());
        w.opt_str_member("aws_account_id", self.aws_account_id.as_deref());
        w.opt_str_member("aws_account_alias", self.aws_account_alias.as_deref());
        if let Some(p) = &self.aws_principal {
            w.key("aws_principal");
            w.begin_object();
            match p {
                AwsPrincipal::Root { email } => {
                    w.str_member("type", "root");
                    w.opt_str_member("email", email.as_deref());
                }
                AwsPrincipal::IamUser { name } => {
                    w.str_member("type", "iam_user");
                    w.str_member("name", name);
                }
            }
            w.end_object();
        }
        w.opt_str_member("device_name", self.device_name.as_deref());
        w.opt_str_member("notes", self.notes.as_deref());
        w.end_object();
        Ok(buf)
    }

    /// Reads a v1 payload (unpadded JSON), strictly: unknown or duplicated members, wrong types,
    /// non-canonical base32 and out-of-range parameters are refused.
    pub fn from_payload_json(json: &[u8]) -> Result<Self, EntryError> {
        let mut r = json::Reader::new(json);
        let p = read_payload(&mut r).map_err(|_| {
            let (line, column) = r.line_col();
            EntryError::InvalidJson { line, column }
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
                algorithm: p.algorithm,
                digits: p.digits,
            },
            label: p.label,
            issuer: p.issuer,
            aws_account_id: p.aws_account_id,
            aws_account_alias: p.aws_account_alias,
            aws_principal: p.aws_principal,
            device_name: p.device_name,
            notes: p.notes,
        };
        entry.check()?;
        Ok(entry)
    }
}

/// The payload's members as read, before the entry's own checks.
struct PayloadIn<'a> {
    secret: SecretText<'a>,
    kind: KindIn,
    period: Option<u32>,
    counter: Option<u64>,
    algorithm: Algorithm,
    digits: u8,
    label: String,
    issuer: Option<String>,
    aws_account_id: Option<String>,
    aws_account_alias: Option<String>,
    aws_principal: Option<AwsPrincipal>,
    device_name: Option<String>,
    notes: Option<String>,
}

enum KindIn {
    Totp,
    Hotp,
}

/// The base32 seed while it is still text: borrowed from the (wiped) decrypted payload, or, when
/// the payload escaped a character, an owned copy wiped on drop.
struct SecretText<'a>(Cow<'a, str>);

impl Drop for SecretText<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(s) = &mut self.0 {
            s.zeroize();
        }
    }
}

fn read_payload<'a>(r: &mut json::Reader<'a>) -> Result<PayloadIn<'a>, JsonError> {
    let mut secret = None;
    let mut kind = None;
    let mut period = None;
    let mut counter = None;
    let mut algorithm = None;
    let mut digits = None;
    let mut label = None;
    let mut issuer = None;
    let mut account_id = None;
    let mut account_alias = None;
    let mut principal = None;
    let mut device_name = None;
    let mut notes = None;
    r.object()?;
    let mut first = true;
    while let Some(key) = r.member(&mut first)? {
        match &*key {
            "secret" => {
                let s = SecretText(r.string()?);
                json::once(&mut secret, "secret", s)?;
            }
            "type" => {
                let k = match &*r.string()? {
                    "totp" => KindIn::Totp,
                    "hotp" => KindIn::Hotp,
                    _ => return Err(JsonError::Type),
                };
                json::once(&mut kind, "type", k)?;
            }
            "period" => {
                let v = if r.null()? { None } else { Some(r.u32()?) };
                json::once(&mut period, "period", v)?;
            }
            "counter" => {
                let v = r.opt_u64()?;
                json::once(&mut counter, "counter", v)?;
            }
            "algorithm" => {
                let a = match &*r.string()? {
                    "SHA1" => Algorithm::Sha1,
                    "SHA256" => Algorithm::Sha256,
                    "SHA512" => Algorithm::Sha512,
                    _ => return Err(JsonError::Type),
                };
                json::once(&mut algorithm, "algorithm", a)?;
            }
            "digits" => {
                let d = r.u8()?;
                json::once(&mut digits, "digits", d)?;
            }
            "label" => {
                let l = r.owned_string()?;
                json::once(&mut label, "label", l)?;
            }
            "issuer" => json::once_opt_string(r, &mut issuer, "issuer")?,
            "aws_account_id" => json::once_opt_string(r, &mut account_id, "aws_account_id")?,
            "aws_account_alias" => {
                json::once_opt_string(r, &mut account_alias, "aws_account_alias")?
            }
            "aws_principal" => {
                let p = if r.null()? {
                    None
                } else {
                    Some(read_principal(r)?)
                };
                json::once(&mut principal, "aws_principal", p)?;
            }
            "device_name" => json::once_opt_string(r, &mut device_name, "device_name")?,
            "notes" => json::once_opt_string(r, &mut notes, "notes")?,
            other => return Err(JsonError::Unknown(other.to_owned())),
        }
    }
    Ok(PayloadIn {
        secret: json::required(secret, "secret")?,
        kind: json::required(kind, "type")?,
        period: period.flatten(),
        counter: counter.flatten(),
        algorithm: json::required(algorithm, "algorithm")?,
        digits: json::required(digits, "digits")?,
        label: json::required(label, "label")?,
        issuer: issuer.flatten(),
        aws_account_id: account_id.flatten(),
        aws_account_alias: account_alias.flatten(),
        aws_principal: principal.flatten(),
        device_name: device_name.flatten(),
        notes: notes.flatten(),
    })
}

/// `{"type": "root", "email"?: string|null}` or `{"type": "iam_user", "name": string}`, nothing
/// else (any member order; `email: null` reads as absent).
fn read_principal(r: &mut json::Reader<'_>) -> Result<AwsPrincipal, JsonError> {
    let mut root = None;
    let mut email: Option<Option<String>> = None;
    let mut name: Option<Option<String>> = None;
    r.object()?;
    let mut first = true;
    while let Some(key) = r.member(&mut first)? {
        match &*key {
            "type" => {
                let is_root = match &*r.string()? {
                    "root" => true,
                    "iam_user" => false,
                    _ => return Err(JsonError::Type),
                };
                json::once(&mut root, "type", is_root)?;
            }
            "email" => json::once_opt_string(r, &mut email, "email")?,
            "name" => json::once_opt_string(r, &mut name, "name")?,
            other => return Err(JsonError::Unknown(other.to_owned())),
        }
    }
    match (json::required(root, "type")?, email, name) {
        (true, email, None) => Ok(AwsPrincipal::Root {
            email: email.flatten(),
        }),
        (false, None, Some(Some(name))) => Ok(AwsPrincipal::IamUser { name }),
        _ => Err(JsonError::Type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The serde structs the payload was read with before `json::Reader`: the oracle for what
    /// the reader accepts (every case below must read the same, or be refused by both).
    #[allow(dead_code)]
    mod oracle {
        use crate::Algorithm;
        use serde::Deserialize;
        use zeroize::Zeroizing;

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct PayloadIn {
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
        fn present<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Option<String>>, D::Error> {
            Option::<String>::deserialize(d).map(Some)
        }

        impl TryFrom<PrincipalFields> for PrincipalIn {
            type Error = &'static str;

            fn try_from(f: PrincipalFields) -> Result<Self, Self::Error> {
                match (f.kind, f.email, f.name) {
                    (PrincipalKind::Root, email, None) => Ok(Self::Root {
                        email: email.flatten(),
                    }),
                    (PrincipalKind::Root, _, Some(_)) => {
                        Err("unknown field `name` for a root principal")
                    }
                    (PrincipalKind::IamUser, None, Some(Some(name))) => Ok(Self::IamUser { name }),
                    (PrincipalKind::IamUser, Some(_), _) => {
                        Err("unknown field `email` for an IAM user principal")
                    }
                    (PrincipalKind::IamUser, None, _) => {
                        Err("an IAM user principal needs a `name` string")
                    }
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
    }

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
            let mut r = json::Reader::new(json.as_bytes());
            let new = read_principal(&mut r)
                .and_then(|p| r.end().map(|()| p))
                .ok()
                .map(|p| match p {
                    AwsPrincipal::Root { email } => TaggedPrincipal::Root { email },
                    AwsPrincipal::IamUser { name } => TaggedPrincipal::IamUser { name },
                });
            if json.starts_with('[') {
                // The one difference: serde also read structs from JSON arrays, by position.
                // The reader refuses them (FORMAT.md §4.4: objects); Tessera has only ever
                // written objects.
                assert_eq!(new, None, "{json}");
            } else {
                assert_eq!(new, old, "{json}");
            }
        }
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
    fn payload_reader_accepts_exactly_what_serde_accepted() {
        let ok = r#"{"secret":"AEBAG","type":"totp","period":30,"algorithm":"SHA1","digits":6,"label":"x"}"#;
        let edits: &[(&str, &str)] = &[
            ("", ""),
            ("{", " {\n\t"),
            ("}", " } \r\n"),
            (r#""secret""#, r#""\u0073ecret""#),
            (r#""label":"x""#, r#""label":"\u00e9\ud83d\ude00\n""#),
            (r#""label":"x""#, r#""label":"\ud83d""#),
            (r#""label":"x""#, r#""label":"\ude00x""#),
            (r#""label":"x""#, r#""label":"a\qb""#),
            (r#""label":"x""#, r#""label":null"#),
            (r#""label":"x""#, r#""label":"x","issuer":null,"notes":"n""#),
            (
                r#""label":"x""#,
                r#""label":"x","issuer":null,"issuer":"i""#,
            ),
            (r#""label":"x""#, r#""label":"x","issuer":1"#),
            (r#""label":"x""#, r#""label":"x","aws_principal":null"#),
            (
                r#""label":"x""#,
                r#""label":"x","aws_principal":{"type":"root"}"#,
            ),
            (r#""label":"x""#, r#""label":"x","aws_principal":[]"#),
            (
                r#""label":"x""#,
                r#""label":"x","aws_principal":{"name":"a","type":"iam_user"}"#,
            ),
            (
                r#""label":"x""#,
                r#""label":"x","aws_principal":{"type":"iam_user","name":"a","name":"b"}"#,
            ),
            (
                r#""label":"x""#,
                r#""label":"x","device_name":"d","aws_account_id":"1","aws_account_alias":"a""#,
            ),
            (r#""label":"x""#, r#""label":"x","Label":"y""#),
            (r#""label":"x""#, r#""label":"x","#),
            (r#""period":30"#, r#""period":null"#),
            (r#""period":30"#, r#""period":30.0"#),
            (r#""period":30"#, r#""period":3e1"#),
            (r#""period":30"#, r#""period":-30"#),
            (r#""period":30"#, r#""period":030"#),
            (r#""period":30"#, r#""period":4294967296"#),
            (r#""period":30"#, r#""period":null,"period":30"#),
            (r#""period":30"#, r#""counter":18446744073709551615"#),
            (r#""period":30"#, r#""counter":18446744073709551616"#),
            (r#""digits":6"#, r#""digits":255"#),
            (r#""digits":6"#, r#""digits":256"#),
            (r#""digits":6"#, r#""digits":true"#),
            (r#""digits":6,"#, ""),
            (r#""type":"totp""#, r#""type":"TOTP""#),
            (r#""type":"totp""#, r#""type":null"#),
            (r#""algorithm":"SHA1""#, r#""algorithm":"SHA256""#),
            (r#""algorithm":"SHA1""#, r#""algorithm":"SHA512""#),
            (r#""secret":"AEBAG""#, r#""secret":"AEB\u0041G""#),
            (r#""secret":"AEBAG""#, r#""secret":["AEBAG"]"#),
            ("}", "}}"),
            ("}", "} x"),
            (":", " : "),
            (",", " , "),
        ];
        for (from, to) in edits {
            let json = ok.replacen(from, to, 1);
            let theirs = serde_json::from_str::<oracle::PayloadIn>(&json).is_ok();
            let mut r = json::Reader::new(json.as_bytes());
            let ours = read_payload(&mut r).and_then(|_| r.end()).is_ok();
            assert_eq!(ours, theirs, "{json}");
        }
        for json in [
            "",
            "null",
            "[]",
            "{}",
            r#"["AEBAG","totp",30,null,"SHA1",6,"x"]"#,
        ] {
            let mut r = json::Reader::new(json.as_bytes());
            assert!(read_payload(&mut r).is_err(), "{json}");
        }
    }

    #[test]
    fn payload_bytes_are_what_serde_json_wrote() {
        let mut e = aws_root();
        e.device_name = Some("d\u{1f}\u{7f}\"".into());
        e.aws_account_alias = Some("acme/\\prod".into());
        let json = e.to_payload_json().unwrap();
        let expected = format!(
            "{{\"secret\":{},\"type\":\"totp\",\"period\":30,\"algorithm\":\"SHA1\",\"digits\":6,\
             \"label\":\"root\",\"issuer\":\"Amazon Web Services\",\"aws_account_id\":\"123456789012\",\
             \"aws_account_alias\":{},\"aws_principal\":{{\"type\":\"root\",\"email\":\"root@example.com\"}},\
             \"device_name\":{},\"notes\":{}}}",
            serde_json::to_string(e.secret.to_base32().as_str()).unwrap(),
            serde_json::to_string("acme/\\prod").unwrap(),
            serde_json::to_string("d\u{1f}\u{7f}\"").unwrap(),
            serde_json::to_string(e.notes.as_deref().unwrap()).unwrap(),
        );
        assert_eq!(core::str::from_utf8(&json).unwrap(), expected);
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
