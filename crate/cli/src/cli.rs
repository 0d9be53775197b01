//! The command line, as clap derive types. Every command has `--help`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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

#[derive(Debug, Subcommand)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
