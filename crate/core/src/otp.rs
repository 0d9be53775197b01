//! HOTP (RFC 4226) and TOTP (RFC 6238) codes, computed by totp-rs.
//!
//! Time is a parameter: `totp(.., unix_time)`. Nothing here reads a clock.

use serde::{Deserialize, Serialize};

/// The HMAC hash function of an OTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
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
        Self { kind: OtpKind::Totp { period: 30 }, algorithm: Algorithm::Sha1, digits: 6 }
    }
}

/// A computed code and the window it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    /// The digits, zero-padded to `OtpParams::digits`.
    pub code: String,
    /// TOTP: unix time at which this code's window starts. HOTP: 0.
    pub valid_from: u64,
    /// TOTP: unix time at which the next code becomes valid. HOTP: `u64::MAX`.
    pub valid_until: u64,
}
