//! Many codes at once: the popup's list and the wasm batch call.
//!
//! [`crate::otp::Generator`] (totp-rs) keys a fresh HMAC for every code. A [`CodeBook`] keys
//! each entry's HMAC once, when the vault is opened, and keeps the keyed state (the hash states
//! after the inner and outer key pads): a code is then two hash compressions, the RFC 4226
//! section 5.3 truncation, and digits written into a caller's buffer with no allocation. That is
//! what makes 10,000 codes several times faster than per-code keying.
//!
//! The arithmetic is RFC 4226/6238's, cross-checked against `Generator` (totp-rs) in the tests
//! below for every algorithm, digit count and the RFC vectors. The keyed states are secret
//! (they compute every code of the seed) and are wiped on drop (`zeroize` features of `hmac`,
//! `sha1`, `sha2`).

use core::fmt;

use hmac::block_api::HmacCore;
use hmac::digest::block_api::{Buffer, EagerHash, FixedOutputCore, UpdateCore};
use hmac::digest::{KeyInit, Output};

use crate::entry::Entry;
use crate::otp::{Algorithm, Code, OtpError, OtpKind, OtpParams};
use crate::secret::{MAX_SECRET_LEN, SecretBytes};

/// An HMAC keyed with one seed, ready to be cloned per code. The block-level `HmacCore` (the
/// two hash states after the key pads) rather than `Hmac`: cloning it copies no block buffer.
#[derive(Clone)]
enum KeyedMac {
    Sha1(HmacCore<sha1::Sha1>),
    Sha256(HmacCore<sha2::Sha256>),
    Sha512(HmacCore<sha2::Sha512>),
}

impl KeyedMac {
    fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        // HMAC accepts keys of any length (longer ones are hashed first), so keying cannot fail;
        // the `Err` arm is unreachable and mapped to the empty-key MAC only to avoid a panic.
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(keyed(key)),
            Algorithm::Sha256 => Self::Sha256(keyed(key)),
            Algorithm::Sha512 => Self::Sha512(keyed(key)),
        }
    }

    /// RFC 4226 `HOTP(K, C)` before the modulo: dynamic truncation of `HMAC(K, C)`.
    fn truncated(&self, counter: u64) -> u32 {
        let msg = counter.to_be_bytes();
        match self {
            Self::Sha1(m) => truncate(&mac(m, &msg)),
            Self::Sha256(m) => truncate(&mac(m, &msg)),
            Self::Sha512(m) => truncate(&mac(m, &msg)),
        }
    }
}

/// `HMAC(K, msg)` from the keyed state: the same steps as `hmac::Hmac`'s `finalize`, without
/// its buffered wrapper.
fn mac<D: EagerHash>(keyed: &HmacCore<D>, msg: &[u8]) -> Output<HmacCore<D>> {
    let mut core = keyed.clone();
    let mut buffer = Buffer::<HmacCore<D>>::default();
    buffer.digest_blocks(msg, |blocks| core.update_blocks(blocks));
    let mut out = Output::<HmacCore<D>>::default();
    core.finalize_fixed_core(&mut buffer, &mut out);
    out
}

fn keyed<M: KeyInit>(key: &[u8]) -> M {
    M::new_from_slice(key).unwrap_or_else(|_| M::new(&Default::default()))
}

/// RFC 4226 section 5.3: 31 bits at the offset given by the low nibble of the last byte.
fn truncate(hmac: &[u8]) -> u32 {
    let offset = usize::from(hmac[hmac.len() - 1] & 0x0f);
    u32::from_be_bytes([
        hmac[offset] & 0x7f,
        hmac[offset + 1],
        hmac[offset + 2],
        hmac[offset + 3],
    ])
}

/// One entry's prepared generator, or why it has none.
// Nearly every slot is `Ready`; boxing it would add an allocation per entry and a pointer chase
// per code to save memory only on the rare invalid entry.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Slot {
    Ready { mac: KeyedMac, params: OtpParams },
    Invalid(OtpError),
}

impl Slot {
    fn prepare(secret: &SecretBytes, params: &OtpParams) -> Self {
        // The same checks as `Generator::new`.
        let checked = params.validate().and_then(|()| {
            if secret.is_empty() {
                Err(OtpError::EmptySecret)
            } else if secret.len() > MAX_SECRET_LEN {
                Err(OtpError::SecretTooLong)
            } else {
                Ok(())
            }
        });
        match checked {
            Ok(()) => Slot::Ready {
                mac: KeyedMac::new(params.algorithm, secret.expose()),
                params: *params,
            },
            Err(e) => Slot::Invalid(e),
        }
    }
}

/// Prepared code generators for a list of entries, addressed by position.
///
/// Keep it in step with the list it was built from ([`Self::insert`], [`Self::remove`],
/// [`Self::replace`]). `Debug` shows only the count.
#[derive(Clone, Default)]
pub struct CodeBook {
    slots: Vec<Slot>,
}

impl fmt::Debug for CodeBook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeBook")
            .field("len", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// `10^digits` for 6..=8 digits (checked by `OtpParams::validate`).
fn modulus(digits: u8) -> u32 {
    10u32.pow(u32::from(digits))
}

impl CodeBook {
    /// A book for `entries`, in their order. Entries whose parameters cannot be computed (see
    /// [`OtpParams::validate`]) get a slot that reports their error.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        Self {
            slots: entries
                .into_iter()
                .map(|e| Slot::prepare(&e.secret, &e.otp))
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Inserts `entry`'s generator at `index` (as `Vec::insert`; appends if past the end).
    pub fn insert(&mut self, index: usize, entry: &Entry) {
        let index = index.min(self.slots.len());
        self.slots
            .insert(index, Slot::prepare(&entry.secret, &entry.otp));
    }

    /// Removes the generator at `index`, if any.
    pub fn remove(&mut self, index: usize) {
        if index < self.slots.len() {
            drop(self.slots.remove(index));
        }
    }

    /// Replaces the generator at `index` with `entry`'s, if `index` exists.
    pub fn replace(&mut self, index: usize, entry: &Entry) {
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Slot::prepare(&entry.secret, &entry.otp);
        }
    }

    /// Appends the code of entry `index` at `unix_time` (TOTP) or at its counter (HOTP) to
    /// `out`, zero-padded. Returns `false` and writes nothing if `index` is out of range or the
    /// entry cannot be computed. Allocates nothing when `out` has room.
    pub fn write_code(&self, index: usize, unix_time: u64, out: &mut String) -> bool {
        let Some(Slot::Ready { mac, params }) = self.slots.get(index) else {
            return false;
        };
        let counter = match params.kind {
            OtpKind::Totp { period } => unix_time / u64::from(period),
            OtpKind::Hotp { counter } => counter,
        };
        let mut value = mac.truncated(counter) % modulus(params.digits);
        let mut digits = [b'0'; 8];
        let n = usize::from(params.digits);
        for d in digits[..n].iter_mut().rev() {
            // `value % 10` is a single decimal digit.
            *d = b'0' + (value % 10) as u8;
            value /= 10;
        }
        for &d in &digits[..n] {
            out.push(char::from(d));
        }
        true
    }

    /// The code of entry `index` and its window, or the entry's error. `None` if `index` is
    /// out of range.
    pub fn code(&self, index: usize, unix_time: u64) -> Option<Result<Code, OtpError>> {
        let params = match self.slots.get(index)? {
            Slot::Ready { params, .. } => params,
            Slot::Invalid(e) => return Some(Err(*e)),
        };
        let mut code = String::with_capacity(8);
        self.write_code(index, unix_time, &mut code);
        let (valid_from, valid_until) = match params.kind {
            OtpKind::Totp { period } => {
                let period = u64::from(period);
                let from = unix_time - unix_time % period;
                (from, from.saturating_add(period))
            }
            OtpKind::Hotp { .. } => (0, u64::MAX),
        };
        Some(Ok(Code {
            code,
            valid_from,
            valid_until,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Generator;
    use proptest::prelude::*;

    fn entry(secret: &[u8], kind: OtpKind, algorithm: Algorithm, digits: u8) -> Entry {
        let mut e = Entry::new(SecretBytes::new(secret.to_vec()), "x");
        e.otp = OtpParams {
            kind,
            algorithm,
            digits,
        };
        e
    }

    fn book_code(e: &Entry, t: u64) -> String {
        CodeBook::new([e]).code(0, t).unwrap().unwrap().code
    }

    fn reference(e: &Entry, t: u64) -> String {
        Generator::new(&e.secret, &e.otp).unwrap().generate(t).code
    }

    #[test]
    fn rfc6238_appendix_b() {
        let seed = |n: usize| {
            b"1234567890"
                .iter()
                .copied()
                .cycle()
                .take(n)
                .collect::<Vec<u8>>()
        };
        let cases = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (t, c1, c256, c512) in cases {
            let totp = OtpKind::Totp { period: 30 };
            assert_eq!(
                book_code(&entry(&seed(20), totp, Algorithm::Sha1, 8), t),
                c1
            );
            assert_eq!(
                book_code(&entry(&seed(32), totp, Algorithm::Sha256, 8), t),
                c256
            );
            assert_eq!(
                book_code(&entry(&seed(64), totp, Algorithm::Sha512, 8), t),
                c512
            );
        }
    }

    #[test]
    fn rfc4226_appendix_d() {
        let codes = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in codes.iter().enumerate() {
            let e = entry(
                b"12345678901234567890",
                OtpKind::Hotp {
                    counter: counter as u64,
                },
                Algorithm::Sha1,
                6,
            );
            assert_eq!(book_code(&e, 0), *want);
        }
    }

    #[test]
    fn windows_and_invalid_entries() {
        let e = entry(
            b"12345678901234567890",
            OtpKind::Totp { period: 30 },
            Algorithm::Sha1,
            6,
        );
        let mut bad = e.clone();
        bad.otp.kind = OtpKind::Totp { period: 0 };
        let mut book = CodeBook::new([&e, &bad]);
        let code = book.code(0, 59).unwrap().unwrap();
        assert_eq!((code.valid_from, code.valid_until), (30, 60));
        assert_eq!(book.code(1, 59), Some(Err(OtpError::ZeroPeriod)));
        assert_eq!(book.code(2, 59), None);
        let mut out = String::new();
        assert!(!book.write_code(1, 59, &mut out));
        assert!(out.is_empty());

        book.replace(1, &e);
        assert_eq!(book.code(1, 59).unwrap().unwrap().code, "287082");
        book.remove(0);
        book.insert(0, &bad);
        assert_eq!(book.len(), 2);
        assert!(book.code(0, 59).unwrap().is_err());
        assert!(!format!("{book:?}").contains("Hmac"));
    }

    proptest! {
        #[test]
        fn agrees_with_totp_rs(
            secret in proptest::collection::vec(any::<u8>(), 1..200),
            algorithm in prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
            digits in 6u8..=8,
            period in 1u32..=86_400,
            counter in any::<u64>(),
            hotp in any::<bool>(),
            t in 0u64..=(1u64 << 40),
        ) {
            let kind = if hotp { OtpKind::Hotp { counter } } else { OtpKind::Totp { period } };
            let e = entry(&secret, kind, algorithm, digits);
            prop_assert_eq!(book_code(&e, t), reference(&e, t));
        }
    }
}
