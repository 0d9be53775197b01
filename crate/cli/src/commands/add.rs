//! `tessera add URI [--name NAME] [--aws-account ID]`.

use tessera_core::Entry;
use tessera_core::matching::AccountRef;
use tessera_core::otpauth;
use zeroize::Zeroizing;

use super::{printable, same_credential};
use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store::{Access, Store};

pub fn run(
    home: &Home,
    uri: &str,
    name: Option<String>,
    aws_account: Option<String>,
) -> Result<(), CliError> {
    // Everything about the input is checked before the vault is unlocked.
    let uri = if uri == "-" {
        super::code::read_stdin_uri()?
    } else {
        Zeroizing::new(uri.to_owned())
    };
    let mut entry = otpauth::parse(&uri).map_err(CliError::Uri)?.into_entry();
    drop(uri);
    if let Some(name) = name {
        if name.trim().is_empty() {
            return Err(CliError::Usage("--name is empty".into()));
        }
        entry.label = name;
    }
    if let Some(account) = aws_account {
        set_aws_account(&mut entry, &account)?;
    }

    let mut store = Store::open(home, Access::Write)?;
    if let Some((_, existing)) = store
        .entries()
        .iter()
        .find(|(_, e)| same_credential(e, &entry))
    {
        return Err(CliError::Usage(format!(
            "this secret is already in the vault as {:?}",
            printable(&existing.label)
        )));
    }
    let mut rng = crate::rng::os_seeded()?;
    let vault_path = home.vault_path();
    store
        .vault_mut()
        .add(entry, &mut rng)
        .map_err(|source| CliError::Vault {
            path: vault_path,
            source,
        })?;
    store.save()?;
    out::line("Added 1 entry")
}

/// `--aws-account`: a 12-digit id (may be grouped `1234-5678-9012`) or an account alias. It
/// sets that field, overriding the URI label's; the other field keeps what the label said.
///
/// All-digit text that is not 12 digits is refused although AWS's alias pattern would allow it:
/// it is far more likely a mistyped account id than an alias.
fn set_aws_account(entry: &mut Entry, text: &str) -> Result<(), CliError> {
    match AccountRef::parse(text) {
        Ok(AccountRef::Id(id)) => entry.aws_account_id = Some(id),
        Ok(AccountRef::Alias(alias)) if !alias.bytes().all(|b| b.is_ascii_digit()) => {
            entry.aws_account_alias = Some(alias);
        }
        _ => {
            return Err(CliError::Usage(
                "--aws-account must be a 12-digit account id or an account alias \
                 (3 to 63 of a-z, 0-9 and -, not only digits)"
                    .into(),
            ));
        }
    }
    Ok(())
}
