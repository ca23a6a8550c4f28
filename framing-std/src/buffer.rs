//! The heap storage behind the adapters: a decoder buffer that grows only as
//! bytes arrive, up to a fixed bound, and the chunk buffer reads land in.

use std::io::{self, Read};

use framing_core::{Buffer, ChunkDecoder, Decoder, Frame, Full};

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

/// The chunk buffer a reader reads into: `bytes[pos..end]` is read and not
/// yet fed to the decoder.
///
/// It starts at the capacity it was given and grows, when a frame longer than
/// it arrives, to hold that frame whole (see [`reserve`](Self::reserve)).
#[derive(Debug)]
pub(crate) struct ReadBuf {
    /// All initialised; its length is the room reads may fill.
    bytes: Vec<u8>,
    pos: usize,
    end: usize,
    capacity: usize,
}

impl ReadBuf {
    /// A buffer of `capacity` bytes (at least one), allocated at the first read.
    pub(crate) fn new(capacity: usize) -> Self {
        ReadBuf {
            bytes: Vec::new(),
            pos: 0,
            end: 0,
            capacity: capacity.max(1),
        }
    }

    /// The bytes read and not yet fed to the decoder.
    #[inline]
    pub(crate) fn pending(&self) -> &[u8] {
        // `pos <= end <= bytes.len()` always holds (see `consume` and `fill`).
        &self.bytes[self.pos..self.end]
    }

    /// The whole filled region from `start` (an offset a caller saved from
    /// [`start`](Self::start)) to the end of what was read.
    #[inline]
    pub(crate) fn from(&self, start: usize) -> &[u8] {
        self.bytes.get(start..self.end).unwrap_or_default()
    }

    /// Marks `n` pending bytes as fed to the decoder.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        // `n` never exceeds the pending bytes; the `min` keeps it so.
        self.pos += n.min(self.end - self.pos);
    }

    /// Whether every byte read has been fed to the decoder.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    /// Bytes allocated now.
    pub(crate) fn allocated(&self) -> usize {
        self.bytes.capacity()
    }

    /// Where the pending bytes start: pass it to [`from`](Self::from) after
    /// feeding them.
    #[inline]
    pub(crate) fn start(&self) -> usize {
        self.pos
    }

    /// The stream ended: decodes the pending bytes with
    /// [`Decoder::decode_eof`], which also declares the end, without copying
    /// what is partial.
    ///
    /// # Errors
    /// The decoder's error, as an [`io::Error`].
    pub(crate) fn decode_eof<'a, B: Buffer>(
        &'a mut self,
        decoder: &'a mut Decoder<B>,
    ) -> io::Result<Option<Frame<'a>>> {
        let mut input = &self.bytes[self.pos..self.end];
        let before = input.len();
        let found = decoder.decode_eof(&mut input);
        self.pos += before - input.len();
        found.map_err(error::from_decode)
    }

    /// Makes room for a frame of `want` bytes that begins at the first
    /// pending byte, so that it can be read whole into this buffer: moves
    /// the pending bytes to the front if the frame would not fit where it
    /// starts, and grows the buffer if it is shorter than the frame.
    ///
    /// Growth follows the bytes that arrived, not the length a header
    /// announces: at most twice the pending bytes (or the initial
    /// capacity), never past `want`; a longer frame grows it again as more
    /// of it arrives.
    pub(crate) fn reserve(&mut self, want: usize) {
        if self.bytes.len() - self.pos >= want {
            return;
        }
        let pending = self.end - self.pos;
        if self.pos > 0 {
            self.bytes.copy_within(self.pos..self.end, 0);
            self.pos = 0;
            self.end = pending;
        }
        let len = self.bytes.len();
        if len < want {
            let target = want
                .min(pending.saturating_mul(2))
                .max(self.capacity)
                .max(len);
            if target > len {
                // Only the pending bytes are worth keeping across a move.
                self.bytes.truncate(self.end);
                self.bytes.reserve_exact(target - self.end);
                self.bytes.resize(target, 0);
            }
        }
    }

    /// Feeds the pending bytes to `decoder`, reading more until it finds
    /// something; returns it with the offset where the slice it was found in
    /// began (pass `from(start)` to the decoder's `frame` or `event`), or
    /// `None` once the decoder accepts the end of the stream.
    ///
    /// # Errors
    /// The decoder's error as an [`io::Error`], or the reader's.
    #[inline]
    pub(crate) fn pump<R: Read + ?Sized, D: ChunkDecoder>(
        &mut self,
        inner: &mut R,
        decoder: &mut D,
    ) -> io::Result<Option<(usize, D::Found)>> {
        loop {
            let start = self.start();
            if let Some(found) = self.feed(decoder)? {
                return Ok(Some((start, found)));
            }
            // The pending bytes are used up (kept by the decoder if they
            // begin a frame): read the next chunk.
            if self.fill(inner)? == 0 {
                decoder.finish().map_err(error::from_decode)?;
                return Ok(None);
            }
        }
    }

    /// Feeds the pending bytes to `decoder` once, marking what it used.
    ///
    /// # Errors
    /// The decoder's error as an [`io::Error`].
    #[inline]
    pub(crate) fn feed<D: ChunkDecoder>(
        &mut self,
        decoder: &mut D,
    ) -> io::Result<Option<D::Found>> {
        let mut input = self.pending();
        let before = input.len();
        let polled = decoder.poll(&mut input);
        let used = before - input.len();
        self.consume(used);
        polled.map_err(error::from_decode)
    }

    /// Reads once after the pending bytes (from the start of the buffer if
    /// none are pending), retrying [`Interrupted`]. Returns the number of
    /// bytes read; 0 is the end of the stream. Call only with room left
    /// (after [`reserve`](Self::reserve), or with nothing pending).
    ///
    /// # Errors
    /// The reader's error (other than `Interrupted`); nothing is lost, as
    /// the pending bytes stay where they were.
    ///
    /// [`Interrupted`]: io::ErrorKind::Interrupted
    pub(crate) fn fill<R: Read + ?Sized>(&mut self, inner: &mut R) -> io::Result<usize> {
        if self.is_empty() {
            self.pos = 0;
            self.end = 0;
        }
        if self.bytes.is_empty() {
            self.bytes = vec![0; self.capacity];
        }
        let room = &mut self.bytes[self.end..];
        debug_assert!(!room.is_empty(), "fill without room");
        loop {
            match inner.read(room) {
                Ok(n) if n <= room.len() => {
                    self.end += n;
                    return Ok(n);
                }
                Ok(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the reader reported more bytes than the buffer it was given",
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
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
    fn read_buf_rejects_a_reader_that_overreports() {
        struct Liar;
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        let mut r = ReadBuf::new(8);
        let e = r.fill(&mut Liar).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(r.is_empty());
    }
}
