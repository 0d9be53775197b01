//! The web console's static files (`--www-dir`), against a real `tessera-server` process:
//! content types, security headers, `/` and `/invite`, JSON 404s, and no way out of the
//! directory (raw HTTP requests, so no client normalizes `..` away first).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const OUTSIDE: &str = "OUTSIDE-THE-WWW-DIR";

/// A temp dir holding `www/` (the console) and, beside it, a file that must never be served.
fn console_dir() -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("tessera-www-test-{}", random_hex()));
    let www = base.join("www");
    std::fs::create_dir_all(www.join("shared")).unwrap();
    std::fs::write(base.join("secret.txt"), OUTSIDE).unwrap();
    for (name, body) in [
        ("index.html", "<!doctype html><title>console</title>"),
        ("app.js", "export const app = 1;"),
        ("mod.mjs", "export default 2;"),
        ("style.css", "body{}"),
        ("pkg.wasm", "\0asm"),
        ("icon.svg", "<svg/>"),
        ("logo.png", "png"),
        ("data.json", "{}"),
        ("favicon.ico", "ico"),
        ("notes.bin", "bin"),
        ("shared/team-client.js", "export class TeamClient {}"),
        (".hidden", OUTSIDE),
    ] {
        std::fs::write(www.join(name), body).unwrap();
    }
    std::os::unix::fs::symlink(base.join("secret.txt"), www.join("link.txt")).unwrap();
    (base, www)
}

/// One raw HTTP/1.1 request; returns the status code and the whole response text.
async fn raw(srv: &Server, method: &str, target: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", srv.port))
        .await
        .unwrap();
    let req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

async fn get(srv: &Server, path: &str) -> reqwest::Response {
    srv.http
        .get(format!("{}{path}", srv.url))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serves_the_console_with_types_and_headers() {
    let (base, www) = console_dir();
    let srv = Server::start(&["--www-dir", www.to_str().unwrap()]).await;
    for (path, ty, body) in [
        (
            "/",
            "text/html; charset=utf-8",
            "<!doctype html><title>console</title>",
        ),
        (
            "/invite",
            "text/html; charset=utf-8",
            "<!doctype html><title>console</title>",
        ),
        (
            "/index.html",
            "text/html; charset=utf-8",
            "<!doctype html><title>console</title>",
        ),
        (
            "/app.js",
            "text/javascript; charset=utf-8",
            "export const app = 1;",
        ),
        (
            "/mod.mjs",
            "text/javascript; charset=utf-8",
            "export default 2;",
        ),
        ("/style.css", "text/css; charset=utf-8", "body{}"),
        ("/pkg.wasm", "application/wasm", "\0asm"),
        ("/icon.svg", "image/svg+xml", "<svg/>"),
        ("/logo.png", "image/png", "png"),
        ("/data.json", "application/json", "{}"),
        ("/favicon.ico", "image/x-icon", "ico"),
        ("/notes.bin", "application/octet-stream", "bin"),
        (
            "/shared/team-client.js",
            "text/javascript; charset=utf-8",
            "export class TeamClient {}",
        ),
        (
            "/shared/team%2Dclient.js",
            "text/javascript; charset=utf-8",
            "export class TeamClient {}",
        ),
    ] {
        let res = get(&srv, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], ty, "{path}");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{path}");
        let cache = if ty.starts_with("text/html") {
            "no-store"
        } else {
            "no-cache"
        };
        assert_eq!(h[header::CACHE_CONTROL], cache, "{path}");
        assert_eq!(res.text().await.unwrap(), body, "{path}");
    }
    // HEAD: the headers without the body.
    let res = srv
        .http
        .head(format!("{}/app.js", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert!(res.bytes().await.unwrap().is_empty());

    // Missing files, hidden files, a symlink out, unknown API routes, other methods: JSON errors.
    for path in [
        "/nope.js",
        "/shared",
        "/shared/",
        "/.hidden",
        "/link.txt",
        "/api/v1/nope",
        "/api",
        "/api/",
    ] {
        let (s, v, _) = srv.call(Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["error"]["code"], "not_found", "{path}");
    }
    let (s, v, h) = srv.call(Method::POST, "/index.html", None, None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"]["code"], "method_not_allowed");
    assert_eq!(h[header::ALLOW], "GET, HEAD");
    // The API is unchanged.
    let (s, v, _) = srv.call(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(
        (s, v["status"].clone()),
        (StatusCode::OK, Value::from("ok"))
    );

    // Traversal, sent raw: plain, encoded, mixed, absolute, backslashes. Never the outside file.
    for target in [
        "/../secret.txt",
        "/shared/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/shared/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/.%2e/secret.txt",
        "//etc/passwd",
        &format!("/{}", base.join("secret.txt").display()),
        &format!("/%2F{}", base.join("secret.txt").display()),
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/shared/%00",
        "/%",
        &format!("http://127.0.0.1:{}/../secret.txt", srv.port),
    ] {
        let (status, text) = raw(&srv, "GET", target).await;
        assert!(!text.contains(OUTSIDE), "{target} leaked the outside file");
        assert!(status == 404 || status == 400, "{target}: {status} {text}");
    }
    let (status, text) = raw(&srv, "GET", "/shared/team-client.js").await;
    assert_eq!(status, 200, "the raw client works: {text}");
    let _ = std::fs::remove_dir_all(&base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_www_dir_only_the_api_is_served() {
    let srv = Server::start(&[]).await;
    for path in ["/", "/invite", "/index.html"] {
        let (s, v, _) = srv.call(Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["error"]["code"], "not_found", "{path}");
    }
    // A --www-dir that does not exist stops the server at start, with the reason.
    let missing = std::env::temp_dir().join(format!("tessera-www-missing-{}", random_hex()));
    let data = std::env::temp_dir().join(format!("tessera-www-data-{}", random_hex()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--www-dir")
        .arg(&missing)
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--www-dir"));
    let _ = std::fs::remove_dir_all(&data);
}
