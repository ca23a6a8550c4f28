//! Codec throughput: framing's decoders and encoder beside tokio-util's
//! `LengthDelimitedCodec`, a `read_exact` loop, a minimal hand-written loop
//! and `copy_from_slice`, each group on the same bytes in the same run.
//!
//! Frames have a 4-byte big-endian length header (`Layout::new("!I")`) and
//! payloads of 0, 16, 256, 4096 or 65536 bytes; a stream is about 4 MiB of
//! them (256 KiB when fed one byte at a time), fed as one chunk or in chunks
//! of 1500, 64, 7 or 1 bytes.
//!
//! ```text
//!  group decode_<chunk>     one per chunk size: whole, 1500, 64, 7, 1
//!    framing_decoder/<p>    framing Decoder, whole frames (64 KiB heapless buffer)
//!    framing_decoder_rt/<p> the same over a layout built at run time (no
//!                           constant folding of the static layout)
//!    framing_stream/<p>     framing StreamDecoder, header + payload pieces
//!    framing_stream_rt/<p>  the same over the run-time layout
//!    tokio_util/<p>         chunk appended to a BytesMut, decode until None
//!    framing_tokio_codec/<p> framing-std's FrameCodec (feature tokio), driven
//!                           the same way: split off the BytesMut, no copy
//!    read_exact/<p>         Cursor (read <= chunk bytes a call), header, Vec payload
//!    minimal_loop/<p>       read 4 bytes, slice the payload, advance: the whole
//!                           stream at once whatever the group (per-frame floor)
//!    memcpy/<p>             copy_from_slice of each chunk (floor for copying)
//!  group lengths_<chunk>   whole and 1500: the same payloads under other layouts
//!    u32/<p>                `!I`, as in decode_*
//!    u24/<p>                `!3s`: a 3-byte length field (goal: <= 1.2x u32)
//!    varint/<p>             no header, a LEB128 varint length (protobuf-delimited)
//!    u32_crc32/<p>          `!I` and a CRC-32 trailer over header + payload
//!                           (goal: <= u32 + crc32_alone)
//!    crc32_alone/<p>        the `crc` crate's CRC-32 over each frame's header +
//!                           payload, nothing else
//!    crc32fast_alone/<p>    crc32fast over the same bytes (the fastest CRC-32
//!                           crate: the issue-23 anchor; framing uses it)
//!    u32_crc32c/<p>         `!I` and a CRC-32C trailer
//!    u32_crc16/<p>          `!I` and a CRC-16/XMODEM trailer
//!    crc32c_alone/<p>       the crc32c crate (SSE4.2) over its bytes
//!    crc32c_fast_alone/<p>  crc-fast's CRC-32C over the same bytes (folding)
//!    crc16_fast_alone/<p>   crc-fast's CRC-16/XMODEM over u32_crc16's bytes
//!    crc16_table_alone/<p>  the `crc` crate's one-table CRC-16/XMODEM over the
//!                           same bytes (what framing used before issue 23:
//!                           the goal "at least 4x today's table speed")
//!  group delimited_<chunk> whole, 1500, 64 and 7; 16 B, 256 B, 4 KiB (and 64 KiB
//!                         in 1500-byte chunks): serial framings, what users pick
//!                         instead, and the floors
//!    framing_cobs/<p>       framing Decoder over Layout::cobs()
//!    cobs_crate/<p>         the cobs crate's CobsDecoder, pushed each chunk
//!    cobs_memcpy/<p>        each chunk of the COBS stream copied (the floor)
//!    framing_lines/<p>      framing Decoder over Layout::delimited(b"\n")
//!    tokio_lines/<p>        tokio-util's LinesCodec (a String a line)
//!    framing_lines_codec/<p> framing-std's FrameCodec over the same layout, driven
//!                           as LinesCodec is (a line split off the BytesMut)
//!    memchr_memcpy/<p>      memchr for each newline, the line copied into a
//!                           reused Vec (the floor for lines)
//!                           (goal: framing at least as fast as each)
//!  group encode
//!    framing_encode/<p>     Layout::encode, header + payload into a buffer
//!    framing_header/<p>     Layout::encode_header, then two IoSlices (vectored write)
//!    tokio_util/<p>         Encoder<Bytes> into a BytesMut
//!    memcpy/<p>             copy_from_slice of the encoded stream
//! ```
//!
//! `cargo bench --bench codec` runs it all; `cargo bench --bench codec --
//! decode_1500` one group; `-- --quick` a short run while developing.

use std::hint::black_box;
use std::io::{self, Cursor, IoSlice, Read};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use framing_core::{heapless, Decoded, Decoder, Event, Layout, StreamDecoder};
use framing_std::FrameCodec;
use tokio_util::codec::{Decoder as _, Encoder as _, LengthDelimitedCodec};

/// The layout every contender speaks: a big-endian `u32` payload length.
static LAYOUT: Layout = Layout::new("!I");
const HEADER: usize = 4;
/// Payload sizes, the x axis of the chart.
const PAYLOADS: [usize; 5] = [0, 16, 256, 4096, 65536];
/// Stands for "the whole stream as one chunk".
const WHOLE: usize = usize::MAX;
/// Chunk sizes, one group each.
const CHUNKS: [usize; 5] = [WHOLE, 1500, 64, 7, 1];
/// Room for a 64 KiB payload and its header, and a little more.
const BUF: usize = 65600;
/// The whole-frame decoder under test (boxed: the buffer is 64 KiB).
type FrameDecoder = Decoder<&'static Layout, heapless::Vec<u8, BUF>>;
/// The largest frame tokio-util is told to accept: more than any here.
const TOKIO_MAX: usize = 1 << 20;

/// Frames and payload bytes a contender saw; checked once, outside timing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    frames: usize,
    payload: usize,
}

impl Tally {
    #[inline(always)]
    fn frame(&mut self, payload: &[u8]) {
        self.frames += 1;
        self.payload += black_box(payload.len());
    }
}

/// A stream of identical-size frames, and what decoding it must give.
struct Stream {
    bytes: Vec<u8>,
    expect: Tally,
}

impl Stream {
    /// About `target` bytes of frames with `payload`-byte payloads (at least
    /// four frames). Payload bytes vary so no contender sees a constant.
    fn new(payload: usize, target: usize) -> Self {
        let frames = (target / (HEADER + payload)).max(4);
        let mut bytes = Vec::with_capacity(frames * (HEADER + payload));
        for i in 0..frames {
            let len = u32::try_from(payload).expect("payload fits u32");
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend((0..payload).map(|j| (i + j) as u8));
        }
        Stream {
            bytes,
            expect: Tally {
                frames,
                payload: frames * payload,
            },
        }
    }
}

/// `LAYOUT`, built at run time from a format string the compiler cannot
/// see, and leaked so decoders can hold it as `&'static`.
fn runtime_layout() -> &'static Layout {
    let layout = Layout::builder(black_box("!I"))
        .build()
        .expect("a valid layout");
    Box::leak(Box::new(layout))
}

fn chunk_len(chunk: usize, stream: &[u8]) -> usize {
    if chunk == WHOLE {
        stream.len().max(1)
    } else {
        chunk
    }
}

/// framing, whole frames: zero-copy when a frame lies whole in the chunk,
/// assembled in the decoder's buffer when it straddles chunks.
fn framing_decoder(decoder: &mut FrameDecoder, stream: &[u8], chunk: usize) -> Tally {
    let mut tally = Tally::default();
    for mut input in stream.chunks(chunk) {
        while let Some(item) = decoder.decode(&mut input).expect("a valid stream") {
            if let Decoded::Frame(frame) = item {
                tally.frame(frame.payload());
            }
        }
    }
    decoder
        .finish()
        .expect("the stream ends on a frame boundary");
    tally
}

/// framing, streaming: a header, payload pieces borrowed from the chunk, an end.
fn framing_stream(
    decoder: &mut StreamDecoder<&'static Layout, heapless::Vec<u8, HEADER>>,
    stream: &[u8],
    chunk: usize,
) -> Tally {
    let mut tally = Tally::default();
    for mut input in stream.chunks(chunk) {
        while let Some(event) = decoder.decode(&mut input).expect("a valid stream") {
            match event {
                Event::Header(_) | Event::Recovered(_) | Event::Preface(_) => {}
                Event::Payload(piece) => tally.payload += black_box(piece.len()),
                Event::End => tally.frames += 1,
                other => panic!("not expected here: {other:?}"),
            }
        }
    }
    decoder
        .finish()
        .expect("the stream ends on a frame boundary");
    tally
}

fn tokio_codec() -> LengthDelimitedCodec {
    // The defaults are "!I" with the header stripped; only the maximum differs.
    LengthDelimitedCodec::builder()
        .max_frame_length(TOKIO_MAX)
        .new_codec()
}

/// tokio-util, as a socket reader drives it: append the chunk to a
/// long-lived `BytesMut`, then `decode` until `None`.
fn tokio_util(
    codec: &mut LengthDelimitedCodec,
    buf: &mut BytesMut,
    stream: &[u8],
    chunk: usize,
) -> Tally {
    let mut tally = Tally::default();
    for input in stream.chunks(chunk) {
        buf.extend_from_slice(input);
        while let Some(frame) = codec.decode(buf).expect("a valid stream") {
            tally.frame(&frame);
        }
    }
    assert!(buf.is_empty(), "the stream ends on a frame boundary");
    tally
}

/// framing's tokio-util codec (framing-std feature `tokio`), driven exactly
/// as `tokio_util` drives `LengthDelimitedCodec`.
fn framing_codec(codec: &mut FrameCodec, buf: &mut BytesMut, stream: &[u8], chunk: usize) -> Tally {
    let mut tally = Tally::default();
    for input in stream.chunks(chunk) {
        buf.extend_from_slice(input);
        while let Some(item) = codec.decode(buf).expect("a valid stream") {
            tally.frame(item.frame().expect("no recovery reports").payload());
        }
    }
    assert!(buf.is_empty(), "the stream ends on a frame boundary");
    tally
}

/// A `Read` that hands out at most `chunk` bytes a call, as a socket does.
struct Chunked<'a> {
    inner: Cursor<&'a [u8]>,
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk);
        self.inner.read(&mut buf[..n])
    }
}

/// The plain way: `read_exact` the header, then a fresh `Vec` for the payload.
fn read_exact_loop(mut reader: impl Read) -> Tally {
    let mut tally = Tally::default();
    let mut header = [0u8; HEADER];
    loop {
        match reader.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("{e}"),
        }
        let len = u32::from_be_bytes(header) as usize;
        let mut payload = vec![0u8; len];
        reader.read_exact(&mut payload).expect("a whole payload");
        tally.frame(&payload);
    }
    tally
}

fn read_exact(stream: &[u8], chunk: usize) -> Tally {
    if chunk >= stream.len() {
        read_exact_loop(Cursor::new(stream))
    } else {
        read_exact_loop(Chunked {
            inner: Cursor::new(stream),
            chunk,
        })
    }
}

/// The floor for per-frame cost: read 4 bytes, slice the payload, advance.
fn minimal_loop(mut stream: &[u8]) -> Tally {
    let mut tally = Tally::default();
    while let Some((header, rest)) = stream.split_first_chunk::<HEADER>() {
        let len = u32::from_be_bytes(*header) as usize;
        let (payload, rest) = rest.split_at(len);
        tally.frame(payload);
        stream = rest;
    }
    tally
}

/// The floor for anything that copies: each chunk copied once.
fn memcpy(dst: &mut [u8], stream: &[u8], chunk: usize) -> usize {
    let mut at = 0;
    for input in stream.chunks(chunk) {
        dst[at..at + input.len()].copy_from_slice(input);
        at += input.len();
    }
    at
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sampling_mode(SamplingMode::Flat);
}

fn decode(c: &mut Criterion) {
    for chunk in CHUNKS {
        let name = if chunk == WHOLE {
            "decode_whole".to_string()
        } else {
            format!("decode_{chunk}")
        };
        // One byte at a time is slow for everyone: a smaller stream.
        let target = if chunk == 1 { 256 << 10 } else { 4 << 20 };
        let mut group = c.benchmark_group(name);
        configure(&mut group);
        for payload in PAYLOADS {
            let stream = Stream::new(payload, target);
            let s = &stream.bytes[..];
            let n = chunk_len(chunk, s);
            let expect = stream.expect;
            group.throughput(Throughput::Bytes(s.len() as u64));

            let mut decoder: Box<FrameDecoder> =
                Box::new(Decoder::new(&LAYOUT, heapless::Vec::new()));
            assert_eq!(framing_decoder(&mut decoder, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_decoder", payload), |b| {
                b.iter(|| framing_decoder(&mut decoder, black_box(s), black_box(n)))
            });

            // The same decoder over a layout only known at run time (built
            // from a format string read from a flag, say): nothing of it can
            // be folded into the code, as it can for the `static` above.
            let runtime = runtime_layout();
            let mut decoder: Box<FrameDecoder> =
                Box::new(Decoder::new(runtime, heapless::Vec::new()));
            assert_eq!(framing_decoder(&mut decoder, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_decoder_rt", payload), |b| {
                b.iter(|| framing_decoder(&mut decoder, black_box(s), black_box(n)))
            });

            let mut streaming = StreamDecoder::new(&LAYOUT, heapless::Vec::new());
            assert_eq!(framing_stream(&mut streaming, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_stream", payload), |b| {
                b.iter(|| framing_stream(&mut streaming, black_box(s), black_box(n)))
            });

            let mut streaming = StreamDecoder::new(runtime, heapless::Vec::new());
            assert_eq!(framing_stream(&mut streaming, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_stream_rt", payload), |b| {
                b.iter(|| framing_stream(&mut streaming, black_box(s), black_box(n)))
            });

            let mut codec = tokio_codec();
            let mut buf = BytesMut::new();
            assert_eq!(tokio_util(&mut codec, &mut buf, s, n), expect);
            group.bench_function(BenchmarkId::new("tokio_util", payload), |b| {
                b.iter(|| tokio_util(&mut codec, &mut buf, black_box(s), black_box(n)))
            });

            let mut codec = FrameCodec::from_static(&LAYOUT);
            let mut buf = BytesMut::new();
            assert_eq!(framing_codec(&mut codec, &mut buf, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_tokio_codec", payload), |b| {
                b.iter(|| framing_codec(&mut codec, &mut buf, black_box(s), black_box(n)))
            });

            assert_eq!(read_exact(s, n), expect);
            group.bench_function(BenchmarkId::new("read_exact", payload), |b| {
                b.iter(|| read_exact(black_box(s), black_box(n)))
            });

            assert_eq!(minimal_loop(s), expect);
            group.bench_function(BenchmarkId::new("minimal_loop", payload), |b| {
                b.iter(|| minimal_loop(black_box(s)))
            });

            let mut dst = vec![0u8; s.len()];
            assert_eq!(memcpy(&mut dst, s, n), s.len());
            assert_eq!(dst, s);
            group.bench_function(BenchmarkId::new("memcpy", payload), |b| {
                b.iter(|| memcpy(black_box(&mut dst), black_box(s), black_box(n)))
            });
        }
        group.finish();
    }
}

/// framing: header and payload into the output buffer.
fn framing_encode(out: &mut [u8], payload: &[u8], frames: usize) -> usize {
    let mut at = 0;
    for _ in 0..frames {
        at += LAYOUT
            .encode(payload, &mut out[at..])
            .expect("room for the frame");
    }
    at
}

/// framing: the header alone, then header and payload as two `IoSlice`s,
/// ready for `write_vectored`; the payload is not copied.
fn framing_header(payload: &[u8], frames: usize) -> usize {
    let mut total = 0;
    for _ in 0..frames {
        let mut header = [0u8; HEADER];
        let n = LAYOUT
            .encode_header(payload.len(), &mut header)
            .expect("room for the header");
        let slices = [IoSlice::new(&header[..n]), IoSlice::new(payload)];
        total += black_box(&slices).iter().map(|s| s.len()).sum::<usize>();
    }
    total
}

/// tokio-util: `Encoder<Bytes>` appends header and payload to a `BytesMut`.
fn tokio_encode(
    codec: &mut LengthDelimitedCodec,
    dst: &mut BytesMut,
    payload: &Bytes,
    frames: usize,
) -> usize {
    dst.clear();
    for _ in 0..frames {
        codec
            .encode(payload.clone(), dst)
            .expect("a frame within the maximum");
    }
    dst.len()
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    configure(&mut group);
    for payload_len in PAYLOADS {
        let stream = Stream::new(payload_len, 4 << 20);
        let s = &stream.bytes[..];
        let frames = stream.expect.frames;
        let payload = s[HEADER..HEADER + payload_len].to_vec();
        group.throughput(Throughput::Bytes(s.len() as u64));

        let mut out = vec![0u8; s.len()];
        assert_eq!(framing_encode(&mut out, &payload, frames), s.len());
        assert_eq!(&out[..HEADER + payload_len], &s[..HEADER + payload_len]);
        group.bench_function(BenchmarkId::new("framing_encode", payload_len), |b| {
            b.iter(|| framing_encode(black_box(&mut out), black_box(&payload), frames))
        });

        assert_eq!(framing_header(&payload, frames), s.len());
        group.bench_function(BenchmarkId::new("framing_header", payload_len), |b| {
            b.iter(|| framing_header(black_box(&payload), frames))
        });

        let mut codec = tokio_codec();
        let mut dst = BytesMut::with_capacity(s.len());
        let bytes = Bytes::from(payload.clone());
        assert_eq!(tokio_encode(&mut codec, &mut dst, &bytes, frames), s.len());
        assert_eq!(&dst[..HEADER + payload_len], &s[..HEADER + payload_len]);
        group.bench_function(BenchmarkId::new("tokio_util", payload_len), |b| {
            b.iter(|| tokio_encode(&mut codec, &mut dst, black_box(&bytes), frames))
        });

        group.bench_function(BenchmarkId::new("memcpy", payload_len), |b| {
            b.iter(|| memcpy(black_box(&mut out), black_box(s), s.len()))
        });
    }
    group.finish();
}

/// A stream of `frames` frames of `payload` bytes encoded under `layout`.
fn encoded(layout: &Layout, payload: usize, target: usize) -> (Vec<u8>, Tally) {
    let frame = layout.frame_len(payload).expect("a small frame");
    let frames = (target / frame).max(4);
    let mut bytes = vec![0u8; frames * frame];
    for (i, out) in bytes.chunks_mut(frame).enumerate() {
        let p: Vec<u8> = (0..payload).map(|j| (i + j) as u8).collect();
        assert_eq!(layout.encode(&p, out), Ok(frame));
    }
    let tally = Tally {
        frames,
        payload: frames * payload,
    };
    (bytes, tally)
}

/// The same decoder loop as `framing_decoder`, for any layout.
fn decode_with(decoder: &mut FrameDecoder, stream: &[u8], chunk: usize) -> Tally {
    framing_decoder(decoder, stream, chunk)
}

static U24: Layout = Layout::builder("!3s").length_field(0).build_or_panic();
static VARINT: Layout = Layout::builder("").varint_length().build_or_panic();
static U32_CRC32: Layout = Layout::builder("!I")
    .trailer(framing_core::Checksum::Crc32)
    .build_or_panic();
static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
static U32_CRC16: Layout = Layout::builder("!I")
    .trailer(framing_core::Checksum::Crc16Xmodem)
    .build_or_panic();
static U32_CRC32C: Layout = Layout::builder("!I")
    .trailer(framing_core::Checksum::Crc32c)
    .build_or_panic();

/// The crc32c crate alone (SSE4.2 `crc32`): CRC-32C over the bytes
/// `U32_CRC32C`'s trailer covers.
fn crc32c_alone(stream: &[u8], frame: usize) -> u32 {
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= crc32c::crc32c(&f[..f.len() - 4]);
    }
    x
}

/// crc-fast alone: `algorithm` over the bytes a trailer of `width` bytes
/// covers (header and payload), frames of `frame` bytes.
fn crc_fast_alone(stream: &[u8], frame: usize, algorithm: crc_fast::CrcAlgorithm) -> u64 {
    let width = if matches!(algorithm, crc_fast::CrcAlgorithm::Crc16Xmodem) {
        2
    } else {
        4
    };
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= crc_fast::checksum(algorithm, &f[..f.len() - width]);
    }
    x
}

/// The `crc` crate alone: CRC-32 over each frame's header and payload (the
/// bytes `U32_CRC32`'s trailer covers), frames of `frame` bytes.
fn crc32_alone(stream: &[u8], frame: usize) -> u32 {
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= CRC32.checksum(&f[..f.len() - 4]);
    }
    x
}

/// The `crc` crate's one-table CRC-16/XMODEM alone over each frame's
/// header and payload (the bytes `U32_CRC16`'s trailer covers).
fn crc16_table_alone(stream: &[u8], frame: usize) -> u16 {
    static CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= CRC16.checksum(&f[..f.len() - 2]);
    }
    x
}

/// crc32fast alone (the fastest CRC-32 crate here: PCLMULQDQ) over the
/// same bytes.
fn crc32fast_alone(stream: &[u8], frame: usize) -> u32 {
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= crc32fast::hash(&f[..f.len() - 4]);
    }
    x
}

/// framing-core's `Checksum::Crc32` alone over the same bytes.
fn checksum_alone(stream: &[u8], frame: usize) -> u32 {
    let mut x = 0;
    for f in stream.chunks(frame) {
        x ^= framing_core::Checksum::Crc32.checksum(&f[..f.len() - 4]);
    }
    x
}

static COBS: Layout = Layout::cobs().max_payload(1 << 16).build_or_panic();
static LINES: Layout = Layout::delimited(b"\n")
    .max_payload(1 << 16)
    .build_or_panic();

/// A stream of `payload`-byte frames under a delimited layout; lines get
/// printable bytes (no newline), COBS any bytes (zeros included).
fn delimited_stream(layout: &Layout, payload: usize, target: usize) -> (Vec<u8>, Tally) {
    let lines = layout.delimiter() == LINES.delimiter();
    let mut bytes = Vec::with_capacity(target + 1024);
    let mut frames = 0;
    let mut out = vec![0u8; layout.max_encoded_len(payload).expect("a small frame")];
    while bytes.len() < target || frames < 4 {
        let p: Vec<u8> = (0..payload)
            .map(|j| {
                let b = (frames * 31 + j * 7) as u8;
                if lines {
                    b'!' + b % 90
                } else {
                    b
                }
            })
            .collect();
        let n = layout.encode(&p, &mut out).expect("encodes");
        bytes.extend_from_slice(&out[..n]);
        frames += 1;
    }
    let tally = Tally {
        frames,
        payload: frames * payload,
    };
    (bytes, tally)
}

/// The cobs crate's streaming decoder, as a user would drive it.
fn cobs_crate(dest: &mut [u8], stream: &[u8], chunk: usize) -> Tally {
    let mut tally = Tally::default();
    let mut dec = cobs::CobsDecoder::new(dest);
    for mut input in stream.chunks(chunk) {
        while !input.is_empty() {
            match dec.push(input).expect("a valid stream") {
                Some(report) => {
                    tally.frame(&dec.dest()[..report.frame_size()]);
                    input = &input[report.parsed_size()..];
                }
                None => break,
            }
        }
    }
    tally
}

/// tokio-util's LinesCodec, fed like `tokio_util` above.
fn tokio_lines(
    codec: &mut tokio_util::codec::LinesCodec,
    buf: &mut BytesMut,
    stream: &[u8],
    chunk: usize,
) -> Tally {
    let mut tally = Tally::default();
    buf.clear();
    for input in stream.chunks(chunk) {
        buf.extend_from_slice(input);
        while let Some(line) = codec.decode(buf).expect("a valid stream") {
            tally.frame(line.as_bytes());
        }
    }
    tally
}

/// The floor for copying: each chunk copied into one reused buffer.
fn memcpy_chunks(dest: &mut [u8], stream: &[u8], chunk: usize) -> usize {
    let mut n = 0;
    for input in stream.chunks(chunk) {
        dest[..input.len()].copy_from_slice(input);
        n += black_box(&dest[..input.len()]).len();
    }
    n
}

/// The floor for lines: memchr for each `\n` in each chunk, and the
/// line's bytes copied into one reused `Vec` (a line may straddle chunks).
fn memchr_memcpy(line: &mut Vec<u8>, stream: &[u8], chunk: usize) -> usize {
    let mut lines = 0;
    line.clear();
    for mut input in stream.chunks(chunk) {
        while let Some(p) = memchr::memchr(b'\n', input) {
            line.extend_from_slice(&input[..p]);
            black_box(&line);
            line.clear();
            lines += 1;
            input = &input[p + 1..];
        }
        line.extend_from_slice(input);
    }
    lines
}

fn delimited(c: &mut Criterion) {
    for chunk in [WHOLE, 1500, 64, 7] {
        let name = if chunk == WHOLE {
            "delimited_whole".to_string()
        } else {
            format!("delimited_{chunk}")
        };
        let mut group = c.benchmark_group(name);
        configure(&mut group);
        for payload in [16usize, 256, 4096, 65536] {
            // 64 KiB lines in 1500-byte chunks only (issue 23's cell).
            if payload == 65536 && chunk != 1500 {
                continue;
            }
            let (stream, expect) = delimited_stream(&COBS, payload, 4 << 20);
            let s = &stream[..];
            let n = chunk_len(chunk, s);
            group.throughput(Throughput::Bytes(s.len() as u64));
            let mut decoder: Box<FrameDecoder> =
                Box::new(Decoder::new(&COBS, heapless::Vec::new()));
            assert_eq!(decode_with(&mut decoder, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_cobs", payload), |b| {
                b.iter(|| decode_with(&mut decoder, black_box(s), black_box(n)))
            });
            let mut dest = vec![0u8; BUF];
            assert_eq!(cobs_crate(&mut dest, s, n), expect);
            group.bench_function(BenchmarkId::new("cobs_crate", payload), |b| {
                b.iter(|| cobs_crate(&mut dest, black_box(s), black_box(n)))
            });
            let mut copy = vec![0u8; n.min(s.len())];
            group.bench_function(BenchmarkId::new("cobs_memcpy", payload), |b| {
                b.iter(|| memcpy_chunks(&mut copy, black_box(s), black_box(n)))
            });

            let (stream, expect) = delimited_stream(&LINES, payload, 4 << 20);
            let s = &stream[..];
            let n = chunk_len(chunk, s);
            let mut decoder: Box<FrameDecoder> =
                Box::new(Decoder::new(&LINES, heapless::Vec::new()));
            assert_eq!(decode_with(&mut decoder, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_lines", payload), |b| {
                b.iter(|| decode_with(&mut decoder, black_box(s), black_box(n)))
            });
            let mut codec = tokio_util::codec::LinesCodec::new();
            let mut buf = BytesMut::new();
            assert_eq!(tokio_lines(&mut codec, &mut buf, s, n), expect);
            group.bench_function(BenchmarkId::new("tokio_lines", payload), |b| {
                b.iter(|| tokio_lines(&mut codec, &mut buf, black_box(s), black_box(n)))
            });
            let mut codec = FrameCodec::from_static(&LINES);
            assert_eq!(framing_codec(&mut codec, &mut buf, s, n), expect);
            group.bench_function(BenchmarkId::new("framing_lines_codec", payload), |b| {
                b.iter(|| framing_codec(&mut codec, &mut buf, black_box(s), black_box(n)))
            });
            let mut line = Vec::with_capacity(payload + 1);
            assert_eq!(memchr_memcpy(&mut line, s, n), expect.frames);
            group.bench_function(BenchmarkId::new("memchr_memcpy", payload), |b| {
                b.iter(|| memchr_memcpy(&mut line, black_box(s), black_box(n)))
            });
        }
        group.finish();
    }
}

fn lengths(c: &mut Criterion) {
    for chunk in [WHOLE, 1500] {
        let name = if chunk == WHOLE {
            "lengths_whole".to_string()
        } else {
            format!("lengths_{chunk}")
        };
        let mut group = c.benchmark_group(name);
        configure(&mut group);
        for payload in [16usize, 256, 4096] {
            for (id, layout) in [
                ("u32", &LAYOUT),
                ("u24", &U24),
                ("varint", &VARINT),
                ("u32_crc32", &U32_CRC32),
                ("u32_crc32c", &U32_CRC32C),
                ("u32_crc16", &U32_CRC16),
            ] {
                let (stream, expect) = encoded(layout, payload, 4 << 20);
                let s = &stream[..];
                let n = chunk_len(chunk, s);
                group.throughput(Throughput::Bytes(s.len() as u64));
                let mut decoder: Box<FrameDecoder> =
                    Box::new(Decoder::new(layout, heapless::Vec::new()));
                assert_eq!(decode_with(&mut decoder, s, n), expect);
                group.bench_function(BenchmarkId::new(id, payload), |b| {
                    b.iter(|| decode_with(&mut decoder, black_box(s), black_box(n)))
                });
                if id == "u32_crc32c" {
                    let frame = U32_CRC32C.frame_len(payload).expect("a small frame");
                    group.bench_function(BenchmarkId::new("crc32c_alone", payload), |b| {
                        b.iter(|| crc32c_alone(black_box(s), frame))
                    });
                    let fast = crc_fast::CrcAlgorithm::Crc32Iscsi;
                    group.bench_function(BenchmarkId::new("crc32c_fast_alone", payload), |b| {
                        b.iter(|| crc_fast_alone(black_box(s), frame, fast))
                    });
                }
                if id == "u32_crc16" {
                    let frame = U32_CRC16.frame_len(payload).expect("a small frame");
                    let fast = crc_fast::CrcAlgorithm::Crc16Xmodem;
                    group.bench_function(BenchmarkId::new("crc16_fast_alone", payload), |b| {
                        b.iter(|| crc_fast_alone(black_box(s), frame, fast))
                    });
                    group.bench_function(BenchmarkId::new("crc16_table_alone", payload), |b| {
                        b.iter(|| crc16_table_alone(black_box(s), frame))
                    });
                }
                if id == "u32_crc32" {
                    let frame = U32_CRC32.frame_len(payload).expect("a small frame");
                    group.bench_function(BenchmarkId::new("crc32_alone", payload), |b| {
                        b.iter(|| crc32_alone(black_box(s), frame))
                    });
                    group.bench_function(BenchmarkId::new("crc32fast_alone", payload), |b| {
                        b.iter(|| crc32fast_alone(black_box(s), frame))
                    });
                    group.bench_function(BenchmarkId::new("checksum_alone", payload), |b| {
                        b.iter(|| checksum_alone(black_box(s), frame))
                    });
                }
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Criterion's own plots take seconds per benchmark; benches/chart.py
    // draws the chart from the estimates instead.
    config = Criterion::default().without_plots();
    targets = decode, encode, lengths, delimited
}
criterion_main!(benches);
