//! The machine's states for framings without a length (COBS, SLIP, a
//! delimiter byte string): `Idle`, `Scan` and `Skip`. See the transition
//! table in the module above (D-rows).

use super::{At, DecodeErrorKind, Found, Machine, Next, Place, Recovery, State};
use crate::buffer::Buffer;
use crate::layout::{Delimiter, HeaderFault, Oversize};

use super::Framing;

/// COBS's delimiter.
const COBS_END: u8 = 0;
/// SLIP's END, ESC, and what ESC may be followed by.
const SLIP_END: u8 = 0xc0;
const SLIP_ESC: u8 = 0xdb;
const SLIP_ESC_END: u8 = 0xdc;
const SLIP_ESC_ESC: u8 = 0xdd;

/// Where the decoding of a delimited frame stands between bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Unstuff {
    /// COBS: bytes left in the current block.
    left: u8,
    /// COBS: a zero follows the current block unless the frame ends.
    zero: bool,
    /// SLIP: the last byte was ESC.
    esc: bool,
    /// A byte-string delimiter: the frame's last bytes so far are its
    /// first `matched` bytes (not in the buffer: they are the delimiter's
    /// start, or data if what follows says so).
    matched: u8,
}

/// Why `Skip` skips to the next delimiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Skipping {
    /// An oversized frame under [`Oversize::Discard`]: reported as
    /// [`Recovery::Discarded`] at its delimiter.
    Discard,
    /// An oversized frame: the error, with its length, at its delimiter.
    Fail,
    /// A corrupt frame under resync: reported as [`Recovery::Skipped`].
    Resync,
}

/// What a run of bytes did to the frame being decoded.
enum Step {
    /// All of them were taken; the frame goes on.
    More,
    /// The frame ended at its delimiter, the last byte consumed `at`.
    End(usize),
    /// A delimiter with no frame before it, consumed `at`: skipped.
    Empty(usize),
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
    /// The largest frame (payload and trailer, decoded) a delimited
    /// decoder holds.
    fn frame_cap(&self) -> usize {
        let max = self.framing.max_body();
        usize::try_from(max).unwrap_or(usize::MAX).min(self.limit())
    }

    /// `Idle` and `Scan` for a delimited framing: D1 (a frame ends), D2
    /// (the input ends inside one), D3 (a corrupt frame), D4 (an oversized
    /// one).
    pub(super) fn scan(&mut self, input: &[u8], at: usize, last: bool) -> Next {
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
        let delimiter = self.framing.delimiter();
        let step = match delimiter {
            Some(Delimiter::Cobs) => self.cobs(rest, at, fresh, unstuff),
            Some(Delimiter::Slip) => self.slip(rest, at, unstuff),
            Some(Delimiter::Bytes(sep)) => {
                // D1 in place: a frame that lies whole in the input.
                if fresh {
                    if let Some(p) = find(rest, sep.as_bytes()) {
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
                }
                self.bytes(rest, at, sep.as_bytes(), unstuff)
            }
            None => unreachable!("scan without a delimiter"),
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
            Step::End(end) => {
                if self.buf.is_empty() && matches!(delimiter, Some(Delimiter::Slip)) {
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
            if self.buf.len() + data > cap || self.buf.extend_from_slice(&block[..data]).is_err() {
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

    /// SLIP: decodes `rest` into the buffer up to the frame's end.
    fn slip(&mut self, rest: &[u8], at: usize, mut u: Unstuff) -> Step {
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
            if run > 0 {
                if self.buf.len() + run > cap
                    || self.buf.extend_from_slice(&rest[i..i + run]).is_err()
                {
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
            || (pending > 0 && self.buf.extend_from_slice(&sep[..pending]).is_err())
            || self.buf.extend_from_slice(&rest[..data]).is_err()
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
    fn complete_buffered(&mut self, end: usize) -> Next {
        if let Err(fault) = self.framing.check_frame(self.buf.as_slice()) {
            let length = self.pos + end as u64 - self.frame_start;
            return self.bad_trailer(fault, length, end, end);
        }
        self.state = State::Lent;
        self.found(end, Place::Buffer)
    }

    /// A frame lying whole in the input (`frame`, at `place`), its
    /// delimiter consumed `end`.
    fn complete(&mut self, frame: &[u8], end: usize, place: Place) -> Next {
        if let Err(fault) = self.framing.check_frame(frame) {
            let length = self.pos + end as u64 - self.frame_start;
            return self.bad_trailer(fault, length, end, end);
        }
        self.state = State::Idle;
        Next::Done(self.out(end, Ok(Some(Found::Item(At(place))))))
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
            let e = self.fail(self.framing.fault(fault, self.limit()));
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
    pub(super) fn skip_delimited(&mut self, input: &[u8], at: usize, last: bool) -> Next {
        let State::Skip { matched, .. } = self.state else {
            unreachable!("skip outside Skip");
        };
        let rest = &input[at..];
        let found = match self.framing.delimiter() {
            Some(Delimiter::Cobs) => find1(rest, COBS_END).map(|p| p + 1),
            Some(Delimiter::Slip) => find1(rest, SLIP_END).map(|p| p + 1),
            Some(Delimiter::Bytes(sep)) => {
                match sep_find(sep.as_bytes(), usize::from(matched), rest) {
                    SepFind::End { consumed, .. } => Some(consumed),
                    SepFind::More { matched: m, .. } => {
                        if let State::Skip { matched, .. } = &mut self.state {
                            *matched = m as u8;
                        }
                        None
                    }
                }
            }
            None => None,
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
                let e = self.fail(self.framing.fault(fault, self.limit()));
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

/// Bytes whose value is `x` in every byte.
const fn splat(x: u8) -> u64 {
    u64::from_le_bytes([x; 8])
}

/// The first position of byte `a` or `b` in `hay` (`a == b` for one byte):
/// eight bytes a step, with the "has a zero byte" test on each word.
#[inline]
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let (wa, wb) = (splat(a), splat(b));
    let mut rest = hay;
    while let Some((w, tail)) = rest.split_first_chunk::<8>() {
        let x = u64::from_le_bytes(*w);
        let (xa, xb) = (x ^ wa, x ^ wb);
        let zero = ((xa.wrapping_sub(LO) & !xa) | (xb.wrapping_sub(LO) & !xb)) & HI;
        if zero != 0 {
            // The lowest flagged byte is a true match (borrows only run
            // upwards from it).
            let at = hay.len() - rest.len();
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        rest = tail;
    }
    let at = hay.len() - rest.len();
    rest.iter().position(|&x| x == a || x == b).map(|p| at + p)
}

/// The first position of byte `x` in `hay`: [`find2`] for one byte,
/// sixteen bytes a step.
#[inline]
fn find1(hay: &[u8], x: u8) -> Option<usize> {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let wx = splat(x);
    let flag = |w: [u8; 8]| {
        let v = u64::from_le_bytes(w) ^ wx;
        v.wrapping_sub(LO) & !v & HI
    };
    let mut rest = hay;
    while let Some((w, tail)) = rest.split_first_chunk::<16>() {
        let (a, b) = w.split_at(8);
        let fa = flag(a.try_into().unwrap_or([0; 8]));
        let fb = flag(b.try_into().unwrap_or([0; 8]));
        if fa | fb != 0 {
            let at = hay.len() - rest.len();
            // The lowest flagged byte of the first flagged word matches.
            return Some(if fa != 0 {
                at + (fa.trailing_zeros() / 8) as usize
            } else {
                at + 8 + (fb.trailing_zeros() / 8) as usize
            });
        }
        rest = tail;
    }
    let at = hay.len() - rest.len();
    find2(rest, x, x).map(|p| at + p)
}

/// The first position of `sep` in `hay`.
#[inline]
fn find(hay: &[u8], sep: &[u8]) -> Option<usize> {
    let (&first, tail) = sep.split_first()?;
    if tail.is_empty() {
        return find1(hay, first);
    }
    let mut from = 0;
    while let Some(p) = find1(&hay[from..], first) {
        let i = from + p;
        if hay[i + 1..].starts_with(tail) {
            return Some(i);
        }
        if hay.len() - i < sep.len() {
            return None;
        }
        from = i + 1;
    }
    None
}

/// Where a byte-string delimiter `sep` ends, in `rest`, after bytes that
/// end with its first `m` bytes (pending: not yet known to be data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SepFind {
    /// The delimiter ends `consumed` bytes into `rest`; the frame's data
    /// is the first `pending` pending bytes, then `rest[..data]`.
    End {
        pending: usize,
        data: usize,
        consumed: usize,
    },
    /// No delimiter ends in `rest`: `pending` pending bytes and
    /// `rest[..data]` are data, and the bytes after them, the delimiter's
    /// first `matched` bytes, pending.
    More {
        pending: usize,
        data: usize,
        matched: usize,
    },
}

#[inline]
fn sep_find(sep: &[u8], m: usize, rest: &[u8]) -> SepFind {
    if let ([b], 0) = (sep, m) {
        // One byte: nothing pending, no partial match to keep.
        return match find1(rest, *b) {
            Some(p) => SepFind::End {
                pending: 0,
                data: p,
                consumed: p + 1,
            },
            None => SepFind::More {
                pending: 0,
                data: rest.len(),
                matched: 0,
            },
        };
    }
    // A delimiter beginning in the pending bytes, earliest first.
    for j in 0..m {
        let have = m - j;
        if sep[j..m] != sep[..have] {
            continue;
        }
        let need = &sep[have..];
        if rest.len() >= need.len() {
            if rest.starts_with(need) {
                return SepFind::End {
                    pending: j,
                    data: 0,
                    consumed: need.len(),
                };
            }
        } else if need.starts_with(rest) {
            return SepFind::More {
                pending: j,
                data: 0,
                matched: have + rest.len(),
            };
        }
    }
    match find(rest, sep) {
        Some(p) => SepFind::End {
            pending: m,
            data: p,
            consumed: p + sep.len(),
        },
        None => {
            // The longest end of `rest` that may begin a delimiter.
            let k = (1..sep.len())
                .rev()
                .find(|&k| k <= rest.len() && rest.ends_with(&sep[..k]))
                .unwrap_or(0);
            SepFind::More {
                pending: m,
                data: rest.len() - k,
                matched: k,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_search_finds_what_the_byte_search_finds() {
        let hay: [u8; 40] = core::array::from_fn(|i| (i * 37 % 251) as u8);
        for from in 0..hay.len() {
            for (a, b) in [
                (0u8, 0u8),
                (0x80, 0x80),
                (hay[from], 0xc0),
                (0x01, 0xff),
                (hay[from], hay[from]),
            ] {
                let want = hay[from..].iter().position(|&x| x == a || x == b);
                assert_eq!(find2(&hay[from..], a, b), want, "{a} {b} from {from}");
            }
        }
        assert_eq!(find(b"ab\r\r\nc", b"\r\n"), Some(3));
        let long: [u8; 100] = core::array::from_fn(|i| (i * 29 % 253) as u8 + 1);
        for from in 0..long.len() {
            for x in [0u8, 1, 0x80, 0xff, long[from], long[long.len() - 1]] {
                let want = long[from..].iter().position(|&b| b == x);
                assert_eq!(find1(&long[from..], x), want, "{x} from {from}");
            }
        }
        assert_eq!(find(b"ab\r", b"\r\n"), None);
    }
}
