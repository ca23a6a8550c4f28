//! The machine's states: the length family, the delimited family, and the
//! states both share. See the transition table in [the module
//! docs](super).

use super::error::DecodeError;
use crate::trailer::Running;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Before the first frame: the buffer holds the preface's first bytes
    /// (or none).
    Preface,
    /// The next frame is the first, read with the first frame's own
    /// layout: the buffer holds its bytes so far, or (`lent`) the preface,
    /// lent out and cleared at the next call.
    First { lent: bool },
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
    // `Idle` and `Lent` come last among the variants without data: the
    // tag lives in `Failed`'s niche, and as its two highest values "between
    // frames" (`Machine::between_frames`, asked by every fast path) is one
    // comparison, `tag >= Idle`. Anywhere else among the variants it was
    // a niche decode and a masked test, 8 instructions a frame (a whole
    // 16-byte `!I` frame 50 -> 44 in all, callgrind); `#[repr(u8)]` gets
    // the one comparison too but costs the decoder 16 bytes.
    /// Between frames; the buffer is empty.
    Idle,
    /// Whole mode: the buffer holds the frame last returned, lent out until
    /// the next call (in either mode: a preface lent from the buffer).
    Lent,
    /// Broken: returns the error until reset.
    Failed(DecodeError),
}

/// Where the decoding of a delimited frame stands between bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Unstuff {
    /// COBS: bytes left in the current block.
    pub(super) left: u8,
    /// COBS: a zero follows the current block unless the frame ends.
    pub(super) zero: bool,
    /// SLIP: the last byte was ESC.
    pub(super) esc: bool,
    /// A byte-string delimiter: the frame's last bytes so far are its
    /// first `matched` bytes (not in the buffer: they are the delimiter's
    /// start, or data if what follows says so).
    pub(super) matched: u8,
    /// RESP: where the scan of the value stands.
    pub(super) resp: crate::resp::Scan,
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
