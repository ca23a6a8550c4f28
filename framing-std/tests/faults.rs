//! The adapters against scripted readers and writers: system-call counts,
//! every split, transient errors at every position, bad frames, recovery
//! policies, bounded memory, partial writes. Deterministic and fast.

mod common;

use std::io::{self, Cursor};

use common::{core_kind, encode, payloads, sink, Recorder, Rng, Script, Step};
use framing_std::{
    error, DecodeErrorKind, Decoded, EncodeError, Event, FrameReader, FrameWriter, FramedStream,
    Layout, Oversize, Recovery, StreamReader, Value,
};

const BE32: Layout = Layout::new("!I");

/// Reads every frame until the end, panicking on any error.
fn read_all<R: io::Read>(reader: &mut FrameReader<R>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(f) = reader.next_frame().expect("no error") {
        out.push(f.payload().to_vec());
    }
    out
}

/// What a reader produced: payloads, and the kinds of errors in order.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    frames: Vec<Vec<u8>>,
    errors: Vec<io::ErrorKind>,
}

/// Reads until the end or a decode error, collecting I/O errors on the way
/// (at most `limit` calls).
fn read_through<R: io::Read>(reader: &mut FrameReader<R>, limit: usize) -> Outcome {
    let mut out = Outcome::default();
    for _ in 0..limit {
        match reader.next_frame() {
            Ok(Some(f)) => out.frames.push(f.payload().to_vec()),
            Ok(None) => return out,
            Err(e) => {
                out.errors.push(e.kind());
                if error::decode_error(&e).is_some() {
                    return out;
                }
            }
        }
    }
    panic!("reader did not finish in {limit} calls");
}

#[test]
fn one_read_of_many_frames_is_one_system_call() {
    let frames: Vec<Vec<u8>> = (0..300).map(|i| vec![i as u8; i % 20]).collect();
    let bytes = encode(BE32, &frames);
    assert!(bytes.len() < framing_std::DEFAULT_READ_CAPACITY);
    let mut reader = FrameReader::new(Script::chunks(&bytes, [bytes.len()]), BE32);
    for expected in &frames {
        let frame = reader.next_frame().unwrap().unwrap();
        assert_eq!(frame.payload(), &expected[..]);
    }
    assert_eq!(reader.get_ref().reads, 1, "300 frames, one read");
    assert!(reader.next_frame().unwrap().is_none());
    assert_eq!(reader.get_ref().reads, 2, "then one read to see the end");
}

#[test]
fn a_frame_is_handed_out_before_reading_more() {
    // A blocking socket must not be read again while a whole frame waits.
    let bytes = encode(BE32, &[b"a".to_vec(), b"b".to_vec()]);
    let mut reader = FrameReader::new(Script::chunks(&bytes, [bytes.len()]), BE32);
    reader.next_frame().unwrap().unwrap();
    reader.next_frame().unwrap().unwrap();
    assert_eq!(reader.get_ref().reads, 1);
}

#[test]
fn any_split_and_any_read_size_give_the_same_frames() {
    for seed in 0..300 {
        let mut rng = Rng::new(seed);
        let frames = payloads(&mut rng, 30, 200);
        let bytes = encode(BE32, &frames);
        let sizes: Vec<usize> = (0..bytes.len()).map(|_| rng.range(1, 90)).collect();
        let capacity = rng.range(1, 128);

        let script = Script::chunks(&bytes, sizes.iter().copied());
        let mut reader = FrameReader::with_capacity(capacity, script, BE32);
        assert_eq!(read_all(&mut reader), frames, "seed {seed}");

        // The owned way, through the iterator.
        let script = Script::chunks(&bytes, sizes.iter().copied());
        let owned: Vec<_> = FrameReader::with_capacity(capacity, script, BE32)
            .map(|f| f.unwrap().into_payload())
            .collect();
        assert_eq!(owned, frames, "seed {seed}");

        // The streaming way: pieces joined give the same payloads.
        let script = Script::chunks(&bytes, sizes.iter().copied());
        let mut reader = StreamReader::with_capacity(capacity, script, BE32);
        let mut got = Vec::new();
        let mut current = None;
        while let Some(event) = reader.next_event().unwrap() {
            match event {
                Event::Header(h) => {
                    assert!(current.is_none());
                    current = Some((h.length_value(), Vec::new()));
                }
                Event::Payload(p) => {
                    assert!(!p.is_empty());
                    current.as_mut().unwrap().1.extend_from_slice(p);
                }
                Event::End => {
                    let (len, payload) = current.take().unwrap();
                    assert_eq!(len, payload.len() as i128);
                    got.push(payload);
                }
                Event::Recovered(r) => panic!("no policy, yet {r}"),
                Event::Preface(p) => panic!("no preface, yet {p:?}"),
                other => panic!("not expected here: {other:?}"),
            }
        }
        assert_eq!(got, frames, "seed {seed}");
    }
}

#[test]
fn interrupted_is_retried_and_never_returned() {
    let frames = payloads(&mut Rng::new(1), 50, 100);
    let bytes = encode(BE32, &frames);
    let mut steps = Vec::new();
    for chunk in bytes.chunks(7) {
        steps.push(Step::Fail(io::ErrorKind::Interrupted));
        steps.push(Step::Data(chunk.to_vec()));
    }
    steps.push(Step::Fail(io::ErrorKind::Interrupted));
    let mut reader = FrameReader::new(Script::new(steps), BE32);
    assert_eq!(read_all(&mut reader), frames);

    // The streaming reader too.
    let steps = vec![
        Step::Fail(io::ErrorKind::Interrupted),
        Step::Data(bytes.clone()),
        Step::Fail(io::ErrorKind::Interrupted),
    ];
    let mut reader = StreamReader::new(Script::new(steps), BE32);
    let mut ends = 0;
    while let Some(event) = reader.next_event().unwrap() {
        ends += usize::from(event == Event::End);
    }
    assert_eq!(ends, frames.len());
}

#[test]
fn transient_errors_at_every_position_lose_and_repeat_nothing() {
    let frames = vec![
        b"hello".to_vec(),
        Vec::new(),
        b"framing".to_vec(),
        vec![9; 40],
    ];
    let bytes = encode(BE32, &frames);
    let kinds = [
        io::ErrorKind::WouldBlock,
        io::ErrorKind::TimedOut,
        io::ErrorKind::ConnectionReset,
    ];
    for cut in 0..=bytes.len() {
        for second in cut..=bytes.len() {
            // An empty read would be the end of the stream: leave those out.
            let steps: Vec<Step> = [
                Step::Data(bytes[..cut].to_vec()),
                Step::Fail(kinds[cut % 3]),
                Step::Data(bytes[cut..second].to_vec()),
                Step::Fail(kinds[(cut + 1) % 3]),
                Step::Data(bytes[second..].to_vec()),
            ]
            .into_iter()
            .filter(|s| !matches!(s, Step::Data(d) if d.is_empty()))
            .collect();
            for capacity in [1, 5, 64] {
                let mut reader =
                    FrameReader::with_capacity(capacity, Script::new(steps_clone(&steps)), BE32);
                let out = read_through(&mut reader, 1000);
                assert_eq!(
                    out.frames, frames,
                    "cut {cut}/{second}, capacity {capacity}"
                );
                assert_eq!(out.errors, [kinds[cut % 3], kinds[(cut + 1) % 3]]);
            }
        }
    }
}

fn steps_clone(steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| match s {
            Step::Data(d) => Step::Data(d.clone()),
            Step::Fail(k) => Step::Fail(*k),
        })
        .collect()
}

#[test]
fn transient_errors_in_the_streaming_reader_keep_its_place() {
    let bytes = encode(BE32, &[vec![5; 300]]);
    let steps = vec![
        Step::Data(bytes[..2].to_vec()),
        Step::Fail(io::ErrorKind::WouldBlock),
        Step::Data(bytes[2..100].to_vec()),
        Step::Fail(io::ErrorKind::ConnectionReset),
        Step::Data(bytes[100..].to_vec()),
    ];
    let mut reader = StreamReader::new(Script::new(steps), BE32);
    let mut payload = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..100 {
        match reader.next_event() {
            Ok(Some(Event::Payload(p))) => payload.extend_from_slice(p),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => errors.push(e.kind()),
        }
    }
    assert_eq!(payload, vec![5; 300]);
    assert_eq!(
        errors,
        [io::ErrorKind::WouldBlock, io::ErrorKind::ConnectionReset]
    );
}

#[test]
fn a_stream_ending_inside_a_frame_is_unexpected_eof_naming_what_is_missing() {
    let whole = encode(BE32, &[b"ok".to_vec(), b"truncated".to_vec()]);
    // (bytes kept, missing, in header)
    for (keep, missing, in_header) in [(6 + 1, 3, true), (6 + 3, 1, true), (6 + 4 + 2, 7, false)] {
        let mut reader = FrameReader::new(Cursor::new(whole[..keep].to_vec()), BE32);
        assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"ok");
        let e = reader.next_frame().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            core_kind(&e),
            DecodeErrorKind::Truncated { missing, in_header }
        );
        assert_eq!(error::decode_error(&e).unwrap().offset(), 6);
        // And it stays so.
        assert_eq!(
            reader.next_frame().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );

        let mut reader = StreamReader::new(Cursor::new(whole[..keep].to_vec()), BE32);
        let e = loop {
            match reader.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("a truncated stream ended cleanly"),
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            matches!(core_kind(&e), DecodeErrorKind::Truncated { in_header: h, .. } if h == in_header)
        );
    }
}

/// `bad_frame!(name, layout, bad header bytes, expected kind)`: a good frame,
/// the bad one, then a good one that must never be delivered.
macro_rules! bad_frame {
    ($name:ident, $layout:expr, $bad:expr, $kind:expr) => {
        #[test]
        fn $name() {
            let layout: Layout = $layout;
            let mut bytes = encode(layout, &[b"before".to_vec()]);
            let offset = bytes.len() as u64;
            bytes.extend_from_slice($bad);
            bytes.extend_from_slice(&encode(layout, &[b"after".to_vec()]));
            let mut reader = FrameReader::new(Script::chunks(&bytes, [bytes.len()]), layout);
            assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"before");
            for _ in 0..3 {
                let e = reader.next_frame().unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                assert_eq!(core_kind(&e), $kind);
                assert_eq!(error::decode_error(&e).unwrap().offset(), offset);
            }
            assert_eq!(reader.get_ref().reads, 1, "nothing more is read");
            // The iterator yields nothing more either.
            assert!(reader.next().is_none());
        }
    };
}

bad_frame!(
    negative_length_is_invalid_data,
    Layout::new("!i"),
    b"\xff\xff\xff\xfe",
    DecodeErrorKind::NegativeLength { value: -2 }
);
bad_frame!(
    length_over_the_maximum_is_invalid_data,
    Layout::builder("!I").max_payload(100).build().unwrap(),
    b"\x00\x00\x00\x65",
    DecodeErrorKind::TooLong {
        length: 101,
        max: 100
    }
);
bad_frame!(
    constant_mismatch_is_invalid_data,
    Layout::builder("!HI")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .build()
        .unwrap(),
    b"\xde\xad\x00\x00\x00\x00",
    DecodeErrorKind::ConstantMismatch {
        field: 0,
        found: 0xdead,
        expected: 0xcafe
    }
);

#[test]
fn the_iterator_yields_a_bad_frame_once_then_ends() {
    let mut bytes = encode(BE32, &[b"a".to_vec()]);
    bytes.extend_from_slice(b"\xff\xff\xff\xff");
    let layout = Layout::builder("!I").max_payload(10).build().unwrap();
    let results: Vec<_> = FrameReader::new(&bytes[..], layout).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap().payload(), b"a");
    assert_eq!(
        results[1].as_ref().unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
}

#[test]
fn the_discard_policy_reports_and_goes_on() {
    let layout = Layout::builder("!I")
        .max_payload(8)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let mut bytes = encode(layout, &[b"one".to_vec()]);
    bytes.extend_from_slice(b"\x00\x00\x00\x0cTOO LONG....");
    bytes.extend_from_slice(&encode(layout, &[b"two".to_vec()]));
    for size in [1, 3, bytes.len()] {
        let mut reader = FrameReader::new(Script::chunks(&bytes, std::iter::repeat(size)), layout);
        let out = read_through_recovering(&mut reader);
        assert_eq!(
            out.frames,
            [b"one".to_vec(), b"two".to_vec()],
            "chunks of {size}"
        );
        assert_eq!(
            out.reports,
            [Recovery::Discarded {
                offset: 7,
                length: 12
            }]
        );
        assert!(reader.allocated() < framing_std::DEFAULT_READ_CAPACITY + 1024);
    }
}

#[test]
fn the_resync_policy_skips_garbage_and_goes_on() {
    let layout = Layout::builder("!HH")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .resync(true)
        .build()
        .unwrap();
    let mut bytes = encode(layout, &[b"one".to_vec()]);
    bytes.extend_from_slice(b"garbage");
    bytes.extend_from_slice(&encode(layout, &[b"two".to_vec()]));
    for size in [1, 4, bytes.len()] {
        let mut reader = FrameReader::new(Script::chunks(&bytes, std::iter::repeat(size)), layout);
        let out = read_through_recovering(&mut reader);
        assert_eq!(
            out.frames,
            [b"one".to_vec(), b"two".to_vec()],
            "chunks of {size}"
        );
        assert_eq!(
            out.reports,
            [Recovery::Skipped {
                offset: 7,
                bytes: 7
            }]
        );
    }
}

#[test]
fn garbage_at_the_end_under_resync_is_reported_then_the_stream_ends() {
    let layout = Layout::builder("!HH")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .resync(true)
        .build()
        .unwrap();
    let mut bytes = encode(layout, &[b"one".to_vec()]);
    bytes.extend_from_slice(b"garbage!"); // longer than a header: not a truncated one
    let mut reader = FrameReader::new(&bytes[..], layout);
    let out = read_through_recovering(&mut reader);
    assert_eq!(out.frames, [b"one".to_vec()]);
    assert_eq!(
        out.reports,
        [Recovery::Skipped {
            offset: 7,
            bytes: 8
        }]
    );
}

#[test]
fn the_adapters_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FrameReader<std::net::TcpStream>>();
    send_sync::<StreamReader<std::net::TcpStream>>();
    send_sync::<FrameWriter<std::net::TcpStream>>();
    send_sync::<FramedStream>();
    send_sync::<framing_std::OwnedFrame>();
}

#[derive(Default)]
struct Recovered {
    frames: Vec<Vec<u8>>,
    reports: Vec<Recovery>,
}

fn read_through_recovering<R: io::Read>(reader: &mut FrameReader<R>) -> Recovered {
    let mut out = Recovered::default();
    for _ in 0..1000 {
        match reader.next_item().unwrap() {
            Some(Decoded::Frame(f)) => out.frames.push(f.payload().to_vec()),
            Some(Decoded::Recovered(r)) => out.reports.push(r),
            Some(Decoded::Preface(_)) => panic!("no preface"),
            None => return out,
            other => panic!("not expected here: {other:?}"),
        }
    }
    panic!("no end");
}

#[test]
fn a_header_announcing_4_gib_allocates_nothing_of_that_size() {
    // No maximum at all: the reader may only allocate what arrives.
    let layout = Layout::builder("!I").max_payload(u64::MAX).build().unwrap();
    let mut bytes = b"\xff\xff\xff\xff".to_vec();
    bytes.extend_from_slice(&[0; 100_000]);
    let mut reader = FrameReader::new(Script::chunks(&bytes, std::iter::repeat(1000)), layout);
    let e = reader.next_frame().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        core_kind(&e),
        DecodeErrorKind::Truncated {
            missing: 0xffff_ffff - 100_000,
            in_header: false
        }
    );
    assert!(
        reader.allocated() < 64 * 1024 + 256 * 1024,
        "{} bytes held",
        reader.allocated()
    );

    // The default maximum rejects it before anything is buffered.
    let mut reader = FrameReader::new(Script::chunks(&bytes, [4, 100_000]), BE32);
    let e = reader.next_frame().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(core_kind(&e), DecodeErrorKind::TooLong { .. }));
    assert!(reader.allocated() <= 64 * 1024 + 16);

    // A 64-bit length announcing 2^62 bytes, streamed: only the read buffer.
    let layout = Layout::builder("!Q").max_payload(u64::MAX).build().unwrap();
    let mut bytes = (1u64 << 62).to_be_bytes().to_vec();
    bytes.extend_from_slice(&[1; 200_000]);
    let mut reader = StreamReader::with_capacity(4096, &bytes[..], layout);
    let mut seen = 0;
    let e = loop {
        match reader.next_event() {
            Ok(Some(Event::Payload(p))) => seen += p.len(),
            Ok(Some(_)) => {}
            Ok(None) => panic!("ended cleanly"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, 200_000);
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert!(reader.allocated() <= 4096 + 8);
}

#[test]
fn a_frame_longer_than_a_read_grows_the_read_buffer_and_is_not_copied() {
    let layout = Layout::builder("!I").max_payload(1 << 20).build().unwrap();
    let frames = vec![vec![3; 1 << 20], b"small".to_vec()];
    let bytes = encode(layout, &frames);
    let mut reader = FrameReader::with_capacity(1000, &bytes[..], layout);
    assert_eq!(read_all(&mut reader), frames);
    // The read buffer grew to hold the big frame whole, and nothing else was
    // allocated: the frame was not copied into a second buffer.
    assert_eq!(reader.allocated(), 4 + (1 << 20));
}

#[test]
fn owned_frames_keep_header_values_and_bytes() {
    let layout = Layout::builder("!BH").length_field(1).build().unwrap();
    let mut writer = FrameWriter::new(Vec::new(), layout);
    writer
        .write_frame_with(b"abc", &[(0, Value::Int(7))])
        .unwrap();
    let bytes = writer.into_inner();
    let mut reader = FrameReader::new(&bytes[..], layout);
    let frame = reader.next_owned_frame().unwrap().unwrap();
    assert_eq!(frame.value(0), Some(Value::Int(7)));
    assert_eq!(frame.header().length_value(), 3);
    assert_eq!(frame.header_bytes(), b"\x07\x00\x03");
    assert_eq!(frame.payload(), b"abc");
    assert_eq!(frame.as_bytes(), &bytes[..]);
    assert_eq!(frame.layout(), &layout);
    assert_eq!(
        format!("{frame:?}"),
        "OwnedFrame { header: [Int(7), Int(3)], payload: [97, 98, 99] }"
    );
    assert_eq!(frame.clone().into_bytes(), bytes);
    assert_eq!(frame.into_payload(), b"abc");
    assert!(reader.next_owned_frame().unwrap().is_none());
}

#[test]
fn queued_frames_go_out_in_one_write() {
    let frames: Vec<Vec<u8>> = (0..300).map(|i| vec![i as u8; i % 16]).collect();
    let mut writer = FrameWriter::new(sink(), BE32);
    for f in &frames {
        writer.queue_frame(f).unwrap();
    }
    assert_eq!(
        writer.get_ref().calls.len(),
        0,
        "nothing written before flush"
    );
    assert_eq!(writer.queued(), encode(BE32, &frames).len());
    writer.flush().unwrap();
    assert_eq!(writer.queued(), 0);
    let recorder = writer.into_inner();
    assert_eq!(recorder.calls.len(), 1, "300 frames, one write");
    assert_eq!(recorder.flushes, 1);
    assert_eq!(recorder.out, encode(BE32, &frames));
}

#[test]
fn a_full_batch_is_written_before_it_overflows() {
    let mut writer = FrameWriter::with_capacity(100, sink(), BE32);
    for _ in 0..10 {
        writer.queue_frame(&[1; 16]).unwrap(); // 20 bytes a frame
    }
    assert_eq!(
        writer.get_ref().calls.len(),
        1,
        "five frames fill the batch"
    );
    assert_eq!(writer.get_ref().out.len(), 100);
    assert_eq!(writer.queued(), 100);
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().out, encode(BE32, &vec![vec![1; 16]; 10]));
}

#[test]
fn write_frame_is_one_vectored_write_that_does_not_copy_the_payload() {
    let payload = vec![42u8; 10_000];
    let mut writer = FrameWriter::new(sink(), BE32);
    writer.write_frame(&payload).unwrap();
    let calls = &writer.get_ref().calls;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].len(), 2, "header and payload");
    assert_eq!(
        calls[0][1],
        (payload.as_ptr(), payload.len()),
        "the caller's own bytes"
    );

    // With frames queued: queue, header and payload in one call.
    writer.queue_frame(b"q").unwrap();
    writer.write_frame(&payload).unwrap();
    let calls = &writer.get_ref().calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].len(), 3);
    assert_eq!(calls[1][2], (payload.as_ptr(), payload.len()));

    // A frame as large as the batch skips the queue even when queued.
    let mut writer = FrameWriter::with_capacity(1000, sink(), BE32);
    writer.queue_frame(&payload).unwrap();
    assert_eq!(
        writer.get_ref().calls[0][1],
        (payload.as_ptr(), payload.len())
    );
    assert_eq!(writer.queued(), 0);
    assert_eq!(writer.get_ref().out, encode(BE32, &[payload]));
}

#[test]
fn short_writes_and_interrupts_are_handled() {
    let frames = payloads(&mut Rng::new(7), 40, 100);
    for max in 1..12 {
        let mut calls = 0;
        let stingy = Recorder::new(move |offered: usize| {
            calls += 1;
            if calls % 3 == 0 {
                Err(io::ErrorKind::Interrupted)
            } else {
                Ok(offered.min(max))
            }
        });
        let mut writer = FrameWriter::with_capacity(64, stingy, BE32);
        for (i, f) in frames.iter().enumerate() {
            if i % 2 == 0 {
                writer.write_frame(f).unwrap();
            } else {
                writer.queue_frame(f).unwrap();
            }
        }
        writer.flush().unwrap();
        assert_eq!(writer.get_ref().out, encode(BE32, &frames), "max {max}");
    }
}

#[test]
fn write_errors_at_any_byte_lose_and_repeat_nothing() {
    let frames = payloads(&mut Rng::new(9), 30, 80);
    let expected = encode(BE32, &frames);
    for fail_every in 2..9 {
        for max in [1, 3, 50, 1000] {
            let mut calls = 0;
            let flaky = Recorder::new(move |offered: usize| {
                calls += 1;
                match (calls % fail_every, calls / fail_every % 2) {
                    (0, 0) => Err(io::ErrorKind::WouldBlock),
                    (0, _) => Err(io::ErrorKind::TimedOut),
                    _ => Ok(offered.min(max)),
                }
            });
            let mut writer = FrameWriter::with_capacity(100, flaky, BE32);
            let mut errors = 0;
            for (i, f) in frames.iter().enumerate() {
                let r = if i % 3 == 0 {
                    writer.queue_frame(f)
                } else {
                    writer.write_frame(f)
                };
                if let Err(e) = r {
                    assert!(matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ));
                    errors += 1;
                }
            }
            let mut tries = 0;
            while let Err(e) = writer.flush() {
                assert!(matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ));
                tries += 1;
                assert!(tries < 100_000, "flush never finished");
            }
            assert!(errors > 0);
            assert_eq!(
                writer.get_ref().out,
                expected,
                "every {fail_every}, max {max}"
            );
        }
    }
}

#[test]
fn encode_errors_are_invalid_input_and_queue_nothing() {
    let layout = Layout::new("!B");
    let mut writer = FrameWriter::new(sink(), layout);
    let e = writer.write_frame(&[0; 300]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(matches!(
        error::encode_error(&e),
        Some(EncodeError::LengthOutOfRange { length: 300, .. })
    ));
    let e = writer.queue_frame(&[0; 256]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);

    let two = Layout::builder("!BB").length_field(1).build().unwrap();
    let mut w2 = FrameWriter::new(sink(), two);
    let e = w2
        .write_frame_with(b"x", &[(1, Value::Int(1))])
        .unwrap_err();
    assert_eq!(
        error::encode_error(&e),
        Some(EncodeError::FieldIsFixed { index: 1 })
    );
    let e = w2
        .queue_frame_with(b"x", &[(0, Value::Int(256))])
        .unwrap_err();
    assert_eq!(
        error::encode_error(&e),
        Some(EncodeError::FieldRange { index: 0 })
    );
    let e = w2
        .queue_frame_with(b"x", &[(5, Value::Int(0))])
        .unwrap_err();
    assert_eq!(
        error::encode_error(&e),
        Some(EncodeError::NoSuchField { index: 5 })
    );

    assert_eq!(writer.queued() + w2.queued(), 0);
    writer.flush().unwrap();
    assert!(writer.get_ref().out.is_empty());
    assert!(w2.into_inner().calls.is_empty());
}

#[test]
fn over_maximum_payloads_are_refused_by_the_writer() {
    let layout = Layout::builder("!I").max_payload(4).build().unwrap();
    let mut writer = FrameWriter::new(Vec::new(), layout);
    let e = writer.write_frame(b"12345").unwrap_err();
    assert_eq!(
        error::encode_error(&e),
        Some(EncodeError::PayloadTooLong { length: 5, max: 4 })
    );
    assert!(writer.get_ref().is_empty());
}

#[test]
fn adapters_give_their_inner_value_back() {
    let mut reader = FrameReader::new(Cursor::new(vec![1, 2]), BE32);
    reader.get_mut().set_position(1);
    assert_eq!(reader.get_ref().position(), 1);
    assert_eq!(reader.layout(), &BE32);
    assert!(reader.is_at_boundary());
    assert_eq!(reader.into_inner().into_inner(), [1, 2]);

    let mut stream = StreamReader::new(&b""[..], BE32);
    assert!(stream.next_event().unwrap().is_none());
    assert_eq!(stream.remaining(), None);
    assert_eq!(stream.layout(), &BE32);
    let _: &[u8] = stream.get_ref();
    let _: &mut &[u8] = stream.get_mut();
    assert!(stream.into_inner().is_empty());

    let mut writer = FrameWriter::new(Vec::new(), BE32);
    writer.get_mut().push(0);
    assert_eq!(writer.layout(), &BE32);
    assert_eq!(writer.into_inner(), [0]);

    let mut duplex = FramedStream::new(Cursor::new(encode(BE32, &[b"hi".to_vec()])), BE32);
    assert_eq!(duplex.next_frame().unwrap().unwrap().payload(), b"hi");
    assert!(duplex.is_at_boundary());
    duplex.queue_frame(b"yo").unwrap();
    assert_eq!(duplex.queued(), 6);
    duplex.flush().unwrap();
    assert_eq!(duplex.layout(), &BE32);
    duplex.get_mut().set_position(0);
    assert_eq!(duplex.get_ref().get_ref().len(), 12);
    assert_eq!(duplex.into_inner().into_inner()[6..], *b"\0\0\0\x02yo");
}

#[test]
fn is_at_boundary_tells_a_partial_frame() {
    let bytes = encode(BE32, &[b"abc".to_vec(), b"def".to_vec()]);
    let mut reader = FrameReader::new(Script::chunks(&bytes, [9, 3, 2]), BE32);
    reader.next_frame().unwrap().unwrap();
    assert!(
        !reader.is_at_boundary(),
        "two bytes of the next header read"
    );
    reader.next_frame().unwrap().unwrap();
    assert!(reader.is_at_boundary());
}

#[test]
fn a_long_frame_in_small_reads_holds_at_most_a_quarter_more_than_arrived() {
    // 256 KiB, 512 KiB and 1 MiB of a 2 MiB frame, in 512-byte reads,
    // then the end.
    let layout = Layout::builder("!I").max_payload(4 << 20).build().unwrap();
    for sent in [256usize << 10, 512 << 10, 1 << 20] {
        let mut bytes = (2u32 << 20).to_be_bytes().to_vec();
        bytes.resize(4 + sent, 0x5a);
        let script = Script::chunks(&bytes, std::iter::repeat(512));
        let mut reader = FrameReader::new(script, layout);
        let e = reader.next_frame().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let held = reader.allocated();
        let bound = (4 + sent) + (4 + sent) / 4 + framing_std::DEFAULT_READ_CAPACITY;
        assert!(
            held <= bound,
            "{sent} bytes sent, {held} held (bound {bound})"
        );
        assert!(held >= 4 + sent, "{held} held for {sent} sent");
    }
}

#[test]
fn a_writer_past_its_high_water_mark_refuses_frames_whole_and_loses_none() {
    /// Takes nothing (WouldBlock) until opened, then everything.
    struct Gate {
        open: bool,
        out: Vec<u8>,
    }
    impl io::Write for Gate {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.open {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let frames: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 600]).collect();
    let mut writer = FrameWriter::new(
        Gate {
            open: false,
            out: Vec::new(),
        },
        BE32,
    );
    writer.set_high_water_mark(1000);
    // Under the mark: a WouldBlock queues the frame (no backpressure).
    for f in &frames[..2] {
        let e = writer.write_frame(f).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(error::backpressure(&e), None);
    }
    assert_eq!(writer.queued(), 2 * 604);
    // Past it: refused whole, nothing queued, as often as it is offered.
    for _ in 0..100 {
        let e = writer.write_frame(&frames[2]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        let bp = error::backpressure(&e).expect("a backpressure error");
        assert_eq!((bp.queued, bp.high_water_mark), (2 * 604, 1000));
        assert_eq!(writer.queued(), 2 * 604);
    }
    // The peer reads again: flush, offer the refused frame again.
    writer.get_mut().open = true;
    writer.flush().unwrap();
    writer.write_frame(&frames[2]).unwrap();
    assert_eq!(writer.get_ref().out, encode(BE32, &frames));
}
