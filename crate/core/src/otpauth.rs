//! `otpauth://` URIs (Google's Key URI format), read leniently and written canonically.
//!
//! ```text
//! otpauth://TYPE/LABEL?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30&counter=N
//! LABEL = [ISSUER ":"] ACCOUNT
//! ```
//!
//! Lenient where real apps are: scheme, type, parameter names and algorithm in any case;
//! parameters in any order; unknown parameters (`image`, `color`, ...) ignored; the label's
//! issuer prefix separated by `:` or `%3A` with optional spaces around it; `%40` for `@`; `+`
//! for a space in parameter values (form encoding; a literal `+` in the label stays a `+`, as in
//! `john+tag@example.com`); secrets in lower case, with spaces or padding.
//!
//! Strict where it matters, one [`OtpAuthError`] variant each: size, scheme, type, text encoding,
//! a known parameter given twice, missing, empty or non-base32 secret, unknown algorithm, digits,
//! period, missing or bad HOTP counter.
//!
//! Issuer: when both the `issuer` parameter and the label prefix are present, the **parameter
//! wins** (Google's format calls it the recommended one) and a different prefix is not an error:
//! apps disagree about spelling (`Amazon Web Services` vs `AWS`), and refusing would lose the
//! seed over a display name.
//!
//! AWS labels (`Amazon Web Services:<device>@<account>`): see [`OtpAuth`]'s AWS fields for what
//! is recognised and what is deliberately not guessed.

use core::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};
use zeroize::Zeroizing;

use crate::entry::{AwsPrincipal, Entry};
use crate::otp::{Algorithm, MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, OtpError, OtpKind, OtpParams};
use crate::secret::{Base32Error, SecretBytes};

/// Longest URI read, in bytes. A QR code holds at most about 3 KB; anything near this is not a
/// credential.
pub const MAX_URI_LEN: usize = 8192;
/// The issuer AWS writes in its MFA URIs.
pub const AWS_ISSUER: &str = "Amazon Web Services";
/// The device name the AWS console gave the root user's virtual MFA device.
pub const AWS_ROOT_DEVICE_NAME: &str = "root-account-mfa-device";

const SCHEME: &str = "otpauth";
/// Unreserved characters (RFC 3986) stay; everything else is percent-encoded.
const VALUE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`VALUE_SET`], but `@` stays readable in labels (`device@account`).
const LABEL_SET: &AsciiSet = &VALUE_SET.remove(b'@');

/// Why an otpauth URI was refused. Never carries any part of the URI (it holds a secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtpAuthError {
    /// Longer than [`MAX_URI_LEN`] bytes.
    #[error("the otpauth URI is longer than {MAX_URI_LEN} bytes")]
    TooLong,
    /// Not `otpauth://`.
    #[error("not an otpauth:// URI")]
    BadScheme,
    /// A type other than `totp` or `hotp`.
    #[error("the otpauth type must be totp or hotp")]
    BadType,
    /// A percent-encoded label or value that is not UTF-8.
    #[error("the otpauth URI has percent-encoded text that is not UTF-8")]
    BadEncoding,
    /// A known parameter (`name`) given more than once: which one is meant is anyone's guess.
    #[error("the otpauth parameter `{name}` is given more than once")]
    DuplicateParameter {
        /// The parameter's canonical (lower-case) name.
        name: &'static str,
    },
    /// No `secret` parameter.
    #[error("the otpauth URI has no secret")]
    MissingSecret,
    /// A `secret` parameter with nothing in it (separators and padding aside).
    #[error("the otpauth secret is empty")]
    EmptySecret,
    /// A `secret` that is not base32.
    #[error("the otpauth secret is not valid base32: {0}")]
    BadSecret(#[source] Base32Error),
    /// An `algorithm` other than SHA1, SHA256, SHA512.
    #[error("the otpauth algorithm is not SHA1, SHA256 or SHA512")]
    UnknownAlgorithm,
    /// `digits` not a number from 6 to 8.
    #[error("the otpauth digits must be 6, 7 or 8")]
    BadDigits,
    /// `period` not a whole number of seconds from 1 to one day.
    #[error("the otpauth period must be a number of seconds from 1 to {MAX_PERIOD}")]
    BadPeriod,
    /// An `hotp` URI without `counter`.
    #[error("the otpauth hotp URI has no counter")]
    MissingCounter,
    /// A `counter` that is not a non-negative 64-bit number.
    #[error("the otpauth counter is not a non-negative 64-bit number")]
    BadCounter,
}

impl OtpAuthError {
    /// Stable identifier for programs (the wasm layer's `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "otpauth_too_long",
            Self::BadScheme => "otpauth_bad_scheme",
            Self::BadType => "otpauth_bad_type",
            Self::BadEncoding => "otpauth_bad_encoding",
            Self::DuplicateParameter { .. } => "otpauth_duplicate_param",
            Self::MissingSecret => "otpauth_missing_secret",
            Self::EmptySecret => "otpauth_empty_secret",
            Self::BadSecret(_) => "otpauth_bad_secret",
            Self::UnknownAlgorithm => "otpauth_unknown_algorithm",
            Self::BadDigits => "otpauth_bad_digits",
            Self::BadPeriod => "otpauth_bad_period",
            Self::MissingCounter => "otpauth_missing_counter",
            Self::BadCounter => "otpauth_bad_counter",
        }
    }
}

/// What an otpauth URI says. `Debug` never shows the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpAuth {
    pub secret: SecretBytes,
    pub params: OtpParams,
    /// The label's account part (after `Issuer:`), decoded and trimmed. May be empty.
    pub account: String,
    /// The `issuer` parameter if present and not blank, else the label prefix.
    pub issuer: Option<String>,
    /// AWS labels only: the 12-digit account id after the last `@`.
    pub aws_account_id: Option<String>,
    /// AWS labels only: the account alias after the last `@` (lower-case letters, digits and
    /// inner hyphens, 3 to 63 characters, as AWS requires).
    pub aws_account_alias: Option<String>,
    /// Set only when certain: [`AwsPrincipal::Root`] when the device name is exactly
    /// [`AWS_ROOT_DEVICE_NAME`], the name the console gave every root device. Never
    /// [`AwsPrincipal::IamUser`]: IAM device names are often but not always the user name, and
    /// a wrong user name is worse than none.
    pub aws_principal: Option<AwsPrincipal>,
    /// AWS labels only: the text before the last `@` (device names may themselves hold `@`).
    pub device_name: Option<String>,
}

impl OtpAuth {
    /// Reads an `otpauth://` URI (surrounding white space ignored).
    pub fn parse(uri: &str) -> Result<Self, OtpAuthError> {
        parse(uri)
    }

    /// The canonical URI: type, `Issuer:account` label, then `secret` (unpadded upper-case
    /// base32), `issuer`, `algorithm`, `digits`, and `period` or `counter`, all explicit.
    /// Zeroized on drop, since it holds the secret. Very long labels can make it longer than
    /// [`MAX_URI_LEN`], which [`parse`] refuses.
    pub fn to_uri(&self) -> Result<Zeroizing<String>, OtpError> {
        emit(
            &self.secret,
            &self.params,
            &self.account,
            self.issuer.as_deref(),
        )
    }

    /// The vault entry: the account becomes the label; notes are empty.
    pub fn into_entry(self) -> Entry {
        Entry {
            secret: self.secret,
            otp: self.params,
            label: self.account,
            issuer: self.issuer,
            aws_account_id: self.aws_account_id,
            aws_account_alias: self.aws_account_alias,
            aws_principal: self.aws_principal,
            device_name: self.device_name,
            notes: None,
        }
    }
}

impl From<OtpAuth> for Entry {
    fn from(otpauth: OtpAuth) -> Self {
        otpauth.into_entry()
    }
}

impl FromStr for OtpAuth {
    type Err = OtpAuthError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        parse(uri)
    }
}

/// The canonical URI of `entry` (see [`OtpAuth::to_uri`]). Its notes and AWS fields are not
/// written: the label already carries what AWS put there.
pub fn to_uri(entry: &Entry) -> Result<Zeroizing<String>, OtpError> {
    emit(
        &entry.secret,
        &entry.otp,
        &entry.label,
        entry.issuer.as_deref(),
    )
}

/// Reads an `otpauth://` URI; see the module documentation for what is accepted.
pub fn parse(uri: &str) -> Result<OtpAuth, OtpAuthError> {
    if uri.len() > MAX_URI_LEN {
        return Err(OtpAuthError::TooLong);
    }
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once("://").ok_or(OtpAuthError::BadScheme)?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(OtpAuthError::BadScheme);
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, label) = path.split_once('/').unwrap_or((path, ""));
    let hotp = if kind.eq_ignore_ascii_case("totp") {
        false
    } else if kind.eq_ignore_ascii_case("hotp") {
        true
    } else {
        return Err(OtpAuthError::BadType);
    };

    let (label_issuer, account) = split_label(label)?;
    let query = Query::read(query)?;

    let secret_text = query.secret.ok_or(OtpAuthError::MissingSecret)?;
    let secret_text = decode_value_secret(secret_text)?;
    let secret = SecretBytes::from_base32(&secret_text).map_err(|error| match error {
        Base32Error::Empty => OtpAuthError::EmptySecret,
        other => OtpAuthError::BadSecret(other),
    })?;

    let algorithm = match query.algorithm {
        None => Algorithm::Sha1,
        Some(raw) => {
            Algorithm::from_name(decode_value(raw)?.trim()).ok_or(OtpAuthError::UnknownAlgorithm)?
        }
    };
    let digits = match query.digits {
        None => 6,
        Some(raw) => decimal::<u8>(&decode_value(raw)?)
            .filter(|digits| (MIN_DIGITS..=MAX_DIGITS).contains(digits))
            .ok_or(OtpAuthError::BadDigits)?,
    };
    let kind = if hotp {
        let raw = query.counter.ok_or(OtpAuthError::MissingCounter)?;
        let counter = decimal::<u64>(&decode_value(raw)?).ok_or(OtpAuthError::BadCounter)?;
        OtpKind::Hotp { counter }
    } else {
        let period = match query.period {
            None => 30,
            Some(raw) => decimal::<u32>(&decode_value(raw)?)
                .filter(|period| (1..=MAX_PERIOD).contains(period))
                .ok_or(OtpAuthError::BadPeriod)?,
        };
        OtpKind::Totp { period }
    };

    let issuer_param = match query.issuer {
        None => None,
        Some(raw) => non_blank(decode_value(raw)?.trim()),
    };
    let issuer = issuer_param.or(label_issuer);
    let aws = AwsLabel::recognise(issuer.as_deref(), &account);
    Ok(OtpAuth {
        secret,
        params: OtpParams {
            kind,
            algorithm,
            digits,
        },
        account,
        issuer,
        aws_account_id: aws.account_id,
        aws_account_alias: aws.account_alias,
        aws_principal: aws.principal,
        device_name: aws.device_name,
    })
}

/// The known parameters, still percent-encoded. Unknown ones are dropped.
#[derive(Default)]
struct Query<'a> {
    secret: Option<&'a str>,
    issuer: Option<&'a str>,
    algorithm: Option<&'a str>,
    digits: Option<&'a str>,
    period: Option<&'a str>,
    counter: Option<&'a str>,
}

impl<'a> Query<'a> {
    fn read(query: &'a str) -> Result<Self, OtpAuthError> {
        let mut out = Self::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, slot) = match key.to_ascii_lowercase().as_str() {
                "secret" => ("secret", &mut out.secret),
                "issuer" => ("issuer", &mut out.issuer),
                "algorithm" => ("algorithm", &mut out.algorithm),
                "digits" => ("digits", &mut out.digits),
                "period" => ("period", &mut out.period),
                "counter" => ("counter", &mut out.counter),
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(OtpAuthError::DuplicateParameter { name });
            }
        }
        Ok(out)
    }
}

/// Splits the raw label at the first literal `:`, or failing that the first `%3A`, and
/// decodes both halves. A blank prefix is no issuer.
fn split_label(raw: &str) -> Result<(Option<String>, String), OtpAuthError> {
    let split = raw.find(':').map(|at| (at, 1)).or_else(|| {
        raw.as_bytes()
            .windows(3)
            .position(|w| w[0] == b'%' && w[1] == b'3' && w[2].eq_ignore_ascii_case(&b'a'))
            .map(|at| (at, 3))
    });
    match split {
        Some((at, width)) => {
            let issuer = decode_label(&raw[..at])?;
            let account = decode_label(&raw[at + width..])?;
            Ok((non_blank(issuer.trim()), account.trim().to_owned()))
        }
        None => Ok((None, decode_label(raw)?.trim().to_owned())),
    }
}

fn non_blank(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Path text: `%XX` decoded, `+` kept.
fn decode_label(raw: &str) -> Result<String, OtpAuthError> {
    String::from_utf8(percent_decode(raw.as_bytes()).collect())
        .map_err(|_| OtpAuthError::BadEncoding)
}

/// Query value (form encoding): `+` is a space, `%XX` decoded.
fn decode_value(raw: &str) -> Result<String, OtpAuthError> {
    let plus_as_space: Vec<u8> = raw
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8(percent_decode(&plus_as_space).collect())
        .map_err(|_| OtpAuthError::BadEncoding)
}

/// [`decode_value`] for the secret: every buffer is wiped.
fn decode_value_secret(raw: &str) -> Result<Zeroizing<String>, OtpAuthError> {
    let plus_as_space: Zeroizing<Vec<u8>> = Zeroizing::new(
        raw.bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect(),
    );
    // Sized up front: growing would leave unwiped copies behind.
    let mut decoded = Vec::with_capacity(plus_as_space.len());
    decoded.extend(percent_decode(&plus_as_space));
    match String::from_utf8(decoded) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(error) => {
            drop(Zeroizing::new(error.into_bytes()));
            Err(OtpAuthError::BadEncoding)
        }
    }
}

/// A plain decimal number: ASCII digits only (no sign, no spaces), in range for `T`.
fn decimal<T: FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn emit(
    secret: &SecretBytes,
    params: &OtpParams,
    account: &str,
    issuer: Option<&str>,
) -> Result<Zeroizing<String>, OtpError> {
    params.validate()?;
    crate::otp::validate_secret(secret)?;
    let issuer = issuer.filter(|issuer| !issuer.is_empty());
    let mut uri = Zeroizing::new(String::with_capacity(128 + 2 * secret.len()));
    uri.push_str(SCHEME);
    uri.push_str("://");
    uri.push_str(params.kind.name());
    uri.push('/');
    match issuer {
        Some(issuer) => {
            uri.extend(utf8_percent_encode(issuer, LABEL_SET));
            uri.push(':');
        }
        // Without this empty prefix, a `%3A` inside the account would read as the separator.
        None if account.contains(':') => uri.push(':'),
        None => {}
    }
    uri.extend(utf8_percent_encode(account, LABEL_SET));
    uri.push_str("?secret=");
    uri.push_str(&secret.to_base32());
    if let Some(issuer) = issuer {
        uri.push_str("&issuer=");
        uri.extend(utf8_percent_encode(issuer, VALUE_SET));
    }
    uri.push_str("&algorithm=");
    uri.push_str(params.algorithm.name());
    uri.push_str("&digits=");
    uri.push_str(&params.digits.to_string());
    match params.kind {
        OtpKind::Totp { period } => {
            uri.push_str("&period=");
            uri.push_str(&period.to_string());
        }
        OtpKind::Hotp { counter } => {
            uri.push_str("&counter=");
            uri.push_str(&counter.to_string());
        }
    }
    Ok(uri)
}

/// The AWS fields of a label, empty unless the label is recognisably AWS's.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct AwsLabel {
    pub(crate) account_id: Option<String>,
    pub(crate) account_alias: Option<String>,
    pub(crate) principal: Option<AwsPrincipal>,
    pub(crate) device_name: Option<String>,
}

impl AwsLabel {
    /// `account` is `<device>@<account id or alias>`, split at the last `@`. Recognised when:
    /// - the issuer is [`AWS_ISSUER`] (any case) and the part after `@` is a 12-digit id or an
    ///   alias;
    /// - there is no issuer (old AWS URIs) and the part after `@` is a 12-digit id, or the device
    ///   is [`AWS_ROOT_DEVICE_NAME`] and the part after `@` is an alias. A bare `name@word`
    ///   without issuer is not taken for AWS: it is as likely a mail-like login elsewhere.
    pub(crate) fn recognise(issuer: Option<&str>, account: &str) -> Self {
        let aws_issuer = match issuer {
            Some(issuer) if issuer.eq_ignore_ascii_case(AWS_ISSUER) => true,
            Some(_) => return Self::default(),
            None => false,
        };
        let Some((device, target)) = account.rsplit_once('@') else {
            return Self::default();
        };
        let device = device.trim();
        let target = target.trim();
        if device.is_empty() {
            return Self::default();
        }
        let root = device == AWS_ROOT_DEVICE_NAME;
        let (account_id, account_alias) = if is_account_id(target) {
            (Some(target.to_owned()), None)
        } else if is_account_alias(target) && (aws_issuer || root) {
            (None, Some(target.to_owned()))
        } else {
            return Self::default();
        };
        Self {
            account_id,
            account_alias,
            principal: root.then_some(AwsPrincipal::Root { email: None }),
            device_name: Some(device.to_owned()),
        }
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// AWS's alias rule: 3 to 63 of `a-z0-9-`, starting and ending with a letter or digit.
fn is_account_alias(text: &str) -> bool {
    let bytes = text.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes.first().is_some_and(|&b| b != b'-')
        && bytes.last().is_some_and(|&b| b != b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

    fn ok(uri: &str) -> OtpAuth {
        parse(uri).unwrap()
    }

    fn err(uri: &str) -> &'static str {
        parse(uri).unwrap_err().code()
    }

    #[test]
    fn minimal_totp_defaults() {
        let parsed = ok(&format!("otpauth://totp/alice?secret={B32}"));
        assert_eq!(parsed.params, OtpParams::default());
        assert_eq!(parsed.account, "alice");
        assert_eq!(parsed.issuer, None);
        assert_eq!(parsed.secret.expose(), b"12345678901234567890");
    }

    #[test]
    fn issuer_from_label_prefix_with_spaces_and_encoded_colon() {
        for label in [
            "ACME%20Co:john",
            "ACME%20Co%3Ajohn",
            "ACME%20Co%3a%20%20john",
            "ACME Co: john",
        ] {
            let parsed = ok(&format!("otpauth://totp/{label}?secret={B32}"));
            assert_eq!(parsed.issuer.as_deref(), Some("ACME Co"), "{label}");
            assert_eq!(parsed.account, "john", "{label}");
        }
    }

    #[test]
    fn issuer_param_wins_over_label_prefix() {
        let parsed = ok(&format!(
            "otpauth://totp/Old:john?issuer=New+Name&secret={B32}"
        ));
        assert_eq!(parsed.issuer.as_deref(), Some("New Name"));
        assert_eq!(parsed.account, "john");
        let blank = ok(&format!("otpauth://totp/Old:john?issuer=&secret={B32}"));
        assert_eq!(blank.issuer.as_deref(), Some("Old"));
    }

    #[test]
    fn plus_in_label_is_literal() {
        let parsed = ok(&format!(
            "otpauth://totp/Site:john+tag%40example.com?secret={B32}"
        ));
        assert_eq!(parsed.account, "john+tag@example.com");
    }

    #[test]
    fn case_order_unknown_params() {
        let parsed = ok(&format!(
            "OTPAUTH://TOTP/x?image=https%3A%2F%2Fe.x%2Fa.png&Digits=8&ALGORITHM=sha512&period=60&SECRET={}",
            B32.to_lowercase()
        ));
        assert_eq!(parsed.params.algorithm, Algorithm::Sha512);
        assert_eq!(parsed.params.digits, 8);
        assert_eq!(parsed.params.kind, OtpKind::Totp { period: 60 });
    }

    #[test]
    fn hotp_counter() {
        let parsed = ok(&format!("otpauth://hotp/x?secret={B32}&counter=42"));
        assert_eq!(parsed.params.kind, OtpKind::Hotp { counter: 42 });
        assert_eq!(
            err(&format!("otpauth://hotp/x?secret={B32}")),
            "otpauth_missing_counter"
        );
        assert_eq!(
            err(&format!("otpauth://hotp/x?secret={B32}&counter=-1")),
            "otpauth_bad_counter"
        );
        assert_eq!(
            err(&format!(
                "otpauth://hotp/x?secret={B32}&counter=18446744073709551616"
            )),
            "otpauth_bad_counter"
        );
    }

    #[test]
    fn strict_errors() {
        assert_eq!(err("http://totp/x?secret=AAAA"), "otpauth_bad_scheme");
        assert_eq!(err("otpauth:totp/x?secret=AAAA"), "otpauth_bad_scheme");
        assert_eq!(err("otpauth://steam/x?secret=AAAA"), "otpauth_bad_type");
        assert_eq!(err("otpauth://totp/x?issuer=a"), "otpauth_missing_secret");
        assert_eq!(err("otpauth://totp/x?secret="), "otpauth_empty_secret");
        assert_eq!(
            err("otpauth://totp/x?secret=%20%20"),
            "otpauth_empty_secret"
        );
        assert_eq!(err("otpauth://totp/x?secret=ABC1"), "otpauth_bad_secret");
        assert_eq!(err("otpauth://totp/x?secret=A"), "otpauth_bad_secret");
        assert_eq!(
            err(&format!("otpauth://totp/x?secret={B32}&secret={B32}")),
            "otpauth_duplicate_param"
        );
        assert_eq!(
            err(&format!("otpauth://totp/x?secret={B32}&algorithm=md5")),
            "otpauth_unknown_algorithm"
        );
        for digits in ["5", "9", "", "six", "-6", "+6", "256"] {
            assert_eq!(
                err(&format!("otpauth://totp/x?secret={B32}&digits={digits}")),
                "otpauth_bad_digits"
            );
        }
        for period in ["0", "-30", "", "30s", "86401", "4294967296"] {
            assert_eq!(
                err(&format!("otpauth://totp/x?secret={B32}&period={period}")),
                "otpauth_bad_period"
            );
        }
        assert_eq!(
            err(&format!("otpauth://totp/%FF?secret={B32}")),
            "otpauth_bad_encoding"
        );
        let long = format!("otpauth://totp/{}?secret={B32}", "a".repeat(MAX_URI_LEN));
        assert_eq!(err(&long), "otpauth_too_long");
    }

    #[test]
    fn errors_and_debug_never_show_the_secret() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let good = ok(&format!("otpauth://totp/a?secret={secret}"));
        let debug = format!("{good:?} {:?}", good.clone().into_entry());
        assert!(
            !debug.contains(secret) && !debug.contains("JBSWY3DP"),
            "{debug}"
        );
        for bad in [
            format!("otpauth://totp/a?secret={secret}!"),
            format!("otpauth://totp/a?secret={secret}&secret={secret}"),
            format!("otpauth://totp/a?secret={secret}&digits=9"),
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PX&period=0".to_owned(),
        ] {
            let error = parse(&bad).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(
                !shown.contains("JBSWY3DP") && !shown.contains("EHPK3PX"),
                "{shown}"
            );
        }
    }

    #[test]
    fn aws_labels() {
        let parsed = ok(&format!(
            "otpauth://totp/Amazon%20Web%20Services%3Aroot-account-mfa-device%40123456789012?secret={B32}&issuer=Amazon%20Web%20Services"
        ));
        assert_eq!(parsed.aws_account_id.as_deref(), Some("123456789012"));
        assert_eq!(parsed.device_name.as_deref(), Some(AWS_ROOT_DEVICE_NAME));
        assert_eq!(
            parsed.aws_principal,
            Some(AwsPrincipal::Root { email: None })
        );

        let iam = ok(&format!(
            "otpauth://totp/Amazon Web Services:alice@example.com@acme-prod?secret={B32}"
        ));
        assert_eq!(iam.aws_account_alias.as_deref(), Some("acme-prod"));
        assert_eq!(iam.device_name.as_deref(), Some("alice@example.com"));
        assert_eq!(iam.aws_principal, None);

        let old = ok(&format!("otpauth://totp/MyPhone@210987654321?secret={B32}"));
        assert_eq!(old.aws_account_id.as_deref(), Some("210987654321"));
        assert_eq!(old.device_name.as_deref(), Some("MyPhone"));

        for not_aws in [
            "alice@example.com",
            "alice@acme",
            "GitHub:bob@123456789012",
            "Amazon Web Services:@acme",
        ] {
            let parsed = ok(&format!("otpauth://totp/{not_aws}?secret={B32}"));
            assert_eq!(parsed.device_name, None, "{not_aws}");
            assert_eq!(
                (parsed.aws_account_id, parsed.aws_account_alias),
                (None, None),
                "{not_aws}"
            );
        }
    }

    #[test]
    fn alias_rule() {
        assert!(is_account_alias("abc"));
        assert!(is_account_alias("my-co-2"));
        assert!(!is_account_alias("ab"));
        assert!(!is_account_alias("-abc"));
        assert!(!is_account_alias("abc-"));
        assert!(!is_account_alias("Abc"));
        assert!(!is_account_alias("a.bc"));
        assert!(!is_account_alias(&"a".repeat(64)));
    }

    #[test]
    fn emit_is_canonical_and_round_trips() {
        let parsed = ok(&format!(
            "otpauth://hotp/My%20Bank:j%C3%BCrgen%3Ax?counter=7&secret={}&issuer=My+Bank&digits=8&algorithm=sha256",
            B32.to_lowercase()
        ));
        assert_eq!(parsed.account, "jürgen:x");
        let uri = parsed.to_uri().unwrap();
        assert_eq!(
            uri.as_str(),
            format!(
                "otpauth://hotp/My%20Bank:j%C3%BCrgen%3Ax?secret={B32}&issuer=My%20Bank&algorithm=SHA256&digits=8&counter=7"
            )
        );
        assert_eq!(ok(&uri), parsed);
    }

    #[test]
    fn emit_account_with_colon_and_no_issuer() {
        let entry = Entry::new(SecretBytes::new(vec![7; 10]), "a:b");
        let uri = to_uri(&entry).unwrap();
        assert!(
            uri.starts_with("otpauth://totp/:a%3Ab?"),
            "{}",
            uri.as_str()
        );
        let back = ok(&uri);
        assert_eq!((back.issuer, back.account.as_str()), (None, "a:b"));
    }

    #[test]
    fn emit_refuses_invalid_entries() {
        let mut entry = Entry::new(SecretBytes::new(Vec::new()), "x");
        assert_eq!(to_uri(&entry).unwrap_err(), OtpError::EmptySecret);
        entry.secret = SecretBytes::new(vec![1; 10]);
        entry.otp.digits = 9;
        assert_eq!(
            to_uri(&entry).unwrap_err(),
            OtpError::InvalidDigits { digits: 9 }
        );
    }
}
