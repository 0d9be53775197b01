//! Each body is applied the way the team server applies it (server/src/api/vaults.rs,
//! grants.rs: envelopes stored one by one, the snapshot rebuilt from them with the client's
//! seal), then parsed and opened: a seal over the wrong body fails to open.

use std::collections::BTreeMap;

use rand_core::UnwrapErr;

use super::*;
use crate::codec;
use crate::grant::RecoveryKey;
use crate::keyring::Keyring;
use crate::secret::SecretBytes;
use crate::sync::{SNAPSHOT_SEAL_LEN, snapshot_bytes};
use crate::vault::{SealedMeta, VaultId};

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn unb64(s: &str) -> Vec<u8> {
    codec::base64_decode(s.as_bytes(), true).unwrap()
}

fn entry(label: &str) -> Entry {
    Entry::new(SecretBytes::new(vec![label.len() as u8; 20]), label)
}

/// What the server keeps of a vault.
struct Stored {
    id: VaultId,
    epoch: u32,
    version: u64,
    meta: Vec<u8>,
    grants: BTreeMap<(u8, [u8; 32]), Vec<u8>>,
    entries: BTreeMap<EntryId, Vec<u8>>,
    seal: [u8; SNAPSHOT_SEAL_LEN],
}

impl Stored {
    fn from_snapshot(bytes: &[u8], version: u64) -> Stored {
        let snap = SealedVault::from_bytes(bytes).unwrap();
        Stored {
            id: snap.vault_id(),
            epoch: snap.epoch(),
            version,
            meta: snap.meta().to_bytes(),
            grants: snap
                .grants()
                .iter()
                .map(|g| (g.sort_key(), g.to_bytes().to_vec()))
                .collect(),
            entries: snap
                .entries()
                .iter()
                .map(|e| (e.entry_id(), e.to_bytes()))
                .collect(),
            seal: bytes[bytes.len() - SNAPSHOT_SEAL_LEN..].try_into().unwrap(),
        }
    }

    fn create(body: &CreateBody) -> Stored {
        Stored::from_snapshot(&unb64(&body.snapshot), 1)
    }

    /// The snapshot as `GET /vaults/{id}` serves it: rebuilt from the parts.
    fn snapshot(&self) -> Vec<u8> {
        let grants: Vec<&Vec<u8>> = self.grants.values().collect();
        let entries: Vec<&Vec<u8>> = self.entries.values().collect();
        let body = snapshot_body(&self.id, self.epoch, &self.meta, &grants, &entries);
        snapshot_bytes(&body, &self.seal)
    }

    fn bump(&mut self, base_version: u64) {
        assert_eq!(base_version, self.version, "version_conflict");
        self.version += 1;
    }

    fn patch(&mut self, body: &PatchBody) {
        self.bump(body.base_version);
        for d in &body.delete_entries {
            let id = EntryId(codec::hex_decode(d.as_bytes()).unwrap().try_into().unwrap());
            assert!(self.entries.remove(&id).is_some(), "entry_not_found");
        }
        for p in &body.put_entries {
            let e = SealedEntry::from_bytes(&unb64(p)).unwrap();
            assert_eq!((e.vault_id(), e.epoch()), (self.id, self.epoch));
            self.entries.insert(e.entry_id(), e.to_bytes());
        }
        if let Some(m) = &body.meta {
            let m = SealedMeta::from_bytes(&unb64(m)).unwrap();
            assert_eq!((m.vault_id(), m.epoch()), (self.id, self.epoch));
            self.meta = m.to_bytes();
        }
        self.seal = unb64(&body.seal).try_into().unwrap();
    }

    fn add_grant(&mut self, body: &GrantBody) {
        self.bump(body.base_version);
        let g = Grant::from_bytes(&unb64(&body.grant)).unwrap();
        assert_eq!((g.vault_id(), g.epoch()), (self.id, self.epoch));
        self.grants.insert(g.sort_key(), g.to_bytes().to_vec());
        self.seal = unb64(&body.seal).try_into().unwrap();
    }

    fn rotate(&mut self, body: &RotateBody) {
        let next = Stored::from_snapshot(&unb64(&body.snapshot), self.version + 1);
        assert_eq!(next.epoch, self.epoch + 1, "wrong_epoch");
        assert!(
            next.entries.keys().eq(self.entries.keys()),
            "entries_mismatch"
        );
        self.bump(body.base_version);
        *self = Stored {
            version: self.version,
            ..next
        };
    }

    fn open(&self, kr: &Keyring) -> Result<OpenVault, VaultError> {
        SealedVault::from_bytes(&self.snapshot())?.open(kr)
    }
}

struct Team {
    admin: Keyring,
    other: Keyring,
    recovery: RecoveryKey,
}

fn team() -> Team {
    Team {
        admin: Keyring::generate(&mut rng()),
        other: Keyring::generate(&mut rng()),
        recovery: RecoveryKey::generate(&mut rng()),
    }
}

fn member(kr: &Keyring, n: u8, role: Role) -> NewMember {
    NewMember {
        member_id: [n; 16],
        role,
        keys: *kr.public(),
    }
}

/// A vault with two entries created on the server, and the server's copy.
fn created(t: &Team) -> (TrackedVault, Stored) {
    let mut v = TrackedVault::new(OpenVault::create("Client A", &mut rng()));
    v.add(entry("one"), &mut rng()).unwrap();
    v.add(entry("two"), &mut rng()).unwrap();
    let body = v
        .create_body(
            &[member(&t.admin, 1, Role::Manage)],
            t.recovery.public(),
            &mut rng(),
        )
        .unwrap();
    assert_eq!(body.grants[0].member_id, "01".repeat(16));
    assert_eq!(body.grants[0].role, "manage");
    (v, Stored::create(&body))
}

/// The vault as another client opens it from the server: with its base.
fn reopened(s: &Stored, kr: &Keyring) -> TrackedVault {
    let snap = SealedVault::from_bytes(&s.snapshot()).unwrap();
    TrackedVault::with_base(snap.open(kr).unwrap(), snap)
}

fn same(a: &OpenVault, b: &OpenVault) {
    assert_eq!(a.name(), b.name());
    assert_eq!(a.epoch(), b.epoch());
    assert!(a.entries() == b.entries(), "entries differ");
}

#[test]
fn create_then_patch_every_kind_of_change() {
    let t = team();
    let (mut v, mut s) = created(&t);
    same(&s.open(&t.admin).unwrap(), v.open());
    assert_eq!(v.patch_body(1, &mut rng()).unwrap(), None);

    let ids: Vec<EntryId> = v.open().entries().iter().map(|(id, _)| *id).collect();
    let added = v.add(entry("three"), &mut rng()).unwrap();
    let mut e = v.open().get(&ids[0]).unwrap().clone();
    e.notes = Some("edited".into());
    v.update(&ids[0], e).unwrap();
    v.remove(&ids[1]).unwrap();
    v.set_name("Client A (renamed)");
    let body = v.patch_body(1, &mut rng()).unwrap().unwrap();
    assert_eq!(body.delete_entries, vec![ids[1].to_hex()]);
    assert_eq!(body.put_entries.len(), 2);
    let put_ids: Vec<EntryId> = body
        .put_entries
        .iter()
        .map(|p| SealedEntry::from_bytes(&unb64(p)).unwrap().entry_id())
        .collect();
    let mut want = vec![ids[0], added];
    want.sort();
    assert_eq!(put_ids, want, "puts ascending by id");
    assert!(body.meta.is_some());
    s.patch(&body);
    let server = s.open(&t.admin).unwrap();
    same(&server, v.open());
    assert_eq!(
        server.get(&ids[0]).unwrap().notes.as_deref(),
        Some("edited")
    );

    // The same changes again (a retry) are the same write; another version is refused.
    assert!(v.patch_body(1, &mut rng()).unwrap().is_some());
    assert_eq!(
        v.patch_body(2, &mut rng()).unwrap_err().code(),
        "vault_stale_base"
    );
}

#[test]
fn patch_from_a_reopened_snapshot_and_only_the_changes() {
    let t = team();
    let (_, mut s) = created(&t);
    let mut v = reopened(&s, &t.admin);
    assert!(!v.has_changes());
    assert_eq!(v.patch_body(1, &mut rng()).unwrap(), None);
    // Added then removed, renamed and named back: no change.
    let tmp = v.add(entry("tmp"), &mut rng()).unwrap();
    v.remove(&tmp).unwrap();
    v.set_name("x");
    v.set_name("Client A");
    assert!(!v.has_changes());
    assert_eq!(v.patch_body(1, &mut rng()).unwrap(), None);

    let id = v.add(entry("new"), &mut rng()).unwrap();
    let body = v.patch_body(1, &mut rng()).unwrap().unwrap();
    assert_eq!((body.put_entries.len(), body.delete_entries.len()), (1, 0));
    assert_eq!(body.meta, None);
    s.patch(&body);
    let server = s.open(&t.admin).unwrap();
    same(&server, v.open());
    assert!(server.get(&id).is_some());
    // JSON as the server reads it: meta absent, not null.
    let json = serde_json::to_value(&body).unwrap();
    assert!(json.get("meta").is_none());
    assert_eq!(json["base_version"], 1);
}

#[test]
fn a_seal_over_another_body_does_not_open() {
    // The check above can fail: drop one put and the server's body is not the sealed one.
    let t = team();
    let (_, mut s) = created(&t);
    let mut v = reopened(&s, &t.admin);
    v.add(entry("a"), &mut rng()).unwrap();
    v.add(entry("b"), &mut rng()).unwrap();
    let mut body = v.patch_body(1, &mut rng()).unwrap().unwrap();
    body.put_entries.pop();
    s.patch(&body);
    assert_eq!(
        s.open(&t.admin).unwrap_err().code(),
        "vault_tampered_or_wrong_key"
    );
}

#[test]
fn grant_body_adds_a_member_who_can_then_open() {
    let t = team();
    let (mut v, mut s) = created(&t);
    assert_eq!(s.open(&t.other).unwrap_err().code(), "vault_not_granted");
    let body = v
        .grant_body(1, &[2; 16], Role::Use, t.other.public(), &mut rng())
        .unwrap();
    assert_eq!(
        (body.member_id.as_str(), body.role),
        ("02".repeat(16).as_str(), "use")
    );
    s.add_grant(&body);
    same(&s.open(&t.other).unwrap(), v.open());
    same(&s.open(&t.admin).unwrap(), v.open());
    // The base did not move: another write from it needs a fresh open.
    assert_eq!(
        v.grant_body(2, &[3; 16], Role::Use, t.other.public(), &mut rng())
            .unwrap_err()
            .code(),
        "vault_stale_base"
    );

    // From a reopened copy, with unsaved changes: refused.
    let mut w = reopened(&s, &t.admin);
    w.add(entry("pending"), &mut rng()).unwrap();
    let err = w
        .grant_body(2, &[3; 16], Role::Use, t.other.public(), &mut rng())
        .unwrap_err();
    assert_eq!(err.code(), "vault_pending_changes");
}

#[test]
fn rotate_body_moves_to_the_next_epoch_for_exactly_the_given_members() {
    let t = team();
    let (mut v, mut s) = created(&t);
    let g = v
        .grant_body(1, &[2; 16], Role::Use, t.other.public(), &mut rng())
        .unwrap();
    s.add_grant(&g);
    // `other` leaves: rotate for the admin only.
    let mut w = reopened(&s, &t.admin);
    let body = w
        .rotate_body(2, &[*t.admin.public()], t.recovery.public(), &mut rng())
        .unwrap();
    s.rotate(&body);
    assert_eq!(s.epoch, 2);
    same(&s.open(&t.admin).unwrap(), w.open());
    assert_eq!(s.open(&t.other).unwrap_err().code(), "vault_not_granted");
    let snap = SealedVault::from_bytes(&s.snapshot()).unwrap();
    snap.open_with_recovery(&t.recovery).unwrap();
    // The rotated snapshot is the new base, at the next version.
    w.add(entry("after"), &mut rng()).unwrap();
    let p = w.patch_body(3, &mut rng()).unwrap().unwrap();
    s.patch(&p);
    same(&s.open(&t.admin).unwrap(), w.open());

    // Unsaved changes are not carried by a rotation.
    let mut x = reopened(&s, &t.admin);
    x.set_name("renamed");
    let err = x
        .rotate_body(4, &[*t.admin.public()], t.recovery.public(), &mut rng())
        .unwrap_err();
    assert_eq!(err.code(), "vault_pending_changes");
    // rotate() then rotate_body(): one epoch, not two.
    let mut y = reopened(&s, &t.admin);
    y.rotate(&mut rng()).unwrap();
    assert_eq!(
        y.patch_body(4, &mut rng()).unwrap_err().code(),
        "vault_rotated"
    );
    assert_eq!(
        y.grant_body(4, &[2; 16], Role::Use, t.other.public(), &mut rng())
            .unwrap_err()
            .code(),
        "vault_rotated"
    );
    let body = y
        .rotate_body(4, &[*t.admin.public()], t.recovery.public(), &mut rng())
        .unwrap();
    s.rotate(&body);
    assert_eq!(s.epoch, 3);
    same(&s.open(&t.admin).unwrap(), y.open());
}

#[test]
fn a_local_vault_has_no_base() {
    let t = team();
    let mut v = TrackedVault::new(OpenVault::create("local", &mut rng()));
    v.add(entry("a"), &mut rng()).unwrap();
    assert!(!v.has_base() && !v.has_changes());
    assert_eq!(
        v.patch_body(1, &mut rng()).unwrap_err().code(),
        "vault_no_base"
    );
    let err = v
        .grant_body(1, &[2; 16], Role::Use, t.other.public(), &mut rng())
        .unwrap_err();
    assert_eq!(err.code(), "vault_no_base");
    let err = v
        .rotate_body(1, &[*t.admin.public()], t.recovery.public(), &mut rng())
        .unwrap_err();
    assert_eq!(err.code(), "vault_no_base");
}

#[test]
fn debug_shows_no_name_or_entry() {
    let t = team();
    let (mut v, _) = created(&t);
    v.set_name("Secret Client Name");
    let dbg = format!("{v:?}");
    assert!(
        !dbg.contains("Secret Client Name") && !dbg.contains("Client A"),
        "{dbg}"
    );
    assert!(
        !dbg.contains("one") && dbg.contains("TrackedVault"),
        "{dbg}"
    );
}

/// `write_json` (what the wasm package sends) against serde_json over the `Serialize` derive.
fn json_of(write: impl FnOnce(&mut Writer<'_>)) -> String {
    let mut out = Vec::new();
    write(&mut Writer::new(&mut out));
    String::from_utf8(out).unwrap()
}

#[test]
fn write_json_is_the_serialize_output() {
    let t = team();
    let mut v = TrackedVault::new(OpenVault::create("Client A", &mut rng()));
    v.add(entry("one"), &mut rng()).unwrap();
    let members = [
        member(&t.admin, 1, Role::Manage),
        member(&t.other, 2, Role::Use),
    ];
    let create = v
        .create_body(&members, t.recovery.public(), &mut rng())
        .unwrap();
    assert_eq!(
        json_of(|w| create.write_json(w)),
        serde_json::to_string(&create).unwrap()
    );

    let s = Stored::create(&create);
    let mut v = reopened(&s, &t.admin);
    let old = v.open().entries()[0].0;
    v.add(entry("two"), &mut rng()).unwrap();
    v.remove(&old).unwrap();
    v.set_name("Client \"B\"\n");
    let patch = v.patch_body(1, &mut rng()).unwrap().unwrap();
    assert!(patch.meta.is_some() && patch.delete_entries.len() == 1);
    assert_eq!(
        json_of(|w| patch.write_json(w)),
        serde_json::to_string(&patch).unwrap()
    );
    // `meta` absent, not null, when the name did not change.
    let mut v = reopened(&s, &t.admin);
    v.add(entry("three"), &mut rng()).unwrap();
    let patch = v.patch_body(1, &mut rng()).unwrap().unwrap();
    assert_eq!(patch.meta, None);
    assert_eq!(
        json_of(|w| patch.write_json(w)),
        serde_json::to_string(&patch).unwrap()
    );

    let mut v = reopened(&s, &t.admin);
    let grant = v
        .grant_body(1, &[2; 16], Role::Use, t.other.public(), &mut rng())
        .unwrap();
    assert_eq!(
        json_of(|w| grant.write_json(w)),
        serde_json::to_string(&grant).unwrap()
    );

    let mut v = reopened(&s, &t.admin);
    let rotate = v
        .rotate_body(1, &[*t.admin.public()], t.recovery.public(), &mut rng())
        .unwrap();
    assert_eq!(
        json_of(|w| rotate.write_json(w)),
        serde_json::to_string(&rotate).unwrap()
    );
}
