//! What one frame costs each reader, for callgrind (instructions) and a
//! repeat loop (nanoseconds): the program behind the instruction counts
//! and the "time a frame" tables of BENCHMARKS.md's issue-21 sections.
//! Not a criterion benchmark: one reader, one run, one figure.
//!
//! ```sh
//! cargo bench --bench reader_cost -- owned 16          # checks, then 1 pass
//! REPS=200 cargo bench --bench reader_cost -- owned 16 # ns a frame
//! ```
//!
//! Instructions a frame: the same binary under callgrind, collecting in
//! `reader_cost::run` only, for a reader and for `none` (which only walks
//! the stream), the difference divided by the frames:
//!
//! ```sh
//! cargo bench --bench reader_cost --no-run   # prints the binary's path
//! valgrind --tool=callgrind --toggle-collect='reader_cost::run' BINARY owned 16
//! valgrind --tool=callgrind --toggle-collect='reader_cost::run' BINARY none 16
//! ```
//!
//! Readers: `core` (the core `Decoder` over 64 KiB chunks), `ccore` (the
//! same, each chunk first copied into one reused 64 KiB buffer, as a
//! `Read` into a read buffer copies it: the floor for a reader that
//! copies what it reads), `reader`
//! (`FrameReader::next_frame`), `owned` (`for frame in reader`), `nowned`
//! (a `next_owned_frame` loop), `hand` (`BufReader` + `read_exact` into one
//! reused `Vec`), `embedded` and `easync` (framing-core's blocking and async
//! embedded readers), `tokio` and `towned` (framing-std's tokio reader,
//! `next_frame` and `next_owned_frame`, polled with a waker that does
//! nothing), `codec` and `tutil` (framing-std's `FrameCodec` and
//! tokio-util's `LengthDelimitedCodec`, or its `LinesCodec` for lines, fed
//! chunks of `CHUNK` bytes or 64 KiB through a `BytesMut`, as `FramedRead`
//! feeds them),
//! `none`. A `v` prefix reads 1-byte varint heads
//! instead of `!I`, an `l` prefix lines (`\n`), a `z` prefix COBS frames
//! (payloads with no zero: one block each up to 254 bytes), an `s` prefix
//! SLIP frames (the same payloads), a `p` prefix RESP simple strings
//! (`+...\r\n`, the number the whole value's size), an `x` prefix
//! `!I` with a CRC-16/XMODEM trailer, a `k` prefix with CRC-32; the number is
//! the payload size. Every reader reads the same 4 MiB stream from a
//! `&[u8]` handing out 64 KiB a read (the core: chunks of `CHUNK` bytes if
//! set, `CHUNK=7 ... zcore 16`), and its payload bytes are checked.

use std::future::Future;
use std::hint::black_box;
use std::io::{self, BufReader, Cursor, Read};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use framing_core::{Checksum, Decoded, Decoder, Delimiter, Layout, Separator, SliceBuffer};
use framing_std::FrameReader;

const READ: usize = 64 * 1024;

/// A `&[u8]` handing out at most [`READ`] bytes a read.
struct Chunked<'a>(Cursor<&'a [u8]>);

impl Read for Chunked<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(READ);
        self.0.read(&mut buf[..n])
    }
}

impl tokio::io::AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(READ);
        let got = self.0.read(buf.initialize_unfilled_to(n))?;
        buf.advance(got);
        Poll::Ready(Ok(()))
    }
}

/// Polls a future to the end, pinned where it is made, with a waker
/// that does nothing (the readers here never wait): one call a frame, as
/// a caller's loop awaits each. (A function taking the future by value
/// measured 80 instructions a frame more for `easync`: the future moved.)
macro_rules! ready {
    ($future:expr) => {{
        let mut cx = Context::from_waker(Waker::noop());
        let mut future = pin!($future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                break out;
            }
        }
    }};
}

/// How frames are framed.
#[derive(Clone, Copy, PartialEq)]
enum Head {
    U32,
    Varint,
    Lines,
    Cobs,
    Slip,
    /// RESP simple strings (`+...\r\n`), the frame the whole value.
    Resp,
    /// `!I` and a trailer of this checksum.
    Crc(Checksum),
}

/// The payload bytes `reader` read from `stream`.
#[inline(never)]
fn run(reader: &str, head: Head, layout: &Layout, stream: &[u8], payload: usize) -> usize {
    let mut n = 0;
    let source = || Chunked(Cursor::new(stream));
    match reader {
        "none" => n = black_box(stream.len()),
        "core" => {
            let mut buf = vec![0; payload + 16];
            let mut decoder = Decoder::new(layout, SliceBuffer::new(&mut buf));
            // `CHUNK=7` feeds 7-byte chunks (the core only; 64 KiB unless told).
            let chunk = std::env::var("CHUNK").map_or(READ, |c| c.parse().expect("a chunk size"));
            for mut input in stream.chunks(chunk) {
                while let Some(item) = decoder.decode(&mut input).expect("a valid stream") {
                    if let Decoded::Frame(f) = item {
                        n += black_box(f.payload().len());
                    }
                }
            }
        }
        "reader" => {
            let mut r = FrameReader::new(source(), *layout);
            while let Some(f) = r.next_frame().expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        "owned" => {
            for f in FrameReader::new(source(), *layout) {
                n += black_box(f.expect("a valid stream").payload().len());
            }
        }
        "nowned" => {
            let mut r = FrameReader::new(source(), *layout);
            while let Some(f) = r.next_owned_frame().expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        "hand" => n = hand(head, stream),
        "ccore" => {
            let mut buf = vec![0; payload + 16];
            let mut read = vec![0; READ];
            let mut decoder = Decoder::new(layout, SliceBuffer::new(&mut buf));
            for chunk in stream.chunks(READ) {
                let read = &mut read[..chunk.len()];
                read.copy_from_slice(chunk);
                // Opaque, as bytes a `Read` wrote are.
                let mut input: &[u8] = black_box(read);
                while let Some(item) = decoder.decode(&mut input).expect("a valid stream") {
                    if let Decoded::Frame(f) = item {
                        n += black_box(f.payload().len());
                    }
                }
            }
        }
        "codec" | "tutil" => {
            use tokio_util::codec::Decoder as _;
            // `CHUNK=7`: 7-byte chunks, as for the core.
            let chunk = std::env::var("CHUNK").map_or(READ, |c| c.parse().expect("a chunk size"));
            let mut buf = bytes::BytesMut::new();
            if reader == "codec" {
                let mut codec = framing_std::FrameCodec::new(*layout);
                for input in stream.chunks(chunk) {
                    buf.extend_from_slice(input);
                    while let Some(item) = codec.decode(&mut buf).expect("a valid stream") {
                        n += black_box(item.frame().expect("a frame").payload().len());
                    }
                }
            } else if head == Head::Lines {
                let mut codec = tokio_util::codec::LinesCodec::new();
                for input in stream.chunks(chunk) {
                    buf.extend_from_slice(input);
                    while let Some(line) = codec.decode(&mut buf).expect("a valid stream") {
                        n += black_box(line.len());
                    }
                }
            } else {
                assert!(
                    head == Head::U32,
                    "tokio-util's codecs read `!I` heads and lines here"
                );
                let mut codec = tokio_util::codec::LengthDelimitedCodec::builder()
                    .max_frame_length(1 << 20)
                    .new_codec();
                for input in stream.chunks(chunk) {
                    buf.extend_from_slice(input);
                    while let Some(frame) = codec.decode(&mut buf).expect("a valid stream") {
                        n += black_box(frame.len());
                    }
                }
            }
        }
        "tokio" => {
            let mut r = framing_std::tokio::FrameReader::new(source(), *layout);
            while let Some(f) = ready!(r.next_frame()).expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        "towned" => {
            let mut r = framing_std::tokio::FrameReader::new(source(), *layout);
            while let Some(f) = ready!(r.next_owned_frame()).expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        "embedded" => {
            let (mut rb, mut db) = (vec![0; READ], vec![0; payload + 16]);
            let decoder = Decoder::new(layout, SliceBuffer::new(&mut db));
            let mut r = framing_core::embedded::FrameReader::new(stream, decoder, &mut rb);
            while let Some(f) = r.next_frame().expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        "easync" => {
            let (mut rb, mut db) = (vec![0; READ], vec![0; payload + 16]);
            let decoder = Decoder::new(layout, SliceBuffer::new(&mut db));
            let mut r = framing_core::embedded_async::FrameReader::new(stream, decoder, &mut rb);
            while let Some(f) = ready!(r.next_frame()).expect("a valid stream") {
                n += black_box(f.payload().len());
            }
        }
        other => panic!("no reader {other:?}: see the module docs"),
    }
    n
}

/// The loop the tutorial's receiver becomes when fixed by hand: the head
/// with `read_exact`, then the payload into one reused `Vec`.
fn hand(head: Head, stream: &[u8]) -> usize {
    assert!(
        matches!(head, Head::U32 | Head::Varint),
        "the hand loop reads length heads"
    );
    let mut r = BufReader::with_capacity(READ, Chunked(Cursor::new(stream)));
    let mut payload = Vec::new();
    let mut n = 0;
    loop {
        let len = if head == Head::Varint {
            let (mut value, mut shift) = (0u64, 0);
            loop {
                let mut b = [0];
                if r.read_exact(&mut b).is_err() {
                    return n;
                }
                value |= u64::from(b[0] & 0x7f) << shift;
                if b[0] & 0x80 == 0 {
                    break;
                }
                shift += 7;
            }
            value as usize
        } else {
            let mut h = [0; 4];
            if r.read_exact(&mut h).is_err() {
                return n;
            }
            u32::from_be_bytes(h) as usize
        };
        payload.resize(len, 0);
        r.read_exact(&mut payload).expect("a whole payload");
        n += black_box(payload.len());
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let Some(arg) = args.next() else {
        // `cargo bench` with no arguments runs every bench target: nothing
        // to measure here then.
        eprintln!("reader_cost: give a reader and a payload size (see the source)");
        return;
    };
    let payload: usize = args
        .next()
        .map_or(16, |p| p.parse().expect("a payload size"));
    let (head, reader) = match arg.as_bytes().first() {
        Some(b'v') => (Head::Varint, &arg[1..]),
        Some(b'l') => (Head::Lines, &arg[1..]),
        Some(b'z') => (Head::Cobs, &arg[1..]),
        Some(b's') => (Head::Slip, &arg[1..]),
        Some(b'p') => (Head::Resp, &arg[1..]),
        Some(b'x') => (Head::Crc(Checksum::Crc16Xmodem), &arg[1..]),
        Some(b'k') => (Head::Crc(Checksum::Crc32), &arg[1..]),
        _ => (Head::U32, &arg[..]),
    };
    const READERS: [&str; 13] = [
        "none", "core", "ccore", "reader", "owned", "nowned", "hand", "embedded", "easync",
        "tokio", "towned", "codec", "tutil",
    ];
    if !READERS.contains(&reader) {
        // A filter meant for the criterion benches (`cargo bench -- NAME`
        // runs every bench target with it).
        eprintln!("reader_cost: no reader {arg:?}, nothing run (see the source)");
        return;
    }
    let layout = match head {
        Head::U32 => Layout::new("!I"),
        Head::Varint => Layout::builder("")
            .varint_length()
            .build()
            .expect("a layout"),
        Head::Lines => {
            let newline = Separator::new(b"\n").expect("a separator");
            Layout::with_delimiter(Delimiter::Bytes(newline))
                .build()
                .expect("a layout")
        }
        Head::Cobs => Layout::cobs().build().expect("a layout"),
        Head::Slip => Layout::slip().build().expect("a layout"),
        Head::Resp => Layout::resp().build().expect("a layout"),
        Head::Crc(sum) => Layout::builder("!I")
            .trailer(sum)
            .build()
            .expect("a layout"),
    };
    // Room for any encoding here (SLIP doubles an escaped byte).
    let mut out = vec![0; 2 * payload + 16];
    let (mut stream, mut frames) = (Vec::new(), 0);
    while stream.len() < 4 << 20 {
        match head {
            Head::Lines => {
                stream.extend((0..payload).map(|j| b'a' + (j % 26) as u8));
                stream.push(b'\n');
            }
            Head::Varint => {
                let mut v = payload as u64;
                while v >= 0x80 {
                    stream.push(v as u8 | 0x80);
                    v >>= 7;
                }
                stream.push(v as u8);
                stream.extend((0..payload).map(|j| j as u8));
            }
            Head::Cobs | Head::Slip | Head::Crc(_) => {
                let p: Vec<u8> = (0..payload).map(|j| (j % 255 + 1) as u8).collect();
                let n = layout.encode(&p, &mut out).expect("encodes");
                stream.extend_from_slice(&out[..n]);
            }
            Head::Resp => {
                // The value is the frame: `payload` bytes in all.
                assert!(payload >= 3, "a RESP simple string takes 3 bytes");
                stream.push(b'+');
                stream.extend((0..payload - 3).map(|j| b'a' + (j % 26) as u8));
                stream.extend_from_slice(b"\r\n");
            }
            Head::U32 => {
                stream.extend_from_slice(&(payload as u32).to_be_bytes());
                stream.extend((0..payload).map(|j| j as u8));
            }
        }
        frames += 1;
    }
    let reps: usize = std::env::var("REPS").map_or(1, |r| r.parse().expect("a count"));
    let start = Instant::now();
    for _ in 0..reps {
        let n = run(reader, head, &layout, &stream, payload);
        if reader != "none" {
            assert_eq!(n, frames * payload, "{reader} read the wrong bytes");
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / (reps * frames) as f64;
    println!("{arg} {payload}: {frames} frames, {ns:.2} ns a frame over {reps} passes");
}
