//! Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it
//! over the target, fsync the directory.
//!
//! A reader (or a crash at any point) sees either the complete old file or the complete new one,
//! never a mix: `rename` within one directory is atomic on POSIX file systems, and the two fsyncs
//! make sure the new contents are on disk before the name points at them, and the new name is on
//! disk before we report success.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Temporary files are named `.<target name>.<pid>.<n>.tmp` so that leftovers of a crashed
/// writer can be recognised and removed (see [`remove_stale_temps`]).
const TEMP_SUFFIX: &str = ".tmp";

/// Replaces `target` with `bytes`, atomically. New files are created with mode 0600 on Unix.
///
/// On error the target is untouched and the temporary file is removed (best effort).
pub fn write(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(target);
    let (temp_path, mut file) = create_temp(target)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| crash_hook());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&temp_path, target)) {
        // Best effort: a leftover temp file is harmless and removed by the next writer.
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_dir(&dir)
}

/// Removes temporary files left beside `target` by a writer that crashed before its rename.
///
/// Call it only while holding the home's write lock, so no live writer's temp file is removed.
pub fn remove_stale_temps(target: &Path) -> io::Result<()> {
    let dir = parent_dir(target);
    let prefix = temp_prefix(target);
    for item in fs::read_dir(&dir)? {
        let item = item?;
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix.as_str()) && name.ends_with(TEMP_SUFFIX) {
            fs::remove_file(item.path())?;
        }
    }
    Ok(())
}

fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.")
}

/// Creates a fresh temporary file with `O_EXCL`, so an existing file (stale or another writer's)
/// is never truncated or followed through a symlink.
fn create_temp(target: &Path) -> io::Result<(PathBuf, File)> {
    let dir = parent_dir(target);
    let prefix = temp_prefix(target);
    let pid = std::process::id();
    let mut last_err = None;
    for n in 0..100u32 {
        let mut name = OsString::from(&prefix);
        name.push(format!("{pid}.{n}{TEMP_SUFFIX}"));
        let path = dir.join(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Makes the rename durable. Directories cannot be opened as files on Windows, where `MoveFileEx`
/// is used by `rename` and this step does not apply.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Test hook, compiled into debug builds only: `TESSERA_TEST_CRASH=before-rename` aborts the
/// process after the temporary file is written and synced but before it is renamed, exactly like
/// a power cut at the worst moment. Release builds have no such hook.
#[cfg(debug_assertions)]
fn crash_hook() -> io::Result<()> {
    if std::env::var_os("TESSERA_TEST_CRASH").is_some_and(|v| v == "before-rename") {
        std::process::abort();
    }
    Ok(())
}

#[cfg(not(debug_assertions))]
fn crash_hook() -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temps(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect()
    }

    #[test]
    fn replaces_contents_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("vault");
        write(&target, b"one").unwrap();
        write(&target, b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        assert!(temps(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("vault");
        write(&target, b"x").unwrap();
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn failed_rename_leaves_old_file_and_no_temp() {
        // The target's name is taken by a non-empty directory, so the rename fails after the
        // temporary file has been fully written: the old contents (the directory's) survive.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("vault");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"old").unwrap();
        assert!(write(&target, b"new").is_err());
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"old");
        assert!(temps(dir.path()).is_empty());
    }

    #[test]
    fn missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("absent").join("vault");
        assert!(write(&target, b"new").is_err());
        assert!(!target.exists());
    }

    #[test]
    fn stale_temp_from_a_crash_is_skipped_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("vault");
        write(&target, b"old").unwrap();
        // What a writer killed between write and rename leaves behind, under our own pid.
        let stale = dir
            .path()
            .join(format!(".vault.{}.0.tmp", std::process::id()));
        fs::write(&stale, b"half-written").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old");

        write(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(
            fs::read(&stale).unwrap(),
            b"half-written",
            "O_EXCL never reuses it"
        );

        remove_stale_temps(&target).unwrap();
        assert!(temps(dir.path()).is_empty());
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }
}
