//! `tessera code URI`: no vault, codes checked against the RFC and otpauth vectors.

// Helpers outside #[test] functions are not covered by clippy.toml's allow-unwrap-in-tests;
// in a test, a failing unwrap is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Home, RFC_SEED, get, vector_records};

fn hex_to_base32(hex: &str) -> String {
    let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

#[test]
fn rfc6238_appendix_b_at_given_times() {
    let home = Home::new();
    let records = vector_records("rfc6238-appendix-b.txt");
    assert!(records.len() >= 18, "all of Appendix B");
    for r in &records {
        let uri = format!(
            "otpauth://totp/RFC6238:test?secret={}&algorithm={}&digits={}&period={}",
            hex_to_base32(get(r, "secret_hex").unwrap()),
            get(r, "algorithm").unwrap(),
            get(r, "digits").unwrap(),
            get(r, "period").unwrap(),
        );
        let run = home.run(&["code", "--at", get(r, "time").unwrap(), &uri]);
        run.ok();
        assert_eq!(
            run.stdout,
            format!("{}\n", get(r, "code").unwrap()),
            "{r:?}"
        );
    }
    assert!(
        !home.dir.exists(),
        "a URI code needs no home and creates none"
    );
}

#[test]
fn otpauth_valid_vectors_give_their_codes() {
    let home = Home::new();
    let mut checked = 0;
    for r in vector_records("otpauth-valid.txt") {
        let (Some(uri), Some(code)) = (get(&r, "uri"), get(&r, "code")) else {
            continue;
        };
        let mut args = vec!["code"];
        if get(&r, "type") == Some("totp") {
            args.extend(["--at", get(&r, "time").unwrap()]);
        }
        args.push(uri);
        let run = home.run(&args);
        run.ok();
        assert_eq!(run.stdout, format!("{code}\n"), "{r:?}");
        checked += 1;
    }
    assert!(checked > 10);
}

#[test]
fn hotp_uri_gives_the_code_at_its_counter() {
    // RFC 4226 Appendix D: counter 0 -> 755224, counter 9 -> 520489.
    let home = Home::new();
    for (counter, code) in [("0", "755224"), ("9", "520489")] {
        let uri = format!("otpauth://hotp/x?secret={RFC_SEED}&counter={counter}");
        let run = home.run(&["code", &uri]);
        run.ok();
        assert_eq!(run.stdout, format!("{code}\n"));
    }
    let uri = format!("otpauth://hotp/x?secret={RFC_SEED}&counter=0");
    let err = home
        .run(&["code", "--at", "59", &uri])
        .fails(2, 0)
        .to_owned();
    assert!(err.contains("--at"), "{err}");
}

#[test]
fn uri_from_stdin_keeps_the_seed_off_the_command_line() {
    let home = Home::new();
    let uri = format!("otpauth://totp/x?secret={RFC_SEED}&digits=8\n");
    let run = home.run_stdin(&["code", "--at", "59", "-"], &uri);
    run.ok();
    assert_eq!(run.stdout, "94287082\n");
    home.run_stdin(&["code", "-"], "").fails(2, 0);
}

#[test]
fn current_time_is_the_default() {
    let home = Home::new();
    let run = home.run(&["code", &format!("otpauth://totp/x?secret={RFC_SEED}")]);
    run.ok();
    let code = run.stdout.trim_end();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
}

#[test]
fn bad_uris_exit_2_with_one_line_and_no_secret() {
    let home = Home::new();
    let secret = "ORSXG43FOJQS243FMVSC233OMU";
    let cases = [
        format!("otpauth://totp/x?secret={secret}&digits=9"),
        format!("otpauth://totp/x?secret={secret}&algorithm=MD5"),
        format!("otpauth://totp/x?secret={secret}&period=0"),
        format!("otpauth://hotp/x?secret={secret}"),
        format!("otpauth://yotp/x?secret={secret}"),
        format!("otpauth://totp/x?secret={secret}1"),
        "otpauth://totp/x?secret=".to_owned(),
        "otpauth://totp/x".to_owned(),
        format!("otpauth://totp/x?secret={}", "A".repeat(10_000)),
    ];
    for uri in &cases {
        let line = home.run(&["code", uri]).fails(2, 0).to_owned();
        assert!(line.contains("otpauth"), "{line}");
    }
    // Not a URI: read as a query, and there is no vault.
    let line = home
        .run(&["code", "http://example.com"])
        .fails(1, 0)
        .to_owned();
    assert!(line.contains("tessera init"), "{line}");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let home = Home::new();
    for args in [
        &["frobnicate"][..],
        &["code"],
        &["code", "--at", "soon", "x"],
        &["add"],
        &[],
    ] {
        let run = home.run(args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
    }
    for cmd in ["init", "add", "import", "list", "code", "rm"] {
        let run = home.run(&[cmd, "--help"]);
        assert_eq!(run.code, Some(0), "{cmd}: {run:?}");
        assert!(run.stdout.contains("Usage: tessera"), "{run:?}");
    }
    let run = home.run(&["--help"]);
    assert!(run.stdout.contains("Exit status"), "{run:?}");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the TESSERA_TEST_CRASH hook exists in debug builds only"
)]
fn a_panic_is_one_line_and_exit_1() {
    let home = Home::new();
    let run = home.run_with(&["list"], &[("TESSERA_TEST_CRASH", "panic")]);
    let line = run.fails(1, 0);
    assert!(line.contains("internal error"), "{line}");
}
