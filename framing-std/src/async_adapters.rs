//! The async readers and writer, written once for both runtimes' traits.
//!
//! [`crate::tokio`] and [`crate::futures`] each expand [`async_adapters!`]
//! with their `AsyncRead` / `AsyncWrite` traits. The types it makes are thin:
//! every read goes through the one feed loop the blocking readers run
//! ([`ReadBuf::poll_next`](crate::buffer::ReadBuf::poll_next), over the
//! core's `Window::pull`), and every write through the blocking writer's
//! encoder and queue ([`Tx`](crate::write::Tx)); only the inner reader's
//! `poll_read` and the inner writer's `poll_write_vectored` differ.

/// Defines `FrameReader`, `StreamReader` and `FrameWriter` in the module that
/// expands it, over the traits given:
///
/// - `read: $Read, $poll_read`: the `AsyncRead` trait, and a function
///   `fn(Pin<&mut R>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>`
///   reading into a slice with it;
/// - `write: $Write, $close, $poll_close`: the `AsyncWrite` trait, the name
///   its runtime gives closing the write side (`shutdown`, `close`) and the
///   trait's method for it;
/// - `name: $rt`: the runtime's name, for the docs.
macro_rules! async_adapters {
    (
        read: $Read:path, $poll_read:path;
        write: $Write:path, $close:ident, $poll_close:ident;
        name: $rt:literal;
    ) => {
        use core::future::poll_fn;
        use core::pin::Pin;
        use core::task::{ready, Poll};
        use std::io;

        use framing_core::{Decoded, Event, Frame, Layout, Value};

        use crate::frame::OwnedFrame;
        use crate::read::{Rx, StreamRx, DEFAULT_READ_CAPACITY};
        use crate::write::{Tx, DEFAULT_WRITE_CAPACITY};

        /// A reader's turn of the feed loop (`turn`, given the read to make
        /// when the loop asks for one), awaited: first with a read that
        /// pends at once, so an item already read is found with no poll of
        /// the inner reader and no context; then with the task's reads.
        /// Cancel safe as the turn is: a read that pends changes nothing.
        async fn turn<R: $Read + Unpin, T>(
            inner: &mut R,
            mut turn: impl FnMut(
                &mut dyn FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
            ) -> Poll<io::Result<T>>,
        ) -> io::Result<T> {
            if let Poll::Ready(found) = turn(&mut |_| Poll::Pending) {
                return found;
            }
            poll_fn(|cx| turn(&mut |room| $poll_read(Pin::new(&mut *inner), cx, room))).await
        }

        /// Reads frames from
        #[doc = concat!("any ", $rt, " `AsyncRead`")]
        /// (a TCP stream, a Unix socket, a pipe, a serial port): the async
        /// [`crate::FrameReader`], with the same methods, the same read
        /// buffer and the same results for the same bytes, however the reads
        /// split them.
        ///
        /// [`next_frame`](Self::next_frame) lends a [`Frame`] borrowed from
        /// the read buffer: no copy and no allocation per frame. The buffer
        /// reads [`DEFAULT_READ_CAPACITY`] bytes at a time unless told
        /// otherwise, grows (as bytes arrive) only for a frame longer than
        /// that, and never past the layout's largest frame.
        ///
        /// # Cancel safety
        /// Every method is cancel safe: the reader keeps its state in
        /// itself, never in a future, and records the bytes a read returns
        /// in the same poll that receives them. Dropping a future (a
        /// `select!` branch that lost, a timeout) loses no byte and no
        /// frame; calling again continues where it stopped, with a half-read
        /// frame still half read.
        #[derive(Debug)]
        pub struct FrameReader<R> {
            inner: R,
            rx: Rx,
        }

        impl<R: $Read + Unpin> FrameReader<R> {
            /// A reader of frames of `layout` over `inner`, reading
            /// [`DEFAULT_READ_CAPACITY`] bytes at a time.
            pub fn new(inner: R, layout: Layout) -> Self {
                Self::with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
            }

            /// Like [`new`](Self::new), with a read buffer of `capacity`
            /// bytes (at least 1), allocated at the first read. It grows
            /// only to hold a frame longer than that.
            pub fn with_capacity(capacity: usize, inner: R, layout: Layout) -> Self {
                FrameReader {
                    inner,
                    rx: Rx::new(layout, capacity),
                }
            }

            /// The next frame, borrowed from the reader's buffers (no copy;
            /// it lives until the next call:
            /// [`next_owned_frame`](Self::next_owned_frame) gives one to
            /// keep); `Ok(None)` when the stream ended on a frame boundary
            /// (or was empty). Reads from the inner reader only when the
            /// bytes already read hold no whole frame. Recovery reports
            /// (under a layout's [`Oversize::Discard`] or
            /// [`resync`](framing_core::LayoutBuilder::resync) policy) are
            /// skipped: [`next_item`](Self::next_item) returns them too.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte; calling again continues. A report skipped before it
            /// was dropped stays skipped.
            ///
            /// # Errors
            /// As the blocking [`crate::FrameReader::next_frame`]:
            /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) for a stream
            /// that ended inside a frame,
            /// [`InvalidData`](io::ErrorKind::InvalidData) for a bad frame
            /// (both wrap the core's
            /// [`DecodeError`](framing_core::DecodeError); the reader then
            /// returns the same error on every call), or the inner reader's
            /// error, after which calling again continues with nothing lost.
            /// `Interrupted` is retried, never returned.
            ///
            /// [`Oversize::Discard`]: framing_core::Oversize::Discard
            pub async fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
                let FrameReader { inner, rx } = self;
                // A frame already read whole, taken inline: no read, no
                // context, no turn of the feed loop.
                if let Some(found) = rx.take() {
                    return Ok(Some(rx.taken_frame(found)));
                }
                let found = turn(inner, |read| rx.poll_frame_at(read)).await?;
                Ok(found.map(|found| rx.frame(found)))
            }

            /// The next frame or recovery report, borrowed; `Ok(None)` when
            /// the stream ended on a frame boundary.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte; calling again continues.
            ///
            /// # Errors
            /// As [`next_frame`](Self::next_frame).
            pub async fn next_item(&mut self) -> io::Result<Option<Decoded<Frame<'_>>>> {
                let FrameReader { inner, rx } = self;
                if let Some(found) = rx.take() {
                    return Ok(Some(Decoded::Frame(rx.taken_frame(found))));
                }
                let found = turn(inner, |read| rx.poll_found(read)).await?;
                Ok(found.map(|found| rx.item(found)))
            }

            /// Like [`next_frame`](Self::next_frame), but returns a frame
            /// that owns its bytes (the blocking reader's [`OwnedFrame`]),
            /// to keep past the next call or send to another task.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte; calling again continues.
            ///
            /// # Errors
            /// As [`next_frame`](Self::next_frame).
            pub async fn next_owned_frame(&mut self) -> io::Result<Option<OwnedFrame>> {
                let FrameReader { inner, rx } = self;
                if let Some(found) = rx.take() {
                    return Ok(Some(rx.owned_frame(found)));
                }
                let found = turn(inner, |read| rx.poll_frame_at(read)).await?;
                Ok(found.map(|found| rx.owned_frame(found)))
            }

            /// Like [`next_item`](Self::next_item), but the frame (or
            /// preface) owns its bytes, as
            /// [`next_owned_frame`](Self::next_owned_frame)'s does.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte; calling again continues.
            ///
            /// # Errors
            /// As [`next_frame`](Self::next_frame).
            pub async fn next_owned_item(&mut self) -> io::Result<Option<Decoded<OwnedFrame>>> {
                let FrameReader { inner, rx } = self;
                if let Some(found) = rx.take() {
                    return Ok(Some(Decoded::Frame(rx.owned_frame(found))));
                }
                let found = turn(inner, |read| rx.poll_found(read)).await?;
                Ok(found.map(|found| rx.owned_item(found)))
            }
        }

        crate::read::reader_accessors!(FrameReader);

        /// Reads frames of any size as a header, then the payload in pieces
        /// as they are read, then an end marker, from
        #[doc = concat!("any ", $rt, " `AsyncRead`:")]
        /// the async [`crate::StreamReader`], with the same events for the
        /// same bytes. Memory is the read buffer plus one header, however
        /// long the payload.
        ///
        /// # Cancel safety
        /// Cancel safe, as [`FrameReader`]: no byte or event is lost or
        /// repeated when a future is dropped.
        #[derive(Debug)]
        pub struct StreamReader<R> {
            inner: R,
            rx: StreamRx,
        }

        impl<R: $Read + Unpin> StreamReader<R> {
            /// A streaming reader of frames of `layout` over `inner`,
            /// reading [`DEFAULT_READ_CAPACITY`] bytes at a time.
            ///
            /// # Panics
            /// If `layout` is delimited (COBS, SLIP, lines), which no
            /// streaming reader can decode: use
            /// [`try_new`](Self::try_new) for a layout known only at run
            /// time.
            pub fn new(inner: R, layout: Layout) -> Self {
                Self::with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
            }

            /// Like [`new`](Self::new), reading up to `capacity` bytes at a
            /// time (at least 1).
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
            /// As the blocking [`crate::StreamReader::try_new`].
            pub fn try_new(inner: R, layout: Layout) -> io::Result<Self> {
                Self::try_with_capacity(DEFAULT_READ_CAPACITY, inner, layout)
            }

            /// Like [`with_capacity`](Self::with_capacity), or an error for
            /// a delimited layout.
            ///
            /// # Errors
            /// As the blocking [`crate::StreamReader::try_new`].
            pub fn try_with_capacity(
                capacity: usize,
                inner: R,
                layout: Layout,
            ) -> io::Result<Self> {
                Ok(StreamReader {
                    inner,
                    rx: StreamRx::try_new(layout, capacity)?,
                })
            }

            /// The next event: a validated [`Event::Header`], then the
            /// payload as [`Event::Payload`] pieces (never empty, borrowed
            /// from the read buffer), then [`Event::End`]. `Ok(None)` when
            /// the stream ended on a frame boundary.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte; calling again continues.
            ///
            /// # Errors
            /// As [`FrameReader::next_frame`]. A stream that ends after a
            /// header and part of its payload is
            /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof).
            pub async fn next_event(&mut self) -> io::Result<Option<Event<'_>>> {
                let StreamReader { inner, rx } = self;
                let found = turn(inner, |read| rx.poll_found(read)).await?;
                Ok(found.map(|found| rx.event(found)))
            }
        }

        crate::read::reader_accessors!(StreamReader);

        /// Writes frames to
        #[doc = concat!("any ", $rt, " `AsyncWrite`:")]
        /// the async [`crate::FrameWriter`], with the same methods, the same
        /// encoder and the same queue.
        ///
        /// [`write_frame`](Self::write_frame) writes the queued frames and
        /// then the frame, header and payload in one vectored write in the
        /// common case (the payload is not copied).
        /// [`queue_frame`](Self::queue_frame) batches small frames in the
        /// queue, so many go out in one write at the next
        /// [`flush`](Self::flush) (or when the batch is full, or with the
        #[doc = concat!("next `write_frame`, or at [`", stringify!($close), "`](Self::", stringify!($close), ")).")]
        ///
        /// # High-water mark
        /// As the blocking writer's: once the queue holds
        /// [`set_high_water_mark`](Self::set_high_water_mark) bytes (64 KiB
        /// by default), the next frame waits until the queue is written
        /// out; where the blocking writer refuses it with a `WouldBlock`
        /// [`Backpressure`](crate::error::Backpressure) error, this one's
        /// future pends until the inner writer has taken the queue. So
        /// frames are buffered up to the mark, then flushed, and the queue
        /// holds at most the mark plus one frame, whatever a slow peer does.
        ///
        /// # Cancel safety
        /// No method leaves part of a frame in the stream when its future is
        /// dropped, and no byte is lost: a frame is either taken whole (its
        /// unwritten rest queued, written by the next call) or not at all.
        /// `queue_frame` took the frame if and only if it completed (with
        /// `Ok` or an I/O error; an encoding error takes nothing), so it is
        /// the one to race in a `select!`; see each method.
        #[derive(Debug)]
        pub struct FrameWriter<W> {
            inner: W,
            tx: Tx,
        }

        impl<W: $Write + Unpin> FrameWriter<W> {
            /// A writer of frames of `layout` over `inner`, batching up to
            /// [`DEFAULT_WRITE_CAPACITY`] bytes of queued frames.
            pub fn new(inner: W, layout: Layout) -> Self {
                Self::with_capacity(DEFAULT_WRITE_CAPACITY, inner, layout)
            }

            /// Like [`new`](Self::new), with a batch of `capacity` bytes:
            /// queued frames are written once they would exceed it, and a
            /// frame at least that long is never copied into the batch.
            pub fn with_capacity(capacity: usize, inner: W, layout: Layout) -> Self {
                FrameWriter {
                    inner,
                    tx: Tx::new(layout, capacity),
                }
            }

            /// Writes the frames queued so far, then a frame holding
            /// `payload`, and completes once the inner writer has taken them
            /// all: one vectored write in the common case, the payload not
            /// copied. Every other header value is zero (false, empty) but
            /// for the layout's constants. Does not flush the inner writer.
            ///
            /// # Cancel safety
            /// Dropping the future before it completes loses no byte and
            /// leaves no part of a frame in the stream: dropped while the
            /// queue is at the high-water mark, the frame was not taken;
            /// later, it was taken and what the inner writer has not taken
            /// yet stays queued ([`queued`](Self::queued)), written by the
            /// next call. To know which, race
            /// [`queue_frame`](Self::queue_frame) instead.
            ///
            /// # Errors
            /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the frame
            /// cannot be encoded (nothing is written or queued); else the
            /// inner writer's error, the unwritten rest queued.
            pub async fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
                self.write_frame_with(payload, &[]).await
            }

            /// Like [`write_frame`](Self::write_frame), with values for
            /// header fields that are neither the length nor constants, as
            /// `(index, value)` pairs (`index` into the tuple
            /// `struct.unpack` returns).
            ///
            /// # Cancel safety
            /// As [`write_frame`](Self::write_frame).
            ///
            /// # Errors
            /// As [`write_frame`](Self::write_frame); also `InvalidInput`
            /// for a value that names no field, a fixed field, or does not
            /// fit.
            pub async fn write_frame_with(
                &mut self,
                payload: &[u8],
                fields: &[(usize, Value<'_>)],
            ) -> io::Result<()> {
                let FrameWriter { inner, tx } = self;
                let payload = tx.encode(payload, fields)?;
                poll_fn(|cx| {
                    tx.poll_write_frame(
                        |slices| Pin::new(&mut *inner).poll_write_vectored(cx, slices),
                        payload,
                    )
                })
                .await?;
                poll_fn(|cx| {
                    tx.poll_write_queue(|slices| Pin::new(&mut *inner).poll_write_vectored(cx, slices))
                })
                .await
            }

            /// Queues a frame holding `payload`, to be written with the next
            /// [`flush`](Self::flush) or [`write_frame`](Self::write_frame).
            /// The queue is written first if the frame would overflow the
            /// batch; a frame as long as the batch is written at once, with
            /// the queue, uncopied. With the queue at the high-water mark it
            /// waits until the queue is written out.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte, and the frame was then not queued (nothing of it is
            /// written); calling again continues. Once it completes, the
            /// frame is queued (or written).
            ///
            /// # Errors
            /// As [`write_frame`](Self::write_frame). On an I/O error the
            /// frame is queued all the same.
            pub async fn queue_frame(&mut self, payload: &[u8]) -> io::Result<()> {
                self.queue_frame_with(payload, &[]).await
            }

            /// [`queue_frame`](Self::queue_frame) with header values, as
            /// [`write_frame_with`](Self::write_frame_with).
            ///
            /// # Cancel safety
            /// As [`queue_frame`](Self::queue_frame).
            ///
            /// # Errors
            /// As [`write_frame_with`](Self::write_frame_with).
            pub async fn queue_frame_with(
                &mut self,
                payload: &[u8],
                fields: &[(usize, Value<'_>)],
            ) -> io::Result<()> {
                let FrameWriter { inner, tx } = self;
                let payload = tx.encode(payload, fields)?;
                poll_fn(|cx| {
                    tx.poll_queue_frame(
                        |slices| Pin::new(&mut *inner).poll_write_vectored(cx, slices),
                        payload,
                    )
                })
                .await
            }

            /// Writes every queued byte (one write in the common case), then
            /// flushes the inner writer.
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte (what was not written stays queued); calling again
            /// continues.
            ///
            /// # Errors
            /// The inner writer's error; bytes not written stay queued.
            pub async fn flush(&mut self) -> io::Result<()> {
                let FrameWriter { inner, tx } = self;
                poll_fn(|cx| {
                    ready!(tx.poll_write_queue(
                        |slices| Pin::new(&mut *inner).poll_write_vectored(cx, slices)
                    ))?;
                    Pin::new(&mut *inner).poll_flush(cx)
                })
                .await
            }

            /// Writes every queued byte, then closes the inner writer's
            /// write side (its
            #[doc = concat!("`", stringify!($poll_close), "`), which flushes it.")]
            ///
            /// # Cancel safety
            /// Cancel safe: dropping the future before it completes loses
            /// no byte (what was not written stays queued); calling again
            /// continues.
            ///
            /// # Errors
            /// The inner writer's error; bytes not written stay queued.
            pub async fn $close(&mut self) -> io::Result<()> {
                let FrameWriter { inner, tx } = self;
                poll_fn(|cx| {
                    ready!(tx.poll_write_queue(
                        |slices| Pin::new(&mut *inner).poll_write_vectored(cx, slices)
                    ))?;
                    Pin::new(&mut *inner).$poll_close(cx)
                })
                .await
            }
        }

        crate::write::writer_accessors!(
            "Bytes queued and not yet written.",
            "Sets the high-water mark: with this many bytes queued, a new \
             frame waits until the queue is written out (see the type's \
             docs). Default \
             [`DEFAULT_HIGH_WATER_MARK`](crate::DEFAULT_HIGH_WATER_MARK) \
             (64 KiB)."
        );
    };
}

pub(crate) use async_adapters;
