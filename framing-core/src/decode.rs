//! How bytes become frames: the incremental state machine.
//!
//! Both decoders are fed chunks of any size through `&mut &[u8]`: they advance
//! the slice past what they consumed and return at most one result per call.
//! `Ok(None)` means "the chunk is used up, feed more"; only bad input is an
//! `Err`. [`Decoder`] returns whole frames (zero-copy when a frame lies whole
//! in the chunk); [`StreamDecoder`] returns a header, payload pieces and an end
//! marker, and buffers nothing but a header split across chunks.

use core::fmt;

use crate::buffer::Buffer;
use crate::header::{Frame, Header};
use crate::layout::{HeaderFault, Layout, Oversize};

/// Why decoding failed, or (for recoverable kinds) what the decoder skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeErrorKind {
    /// A signed length field holds a negative value.
    NegativeLength {
        /// The length value.
        value: i64,
    },
    /// Length value + adjust is negative or does not fit 64 bits.
    LengthAdjust {
        /// The length value.
        value: i128,
        /// The layout's adjust.
        adjust: i64,
    },
    /// The payload length is above the layout's maximum.
    TooLong {
        /// The announced payload length.
        length: u64,
        /// The layout's maximum.
        max: u64,
    },
    /// A constant header value (magic, version) differs from the layout's.
    ConstantMismatch {
        /// Index of the value in the header tuple.
        field: usize,
    },
    /// Header and payload together exceed the decoder's buffer.
    FrameTooLarge {
        /// Header plus payload length.
        needed: u64,
        /// The buffer's capacity.
        capacity: usize,
    },
    /// The decoder's buffer cannot even hold a header.
    BufferTooSmall {
        /// The header length.
        header: usize,
        /// The buffer's capacity.
        capacity: usize,
    },
    /// The stream ended inside a frame.
    Truncated {
        /// How many more bytes the frame needed (for a header, how many more
        /// header bytes: the payload length was not known yet).
        missing: u64,
        /// Whether the stream ended inside the header (else in the payload).
        in_header: bool,
    },
    /// Recoverable: an oversized frame's payload is being skipped, unbuffered.
    Discarded {
        /// The payload length announced and skipped.
        length: u64,
    },
    /// Recoverable: bytes skipped to find the next valid header.
    Skipped {
        /// How many bytes were skipped.
        bytes: u64,
    },
}

/// A decoding error: what was wrong and the stream offset of the frame it
/// concerns (the first byte of its header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: u64,
}

impl DecodeError {
    /// What went wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// Stream offset, in bytes from the first byte ever fed, of the header of
    /// the frame concerned (for [`Skipped`](DecodeErrorKind::Skipped), where
    /// skipping began).
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the decoder goes on after this error. Only
    /// [`Discarded`](DecodeErrorKind::Discarded) and
    /// [`Skipped`](DecodeErrorKind::Skipped) are recoverable; after any other
    /// the decoder returns the same error until [`reset`](Decoder::reset).
    pub const fn is_recoverable(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::Discarded { .. } | DecodeErrorKind::Skipped { .. }
        )
    }

    /// Whether the stream ended inside a frame.
    pub const fn is_truncated(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Truncated { .. })
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            DecodeErrorKind::NegativeLength { value } => {
                write!(f, "frame at byte {at}: length {value} is negative")
            }
            DecodeErrorKind::LengthAdjust { value, adjust } => write!(
                f,
                "frame at byte {at}: length {value} with adjust {adjust} gives a payload length \
                 outside 0..=2^64-1"
            ),
            DecodeErrorKind::TooLong { length, max } => write!(
                f,
                "frame at byte {at}: payload length {length} is above the maximum {max}"
            ),
            DecodeErrorKind::ConstantMismatch { field } => write!(
                f,
                "frame at byte {at}: header value {field} differs from the layout's constant"
            ),
            DecodeErrorKind::FrameTooLarge { needed, capacity } => write!(
                f,
                "frame at byte {at}: {needed} bytes of header and payload do not fit the \
                 decoder's {capacity}-byte buffer"
            ),
            DecodeErrorKind::BufferTooSmall { header, capacity } => write!(
                f,
                "the decoder's {capacity}-byte buffer cannot hold a {header}-byte header"
            ),
            DecodeErrorKind::Truncated { missing, in_header } => write!(
                f,
                "stream ended inside the {} of the frame at byte {at}: {missing} bytes missing",
                if in_header { "header" } else { "payload" }
            ),
            DecodeErrorKind::Discarded { length } => write!(
                f,
                "frame at byte {at}: discarded its oversized payload of {length} bytes"
            ),
            DecodeErrorKind::Skipped { bytes } => write!(
                f,
                "skipped {bytes} bytes from byte {at} to find the next valid header"
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Where a frame found by [`Decoder::poll`] lies, to be turned into a
/// [`Frame`] by [`Decoder::frame`]. A plain value, so adapters can look for a
/// frame, then read more, without holding a borrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ready {
    /// Whole in the input: `len` bytes (header first) starting `start` bytes
    /// into the slice as it was passed to `poll`.
    Input {
        /// Offset of the header in the input slice as passed to `poll`.
        start: usize,
        /// Header plus payload length.
        len: usize,
    },
    /// Assembled in the decoder's buffer.
    Buffer,
}

/// What a [`StreamDecoder`] returns.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// A validated header; payload pieces follow, then [`Event::End`].
    Header(Header<'a>),
    /// The next piece of the current payload (never empty), borrowed from
    /// the input.
    Payload(&'a [u8]),
    /// The current frame's payload is complete.
    End,
}

/// Where a [`StreamDecoder`] event lies, from [`StreamDecoder::poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EventAt {
    /// A header, where [`Ready`] says.
    Header(Ready),
    /// A payload piece: `len` bytes starting `start` bytes into the input
    /// slice as it was passed to `poll`.
    Payload {
        /// Offset in the input slice as passed to `poll`.
        start: usize,
        /// Length of the piece.
        len: usize,
    },
    /// The payload is complete.
    End,
}

/// What an adapter needs from a decoder, whichever way it delivers frames:
/// look for the next thing in a chunk, and check the end of the stream.
/// [`Decoder`] finds whole frames ([`Ready`]), [`StreamDecoder`] events
/// ([`EventAt`]); both turn what they found into a borrowed view afterwards.
pub trait ChunkDecoder {
    /// What [`poll`](Self::poll) finds: a plain value that borrows nothing.
    type Found: Copy;
    /// Looks for the next thing in `input`, advancing it past what was used.
    ///
    /// # Errors
    /// A bad frame, as the decoder reports it.
    fn poll(&mut self, input: &mut &[u8]) -> Result<Option<Self::Found>, DecodeError>;
    /// Declares the end of the stream.
    ///
    /// # Errors
    /// A stream that ended inside a frame.
    fn finish(&mut self) -> Result<(), DecodeError>;
}

impl<B: Buffer> ChunkDecoder for Decoder<B> {
    type Found = Ready;
    #[inline]
    fn poll(&mut self, input: &mut &[u8]) -> Result<Option<Ready>, DecodeError> {
        Decoder::poll(self, input)
    }
    fn finish(&mut self) -> Result<(), DecodeError> {
        Decoder::finish(self)
    }
}

impl<B: Buffer> ChunkDecoder for StreamDecoder<B> {
    type Found = EventAt;
    #[inline]
    fn poll(&mut self, input: &mut &[u8]) -> Result<Option<EventAt>, DecodeError> {
        StreamDecoder::poll(self, input)
    }
    fn finish(&mut self) -> Result<(), DecodeError> {
        StreamDecoder::finish(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Collecting a header; the buffer holds its first bytes.
    Header,
    /// Header validated (in the buffer); `remaining` payload bytes to come.
    Payload { remaining: u64 },
    /// Skipping an oversized payload.
    Discard { remaining: u64 },
    /// Looking for a valid header; the buffer holds untested bytes.
    Resync { skipped: u64, from: u64 },
}

/// The machine both decoders share.
#[derive(Debug)]
struct Core<B> {
    layout: Layout,
    buf: B,
    state: State,
    /// Stream offset of the next input byte.
    pos: u64,
    /// Stream offset of the current frame's header.
    frame_start: u64,
    failed: Option<DecodeError>,
    /// The buffer holds a delivered frame or header: clear it on the next call.
    delivered: bool,
    /// Largest header + payload this decoder accepts.
    limit: usize,
    /// Nothing partial, nothing delivered, not failed: a whole frame at the
    /// start of the input can be taken without the state machine.
    idle: bool,
    /// For layouts whose length value is the payload length (no constants,
    /// no adjust): the largest length value accepted, so one comparison
    /// validates a header. `None` for other layouts.
    quick_max: Option<u64>,
    /// `quick_max + 1` while idle with such a layout, else 0: the fast path
    /// takes a header whose length value is below it, with one comparison
    /// for both questions.
    quick_limit: u64,
    /// A whole-frame decoder assembling a payload, not failed: the next
    /// bytes go straight to the buffer.
    filling: bool,
    /// A streaming decoder (payloads are handed out, never buffered).
    stream: bool,
}

/// Outcome of judging a bad header.
enum Verdict {
    /// Skip `remaining` payload bytes (header already consumed).
    Discard(DecodeError),
    /// Start resynchronising (nothing consumed yet).
    Resync,
    /// Fatal.
    Fail(DecodeError),
}

/// `n` as `usize`, saturating (only ever compared with slice lengths).
fn sat(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl<B: Buffer> Core<B> {
    fn new(layout: Layout, buf: B, stream: bool) -> Self {
        let limit = if stream { usize::MAX } else { buf.capacity() };
        let l = &layout.length;
        let quick_max = (layout.n_constants == 0 && layout.adjust == 0).then(|| {
            let (_, field_max) = crate::value::int_range(l.signed, l.width);
            let room = limit.saturating_sub(layout.header_len) as u64;
            (field_max.min(i128::from(u64::MAX)) as u64)
                .min(layout.max_payload)
                .min(room)
        });
        let mut core = Core {
            layout,
            buf,
            state: State::Header,
            pos: 0,
            frame_start: 0,
            failed: None,
            delivered: false,
            limit,
            idle: false,
            quick_max,
            quick_limit: 0,
            filling: false,
            stream,
        };
        core.settle();
        core
    }

    /// Recomputes `idle` after the slow path changed anything. A frame or
    /// header lent from the buffer (`delivered`) does not stop the fast
    /// path, which never touches the buffer; every path that does clears it
    /// first.
    fn settle(&mut self) {
        let healthy = self.failed.is_none() && self.buf.capacity() >= self.layout.header_len;
        self.idle =
            healthy && self.state == State::Header && (self.delivered || self.buf.is_empty());
        self.filling = healthy && !self.stream && matches!(self.state, State::Payload { .. });
        // `quick_max` is at most `usize::MAX - header_len`: no overflow.
        self.quick_limit = match (self.idle, self.quick_max) {
            (true, Some(max)) => max + 1,
            _ => 0,
        };
    }

    /// The payload length of a valid header whole at the start of `input`,
    /// if the decoder is idle; `None` sends the caller down the slow path
    /// (which reports any error).
    #[inline(always)]
    fn header_at(&self, input: &[u8]) -> Option<u64> {
        if self.quick_limit != 0 {
            let header = input.get(..self.layout.header_len)?;
            let len = self.layout.length.read(header)?;
            return (len < self.quick_limit).then_some(len);
        }
        if self.idle && self.quick_max.is_none() {
            return self.check(input.get(..self.layout.header_len)?).ok();
        }
        None
    }

    /// The length of a valid frame whole at the start of `input`, if idle.
    #[inline(always)]
    fn frame_at(&self, input: &[u8]) -> Option<usize> {
        self.frame_len(input).filter(|&total| input.len() >= total)
    }

    /// The length of a valid frame whose header is whole at the start of
    /// `input`, if idle.
    #[inline(always)]
    fn frame_len(&self, input: &[u8]) -> Option<usize> {
        // `check` bounds the payload by `limit - header_len`: no overflow.
        Some(self.layout.header_len + sat(self.header_at(input)?))
    }

    fn err(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            offset: self.frame_start,
        }
    }

    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.failed = Some(e);
        self.idle = false;
        self.quick_limit = 0;
        self.filling = false;
        e
    }

    /// Runs before every call: reports a stored failure, frees the buffer.
    #[inline(always)]
    fn begin(&mut self) -> Result<(), DecodeError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.buf.capacity() < self.layout.header_len {
            let e = self.err(DecodeErrorKind::BufferTooSmall {
                header: self.layout.header_len,
                capacity: self.buf.capacity(),
            });
            return Err(self.fail(e));
        }
        if self.delivered {
            self.buf.clear();
            self.delivered = false;
        }
        Ok(())
    }

    /// Validates a header and the frame's size against this decoder's limit.
    #[inline(always)]
    fn check(&self, header: &[u8]) -> Result<u64, HeaderFault> {
        let payload = self.layout.check_header(header)?;
        if (self.limit - self.layout.header_len) < sat(payload) {
            return Err(HeaderFault::TooLong(payload));
        }
        Ok(payload)
    }

    /// Turns a header fault into an error with the right kind.
    fn fault_error(&self, fault: HeaderFault) -> DecodeError {
        let l = &self.layout;
        self.err(match fault {
            HeaderFault::Negative(value) => DecodeErrorKind::NegativeLength { value },
            HeaderFault::Adjust(value) => DecodeErrorKind::LengthAdjust {
                value,
                adjust: l.adjust,
            },
            HeaderFault::TooLong(length) if length > l.max_payload => DecodeErrorKind::TooLong {
                length,
                max: l.max_payload,
            },
            HeaderFault::TooLong(length) => DecodeErrorKind::FrameTooLarge {
                needed: length.saturating_add(l.header_len as u64),
                capacity: self.limit,
            },
            HeaderFault::Constant(field) => DecodeErrorKind::ConstantMismatch { field },
        })
    }

    /// Decides what a bad header leads to and moves the state there. The
    /// header's bytes are not consumed yet.
    #[cold]
    fn judge(&mut self, fault: HeaderFault) -> Verdict {
        let e = self.fault_error(fault);
        match fault {
            HeaderFault::TooLong(length) if self.layout.oversize == Oversize::Discard => {
                self.state = State::Discard { remaining: length };
                Verdict::Discard(self.err(DecodeErrorKind::Discarded { length }))
            }
            _ if self.layout.resync => {
                self.state = State::Resync {
                    skipped: 0,
                    from: self.frame_start,
                };
                Verdict::Resync
            }
            _ => Verdict::Fail(self.fail(e)),
        }
    }

    /// Whether a resync may stop at a header: valid, or oversized under the
    /// discard policy.
    fn acceptable(&self, header: &[u8]) -> bool {
        match self.check(header) {
            Ok(_) => true,
            Err(HeaderFault::TooLong(_)) => self.layout.oversize == Oversize::Discard,
            Err(_) => false,
        }
    }

    fn consume<'a>(&mut self, input: &mut &'a [u8], n: usize) -> &'a [u8] {
        let (taken, rest) = input.split_at(n.min(input.len()));
        *input = rest;
        self.pos += taken.len() as u64;
        taken
    }

    /// Appends `bytes` to the buffer. Callers stay within the capacity
    /// checked before, so only a `Buffer` that breaks its promise fails here;
    /// that is reported rather than losing bytes.
    fn push(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let pushed = match bytes {
            [byte] => self.buf.push(*byte),
            _ => self.buf.extend_from_slice(bytes),
        };
        if pushed.is_err() {
            let e = self.err(DecodeErrorKind::FrameTooLarge {
                needed: (self.buf.len() + bytes.len()) as u64,
                capacity: self.buf.capacity(),
            });
            return Err(self.fail(e));
        }
        Ok(())
    }

    /// Moves up to `n` bytes of the input into the buffer.
    fn stash(&mut self, input: &mut &[u8], n: usize) -> Result<(), DecodeError> {
        let n = n.min(input.len());
        self.push(&input[..n])?;
        self.consume(input, n);
        Ok(())
    }

    /// A healthy whole-frame decoder inside a payload with `remaining` bytes
    /// to come: moves what the input holds of them into the buffer, and
    /// delivers the frame from the buffer once it is complete.
    #[inline(always)]
    fn fill(&mut self, input: &mut &[u8], remaining: u64) -> Result<Option<Ready>, DecodeError> {
        let n = sat(remaining).min(input.len());
        let (piece, rest) = input.split_at(n);
        self.push(piece)?;
        *input = rest;
        self.pos += n as u64;
        if (n as u64) < remaining {
            self.state = State::Payload {
                remaining: remaining - n as u64,
            };
            // The rest takes the filling path.
            self.filling = true;
            return Ok(None);
        }
        self.state = State::Header;
        self.delivered = true;
        self.settle();
        Ok(Some(Ready::Buffer))
    }

    /// The slow paths: everything but a whole frame at the start of `input`.
    /// Returns a step, `Ok(None)` when the input is used up.
    fn step(
        &mut self,
        input: &mut &[u8],
        origin: usize,
        stream: bool,
    ) -> Result<Option<Step>, DecodeError> {
        let hlen = self.layout.header_len;
        loop {
            match self.state {
                State::Header => {
                    let have = self.buf.len();
                    if have == 0 {
                        if input.is_empty() {
                            return Ok(None);
                        }
                        self.frame_start = self.pos;
                        if input.len() >= hlen {
                            match self.check(&input[..hlen]) {
                                Ok(payload) => {
                                    let total = hlen + sat(payload);
                                    if !stream && input.len() >= total {
                                        let start = origin - input.len();
                                        self.consume(input, total);
                                        return Ok(Some(Step::Frame(Ready::Input {
                                            start,
                                            len: total,
                                        })));
                                    }
                                    if stream {
                                        let start = origin - input.len();
                                        self.consume(input, hlen);
                                        self.state = State::Payload { remaining: payload };
                                        return Ok(Some(Step::Header(Ready::Input {
                                            start,
                                            len: hlen,
                                        })));
                                    }
                                    self.stash(input, hlen)?;
                                    self.state = State::Payload { remaining: payload };
                                    continue;
                                }
                                Err(fault) => match self.judge(fault) {
                                    Verdict::Discard(e) => {
                                        self.consume(input, hlen);
                                        return Err(e);
                                    }
                                    Verdict::Resync => {
                                        self.consume(input, 1);
                                        self.bump_skipped(1);
                                        continue;
                                    }
                                    Verdict::Fail(e) => return Err(e),
                                },
                            }
                        }
                        let n = input.len();
                        self.stash(input, n)?;
                        return Ok(None);
                    }
                    let n = (hlen - have).min(input.len());
                    self.stash(input, n)?;
                    if self.buf.len() < hlen {
                        return Ok(None);
                    }
                    match self.check(self.buf.as_slice()) {
                        Ok(payload) => {
                            self.state = State::Payload { remaining: payload };
                            if stream {
                                self.delivered = true;
                                return Ok(Some(Step::Header(Ready::Buffer)));
                            }
                        }
                        Err(fault) => match self.judge(fault) {
                            Verdict::Discard(e) => {
                                self.buf.clear();
                                return Err(e);
                            }
                            Verdict::Resync => {
                                self.buf.drop_front(1);
                                self.bump_skipped(1);
                            }
                            Verdict::Fail(e) => return Err(e),
                        },
                    }
                }
                State::Payload { remaining } => {
                    if stream {
                        if remaining == 0 {
                            self.state = State::Header;
                            return Ok(Some(Step::End));
                        }
                        if input.is_empty() {
                            return Ok(None);
                        }
                        let start = origin - input.len();
                        let piece = self.consume(input, sat(remaining));
                        self.state = State::Payload {
                            remaining: remaining - piece.len() as u64,
                        };
                        return Ok(Some(Step::Piece {
                            start,
                            len: piece.len(),
                        }));
                    }
                    let n = sat(remaining).min(input.len());
                    self.stash(input, n)?;
                    let remaining = remaining - n as u64;
                    if remaining > 0 {
                        self.state = State::Payload { remaining };
                        return Ok(None);
                    }
                    self.state = State::Header;
                    self.delivered = true;
                    return Ok(Some(Step::Frame(Ready::Buffer)));
                }
                State::Discard { remaining } => {
                    let n = self.consume(input, sat(remaining)).len() as u64;
                    if n < remaining {
                        self.state = State::Discard {
                            remaining: remaining - n,
                        };
                        return Ok(None);
                    }
                    self.state = State::Header;
                }
                State::Resync { .. } => {
                    if !self.resync(input)? {
                        return Ok(None);
                    }
                    if let State::Resync { skipped, from } = self.state {
                        self.state = State::Header;
                        return Err(DecodeError {
                            kind: DecodeErrorKind::Skipped { bytes: skipped },
                            offset: from,
                        });
                    }
                }
            }
        }
    }

    fn bump_skipped(&mut self, n: u64) {
        if let State::Resync { skipped, .. } = &mut self.state {
            *skipped += n;
        }
    }

    /// Slides a header-sized window one byte at a time until it holds an
    /// acceptable header. Returns `true` when found (left in the buffer or at
    /// the start of `input`), `false` when the input is used up.
    fn resync(&mut self, input: &mut &[u8]) -> Result<bool, DecodeError> {
        let hlen = self.layout.header_len;
        // Windows that begin in the buffer: test each with the input's bytes
        // appended, without consuming them until one passes.
        while !self.buf.is_empty() {
            let have = self.buf.len();
            let need = hlen - have;
            if input.len() < need {
                let n = input.len();
                self.stash(input, n)?;
                return Ok(false);
            }
            // Test the window in place; its input bytes are consumed only
            // if it passes.
            self.push(&input[..need])?;
            if self.acceptable(self.buf.as_slice()) {
                self.consume(input, need);
                self.frame_start = self.pos - hlen as u64;
                return Ok(true);
            }
            self.buf.truncate(have);
            self.buf.drop_front(1);
            self.bump_skipped(1);
        }
        // Windows that lie in the input: no copying.
        let mut i = 0;
        while input.len() - i >= hlen {
            if self.acceptable(&input[i..i + hlen]) {
                self.consume(input, i);
                self.bump_skipped(i as u64);
                return Ok(true);
            }
            i += 1;
        }
        self.consume(input, i);
        self.bump_skipped(i as u64);
        let n = input.len();
        self.stash(input, n)?;
        Ok(false)
    }

    fn finish(&mut self) -> Result<(), DecodeError> {
        let result = self.finish_inner();
        self.settle();
        result
    }

    fn finish_inner(&mut self) -> Result<(), DecodeError> {
        self.begin()?;
        let hlen = self.layout.header_len as u64;
        let kind = match self.state {
            State::Header if self.buf.is_empty() => return Ok(()),
            State::Header => DecodeErrorKind::Truncated {
                missing: hlen - self.buf.len() as u64,
                in_header: true,
            },
            State::Payload { remaining: 0 } => return Ok(()),
            State::Payload { remaining } | State::Discard { remaining } => {
                DecodeErrorKind::Truncated {
                    missing: remaining,
                    in_header: false,
                }
            }
            State::Resync { skipped, from } => {
                let bytes = skipped + self.buf.len() as u64;
                self.buf.clear();
                self.state = State::Header;
                return Err(DecodeError {
                    kind: DecodeErrorKind::Skipped { bytes },
                    offset: from,
                });
            }
        };
        let e = self.err(kind);
        Err(self.fail(e))
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.state = State::Header;
        self.failed = None;
        self.delivered = false;
        self.settle();
    }
}

enum Step {
    Frame(Ready),
    Header(Ready),
    Piece { start: usize, len: usize },
    End,
}

/// The whole-frame decoder: returns each frame's header and payload.
///
/// A frame that lies whole in the chunk is returned as slices of the chunk
/// (no copy); one that straddles chunks is assembled in the buffer `B`. A
/// frame whose header and payload exceed the buffer's capacity is
/// [`FrameTooLarge`](DecodeErrorKind::FrameTooLarge) whatever the chunking,
/// so results never depend on how the stream was split.
///
/// ```
/// use framing_core::{Decoder, Layout};
///
/// const LAYOUT: Layout = Layout::new("!H");
/// let mut decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
///
/// let mut frames = Vec::new();
/// for chunk in [&b"\x00\x03abc\x00"[..], b"\x02d", b"e"] {
///     let mut chunk = chunk;
///     while let Some(frame) = decoder.decode(&mut chunk)? {
///         frames.push(frame.payload().to_vec());
///     }
/// }
/// decoder.finish()?; // ended on a frame boundary
/// assert_eq!(frames, [b"abc".to_vec(), b"de".to_vec()]);
/// # Ok::<(), framing_core::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder<B> {
    core: Core<B>,
}

impl<B: Buffer> Decoder<B> {
    /// A decoder for `layout` that assembles straddling frames in `buffer`.
    pub fn new(layout: Layout, buffer: B) -> Self {
        Decoder {
            core: Core::new(layout, buffer, false),
        }
    }

    /// Decodes the next frame from `input`, advancing it past the bytes used.
    ///
    /// `Ok(None)`: `input` is used up (kept in the buffer if part of a frame);
    /// feed the next chunk.
    ///
    /// # Errors
    /// A [`DecodeError`]. If [recoverable](DecodeError::is_recoverable), call
    /// again to go on; otherwise the decoder is failed and returns the same
    /// error until [`reset`](Self::reset).
    #[inline(always)]
    pub fn decode<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Frame<'s>>, DecodeError> {
        if let Some(total) = self.core.frame_at(input) {
            let (frame, rest) = input.split_at(total);
            *input = rest;
            // No `frame_start`: only errors read it, and every path that
            // starts a frame it could be needed for sets it.
            self.core.pos += total as u64;
            let (header, payload) = frame.split_at(self.core.layout.header_len);
            return Ok(Some(Frame::new(
                Header::new(header, &self.core.layout),
                payload,
            )));
        }
        let origin: &'a [u8] = input;
        match self.poll_slow(input)? {
            Some(ready) => Ok(self.frame(origin, ready)),
            None => Ok(None),
        }
    }

    /// Like [`decode`](Self::decode), for the last bytes of the stream: once
    /// `input` holds no more whole frames it declares the end of the stream,
    /// as [`finish`](Self::finish) does, instead of keeping what is left.
    /// `Ok(None)` when the stream ended on a frame boundary.
    ///
    /// For adapters that held back the start of a frame (see
    /// [`frame_len`](Self::frame_len)) and then met the end of the stream:
    /// the result is what feeding those bytes and calling `finish` gives,
    /// without copying them into the buffer.
    ///
    /// ```
    /// use framing_core::{Decoder, DecodeErrorKind, Layout};
    ///
    /// let mut decoder = Decoder::new(Layout::new("!H"), heapless::Vec::<u8, 64>::new());
    /// let mut input = &b"\x00\x01a\x00\x05hel"[..];
    /// assert_eq!(decoder.decode_eof(&mut input)?.unwrap().payload(), b"a");
    /// let e = decoder.decode_eof(&mut input).unwrap_err();
    /// assert_eq!(e.kind(), DecodeErrorKind::Truncated { missing: 2, in_header: false });
    /// assert_eq!(e.offset(), 3);
    /// # Ok::<(), framing_core::DecodeError>(())
    /// ```
    ///
    /// # Errors
    /// As [`decode`](Self::decode), and as [`finish`](Self::finish) at the
    /// end of `input`.
    pub fn decode_eof<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Frame<'s>>, DecodeError> {
        let c = &mut self.core;
        if c.idle && !input.is_empty() && c.frame_at(input).is_none() {
            let hlen = c.layout.header_len;
            let truncated = if input.len() < hlen {
                Some((hlen - input.len(), true))
            } else {
                c.frame_len(input).map(|total| (total - input.len(), false))
            };
            // The start of a frame and nothing more: truncated, no copy.
            if let Some((missing, in_header)) = truncated {
                c.frame_start = c.pos;
                c.consume(input, input.len());
                let e = c.err(DecodeErrorKind::Truncated {
                    missing: missing as u64,
                    in_header,
                });
                c.fail(e);
                c.settle();
                return Err(e);
            }
        }
        let origin: &'a [u8] = input;
        match self.poll(input)? {
            Some(ready) => Ok(self.frame(origin, ready)),
            None => self.finish().map(|()| None),
        }
    }

    /// The length, header and payload, of the frame at the start of `input`,
    /// when this decoder holds nothing (between frames, not failed) and
    /// `input` begins with a whole header that passes every check. `None`
    /// otherwise; [`decode`](Self::decode) then reports what is wrong, or
    /// keeps what is partial.
    ///
    /// For adapters that own their read buffer: with the length known from
    /// the header, they can make room for the whole frame and read the rest
    /// after it, so the frame arrives whole and `decode` returns it without a
    /// copy (tokio-util's `FramedRead` reserves room the same way).
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// let decoder = Decoder::new(Layout::new("!H"), heapless::Vec::<u8, 64>::new());
    /// assert_eq!(decoder.frame_len(b"\x00\x05he"), Some(7)); // 2 + 5, partial
    /// assert_eq!(decoder.frame_len(b"\x00"), None); // no whole header yet
    /// assert_eq!(decoder.frame_len(b"\x01\x00"), None); // 256: over the buffer
    /// ```
    #[inline]
    pub fn frame_len(&self, input: &[u8]) -> Option<usize> {
        self.core.frame_len(input)
    }

    /// Like [`decode`](Self::decode), but returns where the frame is instead
    /// of borrowing it; [`frame`](Self::frame) turns that into a [`Frame`].
    /// For adapters that must read more between frames.
    ///
    /// # Errors
    /// As [`decode`](Self::decode).
    #[inline]
    pub fn poll(&mut self, input: &mut &[u8]) -> Result<Option<Ready>, DecodeError> {
        if let Some(ready) = self.take_whole(input) {
            return Ok(Some(ready));
        }
        self.poll_slow(input)
    }

    /// How many bytes, counted from the start of `input`, the next frame
    /// needs before [`take_whole`](Self::take_whole) can take it: the
    /// header's length while `input` holds less than a header, then the
    /// frame's ([`frame_len`](Self::frame_len)). `None` when `input` must go
    /// to [`poll`](Self::poll) instead: the header is bad (`poll` says why),
    /// or the decoder is not between frames (it holds part of a frame, is
    /// skipping or resynchronising, or has failed).
    ///
    /// The one question an adapter that keeps partial frames in its own
    /// buffer asks before reading more.
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// let decoder = Decoder::new(Layout::new("!H"), heapless::Vec::<u8, 64>::new());
    /// assert_eq!(decoder.needs(b""), Some(2)); // a header first
    /// assert_eq!(decoder.needs(b"\x00\x05he"), Some(7)); // then the frame
    /// assert_eq!(decoder.needs(b"\x01\x00"), None); // 256: over the buffer
    /// ```
    #[inline]
    pub fn needs(&self, input: &[u8]) -> Option<usize> {
        let c = &self.core;
        if !c.idle {
            return None;
        }
        if input.len() < c.layout.header_len {
            return Some(c.layout.header_len);
        }
        c.frame_len(input)
    }

    /// Takes the frame that lies whole at the start of `input`, if the
    /// decoder holds nothing and its header passes every check: advances
    /// `input` past it and returns where it was, for [`frame`](Self::frame).
    /// `None` otherwise, consuming and buffering nothing: the caller can read
    /// the rest of a partial frame after it in its own buffer
    /// ([`frame_len`](Self::frame_len) says how long it is), or hand the
    /// input to [`poll`](Self::poll), which keeps what is partial and
    /// reports a bad header.
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// let mut decoder = Decoder::new(Layout::new("!H"), heapless::Vec::<u8, 64>::new());
    /// let chunk = &b"\x00\x01a\x00\x03bc"[..];
    /// let mut input = chunk;
    /// let ready = decoder.take_whole(&mut input).unwrap();
    /// assert_eq!(decoder.frame(chunk, ready).unwrap().payload(), b"a");
    /// assert_eq!(decoder.take_whole(&mut input), None); // "bc" is not all of it
    /// assert_eq!(input, b"\x00\x03bc"); // nothing taken
    /// assert_eq!(decoder.frame_len(input), Some(5));
    /// ```
    #[inline]
    pub fn take_whole(&mut self, input: &mut &[u8]) -> Option<Ready> {
        let c = &mut self.core;
        let total = c.frame_at(input)?;
        *input = &input[total..];
        // As in `decode`: a whole frame needs no `frame_start`.
        c.pos += total as u64;
        Some(Ready::Input {
            start: 0,
            len: total,
        })
    }

    /// Everything but a whole frame at the start of an idle decoder's input.
    #[inline]
    fn poll_slow(&mut self, input: &mut &[u8]) -> Result<Option<Ready>, DecodeError> {
        let c = &mut self.core;
        // The most frequent slow case, in small chunks: more of a payload.
        if c.filling {
            if let State::Payload { remaining } = c.state {
                return c.fill(input, remaining);
            }
        }
        // The common slow cases, kept lean: a frame being assembled in the
        // buffer gets more bytes. Anything unusual (a bad header, a policy at
        // work, a failure) goes down the general path below.
        if c.failed.is_none() && c.limit >= c.layout.header_len {
            if c.delivered {
                c.buf.clear();
                c.delivered = false;
            }
            let hlen = c.layout.header_len;
            if c.state == State::Header {
                let have = c.buf.len();
                if have == 0 && input.len() < hlen {
                    // The start of a header split across chunks.
                    c.frame_start = c.pos;
                    let n = input.len();
                    c.stash(input, n)?;
                    c.settle();
                    return Ok(None);
                }
                if have == 0 {
                    if let Ok(payload) = c.check(&input[..hlen]) {
                        // A valid header: the frame starts in the input
                        // (or lies whole in it, which the fast path takes
                        // whenever the decoder is idle).
                        let total = hlen + sat(payload);
                        c.frame_start = c.pos;
                        if input.len() >= total {
                            *input = &input[total..];
                            c.pos += total as u64;
                            c.settle();
                            return Ok(Some(Ready::Input {
                                start: 0,
                                len: total,
                            }));
                        }
                        let n = input.len();
                        c.stash(input, n)?;
                        c.state = State::Payload {
                            remaining: (total - n) as u64,
                        };
                        c.settle();
                        return Ok(None);
                    }
                }
                if have > 0 {
                    let n = (hlen - have).min(input.len());
                    c.stash(input, n)?;
                    if c.buf.len() < hlen {
                        return Ok(None);
                    }
                    if let Ok(payload) = c.check(c.buf.as_slice()) {
                        c.state = State::Payload { remaining: payload };
                    }
                }
            }
            if let State::Payload { remaining } = c.state {
                return c.fill(input, remaining);
            }
        }
        self.poll_general(input)
    }

    /// The state machine in full: bad headers, policies, failures, and the
    /// first bytes of a frame.
    #[inline(never)]
    fn poll_general(&mut self, input: &mut &[u8]) -> Result<Option<Ready>, DecodeError> {
        let c = &mut self.core;
        let result = c.begin().and_then(|()| c.step(input, input.len(), false));
        c.settle();
        match result? {
            Some(Step::Frame(r)) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    /// The frame `poll` found. `input` must be the slice as it was passed to
    /// that `poll` call; `None` if it cannot hold the frame.
    pub fn frame<'a>(&'a self, input: &'a [u8], ready: Ready) -> Option<Frame<'a>> {
        let hlen = self.core.layout.header_len;
        let bytes = match ready {
            Ready::Input { start, len } => input.get(start..start.checked_add(len)?)?,
            Ready::Buffer => self.core.buf.as_slice(),
        };
        let (header, payload) = bytes.split_at_checked(hlen)?;
        Some(Frame::new(Header::new(header, &self.core.layout), payload))
    }

    /// Declares the end of the stream.
    ///
    /// # Errors
    /// [`Truncated`](DecodeErrorKind::Truncated) if the stream ended inside a
    /// frame (the decoder is then failed); [`Skipped`](DecodeErrorKind::Skipped)
    /// if it ended while resynchronising; the stored error if already failed.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        self.core.finish()
    }

    /// Forgets any partial frame and any failure; offsets keep counting.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.core.layout
    }

    /// Stream offset of the next byte to be fed.
    pub fn position(&self) -> u64 {
        self.core.pos
    }

    /// Whether the decoder is between frames (nothing partial held).
    pub fn is_at_boundary(&self) -> bool {
        self.core.state == State::Header && (self.core.delivered || self.core.buf.is_empty())
    }

    /// The stored unrecoverable error, if any.
    pub fn failure(&self) -> Option<DecodeError> {
        self.core.failed
    }

    /// The buffer (holding the partial frame, if any).
    pub fn buffer(&self) -> &B {
        &self.core.buf
    }

    /// The buffer, given back.
    pub fn into_buffer(self) -> B {
        self.core.buf
    }
}

/// The streaming decoder: each frame as [`Event::Header`], payload pieces
/// borrowed from the input, and [`Event::End`]. Nothing but a header split
/// across chunks is ever copied, so frames of any size (up to the layout's
/// maximum) pass through a buffer of header size.
///
/// ```
/// use framing_core::{Event, Layout, StreamDecoder};
///
/// let layout = Layout::builder("<I").max_payload(u64::MAX).build_or_panic();
/// let mut decoder = StreamDecoder::new(layout, heapless::Vec::<u8, 4>::new());
/// let mut total = 0;
/// for chunk in [&b"\x05\x00"[..], b"\x00\x00hel", b"lo"] {
///     let mut chunk = chunk;
///     while let Some(event) = decoder.next(&mut chunk)? {
///         match event {
///             Event::Header(h) => assert_eq!(h.length_value(), 5),
///             Event::Payload(piece) => total += piece.len(), // "hel", then "lo"
///             Event::End => assert_eq!(total, 5),
///         }
///     }
/// }
/// decoder.finish()?;
/// # Ok::<(), framing_core::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct StreamDecoder<B> {
    core: Core<B>,
}

impl<B: Buffer> StreamDecoder<B> {
    /// A streaming decoder for `layout`; `buffer` needs room for one header.
    pub fn new(layout: Layout, buffer: B) -> Self {
        StreamDecoder {
            core: Core::new(layout, buffer, true),
        }
    }

    /// The next event from `input`, advancing it past the bytes used.
    ///
    /// # Errors
    /// As [`Decoder::decode`].
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Event<'s>>, DecodeError> {
        let origin: &'a [u8] = input;
        match self.poll(input)? {
            Some(at) => Ok(self.event(origin, at)),
            None => Ok(None),
        }
    }

    /// Like [`next`](Self::next), but returns where the event is; turn it
    /// into an [`Event`] with [`event`](Self::event).
    ///
    /// # Errors
    /// As [`Decoder::decode`].
    #[inline]
    pub fn poll(&mut self, input: &mut &[u8]) -> Result<Option<EventAt>, DecodeError> {
        let c = &mut self.core;
        if let Some(payload) = c.header_at(input) {
            let hlen = c.layout.header_len;
            *input = &input[hlen..];
            c.frame_start = c.pos;
            c.pos += hlen as u64;
            c.state = State::Payload { remaining: payload };
            c.idle = false;
            c.quick_limit = 0;
            return Ok(Some(EventAt::Header(Ready::Input {
                start: 0,
                len: hlen,
            })));
        }
        // Lean: the next payload piece, or the end of the payload.
        if let (State::Payload { remaining }, None) = (c.state, c.failed) {
            if c.delivered {
                c.buf.clear();
                c.delivered = false;
            }
            if remaining == 0 {
                c.state = State::Header;
                c.settle();
                return Ok(Some(EventAt::End));
            }
            if input.is_empty() {
                return Ok(None);
            }
            let len = sat(remaining).min(input.len());
            *input = &input[len..];
            c.pos += len as u64;
            c.state = State::Payload {
                remaining: remaining - len as u64,
            };
            return Ok(Some(EventAt::Payload { start: 0, len }));
        }
        self.poll_general(input)
    }

    /// The state machine in full.
    #[inline(never)]
    fn poll_general(&mut self, input: &mut &[u8]) -> Result<Option<EventAt>, DecodeError> {
        let c = &mut self.core;
        let result = c.begin().and_then(|()| c.step(input, input.len(), true));
        c.settle();
        Ok(match result? {
            Some(Step::Header(r)) => Some(EventAt::Header(r)),
            Some(Step::Piece { start, len }) => Some(EventAt::Payload { start, len }),
            Some(Step::End) => Some(EventAt::End),
            Some(Step::Frame(_)) | None => None,
        })
    }

    /// The event `poll` found. `input` must be the slice as it was passed to
    /// that `poll` call; `None` if it cannot hold the event.
    #[inline]
    pub fn event<'a>(&'a self, input: &'a [u8], at: EventAt) -> Option<Event<'a>> {
        Some(match at {
            EventAt::Header(Ready::Input { start, len }) => Event::Header(Header::new_checked(
                input.get(start..)?.get(..len)?,
                &self.core.layout,
            )?),
            EventAt::Header(Ready::Buffer) => Event::Header(Header::new_checked(
                self.core.buf.as_slice(),
                &self.core.layout,
            )?),
            EventAt::Payload { start, len } => Event::Payload(input.get(start..)?.get(..len)?),
            EventAt::End => Event::End,
        })
    }

    /// Declares the end of the stream. A frame whose header was delivered but
    /// whose payload is incomplete is truncated.
    ///
    /// # Errors
    /// As [`Decoder::finish`].
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        self.core.finish()
    }

    /// Forgets any partial frame and any failure; offsets keep counting.
    pub fn reset(&mut self) {
        self.core.reset();
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.core.layout
    }

    /// Stream offset of the next byte to be fed.
    pub fn position(&self) -> u64 {
        self.core.pos
    }

    /// Payload bytes still to come for the current frame, if inside one.
    pub fn remaining(&self) -> Option<u64> {
        match self.core.state {
            State::Payload { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// The stored unrecoverable error, if any.
    pub fn failure(&self) -> Option<DecodeError> {
        self.core.failed
    }

    /// The buffer (holding a partial header, if any).
    pub fn buffer(&self) -> &B {
        &self.core.buf
    }

    /// The buffer, given back.
    pub fn into_buffer(self) -> B {
        self.core.buf
    }
}
