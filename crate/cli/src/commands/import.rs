//! `tessera import FILE`: otpauth:// lines and Google Authenticator exports, all or nothing.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use tessera_core::{Entry, import};
use zeroize::Zeroizing;

use super::same_credential;
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};

/// Largest import read (the core's limit). A Google export of 1000 entries is under 1 MiB.
const MAX_IMPORT_BYTES: u64 = import::MAX_IMPORT_LEN as u64;

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
        if store
            .entries()
            .iter()
            .any(|(_, e)| same_credential(e, &entry))
        {
            duplicates += 1;
            continue;
        }
        store
            .vault_mut()
            .add(entry, &mut rng)
            .map_err(|source| CliError::Vault {
                path: vault_path.clone(),
                source,
            })?;
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
        return Err(CliError::Usage(format!(
            "{name} is larger than {MAX_IMPORT_BYTES} bytes"
        )));
    }
    let text = String::from_utf8(std::mem::take(&mut *buf)).map_err(|e| {
        drop(Zeroizing::new(e.into_bytes()));
        CliError::Usage(format!("{name} is not UTF-8 text"))
    })?;
    Ok((Zeroizing::new(text), name))
}

/// Delegates to `tessera_core::import` (the same reader as the extension's paste box). The
/// first bad line or export entry aborts, unless `skip_invalid`, which notes each on stderr and
/// counts it.
fn parse_lines(text: &str, source_name: &str, skip_invalid: bool) -> Result<Parsed, CliError> {
    let items = import::read(text).map_err(|e| CliError::Usage(format!("{source_name}: {e}")))?;
    let mut parsed = Parsed::default();
    for item in items {
        match item.result {
            Ok(entry) => parsed.entries.push(entry),
            Err(e) => {
                let reason = match item.index {
                    Some(k) => format!("entry {}: {e}", k + 1),
                    None => e.to_string(),
                };
                let err = CliError::Import {
                    source_name: source_name.to_owned(),
                    line: item.line,
                    reason,
                };
                if !skip_invalid {
                    return Err(err);
                }
                out::note(&format!("tessera: skipped: {err}"));
                parsed.invalid += 1;
            }
        }
    }
    Ok(parsed)
}
