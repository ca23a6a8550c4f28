//! Why a layout could not be built ([`LayoutError`]), and why a header
//! was rejected ([`HeaderFault`], before the decoder attaches an offset).

use core::fmt;

#[allow(unused_imports)] // for the docs
use super::constant::{MAX_CONSTANTS, MAX_CONSTANTS_BYTES, MAX_CONSTANT_BYTES};
#[allow(unused_imports)] // for the docs
use super::delimiter::MAX_DELIMITER;
use crate::format::FormatError;

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
    /// A preface of no bytes, a fixed one longer than
    /// [`MAX_PREFACE`](crate::MAX_PREFACE), or one ending at bytes
    /// (1 to 8) longer than its maximum.
    PrefaceSize {
        /// The length given.
        len: usize,
    },
    /// Frame-end bytes are 1 to 8 bytes, after the frames of a length
    /// framing (not a delimited one).
    FrameEnd {
        /// The length given.
        len: usize,
    },
    /// A varint's byte limit is 1 to 10.
    VarintMaxBytes {
        /// The limit given.
        max: usize,
    },
    /// An ASCII length ends at 1 to 8 bytes, the first not a digit, after
    /// 1 to 20 digits (16 in hex).
    AsciiLength,
    /// The length is either a varint or ASCII digits after the header, not
    /// both.
    TwoLengths,
    /// The first frame's layout is a length framing with no preface and no
    /// first frame of its own.
    FirstFrame,
    /// A RESP layout ([`Layout::resp`](crate::Layout::resp)) has no
    /// trailer, resync or discard policy: a value inside an aggregate is a
    /// value too, so there is no safe place to go on after a bad one.
    RespOptions,
    /// A WebSocket layout cannot [`resync`](crate::LayoutBuilder::resync):
    /// its head's length is told by bits of its first bytes, not by where
    /// its length ends, so a head found after skipping may be shorter than
    /// the bytes held while looking, and (as RFC 6455 says) a bad frame
    /// fails the connection.
    WebSocketResync,
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
                "the length comes after the header (a varint or ASCII digits): name no length field"
            }
            LayoutError::DelimiterSize { .. } => "a delimiter is 1 to 8 bytes",
            LayoutError::DelimiterAndLength => {
                "a delimited layout has no length field, varint or constants"
            }
            LayoutError::PrefaceSize { .. } => {
                "a preface is 1 to 65536 bytes, or ends at 1 to 8 bytes within its maximum"
            }
            LayoutError::FrameEnd { .. } => {
                "frame-end bytes are 1 to 8 bytes, after length-prefixed frames"
            }
            LayoutError::VarintMaxBytes { .. } => "a varint's byte limit is 1 to 10",
            LayoutError::AsciiLength => {
                "an ASCII length is 1 to 20 digits (16 in hex) ended by 1 to 8 bytes, the first not a digit"
            }
            LayoutError::TwoLengths => {
                "the length is a varint or ASCII digits after the header, not both"
            }
            LayoutError::FirstFrame => {
                "the first frame's layout must be length-prefixed, with no preface or first frame of its own"
            }
            LayoutError::WebSocketResync => {
                "a WebSocket layout cannot resync: a bad frame is an error"
            }
            LayoutError::RespOptions => {
                "a RESP layout takes no trailer, resync or discard policy: a bad value is an error"
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
                "field {index} was named as the length, but the length comes after the header \
                 (a varint or ASCII digits)"
            ),
            LayoutError::PrefaceSize { len } => write!(
                f,
                "a preface of {len} bytes: a fixed one is 1 to 65536 bytes, one ending at given \
                 bytes ends at 1 to 8 within its maximum"
            ),
            LayoutError::FrameEnd { len } => write!(
                f,
                "frame-end bytes of {len} bytes: they are 1 to 8 bytes, after length-prefixed frames"
            ),
            LayoutError::VarintMaxBytes { max } => {
                write!(f, "a varint limit of {max} bytes: it is 1 to 10")
            }
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
    /// A varint length of more than its limit (10 bytes) or 64 bits.
    Varint,
    /// A malformed ASCII length, the fault `at` bytes into the length.
    Ascii {
        fault: AsciiFault,
        at: usize,
    },
    /// A frame-end byte that differs: `at` bytes before the frame's end.
    FrameEnd {
        at: usize,
        found: u8,
        expected: u8,
    },
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
    /// A malformed WebSocket header, the fault `at` bytes into the frame.
    WebSocket {
        fault: crate::websocket::WsFault,
        at: usize,
    },
    /// A malformed RESP value, the fault `at` bytes into the frame.
    Resp {
        fault: crate::resp::RespFault,
        at: usize,
    },
}

/// What is wrong with an ASCII length
/// ([`DecodeErrorKind::AsciiLength`](crate::DecodeErrorKind::AsciiLength)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AsciiFault {
    /// The length has no digit: `byte` came first.
    NoDigits {
        /// The byte where the first digit should be.
        byte: u8,
    },
    /// More digits than the layout allows.
    TooManyDigits {
        /// The layout's limit.
        max: u8,
    },
    /// The digits give a value above 64 bits.
    Overflow,
    /// The digits are not followed by the layout's end bytes: `byte` came
    /// instead (a stray character, or a digit of another radix).
    BadEnd {
        /// The byte found.
        byte: u8,
    },
}

impl core::fmt::Display for AsciiFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            AsciiFault::NoDigits { byte } => write!(f, "has no digits ({byte:#04x} came first)"),
            AsciiFault::TooManyDigits { max } => write!(f, "has more than {max} digits"),
            AsciiFault::Overflow => f.write_str("is above 2^64-1"),
            AsciiFault::BadEnd { byte } => {
                write!(f, "is followed by {byte:#04x}, not its end bytes")
            }
        }
    }
}
