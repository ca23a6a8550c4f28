//! Building a [`Layout`]: [`LayoutBuilder`], its `const fn` setters and
//! the checks `build` makes, and the constructors on [`Layout`] that start
//! one.

use super::constant::{
    Compare, Constant, CONSTANT_POOL, MAX_CONSTANTS, MAX_CONSTANT_BYTES, NO_CONSTANT,
};
use super::delimiter::{Delimiter, Separator};
use super::error::LayoutError;
use super::preface::{Preface, MAX_PREFACE};
use super::spec::{Layout, LengthField, Oversize, TailLens, TrailerSpec, DEFAULT_MAX_PAYLOAD};
use super::suffix::{Radix, Suffix};
use crate::format::{ByteOrder, Format, FormatError, Kind};
use crate::trailer::{Checksum, Covers};
use crate::value::{self, PutError, Value};
use crate::websocket::Masking;

#[allow(unused_imports)] // for the docs
use super::constant::MAX_CONSTANTS_BYTES;

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
    varint: Option<u8>,
    ascii: Option<(Radix, Separator, u8)>,
    websocket: Option<Masking>,
    trailer: Option<(Checksum, Covers, Option<ByteOrder>)>,
    delimiter: Option<Delimiter>,
    frame_end: Option<Separator>,
    preface: Option<Preface>,
    first: Option<&'static Layout>,
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
        if self.varint.is_none() {
            self.varint = Some(crate::varint::MAX_LEN as u8);
        }
        self
    }

    /// A [`varint_length`](Self::varint_length) of at most `max` bytes (1
    /// to 10): MQTT's remaining length takes at most 4, so a fifth byte
    /// with the continuation bit of the fourth is malformed
    /// ([`VarintOverflow`](crate::DecodeErrorKind::VarintOverflow)), and
    /// the largest payload is 2^(7 `max`) - 1.
    ///
    /// ```
    /// use framing_core::{DecodeErrorKind, Decoder, Layout};
    ///
    /// // MQTT: a fixed header byte, then the remaining length.
    /// const MQTT: Layout = Layout::builder("!B").varint_max_bytes(4).build_or_panic();
    /// let mut decoder = Decoder::new(&MQTT, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input: &[u8] = b"\x30\x80\x80\x80\x80\x01";
    /// let e = decoder.decode(&mut input).unwrap_err();
    /// assert_eq!(e.kind(), DecodeErrorKind::VarintOverflow);
    /// ```
    pub const fn varint_max_bytes(mut self, max: usize) -> Self {
        if max == 0 || max > crate::varint::MAX_LEN {
            if self.error.is_none() {
                self.error = Some(LayoutError::VarintMaxBytes { max });
            }
            return self;
        }
        self.varint = Some(max as u8);
        self
    }

    /// The length is ASCII digits in `radix` right after the fixed header
    /// (which may be empty or carry constants), ended by the bytes `end` (1
    /// to 8, the first not a digit): netstrings (`12:hello world!,`, with
    /// a [`frame_end`](Self::frame_end) of `,`), RFC 6587 octet counting
    /// (`LEN SP MSG`), RESP bulk strings (`$5\r\nhello\r\n`), HTTP/1.1
    /// chunk sizes in hex. At most 20 digits (16 in hex) unless
    /// [`ascii_max_digits`](Self::ascii_max_digits) says fewer. The adjust
    /// and the maximum apply to the value as to a length field's; encoding
    /// writes the fewest digits (hex in lowercase). A length with no digit,
    /// too many digits, a value above 64 bits or digits not followed by
    /// `end` is [`AsciiLength`](crate::DecodeErrorKind::AsciiLength), with
    /// where it went wrong.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Layout, Radix};
    ///
    /// const NETSTRING: Layout =
    ///     Layout::builder("").ascii_length(Radix::Decimal, b":").frame_end(b",").build_or_panic();
    /// let mut out = [0u8; 32];
    /// let n = NETSTRING.encode(b"hello world!", &mut out).unwrap();
    /// assert_eq!(&out[..n], b"12:hello world!,");
    ///
    /// let mut decoder = Decoder::new(&NETSTRING, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input = &out[..n];
    /// let frame = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!(frame.payload(), b"hello world!");
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn ascii_length(mut self, radix: Radix, end: &[u8]) -> Self {
        let sep = match Separator::new(end) {
            Some(sep) if radix.digit(end[0]).is_none() => sep,
            _ => {
                if self.error.is_none() {
                    self.error = Some(LayoutError::AsciiLength);
                }
                return self;
            }
        };
        let max = match self.ascii {
            Some((_, _, max)) if max <= radix.max_digits() => max,
            _ => radix.max_digits(),
        };
        self.ascii = Some((radix, sep, max));
        self
    }

    /// The most digits an [`ascii_length`](Self::ascii_length) may have
    /// (1 to 20, 16 in hex): call it after `ascii_length`.
    pub const fn ascii_max_digits(mut self, max: usize) -> Self {
        match self.ascii {
            Some((radix, sep, _)) if max >= 1 && max <= radix.max_digits() as usize => {
                self.ascii = Some((radix, sep, max as u8));
            }
            _ => {
                if self.error.is_none() {
                    self.error = Some(LayoutError::AsciiLength);
                }
            }
        }
        self
    }

    /// Constant bytes (1 to 8) after every frame's payload and trailer,
    /// outside the length: AMQP 0-9-1's frame-end octet `0xCE`, the `,`
    /// that ends a netstring, the `\r\n` after a RESP bulk string. The
    /// decoder checks them (a mismatch is
    /// [`FrameEnd`](crate::DecodeErrorKind::FrameEnd), or under
    /// [`resync`](Self::resync) a [`Recovery::BadFrameEnd`](crate::Recovery::BadFrameEnd)
    /// report) and leaves them out of the payload; the encoder writes them.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Layout};
    ///
    /// // AMQP 0-9-1: type, channel, size, the payload, then 0xCE.
    /// const AMQP: Layout = Layout::builder("!BHI").length_field(2).frame_end(&[0xCE]).build_or_panic();
    /// let mut out = [0u8; 32];
    /// let n = AMQP.encode(b"hi", &mut out).unwrap();
    /// assert_eq!(&out[..n], b"\x00\x00\x00\x00\x00\x00\x02hi\xce");
    ///
    /// let mut decoder = Decoder::new(&AMQP, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input = &out[..n];
    /// let frame = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!(frame.payload(), b"hi");
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn frame_end(mut self, bytes: &[u8]) -> Self {
        match Separator::new(bytes) {
            Some(sep) => self.frame_end = Some(sep),
            None => {
                if self.error.is_none() {
                    self.error = Some(LayoutError::FrameEnd { len: bytes.len() });
                }
            }
        }
        self
    }

    /// Fixed bytes once at the start of the stream, before the first
    /// frame (1 to [`MAX_PREFACE`], kept by reference: a layout built at
    /// run time leaks or keeps them in a `static`): HTTP/2's client
    /// connection preface, AMQP's protocol header. The decoders check them
    /// (a mismatch is [`PrefaceMismatch`](crate::DecodeErrorKind::PrefaceMismatch)
    /// at the offset of the first byte that differs) and hand them out
    /// once ([`Decoded::Preface`](crate::Decoded::Preface)); every writer
    /// writes them before its first frame.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Layout};
    ///
    /// const AMQP: Layout = Layout::builder("!BHI")
    ///     .length_field(2)
    ///     .frame_end(&[0xCE])
    ///     .preface(b"AMQP\x00\x00\x09\x01")
    ///     .build_or_panic();
    /// let mut decoder = Decoder::new(&AMQP, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input: &[u8] = b"AMQP\x00\x00\x09\x01\x08\x00\x00\x00\x00\x00\x00\xce";
    /// let Some(Decoded::Preface(p)) = decoder.decode(&mut input)? else { panic!() };
    /// assert_eq!(p.payload(), b"AMQP\x00\x00\x09\x01");
    /// let frame = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!(frame.int(0), Some(8)); // a heartbeat
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn preface(mut self, bytes: &'static [u8]) -> Self {
        if bytes.is_empty() || bytes.len() > MAX_PREFACE {
            if self.error.is_none() {
                self.error = Some(LayoutError::PrefaceSize { len: bytes.len() });
            }
            return self;
        }
        self.preface = Some(Preface::Fixed(bytes));
        self
    }

    /// A preface of any bytes up to and including the first occurrence of
    /// `end` (1 to 8 bytes), at most `max` bytes in all (at most
    /// [`MAX_PREFACE`]): the HTTP/1.1
    /// Upgrade request or response (`end` = `\r\n\r\n`) before WebSocket
    /// frames. The decoders hand it out once
    /// ([`Decoded::Preface`](crate::Decoded::Preface)); a preface with no
    /// `end` within `max` bytes is
    /// [`PrefaceTooLong`](crate::DecodeErrorKind::PrefaceTooLong). Writers
    /// write none: its content is the application's.
    pub const fn preface_until(mut self, end: &[u8], max: usize) -> Self {
        match Separator::new(end) {
            Some(sep) if max >= end.len() && max <= MAX_PREFACE => {
                self.preface = Some(Preface::Until {
                    end: sep,
                    max: max as u32,
                })
            }
            _ => {
                if self.error.is_none() {
                    self.error = Some(LayoutError::PrefaceSize { len: end.len() });
                }
            }
        }
        self
    }

    /// The first frame of the stream has its own layout, every later one
    /// this layout: PostgreSQL's untyped startup message (`!I`, its length
    /// counting itself) before the typed messages (`!cI`). The first
    /// layout is length-prefixed, with no preface or first frame of its
    /// own; the decoders read the first frame whole (it must fit the
    /// buffer; a [`StreamDecoder`](crate::StreamDecoder) over such a layout
    /// cannot be built) and its header with the first layout; writers
    /// encode their first frame with it.
    ///
    /// ```
    /// use framing_core::{Decoded, Decoder, Layout};
    ///
    /// static STARTUP: Layout = Layout::builder("!I").length_adjust(-4).build_or_panic();
    /// static POSTGRES: Layout = Layout::builder("!cI")
    ///     .length_field(1)
    ///     .length_adjust(-4)
    ///     .first_frame(&STARTUP)
    ///     .build_or_panic();
    /// let mut decoder = Decoder::new(&POSTGRES, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input: &[u8] = b"\x00\x00\x00\x08\x04\xd2\x16\x2fQ\x00\x00\x00\x05;";
    /// let first = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!(first.int(0), Some(8)); // an SSLRequest: no type byte
    /// let query = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
    /// assert_eq!((query.header().value(0), query.payload()), (Some(framing_core::Value::Bytes(b"Q")), &b";"[..]));
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn first_frame(mut self, layout: &'static Layout) -> Self {
        self.first = Some(layout);
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

    /// Which frames a [`websocket`](Layout::websocket) layout accepts by
    /// their mask bit; for any other layout, nothing.
    pub const fn websocket_masking(mut self, masking: Masking) -> Self {
        if self.websocket.is_some() {
            self.websocket = Some(masking);
        }
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
        let suffix = match (self.varint, self.ascii, self.websocket) {
            (Some(max), None, None) => Suffix::Varint { max },
            (None, Some((radix, end, max_digits)), None) => Suffix::Ascii {
                radix,
                end,
                max_digits,
            },
            (None, None, Some(masking)) => Suffix::WebSocket { masking },
            (None, None, None) => Suffix::None,
            _ => return Err(LayoutError::TwoLengths),
        };
        let after = !matches!(suffix, Suffix::None);
        if self.delimiter.is_some()
            && (after || self.length_field.is_some() || self.n_constants != 0)
        {
            return Err(LayoutError::DelimiterAndLength);
        }
        if matches!(self.delimiter, Some(Delimiter::Resp))
            && (self.resync || self.trailer.is_some() || matches!(self.oversize, Oversize::Discard))
        {
            return Err(LayoutError::RespOptions);
        }
        if self.resync && matches!(suffix, Suffix::WebSocket { .. }) {
            return Err(LayoutError::WebSocketResync);
        }
        if let (Some(end), Some(_)) = (self.frame_end, self.delimiter) {
            return Err(LayoutError::FrameEnd { len: end.len() });
        }
        if let Some(first) = self.first {
            if first.delimiter.is_some() || first.preface.is_some() || first.first.is_some() {
                return Err(LayoutError::FirstFrame);
            }
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
        let length = if after || self.delimiter.is_some() {
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
            suffix,
            trailer,
            delimiter: self.delimiter,
            frame_end: self.frame_end,
            tail_lens: TailLens::of(trailer, self.frame_end),
            preface: self.preface,
            first: self.first,
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
            varint: None,
            ascii: None,
            websocket: None,
            trailer: None,
            delimiter: None,
            frame_end: None,
            preface: None,
            first: None,
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

    /// WebSocket frames (RFC 6455, section 5.2; see [`crate::websocket`]):
    /// the fixed header `!BB`, then the extended length and the masking key
    /// as its second byte says. Frames of either mask bit are accepted
    /// unless [`websocket_masking`](LayoutBuilder::websocket_masking) says
    /// which side reads them. A frame's payload is as on the wire (masked
    /// if it was): [`Frame::websocket`](crate::Frame::websocket) gives the
    /// key to unmask it. The layout's encoders (every writer) write minimal
    /// unmasked frames, FIN and the binary opcode unless header value 0
    /// (the first byte) is given; masked frames are written by
    /// [`WsHeader::encode`](crate::websocket::WsHeader::encode), which takes
    /// the key.
    ///
    /// ```
    /// use framing_core::websocket::{Masking, WsHeader, TEXT};
    /// use framing_core::{Decoded, Decoder, Layout};
    ///
    /// // What a server reads: masked frames.
    /// const FROM_CLIENTS: Layout = Layout::websocket()
    ///     .websocket_masking(Masking::Required)
    ///     .build_or_panic();
    /// let mut wire = [0u8; 16];
    /// let n = WsHeader::new(TEXT).masked(*b"\x37\xfa\x21\x3d").encode(b"Hello", &mut wire)?;
    ///
    /// let mut decoder = Decoder::new(&FROM_CLIENTS, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut chunk = &wire[..n];
    /// let frame = decoder.decode(&mut chunk)?.and_then(Decoded::frame).unwrap();
    /// let head = frame.websocket().unwrap();
    /// assert_eq!((head.fin, head.opcode, head.length), (true, TEXT, 5));
    /// let mut text = [0u8; 5];
    /// text.copy_from_slice(frame.payload());
    /// head.unmask(0, &mut text);
    /// assert_eq!(&text, b"Hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn websocket() -> LayoutBuilder {
        let mut b = Layout::builder("!BB");
        b.websocket = Some(Masking::Any);
        b.max_payload = DEFAULT_MAX_PAYLOAD;
        b
    }

    /// RESP frames ([`Delimiter::Resp`], the Redis protocol): each top-level
    /// value is one frame, its bytes as on the wire; see [`crate::resp`].
    /// [`max_payload`](LayoutBuilder::max_payload) bounds a whole value.
    /// Unlike the other delimited layouts, resync is off and cannot be
    /// turned on ([`LayoutError::RespOptions`]): a malformed value is an
    /// error.
    ///
    /// ```
    /// use framing_core::{resp::RespType, Decoded, Decoder, Layout};
    ///
    /// const RESP: Layout = Layout::resp().max_payload(512).build_or_panic();
    /// let mut decoder = Decoder::new(&RESP, framing_core::heapless::Vec::<u8, 512>::new());
    /// let mut values = Vec::new();
    /// for chunk in [&b"*2\r\n$3\r\nGET\r\n$1"[..], b"\r\nk\r\n+OK\r\n"] {
    ///     let mut chunk = chunk;
    ///     while let Some(Decoded::Frame(value)) = decoder.decode(&mut chunk)? {
    ///         values.push((RespType::of(value.payload()), value.payload().to_vec()));
    ///     }
    /// }
    /// assert_eq!(values[0], (Some(RespType::Array), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".to_vec()));
    /// assert_eq!(values[1], (Some(RespType::Simple), b"+OK\r\n".to_vec()));
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub const fn resp() -> LayoutBuilder {
        let mut b = Layout::with_delimiter(Delimiter::Resp);
        b.resync = false;
        b
    }

    /// [`Layout::with_delimiter`] with a byte-string delimiter (1 to
    /// [`MAX_DELIMITER`](crate::MAX_DELIMITER) bytes): `b"\n"` for lines, `b"\r\n"` for CRLF
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
}
