//! Secret byte strings (OTP seeds, keys): wiped on drop, never printed.
//!
//! Also the lenient base32 reader for OTP seeds typed or pasted by people
//! ([`SecretBytes::from_base32`]).

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Largest OTP seed accepted anywhere, in bytes (8192 bits). Real seeds are 10 to 64 bytes; a
/// larger one is a mistake or an attack on memory, not a credential.
pub const MAX_SECRET_LEN: usize = 1024;

/// Longest base32 text [`SecretBytes::from_base32`] reads, separators and padding included:
/// room for [`MAX_SECRET_LEN`] bytes (1639 symbols) written in groups with separators.
pub const MAX_BASE32_INPUT_LEN: usize = 4096;

/// Why a base32 seed was refused. Never carries any character of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Base32Error {
    /// Nothing but separators and padding.
    #[error("the secret is empty")]
    Empty,
    /// A character outside the RFC 4648 base32 alphabet (either case), the separators (white
    /// space, `-`) and trailing `=` padding. `position` is the byte offset in the input.
    #[error("the secret has a character that is not base32 at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the offending character in the input.
        position: usize,
    },
    /// `=` followed by something other than padding or separators.
    #[error("the secret has padding in the middle")]
    BadPadding,
    /// A number of base32 symbols that no byte string encodes to (1, 3 or 6 modulo 8).
    #[error("the secret has an impossible length of {symbols} base32 characters")]
    BadLength {
        /// Number of base32 symbols, separators and padding excluded.
        symbols: usize,
    },
    /// The input exceeds [`MAX_BASE32_INPUT_LEN`] or decodes to more than [`MAX_SECRET_LEN`]
    /// bytes.
    #[error("the secret is too long (more than {MAX_SECRET_LEN} bytes)")]
    TooLong,
}

impl Base32Error {
    /// Stable identifier for programs (the wasm layer's `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "base32_empty",
            Self::InvalidCharacter { .. } => "base32_invalid_character",
            Self::BadPadding => "base32_bad_padding",
            Self::BadLength { .. } => "base32_bad_length",
            Self::TooLong => "base32_too_long",
        }
    }
}

/// Bytes that must never reach a log, an error message or `Debug` output.
///
/// The buffer is zeroized when dropped. `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller should not keep another copy.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Keep the borrow short and copy them nowhere that is not wiped.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Reads a base32 seed the way people hand them over: RFC 4648 alphabet in either case,
    /// white space or `-` anywhere (`"jbsw y3dp-ehpk 3pxp"`), padded or not.
    ///
    /// Trailing bits of a length that is not a whole number of bytes are ignored, as authenticator
    /// apps do. Intermediate buffers are wiped; the error never contains input characters.
    pub fn from_base32(text: &str) -> Result<Self, Base32Error> {
        if text.len() > MAX_BASE32_INPUT_LEN {
            return Err(Base32Error::TooLong);
        }
        // Upper-case symbols, separators and padding removed.
        let mut symbols = Zeroizing::new(Vec::with_capacity(text.len()));
        let mut padding_seen = false;
        for (position, byte) in text.bytes().enumerate() {
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' | b'-' => {}
                b'=' => padding_seen = true,
                b'A'..=b'Z' | b'a'..=b'z' | b'2'..=b'7' if padding_seen => {
                    return Err(Base32Error::BadPadding);
                }
                b'A'..=b'Z' | b'2'..=b'7' => symbols.push(byte),
                b'a'..=b'z' => symbols.push(byte.to_ascii_uppercase()),
                _ => return Err(Base32Error::InvalidCharacter { position }),
            }
        }
        if symbols.is_empty() {
            return Err(Base32Error::Empty);
        }
        // 5 bits per symbol; the bits past the last whole byte are padding bits.
        let trailing_bits = match symbols.len() % 8 {
            0 => 0,
            2 => 2,
            4 => 4,
            5 => 1,
            7 => 3,
            _ => {
                return Err(Base32Error::BadLength {
                    symbols: symbols.len(),
                });
            }
        };
        if symbols.len() * 5 / 8 > MAX_SECRET_LEN {
            return Err(Base32Error::TooLong);
        }
        if trailing_bits > 0
            && let Some(last) = symbols.last_mut()
        {
            *last = clear_low_bits(*last, trailing_bits);
        }
        let out = crate::codec::base32_decode(&symbols).ok_or(Base32Error::BadLength {
            symbols: symbols.len(),
        })?;
        Ok(Self(out))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Canonical form used in otpauth URIs and the entry payload: upper-case RFC 4648 base32
    /// without padding.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::codec::base32_encode(&self.0))
    }
}

/// The base32 symbol `symbol` (`A-Z2-7`) with its `bits` lowest bits cleared.
fn clear_low_bits(symbol: u8, bits: u32) -> u8 {
    let value = match symbol {
        b'A'..=b'Z' => symbol - b'A',
        _ => symbol - b'2' + 26,
    };
    let value = value & !((1u8 << bits) - 1);
    if value < 26 {
        b'A' + value
    } else {
        b'2' + value - 26
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b32(text: &str) -> Result<Vec<u8>, Base32Error> {
        SecretBytes::from_base32(text).map(|secret| secret.expose().to_vec())
    }

    #[test]
    fn lenient_forms_agree() {
        let want = b"Hello!\xde\xad\xbe\xef".to_vec(); // JBSWY3DPEHPK3PXP, 80 bits
        for text in [
            "JBSWY3DPEHPK3PXP",
            "jbswy3dpehpk3pxp",
            "jbsw y3dp ehpk 3pxp",
            "JBSW-Y3DP-EHPK-3PXP",
            " JBSWY3DP\tEHPK3PXP\n",
            "JBSWY3DPEHPK3PXP======",
        ] {
            assert_eq!(b32(text).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn padded_and_unpadded_partial_blocks() {
        // RFC 4648 section 10 test vectors.
        for (text, plain) in [
            ("MY", "f"),
            ("MY======", "f"),
            ("MZXQ", "fo"),
            ("MZXQ====", "fo"),
            ("MZXW6", "foo"),
            ("MZXW6===", "foo"),
            ("MZXW6YQ", "foob"),
            ("MZXW6YQ=", "foob"),
            ("MZXW6YTB", "fooba"),
            ("MZXW6YTBOI", "foobar"),
            ("MZXW6YTBOI======", "foobar"),
        ] {
            assert_eq!(b32(text).unwrap(), plain.as_bytes(), "{text}");
        }
    }

    #[test]
    fn aws_320_bit_secret() {
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".repeat(2);
        assert_eq!(text.len(), 64);
        let secret = SecretBytes::from_base32(&text).unwrap();
        assert_eq!(secret.len(), 40);
        assert_eq!(secret.to_base32().as_str(), text);
    }

    #[test]
    fn non_zero_trailing_bits_are_ignored() {
        // "MZ" has trailing bits 01; canonical is "MY".
        assert_eq!(b32("MZ").unwrap(), b"f");
        assert_eq!(b32("MZXW7").unwrap(), b"foo");
    }

    #[test]
    fn errors() {
        assert_eq!(b32(""), Err(Base32Error::Empty));
        assert_eq!(b32(" - \n"), Err(Base32Error::Empty));
        assert_eq!(b32("===="), Err(Base32Error::Empty));
        assert_eq!(
            b32("JBSW1"),
            Err(Base32Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            b32("JBSW0Y3DP"),
            Err(Base32Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            b32("JBSWé"),
            Err(Base32Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(
            b32("JBSW+Y3D"),
            Err(Base32Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(b32("MY==MY"), Err(Base32Error::BadPadding));
        for symbols in [1usize, 3, 6, 9] {
            assert_eq!(
                b32(&"A".repeat(symbols)),
                Err(Base32Error::BadLength { symbols })
            );
        }
        // 1640 symbols decode to 1025 bytes.
        assert_eq!(b32(&"A".repeat(1640)), Err(Base32Error::TooLong));
        assert_eq!(b32(&"A".repeat(1632)).unwrap().len(), MAX_SECRET_LEN - 4);
        assert_eq!(
            b32(&" ".repeat(MAX_BASE32_INPUT_LEN + 1)),
            Err(Base32Error::TooLong)
        );
    }

    #[test]
    fn error_codes_are_distinct() {
        let codes = [
            Base32Error::Empty.code(),
            Base32Error::InvalidCharacter { position: 0 }.code(),
            Base32Error::BadPadding.code(),
            Base32Error::BadLength { symbols: 1 }.code(),
            Base32Error::TooLong.code(),
        ];
        let mut sorted = codes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }

    #[test]
    fn debug_is_redacted() {
        let secret = SecretBytes::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(format!("{secret:?}"), "SecretBytes([REDACTED; 10])");
    }
}
