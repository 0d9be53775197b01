//! HOTP (RFC 4226) and TOTP (RFC 6238) codes, computed by totp-rs.
//!
//! Time is a parameter: `code(.., unix_time)`. Nothing here reads a clock (totp-rs is built
//! without its `std` feature, so its clock-reading functions do not even exist here).
//!
//! HOTP goes through the same totp-rs type: with a step of 1 second, "time" `t` gives the moving
//! factor `t / 1 = t`, so `generate(counter)` is RFC 4226's `HOTP(K, counter)`.
//!
//! For many codes at once (the popup's list, the wasm batch call), build one [`Generator`] per
//! entry and call [`Generator::generate`] or [`Generator::write_code`] per time: the key is
//! copied and the parameters checked once, not per code.

use core::fmt::{self, Write as _};
use serde::{Deserialize, Serialize};

use crate::secret::{MAX_SECRET_LEN, SecretBytes};

/// Fewest digits of a code (RFC 4226 section 5.3).
pub const MIN_DIGITS: u8 = 6;
/// Most digits of a code. RFC 4226 allows more, but no authenticator or service uses them.
pub const MAX_DIGITS: u8 = 8;
/// Longest TOTP period accepted, in seconds: one day. Real services use 30 or 60 s; a larger
/// value is almost surely a unit mistake (milliseconds) or a hostile URI, and a code that stays
/// valid for days is not a second factor.
pub const MAX_PERIOD: u32 = 86_400;

/// The HMAC hash function of an OTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// All algorithms, in the order of the otpauth and RFC 6238 documents.
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The name used in otpauth URIs: `SHA1`, `SHA256`, `SHA512`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// Reads an otpauth `algorithm` value, in any case (`sha1`, `Sha256`). `None` if unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.name().eq_ignore_ascii_case(name))
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Self::Sha1 => totp_rs::Algorithm::SHA1,
            Self::Sha256 => totp_rs::Algorithm::SHA256,
            Self::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

/// Time-based or counter-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OtpKind {
    /// RFC 6238: the moving factor is `floor(unix_time / period)`; `period` is in seconds, > 0.
    Totp { period: u32 },
    /// RFC 4226: the moving factor is `counter`.
    Hotp { counter: u64 },
}

impl OtpKind {
    /// The otpauth URI type: `totp` or `hotp`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Totp { .. } => "totp",
            Self::Hotp { .. } => "hotp",
        }
    }
}

/// Everything about an OTP but its secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpParams {
    pub kind: OtpKind,
    pub algorithm: Algorithm,
    /// 6, 7 or 8.
    pub digits: u8,
}

impl Default for OtpParams {
    /// The de-facto standard (and AWS's): TOTP, SHA1, 6 digits, 30 s.
    fn default() -> Self {
        Self {
            kind: OtpKind::Totp { period: 30 },
            algorithm: Algorithm::Sha1,
            digits: 6,
        }
    }
}

impl OtpParams {
    /// Checks the parameters against what this crate computes: [`MIN_DIGITS`]..=[`MAX_DIGITS`]
    /// digits and, for TOTP, a period in `1..=`[`MAX_PERIOD`] seconds.
    pub fn validate(&self) -> Result<(), OtpError> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&self.digits) {
            return Err(OtpError::InvalidDigits {
                digits: self.digits,
            });
        }
        match self.kind {
            OtpKind::Totp { period: 0 } => Err(OtpError::ZeroPeriod),
            OtpKind::Totp { period } if period > MAX_PERIOD => {
                Err(OtpError::PeriodTooLong { period })
            }
            OtpKind::Totp { .. } | OtpKind::Hotp { .. } => Ok(()),
        }
    }
}

/// Why no code could be computed. Never carries secret material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    /// `digits` is outside [`MIN_DIGITS`]..=[`MAX_DIGITS`].
    #[error("a code has 6 to 8 digits, not {digits}")]
    InvalidDigits {
        /// The refused value.
        digits: u8,
    },
    /// A TOTP period of 0 seconds.
    #[error("the TOTP period must be at least 1 second")]
    ZeroPeriod,
    /// A TOTP period longer than [`MAX_PERIOD`].
    #[error("the TOTP period of {period} s is longer than one day")]
    PeriodTooLong {
        /// The refused value, in seconds.
        period: u32,
    },
    /// An empty secret: HMAC would accept it, and every code would be public.
    #[error("the secret is empty")]
    EmptySecret,
    /// A secret longer than [`MAX_SECRET_LEN`] bytes.
    #[error("the secret is longer than {MAX_SECRET_LEN} bytes")]
    SecretTooLong,
}

impl OtpError {
    /// Stable identifier for programs (the wasm layer's `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidDigits { .. } => "otp_bad_digits",
            Self::ZeroPeriod => "otp_zero_period",
            Self::PeriodTooLong { .. } => "otp_period_too_long",
            Self::EmptySecret => "otp_empty_secret",
            Self::SecretTooLong => "otp_secret_too_long",
        }
    }
}

/// A computed code and the window it belongs to.
///
/// `Debug` shows the window, not the digits: a live code is a credential for its window.
#[derive(Clone, PartialEq, Eq)]
pub struct Code {
    /// The digits, zero-padded to `OtpParams::digits`.
    pub code: String,
    /// TOTP: unix time at which this code's window starts. HOTP: 0.
    pub valid_from: u64,
    /// TOTP: unix time at which the next code becomes valid. HOTP: `u64::MAX`.
    pub valid_until: u64,
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("code", &"[REDACTED]")
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// A prepared code generator: one secret and its parameters, checked once.
///
/// Holds a copy of the secret (inside totp-rs, built with its `zeroize` feature), wiped on drop.
/// `Debug` shows the parameters only.
#[derive(Clone)]
pub struct Generator {
    totp: totp_rs::Totp,
    params: OtpParams,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// Checks `params` ([`OtpParams::validate`]) and the secret ([`validate_secret`]).
    pub fn new(secret: &SecretBytes, params: &OtpParams) -> Result<Self, OtpError> {
        params.validate()?;
        validate_secret(secret)?;
        let step = match params.kind {
            OtpKind::Totp { period } => u64::from(period),
            OtpKind::Hotp { .. } => 1,
        };
        let totp = totp_rs::Builder::new()
            .with_algorithm(params.algorithm.to_totp_rs())
            .with_digits(params.digits)
            .with_step_duration(step)
            .with_secret(secret.expose())
            // Checked above; `build()` would also refuse the 80-bit secrets real services use.
            .build_noncompliant();
        Ok(Self {
            totp,
            params: *params,
        })
    }

    /// The parameters this generator was built with.
    pub fn params(&self) -> &OtpParams {
        &self.params
    }

    /// The code at `unix_time` (TOTP), or at the parameters' counter (HOTP, `unix_time` ignored).
    pub fn generate(&self, unix_time: u64) -> Code {
        let mut code = String::with_capacity(usize::from(MAX_DIGITS));
        self.write_code(unix_time, &mut code);
        let (valid_from, valid_until) = self.window(unix_time);
        Code {
            code,
            valid_from,
            valid_until,
        }
    }

    /// Appends the code's digits to `out`, allocating nothing when `out` has room: for batch
    /// callers that reuse one buffer.
    pub fn write_code(&self, unix_time: u64, out: &mut String) {
        let token = self.totp.generate(self.moving_time(unix_time));
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{token}");
    }

    /// The code as a number (print it zero-padded to `params().digits`). Allocates nothing.
    pub fn value(&self, unix_time: u64) -> u32 {
        let token = self.totp.generate(self.moving_time(unix_time));
        let mut sink = DigitSink(0);
        // `DigitSink` never fails.
        let _ = write!(sink, "{token}");
        sink.0
    }

    /// `(valid_from, valid_until)` of the code at `unix_time`; see [`Code`].
    pub fn window(&self, unix_time: u64) -> (u64, u64) {
        match self.params.kind {
            OtpKind::Totp { period } => {
                let period = u64::from(period);
                let from = unix_time - unix_time % period;
                (from, from.saturating_add(period))
            }
            OtpKind::Hotp { .. } => (0, u64::MAX),
        }
    }

    /// The "time" handed to totp-rs: real time for TOTP, the counter for HOTP (step 1).
    fn moving_time(&self, unix_time: u64) -> u64 {
        match self.params.kind {
            OtpKind::Totp { .. } => unix_time,
            OtpKind::Hotp { counter } => counter,
        }
    }
}

/// Reads the decimal digits totp-rs formats into a number, without a buffer.
struct DigitSink(u32);

impl fmt::Write for DigitSink {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                return Err(fmt::Error);
            }
            self.0 = self.0.wrapping_mul(10).wrapping_add(u32::from(digit));
        }
        Ok(())
    }
}

/// Checks that a seed can make codes: 1..=[`MAX_SECRET_LEN`] bytes. Lengths under the RFC's
/// 128 bits are accepted on purpose: real services issue 80-bit seeds.
pub fn validate_secret(secret: &SecretBytes) -> Result<(), OtpError> {
    if secret.is_empty() {
        Err(OtpError::EmptySecret)
    } else if secret.len() > MAX_SECRET_LEN {
        Err(OtpError::SecretTooLong)
    } else {
        Ok(())
    }
}

/// The code of `secret` with `params` at `unix_time` (TOTP) or at `params`' counter (HOTP,
/// `unix_time` ignored). For many codes of one secret, use a [`Generator`].
pub fn code(secret: &SecretBytes, params: &OtpParams, unix_time: u64) -> Result<Code, OtpError> {
    Ok(Generator::new(secret, params)?.generate(unix_time))
}

/// RFC 6238 TOTP at `unix_time`.
pub fn totp_at(
    secret: &SecretBytes,
    algorithm: Algorithm,
    digits: u8,
    period: u32,
    unix_time: u64,
) -> Result<Code, OtpError> {
    code(
        secret,
        &OtpParams {
            kind: OtpKind::Totp { period },
            algorithm,
            digits,
        },
        unix_time,
    )
}

/// RFC 4226 HOTP at `counter`.
pub fn hotp_at(
    secret: &SecretBytes,
    algorithm: Algorithm,
    digits: u8,
    counter: u64,
) -> Result<Code, OtpError> {
    code(
        secret,
        &OtpParams {
            kind: OtpKind::Hotp { counter },
            algorithm,
            digits,
        },
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> SecretBytes {
        SecretBytes::new(b"12345678901234567890".to_vec())
    }

    #[test]
    fn hotp_rfc4226_first_and_last() {
        assert_eq!(
            hotp_at(&rfc_secret(), Algorithm::Sha1, 6, 0).unwrap().code,
            "755224"
        );
        assert_eq!(
            hotp_at(&rfc_secret(), Algorithm::Sha1, 6, 9).unwrap().code,
            "520489"
        );
    }

    #[test]
    fn hotp_ignores_time_and_has_open_window() {
        let params = OtpParams {
            kind: OtpKind::Hotp { counter: 1 },
            ..OtpParams::default()
        };
        let a = code(&rfc_secret(), &params, 0).unwrap();
        let b = code(&rfc_secret(), &params, 1_700_000_000).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.code, "287082");
        assert_eq!((a.valid_from, a.valid_until), (0, u64::MAX));
    }

    #[test]
    fn totp_window_and_leading_zero() {
        // RFC 6238 Appendix B, T = 1111111109, SHA1: 07081804 (leading zero kept).
        let c = totp_at(&rfc_secret(), Algorithm::Sha1, 8, 30, 1_111_111_109).unwrap();
        assert_eq!(c.code, "07081804");
        assert_eq!(c.valid_from, 1_111_111_080);
        assert_eq!(c.valid_until, 1_111_111_110);
    }

    #[test]
    fn value_write_code_and_generate_agree() {
        let params = OtpParams {
            digits: 8,
            ..OtpParams::default()
        };
        let generator = Generator::new(&rfc_secret(), &params).unwrap();
        let mut buf = String::new();
        for t in [59u64, 1_111_111_109, 1_234_567_890, 20_000_000_000] {
            buf.clear();
            generator.write_code(t, &mut buf);
            assert_eq!(buf, generator.generate(t).code);
            assert_eq!(format!("{:08}", generator.value(t)), buf);
        }
    }

    #[test]
    fn window_at_the_end_of_time_saturates() {
        let generator = Generator::new(&rfc_secret(), &OtpParams::default()).unwrap();
        let (from, until) = generator.window(u64::MAX);
        assert_eq!((from, until), (u64::MAX - u64::MAX % 30, u64::MAX));
        assert_eq!(generator.generate(u64::MAX).code.len(), 6);
    }

    #[test]
    fn eighty_bit_secret_works() {
        let secret = SecretBytes::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(secret.len(), 10);
        assert_eq!(
            code(&secret, &OtpParams::default(), 0).unwrap().code.len(),
            6
        );
    }

    #[test]
    fn code_debug_hides_the_digits() {
        let code = Code {
            code: "287082".into(),
            valid_from: 30,
            valid_until: 60,
        };
        let shown = format!("{code:?}");
        assert!(
            !shown.contains("287082") && shown.contains("REDACTED"),
            "{shown}"
        );
    }

    #[test]
    fn validation_errors() {
        let secret = rfc_secret();
        let base = OtpParams::default();
        for digits in [0u8, 5, 9, 10, 255] {
            let err = code(&secret, &OtpParams { digits, ..base }, 0).unwrap_err();
            assert_eq!(err, OtpError::InvalidDigits { digits });
            assert_eq!(err.code(), "otp_bad_digits");
        }
        let zero = OtpParams {
            kind: OtpKind::Totp { period: 0 },
            ..base
        };
        assert_eq!(zero.validate(), Err(OtpError::ZeroPeriod));
        let long = OtpParams {
            kind: OtpKind::Totp {
                period: MAX_PERIOD + 1,
            },
            ..base
        };
        assert_eq!(long.validate().unwrap_err().code(), "otp_period_too_long");
        let day = OtpParams {
            kind: OtpKind::Totp { period: MAX_PERIOD },
            ..base
        };
        assert!(code(&secret, &day, 0).is_ok());
        assert_eq!(
            code(&SecretBytes::new(Vec::new()), &base, 0)
                .unwrap_err()
                .code(),
            "otp_empty_secret"
        );
        let huge = SecretBytes::new(vec![1; MAX_SECRET_LEN + 1]);
        assert_eq!(code(&huge, &base, 0).unwrap_err(), OtpError::SecretTooLong);
        assert!(code(&SecretBytes::new(vec![1; MAX_SECRET_LEN]), &base, 0).is_ok());
    }

    #[test]
    fn algorithm_names() {
        for algorithm in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(algorithm.name()), Some(algorithm));
            assert_eq!(
                Algorithm::from_name(&algorithm.name().to_lowercase()),
                Some(algorithm)
            );
        }
        assert_eq!(Algorithm::from_name("Sha256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_name("MD5"), None);
        assert_eq!(Algorithm::from_name("SHA-1"), None);
    }

    #[test]
    fn generator_debug_hides_secret() {
        let generator = Generator::new(&rfc_secret(), &OtpParams::default()).unwrap();
        let debug = format!("{generator:?}");
        assert!(debug.contains("Generator"));
        assert!(!debug.contains("1234"));
        assert!(!debug.contains("GEZDGNBV"));
    }
}
