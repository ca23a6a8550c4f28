//! WebSocket frames (RFC 6455): every split gives the frames whole
//! decoding gives, the header's parts read back, masked payloads unmask
//! (whole, and piece by piece from a streaming decoder), and malformed
//! headers are errors at their byte, after the frames before them.

use framing_core::websocket::{Masking, WsFault, WsHeader, BINARY, CLOSE, PING, TEXT};
use framing_core::{
    heapless, DecodeErrorKind, Decoded, Decoder, EncodeError, Event, Layout, StreamDecoder,
};

const ANY: Layout = Layout::websocket().max_payload(1 << 20).build_or_panic();
const FROM_CLIENTS: Layout = Layout::websocket()
    .websocket_masking(Masking::Required)
    .max_payload(1 << 20)
    .build_or_panic();
const FROM_SERVERS: Layout = Layout::websocket()
    .websocket_masking(Masking::Forbidden)
    .max_payload(1 << 20)
    .build_or_panic();

type Found = (WsHeader, Vec<u8>);
type Failure = Option<(DecodeErrorKind, u64)>;

/// The frames (header, unmasked payload) of `chunks` decoded in order,
/// then the error, if any.
fn decode(layout: &Layout, chunks: &[&[u8]]) -> (Vec<Found>, Failure) {
    let mut d = Decoder::new(layout, heapless::Vec::<u8, 70_000>::new());
    let mut frames = Vec::new();
    for chunk in chunks {
        let mut chunk = *chunk;
        loop {
            match d.decode(&mut chunk) {
                Ok(Some(Decoded::Frame(f))) => {
                    let head = f.websocket().expect("a WebSocket frame");
                    let mut payload = f.payload().to_vec();
                    head.unmask(0, &mut payload);
                    frames.push((head, payload));
                }
                Ok(Some(other)) => panic!("unexpected {other:?}"),
                Ok(None) => break,
                Err(e) => return (frames, Some((e.kind(), e.offset()))),
            }
        }
    }
    match d.finish() {
        Ok(_) => (frames, None),
        Err(e) => (frames, Some((e.kind(), e.offset()))),
    }
}

/// Frames of every length form, masked with `key` or not.
fn frames(key: Option<[u8; 4]>) -> (Vec<u8>, Vec<Found>) {
    let mut wire = Vec::new();
    let mut want = Vec::new();
    for (k, (opcode, len)) in [
        (TEXT, 0usize),
        (BINARY, 1),
        (TEXT, 125),
        (BINARY, 126),
        (PING, 125),
        (BINARY, 65_535),
        (BINARY, 65_536),
        (CLOSE, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 + k) as u8).collect();
        let mut head = WsHeader::new(opcode);
        head.fin = k != 1 || opcode >= 8;
        head.rsv = if k == 3 { 4 } else { 0 };
        head.mask = key;
        let mut out = vec![0u8; len + 14];
        let n = head.encode(&payload, &mut out).unwrap();
        wire.extend_from_slice(&out[..n]);
        head.length = len as u64;
        want.push((head, payload));
    }
    (wire, want)
}

#[test]
fn every_split_gives_the_same_frames() {
    for (layout, key) in [
        (&FROM_CLIENTS, Some(*b"\x37\xfa\x21\x3d")),
        (&FROM_SERVERS, None),
        (&ANY, Some([1, 2, 3, 4])),
        (&ANY, None),
    ] {
        let (wire, want) = frames(key);
        assert_eq!(decode(layout, &[&wire]), (want.clone(), None));
        for cut in (0..wire.len()).step_by(97).chain([1, 2, 3, 5, 9, 140, 141]) {
            let (a, b) = wire.split_at(cut);
            assert_eq!(decode(layout, &[a, b]), (want.clone(), None), "cut {cut}");
        }
        let sevens: Vec<&[u8]> = wire.chunks(7).collect();
        assert_eq!(decode(layout, &sevens), (want.clone(), None));
    }
}

#[test]
fn a_streaming_decoder_unmasks_its_pieces_at_their_offsets() {
    let (wire, want) = frames(Some(*b"\x37\xfa\x21\x3d"));
    let mut d = StreamDecoder::new(&FROM_CLIENTS, heapless::Vec::<u8, 14>::new());
    let mut got: Vec<Found> = Vec::new();
    let mut head = None;
    for chunk in wire.chunks(333) {
        let mut chunk = chunk;
        while let Some(event) = d.decode(&mut chunk).unwrap() {
            match event {
                Event::Header(h) => {
                    head = WsHeader::parse(h.as_bytes());
                    got.push((head.unwrap(), Vec::new()));
                }
                Event::Payload(piece) => {
                    let payload = &mut got.last_mut().unwrap().1;
                    let at = payload.len();
                    payload.extend_from_slice(piece);
                    head.unwrap().unmask(at as u64, &mut payload[at..]);
                }
                Event::End => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(got, want);
}

#[test]
fn malformed_headers_are_errors_at_their_byte() {
    let good = b"\x81\x02hi";
    let ws = |fault, at| Some((DecodeErrorKind::WebSocket { fault, at }, 4));
    let cases: &[(&Layout, &[u8], Failure)] = &[
        (&ANY, b"\x83\x00", ws(WsFault::Opcode { opcode: 3 }, 0)),
        (&ANY, b"\x09\x00", ws(WsFault::FragmentedControl, 0)),
        (
            &ANY,
            b"\x88\x7e\x00\x80",
            ws(WsFault::ControlTooLong { length: 126 }, 1),
        ),
        (
            &ANY,
            b"\x82\x7e\x00\x05",
            ws(WsFault::NotMinimal { length: 5 }, 2),
        ),
        (
            &ANY,
            b"\x82\x7f\x80\0\0\0\0\0\0\0",
            ws(WsFault::LengthTopBit, 2),
        ),
        (&FROM_SERVERS, b"\x82\x81abcd", ws(WsFault::Masked, 1)),
        (
            &ANY,
            b"\x82\x7f\0\0\0\0\x01\0\0\0",
            Some((
                DecodeErrorKind::TooLong {
                    length: 1 << 24,
                    max: 1 << 20,
                },
                4,
            )),
        ),
    ];
    for (layout, bad, err) in cases {
        let wire = [&good[..], bad].concat();
        for cut in 0..=wire.len() {
            let (a, b) = wire.split_at(cut);
            let (got, e) = decode(layout, &[a, b]);
            assert_eq!(got.len(), 1, "cut {cut} of {bad:x?}");
            assert_eq!(got[0].1, b"hi");
            assert_eq!(&e, err, "cut {cut} of {bad:x?}");
        }
    }
    // A server reading an unmasked frame: the first one already.
    assert_eq!(
        decode(&FROM_CLIENTS, &[good]).1,
        Some((
            DecodeErrorKind::WebSocket {
                fault: WsFault::Unmasked,
                at: 1
            },
            0
        ))
    );
}

#[test]
fn the_layout_encoder_writes_minimal_unmasked_frames() {
    let mut out = vec![0u8; 70_000];
    for len in [0usize, 125, 126, 65_535, 65_536] {
        let payload = vec![7u8; len];
        let n = FROM_SERVERS
            .encode_with(&payload, &[(0, framing_core::Value::Int(0x82))], &mut out)
            .unwrap();
        let mut want = vec![0u8; len + 14];
        let m = WsHeader::new(BINARY).encode(&payload, &mut want).unwrap();
        assert_eq!(&out[..n], &want[..m], "{len}");
    }
    // Without value 0: FIN + binary.
    let n = FROM_SERVERS.encode(b"hi", &mut out).unwrap();
    assert_eq!(&out[..n], b"\x82\x02hi");
    assert_eq!(
        FROM_SERVERS.encode_with(b"x", &[(1, framing_core::Value::Int(0))], &mut out),
        Err(EncodeError::FieldIsFixed { index: 1 })
    );
    assert_eq!(
        FROM_CLIENTS.encode(b"x", &mut out),
        Err(EncodeError::MaskRequired)
    );
}

#[test]
fn websocket_layouts_cannot_resync() {
    assert_eq!(
        Layout::websocket()
            .constant(0, framing_core::Value::Int(0x82))
            .resync(true)
            .build(),
        Err(framing_core::LayoutError::WebSocketResync)
    );
}

mod common;

mod properties {
    use super::common::split;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_chunking_gives_the_frames(
            frames in prop::collection::vec(
                (
                    prop::sample::select(vec![0u8, 1, 2, 8, 9, 10]),
                    any::<bool>(),
                    0u8..8,
                    prop::option::of(any::<[u8; 4]>()),
                    prop::sample::select(vec![0usize, 1, 125, 126, 300, 65_535, 65_536]),
                ),
                1..5,
            ),
            cuts in prop::collection::vec(any::<usize>(), 0..5),
        ) {
            let mut wire = Vec::new();
            let mut want = Vec::new();
            for (k, (opcode, fin, rsv, mask, len)) in frames.into_iter().enumerate() {
                // Control frames: final, at most 125 bytes.
                let len = if opcode >= 8 { len.min(125) } else { len };
                let payload: Vec<u8> = (0..len).map(|i| (i + k) as u8).collect();
                let head = WsHeader { fin: fin || opcode >= 8, rsv, opcode, mask, length: len as u64 };
                let mut out = vec![0u8; len + 14];
                let n = head.encode(&payload, &mut out).unwrap();
                wire.extend_from_slice(&out[..n]);
                want.push((head, payload));
            }
            let chunks = split(&wire, &cuts);
            prop_assert_eq!(decode(&ANY, &chunks), (want, None));
        }
    }
}
