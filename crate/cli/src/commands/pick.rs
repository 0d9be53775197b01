//! Picking one entry among the personal vault and the cached team vaults (team mode), with the
//! same query rules as `Store::pick_one` (`tessera_core::query`, or `id:HEX`).

use tessera_core::Entry;
use tessera_core::query;
use tessera_core::vault::{EntryId, VaultId};

use super::list::{row, table};
use super::printable;
use crate::error::CliError;
use crate::out;
use crate::store::Store;
use crate::team::TeamVault;

/// One entry and where it lives.
#[derive(Debug)]
pub struct Candidate<'a> {
    pub vault: Option<VaultId>,
    pub vault_name: String,
    pub id: EntryId,
    pub entry: &'a Entry,
}

/// What the query designates.
#[derive(Debug, Clone, Copy)]
pub enum Picked {
    Personal(EntryId),
    Team(VaultId, EntryId),
}

/// Personal entries first, then each team vault's.
pub fn candidates<'a>(store: &'a Store, team: &'a [TeamVault]) -> Vec<Candidate<'a>> {
    let personal = store.entries().iter().map(|(id, e)| Candidate {
        vault: None,
        vault_name: "Personal".into(),
        id: *id,
        entry: e,
    });
    let shared = team.iter().flat_map(|v| {
        v.vault.entries().iter().map(move |(id, e)| Candidate {
            vault: Some(v.vault.id()),
            vault_name: printable(v.vault.name()),
            id: *id,
            entry: e,
        })
    });
    personal.chain(shared).collect()
}

/// A `tessera list` row with the vault as a sixth column.
pub fn row_with_vault(c: &Candidate<'_>) -> [String; 6] {
    let [a, b, cc, d, e] = row(&c.id, c.entry);
    [a, b, cc, d, e, c.vault_name.clone()]
}

pub const HEADER: [&str; 6] = ["ID", "NAME", "ISSUER", "AWS ACCOUNT", "TYPE", "VAULT"];

pub fn one(cands: &[Candidate<'_>], query: &str) -> Result<Picked, CliError> {
    let indices: Vec<usize> = match query.trim().strip_prefix("id:") {
        Some(prefix) => {
            let prefix = prefix.trim().to_ascii_lowercase();
            if prefix.len() < 4 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(CliError::Usage(
                    "id: needs at least 4 hex digits of an entry id".into(),
                ));
            }
            cands
                .iter()
                .enumerate()
                .filter(|(_, c)| c.id.to_hex().starts_with(&prefix))
                .map(|(i, _)| i)
                .collect()
        }
        None => query::find(cands.iter().map(|c| c.entry), query).indices,
    };
    match indices.as_slice() {
        [i] => {
            let c = cands
                .get(*i)
                .ok_or_else(|| CliError::NoMatch(query.to_owned()))?;
            Ok(match c.vault {
                None => Picked::Personal(c.id),
                Some(v) => Picked::Team(v, c.id),
            })
        }
        [] => Err(CliError::NoMatch(query.to_owned())),
        many => {
            out::note(&format!("candidates for {query:?}:"));
            let rows: Vec<_> = many
                .iter()
                .filter_map(|i| cands.get(*i))
                .map(row_with_vault)
                .collect();
            for line in table(&rows) {
                out::note(&format!("  {line}"));
            }
            Err(CliError::Ambiguous {
                query: query.to_owned(),
                count: many.len(),
            })
        }
    }
}
