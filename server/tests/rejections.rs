//! Bodies, paths and query strings the server cannot read are refused with the JSON error shape
//! and a message that never repeats a value of the request (a body holds tokens, signatures and
//! keys; serde's own messages quote what they could not read). Against a real `tessera-server`
//! process (see tests/common).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("")
}

/// A value no server text could contain by chance, remembered as a secret of `srv` so that
/// [`Server::assert_log_clean`] looks for it in the log too.
fn marker(srv: &Server, what: &str) -> String {
    let m = format!("tsu_{what}_MARKER_{}", random_hex());
    srv.secret(&m);
    m
}

/// Sends `body` and checks the refusal: `status`, `code`, no `marker` anywhere in the answer.
/// Returns the message.
async fn refused(
    srv: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
    marker: &str,
    want: (StatusCode, &str),
) -> String {
    let (s, v, _) = srv.call(method, path, token, Some(body)).await;
    assert_eq!((s, code(&v)), want, "{path}: {v}");
    let text = v.to_string();
    assert!(
        !text.contains(marker),
        "{path}: the answer repeats a value of the request: {text}"
    );
    message(&v).to_owned()
}

/// Sends `body` as raw text to `POST /setup` with `content_type`; checks that the answer is
/// JSON and does not repeat `marker`. Returns the status and the answer.
async fn refused_raw(
    srv: &Server,
    content_type: &str,
    body: String,
    marker: &str,
) -> (StatusCode, Value) {
    let res = srv
        .http
        .post(format!("{}/api/v1/setup", srv.url))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(marker),
        "the answer repeats a value of the request: {text}"
    );
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rejections_never_repeat_request_values() {
    let srv = Server::start(&[]).await;
    let invalid = (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let setup_token = srv.setup_token();
    let good_setup = json!({
        "setup_token": setup_token,
        "recovery_public_key": b64(&[7u8; 32]),
        "public_keys": b64(&[7u8; 64]),
    });

    // POST /setup: an unknown field named by the sender, a string where a string is not wanted.
    let m = marker(&srv, "setup");
    let mut body = good_setup.clone();
    body[m.as_str()] = json!("x");
    let msg = refused(&srv, Method::POST, "/api/v1/setup", None, body, &m, invalid).await;
    assert!(msg.starts_with("body: unknown field"), "{msg}");
    let mut body = good_setup.clone();
    body["label"] = json!([m]);
    let msg = refused(&srv, Method::POST, "/api/v1/setup", None, body, &m, invalid).await;
    assert_eq!(msg, "label: wrong type, expected a string");
    // The real setup token in a body that fails: not repeated either.
    let mut body = good_setup.clone();
    body["public_keys"] = json!(5);
    let msg = refused(
        &srv,
        Method::POST,
        "/api/v1/setup",
        None,
        body,
        &setup_token,
        invalid,
    )
    .await;
    assert_eq!(msg, "public_keys: wrong type, expected a string");
    // Not JSON: a string cut short.
    let malformed = (StatusCode::BAD_REQUEST, "malformed_json");
    let m = marker(&srv, "syntax");
    let body = format!("{{\"label\": \"{m}");
    let (s, v) = refused_raw(&srv, "application/json", body, &m).await;
    assert_eq!((s, code(&v)), malformed, "{v}");
    assert!(
        message(&v).starts_with("the body is not valid JSON (line 1, column "),
        "{v}"
    );
    // Trailing text after the document; a field given twice (refused, not last-one-wins).
    let m = marker(&srv, "trailing");
    let body = format!("{good_setup} \"{m}\"");
    let (s, v) = refused_raw(&srv, "application/json; charset=utf-8", body, &m).await;
    assert_eq!((s, code(&v)), malformed, "{v}");
    let m = marker(&srv, "twice");
    let body = format!("{{\"label\": \"{m}\", \"label\": \"{m}\"}}");
    let (s, v) = refused_raw(&srv, "application/json", body, &m).await;
    assert_eq!((s, code(&v)), invalid, "{v}");
    assert_eq!(message(&v), "body: duplicate field `label`");

    let (owner, _) = srv.bootstrap().await;

    // POST /invites/accept: the token field holding the wrong type, an unknown field.
    let m = marker(&srv, "accept");
    let msg = refused(
        &srv,
        Method::POST,
        "/api/v1/invites/accept",
        None,
        json!({"token": {"value": m}, "public_keys": b64(&[1u8; 64])}),
        &m,
        invalid,
    )
    .await;
    assert_eq!(msg, "token: wrong type, expected a string");
    let m = marker(&srv, "accept_field");
    refused(
        &srv,
        Method::POST,
        "/api/v1/invites/accept",
        None,
        json!({"token": "tsi_x", "public_keys": b64(&[1u8; 64]), m.clone(): true}),
        &m,
        invalid,
    )
    .await;

    // POST /auth/session: a signature that is not base64, a challenge id of the wrong type.
    let m = marker(&srv, "session");
    let (s, c) = srv
        .post(
            "/api/v1/auth/challenge",
            None,
            json!({"member_id": owner.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    refused(
        &srv,
        Method::POST,
        "/api/v1/auth/session",
        None,
        json!({"challenge_id": c["challenge_id"], "signature": format!("{m}!")}),
        &m,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_base64"),
    )
    .await;
    let m = marker(&srv, "session_id");
    let msg = refused(
        &srv,
        Method::POST,
        "/api/v1/auth/session",
        None,
        json!({"challenge_id": [m], "signature": "AAAA"}),
        &m,
        invalid,
    )
    .await;
    assert_eq!(msg, "challenge_id: wrong type, expected a string");

    // PATCH /vaults/{id}: a string where a number is expected (serde quotes it), a list item
    // of the wrong type; an archive flag that is a string; an unknown field in a nested object.
    let vault = "00".repeat(16);
    let m = marker(&srv, "patch");
    let msg = refused(
        &srv,
        Method::PATCH,
        &format!("/api/v1/vaults/{vault}"),
        Some(&owner.token),
        json!({"base_version": m, "seal": "AAAA"}),
        &m,
        invalid,
    )
    .await;
    assert_eq!(msg, "base_version: wrong type, expected i64");
    let m = marker(&srv, "patch_entries");
    let msg = refused(
        &srv,
        Method::PATCH,
        &format!("/api/v1/vaults/{vault}"),
        Some(&owner.token),
        json!({"base_version": 1, "seal": "AAAA", "put_entries": ["AAAA", 5, m]}),
        &m,
        invalid,
    )
    .await;
    assert_eq!(msg, "put_entries[1]: wrong type, expected a string");
    let m = marker(&srv, "archive");
    let msg = refused(
        &srv,
        Method::POST,
        &format!("/api/v1/vaults/{vault}/archive"),
        Some(&owner.token),
        json!({"archived": m}),
        &m,
        invalid,
    )
    .await;
    assert_eq!(msg, "archived: wrong type, expected a boolean");
    let m = marker(&srv, "create");
    let msg = refused(
        &srv,
        Method::POST,
        "/api/v1/vaults",
        Some(&owner.token),
        json!({"snapshot": "AAAA", "grants": [{"member_id": owner.id, "role": "use", m.clone(): 1}]}),
        &m,
        invalid,
    )
    .await;
    assert!(msg.starts_with("grants[0]: unknown field"), "{msg}");

    // Query strings: an unknown parameter named by the sender, a number that is not one.
    for (what, query, want) in [
        (
            "query_key",
            "{m}=1",
            "query string: unknown field, expected one of",
        ),
        (
            "query_value",
            "limit={m}",
            "limit: invalid digit found in string",
        ),
    ] {
        let m = marker(&srv, what);
        let path = format!("/api/v1/audit?{}", query.replace("{m}", &m));
        let (s, v, _) = srv.call(Method::GET, &path, Some(&owner.token), None).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{v}"
        );
        assert!(!v.to_string().contains(&m), "{v}");
        assert!(message(&v).starts_with(want), "{v}");
    }

    // A path segment that is not UTF-8. (Paths are logged, so this marker is not a secret:
    // no secret ever travels in a path.)
    let m = format!("PATHMARKER{}", random_hex());
    let (s, v, _) = srv
        .call(
            Method::GET,
            &format!("/api/v1/vaults/{m}%FF"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_path"),
        "{v}"
    );
    assert!(!v.to_string().contains(&m), "{v}");
    assert_eq!(message(&v), "vault_id: not valid UTF-8");

    // Every marker (and token and signature) stays out of the log.
    srv.assert_log_clean();
}
