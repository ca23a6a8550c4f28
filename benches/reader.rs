//! The std readers in memory: framing-std's `FrameReader` beside the core
//! `Decoder` it wraps and the hand-written loops a careful user writes,
//! each over the same bytes handed out by a `Read` that gives at most 64 KiB
//! a call (what a socket gives the default read size), in the same run.
//!
//! ```text
//!  group reader_<layout>
//!    core_decoder/<p>       the core Decoder fed the stream's 64 KiB chunks
//!                           (no reader: the ceiling for FrameReader)
//!    frame_reader/<p>       FrameReader::next_frame, borrowed frames
//!    owned_frames/<p>       `for frame in reader`: owned frames
//!    hand_reuse/<p>         BufReader (64 KiB) + read_exact of the header,
//!                           then of the payload into one reused Vec
//!    hand_fresh/<p>         the same, a fresh Vec per payload
//! ```
//!
//! `!I` frames of 16, 256 and 65536-byte payloads, and varint-length
//! frames (no header, protobuf-delimited) of 100 bytes; about 4 MiB a
//! stream. `cargo bench --bench reader`; `-- --quick` for a short run.

use std::hint::black_box;
use std::io::{self, BufReader, Cursor, Read};
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use framing_core::{Decoded, Decoder, Layout};
use framing_std::FrameReader;

/// One read's most: framing-std's default read size.
const READ: usize = 64 * 1024;
/// Bytes of frames a stream holds, about.
const TARGET: usize = 4 << 20;

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

/// How a header is written and read by hand.
#[derive(Clone, Copy)]
enum Head {
    /// A big-endian u32 length (`!I`).
    U32,
    /// A LEB128 varint length, no fixed header.
    Varint,
}

impl Head {
    fn layout(self) -> Layout {
        match self {
            Head::U32 => Layout::new("!I"),
            Head::Varint => Layout::builder("")
                .varint_length()
                .build()
                .expect("a varint layout"),
        }
    }

    fn write(self, len: usize, out: &mut Vec<u8>) {
        match self {
            Head::U32 => out.extend_from_slice(&(len as u32).to_be_bytes()),
            Head::Varint => {
                let mut v = len as u64;
                loop {
                    let byte = (v & 0x7f) as u8;
                    v >>= 7;
                    if v == 0 {
                        out.push(byte);
                        break;
                    }
                    out.push(byte | 0x80);
                }
            }
        }
    }

    /// The hand loop's header read: the payload length, or `None` at the
    /// end of the stream.
    #[inline(always)]
    fn read(self, reader: &mut impl Read) -> Option<usize> {
        match self {
            Head::U32 => {
                let mut header = [0u8; 4];
                match reader.read_exact(&mut header) {
                    Ok(()) => Some(u32::from_be_bytes(header) as usize),
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
                    Err(e) => panic!("{e}"),
                }
            }
            Head::Varint => {
                let (mut value, mut shift) = (0u64, 0);
                loop {
                    let mut byte = [0u8];
                    match reader.read_exact(&mut byte) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && shift == 0 => {
                            return None
                        }
                        Err(e) => panic!("{e}"),
                    }
                    value |= u64::from(byte[0] & 0x7f) << shift;
                    if byte[0] & 0x80 == 0 {
                        return Some(value as usize);
                    }
                    shift += 7;
                }
            }
        }
    }
}

/// About `TARGET` bytes of frames with `payload`-byte payloads.
fn stream(head: Head, payload: usize) -> (Vec<u8>, Tally) {
    let mut bytes = Vec::with_capacity(TARGET + payload + 16);
    let mut expect = Tally::default();
    let mut i = 0usize;
    while bytes.len() < TARGET || expect.frames < 4 {
        head.write(payload, &mut bytes);
        bytes.extend((0..payload).map(|j| (i + j) as u8));
        expect.frames += 1;
        expect.payload += payload;
        i += 1;
    }
    (bytes, expect)
}

/// A `Read` that hands out at most `READ` bytes a call, as a socket does.
struct Chunked<'a> {
    inner: Cursor<&'a [u8]>,
}

impl<'a> Chunked<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Chunked {
            inner: Cursor::new(bytes),
        }
    }
}

impl Read for Chunked<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(READ);
        self.inner.read(&mut buf[..n])
    }
}

/// The core decoder over the stream's 64 KiB chunks.
fn core_decoder(layout: &Layout, buf: &mut [u8], stream: &[u8]) -> Tally {
    let mut decoder = Decoder::new(layout, framing_core::SliceBuffer::new(buf));
    let mut tally = Tally::default();
    for mut input in stream.chunks(READ) {
        while let Some(item) = decoder.decode(&mut input).expect("a valid stream") {
            if let Decoded::Frame(frame) = item {
                tally.frame(frame.payload());
            }
        }
    }
    decoder.finish().expect("a clean end");
    tally
}

fn frame_reader(layout: &Layout, stream: &[u8]) -> Tally {
    let mut reader = FrameReader::new(Chunked::new(stream), *layout);
    let mut tally = Tally::default();
    while let Some(frame) = reader.next_frame().expect("a valid stream") {
        tally.frame(frame.payload());
    }
    tally
}

fn owned_frames(layout: &Layout, stream: &[u8]) -> Tally {
    let mut tally = Tally::default();
    for frame in FrameReader::new(Chunked::new(stream), *layout) {
        tally.frame(frame.expect("a valid stream").payload());
    }
    tally
}

fn hand_reuse(head: Head, stream: &[u8]) -> Tally {
    let mut reader = BufReader::with_capacity(READ, Chunked::new(stream));
    let mut payload = Vec::new();
    let mut tally = Tally::default();
    while let Some(len) = head.read(&mut reader) {
        payload.resize(len, 0);
        reader.read_exact(&mut payload).expect("a whole payload");
        tally.frame(&payload);
    }
    tally
}

fn hand_fresh(head: Head, stream: &[u8]) -> Tally {
    let mut reader = BufReader::with_capacity(READ, Chunked::new(stream));
    let mut tally = Tally::default();
    while let Some(len) = head.read(&mut reader) {
        let mut payload = vec![0u8; len];
        reader.read_exact(&mut payload).expect("a whole payload");
        tally.frame(&payload);
    }
    tally
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sampling_mode(SamplingMode::Flat);
}

fn readers(c: &mut Criterion) {
    for (name, head, payloads) in [
        ("reader_u32", Head::U32, &[16usize, 256, 65536][..]),
        ("reader_varint", Head::Varint, &[100][..]),
    ] {
        let layout = head.layout();
        let mut group = c.benchmark_group(name);
        configure(&mut group);
        for &payload in payloads {
            let (bytes, expect) = stream(head, payload);
            let s = &bytes[..];
            group.throughput(Throughput::Bytes(s.len() as u64));
            let mut buf = vec![0u8; payload + 16];

            assert_eq!(core_decoder(&layout, &mut buf, s), expect);
            group.bench_function(BenchmarkId::new("core_decoder", payload), |b| {
                b.iter(|| core_decoder(&layout, &mut buf, black_box(s)))
            });
            assert_eq!(frame_reader(&layout, s), expect);
            group.bench_function(BenchmarkId::new("frame_reader", payload), |b| {
                b.iter(|| frame_reader(&layout, black_box(s)))
            });
            assert_eq!(owned_frames(&layout, s), expect);
            group.bench_function(BenchmarkId::new("owned_frames", payload), |b| {
                b.iter(|| owned_frames(&layout, black_box(s)))
            });
            assert_eq!(hand_reuse(head, s), expect);
            group.bench_function(BenchmarkId::new("hand_reuse", payload), |b| {
                b.iter(|| hand_reuse(head, black_box(s)))
            });
            assert_eq!(hand_fresh(head, s), expect);
            group.bench_function(BenchmarkId::new("hand_fresh", payload), |b| {
                b.iter(|| hand_fresh(head, black_box(s)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, readers);
criterion_main!(benches);
