//! Zero-copy views: a [`Header`] reads typed values in place, a [`Frame`]
//! pairs it with the payload.

use core::fmt;

use crate::format::{ByteOrder, Field, Format};
use crate::layout::Layout;
use crate::value::{self, Value};

/// A header read in place from its bytes. Checked once on construction (it
/// holds at least [`Layout::header_len`] bytes), so no accessor can panic.
#[derive(Clone, Copy)]
pub struct Header<'a> {
    bytes: &'a [u8],
    layout: &'a Layout,
}

impl<'a> Header<'a> {
    /// Wraps `bytes` as a header of `layout`, or `None` if there are fewer than
    /// [`Layout::header_len`] bytes (or, when the length comes after the
    /// header, a varint or ASCII digits, if they do not hold it whole too).
    /// Extra bytes are ignored. The header is not validated: the decoders
    /// do that before they hand one out.
    pub fn new_checked(bytes: &'a [u8], layout: &'a Layout) -> Option<Self> {
        let len = layout.head_len_in(bytes);
        let bytes = bytes.get(..len)?;
        if layout.has_length_after_header() {
            layout.suffix_value(bytes)?;
        }
        Some(Header { bytes, layout })
    }

    /// A view of bytes known to hold exactly one header of `layout`.
    pub(crate) fn new(bytes: &'a [u8], layout: &'a Layout) -> Self {
        debug_assert_eq!(bytes.len(), layout.head_len_in(bytes));
        Header { bytes, layout }
    }

    /// The head's bytes: the fixed header ([`Layout::header_len`] bytes), and the
    /// length after it (a varint, ASCII digits and their end) when the
    /// layout has one.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The layout this header is read with.
    pub fn layout(&self) -> &'a Layout {
        self.layout
    }

    /// Value `index`, as `struct.unpack(format, header)[index]`, or `None`
    /// past the last value.
    pub fn value(&self, index: usize) -> Option<Value<'a>> {
        self.layout.format().value(self.bytes, index)
    }

    /// Value `index` as an integer, if it is one (`b` to `Q`, `n`, `N`,
    /// `P`): the typed getter for the common case.
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// // magic u16, version u8, a pad byte, length u32
    /// let layout = Layout::builder("<HBxI").length_field(2).build_or_panic();
    /// let mut decoder = Decoder::new(&layout, framing_core::heapless::Vec::<u8, 64>::new());
    /// let mut input: &[u8] = b"\xfe\xca\x01\x00\x02\x00\x00\x00hi";
    /// let frame = decoder.decode(&mut input)?.unwrap().frame().unwrap();
    /// assert_eq!(frame.int(1), Some(1)); // the version
    /// assert_eq!(frame.header().int(0), Some(0xCAFE));
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    pub fn int(&self, index: usize) -> Option<i128> {
        self.value(index)?.as_int()
    }

    /// All values in order, as `struct.unpack` returns them.
    pub fn values(&self) -> impl ExactSizeIterator<Item = Value<'a>> + 'a {
        self.layout.format().values(self.bytes)
    }

    /// The raw value of the length field, or of the length after the
    /// header (a varint, ASCII digits), before the adjust.
    pub fn length_value(&self) -> i128 {
        let l = &self.layout.length;
        if self.layout.has_length_after_header() {
            return i128::from(self.layout.suffix_value(self.bytes).unwrap_or(0));
        }
        let raw = l.read(self.bytes).unwrap_or(0);
        if l.signed {
            i128::from(value::sign_extend(raw, l.width))
        } else {
            i128::from(raw)
        }
    }
}

impl Format {
    /// Value `index` of a header, as `struct.unpack(format, header)[index]`:
    /// read in place, borrowing `header` for byte strings. `None` past the
    /// last value or if `header` is shorter than [`Format::size`].
    ///
    /// ```
    /// use framing_core::{Format, Value};
    ///
    /// let f = Format::parse(">h4s").unwrap();
    /// assert_eq!(f.value(b"\xff\xfeRIFF", 0), Some(Value::Int(-2)));
    /// assert_eq!(f.value(b"\xff\xfeRIFF", 1), Some(Value::Bytes(b"RIFF")));
    /// ```
    pub fn value<'a>(&self, header: &'a [u8], index: usize) -> Option<Value<'a>> {
        read(&self.field(index)?, self.byte_order(), header)
    }

    /// All values of a header in order, as `struct.unpack` returns them.
    /// Empty if `header` is shorter than [`Format::size`].
    pub fn values<'a>(&'a self, header: &'a [u8]) -> impl ExactSizeIterator<Item = Value<'a>> + 'a {
        let n = if header.len() >= self.size() {
            self.value_count()
        } else {
            0
        };
        let order = self.byte_order();
        self.fields()
            .take(n)
            .map(move |f| read(&f, order, header).unwrap_or(Value::Int(0)))
    }
}

fn read<'a>(field: &Field, order: ByteOrder, header: &'a [u8]) -> Option<Value<'a>> {
    let at = header.get(field.offset..)?;
    value::parse_value(field, order.is_big_endian(), at)
        .ok()
        .map(|(_, v)| v)
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Header<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Header[");
        for (i, v) in self.values().enumerate() {
            if i > 0 {
                defmt::write!(f, ", ");
            }
            defmt::write!(f, "{}", v);
        }
        defmt::write!(f, "]");
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Frame<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Frame {{ header: {}, payload: {} bytes }}",
            self.header,
            self.payload.len()
        );
    }
}

impl PartialEq for Header<'_> {
    /// Headers are equal when their bytes are.
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

/// A whole frame: its header, its payload and its trailer (if the layout
/// has one, already checked), all borrowed (from the input chunk when the
/// frame lay whole in it, else from the decoder's buffer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame<'a> {
    header: Header<'a>,
    payload: &'a [u8],
    trailer: &'a [u8],
}

impl<'a> Frame<'a> {
    /// A preface as a frame: no header, the preface's bytes as payload.
    pub(crate) fn preface(bytes: &'a [u8]) -> Self {
        Frame::new(Header::new(&[], &Layout::PREFACE), bytes, &[])
    }

    pub(crate) fn new(header: Header<'a>, payload: &'a [u8], trailer: &'a [u8]) -> Self {
        Frame {
            header,
            payload,
            trailer,
        }
    }

    /// The trailer's bytes as they were on the wire (empty when the layout
    /// has none). The decoder checked them before it returned the frame.
    pub fn trailer(&self) -> &'a [u8] {
        self.trailer
    }

    /// The header.
    pub fn header(&self) -> Header<'a> {
        self.header
    }

    /// The payload.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Header value `index`, as `struct.unpack(format, header)[index]`.
    pub fn value(&self, index: usize) -> Option<Value<'a>> {
        self.header.value(index)
    }

    /// Header value `index` as an integer, if it is one.
    pub fn int(&self, index: usize) -> Option<i128> {
        self.header.int(index)
    }

    /// A WebSocket frame's header parts (FIN, RSV, opcode, masking key,
    /// length), for a frame of a [`websocket`](Layout::websocket) layout;
    /// `None` for any other. Unmask the payload with
    /// [`WsHeader::unmask`](crate::websocket::WsHeader::unmask).
    pub fn websocket(&self) -> Option<crate::websocket::WsHeader> {
        self.header.layout().websocket_masking()?;
        crate::websocket::WsHeader::parse(self.header.as_bytes())
    }
}
