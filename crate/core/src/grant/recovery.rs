//! The organisation recovery key (break-glass) and its printed recovery kit (docs/FORMAT.md §7).
//!
//! Every vault epoch is granted to the recovery public key. The secret half exists only on paper:
//! `TESSERA-RECOVERY-V1-` then 56 base32 characters in groups of 4, carrying the 32-byte X25519
//! secret and a 3-byte checksum, so a mistyped kit is refused instead of silently failing later.

use core::fmt;
use hpke::{Deserializable, Kem as _, Serializable};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keyring::{Fingerprint, Kem, X25519Secret};

/// Kit text prefix before the version.
pub const RECOVERY_KIT_PREFIX: &str = "TESSERA-RECOVERY-";
/// Kit version tag of format v1.
pub const RECOVERY_KIT_VERSION: &str = "V1";
/// Hash-input label of the kit checksum.
pub const RECOVERY_CHECK_LABEL: &str = "tessera/v1/recovery-kit";
/// Checksum bytes appended to the secret.
pub const RECOVERY_CHECK_LEN: usize = 3;
/// Base32 characters of the kit body (35 bytes, no padding).
pub const RECOVERY_KIT_BODY_LEN: usize = 56;
/// Characters per group in the printed kit.
pub const RECOVERY_KIT_GROUP: usize = 4;
/// Hash-input label of a recovery key fingerprint.
pub const RECOVERY_FINGERPRINT_LABEL: &str = "tessera/v1/fingerprint/recovery";

/// Why a recovery kit text was refused. Never carries any character of the kit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    /// The text does not start with `TESSERA-RECOVERY-`.
    #[error("not a Tessera recovery kit")]
    BadPrefix,
    /// A kit version other than `V1`.
    #[error("unsupported recovery kit version")]
    UnsupportedVersion,
    /// Not 56 base32 characters after the prefix, or not a valid X25519 secret.
    #[error("the recovery kit has the wrong length or a character that is not base32")]
    Malformed,
    /// The checksum does not match: a typo.
    #[error("the recovery kit has a typo (checksum mismatch)")]
    ChecksumMismatch,
}

impl RecoveryError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RecoveryError::BadPrefix => "recovery_kit_bad_prefix",
            RecoveryError::UnsupportedVersion => "recovery_kit_unsupported_version",
            RecoveryError::Malformed => "recovery_kit_malformed",
            RecoveryError::ChecksumMismatch => "recovery_kit_checksum_mismatch",
        }
    }
}

/// The recovery key's public half: grants are sealed to it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoveryPublicKey(pub [u8; 32]);

impl RecoveryPublicKey {
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::compute(RECOVERY_FINGERPRINT_LABEL, &[&self.0])
    }
}

impl fmt::Debug for RecoveryPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryPublicKey({})", self.fingerprint().to_hex())
    }
}

/// The recovery key pair. The secret is wiped on drop; `Debug` shows only the fingerprint.
#[derive(Clone)]
pub struct RecoveryKey {
    secret: X25519Secret,
    public: RecoveryPublicKey,
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryKey")
            .field("public", &self.public)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

fn checksum(secret: &[u8]) -> [u8; RECOVERY_CHECK_LEN] {
    let mut h = Sha256::new();
    h.update(RECOVERY_CHECK_LABEL.as_bytes());
    h.update([0u8]);
    h.update(secret);
    let d = h.finalize();
    let mut out = [0u8; RECOVERY_CHECK_LEN];
    out.copy_from_slice(&d[..RECOVERY_CHECK_LEN]);
    out
}

impl RecoveryKey {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let (secret, public) = Kem::gen_keypair_with_rng(rng);
        let mut pk = [0u8; 32];
        public.write_exact(&mut pk);
        RecoveryKey {
            secret,
            public: RecoveryPublicKey(pk),
        }
    }

    pub fn public(&self) -> &RecoveryPublicKey {
        &self.public
    }

    pub(crate) fn x25519_secret(&self) -> &X25519Secret {
        &self.secret
    }

    /// The kit text to print once. Wiped on drop.
    pub fn to_kit(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; 32 + RECOVERY_CHECK_LEN]);
        self.secret.write_exact(&mut raw[..32]);
        let check = checksum(&raw[..32]);
        raw[32..].copy_from_slice(&check);
        let body = Zeroizing::new(crate::codec::base32_encode(raw.as_ref()));
        let groups = body.len() / RECOVERY_KIT_GROUP;
        let mut kit = Zeroizing::new(String::with_capacity(
            RECOVERY_KIT_PREFIX.len() + RECOVERY_KIT_VERSION.len() + body.len() + groups + 1,
        ));
        kit.push_str(RECOVERY_KIT_PREFIX);
        kit.push_str(RECOVERY_KIT_VERSION);
        for (i, c) in body.chars().enumerate() {
            if i % RECOVERY_KIT_GROUP == 0 {
                kit.push('-');
            }
            kit.push(c);
        }
        kit
    }

    /// Reads a kit as typed: any case; spaces, line breaks and `-` in the body ignored; `0`, `1`,
    /// `8` read as `O`, `I`, `B`. Refuses a missing prefix, another version, a wrong length or a
    /// typo.
    pub fn from_kit(text: &str) -> Result<Self, RecoveryError> {
        let upper = Zeroizing::new(text.trim().to_ascii_uppercase());
        let rest = upper
            .strip_prefix(RECOVERY_KIT_PREFIX)
            .ok_or(RecoveryError::BadPrefix)?;
        let (version, rest) = rest
            .split_once(|c: char| c == '-' || c.is_whitespace())
            .unwrap_or((rest, ""));
        if version != RECOVERY_KIT_VERSION {
            return Err(RecoveryError::UnsupportedVersion);
        }
        let mut body = Zeroizing::new(String::with_capacity(RECOVERY_KIT_BODY_LEN));
        for c in rest.chars().filter(|&c| c != '-' && !c.is_whitespace()) {
            if body.len() == RECOVERY_KIT_BODY_LEN {
                return Err(RecoveryError::Malformed);
            }
            body.push(match c {
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                c => c,
            });
        }
        if body.len() != RECOVERY_KIT_BODY_LEN {
            return Err(RecoveryError::Malformed);
        }
        let raw = Zeroizing::new(
            crate::codec::base32_decode(body.as_bytes()).ok_or(RecoveryError::Malformed)?,
        );
        let (secret_bytes, check) = raw.split_at(32);
        if checksum(secret_bytes) != check {
            return Err(RecoveryError::ChecksumMismatch);
        }
        let secret =
            X25519Secret::from_bytes(secret_bytes).map_err(|_| RecoveryError::Malformed)?;
        // A kit carries the clamped scalar; anything else was not written by Tessera.
        let mut again = Zeroizing::new([0u8; 32]);
        secret.write_exact(again.as_mut());
        if again.as_slice() != secret_bytes {
            return Err(RecoveryError::Malformed);
        }
        let mut pk = [0u8; 32];
        Kem::sk_to_pk(&secret).write_exact(&mut pk);
        Ok(RecoveryKey {
            secret,
            public: RecoveryPublicKey(pk),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::UnwrapErr;

    fn key() -> RecoveryKey {
        RecoveryKey::generate(&mut UnwrapErr(getrandom::SysRng))
    }

    #[test]
    fn kit_round_trip_and_shape() {
        let k = key();
        let kit = k.to_kit();
        assert!(kit.starts_with("TESSERA-RECOVERY-V1-"));
        let groups: Vec<&str> = kit["TESSERA-RECOVERY-V1-".len()..].split('-').collect();
        assert_eq!(groups.len(), 14);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert_eq!(RecoveryKey::from_kit(&kit).unwrap().public(), k.public());
        // As a person might type it.
        let typed = kit
            .to_lowercase()
            .replace('-', " ")
            .replace("tessera recovery v1", "TESSERA-RECOVERY-V1");
        assert_eq!(RecoveryKey::from_kit(&typed).unwrap().public(), k.public());
        let (prefix, body) = kit.split_at("TESSERA-RECOVERY-V1-".len());
        let misread = format!(
            "{prefix}{}",
            body.replace('O', "0").replace('I', "1").replace('B', "8")
        );
        assert_eq!(
            RecoveryKey::from_kit(&misread).unwrap().public(),
            k.public()
        );
    }

    #[test]
    fn typos_and_junk_are_refused() {
        let k = key();
        let kit = k.to_kit();
        let body_start = "TESSERA-RECOVERY-V1-".len();
        // Change each body character to another base32 character: always caught.
        for i in (body_start..kit.len()).filter(|&i| kit.as_bytes()[i] != b'-') {
            let mut typo = kit.as_bytes().to_vec();
            typo[i] = if typo[i] == b'A' { b'C' } else { b'A' };
            let typo = String::from_utf8(typo).unwrap();
            let err = RecoveryKey::from_kit(&typo).unwrap_err();
            assert!(
                matches!(
                    err,
                    RecoveryError::ChecksumMismatch | RecoveryError::Malformed
                ),
                "{i}: {err:?}"
            );
        }
        let code = |t: &str| RecoveryKey::from_kit(t).unwrap_err().code();
        assert_eq!(code(&kit[..kit.len() - 1]), "recovery_kit_malformed");
        assert_eq!(code(&format!("{}A", &*kit)), "recovery_kit_malformed");
        assert_eq!(
            code(&kit.replace("-V1-", "-V2-")),
            "recovery_kit_unsupported_version"
        );
        assert_eq!(
            code(&kit.replace("TESSERA-", "TESERA-")),
            "recovery_kit_bad_prefix"
        );
        assert_eq!(code(""), "recovery_kit_bad_prefix");
        assert_eq!(code("TESSERA-RECOVERY-V1-!!!!"), "recovery_kit_malformed");
    }

    #[test]
    fn debug_is_redacted() {
        let k = key();
        let kit = k.to_kit();
        let body: String = kit["TESSERA-RECOVERY-V1-".len()..].replace('-', "");
        let dbg = format!("{k:?}");
        assert!(dbg.contains("REDACTED"));
        assert!(!dbg.contains(&body[..20]));
        let mut raw = [0u8; 32];
        k.secret.write_exact(&mut raw);
        assert!(!dbg.contains(&data_encoding::HEXLOWER.encode(&raw)));
    }
}
