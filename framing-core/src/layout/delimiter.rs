//! How frames end when no length says so: [`Delimiter`] and the byte
//! strings it may be ([`Separator`]).

/// The longest byte string [`Layout::delimited`](crate::Layout::delimited) takes as a delimiter.
pub const MAX_DELIMITER: usize = 8;

/// How a frame ends when no length says so: serial links' framings.
///
/// ```text
///  COBS:   | 03 11 22 02 33 | 00 |     11 22 00 33, no zero inside; 00 ends it
///  SLIP:   | 11 db dc 22    | c0 |     11 c0 22, END (c0) and ESC (db) escaped
///  lines:  | h  i           | 0a |     "hi", a delimiter that never occurs inside
///  RESP:   | *1\r\n$2\r\nhi\r\n |       the value is the frame: it ends where the value ends
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delimiter {
    /// Consistent Overhead Byte Stuffing: the frame is COBS-encoded (no zero
    /// byte inside) and ends with a zero byte. A zero with no frame before
    /// it (line noise, a sender's flush) is skipped; an empty payload is
    /// `01 00`, a frame.
    Cobs,
    /// SLIP (RFC 1055): the frame ends with END (0xc0); END and ESC (0xdb)
    /// inside are sent as ESC 0xdc and ESC 0xdd. Empty frames (the END a
    /// sender puts first to flush line noise) are skipped, so SLIP cannot
    /// carry an empty payload (without a trailer): the encoder refuses one
    /// ([`EncodeError::EmptyFrame`](crate::EncodeError::EmptyFrame)).
    Slip,
    /// The frame ends with this byte string, which never occurs inside it
    /// (lines: `\n` or `\r\n`). Empty frames are frames.
    Bytes(Separator),
    /// RESP, the Redis protocol ([`crate::resp`]): each top-level value is a
    /// frame, its bytes as on the wire (the payload); it ends where the
    /// value does. Malformed and oversized values are errors (no resync).
    Resp,
}

/// A delimiter byte string of 1 to [`MAX_DELIMITER`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Separator {
    bytes: [u8; MAX_DELIMITER],
    len: u8,
}

impl Separator {
    /// The separator `bytes`, or `None` if it is empty or longer than
    /// [`MAX_DELIMITER`].
    pub const fn new(bytes: &[u8]) -> Option<Separator> {
        if bytes.is_empty() || bytes.len() > MAX_DELIMITER {
            return None;
        }
        let mut out = [0u8; MAX_DELIMITER];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        Some(Separator {
            bytes: out,
            len: bytes.len() as u8,
        })
    }

    /// Its bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Its length.
    #[allow(clippy::len_without_is_empty)] // never empty
    pub const fn len(&self) -> usize {
        self.len as usize
    }
}
