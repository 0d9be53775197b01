//! Recovery kit text reader (docs/FORMAT.md §7): never panics; whatever it accepts prints back
//! as a kit that reads to the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::grant::RecoveryKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = RecoveryKey::from_kit(text) else {
        return;
    };
    let kit = key.to_kit();
    let again = RecoveryKey::from_kit(&kit).expect("a printed kit reads back");
    assert_eq!(again.public(), key.public());
});
