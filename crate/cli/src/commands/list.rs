//! `tessera list`: what is in the vault, never a seed.

use tessera_core::Entry;
use tessera_core::otp::OtpKind;
use tessera_core::vault::EntryId;

use super::{pick, printable};
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};
use crate::team;

const HEADER: [&str; 5] = ["ID", "NAME", "ISSUER", "AWS ACCOUNT", "TYPE"];
/// Entry ids are 32 hex digits; 8 are enough to tell a personal vault's entries apart and to
/// select one with `id:PREFIX`.
const SHORT_ID_LEN: usize = 8;

pub fn run(home: &Home) -> Result<(), CliError> {
    let store = Store::open(home, Access::Read)?;
    if team::membership(home)?.is_some() {
        // Team mode: the cached team vaults too (no network), with a VAULT column.
        let (_, vaults) = team::open_cached(home, store.keyring())?;
        let mut rows = vec![pick::HEADER.map(String::from)];
        rows.extend(
            pick::candidates(&store, &vaults)
                .iter()
                .map(pick::row_with_vault),
        );
        for line in table(&rows) {
            out::line(&line)?;
        }
        return Ok(());
    }
    let entries = store.entries();
    if entries.is_empty() {
        out::note("The vault is empty: add entries with `tessera add` or `tessera import`.");
        return Ok(());
    }
    let mut rows = vec![HEADER.map(String::from)];
    rows.extend(entries.iter().map(|(id, e)| row(id, e)));
    for line in table(&rows) {
        out::line(&line)?;
    }
    Ok(())
}

/// Rows as lines of left-aligned columns two spaces apart.
pub fn table<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (cell, w) in row.iter().zip(widths) {
                line.push_str(&format!("{cell:<w$}  "));
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// The displayed columns of one entry (also used for ambiguity candidates).
pub fn row(id: &EntryId, e: &Entry) -> [String; 5] {
    let mut short_id = id.to_hex();
    short_id.truncate(SHORT_ID_LEN);
    let aws = match (&e.aws_account_id, &e.aws_account_alias) {
        (Some(id), Some(alias)) => format!("{id} ({alias})"),
        (Some(x), None) | (None, Some(x)) => x.clone(),
        (None, None) => String::new(),
    };
    let kind = match e.otp.kind {
        OtpKind::Totp { period } => format!("totp {period}s"),
        OtpKind::Hotp { counter } => format!("hotp #{counter}"),
    };
    [
        short_id,
        printable(&e.label),
        printable(e.issuer.as_deref().unwrap_or("")),
        printable(&aws),
        kind,
    ]
}
