//! The local vault home: a directory holding this user's keyring and personal vault.
//!
//! Chosen by `--home DIR`, else `TESSERA_HOME`, else the platform data directory
//! (`~/.local/share/tessera` on Linux, `~/Library/Application Support/tessera` on macOS,
//! `%APPDATA%\tessera\data` on Windows). Layout:
//!
//! ```text
//! keyring.tessera   the passphrase-sealed keyring (docs/FORMAT.md)
//! vault.tessera     the personal vault, granted to the keyring's own key
//! .lock             advisory write lock (see `lock`)
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::CliError;

pub const KEYRING_FILE: &str = "keyring.tessera";
pub const VAULT_FILE: &str = "vault.tessera";

#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// `flag` already merges `--home` and `TESSERA_HOME` (clap reads the variable).
    pub fn resolve(flag: Option<PathBuf>) -> Result<Self, CliError> {
        let dir = match flag {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(CliError::Usage(
                    "the vault home (--home / TESSERA_HOME) is empty".into(),
                ));
            }
            Some(dir) => dir,
            None => directories::ProjectDirs::from("", "", "tessera")
                .map(|d| d.data_dir().to_path_buf())
                .ok_or_else(|| {
                    CliError::Usage(
                        "no home directory found: set TESSERA_HOME or pass --home DIR".into(),
                    )
                })?,
        };
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn keyring_path(&self) -> PathBuf {
        self.dir.join(KEYRING_FILE)
    }

    pub fn vault_path(&self) -> PathBuf {
        self.dir.join(VAULT_FILE)
    }

    /// True when either file of a vault is present: `init` must then refuse.
    pub fn has_vault(&self) -> bool {
        self.keyring_path().exists() || self.vault_path().exists()
    }

    /// Fails with a message naming the directory and `tessera init` when there is no vault here,
    /// or naming the missing file when only one of the two is there (a crashed `init`, or a file
    /// moved away by hand: nothing is deleted or recreated automatically).
    pub fn require_vault(&self) -> Result<(), CliError> {
        match (self.keyring_path().exists(), self.vault_path().exists()) {
            (true, true) => Ok(()),
            (false, false) => Err(CliError::NoVault(self.dir.clone())),
            (true, false) => Err(CliError::Incomplete {
                dir: self.dir.clone(),
                missing: VAULT_FILE,
            }),
            (false, true) => Err(CliError::Incomplete {
                dir: self.dir.clone(),
                missing: KEYRING_FILE,
            }),
        }
    }

    /// Creates the directory (private to the user on Unix) for `init`.
    pub fn create_dir(&self) -> Result<(), CliError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&self.dir)
            .map_err(|e| CliError::io("cannot create the vault home", &self.dir, e))
    }
}
