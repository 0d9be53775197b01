//! Break-glass export: every vault's sealed snapshot in one JSON document, for opening offline
//! with the organisation recovery kit (`SealedVault::open_with_recovery`). Two ways to get it,
//! same document: `GET /api/v1/export` (owner, audited as `recovery.export`) and the offline
//! `tessera-server export`, which reads a database (or a backup of it) without a running server
//! and never writes to it.
//!
//! The document holds sealed envelopes only (FORMAT.md §9 snapshots): without the recovery kit
//! or a member's keyring it reveals no seed, exactly like the database it came from.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use tessera_core::grant::RecoveryPublicKey;

use crate::api::vaults::load_snapshot;
use crate::api::{b64, hex, id16};
use crate::error::{ApiError, ApiResult};
use crate::store::{Store, StoreError, now_ms};

/// The `format` field of the document.
pub const EXPORT_FORMAT: &str = "tessera-export-v1";

/// The first schema version with the `vaults.archived` column (an older backup exports every
/// vault as not archived).
const ARCHIVED_SINCE: i64 = 3;

/// The export document of the database behind `conn` (best read in one read transaction, so
/// the vaults are one consistent state), and the number of vaults in it.
pub async fn document(conn: &mut AnyConnection, schema_version: i64) -> ApiResult<(Value, usize)> {
    let rk: Vec<u8> = sqlx::query("SELECT recovery_public FROM org")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::conflict("not_set_up", "the organisation is not set up"))?
        .try_get("recovery_public")?;
    let rk = RecoveryPublicKey(rk.try_into().map_err(|_| ApiError::internal())?);
    let archived = if schema_version >= ARCHIVED_SINCE {
        "archived"
    } else {
        "0 AS archived"
    };
    let rows = sqlx::query(crate::store::dynamic(format!(
        "SELECT id, {archived} FROM vaults ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut vaults = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = id16(&r.try_get::<Vec<u8>, _>("id")?)?;
        let snap = load_snapshot(conn, &id)
            .await?
            .ok_or_else(ApiError::internal)?;
        vaults.push(json!({
            "vault_id": hex(&id),
            "epoch": snap.epoch,
            "version": snap.version,
            "archived": r.try_get::<i64, _>("archived")? != 0,
            "snapshot": b64(&snap.bytes),
        }));
    }
    let n = vaults.len();
    Ok((
        json!({
            "format": EXPORT_FORMAT,
            "exported_ms": now_ms(),
            "recovery_fingerprint": rk.fingerprint().to_hex(),
            "vaults": vaults,
        }),
        n,
    ))
}

/// `tessera-server export`: writes the export document of a database without a running server.
/// `Debug` hides the password of `--database-url`.
#[derive(Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["data_dir", "database_url"])))]
pub struct ExportArgs {
    /// A data directory (or a copy of one): reads DATA_DIR/tessera.db.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,

    /// `sqlite://PATH` (a database file or a backup of it) or `postgres://...`.
    #[arg(long)]
    pub database_url: Option<String>,

    /// Write the document here (atomically: a temporary file in the same directory, then a
    /// rename). Default: standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl std::fmt::Debug for ExportArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ExportArgs {
            data_dir,
            database_url,
            out,
        } = self;
        f.debug_struct("ExportArgs")
            .field("data_dir", data_dir)
            .field(
                "database_url",
                &database_url
                    .as_deref()
                    .map(crate::config::redact_database_url),
            )
            .field("out", out)
            .finish()
    }
}

/// Why an offline export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Read(String),
    #[error("writing {path}: {error}")]
    Write { path: String, error: std::io::Error },
}

/// Runs the offline export. Prints nothing but the document (to stdout without `--out`).
pub async fn run_offline(args: &ExportArgs) -> Result<(), ExportError> {
    let url = match (&args.database_url, &args.data_dir) {
        (Some(u), _) => u.clone(),
        (None, Some(d)) => format!("sqlite://{}", d.join("tessera.db").display()),
        (None, None) => return Err(ExportError::Read("--data-dir or --database-url".into())),
    };
    let (store, version) = Store::open_existing(&url).await?;
    let mut rtx = store.begin_read().await?;
    let (doc, _) = document(&mut rtx, version)
        .await
        .map_err(|e| ExportError::Read(format!("{}: {}", e.code, e.message)))?;
    rtx.commit().await?;
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| ExportError::Read(format!("encoding the document: {e}")))?;
    text.push('\n');
    match &args.out {
        Some(path) => write_atomic(path, text.as_bytes()).map_err(|error| ExportError::Write {
            path: path.display().to_string(),
            error,
        }),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|error| ExportError::Write {
                    path: "standard output".into(),
                    error,
                })
        }
    }
}

/// Writes `bytes` to a fresh temporary file next to `path` (mode 0600), syncs it, renames it
/// over `path` and syncs the directory: readers see the old file or the whole new one.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("--out names no file"))?;
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).map_err(|_| std::io::Error::other("randomness unavailable"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), hex(&rnd)));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `GET /api/v1/export`: the export document, for the owner only, logged as `recovery.export`
/// (the record commits before the document is sent).
pub(crate) async fn api_export(
    axum::extract::State(state): axum::extract::State<crate::api::AppState>,
    me: crate::api::Member,
) -> ApiResult<axum::Json<Value>> {
    if me.role != crate::api::OrgRole::Owner {
        return Err(ApiError::forbidden(
            "owner_required",
            "only the owner may export every vault",
        ));
    }
    let mut rtx = state.store.begin_read().await?;
    let version: i64 = sqlx::query("SELECT MAX(version) AS v FROM schema_migrations")
        .fetch_one(&mut *rtx)
        .await?
        .try_get("v")?;
    let (doc, n) = document(&mut rtx, version).await?;
    rtx.commit().await?;
    let mut tx = state.store.begin().await?;
    crate::audit_log::append(
        &mut tx,
        &state.store,
        crate::audit_log::Event::new("recovery.export")
            .actor(me.id)
            .detail(json!({"vaults": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(doc))
}
