//! The command line, as clap derive types. Every command has `--help`.

use std::fmt;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::recover::Format;

const AFTER_HELP: &str = "\
Environment:
  TESSERA_HOME        vault home directory (same as --home)
  TESSERA_PASSPHRASE  passphrase for scripts; otherwise it is asked on the terminal without echo
  TESSERA_KDF         Argon2id cost of keyrings made by `init`: `default` (64 MiB, 3 passes) or
                      `floor` (the format's minimum, 19 MiB, 2 passes; for tests)

Exit status: 0 success, 2 usage or bad input (including a query that matches no entry or
several, and a malformed audit export), 1 anything else (wrong passphrase, damaged vault, I/O,
an audit export that fails verification).";

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Team MFA vault: one-time codes from otpauth URIs and a local encrypted vault",
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Vault home directory [default: the platform data directory, e.g. ~/.local/share/tessera]
    #[arg(long, global = true, env = "TESSERA_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// `Debug` is written by hand (below): `add`'s URI, `code`'s target and `team join`'s link can
/// hold a seed or an invite token, and are printed as `<redacted>`.
#[derive(Subcommand)]
pub enum Command {
    /// Create a keyring and a personal vault in the home (refuses if one exists)
    #[command(
        after_help = "The passphrase is asked twice on the terminal, or taken from \
                            TESSERA_PASSPHRASE."
    )]
    Init,

    /// Add one entry from an otpauth:// URI
    Add {
        /// otpauth://totp/... or otpauth://hotp/... URI; `-` reads it from stdin (keeps the
        /// seed out of the process list and shell history)
        uri: String,
        /// Name to show instead of the URI label's account part
        #[arg(long)]
        name: Option<String>,
        /// AWS account of the MFA device: 12-digit account id or account alias
        #[arg(long = "aws-account", value_name = "ID")]
        aws_account: Option<String>,
    },

    /// Import otpauth:// lines and Google Authenticator export URIs (otpauth-migration://)
    #[command(
        after_help = "One URI per line; blank lines and lines starting with # are skipped. \
                            All or nothing: any bad line aborts the import and the vault is left \
                            unchanged. Entries already in the vault (same secret and parameters) \
                            are skipped and counted."
    )]
    Import {
        /// File to read; `-` reads stdin
        file: PathBuf,
        /// Skip lines and export entries that cannot be read (each noted on stderr) instead of
        /// aborting
        #[arg(long)]
        skip_invalid: bool,
    },

    /// List entries: name, issuer, AWS account, kind (never a seed)
    List,

    /// Print the current code of an otpauth URI or of the one vault entry matching QUERY
    #[command(after_help = "\
TARGET starting with otpauth:// is a URI and needs no vault (a HOTP URI gives the code at its
counter). `-` reads a URI from stdin. Anything else is a query on the vault: an AWS account id
(12 digits), an account alias, a name, an issuer, or ISSUER:NAME, compared without case; exact
matches win over partial ones. Exactly one match prints the code alone on stdout, so it can be
used as aws-vault's `mfa_process = tessera code 123456789012`. Several matches are listed on
stderr and the command exits 2. A HOTP entry's counter advances in the vault.")]
    Code {
        /// Compute the code at this Unix time instead of now (TOTP only)
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<u64>,
        /// otpauth:// URI, `-`, or a query
        target: String,
    },

    /// Remove the one entry matching QUERY
    Rm {
        /// Same query syntax as `tessera code`
        query: String,
        /// Do not ask for confirmation (required when stdin is not a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },

    /// The team server's audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },

    /// Break-glass: open every vault of an export with the organisation recovery kit, offline
    #[command(after_help = "\
EXPORT is the JSON of the team server's GET /api/v1/export or `tessera-server export`
(format tessera-export-v1), or one raw vault snapshot; `-` reads stdin. With --server URL the
export is fetched by this machine's team membership (owner only; the server logs
recovery.export). The kit's fingerprint must be the export's recovery_fingerprint. Nothing is
written unless every vault opens. `table` (the default) prints no seeds; `uris` and `json`
contain every seed and need --out FILE (written atomically, mode 0600), or --out - to print.")]
    Recover {
        /// File holding the recovery kit text (TESSERA-RECOVERY-V1-...)
        #[arg(long, value_name = "KITFILE")]
        kit: PathBuf,
        /// The export or snapshot file; `-` reads stdin
        #[arg(
            value_name = "EXPORT",
            required_unless_present = "server",
            conflicts_with = "server"
        )]
        export: Option<PathBuf>,
        /// Fetch the export from this team server instead (must be this machine's team)
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// Output: table (no seeds), uris or json (with seeds)
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write the output to FILE (atomically, mode 0600); `-` is stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },

    /// Team mode: join a team server, sync the vaults granted to this keyring, leave
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
}

/// `Debug` by hand: the invite link carries the invite token.
#[derive(Subcommand)]
pub enum TeamCommand {
    /// Join with an invite link (`https://SERVER/invite#TOKEN`); prints the fingerprint an admin confirms
    #[command(after_help = "\
The link's server must use https (http only for 127.0.0.1, [::1] and localhost). The keyring of
this home registers its public keys; an admin then confirms the printed fingerprint in the
console, and `tessera team sync` fetches the vaults granted to you.")]
    Join {
        /// The invite link
        link: String,
        /// A label the admins see (name or e-mail)
        #[arg(long)]
        label: Option<String>,
    },
    /// Membership and cache: server, member id, fingerprint, cached vaults, queued audit events
    Status,
    /// Sign in and fetch every vault granted to this member into the local cache
    Sync,
    /// Forget the membership and wipe the team cache on this machine (the server keeps the member)
    Leave,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify a JSON Lines export offline: hashes, links, sequence and client signatures
    #[command(after_help = "\
FILE is `GET /api/v1/audit/export` (the whole log, format=jsonl, no filter) or
`GET /api/v1/vaults/{id}/audit` (one vault's log); the first record tells which. An altered,
inserted, removed or reordered record, or a bad client signature, fails with the line of the
first bad record (exit 1); a line that is not a record fails with exit 2. Removing the newest
records leaves a shorter valid chain: pass --head with a hash you obtained separately (an
earlier export's head, or `head` from GET /api/v1/audit/verify[?vault=ID]) to catch that.")]
    Verify {
        /// The export; `-` reads stdin
        file: PathBuf,
        /// The hash the chain must end with (64 hex digits)
        #[arg(long, value_name = "HEX")]
        head: Option<String>,
    },
}

/// Stands for an argument that may hold a secret (a seed URI, an invite link) in Debug output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is named, so a new one cannot be added without deciding how it prints.
        match self {
            Command::Init => f.write_str("Init"),
            Command::Add {
                uri: _,
                name,
                aws_account,
            } => f
                .debug_struct("Add")
                .field("uri", &Redacted)
                .field("name", name)
                .field("aws_account", aws_account)
                .finish(),
            Command::Import { file, skip_invalid } => f
                .debug_struct("Import")
                .field("file", file)
                .field("skip_invalid", skip_invalid)
                .finish(),
            Command::List => f.write_str("List"),
            // The target is a query or an otpauth URI holding the seed: never shown.
            Command::Code { at, target: _ } => f
                .debug_struct("Code")
                .field("at", at)
                .field("target", &Redacted)
                .finish(),
            Command::Rm { query, yes } => f
                .debug_struct("Rm")
                .field("query", query)
                .field("yes", yes)
                .finish(),
            Command::Audit { command } => {
                f.debug_struct("Audit").field("command", command).finish()
            }
            // `kit` is the path of the kit file, not the kit.
            Command::Recover {
                kit,
                export,
                server,
                format,
                out,
            } => f
                .debug_struct("Recover")
                .field("kit", kit)
                .field("export", export)
                .field("server", server)
                .field("format", format)
                .field("out", out)
                .finish(),
            Command::Team { command } => f.debug_struct("Team").field("command", command).finish(),
        }
    }
}

impl fmt::Debug for TeamCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TeamCommand::Join { link: _, label } => f
                .debug_struct("Join")
                .field("link", &Redacted)
                .field("label", label)
                .finish(),
            TeamCommand::Status => f.write_str("Status"),
            TeamCommand::Sync => f.write_str("Sync"),
            TeamCommand::Leave => f.write_str("Leave"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    const SEED: &str = "JBSWY3DPEHPK3PXPSECRETSEED";

    fn debug_of(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("arguments rejected: {cli:?}");
        };
        // Both forms: `{:?}` and the pretty `{:#?}` go through the same impls.
        format!("{cli:?}\n{:?}\n{:#?}", cli.command, cli.command)
    }

    #[test]
    fn debug_hides_seed_uris_and_invite_links() {
        let uri = format!("otpauth://totp/AWS:alice?secret={SEED}&issuer=AWS");
        let link = format!("https://vault.example.com/invite#tsi_{SEED}");
        for args in [
            vec!["tessera", "add", uri.as_str(), "--name", "alice"],
            vec!["tessera", "code", uri.as_str()],
            vec!["tessera", "code", "--at", "59", uri.as_str()],
            vec!["tessera", "team", "join", link.as_str(), "--label", "alice"],
        ] {
            let text = debug_of(&args);
            assert!(!text.contains("SECRETSEED"), "{args:?}: {text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        // The other fields still show, so Debug stays useful.
        let text = debug_of(&["tessera", "add", uri.as_str(), "--name", "alice"]);
        assert!(text.contains("Add") && text.contains("\"alice\""), "{text}");
        let text = debug_of(&["tessera", "rm", "alice", "-y"]);
        assert!(text.contains("Rm") && text.contains("\"alice\""), "{text}");
    }
}
