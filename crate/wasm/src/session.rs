//! The extension's unlocked session: the vault key handed to JS so the background can keep it in
//! memory-only `storage.session` and reopen the stored vault after the browser stopped its
//! service worker, without asking for the passphrase again (SECURITY.md says what this costs).
//! Conversion only: `OpenVault::key` and `SealedVault::open_with_key` are the core's.

use tessera_core::vault::{SealedVault, VAULT_KEY_LEN, VaultKey};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::vault::Vault;

/// The 32-byte key of an open vault (a copy in a JS `Uint8Array`: whoever holds it can open
/// the vault at this epoch). Throws `vault_locked`.
#[wasm_bindgen(js_name = vaultSessionKey)]
pub fn vault_session_key(vault: &Vault) -> Result<Vec<u8>, Error> {
    let (open, _) = vault.open_parts()?;
    Ok(open.key().expose().to_vec())
}

/// Opens a sealed vault (FORMAT.md §9) with a key from `vaultSessionKey`, keeping it as the
/// vault's base (as `Vault.open`). All or nothing;
/// a wrong key gives `vault_tampered_or_wrong_key`, a key of the wrong length `bad_argument`.
#[wasm_bindgen(js_name = openVaultWithSessionKey)]
pub fn open_vault_with_session_key(sealed: &[u8], key: &[u8]) -> Result<Vault, Error> {
    let key: Zeroizing<[u8; VAULT_KEY_LEN]> = Zeroizing::new(
        key.try_into()
            .map_err(|_| Error::bad_argument("the vault key must be 32 bytes"))?,
    );
    let sealed = SealedVault::from_bytes(sealed)?;
    let open = sealed.open_with_key(VaultKey::from_bytes(*key))?;
    Ok(Vault::from_open(open, sealed))
}
