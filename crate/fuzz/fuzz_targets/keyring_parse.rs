//! Keyring header parser (docs/FORMAT.md §3): never panics; whatever it accepts is exactly one
//! keyring long with Argon2 parameters inside the floor and ceiling, so `Keyring::open` would
//! never run the KDF with parameters out of bounds. (Opening itself runs Argon2 at 19 MiB or more
//! per input, too slow to fuzz; the byte-flip tests in crate/core/tests/format_vectors.rs cover it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::keyring::{KEYRING_LEN, Keyring, PublicKeys};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = Keyring::read_header(data) {
        assert_eq!(data.len(), KEYRING_LEN);
        header
            .kdf
            .check()
            .expect("accepted parameters are in bounds");
    }
    if let Ok(keys) = PublicKeys::from_bytes(data) {
        assert_eq!(keys.to_bytes().as_slice(), data);
    }
});
