//! The states before the first frame, in either family: `Preface` (rows P)
//! and `First` (rows F). A stream starts in `Preface` if the framing has a
//! preface, else in `First` if its first frame has its own layout, else in
//! `Idle`; both end in `Idle` (through `Lent` when they hand out bytes
//! held in the buffer), so no state after them knows they were there.

use super::error::DecodeErrorKind;
use super::framing::{sat, Framing, Head};
use super::machine::{Machine, Next};
use super::search::find;
use super::state::State;
use crate::adapter::{At, Found, Place, Span};
use crate::buffer::Buffer;
use crate::layout::Preface;

impl<F: Framing, B: Buffer, const STREAM: bool> Machine<F, B, STREAM> {
    /// The state a stream starts in.
    pub(super) fn start_state(&self) -> State {
        if self.framing.preface().is_some() {
            State::Preface
        } else if self.framing.first().is_some() {
            State::First { lent: false }
        } else {
            State::Idle
        }
    }

    /// The state after the preface: `First` if the first frame has its
    /// own layout, else `Idle` (`Lent` when the preface is lent from the
    /// buffer).
    fn after_preface(&self, lent: bool) -> State {
        match (self.framing.first(), lent) {
            (Some(_), lent) => State::First { lent },
            (None, true) => State::Lent,
            (None, false) => State::Idle,
        }
    }

    /// `Preface`: P0 (kept back for the adapter, as I0), P1 (whole in the
    /// input: lent from it), P2 (the rest of it: lent from the buffer), P3
    /// (part of it: buffered), P4 (a fixed preface differs, or one ending
    /// at given bytes does not end within its maximum: `Failed`).
    pub(super) fn in_preface(&mut self, input: &[u8], at: usize, last: bool, hold: usize) -> Next {
        let Some(preface) = self.framing.preface() else {
            unreachable!("the Preface state without a preface")
        };
        let rest = &input[at..];
        let have = self.buf.len();
        self.frame_start = 0;
        if rest.is_empty() {
            if last && have > 0 {
                let missing = match preface {
                    Preface::Fixed(p) => p.len() - have,
                    Preface::Until { end, .. } => end.len(),
                };
                return self.truncated(at, missing as u64, true);
            }
            // Nothing yet (with `last`: an empty stream, a clean end).
            return self.none(at);
        }
        // How many of `rest`'s bytes the preface takes, whether that ends
        // it, and the bytes it needs whole when it does not.
        let (take, done, need) = match preface {
            Preface::Fixed(p) => {
                let want = p;
                let take = (want.len() - have).min(rest.len());
                if let Some(i) = (0..take).find(|&i| rest[i] != want[have + i]) {
                    // P4.
                    let kind = DecodeErrorKind::PrefaceMismatch {
                        at: self.pos + (at + i) as u64,
                        found: rest[i],
                        expected: want[have + i],
                    };
                    let e = self.fail(kind);
                    return Next::Done(self.out(at, Err(e)));
                }
                (take, have + take == want.len(), want.len())
            }
            Preface::Until { end, max } => {
                let end = end.as_bytes();
                let max = max as usize;
                let room = max - have;
                match self.preface_end(rest, end, room) {
                    Some(take) => (take, true, 0),
                    None if rest.len() >= room => {
                        // P4.
                        let e = self.fail(DecodeErrorKind::PrefaceTooLong { max });
                        return Next::Done(self.out(at, Err(e)));
                    }
                    // At least one more byte.
                    None => (rest.len(), false, rest.len() + 1),
                }
            }
        };
        if done && have == 0 {
            // P1.
            self.state = self.after_preface(false);
            let place = Place::Preface(Span::Input {
                start: at,
                len: take,
            });
            return Next::Done(self.out(at + take, Ok(Some(Found::Preface(At(place))))));
        }
        if !done {
            if last {
                // A fixed preface's missing bytes; at least one more for
                // one ending at given bytes.
                let missing = need.saturating_sub(have + take).max(1);
                return self.truncated(input.len(), missing as u64, true);
            }
            if have == 0 && need <= hold {
                // P0.
                return Next::Done(self.wait(at, need));
            }
        }
        if let Some(next) = self.stash(&rest[..take], at) {
            return next;
        }
        if done {
            // P2.
            self.state = self.after_preface(true);
            let place = Place::Preface(Span::Buffer);
            return Next::Done(self.out(at + take, Ok(Some(Found::Preface(At(place))))));
        }
        // P3: all of the input.
        self.none(at + take)
    }

    /// Where a preface ending at `end` ends: the bytes of `rest` it takes,
    /// its end included, if that is within `room` of them. The buffer
    /// holds its first bytes, which may hold the start of `end`.
    fn preface_end(&self, rest: &[u8], end: &[u8], room: usize) -> Option<usize> {
        let held = self.buf.as_slice();
        // `end` begun in the buffer, finished in `rest`.
        for j in (1..end.len()).rev() {
            if held.ends_with(&end[..j]) && rest.starts_with(&end[j..]) && end.len() - j <= room {
                return Some(end.len() - j);
            }
        }
        find(&rest[..rest.len().min(room)], end).map(|p| p + end.len())
    }

    /// `First`: F0 (kept back for the adapter, as I0), F1 (whole in the
    /// input: lent from it), F2 (part of it: buffered), F3 (the rest of
    /// it: lent from the buffer), F4 (a bad head, trailer or frame end:
    /// `Failed`; no recovery policy applies to the first frame). The first
    /// frame is always read whole: a streaming decoder over such a framing
    /// cannot be built.
    pub(super) fn in_first(
        &mut self,
        input: &[u8],
        mut at: usize,
        last: bool,
        hold: usize,
        lent: bool,
    ) -> Next {
        let Some(first) = self.framing.first() else {
            unreachable!("the First state without a first layout")
        };
        if lent {
            self.buf.clear();
            self.state = State::First { lent: false };
        }
        let limit = self.limit();
        if self.buf.is_empty() {
            let rest = &input[at..];
            if rest.is_empty() {
                // Nothing yet (with `last`: the clean end).
                return self.none(at);
            }
            self.frame_start = self.pos + at as u64;
            let need = match first.head(rest, limit) {
                Head::Valid { len, body } => {
                    let total = len + sat(body);
                    if rest.len() >= total {
                        if let Err(fault) = first.check_frame(&rest[..total]) {
                            return self.first_failed(at, first.fault(fault, 0, limit));
                        }
                        // F1.
                        self.state = State::Idle;
                        let place = Place::First(Span::Input {
                            start: at,
                            len: total,
                        });
                        return self.found(at + total, place);
                    }
                    total
                }
                Head::Need(n) => n,
                Head::Bad(fault, len) => {
                    return self.first_failed(at, first.fault(fault, len, limit))
                }
            };
            if need <= hold && !last {
                // F0.
                return Next::Done(self.wait(at, need));
            }
        }
        // F2, F3: as many bytes as the head says, judged again as they come.
        loop {
            let held = self.buf.as_slice();
            let (need, in_header) = match first.head(held, limit) {
                Head::Need(n) => (n, true),
                Head::Valid { len, body } => (len + sat(body), false),
                Head::Bad(fault, len) => {
                    return self.first_failed(at, first.fault(fault, len, limit))
                }
            };
            let have = held.len();
            if have == need {
                if let Err(fault) = first.check_frame(held) {
                    return self.first_failed(at, first.fault(fault, 0, limit));
                }
                // F3.
                self.state = State::Lent;
                return self.found(at, Place::First(Span::Buffer));
            }
            let rest = &input[at..];
            if rest.is_empty() {
                if last {
                    return self.truncated(at, (need - have) as u64, in_header);
                }
                // F2.
                return self.none(at);
            }
            let take = (need - have).min(rest.len());
            if let Some(next) = self.stash(&rest[..take], at) {
                return next;
            }
            at += take;
        }
    }

    /// F4: the first frame is bad; nothing more is consumed.
    #[cold]
    fn first_failed(&mut self, at: usize, kind: DecodeErrorKind) -> Next {
        let e = self.fail(kind);
        Next::Done(self.out(at, Err(e)))
    }
}
