//! Team mode against the real team server: `tessera team join|sync|status|leave`, team codes with
//! their signed audit events (sent, or queued while the server is down), revocation, and
//! `tessera recover --server`.
//!
//! The server binary belongs to another package, so Cargo does not build it for these tests and
//! `CARGO_BIN_EXE_tessera-server` does not exist here. The tests look for it in
//! `TESSERA_SERVER_BIN`, else `target/debug/tessera-server`, and are `#[ignore]`d so that a plain
//! `cargo test -p tessera-cli` stays self-contained. The gate runs them with:
//!
//! ```text
//! cargo build -p tessera-server && cargo test -p tessera-cli --test team -- --include-ignored
//! ```
//!
//! Run that way without the binary, they fail loudly (they never pass by skipping).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Test code.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Home;
use rand_core::UnwrapErr;
use serde_json::{Value, json};
use tessera_core::audit::verify_client_event;
use tessera_core::grant::RecoveryKey;
use tessera_core::keyring::{Keyring, PublicKeys, SignatureContext};
use tessera_core::sync::sign_in_message;
use tessera_core::vault::OpenVault;
use tessera_core::{Entry, SecretBytes, otp};

const IGNORE: &str = "needs the team server binary";

fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

fn b64(b: &[u8]) -> String {
    data_encoding::BASE64.encode(b)
}

fn server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TESSERA_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let bin = target.join("debug/tessera-server");
    assert!(
        bin.exists(),
        "{IGNORE}: {} is missing; run `cargo build -p tessera-server` first (or set \
         TESSERA_SERVER_BIN)",
        bin.display()
    );
    bin
}

struct Server {
    url: String,
    port: u16,
    tmp: tempfile::TempDir,
    child: Option<Child>,
    agent: ureq::Agent,
}

impl Server {
    fn start() -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut s = Server {
            url: format!("http://127.0.0.1:{port}"),
            port,
            tmp: tempfile::tempdir().unwrap(),
            child: None,
            agent,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let dir = self.tmp.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = Command::new(server_bin())
            .args([
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--data-dir",
                dir.to_str().unwrap(),
                "--database-url",
                &format!("sqlite://{}", dir.join("tessera.db").display()),
            ])
            .env_remove("TESSERA_DATABASE_URL")
            .env_remove("TESSERA_PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let t0 = Instant::now();
        loop {
            if self.call("GET", "/api/v1/health", None, None).0 == 200 {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("server exited with {status}: {}", self.log());
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "server not ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("server.log")).unwrap_or_default()
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let auth = token.map(|t| format!("Bearer {t}"));
        let res = match method {
            "GET" => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.call()
            }
            "PUT" => {
                let mut r = self
                    .agent
                    .put(&url)
                    .header("content-type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.send(body.unwrap_or(json!({})).to_string().as_bytes())
            }
            _ => {
                let mut r = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.send(body.unwrap_or(json!({})).to_string().as_bytes())
            }
        };
        match res {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let text = res.body_mut().read_to_string().unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let (s, v) = self.call("POST", path, token, Some(body));
        assert!((200..300).contains(&s), "POST {path}: {s} {v}");
        v
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let (s, v) = self.call("GET", path, Some(token), None);
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    fn sign_in(&self, kr: &Keyring, member_id: &str) -> String {
        let c = self.post(
            "/api/v1/auth/challenge",
            None,
            json!({"member_id": member_id}),
        );
        let id: [u8; 16] = data_encoding::HEXLOWER
            .decode(c["challenge_id"].as_str().unwrap().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let nonce: [u8; 32] = data_encoding::BASE64
            .decode(c["nonce"].as_str().unwrap().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let sig = kr.sign(
            SignatureContext::AuthChallenge,
            &sign_in_message(&self.url, &id, &nonce),
        );
        let v = self.post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": c["challenge_id"], "signature": b64(&sig)}),
        );
        v["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Owner {
    kr: Keyring,
    id: String,
    token: String,
    recovery: RecoveryKey,
}

fn bootstrap(server: &Server) -> Owner {
    let setup = std::fs::read_to_string(server.tmp.path().join("setup-token")).unwrap();
    let kr = Keyring::generate(&mut rng());
    let recovery = RecoveryKey::generate(&mut rng());
    let v = server.post(
        "/api/v1/setup",
        None,
        json!({
            "setup_token": setup.trim(),
            "recovery_public_key": b64(&recovery.public().0),
            "public_keys": b64(&kr.public().to_bytes()),
            "label": "owner@example.test",
        }),
    );
    let id = v["member_id"].as_str().unwrap().to_owned();
    let token = server.sign_in(&kr, &id);
    Owner {
        kr,
        id,
        token,
        recovery,
    }
}

/// RFC 6238's seed: the test knows the code at any time.
const SEED: &[u8] = b"12345678901234567890";
const AT: &str = "1111111109";

fn expected_code() -> String {
    let e = Entry::new(SecretBytes::new(SEED.to_vec()), "x");
    otp::code(&e.secret, &e.otp, 1_111_111_109).unwrap().code
}

/// The CLI joins with an invite; the owner confirms the fingerprint the CLI printed. Returns the
/// CLI's member id and public keys.
fn join(server: &Server, owner: &Owner, home: &Home) -> (String, PublicKeys) {
    let inv = server.post(
        "/api/v1/invites",
        Some(&owner.token),
        json!({"role": "member", "label": "cli"}),
    );
    let link = format!("{}/invite#{}", server.url, inv["token"].as_str().unwrap());
    let run = home.run(&["team", "join", &link, "--label", "ci laptop"]);
    run.ok();
    let members = server.get("/api/v1/members", &owner.token);
    let me = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"] == "ci laptop")
        .unwrap()
        .clone();
    let id = me["member_id"].as_str().unwrap().to_owned();
    assert!(run.stdout.contains(&id), "{run:?}");
    // What the admin compares: the fingerprint the CLI printed is the registered one.
    assert!(
        run.stdout
            .contains(me["fingerprint_display"].as_str().unwrap()),
        "{run:?} {me}"
    );
    let keys = PublicKeys::from_bytes(
        &data_encoding::BASE64
            .decode(me["public_keys"].as_str().unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    server.post(
        &format!("/api/v1/members/{id}/confirm"),
        Some(&owner.token),
        json!({"fingerprint": keys.fingerprint().to_hex()}),
    );
    (id, keys)
}

/// A vault with one team entry, granted to the owner (manage) and the CLI member (use).
fn create_vault(server: &Server, owner: &Owner, cli_id: &str, cli_keys: &PublicKeys) -> OpenVault {
    let mut open = OpenVault::create("Client Z", &mut rng());
    let mut e = Entry::new(SecretBytes::new(SEED.to_vec()), "team-root");
    e.issuer = Some("Amazon Web Services".into());
    e.aws_account_id = Some("999988887777".into());
    open.add(e, &mut rng()).unwrap();
    let sealed = open
        .seal(
            &[*owner.kr.public(), *cli_keys],
            Some(owner.recovery.public()),
            &mut rng(),
        )
        .unwrap();
    server.post(
        "/api/v1/vaults",
        Some(&owner.token),
        json!({
            "snapshot": b64(&sealed.to_bytes()),
            "grants": [
                {"member_id": owner.id, "role": "manage"},
                {"member_id": cli_id, "role": "use"},
            ],
        }),
    );
    open
}

fn reveals(server: &Server, owner: &Owner) -> Vec<Value> {
    server.get("/api/v1/audit?action=code.reveal", &owner.token)["events"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
#[ignore = "needs target/debug/tessera-server: cargo build -p tessera-server && cargo test -p tessera-cli --test team -- --include-ignored"]
fn join_sync_code_audit_queue_and_revocation() {
    let mut server = Server::start();
    let owner = bootstrap(&server);
    let home = Home::init();
    let (cli_id, cli_keys) = join(&server, &owner, &home);
    let vault = create_vault(&server, &owner, &cli_id, &cli_keys);

    // No sync yet: `code` finds nothing in the (empty) cache, syncs once and finds it. The code
    // is bare on stdout, and its signed audit event is on the server.
    assert!(!home.dir.join("team").exists());
    let run = home.run(&["code", "--at", AT, "team-root"]);
    run.ok();
    assert_eq!(run.stdout, format!("{}\n", expected_code()));
    let events = reveals(&server, &owner);
    assert_eq!(events.len(), 1, "{events:?}");
    let ev = &events[0];
    assert_eq!(ev["actor"], cli_id.as_str());
    assert_eq!(ev["vault"], vault.id().to_hex().as_str());
    assert_eq!(ev["entry"], vault.entries()[0].0.to_hex().as_str());
    let signer = PublicKeys::from_bytes(
        &data_encoding::BASE64
            .decode(ev["client"]["signer"].as_str().unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(signer, cli_keys, "signed by the CLI member");
    let sig: [u8; 64] = data_encoding::BASE64
        .decode(ev["client"]["signature"].as_str().unwrap().as_bytes())
        .unwrap()
        .try_into()
        .unwrap();
    let bytes = data_encoding::BASE64
        .decode(ev["client"]["event"].as_str().unwrap().as_bytes())
        .unwrap();
    verify_client_event(&cli_keys, &bytes, &sig).unwrap();

    // An explicit sync: one vault, cached.
    let run = home.run(&["team", "sync"]);
    run.ok();
    assert!(run.stdout.contains("Synced 1 vaults"), "{run:?}");
    assert!(run.stdout.contains("Client Z  use  1 entries"), "{run:?}");
    let snap = home
        .dir
        .join(format!("team/{}.snapshot", vault.id().to_hex()));
    assert!(snap.exists());

    // `list` shows the team entry with its vault; `status` the membership.
    let run = home.run(&["list"]);
    run.ok();
    let row = run
        .stdout
        .lines()
        .find(|l| l.contains("team-root"))
        .unwrap();
    assert!(
        row.contains("999988887777") && row.ends_with("Client Z"),
        "{row}"
    );
    let run = home.run(&["team", "status"]);
    run.ok();
    assert!(
        run.stdout.contains(&cli_id) && run.stdout.contains("1 vaults"),
        "{run:?}"
    );
    assert!(run.stdout.contains("0 audit events queued"), "{run:?}");

    // Server down: the code still comes from the cache; its event is queued, with a warning.
    server.stop();
    let run = home.run(&["code", "--at", AT, "team-root"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, format!("{}\n", expected_code()));
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("queued (1 pending)"), "{run:?}");
    let queue = home.dir.join("team/pending-events.jsonl");
    assert_eq!(std::fs::read_to_string(&queue).unwrap().lines().count(), 1);

    // Back up: the next contact delivers the queue.
    server.spawn();
    home.run(&["team", "sync"]).ok();
    assert!(!queue.exists(), "queue delivered and removed");
    let events = reveals(&server, &owner);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["actor"] == cli_id.as_str()));

    // Revoked: the next sync says so and wipes the cache and the membership.
    server.post(
        &format!("/api/v1/members/{cli_id}/revoke"),
        Some(&owner.token),
        json!({}),
    );
    let run = home.run(&["team", "sync"]);
    let line = run.fails(1, 0);
    assert!(line.ends_with("[member_revoked]"), "{line}");
    assert!(line.contains("wiped"), "{line}");
    assert!(!home.dir.join("team").exists(), "team cache wiped");
    assert!(!home.dir.join("team.json").exists());
    home.run(&["code", "--at", AT, "team-root"]).fails(2, 0);
    home.run(&["team", "status"]).ok();
}

/// Copies the server's SQLite database (file, WAL and shared memory) from `from` to `to`; the
/// server is stopped. Files absent in `from` are removed from `to`.
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        let (src, dst) = (from.join(name), to.join(name));
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        } else if dst.exists() {
            std::fs::remove_file(&dst).unwrap();
        }
    }
}

#[test]
#[ignore = "needs target/debug/tessera-server: cargo build -p tessera-server && cargo test -p tessera-cli --test team -- --include-ignored"]
fn a_server_restored_from_a_backup_cannot_roll_a_vault_back() {
    let mut server = Server::start();
    let owner = bootstrap(&server);
    let home = Home::init();
    let (cli_id, cli_keys) = join(&server, &owner, &home);
    let mut vault = create_vault(&server, &owner, &cli_id, &cli_keys);
    let id = vault.id().to_hex();
    home.run(&["team", "sync"]).ok();

    // The backup, taken at epoch 1.
    let backup = tempfile::tempdir().unwrap();
    server.stop();
    copy_database(server.tmp.path(), backup.path());
    server.spawn();

    // The owner rotates the vault (epoch 2); the CLI syncs it.
    vault.rotate(&mut rng()).unwrap();
    let sealed = vault
        .seal(
            &[*owner.kr.public(), cli_keys],
            Some(owner.recovery.public()),
            &mut rng(),
        )
        .unwrap();
    server.post(
        &format!("/api/v1/vaults/{id}/rotate"),
        Some(&owner.token),
        json!({"base_version": 1, "snapshot": b64(&sealed.to_bytes())}),
    );
    home.run(&["team", "sync"]).ok();
    let snap = home.dir.join(format!("team/{id}.snapshot"));
    let index = home.dir.join("team/vaults.json");
    let (cached, cached_index) = (
        std::fs::read(&snap).unwrap(),
        std::fs::read(&index).unwrap(),
    );
    assert_eq!(cached, sealed.to_bytes());

    // The server comes back from the backup: it serves the authentic epoch-1 snapshot.
    server.stop();
    copy_database(backup.path(), server.tmp.path());
    server.spawn();
    let listed = server.get("/api/v1/vaults", &owner.token);
    assert_eq!(listed["vaults"][0]["epoch"], 1, "{listed}");
    let run = home.run(&["team", "sync"]);
    let line = run.fails(1, 0);
    assert_eq!(
        line,
        format!(
            "tessera: error: the server sent vault {id} at key epoch 1, older than epoch 2 already seen: \
             refused; the cached copy is kept [vault_rollback]"
        )
    );
    assert_eq!(std::fs::read(&snap).unwrap(), cached, "cache untouched");
    assert_eq!(std::fs::read(&index).unwrap(), cached_index);
    // The cached copy (epoch 2) still gives its codes.
    let run = home.run(&["code", "--at", AT, "team-root"]);
    run.ok();
    assert_eq!(run.stdout, format!("{}\n", expected_code()));

    // The record lives with the cache: leaving (like a revocation) wipes both, so a fresh join
    // starts over.
    assert!(home.dir.join("team/epochs.json").exists());
    home.run(&["team", "leave"]).ok();
    assert!(!home.dir.join("team").exists());
}

#[test]
#[ignore = "needs target/debug/tessera-server: cargo build -p tessera-server && cargo test -p tessera-cli --test team -- --include-ignored"]
fn recover_from_the_server_as_owner() {
    let server = Server::start();
    let owner = bootstrap(&server);
    let home = Home::init();
    let (cli_id, cli_keys) = join(&server, &owner, &home);
    create_vault(&server, &owner, &cli_id, &cli_keys);
    let tmp = tempfile::tempdir().unwrap();
    let kit = tmp.path().join("kit.txt");
    std::fs::write(&kit, owner.recovery.to_kit().as_bytes()).unwrap();
    let kit = kit.to_str().unwrap();

    // Not an owner yet: the server refuses.
    let run = home.run(&["recover", "--kit", kit, "--server", &server.url]);
    if run.stderr.contains("[not_found]") || run.stderr.contains("(404)") {
        panic!("the server has no GET /api/v1/export: {run:?}");
    }
    let line = run.fails(1, 0);
    assert!(line.contains("(403)"), "{line}");

    // Another server than the membership's: refused before any contact.
    let line = home
        .run(&["recover", "--kit", kit, "--server", "https://other.example"])
        .fails(2, 0)
        .to_owned();
    assert!(line.ends_with("[team_other_server]"), "{line}");

    let (s, v) = server.call(
        "PUT",
        &format!("/api/v1/members/{cli_id}/role"),
        Some(&owner.token),
        Some(json!({"role": "owner"})),
    );
    assert_eq!(s, 200, "{v}");
    let run = home.run(&["recover", "--kit", kit, "--server", &server.url]);
    run.ok();
    assert!(
        run.stdout.contains("Client Z") && run.stdout.contains("team-root"),
        "{run:?}"
    );
    let exports = server.get("/api/v1/audit?action=recovery.export", &owner.token)["events"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0]["actor"], cli_id.as_str());

    // Leaving forgets the membership and the cache on this machine only.
    home.run(&["team", "sync"]).ok();
    assert!(home.dir.join("team").exists());
    let run = home.run(&["team", "leave"]);
    run.ok();
    assert!(run.stdout.contains(&cli_id), "{run:?}");
    assert!(!home.dir.join("team").exists() && !home.dir.join("team.json").exists());
    assert!(
        home.run(&["team", "status"])
            .stdout
            .contains("Not in a team")
    );
    home.run(&["code", "team-root"]).fails(2, 0);
}

/// No server needed: links and membership checks fail before any network use.
#[test]
fn bad_links_and_no_membership_are_clear_errors() {
    let home = Home::init();
    for (link, code) in [
        ("http://vault.example.com/invite#tok", "[insecure_server]"),
        ("https://vault.example.com/invite", "[bad_invite_link]"),
        ("https://vault.example.com/join#tok", "[bad_invite_link]"),
        ("vault.example.com/invite#tok", "[insecure_server]"),
    ] {
        let run = home.run(&["team", "join", link]);
        let line = run.fails(2, 0);
        assert!(line.ends_with(code), "{link}: {line}");
        assert!(!line.contains("tok"), "the token is never echoed: {line}");
    }
    let line = home.run(&["team", "sync"]).fails(1, 0).to_owned();
    assert!(line.ends_with("[team_not_joined]"), "{line}");
    let run = home.run(&["team", "status"]);
    run.ok();
    assert!(run.stdout.contains("Not in a team"));
    home.run(&["team", "leave"]).ok();
    // A team file that is not JSON is reported, not ignored.
    std::fs::write(home.dir.join("team.json"), b"{oops").unwrap();
    let line = home.run(&["code", "anything"]).fails(1, 0).to_owned();
    assert!(line.ends_with("[team_cache_damaged]"), "{line}");
}
