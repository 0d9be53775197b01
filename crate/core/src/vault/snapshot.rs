//! The whole-vault snapshot (docs/FORMAT.md §9) and the opened vault it seals and opens,
//! including key rotation (§10).
//!
//! The snapshot's set of entries and grants is authenticated by an AES-GCM tag of an empty
//! plaintext under the vault key (GMAC) over the whole container; see FORMAT.md §9 for why a
//! vault-key MAC rather than a writer's signature.

use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{
    EntryId, FIRST_EPOCH, MAX_ENTRIES, MAX_GRANTS, META_HEADER_LEN, META_MAX_CT_LEN,
    SNAPSHOT_AAD_LABEL, SNAPSHOT_MAGIC, SealedEntry, SealedMeta, VaultCipher, VaultError, VaultId,
    VaultKey, read_magic_version,
};
use crate::entry::Entry;
use crate::grant::{
    GRANT_LEN, Grant, Recipient, RecipientKind, RecoveryKey, RecoveryPublicKey, grant,
};
use crate::keyring::{Keyring, PublicKeys};
use crate::wire::{FORMAT_VERSION_V1, NONCE_LEN, Reader, TAG_LEN, Writer, len_u32};

const SNAPSHOT: &str = "snapshot";

/// A vault as stored and synced: sealed metadata, grants and entries of one epoch, with a tag
/// over the whole (FORMAT.md §9). Holds no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedVault {
    vault_id: VaultId,
    epoch: u32,
    meta: SealedMeta,
    grants: Vec<Grant>,
    entries: Vec<SealedEntry>,
    nonce: [u8; NONCE_LEN],
    tag: [u8; TAG_LEN],
}

impl fmt::Debug for SealedVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedVault")
            .field("vault_id", &self.vault_id)
            .field("epoch", &self.epoch)
            .field("grants", &self.grants)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl SealedVault {
    pub fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    pub fn meta(&self) -> &SealedMeta {
        &self.meta
    }
    /// Grants in canonical order.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }
    /// Sealed entries, ascending by entry id.
    pub fn entries(&self) -> &[SealedEntry] {
        &self.entries
    }

    /// Everything before the nonce.
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&SNAPSHOT_MAGIC)
            .u8(FORMAT_VERSION_V1)
            .bytes(&self.vault_id.0)
            .u32(self.epoch);
        w.u32(len_u32(self.meta.encoded_len()));
        self.meta.write(w);
        w.u32(len_u32(self.grants.len()));
        for g in &self.grants {
            w.bytes(&g.to_bytes());
        }
        w.u32(len_u32(self.entries.len()));
        for e in &self.entries {
            e.write(w);
        }
    }

    fn body_len(&self) -> usize {
        4 + 1
            + 16
            + 4
            + 4
            + self.meta.encoded_len()
            + 4
            + self.grants.len() * GRANT_LEN
            + 4
            + self
                .entries
                .iter()
                .map(SealedEntry::encoded_len)
                .sum::<usize>()
    }

    /// The tag's associated data: `SNAPSHOT_AAD_LABEL || 0x00 || body`.
    fn aad(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(SNAPSHOT_AAD_LABEL.len() + 1 + self.body_len());
        w.bytes(SNAPSHOT_AAD_LABEL.as_bytes()).u8(0);
        self.write_body(&mut w);
        w.into_vec()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.body_len() + NONCE_LEN + TAG_LEN);
        self.write_body(&mut w);
        w.bytes(&self.nonce).bytes(&self.tag);
        w.into_vec()
    }

    /// Parses a snapshot strictly: bounded counts, canonical order, every embedded envelope of
    /// this vault and epoch, no trailing bytes. Checks no key: see [`Self::open`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let m = VaultError::malformed(SNAPSHOT);
        let mut r = Reader::new(bytes);
        read_magic_version(&mut r, SNAPSHOT_MAGIC, SNAPSHOT)?;
        let vault_id = VaultId(r.array().map_err(&m)?);
        let epoch = r.u32().map_err(&m)?;
        let meta_len = r
            .u32_in(
                len_u32(META_HEADER_LEN),
                len_u32(META_HEADER_LEN + META_MAX_CT_LEN),
            )
            .map_err(&m)?;
        let meta = SealedMeta::from_bytes(r.take(meta_len).map_err(&m)?)?;
        meta.expect(&vault_id, epoch)?;

        let grant_count = r.u32_in(1, len_u32(MAX_GRANTS)).map_err(&m)?;
        let mut grants: Vec<Grant> = Vec::with_capacity(grant_count.min(r.remaining() / GRANT_LEN));
        for _ in 0..grant_count {
            let g = Grant::read(&mut r)?;
            if g.vault_id() != vault_id {
                return Err(VaultError::WrongVault { what: "grant" });
            }
            if g.epoch() != epoch {
                return Err(VaultError::WrongEpoch { what: "grant" });
            }
            if grants
                .last()
                .is_some_and(|prev| prev.sort_key() >= g.sort_key())
            {
                return Err(VaultError::NotCanonical);
            }
            grants.push(g);
        }

        let entry_count = r.u32_in(0, len_u32(MAX_ENTRIES)).map_err(&m)?;
        let min_entry = super::ENTRY_HEADER_LEN + super::PAD_BLOCK + TAG_LEN;
        let mut entries: Vec<SealedEntry> =
            Vec::with_capacity(entry_count.min(r.remaining() / min_entry));
        for _ in 0..entry_count {
            let e = SealedEntry::read(&mut r)?;
            if e.vault_id != vault_id {
                return Err(VaultError::WrongVault { what: "entry" });
            }
            if e.epoch != epoch {
                return Err(VaultError::WrongEpoch { what: "entry" });
            }
            if entries
                .last()
                .is_some_and(|prev| prev.entry_id >= e.entry_id)
            {
                return Err(VaultError::NotCanonical);
            }
            entries.push(e);
        }
        let nonce = r.array().map_err(&m)?;
        let tag = r.array().map_err(&m)?;
        r.finish().map_err(&m)?;
        Ok(SealedVault {
            vault_id,
            epoch,
            meta,
            grants,
            entries,
            nonce,
            tag,
        })
    }

    /// Opens the vault with a member's keyring: finds its grant, opens it, checks the tag, then
    /// opens the metadata and every entry. All or nothing.
    ///
    /// The caller checks [`OpenVault::id`] against the vault it asked for and refuses an epoch
    /// older than the newest it has seen (rollback, FORMAT.md §9).
    pub fn open(&self, keyring: &Keyring) -> Result<OpenVault, VaultError> {
        let fp = keyring.fingerprint();
        let g = self.find_grant(RecipientKind::Member, &fp)?;
        self.open_with_key(g.open(keyring, &self.vault_id, self.epoch)?)
    }

    /// Opens the vault with the organisation recovery key (break-glass).
    pub fn open_with_recovery(&self, key: &RecoveryKey) -> Result<OpenVault, VaultError> {
        let fp = key.public().fingerprint();
        let g = self.find_grant(RecipientKind::Recovery, &fp)?;
        self.open_with_key(g.open_with_recovery(key, &self.vault_id, self.epoch)?)
    }

    fn find_grant(
        &self,
        kind: RecipientKind,
        fp: &crate::keyring::Fingerprint,
    ) -> Result<&Grant, VaultError> {
        self.grants
            .iter()
            .find(|g| g.recipient_kind() == kind && g.recipient_fingerprint() == *fp)
            .ok_or(VaultError::NotGranted)
    }

    /// Opens the vault with a vault key obtained from a grant by other means.
    pub fn open_with_key(&self, key: VaultKey) -> Result<OpenVault, VaultError> {
        let cipher = VaultCipher::new(&key);
        cipher.verify_tag(&self.nonce, &self.aad(), &self.tag)?;
        let name = cipher.open_meta(&self.vault_id, self.epoch, &self.meta)?;
        let mut scratch = Zeroizing::new(Vec::new());
        let mut aad = Vec::new();
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            entries.push((
                e.entry_id,
                cipher.open_entry_unchecked(e, &mut scratch, &mut aad)?,
            ));
        }
        Ok(OpenVault {
            id: self.vault_id,
            epoch: self.epoch,
            key,
            cipher,
            name,
            entries,
        })
    }
}

/// An unlocked vault: its key, name and entries, ready to edit and re-seal.
///
/// Entries are kept in ascending entry id order. `Debug` shows ids and counts only.
#[derive(Clone)]
pub struct OpenVault {
    id: VaultId,
    epoch: u32,
    key: VaultKey,
    cipher: VaultCipher,
    name: String,
    entries: Vec<(EntryId, Entry)>,
}

impl fmt::Debug for OpenVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenVault")
            .field("id", &self.id)
            .field("epoch", &self.epoch)
            .field("name", &"[REDACTED]")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl OpenVault {
    /// A new, empty vault at [`FIRST_EPOCH`] with a fresh id and key.
    pub fn create(name: impl Into<String>, rng: &mut impl CryptoRng) -> Self {
        let key = VaultKey::generate(rng);
        OpenVault {
            id: VaultId::generate(rng),
            epoch: FIRST_EPOCH,
            cipher: VaultCipher::new(&key),
            key,
            name: name.into(),
            entries: Vec::new(),
        }
    }

    pub fn id(&self) -> VaultId {
        self.id
    }
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    /// This epoch's key, for per-entry sealing and grants outside a snapshot.
    pub fn key(&self) -> &VaultKey {
        &self.key
    }
    /// This epoch's cipher (key schedule already done).
    pub fn cipher(&self) -> &VaultCipher {
        &self.cipher
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }
    /// Entries, ascending by id.
    pub fn entries(&self) -> &[(EntryId, Entry)] {
        &self.entries
    }

    pub fn get(&self, id: &EntryId) -> Option<&Entry> {
        self.position(id).ok().map(|i| &self.entries[i].1)
    }

    fn position(&self, id: &EntryId) -> Result<usize, usize> {
        self.entries.binary_search_by(|(e, _)| e.cmp(id))
    }

    /// Adds an entry under a fresh random id. The entry is checked against the payload schema
    /// and size limit now, so that sealing cannot fail on it later.
    pub fn add(&mut self, entry: Entry, rng: &mut impl CryptoRng) -> Result<EntryId, VaultError> {
        check_entry(&entry)?;
        if self.entries.len() >= MAX_ENTRIES {
            return Err(VaultError::TooLarge { what: "vault" });
        }
        let mut id = EntryId::generate(rng);
        let mut pos = self.position(&id);
        while pos.is_ok() {
            id = EntryId::generate(rng);
            pos = self.position(&id);
        }
        let at = pos.unwrap_or_else(|i| i);
        self.entries.insert(at, (id, entry));
        Ok(id)
    }

    /// Replaces the entry `id`.
    pub fn update(&mut self, id: &EntryId, entry: Entry) -> Result<(), VaultError> {
        check_entry(&entry)?;
        let i = self.position(id).map_err(|_| VaultError::EntryNotFound)?;
        self.entries[i].1 = entry;
        Ok(())
    }

    /// Removes and returns the entry `id`.
    pub fn remove(&mut self, id: &EntryId) -> Result<Entry, VaultError> {
        let i = self.position(id).map_err(|_| VaultError::EntryNotFound)?;
        Ok(self.entries.remove(i).1)
    }

    /// Moves to a new key epoch with a fresh key. The next [`Self::seal`] re-seals every entry
    /// under it; grant it only to the members who remain.
    pub fn rotate(&mut self, rng: &mut impl CryptoRng) -> Result<(), VaultError> {
        self.epoch = self
            .epoch
            .checked_add(1)
            .ok_or(VaultError::EpochExhausted)?;
        self.key = VaultKey::generate(rng);
        self.cipher = VaultCipher::new(&self.key);
        Ok(())
    }

    /// Seals the whole vault at its current epoch, granted to `members` and, if given, the
    /// recovery key (a member listed twice gets one grant). Fresh nonces everywhere; entry ids
    /// are kept. Fails with `vault_too_large` if the name exceeds [`super::MAX_NAME_LEN`].
    pub fn seal(
        &self,
        members: &[PublicKeys],
        recovery: Option<&RecoveryPublicKey>,
        rng: &mut impl CryptoRng,
    ) -> Result<SealedVault, VaultError> {
        let recipients: Vec<Recipient<'_>> = members
            .iter()
            .map(Recipient::Member)
            .chain(recovery.map(Recipient::Recovery))
            .collect();
        if recipients.is_empty() {
            return Err(VaultError::NoRecipients);
        }
        if recipients.len() > MAX_GRANTS {
            return Err(VaultError::TooLarge {
                what: "recipient list",
            });
        }
        let mut grants: Vec<Grant> = Vec::with_capacity(recipients.len());
        for r in recipients {
            let g = grant(&self.key, &self.id, self.epoch, r, rng)?;
            // Sorted insertion, the first grant to a repeated recipient kept: what a stable sort
            // and `dedup` did, without a slice sort's code in the wasm package (~4 KB gzipped).
            let key = g.sort_key();
            let at = grants.partition_point(|h| h.sort_key() < key);
            if grants.get(at).is_none_or(|h| h.sort_key() != key) {
                grants.insert(at, g);
            }
        }

        let meta = self
            .cipher
            .seal_meta(&self.id, self.epoch, &self.name, rng)?;
        let mut entries = Vec::with_capacity(self.entries.len());
        for (id, e) in &self.entries {
            entries.push(self.cipher.seal_entry(&self.id, id, self.epoch, e, rng)?);
        }
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed = SealedVault {
            vault_id: self.id,
            epoch: self.epoch,
            meta,
            grants,
            entries,
            nonce,
            tag: [0; TAG_LEN],
        };
        sealed.tag = self.cipher.tag_only(&nonce, &sealed.aad())?;
        Ok(sealed)
    }
}

/// The payload schema and the size limit of a sealed entry.
fn check_entry(entry: &Entry) -> Result<(), VaultError> {
    if super::padded_len(entry.to_payload_json()?.len()) > super::ENTRY_MAX_PLAINTEXT {
        return Err(VaultError::TooLarge { what: "entry" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::AwsPrincipal;
    use crate::otp::{Algorithm, OtpKind, OtpParams};
    use crate::secret::SecretBytes;
    use proptest::prelude::*;
    use rand_core::UnwrapErr;

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    fn entry(label: &str) -> Entry {
        Entry::new(SecretBytes::new(label.as_bytes().to_vec()), label)
    }

    struct Team {
        a: Keyring,
        b: Keyring,
        recovery: RecoveryKey,
        vault: OpenVault,
    }

    fn team() -> Team {
        let mut rng = rng();
        let mut vault = OpenVault::create("Client A", &mut rng);
        for l in ["one", "two", "three"] {
            vault.add(entry(l), &mut rng).unwrap();
        }
        Team {
            a: Keyring::generate(&mut rng),
            b: Keyring::generate(&mut rng),
            recovery: RecoveryKey::generate(&mut rng),
            vault,
        }
    }

    fn same(x: &OpenVault, y: &OpenVault) {
        assert_eq!((x.id(), x.epoch(), x.name()), (y.id(), y.epoch(), y.name()));
        assert_eq!(x.entries(), y.entries());
    }

    #[test]
    fn seal_and_open_by_every_recipient() {
        let t = team();
        let members = [*t.a.public(), *t.b.public()];
        let sealed = t
            .vault
            .seal(&members, Some(t.recovery.public()), &mut rng())
            .unwrap();
        let bytes = sealed.to_bytes();
        let parsed = SealedVault::from_bytes(&bytes).unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(parsed.grants().len(), 3);
        same(&parsed.open(&t.a).unwrap(), &t.vault);
        same(&parsed.open(&t.b).unwrap(), &t.vault);
        same(&parsed.open_with_recovery(&t.recovery).unwrap(), &t.vault);
        let stranger = Keyring::generate(&mut rng());
        assert_eq!(
            parsed.open(&stranger).unwrap_err().code(),
            "vault_not_granted"
        );
        assert_eq!(
            t.vault.seal(&[], None, &mut rng()).unwrap_err().code(),
            "vault_no_recipients"
        );
    }

    #[test]
    fn rotation_locks_out_a_removed_member() {
        let mut t = team();
        let mut rng = rng();
        let old = t
            .vault
            .seal(
                &[*t.a.public(), *t.b.public()],
                Some(t.recovery.public()),
                &mut rng,
            )
            .unwrap();
        let b_old_key = old
            .grants()
            .iter()
            .find(|g| g.recipient_fingerprint() == t.b.fingerprint())
            .unwrap()
            .open(&t.b, &old.vault_id(), old.epoch())
            .unwrap();

        t.vault.rotate(&mut rng).unwrap();
        assert_eq!(t.vault.epoch(), old.epoch() + 1);
        let new = t
            .vault
            .seal(&[*t.a.public()], Some(t.recovery.public()), &mut rng)
            .unwrap();
        let new = SealedVault::from_bytes(&new.to_bytes()).unwrap();
        // Remaining member and recovery open the new epoch; the removed member has no grant.
        same(&new.open(&t.a).unwrap(), &t.vault);
        same(&new.open_with_recovery(&t.recovery).unwrap(), &t.vault);
        assert_eq!(new.open(&t.b).unwrap_err().code(), "vault_not_granted");
        // The old key (all b ever had) opens nothing of the new epoch.
        assert_eq!(
            new.open_with_key(b_old_key.clone()).unwrap_err().code(),
            "vault_tampered_or_wrong_key"
        );
        for e in new.entries() {
            let err = VaultCipher::new(&b_old_key).open_entry(
                &new.vault_id(),
                &e.entry_id(),
                new.epoch(),
                e,
            );
            assert_eq!(err.unwrap_err().code(), "vault_tampered_or_wrong_key");
        }
        let meta = VaultCipher::new(&b_old_key).open_meta(&new.vault_id(), new.epoch(), new.meta());
        assert_eq!(meta.unwrap_err().code(), "vault_tampered_or_wrong_key");
        // Splicing b's old grant into the new snapshot is refused.
        let mut spliced = new.clone();
        let b_grant = old
            .grants()
            .iter()
            .find(|g| g.recipient_fingerprint() == t.b.fingerprint())
            .unwrap();
        spliced.grants.push(b_grant.clone());
        spliced.grants.sort_by_key(Grant::sort_key);
        let err = SealedVault::from_bytes(&spliced.to_bytes()).unwrap_err();
        assert_eq!(err.code(), "vault_wrong_epoch");
        // Old entries replayed into the new epoch are refused too.
        let mut replayed = new.clone();
        replayed.entries = old.entries().to_vec();
        assert_eq!(
            SealedVault::from_bytes(&replayed.to_bytes())
                .unwrap_err()
                .code(),
            "vault_wrong_epoch"
        );
    }

    #[test]
    fn the_set_of_entries_is_authenticated() {
        let t = team();
        let mut rng = rng();
        let sealed = t.vault.seal(&[*t.a.public()], None, &mut rng).unwrap();
        // Drop one entry: every remaining envelope is genuine, but the tag no longer matches.
        let mut dropped = sealed.clone();
        dropped.entries.remove(1);
        let dropped = SealedVault::from_bytes(&dropped.to_bytes()).unwrap();
        assert_eq!(
            dropped.open(&t.a).unwrap_err().code(),
            "vault_tampered_or_wrong_key"
        );
        // Swap in the same entry from another seal of the same vault and epoch.
        let other = t.vault.seal(&[*t.a.public()], None, &mut rng).unwrap();
        let mut mixed = sealed.clone();
        mixed.entries[0] = other.entries[0].clone();
        assert_eq!(
            mixed.open(&t.a).unwrap_err().code(),
            "vault_tampered_or_wrong_key"
        );
        // A duplicated entry is not canonical.
        let mut dup = sealed.clone();
        dup.entries.insert(0, dup.entries[0].clone());
        assert_eq!(
            SealedVault::from_bytes(&dup.to_bytes()).unwrap_err().code(),
            "vault_not_canonical"
        );
        // An entry from another vault.
        let stranger = OpenVault::create("x", &mut rng);
        let mut foreign = sealed.clone();
        foreign.entries[0] = stranger
            .cipher()
            .seal_entry(
                &stranger.id(),
                &EntryId([0; 16]),
                sealed.epoch(),
                &entry("x"),
                &mut rng,
            )
            .unwrap();
        assert_eq!(
            SealedVault::from_bytes(&foreign.to_bytes())
                .unwrap_err()
                .code(),
            "vault_wrong_vault"
        );
    }

    #[test]
    fn editing() {
        let mut t = team();
        let mut rng = rng();
        let id = t.vault.add(entry("four"), &mut rng).unwrap();
        assert_eq!(t.vault.entries().len(), 4);
        assert!(t.vault.entries().windows(2).all(|w| w[0].0 < w[1].0));
        t.vault.update(&id, entry("FOUR")).unwrap();
        assert_eq!(t.vault.get(&id).unwrap().label, "FOUR");
        assert_eq!(t.vault.remove(&id).unwrap().label, "FOUR");
        assert_eq!(
            t.vault.remove(&id).unwrap_err().code(),
            "vault_entry_not_found"
        );
        assert_eq!(
            t.vault.update(&id, entry("x")).unwrap_err().code(),
            "vault_entry_not_found"
        );
        let mut bad = entry("bad");
        bad.otp.digits = 4;
        assert_eq!(
            t.vault.add(bad, &mut rng).unwrap_err().code(),
            "entry_invalid_otp_params"
        );
        t.vault.set_name("Renamed");
        let sealed = t.vault.seal(&[*t.a.public()], None, &mut rng).unwrap();
        assert_eq!(sealed.open(&t.a).unwrap().name(), "Renamed");
    }

    #[test]
    fn debug_is_redacted() {
        let mut t = team();
        let mut e = entry("x");
        e.secret = SecretBytes::new(b"SEEDSEEDSEED".to_vec());
        t.vault.add(e, &mut rng()).unwrap();
        let dbg = format!("{:?}", t.vault);
        assert!(
            !dbg.contains("Client A") && !dbg.contains("SEED") && !dbg.contains("one"),
            "{dbg}"
        );
        let key_hex = data_encoding::HEXLOWER.encode(t.vault.key().expose());
        assert!(!dbg.contains(&key_hex));
        let sealed = t.vault.seal(&[*t.a.public()], None, &mut rng()).unwrap();
        assert!(!format!("{sealed:?}").contains(&key_hex));
    }

    fn arb_entry() -> impl Strategy<Value = Entry> {
        let text = ".{0,40}";
        (
            proptest::collection::vec(any::<u8>(), 1..80),
            text,
            proptest::option::of(text),
            proptest::option::of(text),
            proptest::option::of((any::<bool>(), text)),
            proptest::option::of(text),
            (
                6u8..=8,
                prop_oneof![
                    (1u32..=crate::otp::MAX_PERIOD).prop_map(|p| OtpKind::Totp { period: p }),
                    any::<u64>().prop_map(|c| OtpKind::Hotp { counter: c })
                ],
            ),
            prop_oneof![
                Just(Algorithm::Sha1),
                Just(Algorithm::Sha256),
                Just(Algorithm::Sha512)
            ],
        )
            .prop_map(
                |(secret, label, issuer, account, principal, notes, (digits, kind), algorithm)| {
                    let mut e = Entry::new(SecretBytes::new(secret), label);
                    e.otp = OtpParams {
                        kind,
                        algorithm,
                        digits,
                    };
                    e.issuer = issuer;
                    e.aws_account_id = account.clone();
                    e.aws_account_alias = account;
                    e.aws_principal = principal.map(|(root, s)| {
                        if root {
                            AwsPrincipal::Root { email: Some(s) }
                        } else {
                            AwsPrincipal::IamUser { name: s }
                        }
                    });
                    e.device_name = notes.clone();
                    e.notes = notes;
                    e
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn seal_open_round_trip(name in ".{0,60}", entries in proptest::collection::vec(arb_entry(), 0..6)) {
            let mut rng = rng();
            let kr = Keyring::generate(&mut rng);
            let mut vault = OpenVault::create(name, &mut rng);
            for e in entries {
                vault.add(e, &mut rng).unwrap();
            }
            let bytes = vault.seal(&[*kr.public()], None, &mut rng).unwrap().to_bytes();
            let opened = SealedVault::from_bytes(&bytes).unwrap().open(&kr).unwrap();
            same(&opened, &vault);
        }
    }
}
