//! Owned frames share the reader's read buffer ([`ReadBytes`]): frames kept
//! while the reader reads on must keep their bytes, whatever the reads'
//! sizes, and a frame the decoder assembled in its own buffer is copied.

use std::io::{self, Read};

use framing_std::{FrameReader, Layout, OwnedFrame, ReadBytes};

/// Hands out at most `step` bytes a read, the step cycling through `steps`.
struct Uneven<'a> {
    bytes: &'a [u8],
    steps: &'a [usize],
    turn: usize,
}

impl Read for Uneven<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self.steps[self.turn % self.steps.len()];
        self.turn += 1;
        let n = step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// `count` `!H` frames, payload `i` of length `i % 50` filled with `i`.
fn stream(count: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (mut bytes, mut payloads) = (Vec::new(), Vec::new());
    for i in 0..count {
        let payload = vec![i as u8; i % 50];
        bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&payload);
        payloads.push(payload);
    }
    (bytes, payloads)
}

#[test]
fn frames_kept_across_reads_keep_their_bytes() {
    let (bytes, payloads) = stream(2000);
    for (capacity, steps) in [
        (64, &[64][..]),
        (64, &[1, 7, 3][..]),
        (100, &[13, 64, 2][..]),
        (64 * 1024, &[1500][..]),
        (7, &[5, 7][..]),
    ] {
        let inner = Uneven {
            bytes: &bytes,
            steps,
            turn: 0,
        };
        let frames: Vec<OwnedFrame> =
            FrameReader::with_capacity(capacity, inner, Layout::new("!H"))
                .collect::<io::Result<_>>()
                .unwrap();
        assert_eq!(frames.len(), payloads.len());
        for (i, (frame, payload)) in frames.iter().zip(&payloads).enumerate() {
            assert_eq!(
                frame.payload(),
                &payload[..],
                "frame {i}, capacity {capacity}, reads {steps:?}"
            );
            assert_eq!(frame.int(0), Some(payload.len() as i128));
        }
    }
}

#[test]
fn payloads_kept_outlive_their_frames_and_the_reader() {
    let (bytes, payloads) = stream(300);
    let inner = Uneven {
        bytes: &bytes,
        steps: &[9, 40],
        turn: 0,
    };
    let mut reader = FrameReader::with_capacity(32, inner, Layout::new("!H"));
    let mut kept: Vec<ReadBytes> = Vec::new();
    while let Some(frame) = reader.next_owned_frame().unwrap() {
        kept.push(frame.payload_bytes());
    }
    drop(reader);
    for (payload, expected) in kept.iter().zip(&payloads) {
        assert_eq!(payload, expected);
    }
    assert_eq!(kept.len(), payloads.len());
}

/// `payload` COBS-encoded, with its zero delimiter.
fn cobs(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    let mut code_at = 0;
    for &b in payload {
        if b == 0 || out.len() - code_at == 255 {
            out[code_at] = (out.len() - code_at) as u8;
            code_at = out.len();
            out.push(0);
            if b == 0 {
                continue;
            }
        }
        out.push(b);
    }
    out[code_at] = (out.len() - code_at) as u8;
    out.push(0);
    out
}

#[test]
fn a_frame_assembled_by_the_decoder_is_copied_whole() {
    // A COBS frame whose payload holds a zero is decoded into the
    // decoder's buffer, not lent from the read buffer: the owned frame is
    // a copy of it, and stays right while the reader goes on.
    let layout = Layout::with_delimiter(framing_std::Delimiter::Cobs)
        .build()
        .unwrap();
    let payloads: Vec<Vec<u8>> = (0..200u8)
        .map(|i| vec![i, 0, i.wrapping_add(1), 0, 0, i])
        .collect();
    let bytes: Vec<u8> = payloads.iter().flat_map(|p| cobs(p)).collect();
    let inner = Uneven {
        bytes: &bytes,
        steps: &[3, 5, 11],
        turn: 0,
    };
    let frames: Vec<OwnedFrame> = FrameReader::with_capacity(16, inner, layout)
        .collect::<io::Result<_>>()
        .unwrap();
    assert_eq!(frames.len(), payloads.len());
    for (frame, payload) in frames.iter().zip(&payloads) {
        assert_eq!(frame.payload(), &payload[..]);
        assert_eq!(frame.clone(), *frame);
    }
}

#[test]
fn a_buffer_grown_for_a_long_frame_is_not_reallocated_at_that_size_while_frames_are_kept() {
    // One 1 MiB frame grows the read buffer; the small frames after it,
    // all kept, must not make every read allocate a fresh 1 MiB buffer.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(1u32 << 20).to_be_bytes());
    bytes.resize(4 + (1 << 20), 7);
    for i in 0..20_000u32 {
        bytes.extend_from_slice(&4u32.to_be_bytes());
        bytes.extend_from_slice(&i.to_be_bytes());
    }
    let inner = Uneven {
        bytes: &bytes,
        steps: &[4096],
        turn: 0,
    };
    let mut reader = FrameReader::with_capacity(4096, inner, Layout::new("!I"));
    let long = reader.next_owned_frame().unwrap().unwrap();
    assert_eq!(long.payload().len(), 1 << 20);
    let mut kept = Vec::new();
    while let Some(frame) = reader.next_owned_frame().unwrap() {
        assert!(
            reader.allocated() < 64 * 1024,
            "the reader holds {} bytes after {} small frames",
            reader.allocated(),
            kept.len()
        );
        kept.push(frame);
    }
    assert_eq!(kept.len(), 20_000);
    for (i, frame) in kept.iter().enumerate() {
        assert_eq!(frame.payload(), (i as u32).to_be_bytes());
    }
}
