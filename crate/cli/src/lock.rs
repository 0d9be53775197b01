//! One writer at a time per vault home.
//!
//! Every command that changes the home (read, modify, write) holds an exclusive advisory lock on
//! `<home>/.lock` (flock on Unix, LockFileEx on Windows, through `std::fs::File::try_lock`) from
//! before it reads the vault until after the rename. Two concurrent `tessera add` therefore run one
//! after the other and neither loses the other's entry. Readers take no lock: a replacement is an
//! atomic rename (see `atomic`), so they always see a whole file. The lock is released by the OS
//! when the process exits, even on a crash, so a stale lock file is harmless.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::error::CliError;

/// How long a writer waits for another to finish before giving up.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// Held for as long as the home must not change under us; unlocks on drop.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    pub fn acquire(home: &Path) -> Result<Self, CliError> {
        let path = home.join(".lock");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|e| CliError::io("cannot open the lock file", &path, e))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if start.elapsed() < WAIT => sleep(POLL),
                Err(TryLockError::WouldBlock) => return Err(CliError::Busy(path)),
                Err(TryLockError::Error(e)) => return Err(CliError::io("cannot lock", &path, e)),
            }
        }
    }
}
