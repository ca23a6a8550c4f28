//! Unsigned LEB128 varints, protobuf's length prefix: 7 bits a byte, least
//! significant group first, the high bit set on every byte but the last.

/// The most bytes a 64-bit varint takes.
pub(crate) const MAX_LEN: usize = 10;

/// What the bytes at the start of a slice hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Varint {
    /// A whole varint: its value and its length in bytes.
    Value(u64, usize),
    /// The slice ends inside it: it takes at least this many bytes.
    Need(usize),
    /// More than 10 bytes, or a value above 64 bits: refused after this
    /// many bytes.
    Overflow(usize),
}

/// Reads the varint at the start of `bytes`. Non-minimal encodings (a
/// trailing `0x80 0x00`) are read as protobuf reads them.
#[cfg(test)]
pub(crate) fn read(bytes: &[u8]) -> Varint {
    read_max(bytes, MAX_LEN)
}

/// Reads the varint at the start of `bytes`, refusing one of more than
/// `max` bytes (1 to 10: MQTT's remaining length is at most 4).
#[inline]
pub(crate) fn read_max(bytes: &[u8], max: usize) -> Varint {
    let mut value = 0u64;
    for i in 0..MAX_LEN {
        if i == max {
            return Varint::Overflow(max);
        }
        let Some(&b) = bytes.get(i) else {
            return Varint::Need(i + 1);
        };
        // The tenth byte holds bit 63 alone.
        if i == MAX_LEN - 1 && b > 1 {
            return Varint::Overflow(i + 1);
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Varint::Value(value, i + 1);
        }
    }
    // Unreachable: the tenth byte either ends the varint or overflows.
    Varint::Overflow(MAX_LEN)
}

/// The length of `value`'s minimal encoding.
pub(crate) const fn encoded_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Writes `value`'s minimal encoding at the start of `out` (at least
/// [`encoded_len`] bytes) and returns its length.
pub(crate) fn write(mut value: u64, out: &mut [u8]) -> usize {
    let mut i = 0;
    while value >= 0x80 {
        out[i] = value as u8 | 0x80;
        value >>= 7;
        i += 1;
    }
    out[i] = value as u8;
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_the_boundaries() {
        let mut out = [0u8; MAX_LEN];
        for shift in 0..64 {
            for v in [(1u64 << shift) - 1, 1u64 << shift, (1u64 << shift) + 1] {
                let n = write(v, &mut out);
                assert_eq!(n, encoded_len(v), "{v}");
                assert_eq!(read(&out[..n]), Varint::Value(v, n), "{v}");
                for k in 0..n {
                    assert_eq!(read(&out[..k]), Varint::Need(k + 1), "{v} cut at {k}");
                }
            }
        }
        assert_eq!(encoded_len(0), 1);
        assert_eq!(encoded_len(127), 1);
        assert_eq!(encoded_len(128), 2);
        assert_eq!(encoded_len(u64::MAX), 10);
    }

    #[test]
    fn refuses_what_does_not_fit_64_bits() {
        let mut max = [0xffu8; 10];
        max[9] = 1;
        assert_eq!(read(&max), Varint::Value(u64::MAX, 10));
        max[9] = 2;
        assert_eq!(read(&max), Varint::Overflow(10));
        assert_eq!(read(&[0x80; 11]), Varint::Overflow(10));
        // Non-minimal, as protobuf reads it.
        assert_eq!(read(&[0x81, 0x00]), Varint::Value(1, 2));
        // MQTT: at most 4 bytes.
        assert_eq!(
            read_max(&[0xff, 0xff, 0xff, 0x7f], 4),
            Varint::Value(268_435_455, 4)
        );
        assert_eq!(
            read_max(&[0xff, 0xff, 0xff, 0x80, 0x01], 4),
            Varint::Overflow(4)
        );
        assert_eq!(read_max(&[0xff, 0xff], 4), Varint::Need(3));
    }
}
