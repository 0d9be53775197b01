//! Finding entries by what a user types: a name, an issuer, an AWS account id or alias.
//!
//! Used by `tessera code QUERY` / `tessera rm QUERY` (and usable by any front end), so every
//! client picks the same entry for the same words. Rules:
//!
//! - Comparison ignores case (Unicode lower-casing) and surrounding white space.
//! - A query of exactly 12 ASCII digits (optionally grouped with `-` or spaces, as the AWS
//!   console shows `1234-5678-9012`) is an AWS account id and matches `aws_account_id` only.
//! - Otherwise two tiers. **Exact**: the query equals the label, the issuer, the AWS account
//!   alias, the device name, or `issuer:label`. **Partial**: the query is a substring of the
//!   label, the issuer, the alias or `issuer:label`. If any entry matches exactly, only the exact
//!   matches are returned; partial matches count only when nothing matches exactly.
//! - An empty query matches nothing.
//!
//! The caller decides what to do with zero or several matches; this module never picks one of
//! several arbitrarily.

use crate::entry::Entry;

/// How a query was interpreted, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The query is a 12-digit AWS account id.
    AwsAccountId,
    /// Whole-field matches.
    Exact,
    /// Substring matches (no entry matched exactly).
    Partial,
}

/// The indices (into the slice given to [`find`]) of the matching entries, in slice order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matches {
    pub tier: Tier,
    pub indices: Vec<usize>,
}

/// True for a 12-digit AWS account id.
pub fn is_aws_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The entries that `query` designates, by the rules in the module doc.
pub fn find<'a, I>(entries: I, query: &str) -> Matches
where
    I: IntoIterator<Item = &'a Entry>,
{
    let q = query.trim();
    let digits: String = q.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if is_aws_account_id(&digits) {
        let indices = entries
            .into_iter()
            .enumerate()
            .filter(|(_, e)| e.aws_account_id.as_deref() == Some(digits.as_str()))
            .map(|(i, _)| i)
            .collect();
        return Matches {
            tier: Tier::AwsAccountId,
            indices,
        };
    }
    let q = q.to_lowercase();
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    if q.is_empty() {
        return Matches {
            tier: Tier::Exact,
            indices: exact,
        };
    }
    for (i, e) in entries.into_iter().enumerate() {
        let fields = Fields::of(e);
        if fields.exact(&q) {
            exact.push(i);
        } else if exact.is_empty() && fields.partial(&q) {
            partial.push(i);
        }
    }
    if exact.is_empty() {
        Matches {
            tier: Tier::Partial,
            indices: partial,
        }
    } else {
        Matches {
            tier: Tier::Exact,
            indices: exact,
        }
    }
}

/// The searchable fields of one entry, lower-cased once.
struct Fields {
    label: String,
    issuer: Option<String>,
    alias: Option<String>,
    device: Option<String>,
    issuer_label: Option<String>,
}

impl Fields {
    fn of(e: &Entry) -> Self {
        let lower = |s: &Option<String>| s.as_deref().map(str::to_lowercase);
        let label = e.label.to_lowercase();
        let issuer = lower(&e.issuer);
        let issuer_label = issuer.as_ref().map(|i| format!("{i}:{label}"));
        Self {
            label,
            issuer,
            alias: lower(&e.aws_account_alias),
            device: lower(&e.device_name),
            issuer_label,
        }
    }

    fn exact(&self, q: &str) -> bool {
        self.label == q
            || [&self.issuer, &self.alias, &self.device, &self.issuer_label]
                .into_iter()
                .any(|f| f.as_deref() == Some(q))
    }

    fn partial(&self, q: &str) -> bool {
        self.label.contains(q)
            || [&self.issuer, &self.alias, &self.issuer_label]
                .into_iter()
                .any(|f| f.as_deref().is_some_and(|f| f.contains(q)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretBytes;

    fn entry(label: &str, issuer: Option<&str>, id: Option<&str>, alias: Option<&str>) -> Entry {
        let mut e = Entry::new(SecretBytes::new(vec![1; 10]), label);
        e.issuer = issuer.map(Into::into);
        e.aws_account_id = id.map(Into::into);
        e.aws_account_alias = alias.map(Into::into);
        e
    }

    fn sample() -> Vec<Entry> {
        vec![
            entry("alice", Some("GitHub"), None, None),
            entry("alice@example.com", Some("Google"), None, None),
            entry(
                "root",
                Some("Amazon Web Services"),
                Some("123456789012"),
                Some("acme-prod"),
            ),
            entry(
                "deploy",
                Some("Amazon Web Services"),
                Some("210987654321"),
                Some("acme-dev"),
            ),
            entry("bob", Some("GitHub"), None, None),
        ]
    }

    fn find_in(query: &str) -> Matches {
        find(&sample(), query)
    }

    #[test]
    fn account_id_matches_only_the_id_field() {
        assert_eq!(
            find_in("123456789012"),
            Matches {
                tier: Tier::AwsAccountId,
                indices: vec![2]
            }
        );
        assert_eq!(find_in(" 210987654321 ").indices, vec![3]);
        assert_eq!(find_in("2109-8765-4321").indices, vec![3]);
        assert_eq!(find_in("2109 8765 4321").indices, vec![3]);
        assert!(find_in("000000000000").indices.is_empty());
    }

    #[test]
    fn exact_fields_ignore_case() {
        assert_eq!(find_in("ACME-PROD").indices, vec![2]);
        assert_eq!(find_in("bob").indices, vec![4]);
        assert_eq!(find_in("github:alice").indices, vec![0]);
        assert_eq!(
            find_in("github"),
            Matches {
                tier: Tier::Exact,
                indices: vec![0, 4]
            }
        );
    }

    #[test]
    fn exact_beats_partial() {
        // "alice" is exactly entry 0's label and a substring of entry 1's: only 0 is returned.
        assert_eq!(find_in("alice").indices, vec![0]);
    }

    #[test]
    fn partial_when_nothing_is_exact() {
        assert_eq!(
            find_in("acme"),
            Matches {
                tier: Tier::Partial,
                indices: vec![2, 3]
            }
        );
        assert_eq!(find_in("goog").indices, vec![1]);
        assert_eq!(find_in("example.com").indices, vec![1]);
    }

    #[test]
    fn empty_or_unknown_matches_nothing() {
        assert!(find_in("").indices.is_empty());
        assert!(find_in("   ").indices.is_empty());
        assert!(find_in("gitlab").indices.is_empty());
    }

    #[test]
    fn device_name_is_exact_only() {
        let mut e = entry("root", None, None, None);
        e.device_name = Some("my-yubikey".into());
        assert_eq!(
            find(std::slice::from_ref(&e), "my-yubikey").indices,
            vec![0]
        );
        assert!(find(std::slice::from_ref(&e), "yubi").indices.is_empty());
    }

    #[test]
    fn account_id_check() {
        assert!(is_aws_account_id("012345678901"));
        assert!(!is_aws_account_id("01234567890"));
        assert!(!is_aws_account_id("0123456789012"));
        assert!(!is_aws_account_id("01234567890a"));
    }
}
