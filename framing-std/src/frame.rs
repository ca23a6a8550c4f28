//! Frames that own their bytes: one type, [`OwnedFrame`], over any storage
//! (a `Vec<u8>` from the readers, a shared `Bytes` from the codecs), in the
//! spirit of smoltcp's `Packet<T: AsRef<[u8]>>`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use framing_core::{Header, Layout, Value};

/// The layout as a reader or codec and its frames hold it: counted, or a
/// `const`/`static` item the frames refer to (no atomic operation a frame).
#[derive(Clone, Debug)]
pub(crate) enum SharedLayout {
    Counted(Arc<Layout>),
    #[cfg_attr(not(any(feature = "tokio", feature = "futures")), allow(dead_code))]
    Static(&'static Layout),
}

impl Deref for SharedLayout {
    type Target = Layout;

    #[inline]
    fn deref(&self) -> &Layout {
        match self {
            SharedLayout::Counted(layout) => layout,
            SharedLayout::Static(layout) => layout,
        }
    }
}

impl Borrow<Layout> for SharedLayout {
    #[inline]
    fn borrow(&self) -> &Layout {
        self
    }
}

impl PartialEq for SharedLayout {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// A frame that owns its bytes: header, payload and trailer as they were
/// on the wire, in storage `S`, with the layout it was read with (shared
/// with the reader or codec that made it).
///
/// The readers' owned frames ([`FrameReader::next_owned_frame`], the
/// reader's [`Iterator`]) are `OwnedFrame<Vec<u8>>`, one allocation each;
/// the tokio and futures codecs' are `OwnedFrame<Bytes>`, split off the
/// read buffer without a copy. Every accessor is the same for both, and
/// none can panic: a frame is made only of a whole, checked frame.
///
/// ```
/// use framing_std::{FrameReader, Layout, Value};
///
/// let stream: &[u8] = b"\x00\x02hi\x00\x03you";
/// let frames: Vec<_> = FrameReader::new(stream, Layout::new("!H"))
///     .collect::<std::io::Result<_>>()?;
/// assert_eq!(frames[1].payload(), b"you");
/// assert_eq!(frames[1].value(0), Some(Value::Int(3)));
/// assert_eq!(frames[1].int(0), Some(3));
/// assert_eq!(frames[1].as_bytes(), b"\x00\x03you");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`FrameReader::next_owned_frame`]: crate::FrameReader::next_owned_frame
#[cfg_attr(
    any(feature = "tokio", feature = "futures"),
    doc = "[`Bytes`]: bytes::Bytes"
)]
#[cfg_attr(
    not(any(feature = "tokio", feature = "futures")),
    doc = "[`Bytes`]: https://docs.rs/bytes"
)]
#[derive(Clone, PartialEq)]
pub struct OwnedFrame<S = Vec<u8>> {
    /// Head, payload, trailer.
    bytes: S,
    /// The head's length, as the decoder found it.
    head: usize,
    layout: SharedLayout,
}

impl<S: AsRef<[u8]>> OwnedFrame<S> {
    /// A frame of `bytes` whose first `head` bytes are its head, as a
    /// decoder returned it: at least a head and a trailer long.
    #[inline]
    pub(crate) fn new(bytes: S, head: usize, layout: SharedLayout) -> Self {
        debug_assert!(bytes.as_ref().len() >= head + layout.tail_len());
        debug_assert!(Header::new_checked(bytes.as_ref(), &layout)
            .is_some_and(|h| h.as_bytes().len() == head));
        OwnedFrame {
            bytes,
            head,
            layout,
        }
    }

    /// The header, read in place.
    #[inline]
    pub fn header(&self) -> Header<'_> {
        // `new` holds a whole head of `head` bytes.
        Header::new_checked(self.header_bytes(), &self.layout)
            .expect("an owned frame holds a whole header")
    }

    /// Header value `index`, as `struct.unpack(format, header)[index]`.
    pub fn value(&self, index: usize) -> Option<Value<'_>> {
        self.header().value(index)
    }

    /// Header value `index` as an integer, if it is one (as
    /// [`Frame::int`](framing_core::Frame::int)).
    pub fn int(&self, index: usize) -> Option<i128> {
        self.header().int(index)
    }

    /// The header's bytes (with the varint length, if the layout has one).
    #[inline]
    pub fn header_bytes(&self) -> &[u8] {
        &self.bytes.as_ref()[..self.head]
    }

    /// The payload.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.bytes.as_ref()[self.payload_range()]
    }

    /// The trailer, checked by the decoder (empty if the layout has none).
    #[inline]
    pub fn trailer(&self) -> &[u8] {
        let end = self.bytes.as_ref().len() - self.end_len();
        &self.bytes.as_ref()[self.payload_range().end..end]
    }

    /// The whole frame as it was on the wire: header, payload, trailer
    /// (and frame end).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The layout the frame was read with.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The whole frame's bytes, given back.
    pub fn into_bytes(self) -> S {
        self.bytes
    }

    #[inline]
    fn payload_range(&self) -> Range<usize> {
        let end = self.bytes.as_ref().len() - self.layout.tail_len();
        self.head..end
    }

    /// The frame end's length (0 without one).
    #[inline]
    fn end_len(&self) -> usize {
        self.layout.tail_len() - self.layout.trailer_len()
    }
}

impl OwnedFrame<Vec<u8>> {
    /// The payload, given back (moves the payload to the front of the
    /// allocation).
    pub fn into_payload(mut self) -> Vec<u8> {
        let range = self.payload_range();
        self.bytes.truncate(range.end);
        self.bytes.drain(..range.start);
        self.bytes
    }
}

#[cfg(any(feature = "tokio", feature = "futures"))]
impl OwnedFrame<bytes::Bytes> {
    /// The payload as [`Bytes`](bytes::Bytes) sharing the frame's memory
    /// (no copy), for sending on or keeping after the frame is dropped.
    pub fn payload_bytes(&self) -> bytes::Bytes {
        self.bytes.slice(self.payload_range())
    }

    /// The payload, given back (no copy).
    pub fn into_payload(mut self) -> bytes::Bytes {
        let range = self.payload_range();
        self.bytes.truncate(range.end);
        self.bytes.split_off(range.start)
    }
}

impl<S: AsRef<[u8]>> fmt::Debug for OwnedFrame<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedFrame")
            .field("header", &self.header())
            .field("payload", &self.payload())
            .finish()
    }
}
