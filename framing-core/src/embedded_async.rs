//! Frames over [`embedded_io_async`]'s `Read` and `Write`: Embassy's TCP
//! sockets (`embassy-net`) and UARTs, anything with an `embedded-io-async`
//! driver. `no_std`, no allocation: the caller lends the read buffer, the
//! decoder holds its own.
//!
//! The same readers and writer as [`embedded`](crate::embedded), with the
//! same shape, the same [`Error`] and the same loop: each read call runs
//! the one feed loop ([`Window::pull`](crate::adapter::Window::pull)) through the
//! code the blocking readers run; only the read and write calls are
//! awaited. So the async readers return exactly what the blocking ones do
//! for the same bytes, however they are split (the `embedded_reader` fuzz
//! property checks both, and the async readers also cancelled at every
//! `Pending`). The feature `embedded-io-async` turns on `embedded-io` too.
//!
//! ```
//! use framing_core::embedded_async::{FrameReader, FrameWriter};
//! use framing_core::{Decoder, Layout};
//!
//! const LAYOUT: Layout = Layout::new("<H");
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Anything implementing embedded_io_async::Write; a byte slice here.
//! let mut wire = [0u8; 64];
//! // 64 bytes of scratch space for the header; a smaller writer is
//! // `FrameWriter::with_scratch::<8>(..)`.
//! let mut writer = FrameWriter::new(&mut wire[..], &LAYOUT);
//! writer.write_frame(b"ping").await?;
//! writer.write_frame(b"pong").await?;
//!
//! // Anything implementing embedded_io_async::Read; the written bytes here.
//! let mut read_buf = [0u8; 16];
//! let decoder = Decoder::new(&LAYOUT, framing_core::heapless::Vec::<u8, 32>::new());
//! let mut reader = FrameReader::new(&wire[..12], decoder, &mut read_buf);
//! assert_eq!(reader.next_frame().await?.unwrap().payload(), b"ping");
//! assert_eq!(reader.next_frame().await?.unwrap().payload(), b"pong");
//! assert!(reader.next_frame().await?.is_none()); // ended on a frame boundary
//! // next_frame skips recovery reports: see next_item below to receive them.
//! # Ok(())
//! # }
//! # // Any executor: embassy's, or this loop (the slices never pend).
//! # use core::future::Future;
//! # let mut run = core::pin::pin!(run());
//! # let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
//! # loop {
//! #     if let core::task::Poll::Ready(r) = run.as_mut().poll(&mut cx) { r.unwrap(); break; }
//! # }
//! ```
//!
//! # Seeing what was skipped: `next_item`
//!
//! `next_frame`, as above, skips recovery reports without a word: under a
//! recovery policy (`resync`, on by default for COBS, SLIP and lines, or
//! [`Oversize::Discard`](crate::Oversize::Discard)), a corrupt or
//! oversized frame is dropped and `next_frame` returns the next good one,
//! so the caller never learns a frame was lost. To see each report, call
//! [`FrameReader::next_item`]: it returns the frames and the reports
//! ([`Decoded::Recovered`]: where, how many bytes, why) in stream order.
//!
//! ```
//! use framing_core::embedded_async::{FrameReader, FrameWriter};
//! use framing_core::{Checksum, Decoded, Decoder, Layout, Recovery};
//!
//! // COBS with a CRC-16 after each payload, as on a UART.
//! const UART: Layout = Layout::cobs().trailer(Checksum::Crc16Xmodem).build_or_panic();
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut wire = [0u8; 64];
//! let mut writer = FrameWriter::new(&mut wire[..], &UART);
//! for reading in [&b"t=21"[..], b"t=22", b"t=23"] {
//!     writer.write_frame(reading).await?;
//! }
//! let len = 64 - writer.into_inner().len();
//! let second = wire.iter().position(|&b| b == 0).unwrap() + 1;
//! wire[second + 2] ^= 0x01; // a bit flips in "t=22": its CRC fails
//!
//! let mut read_buf = [0u8; 16];
//! let decoder = Decoder::new(&UART, framing_core::heapless::Vec::<u8, 32>::new());
//! let mut reader = FrameReader::new(&wire[..len], decoder, &mut read_buf);
//! let mut frames = 0;
//! while let Some(item) = reader.next_item().await? {
//!     match item {
//!         Decoded::Frame(_) => frames += 1,
//!         // next_frame would have said nothing of this one.
//!         Decoded::Recovered(report) => {
//!             assert!(matches!(report, Recovery::Corrupt { .. }));
//!             assert_eq!(report.offset(), second as u64);
//!         }
//!         Decoded::Preface(_) => unreachable!("this layout has no preface"),
//!         _ => {} // what a later version adds (the enum is #[non_exhaustive])
//!     }
//! }
//! assert_eq!(frames, 2);
//! # Ok(())
//! # }
//! # use core::future::Future;
//! # let mut run = core::pin::pin!(run());
//! # let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
//! # loop {
//! #     if let core::task::Poll::Ready(r) = run.as_mut().poll(&mut cx) { r.unwrap(); break; }
//! # }
//! ```
//!
//! # Cancel safety
//!
//! The readers keep everything in themselves, nothing in their futures:
//! the only `.await` in [`FrameReader::next_item`], [`FrameReader::next_frame`]
//! and [`StreamReader::next_event`] is the inner reader's `read`, and the
//! bytes it returns are recorded in the reader's window in the same poll
//! that receives them, before anything else happens; a frame, event or
//! report found is returned in that poll too. So dropping one of these
//! futures (as `select` does with the branch that lost) loses no byte the
//! inner reader returned and no item: the next call goes on exactly where
//! the dropped one stopped, with a half-read frame still half read in the
//! read buffer or the decoder. What is not theirs to promise: the bytes of
//! an inner `read` that was itself dropped. `embedded_io_async::Read` asks
//! implementations to be side-effect-free on cancel (no bytes taken); one
//! that is not (a DMA transfer cut short) may lose them, as it would for any
//! caller.
//!
//! The writer is not cancel safe: see [`FrameWriter::write_frame`].

use core::borrow::Borrow;

use embedded_io_async::{ErrorKind, Read, Write};

use crate::adapter::{Feed, Found, Opening};
use crate::buffer::Buffer;
use crate::decode::{Decoded, Decoder, Event, StreamDecoder};
use crate::embedded::{reader_accessors, Next, Reads};
use crate::header::Frame;
use crate::layout::Layout;
use crate::value::Value;

/// The error of the async adapters: the same type as the blocking ones'.
pub use crate::embedded::Error;
/// The scratch space of a writer made by `FrameWriter::new`: the same as
/// the blocking writer's.
pub use crate::embedded::DEFAULT_SCRATCH;

impl Reads<'_> {
    /// [`next`](Reads::next) with an awaited read: the same turns of the
    /// feed loop ([`pull`](Reads::pull), [`room`](Reads::room),
    /// [`filled`](Reads::filled)), in the same order.
    ///
    /// Cancel safe: the read is the only `.await`, and what it returns is
    /// recorded by `filled` before the next one.
    async fn next_async<R: Read, D: Feed>(
        &mut self,
        inner: &mut R,
        decoder: &mut D,
    ) -> Next<R::Error> {
        use embedded_io_async::Error as _;
        loop {
            if let Some(found) = self.pull(decoder) {
                return found;
            }
            let room = self.room();
            let n = loop {
                match inner.read(room).await {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::Io(e)),
                }
            };
            self.filled(n);
        }
    }
}

reader_accessors!(FrameReader, Decoder);
reader_accessors!(StreamReader, StreamDecoder);

/// Reads whole frames from an [`embedded_io_async::Read`]: frames that fit
/// the read buffer are slices of it; longer ones are assembled in the
/// decoder's buffer. The async [`embedded::FrameReader`](crate::embedded::FrameReader).
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
    /// # Cancel safety
    /// Cancel safe: dropping the future before it completes loses no byte
    /// the inner reader returned and no item; the next call goes on where
    /// it stopped (see [the module docs](crate::embedded_async#cancel-safety) for the inner
    /// reader's part).
    ///
    /// # Errors
    /// [`Error::Decode`] for a bad frame or a stream that ended inside one
    /// (the reader then returns it on every call); [`Error::Io`] from the
    /// reader, after which calling again continues with nothing lost.
    pub async fn next_item(&mut self) -> Result<Option<Decoded<Frame<'_>>>, Error<R::Error>> {
        let found = self
            .reads
            .next_async(&mut self.inner, &mut self.decoder)
            .await?;
        Ok(found.map(|(at, found)| self.decoder.item(self.reads.since(at), found)))
    }

    /// The next frame, skipping recovery reports and the preface (see
    /// [`next_item`](Self::next_item) to receive them); `Ok(None)` when the stream ended on a frame
    /// boundary.
    ///
    /// # Cancel safety
    /// Cancel safe, as [`next_item`](Self::next_item): a report skipped before the
    /// future was dropped stays skipped (it is not returned again).
    ///
    /// # Errors
    /// As [`next_item`](Self::next_item).
    pub async fn next_frame(&mut self) -> Result<Option<Frame<'_>>, Error<R::Error>> {
        loop {
            match self
                .reads
                .next_async(&mut self.inner, &mut self.decoder)
                .await?
            {
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
/// [`embedded_io_async::Read`]: frames of any size pass through a read
/// buffer of any size. The async
/// [`embedded::StreamReader`](crate::embedded::StreamReader).
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
    /// # Cancel safety
    /// Cancel safe, as [`FrameReader::next_item`]: no event is lost or repeated.
    ///
    /// # Errors
    /// As [`FrameReader::next_item`].
    pub async fn next_event(&mut self) -> Result<Option<Event<'_>>, Error<R::Error>> {
        let found = self
            .reads
            .next_async(&mut self.inner, &mut self.decoder)
            .await?;
        Ok(found.map(|(at, found)| self.decoder.item(self.reads.since(at), found)))
    }
}

/// Writes frames to an [`embedded_io_async::Write`]: the header is encoded
/// into `H` bytes of scratch space (a header longer than `H` is an
/// [`EncodeError::BufferTooSmall`](crate::EncodeError::BufferTooSmall)),
/// then header, payload and trailer are written with no copy of the
/// payload; a delimited frame (COBS, SLIP, lines) is encoded whole into the
/// scratch space, so it must fit `H` bytes. The async
/// [`embedded::FrameWriter`](crate::embedded::FrameWriter).
///
/// [`new`](Self::new) gives [`DEFAULT_SCRATCH`] (64) bytes;
/// [`with_scratch`](Self::with_scratch) any other size:
/// `FrameWriter::with_scratch::<8>(tx, &LAYOUT)`.
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
    /// # Cancel safety
    /// Not cancel safe. The frame is written in several writes; dropping
    /// the future after the first one leaves part of a frame in the stream,
    /// and a peer reads whatever follows as the rest of it. Do not race it
    /// in a `select` with a branch that may win; if it was dropped mid-frame,
    /// the stream is lost (close it). Dropped before its first poll, it has
    /// written nothing.
    ///
    /// # Errors
    /// [`Error::Encode`] if the frame cannot be encoded (nothing is written);
    /// [`Error::Io`] or [`Error::WriteZero`] from the writer, after which the
    /// frame may be partly written.
    pub async fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error<W::Error>> {
        self.write_frame_with(payload, &[]).await
    }

    /// Writes one frame with values for header fields that are neither the
    /// length nor constants.
    ///
    /// # Cancel safety
    /// Not cancel safe, as [`write_frame`](Self::write_frame).
    ///
    /// # Errors
    /// As [`write_frame`](Self::write_frame).
    pub async fn write_frame_with(
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
            write_all(&mut self.inner, part).await?;
        }
        Ok(())
    }

    /// Flushes the writer.
    ///
    /// # Cancel safety
    /// As the inner writer's `flush`: dropping it writes nothing of its own,
    /// and flushing again is harmless.
    ///
    /// # Errors
    /// [`Error::Io`] from the writer.
    pub async fn flush(&mut self) -> Result<(), Error<W::Error>> {
        self.inner.flush().await.map_err(Error::Io)
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

/// The blocking `write_all` awaited: reports `Ok(0)` as
/// [`Error::WriteZero`] instead of panicking, and retries `Interrupted`.
async fn write_all<W: Write>(w: &mut W, mut bytes: &[u8]) -> Result<(), Error<W::Error>> {
    use embedded_io_async::Error as _;
    while !bytes.is_empty() {
        match w.write(bytes).await {
            Ok(0) => return Err(Error::WriteZero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or(&[]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(())
}
