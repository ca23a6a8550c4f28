//! The central promise, as properties: for random layouts, random frames and
//! any partition of their bytes into chunks, decoding gives exactly the
//! encoded frames; a bad stream gives the same error at the same offset
//! whatever the chunking; and the streaming way gives the same bytes as the
//! whole-frame way.

use framing_core::{
    Buffer, Checksum, Covers, DecodeErrorKind, Decoded, Decoder, Layout, Oversize, Recovery,
    SliceBuffer, Value,
};
use proptest::prelude::*;

// The decoding loops (and their own assertions: progress, valid frames, a
// failed decoder stays failed, positions) are the fuzz targets' oracle.
#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use checks::{run_stream, Out};

/// Feeds `chunks` to a whole-frame decoder assembling in `buf` until an
/// error (every error is fatal), then finishes.
fn run_whole<B: Buffer>(layout: Layout, buf: B, chunks: &[&[u8]]) -> Vec<Out> {
    checks::run_whole_in(layout, buf, chunks, false)
}

/// The same, but the last chunk is fed with `last` set (`feed(input, true)`),
/// which declares the end by itself.
fn run_eof<B: Buffer>(layout: Layout, buf: B, chunks: &[&[u8]]) -> Vec<Out> {
    checks::run_whole_in(layout, buf, chunks, true)
}

mod common;
use common::split;

/// A random layout: a prefix, 0-3 other fields around a length field (an
/// integer or an `Ns` field; or no field and a varint after the header),
/// maybe a magic constant, an adjust, maybe a checksum trailer, and the
/// recovery policies.
#[derive(Clone, Debug)]
struct Spec {
    format: String,
    /// `None`: a varint length after the header (ASCII digits with
    /// `ascii`).
    length_field: Option<usize>,
    ascii: bool,
    /// Frame-end bytes after every payload and trailer (AMQP's 0xCE).
    frame_end: bool,
    trailer: Option<(Checksum, Covers)>,
    adjust: i64,
    magic: Option<(usize, i128)>,
    max_payload: u64,
    discard: bool,
    resync: bool,
}

impl Spec {
    fn layout(&self) -> Option<Layout> {
        let mut b = Layout::builder(&self.format);
        b = match self.length_field {
            Some(i) => b.length_field(i),
            None if self.ascii => b.ascii_length(framing_core::Radix::Decimal, b":"),
            None => b.varint_length(),
        };
        if self.frame_end {
            b = b.frame_end(&[0xCE]);
        }
        if let Some((checksum, covers)) = self.trailer {
            b = b.trailer(checksum).trailer_covers(covers);
        }
        let mut b = b
            .length_adjust(self.adjust)
            .max_payload(self.max_payload)
            .on_oversize(if self.discard {
                Oversize::Discard
            } else {
                Oversize::Fail
            })
            .resync(self.resync && self.magic.is_some());
        if let Some((i, v)) = self.magic {
            b = b.constant(i, Value::Int(v));
        }
        b.build().ok()
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    let prefix = prop::sample::select(vec!["", "@", "=", "<", ">", "!"]);
    let len_code = prop::sample::select(vec![
        "B", "H", "I", "Q", "b", "h", "i", "q", "L", "l", "3s", "1s", "5s", "8s", "varint", "ascii",
    ]);
    let trailer = prop::option::of((
        prop::sample::select(Checksum::ALL.to_vec()),
        prop::sample::select(vec![Covers::Frame, Covers::Payload]),
    ));
    let other = prop::sample::select(vec![
        "x", "B", "?", "2s", "e", "d", "H", "c", "3x", "0i", "p",
    ]);
    (
        prefix,
        prop::collection::vec(other.clone(), 0..3),
        len_code,
        prop::collection::vec(other, 0..2),
        any::<bool>(),
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![40u64, 300, 1 << 20]),
        (trailer, any::<bool>()),
    )
        .prop_map(
            |(
                prefix,
                before,
                len,
                after,
                magic,
                adjust_kind,
                discard,
                resync,
                max_payload,
                (trailer, frame_end),
            )| {
                let magic_code = if magic { "H" } else { "" };
                let ascii = len == "ascii";
                let varint = len == "varint" || ascii;
                let len = if varint { "" } else { len };
                let format = format!(
                    "{prefix}{magic_code}{}{len}{}",
                    before.concat(),
                    after.concat()
                );
                let fmt = framing_core::Format::parse(&format).unwrap();
                let values_before = usize::from(magic)
                    + before
                        .iter()
                        .map(|c| framing_core::Format::parse(c).unwrap().value_count())
                        .sum::<usize>();
                let adjust = match adjust_kind {
                    0 | 1 => 0,
                    2 => -(fmt.size() as i64),
                    _ => 3,
                };
                Spec {
                    format,
                    length_field: (!varint).then_some(values_before),
                    ascii,
                    frame_end,
                    trailer,
                    adjust,
                    magic: magic.then_some((0, 0xA55A)),
                    max_payload,
                    discard,
                    resync,
                }
            },
        )
}

/// Encodes `payloads` (those the layout can carry), returning the stream and
/// the expected frames.
fn encode_all(layout: &Layout, payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<Out>) {
    let mut stream = Vec::new();
    let mut frames = Vec::new();
    for p in payloads {
        let mut buf = vec![0u8; layout.frame_len(p.len()).unwrap()];
        if let Ok(n) = layout.encode(p, &mut buf) {
            stream.extend_from_slice(&buf[..n]);
            frames.push(Out::Frame {
                header: buf[..layout.head_len(p.len())].to_vec(),
                payload: p.clone(),
            });
        }
    }
    (stream, frames)
}

proptest! {
    #[test]
    fn any_split_gives_the_encoded_frames(
        spec in spec(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let Some(layout) = spec.layout() else { return Ok(()) };
        let (stream, expected) = encode_all(&layout, &payloads);
        let chunks = split(&stream, &cuts);
        let whole = run_whole(layout, heapless::Vec::<u8, 4096>::new(), &[&stream]);
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(&run_whole(layout, heapless::Vec::<u8, 4096>::new(), &chunks), &expected);
        prop_assert_eq!(&run_stream(layout, &chunks), &expected);
        // One byte at a time, the hardest split.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(&run_whole(layout, heapless::Vec::<u8, 4096>::new(), &bytes), &expected);
        prop_assert_eq!(&run_stream(layout, &bytes), &expected);
        let mut storage = [0u8; 4096];
        prop_assert_eq!(&run_whole(layout, SliceBuffer::new(&mut storage), &bytes), &expected);
        prop_assert_eq!(&run_whole(layout, SliceBuffer::new(&mut storage), &chunks), &expected);
    }

    #[test]
    fn any_bytes_give_the_same_result_whatever_the_split(
        spec in spec(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..6),
        noise in prop::collection::vec(any::<u8>(), 0..80),
        noise_at in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let Some(layout) = spec.layout() else { return Ok(()) };
        let (mut stream, _) = encode_all(&layout, &payloads);
        let at = noise_at % (stream.len() + 1);
        stream.splice(at..at, noise.iter().copied());
        let chunks = split(&stream, &cuts);
        // A small buffer, so that frame-too-large errors happen too.
        let reference = run_whole(layout, heapless::Vec::<u8, 64>::new(), &[&stream]);
        prop_assert_eq!(&run_whole(layout, heapless::Vec::<u8, 64>::new(), &chunks), &reference);
        let big = run_whole(layout, heapless::Vec::<u8, 4096>::new(), &[&stream]);
        prop_assert_eq!(&run_whole(layout, heapless::Vec::<u8, 4096>::new(), &chunks), &big);
        // The end of the stream declared with the last chunk: the same.
        prop_assert_eq!(&run_eof(layout, heapless::Vec::<u8, 4096>::new(), &chunks), &big);
        prop_assert_eq!(&run_eof(layout, heapless::Vec::<u8, 64>::new(), &chunks), &reference);
        // What `needs` says of a whole valid header is the length of the
        // frame decoded from it.
        let fresh = Decoder::new(&layout, heapless::Vec::<u8, 4096>::new());
        let needs = fresh
            .needs(&stream)
            .filter(|_| !stream.is_empty() && stream.len() >= layout.header_len());
        if let Some(total) = needs {
            match big.first() {
                Some(Out::Frame { header, payload }) => {
                    prop_assert_eq!(header.len() + payload.len() + layout.tail_len(), total);
                }
                Some(Out::Recovered(
                    Recovery::Corrupt { length, .. } | Recovery::BadFrameEnd { length, .. },
                )) => {
                    prop_assert_eq!(*length, total as u64);
                }
                Some(Out::Err(e))
                    if matches!(
                        e.kind(),
                        DecodeErrorKind::ChecksumMismatch { .. } | DecodeErrorKind::FrameEnd { .. }
                    ) =>
                {
                    prop_assert!(total <= stream.len());
                }
                // Cut inside the payload, or inside a varint length (whose
                // next byte `needs` asks for).
                Some(Out::Err(e)) => match e.kind() {
                    DecodeErrorKind::Truncated { missing, in_header } => {
                        prop_assert_eq!(missing, (total - stream.len()) as u64);
                        prop_assert!(!in_header || layout.has_length_after_header());
                    }
                    other => prop_assert!(false, "needs accepted a header decode refused: {:?}", other),
                },
                other => prop_assert!(false, "needs accepted a header decode gave {:?} for", other),
            }
        }
        // The streaming way has no payload buffer: it equals the whole-frame
        // way when the maximum payload, not the buffer, is the limit.
        let mut clamped = spec.clone();
        clamped.max_payload = clamped.max_payload.min(4000);
        let clamped = clamped.layout().unwrap();
        prop_assert_eq!(
            &run_stream(clamped, &chunks),
            &run_whole(clamped, heapless::Vec::<u8, 4096>::new(), &[&stream])
        );
        // Frames decoded before an error are the stream's real frames.
        for o in &big {
            if let Out::Frame { header, payload } = o {
                let h = framing_core::Header::new_checked(header, &layout).unwrap();
                prop_assert_eq!(h.as_bytes().len(), header.len());
                prop_assert_eq!(h.length_value() + i128::from(layout.length_adjust()), payload.len() as i128);
            }
        }
    }
}

#[test]
fn errors_carry_the_offset_of_the_bad_header() {
    let layout = Layout::builder("!i").max_payload(10).build().unwrap();
    let stream = b"\x00\x00\x00\x01a\x00\x00\x00\x00\xff\xff\xff\xfe";
    for cut in 0..=stream.len() {
        let out = run_whole(
            layout,
            heapless::Vec::<u8, 64>::new(),
            &[&stream[..cut], &stream[cut..]],
        );
        assert_eq!(out.len(), 3, "cut {cut}: {out:?}");
        let Out::Err(e) = out[2] else {
            panic!("cut {cut}: {out:?}")
        };
        assert_eq!(e.kind(), DecodeErrorKind::NegativeLength { value: -2 });
        assert_eq!(e.offset(), 9);
        assert_eq!(e.to_string(), "frame at byte 9: length -2 is negative");
    }
}

#[test]
fn truncation_says_what_is_missing() {
    let layout = Layout::new("!H");
    let cases: [(&[u8], u64, bool, u64); 3] = [
        (b"\x00", 1, true, 0),
        (b"\x00\x05ab", 3, false, 0),
        (b"\x00\x01x\x00\x02", 2, false, 3),
    ];
    for (stream, missing, in_header, offset) in cases {
        let out = run_whole(layout, heapless::Vec::<u8, 64>::new(), &[stream]);
        let Some(Out::Err(e)) = out.last() else {
            panic!("{out:?}")
        };
        assert_eq!(e.kind(), DecodeErrorKind::Truncated { missing, in_header });
        assert_eq!(e.offset(), offset);
        assert_eq!(run_stream(layout, &[stream]), out);
    }
    assert_eq!(
        run_whole(layout, heapless::Vec::<u8, 64>::new(), &[b""]),
        []
    );
}

#[test]
fn a_failed_decoder_stays_failed_until_reset() {
    let layout = Layout::builder("<BH")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .build()
        .unwrap();
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 64>::new());
    let mut bad: &[u8] = b"\x7f\x00\x00";
    let e = d.decode(&mut bad).unwrap_err();
    assert_eq!(
        e.kind(),
        DecodeErrorKind::ConstantMismatch {
            field: 0,
            found: 0x7f,
            expected: 0x7e
        }
    );
    let mut good: &[u8] = b"\x7e\x01\x00z";
    assert_eq!(d.decode(&mut good).unwrap_err(), e);
    assert_eq!(d.finish().unwrap_err(), e);
    assert_eq!(d.failure(), Some(e));
    d.reset();
    assert_eq!(d.failure(), None);
    let f = d.decode(&mut good).unwrap().unwrap().frame().unwrap();
    assert_eq!(f.payload(), b"z");
    // Offsets kept counting across the failure and the reset.
    assert_eq!(d.offset(), 4);
    assert_eq!(d.finish(), Ok(None));
}

#[test]
fn oversized_frames_are_discarded_unbuffered_and_reported_once() {
    let layout = Layout::builder("<H")
        .max_payload(4)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let stream = b"\x02\x00ok\x09\x00123456789\x01\x00!";
    for cut in 0..=stream.len() {
        let out = run_whole(
            layout,
            heapless::Vec::<u8, 8>::new(),
            &[&stream[..cut], &stream[cut..]],
        );
        assert_eq!(
            out,
            [
                Out::Frame {
                    header: b"\x02\x00".to_vec(),
                    payload: b"ok".to_vec()
                },
                Out::Recovered(Recovery::Discarded {
                    offset: 4,
                    length: 9
                }),
                Out::Frame {
                    header: b"\x01\x00".to_vec(),
                    payload: b"!".to_vec()
                },
            ],
            "cut {cut}"
        );
        assert_eq!(run_stream(layout, &[&stream[..cut], &stream[cut..]]), out);
    }
}

#[test]
fn resync_skips_to_the_next_valid_header() {
    let layout = Layout::builder(">HH")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .max_payload(16)
        .resync(true)
        .build()
        .unwrap();
    let mut stream = b"\xca\xfe\x00\x01A".to_vec();
    stream.extend_from_slice(b"\x01\x02\xca"); // three lost-sync bytes
    stream.extend_from_slice(b"\xca\xfe\x00\x02BC");
    for cut in 0..=stream.len() {
        let out = run_whole(
            layout,
            heapless::Vec::<u8, 32>::new(),
            &[&stream[..cut], &stream[cut..]],
        );
        assert_eq!(out.len(), 3, "cut {cut}: {out:?}");
        assert_eq!(
            out[1],
            Out::Recovered(Recovery::Skipped {
                offset: 5,
                bytes: 3
            }),
            "cut {cut}"
        );
        assert_eq!(
            out[2],
            Out::Frame {
                header: b"\xca\xfe\x00\x02".to_vec(),
                payload: b"BC".to_vec()
            }
        );
        assert_eq!(run_stream(layout, &[&stream[..cut], &stream[cut..]]), out);
    }
}

#[test]
fn a_buffer_smaller_than_the_header_is_an_error_whatever_the_input() {
    let layout = Layout::new("<Q");
    let out = run_whole(
        layout,
        heapless::Vec::<u8, 4>::new(),
        &[b"\x00\x00\x00\x00\x00\x00\x00\x00"],
    );
    assert!(
        matches!(out[..], [Out::Err(e)] if e.kind() == DecodeErrorKind::BufferTooSmall { header: 8, capacity: 4 })
    );
}

/// A buffer that claims more room than it has.
struct Liar(heapless::Vec<u8, 6>);

impl Buffer for Liar {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn capacity(&self) -> usize {
        100
    }
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), framing_core::Full> {
        self.0
            .extend_from_slice(data)
            .map_err(|_| framing_core::Full)
    }
    fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
    fn drop_front(&mut self, n: usize) {
        let keep = self.0[n.min(self.0.len())..].to_vec();
        self.0.clear();
        self.0.extend_from_slice(&keep).unwrap();
    }
}

#[test]
fn a_buffer_that_refuses_bytes_is_an_error_not_a_short_frame() {
    let layout = Layout::new("!H");
    let out = run_whole(
        layout,
        Liar(heapless::Vec::new()),
        &[b"\x00\x08abc", b"defgh"],
    );
    assert!(
        matches!(out[..], [Out::Err(e)] if matches!(e.kind(), DecodeErrorKind::FrameTooLarge { .. })),
        "{out:?}"
    );
    // Refused in the middle of the body (B2, which `decode` takes inline):
    // the same error, nothing of that chunk consumed, and again after.
    let mut d = Decoder::new(&layout, Liar(heapless::Vec::new()));
    let mut input: &[u8] = b"\x00\x14abc";
    assert_eq!(d.decode(&mut input).map(|o| o.is_none()), Ok(true));
    assert!(input.is_empty());
    let mut input: &[u8] = b"def";
    let e = d.decode(&mut input).map(|_| ()).unwrap_err();
    assert_eq!(
        e.kind(),
        DecodeErrorKind::FrameTooLarge {
            needed: 8,
            capacity: 100
        }
    );
    assert_eq!(input, b"def", "nothing consumed");
    assert_eq!(d.offset(), 5);
    assert_eq!(d.decode(&mut input).map(|_| ()).unwrap_err(), e);
}

/// I0: between frames, `feed` keeps back a frame not yet whole that fits
/// the adapter's `hold` (nothing consumed, `need` its length), takes it in
/// place once whole, and buffers it as before when it does not fit `hold`
/// or the stream ends.
#[test]
fn feed_keeps_back_a_frame_within_hold_and_says_how_long_it_is() {
    use framing_core::adapter::Feed;
    let layout = Layout::new("!H");
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 16>::new());
    // A partial head, then a partial frame: kept back, need 2 then 7.
    let fed = d.feed(b"\x00", false, 16);
    assert_eq!((fed.consumed, fed.result, fed.need), (0, Ok(None), 2));
    let fed = d.feed(b"\x00\x05he", false, 16);
    assert_eq!((fed.consumed, fed.result, fed.need), (0, Ok(None), 7));
    assert_eq!(d.offset(), 0, "nothing consumed");
    // Whole now: lent from the input, one call.
    let input = b"\x00\x05hello\x00";
    let fed = d.feed(input, false, 16);
    assert_eq!(fed.consumed, 7);
    let Ok(Some(found)) = fed.result else {
        panic!("{fed:?}")
    };
    assert_eq!(d.item(input, found).frame().unwrap().payload(), b"hello");
    // The rest, a partial head after the frame, is kept back too.
    let fed = d.feed(&input[7..], false, 16);
    assert_eq!((fed.consumed, fed.result, fed.need), (0, Ok(None), 2));
    // A frame longer than `hold` is buffered by the decoder, as with 0.
    let fed = d.feed(b"\x00\x05he", false, 4);
    assert_eq!((fed.consumed, fed.result, fed.need), (4, Ok(None), 0));
    let fed = d.feed(b"llo", false, 4);
    assert_eq!(fed.consumed, 3);
    let Ok(Some(found)) = fed.result else {
        panic!("{fed:?}")
    };
    assert_eq!(d.item(b"llo", found).frame().unwrap().payload(), b"hello");
    // At the end of the stream nothing is kept back: a partial frame is
    // truncated.
    let fed = d.feed(b"\x00\x05he", true, 16);
    assert!(fed.result.unwrap_err().is_truncated());
    assert_eq!((fed.consumed, fed.need), (4, 0));
}

/// `take_or_hold` answers what `feed` answers without consuming anything
/// (I1: the frame; I0: how long the frame or head kept back is), and
/// `Err(0)` for everything else, for layouts the quick field judges alone
/// (`!H`), partly (a varint) and not at all (a constant), and after a
/// frame lent from the decoder's buffer (`Lent`).
#[test]
fn take_or_hold_keeps_back_what_feed_keeps_back() {
    use framing_core::adapter::Feed;
    let varint = Layout::builder("").varint_length().build().unwrap();
    let constant = Layout::builder("!BH")
        .length_field(1)
        .constant(0, Value::Int(7))
        .build()
        .unwrap();
    let cases: [(&Layout, &[u8], usize); 14] = [
        (&Layout::new("!H"), b"\x00", 16),
        (&Layout::new("!H"), b"\x00\x05he", 16),
        (&Layout::new("!H"), b"\x00\x05he", 4),
        (&Layout::new("!H"), b"\x00\x05hello", 4),
        (&Layout::new("!H"), b"\x00\x20", 64),
        (&Layout::new("!H"), b"", 16),
        (&varint, b"\x85", 400),
        (&varint, b"\x85\x01ab", 400),
        (&varint, b"\x85\x01ab", 100),
        (&varint, b"\x03ab", 400),
        (&constant, b"\x07\x00", 16),
        (&constant, b"\x07\x00\x03a", 16),
        (&constant, b"\x08\x00\x03a", 16),
        (&constant, b"\x07\x00\x03abc", 16),
    ];
    for (layout, input, hold) in cases {
        for lent_first in [false, true] {
            let mut a = Decoder::new(layout, heapless::Vec::<u8, 64>::new());
            let mut b = Decoder::new(layout, heapless::Vec::<u8, 64>::new());
            if lent_first {
                // A frame assembled in the buffer and lent: `Lent`.
                let mut frame = [0u8; 8];
                let n = layout.encode(b"xy", &mut frame).unwrap();
                for d in [&mut a, &mut b] {
                    let (mut one, mut two) = (&frame[..1], &frame[1..n]);
                    assert!(d.decode(&mut one).unwrap().is_none());
                    assert!(d.decode(&mut two).unwrap().unwrap().frame().is_some());
                }
            }
            let what = format!("{layout:?} {input:?} hold {hold}, lent first {lent_first}");
            let fed = b.feed(input, false, hold);
            match a.take_or_hold(input, hold) {
                Ok((consumed, at)) => {
                    assert_eq!(fed.consumed, consumed, "{what}");
                    let Ok(Some(found)) = fed.result else {
                        panic!("{what}: feed found nothing")
                    };
                    let (x, y) = (
                        a.item(input, framing_core::adapter::Found::Item(at)),
                        b.item(input, found),
                    );
                    assert_eq!(
                        x.frame().unwrap().payload(),
                        y.frame().unwrap().payload(),
                        "{what}"
                    );
                }
                Err(0) => {}
                Err(need) => {
                    assert_eq!(
                        (fed.consumed, fed.result, fed.need),
                        (0, Ok(None), need),
                        "{what}"
                    );
                    assert_eq!(a.offset(), b.offset(), "{what}");
                    assert_eq!(a.is_at_boundary(), b.is_at_boundary(), "{what}");
                }
            }
        }
    }
    // Each row answered: the frame, the frame kept back, the head kept back.
    let layout = Layout::new("!H");
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 16>::new());
    assert_eq!(d.take_or_hold(b"\x00", 16).map(|t| t.0), Err(2));
    assert_eq!(d.take_or_hold(b"\x00\x05he", 16).map(|t| t.0), Err(7));
    assert_eq!(
        d.take_or_hold(b"\x00\x05he", 7).map(|t| t.0),
        Err(7),
        "exactly `hold`"
    );
    assert_eq!(d.take_or_hold(b"\x00\x05he", 6).map(|t| t.0), Err(0));
    assert_eq!(d.take_or_hold(b"\x00\x02hi\x00", 16).map(|t| t.0), Ok(4));
    let mut d = Decoder::new(&varint, heapless::Vec::<u8, 400>::new());
    assert_eq!(d.take_or_hold(b"\x85", 400).map(|t| t.0), Err(2));
    assert_eq!(d.take_or_hold(b"\x85\x01ab", 400).map(|t| t.0), Err(135));
}

#[test]
fn needs_reads_the_next_header_between_frames_only() {
    let layout = Layout::new("!H");
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 16>::new());
    assert_eq!(d.needs(b"\x00\x05he"), Some(7));
    assert_eq!(d.needs(b"\x00"), Some(2), "the rest of a header first");
    assert_eq!(d.needs(b""), Some(2));
    // 20 bytes do not fit a 16-byte buffer: the decoder would refuse them.
    assert_eq!(d.needs(b"\x00\x14"), None, "feed must report it");
    // After a frame taken whole from the input, the same.
    let mut whole = &b"\x00\x01z"[..];
    let frame = d.decode(&mut whole).unwrap().unwrap().frame().unwrap();
    assert_eq!(frame.payload(), b"z");
    assert_eq!(d.needs(b"\x00\x05he"), Some(7));
    // Inside a frame there is no header to read.
    let mut partial = &b"\x00\x02x"[..];
    assert!(d.decode(&mut partial).unwrap().is_none());
    assert_eq!(d.needs(b"\x00\x01"), None);
    assert_eq!(d.needs(b""), None, "the decoder holds part of a frame");
    // After a failure neither.
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 16>::new());
    let mut bad = &b"\x00\x20"[..];
    assert!(d.decode(&mut bad).is_err());
    assert_eq!(d.needs(b"\x00\x01"), None);
    assert_eq!(d.needs(b""), None);
}

/// `Feed::needs` promises `Some` between frames, and a decoder that just
/// lent a frame from its buffer is between frames (`is_at_boundary`): were
/// it `None` there, the adapters would feed the next partial frame at once
/// and copy it, instead of keeping it whole in the read buffer.
#[test]
fn needs_reads_the_next_header_after_a_frame_lent_from_the_buffer() {
    let layout = Layout::new("!H");
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 16>::new());
    // A frame assembled across two chunks is lent from the buffer...
    let mut first = &b"\x00\x03a"[..];
    assert!(d.decode(&mut first).unwrap().is_none());
    let mut second = &b"bc"[..];
    let frame = d.decode(&mut second).unwrap().unwrap().frame().unwrap();
    assert_eq!(frame.payload(), b"abc");
    assert!(d.is_at_boundary());
    // ...and the next header is still read, whatever the buffer holds.
    assert_eq!(d.needs(b"\x00\x05he"), Some(7));
    assert_eq!(d.needs(b"\x00"), Some(2), "the rest of a header first");
    assert_eq!(d.needs(b""), Some(2));
}

#[test]
fn a_stream_that_ends_while_resynchronising_reports_the_bytes_left() {
    let layout = Layout::builder(">HH")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .max_payload(16)
        .resync(true)
        .build()
        .unwrap();
    // A frame, then five bytes that never make a valid header.
    let stream = b"\xca\xfe\x00\x01A\x01\x02\xca\xfe\x00";
    let frame = Out::Frame {
        header: b"\xca\xfe\x00\x01".to_vec(),
        payload: b"A".to_vec(),
    };
    let skipped = Out::Recovered(Recovery::Skipped {
        offset: 5,
        bytes: 5,
    });
    for cut in 0..=stream.len() {
        let chunks: [&[u8]; 2] = [&stream[..cut], &stream[cut..]];
        let out = run_whole(layout, heapless::Vec::<u8, 32>::new(), &chunks);
        assert_eq!(out, [frame.clone(), skipped.clone()], "cut {cut}");
        assert_eq!(
            run_eof(layout, heapless::Vec::<u8, 32>::new(), &chunks),
            out
        );
        assert_eq!(run_stream(layout, &chunks), out, "cut {cut}");
    }
    // `finish` returns the report, then the decoder is at a clean end.
    let mut d = Decoder::new(layout, heapless::Vec::<u8, 32>::new());
    let mut input = &stream[..];
    assert!(matches!(d.decode(&mut input), Ok(Some(Decoded::Frame(_)))));
    while d.decode(&mut input).unwrap().is_some() {}
    assert_eq!(
        d.finish(),
        Ok(Some(Recovery::Skipped {
            offset: 5,
            bytes: 5
        }))
    );
    assert_eq!(d.finish(), Ok(None));
}

/// Frames from `encode_with` decode to the values written, read with the
/// same getters on the header and the frame.
#[test]
fn encode_with_writes_the_fields_and_the_getters_read_them() {
    let layout = Layout::builder("<HBxI")
        .length_field(2)
        .length_adjust(-8)
        .constant(0, Value::Int(0xCAFE))
        .build()
        .unwrap();
    let mut out = [0u8; 32];
    let n = layout
        .encode_with(b"hello", &[(1, Value::Int(3))], &mut out)
        .unwrap();
    assert_eq!(&out[..n], b"\xfe\xca\x03\x00\x0d\x00\x00\x00hello");
    let mut d = Decoder::new(&layout, heapless::Vec::<u8, 64>::new());
    let mut input = &out[..n];
    let frame = d.decode(&mut input).unwrap().unwrap().frame().unwrap();
    assert_eq!(frame.int(0), Some(0xCAFE));
    assert_eq!(frame.int(1), Some(3));
    assert_eq!(frame.int(2), Some(13));
    assert_eq!(frame.value(1), Some(Value::Int(3)));
    assert_eq!(frame.int(3), None); // no such value
    assert_eq!(frame.payload(), b"hello");
    // Too small a buffer writes nothing.
    let mut small = [0xAAu8; 12];
    assert!(layout.encode_with(b"hello", &[], &mut small).is_err());
    assert_eq!(small, [0xAA; 12]);
}
