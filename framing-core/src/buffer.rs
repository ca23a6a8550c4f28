//! Storage a decoder assembles straddling frames in.
//!
//! The caller owns the memory: a [`heapless::Vec`] sized by a const generic,
//! a borrowed slice ([`SliceBuffer`]), or any type implementing [`Buffer`]
//! (the std adapter uses a `Vec` that grows up to a bound).

use core::fmt;

/// Returned by [`Buffer::extend_from_slice`] when the bytes do not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer full")
    }
}

impl core::error::Error for Full {}

/// Bounded byte storage for a decoder.
///
/// The decoder never asks for more than [`capacity`](Buffer::capacity) bytes
/// in all, so implementations may allocate lazily up to that bound.
pub trait Buffer {
    /// The bytes held.
    fn as_slice(&self) -> &[u8];
    /// The most bytes this buffer can ever hold.
    fn capacity(&self) -> usize;
    /// Appends `data`.
    ///
    /// # Errors
    /// [`Full`] if the total would exceed [`capacity`](Buffer::capacity); then
    /// nothing is appended.
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full>;
    /// Appends one byte. The decoder uses it for one-byte chunks (a UART
    /// read byte by byte, say); implement it when that can be cheaper than
    /// [`extend_from_slice`](Buffer::extend_from_slice).
    ///
    /// # Errors
    /// [`Full`] if the buffer is at its [`capacity`](Buffer::capacity).
    fn push(&mut self, byte: u8) -> Result<(), Full> {
        self.extend_from_slice(&[byte])
    }
    /// Keeps only the first `len` bytes.
    fn truncate(&mut self, len: usize);
    /// Removes the first `n` bytes (all of them if `n` is larger).
    fn drop_front(&mut self, n: usize);
    /// Removes every byte.
    fn clear(&mut self) {
        self.truncate(0);
    }
    /// Number of bytes held.
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    /// Whether no bytes are held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<const N: usize> Buffer for heapless::Vec<u8, N> {
    fn as_slice(&self) -> &[u8] {
        self
    }
    fn capacity(&self) -> usize {
        N
    }
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full> {
        heapless::Vec::extend_from_slice(self, data).map_err(|_| Full)
    }
    fn push(&mut self, byte: u8) -> Result<(), Full> {
        heapless::Vec::push(self, byte).map_err(|_| Full)
    }
    fn truncate(&mut self, len: usize) {
        heapless::Vec::truncate(self, len);
    }
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len());
        self.copy_within(n.., 0);
        let keep = self.len() - n;
        heapless::Vec::truncate(self, keep);
    }
    fn clear(&mut self) {
        heapless::Vec::clear(self);
    }
}

/// A [`Buffer`] over a slice the caller lends, like httparse's header array.
///
/// ```
/// use framing_core::{Decoder, Layout, SliceBuffer};
///
/// let mut storage = [0u8; 512];
/// let mut decoder = Decoder::new(Layout::new("!H"), SliceBuffer::new(&mut storage));
/// let mut chunk: &[u8] = b"\x00\x02hi";
/// let frame = decoder.decode(&mut chunk).unwrap().unwrap().frame().unwrap();
/// assert_eq!(frame.payload(), b"hi");
/// ```
#[derive(Debug)]
pub struct SliceBuffer<'a> {
    storage: &'a mut [u8],
    len: usize,
}

impl<'a> SliceBuffer<'a> {
    /// An empty buffer over `storage`.
    pub fn new(storage: &'a mut [u8]) -> Self {
        SliceBuffer { storage, len: 0 }
    }

    /// Gives the storage back.
    pub fn into_inner(self) -> &'a mut [u8] {
        self.storage
    }
}

impl Buffer for SliceBuffer<'_> {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        &self.storage[..self.len]
    }
    #[inline]
    fn capacity(&self) -> usize {
        self.storage.len()
    }
    #[inline]
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full> {
        let end = self.len.checked_add(data.len()).ok_or(Full)?;
        self.storage
            .get_mut(self.len..end)
            .ok_or(Full)?
            .copy_from_slice(data);
        self.len = end;
        Ok(())
    }
    #[inline]
    fn push(&mut self, byte: u8) -> Result<(), Full> {
        *self.storage.get_mut(self.len).ok_or(Full)? = byte;
        self.len += 1;
        Ok(())
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.storage.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl<B: Buffer + ?Sized> Buffer for &mut B {
    fn as_slice(&self) -> &[u8] {
        (**self).as_slice()
    }
    fn capacity(&self) -> usize {
        (**self).capacity()
    }
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full> {
        (**self).extend_from_slice(data)
    }
    fn push(&mut self, byte: u8) -> Result<(), Full> {
        (**self).push(byte)
    }
    fn truncate(&mut self, len: usize) {
        (**self).truncate(len);
    }
    fn drop_front(&mut self, n: usize) {
        (**self).drop_front(n);
    }
    fn clear(&mut self) {
        (**self).clear();
    }
}
