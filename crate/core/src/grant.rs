//! Grants: a vault key (one vault, one epoch) sealed with HPKE to one recipient, a member or the
//! organisation recovery key (docs/FORMAT.md §5). The recovery key and its printed kit are in
//! [`recovery`].
//!
//! HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM. The vault
//! id, epoch, recipient kind and recipient fingerprint are the HPKE associated data.

pub mod recovery;

use core::fmt;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::keyring::{Fingerprint, Kem, Keyring, PublicKeys, X25519Public, X25519Secret};
use crate::vault::{VAULT_KEY_LEN, VaultId, VaultKey};
use crate::wire::{FORMAT_VERSION_V1, Reader, TAG_LEN, WireError, Writer};

pub use recovery::{RecoveryError, RecoveryKey, RecoveryPublicKey};

type Aead = hpke::aead::AesGcm256;
type Kdf = hpke::kdf::HkdfSha256;

/// Magic of a grant.
pub const GRANT_MAGIC: [u8; 4] = *b"TSGR";
/// HPKE `info` of every v1 grant.
pub const GRANT_INFO: &[u8] = b"tessera/v1/grant\0";
/// `recipient_kind` of a member.
pub const RECIPIENT_MEMBER: u8 = 0x01;
/// `recipient_kind` of the organisation recovery key.
pub const RECIPIENT_RECOVERY: u8 = 0x02;
/// Cleartext header (the HPKE associated data): magic, version, vault id, epoch, kind,
/// fingerprint.
pub const GRANT_HEADER_LEN: usize = 4 + 1 + 16 + 4 + 1 + 32;
/// HPKE encapsulated key length (X25519).
pub const GRANT_ENC_LEN: usize = 32;
/// HPKE ciphertext length: the vault key plus the tag.
pub const GRANT_CT_LEN: usize = VAULT_KEY_LEN + TAG_LEN;
/// Total length of a grant.
pub const GRANT_LEN: usize = GRANT_HEADER_LEN + GRANT_ENC_LEN + GRANT_CT_LEN;

/// Errors of sealing, parsing and opening grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The bytes do not start with [`GRANT_MAGIC`].
    #[error("not a Tessera grant")]
    BadMagic,
    /// A format version this build does not know.
    #[error("unsupported grant version {0}")]
    UnsupportedVersion(u8),
    /// A `recipient_kind` other than member or recovery.
    #[error("unknown grant recipient kind {0}")]
    UnknownRecipientKind(u8),
    /// Not exactly [`GRANT_LEN`] bytes.
    #[error("malformed grant: {0}")]
    Malformed(WireError),
    /// The grant is for another vault than the one expected.
    #[error("the grant belongs to another vault")]
    WrongVault,
    /// The grant is for another key epoch than the one expected.
    #[error("the grant belongs to another key epoch")]
    WrongEpoch,
    /// The grant is addressed to another recipient than this key.
    #[error("the grant is addressed to another key")]
    WrongRecipient,
    /// HPKE failed to open the grant: tampered, or sealed to another key. Deliberately vague.
    #[error("the grant failed to open: wrong key or tampered")]
    OpenFailed,
    /// The recipient's X25519 public key is unusable (a low-order point).
    #[error("the recipient's public key is invalid")]
    InvalidRecipientKey,
    /// HPKE refused to seal (not reachable with the sizes used here).
    #[error("sealing the grant failed")]
    SealFailed,
}

impl GrantError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GrantError::BadMagic => "grant_bad_magic",
            GrantError::UnsupportedVersion(_) => "grant_unsupported_version",
            GrantError::UnknownRecipientKind(_) => "grant_unknown_recipient_kind",
            GrantError::Malformed(_) => "grant_malformed",
            GrantError::WrongVault => "grant_wrong_vault",
            GrantError::WrongEpoch => "grant_wrong_epoch",
            GrantError::WrongRecipient => "grant_wrong_recipient",
            GrantError::OpenFailed => "grant_open_failed",
            GrantError::InvalidRecipientKey => "grant_invalid_recipient_key",
            GrantError::SealFailed => "grant_seal_failed",
        }
    }
}

impl From<WireError> for GrantError {
    fn from(e: WireError) -> Self {
        GrantError::Malformed(e)
    }
}

/// Who a grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecipientKind {
    Member,
    Recovery,
}

impl RecipientKind {
    fn byte(self) -> u8 {
        match self {
            RecipientKind::Member => RECIPIENT_MEMBER,
            RecipientKind::Recovery => RECIPIENT_RECOVERY,
        }
    }
}

/// A grant's recipient, by public key.
#[derive(Clone, Copy, Debug)]
pub enum Recipient<'a> {
    Member(&'a PublicKeys),
    Recovery(&'a RecoveryPublicKey),
}

impl Recipient<'_> {
    pub fn kind(&self) -> RecipientKind {
        match self {
            Recipient::Member(_) => RecipientKind::Member,
            Recipient::Recovery(_) => RecipientKind::Recovery,
        }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        match self {
            Recipient::Member(k) => k.fingerprint(),
            Recipient::Recovery(k) => k.fingerprint(),
        }
    }

    fn x25519(&self) -> &[u8; 32] {
        match self {
            Recipient::Member(k) => &k.x25519,
            Recipient::Recovery(k) => &k.0,
        }
    }
}

/// A vault key sealed to one recipient (FORMAT.md §5). Public data: safe to store and sync.
#[derive(Clone, PartialEq, Eq)]
pub struct Grant {
    vault_id: VaultId,
    epoch: u32,
    kind: RecipientKind,
    recipient: Fingerprint,
    enc: [u8; GRANT_ENC_LEN],
    ct: [u8; GRANT_CT_LEN],
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("vault_id", &self.vault_id)
            .field("epoch", &self.epoch)
            .field("kind", &self.kind)
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

/// Seals `key` (the key of `vault_id` at `epoch`) to `recipient`.
pub fn grant(
    key: &VaultKey,
    vault_id: &VaultId,
    epoch: u32,
    recipient: Recipient<'_>,
    rng: &mut impl CryptoRng,
) -> Result<Grant, GrantError> {
    let mut g = Grant {
        vault_id: *vault_id,
        epoch,
        kind: recipient.kind(),
        recipient: recipient.fingerprint(),
        enc: [0; GRANT_ENC_LEN],
        ct: [0; GRANT_CT_LEN],
    };
    let pk = X25519Public::from_bytes(recipient.x25519())
        .map_err(|_| GrantError::InvalidRecipientKey)?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
        &OpModeS::Base,
        &pk,
        GRANT_INFO,
        key.expose(),
        &g.header(),
        rng,
    )
    .map_err(|e| match e {
        hpke::HpkeError::EncapError => GrantError::InvalidRecipientKey,
        _ => GrantError::SealFailed,
    })?;
    enc.write_exact(&mut g.enc);
    g.ct = ct
        .as_slice()
        .try_into()
        .map_err(|_| GrantError::SealFailed)?;
    Ok(g)
}

impl Grant {
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    pub fn recipient_kind(&self) -> RecipientKind {
        self.kind
    }
    pub fn recipient_fingerprint(&self) -> Fingerprint {
        self.recipient
    }

    /// The canonical order of grants in a snapshot: kind byte, then fingerprint.
    pub(crate) fn sort_key(&self) -> (u8, [u8; 32]) {
        (self.kind.byte(), self.recipient.0)
    }

    fn header(&self) -> [u8; GRANT_HEADER_LEN] {
        let mut w = Writer::with_capacity(GRANT_HEADER_LEN);
        w.bytes(&GRANT_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .bytes(&self.vault_id.0)
            .u32(self.epoch);
        w.u8(self.kind.byte()).bytes(&self.recipient.0);
        let mut out = [0u8; GRANT_HEADER_LEN];
        out.copy_from_slice(w.as_slice());
        out
    }

    pub fn to_bytes(&self) -> [u8; GRANT_LEN] {
        let mut out = [0u8; GRANT_LEN];
        out[..GRANT_HEADER_LEN].copy_from_slice(&self.header());
        out[GRANT_HEADER_LEN..GRANT_HEADER_LEN + GRANT_ENC_LEN].copy_from_slice(&self.enc);
        out[GRANT_HEADER_LEN + GRANT_ENC_LEN..].copy_from_slice(&self.ct);
        out
    }

    /// Parses exactly one grant.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GrantError> {
        let mut r = Reader::new(bytes);
        let g = Self::read(&mut r)?;
        r.finish()?;
        Ok(g)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, GrantError> {
        if r.take(4)? != GRANT_MAGIC {
            return Err(GrantError::BadMagic);
        }
        let version = r.u8()?;
        if version != FORMAT_VERSION_V1 {
            return Err(GrantError::UnsupportedVersion(version));
        }
        let vault_id = VaultId(r.array()?);
        let epoch = r.u32()?;
        let kind = match r.u8()? {
            RECIPIENT_MEMBER => RecipientKind::Member,
            RECIPIENT_RECOVERY => RecipientKind::Recovery,
            other => return Err(GrantError::UnknownRecipientKind(other)),
        };
        let recipient = Fingerprint(r.array()?);
        Ok(Grant {
            vault_id,
            epoch,
            kind,
            recipient,
            enc: r.array()?,
            ct: r.array()?,
        })
    }

    /// Opens a member grant with the member's keyring.
    pub fn open(
        &self,
        keyring: &Keyring,
        vault_id: &VaultId,
        epoch: u32,
    ) -> Result<VaultKey, GrantError> {
        self.open_with(
            RecipientKind::Member,
            &keyring.fingerprint(),
            keyring.x25519_secret(),
            vault_id,
            epoch,
        )
    }

    /// Opens a recovery grant with the recovery key.
    pub fn open_with_recovery(
        &self,
        key: &RecoveryKey,
        vault_id: &VaultId,
        epoch: u32,
    ) -> Result<VaultKey, GrantError> {
        self.open_with(
            RecipientKind::Recovery,
            &key.public().fingerprint(),
            key.x25519_secret(),
            vault_id,
            epoch,
        )
    }

    fn open_with(
        &self,
        kind: RecipientKind,
        fingerprint: &Fingerprint,
        secret: &X25519Secret,
        vault_id: &VaultId,
        epoch: u32,
    ) -> Result<VaultKey, GrantError> {
        if self.vault_id != *vault_id {
            return Err(GrantError::WrongVault);
        }
        if self.epoch != epoch {
            return Err(GrantError::WrongEpoch);
        }
        if self.kind != kind || self.recipient != *fingerprint {
            return Err(GrantError::WrongRecipient);
        }
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&self.enc)
            .map_err(|_| GrantError::OpenFailed)?;
        let key = Zeroizing::new(
            hpke::single_shot_open::<Aead, Kdf, Kem>(
                &OpModeR::Base,
                secret,
                &enc,
                GRANT_INFO,
                &self.ct,
                &self.header(),
            )
            .map_err(|_| GrantError::OpenFailed)?,
        );
        let mut out = [0u8; VAULT_KEY_LEN];
        if key.len() != VAULT_KEY_LEN {
            return Err(GrantError::OpenFailed);
        }
        out.copy_from_slice(&key);
        Ok(VaultKey::from_bytes(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    #[test]
    fn member_and_recovery_round_trip() {
        let mut rng = rng();
        let member = Keyring::generate(&mut rng);
        let recovery = RecoveryKey::generate(&mut rng);
        let key = VaultKey::generate(&mut rng);
        let v = VaultId::generate(&mut rng);

        let g = grant(&key, &v, 7, Recipient::Member(member.public()), &mut rng).unwrap();
        let bytes = g.to_bytes();
        assert_eq!(bytes.len(), GRANT_LEN);
        let parsed = Grant::from_bytes(&bytes).unwrap();
        assert_eq!(parsed, g);
        assert_eq!(parsed.open(&member, &v, 7).unwrap().expose(), key.expose());
        assert_eq!(parsed.recipient_fingerprint(), member.fingerprint());

        let rg = grant(
            &key,
            &v,
            7,
            Recipient::Recovery(recovery.public()),
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            rg.open_with_recovery(&recovery, &v, 7).unwrap().expose(),
            key.expose()
        );
        assert_eq!(
            rg.open(&member, &v, 7).unwrap_err(),
            GrantError::WrongRecipient
        );
    }

    #[test]
    fn binding_errors() {
        let mut rng = rng();
        let member = Keyring::generate(&mut rng);
        let other = Keyring::generate(&mut rng);
        let key = VaultKey::generate(&mut rng);
        let v = VaultId::generate(&mut rng);
        let g = grant(&key, &v, 1, Recipient::Member(member.public()), &mut rng).unwrap();
        assert_eq!(
            g.open(&member, &VaultId::generate(&mut rng), 1)
                .unwrap_err()
                .code(),
            "grant_wrong_vault"
        );
        assert_eq!(
            g.open(&member, &v, 2).unwrap_err().code(),
            "grant_wrong_epoch"
        );
        assert_eq!(
            g.open(&other, &v, 1).unwrap_err().code(),
            "grant_wrong_recipient"
        );

        // Re-address the grant to `other` (header rewritten): HPKE refuses.
        let mut bytes = g.to_bytes();
        bytes[26..58].copy_from_slice(&other.fingerprint().0);
        let forged = Grant::from_bytes(&bytes).unwrap();
        assert_eq!(
            forged.open(&other, &v, 1).unwrap_err().code(),
            "grant_open_failed"
        );
        // Re-label the epoch: the AAD changes, HPKE refuses.
        let mut bytes = g.to_bytes();
        bytes[21..25].copy_from_slice(&2u32.to_be_bytes());
        let forged = Grant::from_bytes(&bytes).unwrap();
        assert_eq!(
            forged.open(&member, &v, 2).unwrap_err().code(),
            "grant_open_failed"
        );
    }

    #[test]
    fn parse_errors_and_bad_keys() {
        let mut rng = rng();
        let member = Keyring::generate(&mut rng);
        let key = VaultKey::generate(&mut rng);
        let v = VaultId::generate(&mut rng);
        let bytes = grant(&key, &v, 1, Recipient::Member(member.public()), &mut rng)
            .unwrap()
            .to_bytes();
        let code = |b: &[u8]| Grant::from_bytes(b).unwrap_err().code();
        let mut b = bytes;
        b[4] = 9;
        assert_eq!(code(&b), "grant_unsupported_version");
        let mut b = bytes;
        b[25] = 3;
        assert_eq!(code(&b), "grant_unknown_recipient_kind");
        let mut b = bytes;
        b[0] = 0;
        assert_eq!(code(&b), "grant_bad_magic");
        assert_eq!(code(&bytes[..GRANT_LEN - 1]), "grant_malformed");
        let mut long = bytes.to_vec();
        long.push(1);
        assert_eq!(code(&long), "grant_malformed");

        // An all-zero X25519 public key is a low-order point.
        let weak = PublicKeys {
            x25519: [0; 32],
            ed25519: member.public().ed25519,
        };
        let err = grant(&key, &v, 1, Recipient::Member(&weak), &mut rng).unwrap_err();
        assert_eq!(err.code(), "grant_invalid_recipient_key");
    }
}
