//! The encoder: header bytes equal to `struct.pack`, pad bytes zero, and
//! nothing ever truncated.

use core::fmt;

use crate::format::{ByteOrder, Field, Format};
use crate::layout::MAX_DELIMITER;
use crate::layout::{Delimiter, Layout};
use crate::trailer::Covers;
use crate::value::{self, PutError, Value};
use crate::websocket::Masking;

/// Why a frame could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes the frame (or header) needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The payload is longer than the layout's maximum.
    PayloadTooLong {
        /// The payload length.
        length: u64,
        /// The layout's maximum.
        max: u64,
    },
    /// The length value (payload length - adjust) does not fit the length field.
    LengthOutOfRange {
        /// The payload length.
        length: u64,
        /// The value that would have been written.
        value: i128,
    },
    /// [`Format::pack`] was given the wrong number of values.
    ValueCount {
        /// How many values the format has.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A field index past the last value.
    NoSuchField {
        /// The index given.
        index: usize,
    },
    /// A value was given for the length field or a constant, which the
    /// encoder writes itself.
    FieldIsFixed {
        /// The index given.
        index: usize,
    },
    /// A value is not of its field's kind.
    FieldType {
        /// The index given.
        index: usize,
    },
    /// A value does not fit its field (integer range, float too large, byte
    /// string too long, `c` not exactly one byte).
    FieldRange {
        /// The index given.
        index: usize,
    },
    /// A delimited layout (COBS, SLIP, lines) has no header to write
    /// apart: its frames are encoded whole, by [`Layout::encode`].
    Delimited,
    /// The payload or its trailer holds the layout's byte-string
    /// delimiter, which would end the frame there.
    DelimiterInFrame {
        /// Where in the payload (and then the trailer) it begins.
        at: usize,
    },
    /// An empty frame of a SLIP layout without a trailer: it would be an
    /// END byte alone, which readers skip as the padding senders put
    /// between frames, so it would never arrive. (COBS and lines carry
    /// empty frames; with a trailer, an empty SLIP payload is not an empty
    /// frame.)
    EmptyFrame,
    /// A WebSocket layout whose frames are masked
    /// ([`Masking::Required`]): they are encoded with a key, by
    /// [`WsHeader::encode`](crate::websocket::WsHeader::encode).
    MaskRequired,
    /// A payload for a RESP layout that is not exactly one RESP value:
    /// malformed (`fault`) at byte `at`, or (`fault` is `None`) ending
    /// inside a value (`at` is its length) or going on after one (`at` is
    /// where the value ends).
    NotOneRespValue {
        /// Where, in the payload.
        at: usize,
        /// What is wrong, if a byte is.
        fault: Option<crate::resp::RespFault>,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeError::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer too small: {needed} bytes needed, {available} available"
            ),
            EncodeError::PayloadTooLong { length, max } => write!(
                f,
                "payload of {length} bytes is longer than the maximum {max}"
            ),
            EncodeError::LengthOutOfRange { length, value } => write!(
                f,
                "payload of {length} bytes gives length value {value}, which does not fit the \
                 length field"
            ),
            EncodeError::ValueCount { expected, got } => {
                write!(f, "the format has {expected} values but {got} were given")
            }
            EncodeError::NoSuchField { index } => write!(f, "header has no value {index}"),
            EncodeError::FieldIsFixed { index } => write!(
                f,
                "header value {index} is the length or a constant and is written by the encoder"
            ),
            EncodeError::FieldType { index } => {
                write!(
                    f,
                    "value for header field {index} is not of that field's type"
                )
            }
            EncodeError::FieldRange { index } => {
                write!(f, "value for header field {index} does not fit the field")
            }
            EncodeError::Delimited => f.write_str(
                "a delimited layout has no header of its own: encode whole frames with encode",
            ),
            EncodeError::DelimiterInFrame { at } => write!(
                f,
                "the frame holds the delimiter at byte {at}, which would end it there"
            ),
            EncodeError::NotOneRespValue {
                at,
                fault: Some(fault),
            } => {
                write!(f, "the payload is not a RESP value: {fault} at byte {at}")
            }
            EncodeError::NotOneRespValue { at, fault: None } => write!(
                f,
                "the payload is not exactly one RESP value: it ends inside one or goes on \
                 after one (byte {at})"
            ),
            EncodeError::MaskRequired => f.write_str(
                "this WebSocket layout's frames are masked: encode them with a key \
                 (WsHeader::encode)",
            ),
            EncodeError::EmptyFrame => f.write_str(
                "an empty SLIP frame is an END byte alone, which readers skip: it would never \
                 arrive (send at least one byte, or add a trailer)",
            ),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Zeroes `field`'s bytes in `header` and writes `value` there.
fn put_field(
    field: &Field,
    order: ByteOrder,
    value: &Value<'_>,
    header: &mut [u8],
) -> Result<(), EncodeError> {
    let index = field.index;
    let slot = &mut header[field.offset..field.offset + field.size];
    slot.fill(0);
    value::put_value(field, order, value, slot).map_err(|e| match e {
        PutError::Type => EncodeError::FieldType { index },
        PutError::Range => EncodeError::FieldRange { index },
    })
}

impl Format {
    /// Packs a whole header from its values, as `struct.pack(format, *values)`
    /// (pad bytes zero), into the start of `out`; returns the header size.
    ///
    /// ```
    /// use framing_core::{Format, Value};
    ///
    /// let f = Format::parse("<H3sx?").unwrap();
    /// let mut out = [0xffu8; 7];
    /// let n = f.pack(&[Value::Int(258), Value::Bytes(b"ab"), Value::Bool(true)], &mut out)?;
    /// assert_eq!(&out[..n], b"\x02\x01ab\0\0\x01"); // struct.pack('<H3sx?', 258, b'ab', True)
    /// # Ok::<(), framing_core::EncodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`EncodeError::ValueCount`] unless there is one value per field; a
    /// value of the wrong kind or out of range; `out` too small.
    pub fn pack(&self, values: &[Value<'_>], out: &mut [u8]) -> Result<usize, EncodeError> {
        let size = self.size();
        let available = out.len();
        let out = out.get_mut(..size).ok_or(EncodeError::BufferTooSmall {
            needed: size,
            available,
        })?;
        if values.len() != self.value_count() {
            return Err(EncodeError::ValueCount {
                expected: self.value_count(),
                got: values.len(),
            });
        }
        out.fill(0);
        for (field, value) in self.fields().zip(values) {
            put_field(&field, self.byte_order(), value, out)?;
        }
        Ok(size)
    }
}

/// The longest tail: a 32-bit checksum and the longest frame end.
const MAX_TRAILER: usize = 4 + MAX_DELIMITER;

/// A frame encoded around its payload, from [`Layout::encode_parts`]: the
/// one encode step every writer takes (framing-std's writers and codecs,
/// the embedded writers). Written in order, [`head`](Self::head),
/// [`body`](Self::body) and [`trailer`](Self::trailer) are the frame, and
/// the payload is never copied: for a length framing the head is the
/// header, the body the payload; a delimited frame (COBS, SLIP, lines) is
/// encoded whole into the head, with an empty body and trailer.
///
/// ```
/// use framing_core::{Checksum, Layout};
///
/// let layout = Layout::builder("!H").trailer(Checksum::Crc16Xmodem).build()?;
/// let mut scratch = [0u8; 2];
/// let parts = layout.encode_parts(b"abc", &[], &mut scratch)?;
/// assert_eq!(parts.head(), b"\x00\x03");
/// assert_eq!(parts.body(), b"abc"); // the payload itself, not a copy
/// assert_eq!(parts.trailer().len(), 2);
/// assert_eq!(parts.as_slices().concat(), {
///     let mut out = [0u8; 7];
///     layout.encode(b"abc", &mut out)?;
///     out
/// });
///
/// let cobs = Layout::cobs().build()?;
/// let mut scratch = [0u8; 8];
/// let parts = cobs.encode_parts(b"a\0b", &[], &mut scratch)?;
/// assert_eq!((parts.head(), parts.body()), (&b"\x02a\x02b\x00"[..], &b""[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'s, 'p> {
    head: &'s [u8],
    body: &'p [u8],
    trailer: [u8; MAX_TRAILER],
    trailer_len: u8,
}

impl<'s, 'p> Parts<'s, 'p> {
    /// The head, written into the scratch space: a header (and varint
    /// length), or a whole delimited frame.
    pub fn head(&self) -> &'s [u8] {
        self.head
    }

    /// What follows the head: the payload given, or nothing for a
    /// delimited frame.
    pub fn body(&self) -> &'p [u8] {
        self.body
    }

    /// The trailer and the frame end (empty when the layout has neither,
    /// or is delimited).
    pub fn trailer(&self) -> &[u8] {
        &self.trailer[..usize::from(self.trailer_len)]
    }

    /// Head, body and trailer, for a vectored write.
    pub fn as_slices(&self) -> [&[u8]; 3] {
        [self.head, self.body, self.trailer()]
    }

    /// The frame's length.
    pub fn len(&self) -> usize {
        self.head.len() + self.body.len() + usize::from(self.trailer_len)
    }

    /// Whether the frame is empty (never: every frame has a head or a
    /// delimiter).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Layout {
    /// Bytes a frame with a payload of `payload_len` bytes takes (head,
    /// payload and trailer), or `None` on overflow.
    ///
    /// For a delimited layout, the most it can take (COBS and SLIP frames
    /// take less for most payloads): see [`max_encoded_len`](Self::max_encoded_len).
    pub const fn frame_len(&self, payload_len: usize) -> Option<usize> {
        if self.delimiter.is_some() {
            return self.max_encoded_len(payload_len);
        }
        match self.head_len(payload_len).checked_add(payload_len) {
            Some(n) => n.checked_add(self.tail_len()),
            None => None,
        }
    }

    /// The most bytes a frame with a payload of `payload_len` bytes takes,
    /// whatever its bytes: exact for length framings and byte-string
    /// delimiters; COBS adds one byte for every 254 and the delimiter, SLIP
    /// may double every byte and adds the END. `None` on overflow.
    ///
    /// ```
    /// use framing_core::Layout;
    ///
    /// assert_eq!(Layout::cobs().build_or_panic().max_encoded_len(254), Some(257));
    /// assert_eq!(Layout::slip().build_or_panic().max_encoded_len(10), Some(21));
    /// assert_eq!(Layout::delimited(b"\r\n").build_or_panic().max_encoded_len(10), Some(12));
    /// ```
    pub const fn max_encoded_len(&self, payload_len: usize) -> Option<usize> {
        let Some(body) = payload_len.checked_add(self.trailer_len()) else {
            return None;
        };
        match self.delimiter {
            Some(Delimiter::Cobs) => body.checked_add(body / 254 + 2),
            Some(Delimiter::Slip) => match body.checked_mul(2) {
                Some(n) => n.checked_add(1),
                None => None,
            },
            Some(Delimiter::Bytes(sep)) => body.checked_add(sep.len()),
            Some(Delimiter::Resp) => Some(body),
            None => match self.head_len(payload_len).checked_add(body) {
                Some(n) => n.checked_add(self.tail_len() - self.trailer_len()),
                None => None,
            },
        }
    }

    /// Bytes the head of a frame with a payload of `payload_len` bytes
    /// takes: the fixed header, and the shortest length after it (a varint
    /// or ASCII digits) when there is one.
    pub const fn head_len(&self, payload_len: usize) -> usize {
        if !self.has_length_after_header() {
            return self.header_len();
        }
        let v = payload_len as i128 - self.adjust as i128;
        // A value the suffix cannot hold is refused by `encode_header`.
        let n = if v < 0 || v > u64::MAX as i128 {
            1
        } else {
            self.suffix.encoded_len(v as u64)
        };
        self.header_len() + n
    }

    /// Writes the trailer of the frame whose head (as
    /// [`encode_header`](Self::encode_header) wrote it) and payload are
    /// given into the start of `out`, then the
    /// [`frame_end`](crate::LayoutBuilder::frame_end) bytes, and returns
    /// their length: 0 when the layout has neither. With `encode_header`,
    /// for a vectored write of head, payload and trailer with no copy of
    /// the payload.
    ///
    /// ```
    /// use framing_core::{Checksum, Layout};
    ///
    /// let layout = Layout::builder("!H").trailer(Checksum::Crc16Xmodem).build()?;
    /// let (mut head, mut tail) = ([0u8; 2], [0u8; 2]);
    /// layout.encode_header(3, &mut head)?;
    /// assert_eq!(layout.encode_trailer(&head, b"abc", &mut tail), Ok(2));
    /// // binascii.crc_hqx(b"\x00\x03abc", 0).to_bytes(2, "big")
    /// assert_eq!(tail, Checksum::Crc16Xmodem.checksum(b"\x00\x03abc").to_be_bytes()[2..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`BufferTooSmall`](EncodeError::BufferTooSmall) if `out` cannot hold
    /// the trailer.
    pub fn encode_trailer(
        &self,
        head: &[u8],
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let needed = self.tail_len();
        if out.len() < needed {
            return Err(EncodeError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        if let Some(end) = self.frame_end() {
            out[needed - end.len()..needed].copy_from_slice(end);
        }
        let Some(t) = self.trailer else {
            return Ok(needed);
        };
        let sum = match t.covers {
            Covers::Frame => {
                let c = t.checksum;
                c.finish(c.update(c.update(c.start(), head), payload))
            }
            Covers::Payload => t.checksum.checksum(payload),
        };
        // `out` holds the trailer: checked above.
        t.uint.write(out, 0, u64::from(sum));
        Ok(needed)
    }

    /// Writes the header for a payload of `payload_len` bytes into the start
    /// of `out` and returns its length. The length and constants are set,
    /// every other value is zero (false, empty), except a
    /// [`websocket`](Layout::websocket) frame's first byte: FIN + binary. For a vectored write of
    /// header and payload with no copy of the payload.
    ///
    /// ```
    /// let layout = framing_core::Layout::new("<H");
    /// let mut header = [0u8; 2];
    /// assert_eq!(layout.encode_header(300, &mut header), Ok(2));
    /// assert_eq!(header, 300u16.to_le_bytes());
    /// ```
    ///
    /// # Errors
    /// [`EncodeError`] if the payload is too long or `out` too small.
    #[inline]
    pub fn encode_header(&self, payload_len: usize, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_header_with(payload_len, &[], out)
    }

    /// Like [`encode_header`](Self::encode_header), with values for the
    /// header fields that are neither the length nor constants, as
    /// `(index, value)` pairs.
    ///
    /// ```
    /// use framing_core::{Layout, Value};
    ///
    /// // type u8, flags u8, length u16
    /// let layout = Layout::builder("!BBH").length_field(2).build()?;
    /// let mut header = [0u8; 4];
    /// layout.encode_header_with(5, &[(0, Value::Int(7))], &mut header)?;
    /// assert_eq!(header, [7, 0, 0, 5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`encode_header`](Self::encode_header), and for a value that names
    /// no field, a fixed field, or does not fit.
    #[inline]
    pub fn encode_header_with(
        &self,
        payload_len: usize,
        fields: &[(usize, Value<'_>)],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        if self.delimiter.is_some() {
            return Err(EncodeError::Delimited);
        }
        if self.websocket_masking() == Some(Masking::Required) {
            return Err(EncodeError::MaskRequired);
        }
        let hlen = self.header_len();
        let needed = self.head_len(payload_len);
        let available = out.len();
        let out = out
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed, available })?;
        let length = payload_len as u64;
        if length > self.max_payload() {
            return Err(EncodeError::PayloadTooLong {
                length,
                max: self.max_payload(),
            });
        }
        let l = &self.length;
        let v = i128::from(length) - i128::from(self.adjust);
        let (lo, hi) = if self.has_length_after_header() {
            (0, i128::from(self.suffix.max_value()))
        } else {
            value::int_range(l.signed, l.width)
        };
        if v < lo || v > hi {
            return Err(EncodeError::LengthOutOfRange { length, value: v });
        }
        out.fill(0);
        if self.has_length_after_header() {
            let (fixed, after) = out.split_at_mut(hlen);
            self.suffix.write(v as u64, fixed, after);
        } else {
            l.uint.write(out, l.offset, v as u64);
        }
        if self.websocket_masking().is_some() {
            // A WebSocket frame's first byte unless value 0 is given: FIN
            // and the binary opcode (a zero would be a continuation frame
            // that never ends its message).
            out[0] = 0x80 | crate::websocket::BINARY;
        }
        let order = self.format().byte_order();
        for c in self.constants() {
            // Encoded when the constant was declared; `out` is zeroed, so
            // this writes what `put_value` would.
            let bytes = self.constant_bytes(c);
            let at = c.offset();
            out[at..at + bytes.len()].copy_from_slice(bytes);
        }
        for &(index, ref val) in fields {
            let field = self
                .format()
                .field(index)
                .ok_or(EncodeError::NoSuchField { index })?;
            if Some(index) == self.length_field()
                || self.constant(index).is_some()
                // A WebSocket header's second byte: the mask bit and length.
                || (index == 1 && self.websocket_masking().is_some())
            {
                return Err(EncodeError::FieldIsFixed { index });
            }
            put_field(&field, order, val, out)?;
        }
        Ok(needed)
    }

    /// Writes header and payload into the start of `out`; returns the frame
    /// length.
    ///
    /// ```
    /// let layout = framing_core::Layout::new("!I");
    /// let mut out = [0u8; 16];
    /// let n = layout.encode(b"hello", &mut out)?;
    /// assert_eq!(&out[..n], b"\0\0\0\x05hello");
    /// # Ok::<(), framing_core::EncodeError>(())
    /// ```
    ///
    /// # Errors
    /// As [`encode_header`](Self::encode_header); for a delimited layout,
    /// as [`encode_with`](Self::encode_with).
    #[inline]
    pub fn encode(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_with(payload, &[], out)
    }

    /// Like [`encode`](Self::encode), with values for header fields that are
    /// neither the length nor constants, as `(index, value)` pairs (`index`
    /// into the tuple `struct.unpack` returns), as
    /// [`encode_header_with`](Self::encode_header_with) takes them.
    ///
    /// ```
    /// use framing_core::{Layout, Value};
    ///
    /// // message type u8, length u16
    /// let layout = Layout::builder("!BH").length_field(1).build_or_panic();
    /// let mut out = [0u8; 16];
    /// let n = layout.encode_with(b"hi", &[(0, Value::Int(7))], &mut out)?;
    /// assert_eq!(&out[..n], b"\x07\x00\x02hi"); // struct.pack('!BH', 7, 2) + b'hi'
    /// # Ok::<(), framing_core::EncodeError>(())
    /// ```
    ///
    /// # Errors
    /// As [`encode_header_with`](Self::encode_header_with), and
    /// [`BufferTooSmall`](EncodeError::BufferTooSmall) if `out` cannot hold
    /// the whole frame (nothing is written then). For a delimited layout:
    /// [`PayloadTooLong`](EncodeError::PayloadTooLong),
    /// [`DelimiterInFrame`](EncodeError::DelimiterInFrame) for a line
    /// holding its delimiter, [`EmptyFrame`](EncodeError::EmptyFrame) for
    /// an empty SLIP frame (an END alone, which readers skip), and
    /// [`NoSuchField`](EncodeError::NoSuchField) for any field value (such a
    /// layout has no header).
    #[inline]
    pub fn encode_with(
        &self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        if let Some(delimiter) = self.delimiter {
            if let Some(&(index, _)) = fields.first() {
                return Err(EncodeError::NoSuchField { index });
            }
            return self.encode_delimited(delimiter, payload, out);
        }
        let needed = self.frame_len(payload.len()).unwrap_or(usize::MAX);
        if out.len() < needed {
            return Err(EncodeError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let hlen = self.encode_header_with(payload.len(), fields, out)?;
        let end = hlen + payload.len();
        out[hlen..end].copy_from_slice(payload);
        if self.tail_len() != 0 {
            let (frame, tail) = out.split_at_mut(end);
            self.encode_trailer(&frame[..hlen], payload, tail)?;
        }
        Ok(needed)
    }
}

impl Layout {
    /// The scratch space [`encode_parts`](Self::encode_parts) needs for a
    /// payload of `payload_len` bytes: the longest head for a length
    /// framing, the whole encoded frame (at most) for a delimited one. A
    /// payload above the layout's maximum is refused before anything is
    /// written, so it needs no more than the maximum does. `None` on
    /// overflow.
    pub const fn scratch_len(&self, payload_len: usize) -> Option<usize> {
        if self.delimiter.is_none() {
            return Some(self.max_head_len());
        }
        let max = if self.max_payload() < usize::MAX as u64 {
            self.max_payload() as usize
        } else {
            usize::MAX
        };
        self.max_encoded_len(if payload_len < max { payload_len } else { max })
    }

    /// Encodes the frame of `payload` (with values for header fields that
    /// are neither the length nor constants) around it: the head into
    /// `scratch`, the trailer inline, the payload left where it is. See
    /// [`Parts`]; [`scratch_len`](Self::scratch_len) says how much scratch
    /// space is enough.
    ///
    /// # Errors
    /// As [`encode_with`](Self::encode_with);
    /// [`BufferTooSmall`](EncodeError::BufferTooSmall) when `scratch`
    /// cannot hold the head (a delimited layout: the whole frame).
    #[inline]
    pub fn encode_parts<'s, 'p>(
        &self,
        payload: &'p [u8],
        fields: &[(usize, Value<'_>)],
        scratch: &'s mut [u8],
    ) -> Result<Parts<'s, 'p>, EncodeError> {
        let mut trailer = [0u8; MAX_TRAILER];
        if self.delimiter.is_some() {
            let n = self.encode_with(payload, fields, scratch)?;
            return Ok(Parts {
                head: &scratch[..n],
                body: &[],
                trailer,
                trailer_len: 0,
            });
        }
        let n = self.encode_header_with(payload.len(), fields, scratch)?;
        let head = &scratch[..n];
        let trailer_len = self.encode_trailer(head, payload, &mut trailer)?;
        Ok(Parts {
            head,
            body: payload,
            trailer,
            // At most `MAX_TRAILER`.
            trailer_len: trailer_len as u8,
        })
    }
}

impl Layout {
    /// The scratch space [`encode_opening_parts`](Self::encode_opening_parts)
    /// needs for a payload of `payload_len` bytes: the fixed preface's
    /// length more than the first frame's layout needs. `None` on overflow.
    pub const fn opening_scratch_len(&self, payload_len: usize) -> Option<usize> {
        let preface = match self.preface {
            Some(crate::Preface::Fixed(p)) => p.len(),
            _ => 0,
        };
        let first = match self.first {
            Some(first) => first,
            None => self,
        };
        match first.scratch_len(payload_len) {
            Some(n) => n.checked_add(preface),
            None => None,
        }
    }

    /// Encodes the stream's first frame, as [`encode_parts`](Self::encode_parts)
    /// encodes every later one: the fixed [`preface`](crate::LayoutBuilder::preface)
    /// (if any) and the head, written with the first frame's own
    /// [layout](crate::LayoutBuilder::first_frame) (if any), into
    /// `scratch`. Every writer encodes its first frame so; a layout with
    /// neither encodes it as any other.
    ///
    /// ```
    /// use framing_core::Layout;
    ///
    /// const HTTP2: Layout = Layout::builder("!3sBBI")
    ///     .length_field(0)
    ///     .preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    ///     .build_or_panic();
    /// let mut scratch = [0u8; 64];
    /// let parts = HTTP2.encode_opening_parts(b"", &[], &mut scratch)?;
    /// assert_eq!(&parts.head()[..24], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    /// assert_eq!(parts.head().len(), 24 + 9);
    /// # Ok::<(), framing_core::EncodeError>(())
    /// ```
    ///
    /// # Errors
    /// As [`encode_parts`](Self::encode_parts), with the first frame's
    /// layout; [`BufferTooSmall`](EncodeError::BufferTooSmall) when
    /// `scratch` cannot hold the preface and the head.
    pub fn encode_opening_parts<'s, 'p>(
        &self,
        payload: &'p [u8],
        fields: &[(usize, Value<'_>)],
        scratch: &'s mut [u8],
    ) -> Result<Parts<'s, 'p>, EncodeError> {
        let preface = self.preface_bytes().unwrap_or(&[]);
        let layout = self.first.unwrap_or(self);
        let n = preface.len();
        if scratch.len() < n {
            return Err(EncodeError::BufferTooSmall {
                needed: n,
                available: scratch.len(),
            });
        }
        scratch[..n].copy_from_slice(preface);
        let (head, body, trailer, trailer_len) = {
            let parts = layout.encode_parts(payload, fields, &mut scratch[n..])?;
            (
                parts.head.len(),
                parts.body,
                parts.trailer,
                parts.trailer_len,
            )
        };
        Ok(Parts {
            head: &scratch[..n + head],
            body,
            trailer,
            trailer_len,
        })
    }

    /// Encodes the stream's first frame whole into `out`, as
    /// [`encode_opening_parts`](Self::encode_opening_parts) does in parts:
    /// the preface, then the frame (with the first frame's layout, if it
    /// has one). Returns the bytes written.
    ///
    /// # Errors
    /// As [`encode_with`](Self::encode_with);
    /// [`BufferTooSmall`](EncodeError::BufferTooSmall) if `out` cannot hold
    /// the preface and the frame (nothing is written then).
    pub fn encode_opening(
        &self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let preface = self.preface_bytes().unwrap_or(&[]);
        let layout = self.first.unwrap_or(self);
        let n = preface.len();
        let needed = layout
            .frame_len(payload.len())
            .and_then(|f| f.checked_add(n))
            .unwrap_or(usize::MAX);
        if out.len() < n {
            return Err(EncodeError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let frame = layout.encode_with(payload, fields, &mut out[n..])?;
        out[..n].copy_from_slice(preface);
        Ok(n + frame)
    }

    /// A delimited frame: the payload and its trailer, stuffed or escaped,
    /// then the delimiter. Nothing is written on error.
    fn encode_delimited(
        &self,
        delimiter: Delimiter,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let length = payload.len() as u64;
        if length > self.max_payload() {
            return Err(EncodeError::PayloadTooLong {
                length,
                max: self.max_payload(),
            });
        }
        let mut tail = [0u8; 4];
        let tlen = self.encode_trailer(&[], payload, &mut tail)?;
        let tail = &tail[..tlen];
        let body = || payload.iter().chain(tail).copied();
        let available = out.len();
        // The exact length first, so that nothing is written on error.
        let needed = match delimiter {
            Delimiter::Resp => {
                crate::resp::check_value(payload)?;
                payload.len()
            }
            Delimiter::Bytes(sep) => {
                let sep = sep.as_bytes();
                let frame: usize = payload.len() + tail.len();
                // The decoder ends the frame at the first delimiter in the
                // frame and the delimiter after it: that must be the one
                // after it.
                let at = |i: usize| -> u8 {
                    if i < payload.len() {
                        payload[i]
                    } else if i < frame {
                        tail[i - payload.len()]
                    } else {
                        sep[i - frame]
                    }
                };
                if let Some(i) = (0..frame).find(|&i| (0..sep.len()).all(|k| at(i + k) == sep[k])) {
                    return Err(EncodeError::DelimiterInFrame { at: i });
                }
                frame + sep.len()
            }
            Delimiter::Cobs => cobs_len(body()),
            Delimiter::Slip => {
                if payload.is_empty() && tail.is_empty() {
                    return Err(EncodeError::EmptyFrame);
                }
                body()
                    .map(|b| 1 + usize::from(b == 0xc0 || b == 0xdb))
                    .sum::<usize>()
                    + 1
            }
        };
        let out = out
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed, available })?;
        match delimiter {
            Delimiter::Resp => out.copy_from_slice(payload),
            Delimiter::Bytes(sep) => {
                let (p, rest) = out.split_at_mut(payload.len());
                p.copy_from_slice(payload);
                let (t, s) = rest.split_at_mut(tail.len());
                t.copy_from_slice(tail);
                s.copy_from_slice(sep.as_bytes());
            }
            Delimiter::Cobs => {
                let mut at = 1;
                let mut code_at = 0;
                let mut code = 1u8;
                for b in body() {
                    if b == 0 {
                        out[code_at] = code;
                        code_at = at;
                        at += 1;
                        code = 1;
                        continue;
                    }
                    out[at] = b;
                    at += 1;
                    code += 1;
                    if code == 0xff {
                        out[code_at] = code;
                        code_at = at;
                        at += 1;
                        code = 1;
                    }
                }
                out[code_at] = code;
                out[at] = 0;
                debug_assert_eq!(at + 1, needed);
            }
            Delimiter::Slip => {
                let mut at = 0;
                for b in body() {
                    match b {
                        0xc0 => {
                            out[at..at + 2].copy_from_slice(&[0xdb, 0xdc]);
                            at += 2;
                        }
                        0xdb => {
                            out[at..at + 2].copy_from_slice(&[0xdb, 0xdd]);
                            at += 2;
                        }
                        b => {
                            out[at] = b;
                            at += 1;
                        }
                    }
                }
                out[at] = 0xc0;
                debug_assert_eq!(at + 1, needed);
            }
        }
        Ok(needed)
    }
}

/// The length of the COBS encoding of `bytes`, with its delimiter.
fn cobs_len(bytes: impl Iterator<Item = u8>) -> usize {
    // One code byte a block, a block ending at each zero (which it
    // replaces) or after 254 bytes, then the delimiter.
    let mut n = 1;
    let mut run = 0;
    for b in bytes {
        if b == 0 {
            n += 1;
            run = 0;
        } else {
            n += 1;
            run += 1;
            if run == 254 {
                n += 1;
                run = 0;
            }
        }
    }
    n + 1
}
