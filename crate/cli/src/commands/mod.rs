//! One module per command. Each `run` returns `Ok` or a `CliError`; `main` turns the error into
//! the one-line message and the exit code.

pub mod add;
pub mod code;
pub mod import;
pub mod init;
pub mod list;
pub mod rm;

use tessera_core::Entry;
use tessera_core::otp::OtpKind;

/// True when `a` and `b` produce the same codes (same seed and parameters; a HOTP counter may
/// differ): adding it again would only make queries ambiguous.
pub fn same_credential(a: &Entry, b: &Entry) -> bool {
    let same_kind = match (a.otp.kind, b.otp.kind) {
        (OtpKind::Totp { period: p }, OtpKind::Totp { period: q }) => p == q,
        (OtpKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
        _ => false,
    };
    same_kind
        && a.otp.algorithm == b.otp.algorithm
        && a.otp.digits == b.otp.digits
        && a.secret == b.secret
}

/// Text from a URI or a vault, made safe to print on a terminal: control characters (escape
/// sequences a hostile QR code could carry) become `?`.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
