//! RESP, the Redis serialization protocol (RESP2 and RESP3), as a framing:
//! each top-level value is one frame, its bytes as on the wire
//! ([`Layout::resp`](crate::Layout::resp)).
//!
//! ```text
//!  *2\r\n $3\r\n GET\r\n $1\r\n k\r\n      one frame: an array of two bulk strings
//!  +OK\r\n                               one frame: a simple string
//!  |1\r\n +ttl\r\n :3\r\n $1\r\n v\r\n    one frame: an attribute, then the value it annotates
//! ```
//!
//! The decoder finds where a value ends with a few bytes of state that
//! carry across chunks: how many values are still owed, the
//! line or bulk body it is in, and the length being read. Bulk bodies are
//! skipped by their length, simple lines by a search for `\r`. What it
//! checks: every type byte is one of RESP2's or RESP3's, lengths are
//! decimal (`-1` only for RESP2's null bulk string and null array), every
//! line ends with `\r\n` and every bulk body is followed by one, no bulk
//! length or count goes past the frame's maximum, and aggregates nest at
//! most [`MAX_DEPTH`] deep. RESP3's streamed strings and aggregates
//! (`$?`, `*?`) and the inline commands a Redis server accepts from telnet
//! are not values here: they are errors.

use crate::decode::find1;

/// The deepest nesting of aggregates (arrays, maps, sets, pushes,
/// attributes) a RESP frame may have: a frame with deeper values is an
/// error ([`RespFault::TooDeep`]).
pub const MAX_DEPTH: usize = 32;

/// The most digits a RESP length takes (an `i64`).
const MAX_DIGITS: u8 = 19;

/// What is wrong with a RESP value
/// ([`DecodeErrorKind::Resp`](crate::DecodeErrorKind::Resp)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RespFault {
    /// `byte` where a value's type byte should be.
    Type {
        /// The byte found.
        byte: u8,
    },
    /// A length or count that is not decimal digits (or `-1` where a null
    /// is allowed): `byte` came instead.
    Length {
        /// The byte found.
        byte: u8,
    },
    /// A length or count of more than 19 digits.
    LengthOverflow,
    /// A RESP3 streamed string or aggregate (`$?`, `*?`): not supported.
    Streamed,
    /// A `\r` not followed by `\n`, or a bulk body not followed by `\r\n`:
    /// `byte` came instead.
    LineEnd {
        /// The byte found.
        byte: u8,
    },
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    TooDeep {
        /// The limit.
        max: u8,
    },
}

impl core::fmt::Display for RespFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            RespFault::Type { byte } => write!(f, "{byte:#04x} is not a RESP type byte"),
            RespFault::Length { byte } => {
                write!(f, "a length is not decimal digits ({byte:#04x} came)")
            }
            RespFault::LengthOverflow => write!(f, "a length has more than {MAX_DIGITS} digits"),
            RespFault::Streamed => f.write_str("a streamed string or aggregate (not supported)"),
            RespFault::LineEnd { byte } => {
                write!(f, "a line does not end with \\r\\n ({byte:#04x} came)")
            }
            RespFault::TooDeep { max } => write!(f, "aggregates nest deeper than {max}"),
        }
    }
}

/// The type of a RESP value, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RespType {
    /// `+`: a simple string.
    Simple,
    /// `-`: a simple error.
    Error,
    /// `:`: an integer.
    Integer,
    /// `$`: a bulk string (RESP2's null bulk string `$-1` too).
    Bulk,
    /// `*`: an array (RESP2's null array `*-1` too).
    Array,
    /// `_`: RESP3's null.
    Null,
    /// `,`: a double.
    Double,
    /// `#`: a boolean.
    Boolean,
    /// `(`: a big number.
    BigNumber,
    /// `!`: a bulk error.
    BulkError,
    /// `=`: a verbatim string.
    Verbatim,
    /// `%`: a map.
    Map,
    /// `~`: a set.
    Set,
    /// `>`: a push.
    Push,
    /// `|`: an attribute (annotating the value after it, in the same frame).
    Attribute,
}

impl RespType {
    /// The type whose first byte is `byte`.
    pub const fn from_byte(byte: u8) -> Option<RespType> {
        Some(match byte {
            b'+' => RespType::Simple,
            b'-' => RespType::Error,
            b':' => RespType::Integer,
            b'$' => RespType::Bulk,
            b'*' => RespType::Array,
            b'_' => RespType::Null,
            b',' => RespType::Double,
            b'#' => RespType::Boolean,
            b'(' => RespType::BigNumber,
            b'!' => RespType::BulkError,
            b'=' => RespType::Verbatim,
            b'%' => RespType::Map,
            b'~' => RespType::Set,
            b'>' => RespType::Push,
            b'|' => RespType::Attribute,
            _ => return None,
        })
    }

    /// The type of the RESP frame `frame` (its first byte).
    pub fn of(frame: &[u8]) -> Option<RespType> {
        RespType::from_byte(*frame.first()?)
    }

    /// Its name: `"simple"`, `"error"`, `"integer"`, `"bulk"`, `"array"`,
    /// `"null"`, `"double"`, `"boolean"`, `"big_number"`, `"bulk_error"`,
    /// `"verbatim"`, `"map"`, `"set"`, `"push"` or `"attribute"`.
    pub const fn name(self) -> &'static str {
        match self {
            RespType::Simple => "simple",
            RespType::Error => "error",
            RespType::Integer => "integer",
            RespType::Bulk => "bulk",
            RespType::Array => "array",
            RespType::Null => "null",
            RespType::Double => "double",
            RespType::Boolean => "boolean",
            RespType::BigNumber => "big_number",
            RespType::BulkError => "bulk_error",
            RespType::Verbatim => "verbatim",
            RespType::Map => "map",
            RespType::Set => "set",
            RespType::Push => "push",
            RespType::Attribute => "attribute",
        }
    }

    /// What follows the type byte.
    const fn shape(self) -> Shape {
        match self {
            RespType::Bulk | RespType::BulkError | RespType::Verbatim => Shape::Bulk,
            RespType::Array | RespType::Set | RespType::Push => Shape::Aggregate(1),
            RespType::Map => Shape::Aggregate(2),
            RespType::Attribute => Shape::Attribute,
            _ => Shape::Line,
        }
    }
}

/// What follows a type byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A line, then the value ends.
    Line,
    /// A length, `\r\n`, that many bytes, `\r\n`.
    Bulk,
    /// A count, `\r\n`, then count times this many values.
    Aggregate(u64),
    /// A count, `\r\n`, twice as many values, then the value annotated.
    Attribute,
}

/// Where the scan of a value stands, between bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Before a value's type byte.
    #[default]
    Type,
    /// In a simple line, looking for its `\r`.
    Line,
    /// In a length line: digits so far in `value`.
    Len,
    /// After a line's `\r`: its `\n`.
    Lf,
    /// In a bulk body: `value` bytes of it to come.
    Body,
    /// After a bulk body: its `\r`.
    BodyCr,
}

/// The scan of a RESP frame between chunks: 24 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Values still owed before the frame ends (the one being read
    /// included); 0 for a scan not begun.
    pending: u64,
    /// The length being read, or the bulk bytes still to come.
    value: u64,
    /// Aggregates begun in the frame: its depth is at most this.
    aggs: u32,
    phase: Phase,
    /// The type byte of the value being read.
    kind: u8,
    /// Digits of the length read so far; `u8::MAX` after a `-`.
    digits: u8,
    /// The length line began with `-`.
    neg: bool,
}

/// What a run of bytes did to the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// All of them were taken; the frame goes on.
    More,
    /// The frame ends after this many of them.
    End(usize),
    /// Malformed at this many bytes into them.
    Bad(RespFault, usize),
    /// A length announces more than `max` bytes in all: `bytes` (the frame
    /// so far and what the length adds), at this many bytes into them.
    TooLong(u64, usize),
}

impl Scan {
    /// A scan at the start of a frame.
    pub(crate) const fn new() -> Scan {
        Scan {
            pending: 1,
            value: 0,
            aggs: 0,
            phase: Phase::Type,
            kind: 0,
            digits: 0,
            neg: false,
        }
    }

    /// Whether the value has ended.
    pub(crate) fn ended(&self) -> bool {
        self.pending == 0
    }

    /// Aggregates begun in the frame (its depth is at most this).
    pub(crate) fn aggregates(&self) -> u32 {
        self.aggs
    }

    /// Scans `bytes`, the frame's bytes after the `seen` already scanned,
    /// for a frame of at most `max` bytes.
    pub(crate) fn scan(&mut self, bytes: &[u8], seen: u64, max: u64) -> Scanned {
        let mut i = 0;
        while i < bytes.len() {
            match self.phase {
                Phase::Type => {
                    let byte = bytes[i];
                    let Some(t) = RespType::from_byte(byte) else {
                        return Scanned::Bad(RespFault::Type { byte }, i);
                    };
                    self.kind = byte;
                    self.value = 0;
                    self.digits = 0;
                    self.neg = false;
                    self.phase = if t.shape() == Shape::Line {
                        Phase::Line
                    } else {
                        Phase::Len
                    };
                    i += 1;
                }
                Phase::Line => match find1(&bytes[i..], b'\r') {
                    Some(p) => {
                        i += p + 1;
                        self.phase = Phase::Lf;
                    }
                    None => i = bytes.len(),
                },
                Phase::Len => {
                    let byte = bytes[i];
                    match byte {
                        b'0'..=b'9' if self.digits < MAX_DIGITS => {
                            self.value = self.value * 10 + u64::from(byte - b'0');
                            self.digits += 1;
                        }
                        b'0'..=b'9' => return Scanned::Bad(RespFault::LengthOverflow, i),
                        b'-' if self.digits == 0 && !self.neg => self.neg = true,
                        b'?' if self.digits == 0 && !self.neg => {
                            return Scanned::Bad(RespFault::Streamed, i)
                        }
                        b'\r' if self.digits > 0 => {
                            // `-1` is RESP2's null bulk string or array,
                            // and nothing else.
                            let nullable = matches!(self.kind, b'$' | b'*');
                            if self.neg && !(nullable && self.value == 1 && self.digits == 1) {
                                return Scanned::Bad(RespFault::Length { byte: b'-' }, i);
                            }
                            self.phase = Phase::Lf;
                        }
                        _ => return Scanned::Bad(RespFault::Length { byte }, i),
                    }
                    // A length never announces more than the frame may hold
                    // (checked as the digits come, so none overflows).
                    let total = seen + i as u64 + self.value;
                    if !self.neg && total > max {
                        return Scanned::TooLong(total, i);
                    }
                    i += 1;
                }
                Phase::Lf => {
                    if bytes[i] != b'\n' {
                        return Scanned::Bad(RespFault::LineEnd { byte: bytes[i] }, i);
                    }
                    i += 1;
                    if self.line_ends() {
                        return Scanned::End(i);
                    }
                }
                Phase::Body => {
                    let run = (bytes.len() - i).min(self.value as usize);
                    self.value -= run as u64;
                    i += run;
                    if self.value == 0 {
                        self.phase = Phase::BodyCr;
                    }
                }
                Phase::BodyCr => {
                    if bytes[i] != b'\r' {
                        return Scanned::Bad(RespFault::LineEnd { byte: bytes[i] }, i);
                    }
                    self.phase = Phase::Lf;
                    self.kind = b'+';
                    i += 1;
                }
            }
        }
        Scanned::More
    }

    /// A line ended: what it did to the values owed. `true` if the frame
    /// ends.
    fn line_ends(&mut self) -> bool {
        self.phase = Phase::Type;
        let shape = match RespType::from_byte(self.kind) {
            Some(t) if !self.neg => t.shape(),
            // A null: a whole value.
            _ => Shape::Line,
        };
        match shape {
            Shape::Line => {}
            Shape::Bulk => {
                // The body (and its `\r\n`) comes before the value ends.
                self.phase = if self.value == 0 {
                    Phase::BodyCr
                } else {
                    Phase::Body
                };
                return false;
            }
            Shape::Aggregate(per) => {
                self.aggs = self.aggs.saturating_add(1);
                // `value` is at most the frame's maximum (checked as it
                // was read), so these do not overflow.
                self.pending += self.value * per;
            }
            Shape::Attribute => {
                self.aggs = self.aggs.saturating_add(1);
                // The attribute's pairs, and the value it annotates still
                // owed.
                self.pending += self.value * 2 + 1;
            }
        }
        self.pending -= 1;
        self.pending == 0
    }
}

/// Whether `bytes` is exactly one RESP value (what a RESP layout encodes).
pub(crate) fn check_value(bytes: &[u8]) -> Result<(), crate::EncodeError> {
    let not = |at, fault| crate::EncodeError::NotOneRespValue { at, fault };
    let mut scan = Scan::new();
    match scan.scan(bytes, 0, u64::MAX) {
        Scanned::End(n) if n == bytes.len() => {
            // The depth is at most the aggregates seen.
            if scan.aggs as usize > MAX_DEPTH {
                if let Some((fault, at)) = too_deep(bytes) {
                    return Err(not(at, Some(fault)));
                }
            }
            Ok(())
        }
        Scanned::End(n) => Err(not(n, None)),
        Scanned::More | Scanned::TooLong(..) => Err(not(bytes.len(), None)),
        Scanned::Bad(fault, at) => Err(not(at, Some(fault))),
    }
}

/// The depth of the RESP frame `frame` (whole and well formed, as a
/// [`Scan`] found it) if it is more than [`MAX_DEPTH`]: the error and the
/// offset of the aggregate too deep.
pub(crate) fn too_deep(frame: &[u8]) -> Option<(RespFault, usize)> {
    // Values still owed at each level; `owed[0]` is the top level's one.
    let mut owed = [0u64; MAX_DEPTH + 1];
    owed[0] = 1;
    let mut depth = 0;
    let mut i = 0;
    while i < frame.len() {
        let at = i;
        let kind = frame[i];
        let line_end = i + find1(&frame[i..], b'\r')?;
        let line = &frame[i + 1..line_end];
        i = line_end + 2;
        let null = line.first() == Some(&b'-');
        // A length's digits (the frame is well formed: no overflow; the
        // saturating arithmetic only keeps a malformed one from panicking).
        let n = || {
            line.iter().fold(0u64, |v, &d| {
                v.saturating_mul(10)
                    .saturating_add(u64::from(d.wrapping_sub(b'0')))
            })
        };
        let children = match RespType::from_byte(kind)?.shape() {
            Shape::Bulk if !null => {
                i = i.saturating_add(usize::try_from(n()).ok()?.saturating_add(2));
                0
            }
            Shape::Aggregate(per) if !null => n().saturating_mul(per),
            Shape::Attribute => n().saturating_mul(2),
            _ => 0,
        };
        // This value is paid, unless it is an attribute (the value it
        // annotates is still owed at this level).
        if kind != b'|' {
            owed[depth] = owed[depth].saturating_sub(1);
        }
        if children > 0 {
            if depth == MAX_DEPTH {
                return Some((
                    RespFault::TooDeep {
                        max: MAX_DEPTH as u8,
                    },
                    at,
                ));
            }
            depth += 1;
            owed[depth] = children;
        }
        while depth > 0 && owed[depth] == 0 {
            depth -= 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(frame: &[u8]) -> Scanned {
        Scan::new().scan(frame, 0, 1 << 20)
    }

    #[test]
    fn values_end_where_they_end() {
        for v in [
            &b"+OK\r\n"[..],
            b"-ERR x\r\n",
            b":-12\r\n",
            b"$5\r\nhe\r\no\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"*0\r\n",
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
            b"*2\r\n*1\r\n:1\r\n%1\r\n+a\r\n_\r\n",
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
            b">2\r\n+message\r\n=7\r\ntxt:abc\r\n",
            b"~1\r\n#t\r\n",
            b",3.5\r\n",
            b"(12345678901234567890\r\n",
            b"!3\r\nERR\r\n",
        ] {
            assert_eq!(
                whole(v),
                Scanned::End(v.len()),
                "{:?}",
                core::str::from_utf8(v)
            );
            // Byte by byte, the same end.
            let mut s = Scan::new();
            let mut end = None;
            for (k, b) in v.iter().enumerate() {
                match s.scan(core::slice::from_ref(b), k as u64, 1 << 20) {
                    Scanned::More => {}
                    Scanned::End(1) => end = Some(k + 1),
                    other => panic!("{other:?} at {k}"),
                }
            }
            assert_eq!(end, Some(v.len()));
            assert_eq!(too_deep(v), None);
        }
        assert_eq!(whole(b"+OK\r\n+next"), Scanned::End(5));
        assert_eq!(whole(b"*2\r\n+a\r\n"), Scanned::More);
    }

    #[test]
    fn malformed_values_are_faults_at_their_byte() {
        let bad = |v: &[u8], fault, at| assert_eq!(whole(v), Scanned::Bad(fault, at));
        bad(b"hello\r\n", RespFault::Type { byte: b'h' }, 0);
        bad(b"$x\r\n", RespFault::Length { byte: b'x' }, 1);
        bad(b"$\r\n", RespFault::Length { byte: b'\r' }, 1);
        bad(b"$-2\r\n", RespFault::Length { byte: b'-' }, 3);
        bad(b"%-1\r\n", RespFault::Length { byte: b'-' }, 3);
        bad(b"$?\r\n", RespFault::Streamed, 1);
        bad(b"+OK\rx", RespFault::LineEnd { byte: b'x' }, 4);
        bad(b"$2\r\nabc\r\n", RespFault::LineEnd { byte: b'c' }, 6);
        assert_eq!(
            Scan::new().scan(b"$12345678901234567890\r\n", 0, u64::MAX),
            Scanned::Bad(RespFault::LengthOverflow, 20)
        );
        assert_eq!(
            Scan::new().scan(b"$100\r\n", 0, 50),
            Scanned::TooLong(103, 3)
        );
        assert_eq!(
            Scan::new().scan(b"*99999999\r\n", 0, 1000),
            Scanned::TooLong(1002, 3)
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut deep = [0u8; 4 * (MAX_DEPTH + 1) + 4];
        for k in 0..=MAX_DEPTH {
            deep[4 * k..4 * k + 4].copy_from_slice(b"*1\r\n");
        }
        let n = 4 * (MAX_DEPTH + 1);
        deep[n..].copy_from_slice(b":1\r\n");
        assert_eq!(whole(&deep), Scanned::End(deep.len()));
        assert_eq!(
            too_deep(&deep),
            Some((
                RespFault::TooDeep {
                    max: MAX_DEPTH as u8
                },
                n - 4
            ))
        );
        // MAX_DEPTH levels are fine, siblings do not add depth.
        assert_eq!(too_deep(&deep[4..]), None);
        assert_eq!(
            too_deep(b"*3\r\n*1\r\n:1\r\n*1\r\n:2\r\n*1\r\n:3\r\n"),
            None
        );
    }
}
