//! Reading frames from any [`Read`]: whole frames ([`FrameReader`]) or, for
//! frames larger than memory, headers and payload pieces ([`StreamReader`]).

#[cfg(any(feature = "tokio", feature = "futures"))]
use core::task::Poll;
use std::io::{self, Read};
use std::sync::Arc;

use framing_core::adapter::{At, Feed, Found};
use framing_core::{Decoded, Decoder, Event, Frame, Layout, StreamDecoder};

use crate::buffer::{GrowBuf, ReadBuf};
use crate::error;
use crate::frame::{OwnedFrame, ReadBytes, SharedLayout, INLINE};

/// The default size of one read: 64 KiB.
pub const DEFAULT_READ_CAPACITY: usize = 64 * 1024;

/// The largest frame (head, payload, trailer) a whole-frame decoder of
/// `layout` may hold.
fn frame_limit(layout: &Layout) -> usize {
    usize::try_from(layout.max_frame_len()).unwrap_or(usize::MAX)
}

/// The accessors of every std reader, blocking or async (one definition
/// for the six of them): what the whole-frame readers and the streaming
/// readers have, then the inner reader's.
macro_rules! reader_accessors {
    (FrameReader) => {
        impl<R> FrameReader<R> {
            /// Whether the reader holds no byte of an undelivered frame:
            /// every byte read so far belongs to a frame already returned
            /// (or skipped). A peer closing now would be a clean end.
            pub fn is_at_boundary(&self) -> bool {
                self.rx.is_at_boundary()
            }

            /// Whether a whole frame already read waits in the buffer, so
            /// that the next `next_frame` returns it without reading. A
            /// printer that flushes only when this is `false` shows a live
            /// peer each frame at once and pays one flush a read on bulk
            /// input.
            pub fn frame_ready(&self) -> bool {
                self.rx.frame_ready()
            }

            /// Stream offset, in bytes from the first byte read, just past
            /// the last frame or report returned (a delimited frame's
            /// delimiter included).
            pub fn offset(&self) -> u64 {
                self.rx.offset()
            }

            /// Bytes of heap memory the reader holds now: the read buffer
            /// (grown to the longest frame received, if longer than its
            /// capacity) plus the decoder's buffer, which only the recovery
            /// policies use. It follows the bytes actually received, not the
            /// lengths headers announce.
            pub fn allocated(&self) -> usize {
                self.rx.allocated()
            }
        }
        $crate::read::reader_accessors!(@inner FrameReader);
    };
    (StreamReader) => {
        impl<R> StreamReader<R> {
            /// Payload bytes still to come for the current frame, if inside
            /// one.
            pub fn remaining(&self) -> Option<u64> {
                self.rx.remaining()
            }

            /// Bytes of heap memory the reader holds now (read buffer and
            /// header buffer).
            pub fn allocated(&self) -> usize {
                self.rx.allocated()
            }
        }
        $crate::read::reader_accessors!(@inner StreamReader);
    };
    (@inner $reader:ident) => {
        impl<R> $reader<R> {
            /// The layout frames are read with.
            pub fn layout(&self) -> &Layout {
                self.rx.layout()
            }

            /// The inner reader.
            pub fn get_ref(&self) -> &R {
                &self.inner
            }

            /// The inner reader, mutably. Reading from it directly skips
            /// bytes the reader would have seen.
            pub fn get_mut(&mut self) -> &mut R {
                &mut self.inner
            }

            /// The inner reader, given back. Bytes already read but not yet
            /// delivered are lost.
            pub fn into_inner(self) -> R {
                self.inner
            }
        }
    };
}
pub(crate) use reader_accessors;

/// A reader's state apart from the reader itself, so the duplex adapter can
/// keep one stream and hand the state to a [`FrameReader`] when split.
#[derive(Debug)]
pub(crate) struct Rx {
    /// Its layout's `Arc` is the one the read buffer keeps for the
    /// [`OwnedFrame`]s this reader makes. An `Arc`, not a
    /// [`SharedLayout`]: its every use is a plain pointer, with no branch
    /// on which kind of layout it is.
    decoder: Decoder<Arc<Layout>, GrowBuf>,
    chunk: ReadBuf,
    /// The longest frame kept whole in the read buffer: any valid one.
    hold: usize,
    /// The layout as the process keeps it ([`SharedLayout::new`]), if it
    /// does: owned frames of at most [`INLINE`] bytes are then copied
    /// rather than shared ([`ReadBytes`]).
    inline: Option<&'static Layout>,
}

impl Rx {
    /// See [`FrameReader::offset`].
    pub(crate) fn offset(&self) -> u64 {
        self.decoder.offset()
    }

    pub(crate) fn new(layout: Layout, read_capacity: usize) -> Self {
        let hold = frame_limit(&layout);
        let shared = SharedLayout::new(layout);
        let inline = shared.as_static();
        Rx {
            decoder: Decoder::new(Arc::new(layout), GrowBuf::new(hold)),
            chunk: ReadBuf::new(read_capacity, Some(shared)),
            hold,
            inline,
        }
    }

    pub(crate) fn layout(&self) -> &Layout {
        self.decoder.layout()
    }

    #[cfg(any(feature = "tokio", feature = "futures"))]
    /// Where the next frame or report lies (see [`item`](Self::item)),
    /// reading with `read` as the feed loop asks ([`ReadBuf::poll_next`]).
    /// Frames are taken whole from the read buffer: one that is not whole
    /// yet gets room there for all of it, and the rest is read after its
    /// first bytes. The decoder's own buffer only serves the unusual paths
    /// (a recovery policy at work).
    #[inline]
    pub(crate) fn poll_found(
        &mut self,
        read: impl FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<Option<(usize, Found)>>> {
        self.chunk.poll_next(&mut self.decoder, self.hold, read)
    }

    #[cfg(any(feature = "tokio", feature = "futures"))]
    /// Where the next frame lies (see [`frame`](Self::frame)), reports
    /// skipped.
    #[inline]
    pub(crate) fn poll_frame_at(
        &mut self,
        mut read: impl FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<Option<(usize, At)>>> {
        loop {
            match self.poll_found(&mut read) {
                // Reports and the preface are `next_item`'s to give.
                Poll::Ready(Ok(Some((_, Found::Recovered(_) | Found::Preface(_))))) => continue,
                Poll::Ready(Ok(Some((from, Found::Item(at))))) => {
                    return Poll::Ready(Ok(Some((from, at))))
                }
                Poll::Ready(Ok(None)) => return Poll::Ready(Ok(None)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The item [`poll_found`](Self::poll_found) found.
    #[inline]
    pub(crate) fn item(&self, (at, found): (usize, Found)) -> Decoded<Frame<'_>> {
        self.decoder.item(self.chunk.since(at), found)
    }

    /// The frame [`take`](Self::take) found: as [`frame`](Self::frame),
    /// from the buffer's bytes after the find's start (a frame taken lies
    /// within what was read; not sliced to its end again, 6 instructions a
    /// 16-byte `!I` frame fewer, callgrind).
    #[inline(always)]
    pub(crate) fn taken_frame(&self, (from, at): (usize, At)) -> Frame<'_> {
        self.decoder.frame(self.chunk.after(from), at)
    }

    /// The frame [`poll_frame_at`](Self::poll_frame_at) found.
    #[inline]
    pub(crate) fn frame(&self, (from, at): (usize, At)) -> Frame<'_> {
        self.decoder.frame(self.chunk.since(from), at)
    }

    /// The frame [`poll_frame_at`](Self::poll_frame_at) found, copied into
    /// an [`OwnedFrame`].
    #[inline(always)]
    pub(crate) fn owned_frame(&self, found: (usize, At)) -> OwnedFrame {
        self.owned(found, self.frame_layout(found.1))
    }

    /// The item [`poll_found`](Self::poll_found) found, its frame (or
    /// preface) copied into an [`OwnedFrame`].
    pub(crate) fn owned_item(&self, (from, found): (usize, Found)) -> Decoded<OwnedFrame> {
        match found {
            Found::Item(at) => Decoded::Frame(self.owned_frame((from, at))),
            // Read as the borrowed preface is: no header.
            Found::Preface(at) => {
                let layout = SharedLayout::Static(&Layout::PREFACE);
                Decoded::Preface(self.owned((from, at), Some(layout)))
            }
            Found::Recovered(report) => Decoded::Recovered(report),
        }
    }

    /// The frame or preface found at `found`, read with `layout` (`None`:
    /// the reader's, which the read buffer keeps).
    ///
    /// Inlined down to the caller's item, as the frame's every move is:
    /// out of line, each call's return slot was written word by word and
    /// read back wider by the next (a store-forwarding stall a move, most
    /// of an owned frame's time).
    #[inline(always)]
    fn owned(&self, found: (usize, At), layout: Option<SharedLayout>) -> OwnedFrame {
        if let (Some(range), Some(head)) = (found.1.in_input(), found.1.head_len()) {
            // The common case, a frame whole in the read buffer read with
            // the reader's layout: its head as the decoder measured it, its
            // tail the layout's.
            let lens = self.decoder.layout();
            let trailer = lens.trailer_len();
            let end = lens.tail_len() - trailer;
            // Short, read with a layout the process keeps (`layout` None:
            // the reader's): copied, no count.
            let copy = match (&layout, self.inline) {
                (None, Some(inline)) if range.len() <= INLINE => self
                    .chunk
                    .after(found.0)
                    .get(range.start..)
                    .and_then(|from| ReadBytes::inline(from, range.len(), inline)),
                _ => None,
            };
            let bytes = copy.unwrap_or_else(|| self.chunk.share(found.0, range));
            return OwnedFrame::from_parts(bytes, head, trailer, end, layout);
        }
        self.owned_parts(found, layout)
    }

    /// [`owned`](Self::owned) for the rest: the lengths read from the
    /// borrowed frame.
    #[inline(never)]
    fn owned_parts(&self, found: (usize, At), layout: Option<SharedLayout>) -> OwnedFrame {
        let frame = self.frame(found);
        // The parts' lengths, from the borrowed frame: the owned one is
        // then written in one piece, without reaching for a layout.
        let (head, payload, trailer) = (
            frame.header().as_bytes().len(),
            frame.payload().len(),
            frame.trailer().len(),
        );
        let (bytes, len) = match found.1.in_input() {
            // Where the decoder found it, in the read buffer: shared.
            Some(range) => {
                let len = range.len();
                (self.chunk.share(found.0, range), len)
            }
            // Assembled in the decoder's buffer (a recovery policy at
            // work): copied.
            None => {
                let bytes = self.copied();
                let len = bytes.len();
                (bytes, len)
            }
        };
        let end = len.saturating_sub(head + payload + trailer);
        OwnedFrame::from_parts(bytes, head, trailer, end, layout)
    }

    /// The frame the decoder assembled in its buffer, copied.
    #[cold]
    #[inline(never)]
    fn copied(&self) -> ReadBytes {
        let bytes = framing_core::Buffer::as_slice(self.decoder.buffer());
        ReadBytes::copy_from(bytes, self.chunk.layout().cloned())
    }

    /// The layout a frame found at `at` is read with: the first frame's
    /// own, or (`None`) the reader's, which the read buffer keeps.
    #[inline]
    pub(crate) fn frame_layout(&self, at: At) -> Option<SharedLayout> {
        match self.decoder.layout().first_frame() {
            Some(first) if at.is_first_frame() => Some(SharedLayout::Static(first)),
            _ => None,
        }
    }

    /// A frame the bytes already read hold whole, taken without a read or
    /// the feed loop ([`ReadBuf::take`], which asks
    /// [`Feed::takes`](framing_core::adapter::Feed::takes) first): see
    /// [`item`](Self::item). `None`, changing nothing, otherwise. The
    /// blocking reader's methods try it first, inline, and leave their
    /// read loop out of line; so do the async `FrameReader`'s methods,
    /// before their first `.await` (cancel safe: nothing is awaited, the
    /// frame is taken and returned in the same poll). Their futures stay
    /// 72 bytes, and the tokio reader over TCP went from 7.9-8.5 ms to
    /// 3.8-5.3 ms for 16-byte frames (BENCHMARKS.md). The feed loop's
    /// other callers take it inside their poll ([`ReadBuf::poll_next`]).
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Option<(usize, At)> {
        self.chunk.take(&mut self.decoder)
    }

    /// Where the next frame or report lies, read with a blocking reader:
    /// a frame already read whole taken inline ([`take`](Self::take)),
    /// anything else through the feed loop out of line (as
    /// [`next_frame`](Self::next_frame)).
    #[inline(always)]
    fn found<R: Read + ?Sized>(&mut self, inner: &mut R) -> io::Result<Option<(usize, Found)>> {
        match self.take() {
            Some((from, at)) => Ok(Some((from, Found::Item(at)))),
            None => self.read_found(inner),
        }
    }

    /// [`found`](Self::found) through the feed loop.
    #[inline(never)]
    fn read_found<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<(usize, Found)>> {
        self.chunk.next(inner, &mut self.decoder, self.hold)
    }

    /// The next frame or report, read with a blocking reader.
    #[inline]
    pub(crate) fn next_item<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<Decoded<Frame<'_>>>> {
        let found = self.found(inner)?;
        Ok(found.map(|found| self.item(found)))
    }

    /// The next frame, skipping reports, read with a blocking reader: the
    /// blocking twin of [`poll_frame_at`](Self::poll_frame_at).
    #[inline(always)]
    fn next_frame_at<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<(usize, At)>> {
        loop {
            match self.found(inner)? {
                Some((_, Found::Recovered(_) | Found::Preface(_))) => continue,
                Some((from, Found::Item(at))) => return Ok(Some((from, at))),
                None => return Ok(None),
            }
        }
    }

    /// The next frame, skipping reports, read with a blocking reader. As
    /// `next_frame_at`, spelled out, each frame made where it is found: a
    /// frame already read whole costs the decoder's take inline and one
    /// slice (95 instructions a 16-byte `!I` frame from a `&[u8]`,
    /// callgrind), and anything else the feed loop, out of line.
    ///
    /// Only the take is inline, whatever the framing (every whole decoder
    /// takes): with the loop inline too, as it was for the decoders that
    /// took nothing, the caller's own loop lost its registers, and the
    /// `!I` reader ran at 4.4 ns a frame against 3.9 now (BENCHMARKS.md).
    #[inline(always)]
    pub(crate) fn next_frame<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<Frame<'_>>> {
        if let Some(found) = self.take() {
            return Ok(Some(self.taken_frame(found)));
        }
        self.read_frame(inner)
    }

    /// [`next_frame`](Self::next_frame) through the feed loop, out of line.
    #[inline(never)]
    fn read_frame<R: Read + ?Sized>(&mut self, inner: &mut R) -> io::Result<Option<Frame<'_>>> {
        loop {
            match self.chunk.next(inner, &mut self.decoder, self.hold)? {
                Some((_, Found::Recovered(_) | Found::Preface(_))) => continue,
                Some((from, Found::Item(at))) => return Ok(Some(self.frame((from, at)))),
                None => return Ok(None),
            }
        }
    }

    /// The next frame or report, owned, read with a blocking reader.
    pub(crate) fn next_owned_item<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<Decoded<OwnedFrame>>> {
        let found = self.found(inner)?;
        Ok(found.map(|found| self.owned_item(found)))
    }

    /// The next frame, owned, read with a blocking reader: as
    /// [`next_frame`](Self::next_frame), a frame already read whole taken
    /// inline and the read loop out of line.
    #[inline(always)]
    pub(crate) fn next_owned_frame<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<OwnedFrame>> {
        if let Some(frame) = self.take_owned() {
            return Ok(Some(frame));
        }
        // Rebuilt from the loop's item, not passed on (see `read_owned`).
        self.read_owned(inner).transpose()
    }

    /// The next frame, owned, if the bytes already read hold it whole
    /// ([`take`](Self::take)); `None`, changing nothing, otherwise.
    #[inline(always)]
    pub(crate) fn take_owned(&mut self) -> Option<OwnedFrame> {
        let found = self.take()?;
        Some(self.owned_frame(found))
    }

    /// [`next_owned_frame`](Self::next_owned_frame) through the feed loop,
    /// out of line.
    ///
    /// Returned as an iterator's item, which the callers take apart and
    /// rebuild after [`take_owned`](Self::take_owned) found nothing: when
    /// this path's value was handed on whole, the frame the inline path
    /// made had to be written to memory where the two paths met and read
    /// back in wider loads, a store-forwarding stall a frame (`perf
    /// annotate`: two thirds of an owned frame's time).
    #[inline(never)]
    pub(crate) fn read_owned<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> Option<io::Result<OwnedFrame>> {
        match self.next_frame_at(inner) {
            Ok(Some(found)) => Some(Ok(self.owned_frame(found))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    pub(crate) fn is_at_boundary(&self) -> bool {
        self.chunk.is_empty() && self.decoder.is_at_boundary()
    }

    pub(crate) fn frame_ready(&self) -> bool {
        let window = self.chunk.unfed();
        !window.is_empty() && matches!(self.decoder.needs(window), Some(n) if n <= window.len())
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.decoder.failure().is_some()
    }

    pub(crate) fn allocated(&self) -> usize {
        self.chunk
            .allocated()
            .saturating_add(self.decoder.buffer().allocated())
    }
}

/// Reads frames from any [`Read`]: a `TcpStream`, a file, stdin, a serial
/// port.
///
/// It reads in large chunks ([`DEFAULT_READ_CAPACITY`] bytes unless told
/// otherwise), so one `read` that returns many small frames costs one system
/// call, and hands out each frame as a slice of its read buffer: no copy and
/// no allocation per frame. When what was read ends inside a frame, the
/// frame's first bytes are moved to the front of the buffer and the rest is
/// read after them; a frame longer than the buffer grows it, as its bytes
/// arrive (never by what a header announces, never past the header plus the
/// layout's [`max_payload`](Layout::max_payload)). Memory is bounded by that,
/// whatever the peer sends.
///
/// ```text
///  read 1: | 00 02 h i | 00 03 y o |      a frame, and most of another
///  read 2:             | u |              the end of it, read after "yo"
///  read 3: (end of stream)
///
///  next_frame() -> Frame(b"hi")           a slice of the read buffer
///  next_frame() -> Frame(b"you")          the same, once read 2 completed it
///  next_frame() -> None                   ended on a frame boundary
/// ```
///
/// ```
/// use std::io::Read;
/// use framing_std::{FrameReader, Layout};
///
/// let stream = (&b"\x00\x02hi\x00\x03yo"[..]).chain(&b"u"[..]);
/// let mut reader = FrameReader::new(stream, Layout::new("!H"));
/// assert_eq!(reader.next_frame()?.unwrap().payload(), b"hi");
/// assert_eq!(reader.next_frame()?.unwrap().payload(), b"you");
/// assert!(reader.next_frame()?.is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// As an [`Iterator`] it yields [`OwnedFrame`]s; it ends at the end of the
/// stream and after an error that stops the reader for good (a bad frame,
/// a truncated stream). Other errors (a timeout, say) are yielded and the
/// iteration may go on.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    rx: Rx,
}

impl<R: Read> FrameReader<R> {
    /// A reader of frames of `layout` over `inner`, reading
    /// [`DEFAULT_READ_CAPACITY`] bytes at a time.
    ///
    /// The process keeps a copy of `layout` for its life, shared by every
    /// reader and codec built with an equal layout (the first 64 distinct
    /// layouts, at most 35 KiB in all): owned frames of up to 32 bytes
    /// refer to it and hold a copy of their bytes, with no count on the
    /// read buffer (see [`ReadBytes`]). Past 64, a reader's owned frames
    /// all share its buffer.
    pub fn new(inner: R, layout: Layout) -> Self {
        Self::with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
    }

    /// Like [`new`](Self::new), with a read buffer of `capacity` bytes (at
    /// least 1), allocated at the first read. It grows only to hold a frame
    /// longer than that.
    pub fn with_capacity(capacity: usize, inner: R, layout: Layout) -> Self {
        FrameReader {
            inner,
            rx: Rx::new(layout, capacity),
        }
    }

    pub(crate) fn from_parts(inner: R, rx: Rx) -> Self {
        FrameReader { inner, rx }
    }

    /// The next frame, borrowed from the reader's buffers (no copy; it lives
    /// until the next call: [`next_owned_frame`](Self::next_owned_frame)
    /// gives one to keep); `Ok(None)` when the stream ended on a frame
    /// boundary (or was empty). Reads from the
    /// inner reader only when the bytes already read hold no whole frame.
    /// Recovery reports (under a layout's [`Oversize::Discard`] or
    /// [`resync`](framing_core::LayoutBuilder::resync) policy) are skipped:
    /// [`next_item`](Self::next_item) returns them too.
    ///
    /// # Errors
    /// - [`UnexpectedEof`](io::ErrorKind::UnexpectedEof): the stream ended
    ///   inside a frame; it wraps the core's
    ///   [`Truncated`](framing_core::DecodeErrorKind::Truncated) error, which
    ///   says how many bytes were missing. Frames before it were delivered.
    /// - [`InvalidData`](io::ErrorKind::InvalidData): a bad frame (negative
    ///   length, over the maximum, constant mismatch); it wraps the
    ///   core's [`DecodeError`](framing_core::DecodeError), naming the stream
    ///   offset. The reader then reads nothing more and returns the same
    ///   error on every call.
    /// - Any error of the inner reader (`WouldBlock` on a non-blocking
    ///   socket, `TimedOut`/`WouldBlock` after a read timeout,
    ///   `ConnectionReset`, ...), as it was. The reader keeps every byte it
    ///   read, so the next call continues where this one stopped: no byte is
    ///   lost or delivered twice. `Interrupted` is retried, never returned.
    ///
    /// [`Oversize::Discard`]: framing_core::Oversize::Discard
    #[inline]
    pub fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
        self.rx.next_frame(&mut self.inner)
    }

    /// The next frame or recovery report, borrowed; `Ok(None)` when the
    /// stream ended on a frame boundary.
    ///
    /// ```
    /// use framing_std::{Decoded, FrameReader, Layout, Oversize, Recovery};
    ///
    /// let layout = Layout::builder("!H").max_payload(4).on_oversize(Oversize::Discard).build()?;
    /// let mut reader = FrameReader::new(&b"\x00\x06toobig\x00\x02ok"[..], layout);
    /// let Some(Decoded::Recovered(report)) = reader.next_item()? else { panic!() };
    /// assert_eq!(report, Recovery::Discarded { offset: 0, length: 6 });
    /// assert_eq!(reader.next_frame()?.unwrap().payload(), b"ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`next_frame`](Self::next_frame).
    #[inline]
    pub fn next_item(&mut self) -> io::Result<Option<Decoded<Frame<'_>>>> {
        self.rx.next_item(&mut self.inner)
    }

    /// Like [`next_frame`](Self::next_frame), but returns a frame that owns
    /// its bytes, to keep past the next call or send to another thread: a
    /// share of the read buffer ([`ReadBytes`]), no copy and no allocation
    /// a frame.
    ///
    /// ```
    /// use framing_std::{FrameReader, Layout};
    ///
    /// let mut reader = FrameReader::new(&b"\x00\x02hi\x00\x03you"[..], Layout::new("!H"));
    /// let first = reader.next_owned_frame()?.unwrap();
    /// let second = reader.next_owned_frame()?.unwrap(); // `first` is still ours
    /// assert_eq!((first.payload(), second.payload()), (&b"hi"[..], &b"you"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`next_frame`](Self::next_frame).
    #[inline]
    pub fn next_owned_frame(&mut self) -> io::Result<Option<OwnedFrame>> {
        self.rx.next_owned_frame(&mut self.inner)
    }

    /// Like [`next_item`](Self::next_item), but the frame (or preface) owns
    /// its bytes, as [`next_owned_frame`](Self::next_owned_frame)'s does.
    /// The four methods are one grid: borrowed or owned, frames alone or
    /// with reports.
    ///
    /// ```
    /// use framing_std::{Decoded, FrameReader, Layout, Oversize, Recovery};
    ///
    /// let layout = Layout::builder("!H").max_payload(4).on_oversize(Oversize::Discard).build()?;
    /// let mut reader = FrameReader::new(&b"\x00\x06toobig\x00\x02ok"[..], layout);
    /// let mut kept = Vec::new();
    /// while let Some(item) = reader.next_owned_item()? {
    ///     kept.push(item); // frames and reports alike outlive the call
    /// }
    /// assert!(matches!(kept[0], Decoded::Recovered(Recovery::Discarded { offset: 0, length: 6 })));
    /// let Decoded::Frame(frame) = &kept[1] else { panic!() };
    /// assert_eq!(frame.payload(), b"ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`next_frame`](Self::next_frame).
    pub fn next_owned_item(&mut self) -> io::Result<Option<Decoded<OwnedFrame>>> {
        self.rx.next_owned_item(&mut self.inner)
    }
}

reader_accessors!(FrameReader);

impl<R: Read> Iterator for FrameReader<R> {
    type Item = io::Result<OwnedFrame>;

    /// The next owned frame; `None` at the end of the stream, and after an
    /// error that stopped the reader (which was yielded first).
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rx.is_failed() {
            return None;
        }
        // Each path's frame made into the item (see `Rx::read_owned`).
        if let Some(frame) = self.rx.take_owned() {
            return Some(Ok(frame));
        }
        // Taken apart and rebuilt, not returned as it is: returned whole,
        // the two paths met in memory and the inline frame stalled there
        // (owned 16-byte frames 6.5 to 21.7 ns, `benches/reader_cost.rs`).
        match self.rx.read_owned(&mut self.inner)? {
            Ok(frame) => Some(Ok(frame)),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Reads frames of any size as a header, then the payload in pieces as they
/// are read, then an end marker: the core's [`Event`]s over a [`Read`].
///
/// Nothing but a header split across reads is copied, and memory is the
/// read buffer plus one header, however long the payload. For frames larger
/// than memory, raise the layout's [`max_payload`](Layout::max_payload) (its
/// 8 MiB default applies here too).
///
/// ```text
///  | 00 00 10 00 | 4096 payload bytes ... |      read 1500 bytes at a time
///
///  next_event() -> Header([4096]), Payload(1496 bytes), Payload(1500),
///                  Payload(1100), End, then None at the end of the stream
/// ```
///
/// ```
/// use framing_std::{Event, Layout, StreamReader};
///
/// let mut stream = vec![0, 0, 0x10, 0];
/// stream.extend([7u8; 4096]);
/// let mut reader = StreamReader::with_capacity(1500, &stream[..], Layout::new("!I"));
/// let mut sink = Vec::new(); // could be a file
/// while let Some(event) = reader.next_event()? {
///     match event {
///         Event::Header(h) => assert_eq!(h.length_value(), 4096),
///         Event::Payload(piece) => sink.extend_from_slice(piece),
///         Event::End => assert_eq!(sink.len(), 4096),
///         Event::Recovered(report) => eprintln!("{report}"), // only under a policy
///         Event::Preface(_) => {} // only with a layout that has one
///         _ => {} // what a later version adds (the enum is #[non_exhaustive])
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct StreamReader<R> {
    inner: R,
    rx: StreamRx,
}

/// A streaming reader's state apart from the reader itself, shared by the
/// blocking and the async [`StreamReader`]s.
#[derive(Debug)]
pub(crate) struct StreamRx {
    decoder: StreamDecoder<Layout, GrowBuf>,
    chunk: ReadBuf,
}

impl StreamRx {
    /// # Errors
    /// `InvalidData` wrapping `NotStreamable` for a delimited layout.
    pub(crate) fn try_new(layout: Layout, read_capacity: usize) -> io::Result<Self> {
        let buffer = GrowBuf::new(layout.min_buffer_len());
        Ok(StreamRx {
            decoder: StreamDecoder::try_new(layout, buffer).map_err(error::from_decode)?,
            chunk: ReadBuf::new(read_capacity, None),
        })
    }

    #[cfg(any(feature = "tokio", feature = "futures"))]
    /// Where the next event lies (see [`event`](Self::event)), reading with
    /// `read` as the feed loop asks ([`ReadBuf::poll_next`]).
    #[inline]
    pub(crate) fn poll_found(
        &mut self,
        read: impl FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<Option<(usize, Found)>>> {
        self.chunk.poll_next(&mut self.decoder, 0, read)
    }

    /// Where the next event lies, read with a blocking reader.
    #[inline]
    pub(crate) fn next<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
    ) -> io::Result<Option<(usize, Found)>> {
        self.chunk.next(inner, &mut self.decoder, 0)
    }

    /// The event [`poll_found`](Self::poll_found) or [`next`](Self::next)
    /// found.
    #[inline]
    pub(crate) fn event(&self, (at, found): (usize, Found)) -> Event<'_> {
        self.decoder.item(self.chunk.since(at), found)
    }

    pub(crate) fn layout(&self) -> &Layout {
        self.decoder.layout()
    }

    pub(crate) fn remaining(&self) -> Option<u64> {
        self.decoder.remaining()
    }

    pub(crate) fn allocated(&self) -> usize {
        self.chunk
            .allocated()
            .saturating_add(self.decoder.buffer().allocated())
    }
}

impl<R: Read> StreamReader<R> {
    /// A streaming reader of frames of `layout` over `inner`, reading
    /// [`DEFAULT_READ_CAPACITY`] bytes at a time.
    ///
    /// # Panics
    /// If `layout` is delimited (COBS, SLIP, lines), as
    /// [`StreamDecoder::new`]: use a [`FrameReader`], or
    /// [`try_new`](Self::try_new) for a layout known only at run time.
    pub fn new(inner: R, layout: Layout) -> Self {
        Self::with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
    }

    /// Like [`new`](Self::new), reading up to `capacity` bytes at a time
    /// (at least 1).
    ///
    /// # Panics
    /// If `layout` is delimited, as [`new`](Self::new).
    pub fn with_capacity(capacity: usize, inner: R, layout: Layout) -> Self {
        match Self::try_with_capacity(capacity, inner, layout) {
            Ok(reader) => reader,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`new`](Self::new), or an error for a delimited layout.
    ///
    /// # Errors
    /// [`InvalidData`](io::ErrorKind::InvalidData) with framing-core's
    /// [`NotStreamable`](framing_core::DecodeErrorKind::NotStreamable) as
    /// its source if `layout` is delimited.
    pub fn try_new(inner: R, layout: Layout) -> io::Result<Self> {
        Self::try_with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
    }

    /// Like [`with_capacity`](Self::with_capacity), or an error for a
    /// delimited layout.
    ///
    /// # Errors
    /// As [`try_new`](Self::try_new).
    pub fn try_with_capacity(capacity: usize, inner: R, layout: Layout) -> io::Result<Self> {
        Ok(StreamReader {
            inner,
            rx: StreamRx::try_new(layout, capacity)?,
        })
    }

    /// The next event: a validated [`Event::Header`], then the payload as
    /// [`Event::Payload`] pieces (never empty, borrowed from the read
    /// buffer), then [`Event::End`]. `Ok(None)` when the stream ended on a
    /// frame boundary.
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`]. A stream that ends after a header and
    /// part of its payload is [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)
    /// with the missing byte count.
    pub fn next_event(&mut self) -> io::Result<Option<Event<'_>>> {
        let found = self.rx.next(&mut self.inner)?;
        Ok(found.map(|found| self.rx.event(found)))
    }
}

reader_accessors!(StreamReader);
