//! WebSocket frames (RFC 6455, section 5.2) as a framing
//! ([`Layout::websocket`](crate::Layout::websocket)).
//!
//! ```text
//!   0               1               2 ... 9         then 0 or 4    then
//!  +-+-+-+-+-------+-+-------------+---------------+-------------+---------+
//!  |F|R|R|R| opcode|M| length (7)  | 16 bits if 126| masking key | payload |
//!  |I|S|S|S|  (4)  |A|             | 64 bits if 127| (if MASK)   |         |
//!  |N|V|V|V|       |S|             |               |             |         |
//!  +-+-+-+-+-------+-+-------------+---------------+-------------+---------+
//! ```
//!
//! The layout's fixed header is `!BB` (values 0 and 1 are those two bytes,
//! as a `struct` peer reads them); the extended length and the masking key
//! follow it as the length after the header does in other layouts, so the
//! decoder, every adapter and the encoders run it as they run any length
//! framing. [`Frame::websocket`](crate::Frame::websocket) reads the
//! header's parts ([`WsHeader`]).
//!
//! What the decoder checks, each a [`WsFault`] at its byte: the opcode is
//! one RFC 6455 defines; a control frame (close, ping, pong) is not
//! fragmented and carries at most 125 bytes; an extended length is minimal
//! (126 only for 126 to 65,535 bytes, 127 only above) with its top bit
//! clear; and the mask bit is what the layout's side requires
//! ([`Masking`]: a server reads masked frames from clients, a client
//! unmasked ones). The RSV bits are left to the extension that set them
//! (permessage-deflate sets RSV1) and reported.
//!
//! A masked payload cannot be handed out unmasked without a copy when the
//! frame is borrowed from the caller's chunk (which the decoder never
//! writes): the frame's payload is the bytes as on the wire, and
//! [`WsHeader::unmask`] unmasks them in a buffer of the caller's (the
//! framing CLI unmasks each payload into its output line), at any offset,
//! for payload pieces from a streaming decoder.

use crate::encode::EncodeError;

/// Which frames a WebSocket layout accepts by their mask bit
/// ([`LayoutBuilder::websocket_masking`](crate::LayoutBuilder::websocket_masking)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Masking {
    /// Masked frames only: what a server reads from its clients.
    Required,
    /// Unmasked frames only: what a client reads from its server.
    Forbidden,
    /// Either (the default: a tap or a capture reader that does not know
    /// the side).
    Any,
}

/// What is wrong with a WebSocket frame's header
/// ([`DecodeErrorKind::WebSocket`](crate::DecodeErrorKind::WebSocket)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WsFault {
    /// An opcode RFC 6455 reserves (3 to 7, 11 to 15).
    Opcode {
        /// The opcode.
        opcode: u8,
    },
    /// A control frame (close, ping, pong) without FIN.
    FragmentedControl,
    /// A control frame with more than 125 bytes of payload.
    ControlTooLong {
        /// The length it announces.
        length: u64,
    },
    /// An extended length that a shorter form could hold.
    NotMinimal {
        /// The length.
        length: u64,
    },
    /// A 64-bit length with its top bit set.
    LengthTopBit,
    /// An unmasked frame where the layout requires masked ones.
    Unmasked,
    /// A masked frame where the layout forbids them.
    Masked,
}

impl core::fmt::Display for WsFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            WsFault::Opcode { opcode } => write!(f, "reserved opcode {opcode:#x}"),
            WsFault::FragmentedControl => f.write_str("a control frame without FIN"),
            WsFault::ControlTooLong { length } => {
                write!(f, "a control frame of {length} bytes (at most 125)")
            }
            WsFault::NotMinimal { length } => {
                write!(f, "length {length} in a longer form than it needs")
            }
            WsFault::LengthTopBit => f.write_str("a 64-bit length with its top bit set"),
            WsFault::Unmasked => f.write_str("an unmasked frame where masked ones are required"),
            WsFault::Masked => f.write_str("a masked frame where unmasked ones are required"),
        }
    }
}

/// A WebSocket frame's header, read from its bytes
/// ([`Frame::websocket`](crate::Frame::websocket)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WsHeader {
    /// FIN: the last frame of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 (bits 2, 1, 0).
    pub rsv: u8,
    /// The opcode: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10
    /// pong.
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload's length.
    pub length: u64,
}

/// The text opcode.
pub const TEXT: u8 = 1;
/// The binary opcode.
pub const BINARY: u8 = 2;
/// The close opcode.
pub const CLOSE: u8 = 8;
/// The ping opcode.
pub const PING: u8 = 9;
/// The pong opcode.
pub const PONG: u8 = 10;

impl WsHeader {
    /// A final frame (FIN set, no RSV bits) of `opcode`, unmasked; `length`
    /// is set by [`encode`](Self::encode).
    pub const fn new(opcode: u8) -> WsHeader {
        WsHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            length: 0,
        }
    }

    /// The same header masked with `key`.
    pub const fn masked(self, key: [u8; 4]) -> WsHeader {
        WsHeader {
            mask: Some(key),
            ..self
        }
    }

    /// Reads a whole header at the start of `head` (as a decoder checked
    /// it); `None` if it is cut short.
    pub fn parse(head: &[u8]) -> Option<WsHeader> {
        let [b0, b1, rest @ ..] = head else {
            return None;
        };
        let (length, n) = match b1 & 0x7f {
            126 => (u64::from(u16::from_be_bytes(*rest.first_chunk()?)), 2),
            127 => (u64::from_be_bytes(*rest.first_chunk()?), 8),
            short => (u64::from(short), 0),
        };
        let mask = match b1 & 0x80 {
            0 => None,
            _ => Some(*rest.get(n..)?.first_chunk()?),
        };
        Some(WsHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 7,
            opcode: b0 & 0x0f,
            mask,
            length,
        })
    }

    /// Unmasks (or masks: the same XOR) `bytes`, the payload's bytes from
    /// `offset` on, in place; nothing for an unmasked frame.
    pub fn unmask(&self, offset: u64, bytes: &mut [u8]) {
        if let Some(key) = self.mask {
            apply(key, offset, bytes);
        }
    }

    /// Writes the frame of this header (its `length` replaced by the
    /// payload's) and `payload`, masked if the header has a key, with the
    /// shortest length, into the start of `out`; returns its length.
    ///
    /// ```
    /// use framing_core::websocket::{WsHeader, TEXT};
    ///
    /// let mut out = [0u8; 16];
    /// let n = WsHeader::new(TEXT).masked(*b"\x37\xfa\x21\x3d").encode(b"Hello", &mut out)?;
    /// // RFC 6455, 5.7: a single-frame masked text message.
    /// assert_eq!(&out[..n], b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    /// # Ok::<(), framing_core::EncodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`BufferTooSmall`](EncodeError::BufferTooSmall) if `out` cannot
    /// hold the frame; nothing is written.
    pub fn encode(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut head = [0u8; MAX_HEAD];
        let h = self.write_head(payload.len() as u64, &mut head);
        let needed = h + payload.len();
        let available = out.len();
        let out = out
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed, available })?;
        out[..h].copy_from_slice(&head[..h]);
        out[h..].copy_from_slice(payload);
        self.unmask(0, &mut out[h..]);
        Ok(needed)
    }

    /// Writes the header for a payload of `length` bytes into `out` (at
    /// least [`MAX_HEAD`] bytes) and returns its length.
    pub fn write_head(&self, length: u64, out: &mut [u8; MAX_HEAD]) -> usize {
        out[0] = u8::from(self.fin) << 7 | (self.rsv & 7) << 4 | (self.opcode & 0x0f);
        let n = write_length(length, &mut out[1..]);
        let mut at = 1 + n;
        if let Some(key) = self.mask {
            out[1] |= 0x80;
            out[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        at
    }
}

/// The longest header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEAD: usize = 14;

/// XORs `bytes` (payload bytes from `offset` on) with `key`, a word at a
/// time.
fn apply(key: [u8; 4], offset: u64, bytes: &mut [u8]) {
    let mut k = [0u8; 8];
    for (i, b) in k.iter_mut().enumerate() {
        *b = key[((offset % 4) as usize + i) % 4];
    }
    let word = u64::from_ne_bytes(k);
    let mut chunks = bytes.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes((&*c).try_into().unwrap_or([0; 8])) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (b, m) in chunks.into_remainder().iter_mut().zip(k) {
        *b ^= m;
    }
}

/// Writes the length byte (the mask bit clear) and the extended length,
/// the shortest form, into `out`; returns how many bytes.
fn write_length(length: u64, out: &mut [u8]) -> usize {
    match length {
        0..=125 => {
            out[0] = length as u8;
            1
        }
        126..=0xffff => {
            out[0] = 126;
            out[1..3].copy_from_slice(&(length as u16).to_be_bytes());
            3
        }
        _ => {
            out[0] = 127;
            out[1..9].copy_from_slice(&length.to_be_bytes());
            9
        }
    }
}

/// The bytes after the two fixed ones a header with length `length` takes
/// (unmasked).
pub(crate) const fn extended_len(length: u64) -> usize {
    match length {
        0..=125 => 0,
        126..=0xffff => 2,
        _ => 8,
    }
}

/// Writes the length of an unmasked frame: the 7 bits into `fixed[1]`,
/// the extended length into `after`; returns the extended length's bytes.
pub(crate) fn write_unmasked(length: u64, fixed: &mut [u8], after: &mut [u8]) -> usize {
    let mut buf = [0u8; 9];
    let n = write_length(length, &mut buf);
    fixed[1] = buf[0];
    after[..n - 1].copy_from_slice(&buf[1..n]);
    n - 1
}

/// What the bytes of a head say, for the decoder: the payload length and
/// the bytes after the fixed two, or what is missing, or the fault and its
/// offset in the frame.
pub(crate) enum Head {
    Value(u64, usize),
    Need(usize),
    Bad(WsFault, usize),
}

/// Reads the head whose fixed two bytes are `fixed` and whose extended
/// length and key start `after`.
pub(crate) fn read_head(fixed: &[u8], after: &[u8], masking: Masking) -> Head {
    let (b0, b1) = (fixed[0], fixed[1]);
    let opcode = b0 & 0x0f;
    if matches!(opcode, 3..=7 | 11..=15) {
        return Head::Bad(WsFault::Opcode { opcode }, 0);
    }
    let masked = b1 & 0x80 != 0;
    match (masking, masked) {
        (Masking::Required, false) => return Head::Bad(WsFault::Unmasked, 1),
        (Masking::Forbidden, true) => return Head::Bad(WsFault::Masked, 1),
        _ => {}
    }
    let short = b1 & 0x7f;
    let control = opcode & 8 != 0;
    if control && b0 & 0x80 == 0 {
        return Head::Bad(WsFault::FragmentedControl, 0);
    }
    if control && short > 125 {
        return Head::Bad(
            WsFault::ControlTooLong {
                length: u64::from(short),
            },
            1,
        );
    }
    let ext = match short {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let n = ext + if masked { 4 } else { 0 };
    if after.len() < n {
        return Head::Need(n);
    }
    let length = match ext {
        2 => u64::from(u16::from_be_bytes([after[0], after[1]])),
        8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&after[..8]);
            u64::from_be_bytes(b)
        }
        _ => u64::from(short),
    };
    if ext == 8 && length >> 63 != 0 {
        return Head::Bad(WsFault::LengthTopBit, 2);
    }
    if extended_len(length) != ext {
        return Head::Bad(WsFault::NotMinimal { length }, 2);
    }
    Head::Value(length, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read_and_checked() {
        let read = |h: &[u8], m| match read_head(&h[..2], &h[2..], m) {
            Head::Value(v, n) => Ok((v, n)),
            Head::Need(n) => Err(Err(n)),
            Head::Bad(f, at) => Err(Ok((f, at))),
        };
        assert_eq!(read(b"\x81\x05", Masking::Any), Ok((5, 0)));
        assert_eq!(read(b"\x81\x85abcd", Masking::Required), Ok((5, 4)));
        assert_eq!(read(b"\x82\x7e\x01\x00", Masking::Forbidden), Ok((256, 2)));
        assert_eq!(read(b"\x82\x7e\x01", Masking::Any), Err(Err(2)));
        assert_eq!(
            read(b"\x82\xff\0\0\0\0\0\x01\0\0", Masking::Any),
            Err(Err(12))
        );
        assert_eq!(
            read(b"\x82\x7f\0\0\0\0\0\x01\0\0", Masking::Any),
            Ok((65536, 8))
        );
        let bad = |h: &[u8], m, f, at| assert_eq!(read(h, m), Err(Ok((f, at))), "{h:x?}");
        bad(b"\x83\x00", Masking::Any, WsFault::Opcode { opcode: 3 }, 0);
        bad(b"\x81\x05", Masking::Required, WsFault::Unmasked, 1);
        bad(b"\x81\x85", Masking::Forbidden, WsFault::Masked, 1);
        bad(b"\x09\x00", Masking::Any, WsFault::FragmentedControl, 0);
        bad(
            b"\x89\x7e",
            Masking::Any,
            WsFault::ControlTooLong { length: 126 },
            1,
        );
        bad(
            b"\x82\x7e\x00\x7d",
            Masking::Any,
            WsFault::NotMinimal { length: 125 },
            2,
        );
        bad(
            b"\x82\x7f\0\0\0\0\0\0\xff\xff",
            Masking::Any,
            WsFault::NotMinimal { length: 65535 },
            2,
        );
        bad(
            b"\x82\x7f\x80\0\0\0\0\0\0\0",
            Masking::Any,
            WsFault::LengthTopBit,
            2,
        );
    }

    #[test]
    fn masking_is_its_own_inverse_at_any_offset() {
        let key = *b"\x37\xfa\x21\x3d";
        let plain: [u8; 37] = core::array::from_fn(|i| i as u8 * 7);
        let mut whole = plain;
        apply(key, 0, &mut whole);
        for (i, (&m, &p)) in whole.iter().zip(&plain).enumerate() {
            assert_eq!(m, p ^ key[i % 4]);
        }
        // In pieces at their offsets, the same.
        let mut pieces = plain;
        let (a, b) = pieces.split_at_mut(5);
        apply(key, 0, a);
        apply(key, 5, b);
        assert_eq!(pieces, whole);
        apply(key, 0, &mut whole);
        assert_eq!(whole, plain);
    }
}
