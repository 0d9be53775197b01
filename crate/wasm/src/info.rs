//! Entry metadata as JS sees it: everything about an entry except its seed.
//!
//! The one place that decides which fields cross into JS for lists, search results and parsed
//! URIs. There is deliberately no field here that could hold a secret.

use tessera_core::Entry;
use tessera_core::entry::AwsPrincipal;
use tessera_core::json::{JsonError, Reader, Writer};
use tessera_core::otp::{OtpKind, OtpParams};
use tessera_core::otpauth::OtpAuth;
use wasm_bindgen::JsValue;

use crate::error::Error;

/// `{id?, type, algorithm, digits, period?, counter?, label, issuer?, awsAccountId?, ...}`.
/// Absent optional fields are omitted (not `null`), so `'issuer' in info` means it is set.
#[derive(Debug)]
pub struct EntryInfo<'a> {
    pub id: Option<&'a str>,
    pub kind: &'static str,
    pub algorithm: &'static str,
    pub digits: u8,
    pub period: Option<u32>,
    /// A JS number: exact up to 2^53, which no real HOTP counter reaches (codes are computed
    /// in wasm from the exact value).
    pub counter: Option<u64>,
    pub label: &'a str,
    pub issuer: Option<&'a str>,
    pub aws_account_id: Option<&'a str>,
    pub aws_account_alias: Option<&'a str>,
    /// `"root"` or `"iam_user"`.
    pub aws_principal: Option<&'static str>,
    pub iam_user_name: Option<&'a str>,
    pub root_email: Option<&'a str>,
    pub device_name: Option<&'a str>,
    pub notes: Option<&'a str>,
}

struct Principal<'a> {
    kind: Option<&'static str>,
    iam_user_name: Option<&'a str>,
    root_email: Option<&'a str>,
}

fn principal(p: Option<&AwsPrincipal>) -> Principal<'_> {
    match p {
        None => Principal {
            kind: None,
            iam_user_name: None,
            root_email: None,
        },
        Some(AwsPrincipal::Root { email }) => Principal {
            kind: Some("root"),
            iam_user_name: None,
            root_email: email.as_deref(),
        },
        Some(AwsPrincipal::IamUser { name }) => Principal {
            kind: Some("iam_user"),
            iam_user_name: Some(name),
            root_email: None,
        },
    }
}

fn params(p: &OtpParams) -> (&'static str, Option<u32>, Option<u64>) {
    match p.kind {
        OtpKind::Totp { period } => (p.kind.name(), Some(period), None),
        OtpKind::Hotp { counter } => (p.kind.name(), None, Some(counter)),
    }
}

impl<'a> EntryInfo<'a> {
    pub fn of_entry(id: Option<&'a str>, e: &'a Entry) -> Self {
        let (kind, period, counter) = params(&e.otp);
        let p = principal(e.aws_principal.as_ref());
        Self {
            id,
            kind,
            algorithm: e.otp.algorithm.name(),
            digits: e.otp.digits,
            period,
            counter,
            label: &e.label,
            issuer: e.issuer.as_deref(),
            aws_account_id: e.aws_account_id.as_deref(),
            aws_account_alias: e.aws_account_alias.as_deref(),
            aws_principal: p.kind,
            iam_user_name: p.iam_user_name,
            root_email: p.root_email,
            device_name: e.device_name.as_deref(),
            notes: e.notes.as_deref(),
        }
    }

    pub fn of_otpauth(o: &'a OtpAuth) -> Self {
        let (kind, period, counter) = params(&o.params);
        let p = principal(o.aws_principal.as_ref());
        Self {
            id: None,
            kind,
            algorithm: o.params.algorithm.name(),
            digits: o.params.digits,
            period,
            counter,
            label: &o.account,
            issuer: o.issuer.as_deref(),
            aws_account_id: o.aws_account_id.as_deref(),
            aws_account_alias: o.aws_account_alias.as_deref(),
            aws_principal: p.kind,
            iam_user_name: p.iam_user_name,
            root_email: p.root_email,
            device_name: o.device_name.as_deref(),
            notes: None,
        }
    }

    /// The object as JSON, in this member order.
    pub fn write(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.opt_str_member("id", self.id);
        w.str_member("type", self.kind);
        w.str_member("algorithm", self.algorithm);
        w.u64_member("digits", u64::from(self.digits));
        if let Some(p) = self.period {
            w.u64_member("period", u64::from(p));
        }
        if let Some(c) = self.counter {
            w.u64_member("counter", c);
        }
        w.str_member("label", self.label);
        w.opt_str_member("issuer", self.issuer);
        w.opt_str_member("awsAccountId", self.aws_account_id);
        w.opt_str_member("awsAccountAlias", self.aws_account_alias);
        w.opt_str_member("awsPrincipal", self.aws_principal);
        w.opt_str_member("iamUserName", self.iam_user_name);
        w.opt_str_member("rootEmail", self.root_email);
        w.opt_str_member("deviceName", self.device_name);
        w.opt_str_member("notes", self.notes);
        w.end_object();
    }

    pub fn to_js(&self) -> Result<JsValue, Error> {
        to_js(|w| self.write(w))
    }
}

/// JSON written by `write` as a plain JS object: the engine's native `JSON.parse` builds it.
/// Small, and fast for big lists (one crossing instead of one per property).
pub fn to_js(write: impl FnOnce(&mut Writer<'_>)) -> Result<JsValue, Error> {
    let mut buf = Vec::new();
    write(&mut Writer::new(&mut buf));
    let json =
        core::str::from_utf8(&buf).map_err(|_| Error::new("internal", "JSON writer output"))?;
    js_sys::JSON::parse(json).map_err(|_| Error::new("internal", "JSON.parse failed"))
}

/// A JS value read by `read` from its `JSON.stringify` text (so `undefined` members are
/// absent, and `read` sees every member). `undefined` reads as JSON `null`. The whole text
/// must be read.
pub fn from_js<T>(
    value: &JsValue,
    read: impl FnOnce(&mut Reader<'_>) -> Result<T, JsonError>,
) -> Result<T, Error> {
    let json = if value.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| Error::bad_argument("the argument cannot be read as JSON"))?
    };
    read_json(&json, read)
}

fn read_json<T>(
    json: &str,
    read: impl FnOnce(&mut Reader<'_>) -> Result<T, JsonError>,
) -> Result<T, Error> {
    let mut r = Reader::new(json.as_bytes());
    read(&mut r)
        .and_then(|v| r.end().map(|()| v))
        .map_err(|e| shape_error(&e))
}

/// Messages name a member, never its value (which may be a label, an account id or a seed).
fn shape_error(e: &JsonError) -> Error {
    Error::bad_argument(e.message())
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Everything about an entry but its seed. Absent optional members are omitted. */
export interface EntryInfo {
  id?: string;
  type: "totp" | "hotp";
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: 6 | 7 | 8;
  period?: number;
  counter?: number;
  label: string;
  issuer?: string;
  awsAccountId?: string;
  awsAccountAlias?: string;
  awsPrincipal?: "root" | "iam_user";
  iamUserName?: string;
  rootEmail?: string;
  deviceName?: string;
  notes?: string;
}

/** A metadata edit: an absent member is kept, `null` (or "") clears it. Never a seed. */
export interface EntryEdit {
  label?: string;
  issuer?: string | null;
  awsAccountId?: string | null;
  awsAccountAlias?: string | null;
  awsPrincipal?: "root" | "iam_user" | null;
  iamUserName?: string | null;
  rootEmail?: string | null;
  deviceName?: string | null;
  notes?: string | null;
}

export interface ImportReport {
  added: { id: string; line: number; index?: number }[];
  failed: { line: number; index?: number; error: string; message: string }[];
}

export interface MigrationPreview {
  version: number;
  batchSize: number;
  batchIndex: number;
  batchId: number;
  entries: (EntryInfo | { error: string; message: string })[];
}

/** Argon2id cost: memory in KiB, passes, lanes. */
export interface KdfParams { mKib: number; t: number; p: number }

export interface KeyringHeader { kdf: KdfParams; fingerprint: string; fingerprintHex: string }

export interface RecoveryKitInfo { publicKey: Uint8Array; fingerprint: string; fingerprintHex: string }

/** Thrown by every function of this package: `code` is stable, `message` is for people. */
export interface TesseraError extends Error { code: string }
"#;

#[cfg(test)]
mod tests {
    use super::read_json;
    use tessera_core::json::{JsonError, once, required};

    /// `{label: string}`, nothing else.
    fn message(json: &str) -> String {
        let res = read_json(json, |r| {
            let mut label = None;
            r.object()?;
            let mut first = true;
            while let Some(k) = r.member(&mut first)? {
                match &*k {
                    "label" => once(&mut label, "label", r.owned_string()?)?,
                    other => return Err(JsonError::Unknown(other.to_owned())),
                }
            }
            required(label, "label")
        });
        match res {
            Ok(_) => String::from("parsed"),
            Err(e) => e.message().to_owned(),
        }
    }

    #[test]
    fn shape_errors_name_members_never_values() {
        assert_eq!(message(r#"{"label": "x"}"#), "parsed");
        assert!(!message(r#"{"label": 123456789012}"#).contains("123456789012"));
        assert!(!message(r#"{"label": ["SECRETLABEL"]}"#).contains("SECRETLABEL"));
        assert!(message(r#"{"labl": "x"}"#).contains("unknown field `labl`"));
        assert!(message("{}").contains("missing field `label`"));
        assert!(message(r#"{"label": "x", "label": "y"}"#).contains("duplicate field `label`"));
        assert!(!message(r#"{"label": "x"} "SECRETTAIL""#).contains("SECRETTAIL"));
    }
}
