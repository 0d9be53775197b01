//! `tessera init`: a new keyring and an empty personal vault.

use crate::error::CliError;
use crate::home::Home;
use crate::out;
use crate::passphrase;
use crate::store;

pub fn run(home: &Home) -> Result<(), CliError> {
    if home.has_vault() {
        return Err(CliError::VaultExists(home.dir().to_path_buf()));
    }
    // Everything that can be refused is asked before the directory is created.
    let params = store::kdf_params()?;
    let pass = passphrase::new()?;
    home.create_dir()?;
    let fingerprint = store::create(home, pass, params)?;
    out::line(&format!(
        "Created a keyring and a personal vault in {}",
        home.dir().display()
    ))?;
    out::line(&format!("Key fingerprint: {fingerprint}"))?;
    out::line("Nothing can open this vault without the passphrase: keep it safe.")
}
