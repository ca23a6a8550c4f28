//! Frames over [`embedded_io`]'s blocking `Read` and `Write`: UARTs, embedded
//! TCP stacks, anything with an `embedded-io` driver. `no_std`, no
//! allocation: the caller lends the read buffer, the decoder holds its own.
//!
//! ```
//! use framing_core::embedded::{FrameReader, FrameWriter};
//! use framing_core::{Decoder, Layout};
//!
//! const LAYOUT: Layout = Layout::new("<H");
//!
//! // Anything implementing embedded_io::Write; a byte slice here.
//! let mut wire = [0u8; 64];
//! let mut writer = FrameWriter::<_, 8>::new(&mut wire[..], LAYOUT);
//! writer.write_frame(b"ping")?;
//! writer.write_frame(b"pong")?;
//!
//! // Anything implementing embedded_io::Read; the written bytes here.
//! let mut read_buf = [0u8; 16];
//! let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 32>::new());
//! let mut reader = FrameReader::new(&wire[..12], decoder, &mut read_buf);
//! assert_eq!(reader.next_frame()?.unwrap().payload(), b"ping");
//! assert_eq!(reader.next_frame()?.unwrap().payload(), b"pong");
//! assert!(reader.next_frame()?.is_none()); // ended on a frame boundary
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use embedded_io::{ErrorKind, Read, Write};

use crate::buffer::Buffer;
use crate::decode::{ChunkDecoder, DecodeError, Decoder, Event, StreamDecoder};
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

/// What [`Chunk::pump`] found, and where the slice it was found in began.
type Pumped<T, E> = Result<Option<(usize, T)>, Error<E>>;

/// A lent read buffer and the window of bytes read but not yet decoded.
#[derive(Debug)]
struct Chunk<'b> {
    buf: &'b mut [u8],
    start: usize,
    end: usize,
}

impl Chunk<'_> {
    /// Feeds the unread bytes to `poll`, reading more until it finds
    /// something; returns it with where the slice it was found in began, or
    /// `None` once `finish` accepts the end of the stream.
    fn pump<R: Read, D: ChunkDecoder>(
        &mut self,
        inner: &mut R,
        decoder: &mut D,
    ) -> Pumped<D::Found, R::Error> {
        loop {
            let start = self.start;
            let mut input = &self.buf[start..self.end];
            let before = input.len();
            let polled = decoder.poll(&mut input);
            // Whatever `poll` found, error or report included, the bytes it
            // used are gone: advance first, or they would be fed again.
            self.start += before - input.len();
            if let Some(found) = polled.map_err(Error::Decode)? {
                return Ok(Some((start, found)));
            }
            if self.fill(inner)? == 0 {
                decoder.finish().map_err(Error::Decode)?;
                return Ok(None);
            }
        }
    }

    /// The bytes from `start` to the end of the last read.
    fn window(&self, start: usize) -> &[u8] {
        &self.buf[start..self.end]
    }

    /// Reads into the buffer once it is used up; `Ok(0)` at end of stream.
    /// `Interrupted` is retried.
    fn fill<R: Read>(&mut self, inner: &mut R) -> Result<usize, Error<R::Error>> {
        use embedded_io::Error as _;
        loop {
            match inner.read(self.buf) {
                Ok(n) => {
                    // A reader claiming more than it was given is capped.
                    let n = n.min(self.buf.len());
                    self.start = 0;
                    self.end = n;
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }
}

/// Reads whole frames from an [`embedded_io::Read`]: frames that lie whole in
/// one read are slices of the read buffer; others are assembled in the
/// decoder's buffer.
#[derive(Debug)]
pub struct FrameReader<'b, R, B> {
    inner: R,
    decoder: Decoder<B>,
    chunk: Chunk<'b>,
}

impl<'b, R: Read, B: Buffer> FrameReader<'b, R, B> {
    /// A reader over `inner`, decoding with `decoder` and reading up to
    /// `read_buf.len()` bytes at a time (a zero-length buffer reads nothing
    /// and reports the end of the stream).
    pub fn new(inner: R, decoder: Decoder<B>, read_buf: &'b mut [u8]) -> Self {
        FrameReader {
            inner,
            decoder,
            chunk: Chunk {
                buf: read_buf,
                start: 0,
                end: 0,
            },
        }
    }

    /// The next frame; `Ok(None)` when the stream ended on a frame boundary.
    ///
    /// # Errors
    /// [`Error::Decode`] for a bad frame or a stream that ended inside one
    /// (recoverable decode errors: call again to go on); [`Error::Io`] from
    /// the reader, after which calling again continues with nothing lost.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error<R::Error>> {
        let found = self.chunk.pump(&mut self.inner, &mut self.decoder)?;
        // `frame` only returns `None` if given another slice than `poll` was.
        Ok(found.and_then(|(start, ready)| self.decoder.frame(self.chunk.window(start), ready)))
    }

    /// The decoder.
    pub fn decoder(&self) -> &Decoder<B> {
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

/// Reads frames as a header, payload pieces and an end marker from an
/// [`embedded_io::Read`]: frames of any size pass through a read buffer of
/// any size, for a firmware image over a UART, say.
#[derive(Debug)]
pub struct StreamReader<'b, R, B> {
    inner: R,
    decoder: StreamDecoder<B>,
    chunk: Chunk<'b>,
}

impl<'b, R: Read, B: Buffer> StreamReader<'b, R, B> {
    /// A streaming reader over `inner`, reading up to `read_buf.len()` bytes
    /// at a time.
    pub fn new(inner: R, decoder: StreamDecoder<B>, read_buf: &'b mut [u8]) -> Self {
        StreamReader {
            inner,
            decoder,
            chunk: Chunk {
                buf: read_buf,
                start: 0,
                end: 0,
            },
        }
    }

    /// The next event; `Ok(None)` when the stream ended on a frame boundary.
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`].
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error<R::Error>> {
        let found = self.chunk.pump(&mut self.inner, &mut self.decoder)?;
        Ok(found.and_then(|(start, at)| self.decoder.event(self.chunk.window(start), at)))
    }

    /// The decoder.
    pub fn decoder(&self) -> &StreamDecoder<B> {
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

    /// The inner reader, given back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Writes frames to an [`embedded_io::Write`]: the header is encoded into `H`
/// bytes of scratch space (a header longer than `H` is an
/// [`EncodeError::BufferTooSmall`]), then header and payload are written
/// with no copy of the payload.
#[derive(Debug)]
pub struct FrameWriter<W, const H: usize = 64> {
    inner: W,
    layout: Layout,
}

impl<W: Write, const H: usize> FrameWriter<W, H> {
    /// A writer of frames of `layout` to `inner`.
    pub fn new(inner: W, layout: Layout) -> Self {
        FrameWriter { inner, layout }
    }

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
        let mut header = [0u8; H];
        let n = self
            .layout
            .encode_header_with(payload.len(), fields, &mut header)
            .map_err(Error::Encode)?;
        write_all(&mut self.inner, &header[..n])?;
        write_all(&mut self.inner, payload)
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
        &self.layout
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
