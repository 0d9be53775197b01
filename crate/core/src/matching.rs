//! Which vault entry belongs on an AWS sign-in page, and whether a page is one at all.
//!
//! Two pure questions, answered without a browser so they are unit-tested here and called by the
//! extension's background through the wasm layer:
//!
//! - [`classify_host`]: is this URL an AWS console sign-in page, of which partition, and (for
//!   `ACCOUNT.signin.aws.amazon.com`) of which account? Anything else - `http`, a lookalike host,
//!   userinfo, a non-default port, a trailing dot, an IDN label - is `None`, and the extension
//!   fills nothing there.
//! - [`rank`]: given what the user typed at the credentials step ([`SignInContext`]) and the
//!   entries' metadata, which entries are candidates and how sure are we ([`MatchQuality`])?
//!   [`Ranking::decision`] says fill or ask: exactly one confident best candidate fills, anything
//!   else shows the chooser. Nothing here ever guesses silently.
//!
//! Sign-in hosts (AWS Sign-In endpoints, docs.aws.amazon.com/general/latest/gr/signin-service.html):
//! the global `signin.aws.amazon.com`, regional `us-east-2.signin.aws.amazon.com`, and the
//! per-account `ACCOUNT_ID_OR_ALIAS.signin.aws.amazon.com/console`; the same shapes under
//! `signin.amazonaws-us-gov.com`, `signin.amazonaws.cn` and `signin.amazonaws-eusc.eu`.

use crate::entry::{AwsPrincipal, Entry};

/// An AWS partition: a group of regions with its own sign-in domain and its own namespace of
/// account aliases (an alias is unique within a partition only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-us-gov`: AWS GovCloud (US).
    AwsUsGov,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-eusc`: the AWS European Sovereign Cloud.
    AwsEusc,
}

impl Partition {
    /// Every partition, in the order [`classify_host`] tries them.
    pub const ALL: [Partition; 4] = [Self::Aws, Self::AwsUsGov, Self::AwsCn, Self::AwsEusc];

    /// The partition's name as AWS spells it in ARNs (`aws`, `aws-us-gov`, ...).
    pub const fn id(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsCn => "aws-cn",
            Self::AwsEusc => "aws-eusc",
        }
    }

    /// The sign-in domain: the bare host, and the parent of regional and account hosts.
    pub const fn signin_domain(self) -> &'static str {
        match self {
            Self::Aws => "signin.aws.amazon.com",
            Self::AwsUsGov => "signin.amazonaws-us-gov.com",
            Self::AwsCn => "signin.amazonaws.cn",
            // Only `*.signin.amazonaws-eusc.eu` is documented; the bare host is accepted too
            // because the manifest's `*.` match pattern covers it (the content script runs there
            // anyway) and the domain is AWS's.
            Self::AwsEusc => "signin.amazonaws-eusc.eu",
        }
    }
}

/// An AWS account as typed at sign-in or named by a sign-in host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The 12-digit account id, digits only.
    Id(String),
    /// The account alias, lower case.
    Alias(String),
}

impl AccountRef {
    /// Reads an account id or alias as a person types it: surrounding white space is ignored, an
    /// id may be grouped with `-` or spaces (`1234-5678-9012`, as the console shows it), an alias
    /// is case-insensitive (AWS aliases are lower case).
    pub fn parse(text: &str) -> Result<Self, MatchingError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MatchingError::Empty);
        }
        let digits: String = text.chars().filter(|c| *c != '-' && *c != ' ').collect();
        if digits.len() == ACCOUNT_ID_LEN && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::Id(digits));
        }
        let alias = text.to_ascii_lowercase();
        if is_account_alias(&alias) {
            Ok(Self::Alias(alias))
        } else {
            Err(MatchingError::InvalidAccount)
        }
    }

    /// The id or alias as AWS writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Id(s) | Self::Alias(s) => s,
        }
    }
}

/// What a sign-in host says beyond its partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostScope {
    /// The partition's bare sign-in domain (`signin.aws.amazon.com`).
    Global,
    /// A regional endpoint (`us-east-2.signin.aws.amazon.com`).
    Regional {
        /// The region code, e.g. `us-east-2`.
        region: String,
    },
    /// An account's own sign-in URL (`123456789012.signin.aws.amazon.com`,
    /// `my-alias.signin.aws.amazon.com`).
    Account(AccountRef),
}

/// A URL that [`classify_host`] accepted as an AWS console sign-in page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsSignInHost {
    pub partition: Partition,
    /// The host name, lower case, without port.
    pub host: String,
    pub scope: HostScope,
}

/// Why a typed sign-in value was refused. Never carries any character of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatchingError {
    /// Nothing but white space.
    #[error("the value is empty")]
    Empty,
    /// Neither a 12-digit account id nor an account alias (3 to 63 of `a-z`, `0-9` and `-`, not
    /// starting or ending with `-`, no `--`).
    #[error("not an AWS account id or alias")]
    InvalidAccount,
    /// Not an IAM user name (1 to 64 of letters, digits and `+=,.@_-`).
    #[error("not an IAM user name")]
    InvalidUserName,
    /// Not an e-mail address (one `@` with text on both sides, no white space, at most 254
    /// bytes).
    #[error("not an e-mail address")]
    InvalidEmail,
}

impl MatchingError {
    /// Stable identifier for programs (the wasm layer's `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "signin_empty",
            Self::InvalidAccount => "signin_invalid_account",
            Self::InvalidUserName => "signin_invalid_user_name",
            Self::InvalidEmail => "signin_invalid_email",
        }
    }
}

const ACCOUNT_ID_LEN: usize = 12;
const ALIAS_MIN_LEN: usize = 3;
const ALIAS_MAX_LEN: usize = 63;
const IAM_USER_NAME_MAX_LEN: usize = 64;
const EMAIL_MAX_LEN: usize = 254;

/// Classifies a page URL (as the browser reports it, e.g. `location.href`).
///
/// Accepts only `https`, the default port, and a host that is exactly a partition's sign-in
/// domain or one DNS label under it (a region code, a 12-digit account id or an account alias).
/// Host letters are compared case-insensitively. Rejects anything the browser would not have
/// normalised away: userinfo (`https://signin.aws.amazon.com@evil.com`), a trailing dot,
/// percent-escapes, backslashes, non-ASCII or `xn--` labels, IP literals, white space.
pub fn classify_host(url: &str) -> Option<AwsSignInHost> {
    const SCHEME: &str = "https://";
    let scheme = url.get(..SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let rest = &url[SCHEME.len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    // Userinfo, escapes, backslashes (which WHATWG URL parsing reads as `/`), IPv6 literals,
    // white space and control characters: a browser-normalised sign-in URL has none of them.
    if authority
        .bytes()
        .any(|b| matches!(b, b'@' | b'%' | b'\\' | b'[' | b']') || b <= b' ' || b == 0x7f)
    {
        return None;
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if !matches!(port, None | Some("") | Some("443")) {
        return None;
    }
    if host.is_empty() || !host.is_ascii() || host.ends_with('.') {
        return None;
    }
    let host = host.to_ascii_lowercase();
    for partition in Partition::ALL {
        let domain = partition.signin_domain();
        if host == domain {
            return Some(AwsSignInHost {
                partition,
                host,
                scope: HostScope::Global,
            });
        }
        let Some(label) = host.strip_suffix(domain).and_then(|h| h.strip_suffix('.')) else {
            continue;
        };
        let scope = classify_label(label)?;
        return Some(AwsSignInHost {
            partition,
            host,
            scope,
        });
    }
    None
}

/// The one label in front of a sign-in domain: a region, an account id or an alias.
fn classify_label(label: &str) -> Option<HostScope> {
    // A dot means more than one label (`a.b.signin.aws.amazon.com`): no AWS sign-in URL has that.
    if label.contains('.') || label.starts_with("xn--") {
        return None;
    }
    if label.len() == ACCOUNT_ID_LEN && label.bytes().all(|b| b.is_ascii_digit()) {
        return Some(HostScope::Account(AccountRef::Id(label.to_owned())));
    }
    if is_region(label) {
        return Some(HostScope::Regional {
            region: label.to_owned(),
        });
    }
    if is_account_alias(label) {
        return Some(HostScope::Account(AccountRef::Alias(label.to_owned())));
    }
    None
}

/// A region code: a known geography, letter-only middle parts including a compass direction, and
/// a number (`us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `eusc-de-east-1`). Such labels cannot
/// be account aliases: the regional sign-in endpoint owns the host name.
fn is_region(label: &str) -> bool {
    const GEOGRAPHIES: [&str; 11] = [
        "af", "ap", "ca", "cn", "eu", "eusc", "il", "me", "mx", "sa", "us",
    ];
    const DIRECTIONS: [&str; 9] = [
        "central",
        "north",
        "south",
        "east",
        "west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ];
    let parts: Vec<&str> = label.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    !middle.is_empty()
        && GEOGRAPHIES.contains(first)
        && middle
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && middle.iter().any(|p| DIRECTIONS.contains(p))
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// IAM's rule for account aliases (CreateAccountAlias, pattern
/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`): 3 to 63 of lower-case letters, digits and `-`,
/// not starting or ending with `-`, never two `-` in a row (so never an `xn--` label either).
fn is_account_alias(s: &str) -> bool {
    (ALIAS_MIN_LEN..=ALIAS_MAX_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Who signs in, as typed at the credentials step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInPrincipal {
    /// The root user; the e-mail is known when the user typed it (root sign-in asks for it).
    Root { email: Option<String> },
    /// An IAM user, by user name.
    IamUser { name: String },
}

impl SignInPrincipal {
    /// The root user signing in with `email` (trimmed; compared case-insensitively).
    pub fn root_email(email: &str) -> Result<Self, MatchingError> {
        Ok(Self::Root {
            email: Some(parse_email(email)?),
        })
    }

    /// An IAM user (trimmed). IAM user names are unique in an account regardless of case.
    pub fn iam_user(name: &str) -> Result<Self, MatchingError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(MatchingError::Empty);
        }
        let valid = name.len() <= IAM_USER_NAME_MAX_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if valid {
            Ok(Self::IamUser {
                name: name.to_owned(),
            })
        } else {
            Err(MatchingError::InvalidUserName)
        }
    }
}

fn parse_email(text: &str) -> Result<String, MatchingError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MatchingError::Empty);
    }
    let valid = text.len() <= EMAIL_MAX_LEN
        && !text.chars().any(char::is_whitespace)
        && matches!(text.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid {
        Ok(text.to_owned())
    } else {
        Err(MatchingError::InvalidEmail)
    }
}

/// What the first sign-in field held. Since 2018 AWS asks one question first ("root user e-mail
/// or account ID/alias", the page's `resolving_input`): an `@` means a root e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvingInput {
    RootEmail(String),
    Account(AccountRef),
}

impl ResolvingInput {
    pub fn parse(text: &str) -> Result<Self, MatchingError> {
        if text.contains('@') {
            parse_email(text).map(Self::RootEmail)
        } else {
            AccountRef::parse(text).map(Self::Account)
        }
    }
}

/// What the extension knows about a sign-in in progress in one tab: the host it started on and
/// what the user typed, kept by the background across the redirect from
/// `ACCOUNT.signin.aws.amazon.com` to a regional or global host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInContext {
    /// Entries do not record a partition yet, so it is not compared; kept so the caller can.
    pub partition: Option<Partition>,
    pub account: Option<AccountRef>,
    pub principal: Option<SignInPrincipal>,
}

impl SignInContext {
    /// The context a sign-in host gives before anything is typed: its partition, and its account
    /// for `ACCOUNT.signin...` hosts.
    pub fn from_host(host: &AwsSignInHost) -> Self {
        let account = match &host.scope {
            HostScope::Account(account) => Some(account.clone()),
            HostScope::Global | HostScope::Regional { .. } => None,
        };
        Self {
            partition: Some(host.partition),
            account,
            principal: None,
        }
    }

    /// What names the account in this context, for remembering a choice per account:
    /// `PARTITION:id:DIGITS`, `PARTITION:alias:ALIAS` or `PARTITION:root:EMAIL` (the normalised
    /// values, the e-mail in lower case; `aws` when the partition is unknown), `None` when
    /// nothing does.
    pub fn account_key(&self) -> Option<String> {
        let partition = self.partition.map_or("aws", |p| p.id());
        match (&self.account, &self.principal) {
            (Some(AccountRef::Id(id)), _) => Some(format!("{partition}:id:{id}")),
            (Some(AccountRef::Alias(alias)), _) => Some(format!("{partition}:alias:{alias}")),
            (None, Some(SignInPrincipal::Root { email: Some(email) })) => {
                Some(format!("{partition}:root:{}", email.to_ascii_lowercase()))
            }
            _ => None,
        }
    }

    /// Records the first field (`resolving_input`): a root e-mail or an account.
    pub fn apply_resolving_input(&mut self, input: ResolvingInput) {
        match input {
            ResolvingInput::RootEmail(email) => {
                self.principal = Some(SignInPrincipal::Root { email: Some(email) })
            }
            ResolvingInput::Account(account) => self.account = Some(account),
        }
    }
}

/// How sure a candidate is, weakest first (the order is meaningful: `Ord` ranks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchQuality {
    /// An AWS entry that nothing confirms and nothing contradicts.
    Possible,
    /// The principal agrees (same IAM user name, or both root) but the account is unknown on one
    /// side. IAM user names repeat across accounts: never enough to fill.
    Principal,
    /// The account agrees; the principal is unknown on one side.
    Account,
    /// The account and the principal agree, or the root e-mail agrees (it names one account).
    Exact,
}

impl MatchQuality {
    /// Whether a lone best candidate of this quality may be filled without asking.
    pub fn is_confident(self) -> bool {
        matches!(self, Self::Account | Self::Exact)
    }
}

/// One entry that may belong on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Position of the entry in the slice or iterator given to [`rank`].
    pub index: usize,
    pub quality: MatchQuality,
}

/// What the caller should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Fill the code of the entry at this index without asking.
    Fill { index: usize },
    /// Show the chooser with [`Ranking::candidates`] (possibly none).
    Choose,
}

/// The candidates for a sign-in, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranking {
    candidates: Vec<Candidate>,
}

impl Ranking {
    /// Best first; equal qualities keep the entries' order. Entries that contradict the context
    /// (another account, another user, root versus IAM) and entries with nothing to do with AWS
    /// are absent.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// Fill when exactly one candidate has the best quality and that quality is confident;
    /// otherwise ask.
    pub fn decision(&self) -> Decision {
        match self.candidates.as_slice() {
            [best, rest @ ..]
                if best.quality.is_confident()
                    && rest.first().is_none_or(|next| next.quality < best.quality) =>
            {
                Decision::Fill { index: best.index }
            }
            _ => Decision::Choose,
        }
    }

    /// Like [`Ranking::decision`], but a choice the user confirmed earlier for this account wins
    /// as long as it is still a candidate (nothing in the context contradicts it).
    pub fn decision_remembering(&self, remembered: Option<usize>) -> Decision {
        match remembered {
            Some(index) if self.candidates.iter().any(|c| c.index == index) => {
                Decision::Fill { index }
            }
            _ => self.decision(),
        }
    }
}

/// Ranks `entries` for a sign-in. Pure: the same context and entries give the same ranking.
pub fn rank<'a>(context: &SignInContext, entries: impl IntoIterator<Item = &'a Entry>) -> Ranking {
    let candidates: Vec<Candidate> = entries
        .into_iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            quality(context, entry).map(|quality| Candidate { index, quality })
        })
        .collect();
    // Best quality first; equal qualities keep the vault's order. Four qualities, so a stable
    // bucket pass instead of a slice sort (the sort's code was ~4 KB of the gzipped wasm).
    let candidates = [
        MatchQuality::Exact,
        MatchQuality::Account,
        MatchQuality::Principal,
        MatchQuality::Possible,
    ]
    .iter()
    .flat_map(|&q| candidates.iter().filter(move |c| c.quality == q).copied())
    .collect();
    Ranking { candidates }
}

/// One side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Evidence {
    /// One side does not say.
    Unknown,
    /// Both sides say, and agree.
    Agrees,
    /// Both sides say, and differ: the entry is not a candidate.
    Contradicts,
}

fn quality(context: &SignInContext, entry: &Entry) -> Option<MatchQuality> {
    use Evidence::{Agrees, Contradicts, Unknown};
    let account = account_evidence(context.account.as_ref(), entry);
    let (principal, root_email_agrees) = principal_evidence(context.principal.as_ref(), entry);
    match (account, principal) {
        (Contradicts, _) | (_, Contradicts) => None,
        _ if root_email_agrees => Some(MatchQuality::Exact),
        (Agrees, Agrees) => Some(MatchQuality::Exact),
        (Agrees, Unknown) => Some(MatchQuality::Account),
        (Unknown, Agrees) => Some(MatchQuality::Principal),
        (Unknown, Unknown) => looks_like_aws(entry).then_some(MatchQuality::Possible),
    }
}

fn account_evidence(account: Option<&AccountRef>, entry: &Entry) -> Evidence {
    let compare = |ours: &str, theirs: Option<&str>| match theirs {
        None => Evidence::Unknown,
        Some(theirs) if theirs == ours => Evidence::Agrees,
        Some(_) => Evidence::Contradicts,
    };
    match account {
        None => Evidence::Unknown,
        Some(AccountRef::Id(id)) => {
            let theirs = entry
                .aws_account_id
                .as_deref()
                .map(|s| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>());
            compare(id, theirs.as_deref())
        }
        Some(AccountRef::Alias(alias)) => {
            let theirs = entry
                .aws_account_alias
                .as_deref()
                .map(|s| s.trim().to_ascii_lowercase());
            compare(alias, theirs.as_deref())
        }
    }
}

/// The principal comparison, and whether it agreed on a root e-mail (which alone names the
/// account: one e-mail is the root of at most one AWS account).
fn principal_evidence(principal: Option<&SignInPrincipal>, entry: &Entry) -> (Evidence, bool) {
    let (Some(ours), Some(theirs)) = (principal, entry.aws_principal.as_ref()) else {
        return (Evidence::Unknown, false);
    };
    match (ours, theirs) {
        (SignInPrincipal::Root { email: Some(a) }, AwsPrincipal::Root { email: Some(b) }) => {
            if a.trim().eq_ignore_ascii_case(b.trim()) {
                (Evidence::Agrees, true)
            } else {
                (Evidence::Contradicts, false)
            }
        }
        (SignInPrincipal::Root { .. }, AwsPrincipal::Root { .. }) => (Evidence::Agrees, false),
        (SignInPrincipal::IamUser { name: a }, AwsPrincipal::IamUser { name: b }) => {
            if a.trim().eq_ignore_ascii_case(b.trim()) {
                (Evidence::Agrees, false)
            } else {
                (Evidence::Contradicts, false)
            }
        }
        (SignInPrincipal::Root { .. }, AwsPrincipal::IamUser { .. })
        | (SignInPrincipal::IamUser { .. }, AwsPrincipal::Root { .. }) => {
            (Evidence::Contradicts, false)
        }
    }
}

/// An entry with AWS metadata, or whose issuer is AWS's (`Amazon Web Services`, as AWS's otpauth
/// URIs say, or `AWS`).
fn looks_like_aws(entry: &Entry) -> bool {
    entry.aws_account_id.is_some()
        || entry.aws_account_alias.is_some()
        || entry.aws_principal.is_some()
        || entry.issuer.as_deref().is_some_and(|issuer| {
            let issuer = issuer.trim();
            issuer.eq_ignore_ascii_case("Amazon Web Services") || issuer.eq_ignore_ascii_case("AWS")
        })
}

#[cfg(test)]
mod tests;
