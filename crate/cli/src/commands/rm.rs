//! `tessera rm QUERY [--yes]`.

use std::io::{self, BufRead, IsTerminal, Write};

use super::printable;
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};

pub fn run(home: &Home, query: &str, yes: bool) -> Result<(), CliError> {
    if !yes && !io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "refusing to remove without confirmation: pass --yes (stdin is not a terminal)".into(),
        ));
    }
    let mut store = Store::open(home, Access::Write)?;
    let (id, entry) = store.pick_one(query)?;
    let shown = match &entry.issuer {
        Some(issuer) => format!("{} ({})", printable(&entry.label), printable(issuer)),
        None => printable(&entry.label),
    };
    if !yes && !confirm(&format!("Remove {shown}? This cannot be undone. [y/N] "))? {
        return Err(CliError::Declined);
    }
    let vault_path = home.vault_path();
    store
        .vault_mut()
        .remove(&id)
        .map_err(|source| CliError::Vault {
            path: vault_path,
            source,
        })?;
    store.save()?;
    out::line(&format!("Removed {shown}"))
}

fn confirm(question: &str) -> Result<bool, CliError> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question}");
    let _ = stderr.flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::io("cannot read", "stdin".as_ref(), e))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
