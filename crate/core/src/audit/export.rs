//! Verifying a JSON Lines export (FORMAT.md §13.3) as a whole: parse, check the chain along the
//! whole log or one vault's log, and compare the head with one obtained separately. Problems are
//! reported with the 1-based line of the record at fault, for people to find it.

use super::json::parse_jsonl;
use super::{AuditError, AuditHash, AuditRecord, ChainScope, verify_chain_at};
use crate::vault::VaultId;

/// Why an export does not verify, beyond [`AuditError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A record that does not parse or whose chain is broken.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A whole-log export that does not start at record 1: earlier records were removed.
    #[error("the log starts at record {seq}, not 1: earlier records were removed")]
    MissingStart { seq: u64 },
    /// The chain is intact but does not end at the expected head: newer records were removed,
    /// or this is another log.
    #[error("the chain is intact but does not end at the expected head")]
    HeadMismatch,
}

impl ExportError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::Audit(e) => e.code(),
            ExportError::MissingStart { .. } => "audit_missing_start",
            ExportError::HeadMismatch => "audit_head_mismatch",
        }
    }
}

/// The outcome of [`verify_jsonl`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    /// Records verified: all of them when `error` is `None`, those before the first problem
    /// otherwise (0 when a line does not parse).
    pub records: u64,
    /// Hash of the last record when the chain verified (`None` for an empty export or a broken
    /// chain).
    pub head: Option<AuditHash>,
    /// The first problem and its 1-based line.
    pub error: Option<(usize, ExportError)>,
}

/// Verifies an export: the whole log from record 1 when `vault` is `None`, else that vault's
/// log from its first record; then, if given, that the last record's hash is `expected_head`.
pub fn verify_jsonl(
    text: &str,
    vault: Option<VaultId>,
    expected_head: Option<&AuditHash>,
) -> ExportReport {
    match Export::parse(text) {
        Ok(export) => export.verify(vault, expected_head),
        Err((line, e)) => ExportReport {
            records: 0,
            head: None,
            error: Some((line, e.into())),
        },
    }
}

/// A parsed export: its records and the 1-based line each stands on (blank lines skipped).
#[derive(Clone, Debug)]
pub struct Export {
    records: Vec<AuditRecord>,
    lines: Vec<usize>,
}

impl Export {
    /// Parses every non-blank line as a record; the error names the 1-based line at fault.
    pub fn parse(text: &str) -> Result<Self, (usize, AuditError)> {
        let records = parse_jsonl(text)?;
        // parse_jsonl skips blank lines; number the others the same way.
        let lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, _)| i + 1)
            .collect();
        Ok(Export { records, lines })
    }

    /// The records, in the export's order.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// The 1-based line of record `i` (the last line past the end, 1 for an empty export).
    pub fn line_of(&self, i: usize) -> usize {
        self.lines
            .get(i)
            .or(self.lines.last())
            .copied()
            .unwrap_or(1)
    }

    /// [`verify_jsonl`] on the parsed records. On a broken chain, `records` of the report is
    /// also the index of the record at fault.
    pub fn verify(
        &self,
        vault: Option<VaultId>,
        expected_head: Option<&AuditHash>,
    ) -> ExportReport {
        let records = &self.records;
        let fail = |records: usize, e: ExportError| ExportReport {
            records: records as u64,
            head: None,
            error: Some((self.line_of(records), e)),
        };
        let scope = vault.map_or(ChainScope::Log, ChainScope::Vault);
        if let (ChainScope::Log, Some(first)) = (scope, records.first())
            && first.seq != 1
        {
            return fail(0, ExportError::MissingStart { seq: first.seq });
        }
        let summary = match verify_chain_at(records, scope) {
            Ok(s) => s,
            Err((i, e)) => return fail(i, e.into()),
        };
        let head = (!records.is_empty()).then_some(summary.head);
        if let Some(want) = expected_head
            && head.as_ref() != Some(want)
        {
            return ExportReport {
                records: summary.records,
                head,
                error: Some((
                    self.line_of(records.len().saturating_sub(1)),
                    ExportError::HeadMismatch,
                )),
            };
        }
        ExportReport {
            records: summary.records,
            head,
            error: None,
        }
    }
}
