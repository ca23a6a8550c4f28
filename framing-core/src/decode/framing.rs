//! The seam between the machine and a framing: what the machine asks of
//! the head bytes ([`Head`]), which family of states it runs
//! ([`FramingKind`]), and the one framing today, a [`Layout`].

use core::borrow::Borrow;

use super::error::DecodeErrorKind;
use crate::layout::{Delimiter, HeaderFault, Layout, Oversize, Preface, Read, Suffix};
use crate::trailer::{Covers, Running};

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

/// Which family of states a framing runs: the machine's `feed` and `run`
/// match it once at the top of every call and run that family's handlers,
/// which never ask again (the delimited ones are given the delimiter).
/// The framing answers it from what it is (for a [`Layout`], whether it
/// has a delimiter), rather than the machine keeping a copy: a copy would
/// grow every decoder by 16 bytes (`tests/decoder_size.rs`), and asking
/// costs the one load the flag check it replaces did. A streaming machine
/// does not ask: its kind is `Length`, as no streaming decoder over a
/// delimited framing can be built (`Machine::kind`), which took 18% off
/// `decode_whole/framing_stream/16` and `/256`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FramingKind {
    /// A head announces the body's length: the states `Idle`, `Head`,
    /// `Body`, `Tail`, `Discard`, `Resync` (`length.rs`).
    Length,
    /// Frames end at a delimiter: the states `Idle`, `Scan`, `Skip`
    /// (`delimited.rs`).
    Delimited(Delimiter),
}

/// The field I1's fast path reads ([`Framing::quick_field`]): `width`
/// bytes at offset `at`, big-endian or not, in a head of `head` bytes
/// when its value is below [`Framing::fast_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QuickField {
    pub(crate) at: usize,
    pub(crate) width: usize,
    pub(crate) big: bool,
    pub(crate) head: usize,
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
    fn max_head(&self) -> usize;
    /// The tail's length (the trailer and the frame end), the last bytes of
    /// every body; 0 for none.
    fn tail(&self) -> usize;
    /// Checks a whole frame's trailer (whole mode); a frame shorter than
    /// its trailer (delimited frames may be) fails.
    fn check_frame(&self, frame: &[u8]) -> Result<(), HeaderFault>;
    /// [`check_frame`](Self::check_frame) inline, for the fast path (I1):
    /// the same body, without the call. Everywhere else calls the other,
    /// so the body is not copied into every row.
    fn check_frame_fast(&self, frame: &[u8]) -> Result<(), HeaderFault> {
        self.check_frame(frame)
    }
    /// Starts the running checksum of a frame whose head is `head`
    /// (stream mode, with a trailer).
    fn sum_start(&self, head: &[u8]) -> Running;
    /// Adds payload bytes to the running checksum.
    fn sum(&self, running: Running, bytes: &[u8]) -> Running;
    /// Checks the tail (the trailer and the frame end) against the running
    /// checksum.
    fn check_sum(&self, running: Running, tail: &[u8]) -> Result<(), HeaderFault>;
    /// The bytes before the first frame, if any.
    fn preface(&self) -> Option<Preface>;
    /// The first frame's own layout, if any.
    fn first(&self) -> Option<&'static Layout>;
    /// Which family of states the framing runs.
    fn kind(&self) -> FramingKind;
    /// The most bytes a delimited frame's payload and trailer may take.
    fn max_body(&self) -> u64;
    /// One more than the largest raw value of the [quick
    /// field](Self::quick_field) that by itself makes a valid head of the
    /// field's `head` bytes whose frame (with its trailer) fits `limit`; 0
    /// if one value cannot decide.
    fn fast_limit(&self, limit: usize) -> u64;
    /// The raw value of the [quick field](Self::quick_field) at the start
    /// of `bytes`, if they hold it.
    fn raw_len(&self, bytes: &[u8]) -> Option<u64>;
    /// The field whose value alone judges a head (below
    /// [`fast_limit`](Self::fast_limit)): the fixed header's length field,
    /// or a varint length's first byte; `None` for a framing with none.
    fn quick_field(&self) -> Option<QuickField>;
    /// The policies for a bad head: discard oversized bodies, resynchronise.
    fn policies(&self) -> (Oversize, bool);
    /// The error for a fault of a head `head` bytes long (0 where no head
    /// was read: a trailer's, a delimited frame's).
    fn fault(&self, fault: HeaderFault, head: usize, limit: usize) -> DecodeErrorKind;
}

impl<L: Borrow<Layout>> Framing for L {
    #[inline(always)]
    fn head(&self, bytes: &[u8], limit: usize) -> Head {
        let l = self.borrow();
        let hlen = l.header_len;
        let Some(fixed) = bytes.get(..hlen) else {
            return Head::Need(hlen);
        };
        let (len, checked) = match l.suffix {
            Suffix::None => (hlen, l.check_header(fixed)),
            suffix => match suffix.read(fixed, &bytes[hlen..]) {
                Read::Value(raw, n) => (hlen + n, l.check_length(fixed, raw)),
                other => {
                    // The constants are judged as soon as the fixed header is
                    // whole, whatever the length after it.
                    if l.n_constants != 0 {
                        if let Err(fault) = l.check_constants(fixed) {
                            return Head::Bad(fault, hlen);
                        }
                    }
                    return match other {
                        Read::Need(n) => Head::Need(hlen + n),
                        // Where in the frame the ASCII length went wrong.
                        Read::Bad(HeaderFault::Ascii { fault, at }, n) => Head::Bad(
                            HeaderFault::Ascii {
                                fault,
                                at: hlen + at,
                            },
                            hlen + n,
                        ),
                        Read::Bad(fault, n) => Head::Bad(fault, hlen + n),
                        Read::Value(..) => unreachable!("matched above"),
                    };
                }
            },
        };
        match checked {
            Ok(payload) => {
                let body = payload.saturating_add(l.tail_len() as u64);
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
    fn max_head(&self) -> usize {
        self.borrow().max_head_len()
    }

    #[inline(always)]
    fn tail(&self) -> usize {
        self.borrow().tail_len()
    }

    #[inline(always)]
    fn check_frame(&self, frame: &[u8]) -> Result<(), HeaderFault> {
        let l = self.borrow();
        // Without a tail there is nothing to check: one load inline, where
        // the call cost a delimited frame 26 instructions (callgrind, COBS,
        // 16 B). The check itself stays out of line.
        if l.tail_len() == 0 {
            debug_assert!(l.trailer.is_none() && l.frame_end.is_none());
            return Ok(());
        }
        check_tail(l, frame)
    }

    #[inline(always)]
    fn check_frame_fast(&self, frame: &[u8]) -> Result<(), HeaderFault> {
        check_frame(self.borrow(), frame)
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

    fn check_sum(&self, running: Running, tail: &[u8]) -> Result<(), HeaderFault> {
        let l = self.borrow();
        if let Some(end) = l.frame_end {
            check_end(end.as_bytes(), &tail[tail.len() - end.len()..])?;
        }
        match l.trailer {
            Some(t) => check(
                t.checksum.finish(running),
                t.uint.read(tail, 0).unwrap_or(0) as u32,
            ),
            None => Ok(()),
        }
    }

    #[inline(always)]
    fn preface(&self) -> Option<Preface> {
        self.borrow().preface
    }

    #[inline(always)]
    fn first(&self) -> Option<&'static Layout> {
        self.borrow().first
    }

    #[inline(always)]
    fn kind(&self) -> FramingKind {
        match self.borrow().delimiter {
            Some(delimiter) => FramingKind::Delimited(delimiter),
            None => FramingKind::Length,
        }
    }

    fn max_body(&self) -> u64 {
        let l = self.borrow();
        l.max_payload.saturating_add(l.tail_len() as u64)
    }

    fn fast_limit(&self, limit: usize) -> u64 {
        let l = self.borrow();
        // The quick field's head and the largest value that alone makes it
        // a whole, valid head: a field of the fixed header, or a varint's
        // first byte, the whole varint when below 0x80.
        let (head, field_max) = match l.suffix {
            Suffix::None => {
                let (_, max) = crate::value::int_range(l.length.signed, l.length.width);
                (l.header_len, max.min(i128::from(u64::MAX)) as u64)
            }
            Suffix::Varint { .. } => (l.header_len + 1, 0x7f),
            _ => return 0,
        };
        let fixed = head + l.tail_len();
        if l.n_constants != 0 || l.adjust != 0 || l.delimiter.is_some() || limit < fixed {
            return 0;
        }
        let room = (limit - fixed) as u64;
        let max = field_max.min(l.max_payload).min(room);
        // `max` is below `u64::MAX`: `room` is at most `usize::MAX - 1`.
        max.saturating_add(1)
    }

    #[inline(always)]
    fn raw_len(&self, bytes: &[u8]) -> Option<u64> {
        let l = self.borrow();
        if let Suffix::Varint { .. } = l.suffix {
            return bytes.get(l.header_len).map(|&b| u64::from(b));
        }
        l.length.read(bytes.get(..l.header_len)?)
    }

    fn quick_field(&self) -> Option<QuickField> {
        let l = self.borrow();
        if l.delimiter.is_some() {
            return None;
        }
        match l.suffix {
            Suffix::None => Some(QuickField {
                at: l.length.offset,
                width: l.length.width,
                big: l.length.big,
                head: l.header_len,
            }),
            // A varint's first byte: the whole varint when its value is
            // below 0x80, which `fast_limit` never exceeds.
            Suffix::Varint { .. } => Some(QuickField {
                at: l.header_len,
                width: 1,
                big: true,
                head: l.header_len + 1,
            }),
            _ => None,
        }
    }

    fn policies(&self) -> (Oversize, bool) {
        let l = self.borrow();
        (l.oversize, l.resync)
    }

    fn fault(&self, fault: HeaderFault, head: usize, limit: usize) -> DecodeErrorKind {
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
            // The whole frame: its head (a varint's bytes too), body and tail.
            HeaderFault::TooLong(length) => DecodeErrorKind::FrameTooLarge {
                needed: length
                    .saturating_add(head.max(l.header_len) as u64)
                    .saturating_add(l.tail_len() as u64),
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
            HeaderFault::WebSocket { fault, at } => DecodeErrorKind::WebSocket {
                fault,
                at: at as u64,
            },
            HeaderFault::Resp { fault, at } => DecodeErrorKind::Resp {
                fault,
                at: at as u64,
            },
            HeaderFault::Ascii { fault, at } => DecodeErrorKind::AsciiLength {
                fault,
                at: at as u64,
            },
            HeaderFault::FrameEnd {
                at,
                found,
                expected,
            } => DecodeErrorKind::FrameEnd {
                index: at as u8,
                found,
                expected,
            },
        }
    }
}

/// The frame end's verdict: `got` against the layout's `end`.
fn check_end(end: &[u8], got: &[u8]) -> Result<(), HeaderFault> {
    match end.iter().zip(got).position(|(e, g)| e != g) {
        None => Ok(()),
        Some(at) => Err(HeaderFault::FrameEnd {
            at,
            found: got[at],
            expected: end[at],
        }),
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

/// `n` as `usize`, saturating (only ever compared with slice lengths).
pub(super) fn sat(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// [`check_frame`] out of line, for a layout with a tail.
#[inline(never)]
fn check_tail(l: &Layout, frame: &[u8]) -> Result<(), HeaderFault> {
    check_frame(l, frame)
}

/// [`Framing::check_frame`] for a [`Layout`]: the one body behind both of
/// its entry points.
#[inline(always)]
fn check_frame(l: &Layout, frame: &[u8]) -> Result<(), HeaderFault> {
    let frame = match l.frame_end {
        // A length frame is at least its head and tail long.
        Some(end) => {
            let (frame, got) = frame.split_at(frame.len() - end.len());
            check_end(end.as_bytes(), got)?;
            frame
        }
        None => frame,
    };
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
