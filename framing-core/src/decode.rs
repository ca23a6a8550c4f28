//! How bytes become frames: one state machine, fed chunks of any size.
//!
//! Both decoders are the same machine. [`Decoder`] assembles a frame that
//! straddles chunks in its buffer and hands out whole frames; [`StreamDecoder`]
//! hands out the header, then payload pieces as they arrive, then an end
//! marker, and buffers nothing but a header split across chunks.
//!
//! # The machine
//!
//! Every call offers the machine a chunk (`input`) and returns at most one
//! item, with the number of bytes it consumed ([`Fed`]). An item is a frame,
//! a header, a payload piece, an end marker or a recovery report
//! ([`Recovery`]); `Err` only ever means the stream is broken. "Head" is the
//! fixed header of a [`Layout`]; "body" its payload.
//!
//! ```text
//!                 whole valid frame in input (I1)
//!              +-------------------------------+
//!              v                               |
//!   reset -> Idle --- partial head (I3) ---> Head --- head valid (H2) ---> Body
//!            ^  ^ \                           |  \                        |
//!            |  |  `-- bad head (I4/H3) --> Resync / Discard / Failed    |
//!            |  `------------- body complete, frame lent (B1) --- Lent <-+
//!            `------------------------------------------------------'
//! ```
//!
//! | state | input | consumes | next state | returns |
//! |---|---|---|---|---|
//! | `Idle` | empty | nothing | `Idle` | `None` (with `last`: the clean end) |
//! | `Idle` | I1: a valid head, whole frame in input (whole mode) | the frame | `Idle` | frame, borrowed from input |
//! | `Idle` | I2: a valid head (stream mode) | the head | `Body` | header, borrowed from input |
//! | `Idle` | I2': a valid head, frame not whole (whole mode) | all | `Body` | `None` (head and body bytes buffered) |
//! | `Idle` | I3: part of a head | all | `Head` | `None` (bytes buffered) |
//! | `Idle` / `Head` | I4/H3: a bad head | see [judging a bad head](#judging-a-bad-head) | | |
//! | `Head` | H1: more of the head | up to the head's end | `Head` | `None` |
//! | `Head` | H2: the head completes, valid | up to the head's end | `Body` | stream mode: header, lent from the buffer |
//! | `Body` | B1: the rest of the body (whole mode) | up to the body's end | `Lent` | frame, lent from the buffer |
//! | `Body` | B2: part of the body (whole mode) | all | `Body` | `None` (bytes buffered) |
//! | `Body` | B3: body bytes (stream mode) | up to the body's end | `Body` | a payload piece, borrowed from input (`None` if the input is empty) |
//! | `Body` | B4: 0 bytes left (stream mode) | nothing | `Idle` | end marker |
//! | `Lent` | anything | nothing | `Idle` | (goes on: the buffer is cleared) |
//! | `Discard` | body bytes | up to the body's end | `Discard` or `Idle` | `None` / (goes on) |
//! | `Resync` | bytes | up to a valid head | `Idle` or `Head` | report: bytes skipped |
//! | `Failed` | anything | nothing | `Failed` | the same `Err` |
//! | any but `Idle` | the end (`last`), nothing more to do | all | `Failed` | `Err(Truncated)` (in `Resync`: a last report) |
//!
//! ## Judging a bad head
//! Under [`Oversize::Discard`], a head whose body is too long (above the
//! layout's maximum, or for whole frames above the buffer) is consumed and
//! reported ([`Recovery::Discarded`]); its body is then skipped unbuffered
//! (`Discard`). Else, with [`resync`](crate::LayoutBuilder::resync) on, its
//! first byte is skipped and `Resync` slides a head-sized window forward
//! until it holds an acceptable head, then reports the bytes skipped
//! ([`Recovery::Skipped`]). Else the machine is `Failed` with the error,
//! consuming nothing more.
//!
//! ## The shortcuts
//! A few transitions carry nearly all the traffic: I1 (a whole frame in the
//! input), I2 and B3 (a header, a payload piece, in stream mode), I2', I3,
//! H1 and B2 (a chunk that ends inside a frame) and B1 (the chunk that
//! completes one). [`Decoder::feed`] takes them first, each in the state the
//! table says and leaving the state the table says, written without the
//! general loop; everything else (and these too, when a guard fails) goes
//! to the general step. I1 needs one comparison where the layout allows it:
//! for a layout without constants or adjust, a header is valid and its
//! frame fits exactly when its length value is below `fast_limit`, a
//! constant derived from the layout and the buffer when the decoder is
//! built and checked against the full validation by `debug_assert!`. No
//! shortcut keeps state of its own.

use core::borrow::Borrow;
use core::fmt;

use crate::buffer::Buffer;
use crate::header::{Frame, Header};
use crate::layout::{HeaderFault, Layout, Oversize};

/// Why decoding failed. After any of these the decoder stays failed and
/// returns the same error until [`reset`](Decoder::reset).
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
    /// the frame concerned.
    pub const fn offset(&self) -> u64 {
        self.offset
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
        }
    }
}

impl core::error::Error for DecodeError {}

/// A report that the layout's recovery policy dropped bytes and decoding
/// goes on: an item, like a frame, not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Recovery {
    /// An oversized frame ([`Oversize::Discard`]): its header was read and
    /// its payload is skipped without being buffered.
    Discarded {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The payload length announced, and skipped.
        length: u64,
    },
    /// Bytes skipped to find the next valid header
    /// ([`resync`](crate::LayoutBuilder::resync)), or left over at the end
    /// of the stream while looking for one.
    Skipped {
        /// Stream offset of the first byte skipped.
        offset: u64,
        /// How many bytes were skipped.
        bytes: u64,
    },
}

impl Recovery {
    /// Stream offset of the frame discarded, or of the first byte skipped.
    pub const fn offset(&self) -> u64 {
        match *self {
            Recovery::Discarded { offset, .. } | Recovery::Skipped { offset, .. } => offset,
        }
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Recovery::Discarded { offset, length } => write!(
                f,
                "frame at byte {offset}: discarded its oversized payload of {length} bytes"
            ),
            Recovery::Skipped { offset, bytes } => write!(
                f,
                "skipped {bytes} bytes from byte {offset} to find the next valid header"
            ),
        }
    }
}

/// What a [`Decoder`] returns: a frame, or a recovery report.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<'a> {
    /// A whole frame: borrowed from the input when it lay whole in it, else
    /// from the decoder's buffer.
    Frame(Frame<'a>),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

impl<'a> Decoded<'a> {
    /// The frame, if this is one.
    pub fn frame(self) -> Option<Frame<'a>> {
        match self {
            Decoded::Frame(frame) => Some(frame),
            Decoded::Recovered(_) => None,
        }
    }

    /// The recovery report, if this is one.
    pub fn recovery(&self) -> Option<Recovery> {
        match self {
            Decoded::Frame(_) => None,
            Decoded::Recovered(r) => Some(*r),
        }
    }
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
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

/// What one call of the feed primitive found: an opaque handle that only a
/// decoder makes, turned into an item by [`Feed::item`] (for example
/// [`Decoder::item`]). It borrows nothing, so an adapter can find an item,
/// update its own bookkeeping, and only then borrow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found(Place);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In the input as fed: a whole frame (whole mode) or a header (stream mode).
    Input { start: usize, len: usize },
    /// In the decoder's buffer: a whole frame (whole mode) or a header (stream mode).
    Buffer,
    /// A payload piece in the input (stream mode).
    Piece { start: usize, len: usize },
    /// The end of a payload (stream mode).
    End,
    /// A recovery report.
    Recovered(Recovery),
}

impl Found {
    /// The recovery report, if this is one.
    pub const fn recovery(&self) -> Option<Recovery> {
        match self.0 {
            Place::Recovered(r) => Some(r),
            _ => None,
        }
    }
}

/// The result of the feed primitive: how many bytes of the input the decoder
/// consumed (always, whatever it found, error included), and what it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the consumed bytes must be dropped from the input"]
pub struct Fed {
    /// Bytes consumed from the start of the input: never feed them again.
    pub consumed: usize,
    /// `Ok(Some)`: an item (see [`Feed::item`]); `Ok(None)`: every byte was
    /// consumed and more are needed (or, with `last`, the stream ended
    /// cleanly); `Err`: the stream is broken.
    pub result: Result<Option<Found>, DecodeError>,
}

/// The feed primitive, as every adapter sees it: the one interface between
/// a decoder and the code that reads bytes (framing-std's readers, the tokio
/// codec, the embedded readers, [`Window`](crate::Window)).
///
/// For adapter authors; users call [`Decoder::decode`] or
/// [`StreamDecoder::decode`].
pub trait Feed {
    /// What the decoder hands out: [`Decoded`] or [`Event`].
    type Item<'a>
    where
        Self: 'a;

    /// Offers `input` (the unread window of the adapter's buffer); `last`
    /// says that no byte follows it (the end of the stream). Consumes what
    /// it uses and returns at most one item; see [`Fed`].
    fn feed(&mut self, input: &[u8], last: bool) -> Fed;

    /// Turns what [`feed`](Self::feed) found into an item.
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it (a bug in the adapter, never a matter of the bytes).
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Self::Item<'a>;

    /// How many bytes, from the start of `window`, the next item needs to
    /// lie whole in it, if the adapter may keep bytes back until then
    /// rather than feed them: `Some(n)` between frames (a header's length
    /// while `window` holds less, then the whole frame's), `None` when
    /// `window` must be fed now (the decoder holds part of a frame, the
    /// header is bad, or it cannot keep frames whole).
    fn needs(&self, window: &[u8]) -> Option<usize>;
}

/// Outcome of parsing a head: the one question the machine asks a framing.
enum Head {
    /// Not enough bytes: the head needs this many in all.
    Need(usize),
    /// A valid head of `len` bytes announcing a body of `body` bytes.
    Valid { len: usize, body: u64 },
    /// A head that fails a check.
    Bad(HeaderFault),
}

/// What a bad head leads to.
enum Verdict {
    /// Skip its body; the report goes out now.
    Discard(Recovery),
    /// Skip its first byte and look for the next valid head.
    Resync,
    /// Fatal.
    Fail(DecodeError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between frames; the buffer is empty.
    Idle,
    /// Whole mode: the buffer holds the frame last returned, lent out until
    /// the next call.
    Lent,
    /// The buffer holds the first bytes of a head (fewer than it needs, or
    /// a whole head found by resynchronising, not yet judged).
    Head,
    /// A valid head was read; `remaining` body bytes to come. Whole mode:
    /// the buffer holds the head and the body so far. Stream mode: it holds
    /// the header lent out (or nothing).
    Body { remaining: u64 },
    /// Skipping the body of an oversized frame.
    Discard { remaining: u64 },
    /// Looking for a valid head; the buffer holds bytes not yet tested as
    /// the start of one. `skipped` bytes dropped since stream offset `from`.
    Resync { skipped: u64, from: u64 },
    /// Broken: returns the error until reset.
    Failed(DecodeError),
}

/// `n` as `usize`, saturating (only ever compared with slice lengths).
fn sat(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The machine both decoders are. `STREAM` picks how bodies are delivered.
#[derive(Debug)]
struct Machine<L, B, const STREAM: bool> {
    layout: L,
    buf: B,
    state: State,
    /// Stream offset of the next input byte.
    pos: u64,
    /// Stream offset of the current frame's head (for errors and reports).
    frame_start: u64,
    /// For layouts whose length value is the body length (no constants, no
    /// adjust): one more than the largest length value whose frame is valid
    /// and fits; 0 for other layouts. Fixed when the decoder is built.
    fast_limit: u64,
}

impl<L: Borrow<Layout>, B: Buffer, const STREAM: bool> Machine<L, B, STREAM> {
    fn new(layout: L, buf: B) -> Self {
        let mut m = Machine {
            layout,
            buf,
            state: State::Idle,
            pos: 0,
            frame_start: 0,
            fast_limit: 0,
        };
        let l = m.layout.borrow();
        let hlen = l.header_len;
        if m.buf.capacity() < hlen {
            m.state = State::Failed(DecodeError {
                kind: DecodeErrorKind::BufferTooSmall {
                    header: hlen,
                    capacity: m.buf.capacity(),
                },
                offset: 0,
            });
        } else if l.n_constants == 0 && l.adjust == 0 {
            let (_, field_max) = crate::value::int_range(l.length.signed, l.length.width);
            let room = (m.limit() - hlen) as u64;
            let max = (field_max.min(i128::from(u64::MAX)) as u64)
                .min(l.max_payload)
                .min(room)
                .min(usize::MAX as u64 - hlen as u64);
            // `max` is below `u64::MAX`: `room` is at most `usize::MAX - hlen`.
            m.fast_limit = max.saturating_add(1);
        }
        m
    }

    #[inline(always)]
    fn layout(&self) -> &Layout {
        self.layout.borrow()
    }

    /// The largest head + body accepted: the buffer for whole frames.
    #[inline(always)]
    fn limit(&self) -> usize {
        if STREAM {
            usize::MAX
        } else {
            self.buf.capacity()
        }
    }

    /// Validates a head and the frame's size against the limit. Only called
    /// when not failed, so the buffer holds a head (`limit >= head_len`).
    #[inline(always)]
    fn check(&self, head: &[u8]) -> Result<u64, HeaderFault> {
        let l = self.layout();
        let body = l.check_header(head)?;
        if (self.limit() - l.header_len) < sat(body) {
            return Err(HeaderFault::TooLong(body));
        }
        Ok(body)
    }

    /// What the head at the start of `bytes` says.
    #[inline(always)]
    fn head(&self, bytes: &[u8]) -> Head {
        let hlen = self.layout().header_len;
        match bytes.get(..hlen) {
            None => Head::Need(hlen),
            Some(head) => match self.check(head) {
                Ok(body) => Head::Valid { len: hlen, body },
                Err(fault) => Head::Bad(fault),
            },
        }
    }

    /// The body length announced by a valid head lying whole at the start
    /// of `input`, for the shortcuts out of `Idle`; `None` sends the input
    /// to the general step (which reports any fault).
    #[inline(always)]
    fn valid_at(&self, input: &[u8]) -> Option<u64> {
        debug_assert!(self.state == State::Idle);
        let l = self.layout();
        let head = input.get(..l.header_len)?;
        if self.fast_limit != 0 {
            let raw = l.length.read(head)?;
            if raw >= self.fast_limit {
                return None;
            }
            // The invariant that makes one comparison enough.
            debug_assert_eq!(self.check(head), Ok(raw));
            Some(raw)
        } else {
            self.check(head).ok()
        }
    }

    /// The feed primitive: the shortcuts, then the general step.
    ///
    /// Each shortcut is one transition of the table, taken in the state the
    /// table says, with the same result and the same next state, written
    /// without the general loop; the guard beside each is the invariant
    /// that makes it valid. `step` takes every other case (and these too).
    #[inline(always)]
    fn feed(&mut self, input: &[u8], last: bool) -> Fed {
        if !STREAM && self.state == State::Lent {
            // Lent: the frame lent out is no longer borrowed; go on.
            self.buf.clear();
            self.state = State::Idle;
        }
        match self.state {
            State::Idle => {
                if let Some(body) = self.valid_at(input) {
                    let hlen = self.layout().header_len;
                    if STREAM {
                        // I2 (stream mode): a valid head.
                        self.frame_start = self.pos;
                        self.state = State::Body { remaining: body };
                        return self.found(
                            hlen,
                            Place::Input {
                                start: 0,
                                len: hlen,
                            },
                        );
                    }
                    // `check` bounds the body by `limit - hlen`: no overflow.
                    let total = hlen + sat(body);
                    if input.len() >= total {
                        // I1 (whole mode): a whole valid frame.
                        return self.found(
                            total,
                            Place::Input {
                                start: 0,
                                len: total,
                            },
                        );
                    }
                    if !last {
                        // I2' (whole mode): a valid head, the frame goes on.
                        self.frame_start = self.pos;
                        if let Err(e) = self.push(input) {
                            return self.out(0, Err(e));
                        }
                        self.state = State::Body {
                            remaining: (total - input.len()) as u64,
                        };
                        return self.out(input.len(), Ok(None));
                    }
                }
                if input.is_empty() {
                    // Nothing to do (with `last`: the clean end).
                    return self.out(0, Ok(None));
                }
                if let (Head::Need(_), false) = (self.head(input), last) {
                    // I3: part of a head.
                    self.frame_start = self.pos;
                    if let Err(e) = self.push(input) {
                        return self.out(0, Err(e));
                    }
                    self.state = State::Head;
                    return self.out(input.len(), Ok(None));
                }
            }
            // H1: the input ends before the head does (and the stream goes on).
            State::Head if !last => {
                let have = self.buf.len();
                if let Head::Need(n) = self.head(self.buf.as_slice()) {
                    if input.len() < n - have {
                        if let Err(e) = self.push(input) {
                            return self.out(0, Err(e));
                        }
                        return self.out(input.len(), Ok(None));
                    }
                }
            }
            // B2 (whole mode): the input ends before the body does.
            State::Body { remaining } if !STREAM && !last && (input.len() as u64) < remaining => {
                if let Err(e) = self.push(input) {
                    return self.out(0, Err(e));
                }
                self.state = State::Body {
                    remaining: remaining - input.len() as u64,
                };
                return self.out(input.len(), Ok(None));
            }
            // B1 (whole mode): the rest of the body; the frame is complete.
            State::Body { remaining } if !STREAM && (input.len() as u64) >= remaining => {
                // `remaining` is at most the input's length: a `usize`.
                let n = remaining as usize;
                if let Err(e) = self.push(&input[..n]) {
                    return self.out(0, Err(e));
                }
                self.state = State::Lent;
                return self.found(n, Place::Buffer);
            }
            // B3 (stream mode): the next piece of the body, or none yet.
            State::Body { remaining } if STREAM && remaining > 0 && !last => {
                if input.is_empty() {
                    return self.out(0, Ok(None));
                }
                let len = sat(remaining).min(input.len());
                self.state = State::Body {
                    remaining: remaining - len as u64,
                };
                return self.found(len, Place::Piece { start: 0, len });
            }
            _ => {}
        }
        self.step(input, last)
    }

    /// Ends a call: `consumed` bytes are gone.
    #[inline(always)]
    fn out(&mut self, consumed: usize, result: Result<Option<Found>, DecodeError>) -> Fed {
        self.pos += consumed as u64;
        self.debug_check();
        Fed { consumed, result }
    }

    /// Each state's invariant on the buffer, checked at the end of every
    /// call in debug builds.
    #[inline(always)]
    fn debug_check(&self) {
        if cfg!(debug_assertions) {
            let (have, hlen) = (self.buf.len(), self.layout().header_len);
            let holds = match self.state {
                State::Idle | State::Discard { .. } => have == 0,
                State::Lent => !STREAM && have >= hlen,
                State::Head => have > 0 && have <= hlen,
                State::Body { .. } if STREAM => have == 0 || have == hlen,
                State::Body { .. } => have >= hlen,
                State::Resync { .. } => have < hlen,
                State::Failed(_) => true,
            };
            debug_assert!(holds, "{:?} with {have} bytes buffered", self.state);
        }
    }

    #[inline(always)]
    fn found(&mut self, consumed: usize, place: Place) -> Fed {
        self.out(consumed, Ok(Some(Found(place))))
    }

    fn fail(&mut self, kind: DecodeErrorKind) -> DecodeError {
        let e = DecodeError {
            kind,
            offset: self.frame_start,
        };
        self.state = State::Failed(e);
        e
    }

    /// The stream ended inside a frame: every byte is consumed.
    #[cold]
    fn truncated(&mut self, consumed: usize, missing: u64, in_header: bool) -> Fed {
        let e = self.fail(DecodeErrorKind::Truncated { missing, in_header });
        self.out(consumed, Err(e))
    }

    /// Appends `bytes` to the buffer. Callers stay within the capacity
    /// checked before, so only a `Buffer` that breaks its promise fails
    /// here; that is reported rather than losing bytes.
    #[inline]
    fn push(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let pushed = match bytes {
            [] => Ok(()),
            [byte] => self.buf.push(*byte),
            _ => self.buf.extend_from_slice(bytes),
        };
        if pushed.is_err() {
            let needed = (self.buf.len() as u64).saturating_add(bytes.len() as u64);
            let capacity = self.buf.capacity();
            return Err(self.fail(DecodeErrorKind::FrameTooLarge { needed, capacity }));
        }
        Ok(())
    }

    /// Every transition but the shortcut, in one loop over the states.
    fn step(&mut self, input: &[u8], last: bool) -> Fed {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.state {
                State::Failed(e) => return self.out(at, Err(e)),
                State::Lent => {
                    debug_assert!(!STREAM);
                    self.buf.clear();
                    self.state = State::Idle;
                }
                State::Idle => {
                    debug_assert!(self.buf.is_empty());
                    if rest.is_empty() {
                        return self.out(at, Ok(None));
                    }
                    self.frame_start = self.pos + at as u64;
                    match self.head(rest) {
                        Head::Valid { len, body } if STREAM => {
                            // I2 (stream mode).
                            self.state = State::Body { remaining: body };
                            return self.found(at + len, Place::Input { start: at, len });
                        }
                        Head::Valid { len, body } => {
                            let total = len + sat(body);
                            if rest.len() >= total {
                                // I1, when the shortcut did not take it.
                                return self.found(
                                    at + total,
                                    Place::Input {
                                        start: at,
                                        len: total,
                                    },
                                );
                            }
                            let missing = (total - rest.len()) as u64;
                            if last {
                                return self.truncated(input.len(), missing, false);
                            }
                            // I2': the frame continues in later chunks.
                            if let Err(e) = self.push(rest) {
                                return self.out(at, Err(e));
                            }
                            self.state = State::Body { remaining: missing };
                            return self.out(input.len(), Ok(None));
                        }
                        Head::Need(n) => {
                            // I3.
                            let missing = (n - rest.len()) as u64;
                            if last {
                                return self.truncated(input.len(), missing, true);
                            }
                            if let Err(e) = self.push(rest) {
                                return self.out(at, Err(e));
                            }
                            self.state = State::Head;
                            return self.out(input.len(), Ok(None));
                        }
                        Head::Bad(fault) => match self.judge(fault) {
                            Verdict::Discard(report) => {
                                let hlen = self.layout().header_len;
                                return self.found(at + hlen, Place::Recovered(report));
                            }
                            Verdict::Resync => at += 1,
                            Verdict::Fail(e) => return self.out(at, Err(e)),
                        },
                    }
                }
                State::Head => match self.head(self.buf.as_slice()) {
                    Head::Need(n) => {
                        // H1.
                        let have = self.buf.len();
                        let take = (n - have).min(rest.len());
                        if take < n - have && last {
                            let missing = (n - have - take) as u64;
                            return self.truncated(input.len(), missing, true);
                        }
                        if let Err(e) = self.push(&rest[..take]) {
                            return self.out(at, Err(e));
                        }
                        at += take;
                        if self.buf.len() < n {
                            return self.out(at, Ok(None));
                        }
                    }
                    Head::Valid { body, .. } => {
                        // H2.
                        self.state = State::Body { remaining: body };
                        if STREAM {
                            return self.found(at, Place::Buffer);
                        }
                    }
                    Head::Bad(fault) => match self.judge(fault) {
                        Verdict::Discard(report) => {
                            self.buf.clear();
                            return self.found(at, Place::Recovered(report));
                        }
                        Verdict::Resync => self.buf.drop_front(1),
                        Verdict::Fail(e) => return self.out(at, Err(e)),
                    },
                },
                State::Body { remaining } if STREAM => {
                    if remaining == 0 {
                        // B4.
                        self.buf.clear();
                        self.state = State::Idle;
                        return self.found(at, Place::End);
                    }
                    if rest.is_empty() {
                        if last {
                            return self.truncated(at, remaining, false);
                        }
                        return self.out(at, Ok(None));
                    }
                    // B3.
                    let len = sat(remaining).min(rest.len());
                    self.state = State::Body {
                        remaining: remaining - len as u64,
                    };
                    return self.found(at + len, Place::Piece { start: at, len });
                }
                State::Body { remaining } => {
                    let n = sat(remaining).min(rest.len());
                    let left = remaining - n as u64;
                    if left > 0 && last {
                        return self.truncated(input.len(), left, false);
                    }
                    if let Err(e) = self.push(&rest[..n]) {
                        return self.out(at, Err(e));
                    }
                    at += n;
                    if left > 0 {
                        // B2.
                        self.state = State::Body { remaining: left };
                        return self.out(at, Ok(None));
                    }
                    // B1.
                    self.state = State::Lent;
                    return self.found(at, Place::Buffer);
                }
                State::Discard { remaining } => {
                    let n = sat(remaining).min(rest.len());
                    at += n;
                    let left = remaining - n as u64;
                    if left == 0 {
                        self.state = State::Idle;
                        continue;
                    }
                    self.state = State::Discard { remaining: left };
                    if last {
                        return self.truncated(at, left, false);
                    }
                    return self.out(at, Ok(None));
                }
                State::Resync { skipped, from } => {
                    let (used, found) = match self.resync(rest, last) {
                        Ok(r) => r,
                        Err(e) => return self.out(at, Err(e)),
                    };
                    at += used;
                    if !found {
                        return self.out(at, Ok(None));
                    }
                    // `resync` counted the bytes in the state.
                    let bytes = match self.state {
                        State::Resync { skipped, .. } => skipped,
                        _ => skipped,
                    };
                    self.state = if self.buf.is_empty() {
                        State::Idle
                    } else {
                        // The head it found is in the buffer, its last
                        // bytes the last consumed.
                        let hlen = self.layout().header_len as u64;
                        self.frame_start = self.pos + at as u64 - hlen;
                        State::Head
                    };
                    let report = Recovery::Skipped {
                        offset: from,
                        bytes,
                    };
                    return self.found(at, Place::Recovered(report));
                }
            }
        }
    }

    /// Decides what a bad head leads to and moves the state there; the
    /// caller consumes what the verdict says.
    #[cold]
    fn judge(&mut self, fault: HeaderFault) -> Verdict {
        let l = self.layout();
        let (oversize, resync) = (l.oversize, l.resync);
        match fault {
            HeaderFault::TooLong(length) if oversize == Oversize::Discard => {
                self.state = State::Discard { remaining: length };
                Verdict::Discard(Recovery::Discarded {
                    offset: self.frame_start,
                    length,
                })
            }
            _ if resync => {
                self.state = State::Resync {
                    skipped: 1,
                    from: self.frame_start,
                };
                Verdict::Resync
            }
            _ => Verdict::Fail(self.fail(self.fault_kind(fault))),
        }
    }

    fn fault_kind(&self, fault: HeaderFault) -> DecodeErrorKind {
        let l = self.layout();
        match fault {
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
                capacity: self.limit(),
            },
            HeaderFault::Constant(field) => DecodeErrorKind::ConstantMismatch { field },
        }
    }

    /// Whether resynchronising may stop at a head: valid, or oversized
    /// under the discard policy (which then skips its body).
    fn acceptable(&self, head: &[u8]) -> bool {
        match self.check(head) {
            Ok(_) => true,
            Err(HeaderFault::TooLong(_)) => self.layout().oversize == Oversize::Discard,
            Err(_) => false,
        }
    }

    fn skip(&mut self, n: u64) {
        if let State::Resync { skipped, .. } = &mut self.state {
            *skipped += n;
        }
    }

    /// The `Resync` state: slides a head-sized window one byte at a time
    /// until it holds an acceptable head (left in the buffer, or at the
    /// start of what is not consumed). Returns the bytes of `rest` consumed
    /// and whether to report: a head was found, or (with `last`) the stream
    /// ended and every byte left was skipped.
    fn resync(&mut self, rest: &[u8], last: bool) -> Result<(usize, bool), DecodeError> {
        let hlen = self.layout().header_len;
        // Windows that begin in the buffer: each is tested with the input's
        // bytes appended, which are consumed only if it passes.
        while !self.buf.is_empty() {
            let have = self.buf.len();
            let need = hlen - have;
            if rest.len() < need {
                if last {
                    self.skip((have + rest.len()) as u64);
                    self.buf.clear();
                    return Ok((rest.len(), true));
                }
                self.push(rest)?;
                return Ok((rest.len(), false));
            }
            self.push(&rest[..need])?;
            if self.acceptable(self.buf.as_slice()) {
                return Ok((need, true));
            }
            self.buf.truncate(have);
            self.buf.drop_front(1);
            self.skip(1);
        }
        // Windows that lie in the input: no copying.
        let mut i = 0;
        while rest.len() - i >= hlen {
            if self.acceptable(&rest[i..i + hlen]) {
                self.skip(i as u64);
                return Ok((i, true));
            }
            i += 1;
        }
        if last {
            self.skip(rest.len() as u64);
            return Ok((rest.len(), true));
        }
        self.skip(i as u64);
        self.push(&rest[i..])?;
        Ok((rest.len(), false))
    }

    /// Declares the end of the stream: the clean end, a last report, or
    /// `Truncated`.
    fn finish(&mut self) -> Result<Option<Recovery>, DecodeError> {
        let mut report = None;
        // At most three rounds: a pending end marker or report, then the end.
        loop {
            match self.step(&[], true).result? {
                None => return Ok(report),
                Some(Found(Place::Recovered(r))) => report = Some(r),
                Some(_) => {}
            }
        }
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.state = State::Idle;
        let hlen = self.layout().header_len;
        if self.buf.capacity() < hlen {
            self.frame_start = self.pos;
            self.fail(DecodeErrorKind::BufferTooSmall {
                header: hlen,
                capacity: self.buf.capacity(),
            });
        }
    }

    /// The [`Feed::needs`] question.
    #[inline]
    fn needs(&self, window: &[u8]) -> Option<usize> {
        // Between frames: `Lent` is `Idle` once the next call clears the
        // buffer, which `window` does not need.
        if STREAM || !matches!(self.state, State::Idle | State::Lent) {
            return None;
        }
        match self.head(window) {
            Head::Need(n) => Some(n),
            Head::Valid { len, body } => Some(len + sat(body)),
            Head::Bad(_) => None,
        }
    }

    fn is_at_boundary(&self) -> bool {
        matches!(self.state, State::Idle | State::Lent)
    }

    fn failure(&self) -> Option<DecodeError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// The whole-frame decoder: returns each frame's header and payload.
///
/// A frame that lies whole in the chunk is returned as slices of the chunk
/// (no copy); one that straddles chunks is assembled in the buffer `B`,
/// which must therefore hold a header plus the largest payload expected,
/// even for frames that are never copied: a longer frame is
/// [`FrameTooLarge`](DecodeErrorKind::FrameTooLarge) whatever the chunking,
/// so results never depend on how the stream was split.
///
/// `L` is the layout, owned (`Layout`) or shared (`&'static Layout`, an
/// `Arc<Layout>`): a decoder over `&LAYOUT` costs its buffer plus a few
/// words.
///
/// ```
/// use framing_core::{Decoded, Decoder, Layout};
///
/// const LAYOUT: Layout = Layout::new("!H");
/// let mut decoder = Decoder::new(&LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
///
/// let mut frames = Vec::new();
/// for chunk in [&b"\x00\x03abc\x00"[..], b"\x02d", b"e"] {
///     let mut chunk = chunk;
///     while let Some(item) = decoder.decode(&mut chunk)? {
///         if let Decoded::Frame(frame) = item {
///             frames.push(frame.payload().to_vec());
///         }
///     }
/// }
/// decoder.finish()?; // ended on a frame boundary
/// assert_eq!(frames, [b"abc".to_vec(), b"de".to_vec()]);
/// # Ok::<(), framing_core::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder<L, B> {
    machine: Machine<L, B, false>,
}

impl<L: Borrow<Layout>, B: Buffer> Decoder<L, B> {
    /// A decoder for `layout` that assembles straddling frames in `buffer`.
    /// A buffer smaller than a header makes a decoder that fails at once
    /// with [`BufferTooSmall`](DecodeErrorKind::BufferTooSmall).
    pub fn new(layout: L, buffer: B) -> Self {
        Decoder {
            machine: Machine::new(layout, buffer),
        }
    }

    /// Decodes the next frame (or recovery report) from `input`, advancing
    /// it past the bytes used.
    ///
    /// `Ok(None)`: `input` is used up (kept in the buffer if part of a
    /// frame); feed the next chunk.
    ///
    /// # Errors
    /// A [`DecodeError`]: the stream is broken, and the decoder returns the
    /// same error until [`reset`](Self::reset). Frames before it were
    /// returned.
    #[inline]
    pub fn decode<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Decoded<'s>>, DecodeError> {
        let origin: &'a [u8] = input;
        let fed = self.machine.feed(origin, false);
        *input = &origin[fed.consumed..];
        match fed.result? {
            Some(found) => Ok(Some(self.item(origin, found))),
            None => Ok(None),
        }
    }

    /// Declares the end of the stream. `Ok(None)`: it ended on a frame
    /// boundary. `Ok(Some(report))`: it ended while resynchronising, and the
    /// bytes left were skipped (a clean end after that).
    ///
    /// # Errors
    /// [`Truncated`](DecodeErrorKind::Truncated) if the stream ended inside a
    /// frame (the decoder is then failed); the stored error if failed.
    pub fn finish(&mut self) -> Result<Option<Recovery>, DecodeError> {
        self.machine.finish()
    }

    /// Forgets any partial frame and any failure; offsets keep counting.
    pub fn reset(&mut self) {
        self.machine.reset();
    }

    /// The feed primitive (for adapters): see [`Feed::feed`].
    #[inline(always)]
    pub fn feed(&mut self, input: &[u8], last: bool) -> Fed {
        self.machine.feed(input, last)
    }

    /// Turns what [`feed`](Self::feed) found into an item (for adapters).
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it.
    #[inline(always)]
    pub fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Decoded<'a> {
        let layout = self.machine.layout();
        let bytes = match found.0 {
            Place::Input { start, len } => &input[start..start + len],
            Place::Buffer => self.machine.buf.as_slice(),
            Place::Recovered(r) => return Decoded::Recovered(r),
            Place::Piece { .. } | Place::End => unreachable!("a stream item from a Decoder"),
        };
        let (header, payload) = bytes.split_at(layout.header_len);
        Decoded::Frame(Frame::new(Header::new(header, layout), payload))
    }

    /// See [`Feed::needs`] (for adapters).
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// let decoder = Decoder::new(Layout::new("!H"), framing_core::heapless::Vec::<u8, 64>::new());
    /// assert_eq!(decoder.needs(b""), Some(2)); // a header first
    /// assert_eq!(decoder.needs(b"\x00\x05he"), Some(7)); // then the frame
    /// assert_eq!(decoder.needs(b"\x01\x00"), None); // 256: over the buffer
    /// ```
    #[inline]
    pub fn needs(&self, window: &[u8]) -> Option<usize> {
        self.machine.needs(window)
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.machine.layout()
    }

    /// Stream offset of the next byte to be fed.
    pub fn position(&self) -> u64 {
        self.machine.pos
    }

    /// Whether the decoder is between frames (nothing partial held).
    pub fn is_at_boundary(&self) -> bool {
        self.machine.is_at_boundary()
    }

    /// The error the decoder is stopped by, if any.
    pub fn failure(&self) -> Option<DecodeError> {
        self.machine.failure()
    }

    /// The buffer (holding the partial frame, if any).
    pub fn buffer(&self) -> &B {
        &self.machine.buf
    }

    /// The buffer, given back.
    pub fn into_buffer(self) -> B {
        self.machine.buf
    }
}

impl<L: Borrow<Layout>, B: Buffer> Feed for Decoder<L, B> {
    type Item<'a>
        = Decoded<'a>
    where
        Self: 'a;

    #[inline(always)]
    fn feed(&mut self, input: &[u8], last: bool) -> Fed {
        Decoder::feed(self, input, last)
    }

    #[inline(always)]
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Decoded<'a> {
        Decoder::item(self, input, found)
    }

    #[inline]
    fn needs(&self, window: &[u8]) -> Option<usize> {
        Decoder::needs(self, window)
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
/// let mut decoder = StreamDecoder::new(layout, framing_core::heapless::Vec::<u8, 4>::new());
/// let mut total = 0;
/// for chunk in [&b"\x05\x00"[..], b"\x00\x00hel", b"lo"] {
///     let mut chunk = chunk;
///     while let Some(event) = decoder.decode(&mut chunk)? {
///         match event {
///             Event::Header(h) => assert_eq!(h.length_value(), 5),
///             Event::Payload(piece) => total += piece.len(), // "hel", then "lo"
///             Event::End => assert_eq!(total, 5),
///             Event::Recovered(report) => println!("{report}"),
///         }
///     }
/// }
/// decoder.finish()?;
/// # Ok::<(), framing_core::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct StreamDecoder<L, B> {
    machine: Machine<L, B, true>,
}

impl<L: Borrow<Layout>, B: Buffer> StreamDecoder<L, B> {
    /// A streaming decoder for `layout`; `buffer` needs room for one header.
    pub fn new(layout: L, buffer: B) -> Self {
        StreamDecoder {
            machine: Machine::new(layout, buffer),
        }
    }

    /// The next event from `input`, advancing it past the bytes used.
    ///
    /// # Errors
    /// As [`Decoder::decode`].
    #[inline]
    pub fn decode<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Event<'s>>, DecodeError> {
        let origin: &'a [u8] = input;
        let fed = self.machine.feed(origin, false);
        *input = &origin[fed.consumed..];
        match fed.result? {
            Some(found) => Ok(Some(self.item(origin, found))),
            None => Ok(None),
        }
    }

    /// Declares the end of the stream. A frame whose header was delivered but
    /// whose payload is incomplete is truncated.
    ///
    /// # Errors
    /// As [`Decoder::finish`].
    pub fn finish(&mut self) -> Result<Option<Recovery>, DecodeError> {
        self.machine.finish()
    }

    /// Forgets any partial frame and any failure; offsets keep counting.
    pub fn reset(&mut self) {
        self.machine.reset();
    }

    /// The feed primitive (for adapters): see [`Feed::feed`].
    #[inline(always)]
    pub fn feed(&mut self, input: &[u8], last: bool) -> Fed {
        self.machine.feed(input, last)
    }

    /// Turns what [`feed`](Self::feed) found into an event (for adapters).
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it.
    #[inline(always)]
    pub fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Event<'a> {
        let layout = self.machine.layout();
        match found.0 {
            Place::Input { start, len } => {
                Event::Header(Header::new(&input[start..start + len], layout))
            }
            Place::Buffer => Event::Header(Header::new(self.machine.buf.as_slice(), layout)),
            Place::Piece { start, len } => Event::Payload(&input[start..start + len]),
            Place::End => Event::End,
            Place::Recovered(r) => Event::Recovered(r),
        }
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.machine.layout()
    }

    /// Stream offset of the next byte to be fed.
    pub fn position(&self) -> u64 {
        self.machine.pos
    }

    /// Payload bytes still to come for the current frame, if inside one.
    pub fn remaining(&self) -> Option<u64> {
        match self.machine.state {
            State::Body { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// The error the decoder is stopped by, if any.
    pub fn failure(&self) -> Option<DecodeError> {
        self.machine.failure()
    }

    /// The buffer (holding a partial header, if any).
    pub fn buffer(&self) -> &B {
        &self.machine.buf
    }

    /// The buffer, given back.
    pub fn into_buffer(self) -> B {
        self.machine.buf
    }
}

impl<L: Borrow<Layout>, B: Buffer> Feed for StreamDecoder<L, B> {
    type Item<'a>
        = Event<'a>
    where
        Self: 'a;

    #[inline(always)]
    fn feed(&mut self, input: &[u8], last: bool) -> Fed {
        StreamDecoder::feed(self, input, last)
    }

    #[inline(always)]
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Event<'a> {
        StreamDecoder::item(self, input, found)
    }

    /// Always `None`: a streaming decoder takes every byte as it comes.
    #[inline]
    fn needs(&self, _window: &[u8]) -> Option<usize> {
        None
    }
}
