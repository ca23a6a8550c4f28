//! The embedded-io-async adapters over in-memory readers and writers that
//! return short reads, short writes, `Interrupted` and `Pending`, driven by
//! a tiny executor; and their cancel safety: a `next_frame` or `next_event`
//! future dropped after it returned `Pending` mid-frame loses nothing.
//! Every split, read size and recovery policy against one whole decode is
//! the `embedded_reader` fuzz property (`tests/fuzz_corpus.rs`), which runs
//! these readers too, cancelled at every `Pending`.
#![cfg(feature = "embedded-io-async")]

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use framing_core::embedded_async::{Error, FrameReader, FrameWriter, StreamReader};
use framing_core::{
    DecodeErrorKind, Decoded, Decoder, Event, Layout, Recovery, StreamDecoder, Value,
};

const LAYOUT: Layout = Layout::builder("<BH")
    .length_field(1)
    .constant(0, Value::Int(0x7e))
    .max_payload(600)
    .build_or_panic();

/// Polls `f` once.
fn poll_once<F: Future>(f: core::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// The tiny executor: polls `f` until it is ready, at most a million
/// times (the readers and writers here wait for nothing else).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    for _ in 0..1_000_000 {
        if let Poll::Ready(out) = poll_once(f.as_mut()) {
            return out;
        }
    }
    panic!("a future that never completes")
}

/// A tiny deterministic generator, so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

/// `Pending` (waking itself) when `pend`, then ready.
async fn maybe_pend(pend: bool) {
    let mut pended = !pend;
    poll_fn(|cx| {
        if pended {
            Poll::Ready(())
        } else {
            pended = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Reads `data` a few bytes at a time, pending and interrupted now and
/// then.
struct Trickle<'a> {
    data: &'a [u8],
    rng: Rng,
    reads: usize,
    pends: usize,
}

impl<'a> Trickle<'a> {
    fn new(data: &'a [u8], seed: u64) -> Self {
        Trickle {
            data,
            rng: Rng(seed),
            reads: 0,
            pends: 0,
        }
    }
}

impl ErrorType for Trickle<'_> {
    type Error = ErrorKind;
}

impl Read for Trickle<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        if self.rng.next(3) == 0 {
            self.pends += 1;
            maybe_pend(true).await;
        }
        self.reads += 1;
        if self.rng.next(5) == 0 {
            return Err(ErrorKind::Interrupted);
        }
        let n = (1 + self.rng.next(9)).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Accepts a few bytes per write, pending and interrupted now and then.
struct Sink {
    bytes: Vec<u8>,
    rng: Rng,
    zero: bool,
}

impl ErrorType for Sink {
    type Error = ErrorKind;
}

impl Write for Sink {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if self.zero {
            return Ok(0);
        }
        let pend = self.rng.next(3) == 0;
        maybe_pend(pend).await;
        if self.rng.next(4) == 0 {
            return Err(ErrorKind::Interrupted);
        }
        let n = (1 + self.rng.next(5)).min(buf.len());
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        maybe_pend(true).await;
        Ok(())
    }
}

fn payloads() -> Vec<Vec<u8>> {
    (0..40usize)
        .map(|i| (0..(i * 13) % 500).map(|j| (i + j) as u8).collect())
        .collect()
}

/// The wire bytes of `payloads()`, written by the async writer.
fn wire() -> Vec<u8> {
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(7),
        zero: false,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, &LAYOUT);
    block_on(async {
        for p in payloads() {
            writer.write_frame(&p).await.unwrap();
        }
        writer.flush().await.unwrap();
    });
    sink.bytes
}

#[test]
fn short_pending_writes_and_reads_round_trip_every_frame() {
    let wire = wire();
    // The blocking writer writes the same bytes.
    let mut blocking = vec![0u8; wire.len()];
    let mut writer =
        framing_core::embedded::FrameWriter::with_scratch::<8>(&mut blocking[..], LAYOUT);
    for p in payloads() {
        writer.write_frame(&p).unwrap();
    }
    assert_eq!(blocking, wire);

    for (seed, read_size) in [(1u64, 1usize), (2, 7), (3, 64), (4, 4096)] {
        let mut read_buf = vec![0u8; read_size];
        let decoder = Decoder::new(&LAYOUT, heapless::Vec::<u8, 1024>::new());
        let mut reader = FrameReader::new(Trickle::new(&wire, seed), decoder, &mut read_buf);
        let got = block_on(async {
            let mut got = Vec::new();
            while let Some(frame) = reader.next_frame().await.unwrap() {
                assert_eq!(frame.header().value(0), Some(Value::Int(0x7e)));
                got.push(frame.payload().to_vec());
            }
            got
        });
        assert_eq!(got, payloads(), "read size {read_size}");
        let trickle = reader.get_ref();
        assert!(trickle.reads > wire.len() / 9, "short reads were exercised");
        assert!(trickle.pends > 0, "pending reads were exercised");

        let mut read_buf = vec![0u8; read_size];
        let decoder = StreamDecoder::new(LAYOUT, heapless::Vec::<u8, 3>::new());
        let mut reader = StreamReader::new(Trickle::new(&wire, seed), decoder, &mut read_buf);
        let got = block_on(async {
            let mut got: Vec<Vec<u8>> = Vec::new();
            while let Some(event) = reader.next_event().await.unwrap() {
                match event {
                    Event::Header(_) => got.push(Vec::new()),
                    Event::Payload(p) => got.last_mut().unwrap().extend_from_slice(p),
                    Event::End => {}
                    Event::Recovered(r) => panic!("a clean stream reported {r}"),
                    Event::Preface(p) => panic!("no preface, yet {p:?}"),
                    other => panic!("not expected here: {other:?}"),
                }
            }
            got
        });
        assert_eq!(got, payloads(), "streaming, read size {read_size}");
    }
}

#[test]
fn a_stream_cut_inside_a_frame_is_truncated() {
    let wire = b"\x7e\x02\x00ok\x7e\x05\x00abc";
    let mut read_buf = [0u8; 4];
    let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
    let mut reader = FrameReader::new(Trickle::new(wire, 5), decoder, &mut read_buf);
    assert_eq!(
        block_on(reader.next_frame()).unwrap().unwrap().payload(),
        b"ok"
    );
    let Err(Error::Decode(e)) = block_on(reader.next_frame()) else {
        panic!("expected a decode error")
    };
    assert_eq!(
        e.kind(),
        DecodeErrorKind::Truncated {
            missing: 2,
            in_header: false
        }
    );
    assert_eq!(e.offset(), 5);
}

#[test]
fn a_bad_constant_is_a_decode_error_every_time() {
    let wire = b"\x7f\x02\x00ok";
    let mut read_buf = [0u8; 16];
    let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
    let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
    let Err(Error::Decode(e)) = block_on(reader.next_frame()) else {
        panic!("expected a decode error")
    };
    assert_eq!(
        e.kind(),
        DecodeErrorKind::ConstantMismatch {
            field: 0,
            found: 0x7f,
            expected: 0x7e
        }
    );
    assert_eq!(
        block_on(reader.next_item()).map(|d| d.is_some()),
        Err(Error::Decode(e))
    );
    assert_eq!(reader.decoder().failure(), Some(e));
}

#[test]
fn an_io_error_surfaces_and_reading_goes_on() {
    /// Fails once with `Other` after the first three bytes.
    struct Flaky<'a> {
        data: &'a [u8],
        failed: bool,
    }
    impl ErrorType for Flaky<'_> {
        type Error = ErrorKind;
    }
    impl Read for Flaky<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
            if self.data.len() == 2 && !self.failed {
                self.failed = true;
                return Err(ErrorKind::Other);
            }
            let n = buf.len().min(self.data.len()).min(3);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let wire = b"\x7e\x02\x00ok";
    let mut read_buf = [0u8; 16];
    let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
    let flaky = Flaky {
        data: wire,
        failed: false,
    };
    let mut reader = FrameReader::new(flaky, decoder, &mut read_buf);
    assert!(matches!(
        block_on(reader.next_frame()),
        Err(Error::Io(ErrorKind::Other))
    ));
    assert_eq!(
        block_on(reader.next_frame()).unwrap().unwrap().payload(),
        b"ok"
    );
    assert!(block_on(reader.next_frame()).unwrap().is_none());
}

#[test]
fn writer_errors_are_reported_not_panics() {
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(1),
        zero: true,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, LAYOUT);
    assert_eq!(block_on(writer.write_frame(b"x")), Err(Error::WriteZero));
    // A header longer than the writer's scratch space: nothing written.
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(1),
        zero: false,
    };
    let mut small = FrameWriter::with_scratch::<2>(&mut sink, LAYOUT);
    assert!(matches!(
        block_on(small.write_frame(b"x")),
        Err(Error::Encode(_))
    ));
    assert!(sink.bytes.is_empty());
    // A payload over the maximum.
    let mut out = [0u8; 1024];
    let mut writer = FrameWriter::with_scratch::<8>(&mut out[..], LAYOUT);
    assert!(matches!(
        block_on(writer.write_frame(&[0; 601])),
        Err(Error::Encode(_))
    ));
    // Fields other than the length and constants.
    let layout = Layout::builder("<BHB")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .build_or_panic();
    let mut out = [0u8; 16];
    let mut writer = FrameWriter::with_scratch::<8>(&mut out[..], &layout);
    block_on(writer.write_frame_with(b"hi", &[(2, Value::Int(9))])).unwrap();
    assert_eq!(&out[..6], b"\x7e\x02\x00\x09hi");
}

/// Gives out `data` only up to `open` bytes, at most `chunk` a read, and
/// pends (with no side effect) when it has none to give.
struct Gate<'a> {
    data: &'a [u8],
    pos: usize,
    open: usize,
    chunk: usize,
}

impl ErrorType for Gate<'_> {
    type Error = ErrorKind;
}

impl Read for Gate<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        poll_fn(|_| {
            if self.pos < self.open.min(self.data.len()) || self.pos == self.data.len() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        let n = buf
            .len()
            .min(self.chunk)
            .min(self.open.min(self.data.len()) - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Three frames: "first", a 40-byte one (longer than the 16-byte read
/// buffer below: assembled in the decoder) and "third".
fn three_frames() -> (Vec<u8>, Vec<Vec<u8>>) {
    let payloads = vec![
        b"first".to_vec(),
        (0..40u8).collect::<Vec<u8>>(),
        b"third".to_vec(),
    ];
    let mut wire = vec![0u8; 128];
    let mut writer = framing_core::embedded::FrameWriter::with_scratch::<8>(&mut wire[..], LAYOUT);
    for p in &payloads {
        writer.write_frame(p).unwrap();
    }
    let len = 3 * 3 + 5 + 40 + 5;
    wire.truncate(len);
    (wire, payloads)
}

/// `next_frame` (and `next`) dropped after returning `Pending` at every
/// byte of the stream, in the header and in the payload of a frame that
/// lies in the read buffer and of one the decoder assembles: the bytes the
/// reader took before the drop are kept, and calling again gives exactly
/// the frames.
#[test]
fn a_next_frame_future_dropped_mid_frame_loses_nothing() {
    let (wire, payloads) = three_frames();
    for frames_only in [true, false] {
        for chunk in [1, 3, 16] {
            for cut in 1..wire.len() {
                let mut read_buf = [0u8; 16];
                let decoder = Decoder::new(&LAYOUT, heapless::Vec::<u8, 64>::new());
                let gate = Gate {
                    data: &wire,
                    pos: 0,
                    open: cut,
                    chunk,
                };
                let mut reader = FrameReader::new(gate, decoder, &mut read_buf);
                let mut got = Vec::new();
                let mut dropped = 0;
                loop {
                    let polled = if frames_only {
                        poll_once(pin!(reader.next_frame()))
                            .map(|f| f.unwrap().map(|f| f.payload().to_vec()))
                    } else {
                        poll_once(pin!(reader.next_item())).map(|d| match d.unwrap() {
                            Some(Decoded::Frame(f)) => Some(f.payload().to_vec()),
                            Some(Decoded::Recovered(r)) => panic!("a clean stream reported {r}"),
                            Some(Decoded::Preface(_)) => panic!("no preface"),
                            None => None,
                            other => panic!("not expected here: {other:?}"),
                        })
                    };
                    // The future is dropped here, `Pending` or not.
                    match polled {
                        Poll::Ready(Some(payload)) => got.push(payload),
                        Poll::Ready(None) => break,
                        Poll::Pending => {
                            dropped += 1;
                            assert_eq!(dropped, 1, "pending only at the gate");
                            // Everything up to the gate was taken by the
                            // reader before it pended.
                            assert_eq!(reader.get_ref().pos, cut, "cut at {cut}");
                            reader.get_mut().open = wire.len();
                        }
                    }
                }
                assert_eq!(dropped, 1, "cut at {cut}");
                assert_eq!(got, payloads, "cut at {cut}, chunk {chunk}");
                assert_eq!(reader.decoder().offset(), wire.len() as u64);
            }
        }
    }
}

/// The streaming reader likewise: an event future dropped at `Pending`
/// inside a frame loses no payload byte and repeats none.
#[test]
fn a_next_event_future_dropped_mid_frame_loses_nothing() {
    /// An event, owned.
    enum Ev {
        Header,
        Piece(Vec<u8>),
        End,
    }
    let (wire, payloads) = three_frames();
    for cut in 1..wire.len() {
        let mut read_buf = [0u8; 4];
        let decoder = StreamDecoder::new(&LAYOUT, heapless::Vec::<u8, 3>::new());
        let gate = Gate {
            data: &wire,
            pos: 0,
            open: cut,
            chunk: 3,
        };
        let mut reader = StreamReader::new(gate, decoder, &mut read_buf);
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut dropped = 0;
        loop {
            let polled = poll_once(pin!(reader.next_event())).map(|e| match e.unwrap() {
                Some(Event::Header(_)) => Some(Ev::Header),
                Some(Event::Payload(p)) => Some(Ev::Piece(p.to_vec())),
                Some(Event::End) => Some(Ev::End),
                Some(Event::Recovered(r)) => panic!("a clean stream reported {r}"),
                Some(Event::Preface(p)) => panic!("no preface, yet {p:?}"),
                None => None,
                other => panic!("not expected here: {other:?}"),
            });
            match polled {
                Poll::Ready(Some(Ev::Header)) => got.push(Vec::new()),
                Poll::Ready(Some(Ev::Piece(piece))) => got.last_mut().unwrap().extend(piece),
                Poll::Ready(Some(Ev::End)) => {}
                Poll::Ready(None) => break,
                Poll::Pending => {
                    dropped += 1;
                    assert_eq!(dropped, 1, "pending only at the gate, cut at {cut}");
                    assert_eq!(reader.get_ref().pos, cut, "cut at {cut}");
                    reader.get_mut().open = wire.len();
                }
            }
        }
        assert_eq!(dropped, 1, "cut at {cut}");
        assert_eq!(got, payloads, "cut at {cut}");
    }
}

/// A resynchronising layout's report, with a drop at every byte: reported
/// once, then the frames.
#[test]
fn a_report_is_not_lost_or_repeated_by_a_drop() {
    let resync = Layout::builder("<BH")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .resync(true)
        .build_or_panic();
    let wire = b"\x00\x01\x7e\x02\x00ok\x7e\x01\x00z";
    for cut in 1..wire.len() {
        let mut read_buf = [0u8; 4];
        let decoder = Decoder::new(&resync, heapless::Vec::<u8, 16>::new());
        let gate = Gate {
            data: wire,
            pos: 0,
            open: cut,
            chunk: 2,
        };
        let mut reader = FrameReader::new(gate, decoder, &mut read_buf);
        let mut items = Vec::new();
        let mut dropped = 0;
        loop {
            let polled = poll_once(pin!(reader.next_item())).map(|d| match d.unwrap() {
                Some(Decoded::Frame(f)) => Some(Ok(f.payload().to_vec())),
                Some(Decoded::Recovered(r)) => Some(Err(r)),
                Some(Decoded::Preface(_)) => panic!("no preface"),
                None => None,
                other => panic!("not expected here: {other:?}"),
            });
            match polled {
                Poll::Ready(Some(item)) => items.push(item),
                Poll::Ready(None) => break,
                Poll::Pending => {
                    dropped += 1;
                    assert_eq!(dropped, 1, "pending only at the gate, cut at {cut}");
                    reader.get_mut().open = wire.len();
                }
            }
        }
        assert_eq!(
            items,
            [
                Err(Recovery::Skipped {
                    offset: 0,
                    bytes: 2
                }),
                Ok(b"ok".to_vec()),
                Ok(b"z".to_vec())
            ],
            "cut at {cut}"
        );
        assert_eq!(dropped, 1, "cut at {cut}");
    }
}

/// `FrameWriter::new` takes the default scratch space with no turbofish,
/// and `with_scratch::<N>` names any other size, as the blocking writer's.
#[test]
fn new_needs_no_turbofish_and_with_scratch_sets_the_size() {
    let mut out = [0u8; 16];
    let mut writer = FrameWriter::new(&mut out[..], &LAYOUT);
    block_on(writer.write_frame(b"hi")).unwrap();
    let _: &FrameWriter<&mut [u8], &Layout, { framing_core::embedded_async::DEFAULT_SCRATCH }> =
        &writer;
    assert_eq!(&out[..5], b"\x7e\x02\x00hi");

    const SLIP: Layout = Layout::slip().build_or_panic();
    let mut out = [0u8; 128];
    let mut small = FrameWriter::new(&mut out[..], &SLIP);
    assert!(matches!(
        block_on(small.write_frame(&[0xc0; 40])),
        Err(Error::Encode(framing_core::EncodeError::BufferTooSmall {
            needed: 81,
            available: 64
        }))
    ));
    let mut big = FrameWriter::with_scratch::<81>(&mut out[..], &SLIP);
    block_on(big.write_frame(&[0xc0; 40])).unwrap();
    assert_eq!(out[80], 0xc0);
}

/// An empty SLIP frame is refused by the async writer too, unwritten.
#[test]
fn an_empty_slip_frame_is_refused() {
    const SLIP: Layout = Layout::slip().build_or_panic();
    let mut out = [0u8; 8];
    let mut writer = FrameWriter::new(&mut out[..], &SLIP);
    assert_eq!(
        block_on(writer.write_frame(b"")),
        Err(Error::Encode(framing_core::EncodeError::EmptyFrame))
    );
    assert_eq!(out, [0; 8]);
}

/// A typed header through the async writer and reader: the writer takes
/// the header's values, the reader's frames give the typed view and the
/// by-value read (`Frame::view`, `Frame::typed`), for short, pending and
/// interrupted reads of every size.
#[cfg(feature = "derive")]
#[test]
fn typed_headers_through_the_async_writer_and_reader() {
    #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
    #[framing(byte_order = "big", max_payload = 600, trailer = "crc16-xmodem")]
    struct Typed {
        #[framing(constant = 0x7e)]
        sync: u8,
        kind: i16,
        urgent: bool,
        #[framing(length)]
        len: u16,
    }
    assert_eq!(Typed::FORMAT, ">Bh?H");
    let sent: Vec<(Typed, Vec<u8>)> = payloads()
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let msg = Typed {
                sync: 0,
                kind: i as i16 * -7,
                urgent: i % 3 == 0,
                len: 0,
            };
            (msg, p)
        })
        .collect();
    // What each header's own encoding gives.
    let mut expected = Vec::new();
    let mut out = [0u8; 700];
    for (msg, p) in &sent {
        let n = msg.encode(p, &mut out).unwrap();
        expected.extend_from_slice(&out[..n]);
    }
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(11),
        zero: false,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, &Typed::LAYOUT);
    block_on(async {
        for (msg, p) in &sent {
            writer.write_frame_with(p, &msg.values()).await.unwrap();
        }
        writer.flush().await.unwrap();
    });
    assert_eq!(sink.bytes, expected);

    for (seed, read_size) in [(1u64, 1usize), (2, 7), (3, 4096)] {
        let mut read_buf = vec![0u8; read_size];
        let decoder = Decoder::new(&Typed::LAYOUT, heapless::Vec::<u8, 1024>::new());
        let mut reader = FrameReader::new(Trickle::new(&sink.bytes, seed), decoder, &mut read_buf);
        let got = block_on(async {
            let mut got = Vec::new();
            while let Some(frame) = reader.next_frame().await.unwrap() {
                let view = frame.view::<Typed>().unwrap();
                assert_eq!(view.sync(), 0x7e);
                assert_eq!(usize::from(view.len()), frame.payload().len());
                let typed = frame.typed::<Typed>().unwrap();
                assert_eq!(typed, view.get());
                got.push((
                    Typed {
                        sync: 0,
                        len: 0,
                        ..typed
                    },
                    frame.payload().to_vec(),
                ));
            }
            got
        });
        assert_eq!(got, sent, "read size {read_size}");
    }
}
