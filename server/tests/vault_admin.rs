//! Archiving vaults, the break-glass export (API and offline subcommand) and the errors a
//! revoked member's client acts on, against a real `tessera-server` process (see tests/common).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tessera_core::grant::RecoveryKey;
use tessera_core::vault::SealedVault;

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn list_item<'a>(v: &'a Value, vault: &str) -> &'a Value {
    v["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vault_id"] == json!(vault))
        .expect("vault listed")
}

async fn audit_count(srv: &Server, token: &str, action: &str) -> usize {
    let (s, v) = srv
        .get(&format!("/api/v1/audit?action={action}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["events"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn archive_flag_syncs_and_is_audited() {
    let srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let admin = srv.add_member(&owner, "admin").await;
    let bob = srv.add_member(&owner, "member").await;
    let carol = srv.add_member(&owner, "member").await;
    let dave = srv.add_member(&owner, "member").await;
    let open = srv
        .create_vault(
            &admin,
            &[(&admin, "manage"), (&bob, "manage"), (&carol, "use")],
            &recovery,
            2,
        )
        .await;
    let vid = open.id().to_hex();
    let apath = format!("/api/v1/vaults/{vid}/archive");

    let (s, list, h) = srv
        .call(Method::GET, "/api/v1/vaults", Some(&carol.token), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list_item(&list, &vid)["archived"], json!(false));
    let list_tag = h[header::ETAG].to_str().unwrap().to_owned();
    let (_, one, h) = srv
        .call(
            Method::GET,
            &format!("/api/v1/vaults/{vid}"),
            Some(&carol.token),
            None,
        )
        .await;
    assert_eq!(one["archived"], json!(false));
    let version = one["version"].as_i64().unwrap();
    let vault_tag = h[header::ETAG].to_str().unwrap().to_owned();

    let (s, _, _) = srv
        .call_with_etag("/api/v1/vaults", &carol.token, &list_tag)
        .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    let (s, _, _) = srv
        .call_with_etag(&format!("/api/v1/vaults/{vid}"), &carol.token, &vault_tag)
        .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);

    // Who may not, and bad input.
    let (s, v) = srv
        .post(&apath, Some(&carol.token), json!({"archived": true}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "manage_required"));
    let (s, v) = srv
        .post(&apath, Some(&dave.token), json!({"archived": true}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "not_granted"));
    let (s, v) = srv
        .post(&apath, Some(&bob.token), json!({"archived": "yes"}))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let (s, v) = srv.post(&apath, Some(&bob.token), json!({})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let (s, v) = srv
        .post(
            &format!("/api/v1/vaults/{}/archive", "ab".repeat(16)),
            Some(&admin.token),
            json!({"archived": true}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = srv.post(&apath, None, json!({"archived": true})).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(audit_count(&srv, &owner.token, "vault.archive").await, 0);

    // A manager archives: the version stays, the ETags change, the flag syncs to every member.
    let (s, v) = srv
        .post(&apath, Some(&bob.token), json!({"archived": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"vault_id": vid, "archived": true, "version": version})
    );
    let (s, list, _) = srv
        .call_with_etag("/api/v1/vaults", &carol.token, &list_tag)
        .await;
    assert_eq!(s, StatusCode::OK, "the list changed, no 304");
    assert_eq!(list_item(&list, &vid)["archived"], json!(true));
    let (s, one, _) = srv
        .call_with_etag(&format!("/api/v1/vaults/{vid}"), &carol.token, &vault_tag)
        .await;
    assert_eq!(s, StatusCode::OK, "the vault changed, no 304");
    assert_eq!(one["archived"], json!(true));
    assert_eq!(one["version"], json!(version));
    // Still a vault like any other: it opens and takes writes.
    let sealed = SealedVault::from_bytes(&unb64(one["snapshot"].as_str().unwrap())).unwrap();
    assert_eq!(sealed.open(&carol.kr).unwrap().entries().len(), 2);
    let (base, base_version, _) = srv.fetch(&bob, &open.id()).await;
    let (s, v, _) = srv
        .add_entry(&bob, &open, &base, base_version, "after archive")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(audit_count(&srv, &owner.token, "vault.archive").await, 1);

    // The owner, without a grant, unarchives; doing it twice changes and logs nothing more.
    for _ in 0..2 {
        let (s, v) = srv
            .post(&apath, Some(&owner.token), json!({"archived": false}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["archived"], json!(false));
        assert_eq!(v["version"], json!(version + 1));
    }
    assert_eq!(audit_count(&srv, &owner.token, "vault.unarchive").await, 1);
    let (_, list) = srv.get("/api/v1/vaults", &carol.token).await;
    assert_eq!(list_item(&list, &vid)["archived"], json!(false));
    let (s, v) = srv.get("/api/v1/audit/verify", &owner.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    srv.assert_log_clean();
}

/// Every vault of the document parses and opens with the recovery key; returns vault id ->
/// (version, archived, entry count).
fn check_export(doc: &Value, recovery: &RecoveryKey) -> Vec<(String, i64, bool, usize)> {
    assert_eq!(doc["format"], json!("tessera-export-v1"));
    assert!(doc["exported_ms"].as_i64().unwrap() > 0);
    assert_eq!(
        doc["recovery_fingerprint"],
        json!(recovery.public().fingerprint().to_hex())
    );
    let mut out = Vec::new();
    for v in doc["vaults"].as_array().unwrap() {
        let sealed = SealedVault::from_bytes(&unb64(v["snapshot"].as_str().unwrap())).unwrap();
        assert_eq!(json!(sealed.vault_id().to_hex()), v["vault_id"]);
        assert_eq!(json!(sealed.epoch()), v["epoch"]);
        let opened = sealed.open_with_recovery(recovery).unwrap();
        out.push((
            v["vault_id"].as_str().unwrap().to_owned(),
            v["version"].as_i64().unwrap(),
            v["archived"].as_bool().unwrap(),
            opened.entries().len(),
        ));
    }
    out
}

fn export_cmd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tessera-server"))
        .arg("export")
        .args(args)
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_DATA_DIR")
        .output()
        .unwrap()
}

fn copy_sqlite(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn break_glass_export_online_and_offline() {
    let mut srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let admin = srv.add_member(&owner, "admin").await;
    let a = srv
        .create_vault(&admin, &[(&admin, "manage")], &recovery, 3)
        .await;
    let b = srv
        .create_vault(&admin, &[(&admin, "manage")], &recovery, 1)
        .await;
    let (s, v) = srv
        .post(
            &format!("/api/v1/vaults/{}/archive", b.id().to_hex()),
            Some(&admin.token),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Owner only, audited.
    let (s, v) = srv.get("/api/v1/export", &admin.token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "owner_required"));
    let (s, v, _) = srv.call(Method::GET, "/api/v1/export", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(audit_count(&srv, &owner.token, "recovery.export").await, 0);
    let (s, online) = srv.get("/api/v1/export", &owner.token).await;
    assert_eq!(s, StatusCode::OK, "{online}");
    let mut want = vec![
        (a.id().to_hex(), 1, false, 3),
        (b.id().to_hex(), 1, true, 1),
    ];
    want.sort();
    assert_eq!(check_export(&online, &recovery), want);
    assert_eq!(audit_count(&srv, &owner.token, "recovery.export").await, 1);
    srv.assert_log_clean();

    // Offline, from a copy of the database taken after the server died (SQLite), or from the
    // database itself (PostgreSQL); the same document but for its time.
    let copy = std::env::temp_dir().join(format!("tessera-export-test-{}", random_hex()));
    let source: Vec<String> = if pg_url().is_some() {
        vec!["--database-url".into(), srv.db_url.clone()]
    } else {
        srv.kill9();
        copy_sqlite(&srv.data_dir, &copy);
        vec!["--data-dir".into(), copy.display().to_string()]
    };
    let source: Vec<&str> = source.iter().map(String::as_str).collect();
    let out = export_cmd(&source);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check_export(&offline, &recovery), want);
    offline["exported_ms"] = online["exported_ms"].clone();
    assert_eq!(offline, online);

    // --out: written whole, no temporary file left behind; replaced atomically on a rerun.
    let out_dir = std::env::temp_dir().join(format!("tessera-export-out-{}", random_hex()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let file = out_dir.join("export.json");
    std::fs::write(&file, "old").unwrap();
    let mut args = source.clone();
    let file_s = file.display().to_string();
    args.extend(["--out", &file_s]);
    let out = export_cmd(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(check_export(&written, &recovery), want);
    let names: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("export.json")]);

    // --database-url to a SQLite file; a database the export does not know is refused.
    if pg_url().is_none() {
        let url = format!("sqlite://{}", copy.join("tessera.db").display());
        let out = export_cmd(&["--database-url", &url]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(check_export(&doc, &recovery), want);

        // A backup from before the archive flag (schema 2) is read as it is: nothing archived.
        let old = copy.with_extension("schema2");
        copy_sqlite(&copy, &old);
        {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let old_url = format!("sqlite://{}", old.join("tessera.db").display());
            let mut conn = sqlx::AnyConnection::connect(&old_url).await.unwrap();
            for sql in [
                "DELETE FROM schema_migrations WHERE version = 3",
                "ALTER TABLE vaults DROP COLUMN archived",
            ] {
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
            conn.close().await.unwrap();
        }
        let out = export_cmd(&["--data-dir", old.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let unarchived: Vec<_> = want
            .iter()
            .map(|(id, v, _, n)| (id.clone(), *v, false, *n))
            .collect();
        assert_eq!(check_export(&doc, &recovery), unarchived);
        let _ = std::fs::remove_dir_all(&old);

        // A schema newer than the binary: refused, with nothing written to --out.
        {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (99, 'future', 0)",
            )
            .execute(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
        }
        let never = out_dir.join("never.json");
        let never_s = never.display().to_string();
        let out = export_cmd(&["--database-url", &url, "--out", &never_s]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("newer than this server knows"), "{err}");
        assert!(!never.exists());

        let out = export_cmd(&["--data-dir", out_dir.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no database file"));
        let out = export_cmd(&[]);
        assert!(!out.status.success(), "a source is required");
    }
    let _ = std::fs::remove_dir_all(&copy);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_member_gets_stable_codes() {
    let srv = Server::start(&[]).await;
    let (owner, recovery) = srv.bootstrap().await;
    let eve = srv.add_member(&owner, "member").await;
    let open = srv
        .create_vault(
            &owner,
            &[(&owner, "manage"), (&eve, "manage")],
            &recovery,
            1,
        )
        .await;
    // A challenge eve obtained before the revocation cannot be turned into a session after it.
    let (s, pending) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": eve.id}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = srv.revoke(&owner.token, &eve.id).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Every call with the session the revocation deleted: 401 unauthenticated, WWW-Authenticate.
    let vid = open.id().to_hex();
    for (method, path, body) in [
        (Method::GET, "/api/v1/members/me".to_owned(), None),
        (Method::GET, "/api/v1/vaults".to_owned(), None),
        (Method::GET, format!("/api/v1/vaults/{vid}"), None),
        (
            Method::POST,
            format!("/api/v1/vaults/{vid}/archive"),
            Some(json!({"archived": true})),
        ),
        (Method::DELETE, "/api/v1/auth/session".to_owned(), None),
    ] {
        let (s, v, h) = srv.call(method, &path, Some(&eve.token), body).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            "{path}"
        );
        assert_eq!(h[header::WWW_AUTHENTICATE], "Bearer");
    }
    // Signing in again: 403 member_revoked at the challenge, and at the session exchange.
    let (s, v) = srv
        .post("/api/v1/auth/challenge", None, json!({"member_id": eve.id}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "member_revoked"));
    let sig = sign_challenge(&eve.kr, &pending);
    srv.secret(&sig);
    let (s, v) = srv
        .post(
            "/api/v1/auth/session",
            None,
            json!({"challenge_id": pending["challenge_id"], "signature": sig}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "member_revoked"));

    // A signed-out session gets the same 401 as a deleted one.
    let (s, _, _) = srv
        .call(
            Method::DELETE,
            "/api/v1/auth/session",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = srv.get("/api/v1/members/me", &owner.token).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    srv.assert_log_clean();
}
