//! Delimited framings (COBS, SLIP, lines) through framing-std's reader and
//! writer and the tokio codec, with no code of their own.

use std::io::{self, Read};

use framing_std::framing_core::{Checksum, Layout, Recovery};
use framing_std::{FrameReader, FrameWriter};

/// Reads at most `n` bytes a call.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.n.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn payloads() -> Vec<Vec<u8>> {
    (0..30usize)
        .map(|i| {
            (0..(i * 37) % 700)
                .map(|j| ((i * 7 + j) % 256) as u8)
                .collect()
        })
        .collect()
}

fn layouts() -> [Layout; 4] {
    [
        Layout::cobs().max_payload(1000).build().unwrap(),
        Layout::slip().max_payload(1000).build().unwrap(),
        Layout::cobs()
            .trailer(Checksum::Crc32)
            .max_payload(1000)
            .build()
            .unwrap(),
        Layout::delimited(b"\r\n")
            .max_payload(1000)
            .build()
            .unwrap(),
    ]
}

#[test]
fn every_delimited_layout_round_trips_through_the_std_writer_and_reader() {
    for layout in layouts() {
        let lines = layout.delimiter() == Layout::delimited(b"\r\n").build().unwrap().delimiter();
        // Lines carry text: no CR LF inside.
        let slip = layout.delimiter() == layouts()[1].delimiter();
        let sent: Vec<Vec<u8>> = payloads()
            .into_iter()
            .map(|p| {
                if lines {
                    p.into_iter().map(|b| b'a' + b % 26).collect()
                } else {
                    p
                }
            })
            // SLIP cannot carry an empty frame.
            .filter(|p| !(slip && p.is_empty()))
            .collect();
        let mut w = FrameWriter::new(Vec::new(), layout);
        for (i, p) in sent.iter().enumerate() {
            if i % 2 == 0 {
                w.write_frame(p).unwrap();
            } else {
                w.queue_frame(p).unwrap();
            }
        }
        w.flush().unwrap();
        let wire = w.into_inner();
        for n in [1, 3, 64, 1 << 16] {
            let mut r = FrameReader::with_capacity(16, Trickle { data: &wire, n }, layout);
            let mut got = Vec::new();
            while let Some(f) = r.next_frame().unwrap() {
                got.push(f.payload().to_vec());
            }
            assert_eq!(got, sent, "{:?}, reads of {n}", layout.delimiter());
        }
    }
}

/// An empty SLIP frame is an END alone, which readers skip: the writer
/// refuses it (it used to return `Ok` and the frame vanished), as an
/// `InvalidInput` error holding `EncodeError::EmptyFrame`, and writes
/// nothing; an empty COBS frame is written and read back.
#[test]
fn an_empty_slip_frame_is_refused_and_an_empty_cobs_frame_arrives() {
    let slip = layouts()[1];
    let mut w = FrameWriter::new(Vec::new(), slip);
    for e in [
        w.write_frame(b"").unwrap_err(),
        w.queue_frame(b"").unwrap_err(),
    ] {
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            framing_std::error::encode_error(&e),
            Some(framing_std::EncodeError::EmptyFrame)
        );
    }
    w.flush().unwrap();
    assert!(w.into_inner().is_empty());

    let cobs = layouts()[0];
    let mut w = FrameWriter::new(Vec::new(), cobs);
    w.write_frame(b"").unwrap();
    let wire = w.into_inner();
    assert_eq!(wire, [0x01, 0x00]);
    let mut r = FrameReader::new(&wire[..], cobs);
    assert_eq!(r.next_frame().unwrap().unwrap().payload(), b"");
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn a_corrupt_cobs_frame_is_reported_and_the_reader_goes_on() {
    let layout = layouts()[2];
    let mut w = FrameWriter::new(Vec::new(), layout);
    for p in [&b"one"[..], b"two", b"three"] {
        w.write_frame(p).unwrap();
    }
    let mut wire = w.into_inner();
    let second = wire.iter().position(|&b| b == 0).unwrap() + 1;
    wire[second + 1] ^= 0x01;
    let mut r = FrameReader::with_capacity(4, Trickle { data: &wire, n: 2 }, layout);
    let mut got = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        got.push(match item {
            framing_std::framing_core::Decoded::Frame(f) => Ok(f.payload().to_vec()),
            framing_std::framing_core::Decoded::Recovered(r) => Err(r),
            framing_std::framing_core::Decoded::Preface(_) => panic!("no preface"),
            other => panic!("not expected here: {other:?}"),
        });
    }
    assert_eq!(got[0], Ok(b"one".to_vec()));
    assert!(matches!(got[1], Err(Recovery::Corrupt { offset, .. }) if offset == second as u64));
    assert_eq!(got[2], Ok(b"three".to_vec()));
}

#[cfg(feature = "tokio")]
#[test]
fn the_tokio_codec_decodes_and_encodes_delimited_frames() {
    use bytes::BytesMut;
    use framing_std::codec::FrameCodec;
    use framing_std::Decoded;
    use tokio_util::codec::{Decoder, Encoder};

    for layout in layouts() {
        let mut codec = FrameCodec::new(layout);
        let mut wire = BytesMut::new();
        let sent: Vec<Vec<u8>> = vec![b"hello".to_vec(), Vec::new(), b"w\xc0\xdbrld".to_vec()];
        let slip = layout.delimiter() == layouts()[1].delimiter();
        for p in &sent {
            let before = wire.len();
            if let Err(e) = Encoder::<&[u8]>::encode(&mut codec, p, &mut wire) {
                // SLIP cannot carry an empty frame: refused, unwritten.
                assert!(slip && p.is_empty(), "{e}");
                assert_eq!(
                    framing_std::error::encode_error(&e),
                    Some(framing_std::EncodeError::EmptyFrame)
                );
                assert_eq!(wire.len(), before);
            }
        }
        for n in [1usize, 4, 1000] {
            let mut codec = FrameCodec::new(layout);
            let mut src = BytesMut::new();
            let mut got = Vec::new();
            for chunk in wire.chunks(n) {
                src.extend_from_slice(chunk);
                while let Some(item) = codec.decode(&mut src).unwrap() {
                    let Decoded::Frame(f) = item else {
                        panic!("a report")
                    };
                    got.push(f.payload().to_vec());
                }
            }
            assert!(codec.decode_eof(&mut src).unwrap().is_none());
            // SLIP cannot carry an empty frame (an END alone is skipped).
            let want: Vec<Vec<u8>> = sent
                .iter()
                .filter(|p| !p.is_empty() || layout.delimiter() != layouts()[1].delimiter())
                .cloned()
                .collect();
            assert_eq!(got, want, "{:?}, chunks of {n}", layout.delimiter());
        }
    }
}

#[cfg(feature = "tokio")]
#[test]
fn a_line_whole_in_the_codec_buffer_is_split_off_it_not_copied() {
    use bytes::BytesMut;
    use framing_std::codec::FrameCodec;
    use framing_std::Decoded;
    use tokio_util::codec::Decoder;

    let mut codec = FrameCodec::new(Layout::delimited(b"\r\n").build().unwrap());
    let mut src = BytesMut::from(&b"first\r\nsecond\r\nthi"[..]);
    let memory = src.as_ptr_range();
    let mut got = Vec::new();
    while let Some(Decoded::Frame(f)) = codec.decode(&mut src).unwrap() {
        assert!(memory.contains(&f.payload().as_ptr()), "a copy");
        got.push(f.payload().to_vec());
    }
    assert_eq!(got, [b"first".to_vec(), b"second".to_vec()]);
    // The delimiters were dropped with the frames; the partial line stays.
    assert_eq!(&src[..], b"thi");
    src.extend_from_slice(b"rd\r\n");
    let Some(Decoded::Frame(f)) = codec.decode(&mut src).unwrap() else {
        panic!("the third line")
    };
    assert_eq!(f.payload(), b"third");
    assert!(src.is_empty());
}

#[cfg(feature = "tokio")]
#[test]
fn a_line_read_in_pieces_stays_in_the_codec_buffer_and_is_split_off_it() {
    use bytes::BytesMut;
    use framing_std::codec::FrameCodec;
    use framing_std::Decoded;
    use tokio_util::codec::Decoder;

    let mut codec = FrameCodec::new(Layout::delimited(b"\r\n").build().unwrap());
    // Room for the whole line, so that the buffer never moves.
    let mut src = BytesMut::with_capacity(64);
    let memory = src.as_ptr()..src.as_ptr().wrapping_add(64);
    let line = b"a line in pieces, the delimiter split too\r\n";
    let mut got = None;
    for piece in line.chunks(3) {
        assert!(got.is_none(), "a line before its delimiter");
        src.extend_from_slice(piece);
        if let Some(item) = codec.decode(&mut src).unwrap() {
            let Decoded::Frame(f) = item else {
                panic!("a report")
            };
            got = Some(f);
        } else {
            // Kept in `src`, not taken into the decoder's buffer.
            assert!(!src.is_empty());
        }
    }
    let f = got.expect("the line, once its delimiter arrived");
    assert_eq!(f.payload(), &line[..line.len() - 2]);
    assert!(memory.contains(&f.payload().as_ptr()), "a copy");
    assert!(src.is_empty());
}

/// A SLIP frame with no escape, whole in the codec's buffer, is split off
/// it (no copy); one with an escape is decoded, so copied.
#[cfg(feature = "tokio")]
#[test]
fn a_slip_frame_with_no_escape_is_split_off_the_codec_buffer() {
    use bytes::BytesMut;
    use framing_std::codec::FrameCodec;
    use framing_std::Decoded;
    use tokio_util::codec::Decoder;

    let mut codec = FrameCodec::new(Layout::slip().build().unwrap());
    let mut src = BytesMut::with_capacity(64);
    let memory = src.as_ptr()..src.as_ptr().wrapping_add(64);
    src.extend_from_slice(b"plain\xc0a\xdb\xdcb\xc0");
    let mut got = Vec::new();
    while let Some(item) = codec.decode(&mut src).unwrap() {
        let Decoded::Frame(f) = item else {
            panic!("a report")
        };
        got.push((f.payload().to_vec(), memory.contains(&f.payload().as_ptr())));
    }
    assert_eq!(
        got,
        [(b"plain".to_vec(), true), (b"a\xc0b".to_vec(), false)]
    );
    assert!(src.is_empty());
}

/// A streaming reader over a delimited layout cannot be built: `try_new`
/// says why (the error the reader gave at its first read before it could
/// not be built), `new` panics with the same sentence.
#[test]
fn a_stream_reader_refuses_a_delimited_layout_with_a_clear_error() {
    let layout = layouts()[0];
    let Err(e) = framing_std::StreamReader::try_new(&b"\x02a\x00"[..], layout) else {
        panic!("a streaming reader over a delimited layout was built");
    };
    let decode = framing_std::error::decode_error(&e).expect("a decode error");
    assert_eq!(
        decode.kind(),
        framing_std::framing_core::DecodeErrorKind::NotStreamable
    );
    assert!(e.to_string().contains("use a Decoder"), "{e}");
    let panicked = std::panic::catch_unwind(|| {
        framing_std::StreamReader::new(&b"\x02a\x00"[..], layout);
    });
    assert!(
        panicked.is_err(),
        "new built a streaming reader over a delimited layout"
    );
}

/// Every kind of layout is built, and its errors named, with framing-std's
/// names alone: no dependency on framing-core of the user's own.
#[test]
fn any_layout_is_built_with_framing_std_names_alone() {
    use framing_std::{
        ByteOrder, Checksum, Covers, Delimiter, EncodeError, FormatErrorKind, FrameEncoder,
        LayoutError, Oversize, Separator, Value, MAX_DELIMITER,
    };
    let crlf = Separator::new(b"\r\n").unwrap();
    let lines = framing_std::Layout::with_delimiter(Delimiter::Bytes(crlf))
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    assert_eq!(lines.delimiter(), Some(Delimiter::Bytes(crlf)));
    assert!(Separator::new(&[b'='; MAX_DELIMITER + 1]).is_none());
    let checked = framing_std::Layout::builder("<HI")
        .length_field(1)
        .constant(0, 0xCAFEu16.into())
        .trailer(Checksum::Crc32c)
        .trailer_covers(Covers::Payload)
        .trailer_byte_order(ByteOrder::Big)
        .build()
        .unwrap();
    assert_eq!(checked.constant(0), Some(Value::Int(0xCAFE)));
    let slip = framing_std::Layout::slip().build().unwrap();
    let mut encoder: FrameEncoder<'_> = slip.frame_encoder().unwrap();
    assert_eq!(encoder.finish(&mut [0; 4]), Err(EncodeError::EmptyFrame));
    match framing_std::Layout::parse("!Z") {
        Err(LayoutError::Format(e)) => {
            assert_eq!(e.kind(), FormatErrorKind::BadChar(b'Z'))
        }
        other => panic!("{other:?}"),
    }
}
