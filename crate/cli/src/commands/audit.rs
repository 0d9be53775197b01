//! `tessera audit verify FILE`: checks a JSON Lines export of the team server's audit log offline
//! (docs/FORMAT.md §13.3), with the same code the server uses (`tessera_core::audit`).
//!
//! The scope is read from the export itself: one whose first record concerns a vault is that
//! vault's own log (`GET /api/v1/vaults/{id}/audit`, checked along `vault_prev_hash`); anything
//! else is the whole log (`GET /api/v1/audit/export`), which must start at record 1 so that
//! removing the oldest records is caught too. Removing the newest records leaves a valid shorter
//! chain: only `--head`, a hash obtained separately, catches that.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use tessera_core::audit::export::{Export, ExportError};
use tessera_core::audit::{AUDIT_HASH_LEN, AuditError, AuditHash, AuditRecord, ChainScope};

use crate::error::CliError;
use crate::out;

/// Largest export read: about a million events. Bigger logs are exported per vault.
const MAX_EXPORT_BYTES: u64 = 1 << 30;

pub fn verify(file: &Path, head: Option<&str>) -> Result<(), CliError> {
    // Bad `--head` is bad usage: say so before reading anything.
    let expected_head = head.map(parse_head).transpose()?;
    let (text, name) = read_input(file)?;
    let export = parse(&text, &name)?;
    let records = export.records();
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Err(CliError::Usage(format!("{name}: no audit records")));
    };
    let scope = match first.vault_id {
        Some(v) => ChainScope::Vault(v),
        None => ChainScope::Log,
    };
    let report = export.verify(first.vault_id, expected_head.as_ref());
    let head_hex = report.head.as_ref().map(|h| hex(h)).unwrap_or_default();
    if let Some((line, e)) = report.error {
        let reason = match e {
            ExportError::MissingStart { seq } => {
                format!("the log starts at record {seq}, not 1: earlier records were removed")
            }
            ExportError::HeadMismatch => format!(
                "the chain is intact but ends at record {} with head {head_hex}, not the \
                 expected head: newer records were removed, or this is another log",
                last.seq
            ),
            // On a broken chain the report's count is the index of the record at fault.
            ExportError::Audit(e) => {
                let prev = usize::try_from(report.records)
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|p| records.get(p));
                describe(&e, prev, scope)
            }
        };
        return Err(CliError::AuditBroken {
            source_name: name,
            line,
            reason,
        });
    }
    let what = match scope {
        ChainScope::Log => format!("whole log, records 1-{}", last.seq),
        ChainScope::Vault(v) => format!("log of vault {}", v.to_hex()),
    };
    let checked = if expected_head.is_some() {
        ", matches --head"
    } else {
        ""
    };
    out::line(&format!(
        "ok: {} events, chain intact, head {head_hex} ({what}{checked})",
        report.records
    ))
}

fn parse_head(s: &str) -> Result<AuditHash, CliError> {
    tessera_core::codec::hex_decode(s.to_ascii_lowercase().as_bytes())
        .and_then(|v| AuditHash::try_from(v).ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--head: expected {} hex digits (a record hash)",
                AUDIT_HASH_LEN * 2
            ))
        })
}

fn hex(b: &[u8]) -> String {
    tessera_core::codec::hex_encode(b)
}

fn read_input(file: &Path) -> Result<(String, String), CliError> {
    let mut buf = Vec::new();
    let name = if file.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(MAX_EXPORT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::io("cannot read", "stdin".as_ref(), e))?;
        "stdin".to_owned()
    } else {
        File::open(file)
            .and_then(|f| f.take(MAX_EXPORT_BYTES + 1).read_to_end(&mut buf))
            .map_err(|e| CliError::io("cannot read", file, e))?;
        file.display().to_string()
    };
    if buf.len() as u64 > MAX_EXPORT_BYTES {
        return Err(CliError::Usage(format!(
            "{name} is larger than {MAX_EXPORT_BYTES} bytes"
        )));
    }
    let text =
        String::from_utf8(buf).map_err(|_| CliError::Usage(format!("{name} is not UTF-8 text")))?;
    Ok((text, name))
}

/// The export parsed, with each record's 1-based line. A line that is not a record of the
/// export format, or whose fields are out of the format's bounds, is malformed input (exit 2),
/// not a broken chain.
fn parse(text: &str, name: &str) -> Result<Export, CliError> {
    let malformed = |line: usize, e: &AuditError| {
        let reason = match e {
            AuditError::InvalidField("json") => "not an audit record (FORMAT.md §13.3)".to_owned(),
            other => other.to_string(),
        };
        CliError::AuditInput {
            source_name: name.to_owned(),
            line,
            reason,
        }
    };
    // The server's other export format, for spreadsheets: it drops the client signatures.
    if text.starts_with("seq,time_ms,") {
        return Err(CliError::AuditInput {
            source_name: name.to_owned(),
            line: 1,
            reason: "a CSV export cannot be verified; export with format=jsonl".to_owned(),
        });
    }
    let export = Export::parse(text).map_err(|(line, e)| malformed(line, &e))?;
    for (i, r) in export.records().iter().enumerate() {
        r.check_fields()
            .map_err(|e| malformed(export.line_of(i), &e))?;
    }
    Ok(export)
}

/// What broke, in words, for the record `verify_chain` stopped at.
fn describe(e: &AuditError, prev: Option<&AuditRecord>, scope: ChainScope) -> String {
    let after = prev.map_or(String::new(), |p| format!(" after record {}", p.seq));
    match e {
        AuditError::HashMismatch { seq } => {
            format!("record {seq} was altered: its contents do not match its hash")
        }
        AuditError::BrokenLink { seq } => match scope {
            ChainScope::Log => format!(
                "record {seq} does not link to the record before it: a record was inserted \
                 or removed{after}"
            ),
            ChainScope::Vault(_) if prev.is_none() => {
                format!("record {seq} is not the vault's first record: earlier records are missing")
            }
            ChainScope::Vault(_) => format!(
                "record {seq} does not link to the vault's previous record: a record was \
                 inserted or removed{after}"
            ),
        },
        AuditError::BadSequence { seq } => format!(
            "record {seq} is out of sequence{after}: a record was removed, inserted or moved"
        ),
        AuditError::WrongVault { seq } => match scope {
            ChainScope::Vault(v) => format!(
                "record {seq} is not about vault {}, which the first record is about: a \
                 vault's export holds that vault's records only",
                v.to_hex()
            ),
            ChainScope::Log => format!("record {seq} belongs to another vault"),
        },
        AuditError::BadClientEvent { seq } => format!(
            "record {seq}: bad client signature, or the signed event does not match the record"
        ),
        other => other.to_string(),
    }
}
