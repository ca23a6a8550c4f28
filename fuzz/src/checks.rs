//! The properties the fuzz targets assert, shared with the replay test
//! (`framing-core/tests/fuzz_corpus.rs` includes this file with `#[path]`).
//!
//! Every check takes the raw fuzz input and reads it by hand with [`Input`],
//! so a corpus file means the same thing to the fuzzer and to `cargo test`,
//! and this file needs nothing but `framing-core` and `std`:
//!
//! ```text
//!  split_equivalence: | layout spec | buffer | n | n chunk sizes | stream bytes ...  |
//!  roundtrip:         | layout spec | buffer | frames: | len | payload | values |... |
//!  format_parse:      | the format string (lossy UTF-8) ......................... |
//! ```
//!
//! (`embedded_checks.rs` and `std_checks.rs` read the same layout spec and
//! buffer, then their own fields.)
//!
//! A check returns `true` when the input exercised its property (a layout
//! could be built), `false` when it was skipped; it panics when the property
//! does not hold.

use framing_core::adapter::{Feed, Found};
use framing_core::{
    Buffer, ByteOrder, Checksum, Covers, DecodeError, DecodeErrorKind, Decoded, Decoder, Delimiter,
    EncodeError, Event, Format, Frame, Kind, Layout, Oversize, Recovery, Separator, SliceBuffer,
    StreamDecoder, Value,
};

/// A cursor over the fuzz input. Reading past the end gives zeros and empty
/// slices, so every input means something.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte, or 0.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `n` bytes, or fewer at the end.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        taken
    }

    /// The next `N` bytes as an array, zero padded at the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let taken = self.take(N);
        out[..taken.len()].copy_from_slice(taken);
        out
    }

    /// A big-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }

    /// Whether no bytes are left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Format prefixes, chosen by one byte.
const PREFIXES: [&str; 6] = ["", "@", "=", "<", ">", "!"];
/// Format codes, chosen by one byte.
const CODES: &[u8] = b"xcbB?hHiIlLqQnNefdspP";
/// The most format items a layout spec writes.
const MAX_TOKENS: u8 = 6;
/// The whole-frame decoder's buffer when it must never be the limit.
pub const BIG_BUFFER: usize = 4096;

/// A header value that owns its bytes.
#[derive(Clone, Debug)]
pub enum Owned {
    /// An integer.
    Int(i128),
    /// A bool.
    Bool(bool),
    /// A float.
    Float(f64),
    /// A byte string.
    Bytes(Vec<u8>),
}

impl Owned {
    fn from_value(v: Value<'_>) -> Self {
        match v {
            Value::Int(x) => Owned::Int(x),
            Value::Bool(x) => Owned::Bool(x),
            Value::Float(x) => Owned::Float(x),
            Value::Bytes(x) => Owned::Bytes(x.to_vec()),
            other => panic!("a value the checks do not model: {other:?}"),
        }
    }

    fn as_value(&self) -> Value<'_> {
        match self {
            Owned::Int(x) => Value::Int(*x),
            Owned::Bool(x) => Value::Bool(*x),
            Owned::Float(x) => Value::Float(*x),
            Owned::Bytes(x) => Value::Bytes(x),
        }
    }
}

/// Value equality with every NaN equal to every NaN.
fn same_value(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || x == y || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

/// A layout described by fuzz bytes:
///
/// ```text
///  prefix | tokens | (code, count)* | kind | length | adjust (+ 1 or 8 bytes)
///  | n constants | header template | constant indices | max | policies
/// ```
///
/// `kind` picks where the length is (an integer field, an `Ns` field of 1
/// to 8 bytes, or a varint after the header; a format with neither field
/// takes a varint) and the trailer (none, or a checksum, what it covers and
/// its byte order). A varint `kind` with a `length` byte of 128 or more is
/// a delimited layout instead (COBS, SLIP, `\n`, `\r\n`, `==`).
#[derive(Clone, Debug)]
pub struct Spec<'a> {
    /// The format string.
    pub format: String,
    /// Index of the length value; `None`: a varint after the header.
    pub length_field: Option<usize>,
    /// The trailer: checksum, coverage, byte order if not the format's.
    pub trailer: Option<(Checksum, Covers, Option<ByteOrder>)>,
    /// Frames end at this delimiter instead of carrying a length.
    pub delimiter: Option<Delimiter>,
    /// The length adjust.
    pub adjust: i64,
    /// Constants, with values read from a header template in the input.
    pub constants: Vec<(usize, Value<'a>)>,
    /// The maximum payload.
    pub max_payload: u64,
    /// Discard oversized payloads.
    pub discard: bool,
    /// Resynchronise after a bad header.
    pub resync: bool,
    /// The layout features of real protocols, drawn by `split_equivalence`
    /// alone (0 elsewhere): bits 0-1 a preface (fixed, or ending at a
    /// zero byte), bits 2-3 frame-end bytes, bit 4 an ASCII length in
    /// place of the varint, bit 5 a 2-byte varint limit, bit 6 a first
    /// frame with its own layout, bit 7 WebSocket frames in place of the
    /// varint.
    pub extras: u8,
}

/// The first frame's layout `Spec::extras` draws: a one-byte length.
static FIRST: Layout = Layout::builder("B").build_or_panic();

impl<'a> Spec<'a> {
    /// Reads a spec; `None` if the bytes describe no layout with an integer.
    pub fn parse(input: &mut Input<'a>) -> Option<Self> {
        let mut format = String::from(PREFIXES[usize::from(input.byte()) % PREFIXES.len()]);
        for _ in 0..input.byte() % (MAX_TOKENS + 1) {
            let code = CODES[usize::from(input.byte()) % CODES.len()];
            let count = input.byte();
            if count >= 128 {
                // Strings and padding may be long; numeric runs stay short.
                let max = if matches!(code, b's' | b'p' | b'x') {
                    48
                } else {
                    4
                };
                format.push_str(&((count - 128) % max).to_string());
            }
            format.push(char::from(code));
        }
        let parsed = Format::parse(&format).ok()?;
        let kind = input.byte();
        let integers: Vec<usize> = parsed
            .fields()
            .filter(|f| match kind % 4 {
                2 => f.kind == Kind::Bytes && (1..=8).contains(&f.size),
                3 => false,
                _ => f.kind.is_integer(),
            })
            .map(|f| f.index)
            .collect();
        let pick = usize::from(input.byte());
        let length_field = (!integers.is_empty()).then(|| integers[pick % integers.len()]);
        let delimiter = (length_field.is_none() && pick >= 128).then(|| match pick % 6 {
            5 => Delimiter::Resp,
            0 => Delimiter::Cobs,
            1 => Delimiter::Slip,
            2 => Delimiter::Bytes(Separator::new(b"\n").expect("a separator")),
            3 => Delimiter::Bytes(Separator::new(b"\r\n").expect("a separator")),
            _ => Delimiter::Bytes(Separator::new(b"==").expect("a separator")),
        });
        let trailer = match (kind >> 2) % 8 {
            n @ 1..=5 => Some((
                Checksum::ALL[usize::from(n) - 1],
                if kind & 0x20 != 0 {
                    Covers::Payload
                } else {
                    Covers::Frame
                },
                match kind >> 6 {
                    1 => Some(ByteOrder::Big),
                    2 => Some(ByteOrder::Little),
                    _ => None,
                },
            )),
            _ => None,
        };
        let hlen = parsed.size() as i64;
        let adjust = match input.byte() % 4 {
            0 => 0,
            1 => -hlen,
            2 => i64::from(input.byte() as i8),
            _ => i64::from_be_bytes(input.array()),
        };
        let n_constants = input.byte() % 4;
        let mut constants: Vec<(usize, Value<'a>)> = Vec::new();
        if n_constants > 0 {
            // Constant values are what the template header holds, so they
            // always fit their field.
            let template = input.take(parsed.size());
            for _ in 0..n_constants {
                let index = usize::from(input.byte()) % parsed.value_count().max(1);
                if Some(index) == length_field || constants.iter().any(|&(i, _)| i == index) {
                    continue;
                }
                if let Some(v) = parsed.value(template, index) {
                    constants.push((index, v));
                }
            }
        }
        let max_payload = match input.byte() % 4 {
            0 => framing_core::DEFAULT_MAX_PAYLOAD,
            1 => u64::MAX,
            2 => u64::from(input.byte()),
            _ => u64::from(input.u16()),
        };
        let policies = input.byte();
        Some(Spec {
            format,
            length_field,
            trailer,
            delimiter,
            adjust,
            resync: policies & 2 != 0 && (!constants.is_empty() || delimiter.is_some()),
            constants,
            max_payload,
            discard: policies & 1 != 0,
            extras: 0,
        })
    }

    /// The layout, with `max_payload` in place of the spec's; `None` if the
    /// builder refuses it.
    pub fn build(&self, max_payload: u64) -> Option<Layout> {
        let mut b = Layout::builder(&self.format);
        b = match (self.length_field, self.delimiter) {
            (_, Some(delimiter)) => Layout::with_delimiter(delimiter),
            (Some(index), None) => b.length_field(index),
            (None, None) if self.extras & 0x10 != 0 => {
                b.ascii_length(framing_core::Radix::Decimal, b":")
            }
            (None, None) if self.extras & 0x20 != 0 => b.varint_max_bytes(2),
            // WebSocket frames (its own `!BB` header: the format's
            // constants, if any, make the spec one the builder refuses).
            (None, None) if self.extras & 0x80 != 0 => Layout::websocket(),
            (None, None) => b.varint_length(),
        };
        b = match self.extras & 3 {
            1 => b.preface(b"\x01\x02"),
            2 => b.preface_until(b"\x00", 24),
            _ => b,
        };
        if self.delimiter.is_none() {
            b = match (self.extras >> 2) & 3 {
                1 => b.frame_end(&[0xCE]),
                2 => b.frame_end(b"\x00\x00"),
                _ => b,
            };
        }
        if self.extras & 0x40 != 0 {
            b = b.first_frame(&FIRST);
        }
        // A RESP layout takes no trailer, resync or discard policy.
        let resp = self.delimiter == Some(Delimiter::Resp);
        if let (Some((checksum, covers, order)), false) = (self.trailer, resp) {
            b = b.trailer(checksum).trailer_covers(covers);
            if let Some(order) = order {
                b = b.trailer_byte_order(order);
            }
        }
        let mut b = b
            .length_adjust(if self.delimiter.is_some() {
                0
            } else {
                self.adjust
            })
            .max_payload(max_payload)
            .on_oversize(if self.discard && !resp {
                Oversize::Discard
            } else {
                Oversize::Fail
            })
            .resync(self.resync && !resp);
        if self.delimiter.is_none() {
            for &(index, value) in &self.constants {
                b = b.constant(index, value);
            }
        }
        b.build().ok()
    }
}

/// Reads the whole-frame decoder's buffer capacity for `layout`: often
/// smaller than a frame (so `FrameTooLarge` happens), sometimes smaller than
/// a header (so `BufferTooSmall` does).
pub fn capacity(input: &mut Input<'_>, layout: &Layout) -> usize {
    let sel = input.byte();
    let extra = usize::from(input.byte());
    match sel % 4 {
        0 => BIG_BUFFER,
        1 => layout.header_len() + extra,
        2 => extra,
        _ => 64,
    }
}

/// What a decoder produced, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    /// A frame: header bytes and payload bytes.
    Frame {
        /// The header's bytes.
        header: Vec<u8>,
        /// The payload.
        payload: Vec<u8>,
    },
    /// A recovery report (bytes skipped, a frame discarded).
    Recovered(Recovery),
    /// The preface's bytes.
    Preface(Vec<u8>),
    /// The error that broke the stream (always the last output).
    Err(DecodeError),
}

/// Asserts that a decoded frame is one the layout allows: a head of the
/// right size (the fixed header and the varint, if any) whose length gives
/// the payload's, and whose constants match.
pub fn assert_valid_frame(layout: &Layout, header: &[u8], payload: &[u8]) {
    let h = framing_core::Header::new_checked(header, layout).expect("a whole header");
    assert_eq!(h.as_bytes().len(), header.len(), "head length");
    if let Some(delimiter) = layout.delimiter() {
        assert!(header.is_empty(), "a delimited frame has no header");
        assert!(
            payload.len() as u64 <= layout.max_payload(),
            "payload above max"
        );
        if delimiter == framing_core::Delimiter::Resp {
            let mut out = vec![0u8; payload.len()];
            assert_eq!(
                layout.encode(payload, &mut out),
                Ok(payload.len()),
                "a RESP frame is one RESP value"
            );
        }
        if let framing_core::Delimiter::Bytes(sep) = delimiter {
            let sep = sep.as_bytes();
            assert!(
                !payload.windows(sep.len()).any(|w| w == sep),
                "a delimiter inside a frame"
            );
        }
        return;
    }
    assert_eq!(
        h.length_value() + i128::from(layout.length_adjust()),
        payload.len() as i128,
        "the length field gives the payload's length"
    );
    assert!(
        payload.len() as u64 <= layout.max_payload(),
        "payload above max"
    );
    for i in 0..layout.format().value_count() {
        if let Some(c) = layout.constant(i) {
            let got = h.value(i).expect("a value per field");
            assert!(same_value(&got, &c), "constant {i}: {got:?} != {c:?}");
        }
    }
}

/// Collects what a whole-frame decoder returns, checking each frame.
pub fn out_of(layout: &Layout, item: Decoded<Frame<'_>>) -> Out {
    match item {
        Decoded::Frame(f) => {
            // The first frame may be read with its own layout.
            let read_with = match layout.first_frame() {
                Some(first) if core::ptr::eq(f.header().layout(), first) => first,
                _ => layout,
            };
            assert_valid_frame(read_with, f.header().as_bytes(), f.payload());
            // The trailer returned is the one the encoder writes.
            let mut trailer = [0u8; 16];
            let n = read_with
                .encode_trailer(f.header().as_bytes(), f.payload(), &mut trailer)
                .expect("room for a trailer");
            let n = n - (read_with.tail_len() - read_with.trailer_len());
            assert_eq!(f.trailer(), &trailer[..n], "a checked trailer");
            Out::Frame {
                header: f.header().as_bytes().to_vec(),
                payload: f.payload().to_vec(),
            }
        }
        Decoded::Preface(p) => {
            assert!(p.header().as_bytes().is_empty(), "a preface has no header");
            Out::Preface(p.payload().to_vec())
        }
        Decoded::Recovered(r) => Out::Recovered(r),
        other => panic!("an item the checks do not model: {other:?}"),
    }
}

/// Feeds `chunks` to a whole-frame decoder with a buffer of `cap` bytes until
/// an error, then finishes.
pub fn run_whole(layout: Layout, cap: usize, chunks: &[&[u8]]) -> Vec<Out> {
    run_whole_with(layout, cap, chunks, false)
}

/// As [`run_whole`]; with `eof`, the last chunk is fed with `last` set (the
/// feed primitive declares the end by itself), instead of `finish`.
pub fn run_whole_with(layout: Layout, cap: usize, chunks: &[&[u8]], eof: bool) -> Vec<Out> {
    let mut storage = vec![0u8; cap];
    run_whole_in(layout, SliceBuffer::new(&mut storage), chunks, eof)
}

/// As [`run_whole_with`], assembling in `buf`, whatever buffer type it is.
pub fn run_whole_in<B: Buffer>(layout: Layout, buf: B, chunks: &[&[u8]], eof: bool) -> Vec<Out> {
    let mut d = Decoder::new(&layout, buf);
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = eof && i + 1 == chunks.len();
        let mut chunk = *chunk;
        loop {
            // Each frame or report consumes at least one byte (the end may
            // add one): more outputs than that means a loop.
            assert!(out.len() <= total + 2, "no progress: {out:?}");
            let result = if last {
                let fed = d.feed(chunk, true, 0);
                let origin = chunk;
                chunk = &chunk[fed.consumed..];
                match fed.result {
                    Ok(Some(found)) => Ok(Some(out_of(&layout, d.item(origin, found)))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                }
            } else {
                d.decode(&mut chunk)
                    .map(|item| item.map(|item| out_of(&layout, item)))
            };
            match result {
                Ok(Some(o)) => out.push(o),
                Ok(None) => break,
                Err(e) => {
                    out.push(Out::Err(e));
                    assert_stays_failed(&mut d, e, chunk);
                    return out;
                }
            }
        }
        assert!(chunk.is_empty(), "Ok(None) left {} bytes", chunk.len());
    }
    assert_eq!(d.offset(), total as u64, "position after all input");
    if eof {
        assert_eq!(d.finish(), Ok(None), "finish after the last feed");
        return out;
    }
    match d.finish() {
        Ok(None) => {}
        Ok(Some(r)) => out.push(Out::Recovered(r)),
        Err(e) => {
            out.push(Out::Err(e));
            assert_stays_failed(&mut d, e, &[]);
        }
    }
    out
}

/// After an error, `decode` and `finish` return it again.
fn assert_stays_failed<B: Buffer>(d: &mut Decoder<&Layout, B>, e: DecodeError, mut rest: &[u8]) {
    assert_eq!(d.failure(), Some(e));
    let again = d.decode(&mut rest).map(|f| f.is_some());
    assert_eq!(again, Err(e), "a failed decoder returns its error");
    assert_eq!(
        d.finish(),
        Err(e),
        "a failed decoder finishes with its error"
    );
}

/// Joins a streaming decoder's events into the outputs of a whole-frame one.
#[derive(Default)]
pub struct Joiner {
    current: Option<(Vec<u8>, Vec<u8>)>,
}

impl Joiner {
    /// Takes one event; returns an output once a frame is complete.
    pub fn event(&mut self, layout: &Layout, event: Event<'_>) -> Option<Out> {
        match event {
            Event::Header(h) => {
                assert!(self.current.is_none(), "header inside a frame");
                self.current = Some((h.as_bytes().to_vec(), Vec::new()));
                None
            }
            Event::Payload(p) => {
                assert!(!p.is_empty(), "empty payload piece");
                let frame = self.current.as_mut().expect("piece outside a frame");
                frame.1.extend_from_slice(p);
                None
            }
            Event::End => {
                let (header, payload) = self.current.take().expect("end outside a frame");
                assert_valid_frame(layout, &header, &payload);
                Some(Out::Frame { header, payload })
            }
            // A frame whose trailer did not match is reported in place of
            // its end: the pieces given are dropped.
            Event::Recovered(r @ (Recovery::Corrupt { .. } | Recovery::BadFrameEnd { .. })) => {
                assert!(self.current.take().is_some(), "corrupt outside a frame");
                Some(Out::Recovered(r))
            }
            Event::Recovered(r) => {
                assert!(self.current.is_none(), "report inside a frame");
                Some(Out::Recovered(r))
            }
            Event::Preface(p) => {
                assert!(self.current.is_none(), "preface inside a frame");
                Some(Out::Preface(p.to_vec()))
            }
            other => panic!("an event the checks do not model: {other:?}"),
        }
    }
}

/// The same through the streaming decoder, with a buffer of exactly one
/// header, pieces joined into frames.
pub fn run_stream(layout: Layout, chunks: &[&[u8]]) -> Vec<Out> {
    let mut storage = vec![0u8; layout.min_buffer_len()];
    let mut d = StreamDecoder::new(&layout, SliceBuffer::new(&mut storage));
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut out = Vec::new();
    let mut joiner = Joiner::default();
    let mut events = 0usize;
    for chunk in chunks {
        let mut chunk = *chunk;
        loop {
            events += 1;
            assert!(events <= 3 * total + 3 * chunks.len() + 3, "no progress");
            match d.decode(&mut chunk) {
                Ok(Some(event)) => out.extend(joiner.event(&layout, event)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Out::Err(e));
                    assert_stream_stays_failed(&mut d, e, chunk);
                    return out;
                }
            }
        }
        assert!(chunk.is_empty(), "Ok(None) left {} bytes", chunk.len());
    }
    assert_eq!(d.offset(), total as u64, "position after all input");
    match d.finish() {
        Ok(None) => {}
        Ok(Some(r)) => out.push(Out::Recovered(r)),
        Err(e) => {
            out.push(Out::Err(e));
            assert_stream_stays_failed(&mut d, e, &[]);
        }
    }
    out
}

/// After an error, the streaming decoder's `decode` and `finish` return it
/// again.
fn assert_stream_stays_failed<B: Buffer>(
    d: &mut StreamDecoder<&Layout, B>,
    e: DecodeError,
    mut rest: &[u8],
) {
    assert_eq!(d.failure(), Some(e));
    let again = d.decode(&mut rest).map(|f| f.is_some());
    assert_eq!(again, Err(e), "a failed decoder returns its error");
    assert_eq!(
        d.finish(),
        Err(e),
        "a failed decoder finishes with its error"
    );
}

/// Both decoders fed through the general loop alone (`feed_general`, no
/// shortcuts), frames and joined events as [`run_whole`] and [`run_stream`]
/// give them: the shortcuts must change nothing.
pub fn run_general(layout: Layout, cap: usize, chunks: &[&[u8]], stream: bool) -> Vec<Out> {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut out = Vec::new();
    let mut joiner = Joiner::default();
    let mut storage = vec![0u8; if stream { layout.min_buffer_len() } else { cap }];
    let buf = SliceBuffer::new(&mut storage);
    let (mut whole, mut streaming) = if stream {
        (None, Some(StreamDecoder::new(&layout, buf)))
    } else {
        (Some(Decoder::new(&layout, buf)), None)
    };
    let mut calls = 0usize;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let mut chunk = *chunk;
        loop {
            calls += 1;
            assert!(calls <= 3 * total + 3 * chunks.len() + 6, "no progress");
            let fed = match (&mut whole, &mut streaming) {
                (Some(d), _) => d.feed_general(chunk, last, 0),
                (_, Some(d)) => d.feed_general(chunk, last, 0),
                _ => unreachable!(),
            };
            let origin = chunk;
            chunk = &chunk[fed.consumed..];
            match fed.result {
                Ok(Some(found)) => match (&whole, &streaming) {
                    (Some(d), _) => out.push(out_of(&layout, d.item(origin, found))),
                    (_, Some(d)) => out.extend(joiner.event(&layout, d.item(origin, found))),
                    _ => unreachable!(),
                },
                Ok(None) => break,
                Err(e) => {
                    out.push(Out::Err(e));
                    return out;
                }
            }
        }
        assert!(chunk.is_empty(), "Ok(None) left {} bytes", chunk.len());
    }
    out
}

/// How [`run_held`] drives the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    /// `feed`, its shortcuts included.
    Feed,
    /// `take_or_hold` first, then `feed`, as framing-std's readers and
    /// codecs do (`Window::take` or `Window::take_or_hold` before
    /// `Window::pull`).
    Take,
    /// The general loop alone.
    General,
}

/// The whole-frame decoder driven as an adapter drives it: each chunk is
/// appended to what the decoder kept back (`hold`, transition I0), and the
/// lot fed again, as `drive` says. Frames and errors must be those of one
/// whole decode, whatever `hold`: keeping bytes back changes where a frame
/// is lent from, never what it is.
pub fn run_held(
    layout: Layout,
    cap: usize,
    hold: usize,
    chunks: &[&[u8]],
    drive: Drive,
) -> Vec<Out> {
    let mut storage = vec![0u8; cap];
    let mut d = Decoder::new(&layout, SliceBuffer::new(&mut storage));
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let mut pending: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    let mut calls = 0usize;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        pending.extend_from_slice(chunk);
        loop {
            calls += 1;
            assert!(calls <= 3 * total + 3 * chunks.len() + 6, "no progress");
            if drive == Drive::Take {
                let taken = match d.take_or_hold(&pending, hold) {
                    Ok(taken) => Some(taken),
                    Err(0) => None,
                    Err(need) => {
                        // I0 without `feed`: `feed` on the same bytes must
                        // say the same, consuming nothing (before the end;
                        // with `last`, `feed` decides).
                        let fed = d.feed(&pending, last, hold);
                        if last {
                            assert!(
                                fed.result.is_err() || fed.consumed > 0 || pending.is_empty(),
                                "kept back {} bytes at the end",
                                pending.len()
                            );
                        } else {
                            assert_eq!(
                                (
                                    fed.consumed,
                                    fed.need,
                                    fed.result.is_ok_and(|f| f.is_none())
                                ),
                                (0, need, true),
                                "take_or_hold kept back what feed does not"
                            );
                        }
                        match fed.result {
                            Ok(Some(found)) => {
                                out.push(out_of(&layout, d.item(&pending, found)));
                                pending.drain(..fed.consumed);
                                continue;
                            }
                            Ok(None) => {
                                pending.drain(..fed.consumed);
                                break;
                            }
                            Err(e) => {
                                out.push(Out::Err(e));
                                return out;
                            }
                        }
                    }
                };
                // `takes` is the framing's: a decoder that says it never
                // takes a frame takes none.
                assert!(
                    d.takes() || taken.is_none(),
                    "took a frame having said it never does"
                );
                assert!(
                    d.takes(),
                    "a whole decoder takes frames, whatever its framing"
                );
                // `take` finds a frame only (`At`, never a report): the
                // type says so.
                if let Some((consumed, at)) = taken {
                    assert!(consumed <= pending.len(), "took more than fed");
                    out.push(out_of(&layout, d.item(&pending, Found::Item(at))));
                    pending.drain(..consumed);
                    continue;
                }
            }
            let fed = match drive {
                Drive::General => d.feed_general(&pending, last, hold),
                Drive::Feed | Drive::Take => d.feed(&pending, last, hold),
            };
            assert!(fed.consumed <= pending.len(), "consumed more than fed");
            match fed.result {
                Ok(Some(found)) => {
                    out.push(out_of(&layout, d.item(&pending, found)));
                    pending.drain(..fed.consumed);
                }
                Ok(None) => {
                    pending.drain(..fed.consumed);
                    assert!(
                        pending.is_empty()
                            || (!last && fed.need > pending.len() && fed.need <= hold),
                        "kept {} bytes back, need {}, hold {hold}, last {last}",
                        pending.len(),
                        fed.need
                    );
                    break;
                }
                Err(e) => {
                    out.push(Out::Err(e));
                    return out;
                }
            }
        }
    }
    out
}

/// Cuts `bytes` into chunks of the given sizes (empty ones included), then
/// one chunk with the rest.
pub fn split<'a>(mut bytes: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    for &n in sizes {
        let (chunk, rest) = bytes.split_at(usize::from(n).min(bytes.len()));
        chunks.push(chunk);
        bytes = rest;
    }
    chunks.push(bytes);
    chunks
}

/// `split_equivalence`: for a layout, a buffer size, chunk sizes and stream
/// bytes from `data`, decoding in chunks (and one byte at a time) gives the
/// same frames and errors, at the same offsets, as decoding the whole stream
/// at once; the streaming decoder gives the same headers and payloads as the
/// whole-frame decoder when the maximum payload, not the buffer, is the limit.
pub fn split_equivalence(data: &[u8]) -> bool {
    let mut input = Input::new(data);
    let Some(mut spec) = Spec::parse(&mut input) else {
        return false;
    };
    spec.extras = input.byte();
    let Some(layout) = spec.build(spec.max_payload) else {
        return false;
    };
    let cap = capacity(&mut input, &layout);
    let n_chunks = usize::from(input.byte() % 16);
    let sizes = input.take(n_chunks);
    let stream = input.rest();
    let chunks = split(stream, sizes);

    let whole = run_whole(layout, cap, &[stream]);
    let chunked = run_whole(layout, cap, &chunks);
    assert_eq!(chunked, whole, "chunks {sizes:?} differ from one chunk");
    // The end declared with the last chunk (`feed(chunk, true)`) changes
    // nothing.
    assert_eq!(
        run_whole_with(layout, cap, &chunks, true),
        whole,
        "feed with last, chunks {sizes:?}"
    );
    // `needs` of the first header is the first frame's length.
    let mut storage = vec![0u8; cap];
    let fresh = Decoder::new(&layout, SliceBuffer::new(&mut storage));
    if let Some(total) = fresh
        .needs(stream)
        .filter(|_| !stream.is_empty() && stream.len() >= layout.header_len())
    {
        match whole.first() {
            Some(Out::Frame { header, payload }) => {
                let frame = header.len() + payload.len() + layout.tail_len();
                assert_eq!(frame, total, "needs");
            }
            // A valid head whose trailer does not match.
            Some(Out::Recovered(
                Recovery::Corrupt { length, .. } | Recovery::BadFrameEnd { length, .. },
            )) => {
                assert_eq!(*length, total as u64, "needs");
            }
            Some(Out::Err(e))
                if matches!(
                    e.kind(),
                    DecodeErrorKind::ChecksumMismatch { .. } | DecodeErrorKind::FrameEnd { .. }
                ) =>
            {
                assert!(
                    total <= stream.len(),
                    "needs {total}, decode checked a trailer"
                );
            }
            Some(Out::Err(e)) => assert!(
                e.is_truncated() && total > stream.len(),
                "needs accepted a header decode refused: {e}"
            ),
            other => panic!("needs accepted a header for which decode gave {other:?}"),
        }
    }
    if stream.len() <= 1024 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(run_whole(layout, cap, &bytes), whole, "byte by byte");
    }
    // The shortcuts are the general loop's transitions: `whole` and
    // `chunked` come from `Decoder::decode`, which takes I1 itself
    // (`take_i1`) before `feed`'s shortcuts; `run_held` below drives `feed`
    // alone, and `take` (the same `take_i1`) before `feed` as the readers
    // do; this runs neither, only the loop.
    assert_eq!(
        run_general(layout, cap, &chunks, false),
        whole,
        "general loop, chunks {sizes:?}"
    );
    // An adapter keeping frames back until whole (I0) sees the same
    // frames, through the shortcuts and through the loop alone.
    for hold in [cap, cap / 2] {
        for drive in [Drive::Feed, Drive::Take, Drive::General] {
            assert_eq!(
                run_held(layout, cap, hold, &chunks, drive),
                whole,
                "held back up to {hold} bytes, driven by {drive:?}, chunks {sizes:?}"
            );
        }
    }

    if layout.delimiter().is_some() {
        // No streaming decoder for delimited frames: none can be built.
        let mut storage = [0u8; 64];
        let refused = StreamDecoder::try_new(&layout, SliceBuffer::new(&mut storage));
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(DecodeErrorKind::NotStreamable)
        );
        return true;
    }
    if layout.first_frame().is_some() {
        // Nor for a first frame with its own layout, read whole.
        let mut storage = [0u8; 64];
        let refused = StreamDecoder::try_new(&layout, SliceBuffer::new(&mut storage));
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(DecodeErrorKind::FirstFrameNotStreamable)
        );
        return true;
    }
    let clamped_max = spec
        .max_payload
        .min((BIG_BUFFER - layout.max_head_len() - layout.tail_len()) as u64);
    let clamped = spec
        .build(clamped_max)
        .expect("a lower max_payload builds too");
    let reference = run_whole(clamped, BIG_BUFFER, &[stream]);
    assert_eq!(
        run_stream(clamped, &chunks),
        reference,
        "stream decoder, chunks {sizes:?}"
    );
    assert_eq!(
        run_general(clamped, BIG_BUFFER, &chunks, true),
        reference,
        "stream decoder, general loop, chunks {sizes:?}"
    );
    if stream.len() <= 1024 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            run_stream(clamped, &bytes),
            reference,
            "stream, byte by byte"
        );
    }
    true
}

/// What a header value must decode to.
#[derive(Clone, Debug)]
enum Expect {
    /// Exactly this (NaN equal to NaN).
    Exact(Owned),
    /// A half float nearest `x`.
    Half(f64),
}

impl Expect {
    fn check(&self, got: &Value<'_>) -> bool {
        match self {
            Expect::Exact(v) => same_value(got, &v.as_value()),
            Expect::Half(x) => {
                let Value::Float(d) = *got else { return false };
                if x.is_nan() || x.is_infinite() {
                    return same_value(got, &Value::Float(*x));
                }
                // Rounding to binary16 errs by at most half an ulp.
                let tolerance = (x.abs() * 2f64.powi(-11)).max(2f64.powi(-25));
                (d - x).abs() <= tolerance && d.is_sign_negative() == x.is_sign_negative()
            }
        }
    }
}

/// The value a field holds when the encoder is given none.
fn zero_value(kind: Kind, size: usize) -> Owned {
    match kind {
        Kind::Signed | Kind::Unsigned => Owned::Int(0),
        Kind::Bool => Owned::Bool(false),
        Kind::Float => Owned::Float(0.0),
        Kind::Char => Owned::Bytes(vec![0]),
        Kind::Bytes => Owned::Bytes(vec![0; size]),
        Kind::Pascal => Owned::Bytes(Vec::new()),
        other => panic!("a kind the checks do not model: {other:?}"),
    }
}

/// The model of `put_value`: what `value` in a field of `kind`, `code` and
/// `size` decodes to, or why the encoder must refuse it.
fn model_put(
    index: usize,
    kind: Kind,
    code: u8,
    size: usize,
    order: ByteOrder,
    value: &Owned,
) -> Result<Expect, EncodeError> {
    let range = EncodeError::FieldRange { index };
    match (kind, value) {
        (Kind::Signed | Kind::Unsigned, Owned::Int(v)) => {
            let bits = 8 * size as u32;
            let signed = kind == Kind::Signed || code == b'P';
            let lo = if signed { -(1i128 << (bits - 1)) } else { 0 };
            let hi = if kind == Kind::Signed {
                (1i128 << (bits - 1)) - 1
            } else {
                (1i128 << bits) - 1
            };
            if *v < lo || *v > hi {
                return Err(range);
            }
            // A negative pointer is packed two's complement, unpacked unsigned.
            Ok(Expect::Exact(Owned::Int(
                if *v < 0 && kind == Kind::Unsigned {
                    *v + (1i128 << bits)
                } else {
                    *v
                },
            )))
        }
        (Kind::Bool, Owned::Bool(b)) => Ok(Expect::Exact(Owned::Bool(*b))),
        (Kind::Float, Owned::Float(x)) => match size {
            8 => Ok(Expect::Exact(Owned::Float(*x))),
            4 => {
                let y = *x as f32;
                if y.is_infinite() && !x.is_infinite() && !order.is_native_size() {
                    return Err(range);
                }
                Ok(Expect::Exact(Owned::Float(f64::from(y))))
            }
            _ => {
                // binary16's largest finite is 65504; from 65520 up rounds
                // to infinity, which CPython refuses.
                if x.is_finite() && x.abs() >= 65520.0 {
                    return Err(range);
                }
                Ok(Expect::Half(*x))
            }
        },
        (Kind::Char, Owned::Bytes(b)) if b.len() == 1 => Ok(Expect::Exact(value.clone())),
        (Kind::Bytes, Owned::Bytes(b)) if b.len() <= size => {
            let mut padded = b.clone();
            padded.resize(size, 0);
            Ok(Expect::Exact(Owned::Bytes(padded)))
        }
        (Kind::Pascal, Owned::Bytes(b)) if b.is_empty() || (b.len() < size && b.len() <= 255) => {
            Ok(Expect::Exact(value.clone()))
        }
        (Kind::Char | Kind::Bytes | Kind::Pascal, Owned::Bytes(_)) => Err(range),
        _ => Err(EncodeError::FieldType { index }),
    }
}

/// Reads one `(index, value)` for the encoder: mostly values that fit (read
/// from field-sized bytes of the input), sometimes any integer, float, bool
/// or byte string, and sometimes an index past the last value.
fn header_value(input: &mut Input<'_>, format: &Format) -> (usize, Owned) {
    let index = usize::from(input.byte()) % (format.value_count() + 1);
    let sel = input.byte() % 10;
    let field = format.field(index);
    let value = match (sel, field) {
        (0..=4, Some(field)) => {
            let mut scratch = vec![0u8; format.size()];
            let bytes = input.take(field.size);
            scratch[field.offset..field.offset + bytes.len()].copy_from_slice(bytes);
            Owned::from_value(format.value(&scratch, index).expect("a field's value"))
        }
        (5, _) => Owned::Int(i128::from(i64::from_be_bytes(input.array()))),
        (6, _) => Owned::Int(i128::from_be_bytes(input.array())),
        (7, _) => Owned::Float(f64::from_be_bytes(input.array())),
        (8, _) => Owned::Bool(input.byte() & 1 != 0),
        _ => {
            let n = usize::from(input.byte() % 40);
            Owned::Bytes(input.take(n).to_vec())
        }
    };
    (index, value)
}

/// The model of `encode_header_with`: each field's expected decoded value,
/// or the error the encoder must return.
fn model_encode(
    layout: &Layout,
    payload_len: usize,
    given: &[(usize, Owned)],
    out_len: usize,
) -> Result<Vec<Expect>, EncodeError> {
    let format = layout.format();
    let hlen = layout.head_len(payload_len);
    if out_len < hlen {
        return Err(EncodeError::BufferTooSmall {
            needed: hlen,
            available: out_len,
        });
    }
    let length = payload_len as u64;
    if length > layout.max_payload() {
        return Err(EncodeError::PayloadTooLong {
            length,
            max: layout.max_payload(),
        });
    }
    let lf = layout
        .length_field()
        .map(|i| format.field(i).expect("length field"));
    let v = i128::from(length) - i128::from(layout.length_adjust());
    let (lo, hi) = match lf {
        None => (0, i128::from(u64::MAX)),
        Some(lf) => {
            let bits = 8 * lf.size as u32;
            if lf.kind == Kind::Signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            }
        }
    };
    if v < lo || v > hi {
        return Err(EncodeError::LengthOutOfRange { length, value: v });
    }
    let mut expect: Vec<Expect> = format
        .fields()
        .map(|f| {
            if Some(f.index) == layout.length_field() && f.kind == Kind::Bytes {
                // An `Ns` length: the value's low bytes in the format's order.
                let mut bytes = (v as u64).to_le_bytes()[..f.size].to_vec();
                if format.byte_order().is_big_endian() {
                    bytes.reverse();
                }
                Expect::Exact(Owned::Bytes(bytes))
            } else if Some(f.index) == layout.length_field() {
                Expect::Exact(Owned::Int(v))
            } else if let Some(c) = layout.constant(f.index) {
                Expect::Exact(Owned::from_value(c))
            } else {
                Expect::Exact(zero_value(f.kind, f.size))
            }
        })
        .collect();
    for (index, value) in given {
        let index = *index;
        let field = format
            .field(index)
            .ok_or(EncodeError::NoSuchField { index })?;
        if Some(index) == layout.length_field() || layout.constant(index).is_some() {
            return Err(EncodeError::FieldIsFixed { index });
        }
        expect[index] = model_put(
            index,
            field.kind,
            field.code,
            field.size,
            format.byte_order(),
            value,
        )?;
    }
    Ok(expect)
}

/// One frame the encoder accepted.
struct Encoded {
    header: Vec<u8>,
    payload: Vec<u8>,
    trailer: Vec<u8>,
    expect: Vec<Expect>,
}

/// `roundtrip`: for a layout and frames (payloads and extra header values)
/// from `data`, the encoder accepts exactly what fits (the model above says
/// what, and which error otherwise), and decoding the accepted frames gives
/// them back: the same header bytes, every header value as given (the
/// length, the constants, zero for values not given) and the same payloads.
pub fn roundtrip(data: &[u8]) -> bool {
    let mut input = Input::new(data);
    let Some(spec) = Spec::parse(&mut input) else {
        return false;
    };
    let Some(layout) = spec.build(spec.max_payload) else {
        return false;
    };
    if layout.delimiter().is_some() {
        return roundtrip_delimited(&layout, input);
    }
    let n_frames = input.byte() % 8;
    let mut frames: Vec<Encoded> = Vec::new();
    for _ in 0..n_frames {
        if input.is_empty() {
            break;
        }
        let payload = next_payload(&mut input);
        let len = payload.len();
        let flags = input.byte();
        let given: Vec<(usize, Owned)> = (0..flags % 4)
            .map(|_| header_value(&mut input, layout.format()))
            .collect();
        // Sometimes an output buffer one byte short.
        let hlen = layout.head_len(len);
        let short = flags & 0x80 != 0 && hlen > 0;
        let out_len = if short { hlen - 1 } else { hlen };

        let model = model_encode(&layout, len, &given, out_len);
        let pairs: Vec<(usize, Value<'_>)> =
            given.iter().map(|(i, v)| (*i, v.as_value())).collect();
        let mut header = vec![0xa5u8; out_len];
        let got = layout.encode_header_with(len, &pairs, &mut header);
        match (&model, got) {
            (Ok(_), Ok(n)) => assert_eq!(n, hlen),
            (Err(want), Err(e)) => assert_eq!(e, *want, "encode error for {given:?}"),
            _ => panic!(
                "encode_header_with({len}, {given:?}) gave {got:?}, expected {:?}",
                model.as_ref().map(|_| hlen)
            ),
        }
        let mut trailer = vec![0u8; layout.trailer_len()];
        if got.is_ok() {
            let n = layout.encode_trailer(&header, &payload, &mut trailer);
            assert_eq!(n, Ok(layout.trailer_len()), "encode_trailer");
        }
        if given.is_empty() {
            // `encode` writes the same header, then the payload, then the
            // same trailer.
            let frame = hlen + len + layout.trailer_len();
            let needed = frame - usize::from(short);
            let mut whole = vec![0x5au8; needed];
            match (layout.encode(&payload, &mut whole), got) {
                (Ok(n), Ok(_)) => {
                    assert_eq!(n, frame);
                    assert_eq!(&whole[..hlen], &header[..]);
                    assert_eq!(&whole[hlen..hlen + len], &payload[..]);
                    assert_eq!(&whole[hlen + len..], &trailer[..]);
                }
                (Err(EncodeError::BufferTooSmall { needed: n, .. }), _) if short => {
                    assert_eq!(n, frame);
                }
                (Err(e), Err(h)) => assert_eq!(e, h),
                (e, h) => panic!("encode gave {e:?}, encode_header gave {h:?}"),
            }
        }
        if let Ok(expect) = model {
            frames.push(Encoded {
                header,
                payload,
                trailer,
                expect,
            });
        }
    }

    let mut stream = Vec::new();
    for f in &frames {
        stream.extend_from_slice(&f.header);
        stream.extend_from_slice(&f.payload);
        stream.extend_from_slice(&f.trailer);
    }
    let cap = frames
        .iter()
        .map(|f| f.header.len() + f.payload.len() + f.trailer.len())
        .max()
        .unwrap_or(0)
        .max(layout.min_buffer_len());
    let expected: Vec<Out> = frames
        .iter()
        .map(|f| Out::Frame {
            header: f.header.clone(),
            payload: f.payload.clone(),
        })
        .collect();
    let decoded = run_whole(layout, cap, &[&stream]);
    assert_eq!(decoded, expected, "decode(encode(frames)) == frames");
    for f in &frames {
        let h = framing_core::Header::new_checked(&f.header, &layout).expect("a header");
        assert_eq!(h.values().len(), f.expect.len());
        for (i, want) in f.expect.iter().enumerate() {
            let got = h.value(i).expect("a value per field");
            assert!(want.check(&got), "value {i}: got {got:?}, want {want:?}");
        }
    }
    if stream.len() <= 2048 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(run_whole(layout, cap, &bytes), expected, "byte by byte");
    }
    assert_eq!(run_stream(layout, &[&stream]), expected, "stream decoder");
    true
}

/// `format_parse`: any string given to `Format::parse` and `Layout::parse`
/// gives a result, never a panic; an accepted format's fields are in order,
/// do not overlap, lie inside the header, and (with `@`) are aligned to their
/// size; packing zero values gives zero bytes that unpack to those values;
/// and unpacking any header bytes, packing and unpacking again is stable.
/// Returns whether the format was accepted.
pub fn format_parse(data: &[u8]) -> bool {
    let s = String::from_utf8_lossy(data);
    let format = Format::parse(&s);
    let layout = Layout::parse(&s);
    let f = match format {
        Err(e) => {
            assert!(e.position() <= s.len(), "error position {e:?}");
            assert!(!e.to_string().is_empty());
            assert_eq!(layout, Err(framing_core::LayoutError::Format(e)));
            return false;
        }
        Ok(f) => f,
    };
    match layout {
        Ok(l) => {
            assert_eq!(l.format(), &f);
            assert_eq!(l.header_len(), f.size());
            let index = l.length_field().expect("a length field by default");
            let lf = f.field(index).expect("length field exists");
            assert!(lf.kind.is_integer());
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    assert!(f.size() <= framing_core::format::MAX_HEADER_LEN);
    let fields: Vec<_> = f.fields().collect();
    assert_eq!(f.value_count(), fields.len());
    assert_eq!(f.fields().len(), fields.len());
    assert_eq!(f.field(fields.len()), None);
    let mut end = 0;
    for (i, field) in fields.iter().enumerate() {
        assert_eq!(field.index, i);
        assert_eq!(f.field(i), Some(*field));
        assert!(field.offset >= end, "field {i} overlaps the one before");
        end = field.offset + field.size;
        assert!(end <= f.size(), "field {i} ends past the header");
        let numeric = matches!(field.kind, Kind::Signed | Kind::Unsigned | Kind::Float);
        if f.byte_order() == ByteOrder::Native && numeric {
            assert_eq!(field.offset % field.size, 0, "@ field {i} unaligned");
        }
    }

    // Zero values pack to zero bytes and unpack to themselves.
    let zeros: Vec<Owned> = fields.iter().map(|x| zero_value(x.kind, x.size)).collect();
    let values: Vec<Value<'_>> = zeros.iter().map(Owned::as_value).collect();
    let mut out = vec![0xffu8; f.size() + 1];
    assert_eq!(f.pack(&values, &mut out), Ok(f.size()));
    assert!(
        out[..f.size()].iter().all(|&b| b == 0),
        "zeros pack to zeros"
    );
    assert_eq!(out[f.size()], 0xff, "pack wrote past the header");
    let back: Vec<Value<'_>> = f.values(&out[..f.size()]).collect();
    assert_eq!(back.len(), values.len());
    for (a, b) in back.iter().zip(&values) {
        assert!(same_value(a, b), "{a:?} != {b:?}");
    }
    // Too few values, or too small a buffer, are errors.
    if !values.is_empty() {
        assert!(f.pack(&values[1..], &mut out).is_err());
    }
    if f.size() > 0 {
        assert!(f.pack(&values, &mut out[..f.size() - 1]).is_err());
    }

    // Any header bytes (the input, repeated): unpack, pack, unpack is stable.
    let header: Vec<u8> = if data.is_empty() {
        vec![0; f.size()]
    } else {
        data.iter().copied().cycle().take(f.size()).collect()
    };
    let first: Vec<Value<'_>> = f.values(&header).collect();
    assert_eq!(first.len(), fields.len());
    let mut packed = vec![0u8; f.size()];
    assert_eq!(
        f.pack(&first, &mut packed),
        Ok(f.size()),
        "repack {first:?}"
    );
    let second: Vec<Value<'_>> = f.values(&packed).collect();
    for (a, b) in first.iter().zip(&second) {
        assert!(same_value(a, b), "unpack(pack(v)) {a:?} != {b:?}");
    }
    true
}

/// A payload for `roundtrip`: a length (one byte, or two up to 4 KiB),
/// then that many input bytes, padded with a counter at the input's end.
fn next_payload(input: &mut Input<'_>) -> Vec<u8> {
    let sel = input.byte();
    let len = if sel < 224 {
        usize::from(sel)
    } else {
        usize::from(input.u16() % 4096)
    };
    let mut payload = input.take(len).to_vec();
    payload.extend((payload.len()..len).map(|i| i as u8));
    payload
}

/// `roundtrip` for a delimited layout: any payload the encoder accepts
/// (within the maximum; for a byte-string delimiter, without it) decodes to
/// itself, in one chunk and byte by byte, in at most `max_encoded_len`.
fn roundtrip_delimited(layout: &Layout, mut input: Input<'_>) -> bool {
    let n_frames = input.byte() % 8;
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..n_frames {
        let payload = next_payload(&mut input);
        let len = payload.len();
        let worst = layout.max_encoded_len(len).expect("a small frame");
        let mut out = vec![0u8; worst];
        match layout.encode(&payload, &mut out) {
            Ok(n) => {
                assert!(n <= worst, "{n} bytes, more than max_encoded_len {worst}");
                stream.extend_from_slice(&out[..n]);
                expected.push(Out::Frame {
                    header: Vec::new(),
                    payload,
                });
            }
            // SLIP cannot carry an empty frame (an END alone is skipped):
            // refused, and only that.
            Err(EncodeError::EmptyFrame) => {
                assert!(
                    layout.delimiter() == Some(Delimiter::Slip)
                        && payload.is_empty()
                        && layout.trailer_len() == 0,
                    "EmptyFrame for {:?}, {} bytes",
                    layout.delimiter(),
                    payload.len()
                );
            }
            Err(EncodeError::PayloadTooLong { length, max }) => {
                assert!(length > max && max == layout.max_payload());
            }
            Err(EncodeError::NotOneRespValue { at, .. }) => {
                assert!(
                    matches!(layout.delimiter(), Some(Delimiter::Resp)),
                    "NotOneRespValue for {:?}",
                    layout.delimiter()
                );
                assert!(at <= payload.len(), "at {at}");
            }
            Err(EncodeError::DelimiterInFrame { at }) => {
                assert!(
                    matches!(layout.delimiter(), Some(Delimiter::Bytes(_))),
                    "DelimiterInFrame for {:?}",
                    layout.delimiter()
                );
                assert!(at < payload.len() + layout.trailer_len(), "at {at}");
            }
            Err(e) => panic!("encode refused a payload: {e}"),
        }
    }
    let cap = BIG_BUFFER.max(layout.max_encoded_len(4096).unwrap_or(0));
    assert_eq!(
        run_whole(*layout, cap, &[&stream]),
        expected,
        "decode(encode(frames)) == frames"
    );
    if stream.len() <= 2048 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(run_whole(*layout, cap, &bytes), expected, "byte by byte");
    }
    true
}
