//! `tessera import FILE`: otpauth:// lines and Google Authenticator exports, all or nothing.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use tessera_core::{Entry, migration, otpauth};
use zeroize::Zeroizing;

use super::same_credential;
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};

/// Largest import read. A Google export of 1000 entries is well under 1 MiB.
const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;
const MIGRATION_PREFIX: &str = "otpauth-migration://";

#[derive(Debug, Default)]
struct Parsed {
    entries: Vec<Entry>,
    /// Lines or export entries that were refused (only with `--skip-invalid`).
    invalid: usize,
}

pub fn run(home: &Home, file: &Path, skip_invalid: bool) -> Result<(), CliError> {
    let (text, source_name) = read_input(file)?;
    // Everything is parsed before the vault is unlocked: a bad line costs no passphrase.
    let parsed = parse_lines(&text, &source_name, skip_invalid)?;
    drop(text);
    if parsed.entries.is_empty() && parsed.invalid == 0 {
        return Err(CliError::Usage(format!("no otpauth URI in {source_name}")));
    }

    let mut store = Store::open(home, Access::Write)?;
    let mut rng = crate::rng::os_seeded()?;
    let vault_path = home.vault_path();
    let (mut added, mut duplicates) = (0usize, 0usize);
    for entry in parsed.entries {
        if store.entries().iter().any(|(_, e)| same_credential(e, &entry)) {
            duplicates += 1;
            continue;
        }
        store
            .vault_mut()
            .add(entry, &mut rng)
            .map_err(|source| CliError::Vault { path: vault_path.clone(), source })?;
        added += 1;
    }
    if added > 0 {
        store.save()?;
    }
    let mut report = format!("Imported {added} {}", plural(added));
    if duplicates > 0 {
        report.push_str(&format!(", skipped {duplicates} already in the vault"));
    }
    if parsed.invalid > 0 {
        report.push_str(&format!(", skipped {} invalid", parsed.invalid));
    }
    out::line(&report)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "entry" } else { "entries" }
}

/// The whole input as text (it holds seeds: wiped on drop) and the name used in messages.
fn read_input(file: &Path) -> Result<(Zeroizing<String>, String), CliError> {
    let mut buf = Zeroizing::new(Vec::new());
    let name = if file.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(MAX_IMPORT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::io("cannot read", "stdin".as_ref(), e))?;
        "stdin".to_owned()
    } else {
        File::open(file)
            .and_then(|f| f.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut buf))
            .map_err(|e| CliError::io("cannot read", file, e))?;
        file.display().to_string()
    };
    if buf.len() as u64 > MAX_IMPORT_BYTES {
        return Err(CliError::Usage(format!("{name} is larger than 16 MiB")));
    }
    let text = String::from_utf8(std::mem::take(&mut *buf))
        .map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            CliError::Usage(format!("{name} is not UTF-8 text"))
        })?;
    Ok((Zeroizing::new(text), name))
}

/// One URI per line; blank lines and `#` comments are skipped. The first bad line or entry
/// aborts, unless `skip_invalid`, which notes it on stderr and counts it.
fn parse_lines(text: &str, source_name: &str, skip_invalid: bool) -> Result<Parsed, CliError> {
    let mut parsed = Parsed::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut refuse = |reason: String| {
            let err = CliError::Import { source_name: source_name.to_owned(), line: n + 1, reason };
            if skip_invalid {
                out::note(&format!("tessera: skipped: {err}"));
                parsed.invalid += 1;
                Ok(())
            } else {
                Err(err)
            }
        };
        let is_migration = line
            .get(..MIGRATION_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(MIGRATION_PREFIX));
        if is_migration {
            match migration::parse(line) {
                Err(e) => refuse(e.to_string())?,
                Ok(batch) => {
                    for (k, entry) in batch.entries.into_iter().enumerate() {
                        match entry {
                            Ok(entry) => parsed.entries.push(entry),
                            Err(e) => refuse(format!("entry {}: {e}", k + 1))?,
                        }
                    }
                }
            }
        } else {
            match otpauth::parse(line) {
                Ok(o) => parsed.entries.push(o.into_entry()),
                Err(e) => refuse(e.to_string())?,
            }
        }
    }
    Ok(parsed)
}
