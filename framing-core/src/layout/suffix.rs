//! The length written after the fixed header when no field of it holds
//! the length: a varint ([`Suffix::Varint`]) or ASCII digits ended by
//! given bytes ([`Suffix::Ascii`]). The head is then the fixed header and
//! this suffix; one reader, [`Suffix::read`], serves the decoder, the
//! header views and the split of a frame.

use super::delimiter::Separator;
use super::error::{AsciiFault, HeaderFault};
use crate::varint::{self, Varint};
use crate::websocket::{self, Masking};

/// How the digits of an ASCII length are written
/// ([`LayoutBuilder::ascii_length`](crate::LayoutBuilder::ascii_length)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Radix {
    /// Decimal digits `0-9`: netstrings, RFC 6587 octet counting, RESP.
    Decimal,
    /// Hexadecimal digits `0-9`, `a-f`, `A-F` (written lowercase): HTTP/1.1
    /// chunk sizes.
    Hex,
}

impl Radix {
    /// The value of `byte` as a digit, if it is one.
    #[inline]
    pub(crate) const fn digit(self, byte: u8) -> Option<u8> {
        match (self, byte) {
            (_, b'0'..=b'9') => Some(byte - b'0'),
            (Radix::Hex, b'a'..=b'f') => Some(byte - b'a' + 10),
            (Radix::Hex, b'A'..=b'F') => Some(byte - b'A' + 10),
            _ => None,
        }
    }

    /// 10 or 16.
    pub const fn base(self) -> u64 {
        match self {
            Radix::Decimal => 10,
            Radix::Hex => 16,
        }
    }

    /// The most digits a 64-bit value takes.
    pub(crate) const fn max_digits(self) -> u8 {
        match self {
            Radix::Decimal => 20,
            Radix::Hex => 16,
        }
    }
}

/// The length after the fixed header, if there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Suffix {
    /// None: a field of the header holds the length (or, delimited, none).
    None,
    /// An unsigned LEB128 varint of at most `max` (1 to 10) bytes.
    Varint { max: u8 },
    /// ASCII digits, at most `max_digits`, then the bytes `end`.
    Ascii {
        radix: Radix,
        end: Separator,
        max_digits: u8,
    },
    /// A WebSocket frame's extended length and masking key, as the fixed
    /// header's second byte says ([`crate::websocket`]).
    WebSocket { masking: Masking },
}

/// What the bytes at the start of a suffix hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// A whole suffix: the length value and the suffix's length in bytes.
    Value(u64, usize),
    /// The slice ends inside it: it takes at least this many bytes.
    Need(usize),
    /// Malformed, decided after this many bytes.
    Bad(HeaderFault, usize),
}

impl Suffix {
    /// The longest suffix.
    pub(crate) const fn max_len(&self) -> usize {
        match *self {
            Suffix::None => 0,
            Suffix::Varint { max } => max as usize,
            Suffix::Ascii {
                end, max_digits, ..
            } => max_digits as usize + end.len(),
            Suffix::WebSocket { .. } => 12,
        }
    }

    /// Reads the suffix at the start of `bytes`, after the fixed header
    /// `fixed`.
    #[inline]
    pub(crate) fn read(&self, fixed: &[u8], bytes: &[u8]) -> Read {
        match *self {
            Suffix::WebSocket { masking } => match websocket::read_head(fixed, bytes, masking) {
                websocket::Head::Value(v, n) => Read::Value(v, n),
                websocket::Head::Need(n) => Read::Need(n),
                // `at` counts from the frame's start already.
                websocket::Head::Bad(fault, at) => {
                    Read::Bad(HeaderFault::WebSocket { fault, at }, 0)
                }
            },
            Suffix::None => Read::Value(0, 0),
            Suffix::Varint { max } => match varint::read_max(bytes, usize::from(max)) {
                Varint::Value(v, n) => Read::Value(v, n),
                Varint::Need(n) => Read::Need(n),
                Varint::Overflow(n) => Read::Bad(HeaderFault::Varint, n),
            },
            Suffix::Ascii {
                radix,
                end,
                max_digits,
            } => read_ascii(bytes, radix, end.as_bytes(), max_digits),
        }
    }

    /// How many bytes of `bytes` the suffix at its start takes (as many as
    /// there are, at most the longest, when it does not end there).
    #[inline]
    pub(crate) fn len_in(&self, fixed: &[u8], bytes: &[u8]) -> usize {
        match self.read(fixed, bytes) {
            Read::Value(_, n) | Read::Bad(_, n) => n,
            Read::Need(_) => bytes.len().min(self.max_len()),
        }
    }

    /// The length of the suffix written for `value`: the minimal one.
    pub(crate) const fn encoded_len(&self, value: u64) -> usize {
        match *self {
            Suffix::None => 0,
            Suffix::Varint { .. } => varint::encoded_len(value),
            Suffix::Ascii { radix, end, .. } => {
                let mut digits = 1;
                let mut v = value / radix.base();
                while v > 0 {
                    digits += 1;
                    v /= radix.base();
                }
                digits + end.len()
            }
            Suffix::WebSocket { .. } => websocket::extended_len(value),
        }
    }

    /// The largest value the suffix can carry.
    pub(crate) const fn max_value(&self) -> u64 {
        match *self {
            Suffix::None => 0,
            Suffix::WebSocket { .. } => u64::MAX >> 1,
            Suffix::Varint { max } if max >= 10 => u64::MAX,
            Suffix::Varint { max } => (1u64 << (7 * max as u32)) - 1,
            Suffix::Ascii {
                radix, max_digits, ..
            } => {
                let mut v: u64 = 0;
                let mut i = 0;
                while i < max_digits {
                    v = match v.checked_mul(radix.base()) {
                        Some(x) => match x.checked_add(radix.base() - 1) {
                            Some(y) => y,
                            None => return u64::MAX,
                        },
                        None => return u64::MAX,
                    };
                    i += 1;
                }
                v
            }
        }
    }

    /// Writes the minimal suffix for `value` (at most [`max_value`](Self::max_value))
    /// at the start of `out` (at least [`encoded_len`](Self::encoded_len)
    /// bytes), after the fixed header `fixed` (where a WebSocket length
    /// begins), and returns its length.
    pub(crate) fn write(&self, value: u64, fixed: &mut [u8], out: &mut [u8]) -> usize {
        match *self {
            Suffix::None => 0,
            Suffix::WebSocket { .. } => websocket::write_unmasked(value, fixed, out),
            Suffix::Varint { .. } => varint::write(value, out),
            Suffix::Ascii { radix, end, .. } => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let n = self.encoded_len(value) - end.len();
                let mut v = value;
                for slot in out[..n].iter_mut().rev() {
                    *slot = DIGITS[(v % radix.base()) as usize];
                    v /= radix.base();
                }
                out[n..n + end.len()].copy_from_slice(end.as_bytes());
                n + end.len()
            }
        }
    }
}

/// Reads ASCII digits then `end`.
fn read_ascii(bytes: &[u8], radix: Radix, end: &[u8], max_digits: u8) -> Read {
    let mut value = 0u64;
    let mut i = 0;
    let fault = |fault, at: usize| Read::Bad(HeaderFault::Ascii { fault, at }, at + 1);
    loop {
        let Some(&b) = bytes.get(i) else {
            return Read::Need(i + 1);
        };
        let Some(d) = radix.digit(b) else { break };
        if i == usize::from(max_digits) {
            return fault(AsciiFault::TooManyDigits { max: max_digits }, i);
        }
        value = match value
            .checked_mul(radix.base())
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => v,
            None => return fault(AsciiFault::Overflow, i),
        };
        i += 1;
    }
    if i == 0 {
        return fault(AsciiFault::NoDigits { byte: bytes[0] }, 0);
    }
    for (k, &e) in end.iter().enumerate() {
        match bytes.get(i + k) {
            None => return Read::Need(i + k + 1),
            Some(&b) if b == e => {}
            Some(&b) => return fault(AsciiFault::BadEnd { byte: b }, i + k),
        }
    }
    Read::Value(value, i + end.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(radix: Radix, end: &[u8], max_digits: u8) -> Suffix {
        Suffix::Ascii {
            radix,
            end: Separator::new(end).unwrap(),
            max_digits,
        }
    }

    #[test]
    fn ascii_lengths_read_and_write() {
        let net = ascii(Radix::Decimal, b":", 20);
        assert_eq!(net.read(b"", b"12:hello"), Read::Value(12, 3));
        assert_eq!(net.read(b"", b"12"), Read::Need(3));
        assert_eq!(net.read(b"", b""), Read::Need(1));
        assert_eq!(net.len_in(b"", b"12"), 2);
        let bad = |fault, at| Read::Bad(HeaderFault::Ascii { fault, at }, at + 1);
        assert_eq!(
            net.read(b"", b":"),
            bad(AsciiFault::NoDigits { byte: b':' }, 0)
        );
        assert_eq!(
            net.read(b"", b"1x"),
            bad(AsciiFault::BadEnd { byte: b'x' }, 1)
        );
        assert_eq!(
            net.read(b"", b"99999999999999999999:"),
            bad(AsciiFault::Overflow, 19)
        );
        assert_eq!(
            net.read(b"", b"18446744073709551615:"),
            Read::Value(u64::MAX, 21)
        );
        let chunk = ascii(Radix::Hex, b"\r\n", 4);
        assert_eq!(chunk.read(b"", b"1A\r\n"), Read::Value(26, 4));
        assert_eq!(chunk.read(b"", b"1a\r"), Read::Need(4));
        assert_eq!(
            chunk.read(b"", b"1a\rx"),
            bad(AsciiFault::BadEnd { byte: b'x' }, 3)
        );
        assert_eq!(
            chunk.read(b"", b"12345\r\n"),
            bad(AsciiFault::TooManyDigits { max: 4 }, 4)
        );
        assert_eq!(chunk.max_value(), 0xffff);
        let mut out = [0u8; 32];
        for (s, v) in [
            (net, 0u64),
            (net, 12),
            (net, u64::MAX),
            (chunk, 26),
            (chunk, 0xffff),
        ] {
            let n = s.write(v, &mut [], &mut out);
            assert_eq!(n, s.encoded_len(v));
            assert_eq!(s.read(b"", &out[..n]), Read::Value(v, n), "{v}");
        }
        assert_eq!(&out[..4], b"ffff");
    }

    #[test]
    fn varints_have_a_byte_limit() {
        let mqtt = Suffix::Varint { max: 4 };
        assert_eq!(mqtt.max_value(), 268_435_455);
        assert_eq!(
            mqtt.read(b"", &[0x80, 0x80, 0x80, 0x80, 0x01]),
            Read::Bad(HeaderFault::Varint, 4)
        );
        assert_eq!(Suffix::Varint { max: 10 }.max_value(), u64::MAX);
    }
}
