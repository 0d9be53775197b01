//! The web console: static files from `--www-dir` for every GET or HEAD outside `/api/`.
//! `/` and `/invite` (the invite link is `ORIGIN/invite#TOKEN`; the fragment never reaches us)
//! serve `index.html`.
//!
//! A request path maps to a file only if, once percent-decoded, every segment is non-empty,
//! does not start with a dot (no `..`, no hidden files) and uses only `A-Z a-z 0-9 - _ . ~ @ +`;
//! the resolved file must then lie inside the canonical www dir (no symlink out). Anything else,
//! and every missing file, is the JSON 404. Every file carries a strict Content-Security-Policy
//! (the console runs wasm, hence `'wasm-unsafe-eval'`, and talks only to this origin).

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::error::ApiError;

/// The console's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
base-uri 'none'; form-action 'self'";

/// The router's fallback: static files when a www dir is configured, JSON 404 otherwise and
/// for every unknown `/api/` path.
pub(crate) async fn fallback(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let api = path == "/api" || path.starts_with("/api/");
    let Some(root) = state.settings.www_dir.as_deref().filter(|_| !api) else {
        return ApiError::not_found("not_found", "no such route").into_response();
    };
    if method != Method::GET && method != Method::HEAD {
        let mut res = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the console's files are read with GET or HEAD",
        )
        .into_response();
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    match read(root, path).await {
        Some((bytes, ty)) => file_response(bytes, ty),
        None => ApiError::not_found("not_found", "no such file").into_response(),
    }
}

/// The file behind a request path, with its content type; `None` for anything not servable.
async fn read(root: &Path, path: &str) -> Option<(Vec<u8>, &'static str)> {
    let rel = relative(path)?;
    let full = tokio::fs::canonicalize(root.join(&rel)).await.ok()?;
    if !full.starts_with(root) {
        return None;
    }
    if !tokio::fs::metadata(&full).await.ok()?.is_file() {
        return None;
    }
    let bytes = tokio::fs::read(&full).await.ok()?;
    Some((bytes, content_type(&rel)))
}

/// The relative file path a request path names, if it is a safe one.
pub fn relative(path: &str) -> Option<PathBuf> {
    let rel = match path {
        "/" | "/invite" | "/invite/" => "index.html",
        p => p.strip_prefix('/')?,
    };
    let decoded = percent_decode(rel)?;
    let mut out = PathBuf::new();
    for seg in decoded.split('/') {
        let ok = !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~@+".contains(&b));
        if !ok {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

/// `%XX` decoding; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = (*b.get(i + 1)? as char).to_digit(16)?;
            let lo = (*b.get(i + 2)? as char).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(rel: &Path) -> &'static str {
    match rel.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn file_response(bytes: Vec<u8>, ty: &'static str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // HTML always revalidated and never stored (it decides which scripts run); other files are
    // revalidated too, since their names carry no content hash.
    let cache = if ty.starts_with("text/html") {
        "no-store"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_paths_map_to_files() {
        assert_eq!(relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(relative("/invite"), Some(PathBuf::from("index.html")));
        assert_eq!(
            relative("/shared/team-client.js"),
            Some(PathBuf::from("shared/team-client.js"))
        );
        assert_eq!(relative("/a%20b"), None, "space is not in the charset");
        assert_eq!(relative("/app%2Ejs"), Some(PathBuf::from("app.js")));
        for bad in [
            "/..",
            "/../etc/passwd",
            "/a/../b",
            "/%2e%2e/x",
            "/%2E%2E%2Fx",
            "/a/%2e%2e%2f%2e%2e/etc/passwd",
            "//etc/passwd",
            "/a//b",
            "/.git/config",
            "/a/",
            "/%",
            "/%zz",
            "/%ff",
            "/a%00b",
            "/a%5cb",
            "/C:%5cwindows",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }
}
