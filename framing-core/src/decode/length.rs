//! The length family's states: `Idle`, `Head`, `Body`, `Tail`,
//! `Discard` and `Resync`, with the shortcuts of [`Machine::feed`] (rows
//! I, H, B, T, X and R of the transition table).

use super::error::{DecodeError, Recovery};
use super::framing::{sat, Framing, Head};
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
    /// table says, with the same consumption, result and next state as the
    /// state's handler in [`run_length`](Self::run_length) gives, but
    /// without the loop, inline in the caller; the guard beside each is the
    /// invariant that makes it valid. Every other case, and these when a
    /// guard fails, goes to the loop. `fuzz/src/checks.rs` holds the two to
    /// the same outputs (`feed_general`).
    #[inline(always)]
    pub(super) fn feed_length(&mut self, input: &[u8], last: bool, hold: usize) -> Fed {
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

    /// `Head`: H1, H2, H3.
    #[inline(always)]
    pub(super) fn in_head(&mut self, input: &[u8], at: usize, last: bool) -> Next {
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
    pub(super) fn stream_body(&self, head: &[u8], body: u64) -> State {
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
    pub(super) fn add_sum(&self, sum: Running, piece: &[u8]) -> Running {
        if self.framing.tail() == 0 {
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
    pub(super) fn tail(&mut self, input: &[u8], at: usize, last: bool, sum: Running) -> Next {
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
