//! RESP framing: every split of a stream gives the same frames as the
//! whole, malformed values are errors at their byte, and the encoder
//! writes exactly one value.

use framing_core::resp::{RespFault, RespType};
use framing_core::{
    heapless, DecodeErrorKind, Decoded, Decoder, EncodeError, Layout, LayoutError, Oversize,
};

const RESP: Layout = Layout::resp().max_payload(256).build_or_panic();

/// What decoding `chunks` in order gives: the frames, then the error, if
/// any (its kind and offset).
fn decode(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, Option<(DecodeErrorKind, u64)>) {
    let mut d = Decoder::new(&RESP, heapless::Vec::<u8, 256>::new());
    let mut frames = Vec::new();
    for chunk in chunks {
        let mut chunk = *chunk;
        loop {
            match d.decode(&mut chunk) {
                Ok(Some(Decoded::Frame(f))) => frames.push(f.payload().to_vec()),
                Ok(Some(other)) => panic!("unexpected {other:?}"),
                Ok(None) => break,
                Err(e) => return (frames, Some((e.kind(), e.offset()))),
            }
        }
    }
    match d.finish() {
        Ok(None) => (frames, None),
        Ok(Some(r)) => panic!("unexpected {r:?}"),
        Err(e) => (frames, Some((e.kind(), e.offset()))),
    }
}

const STREAM: &[&[u8]] = &[
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\no\r\n",
    b"+OK\r\n",
    b"$-1\r\n",
    b"%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n_\r\n#f\r\n",
    b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
    b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n=9\r\ntxt:hello\r\n",
    b"$0\r\n\r\n",
    b",-1.5e3\r\n",
    b"(3492890328409238509324850943850943825024385\r\n",
    b"!21\r\nSYNTAX invalid syntax\r\n",
    b"*0\r\n",
];

#[test]
fn every_split_gives_the_same_values() {
    let wire: Vec<u8> = STREAM.concat();
    let want: Vec<Vec<u8>> = STREAM.iter().map(|v| v.to_vec()).collect();
    assert_eq!(decode(&[&wire]), (want.clone(), None));
    for cut in 0..=wire.len() {
        let (a, b) = wire.split_at(cut);
        assert_eq!(decode(&[a, b]), (want.clone(), None), "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(decode(&bytes), (want.clone(), None));
    let sevens: Vec<&[u8]> = wire.chunks(7).collect();
    assert_eq!(decode(&sevens), (want, None));
    let types: Vec<_> = STREAM
        .iter()
        .map(|v| RespType::of(v).unwrap().name())
        .collect();
    assert_eq!(
        types,
        [
            "array",
            "simple",
            "bulk",
            "map",
            "attribute",
            "push",
            "bulk",
            "double",
            "big_number",
            "bulk_error",
            "array"
        ]
    );
}

#[test]
fn malformed_values_are_errors_at_their_byte_after_the_good_ones() {
    let cases: &[(&[u8], DecodeErrorKind)] = &[
        (
            b"PING\r\n",
            DecodeErrorKind::Resp {
                fault: RespFault::Type { byte: b'P' },
                at: 0,
            },
        ),
        (
            b"*2\r\n$3\r\nGET\r\n$x\r\n",
            DecodeErrorKind::Resp {
                fault: RespFault::Length { byte: b'x' },
                at: 14,
            },
        ),
        (
            b"$3\r\nabcd\r\n",
            DecodeErrorKind::Resp {
                fault: RespFault::LineEnd { byte: b'd' },
                at: 7,
            },
        ),
        (
            b"$1000\r\n",
            DecodeErrorKind::TooLong {
                length: 1004,
                max: 256,
            },
        ),
    ];
    for (bad, kind) in cases {
        let wire = [&b"+OK\r\n:1\r\n"[..], bad].concat();
        for cut in 0..=wire.len() {
            let (a, b) = wire.split_at(cut);
            let (frames, err) = decode(&[a, b]);
            assert_eq!(
                frames,
                [b"+OK\r\n".to_vec(), b":1\r\n".to_vec()],
                "cut {cut}"
            );
            assert_eq!(
                err,
                Some((*kind, 9)),
                "cut {cut} of {:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
    let (frames, err) = decode(&[b"+OK\r\n*2\r\n+a\r\n"]);
    assert_eq!(frames.len(), 1);
    assert_eq!(err, Some((DecodeErrorKind::Unterminated { held: 8 }, 5)));
}

#[test]
fn nesting_is_bounded() {
    let depth = framing_core::resp::MAX_DEPTH;
    let ok = [b"*1\r\n".repeat(depth), b":1\r\n".to_vec()].concat();
    assert_eq!(decode(&[&ok]), (vec![ok.clone()], None));
    let deep = [b"*1\r\n".repeat(depth + 1), b":1\r\n".to_vec()].concat();
    for cut in [0, 3, 50, deep.len()] {
        let (a, b) = deep.split_at(cut);
        let (frames, err) = decode(&[a, b]);
        assert!(frames.is_empty());
        assert_eq!(
            err,
            Some((
                DecodeErrorKind::Resp {
                    fault: RespFault::TooDeep { max: depth as u8 },
                    at: 4 * depth as u64,
                },
                0
            ))
        );
    }
}

#[test]
fn the_encoder_writes_one_value_as_it_is() {
    let mut out = [0u8; 64];
    for v in STREAM.iter().filter(|v| v.len() <= 64) {
        let n = RESP.encode(v, &mut out).unwrap();
        assert_eq!(&out[..n], *v);
        // The streaming encoder, in pieces of 3, writes the same.
        let mut enc = RESP.frame_encoder().unwrap();
        let mut wire = Vec::new();
        for piece in v.chunks(3) {
            let (took, wrote) = enc.encode(piece, &mut out).unwrap();
            assert_eq!(took, piece.len());
            wire.extend_from_slice(&out[..wrote]);
        }
        assert_eq!(enc.finish(&mut out), Ok((0, true)));
        assert_eq!(wire, *v);
    }
    let not = |at, fault| Err(EncodeError::NotOneRespValue { at, fault });
    assert_eq!(RESP.encode(b"+OK\r\n+OK\r\n", &mut out), not(5, None));
    assert_eq!(RESP.encode(b"*2\r\n+OK\r\n", &mut out), not(9, None));
    assert_eq!(
        RESP.encode(b"hello", &mut out),
        not(0, Some(RespFault::Type { byte: b'h' }))
    );
    let mut enc = RESP.frame_encoder().unwrap();
    assert_eq!(enc.encode(b"*1\r\n", &mut out), Ok((4, 4)));
    assert_eq!(
        enc.finish(&mut out),
        Err(EncodeError::NotOneRespValue { at: 4, fault: None })
    );
}

#[test]
fn resp_layouts_have_no_resync_trailer_or_discard() {
    assert_eq!(
        Layout::resp().resync(true).build(),
        Err(LayoutError::RespOptions)
    );
    assert_eq!(
        Layout::resp().on_oversize(Oversize::Discard).build(),
        Err(LayoutError::RespOptions)
    );
    assert_eq!(
        Layout::resp()
            .trailer(framing_core::Checksum::Crc32)
            .build(),
        Err(LayoutError::RespOptions)
    );
}

mod common;

mod properties {
    use super::common::split;
    use super::*;
    use proptest::prelude::*;

    /// A random RESP2/RESP3 value's bytes, nested up to 4 deep.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        let line = "[ -~]{0,12}".prop_map(|s| s.into_bytes());
        let leaf = prop_oneof![
            line.clone()
                .prop_map(|l| [b"+".to_vec(), l, b"\r\n".to_vec()].concat()),
            line.clone()
                .prop_map(|l| [b"-".to_vec(), l, b"\r\n".to_vec()].concat()),
            any::<i64>().prop_map(|n| format!(":{n}\r\n").into_bytes()),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| [
                format!("${}\r\n", b.len()).into_bytes(),
                b,
                b"\r\n".to_vec()
            ]
            .concat()),
            Just(b"$-1\r\n".to_vec()),
            Just(b"*-1\r\n".to_vec()),
            Just(b"_\r\n".to_vec()),
            Just(b"#t\r\n".to_vec()),
            any::<f64>().prop_map(|f| format!(",{f}\r\n").into_bytes()),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                (
                    prop::sample::select(vec![b'*', b'~', b'>']),
                    prop::collection::vec(inner.clone(), 0..5)
                )
                    .prop_map(|(t, items)| {
                        [
                            vec![t],
                            format!("{}\r\n", items.len()).into_bytes(),
                            items.concat(),
                        ]
                        .concat()
                    }),
                prop::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(|pairs| {
                    let n = pairs.len();
                    let body: Vec<u8> = pairs
                        .into_iter()
                        .flat_map(|(k, v)| [k, v].concat())
                        .collect();
                    [format!("%{n}\r\n").into_bytes(), body].concat()
                }),
                (inner.clone(), inner)
                    .prop_map(|(k, v)| { [b"|1\r\n".to_vec(), k, v, b":1\r\n".to_vec()].concat() }),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_values(
            values in prop::collection::vec(value(), 1..6),
            cuts in prop::collection::vec(any::<usize>(), 0..6),
        ) {
            let values: Vec<Vec<u8>> = values.into_iter().filter(|v| v.len() <= 256).collect();
            let wire = values.concat();
            let chunks = split(&wire, &cuts);
            prop_assert_eq!(decode(&chunks), (values.clone(), None));
            // Each value encodes as itself.
            let mut out = [0u8; 256];
            for v in &values {
                prop_assert_eq!(RESP.encode(v, &mut out), Ok(v.len()));
            }
        }
    }
}

/// The adapters' take for RESP (`Window::take`): a value whole at the
/// start of the unfed bytes is taken and lent from the buffer; one not
/// whole, nested too deep or malformed is left to `pull`, which reports
/// it at its byte, as the loop does.
#[test]
fn whole_values_are_taken_and_the_rest_pulled() {
    use framing_core::adapter::{Pull, Window};

    let deep = [
        b"*1\r\n".repeat(framing_core::resp::MAX_DEPTH + 1),
        b":1\r\n".to_vec(),
    ]
    .concat();
    let long = [&b"$300\r\n"[..], &[b'x'; 300], b"\r\n"].concat();
    let depth = framing_core::resp::MAX_DEPTH;
    for (tail, error) in [
        (
            &b"?x\r\n"[..],
            Some(DecodeErrorKind::Resp {
                fault: RespFault::Type { byte: b'?' },
                at: 0,
            }),
        ),
        (
            &deep[..],
            Some(DecodeErrorKind::Resp {
                fault: RespFault::TooDeep { max: depth as u8 },
                at: 4 * depth as u64,
            }),
        ),
        (
            &long[..],
            Some(DecodeErrorKind::TooLong {
                length: 303,
                max: 256,
            }),
        ),
        (&b"$5\r\nab"[..], None),
    ] {
        let stream = [&b"+OK\r\n$3\r\nabc\r\n*2\r\n:1\r\n:2\r\n"[..], tail].concat();
        let mut room = [0u8; 1024];
        let mut window = Window::new();
        window.room(&mut room)[..stream.len()].copy_from_slice(&stream);
        window.filled(stream.len());
        let buf = &room[..stream.len()];
        let mut d = Decoder::new(&RESP, heapless::Vec::<u8, 256>::new());
        for want in [&b"+OK\r\n"[..], b"$3\r\nabc\r\n", b"*2\r\n:1\r\n:2\r\n"] {
            let (from, at) = window.take(buf, &mut d).expect("a whole value");
            let p = d.frame(window.since(buf, from), at).payload();
            assert_eq!(p, want);
            assert!(buf.as_ptr_range().contains(&p.as_ptr()), "lent");
        }
        // Not taken, nothing consumed; `pull` says why.
        let start = window.start();
        assert!(window.take(buf, &mut d).is_none());
        assert_eq!(window.start(), start);
        match (window.pull(buf, &mut d, 0), error) {
            (Pull::Failed(e), Some(kind)) => {
                assert_eq!((e.kind(), e.offset()), (kind, 26));
            }
            (Pull::Read { .. }, None) => {}
            (other, _) => panic!("{tail:?}: got {other:?}"),
        }
    }
}

/// An error names the value's first byte, and the bad byte's too when it
/// lies further in (once, not twice, when it is the first).
#[test]
fn errors_name_the_value_and_the_bad_byte() {
    let message = |wire: &[u8]| {
        let mut d = Decoder::new(&RESP, heapless::Vec::<u8, 256>::new());
        let mut input = wire;
        loop {
            match d.decode(&mut input) {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error in {wire:?}"),
                Err(e) => return e.to_string(),
            }
        }
    };
    assert_eq!(
        message(b"+OK\r\n?x\r\n"),
        "RESP value at byte 5: 0x3f is not a RESP type byte"
    );
    let inside = message(b"+OK\r\n$3\r\nabcd\r\n");
    assert!(
        inside.starts_with("RESP value at byte 5: ") && inside.ends_with(" (byte 12)"),
        "{inside}"
    );
}
