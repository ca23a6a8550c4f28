//! Frames over [`embedded_io`]'s blocking `Read` and `Write`: UARTs, embedded
//! TCP stacks, anything with an `embedded-io` driver. `no_std`, no
//! allocation: the caller lends the read buffer, the decoder holds its own.
//! Their async twins, over `embedded_io_async`, are in `embedded_async`
//! (feature `embedded-io-async`), sharing this module's [`Error`] and read
//! loop.
//!
//! ```
//! use framing_core::embedded::{FrameReader, FrameWriter};
//! use framing_core::{Decoder, Layout};
//!
//! const LAYOUT: Layout = Layout::new("<H");
//!
//! // Anything implementing embedded_io::Write; a byte slice here.
//! let mut wire = [0u8; 64];
//! // 64 bytes of scratch space for the header; a smaller writer is
//! // `FrameWriter::with_scratch::<8>(..)`.
//! let mut writer = FrameWriter::new(&mut wire[..], &LAYOUT);
//! writer.write_frame(b"ping")?;
//! writer.write_frame(b"pong")?;
//!
//! // Anything implementing embedded_io::Read; the written bytes here.
//! let mut read_buf = [0u8; 16];
//! let decoder = Decoder::new(&LAYOUT, framing_core::heapless::Vec::<u8, 32>::new());
//! let mut reader = FrameReader::new(&wire[..12], decoder, &mut read_buf);
//! assert_eq!(reader.next_frame()?.unwrap().payload(), b"ping");
//! assert_eq!(reader.next_frame()?.unwrap().payload(), b"pong");
//! assert!(reader.next_frame()?.is_none()); // ended on a frame boundary
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `next_frame` skips recovery reports: under a recovery policy (`resync`,
//! on by default for COBS, SLIP and lines, or `Oversize::Discard`) a
//! corrupt or oversized frame is dropped without a word. To receive the
//! reports ([`Decoded::Recovered`]) in order with the frames, call
//! [`FrameReader::next_item`] (an example is in `embedded_async`'s docs).

use core::borrow::Borrow;
use core::fmt;

use embedded_io::{ErrorKind, Read, Write};

use crate::adapter::{At, Feed, Found, Opening, Pull, Window};
use crate::buffer::Buffer;
use crate::decode::{DecodeError, Decoded, Decoder, Event, StreamDecoder};
use crate::encode::EncodeError;
use crate::header::Frame;
use crate::layout::Layout;
use crate::value::Value;

/// An error from an embedded-io adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E> {
    /// The underlying reader or writer failed; partial state is kept, so
    /// calling again continues where this call stopped.
    Io(E),
    /// A bad frame or a truncated stream.
    Decode(DecodeError),
    /// A frame that cannot be encoded (payload too long, header larger than
    /// the writer's scratch space).
    Encode(EncodeError),
    /// The writer accepted no bytes (`write` returned `Ok(0)`).
    WriteZero,
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "i/o error: {e:?}"),
            Error::Decode(e) => e.fmt(f),
            Error::Encode(e) => e.fmt(f),
            Error::WriteZero => f.write_str("the writer accepted no bytes"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}

impl<E: embedded_io::Error> embedded_io::Error for Error<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io(e) => e.kind(),
            Error::Decode(_) => ErrorKind::InvalidData,
            Error::Encode(_) => ErrorKind::InvalidInput,
            Error::WriteZero => ErrorKind::WriteZero,
        }
    }
}

/// What a reader's turn of the feed loop gives: where the bytes an item
/// was found in begin and what was found, `None` at a clean end of the
/// stream, or an error.
pub(crate) type Next<E> = Result<Option<(usize, Found)>, Error<E>>;

/// A lent read buffer, the window of bytes read but not yet fed, and the
/// one feed loop ([`Window::pull`]) around a read. The blocking readers run
/// it with a blocking read ([`next`](Reads::next)), the async ones
/// (`embedded_async`) with an awaited one; everything but the read call is
/// here, shared: [`pull`](Reads::pull), [`room`](Reads::room) and
/// [`filled`](Reads::filled).
#[derive(Debug)]
pub(crate) struct Reads<'b> {
    buf: &'b mut [u8],
    window: Window,
}

impl<'b> Reads<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Reads {
            buf,
            window: Window::new(),
        }
    }

    /// One turn of the feed loop: what the decoder found (where the bytes
    /// it was found in begin, or `None` at a clean end of the stream), or
    /// `None`: read into [`room`](Self::room), then call
    /// [`filled`](Self::filled).
    #[inline]
    pub(crate) fn pull<D: Feed, E>(&mut self, decoder: &mut D) -> Option<Next<E>> {
        // Frames up to the read buffer's size are kept whole in it.
        match self.window.pull(self.buf, decoder, self.buf.len()) {
            Pull::Found { at, found } => Some(Ok(Some((at, found)))),
            Pull::End => Some(Ok(None)),
            Pull::Failed(e) => Some(Err(Error::Decode(e))),
            Pull::Read { .. } => None,
        }
    }

    /// A frame the bytes already read hold whole, taken without a read or
    /// the feed loop ([`Window::take`]); `None`, changing nothing,
    /// otherwise. The blocking [`FrameReader`] tries it first, inline, and
    /// leaves its read loop out of line (the async one does not: a take
    /// before its first `.await` cost it 51 instructions a frame).
    #[inline(always)]
    pub(crate) fn take<D: Feed>(&mut self, decoder: &mut D) -> Option<(usize, At)> {
        self.window.take(self.buf, decoder)
    }

    /// Where the next read goes.
    #[inline]
    pub(crate) fn room(&mut self) -> &mut [u8] {
        self.window.room(self.buf)
    }

    /// Records a read of `n` bytes into [`room`](Self::room) (0: the end of
    /// the stream). A reader claiming more than it was given is capped.
    #[inline]
    pub(crate) fn filled(&mut self, n: usize) {
        let room = self.buf.len().saturating_sub(self.window.end());
        self.window.filled(n.min(room));
    }

    /// Pulls from `decoder`, reading from `inner` as it asks, until it
    /// finds something: returns where the bytes it was found in begin, or
    /// `None` at a clean end of the stream.
    fn next<R: Read, D: Feed>(&mut self, inner: &mut R, decoder: &mut D) -> Next<R::Error> {
        use embedded_io::Error as _;
        loop {
            if let Some(found) = self.pull(decoder) {
                return found;
            }
            let room = self.room();
            let n = loop {
                match inner.read(room) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::Io(e)),
                }
            };
            self.filled(n);
        }
    }

    #[inline]
    pub(crate) fn since(&self, at: usize) -> &[u8] {
        self.window.since(self.buf, at)
    }

    /// The buffer's bytes from `at`: for a frame [`take`](Self::take) found
    /// at `at`, which lies within what was read (one comparison, where
    /// [`since`](Self::since) makes two).
    #[inline(always)]
    pub(crate) fn after(&self, at: usize) -> &[u8] {
        self.window.after(self.buf, at)
    }
}

/// The accessors every embedded reader has, blocking or async: one
/// definition for the four of them.
macro_rules! reader_accessors {
    ($reader:ident, $decoder:ident) => {
        impl<R, L, B> $reader<'_, R, L, B> {
            /// The decoder.
            pub fn decoder(&self) -> &$decoder<L, B> {
                &self.decoder
            }

            /// The inner reader.
            pub fn get_ref(&self) -> &R {
                &self.inner
            }

            /// The inner reader, mutably. Reading from it directly loses framing.
            pub fn get_mut(&mut self) -> &mut R {
                &mut self.inner
            }

            /// The inner reader, given back (bytes read but not decoded are lost).
            pub fn into_inner(self) -> R {
                self.inner
            }
        }
    };
}
// The async readers (embedded_async) share the accessors.
#[cfg(feature = "embedded-io-async")]
pub(crate) use reader_accessors;

reader_accessors!(FrameReader, Decoder);
reader_accessors!(StreamReader, StreamDecoder);

/// Reads whole frames from an [`embedded_io::Read`]: frames that fit the
/// read buffer are slices of it; longer ones are assembled in the decoder's
/// buffer.
#[derive(Debug)]
pub struct FrameReader<'b, R, L, B> {
    inner: R,
    decoder: Decoder<L, B>,
    reads: Reads<'b>,
}

impl<'b, R: Read, L: Borrow<Layout>, B: Buffer> FrameReader<'b, R, L, B> {
    /// A reader over `inner`, decoding with `decoder` and reading up to
    /// `read_buf.len()` bytes at a time (a zero-length buffer reads nothing
    /// and reports the end of the stream).
    pub fn new(inner: R, decoder: Decoder<L, B>, read_buf: &'b mut [u8]) -> Self {
        FrameReader {
            inner,
            decoder,
            reads: Reads::new(read_buf),
        }
    }

    /// The next frame or recovery report; `Ok(None)` when the stream ended
    /// on a frame boundary.
    ///
    /// # Errors
    /// [`Error::Decode`] for a bad frame or a stream that ended inside one
    /// (the reader then returns it on every call); [`Error::Io`] from the
    /// reader, after which calling again continues with nothing lost.
    #[inline]
    pub fn next_item(&mut self) -> Result<Option<Decoded<Frame<'_>>>, Error<R::Error>> {
        // A frame already read whole, inline; anything else through the
        // feed loop out of line.
        let found = match self.reads.take(&mut self.decoder) {
            Some((from, at)) => Some((from, Found::Item(at))),
            None => self.read_found()?,
        };
        Ok(found.map(|(at, found)| self.decoder.item(self.reads.since(at), found)))
    }

    /// The feed loop with its reads, out of line: see [`next_item`](Self::next_item).
    #[inline(never)]
    fn read_found(&mut self) -> Next<R::Error> {
        self.reads.next(&mut self.inner, &mut self.decoder)
    }

    /// The next frame, skipping recovery reports and the preface (see
    /// [`next_item`](Self::next_item) to receive them); `Ok(None)` when the stream ended on a frame
    /// boundary.
    ///
    /// # Errors
    /// As [`next_item`](Self::next_item).
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error<R::Error>> {
        // As `next_item`: only the take inline (with the loop inline too,
        // it called `Reads::next` out of line, 22 instructions a 16-byte
        // line more, callgrind).
        if let Some((from, at)) = self.reads.take(&mut self.decoder) {
            return Ok(Some(self.decoder.frame(self.reads.after(from), at)));
        }
        self.read_frame()
    }

    /// [`next_frame`](Self::next_frame) through the feed loop, out of line.
    #[inline(never)]
    fn read_frame(&mut self) -> Result<Option<Frame<'_>>, Error<R::Error>> {
        loop {
            match self.reads.next(&mut self.inner, &mut self.decoder)? {
                // Reports and the preface are `next_item`'s to give.
                Some((_, Found::Recovered(_) | Found::Preface(_))) => continue,
                Some((from, Found::Item(at))) => {
                    return Ok(Some(self.decoder.frame(self.reads.since(from), at)))
                }
                None => return Ok(None),
            }
        }
    }
}

/// Reads frames as a header, payload pieces and an end marker from an
/// [`embedded_io::Read`]: frames of any size pass through a read buffer of
/// any size, for a firmware image over a UART, say.
#[derive(Debug)]
pub struct StreamReader<'b, R, L, B> {
    inner: R,
    decoder: StreamDecoder<L, B>,
    reads: Reads<'b>,
}

impl<'b, R: Read, L: Borrow<Layout>, B: Buffer> StreamReader<'b, R, L, B> {
    /// A streaming reader over `inner`, reading up to `read_buf.len()` bytes
    /// at a time.
    pub fn new(inner: R, decoder: StreamDecoder<L, B>, read_buf: &'b mut [u8]) -> Self {
        StreamReader {
            inner,
            decoder,
            reads: Reads::new(read_buf),
        }
    }

    /// The next event; `Ok(None)` when the stream ended on a frame boundary.
    ///
    /// # Errors
    /// As [`FrameReader::next_item`].
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error<R::Error>> {
        let found = self.reads.next(&mut self.inner, &mut self.decoder)?;
        Ok(found.map(|(at, found)| self.decoder.item(self.reads.since(at), found)))
    }
}

/// The scratch space of a writer made by `FrameWriter::new`, in bytes: room
/// for a head (header and varint) of up to 64 bytes, or a delimited frame
/// of up to 31 bytes of payload and trailer (SLIP's worst case;
/// [`Layout::max_encoded_len`]).
pub const DEFAULT_SCRATCH: usize = 64;

/// Writes frames to an [`embedded_io::Write`]: the header is encoded into `H`
/// bytes of scratch space (a header longer than `H` is an
/// [`EncodeError::BufferTooSmall`]), then header, payload and trailer are
/// written with no copy of the payload. A delimited frame (COBS, SLIP,
/// lines) is encoded whole into the scratch space, so it must fit `H`
/// bytes ([`Layout::max_encoded_len`]).
///
/// [`new`](Self::new) gives [`DEFAULT_SCRATCH`] (64) bytes;
/// [`with_scratch`](Self::with_scratch) any other size, for a smaller
/// writer or longer delimited frames:
///
/// ```
/// use framing_core::embedded::FrameWriter;
/// use framing_core::Layout;
///
/// const LAYOUT: Layout = Layout::new("<H");
/// const SLIP: Layout = Layout::slip().build_or_panic();
///
/// let mut wire = [0u8; 300];
/// let mut writer = FrameWriter::new(&mut wire[..], &LAYOUT); // 64 bytes
/// writer.write_frame(b"hi")?;
/// let mut small = FrameWriter::with_scratch::<2>(&mut wire[..], &LAYOUT); // the header's 2
/// small.write_frame(b"hi")?;
/// let mut big = FrameWriter::with_scratch::<257>(&mut wire[..], &SLIP); // up to 128 bytes
/// big.write_frame(&[0xc0; 128])?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FrameWriter<W, L, const H: usize = DEFAULT_SCRATCH> {
    inner: W,
    layout: L,
    /// Before or past the first frame (with the preface).
    opening: Opening,
}

impl<W: Write, L: Borrow<Layout>> FrameWriter<W, L> {
    /// A writer of frames of `layout` (owned, or shared as `&'static Layout`)
    /// to `inner`, with [`DEFAULT_SCRATCH`] (64) bytes of scratch space.
    pub fn new(inner: W, layout: L) -> Self {
        FrameWriter {
            inner,
            layout,
            opening: Opening::new(),
        }
    }

    /// A writer of frames of `layout` to `inner` with `N` bytes of scratch
    /// space: enough for the header (or, for a delimited layout, for the
    /// whole encoded frame: [`Layout::max_encoded_len`]).
    pub fn with_scratch<const N: usize>(inner: W, layout: L) -> FrameWriter<W, L, N> {
        FrameWriter {
            inner,
            layout,
            opening: Opening::new(),
        }
    }
}

impl<W: Write, L: Borrow<Layout>, const H: usize> FrameWriter<W, L, H> {
    /// Writes one frame; other header values are zero.
    ///
    /// # Errors
    /// [`Error::Encode`] if the frame cannot be encoded (nothing is written);
    /// [`Error::Io`] or [`Error::WriteZero`] from the writer, after which the
    /// frame may be partly written.
    pub fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error<W::Error>> {
        self.write_frame_with(payload, &[])
    }

    /// Writes one frame with values for header fields that are neither the
    /// length nor constants.
    ///
    /// # Errors
    /// As [`write_frame`](Self::write_frame).
    pub fn write_frame_with(
        &mut self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> Result<(), Error<W::Error>> {
        let mut scratch = [0u8; H];
        let layout = self.layout.borrow();
        let parts = self
            .opening
            .encode_parts(layout, payload, fields, &mut scratch)
            .map_err(Error::Encode)?;
        for part in parts.as_slices() {
            write_all(&mut self.inner, part)?;
        }
        Ok(())
    }

    /// Flushes the writer.
    ///
    /// # Errors
    /// [`Error::Io`] from the writer.
    pub fn flush(&mut self) -> Result<(), Error<W::Error>> {
        self.inner.flush().map_err(Error::Io)
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.layout.borrow()
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, given back.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// `write_all` that reports `Ok(0)` instead of panicking, and retries
/// `Interrupted`.
fn write_all<W: Write>(w: &mut W, mut bytes: &[u8]) -> Result<(), Error<W::Error>> {
    use embedded_io::Error as _;
    while !bytes.is_empty() {
        match w.write(bytes) {
            Ok(0) => return Err(Error::WriteZero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or(&[]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(())
}
