//! A member's keyring: an X25519 key pair (receives grants) and an Ed25519 key pair (signs),
//! sealed under a passphrase with Argon2id and AES-256-GCM (docs/FORMAT.md §3, §6, §8).
//!
//! The Argon2 parameters sit in the authenticated header and are checked against
//! [`KdfParams::MIN`] and [`KdfParams::MAX`] *before* the KDF runs, so a tampered header can
//! neither make the passphrase cheap to guess nor make unlocking hang or exhaust memory.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use core::fmt;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hpke::{Deserializable, Kem as _, Serializable};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::wire::{FORMAT_VERSION_V1, NONCE_LEN, Reader, TAG_LEN, WireError, Writer, labelled};

/// The HPKE KEM of grants: DHKEM(X25519, HKDF-SHA256).
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
pub(crate) type X25519Secret = <Kem as hpke::Kem>::PrivateKey;
pub(crate) type X25519Public = <Kem as hpke::Kem>::PublicKey;

/// Magic of a sealed keyring.
pub const KEYRING_MAGIC: [u8; 4] = *b"TSKR";
/// `kdf_id` of Argon2id, Argon2 version 0x13.
pub const KDF_ARGON2ID: u8 = 0x01;
/// Argon2 salt length.
pub const KDF_SALT_LEN: usize = 16;
/// Domain-separation label of the keyring's associated data.
pub const KEYRING_AAD_LABEL: &str = "tessera/v1/keyring";
/// Length of the cleartext header (magic through nonce), which is the associated data.
pub const KEYRING_HEADER_LEN: usize = 4 + 1 + 1 + 12 + KDF_SALT_LEN + 32 + 32 + NONCE_LEN;
/// Secret block: X25519 secret (32) || Ed25519 seed (32).
pub const SECRET_BLOCK_LEN: usize = 64;
/// Total length of a sealed keyring.
pub const KEYRING_LEN: usize = KEYRING_HEADER_LEN + SECRET_BLOCK_LEN + TAG_LEN;
/// Hash-input label of a member fingerprint.
pub const MEMBER_FINGERPRINT_LABEL: &str = "tessera/v1/fingerprint/member";
/// Prefix of every signed message: `SIGNATURE_LABEL || context || 0x00 || message`.
pub const SIGNATURE_LABEL: &str = "tessera/v1/sig/";
/// Ed25519 signature length.
pub const SIGNATURE_LEN: usize = 64;

/// Errors of keyring sealing, opening, and signature checking.
///
/// Opening with a wrong passphrase and opening a tampered keyring give the same error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// The bytes do not start with [`KEYRING_MAGIC`].
    #[error("not a Tessera keyring")]
    BadMagic,
    /// A format version this build does not know (probably written by a newer Tessera).
    #[error("unsupported keyring version {0}")]
    UnsupportedVersion(u8),
    /// A `kdf_id` other than [`KDF_ARGON2ID`].
    #[error("unsupported key derivation function {0}")]
    UnsupportedKdf(u8),
    /// Argon2 parameters outside [`KdfParams::MIN`]..[`KdfParams::MAX`] (read or requested).
    #[error("Argon2 parameters out of range: m={m_kib} KiB, t={t}, p={p}")]
    KdfParamsOutOfRange { m_kib: u32, t: u32, p: u32 },
    /// Truncated, trailing bytes, or a bad length.
    #[error("malformed keyring: {0}")]
    Malformed(WireError),
    /// Wrong passphrase, or the keyring was altered. Deliberately indistinguishable.
    #[error("wrong passphrase, or the keyring was tampered with")]
    WrongPassphraseOrTampered,
    /// The decrypted secrets do not belong to the public keys in the header.
    #[error("keyring secrets do not match its public keys")]
    KeyMismatch,
    /// Sealing with an empty passphrase was refused.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// Argon2 itself failed (for example, out of memory).
    #[error("key derivation failed")]
    KdfFailed,
    /// AES-GCM refused to encrypt (not reachable with the fixed sizes used here).
    #[error("sealing the keyring failed")]
    SealFailed,
    /// Public keys that are not a valid encoding (an Ed25519 point that does not decode, or a
    /// weak one).
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A signature that does not verify for this key, context and message.
    #[error("bad signature")]
    BadSignature,
}

impl KeyringError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyringError::BadMagic => "keyring_bad_magic",
            KeyringError::UnsupportedVersion(_) => "keyring_unsupported_version",
            KeyringError::UnsupportedKdf(_) => "keyring_unsupported_kdf",
            KeyringError::KdfParamsOutOfRange { .. } => "keyring_kdf_params_out_of_range",
            KeyringError::Malformed(_) => "keyring_malformed",
            KeyringError::WrongPassphraseOrTampered => "keyring_wrong_passphrase_or_tampered",
            KeyringError::KeyMismatch => "keyring_key_mismatch",
            KeyringError::EmptyPassphrase => "keyring_empty_passphrase",
            KeyringError::KdfFailed => "keyring_kdf_failed",
            KeyringError::SealFailed => "keyring_seal_failed",
            KeyringError::InvalidPublicKey => "keyring_invalid_public_key",
            KeyringError::BadSignature => "keyring_bad_signature",
        }
    }
}

impl From<WireError> for KeyringError {
    fn from(e: WireError) -> Self {
        KeyringError::Malformed(e)
    }
}

/// Argon2id cost parameters (FORMAT.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// RFC 9106's second recommendation (64 MiB, 3 passes) with one lane: wasm is
    /// single-threaded, so more lanes would only cost time in the browser.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// The floor: OWASP's minimum for Argon2id (19 MiB, 2 passes). Test vectors use it.
    pub const MIN: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    /// The ceiling: beyond this, unlocking would hang or exhaust a phone or a browser tab.
    pub const MAX: KdfParams = KdfParams {
        m_kib: 1024 * 1024,
        t: 10,
        p: 8,
    };

    /// Ok if every parameter lies within [`Self::MIN`]..=[`Self::MAX`] and `m_kib >= 8 * p`.
    pub fn check(&self) -> Result<(), KeyringError> {
        let (lo, hi) = (Self::MIN, Self::MAX);
        let ok = (lo.m_kib..=hi.m_kib).contains(&self.m_kib)
            && (lo.t..=hi.t).contains(&self.t)
            && (lo.p..=hi.p).contains(&self.p)
            && u64::from(self.m_kib) >= 8 * u64::from(self.p);
        if ok {
            Ok(())
        } else {
            Err(KeyringError::KdfParamsOutOfRange {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
            })
        }
    }

    /// Runs Argon2id after checking the bounds. The output is the AES-256-GCM key.
    fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
        self.check()?;
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|_| {
            KeyringError::KdfParamsOutOfRange {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
            }
        })?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|_| KeyringError::KdfFailed)?;
        Ok(out)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// SHA-256 fingerprint of a member's or a recovery key's public key(s) (FORMAT.md §6).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// `SHA-256(label || 0x00 || parts...)`.
    pub(crate) fn compute(label: &str, parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        h.update(label.as_bytes());
        h.update([0u8]);
        for p in parts {
            h.update(p);
        }
        Fingerprint(h.finalize().into())
    }

    /// What people compare: the first 20 bytes in base32, 8 groups of 4 separated by spaces.
    pub fn to_display(&self) -> String {
        let b32 = crate::codec::base32_encode(&self.0[..20]);
        let groups: Vec<&str> = b32
            .as_bytes()
            .chunks(4)
            .filter_map(|c| core::str::from_utf8(c).ok())
            .collect();
        groups.join(" ")
    }

    pub fn to_hex(&self) -> String {
        crate::codec::hex_encode(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display())
    }
}

/// A member's public keys, as registered with the server and shown (by fingerprint) to people.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKeys {
    /// Receives grants (HPKE).
    pub x25519: [u8; 32],
    /// Verifies signatures.
    pub ed25519: [u8; 32],
}

impl PublicKeys {
    /// Encoded length: `x25519 || ed25519`.
    pub const LEN: usize = 64;

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::compute(MEMBER_FINGERPRINT_LABEL, &[&self.x25519, &self.ed25519])
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.x25519);
        out[32..].copy_from_slice(&self.ed25519);
        out
    }

    /// Decodes and validates `x25519 || ed25519` (the Ed25519 key must be a valid, non-weak
    /// point).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyringError> {
        let mut r = Reader::new(bytes);
        let keys = PublicKeys {
            x25519: r.array()?,
            ed25519: r.array()?,
        };
        r.finish()?;
        keys.verifying_key()?;
        Ok(keys)
    }

    fn verifying_key(&self) -> Result<VerifyingKey, KeyringError> {
        let vk =
            VerifyingKey::from_bytes(&self.ed25519).map_err(|_| KeyringError::InvalidPublicKey)?;
        if vk.is_weak() {
            return Err(KeyringError::InvalidPublicKey);
        }
        Ok(vk)
    }
}

impl fmt::Debug for PublicKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKeys({})", self.fingerprint().to_hex())
    }
}

/// What a signature is for; part of the signed bytes, so a signature made for one purpose never
/// verifies for another (FORMAT.md §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureContext {
    /// Signing the server's sign-in nonce.
    AuthChallenge,
    /// Signing a client-side audit event.
    AuditEvent,
}

impl SignatureContext {
    pub fn label(&self) -> &'static str {
        match self {
            SignatureContext::AuthChallenge => "auth-challenge",
            SignatureContext::AuditEvent => "audit-event",
        }
    }

    fn message(&self, msg: &[u8]) -> Vec<u8> {
        let label = self.label();
        let mut m = Vec::with_capacity(SIGNATURE_LABEL.len() + label.len() + 1 + msg.len());
        m.extend_from_slice(SIGNATURE_LABEL.as_bytes());
        m.extend_from_slice(label.as_bytes());
        m.push(0);
        m.extend_from_slice(msg);
        m
    }
}

/// Checks an Ed25519 signature made by [`Keyring::sign`] (strict verification).
pub fn verify(
    public: &PublicKeys,
    context: SignatureContext,
    msg: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), KeyringError> {
    let vk = public.verifying_key()?;
    let sig = ed25519_dalek::Signature::from_bytes(signature);
    vk.verify_strict(&context.message(msg), &sig)
        .map_err(|_| KeyringError::BadSignature)
}

/// The cleartext header of a sealed keyring: readable without the passphrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyringHeader {
    pub kdf: KdfParams,
    pub public: PublicKeys,
}

/// A member's unlocked key pairs. Secrets are wiped on drop; `Debug` shows only the fingerprint.
#[derive(Clone)]
pub struct Keyring {
    x25519: X25519Secret,
    ed25519: SigningKey,
    public: PublicKeys,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("public", &self.public)
            .field("secrets", &"[REDACTED]")
            .finish()
    }
}

impl Keyring {
    /// Fresh key pairs from `rng`.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let (x25519, x_pub) = Kem::gen_keypair_with_rng(rng);
        let ed25519 = SigningKey::generate(rng);
        let public = PublicKeys {
            x25519: x_pub.to_bytes().into(),
            ed25519: ed25519.verifying_key().to_bytes(),
        };
        Keyring {
            x25519,
            ed25519,
            public,
        }
    }

    pub fn public(&self) -> &PublicKeys {
        &self.public
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.public.fingerprint()
    }

    pub(crate) fn x25519_secret(&self) -> &X25519Secret {
        &self.x25519
    }

    /// Signs `msg` for `context` (FORMAT.md §8).
    pub fn sign(&self, context: SignatureContext, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.ed25519.sign(&context.message(msg)).to_bytes()
    }

    /// Seals the keyring under `passphrase` (fresh salt and nonce from `rng`).
    pub fn seal(
        &self,
        passphrase: &[u8],
        params: KdfParams,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, KeyringError> {
        if passphrase.is_empty() {
            return Err(KeyringError::EmptyPassphrase);
        }
        params.check()?;
        let mut salt = [0u8; KDF_SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let kek = params.derive(passphrase, &salt)?;

        let mut w = Writer::with_capacity(KEYRING_LEN);
        w.bytes(&KEYRING_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .u8(KDF_ARGON2ID);
        w.u32(params.m_kib).u32(params.t).u32(params.p);
        w.bytes(&salt)
            .bytes(&self.public.x25519)
            .bytes(&self.public.ed25519)
            .bytes(&nonce);
        let block = self.secret_block();
        let aad = labelled(KEYRING_AAD_LABEL, w.as_slice());
        let ct = aes_key(&kek)?
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: block.as_ref(),
                    aad: &aad,
                },
            )
            .map_err(|_| KeyringError::SealFailed)?;
        w.bytes(&ct);
        Ok(w.into_vec())
    }

    /// Reads the cleartext header (parameters and public keys) without the passphrase.
    pub fn read_header(bytes: &[u8]) -> Result<KeyringHeader, KeyringError> {
        Ok(parse(bytes)?.header)
    }

    /// Unlocks a sealed keyring. Checks the parameters before running Argon2, then that the
    /// decrypted secrets match the public keys in the header.
    pub fn open(bytes: &[u8], passphrase: &[u8]) -> Result<Self, KeyringError> {
        let parsed = parse(bytes)?;
        let kek = parsed.header.kdf.derive(passphrase, parsed.salt)?;
        let aad = labelled(KEYRING_AAD_LABEL, parsed.aad_header);
        let block = Zeroizing::new(
            aes_key(&kek)?
                .decrypt(
                    &Nonce::from(parsed.nonce),
                    Payload {
                        msg: parsed.ct,
                        aad: &aad,
                    },
                )
                .map_err(|_| KeyringError::WrongPassphraseOrTampered)?,
        );
        let keyring = Self::from_secret_block(&block)?;
        if keyring.public != parsed.header.public {
            return Err(KeyringError::KeyMismatch);
        }
        Ok(keyring)
    }

    /// The secret block (`x25519_secret || ed25519_seed`, FORMAT.md §6): the raw secret keys,
    /// for keeping an unlocked keyring across a restart in memory-only storage. Whoever holds
    /// these bytes holds the keyring.
    pub fn secret_block(&self) -> Zeroizing<[u8; SECRET_BLOCK_LEN]> {
        let mut block = Zeroizing::new([0u8; SECRET_BLOCK_LEN]);
        self.x25519.write_exact(&mut block[..32]);
        block[32..].copy_from_slice(self.ed25519.as_bytes());
        block
    }

    /// The keyring of a [`Self::secret_block`]; the public keys are derived from the secrets.
    /// A block of the wrong length is `Malformed`; an X25519 secret that is not in its canonical
    /// (clamped) form is `KeyMismatch`, as when opening a sealed keyring.
    pub fn from_secret_block(block: &[u8]) -> Result<Self, KeyringError> {
        let mut r = Reader::new(block);
        let x_bytes = r.take(32)?;
        let seed_bytes = r.take(32)?;
        r.finish()?;
        let x25519 = X25519Secret::from_bytes(x_bytes).map_err(|_| KeyringError::KeyMismatch)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(seed_bytes);
        let ed25519 = SigningKey::from_bytes(&seed);
        // Clamping on deserialisation must not have changed the stored secret.
        let mut x_again = Zeroizing::new([0u8; 32]);
        x25519.write_exact(x_again.as_mut());
        if x_again.as_slice() != x_bytes {
            return Err(KeyringError::KeyMismatch);
        }
        let public = PublicKeys {
            x25519: Kem::sk_to_pk(&x25519).to_bytes().into(),
            ed25519: ed25519.verifying_key().to_bytes(),
        };
        Ok(Keyring {
            x25519,
            ed25519,
            public,
        })
    }
}

fn aes_key(key: &[u8; 32]) -> Result<Aes256Gcm, KeyringError> {
    Aes256Gcm::new_from_slice(key).map_err(|_| KeyringError::SealFailed)
}

struct Parsed<'a> {
    header: KeyringHeader,
    salt: &'a [u8],
    nonce: [u8; NONCE_LEN],
    aad_header: &'a [u8],
    ct: &'a [u8],
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, KeyringError> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != KEYRING_MAGIC {
        return Err(KeyringError::BadMagic);
    }
    let version = r.u8()?;
    if version != FORMAT_VERSION_V1 {
        return Err(KeyringError::UnsupportedVersion(version));
    }
    let kdf_id = r.u8()?;
    if kdf_id != KDF_ARGON2ID {
        return Err(KeyringError::UnsupportedKdf(kdf_id));
    }
    let kdf = KdfParams {
        m_kib: r.u32()?,
        t: r.u32()?,
        p: r.u32()?,
    };
    kdf.check()?;
    let salt = r.take(KDF_SALT_LEN)?;
    let public = PublicKeys {
        x25519: r.array()?,
        ed25519: r.array()?,
    };
    let nonce = r.array()?;
    let aad_header = r.consumed_since(0);
    let ct = r.take(SECRET_BLOCK_LEN + TAG_LEN)?;
    r.finish()?;
    Ok(Parsed {
        header: KeyringHeader { kdf, public },
        salt,
        nonce,
        aad_header,
        ct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    #[test]
    fn seal_open_round_trip_at_the_floor() {
        let kr = Keyring::generate(&mut rng());
        let sealed = kr.seal(b"pass phrase", KdfParams::MIN, &mut rng()).unwrap();
        assert_eq!(sealed.len(), KEYRING_LEN);
        let header = Keyring::read_header(&sealed).unwrap();
        assert_eq!(header.kdf, KdfParams::MIN);
        assert_eq!(&header.public, kr.public());
        let opened = Keyring::open(&sealed, b"pass phrase").unwrap();
        assert_eq!(opened.public(), kr.public());
        assert_eq!(
            Keyring::open(&sealed, b"pass phrasE").unwrap_err(),
            KeyringError::WrongPassphraseOrTampered
        );
    }

    #[test]
    fn params_are_checked_before_the_kdf() {
        let kr = Keyring::generate(&mut rng());
        let sealed = kr.seal(b"pw", KdfParams::MIN, &mut rng()).unwrap();
        // (offset, value): m below the floor, t below the floor, m above the ceiling (would take
        // 4 TiB if run), t and p above the ceiling.
        for (offset, value) in [
            (6, 1024u32),
            (10, 1),
            (6, u32::MAX),
            (10, 11),
            (14, 9),
            (14, 0),
        ] {
            let mut bad = sealed.clone();
            bad[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
            let err = Keyring::open(&bad, b"pw").unwrap_err();
            assert_eq!(
                err.code(),
                "keyring_kdf_params_out_of_range",
                "offset {offset}"
            );
        }
        let weak = KdfParams {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        assert_eq!(
            kr.seal(b"pw", weak, &mut rng()).unwrap_err().code(),
            "keyring_kdf_params_out_of_range"
        );
        assert!(KdfParams::DEFAULT.check().is_ok() && KdfParams::MAX.check().is_ok());
    }

    #[test]
    fn header_errors_are_typed() {
        let kr = Keyring::generate(&mut rng());
        let sealed = kr.seal(b"pw", KdfParams::MIN, &mut rng()).unwrap();
        let mut v2 = sealed.clone();
        v2[4] = 2;
        assert_eq!(
            Keyring::open(&v2, b"pw").unwrap_err(),
            KeyringError::UnsupportedVersion(2)
        );
        let mut kdf = sealed.clone();
        kdf[5] = 2;
        assert_eq!(
            Keyring::open(&kdf, b"pw").unwrap_err(),
            KeyringError::UnsupportedKdf(2)
        );
        let mut magic = sealed.clone();
        magic[0] = b'X';
        assert_eq!(
            Keyring::open(&magic, b"pw").unwrap_err(),
            KeyringError::BadMagic
        );
        let mut long = sealed.clone();
        long.push(0);
        assert_eq!(
            Keyring::open(&long, b"pw").unwrap_err().code(),
            "keyring_malformed"
        );
        assert_eq!(
            Keyring::open(&sealed[..sealed.len() - 1], b"pw")
                .unwrap_err()
                .code(),
            "keyring_malformed"
        );
        assert_eq!(
            Keyring::open(&[], b"pw").unwrap_err().code(),
            "keyring_malformed"
        );
        assert_eq!(
            kr.seal(b"", KdfParams::MIN, &mut rng()).unwrap_err().code(),
            "keyring_empty_passphrase"
        );
    }

    #[test]
    fn secrets_must_match_the_header_keys() {
        // A well-sealed keyring whose header names someone else's public keys (a writer bug or a
        // forgery by someone who knows the passphrase) is refused after decryption.
        let (kr, other) = (Keyring::generate(&mut rng()), Keyring::generate(&mut rng()));
        let mut sealed = kr.seal(b"pw", KdfParams::MIN, &mut rng()).unwrap();
        sealed[34..66].copy_from_slice(&other.public().x25519);
        let kek = KdfParams::MIN.derive(b"pw", &sealed[18..34]).unwrap();
        let mut block = Zeroizing::new([0u8; SECRET_BLOCK_LEN]);
        kr.x25519.write_exact(&mut block[..32]);
        block[32..].copy_from_slice(kr.ed25519.as_bytes());
        let aad = labelled(KEYRING_AAD_LABEL, &sealed[..KEYRING_HEADER_LEN]);
        let nonce: [u8; NONCE_LEN] = sealed[98..110].try_into().unwrap();
        let ct = aes_key(&kek)
            .unwrap()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: block.as_ref(),
                    aad: &aad,
                },
            )
            .unwrap();
        sealed[KEYRING_HEADER_LEN..].copy_from_slice(&ct);
        assert_eq!(
            Keyring::open(&sealed, b"pw").unwrap_err().code(),
            "keyring_key_mismatch"
        );
    }

    #[test]
    fn signatures_are_bound_to_their_context() {
        let kr = Keyring::generate(&mut rng());
        let sig = kr.sign(SignatureContext::AuditEvent, b"event");
        verify(kr.public(), SignatureContext::AuditEvent, b"event", &sig).unwrap();
        let wrong_ctx = verify(kr.public(), SignatureContext::AuthChallenge, b"event", &sig);
        assert_eq!(wrong_ctx.unwrap_err().code(), "keyring_bad_signature");
        assert!(verify(kr.public(), SignatureContext::AuditEvent, b"evenT", &sig).is_err());
        let other = Keyring::generate(&mut rng());
        assert!(verify(other.public(), SignatureContext::AuditEvent, b"event", &sig).is_err());
    }

    #[test]
    fn public_keys_encoding_and_fingerprint() {
        let kr = Keyring::generate(&mut rng());
        let bytes = kr.public().to_bytes();
        assert_eq!(&PublicKeys::from_bytes(&bytes).unwrap(), kr.public());
        assert_eq!(
            PublicKeys::from_bytes(&bytes[..63]).unwrap_err().code(),
            "keyring_malformed"
        );
        let display = kr.fingerprint().to_display();
        assert_eq!(display.len(), 32 + 7);
        assert_eq!(display.split(' ').count(), 8);
        // The identity point is a weak Ed25519 key.
        let mut weak = bytes;
        weak[32..].copy_from_slice(&{
            let mut p = [0u8; 32];
            p[0] = 1;
            p
        });
        assert_eq!(
            PublicKeys::from_bytes(&weak).unwrap_err().code(),
            "keyring_invalid_public_key"
        );
    }

    #[test]
    fn secret_block_round_trip() {
        let kr = Keyring::generate(&mut rng());
        let block = kr.secret_block();
        let again = Keyring::from_secret_block(block.as_ref()).unwrap();
        assert_eq!(again.public(), kr.public());
        let sig = again.sign(SignatureContext::AuthChallenge, b"m");
        verify(kr.public(), SignatureContext::AuthChallenge, b"m", &sig).unwrap();
        // The same block is what a sealed keyring holds.
        let sealed = kr.seal(b"pw", KdfParams::MIN, &mut rng()).unwrap();
        let opened = Keyring::open(&sealed, b"pw").unwrap();
        assert_eq!(opened.secret_block(), block);
        for bad in [&block[..63], &[0u8; 65][..], &[][..]] {
            assert_eq!(
                Keyring::from_secret_block(bad).unwrap_err().code(),
                "keyring_malformed"
            );
        }
        // An X25519 secret that is not clamped is not a secret this code ever writes.
        let mut unclamped = *block;
        unclamped[0] |= 7;
        assert_eq!(
            Keyring::from_secret_block(&unclamped).unwrap_err().code(),
            "keyring_key_mismatch"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let kr = Keyring::generate(&mut rng());
        let dbg = format!("{kr:?}");
        assert!(dbg.contains("REDACTED"));
        let seed_hex = data_encoding::HEXLOWER.encode(kr.ed25519.as_bytes());
        let x_hex = data_encoding::HEXLOWER.encode(&kr.x25519.to_bytes());
        assert!(!dbg.contains(&seed_hex) && !dbg.contains(&x_hex));
        assert!(!dbg.contains(&format!("{:?}", kr.ed25519.as_bytes())));
    }
}
