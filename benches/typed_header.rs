//! Typed headers (issue 24): the same 8-byte header (`!HBBI`: magic u16
//! 0xCAFE, version u8, flags u8, length u32 counting the header) read as a
//! Rust struct by framing's derive and by the crates people would
//! otherwise use, in the same run.
//!
//! ```text
//!  group typed_header_parse      one header, all four fields read (ns/header:
//!                                the time / 1024 headers)
//!    hand                        u16/u32::from_be_bytes at fixed offsets (the floor)
//!    framing_view                #[derive(Header)]: MsgView, getters in place
//!    framing_value               #[derive(Header)]: Msg::from_bytes, by value
//!    framing_index               Header::new_checked + frame.int(i), i = 0..4
//!    zerocopy_view               #[derive(FromBytes, ...)]: Ref, U16/U32<BigEndian>
//!    deku                        #[derive(DekuRead)]: from_bytes
//!    binrw                       #[derive(BinRead)]: read from a Cursor
//!
//!  group typed_header_loop       a framed read loop over 1024 frames of 16-byte
//!                                payloads in one slice (ns/frame)
//!    framing                     Decoder (checks magic, version, the maximum) + view
//!    framing_index               the same Decoder over the hand-written layout, frame.int(2)
//!    zerocopy / deku / binrw     the header parsed, the payload sliced by hand
//!                                (bounds checked, no magic check)
//! ```
//!
//! `cargo bench --bench typed_header`; `-- --quick` for a short run.

use std::hint::black_box;
use std::io::Cursor;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use framing_core::{Decoded, Decoder, Header, Layout};

const N: usize = 1024;

/// Checks a contender once, then times it: `f` takes header bytes (or a
/// stream) and returns a sum of what it read. Generic, so each contender
/// is inlined into its own timing loop (no call through a pointer).
fn contender<F: Fn(&[u8]) -> u64>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    inputs: &[&[u8]],
    expected: u64,
    f: F,
) {
    assert_eq!(inputs.iter().map(|i| f(i)).sum::<u64>(), expected, "{name}");
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for i in black_box(inputs) {
                sum += f(black_box(i));
            }
            sum
        })
    });
}
const PAYLOAD: usize = 16;

// ---- framing: the derive (the issue's example) ----

#[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
#[framing(byte_order = "network", max_payload = 65536)]
struct Msg {
    #[framing(constant = 0xCAFE)]
    magic: u16,
    #[framing(constant = 1)]
    version: u8,
    flags: u8,
    #[framing(length, adjust = -8)]
    len: u32,
}

// ---- framing by hand: the format string and index getters ----

const LAYOUT: Layout = Layout::builder("!HBBI")
    .length_field(3)
    .length_adjust(-8)
    .max_payload(65536)
    .constant(0, framing_core::Value::Int(0xCAFE))
    .constant(1, framing_core::Value::Int(1))
    .build_or_panic();

// ---- zerocopy ----

#[derive(zerocopy::FromBytes, zerocopy::KnownLayout, zerocopy::Immutable, zerocopy::Unaligned)]
#[repr(C)]
struct ZMsg {
    magic: zerocopy::network_endian::U16,
    version: u8,
    flags: u8,
    len: zerocopy::network_endian::U32,
}

// ---- deku ----

#[derive(deku::DekuRead)]
#[deku(endian = "big")]
struct DMsg {
    magic: u16,
    version: u8,
    flags: u8,
    len: u32,
}

// ---- binrw ----

#[derive(binrw::BinRead)]
#[br(big)]
struct BMsg {
    magic: u16,
    version: u8,
    flags: u8,
    len: u32,
}

/// `N` frames: headers with varying flags, 16-byte payloads.
fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    let mut frame = [0u8; 8 + PAYLOAD];
    for i in 0..N {
        let payload = [i as u8; PAYLOAD];
        let msg = Msg {
            magic: 0,
            version: 0,
            flags: (i * 7) as u8,
            len: 0,
        };
        let n = msg.encode(&payload, &mut frame).unwrap();
        out.extend_from_slice(&frame[..n]);
    }
    out
}

/// The headers alone, 8 bytes apart.
fn headers(stream: &[u8]) -> Vec<[u8; 8]> {
    stream
        .chunks(8 + PAYLOAD)
        .map(|f| f[..8].try_into().unwrap())
        .collect()
}

fn sum4(magic: u16, version: u8, flags: u8, len: u32) -> u64 {
    u64::from(magic) + u64::from(version) + u64::from(flags) + u64::from(len)
}

fn parse(c: &mut Criterion) {
    let stream = stream();
    let headers = headers(&stream);
    let expected: u64 = headers
        .iter()
        .map(|h| {
            let v = Msg::view(h).unwrap();
            sum4(v.magic(), v.version(), v.flags(), v.len())
        })
        .sum();
    let inputs: Vec<&[u8]> = headers.iter().map(|h| &h[..]).collect();
    let mut g = c.benchmark_group("typed_header_parse");
    g.throughput(Throughput::Elements(N as u64));

    contender(&mut g, "hand", &inputs, expected, |h| {
        sum4(
            u16::from_be_bytes([h[0], h[1]]),
            h[2],
            h[3],
            u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        )
    });
    contender(&mut g, "framing_view", &inputs, expected, |h| {
        let v = Msg::view(h).unwrap();
        sum4(v.magic(), v.version(), v.flags(), v.len())
    });
    contender(&mut g, "framing_value", &inputs, expected, |h| {
        let m = Msg::from_bytes(h).unwrap();
        sum4(m.magic, m.version, m.flags, m.len)
    });
    contender(&mut g, "framing_index", &inputs, expected, |h| {
        let h = Header::new_checked(h, &LAYOUT).unwrap();
        sum4(
            h.int(0).unwrap() as u16,
            h.int(1).unwrap() as u8,
            h.int(2).unwrap() as u8,
            h.int(3).unwrap() as u32,
        )
    });
    contender(&mut g, "zerocopy_view", &inputs, expected, |h| {
        use zerocopy::FromBytes;
        let (z, _) = ZMsg::ref_from_prefix(h).unwrap();
        sum4(z.magic.get(), z.version, z.flags, z.len.get())
    });
    contender(&mut g, "deku", &inputs, expected, |h| {
        use deku::DekuContainerRead;
        let (_, d) = DMsg::from_bytes((h, 0)).unwrap();
        sum4(d.magic, d.version, d.flags, d.len)
    });
    contender(&mut g, "binrw", &inputs, expected, |h| {
        use binrw::BinRead;
        let b = BMsg::read(&mut Cursor::new(h)).unwrap();
        sum4(b.magic, b.version, b.flags, b.len)
    });
    g.finish();
}

/// A framed read loop: frames and payload bytes seen, plus the flags.
fn framing_loop(stream: &[u8]) -> u64 {
    let mut decoder = Decoder::new(&Msg::LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
    let mut chunk = stream;
    let mut sum = 0;
    while let Ok(Some(Decoded::Frame(frame))) = decoder.decode(&mut chunk) {
        let msg = frame.view::<Msg>().unwrap();
        sum += u64::from(msg.flags()) + frame.payload().len() as u64;
    }
    sum
}

/// The same loop over the hand-written layout, reading the flags with the
/// index getter.
fn framing_index_loop(stream: &[u8]) -> u64 {
    let mut decoder = Decoder::new(&LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
    let mut chunk = stream;
    let mut sum = 0;
    while let Ok(Some(Decoded::Frame(frame))) = decoder.decode(&mut chunk) {
        sum += frame.int(2).unwrap() as u64 + frame.payload().len() as u64;
    }
    sum
}

fn zerocopy_loop(mut s: &[u8]) -> u64 {
    use zerocopy::FromBytes;
    let mut sum = 0;
    while let Ok((msg, rest)) = ZMsg::ref_from_prefix(s) {
        let Some(n) = (msg.len.get() as usize).checked_sub(8) else {
            break;
        };
        let Some(payload) = rest.get(..n) else { break };
        sum += u64::from(msg.flags) + payload.len() as u64;
        s = &rest[n..];
    }
    sum
}

fn deku_loop(mut s: &[u8]) -> u64 {
    use deku::DekuContainerRead;
    let mut sum = 0;
    while let Ok(((rest, _), msg)) = DMsg::from_bytes((s, 0)) {
        let Some(n) = (msg.len as usize).checked_sub(8) else {
            break;
        };
        let Some(payload) = rest.get(..n) else { break };
        sum += u64::from(msg.flags) + payload.len() as u64;
        s = &rest[n..];
    }
    sum
}

fn binrw_loop(s: &[u8]) -> u64 {
    use binrw::BinRead;
    let mut cursor = Cursor::new(s);
    let mut sum = 0;
    while let Ok(msg) = BMsg::read(&mut cursor) {
        let at = cursor.position() as usize;
        let Some(n) = (msg.len as usize).checked_sub(8) else {
            break;
        };
        let Some(payload) = s.get(at..at + n) else {
            break;
        };
        sum += u64::from(msg.flags) + payload.len() as u64;
        cursor.set_position((at + n) as u64);
    }
    sum
}

fn read_loop(c: &mut Criterion) {
    let stream = stream();
    let mut g = c.benchmark_group("typed_header_loop");
    g.throughput(Throughput::Elements(N as u64));
    let expected = framing_loop(&stream);
    assert_eq!(
        expected,
        (0..N).map(|i| u64::from((i * 7) as u8)).sum::<u64>() + (N * PAYLOAD) as u64
    );
    let inputs: [&[u8]; 1] = [&stream];
    contender(&mut g, "framing", &inputs, expected, framing_loop);
    contender(
        &mut g,
        "framing_index",
        &inputs,
        expected,
        framing_index_loop,
    );
    contender(&mut g, "zerocopy", &inputs, expected, zerocopy_loop);
    contender(&mut g, "deku", &inputs, expected, deku_loop);
    contender(&mut g, "binrw", &inputs, expected, binrw_loop);
    g.finish();
}

criterion_group!(benches, parse, read_loop);
criterion_main!(benches);
