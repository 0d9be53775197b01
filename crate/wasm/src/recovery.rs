//! The organisation recovery key (break-glass, FORMAT.md §7) in JS: reading a kit to its public
//! half, and creating one. The kit text is a secret that only `createRecoveryKit()` returns.

use tessera_core::grant::{RecoveryKey, RecoveryPublicKey};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::info::to_js;
use crate::rng::rng;

/// `{publicKey: Uint8Array(32), fingerprint, fingerprintHex}` of a recovery public key.
fn describe(public: &RecoveryPublicKey) -> Result<JsValue, Error> {
    let fp = public.fingerprint();
    let out = to_js(|w| {
        w.begin_object();
        w.str_member("fingerprint", &fp.to_display());
        w.str_member("fingerprintHex", &fp.to_hex());
        w.end_object();
    })?;
    let key = js_sys::Uint8Array::from(&public.0[..]);
    // Setting a property on an object this module just built cannot fail.
    let _ = js_sys::Reflect::set(&out, &JsValue::from_str("publicKey"), &key);
    Ok(out)
}

/// Reads a recovery kit as typed (case, spaces and `0`/`1`/`8` misreadings forgiven) and
/// returns its public half `{publicKey, fingerprint, fingerprintHex}`, never the secret.
/// Errors: `recovery_kit_bad_prefix`, `recovery_kit_unsupported_version`,
/// `recovery_kit_malformed`, `recovery_kit_checksum_mismatch`.
#[wasm_bindgen(js_name = readRecoveryKit, unchecked_return_type = "RecoveryKitInfo")]
pub fn read_recovery_kit(kit: String) -> Result<JsValue, Error> {
    let kit = Zeroizing::new(kit);
    describe(RecoveryKey::from_kit(&kit)?.public())
}

/// Manage flow only: a new organisation recovery key. Returns `{kit, publicKey, fingerprint,
/// fingerprintHex}`; `kit` is the secret text to print once and never store.
#[wasm_bindgen(
    js_name = createRecoveryKit,
    unchecked_return_type = "RecoveryKitInfo & { kit: string }"
)]
pub fn create_recovery_kit() -> Result<JsValue, Error> {
    let key = RecoveryKey::generate(&mut rng());
    let out = describe(key.public())?;
    let kit = js_sys::JsString::from(key.to_kit().as_str());
    let _ = js_sys::Reflect::set(&out, &JsValue::from_str("kit"), &kit);
    Ok(out)
}

/// The recovery key of a kit, for `Vault.openWithRecovery`.
pub(crate) fn key_from_kit(kit: String) -> Result<RecoveryKey, Error> {
    let kit = Zeroizing::new(kit);
    Ok(RecoveryKey::from_kit(&kit)?)
}
