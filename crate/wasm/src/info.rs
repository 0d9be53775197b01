//! Entry metadata as JS sees it: everything about an entry except its seed.
//!
//! The one place that decides which fields cross into JS for lists, search results and parsed
//! URIs. There is deliberately no field here that could hold a secret.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_core::Entry;
use tessera_core::entry::AwsPrincipal;
use tessera_core::otp::{OtpKind, OtpParams};
use tessera_core::otpauth::OtpAuth;
use wasm_bindgen::JsValue;

use crate::error::Error;

/// `{id?, type, algorithm, digits, period?, counter?, label, issuer?, awsAccountId?, ...}`.
/// Absent optional fields are omitted (not `null`), so `'issuer' in info` means it is set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryInfo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub algorithm: &'static str,
    pub digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// A JS number: exact up to 2^53, which no real HOTP counter reaches (codes are computed
    /// in wasm from the exact value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<u64>,
    pub label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_account_alias: Option<&'a str>,
    /// `"root"` or `"iam_user"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_principal: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

    pub fn to_js(&self) -> Result<JsValue, Error> {
        to_js(self)
    }
}

/// A Rust value as a plain JS object, through JSON: `serde_json` (already in the module for
/// the vault payloads) writes it and the engine's native `JSON.parse` builds it. Smaller than
/// a serde-to-JS bridge, and faster for big lists (one crossing instead of one per property).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    let json = serde_json::to_string(value).map_err(|e| Error::new("internal", e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|_| Error::new("internal", "JSON.parse failed"))
}

/// A JS value as a Rust value, through `JSON.stringify` and `serde_json` (so
/// `#[serde(deny_unknown_fields)]` sees every member). `undefined` reads as JSON `null`.
pub fn from_js<T: DeserializeOwned>(value: &JsValue) -> Result<T, Error> {
    let json = if value.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| Error::bad_argument("the argument cannot be read as JSON"))?
    };
    serde_json::from_str(&json).map_err(|e| shape_error(&e))
}

/// serde's "invalid type" and "invalid value" messages quote the offending value, which may be a
/// label, an account id or a seed: only messages that name a member (never its value) pass.
fn shape_error(e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    if ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|p| msg.starts_with(p))
    {
        Error::bad_argument(msg)
    } else {
        Error::bad_argument("an argument member has the wrong type or value")
    }
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
    use super::shape_error;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // Only deserialised, to provoke serde's errors.
    struct Shape {
        label: String,
    }

    fn message(json: &str) -> String {
        match serde_json::from_str::<Shape>(json) {
            Ok(_) => String::from("parsed"),
            Err(e) => shape_error(&e).message().to_owned(),
        }
    }

    #[test]
    fn shape_errors_name_members_never_values() {
        assert!(!message(r#"{"label": 123456789012}"#).contains("123456789012"));
        assert!(!message(r#"{"label": ["SECRETLABEL"]}"#).contains("SECRETLABEL"));
        assert!(message(r#"{"labl": "x"}"#).contains("unknown field `labl`"));
        assert!(message("{}").contains("missing field `label`"));
    }
}
