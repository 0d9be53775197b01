//! API tests against a real `tessera-server` process, on SQLite or PostgreSQL (see
//! tests/common). Every test ends by checking that no token or signature it used is in the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tessera_core::audit::json::parse_jsonl;
use tessera_core::audit::{ChainScope, ClientAction, ClientEvent, verify_chain};
use tessera_core::keyring::{Keyring, SignatureContext};
use tessera_core::vault::{EntryId, OpenVault, VaultId};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_sign_in_sessions_and_replay() {
    let srv = Server::start(&["--challenge-ttl-secs", "2"]).await;
    let (s, v, _) = srv.call(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(
        (s, v["setup_complete"].clone()),
        (StatusCode::OK, json!(false))
    );

    let kr = Keyring::generate(&mut rng());
    let recovery = tessera_core::grant::RecoveryKey::generate(&mut rng());
    let good = json!({
        "setup_token": srv.setup_token(),
        "recovery_public_key": b64(&recovery.public().0),
        "public_keys": b64(&kr.public().to_bytes()),
    });
    // Wrong token, bad keys, bad recovery key, wrong content type, malformed JSON.
    let mut wrong = good.clone();
    wrong["setup_token"] = json!("tsu_wrong");
    let (s, v) = srv.post("/api/v1/setup", None, wrong).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, "invalid_setup_token")
    );
    let mut bad = good.clone();
    bad["public_keys"] = json!(b64(&[1u8; 63]));
    let (s, v) = srv.post("/api/v1/setup", None, bad).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_public_keys")
    );
    let mut bad = good.clone();
    bad["recovery_public_key"] = json!(b64(&[0u8; 32]));
    let (s, v) = srv.post("/api/v1/setup", None, bad).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_recovery_key")
    );
    let res = srv
        .http
        .post(format!("{}/api/v1/setup", srv.url))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value = res.json().await.unwrap();
    assert_eq!(code(&v), "unsupported_media_type");
    let res = srv
        .http
        .post(format!("{}/api/v1/setup", srv.url))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"setup_token\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&res.json::<Value>().await.unwrap()), "malformed_json");
    let (s, v) = srv
        .post("/api/v1/setup", None, json!({"setup_token": "x"}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );

    let (s, v) = srv.post("/api/v1/setup", None, good.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["fingerprint"], json!(kr.fingerprint().to_hex()));
    let owner = v["member_id"].as_str().unwrap().to_owned();
    let (s, v) = srv.post("/api/v1/setup", None, good).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "already_set_up"));
    assert!(!srv.data_dir.join("setup-token").exists() || srv.log().contains("setup"));

    // Challenges: unknown member, malformed id.
    let (s, v) = srv
        .post(
            "/api/v1/auth/challenge",
            None,
            json!({"member_id": "00".repeat(16)}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "unknown_member"));
    let (s, v) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": "xyz"}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id")
    );

    // A signature by another key, then a replay of a spent challenge.
    let (_, c) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": owner}))
        .await;
    let other = Keyring::generate(&mut rng());
    let forged = sign_challenge(&other, &c);
    srv.secret(&forged);
    let (s, v) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": c["challenge_id"], "signature": forged}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let right = sign_challenge(&kr, &c);
    srv.secret(&right);
    let (s, _) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": c["challenge_id"], "signature": right}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a challenge is spent by its first use"
    );
    // The right signature over another context does not sign in.
    let (_, c2) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": owner}))
        .await;
    let msg = tessera_core::sync::sign_in_message(
        c2["audience"].as_str().unwrap(),
        &hex_id(c2["challenge_id"].as_str().unwrap()),
        &unb64(c2["nonce"].as_str().unwrap()).try_into().unwrap(),
    );
    let wrong_ctx = b64(&kr.sign(SignatureContext::AuditEvent, &msg));
    srv.secret(&wrong_ctx);
    let (s, _) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": c2["challenge_id"], "signature": wrong_ctx}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Expired challenge (TTL 2 s here).
    let (_, c3) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": owner}))
        .await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let late = sign_challenge(&kr, &c3);
    srv.secret(&late);
    let (s, v) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": c3["challenge_id"], "signature": late}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": "00".repeat(16), "signature": b64(&[0; 64])}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, v) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": "00".repeat(16), "signature": b64(&[0; 10])}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_signature")
    );

    // A good sign-in; the session works, then sign-out kills it.
    let token = srv.sign_in(&kr, &owner).await;
    let (s, v) = srv.get("/api/v1/members/me", &token).await;
    assert_eq!((s, v["role"].clone()), (StatusCode::OK, json!("owner")));
    let (s, v) = srv.get("/api/v1/org", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["recovery_fingerprint"],
        json!(recovery.public().fingerprint().to_hex())
    );
    let (s, _, h) = srv.call(Method::GET, "/api/v1/org", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(h[header::WWW_AUTHENTICATE], "Bearer");
    let (s, _, _) = srv
        .call(Method::DELETE, "/api/v1/auth/session", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = srv.get("/api/v1/members/me", &token).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, _, _) = srv
        .call(Method::DELETE, "/api/v1/auth/session", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    srv.assert_log_clean();
}

fn hex_id(s: &str) -> [u8; 16] {
    data_encoding::HEXLOWER
        .decode(s.as_bytes())
        .unwrap()
        .try_into()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_expire() {
    let srv = Server::start(&["--session-ttl-secs", "1"]).await;
    let (owner, _) = srv.bootstrap().await;
    let (s, _) = srv.get("/api/v1/members/me", &owner.token).await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (s, v) = srv.get("/api/v1/members/me", &owner.token).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invites_confirmation_and_roles() {
    let srv = Server::start(&[]).await;
    let (owner, _) = srv.bootstrap().await;
    let admin = srv.add_member(&owner, "admin").await;
    let member = srv.add_member(&admin, "member").await;

    // Who may invite whom.
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&member.token),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "owner_required"));
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_role")
    );
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "member", "ttl_secs": 0}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ttl")
    );

    // List, cancel, cancel again.
    let (s, inv) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "member", "label": "bob"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    srv.secret(inv["token"].as_str().unwrap());
    let (s, list) = srv.get("/api/v1/invites", &admin.token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        list["invites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["invite_id"] == inv["invite_id"])
    );
    let (s, v) = srv.get("/api/v1/invites", &member.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let path = format!("/api/v1/invites/{}", inv["invite_id"].as_str().unwrap());
    let (s, _, _) = srv
        .call(Method::DELETE, &path, Some(&admin.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v, _) = srv
        .call(Method::DELETE, &path, Some(&admin.token), None)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let kr = Keyring::generate(&mut rng());
    let (s, v) = srv
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": inv["token"], "public_keys": b64(&kr.public().to_bytes())}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::NOT_FOUND, "invalid_invite"),
        "a cancelled invite"
    );

    // Accept: keys already in use, then success, then reuse; pending until confirmed.
    let (_, inv) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "member"}),
        )
        .await;
    srv.secret(inv["token"].as_str().unwrap());
    let (s, v) = srv
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": inv["token"], "public_keys": b64(&member.kr.public().to_bytes())}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "keys_in_use"));
    let (s, acc) = srv
        .post("/api/v1/invites/accept", None, json!({"token": inv["token"], "public_keys": b64(&kr.public().to_bytes()), "label": "carol"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{acc}");
    assert_eq!(acc["status"], json!("pending"));
    assert_eq!(
        acc["fingerprint_display"],
        json!(kr.fingerprint().to_display())
    );
    let kr2 = Keyring::generate(&mut rng());
    let (s, v) = srv
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": inv["token"], "public_keys": b64(&kr2.public().to_bytes())}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "invite_used"));
    let carol = acc["member_id"].as_str().unwrap().to_owned();
    let (s, v) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": carol}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "member_pending"));
    let confirm = format!("/api/v1/members/{carol}/confirm");
    let (s, v) = srv
        .post(
            &confirm,
            Some(&admin.token),
            json!({"fingerprint": kr2.fingerprint().to_hex()}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "fingerprint_mismatch")
    );
    let (s, v) = srv
        .post(
            &confirm,
            Some(&member.token),
            json!({"fingerprint": kr.fingerprint().to_hex()}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let (s, v) = srv
        .post(
            &confirm,
            Some(&admin.token),
            json!({"fingerprint": kr.fingerprint().to_hex()}),
        )
        .await;
    assert_eq!((s, v["status"].clone()), (StatusCode::OK, json!("active")));
    let (s, v) = srv
        .post(
            &confirm,
            Some(&admin.token),
            json!({"fingerprint": kr.fingerprint().to_hex()}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "not_pending"));
    let (s, v) = srv
        .post(
            &format!("/api/v1/members/{}/confirm", "ab".repeat(16)),
            Some(&admin.token),
            json!({"fingerprint": "00"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    srv.sign_in(&kr, &carol).await;

    // An expired invite.
    let (_, inv) = srv
        .post(
            "/api/v1/invites",
            Some(&admin.token),
            json!({"role": "member", "ttl_secs": 1}),
        )
        .await;
    srv.secret(inv["token"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (s, v) = srv
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": inv["token"], "public_keys": b64(&kr2.public().to_bytes())}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::GONE, "invite_expired"));

    // Members list (signed-in members only); roles changed by the owner only.
    let (s, v, _) = srv.call(Method::GET, "/api/v1/members", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, v) = srv.get("/api/v1/members", &member.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["members"].as_array().unwrap().len(), 4);
    let role = format!("/api/v1/members/{}/role", member.id);
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &role,
            Some(&admin.token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "owner_required"));
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &format!("/api/v1/members/{}/role", owner.id),
            Some(&owner.token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, "cannot_change_own_role")
    );
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &role,
            Some(&owner.token),
            Some(json!({"role": "king"})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_role")
    );
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &role,
            Some(&owner.token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!((s, v["role"].clone()), (StatusCode::OK, json!("admin")));
    let (s, v) = srv.get("/api/v1/members/me", &member.token).await;
    assert_eq!((s, v["role"].clone()), (StatusCode::OK, json!("admin")));
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vaults_sync_writes_grants_and_rotation() {
    let srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let alice = srv.add_member(&owner, "admin").await;
    let bob = srv.add_member(&owner, "member").await;

    // Create: refusals first.
    let mut open = OpenVault::create("Client A", &mut rng());
    open.add(entry("root"), &mut rng()).unwrap();
    let no_recovery = open.seal(&[*alice.kr.public()], None, &mut rng()).unwrap();
    let grants = json!([{"member_id": alice.id, "role": "manage"}]);
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": b64(&no_recovery.to_bytes()), "grants": grants}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "missing_recovery_grant")
    );
    let extra = open
        .seal(
            &[*alice.kr.public(), *bob.kr.public()],
            Some(recovery.public()),
            &mut rng(),
        )
        .unwrap();
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": b64(&extra.to_bytes()), "grants": grants}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unexpected_grant")
    );
    let sealed = open
        .seal(&[*alice.kr.public()], Some(recovery.public()), &mut rng())
        .unwrap();
    let (s, v) = srv.post("/api/v1/vaults", Some(&alice.token), json!({"snapshot": b64(&sealed.to_bytes()), "grants": [{"member_id": owner.id, "role": "manage"}]})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "creator_not_granted")
    );
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&bob.token),
            json!({"snapshot": b64(&sealed.to_bytes()), "grants": grants}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let mut broken = sealed.to_bytes();
    let n = broken.len();
    broken.truncate(n - 1);
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": b64(&broken), "grants": grants}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_snapshot")
    );
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": "%%%", "grants": grants}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_base64")
    );
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": b64(&sealed.to_bytes()), "grants": grants}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = srv
        .post(
            "/api/v1/vaults",
            Some(&alice.token),
            json!({"snapshot": b64(&sealed.to_bytes()), "grants": grants}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "vault_exists"));
    let vpath = format!("/api/v1/vaults/{}", open.id().to_hex());

    // Sync: the served snapshot is the uploaded one byte for byte, and opens; ETag gives 304.
    let (snap, version, bytes) = srv.fetch(&alice, &open.id()).await;
    assert_eq!(bytes, sealed.to_bytes());
    assert_eq!(version, 1);
    assert_eq!(snap.open(&alice.kr).unwrap().entries().len(), 1);
    let (s, _, h) = srv
        .call(Method::GET, &vpath, Some(&alice.token), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let etag = h[header::ETAG].to_str().unwrap().to_owned();
    let res = srv
        .http
        .get(format!("{}{vpath}", srv.url))
        .bearer_auth(&alice.token)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let (s, list, h) = srv
        .call(Method::GET, "/api/v1/vaults", Some(&alice.token), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["vaults"][0]["role"], json!("manage"));
    assert!(list["vaults"][0]["grant"].is_string());
    let list_tag = h[header::ETAG].to_str().unwrap().to_owned();
    let poll = |tag: String| {
        let srv = &srv;
        let t = alice.token.clone();
        async move {
            srv.http
                .get(format!("{}/api/v1/vaults", srv.url))
                .bearer_auth(t)
                .header(header::IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(poll(list_tag.clone()).await, StatusCode::NOT_MODIFIED);
    let (s, v) = srv.get(&vpath, &bob.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "not_granted"));
    let (s, v) = srv
        .get(&format!("/api/v1/vaults/{}", "cd".repeat(16)), &alice.token)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = srv.get("/api/v1/vaults/not-hex", &alice.token).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));

    // Writes: a stale base changes nothing; then a good one.
    let (s, v, _) = srv.add_entry(&alice, &open, &snap, 0, "stale").await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "version_conflict"));
    let (_, v2, _) = srv.fetch(&alice, &open.id()).await;
    assert_eq!(v2, 1, "a stale write changed nothing");
    let (s, v, e2) = srv.add_entry(&alice, &open, &snap, 1, "second").await;
    assert_eq!((s, v["version"].clone()), (StatusCode::OK, json!(2)), "{v}");
    assert_ne!(poll(list_tag).await, StatusCode::NOT_MODIFIED);
    let res = srv
        .http
        .get(format!("{}{vpath}", srv.url))
        .bearer_auth(&alice.token)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (snap, version, _) = srv.fetch(&alice, &open.id()).await;
    let opened = snap.open(&alice.kr).unwrap();
    assert_eq!(opened.entries().len(), 2);
    assert_eq!(opened.get(&e2).unwrap().label, "second");

    // Bad writes: entry of another epoch, empty, duplicate id, unknown delete, bad seal.
    let wrong_epoch = open
        .cipher()
        .seal_entry(
            &open.id(),
            &EntryId::generate(&mut rng()),
            9,
            &entry("x"),
            &mut rng(),
        )
        .unwrap();
    let seal = b64(&[0u8; 28]);
    let patch = |body: Value| {
        let srv = &srv;
        let vpath = vpath.clone();
        let t = alice.token.clone();
        async move { srv.call(Method::PATCH, &vpath, Some(&t), Some(body)).await }
    };
    let (s, v, _) = patch(json!({"base_version": version, "put_entries": [b64(&wrong_epoch.to_bytes())], "seal": seal})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "wrong_epoch")
    );
    let (s, v, _) = patch(json!({"base_version": version, "seal": seal})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "empty_write")
    );
    let (s, v, _) = patch(json!({"base_version": version, "delete_entries": [e2.to_hex(), e2.to_hex()], "seal": seal})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "duplicate_entry")
    );
    let (s, v, _) =
        patch(json!({"base_version": version, "delete_entries": ["ef".repeat(16)], "seal": seal}))
            .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "entry_not_found"));
    let (s, v, _) = patch(
        json!({"base_version": version, "delete_entries": [e2.to_hex()], "seal": b64(&[0; 5])}),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_seal")
    );
    let (s, v, _) =
        patch(json!({"base_version": version, "put_entries": [b64(b"TSEN junk")], "seal": seal}))
            .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry")
    );
    let (s, _, _) = patch(json!({"base_version": "one", "seal": seal})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, still, _) = srv.fetch(&alice, &open.id()).await;
    assert_eq!(still, version, "failed writes changed nothing");

    // Grants: bob gets `use`.
    let gpath = format!("{vpath}/grants");
    let (s, v) = srv.get(&gpath, &bob.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "not_granted"));
    let (s, v) = srv
        .get(
            &format!("/api/v1/vaults/{}/grants", "cd".repeat(16)),
            &owner.token,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (gbytes, all) = grant_for(&open, &snap, &bob.kr);
    let entries: Vec<Vec<u8>> = snap.entries().iter().map(|e| e.to_bytes()).collect();
    let seal = b64(&reseal(&open, &snap, &entries, Some(&all)));
    let (wrong_g, _) = grant_for(&open, &snap, &owner.kr);
    let (s, v) = srv.post(&gpath, Some(&alice.token), json!({"base_version": version, "member_id": bob.id, "role": "use", "grant": b64(&wrong_g), "seal": seal})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "wrong_recipient")
    );
    let (s, v) = srv.post(&gpath, Some(&alice.token), json!({"base_version": version, "member_id": bob.id, "role": "boss", "grant": b64(&gbytes), "seal": seal})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_role")
    );
    let (s, v) = srv.post(&gpath, Some(&alice.token), json!({"base_version": version, "member_id": bob.id, "role": "use", "grant": b64(&gbytes), "seal": seal})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let version = v["version"].as_i64().unwrap();
    let (s, v) = srv.post(&gpath, Some(&alice.token), json!({"base_version": version, "member_id": bob.id, "role": "use", "grant": b64(&gbytes), "seal": seal})).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "already_granted"));
    let (snap_b, version, _) = srv.fetch(&bob, &open.id()).await;
    assert_eq!(
        snap_b.open(&bob.kr).unwrap().entries().len(),
        2,
        "bob opens the vault with his grant"
    );
    let (s, v) = srv.get(&gpath, &bob.token).await;
    assert_eq!(
        (s, v["grants"].as_array().unwrap().len()),
        (StatusCode::OK, 2)
    );
    // `use` cannot write or grant.
    let (s, v, _) = srv.add_entry(&bob, &open, &snap_b, version, "by bob").await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "manage_required"));
    let bob_grant = format!("{gpath}/{}", bob.id);
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &bob_grant,
            Some(&bob.token),
            Some(json!({"role": "manage"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "manage_required"));
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &bob_grant,
            Some(&alice.token),
            Some(json!({"role": "manage"})),
        )
        .await;
    assert_eq!((s, v["role"].clone()), (StatusCode::OK, json!("manage")));
    let (s, v, _) = srv
        .call(
            Method::PUT,
            &format!("{gpath}/{}", owner.id),
            Some(&alice.token),
            Some(json!({"role": "use"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_granted"));

    // The owner, holding no grant, fetches for break-glass recovery: logged as recovery.use.
    let (s, v) = srv.get(&vpath, &owner.token).await;
    assert_eq!((s, v["role"].clone()), (StatusCode::OK, json!("recovery")));
    let sealed_now =
        tessera_core::vault::SealedVault::from_bytes(&unb64(v["snapshot"].as_str().unwrap()))
            .unwrap();
    assert_eq!(
        sealed_now
            .open_with_recovery(&recovery)
            .unwrap()
            .entries()
            .len(),
        2
    );
    let (_, ev) = srv
        .get("/api/v1/audit?action=recovery.use", &owner.token)
        .await;
    assert_eq!(ev["events"].as_array().unwrap().len(), 1);

    // Remove bob's grant: his next request is refused; the vault needs rotation.
    let (s, v, _) = srv
        .call(Method::DELETE, &bob_grant, Some(&alice.token), None)
        .await;
    assert_eq!(
        (s, v["rotation_required"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (s, v) = srv.get(&vpath, &bob.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "not_granted"));
    let (s, v, _) = srv
        .call(Method::DELETE, &bob_grant, Some(&alice.token), None)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_granted"));

    // Rotation: refusals, then the new epoch, granted to alice and the recovery key only.
    let (snap, version, _) = srv.fetch(&alice, &open.id()).await;
    let mut opened = snap.open(&alice.kr).unwrap();
    let rpath = format!("{vpath}/rotate");
    let same_epoch = opened
        .seal(&[*alice.kr.public()], Some(recovery.public()), &mut rng())
        .unwrap();
    let (s, v) = srv
        .post(
            &rpath,
            Some(&alice.token),
            json!({"base_version": version, "snapshot": b64(&same_epoch.to_bytes())}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "wrong_epoch")
    );
    opened.rotate(&mut rng()).unwrap();
    let with_bob = opened
        .seal(
            &[*alice.kr.public(), *bob.kr.public()],
            Some(recovery.public()),
            &mut rng(),
        )
        .unwrap();
    let (s, v) = srv
        .post(
            &rpath,
            Some(&alice.token),
            json!({"base_version": version, "snapshot": b64(&with_bob.to_bytes())}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unexpected_grant")
    );
    let mut fewer = opened.clone();
    fewer.remove(&e2).unwrap();
    let missing = fewer
        .seal(&[*alice.kr.public()], Some(recovery.public()), &mut rng())
        .unwrap();
    let (s, v) = srv
        .post(
            &rpath,
            Some(&alice.token),
            json!({"base_version": version, "snapshot": b64(&missing.to_bytes())}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "entries_mismatch")
    );
    let good = opened
        .seal(&[*alice.kr.public()], Some(recovery.public()), &mut rng())
        .unwrap();
    let (s, v) = srv
        .post(
            &rpath,
            Some(&alice.token),
            json!({"base_version": version - 1, "snapshot": b64(&good.to_bytes())}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "version_conflict"));
    let (s, v) = srv
        .post(
            &rpath,
            Some(&alice.token),
            json!({"base_version": version, "snapshot": b64(&good.to_bytes())}),
        )
        .await;
    assert_eq!((s, v["epoch"].clone()), (StatusCode::OK, json!(2)), "{v}");
    let (s, v) = srv.get(&vpath, &alice.token).await;
    assert_eq!(
        (s, v["rotation_required"].clone(), v["epoch"].clone()),
        (StatusCode::OK, json!(false), json!(2))
    );
    let (rot, _, bytes) = srv.fetch(&alice, &open.id()).await;
    assert_eq!(bytes, good.to_bytes());
    assert!(
        rot.open(&bob.kr).is_err(),
        "bob's old grant opens nothing of the new epoch"
    );
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revocation_is_effective_on_the_next_request() {
    let srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let admin = srv.add_member(&owner, "admin").await;
    let eve = srv.add_member(&owner, "member").await;
    let open = srv
        .create_vault(&admin, &[(&admin, "manage"), (&eve, "use")], &recovery, 3)
        .await;
    let other = srv
        .create_vault(&admin, &[(&admin, "manage")], &recovery, 1)
        .await;
    let (s, _) = fetch_status(&srv, &eve, &open.id()).await;
    assert_eq!(s, StatusCode::OK);

    let (s, v) = srv.revoke(&eve.token, &admin.id).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let (s, v) = srv.revoke(&admin.token, &admin.id).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "cannot_revoke_self"));
    let (s, v) = srv.revoke(&admin.token, &owner.id).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "owner_required"));
    let (s, rev) = srv.revoke(&admin.token, &eve.id).await;
    assert_eq!(s, StatusCode::OK, "{rev}");
    // What eve could read: one vault, its three entries.
    assert_eq!(rev["vaults"].as_array().unwrap().len(), 1);
    assert_eq!(rev["vaults"][0]["vault_id"], json!(open.id().to_hex()));
    let exposed: Vec<String> = open.entries().iter().map(|(id, _)| id.to_hex()).collect();
    assert_eq!(rev["vaults"][0]["entries"], json!(exposed));
    let items = rev["checklist"].as_array().unwrap();
    assert_eq!(items.len(), 4, "one rotation and three seeds to re-enrol");
    assert!(items.iter().all(|i| i["done"] == json!(false)));
    assert!(
        !items
            .iter()
            .any(|i| i["vault_id"] == json!(other.id().to_hex()))
    );

    // Her very next request is refused; so is signing in again.
    let (s, v) = srv
        .get(
            &format!("/api/v1/vaults/{}", open.id().to_hex()),
            &eve.token,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, v) = srv.get("/api/v1/vaults", &eve.token).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, v) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": eve.id}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "member_revoked"));
    let (s, v) = srv.revoke(&admin.token, &eve.id).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "already_revoked"));
    let (s, v) = srv.revoke(&admin.token, &"aa".repeat(16)).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));

    // The checklist is tracked: listed, fetched, an item marked done by an admin.
    let rid = rev["revocation_id"].as_str().unwrap();
    let (s, list) = srv.get("/api/v1/revocations", &admin.token).await;
    assert_eq!(
        (s, list["revocations"][0]["open_items"].clone()),
        (StatusCode::OK, json!(4))
    );
    let (s, v) = srv.get("/api/v1/revocations", &eve.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let seed_item = items
        .iter()
        .find(|i| i["kind"] == json!("reenroll_seed"))
        .unwrap();
    let done = format!(
        "/api/v1/revocations/{rid}/items/{}/done",
        seed_item["item_id"].as_str().unwrap()
    );
    let (s, v) = srv.post(&done, Some(&admin.token), json!({})).await;
    assert_eq!((s, v["done"].clone()), (StatusCode::OK, json!(true)));
    let (s, v) = srv
        .post(
            &format!("/api/v1/revocations/{rid}/items/{}/done", "00".repeat(16)),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = srv
        .get(
            &format!("/api/v1/revocations/{}", "00".repeat(16)),
            &admin.token,
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));

    // The vault is flagged; the rotation closes the rotation item.
    let (snap, version, _) = srv.fetch(&admin, &open.id()).await;
    let mut opened = snap.open(&admin.kr).unwrap();
    opened.rotate(&mut rng()).unwrap();
    let next = opened
        .seal(&[*admin.kr.public()], Some(recovery.public()), &mut rng())
        .unwrap();
    let (s, v) = srv
        .post(
            &format!("/api/v1/vaults/{}/rotate", open.id().to_hex()),
            Some(&admin.token),
            json!({"base_version": version, "snapshot": b64(&next.to_bytes())}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, r) = srv
        .get(&format!("/api/v1/revocations/{rid}"), &admin.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["open_items"], json!(2), "{r}");
    let rot = r["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == json!("rotate_vault"))
        .unwrap();
    assert_eq!(rot["done_by"], json!(admin.id));
    srv.assert_log_clean();
}

async fn fetch_status(srv: &Server, who: &Person, vault: &VaultId) -> (StatusCode, Value) {
    srv.get(&format!("/api/v1/vaults/{}", vault.to_hex()), &who.token)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_writers_lose_no_update() {
    const WRITERS: usize = 6;
    const EACH: usize = 5;
    let srv = std::sync::Arc::new(Server::start(&[]).await);
    let (owner, recovery) = srv.bootstrap().await;
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        writers.push(srv.add_member(&owner, "member").await);
    }
    let mut grants: Vec<(&Person, &str)> = writers.iter().map(|p| (p, "manage")).collect();
    grants.push((&owner, "manage"));
    let open = std::sync::Arc::new(srv.create_vault(&owner, &grants, &recovery, 0).await);
    let mut tasks = Vec::new();
    for w in writers {
        let srv = srv.clone();
        let open = open.clone();
        tasks.push(tokio::spawn(async move {
            let (mut mine, mut conflicts) = (Vec::new(), 0);
            while mine.len() < EACH {
                let (snap, version, _) = srv.fetch(&w, &open.id()).await;
                let (s, v, id) = srv.add_entry(&w, &open, &snap, version, "parallel").await;
                match s {
                    StatusCode::OK => mine.push(id),
                    StatusCode::CONFLICT => conflicts += 1,
                    other => panic!("{other}: {v}"),
                }
            }
            (mine, conflicts)
        }));
    }
    let mut all = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (ids, c) = t.await.unwrap();
        all.extend(ids);
        conflicts += c;
    }
    let (snap, version, _) = srv.fetch(&owner, &open.id()).await;
    let opened = snap
        .open(&owner.kr)
        .expect("the final seal covers the final state");
    assert_eq!(opened.entries().len(), WRITERS * EACH);
    for id in &all {
        assert!(opened.get(id).is_some(), "acknowledged entry {id} lost");
    }
    assert_eq!(version, 1 + (WRITERS * EACH) as i64);
    eprintln!(
        "parallel writers: {} writes acknowledged, {conflicts} stale attempts refused with 409",
        all.len()
    );
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_log_client_events_export_and_verify() {
    let srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let amy = srv.add_member(&owner, "member").await;
    let open = srv
        .create_vault(&owner, &[(&owner, "manage"), (&amy, "use")], &recovery, 2)
        .await;
    let other = srv
        .create_vault(&owner, &[(&owner, "manage")], &recovery, 1)
        .await;
    let (entry_id, _) = open.entries()[0].clone();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let event = |vault: VaultId, action, time_ms, host: &str| ClientEvent {
        action,
        vault_id: vault,
        entry_id,
        time_ms,
        nonce: {
            let mut n = [0u8; 16];
            getrandom::fill(&mut n).unwrap();
            n
        },
        host: host.into(),
    };
    let send = |kr: &Keyring, token: &str, ev: &ClientEvent| {
        let (bytes, sig) = ev.sign(kr).unwrap();
        srv.secret(&b64(&sig));
        let body = json!({"event": b64(&bytes), "signature": b64(&sig)});
        let t = token.to_owned();
        let srv = &srv;
        async move { srv.post("/api/v1/audit/events", Some(&t), body).await }
    };
    let fill = event(open.id(), ClientAction::Fill, now, "signin.aws.amazon.com");
    let (s, v) = send(&amy.kr, &amy.token, &fill).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = send(&amy.kr, &amy.token, &fill).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "event_replayed"));
    let (s, v) = send(
        &owner.kr,
        &amy.token,
        &event(open.id(), ClientAction::Copy, now, ""),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature"),
        "signed by another key"
    );
    let (s, v) = send(
        &amy.kr,
        &amy.token,
        &event(other.id(), ClientAction::Reveal, now, ""),
    )
    .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "not_granted"));
    let (s, v) = send(
        &amy.kr,
        &amy.token,
        &event(open.id(), ClientAction::Reveal, now + 3_600_000, ""),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "event_in_future")
    );
    let (s, v) = srv
        .post(
            "/api/v1/audit/events",
            Some(&amy.token),
            json!({"event": b64(b"junk"), "signature": b64(&[0; 64])}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event")
    );
    let (s, _) = send(
        &amy.kr,
        &amy.token,
        &event(open.id(), ClientAction::Copy, now - 86_400_000, ""),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "an event queued offline a day ago is accepted"
    );
    srv.fetch(&amy, &open.id()).await;

    // Filters.
    let (s, v) = srv.get("/api/v1/audit", &amy.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));
    let (_, v) = srv
        .get(
            &format!("/api/v1/audit?vault={}&action=code.", open.id().to_hex()),
            &owner.token,
        )
        .await;
    let evs = v["events"].as_array().unwrap();
    assert_eq!(evs.len(), 2);
    assert!(evs[0]["client"].is_object());
    assert_eq!(
        evs[0]["detail"].as_str().unwrap(),
        "{\"client_time_ms\":".to_owned()
            + &now.to_string()
            + ",\"host\":\"signin.aws.amazon.com\"}"
    );
    let (_, v) = srv
        .get(
            &format!("/api/v1/audit?member={}&action=vault.fetch", amy.id),
            &owner.token,
        )
        .await;
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    let (_, v) = srv
        .get(
            &format!("/api/v1/audit?since_ms={}", now + 3_600_000),
            &owner.token,
        )
        .await;
    assert_eq!(v["events"].as_array().unwrap().len(), 0);
    let (_, v) = srv
        .get(
            &format!("/api/v1/audit?until_ms={}&limit=2", now + 3_600_000),
            &owner.token,
        )
        .await;
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
    let after = v["next_after_seq"].as_i64().unwrap();
    let (_, v) = srv
        .get(
            &format!("/api/v1/audit?after_seq={after}&limit=1"),
            &owner.token,
        )
        .await;
    assert_eq!(v["events"][0]["seq"].as_i64().unwrap(), after + 1);
    let (s, v) = srv.get("/api/v1/audit?vault=zz", &owner.token).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id")
    );
    let (s, _) = srv.get("/api/v1/audit?bogus=1", &owner.token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Exports: the whole log and one vault's verify offline with the core.
    let text = |path: String| {
        let srv = &srv;
        let t = owner.token.clone();
        async move {
            let r = srv
                .http
                .get(format!("{}{path}", srv.url))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            (
                r.status(),
                r.headers()
                    .get(header::CONTENT_TYPE)
                    .map(|v| v.to_str().unwrap().to_owned()),
                r.text().await.unwrap(),
            )
        }
    };
    let (s, ct, jsonl) = text("/api/v1/audit/export?format=jsonl".into()).await;
    assert_eq!(
        (s, ct.as_deref()),
        (StatusCode::OK, Some("application/x-ndjson"))
    );
    let recs = parse_jsonl(&jsonl).unwrap();
    let sum = verify_chain(&recs, ChainScope::Log).unwrap();
    assert_eq!(sum.last_seq as usize, recs.len());
    let (_, _, vault_log) = text(format!("/api/v1/vaults/{}/audit", open.id().to_hex())).await;
    let vrecs = parse_jsonl(&vault_log).unwrap();
    assert!(vrecs.iter().all(|r| r.vault_id == Some(open.id())));
    verify_chain(&vrecs, ChainScope::Vault(open.id())).unwrap();
    let (s, ct, csv) = text("/api/v1/audit/export?format=csv&action=code.fill".into()).await;
    assert_eq!(
        (s, ct.as_deref()),
        (StatusCode::OK, Some("text/csv; charset=utf-8"))
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,time_ms,action"));
    assert_eq!(lines.len(), 2);
    assert!(lines[1].contains(",code.fill,") && lines[1].contains("signin.aws.amazon.com"));
    let (s, _, _) = text("/api/v1/audit/export?format=xml".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = srv
        .http
        .get(format!(
            "{}/api/v1/vaults/{}/audit",
            srv.url,
            open.id().to_hex()
        ))
        .bearer_auth(&amy.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "use role cannot export");

    // Verify endpoint, then tampering directly in the database.
    let verify = |q: &'static str| {
        let srv = &srv;
        let t = owner.token.clone();
        async move { srv.get(&format!("/api/v1/audit/verify{q}"), &t).await.1 }
    };
    assert_eq!(verify("").await["ok"], json!(true));
    let vq: &'static str = Box::leak(format!("?vault={}", open.id().to_hex()).into_boxed_str());
    assert_eq!(verify(vq).await["ok"], json!(true));
    let (s, v) = srv.get("/api/v1/audit/verify", &amy.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "admin_required"));

    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&srv.db_url).await.unwrap();
    let exec = |sql: String| {
        let db = db.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&db)
                .await
                .unwrap()
        }
    };
    // Altered.
    exec("UPDATE audit_events SET detail = '{\"host\":\"evil.example\"}' WHERE seq = 3".into())
        .await;
    let v = verify("").await;
    assert_eq!(
        (v["ok"].clone(), v["error"]["code"].clone()),
        (json!(false), json!("audit_hash_mismatch")),
        "{v}"
    );
    let original = &recs[2];
    sqlx::query("UPDATE audit_events SET detail = $1 WHERE seq = 3")
        .bind(original.detail.clone())
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(verify("").await["ok"], json!(true), "restored");
    // Removed (a middle record).
    exec("DELETE FROM audit_events WHERE seq = 4".into()).await;
    let v = verify("").await;
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["error"]["code"], json!("audit_bad_sequence"), "{v}");
    // Inserted: a well-formed record with a recomputed hash in the gap.
    let mut fake = recs[3].clone();
    fake.action = "entry.delete".into();
    fake.hash = fake.compute_hash().unwrap();
    assert!(fake.client.is_none());
    sqlx::query("INSERT INTO audit_events (seq, time_ms, action, actor, subject, vault_id, entry_id, detail, prev_hash, vault_prev_hash, hash) VALUES (4, $1, $2, $3, $9, $4, $10, $5, $6, $7, $8)")
        .bind(fake.time_ms as i64)
        .bind(fake.action.clone())
        .bind(fake.actor.map(|a| a.to_vec()))
        .bind(fake.vault_id.map(|v| v.0.to_vec()))
        .bind(fake.detail.clone())
        .bind(fake.prev_hash.to_vec())
        .bind(fake.vault_prev_hash.to_vec())
        .bind(fake.hash.to_vec())
        .bind(fake.subject.map(|a| a.to_vec()))
        .bind(fake.entry_id.map(|v| v.0.to_vec()))
        .execute(&db)
        .await
        .unwrap();
    let v = verify("").await;
    assert_eq!(
        (v["ok"].clone(), v["error"]["code"].clone()),
        (json!(false), json!("audit_broken_link")),
        "{v}"
    );
    exec("DELETE FROM audit_events WHERE seq = 4".into()).await;
    let r = &recs[3];
    sqlx::query("INSERT INTO audit_events (seq, time_ms, action, actor, subject, vault_id, entry_id, detail, client_event, client_signature, client_signer, prev_hash, vault_prev_hash, hash) VALUES (4, $1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, $8, $9, $10)")
        .bind(r.time_ms as i64)
        .bind(r.action.clone())
        .bind(r.actor.map(|a| a.to_vec()))
        .bind(r.subject.map(|a| a.to_vec()))
        .bind(r.vault_id.map(|v| v.0.to_vec()))
        .bind(r.entry_id.map(|v| v.0.to_vec()))
        .bind(r.detail.clone())
        .bind(r.prev_hash.to_vec())
        .bind(r.vault_prev_hash.to_vec())
        .bind(r.hash.to_vec())
        .execute(&db)
        .await
        .unwrap();
    assert!(r.client.is_none());
    assert_eq!(verify("").await["ok"], json!(true), "restored");
    // The newest record removed: caught by the stored head.
    let last = sqlx::query("SELECT MAX(seq) AS m FROM audit_events")
        .fetch_one(&db)
        .await
        .unwrap();
    let last: i64 = sqlx::Row::try_get(&last, "m").unwrap();
    exec(format!("DELETE FROM audit_events WHERE seq = {last}")).await;
    let v = verify("").await;
    assert_eq!(
        (v["ok"].clone(), v["error"]["code"].clone()),
        (json!(false), json!("audit_head_mismatch")),
        "{v}"
    );
    db.close().await;
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_limits_and_rate_limits() {
    let srv = Server::start(&["--max-body-bytes", "4096", "--rate-limit-per-minute", "4"]).await;
    let (owner, _) = srv.bootstrap().await;
    // Oversized body: 413 with a JSON error, nothing created.
    let big = json!({"role": "member", "label": "x".repeat(10_000)});
    let (s, v) = srv.post("/api/v1/invites", Some(&owner.token), big).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    // Unknown route, wrong method.
    let (s, v, _) = srv
        .call(Method::GET, "/api/v1/nothing", Some(&owner.token), None)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v, h) = srv.call(Method::PUT, "/api/v1/health", None, None).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    assert!(h.contains_key(header::ALLOW));
    // A label with control characters.
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&owner.token),
            json!({"role": "member", "label": "a\u{7}"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_label")
    );
    let (s, v) = srv
        .post(
            "/api/v1/invites",
            Some(&owner.token),
            json!({"role": "member", "extra": 1}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    // Rate limits: the bootstrap used 1 challenge and 1 session of 4 this minute.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (s, _, h) = srv
            .call(
                Method::POST,
                "/api/v1/auth/challenge",
                None,
                Some(json!({"member_id": "00".repeat(16)})),
            )
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                h[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    <= 61
            );
        }
        statuses.push(s.as_u16());
    }
    assert_eq!(
        statuses,
        vec![404, 404, 404, 429, 429],
        "limit 4 per minute, one already used"
    );
    let mut accepts = Vec::new();
    for _ in 0..5 {
        let (s, _) = srv
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": "tsi_nope", "public_keys": b64(&[0; 64])}),
            )
            .await;
        accepts.push(s.as_u16());
    }
    assert_eq!(accepts, vec![422, 422, 422, 422, 429]);
    srv.assert_log_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tls_with_rustls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("tessera-tls-{}", random_hex()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cpath, kpath) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cpath, cert.cert.pem()).unwrap();
    std::fs::write(&kpath, cert.signing_key.serialize_pem()).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let data = dir.join("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tessera-server"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            data.to_str().unwrap(),
            "--tls-cert",
            cpath.to_str().unwrap(),
            "--tls-key",
            kpath.to_str().unwrap(),
        ])
        .env_remove("TESSERA_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_backend_preconfigured(tls)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let mut ok = None;
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("https://localhost:{port}/api/v1/health"))
            .send()
            .await
        {
            ok = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let plain = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{port}/api/v1/health"))
        .send()
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ok, Some(StatusCode::OK));
    assert!(
        plain.map(|r| !r.status().is_success()).unwrap_or(true),
        "plain HTTP is not served on the TLS port"
    );
}
