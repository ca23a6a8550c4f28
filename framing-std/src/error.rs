//! From the core's errors to [`io::Error`], and back.
//!
//! Every adapter in this crate reports a bad frame as an [`io::Error`] that
//! wraps the core's error (its [`get_ref`](io::Error::get_ref) and
//! [`into_inner`](io::Error::into_inner), and its `Display` is the core's
//! sentence with the byte offset), so `?` works in functions returning
//! `io::Result` and the details stay one downcast away
//! ([`decode_error`], [`encode_error`]):
//!
//! | core error                                   | [`io::ErrorKind`]  |
//! |----------------------------------------------|--------------------|
//! | [`DecodeError`], [truncated](DecodeError::is_truncated) | [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) |
//! | any other [`DecodeError`]                    | [`InvalidData`](io::ErrorKind::InvalidData) |
//! | [`EncodeError`]                              | [`InvalidInput`](io::ErrorKind::InvalidInput) |
//! | [`LayoutError`]                              | [`InvalidInput`](io::ErrorKind::InvalidInput) |
//!
//! ```
//! use std::io;
//! use framing_std::error;
//! use framing_std::{DecodeErrorKind, FrameReader, Layout};
//!
//! // A stream that ends two bytes into a four-byte header.
//! let mut reader = FrameReader::new(&b"\x00\x00"[..], Layout::new("!I"));
//! let err = reader.next_frame().unwrap_err();
//! assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
//! let cause = error::decode_error(&err).unwrap();
//! assert_eq!(cause.kind(), DecodeErrorKind::Truncated { missing: 2, in_header: true });
//! ```

use std::io;

use framing_core::{DecodeError, EncodeError, LayoutError};

/// A decoding error as an [`io::Error`]:
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the stream ended inside
/// a frame, else [`InvalidData`](io::ErrorKind::InvalidData). The
/// `DecodeError` is the wrapped error.
pub fn from_decode(e: DecodeError) -> io::Error {
    let kind = if e.is_truncated() {
        io::ErrorKind::UnexpectedEof
    } else {
        io::ErrorKind::InvalidData
    };
    io::Error::new(kind, e)
}

/// An encoding error as an [`io::Error`] of kind
/// [`InvalidInput`](io::ErrorKind::InvalidInput) (the frame asked for cannot
/// be written), wrapping the `EncodeError`.
pub fn from_encode(e: EncodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// A layout error (a bad format string, say, from user input) as an
/// [`io::Error`] of kind [`InvalidInput`](io::ErrorKind::InvalidInput),
/// wrapping the `LayoutError`.
pub fn from_layout(e: LayoutError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// The [`DecodeError`] inside an [`io::Error`] made by [`from_decode`] (or
/// returned by a reader of this crate), if there is one.
pub fn decode_error(e: &io::Error) -> Option<DecodeError> {
    e.get_ref()?.downcast_ref::<DecodeError>().copied()
}

/// The [`EncodeError`] inside an [`io::Error`] made by [`from_encode`] (or
/// returned by a writer of this crate), if there is one.
pub fn encode_error(e: &io::Error) -> Option<EncodeError> {
    e.get_ref()?.downcast_ref::<EncodeError>().copied()
}

/// A writer's queue is at its high-water mark and the inner writer takes
/// no more now: the frame offered was not queued (nothing of it was
/// written). Wrapped in an [`io::Error`] of kind
/// [`WouldBlock`](io::ErrorKind::WouldBlock); find it with [`backpressure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backpressure {
    /// Bytes queued.
    pub queued: usize,
    /// The writer's high-water mark.
    pub high_water_mark: usize,
}

impl std::fmt::Display for Backpressure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes queued, at or past the high-water mark of {}: the frame was not queued; \
             flush, then offer it again",
            self.queued, self.high_water_mark
        )
    }
}

impl std::error::Error for Backpressure {}

/// The [`Backpressure`] inside an [`io::Error`] from a writer of this crate:
/// `Some` when the frame was refused whole (offer the same frame again once
/// [`flush`](crate::FrameWriter::flush) succeeds), `None` for any other
/// error (a `WouldBlock` without it means the frame was queued).
pub fn backpressure(e: &io::Error) -> Option<Backpressure> {
    e.get_ref()?.downcast_ref::<Backpressure>().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use framing_core::{Decoder, Layout};

    fn decode_err(layout: Layout, bytes: &[u8], finish: bool) -> DecodeError {
        let mut d = Decoder::new(layout, framing_core::heapless::Vec::<u8, 64>::new());
        let mut input = bytes;
        loop {
            match d.decode(&mut input) {
                Ok(Some(_)) => {}
                Ok(None) if finish => return d.finish().unwrap_err(),
                Ok(None) => panic!("no error"),
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn truncation_is_unexpected_eof_with_the_core_error_as_source() {
        let core = decode_err(Layout::new("!I"), b"\0\0\0\x09abc", true);
        let e = from_decode(core);
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(decode_error(&e), Some(core));
        assert_eq!(e.to_string(), core.to_string());
        let inner = e.into_inner().unwrap().downcast::<DecodeError>().unwrap();
        assert_eq!(*inner, core);
    }

    #[test]
    fn a_bad_frame_is_invalid_data() {
        let core = decode_err(Layout::new("!i"), b"\xff\xff\xff\xff", false);
        let e = from_decode(core);
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(decode_error(&e), Some(core));
        assert_eq!(encode_error(&e), None);
    }

    #[test]
    fn encode_and_layout_errors_are_invalid_input() {
        let core = Layout::new("!B")
            .encode_header(300, &mut [0; 1])
            .unwrap_err();
        let e = from_encode(core);
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(encode_error(&e), Some(core));
        assert_eq!(decode_error(&e), None);

        let e = from_layout(Layout::parse("!Z").unwrap_err());
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.get_ref().unwrap().is::<LayoutError>());
    }

    #[test]
    fn plain_io_errors_hold_no_core_error() {
        let e = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(decode_error(&e), None);
        assert_eq!(encode_error(&e), None);
    }
}
