//! An open vault that remembers the server snapshot it was opened from (its *base*) and which
//! entries changed since, and builds the bodies of the team server's vault writes from them
//! (docs/SERVER.md: `PATCH /vaults/{id}`, `POST /vaults/{id}/grants`, `POST /vaults`,
//! `POST /vaults/{id}/rotate`).
//!
//! The server stores a vault as its envelopes and rebuilds the snapshot from them
//! ([`crate::sync::snapshot_body`]); it cannot check a seal. So every seal made here is over
//! exactly the body the server will rebuild after applying the write to the base: base grants,
//! the new entry set ascending by id, the new or the base metadata. A seal over anything else
//! would make the vault fail to open for everyone, which is why the base must be the server's
//! current state: a body names its `base_version`, the server refuses a stale one, and this
//! struct refuses a second write on top of a base it already wrote from with another version
//! (`vault_stale_base`: fetch the vault and open it again).

use rand_core::CryptoRng;
use serde::Serialize;

use super::{Role, TeamError, b64};
use crate::entry::Entry;
use crate::grant::{GRANT_LEN, Grant, Recipient, RecoveryPublicKey, grant};
use crate::json::Writer;
use crate::keyring::PublicKeys;
use crate::sync::{seal_body, snapshot_body};
use crate::vault::{EntryId, OpenVault, SealedEntry, SealedVault, VaultError};

/// `PATCH /api/v1/vaults/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PatchBody {
    pub base_version: u64,
    /// Sealed entries (base64), ascending by entry id.
    pub put_entries: Vec<String>,
    /// Entry ids (hex), ascending.
    pub delete_entries: Vec<String>,
    /// New sealed metadata (base64) when the name changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<String>,
    pub seal: String,
}

/// `POST /api/v1/vaults/{id}/grants`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrantBody {
    pub base_version: u64,
    pub member_id: String,
    pub role: &'static str,
    pub grant: String,
    pub seal: String,
}

/// One member of `POST /api/v1/vaults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberGrant {
    pub member_id: String,
    pub role: &'static str,
}

/// `POST /api/v1/vaults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateBody {
    pub snapshot: String,
    pub grants: Vec<MemberGrant>,
}

/// `POST /api/v1/vaults/{id}/rotate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotateBody {
    pub base_version: u64,
    pub snapshot: String,
}

// The request bodies as JSON, written with `crate::json::Writer` (the wasm package has no
// serde_json); byte-identical to their `Serialize` output (tested).
impl PatchBody {
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.u64_member("base_version", self.base_version);
        w.key("put_entries");
        w.begin_array();
        for e in &self.put_entries {
            w.str(e);
        }
        w.end_array();
        w.key("delete_entries");
        w.begin_array();
        for e in &self.delete_entries {
            w.str(e);
        }
        w.end_array();
        w.opt_str_member("meta", self.meta.as_deref());
        w.str_member("seal", &self.seal);
        w.end_object();
    }
}

impl GrantBody {
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.u64_member("base_version", self.base_version);
        w.str_member("member_id", &self.member_id);
        w.str_member("role", self.role);
        w.str_member("grant", &self.grant);
        w.str_member("seal", &self.seal);
        w.end_object();
    }
}

impl CreateBody {
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.str_member("snapshot", &self.snapshot);
        w.key("grants");
        w.begin_array();
        for g in &self.grants {
            w.begin_object();
            w.str_member("member_id", &g.member_id);
            w.str_member("role", g.role);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
}

impl RotateBody {
    pub fn write_json(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.u64_member("base_version", self.base_version);
        w.str_member("snapshot", &self.snapshot);
        w.end_object();
    }
}

/// A member to create a vault for: id (16 bytes), role and public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    pub member_id: [u8; 16],
    pub role: Role,
    pub keys: PublicKeys,
}

/// The server snapshot a vault was opened from, and what changed locally since.
#[derive(Clone)]
struct Base {
    sealed: SealedVault,
    /// The name in `sealed` (to tell a rename).
    name: String,
    /// Ids added, updated or removed since, ascending (an id added then removed stays listed
    /// and is no change).
    touched: Vec<EntryId>,
    /// The server version this base was written from by a body built here (or created at).
    version: Option<u64>,
}

impl Base {
    fn new(sealed: SealedVault, name: &str, version: Option<u64>) -> Self {
        Base {
            sealed,
            name: name.to_owned(),
            touched: Vec::new(),
            version,
        }
    }

    fn entry(&self, id: &EntryId) -> Option<&SealedEntry> {
        let entries = self.sealed.entries();
        entries
            .binary_search_by(|e| e.entry_id().cmp(id))
            .ok()
            .map(|i| &entries[i])
    }

    fn touched(&self, id: &EntryId) -> bool {
        self.touched.binary_search(id).is_ok()
    }

    fn touch(&mut self, id: EntryId) {
        if let Err(at) = self.touched.binary_search(&id) {
            self.touched.insert(at, id);
        }
    }

    /// A later body from this base must name the version the first one named.
    fn check_version(&mut self, base_version: u64) -> Result<(), TeamError> {
        match self.version {
            Some(v) if v != base_version => Err(TeamError::StaleBase),
            _ => {
                self.version = Some(base_version);
                Ok(())
            }
        }
    }

    fn grant_bytes(&self) -> Vec<[u8; GRANT_LEN]> {
        self.sealed.grants().iter().map(Grant::to_bytes).collect()
    }
}

/// An [`OpenVault`] with its base snapshot and the ids changed since. Mutate it through its own
/// methods so that changes are recorded. `Debug` shows no name and no entry content.
#[derive(Clone)]
pub struct TrackedVault {
    open: OpenVault,
    base: Option<Base>,
}

impl core::fmt::Debug for TrackedVault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("TrackedVault");
        d.field("open", &self.open);
        if let Some(b) = &self.base {
            d.field("base", &b.sealed)
                .field("touched", &b.touched.len())
                .field("base_version", &b.version);
        }
        d.finish()
    }
}

impl TrackedVault {
    /// A vault with no base (created locally): team bodies other than
    /// [`Self::create_body`] fail with `vault_no_base`.
    pub fn new(open: OpenVault) -> Self {
        TrackedVault { open, base: None }
    }

    /// A vault opened from `base` (the snapshot `open` was opened from).
    pub fn with_base(open: OpenVault, base: SealedVault) -> Self {
        let base = Base::new(base, open.name(), None);
        TrackedVault {
            open,
            base: Some(base),
        }
    }

    pub fn open(&self) -> &OpenVault {
        &self.open
    }

    pub fn has_base(&self) -> bool {
        self.base.is_some()
    }

    fn touch(&mut self, id: EntryId) {
        if let Some(b) = self.base.as_mut() {
            b.touch(id);
        }
    }

    /// [`OpenVault::add`], recorded.
    pub fn add(&mut self, entry: Entry, rng: &mut impl CryptoRng) -> Result<EntryId, VaultError> {
        let id = self.open.add(entry, rng)?;
        self.touch(id);
        Ok(id)
    }

    /// [`OpenVault::update`], recorded.
    pub fn update(&mut self, id: &EntryId, entry: Entry) -> Result<(), VaultError> {
        self.open.update(id, entry)?;
        self.touch(*id);
        Ok(())
    }

    /// [`OpenVault::remove`], recorded.
    pub fn remove(&mut self, id: &EntryId) -> Result<Entry, VaultError> {
        let e = self.open.remove(id)?;
        self.touch(*id);
        Ok(e)
    }

    pub fn set_name(&mut self, name: impl Into<String>) {
        self.open.set_name(name);
    }

    /// [`OpenVault::rotate`]: after it, only [`Self::rotate_body`] (or a whole
    /// [`OpenVault::seal`]) can save the vault.
    pub fn rotate(&mut self, rng: &mut impl CryptoRng) -> Result<(), VaultError> {
        self.open.rotate(rng)
    }

    /// Whether anything differs from the base: an entry put or removed, or the name.
    pub fn has_changes(&self) -> bool {
        let Some(b) = &self.base else {
            return false;
        };
        b.name != self.open.name()
            || b.touched
                .iter()
                .any(|id| self.open.get(id).is_some() || b.entry(id).is_some())
    }

    /// The PATCH body for every change since the base, or `None` when nothing changed.
    pub fn patch_body(
        &mut self,
        base_version: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Option<PatchBody>, TeamError> {
        let open = &self.open;
        let (id, epoch) = (open.id(), open.epoch());
        let b = base_at_epoch(&mut self.base, epoch)?;
        let cipher = open.cipher();
        // The new entry set is the open vault's, in its (ascending id) order: base bytes for
        // the untouched, fresh envelopes for the rest.
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(open.entries().len());
        let mut puts = Vec::new();
        for (eid, e) in open.entries() {
            match b.entry(eid).filter(|_| !b.touched(eid)) {
                Some(sealed) => entries.push(sealed.to_bytes()),
                None => {
                    let bytes = cipher.seal_entry(&id, eid, epoch, e, rng)?.to_bytes();
                    puts.push(b64(&bytes));
                    entries.push(bytes);
                }
            }
        }
        let deletes: Vec<String> = b
            .touched
            .iter()
            .filter(|eid| open.get(eid).is_none() && b.entry(eid).is_some())
            .map(EntryId::to_hex)
            .collect();
        let meta = if b.name != open.name() {
            Some(cipher.seal_meta(&id, epoch, open.name(), rng)?.to_bytes())
        } else {
            None
        };
        if puts.is_empty() && deletes.is_empty() && meta.is_none() {
            return Ok(None);
        }
        b.check_version(base_version)?;
        let meta_bytes = meta.clone().unwrap_or_else(|| b.sealed.meta().to_bytes());
        let body = snapshot_body(&id, epoch, &meta_bytes, &b.grant_bytes(), &entries);
        let seal = seal_body(open.key(), &body, rng)?;
        Ok(Some(PatchBody {
            base_version,
            put_entries: puts,
            delete_entries: deletes,
            meta: meta.as_deref().map(b64),
            seal: b64(&seal),
        }))
    }

    /// The body granting the vault's current key to a member. The base must hold no unsaved
    /// change (the server's body is the base's, plus the grant).
    pub fn grant_body(
        &mut self,
        base_version: u64,
        member_id: &[u8; 16],
        role: Role,
        keys: &PublicKeys,
        rng: &mut impl CryptoRng,
    ) -> Result<GrantBody, TeamError> {
        if self.has_changes() {
            return Err(TeamError::PendingChanges);
        }
        let open = &self.open;
        let (id, epoch) = (open.id(), open.epoch());
        // Refuse a stale or rotated base before sealing anything.
        let b = base_at_epoch(&mut self.base, epoch)?;
        b.check_version(base_version)?;
        let g = grant(open.key(), &id, epoch, Recipient::Member(keys), rng)?;
        // Canonical order (kind, fingerprint); a grant to the same key replaces the old one, as
        // the server's upsert does.
        let mut grants = b.sealed.grants().to_vec();
        let key = g.sort_key();
        let at = grants.partition_point(|h| h.sort_key() < key);
        match grants.get_mut(at) {
            Some(h) if h.sort_key() == key => *h = g.clone(),
            _ => grants.insert(at, g.clone()),
        }
        let grant_bytes: Vec<[u8; GRANT_LEN]> = grants.iter().map(Grant::to_bytes).collect();
        let entries: Vec<Vec<u8>> = b
            .sealed
            .entries()
            .iter()
            .map(SealedEntry::to_bytes)
            .collect();
        let body = snapshot_body(
            &id,
            epoch,
            b.sealed.meta().to_bytes(),
            &grant_bytes,
            &entries,
        );
        let seal = seal_body(open.key(), &body, rng)?;
        Ok(GrantBody {
            base_version,
            member_id: crate::codec::hex_encode(member_id),
            role: role.name(),
            grant: b64(&g.to_bytes()),
            seal: b64(&seal),
        })
    }

    /// The body creating this vault on the server, granted to `members` and the recovery key.
    /// The snapshot becomes the base (at version 1, the server's first).
    pub fn create_body(
        &mut self,
        members: &[NewMember],
        recovery: &RecoveryPublicKey,
        rng: &mut impl CryptoRng,
    ) -> Result<CreateBody, TeamError> {
        let keys: Vec<PublicKeys> = members.iter().map(|m| m.keys).collect();
        let sealed = self.open.seal(&keys, Some(recovery), rng)?;
        let snapshot = b64(&sealed.to_bytes());
        self.base = Some(Base::new(sealed, self.open.name(), Some(1)));
        Ok(CreateBody {
            snapshot,
            grants: members
                .iter()
                .map(|m| MemberGrant {
                    member_id: crate::codec::hex_encode(&m.member_id),
                    role: m.role.name(),
                })
                .collect(),
        })
    }

    /// Moves the vault to the next epoch (unless [`Self::rotate`] already did) and returns the
    /// rotation body: every entry re-sealed, granted to exactly `members` and the recovery key.
    /// Refused with unsaved changes (a rotation must not carry edits past the audit log). The
    /// new snapshot becomes the base (at `base_version + 1`).
    pub fn rotate_body(
        &mut self,
        base_version: u64,
        members: &[PublicKeys],
        recovery: &RecoveryPublicKey,
        rng: &mut impl CryptoRng,
    ) -> Result<RotateBody, TeamError> {
        if self.has_changes() {
            return Err(TeamError::PendingChanges);
        }
        let epoch = self.open.epoch();
        let b = self.base.as_mut().ok_or(TeamError::NoBase)?;
        let base_epoch = b.sealed.epoch();
        if epoch != base_epoch && Some(epoch) != base_epoch.checked_add(1) {
            return Err(TeamError::Rotated);
        }
        b.check_version(base_version)?;
        let next = base_version.checked_add(1).ok_or(TeamError::StaleBase)?;
        if epoch == base_epoch {
            self.open.rotate(rng)?;
        }
        let sealed = self.open.seal(members, Some(recovery), rng)?;
        let snapshot = b64(&sealed.to_bytes());
        self.base = Some(Base::new(sealed, self.open.name(), Some(next)));
        Ok(RotateBody {
            base_version,
            snapshot,
        })
    }
}

/// `base`, at the vault's current `epoch` (not rotated locally since).
fn base_at_epoch(base: &mut Option<Base>, epoch: u32) -> Result<&mut Base, TeamError> {
    let b = base.as_mut().ok_or(TeamError::NoBase)?;
    if b.sealed.epoch() != epoch {
        return Err(TeamError::Rotated);
    }
    Ok(b)
}

#[cfg(test)]
mod tests;
