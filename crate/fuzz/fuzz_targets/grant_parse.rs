//! Grant parser (docs/FORMAT.md §5): never panics; whatever it accepts writes back to the same
//! bytes, and opening it (with the vector recovery key, which the seed corpus's genuine recovery
//! grant does open) returns a typed result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::grant::{Grant, RecoveryKey};

/// The recovery kit of tests/vectors/recovery-v1.txt.
const KIT: &str =
    "TESSERA-RECOVERY-V1-5C4N-PH5W-KN4B-EEFF-OW7E-OH5G-ANKW-JCLN-5LSB-UQZQ-LL6P-RC5C-4B4W-7SIQ";

fuzz_target!(|data: &[u8]| {
    let Ok(grant) = Grant::from_bytes(data) else {
        return;
    };
    assert_eq!(grant.to_bytes().as_slice(), data, "canonical round trip");
    let key = RecoveryKey::from_kit(KIT).expect("the vector kit reads");
    if let Err(e) = grant.open_with_recovery(&key, &grant.vault_id(), grant.epoch()) {
        assert!(!e.code().is_empty());
    }
});
