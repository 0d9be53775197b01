//! A member's keyring in JS: a handle on key pairs held in wasm memory.
//!
//! `Keyring.unlock()` and `seal()` run Argon2id (64 MiB, 3 passes by default) synchronously,
//! for about a second: call them from a worker, never from a page's or popup's main thread.

use tessera_core::json::{JsonError, Reader, Writer, once, required};
use tessera_core::keyring::{self as core_keyring, KdfParams};
use tessera_core::team;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::info::{from_js, to_js};
use crate::rng::rng;
use crate::time::unix_millis;

/// `SECRET_BLOCK_LEN` as a JS array length.
const SECRET_BLOCK_LEN_U32: u32 = 64;
const _: () = assert!(SECRET_BLOCK_LEN_U32 as usize == core_keyring::SECRET_BLOCK_LEN);

/// Argon2id cost as JS passes and reads it: `{mKib, t, p}`.
#[derive(Debug)]
struct Kdf {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Kdf {
    fn write(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.u64_member("mKib", u64::from(self.m_kib));
        w.u64_member("t", u64::from(self.t));
        w.u64_member("p", u64::from(self.p));
        w.end_object();
    }

    /// `{mKib, t, p}`, each a whole number in u32 range, no other member.
    fn read(r: &mut Reader<'_>) -> Result<Self, JsonError> {
        let (mut m_kib, mut t, mut p) = (None, None, None);
        r.object()?;
        let mut first = true;
        while let Some(key) = r.member(&mut first)? {
            match &*key {
                "mKib" => once(&mut m_kib, "mKib", r.u32()?)?,
                "t" => once(&mut t, "t", r.u32()?)?,
                "p" => once(&mut p, "p", r.u32()?)?,
                other => return Err(JsonError::Unknown(other.to_owned())),
            }
        }
        Ok(Self {
            m_kib: required(m_kib, "mKib")?,
            t: required(t, "t")?,
            p: required(p, "p")?,
        })
    }
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
            let k = from_js(&kdf, Kdf::read)?;
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

    /// The base64 Ed25519 signature that answers a sign-in challenge (FORMAT.md §13.5):
    /// `audience` is the server origin this client knows (`https://host[:port]`, not the one
    /// the server sends), `challengeIdHex` and `nonceB64` as the server sent them.
    /// Errors: `team_bad_hex`, `team_bad_base64`, `keyring_locked`.
    #[wasm_bindgen(js_name = signChallenge)]
    pub fn sign_challenge(
        &self,
        audience: &str,
        #[wasm_bindgen(js_name = challengeIdHex)] challenge_id_hex: &str,
        #[wasm_bindgen(js_name = nonceB64)] nonce_b64: &str,
    ) -> Result<String, Error> {
        Ok(team::sign_challenge(
            self.core()?,
            audience,
            challenge_id_hex,
            nonce_b64,
        )?)
    }

    /// A signed client audit event, `{event, signature}` (base64): the body of
    /// `POST /api/v1/audit/events`. `action` is `reveal`, `copy` or `fill`; `timeMs` the
    /// client's clock (`Date.now()`); `host` the page's lower-case host, `""` without a page.
    /// Errors: `team_unknown_action`, `team_bad_hex`, `audit_invalid_host`, `bad_argument`.
    #[wasm_bindgen(
        js_name = signEvent,
        unchecked_return_type = "{ event: string; signature: string }"
    )]
    pub fn sign_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "'reveal' | 'copy' | 'fill'")] action: &str,
        #[wasm_bindgen(js_name = vaultIdHex)] vault_id_hex: &str,
        #[wasm_bindgen(js_name = entryIdHex)] entry_id_hex: &str,
        #[wasm_bindgen(js_name = timeMs)] time_ms: f64,
        host: &str,
    ) -> Result<JsValue, Error> {
        let time_ms = unix_millis(time_ms)?;
        let b = team::sign_event(
            self.core()?,
            action,
            vault_id_hex,
            entry_id_hex,
            time_ms,
            host,
            &mut rng(),
        )?;
        to_js(|w| {
            w.begin_object();
            w.str_member("event", &b.event);
            w.str_member("signature", &b.signature);
            w.end_object();
        })
    }

    /// The keyring's secret keys (64 bytes), to keep an unlocked keyring across a service-worker
    /// restart in memory-only `storage.session` (the same trade-off as `vaultSessionKey`).
    /// Whoever holds them holds the keyring: wipe the array (`fill(0)`) when done.
    #[wasm_bindgen(js_name = sessionSecret)]
    pub fn session_secret(&self) -> Result<js_sys::Uint8Array, Error> {
        let block = self.core()?.secret_block();
        // Copied straight from the zeroized block into JS memory: no unwiped copy in wasm.
        let out = js_sys::Uint8Array::new_with_length(SECRET_BLOCK_LEN_U32);
        out.copy_from(block.as_ref());
        Ok(out)
    }

    /// The keyring of bytes from `sessionSecret()`. Errors: `keyring_malformed` (not 64
    /// bytes), `keyring_key_mismatch` (not secret keys this code writes).
    #[wasm_bindgen(js_name = fromSessionSecret)]
    pub fn from_session_secret(secret: &js_sys::Uint8Array) -> Result<Keyring, Error> {
        if secret.length() != SECRET_BLOCK_LEN_U32 {
            return Err(Error::new(
                "keyring_malformed",
                "a session secret is 64 bytes",
            ));
        }
        // Read into a buffer that is wiped on drop (a `&[u8]` argument would leave a copy).
        let mut block = Zeroizing::new([0u8; core_keyring::SECRET_BLOCK_LEN]);
        secret.copy_to(block.as_mut());
        Ok(Keyring {
            inner: Some(core_keyring::Keyring::from_secret_block(block.as_ref())?),
        })
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

/// What a sealed keyring says without its passphrase: `{kdf: {mKib, t, p}, fingerprint,
/// fingerprintHex}`. Cheap (no Argon2id).
#[wasm_bindgen(js_name = keyringHeader, unchecked_return_type = "KeyringHeader")]
pub fn keyring_header(sealed: &[u8]) -> Result<JsValue, Error> {
    let h = core_keyring::Keyring::read_header(sealed)?;
    let fp = h.public.fingerprint();
    to_js(|w| {
        w.begin_object();
        w.key("kdf");
        Kdf::from(h.kdf).write(w);
        w.str_member("fingerprint", &fp.to_display());
        w.str_member("fingerprintHex", &fp.to_hex());
        w.end_object();
    })
}

/// The default Argon2id cost `{mKib, t, p}`, and the floor and ceiling accepted.
#[wasm_bindgen(
    js_name = kdfParams,
    unchecked_return_type = "{ default: KdfParams; min: KdfParams; max: KdfParams }"
)]
pub fn kdf_params() -> Result<JsValue, Error> {
    to_js(|w| {
        w.begin_object();
        for (name, k) in [
            ("default", KdfParams::DEFAULT),
            ("min", KdfParams::MIN),
            ("max", KdfParams::MAX),
        ] {
            w.key(name);
            Kdf::from(k).write(w);
        }
        w.end_object();
    })
}
