//! Lenient base32 seed reader: never panics; what it accepts re-encodes canonically and
//! reads back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::secret::SecretBytes;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(secret) = SecretBytes::from_base32(text) else { return };
    assert!(!secret.is_empty());
    let canonical = secret.to_base32();
    let again = SecretBytes::from_base32(&canonical).expect("canonical base32 reads back");
    assert_eq!(again, secret);
});
