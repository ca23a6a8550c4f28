//! The heap storage behind the adapters: a decoder buffer that grows only as
//! bytes arrive, up to a fixed bound, and the chunk buffer reads land in.

use std::io::{self, Read};

use framing_core::adapter::{Feed, Found, Pull, Window};
use framing_core::{Buffer, Full};

use crate::error;

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
/// it arrives, to hold that frame whole (see [`fill`](Self::fill)).
#[derive(Debug)]
pub(crate) struct ReadBuf {
    /// All initialised; its length is the room reads may fill.
    bytes: Vec<u8>,
    window: Window,
    capacity: usize,
}

impl ReadBuf {
    /// A buffer of `capacity` bytes (at least one), allocated at the first read.
    pub(crate) fn new(capacity: usize) -> Self {
        ReadBuf {
            bytes: Vec::new(),
            window: Window::new(),
            capacity: capacity.max(1),
        }
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
        self.bytes.capacity()
    }

    /// Pulls from `decoder` (the core's feed loop), reading from `inner` as
    /// it asks, until it finds something: returns where the bytes it was
    /// found in begin (pass it to [`since`](Self::since)), or `None` at a
    /// clean end of the stream. Frames up to `hold` bytes are kept whole in
    /// this buffer, so the decoder takes them in place.
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
            match self.window.pull(&self.bytes, decoder, hold) {
                Pull::Found { at, found } => return Ok(Some((at, found))),
                Pull::End => return Ok(None),
                Pull::Failed(e) => return Err(error::from_decode(e)),
                Pull::Read { need } => {
                    self.fill(inner, need)?;
                }
            }
        }
    }

    /// The bytes from `at` to the end of what was read.
    #[inline]
    pub(crate) fn since(&self, at: usize) -> &[u8] {
        self.window.since(&self.bytes, at)
    }

    /// Reads once after the unfed bytes, having made room for a frame of
    /// `need` bytes that begins at the first of them (0: none is held):
    /// moves them to the front if the frame would not fit where it starts,
    /// and grows the buffer if it is shorter than the frame. Growth follows
    /// the bytes that arrived, not the length a header announces: at most
    /// 1.25 times the unfed bytes (or the initial capacity), never past
    /// `need`.
    /// Returns the number of bytes read; 0 is the end of the stream.
    /// `Interrupted` is retried.
    ///
    /// # Errors
    /// The reader's error (other than `Interrupted`); nothing is lost, as
    /// the unfed bytes stay where they were.
    pub(crate) fn fill<R: Read + ?Sized>(
        &mut self,
        inner: &mut R,
        need: usize,
    ) -> io::Result<usize> {
        if self.bytes.is_empty() {
            self.bytes = vec![0; self.capacity];
        }
        if !self.window.is_empty() && self.bytes.len() - self.window.start() < need {
            self.window.compact(&mut self.bytes);
        }
        let len = self.bytes.len();
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
                self.window.compact(&mut self.bytes);
                let end = self.window.end();
                self.bytes.truncate(end);
                self.bytes.reserve_exact(target - end);
                self.bytes.resize(target, 0);
            }
        }
        let room = self.window.room(&mut self.bytes);
        debug_assert!(!room.is_empty(), "fill without room");
        let room_len = room.len();
        let n = loop {
            match inner.read(room) {
                Ok(n) if n <= room_len => break n,
                Ok(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the reader reported more bytes than the buffer it was given",
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.window.filled(n);
        Ok(n)
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
        let mut r = ReadBuf::new(64 * 1024);
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
        let mut r = ReadBuf::new(8);
        let e = r.fill(&mut Liar, 0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(r.is_empty());
    }
}
