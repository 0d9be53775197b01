//! Vault keys, sealed entries and sealed vault metadata (docs/FORMAT.md §2, §4), and the
//! whole-vault snapshot ([`SealedVault`], [`OpenVault`], FORMAT.md §9-10).
//!
//! Each entry is sealed alone with AES-256-GCM under the vault key of one epoch; the vault id,
//! entry id and epoch are in its associated data. [`VaultCipher`] runs the AES key schedule once,
//! so opening a 10,000-entry vault costs one key schedule and a reused scratch buffer, not 10,000.

mod snapshot;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use core::fmt;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::entry::{Entry, EntryError};
use crate::grant::GrantError;
use crate::wire::{FORMAT_VERSION_V1, NONCE_LEN, Reader, TAG_LEN, WireError, Writer, len_u32};

pub use snapshot::{OpenVault, SealedVault};

/// Magic of a sealed entry.
pub const ENTRY_MAGIC: [u8; 4] = *b"TSEN";
/// Magic of sealed vault metadata.
pub const META_MAGIC: [u8; 4] = *b"TSVM";
/// Magic of a vault snapshot.
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"TSVS";
pub const VAULT_ID_LEN: usize = 16;
pub const ENTRY_ID_LEN: usize = 16;
pub const VAULT_KEY_LEN: usize = 32;
/// A vault's first key epoch.
pub const FIRST_EPOCH: u32 = 1;
pub const ENTRY_AAD_LABEL: &str = "tessera/v1/entry";
pub const META_AAD_LABEL: &str = "tessera/v1/vault-meta";
pub const SNAPSHOT_AAD_LABEL: &str = "tessera/v1/vault-snapshot";
/// Payloads are padded to a multiple of this (FORMAT.md §4.3).
pub const PAD_BLOCK: usize = 64;
pub const ENTRY_MAX_PLAINTEXT: usize = 65_536;
pub const META_MAX_PLAINTEXT: usize = 4_096;
pub const ENTRY_MAX_CT_LEN: usize = ENTRY_MAX_PLAINTEXT + TAG_LEN;
pub const META_MAX_CT_LEN: usize = META_MAX_PLAINTEXT + TAG_LEN;
/// Cleartext header of a sealed entry: magic, version, vault id, entry id, epoch, nonce, ct_len.
pub const ENTRY_HEADER_LEN: usize = 4 + 1 + VAULT_ID_LEN + ENTRY_ID_LEN + 4 + NONCE_LEN + 4;
/// Cleartext header of sealed metadata: magic, version, vault id, epoch, nonce, ct_len.
pub const META_HEADER_LEN: usize = 4 + 1 + VAULT_ID_LEN + 4 + NONCE_LEN + 4;
/// Longest vault name (bytes of UTF-8).
pub const MAX_NAME_LEN: usize = 1_024;
pub const MAX_GRANTS: usize = 4_096;
pub const MAX_ENTRIES: usize = 100_000;

/// Errors of sealing and opening entries, metadata and snapshots, and of vault editing.
///
/// A wrong key and a tampered byte give the same error ([`VaultError::TamperedOrWrongKey`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The bytes do not start with the expected magic (`what` names the envelope).
    #[error("not a Tessera {what}")]
    BadMagic { what: &'static str },
    /// A format version this build does not know.
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion { what: &'static str, version: u8 },
    /// Truncated, trailing bytes, or a length or count out of bounds.
    #[error("malformed {what}: {error}")]
    Malformed {
        what: &'static str,
        error: WireError,
    },
    /// An envelope of another vault than the one expected.
    #[error("the {what} belongs to another vault")]
    WrongVault { what: &'static str },
    /// An envelope of another key epoch than the one expected.
    #[error("the {what} belongs to another key epoch")]
    WrongEpoch { what: &'static str },
    /// A sealed entry presented under another entry id than its own (a moved entry).
    #[error("the entry belongs to another entry id")]
    WrongEntry,
    /// Authentication failed: the key is wrong or a byte was altered. Deliberately vague.
    #[error("the {what} failed to open: wrong key or tampered")]
    TamperedOrWrongKey { what: &'static str },
    /// The decrypted (authentic) padding or metadata is not v1: a writer bug, not tampering.
    #[error("the {what} payload is invalid")]
    InvalidPayload { what: &'static str },
    /// The decrypted entry payload does not follow the v1 schema.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// A grant failed to open or to seal.
    #[error(transparent)]
    Grant(#[from] GrantError),
    /// A snapshot's grants or entries are duplicated or not in canonical order.
    #[error("the snapshot lists a recipient or an entry twice, or out of order")]
    NotCanonical,
    /// No grant in the snapshot is addressed to this keyring or recovery key.
    #[error("this vault is not granted to this key")]
    NotGranted,
    /// Sealing a snapshot needs at least one recipient.
    #[error("a vault must be granted to at least one recipient")]
    NoRecipients,
    /// More than [`MAX_GRANTS`] recipients or [`MAX_ENTRIES`] entries, or a payload or name
    /// over its size limit.
    #[error("the {what} is too large")]
    TooLarge { what: &'static str },
    /// No entry with this id.
    #[error("no such entry")]
    EntryNotFound,
    /// The epoch counter is exhausted.
    #[error("the vault cannot be rotated further")]
    EpochExhausted,
    /// AES-GCM refused to encrypt (not reachable with the sizes used here).
    #[error("sealing failed")]
    SealFailed,
}

impl VaultError {
    /// Stable machine-readable code. Wrapped entry and grant errors keep their own codes.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::BadMagic { .. } => "vault_bad_magic",
            VaultError::UnsupportedVersion { .. } => "vault_unsupported_version",
            VaultError::Malformed { .. } => "vault_malformed",
            VaultError::WrongVault { .. } => "vault_wrong_vault",
            VaultError::WrongEpoch { .. } => "vault_wrong_epoch",
            VaultError::WrongEntry => "vault_wrong_entry",
            VaultError::TamperedOrWrongKey { .. } => "vault_tampered_or_wrong_key",
            VaultError::InvalidPayload { .. } => "vault_invalid_payload",
            VaultError::Entry(e) => e.code(),
            VaultError::Grant(e) => e.code(),
            VaultError::NotCanonical => "vault_not_canonical",
            VaultError::NotGranted => "vault_not_granted",
            VaultError::NoRecipients => "vault_no_recipients",
            VaultError::TooLarge { .. } => "vault_too_large",
            VaultError::EntryNotFound => "vault_entry_not_found",
            VaultError::EpochExhausted => "vault_epoch_exhausted",
            VaultError::SealFailed => "vault_seal_failed",
        }
    }

    fn malformed(what: &'static str) -> impl Fn(WireError) -> VaultError {
        move |error| VaultError::Malformed { what, error }
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// A fresh random id.
            pub fn generate(rng: &mut impl CryptoRng) -> Self {
                let mut id = [0u8; $len];
                rng.fill_bytes(&mut id);
                Self(id)
            }

            /// Lower-case hex, as ids appear in vectors, URLs and logs.
            pub fn to_hex(&self) -> String {
                crate::codec::hex_encode(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}

id_type!(
    /// A vault's 16-byte random id, fixed for its life.
    VaultId,
    VAULT_ID_LEN
);
id_type!(
    /// An entry's 16-byte random id, kept across edits and rotations.
    EntryId,
    ENTRY_ID_LEN
);

/// The 256-bit AES-GCM key of one vault at one epoch. Wiped on drop; `Debug` is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VaultKey([u8; VAULT_KEY_LEN]);

impl VaultKey {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut key = VaultKey([0u8; VAULT_KEY_LEN]);
        rng.fill_bytes(&mut key.0);
        key
    }

    /// Takes ownership of raw key bytes (from a grant, or a test vector).
    pub fn from_bytes(bytes: [u8; VAULT_KEY_LEN]) -> Self {
        VaultKey(bytes)
    }

    /// The raw key. Only grants and test vectors need it; never log or display it.
    pub fn expose(&self) -> &[u8; VAULT_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey([REDACTED])")
    }
}

/// A vault key's AES-256-GCM cipher, key schedule done once. Use one per vault open.
#[derive(Clone)]
pub struct VaultCipher {
    aes: Aes256Gcm,
}

impl fmt::Debug for VaultCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultCipher([REDACTED])")
    }
}

/// One entry sealed for one vault, entry id and epoch (FORMAT.md §4.1). Stands alone: the server
/// stores and syncs these individually.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedEntry {
    vault_id: VaultId,
    entry_id: EntryId,
    epoch: u32,
    nonce: [u8; NONCE_LEN],
    /// Ciphertext || tag.
    ct: Vec<u8>,
}

impl fmt::Debug for SealedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedEntry")
            .field("vault_id", &self.vault_id)
            .field("entry_id", &self.entry_id)
            .field("epoch", &self.epoch)
            .field("ct_len", &self.ct.len())
            .finish()
    }
}

/// Vault metadata (its name) sealed for one vault and epoch (FORMAT.md §4.2).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedMeta {
    vault_id: VaultId,
    epoch: u32,
    nonce: [u8; NONCE_LEN],
    ct: Vec<u8>,
}

impl fmt::Debug for SealedMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedMeta")
            .field("vault_id", &self.vault_id)
            .field("epoch", &self.epoch)
            .field("ct_len", &self.ct.len())
            .finish()
    }
}

/// `{"name": string}` (FORMAT.md §4.5), nothing else.
fn read_meta(json: &[u8]) -> Result<String, crate::json::JsonError> {
    let mut r = crate::json::Reader::new(json);
    let mut name = None;
    r.object()?;
    let mut first = true;
    while let Some(key) = r.member(&mut first)? {
        match &*key {
            "name" => {
                let n = r.owned_string()?;
                crate::json::once(&mut name, "name", n)?;
            }
            other => return Err(crate::json::JsonError::Unknown(other.to_owned())),
        }
    }
    r.end()?;
    crate::json::required(name, "name")
}

const ENTRY: &str = "entry";
const META: &str = "vault metadata";

impl SealedEntry {
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    pub fn entry_id(&self) -> EntryId {
        self.entry_id
    }
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Length of [`Self::to_bytes`].
    pub fn encoded_len(&self) -> usize {
        ENTRY_HEADER_LEN + self.ct.len()
    }

    fn write_header(&self, ct_len: usize, w: &mut Writer) {
        w.bytes(&ENTRY_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .bytes(&self.vault_id.0)
            .bytes(&self.entry_id.0);
        w.u32(self.epoch).bytes(&self.nonce).u32(len_u32(ct_len));
    }

    /// `ENTRY_AAD_LABEL || 0x00 || header`, for a ciphertext of `ct_len` bytes.
    fn aad_into(&self, ct_len: usize, aad: &mut Vec<u8>) {
        let mut w = Writer::with_capacity(ENTRY_HEADER_LEN);
        self.write_header(ct_len, &mut w);
        aad.clear();
        aad.extend_from_slice(ENTRY_AAD_LABEL.as_bytes());
        aad.push(0);
        aad.extend_from_slice(w.as_slice());
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        self.write_header(self.ct.len(), w);
        w.bytes(&self.ct);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.encoded_len());
        self.write(&mut w);
        w.into_vec()
    }

    /// Parses one standalone sealed entry (no trailing bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let mut r = Reader::new(bytes);
        let e = Self::read(&mut r)?;
        r.finish().map_err(VaultError::malformed(ENTRY))?;
        Ok(e)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, VaultError> {
        let m = VaultError::malformed(ENTRY);
        read_magic_version(r, ENTRY_MAGIC, ENTRY)?;
        let vault_id = VaultId(r.array().map_err(&m)?);
        let entry_id = EntryId(r.array().map_err(&m)?);
        let epoch = r.u32().map_err(&m)?;
        let nonce = r.array().map_err(&m)?;
        let ct = read_ct(r, ENTRY_MAX_CT_LEN).map_err(&m)?;
        Ok(SealedEntry {
            vault_id,
            entry_id,
            epoch,
            nonce,
            ct,
        })
    }

    fn expect(&self, vault_id: &VaultId, entry_id: &EntryId, epoch: u32) -> Result<(), VaultError> {
        if self.vault_id != *vault_id {
            return Err(VaultError::WrongVault { what: ENTRY });
        }
        if self.entry_id != *entry_id {
            return Err(VaultError::WrongEntry);
        }
        if self.epoch != epoch {
            return Err(VaultError::WrongEpoch { what: ENTRY });
        }
        Ok(())
    }
}

impl SealedMeta {
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Length of [`Self::to_bytes`].
    pub fn encoded_len(&self) -> usize {
        META_HEADER_LEN + self.ct.len()
    }

    fn write_header(&self, ct_len: usize, w: &mut Writer) {
        w.bytes(&META_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .bytes(&self.vault_id.0)
            .u32(self.epoch);
        w.bytes(&self.nonce).u32(len_u32(ct_len));
    }

    /// `META_AAD_LABEL || 0x00 || header`, for a ciphertext of `ct_len` bytes.
    fn aad(&self, ct_len: usize) -> Vec<u8> {
        let mut w = Writer::with_capacity(META_HEADER_LEN);
        self.write_header(ct_len, &mut w);
        crate::wire::labelled(META_AAD_LABEL, w.as_slice())
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        self.write_header(self.ct.len(), w);
        w.bytes(&self.ct);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.encoded_len());
        self.write(&mut w);
        w.into_vec()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let mut r = Reader::new(bytes);
        let m = VaultError::malformed(META);
        read_magic_version(&mut r, META_MAGIC, META)?;
        let vault_id = VaultId(r.array().map_err(&m)?);
        let epoch = r.u32().map_err(&m)?;
        let nonce = r.array().map_err(&m)?;
        let ct = read_ct(&mut r, META_MAX_CT_LEN).map_err(&m)?;
        r.finish().map_err(&m)?;
        Ok(SealedMeta {
            vault_id,
            epoch,
            nonce,
            ct,
        })
    }

    fn expect(&self, vault_id: &VaultId, epoch: u32) -> Result<(), VaultError> {
        if self.vault_id != *vault_id {
            return Err(VaultError::WrongVault { what: META });
        }
        if self.epoch != epoch {
            return Err(VaultError::WrongEpoch { what: META });
        }
        Ok(())
    }
}

fn read_magic_version(
    r: &mut Reader<'_>,
    magic: [u8; 4],
    what: &'static str,
) -> Result<(), VaultError> {
    let m = VaultError::malformed(what);
    if r.take(4).map_err(&m)? != magic {
        return Err(VaultError::BadMagic { what });
    }
    let version = r.u8().map_err(&m)?;
    if version != FORMAT_VERSION_V1 {
        return Err(VaultError::UnsupportedVersion { what, version });
    }
    Ok(())
}

/// `ct_len` then `ct`: at least one padding block plus a tag, at most `max`, and a whole number
/// of padding blocks plus a tag.
fn read_ct(r: &mut Reader<'_>, max: usize) -> Result<Vec<u8>, WireError> {
    let offset = r.position();
    let len = r.u32_in(len_u32(PAD_BLOCK + TAG_LEN), len_u32(max))?;
    if !(len - TAG_LEN).is_multiple_of(PAD_BLOCK) {
        return Err(WireError::LengthOutOfRange {
            offset,
            len: len as u64,
            min: (PAD_BLOCK + TAG_LEN) as u64,
            max: max as u64,
        });
    }
    Ok(r.take(len)?.to_vec())
}

/// Appends `0x80 || 0x00*` up to a multiple of [`PAD_BLOCK`] (FORMAT.md §4.3).
fn pad(buf: &mut Vec<u8>) {
    buf.push(0x80);
    let rem = buf.len() % PAD_BLOCK;
    if rem != 0 {
        buf.resize(buf.len() + PAD_BLOCK - rem, 0);
    }
}

fn padded_len(len: usize) -> usize {
    (len + 1).div_ceil(PAD_BLOCK) * PAD_BLOCK
}

/// The payload without its padding, or `None` if the padding is not `0x80 || 0x00*`.
fn unpad(buf: &[u8]) -> Option<&[u8]> {
    let end = buf.iter().rposition(|&b| b != 0)?;
    (buf[end] == 0x80).then(|| &buf[..end])
}

impl VaultCipher {
    pub fn new(key: &VaultKey) -> Self {
        VaultCipher {
            aes: Aes256Gcm::new(key.expose().into()),
        }
    }

    /// Pads `plaintext` into a fresh buffer with room for the tag, encrypts it in place and
    /// appends the tag: the plaintext is never left behind in freed memory.
    fn seal_padded(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Vec<u8>, VaultError> {
        let mut ct = Vec::with_capacity(padded_len(plaintext.len()) + TAG_LEN);
        ct.extend_from_slice(plaintext);
        pad(&mut ct);
        let tag = self
            .aes
            .encrypt_inout_detached(&Nonce::from(*nonce), aad, ct.as_mut_slice().into())
            .map_err(|_| VaultError::SealFailed)?;
        ct.extend_from_slice(&tag);
        Ok(ct)
    }

    /// Decrypts `ct` (ciphertext || tag) into `scratch` and returns the unpadded plaintext.
    fn open_padded<'s>(
        &self,
        ct: &[u8],
        aad: &[u8],
        nonce: &[u8; NONCE_LEN],
        scratch: &'s mut Zeroizing<Vec<u8>>,
        what: &'static str,
    ) -> Result<&'s [u8], VaultError> {
        let fail = VaultError::TamperedOrWrongKey { what };
        let split = ct.len().checked_sub(TAG_LEN).ok_or(fail)?;
        let (body, tag) = ct.split_at(split);
        let tag = Tag::try_from(tag).map_err(|_| fail)?;
        scratch.clear();
        scratch.extend_from_slice(body);
        self.aes
            .decrypt_inout_detached(
                &Nonce::from(*nonce),
                aad,
                scratch.as_mut_slice().into(),
                &tag,
            )
            .map_err(|_| fail)?;
        unpad(scratch).ok_or(VaultError::InvalidPayload { what })
    }

    /// Seals `entry` for `vault_id`, `entry_id` and `epoch` with a fresh nonce.
    pub fn seal_entry(
        &self,
        vault_id: &VaultId,
        entry_id: &EntryId,
        epoch: u32,
        entry: &Entry,
        rng: &mut impl CryptoRng,
    ) -> Result<SealedEntry, VaultError> {
        let json = entry.to_payload_json()?;
        if padded_len(json.len()) > ENTRY_MAX_PLAINTEXT {
            return Err(VaultError::TooLarge { what: ENTRY });
        }
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed = SealedEntry {
            vault_id: *vault_id,
            entry_id: *entry_id,
            epoch,
            nonce,
            ct: Vec::new(),
        };
        // The header's ct_len is known before encrypting: padded length plus tag.
        let mut aad = Vec::new();
        sealed.aad_into(padded_len(json.len()) + TAG_LEN, &mut aad);
        sealed.ct = self.seal_padded(&json, &aad, &nonce)?;
        Ok(sealed)
    }

    /// Opens `sealed`, which must belong to `vault_id`, `entry_id` and `epoch`.
    pub fn open_entry(
        &self,
        vault_id: &VaultId,
        entry_id: &EntryId,
        epoch: u32,
        sealed: &SealedEntry,
    ) -> Result<Entry, VaultError> {
        sealed.expect(vault_id, entry_id, epoch)?;
        self.open_entry_unchecked(sealed, &mut Zeroizing::new(Vec::new()), &mut Vec::new())
    }

    /// Opens an entry whose ids the caller has already checked, reusing its buffers.
    pub(crate) fn open_entry_unchecked(
        &self,
        sealed: &SealedEntry,
        scratch: &mut Zeroizing<Vec<u8>>,
        aad: &mut Vec<u8>,
    ) -> Result<Entry, VaultError> {
        sealed.aad_into(sealed.ct.len(), aad);
        let json = self.open_padded(&sealed.ct, aad, &sealed.nonce, scratch, ENTRY)?;
        Ok(Entry::from_payload_json(json)?)
    }

    /// Seals a vault's name for `vault_id` and `epoch`.
    pub fn seal_meta(
        &self,
        vault_id: &VaultId,
        epoch: u32,
        name: &str,
        rng: &mut impl CryptoRng,
    ) -> Result<SealedMeta, VaultError> {
        if name.len() > MAX_NAME_LEN {
            return Err(VaultError::TooLarge { what: "vault name" });
        }
        let mut json = Zeroizing::new(Vec::with_capacity(32 + 6 * name.len()));
        let mut w = crate::json::Writer::new(&mut json);
        w.begin_object();
        w.str_member("name", name);
        w.end_object();
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed = SealedMeta {
            vault_id: *vault_id,
            epoch,
            nonce,
            ct: Vec::new(),
        };
        let aad = sealed.aad(padded_len(json.len()) + TAG_LEN);
        sealed.ct = self.seal_padded(&json, &aad, &nonce)?;
        Ok(sealed)
    }

    /// Opens sealed metadata, which must belong to `vault_id` and `epoch`; returns the name.
    pub fn open_meta(
        &self,
        vault_id: &VaultId,
        epoch: u32,
        sealed: &SealedMeta,
    ) -> Result<String, VaultError> {
        sealed.expect(vault_id, epoch)?;
        let mut scratch = Zeroizing::new(Vec::new());
        let aad = sealed.aad(sealed.ct.len());
        let json = self.open_padded(&sealed.ct, &aad, &sealed.nonce, &mut scratch, META)?;
        let name = read_meta(json).map_err(|_| VaultError::InvalidPayload { what: META })?;
        if name.len() > MAX_NAME_LEN {
            return Err(VaultError::InvalidPayload { what: META });
        }
        Ok(name)
    }

    /// GMAC of a snapshot: the AES-GCM tag of an empty plaintext with `aad`.
    fn tag_only(&self, nonce: &[u8; NONCE_LEN], aad: &[u8]) -> Result<[u8; TAG_LEN], VaultError> {
        let tag = self
            .aes
            .encrypt_inout_detached(&Nonce::from(*nonce), aad, (&mut [][..]).into())
            .map_err(|_| VaultError::SealFailed)?;
        Ok(tag.into())
    }

    fn verify_tag(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), VaultError> {
        self.aes
            .decrypt_inout_detached(
                &Nonce::from(*nonce),
                aad,
                (&mut [][..]).into(),
                &Tag::from(*tag),
            )
            .map_err(|_| VaultError::TamperedOrWrongKey { what: "snapshot" })
    }
}

/// Seals one entry with a one-off cipher (see [`VaultCipher::seal_entry`] for batches).
pub fn seal_entry(
    key: &VaultKey,
    vault_id: &VaultId,
    entry_id: &EntryId,
    epoch: u32,
    entry: &Entry,
    rng: &mut impl CryptoRng,
) -> Result<SealedEntry, VaultError> {
    VaultCipher::new(key).seal_entry(vault_id, entry_id, epoch, entry, rng)
}

/// Opens one entry with a one-off cipher (see [`VaultCipher::open_entry`] for batches).
pub fn open_entry(
    key: &VaultKey,
    vault_id: &VaultId,
    entry_id: &EntryId,
    epoch: u32,
    sealed: &SealedEntry,
) -> Result<Entry, VaultError> {
    VaultCipher::new(key).open_entry(vault_id, entry_id, epoch, sealed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretBytes;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    fn sample() -> Entry {
        let mut e = Entry::new(SecretBytes::new(b"12345678901234567890".to_vec()), "alice");
        e.issuer = Some("Example".into());
        e
    }

    #[test]
    fn entry_round_trip_and_binding() {
        let mut rng = rng();
        let key = VaultKey::generate(&mut rng);
        let (v, e, epoch) = (VaultId::generate(&mut rng), EntryId::generate(&mut rng), 3);
        let sealed = seal_entry(&key, &v, &e, epoch, &sample(), &mut rng).unwrap();
        let bytes = sealed.to_bytes();
        assert_eq!(bytes.len(), sealed.encoded_len());
        assert_eq!((bytes.len() - ENTRY_HEADER_LEN - TAG_LEN) % PAD_BLOCK, 0);
        let parsed = SealedEntry::from_bytes(&bytes).unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(open_entry(&key, &v, &e, epoch, &parsed).unwrap(), sample());

        let other = VaultId::generate(&mut rng);
        let code = |r: Result<Entry, VaultError>| r.unwrap_err().code();
        assert_eq!(
            code(open_entry(&key, &other, &e, epoch, &parsed)),
            "vault_wrong_vault"
        );
        assert_eq!(
            code(open_entry(
                &key,
                &v,
                &EntryId::generate(&mut rng),
                epoch,
                &parsed
            )),
            "vault_wrong_entry"
        );
        assert_eq!(
            code(open_entry(&key, &v, &e, epoch + 1, &parsed)),
            "vault_wrong_epoch"
        );
        let wrong_key = VaultKey::generate(&mut rng);
        assert_eq!(
            code(open_entry(&wrong_key, &v, &e, epoch, &parsed)),
            "vault_tampered_or_wrong_key"
        );

        // Rewriting the header's ids to the expected ones does not help: they are in the AAD.
        let mut moved = bytes.clone();
        moved[5..21].copy_from_slice(&other.0);
        let moved = SealedEntry::from_bytes(&moved).unwrap();
        assert_eq!(
            code(open_entry(&key, &other, &e, epoch, &moved)),
            "vault_tampered_or_wrong_key"
        );
        let mut replayed = bytes.clone();
        replayed[37..41].copy_from_slice(&(epoch + 1).to_be_bytes());
        let replayed = SealedEntry::from_bytes(&replayed).unwrap();
        assert_eq!(
            code(open_entry(&key, &v, &e, epoch + 1, &replayed)),
            "vault_tampered_or_wrong_key"
        );
    }

    #[test]
    fn entry_parse_errors() {
        let mut rng = rng();
        let key = VaultKey::generate(&mut rng);
        let (v, e) = (VaultId::generate(&mut rng), EntryId::generate(&mut rng));
        let bytes = seal_entry(&key, &v, &e, 1, &sample(), &mut rng)
            .unwrap()
            .to_bytes();
        let code = |b: &[u8]| SealedEntry::from_bytes(b).unwrap_err().code();
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert_eq!(code(&v2), "vault_unsupported_version");
        let mut magic = bytes.clone();
        magic[1] = b'X';
        assert_eq!(code(&magic), "vault_bad_magic");
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(code(&long), "vault_malformed");
        assert_eq!(code(&bytes[..bytes.len() - 1]), "vault_malformed");
        let mut odd = bytes.clone();
        odd[53..57].copy_from_slice(&81u32.to_be_bytes());
        assert_eq!(code(&odd), "vault_malformed");
        let mut huge = bytes.clone();
        huge[53..57].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(code(&huge), "vault_malformed");
    }

    #[test]
    fn meta_round_trip_and_binding() {
        let mut rng = rng();
        let cipher = VaultCipher::new(&VaultKey::generate(&mut rng));
        let v = VaultId::generate(&mut rng);
        let sealed = cipher
            .seal_meta(&v, 1, "Client A \u{1F512}", &mut rng)
            .unwrap();
        let parsed = SealedMeta::from_bytes(&sealed.to_bytes()).unwrap();
        assert_eq!(
            cipher.open_meta(&v, 1, &parsed).unwrap(),
            "Client A \u{1F512}"
        );
        assert_eq!(
            cipher.open_meta(&v, 2, &parsed).unwrap_err().code(),
            "vault_wrong_epoch"
        );
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            cipher.seal_meta(&v, 1, &long, &mut rng).unwrap_err().code(),
            "vault_too_large"
        );
    }

    #[test]
    fn padding() {
        for len in [0, 1, 62, 63, 64, 65, 127, 128] {
            let mut buf = vec![b'x'; len];
            pad(&mut buf);
            assert_eq!(buf.len(), padded_len(len));
            assert_eq!(buf.len() % PAD_BLOCK, 0);
            assert_eq!(unpad(&buf).unwrap(), vec![b'x'; len].as_slice());
        }
        assert!(unpad(&[b'x', 0, 0]).is_none());
        assert!(unpad(&[0, 0]).is_none());
    }

    #[test]
    fn too_large_entry_is_refused() {
        let mut rng = rng();
        let key = VaultKey::generate(&mut rng);
        let mut e = sample();
        e.notes = Some("n".repeat(ENTRY_MAX_PLAINTEXT));
        let err =
            seal_entry(&key, &VaultId([0; 16]), &EntryId([0; 16]), 1, &e, &mut rng).unwrap_err();
        assert_eq!(err.code(), "vault_too_large");
    }

    #[test]
    fn debug_is_redacted() {
        let mut rng = rng();
        let key = VaultKey::generate(&mut rng);
        let hex = data_encoding::HEXLOWER.encode(key.expose());
        for dbg in [format!("{key:?}"), format!("{:?}", VaultCipher::new(&key))] {
            assert!(dbg.contains("REDACTED") && !dbg.contains(&hex), "{dbg}");
            assert!(!dbg.contains(&format!("{:?}", key.expose())));
        }
    }
}
