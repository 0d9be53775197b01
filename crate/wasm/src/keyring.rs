//! A member's keyring in JS: a handle on key pairs held in wasm memory.
//!
//! `Keyring.unlock()` and `seal()` run Argon2id (64 MiB, 3 passes by default) synchronously,
//! for about a second: call them from a worker, never from a page's or popup's main thread.

use serde::{Deserialize, Serialize};
use tessera_core::keyring::{self as core_keyring, KdfParams};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::info::{from_js, to_js};
use crate::rng::rng;

/// Argon2id cost as JS passes and reads it: `{mKib, t, p}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Kdf {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl From<KdfParams> for Kdf {
    fn from(k: KdfParams) -> Self {
        Self {
            m_kib: k.m_kib,
            t: k.t,
            p: k.p,
        }
    }
}

/// An unlocked keyring. Its secret keys never leave wasm; `lock()` (or `free()`) wipes them.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Keyring {
    inner: Option<core_keyring::Keyring>,
}

impl Keyring {
    pub(crate) fn core(&self) -> Result<&core_keyring::Keyring, Error> {
        self.inner.as_ref().ok_or_else(Error::keyring_locked)
    }
}

#[wasm_bindgen]
impl Keyring {
    /// Fresh key pairs (X25519 for grants, Ed25519 for signatures) from the platform RNG.
    pub fn generate() -> Keyring {
        Keyring {
            inner: Some(core_keyring::Keyring::generate(&mut rng())),
        }
    }

    /// Opens a sealed keyring (`Uint8Array`) with the passphrase. Runs Argon2id: use a worker.
    /// Errors: `keyring_wrong_passphrase_or_tampered`, `keyring_bad_magic`,
    /// `keyring_unsupported_version`, `keyring_kdf_params_out_of_range`, `keyring_malformed`, ...
    pub fn unlock(sealed: &[u8], passphrase: String) -> Result<Keyring, Error> {
        let passphrase = Zeroizing::new(passphrase);
        let inner = core_keyring::Keyring::open(sealed, passphrase.as_bytes())?;
        Ok(Keyring { inner: Some(inner) })
    }

    /// Seals the keyring under `passphrase` (Argon2id at `kdf`, default `{mKib: 65536, t: 3,
    /// p: 1}`) and returns the bytes to store. Runs Argon2id: use a worker.
    pub fn seal(
        &self,
        passphrase: String,
        #[wasm_bindgen(unchecked_optional_param_type = "KdfParams")] kdf: JsValue,
    ) -> Result<Vec<u8>, Error> {
        let passphrase = Zeroizing::new(passphrase);
        let params = if kdf.is_undefined() || kdf.is_null() {
            KdfParams::DEFAULT
        } else {
            let k: Kdf = from_js(&kdf)?;
            KdfParams {
                m_kib: k.m_kib,
                t: k.t,
                p: k.p,
            }
        };
        Ok(self
            .core()?
            .seal(passphrase.as_bytes(), params, &mut rng())?)
    }

    /// The member fingerprint as shown to people (`XXXX XXXX ...`, 8 groups).
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> Result<String, Error> {
        Ok(self.core()?.fingerprint().to_display())
    }

    /// The 64 public-key bytes sent to the server: `x25519_public || ed25519_public`.
    #[wasm_bindgen(js_name = publicKeys)]
    pub fn public_keys(&self) -> Result<Vec<u8>, Error> {
        Ok(self.core()?.public().to_bytes().to_vec())
    }

    /// Wipes the secret keys now; later calls throw `keyring_locked`.
    pub fn lock(&mut self) {
        self.inner = None;
    }

    #[wasm_bindgen(getter)]
    pub fn locked(&self) -> bool {
        self.inner.is_none()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    kdf: Kdf,
    fingerprint: String,
    fingerprint_hex: String,
}

/// What a sealed keyring says without its passphrase: `{kdf: {mKib, t, p}, fingerprint,
/// fingerprintHex}`. Cheap (no Argon2id).
#[wasm_bindgen(js_name = keyringHeader, unchecked_return_type = "KeyringHeader")]
pub fn keyring_header(sealed: &[u8]) -> Result<JsValue, Error> {
    let h = core_keyring::Keyring::read_header(sealed)?;
    let fp = h.public.fingerprint();
    to_js(&Header {
        kdf: h.kdf.into(),
        fingerprint: fp.to_display(),
        fingerprint_hex: fp.to_hex(),
    })
}

/// The default Argon2id cost `{mKib, t, p}`, and the floor and ceiling accepted.
#[wasm_bindgen(
    js_name = kdfParams,
    unchecked_return_type = "{ default: KdfParams; min: KdfParams; max: KdfParams }"
)]
pub fn kdf_params() -> Result<JsValue, Error> {
    #[derive(Serialize)]
    struct All {
        default: Kdf,
        min: Kdf,
        max: Kdf,
    }
    to_js(&All {
        default: KdfParams::DEFAULT.into(),
        min: KdfParams::MIN.into(),
        max: KdfParams::MAX.into(),
    })
}
