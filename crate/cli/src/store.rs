//! The unlocked home: keyring and personal vault read from disk, edited in memory, written back
//! atomically under the write lock.
//!
//! Order of work when opening: both files are read and parsed *before* the passphrase is asked,
//! so a missing or damaged file is reported without a pointless prompt. The personal vault must be
//! granted to this keyring alone: this CLI re-seals it to `[own key]` on every write, so it refuses
//! to write a vault with other recipients rather than silently dropping their grants.

use std::fs;
use std::path::Path;

use tessera_core::Entry;
use tessera_core::keyring::{KdfParams, Keyring};
use tessera_core::query;
use tessera_core::vault::{EntryId, OpenVault, SealedVault};
use zeroize::Zeroizing;

use crate::atomic;
use crate::commands::list;
use crate::error::CliError;
use crate::home::Home;
use crate::lock::WriteLock;
use crate::out;
use crate::passphrase;
use crate::rng;

/// What a command intends to do with the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Look only: no lock (replacements are atomic renames, so reads see a whole file).
    Read,
    /// Read, modify, write: holds the home's write lock from the (re-)read until drop.
    Write,
}

/// Variable that selects the Argon2id cost of *new* keyrings. `floor` (the format's minimum,
/// `KdfParams::MIN`: 19 MiB, 2 passes) exists for tests and slow machines; unset or `default`
/// gives `KdfParams::DEFAULT` (64 MiB, 3 passes). Nothing can go below the floor.
pub const KDF_ENV: &str = "TESSERA_KDF";

/// The display name sealed into a personal vault's metadata.
const PERSONAL_VAULT_NAME: &str = "Personal";

#[derive(Debug)]
pub struct Store {
    home: Home,
    keyring: Keyring,
    vault: OpenVault,
    lock: Option<WriteLock>,
}

impl Store {
    /// Unlocks the keyring and opens the vault. For [`Access::Write`] the lock is taken *after*
    /// the passphrase (a writer never holds it while someone types) and the vault is re-read
    /// under it, so what is changed and saved is the latest version.
    pub fn open(home: &Home, access: Access) -> Result<Self, CliError> {
        home.require_vault()?;
        let keyring_path = home.keyring_path();
        let keyring_bytes = read(&keyring_path)?;
        Keyring::read_header(&keyring_bytes).map_err(|source| CliError::Keyring {
            path: keyring_path.clone(),
            source,
        })?;
        let sealed = read_vault(home)?;
        let pass = passphrase::existing()?;
        let keyring =
            Keyring::open(&keyring_bytes, pass.as_bytes()).map_err(|source| CliError::Keyring {
                path: keyring_path,
                source,
            })?;
        drop(pass);
        let vault = open_vault(home, &sealed, &keyring)?;
        let mut store = Self {
            home: home.clone(),
            keyring,
            vault,
            lock: None,
        };
        if access == Access::Write {
            store.lock_for_write()?;
        }
        Ok(store)
    }

    /// Takes the write lock and re-reads the vault (another writer may have changed it since),
    /// reusing the unlocked keyring: no second passphrase or Argon2 run.
    pub fn lock_for_write(&mut self) -> Result<(), CliError> {
        if self.lock.is_none() {
            self.lock = Some(lock_for_write(&self.home)?);
            let sealed = read_vault(&self.home)?;
            self.vault = open_vault(&self.home, &sealed, &self.keyring)?;
        }
        Ok(())
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn entries(&self) -> &[(EntryId, Entry)] {
        self.vault.entries()
    }

    pub fn vault_mut(&mut self) -> &mut OpenVault {
        &mut self.vault
    }

    /// The one entry `query` designates, or an error that lists the candidates on stderr.
    ///
    /// `id:HEX` selects by entry id prefix (as `tessera list` shows); anything else follows
    /// `tessera_core::query`.
    pub fn pick_one(&self, query: &str) -> Result<(EntryId, &Entry), CliError> {
        let entries = self.entries();
        let indices: Vec<usize> = match query.trim().strip_prefix("id:") {
            Some(prefix) => by_id_prefix(entries, prefix)?,
            None => query::find(entries.iter().map(|(_, e)| e), query).indices,
        };
        match indices.as_slice() {
            [] => Err(CliError::NoMatch(query.to_owned())),
            [i] => entries
                .get(*i)
                .map(|(id, e)| (*id, e))
                .ok_or_else(|| CliError::NoMatch(query.to_owned())),
            many => {
                out::note(&format!("candidates for {query:?}:"));
                let rows: Vec<_> = many
                    .iter()
                    .filter_map(|i| entries.get(*i))
                    .map(|(id, e)| list::row(id, e))
                    .collect();
                for line in list::table(&rows) {
                    out::note(&format!("  {line}"));
                }
                Err(CliError::Ambiguous {
                    query: query.to_owned(),
                    count: many.len(),
                })
            }
        }
    }

    /// Seals the vault to this keyring and replaces the vault file atomically.
    pub fn save(&self) -> Result<(), CliError> {
        if self.lock.is_none() {
            // A programming error, reported rather than risked: a write without the lock could
            // lose a concurrent writer's update.
            return Err(CliError::Internal("vault written without the write lock"));
        }
        let mut rng = rng::os_seeded()?;
        let path = self.home.vault_path();
        let sealed = self
            .vault
            .seal(std::slice::from_ref(self.keyring.public()), None, &mut rng)
            .map_err(|source| CliError::Vault {
                path: path.clone(),
                source,
            })?;
        atomic::write(&path, &sealed.to_bytes())
            .map_err(|e| CliError::io("cannot write the vault", &path, e))
    }
}

/// `tessera init`: a new keyring and an empty personal vault granted to it, in an existing
/// directory. Returns the key fingerprint to show.
pub fn create(home: &Home, pass: Zeroizing<String>, params: KdfParams) -> Result<String, CliError> {
    let _lock = lock_for_write(home)?;
    // Re-checked under the lock: a concurrent `init` may have won.
    if home.has_vault() {
        return Err(CliError::VaultExists(home.dir().to_path_buf()));
    }
    let mut rng = rng::os_seeded()?;
    let keyring = Keyring::generate(&mut rng);
    let keyring_path = home.keyring_path();
    let keyring_bytes = keyring
        .seal(pass.as_bytes(), params, &mut rng)
        .map_err(|source| CliError::Keyring {
            path: keyring_path.clone(),
            source,
        })?;
    drop(pass);
    let vault_path = home.vault_path();
    let vault = OpenVault::create(PERSONAL_VAULT_NAME, &mut rng);
    let sealed = vault
        .seal(std::slice::from_ref(keyring.public()), None, &mut rng)
        .map_err(|source| CliError::Vault {
            path: vault_path.clone(),
            source,
        })?;
    // Keyring first: a crash in between leaves a keyring without a vault, which `init` and
    // `require_vault` report as an incomplete home rather than a vault nobody can open.
    atomic::write(&keyring_path, &keyring_bytes)
        .map_err(|e| CliError::io("cannot write the keyring", &keyring_path, e))?;
    atomic::write(&vault_path, &sealed.to_bytes())
        .map_err(|e| CliError::io("cannot write the vault", &vault_path, e))?;
    Ok(keyring.fingerprint().to_display())
}

/// The Argon2id cost for a new keyring, from [`KDF_ENV`].
pub fn kdf_params() -> Result<KdfParams, CliError> {
    match std::env::var(KDF_ENV).as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "default") => Ok(KdfParams::DEFAULT),
        Ok("floor") => Ok(KdfParams::MIN),
        _ => Err(CliError::Usage(format!(
            "{KDF_ENV} must be `default` or `floor`"
        ))),
    }
}

fn lock_for_write(home: &Home) -> Result<WriteLock, CliError> {
    let lock = WriteLock::acquire(home.dir())?;
    // Holding the lock, no live writer has a temp file here: leftovers are a crashed writer's.
    for target in [home.vault_path(), home.keyring_path()] {
        atomic::remove_stale_temps(&target)
            .map_err(|e| CliError::io("cannot clean up temporary files in", home.dir(), e))?;
    }
    Ok(lock)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    fs::read(path).map_err(|e| CliError::io("cannot read", path, e))
}

fn read_vault(home: &Home) -> Result<SealedVault, CliError> {
    let path = home.vault_path();
    let bytes = read(&path)?;
    SealedVault::from_bytes(&bytes).map_err(|source| CliError::Vault { path, source })
}

fn open_vault(home: &Home, sealed: &SealedVault, keyring: &Keyring) -> Result<OpenVault, CliError> {
    let path = home.vault_path();
    if sealed.grants().len() != 1 {
        return Err(CliError::NotPersonal(path));
    }
    sealed
        .open(keyring)
        .map_err(|source| CliError::Vault { path, source })
}

fn by_id_prefix(entries: &[(EntryId, Entry)], prefix: &str) -> Result<Vec<usize>, CliError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 4 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Usage(
            "id: needs at least 4 hex digits of an entry id".into(),
        ));
    }
    Ok(entries
        .iter()
        .enumerate()
        .filter(|(_, (id, _))| id.to_hex().starts_with(&prefix))
        .map(|(i, _)| i)
        .collect())
}
