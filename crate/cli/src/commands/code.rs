//! `tessera code`: the current code of an otpauth URI, or of the one vault entry a query picks.

use std::io::{self, BufRead, Read};
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::otp::{self, OtpKind};
use tessera_core::otpauth;
use tessera_core::{Entry, SecretBytes};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};

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
    let mut store = Store::open(home, Access::Read)?;
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
