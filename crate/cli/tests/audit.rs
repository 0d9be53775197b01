//! `tessera audit verify` on JSON Lines exports of the team server's audit log.
//!
//! The exports are built with the core's audit API exactly as the server's
//! `server/src/audit_log.rs::append` builds records (links from the log head and the vault's
//! head, then `compute_hash`), with real Ed25519 signatures on the client events, and rendered
//! with the same `RecordJson` as `GET /api/v1/audit/export`. (The server's own suite checks that
//! its real exports parse and verify with the same core functions.) Then lines are altered,
//! inserted, removed and re-signed, and each is caught at the right line.
#![allow(clippy::unwrap_used)] // Test code: a failing unwrap is a failing test.

mod common;

use common::{Home, Run};
use rand_core::UnwrapErr;
use serde_json::{Value, json};
use tessera_core::audit::json::RecordJson;
use tessera_core::audit::{
    AuditRecord, ClientAction, ClientEvent, GENESIS_HASH, SignedClientEvent,
};
use tessera_core::keyring::Keyring;
use tessera_core::vault::{EntryId, VaultId};

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// One record before it is chained: what the server's `audit_log::Event` carries.
struct Event {
    action: &'static str,
    actor: [u8; 16],
    vault: Option<VaultId>,
    entry: Option<EntryId>,
    detail: Value,
    client: Option<SignedClientEvent>,
}

fn event(action: &'static str, actor: [u8; 16], vault: Option<VaultId>) -> Event {
    Event {
        action,
        actor,
        vault,
        entry: None,
        detail: json!({}),
        client: None,
    }
}

/// The server's `append`: seq after the log head, `prev_hash` the log head, `vault_prev_hash`
/// the vault's head (or zeros), then the hash.
fn append(log: &mut Vec<AuditRecord>, ev: Event) {
    let vault_prev_hash = ev
        .vault
        .and_then(|v| log.iter().rev().find(|r| r.vault_id == Some(v)))
        .map_or(GENESIS_HASH, |r| r.hash);
    let mut rec = AuditRecord {
        seq: log.len() as u64 + 1,
        time_ms: 1_790_000_000_000 + log.len() as u64 * 1_000,
        action: ev.action.to_owned(),
        actor: Some(ev.actor),
        subject: None,
        vault_id: ev.vault,
        entry_id: ev.entry,
        detail: ev.detail.to_string(),
        client: ev.client,
        prev_hash: log.last().map_or(GENESIS_HASH, |r| r.hash),
        vault_prev_hash,
        hash: GENESIS_HASH,
    };
    rec.hash = rec.compute_hash().unwrap();
    log.push(rec);
}

/// A member's signed code event, as the extension sends it to `POST /api/v1/audit/events`.
fn client_event(kr: &Keyring, action: ClientAction, vault: VaultId, entry: EntryId) -> Event {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    let ev = ClientEvent {
        action,
        vault_id: vault,
        entry_id: entry,
        time_ms: 1_790_000_000_500,
        nonce,
        host: "signin.aws.amazon.com".into(),
    };
    let (bytes, signature) = ev.sign(kr).unwrap();
    Event {
        action: action.name(),
        actor: [2; 16],
        vault: Some(vault),
        entry: Some(entry),
        detail: json!({"host": ev.host, "client_time_ms": ev.time_ms}),
        client: Some(SignedClientEvent {
            event: bytes,
            signature,
            signer: *kr.public(),
        }),
    }
}

struct Log {
    records: Vec<AuditRecord>,
    a: VaultId,
    b: VaultId,
}

/// Nine records over two vaults, two of them client-signed (records 6 and 8, vault A).
fn sample() -> Log {
    let mut rng = rng();
    let (a, b) = (VaultId::generate(&mut rng), VaultId::generate(&mut rng));
    let amy = Keyring::generate(&mut rng);
    let entry = EntryId::generate(&mut rng);
    let (owner, member) = ([1; 16], [2; 16]);
    let mut log = Vec::new();
    append(&mut log, event("org.setup", owner, None));
    append(&mut log, event("invite.create", owner, None));
    append(&mut log, event("vault.create", owner, Some(a)));
    append(&mut log, event("vault.create", owner, Some(b)));
    append(&mut log, event("vault.fetch", member, Some(a)));
    append(&mut log, client_event(&amy, ClientAction::Fill, a, entry));
    append(&mut log, event("entry.update", owner, Some(b)));
    append(&mut log, client_event(&amy, ClientAction::Copy, a, entry));
    append(&mut log, event("vault.fetch", member, Some(a)));
    Log { records: log, a, b }
}

fn line(r: &AuditRecord) -> String {
    serde_json::to_string(&RecordJson::from(r)).unwrap()
}

fn jsonl(records: &[AuditRecord]) -> String {
    records.iter().map(|r| line(r) + "\n").collect()
}

fn vault_log(log: &Log, v: VaultId) -> Vec<AuditRecord> {
    log.records
        .iter()
        .filter(|r| r.vault_id == Some(v))
        .cloned()
        .collect()
}

/// Recomputes every hash and whole-log link from `from` on: what someone rewriting the export
/// (but unable to sign as a member) can do.
fn relink(records: &mut [AuditRecord], from: usize) {
    for i in from..records.len() {
        if i > 0 {
            records[i].prev_hash = records[i - 1].hash;
        }
        records[i].hash = records[i].compute_hash().unwrap();
    }
}

fn verify(text: &str, extra: &[&str]) -> Run {
    let home = Home::new();
    let mut args = vec!["audit", "verify", "-"];
    args.extend_from_slice(extra);
    home.run_stdin(&args, text)
}

#[track_caller]
fn broken(text: &str, line: usize, what: &str) {
    let run = verify(text, &[]);
    let err = run.fails(1, 0);
    assert!(
        err.starts_with(&format!("tessera: error: stdin line {line}: ")) && err.contains(what),
        "expected line {line} / {what:?}: {err}"
    );
}

#[test]
fn an_untouched_export_verifies_from_a_file_and_from_stdin() {
    let log = sample();
    let head = hex(&log.records[8].hash);
    let expected = format!("ok: 9 events, chain intact, head {head} (whole log, records 1-9)\n");
    let home = Home::new();
    let file = home.dir.with_file_name("tessera-audit.jsonl");
    // Blank lines (a trailing newline, an editor's) are not records.
    std::fs::write(&file, jsonl(&log.records) + "\n").unwrap();
    let run = home.run(&["audit", "verify", file.to_str().unwrap()]);
    assert_eq!(run.ok().stdout, expected);
    assert_eq!(verify(&jsonl(&log.records), &[]).ok().stdout, expected);
    let run = verify(&jsonl(&log.records), &["--head", &head.to_uppercase()]);
    assert!(run.ok().stdout.ends_with("records 1-9, matches --head)\n"));
}

#[test]
fn an_altered_record_is_caught_at_its_line() {
    let log = sample();
    let mut lines: Vec<String> = log.records.iter().map(line).collect();
    let mut v: Value = serde_json::from_str(&lines[2]).unwrap();
    v["detail"] = json!("{\"name\":\"renamed\"}");
    lines[2] = v.to_string();
    broken(&(lines.join("\n") + "\n"), 3, "record 3 was altered");

    // The time of a client-signed record (the signature does not cover the server's time).
    let mut lines: Vec<String> = log.records.iter().map(line).collect();
    let mut v: Value = serde_json::from_str(&lines[5]).unwrap();
    v["time_ms"] = json!(1);
    lines[5] = v.to_string();
    broken(&lines.join("\n"), 6, "record 6 was altered");

    // Altered and re-hashed: the next record's link breaks.
    let mut records = log.records.clone();
    records[3].detail = "{\"x\":1}".into();
    records[3].hash = records[3].compute_hash().unwrap();
    broken(
        &jsonl(&records),
        5,
        "record 5 does not link to the record before it",
    );
}

#[test]
fn an_inserted_record_is_caught() {
    let log = sample();
    // A copy of an earlier line.
    let mut lines: Vec<String> = log.records.iter().map(line).collect();
    lines.insert(4, lines[1].clone());
    broken(
        &lines.join("\n"),
        5,
        "record 2 is out of sequence after record 4",
    );

    // A well-formed record after record 4, later ones renumbered and re-hashed.
    let mut records = log.records.clone();
    let mut fake = records[3].clone();
    fake.action = "grant.create".into();
    fake.seq = 5;
    fake.prev_hash = records[3].hash;
    fake.hash = fake.compute_hash().unwrap();
    records.insert(4, fake);
    for r in &mut records[5..] {
        r.seq += 1;
        r.hash = r.compute_hash().unwrap();
    }
    broken(
        &jsonl(&records),
        6,
        "record 6 does not link to the record before it: a record was inserted or removed after record 5",
    );
}

#[test]
fn a_removed_record_is_caught_and_a_removed_head_with_head() {
    let log = sample();
    let mut records = log.records.clone();
    records.remove(4);
    broken(
        &jsonl(&records),
        5,
        "record 6 is out of sequence after record 4",
    );

    broken(
        &jsonl(&log.records[1..]),
        1,
        "the log starts at record 2, not 1",
    );

    // Without the newest record the chain is still valid: only a head kept elsewhere tells.
    let head = hex(&log.records[8].hash);
    let short = jsonl(&log.records[..8]);
    assert!(verify(&short, &[]).ok().stdout.starts_with("ok: 8 events"));
    let run = verify(&short, &["--head", &head]);
    let err = run.fails(1, 0);
    assert!(
        err.contains("stdin line 8: the chain is intact but ends at record 8")
            && err.contains("newer records were removed"),
        "{err}"
    );
}

#[test]
fn a_flipped_signature_byte_is_caught_even_after_rehashing() {
    let log = sample();
    let mut records = log.records.clone();
    if let Some(c) = records[7].client.as_mut() {
        c.signature[10] ^= 0x01;
    }
    // As exported, the hash no longer matches.
    broken(&jsonl(&records), 8, "record 8 was altered");
    // Re-hashed and re-linked by someone rewriting the log: the signature still fails.
    relink(&mut records, 7);
    broken(
        &jsonl(&records),
        8,
        "record 8: bad client signature, or the signed event does not match the record",
    );
    // A signed event moved onto another record's action.
    let mut records = log.records.clone();
    records[5].action = "code.reveal".into();
    relink(&mut records, 5);
    broken(&jsonl(&records), 6, "record 6: bad client signature");
}

#[test]
fn a_vault_export_verifies_along_the_vault_chain() {
    let log = sample();
    let a_log = vault_log(&log, log.a);
    assert_eq!(a_log.len(), 5);
    let run = verify(&jsonl(&a_log), &["--head", &hex(&log.records[8].hash)]);
    assert_eq!(
        run.ok().stdout,
        format!(
            "ok: 5 events, chain intact, head {} (log of vault {}, matches --head)\n",
            hex(&log.records[8].hash),
            log.a.to_hex()
        )
    );
    let b_log = vault_log(&log, log.b);
    assert!(
        verify(&jsonl(&b_log), &[])
            .ok()
            .stdout
            .starts_with("ok: 2 events, chain intact")
    );

    // Its first record removed.
    broken(
        &jsonl(&a_log[1..]),
        1,
        "record 5 is not the vault's first record",
    );
    // One in the middle removed.
    let mut removed = a_log.clone();
    removed.remove(2);
    broken(
        &jsonl(&removed),
        3,
        "record 8 does not link to the vault's previous record",
    );
    // Another vault's record slipped in.
    let mut mixed = a_log.clone();
    mixed.insert(3, b_log[1].clone());
    broken(
        &jsonl(&mixed),
        4,
        &format!(
            "record 7 is not about vault {}, which the first",
            log.a.to_hex()
        ),
    );
    // Altered.
    let mut altered = a_log.clone();
    altered[4].detail = "{}x".into();
    broken(&jsonl(&altered), 5, "record 9 was altered");
    // A signature flipped and the vault chain re-linked.
    let mut resigned = a_log.clone();
    if let Some(c) = resigned[2].client.as_mut() {
        c.signature[0] ^= 0x80;
    }
    for i in 2..resigned.len() {
        resigned[i].vault_prev_hash = resigned[i - 1].hash;
        resigned[i].hash = resigned[i].compute_hash().unwrap();
    }
    broken(&jsonl(&resigned), 3, "record 6: bad client signature");
}

#[test]
fn malformed_input_is_bad_input() {
    let log = sample();
    let good = jsonl(&log.records[..3]);
    let bad_json = format!("{}{{\"seq\": 4\n", good);
    let err = verify(&bad_json, &[]).fails(2, 0).to_owned();
    assert!(err.contains("stdin line 4: not an audit record"), "{err}");
    let bad_hash = good.replacen("\"hash\":\"", "\"hash\":\"zz", 1);
    let err = verify(&bad_hash, &[]).fails(2, 0).to_owned();
    assert!(
        err.contains("stdin line 1: invalid audit record field: hash"),
        "{err}"
    );
    let long_detail = {
        let mut r = log.records[0].clone();
        r.detail = "x".repeat(5_000);
        format!(
            "{}\n",
            serde_json::to_string(&RecordJson::from(&r)).unwrap()
        )
    };
    verify(&long_detail, &[]).fails(2, 0);
    let csv = "seq,time_ms,action,actor,subject,vault,entry,host,detail,signed,prev_hash,vault_prev_hash,hash\n";
    let err = verify(csv, &[]).fails(2, 0).to_owned();
    assert!(
        err.contains("stdin line 1: a CSV export cannot be verified"),
        "{err}"
    );
    let err = verify("\n\n", &[]).fails(2, 0).to_owned();
    assert!(err.contains("stdin: no audit records"), "{err}");
    let home = Home::new();
    let binary = home.dir.with_file_name("binary.jsonl");
    std::fs::write(&binary, [0xff, 0xfe, b'\n']).unwrap();
    home.run(&["audit", "verify", binary.to_str().unwrap()])
        .fails(2, 0);
    // A bad --head is refused before the file is read.
    let err = home
        .run(&[
            "audit",
            "verify",
            binary.to_str().unwrap(),
            "--head",
            "abcd",
        ])
        .fails(2, 0)
        .to_owned();
    assert!(err.contains("--head: expected 64 hex digits"), "{err}");
    let missing = home.dir.with_file_name("missing.jsonl");
    home.run(&["audit", "verify", missing.to_str().unwrap()])
        .fails(1, 0);
    // clap: no FILE.
    assert_eq!(home.run(&["audit", "verify"]).code, Some(2));
}
