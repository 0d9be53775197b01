//! Bounded binary reading and writing for the v1 envelopes (docs/FORMAT.md §1).
//!
//! Every envelope parser reads through [`Reader`], which never panics, never reads past its input,
//! checks every length against a cap before anything is allocated, and fails on trailing bytes
//! ([`Reader::finish`]). Integers are big-endian. Constants shared by all envelopes live here.

/// The format version this crate writes, and the only one it reads (FORMAT.md §1).
pub const FORMAT_VERSION_V1: u8 = 0x01;
/// Length of every magic number.
pub const MAGIC_LEN: usize = 4;
/// AES-256-GCM nonce length (random nonces).
pub const NONCE_LEN: usize = 12;
/// AES-256-GCM tag length, appended to every ciphertext.
pub const TAG_LEN: usize = 16;

/// Why bytes could not be read as an envelope's structure. Carries only lengths and offsets,
/// never content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended before a field: `needed` bytes at `offset`, fewer left.
    #[error("input ends early: {needed} bytes needed at offset {offset}")]
    Truncated {
        /// Offset of the field that did not fit.
        offset: usize,
        /// Bytes the field needed.
        needed: usize,
    },
    /// Bytes left over after a complete envelope.
    #[error("{count} trailing bytes after the envelope")]
    TrailingBytes {
        /// Number of bytes left over.
        count: usize,
    },
    /// A length or count field outside the bounds the format allows.
    #[error("length {len} at offset {offset} is outside {min}..={max}")]
    LengthOutOfRange {
        /// Offset of the length field.
        offset: usize,
        /// The value read.
        len: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
}

impl WireError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Truncated { .. } => "wire_truncated",
            WireError::TrailingBytes { .. } => "wire_trailing_bytes",
            WireError::LengthOutOfRange { .. } => "wire_length_out_of_range",
        }
    }
}

/// A cursor over an untrusted byte string.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The input from offset `start` up to the current position (for associated data).
    pub fn consumed_since(&self, start: usize) -> &'a [u8] {
        self.bytes.get(start..self.pos).unwrap_or(&[])
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let truncated = WireError::Truncated {
            offset: self.pos,
            needed: n,
        };
        let end = self.pos.checked_add(n).ok_or(truncated)?;
        let out = self.bytes.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A `u32` that must lie in `min..=max` (a length or a count), as `usize`.
    pub fn u32_in(&mut self, min: u32, max: u32) -> Result<usize, WireError> {
        let offset = self.pos;
        let v = self.u32()?;
        if v < min || v > max {
            return Err(WireError::LengthOutOfRange {
                offset,
                len: u64::from(v),
                min: u64::from(min),
                max: u64::from(max),
            });
        }
        usize::try_from(v).map_err(|_| WireError::LengthOutOfRange {
            offset,
            len: u64::from(v),
            min: u64::from(min),
            max: u64::from(max),
        })
    }

    /// Succeeds only if every byte has been read.
    pub fn finish(self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(WireError::TrailingBytes { count }),
        }
    }
}

/// Appends big-endian fields to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer whose buffer will not reallocate below `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

/// `label || 0x00 || header`: the associated data of an AES-GCM envelope (FORMAT.md §1).
pub(crate) fn labelled(label: &str, header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(label.len() + 1 + header.len());
    aad.extend_from_slice(label.as_bytes());
    aad.push(0);
    aad.extend_from_slice(header);
    aad
}

/// `u32::try_from` for lengths this crate has already bounded; saturates instead of panicking.
pub(crate) fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_rejects_trailing_bytes() {
        let mut w = Writer::default();
        w.bytes(b"TSxx").u8(1).u32(0x0102_0304).bytes(&[9, 9]);
        let bytes = w.into_vec();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.take(4).unwrap(), b"TSxx");
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u32().unwrap(), 0x0102_0304);
        assert_eq!(r.consumed_since(4), &[1, 1, 2, 3, 4]);
        assert_eq!(r.remaining(), 2);
        let err = r.finish().unwrap_err();
        assert_eq!(err, WireError::TrailingBytes { count: 2 });
        assert_eq!(err.code(), "wire_trailing_bytes");
    }

    #[test]
    fn truncation_is_an_error_not_a_panic() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(
            r.u32().unwrap_err(),
            WireError::Truncated {
                offset: 0,
                needed: 4
            }
        );
        assert_eq!(r.take(usize::MAX).unwrap_err().code(), "wire_truncated");
        assert_eq!(r.array::<3>().unwrap(), [1, 2, 3]);
        assert!(r.u8().is_err());
    }

    #[test]
    fn bounded_lengths() {
        let bytes = 70_000u32.to_be_bytes();
        let err = Reader::new(&bytes).u32_in(1, 65_536).unwrap_err();
        assert_eq!(err.code(), "wire_length_out_of_range");
        assert_eq!(Reader::new(&bytes).u32_in(1, 70_000).unwrap(), 70_000);
        assert!(Reader::new(&0u32.to_be_bytes()).u32_in(1, 9).is_err());
    }

    #[test]
    fn labelled_aad() {
        assert_eq!(labelled("ab", &[1]), vec![b'a', b'b', 0, 1]);
    }
}
