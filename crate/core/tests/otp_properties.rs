//! Property tests: otpauth emit -> parse round trip, base32 round trip, and no panics on
//! arbitrary input for the three parsers that read untrusted text.

use proptest::prelude::*;
use tessera_core::entry::Entry;
use tessera_core::migration::{self, MigrationBatch};
use tessera_core::otp::{Algorithm, MAX_PERIOD, OtpKind, OtpParams};
use tessera_core::otpauth::{self, OtpAuth};
use tessera_core::secret::SecretBytes;

fn params() -> impl Strategy<Value = OtpParams> {
    let kind = prop_oneof![
        (1..=MAX_PERIOD).prop_map(|period| OtpKind::Totp { period }),
        any::<u64>().prop_map(|counter| OtpKind::Hotp { counter }),
    ];
    let algorithm = prop::sample::select(Algorithm::ALL.to_vec());
    (kind, algorithm, 6u8..=8).prop_map(|(kind, algorithm, digits)| OtpParams {
        kind,
        algorithm,
        digits,
    })
}

/// Display text as users type it: any printable characters, trimmed (the parser trims).
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,24}".prop_map(|s| s.trim().to_owned())
}

fn entry() -> impl Strategy<Value = Entry> {
    let issuer = prop::option::of(text().prop_filter("non-empty", |s| !s.is_empty()));
    (
        prop::collection::vec(any::<u8>(), 1..=64),
        params(),
        text(),
        issuer,
    )
        .prop_map(|(secret, otp, label, issuer)| {
            let mut entry = Entry::new(SecretBytes::new(secret), label);
            entry.otp = otp;
            entry.issuer = issuer;
            entry
        })
}

proptest! {
    #[test]
    fn otpauth_emit_then_parse(entry in entry()) {
        let uri = otpauth::to_uri(&entry).unwrap();
        let parsed = OtpAuth::parse(&uri).unwrap();
        prop_assert_eq!(&parsed.secret, &entry.secret);
        prop_assert_eq!(parsed.params, entry.otp);
        prop_assert_eq!(&parsed.account, &entry.label);
        prop_assert_eq!(&parsed.issuer, &entry.issuer);
        // Canonical means a fixed point.
        let again = parsed.to_uri().unwrap();
        prop_assert_eq!(again.as_str(), uri.as_str());
    }

    #[test]
    fn base32_round_trip(bytes in prop::collection::vec(any::<u8>(), 1..=200), group in 1usize..9) {
        let secret = SecretBytes::new(bytes.clone());
        let text = secret.to_base32();
        prop_assert_eq!(SecretBytes::from_base32(&text).unwrap(), secret.clone());
        // Lower case, grouped with spaces, and padded forms read the same.
        let spaced: String = text
            .to_lowercase()
            .as_bytes()
            .chunks(group)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert_eq!(SecretBytes::from_base32(&spaced).unwrap(), secret.clone());
        let padded = data_encoding::BASE32.encode(&bytes);
        prop_assert_eq!(SecretBytes::from_base32(&padded).unwrap(), secret);
    }

    #[test]
    fn base32_never_panics(text in "\\PC{0,80}|[A-Za-z2-7= -]{0,80}") {
        let _ = SecretBytes::from_base32(&text);
    }

    #[test]
    fn otpauth_never_panics(text in "otpauth://(totp|hotp)/[^?]{0,20}\\?([a-z]{0,9}=[A-Za-z0-9%:@+= -]{0,20}&?){0,6}|\\PC{0,60}") {
        let _ = OtpAuth::parse(&text);
    }

    #[test]
    fn migration_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = MigrationBatch::from_protobuf(&bytes);
        let uri = format!("otpauth-migration://offline?data={}", data_encoding::BASE64.encode(&bytes));
        let _ = migration::parse(&uri);
    }
}
