//! Many codes at once: the popup's list and the wasm batch call.
//!
//! A [`CodeBook`] prepares one [`crate::otp::Generator`] (totp-rs, parameters and secret checked
//! once) per entry when the vault is opened; a batch then writes every code into one caller's
//! buffer. The codes themselves are computed by totp-rs: no OTP arithmetic is written here. The
//! generators hold copies of the seeds (inside totp-rs, `zeroize` feature) and are wiped on drop.

use core::fmt;

use crate::entry::Entry;
use crate::otp::{Code, Generator, OtpError};

/// One entry's prepared generator, or why it has none.
#[derive(Clone)]
enum Slot {
    Ready(Generator),
    Invalid(OtpError),
}

impl Slot {
    fn prepare(entry: &Entry) -> Self {
        match Generator::new(&entry.secret, &entry.otp) {
            Ok(generator) => Slot::Ready(generator),
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

impl CodeBook {
    /// A book for `entries`, in their order. Entries whose parameters cannot be computed (see
    /// [`crate::otp::OtpParams::validate`]) get a slot that reports their error.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        Self {
            slots: entries.into_iter().map(Slot::prepare).collect(),
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
        self.slots.insert(index, Slot::prepare(entry));
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
            *slot = Slot::prepare(entry);
        }
    }

    /// Appends the code of entry `index` at `unix_time` (TOTP) or at its counter (HOTP) to
    /// `out`, zero-padded. Returns `false` and writes nothing if `index` is out of range or the
    /// entry cannot be computed. Allocates nothing when `out` has room.
    pub fn write_code(&self, index: usize, unix_time: u64, out: &mut String) -> bool {
        let Some(Slot::Ready(generator)) = self.slots.get(index) else {
            return false;
        };
        generator.write_code(unix_time, out);
        true
    }

    /// The code of entry `index` and its window, or the entry's error. `None` if `index` is
    /// out of range.
    pub fn code(&self, index: usize, unix_time: u64) -> Option<Result<Code, OtpError>> {
        Some(match self.slots.get(index)? {
            Slot::Ready(generator) => Ok(generator.generate(unix_time)),
            Slot::Invalid(e) => Err(*e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{Algorithm, OtpKind, OtpParams};
    use crate::secret::SecretBytes;
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
