//! The embedded-io adapters over in-memory readers and writers that return
//! short reads, short writes and `Interrupted`, as UART drivers do.
#![cfg(feature = "embedded-io")]

use embedded_io::{ErrorKind, ErrorType, Read, Write};
use framing_core::embedded::{Error, FrameReader, FrameWriter, StreamReader};
use framing_core::{
    DecodeErrorKind, Decoded, Decoder, Event, Layout, Recovery, StreamDecoder, Value,
};

const LAYOUT: Layout = Layout::builder("<BH")
    .length_field(1)
    .constant(0, Value::Int(0x7e))
    .max_payload(600)
    .build_or_panic();

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

/// Reads `data` a few bytes at a time, interrupted now and then.
struct Trickle<'a> {
    data: &'a [u8],
    rng: Rng,
    reads: usize,
}

impl ErrorType for Trickle<'_> {
    type Error = ErrorKind;
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
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

/// Accepts a few bytes per write, interrupted now and then.
struct Sink {
    bytes: Vec<u8>,
    rng: Rng,
    zero: bool,
}

impl ErrorType for Sink {
    type Error = ErrorKind;
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if self.zero {
            return Ok(0);
        }
        if self.rng.next(4) == 0 {
            return Err(ErrorKind::Interrupted);
        }
        let n = (1 + self.rng.next(5)).min(buf.len());
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

fn payloads() -> Vec<Vec<u8>> {
    (0..40usize)
        .map(|i| (0..(i * 13) % 500).map(|j| (i + j) as u8).collect())
        .collect()
}

#[test]
fn short_writes_and_reads_round_trip_every_frame() {
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(7),
        zero: false,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, &LAYOUT);
    for p in payloads() {
        writer.write_frame(&p).unwrap();
    }
    writer.flush().unwrap();
    let wire = sink.bytes;

    for (seed, read_size) in [(1u64, 1usize), (2, 7), (3, 64), (4, 4096)] {
        let mut read_buf = vec![0u8; read_size];
        let decoder = Decoder::new(&LAYOUT, heapless::Vec::<u8, 1024>::new());
        let trickle = Trickle {
            data: &wire,
            rng: Rng(seed),
            reads: 0,
        };
        let mut reader = FrameReader::new(trickle, decoder, &mut read_buf);
        let mut got = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            assert_eq!(frame.header().value(0), Some(Value::Int(0x7e)));
            got.push(frame.payload().to_vec());
        }
        assert_eq!(got, payloads(), "read size {read_size}");
        assert!(
            reader.get_ref().reads > wire.len() / 9,
            "short reads were exercised"
        );

        let mut read_buf = vec![0u8; read_size];
        let decoder = StreamDecoder::new(LAYOUT, heapless::Vec::<u8, 3>::new());
        let trickle = Trickle {
            data: &wire,
            rng: Rng(seed),
            reads: 0,
        };
        let mut reader = StreamReader::new(trickle, decoder, &mut read_buf);
        let mut got: Vec<Vec<u8>> = Vec::new();
        while let Some(event) = reader.next_event().unwrap() {
            match event {
                Event::Header(_) => got.push(Vec::new()),
                Event::Payload(p) => got.last_mut().unwrap().extend_from_slice(p),
                Event::End => {}
                Event::Recovered(r) => panic!("a clean stream reported {r}"),
                Event::Preface(p) => panic!("no preface, yet {p:?}"),
                other => panic!("not expected here: {other:?}"),
            }
        }
        assert_eq!(got, payloads(), "streaming, read size {read_size}");
    }
}

#[test]
fn a_stream_cut_inside_a_frame_is_truncated() {
    let wire = b"\x7e\x02\x00ok\x7e\x05\x00abc";
    let mut read_buf = [0u8; 4];
    let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
    let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
    assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"ok");
    let Err(Error::Decode(e)) = reader.next_frame() else {
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
fn a_bad_constant_is_a_decode_error() {
    let wire = b"\x7f\x02\x00ok";
    let mut read_buf = [0u8; 16];
    let decoder = Decoder::new(LAYOUT, heapless::Vec::<u8, 64>::new());
    let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
    let Err(Error::Decode(e)) = reader.next_frame() else {
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
    // Every error is fatal: the reader returns it again.
    assert_eq!(
        reader.next_item().map(|d| d.is_some()),
        Err(Error::Decode(e))
    );
    assert_eq!(reader.decoder().failure(), Some(e));
    assert_eq!(
        embedded_io::Error::kind(&Error::<ErrorKind>::Decode(e)),
        ErrorKind::InvalidData
    );
}

#[test]
fn writer_errors_are_reported_not_panics() {
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(1),
        zero: true,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, LAYOUT);
    assert_eq!(writer.write_frame(b"x"), Err(Error::WriteZero));
    // A header longer than the writer's scratch space.
    let mut out = [0u8; 64];
    let mut small = FrameWriter::with_scratch::<2>(&mut out[..], LAYOUT);
    assert!(matches!(small.write_frame(b"x"), Err(Error::Encode(_))));
    // A payload over the maximum.
    let mut out = [0u8; 1024];
    let mut writer = FrameWriter::with_scratch::<8>(&mut out[..], LAYOUT);
    assert!(matches!(
        writer.write_frame(&[0; 601]),
        Err(Error::Encode(_))
    ));
}

/// Regression: a recovery report (bytes skipped while resynchronising, an
/// oversized payload discarded) consumed bytes, and the embedded readers fed
/// those bytes again, so they never returned the frame after it.
#[test]
fn recoveries_consume_their_bytes_in_the_embedded_readers() {
    let resync = Layout::builder("<BH")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .resync(true)
        .build_or_panic();
    let wire = b"\x00\x01\x7e\x02\x00ok\x7e\x01\x00z";
    for read_len in 1..=wire.len() {
        let mut read_buf = vec![0u8; read_len];
        let decoder = Decoder::new(&resync, heapless::Vec::<u8, 16>::new());
        let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
        let mut got = Vec::new();
        let mut reports = Vec::new();
        for _ in 0..20 {
            match reader.next_item() {
                Ok(Some(Decoded::Frame(f))) => got.push(f.payload().to_vec()),
                Ok(Some(Decoded::Recovered(r))) => {
                    assert!(got.is_empty(), "the report comes first");
                    reports.push(r);
                }
                Ok(Some(Decoded::Preface(_))) => panic!("no preface"),
                Ok(None) => break,
                Err(e) => panic!("read size {read_len}: {e:?}"),
                other => panic!("not expected here: {other:?}"),
            }
        }
        assert_eq!(got, [b"ok".to_vec(), b"z".to_vec()], "read size {read_len}");
        assert_eq!(
            reports,
            [Recovery::Skipped {
                offset: 0,
                bytes: 2
            }],
            "read size {read_len}"
        );

        // `next_frame` skips the report and gives the same frames.
        let mut read_buf = vec![0u8; read_len];
        let decoder = Decoder::new(&resync, heapless::Vec::<u8, 16>::new());
        let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
        let mut frames = Vec::new();
        for _ in 0..20 {
            match reader.next_frame() {
                Ok(Some(f)) => frames.push(f.payload().to_vec()),
                Ok(None) => break,
                Err(e) => panic!("read size {read_len}: {e:?}"),
            }
        }
        assert_eq!(frames, got, "next_frame, read size {read_len}");
    }

    let discard = Layout::builder("<BH")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .max_payload(4)
        .on_oversize(framing_core::Oversize::Discard)
        .build_or_panic();
    let wire = b"\x7e\x06\x00toobig\x7e\x02\x00ok";
    for read_len in 1..=wire.len() {
        let mut read_buf = vec![0u8; read_len];
        let decoder = StreamDecoder::new(&discard, heapless::Vec::<u8, 3>::new());
        let mut reader = StreamReader::new(&wire[..], decoder, &mut read_buf);
        let mut payload = Vec::new();
        let mut reports = Vec::new();
        for _ in 0..40 {
            match reader.next_event() {
                Ok(Some(Event::Payload(p))) => payload.extend_from_slice(p),
                Ok(Some(Event::Recovered(r))) => reports.push(r),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("read size {read_len}: {e:?}"),
            }
        }
        assert_eq!(payload, b"ok", "read size {read_len}");
        assert_eq!(
            reports,
            [Recovery::Discarded {
                offset: 0,
                length: 6
            }],
            "read size {read_len}"
        );

        // The whole-frame reader too: the oversized frame is reported, the
        // good one after it read.
        let mut read_buf = vec![0u8; read_len];
        let decoder = Decoder::new(&discard, heapless::Vec::<u8, 16>::new());
        let mut reader = FrameReader::new(&wire[..], decoder, &mut read_buf);
        let mut items = Vec::new();
        for _ in 0..40 {
            match reader.next_item() {
                Ok(Some(Decoded::Frame(f))) => items.push(Ok(f.payload().to_vec())),
                Ok(Some(Decoded::Recovered(r))) => items.push(Err(r)),
                Ok(Some(Decoded::Preface(_))) => panic!("no preface"),
                Ok(None) => break,
                Err(e) => panic!("read size {read_len}: {e:?}"),
                other => panic!("not expected here: {other:?}"),
            }
        }
        assert_eq!(
            items,
            [
                Err(Recovery::Discarded {
                    offset: 0,
                    length: 6
                }),
                Ok(b"ok".to_vec())
            ],
            "frames, read size {read_len}"
        );
    }
}

/// A UART that gives one byte a read.
struct Uart<'a> {
    data: &'a [u8],
}

impl ErrorType for Uart<'_> {
    type Error = ErrorKind;
}

impl Read for Uart<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let Some((&b, rest)) = self.data.split_first() else {
            return Ok(0);
        };
        if buf.is_empty() {
            return Ok(0);
        }
        buf[0] = b;
        self.data = rest;
        Ok(1)
    }
}

/// COBS frames with a CRC-16 inside, the classic serial pairing, written by
/// the embedded writer, then read a byte at a time with one bit flipped:
/// the corrupt frame is reported, the next one arrives.
#[test]
fn a_uart_with_cobs_and_crc16_costs_one_frame_for_a_flipped_bit() {
    const COBS: Layout = Layout::cobs()
        .trailer(framing_core::Checksum::Crc16Xmodem)
        .max_payload(48)
        .build_or_panic();
    let readings: [&[u8]; 3] = [b"t=21.5\x00C", b"h=40\x00%", b"p=1013"];
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(11),
        zero: false,
    };
    let mut writer = FrameWriter::new(&mut sink, &COBS);
    let mut ends = Vec::new();
    for r in readings {
        writer.write_frame(r).unwrap();
        ends.push(writer.get_ref().bytes.len());
    }
    let mut wire = sink.bytes;
    // A bit flips in the second frame.
    wire[ends[0] + 2] ^= 0x08;
    let mut read_buf = [0u8; 16];
    let decoder = Decoder::new(&COBS, heapless::Vec::<u8, 64>::new());
    let mut reader = FrameReader::new(Uart { data: &wire }, decoder, &mut read_buf);
    let mut got = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        got.push(match item {
            Decoded::Frame(f) => Ok(f.payload().to_vec()),
            Decoded::Recovered(r) => Err(r),
            Decoded::Preface(_) => panic!("no preface"),
            other => panic!("not expected here: {other:?}"),
        });
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], Ok(readings[0].to_vec()));
    assert!(
        matches!(got[1], Err(Recovery::Corrupt { offset, length, .. })
            if offset == ends[0] as u64 && length == (ends[1] - ends[0]) as u64),
        "{:?}",
        got[1]
    );
    assert_eq!(got[2], Ok(readings[2].to_vec()));
}

/// A delimited frame is encoded whole into the writer's `H` bytes of
/// scratch space: one that does not fit is an error, and nothing is
/// written.
#[test]
fn a_delimited_frame_longer_than_the_scratch_space_is_refused_unwritten() {
    const SLIP: Layout = Layout::slip().build_or_panic();
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(3),
        zero: false,
    };
    let mut writer = FrameWriter::with_scratch::<8>(&mut sink, &SLIP);
    writer.write_frame(b"\xc0ok").unwrap();
    let e = writer.write_frame(b"\xc0\xc0\xc0\xc0").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Encode(framing_core::EncodeError::BufferTooSmall {
                needed: 9,
                available: 8
            })
        ),
        "{e:?}"
    );
    assert_eq!(sink.bytes, b"\xdb\xdcok\xc0");
}

/// `FrameWriter::new` takes the default scratch space with no turbofish
/// (it was E0284: the struct's `H = 64` default does not apply to a call),
/// and `with_scratch::<N>` names any other size.
#[test]
fn new_needs_no_turbofish_and_with_scratch_sets_the_size() {
    let mut out = [0u8; 16];
    let mut writer = FrameWriter::new(&mut out[..], &LAYOUT);
    writer.write_frame(b"hi").unwrap();
    let _: &FrameWriter<&mut [u8], &Layout, { framing_core::embedded::DEFAULT_SCRATCH }> = &writer;
    assert_eq!(&out[..5], b"\x7e\x02\x00hi");

    // A SLIP frame of 40 0xc0 bytes is 81 bytes encoded: over the default
    // 64, within 81.
    const SLIP: Layout = Layout::slip().build_or_panic();
    let mut out = [0u8; 128];
    let e = FrameWriter::new(&mut out[..], &SLIP).write_frame(&[0xc0; 40]);
    assert!(
        matches!(
            e,
            Err(Error::Encode(framing_core::EncodeError::BufferTooSmall {
                needed: 81,
                available: 64
            }))
        ),
        "{e:?}"
    );
    let mut big = FrameWriter::with_scratch::<81>(&mut out[..], &SLIP);
    big.write_frame(&[0xc0; 40]).unwrap();
    assert_eq!(out[80], 0xc0);
}

/// An empty SLIP frame (an END alone, which readers skip) is refused by
/// the writer, as by `Layout::encode`, and nothing is written; an empty
/// COBS frame is written and read back.
#[test]
fn an_empty_slip_frame_is_refused_and_an_empty_cobs_frame_arrives() {
    const SLIP: Layout = Layout::slip().build_or_panic();
    const COBS: Layout = Layout::cobs().build_or_panic();
    let mut out = [0u8; 8];
    let mut writer = FrameWriter::new(&mut out[..], &SLIP);
    assert_eq!(
        writer.write_frame(b""),
        Err(Error::Encode(framing_core::EncodeError::EmptyFrame))
    );
    assert_eq!(out, [0; 8]);

    let mut writer = FrameWriter::new(&mut out[..], &COBS);
    writer.write_frame(b"").unwrap();
    assert_eq!(out[..2], [0x01, 0x00]);
    let mut read_buf = [0u8; 4];
    let decoder = Decoder::new(&COBS, heapless::Vec::<u8, 8>::new());
    let mut reader = FrameReader::new(&out[..2], decoder, &mut read_buf);
    assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"");
    assert!(reader.next_frame().unwrap().is_none());
}

/// A typed header read through the embedded reader: `Frame::view` and
/// `Frame::typed` on the frames it lends.
#[cfg(feature = "derive")]
#[test]
fn typed_headers_through_the_reader() {
    #[derive(framing_core::Header, Debug, PartialEq)]
    #[framing(byte_order = "little", max_payload = 600)]
    struct Typed {
        #[framing(constant = 0x7e)]
        sync: u8,
        #[framing(length)]
        len: u16,
    }
    assert_eq!(Typed::FORMAT, "<BH");
    let mut data = Vec::new();
    let mut out = [0u8; 700];
    for n in [0usize, 1, 300, 600] {
        let k = (Typed { sync: 0, len: 0 })
            .encode(&vec![9; n], &mut out)
            .unwrap();
        data.extend_from_slice(&out[..k]);
    }
    // The writer writes the same frames from the typed header's values.
    let mut sink = Sink {
        bytes: Vec::new(),
        rng: Rng(3),
        zero: false,
    };
    let mut writer = FrameWriter::with_scratch::<3>(&mut sink, &Typed::LAYOUT);
    for n in [0usize, 1, 300, 600] {
        let msg = Typed { sync: 0, len: 0 };
        writer.write_frame_with(&vec![9; n], &msg.values()).unwrap();
    }
    writer.flush().unwrap();
    assert_eq!(sink.bytes, data);
    let mut read_buf = [0u8; 16];
    let trickle = Trickle {
        data: &data,
        rng: Rng(7),
        reads: 0,
    };
    let decoder = Decoder::new(
        &Typed::LAYOUT,
        framing_core::heapless::Vec::<u8, 700>::new(),
    );
    let mut reader = FrameReader::new(trickle, decoder, &mut read_buf);
    let mut lens = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                let view = frame.view::<Typed>().unwrap();
                assert_eq!(usize::from(view.len()), frame.payload().len());
                assert_eq!(frame.typed::<Typed>().unwrap().sync, 0x7e);
                lens.push(view.len());
            }
            Ok(None) => break,
            Err(Error::Io(ErrorKind::Interrupted)) => continue,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(lens, [0, 1, 300, 600]);
}
