//! `tessera recover`: exports built with the core exactly as the server stores vaults (snapshots
//! sealed to members and the organisation recovery key, base64 in `tessera-export-v1` JSON),
//! opened with the recovery kit by the real binary.
#![allow(clippy::unwrap_used)] // Test code: a failing unwrap is a failing test.

mod common;

use std::path::{Path, PathBuf};

use common::Home;
use rand_core::UnwrapErr;
use serde_json::{Value, json};
use tessera_core::entry::AwsPrincipal;
use tessera_core::grant::RecoveryKey;
use tessera_core::keyring::Keyring;
use tessera_core::vault::OpenVault;
use tessera_core::{Entry, SecretBytes, otp, otpauth};

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// Seeds of this file (not in common::SEEDS: `--format uris/json` prints them on purpose).
const SEED_A: &[u8] = b"recover-test-seed-A!";
const SEED_B: &[u8] = b"recover-test-seed-B!";

fn entry(seed: &[u8], label: &str, account: &str) -> Entry {
    let mut e = Entry::new(SecretBytes::new(seed.to_vec()), label);
    e.issuer = Some("Amazon Web Services".into());
    e.aws_account_id = Some(account.into());
    e.aws_principal = Some(AwsPrincipal::IamUser {
        name: format!("{label}-user"),
    });
    e
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    recovery: RecoveryKey,
    vaults: Vec<OpenVault>,
    snapshots: Vec<Vec<u8>>,
}

impl Fixture {
    /// Two vaults (the second archived), each granted to a member and the recovery key.
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let recovery = RecoveryKey::generate(&mut rng());
        let member = Keyring::generate(&mut rng());
        let mut a = OpenVault::create("Client A", &mut rng());
        a.add(entry(SEED_A, "alice", "111122223333"), &mut rng())
            .unwrap();
        let mut b = OpenVault::create("Client B", &mut rng());
        b.add(entry(SEED_B, "bob", "444455556666"), &mut rng())
            .unwrap();
        let snapshots = [&a, &b]
            .iter()
            .map(|v| {
                v.seal(
                    std::slice::from_ref(member.public()),
                    Some(recovery.public()),
                    &mut rng(),
                )
                .unwrap()
                .to_bytes()
            })
            .collect();
        Fixture {
            _tmp: tmp,
            dir,
            recovery,
            vaults: vec![a, b],
            snapshots,
        }
    }

    fn export_json(&self) -> Value {
        let vaults: Vec<Value> = self
            .vaults
            .iter()
            .zip(&self.snapshots)
            .enumerate()
            .map(|(i, (v, s))| {
                json!({
                    "vault_id": v.id().to_hex(),
                    "epoch": v.epoch(),
                    "version": 3,
                    "archived": i == 1,
                    "snapshot": data_encoding::BASE64.encode(s),
                })
            })
            .collect();
        json!({
            "format": "tessera-export-v1",
            "exported_ms": 1_790_000_000_000u64,
            "recovery_fingerprint": self.recovery.public().fingerprint().to_hex(),
            "vaults": vaults,
        })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn kit(&self) -> PathBuf {
        self.write(
            "kit.txt",
            format!("{}\n", self.recovery.to_kit().as_str()).as_bytes(),
        )
    }

    fn export(&self, v: &Value) -> PathBuf {
        self.write("export.json", v.to_string().as_bytes())
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn code_of(seed: &[u8]) -> String {
    let e = Entry::new(SecretBytes::new(seed.to_vec()), "x");
    otp::code(&e.secret, &e.otp, 1_800_000_000).unwrap().code
}

#[test]
fn table_lists_every_vault_without_seeds() {
    let f = Fixture::new();
    let home = Home::new();
    let kit = f.kit();
    let export = f.export(&f.export_json());
    let run = home.run(&["recover", "--kit", s(&kit), s(&export)]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{run:?}");
    assert!(lines[0].starts_with("VAULT"), "{run:?}");
    assert!(run.stdout.contains("Client A"));
    assert!(run.stdout.contains("Client B (archived)"));
    for text in [
        "alice",
        "111122223333",
        "iam-user alice-user",
        "bob",
        "444455556666",
    ] {
        assert!(run.stdout.contains(text), "{text}: {run:?}");
    }
    for seed in [SEED_A, SEED_B] {
        let b32 = data_encoding::BASE32_NOPAD.encode(seed);
        assert!(!run.stdout.contains(&b32), "a seed in the table");
    }
}

#[test]
fn uris_and_json_reexport_seeds_to_a_private_file() {
    let f = Fixture::new();
    let home = Home::new();
    let kit = f.kit();
    let export = f.export(&f.export_json());
    let out = f.dir.join("recovered.txt");
    let run = home.run(&[
        "recover",
        "--kit",
        s(&kit),
        s(&export),
        "--format",
        "uris",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("recovered 2 entries from 2 vaults"),
        "{run:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&out).unwrap();
    let uris: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(uris.len(), 2, "{text}");
    let codes: Vec<String> = uris
        .iter()
        .map(|u| {
            let p = otpauth::parse(u).unwrap();
            otp::code(&p.secret, &p.params, 1_800_000_000).unwrap().code
        })
        .collect();
    assert_eq!(codes, vec![code_of(SEED_A), code_of(SEED_B)]);
    // The re-export imports into a fresh home.
    let fresh = Home::init();
    fresh.run(&["import", s(&out)]).ok();
    let run = fresh.run(&["code", "--at", "1800000000", "bob"]);
    assert_eq!(run.stdout.trim(), code_of(SEED_B));

    // JSON on stdout, asked for explicitly with `--out -`.
    let run = home.run(&[
        "recover",
        "--kit",
        s(&kit),
        s(&export),
        "--format",
        "json",
        "--out",
        "-",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["format"], "tessera-recovered-v1");
    assert_eq!(v["vaults"].as_array().unwrap().len(), 2);
    assert_eq!(v["vaults"][0]["name"], "Client A");
    assert_eq!(v["vaults"][1]["archived"], true);
    let e = &v["vaults"][0]["entries"][0];
    assert_eq!(e["entry_id"], f.vaults[0].entries()[0].0.to_hex());
    assert_eq!(
        e["entry"]["secret"],
        data_encoding::BASE32_NOPAD.encode(SEED_A)
    );
    assert_eq!(e["entry"]["aws_account_id"], "111122223333");

    // Seeds never go anywhere without --out.
    let run = home.run(&["recover", "--kit", s(&kit), s(&export), "--format", "uris"]);
    let line = run.fails(2, 0);
    assert!(line.ends_with("[seeds_need_out]"), "{line}");
}

#[test]
fn a_single_raw_snapshot_opens_too() {
    let f = Fixture::new();
    let home = Home::new();
    let kit = f.kit();
    let snap = f.write("vault.snapshot", &f.snapshots[0]);
    let run = home.run(&["recover", "--kit", s(&kit), s(&snap)]);
    run.ok();
    assert!(run.stdout.contains("Client A") && run.stdout.contains("alice"));
    assert!(!run.stdout.contains("Client B"));
    // An export on stdin.
    let json = f.export_json().to_string();
    let run = home.run_stdin(&["recover", "--kit", s(&kit), "-"], &json);
    run.ok();
    assert!(run.stdout.contains("Client B (archived)"));
}

#[test]
fn wrong_kit_is_refused_by_fingerprint_before_any_vault() {
    let f = Fixture::new();
    let home = Home::new();
    let other = RecoveryKey::generate(&mut rng());
    let kit = f.write("other-kit.txt", other.to_kit().as_bytes());
    let export = f.export(&f.export_json());
    let out = f.dir.join("never.txt");
    let run = home.run(&[
        "recover",
        "--kit",
        s(&kit),
        s(&export),
        "--format",
        "uris",
        "--out",
        s(&out),
    ]);
    let line = run.fails(2, 0);
    assert!(line.ends_with("[recovery_fingerprint_mismatch]"), "{line}");
    assert!(
        line.contains(&other.public().fingerprint().to_display()),
        "{line}"
    );
    assert!(
        line.contains(&f.recovery.public().fingerprint().to_display()),
        "{line}"
    );
    assert!(!out.exists());
    // No fingerprint to compare in a raw snapshot: the vault itself refuses the other kit.
    let snap = f.write("vault.snapshot", &f.snapshots[0]);
    let line = home
        .run(&["recover", "--kit", s(&kit), s(&snap)])
        .fails(1, 0)
        .to_owned();
    assert!(line.ends_with("[recovery_open_failed]"), "{line}");
    assert!(line.contains("wrong kit"), "{line}");
}

#[test]
fn a_mistyped_kit_is_refused_without_being_echoed() {
    let f = Fixture::new();
    let home = Home::new();
    let kit_text = f.recovery.to_kit();
    // Change one body character (after the prefix and version).
    let mut chars: Vec<char> = kit_text.chars().collect();
    let i = chars.len() - 3;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let typo: String = chars.into_iter().collect();
    let kit = f.write("kit.txt", typo.as_bytes());
    let export = f.export(&f.export_json());
    let run = home.run(&["recover", "--kit", s(&kit), s(&export)]);
    let line = run.fails(2, 0);
    assert!(line.ends_with("[recovery_kit_checksum_mismatch]"), "{line}");
    let body = &kit_text["TESSERA-RECOVERY-V1-".len()..];
    for group in body.split('-') {
        assert!(!run.stderr.contains(group), "kit text echoed: {line}");
    }
    let kit = f.write("kit.txt", b"not a kit");
    let line = home
        .run(&["recover", "--kit", s(&kit), s(&export)])
        .fails(2, 0)
        .to_owned();
    assert!(line.ends_with("[recovery_kit_bad_prefix]"), "{line}");
}

#[test]
fn damaged_exports_fail_with_their_own_codes_and_write_nothing() {
    let f = Fixture::new();
    let home = Home::new();
    let kit = f.kit();
    let out = f.dir.join("never.txt");
    let run_on = |v: &Value| {
        let export = f.export(v);
        home.run(&[
            "recover",
            "--kit",
            s(&kit),
            s(&export),
            "--format",
            "json",
            "--out",
            s(&out),
        ])
    };

    // A flipped byte in the second vault's last entry ciphertext: it parses, it does not open.
    let mut bad = f.export_json();
    let mut snap = f.snapshots[1].clone();
    let n = snap.len();
    snap[n - 40] ^= 0x01;
    bad["vaults"][1]["snapshot"] = json!(data_encoding::BASE64.encode(&snap));
    let run = run_on(&bad);
    let line = run.fails(1, 0);
    assert!(line.ends_with("[recovery_open_failed]"), "{line}");
    assert!(line.contains(&f.vaults[1].id().to_hex()), "{line}");

    // Truncated: does not even parse.
    let mut bad = f.export_json();
    bad["vaults"][0]["snapshot"] = json!(data_encoding::BASE64.encode(&f.snapshots[0][..60]));
    let line = run_on(&bad).fails(1, 0).to_owned();
    assert!(line.ends_with("[export_bad_snapshot]"), "{line}");

    // Not base64.
    let mut bad = f.export_json();
    bad["vaults"][0]["snapshot"] = json!("@@@");
    let line = run_on(&bad).fails(1, 0).to_owned();
    assert!(line.ends_with("[export_bad_snapshot]"), "{line}");

    // The listing names another vault than the snapshot holds.
    let mut bad = f.export_json();
    bad["vaults"][0]["vault_id"] = json!(f.vaults[1].id().to_hex());
    let line = run_on(&bad).fails(1, 0).to_owned();
    assert!(line.ends_with("[export_bad_snapshot]"), "{line}");

    // Wrong or missing format tag.
    let mut bad = f.export_json();
    bad["format"] = json!("tessera-export-v2");
    let line = run_on(&bad).fails(2, 0).to_owned();
    assert!(line.ends_with("[export_bad_format]"), "{line}");
    assert!(line.contains("tessera-export-v2"), "{line}");
    let mut bad = f.export_json();
    bad.as_object_mut().unwrap().remove("format");
    let line = run_on(&bad).fails(2, 0).to_owned();
    assert!(line.ends_with("[export_bad_format]"), "{line}");

    // Missing field, not JSON, not an export at all.
    let mut bad = f.export_json();
    bad.as_object_mut().unwrap().remove("vaults");
    let line = run_on(&bad).fails(2, 0).to_owned();
    assert!(line.ends_with("[export_malformed]"), "{line}");
    let export = f.write("export.json", b"{\"format\": ");
    let line = home
        .run(&["recover", "--kit", s(&kit), s(&export)])
        .fails(2, 0)
        .to_owned();
    assert!(line.ends_with("[export_malformed]"), "{line}");
    let export = f.write("export.json", b"hello");
    let line = home
        .run(&["recover", "--kit", s(&kit), s(&export)])
        .fails(2, 0)
        .to_owned();
    assert!(line.ends_with("[export_malformed]"), "{line}");

    assert!(!out.exists(), "nothing written on any failure");
}

#[test]
fn a_database_file_is_named_as_such_with_the_export_command() {
    let f = Fixture::new();
    let home = Home::new();
    let kit = f.kit();
    let mut db = b"SQLite format 3\0".to_vec();
    db.resize(4096, 0);
    let file = f.write("tessera.db", &db);
    let line = home
        .run(&["recover", "--kit", s(&kit), s(&file)])
        .fails(2, 0)
        .to_owned();
    assert!(line.ends_with("[export_is_database]"), "{line}");
    assert!(line.contains("tessera-server export"), "{line}");
}
