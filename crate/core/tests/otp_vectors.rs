//! The OTP, otpauth and Google Authenticator migration vectors of `tests/vectors/`.

mod common;

use common::vectors::{Record, read_records};
use tessera_core::entry::{AwsPrincipal, Entry};
use tessera_core::migration;
use tessera_core::otp::{self, Algorithm, Generator, OtpKind, OtpParams};
use tessera_core::otpauth::{self, OtpAuth};
use tessera_core::secret::SecretBytes;

#[allow(
    clippy::panic,
    reason = "test helper: an unknown algorithm fails the test"
)]
fn algorithm(record: &Record) -> Algorithm {
    let name = record.get("algorithm");
    Algorithm::from_name(name).unwrap_or_else(|| panic!("{}: algorithm {name}", record.origin))
}

#[test]
fn rfc4226_appendix_d() {
    let records = read_records("rfc4226-appendix-d.txt");
    assert_eq!(records.len(), 10);
    for record in records {
        record.expect_keys(&["secret_hex", "algorithm", "digits", "counter", "code"]);
        let secret = SecretBytes::new(record.hex("secret_hex"));
        let (alg, digits, counter) = (
            algorithm(&record),
            record.parse("digits"),
            record.parse("counter"),
        );
        let code = otp::hotp_at(&secret, alg, digits, counter).unwrap();
        assert_eq!(code.code, record.get("code"), "{}", record.origin);
        let params = OtpParams {
            kind: OtpKind::Hotp { counter },
            algorithm: alg,
            digits,
        };
        assert_eq!(
            Generator::new(&secret, &params).unwrap().generate(0).code,
            record.get("code")
        );
    }
}

#[test]
fn rfc6238_appendix_b() {
    let records = read_records("rfc6238-appendix-b.txt");
    assert_eq!(records.len(), 18, "6 times x 3 algorithms");
    for record in records {
        record.expect_keys(&[
            "time",
            "algorithm",
            "secret_hex",
            "digits",
            "period",
            "code",
        ]);
        let secret = SecretBytes::new(record.hex("secret_hex"));
        let (alg, digits, period, time) = (
            algorithm(&record),
            record.parse("digits"),
            record.parse("period"),
            record.parse::<u64>("time"),
        );
        let code = otp::totp_at(&secret, alg, digits, period, time).unwrap();
        assert_eq!(code.code, record.get("code"), "{}", record.origin);
        assert!(code.valid_from <= time && time < code.valid_until);
        let params = OtpParams {
            kind: OtpKind::Totp { period },
            algorithm: alg,
            digits,
        };
        let generator = Generator::new(&secret, &params).unwrap();
        assert_eq!(format!("{:08}", generator.value(time)), record.get("code"));
    }
}

const VALID_KEYS: &[&str] = &[
    "uri",
    "secret_hex",
    "type",
    "algorithm",
    "digits",
    "period",
    "counter",
    "account",
    "issuer",
    "aws_account_id",
    "aws_account_alias",
    "device_name",
    "aws_principal",
    "time",
    "code",
    "canonical",
];

#[test]
fn otpauth_valid() {
    for record in read_records("otpauth-valid.txt") {
        record.expect_keys(VALID_KEYS);
        let at = &record.origin;
        let parsed = OtpAuth::parse(record.get("uri")).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(parsed.secret.expose(), record.hex("secret_hex"), "{at}");
        let kind = match record.get("type") {
            "totp" => OtpKind::Totp {
                period: record.parse("period"),
            },
            "hotp" => OtpKind::Hotp {
                counter: record.parse("counter"),
            },
            other => panic!("{at}: type {other}"),
        };
        let params = OtpParams {
            kind,
            algorithm: algorithm(&record),
            digits: record.parse("digits"),
        };
        assert_eq!(parsed.params, params, "{at}");
        assert_eq!(parsed.account, record.get("account"), "{at}");
        assert_eq!(parsed.issuer.as_deref(), record.get_opt("issuer"), "{at}");
        assert_eq!(
            parsed.aws_account_id.as_deref(),
            record.get_opt("aws_account_id"),
            "{at}"
        );
        assert_eq!(
            parsed.aws_account_alias.as_deref(),
            record.get_opt("aws_account_alias"),
            "{at}"
        );
        assert_eq!(
            parsed.device_name.as_deref(),
            record.get_opt("device_name"),
            "{at}"
        );
        let principal = match record.get_opt("aws_principal") {
            None => None,
            Some("root") => Some(AwsPrincipal::Root { email: None }),
            Some(other) => panic!("{at}: aws_principal {other}"),
        };
        assert_eq!(parsed.aws_principal, principal, "{at}");

        let code = otp::code(&parsed.secret, &parsed.params, record.parse("time")).unwrap();
        assert_eq!(code.code, record.get("code"), "{at}");

        let canonical = parsed.to_uri().unwrap();
        assert_eq!(canonical.as_str(), record.get("canonical"), "{at}");
        let entry: Entry = parsed.clone().into();
        assert_eq!(
            otpauth::to_uri(&entry).unwrap().as_str(),
            record.get("canonical"),
            "{at}"
        );
        assert_eq!(
            OtpAuth::parse(&canonical).unwrap(),
            parsed,
            "{at}: canonical re-read"
        );
    }
}

#[test]
fn otpauth_invalid() {
    let mut seen = std::collections::BTreeSet::new();
    for record in read_records("otpauth-invalid.txt") {
        record.expect_keys(&["uri", "error"]);
        let error = OtpAuth::parse(record.get("uri")).expect_err(&record.origin);
        assert_eq!(
            error.code(),
            record.get("error"),
            "{}: {error}",
            record.origin
        );
        seen.insert(error.code());
    }
    // Every variant but the length cap (tested beside the code) has a vector.
    assert_eq!(seen.len(), 12, "{seen:?}");
}

#[test]
fn migration() {
    let mut valid = 0;
    for record in read_records("migration.txt") {
        let at = &record.origin;
        if record.has("error") {
            record.expect_keys(&["uri", "error"]);
            let error = migration::parse(record.get("uri")).expect_err(at);
            assert_eq!(error.code(), record.get("error"), "{at}: {error}");
            continue;
        }
        record.expect_keys(&[
            "uri",
            "version",
            "batch_size",
            "batch_index",
            "batch_id",
            "entry",
        ]);
        valid += 1;
        let batch = migration::parse(record.get("uri")).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(batch.version, record.parse::<i32>("version"), "{at}");
        assert_eq!(batch.batch_size, record.parse::<i32>("batch_size"), "{at}");
        assert_eq!(
            batch.batch_index,
            record.parse::<i32>("batch_index"),
            "{at}"
        );
        assert_eq!(batch.batch_id, record.parse::<i32>("batch_id"), "{at}");
        let expected = record.get_all("entry");
        assert_eq!(batch.entries.len(), expected.len(), "{at}");
        for (index, (got, want)) in batch.entries.iter().zip(expected).enumerate() {
            match want.strip_prefix("error ") {
                Some(code) => {
                    assert_eq!(
                        got.as_ref().map(|_| ()).unwrap_err().code(),
                        code,
                        "{at} #{index}"
                    )
                }
                None => {
                    let want: Entry = OtpAuth::parse(want).unwrap().into();
                    assert_eq!(got.as_ref().unwrap(), &want, "{at} #{index}");
                }
            }
        }
    }
    assert_eq!(valid, 3);
}
