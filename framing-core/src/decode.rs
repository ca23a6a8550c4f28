//! How bytes become frames: one state machine, fed chunks of any size.
//!
//! Both decoders are the same machine. [`Decoder`] assembles a frame that
//! straddles chunks in its buffer and hands out whole frames; [`StreamDecoder`]
//! hands out the header, then payload pieces as they arrive, then an end
//! marker, and buffers nothing but a header split across chunks.
//!
//! # The machine
//!
//! Every call offers the machine a chunk (`input`; with `last`, the end of
//! the stream follows it) and returns at most one item with the number of
//! bytes it consumed ([`Fed`]). An item is a frame, a header, a payload
//! piece, an end marker or a recovery report ([`Recovery`]); `Err` only ever
//! means the stream is broken. The machine asks the framing one question,
//! "what do these head bytes say" (need more, a valid head announcing a body
//! of n bytes, or a fault); for a [`Layout`] the head is its fixed header
//! (with a varint length after it, if it has one) and the body its payload
//! and trailer. Other framings plug in there.
//!
//! ```text
//!              I1: a whole valid frame (whole mode)
//!              +----+
//!              v    |            H1             H2 (stream: header)
//!  new/reset -> Idle ---- I3 ----> Head ----------------------> Body --+
//!              ^ ^ ^ \                                          ^ |   | B2/B3
//!              | | |  `------------- I2 (stream) / I2' ---------' |   +--> Body
//!              | | |                                               | B1 (whole)
//!              | | `--------------- Lent <-------------------------+
//!              | `-- B4 (stream: end marker) ----------------------'
//!              `---- Discard / Resync <--- a bad head (I4, H3) ---> Failed
//! ```
//!
//! | state | input | consumes | next state | returns |
//! |---|---|---|---|---|
//! | `Idle` | empty | nothing | `Idle` | `None` (with `last`: the clean end) |
//! | `Idle` | I0: a valid head, or part of one, the frame not whole but within `hold` (whole mode, not `last`) | nothing | `Idle` | `None` with [`Fed::need`]: the adapter keeps the bytes and feeds them again with more |
//! | `Idle` | I1: a valid head, the whole frame in the input (whole mode) | the frame | `Idle` | frame, borrowed from the input |
//! | `Idle` | I2: a valid head (stream mode) | the head | `Body` | header, borrowed from the input |
//! | `Idle` | I2': a valid head, the frame not whole (whole mode) | all | `Body` | `None` (head and body bytes buffered) |
//! | `Idle` | I3: part of a head | all | `Head` | `None` (bytes buffered) |
//! | `Idle`, `Head` | I4, H3: a bad head | see [judging a bad head](#judging-a-bad-head) | | |
//! | `Head` | H1: more of the head, not all of it | all | `Head` | `None` |
//! | `Head` | H2: the rest of the head, valid | up to the head's end | `Body` | stream mode: header, lent from the buffer; whole mode: goes on |
//! | `Body` | B1: the rest of the body (whole mode) | up to the body's end | `Lent` | frame, lent from the buffer |
//! | `Body` | B2: part of the body (whole mode) | all | `Body` | `None` (bytes buffered) |
//! | `Body` | B3: body bytes, or none (stream mode) | up to the body's end | `Body` | a payload piece, borrowed from the input (`None` for empty input) |
//! | `Body` | B4: no body bytes left (stream mode) | nothing | `Idle` | end marker |
//! | `Body` | B5: no payload bytes left, a trailer follows (stream mode) | nothing | `Tail` | goes on |
//! | `Tail` | T2: part of the trailer (stream mode) | all | `Tail` | `None` (bytes buffered) |
//! | `Tail` | T3: the rest of a matching trailer (stream mode) | up to its end | `Idle` | end marker |
//! | `Idle`, `Body`, `Tail` | T1: a whole frame (or trailer) that does not match | see [a bad trailer](#a-bad-trailer) | | |
//! | `Lent` | anything | nothing | `Idle` | goes on (the buffer is cleared) |
//! | `Discard` | D1: the rest of the body | up to the body's end | `Idle` | goes on |
//! | `Discard` | D2: part of the body | all | `Discard` | `None` |
//! | `Resync` | R1: bytes up to an acceptable head | up to the head (a head begun in the buffer: its end) | `Idle` (`Head` if the head is in the buffer) | report: bytes skipped |
//! | `Resync` | R2: bytes with no acceptable head | all (kept if they may begin one) | `Resync` | `None` |
//! | `Failed` | anything | nothing | `Failed` | the same `Err` |
//!
//! At the end of the stream (`last`), a transition that would wait for more
//! bytes instead consumes all and moves to `Failed` with
//! [`Truncated`](DecodeErrorKind::Truncated) (in `Idle` with a partial head or
//! frame, `Head`, `Body`, `Discard`), except in `Resync`, which reports the
//! bytes left as skipped and moves to `Idle`. A buffer that refuses bytes
//! it was promised room for (a broken [`Buffer`]) moves to `Failed` with
//! [`FrameTooLarge`](DecodeErrorKind::FrameTooLarge), consuming nothing; a
//! decoder built (or reset) with a buffer smaller than a head starts in
//! `Failed` with [`BufferTooSmall`](DecodeErrorKind::BufferTooSmall).
//!
//! ## Judging a bad head
//! Under [`Oversize::Discard`], a head whose body is too long (above the
//! layout's maximum, or for whole frames above the buffer) is consumed and
//! reported ([`Recovery::Discarded`]); its body is then skipped unbuffered
//! (`Discard`). Else, with [`resync`](crate::LayoutBuilder::resync) on, its
//! first byte is skipped and `Resync` moves forward one byte at a time
//! until the bytes there hold an acceptable head (valid, or oversized under the discard
//! policy), then reports the bytes skipped ([`Recovery::Skipped`]). Else the
//! machine is `Failed` with the error, consuming nothing more. A head is
//! judged as soon as its bytes decide it: a varint length's bytes are asked
//! for one at a time, and a position whose head is still incomplete at the
//! end of the stream is skipped.
//!
//! ## Frames without a length
//! A delimited [`Layout`] ([`Layout::with_delimiter`]: COBS, SLIP, a byte
//! string such as `\n`) has no head: its frames end at their delimiter. Its
//! states are `Idle`, `Scan` (a frame begun; the buffer holds its bytes,
//! decoded) and `Skip` (skipping a frame to its delimiter), with `Lent` and
//! `Failed` as above; [`Feed::feed`] takes no shortcut for it.
//!
//! | state | input | consumes | next state | returns |
//! |---|---|---|---|---|
//! | `Idle` | D1: a frame and its byte-string delimiter, whole in the input | up to the delimiter's end | `Idle` | frame, borrowed from the input |
//! | `Idle`, `Scan` | D1': the rest of a frame and its delimiter | up to the delimiter's end | `Lent` | frame, lent from the buffer (decoded) |
//! | `Idle`, `Scan` | D2: bytes of a frame, no delimiter | all | `Scan` | `None` (decoded into the buffer) |
//! | `Idle` | D0: a COBS or SLIP delimiter with no frame before it | it | `Idle` | goes on |
//! | `Idle`, `Scan` | D3: a corrupt frame (a COBS block cut short, a bad SLIP escape) | up to the fault | `Skip` under resync (a report at its delimiter), else `Failed` | |
//! | `Idle`, `Scan` | D4: a frame longer than the maximum or the buffer | COBS, SLIP: up to the byte that makes it too long; a byte string: the input, or up to its delimiter | `Skip` (`Idle` or `Failed` at once if its delimiter was in the input) | at its delimiter: a report under [`Oversize::Discard`], else the error |
//! | `Skip` | D5: the delimiter | up to its end | `Idle` (`Failed` for an oversized frame under `Fail`) | report, or the error |
//! | `Skip` | D6: no delimiter | all | `Skip` | `None` |
//!
//! A frame's trailer is checked when it ends (T1). At the end of the
//! stream, `Scan` fails with [`Unterminated`](DecodeErrorKind::Unterminated)
//! (how many bytes were held), and `Skip` reports what it skipped under
//! resync, else fails the same way. A [`StreamDecoder`] refuses a delimited
//! layout ([`NotStreamable`](DecodeErrorKind::NotStreamable)).
//!
//! ## A bad trailer
//! A frame whose trailer does not hold the checksum of its bytes (checked
//! in I1 and B1 before the frame is returned; in stream mode against the
//! checksum run over the pieces, T3) is, with
//! [`resync`](crate::LayoutBuilder::resync) on, consumed whole and reported
//! ([`Recovery::Corrupt`], in place of the end marker in stream mode), and
//! the machine goes on in `Idle` after it; else the machine is `Failed` with
//! [`ChecksumMismatch`](DecodeErrorKind::ChecksumMismatch). Dropping the
//! frame whole, rather than resynchronising from its second byte, is what
//! both modes can do alike: a streaming decoder has already handed out the
//! payload and cannot look at it again.
//!
//! ## One loop, and shortcuts with no state of their own
//! Each state's transitions are one handler; the general loop runs the
//! handler of the current state until one returns. [`Feed::feed`] first
//! tries a few shortcuts, the transitions nearly all traffic takes (I0, I1,
//! I2, I2', I3, H1, B1, B2, B3, B4), each in the state the table says, leaving the
//! state the table says, with its guard beside it, inline in the caller;
//! anything else goes to the loop (B1 and B4 with a trailer among them). The fuzz oracle (`fuzz/src/checks.rs`)
//! holds `feed` to the loop alone (`feed_general`) on every input and split,
//! with and without `hold`.
//!
//! An item found costs one call: what `feed` returns records where the
//! frame lies and how long its head is, so turning it into a [`Frame`]
//! ([`Feed::item`]) slices and reads no length again; and an adapter that
//! can keep a frame whole in its own buffer passes that size as `hold`,
//! so the decoder itself says when to read more (I0) instead of being asked
//! first.
//! I1's fast path needs one comparison: for a layout without constants or
//! adjust, a header is valid and its frame fits exactly when its length
//! value is below `fast_limit`, a constant derived from the layout and the
//! buffer when the decoder is built (checked against the full validation by
//! `debug_assert!`). Each state's invariant on the buffer is checked by
//! `debug_assert!` at the end of every call.

use core::borrow::Borrow;
use core::fmt;

mod delimited;
use delimited::{Skipping, Unstuff};

use crate::buffer::Buffer;
use crate::header::{Frame, Header};
use crate::layout::{Delimiter, HeaderFault, Layout, Oversize};
use crate::trailer::{Covers, Running};
use crate::varint::{self, Varint};

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
    ///
    /// `found` and `expected` give the two values as one number each: a
    /// number, `?` or `c` field as an unsigned integer of its width in the
    /// format's byte order (so the bits of a signed or float field), a
    /// string field's first 8 bytes read big-endian.
    ConstantMismatch {
        /// Index of the value in the header tuple.
        field: usize,
        /// The header's value.
        found: u64,
        /// The layout's constant.
        expected: u64,
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
    /// A varint length takes more than 10 bytes, or its value more than 64
    /// bits.
    VarintOverflow,
    /// A frame's trailer does not hold the checksum of its bytes.
    ChecksumMismatch {
        /// The checksum of the frame's bytes.
        computed: u32,
        /// The checksum its trailer carried.
        carried: u32,
    },
    /// A COBS block's code byte announced more bytes than came before the
    /// delimiter.
    CobsBlock {
        /// How many bytes the block still lacked.
        missing: u8,
    },
    /// A SLIP ESC followed by a byte other than ESC_END (0xdc) or ESC_ESC
    /// (0xdd).
    SlipEscape {
        /// The byte after ESC.
        byte: u8,
    },
    /// The stream ended inside a delimited frame: no delimiter after its
    /// bytes.
    Unterminated {
        /// How many of its bytes were held (decoded, for COBS and SLIP).
        held: u64,
    },
    /// A [`StreamDecoder`] cannot decode a delimited layout (COBS, SLIP,
    /// lines): use a [`Decoder`].
    NotStreamable,
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
            DecodeErrorKind::ConstantMismatch {
                field,
                found,
                expected,
            } => write!(
                f,
                "frame at byte {at}: header value {field} is {found:#x}, expected the constant {expected:#x}"
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
            DecodeErrorKind::VarintOverflow => write!(
                f,
                "frame at byte {at}: its varint length takes more than 10 bytes or 64 bits"
            ),
            DecodeErrorKind::ChecksumMismatch { computed, carried } => write!(
                f,
                "frame at byte {at}: its trailer carries checksum {carried:#x}, but its bytes \
                 give {computed:#x}"
            ),
            DecodeErrorKind::CobsBlock { missing } => write!(
                f,
                "frame at byte {at}: a COBS block lacks {missing} bytes before the delimiter"
            ),
            DecodeErrorKind::SlipEscape { byte } => write!(
                f,
                "frame at byte {at}: SLIP escape followed by {byte:#04x}, not 0xdc or 0xdd"
            ),
            DecodeErrorKind::Unterminated { held } => write!(
                f,
                "stream ended inside the frame at byte {at}: {held} bytes and no delimiter"
            ),
            DecodeErrorKind::NotStreamable => f.write_str(
                "a StreamDecoder cannot decode delimited frames (COBS, SLIP, lines): use a Decoder",
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
    /// A frame whose trailer does not match its bytes, dropped whole under
    /// [`resync`](crate::LayoutBuilder::resync): a corrupt frame, or a
    /// false sync on bytes that looked like a header. Decoding goes on
    /// after its trailer. A [`StreamDecoder`] reports it in place of the
    /// frame's [`Event::End`]: drop the payload pieces it gave.
    Corrupt {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The frame's length: head, payload and trailer.
        length: u64,
        /// The checksum of the frame's bytes.
        computed: u32,
        /// The checksum its trailer carried.
        carried: u32,
    },
}

impl Recovery {
    /// Stream offset of the frame discarded, or of the first byte skipped.
    pub const fn offset(&self) -> u64 {
        match *self {
            Recovery::Discarded { offset, .. }
            | Recovery::Skipped { offset, .. }
            | Recovery::Corrupt { offset, .. } => offset,
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
            Recovery::Corrupt {
                offset,
                length,
                computed,
                carried,
            } => write!(
                f,
                "frame at byte {offset}: dropped its {length} bytes, its trailer carries checksum \
                 {carried:#x} but its bytes give {computed:#x}"
            ),
        }
    }
}

/// What a whole-frame reader returns: a frame, or a recovery report. One
/// type for every adapter, generic over the frame: a [`Decoder`] and the
/// borrowing readers give `Decoded<Frame<'_>>` (lent from the input or the
/// buffer), framing-std's codec an owned frame.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<F> {
    /// A whole frame.
    Frame(F),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

impl<F> Decoded<F> {
    /// The frame, if this is one.
    pub fn frame(self) -> Option<F> {
        match self {
            Decoded::Frame(frame) => Some(frame),
            Decoded::Recovered(_) => None,
        }
    }

    /// The frame, borrowed, if this is one.
    pub fn as_frame(&self) -> Option<&F> {
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

/// What one call of the feed primitive found: a recovery report, or an item
/// of the decoder's own ([`At`]) to turn into a frame ([`Decoder::frame`])
/// or an event ([`StreamDecoder::event`]). It borrows nothing, so an adapter
/// can find an item, update its own bookkeeping, and only then borrow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A frame (whole mode) or an event (stream mode), where [`At`] says.
    Item(At),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

/// Where a found frame or event lies: an opaque handle only the decoder
/// makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At(Place);

impl At {
    /// Where in the input given to `feed` the item's bytes lie, if they lie
    /// there (not in the decoder's buffer): for adapters that split frames
    /// off their read buffer without a copy.
    pub const fn in_input(&self) -> Option<core::ops::Range<usize>> {
        match self.0 {
            Place::Input { start, len, .. } | Place::Piece { start, len } => {
                Some(start..start + len)
            }
            Place::Buffer | Place::End => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In the input as fed: a whole frame (whole mode) or a header (stream
    /// mode), its first `head` bytes the head (all `len` of them in stream
    /// mode; none for a delimited frame): the frame borrow reads no length
    /// again.
    Input {
        start: usize,
        head: usize,
        len: usize,
    },
    /// In the decoder's buffer: a whole frame (whole mode) or a header (stream mode).
    Buffer,
    /// A payload piece in the input (stream mode).
    Piece { start: usize, len: usize },
    /// The end of a payload (stream mode).
    End,
}

/// The result of the feed primitive: how many bytes of the input the decoder
/// consumed (always, whatever it found, error included), and what it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the consumed bytes must be dropped from the input"]
pub struct Fed {
    /// Bytes consumed from the start of the input: never feed them again.
    pub consumed: usize,
    /// `Ok(Some)`: an item; `Ok(None)`: more bytes are needed (or, with
    /// `last`, the stream ended cleanly); `Err`: the stream is broken.
    pub result: Result<Option<Found>, DecodeError>,
    /// With `Ok(None)`: how many bytes, from the first one not consumed,
    /// the next item needs whole in the input. Non-zero only when the
    /// decoder kept them back (`hold`, transition I0): feed them again,
    /// with more after them. 0 when every byte was consumed.
    pub need: usize,
}

/// The feed primitive, as every adapter sees it: the one interface between
/// a decoder and the code that reads bytes (framing-std's readers and
/// codecs, the embedded readers, [`Window`](crate::Window)).
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
    /// it uses and returns at most one item; see [`Fed`] and the
    /// [transition table](self).
    ///
    /// `hold` is the longest frame the adapter can keep whole in its own
    /// buffer (0: none). Between frames, a whole-frame decoder leaves a
    /// frame that is not whole yet but fits `hold` unconsumed and says how
    /// long it is ([`Fed::need`]), so that it arrives whole and is lent
    /// from the input without a copy: the wait-until-whole rule of every
    /// adapter, in one place. A streaming decoder takes every byte as it
    /// comes.
    fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed;

    /// Turns what [`feed`](Self::feed) found into an item. It reads what
    /// `feed` recorded (where the frame lies, how long its head is) and
    /// never parses the head again.
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it, or the decoder was fed again since (a bug in the
    /// adapter, never a matter of the bytes).
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Self::Item<'a>;
}

/// What the head bytes at the start of a slice say: the one question the
/// machine asks a framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// Not enough bytes: the head needs this many in all.
    Need(usize),
    /// A valid head of `len` bytes announcing a body of `body` bytes.
    Valid { len: usize, body: u64 },
    /// A head of `.1` bytes that fails a check (its length is the fixed
    /// header's when the check failed before a varint was read).
    Bad(HeaderFault, usize),
}

/// What the machine needs of a framing: the seam where other framings
/// plug in, each a small impl. Today a [`Layout`], owned or shared, whose
/// head is its fixed header (and a varint length after it, if it has one)
/// and whose body is the payload and the trailer.
pub(crate) trait Framing {
    /// What the head at the start of `bytes` says, for a decoder that holds
    /// at most `limit` bytes of head and body. Asked again with more bytes
    /// after `Need`; its verdict on a prefix never changes once given.
    fn head(&self, bytes: &[u8], limit: usize) -> Head;
    /// The longest head: what the `Resync` state may hold, and what every
    /// buffer must.
    fn window(&self) -> usize;
    /// The trailer's length, the last bytes of every body; 0 for none.
    fn tail(&self) -> usize;
    /// Checks a whole frame's trailer (whole mode); a frame shorter than
    /// its trailer (delimited frames may be) fails.
    fn check_frame(&self, frame: &[u8]) -> Result<(), HeaderFault>;
    /// Starts the running checksum of a frame whose head is `head`
    /// (stream mode, with a trailer).
    fn sum_start(&self, head: &[u8]) -> Running;
    /// Adds payload bytes to the running checksum.
    fn sum(&self, running: Running, bytes: &[u8]) -> Running;
    /// Checks the trailer against the running checksum.
    fn check_sum(&self, running: Running, trailer: &[u8]) -> Result<(), HeaderFault>;
    /// How frames end, if not by a length.
    fn delimiter(&self) -> Option<Delimiter>;
    /// The most bytes a delimited frame's payload and trailer may take.
    fn max_body(&self) -> u64;
    /// One more than the largest raw length value that by itself makes a
    /// valid head whose frame (with its trailer) fits `limit`; 0 if one
    /// value cannot decide.
    fn fast_limit(&self, limit: usize) -> u64;
    /// The raw length value of the head whole at the start of `bytes`.
    fn raw_len(&self, bytes: &[u8]) -> Option<u64>;
    /// The policies for a bad head: discard oversized bodies, resynchronise.
    fn policies(&self) -> (Oversize, bool);
    /// The error for a head fault.
    fn fault(&self, fault: HeaderFault, limit: usize) -> DecodeErrorKind;
}

impl<L: Borrow<Layout>> Framing for L {
    #[inline(always)]
    fn head(&self, bytes: &[u8], limit: usize) -> Head {
        let l = self.borrow();
        let hlen = l.header_len;
        let Some(fixed) = bytes.get(..hlen) else {
            return Head::Need(hlen);
        };
        let (len, checked) = if l.varint {
            let rest = &bytes[hlen..];
            match varint::read(rest) {
                Varint::Value(raw, n) => (hlen + n, l.check_length(fixed, raw)),
                other => {
                    // The constants are judged as soon as the fixed header is
                    // whole, whatever the varint after it.
                    if l.n_constants != 0 {
                        if let Err(fault) = l.check_constants(fixed) {
                            return Head::Bad(fault, hlen);
                        }
                    }
                    return match other {
                        Varint::Need(n) => Head::Need(hlen + n),
                        _ => Head::Bad(HeaderFault::Varint, hlen + varint::len_in(rest)),
                    };
                }
            }
        } else {
            (hlen, l.check_header(fixed))
        };
        match checked {
            Ok(payload) => {
                let body = payload.saturating_add(l.trailer_len() as u64);
                if (limit - len) < sat(body) {
                    Head::Bad(HeaderFault::TooLong(payload), len)
                } else {
                    Head::Valid { len, body }
                }
            }
            Err(fault) => Head::Bad(fault, len),
        }
    }

    #[inline(always)]
    fn window(&self) -> usize {
        self.borrow().max_head_len()
    }

    #[inline(always)]
    fn tail(&self) -> usize {
        self.borrow().trailer_len()
    }

    #[inline]
    fn check_frame(&self, frame: &[u8]) -> Result<(), HeaderFault> {
        let l = self.borrow();
        let Some(t) = l.trailer else {
            return Ok(());
        };
        let start = match t.covers {
            Covers::Frame => 0,
            Covers::Payload => l.head_len_in(frame),
        };
        // A delimited frame may be shorter than its trailer: it is corrupt,
        // reported with the checksum of its bytes and a trailer of 0.
        let Some(end) = frame.len().checked_sub(t.checksum.byte_len()) else {
            return Err(HeaderFault::Checksum {
                computed: t.checksum.checksum(frame),
                carried: 0,
            });
        };
        let computed = t.checksum.checksum(&frame[start.min(end)..end]);
        check(computed, t.uint.read(frame, end).unwrap_or(0) as u32)
    }

    fn sum_start(&self, head: &[u8]) -> Running {
        let l = self.borrow();
        match l.trailer {
            Some(t) if t.covers == Covers::Frame => t.checksum.update(t.checksum.start(), head),
            Some(t) => t.checksum.start(),
            None => Running::default(),
        }
    }

    fn sum(&self, running: Running, bytes: &[u8]) -> Running {
        match self.borrow().trailer {
            Some(t) => t.checksum.update(running, bytes),
            None => running,
        }
    }

    fn check_sum(&self, running: Running, trailer: &[u8]) -> Result<(), HeaderFault> {
        match self.borrow().trailer {
            Some(t) => check(
                t.checksum.finish(running),
                t.uint.read(trailer, 0).unwrap_or(0) as u32,
            ),
            None => Ok(()),
        }
    }

    #[inline(always)]
    fn delimiter(&self) -> Option<Delimiter> {
        self.borrow().delimiter
    }

    fn max_body(&self) -> u64 {
        let l = self.borrow();
        l.max_payload.saturating_add(l.trailer_len() as u64)
    }

    fn fast_limit(&self, limit: usize) -> u64 {
        let l = self.borrow();
        let fixed = l.header_len + l.trailer_len();
        if l.n_constants != 0 || l.adjust != 0 || l.varint || l.delimiter.is_some() || limit < fixed
        {
            return 0;
        }
        let (_, field_max) = crate::value::int_range(l.length.signed, l.length.width);
        let room = (limit - fixed) as u64;
        let max = (field_max.min(i128::from(u64::MAX)) as u64)
            .min(l.max_payload)
            .min(room);
        // `max` is below `u64::MAX`: `room` is at most `usize::MAX - 1`.
        max.saturating_add(1)
    }

    #[inline(always)]
    fn raw_len(&self, bytes: &[u8]) -> Option<u64> {
        let l = self.borrow();
        l.length.read(bytes.get(..l.header_len)?)
    }

    fn policies(&self) -> (Oversize, bool) {
        let l = self.borrow();
        (l.oversize, l.resync)
    }

    fn fault(&self, fault: HeaderFault, limit: usize) -> DecodeErrorKind {
        let l = self.borrow();
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
                needed: length
                    .saturating_add(l.header_len as u64)
                    .saturating_add(l.trailer_len() as u64),
                capacity: limit,
            },
            HeaderFault::Constant { index, found } => DecodeErrorKind::ConstantMismatch {
                field: index,
                found,
                expected: l.expected_scalar(index),
            },
            HeaderFault::Varint => DecodeErrorKind::VarintOverflow,
            HeaderFault::Cobs { missing } => DecodeErrorKind::CobsBlock { missing },
            HeaderFault::SlipEscape { byte } => DecodeErrorKind::SlipEscape { byte },
            HeaderFault::Checksum { computed, carried } => {
                DecodeErrorKind::ChecksumMismatch { computed, carried }
            }
        }
    }
}

/// A trailer's verdict.
fn check(computed: u32, carried: u32) -> Result<(), HeaderFault> {
    if computed == carried {
        Ok(())
    } else {
        Err(HeaderFault::Checksum { computed, carried })
    }
}

/// What resynchronising makes of a position.
enum Probe {
    Stop,
    Skip,
    More,
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
    /// the buffer holds the head and the body so far (the body being the
    /// payload and the trailer). Stream mode: `remaining` counts payload
    /// bytes alone, `sum` is the running checksum if there is a trailer, and
    /// the buffer holds the header lent out (or nothing).
    Body { remaining: u64, sum: Running },
    /// Stream mode, after the payload: the buffer holds the trailer's first
    /// bytes; `sum` is the checksum of what it covers.
    Tail { sum: Running },
    /// Skipping the body of an oversized frame; `remaining` > 0.
    Discard { remaining: u64 },
    /// Looking for a valid head; the buffer holds bytes not yet tested as
    /// the start of one. `skipped` (at least 1) bytes dropped since stream
    /// offset `from`.
    Resync { skipped: u64, from: u64 },
    /// A delimited frame begun: the buffer holds its bytes so far
    /// (decoded); `unstuff`, where its decoding stands.
    Scan { unstuff: Unstuff },
    /// Skipping a delimited frame to its delimiter, `bytes` of it since
    /// stream offset `from`; `matched`: how many bytes of a byte-string
    /// delimiter the bytes skipped end with.
    Skip {
        from: u64,
        bytes: u64,
        why: Skipping,
        matched: u8,
    },
    /// Broken: returns the error until reset.
    Failed(DecodeError),
}

/// `n` as `usize`, saturating (only ever compared with slice lengths).
fn sat(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// What a state's handler did: returned, or moved to another state having
/// consumed up to `at`.
enum Next {
    Done(Fed),
    Go(usize),
}

/// The machine both decoders are. `STREAM` picks how bodies are delivered.
#[derive(Debug)]
struct Machine<F, B, const STREAM: bool> {
    framing: F,
    buf: B,
    state: State,
    /// Stream offset of the next input byte.
    pos: u64,
    /// Stream offset of the current frame's head (for errors and reports).
    frame_start: u64,
    /// See [`Framing::fast_limit`]; fixed when the decoder is built.
    fast_limit: u64,
}

impl<F: Framing, B: Buffer, const STREAM: bool> Machine<F, B, STREAM> {
    fn new(framing: F, buf: B) -> Self {
        let mut m = Machine {
            framing,
            buf,
            state: State::Idle,
            pos: 0,
            frame_start: 0,
            fast_limit: 0,
        };
        m.fast_limit = m.framing.fast_limit(m.limit());
        m.reset();
        m
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

    /// The feed primitive: the shortcuts, then the general loop.
    ///
    /// Each shortcut is one transition of the table, taken in the state the
    /// table says, with the same consumption, result and next state as the
    /// state's handler in [`run`](Self::run) gives, but without the loop,
    /// inline in the caller; the guard beside each is the invariant that
    /// makes it valid. Every other case, and these when a guard fails, goes
    /// to the loop. `fuzz/src/checks.rs` holds the two to the same outputs
    /// (`feed_general`).
    #[inline(always)]
    fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        // A streaming decoder takes every byte as it comes.
        let hold = if STREAM { 0 } else { hold };
        if !STREAM && self.state == State::Lent {
            self.lent();
        }
        if self.framing.delimiter().is_some() {
            // Delimited framings have no shortcuts: their states are the
            // loop's.
            return self.run(input, 0, last, hold);
        }
        match self.state {
            State::Idle => {
                let valid = if self.fast_limit != 0 {
                    self.quick_valid(input)
                        .map(|body| (self.framing.window(), body))
                } else {
                    match self.framing.head(input, self.limit()) {
                        Head::Valid { len, body } => Some((len, body)),
                        _ => None,
                    }
                };
                if let Some((len, body)) = valid {
                    if STREAM {
                        // I2: a valid head.
                        self.frame_start = self.pos;
                        self.state = self.stream_body(&input[..len], body);
                        return self.item_at(
                            len,
                            Place::Input {
                                start: 0,
                                head: len,
                                len,
                            },
                        );
                    }
                    // `head` bounds the body by `limit - len`: no overflow.
                    let total = len + sat(body);
                    // I1: a whole valid frame (with a trailer, a good one;
                    // a bad trailer is the loop's).
                    if input.len() >= total
                        && (self.framing.tail() == 0
                            || self.framing.check_frame(&input[..total]).is_ok())
                    {
                        return self.item_at(
                            total,
                            Place::Input {
                                start: 0,
                                head: len,
                                len: total,
                            },
                        );
                    }
                    if input.len() < total && !last {
                        if total <= hold {
                            // I0: the adapter keeps the frame until whole.
                            return self.wait(0, total);
                        }
                        // I2': a valid head, the frame goes on.
                        self.frame_start = self.pos;
                        if let Err(e) = self.push(input) {
                            return self.out(0, Err(e));
                        }
                        self.state = State::Body {
                            remaining: (total - input.len()) as u64,
                            sum: Running::default(),
                        };
                        return self.out(input.len(), Ok(None));
                    }
                }
                if input.is_empty() {
                    // Nothing to do (with `last`: the clean end).
                    return self.out(0, Ok(None));
                }
                if let (Head::Need(n), false) = (self.framing.head(input, self.limit()), last) {
                    if n <= hold {
                        // I0: the adapter keeps the head until whole.
                        return self.wait(0, n);
                    }
                    // I3: part of a head.
                    self.frame_start = self.pos;
                    if let Err(e) = self.push(input) {
                        return self.out(0, Err(e));
                    }
                    self.state = State::Head;
                    return self.out(input.len(), Ok(None));
                }
            }
            // H1: the input ends before the head does.
            State::Head if !last => {
                let have = self.buf.len();
                if let Head::Need(n) = self.framing.head(self.buf.as_slice(), self.limit()) {
                    if input.len() < n - have {
                        if let Err(e) = self.push(input) {
                            return self.out(0, Err(e));
                        }
                        return self.out(input.len(), Ok(None));
                    }
                }
            }
            // B2 (whole mode): the input ends before the body does.
            State::Body { remaining, sum }
                if !STREAM && !last && (input.len() as u64) < remaining =>
            {
                if let Err(e) = self.push(input) {
                    return self.out(0, Err(e));
                }
                self.state = State::Body {
                    remaining: remaining - input.len() as u64,
                    sum,
                };
                return self.out(input.len(), Ok(None));
            }
            // B1 (whole mode): the rest of the body; the frame is complete
            // (with a trailer, the loop checks it).
            State::Body { remaining, .. }
                if !STREAM && (input.len() as u64) >= remaining && self.framing.tail() == 0 =>
            {
                // `remaining` is at most the input's length: a `usize`.
                let n = remaining as usize;
                if let Err(e) = self.push(&input[..n]) {
                    return self.out(0, Err(e));
                }
                self.state = State::Lent;
                return self.item_at(n, Place::Buffer);
            }
            // B4 (stream mode): the body is over (with a trailer, the loop
            // reads it).
            State::Body { remaining: 0, .. } if STREAM && self.framing.tail() == 0 => {
                self.buf.clear();
                self.state = State::Idle;
                return self.item_at(0, Place::End);
            }
            // B3 (stream mode): the next piece of the body, or none yet.
            State::Body { remaining, sum } if STREAM && remaining > 0 && !last => {
                if input.is_empty() {
                    return self.out(0, Ok(None));
                }
                let len = sat(remaining).min(input.len());
                self.state = State::Body {
                    remaining: remaining - len as u64,
                    sum: self.add_sum(sum, &input[..len]),
                };
                return self.item_at(len, Place::Piece { start: 0, len });
            }
            _ => {}
        }
        self.run(input, 0, last, hold)
    }

    /// The general loop alone, without the shortcuts: for the oracle that
    /// holds the shortcuts to it.
    #[cfg(feature = "__oracle")]
    fn feed_general(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.run(input, 0, last, hold)
    }

    /// The body length announced by a valid head whole at the start of
    /// `input`, decided by one comparison (I1's fast path); `None` where
    /// that cannot decide, leaving it to the full validation.
    #[inline(always)]
    fn quick_valid(&self, input: &[u8]) -> Option<u64> {
        let raw = self.framing.raw_len(input)?;
        if raw >= self.fast_limit {
            return None;
        }
        // `fast_limit` leaves room for the trailer: no overflow.
        let body = raw + self.framing.tail() as u64;
        // The invariant that makes one comparison enough.
        debug_assert_eq!(
            self.framing.head(input, self.limit()),
            Head::Valid {
                len: self.framing.window(),
                body
            }
        );
        Some(body)
    }

    #[inline(always)]
    fn item_at(&mut self, consumed: usize, place: Place) -> Fed {
        self.out(consumed, Ok(Some(Found::Item(At(place)))))
    }

    /// The one loop: runs the current state's handler until one returns.
    #[inline(never)]
    fn run(&mut self, input: &[u8], mut at: usize, last: bool, hold: usize) -> Fed {
        let hold = if STREAM { 0 } else { hold };
        loop {
            let next = match self.state {
                State::Idle | State::Scan { .. } if self.framing.delimiter().is_some() => {
                    self.scan(input, at, last)
                }
                State::Skip { .. } => self.skip_delimited(input, at, last),
                State::Scan { .. } => unreachable!("Scan without a delimiter"),
                State::Idle => self.idle(input, at, last, hold),
                State::Lent => {
                    self.lent();
                    Next::Go(at)
                }
                State::Head => self.in_head(input, at, last),
                State::Body { remaining, sum } if STREAM => {
                    self.in_stream_body(input, at, last, remaining, sum)
                }
                State::Body { remaining, .. } => self.whole_body(input, at, last, remaining),
                State::Tail { sum } => self.tail(input, at, last, sum),
                State::Discard { remaining } => self.discard(input, at, last, remaining),
                State::Resync { .. } => self.resync(input, at, last),
                State::Failed(e) => Next::Done(self.out(at, Err(e))),
            };
            match next {
                Next::Done(fed) => return fed,
                Next::Go(to) => at = to,
            }
        }
    }

    /// `Lent`: the frame lent out is no longer borrowed; goes on in `Idle`.
    #[inline(always)]
    fn lent(&mut self) {
        debug_assert!(!STREAM && self.state == State::Lent);
        self.buf.clear();
        self.state = State::Idle;
    }

    /// Ends a call: `consumed` bytes are gone.
    #[inline(always)]
    fn out(&mut self, consumed: usize, result: Result<Option<Found>, DecodeError>) -> Fed {
        self.pos += consumed as u64;
        self.debug_check();
        Fed {
            consumed,
            result,
            need: 0,
        }
    }

    /// I0: ends a call in `Idle` having consumed `consumed` bytes and kept
    /// the rest back for the adapter, the next item needing `need` of them
    /// whole.
    #[inline(always)]
    fn wait(&mut self, consumed: usize, need: usize) -> Fed {
        debug_assert!(!STREAM && self.state == State::Idle && need > 0);
        Fed {
            need,
            ..self.out(consumed, Ok(None))
        }
    }

    #[inline(always)]
    fn found(&mut self, consumed: usize, place: Place) -> Next {
        Next::Done(self.item_at(consumed, place))
    }

    #[inline(always)]
    fn none(&mut self, consumed: usize) -> Next {
        Next::Done(self.out(consumed, Ok(None)))
    }

    /// Each state's invariant, checked at the end of every call in debug
    /// builds.
    #[inline(always)]
    fn debug_check(&self) {
        if cfg!(debug_assertions) {
            let (have, window) = (self.buf.len(), self.framing.window());
            let holds = match self.state {
                State::Idle => have == 0,
                State::Discard { remaining } => have == 0 && remaining > 0,
                // A delimited frame may be empty.
                State::Lent => !STREAM && (have > 0 || self.framing.delimiter().is_some()),
                State::Head => have > 0 && have <= window,
                State::Body { .. } if STREAM => have <= window,
                State::Body { remaining, .. } => have > 0 && remaining > 0,
                State::Tail { .. } => STREAM && have < self.framing.tail(),
                State::Scan { .. } => !STREAM,
                State::Skip { .. } => have == 0,
                State::Resync { skipped, .. } => have < window && skipped > 0,
                State::Failed(_) => true,
            };
            debug_assert!(holds, "{:?} with {have} bytes buffered", self.state);
        }
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
    fn truncated(&mut self, consumed: usize, missing: u64, in_header: bool) -> Next {
        let e = self.fail(DecodeErrorKind::Truncated { missing, in_header });
        Next::Done(self.out(consumed, Err(e)))
    }

    /// Appends `bytes` to the buffer. Callers stay within the capacity
    /// checked before, so only a `Buffer` that breaks its promise fails
    /// here; that is reported rather than losing bytes.
    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let pushed = match bytes {
            [] => Ok(()),
            [byte] => self.buf.push(*byte),
            _ => self.buf.extend_from_slice(bytes),
        };
        if pushed.is_err() {
            return Err(self.refused(bytes.len()));
        }
        Ok(())
    }

    #[cold]
    fn refused(&mut self, n: usize) -> DecodeError {
        let needed = (self.buf.len() as u64).saturating_add(n as u64);
        let capacity = self.buf.capacity();
        self.fail(DecodeErrorKind::FrameTooLarge { needed, capacity })
    }

    /// `push`, ending the call without consuming on a refusal.
    #[inline(always)]
    fn stash(&mut self, bytes: &[u8], at: usize) -> Option<Next> {
        match self.push(bytes) {
            Ok(()) => None,
            Err(e) => Some(Next::Done(self.out(at, Err(e)))),
        }
    }

    /// `Idle`: I1, I2, I2', I3, I4.
    #[inline(always)]
    fn idle(&mut self, input: &[u8], at: usize, last: bool, hold: usize) -> Next {
        debug_assert!(self.buf.is_empty());
        let rest = &input[at..];
        if rest.is_empty() {
            return self.none(at);
        }
        // I1's fast path where the framing allows it, else the full parse.
        let head = match self.quick_valid(rest) {
            Some(body) => Head::Valid {
                len: self.framing.window(),
                body,
            },
            None => self.framing.head(rest, self.limit()),
        };
        match head {
            Head::Valid { len, body } if STREAM => {
                // I2.
                self.frame_start = self.pos + at as u64;
                self.state = self.stream_body(&rest[..len], body);
                self.found(
                    at + len,
                    Place::Input {
                        start: at,
                        head: len,
                        len,
                    },
                )
            }
            Head::Valid { len, body } => {
                // `head` bounds the body by `limit - len`: no overflow.
                let total = len + sat(body);
                if rest.len() >= total {
                    if self.framing.tail() != 0 {
                        if let Err(fault) = self.framing.check_frame(&rest[..total]) {
                            // T1.
                            self.frame_start = self.pos + at as u64;
                            return self.bad_trailer(fault, total as u64, at, at + total);
                        }
                    }
                    // I1: no `frame_start`, which only errors read.
                    return self.found(
                        at + total,
                        Place::Input {
                            start: at,
                            head: len,
                            len: total,
                        },
                    );
                }
                if total <= hold && !last {
                    // I0.
                    return Next::Done(self.wait(at, total));
                }
                // I2'.
                self.frame_start = self.pos + at as u64;
                let missing = (total - rest.len()) as u64;
                if last {
                    return self.truncated(input.len(), missing, false);
                }
                if let Some(next) = self.stash(rest, at) {
                    return next;
                }
                self.state = State::Body {
                    remaining: missing,
                    sum: Running::default(),
                };
                self.none(input.len())
            }
            Head::Need(n) if n <= hold && !last => {
                // I0.
                Next::Done(self.wait(at, n))
            }
            Head::Need(n) => {
                // I3.
                self.frame_start = self.pos + at as u64;
                let missing = (n - rest.len()) as u64;
                if last {
                    return self.truncated(input.len(), missing, true);
                }
                if let Some(next) = self.stash(rest, at) {
                    return next;
                }
                self.state = State::Head;
                self.none(input.len())
            }
            Head::Bad(fault, len) => {
                // I4.
                self.frame_start = self.pos + at as u64;
                match self.judge(fault) {
                    Verdict::Discard(report) => self.report(at + len, report),
                    Verdict::Resync => Next::Go(at + 1),
                    Verdict::Fail(e) => Next::Done(self.out(at, Err(e))),
                }
            }
        }
    }

    fn report(&mut self, consumed: usize, report: Recovery) -> Next {
        Next::Done(self.out(consumed, Ok(Some(Found::Recovered(report)))))
    }

    /// `Head`: H1, H2, H3.
    #[inline(always)]
    fn in_head(&mut self, input: &[u8], at: usize, last: bool) -> Next {
        let rest = &input[at..];
        match self.framing.head(self.buf.as_slice(), self.limit()) {
            Head::Need(n) => {
                let have = self.buf.len();
                let take = (n - have).min(rest.len());
                if take < n - have && last {
                    return self.truncated(input.len(), (n - have - take) as u64, true);
                }
                if let Some(next) = self.stash(&rest[..take], at) {
                    return next;
                }
                if self.buf.len() < n {
                    // H1.
                    return self.none(at + take);
                }
                // The head is complete: judge it.
                Next::Go(at + take)
            }
            Head::Valid { body, .. } => {
                // H2.
                if STREAM {
                    self.state = self.stream_body(self.buf.as_slice(), body);
                    return self.found(at, Place::Buffer);
                }
                self.state = State::Body {
                    remaining: body,
                    sum: Running::default(),
                };
                Next::Go(at)
            }
            Head::Bad(fault, _) => match self.judge(fault) {
                // H3.
                Verdict::Discard(report) => {
                    self.buf.clear();
                    self.report(at, report)
                }
                Verdict::Resync => {
                    self.buf.drop_front(1);
                    Next::Go(at)
                }
                Verdict::Fail(e) => Next::Done(self.out(at, Err(e))),
            },
        }
    }

    /// `Body`, whole mode: B1, B2.
    #[inline(always)]
    fn whole_body(&mut self, input: &[u8], at: usize, last: bool, remaining: u64) -> Next {
        let rest = &input[at..];
        let n = sat(remaining).min(rest.len());
        let left = remaining - n as u64;
        if left > 0 && last {
            return self.truncated(input.len(), left, false);
        }
        if let Some(next) = self.stash(&rest[..n], at) {
            return next;
        }
        if left > 0 {
            // B2.
            self.state = State::Body {
                remaining: left,
                sum: Running::default(),
            };
            return self.none(at + n);
        }
        if self.framing.tail() != 0 {
            if let Err(fault) = self.framing.check_frame(self.buf.as_slice()) {
                // T1.
                let length = self.buf.len() as u64;
                return self.bad_trailer(fault, length, at + n, at + n);
            }
        }
        // B1.
        self.state = State::Lent;
        self.found(at + n, Place::Buffer)
    }

    /// The `Body` state (stream mode) after the valid `head` announcing
    /// `body` bytes: the payload, and the trailer's running checksum.
    #[inline(always)]
    fn stream_body(&self, head: &[u8], body: u64) -> State {
        let tail = self.framing.tail();
        if tail == 0 {
            return State::Body {
                remaining: body,
                sum: Running::default(),
            };
        }
        State::Body {
            remaining: body - tail as u64,
            sum: self.framing.sum_start(head),
        }
    }

    /// The running checksum after a payload piece.
    #[inline(always)]
    fn add_sum(&self, sum: Running, piece: &[u8]) -> Running {
        if self.framing.tail() == 0 {
            return sum;
        }
        self.framing.sum(sum, piece)
    }

    /// `Body`, stream mode: B3, B4, B5.
    #[inline(always)]
    fn in_stream_body(
        &mut self,
        input: &[u8],
        at: usize,
        last: bool,
        remaining: u64,
        sum: Running,
    ) -> Next {
        if remaining == 0 {
            self.buf.clear();
            if self.framing.tail() != 0 {
                // B5: the trailer comes next.
                self.state = State::Tail { sum };
                return Next::Go(at);
            }
            // B4.
            self.state = State::Idle;
            return self.found(at, Place::End);
        }
        let rest = &input[at..];
        if rest.is_empty() {
            if last {
                // Missing: the rest of the payload and the trailer.
                let missing = remaining + self.framing.tail() as u64;
                return self.truncated(at, missing, false);
            }
            return self.none(at);
        }
        // B3.
        let len = sat(remaining).min(rest.len());
        self.state = State::Body {
            remaining: remaining - len as u64,
            sum: self.add_sum(sum, &rest[..len]),
        };
        self.found(at + len, Place::Piece { start: at, len })
    }

    /// `Tail` (stream mode): T2, T3. The trailer, checked against the
    /// running checksum: read in place when it lies whole in the input,
    /// else gathered in the buffer.
    fn tail(&mut self, input: &[u8], at: usize, last: bool, sum: Running) -> Next {
        let rest = &input[at..];
        let want = self.framing.tail();
        let have = self.buf.len();
        let take = (want - have).min(rest.len());
        if have + take < want {
            if last {
                return self.truncated(input.len(), (want - have - take) as u64, false);
            }
            // T2.
            if let Some(next) = self.stash(&rest[..take], at) {
                return next;
            }
            return self.none(at + take);
        }
        let end = at + take;
        let verdict = if have == 0 {
            self.framing.check_sum(sum, &rest[..want])
        } else {
            if let Some(next) = self.stash(&rest[..take], at) {
                return next;
            }
            self.framing.check_sum(sum, self.buf.as_slice())
        };
        self.buf.clear();
        match verdict {
            // T3: the end marker.
            Ok(()) => {
                self.state = State::Idle;
                self.found(end, Place::End)
            }
            Err(fault) => {
                // T1.
                let length = self.pos + end as u64 - self.frame_start;
                self.bad_trailer(fault, length, end, end)
            }
        }
    }

    /// T1: a frame of `length` bytes whose trailer does not match, its last
    /// byte at `end`. Under resync it is dropped whole and reported
    /// ([`Recovery::Corrupt`]), and decoding goes on after it; else the
    /// machine fails, having consumed up to `error_at`.
    #[cold]
    fn bad_trailer(
        &mut self,
        fault: HeaderFault,
        length: u64,
        error_at: usize,
        end: usize,
    ) -> Next {
        if let (true, HeaderFault::Checksum { computed, carried }) =
            (self.framing.policies().1, fault)
        {
            self.buf.clear();
            self.state = State::Idle;
            let report = Recovery::Corrupt {
                offset: self.frame_start,
                length,
                computed,
                carried,
            };
            return self.report(end, report);
        }
        let e = self.fail(self.framing.fault(fault, self.limit()));
        Next::Done(self.out(error_at, Err(e)))
    }

    /// `Discard`: D1, D2.
    fn discard(&mut self, input: &[u8], at: usize, last: bool, remaining: u64) -> Next {
        let n = sat(remaining).min(input.len() - at);
        let left = remaining - n as u64;
        if left == 0 {
            // D1.
            self.state = State::Idle;
            return Next::Go(at + n);
        }
        // D2.
        self.state = State::Discard { remaining: left };
        if last {
            return self.truncated(at + n, left, false);
        }
        self.none(at + n)
    }

    /// Decides what a bad head leads to and moves the state there; the
    /// caller consumes what the verdict says.
    #[cold]
    fn judge(&mut self, fault: HeaderFault) -> Verdict {
        let (oversize, resync) = self.framing.policies();
        match fault {
            HeaderFault::TooLong(length) if oversize == Oversize::Discard => {
                self.state = State::Discard {
                    remaining: length.saturating_add(self.framing.tail() as u64),
                };
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
            _ => Verdict::Fail(self.fail(self.framing.fault(fault, self.limit()))),
        }
    }

    /// What resynchronising makes of the bytes at a position: stop at a
    /// valid head (or an oversized one under the discard policy), move past
    /// a bad one, or wait for more bytes (at the end of the stream, there
    /// are none: move past).
    fn probe(&self, bytes: &[u8], last: bool) -> Probe {
        match self.framing.head(bytes, self.limit()) {
            Head::Valid { .. } => Probe::Stop,
            Head::Bad(HeaderFault::TooLong(_), _)
                if self.framing.policies().0 == Oversize::Discard =>
            {
                Probe::Stop
            }
            Head::Bad(..) => Probe::Skip,
            Head::Need(_) if last => Probe::Skip,
            Head::Need(_) => Probe::More,
        }
    }

    fn skip(&mut self, n: u64) {
        if let State::Resync { skipped, .. } = &mut self.state {
            *skipped += n;
        }
    }

    /// `Resync`: R1, R2. Moves one byte at a time until the bytes from
    /// there hold an acceptable head (left in the buffer, or at the start
    /// of what is not consumed).
    #[inline(never)]
    fn resync(&mut self, input: &[u8], at: usize, last: bool) -> Next {
        let State::Resync { from, .. } = self.state else {
            unreachable!("resync outside Resync");
        };
        let rest = &input[at..];
        // Positions in the buffer: each is probed with as many of the
        // input's bytes appended as its head asks for, which are consumed
        // only if it is the one.
        let mut used = None;
        while used.is_none() && !self.buf.is_empty() {
            let have = self.buf.len();
            let mut k = 0;
            let probe = loop {
                match self.framing.head(self.buf.as_slice(), self.limit()) {
                    Head::Need(n) if k < rest.len() => {
                        let take = (n - self.buf.len()).min(rest.len() - k);
                        if let Some(next) = self.stash(&rest[k..k + take], at) {
                            return next;
                        }
                        k += take;
                    }
                    _ => break self.probe(self.buf.as_slice(), last),
                }
            };
            match probe {
                Probe::Stop => used = Some(k),
                // R2: every byte of the input is in the buffer now.
                Probe::More => return self.none(input.len()),
                Probe::Skip => {
                    self.buf.truncate(have);
                    self.buf.drop_front(1);
                    self.skip(1);
                }
            }
        }
        let used = match used {
            Some(n) => n,
            None => {
                // Positions in the input: no copying.
                let mut i = 0;
                loop {
                    if i == rest.len() {
                        self.skip(i as u64);
                        if last {
                            break i;
                        }
                        return self.none(input.len());
                    }
                    match self.probe(&rest[i..], last) {
                        Probe::Stop => {
                            self.skip(i as u64);
                            break i;
                        }
                        Probe::Skip => i += 1,
                        Probe::More => {
                            // R2: keep what may begin a head.
                            self.skip(i as u64);
                            if let Some(next) = self.stash(&rest[i..], at + i) {
                                return next;
                            }
                            return self.none(input.len());
                        }
                    }
                }
            }
        };
        // R1 (or the end of the stream): report.
        let bytes = match self.state {
            State::Resync { skipped, .. } => skipped,
            _ => 0,
        };
        let consumed = at + used;
        self.state = if self.buf.is_empty() {
            State::Idle
        } else {
            // The head found is in the buffer, its last bytes the last
            // consumed.
            self.frame_start = self.pos + consumed as u64 - self.buf.len() as u64;
            State::Head
        };
        self.report(
            consumed,
            Recovery::Skipped {
                offset: from,
                bytes,
            },
        )
    }

    /// Declares the end of the stream: the clean end, a last report, or
    /// `Truncated`. Called once `feed` returned `Ok(None)`; an item still
    /// pending then (an adapter that did not drain the decoder) is dropped.
    fn finish(&mut self) -> Result<Option<Recovery>, DecodeError> {
        let mut report = None;
        // At most three rounds: a pending end marker or report, then the end.
        loop {
            match self.run(&[], 0, true, 0).result? {
                None => return Ok(report),
                Some(Found::Recovered(r)) => report = Some(r),
                Some(Found::Item(At(place))) => {
                    debug_assert!(
                        matches!(place, Place::End),
                        "finish before the decoder was drained"
                    );
                }
            }
        }
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.state = State::Idle;
        if STREAM && self.framing.delimiter().is_some() {
            self.frame_start = self.pos;
            self.fail(DecodeErrorKind::NotStreamable);
            return;
        }
        let needed = self.framing.window().max(self.framing.tail());
        if self.buf.capacity() < needed {
            self.frame_start = self.pos;
            self.fail(DecodeErrorKind::BufferTooSmall {
                header: needed,
                capacity: self.buf.capacity(),
            });
        }
    }

    /// The [`Decoder::needs`] question.
    #[inline]
    fn needs(&self, window: &[u8]) -> Option<usize> {
        // Between frames: `Lent` is `Idle` once the next call clears the
        // buffer, which `window` does not need.
        if STREAM
            || !matches!(self.state, State::Idle | State::Lent)
            || self.framing.delimiter().is_some()
        {
            return None;
        }
        if let Some(body) = self.quick_valid(window) {
            // `fast_limit` bounds the body by `limit - len`: no overflow.
            return Some(self.framing.window() + sat(body));
        }
        match self.framing.head(window, self.limit()) {
            Head::Need(n) => Some(n),
            Head::Valid { len, body } => Some(len + sat(body)),
            Head::Bad(..) => None,
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
    ) -> Result<Option<Decoded<Frame<'s>>>, DecodeError> {
        let origin: &'a [u8] = input;
        let fed = self.machine.feed(origin, false, 0);
        *input = &origin[fed.consumed..];
        match fed.result? {
            Some(found) => Ok(Some(Feed::item(self, origin, found))),
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

    /// The frame [`Feed::feed`] found (for adapters; [`Feed::item`] takes
    /// any [`Found`]).
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it, if the decoder was fed again since, or if `at` came
    /// from a [`StreamDecoder`].
    #[inline(always)]
    pub fn frame<'a>(&'a self, input: &'a [u8], at: At) -> Frame<'a> {
        let layout = self.machine.framing.borrow();
        let (bytes, head) = match at.0 {
            Place::Input { start, head, len } => (&input[start..start + len], head),
            Place::Buffer => {
                let bytes = self.machine.buf.as_slice();
                (bytes, layout.head_len_in(bytes).min(bytes.len()))
            }
            Place::Piece { .. } | Place::End => panic!("a StreamDecoder's item given to a Decoder"),
        };
        // The head's length is the one the machine found: no length is read
        // again. A frame is at least its head and trailer long (a delimited
        // one, shorter than its trailer, is never returned).
        let (head, body) = bytes.split_at(head);
        let (payload, trailer) = body.split_at(body.len() - layout.trailer_len());
        Frame::new(Header::new(head, layout), payload, trailer)
    }

    /// [`Feed::feed`] without its shortcuts: the general loop alone. Not
    /// for use; the fuzz oracle holds `feed` to it.
    #[doc(hidden)]
    #[cfg(feature = "__oracle")]
    pub fn feed_general(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.machine.feed_general(input, last, hold)
    }

    /// How many bytes, from the start of `window`, the next frame needs to
    /// lie whole in it: `Some(n)` between frames (a head's length while
    /// `window` holds less, then the whole frame's), `None` when the
    /// decoder holds part of a frame, the head is bad, or the framing is
    /// delimited. A query for adapters that decide something by it (a
    /// printer that flushes when no frame is ready); feeding needs none of
    /// it, as [`Feed::feed`] keeps back what its `hold` allows by itself.
    ///
    /// ```
    /// use framing_core::{Decoder, Layout};
    ///
    /// let decoder = Decoder::new(Layout::new("!H"), framing_core::heapless::Vec::<u8, 64>::new());
    /// assert_eq!(decoder.needs(b""), Some(2)); // a header first
    /// assert_eq!(decoder.needs(b"\x00\x05he"), Some(7)); // then the frame
    /// assert_eq!(decoder.needs(b"\x01\x00"), None); // 256: over the buffer
    /// ```
    pub fn needs(&self, window: &[u8]) -> Option<usize> {
        self.machine.needs(window)
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.machine.framing.borrow()
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
        = Decoded<Frame<'a>>
    where
        Self: 'a;

    #[inline(always)]
    fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.machine.feed(input, last, hold)
    }

    #[inline(always)]
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Decoded<Frame<'a>> {
        match found {
            Found::Item(at) => Decoded::Frame(self.frame(input, at)),
            Found::Recovered(r) => Decoded::Recovered(r),
        }
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
        // The same body as `Decoder::decode`. A generic helper over `Feed`
        // for both measured 20% slower here (decode_whole/framing_stream/16).
        let origin: &'a [u8] = input;
        let fed = self.machine.feed(origin, false, 0);
        *input = &origin[fed.consumed..];
        match fed.result? {
            Some(found) => Ok(Some(Feed::item(self, origin, found))),
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

    /// The event [`Feed::feed`] found (for adapters; [`Feed::item`] takes
    /// any [`Found`]).
    ///
    /// # Panics
    /// If `input` does not begin with the bytes given to the `feed` call
    /// that found it, or if the decoder was fed again since.
    #[inline(always)]
    pub fn event<'a>(&'a self, input: &'a [u8], at: At) -> Event<'a> {
        let layout = self.machine.framing.borrow();
        match at.0 {
            Place::Input { start, len, .. } => {
                Event::Header(Header::new(&input[start..start + len], layout))
            }
            Place::Buffer => Event::Header(Header::new(self.machine.buf.as_slice(), layout)),
            Place::Piece { start, len } => Event::Payload(&input[start..start + len]),
            Place::End => Event::End,
        }
    }

    /// [`Feed::feed`] without its shortcuts: the general loop alone. Not
    /// for use; the fuzz oracle holds `feed` to it.
    #[doc(hidden)]
    #[cfg(feature = "__oracle")]
    pub fn feed_general(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.machine.feed_general(input, last, hold)
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        self.machine.framing.borrow()
    }

    /// Stream offset of the next byte to be fed.
    pub fn position(&self) -> u64 {
        self.machine.pos
    }

    /// Payload bytes still to come for the current frame, if inside one.
    pub fn remaining(&self) -> Option<u64> {
        match self.machine.state {
            State::Body { remaining, .. } => Some(remaining),
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
    fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.machine.feed(input, last, hold)
    }

    #[inline(always)]
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Event<'a> {
        match found {
            Found::Item(at) => self.event(input, at),
            Found::Recovered(r) => Event::Recovered(r),
        }
    }
}
