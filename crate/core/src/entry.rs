//! A vault entry: one OTP seed and what the user knows about it.
//!
//! Everything in an entry is secret (an MSP's client list is sensitive), so an entry only ever
//! leaves memory sealed (see `vault`). The sealed payload schema is in docs/FORMAT.md.

use crate::otp::OtpParams;
use crate::secret::SecretBytes;

/// Which AWS principal an entry's MFA device belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// The account's root user, optionally with the root user's e-mail address.
    Root { email: Option<String> },
    /// An IAM user, by user name.
    IamUser { name: String },
}

/// One OTP credential.
///
/// `Debug` never shows the seed (see [`SecretBytes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub secret: SecretBytes,
    pub otp: OtpParams,
    /// The name shown to users (from the otpauth label's account part, or typed by the user).
    pub label: String,
    pub issuer: Option<String>,
    /// 12-digit AWS account id.
    pub aws_account_id: Option<String>,
    /// AWS account alias (the sign-in URL's subdomain).
    pub aws_account_alias: Option<String>,
    pub aws_principal: Option<AwsPrincipal>,
    /// The MFA device name registered at AWS.
    pub device_name: Option<String>,
    pub notes: Option<String>,
}

impl Entry {
    /// A plain entry with default TOTP parameters and no AWS metadata.
    pub fn new(secret: SecretBytes, label: impl Into<String>) -> Self {
        Self {
            secret,
            otp: OtpParams::default(),
            label: label.into(),
            issuer: None,
            aws_account_id: None,
            aws_account_alias: None,
            aws_principal: None,
            device_name: None,
            notes: None,
        }
    }
}
