//! Writing frames to any [`Write`]: header and payload in one vectored
//! write, or many frames batched into one.

use core::task::{ready, Poll};
use std::io::{self, IoSlice, Write};

use framing_core::adapter::Opening;
use framing_core::{Layout, Value};

use crate::{buffer, error};

/// The default batch size of a [`FrameWriter`]: 64 KiB.
pub const DEFAULT_WRITE_CAPACITY: usize = 64 * 1024;

/// The default high-water mark of a writer's queue: 64 KiB, as Netty's
/// `WriteBufferWaterMark`. See [`FrameWriter::set_high_water_mark`].
pub const DEFAULT_HIGH_WATER_MARK: usize = 64 * 1024;

/// A blocking writer as the write step of [`write_parts`] and [`Tx`]: its
/// `write_vectored`, which never pends.
pub(crate) fn blocking<W: Write + ?Sized>(
    w: &mut W,
) -> impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>> + '_ {
    move |slices| Poll::Ready(w.write_vectored(slices))
}

/// Writes every byte of `parts`, in order, with `write` (a vectored write,
/// blocking or async): retries `Interrupted`, resumes after partial writes.
/// Returns how many bytes were written, and the error that stopped it
/// early, if any, or `Pending` if `write` pended.
fn write_parts(
    parts: &[&[u8]],
    mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
) -> (usize, Poll<io::Result<()>>) {
    let mut done = 0usize;
    loop {
        // Rebuild the slices from `done`: skip the parts already sent, cut
        // the one sent in part.
        let mut slices = [IoSlice::new(&[]); 4];
        let mut count = 0;
        let mut remaining = 0usize;
        let mut skip = done;
        for part in parts {
            let cut = skip.min(part.len());
            skip -= cut;
            let rest = &part[cut..];
            if !rest.is_empty() && count < slices.len() {
                slices[count] = IoSlice::new(rest);
                count += 1;
                remaining = remaining.saturating_add(rest.len());
            }
        }
        if count == 0 {
            return (done, Poll::Ready(Ok(())));
        }
        match write(&slices[..count]) {
            Poll::Ready(Ok(0)) => {
                return (
                    done,
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write the whole frame",
                    ))),
                )
            }
            Poll::Ready(Ok(n)) if n <= remaining => done += n,
            Poll::Ready(Ok(_)) => {
                return (
                    done,
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the writer reported more bytes than it was given",
                    ))),
                )
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return (done, Poll::Ready(Err(e))),
            Poll::Pending => return (done, Poll::Pending),
        }
    }
}

/// A writer's state apart from the writer itself (see `Rx`).
#[derive(Debug)]
pub(crate) struct Tx {
    layout: Layout,
    /// Encoded frames (or the unwritten rest of them) waiting to be written.
    queue: Vec<u8>,
    /// Scratch space for one header.
    header: Vec<u8>,
    /// The trailer of the frame being written (empty for a layout with none).
    trailer: Vec<u8>,
    /// Batch size: a frame at least this long skips the queue.
    capacity: usize,
    /// Past this many queued bytes, a new frame is refused, not queued.
    high_water: usize,
    /// Before or past the first frame (with the preface).
    opening: Opening,
}

impl Tx {
    pub(crate) fn new(layout: Layout, capacity: usize) -> Self {
        Tx {
            layout,
            queue: Vec::new(),
            header: Vec::with_capacity(layout.max_head_len()),
            trailer: Vec::with_capacity(layout.trailer_len()),
            capacity,
            high_water: DEFAULT_HIGH_WATER_MARK,
            opening: Opening::new(),
        }
    }

    /// Before a new frame: with the queue at the high-water mark, writes it
    /// out; if the inner writer takes not all of it, refuses the frame (it
    /// is neither written nor queued) with [`error::Backpressure`]. An async
    /// writer pends instead, until the queue is written out.
    fn poll_admit(
        &mut self,
        write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        if self.queue.len() < self.high_water {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(match ready!(self.poll_write_queue(write)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut =>
            {
                Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    error::Backpressure {
                        queued: self.queue.len(),
                        high_water_mark: self.high_water,
                    },
                ))
            }
            Err(e) => Err(e),
        })
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Encodes the head and the trailer of a frame for `payload` into the
    /// scratch space, and returns the payload to write between them (none
    /// for a delimited frame, encoded whole into the scratch space). The
    /// one encoder of the blocking and async writers; call it once per
    /// frame, before [`poll_write_frame`](Self::poll_write_frame) or
    /// [`poll_queue_frame`](Self::poll_queue_frame).
    pub(crate) fn encode<'p>(
        &mut self,
        payload: &'p [u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<&'p [u8]> {
        // The head into the scratch space (a delimited frame whole, with
        // no body or trailer of its own), the trailer beside it.
        // The first frame goes out after the preface, with the first
        // frame's own layout (if the layout has them).
        let scratch = self.opening.scratch_len(&self.layout, payload.len());
        self.header.resize(scratch.unwrap_or(usize::MAX), 0);
        let parts = self
            .opening
            .encode_parts(&self.layout, payload, fields, &mut self.header)
            .map_err(error::from_encode)?;
        let (head, body) = (parts.head().len(), parts.body());
        self.trailer.clear();
        self.trailer.extend_from_slice(parts.trailer());
        self.header.truncate(head);
        Ok(body)
    }

    /// Writes the queue, then the encoded header and `payload`. On error,
    /// what was not written is queued; a write that pends (async) counts
    /// as written up to there, the rest queued.
    fn send(
        &mut self,
        write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
        payload: &[u8],
    ) -> io::Result<()> {
        let parts = [&self.queue[..], &self.header, payload, &self.trailer];
        let (done, result) = write_parts(&parts, write);
        let result = match result {
            Poll::Ready(Ok(())) => {
                self.queue.clear();
                return Ok(());
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(()),
        };
        let from_queue = done.min(self.queue.len());
        self.queue.drain(..from_queue);
        let mut skip = done - from_queue;
        for part in [&self.header[..], payload, &self.trailer] {
            let cut = skip.min(part.len());
            skip -= cut;
            self.queue.extend_from_slice(&part[cut..]);
        }
        result
    }

    /// Writes the queue; on error or `Pending`, keeps what was not written.
    pub(crate) fn poll_write_queue(
        &mut self,
        write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        let (done, result) = write_parts(&[&self.queue], write);
        self.queue.drain(..done.min(self.queue.len()));
        result
    }

    /// Writes the queue, then the frame [`encode`](Self::encode)d last
    /// (`payload` is what it returned), vectored. `Pending` only before
    /// the frame is taken (the queue at the high-water mark): nothing of it
    /// is written or queued then. Once `Ready`, the frame is written or its
    /// rest queued (error or not).
    pub(crate) fn poll_write_frame(
        &mut self,
        mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
        payload: &[u8],
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_admit(&mut write))?;
        Poll::Ready(self.send(write, payload))
    }

    /// Queues the frame [`encode`](Self::encode)d last, writing the queue
    /// first if the frame would overflow the batch, and writing a frame as
    /// long as the batch at once with the queue. `Pending` only before the
    /// frame is taken, as [`poll_write_frame`](Self::poll_write_frame).
    pub(crate) fn poll_queue_frame(
        &mut self,
        mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
        payload: &[u8],
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_admit(&mut write))?;
        let frame = (self.header.len() + self.trailer.len()).saturating_add(payload.len());
        if frame >= self.capacity {
            // Too big to be worth copying: write it with the queue, vectored.
            return Poll::Ready(self.send(write, payload));
        }
        let mut result = Ok(());
        if self.queue.len().saturating_add(frame) > self.capacity {
            // Pending: the queue is written by the next call.
            if let Poll::Ready(written) = self.poll_write_queue(write) {
                result = written;
            }
        }
        // Queued even if writing the queue failed: an error never loses a frame.
        self.queue.extend_from_slice(&self.header);
        self.queue.extend_from_slice(payload);
        self.queue.extend_from_slice(&self.trailer);
        Poll::Ready(result)
    }

    pub(crate) fn write_frame<W: Write + ?Sized>(
        &mut self,
        w: &mut W,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        let payload = self.encode(payload, fields)?;
        buffer::ready(self.poll_write_frame(blocking(w), payload))
    }

    pub(crate) fn queue_frame<W: Write + ?Sized>(
        &mut self,
        w: &mut W,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        let payload = self.encode(payload, fields)?;
        buffer::ready(self.poll_queue_frame(blocking(w), payload))
    }

    pub(crate) fn flush<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        buffer::ready(self.poll_write_queue(blocking(w)))?;
        w.flush()
    }

    /// Sets the high-water mark (see `FrameWriter::set_high_water_mark`).
    pub(crate) fn set_high_water_mark(&mut self, bytes: usize) {
        self.high_water = bytes;
    }
}

/// Writes frames to any [`Write`].
///
/// [`write_frame`](Self::write_frame) sends a frame at once, header and
/// payload in one vectored write (the payload is not copied).
/// [`queue_frame`](Self::queue_frame) batches small frames in an internal
/// buffer, so many frames go out in one system call at the next
/// [`flush`](Self::flush) (or when the batch is full, or with the next
/// `write_frame`).
///
/// ```text
///  queue_frame(b"hi"), queue_frame(b"you"), flush()
///
///  one write: | 00 02 h i 00 03 y o u |
/// ```
///
/// ```
/// use framing_std::{FrameWriter, Layout};
///
/// let mut writer = FrameWriter::new(Vec::new(), Layout::new("!H"));
/// writer.queue_frame(b"hi")?;
/// writer.queue_frame(b"you")?;
/// writer.flush()?;
/// writer.write_frame(b"!")?;
/// assert_eq!(writer.get_ref(), b"\x00\x02hi\x00\x03you\x00\x01!");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors and partial writes
/// A short write is resumed where it stopped, and `Interrupted` is retried.
/// Any other error of the inner writer (`WouldBlock` on a non-blocking
/// socket, a write timeout, a reset) is returned, and every byte not yet
/// written, of this frame and of those queued before it, stays queued:
/// calling [`flush`](Self::flush) later continues the stream with no byte lost
/// or sent twice. An error of kind [`InvalidInput`](io::ErrorKind::InvalidInput)
/// (from [`error::from_encode`](crate::error::from_encode): the payload is
/// too long for the layout, a header value does not fit) queues nothing.
///
/// Queued frames are written by `flush`, by the next `write_frame`, or when
/// the batch fills up; a writer dropped (or [`into_inner`](Self::into_inner)ed)
/// with frames still queued loses them, so flush first.
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    tx: Tx,
}

impl<W: Write> FrameWriter<W> {
    /// A writer of frames of `layout` over `inner`, batching up to
    /// [`DEFAULT_WRITE_CAPACITY`] bytes of queued frames.
    pub fn new(inner: W, layout: Layout) -> Self {
        Self::with_capacity(DEFAULT_WRITE_CAPACITY, inner, layout)
    }

    /// Like [`new`](Self::new), with a batch of `capacity` bytes: queued
    /// frames are written once they would exceed it, and a frame at least
    /// that long is never copied into the batch. The batch buffer grows as
    /// frames are queued.
    pub fn with_capacity(capacity: usize, inner: W, layout: Layout) -> Self {
        FrameWriter {
            inner,
            tx: Tx::new(layout, capacity),
        }
    }

    pub(crate) fn from_parts(inner: W, tx: Tx) -> Self {
        FrameWriter { inner, tx }
    }

    /// Writes the frames queued so far, then a frame holding `payload`, to
    /// the inner writer: one vectored write in the common case, the payload
    /// not copied. Every other header value is zero (false, empty) but for
    /// the layout's constants. Does not flush the inner writer.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if the payload is too
    /// long for the layout (nothing is written or queued); else the inner
    /// writer's error, the unwritten rest queued (see the type's docs).
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.tx.write_frame(&mut self.inner, payload, &[])
    }

    /// Like [`write_frame`](Self::write_frame), with values for header fields
    /// that are neither the length nor constants, as `(index, value)` pairs
    /// (`index` into the tuple `struct.unpack` returns).
    ///
    /// ```
    /// use framing_std::{FrameWriter, Layout, Value};
    ///
    /// // message type u8, length u16
    /// let layout = Layout::builder("!BH").length_field(1).build().unwrap();
    /// let mut writer = FrameWriter::new(Vec::new(), layout);
    /// writer.write_frame_with(b"hi", &[(0, Value::Int(7))])?;
    /// assert_eq!(writer.get_ref(), b"\x07\x00\x02hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`write_frame`](Self::write_frame); also `InvalidInput` for a value
    /// that names no field, a fixed field, or does not fit.
    pub fn write_frame_with(
        &mut self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        self.tx.write_frame(&mut self.inner, payload, fields)
    }

    /// Queues a frame holding `payload`, to be written with the next
    /// [`flush`](Self::flush) or [`write_frame`](Self::write_frame). The
    /// queue is written first if the frame would overflow the batch; a frame
    /// as long as the batch is written at once, with the queue, uncopied.
    ///
    /// # Errors
    /// As [`write_frame`](Self::write_frame). On an I/O error the frame is
    /// queued all the same.
    pub fn queue_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.tx.queue_frame(&mut self.inner, payload, &[])
    }

    /// [`queue_frame`](Self::queue_frame) with header values, as
    /// [`write_frame_with`](Self::write_frame_with).
    ///
    /// # Errors
    /// As [`write_frame_with`](Self::write_frame_with).
    pub fn queue_frame_with(
        &mut self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        self.tx.queue_frame(&mut self.inner, payload, fields)
    }

    /// Writes every queued byte (one write in the common case), then
    /// flushes the inner writer.
    ///
    /// # Errors
    /// The inner writer's error; bytes not written stay queued, so calling
    /// `flush` again continues.
    pub fn flush(&mut self) -> io::Result<()> {
        self.tx.flush(&mut self.inner)
    }
}

/// The accessors of every std writer, blocking or async (one definition
/// for the three of them); `$queued` and `$mark` say what the high-water
/// mark does to that writer.
macro_rules! writer_accessors {
    ($queued:expr, $mark:expr) => {
        impl<W> FrameWriter<W> {
            /// The layout frames are written with.
            pub fn layout(&self) -> &Layout {
                self.tx.layout()
            }

            #[doc = $queued]
            pub fn queued(&self) -> usize {
                self.tx.queued()
            }

            #[doc = $mark]
            pub fn set_high_water_mark(&mut self, bytes: usize) {
                self.tx.set_high_water_mark(bytes);
            }

            /// The inner writer.
            pub fn get_ref(&self) -> &W {
                &self.inner
            }

            /// The inner writer, mutably. Writing to it directly puts bytes
            /// between frames: flush first.
            pub fn get_mut(&mut self) -> &mut W {
                &mut self.inner
            }

            /// The inner writer, given back. Queued frames are dropped:
            /// flush first.
            pub fn into_inner(self) -> W {
                self.inner
            }
        }
    };
}
#[cfg_attr(
    not(any(feature = "tokio", feature = "futures")),
    allow(unused_imports)
)]
pub(crate) use writer_accessors;

writer_accessors!(
    "Bytes queued and not yet written. Once it reaches the high-water \
     mark, the next frame is written only if the queue can be written out \
     first; else it is refused whole (see \
     [`error::backpressure`](crate::error::backpressure)): wait until the \
     inner writer takes bytes again (a writable socket), `flush`, and offer \
     the frame again.",
    "Sets the high-water mark: with this many bytes queued (unwritten \
     frames, or the rest of a frame a `WouldBlock` interrupted), a new frame \
     is accepted only if the queue can be written out first; else it is \
     refused with an error of kind `WouldBlock` that \
     [`error::backpressure`](crate::error::backpressure) recognises, nothing \
     of it queued. The queue thus holds at most the mark plus the rest of \
     one frame, whatever a peer that stops reading does. Default \
     [`DEFAULT_HIGH_WATER_MARK`] (64 KiB)."
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts at most `max` bytes per call, from the first slice only, and
    /// is interrupted every other call.
    struct Stingy {
        out: Vec<u8>,
        max: usize,
        calls: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.max);
            self.out.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_parts_resumes_short_writes_and_retries_interrupts() {
        for max in 1..9 {
            let mut w = Stingy {
                out: Vec::new(),
                max,
                calls: 0,
            };
            let (n, r) = write_parts(&[b"abc", b"", b"defgh", b"ij"], blocking(&mut w));
            buffer::ready(r).unwrap();
            assert_eq!(n, 10);
            assert_eq!(w.out, b"abcdefghij");
        }
    }

    #[test]
    fn write_parts_reports_write_zero_and_overreporting_writers() {
        struct Zero;
        impl Write for Zero {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        struct Liar;
        impl Write for Liar {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (n, r) = write_parts(&[b"abc"], blocking(&mut Zero));
        let kind = buffer::ready(r).unwrap_err().kind();
        assert_eq!((n, kind), (0, io::ErrorKind::WriteZero));
        let (n, r) = write_parts(&[b"abc"], blocking(&mut Liar));
        let kind = buffer::ready(r).unwrap_err().kind();
        assert_eq!((n, kind), (0, io::ErrorKind::InvalidData));
        // Nothing to write is no call at all.
        assert_eq!(write_parts(&[b"", b""], blocking(&mut Zero)).0, 0);
    }
}
