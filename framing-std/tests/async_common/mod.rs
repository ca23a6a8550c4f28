//! What the async readers' tests share (`tokio_reader.rs`, `futures_reader.rs`):
//! the streams, what the blocking readers make of them (the reference), and
//! [`reader_equivalence!`], the tests that hold an async reader to it
//! through a reader that pends before every read, its futures polled by hand
//! and, in the cancelling runs, dropped at every `Pending`.
#![allow(dead_code, unused_macros)]

use std::io;

use framing_std::framing_core::Checksum;
use framing_std::{
    error, DecodeError, Decoded, Event, FrameReader, FrameWriter, Layout, Oversize, OwnedFrame,
    Recovery, StreamReader, Value,
};

use crate::common::{Rng, Script};

/// One result of a reader, comparable across readers.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    /// A frame's bytes: header, payload, trailer (a delimited frame's
    /// payload).
    Frame(Vec<u8>),
    /// A recovery policy's report.
    Recovered(Recovery),
    /// A streaming reader's event: a header's bytes, a payload piece, the
    /// end of a frame.
    Header(Vec<u8>),
    Piece(Vec<u8>),
    End,
    /// An error: its kind, and the core's error inside it, if any.
    Err(io::ErrorKind, Option<DecodeError>),
}

/// What a reader's call gave, owned.
pub type Got = Result<Option<Out>, Out>;

pub fn err(e: &io::Error) -> Out {
    Out::Err(e.kind(), error::decode_error(e))
}

pub fn item(r: io::Result<Option<Decoded<framing_std::Frame<'_>>>>) -> Got {
    match r {
        Ok(Some(Decoded::Frame(f))) => Ok(Some(Out::Frame(
            [f.header().as_bytes(), f.payload(), f.trailer()].concat(),
        ))),
        Ok(Some(Decoded::Recovered(r))) => Ok(Some(Out::Recovered(r))),
        Ok(Some(Decoded::Preface(p))) => Ok(Some(Out::Piece(p.payload().to_vec()))),
        Ok(None) => Ok(None),
        Err(e) => Err(err(&e)),
        other => panic!("not expected here: {other:?}"),
    }
}

pub fn frame(r: io::Result<Option<framing_std::Frame<'_>>>) -> Got {
    item(r.map(|f| f.map(Decoded::Frame)))
}

pub fn owned(r: io::Result<Option<OwnedFrame>>) -> Got {
    match r {
        Ok(f) => Ok(f.map(|f| Out::Frame(f.as_bytes().to_vec()))),
        Err(e) => Err(err(&e)),
    }
}

pub fn owned_item(r: io::Result<Option<Decoded<OwnedFrame>>>) -> Got {
    match r {
        Ok(Some(Decoded::Frame(f))) => Ok(Some(Out::Frame(f.as_bytes().to_vec()))),
        Ok(Some(Decoded::Recovered(r))) => Ok(Some(Out::Recovered(r))),
        Ok(Some(Decoded::Preface(p))) => {
            assert!(p.header_bytes().is_empty(), "a preface has no header");
            Ok(Some(Out::Piece(p.payload().to_vec())))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(err(&e)),
        other => panic!("not expected here: {other:?}"),
    }
}

pub fn event(r: io::Result<Option<Event<'_>>>) -> Got {
    match r {
        Ok(Some(Event::Header(h))) => Ok(Some(Out::Header(h.as_bytes().to_vec()))),
        Ok(Some(Event::Payload(p))) => Ok(Some(Out::Piece(p.to_vec()))),
        Ok(Some(Event::End)) => Ok(Some(Out::End)),
        Ok(Some(Event::Recovered(r))) => Ok(Some(Out::Recovered(r))),
        Ok(Some(Event::Preface(p))) => Ok(Some(Out::Piece(p.to_vec()))),
        Ok(None) => Ok(None),
        Err(e) => Err(err(&e)),
        other => panic!("not expected here: {other:?}"),
    }
}

/// Calls `next` until the end of the stream or an error (recorded, then
/// checked to repeat for a decoding error).
pub fn collect(mut next: impl FnMut() -> Got) -> Vec<Out> {
    let mut out = Vec::new();
    loop {
        match next() {
            Ok(Some(o)) => out.push(o),
            Ok(None) => return out,
            Err(e) => {
                if matches!(e, Out::Err(_, Some(_))) {
                    assert_eq!(next(), Err(e.clone()), "a failed reader repeats its error");
                }
                out.push(e);
                return out;
            }
        }
        assert!(out.len() < 1_000_000, "no progress");
    }
}

/// A stream cut into chunks as [`Script::chunks`] cuts it, handed out one
/// a read (or as much of it as fits), so an async reader sees the reads a
/// blocking one sees.
pub struct Chunks(std::collections::VecDeque<Vec<u8>>);

impl Chunks {
    pub fn new(data: &[u8], sizes: &[usize]) -> Self {
        let mut chunks = std::collections::VecDeque::new();
        let mut rest = data;
        for &n in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(n.min(rest.len()));
            chunks.push_back(a.to_vec());
            rest = b;
        }
        Chunks(chunks)
    }

    /// One read into `buf`: the bytes given; 0 at the end.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let Some(mut chunk) = self.0.pop_front() else {
            return 0;
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            chunk.drain(..n);
            self.0.push_front(chunk);
        }
        n
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> Vec<u8> {
        self.0.iter().flatten().copied().collect()
    }
}

/// A stream for a layout, and the read capacity to read it with.
pub struct Case {
    pub name: &'static str,
    pub layout: Layout,
    pub stream: Vec<u8>,
    pub capacity: usize,
}

/// The frames of `payloads`, written by the blocking writer.
pub fn encode(layout: Layout, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut w = FrameWriter::new(Vec::new(), layout);
    for p in payloads {
        w.write_frame(p).unwrap();
    }
    w.into_inner()
}

fn payloads(seed: u64, count: usize, big: usize) -> Vec<Vec<u8>> {
    crate::common::payloads(&mut Rng::new(seed), count, big)
}

/// Streams for every kind of layout: plain, a constant and a checksum,
/// COBS, lines, the recovery policies, a truncated stream and a bad frame.
pub fn cases() -> Vec<Case> {
    let plain = Layout::new("!H");
    let prefaced = Layout::builder("!H")
        .preface_until(b"\r\n", 16)
        .build()
        .expect("a layout with a preface");
    let checked = Layout::builder("<BI")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .trailer(Checksum::Crc32)
        .max_payload(1 << 16)
        .build()
        .unwrap();
    let cobs = Layout::cobs().max_payload(1000).build().unwrap();
    let lines = Layout::delimited(b"\r\n")
        .max_payload(1000)
        .build()
        .unwrap();
    let discard = Layout::builder("!H")
        .max_payload(30)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let resync = Layout::builder("!HH")
        .length_field(1)
        .constant(0, Value::Int(0xCAFE))
        .resync(true)
        .build()
        .unwrap();
    let mut garbled = encode(resync, &payloads(5, 6, 50));
    garbled.splice(5..5, *b"garbage");
    let mut truncated = encode(plain, &payloads(6, 5, 100));
    truncated.truncate(truncated.len() - 3);
    let mut bad = encode(plain, &payloads(7, 3, 20));
    bad.extend_from_slice(&encode(Layout::new("!h"), &[vec![1, 2]]));
    let n = bad.len();
    bad[n - 4..n - 2].copy_from_slice(&(-5i16).to_be_bytes());
    let bad_layout = Layout::new("!h");
    let text: Vec<Vec<u8>> = payloads(4, 20, 40)
        .into_iter()
        .map(|p| p.into_iter().map(|b| b'a' + b % 26).collect())
        .collect();
    vec![
        Case {
            name: "plain, small reads",
            layout: plain,
            stream: encode(plain, &payloads(1, 40, 300)),
            capacity: 64,
        },
        Case {
            name: "plain, default capacity",
            layout: plain,
            stream: encode(plain, &payloads(2, 40, 3000)),
            capacity: framing_std::DEFAULT_READ_CAPACITY,
        },
        Case {
            name: "constant and CRC-32",
            layout: checked,
            stream: encode(checked, &payloads(3, 30, 200)),
            capacity: 100,
        },
        Case {
            name: "COBS",
            layout: cobs,
            stream: encode(cobs, &payloads(8, 20, 100)),
            capacity: 50,
        },
        Case {
            name: "lines",
            layout: lines,
            stream: encode(lines, &text),
            capacity: 16,
        },
        Case {
            name: "discard",
            layout: discard,
            stream: encode(plain, &payloads(9, 30, 40)),
            capacity: 32,
        },
        Case {
            name: "resync",
            layout: resync,
            stream: garbled,
            capacity: 32,
        },
        Case {
            name: "truncated",
            layout: plain,
            stream: truncated,
            capacity: 64,
        },
        Case {
            name: "bad frame",
            layout: bad_layout,
            stream: bad,
            capacity: 64,
        },
        Case {
            name: "preface",
            layout: prefaced,
            stream: [&b"HELLO/1\r\n"[..], &encode(plain, &payloads(7, 5, 40))].concat(),
            capacity: 32,
        },
    ]
}

/// The read sizes the tests split streams into: every byte, a mix, and
/// everything at once (coalesced).
pub const SPLITS: [&[usize]; 3] = [&[1], &[1, 2, 3, 5, 8, 13, 64, 1000], &[usize::MAX]];

/// The blocking reader's items, reading `sizes` bytes at a time.
pub fn blocking_items(case: &Case, sizes: &[usize]) -> Vec<Out> {
    let script = Script::chunks(&case.stream, sizes.iter().copied().cycle());
    let mut r = FrameReader::with_capacity(case.capacity, script, case.layout);
    collect(|| item(r.next_item()))
}

/// The blocking reader's items, owned, reading `sizes` bytes at a time.
pub fn blocking_owned_items(case: &Case, sizes: &[usize]) -> Vec<Out> {
    let script = Script::chunks(&case.stream, sizes.iter().copied().cycle());
    let mut r = FrameReader::with_capacity(case.capacity, script, case.layout);
    collect(|| owned_item(r.next_owned_item()))
}

/// The blocking reader's frames (owned: `owned`), reports skipped.
pub fn blocking_frames(case: &Case, owned_frames: bool) -> Vec<Out> {
    let mut r = FrameReader::with_capacity(case.capacity, &case.stream[..], case.layout);
    if owned_frames {
        collect(|| owned(r.next_owned_frame()))
    } else {
        collect(|| frame(r.next_frame()))
    }
}

/// The blocking streaming reader's events, reading `sizes` bytes at a time.
pub fn blocking_events(case: &Case, sizes: &[usize]) -> Vec<Out> {
    let script = Script::chunks(&case.stream, sizes.iter().copied().cycle());
    let mut r = StreamReader::with_capacity(case.capacity, script, case.layout);
    collect(|| event(r.next_event()))
}

/// Polls the future `$make` makes to completion with a no-op waker and
/// gives `$map` of its output. With `$cancel`, drops it at every `Pending`
/// and makes a new one (as a `select!` that loses the race would); else
/// polls the same one again.
macro_rules! block_on {
    ($cancel:expr, $make:expr, $map:path) => {{
        let mut cx = ::core::task::Context::from_waker(::core::task::Waker::noop());
        let mut polls = 0usize;
        loop {
            let mut fut = ::core::pin::pin!($make);
            let got = loop {
                polls += 1;
                assert!(polls < 10_000_000, "never ready");
                match ::core::future::Future::poll(fut.as_mut(), &mut cx) {
                    ::core::task::Poll::Ready(r) => break Some($map(r)),
                    ::core::task::Poll::Pending if $cancel => break None,
                    ::core::task::Poll::Pending => {}
                }
            };
            if let Some(got) = got {
                break got;
            }
        }
    }};
}

/// Tests of an async reader module (`framing_std::tokio` or `::futures`)
/// against the blocking readers, through `$Trickle::new(bytes, sizes)`: a
/// reader that returns `Pending` before every read and then at most the
/// next size's bytes.
macro_rules! reader_equivalence {
    ($rt:ident, $Trickle:ident) => {
        use async_common::{
            blocking_events, blocking_frames, blocking_items, blocking_owned_items, cases, collect,
            event, frame, item, owned, owned_item, Out, SPLITS,
        };

        /// The async reader over `case`, reading `sizes` bytes at a time,
        /// `Pending` before every read.
        fn async_reader(
            case: &async_common::Case,
            sizes: &[usize],
        ) -> framing_std::$rt::FrameReader<$Trickle> {
            let trickle = $Trickle::new(&case.stream, sizes);
            framing_std::$rt::FrameReader::with_capacity(case.capacity, trickle, case.layout)
        }

        /// Every item of `case` from the async reader.
        fn async_items(case: &async_common::Case, sizes: &[usize], cancel: bool) -> Vec<Out> {
            let mut r = async_reader(case, sizes);
            let out = collect(|| block_on!(cancel, r.next_item(), item));
            // Every read but the first was preceded by a Pending.
            assert!(r.get_ref().pendings > 0 || case.stream.is_empty());
            out
        }

        #[test]
        fn items_split_at_every_byte_or_coalesced_are_the_blocking_readers() {
            for case in cases() {
                for sizes in SPLITS {
                    let reference = blocking_items(&case, sizes);
                    assert_eq!(
                        reference,
                        blocking_items(&case, &[usize::MAX]),
                        "{}: the blocking reader splits alike",
                        case.name
                    );
                    for cancel in [false, true] {
                        assert_eq!(
                            async_items(&case, sizes, cancel),
                            reference,
                            "{}, reads of {sizes:?}, cancelled at every Pending: {cancel}",
                            case.name
                        );
                    }
                }
            }
        }

        #[test]
        fn owned_items_are_the_borrowed_items() {
            for case in cases() {
                for sizes in SPLITS {
                    let reference = blocking_items(&case, sizes);
                    assert_eq!(
                        blocking_owned_items(&case, sizes),
                        reference,
                        "{}: blocking next_owned_item, reads of {sizes:?}",
                        case.name
                    );
                    for cancel in [false, true] {
                        let mut r = async_reader(&case, sizes);
                        let got = collect(|| block_on!(cancel, r.next_owned_item(), owned_item));
                        assert_eq!(
                            got, reference,
                            "{}: next_owned_item, reads of {sizes:?}, cancelled: {cancel}",
                            case.name
                        );
                    }
                }
            }
        }

        #[test]
        fn frames_and_owned_frames_are_the_blocking_readers() {
            for case in cases() {
                let frames = blocking_frames(&case, false);
                assert_eq!(frames, blocking_frames(&case, true), "{}", case.name);
                for sizes in SPLITS {
                    for cancel in [false, true] {
                        let mut r = async_reader(&case, sizes);
                        let got = collect(|| block_on!(cancel, r.next_frame(), frame));
                        assert_eq!(got, frames, "{}: next_frame, {sizes:?}", case.name);
                        let mut r = async_reader(&case, sizes);
                        let got = collect(|| block_on!(cancel, r.next_owned_frame(), owned));
                        assert_eq!(got, frames, "{}: next_owned_frame, {sizes:?}", case.name);
                    }
                }
            }
        }

        #[test]
        fn events_are_the_blocking_stream_readers() {
            for case in cases() {
                if case.layout.delimiter().is_some() {
                    continue; // delimited frames do not stream
                }
                for sizes in SPLITS {
                    let reference = blocking_events(&case, sizes);
                    for cancel in [false, true] {
                        let trickle = $Trickle::new(&case.stream, sizes);
                        let mut r = framing_std::$rt::StreamReader::with_capacity(
                            case.capacity,
                            trickle,
                            case.layout,
                        );
                        let got = collect(|| block_on!(cancel, r.next_event(), event));
                        assert_eq!(got, reference, "{}, reads of {sizes:?}", case.name);
                    }
                }
            }
        }

        #[test]
        fn errors_are_the_blocking_readers_with_the_core_error_inside() {
            let all = cases();
            let truncated = all.iter().find(|c| c.name == "truncated").unwrap();
            let got = async_items(truncated, &[1], true);
            let Some(Out::Err(kind, Some(e))) = got.last() else {
                panic!("{got:?}")
            };
            assert_eq!(*kind, std::io::ErrorKind::UnexpectedEof);
            assert!(e.is_truncated());
            let bad = all.iter().find(|c| c.name == "bad frame").unwrap();
            let got = async_items(bad, &[3], true);
            let Some(Out::Err(kind, Some(e))) = got.last() else {
                panic!("{got:?}")
            };
            assert_eq!(*kind, std::io::ErrorKind::InvalidData);
            assert!(!e.is_truncated());
            assert_eq!(got.len(), 4, "three frames, then the error: {got:?}");
        }

        #[test]
        fn accessors_follow_the_stream() {
            let layout = framing_std::Layout::new("!H");
            let stream = b"\x00\x02hi\x00\x03you";
            let mut r = framing_std::$rt::FrameReader::new($Trickle::new(stream, &[5]), layout);
            assert_eq!(r.layout(), &layout);
            assert!(r.is_at_boundary());
            assert_eq!(
                block_on!(false, r.next_item(), item),
                Ok(Some(Out::Frame(b"\x00\x02hi".to_vec())))
            );
            assert_eq!(r.offset(), 4);
            assert!(!r.is_at_boundary(), "one byte of the next frame read");
            assert!(!r.frame_ready());
            assert!(r.allocated() >= 5);
            assert_eq!(
                block_on!(false, r.next_item(), item),
                Ok(Some(Out::Frame(b"\x00\x03you".to_vec())))
            );
            assert_eq!(r.offset(), 9);
            assert_eq!(block_on!(false, r.next_item(), item), Ok(None));
            assert!(r.is_at_boundary());
            assert!(r.get_mut().pendings > 0);
            let trickle = r.into_inner();
            assert_eq!(trickle.rest(), b"");
        }
    };
}
