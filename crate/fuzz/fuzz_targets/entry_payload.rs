//! Entry payload parser (the JSON inside a sealed entry, docs/FORMAT.md §4.4): never panics;
//! whatever it accepts writes back to a payload that reads to the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::entry::Entry;

fuzz_target!(|data: &[u8]| {
    let Ok(entry) = Entry::from_payload_json(data) else {
        return;
    };
    let json = entry
        .to_payload_json()
        .expect("an accepted entry can be written back");
    let again = Entry::from_payload_json(&json).expect("the written payload reads back");
    assert_eq!(again, entry, "round trip");
    // Writing is canonical: the second write is byte-identical to the first.
    assert_eq!(&again.to_payload_json().expect("writes")[..], &json[..]);
});
