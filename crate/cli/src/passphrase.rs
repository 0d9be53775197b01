//! Where the passphrase comes from: `TESSERA_PASSPHRASE` for automation, otherwise a prompt on
//! the controlling terminal with echo off.
//!
//! The passphrase lives in a `Zeroizing<String>` so our copy is wiped when dropped. The copy in
//! the process environment (when `TESSERA_PASSPHRASE` is used) cannot be wiped safely from Rust;
//! that is the price of the automation path, documented in `--help`.

use zeroize::Zeroizing;

use crate::error::CliError;

/// The variable read before any prompt.
pub const ENV: &str = "TESSERA_PASSPHRASE";

/// A passphrase for an existing keyring.
pub fn existing() -> Result<Zeroizing<String>, CliError> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    let p = prompt("Passphrase: ")?;
    non_empty(p)
}

/// A passphrase for a new keyring: typed twice on a terminal.
pub fn new() -> Result<Zeroizing<String>, CliError> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    let first = non_empty(prompt("New passphrase: ")?)?;
    let second = prompt("Repeat passphrase: ")?;
    if *first != *second {
        return Err(CliError::Usage("the two passphrases differ".into()));
    }
    Ok(first)
}

fn from_env() -> Result<Option<Zeroizing<String>>, CliError> {
    match std::env::var_os(ENV) {
        None => Ok(None),
        Some(v) => match v.into_string() {
            // Only the name of the variable, never its value, goes into the error.
            Ok(s) => non_empty(Zeroizing::new(s)).map(Some),
            Err(raw) => {
                drop(Zeroizing::new(raw.into_encoded_bytes()));
                Err(CliError::Usage(format!("{ENV} is not valid UTF-8")))
            }
        },
    }
}

fn non_empty(p: Zeroizing<String>) -> Result<Zeroizing<String>, CliError> {
    if p.is_empty() {
        Err(CliError::Usage("the passphrase is empty".into()))
    } else {
        Ok(p)
    }
}

fn prompt(text: &str) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|_| CliError::Usage(format!("no passphrase: set {ENV} or run from a terminal")))
}
