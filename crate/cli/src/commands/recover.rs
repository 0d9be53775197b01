//! `tessera recover`: break-glass. Opens every vault of an export with the organisation recovery
//! kit, offline, and lists the entries (no seeds) or re-exports them (with seeds) to a file.
//!
//! Input: the JSON of `GET /api/v1/export` / `tessera-server export` (format `tessera-export-v1`,
//! docs/CLI.md "Recovery"), or one raw vault snapshot (docs/FORMAT.md §9). With `--server` the
//! export is fetched by this machine's team membership (owner only; the server logs
//! `recovery.export`), then handled exactly like a file.
//!
//! Order of checks, each with its own stable code: the kit reads (its checksum catches typos),
//! the export is JSON with the right format tag, the kit's fingerprint is the export's
//! `recovery_fingerprint`, then each snapshot parses and opens. Nothing is written unless every
//! vault opened: a partial recovery file would look complete.

use std::fs;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tessera_core::Entry;
use tessera_core::entry::AwsPrincipal;
use tessera_core::grant::RecoveryKey;
use tessera_core::keyring::Fingerprint;
use tessera_core::otpauth;
use tessera_core::vault::{OpenVault, SNAPSHOT_MAGIC, SealedVault, VaultError};
use zeroize::Zeroizing;

use super::list::table;
use super::printable;
use crate::atomic;
use crate::error::CliError;
use crate::out;

/// The format tag of a server export.
pub const EXPORT_FORMAT: &str = "tessera-export-v1";
/// The format tag of `--format json` output.
pub const RECOVERED_FORMAT: &str = "tessera-recovered-v1";
/// A kit is about 90 characters; anything much larger is not a kit file.
const MAX_KIT_FILE: u64 = 4 * 1024;
/// Largest export read from a file or stdin.
const MAX_EXPORT: u64 = 1 << 30;

/// What `recover` prints or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Vault, label, issuer, AWS account and principal per entry; no seeds
    Table,
    /// One otpauth:// URI per entry (seeds), `# vault: NAME` before each vault; `tessera import` reads it
    Uris,
    /// Every entry with its seed and all fields, per vault (docs/CLI.md)
    Json,
}

/// One vault of an export, parsed but not opened.
#[derive(Debug)]
pub struct ExportVault {
    pub sealed: SealedVault,
    pub version: Option<u64>,
    pub archived: bool,
}

/// An export file or a single snapshot.
#[derive(Debug)]
pub struct Export {
    pub exported_ms: Option<u64>,
    /// Hex, as the server writes it; `None` for a single snapshot.
    pub recovery_fingerprint: Option<String>,
    pub vaults: Vec<ExportVault>,
}

#[derive(Deserialize)]
struct ExportJson {
    #[allow(dead_code)] // Checked before this typed pass.
    format: String,
    exported_ms: u64,
    recovery_fingerprint: String,
    vaults: Vec<ExportVaultJson>,
}

#[derive(Deserialize)]
struct ExportVaultJson {
    vault_id: String,
    epoch: u32,
    version: u64,
    #[serde(default)]
    archived: bool,
    snapshot: String,
}

/// Reads the recovery kit from `path`. The file's bytes are wiped after use; no error quotes them.
pub fn read_kit(path: &Path) -> Result<RecoveryKey, CliError> {
    let file = fs::File::open(path).map_err(|e| CliError::io("cannot read the kit", path, e))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KIT_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io("cannot read the kit", path, e))?;
    if bytes.len() as u64 > MAX_KIT_FILE {
        return Err(CliError::recover(
            "recovery_kit_malformed",
            2,
            format!("{} is too large to be a recovery kit", path.display()),
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::recover(
            "recovery_kit_malformed",
            2,
            format!(
                "{} is not a text file holding a recovery kit",
                path.display()
            ),
        )
    })?;
    RecoveryKey::from_kit(text).map_err(|e| {
        CliError::recover(
            e.code(),
            2,
            format!("cannot read the recovery kit {}: {e}", path.display()),
        )
    })
}

/// Reads an export from a file, or stdin for `-`.
pub fn read_export_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let res = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_EXPORT)
            .read_to_end(&mut bytes)
    } else {
        fs::File::open(path).and_then(|f| f.take(MAX_EXPORT).read_to_end(&mut bytes))
    };
    res.map_err(|e| CliError::io("cannot read the export", path, e))?;
    Ok(bytes)
}

fn bad_export(message: String) -> CliError {
    CliError::recover("export_malformed", 2, message)
}

/// Parses an export (JSON) or a single raw snapshot.
pub fn parse_export(bytes: &[u8]) -> Result<Export, CliError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if bytes.starts_with(&SNAPSHOT_MAGIC) {
        let sealed = SealedVault::from_bytes(bytes).map_err(|e| {
            CliError::recover(
                "export_bad_snapshot",
                1,
                format!("the snapshot is damaged: {e} ({})", e.code()),
            )
        })?;
        return Ok(Export {
            exported_ms: None,
            recovery_fingerprint: None,
            vaults: vec![ExportVault {
                sealed,
                version: None,
                archived: false,
            }],
        });
    }
    if bytes.starts_with(b"SQLite format 3\0") {
        return Err(CliError::recover(
            "export_is_database",
            2,
            "this is a server database (or a backup of one), not an export: run \
             `tessera-server export --database-url sqlite://FILE --out export.json` \
             (or `--data-dir DIR`) and recover from export.json",
        ));
    }
    if first != Some(&b'{') {
        return Err(bad_export(
            "the input is neither a Tessera export (JSON) nor a vault snapshot".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        bad_export(format!(
            "the export is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(EXPORT_FORMAT) => {}
        Some(other) => {
            return Err(CliError::recover(
                "export_bad_format",
                2,
                format!(
                    "the export's format is {:?}, expected {EXPORT_FORMAT:?}",
                    printable(&other.chars().take(64).collect::<String>())
                ),
            ));
        }
        None => {
            return Err(CliError::recover(
                "export_bad_format",
                2,
                format!("the JSON has no \"format\": {EXPORT_FORMAT:?} (not a Tessera export)"),
            ));
        }
    }
    let json: ExportJson = serde_json::from_value(value)
        .map_err(|e| bad_export(format!("the export does not follow {EXPORT_FORMAT}: {e}")))?;
    let mut vaults = Vec::with_capacity(json.vaults.len());
    for v in json.vaults {
        let id = printable(&v.vault_id.chars().take(64).collect::<String>());
        let damaged = |what: String| {
            CliError::recover(
                "export_bad_snapshot",
                1,
                format!("vault {id} in the export: {what}"),
            )
        };
        let raw = tessera_core::codec::base64_decode(v.snapshot.as_bytes(), true)
            .ok_or_else(|| damaged("the snapshot is not base64".into()))?;
        let sealed = SealedVault::from_bytes(&raw)
            .map_err(|e| damaged(format!("the snapshot is damaged: {e} ({})", e.code())))?;
        if !sealed.vault_id().to_hex().eq_ignore_ascii_case(&v.vault_id)
            || sealed.epoch() != v.epoch
        {
            return Err(damaged(
                "the snapshot's vault id or epoch differs from the listing".into(),
            ));
        }
        vaults.push(ExportVault {
            sealed,
            version: Some(v.version),
            archived: v.archived,
        });
    }
    Ok(Export {
        exported_ms: Some(json.exported_ms),
        recovery_fingerprint: Some(json.recovery_fingerprint),
        vaults,
    })
}

/// Refuses a kit whose public key is not the export's recovery key, before any vault is tried.
pub fn check_fingerprint(key: &RecoveryKey, export: &Export) -> Result<(), CliError> {
    let Some(expected) = &export.recovery_fingerprint else {
        return Ok(());
    };
    let mine = key.public().fingerprint();
    if mine.to_hex().eq_ignore_ascii_case(expected.trim()) {
        return Ok(());
    }
    let theirs =
        tessera_core::team::hex_array(&expected.trim().to_ascii_lowercase(), "fingerprint")
            .ok()
            .map_or_else(|| "unreadable".to_owned(), |b| Fingerprint(b).to_display());
    Err(CliError::recover(
        "recovery_fingerprint_mismatch",
        2,
        format!(
            "this kit is not the export's recovery key: the kit's fingerprint is {}, the export \
             was sealed to {theirs}",
            mine.to_display()
        ),
    ))
}

/// A vault opened with the kit, with what the export said about it.
#[derive(Debug)]
pub struct Recovered {
    pub vault: OpenVault,
    pub version: Option<u64>,
    pub archived: bool,
}

/// Opens every vault; the first that fails stops everything (nothing half-written).
pub fn open_all(key: &RecoveryKey, export: Export) -> Result<Vec<Recovered>, CliError> {
    export
        .vaults
        .into_iter()
        .map(|v| {
            let vault = v.sealed.open_with_recovery(key).map_err(|e| {
                let id = v.sealed.vault_id().to_hex();
                let hint = match e {
                    VaultError::NotGranted => " (this vault has no grant for this kit: wrong kit?)",
                    _ => "",
                };
                CliError::recover(
                    "recovery_open_failed",
                    1,
                    format!(
                        "vault {id} does not open with this kit: {e}{hint} ({})",
                        e.code()
                    ),
                )
            })?;
            Ok(Recovered {
                vault,
                version: v.version,
                archived: v.archived,
            })
        })
        .collect()
}

/// Where the output goes: `None` is stdout by default, `Some("-")` stdout by request.
pub fn run(
    kit: &Path,
    export_bytes: impl FnOnce() -> Result<Vec<u8>, CliError>,
    format: Format,
    out_path: Option<&Path>,
) -> Result<(), CliError> {
    let to_stdout = out_path.is_none_or(|p| p == Path::new("-"));
    if format != Format::Table && out_path.is_none() {
        return Err(CliError::recover(
            "seeds_need_out",
            2,
            "--format uris and json contain seeds: pass --out FILE (or --out - to print them)",
        ));
    }
    // Before the kit is even read: a table to a terminal is fine, seeds only by explicit `-`.
    let key = read_kit(kit)?;
    let bytes = export_bytes()?;
    let export = parse_export(&bytes)?;
    drop(bytes);
    check_fingerprint(&key, &export)?;
    let exported_ms = export.exported_ms;
    let recovered = open_all(&key, export)?;
    drop(key);
    let text = match format {
        Format::Table => Zeroizing::new(render_table(&recovered)),
        Format::Uris => render_uris(&recovered)?,
        Format::Json => render_json(&recovered, exported_ms)?,
    };
    let entries: usize = recovered.iter().map(|r| r.vault.entries().len()).sum();
    if to_stdout {
        if format != Format::Table && std::io::stdout().is_terminal() {
            out::note("warning: printing seeds to the terminal (--out -)");
        }
        for line in text.lines() {
            out::line(line)?;
        }
        return Ok(());
    }
    let path: PathBuf = out_path.map(Path::to_path_buf).unwrap_or_default();
    atomic::write(&path, text.as_bytes()).map_err(|e| CliError::io("cannot write", &path, e))?;
    out::note(&format!(
        "recovered {entries} entries from {} vaults into {} (mode 0600)",
        recovered.len(),
        path.display()
    ));
    Ok(())
}

fn vault_label(r: &Recovered) -> String {
    let name = printable(r.vault.name());
    if r.archived {
        format!("{name} (archived)")
    } else {
        name
    }
}

fn principal(e: &Entry) -> String {
    match &e.aws_principal {
        Some(AwsPrincipal::Root { email: Some(m) }) => format!("root {}", printable(m)),
        Some(AwsPrincipal::Root { email: None }) => "root".into(),
        Some(AwsPrincipal::IamUser { name }) => format!("iam-user {}", printable(name)),
        None => String::new(),
    }
}

fn render_table(recovered: &[Recovered]) -> String {
    let mut rows =
        vec![["VAULT", "LABEL", "ISSUER", "AWS ACCOUNT", "AWS PRINCIPAL"].map(String::from)];
    for r in recovered {
        for (_, e) in r.vault.entries() {
            let aws = match (&e.aws_account_id, &e.aws_account_alias) {
                (Some(id), Some(alias)) => format!("{id} ({alias})"),
                (Some(x), None) | (None, Some(x)) => x.clone(),
                (None, None) => String::new(),
            };
            rows.push([
                vault_label(r),
                printable(&e.label),
                printable(e.issuer.as_deref().unwrap_or("")),
                printable(&aws),
                principal(e),
            ]);
        }
    }
    let mut text = table(&rows).join("\n");
    text.push('\n');
    text
}

/// Concatenates parts into one wiped buffer allocated once (a growing `String` would leave
/// copies of seeds behind in freed memory).
fn join_wiped(parts: &[Zeroizing<String>]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        text.push_str(p);
    }
    text
}

fn render_uris(recovered: &[Recovered]) -> Result<Zeroizing<String>, CliError> {
    let mut parts = Vec::new();
    for r in recovered {
        parts.push(Zeroizing::new(format!(
            "# vault: {} ({})\n",
            vault_label(r),
            r.vault.id().to_hex()
        )));
        for (_, e) in r.vault.entries() {
            parts.push(otpauth::to_uri(e).map_err(CliError::Otp)?);
            parts.push(Zeroizing::new("\n".into()));
        }
    }
    Ok(join_wiped(&parts))
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// `{format, exported_ms, vaults: [{vault_id, name, epoch, version, archived, entries:
/// [{entry_id, entry}]}]}`, `entry` being the v1 entry payload (FORMAT.md §4.4) with its seed.
/// Built by hand into wiped memory: a `serde_json::Value` would leave copies of the seeds.
fn render_json(
    recovered: &[Recovered],
    exported_ms: Option<u64>,
) -> Result<Zeroizing<String>, CliError> {
    let mut parts: Vec<Zeroizing<String>> = Vec::new();
    let exported = exported_ms.map_or_else(|| "null".to_owned(), |t| t.to_string());
    parts.push(Zeroizing::new(format!(
        "{{\"format\":{},\"exported_ms\":{exported},\"vaults\":[",
        json_str(RECOVERED_FORMAT)
    )));
    for (i, r) in recovered.iter().enumerate() {
        let version = r
            .version
            .map_or_else(|| "null".to_owned(), |v| v.to_string());
        parts.push(Zeroizing::new(format!(
            "{}\n{{\"vault_id\":\"{}\",\"name\":{},\"epoch\":{},\"version\":{version},\"archived\":{},\"entries\":[",
            if i == 0 { "" } else { "," },
            r.vault.id().to_hex(),
            json_str(r.vault.name()),
            r.vault.epoch(),
            r.archived
        )));
        for (j, (id, e)) in r.vault.entries().iter().enumerate() {
            let payload = e.to_payload_json().map_err(|source| {
                CliError::recover(
                    "recovery_entry_invalid",
                    1,
                    format!(
                        "an entry of vault {} cannot be written: {source}",
                        r.vault.id()
                    ),
                )
            })?;
            let payload = std::str::from_utf8(&payload)
                .map_err(|_| CliError::Internal("entry payload is not UTF-8"))?;
            parts.push(Zeroizing::new(format!(
                "{}{{\"entry_id\":\"{}\",\"entry\":",
                if j == 0 { "\n" } else { ",\n" },
                id.to_hex()
            )));
            let mut owned = Zeroizing::new(String::with_capacity(payload.len() + 1));
            owned.push_str(payload);
            owned.push('}');
            parts.push(owned);
        }
        parts.push(Zeroizing::new("]}".into()));
    }
    parts.push(Zeroizing::new("]}\n".into()));
    Ok(join_wiped(&parts))
}
