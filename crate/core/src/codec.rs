//! RFC 4648 hex, base32 and base64 (encodings, not cryptography).
//!
//! A few lines replace the `data-encoding` crate, whose one table-driven decoder for every
//! alphabet was about 8 KB of the gzipped wasm package (docs/PERFORMANCE.md). Decoders are strict
//! and canonical, as `data-encoding`'s `HEXLOWER`, `BASE32_NOPAD`, `BASE64_NOPAD` and `BASE64`
//! were: exact alphabet, no separators, a length that some input encodes to, and the unused bits
//! of the last symbol zero (so each byte string has exactly one accepted text). Checked against
//! the RFC 4648 §10 vectors below. Callers that hold secrets wrap the output in `Zeroizing`;
//! outputs are allocated at their final size, so no unwiped copy is left behind by growth.

const HEX: &[u8; 16] = b"0123456789abcdef";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Lower-case hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// Lower-case hex only (as `HEXLOWER`); `None` on any other symbol or an odd length.
pub fn hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 2);
    for pair in text.chunks_exact(2) {
        out.push((digit(pair[0])? << 4) | digit(pair[1])?);
    }
    Some(out)
}

/// `bits`-bit symbols (5 for base32, 6 for base64) from `alphabet`, without padding.
fn encode(bytes: &[u8], alphabet: &[u8], bits: u32) -> String {
    let mask = (1u32 << bits) - 1;
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(bits as usize) + 2);
    let (mut acc, mut n) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        n += 8;
        while n >= bits {
            n -= bits;
            out.push(char::from(alphabet[((acc >> n) & mask) as usize]));
        }
        acc &= (1 << n) - 1;
    }
    if n > 0 {
        out.push(char::from(alphabet[((acc << (bits - n)) & mask) as usize]));
    }
    out
}

/// The inverse of [`encode`], strict: every symbol in the alphabet (`value`), a length that
/// `encode` can produce, and the bits past the last whole byte zero.
fn decode(text: &[u8], value: fn(u8) -> Option<u8>, bits: u32) -> Option<Vec<u8>> {
    let total_bits = text.len() * bits as usize;
    let len = total_bits / 8;
    // A canonical text has fewer than `bits` bits left over after the last whole byte.
    if total_bits % 8 >= bits as usize {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let (mut acc, mut n) = (0u32, 0u32);
    for &c in text {
        acc = (acc << bits) | u32::from(value(c)?);
        n += bits;
        if n >= 8 {
            n -= 8;
            // Truncation intended: the byte just completed.
            #[allow(clippy::cast_possible_truncation)]
            out.push((acc >> n) as u8);
        }
        acc &= (1 << n) - 1;
    }
    (acc == 0).then_some(out)
}

fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Upper-case RFC 4648 base32 without padding (as `BASE32_NOPAD`).
pub fn base32_encode(bytes: &[u8]) -> String {
    encode(bytes, BASE32, 5)
}

/// Upper-case RFC 4648 base32 without padding, strict and canonical (as `BASE32_NOPAD`).
pub fn base32_decode(text: &[u8]) -> Option<Vec<u8>> {
    decode(text, base32_value, 5)
}

/// RFC 4648 base64, padded with `=` when `pad` (as `BASE64`, or `BASE64_NOPAD` without).
pub fn base64_encode(bytes: &[u8], pad: bool) -> String {
    let mut out = encode(bytes, BASE64, 6);
    if pad {
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
    }
    out
}

/// RFC 4648 base64, strict and canonical; with `pad`, the length is a multiple of 4 and `=`
/// only completes the last group (as `BASE64`), without, no `=` at all (as `BASE64_NOPAD`).
pub fn base64_decode(text: &[u8], pad: bool) -> Option<Vec<u8>> {
    let body = if pad {
        if !text.len().is_multiple_of(4) {
            return None;
        }
        let padding = text
            .iter()
            .rev()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        let body = &text[..text.len() - padding];
        // "xx==" or "xxx=": the padding must be exactly what the body's length needs.
        if padding != (4 - body.len() % 4) % 4 {
            return None;
        }
        body
    } else {
        text
    };
    decode(body, base64_value, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10.
    const VECTORS: &[(&str, &str, &str, &str)] = &[
        // (input, base64, base32, base16)
        ("", "", "", ""),
        ("f", "Zg==", "MY======", "66"),
        ("fo", "Zm8=", "MZXQ====", "666f"),
        ("foo", "Zm9v", "MZXW6===", "666f6f"),
        ("foob", "Zm9vYg==", "MZXW6YQ=", "666f6f62"),
        ("fooba", "Zm9vYmE=", "MZXW6YTB", "666f6f6261"),
        ("foobar", "Zm9vYmFy", "MZXW6YTBOI======", "666f6f626172"),
    ];

    #[test]
    fn rfc4648_vectors() {
        for &(raw, b64, b32, b16) in VECTORS {
            let raw = raw.as_bytes();
            assert_eq!(base64_encode(raw, true), b64);
            assert_eq!(base64_decode(b64.as_bytes(), true).as_deref(), Some(raw));
            let b64_nopad = b64.trim_end_matches('=');
            assert_eq!(base64_encode(raw, false), b64_nopad);
            assert_eq!(
                base64_decode(b64_nopad.as_bytes(), false).as_deref(),
                Some(raw)
            );
            let b32_nopad = b32.trim_end_matches('=');
            assert_eq!(base32_encode(raw), b32_nopad);
            assert_eq!(base32_decode(b32_nopad.as_bytes()).as_deref(), Some(raw));
            assert_eq!(hex_encode(raw), b16);
            assert_eq!(hex_decode(b16.as_bytes()).as_deref(), Some(raw));
        }
    }

    #[test]
    fn strict_like_data_encoding() {
        // Wrong alphabet or case.
        assert_eq!(base32_decode(b"mzxw6"), None);
        assert_eq!(base32_decode(b"MZXW1"), None);
        assert_eq!(hex_decode(b"666F"), None);
        assert_eq!(hex_decode(b"666"), None);
        assert_eq!(base64_decode(b"Zm9v-g", false), None);
        // Lengths no input encodes to (base32: 1, 3, 6 symbols mod 8; base64: 1 mod 4).
        for bad in ["M", "MZX", "MZXW6Y"] {
            assert_eq!(base32_decode(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(base64_decode(b"Zm9vY", false), None);
        // Non-zero trailing bits ("MZ" is "f" with its 2 spare bits zero; "M3" sets them).
        assert_eq!(base32_decode(b"M3"), None);
        assert_eq!(base64_decode(b"Zh", false), None);
        assert_eq!(base64_decode(b"Zh==", true), None);
        // Padding: required with `pad`, refused without, only at the end and exactly as needed.
        assert_eq!(base64_decode(b"Zg", true), None);
        assert_eq!(base64_decode(b"Zg==", false), None);
        assert_eq!(base64_decode(b"Zg=", true), None);
        assert_eq!(base64_decode(b"Zm8==", true), None);
        assert_eq!(base64_decode(b"Zm9v====", true), None);
        assert_eq!(base64_decode(b"Zg==Zg==", true), None);
        assert_eq!(base64_decode(b"Z===", true), None);
        // Separators are the caller's business.
        assert_eq!(base32_decode(b"MZXW 6"), None);
    }

    #[test]
    fn round_trips_every_length() {
        let bytes: Vec<u8> = (0u8..=255).rev().collect();
        for n in 0..70 {
            let b = &bytes[..n];
            assert_eq!(
                base32_decode(base32_encode(b).as_bytes()).as_deref(),
                Some(b)
            );
            assert_eq!(
                base64_decode(base64_encode(b, true).as_bytes(), true).as_deref(),
                Some(b)
            );
            assert_eq!(
                base64_decode(base64_encode(b, false).as_bytes(), false).as_deref(),
                Some(b)
            );
            assert_eq!(hex_decode(hex_encode(b).as_bytes()).as_deref(), Some(b));
        }
    }

    /// The crate this module replaced, as an oracle: same texts out, same texts accepted.
    #[test]
    fn agrees_with_data_encoding() {
        use data_encoding::{BASE32_NOPAD, BASE64, BASE64_NOPAD, HEXLOWER};
        let bytes: Vec<u8> = (0u8..=255).map(|i| i.wrapping_mul(151)).collect();
        for n in 0..40 {
            let b = &bytes[n..2 * n];
            assert_eq!(base32_encode(b), BASE32_NOPAD.encode(b));
            assert_eq!(base64_encode(b, true), BASE64.encode(b));
            assert_eq!(base64_encode(b, false), BASE64_NOPAD.encode(b));
            assert_eq!(hex_encode(b), HEXLOWER.encode(b));
        }
        // Every 1- and 2-symbol text and a sample of 3- and 4-symbol ones over a mixed
        // alphabet: accepted (and decoded) exactly when data-encoding accepts it.
        let symbols: &[u8] = b"AMZaz279+/=-_ 0f";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4 {
            let prev: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() == len - 1)
                .cloned()
                .collect();
            for t in prev {
                for &c in symbols {
                    let mut t = t.clone();
                    t.push(c);
                    texts.push(t);
                }
            }
        }
        for t in &texts {
            assert_eq!(base32_decode(t), BASE32_NOPAD.decode(t).ok(), "{t:?}");
            assert_eq!(
                base64_decode(t, false),
                BASE64_NOPAD.decode(t).ok(),
                "{t:?}"
            );
            assert_eq!(base64_decode(t, true), BASE64.decode(t).ok(), "{t:?}");
            assert_eq!(hex_decode(t), HEXLOWER.decode(t).ok(), "{t:?}");
        }
    }
}
