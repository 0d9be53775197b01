//! Vault snapshot, sealed entry and sealed metadata parsers (docs/FORMAT.md §4, §9): never
//! panic; whatever they accept writes back to the same bytes (the container is canonical), and
//! opening with a key that did not seal it fails with a typed error, never a plaintext.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::vault::{SealedEntry, SealedMeta, SealedVault, VaultCipher, VaultKey};

fuzz_target!(|data: &[u8]| {
    let cipher = VaultCipher::new(&VaultKey::from_bytes([7; 32]));
    if let Ok(vault) = SealedVault::from_bytes(data) {
        assert_eq!(vault.to_bytes(), data, "canonical round trip");
        assert!(vault.open_with_key(VaultKey::from_bytes([7; 32])).is_err());
    }
    if let Ok(entry) = SealedEntry::from_bytes(data) {
        assert_eq!(entry.to_bytes(), data, "canonical round trip");
        let opened = cipher.open_entry(&entry.vault_id(), &entry.entry_id(), entry.epoch(), &entry);
        assert!(opened.is_err());
    }
    if let Ok(meta) = SealedMeta::from_bytes(data) {
        assert_eq!(meta.to_bytes(), data, "canonical round trip");
        assert!(
            cipher
                .open_meta(&meta.vault_id(), meta.epoch(), &meta)
                .is_err()
        );
    }
});
