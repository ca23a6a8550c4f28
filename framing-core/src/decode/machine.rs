//! The machine both decoders are: its fields, the one entry point
//! ([`Machine::feed`]) and the one loop ([`Machine::run`]), each matching
//! the framing's kind once at the top, and the helpers every state's
//! handler shares. The length family's handlers are in `length.rs`, the
//! delimited family's in `delimited.rs`.

use super::delimited::COBS_START;
use super::error::{DecodeError, DecodeErrorKind, Recovery};
use super::framing::{sat, Framing, FramingKind, Head};
use super::state::State;
use crate::adapter::{At, Fed, Found, Place};
use crate::buffer::Buffer;
use crate::layout::{Delimiter, HeaderFault};

/// What a state's handler did: returned, or moved to another state having
/// consumed up to `at`.
pub(super) enum Next {
    Done(Fed),
    Go(usize),
}

/// What I1's fast path needs to judge a head by one comparison, read off
/// the framing once, when the decoder is built, so the fast path reads the
/// machine and not the layout: for a head whose quick field alone decides
/// (`limit` != 0, see [`Framing::quick_field`] and
/// [`Framing::fast_limit`]): a fixed header's length field, or a varint
/// length's first byte.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Quick {
    /// See [`Framing::fast_limit`], at most `u32::MAX` (a lower bound
    /// only sends more heads to the full validation); 0: no fast path.
    pub(super) limit: u32,
    /// The head's length when the quick field judges it (a head over 255 bytes has
    /// no fast path, to keep the decoder small).
    pub(super) head: u8,
    /// The length field's offset in the header.
    pub(super) at: u8,
    /// 64 minus the length field's width in bits: an 8-byte load at `at`
    /// holds the field in its first bytes.
    pub(super) shift: u8,
    /// The field is big-endian.
    pub(super) big: bool,
    /// The framing's [`tail`](Framing::tail) (at most 16 bytes: a trailer
    /// and a frame end of 8 each), with or without a fast path: read here,
    /// the frame's split and I1's total cost no load through the layout's
    /// address (3 to 4 instructions a frame each).
    pub(super) tail: u16,
    /// `head + tail`: a frame's bytes beyond its quick field's value, one
    /// value so that I1's total is one addition to the field (the field's
    /// load, its shift and that addition are the chain from one frame to
    /// the next; the compiler adds the two apart, a cycle a frame more).
    pub(super) fixed: u16,
}

impl Quick {
    fn new<F: Framing>(framing: &F, limit: usize) -> Self {
        let limit = u32::try_from(framing.fast_limit(limit)).unwrap_or(u32::MAX);
        let field = framing.quick_field();
        // A layout's tail is two lengths of a byte each (`TailLens`): it
        // always fits, the conversion never saturates.
        let tail = u16::try_from(framing.tail()).unwrap_or(u16::MAX);
        debug_assert_eq!(usize::from(tail), framing.tail());
        let quick = match (field, field.map(|f| u8::try_from(f.head))) {
            (Some(f), Some(Ok(head))) if limit != 0 => Quick {
                limit,
                head,
                // The field lies within the head.
                at: f.at as u8,
                shift: (64 - 8 * f.width) as u8,
                big: f.big,
                tail,
                fixed: u16::from(head) + tail,
            },
            _ => Quick {
                tail,
                ..Quick::default()
            },
        };
        debug_assert_eq!(quick.tail_len(), framing.tail());
        quick
    }

    /// The framing's tail length, in bytes.
    #[inline(always)]
    pub(super) fn tail_len(&self) -> usize {
        usize::from(self.tail)
    }

    /// The raw value of the quick field of the head whole at the start of
    /// `input`: one 8-byte load where `input` holds 8 bytes from the field
    /// on, else the field's bytes one by one; both checked against the
    /// framing's own read by `debug_assert!`.
    #[inline(always)]
    pub(super) fn raw_len<F: Framing>(&self, framing: &F, input: &[u8]) -> Option<u64> {
        // One comparison covers the head and the 8 bytes from the field
        // on, and proves the slice in bounds (no check of its own).
        let (at, head) = (usize::from(self.at), usize::from(self.head));
        let wide = if input.len() >= (at + 8).max(head) {
            input[at..at + 8].first_chunk::<8>()
        } else {
            None
        };
        match wide {
            Some(w) => {
                debug_assert!(input.len() >= usize::from(self.head));
                let raw = if self.big {
                    u64::from_be_bytes(*w) >> self.shift
                } else {
                    u64::from_le_bytes(*w) & (u64::MAX >> self.shift)
                };
                debug_assert_eq!(Some(raw), framing.raw_len(input));
                Some(raw)
            }
            // Fewer than 8 bytes from the field (the end of a buffer, a
            // small chunk): its bytes one by one, from what the machine
            // holds, not the layout (the layout's read, inline in every
            // fast path, made callers too big to inline the async
            // readers' `next_frame`: 78 instructions a frame, `easync`).
            _ if input.len() >= usize::from(self.head) => {
                let width = usize::from((64 - self.shift) / 8);
                let field = input.get(usize::from(self.at)..)?.get(..width)?;
                let raw = if self.big {
                    field.iter().fold(0, |v, &b| v << 8 | u64::from(b))
                } else {
                    field.iter().rev().fold(0, |v, &b| v << 8 | u64::from(b))
                };
                debug_assert_eq!(Some(raw), framing.raw_len(input));
                Some(raw)
            }
            _ => None,
        }
    }
}

/// The machine both decoders are. `STREAM` picks how bodies are delivered.
#[derive(Debug)]
pub(super) struct Machine<F, B, const STREAM: bool> {
    pub(super) framing: F,
    pub(super) buf: B,
    pub(super) state: State,
    /// Stream offset of the next input byte.
    pub(super) pos: u64,
    /// Stream offset of the current frame's head (for errors and reports).
    pub(super) frame_start: u64,
    /// What I1's fast path reads, fixed when the decoder is built.
    pub(super) quick: Quick,
    /// `Idle`'s search mark, set by D7 alone (a line kept back in the
    /// adapter's buffer, nothing consumed): the first `searched` bytes at
    /// the input's start hold no delimiter (none whole, for a longer
    /// one), so the next search over the same bytes and more begins
    /// there. 0 everywhere else: every row that consumes from `Idle`
    /// over a byte string clears it, and so does a reset. Four bytes of
    /// what was padding.
    pub(super) searched: u32,
}

impl<F: Framing, B: Buffer, const STREAM: bool> Machine<F, B, STREAM> {
    pub(super) fn new(framing: F, buf: B) -> Self {
        // No streaming decoder is built over a delimited framing.
        debug_assert!(!STREAM || framing.kind() == FramingKind::Length);
        let mut m = Machine {
            framing,
            buf,
            state: State::Idle,
            pos: 0,
            frame_start: 0,
            quick: Quick::default(),
            searched: 0,
        };
        m.quick = Quick::new(&m.framing, m.limit());
        m.reset();
        m
    }

    /// The framing's [`tail`](Framing::tail), as the machine keeps it
    /// ([`Quick::tail`]): no load through the layout's address.
    #[inline(always)]
    pub(super) fn tail_len(&self) -> usize {
        self.quick.tail_len()
    }

    /// The largest head + body accepted: the buffer for whole frames.
    #[inline(always)]
    pub(super) fn limit(&self) -> usize {
        if STREAM {
            usize::MAX
        } else {
            self.buf.capacity()
        }
    }

    /// The framing's kind. A streaming machine's is `Length`, known when it
    /// is compiled: no streaming decoder over a delimited framing can be
    /// built ([`StreamDecoder::try_new`](crate::StreamDecoder::try_new)).
    #[inline(always)]
    pub(super) fn kind(&self) -> FramingKind {
        if STREAM {
            FramingKind::Length
        } else {
            self.framing.kind()
        }
    }

    /// D1 for [`Decoder::decode`](crate::Decoder::decode), which lends
    /// the frame itself: a delimited framing's frame whole at the start of
    /// `input` and lent from it ([`take_d1`](Self::take_d1)), taken
    /// without building a [`Fed`] (or D2, the input buffered, where a
    /// one-byte delimiter is not in it or a COBS frame's first block runs
    /// past its end); inside a frame, D2 or D1', the frame then lent from
    /// the buffer ([`take_scan`](Self::take_scan)). `None` (a length
    /// framing's I1 is `take_i1`) changes nothing.
    #[inline(always)]
    pub(super) fn take_delimited(&mut self, input: &[u8]) -> Option<(usize, Option<Place>)> {
        let FramingKind::Delimited(delimiter) = self.kind() else {
            return None;
        };
        // At every input size: in small chunks D2 or D1' ends nearly every
        // call, so the attempt is rarely paid twice. (Skipping it below 16
        // bytes, as before `take_d1` took COBS's D2 too, cost 16-byte
        // frames in 7- and 64-byte chunks 7% more instructions, and
        // 256-byte ones 2-3% less.)
        if !self.between_frames() {
            return self.take_scan(input, delimiter);
        }
        self.take_d1(input, delimiter)
    }

    /// The adapters' [`Feed::take_or_hold`](crate::adapter::Feed::take_or_hold)
    /// from between frames: a frame whole at the start of `input`,
    /// consumed, `Ok((consumed, where it lies))`; `Err(need)` where a
    /// length framing keeps back a frame (or head) not whole yet (I0);
    /// `Err(0)`, nothing changed, for anything else (`feed` decides). A
    /// length framing's I1 and I0 ([`take_or_hold_length`](Self::take_or_hold_length),
    /// its quick path asked first: one comparison); a byte string's
    /// delimited framing's D1 and D7 ([`take_d1_only`](Self::take_d1_only):
    /// a line whole, or one begun kept back; its D2 is `feed`'s); SLIP's
    /// D1 ([`take_slip`](Self::take_slip): a frame with no escape, whole);
    /// COBS's D1 ([`take_cobs`](Self::take_cobs): a frame of one block,
    /// whole, after its code byte); RESP's D1 ([`take_resp`](Self::take_resp):
    /// a value, whole).
    #[inline(always)]
    pub(super) fn take_or_hold(
        &mut self,
        input: &[u8],
        hold: usize,
    ) -> Result<(usize, Place), usize> {
        if self.quick.limit == 0 {
            // A streaming machine's kind is `Length`: never here.
            if let FramingKind::Delimited(delimiter) = self.kind() {
                if !self.between_frames() {
                    return Err(0);
                }
                // A byte string's frames, SLIP's and RESP's begin the
                // input (only a byte string's are kept back); COBS's begin
                // after their code byte.
                let (consumed, len) = match delimiter {
                    Delimiter::Bytes(_) => self.take_d1_only(input, delimiter, hold)?,
                    Delimiter::Slip => self.take_slip(input)?,
                    Delimiter::Cobs => {
                        // Its length alone comes back (in registers):
                        // a frame of one block is its code byte, its
                        // bytes and its delimiter.
                        let len = self.take_cobs(input).ok_or(0usize)?;
                        return Ok((
                            COBS_START + len + 1,
                            Place::Input {
                                start: COBS_START,
                                head: 0,
                                len,
                            },
                        ));
                    }
                    Delimiter::Resp => {
                        let len = self.take_resp(input).ok_or(0usize)?;
                        (len, len)
                    }
                };
                return Ok((
                    consumed,
                    Place::Input {
                        start: 0,
                        head: 0,
                        len,
                    },
                ));
            }
        }
        let (head, len) = self.take_or_hold_length(input, hold)?;
        Ok((
            len,
            Place::Input {
                start: 0,
                head,
                len,
            },
        ))
    }

    /// Whether [`take_or_hold`](Self::take_or_hold) can ever take a frame:
    /// a whole decoder, over any framing. A property of the decoder, not
    /// of the state.
    #[inline(always)]
    pub(super) fn takes(&self) -> bool {
        !STREAM
    }

    /// The feed primitive: the framing's shortcuts, then its general loop.
    /// The framing's kind is matched here once; the length family's
    /// shortcuts are [`feed_length`](Self::feed_length), and the delimited
    /// family has none.
    #[inline(always)]
    pub(super) fn feed(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        // A streaming decoder takes every byte as it comes.
        let hold = if STREAM { 0 } else { hold };
        if !STREAM && self.state == State::Lent {
            self.lent();
        }
        if let FramingKind::Delimited(delimiter) = self.kind() {
            // The delimited family's one shortcut is D2 (bytes of a frame,
            // no delimiter): what small chunks nearly always are.
            if let Some(fed) = self.scan_shortcut(input, last, delimiter, hold) {
                return fed;
            }
            return self.run_delimited(input, 0, last, delimiter, hold);
        }
        self.feed_length(input, last, hold)
    }

    /// The general loop alone, without the shortcuts: for the oracle that
    /// holds the shortcuts to it.
    #[cfg(feature = "__oracle")]
    pub(super) fn feed_general(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        self.run(input, 0, last, hold)
    }

    #[inline(always)]
    pub(super) fn item_at(&mut self, consumed: usize, place: Place) -> Fed {
        self.out(consumed, Ok(Some(Found::Item(At(place)))))
    }

    /// The general loop: the framing's kind matched once, then its
    /// family's states' handlers until one returns.
    #[inline]
    pub(super) fn run(&mut self, input: &[u8], at: usize, last: bool, hold: usize) -> Fed {
        let hold = if STREAM { 0 } else { hold };
        match self.kind() {
            FramingKind::Length => self.run_length(input, at, last, hold),
            FramingKind::Delimited(delimiter) => {
                self.run_delimited(input, at, last, delimiter, hold)
            }
        }
    }

    /// `Lent`: the frame (or preface) lent out is no longer borrowed; goes
    /// on in `Idle`.
    #[inline(always)]
    pub(super) fn lent(&mut self) {
        debug_assert!(self.state == State::Lent);
        self.buf.clear();
        self.state = State::Idle;
    }

    /// Ends a call: `consumed` bytes are gone.
    #[inline(always)]
    pub(super) fn out(
        &mut self,
        consumed: usize,
        result: Result<Option<Found>, DecodeError>,
    ) -> Fed {
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
    pub(super) fn wait(&mut self, consumed: usize, need: usize) -> Fed {
        debug_assert!(
            !STREAM
                && matches!(
                    self.state,
                    State::Idle | State::Preface | State::First { .. }
                )
                && need > 0
        );
        Fed {
            need,
            ..self.out(consumed, Ok(None))
        }
    }

    #[inline(always)]
    pub(super) fn found(&mut self, consumed: usize, place: Place) -> Next {
        Next::Done(self.item_at(consumed, place))
    }

    #[inline(always)]
    pub(super) fn none(&mut self, consumed: usize) -> Next {
        Next::Done(self.out(consumed, Ok(None)))
    }

    /// Each state's invariant, checked at the end of every call in debug
    /// builds.
    #[inline(always)]
    pub(super) fn debug_check(&self) {
        if cfg!(debug_assertions) {
            let (have, max_head) = (self.buf.len(), self.framing.max_head());
            let holds = match self.state {
                State::Idle => have == 0,
                State::Preface => self.framing.preface().is_some_and(|p| have < p.max_len()),
                State::First { lent } => lent || (!STREAM && have < self.limit()),
                State::Discard { remaining } => have == 0 && remaining > 0,
                // A delimited frame may be empty; a streaming decoder lends
                // only a preface.
                State::Lent => {
                    (!STREAM || self.framing.preface().is_some())
                        && (have > 0 || matches!(self.kind(), FramingKind::Delimited(_)))
                }
                State::Head => have > 0 && have <= max_head,
                State::Body { .. } if STREAM => have <= max_head,
                State::Body { remaining, .. } => have > 0 && remaining > 0,
                State::Tail { .. } => STREAM && have < self.tail_len(),
                State::Scan { .. } => !STREAM,
                State::Skip { .. } => have == 0,
                State::Resync { skipped, .. } => have < max_head && skipped > 0,
                State::Failed(_) => true,
            };
            debug_assert!(holds, "{:?} with {have} bytes buffered", self.state);
            debug_assert!(
                self.searched == 0 || self.state == State::Idle,
                "a search mark in {:?}",
                self.state
            );
        }
    }

    pub(super) fn fail(&mut self, kind: DecodeErrorKind) -> DecodeError {
        let e = DecodeError::new(kind, self.frame_start);
        self.state = State::Failed(e);
        e
    }

    /// The stream ended inside a frame: every byte is consumed.
    #[cold]
    pub(super) fn truncated(&mut self, consumed: usize, missing: u64, in_header: bool) -> Next {
        let e = self.fail(DecodeErrorKind::Truncated { missing, in_header });
        Next::Done(self.out(consumed, Err(e)))
    }

    /// Appends `bytes` to the buffer. Callers stay within the capacity
    /// checked before, so only a `Buffer` that breaks its promise fails
    /// here; that is reported rather than losing bytes.
    #[inline(always)]
    pub(super) fn push(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
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
    pub(super) fn refused(&mut self, n: usize) -> DecodeError {
        let needed = (self.buf.len() as u64).saturating_add(n as u64);
        let capacity = self.buf.capacity();
        self.fail(DecodeErrorKind::FrameTooLarge { needed, capacity })
    }

    /// `push`, ending the call without consuming on a refusal.
    #[inline(always)]
    pub(super) fn stash(&mut self, bytes: &[u8], at: usize) -> Option<Next> {
        match self.push(bytes) {
            Ok(()) => None,
            Err(e) => Some(Next::Done(self.out(at, Err(e)))),
        }
    }

    pub(super) fn report(&mut self, consumed: usize, report: Recovery) -> Next {
        Next::Done(self.out(consumed, Ok(Some(Found::Recovered(report)))))
    }

    /// T1: a frame of `length` bytes whose trailer does not match, its last
    /// byte at `end`. Under resync it is dropped whole and reported
    /// ([`Recovery::Corrupt`]), and decoding goes on after it; else the
    /// machine fails, having consumed up to `error_at`.
    #[cold]
    pub(super) fn bad_trailer(
        &mut self,
        fault: HeaderFault,
        length: u64,
        error_at: usize,
        end: usize,
    ) -> Fed {
        let report = match fault {
            HeaderFault::Checksum { computed, carried } => Some(Recovery::Corrupt {
                offset: self.frame_start,
                length,
                computed,
                carried,
            }),
            HeaderFault::FrameEnd { .. } => Some(Recovery::BadFrameEnd {
                offset: self.frame_start,
                length,
            }),
            _ => None,
        };
        if let (true, Some(report)) = (self.framing.policies().1, report) {
            self.buf.clear();
            self.state = State::Idle;
            return self.out(end, Ok(Some(Found::Recovered(report))));
        }
        let e = self.fail(self.framing.fault(fault, 0, self.limit()));
        self.out(error_at, Err(e))
    }

    /// Declares the end of the stream: the clean end, a last report, or
    /// `Truncated`. Called once `feed` returned `Ok(None)`; an item still
    /// pending then (an adapter that did not drain the decoder) is dropped.
    pub(super) fn finish(&mut self) -> Result<Option<Recovery>, DecodeError> {
        let mut report = None;
        // At most three rounds: a pending end marker or report, then the end.
        loop {
            match self.run(&[], 0, true, 0).result? {
                None => return Ok(report),
                Some(Found::Recovered(r)) => report = Some(r),
                Some(Found::Item(At(place)) | Found::Preface(At(place))) => {
                    debug_assert!(
                        matches!(place, Place::End),
                        "finish before the decoder was drained"
                    );
                }
            }
        }
    }

    /// Forgets any partial frame and any failure. Before any byte was
    /// consumed, the stream starts over (a preface, a first frame); after,
    /// decoding goes on between frames.
    pub(super) fn reset(&mut self) {
        self.buf.clear();
        // The bytes offered next need not be the ones searched.
        self.searched = 0;
        self.state = if self.pos == 0 {
            self.start_state()
        } else {
            State::Idle
        };
        let mut needed = self.framing.max_head().max(self.tail_len());
        if let Some(p) = self.framing.preface() {
            needed = needed.max(p.max_len());
        }
        if let Some(first) = self.framing.first() {
            needed = needed.max(first.min_buffer_len());
        }
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
    pub(super) fn needs(&self, window: &[u8]) -> Option<usize> {
        // Between frames: `Lent` is `Idle` once the next call clears the
        // buffer, which `window` does not need.
        if STREAM
            || !matches!(self.state, State::Idle | State::Lent)
            || self.kind() != FramingKind::Length
        {
            return None;
        }
        if let Some(body) = self.quick_valid(window) {
            // `fast_limit` bounds the body by `limit - len`: no overflow.
            return Some(usize::from(self.quick.head) + sat(body));
        }
        match self.framing.head(window, self.limit()) {
            Head::Need(n) => Some(n),
            Head::Valid { len, body } => Some(len + sat(body)),
            Head::Bad(..) => None,
        }
    }

    pub(super) fn is_at_boundary(&self) -> bool {
        match self.state {
            State::Idle | State::Lent | State::First { lent: true } => true,
            State::Preface | State::First { lent: false } => self.buf.is_empty(),
            _ => false,
        }
    }

    pub(super) fn failure(&self) -> Option<DecodeError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }
}
