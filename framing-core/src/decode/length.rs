//! The length family's states: `Idle`, `Head`, `Body`, `Tail`,
//! `Discard` and `Resync`, with the shortcuts of [`Machine::feed`] (rows
//! I, H, B, T, X and R of the transition table).

use super::error::{DecodeError, Recovery};
use super::framing::{sat, Framing, FramingKind, Head};
use super::machine::{Machine, Next};
use super::state::State;
use crate::adapter::{Fed, Place};
use crate::buffer::Buffer;
use crate::layout::{HeaderFault, Oversize};
use crate::trailer::Running;

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

impl<F: Framing, B: Buffer, const STREAM: bool> Machine<F, B, STREAM> {
    /// The length family's entry: the shortcuts, then its loop.
    ///
    /// Each shortcut is one transition of the table, taken in the state the
    /// table says, inline in the caller, with the guard beside it that
    /// makes it valid; it calls the row's body, the one the state's handler
    /// in [`run_length`](Self::run_length) calls too (`i1`, `i2`, `keep`,
    /// `b1`, ... below), so the two cannot differ. Every other case, and
    /// these when a guard fails, goes to the loop. `fuzz/src/checks.rs`
    /// holds the two to the same outputs (`feed_general`).
    #[inline(always)]
    pub(super) fn feed_length(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
        match self.state {
            State::Idle => {
                let valid = if self.quick.limit != 0 {
                    self.quick_valid(input)
                        .map(|body| (usize::from(self.quick.head), body))
                } else {
                    match self.framing.head(input, self.limit()) {
                        Head::Valid { len, body } => Some((len, body)),
                        _ => None,
                    }
                };
                if let Some((len, body)) = valid {
                    if STREAM {
                        // I2: a valid head.
                        return self.i2(input, 0, len, body);
                    }
                    // I1: a whole valid frame (with a trailer, a good one;
                    // a bad trailer, T1, is the loop's: see `i1`).
                    let total = match self.whole_good(input, len, body) {
                        Ok(total) => return self.i1(0, len, total),
                        Err(total) => total,
                    };
                    if input.len() < total && !last {
                        if total <= hold {
                            // I0: the adapter keeps the frame until whole.
                            return self.wait(0, total);
                        }
                        // I2': a valid head, the frame goes on.
                        return self.i2_whole(input, 0, (total - input.len()) as u64);
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
                    return self.i3(input, 0);
                }
            }
            // H1: the input ends before the head does.
            State::Head if !last => {
                let have = self.buf.len();
                if let Head::Need(n) = self.framing.head(self.buf.as_slice(), self.limit()) {
                    if input.len() < n - have {
                        return self.keep(input, 0, State::Head);
                    }
                }
            }
            // B2 (whole mode): the input ends before the body does.
            State::Body { remaining, .. }
                if !STREAM && !last && (input.len() as u64) < remaining =>
            {
                return self.b2(input, 0, remaining - input.len() as u64);
            }
            // B1 (whole mode): the rest of the body; the frame is complete
            // (with a trailer, the loop checks it).
            State::Body { remaining, .. }
                if !STREAM && (input.len() as u64) >= remaining && self.tail_len() == 0 =>
            {
                // `remaining` is at most the input's length: a `usize`.
                return self.b1(input, 0, remaining as usize);
            }
            // B4 (stream mode): the body is over (with a trailer, the loop
            // reads it).
            State::Body { remaining: 0, .. } if STREAM && self.tail_len() == 0 => {
                return self.b4(0);
            }
            // B3 (stream mode): the next piece of the body, or none yet.
            State::Body { remaining, sum } if STREAM && remaining > 0 && !last => {
                if input.is_empty() {
                    return self.out(0, Ok(None));
                }
                return self.b3(input, 0, remaining, sum);
            }
            _ => {}
        }
        self.run_length(input, 0, last, hold)
    }

    /// The length family's loop: runs the current state's handler until
    /// one returns.
    #[inline(never)]
    pub(super) fn run_length(
        &mut self,
        input: &[u8],
        mut at: usize,
        last: bool,
        hold: usize,
    ) -> Fed {
        loop {
            let next = match self.state {
                State::Idle => self.idle(input, at, last, hold),
                State::Preface => self.in_preface(input, at, last, hold),
                State::First { lent } => self.in_first(input, at, last, hold, lent),
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
                State::Scan { .. } | State::Skip { .. } => {
                    unreachable!("a delimited state in a length framing")
                }
            };
            match next {
                Next::Done(fed) => return fed,
                Next::Go(to) => at = to,
            }
        }
    }

    /// The body length announced by a valid head whole at the start of
    /// `input`, decided by one comparison (I1's fast path); `None` where
    /// that cannot decide, leaving it to the full validation.
    #[inline(always)]
    pub(super) fn quick_valid(&self, input: &[u8]) -> Option<u64> {
        // `fast_limit` leaves room for the trailer: no overflow.
        let body = self.quick_raw(input)? + self.tail_len() as u64;
        // The invariant that makes one comparison enough.
        debug_assert_eq!(
            self.framing.head(input, self.limit()),
            Head::Valid {
                len: usize::from(self.quick.head),
                body
            }
        );
        Some(body)
    }

    /// The quick field's raw value in a head whole at the start of `input`,
    /// below the fast limit: [`quick_valid`](Self::quick_valid)'s body less
    /// the tail. `None` as there.
    #[inline(always)]
    fn quick_raw(&self, input: &[u8]) -> Option<u64> {
        if self.quick.limit == 0 {
            return None;
        }
        let raw = self.quick.raw_len(&self.framing, input)?;
        if raw >= u64::from(self.quick.limit) {
            return None;
        }
        Some(raw)
    }

    /// `Idle`: I1, I2, I2', I3, I4.
    #[inline(always)]
    pub(super) fn idle(&mut self, input: &[u8], at: usize, last: bool, hold: usize) -> Next {
        debug_assert!(self.buf.is_empty());
        let rest = &input[at..];
        if rest.is_empty() {
            return self.none(at);
        }
        // I1's fast path where the framing allows it, else the full parse.
        let head = match self.quick_valid(rest) {
            Some(body) => Head::Valid {
                len: usize::from(self.quick.head),
                body,
            },
            None => self.framing.head(rest, self.limit()),
        };
        match head {
            // I2.
            Head::Valid { len, body } if STREAM => Next::Done(self.i2(input, at, len, body)),
            Head::Valid { len, body } => {
                // `head` bounds the body by `limit - len`: no overflow.
                let total = len + sat(body);
                if rest.len() >= total {
                    if self.tail_len() != 0 {
                        if let Err(fault) = self.framing.check_frame(&rest[..total]) {
                            // T1.
                            self.frame_start = self.pos + at as u64;
                            let fed = self.bad_trailer(fault, total as u64, at, at + total);
                            return Next::Done(fed);
                        }
                    }
                    // I1.
                    return Next::Done(self.i1(at, len, total));
                }
                if total <= hold && !last {
                    // I0.
                    return Next::Done(self.wait(at, total));
                }
                let missing = (total - rest.len()) as u64;
                if last {
                    self.frame_start = self.pos + at as u64;
                    return self.truncated(input.len(), missing, false);
                }
                // I2'.
                Next::Done(self.i2_whole(input, at, missing))
            }
            Head::Need(n) if n <= hold && !last => {
                // I0.
                Next::Done(self.wait(at, n))
            }
            Head::Need(n) => {
                if last {
                    self.frame_start = self.pos + at as u64;
                    return self.truncated(input.len(), (n - rest.len()) as u64, true);
                }
                // I3.
                Next::Done(self.i3(input, at))
            }
            Head::Bad(fault, len) => {
                // I4.
                self.frame_start = self.pos + at as u64;
                match self.judge(fault, len) {
                    Verdict::Discard(report) => self.report(at + len, report),
                    Verdict::Resync => Next::Go(at + 1),
                    Verdict::Fail(e) => Next::Done(self.out(at, Err(e))),
                }
            }
        }
    }

    /// `Head`: H1, H2, H3.
    #[inline(always)]
    pub(super) fn in_head(&mut self, input: &[u8], at: usize, last: bool) -> Next {
        let rest = &input[at..];
        match self.framing.head(self.buf.as_slice(), self.limit()) {
            Head::Need(n) => {
                let have = self.buf.len();
                let take = (n - have).min(rest.len());
                if have + take < n {
                    if last {
                        return self.truncated(input.len(), (n - have - take) as u64, true);
                    }
                    // H1: all of the input (`take` is all of it).
                    return Next::Done(self.keep(input, at, State::Head));
                }
                if let Some(next) = self.stash(&rest[..take], at) {
                    return next;
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
            Head::Bad(fault, len) => match self.judge(fault, len) {
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
    pub(super) fn whole_body(
        &mut self,
        input: &[u8],
        at: usize,
        last: bool,
        remaining: u64,
    ) -> Next {
        let rest = &input[at..];
        let n = sat(remaining).min(rest.len());
        let left = remaining - n as u64;
        if left > 0 {
            if last {
                return self.truncated(input.len(), left, false);
            }
            // B2: all of the input (`n` is all of it).
            return Next::Done(self.b2(input, at, left));
        }
        // B1 (T1 if its trailer is bad).
        Next::Done(self.b1(input, at, n))
    }

    /// The `Body` state (stream mode) after the valid `head` announcing
    /// `body` bytes: the payload, and the trailer's running checksum.
    #[inline(always)]
    pub(super) fn stream_body(&self, head: &[u8], body: u64) -> State {
        let tail = self.tail_len();
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
    pub(super) fn add_sum(&self, sum: Running, piece: &[u8]) -> Running {
        if self.tail_len() == 0 {
            return sum;
        }
        self.framing.sum(sum, piece)
    }

    /// `Body`, stream mode: B3, B4, B5.
    #[inline(always)]
    pub(super) fn in_stream_body(
        &mut self,
        input: &[u8],
        at: usize,
        last: bool,
        remaining: u64,
        sum: Running,
    ) -> Next {
        if remaining == 0 {
            if self.tail_len() != 0 {
                // B5: the trailer comes next.
                self.buf.clear();
                self.state = State::Tail { sum };
                return Next::Go(at);
            }
            // B4.
            return Next::Done(self.b4(at));
        }
        if at == input.len() {
            if last {
                // Missing: the rest of the payload and the trailer.
                let missing = remaining + self.tail_len() as u64;
                return self.truncated(at, missing, false);
            }
            return self.none(at);
        }
        // B3.
        Next::Done(self.b3(input, at, remaining, sum))
    }

    // The rows' bodies. Each is written once, here, and called both by the
    // shortcut in `feed_length` and by the state's handler in the loop:
    // `input` is all that was fed, `at` where the row's bytes begin.

    /// I1: the whole frame at `at`, its head `len` and all of it `total`
    /// bytes, lent from the input (its trailer, if any, checked by the
    /// caller).
    ///
    /// The trailer check and T1 stay with the callers, the shortcut's as a
    /// guard: with them inside this body, the shortcut carried the T1 path
    /// and `decode_whole/framing_decoder` slowed by 6-13% (16 B: 872-920 us
    /// against 919-1066 us; 256 B: 67-72 against 71-82; `cargo bench
    /// --bench codec -- --quick`, four to five alternating runs, load
    /// below 1.5).
    #[inline(always)]
    fn i1(&mut self, at: usize, len: usize, total: usize) -> Fed {
        // No `frame_start`, which only errors read.
        let frame = Place::Input {
            start: at,
            head: len,
            len: total,
        };
        self.item_at(at + total, frame)
    }

    /// I1's guard after a valid head of `len` bytes announcing `body`:
    /// `Ok(total)` when the frame's `total` bytes are all at the start of
    /// `input` and its trailer, if any, is good; `Err(total)` otherwise (a
    /// bad trailer, T1, is left to the loop's `idle`). Shared by the
    /// shortcut in `feed_length` and [`take_i1`](Self::take_i1).
    #[inline(always)]
    fn whole_good(&self, input: &[u8], len: usize, body: u64) -> Result<usize, usize> {
        // `head` and `fast_limit` bound the body by `limit - len`: no
        // overflow.
        self.whole_total(input, len + sat(body))
    }

    /// [`whole_good`](Self::whole_good) for a frame of `total` bytes.
    #[inline(always)]
    fn whole_total(&self, input: &[u8], total: usize) -> Result<usize, usize> {
        if input.len() >= total
            && (self.tail_len() == 0 || self.framing.check_frame_fast(&input[..total]).is_ok())
        {
            Ok(total)
        } else {
            Err(total)
        }
    }

    /// I1's guard from between frames, for the facades: state `Idle` or
    /// `Lent` (`Lent` then cleared), a head one comparison judges valid and
    /// a whole frame at the start of `input` (with a trailer, a good one):
    /// its head's and its own length; `None` leaves everything as it was,
    /// for [`feed`](Self::feed). The same transition as the shortcut in
    /// `feed_length` and the loop's `idle`, with the same guard.
    #[inline(always)]
    fn quick_i1(&mut self, input: &[u8]) -> Option<(usize, usize)> {
        let (len, whole) = self.quick_whole(input)?;
        let total = whole.ok()?;
        self.leave_lent();
        Some((len, total))
    }

    /// Between frames, a head one comparison judges valid: its length, and
    /// [`whole_good`](Self::whole_good)'s verdict on its frame. `None`
    /// where one comparison says nothing (no quick field, not between
    /// frames, a head not whole or not valid by it). Changes nothing.
    #[inline(always)]
    fn quick_whole(&self, input: &[u8]) -> Option<(usize, Result<usize, usize>)> {
        if self.quick.limit == 0 || !self.between_frames() {
            return None;
        }
        let raw = self.quick_raw(input)?;
        let len = usize::from(self.quick.head);
        // One addition to the field (see `Quick::fixed`).
        let total = sat(raw) + usize::from(self.quick.fixed);
        debug_assert_eq!(usize::from(self.quick.fixed), len + self.tail_len());
        debug_assert_eq!(Some(raw + self.tail_len() as u64), self.quick_valid(input));
        Some((len, self.whole_total(input, total)))
    }

    /// Whether a whole decoder is between frames (`Idle`, or `Lent`): where
    /// I1 starts.
    #[inline(always)]
    pub(super) fn between_frames(&self) -> bool {
        !STREAM && matches!(self.state, State::Idle | State::Lent)
    }

    /// The frame I1 found, `total` bytes with a head of `len`, consumed by
    /// a facade that lends it itself (no [`Fed`]).
    #[inline(always)]
    fn took(&mut self, len: usize, total: usize) -> (usize, usize) {
        self.pos += total as u64;
        self.debug_check();
        (len, total)
    }

    /// I1 for [`Decoder::decode`](crate::Decoder::decode), which lends the
    /// frame itself: `quick_i1`'s frame consumed, its head's and its own
    /// length returned, without building a [`Fed`].
    #[inline(always)]
    pub(super) fn take_i1(&mut self, input: &[u8]) -> Option<(usize, usize)> {
        let (len, total) = self.quick_i1(input)?;
        Some(self.took(len, total))
    }

    /// I1 and I0 for the adapters' [`Feed::take_or_hold`] (and, with
    /// `hold` 0, I1 alone for [`Feed::take`]), from between frames: the
    /// frame whole at the start of `input`, consumed, `Ok((head, len))`;
    /// or, where it (or its head) is not whole yet and is at most `hold`
    /// bytes, `Err(need)`, `feed`'s [`Fed::need`], `Lent` cleared as
    /// `feed` clears it and nothing consumed. `Err(0)`: neither row,
    /// nothing changed; `feed` decides.
    ///
    /// The head is judged by one comparison where the layout has it (and
    /// a head not whole yet, where the quick field covers every head, by
    /// its length alone); where it has none (an ASCII length, constants,
    /// an adjust), or its quick field does not cover every head (a varint
    /// over one byte), by the layout's full validation, out of line. A
    /// layout whose quick field covers every head asks no more when that
    /// comparison judged a whole head, nor for a partial head
    /// longer than `hold` (with `hold` 0, always): the full validation
    /// would not take it either, and in small chunks that second attempt
    /// cost a frame 64 instructions (the codec, 7-byte chunks).
    ///
    /// [`Feed::take_or_hold`]: crate::adapter::Feed::take_or_hold
    /// [`Feed::take`]: crate::adapter::Feed::take
    #[inline(always)]
    pub(super) fn take_or_hold_length(
        &mut self,
        input: &[u8],
        hold: usize,
    ) -> Result<(usize, usize), usize> {
        if self.quick.limit != 0 {
            if let Some((len, whole)) = self.quick_whole(input) {
                return self.whole_or_hold(input, len, whole, hold);
            }
            let head = usize::from(self.quick.head);
            if head == self.framing.max_head() {
                if input.len() >= head || head > hold {
                    return Err(0);
                }
                // I0 for a head not whole yet, inline: a fixed head needs
                // all of its bytes before anything in it is judged (the
                // answer `Framing::head` gives, out of line; in small
                // chunks a codec asks this once a frame in two).
                if !self.between_frames() || input.is_empty() {
                    return Err(0);
                }
                debug_assert_eq!(self.framing.head(input, self.limit()), Head::Need(head));
                return Err(self.hold(head));
            }
        }
        self.take_checked(input, hold)
    }

    /// [`take_or_hold`](Self::take_or_hold) with the head judged by
    /// [`Framing::head`] (the guards of `feed_length` and the loop's
    /// `idle`), out of line.
    #[inline(never)]
    fn take_checked(&mut self, input: &[u8], hold: usize) -> Result<(usize, usize), usize> {
        if STREAM || !matches!(self.kind(), FramingKind::Length) {
            return Err(0);
        }
        if !self.between_frames() || input.is_empty() {
            return Err(0);
        }
        match self.framing.head(input, self.limit()) {
            Head::Valid { len, body } => {
                let whole = self.whole_good(input, len, body);
                self.whole_or_hold(input, len, whole, hold)
            }
            // I0 (the head).
            Head::Need(n) if n <= hold => Err(self.hold(n)),
            Head::Need(_) | Head::Bad(..) => Err(0),
        }
    }

    /// After a valid head of `len` bytes between frames and `whole_good`'s
    /// verdict on its frame: I1 (the frame consumed), I0 (the frame kept
    /// back: not whole, at most `hold` bytes), or `Err(0)` (a bad trailer,
    /// T1, or a frame longer than `hold`: the loop's).
    #[inline(always)]
    fn whole_or_hold(
        &mut self,
        input: &[u8],
        len: usize,
        whole: Result<usize, usize>,
        hold: usize,
    ) -> Result<(usize, usize), usize> {
        match whole {
            Ok(total) => {
                self.leave_lent();
                Ok(self.took(len, total))
            }
            // I0 (the frame).
            Err(total) if input.len() < total && total <= hold => Err(self.hold(total)),
            Err(_) => Err(0),
        }
    }

    /// `Lent` cleared, as `feed` clears it on entry: the state I1 and I0
    /// leave between frames.
    #[inline(always)]
    fn leave_lent(&mut self) {
        if matches!(self.state, State::Lent) {
            self.lent();
        }
    }

    /// I0 for [`take_or_hold`](Self::take_or_hold): nothing consumed, the
    /// next item needing `need` bytes whole; the state `feed`'s I0 leaves
    /// (`Idle`, `Lent` cleared).
    #[inline(always)]
    fn hold(&mut self, need: usize) -> usize {
        debug_assert!(need > 0);
        self.leave_lent();
        self.debug_check();
        need
    }

    /// I1 for the adapters' [`Feed::feed`](crate::adapter::Feed::feed):
    /// `quick_i1`'s frame through the row's own body, `i1`.
    #[inline(always)]
    pub(super) fn feed_i1(&mut self, input: &[u8]) -> Option<Fed> {
        let (len, total) = self.quick_i1(input)?;
        Some(self.i1(0, len, total))
    }

    /// I2 (stream mode): the valid head of `len` bytes at `at`, announcing
    /// `body` bytes, lent from the input as the header.
    #[inline(always)]
    fn i2(&mut self, input: &[u8], at: usize, len: usize, body: u64) -> Fed {
        self.frame_start = self.pos + at as u64;
        self.state = self.stream_body(&input[at..at + len], body);
        let header = Place::Input {
            start: at,
            head: len,
            len,
        };
        self.item_at(at + len, header)
    }

    /// I2' (whole mode): a valid head at `at` whose frame lacks `missing`
    /// bytes: all of the input is buffered.
    #[inline(always)]
    fn i2_whole(&mut self, input: &[u8], at: usize, missing: u64) -> Fed {
        self.frame_start = self.pos + at as u64;
        let body = State::Body {
            remaining: missing,
            sum: Running::default(),
        };
        self.keep(input, at, body)
    }

    /// I3: part of a head at `at`: all of the input is buffered.
    #[inline(always)]
    fn i3(&mut self, input: &[u8], at: usize) -> Fed {
        self.frame_start = self.pos + at as u64;
        self.keep(input, at, State::Head)
    }

    /// B2 (whole mode): the input from `at` is all body, `left` bytes of it
    /// still to come: all of it is buffered. (Whole mode keeps no running
    /// checksum: the trailer is checked over the buffered frame.)
    #[inline(always)]
    fn b2(&mut self, input: &[u8], at: usize, left: u64) -> Fed {
        debug_assert!(!STREAM && left > 0);
        let body = State::Body {
            remaining: left,
            sum: Running::default(),
        };
        self.keep(input, at, body)
    }

    /// B2 for [`Decoder::decode`](crate::Decoder::decode), the transition
    /// nearly every call takes where a stream comes in chunks smaller than
    /// its frames: the guard of `feed_length`'s B2 and its body, `b2`,
    /// inline, without a [`Fed`] to read back. `true`: all of `input`
    /// kept. `false`: the guard failed, changing nothing; or the buffer
    /// refused the bytes, which failed the machine, so that `feed` reports
    /// the refusal, consuming nothing, as B2 through `feed` does.
    #[inline(always)]
    pub(super) fn take_b2(&mut self, input: &[u8]) -> bool {
        match self.state {
            State::Body { remaining, .. } if !STREAM && (input.len() as u64) < remaining => {
                let fed = self.b2(input, 0, remaining - input.len() as u64);
                debug_assert!(
                    matches!(fed.result, Ok(None)) && fed.consumed == input.len()
                        || matches!(self.state, State::Failed(_)) && fed.consumed == 0
                );
                fed.result.is_ok()
            }
            _ => false,
        }
    }

    /// The body of I2', I3, H1 and B2: the input from `at` is buffered,
    /// all consumed, and the machine moves to `state`; a buffer that
    /// refuses the bytes fails the machine, consuming nothing more.
    #[inline(always)]
    fn keep(&mut self, input: &[u8], at: usize, state: State) -> Fed {
        // The state first, written in place: a refusal replaces it with
        // `Failed`.
        self.state = state;
        if let Err(e) = self.push(&input[at..]) {
            return self.out(at, Err(e));
        }
        self.out(input.len(), Ok(None))
    }

    /// B1 (whole mode): the body's last `n` bytes at `at` complete the
    /// frame in the buffer, lent out; with a trailer that does not match,
    /// T1.
    #[inline(always)]
    fn b1(&mut self, input: &[u8], at: usize, n: usize) -> Fed {
        if let Err(e) = self.push(&input[at..at + n]) {
            return self.out(at, Err(e));
        }
        if self.tail_len() != 0 {
            if let Err(fault) = self.framing.check_frame(self.buf.as_slice()) {
                // T1.
                let length = self.buf.len() as u64;
                return self.bad_trailer(fault, length, at + n, at + n);
            }
        }
        self.state = State::Lent;
        self.item_at(at + n, Place::Buffer)
    }

    /// B3 (stream mode): the next payload piece, from `at` (which is
    /// before the input's end), of a body with `remaining` bytes to come.
    #[inline(always)]
    fn b3(&mut self, input: &[u8], at: usize, remaining: u64, sum: Running) -> Fed {
        let len = sat(remaining).min(input.len() - at);
        self.state = State::Body {
            remaining: remaining - len as u64,
            sum: self.add_sum(sum, &input[at..at + len]),
        };
        self.item_at(at + len, Place::Piece { start: at, len })
    }

    /// B3 for [`StreamDecoder::decode`](crate::StreamDecoder::decode), the
    /// transition nearly every call takes where chunks are smaller than
    /// frames: the guard of `feed_length`'s B3 (an input that is not empty)
    /// and its body, `b3`, inline; the piece, at the start of `input`, is
    /// lent without a [`Fed`] to read back. Its length; `None` (the guard
    /// fails) changes nothing.
    #[inline(always)]
    pub(super) fn take_b3(&mut self, input: &[u8]) -> Option<usize> {
        match self.state {
            State::Body { remaining, sum } if STREAM && remaining > 0 && !input.is_empty() => {
                let fed = self.b3(input, 0, remaining, sum);
                debug_assert!(matches!(
                    fed.result,
                    Ok(Some(crate::adapter::Found::Item(crate::adapter::At(Place::Piece { start: 0, len })))) if len == fed.consumed
                ));
                Some(fed.consumed)
            }
            _ => None,
        }
    }

    /// B4 (stream mode): the payload is over and no trailer follows: the
    /// end marker.
    #[inline(always)]
    fn b4(&mut self, at: usize) -> Fed {
        self.buf.clear();
        self.state = State::Idle;
        self.item_at(at, Place::End)
    }

    /// `Tail` (stream mode): T2, T3. The trailer, checked against the
    /// running checksum: read in place when it lies whole in the input,
    /// else gathered in the buffer.
    pub(super) fn tail(&mut self, input: &[u8], at: usize, last: bool, sum: Running) -> Next {
        let rest = &input[at..];
        let want = self.tail_len();
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
                Next::Done(self.bad_trailer(fault, length, end, end))
            }
        }
    }

    /// `Discard`: X1, X2.
    pub(super) fn discard(&mut self, input: &[u8], at: usize, last: bool, remaining: u64) -> Next {
        let n = sat(remaining).min(input.len() - at);
        let left = remaining - n as u64;
        if left == 0 {
            // X1.
            self.state = State::Idle;
            return Next::Go(at + n);
        }
        // X2.
        self.state = State::Discard { remaining: left };
        if last {
            return self.truncated(at + n, left, false);
        }
        self.none(at + n)
    }

    /// Decides what a bad head leads to and moves the state there; the
    /// caller consumes what the verdict says.
    #[cold]
    fn judge(&mut self, fault: HeaderFault, head: usize) -> Verdict {
        let (oversize, resync) = self.framing.policies();
        match fault {
            HeaderFault::TooLong(length) if oversize == Oversize::Discard => {
                self.state = State::Discard {
                    remaining: length.saturating_add(self.tail_len() as u64),
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
            _ => Verdict::Fail(self.fail(self.framing.fault(fault, head, self.limit()))),
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
    pub(super) fn resync(&mut self, input: &[u8], at: usize, last: bool) -> Next {
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
        // A head found in the buffer ends where the buffer does: the bytes
        // held were kept because a head at an earlier position needed
        // them, and a length that ends itself (a varint, ASCII digits)
        // ends at the same byte from any later position. (A WebSocket
        // head's length is told by its first bytes instead, which is why
        // such layouts cannot resync.)
        debug_assert!(
            self.buf.is_empty()
                || matches!(
                    self.framing.head(self.buf.as_slice(), self.limit()),
                    Head::Valid { len, .. } | Head::Bad(_, len) if len == self.buf.len()
                )
        );
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
}
