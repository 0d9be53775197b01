//! Team mode on this machine: the membership (`team.json`), the cache of vault snapshots granted
//! to this keyring (`team/`), and the queue of audit events not yet delivered.
//!
//! ```text
//! team.json                    {origin, member_id, fingerprint, label?, joined_ms}
//! team/vaults.json             {synced_ms, vaults: [{vault_id, epoch, version, role, archived}]}
//! team/<vault_id>.snapshot     the vault's snapshot as served (FORMAT.md §9), sealed
//! team/epochs.json             {origin, vaults: {vault_id: highest key epoch opened}}
//! team/pending-events.jsonl    {"event": b64, "signature": b64} per line, oldest first
//! ```
//!
//! Every file is replaced atomically (`atomic::write`), under the home's write lock when several
//! are written together. The snapshots are sealed: only this keyring opens them.
//!
//! Rollback: a snapshot's key epoch is authenticated (inside the sealed snapshot), the server's
//! `version` is not. `epochs.json` keeps, per vault of the server this home joined, the highest
//! epoch opened, also after a grant is removed (a re-grant cannot bring an older epoch back); a
//! snapshot of a lower epoch is refused (`vault_rollback`) and the cache left as it was. The
//! record lives in `team/`, so it goes with the cache on leave and revocation.

pub mod http;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tessera_core::keyring::Keyring;
use tessera_core::vault::{OpenVault, SealedVault};

use crate::atomic;
use crate::error::CliError;
use crate::home::Home;
use crate::out;

pub const TEAM_FILE: &str = "team.json";
pub const TEAM_DIR: &str = "team";
pub const CACHE_INDEX: &str = "vaults.json";
pub const QUEUE_FILE: &str = "pending-events.jsonl";
pub const EPOCHS_FILE: &str = "epochs.json";
const SNAPSHOT_SUFFIX: &str = ".snapshot";

/// This machine's membership of one team server.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Membership {
    pub origin: String,
    pub member_id: String,
    /// Hex fingerprint of the keyring that joined (a different keyring is refused).
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub joined_ms: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CacheIndex {
    pub synced_ms: u64,
    pub vaults: Vec<CachedVault>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedVault {
    pub vault_id: String,
    pub epoch: u32,
    pub version: u64,
    pub role: String,
    #[serde(default)]
    pub archived: bool,
}

/// The highest key epoch opened per vault of one server (`team/epochs.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SeenEpochs {
    pub origin: String,
    pub vaults: BTreeMap<String, u32>,
}

impl SeenEpochs {
    /// The highest epoch of `vault_id` opened so far (0: none).
    pub fn highest(&self, vault_id: &str) -> u32 {
        self.vaults.get(vault_id).copied().unwrap_or(0)
    }

    /// Raises the record of `vault_id` to `epoch` (never lowers it).
    fn raise(&mut self, vault_id: &str, epoch: u32) {
        let e = self.vaults.entry(vault_id.to_owned()).or_insert(0);
        *e = (*e).max(epoch);
    }

    /// A cache written before the record existed: the epochs of its snapshots that open with
    /// `keyring` (opening authenticates the epoch) become the record of vaults not in it yet.
    pub fn adopt_cache(&mut self, home: &Home, keyring: &Keyring, cache: &CacheIndex) {
        for v in &cache.vaults {
            if self.vaults.contains_key(&v.vault_id) {
                continue;
            }
            let opened = fs::read(snapshot_path(home, &v.vault_id))
                .ok()
                .and_then(|bytes| SealedVault::from_bytes(&bytes).ok())
                .filter(|sealed| sealed.vault_id().to_hex() == v.vault_id)
                .and_then(|sealed| sealed.open(keyring).ok());
            if let Some(vault) = opened {
                self.raise(&v.vault_id, vault.epoch());
            }
        }
    }

    /// Admits a snapshot the server sent for `vault_id`, which its vault list announced at
    /// `listed_epoch`: refused when its epoch is lower than one already opened
    /// (`vault_rollback`) or than the list's (`vault_epoch_mismatch`; a higher one is a rotation
    /// between the list and the fetch). The epoch is recorded when the snapshot opens with
    /// `keyring`, which authenticates it; a refusal needs no such proof, as it changes nothing.
    pub fn admit(
        &mut self,
        vault_id: &str,
        sealed: &SealedVault,
        listed_epoch: u32,
        keyring: &Keyring,
    ) -> Result<(), CliError> {
        let epoch = sealed.epoch();
        let seen = self.highest(vault_id);
        if epoch < seen {
            return Err(CliError::team(
                "vault_rollback",
                1,
                format!(
                    "the server sent vault {vault_id} at key epoch {epoch}, older than epoch \
                     {seen} already seen: refused; the cached copy is kept"
                ),
            ));
        }
        if epoch < listed_epoch {
            return Err(CliError::team(
                "vault_epoch_mismatch",
                1,
                format!(
                    "the server listed vault {vault_id} at key epoch {listed_epoch} but sent \
                     epoch {epoch}: refused; the cached copy is kept"
                ),
            ));
        }
        if let Ok(vault) = sealed.open(keyring) {
            self.raise(vault_id, vault.epoch());
        }
        Ok(())
    }
}

/// One audit event waiting for the server.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueuedEvent {
    pub event: String,
    pub signature: String,
}

pub fn now_ms() -> Result<u64, CliError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .map_err(|_| CliError::Clock)
}

pub fn team_file(home: &Home) -> PathBuf {
    home.dir().join(TEAM_FILE)
}

pub fn team_dir(home: &Home) -> PathBuf {
    home.dir().join(TEAM_DIR)
}

fn index_path(home: &Home) -> PathBuf {
    team_dir(home).join(CACHE_INDEX)
}

fn epochs_path(home: &Home) -> PathBuf {
    team_dir(home).join(EPOCHS_FILE)
}

pub fn queue_path(home: &Home) -> PathBuf {
    team_dir(home).join(QUEUE_FILE)
}

pub fn snapshot_path(home: &Home, vault_id: &str) -> PathBuf {
    team_dir(home).join(format!("{vault_id}{SNAPSHOT_SUFFIX}"))
}

fn damaged(path: &Path, what: &str) -> CliError {
    CliError::team(
        "team_cache_damaged",
        1,
        format!(
            "{} is damaged ({what}); run `tessera team sync` (or `tessera team leave`)",
            path.display()
        ),
    )
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, CliError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| damaged(path, "not the expected JSON")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::io("cannot read", path, e)),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|_| CliError::Internal("team state does not serialise"))?;
    atomic::write(path, &bytes).map_err(|e| CliError::io("cannot write", path, e))
}

pub fn membership(home: &Home) -> Result<Option<Membership>, CliError> {
    read_json(&team_file(home))
}

pub fn require_membership(home: &Home) -> Result<Membership, CliError> {
    membership(home)?.ok_or_else(|| {
        CliError::team(
            "team_not_joined",
            1,
            "this home is not in a team: run `tessera team join INVITE_LINK`",
        )
    })
}

pub fn save_membership(home: &Home, m: &Membership) -> Result<(), CliError> {
    write_json(&team_file(home), m)
}

pub fn cache_index(home: &Home) -> Result<Option<CacheIndex>, CliError> {
    read_json(&index_path(home))
}

/// The highest epochs seen from `origin` (empty when none, or recorded for another server).
pub fn seen_epochs(home: &Home, origin: &str) -> Result<SeenEpochs, CliError> {
    Ok(read_json::<SeenEpochs>(&epochs_path(home))?
        .filter(|s| s.origin == origin)
        .unwrap_or_else(|| SeenEpochs {
            origin: origin.to_owned(),
            vaults: BTreeMap::new(),
        }))
}

/// Replaces `team/epochs.json` (the caller holds the write lock).
pub fn save_seen_epochs(home: &Home, seen: &SeenEpochs) -> Result<(), CliError> {
    create_team_dir(home)?;
    write_json(&epochs_path(home), seen)
}

/// Creates `team/` (0700).
pub fn create_team_dir(home: &Home) -> Result<(), CliError> {
    let dir = team_dir(home);
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| CliError::io("cannot create", &dir, e))
}

/// Replaces the cache with `vaults` (snapshots first, the index last, stale snapshots removed).
/// The caller holds the write lock.
pub fn save_cache(
    home: &Home,
    synced_ms: u64,
    vaults: &[(CachedVault, Option<Vec<u8>>)],
) -> Result<(), CliError> {
    create_team_dir(home)?;
    for (v, bytes) in vaults {
        if let Some(bytes) = bytes {
            let path = snapshot_path(home, &v.vault_id);
            atomic::write(&path, bytes).map_err(|e| CliError::io("cannot write", &path, e))?;
        }
    }
    let index = CacheIndex {
        synced_ms,
        vaults: vaults.iter().map(|(v, _)| v.clone()).collect(),
    };
    write_json(&index_path(home), &index)?;
    let dir = team_dir(home);
    let items = fs::read_dir(&dir).map_err(|e| CliError::io("cannot read", &dir, e))?;
    for item in items.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(SNAPSHOT_SUFFIX)
            && !index.vaults.iter().any(|v| v.vault_id == id)
        {
            fs::remove_file(item.path())
                .map_err(|e| CliError::io("cannot remove", &item.path(), e))?;
        }
    }
    for target in [index_path(home), queue_path(home), epochs_path(home)] {
        atomic::remove_stale_temps(&target)
            .map_err(|e| CliError::io("cannot clean up temporary files in", &dir, e))?;
    }
    Ok(())
}

/// Removes the cache and the queue; returns how many queued events were dropped.
pub fn wipe_cache(home: &Home) -> Result<usize, CliError> {
    let dropped = read_queue(home).map(|q| q.len()).unwrap_or(0);
    let dir = team_dir(home);
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(dropped),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(dropped),
        Err(e) => Err(CliError::io("cannot remove", &dir, e)),
    }
}

pub fn read_queue(home: &Home) -> Result<Vec<QueuedEvent>, CliError> {
    let path = queue_path(home);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CliError::io("cannot read", &path, e)),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|_| damaged(&path, "a line is not an event")))
        .collect()
}

/// Replaces the queue (the caller holds the write lock).
pub fn write_queue(home: &Home, events: &[QueuedEvent]) -> Result<(), CliError> {
    let path = queue_path(home);
    if events.is_empty() {
        return match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CliError::io("cannot remove", &path, e)),
        };
    }
    create_team_dir(home)?;
    let mut text = String::new();
    for e in events {
        let line = serde_json::to_string(e)
            .map_err(|_| CliError::Internal("queued event does not serialise"))?;
        text.push_str(&line);
        text.push('\n');
    }
    atomic::write(&path, text.as_bytes()).map_err(|e| CliError::io("cannot write", &path, e))
}

/// A team vault opened from the cache.
#[derive(Debug)]
pub struct TeamVault {
    pub info: CachedVault,
    pub vault: OpenVault,
}

/// The cached team vaults this keyring opens. A snapshot that does not open is skipped with a
/// note (a sync fixes it, or the grant is gone); a damaged cache is an error.
pub fn open_cached(
    home: &Home,
    keyring: &Keyring,
) -> Result<(CacheIndex, Vec<TeamVault>), CliError> {
    let index = cache_index(home)?.unwrap_or_default();
    let mut vaults = Vec::with_capacity(index.vaults.len());
    for info in &index.vaults {
        let path = snapshot_path(home, &info.vault_id);
        let bytes = fs::read(&path).map_err(|e| CliError::io("cannot read", &path, e))?;
        let sealed = SealedVault::from_bytes(&bytes).map_err(|e| damaged(&path, e.code()))?;
        match sealed.open(keyring) {
            Ok(vault) => vaults.push(TeamVault {
                info: info.clone(),
                vault,
            }),
            Err(e) => out::note(&format!(
                "tessera: warning: team vault {} does not open with this keyring ({}); skipped",
                info.vault_id,
                e.code()
            )),
        }
    }
    Ok((index, vaults))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code.

    use super::*;

    const ORIGIN: &str = "https://vault.example.com";

    /// A keyring and one vault sealed to it at epoch 1 and, rotated, at epoch 2.
    fn rotated() -> (Keyring, String, SealedVault, SealedVault) {
        let mut rng = crate::rng::os_seeded().unwrap();
        let me = Keyring::generate(&mut rng);
        let mut vault = OpenVault::create("Ops", &mut rng);
        let members = [*me.public()];
        let epoch1 = vault.seal(&members, None, &mut rng).unwrap();
        vault.rotate(&mut rng).unwrap();
        let epoch2 = vault.seal(&members, None, &mut rng).unwrap();
        assert_eq!((epoch1.epoch(), epoch2.epoch()), (1, 2));
        (me, vault.id().to_hex(), epoch1, epoch2)
    }

    #[test]
    fn an_older_epoch_than_one_opened_is_refused() {
        let (me, id, epoch1, epoch2) = rotated();
        let mut seen = SeenEpochs::default();
        seen.admit(&id, &epoch2, 2, &me).unwrap();
        assert_eq!(seen.highest(&id), 2);

        let e = seen.admit(&id, &epoch1, 1, &me).unwrap_err();
        assert_eq!(e.code(), "vault_rollback");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            format!(
                "the server sent vault {id} at key epoch 1, older than epoch 2 already seen: \
                 refused; the cached copy is kept"
            )
        );
        assert_eq!(seen.highest(&id), 2, "a refusal never lowers the record");
        // The same epoch again (a later version of it) is fine.
        seen.admit(&id, &epoch2, 2, &me).unwrap();

        // Below what the vault list announced: refused, nothing recorded.
        let mut fresh = SeenEpochs::default();
        assert_eq!(
            fresh.admit(&id, &epoch1, 2, &me).unwrap_err().code(),
            "vault_epoch_mismatch"
        );
        assert_eq!(fresh.highest(&id), 0);
        // Above it: a rotation between the list and the fetch, authentic.
        fresh.admit(&id, &epoch2, 1, &me).unwrap();
        assert_eq!(fresh.highest(&id), 2);

        // Only an epoch the keyring authenticates (by opening the snapshot) is recorded.
        let stranger = Keyring::generate(&mut crate::rng::os_seeded().unwrap());
        let mut theirs = SeenEpochs::default();
        theirs.admit(&id, &epoch2, 2, &stranger).unwrap();
        assert_eq!(theirs.highest(&id), 0);
    }

    #[test]
    fn the_record_is_per_server_adopts_an_older_cache_and_goes_with_the_cache() {
        let (me, id, _, epoch2) = rotated();
        let dir = tempfile::tempdir().unwrap();
        let home = Home::resolve(Some(dir.path().to_path_buf())).unwrap();
        let info = CachedVault {
            vault_id: id.clone(),
            epoch: 2,
            version: 7,
            role: "use".into(),
            archived: false,
        };
        // A cache written before `epochs.json` existed.
        save_cache(&home, 1, &[(info, Some(epoch2.to_bytes()))]).unwrap();
        let mut seen = seen_epochs(&home, ORIGIN).unwrap();
        assert_eq!(seen.highest(&id), 0);
        seen.adopt_cache(&home, &me, &cache_index(&home).unwrap().unwrap());
        assert_eq!(seen.highest(&id), 2);
        save_seen_epochs(&home, &seen).unwrap();

        assert_eq!(seen_epochs(&home, ORIGIN).unwrap().highest(&id), 2);
        let elsewhere = seen_epochs(&home, "https://other.example.com").unwrap();
        assert_eq!(elsewhere.highest(&id), 0, "the record is of one server");
        // A later sync keeps the record file beside the snapshots.
        save_cache(&home, 2, &[]).unwrap();
        assert_eq!(seen_epochs(&home, ORIGIN).unwrap().highest(&id), 2);

        // Leave and revocation wipe the cache, the record with it.
        wipe_cache(&home).unwrap();
        assert_eq!(seen_epochs(&home, ORIGIN).unwrap().highest(&id), 0);
    }
}
