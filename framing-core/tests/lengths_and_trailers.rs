//! Lengths no `struct` code describes (`Ns` fields, varints after the
//! header) and checksum trailers, through both decoders at every split and
//! through the encoder.

use framing_core::{
    Checksum, Covers, DecodeErrorKind, Decoded, Decoder, EncodeError, Event, Layout, LayoutError,
    Recovery, StreamDecoder, Value,
};

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use checks::Out;

/// Every way to cut `bytes` in two, and byte by byte: each must give `want`,
/// through the whole-frame decoder (a 4 KiB buffer) and the streaming one.
fn at_every_split(layout: Layout, bytes: &[u8], want: &[Out]) {
    for cut in 0..=bytes.len() {
        let chunks = [&bytes[..cut], &bytes[cut..]];
        assert_eq!(
            checks::run_whole(layout, 4096, &chunks),
            want,
            "cut at {cut}"
        );
        assert_eq!(
            checks::run_stream(layout, &chunks),
            want,
            "stream, cut at {cut}"
        );
    }
    let bytes: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        checks::run_whole(layout, 4096, &bytes),
        want,
        "byte by byte"
    );
    assert_eq!(checks::run_stream(layout, &bytes), want, "stream, bytes");
}

fn frame(head: &[u8], payload: &[u8]) -> Out {
    Out::Frame {
        header: head.to_vec(),
        payload: payload.to_vec(),
    }
}

/// Encodes `payload` and returns the frame's bytes.
fn encode(layout: &Layout, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; layout.frame_len(payload.len()).unwrap()];
    let n = layout.encode(payload, &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

const HTTP2: Layout = Layout::builder("!3sBBI").length_field(0).build_or_panic();

#[test]
fn http2_frame_headers_carry_a_3_byte_length() {
    // struct.pack('!3sBBI', (5).to_bytes(3, 'big'), 0, 1, 1) + b'hello', then a
    // SETTINGS frame with no payload.
    let mut wire = b"\x00\x00\x05\x00\x01\x00\x00\x00\x01hello".to_vec();
    wire.extend_from_slice(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00");
    at_every_split(
        HTTP2,
        &wire,
        &[frame(&wire[..9], b"hello"), frame(&wire[14..], b"")],
    );
    let mut d = Decoder::new(&HTTP2, framing_core::heapless::Vec::<u8, 64>::new());
    let mut input = &wire[..];
    let Some(Decoded::Frame(f)) = d.decode(&mut input).unwrap() else {
        panic!("a frame")
    };
    assert_eq!(f.value(0), Some(Value::Bytes(b"\x00\x00\x05")));
    assert_eq!(f.header().length_value(), 5);
    assert_eq!(f.int(2), Some(1));
    // The encoder writes the length in the 3 bytes, big-endian, and refuses
    // what 24 bits cannot hold.
    let mut head = [0u8; 9];
    assert_eq!(HTTP2.encode_header(0x01_0203, &mut head), Ok(9));
    assert_eq!(&head[..3], &[1, 2, 3]);
    let too_long = Layout::builder("!3sBBI")
        .length_field(0)
        .max_payload(1 << 30)
        .build()
        .unwrap();
    assert_eq!(
        too_long.encode_header(1 << 24, &mut head),
        Err(EncodeError::LengthOutOfRange {
            length: 1 << 24,
            value: 1 << 24
        })
    );
}

#[test]
fn ns_lengths_of_every_width_read_in_the_format_byte_order() {
    for n in 1..=8usize {
        for prefix in ["<", ">", "=", "@"] {
            let format = format!("{prefix}B{n}s");
            let layout = Layout::builder(&format).length_field(1).build().unwrap();
            let len = 200usize.min((1 << (8 * n.min(7))) - 1);
            let bytes = encode(&layout, &vec![7; len]);
            let mut want = (len as u64).to_le_bytes()[..n].to_vec();
            if layout.format().byte_order().is_big_endian() {
                want.reverse();
            }
            assert_eq!(&bytes[1..1 + n], &want[..], "{format}");
            at_every_split(layout, &bytes, &[frame(&bytes[..1 + n], &vec![7; len])]);
        }
    }
    assert_eq!(
        Layout::builder("!9s").length_field(0).build(),
        Err(LayoutError::LengthFieldSize { index: 0, size: 9 })
    );
    assert_eq!(
        Layout::builder("!0sI").length_field(0).build(),
        Err(LayoutError::LengthFieldSize { index: 0, size: 0 })
    );
}

/// A reference LEB128 encoder, written apart from the crate's.
fn leb128(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn varint_lengths_split_anywhere_decode_the_same() {
    const DELIMITED: Layout = Layout::builder("").varint_length().build_or_panic();
    let mut wire = Vec::new();
    let mut want = Vec::new();
    for len in [0usize, 1, 127, 128, 300, 16383, 16384] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let bytes = encode(&DELIMITED, &payload);
        assert_eq!(&bytes[..bytes.len() - len], &leb128(len as u64)[..]);
        want.push(frame(&leb128(len as u64), &payload));
        wire.extend_from_slice(&bytes);
    }
    // Every cut (the varints' inner bytes included) through both decoders.
    for cut in 0..=wire.len() {
        let chunks = [&wire[..cut], &wire[cut..]];
        assert_eq!(checks::run_whole(DELIMITED, 20000, &chunks), want);
    }
    let small: Vec<u8> = wire[..wire.len() - 16384 - 3 - 16383 - 2].to_vec();
    at_every_split(DELIMITED, &small, &want[..5]);
    // The header view exposes the varint's value.
    let mut d = Decoder::new(&DELIMITED, framing_core::heapless::Vec::<u8, 512>::new());
    let mut input: &[u8] = b"\xac\x02";
    assert_eq!(d.decode(&mut input), Ok(None));
    assert_eq!(
        d.finish().unwrap_err().kind(),
        DecodeErrorKind::Truncated {
            missing: 300,
            in_header: false
        }
    );
}

#[test]
fn a_varint_after_a_fixed_header_with_constants() {
    let layout = Layout::builder("<HB")
        .varint_length()
        .constant(0, Value::Int(0xbeef))
        .build()
        .unwrap();
    let mut out = [0u8; 64];
    let n = layout
        .encode_with(b"abc", &[(1, Value::Int(9))], &mut out)
        .unwrap();
    assert_eq!(&out[..n], b"\xef\xbe\x09\x03abc");
    at_every_split(layout, &out[..n], &[frame(&out[..4], b"abc")]);
    assert_eq!(layout.length_field(), None);
    assert_eq!(
        Layout::builder("<HB")
            .varint_length()
            .length_field(1)
            .build(),
        Err(LayoutError::VarintAndLengthField { index: 1 })
    );
}

#[test]
fn large_varints_up_to_64_bits_and_no_further() {
    let layout = Layout::builder("")
        .varint_length()
        .max_payload(u64::MAX)
        .build()
        .unwrap();
    // (A payload of u64::MAX bytes with its head would not fit a `usize`.)
    for v in [1u64 << 21, 1 << 28, 1 << 35, 1 << 63, u64::MAX - 100] {
        let head = leb128(v);
        let mut d = StreamDecoder::new(&layout, framing_core::heapless::Vec::<u8, 16>::new());
        let mut input = &head[..];
        let Some(Event::Header(h)) = d.decode(&mut input).unwrap() else {
            panic!("a header for {v}")
        };
        assert_eq!(h.length_value(), i128::from(v));
        assert_eq!(d.remaining(), Some(v));
        let mut out = [0u8; 10];
        assert_eq!(
            layout.encode_header(v as usize, &mut out).ok(),
            (usize::BITS == 64).then_some(head.len())
        );
    }
    // Eleven bytes, or a tenth byte above 1: an error at the frame's offset.
    let frame_ok = encode(&layout, b"x");
    for bad in [
        &[0x80u8; 11][..],
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
    ] {
        let mut wire = frame_ok.clone();
        wire.extend_from_slice(bad);
        let want = [
            frame(&frame_ok[..1], b"x"),
            Out::Err(err_at(&layout, &wire)),
        ];
        at_every_split(layout, &wire, &want);
        let Out::Err(e) = &want[1] else {
            unreachable!()
        };
        assert_eq!(e.kind(), DecodeErrorKind::VarintOverflow);
        assert_eq!(e.offset(), 2);
        assert!(e.to_string().contains("frame at byte 2"), "{e}");
    }
}

/// A varint's first byte below 0x80 is the whole varint: I1's fast path
/// judges such a head by one comparison, as it judges a length field. Its
/// verdicts at the edges (the layout's maximum, the decoder's buffer, the
/// first two-byte varint) are the full validation's.
#[test]
fn one_byte_varints_are_judged_as_the_full_validation_judges_them() {
    let layout = Layout::builder("!B")
        .varint_length()
        .max_payload(100)
        .trailer(Checksum::Crc16Xmodem)
        .build()
        .unwrap();
    let ok: Vec<u8> = [encode(&layout, b""), encode(&layout, &[7; 100])].concat();
    let want = vec![frame(&[0, 0], b""), frame(&[0, 100], &[7; 100])];
    at_every_split(layout, &ok, &want);
    // 101, over the maximum: refused at the frame's offset, after the
    // frames before it.
    let mut wire = ok.clone();
    wire.extend_from_slice(&[0, 101]);
    wire.extend_from_slice(&[0; 103]);
    let e = err_at(&layout, &wire);
    assert_eq!(
        e.kind(),
        DecodeErrorKind::TooLong {
            length: 101,
            max: 100
        }
    );
    assert_eq!(e.offset(), ok.len() as u64);
    let mut want_err = want.clone();
    want_err.push(Out::Err(e));
    at_every_split(layout, &wire, &want_err);
    // A buffer too small for the 100-byte payload: the empty frame passes,
    // the other is refused at its offset, its size counting the varint.
    let small = checks::run_whole(layout, 64, &[&ok[..]]);
    assert_eq!(small.len(), 2, "{small:?}");
    assert_eq!(small[0], want[0]);
    let Out::Err(e) = &small[1] else {
        panic!("expected an error, got {:?}", small[1]);
    };
    assert_eq!(
        e.kind(),
        DecodeErrorKind::FrameTooLarge {
            needed: 104,
            capacity: 64
        }
    );
    assert_eq!(e.offset(), 4);
    assert!(e.to_string().contains("104 bytes"), "{e}");
    // 0x80 begins a two-byte varint, left to the full validation: 0x80
    // 0x00 is a (non-minimal) zero.
    let mut two = vec![0u8, 0x80, 0x00];
    let crc = Checksum::Crc16Xmodem.checksum(&two) as u16;
    two.extend_from_slice(&crc.to_be_bytes());
    at_every_split(layout, &two, &[frame(&[0, 0x80, 0x00], b"")]);
}

/// The error a whole decode of `wire` ends with.
fn err_at(layout: &Layout, wire: &[u8]) -> framing_core::DecodeError {
    match checks::run_whole(*layout, 4096, &[wire]).pop() {
        Some(Out::Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn every_checksum_is_checked_before_the_frame_is_returned() {
    for checksum in Checksum::ALL {
        for covers in [Covers::Frame, Covers::Payload] {
            let layout = Layout::builder("!BH")
                .length_field(1)
                .constant(0, Value::Int(0x7e))
                .trailer(checksum)
                .trailer_covers(covers)
                .build()
                .unwrap();
            let a = encode(&layout, b"first");
            let b = encode(&layout, b"second");
            let covered = match covers {
                Covers::Frame => &a[..a.len() - checksum.byte_len()],
                Covers::Payload => &b"first"[..],
                other => panic!("not expected here: {other:?}"),
            };
            let sum = checksum.checksum(covered);
            let tail = &a[a.len() - checksum.byte_len()..];
            assert_eq!(
                tail,
                &sum.to_be_bytes()[4 - checksum.byte_len()..],
                "{checksum}"
            );
            let mut wire = a.clone();
            wire.extend_from_slice(&b);
            at_every_split(
                layout,
                &wire,
                &[frame(&a[..3], b"first"), frame(&b[..3], b"second")],
            );
            // A flipped bit in the second frame's payload: an error naming
            // its offset and both checksums; the first frame is delivered.
            let mut bad = wire.clone();
            bad[a.len() + 4] ^= 0x10;
            let e = err_at(&layout, &bad);
            let DecodeErrorKind::ChecksumMismatch { computed, carried } = e.kind() else {
                panic!("{e}")
            };
            assert_eq!(e.offset(), a.len() as u64);
            assert_ne!(computed, carried);
            assert!(e.to_string().contains(&format!("{carried:#x}")), "{e}");
            at_every_split(layout, &bad, &[frame(&a[..3], b"first"), Out::Err(e)]);
        }
    }
}

#[test]
fn under_resync_a_corrupt_frame_costs_one_frame() {
    let layout = Layout::builder("<BH")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .trailer(Checksum::Crc16Modbus)
        .resync(true)
        .build()
        .unwrap();
    let frames: Vec<Vec<u8>> = [&b"one"[..], b"two", b"three"]
        .iter()
        .map(|p| encode(&layout, p))
        .collect();
    let mut wire = frames.concat();
    let second = frames[0].len();
    wire[second + 3] ^= 1; // "two" -> "uwo"
                           // A false sync: junk that looks like a header, whose trailer is wrong.
    let junk = b"\x7e\x02\x00zz\x00\x00";
    wire.splice(0..0, junk.iter().copied());
    let at = |i: usize| (junk.len() + i) as u64;
    let Out::Recovered(Recovery::Corrupt {
        computed, carried, ..
    }) = checks::run_whole(layout, 4096, &[&wire])[0].clone()
    else {
        panic!("the false sync is reported")
    };
    let twos = frames[1].clone();
    let mut bad_two = twos.clone();
    bad_two[3] ^= 1;
    let two_sum = Checksum::Crc16Modbus.checksum(&bad_two[..bad_two.len() - 2]);
    at_every_split(
        layout,
        &wire,
        &[
            Out::Recovered(Recovery::Corrupt {
                offset: 0,
                length: junk.len() as u64,
                computed,
                carried,
            }),
            frame(&frames[0][..3], b"one"),
            Out::Recovered(Recovery::Corrupt {
                offset: at(second),
                length: twos.len() as u64,
                computed: two_sum,
                carried: u32::from(u16::from_le_bytes([twos[6], twos[7]])),
            }),
            frame(&frames[2][..3], b"three"),
        ],
    );
}

#[test]
fn the_stream_decoder_checks_the_trailer_over_the_pieces() {
    let layout = Layout::builder("!I")
        .trailer(Checksum::Crc32c)
        .build()
        .unwrap();
    let payload: Vec<u8> = (0..100u8).collect();
    let wire = encode(&layout, &payload);
    let mut d = StreamDecoder::new(&layout, framing_core::heapless::Vec::<u8, 4>::new());
    let mut pieces = Vec::new();
    let mut ended = false;
    for chunk in wire.chunks(7) {
        let mut chunk = chunk;
        while let Some(event) = d.decode(&mut chunk).unwrap() {
            match event {
                Event::Payload(p) => pieces.extend_from_slice(p),
                Event::End => ended = true,
                Event::Header(h) => assert_eq!(h.length_value(), 100),
                Event::Recovered(r) => panic!("{r}"),
                Event::Preface(p) => panic!("a preface {p:?}"),
                other => panic!("not expected here: {other:?}"),
            }
        }
    }
    assert!(ended);
    assert_eq!(pieces, payload);
    assert_eq!(d.finish(), Ok(None));
    // A trailer cut short is a truncation that counts its missing bytes.
    let mut d = StreamDecoder::new(&layout, framing_core::heapless::Vec::<u8, 4>::new());
    let mut input = &wire[..wire.len() - 3];
    while d.decode(&mut input).unwrap().is_some() {}
    assert_eq!(
        d.finish().unwrap_err().kind(),
        DecodeErrorKind::Truncated {
            missing: 3,
            in_header: false
        }
    );
}

#[test]
fn decoder_buffers_must_hold_the_longest_head_or_the_trailer() {
    let layout = Layout::builder("B")
        .varint_length()
        .trailer(Checksum::Crc32)
        .build()
        .unwrap();
    assert_eq!(layout.max_head_len(), 11);
    assert_eq!(layout.min_buffer_len(), 11);
    let d = StreamDecoder::new(&layout, framing_core::heapless::Vec::<u8, 10>::new());
    assert_eq!(
        d.failure().map(|e| e.kind()),
        Some(DecodeErrorKind::BufferTooSmall {
            header: 11,
            capacity: 10
        })
    );
    let tiny = Layout::builder("B")
        .trailer(Checksum::Crc32)
        .build()
        .unwrap();
    assert_eq!(tiny.min_buffer_len(), 4);
    assert_eq!(tiny.max_frame_len(), tiny.max_payload() + 5);
}
