//! The machine's states for framings without a length (COBS, SLIP, a
//! delimiter byte string): `Idle`, `Scan` and `Skip`. See the transition
//! table in the module above (D-rows).

use super::error::{DecodeErrorKind, Recovery};
use super::framing::Framing;
use super::machine::{Machine, Next};
use super::search::{find, find1, find2, has_zero_short, sep_find, SepFind};
use super::state::{Skipping, State, Unstuff};

use crate::adapter::{At, Fed, Found, Place};
use crate::buffer::Buffer;
use crate::layout::{Delimiter, HeaderFault, Oversize};
use crate::resp::{Scan, Scanned};

/// The error for a RESP frame (`frame`, scanned by `scan`) nested deeper
/// than [`MAX_DEPTH`](crate::resp::MAX_DEPTH), if it is: its depth is at
/// most the aggregates the scan saw, so most frames need no walk.
fn resp_too_deep(scan: &Scan, frame: &[u8]) -> Option<HeaderFault> {
    if scan.aggregates() as usize <= crate::resp::MAX_DEPTH {
        return None;
    }
    crate::resp::too_deep(frame).map(|(fault, at)| HeaderFault::Resp { fault, at })
}

/// COBS's delimiter.
const COBS_END: u8 = 0;
/// Where a COBS frame of one block lies in its bytes: after its code byte.
pub(super) const COBS_START: usize = 1;
/// SLIP's END, ESC, and what ESC may be followed by.
const SLIP_END: u8 = 0xc0;
const SLIP_ESC: u8 = 0xdb;
const SLIP_ESC_END: u8 = 0xdc;
const SLIP_ESC_ESC: u8 = 0xdd;

/// A COBS frame found whole at the start of an input
/// ([`Machine::cobs_whole`]).
#[derive(Clone, Copy)]
struct CobsWhole {
    /// Where its delimiter lies.
    end: usize,
    /// Whether it is one block (its data are its decoded bytes).
    one_block: bool,
}

/// What [`d1_at`](Machine::d1_at) finds at the start of an input, between
/// frames.
enum D1 {
    /// A frame whole in the input, lent from `input[start..start + len]`;
    /// its delimiter ends at `end`.
    Frame {
        start: usize,
        len: usize,
        end: usize,
    },
    /// No frame can end in the input: D2 (all of it buffered) is the row.
    Open,
    /// A byte-string frame begun: no delimiter whole in the input, which a
    /// longer delimiter's start may end (no D2); D7 if the adapter can
    /// keep it.
    Begun,
    /// Anything else: the loop decides.
    No,
}

/// The first block of a COBS frame at the start of `rest`, if it lies
/// whole in `rest` with no zero among its data: its code byte, and whether
/// the delimiter follows it (then the frame is that one block).
#[inline(always)]
fn cobs_first_block(rest: &[u8]) -> Option<(usize, bool)> {
    let code = usize::from(*rest.first()?);
    let after = *rest.get(code)?;
    if code == 0
        || has_zero_short(&rest[1..code])
            .unwrap_or_else(|| find1(&rest[1..code], COBS_END).is_some())
    {
        return None;
    }
    Some((code, after == COBS_END))
}

/// Whether the first END or ESC of a SLIP input, at `p`, makes a frame
/// whole at the input's start with no escape in it (D1): an END, after at
/// least one byte (an END first is an empty frame, which SLIP skips).
#[inline(always)]
fn slip_d1(input: &[u8], p: usize) -> bool {
    p > 0 && input[p] == SLIP_END
}

/// Where SLIP's D1 for a frame of `p` bytes at the start of `input` (its
/// END at `p`) consumes to: past the END, and past a second END right
/// after it, an empty frame SLIP skips anyway (D0). A sender that begins
/// every frame with an END, as RFC 1055 suggests and `sliplib` does, then
/// leaves the next frame at the start of the input, where D1 and the
/// adapters' take find it.
#[inline(always)]
fn slip_d1_end(input: &[u8], p: usize) -> usize {
    p + 1 + usize::from(input.get(p + 1) == Some(&SLIP_END))
}

/// What a run of bytes did to the frame being decoded.
enum Step {
    /// All of them were taken; the frame goes on.
    More,
    /// The frame ended at its delimiter, the last byte consumed `at`.
    End(usize),
    /// A delimiter with no frame before it, consumed `at`: skipped.
    Empty(usize),
    /// D1 in place: a frame of this many bytes, whole from the run's start
    /// and decoded as it lies (SLIP, no escape in it), then its delimiter;
    /// nothing buffered: lend it from the input.
    Whole(usize),
    /// The frame is corrupt (`fault`), its bytes up to `at` consumed;
    /// `true` if they include its delimiter.
    Corrupt(HeaderFault, usize, bool),
    /// The frame grew past the maximum; bytes up to `at` consumed.
    Oversize(usize),
    /// A byte-string frame was too long and ended `at`: `Skip` holds it,
    /// to report now.
    Skipped(usize),
    /// A byte-string frame is too long; `Skip` holds it, and goes on
    /// after `at`.
    Skipping(usize),
}

impl<F: Framing, B: Buffer, const STREAM: bool> Machine<F, B, STREAM> {
    /// The delimited family's shortcuts, inline in [`feed`](Machine::feed):
    /// the rows nearly every call takes, each under its handler's own guard
    /// and through the body the handler calls, so the two cannot drift.
    /// - D2: the whole input is bytes of a frame (no delimiter in it, none
    ///   begun before it), decoded into the buffer; the frame goes on in
    ///   `Scan`. Per delimiter, the guard is: a byte string, no partial
    ///   match pending and its first byte not in the input; COBS, the
    ///   current block runs to or past the input's end (no code byte after
    ///   its first) and no zero in it; SLIP, no escape pending and neither
    ///   END nor ESC in it. `Idle` takes it too: for COBS, the first block's
    ///   code byte begins the input ([`cobs_shortcut`](Self::cobs_shortcut)).
    /// - D1 and D1' for a byte string: a frame whole in the input, lent from
    ///   it (`Idle`), or the rest of one (`Scan`, one-byte delimiter, no
    ///   partial match), lent from the buffer; for SLIP the same, with no
    ///   escape before the END (and from `Idle`, at least one byte before
    ///   it: an END first is an empty frame, the loop's to skip).
    /// - D1 and D1' for COBS: a frame whole in the input (`Idle`;
    ///   [`cobs_whole`](Self::cobs_whole)'s guard), lent from it if it is
    ///   one block, else decoded into the buffer and lent from there; and
    ///   D1' from `Scan`, the current block ending in the input with the
    ///   delimiter right after it.
    ///
    /// In small chunks, taken here, a call costs a search and a copy rather
    /// than a trip through the loop (7-byte chunks: about 10 ns against 23;
    /// BENCHMARKS.md). Anything else (an escape, a COBS code byte, a frame
    /// grown too long, the end of the stream, RESP) is `None`, with nothing
    /// changed: the loop decides.
    #[inline(always)]
    pub(super) fn scan_shortcut(
        &mut self,
        input: &[u8],
        last: bool,
        delimiter: Delimiter,
        hold: usize,
    ) -> Option<Fed> {
        if last || input.is_empty() {
            return None;
        }
        if let State::Idle = self.state {
            return self.idle_shortcut(input, delimiter, hold);
        }
        // `Scan`, or `None` from any other state.
        let (consumed, place) = self.take_scan(input, delimiter)?;
        Some(Fed {
            consumed,
            result: Ok(place.map(|place| Found::Item(At(place)))),
            need: 0,
        })
    }

    /// [`scan_shortcut`](Self::scan_shortcut) between frames (`Idle`, a
    /// non-empty `input`, not the last): D1, D7 or D2 from a frame's start
    /// (a byte string's search begun at `Idle`'s mark).
    #[inline(always)]
    fn idle_shortcut(&mut self, input: &[u8], delimiter: Delimiter, hold: usize) -> Option<Fed> {
        let sep = match delimiter {
            Delimiter::Cobs => return self.cobs_shortcut(input),
            Delimiter::Slip => {
                return match find2(input, SLIP_END, SLIP_ESC) {
                    None => self.d2(input),
                    // D1: a frame with no escape, whole in the input.
                    Some(p) if slip_d1(input, p) && p <= self.frame_cap() => {
                        self.frame_start = self.pos;
                        let place = Place::Input {
                            start: 0,
                            head: 0,
                            len: p,
                        };
                        let good = slip_d1_end(input, p);
                        match self.complete_to(&input[..p], p + 1, good, place) {
                            Next::Done(fed) => Some(fed),
                            Next::Go(_) => None,
                        }
                    }
                    Some(_) => None,
                };
            }
            Delimiter::Resp => return None,
            Delimiter::Bytes(sep) => sep,
        };
        let sep = sep.as_bytes();
        let from = self.mark(input);
        let Some(p) = find1(&input[from..], *sep.first()?) else {
            // No delimiter begins in the input: D7 where the adapter can
            // keep the frame begun, else D2.
            if let Some(need) = self.d7(input.len(), sep.len(), hold) {
                return Some(self.wait(0, need));
            }
            return self.d2(input);
        };
        // A one-byte delimiter at `p`, or a longer one found whole.
        let p = if sep.len() == 1 {
            from + p
        } else {
            match find(&input[from..], sep) {
                Some(p) => from + p,
                None => {
                    let need = self.d7(input.len(), sep.len(), hold)?;
                    return Some(self.wait(0, need));
                }
            }
        };
        // D1: a frame whole in the input, lent from it.
        if p > self.frame_cap() {
            return None;
        }
        self.searched = 0;
        self.frame_start = self.pos;
        let place = Place::Input {
            start: 0,
            head: 0,
            len: p,
        };
        match self.complete(&input[..p], p + sep.len(), place) {
            Next::Done(fed) => Some(fed),
            Next::Go(_) => None,
        }
    }

    /// Inside a frame (`Scan`), the rows nearly every call of a stream fed
    /// in small chunks takes, for [`scan_shortcut`](Self::scan_shortcut)
    /// and for [`Decoder::decode`](crate::Decoder::decode) (which lends
    /// the frame itself, without a [`Fed`]): how many bytes were consumed,
    /// and the frame if one ended ([`Place::Buffer`]; the state is then
    /// `Lent`).
    /// - D2: `input` is all data of the frame: no delimiter begins in it,
    ///   nothing pending makes its first byte mean more (a byte string's
    ///   partial match, a SLIP escape); for COBS the current block runs to
    ///   or past the input's end with no zero in it. All of it is
    ///   buffered, and the frame goes on.
    /// - D1': a one-byte delimiter in `input` (SLIP: an END, no escape
    ///   pending or before it; COBS: right after the current block, which
    ///   ends in the input with no zero in it): the
    ///   bytes before it are the rest of the frame, buffered, and the
    ///   frame (its check passed) is lent from the buffer.
    ///
    /// `None` changes nothing: the loop decides (an escape, a COBS code
    /// byte, a longer delimiter, the buffer full, a bad trailer, RESP).
    #[inline(always)]
    pub(super) fn take_scan(
        &mut self,
        input: &[u8],
        delimiter: Delimiter,
    ) -> Option<(usize, Option<Place>)> {
        let State::Scan { unstuff } = &self.state else {
            return None;
        };
        if input.is_empty() {
            return None;
        }
        // How many of the input's bytes are the frame's data, and whether
        // the delimiter follows them.
        let (data, ends) = match delimiter {
            Delimiter::Bytes(sep) => {
                let sep = sep.as_bytes();
                if unstuff.matched != 0 {
                    return None;
                }
                match find1(input, *sep.first()?) {
                    None => (input.len(), false),
                    Some(p) if sep.len() == 1 => (p, true),
                    Some(_) => return None,
                }
            }
            Delimiter::Cobs => {
                let left = usize::from(unstuff.left);
                if left >= input.len() {
                    if find1(input, COBS_END).is_some() {
                        return None;
                    }
                    (input.len(), false)
                } else {
                    if input[left] != COBS_END || find1(&input[..left], COBS_END).is_some() {
                        return None;
                    }
                    (left, true)
                }
            }
            Delimiter::Slip => {
                if unstuff.esc {
                    return None;
                }
                match find2(input, SLIP_END, SLIP_ESC) {
                    None => (input.len(), false),
                    // The rest of a frame, up to its END; an END with
                    // nothing buffered before it is an empty frame, the
                    // loop's to skip.
                    Some(p) if input[p] == SLIP_END && (p > 0 || !self.buf.is_empty()) => (p, true),
                    Some(_) => return None,
                }
            }
            Delimiter::Resp => return None,
        };
        let had = self.buf.len();
        if !self.take(&input[..data], self.frame_cap()) {
            return None;
        }
        if !ends {
            if let State::Scan { unstuff } = &mut self.state {
                if let Delimiter::Cobs = delimiter {
                    // `left >= data`: at most 254, and now fewer.
                    unstuff.left -= data as u8;
                }
            }
            self.pos += data as u64;
            self.debug_check();
            return Some((data, None));
        }
        // As `complete_buffered` does, but a bad trailer is the loop's.
        if self.framing.check_frame(self.buf.as_slice()).is_err() {
            self.buf.truncate(had);
            return None;
        }
        self.state = State::Lent;
        self.pos += data as u64 + 1;
        self.debug_check();
        Some((data + 1, Some(Place::Buffer)))
    }

    /// COBS's shortcuts from `Idle`, for [`idle_shortcut`](Self::idle_shortcut)
    /// (a non-empty `input`, not the last): the loop's `cobs` step over
    /// `input`, taken when it ends in one of these rows (inside a frame,
    /// [`take_scan`](Self::take_scan)).
    /// - The first code byte `c` (not a delimiter) within the input: D1 or
    ///   D1', a frame whole in the input, as the loop's `scan` takes it
    ///   ([`cobs_whole`](Self::cobs_whole)).
    /// - `c` at least the input's length: D2 ([`cobs_d2`](Self::cobs_d2)),
    ///   the first block runs to or past the input's end.
    ///
    /// Each with no zero among the data and the frame within its cap;
    /// anything else (a zero among the data, a frame grown too long) is
    /// `None`, with nothing changed: the loop decides.
    #[inline(always)]
    fn cobs_shortcut(&mut self, input: &[u8]) -> Option<Fed> {
        debug_assert!(!input.is_empty() && matches!(self.state, State::Idle));
        let code = usize::from(*input.first()?);
        if code < input.len() {
            // D1 or D1' for COBS, a frame whole in the input, as the loop's
            // `scan` takes it.
            let whole = self.cobs_whole(input)?;
            if whole.one_block {
                // D1, lent from the input, as `take_d1` lends it; a bad
                // trailer is the loop's. (Through `cobs_lend`, whose bad
                // trailer builds an error in the same `Fed`, the frame's
                // `Fed` was copied in pieces the reader then read whole: a
                // stalled load, 40% of a COBS `FrameReader`'s time.)
                self.framing.check_frame(&input[1..whole.end]).ok()?;
                let (consumed, place) = self.d1(1, whole.end - 1, whole.end + 1);
                return Some(Fed {
                    consumed,
                    result: Ok(Some(Found::Item(At(place)))),
                    need: 0,
                });
            }
            self.frame_start = self.pos;
            let next = self.cobs_decode_whole(input, whole.end, whole.end + 1)?;
            return match next {
                Next::Done(fed) => Some(fed),
                Next::Go(_) => None,
            };
        }
        self.cobs_d2(input, code)
    }

    /// D2 for COBS from `Idle`, for [`cobs_shortcut`](Self::cobs_shortcut)
    /// and [`take_d1`](Self::take_d1): the loop's first step, a code byte
    /// `code` (`code >= len >= 1`, so not a delimiter) beginning `input`
    /// whose block runs to or past the input's end, no zero in its data.
    /// The data are buffered and the frame goes on in `Scan` with `code -
    /// len` bytes left in its block. `None` changes nothing.
    #[inline(always)]
    fn cobs_d2(&mut self, input: &[u8], code: usize) -> Option<Fed> {
        debug_assert!(code >= input.len() && !input.is_empty());
        debug_assert!(matches!(self.state, State::Idle));
        let data = &input[1..];
        if find1(data, COBS_END).is_some() || !self.take(data, self.frame_cap()) {
            return None;
        }
        self.frame_start = self.pos;
        self.state = State::Scan {
            unstuff: Unstuff {
                // At most 254 (a code byte's data): fits the byte.
                left: (code - input.len()) as u8,
                zero: code != 0xff,
                ..Unstuff::default()
            },
        };
        Some(self.out(input.len(), Ok(None)))
    }

    /// D1 from between frames (`Idle` or `Lent`), for [`Decoder::decode`](crate::Decoder::decode)
    /// (which lends the frame itself, as it does I1's): a frame whole at
    /// the start of `input` that `feed` would lend from it
    /// ([`d1_at`](Self::d1_at)), consumed without building a [`Fed`]: how
    /// many bytes it consumed, and where in `input` the frame lies; for a
    /// one-byte delimiter not in the input, or a COBS frame whose first
    /// block runs past the input's end, D2 instead (no frame: all of the
    /// input buffered). `None` changes nothing but a `Lent` state
    /// cleared (a frame of several COBS blocks, SLIP, a RESP value not
    /// whole, a bad trailer: `feed` decides).
    #[inline(always)]
    pub(super) fn take_d1(
        &mut self,
        input: &[u8],
        delimiter: Delimiter,
    ) -> Option<(usize, Option<Place>)> {
        // From the input's start: `decode` keeps nothing back (D7 is the
        // adapters'), and searching again is always right; the mark, at
        // most one left by a `feed` with `hold`, costs every line its load
        // (10 instructions a 16-byte line in all, callgrind). What
        // consumes clears it.
        match self.d1_at(input, delimiter, 0) {
            D1::Frame { start, len, end } => {
                let (consumed, place) = self.d1(start, len, end);
                Some((consumed, Some(place)))
            }
            // D2, as the shortcut takes it when no frame ends in the input:
            // not searched for twice (a 256-byte line in 64-byte chunks:
            // 1,341 to 1,234 instructions).
            D1::Open => match delimiter {
                Delimiter::Cobs => {
                    if matches!(self.state, State::Lent) {
                        self.lent();
                    }
                    let fed = self.cobs_d2(input, usize::from(*input.first()?))?;
                    Some((fed.consumed, None))
                }
                _ => self.take_d2(input),
            },
            D1::Begun | D1::No => None,
        }
    }

    /// D1, for the adapters' [`Feed::take_or_hold`](crate::adapter::Feed::take_or_hold):
    /// as [`take_d1`](Self::take_d1), but where no frame is whole at the
    /// start of `input`, nothing consumed (no D2: a take that finds no
    /// frame leaves the bytes to `feed`): the bytes it consumed
    /// and the frame's length, from the input's start. A byte string's
    /// frames only (the other delimited framings' takes are
    /// [`take_slip`](Self::take_slip), [`take_cobs`](Self::take_cobs) and
    /// [`take_resp`](Self::take_resp)).
    ///
    /// Where no frame ends in `input` and the adapter can keep what it
    /// holds (`hold`), D7: `Err(need)`, nothing consumed, the search's end
    /// marked; `Err(0)` for anything else.
    #[inline(always)]
    pub(super) fn take_d1_only(
        &mut self,
        input: &[u8],
        delimiter: Delimiter,
        hold: usize,
    ) -> Result<(usize, usize), usize> {
        let Delimiter::Bytes(sep) = delimiter else {
            return Err(0);
        };
        match self.d1_at(input, delimiter, self.mark(input)) {
            D1::Frame { start: 0, len, end } => {
                let (consumed, _) = self.d1(0, len, end);
                Ok((consumed, len))
            }
            D1::Open | D1::Begun => Err(self
                .d7(input.len(), sep.as_bytes().len(), hold)
                .unwrap_or(0)),
            D1::Frame { .. } | D1::No => Err(0),
        }
    }

    /// Where the search for a byte string's delimiter begins in `input`,
    /// offered in `Idle`: `Idle`'s mark (D7), the bytes before it searched
    /// already; within `input` (an adapter offers at least the bytes it
    /// kept back).
    #[inline(always)]
    fn mark(&self, input: &[u8]) -> usize {
        let from = self.searched as usize;
        debug_assert!(from <= input.len(), "fewer bytes than were kept back");
        from.min(input.len())
    }

    /// D7's guard and body, from between frames (`Idle` or `Lent`; never
    /// with `last`, which its callers have ruled out): a byte-string frame
    /// begun, `len` bytes (all of the input) and no delimiter of `sep`
    /// bytes whole among them, kept back in the adapter's buffer where the
    /// frame so far is within the cap and the adapter can hold one byte
    /// more (`hold`): nothing consumed, `Idle` with its mark at the end of
    /// what was searched (before a longer delimiter's possible start), and
    /// the frame's need, one byte more. `None`, nothing changed, where it
    /// cannot be kept (D2 or D4 then).
    #[inline(always)]
    fn d7(&mut self, len: usize, sep: usize, hold: usize) -> Option<usize> {
        debug_assert!(self.between_frames() && sep > 0);
        if len == 0 || len >= hold || len > self.frame_cap() {
            return None;
        }
        if matches!(self.state, State::Lent) {
            self.lent();
        }
        // A smaller mark only searches more: it saturates.
        self.searched = (len + 1).saturating_sub(sep).min(u32::MAX as usize) as u32;
        Some(len + 1)
    }

    /// D1's guard from between frames, as the shortcut and the loop's
    /// `scan` judge it (for RESP, the loop's `resp` step: the shortcut has
    /// no RESP row), changing nothing: a frame `feed` would lend from
    /// `input` (a byte-string frame, a COBS frame of one block, a RESP
    /// value) whole at its start, within the frame cap and with a good
    /// trailer;
    /// [`D1::Open`] where no frame can end in `input` (a one-byte
    /// delimiter not in it, a COBS frame whose first block runs past its
    /// end: D2); [`D1::No`] for anything else (an empty input, a frame of
    /// several COBS blocks, SLIP, a RESP value not whole or malformed, a
    /// frame too long or a bad trailer:
    /// the loop's); [`D1::Begun`] for a longer byte string not whole in
    /// it. A byte string is searched for from `from`, at most `Idle`'s
    /// mark ([`mark`](Self::mark)).
    #[inline(always)]
    fn d1_at(&self, input: &[u8], delimiter: Delimiter, from: usize) -> D1 {
        debug_assert!(self.between_frames());
        if input.is_empty() {
            // Nothing begins: `feed` says so.
            return D1::No;
        }
        let (start, len, end) = match delimiter {
            Delimiter::Bytes(sep) => {
                let sep = sep.as_bytes();
                let p = match sep {
                    [one] => match find1(&input[from..], *one) {
                        Some(p) => from + p,
                        None => return D1::Open,
                    },
                    _ => match find(&input[from..], sep) {
                        Some(p) => from + p,
                        None => return D1::Begun,
                    },
                };
                if p > self.frame_cap() {
                    return D1::No;
                }
                (0, p, p + sep.len())
            }
            Delimiter::Cobs => {
                // One block: the delimiter right after the first block,
                // read before anything is searched. A frame of several
                // blocks is the shortcut's to walk and decode, and is not
                // searched twice (that cost a 256-byte frame 40%).
                let code = usize::from(input[0]);
                if code >= input.len() {
                    // The first block runs past the input's end.
                    return D1::Open;
                }
                if input.get(code) != Some(&COBS_END) {
                    return D1::No;
                }
                let Some((code, true)) = cobs_first_block(input) else {
                    return D1::No;
                };
                if code - 1 > self.frame_cap() {
                    return D1::No;
                }
                (COBS_START, code - 1, code + 1)
            }
            Delimiter::Resp => match self.resp_whole(input) {
                Some(len) => (0, len, len),
                None => return D1::No,
            },
            Delimiter::Slip => return D1::No,
        };
        if self
            .framing
            .check_frame(&input[start..start + len])
            .is_err()
        {
            return D1::No;
        }
        D1::Frame { start, len, end }
    }

    /// The adapters' take for SLIP, from between frames: D1, a frame with
    /// no escape whole at the start of `input`, its trailer good, consumed
    /// and lent from the input (the guard and body of `feed`'s SLIP D1):
    /// the bytes consumed and the frame's length. `Err(0)`, nothing
    /// changed but a `Lent` state cleared, otherwise (an escape, an END
    /// first, the frame not whole or too long, a bad trailer: the loop
    /// decides). A frame with an escape is not decoded here: a take that
    /// can return a frame lent from the buffer cost every `!I` reader 17
    /// instructions a frame (its frame's place no longer known to lie in
    /// the input).
    #[inline(never)]
    pub(super) fn take_slip(&mut self, input: &[u8]) -> Result<(usize, usize), usize> {
        let len = match find2(input, SLIP_END, SLIP_ESC) {
            Some(p) if slip_d1(input, p) && p <= self.frame_cap() => p,
            _ => return Err(0),
        };
        if self.framing.check_frame(&input[..len]).is_err() {
            return Err(0);
        }
        let (consumed, _) = self.d1(0, len, slip_d1_end(input, len));
        Ok((consumed, len))
    }

    /// The adapters' take for COBS, from between frames: D1, a frame of
    /// one block whole at the start of `input`, its trailer good, consumed
    /// and lent from the input after its code byte (the guard and body of
    /// `feed`'s COBS D1): the frame's length (its code byte and its
    /// delimiter consumed with it). `None`, nothing changed, otherwise (a
    /// frame of several blocks, not whole, too long or corrupt, a bad
    /// trailer: the loop decides).
    #[inline(never)]
    pub(super) fn take_cobs(&mut self, input: &[u8]) -> Option<usize> {
        match self.d1_at(input, Delimiter::Cobs, 0) {
            D1::Frame { start, len, end } => {
                debug_assert_eq!((start, end), (COBS_START, COBS_START + len + 1));
                self.d1(start, len, end);
                Some(len)
            }
            D1::Open | D1::Begun | D1::No => None,
        }
    }

    /// The adapters' take for RESP, from between frames: D1, a value whole
    /// at the start of `input` ([`resp_whole`](Self::resp_whole)), its
    /// trailer good, consumed and lent from the input: the frame's length.
    /// `None`, nothing changed, otherwise (a value not whole, too long, too
    /// deep or malformed: the loop decides, and reports it at the same
    /// byte).
    #[inline(never)]
    pub(super) fn take_resp(&mut self, input: &[u8]) -> Option<usize> {
        match self.d1_at(input, Delimiter::Resp, 0) {
            D1::Frame { start, len, end } => {
                debug_assert_eq!((start, end), (0, len));
                self.d1(start, len, end);
                Some(len)
            }
            D1::Open | D1::Begun | D1::No => None,
        }
    }

    /// D1's guard for RESP: the length of a value whole at the start of
    /// `input`, within the frame cap and nested no deeper than
    /// [`MAX_DEPTH`](crate::resp::MAX_DEPTH), as the loop's `resp` step
    /// finds a fresh value whole; `None` for anything else. Out of line:
    /// the scan is RESP's own, and its arm in [`d1_at`](Self::d1_at) a
    /// call.
    #[inline(never)]
    fn resp_whole(&self, input: &[u8]) -> Option<usize> {
        let cap = self.frame_cap();
        let rest = &input[..input.len().min(cap.saturating_add(1))];
        let mut scan = Scan::new();
        let Scanned::End(len) = scan.scan(rest, 0, cap as u64) else {
            return None;
        };
        (len <= cap && resp_too_deep(&scan, &rest[..len]).is_none()).then_some(len)
    }

    /// D1's body, after [`d1_at`](Self::d1_at) found the frame at
    /// `input[start..start + len]`, its delimiter ending at `end`: the
    /// frame consumed, lent from the input.
    #[inline(always)]
    fn d1(&mut self, start: usize, len: usize, end: usize) -> (usize, Place) {
        if matches!(self.state, State::Lent) {
            self.lent();
        }
        // As `complete` leaves it: `Idle`, nothing buffered, no mark.
        debug_assert!(self.buf.is_empty());
        self.searched = 0;
        self.frame_start = self.pos;
        self.pos += end as u64;
        self.state = State::Idle;
        self.debug_check();
        (
            end,
            Place::Input {
                start,
                head: 0,
                len,
            },
        )
    }

    /// D2 from between frames for [`take_d1`](Self::take_d1): the whole
    /// input, in which no frame ends, buffered as the frame's first bytes
    /// ([`d2`](Self::d2), the shortcut's body), `Lent` cleared first as
    /// `feed` clears it. `None` if the buffer refused them (the loop then
    /// says why).
    #[inline(always)]
    fn take_d2(&mut self, input: &[u8]) -> Option<(usize, Option<Place>)> {
        if matches!(self.state, State::Lent) {
            self.lent();
        }
        let fed = self.d2(input)?;
        Some((fed.consumed, None))
    }

    /// The guard of D1 and D1' for COBS from `Idle`: `rest` (from a
    /// frame's start) begins with a whole, valid frame: blocks whose code
    /// bytes land inside `rest`, no zero in their data, the delimiter
    /// right after the last, and at most [`frame_cap`](Self::frame_cap)
    /// bytes decoded. Anything else (a frame cut off by the input's end, a
    /// corrupt or oversized one, a delimiter alone) is `None`: the loop's
    /// block-by-block decoding. The walk moves forward by at least one
    /// byte a block and stops at the input's end.
    #[inline(always)]
    fn cobs_whole(&self, rest: &[u8]) -> Option<CobsWhole> {
        // One block, what most small frames are, tested straight: the
        // walk below, inline, cost it 21 instructions a frame (16 B).
        let (code, ends) = cobs_first_block(rest)?;
        if !ends {
            return self.cobs_walk(rest, code);
        }
        (code - 1 <= self.frame_cap()).then_some(CobsWhole {
            end: code,
            one_block: true,
        })
    }

    /// The rest of [`cobs_whole`](Self::cobs_whole)'s walk, from the
    /// second block's code byte at `i` (the first block held `i - 1`
    /// bytes of data and no zero, and `rest[i]` is not the delimiter).
    ///
    /// One search a frame, not one a block: the frame's delimiter is the
    /// first zero from `i` on, so every code byte and every data byte
    /// before it is not zero, and the walk only hops from code byte to
    /// code byte to check that one lands on it (a block running past it
    /// held a zero among its data: `None`, for the loop to report). The
    /// search stops where a frame of [`frame_cap`](Self::frame_cap)
    /// decoded bytes must have ended (at most one code byte for each 254
    /// data, one more, then the delimiter), so an oversized or unfinished
    /// frame costs no more than the walk of one within the cap.
    #[inline(never)]
    fn cobs_walk(&self, rest: &[u8], mut i: usize) -> Option<CobsWhole> {
        let cap = self.frame_cap();
        let reach = rest
            .len()
            .min(cap.saturating_add(cap / 254).saturating_add(2));
        let last = i + find1(rest.get(i..reach)?, COBS_END)?;
        // The first block's data, and the zero it stands for unless full.
        let mut decoded = i - 1 + usize::from(rest[0] != 0xff);
        loop {
            // `i < last`: a code byte, not zero (no zero before `last`).
            debug_assert!(i < last && rest[i] != COBS_END);
            let code = usize::from(rest[i]);
            let next = i + code;
            decoded += code - 1;
            if next >= last {
                // On the delimiter: whole. Past it: a zero among the data.
                return (next == last && decoded <= cap).then_some(CobsWhole {
                    end: next,
                    one_block: false,
                });
            }
            // A block shorter than 254 bytes stands for a zero after it.
            decoded += usize::from(code != 0xff);
            i = next;
        }
    }

    /// D1 for COBS at `at`, [`cobs_whole`](Self::cobs_whole)'s guard held
    /// for a frame of one block whose delimiter is at `at + end`: its data
    /// are its decoded bytes as they lie (a last block's pending zero is
    /// not data), lent from the input as a byte-string frame is.
    #[inline(always)]
    fn cobs_lend(&mut self, input: &[u8], at: usize, end: usize) -> Next {
        // Idle: nothing of a frame is buffered.
        debug_assert!(self.buf.is_empty() && matches!(self.state, State::Idle));
        let place = Place::Input {
            start: at + 1,
            head: 0,
            len: end - 1,
        };
        self.complete(&input[at + 1..at + end], at + end + 1, place)
    }

    /// D1' for COBS, [`cobs_whole`](Self::cobs_whole)'s guard held for a
    /// frame of several blocks at the start of `rest`, whose delimiter is
    /// at `last`: the blocks decoded into the buffer, as the loop would
    /// have, and lent from it; `end` is where the input is consumed to.
    /// `None`, with nothing changed, if the buffer refused the bytes (the
    /// loop then says why). Out of line, as the rarer case.
    #[inline(never)]
    fn cobs_decode_whole(&mut self, rest: &[u8], last: usize, end: usize) -> Option<Next> {
        debug_assert!(self.buf.is_empty() && matches!(self.state, State::Idle));
        let mut i = 0;
        // The guard counted the decoded bytes within the cap: only the
        // buffer itself can refuse them.
        let taken = loop {
            let code = usize::from(rest[i]);
            let next = i + code;
            if self.buf.extend_from_slice(&rest[i + 1..next]).is_err() {
                break false;
            }
            if next == last {
                break true;
            }
            if code != 0xff && self.buf.push(0).is_err() {
                break false;
            }
            i = next;
        };
        if !taken {
            self.buf.clear();
            return None;
        }
        debug_assert!(self.buf.len() <= self.frame_cap());
        Some(self.complete_buffered(end))
    }

    /// D2 from `Idle` for the shortcut: the guard held; takes the whole
    /// input as the first bytes of a frame, which goes on in `Scan`.
    #[inline(always)]
    fn d2(&mut self, input: &[u8]) -> Option<Fed> {
        if !self.take(input, self.frame_cap()) {
            return None;
        }
        self.searched = 0;
        self.frame_start = self.pos;
        self.state = State::Scan {
            unstuff: Unstuff::default(),
        };
        debug_assert!(self.buf.len() <= self.frame_cap());
        Some(self.out(input.len(), Ok(None)))
    }

    /// D2's body, which the shortcut and every handler's D2 share: appends
    /// a frame's decoded `bytes` to the buffer if the frame stays within
    /// `cap` bytes; `false` (and nothing appended) if it would not.
    #[inline(always)]
    fn take(&mut self, bytes: &[u8], cap: usize) -> bool {
        self.buf.len() + bytes.len() <= cap && self.buf.extend_from_slice(bytes).is_ok()
    }

    /// The delimited family's loop: runs the current state's handler until
    /// one returns. `delimiter` is the framing's, matched once by the
    /// caller.
    #[inline(never)]
    pub(super) fn run_delimited(
        &mut self,
        input: &[u8],
        mut at: usize,
        last: bool,
        delimiter: Delimiter,
        hold: usize,
    ) -> Fed {
        loop {
            let next = match self.state {
                State::Idle | State::Scan { .. } => self.scan(input, at, last, delimiter, hold),
                State::Skip { .. } => self.skip_delimited(input, at, last, delimiter),
                // A delimited decoder keeps back a line begun (D7), not a
                // preface.
                State::Preface => self.in_preface(input, at, last, 0),
                State::First { lent } => self.in_first(input, at, last, 0, lent),
                State::Lent => {
                    self.lent();
                    Next::Go(at)
                }
                State::Failed(e) => Next::Done(self.out(at, Err(e))),
                State::Head
                | State::Body { .. }
                | State::Tail { .. }
                | State::Discard { .. }
                | State::Resync { .. } => unreachable!("a length state in a delimited framing"),
            };
            match next {
                Next::Done(fed) => return fed,
                Next::Go(to) => at = to,
            }
        }
    }

    /// The largest frame (payload and trailer, decoded) a delimited
    /// decoder holds.
    fn frame_cap(&self) -> usize {
        let max = self.framing.max_body();
        usize::try_from(max).unwrap_or(usize::MAX).min(self.limit())
    }

    /// `Idle` and `Scan` for a delimited framing: D1 (a frame ends), D2
    /// (the input ends inside one), D3 (a corrupt frame), D4 (an oversized
    /// one), D7 (a byte-string frame begun, kept back within `hold`).
    fn scan(
        &mut self,
        input: &[u8],
        at: usize,
        last: bool,
        delimiter: Delimiter,
        hold: usize,
    ) -> Next {
        let (fresh, unstuff) = match self.state {
            State::Scan { unstuff } => (false, unstuff),
            _ => (true, Unstuff::default()),
        };
        let rest = &input[at..];
        if rest.is_empty() {
            if last && !fresh {
                let held = self.buf.len() as u64 + u64::from(unstuff.matched);
                let e = self.fail(DecodeErrorKind::Unterminated { held });
                return Next::Done(self.out(at, Err(e)));
            }
            return self.none(at);
        }
        if fresh {
            self.frame_start = self.pos + at as u64;
        }
        let step = match delimiter {
            Delimiter::Resp => return self.resp(input, at, last, fresh, unstuff),
            Delimiter::Cobs => {
                // D1 or D1': a frame whole in the input.
                if fresh {
                    if let Some(whole) = self.cobs_whole(rest) {
                        if whole.one_block {
                            return self.cobs_lend(input, at, whole.end);
                        }
                        let end = at + whole.end + 1;
                        if let Some(next) = self.cobs_decode_whole(rest, whole.end, end) {
                            return next;
                        }
                    }
                }
                self.cobs(rest, at, fresh, unstuff)
            }
            Delimiter::Slip => self.slip(rest, at, fresh, unstuff),
            Delimiter::Bytes(sep) => {
                // D1 in place: a frame that lies whole in the input.
                if fresh {
                    // From `Idle`'s mark (D7), which every row from here
                    // either consumes past or sets again.
                    let from = self.mark(rest);
                    self.searched = 0;
                    if let Some(p) = find(&rest[from..], sep.as_bytes()).map(|p| from + p) {
                        let end = at + p + sep.as_bytes().len();
                        if p > self.frame_cap() {
                            return self.oversized(end, (p + sep.as_bytes().len()) as u64);
                        }
                        return self.complete(
                            &input[at..at + p],
                            end,
                            Place::Input {
                                start: at,
                                head: 0,
                                len: p,
                            },
                        );
                    }
                    // D7: the frame begun kept back, if the adapter can.
                    if !last {
                        if let Some(need) = self.d7(rest.len(), sep.as_bytes().len(), hold) {
                            return Next::Done(self.wait(at, need));
                        }
                    }
                }
                self.bytes(rest, at, sep.as_bytes(), unstuff)
            }
        };
        match step {
            Step::More => {
                if last {
                    let matched = match self.state {
                        State::Scan { unstuff } => u64::from(unstuff.matched),
                        _ => 0,
                    };
                    let held = self.buf.len() as u64 + matched;
                    let e = self.fail(DecodeErrorKind::Unterminated { held });
                    return Next::Done(self.out(input.len(), Err(e)));
                }
                self.none(input.len())
            }
            Step::Empty(end) => {
                self.state = State::Idle;
                Next::Go(end)
            }
            Step::Whole(len) => {
                let place = Place::Input {
                    start: at,
                    head: 0,
                    len,
                };
                let good = at + slip_d1_end(&input[at..], len);
                self.complete_to(&input[at..at + len], at + len + 1, good, place)
            }
            Step::End(end) => {
                if self.buf.is_empty() && matches!(delimiter, Delimiter::Slip) {
                    // An empty SLIP frame (the END a sender puts first to
                    // flush line noise): SLIP cannot tell it from an empty
                    // payload, so both are skipped.
                    self.state = State::Idle;
                    return Next::Go(end);
                }
                self.complete_buffered(end)
            }
            Step::Corrupt(fault, to, ended) => self.corrupt(to, fault, ended),
            Step::Skipped(end) => self.skipped_to(end, 0),
            Step::Skipping(to) => {
                if last {
                    return self.skip_ends(to);
                }
                self.none(to)
            }
            Step::Oversize(to) => {
                let bytes = self.pos + to as u64 - self.frame_start;
                self.buf.clear();
                self.state = State::Skip {
                    from: self.frame_start,
                    bytes,
                    why: self.oversize_why(),
                    matched: 0,
                };
                Next::Go(to)
            }
        }
    }

    /// COBS: decodes `rest` into the buffer up to the frame's end.
    fn cobs(&mut self, rest: &[u8], at: usize, fresh: bool, mut u: Unstuff) -> Step {
        let cap = self.frame_cap();
        let mut i = 0;
        while i < rest.len() {
            if u.left == 0 {
                let code = rest[i];
                if code == COBS_END {
                    self.state = State::Idle;
                    if fresh && i == 0 {
                        // A delimiter alone: no frame (line noise, or a
                        // sender's flush), skipped.
                        return Step::Empty(at + 1);
                    }
                    // The pending zero of the last block is not data.
                    return Step::End(at + i + 1);
                }
                if u.zero && !(fresh && i == 0) {
                    if self.buf.len() >= cap {
                        return Step::Oversize(at + i);
                    }
                    if self.buf.push(0).is_err() {
                        return Step::Oversize(at + i);
                    }
                }
                u.left = code - 1;
                u.zero = code != 0xff;
                i += 1;
                continue;
            }
            let run = usize::from(u.left).min(rest.len() - i);
            let block = &rest[i..i + run];
            let zero = find1(block, COBS_END);
            // Bytes in stream order: those before a zero are data first, so
            // that the frame is too long before it is cut short, whatever
            // the chunking.
            let data = zero.unwrap_or(run);
            if !self.take(&block[..data], cap) {
                return Step::Oversize(at + i);
            }
            if let Some(z) = zero {
                // The block's code announced more bytes than came before
                // the delimiter.
                let missing = u.left as usize - z;
                return Step::Corrupt(
                    HeaderFault::Cobs {
                        missing: missing as u8,
                    },
                    at + i + z + 1,
                    true,
                );
            }
            u.left -= run as u8;
            i += run;
        }
        self.state = State::Scan { unstuff: u };
        Step::More
    }

    /// SLIP: decodes `rest` into the buffer up to the frame's end; for a
    /// `fresh` frame whose first run of data (no END, no ESC) ends at an
    /// END, D1: [`Step::Whole`], nothing buffered, found by the one search
    /// the run takes anyway.
    fn slip(&mut self, rest: &[u8], at: usize, fresh: bool, mut u: Unstuff) -> Step {
        let cap = self.frame_cap();
        let mut i = 0;
        while i < rest.len() {
            if u.esc {
                let byte = match rest[i] {
                    SLIP_ESC_END => SLIP_END,
                    SLIP_ESC_ESC => SLIP_ESC,
                    other => {
                        // An END after ESC ends the frame too.
                        let ended = other == SLIP_END;
                        let to = at + i + usize::from(ended);
                        let fault = HeaderFault::SlipEscape { byte: other };
                        return Step::Corrupt(fault, to, ended);
                    }
                };
                if self.buf.len() >= cap || self.buf.push(byte).is_err() {
                    return Step::Oversize(at + i);
                }
                u.esc = false;
                i += 1;
                continue;
            }
            let run = find2(&rest[i..], SLIP_END, SLIP_ESC).unwrap_or(rest.len() - i);
            if fresh && i == 0 && run < rest.len() && slip_d1(rest, run) && run <= cap {
                debug_assert!(self.buf.is_empty() && !u.esc);
                return Step::Whole(run);
            }
            if run > 0 {
                if !self.take(&rest[i..i + run], cap) {
                    return Step::Oversize(at + i);
                }
                i += run;
                continue;
            }
            if rest[i] == SLIP_END {
                self.state = State::Idle;
                return Step::End(at + i + 1);
            }
            u.esc = true;
            i += 1;
        }
        self.state = State::Scan { unstuff: u };
        Step::More
    }

    /// RESP: D1 (a value whole in the input, lent from it), D1' (the rest
    /// of one: lent from the buffer), D2 (part of one: its bytes buffered
    /// as they are), D3 (a malformed value) and D4 (one longer than the
    /// maximum), which are errors: a RESP layout has no resync, for the
    /// values inside an aggregate are values too, and a decoder that skipped
    /// to the next line would hand them out as frames.
    fn resp(&mut self, input: &[u8], at: usize, last: bool, fresh: bool, u: Unstuff) -> Next {
        debug_assert!(!self.framing.policies().1 && fresh == self.buf.is_empty());
        let mut scan = if fresh { Scan::new() } else { u.resp };
        let seen = self.buf.len() as u64;
        let cap = self.frame_cap() as u64;
        // The value's bytes up to one past the most a frame may take: the
        // error for a value too long comes at the same byte whatever the
        // chunks (one more than the maximum, or a length that announces
        // more, whichever comes first).
        let room = usize::try_from(cap + 1 - seen).unwrap_or(usize::MAX);
        let rest = &input[at..input.len().min(at.saturating_add(room))];
        let too_long = HeaderFault::TooLong(cap + 1);
        let bad = |fault, i: usize| HeaderFault::Resp {
            fault,
            at: seen as usize + i,
        };
        match scan.scan(rest, seen, cap) {
            Scanned::End(n) if seen + n as u64 > cap => self.corrupt(at + n, too_long, false),
            Scanned::End(n) => {
                let end = at + n;
                if fresh {
                    let frame = &rest[..n];
                    if let Some(fault) = resp_too_deep(&scan, frame) {
                        return self.corrupt(end, fault, true);
                    }
                    let place = Place::Input {
                        start: at,
                        head: 0,
                        len: n,
                    };
                    return self.complete(frame, end, place);
                }
                if self.buf.extend_from_slice(&rest[..n]).is_err() {
                    return self.corrupt(end, too_long, true);
                }
                if let Some(fault) = resp_too_deep(&scan, self.buf.as_slice()) {
                    return self.corrupt(end, fault, true);
                }
                self.complete_buffered(end)
            }
            Scanned::More => {
                let total = seen + rest.len() as u64;
                if total > cap || self.buf.extend_from_slice(rest).is_err() {
                    return self.corrupt(at + rest.len(), too_long, false);
                }
                self.state = State::Scan {
                    unstuff: Unstuff { resp: scan, ..u },
                };
                if last {
                    let e = self.fail(DecodeErrorKind::Unterminated { held: total });
                    return Next::Done(self.out(input.len(), Err(e)));
                }
                self.none(input.len())
            }
            Scanned::Bad(fault, i) => self.corrupt(at + i, bad(fault, i), false),
            Scanned::TooLong(bytes, i) => self.corrupt(at + i, HeaderFault::TooLong(bytes), false),
        }
    }

    /// A byte-string delimiter: copies the frame's data into the buffer
    /// up to its end, which may have begun in bytes before `rest`.
    fn bytes(&mut self, rest: &[u8], at: usize, sep: &[u8], u: Unstuff) -> Step {
        let cap = self.frame_cap();
        let found = sep_find(sep, usize::from(u.matched), rest);
        let (pending, data) = match found {
            SepFind::End { pending, data, .. } | SepFind::More { pending, data, .. } => {
                (pending, data)
            }
        };
        if self.buf.len() + pending + data > cap
            || !self.take(&sep[..pending], cap)
            || !self.take(&rest[..data], cap)
        {
            // Too long: the whole frame is skipped, and counted.
            let (consumed, matched) = match found {
                SepFind::End { consumed, .. } => (consumed, 0),
                SepFind::More { matched, .. } => (rest.len(), matched),
            };
            let bytes = self.pos + (at + consumed) as u64 - self.frame_start;
            self.buf.clear();
            self.state = State::Skip {
                from: self.frame_start,
                bytes,
                why: self.oversize_why(),
                matched: matched as u8,
            };
            return match found {
                SepFind::End { .. } => Step::Skipped(at + consumed),
                SepFind::More { .. } => Step::Skipping(at + consumed),
            };
        }
        match found {
            SepFind::End { consumed, .. } => {
                self.state = State::Idle;
                Step::End(at + consumed)
            }
            SepFind::More { matched, .. } => {
                self.state = State::Scan {
                    unstuff: Unstuff {
                        matched: matched as u8,
                        ..u
                    },
                };
                Step::More
            }
        }
    }

    /// Why an oversized frame is skipped: the layout's policy.
    fn oversize_why(&self) -> Skipping {
        if self.framing.policies().0 == Oversize::Discard {
            Skipping::Discard
        } else {
            Skipping::Fail
        }
    }

    /// A frame whose bytes are the buffer, its delimiter consumed `end`.
    #[inline]
    fn complete_buffered(&mut self, end: usize) -> Next {
        if let Err(fault) = self.framing.check_frame(self.buf.as_slice()) {
            let length = self.pos + end as u64 - self.frame_start;
            return Next::Done(self.bad_trailer(fault, length, end, end));
        }
        self.state = State::Lent;
        self.found(end, Place::Buffer)
    }

    /// A frame lying whole in the input (`frame`, at `place`), its
    /// delimiter consumed `end`. Always inline: out of line it was a call
    /// a frame for lines through the std reader (about 20 instructions of
    /// a 16-byte line's 316; +88 bytes of the no_std proof's `.text`).
    #[inline(always)]
    fn complete(&mut self, frame: &[u8], end: usize, place: Place) -> Next {
        self.complete_to(frame, end, end, place)
    }

    /// [`complete`](Self::complete), the input consumed to `good` when the
    /// frame is good (SLIP's D1, an empty frame after it skipped with it:
    /// [`slip_d1_end`]) and to its delimiter's `end` when it is reported.
    #[inline(always)]
    fn complete_to(&mut self, frame: &[u8], end: usize, good: usize, place: Place) -> Next {
        if let Err(fault) = self.framing.check_frame(frame) {
            let length = self.pos + end as u64 - self.frame_start;
            return Next::Done(self.bad_trailer(fault, length, end, end));
        }
        self.state = State::Idle;
        Next::Done(self.out(good, Ok(Some(Found::Item(At(place))))))
    }

    /// D4 in place: a frame of `bytes` bytes (its delimiter included),
    /// longer than the maximum, lying whole in the input and consumed
    /// `end`.
    fn oversized(&mut self, end: usize, bytes: u64) -> Next {
        self.state = State::Skip {
            from: self.frame_start,
            bytes: 0,
            why: self.oversize_why(),
            matched: 0,
        };
        self.skipped_to(end, bytes)
    }

    /// D3: a corrupt frame, its bytes consumed up to `to`. Under resync,
    /// skipped to the next delimiter (`to` is past it if the corruption
    /// was the delimiter itself) and reported; else fatal.
    fn corrupt(&mut self, to: usize, fault: HeaderFault, ended: bool) -> Next {
        self.buf.clear();
        if !self.framing.policies().1 {
            let e = self.fail(self.framing.fault(fault, 0, self.limit()));
            return Next::Done(self.out(to, Err(e)));
        }
        let bytes = self.pos + to as u64 - self.frame_start;
        self.state = State::Skip {
            from: self.frame_start,
            bytes,
            why: Skipping::Resync,
            matched: 0,
        };
        // A corruption found at the delimiter itself ends the frame there.
        if ended {
            return self.skipped_to(to, 0);
        }
        Next::Go(to)
    }

    /// `Skip`: D5 (the delimiter: report, or fail), D6 (no delimiter yet).
    fn skip_delimited(
        &mut self,
        input: &[u8],
        at: usize,
        last: bool,
        delimiter: Delimiter,
    ) -> Next {
        let State::Skip { matched, .. } = self.state else {
            unreachable!("skip outside Skip");
        };
        let rest = &input[at..];
        let found = match delimiter {
            Delimiter::Resp => unreachable!("RESP fails rather than skips"),
            Delimiter::Cobs => find1(rest, COBS_END).map(|p| p + 1),
            Delimiter::Slip => find1(rest, SLIP_END).map(|p| p + 1),
            Delimiter::Bytes(sep) => match sep_find(sep.as_bytes(), usize::from(matched), rest) {
                SepFind::End { consumed, .. } => Some(consumed),
                SepFind::More { matched: m, .. } => {
                    if let State::Skip { matched, .. } = &mut self.state {
                        *matched = m as u8;
                    }
                    None
                }
            },
        };
        match found {
            Some(n) => self.skipped_to(at + n, n as u64),
            None => {
                let n = rest.len() as u64;
                if let State::Skip { bytes, .. } = &mut self.state {
                    *bytes += n;
                }
                if last {
                    return self.skip_ends(input.len());
                }
                self.none(input.len())
            }
        }
    }

    /// The delimiter ending a skipped frame was consumed at `end`, `n` more
    /// bytes skipped: report it, or fail.
    fn skipped_to(&mut self, end: usize, n: u64) -> Next {
        let State::Skip {
            from, bytes, why, ..
        } = self.state
        else {
            unreachable!("skipped outside Skip");
        };
        let bytes = bytes + n;
        self.state = State::Idle;
        match why {
            Skipping::Discard => self.report(
                end,
                Recovery::Discarded {
                    offset: from,
                    length: bytes,
                },
            ),
            Skipping::Resync => self.report(
                end,
                Recovery::Skipped {
                    offset: from,
                    bytes,
                },
            ),
            Skipping::Fail => {
                self.frame_start = from;
                let fault = HeaderFault::TooLong(bytes);
                let e = self.fail(self.framing.fault(fault, 0, self.limit()));
                Next::Done(self.out(end, Err(e)))
            }
        }
    }

    /// The stream ended while skipping.
    fn skip_ends(&mut self, end: usize) -> Next {
        let State::Skip {
            from, bytes, why, ..
        } = self.state
        else {
            unreachable!("skip_ends outside Skip");
        };
        self.frame_start = from;
        match why {
            Skipping::Resync => {
                self.state = State::Idle;
                self.report(
                    end,
                    Recovery::Skipped {
                        offset: from,
                        bytes,
                    },
                )
            }
            _ => {
                let e = self.fail(DecodeErrorKind::Unterminated { held: bytes });
                Next::Done(self.out(end, Err(e)))
            }
        }
    }
}
