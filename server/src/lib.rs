//! Tessera's team server. It stores members' public keys, sealed vaults and grants (the core's
//! v1 envelopes) and a hash-chained audit log; it never holds a vault key or a seed.
//!
//! Layout: [`config`] (flags), [`store`] and [`migrations`] (the data layer, SQLite or
//! PostgreSQL), [`api`] (routes and handlers), [`audit_log`] (appending to the chain),
//! [`error`] (JSON errors), [`www`] (the web console's static files), [`export`] (the
//! break-glass export, online and offline). docs/SERVER.md explains how to run it;
//! docs/openapi.yaml documents every route.

pub mod api;
pub mod audit_log;
pub mod config;
pub mod error;
pub mod export;
pub mod migrations;
pub mod store;
pub mod www;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware;

use crate::api::{AppState, Settings};
use crate::config::Config;
use crate::store::{Store, now_ms, token_hash};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("setup token file {path}: {error}")]
    SetupToken { path: String, error: std::io::Error },
    #[error("TLS certificate or key: {0}")]
    Tls(std::io::Error),
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("--www-dir {path}: {error}")]
    WwwDir { path: String, error: std::io::Error },
    #[error("randomness unavailable")]
    Random,
}

/// The file, in the data dir, holding the one-time setup token until the owner registers.
pub const SETUP_TOKEN_FILE: &str = "setup-token";

/// Until the organisation is set up, makes sure a setup token exists and that its plaintext is
/// in `DATA_DIR/setup-token` (mode 0600). The token is never logged; only the file's path is.
async fn ensure_setup_token(store: &Store, config: &Config) -> Result<(), StartError> {
    let set_up = sqlx::query("SELECT id FROM org")
        .fetch_optional(store.reader())
        .await?
        .is_some();
    let path = config.data_dir.join(SETUP_TOKEN_FILE);
    let path_s = path.display().to_string();
    if set_up {
        if path.exists() {
            let _ = std::fs::remove_file(&path);
        }
        return Ok(());
    }
    if !path.exists() {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|_| StartError::Random)?;
        let token = format!("tsu_{}", data_encoding::BASE64URL_NOPAD.encode(&raw));
        let mut tx = store.begin().await?;
        sqlx::query(
            "INSERT INTO setup_token (id, token_hash, created_ms) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, created_ms = excluded.created_ms",
        )
        .bind(token_hash(&token))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        write_private(&path, &format!("{token}\n")).map_err(|error| StartError::SetupToken {
            path: path_s.clone(),
            error,
        })?;
        tx.commit().await?;
    }
    tracing::warn!(
        file = %path_s,
        "organisation not set up: register the owner with the one-time setup token in this file (POST /api/v1/setup)"
    );
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Deletes expired challenges, sessions and rate-limit windows once a minute. Every instance
/// may run it; the deletes are idempotent.
fn spawn_cleanup(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = now_ms();
            for (sql, cutoff) in [
                (
                    "DELETE FROM challenges WHERE expires_ms < $1",
                    now - 3_600_000,
                ),
                ("DELETE FROM sessions WHERE expires_ms < $1", now),
                (
                    "DELETE FROM rate_limits WHERE window_start < $1",
                    now - 120_000,
                ),
            ] {
                if let Err(e) = sqlx::query(sql).bind(cutoff).execute(store.writer()).await {
                    tracing::warn!(error = %e, "cleanup failed");
                }
            }
        }
    });
}

/// Logs method, path, status and time of every request. Never headers, bodies or query strings
/// (tokens travel in headers and bodies only).
async fn log_requests(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let t0 = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::info!(%method, %path, status = res.status().as_u16(), ms = t0.elapsed().as_millis() as u64, "request");
    res
}

/// The canonical path of the console directory (the base every served file must lie under).
fn www_root(dir: &std::path::Path) -> Result<std::path::PathBuf, StartError> {
    let err = |error| StartError::WwwDir {
        path: dir.display().to_string(),
        error,
    };
    let root = std::fs::canonicalize(dir).map_err(err)?;
    if !root.is_dir() {
        return Err(err(std::io::Error::other("not a directory")));
    }
    Ok(root)
}

/// Opens the database (running migrations), then serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let www_dir = match &config.www_dir {
        Some(dir) => Some(www_root(dir)?),
        None => None,
    };
    let url = config.database_url();
    let store = Store::open(&url, config.db_connections).await?;
    tracing::info!(backend = ?store.dialect, "database ready");
    ensure_setup_token(&store, &config).await?;
    match &www_dir {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web console"),
        None => tracing::info!("no --www-dir: serving the API only"),
    }
    let settings = Settings {
        www_dir,
        public_url: config.public_url(),
        session_ttl_ms: i64::try_from(config.session_ttl_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX),
        challenge_ttl_ms: i64::try_from(config.challenge_ttl_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX),
        rate_limit_per_minute: config.rate_limit_per_minute,
        trust_forwarded_for: config.trust_forwarded_for,
    };
    spawn_cleanup(store.clone());
    let app = api::router(AppState {
        store,
        settings: Arc::new(settings),
    })
    .layer(middleware::from_fn(error::json_errors))
    .layer(DefaultBodyLimit::max(config.max_body_bytes))
    .layer(middleware::from_fn(log_requests));
    let make = app.into_make_service_with_connect_info::<SocketAddr>();

    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(StartError::Tls)?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                h.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            tracing::info!(addr = %config.listen, public_url = %config.public_url(), "listening (TLS)");
            axum_server::bind_rustls(config.listen, tls)
                .handle(handle)
                .serve(make)
                .await
                .map_err(|error| StartError::Listen {
                    addr: config.listen,
                    error,
                })
        }
        _ => {
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|error| StartError::Listen {
                    addr: config.listen,
                    error,
                })?;
            let addr = listener.local_addr().unwrap_or(config.listen);
            tracing::info!(%addr, public_url = %config.public_url(), "listening");
            axum::serve(listener, make)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(|error| StartError::Listen { addr, error })
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}
