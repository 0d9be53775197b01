//! `tessera code`: the current code of an otpauth URI, or of the one vault entry a query picks.

use std::io::{self, BufRead, Read};
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::otp::{self, OtpKind};
use tessera_core::otpauth;
use tessera_core::{Entry, SecretBytes};
use zeroize::Zeroizing;

use super::pick;
use super::team::{self as team_cmd, Contact, MAX_CACHE_AGE_MS};
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};
use crate::team::{self, Membership};

/// The prefix that makes `tessera code TARGET` read TARGET as a URI (any case, as the parser).
const URI_PREFIX: &str = "otpauth://";

/// `Some(uri)` when `target` is a URI (or `-`, a URI on stdin); `None` when it is a query.
pub fn as_uri(target: &str) -> Result<Option<Zeroizing<String>>, CliError> {
    if target == "-" {
        return read_stdin_uri().map(Some);
    }
    let is_uri = target
        .trim_start()
        .get(..URI_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(URI_PREFIX));
    Ok(is_uri.then(|| Zeroizing::new(target.to_owned())))
}

/// Most bytes read from stdin for one URI (blank lines before it included).
const MAX_STDIN_URI: u64 = 64 * 1024;

/// Reads one URI from stdin: the first non-blank line.
pub fn read_stdin_uri() -> Result<Zeroizing<String>, CliError> {
    let mut line = Zeroizing::new(String::new());
    let mut lock = io::stdin().lock().take(MAX_STDIN_URI);
    loop {
        line.clear();
        let n = lock
            .read_line(&mut line)
            .map_err(|e| CliError::io("cannot read", "stdin".as_ref(), e))?;
        if n == 0 {
            return Err(CliError::Usage("no otpauth URI on stdin".into()));
        }
        if !line.trim().is_empty() {
            return Ok(Zeroizing::new(line.trim().to_owned()));
        }
    }
}

/// `tessera code URI`: no vault involved. HOTP gives the code at the URI's counter.
pub fn of_uri(uri: &str, at: Option<u64>) -> Result<(), CliError> {
    let parsed = otpauth::parse(uri).map_err(CliError::Uri)?;
    let code = compute(&parsed.secret, &parsed.params, at)?;
    out::line(&code)
}

/// `tessera code QUERY`. A HOTP entry's counter is advanced and saved *before* the code is
/// printed, so a code is never shown twice even if the write fails.
pub fn of_query(home: &Home, query: &str, at: Option<u64>) -> Result<(), CliError> {
    let store = Store::open(home, Access::Read)?;
    match team::membership(home)? {
        Some(m) => of_query_team(home, store, &m, query, at),
        None => personal(home, store, query, at),
    }
}

/// A query over the personal vault and the cached team vaults together.
fn of_query_team(
    home: &Home,
    store: Store,
    m: &Membership,
    query: &str,
    at: Option<u64>,
) -> Result<(), CliError> {
    let (mut index, mut vaults) = team::open_cached(home, store.keyring())?;
    let mut picked = pick::one(&pick::candidates(&store, &vaults), query);
    let stale = team::now_ms()?.saturating_sub(index.synced_ms) > MAX_CACHE_AGE_MS;
    if stale && matches!(picked, Err(CliError::NoMatch(_))) {
        // Perhaps a team entry added since the last sync (or no sync yet): look once more.
        match team_cmd::sync_with(home, m, store.keyring()) {
            Ok(_) => {
                (index, vaults) = team::open_cached(home, store.keyring())?;
                picked = pick::one(&pick::candidates(&store, &vaults), query);
            }
            Err(e) if team_cmd::transient(&e) => {}
            Err(
                e @ CliError::Team {
                    code: "member_revoked",
                    ..
                },
            ) => return Err(e),
            // The query's own answer (no match) stays the error; the sync's goes before it.
            Err(e) => out::note(&format!(
                "tessera: warning: team sync failed: {e} [{}]",
                e.code()
            )),
        }
    }
    let picked = picked?;
    let (vault_id, entry_id) = match picked {
        pick::Picked::Personal(id) => {
            return personal(home, store, &format!("id:{}", id.to_hex()), at);
        }
        pick::Picked::Team(v, e) => (v, e),
    };
    let keyring = store.keyring();
    let stale = team::now_ms()?.saturating_sub(index.synced_ms) > MAX_CACHE_AGE_MS;
    let (contact, vaults) = if stale {
        match team_cmd::sync_with(home, m, keyring) {
            Ok(synced) => (
                Contact::Signed(synced.client),
                team::open_cached(home, keyring)?.1,
            ),
            Err(e) if team_cmd::transient(&e) => {
                out::note(&format!(
                    "tessera: warning: {} unreachable or busy; using the team cache from {} min ago",
                    m.origin,
                    team::now_ms()?.saturating_sub(index.synced_ms) / 60_000
                ));
                (Contact::Offline(e), vaults)
            }
            Err(e) => return Err(e),
        }
    } else {
        (Contact::Fresh, vaults)
    };
    let entry = vaults
        .iter()
        .find(|v| v.vault.id() == vault_id)
        .and_then(|v| v.vault.get(&entry_id))
        .ok_or_else(|| {
            CliError::team(
                "team_entry_gone",
                1,
                "this entry is no longer in a team vault granted to you (after a sync)",
            )
        })?;
    if matches!(entry.otp.kind, OtpKind::Hotp { .. }) {
        return Err(CliError::team(
            "team_hotp_unsupported",
            2,
            "this team entry is counter-based (HOTP): use the extension or the console",
        ));
    }
    let code = compute(&entry.secret, &entry.otp, at)?;
    team_cmd::audit_reveal(home, m, keyring, contact, vault_id, entry_id)?;
    out::line(&code)
}

fn personal(home: &Home, mut store: Store, query: &str, at: Option<u64>) -> Result<(), CliError> {
    let (_, entry) = store.pick_one(query)?;
    if !matches!(entry.otp.kind, OtpKind::Hotp { .. }) {
        let code = compute(&entry.secret, &entry.otp, at)?;
        return out::line(&code);
    }
    if at.is_some() {
        return Err(CliError::AtWithHotp);
    }
    // Lock and re-read: another process may have used a code of this entry meanwhile.
    store.lock_for_write()?;
    let (id, entry) = store.pick_one(query)?;
    let mut entry = entry.clone();
    let code = compute(&entry.secret, &entry.otp, None)?;
    next_counter(&mut entry)?;
    let vault_path = home.vault_path();
    store
        .vault_mut()
        .update(&id, entry)
        .map_err(|source| CliError::Vault {
            path: vault_path,
            source,
        })?;
    store.save()?;
    out::line(&code)
}

fn next_counter(entry: &mut Entry) -> Result<(), CliError> {
    if let OtpKind::Hotp { counter } = &mut entry.otp.kind {
        *counter = counter
            .checked_add(1)
            .ok_or_else(|| CliError::Usage("the HOTP counter is exhausted".into()))?;
    }
    Ok(())
}

fn compute(
    secret: &SecretBytes,
    params: &tessera_core::OtpParams,
    at: Option<u64>,
) -> Result<String, CliError> {
    if at.is_some() && matches!(params.kind, OtpKind::Hotp { .. }) {
        return Err(CliError::AtWithHotp);
    }
    let now = match at {
        Some(t) => t,
        None => unix_now()?,
    };
    Ok(otp::code(secret, params, now).map_err(CliError::Otp)?.code)
}

fn unix_now() -> Result<u64, CliError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| CliError::Clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_or_query() {
        assert!(as_uri("otpauth://totp/x?secret=A").unwrap().is_some());
        assert!(as_uri("OTPAUTH://TOTP/x?secret=A").unwrap().is_some());
        assert!(as_uri("  otpauth://totp/x").unwrap().is_some());
        for query in [
            "123456789012",
            "GitHub",
            "otpauth",
            "otpauth-migration://offline",
            "é",
        ] {
            assert!(as_uri(query).unwrap().is_none(), "{query}");
        }
    }
}
