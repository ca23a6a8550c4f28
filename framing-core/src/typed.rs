//! Typed headers: a Rust struct that is a header, its [`Layout`] and its
//! `struct` format string, read in place or by value and encoded with its
//! values. `#[derive(Header)]` (feature `derive`) writes the
//! [`TypedHeader`] implementation; its documentation (the `Header` derive
//! macro, in this crate's root with that feature) lists the attributes.

use crate::encode::{EncodeError, Parts};
use crate::header::{Frame, Header};
use crate::layout::Layout;
use crate::value::Value;

/// A Rust struct that is a header: its layout, its format string, a
/// zero-copy view with typed getters and a by-value read, and encoding
/// with its values. Written by `#[derive(framing_core::Header)]` (feature
/// `derive`), which also gives the type inherent `LAYOUT`, `FORMAT` and
/// `SIZE` constants and inherent methods of the same names as these, so
/// the trait need not be imported.
///
/// Reading never validates: the decoders check the constants and the
/// length before they hand out a frame, and a view reads whatever bytes
/// it is given.
///
/// Code generic over typed headers bounds on this trait; a frame from any
/// decoder or reader gives its header as `T` with [`Frame::typed`], or as
/// a view with [`Frame::view`]:
///
/// ```
/// # #[cfg(feature = "derive")] {
/// use framing_core::{Decoded, Decoder, TypedHeader};
///
/// /// The first frame's header and payload, if `bytes` holds a whole frame.
/// fn first<T: TypedHeader>(bytes: &[u8]) -> Option<(T, Vec<u8>)> {
///     let layout: &'static _ = &T::LAYOUT;
///     let mut decoder = Decoder::new(layout, framing_core::heapless::Vec::<u8, 64>::new());
///     let mut input = bytes;
///     let frame = decoder.decode(&mut input).ok()??.frame()?;
///     Some((frame.typed::<T>()?, frame.payload().to_vec()))
/// }
///
/// #[derive(framing_core::Header, Debug, PartialEq)]
/// #[framing(byte_order = "big")]
/// struct Ping {
///     #[framing(constant = 0x50)]
///     tag: u8,
///     #[framing(length)]
///     len: u16,
/// }
/// let (ping, payload) = first::<Ping>(b"\x50\x00\x02hi").unwrap();
/// assert_eq!((ping, payload), (Ping { tag: 0x50, len: 2 }, b"hi".to_vec()));
/// # }
/// ```
pub trait TypedHeader: Sized {
    /// The CPython `struct` format string of the fixed header (`"!HBBI"`):
    /// what a Python peer passes to `struct.pack`.
    const FORMAT: &'static str;

    /// The layout: [`FORMAT`](Self::FORMAT), the length field, the
    /// constants and every other option, checked by the const builder.
    const LAYOUT: Layout;

    /// The fixed header's size in bytes (`struct.calcsize(FORMAT)`).
    const SIZE: usize;

    /// The zero-copy view: typed getters over the header's bytes.
    type View<'a>: Copy;

    /// A view of the first [`SIZE`](Self::SIZE) bytes of `header`, or
    /// `None` if it is shorter.
    fn view(header: &[u8]) -> Option<Self::View<'_>>;

    /// The values of the first [`SIZE`](Self::SIZE) bytes of `header`, or
    /// `None` if it is shorter.
    fn from_bytes(header: &[u8]) -> Option<Self>;

    /// This header's values for the fields that are neither the length
    /// nor constants, as `(index, value)` pairs: an array, no allocation.
    type Values<'a>: AsRef<[(usize, Value<'a>)]>
    where
        Self: 'a;

    /// This header's values for the fields that are neither the length
    /// nor constants, in the form [`Layout::encode_with`] and every
    /// writer's `write_frame_with` take:
    /// `writer.write_frame_with(payload, msg.values().as_ref())`.
    fn values(&self) -> Self::Values<'_>;

    /// The values of a decoded header, or `None` if it is shorter than
    /// [`SIZE`](Self::SIZE).
    #[inline]
    fn from_header(header: &Header<'_>) -> Option<Self> {
        Self::from_bytes(header.as_bytes())
    }

    /// Writes a frame of this header and `payload` into the start of `out`
    /// and returns its length: the length and the constants are the
    /// layout's, every other value is this header's. As
    /// [`Layout::encode_with`].
    ///
    /// # Errors
    /// As [`Layout::encode_with`].
    #[inline]
    fn encode(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
        let layout: &'static Layout = &Self::LAYOUT;
        layout.encode_with(payload, self.values().as_ref(), out)
    }

    /// Writes the head of a frame of this header and a payload of
    /// `payload_len` bytes, as [`Layout::encode_header_with`].
    ///
    /// # Errors
    /// As [`Layout::encode_header_with`].
    #[inline]
    fn encode_header(&self, payload_len: usize, out: &mut [u8]) -> Result<usize, EncodeError> {
        let layout: &'static Layout = &Self::LAYOUT;
        layout.encode_header_with(payload_len, self.values().as_ref(), out)
    }

    /// The frame of this header and `payload` as head, body and trailer,
    /// as [`Layout::encode_parts`]: what writers send.
    ///
    /// # Errors
    /// As [`Layout::encode_parts`].
    #[inline]
    fn encode_parts<'s, 'p>(
        &self,
        payload: &'p [u8],
        scratch: &'s mut [u8],
    ) -> Result<Parts<'s, 'p>, EncodeError> {
        let layout: &'static Layout = &Self::LAYOUT;
        layout.encode_parts(payload, self.values().as_ref(), scratch)
    }
}

impl<'a> Header<'a> {
    /// This header's values as `T`, or `None` if it is shorter than
    /// `T::SIZE` (a header of another layout).
    #[inline]
    pub fn typed<T: TypedHeader>(&self) -> Option<T> {
        T::from_bytes(self.as_bytes())
    }

    /// A typed zero-copy view of this header, or `None` if it is shorter
    /// than `T::SIZE`.
    #[inline]
    pub fn view<T: TypedHeader>(&self) -> Option<T::View<'a>> {
        T::view(self.as_bytes())
    }
}

impl<'a> Frame<'a> {
    /// The header's values as `T` (by value), or `None` if the header is
    /// shorter than `T::SIZE` (a frame of another layout). Works on frames
    /// from every decoder and reader, blocking, embedded or async.
    #[inline]
    pub fn typed<T: TypedHeader>(&self) -> Option<T> {
        self.header().typed()
    }

    /// A typed zero-copy view of the header (its getters read in place),
    /// or `None` if the header is shorter than `T::SIZE`.
    #[inline]
    pub fn view<T: TypedHeader>(&self) -> Option<T::View<'a>> {
        self.header().view::<T>()
    }
}

/// A 24-bit unsigned integer: the type of a 3-byte length field (HTTP/2's)
/// in a `#[derive(Header)]` struct, read as a number in the header's byte
/// order. Its `struct` code is `3s`, as for `[u8; 3]` (CPython has no
/// 3-byte integer code), which gives the raw bytes instead.
///
/// ```
/// # #[cfg(feature = "derive")] {
/// use framing_core::U24;
///
/// #[derive(framing_core::Header)]
/// #[framing(byte_order = "network", max_payload = 16384)]
/// struct Http2 {
///     #[framing(length)]
///     len: U24,
///     kind: u8,
///     flags: u8,
///     stream: u32,
/// }
/// assert_eq!(Http2::FORMAT, "!3sBBI");
///
/// let mut out = [0u8; 16];
/// let msg = Http2 { len: U24::MIN, kind: 1, flags: 4, stream: 1 };
/// let n = msg.encode(b"hello", &mut out).unwrap();
/// assert_eq!(&out[..3], b"\0\0\x05");
/// assert_eq!(Http2::view(&out[..n]).unwrap().len(), U24::new(5).unwrap());
/// assert_eq!(Http2::view(&out[..n]).unwrap().len().get(), 5);
/// # }
/// ```
///
/// A `U24` field must be the length field: the encoder writes the length;
/// a free 3-byte field is `[u8; 3]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct U24(u32);

impl U24 {
    /// 0.
    pub const MIN: U24 = U24(0);
    /// 2^24 - 1.
    pub const MAX: U24 = U24(0xff_ffff);

    /// `v`, or `None` if it does not fit 24 bits.
    ///
    /// ```
    /// use framing_core::U24;
    /// assert_eq!(U24::new(0xff_ffff), Some(U24::MAX));
    /// assert_eq!(U24::new(0x100_0000), None);
    /// ```
    #[must_use]
    pub const fn new(v: u32) -> Option<U24> {
        if v <= U24::MAX.0 {
            Some(U24(v))
        } else {
            None
        }
    }

    /// The value.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The value of 3 big-endian bytes.
    ///
    /// ```
    /// use framing_core::U24;
    /// assert_eq!(U24::from_be_bytes([1, 2, 3]).get(), 0x01_0203);
    /// assert_eq!(U24::from_le_bytes([1, 2, 3]).get(), 0x03_0201);
    /// assert_eq!(U24::new(0x01_0203).unwrap().to_le_bytes(), [3, 2, 1]);
    /// ```
    #[must_use]
    pub const fn from_be_bytes(b: [u8; 3]) -> U24 {
        U24(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// The value of 3 little-endian bytes.
    #[must_use]
    pub const fn from_le_bytes(b: [u8; 3]) -> U24 {
        U24(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }

    /// The value of 3 bytes in the target's byte order.
    #[must_use]
    pub const fn from_ne_bytes(b: [u8; 3]) -> U24 {
        if cfg!(target_endian = "big") {
            U24::from_be_bytes(b)
        } else {
            U24::from_le_bytes(b)
        }
    }

    /// The 3 big-endian bytes.
    #[must_use]
    pub const fn to_be_bytes(self) -> [u8; 3] {
        let b = self.0.to_be_bytes();
        [b[1], b[2], b[3]]
    }

    /// The 3 little-endian bytes.
    #[must_use]
    pub const fn to_le_bytes(self) -> [u8; 3] {
        let b = self.0.to_le_bytes();
        [b[0], b[1], b[2]]
    }

    /// The 3 bytes in the target's byte order.
    #[must_use]
    pub const fn to_ne_bytes(self) -> [u8; 3] {
        if cfg!(target_endian = "big") {
            self.to_be_bytes()
        } else {
            self.to_le_bytes()
        }
    }
}

impl From<U24> for u32 {
    #[inline]
    fn from(v: U24) -> u32 {
        v.0
    }
}

impl From<U24> for u64 {
    #[inline]
    fn from(v: U24) -> u64 {
        u64::from(v.0)
    }
}

impl From<u16> for U24 {
    #[inline]
    fn from(v: u16) -> U24 {
        U24(u32::from(v))
    }
}

impl core::fmt::Display for U24 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

/// What the generated code calls. Not public API: no stability promise.
#[doc(hidden)]
pub mod __private {
    use crate::layout::Layout;

    /// Value `index`'s offset in the header.
    pub const fn offset(layout: &Layout, index: usize) -> usize {
        match layout.format().field(index) {
            Some(f) => f.offset,
            None => panic!("framing derive: a field has no value in the format"),
        }
    }

    /// Checks at compile time that value `index` is `size` bytes, the size
    /// of its Rust type, and lies in the header.
    pub const fn check(layout: &Layout, index: usize, size: usize) {
        match layout.format().field(index) {
            Some(f) => {
                if f.size != size {
                    panic!("framing derive: a field's type is not the size of its struct code on this target")
                }
                if f.offset + f.size > layout.header_len() {
                    panic!("framing derive: a field lies outside the header")
                }
            }
            None => panic!("framing derive: a field has no value in the format"),
        }
    }

    /// `N` bytes at `at` (in bounds: checked at compile time by [`check`]).
    #[inline(always)]
    pub fn bytes<const N: usize>(header: &[u8], at: usize) -> &[u8; N] {
        match header.get(at..).and_then(<[u8]>::first_chunk::<N>) {
            Some(b) => b,
            None => unreachable!(),
        }
    }

    /// The header's first `N` bytes, if it holds them.
    #[inline(always)]
    pub fn head<const N: usize>(header: &[u8]) -> Option<&[u8; N]> {
        header.first_chunk::<N>()
    }
}
