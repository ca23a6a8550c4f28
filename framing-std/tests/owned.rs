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

/// A short `!H` frame (copied into its `ReadBytes`) then a long one
/// (shared with the read buffer).
const SHORT_THEN_LONG: &[u8] = b"\x00\x02hi\x00\x28abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

#[test]
fn short_frames_are_copied_and_read_like_shared_ones() {
    let mut reader = FrameReader::new(SHORT_THEN_LONG, Layout::new("!H"));
    let short = reader.next_owned_frame().unwrap().unwrap();
    let long = reader.next_owned_frame().unwrap().unwrap();
    assert!(reader.next_owned_frame().unwrap().is_none());
    assert_eq!(short.payload(), b"hi");
    assert_eq!(short.as_bytes(), b"\x00\x02hi");
    assert_eq!(short.int(0), Some(2));
    assert_eq!(long.payload(), &SHORT_THEN_LONG[6..]);
    assert_eq!(long.int(0), Some(40));
    // A part of either, kept past the frame: the same bytes.
    let (hi, mid) = (short.payload_bytes(), long.payload_bytes());
    drop((short, long));
    assert_eq!(hi, &b"hi"[..]);
    assert_eq!(&mid[..], &SHORT_THEN_LONG[6..]);
    // Equal frames are equal however their bytes are kept: one read whole
    // in a buffer of 4 bytes (shared: no 32 bytes after its start), one
    // in a large one (copied).
    let small = FrameReader::with_capacity(4, SHORT_THEN_LONG, Layout::new("!H"))
        .next_owned_frame()
        .unwrap()
        .unwrap();
    let large = FrameReader::new(SHORT_THEN_LONG, Layout::new("!H"))
        .next_owned_frame()
        .unwrap()
        .unwrap();
    assert_eq!(small, large);
    assert_eq!(small.payload_bytes(), large.payload_bytes());
}

#[test]
fn readers_of_equal_layouts_refer_to_one_copy_of_it() {
    // The process keeps the first 64 distinct layouts; this binary's other
    // tests build fewer (the test past them is a binary of its own,
    // `tests/layouts_kept.rs`).
    let layout = Layout::builder("<I").max_payload(77).build().unwrap();
    let frame = |_| {
        FrameReader::new(&b"\x01\x00\x00\x00x"[..], layout)
            .next_owned_frame()
            .unwrap()
            .unwrap()
    };
    let (a, b) = (frame(0), frame(1));
    assert_eq!((a.payload(), b.payload()), (&b"x"[..], &b"x"[..]));
    assert!(std::ptr::eq(a.layout(), b.layout()));
    assert_eq!(a.layout(), &layout);
}
