//! The format v1 vectors of `tests/vectors/` (keyring, grant, recovery, vault; docs/FORMAT.md),
//! plus byte-flip tests over every envelope.
//!
//! The vector files were written once by the ignored `generate_v1_vectors` test, from a
//! deterministic RNG, and are never regenerated: they must keep opening forever.
//!
//! ```text
//! cargo test -p tessera-core --test format_vectors -- --ignored generate_v1_vectors
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test crate: a failed unwrap is a failed test"
)]

mod common;

use common::vectors::{Record, read_records, vector_path};
use std::convert::Infallible;
use tessera_core::entry::{AwsPrincipal, Entry};
use tessera_core::grant::{Grant, Recipient, RecoveryKey, grant};
use tessera_core::keyring::{self, KdfParams, Keyring, SignatureContext};
use tessera_core::otp::{Algorithm, OtpKind, OtpParams};
use tessera_core::secret::SecretBytes;
use tessera_core::vault::{
    EntryId, OpenVault, SealedEntry, SealedVault, VaultCipher, VaultId, VaultKey, open_entry,
};

// ---------------------------------------------------------------------------------------------
// Deterministic RNG for the generator: SHA-256(seed || counter) blocks. Tests only.

struct TestRng {
    seed: Vec<u8>,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl TestRng {
    fn new(seed: &str) -> Self {
        TestRng {
            seed: seed.as_bytes().to_vec(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl rand_core::TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        use sha2::Digest;
        for byte in dst {
            if self.used == 32 {
                let mut h = sha2::Sha256::new();
                h.update(&self.seed);
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestRng {}

fn sys_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

fn arr<const N: usize>(v: Vec<u8>) -> [u8; N] {
    v.try_into().expect("length")
}

// ---------------------------------------------------------------------------------------------
// The entries of vault-v1.txt.

fn b32(s: &str) -> SecretBytes {
    SecretBytes::new(
        data_encoding::BASE32_NOPAD
            .decode(s.as_bytes())
            .expect("base32"),
    )
}

fn sample_entries() -> Vec<Entry> {
    let aws = Some("Amazon Web Services".to_string());
    let mut root = Entry::new(b32(&"JBSWY3DPEHPK3PXP".repeat(4)), "root");
    root.issuer = aws.clone();
    root.aws_account_id = Some("123456789012".into());
    root.aws_account_alias = Some("acme-prod".into());
    root.aws_principal = Some(AwsPrincipal::Root {
        email: Some("aws-root@acme.example".into()),
    });
    root.device_name = Some("root-mfa".into());

    let mut iam = Entry::new(
        b32("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLUKRSXG5CT"),
        "alice",
    );
    iam.issuer = aws;
    iam.aws_account_id = Some("210987654321".into());
    iam.aws_principal = Some(AwsPrincipal::IamUser {
        name: "alice".into(),
    });
    iam.device_name = Some("alice-phone".into());

    let mut github = Entry::new(b32("GEZDGNBVGY3TQOJQ"), "ops@acme.example");
    github.otp = OtpParams {
        kind: OtpKind::Totp { period: 60 },
        algorithm: Algorithm::Sha256,
        digits: 8,
    };
    github.issuer = Some("GitHub".into());
    github.notes =
        Some("Backup codes in the safe \u{2014} B\u{fc}ro 2 \u{1f510}\n\"line two\"".into());

    let mut vpn = Entry::new(
        SecretBytes::new(b"12345678901234567890".to_vec()),
        "legacy VPN",
    );
    vpn.otp = OtpParams {
        kind: OtpKind::Hotp { counter: 42 },
        algorithm: Algorithm::Sha512,
        digits: 7,
    };
    vec![root, iam, github, vpn]
}

// ---------------------------------------------------------------------------------------------
// Generator (run once; its output is checked in).

struct Out(String);

impl Out {
    fn new(header: &str) -> Self {
        Out(format!("{header}\n"))
    }
    fn record(&mut self, fields: &[(&str, String)]) {
        self.0.push('\n');
        for (k, v) in fields {
            self.0.push_str(&format!("{k}: {v}\n"));
        }
    }
    fn write(self, name: &str) {
        std::fs::write(vector_path(name), self.0).expect("write vector file");
    }
}

const HOW: &str = "# Generated once by `cargo test -p tessera-core --test format_vectors -- --ignored\n\
# generate_v1_vectors` from a deterministic RNG, then checked in. A landed vector never changes.";
const PASS: &str = "correct horse battery staple";

fn with_error(bytes: &[u8], at: usize, value: u8) -> String {
    let mut b = bytes.to_vec();
    b[at] = value;
    hex(&b)
}

#[test]
#[ignore = "writes tests/vectors/*-v1.txt; run once by hand"]
fn generate_v1_vectors() {
    let mut rng = TestRng::new("tessera format v1 vectors");
    let params = KdfParams::MIN;
    let alice = Keyring::generate(&mut rng);
    let bob = Keyring::generate(&mut rng);
    let recovery = RecoveryKey::generate(&mut rng);
    let alice_sealed = alice.seal(PASS.as_bytes(), params, &mut rng).unwrap();
    let bob_sealed = bob.seal(PASS.as_bytes(), params, &mut rng).unwrap();

    // keyring-v1.txt
    let mut out = Out::new(&format!(
        "# Tessera format v1 keyrings (docs/FORMAT.md \u{a7}3, \u{a7}6, \u{a7}8), sealed at the Argon2id floor\n\
         # (m=19456 KiB, t=2, p=1) so tests stay fast. Records with `error` must fail with that code.\n{HOW}"
    ));
    let msg = "tessera sign-in nonce 0001";
    out.record(&[
        ("passphrase", PASS.into()),
        ("m_kib", params.m_kib.to_string()),
        ("t", params.t.to_string()),
        ("p", params.p.to_string()),
        ("keyring", hex(&alice_sealed)),
        ("x25519_public", hex(&alice.public().x25519)),
        ("ed25519_public", hex(&alice.public().ed25519)),
        ("fingerprint", alice.fingerprint().to_hex()),
        ("fingerprint_display", alice.fingerprint().to_display()),
        (
            "sign_context",
            SignatureContext::AuthChallenge.label().into(),
        ),
        ("message", msg.into()),
        (
            "signature",
            hex(&alice.sign(SignatureContext::AuthChallenge, msg.as_bytes())),
        ),
    ]);
    let carol = Keyring::generate(&mut rng);
    let unicode = "p\u{e4}ssw\u{f6}rd \u{1f511} with spaces";
    let carol_sealed = carol.seal(unicode.as_bytes(), params, &mut rng).unwrap();
    out.record(&[
        ("passphrase", unicode.into()),
        ("m_kib", params.m_kib.to_string()),
        ("t", params.t.to_string()),
        ("p", params.p.to_string()),
        ("keyring", hex(&carol_sealed)),
        ("x25519_public", hex(&carol.public().x25519)),
        ("ed25519_public", hex(&carol.public().ed25519)),
        ("fingerprint", carol.fingerprint().to_hex()),
        ("fingerprint_display", carol.fingerprint().to_display()),
    ]);
    let negative = [
        (
            "wrong passphrase",
            hex(&alice_sealed),
            "correct horse battery stapler",
            "keyring_wrong_passphrase_or_tampered",
        ),
        (
            "tampered salt",
            with_error(&alice_sealed, 20, alice_sealed[20] ^ 1),
            PASS,
            "keyring_wrong_passphrase_or_tampered",
        ),
        (
            "version 2",
            with_error(&alice_sealed, 4, 2),
            PASS,
            "keyring_unsupported_version",
        ),
        (
            "unknown KDF",
            with_error(&alice_sealed, 5, 9),
            PASS,
            "keyring_unsupported_kdf",
        ),
        (
            "m below the floor",
            with_error(&alice_sealed, 8, 0x40),
            PASS,
            "keyring_kdf_params_out_of_range",
        ),
        (
            "m above the ceiling",
            with_error(&alice_sealed, 6, 0x7f),
            PASS,
            "keyring_kdf_params_out_of_range",
        ),
        (
            "t below the floor",
            with_error(&alice_sealed, 13, 1),
            PASS,
            "keyring_kdf_params_out_of_range",
        ),
        (
            "p above the ceiling",
            with_error(&alice_sealed, 17, 9),
            PASS,
            "keyring_kdf_params_out_of_range",
        ),
        (
            "trailing byte",
            format!("{}00", hex(&alice_sealed)),
            PASS,
            "keyring_malformed",
        ),
        (
            "truncated",
            hex(&alice_sealed[..189]),
            PASS,
            "keyring_malformed",
        ),
    ];
    for (what, bytes, pass, code) in negative {
        out.record(&[
            ("case", what.into()),
            ("passphrase", pass.into()),
            ("keyring", bytes),
            ("error", code.into()),
        ]);
    }
    out.write("keyring-v1.txt");

    // recovery-v1.txt
    let kit = recovery.to_kit();
    let mut out = Out::new(&format!(
        "# Tessera format v1 recovery kits (docs/FORMAT.md \u{a7}7). `kit` must read to `public` (and\n\
         # `fingerprint`); records with `error` must fail with that code.\n{HOW}"
    ));
    let rec_fp = recovery.public().fingerprint();
    out.record(&[
        ("kit", kit.to_string()),
        ("public", hex(&recovery.public().0)),
        ("fingerprint", rec_fp.to_hex()),
        ("fingerprint_display", rec_fp.to_display()),
    ]);
    let body = &kit["TESSERA-RECOVERY-V1-".len()..];
    let typed = format!(
        "  tessera-recovery-v1 {}",
        body.to_lowercase()
            .replace('-', " ")
            .replace('o', "0")
            .replace('i', "1")
            .replace('b', "8")
    );
    out.record(&[
        (
            "case",
            "as typed: lower case, spaces, 0/1/8 for O/I/B".into(),
        ),
        ("kit", typed),
        ("public", hex(&recovery.public().0)),
    ]);
    let mut typo = kit.as_bytes().to_vec();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    for (what, text, code) in [
        (
            "one character wrong",
            typo,
            "recovery_kit_checksum_mismatch",
        ),
        (
            "version 2",
            kit.replace("-V1-", "-V2-"),
            "recovery_kit_unsupported_version",
        ),
        ("no prefix", body.to_string(), "recovery_kit_bad_prefix"),
        (
            "one group missing",
            kit[..kit.len() - 5].to_string(),
            "recovery_kit_malformed",
        ),
    ] {
        out.record(&[("case", what.into()), ("kit", text), ("error", code.into())]);
    }
    out.write("recovery-v1.txt");

    // vault-v1.txt
    let mut vault = OpenVault::create("Acme Corp \u{2014} production", &mut rng);
    let mut ids = Vec::new();
    for e in sample_entries() {
        ids.push(vault.add(e, &mut rng).unwrap());
    }
    let members = [*alice.public(), *bob.public()];
    let sealed1 = vault
        .seal(&members, Some(recovery.public()), &mut rng)
        .unwrap();
    let mut out = Out::new(&format!(
        "# Tessera format v1 vault snapshots (docs/FORMAT.md \u{a7}4, \u{a7}9, \u{a7}10). Keyrings are sealed with\n\
         # `passphrase` at the Argon2id floor; `recovery_kit` is in recovery-v1.txt's format. Each `entry:` is\n\
         # `<entry id hex> <payload JSON>` (FORMAT.md \u{a7}4.4), in snapshot order. `granted` may open the vault,\n\
         # `not_granted` must get vault_not_granted. The epoch-2 record is the epoch-1 vault rotated\n\
         # after removing bob: bob's epoch-1 `previous_vault_key` must open none of it. `sealed_entry`\n\
         # records are single entries as the server stores them.\n{HOW}"
    ));
    let vault_record = |sealed: &SealedVault, v: &OpenVault, granted: &str, not_granted: &str| {
        let mut f = vec![
            ("passphrase", PASS.to_string()),
            ("keyring_alice", hex(&alice_sealed)),
            ("keyring_bob", hex(&bob_sealed)),
            ("recovery_kit", kit.to_string()),
            ("vault_id", v.id().to_hex()),
            ("epoch", v.epoch().to_string()),
            ("vault_key", hex(v.key().expose())),
            ("name", v.name().to_string()),
            ("granted", granted.to_string()),
            ("not_granted", not_granted.to_string()),
        ];
        for (id, e) in v.entries() {
            let json = String::from_utf8(e.to_payload_json().unwrap().to_vec()).unwrap();
            f.push(("entry", format!("{} {json}", id.to_hex())));
        }
        f.push(("vault", hex(&sealed.to_bytes())));
        f
    };
    out.record(&vault_record(
        &sealed1,
        &vault,
        "alice bob recovery",
        "carol",
    ));
    let epoch1_key = vault.key().clone();
    vault.rotate(&mut rng).unwrap();
    let sealed2 = vault
        .seal(&[*alice.public()], Some(recovery.public()), &mut rng)
        .unwrap();
    let mut f = vault_record(&sealed2, &vault, "alice recovery", "bob carol");
    f.insert(7, ("previous_vault_key", hex(epoch1_key.expose())));
    out.record(&f);
    let (id0, e0) = &vault.entries()[0];
    let one = vault
        .cipher()
        .seal_entry(&vault.id(), id0, vault.epoch(), e0, &mut rng)
        .unwrap();
    out.record(&[
        ("vault_id", vault.id().to_hex()),
        ("entry_id", id0.to_hex()),
        ("epoch", vault.epoch().to_string()),
        ("vault_key", hex(vault.key().expose())),
        (
            "payload",
            String::from_utf8(e0.to_payload_json().unwrap().to_vec()).unwrap(),
        ),
        ("sealed_entry", hex(&one.to_bytes())),
    ]);
    out.write("vault-v1.txt");

    // grant-v1.txt
    let mut out = Out::new(&format!(
        "# Tessera format v1 grants (docs/FORMAT.md \u{a7}5): HPKE base mode, DHKEM(X25519, HKDF-SHA256),\n\
         # HKDF-SHA256, AES-256-GCM. A member grant opens with `keyring` (sealed with `passphrase` at\n\
         # the Argon2id floor), a recovery grant with `recovery_kit`. Records with `error` must fail\n\
         # with that code when opened for `vault_id` and `epoch`.\n{HOW}"
    ));
    let gkey = VaultKey::generate(&mut rng);
    let gvault = VaultId::generate(&mut rng);
    let member_grant = grant(
        &gkey,
        &gvault,
        7,
        Recipient::Member(alice.public()),
        &mut rng,
    )
    .unwrap();
    let recovery_grant = grant(
        &gkey,
        &gvault,
        7,
        Recipient::Recovery(recovery.public()),
        &mut rng,
    )
    .unwrap();
    let base = |g: &Grant, kind: &str| {
        let mut f = vec![("recipient_kind", kind.to_string())];
        if kind == "member" {
            f.push(("passphrase", PASS.to_string()));
            f.push(("keyring", hex(&alice_sealed)));
        } else {
            f.push(("recovery_kit", kit.to_string()));
        }
        f.push(("vault_id", gvault.to_hex()));
        f.push(("epoch", "7".to_string()));
        f.push(("grant", hex(&g.to_bytes())));
        f
    };
    let mut f = base(&member_grant, "member");
    f.push(("vault_key", hex(gkey.expose())));
    out.record(&f);
    let mut f = base(&recovery_grant, "recovery");
    f.push(("vault_key", hex(gkey.expose())));
    out.record(&f);
    let mg = member_grant.to_bytes();
    let wrong_vault = VaultId::generate(&mut rng);
    for (what, bytes, vault_id, epoch, code) in [
        (
            "tag flipped",
            with_error(&mg, 137, mg[137] ^ 1),
            gvault,
            7,
            "grant_open_failed",
        ),
        (
            "epoch relabelled",
            with_error(&mg, 24, 8),
            gvault,
            8,
            "grant_open_failed",
        ),
        (
            "expected another epoch",
            hex(&mg),
            gvault,
            8,
            "grant_wrong_epoch",
        ),
        (
            "expected another vault",
            hex(&mg),
            wrong_vault,
            7,
            "grant_wrong_vault",
        ),
        (
            "version 2",
            with_error(&mg, 4, 2),
            gvault,
            7,
            "grant_unsupported_version",
        ),
        (
            "recipient kind 3",
            with_error(&mg, 25, 3),
            gvault,
            7,
            "grant_unknown_recipient_kind",
        ),
        ("truncated", hex(&mg[..137]), gvault, 7, "grant_malformed"),
    ] {
        let mut f = base(&member_grant, "member");
        f.retain(|(k, _)| !matches!(*k, "grant" | "vault_id" | "epoch"));
        f.insert(0, ("case", what.to_string()));
        f.push(("vault_id", vault_id.to_hex()));
        f.push(("epoch", epoch.to_string()));
        f.push(("grant", bytes));
        f.push(("error", code.to_string()));
        out.record(&f);
    }
    out.write("grant-v1.txt");
}

// ---------------------------------------------------------------------------------------------
// Readers.

fn open_keyring(record: &Record, key: &str) -> Keyring {
    Keyring::open(&record.hex(key), record.get("passphrase").as_bytes()).unwrap()
}

#[test]
fn keyring_v1() {
    let records = read_records("keyring-v1.txt");
    let (mut good, mut bad) = (0, 0);
    for r in &records {
        let bytes = r.hex("keyring");
        let pass = r.get("passphrase").as_bytes();
        if r.has("error") {
            r.expect_keys(&["case", "passphrase", "keyring", "error"]);
            let err = Keyring::open(&bytes, pass).unwrap_err();
            assert_eq!(
                err.code(),
                r.get("error"),
                "{}: {}",
                r.origin,
                r.get("case")
            );
            bad += 1;
            continue;
        }
        r.expect_keys(&[
            "passphrase",
            "m_kib",
            "t",
            "p",
            "keyring",
            "x25519_public",
            "ed25519_public",
            "fingerprint",
            "fingerprint_display",
            "sign_context",
            "message",
            "signature",
        ]);
        let header = Keyring::read_header(&bytes).unwrap();
        let params = KdfParams {
            m_kib: r.parse("m_kib"),
            t: r.parse("t"),
            p: r.parse("p"),
        };
        assert_eq!(header.kdf, params);
        let kr = Keyring::open(&bytes, pass).unwrap();
        assert_eq!(kr.public().x25519.to_vec(), r.hex("x25519_public"));
        assert_eq!(kr.public().ed25519.to_vec(), r.hex("ed25519_public"));
        assert_eq!(kr.fingerprint().to_hex(), r.get("fingerprint"));
        assert_eq!(kr.fingerprint().to_display(), r.get("fingerprint_display"));
        if r.has("signature") {
            assert_eq!(r.get("sign_context"), "auth-challenge");
            let sig: [u8; 64] = arr(r.hex("signature"));
            let msg = r.get("message").as_bytes();
            // Ed25519 is deterministic: the same key signs the same bytes.
            assert_eq!(kr.sign(SignatureContext::AuthChallenge, msg), sig);
            keyring::verify(kr.public(), SignatureContext::AuthChallenge, msg, &sig).unwrap();
            let err =
                keyring::verify(kr.public(), SignatureContext::AuditEvent, msg, &sig).unwrap_err();
            assert_eq!(err.code(), "keyring_bad_signature");
        }
        good += 1;
    }
    assert!(good >= 2 && bad >= 8, "{good} good, {bad} bad");
}

#[test]
fn recovery_v1() {
    let records = read_records("recovery-v1.txt");
    for r in &records {
        if r.has("error") {
            r.expect_keys(&["case", "kit", "error"]);
            let err = RecoveryKey::from_kit(r.get("kit")).unwrap_err();
            assert_eq!(err.code(), r.get("error"), "{}", r.origin);
            continue;
        }
        r.expect_keys(&[
            "case",
            "kit",
            "public",
            "fingerprint",
            "fingerprint_display",
        ]);
        let key = RecoveryKey::from_kit(r.get("kit")).unwrap();
        assert_eq!(key.public().0.to_vec(), r.hex("public"));
        if r.has("fingerprint") {
            assert_eq!(key.public().fingerprint().to_hex(), r.get("fingerprint"));
            assert_eq!(
                key.public().fingerprint().to_display(),
                r.get("fingerprint_display")
            );
            // The kit this build prints for the key is the kit in the file.
            assert_eq!(key.to_kit().as_str(), r.get("kit"));
        }
    }
}

#[test]
fn grant_v1() {
    let records = read_records("grant-v1.txt");
    for r in &records {
        r.expect_keys(&[
            "case",
            "recipient_kind",
            "passphrase",
            "keyring",
            "recovery_kit",
            "vault_id",
            "epoch",
            "grant",
            "vault_key",
            "error",
        ]);
        let vault_id = VaultId(arr(r.hex("vault_id")));
        let epoch: u32 = r.parse("epoch");
        let opened =
            Grant::from_bytes(&r.hex("grant")).and_then(|g| match r.get("recipient_kind") {
                "member" => g.open(&open_keyring(r, "keyring"), &vault_id, epoch),
                "recovery" => g.open_with_recovery(
                    &RecoveryKey::from_kit(r.get("recovery_kit")).unwrap(),
                    &vault_id,
                    epoch,
                ),
                other => panic!("{}: recipient_kind {other}", r.origin),
            });
        if r.has("error") {
            assert_eq!(
                opened.unwrap_err().code(),
                r.get("error"),
                "{}: {}",
                r.origin,
                r.get("case")
            );
        } else {
            assert_eq!(
                opened.unwrap().expose().to_vec(),
                r.hex("vault_key"),
                "{}",
                r.origin
            );
        }
    }
}

fn check_entries(r: &Record, v: &OpenVault) {
    let expected = r.get_all("entry");
    assert_eq!(expected.len(), v.entries().len(), "{}", r.origin);
    for (line, (id, entry)) in expected.iter().zip(v.entries()) {
        let (id_hex, json) = line.split_once(' ').unwrap();
        assert_eq!(id.to_hex(), id_hex, "{}", r.origin);
        assert_eq!(
            &Entry::from_payload_json(json.as_bytes()).unwrap(),
            entry,
            "{}",
            r.origin
        );
        assert_eq!(
            &entry.to_payload_json().unwrap()[..],
            json.as_bytes(),
            "{}",
            r.origin
        );
    }
}

#[test]
fn vault_v1() {
    let records = read_records("vault-v1.txt");
    let mut snapshots = 0;
    for r in &records {
        if r.has("sealed_entry") {
            r.expect_keys(&[
                "vault_id",
                "entry_id",
                "epoch",
                "vault_key",
                "payload",
                "sealed_entry",
            ]);
            let key = VaultKey::from_bytes(arr(r.hex("vault_key")));
            let (v, e) = (
                VaultId(arr(r.hex("vault_id"))),
                EntryId(arr(r.hex("entry_id"))),
            );
            let epoch: u32 = r.parse("epoch");
            let sealed = SealedEntry::from_bytes(&r.hex("sealed_entry")).unwrap();
            let entry = open_entry(&key, &v, &e, epoch, &sealed).unwrap();
            assert_eq!(
                entry,
                Entry::from_payload_json(r.get("payload").as_bytes()).unwrap()
            );
            let code =
                |res: Result<Entry, tessera_core::vault::VaultError>| res.unwrap_err().code();
            assert_eq!(
                code(open_entry(&key, &VaultId([0; 16]), &e, epoch, &sealed)),
                "vault_wrong_vault"
            );
            assert_eq!(
                code(open_entry(&key, &v, &EntryId([0; 16]), epoch, &sealed)),
                "vault_wrong_entry"
            );
            assert_eq!(
                code(open_entry(&key, &v, &e, epoch - 1, &sealed)),
                "vault_wrong_epoch"
            );
            continue;
        }
        r.expect_keys(&[
            "passphrase",
            "keyring_alice",
            "keyring_bob",
            "recovery_kit",
            "vault_id",
            "epoch",
            "vault_key",
            "previous_vault_key",
            "name",
            "granted",
            "not_granted",
            "entry",
            "vault",
        ]);
        snapshots += 1;
        let sealed = SealedVault::from_bytes(&r.hex("vault")).unwrap();
        assert_eq!(sealed.vault_id().to_hex(), r.get("vault_id"));
        assert_eq!(sealed.epoch(), r.parse::<u32>("epoch"));
        let alice = open_keyring(r, "keyring_alice");
        let bob = open_keyring(r, "keyring_bob");
        let recovery = RecoveryKey::from_kit(r.get("recovery_kit")).unwrap();
        let open = |who: &str| match who {
            "alice" => sealed.open(&alice),
            "bob" => sealed.open(&bob),
            "recovery" => sealed.open_with_recovery(&recovery),
            "carol" => sealed.open(&Keyring::generate(&mut sys_rng())),
            other => panic!("{}: unknown recipient {other}", r.origin),
        };
        for who in r.get("granted").split(' ') {
            let v = open(who).unwrap();
            assert_eq!(v.name(), r.get("name"));
            assert_eq!(v.key().expose().to_vec(), r.hex("vault_key"));
            check_entries(r, &v);
        }
        for who in r.get("not_granted").split(' ') {
            assert_eq!(
                open(who).unwrap_err().code(),
                "vault_not_granted",
                "{}: {who}",
                r.origin
            );
        }
        if r.has("previous_vault_key") {
            let old = VaultKey::from_bytes(arr(r.hex("previous_vault_key")));
            assert_eq!(
                sealed.open_with_key(old.clone()).unwrap_err().code(),
                "vault_tampered_or_wrong_key"
            );
            let cipher = VaultCipher::new(&old);
            for e in sealed.entries() {
                let res = cipher.open_entry(&sealed.vault_id(), &e.entry_id(), sealed.epoch(), e);
                assert_eq!(res.unwrap_err().code(), "vault_tampered_or_wrong_key");
            }
        }
        // The sample entries are all there, AWS root and IAM user included.
        let v = sealed.open(&alice).unwrap();
        let entries: Vec<&Entry> = v.entries().iter().map(|(_, e)| e).collect();
        for s in sample_entries() {
            assert!(entries.contains(&&s), "{}: missing {}", r.origin, s.label);
        }
    }
    assert_eq!(snapshots, 2);
}

// ---------------------------------------------------------------------------------------------
// Byte flips over every envelope: a typed error, never a panic, never a plaintext.

fn flips(len: usize) -> impl Iterator<Item = (usize, u8)> {
    (0..len).flat_map(|i| [0x01u8, 0x80].into_iter().map(move |m| (i, m)))
}

#[test]
fn byte_flips_keyring() {
    let r = &read_records("keyring-v1.txt")[0];
    let bytes = r.hex("keyring");
    let pass = r.get("passphrase").as_bytes();
    // One flip per byte: every flip that leaves the parameters in range runs Argon2.
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let err = Keyring::open(&b, pass).unwrap_err();
        assert!(!err.code().is_empty(), "byte {i}");
    }
}

#[test]
fn byte_flips_grant_and_entry() {
    let records = read_records("grant-v1.txt");
    let r = &records[0];
    let kr = open_keyring(r, "keyring");
    let vault_id = VaultId(arr(r.hex("vault_id")));
    let bytes = r.hex("grant");
    for (i, m) in flips(bytes.len()) {
        let mut b = bytes.clone();
        b[i] ^= m;
        let res = Grant::from_bytes(&b).and_then(|g| g.open(&kr, &vault_id, 7));
        assert!(res.is_err(), "grant byte {i} ^ {m:#x}");
    }

    let records = read_records("vault-v1.txt");
    let r = records.iter().find(|r| r.has("sealed_entry")).unwrap();
    let key = VaultKey::from_bytes(arr(r.hex("vault_key")));
    let (v, e) = (
        VaultId(arr(r.hex("vault_id"))),
        EntryId(arr(r.hex("entry_id"))),
    );
    let epoch: u32 = r.parse("epoch");
    let cipher = VaultCipher::new(&key);
    let bytes = r.hex("sealed_entry");
    for (i, m) in flips(bytes.len()) {
        let mut b = bytes.clone();
        b[i] ^= m;
        let res = SealedEntry::from_bytes(&b).and_then(|s| cipher.open_entry(&v, &e, epoch, &s));
        assert!(res.is_err(), "entry byte {i} ^ {m:#x}");
    }
}

#[test]
fn byte_flips_snapshot() {
    let records = read_records("vault-v1.txt");
    let r = &records[0];
    let alice = open_keyring(r, "keyring_alice");
    let bytes = r.hex("vault");
    for (i, m) in flips(bytes.len()) {
        let mut b = bytes.clone();
        b[i] ^= m;
        let res = SealedVault::from_bytes(&b).and_then(|s| s.open(&alice));
        assert!(res.is_err(), "snapshot byte {i} ^ {m:#x}");
    }
    // Every truncation and one trailing byte, too.
    for n in 0..bytes.len() {
        assert!(
            SealedVault::from_bytes(&bytes[..n]).is_err(),
            "truncated to {n}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        SealedVault::from_bytes(&long).unwrap_err().code(),
        "vault_malformed"
    );
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(
        SealedVault::from_bytes(&v2).unwrap_err().code(),
        "vault_unsupported_version"
    );
}

#[test]
fn keyring_at_default_params() {
    let kr = Keyring::generate(&mut sys_rng());
    let t0 = std::time::Instant::now();
    let sealed = kr
        .seal(b"a passphrase", KdfParams::DEFAULT, &mut sys_rng())
        .unwrap();
    let seal = t0.elapsed();
    let t1 = std::time::Instant::now();
    let opened = Keyring::open(&sealed, b"a passphrase").unwrap();
    let open = t1.elapsed();
    assert_eq!(opened.public(), kr.public());
    eprintln!("Argon2id m=64 MiB t=3 p=1: seal {seal:?}, open {open:?}");
}
