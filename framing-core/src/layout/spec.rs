//! The [`Layout`] value: what a header is (its format, where the length
//! is, the constants, the trailer or the delimiter, the limits and
//! policies), and its accessors.

use super::constant::{Constant, CONSTANT_POOL, MAX_CONSTANTS};
use super::delimiter::{Delimiter, Separator};
use super::preface::Preface;
use super::suffix::{Radix, Read, Suffix};
use crate::format::Format;
use crate::trailer::{Checksum, Covers};
use crate::value::{self, Value};

/// The default maximum payload length: 8 MiB, as tokio-util's codec.
pub const DEFAULT_MAX_PAYLOAD: u64 = 8 * 1024 * 1024;

/// What the decoder does with a frame whose payload is too long
/// (above [`LayoutBuilder::max_payload`](crate::LayoutBuilder::max_payload), or too large for the decoder's buffer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// A trailer: its checksum, what it covers, and how its value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TrailerSpec {
    pub(crate) checksum: Checksum,
    pub(crate) covers: Covers,
    pub(crate) uint: value::Uint,
}

/// The lengths of a layout's trailer and frame end (each at most 8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TailLens {
    pub(crate) trailer: u8,
    pub(crate) end: u8,
}

impl TailLens {
    /// The lengths `trailer` and `frame_end` give.
    pub(crate) const fn of(trailer: Option<TrailerSpec>, frame_end: Option<Separator>) -> TailLens {
        TailLens {
            trailer: match trailer {
                Some(t) => t.checksum.byte_len() as u8,
                None => 0,
            },
            end: match frame_end {
                Some(s) => s.len() as u8,
                None => 0,
            },
        }
    }
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
    pub(super) format: Format,
    pub(crate) length: LengthField,
    pub(crate) adjust: i64,
    pub(crate) max_payload: u64,
    pub(crate) header_len: usize,
    pub(super) constants: [Constant; MAX_CONSTANTS],
    pub(crate) n_constants: u8,
    pub(crate) oversize: Oversize,
    pub(crate) resync: bool,
    /// The length after the fixed header, if no field holds it.
    pub(crate) suffix: Suffix,
    pub(crate) trailer: Option<TrailerSpec>,
    /// Constant bytes after the payload and trailer.
    pub(crate) frame_end: Option<Separator>,
    /// The trailer's and the frame end's lengths, as `trailer` and
    /// `frame_end` say, computed once when the layout is built: read on
    /// every frame (`tail_len`), where matching the two options cost 19
    /// instructions a frame.
    pub(crate) tail_lens: TailLens,
    /// Bytes once before the first frame.
    pub(crate) preface: Option<Preface>,
    /// The first frame's own layout.
    pub(crate) first: Option<&'static Layout>,
    /// Frames end at a delimiter instead (the format is then empty).
    pub(crate) delimiter: Option<Delimiter>,
    /// The constants' encoded bytes; unused bytes are zero.
    pub(super) pool: [u8; CONSTANT_POOL],
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
            && self.suffix == other.suffix
            && self.trailer == other.trailer
            && self.frame_end == other.frame_end
            && self.preface == other.preface
            && self.first == other.first
            && self.delimiter == other.delimiter
            && a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.field() == y.field()
                    && x.value(&self.pool, self.big()) == y.value(&other.pool, other.big())
            })
    }
}

impl Layout {
    /// The layout a preface handed out as a frame
    /// ([`Decoded::Preface`](crate::Decoded::Preface)) reports: no header,
    /// no length, no trailer.
    pub const PREFACE: Layout = {
        let mut l = crate::LayoutBuilder::varint_length(Layout::builder("")).build_or_panic();
        l.suffix = Suffix::None;
        l.max_payload = u64::MAX;
        l
    };

    /// The parsed format.
    pub const fn format(&self) -> &Format {
        &self.format
    }

    /// Size of the header in bytes.
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// Index of the value that holds the length; `None` when the length
    /// comes after the header (a varint or ASCII digits) or there is none.
    pub const fn length_field(&self) -> Option<usize> {
        if self.length.index == usize::MAX {
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
    /// ([`LayoutBuilder::varint_length`](crate::LayoutBuilder::varint_length)).
    pub const fn has_varint_length(&self) -> bool {
        matches!(self.suffix, Suffix::Varint { .. })
    }

    /// The most bytes a varint length takes, when the length is one (10
    /// unless [`LayoutBuilder::varint_max_bytes`](crate::LayoutBuilder::varint_max_bytes)
    /// says fewer).
    pub const fn varint_max_bytes(&self) -> Option<usize> {
        match self.suffix {
            Suffix::Varint { max } => Some(max as usize),
            _ => None,
        }
    }

    /// When the length is ASCII digits after the fixed header
    /// ([`LayoutBuilder::ascii_length`](crate::LayoutBuilder::ascii_length)):
    /// their radix, the bytes that end them, and the most digits.
    pub fn ascii_length(&self) -> Option<(Radix, &[u8], usize)> {
        match &self.suffix {
            Suffix::Ascii {
                radix,
                end,
                max_digits,
            } => Some((*radix, end.as_bytes(), usize::from(*max_digits))),
            _ => None,
        }
    }

    /// For a [`websocket`](Layout::websocket) layout, which frames it
    /// accepts by their mask bit; `None` for any other.
    pub const fn websocket_masking(&self) -> Option<crate::websocket::Masking> {
        match self.suffix {
            Suffix::WebSocket { masking } => Some(masking),
            _ => None,
        }
    }

    /// Whether the length follows the fixed header (a varint, ASCII digits,
    /// a WebSocket length) rather than being one of its fields.
    pub const fn has_length_after_header(&self) -> bool {
        !matches!(self.suffix, Suffix::None)
    }

    /// The bytes after every frame's payload and trailer
    /// ([`LayoutBuilder::frame_end`](crate::LayoutBuilder::frame_end)).
    pub fn frame_end(&self) -> Option<&[u8]> {
        self.frame_end.as_ref().map(Separator::as_bytes)
    }

    /// The preface before the first frame, if any
    /// ([`LayoutBuilder::preface`](crate::LayoutBuilder::preface),
    /// [`LayoutBuilder::preface_until`](crate::LayoutBuilder::preface_until)).
    pub const fn preface(&self) -> Option<Preface> {
        self.preface
    }

    /// The bytes of a fixed preface, which writers write before their
    /// first frame; `None` without one (or with a preface that ends at
    /// given bytes, which is the application's to write).
    pub fn preface_bytes(&self) -> Option<&[u8]> {
        match &self.preface {
            Some(Preface::Fixed(p)) => Some(p),
            _ => None,
        }
    }

    /// The first frame's own layout, if it has one
    /// ([`LayoutBuilder::first_frame`](crate::LayoutBuilder::first_frame)).
    pub const fn first_frame(&self) -> Option<&'static Layout> {
        self.first
    }

    /// The longest head: the fixed header, and the longest length after
    /// it (a varint: 10 bytes unless limited; ASCII: the digits and their
    /// end).
    pub const fn max_head_len(&self) -> usize {
        self.header_len + self.suffix.max_len()
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
    #[inline]
    pub const fn trailer_len(&self) -> usize {
        debug_assert!(
            self.tail_lens.trailer as usize
                == TailLens::of(self.trailer, self.frame_end).trailer as usize
        );
        self.tail_lens.trailer as usize
    }

    /// The bytes after every payload: the trailer and the frame end.
    #[inline]
    pub const fn tail_len(&self) -> usize {
        debug_assert!(
            self.tail_lens.end as usize == TailLens::of(self.trailer, self.frame_end).end as usize
        );
        self.tail_lens.trailer as usize + self.tail_lens.end as usize
    }

    /// The longest frame the layout allows: the longest head, the maximum
    /// payload and the trailer (saturating at `u64::MAX`).
    pub const fn max_frame_len(&self) -> u64 {
        self.max_payload
            .saturating_add(self.max_head_len() as u64)
            .saturating_add(self.tail_len() as u64)
    }

    /// The smallest buffer a decoder accepts (else it reports
    /// [`BufferTooSmall`](crate::DecodeErrorKind::BufferTooSmall)): the
    /// longest head, the trailer and frame end, or the preface, whichever
    /// is longest. A [`StreamDecoder`](crate::StreamDecoder) needs no more;
    /// a [`Decoder`](crate::Decoder) needs room for its largest frame (and
    /// for the first frame when that has its own layout).
    pub const fn min_buffer_len(&self) -> usize {
        let mut n = self.max_head_len();
        if self.tail_len() > n {
            n = self.tail_len();
        }
        if let Some(p) = self.preface {
            if p.max_len() > n {
                n = p.max_len();
            }
        }
        if let Some(first) = self.first {
            if first.min_buffer_len() > n {
                n = first.min_buffer_len();
            }
        }
        n
    }

    /// Splits the bytes of one whole frame, as a decoder returned it, into
    /// its head (the fixed header and the length after it, if any), payload
    /// and trailer (empty without one); the frame-end bytes, if the layout
    /// has them, are in none of the three. For owned frame types that keep
    /// a frame's bytes together. Never panics: bytes too short for a head
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
        let end = self.tail_len() - self.trailer_len();
        let body = &body[..body.len().saturating_sub(end)];
        let (payload, trailer) = body.split_at(body.len().saturating_sub(self.trailer_len()));
        (head, payload, trailer)
    }

    /// The length of the head at the start of a frame's `bytes`: the fixed
    /// header, and the length after it if there is one (as much of it as
    /// `bytes` holds).
    #[inline(always)]
    pub(crate) fn head_len_in(&self, bytes: &[u8]) -> usize {
        if let Suffix::None = self.suffix {
            return self.header_len;
        }
        let rest = bytes.get(self.header_len..).unwrap_or(&[]);
        let fixed = bytes.get(..self.header_len).unwrap_or(&[]);
        self.header_len + self.suffix.len_in(fixed, rest)
    }

    /// The value of the length after the fixed header in `head` (0 for
    /// none, or if it does not hold one whole).
    pub(crate) fn suffix_value(&self, head: &[u8]) -> Option<u64> {
        match self
            .suffix
            .read(head.get(..self.header_len)?, &head[self.header_len..])
        {
            Read::Value(v, _) => Some(v),
            _ => None,
        }
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

    /// Whether the format is big-endian.
    pub(super) fn big(&self) -> bool {
        self.format.byte_order().is_big_endian()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
