//! The streaming encoder of delimited frames writes, in any pieces and
//! into windows of any size, exactly what the whole encoder writes.

use framing_core::{Checksum, Delimiter, EncodeError, Layout};

/// Encodes `payload` in pieces of `piece` bytes into windows of `window`.
fn streamed(layout: &Layout, payload: &[u8], piece: usize, window: usize) -> Vec<u8> {
    let mut e = layout.frame_encoder().unwrap();
    let mut wire = Vec::new();
    let mut out = [0u8; 600];
    let out = &mut out[..window];
    for p in payload.chunks(piece.max(1)) {
        let mut p = p;
        while !p.is_empty() {
            let (took, wrote) = e.encode(p, out).unwrap();
            assert!(took + wrote > 0, "no progress");
            wire.extend_from_slice(&out[..wrote]);
            p = &p[took..];
        }
    }
    for _ in 0..10_000 {
        let (wrote, done) = e.finish(out).unwrap();
        wire.extend_from_slice(&out[..wrote]);
        if done {
            return wire;
        }
    }
    panic!("finish made no progress");
}

#[test]
fn streamed_frames_are_the_whole_encoder_byte_for_byte() {
    let layouts = [
        Layout::cobs().build_or_panic(),
        Layout::cobs().trailer(Checksum::Crc32).build_or_panic(),
        Layout::slip().build_or_panic(),
        Layout::slip()
            .trailer(Checksum::Crc16Modbus)
            .build_or_panic(),
        Layout::delimited(b"\r\n").build_or_panic(),
    ];
    let mut payloads: Vec<Vec<u8>> = vec![Vec::new(), vec![0], vec![0xc0, 0xdb]];
    payloads.push((1..=254).collect());
    payloads.push((1..=255).collect());
    payloads.push((0..1500).map(|i| ((i * 37) % 256) as u8).collect());
    payloads.push((0..700).map(|i| if i % 300 == 0 { 0 } else { 7 }).collect());
    for layout in &layouts {
        for payload in &payloads {
            let lines = matches!(layout.delimiter(), Some(Delimiter::Bytes(_)));
            let payload: Vec<u8> = if lines {
                payload.iter().map(|b| b'a' + b % 26).collect()
            } else {
                payload.clone()
            };
            let mut whole = vec![0u8; layout.max_encoded_len(payload.len()).unwrap()];
            let Ok(n) = layout.encode(&payload, &mut whole) else {
                continue;
            };
            for (piece, window) in [(1, 1), (7, 3), (300, 2), (1000, 600), (13, 255)] {
                assert_eq!(
                    streamed(layout, &payload, piece, window),
                    &whole[..n],
                    "{:?}, {} bytes, pieces {piece}, window {window}",
                    layout.delimiter(),
                    payload.len()
                );
            }
        }
    }
}

#[test]
fn a_delimiter_in_a_streamed_line_is_refused() {
    let layout = Layout::delimited(b"\r\n").build_or_panic();
    let mut e = layout.frame_encoder().unwrap();
    let mut out = [0u8; 16];
    assert_eq!(e.encode(b"ab\r", &mut out), Ok((3, 3)));
    assert_eq!(
        e.encode(b"\ncd", &mut out),
        Err(EncodeError::DelimiterInFrame { at: 2 })
    );
    assert!(Layout::new("!I").frame_encoder().is_none());
}

/// An empty SLIP frame is an END alone, which readers skip: the streaming
/// encoder refuses it as the whole one does, and writes nothing. With a
/// trailer it is not empty; COBS and lines carry empty frames.
#[test]
fn an_empty_slip_frame_is_refused_as_by_the_whole_encoder() {
    let slip = Layout::slip().build_or_panic();
    let mut out = [0u8; 16];
    assert_eq!(slip.encode(b"", &mut out), Err(EncodeError::EmptyFrame));
    let mut e = slip.frame_encoder().unwrap();
    assert_eq!(e.encode(b"", &mut out), Ok((0, 0)));
    assert_eq!(e.finish(&mut out), Err(EncodeError::EmptyFrame));
    assert!(!e.is_done());

    let checked = Layout::slip()
        .trailer(Checksum::Crc16Xmodem)
        .build_or_panic();
    let n = checked.encode(b"", &mut out).unwrap();
    assert_eq!(streamed(&checked, b"", 1, 1), &out[..n]);
    let cobs = Layout::cobs().build_or_panic();
    assert_eq!(streamed(&cobs, b"", 1, 1), [0x01, 0x00]);
    let lines = Layout::delimited(b"\n").build_or_panic();
    assert_eq!(streamed(&lines, b"", 1, 1), b"\n");
}
