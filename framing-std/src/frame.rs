//! Frames that own their bytes: one type, [`OwnedFrame`], over its storage
//! (the readers' [`ReadBytes`], shared with their read buffer; the codecs'
//! `Bytes`), in the spirit of smoltcp's `Packet<T: AsRef<[u8]>>`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, Mutex, PoisonError};

use framing_core::{Header, Layout, Value};

/// The layout as a reader or codec and its frames hold it: counted, or a
/// `const`/`static` item the frames refer to (no atomic operation a frame).
#[derive(Clone, Debug)]
pub(crate) enum SharedLayout {
    Counted(Arc<Layout>),
    Static(&'static Layout),
}

/// How many distinct layouts [`SharedLayout::interned`] keeps for the life
/// of the process: 64 at most 552 bytes each, 35 KiB.
const INTERNED: usize = 64;

impl SharedLayout {
    /// `layout` as a reader or codec built with it holds it: a copy kept
    /// for the life of the process, shared by every reader and codec built
    /// with an equal layout, so that their frames refer to it with no count
    /// (an atomic increment and decrement a frame, most of an owned
    /// frame's time: see [`ReadBytes`]); counted once the process has kept
    /// [`INTERNED`] distinct layouts.
    pub(crate) fn new(layout: Layout) -> SharedLayout {
        match interned(&layout) {
            Some(layout) => SharedLayout::Static(layout),
            None => SharedLayout::Counted(Arc::new(layout)),
        }
    }

    /// The layout, if it lives as long as the process.
    #[inline]
    pub(crate) fn as_static(&self) -> Option<&'static Layout> {
        match self {
            SharedLayout::Static(layout) => Some(layout),
            SharedLayout::Counted(_) => None,
        }
    }
}

/// The process's copy of `layout` (see [`SharedLayout::new`]), or `None`
/// once it keeps [`INTERNED`] others.
fn interned(layout: &Layout) -> Option<&'static Layout> {
    static KEPT: Mutex<Vec<&'static Layout>> = Mutex::new(Vec::new());
    // A panic elsewhere while the lock was held left the list whole (a
    // push is its only change).
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&kept) = kept.iter().find(|kept| **kept == layout) {
        return Some(kept);
    }
    if kept.len() >= INTERNED {
        return None;
    }
    let layout: &'static Layout = Box::leak(Box::new(*layout));
    kept.push(layout);
    Some(layout)
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
/// on the wire, in storage `S`, with the layout it was read with.
///
/// The readers' owned frames ([`FrameReader::next_owned_frame`], the
/// reader's [`Iterator`]) are `OwnedFrame<ReadBytes>`: a range of the read
/// buffer the frame was read into, shared with the reader (no copy, no
/// allocation a frame: one count, which also keeps the layout), or, for a
/// frame of at most 32 bytes, a copy of it (see [`ReadBytes`]). The tokio
/// and futures codecs' are `OwnedFrame<Bytes>`, split off their read
/// buffer the same way. Every accessor is the same for both, and none can
/// panic: a frame is made only of a whole, checked frame.
///
/// Sharing has the cost `bytes` has: a frame kept keeps its whole read
/// buffer (64 KiB by default) alive, and the reader reads on into a fresh
/// one. To keep a few small frames for long, keep copies of their payloads
/// ([`into_payload`](OwnedFrame::into_payload)).
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
#[derive(Clone)]
pub struct OwnedFrame<S = ReadBytes> {
    /// Head, payload, trailer.
    bytes: S,
    /// The head's length, as the decoder found it.
    head: usize,
    /// The trailer's and the frame end's lengths, the layout's: kept here
    /// so the payload is found without reaching for the layout. Whole
    /// words: a frame is moved a few times on its way out, and a word
    /// loaded from two narrower stores waits for them (a store-forwarding
    /// stall, which two `u8`s here cost on every frame).
    trailer: usize,
    end: usize,
    /// The layout the frame is read with, or `None`: the one its storage
    /// keeps ([`ReadBytes`], whose count keeps it).
    layout: Option<SharedLayout>,
}

/// What an [`OwnedFrame`] keeps its bytes in: [`ReadBytes`] (the
/// readers'), `Bytes` (the codecs'). Sealed: the frames are made by this
/// crate's readers and codecs only.
pub trait FrameStorage: AsRef<[u8]> + sealed::Sealed {}

mod sealed {
    use framing_core::Layout;

    pub trait Sealed {
        /// The layout the storage keeps for its frames, if it keeps one.
        fn layout(&self) -> Option<&Layout> {
            None
        }
    }
}

impl sealed::Sealed for ReadBytes {
    #[inline]
    fn layout(&self) -> Option<&Layout> {
        match &self.0 {
            Store::Shared { chunk, .. } => chunk.layout.as_deref(),
            Store::Inline { layout, .. } => Some(layout),
        }
    }
}
impl FrameStorage for ReadBytes {}

#[cfg(any(feature = "tokio", feature = "futures"))]
impl sealed::Sealed for bytes::Bytes {}
#[cfg(any(feature = "tokio", feature = "futures"))]
impl FrameStorage for bytes::Bytes {}

impl<S: FrameStorage> OwnedFrame<S> {
    /// A frame of `bytes` whose first `head` bytes are its head, as a
    /// decoder returned it, read with `layout`: the codecs' (the readers'
    /// know the lengths, [`from_parts`](Self::from_parts)).
    #[cfg(any(feature = "tokio", feature = "futures"))]
    #[inline]
    pub(crate) fn new(bytes: S, head: usize, layout: SharedLayout) -> Self {
        let (trailer, tail) = (layout.trailer_len(), layout.tail_len());
        OwnedFrame::from_parts(bytes, head, trailer, tail - trailer, Some(layout))
    }

    /// A frame of `bytes` whose head, trailer and frame end are `head`,
    /// `trailer` and `end` bytes long, as a decoder found it, read with
    /// `layout` (`None`: the one `bytes` keeps), built in one expression
    /// from lengths at hand, so nothing is read back before the frame is
    /// written where the caller wants it.
    #[inline(always)]
    pub(crate) fn from_parts(
        bytes: S,
        head: usize,
        trailer: usize,
        end: usize,
        layout: Option<SharedLayout>,
    ) -> Self {
        let frame = OwnedFrame {
            bytes,
            head,
            trailer,
            end,
            layout,
        };
        debug_assert!(frame.layout().trailer_len() == trailer);
        debug_assert!(frame.layout().tail_len() == trailer + end);
        debug_assert!(frame.bytes.as_ref().len() >= head + trailer + end);
        debug_assert!(Header::new_checked(frame.bytes.as_ref(), frame.layout())
            .is_some_and(|h| h.as_bytes().len() == head));
        frame
    }

    /// The header, read in place.
    #[inline]
    pub fn header(&self) -> Header<'_> {
        // `new` holds a whole head of `head` bytes.
        Header::new_checked(self.header_bytes(), self.layout())
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
    #[inline]
    pub fn layout(&self) -> &Layout {
        match &self.layout {
            Some(layout) => layout,
            // `new` holds one or the other.
            None => self
                .bytes
                .layout()
                .expect("an owned frame's storage keeps its layout"),
        }
    }

    /// The whole frame's bytes, given back.
    pub fn into_bytes(self) -> S {
        self.bytes
    }

    #[inline]
    fn payload_range(&self) -> Range<usize> {
        self.head..self.bytes.as_ref().len() - self.trailer - self.end
    }

    /// The frame end's length (0 without one).
    #[inline]
    fn end_len(&self) -> usize {
        self.end
    }
}

impl<S: FrameStorage + PartialEq> PartialEq for OwnedFrame<S> {
    /// Frames are equal when their bytes and their layouts are.
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head && self.bytes == other.bytes && self.layout() == other.layout()
    }
}

impl OwnedFrame<ReadBytes> {
    /// The payload as [`ReadBytes`] sharing the frame's memory (no copy),
    /// for keeping after the frame is dropped.
    pub fn payload_bytes(&self) -> ReadBytes {
        self.bytes.slice(self.payload_range())
    }

    /// The payload, copied into a `Vec` of its own (the frame's read
    /// buffer is let go); [`payload_bytes`](Self::payload_bytes) shares it
    /// instead.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload().to_vec()
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

impl<S: FrameStorage> fmt::Debug for OwnedFrame<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedFrame")
            .field("header", &self.header())
            .field("payload", &self.payload())
            .finish()
    }
}

/// A reader's read buffer, shared with the frames it hands out owned: the
/// bytes, and the layout those frames are read with (`None` for a reader
/// that makes no owned frames).
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    /// All initialised; its length is the room reads may fill.
    pub(crate) bytes: Vec<u8>,
    pub(crate) layout: Option<SharedLayout>,
}

impl Chunk {
    /// A chunk of at least `capacity` bytes holding `bytes[range]` at its
    /// front (zeros after): what a reader keeps of a chunk its frames
    /// still share, to read on into.
    pub(crate) fn keeping(&self, range: Range<usize>, capacity: usize) -> Chunk {
        let kept = self.bytes.get(range).unwrap_or_default();
        let mut bytes = vec![0; capacity.max(kept.len())];
        bytes[..kept.len()].copy_from_slice(kept);
        Chunk {
            bytes,
            layout: self.layout.clone(),
        }
    }
}

/// The bytes of a frame a reader hands out owned
/// ([`FrameReader::next_owned_frame`](crate::FrameReader::next_owned_frame),
/// the reader's [`Iterator`]): a range of the buffer the frame was read
/// into, shared with the reader and the other frames read with it, as
/// `bytes::Bytes` shares its buffer. Making one copies nothing and
/// allocates nothing: it counts one more holder of the buffer (an atomic
/// increment, and a decrement when dropped). While any is kept, the
/// reader reads on into a fresh buffer. A frame of 32 bytes or fewer is
/// copied in instead (no count, no allocation, the buffer not held), when
/// the reader's layout is one the process keeps (the first 64 distinct
/// layouts readers and codecs are built with: see
/// [`FrameReader::new`](crate::FrameReader::new)).
///
/// It reads as a `&[u8]` ([`Deref`], [`AsRef`]); `to_vec`
/// copies it out, letting the buffer go.
///
/// ```
/// use framing_std::{FrameReader, Layout, ReadBytes};
///
/// let stream: &[u8] = b"\x00\x02hi\x00\x03you";
/// let mut reader = FrameReader::new(stream, Layout::new("!H"));
/// let hi: ReadBytes = reader.next_owned_frame()?.unwrap().payload_bytes();
/// let you = reader.next_owned_frame()?.unwrap().payload_bytes();
/// assert_eq!((&hi[..], &you[..]), (&b"hi"[..], &b"you"[..]));
/// let kept: Vec<u8> = you.to_vec(); // a copy: the buffer may go
/// # assert_eq!(kept, b"you");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct ReadBytes(Store);

/// The bytes [`INLINE`] long or shorter are copied into a [`ReadBytes`]
/// when the layout they are read with lives as long as the process: a
/// copy of a few words costs less than the count a share takes and gives
/// back (two atomic operations, 9 ns a frame on the Intel Xeon of
/// BENCHMARKS.md, where a borrowed 16-byte frame took 5). 32 holds a
/// 16-byte payload after an 8-byte head with a CRC-32.
pub(crate) const INLINE: usize = 32;

/// An owned frame's copied bytes, whole words: the copy is two 16-byte
/// moves, and each later move of the frame reads words that lie within
/// one of them. (Two bytes from a word boundary, as the enum's tag and the
/// length placed it, every frame's move read 8 bytes across the two
/// halves of the copy and waited for both: half an owned frame's time,
/// `perf annotate`.)
#[derive(Clone, Copy)]
#[repr(align(8))]
struct Words([u8; INLINE]);

#[derive(Clone)]
enum Store {
    /// `chunk.bytes[start..end]`, within its length.
    Shared {
        chunk: Arc<Chunk>,
        start: usize,
        end: usize,
    },
    /// `bytes[..len]`, a copy, and the layout the frame is read with (a
    /// shared chunk keeps it).
    Inline {
        bytes: Words,
        layout: &'static Layout,
        len: u8,
    },
}

impl ReadBytes {
    /// `chunk.bytes[range]`, shared (`range` within the chunk).
    #[inline]
    pub(crate) fn new(chunk: Arc<Chunk>, range: Range<usize>) -> Self {
        debug_assert!(range.start <= range.end && range.end <= chunk.bytes.len());
        ReadBytes(Store::Shared {
            chunk,
            start: range.start,
            end: range.end,
        })
    }

    /// A copy of `from[..len]`, `len` at most [`INLINE`], whose frames
    /// are read with `layout`; `None` if `len` is longer or `from` holds
    /// fewer than [`INLINE`] bytes. All [`INLINE`] are copied, the ones past
    /// `len` never read: a copy of a fixed length is two moves, where one of
    /// `len` bytes is a call.
    #[inline(always)]
    pub(crate) fn inline(from: &[u8], len: usize, layout: &'static Layout) -> Option<Self> {
        if len > INLINE {
            return None;
        }
        Some(ReadBytes(Store::Inline {
            bytes: Words(*from.first_chunk::<INLINE>()?),
            layout,
            len: len as u8,
        }))
    }

    /// A copy of `bytes` in a chunk of its own, whose frames are read with
    /// `layout`: for a frame the decoder assembled in its own buffer.
    pub(crate) fn copy_from(bytes: &[u8], layout: Option<SharedLayout>) -> Self {
        let chunk = Arc::new(Chunk {
            bytes: bytes.to_vec(),
            layout,
        });
        ReadBytes::new(chunk, 0..bytes.len())
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Store::Shared { chunk, start, end } => {
                chunk.bytes.get(*start..*end).unwrap_or_default()
            }
            Store::Inline { len, bytes, .. } => &bytes.0[..usize::from(*len).min(INLINE)],
        }
    }

    /// `self[range]`, sharing the same buffer (or copied, as these bytes
    /// are); `range` is clamped to these bytes.
    pub(crate) fn slice(&self, range: Range<usize>) -> ReadBytes {
        let len = self.len();
        let (from, to) = (range.start.min(len), range.end.min(len));
        let to = to.max(from);
        match &self.0 {
            Store::Shared { chunk, start, .. } => ReadBytes(Store::Shared {
                chunk: Arc::clone(chunk),
                start: start + from,
                end: start + to,
            }),
            Store::Inline { layout, bytes, .. } => {
                let mut copy = [0; INLINE];
                copy[..to - from].copy_from_slice(&bytes.0[from..to]);
                ReadBytes(Store::Inline {
                    bytes: Words(copy),
                    layout,
                    len: (to - from) as u8,
                })
            }
        }
    }
}

impl Deref for ReadBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ReadBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for ReadBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for ReadBytes {
    /// Equal when the bytes are, wherever they lie.
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ReadBytes {}

impl PartialEq<[u8]> for ReadBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for ReadBytes {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for ReadBytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for ReadBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl From<ReadBytes> for Vec<u8> {
    /// A copy of the bytes.
    fn from(bytes: ReadBytes) -> Vec<u8> {
        bytes.as_slice().to_vec()
    }
}
