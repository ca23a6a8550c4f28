//! The tokio codec (feature `tokio`): echoes through `Framed` over real
//! sockets on 127.0.0.1 with frames split across many small writes, error
//! mapping as in the std adapters, the recovery policies through `Framed`,
//! bounded memory, no copies, and a property: any split of a stream into
//! `BytesMut` increments gives what framing-core's `Decoder` gives for the
//! whole stream. Every await is bounded by a timeout; no sleeps.
#![cfg(feature = "tokio")]

mod common;

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::{encode, payloads, Rng};
use framing_std::codec::FrameCodec;
use framing_std::framing_core::{Decoder as CoreDecoder, SliceBuffer};
use framing_std::{
    error, DecodeError, DecodeErrorKind, EncodeError, Layout, Oversize, Recovery, Value,
};
use framing_std::{Decoded, OwnedFrame};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder, Framed, FramedRead};

/// Awaits `fut`, failing the test if it takes more than 10 s.
async fn bounded<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("timed out")
}

// ---------------------------------------------------------------------------
// What framing-core says, and what the codec says.

/// One result of decoding, comparable across decoders.
#[derive(Debug, PartialEq)]
enum Out {
    /// A frame's bytes, header and payload.
    Frame(Vec<u8>),
    /// A recovery policy's report.
    Recovered(Recovery),
    /// An unrecoverable error; nothing follows it.
    Fatal(DecodeError),
}

/// framing-core's `Decoder` on the whole stream at once, then `finish`. Its
/// buffer holds the largest frame the layout allows, as the codec does.
fn reference(layout: Layout, stream: &[u8]) -> Vec<Out> {
    let max = usize::try_from(layout.max_payload()).unwrap();
    let mut storage = vec![0u8; layout.header_len() + max];
    let mut decoder = CoreDecoder::new(layout, SliceBuffer::new(&mut storage));
    let mut input = stream;
    let mut out = Vec::new();
    loop {
        match decoder.decode(&mut input) {
            Ok(Some(Decoded::Frame(f))) => {
                out.push(Out::Frame([f.header().as_bytes(), f.payload()].concat()))
            }
            Ok(Some(Decoded::Recovered(r))) => out.push(Out::Recovered(r)),
            Ok(Some(Decoded::Preface(_))) => panic!("no preface"),
            Ok(None) => break,
            Err(e) => {
                out.push(Out::Fatal(e));
                return out;
            }
            other => panic!("not expected here: {other:?}"),
        }
    }
    match decoder.finish() {
        Ok(None) => {}
        Ok(Some(r)) => out.push(Out::Recovered(r)),
        Err(e) => out.push(Out::Fatal(e)),
    }
    out
}

/// The core error inside an `io::Error` from the codec, checking that its
/// kind is the one the std adapters give.
fn fatal(e: &io::Error) -> DecodeError {
    let core = error::decode_error(e).unwrap_or_else(|| panic!("no DecodeError inside {e:?}"));
    let expected = if core.is_truncated() {
        io::ErrorKind::UnexpectedEof
    } else {
        io::ErrorKind::InvalidData
    };
    assert_eq!(e.kind(), expected, "{e}");
    assert_eq!(e.to_string(), core.to_string());
    core
}

/// Turns one codec result into an [`Out`]; `None` for `Ok(None)`.
fn out(item: io::Result<Option<Decoded<OwnedFrame<Bytes>>>>) -> Option<Out> {
    match item {
        Ok(Some(Decoded::Frame(f))) => {
            assert_eq!(f.as_bytes(), [f.header_bytes(), f.payload()].concat());
            assert_eq!(f.payload_bytes(), f.payload());
            Some(Out::Frame(f.into_bytes().to_vec()))
        }
        Ok(Some(Decoded::Recovered(r))) => Some(Out::Recovered(r)),
        Ok(Some(Decoded::Preface(_))) => panic!("no preface"),
        Ok(None) => None,
        Err(e) => Some(Out::Fatal(fatal(&e))),
        other => panic!("not expected here: {other:?}"),
    }
}

/// The codec on `stream` appended to a `BytesMut` in pieces of the sizes
/// `sizes` gives (0 allowed), decoding after each until `None`, and
/// `decode_eof` at the end. Checks on the way that decoding the same bytes
/// again gives nothing new and that the buffer never holds more than the
/// current frame plus the newest piece.
fn through_codec(layout: Layout, stream: &[u8], mut sizes: impl FnMut() -> usize) -> Vec<Out> {
    let mut codec = FrameCodec::new(layout);
    let mut src = BytesMut::new();
    let mut results = Vec::new();
    let mut rest = stream;
    let bound = layout.header_len() + usize::try_from(layout.max_payload()).unwrap();
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(sizes().min(rest.len()));
        rest = tail;
        src.extend_from_slice(piece);
        loop {
            match out(codec.decode(&mut src)) {
                Some(o @ Out::Fatal(_)) => {
                    results.push(o);
                    return results;
                }
                Some(o) => results.push(o),
                None => break,
            }
        }
        // The same bytes again: nothing new, nothing consumed.
        let held = src.len();
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert_eq!(src.len(), held);
        assert!(held <= bound + piece.len(), "{held} bytes held");
    }
    loop {
        match out(codec.decode_eof(&mut src)) {
            Some(o @ Out::Fatal(_)) => {
                results.push(o);
                return results;
            }
            Some(o) => results.push(o),
            None => break,
        }
    }
    assert!(src.is_empty(), "{} bytes left after a clean end", src.len());
    results
}

// ---------------------------------------------------------------------------
// Layouts and streams.

/// magic u16, version u8, a pad byte, length u32 counting the whole frame.
fn tagged(max: u64, oversize: Oversize) -> Layout {
    Layout::builder("<HBxI")
        .length_field(2)
        .length_adjust(-8)
        .constant(0, Value::Int(0xCAFE))
        .constant(1, Value::Int(1))
        .max_payload(max)
        .on_oversize(oversize)
        .build()
        .unwrap()
}

/// magic u16 then length u16, resynchronising on the magic.
fn resyncing(max: u64, oversize: Oversize) -> Layout {
    Layout::builder("!HH")
        .length_field(1)
        .constant(0, Value::Int(0xBEEF))
        .max_payload(max)
        .on_oversize(oversize)
        .resync(true)
        .build()
        .unwrap()
}

/// A layout to decode with, and the same format with no maximum to write
/// oversized frames with.
struct Case {
    layout: Layout,
    wide: Layout,
}

fn cases() -> Vec<Case> {
    let simple = |format: &str, max: u64, oversize: Oversize| Case {
        layout: Layout::builder(format)
            .max_payload(max)
            .on_oversize(oversize)
            .build()
            .unwrap(),
        wide: Layout::builder(format)
            .max_payload(u64::MAX)
            .build()
            .unwrap(),
    };
    vec![
        simple("!I", 300, Oversize::Fail),
        simple("!I", 300, Oversize::Discard),
        simple("<h", 60, Oversize::Discard),
        simple(">B", 200, Oversize::Discard),
        Case {
            layout: tagged(200, Oversize::Discard),
            wide: tagged(u64::MAX, Oversize::Fail),
        },
        Case {
            layout: tagged(200, Oversize::Fail),
            wide: tagged(u64::MAX, Oversize::Fail),
        },
        Case {
            layout: resyncing(100, Oversize::Fail),
            wide: resyncing(u64::MAX, Oversize::Fail),
        },
        Case {
            layout: resyncing(100, Oversize::Discard),
            wide: resyncing(u64::MAX, Oversize::Fail),
        },
    ]
}

/// The frame for `payload`, its header written by `layout`.
fn frame(layout: Layout, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; layout.header_len() + payload.len()];
    let n = layout.encode(payload, &mut out).expect("encodable");
    out.truncate(n);
    out
}

/// A random stream for `case`: mostly valid frames, with oversized frames,
/// garbage bytes, and sometimes a cut end.
fn random_stream(case: &Case, rng: &mut Rng) -> Vec<u8> {
    let max = usize::try_from(case.layout.max_payload()).unwrap();
    let mut out = Vec::new();
    for i in 0..rng.range(0, 12) {
        let byte = |k: usize| (i * 13 + k) as u8;
        match rng.range(0, 9) {
            0 => {
                // Oversized, where the length field can say so.
                let len = rng.range(max + 1, max + 80);
                let payload: Vec<u8> = (0..len).map(byte).collect();
                if case.wide.encode_header(len, &mut [0; 16]).is_ok() {
                    out.extend(frame(case.wide, &payload));
                }
            }
            1 => out.extend((0..rng.range(1, 9)).map(|_| rng.next() as u8)),
            2 => out.extend(frame(case.layout, &[])),
            _ => {
                let payload: Vec<u8> = (0..rng.range(1, max.min(120))).map(byte).collect();
                out.extend(frame(case.layout, &payload));
            }
        }
    }
    if rng.range(0, 4) == 0 && !out.is_empty() {
        let keep = rng.range(0, out.len() - 1);
        out.truncate(keep);
    }
    out
}

// ---------------------------------------------------------------------------
// The property.

#[test]
fn any_split_into_bytesmut_increments_gives_what_the_core_decoder_gives_for_the_whole_stream() {
    let mut rng = Rng::new(7);
    let mut seen = [0usize; 3]; // frames, recovered, fatal: the cases cover each
    for case in cases() {
        for _ in 0..150 {
            let stream = random_stream(&case, &mut rng);
            let expected = reference(case.layout, &stream);
            for o in &expected {
                seen[match o {
                    Out::Frame(_) => 0,
                    Out::Recovered(_) => 1,
                    Out::Fatal(_) => 2,
                }] += 1;
            }
            for max_piece in [1, 3, 17, 200, usize::MAX] {
                let mut split = Rng::new(rng.next());
                let got = through_codec(case.layout, &stream, || {
                    // Some empty increments, the rest up to `max_piece`.
                    match split.range(0, 9) {
                        0 => 0,
                        _ => split.range(1, max_piece.min(stream.len().max(1))),
                    }
                });
                assert_eq!(
                    got,
                    expected,
                    "layout {:?}, pieces of at most {max_piece}, stream {stream:02x?}",
                    case.layout.format()
                );
            }
        }
    }
    assert!(
        seen.iter().all(|&n| n > 50),
        "too few of some outcome: {seen:?}"
    );
}

// ---------------------------------------------------------------------------
// Errors, as the std adapters give them.

/// A table of bad streams: layout, bytes, the core's error kind and offset.
macro_rules! bad {
    ($($name:ident: $layout:expr, $bytes:expr => $kind:expr, at $offset:expr;)*) => {$(
        #[test]
        fn $name() {
            let layout: Layout = $layout;
            let bytes: &[u8] = $bytes;
            let mut codec = FrameCodec::new(layout);
            let mut src = BytesMut::from(bytes);
            let mut frames = 0;
            let e = loop {
                match codec.decode_eof(&mut src) {
                    Ok(Some(Decoded::Frame(_))) => frames += 1,
                    Ok(other) => panic!("expected an error, got {other:?}"),
                    Err(e) => break e,
                }
            };
            let core = fatal(&e);
            assert_eq!((core.kind(), core.offset()), ($kind, $offset));
            // The same as framing-core's Decoder, frames before it included.
            let expected = reference(layout, bytes);
            assert_eq!(expected.len(), frames + 1);
            assert_eq!(expected.last(), Some(&Out::Fatal(core)));
            // The codec stays failed.
            let again = codec.decode(&mut src).unwrap_err();
            assert_eq!(error::decode_error(&again), Some(core));
        }
    )*};
}

bad! {
    a_stream_ending_inside_a_header_is_unexpected_eof_with_truncated_inside:
        Layout::new("!I"), b"\0\0\0\x02hi\0\0"
        => DecodeErrorKind::Truncated { missing: 2, in_header: true }, at 6;
    a_stream_ending_inside_a_payload_is_unexpected_eof_with_truncated_inside:
        Layout::new("!I"), b"\0\0\0\x02hi\0\0\0\x09abc"
        => DecodeErrorKind::Truncated { missing: 6, in_header: false }, at 6;
    a_negative_length_is_invalid_data:
        Layout::new("<h"), b"\x01\0x\xfe\xff"
        => DecodeErrorKind::NegativeLength { value: -2 }, at 3;
    a_length_over_the_maximum_is_invalid_data:
        Layout::builder("!H").max_payload(10).build().unwrap(), b"\0\x01a\0\x0b"
        => DecodeErrorKind::TooLong { length: 11, max: 10 }, at 3;
    a_constant_mismatch_is_invalid_data_naming_the_field:
        tagged(100, Oversize::Fail), b"\xfe\xca\x01\0\x08\0\0\0\xfe\xca\x02\0\x08\0\0\0"
        => DecodeErrorKind::ConstantMismatch { field: 1, found: 2, expected: 1 }, at 8;
    a_length_below_the_adjust_is_invalid_data:
        tagged(100, Oversize::Fail), b"\xfe\xca\x01\0\x07\0\0\0"
        => DecodeErrorKind::LengthAdjust { value: 7, adjust: -8 }, at 0;
}

#[tokio::test]
async fn a_truncated_end_over_tcp_comes_out_of_framed_as_unexpected_eof() {
    let layout = Layout::new("!I");
    let mut stream = frame(layout, b"whole");
    stream.extend_from_slice(b"\0\0\0\x09cut");
    let items = bounded(serve_raw(layout, stream, 2)).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap().as_frame().unwrap().payload(),
        b"whole"
    );
    let e = items[1].as_ref().unwrap_err();
    let core = fatal(e);
    assert_eq!(
        core.kind(),
        DecodeErrorKind::Truncated {
            missing: 6,
            in_header: false
        }
    );
    assert_eq!(core.offset(), 9);
}

#[tokio::test]
async fn a_bad_constant_over_tcp_comes_out_of_framed_as_invalid_data_and_ends_the_stream() {
    let layout = tagged(1000, Oversize::Fail);
    let mut stream = frame(layout, b"first");
    let second = stream.len() as u64;
    stream.extend_from_slice(b"\xad\xde\x01\0\x08\0\0\0");
    stream.extend(frame(layout, b"never delivered"));
    let items = bounded(serve_raw(layout, stream, 3)).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap().as_frame().unwrap().payload(),
        b"first"
    );
    let core = fatal(items[1].as_ref().unwrap_err());
    assert_eq!(
        core.kind(),
        DecodeErrorKind::ConstantMismatch {
            field: 0,
            found: 0xdead,
            expected: 0xcafe
        }
    );
    assert_eq!(core.offset(), second);
}

// ---------------------------------------------------------------------------
// Echo over TCP.

/// Writes `bytes` to `socket` in pieces of 1 to `max_piece` bytes, flushing
/// after each.
async fn write_in_pieces<W: AsyncWriteExt + Unpin>(
    socket: &mut W,
    bytes: &[u8],
    max_piece: usize,
    seed: u64,
) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let mut rest = bytes;
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(rng.range(1, max_piece).min(rest.len()));
        rest = tail;
        socket.write_all(piece).await?;
        socket.flush().await?;
    }
    Ok(())
}

/// A server on 127.0.0.1 that reads with `Framed` until the stream ends
/// and returns every item, while a raw client writes `bytes` in small
/// pieces and closes.
async fn serve_raw(
    layout: Layout,
    bytes: Vec<u8>,
    max_piece: usize,
) -> Vec<io::Result<Decoded<OwnedFrame<Bytes>>>> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let mut framed = Framed::new(socket, FrameCodec::new(layout));
        let mut items = Vec::new();
        while let Some(item) = framed.next().await {
            items.push(item);
        }
        items
    });
    let mut client = TcpStream::connect(addr).await.expect("connect");
    client.set_nodelay(true).expect("nodelay");
    // The server closes after an error, so writing may fail after it.
    if write_in_pieces(&mut client, &bytes, max_piece, 5)
        .await
        .is_ok()
    {
        let _ = client.shutdown().await;
    }
    server.await.expect("server task")
}

/// An echo server with `Framed` on 127.0.0.1; a client writes `stream` raw
/// in pieces of 1 to `max_piece` bytes with a flush after each, and reads
/// the echoes with `FramedRead`. Returns the items the server decoded and
/// the frames the client got back.
async fn echo(layout: Layout, stream: Vec<u8>, max_piece: usize) -> (Vec<Out>, Vec<Out>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let mut framed = Framed::new(socket, FrameCodec::new(layout));
        let mut seen = Vec::new();
        while let Some(item) = framed.next().await {
            let item = item?;
            if let Decoded::Frame(frame) = &item {
                framed.send(frame.payload_bytes()).await?;
            }
            seen.push(out(Ok(Some(item))).unwrap());
        }
        io::Result::Ok(seen)
    });
    let client = TcpStream::connect(addr).await.expect("connect");
    client.set_nodelay(true).expect("nodelay");
    let (read, mut write) = client.into_split();
    let writer = tokio::spawn(async move {
        write_in_pieces(&mut write, &stream, max_piece, 9).await?;
        write.shutdown().await
    });
    let mut echoes = FramedRead::new(read, FrameCodec::new(layout));
    let mut got = Vec::new();
    while let Some(item) = echoes.next().await {
        got.push(out(item.map(Some)).unwrap());
    }
    writer.await.expect("writer task").expect("write");
    let seen = server.await.expect("server task").expect("server");
    (seen, got)
}

/// Checks an echo of `stream`: the server saw what framing-core's decoder
/// sees, and every frame came back whole.
fn check_echo(layout: Layout, stream: &[u8], seen: Vec<Out>, got: Vec<Out>) {
    let expected = reference(layout, stream);
    assert_eq!(seen, expected);
    let frames: Vec<Out> = expected
        .into_iter()
        .filter(|o| matches!(o, Out::Frame(_)))
        .collect();
    assert_eq!(got, frames);
}

#[tokio::test]
async fn an_echo_through_framed_returns_every_frame_written_in_small_pieces() {
    let layout = Layout::new("!I");
    let stream = encode(layout, &payloads(&mut Rng::new(21), 300, 3000));
    let (seen, got) = bounded(echo(layout, stream.clone(), 40)).await;
    assert_eq!(got.len(), 300);
    check_echo(layout, &stream, seen, got);
}

#[tokio::test]
async fn an_echo_through_framed_works_byte_by_byte() {
    let layout = Layout::new("<H");
    let stream = encode(layout, &payloads(&mut Rng::new(22), 40, 200));
    let (seen, got) = bounded(echo(layout, stream.clone(), 1)).await;
    assert_eq!(got.len(), 40);
    check_echo(layout, &stream, seen, got);
}

#[tokio::test]
async fn an_echo_with_constants_and_a_length_adjust_keeps_every_header() {
    let layout = tagged(64 * 1024, Oversize::Fail);
    let stream = encode(layout, &payloads(&mut Rng::new(23), 200, 5000));
    let (seen, got) = bounded(echo(layout, stream.clone(), 25)).await;
    assert_eq!(got.len(), 200);
    for o in &got {
        let Out::Frame(bytes) = o else { panic!() };
        assert_eq!(&bytes[..3], b"\xfe\xca\x01");
        let length = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        assert_eq!(length as usize, bytes.len()); // counts the whole frame
    }
    check_echo(layout, &stream, seen, got);
}

#[tokio::test]
async fn an_echo_under_the_discard_and_resync_policies_reports_and_goes_on() {
    let mut rng = Rng::new(24);
    for case in cases()
        .into_iter()
        .filter(|c| c.layout.oversize() == Oversize::Discard || c.layout.resyncs())
    {
        // Streams with no fatal error, so the whole echo runs.
        let stream = loop {
            let s = random_stream(&case, &mut rng);
            let r = reference(case.layout, &s);
            let reports = r.iter().filter(|o| matches!(o, Out::Recovered(_))).count();
            let frames = r.iter().filter(|o| matches!(o, Out::Frame(_))).count();
            if reports > 0 && frames > 1 && !r.iter().any(|o| matches!(o, Out::Fatal(_))) {
                break s;
            }
        };
        let (seen, got) = bounded(echo(case.layout, stream.clone(), 7)).await;
        check_echo(case.layout, &stream, seen, got);
    }
}

/// A report is an item, not an error, so `Framed` goes on after it without
/// waiting for the peer to send more or to close.
#[tokio::test]
async fn a_report_does_not_stall_a_request_and_response_connection() {
    bounded(async {
        let discard = tagged(16, Oversize::Discard);
        let resync = resyncing(16, Oversize::Fail);
        for layout in [discard, resync] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (socket, _) = listener.accept().await?;
                let mut framed = Framed::new(socket, FrameCodec::new(layout));
                let mut reports = Vec::new();
                while let Some(item) = framed.next().await {
                    match item? {
                        Decoded::Frame(f) => framed.send(f.payload_bytes()).await?,
                        Decoded::Recovered(e) => reports.push(e),
                        Decoded::Preface(_) => {}
                        other => panic!("not expected here: {other:?}"),
                    }
                }
                io::Result::Ok(reports)
            });
            let mut client = Framed::new(TcpStream::connect(addr).await?, FrameCodec::new(layout));
            for round in 0..3u8 {
                // Something to skip, then a frame, in one write.
                let mut bytes = if layout.resyncs() {
                    vec![0x55; 5]
                } else {
                    frame(tagged(u64::MAX, Oversize::Fail), &[round; 40])
                };
                bytes.extend(frame(layout, &[round; 3]));
                client.get_mut().write_all(&bytes).await?;
                let echo = client.next().await.unwrap()?.frame().unwrap();
                assert_eq!(echo.payload(), [round; 3]);
            }
            drop(client);
            let reports = server.await.unwrap()?;
            let expected = |r: &Recovery| match r {
                Recovery::Skipped { bytes, .. } => layout.resyncs() && *bytes == 5,
                Recovery::Discarded { length, .. } => !layout.resyncs() && *length == 40,
                _ => false,
            };
            assert_eq!(reports.len(), 3);
            assert!(reports.iter().all(expected), "{reports:?}");
        }
        io::Result::Ok(())
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------
// Memory and copies.

#[test]
fn a_frame_is_split_off_the_read_buffer_without_copying() {
    static LAYOUT: Layout = Layout::new("!H");
    let layout = LAYOUT;
    let mut src = BytesMut::with_capacity(64);
    src.extend_from_slice(b"\x00\x05hello\x00\x03abc");
    let start = src.as_ptr() as usize;
    let mut codec = FrameCodec::from_static(&LAYOUT);
    let first = codec.decode(&mut src).unwrap().unwrap().frame().unwrap();
    let second = codec.decode(&mut src).unwrap().unwrap().frame().unwrap();
    assert_eq!(first.payload().as_ptr() as usize, start + 2);
    assert_eq!(second.payload().as_ptr() as usize, start + 9);
    let payload = second.clone().into_payload();
    assert_eq!(payload.as_ptr() as usize, start + 9);
    assert_eq!(second.payload_bytes().as_ptr() as usize, start + 9);
    assert_eq!(second.header_bytes(), b"\x00\x03");
    assert_eq!(second.layout(), &layout);
    assert_eq!(
        format!("{second:?}"),
        "OwnedFrame { header: [Int(3)], payload: [97, 98, 99] }"
    );
}

#[test]
fn a_frame_split_across_reads_is_not_copied_either() {
    let layout = Layout::new("!H");
    let mut src = BytesMut::with_capacity(64);
    let start = src.as_ptr() as usize;
    let mut codec = FrameCodec::new(layout);
    for piece in [&b"\x00"[..], b"\x05he", b"ll"] {
        src.extend_from_slice(piece);
        assert_eq!(codec.decode(&mut src).unwrap(), None);
    }
    src.extend_from_slice(b"o");
    let frame = codec.decode(&mut src).unwrap().unwrap().frame().unwrap();
    assert_eq!(frame.payload(), b"hello");
    assert_eq!(frame.payload().as_ptr() as usize, start + 2);
}

#[test]
fn a_bad_header_is_reported_when_it_arrives_not_when_its_length_has() {
    // A wrong magic number announcing 900 bytes: an error at once.
    let mut codec = FrameCodec::new(tagged(1000, Oversize::Fail));
    let mut src = BytesMut::from(&b"\xad\xde\x01\x00\x8c\x03\x00\x00"[..]);
    let e = codec.decode(&mut src).unwrap_err();
    assert_eq!(
        fatal(&e).kind(),
        DecodeErrorKind::ConstantMismatch {
            field: 0,
            found: 0xdead,
            expected: 0xcafe
        }
    );
    // The same header with the right magic: a valid frame to wait for.
    let mut codec = FrameCodec::new(tagged(1000, Oversize::Fail));
    let mut src = BytesMut::from(&b"\xfe\xca\x01\x00\x8c\x03\x00\x00"[..]);
    assert_eq!(codec.decode(&mut src).unwrap(), None);
    // Oversized under the discard policy: reported at once, then skipped.
    let mut codec = FrameCodec::new(tagged(100, Oversize::Discard));
    let report = codec.decode(&mut src).unwrap().unwrap();
    assert_eq!(
        report.recovery(),
        Some(Recovery::Discarded {
            offset: 0,
            length: 900
        })
    );
    assert!(src.is_empty());
}

#[test]
fn a_header_announcing_a_huge_payload_does_not_reserve_it() {
    let layout = Layout::builder("!I")
        .max_payload(u64::from(u32::MAX))
        .build()
        .unwrap();
    let mut codec = FrameCodec::new(layout);
    let mut src = BytesMut::from(&b"\xff\xff\xff\xf0abc"[..]);
    assert_eq!(codec.decode(&mut src).unwrap(), None);
    assert!(src.capacity() <= 128 * 1024, "{} reserved", src.capacity());
    assert_eq!(&src[..], b"\xff\xff\xff\xf0abc");
}

#[test]
fn a_discarded_payload_is_dropped_as_it_arrives_not_buffered() {
    let layout = Layout::builder("<I")
        .max_payload(100)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let wide = Layout::builder("<I").max_payload(u64::MAX).build().unwrap();
    let mut stream = frame(wide, &vec![7; 1 << 20]);
    stream.extend(frame(layout, b"after"));
    let mut codec = FrameCodec::new(layout);
    let mut src = BytesMut::new();
    let mut items = Vec::new();
    for piece in stream.chunks(4096) {
        src.extend_from_slice(piece);
        while let Some(item) = codec.decode(&mut src).unwrap() {
            items.push(item);
        }
        assert!(src.len() <= 4096, "{} bytes held", src.len());
        assert!(src.capacity() <= 64 * 1024, "{} allocated", src.capacity());
    }
    assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].recovery(),
        Some(Recovery::Discarded {
            offset: 0,
            length: 1 << 20
        })
    );
    assert_eq!(items[1].as_frame().unwrap().payload(), b"after");
}

#[test]
fn a_stream_ending_while_resynchronising_reports_the_skipped_bytes_then_ends() {
    let layout = resyncing(100, Oversize::Fail);
    let mut codec = FrameCodec::new(layout);
    let mut stream = frame(layout, b"ok");
    stream.extend_from_slice(b"\x01\x02\x03\xbe");
    let mut src = BytesMut::from(&stream[..]);
    let first = codec.decode_eof(&mut src).unwrap().unwrap();
    assert_eq!(first.frame().unwrap().payload(), b"ok");
    let report = codec.decode_eof(&mut src).unwrap().unwrap();
    assert_eq!(
        report.recovery(),
        Some(Recovery::Skipped {
            offset: 6,
            bytes: 4
        })
    );
    assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
    assert!(src.is_empty());
}

// ---------------------------------------------------------------------------
// Encoding.

#[test]
fn encoding_a_slice_or_bytes_writes_what_the_core_encoder_writes() {
    let layout = tagged(1000, Oversize::Fail);
    let mut codec = FrameCodec::new(layout);
    let mut dst = BytesMut::from(&b"queued"[..]);
    codec.encode(&b"hello"[..], &mut dst).unwrap();
    codec.encode(Bytes::from_static(b""), &mut dst).unwrap();
    codec.encode(Bytes::from(vec![9; 300]), &mut dst).unwrap();
    let mut expected = b"queued".to_vec();
    for p in [&b"hello"[..], b"", &[9; 300]] {
        expected.extend(frame(layout, p));
    }
    assert_eq!(&dst[..], expected);
}

#[test]
fn an_unencodable_payload_is_invalid_input_and_writes_nothing() {
    let check = |layout: Layout, len: usize, expected: EncodeError| {
        let mut codec = FrameCodec::new(layout);
        let mut dst = BytesMut::from(&b"queued"[..]);
        let e = codec.encode(&vec![0; len][..], &mut dst).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(error::encode_error(&e), Some(expected));
        assert_eq!(&dst[..], b"queued");
        let e = codec
            .encode(Bytes::from(vec![0; len]), &mut dst)
            .unwrap_err();
        assert_eq!(error::encode_error(&e), Some(expected));
        assert_eq!(&dst[..], b"queued");
    };
    check(
        tagged(10, Oversize::Fail),
        11,
        EncodeError::PayloadTooLong {
            length: 11,
            max: 10,
        },
    );
    check(
        Layout::new("!B"),
        256,
        EncodeError::LengthOutOfRange {
            length: 256,
            value: 256,
        },
    );
}

// ---------------------------------------------------------------------------
// Frames only, and messages with header values (issue 16).

/// `frames_only` over TCP: frames with nothing to unwrap; under a resync
/// policy the junk is skipped and counted, the frames are the same.
#[tokio::test]
async fn frames_only_yields_frames_over_tcp_and_counts_the_reports() {
    let layout = Layout::builder("!HH")
        .length_field(1)
        .constant(0, Value::Int(0xBEEF))
        .resync(true)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut bytes = b"\xbe\xef\x00\x02hi".to_vec();
        bytes.extend_from_slice(b"junk"); // skipped under resync
        bytes.extend_from_slice(b"\xbe\xef\x00\x03you");
        write_in_pieces(&mut s, &bytes, 3, 16).await.unwrap();
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut framed = Framed::new(stream, FrameCodec::new(layout).frames_only());
    let mut got = Vec::new();
    while let Some(frame) = bounded(framed.next()).await {
        got.push(frame.unwrap().payload().to_vec());
    }
    bounded(sender).await.unwrap();
    assert_eq!(got, [b"hi".to_vec(), b"you".to_vec()]);
    assert_eq!(framed.codec().recovered(), 1);
}

/// `Message` sets per-frame header values through `Framed`; the peer reads
/// them back. The plain payload encoders still work on the same codec.
#[tokio::test]
async fn messages_set_header_values_through_framed() {
    use framing_std::codec::Message;
    const LAYOUT: Layout = Layout::builder("<HBxI")
        .length_field(2)
        .constant(0, Value::Int(0xCAFE))
        .build_or_panic();
    let (a, b) = tokio::io::duplex(64);
    let mut left = Framed::new(a, FrameCodec::new(LAYOUT));
    let mut right = Framed::new(b, FrameCodec::new(LAYOUT).frames_only());
    let writer = tokio::spawn(async move {
        for (kind, payload) in [(1, &b"login"[..]), (2, b""), (255, b"bye")] {
            let fields = [(1, Value::Int(kind))];
            left.send(Message::new(payload).with(&fields))
                .await
                .unwrap();
        }
        left.send(&b"plain"[..]).await.unwrap();
    });
    let mut got = Vec::new();
    for _ in 0..4 {
        let frame = bounded(right.next()).await.unwrap().unwrap();
        got.push((frame.int(1).unwrap(), frame.payload().to_vec()));
    }
    bounded(writer).await.unwrap();
    assert_eq!(
        got,
        [
            (1, b"login".to_vec()),
            (2, b"".to_vec()),
            (255, b"bye".to_vec()),
            (0, b"plain".to_vec())
        ]
    );
    // A value that does not fit its field: an error, nothing sent.
    let mut codec = FrameCodec::new(LAYOUT);
    let mut buf = BytesMut::new();
    let fields = [(1, Value::Int(256))];
    let e = codec
        .encode(Message::new(b"x").with(&fields), &mut buf)
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(error::encode_error(&e).is_some());
    assert!(buf.is_empty());
}
