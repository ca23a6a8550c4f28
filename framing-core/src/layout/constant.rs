//! Header constants (a magic number, a version): where each one's field
//! is, how a header's bytes are compared with it, and the pool of encoded
//! bytes a layout keeps them in.

use crate::format::{Field, Kind};
use crate::value::{self, Value};

/// The most constant values a layout may declare.
pub const MAX_CONSTANTS: usize = 8;

/// The longest byte-string constant (`c`, `s`, `p`), in bytes.
///
/// A layout keeps its constants' encoded bytes in [`MAX_CONSTANTS_BYTES`]
/// bytes shared by all of them, so a layout with several long string
/// constants may be refused (with [`LayoutError::ConstantsTooLarge`](crate::LayoutError::ConstantsTooLarge)) even
/// though each is within this limit. A
/// constant takes its field's size (an `s` constant all of its field), except
/// `p`, which takes one byte more than its string.
pub const MAX_CONSTANT_BYTES: usize = 32;

/// The most bytes all of a layout's constants may take together.
pub const MAX_CONSTANTS_BYTES: usize = 160;

/// Bytes shared by a layout's constants for their encoded values (keep the
/// number in [`MAX_CONSTANT_BYTES`]'s documentation in step). Each constant
/// takes its field's size (`c`: 1, `s`: its length, integers and floats: their
/// width, `?`: 1), except `p`, which takes its length byte and its string (or
/// nothing for `0p`). Eight constants of up to 8 bytes always fit, and so do
/// four 32-byte `s` constants with four 8-byte integers.
pub(super) const CONSTANT_POOL: usize = MAX_CONSTANTS_BYTES;

/// How a header's bytes are compared with a constant's encoded bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Compare {
    /// Byte for byte: integers, `c` and `s`, whose encoding is unique.
    Bytes,
    /// `?`: any non-zero byte is true.
    Bool,
    /// `e f d`: as numbers, `0.0 == -0.0`, and a NaN constant matches any NaN.
    Float,
    /// `p`: the string after the length byte, as `struct.unpack` reads it.
    Pascal,
    /// A negative `P` constant (`struct.pack` accepts it, `struct.unpack`
    /// reads the field unsigned): it is returned as declared and matches no
    /// header, as when constants were stored as values.
    Never,
}

/// A header constant: where its field is, and where its encoded bytes (as
/// `struct.pack` writes them) are in the layout's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Constant {
    /// The value's index (at most the format's value count, which fits).
    pub(super) index: u32,
    /// The field's offset and size (both at most `MAX_HEADER_LEN`).
    pub(super) offset: u16,
    pub(super) size: u16,
    pub(super) code: u8,
    /// The encoded bytes: `pool[start..start + len]`.
    pub(super) start: u8,
    pub(super) len: u8,
    pub(super) compare: Compare,
}

pub(super) const NO_CONSTANT: Constant = Constant {
    index: 0,
    offset: 0,
    size: 0,
    code: 0,
    start: 0,
    len: 0,
    compare: Compare::Bytes,
};

impl Constant {
    /// The value's index in the tuple `struct.unpack` returns.
    pub(crate) const fn index(&self) -> usize {
        self.index as usize
    }

    /// The field's offset in the header.
    pub(crate) const fn offset(&self) -> usize {
        self.offset as usize
    }

    /// The field the constant is declared on.
    pub(crate) const fn field(&self) -> Field {
        Field {
            index: self.index as usize,
            code: self.code,
            kind: crate::format::kind_of(self.code),
            offset: self.offset as usize,
            size: self.size as usize,
        }
    }

    /// The encoded bytes, as `struct.pack` writes them at the field's offset.
    pub(crate) fn bytes<'a>(&self, pool: &'a [u8; CONSTANT_POOL]) -> &'a [u8] {
        &pool[usize::from(self.start)..][..usize::from(self.len)]
    }

    /// The constant as `struct.unpack` returns it (`s` zero padded).
    pub(super) fn value<'a>(&self, pool: &'a [u8; CONSTANT_POOL], big: bool) -> Value<'a> {
        let bytes = self.bytes(pool);
        let mut field = self.field();
        match self.compare {
            Compare::Never => {
                let width = bytes.len();
                let raw = value::Uint::new(width, big).read(bytes, 0).unwrap_or(0);
                return Value::Int(i128::from(value::sign_extend(raw, width)));
            }
            // Only the length byte and the string are stored.
            Compare::Pascal => field.size = bytes.len(),
            _ => {}
        }
        match value::parse_value(&field, big, bytes) {
            Ok((_, v)) => v,
            // Unreachable: the bytes were written for this field.
            Err(_) => Value::Int(0),
        }
    }

    /// A field's value as one number for messages: a number, `?` or `c`
    /// field read as an unsigned integer of its width in the format's byte
    /// order (its bits, for a signed or float field), a string field's
    /// first 8 bytes (`p`: its length byte first) read big-endian. `bytes`
    /// starts at the field.
    pub(crate) fn scalar(&self, bytes: &[u8], big: bool) -> u64 {
        let n = usize::from(self.size).min(8).min(bytes.len());
        let stringy = matches!(
            crate::format::kind_of(self.code),
            Kind::Bytes | Kind::Pascal
        );
        let order_big = big || stringy;
        if n == 0 {
            return 0;
        }
        value::Uint::new(n, order_big).read(bytes, 0).unwrap_or(0)
    }

    /// Whether the header `bytes` hold this constant.
    #[inline]
    pub(super) fn matches(&self, pool: &[u8; CONSTANT_POOL], big: bool, bytes: &[u8]) -> bool {
        let want = self.bytes(pool);
        let at = usize::from(self.offset);
        match self.compare {
            Compare::Bytes => bytes.get(at..at + want.len()) == Some(want),
            Compare::Bool => match bytes.get(at) {
                Some(&b) => (b != 0) == (want[0] != 0),
                None => false,
            },
            Compare::Never => false,
            Compare::Float | Compare::Pascal => {
                let found = bytes
                    .get(at..)
                    .and_then(|b| value::parse_value(&self.field(), big, b).ok());
                match (self.value(pool, big), found) {
                    (Value::Float(a), Some((_, Value::Float(b)))) => {
                        a == b || (a.is_nan() && b.is_nan())
                    }
                    (Value::Bytes(a), Some((_, Value::Bytes(b)))) => a == b,
                    _ => false,
                }
            }
        }
    }
}
