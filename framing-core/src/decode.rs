//! How bytes become frames: one state machine, fed chunks of any size.
//!
//! Both decoders are the same machine. [`Decoder`] assembles a frame that
//! straddles chunks in its buffer and hands out whole frames; [`StreamDecoder`]
//! hands out the header, then payload pieces as they arrive, then an end
//! marker, and buffers nothing but a header split across chunks.
//!
//! # The machine
//!
//! Every call offers the machine a chunk (`input`; with `last`, the end of
//! the stream follows it) and returns at most one item with the number of
//! bytes it consumed ([`Fed`]). An item is a frame, a header, a payload
//! piece, an end marker or a recovery report ([`Recovery`]); `Err` only ever
//! means the stream is broken. The machine asks the framing one question,
//! "what do these head bytes say" (need more, a valid head announcing a body
//! of n bytes, or a fault); for a [`Layout`] the head is its fixed header
//! (with a varint length after it, if it has one) and the body its payload
//! and trailer. Other framings plug in there.
//!
//! ```text
//!              I1: a whole valid frame (whole mode)               B2, B3
//!              +----+                                             +-------+
//!              v    |           H2 (stream: header)               v       |
//!  new/reset -> Idle --- I3 ---> Head --------------------------> Body ---+
//!              ^ ^ ^ ^ \         ^  |                             ^ | | |
//!              | | | |  \        +--+ H1                          | | | |
//!              | | | |   `----------- I2 (stream) / I2' ----------' | | |
//!              | | | `--------- Lent <---- B1 (whole) --------------' | |
//!              | | `----------- B4 (stream: end marker) --------------' |
//!              | `------ T3 --- Tail <---- B5 (stream) -----------------'
//!              |                ^  |
//!              |                +--+ T2
//!              `--- X1, R1 --- Discard / Resync <-- a bad head (I4, H3) --> Failed
//! ```
//!
//! | state | input | consumes | next state | returns |
//! |---|---|---|---|---|
//! | `Idle` | empty | nothing | `Idle` | `None` (with `last`: the clean end) |
//! | `Idle` | I0: a valid head, or part of one, the frame not whole but within `hold` (whole mode, not `last`) | nothing | `Idle` | `None` with [`Fed::need`]: the adapter keeps the bytes and feeds them again with more |
//! | `Idle` | I1: a valid head, the whole frame in the input (whole mode) | the frame | `Idle` | frame, borrowed from the input |
//! | `Idle` | I2: a valid head (stream mode) | the head | `Body` | header, borrowed from the input |
//! | `Idle` | I2': a valid head, the frame not whole (whole mode) | all | `Body` | `None` (head and body bytes buffered) |
//! | `Idle` | I3: part of a head | all | `Head` | `None` (bytes buffered) |
//! | `Idle`, `Head` | I4, H3: a bad head | see [judging a bad head](#judging-a-bad-head) | | |
//! | `Head` | H1: more of the head, not all of it | all | `Head` | `None` |
//! | `Head` | H2: the rest of the head, valid | up to the head's end | `Body` | stream mode: header, lent from the buffer; whole mode: goes on |
//! | `Body` | B1: the rest of the body (whole mode) | up to the body's end | `Lent` | frame, lent from the buffer |
//! | `Body` | B2: part of the body (whole mode) | all | `Body` | `None` (bytes buffered) |
//! | `Body` | B3: body bytes, or none (stream mode) | up to the body's end | `Body` | a payload piece, borrowed from the input (`None` for empty input) |
//! | `Body` | B4: no body bytes left (stream mode) | nothing | `Idle` | end marker |
//! | `Body` | B5: no payload bytes left, a trailer follows (stream mode) | nothing | `Tail` | goes on |
//! | `Tail` | T2: part of the trailer (stream mode) | all | `Tail` | `None` (bytes buffered) |
//! | `Tail` | T3: the rest of a matching trailer (stream mode) | up to its end | `Idle` | end marker |
//! | `Idle`, `Body`, `Tail` | T1: a whole frame (or trailer) that does not match | see [a bad trailer](#a-bad-trailer) | | |
//! | `Lent` | anything | nothing | `Idle` | goes on (the buffer is cleared) |
//! | `Discard` | X1: the rest of the body | up to the body's end | `Idle` | goes on |
//! | `Discard` | X2: part of the body | all | `Discard` | `None` |
//! | `Resync` | R1: bytes up to an acceptable head | up to the head (a head begun in the buffer: its end) | `Idle` (`Head` if the head is in the buffer) | report: bytes skipped |
//! | `Resync` | R2: bytes with no acceptable head | all (kept if they may begin one) | `Resync` | `None` |
//! | `Failed` | anything | nothing | `Failed` | the same `Err` |
//!
//! At the end of the stream (`last`), a transition that would wait for more
//! bytes instead consumes all and moves to `Failed` with
//! [`Truncated`](DecodeErrorKind::Truncated) (in `Idle` with a partial head or
//! frame, `Head`, `Body`, `Discard`), except in `Resync`, which reports the
//! bytes left as skipped and moves to `Idle`. A buffer that refuses bytes
//! it was promised room for (a broken [`Buffer`]) moves to `Failed` with
//! [`FrameTooLarge`](DecodeErrorKind::FrameTooLarge), consuming nothing; a
//! decoder built (or reset) with a buffer smaller than a head starts in
//! `Failed` with [`BufferTooSmall`](DecodeErrorKind::BufferTooSmall).
//!
//! ## Judging a bad head
//! Under [`Oversize::Discard`], a head whose body is too long (above the
//! layout's maximum, or for whole frames above the buffer) is consumed and
//! reported ([`Recovery::Discarded`]); its body is then skipped unbuffered
//! (`Discard`). Else, with [`resync`](crate::LayoutBuilder::resync) on, its
//! first byte is skipped and `Resync` moves forward one byte at a time
//! until the bytes there hold an acceptable head (valid, or oversized under the discard
//! policy), then reports the bytes skipped ([`Recovery::Skipped`]). Else the
//! machine is `Failed` with the error, consuming nothing more. A head is
//! judged as soon as its bytes decide it: a varint length's bytes are asked
//! for one at a time, and a position whose head is still incomplete at the
//! end of the stream is skipped.
//!
//! ## Frames without a length
//! A delimited [`Layout`] ([`Layout::with_delimiter`]: COBS, SLIP, a byte
//! string such as `\n`) has no head: its frames end at their delimiter. Its
//! states are `Idle`, `Scan` (a frame begun; the buffer holds its bytes,
//! decoded) and `Skip` (skipping a frame to its delimiter), with `Lent` and
//! `Failed` as above; [`Feed::feed`] takes the rows nearly every call is
//! inline: D2 (bytes of a frame begun, with no delimiter, escape or COBS
//! code byte among them; for COBS, from `Idle` too, the input beginning
//! with the first block's code byte), what nearly every call in small
//! chunks is, and D1 (a frame whole in the input) and D1' for a byte
//! string, for SLIP (no escape among the bytes) and for COBS (from `Scan`:
//! the current block's end and the delimiter right after it). D7 is I0 for a byte string: an adapter that
//! can keep a line in its own buffer (`hold`) gets it lent from there once
//! whole, never copied into the decoder's; `Idle`'s search mark is the
//! one thing it remembers, so a long line read in small pieces is
//! searched once, and every row that consumes from `Idle` clears it.
//!
//! | state | input | consumes | next state | returns |
//! |---|---|---|---|---|
//! | `Idle` | D1: a frame and its byte-string delimiter, a SLIP frame with no escape (at least one byte) and its END (and an END right after it, an empty frame: D0 taken with it), or a COBS frame of one block (its data are its decoded bytes) and its delimiter, whole in the input | up to the delimiter's end | `Idle` | frame, borrowed from the input |
//! | `Idle`, `Scan` | D1': the rest of a frame and its delimiter (from `Scan` for SLIP: no escape before the END; from `Idle`: a COBS frame of several blocks, whole in the input) | up to the delimiter's end | `Lent` | frame, lent from the buffer (decoded) |
//! | `Idle`, `Scan` | D2: bytes of a frame, no delimiter | all | `Scan` | `None` (decoded into the buffer) |
//! | `Idle` | D0: a COBS or SLIP delimiter with no frame before it | it | `Idle` | goes on |
//! | `Idle` | D7: a byte-string frame begun, no delimiter whole in the input, within the maximum and shorter than `hold` (not `last`) | nothing | `Idle`, its search marked at the input's end (before a longer delimiter's possible start) | `None` with [`Fed::need`] one byte more than the input: the adapter keeps the bytes and feeds them again with more, searched from the mark |
//! | `Idle`, `Scan` | D3: a corrupt frame (a COBS block cut short, a bad SLIP escape) | up to the fault | `Skip` under resync (a report at its delimiter), else `Failed` | |
//! | `Idle`, `Scan` | D4: a frame longer than the maximum or the buffer | COBS, SLIP: up to the byte that makes it too long; a byte string: the input, or up to its delimiter | `Skip` (`Idle` or `Failed` at once if its delimiter was in the input) | at its delimiter: a report under [`Oversize::Discard`], else the error |
//! | `Skip` | D5: the delimiter | up to its end | `Idle` (`Failed` for an oversized frame under `Fail`) | report, or the error |
//! | `Skip` | D6: no delimiter | all | `Skip` | `None` |
//!
//! A RESP layout ([`Delimiter::Resp`](crate::Delimiter::Resp)) runs the
//! same rows with its own scan in place of a delimiter search: its frame
//! ends where the value does (D1, D1', D2; the 24-byte scan state rides in
//! `Scan`), and a malformed or oversized value is D3/D4 without resync,
//! so `Failed` at once (RESP layouts cannot resync or discard). A
//! WebSocket layout is a length framing: its extended length and masking
//! key are the length after the header, read by the head question like a
//! varint; it cannot resync, because a head found in `Resync`'s buffer must
//! end where the buffer does (asserted there), which a length told by the
//! first bytes does not promise.
//!
//! A frame's trailer is checked when it ends (T1). At the end of the
//! stream, `Scan` fails with [`Unterminated`](DecodeErrorKind::Unterminated)
//! (how many bytes were held), and `Skip` reports what it skipped under
//! resync, else fails the same way. A [`StreamDecoder`] over a delimited
//! layout cannot be built: [`StreamDecoder::try_new`] refuses it
//! ([`NotStreamable`](DecodeErrorKind::NotStreamable)) and
//! [`StreamDecoder::new`] panics.
//!
//! ## A bad trailer
//! A frame whose trailer does not hold the checksum of its bytes (checked
//! in I1 and B1 before the frame is returned; in stream mode against the
//! checksum run over the pieces, T3) is, with
//! [`resync`](crate::LayoutBuilder::resync) on, consumed whole and reported
//! ([`Recovery::Corrupt`], in place of the end marker in stream mode), and
//! the machine goes on in `Idle` after it; else the machine is `Failed` with
//! [`ChecksumMismatch`](DecodeErrorKind::ChecksumMismatch). Dropping the
//! frame whole, rather than resynchronising from its second byte, is what
//! both modes can do alike: a streaming decoder has already handed out the
//! payload and cannot look at it again.
//!
//! ## One loop, and shortcuts with no state of their own
//! The framing's kind, length or delimited, is one question to the framing
//! that `feed` and the general loop ask once at the top of every call (a
//! streaming decoder's is always length, so it never asks); each then runs
//! that family's states alone (the two tables above), whose handlers never
//! ask it again. Each state's transitions are one handler; the general
//! loop runs the handler of the current state until one returns.
//! [`Feed::feed`] first tries a few shortcuts, the transitions nearly all
//! traffic takes (I0, I1, I2, I2', I3, H1, B1, B2, B3, B4; D1, D1', D2 and D7
//! for the delimited family, in `decode/delimited.rs`), each in the
//! state the table says, with its guard beside it, inline in the caller;
//! each calls the row's body, one function that the state's handler in the
//! loop calls too (`decode/length.rs`), so the two cannot drift apart.
//! Anything else goes to the loop (I1 with a bad trailer, B1 and B4 with a
//! trailer, among them). The fuzz oracle (`fuzz/src/checks.rs`)
//! holds `feed` to the loop alone (`feed_general`) on every input and split,
//! with and without `hold`.
//!
//! An item found costs one call: what `feed` returns records where the
//! frame lies and how long its head is, so turning it into a [`Frame`]
//! ([`Feed::item`]) slices and reads no length again; and an adapter that
//! can keep a frame whole in its own buffer passes that size as `hold`,
//! so the decoder itself says when to read more (I0) instead of being asked
//! first.
//! I1's fast path needs one comparison: for a layout without constants or
//! adjust, a header is valid and its frame fits exactly when its length
//! value is below `fast_limit`, a constant derived from the layout and the
//! buffer when the decoder is built (checked against the full validation by
//! `debug_assert!`). For a varint length the value compared is the
//! varint's first byte, `fast_limit` at most 0x80: below it that byte is
//! the whole varint, and a longer one goes to the full validation. What that comparison reads (the field's offset, width
//! and byte order, the head's length; 8 bytes, so the decoder stays its
//! buffer and a few words) is copied into the machine when it is built, so
//! the field is one 8-byte load where the input has 8 bytes from it
//! (checked against the layout's own read by `debug_assert!`).
//! [`Decoder::decode`] takes this same I1 before calling `feed` (`take_i1`:
//! state `Idle` or `Lent`, the head judged by that comparison, the frame
//! whole, a trailer good, with the one guard the shortcut in `feed` uses),
//! lending the frame without building a [`Fed`](crate::adapter::Fed), and
//! for a delimited framing D1 the same way (`take_d1`: a line, a COBS
//! frame of one block or a RESP value, whole at the start of the input
//! and lent from it, under the guard and with the frame check of `feed`'s
//! D1, which for RESP is the loop's `resp` step (`feed`'s shortcut has no
//! RESP row); where a
//! one-byte delimiter is not in the input, or a COBS frame's first block
//! runs past its end, D2 through the shortcut's body instead, so the
//! input is not searched twice), and inside a frame (`Scan`, at any
//! input size) D2 and D1' (`take_scan`, the
//! one body of both rows that `feed`'s shortcut calls too: the input all
//! data of the frame, buffered; or the rest of the frame up to a one-byte
//! delimiter or a COBS block's end and the delimiter after it, the frame
//! then lent from the buffer); so
//! does the decoder's [`Feed::feed`](crate::adapter::Feed::feed), which
//! every adapter's [`Window::pull`](crate::adapter::Window::pull) calls,
//! building the `Fed` only; and so does [`Feed::take`](crate::adapter::Feed::take),
//! which the blocking readers and framing-std's codecs
//! ([`Window::take`](crate::adapter::Window::take)) try inline before
//! their read loop or turn, so a frame already read whole costs
//! no call out of line at all. Where a length framing has that comparison,
//! `decode` also takes B2 inline when I1 does not apply (`take_b2`: state
//! `Body`, the input shorter than the body left, all of it kept through
//! B2's body), the transition nearly every call takes when chunks are
//! smaller than frames; a buffer that refuses the bytes fails the machine,
//! and `feed` reports it. [`StreamDecoder::decode`] takes B3 the same way
//! (`take_b3`: a payload piece at the start of a non-empty input, lent). For a layout without that comparison (a
//! varint over one byte, an ASCII length, constants, an adjust) `take` judges the head
//! with the layout's full validation, out of line, the same guard as
//! `feed`'s I1 from `Idle`. A delimited framing's `take` is D1: for a
//! byte string's delimiter `take_d1_only` (a line whole at the start of
//! the input, lent from it, with `take_d1`'s guard), for SLIP `take_slip`
//! (a frame with no escape, whole, with the guard of `feed`'s SLIP D1),
//! for COBS `take_cobs` (a frame of one block, whole, lent after its code
//! byte, with `d1_at`'s guard), for RESP `take_resp` (a value whole,
//! lent, with `d1_at`'s guard, whose RESP arm `Decoder::decode`'s D1 asks
//! too); no D2, so a take that finds no frame changes nothing. Every whole
//! decoder takes ([`Feed::takes`](crate::adapter::Feed::takes) is `false`
//! for a streaming decoder alone), so the blocking reader keeps only the
//! take inline (BENCHMARKS.md). The COBS frame's start (1, past its code
//! byte, not the 0 of every other take) is made 0 by
//! [`Window::take_or_hold`](crate::adapter::Window::take_or_hold), which
//! returns where the frame's bytes begin: merged with the other takes'
//! 0 where the adapters make the frame, it cost every `!I` frame 5
//! instructions and every owned one 15.
//! [`Feed::take_or_hold`](crate::adapter::Feed::take_or_hold), which the
//! codecs try instead ([`Window::take_or_hold`](crate::adapter::Window::take_or_hold)),
//! takes I1 the same way and I0 too (`take_or_hold`: between frames, a
//! frame or head not yet whole and at most `hold` bytes, with `feed`'s
//! guards: nothing consumed, `Lent` cleared, the `need` `feed` would have
//! said), so a frame begun in a small read waits without a trip through
//! `feed`. Anything else, including a guard that fails,
//! is the machine's `feed` as above. Each state's invariant on the buffer is
//! checked by `debug_assert!` at the end of every call.
//!
//! ## Where things are
//! `decode/error.rs` the errors and reports; `decode/framing.rs` the seam
//! (what the machine asks of a framing, and the [`Layout`] impl);
//! `decode/state.rs` the states; `decode/machine.rs` the machine's fields,
//! its entry point and loop, and the helpers every handler shares;
//! `decode/length.rs` the length family (rows I, H, B, T, X, R) with the
//! shortcuts; `decode/delimited.rs` the delimited family (rows D) and
//! `decode/search.rs` its byte searches; `decode/decoder.rs` the two
//! facades. The adapter protocol ([`Feed`](crate::adapter::Feed) and
//! [`Window`](crate::adapter::Window)) is [`crate::adapter`]. The files
//! import one another as a tree, never in a cycle: `error` and `state` at
//! the bottom, then `framing`, `machine`, the two families, and the
//! facades on top; this file only declares them and re-exports the
//! public names.
//!
//! [`Fed`]: crate::adapter::Fed
//! [`Fed::need`]: crate::adapter::Fed::need
//! [`Feed::feed`]: crate::adapter::Feed::feed
//! [`Feed::item`]: crate::adapter::Feed::item
//! [`Layout`]: crate::Layout
//! [`Layout::with_delimiter`]: crate::Layout::with_delimiter
//! [`Buffer`]: crate::Buffer
//! [`Oversize::Discard`]: crate::Oversize::Discard
//! [`Frame`]: crate::Frame

mod decoder;
mod delimited;
pub(crate) mod error;
mod framing;
mod length;
mod machine;
mod search;
mod start;
mod state;

pub use decoder::{Decoded, Decoder, Event, StreamDecoder};
pub use error::{DecodeError, DecodeErrorKind, Recovery};
pub(crate) use search::find1;
