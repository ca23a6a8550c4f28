//! Real protocols' framings (issue 22): framing's decoder beside the loop a
//! careful user writes by hand for the same protocol and, where the Rust
//! ecosystem has one, its crate, on the same bytes in the same run.
//!
//! Each stream is about 1 MiB of frames with payloads of 16 or 1024 bytes,
//! decoded as one chunk (the frames are lent from it: the per-frame cost
//! of finding them).
//!
//! ```text
//!  group netstring        ASCII decimal lengths: `12:hello world!,`
//!    framing/<p>          Decoder over protocols::NETSTRING
//!    hand_loop/<p>        digits to ':', the payload, check ','
//!  group websocket        RFC 6455 frames, unmasked (what a client reads)
//!    framing/<p>          Decoder over Layout::websocket (unmasked frames only)
//!    hand_loop/<p>        two bytes, the extended length, the payload
//!    tungstenite/<p>      tungstenite's FrameHeader::parse, then the payload
//!  group websocket_masked masked frames (what a server reads), unmasked
//!                         into one reused Vec
//!    framing/<p>          Decoder + WsHeader::unmask
//!    hand_loop/<p>        the hand loop, XOR a byte at a time (tungstenite
//!                         unmasks only inside its reader: not timed here)
//!  group resp             Redis commands: `*3 $3 SET $<k> key $<p> value`
//!    framing/<p>          Decoder over Layout::resp (each command one frame)
//!    hand_loop/<p>        the count line, then each bulk string's length
//!                         line and body
//!    redis_protocol/<p>   redis-protocol's resp2 decode_range (zero copy:
//!                         ranges into the buffer)
//! ```
//!
//! `cargo bench --bench protocols`; `-- --quick` while developing.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use framing_core::websocket::{Masking, WsHeader, BINARY};
use framing_core::{heapless, protocols, Decoded, Decoder, Layout};

/// Payload sizes.
const PAYLOADS: [usize; 2] = [16, 1024];
/// About this many bytes a stream.
const STREAM: usize = 1 << 20;

fn payload(n: usize, k: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + k) as u8).collect()
}

/// Frames of `p`-byte payloads written by `frame`, about `STREAM` bytes.
fn stream(p: usize, mut frame: impl FnMut(&[u8], &mut Vec<u8>)) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut n = 0;
    while out.len() < STREAM {
        frame(&payload(p, n), &mut out);
        n += 1;
    }
    (out, n)
}

/// Frames framing's decoder finds in `wire` (one chunk), each handed to
/// `each`.
fn framing_decode(layout: &'static Layout, wire: &[u8], mut each: impl FnMut(&[u8])) -> usize {
    let mut d = Decoder::new(layout, heapless::Vec::<u8, 2048>::new());
    let mut chunk = wire;
    let mut n = 0;
    while let Some(found) = d.decode(&mut chunk).expect("valid frames") {
        if let Decoded::Frame(f) = found {
            each(f.payload());
            n += 1;
        }
    }
    n
}

fn digits(bytes: &[u8]) -> usize {
    bytes.iter().fold(0, |v, &d| v * 10 + usize::from(d - b'0'))
}

fn netstring(c: &mut Criterion) {
    let mut g = c.benchmark_group("netstring");
    for p in PAYLOADS {
        let (wire, frames) = stream(p, |pl, out| {
            out.extend_from_slice(format!("{}:", pl.len()).as_bytes());
            out.extend_from_slice(pl);
            out.push(b',');
        });
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(BenchmarkId::new("framing", p), &wire, |b, wire| {
            b.iter(|| {
                let n = framing_decode(&protocols::NETSTRING, wire, |pl| {
                    black_box(pl);
                });
                assert_eq!(n, frames);
            })
        });
        g.bench_with_input(BenchmarkId::new("hand_loop", p), &wire, |b, wire| {
            b.iter(|| {
                let (mut s, mut n) = (&wire[..], 0);
                while !s.is_empty() {
                    let colon = s.iter().position(|&b| b == b':').expect("a colon");
                    let len = digits(&s[..colon]);
                    let body = &s[colon + 1..];
                    assert_eq!(body[len], b',');
                    black_box(&body[..len]);
                    s = &body[len + 1..];
                    n += 1;
                }
                assert_eq!(n, frames);
            })
        });
    }
    g.finish();
}

/// A WebSocket frame's header by hand: (payload length, key, header length).
fn ws_head(s: &[u8]) -> (usize, Option<[u8; 4]>, usize) {
    let (len, mut at) = match s[1] & 0x7f {
        126 => (usize::from(u16::from_be_bytes([s[2], s[3]])), 4),
        127 => (
            u64::from_be_bytes(s[2..10].try_into().expect("8 bytes")) as usize,
            10,
        ),
        n => (usize::from(n), 2),
    };
    let key = (s[1] & 0x80 != 0).then(|| {
        at += 4;
        [s[at - 4], s[at - 3], s[at - 2], s[at - 1]]
    });
    (len, key, at)
}

/// What a server reads, and what a client reads (the websocket preset's
/// sides without the handshake).
static FROM_CLIENTS: Layout = Layout::websocket()
    .websocket_masking(Masking::Required)
    .build_or_panic();
static FROM_SERVERS: Layout = Layout::websocket()
    .websocket_masking(Masking::Forbidden)
    .build_or_panic();

fn websocket(c: &mut Criterion) {
    for masked in [false, true] {
        let name = if masked {
            "websocket_masked"
        } else {
            "websocket"
        };
        let layout: &'static Layout = if masked { &FROM_CLIENTS } else { &FROM_SERVERS };
        let mut g = c.benchmark_group(name);
        for p in PAYLOADS {
            let (wire, frames) = stream(p, |pl, out| {
                let mut head = WsHeader::new(BINARY);
                if masked {
                    head = head.masked([0x37, 0xfa, 0x21, out.len() as u8]);
                }
                let mut buf = vec![0u8; pl.len() + 14];
                let n = head.encode(pl, &mut buf).expect("room");
                out.extend_from_slice(&buf[..n]);
            });
            g.throughput(Throughput::Bytes(wire.len() as u64));
            g.bench_with_input(BenchmarkId::new("framing", p), &wire, |b, wire| {
                let mut plain = Vec::with_capacity(p);
                let mut d = Decoder::new(layout, heapless::Vec::<u8, 2048>::new());
                b.iter(|| {
                    d.reset();
                    let mut chunk = &wire[..];
                    let mut n = 0;
                    while let Some(Decoded::Frame(f)) = d.decode(&mut chunk).expect("valid") {
                        if masked {
                            let head = f.websocket().expect("a WebSocket frame");
                            plain.clear();
                            plain.extend_from_slice(f.payload());
                            head.unmask(0, &mut plain);
                            black_box(&plain);
                        } else {
                            black_box(f.payload());
                        }
                        n += 1;
                    }
                    assert_eq!(n, frames);
                })
            });
            g.bench_with_input(BenchmarkId::new("hand_loop", p), &wire, |b, wire| {
                let mut plain = Vec::with_capacity(p);
                b.iter(|| {
                    let (mut s, mut n) = (&wire[..], 0);
                    while !s.is_empty() {
                        let (len, key, at) = ws_head(s);
                        let body = &s[at..at + len];
                        match key {
                            Some(key) => {
                                plain.clear();
                                plain.extend(body.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
                                black_box(&plain);
                            }
                            None => {
                                black_box(body);
                            }
                        }
                        s = &s[at + len..];
                        n += 1;
                    }
                    assert_eq!(n, frames);
                })
            });
            // tungstenite unmasks only inside its own reader (its
            // apply_mask is private): it is timed on unmasked frames.
            if masked {
                continue;
            }
            g.bench_with_input(BenchmarkId::new("tungstenite", p), &wire, |b, wire| {
                use tungstenite::protocol::frame::FrameHeader;
                b.iter(|| {
                    let mut cursor = Cursor::new(&wire[..]);
                    let mut n = 0;
                    while let Some((_, len)) = FrameHeader::parse(&mut cursor).expect("valid") {
                        let at = cursor.position() as usize;
                        black_box(&wire[at..at + len as usize]);
                        cursor.set_position((at + len as usize) as u64);
                        n += 1;
                    }
                    assert_eq!(n, frames);
                })
            });
        }
        g.finish();
    }
}

/// RESP: a command's end by hand (an array of bulk strings).
fn resp_command_end(s: &[u8]) -> usize {
    let line = |at: usize| at + s[at..].iter().position(|&b| b == b'\r').expect("a line");
    let eol = line(0);
    let count = digits(&s[1..eol]);
    let mut at = eol + 2;
    for _ in 0..count {
        let eol = line(at);
        at = eol + 2 + digits(&s[at + 1..eol]) + 2;
    }
    at
}

static RESP: Layout = Layout::resp().max_payload(2048).build_or_panic();

fn resp(c: &mut Criterion) {
    let mut g = c.benchmark_group("resp");
    for p in PAYLOADS {
        let (wire, frames) = stream(p, |pl, out| {
            let key = format!("key:{}", out.len());
            out.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n",
                    key.len(),
                    pl.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(pl);
            out.extend_from_slice(b"\r\n");
        });
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(BenchmarkId::new("framing", p), &wire, |b, wire| {
            b.iter(|| {
                let n = framing_decode(&RESP, wire, |v| {
                    black_box(v);
                });
                assert_eq!(n, frames);
            })
        });
        g.bench_with_input(BenchmarkId::new("hand_loop", p), &wire, |b, wire| {
            b.iter(|| {
                let (mut s, mut n) = (&wire[..], 0);
                while !s.is_empty() {
                    let end = resp_command_end(s);
                    black_box(&s[..end]);
                    s = &s[end..];
                    n += 1;
                }
                assert_eq!(n, frames);
            })
        });
        g.bench_with_input(BenchmarkId::new("redis_protocol", p), &wire, |b, wire| {
            b.iter(|| {
                let (mut at, mut n) = (0, 0);
                while let Some((frame, used)) =
                    redis_protocol::resp2::decode::decode_range(&wire[at..]).expect("valid")
                {
                    black_box(frame);
                    at += used;
                    n += 1;
                    if at == wire.len() {
                        break;
                    }
                }
                assert_eq!(n, frames);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, netstring, websocket, resp);
criterion_main!(benches);
