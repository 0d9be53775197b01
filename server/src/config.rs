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

/// The server's flags. `Debug` hides the password of `--database-url` ([`redact_database_url`]).
#[derive(Clone, clap::Args)]
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

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured so that a new field cannot be added without deciding how it prints.
        let Config {
            listen,
            data_dir,
            database_url,
            public_url,
            log_level,
            tls_cert,
            tls_key,
            session_ttl_secs,
            challenge_ttl_secs,
            rate_limit_per_minute,
            trust_forwarded_for,
            max_body_bytes,
            www_dir,
            db_connections,
        } = self;
        f.debug_struct("Config")
            .field("listen", listen)
            .field("data_dir", data_dir)
            .field(
                "database_url",
                &database_url.as_deref().map(redact_database_url),
            )
            .field("public_url", public_url)
            .field("log_level", log_level)
            .field("tls_cert", tls_cert)
            .field("tls_key", tls_key)
            .field("session_ttl_secs", session_ttl_secs)
            .field("challenge_ttl_secs", challenge_ttl_secs)
            .field("rate_limit_per_minute", rate_limit_per_minute)
            .field("trust_forwarded_for", trust_forwarded_for)
            .field("max_body_bytes", max_body_bytes)
            .field("www_dir", www_dir)
            .field("db_connections", db_connections)
            .finish()
    }
}

/// What replaces a password in [`redact_database_url`].
const HIDDEN: &str = "***";

/// A database URL fit for Debug output and logs: scheme, user, host, port, database and
/// options stay; the password of `user:password@` and the value of any query option whose name
/// contains `pass` (`password`, `sslpassword`, `passfile`) become `***`. The userinfo is taken up
/// to the *last* `@`, so an unescaped `@` or `/` in a password is hidden too (a query value
/// holding `@` may hide more than the password; never less). Without `://` the text is
/// not a URL this server reads, and it is shown only when it holds no `pass` at all.
pub fn redact_database_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return if url.to_ascii_lowercase().contains("pass") {
            HIDDEN.to_owned()
        } else {
            url.to_owned()
        };
    };
    let (userinfo, tail) = match rest.rsplit_once('@') {
        Some((userinfo, tail)) => (Some(userinfo), tail),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _password)) => out.push_str(&format!("{user}:{HIDDEN}@")),
            None => out.push_str(&format!("{userinfo}@")),
        }
    }
    match tail.split_once('?') {
        Some((base, query)) => {
            out.push_str(base);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if key.to_ascii_lowercase().contains("pass") => {
                        format!("{key}={HIDDEN}")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn redact_keeps_scheme_host_and_database() {
        let cases = [
            (
                "postgres://tessera:S3cretPW@db.example.com:5432/tessera",
                "postgres://tessera:***@db.example.com:5432/tessera",
            ),
            (
                "postgresql://u:p%40ss@h/db?sslmode=require&password=S3cretPW",
                "postgresql://u:***@h/db?sslmode=require&password=***",
            ),
            // An unescaped `@` or `/` in the password: hidden up to the last `@`.
            ("postgres://u:S3c@ret/PW@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u@h/db?sslpassword=S3cretPW",
                "postgres://u@h/db?sslpassword=***",
            ),
            ("postgres://h/db", "postgres://h/db"),
            (
                "sqlite:///var/lib/tessera/tessera.db",
                "sqlite:///var/lib/tessera/tessera.db",
            ),
            ("host=h password=S3cretPW", "***"),
        ];
        for (url, want) in cases {
            let got = redact_database_url(url);
            assert_eq!(got, want, "{url}");
            assert!(!got.contains("S3c"), "{got}");
        }
    }

    #[test]
    fn debug_of_config_hides_the_database_password() {
        let cli = Cli::try_parse_from([
            "tessera-server",
            "--database-url",
            "postgres://tessera:S3cretPW@db.example.com:5432/tessera_prod",
        ])
        .map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("flags rejected: {cli:?}");
        };
        for text in [
            format!("{:?}", cli.serve),
            format!("{cli:?}"),
            format!("{cli:#?}"),
        ] {
            assert!(!text.contains("S3cretPW"), "{text}");
            assert!(
                text.contains("postgres://tessera:***@db.example.com:5432/tessera_prod"),
                "{text}"
            );
        }
        let export = Cli::try_parse_from([
            "tessera-server",
            "export",
            "--database-url",
            "postgres://tessera:S3cretPW@db.example.com/tessera_prod",
        ])
        .map_err(|e| e.to_string());
        let Ok(export) = export else {
            panic!("flags rejected: {export:?}");
        };
        let text = format!("{export:?}");
        assert!(!text.contains("S3cretPW"), "{text}");
        assert!(
            text.contains("postgres://tessera:***@db.example.com/tessera_prod"),
            "{text}"
        );
        // The value the server connects with is untouched.
        assert_eq!(
            cli.serve.database_url(),
            "postgres://tessera:S3cretPW@db.example.com:5432/tessera_prod"
        );
    }
}
