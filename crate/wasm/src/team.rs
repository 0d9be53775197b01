//! The team server's request bodies in JS: conversion only. What a body holds, and what its
//! seal covers, is `tessera_core::team`'s (read it before changing anything here).

use tessera_core::team::{self, NewMember, Role};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::info::to_js;
use crate::rng::rng;
use crate::vault::Vault;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Team server request bodies (docs/SERVER.md): bytes in standard base64, ids in hex. */
export interface PatchBody {
  base_version: number;
  put_entries: string[];
  delete_entries: string[];
  meta?: string;
  seal: string;
}
export interface GrantBody { base_version: number; member_id: string; role: "manage" | "use"; grant: string; seal: string }
export interface CreateBody { snapshot: string; grants: { member_id: string; role: "manage" | "use" }[] }
export interface RotateBody { base_version: number; snapshot: string }
export interface AuditLogReport {
  ok: boolean;
  records: number;
  head: string | null;
  error: { code: string; message: string; line: number } | null;
}
"#;

/// A vault version as the server sent it: a whole number >= 0 (exact in a JS number).
fn version(v: f64) -> Result<u64, Error> {
    Some(v)
        .filter(|v| v.fract() == 0.0)
        .and_then(crate::time::floored)
        .ok_or_else(|| {
            Error::bad_argument("baseVersion must be a whole number >= 0 (the vault's version)")
        })
}

/// Member `field` of a JS object.
fn member(obj: &JsValue, field: &'static str) -> Result<JsValue, Error> {
    js_sys::Reflect::get(obj, &JsValue::from_str(field))
        .map_err(|_| Error::bad_argument(format!("grants: each item needs {field}")))
}

/// `{memberId, role, publicKeys}` from JS.
fn new_member(obj: &JsValue) -> Result<NewMember, Error> {
    let text = |field: &'static str| -> Result<String, Error> {
        member(obj, field)?
            .as_string()
            .ok_or_else(|| Error::bad_argument(format!("grants: {field} must be a string")))
    };
    let keys = member(obj, "publicKeys")?
        .dyn_into::<js_sys::Uint8Array>()
        .map_err(|_| Error::bad_argument("grants: publicKeys must be a Uint8Array"))?;
    Ok(NewMember {
        member_id: team::hex_array(&text("memberId")?, "memberId")?,
        role: Role::parse(&text("role")?)?,
        keys: team::public_keys(&keys.to_vec(), "publicKeys")?,
    })
}

#[wasm_bindgen]
impl Vault {
    /// The `PATCH /api/v1/vaults/{id}` body for every change since the vault was opened (adds,
    /// updates, removes, rename) on top of its base snapshot at `baseVersion`:
    /// `{base_version, put_entries, delete_entries, meta?, seal}`, or `null` when nothing
    /// changed. After the server accepts it, fetch the vault and open it again before the next
    /// write. Errors: `vault_no_base` (made by `Vault.create` and never created on a server),
    /// `vault_stale_base` (a body was already built from this base with another version),
    /// `vault_rotated`, `bad_argument`.
    #[wasm_bindgen(js_name = patchBody, unchecked_return_type = "PatchBody | null")]
    pub fn patch_body(
        &mut self,
        #[wasm_bindgen(js_name = baseVersion)] base_version: f64,
    ) -> Result<JsValue, Error> {
        let v = version(base_version)?;
        match self.tracked_mut()?.patch_body(v, &mut rng())? {
            Some(b) => to_js(|w| b.write_json(w)),
            None => Ok(JsValue::NULL),
        }
    }

    /// The `POST /api/v1/vaults/{id}/grants` body granting this epoch's key to a member:
    /// `{base_version, member_id, role, grant, seal}`. `role` is `manage` or `use`,
    /// `memberPublicKeys` the member's 64 bytes. Errors: `team_bad_hex`, `team_unknown_role`,
    /// `team_bad_length`, `keyring_invalid_public_key`, `vault_pending_changes` (save them
    /// first), `vault_no_base`, `vault_stale_base`, `vault_rotated`, `bad_argument`.
    #[wasm_bindgen(js_name = grantBody, unchecked_return_type = "GrantBody")]
    pub fn grant_body(
        &mut self,
        #[wasm_bindgen(js_name = baseVersion)] base_version: f64,
        #[wasm_bindgen(js_name = memberIdHex)] member_id_hex: &str,
        #[wasm_bindgen(unchecked_param_type = "'manage' | 'use'")] role: &str,
        #[wasm_bindgen(js_name = memberPublicKeys)] member_public_keys: &[u8],
    ) -> Result<JsValue, Error> {
        let v = version(base_version)?;
        let id = team::hex_array(member_id_hex, "memberId")?;
        let role = Role::parse(role)?;
        let keys = team::public_keys(member_public_keys, "memberPublicKeys")?;
        let b = self
            .tracked_mut()?
            .grant_body(v, &id, role, &keys, &mut rng())?;
        to_js(|w| b.write_json(w))
    }

    /// The `POST /api/v1/vaults` body creating this vault, granted to `grants` (`[{memberId,
    /// role, publicKeys}]`, the creator among them with `manage`) and the organisation recovery
    /// key (32 bytes): `{snapshot, grants: [{member_id, role}]}`. The snapshot becomes the
    /// vault's base at version 1. Errors: `team_bad_hex`, `team_unknown_role`,
    /// `team_bad_length`, `keyring_invalid_public_key`, `bad_argument`.
    #[wasm_bindgen(js_name = createBody, unchecked_return_type = "CreateBody")]
    pub fn create_body(
        &mut self,
        #[wasm_bindgen(
            unchecked_param_type = "{ memberId: string; role: 'manage' | 'use'; publicKeys: Uint8Array }[]"
        )]
        grants: JsValue,
        #[wasm_bindgen(js_name = recoveryPublicKey)] recovery_public_key: &[u8],
    ) -> Result<JsValue, Error> {
        if !js_sys::Array::is_array(&grants) {
            return Err(Error::bad_argument("grants must be an array"));
        }
        let members = js_sys::Array::from(&grants)
            .iter()
            .map(|g| new_member(&g))
            .collect::<Result<Vec<_>, _>>()?;
        let recovery = team::recovery_public_key(recovery_public_key, "recoveryPublicKey")?;
        let b = self
            .tracked_mut()?
            .create_body(&members, &recovery, &mut rng())?;
        to_js(|w| b.write_json(w))
    }

    /// Moves the vault to its next key epoch (fresh key) and returns the
    /// `POST /api/v1/vaults/{id}/rotate` body `{base_version, snapshot}`: every entry
    /// re-sealed, granted to exactly `memberPublicKeys` (64 bytes each) and the recovery key.
    /// The snapshot becomes the base at `baseVersion + 1`. Errors: `vault_pending_changes`
    /// (save them first), `vault_no_base`, `vault_stale_base`, `team_bad_length`,
    /// `keyring_invalid_public_key`, `bad_argument`.
    #[wasm_bindgen(js_name = rotateBody, unchecked_return_type = "RotateBody")]
    pub fn rotate_body(
        &mut self,
        #[wasm_bindgen(js_name = baseVersion)] base_version: f64,
        #[wasm_bindgen(js_name = memberPublicKeys)] member_public_keys: Vec<js_sys::Uint8Array>,
        #[wasm_bindgen(js_name = recoveryPublicKey)] recovery_public_key: &[u8],
    ) -> Result<JsValue, Error> {
        let v = version(base_version)?;
        let members = member_public_keys
            .iter()
            .map(|k| team::public_keys(&k.to_vec(), "memberPublicKeys"))
            .collect::<Result<Vec<_>, _>>()?;
        let recovery = team::recovery_public_key(recovery_public_key, "recoveryPublicKey")?;
        let body = self
            .tracked_mut()?
            .rotate_body(v, &members, &recovery, &mut rng())?;
        to_js(|w| body.write_json(w))
    }
}

/// Verifies an exported audit log (JSON Lines, FORMAT.md §13.3): hashes, links, sequence and
/// client-event signatures, along the whole log (which must start at record 1) or, with
/// `vaultIdHex`, that vault's own log; with `headHex`, also that the last record's hash is that
/// head (catches removed newest records). Returns `{ok, records, head, error: {code, message,
/// line} | null}`; `records` counts those verified before any problem, `line` is 1-based.
/// Throws `team_bad_hex` for a malformed `headHex` or `vaultIdHex`.
#[wasm_bindgen(js_name = verifyAuditLog, unchecked_return_type = "AuditLogReport")]
pub fn verify_audit_log(
    #[wasm_bindgen(js_name = jsonlText)] jsonl_text: &str,
    #[wasm_bindgen(js_name = headHex)] head_hex: Option<String>,
    #[wasm_bindgen(js_name = vaultIdHex)] vault_id_hex: Option<String>,
) -> Result<JsValue, Error> {
    let head = head_hex
        .map(|h| team::hex_array(&h, "headHex"))
        .transpose()?;
    let vault = vault_id_hex
        .map(|v| team::hex_array(&v, "vaultIdHex").map(tessera_core::vault::VaultId))
        .transpose()?;
    let r = tessera_core::audit::export::verify_jsonl(jsonl_text, vault, head.as_ref());
    let head = r.head.map(|h| tessera_core::codec::hex_encode(&h));
    to_js(|w| {
        w.begin_object();
        w.key("ok");
        w.bool(r.error.is_none());
        w.u64_member("records", r.records);
        w.str_or_null_member("head", head.as_deref());
        w.key("error");
        match &r.error {
            Some((line, e)) => {
                w.begin_object();
                w.str_member("code", e.code());
                w.str_member("message", &e.to_string());
                w.u64_member("line", *line as u64);
                w.end_object();
            }
            None => w.null(),
        }
        w.end_object();
    })
}
