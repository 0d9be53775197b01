//! Every way a `tessera` command can fail, and its exit code.
//!
//! Exit codes: 0 success; 2 usage or bad input (what the user typed or fed in must change:
//! a malformed URI or import line, a query that does not pick exactly one entry, a missing
//! passphrase source, clap's own usage errors, a malformed audit export); 1 anything else (wrong
//! passphrase, damaged or missing vault, I/O, a busy lock, an audit export that fails
//! verification).
//!
//! Messages are one line and never contain a seed, a key or the passphrase: the core's errors are
//! built that way, and nothing here formats an entry's secret or a URI's text.

use std::io;
use std::path::{Path, PathBuf};

use tessera_core::{keyring, otp, otpauth, vault};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or input that clap cannot see (exit 2).
    #[error("{0}")]
    Usage(String),

    /// An otpauth URI given on the command line is malformed (exit 2).
    #[error("invalid otpauth URI: {0}")]
    Uri(#[source] otpauth::OtpAuthError),

    /// A line of an import file is malformed; nothing was imported (exit 2).
    #[error("{source_name} line {line}: {reason}; nothing imported")]
    Import {
        source_name: String,
        line: usize,
        reason: String,
    },

    /// A line of an audit export is not a well-formed record (exit 2).
    #[error("{source_name} line {line}: {reason}")]
    AuditInput {
        source_name: String,
        line: usize,
        reason: String,
    },

    /// An audit export failed verification: the first bad record and what broke (exit 1).
    #[error("{source_name} line {line}: {reason}")]
    AuditBroken {
        source_name: String,
        line: usize,
        reason: String,
    },

    /// The query matches no entry (exit 2).
    #[error("no entry matches {0:?} (see `tessera list`)")]
    NoMatch(String),

    /// The query matches several entries, listed on stderr before this line (exit 2).
    #[error("{query:?} matches {count} entries; use a more precise query")]
    Ambiguous { query: String, count: usize },

    /// A code could not be computed (exit 2: the entry's parameters are what is wrong).
    #[error("cannot compute a code: {0}")]
    Otp(#[source] otp::OtpError),

    /// `--at` given for a counter-based entry (exit 2).
    #[error("--at applies to TOTP only; this is a HOTP entry")]
    AtWithHotp,

    /// No keyring and vault in the home (exit 1).
    #[error("no vault in {}: run `tessera init` first (or set TESSERA_HOME / --home)", .0.display())]
    NoVault(PathBuf),

    /// Only one of the two files of a home is there (exit 1).
    #[error("incomplete vault home {}: {} is missing", .dir.display(), .missing)]
    Incomplete { dir: PathBuf, missing: &'static str },

    /// The vault is granted to other keys too; this CLI edits personal vaults only (exit 1).
    #[error("{} is shared with other keys; this tessera only opens personal vaults", .0.display())]
    NotPersonal(PathBuf),

    /// `init` found an existing vault (exit 1).
    #[error("a vault already exists in {}; refusing to overwrite it", .0.display())]
    VaultExists(PathBuf),

    /// The keyring could not be opened: wrong passphrase, damaged or unsupported file (exit 1).
    #[error("cannot open the keyring {}: {source}", .path.display())]
    Keyring {
        path: PathBuf,
        source: keyring::KeyringError,
    },

    /// The vault could not be opened or sealed (exit 1).
    #[error("cannot open the vault {}: {source}", .path.display())]
    Vault {
        path: PathBuf,
        source: vault::VaultError,
    },

    /// Another `tessera` holds the write lock (exit 1).
    #[error("another tessera process is changing this vault ({}); try again", .0.display())]
    Busy(PathBuf),

    /// The user answered no to a confirmation (exit 1).
    #[error("not removed")]
    Declined,

    /// The system clock is before 1970 (exit 1).
    #[error("the system clock is set before 1970")]
    Clock,

    /// The OS random number generator failed (exit 1).
    #[error("the system random number generator failed")]
    Random,

    /// A broken invariant of this program, reported instead of risked (exit 1).
    #[error("internal error: {0}")]
    Internal(&'static str),

    /// `tessera recover` refused its input: the kit, the export or a snapshot in it. `code` is
    /// stable (see docs/CLI.md); `exit` is 2 for input the user must change, 1 otherwise. The
    /// message never quotes the kit.
    #[error("{message}")]
    Recover {
        code: &'static str,
        message: String,
        exit: u8,
    },

    /// Team mode on this machine: no membership, a bad invite link or server URL, a damaged
    /// cache, a revoked member (exit 2 for input the user must change, 1 otherwise).
    #[error("{message}")]
    Team {
        code: &'static str,
        message: String,
        exit: u8,
    },

    /// The team server answered with an error (`code` is the server's own error code).
    #[error("the team server refused ({status}): {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },

    /// The team server could not be reached (network, TLS, timeout). Never carries a URL with a
    /// token: paths hold ids only.
    #[error("cannot reach the team server {origin}: {reason}")]
    Unreachable { origin: String, reason: String },

    #[error("{context} {}: {source}", .path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl CliError {
    pub fn io(context: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Io {
            context,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A stable machine-readable code, printed at the end of the error line (`[code]`).
    pub fn code(&self) -> &str {
        match self {
            Self::Usage(_) => "usage",
            Self::Uri(e) => e.code(),
            Self::Import { .. } => "import_invalid_line",
            Self::AuditInput { .. } => "audit_input_invalid",
            Self::AuditBroken { .. } => "audit_verification_failed",
            Self::NoMatch(_) => "no_match",
            Self::Ambiguous { .. } => "ambiguous_query",
            Self::Otp(_) => "otp_failed",
            Self::AtWithHotp => "at_with_hotp",
            Self::NoVault(_) => "no_vault",
            Self::Incomplete { .. } => "incomplete_home",
            Self::NotPersonal(_) => "not_personal",
            Self::VaultExists(_) => "vault_exists",
            Self::Keyring { source, .. } => source.code(),
            Self::Vault { source, .. } => source.code(),
            Self::Busy(_) => "busy",
            Self::Declined => "declined",
            Self::Clock => "clock_before_1970",
            Self::Random => "random_failed",
            Self::Internal(_) => "internal",
            Self::Recover { code, .. } | Self::Team { code, .. } => code,
            Self::Server { code, .. } => code,
            Self::Unreachable { .. } => "network_unreachable",
            Self::Io { .. } => "io",
        }
    }

    /// A `Recover` error.
    pub fn recover(code: &'static str, exit: u8, message: impl Into<String>) -> Self {
        Self::Recover {
            code,
            message: message.into(),
            exit,
        }
    }

    /// A `Team` error.
    pub fn team(code: &'static str, exit: u8, message: impl Into<String>) -> Self {
        Self::Team {
            code,
            message: message.into(),
            exit,
        }
    }

    /// 2 when the user's input must change, 1 otherwise (see the module doc).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Recover { exit, .. } | Self::Team { exit, .. } => *exit,
            Self::Usage(_)
            | Self::Uri(_)
            | Self::Import { .. }
            | Self::AuditInput { .. }
            | Self::NoMatch(_)
            | Self::Ambiguous { .. }
            | Self::Otp(_)
            | Self::AtWithHotp => 2,
            Self::NoVault(_)
            | Self::VaultExists(_)
            | Self::Incomplete { .. }
            | Self::NotPersonal(_)
            | Self::Keyring { .. }
            | Self::Vault { .. }
            | Self::Busy(_)
            | Self::Declined
            | Self::Clock
            | Self::Random
            | Self::AuditBroken { .. }
            | Self::Internal(_)
            | Self::Server { .. }
            | Self::Unreachable { .. }
            | Self::Io { .. } => 1,
        }
    }
}
