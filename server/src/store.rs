//! The data layer: one SQL schema and one set of queries over two real backends, SQLite (the
//! embedded default) and PostgreSQL, through sqlx's `Any` driver. The few differences between
//! the two are in [`Dialect`]; the same integration suite runs against both.
//!
//! **SQLite**: one file in the data dir, WAL journal, `synchronous = FULL` (a commit is on disk
//! before the server answers, even across a power cut; NORMAL would only survive a process
//! crash), `foreign_keys = ON`. Writes go through a pool of one connection, so write
//! transactions are serialized inside the process and never fail with SQLITE_BUSY; reads use
//! their own pool and see the last committed state (WAL). One server process per file.
//!
//! **PostgreSQL**: one pool; several stateless instances may share the database. Writes to a
//! vault are serialized by its row (the conditional `UPDATE ... WHERE version = $n` that
//! implements optimistic concurrency), and appends to the audit log by the log head row, locked
//! `FOR UPDATE`. Everything an instance needs (sessions, challenges, invites, rate-limit counters)
//! is in the database.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::migrations::MIGRATIONS;

/// Which SQL dialect the database speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row lock suffix for a `SELECT` inside a write transaction. SQLite needs none: its writes
    /// are already serialized by the single writer connection.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// A schema statement written with SQLite's type names, in this dialect.
    fn ddl(self, sql: &str) -> String {
        match self {
            Dialect::Sqlite => sql.to_owned(),
            Dialect::Postgres => sql.replace("BLOB", "BYTEA"),
        }
    }
}

/// Failure to open or migrate the database at start.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("cannot create the data directory: {0}")]
    DataDir(std::io::Error),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the database schema is version {found}, newer than this server knows ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("no database file at {0}")]
    NoDatabase(String),
    #[error("not a Tessera database (no schema version)")]
    NotTessera,
}

#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    pub dialect: Dialect,
}

pub type Tx = Transaction<'static, Any>;

impl Store {
    /// Connects, applies the pragmas (SQLite) and runs pending migrations.
    pub async fn open(url: &str, connections: u32) -> Result<Store, StoreError> {
        install_default_drivers();
        let store = if let Some(path) = sqlite_path(url)? {
            if let Some(dir) = Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(StoreError::DataDir)?;
            }
            let url = format!("sqlite://{path}?mode=rwc");
            let pool = |n: u32| {
                pool_options(n).min_connections(1).after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        Ok(())
                    })
                })
            };
            let write = pool(1).connect(&url).await?;
            let read = pool(connections.max(1)).connect(&url).await?;
            Store {
                read,
                write,
                dialect: Dialect::Sqlite,
            }
        } else {
            let pool = pool_options(connections.max(2)).connect(url).await?;
            Store::one_pool(pool, Dialect::Postgres)
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing database read-only, without migrating it (the offline export reads a
    /// live database or a backup of it and must not change it). Returns the store and its schema
    /// version; a schema newer than this binary is refused, an older one is read as it is.
    pub async fn open_existing(url: &str) -> Result<(Store, i64), StoreError> {
        install_default_drivers();
        let store = if let Some(path) = sqlite_path(url)? {
            if !Path::new(path).is_file() {
                return Err(StoreError::NoDatabase(path.to_owned()));
            }
            let pool = pool_options(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA query_only = ON").await?;
                        Ok(())
                    })
                })
                .connect(&format!("sqlite://{path}?mode=ro"))
                .await?;
            Store::one_pool(pool, Dialect::Sqlite)
        } else {
            let pool = pool_options(2)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("SET default_transaction_read_only = on")
                            .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            Store::one_pool(pool, Dialect::Postgres)
        };
        let version: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                .fetch_one(store.reader())
                .await
                .map_err(|_| StoreError::NotTessera)?
                .try_get("v")?;
        check_known(version)?;
        if version == 0 {
            return Err(StoreError::NotTessera);
        }
        Ok((store, version))
    }

    /// A store whose reads and writes share one pool.
    fn one_pool(pool: AnyPool, dialect: Dialect) -> Store {
        Store {
            read: pool.clone(),
            write: pool,
            dialect,
        }
    }

    /// The pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for single-statement writes outside a transaction (rate-limit counters).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a read-only transaction that sees one consistent state across its statements
    /// (SQLite: the WAL snapshot of the first read; PostgreSQL: REPEATABLE READ).
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.read.begin().await?;
        if self.dialect == Dialect::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .await?;
        }
        Ok(tx)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.write.begin().await
    }

    /// Applies every migration newer than the schema's version, each in its own transaction.
    /// On PostgreSQL a transaction-scoped advisory lock keeps instances that start together from
    /// migrating twice.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        if self.dialect == Dialect::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(7351001)").await?;
        }
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
        )
        .await?;
        let current: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                .fetch_one(&mut *tx)
                .await?
                .try_get("v")?;
        check_known(current)?;
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= current {
                continue;
            }
            for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                tx.execute(dynamic(self.dialect.ddl(stmt))).await?;
            }
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
            )
            .bind(version)
            .bind(*name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tracing::info!(version, name, "applied migration");
        }
        // The head of the whole audit log: seq 0 and the genesis hash until the first record.
        sqlx::query(
            "INSERT INTO audit_heads (scope, seq, hash) VALUES ('log', 0, $1) \
             ON CONFLICT (scope) DO NOTHING",
        )
        .bind(tessera_core::audit::GENESIS_HASH.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Refuses a schema `version` newer than the migrations this binary knows.
fn check_known(version: i64) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known,
        });
    }
    Ok(())
}

/// Which backend `url` names: `Some(path)` of the SQLite file (any `?query` dropped), `None` for
/// PostgreSQL, or [`StoreError::UnsupportedUrl`].
fn sqlite_path(url: &str) -> Result<Option<&str>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Some(path.split('?').next().unwrap_or(path)))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(None)
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Pool settings every pool shares: at most `max` connections, 30 s to wait for one.
fn pool_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
}

/// Marks SQL assembled at run time as safe. Every such string in this crate is built only from
/// constants of the code (column lists, table names, the dialect's `FOR UPDATE`, numbered
/// placeholders); values always travel as bound parameters.
pub fn dynamic(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

/// Milliseconds since the Unix epoch (the server is an edge: it reads the clock).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random<const N: usize>() -> Result<[u8; N], crate::error::ApiError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| crate::error::ApiError::internal())?;
    Ok(b)
}

/// SHA-256 of a bearer secret (session, invite or setup token): only hashes are stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}
