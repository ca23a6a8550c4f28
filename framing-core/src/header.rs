//! Zero-copy views: a [`Header`] reads typed values in place, a [`Frame`]
//! pairs it with the payload.

use core::fmt;

use crate::format::Field;
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
    /// [`Layout::header_len`] bytes. Extra bytes are ignored. The header is not
    /// validated: use [`Layout::check`] for that.
    pub fn new_checked(bytes: &'a [u8], layout: &'a Layout) -> Option<Self> {
        let bytes = bytes.get(..layout.header_len())?;
        Some(Header { bytes, layout })
    }

    /// The header's bytes, exactly [`Layout::header_len`] of them.
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
        let field = self.layout.format().field(index)?;
        self.read(&field)
    }

    /// All values in order, as `struct.unpack` returns them.
    pub fn values(&self) -> impl ExactSizeIterator<Item = Value<'a>> + 'a {
        let header = *self;
        self.layout
            .format()
            .fields()
            .map(move |f| header.read(&f).unwrap_or(Value::Int(0)))
    }

    /// The raw value of the length field (before the adjust).
    pub fn length_value(&self) -> i128 {
        let l = &self.layout.length;
        let raw = value::read_uint(self.bytes, l.offset, l.width, l.big).unwrap_or(0);
        if l.signed {
            i128::from(value::sign_extend(raw, l.width))
        } else {
            i128::from(raw)
        }
    }

    fn read(&self, field: &Field) -> Option<Value<'a>> {
        let big = self.layout.format().byte_order().is_big_endian();
        let at = self.bytes.get(field.offset..)?;
        value::parse_value(field, big, at).ok().map(|(_, v)| v)
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values()).finish()
    }
}

impl PartialEq for Header<'_> {
    /// Headers are equal when their bytes are.
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

/// A whole frame: its header and its payload, both borrowed (from the input
/// chunk when the frame lay whole in it, else from the decoder's buffer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame<'a> {
    header: Header<'a>,
    payload: &'a [u8],
}

impl<'a> Frame<'a> {
    pub(crate) fn new(header: Header<'a>, payload: &'a [u8]) -> Self {
        Frame { header, payload }
    }

    /// The header.
    pub fn header(&self) -> Header<'a> {
        self.header
    }

    /// The payload.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}
