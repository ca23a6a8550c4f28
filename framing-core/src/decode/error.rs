//! What can go wrong, and what the recovery policies report instead:
//! [`DecodeError`] (with its [`DecodeErrorKind`]) and [`Recovery`].

use core::fmt;

use crate::layout::AsciiFault;
#[allow(unused_imports)] // for the docs
use crate::layout::Oversize;
use crate::resp::RespFault;

/// Why decoding failed. After any of these the decoder stays failed and
/// returns the same error until [`reset`](crate::Decoder::reset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeErrorKind {
    /// A signed length field holds a negative value.
    NegativeLength {
        /// The length value.
        value: i64,
    },
    /// Length value + adjust is negative or does not fit 64 bits.
    LengthAdjust {
        /// The length value.
        value: i128,
        /// The layout's adjust.
        adjust: i64,
    },
    /// The payload length is above the layout's maximum.
    TooLong {
        /// The announced payload length.
        length: u64,
        /// The layout's maximum.
        max: u64,
    },
    /// A constant header value (magic, version) differs from the layout's.
    ///
    /// `found` and `expected` give the two values as one number each: a
    /// number, `?` or `c` field as an unsigned integer of its width in the
    /// format's byte order (so the bits of a signed or float field), a
    /// string field's first 8 bytes read big-endian.
    ConstantMismatch {
        /// Index of the value in the header tuple.
        field: usize,
        /// The header's value.
        found: u64,
        /// The layout's constant.
        expected: u64,
    },
    /// Header and payload together exceed the decoder's buffer.
    FrameTooLarge {
        /// Header plus payload length.
        needed: u64,
        /// The buffer's capacity.
        capacity: usize,
    },
    /// The decoder's buffer cannot even hold a header.
    BufferTooSmall {
        /// The header length.
        header: usize,
        /// The buffer's capacity.
        capacity: usize,
    },
    /// A varint length takes more bytes than allowed (10, or the layout's
    /// [`varint_max_bytes`](crate::LayoutBuilder::varint_max_bytes)), or
    /// its value more than 64 bits.
    VarintOverflow,
    /// An ASCII length ([`ascii_length`](crate::LayoutBuilder::ascii_length))
    /// is malformed.
    AsciiLength {
        /// What is wrong.
        fault: AsciiFault,
        /// Where: bytes from the start of the frame (the error's offset).
        at: u64,
    },
    /// A WebSocket frame's header
    /// ([`Layout::websocket`](crate::Layout::websocket)) is malformed.
    WebSocket {
        /// What is wrong.
        fault: crate::websocket::WsFault,
        /// Where: bytes from the start of the frame (the error's offset).
        at: u64,
    },
    /// A RESP value ([`Layout::resp`](crate::Layout::resp)) is malformed.
    Resp {
        /// What is wrong.
        fault: RespFault,
        /// Where: bytes from the start of the frame (the error's offset).
        at: u64,
    },
    /// A frame's [`frame_end`](crate::LayoutBuilder::frame_end) bytes
    /// differ from the layout's.
    FrameEnd {
        /// Which byte of the frame end (0 for the first).
        index: u8,
        /// The byte found.
        found: u8,
        /// The layout's byte.
        expected: u8,
    },
    /// The stream does not begin with the layout's fixed
    /// [`preface`](crate::LayoutBuilder::preface).
    PrefaceMismatch {
        /// Stream offset of the first byte that differs.
        at: u64,
        /// The byte found.
        found: u8,
        /// The preface's byte.
        expected: u8,
    },
    /// A [`preface_until`](crate::LayoutBuilder::preface_until) did not
    /// end within its maximum.
    PrefaceTooLong {
        /// The layout's maximum.
        max: usize,
    },
    /// A [`StreamDecoder`](crate::StreamDecoder) cannot decode a layout
    /// whose first frame has its own layout: use a
    /// [`Decoder`](crate::Decoder).
    FirstFrameNotStreamable,
    /// A frame's trailer does not hold the checksum of its bytes.
    ChecksumMismatch {
        /// The checksum of the frame's bytes.
        computed: u32,
        /// The checksum its trailer carried.
        carried: u32,
    },
    /// A COBS block's code byte announced more bytes than came before the
    /// delimiter.
    CobsBlock {
        /// How many bytes the block still lacked.
        missing: u8,
    },
    /// A SLIP ESC followed by a byte other than ESC_END (0xdc) or ESC_ESC
    /// (0xdd).
    SlipEscape {
        /// The byte after ESC.
        byte: u8,
    },
    /// The stream ended inside a delimited frame: no delimiter after its
    /// bytes.
    Unterminated {
        /// How many of its bytes were held (decoded, for COBS and SLIP).
        held: u64,
    },
    /// A [`StreamDecoder`](crate::StreamDecoder) cannot decode a
    /// delimited layout (COBS, SLIP, lines): use a
    /// [`Decoder`](crate::Decoder). Returned by
    /// [`StreamDecoder::try_new`](crate::StreamDecoder::try_new), which
    /// builds no decoder then; no decoder ever fails with it.
    NotStreamable,
    /// The stream ended inside a frame.
    Truncated {
        /// How many more bytes the frame needed (for a header, how many more
        /// header bytes: the payload length was not known yet).
        missing: u64,
        /// Whether the stream ended inside the header (else in the payload).
        in_header: bool,
    },
}

/// A decoding error: what was wrong and the stream offset of the frame it
/// concerns (the first byte of its header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: u64,
}

impl DecodeError {
    /// An error of `kind` concerning the frame at stream offset `offset`.
    pub(crate) const fn new(kind: DecodeErrorKind, offset: u64) -> Self {
        DecodeError { kind, offset }
    }

    /// What went wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// Stream offset, in bytes from the first byte ever fed, of the header of
    /// the frame concerned.
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the stream ended inside a frame.
    pub const fn is_truncated(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Truncated { .. })
    }
}

/// Where in the stream a fault `i` bytes into a frame at byte `at` lies,
/// for a message that has named the frame's byte already: ` (byte N)`, or
/// nothing when the fault is the frame's first byte.
struct Inside(u64, u64);

impl fmt::Display for Inside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inside(_, 0) => Ok(()),
            Inside(at, i) => write!(f, " (byte {})", at + i),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            DecodeErrorKind::NegativeLength { value } => {
                write!(f, "frame at byte {at}: length {value} is negative")
            }
            DecodeErrorKind::LengthAdjust { value, adjust } => write!(
                f,
                "frame at byte {at}: length {value} with adjust {adjust} gives a payload length \
                 outside 0..=2^64-1"
            ),
            DecodeErrorKind::TooLong { length, max } => write!(
                f,
                "frame at byte {at}: payload length {length} is above the maximum {max}"
            ),
            DecodeErrorKind::ConstantMismatch {
                field,
                found,
                expected,
            } => write!(
                f,
                "frame at byte {at}: header value {field} is {found:#x}, expected the constant {expected:#x}"
            ),
            DecodeErrorKind::FrameTooLarge { needed, capacity } => write!(
                f,
                "frame at byte {at}: {needed} bytes of header and payload do not fit the \
                 decoder's {capacity}-byte buffer"
            ),
            DecodeErrorKind::BufferTooSmall { header, capacity } => write!(
                f,
                "the decoder's {capacity}-byte buffer cannot hold a {header}-byte header"
            ),
            DecodeErrorKind::VarintOverflow => write!(
                f,
                "frame at byte {at}: its varint length takes more bytes than the layout allows \
                 or more than 64 bits"
            ),
            DecodeErrorKind::AsciiLength { fault, at: i } => write!(
                f,
                "frame at byte {at}: its ASCII length {fault}{}",
                Inside(at, i)
            ),
            DecodeErrorKind::WebSocket { fault, at: i } => {
                write!(f, "WebSocket frame at byte {at}: {fault}{}", Inside(at, i))
            }
            DecodeErrorKind::Resp { fault, at: i } => {
                write!(f, "RESP value at byte {at}: {fault}{}", Inside(at, i))
            }
            DecodeErrorKind::FrameEnd {
                index,
                found,
                expected,
            } => write!(
                f,
                "frame at byte {at}: frame-end byte {index} is {found:#04x}, expected {expected:#04x}"
            ),
            DecodeErrorKind::PrefaceMismatch {
                at: i,
                found,
                expected,
            } => write!(
                f,
                "the preface differs at byte {i}: {found:#04x}, expected {expected:#04x}"
            ),
            DecodeErrorKind::PrefaceTooLong { max } => write!(
                f,
                "the preface did not end within its {max} bytes"
            ),
            DecodeErrorKind::FirstFrameNotStreamable => f.write_str(
                "a StreamDecoder cannot decode a layout whose first frame has its own layout: \
                 use a Decoder",
            ),
            DecodeErrorKind::ChecksumMismatch { computed, carried } => write!(
                f,
                "frame at byte {at}: its trailer carries checksum {carried:#x}, but its bytes \
                 give {computed:#x}"
            ),
            DecodeErrorKind::CobsBlock { missing } => write!(
                f,
                "frame at byte {at}: a COBS block lacks {missing} bytes before the delimiter"
            ),
            DecodeErrorKind::SlipEscape { byte } => write!(
                f,
                "frame at byte {at}: SLIP escape followed by {byte:#04x}, not 0xdc or 0xdd"
            ),
            DecodeErrorKind::Unterminated { held } => write!(
                f,
                "stream ended inside the frame at byte {at}: {held} bytes and no delimiter"
            ),
            DecodeErrorKind::NotStreamable => f.write_str(
                "a StreamDecoder cannot decode delimited frames (COBS, SLIP, lines): use a Decoder",
            ),
            DecodeErrorKind::Truncated { missing, in_header } => write!(
                f,
                "stream ended inside the {} of the frame at byte {at}: {missing} bytes missing",
                if in_header { "header" } else { "payload" }
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A report that the layout's recovery policy dropped bytes and decoding
/// goes on: an item, like a frame, not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Recovery {
    /// An oversized frame ([`Oversize::Discard`]): its header was read and
    /// its payload is skipped without being buffered.
    Discarded {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The payload length announced, and skipped.
        length: u64,
    },
    /// Bytes skipped to find the next valid header
    /// ([`resync`](crate::LayoutBuilder::resync)), or left over at the end
    /// of the stream while looking for one.
    Skipped {
        /// Stream offset of the first byte skipped.
        offset: u64,
        /// How many bytes were skipped.
        bytes: u64,
    },
    /// A frame whose trailer does not match its bytes, dropped whole under
    /// [`resync`](crate::LayoutBuilder::resync): a corrupt frame, or a
    /// false sync on bytes that looked like a header. Decoding goes on
    /// after its trailer. A [`StreamDecoder`](crate::StreamDecoder) reports it in place of the
    /// frame's [`Event::End`](crate::Event::End): drop the payload pieces it gave.
    Corrupt {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The frame's length: head, payload and trailer.
        length: u64,
        /// The checksum of the frame's bytes.
        computed: u32,
        /// The checksum its trailer carried.
        carried: u32,
    },
    /// A frame whose [`frame_end`](crate::LayoutBuilder::frame_end) bytes
    /// differ, dropped whole under [`resync`](crate::LayoutBuilder::resync)
    /// as [`Recovery::Corrupt`] is. Decoding goes on after it.
    BadFrameEnd {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The frame's length: head, payload, trailer and frame end.
        length: u64,
    },
}

impl Recovery {
    /// Stream offset of the frame discarded, or of the first byte skipped.
    pub const fn offset(&self) -> u64 {
        match *self {
            Recovery::Discarded { offset, .. }
            | Recovery::Skipped { offset, .. }
            | Recovery::Corrupt { offset, .. }
            | Recovery::BadFrameEnd { offset, .. } => offset,
        }
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Recovery::Discarded { offset, length } => write!(
                f,
                "frame at byte {offset}: discarded its oversized payload of {length} bytes"
            ),
            Recovery::Skipped { offset, bytes } => write!(
                f,
                "skipped {bytes} bytes from byte {offset} to find the next valid header"
            ),
            Recovery::Corrupt {
                offset,
                length,
                computed,
                carried,
            } => write!(
                f,
                "frame at byte {offset}: dropped its {length} bytes, its trailer carries checksum \
                 {carried:#x} but its bytes give {computed:#x}"
            ),
            Recovery::BadFrameEnd { offset, length } => write!(
                f,
                "frame at byte {offset}: dropped its {length} bytes, their frame end differs"
            ),
        }
    }
}
