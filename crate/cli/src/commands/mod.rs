//! One module per command. Each `run` returns `Ok` or a `CliError`; `main` turns the error into
//! the one-line message and the exit code.

pub mod add;
pub mod audit;
pub mod code;
pub mod import;
pub mod init;
pub mod list;
pub mod pick;
pub mod recover;
pub mod rm;
pub mod team;

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

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::otp::{Algorithm, OtpParams};
    use tessera_core::{SecretBytes, otpauth};

    fn entry(uri: &str) -> Entry {
        otpauth::parse(uri).unwrap().into_entry()
    }

    #[test]
    fn same_credential_compares_seed_and_parameters_not_names() {
        let a = entry("otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP");
        assert!(same_credential(
            &a,
            &entry("otpauth://totp/B:y?secret=jbsw%20y3dp%20ehpk%203pxp")
        ));
        assert!(!same_credential(
            &a,
            &entry("otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXA")
        ));
        assert!(!same_credential(
            &a,
            &entry("otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP&period=60")
        ));
        assert!(!same_credential(
            &a,
            &entry("otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP&digits=8")
        ));
        let mut b = a.clone();
        b.otp = OtpParams {
            algorithm: Algorithm::Sha256,
            ..a.otp
        };
        assert!(!same_credential(&a, &b));
        let h1 = entry("otpauth://hotp/A:x?secret=JBSWY3DPEHPK3PXP&counter=1");
        let h2 = entry("otpauth://hotp/A:x?secret=JBSWY3DPEHPK3PXP&counter=7");
        assert!(
            same_credential(&h1, &h2),
            "a HOTP counter moves; the credential is the same"
        );
        assert!(!same_credential(&a, &h1));
        let empty = Entry::new(SecretBytes::new(Vec::new()), "x");
        assert!(!same_credential(&a, &empty));
    }

    #[test]
    fn printable_defuses_terminal_escapes() {
        assert_eq!(printable("ok name"), "ok name");
        assert_eq!(printable("evil\u{1b}]0;title\u{7}\nx"), "evil?]0;title??x");
    }
}
