//! The adapter protocol: how code that reads bytes (framing-std's readers
//! and codecs, the embedded readers, your own) drives a decoder. Users call
//! [`Decoder::decode`](crate::Decoder::decode) or
//! [`StreamDecoder::decode`](crate::StreamDecoder::decode) and need none of
//! this.
//!
//! [`Feed`] is the one interface between a decoder and an adapter: `feed`
//! consumes what it uses and says how much ([`Fed`]) whatever it finds, and
//! `item` turns what it found ([`Found`]: a report, or an opaque [`At`])
//! into a frame or an event. [`Window`] is the one read loop over it
//! ([`Window::pull`] says what to do next: [`Pull`]).
//!
//! Writers have one piece of protocol too: [`Opening`], the choice every
//! writer makes per frame between the stream's first frame (after the
//! preface, with the first frame's own layout) and any later one.

use crate::decode::error::{DecodeError, Recovery};
use crate::encode::{EncodeError, Parts};
use crate::layout::Layout;
use crate::value::Value;

/// What one call of the feed primitive found: a recovery report, or an item
/// of the decoder's own ([`At`]) to turn into a frame ([`Decoder::frame`](crate::Decoder::frame))
/// or an event ([`StreamDecoder::event`](crate::StreamDecoder::event)). It borrows nothing, so an adapter
/// can find an item, update its own bookkeeping, and only then borrow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A frame (whole mode) or an event (stream mode), where [`At`] says.
    Item(At),
    /// The layout's [`preface`](crate::LayoutBuilder::preface), once, at
    /// the start of the stream, where [`At`] says: hand it to the user
    /// ([`Decoded::Preface`](crate::Decoded::Preface),
    /// [`Event::Preface`](crate::Event::Preface)) or pass over it.
    Preface(At),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

/// Where a found frame or event lies: an opaque handle only the decoder
/// makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At(pub(crate) Place);

impl At {
    /// Where in the input given to `feed` the item's bytes lie, if they lie
    /// there (not in the decoder's buffer): for adapters that split frames
    /// off their read buffer without a copy.
    #[inline]
    pub const fn in_input(&self) -> Option<core::ops::Range<usize>> {
        match self.0 {
            Place::Input { start, len, .. }
            | Place::Piece { start, len }
            | Place::Preface(Span::Input { start, len })
            | Place::First(Span::Input { start, len }) => Some(start..start + len),
            Place::Buffer
            | Place::End
            | Place::Preface(Span::Buffer)
            | Place::First(Span::Buffer) => None,
        }
    }

    /// The length of the head (the header, and the length after it if the
    /// layout has one) of a frame lying whole in the input
    /// ([`in_input`](Self::in_input)) and read with the decoder's own
    /// layout, as the decoder measured it; `None` for anything else (a
    /// frame in the decoder's buffer, the first frame of a layout whose
    /// first frame has its own, a preface): read it from the frame. For
    /// adapters that make a frame of their own without parsing the head
    /// again.
    #[inline]
    pub const fn head_len(&self) -> Option<usize> {
        match self.0 {
            Place::Input { head, .. } => Some(head),
            _ => None,
        }
    }

    /// Makes the place of a frame lying in the input relative to its own
    /// first byte (start 0) and returns where it began; 0, nothing
    /// changed, for any other place.
    #[inline(always)]
    fn rebase(&mut self) -> usize {
        match &mut self.0 {
            Place::Input { start, .. } => core::mem::take(start),
            _ => 0,
        }
    }

    /// Whether this is the first frame of a layout whose first frame has
    /// its own layout ([`LayoutBuilder::first_frame`](crate::LayoutBuilder::first_frame)):
    /// its header is read with that layout.
    #[inline]
    pub const fn is_first_frame(&self) -> bool {
        matches!(self.0, Place::First(_))
    }
}

/// Where the bytes of a preface or a first frame lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// In the input as fed.
    Input { start: usize, len: usize },
    /// In the decoder's buffer, all of it.
    Buffer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
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
    /// The preface.
    Preface(Span),
    /// The first frame, whose header is read with its own layout (whole
    /// mode).
    First(Span),
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
/// codecs, the embedded readers, [`Window`]).
///
/// For adapter authors; users call [`Decoder::decode`](crate::Decoder::decode) or
/// [`StreamDecoder::decode`](crate::StreamDecoder::decode).
pub trait Feed {
    /// What the decoder hands out: [`Decoded`](crate::Decoded) or [`Event`](crate::Event).
    type Item<'a>
    where
        Self: 'a;

    /// Offers `input` (the unread window of the adapter's buffer); `last`
    /// says that no byte follows it (the end of the stream). Consumes what
    /// it uses and returns at most one item; see [`Fed`] and the
    /// [transition table](crate::decode).
    ///
    /// `hold` is the longest frame the adapter can keep whole in its own
    /// buffer (0: none). Between frames, a whole-frame decoder leaves a
    /// frame that is not whole yet but fits `hold` unconsumed and says how
    /// long it is ([`Fed::need`]), so that it arrives whole and is lent
    /// from the input without a copy: the wait-until-whole rule of every
    /// adapter, in one place. A streaming decoder takes every byte as it
    /// comes.
    fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed;

    /// The frame at the start of `input`, if the decoder takes it in one
    /// step from between frames (transition I1: a valid head and the whole
    /// frame, its trailer good; for a delimited framing, D1: a line and its
    /// delimiter, a SLIP frame with no escape, a COBS frame of one block, a
    /// RESP value):
    /// how many bytes it consumed and where the
    /// frame lies, exactly as [`feed`](Self::feed) would have returned
    /// them (as `Found::Item`), without building a [`Fed`] or entering the
    /// machine's dispatch. Only a frame: reports and a preface are
    /// `feed`'s. `None` changes nothing: call `feed`, which decides
    /// everything else.
    ///
    /// A shortcut for adapters that lend frames from their own buffer,
    /// taken before their read loop ([`Window::take`]) when
    /// [`takes`](Self::takes) says it can succeed; the default takes
    /// nothing, and a streaming decoder has no such step.
    #[inline(always)]
    fn take(&mut self, input: &[u8]) -> Option<(usize, At)> {
        let _ = input;
        None
    }

    /// [`take`](Self::take), and the other answer [`feed`](Self::feed)
    /// gives without consuming anything: where the frame at the start of
    /// `input` (or its head) is not whole yet and `feed` would keep it
    /// back for an adapter holding `hold` bytes (transition I0; for
    /// lines D7, a line begun),
    /// `Err(need)`, the [`Fed::need`] `feed` would have returned, the
    /// decoder left as `feed` would leave it. `Err(0)`: neither, nothing
    /// changed; call `feed`. Never for the end of the stream: with `last`,
    /// `feed` decides.
    ///
    /// For adapters whose buffer others fill in small reads (a codec under
    /// tokio-util's `FramedRead`), where a frame begins in nearly every
    /// read: the wait for it costs this step, not a trip through `feed`.
    /// The default answers as `take` does, never `Err(need)`.
    #[inline(always)]
    fn take_or_hold(&mut self, input: &[u8], hold: usize) -> Result<(usize, At), usize> {
        let _ = hold;
        self.take(input).ok_or(0)
    }

    /// Whether [`take`](Self::take) can ever return a frame: a property of
    /// the decoder and its framing (the same answer for every input and
    /// state), so an adapter can choose its path once per call: `take`
    /// inline with its read loop out of line, or its read loop inline
    /// alone (a `take` that never succeeds would add a call per frame).
    /// The default: `false`.
    #[inline(always)]
    fn takes(&self) -> bool {
        false
    }

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

/// The one feed loop every adapter runs over its read buffer.
///
/// An adapter reads bytes into a buffer it owns or borrows; [`Window`]
/// remembers which of them are read but not yet fed (`buf[start..end]`),
/// feeds them through the [feed primitive](Feed), drops exactly what
/// the decoder consumed (errors and reports included), and says when to read
/// more. The adapter's own code is only the I/O: a blocking read, an async
/// read, a `Vec` that grows.
///
/// ```
/// use framing_core::adapter::{Feed, Pull, Window};
/// use framing_core::{Decoded, Decoder, Layout};
///
/// let mut wire: &[u8] = b"\x00\x02hi\x00\x03you";
/// let mut buf = [0u8; 4]; // smaller than a frame: the decoder assembles it
/// let mut window = Window::new();
/// let mut decoder = Decoder::new(Layout::new("!H"), framing_core::heapless::Vec::<u8, 16>::new());
/// let mut got = Vec::new();
/// loop {
///     match window.pull(&buf, &mut decoder, buf.len()) {
///         Pull::Found { at, found } => {
///             if let Decoded::Frame(f) = decoder.item(window.since(&buf, at), found) {
///                 got.push(f.payload().to_vec());
///             }
///         }
///         Pull::Read { .. } => {
///             // Any reader: here, up to 3 bytes of `wire` at a time.
///             let room = window.room(&mut buf);
///             let n = room.len().min(3).min(wire.len());
///             room[..n].copy_from_slice(&wire[..n]);
///             wire = &wire[n..];
///             window.filled(n); // 0: the end of the stream
///         }
///         Pull::End => break,
///         Pull::Failed(e) => panic!("{e}"),
///     }
/// }
/// assert_eq!(got, [b"hi".to_vec(), b"you".to_vec()]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    start: usize,
    end: usize,
    ended: bool,
    /// What the decoder last said the item at `start` needs whole ([`Fed::need`],
    /// I0), 0 when it said nothing. Until that many bytes are unfed,
    /// feeding them again would get the same answer (the verdict on a
    /// prefix never changes), so [`pull`](Self::pull) asks for a read
    /// without entering the decoder: a peer's bytes trickling in one read
    /// at a time cost the decoder one call per item, not one per read.
    need: usize,
}

/// What [`Window::pull`] asks the adapter to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Pull {
    /// An item: turn it into one with the decoder's `item`, passing
    /// [`Window::since`]`(buf, at)`.
    Found {
        /// Where the bytes it was found in began in the buffer.
        at: usize,
        /// What the decoder found.
        found: Found,
    },
    /// Read more: into [`Window::room`], then report it with
    /// [`Window::filled`]. `need` is the size, from the first unfed byte,
    /// the next frame needs whole in the buffer (0 when the decoder took
    /// every byte): an adapter whose buffer grows makes room for it first.
    Read {
        /// Bytes the buffer should hold from [`Window::start`], or 0.
        need: usize,
    },
    /// The stream ended cleanly, on a frame boundary.
    End,
    /// The stream is broken; pulling again returns the same error.
    Failed(DecodeError),
}

impl Window {
    /// An empty window: nothing read yet.
    pub const fn new() -> Self {
        Window {
            start: 0,
            end: 0,
            ended: false,
            need: 0,
        }
    }

    /// Feeds the unfed bytes of `buf` once and drops what the decoder
    /// consumed. `hold` is the longest frame the adapter can keep whole in
    /// `buf` (its capacity, or 0): the decoder leaves a frame not yet whole
    /// that fits unconsumed ([`Feed::feed`]'s I0), so it arrives whole and
    /// is returned without a copy; a longer one is assembled by the
    /// decoder. One call into the decoder per item.
    #[inline(always)]
    pub fn pull<D: Feed + ?Sized>(&mut self, buf: &[u8], decoder: &mut D, hold: usize) -> Pull {
        let window = self.unfed(buf);
        if self.need > window.len() && !self.ended {
            // The decoder's answer for these bytes, which still holds.
            return Pull::Read { need: self.need };
        }
        let fed = decoder.feed(window, self.ended, hold);
        self.need = fed.need;
        let at = self.start;
        // Whatever was found, error or report included, the bytes used are
        // gone: drop them before anything else.
        // Clamped by `min` here, not `drop_fed`'s branch: the async
        // embedded reader, which finds every frame through `pull`, ran
        // 5.2 ns a 16-byte frame with the `min` and 6.4-7.5 with the branch
        // (its cold call out of line in the future; BENCHMARKS.md). A
        // decoder that consumes more than it was fed is held either way.
        debug_assert!(fed.consumed <= window.len(), "consumed more than fed");
        self.start += fed.consumed.min(window.len());
        match fed.result {
            Err(e) => Pull::Failed(e),
            Ok(Some(found)) => Pull::Found { at, found },
            Ok(None) if self.ended => Pull::End,
            Ok(None) => {
                // Kept back bytes are fewer than the item they begin.
                debug_assert!(
                    self.start == self.end || fed.need > self.end - self.start,
                    "the decoder left bytes unfed"
                );
                Pull::Read { need: fed.need }
            }
        }
    }

    /// [`Feed::take`] over the unfed bytes of `buf`: the next frame, when the
    /// decoder takes it whole in one step, the frame [`pull`](Self::pull)
    /// would have found, with where it lies: where in `buf` the frame's own
    /// bytes begin (for [`since`](Self::since) or
    /// [`after`](Self::after); after a COBS frame's code byte, not where
    /// the unfed bytes began, which `pull` returns) and where the frame
    /// lies from there; its bytes dropped;
    /// `None`, changing nothing, otherwise: call `pull`. Kept apart from
    /// `pull` so an adapter can inline this step and leave its read loop
    /// out of line: a frame already read then costs the decoder's I1 and
    /// this bookkeeping, nothing more.
    #[inline(always)]
    pub fn take<D: Feed + ?Sized>(&mut self, buf: &[u8], decoder: &mut D) -> Option<(usize, At)> {
        // With `hold` 0 nothing is kept back: I1 alone, `need` left as
        // `pull` would find it.
        self.take_or_hold(buf, decoder, 0)
    }

    /// [`Feed::take_or_hold`] over the unfed bytes of `buf`: as
    /// [`take`](Self::take), and where the decoder keeps the next frame
    /// back until it is whole (at most `hold` bytes, as for
    /// [`pull`](Self::pull)), `None` with its answer remembered, as `pull`
    /// remembers it: [`is_waiting`](Self::is_waiting) then says so and
    /// [`need`](Self::need) how many bytes the frame needs.
    #[inline(always)]
    pub fn take_or_hold<D: Feed + ?Sized>(
        &mut self,
        buf: &[u8],
        decoder: &mut D,
        hold: usize,
    ) -> Option<(usize, At)> {
        let window = self.unfed(buf);
        // The decoder's last answer about these bytes still holds (as in
        // `pull`): they begin a frame that is not whole yet. Spelled out
        // rather than through `is_waiting`, which cost the readers 8 to 11
        // instructions a frame here (its `ended` test and its own length).
        if !decoder.takes() || self.need > window.len() {
            return None;
        }
        match decoder.take_or_hold(window, hold) {
            Ok((consumed, mut frame)) => {
                debug_assert!(consumed <= window.len(), "took more than fed");
                // Where the frame's bytes begin, its place made relative to
                // it: every take's frame then starts at 0 for the adapter
                // that makes it (a COBS frame's 1, past its code byte,
                // merged with every other take's 0 where the frame is made
                // cost each `!I` frame 5 instructions, and each owned one
                // 15).
                let at = self.start + frame.rebase();
                // As `pull` after an item: the bytes are gone, and the
                // decoder's last answer about them with them.
                self.drop_fed(consumed, window.len());
                self.need = 0;
                Some((at, frame))
            }
            Err(need) => {
                // As `pull` records `Fed::need`: bytes kept back are fewer
                // than the frame they begin.
                debug_assert!(need == 0 || need > window.len(), "kept back a whole frame");
                self.need = need;
                None
            }
        }
    }

    /// What the decoder last said the item at [`start`](Self::start) needs
    /// whole, in bytes from there ([`Fed::need`], I0); 0 when it said
    /// nothing.
    #[inline]
    pub const fn need(&self) -> usize {
        self.need
    }

    /// The bytes of `buf` read and not yet fed.
    #[inline(always)]
    fn unfed<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        // `start <= end <= buf.len()` for every `buf` this window reads:
        // two predicted branches, off the chain from one frame's length to
        // the next frame's start (a clamp there, `min`, is a conditional
        // move on it).
        match buf.get(self.start..self.end) {
            Some(unfed) => unfed,
            None => clamped(buf, self.start, self.end),
        }
    }

    /// Drops the first `consumed` of the `fed` unfed bytes.
    #[inline(always)]
    fn drop_fed(&mut self, consumed: usize, fed: usize) {
        debug_assert!(consumed <= fed, "consumed more than fed");
        // A decoder consumes at most what it was fed (`Feed`'s contract).
        // Held by a branch, not `consumed.min(fed)`: `consumed` is the
        // frame's length, on the chain to the next frame's start, and the
        // conditional move cost `FrameReader` 8% of a 16-byte frame. The
        // take path's only: `pull` keeps its `min`.
        if consumed > fed {
            return self.drop_all(fed);
        }
        self.start += consumed;
    }

    /// [`drop_fed`](Self::drop_fed) for a decoder that consumed more than
    /// it was fed, against `Feed`'s contract: what it was fed is dropped,
    /// and `start <= end` holds.
    #[cold]
    #[inline(never)]
    fn drop_all(&mut self, fed: usize) {
        self.start += fed;
    }

    /// The bytes of `buf` from `at`, where [`take`](Self::take) or
    /// [`take_or_hold`](Self::take_or_hold) found a frame (the `usize` they
    /// return): its bytes and those read after it. One comparison, where
    /// [`since`](Self::since) makes two; the frame lies within what was
    /// read, so nothing past it needs cutting off.
    #[inline(always)]
    pub fn after<'b>(&self, buf: &'b [u8], at: usize) -> &'b [u8] {
        buf.get(at..).unwrap_or_default()
    }

    /// The bytes of `buf` from `at` (from [`Pull::Found`]) to the end of
    /// what was read: the input the item was found in.
    #[inline]
    pub fn since<'b>(&self, buf: &'b [u8], at: usize) -> &'b [u8] {
        // Clamped: the same bytes wherever `at` is one of this window's
        // finds, in fewer instructions than `get`.
        clamp(buf, at, self.end)
    }

    /// Where the next read goes: the free space after the unfed bytes.
    /// Moves the unfed bytes to the front of `buf` first when there is no
    /// room after them, and starts over at the front when there are none.
    pub fn room<'b>(&mut self, buf: &'b mut [u8]) -> &'b mut [u8] {
        if self.start >= self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end >= buf.len() && self.start > 0 {
            self.compact(buf);
        }
        buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Moves the unfed bytes to the front of `buf`.
    pub fn compact(&mut self, buf: &mut [u8]) {
        if self.start > 0 {
            let end = self.end.min(buf.len());
            buf.copy_within(self.start.min(end)..end, 0);
            self.end = end - self.start.min(end);
            self.start = 0;
        }
    }

    /// Records a read of `n` bytes into [`room`](Self::room); 0 is the end
    /// of the stream.
    #[inline]
    pub fn filled(&mut self, n: usize) {
        if n == 0 {
            self.ended = true;
        }
        self.end += n;
    }

    /// For an adapter whose buffer others fill (a `BytesMut` a framework
    /// reads into, as tokio-util's `FramedRead` does), instead of
    /// [`room`](Self::room) and [`filled`](Self::filled): the buffer now
    /// holds `len` bytes, and `ended` says whether the stream ends after
    /// them (for this pull: a framework may read again after an end).
    /// Returns `false`, changing nothing, if `len` is less than the bytes
    /// already fed ([`start`](Self::start)): someone removed bytes the
    /// decoder may be holding. Fewer unfed bytes than before (taken back
    /// by their owner) are fine: the decoder is asked about them again.
    #[inline]
    pub fn arrived(&mut self, len: usize, ended: bool) -> bool {
        if len < self.start {
            return false;
        }
        if len < self.end {
            // The bytes `need` was said of are not all there any more.
            self.need = 0;
        }
        self.end = len;
        self.ended = ended;
        true
    }

    /// The adapter dropped the first `n` bytes of its buffer, all of them
    /// fed (`n` at most [`start`](Self::start); more is taken as `start`):
    /// every offset moves back by `n`. With [`arrived`](Self::arrived),
    /// for a buffer that drops what it consumed from its front.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        debug_assert!(n <= self.start, "advanced past the fed bytes");
        let n = n.min(self.start);
        self.start -= n;
        self.end -= n;
    }

    /// Offset in the buffer of the first unfed byte.
    #[inline]
    pub const fn start(&self) -> usize {
        self.start
    }

    /// Offset in the buffer just past the last byte read.
    #[inline]
    pub const fn end(&self) -> usize {
        self.end
    }

    /// Whether every byte read has been fed.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// Whether the end of the stream was read.
    #[inline]
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether the decoder's last answer about the unfed bytes still
    /// holds: they begin an item that needs more of them whole, so
    /// [`pull`](Self::pull) would answer [`Pull::Read`] again without
    /// feeding them, and [`take`](Self::take) finds nothing. For an adapter
    /// that can answer "read more" without pulling (a codec whose framework
    /// reads into the buffer).
    #[inline]
    pub const fn is_waiting(&self) -> bool {
        !self.ended && self.need > self.end.saturating_sub(self.start)
    }
}

/// Where a writer stands in its stream: before its first frame, which goes
/// out after the layout's [`preface`](crate::LayoutBuilder::preface) and
/// with the first frame's own [layout](crate::LayoutBuilder::first_frame),
/// or after it. Every writer (framing-std's writers and codecs, the
/// embedded ones, your own) keeps one and encodes through it, so the rule
/// is written once: [`Layout::encode_opening_parts`] until a frame was
/// encoded, [`Layout::encode_parts`] after.
///
/// ```
/// use framing_core::adapter::Opening;
/// use framing_core::Layout;
///
/// const HELLO: Layout = Layout::builder("!H").preface(b"HI").build_or_panic();
/// let mut opening = Opening::new();
/// // A first frame that fails to encode leaves the preface to the next.
/// assert!(opening.encode_parts(&HELLO, b"one", &[], &mut [0u8; 3]).is_err());
/// assert!(!opening.is_past());
/// let mut scratch = [0u8; 8];
/// assert_eq!(opening.scratch_len(&HELLO, 3), Some(4));
/// let parts = opening.encode_parts(&HELLO, b"one", &[], &mut scratch)?;
/// assert_eq!(parts.head(), b"HI\x00\x03");
/// assert!(opening.is_past());
/// let parts = opening.encode_parts(&HELLO, b"two", &[], &mut scratch)?;
/// assert_eq!(parts.head(), b"\x00\x03");
/// # Ok::<(), framing_core::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Opening {
    /// A frame was encoded: the opening is past.
    past: bool,
}

impl Opening {
    /// Before the stream's first frame.
    pub const fn new() -> Self {
        Opening { past: false }
    }

    /// Whether the first frame was encoded (a failed encoding leaves it
    /// still to come).
    pub const fn is_past(self) -> bool {
        self.past
    }

    /// The scratch space the next frame, of `payload_len` bytes, needs
    /// ([`Layout::opening_scratch_len`] or [`Layout::scratch_len`]).
    /// `None` on overflow.
    pub const fn scratch_len(self, layout: &Layout, payload_len: usize) -> Option<usize> {
        if self.past {
            layout.scratch_len(payload_len)
        } else {
            layout.opening_scratch_len(payload_len)
        }
    }

    /// Encodes the next frame into `scratch` and `payload`, as
    /// [`Layout::encode_opening_parts`] (the first) or
    /// [`Layout::encode_parts`] (any later one) does; once one succeeds,
    /// the opening is past.
    ///
    /// # Errors
    /// As those methods; the opening is then unchanged.
    #[inline]
    pub fn encode_parts<'s, 'p>(
        &mut self,
        layout: &Layout,
        payload: &'p [u8],
        fields: &[(usize, Value<'_>)],
        scratch: &'s mut [u8],
    ) -> Result<Parts<'s, 'p>, EncodeError> {
        let parts = if self.past {
            layout.encode_parts(payload, fields, scratch)
        } else {
            layout.encode_opening_parts(payload, fields, scratch)
        }?;
        self.past = true;
        Ok(parts)
    }
}

/// `buf[start..end]` with both ends clamped to `buf` (`start` to `end`):
/// never a panic, whatever the offsets.
#[inline(always)]
fn clamp(buf: &[u8], start: usize, end: usize) -> &[u8] {
    let end = end.min(buf.len());
    &buf[start.min(end)..end]
}

/// [`clamp`] out of the way of the common case: a window's unfed bytes
/// when a `buf` other than the one it reads is passed (never in the
/// adapters).
#[cold]
#[inline(never)]
fn clamped(buf: &[u8], start: usize, end: usize) -> &[u8] {
    clamp(buf, start, end)
}
