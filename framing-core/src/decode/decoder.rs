//! The two facades over the machine: [`Decoder`] (whole frames) and
//! [`StreamDecoder`] (header, payload pieces, end), and what they return.

use core::borrow::Borrow;

use super::error::{DecodeError, DecodeErrorKind, Recovery};
use super::machine::Machine;
use super::state::State;
use crate::adapter::{At, Fed, Feed, Found, Place, Span};
use crate::buffer::Buffer;
use crate::header::{Frame, Header};
use crate::layout::Layout;

/// What a whole-frame reader returns: a frame, or a recovery report. One
/// type for every adapter, generic over the frame: a [`Decoder`] and the
/// borrowing readers give `Decoded<Frame<'_>>` (lent from the input or the
/// buffer), framing-std's codec an owned frame.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<F> {
    /// A whole frame.
    Frame(F),
    /// The layout's [`preface`](crate::LayoutBuilder::preface), once,
    /// before the first frame: a frame with no header whose payload is the
    /// preface's bytes (its header's layout is [`Layout::PREFACE`]).
    Preface(F),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
}

impl<F> Decoded<F> {
    /// The frame, if this is one.
    pub fn frame(self) -> Option<F> {
        match self {
            Decoded::Frame(frame) => Some(frame),
            Decoded::Preface(_) | Decoded::Recovered(_) => None,
        }
    }

    /// The frame, borrowed, if this is one.
    pub fn as_frame(&self) -> Option<&F> {
        match self {
            Decoded::Frame(frame) => Some(frame),
            Decoded::Preface(_) | Decoded::Recovered(_) => None,
        }
    }

    /// The preface, if this is it.
    pub fn preface(self) -> Option<F> {
        match self {
            Decoded::Preface(preface) => Some(preface),
            Decoded::Frame(_) | Decoded::Recovered(_) => None,
        }
    }

    /// The recovery report, if this is one.
    pub fn recovery(&self) -> Option<Recovery> {
        match self {
            Decoded::Frame(_) | Decoded::Preface(_) => None,
            Decoded::Recovered(r) => Some(*r),
        }
    }
}

/// What a [`StreamDecoder`] returns.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// A validated header; payload pieces follow, then [`Event::End`].
    Header(Header<'a>),
    /// The next piece of the current payload (never empty), borrowed from
    /// the input.
    Payload(&'a [u8]),
    /// The current frame's payload is complete.
    End,
    /// The layout's [`preface`](crate::LayoutBuilder::preface), once,
    /// before the first header: its bytes, whole (the decoder's buffer
    /// holds the longest preface).
    Preface(&'a [u8]),
    /// The layout's recovery policy dropped bytes; decoding goes on.
    Recovered(Recovery),
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
    #[inline(always)]
    pub fn decode<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<Decoded<Frame<'s>>>, DecodeError> {
        let origin: &'a [u8] = input;
        // I1 (or D1 for a delimited framing), the transition most calls
        // take, inline and lent without a `Fed`; everything else is one
        // call. A length framing with a quick path asks no more: the
        // delimited family's question would cost its small chunks a
        // comparison each.
        if self.machine.quick.limit != 0 {
            if let Some((head, total)) = self.machine.take_i1(origin) {
                *input = &origin[total..];
                return Ok(Some(Decoded::Frame(self.lend(&origin[..total], head))));
            }
            // B2, what nearly every call takes where chunks are smaller
            // than frames, inline too: read from a returned `Fed`, its
            // result cost each chunk a spill and a dispatch.
            if self.machine.take_b2(origin) {
                *input = &origin[origin.len()..];
                return Ok(None);
            }
        } else if let Some((end, frame)) = self.machine.take_delimited(origin) {
            *input = &origin[end..];
            return Ok(frame.map(|place| {
                // A frame whole in the input, or its rest joined in the
                // buffer (D1'); a delimited frame has no head. Not through
                // `frame`, which reads a head length from the place and the
                // layout and has the length family's places to match: that
                // cost 7 to 9 instructions a frame (lines and COBS, 16 B).
                let bytes = match place {
                    Place::Input { start, len, .. } => &origin[start..start + len],
                    _ => self.machine.buf.as_slice(),
                };
                Decoded::Frame(self.lend(bytes, 0))
            }));
        }
        self.feed_decode(input)
    }

    /// [`decode`](Self::decode) through the feed primitive.
    #[inline]
    fn feed_decode<'s, 'a: 's>(
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
        let mut layout = self.machine.framing.borrow();
        let mut tail = self.machine.tail_len();
        let (bytes, head) = match at.0 {
            Place::Input { start, head, len } => (&input[start..start + len], head),
            Place::Buffer => {
                let bytes = self.machine.buf.as_slice();
                (bytes, layout.head_len_in(bytes).min(bytes.len()))
            }
            Place::First(span) => {
                // Read with the first frame's own layout (once a stream).
                if let Some(first) = layout.first_frame() {
                    layout = first;
                    tail = first.tail_len();
                }
                let bytes = self.span(input, span);
                (bytes, layout.head_len_in(bytes).min(bytes.len()))
            }
            Place::Preface(span) => return Frame::preface(self.span(input, span)),
            Place::Piece { .. } | Place::End => panic!("a StreamDecoder's item given to a Decoder"),
        };
        split_frame(layout, bytes, head, tail)
    }

    /// The frame of this decoder's layout whose bytes are `bytes`, its head
    /// `head` bytes long.
    #[inline(always)]
    fn lend<'a>(&'a self, bytes: &'a [u8], head: usize) -> Frame<'a> {
        split_frame(
            self.machine.framing.borrow(),
            bytes,
            head,
            self.machine.tail_len(),
        )
    }

    /// The bytes of a preface or first frame.
    fn span<'a>(&'a self, input: &'a [u8], span: Span) -> &'a [u8] {
        match span {
            Span::Input { start, len } => &input[start..start + len],
            Span::Buffer => self.machine.buf.as_slice(),
        }
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
    pub fn offset(&self) -> u64 {
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
        // I1 taken before the machine's dispatch, as `decode` takes it.
        if let Some(fed) = self.machine.feed_i1(input) {
            return fed;
        }
        self.machine.feed(input, last, hold)
    }

    /// I1 as [`decode`](Self::decode) takes it (`take_i1`), or, for a
    /// layout one comparison cannot judge (a varint over one byte, constants),
    /// with the layout's full validation; for a delimited framing, D1 (a
    /// frame whole in the input, lent from it). The frame recorded as
    /// `feed`'s I1 and D1 record it.
    #[inline(always)]
    fn take(&mut self, input: &[u8]) -> Option<(usize, At)> {
        // With `hold` 0 the machine keeps nothing back: I1 alone.
        self.take_or_hold(input, 0).ok()
    }

    /// I1 or D1 as [`take`](Feed::take), and a length framing's I0 as
    /// [`feed`](Feed::feed) takes it from between frames.
    #[inline(always)]
    fn take_or_hold(&mut self, input: &[u8], hold: usize) -> Result<(usize, At), usize> {
        let (consumed, frame) = self.machine.take_or_hold(input, hold)?;
        Ok((consumed, At(frame)))
    }

    /// `true`: a whole decoder takes frames over every framing (see
    /// [`take`](Feed::take)).
    #[inline(always)]
    fn takes(&self) -> bool {
        self.machine.takes()
    }

    #[inline(always)]
    fn item<'a>(&'a self, input: &'a [u8], found: Found) -> Decoded<Frame<'a>> {
        match found {
            Found::Item(at) => Decoded::Frame(self.frame(input, at)),
            Found::Preface(at) => Decoded::Preface(self.frame(input, at)),
            Found::Recovered(r) => Decoded::Recovered(r),
        }
    }
}

/// A frame's bytes split into head, payload and trailer (a frame end, `end`
/// bytes at the end of the `tail`, dropped). The head's length is the one
/// the machine found: no length is read again. `tail` is the layout's
/// [`tail_len`](Layout::tail_len), as the machine keeps it (read from the
/// layout, it cost the layout's address and two loads a frame). A frame is
/// at least its head and tail long (a delimited one, shorter than its
/// trailer, is never returned).
#[inline(always)]
fn split_frame<'a>(layout: &'a Layout, bytes: &'a [u8], head: usize, tail: usize) -> Frame<'a> {
    debug_assert_eq!(tail, layout.tail_len());
    if tail == 0 {
        // No trailer, no frame end: the payload is the rest, one split
        // (the common case).
        let (head, payload) = bytes.split_at(head);
        return Frame::new(Header::new(head, layout), payload, &[]);
    }
    let end = tail - layout.trailer_len();
    let (head, body) = bytes.split_at(head);
    let (payload, trailer) = body[..body.len() - end].split_at(body.len() - tail);
    Frame::new(Header::new(head, layout), payload, trailer)
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
///             Event::Preface(_) => unreachable!("this layout has no preface"),
///             _ => {} // what a later version adds (the enum is #[non_exhaustive])
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
    /// A streaming decoder for `layout`; `buffer` needs room for one header
    /// (a smaller one makes a decoder that fails at once with
    /// [`BufferTooSmall`](DecodeErrorKind::BufferTooSmall), as for a
    /// [`Decoder`]).
    ///
    /// # Panics
    /// If `layout` is delimited (COBS, SLIP, lines): a delimited frame's
    /// length is known only at its end, so there is no header to hand out
    /// first; use a [`Decoder`]. For a layout known only at run time,
    /// [`try_new`](Self::try_new) says so instead.
    pub fn new(layout: L, buffer: B) -> Self {
        match Self::try_new(layout, buffer) {
            Ok(decoder) => decoder,
            Err(e) => panic!("{e}"),
        }
    }

    /// A streaming decoder for `layout`, as [`new`](Self::new), or an error
    /// for a delimited layout: a streaming decoder over one cannot be
    /// built.
    ///
    /// # Errors
    /// [`NotStreamable`](DecodeErrorKind::NotStreamable) (at offset 0) if
    /// `layout` is delimited.
    ///
    /// ```
    /// use framing_core::{DecodeErrorKind, Layout, StreamDecoder};
    ///
    /// let lines = Layout::delimited(b"\n").build_or_panic();
    /// let refused = StreamDecoder::try_new(lines, framing_core::heapless::Vec::<u8, 4>::new());
    /// assert_eq!(refused.err().map(|e| e.kind()), Some(DecodeErrorKind::NotStreamable));
    /// ```
    pub fn try_new(layout: L, buffer: B) -> Result<Self, DecodeError> {
        if layout.borrow().delimiter().is_some() {
            return Err(DecodeError::new(DecodeErrorKind::NotStreamable, 0));
        }
        if layout.borrow().first_frame().is_some() {
            return Err(DecodeError::new(
                DecodeErrorKind::FirstFrameNotStreamable,
                0,
            ));
        }
        Ok(StreamDecoder {
            machine: Machine::new(layout, buffer),
        })
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
        // B3, a payload piece, inline: what nearly every call takes where
        // chunks are smaller than frames.
        if let Some(n) = self.machine.take_b3(origin) {
            *input = &origin[n..];
            return Ok(Some(Event::Payload(&origin[..n])));
        }
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
            Place::Preface(Span::Input { start, len }) => {
                Event::Preface(&input[start..start + len])
            }
            Place::Preface(Span::Buffer) => Event::Preface(self.machine.buf.as_slice()),
            Place::First(_) => unreachable!("no StreamDecoder has a first frame's layout"),
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
    pub fn offset(&self) -> u64 {
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
            Found::Item(at) | Found::Preface(at) => self.event(input, at),
            Found::Recovered(r) => Event::Recovered(r),
        }
    }
}
