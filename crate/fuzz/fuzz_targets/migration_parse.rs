//! Google Authenticator migration reader: never panics, on the raw protobuf payload and on
//! the URI; every entry it accepts survives an otpauth round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::entry::Entry;
use tessera_core::migration::{self, MigrationBatch};
use tessera_core::otpauth::{self, OtpAuth};

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = MigrationBatch::from_protobuf(data) {
        check(&batch);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(batch) = migration::parse(text)
    {
        check(&batch);
    }
});

fn check(batch: &MigrationBatch) {
    for entry in batch.entries.iter().flatten() {
        let uri = otpauth::to_uri(entry).expect("an imported entry can be written as a URI");
        if uri.len() > otpauth::MAX_URI_LEN {
            continue; // Long names: the otpauth reader's length cap applies.
        }
        let back: Entry = OtpAuth::parse(&uri).expect("and read back").into();
        assert_eq!(&back, entry);
    }
}
