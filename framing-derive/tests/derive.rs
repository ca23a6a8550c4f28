//! The derive end to end: the issue's example, every option, reading and
//! encoding through the decoders.

use framing_core::{Checksum, Decoded, Decoder, Layout, TypedHeader, Value};

/// The issue's example.
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

#[test]
fn the_issue_example() {
    assert_eq!(Msg::FORMAT, "!HBBI");
    assert_eq!(Msg::SIZE, 8);
    assert_eq!(Msg::LAYOUT.length_field(), Some(3));
    assert_eq!(Msg::LAYOUT.length_adjust(), -8);
    assert_eq!(Msg::LAYOUT.max_payload(), 65536);
    assert_eq!(Msg::LAYOUT.constant(0), Some(Value::Int(0xCAFE)));
    assert_eq!(Msg::LAYOUT.constant(1), Some(Value::Int(1)));
    // The same layout written by hand.
    const HAND: Layout = Layout::builder("!HBBI")
        .length_field(3)
        .length_adjust(-8)
        .max_payload(65536)
        .constant(0, Value::Int(0xCAFE))
        .constant(1, Value::Int(1))
        .build_or_panic();
    let msg = Msg {
        magic: 7,
        version: 7,
        flags: 0x5a,
        len: 999,
    };
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    let n = msg.encode(b"payload", &mut a).unwrap();
    let m = HAND
        .encode_with(b"payload", &[(2, Value::Int(0x5a))], &mut b)
        .unwrap();
    assert_eq!(&a[..n], &b[..m]);
    assert_eq!(&a[..n], b"\xca\xfe\x01\x5a\x00\x00\x00\x0fpayload");

    let mut decoder = Decoder::new(&Msg::LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
    let mut input = &a[..n];
    let frame = decoder
        .decode(&mut input)
        .unwrap()
        .and_then(Decoded::frame)
        .unwrap();
    let view = frame.view::<Msg>().unwrap();
    assert_eq!(
        (view.magic(), view.version(), view.flags(), view.len()),
        (0xCAFE, 1, 0x5a, 15)
    );
    assert_eq!(view.as_bytes(), &a[..8]);
    let read = Msg {
        magic: 0xCAFE,
        version: 1,
        flags: 0x5a,
        len: 15,
    };
    assert_eq!(frame.typed::<Msg>(), Some(read));
    assert_eq!(Msg::from_header(&frame.header()), Some(read));
    assert_eq!(view.get(), read);
    assert_eq!(Msg::from_bytes(&a[..7]), None);
    assert_eq!(
        format!("{view:?}"),
        "MsgView { magic: 51966, version: 1, flags: 90, len: 15 }"
    );

    let mut head = [0u8; 8];
    assert_eq!(msg.encode_header(7, &mut head), Ok(8));
    assert_eq!(head, a[..8]);
    let mut scratch = [0u8; 8];
    let parts = msg.encode_parts(b"payload", &mut scratch).unwrap();
    assert_eq!(parts.as_slices().concat(), &a[..n]);
}

/// Every type, little-endian, a 3-byte length, padding, a trailer.
#[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
#[framing(byte_order = "little", trailer = "crc32", trailer_covers = "payload")]
struct Every {
    a: i8,
    #[framing(pad = 1)]
    b: u8,
    c: i16,
    d: u16,
    e: i32,
    #[framing(pad_after = 3)]
    f: u32,
    g: i64,
    h: u64,
    i: bool,
    j: f32,
    k: f64,
    #[framing(constant = b"ID")]
    tag: [u8; 4],
    #[framing(length)]
    len: [u8; 3],
}

#[test]
fn every_type() {
    assert_eq!(Every::FORMAT, "<bxBhHiI3xqQ?fd4s3s");
    // A [u8; 3] length holds 2^24 - 1: the default maximum stays 8 MiB.
    assert_eq!(Every::LAYOUT.max_payload(), 8 << 20);
    assert_eq!(Every::LAYOUT.trailer(), Some(Checksum::Crc32));
    let e = Every {
        a: -1,
        b: 2,
        c: -3,
        d: 4,
        e: -5,
        f: 6,
        g: -7,
        h: u64::MAX,
        i: true,
        j: 1.5,
        k: -2.25,
        tag: *b"zzzz",
        len: [0; 3],
    };
    let mut out = [0u8; 128];
    let n = e.encode(b"abc", &mut out).unwrap();
    assert_eq!(n, Every::SIZE + 3 + 4);
    let mut decoder = Decoder::new(
        &Every::LAYOUT,
        framing_core::heapless::Vec::<u8, 128>::new(),
    );
    let mut input = &out[..n];
    let frame = decoder
        .decode(&mut input)
        .unwrap()
        .and_then(Decoded::frame)
        .unwrap();
    assert_eq!(frame.payload(), b"abc");
    let got: Every = frame.typed().unwrap();
    assert_eq!(
        got,
        Every {
            tag: *b"ID\0\0",
            len: [3, 0, 0],
            ..e
        }
    );
    let v = frame.view::<Every>().unwrap();
    assert_eq!(v.tag(), b"ID\0\0");
    assert!(v.i());
}

/// A varint length after the header: no length field.
#[derive(framing_core::Header, Debug, PartialEq)]
#[framing(byte_order = "!", varint_length, max_payload = 1000)]
struct Varint {
    #[framing(constant = 0x30)]
    kind: u8,
}

/// No header at all.
#[derive(framing_core::Header)]
#[framing(varint_max_bytes = 4)]
struct Empty {}

/// ASCII digits, a frame end, resync, oversize discard.
#[derive(framing_core::Header)]
#[framing(
    ascii_length = "decimal",
    length_end = b":",
    ascii_max_digits = 5,
    frame_end = b","
)]
struct Netstring {}

#[allow(dead_code)] // only its layout is used
#[derive(framing_core::Header)]
#[framing(byte_order = "big", on_oversize = "discard", resync, max_payload = 100)]
struct Serial {
    #[framing(constant = true)]
    sync: bool,
    #[framing(length)]
    len: u8,
    #[framing(constant = -2.5)]
    scale: f32,
}

static STARTUP: Layout = Layout::builder("!I").length_adjust(-4).build_or_panic();

#[allow(dead_code)] // only its layout is used
#[derive(framing_core::Header)]
#[framing(byte_order = "network", first_frame = &STARTUP, preface = b"HELLO", length_adjust = -4)]
struct Typed {
    kind: [u8; 1],
    #[framing(length)]
    len: u32,
}

#[test]
fn options_become_builder_calls() {
    assert_eq!(Varint::FORMAT, "!B");
    assert!(Varint::LAYOUT.has_varint_length());
    let mut out = [0u8; 8];
    let n = Varint { kind: 0 }.encode(b"hi", &mut out).unwrap();
    assert_eq!(&out[..n], b"\x30\x02hi");
    assert_eq!(Empty::FORMAT, "@");
    assert_eq!(Empty::LAYOUT.varint_max_bytes(), Some(4));
    let n = Netstring {}.encode(b"hi", &mut out).unwrap();
    assert_eq!(&out[..n], b"2:hi,");
    assert!(Serial::LAYOUT.resyncs());
    assert_eq!(Serial::LAYOUT.max_payload(), 100);
    assert_eq!(Serial::LAYOUT.constant(2), Some(Value::Float(-2.5)));
    assert_eq!(Typed::LAYOUT.preface_bytes(), Some(&b"HELLO"[..]));
    assert!(Typed::LAYOUT.first_frame().is_some());
}

/// Without max_payload, a narrow length field lowers the maximum to what it holds.
#[allow(dead_code)] // only its layout is used
#[derive(framing_core::Header)]
#[framing(byte_order = "<")]
struct Narrow {
    #[framing(length, adjust = 2)]
    len: u16,
}

#[test]
fn narrow_length_lowers_the_default_maximum() {
    assert_eq!(Narrow::LAYOUT.max_payload(), 65537);
}

/// Generic code over any typed header.
fn first<T: TypedHeader>(bytes: &[u8]) -> Option<T> {
    let mut decoder = Decoder::new(&T::LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
    let mut input = bytes;
    decoder.decode(&mut input).ok()??.frame()?.typed()
}

#[test]
fn generic_use() {
    let mut out = [0u8; 16];
    let n = Varint { kind: 9 }.encode(b"x", &mut out).unwrap();
    assert_eq!(first::<Varint>(&out[..n]), Some(Varint { kind: 0x30 }));
    assert_eq!(<Msg as TypedHeader>::FORMAT, "!HBBI");
}

/// A public header with public fields: the generated items are public too
/// (and pass the workspace's lints: docs, clippy).
pub mod public {
    /// A header.
    #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq, Eq)]
    #[framing(byte_order = "big")]
    pub struct Pub {
        /// The kind.
        pub kind: u8,
        /// The length.
        #[framing(length)]
        pub len: u32,
    }
}

#[test]
fn public_items() {
    let mut out = [0u8; 8];
    let n = public::Pub { kind: 2, len: 0 }
        .encode(b"", &mut out)
        .unwrap();
    let view = public::PubView::new(&out[..n]).unwrap();
    assert_eq!((view.kind(), view.len()), (2, 0));
}

/// HTTP/2's frame header: a 3-byte length as `U24`, read as a number in
/// the byte order (here little-endian too, which HTTP/2 is not).
#[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
#[framing(byte_order = "network", max_payload = 16384)]
struct Http2 {
    #[framing(length)]
    len: framing_core::U24,
    kind: u8,
    flags: u8,
    stream: u32,
}

#[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
#[framing(byte_order = "little")]
struct Little24 {
    #[framing(constant = 0x7e)]
    sync: u8,
    #[framing(length, adjust = 4)]
    len: framing_core::U24,
}

#[test]
fn a_u24_length_reads_as_a_number_in_the_byte_order() {
    use framing_core::U24;
    assert_eq!(Http2::FORMAT, "!3sBBI");
    assert_eq!(Http2::LAYOUT.max_payload(), 16384);
    let msg = Http2 {
        len: U24::MAX,
        kind: 0,
        flags: 1,
        stream: 3,
    };
    let payload = vec![5u8; 0x1234];
    let mut out = vec![0u8; 9 + payload.len()];
    let n = msg.encode(&payload, &mut out).unwrap();
    assert_eq!(&out[..9], b"\x00\x12\x34\x00\x01\x00\x00\x00\x03");
    let view = Http2::view(&out[..n]).unwrap();
    assert_eq!(view.len().get(), 0x1234);
    assert_eq!(
        Http2::from_bytes(&out).unwrap(),
        Http2 {
            len: U24::new(0x1234).unwrap(),
            ..msg
        }
    );

    // A length read little-endian; 3 bytes hold more than the default
    // maximum, which stays.
    assert_eq!(Little24::FORMAT, "<B3s");
    assert_eq!(Little24::LAYOUT.max_payload(), 8 * 1024 * 1024);
    let mut out = vec![0u8; 4 + 0x1_0206];
    let n = (Little24 {
        sync: 0,
        len: U24::MIN,
    })
    .encode(&[9; 0x1_0206], &mut out)
    .unwrap();
    assert_eq!(n, out.len());
    assert_eq!(&out[..4], b"\x7e\x02\x02\x01");
    let header = framing_core::Header::new_checked(&out, &Little24::LAYOUT).unwrap();
    assert_eq!(header.length_value(), 0x1_0202);
    assert_eq!(
        header.view::<Little24>().unwrap().len(),
        U24::new(0x1_0202).unwrap()
    );
}
