//! What a header is: a [`Format`], which value holds the length, how the
//! length maps to the payload, which values are constants, and the limits and
//! recovery policies the decoder applies.

use core::fmt;

use crate::format::{ByteOrder, Field, Format, FormatError, Kind};
use crate::trailer::{Checksum, Covers};
use crate::value::{self, PutError, Value};
use crate::varint;

/// The most constant values a layout may declare.
pub const MAX_CONSTANTS: usize = 8;

/// The longest byte-string constant (`c`, `s`, `p`), in bytes.
///
/// A layout keeps its constants' encoded bytes in [`MAX_CONSTANTS_BYTES`]
/// bytes shared by all of them, so a layout with several long string
/// constants may be refused (with [`LayoutError::ConstantsTooLarge`]) even
/// though each is within this limit. A
/// constant takes its field's size (an `s` constant all of its field), except
/// `p`, which takes one byte more than its string.
pub const MAX_CONSTANT_BYTES: usize = 32;

/// The most bytes all of a layout's constants may take together.
pub const MAX_CONSTANTS_BYTES: usize = 160;

/// The default maximum payload length: 8 MiB, as tokio-util's codec.
pub const DEFAULT_MAX_PAYLOAD: u64 = 8 * 1024 * 1024;

/// What the decoder does with a frame whose payload is too long
/// (above [`LayoutBuilder::max_payload`], or too large for the decoder's buffer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Oversize {
    /// Fail: the decoder reports the error and stays failed (the default).
    #[default]
    Fail,
    /// Skip the announced payload without buffering it, report it once as a
    /// [`Recovery::Discarded`](crate::Recovery::Discarded) item (not an
    /// error), and go on with the next frame.
    Discard,
}

/// Bytes shared by a layout's constants for their encoded values (keep the
/// number in [`MAX_CONSTANT_BYTES`]'s documentation in step). Each constant
/// takes its field's size (`c`: 1, `s`: its length, integers and floats: their
/// width, `?`: 1), except `p`, which takes its length byte and its string (or
/// nothing for `0p`). Eight constants of up to 8 bytes always fit, and so do
/// four 32-byte `s` constants with four 8-byte integers.
const CONSTANT_POOL: usize = MAX_CONSTANTS_BYTES;

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
    index: u32,
    /// The field's offset and size (both at most `MAX_HEADER_LEN`).
    offset: u16,
    size: u16,
    code: u8,
    /// The encoded bytes: `pool[start..start + len]`.
    start: u8,
    len: u8,
    compare: Compare,
}

const NO_CONSTANT: Constant = Constant {
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
    fn value<'a>(&self, pool: &'a [u8; CONSTANT_POOL], big: bool) -> Value<'a> {
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
    fn matches(&self, pool: &[u8; CONSTANT_POOL], big: bool, bytes: &[u8]) -> bool {
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

/// Where the length lives in the header, pre-digested for the hot path: an
/// integer field, or an `Ns` field read as an unsigned integer (`signed`
/// false). Unused (`index` is `usize::MAX`) when the length is a varint
/// after the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LengthField {
    pub(crate) index: usize,
    pub(crate) offset: usize,
    pub(crate) width: usize,
    pub(crate) signed: bool,
    pub(crate) big: bool,
    pub(crate) uint: value::Uint,
}

impl LengthField {
    /// The raw (unsigned) bits of the length value in `header`.
    #[inline(always)]
    pub(crate) fn read(&self, header: &[u8]) -> Option<u64> {
        self.uint.read(header, self.offset)
    }
}

/// The longest byte string [`Layout::delimited`] takes as a delimiter.
pub const MAX_DELIMITER: usize = 8;

/// How a frame ends when no length says so: serial links' framings.
///
/// ```text
///  COBS:   | 03 11 22 02 33 | 00 |     11 22 00 33, no zero inside; 00 ends it
///  SLIP:   | 11 db dc 22    | c0 |     11 c0 22, END (c0) and ESC (db) escaped
///  lines:  | h  i           | 0a |     "hi", a delimiter that never occurs inside
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delimiter {
    /// Consistent Overhead Byte Stuffing: the frame is COBS-encoded (no zero
    /// byte inside) and ends with a zero byte. A zero with no frame before
    /// it (line noise, a sender's flush) is skipped; an empty payload is
    /// `01 00`, a frame.
    Cobs,
    /// SLIP (RFC 1055): the frame ends with END (0xc0); END and ESC (0xdb)
    /// inside are sent as ESC 0xdc and ESC 0xdd. Empty frames (the END a
    /// sender puts first to flush line noise) are skipped, so SLIP cannot
    /// carry an empty payload (without a trailer): the encoder refuses one
    /// ([`EncodeError::EmptyFrame`](crate::EncodeError::EmptyFrame)).
    Slip,
    /// The frame ends with this byte string, which never occurs inside it
    /// (lines: `\n` or `\r\n`). Empty frames are frames.
    Bytes(Separator),
}

/// A delimiter byte string of 1 to [`MAX_DELIMITER`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Separator {
    bytes: [u8; MAX_DELIMITER],
    len: u8,
}

impl Separator {
    /// The separator `bytes`, or `None` if it is empty or longer than
    /// [`MAX_DELIMITER`].
    pub const fn new(bytes: &[u8]) -> Option<Separator> {
        if bytes.is_empty() || bytes.len() > MAX_DELIMITER {
            return None;
        }
        let mut out = [0u8; MAX_DELIMITER];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        Some(Separator {
            bytes: out,
            len: bytes.len() as u8,
        })
    }

    /// Its bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Its length.
    #[allow(clippy::len_without_is_empty)] // never empty
    pub const fn len(&self) -> usize {
        self.len as usize
    }
}

/// A trailer: its checksum, what it covers, and how its value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TrailerSpec {
    pub(crate) checksum: Checksum,
    pub(crate) covers: Covers,
    pub(crate) uint: value::Uint,
}

/// A complete header layout: the format, where the length is (a field of
/// the header, or a varint after it) and its adjustment, constants, an
/// optional checksum trailer, the maximum payload and the recovery policies.
///
/// Build one with [`Layout::builder`] (all `const fn`, so a layout in a `const`
/// item is checked at compile time) or [`Layout::new`] for the common case.
///
/// ```
/// use framing_core::{Layout, Value};
///
/// // magic u16, version u8, flags u8, length u32 counting the whole frame
/// const LAYOUT: Layout = Layout::builder("!HBBI")
///     .length_field(3)
///     .length_adjust(-8)
///     .constant(0, Value::Int(0xCAFE))
///     .constant(1, Value::Int(1))
///     .max_payload(64 * 1024)
///     .build_or_panic();
///
/// assert_eq!(LAYOUT.header_len(), 8);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    format: Format,
    pub(crate) length: LengthField,
    pub(crate) adjust: i64,
    pub(crate) max_payload: u64,
    pub(crate) header_len: usize,
    constants: [Constant; MAX_CONSTANTS],
    pub(crate) n_constants: u8,
    pub(crate) oversize: Oversize,
    pub(crate) resync: bool,
    /// The length is an unsigned LEB128 varint after the fixed header.
    pub(crate) varint: bool,
    pub(crate) trailer: Option<TrailerSpec>,
    /// Frames end at a delimiter instead (the format is then empty).
    pub(crate) delimiter: Option<Delimiter>,
    /// The constants' encoded bytes; unused bytes are zero.
    pool: [u8; CONSTANT_POOL],
}

impl PartialEq for Layout {
    /// Layouts are equal when everything they say is: the constants compare
    /// as the values they are (so, as `f64`, a NaN constant is unequal to
    /// itself and `-0.0` equals `0.0`).
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.constants(), other.constants());
        self.format == other.format
            && self.length == other.length
            && self.adjust == other.adjust
            && self.max_payload == other.max_payload
            && self.header_len == other.header_len
            && self.oversize == other.oversize
            && self.resync == other.resync
            && self.varint == other.varint
            && self.trailer == other.trailer
            && self.delimiter == other.delimiter
            && a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.field() == y.field()
                    && x.value(&self.pool, self.big()) == y.value(&other.pool, other.big())
            })
    }
}

/// Why a layout could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LayoutError {
    /// The format string is invalid.
    Format(FormatError),
    /// No length field was named and the format has no integer value.
    NoIntegerField,
    /// No length field was named and the format has several integer values.
    AmbiguousLengthField {
        /// How many integer values the format has.
        integers: usize,
    },
    /// The length field index is past the last value.
    NoSuchField {
        /// The index given.
        index: usize,
        /// How many values the format has.
        values: usize,
    },
    /// The named length field does not hold an integer.
    LengthNotInteger {
        /// The index given.
        index: usize,
        /// Its format code.
        code: u8,
    },
    /// More than [`MAX_CONSTANTS`] constants.
    TooManyConstants,
    /// A constant was declared on the length field.
    ConstantOnLength {
        /// The index given.
        index: usize,
    },
    /// The same field was given two constants.
    DuplicateConstant {
        /// The index given.
        index: usize,
    },
    /// A constant's value is not of its field's kind (an integer for `b`..`Q`,
    /// a bool for `?`, a float for `e f d`, bytes for `c s p`).
    ConstantType {
        /// The field's index.
        index: usize,
        /// Its format code.
        code: u8,
    },
    /// A constant's value does not fit its field (out of range, too long, or a
    /// byte string longer than [`MAX_CONSTANT_BYTES`]).
    ConstantRange {
        /// The field's index.
        index: usize,
        /// Its format code.
        code: u8,
    },
    /// The constants together take more than [`MAX_CONSTANTS_BYTES`] bytes
    /// (each field's size; a `p` field's string plus one).
    ConstantsTooLarge {
        /// The index of the constant that did not fit.
        index: usize,
    },
    /// Resynchronisation was asked for, but the layout has no constants to
    /// find a header by.
    ResyncWithoutConstants,
    /// An `Ns` length field must be 1 to 8 bytes.
    LengthFieldSize {
        /// The field's index.
        index: usize,
        /// Its size.
        size: usize,
    },
    /// A length field was named, but the length is a varint after the
    /// header.
    VarintAndLengthField {
        /// The index given.
        index: usize,
    },
    /// A delimiter of no bytes, or of more than [`MAX_DELIMITER`].
    DelimiterSize {
        /// The delimiter's length.
        len: usize,
    },
    /// A delimited layout was also given a length (a length field, a varint
    /// or constants): frames end at their delimiter.
    DelimiterAndLength,
}

impl LayoutError {
    /// The reason as a static sentence, usable in `const` panics.
    pub const fn message(&self) -> &'static str {
        match self {
            LayoutError::Format(e) => e.message(),
            LayoutError::NoIntegerField => "the format has no integer value to hold the length",
            LayoutError::AmbiguousLengthField { .. } => {
                "the format has several integer values: name the length field"
            }
            LayoutError::NoSuchField { .. } => "field index past the last value of the format",
            LayoutError::LengthNotInteger { .. } => {
                "the length field is not an integer or an `Ns` byte string"
            }
            LayoutError::TooManyConstants => "more than 8 constants",
            LayoutError::ConstantOnLength { .. } => "the length field cannot be a constant",
            LayoutError::DuplicateConstant { .. } => "a field was given two constants",
            LayoutError::ConstantType { .. } => "a constant is not of its field's type",
            LayoutError::ConstantRange { .. } => "a constant does not fit its field",
            LayoutError::ConstantsTooLarge { .. } => {
                "the constants together take more than 160 bytes"
            }
            LayoutError::ResyncWithoutConstants => "resynchronisation needs at least one constant",
            LayoutError::LengthFieldSize { .. } => "an `Ns` length field must be 1 to 8 bytes",
            LayoutError::VarintAndLengthField { .. } => {
                "the length is a varint after the header: name no length field"
            }
            LayoutError::DelimiterSize { .. } => "a delimiter is 1 to 8 bytes",
            LayoutError::DelimiterAndLength => {
                "a delimited layout has no length field, varint or constants"
            }
        }
    }
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::Format(e) => e.fmt(f),
            LayoutError::AmbiguousLengthField { integers } => write!(
                f,
                "the format has {integers} integer values: name the one that holds the length"
            ),
            LayoutError::NoSuchField { index, values } => write!(
                f,
                "field {index} does not exist: the format has {values} values (0..{values})"
            ),
            LayoutError::LengthNotInteger { index, code } => write!(
                f,
                "field {index} ({:?}) cannot hold the length: it is neither an integer nor an `Ns` \
                 byte string",
                code as char
            ),
            LayoutError::LengthFieldSize { index, size } => write!(
                f,
                "field {index} ({size}s) cannot hold the length: an `Ns` length is 1 to 8 bytes"
            ),
            LayoutError::VarintAndLengthField { index } => write!(
                f,
                "field {index} was named as the length, but the length is a varint after the header"
            ),
            LayoutError::ConstantOnLength { index } => {
                write!(
                    f,
                    "field {index} holds the length and cannot also be a constant"
                )
            }
            LayoutError::DuplicateConstant { index } => {
                write!(f, "field {index} was given two constant values")
            }
            LayoutError::ConstantType { index, code } => write!(
                f,
                "the constant for field {index} ({:?}) is not of that field's type",
                code as char
            ),
            LayoutError::ConstantRange { index, code } => write!(
                f,
                "the constant for field {index} ({:?}) does not fit the field",
                code as char
            ),
            _ => f.write_str(self.message()),
        }
    }
}

impl core::error::Error for LayoutError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            LayoutError::Format(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FormatError> for LayoutError {
    fn from(e: FormatError) -> Self {
        LayoutError::Format(e)
    }
}

/// Builds a [`Layout`]. Every setter is a `const fn`; errors are reported
/// once, by [`build`](LayoutBuilder::build).
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct LayoutBuilder {
    format: Result<Format, FormatError>,
    length_field: Option<usize>,
    adjust: i64,
    max_payload: u64,
    constants: [Constant; MAX_CONSTANTS],
    n_constants: usize,
    pool: [u8; CONSTANT_POOL],
    pool_len: usize,
    error: Option<LayoutError>,
    oversize: Oversize,
    resync: bool,
    varint: bool,
    trailer: Option<(Checksum, Covers, Option<ByteOrder>)>,
    delimiter: Option<Delimiter>,
}

impl LayoutBuilder {
    /// Which value holds the length: an index into the tuple `struct.unpack`
    /// returns. Default: the format's only integer value (an error at
    /// `build` if there are several). Applies to encoding and decoding.
    ///
    /// The field is an integer, or an `Ns` byte string of 1 to 8 bytes read
    /// as an unsigned integer in the format's byte order: a 3-byte length,
    /// which `struct` has no code for, is `3s` (Python peers write it with
    /// `n.to_bytes(3, 'big')`).
    ///
    /// ```
    /// use framing_core::Layout;
    ///
    /// // An HTTP/2 frame header: length u24, type u8, flags u8, stream u32.
    /// const HTTP2: Layout = Layout::builder("!3sBBI").length_field(0).build_or_panic();
    ///
    /// let mut header = [0u8; 9];
    /// HTTP2.encode_header(300, &mut header).unwrap();
    /// assert_eq!(&header[..3], &[0, 1, 44]);
    /// ```
    pub const fn length_field(mut self, index: usize) -> Self {
        self.length_field = Some(index);
        self
    }

    /// Payload length = length value + `adjust`. Default 0. A length that
    /// counts the whole frame, header included, uses `-(header size)`.
    /// Applies to encoding (length value = payload length - adjust) and decoding.
    pub const fn length_adjust(mut self, adjust: i64) -> Self {
        self.adjust = adjust;
        self
    }

    /// Declares value `index` a constant (a magic number, a version).
    /// Encoding writes it; decoding rejects a frame whose value differs.
    /// Default: no constants. Bytes are copied, so `value` may be temporary.
    /// At most [`MAX_CONSTANTS`] constants, each (and, for `s`, its field) at
    /// most [`MAX_CONSTANT_BYTES`] long, sharing the room described there.
    pub const fn constant(mut self, index: usize, value: Value<'_>) -> Self {
        if self.error.is_some() {
            return self;
        }
        let format = match self.format {
            Ok(f) => f,
            Err(_) => return self,
        };
        let field = match format.field(index) {
            Some(f) => f,
            None => {
                self.error = Some(LayoutError::NoSuchField {
                    index,
                    values: format.value_count(),
                });
                return self;
            }
        };
        if self.n_constants == MAX_CONSTANTS {
            self.error = Some(LayoutError::TooManyConstants);
            return self;
        }
        let mut k = 0;
        while k < self.n_constants {
            if self.constants[k].index() == index {
                self.error = Some(LayoutError::DuplicateConstant { index });
                return self;
            }
            k += 1;
        }
        // Check the value by writing it, exactly as the encoder will. The
        // bytes are stored in the layout, so strings (and `s` fields) are
        // bounded.
        let too_long = match value {
            Value::Bytes(b) => {
                b.len() > MAX_CONSTANT_BYTES
                    || (matches!(field.kind, Kind::Bytes) && field.size > MAX_CONSTANT_BYTES)
            }
            _ => false,
        };
        let mut scratch = [0u8; 2 * MAX_CONSTANT_BYTES];
        let checked = if too_long {
            Err(PutError::Range)
        } else {
            value::put_value(&field, format.byte_order(), &value, &mut scratch)
        };
        let err = match checked {
            Ok(()) => None,
            Err(PutError::Type) => Some(LayoutError::ConstantType {
                index,
                code: field.code,
            }),
            Err(PutError::Range) => Some(LayoutError::ConstantRange {
                index,
                code: field.code,
            }),
        };
        if err.is_some() {
            self.error = err;
            return self;
        }
        // Store the bytes the encoder writes: the whole field, except for
        // `p`, whose padding after the string is left out.
        let len = match (field.kind, value) {
            (Kind::Pascal, Value::Bytes(b)) if field.size > 0 => 1 + b.len(),
            (Kind::Pascal, _) => 0,
            _ => field.size,
        };
        let compare = match (field.kind, value) {
            (Kind::Bool, _) => Compare::Bool,
            (Kind::Float, _) => Compare::Float,
            (Kind::Pascal, _) => Compare::Pascal,
            (_, Value::Int(v)) if v < 0 && field.code == b'P' => Compare::Never,
            _ => Compare::Bytes,
        };
        if len > CONSTANT_POOL - self.pool_len {
            self.error = Some(LayoutError::ConstantsTooLarge { index });
            return self;
        }
        let mut i = 0;
        while i < len {
            self.pool[self.pool_len + i] = scratch[i];
            i += 1;
        }
        // Every number fits: the index is below the value count (a `u32`),
        // offset and size are at most `MAX_HEADER_LEN`, and the pool is short.
        self.constants[self.n_constants] = Constant {
            index: index as u32,
            offset: field.offset as u16,
            size: field.size as u16,
            code: field.code,
            start: self.pool_len as u8,
            len: len as u8,
            compare,
        };
        self.pool_len += len;
        self.n_constants += 1;
        self
    }

    /// The largest payload accepted, in bytes. Default
    /// [`DEFAULT_MAX_PAYLOAD`] (8 MiB). Decoding reports a longer announced
    /// payload without allocating or buffering it; encoding refuses one.
    pub const fn max_payload(mut self, max: u64) -> Self {
        self.max_payload = max;
        self
    }

    /// What decoding does with an oversized frame. Default [`Oversize::Fail`].
    /// Decoding only.
    pub const fn on_oversize(mut self, policy: Oversize) -> Self {
        self.oversize = policy;
        self
    }

    /// After a bad header, skip forward to the next position where the
    /// constants match and the header is valid (or, under
    /// [`Oversize::Discard`], oversized), report how many bytes were skipped
    /// as a [`Recovery::Skipped`](crate::Recovery::Skipped) item (not an
    /// error), and go on. Default `false` (TCP does not lose bytes; serial
    /// links do). Needs at least one constant. Decoding only.
    pub const fn resync(mut self, on: bool) -> Self {
        self.resync = on;
        self
    }

    /// The length is an unsigned LEB128 varint (protobuf's encoding: 7 bits
    /// a byte, least significant first, at most 10 bytes) right after the
    /// fixed header, which may be empty (`""`: a protobuf-delimited stream)
    /// or carry constants. The adjust and the maximum apply to its value as
    /// to a length field's. Decoding accepts non-minimal encodings, as
    /// protobuf's parsers do, and refuses more than 10 bytes or a value
    /// above 64 bits ([`VarintOverflow`](crate::DecodeErrorKind::VarintOverflow));
    /// encoding writes the minimal one. (A frame must still fit a `usize`
    /// with its head and trailer: a payload within a few bytes of 2^64 is
    /// [`FrameTooLarge`](crate::DecodeErrorKind::FrameTooLarge) even for a
    /// streaming decoder.)
    ///
    /// ```
    /// use framing_core::Layout;
    ///
    /// const DELIMITED: Layout = Layout::builder("").varint_length().build_or_panic();
    ///
    /// let mut out = [0u8; 16];
    /// let n = DELIMITED.encode(&[7; 300][..3], &mut out).unwrap();
    /// assert_eq!(&out[..n], &[3, 7, 7, 7]);
    /// assert_eq!(DELIMITED.encode_header(300, &mut out), Ok(2));
    /// assert_eq!(&out[..2], &[0xac, 0x02]);
    /// ```
    pub const fn varint_length(mut self) -> Self {
        self.varint = true;
        self
    }

    /// A checksum trailer after the payload, covering the header and the
    /// payload ([`Covers::Frame`], the default; see
    /// [`trailer_covers`](Self::trailer_covers)) and written in the format's
    /// byte order (see [`trailer_byte_order`](Self::trailer_byte_order)).
    /// The decoder checks it before it returns the frame (the payload then
    /// excludes it); the encoder writes it.
    ///
    /// ```
    /// use framing_core::{Checksum, Layout};
    ///
    /// const LAYOUT: Layout = Layout::builder("<H").trailer(Checksum::Crc32).build_or_panic();
    ///
    /// let mut out = [0u8; 16];
    /// let n = LAYOUT.encode(b"hi", &mut out).unwrap();
    /// // zlib.crc32(b"\x02\x00hi").to_bytes(4, "little")
    /// assert_eq!(&out[4..n], &Checksum::Crc32.checksum(b"\x02\x00hi").to_le_bytes());
    /// ```
    pub const fn trailer(mut self, checksum: Checksum) -> Self {
        self.trailer = match self.trailer {
            Some((_, covers, order)) => Some((checksum, covers, order)),
            None => Some((checksum, Covers::Frame, None)),
        };
        self
    }

    /// What the trailer's checksum covers; without a
    /// [`trailer`](Self::trailer), nothing.
    pub const fn trailer_covers(mut self, covers: Covers) -> Self {
        if let Some((checksum, _, order)) = self.trailer {
            self.trailer = Some((checksum, covers, order));
        }
        self
    }

    /// The trailer's byte order, when it is not the format's; without a
    /// [`trailer`](Self::trailer), nothing.
    pub const fn trailer_byte_order(mut self, order: ByteOrder) -> Self {
        if let Some((checksum, covers, _)) = self.trailer {
            self.trailer = Some((checksum, covers, Some(order)));
        }
        self
    }

    /// Checks everything and builds the layout.
    ///
    /// # Errors
    /// The first problem found, as a [`LayoutError`].
    pub const fn build(self) -> Result<Layout, LayoutError> {
        let format = match self.format {
            Ok(f) => f,
            Err(e) => return Err(LayoutError::Format(e)),
        };
        if let Some(e) = self.error {
            return Err(e);
        }
        let big = format.byte_order().is_big_endian();
        if self.delimiter.is_some()
            && (self.varint || self.length_field.is_some() || self.n_constants != 0)
        {
            return Err(LayoutError::DelimiterAndLength);
        }
        let trailer = match self.trailer {
            Some((checksum, covers, order)) => {
                let tbig = match order {
                    Some(o) => o.is_big_endian(),
                    None => big,
                };
                Some(TrailerSpec {
                    checksum,
                    covers,
                    uint: value::Uint::new(checksum.byte_len(), tbig),
                })
            }
            None => None,
        };
        let length = if self.varint || self.delimiter.is_some() {
            if let Some(index) = self.length_field {
                return Err(LayoutError::VarintAndLengthField { index });
            }
            // Unused: the length is a varint, or there is none.
            LengthField {
                index: usize::MAX,
                offset: 0,
                width: 8,
                signed: false,
                big,
                uint: value::Uint::new(8, big),
            }
        } else {
            match self.length_in(&format) {
                Ok(length) => length,
                Err(e) => return Err(e),
            }
        };
        if self.resync && self.n_constants == 0 && self.delimiter.is_none() {
            return Err(LayoutError::ResyncWithoutConstants);
        }
        Ok(Layout {
            format,
            length,
            adjust: self.adjust,
            max_payload: self.max_payload,
            header_len: format.size(),
            constants: self.constants,
            n_constants: self.n_constants as u8,
            oversize: self.oversize,
            resync: self.resync,
            varint: self.varint,
            trailer,
            delimiter: self.delimiter,
            pool: self.pool,
        })
    }

    /// The length field of `format` this builder names (or the only
    /// integer), checked.
    const fn length_in(&self, format: &Format) -> Result<LengthField, LayoutError> {
        let index = match self.length_field {
            Some(i) => i,
            None => {
                let mut found = None;
                let mut integers = 0;
                let mut k = 0;
                while k < format.value_count() {
                    if let Some(f) = format.field(k) {
                        if f.kind.is_integer() {
                            integers += 1;
                            found = Some(k);
                        }
                    }
                    k += 1;
                }
                match (found, integers) {
                    (Some(i), 1) => i,
                    (None, _) => return Err(LayoutError::NoIntegerField),
                    _ => return Err(LayoutError::AmbiguousLengthField { integers }),
                }
            }
        };
        let field = match format.field(index) {
            Some(f) => f,
            None => {
                return Err(LayoutError::NoSuchField {
                    index,
                    values: format.value_count(),
                })
            }
        };
        let bytes_length = matches!(field.kind, Kind::Bytes);
        if bytes_length && (field.size == 0 || field.size > 8) {
            return Err(LayoutError::LengthFieldSize {
                index,
                size: field.size,
            });
        }
        if !field.kind.is_integer() && !bytes_length {
            return Err(LayoutError::LengthNotInteger {
                index,
                code: field.code,
            });
        }
        let mut k = 0;
        while k < self.n_constants {
            if self.constants[k].index() == index {
                return Err(LayoutError::ConstantOnLength { index });
            }
            k += 1;
        }
        let big = format.byte_order().is_big_endian();
        Ok(LengthField {
            index,
            offset: field.offset,
            width: field.size,
            signed: matches!(field.kind, Kind::Signed),
            big,
            uint: value::Uint::new(field.size, big),
        })
    }

    /// Like [`build`](Self::build), but panics on error: in a `const` item
    /// the panic is a compile error naming the problem.
    ///
    /// # Panics
    /// If [`build`](Self::build) would return an error.
    pub const fn build_or_panic(self) -> Layout {
        match self.build() {
            Ok(l) => l,
            Err(e) => panic!("{}", e.message()),
        }
    }
}

/// Why a header was rejected, before any offset is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderFault {
    Negative(i64),
    Adjust(i128),
    TooLong(u64),
    /// Constant `index` does not match; `found` is the header's value (see
    /// [`Constant::scalar`]).
    Constant {
        index: usize,
        found: u64,
    },
    /// A varint length of more than 10 bytes or 64 bits.
    Varint,
    /// A trailer that does not match the frame.
    Checksum {
        computed: u32,
        carried: u32,
    },
    /// A COBS block cut short by the delimiter, `missing` bytes short.
    Cobs {
        missing: u8,
    },
    /// A SLIP escape followed by `byte`.
    SlipEscape {
        byte: u8,
    },
}

impl Layout {
    /// Starts a layout from a `struct` format string. See [`LayoutBuilder`]
    /// for what can be set and the defaults.
    pub const fn builder(format: &str) -> LayoutBuilder {
        LayoutBuilder {
            format: Format::parse(format),
            length_field: None,
            adjust: 0,
            max_payload: DEFAULT_MAX_PAYLOAD,
            constants: [NO_CONSTANT; MAX_CONSTANTS],
            n_constants: 0,
            pool: [0; CONSTANT_POOL],
            pool_len: 0,
            error: None,
            oversize: Oversize::Fail,
            resync: false,
            varint: false,
            trailer: None,
            delimiter: None,
        }
    }

    /// A builder for frames that end at `delimiter` rather than carry a
    /// length: no header, a payload of at most
    /// [`max_payload`](LayoutBuilder::max_payload) bytes (decoded), and an
    /// optional [`trailer`](LayoutBuilder::trailer) at its end.
    /// [`resync`](LayoutBuilder::resync) is on: a corrupt frame (a bad COBS
    /// block or SLIP escape, a bad trailer), or a stream that starts
    /// mid-frame, costs that frame, reported, and decoding goes on at the
    /// next delimiter; turn it off to make these errors.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Delimiter, Layout};
    ///
    /// const COBS: Layout = Layout::cobs().build_or_panic();
    /// assert_eq!(COBS.delimiter(), Some(Delimiter::Cobs));
    /// let mut out = [0u8; 16];
    /// let n = COBS.encode(b"\x11\x22\x00\x33", &mut out).unwrap();
    /// assert_eq!(&out[..n], b"\x03\x11\x22\x02\x33\x00");
    ///
    /// let mut decoder = Decoder::new(&COBS, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut chunk = &out[..n];
    /// let frame = decoder.decode(&mut chunk)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!(frame.payload(), b"\x11\x22\x00\x33");
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn with_delimiter(delimiter: Delimiter) -> LayoutBuilder {
        let mut b = Layout::builder("");
        b.delimiter = Some(delimiter);
        b.resync = true;
        b
    }

    /// COBS frames ([`Delimiter::Cobs`]), as [`Layout::with_delimiter`].
    pub const fn cobs() -> LayoutBuilder {
        Layout::with_delimiter(Delimiter::Cobs)
    }

    /// SLIP frames ([`Delimiter::Slip`]), as [`Layout::with_delimiter`].
    pub const fn slip() -> LayoutBuilder {
        Layout::with_delimiter(Delimiter::Slip)
    }

    /// [`Layout::with_delimiter`] with a byte-string delimiter (1 to
    /// [`MAX_DELIMITER`] bytes): `b"\n"` for lines, `b"\r\n"` for CRLF
    /// lines. A delimited frame lying whole in the chunk is returned as a
    /// slice of it.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Layout};
    ///
    /// const LINES: Layout = Layout::delimited(b"\n").max_payload(80).build_or_panic();
    /// let mut decoder = Decoder::new(&LINES, framing_core::heapless::Vec::<u8, 82>::new());
    /// let mut lines = Vec::new();
    /// for chunk in [&b"$GPGGA,1*4F\n$GPR"[..], b"MC,2*1A\n"] {
    ///     let mut chunk = chunk;
    ///     while let Some(Decoded::Frame(line)) = decoder.decode(&mut chunk)? {
    ///         lines.push(line.payload().to_vec());
    ///     }
    /// }
    /// assert_eq!(lines, [b"$GPGGA,1*4F".to_vec(), b"$GPRMC,2*1A".to_vec()]);
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn delimited(delimiter: &[u8]) -> LayoutBuilder {
        match Separator::new(delimiter) {
            Some(sep) => Layout::with_delimiter(Delimiter::Bytes(sep)),
            None => {
                let mut b = Layout::with_delimiter(Delimiter::Slip);
                b.error = Some(LayoutError::DelimiterSize {
                    len: delimiter.len(),
                });
                b
            }
        }
    }

    /// A layout with every default: the format's only integer value is the
    /// length, no adjust, no constants, 8 MiB maximum.
    ///
    /// ```
    /// const LAYOUT: framing_core::Layout = framing_core::Layout::new("!I");
    /// assert_eq!(LAYOUT.header_len(), 4);
    /// ```
    ///
    /// # Panics
    /// If the format is invalid or has no single integer value (in a `const`
    /// item, a compile error). Use [`Layout::parse`] for formats known only at
    /// run time.
    pub const fn new(format: &str) -> Layout {
        Layout::builder(format).build_or_panic()
    }

    /// Like [`Layout::new`], for formats known only at run time.
    ///
    /// # Errors
    /// A [`LayoutError`] if the format is invalid or has no single integer value.
    pub const fn parse(format: &str) -> Result<Layout, LayoutError> {
        Layout::builder(format).build()
    }

    /// The parsed format.
    pub const fn format(&self) -> &Format {
        &self.format
    }

    /// Size of the header in bytes.
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// Index of the value that holds the length; `None` when the length is
    /// a varint after the header.
    pub const fn length_field(&self) -> Option<usize> {
        if self.varint {
            None
        } else {
            Some(self.length.index)
        }
    }

    /// How frames end, if not by a length ([`Layout::with_delimiter`]).
    pub const fn delimiter(&self) -> Option<Delimiter> {
        self.delimiter
    }

    /// Whether the length is a varint after the fixed header
    /// ([`LayoutBuilder::varint_length`]).
    pub const fn has_varint_length(&self) -> bool {
        self.varint
    }

    /// The longest head: the fixed header, and the longest varint (10
    /// bytes) when the length is one.
    pub const fn max_head_len(&self) -> usize {
        if self.varint {
            self.header_len + varint::MAX_LEN
        } else {
            self.header_len
        }
    }

    /// The trailer's checksum, if the layout has one.
    pub const fn trailer(&self) -> Option<Checksum> {
        match self.trailer {
            Some(t) => Some(t.checksum),
            None => None,
        }
    }

    /// What the trailer covers (meaningless without a trailer).
    pub const fn trailer_covers(&self) -> Covers {
        match self.trailer {
            Some(t) => t.covers,
            None => Covers::Frame,
        }
    }

    /// The trailer's length in bytes: 0 without one.
    pub const fn trailer_len(&self) -> usize {
        match self.trailer {
            Some(t) => t.checksum.byte_len(),
            None => 0,
        }
    }

    /// The longest frame the layout allows: the longest head, the maximum
    /// payload and the trailer (saturating at `u64::MAX`).
    pub const fn max_frame_len(&self) -> u64 {
        self.max_payload
            .saturating_add(self.max_head_len() as u64)
            .saturating_add(self.trailer_len() as u64)
    }

    /// The smallest buffer a decoder accepts (else it reports
    /// [`BufferTooSmall`](crate::DecodeErrorKind::BufferTooSmall)): the
    /// longest head, or the trailer if that is longer. A
    /// [`StreamDecoder`](crate::StreamDecoder) needs no more; a
    /// [`Decoder`](crate::Decoder) needs room for its largest frame.
    pub const fn min_buffer_len(&self) -> usize {
        let head = self.max_head_len();
        let tail = self.trailer_len();
        if head > tail {
            head
        } else {
            tail
        }
    }

    /// Splits the bytes of one whole frame, as a decoder returned it, into
    /// its head (the fixed header and the varint length, if any), payload
    /// and trailer (empty without one). For owned frame types that keep a
    /// frame's bytes together. Never panics: bytes too short for a head
    /// are all head.
    ///
    /// ```
    /// use framing_core::{Checksum, Layout};
    ///
    /// let layout = Layout::builder("B").varint_length().trailer(Checksum::Crc16Xmodem).build()?;
    /// let mut out = [0u8; 16];
    /// let n = layout.encode(b"abc", &mut out)?;
    /// let (head, payload, trailer) = layout.split_frame(&out[..n]);
    /// assert_eq!((head, payload, trailer.len()), (&[0, 3][..], &b"abc"[..], 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn split_frame<'a>(&self, frame: &'a [u8]) -> (&'a [u8], &'a [u8], &'a [u8]) {
        let (head, body) = frame.split_at(self.head_len_in(frame).min(frame.len()));
        let (payload, trailer) = body.split_at(body.len().saturating_sub(self.trailer_len()));
        (head, payload, trailer)
    }

    /// The length of the head at the start of a frame's `bytes`: the fixed
    /// header, and the varint after it if the length is one (as much of it
    /// as `bytes` holds).
    #[inline(always)]
    pub(crate) fn head_len_in(&self, bytes: &[u8]) -> usize {
        if !self.varint {
            return self.header_len;
        }
        let rest = bytes.get(self.header_len..).unwrap_or(&[]);
        self.header_len + varint::len_in(rest)
    }

    /// The signed adjustment from length value to payload length.
    pub const fn length_adjust(&self) -> i64 {
        self.adjust
    }

    /// The largest accepted payload, in bytes.
    pub const fn max_payload(&self) -> u64 {
        self.max_payload
    }

    /// The oversize policy.
    pub const fn oversize(&self) -> Oversize {
        self.oversize
    }

    /// Whether the decoder resynchronises after a bad header.
    pub const fn resyncs(&self) -> bool {
        self.resync
    }

    /// The constant declared for value `index`, if any.
    pub fn constant(&self, index: usize) -> Option<Value<'_>> {
        self.constants()
            .iter()
            .find(|c| c.index() == index)
            .map(|c| c.value(&self.pool, self.big()))
    }

    pub(crate) fn constants(&self) -> &[Constant] {
        &self.constants[..usize::from(self.n_constants)]
    }

    /// The encoded bytes of constant `c`, to be written at its offset into a
    /// zeroed header.
    pub(crate) fn constant_bytes(&self, c: &Constant) -> &[u8] {
        c.bytes(&self.pool)
    }

    fn big(&self) -> bool {
        self.format.byte_order().is_big_endian()
    }

    /// Validates a header (`bytes` holds at least `header_len` bytes) and
    /// returns the payload length.
    #[inline(always)]
    pub(crate) fn check_header(&self, bytes: &[u8]) -> Result<u64, HeaderFault> {
        let raw = match self.length.read(bytes) {
            Some(v) => v,
            None => {
                return Err(HeaderFault::Constant {
                    index: usize::MAX,
                    found: 0,
                })
            }
        };
        self.check_length(bytes, raw)
    }

    /// Validates a header (`bytes` holds at least `header_len` bytes) whose
    /// raw length value (a field's bits, or a varint) is `raw`, and returns
    /// the payload length.
    #[inline(always)]
    pub(crate) fn check_length(&self, bytes: &[u8], raw: u64) -> Result<u64, HeaderFault> {
        let l = &self.length;
        if self.n_constants != 0 {
            self.check_constants(bytes)?;
        }
        let value = if l.signed {
            let v = value::sign_extend(raw, l.width);
            if v < 0 && self.adjust == 0 {
                return Err(HeaderFault::Negative(v));
            }
            i128::from(v)
        } else {
            i128::from(raw)
        };
        let payload = value + i128::from(self.adjust);
        if payload < 0 || payload > i128::from(u64::MAX) {
            // The value the header carried, not the adjusted one.
            return Err(HeaderFault::Adjust(value));
        }
        let payload = payload as u64;
        if payload > self.max_payload || payload > usize::MAX as u64 {
            return Err(HeaderFault::TooLong(payload));
        }
        Ok(payload)
    }

    #[cold]
    pub(crate) fn check_constants(&self, bytes: &[u8]) -> Result<(), HeaderFault> {
        let big = self.big();
        for c in self.constants() {
            if !c.matches(&self.pool, big, bytes) {
                let at = bytes.get(c.offset()..).unwrap_or(&[]);
                return Err(HeaderFault::Constant {
                    index: c.index(),
                    found: c.scalar(at, big),
                });
            }
        }
        Ok(())
    }

    /// The value constant `index` expects, as [`Constant::scalar`] gives it.
    pub(crate) fn expected_scalar(&self, index: usize) -> u64 {
        match self.constants().iter().find(|c| c.index() == index) {
            Some(c) => c.scalar(c.bytes(&self.pool), self.big()),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_length_field_is_the_only_integer() {
        let l = Layout::parse("<4s?I").unwrap();
        assert_eq!(l.length_field(), Some(2));
        assert_eq!(
            Layout::parse("<HI").unwrap_err(),
            LayoutError::AmbiguousLengthField { integers: 2 }
        );
        assert_eq!(
            Layout::parse("<4sd").unwrap_err(),
            LayoutError::NoIntegerField
        );
        assert_eq!(
            Layout::builder("<Hd").length_field(1).build().unwrap_err(),
            LayoutError::LengthNotInteger {
                index: 1,
                code: b'd'
            }
        );
    }

    #[test]
    fn constants_are_checked_when_declared() {
        let b = || Layout::builder("<BHI4s").length_field(2);
        assert!(b().constant(0, Value::Int(255)).build().is_ok());
        assert_eq!(
            b().constant(0, Value::Int(256)).build().unwrap_err(),
            LayoutError::ConstantRange {
                index: 0,
                code: b'B'
            }
        );
        assert_eq!(
            b().constant(3, Value::Bytes(b"ABCDE")).build().unwrap_err(),
            LayoutError::ConstantRange {
                index: 3,
                code: b's'
            }
        );
        assert_eq!(
            b().constant(1, Value::Bool(true)).build().unwrap_err(),
            LayoutError::ConstantType {
                index: 1,
                code: b'H'
            }
        );
        assert_eq!(
            b().constant(2, Value::Int(1)).build().unwrap_err(),
            LayoutError::ConstantOnLength { index: 2 }
        );
        assert_eq!(
            b().constant(9, Value::Int(1)).build().unwrap_err(),
            LayoutError::NoSuchField {
                index: 9,
                values: 4
            }
        );
        assert_eq!(
            b().resync(true).build().unwrap_err(),
            LayoutError::ResyncWithoutConstants
        );
        // `s` constants are stored zero padded, as unpack returns them.
        let l = b().constant(3, Value::Bytes(b"AB")).build().unwrap();
        assert_eq!(l.constant(3), Some(Value::Bytes(b"AB\0\0")));
    }

    #[test]
    fn constants_share_a_pool() {
        let s = [b'x'; MAX_CONSTANT_BYTES];
        let mut b = Layout::builder("<32s32s32s32s32sBI").length_field(6);
        for i in 0..5 {
            b = b.constant(i, Value::Bytes(&s));
        }
        assert!(b.build().is_ok());
        assert_eq!(
            b.constant(5, Value::Int(1)).build().unwrap_err(),
            LayoutError::ConstantsTooLarge { index: 5 }
        );
        let l = Layout::builder("<BHIQbhiq?Ib")
            .length_field(9)
            .constant(0, Value::Int(1))
            .constant(1, Value::Int(2))
            .constant(2, Value::Int(3))
            .constant(3, Value::Int(4))
            .constant(4, Value::Int(-1))
            .constant(5, Value::Int(-2))
            .constant(6, Value::Int(-3))
            .constant(7, Value::Int(-4))
            .build()
            .unwrap();
        assert_eq!(l.constant(7), Some(Value::Int(-4)));
        assert_eq!(l.constant(3), Some(Value::Int(4)));
    }

    #[test]
    fn constants_match_as_values_not_bytes() {
        // `?`: any non-zero byte is true.
        let l = Layout::builder("<?H")
            .constant(0, Value::Bool(true))
            .build()
            .unwrap();
        assert_eq!(l.check_header(&[2, 5, 0]), Ok(5));
        assert_eq!(
            l.check_header(&[0, 5, 0]),
            Err(HeaderFault::Constant { index: 0, found: 0 })
        );
        // Floats: `-0.0 == 0.0`, a NaN constant matches any NaN, values are
        // stored rounded to the field.
        let l = Layout::builder(">dfeH")
            .constant(0, Value::Float(0.0))
            .constant(1, Value::Float(f64::NAN))
            .constant(2, Value::Float(0.1))
            .build()
            .unwrap();
        let mut h = [0u8; 16];
        h[..8].copy_from_slice(&(-0.0f64).to_be_bytes());
        h[8..12].copy_from_slice(&f32::from_bits(0xffc0_0001).to_bits().to_be_bytes());
        h[12..14].copy_from_slice(&value::f64_to_f16(0.1).unwrap().to_be_bytes());
        h[15] = 9;
        assert_eq!(l.check_header(&h), Ok(9));
        assert_eq!(
            l.constant(2),
            Some(Value::Float(value::f16_to_f64(
                value::f64_to_f16(0.1).unwrap()
            )))
        );
        h[12] ^= 1;
        assert_eq!(
            l.check_header(&h),
            Err(HeaderFault::Constant {
                index: 2,
                found: 0x2f66
            })
        );
        // `p`: the length byte is clamped to the room, padding is ignored.
        let l = Layout::builder("<4pB")
            .constant(0, Value::Bytes(b"abc"))
            .build()
            .unwrap();
        assert_eq!(l.constant(0), Some(Value::Bytes(b"abc")));
        assert_eq!(l.check_header(b"\xffabc\x01"), Ok(1));
        assert_eq!(
            l.check_header(b"\x02abc\x01"),
            Err(HeaderFault::Constant {
                index: 0,
                found: 0x0261_6263
            })
        );
        let l = Layout::builder("<4pB")
            .constant(0, Value::Bytes(b"a"))
            .build()
            .unwrap();
        assert_eq!(l.check_header(b"\x01azz\x01"), Ok(1));
        let mut out = [0xffu8; 5];
        assert_eq!(l.encode_header(1, &mut out), Ok(5));
        assert_eq!(&out, b"\x01a\0\0\x01");
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn negative_pointer_constants_are_kept_as_declared() {
        // `struct.pack` takes a negative `P`, `struct.unpack` reads it back
        // unsigned, so the constant (as declared) never matches a header.
        let l = Layout::builder("@PH")
            .length_field(1)
            .constant(0, Value::Int(-1))
            .build()
            .unwrap();
        assert_eq!(l.constant(0), Some(Value::Int(-1)));
        let mut h = [0u8; 10];
        assert_eq!(l.encode_header(3, &mut h), Ok(10));
        assert_eq!(h[..8], [0xff; 8]);
        assert_eq!(
            l.check_header(&h),
            Err(HeaderFault::Constant {
                index: 0,
                found: u64::MAX
            })
        );
    }

    #[test]
    fn equality_compares_constants_as_values() {
        let b = |v: f64| {
            Layout::builder("<dH")
                .constant(0, Value::Float(v))
                .build()
                .unwrap()
        };
        assert_eq!(b(0.0), b(-0.0));
        assert_ne!(b(1.0), b(2.0));
        assert_ne!(b(f64::NAN), b(f64::NAN));
        assert_eq!(Layout::new("<4sH"), Layout::new("<4sH"));
        assert_ne!(
            Layout::builder("<4sH")
                .constant(0, Value::Bytes(b"ab"))
                .build()
                .unwrap(),
            Layout::builder("<4sH")
                .constant(0, Value::Bytes(b"ab\0\x01"))
                .build()
                .unwrap()
        );
    }

    #[test]
    fn header_check_covers_every_fault() {
        let l = Layout::builder("<hH")
            .length_field(0)
            .constant(1, Value::Int(7))
            .max_payload(100)
            .build()
            .unwrap();
        assert_eq!(l.check_header(&[5, 0, 7, 0]), Ok(5));
        assert_eq!(
            l.check_header(&[0xfe, 0xff, 7, 0]),
            Err(HeaderFault::Negative(-2))
        );
        assert_eq!(
            l.check_header(&[101, 0, 7, 0]),
            Err(HeaderFault::TooLong(101))
        );
        assert_eq!(
            l.check_header(&[5, 0, 8, 0]),
            Err(HeaderFault::Constant { index: 1, found: 8 })
        );
        let whole = Layout::builder("!I").length_adjust(-4).build().unwrap();
        assert_eq!(whole.check_header(&[0, 0, 0, 4]), Ok(0));
        assert_eq!(
            whole.check_header(&[0, 0, 0, 3]),
            Err(HeaderFault::Adjust(3))
        );
        let big = Layout::builder("!Q")
            .length_adjust(1)
            .max_payload(u64::MAX)
            .build()
            .unwrap();
        assert_eq!(
            big.check_header(&[0xff; 8]),
            Err(HeaderFault::Adjust(i128::from(u64::MAX)))
        );
    }
}
