//! The `std_reader` property: `framing-std`'s readers over a `Read` that
//! returns arbitrary short reads and `Interrupted` / `WouldBlock` errors give
//! the same frames and errors as one whole decode; so does the async tokio
//! `FrameReader` (feature `tokio`) over an `AsyncRead` that plays the same
//! script, `Pending` before every read and for every `WouldBlock`, its
//! futures polled by hand (no runtime) and, when the input says so, dropped
//! at every `Pending`; and so does the tokio codec, driven as `FramedRead`
//! drives it.
//!
//! Kept apart from `checks.rs` because it needs `framing-std`, which the
//! replay test in `framing-core` cannot depend on. It refers to the shared
//! checks as `crate::checks`, so a test that includes both files with
//! `#[path]` (as `mod checks; mod std_checks;`) can replay its corpus too.
//!
//! ```text
//!  | layout spec | read size | api | n | n read steps | stream bytes ... |
//! ```

use std::io::{self, Read};

use framing_std::{error, FrameReader, StreamReader};

use crate::checks::{out_of, run_whole, Input, Joiner, Out, Spec};

/// The whole-frame decoder's buffer in the reference decode.
const BIG_BUFFER: usize = 4096;

/// What one `read` call does.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Returns at most this many bytes (at least one, unless at the end).
    Read(usize),
    /// Fails with `Interrupted`.
    Interrupted,
    /// Fails with `WouldBlock`.
    WouldBlock,
}

/// A `Read` that follows a script, then returns everything that is left.
#[derive(Debug)]
struct Scripted<'a> {
    data: &'a [u8],
    steps: Vec<Step>,
    next: usize,
    would_block: usize,
}

impl<'a> Scripted<'a> {
    fn new(data: &'a [u8], steps: &[Step]) -> Self {
        Scripted {
            data,
            steps: steps.to_vec(),
            next: 0,
            would_block: 0,
        }
    }
}

impl Read for Scripted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self
            .steps
            .get(self.next)
            .copied()
            .unwrap_or(Step::Read(usize::MAX));
        self.next += 1;
        let max = match step {
            Step::Interrupted => return Err(io::ErrorKind::Interrupted.into()),
            Step::WouldBlock => {
                self.would_block += 1;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Step::Read(n) => n,
        };
        let n = max.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What a reader's error means for the driver loop.
enum Failure {
    /// `WouldBlock` from the inner reader: call again.
    Retry,
    /// A decoding error, wrapped as the reader returns it.
    Decode(framing_core::DecodeError),
}

fn classify(e: &io::Error) -> Failure {
    assert_ne!(e.kind(), io::ErrorKind::Interrupted, "Interrupted surfaced");
    if let Some(de) = error::decode_error(e) {
        let kind = if de.is_truncated() {
            io::ErrorKind::UnexpectedEof
        } else {
            io::ErrorKind::InvalidData
        };
        assert_eq!(e.kind(), kind, "io kind of {de:?}");
        return Failure::Decode(de);
    }
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "unexpected error {e}");
    Failure::Retry
}

/// Reads every frame with a `FrameReader` (owned or borrowed frames).
fn run_frame_reader(
    layout: framing_core::Layout,
    read_size: usize,
    api: Api,
    stream: &[u8],
    steps: &[Step],
) -> Vec<Out> {
    let mut reader = FrameReader::with_capacity(read_size, Scripted::new(stream, steps), layout);
    let mut out = Vec::new();
    // Every owned frame, kept while the reader reads on (it then reads
    // into a fresh buffer): checked against what it said when made.
    let mut kept = Vec::new();
    let mut would_block = 0;
    loop {
        let mut owned = |f: framing_std::OwnedFrame| {
            let o = Out::Frame {
                header: f.header_bytes().to_vec(),
                payload: f.payload().to_vec(),
            };
            kept.push((f, o.clone()));
            o
        };
        // Frames skip the reports; items carry them.
        let got = match api {
            Api::OwnedFrames => reader.next_owned_frame().map(|f| f.map(&mut owned)),
            Api::OwnedIter => reader.next().transpose().map(|f| f.map(&mut owned)),
            Api::Frames => reader
                .next_frame()
                .map(|f| f.map(|f| out_of(&layout, framing_core::Decoded::Frame(f)))),
            Api::Items => reader
                .next_item()
                .map(|f| f.map(|item| out_of(&layout, item))),
        };
        match got {
            Ok(Some(o)) => out.push(o),
            Ok(None) => {
                assert!(reader.is_at_boundary(), "ended off a frame boundary");
                break;
            }
            Err(e) => match classify(&e) {
                Failure::Retry => would_block += 1,
                Failure::Decode(de) => {
                    out.push(Out::Err(de));
                    let again = reader.next_frame().map(|f| f.is_some());
                    let again = again.map_err(|e| error::decode_error(&e));
                    assert_eq!(again, Err(Some(de)), "a failed reader repeats its error");
                    break;
                }
            },
        }
        assert!(out.len() <= stream.len() + 2, "no progress: {out:?}");
    }
    assert_eq!(would_block, reader.get_ref().would_block, "WouldBlock lost");
    drop(reader);
    for (frame, said) in kept {
        let now = Out::Frame {
            header: frame.header_bytes().to_vec(),
            payload: frame.payload().to_vec(),
        };
        assert_eq!(now, said, "an owned frame kept changed under the reader");
    }
    out
}

/// Which of `FrameReader`'s methods a run reads with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    /// `next_item`: frames and reports, borrowed.
    Items,
    /// `next_frame`: frames alone, borrowed.
    Frames,
    /// `next_owned_frame`: frames alone, owned.
    OwnedFrames,
    /// The reader's `Iterator`: frames alone, owned.
    OwnedIter,
}

/// Reads every frame with a `StreamReader`, pieces joined into frames.
fn run_stream_reader(
    layout: framing_core::Layout,
    read_size: usize,
    stream: &[u8],
    steps: &[Step],
) -> Vec<Out> {
    let mut reader = StreamReader::with_capacity(read_size, Scripted::new(stream, steps), layout);
    let mut out = Vec::new();
    let mut joiner = Joiner::default();
    let mut would_block = 0;
    let mut events = 0usize;
    loop {
        events += 1;
        assert!(
            events <= 4 * stream.len() + 2 * steps.len() + 8,
            "no progress"
        );
        match reader.next_event() {
            Ok(Some(event)) => out.extend(joiner.event(&layout, event)),
            Ok(None) => break,
            Err(e) => match classify(&e) {
                Failure::Retry => would_block += 1,
                Failure::Decode(de) => {
                    out.push(Out::Err(de));
                    break;
                }
            },
        }
    }
    assert_eq!(would_block, reader.get_ref().would_block, "WouldBlock lost");
    out
}

/// The async tokio `FrameReader` over the same script (feature `tokio`).
#[cfg(feature = "tokio")]
mod tokio_reader {
    use core::pin::{pin, Pin};
    use core::task::{Context, Poll, Waker};
    use std::future::Future;
    use std::io;

    use framing_std::tokio::FrameReader;
    use tokio::io::{AsyncRead, ReadBuf};

    use super::{classify, Failure, Scripted, Step};
    use crate::checks::{out_of, Out};

    /// [`Scripted`] as an `AsyncRead`: `Pending` before every read, and
    /// `Pending` for a `WouldBlock` step (an async reader's "not now").
    pub(super) struct PendingScript<'a> {
        script: Scripted<'a>,
        pend: bool,
        pub(super) pendings: usize,
    }

    impl<'a> PendingScript<'a> {
        pub(super) fn new(data: &'a [u8], steps: &[Step]) -> Self {
            PendingScript {
                script: Scripted::new(data, steps),
                pend: true,
                pendings: 0,
            }
        }
    }

    impl AsyncRead for PendingScript<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.pend {
                self.pend = false;
                self.pendings += 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.pend = true;
            match io::Read::read(&mut self.script, buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    Poll::Ready(Ok(()))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.pendings += 1;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Err(e) => Poll::Ready(Err(e)),
            }
        }
    }

    /// Every item, `next_item` polled with a no-op waker; with `cancel`,
    /// each future is dropped at its first `Pending` and made anew.
    pub(super) fn run(
        layout: framing_core::Layout,
        read_size: usize,
        stream: &[u8],
        steps: &[Step],
        cancel: bool,
    ) -> Vec<Out> {
        let inner = PendingScript::new(stream, steps);
        let mut reader = FrameReader::with_capacity(read_size, inner, layout);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        let mut polls = 0usize;
        let limit = 4 * (stream.len() + steps.len()) + 64;
        loop {
            let got = loop {
                let mut next = pin!(reader.next_item());
                let got = loop {
                    polls += 1;
                    assert!(polls <= limit, "no progress: {out:?}");
                    match next.as_mut().poll(&mut cx) {
                        Poll::Ready(r) => break Some(r.map(|o| o.map(|i| out_of(&layout, i)))),
                        Poll::Pending if cancel => break None,
                        Poll::Pending => {}
                    }
                };
                if let Some(got) = got {
                    break got;
                }
            };
            match got {
                Ok(Some(o)) => out.push(o),
                Ok(None) => {
                    assert!(reader.is_at_boundary(), "ended off a frame boundary");
                    break;
                }
                Err(e) => match classify(&e) {
                    Failure::Retry => panic!("WouldBlock surfaced from an async reader: {e}"),
                    Failure::Decode(de) => {
                        out.push(Out::Err(de));
                        let again = pin!(reader.next_frame()).poll(&mut cx);
                        let Poll::Ready(Err(again)) = again else {
                            panic!("a failed reader pends or goes on")
                        };
                        assert_eq!(framing_std::error::decode_error(&again), Some(de));
                        break;
                    }
                },
            }
        }
        out
    }
}

/// `std_reader`: for a layout, a read size, a script of short reads and
/// `Interrupted` / `WouldBlock` errors, and stream bytes from `data`, the
/// `FrameReader` (borrowed items, borrowed frames, owned frames and its
/// `Iterator`, the owned frames all kept to the end: bits 0 and 2 of the
/// api byte) and the `StreamReader` give the
/// same frames and errors as the core decoder fed the whole stream at once;
/// `Interrupted` never surfaces, every `WouldBlock` does, and no byte is lost
/// or repeated across them. With the feature `tokio`, the async tokio
/// `FrameReader` gives the same items too, over the script with `Pending` for
/// each `WouldBlock` and before every read, its futures dropped at every
/// `Pending` when bit 1 of the api byte is set.
pub fn std_reader(data: &[u8]) -> bool {
    let mut input = Input::new(data);
    let Some(spec) = Spec::parse(&mut input) else {
        return false;
    };
    // The reader's frame buffer holds header + max_payload; clamp the
    // maximum so the reference decoder's buffer is the same.
    let Some(probe) = spec.build(spec.max_payload) else {
        return false;
    };
    let max = spec
        .max_payload
        .min((BIG_BUFFER - probe.max_head_len() - probe.trailer_len()) as u64);
    let layout = spec.build(max).expect("a lower max_payload builds too");
    let read_size = 1 + usize::from(input.byte() % 64);
    let api = input.byte();
    let n_steps = usize::from(input.byte() % 32);
    let steps: Vec<Step> = input
        .take(n_steps)
        .iter()
        .map(|&b| match b % 4 {
            0 => Step::Interrupted,
            1 => Step::WouldBlock,
            _ => Step::Read(1 + usize::from(b / 4)),
        })
        .collect();
    let stream = input.rest();

    let cap = layout.max_frame_len() as usize;
    let reference = run_whole(layout, cap, &[stream]);
    let reader_api = match (api & 1 != 0, api & 4 != 0) {
        (true, false) => Api::OwnedFrames,
        (true, true) => Api::OwnedIter,
        (false, true) => Api::Frames,
        (false, false) => Api::Items,
    };
    let frames = run_frame_reader(layout, read_size, reader_api, stream, &steps);
    if reader_api == Api::Items {
        assert_eq!(frames, reference, "FrameReader::next_item, steps {steps:?}");
    } else {
        // Frames come without the reports.
        let frames_only: Vec<Out> = reference
            .iter()
            .filter(|o| !matches!(o, Out::Recovered(_)))
            .cloned()
            .collect();
        assert_eq!(
            frames, frames_only,
            "FrameReader::{reader_api:?}, steps {steps:?}"
        );
    }
    if layout.delimiter().is_none() {
        let events = run_stream_reader(layout, read_size, stream, &steps);
        assert_eq!(events, reference, "StreamReader, steps {steps:?}");
    }
    #[cfg(feature = "tokio")]
    {
        let items = tokio_codec::run(layout, read_size, stream);
        assert_eq!(items, reference, "tokio FrameCodec, reads of {read_size}");
        let cancel = api & 2 != 0;
        let items = tokio_reader::run(layout, read_size, stream, &steps, cancel);
        assert_eq!(
            items, reference,
            "tokio FrameReader::next_item, cancelled: {cancel}, steps {steps:?}"
        );
    }
    true
}

/// The tokio codec (`framing_std::codec::FrameCodec`) driven as tokio-util's
/// `FramedRead` drives it: `decode` until it has nothing, then `read_size`
/// more bytes appended to its buffer; at the end, `decode_eof` until it has
/// nothing.
#[cfg(feature = "tokio")]
mod tokio_codec {
    use bytes::BytesMut;
    use framing_core::Decoded;
    use framing_std::codec::FrameCodec;
    use framing_std::error;
    use tokio_util::codec::Decoder;

    use crate::checks::Out;

    pub(super) fn run(layout: framing_core::Layout, read_size: usize, stream: &[u8]) -> Vec<Out> {
        let mut codec = FrameCodec::new(layout);
        let mut buf = BytesMut::new();
        let (mut out, mut rest, mut calls) = (Vec::new(), stream, 0usize);
        loop {
            calls += 1;
            assert!(calls <= 3 * stream.len() + 8, "no progress: {out:?}");
            let eof = rest.is_empty();
            let got = if eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match got {
                Ok(Some(Decoded::Frame(f))) => out.push(Out::Frame {
                    header: f.header_bytes().to_vec(),
                    payload: f.payload().to_vec(),
                }),
                Ok(Some(Decoded::Preface(p))) => {
                    assert!(p.header_bytes().is_empty(), "a preface has no header");
                    out.push(Out::Preface(p.payload().to_vec()));
                }
                Ok(Some(Decoded::Recovered(r))) => out.push(Out::Recovered(r)),
                Ok(Some(other)) => panic!("an item the checks do not model: {other:?}"),
                Ok(None) if eof => break,
                Ok(None) => {
                    let n = read_size.min(rest.len());
                    buf.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                }
                Err(e) => {
                    let de = error::decode_error(&e).expect("a decoding error");
                    out.push(Out::Err(de));
                    let again = codec.decode(&mut buf).map_err(|e| error::decode_error(&e));
                    assert_eq!(
                        again.err(),
                        Some(Some(de)),
                        "a failed codec repeats its error"
                    );
                    break;
                }
            }
        }
        out
    }
}
