//! Command-line flags and their environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Tessera team server: stores public keys, sealed vaults and grants; never a secret. Without a
/// subcommand it serves; `export` writes the break-glass export of a database offline.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tessera-server",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: Config,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Write every vault's sealed snapshot as one JSON document (the same as GET
    /// /api/v1/export), read from a database or a backup of it, without a running server.
    /// Opens the database read-only; refuses a schema newer than this binary.
    Export(crate::export::ExportArgs),
}

/// The server's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on. Loopback by default: put a TLS reverse proxy in front, or use
    /// --tls-cert/--tls-key, before exposing it.
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database and the one-time setup token file.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "tessera-data")]
    pub data_dir: PathBuf,

    /// `sqlite://PATH` or `postgres://...`. Default: `sqlite://DATA_DIR/tessera.db`.
    #[arg(long, env = "TESSERA_DATABASE_URL")]
    pub database_url: Option<String>,

    /// The URL clients use to reach this server (signed into every sign-in challenge, so a
    /// signature made for one server cannot be replayed at another). Default: http://LISTEN.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Log filter: error, warn, info, debug, trace (or a tracing directive).
    #[arg(long, env = "TESSERA_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// PEM certificate chain: serve HTTPS directly (with --tls-key).
    #[arg(long, env = "TESSERA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "TESSERA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Lifetime of a session token, seconds.
    #[arg(long, env = "TESSERA_SESSION_TTL", default_value_t = 3600)]
    pub session_ttl_secs: u64,

    /// Lifetime of a sign-in challenge, seconds.
    #[arg(long, env = "TESSERA_CHALLENGE_TTL", default_value_t = 120)]
    pub challenge_ttl_secs: u64,

    /// Requests per minute per client address on each rate-limited endpoint (sign-in, invites,
    /// setup). Counted in the database, so all instances share it.
    #[arg(long, env = "TESSERA_RATE_LIMIT", default_value_t = 30)]
    pub rate_limit_per_minute: u32,

    /// Take the client address from the last X-Forwarded-For entry (only behind a proxy that
    /// sets it).
    #[arg(long, env = "TESSERA_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Largest request body accepted, bytes.
    #[arg(long, env = "TESSERA_MAX_BODY", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Serve the web console's static files from this directory (`cargo xtask dist` writes
    /// dist/www) for every GET outside /api/. Without it, only the API is served.
    #[arg(long, env = "TESSERA_WWW_DIR")]
    pub www_dir: Option<PathBuf>,

    /// Database connections per instance.
    #[arg(long, env = "TESSERA_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("tessera.db").display()),
        }
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}", self.listen)
            }
        }
    }
}
