//! A streaming encoder for delimited frames larger than any buffer: the
//! payload goes in, in pieces, and the encoded frame comes out into output
//! buffers of any size, byte for byte what [`Layout::encode`] writes.

use crate::encode::EncodeError;
use crate::layout::{Delimiter, Layout, MAX_DELIMITER};
use crate::trailer::Running;

/// The longest COBS block: 254 data bytes after its code byte.
const BLOCK: usize = 254;

/// Encodes one delimited frame (COBS, SLIP, a byte-string delimiter) whose
/// payload arrives in pieces: [`encode`](Self::encode) each piece, then
/// [`finish`](Self::finish) until it says the frame is done. Each call
/// writes what fits its output buffer and says how much it took and wrote,
/// so neither the payload nor the frame needs to fit in memory. The bytes
/// written are exactly those [`Layout::encode`] writes for the whole
/// payload. It holds one COBS block (254 bytes) and no allocation.
///
/// ```
/// use framing_core::{Checksum, Layout};
///
/// let layout = Layout::cobs().trailer(Checksum::Crc32).build_or_panic();
/// let payload: Vec<u8> = (0..10_000u32).map(|i| (i % 7) as u8).collect();
///
/// let mut encoder = layout.frame_encoder().unwrap();
/// let (mut wire, mut out) = (Vec::new(), [0u8; 100]); // a 100-byte output buffer
/// for piece in payload.chunks(333) {
///     let mut piece = piece;
///     while !piece.is_empty() {
///         let (took, wrote) = encoder.encode(piece, &mut out)?;
///         wire.extend_from_slice(&out[..wrote]);
///         piece = &piece[took..];
///     }
/// }
/// loop {
///     let (wrote, done) = encoder.finish(&mut out)?;
///     wire.extend_from_slice(&out[..wrote]);
///     if done {
///         break;
///     }
/// }
/// let mut whole = vec![0u8; layout.max_encoded_len(payload.len()).unwrap()];
/// let n = layout.encode(&payload, &mut whole)?;
/// assert_eq!(wire, &whole[..n]);
/// # Ok::<(), framing_core::EncodeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FrameEncoder<'l> {
    layout: &'l Layout,
    delimiter: Delimiter,
    /// Payload bytes taken.
    taken: u64,
    /// The trailer's running checksum, if any.
    sum: Option<Running>,
    /// COBS: the current block's data.
    block: [u8; BLOCK],
    len: u8,
    /// COBS: a closed block being written: its code, and how many of its
    /// bytes (code first) are written.
    closing: Option<u8>,
    written: u8,
    /// SLIP: the second byte of an escape, to write next.
    escaped: Option<u8>,
    /// Byte strings: the frame's last bytes (for the delimiter check).
    tail: [u8; MAX_DELIMITER],
    /// RESP: the scan of the value so far.
    resp: crate::resp::Scan,
    /// How far `finish` has got: trailer bytes fed, then the end.
    stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Taking payload.
    Payload,
    /// Feeding the trailer's bytes: this many fed.
    Trailer([u8; 4], u8),
    /// Writing the delimiter: this many of its bytes written.
    End(u8),
    Done,
}

impl Layout {
    /// A streaming encoder for one frame of this delimited layout; `None`
    /// for a layout with a length, whose frames need no such thing (write
    /// [`encode_header`](Self::encode_header)'s head, the payload in
    /// pieces, then [`encode_trailer`](Self::encode_trailer)'s trailer).
    pub fn frame_encoder(&self) -> Option<FrameEncoder<'_>> {
        let delimiter = self.delimiter()?;
        // No header: the trailer covers the payload either way.
        let sum = self.trailer.map(|t| t.checksum.start());
        Some(FrameEncoder {
            layout: self,
            delimiter,
            taken: 0,
            sum,
            block: [0; BLOCK],
            len: 0,
            closing: None,
            written: 0,
            escaped: None,
            tail: [0; MAX_DELIMITER],
            resp: crate::resp::Scan::new(),
            stage: Stage::Payload,
        })
    }
}

impl FrameEncoder<'_> {
    /// Takes as much of `payload` as `out` has room for, and returns how
    /// many payload bytes it took and how many bytes it wrote. It makes
    /// progress whenever `out` is not empty.
    ///
    /// # Errors
    /// [`PayloadTooLong`](EncodeError::PayloadTooLong) if the payload grows
    /// past the layout's maximum (nothing of this piece is taken);
    /// [`DelimiterInFrame`](EncodeError::DelimiterInFrame) if it holds a
    /// byte-string delimiter. The frame written so far is then invalid.
    ///
    /// # Panics
    /// If called after [`finish`](Self::finish).
    pub fn encode(
        &mut self,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), EncodeError> {
        assert_eq!(self.stage, Stage::Payload, "encode after finish");
        let length = self.taken.saturating_add(payload.len() as u64);
        if length > self.layout.max_payload() {
            return Err(EncodeError::PayloadTooLong {
                length,
                max: self.layout.max_payload(),
            });
        }
        let mut w = 0;
        let mut took = 0;
        for &b in payload {
            if !self.put(b, out, &mut w)? {
                break;
            }
            took += 1;
        }
        if let (Some(sum), Some(t)) = (self.sum, self.layout.trailer) {
            self.sum = Some(t.checksum.update(sum, &payload[..took]));
        }
        self.taken += took as u64;
        Ok((took, w))
    }

    /// Ends the frame: its trailer, its last COBS block and its delimiter,
    /// as much as fits `out`. Returns the bytes written and whether the
    /// frame is done; call again with more room until it is.
    ///
    /// For a byte-string delimiter, a frame whose trailer holds the
    /// delimiter (or whose end would read as an earlier delimiter) cannot
    /// be told apart on the wire; [`Layout::encode`] refuses it, this
    /// writes it, so check such trailers with `encode` if they matter.
    ///
    /// # Errors
    /// [`EmptyFrame`](EncodeError::EmptyFrame) for a SLIP frame with no
    /// payload and no trailer, as [`Layout::encode`] (an END alone, which
    /// readers skip); nothing is written.
    pub fn finish(&mut self, out: &mut [u8]) -> Result<(usize, bool), EncodeError> {
        let mut w = 0;
        loop {
            match self.stage {
                Stage::Payload => {
                    if self.delimiter == Delimiter::Resp && !self.resp.ended() {
                        return Err(EncodeError::NotOneRespValue {
                            at: usize::try_from(self.taken).unwrap_or(usize::MAX),
                            fault: None,
                        });
                    }
                    if self.delimiter == Delimiter::Slip
                        && self.taken == 0
                        && self.layout.trailer.is_none()
                    {
                        return Err(EncodeError::EmptyFrame);
                    }
                    // The trailer's bytes, last in the array, fed from
                    // the first of them.
                    let mut trailer = [0u8; 4];
                    let mut n = 0;
                    if let (Some(sum), Some(t)) = (self.sum, self.layout.trailer) {
                        n = t.checksum.byte_len();
                        t.uint
                            .write(&mut trailer, 4 - n, u64::from(t.checksum.finish(sum)));
                    }
                    self.stage = Stage::Trailer(trailer, (4 - n) as u8);
                }
                Stage::Trailer(bytes, fed) => {
                    if fed == 4 {
                        self.stage = Stage::End(0);
                        continue;
                    }
                    match self.put(bytes[usize::from(fed)], out, &mut w) {
                        Ok(true) => self.stage = Stage::Trailer(bytes, fed + 1),
                        // No room, or (byte strings) the trailer holds
                        // the delimiter: written as it is.
                        Ok(false) => return Ok((w, false)),
                        Err(_) => self.stage = Stage::Trailer(bytes, fed + 1),
                    }
                }
                Stage::End(done) => match self.end(out, &mut w, done) {
                    Some(done) => {
                        self.stage = Stage::End(done);
                        return Ok((w, false));
                    }
                    None => {
                        self.stage = Stage::Done;
                        return Ok((w, true));
                    }
                },
                Stage::Done => return Ok((w, true)),
            }
        }
    }

    /// Whether the frame is done.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Feeds one byte of the frame's body; `Ok(false)` if `out` is full.
    fn put(&mut self, b: u8, out: &mut [u8], w: &mut usize) -> Result<bool, EncodeError> {
        match self.delimiter {
            Delimiter::Resp => {
                use crate::resp::Scanned;
                let at = self.taken + (*w as u64);
                let at_usize = usize::try_from(at).unwrap_or(usize::MAX);
                if self.resp.ended() {
                    return Err(EncodeError::NotOneRespValue {
                        at: at_usize,
                        fault: None,
                    });
                }
                if out.get(*w).is_none() {
                    return Ok(false);
                }
                match self.resp.scan(&[b], at, u64::MAX) {
                    Scanned::Bad(fault, _) => {
                        return Err(EncodeError::NotOneRespValue {
                            at: at_usize,
                            fault: Some(fault),
                        })
                    }
                    Scanned::More | Scanned::End(_) | Scanned::TooLong(..) => {}
                }
                Ok(emit(out, w, b))
            }
            Delimiter::Cobs => {
                if !self.flush(out, w) {
                    return Ok(false);
                }
                if b == 0 {
                    self.closing = Some(self.len + 1);
                } else {
                    self.block[usize::from(self.len)] = b;
                    self.len += 1;
                    if usize::from(self.len) == BLOCK {
                        self.closing = Some(0xff);
                    }
                }
                self.flush(out, w);
                Ok(true)
            }
            Delimiter::Slip => {
                if let Some(e) = self.escaped {
                    if !emit(out, w, e) {
                        return Ok(false);
                    }
                    self.escaped = None;
                }
                let (first, second) = match b {
                    0xc0 => (0xdb, Some(0xdc)),
                    0xdb => (0xdb, Some(0xdd)),
                    b => (b, None),
                };
                if !emit(out, w, first) {
                    return Ok(false);
                }
                self.escaped = second;
                if let Some(e) = second {
                    if emit(out, w, e) {
                        self.escaped = None;
                    }
                }
                Ok(true)
            }
            Delimiter::Bytes(sep) => {
                let sep = sep.as_bytes();
                if !emit(out, w, b) {
                    return Ok(false);
                }
                self.tail.copy_within(1.., 0);
                self.tail[MAX_DELIMITER - 1] = b;
                let at = self.taken + (*w as u64);
                if self.tail[MAX_DELIMITER - sep.len()..] == *sep && at >= sep.len() as u64 {
                    return Err(EncodeError::DelimiterInFrame {
                        at: usize::try_from(at).unwrap_or(usize::MAX) - sep.len(),
                    });
                }
                Ok(true)
            }
        }
    }

    /// COBS: writes the closed block, if any, as far as `out` allows;
    /// `true` once nothing is left to write.
    fn flush(&mut self, out: &mut [u8], w: &mut usize) -> bool {
        let Some(code) = self.closing else {
            return true;
        };
        // The block's bytes: its code, then its data (`code - 1` bytes).
        let data = usize::from(code) - 1;
        while usize::from(self.written) <= data {
            let byte = match self.written {
                0 => code,
                k => self.block[usize::from(k) - 1],
            };
            if !emit(out, w, byte) {
                return false;
            }
            self.written += 1;
        }
        self.closing = None;
        self.written = 0;
        self.len = 0;
        true
    }

    /// The end: the last COBS block and the delimiter; `Some(progress)`
    /// if `out` filled first.
    fn end(&mut self, out: &mut [u8], w: &mut usize, mut done: u8) -> Option<u8> {
        match self.delimiter {
            Delimiter::Resp => None,
            Delimiter::Cobs => {
                if !self.flush(out, w) {
                    return Some(done);
                }
                if done == 0 {
                    self.closing = Some(self.len + 1);
                    done = 1;
                }
                if done == 1 {
                    if !self.flush(out, w) {
                        return Some(done);
                    }
                    done = 2;
                }
                if !emit(out, w, 0) {
                    return Some(done);
                }
                None
            }
            Delimiter::Slip => {
                if let Some(e) = self.escaped {
                    if !emit(out, w, e) {
                        return Some(done);
                    }
                    self.escaped = None;
                }
                if !emit(out, w, 0xc0) {
                    return Some(done);
                }
                None
            }
            Delimiter::Bytes(sep) => {
                for &b in &sep.as_bytes()[usize::from(done)..] {
                    if !emit(out, w, b) {
                        return Some(done);
                    }
                    done += 1;
                }
                None
            }
        }
    }
}

/// Writes `b` at `out[*w]` if there is room.
fn emit(out: &mut [u8], w: &mut usize, b: u8) -> bool {
    match out.get_mut(*w) {
        Some(slot) => {
            *slot = b;
            *w += 1;
            true
        }
        None => false,
    }
}
