//! Test harness: spawns the built `tessera-server` binary on a free loopback port with a fresh
//! data dir and database, and talks to it over HTTP like a client would, with real keyrings,
//! vaults, grants and signatures made by the core.
//!
//! Backend: SQLite by default; PostgreSQL when `TESSERA_TEST_PG_URL` is set (by
//! scripts/with-postgres.sh) to a server URL whose user may create databases. Each server gets
//! its own database. Every token and signature a test uses is remembered, and
//! [`Server::assert_log_clean`] checks that none of them appears in the server's log.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand_core::UnwrapErr;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use tessera_core::Entry;
use tessera_core::grant::{Recipient, RecoveryKey, grant};
use tessera_core::keyring::{Keyring, SignatureContext};
use tessera_core::secret::SecretBytes;
use tessera_core::sync::{seal_body, sign_in_message, snapshot_body};
use tessera_core::vault::{EntryId, OpenVault, SealedVault, VaultId};

pub fn rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

pub fn b64(b: &[u8]) -> String {
    data_encoding::BASE64.encode(b)
}
pub fn unb64(s: &str) -> Vec<u8> {
    data_encoding::BASE64.decode(s.as_bytes()).unwrap()
}
pub fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}
pub fn random_hex() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    hex(&b)
}

pub fn pg_url() -> Option<String> {
    std::env::var("TESSERA_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub fn backend() -> &'static str {
    if pg_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh PostgreSQL database on the test cluster; returns its URL.
async fn create_pg_database(admin_url: &str) -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("tessera_test_{}", random_hex());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url)
        .await
        .unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let base = &base[..base.rfind('/').unwrap()];
    format!("{base}/{name}{query}")
}

pub struct Server {
    pub url: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub db_url: String,
    pub log_path: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    secrets: Mutex<Vec<String>>,
    pub http: reqwest::Client,
    owns_dir: bool,
}

impl Server {
    /// Starts a server with extra flags (e.g. `--rate-limit-per-minute 3`).
    pub async fn start(extra: &[&str]) -> Server {
        // reqwest's rustls needs a process-wide provider even for plain HTTP.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = std::env::temp_dir().join(format!("tessera-server-test-{}", random_hex()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let db_url = match pg_url() {
            Some(admin) => create_pg_database(&admin).await,
            None => format!("sqlite://{}", data_dir.join("tessera.db").display()),
        };
        let port = free_port();
        let mut s = Server {
            url: format!("http://127.0.0.1:{port}"),
            port,
            log_path: data_dir.join("server.log"),
            data_dir,
            db_url,
            args: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            secrets: Mutex::new(Vec::new()),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            owns_dir: true,
        };
        s.spawn().await;
        s
    }

    /// A second instance on the same database (own port and data dir), for PostgreSQL.
    pub async fn start_on(other: &Server, extra: &[&str]) -> Server {
        let data_dir = std::env::temp_dir().join(format!("tessera-server-test-{}", random_hex()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let port = free_port();
        let mut s = Server {
            url: format!("http://127.0.0.1:{port}"),
            port,
            log_path: data_dir.join("server.log"),
            data_dir,
            db_url: other.db_url.clone(),
            args: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            secrets: Mutex::new(Vec::new()),
            http: other.http.clone(),
            owns_dir: true,
        };
        s.spawn().await;
        s
    }

    /// A handle on the same server that owns no process (for tasks that outlive a kill).
    pub fn handle(other: &Server) -> Server {
        Server {
            url: other.url.clone(),
            port: other.port,
            log_path: other.log_path.clone(),
            data_dir: other.data_dir.clone(),
            db_url: other.db_url.clone(),
            args: Vec::new(),
            child: None,
            secrets: Mutex::new(Vec::new()),
            http: other.http.clone(),
            owns_dir: false,
        }
    }

    /// Starts (again) on the same data dir and database.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_tessera-server"))
            .args([
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--data-dir",
                self.data_dir.to_str().unwrap(),
                "--database-url",
                &self.db_url,
                "--log-level",
                "debug",
            ])
            .args(&self.args)
            .env_remove("TESSERA_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let t0 = Instant::now();
        loop {
            if let Ok(r) = self
                .http
                .get(format!("{}/api/v1/health", self.url))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("server exited with {status}: {}", self.log());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "server not ready: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (no shutdown of any kind), then wait for the process to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn setup_token(&self) -> String {
        let t = std::fs::read_to_string(self.data_dir.join("setup-token")).unwrap();
        let t = t.trim().to_owned();
        self.secret(&t);
        t
    }

    /// Remembers a value that must never appear in the log.
    pub fn secret(&self, s: &str) {
        self.secrets.lock().unwrap().push(s.to_owned());
    }

    /// No token, signature or other remembered secret in the server log (checked on the raw
    /// value and on its URL-safe and hex forms where it is base64).
    pub fn assert_log_clean(&self) {
        let log = self.log();
        assert!(log.contains("request"), "the log recorded requests");
        let expected = if pg_url().is_some() {
            "backend=Postgres"
        } else {
            "backend=Sqlite"
        };
        assert!(
            log.contains(expected),
            "the server ran on the selected backend"
        );
        let secrets = self.secrets.lock().unwrap();
        assert!(!secrets.is_empty());
        for s in secrets.iter() {
            assert!(!log.contains(s.as_str()), "secret found in the server log");
            if let Ok(raw) = data_encoding::BASE64.decode(s.as_bytes()) {
                assert!(
                    !log.contains(&hex(&raw)),
                    "secret (hex) found in the server log"
                );
            }
        }
    }

    /// One request; returns status, JSON body (Null if none or not JSON) and headers.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_client_error() || status.is_server_error() {
            assert!(
                v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                "{status} {path} without a JSON error body: {text}"
            );
        }
        (status, v, headers)
    }

    /// A GET with `If-None-Match: etag` (status 304 and a Null body while unchanged).
    pub async fn call_with_etag(
        &self,
        path: &str,
        token: &str,
        etag: &str,
    ) -> (StatusCode, Value, HeaderMap) {
        let res = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .header(reqwest::header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let v = serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null);
        (status, v, headers)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::GET, path, Some(token), None).await;
        (s, v)
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::POST, path, token, Some(body)).await;
        (s, v)
    }
    /// `POST /api/v1/members/{member_id}/revoke` as the holder of `token`.
    pub async fn revoke(&self, token: &str, member_id: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/api/v1/members/{member_id}/revoke"),
            Some(token),
            json!({}),
        )
        .await
    }

    /// Signs in with a challenge; returns the session token.
    pub async fn sign_in(&self, kr: &Keyring, member_id: &str) -> String {
        let (s, c) = self
            .post(
                "/api/v1/auth/challenge",
                None,
                json!({"member_id": member_id}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let sig = sign_challenge(kr, &c);
        self.secret(&sig);
        let (s, v) = self
            .post(
                "/api/v1/auth/session",
                None,
                json!({"challenge_id": c["challenge_id"], "signature": sig}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let token = v["token"].as_str().unwrap().to_owned();
        self.secret(&token);
        token
    }

    /// Sets up the organisation; returns the owner and the recovery key.
    pub async fn bootstrap(&self) -> (Person, RecoveryKey) {
        let kr = Keyring::generate(&mut rng());
        let recovery = RecoveryKey::generate(&mut rng());
        let (s, v) = self
            .post(
                "/api/v1/setup",
                None,
                json!({
                    "setup_token": self.setup_token(),
                    "recovery_public_key": b64(&recovery.public().0),
                    "public_keys": b64(&kr.public().to_bytes()),
                    "label": "owner@example.test",
                }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["member_id"].as_str().unwrap().to_owned();
        let token = self.sign_in(&kr, &id).await;
        (Person { kr, id, token }, recovery)
    }

    /// Invites, accepts, confirms and signs in a new member.
    pub async fn add_member(&self, admin: &Person, role: &str) -> Person {
        let (s, inv) = self
            .post(
                "/api/v1/invites",
                Some(&admin.token),
                json!({"role": role, "label": "invitee"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{inv}");
        self.secret(inv["token"].as_str().unwrap());
        let kr = Keyring::generate(&mut rng());
        let (s, acc) = self
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": inv["token"], "public_keys": b64(&kr.public().to_bytes())}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{acc}");
        let id = acc["member_id"].as_str().unwrap().to_owned();
        let (s, v) = self
            .post(
                &format!("/api/v1/members/{id}/confirm"),
                Some(&admin.token),
                json!({"fingerprint": kr.fingerprint().to_hex()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let token = self.sign_in(&kr, &id).await;
        Person { kr, id, token }
    }

    /// The vault's snapshot as served, parsed, with its version.
    pub async fn fetch(&self, who: &Person, vault: &VaultId) -> (SealedVault, i64, Vec<u8>) {
        let (s, v) = self
            .get(&format!("/api/v1/vaults/{}", vault.to_hex()), &who.token)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let bytes = unb64(v["snapshot"].as_str().unwrap());
        (
            SealedVault::from_bytes(&bytes).unwrap(),
            v["version"].as_i64().unwrap(),
            bytes,
        )
    }

    /// PATCH adding one new entry to `open` on top of the served snapshot `base` (version
    /// `base_version`); returns the status, the body and the new entry's id.
    pub async fn add_entry(
        &self,
        who: &Person,
        open: &OpenVault,
        base: &SealedVault,
        base_version: i64,
        label: &str,
    ) -> (StatusCode, Value, EntryId) {
        let id = EntryId::generate(&mut rng());
        let sealed = open
            .cipher()
            .seal_entry(&open.id(), &id, open.epoch(), &entry(label), &mut rng())
            .unwrap();
        let mut entries: Vec<Vec<u8>> = base.entries().iter().map(|e| e.to_bytes()).collect();
        entries.push(sealed.to_bytes());
        let mut with_ids: Vec<(EntryId, Vec<u8>)> = base
            .entries()
            .iter()
            .map(|e| (e.entry_id(), e.to_bytes()))
            .chain([(id, sealed.to_bytes())])
            .collect();
        with_ids.sort_by_key(|(i, _)| *i);
        entries.clear();
        entries.extend(with_ids.into_iter().map(|(_, b)| b));
        let seal = reseal(open, base, &entries, None);
        let (s, v, _) = self
            .call(
                Method::PATCH,
                &format!("/api/v1/vaults/{}", open.id().to_hex()),
                Some(&who.token),
                Some(json!({
                    "base_version": base_version,
                    "put_entries": [b64(&sealed.to_bytes())],
                    "seal": b64(&seal),
                })),
            )
            .await;
        (s, v, id)
    }

    /// Creates a vault with `n` entries, granted to `members` with roles and to the recovery key.
    pub async fn create_vault(
        &self,
        creator: &Person,
        members: &[(&Person, &str)],
        recovery: &RecoveryKey,
        n: usize,
    ) -> OpenVault {
        let mut open = OpenVault::create("Client A", &mut rng());
        for i in 0..n {
            open.add(entry(&format!("entry {i}")), &mut rng()).unwrap();
        }
        let keys: Vec<_> = members.iter().map(|(p, _)| *p.kr.public()).collect();
        let sealed = open
            .seal(&keys, Some(recovery.public()), &mut rng())
            .unwrap();
        let grants: Vec<Value> = members
            .iter()
            .map(|(p, r)| json!({"member_id": p.id, "role": r}))
            .collect();
        let (s, v) = self
            .post(
                "/api/v1/vaults",
                Some(&creator.token),
                json!({"snapshot": b64(&sealed.to_bytes()), "grants": grants}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        open
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.owns_dir && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

pub struct Person {
    pub kr: Keyring,
    pub id: String,
    pub token: String,
}

pub fn sign_challenge(kr: &Keyring, c: &Value) -> String {
    let id: [u8; 16] = data_encoding::HEXLOWER
        .decode(c["challenge_id"].as_str().unwrap().as_bytes())
        .unwrap()
        .try_into()
        .unwrap();
    let nonce: [u8; 32] = unb64(c["nonce"].as_str().unwrap()).try_into().unwrap();
    let msg = sign_in_message(c["audience"].as_str().unwrap(), &id, &nonce);
    b64(&kr.sign(SignatureContext::AuthChallenge, &msg))
}

pub fn entry(label: &str) -> Entry {
    let mut e = Entry::new(SecretBytes::new(b"12345678901234567890".to_vec()), label);
    e.issuer = Some("Amazon Web Services".into());
    e
}

/// A fresh seal for `base` with `entries` (encoded, in order) and optionally other grants.
pub fn reseal(
    open: &OpenVault,
    base: &SealedVault,
    entries: &[Vec<u8>],
    grants: Option<&[Vec<u8>]>,
) -> [u8; 28] {
    let base_grants: Vec<Vec<u8>> = base
        .grants()
        .iter()
        .map(|g| g.to_bytes().to_vec())
        .collect();
    let body = snapshot_body(
        &open.id(),
        open.epoch(),
        base.meta().to_bytes(),
        grants.unwrap_or(&base_grants),
        entries,
    );
    seal_body(open.key(), &body, &mut rng()).unwrap()
}

/// Grant bytes of the current epoch for `who`, and the re-sorted grant list with it added.
pub fn grant_for(open: &OpenVault, base: &SealedVault, who: &Keyring) -> (Vec<u8>, Vec<Vec<u8>>) {
    let g = grant(
        open.key(),
        &open.id(),
        open.epoch(),
        Recipient::Member(who.public()),
        &mut rng(),
    )
    .unwrap();
    let mut all: Vec<_> = base.grants().iter().cloned().chain([g.clone()]).collect();
    all.sort_by_key(|g| (g.recipient_kind(), g.recipient_fingerprint()));
    (
        g.to_bytes().to_vec(),
        all.iter().map(|g| g.to_bytes().to_vec()).collect(),
    )
}
