//! Layout features real protocols need: a preface (fixed, or ending at
//! given bytes), a first frame with its own layout, frame-end bytes, ASCII
//! lengths and a varint byte limit. Each is decoded whole, split at every
//! byte and fed one byte at a time (with and without `hold`), and encoded
//! back by the writers' encode step.

use framing_core::adapter::Feed;
use framing_core::heapless::Vec as HVec;
use framing_core::{
    AsciiFault, DecodeErrorKind, Decoded, Decoder, Layout, Radix, Recovery, StreamDecoder, Value,
};

static STARTUP: Layout = Layout::builder("!I").length_adjust(-4).build_or_panic();
static POSTGRES: Layout = Layout::builder("!cI")
    .length_field(1)
    .length_adjust(-4)
    .first_frame(&STARTUP)
    .build_or_panic();
const HTTP2: Layout = Layout::builder("!3sBBI")
    .length_field(0)
    .preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    .build_or_panic();
const AMQP: Layout = Layout::builder("!BHI")
    .length_field(2)
    .frame_end(&[0xCE])
    .preface(b"AMQP\x00\x00\x09\x01")
    .build_or_panic();
const NETSTRING: Layout = Layout::builder("")
    .ascii_length(Radix::Decimal, b":")
    .frame_end(b",")
    .build_or_panic();
const CHUNKS: Layout = Layout::builder("")
    .ascii_length(Radix::Hex, b"\r\n")
    .frame_end(b"\r\n")
    .build_or_panic();
const UPGRADE: Layout = Layout::builder("!H")
    .preface_until(b"\r\n\r\n", 256)
    .build_or_panic();
const MQTT: Layout = Layout::builder("!B").varint_max_bytes(4).build_or_panic();

/// What a decode yields, owned: `("preface", bytes)`, `("frame", payload)`,
/// or the error's kind and offset last.
#[derive(Debug, PartialEq)]
enum Got {
    Preface(Vec<u8>),
    Frame(Vec<u8>, Vec<u8>),
    Report(Recovery),
    Err(DecodeErrorKind, u64),
}

fn got(item: Decoded<framing_core::Frame<'_>>) -> Got {
    match item {
        Decoded::Frame(f) => Got::Frame(f.header().as_bytes().to_vec(), f.payload().to_vec()),
        Decoded::Preface(p) => Got::Preface(p.payload().to_vec()),
        Decoded::Recovered(r) => Got::Report(r),
        other => panic!("not expected here: {other:?}"),
    }
}

/// Decodes `wire` in chunks of `step` bytes through `Decoder::decode`, then
/// finishes.
fn decode(layout: &Layout, wire: &[u8], step: usize) -> Vec<Got> {
    let mut d = Decoder::new(layout, HVec::<u8, 512>::new());
    let mut out = Vec::new();
    for chunk in wire.chunks(step.max(1)) {
        let mut chunk = chunk;
        loop {
            match d.decode(&mut chunk) {
                Ok(Some(item)) => out.push(got(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Got::Err(e.kind(), e.offset()));
                    return out;
                }
            }
        }
    }
    if let Err(e) = d.finish() {
        out.push(Got::Err(e.kind(), e.offset()));
    }
    out
}

/// Decodes `wire` through the feed primitive with an adapter that keeps
/// back up to `hold` bytes (I0, P0, F0), reading `step` bytes at a time.
fn decode_held(layout: &Layout, wire: &[u8], step: usize, hold: usize) -> Vec<Got> {
    let mut d = Decoder::new(layout, HVec::<u8, 512>::new());
    let mut out = Vec::new();
    let (mut start, mut end) = (0, 0);
    loop {
        let last = end == wire.len();
        let fed = d.feed(&wire[start..end], last, hold);
        let window = &wire[start..end];
        start += fed.consumed;
        match fed.result {
            Err(e) => {
                out.push(Got::Err(e.kind(), e.offset()));
                return out;
            }
            Ok(Some(found)) => out.push(got(d.item(window, found))),
            Ok(None) if last => return out,
            Ok(None) => end = (end + step).min(wire.len()),
        }
    }
}

/// The same frames whatever the split, through both paths.
fn same_everywhere(layout: &Layout, wire: &[u8]) -> Vec<Got> {
    let whole = decode(layout, wire, wire.len());
    for step in [1, 2, 3, 7] {
        assert_eq!(decode(layout, wire, step), whole, "chunks of {step}");
        for hold in [0, 16, 512] {
            assert_eq!(
                decode_held(layout, wire, step, hold),
                whole,
                "reads of {step}, hold {hold}"
            );
        }
    }
    whole
}

/// Encodes `payloads` as a writer does: the first through
/// `encode_opening_parts`, the rest through `encode_parts`.
fn write(layout: &Layout, payloads: &[&[u8]], fields: &[(usize, Value<'_>)]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let mut scratch = [0u8; 128];
        let parts = if i == 0 {
            layout.encode_opening_parts(p, fields, &mut scratch)
        } else {
            layout.encode_parts(p, fields, &mut scratch)
        }
        .unwrap();
        wire.extend(parts.as_slices().concat());
    }
    wire
}

#[test]
fn a_fixed_preface_is_checked_handed_out_once_and_written_once() {
    let wire = write(&HTTP2, &[b"", b"hello"], &[(1, Value::Int(4))]);
    assert_eq!(&wire[..24], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert_eq!(wire.len(), 24 + 9 + 9 + 5);
    let got = same_everywhere(&HTTP2, &wire);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], Got::Preface(wire[..24].to_vec()));
    assert!(matches!(&got[2], Got::Frame(_, p) if p == b"hello"));
    // A mismatch names the first byte that differs.
    let mut bad = wire.clone();
    bad[5] = b'X';
    assert_eq!(
        decode(&HTTP2, &bad, 3),
        [Got::Err(
            DecodeErrorKind::PrefaceMismatch {
                at: 5,
                found: b'X',
                expected: b' '
            },
            0
        )]
    );
    // Cut short: truncated, in the preface.
    assert!(matches!(
        decode(&HTTP2, &wire[..10], 4)[..],
        [Got::Err(
            DecodeErrorKind::Truncated {
                missing: 14,
                in_header: true
            },
            0
        )]
    ));
    // An empty stream is a clean end.
    assert_eq!(decode(&HTTP2, b"", 1), []);
}

#[test]
fn a_preface_until_given_bytes_is_handed_out_whole() {
    let request = b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
    let mut wire = request.to_vec();
    wire.extend(write(&Layout::new("!H"), &[b"hi", b"\r\n\r\n"], &[]));
    let got = same_everywhere(&UPGRADE, &wire);
    assert_eq!(got[0], Got::Preface(request.to_vec()));
    assert!(matches!(&got[2], Got::Frame(_, p) if p == b"\r\n\r\n"));
    assert_eq!(got.len(), 3);
    // No end within the maximum.
    let long = [b'a'; 300];
    assert_eq!(
        decode(&UPGRADE, &long, 7),
        [Got::Err(DecodeErrorKind::PrefaceTooLong { max: 256 }, 0)]
    );
    // The end straddling two chunks is found.
    assert_eq!(
        decode(&UPGRADE, b"ab\r\n\r\n", 3)[0],
        Got::Preface(b"ab\r\n\r\n".to_vec())
    );
}

#[test]
fn the_first_frame_has_its_own_layout() {
    let mut wire = write(&POSTGRES, &[b"\x00\x03\x00\x00user\x00me\x00\x00"], &[]);
    let mut scratch = [0u8; 16];
    let query = POSTGRES
        .encode_parts(b"SELECT 1;\x00", &[(0, Value::Bytes(b"Q"))], &mut scratch)
        .unwrap();
    wire.extend(query.as_slices().concat());
    assert_eq!(&wire[..4], &[0, 0, 0, 17]);
    let got = same_everywhere(&POSTGRES, &wire);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        Got::Frame(
            vec![0, 0, 0, 17],
            b"\x00\x03\x00\x00user\x00me\x00\x00".to_vec()
        )
    );
    assert_eq!(
        got[1],
        Got::Frame(b"Q\x00\x00\x00\x0e".to_vec(), b"SELECT 1;\x00".to_vec())
    );
    // The first frame's header is read with the first layout.
    let mut d = Decoder::new(&POSTGRES, HVec::<u8, 64>::new());
    let mut input = &wire[..];
    let first = d
        .decode(&mut input)
        .unwrap()
        .and_then(Decoded::frame)
        .unwrap();
    assert_eq!(first.header().layout(), &STARTUP);
    assert_eq!(first.int(0), Some(17));
    // No streaming decoder over it.
    assert_eq!(
        StreamDecoder::try_new(&POSTGRES, HVec::<u8, 16>::new())
            .err()
            .map(|e| e.kind()),
        Some(DecodeErrorKind::FirstFrameNotStreamable)
    );
}

#[test]
fn frame_end_bytes_are_checked_and_left_out_of_the_payload() {
    let wire = write(&AMQP, &[b"abc", b""], &[(0, Value::Int(1))]);
    assert_eq!(
        &wire[8..],
        b"\x01\x00\x00\x00\x00\x00\x03abc\xce\x01\x00\x00\x00\x00\x00\x00\xce"
    );
    let got = same_everywhere(&AMQP, &wire);
    assert_eq!(got.len(), 3);
    assert!(matches!(&got[1], Got::Frame(_, p) if p == b"abc"));
    let mut bad = wire.clone();
    bad[8 + 10] = 0xCF;
    assert_eq!(
        decode(&AMQP, &bad, 5)[1],
        Got::Err(
            DecodeErrorKind::FrameEnd {
                index: 0,
                found: 0xCF,
                expected: 0xCE
            },
            8
        )
    );
    // Under resync, the frame is dropped and reported.
    let layout = Layout::builder("!BHI")
        .length_field(2)
        .frame_end(&[0xCE])
        .constant(0, Value::Int(1))
        .resync(true)
        .build()
        .unwrap();
    let got = decode(&layout, &bad[8..], 4);
    assert_eq!(
        got[0],
        Got::Report(Recovery::BadFrameEnd {
            offset: 0,
            length: 11
        })
    );
    assert!(matches!(&got[1], Got::Frame(_, p) if p.is_empty()));
}

#[test]
fn ascii_lengths_read_netstrings_and_chunk_sizes() {
    let wire = write(&NETSTRING, &[b"hello world!", b"", &[b'x'; 300]], &[]);
    assert_eq!(&wire[..16], b"12:hello world!,");
    assert_eq!(&wire[16..19], b"0:,");
    let got = same_everywhere(&NETSTRING, &wire);
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0],
        Got::Frame(b"12:".to_vec(), b"hello world!".to_vec())
    );
    let chunks = b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\nA\r\n0123456789\r\n";
    let got = same_everywhere(&CHUNKS, chunks);
    assert_eq!(
        got[1],
        Got::Frame(b"A\r\n".to_vec(), b"0123456789".to_vec())
    );
    assert_eq!(write(&CHUNKS, &[&[7; 26]], &[])[..4], *b"1a\r\n");
    // Faults, with where.
    let err = |wire: &[u8]| decode(&NETSTRING, wire, 2).pop().unwrap();
    assert_eq!(
        err(b"3:abc,x:"),
        Got::Err(
            DecodeErrorKind::AsciiLength {
                fault: AsciiFault::NoDigits { byte: b'x' },
                at: 0
            },
            6
        )
    );
    assert_eq!(
        err(b"12;"),
        Got::Err(
            DecodeErrorKind::AsciiLength {
                fault: AsciiFault::BadEnd { byte: b';' },
                at: 2
            },
            0
        )
    );
    assert_eq!(
        err(b"99999999999999999999:"),
        Got::Err(
            DecodeErrorKind::AsciiLength {
                fault: AsciiFault::Overflow,
                at: 19
            },
            0
        )
    );
    assert_eq!(
        decode(&CHUNKS, b"11111111111111111\r\n", 2).pop().unwrap(),
        Got::Err(
            DecodeErrorKind::AsciiLength {
                fault: AsciiFault::TooManyDigits { max: 16 },
                at: 16
            },
            0
        )
    );
    assert_eq!(
        err(b"3:abc;"),
        Got::Err(
            DecodeErrorKind::FrameEnd {
                index: 0,
                found: b';',
                expected: b','
            },
            0
        )
    );
}

#[test]
fn an_mqtt_varint_takes_at_most_four_bytes() {
    let wire = write(&MQTT, &[&[1; 200], &[]], &[(0, Value::Int(0x30))]);
    assert_eq!(&wire[..3], &[0x30, 0xc8, 0x01]);
    assert_eq!(same_everywhere(&MQTT, &wire).len(), 2);
    assert_eq!(
        decode(&MQTT, &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 1),
        [Got::Err(DecodeErrorKind::VarintOverflow, 0)]
    );
    // The largest length four bytes hold, and one more.
    let mqtt = Layout::builder("!B")
        .varint_max_bytes(4)
        .max_payload(u64::MAX)
        .build()
        .unwrap();
    let mut head = [0u8; 8];
    assert_eq!(mqtt.encode_header(268_435_455, &mut head), Ok(5));
    assert_eq!(&head[1..5], &[0xff, 0xff, 0xff, 0x7f]);
    assert!(mqtt.encode_header(268_435_456, &mut head).is_err());
    assert_eq!(MQTT.max_head_len(), 5);
}

#[test]
fn a_stream_decoder_hands_out_the_preface() {
    let wire = write(&AMQP, &[b"abc"], &[]);
    let mut d = StreamDecoder::new(&AMQP, HVec::<u8, 8>::new());
    let mut seen = Vec::new();
    for chunk in wire.chunks(3) {
        let mut chunk = chunk;
        while let Some(e) = d.decode(&mut chunk).unwrap() {
            seen.push(format!("{e:?}"));
        }
    }
    d.finish().unwrap();
    assert!(seen[0].starts_with("Preface("), "{seen:?}");
    assert!(seen.last().unwrap() == "End");
}
