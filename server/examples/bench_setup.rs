//! Prepares a running server for the load benchmark (server/bench/run.sh): sets up the
//! organisation, registers `--members` members, creates `--vaults` vaults (each granted to the
//! owner and one member), and writes the files the wrk Lua scripts read:
//!
//! - `poll.txt`: `TOKEN ETAG` per member (the ETag of their vault list, so polls answer 304);
//! - `writes-N.txt` (N = 1..=`--writers`): `PATH<TAB>JSON` lines, each PATCH adding one entry to
//!   writer N's own vault, in version order (the seals are computed here with the vault key);
//! - `owner.txt`: the owner's session token.
//!
//! Run: `cargo run --release -p tessera-server --example bench_setup -- URL DATA_DIR OUT_DIR`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::Instant;

use rand_core::UnwrapErr;
use serde_json::{Value, json};
use tessera_core::Entry;
use tessera_core::grant::RecoveryKey;
use tessera_core::keyring::{Keyring, SignatureContext};
use tessera_core::secret::SecretBytes;
use tessera_core::sync::{seal_body, sign_in_message, snapshot_body};
use tessera_core::vault::{EntryId, OpenVault};

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}
fn b64(b: &[u8]) -> String {
    data_encoding::BASE64.encode(b)
}
fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap())
        .unwrap_or(default)
}

struct Ctx {
    http: reqwest::Client,
    url: String,
}

impl Ctx {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut r = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let res = r.send().await.unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn sign_in(&self, kr: &Keyring, id: &str) -> String {
        let c = self
            .post("/api/v1/auth/challenge", None, json!({"member_id": id}))
            .await;
        let cid: [u8; 16] = data_encoding::HEXLOWER
            .decode(c["challenge_id"].as_str().unwrap().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let nonce: [u8; 32] = data_encoding::BASE64
            .decode(c["nonce"].as_str().unwrap().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let msg = sign_in_message(c["audience"].as_str().unwrap(), &cid, &nonce);
        let sig = kr.sign(SignatureContext::AuthChallenge, &msg);
        let s = self
            .post(
                "/api/v1/auth/session",
                None,
                json!({"challenge_id": c["challenge_id"], "signature": b64(&sig)}),
            )
            .await;
        s["token"].as_str().unwrap().to_owned()
    }
}

fn entry(i: usize) -> Entry {
    let mut e = Entry::new(SecretBytes::new(vec![7u8; 20]), format!("bench entry {i}"));
    e.issuer = Some("Amazon Web Services".into());
    e
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let (url, data_dir, out) = (args[1].clone(), args[2].clone(), args[3].clone());
    let (members, vaults, writers, writes) = (
        arg("--members", 200),
        arg("--vaults", 10_000),
        arg("--writers", 4),
        arg("--writes", 2_000),
    );
    std::fs::create_dir_all(&out).unwrap();
    let ctx = Arc::new(Ctx {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        url,
    });
    let t0 = Instant::now();
    let owner_kr = Keyring::generate(&mut rng());
    let recovery = RecoveryKey::generate(&mut rng());
    let token = std::fs::read_to_string(format!("{data_dir}/setup-token")).unwrap();
    let v = ctx
        .post(
            "/api/v1/setup",
            None,
            json!({"setup_token": token.trim(), "recovery_public_key": b64(&recovery.public().0),
                   "public_keys": b64(&owner_kr.public().to_bytes())}),
        )
        .await;
    let owner_id = v["member_id"].as_str().unwrap().to_owned();
    let owner = ctx.sign_in(&owner_kr, &owner_id).await;
    std::fs::write(format!("{out}/owner.txt"), &owner).unwrap();

    let mut people = Vec::new();
    for _ in 0..members {
        let inv = ctx
            .post("/api/v1/invites", Some(&owner), json!({"role": "member"}))
            .await;
        let kr = Keyring::generate(&mut rng());
        let acc = ctx
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": inv["token"], "public_keys": b64(&kr.public().to_bytes())}),
            )
            .await;
        let id = acc["member_id"].as_str().unwrap().to_owned();
        ctx.post(
            &format!("/api/v1/members/{id}/confirm"),
            Some(&owner),
            json!({"fingerprint": kr.fingerprint().to_hex()}),
        )
        .await;
        let token = ctx.sign_in(&kr, &id).await;
        people.push((kr, id, token));
    }
    println!("{members} members in {:.1} s", t0.elapsed().as_secs_f64());

    // Vaults, 8 creations in flight.
    let people = Arc::new(people);
    let owner_kr = Arc::new(owner_kr);
    let recovery = Arc::new(recovery);
    let sem = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = Vec::new();
    let t1 = Instant::now();
    for i in 0..vaults {
        let (ctx, people, owner_kr, recovery, owner, owner_id, sem) = (
            ctx.clone(),
            people.clone(),
            owner_kr.clone(),
            recovery.clone(),
            owner.clone(),
            owner_id.clone(),
            sem.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let mut open = OpenVault::create(format!("client {i}"), &mut rng());
            open.add(entry(0), &mut rng()).unwrap();
            let (kr, id, _) = &people[i % people.len()];
            let sealed = open
                .seal(
                    &[*owner_kr.public(), *kr.public()],
                    Some(recovery.public()),
                    &mut rng(),
                )
                .unwrap();
            ctx.post(
                "/api/v1/vaults",
                Some(&owner),
                json!({"snapshot": b64(&sealed.to_bytes()),
                       "grants": [{"member_id": owner_id, "role": "manage"}, {"member_id": id, "role": "use"}]}),
            )
            .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!("{vaults} vaults in {:.1} s", t1.elapsed().as_secs_f64());

    // Each member's list ETag.
    let mut poll = String::new();
    for (_, _, token) in people.iter() {
        let r = ctx
            .http
            .get(format!("{}/api/v1/vaults", ctx.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        poll.push_str(&format!("{token} {etag}\n"));
    }
    std::fs::write(format!("{out}/poll.txt"), poll).unwrap();

    // Writers: one vault each with 100 entries, then `writes` sequential PATCH bodies.
    for w in 1..=writers {
        let mut open = OpenVault::create(format!("writer {w}"), &mut rng());
        for i in 0..100 {
            open.add(entry(i), &mut rng()).unwrap();
        }
        let sealed = open
            .seal(&[*owner_kr.public()], Some(recovery.public()), &mut rng())
            .unwrap();
        ctx.post(
            "/api/v1/vaults",
            Some(&owner),
            json!({"snapshot": b64(&sealed.to_bytes()), "grants": [{"member_id": owner_id, "role": "manage"}]}),
        )
        .await;
        let meta = sealed.meta().to_bytes();
        let grants: Vec<Vec<u8>> = sealed
            .grants()
            .iter()
            .map(|g| g.to_bytes().to_vec())
            .collect();
        let mut entries: Vec<(EntryId, Vec<u8>)> = sealed
            .entries()
            .iter()
            .map(|e| (e.entry_id(), e.to_bytes()))
            .collect();
        let path = format!("/api/v1/vaults/{}", open.id().to_hex());
        let mut lines = String::new();
        for n in 0..writes {
            let id = EntryId::generate(&mut rng());
            let e = open
                .cipher()
                .seal_entry(&open.id(), &id, open.epoch(), &entry(100 + n), &mut rng())
                .unwrap()
                .to_bytes();
            let at = entries.partition_point(|(i, _)| *i < id);
            entries.insert(at, (id, e.clone()));
            let bytes: Vec<&Vec<u8>> = entries.iter().map(|(_, b)| b).collect();
            let body = snapshot_body(&open.id(), open.epoch(), &meta, &grants, &bytes);
            let seal = seal_body(open.key(), &body, &mut rng()).unwrap();
            let json =
                json!({"base_version": 1 + n as i64, "put_entries": [b64(&e)], "seal": b64(&seal)});
            lines.push_str(&format!("{path}\t{json}\n"));
        }
        std::fs::write(format!("{out}/writes-{w}.txt"), lines).unwrap();
    }
    println!("setup done in {:.1} s", t0.elapsed().as_secs_f64());
}
