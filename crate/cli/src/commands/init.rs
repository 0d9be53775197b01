//! `tessera init`: a new keyring and an empty personal vault.

use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::store;

pub fn run(home: &Home) -> Result<(), CliError> {
    if home.has_vault() {
        return Err(CliError::VaultExists(home.dir().to_path_buf()));
    }
    home.create_dir()?;
    let fingerprint = store::create(home)?;
    out::line(&format!("Created a keyring and a personal vault in {}", home.dir().display()))?;
    out::line(&format!("Key fingerprint: {fingerprint}"))
}
