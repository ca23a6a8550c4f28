//! The heap storage behind the adapters: a decoder buffer that grows only as
//! bytes arrive, up to a fixed bound, and the chunk buffer reads land in.

use core::ops::Range;
use core::task::Poll;
use std::io::{self, Read};
use std::sync::Arc;

use framing_core::adapter::{At, Feed, Found, Pull, Window};
use framing_core::{Buffer, Full};

use crate::error;
use crate::frame::{Chunk, ReadBytes, SharedLayout};

/// A [`Buffer`] over a `Vec` that allocates lazily, never past `limit`.
///
/// The decoder asks for at most `limit` bytes in all, and only appends bytes
/// it has received, so the allocation follows what the peer actually sent,
/// never what a header announces.
#[derive(Debug)]
pub(crate) struct GrowBuf {
    bytes: Vec<u8>,
    limit: usize,
}

impl GrowBuf {
    /// An empty buffer that will hold at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        GrowBuf {
            bytes: Vec::new(),
            limit,
        }
    }

    /// Bytes allocated now.
    pub(crate) fn allocated(&self) -> usize {
        self.bytes.capacity()
    }
}

impl Buffer for GrowBuf {
    fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    fn capacity(&self) -> usize {
        self.limit
    }

    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full> {
        let len = self.bytes.len();
        let needed = len
            .checked_add(data.len())
            .filter(|&n| n <= self.limit)
            .ok_or(Full)?;
        if needed > self.bytes.capacity() {
            // Double (amortised growth) but never past the bound.
            let target = self
                .bytes
                .capacity()
                .saturating_mul(2)
                .max(needed)
                .min(self.limit);
            if self.bytes.try_reserve_exact(target - len).is_err() {
                // No room to double: take exactly what is needed, which
                // aborts like any `Vec` if even that fails. Never refuse
                // bytes the decoder was promised room for.
                self.bytes.reserve_exact(needed - len);
            }
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.bytes.len());
        self.bytes.drain(..n);
    }

    fn clear(&mut self) {
        self.bytes.clear();
    }
}

/// The chunk buffer a reader reads into: `bytes[window.start()..window.end()]`
/// is read and not yet fed to the decoder. The feeding itself is the core's
/// one feed loop, [`Window::pull`]; this type only does the I/O around it.
///
/// It starts at the capacity it was given and grows, when a frame longer than
/// it arrives, to hold that frame whole (see [`room`](Self::room)). The
/// bytes are counted ([`Chunk`]), so an owned frame can share them
/// ([`share`](Self::share)); a read while any frame does goes into a fresh
/// chunk, holding what was not fed yet.
#[derive(Debug)]
pub(crate) struct ReadBuf {
    chunk: Arc<Chunk>,
    window: Window,
    capacity: usize,
}

impl ReadBuf {
    /// A buffer of `capacity` bytes (at least one), allocated at the first
    /// read, whose shared frames are read with `layout`.
    pub(crate) fn new(capacity: usize, layout: Option<SharedLayout>) -> Self {
        ReadBuf {
            chunk: Arc::new(Chunk {
                bytes: Vec::new(),
                layout,
            }),
            window: Window::new(),
            capacity: capacity.max(1),
        }
    }

    /// The layout the frames sharing this buffer are read with (`None`
    /// for a reader that makes no owned frames).
    pub(crate) fn layout(&self) -> Option<&SharedLayout> {
        self.chunk.layout.as_ref()
    }

    /// `since(at)[range]`, shared: the bytes of a frame found at `at`
    /// (`range` as [`At::in_input`] gives it), for an owned frame.
    #[inline]
    pub(crate) fn share(&self, at: usize, range: Range<usize>) -> ReadBytes {
        // Within what was read, as the decoder found it (and were it not,
        // `ReadBytes` reads an empty slice rather than panic).
        debug_assert!(at + range.end <= self.window.end());
        ReadBytes::new(Arc::clone(&self.chunk), at + range.start..at + range.end)
    }

    /// The bytes to read into, this buffer's own: if frames still share
    /// the chunk, a fresh one of the initial capacity (or the unfed bytes'
    /// length, if more) holding the unfed bytes at its front, so a buffer
    /// once grown for a long frame is not allocated again at that size for
    /// every read while frames are kept.
    #[inline]
    fn unique<'c>(
        chunk: &'c mut Arc<Chunk>,
        window: &mut Window,
        capacity: usize,
    ) -> &'c mut Vec<u8> {
        if Arc::get_mut(chunk).is_none() {
            let unfed = window.start()..window.end();
            *chunk = Arc::new(chunk.keeping(unfed.clone(), capacity));
            // The fed bytes stay with the frames: every offset moves back.
            window.advance(unfed.start);
        }
        // The chunk is this buffer's alone now: `make_mut` copies nothing.
        &mut Arc::make_mut(chunk).bytes
    }

    /// Whether every byte read has been fed to the decoder.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// The bytes read and not yet fed to the decoder.
    pub(crate) fn unfed(&self) -> &[u8] {
        self.since(self.window.start())
    }

    /// Bytes allocated now.
    pub(crate) fn allocated(&self) -> usize {
        self.chunk.bytes.capacity()
    }

    /// Pulls from `decoder` (the core's feed loop), reading from `inner` as
    /// it asks, until it finds something: returns where the bytes it was
    /// found in begin (pass it to [`since`](Self::since)), or `None` at a
    /// clean end of the stream. Frames up to `hold` bytes are kept whole in
    /// this buffer, so the decoder takes them in place. The blocking twin
    /// of `poll_next` (the async readers'), the same steps in the same
    /// order: kept apart because running the blocking read through
    /// `poll_next` cost 12 instructions a 16-byte frame (callgrind, frames
    /// from a `&[u8]`), about 5% of the blocking reader's.
    ///
    /// # Errors
    /// The decoder's error as an [`io::Error`], or the reader's (nothing is
    /// lost then: calling again goes on).
    #[inline(always)]
    pub(crate) fn next<R: Read + ?Sized, D: Feed>(
        &mut self,
        inner: &mut R,
        decoder: &mut D,
        hold: usize,
    ) -> io::Result<Option<(usize, Found)>> {
        loop {
            match self.window.pull(&self.chunk.bytes, decoder, hold) {
                Pull::Found { at, found } => return Ok(Some((at, found))),
                Pull::End => return Ok(None),
                Pull::Failed(e) => return Err(error::from_decode(e)),
                Pull::Read { need } => {
                    self.fill(inner, need)?;
                }
            }
        }
    }

    #[cfg(any(feature = "tokio", feature = "futures"))]
    /// The async readers' loop: [`next`](Self::next) with a read step that
    /// may pend. Pulls from `decoder` ([`Window::pull`]), and when it asks for bytes, makes
    /// [`room`](Self::room) for them and calls `read` on it, then records
    /// what arrived ([`filled`](Self::filled)); until something is found
    /// (returned with where the bytes it was found in, or a taken frame's
    /// own bytes, begin: pass it to [`since`](Self::since)), the stream
    /// ends cleanly (`None`), or `read`
    /// pends. Frames up to `hold` bytes are kept whole in this buffer, so
    /// the decoder takes them in place.
    ///
    /// `read` reads into the slice it is given, as [`Read::read`] does, or
    /// returns `Pending` having read nothing (an async reader's contract).
    /// `Interrupted` is retried. Every byte `read` returns is recorded
    /// before anything else can happen, and nothing is kept on the stack
    /// across a `Pending`: a caller that gives up after `Pending` (a dropped
    /// future) loses nothing, and calling again continues.
    ///
    /// # Errors
    /// The decoder's error as an [`io::Error`], or the reader's (nothing is
    /// lost then: calling again goes on).
    #[inline]
    pub(crate) fn poll_next<D: Feed>(
        &mut self,
        decoder: &mut D,
        hold: usize,
        mut read: impl FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<Option<(usize, Found)>>> {
        // A frame already read whole: the decoder's I1 without its `Fed`
        // ([`take`](Self::take), the blocking readers' first step). Through
        // `pull`, the `Fed` written in words was read back in 16-byte moves,
        // a store-forwarding stall (`perf annotate`: 40% of the tokio
        // reader's time at 16-byte frames). The async `FrameReader`'s
        // methods now take such a frame before their first await
        // (`Rx::take`), so here it is the first step of the other
        // callers (the frame after a report, a `StreamReader`'s decoder
        // takes nothing and answers at once).
        if let Some((at, frame)) = self.take(decoder) {
            return Poll::Ready(Ok(Some((at, Found::Item(frame)))));
        }
        loop {
            match self.window.pull(&self.chunk.bytes, decoder, hold) {
                Pull::Found { at, found } => return Poll::Ready(Ok(Some((at, found)))),
                Pull::End => return Poll::Ready(Ok(None)),
                Pull::Failed(e) => return Poll::Ready(Err(error::from_decode(e))),
                Pull::Read { need } => match self.read_more(need, &mut read) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }

    #[cfg(any(feature = "tokio", feature = "futures"))]
    /// One read for [`poll_next`](Self::poll_next): [`room`](Self::room)
    /// for `need` bytes, `read` into it (`Interrupted` retried),
    /// [`filled`](Self::filled). Out of line, so the loop that hands out
    /// frames already read stays small.
    #[inline(never)]
    fn read_more(
        &mut self,
        need: usize,
        read: &mut impl FnMut(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        let n = loop {
            match read(self.room(need)) {
                Poll::Ready(Ok(n)) => break n,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        };
        Poll::Ready(self.filled(n))
    }

    /// The next frame if the decoder takes it whole from the bytes already
    /// read, without a read or the feed loop ([`Window::take`]); `None`,
    /// changing nothing, otherwise: call [`next`](Self::next) or
    /// `poll_next`. Inlined into the readers, whose loops stay out of line.
    #[inline(always)]
    pub(crate) fn take<D: Feed>(&mut self, decoder: &mut D) -> Option<(usize, At)> {
        self.window.take(&self.chunk.bytes, decoder)
    }

    /// The bytes from `at` to the end of the buffer: for a frame
    /// [`take`](Self::take) found at `at`, which lies within what was read
    /// (one comparison, where [`since`](Self::since) makes two).
    #[inline(always)]
    pub(crate) fn after(&self, at: usize) -> &[u8] {
        self.window.after(&self.chunk.bytes, at)
    }

    /// The bytes from `at` to the end of what was read.
    #[inline]
    pub(crate) fn since(&self, at: usize) -> &[u8] {
        self.window.since(&self.chunk.bytes, at)
    }

    /// Makes room for a frame of `need` bytes that begins at the first
    /// unfed byte (0: none is held) and returns the free space after the
    /// unfed bytes, where the next read goes (never empty): moves them to
    /// the front if the frame would not fit where it starts, and grows the
    /// buffer if it is shorter than the frame. Growth follows the bytes that
    /// arrived, not the length a header announces: at most 1.25 times the
    /// unfed bytes (or the initial capacity), never past `need`. Calling it
    /// again before [`filled`](Self::filled) changes nothing.
    pub(crate) fn room(&mut self, need: usize) -> &mut [u8] {
        let bytes = Self::unique(&mut self.chunk, &mut self.window, self.capacity);
        if bytes.is_empty() {
            *bytes = vec![0; self.capacity];
        }
        if !self.window.is_empty() && bytes.len() - self.window.start() < need {
            self.window.compact(bytes);
        }
        let len = bytes.len();
        if self.window.end() >= len {
            let pending = self.window.end() - self.window.start();
            // A quarter more than what arrived: geometric, so a frame
            // arriving in small reads costs linear time (one zero-fill
            // and one move a growth, not a read), and the allocation stays
            // within 1.25 times the bytes received (or the initial size).
            let target = need
                .min(pending.saturating_add(pending / 4))
                .max(self.capacity)
                .max(len)
                .max(pending + 1);
            if target > len {
                // Only the unfed bytes are worth keeping across a move.
                self.window.compact(bytes);
                let end = self.window.end();
                bytes.truncate(end);
                bytes.reserve_exact(target - end);
                bytes.resize(target, 0);
            }
        }
        let room = self.window.room(bytes);
        debug_assert!(!room.is_empty(), "no room to read into");
        room
    }

    /// Records a read of `n` bytes into the [`room`](Self::room) just made;
    /// 0 is the end of the stream.
    ///
    /// # Errors
    /// [`InvalidData`](io::ErrorKind::InvalidData) if `n` is more than the
    /// room (a reader that lies); nothing is recorded then.
    #[inline]
    pub(crate) fn filled(&mut self, n: usize) -> io::Result<()> {
        if n > self.chunk.bytes.len().saturating_sub(self.window.end()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the reader reported more bytes than the buffer it was given",
            ));
        }
        self.window.filled(n);
        Ok(())
    }

    /// One blocking read: [`room`](Self::room) for `need` bytes, a read
    /// (`Interrupted` retried), [`filled`](Self::filled). Returns the number
    /// of bytes read; 0 is the end of the stream. Out of line, so the loop
    /// that hands out frames already read stays small (inlined, it cost the
    /// blocking reader 2 instructions a 16-byte frame).
    #[inline(never)]
    pub(crate) fn fill<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
        need: usize,
    ) -> io::Result<usize> {
        let n = loop {
            match inner.read(self.room(need)) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.filled(n)?;
        Ok(n)
    }
}

/// The value of a poll that cannot pend: a blocking read's.
#[inline]
pub(crate) fn ready<T>(poll: Poll<T>) -> T {
    match poll {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("a blocking read or write never pends"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_buf_respects_its_limit() {
        let mut b = GrowBuf::new(10);
        assert_eq!(b.allocated(), 0);
        assert_eq!(b.extend_from_slice(b"hello"), Ok(()));
        assert!(b.allocated() >= 5 && b.allocated() <= 10);
        assert_eq!(b.extend_from_slice(b"world!"), Err(Full));
        assert_eq!(b.as_slice(), b"hello");
        assert_eq!(b.extend_from_slice(b"world"), Ok(()));
        assert_eq!(b.allocated(), 10);
        b.drop_front(3);
        assert_eq!(b.as_slice(), b"loworld");
        b.drop_front(100);
        assert!(b.is_empty());
    }

    #[test]
    fn grow_buf_grows_geometrically_within_the_bound() {
        let mut b = GrowBuf::new(1000);
        for _ in 0..100 {
            b.extend_from_slice(b"0123456789").unwrap();
        }
        assert_eq!(b.len(), 1000);
        assert_eq!(b.allocated(), 1000);
        assert_eq!(b.extend_from_slice(b"x"), Err(Full));
    }

    #[test]
    fn grow_buf_with_a_huge_limit_allocates_only_what_arrives() {
        let mut b = GrowBuf::new(usize::MAX);
        b.extend_from_slice(&[7; 100]).unwrap();
        assert!(b.allocated() < 1024);
    }

    #[test]
    fn a_long_frame_in_small_reads_grows_the_buffer_geometrically() {
        // 16 MiB of a frame in 512-byte reads: the buffer grows a bounded
        // number of times (each growth moves and zero-fills once), not once
        // a read, and never holds more than a quarter over what arrived.
        struct Trickle(usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(512).min(self.0);
                buf[..n].fill(7);
                self.0 -= n;
                Ok(n)
            }
        }
        let total = 16 << 20;
        let mut r = ReadBuf::new(64 * 1024, None);
        let mut src = Trickle(total);
        let (mut growths, mut last) = (0, 0);
        let mut received = 0;
        loop {
            let n = r.fill(&mut src, total).unwrap();
            if n == 0 {
                break;
            }
            received += n;
            if r.allocated() != last {
                growths += 1;
                last = r.allocated();
                assert!(last <= (received + received / 4).max(64 * 1024) + 512);
            }
        }
        assert_eq!(received, total);
        // 64 KiB to 16 MiB by a quarter each time: about 25 growths.
        assert!(growths <= 30, "{growths} growths for {total} bytes");
    }

    #[test]
    fn read_buf_rejects_a_reader_that_overreports() {
        struct Liar;
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        let mut r = ReadBuf::new(8, None);
        let e = r.fill(&mut Liar, 0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(r.is_empty());
    }
}
