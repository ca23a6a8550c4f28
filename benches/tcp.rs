//! End to end over TCP on 127.0.0.1: a sender thread writes frames with a
//! 4-byte big-endian length header (`Layout::new("!I")`) and 16-byte or
//! 64 KiB payloads, as fast as the socket takes them; the receiver is
//!
//! ```text
//!  group tcp
//!    framing_std/<p>           framing-std FrameReader::next_frame (64 KiB reads)
//!    framing_std_owned/<p>     the same reader as an Iterator of owned frames
//!    framing_std_tokio/<p>     framing_std::tokio::FrameReader::next_frame().await over a
//!                              tokio TcpStream, on a current-thread runtime (64 KiB reads)
//!    framing_std_tokio_owned/<p>  the same reader's next_owned_frame().await
//!    framing_codec_framed_read/<p>  FramedRead<TcpStream, framing's FrameCodec>
//!                              (64 KiB capacity), `next().await`: the codec beside
//!                              tokio_framed_read
//!    raw_read/<p>              a read loop into a 64 KiB buffer, no framing at all:
//!                              what the socket gives
//!    minimal_loop/<p>          a hand-written frame loop over the same 64 KiB reads:
//!                              slice each whole frame, move a partial one to the
//!                              front and read after it (no checks): the floor for
//!                              a framing reader
//!    tokio_util/<p>            read 64 KiB chunks, append to a BytesMut, decode until None
//!    tokio_framed_read/<p>     tokio-util's FramedRead<TcpStream, LengthDelimitedCodec>,
//!                              `next().await` on a current-thread runtime: what
//!                              a tokio user writes
//!    bufreader_read_exact/<p>  BufReader (64 KiB) + read_exact header, a fresh
//!                              Vec per payload
//!    bufreader_reuse/<p>       the same, the payload read into one reused Vec:
//!                              the tutorial's receiver fixed by a careful hand
//! ```
//!
//! The sender writes the same 1 MiB block again and again: as many frames of
//! the payload size as fit, then one shorter frame that fills the block
//! exactly (see `Block`). Each iteration receives 8 blocks, 8 MiB of whole
//! frames (the raw loop carries over what it read past them), so no
//! measurement waits on a timer. The sender is started once per contender
//! and payload size, before timing.
//!
//! `cargo bench --bench tcp`; `-- --quick` for a short run.

use std::hint::black_box;
use std::io::{self, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use framing_core::Layout;
use framing_std::FrameReader;
use tokio_util::codec::{Decoder as _, LengthDelimitedCodec};

const LAYOUT: Layout = Layout::new("!I");
const HEADER: usize = 4;
const PAYLOADS: [usize; 2] = [16, 65536];
/// Bytes received per iteration: a multiple of `WRITE`.
const PER_ITER: usize = 8 << 20;
/// Size of every write of the sender.
const WRITE: usize = 1 << 20;
/// Read size for every receiver: framing-std's default.
const READ: usize = 64 * 1024;

/// What the sender writes, again and again: `WRITE` bytes of frames.
///
/// The block is exactly 1 MiB, so every write starts at the same
/// address and every stream offset keeps its place within a page. That
/// matters more than any receiver on the reference machine: with writes of
/// 1 MiB + 64 bytes the raw read loop ran at less than half the rate of
/// writes of exactly 1 MiB, and the rates jumped from run to run.
struct Block {
    bytes: Vec<u8>,
    /// Frames in the block, the filler included.
    frames: usize,
    /// Payload bytes in the block.
    payload: usize,
}

impl Block {
    fn new(payload: usize) -> Self {
        let frame_len = HEADER + payload;
        let mut whole = WRITE / frame_len;
        if (1..HEADER).contains(&(WRITE - whole * frame_len)) {
            whole -= 1; // leave room for the filler's header
        }
        let mut bytes = Vec::with_capacity(WRITE);
        let mut push = |len: usize| {
            bytes.extend_from_slice(&(len as u32).to_be_bytes());
            bytes.extend((0..len).map(|j| j as u8));
        };
        for _ in 0..whole {
            push(payload);
        }
        let rest = WRITE - whole * frame_len;
        let mut frames = whole;
        let mut total = whole * payload;
        if rest > 0 {
            push(rest - HEADER);
            frames += 1;
            total += rest - HEADER;
        }
        assert_eq!(bytes.len(), WRITE);
        Block {
            bytes,
            frames,
            payload: total,
        }
    }
}

/// A connected socket and the thread that fills it.
struct Link {
    stream: TcpStream,
    sender: JoinHandle<()>,
}

impl Link {
    /// Connects to a sender thread that writes `block` until the receiver
    /// closes.
    fn open(block: Vec<u8>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let sender = thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("the receiver connects");
            // Ends when the receiver closes (broken pipe / reset).
            while socket.write_all(&block).is_ok() {}
        });
        let stream = TcpStream::connect(addr)?;
        Ok(Link { stream, sender })
    }

    /// Closes the socket with unread bytes in it, so the kernel resets the
    /// connection and the sender's blocked write fails; then joins it.
    fn close(self) {
        let Link { stream, sender } = self;
        drop(stream);
        sender.join().expect("the sender thread ends cleanly");
    }
}

/// What one iteration receives.
#[derive(Clone, Copy)]
struct Quota {
    frames: usize,
    bytes: usize,
    payload: usize,
}

/// A receiver: takes a quota of frames off the socket and returns the
/// payload bytes it saw (the raw loop, which sees no frames: the quota's).
trait Receiver {
    fn receive(&mut self, quota: Quota) -> usize;
}

/// framing-std's reader: frames borrowed from its read buffer.
struct Framing<'a>(FrameReader<&'a TcpStream>);

impl Receiver for Framing<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        for _ in 0..quota.frames {
            let frame = self.0.next_frame().expect("read").expect("a frame");
            seen += black_box(frame.payload().len());
        }
        seen
    }
}

/// framing-std's reader, owned frames: `for frame in reader`.
struct FramingOwned<'a>(FrameReader<&'a TcpStream>);

impl Receiver for FramingOwned<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        for frame in self.0.by_ref().take(quota.frames) {
            seen += black_box(frame.expect("read").payload().len());
        }
        seen
    }
}

/// framing-std's async tokio reader: frames borrowed from its read buffer,
/// awaited on a current-thread runtime (one `block_on` per iteration).
struct FramingTokio {
    runtime: tokio::runtime::Runtime,
    reader: framing_std::tokio::FrameReader<tokio::net::TcpStream>,
    /// Owned frames (`next_owned_frame`) instead of borrowed ones.
    owned: bool,
}

/// A clone of `stream`, made non-blocking and registered with a new
/// current-thread runtime.
fn tokio_stream(
    stream: &TcpStream,
) -> io::Result<(tokio::runtime::Runtime, tokio::net::TcpStream)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let stream = stream.try_clone()?;
    stream.set_nonblocking(true)?;
    let stream = {
        let _entered = runtime.enter();
        tokio::net::TcpStream::from_std(stream)?
    };
    Ok((runtime, stream))
}

impl FramingTokio {
    fn new(stream: &TcpStream, owned: bool) -> io::Result<Self> {
        let (runtime, stream) = tokio_stream(stream)?;
        let reader = framing_std::tokio::FrameReader::new(stream, LAYOUT);
        Ok(FramingTokio {
            runtime,
            reader,
            owned,
        })
    }
}

impl Receiver for FramingTokio {
    fn receive(&mut self, quota: Quota) -> usize {
        let reader = &mut self.reader;
        // One loop a kind of frame: a branch between the two awaits inside
        // one loop made the borrowed loop 1.6x-1.9x slower (a larger
        // future, polled every frame).
        if self.owned {
            return self.runtime.block_on(async {
                let mut seen = 0;
                for _ in 0..quota.frames {
                    let frame = reader.next_owned_frame().await;
                    seen += black_box(frame.expect("read").expect("a frame").payload().len());
                }
                seen
            });
        }
        self.runtime.block_on(async {
            let mut seen = 0;
            for _ in 0..quota.frames {
                let frame = reader.next_frame().await.expect("read").expect("a frame");
                seen += black_box(frame.payload().len());
            }
            seen
        })
    }
}

/// framing's codec as a tokio-util user drives it: `FramedRead` +
/// `FrameCodec`, `next().await`.
struct FramingFramed {
    runtime: tokio::runtime::Runtime,
    frames: tokio_util::codec::FramedRead<tokio::net::TcpStream, framing_std::codec::FrameCodec>,
}

impl FramingFramed {
    fn new(stream: &TcpStream) -> io::Result<Self> {
        let (runtime, stream) = tokio_stream(stream)?;
        let codec = framing_std::codec::FrameCodec::from_static(&LAYOUT);
        let frames = tokio_util::codec::FramedRead::with_capacity(stream, codec, READ);
        Ok(FramingFramed { runtime, frames })
    }
}

impl Receiver for FramingFramed {
    fn receive(&mut self, quota: Quota) -> usize {
        use futures_util::StreamExt;
        let frames = &mut self.frames;
        self.runtime.block_on(async {
            let mut seen = 0;
            for _ in 0..quota.frames {
                let item = frames.next().await.expect("a frame").expect("read");
                seen += black_box(item.frame().expect("no reports").payload().len());
            }
            seen
        })
    }
}

/// No framing: read what the socket gives until the bytes are in.
struct Raw<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
    /// Bytes read past the previous iteration's end.
    carry: usize,
}

impl Receiver for Raw<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let want = quota.bytes;
        let mut got = self.carry;
        while got < want {
            let n = self.stream.read(&mut self.buf).expect("read");
            assert!(n > 0, "the sender never stops");
            got += black_box(n);
        }
        self.carry = got - want;
        quota.payload
    }
}

/// The least a framing reader can do: frames sliced from the read buffer,
/// the start of a frame moved to the front and the rest read after it, the
/// buffer grown for a frame longer than it. No validation at all.
struct Minimal<'a> {
    stream: &'a TcpStream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl Minimal<'_> {
    /// Makes room for `want` bytes from `pos`, then reads once.
    fn read_more(&mut self, want: usize) {
        if self.buf.len() - self.pos < want {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).expect("read");
        assert!(n > 0, "the sender never stops");
        self.end += n;
    }
}

impl Receiver for Minimal<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        let mut got = 0;
        while got < quota.frames {
            let pending = &self.buf[self.pos..self.end];
            let Some(header) = pending.first_chunk::<HEADER>() else {
                self.read_more(HEADER);
                continue;
            };
            let total = HEADER + u32::from_be_bytes(*header) as usize;
            let Some(frame) = pending.get(HEADER..total) else {
                self.read_more(total);
                continue;
            };
            seen += black_box(frame.len());
            self.pos += total;
            got += 1;
        }
        seen
    }
}

/// tokio-util as a socket reader drives it: `decode` until `None`, then
/// read and append the chunk to a `BytesMut`.
struct Tokio<'a> {
    stream: &'a TcpStream,
    chunk: Vec<u8>,
    buf: BytesMut,
    codec: LengthDelimitedCodec,
}

impl Receiver for Tokio<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        let mut got = 0;
        // Decode the quota; bytes past it stay in the BytesMut for the next
        // iteration.
        while got < quota.frames {
            match self.codec.decode(&mut self.buf).expect("a valid stream") {
                Some(frame) => {
                    seen += black_box(frame.len());
                    got += 1;
                }
                None => {
                    let n = self.stream.read(&mut self.chunk).expect("read");
                    assert!(n > 0, "the sender never stops");
                    self.buf.extend_from_slice(&self.chunk[..n]);
                }
            }
        }
        seen
    }
}

/// tokio-util's `FramedRead` as a tokio user drives it: `next().await`.
struct TokioFramed {
    runtime: tokio::runtime::Runtime,
    frames: tokio_util::codec::FramedRead<tokio::net::TcpStream, LengthDelimitedCodec>,
}

impl TokioFramed {
    fn new(stream: &TcpStream) -> io::Result<Self> {
        let (runtime, stream) = tokio_stream(stream)?;
        let codec = LengthDelimitedCodec::builder()
            .max_frame_length(1 << 20)
            .new_codec();
        let frames = tokio_util::codec::FramedRead::with_capacity(stream, codec, READ);
        Ok(TokioFramed { runtime, frames })
    }
}

impl Receiver for TokioFramed {
    fn receive(&mut self, quota: Quota) -> usize {
        use futures_util::StreamExt;
        let frames = &mut self.frames;
        self.runtime.block_on(async {
            let mut seen = 0;
            for _ in 0..quota.frames {
                let frame = frames.next().await.expect("a frame").expect("read");
                seen += black_box(frame.len());
            }
            seen
        })
    }
}

/// The tutorial's receiver fixed by a careful hand: `BufReader`,
/// `read_exact` the header, then the payload into one `Vec` reused for
/// every frame.
struct ReadExactReuse<'a> {
    reader: BufReader<&'a TcpStream>,
    payload: Vec<u8>,
}

impl Receiver for ReadExactReuse<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        let mut header = [0u8; HEADER];
        for _ in 0..quota.frames {
            self.reader.read_exact(&mut header).expect("a header");
            let len = u32::from_be_bytes(header) as usize;
            self.payload.resize(len, 0);
            self.reader
                .read_exact(&mut self.payload)
                .expect("a payload");
            seen += black_box(self.payload.len());
        }
        seen
    }
}

/// The plain way: `BufReader`, `read_exact` the header, a fresh `Vec` for
/// the payload.
struct ReadExact<'a>(BufReader<&'a TcpStream>);

impl Receiver for ReadExact<'_> {
    fn receive(&mut self, quota: Quota) -> usize {
        let mut seen = 0;
        let mut header = [0u8; HEADER];
        for _ in 0..quota.frames {
            self.0.read_exact(&mut header).expect("a header");
            let len = u32::from_be_bytes(header) as usize;
            let mut payload = vec![0u8; len];
            self.0.read_exact(&mut payload).expect("a payload");
            seen += black_box(payload.len());
        }
        seen
    }
}

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for payload in PAYLOADS {
        let block = Block::new(payload);
        let per_iter = PER_ITER / WRITE;
        let quota = Quota {
            frames: per_iter * block.frames,
            bytes: per_iter * WRITE,
            payload: per_iter * block.payload,
        };
        group.throughput(Throughput::Bytes(quota.bytes as u64));
        let contenders: [&str; 11] = [
            "framing_std",
            "framing_std_owned",
            "framing_std_tokio",
            "framing_std_tokio_owned",
            "framing_codec_framed_read",
            "raw_read",
            "minimal_loop",
            "tokio_util",
            "tokio_framed_read",
            "bufreader_read_exact",
            "bufreader_reuse",
        ];
        for name in contenders {
            let link = Link::open(block.bytes.clone()).expect("a loopback connection");
            let s = &link.stream;
            let mut receiver: Box<dyn Receiver + '_> = match name {
                "framing_std" => Box::new(Framing(FrameReader::new(s, LAYOUT))),
                "framing_std_owned" => Box::new(FramingOwned(FrameReader::new(s, LAYOUT))),
                "framing_std_tokio" => {
                    Box::new(FramingTokio::new(s, false).expect("a tokio stream"))
                }
                "framing_std_tokio_owned" => {
                    Box::new(FramingTokio::new(s, true).expect("a tokio stream"))
                }
                "framing_codec_framed_read" => {
                    Box::new(FramingFramed::new(s).expect("a tokio stream"))
                }
                "raw_read" => Box::new(Raw {
                    stream: s,
                    buf: vec![0; READ],
                    carry: 0,
                }),
                "minimal_loop" => Box::new(Minimal {
                    stream: s,
                    buf: vec![0; READ],
                    pos: 0,
                    end: 0,
                }),
                "tokio_util" => Box::new(Tokio {
                    stream: s,
                    chunk: vec![0; READ],
                    buf: BytesMut::with_capacity(READ),
                    codec: LengthDelimitedCodec::builder()
                        .max_frame_length(1 << 20)
                        .new_codec(),
                }),
                "tokio_framed_read" => Box::new(TokioFramed::new(s).expect("a tokio stream")),
                "bufreader_reuse" => Box::new(ReadExactReuse {
                    reader: BufReader::with_capacity(READ, s),
                    payload: Vec::new(),
                }),
                _ => Box::new(ReadExact(BufReader::with_capacity(READ, s))),
            };
            group.bench_function(BenchmarkId::new(name, payload), |b| {
                b.iter_custom(|iters| {
                    let mut seen = 0;
                    let start = Instant::now();
                    for _ in 0..iters {
                        seen += receiver.receive(quota);
                    }
                    let elapsed = start.elapsed();
                    assert_eq!(seen, iters as usize * quota.payload);
                    elapsed
                })
            });
            drop(receiver);
            link.close();
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots take seconds per benchmark; benches/chart.py
    // draws the chart from the estimates instead.
    config = Criterion::default().without_plots();
    targets = run
}
criterion_main!(benches);
