//! Reading a paste or a file of credentials: one `otpauth://` URI or Google Authenticator
//! export (`otpauth-migration://`) per line, as the CLI's `import FILE` and the extension's
//! "paste URIs" box accept them.
//!
//! Blank lines and lines starting with `#` are skipped. Every other line yields one item per
//! entry, each with its own result, so one bad line does not cost the user the others. Which
//! line (and which entry of an export) each item came from is kept for messages.

use crate::entry::Entry;
use crate::migration::{self, MigrationError};
use crate::otpauth::{self, OtpAuthError};

/// Longest text read, in bytes: room for [`crate::vault::MAX_ENTRIES`]-scale pastes, no more.
pub const MAX_IMPORT_LEN: usize = 16 * 1024 * 1024;

/// Why one line (or one entry of an export) was not imported. Carries no seed or name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The whole text is longer than [`MAX_IMPORT_LEN`].
    #[error("the import is longer than {MAX_IMPORT_LEN} bytes")]
    TooLong,
    /// A line that is neither an `otpauth://` nor an `otpauth-migration://` URI.
    #[error("the line is not an otpauth:// or otpauth-migration:// URI")]
    UnrecognisedLine,
    /// An `otpauth://` line the otpauth parser refused.
    #[error(transparent)]
    OtpAuth(#[from] OtpAuthError),
    /// An export line (or one entry of it) the migration reader refused.
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

impl ImportError {
    /// Stable identifier for programs: the underlying parser's code, or `import_*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "import_too_long",
            Self::UnrecognisedLine => "import_unrecognised_line",
            Self::OtpAuth(e) => e.code(),
            Self::Migration(e) => e.code(),
        }
    }
}

/// One credential read from the text, or why it could not be.
#[derive(Debug)]
pub struct ImportItem {
    /// 1-based line number in the text.
    pub line: usize,
    /// For exports: the 0-based position of the entry in the export's payload.
    pub index: Option<usize>,
    pub result: Result<Entry, ImportError>,
}

/// Reads every credential in `text`, in order. See the module documentation.
pub fn read(text: &str) -> Result<Vec<ImportItem>, ImportError> {
    if text.len() > MAX_IMPORT_LEN {
        return Err(ImportError::TooLong);
    }
    let mut items = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let scheme = trimmed.split_once("://").map(|(s, _)| s).unwrap_or("");
        if scheme.eq_ignore_ascii_case("otpauth") {
            let result = otpauth::parse(trimmed)
                .map(Entry::from)
                .map_err(ImportError::from);
            items.push(ImportItem {
                line,
                index: None,
                result,
            });
        } else if scheme.eq_ignore_ascii_case("otpauth-migration") {
            match migration::parse(trimmed) {
                Ok(batch) => {
                    items.extend(batch.entries.into_iter().enumerate().map(|(index, r)| {
                        ImportItem {
                            line,
                            index: Some(index),
                            result: r.map_err(ImportError::from),
                        }
                    }))
                }
                Err(e) => items.push(ImportItem {
                    line,
                    index: None,
                    result: Err(e.into()),
                }),
            }
        } else {
            items.push(ImportItem {
                line,
                index: None,
                result: Err(ImportError::UnrecognisedLine),
            });
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOTP: &str = "otpauth://totp/Example:bob?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn reads_lines_and_keeps_positions() {
        let text = format!("# my codes\n\n{TOTP}\nnot a uri\r\n  {TOTP}  \notpauth://totp/x\n");
        let items = read(&text).unwrap();
        let summary: Vec<_> = items
            .iter()
            .map(|it| {
                (
                    it.line,
                    it.index,
                    it.result
                        .as_ref()
                        .map(|e| e.label.clone())
                        .map_err(|e| e.code()),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (3, None, Ok("bob".to_owned())),
                (4, None, Err("import_unrecognised_line")),
                (5, None, Ok("bob".to_owned())),
                (6, None, Err("otpauth_missing_secret")),
            ]
        );
    }

    #[test]
    fn export_entries_come_one_by_one() {
        // An export with no entries and one with a broken payload.
        let items =
            read("otpauth-migration://offline?data=EAE%3D\nOTPAUTH-MIGRATION://offline?data=Q")
                .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].line, 2);
        assert_eq!(
            items[0].result.as_ref().map(|_| ()).unwrap_err().code(),
            "migration_bad_base64"
        );
    }

    #[test]
    fn refuses_huge_text() {
        let text = "#".repeat(MAX_IMPORT_LEN + 1);
        assert_eq!(read(&text).unwrap_err(), ImportError::TooLong);
    }
}
