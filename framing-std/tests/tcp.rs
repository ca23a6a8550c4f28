//! The adapters over real sockets on 127.0.0.1: splits and coalescing,
//! clean and unclean ends, timeouts, non-blocking sockets, resets, bad
//! frames, recovery policies, bounded memory, batching and the duplex split.
//! Every wait is bounded by a read timeout or a deadline; no sleeps.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{core_kind, encode, pair, payloads, Rng};
use framing_std::{
    error, DecodeErrorKind, Decoded, Event, FrameReader, FrameWriter, FramedStream, Layout,
    Oversize, Recovery, StreamReader, Value,
};

const BE32: Layout = Layout::new("!I");

fn read_all(reader: &mut FrameReader<TcpStream>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(f) = reader.next_frame().expect("no error") {
        out.push(f.payload().to_vec());
    }
    out
}

/// Whether an error is what a read timeout gives (`WouldBlock` on Unix,
/// `TimedOut` on Windows).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[test]
fn a_peer_sending_byte_by_byte_gives_the_same_frames() {
    let frames = payloads(&mut Rng::new(3), 60, 300);
    let bytes = encode(BE32, &frames);
    let (client, mut server) = pair();
    let sender = thread::spawn(move || {
        for b in &bytes {
            server.write_all(std::slice::from_ref(b)).unwrap();
        }
    });
    let mut reader = FrameReader::new(client, BE32);
    assert_eq!(read_all(&mut reader), frames);
    sender.join().unwrap();
}

#[test]
fn hundreds_of_frames_coalesced_in_one_write_give_the_same_frames() {
    let frames: Vec<Vec<u8>> = (0..500).map(|i| vec![i as u8; i % 33]).collect();
    let bytes = encode(BE32, &frames);
    let (client, mut server) = pair();
    server.write_all(&bytes).unwrap();
    drop(server);
    let mut reader = FrameReader::new(client, BE32);
    assert_eq!(read_all(&mut reader), frames);
}

#[test]
fn random_splits_over_tcp_give_the_same_frames() {
    let frames = payloads(&mut Rng::new(11), 400, 5000);
    let bytes = encode(BE32, &frames);
    let (client, mut server) = pair();
    let sender = thread::spawn(move || {
        let mut rng = Rng::new(12);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = rng.range(1, 3000).min(rest.len());
            server.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
        }
    });
    let mut reader = FrameReader::with_capacity(1024, client, BE32);
    assert_eq!(read_all(&mut reader), frames);
    sender.join().unwrap();
}

#[test]
fn a_clean_close_on_a_frame_boundary_ends_the_reader() {
    let (client, mut server) = pair();
    server
        .write_all(&encode(BE32, &[b"last".to_vec()]))
        .unwrap();
    drop(server);
    let mut reader = FrameReader::new(client, BE32);
    assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"last");
    assert!(reader.next_frame().unwrap().is_none());
    assert!(reader.next_frame().unwrap().is_none(), "and stays ended");
    assert!(reader.is_at_boundary());
}

#[test]
fn an_empty_connection_is_a_clean_end() {
    let (client, server) = pair();
    drop(server);
    let mut reader = FrameReader::new(client, BE32);
    assert!(reader.next_frame().unwrap().is_none());
}

#[test]
fn a_close_inside_a_header_or_payload_is_unexpected_eof() {
    let good = encode(BE32, &[b"one".to_vec(), b"two".to_vec()]);
    let partial = encode(BE32, &[b"truncated".to_vec()]);
    // (bytes of the last frame sent, missing, in header)
    for (sent, missing, in_header) in [(1, 3, true), (3, 1, true), (4, 9, false), (10, 3, false)] {
        let (client, mut server) = pair();
        server.write_all(&good).unwrap();
        server.write_all(&partial[..sent]).unwrap();
        server.shutdown(Shutdown::Write).unwrap();
        let mut reader = FrameReader::new(client, BE32);
        assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"one");
        assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"two");
        let e = reader.next_frame().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(
            core_kind(&e),
            DecodeErrorKind::Truncated { missing, in_header }
        );
        assert_eq!(error::decode_error(&e).unwrap().offset(), good.len() as u64);
        assert!(
            e.to_string().contains(&format!("{missing} bytes missing")),
            "{e}"
        );
    }
}

#[test]
fn a_read_timeout_inside_a_frame_then_continues_with_no_loss() {
    let frames = vec![b"before".to_vec(), vec![7; 1000], b"after".to_vec()];
    let bytes = encode(BE32, &frames);
    let (client, mut server) = pair();
    client
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut reader = FrameReader::new(client, BE32);
    // Cut inside the header of the second frame, then inside its payload.
    let cuts = [0, 10 + 2, 10 + 4 + 500, bytes.len()];
    let mut got = Vec::new();
    for w in cuts.windows(2) {
        server.write_all(&bytes[w[0]..w[1]]).unwrap();
        loop {
            match reader.next_frame() {
                Ok(Some(f)) => got.push(f.payload().to_vec()),
                Ok(None) => panic!("unexpected end"),
                Err(e) => {
                    assert!(is_timeout(&e), "{e:?}");
                    break;
                }
            }
        }
    }
    assert_eq!(got, frames);
    drop(server);
    assert!(reader.next_frame().unwrap().is_none());
}

#[test]
fn would_block_on_a_non_blocking_socket_then_continues_with_no_loss() {
    let frames = vec![b"one".to_vec(), vec![1; 3000], b"three".to_vec()];
    let bytes = encode(BE32, &frames);
    // Stream offsets where each frame ends.
    let ends: Vec<usize> = frames
        .iter()
        .scan(0, |at, f| {
            *at += 4 + f.len();
            Some(*at)
        })
        .collect();
    let (client, mut server) = pair();
    client.set_nonblocking(true).unwrap();
    let mut reader = FrameReader::with_capacity(512, client, BE32);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    let mut blocked_inside_a_frame = 0;
    let mut sent = 0;
    for piece in bytes.chunks(1001) {
        server.write_all(piece).unwrap();
        sent += piece.len();
        // Drive the reader until every frame sent whole is delivered and it
        // would block (the loopback may deliver the piece in parts).
        let due = ends.iter().filter(|&&e| e <= sent).count();
        loop {
            assert!(Instant::now() < deadline, "no progress");
            match reader.next_frame() {
                Ok(Some(f)) => got.push(f.payload().to_vec()),
                Ok(None) => panic!("unexpected end"),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !reader.is_at_boundary() {
                        blocked_inside_a_frame += 1;
                    }
                    if got.len() == due {
                        break;
                    }
                    thread::yield_now();
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    assert_eq!(got, frames);
    assert!(blocked_inside_a_frame > 0);
    drop(server);
    let end = loop {
        assert!(Instant::now() < deadline);
        match reader.next_frame() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::yield_now(),
            other => break other,
        }
    };
    assert!(end.unwrap().is_none());
}

#[test]
fn a_connection_reset_inside_a_frame_is_reported_then_unexpected_eof() {
    let bytes = encode(BE32, &[b"whole".to_vec(), vec![5; 100]]);
    let (client, mut server) = pair();
    let mut client_side = client.try_clone().unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut reader = FrameReader::new(client, BE32);

    server.write_all(&bytes[..9 + 4 + 50]).unwrap();
    assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"whole");
    let e = reader.next_frame().unwrap_err();
    assert!(is_timeout(&e), "{e:?}");
    assert!(!reader.is_at_boundary(), "half a frame held");

    // Closing a socket with unread bytes in its receive queue sends a reset
    // (RST) instead of a FIN. `peek` waits until they are there, unread.
    client_side.write_all(b"unread").unwrap();
    let mut probe = [0; 1];
    assert_eq!(server.peek(&mut probe).unwrap(), 1);
    drop(server);

    let truncated = DecodeErrorKind::Truncated {
        missing: 50,
        in_header: false,
    };
    let e = reader.next_frame().unwrap_err();
    if e.kind() == io::ErrorKind::ConnectionReset {
        // The partial frame is still held: the end that follows is truncated.
        let e = reader.next_frame().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e:?}");
        assert_eq!(core_kind(&e), truncated);
    } else {
        // Linux reports the reset; a platform that does not sees an end.
        if cfg!(target_os = "linux") {
            panic!("expected a reset, got {e:?}");
        }
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e:?}");
        assert_eq!(core_kind(&e), truncated);
    }
}

macro_rules! bad_frame_over_tcp {
    ($name:ident, $layout:expr, $bad:expr, $kind:pat) => {
        #[test]
        fn $name() {
            let layout: Layout = $layout;
            let (client, mut server) = pair();
            let mut bytes = encode(layout, &[b"good".to_vec()]);
            bytes.extend_from_slice($bad);
            bytes.extend_from_slice(&encode(layout, &vec![b"never".to_vec(); 3]));
            server.write_all(&bytes).unwrap();
            drop(server);
            let mut reader = FrameReader::new(client, layout);
            assert_eq!(reader.next_frame().unwrap().unwrap().payload(), b"good");
            for _ in 0..3 {
                let e = reader.next_frame().unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                assert!(matches!(core_kind(&e), $kind), "{e}");
            }
            assert!(reader.next().is_none());
        }
    };
}

bad_frame_over_tcp!(
    a_negative_length_is_invalid_data_and_nothing_after,
    Layout::new("!i"),
    &(-1i32).to_be_bytes(),
    DecodeErrorKind::NegativeLength { value: -1 }
);
bad_frame_over_tcp!(
    a_length_over_the_maximum_is_invalid_data_and_nothing_after,
    Layout::builder("!I").max_payload(1000).build().unwrap(),
    &1001u32.to_be_bytes(),
    DecodeErrorKind::TooLong {
        length: 1001,
        max: 1000
    }
);
bad_frame_over_tcp!(
    a_constant_mismatch_is_invalid_data_and_nothing_after,
    Layout::builder("<4sI")
        .length_field(1)
        .constant(0, Value::Bytes(b"FRM1"))
        .build()
        .unwrap(),
    b"FRM2\x00\x00\x00\x00",
    // A string field's values are its first bytes: "FRM2", "FRM1".
    DecodeErrorKind::ConstantMismatch {
        field: 0,
        found: 0x4652_4d32,
        expected: 0x4652_4d31
    }
);

#[test]
fn discard_and_resync_policies_continue_over_tcp() {
    let layout = Layout::builder(">HI")
        .length_field(1)
        .constant(0, Value::Int(0xF00D))
        .max_payload(16)
        .on_oversize(Oversize::Discard)
        .resync(true)
        .build()
        .unwrap();
    let mut bytes = encode(layout, &[b"first".to_vec()]);
    bytes.extend_from_slice(b"\xf0\x0d\x00\x00\x00\x20");
    bytes.extend_from_slice(&[b'x'; 32]); // oversized: discarded
    bytes.extend_from_slice(b"noise!"); // resynchronised past
    bytes.extend_from_slice(&encode(layout, &[b"second".to_vec()]));
    let (client, mut server) = pair();
    let sender = thread::spawn(move || {
        for chunk in bytes.chunks(5) {
            server.write_all(chunk).unwrap();
        }
    });
    let mut reader = FrameReader::new(client, layout);
    let mut frames = Vec::new();
    let mut reports = Vec::new();
    for _ in 0..100 {
        match reader.next_item().unwrap() {
            Some(Decoded::Frame(f)) => frames.push(f.payload().to_vec()),
            Some(Decoded::Recovered(r)) => reports.push(r),
            Some(Decoded::Preface(_)) => panic!("no preface"),
            None => break,
            other => panic!("not expected here: {other:?}"),
        }
    }
    assert_eq!(frames, [b"first".to_vec(), b"second".to_vec()]);
    assert_eq!(
        reports,
        [
            Recovery::Discarded {
                offset: 11,
                length: 32
            },
            Recovery::Skipped {
                offset: 49,
                bytes: 6
            }
        ]
    );
    sender.join().unwrap();
}

#[test]
fn a_peer_announcing_4_gib_gets_no_such_allocation() {
    let layout = Layout::builder("!I").max_payload(u64::MAX).build().unwrap();
    let (client, mut server) = pair();
    let sender = thread::spawn(move || {
        server.write_all(&u32::MAX.to_be_bytes()).unwrap();
        for _ in 0..64 {
            server.write_all(&[0xAB; 4096]).unwrap();
        }
    });
    let mut reader = FrameReader::new(client, layout);
    let e = reader.next_frame().unwrap_err();
    sender.join().unwrap();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        core_kind(&e),
        DecodeErrorKind::Truncated {
            missing: u64::from(u32::MAX) - 64 * 4096,
            in_header: false
        }
    );
    // 256 KiB arrived: the read buffer grew to hold about that (at most twice
    // what arrived), nothing near 4 GiB.
    assert!(
        reader.allocated() <= 64 * 1024 + 2 * (256 * 1024 + 4),
        "{}",
        reader.allocated()
    );

    // With the default 8 MiB maximum the header alone is refused.
    let (client, mut server) = pair();
    server.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let mut reader = FrameReader::new(client, BE32);
    let e = reader.next_frame().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(reader.allocated() <= 64 * 1024 + 4);
}

#[test]
fn a_frame_larger_than_memory_streams_in_pieces() {
    const SIZE: u64 = 16 << 20;
    let layout = Layout::builder("!Q").max_payload(u64::MAX).build().unwrap();
    let (client, mut server) = pair();
    let sender = thread::spawn(move || {
        server.write_all(&SIZE.to_be_bytes()).unwrap();
        let block = [0x5A; 64 * 1024];
        for _ in 0..SIZE / block.len() as u64 {
            server.write_all(&block).unwrap();
        }
    });
    let mut reader = StreamReader::new(client, layout);
    let (mut total, mut ends) = (0u64, 0);
    while let Some(event) = reader.next_event().unwrap() {
        match event {
            Event::Header(h) => assert_eq!(h.length_value(), i128::from(SIZE)),
            Event::Payload(p) => {
                assert!(p.iter().all(|&b| b == 0x5A));
                total += p.len() as u64;
            }
            Event::End => ends += 1,
            Event::Recovered(r) => panic!("no policy, yet {r}"),
            Event::Preface(p) => panic!("no preface, yet {p:?}"),
            other => panic!("not expected here: {other:?}"),
        }
        assert!(reader.allocated() <= 64 * 1024 + 8);
    }
    sender.join().unwrap();
    assert_eq!((total, ends), (SIZE, 1));
}

#[test]
fn the_writer_batches_many_frames_into_few_writes() {
    let frames: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; i % 50]).collect();
    let (client, server) = pair();
    let receiver = thread::spawn(move || read_all(&mut FrameReader::new(client, BE32)));
    let mut writer = FrameWriter::new(server, BE32);
    for (i, f) in frames.iter().enumerate() {
        if i % 100 == 99 {
            writer.write_frame(f).unwrap();
        } else {
            writer.queue_frame(f).unwrap();
        }
    }
    writer.flush().unwrap();
    drop(writer);
    assert_eq!(receiver.join().unwrap(), frames);
}

#[test]
fn a_non_blocking_writer_resumes_after_would_block_with_no_loss() {
    let frames: Vec<Vec<u8>> = (0..400).map(|i| vec![i as u8; 16 * 1024 + i]).collect();
    let expected = frames.clone();
    let (client, server) = pair();
    server.set_nonblocking(true).unwrap();
    // The receiver starts reading once the writer has met a full socket, so
    // that it does meet one, however fast the receiver would have been.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let receiver = thread::spawn(move || {
        let _ = wait.recv();
        read_all(&mut FrameReader::new(client, BE32))
    });
    let mut writer = FrameWriter::new(server, BE32);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut would_block = 0;
    for (i, f) in frames.iter().enumerate() {
        let r = if i % 2 == 0 {
            writer.write_frame(f)
        } else {
            writer.queue_frame(f)
        };
        if let Err(e) = r {
            assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
            would_block += 1;
            let _ = go.send(());
            // The frame is queued; drain the queue before the next one.
            while let Err(e) = writer.flush() {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                assert!(Instant::now() < deadline, "the peer stopped reading");
                thread::yield_now();
            }
        }
    }
    let _ = go.send(());
    while let Err(e) = writer.flush() {
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(Instant::now() < deadline);
        thread::yield_now();
    }
    writer.get_ref().shutdown(Shutdown::Write).unwrap();
    assert_eq!(receiver.join().unwrap(), expected);
    assert!(would_block > 0, "6 MiB should fill the socket buffers");
}

#[test]
fn a_framed_stream_connects_accepts_and_splits() {
    const LAYOUT: Layout = Layout::builder("!BH")
        .length_field(1)
        .max_payload(1024)
        .build_or_panic();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The server echoes with a reading thread and a writing one.
    let server = thread::spawn(move || {
        let (stream, peer) = FramedStream::accept(&listener, LAYOUT).unwrap();
        assert_eq!(peer, stream.get_ref().peer_addr().unwrap());
        let (mut reader, mut writer) = stream.split().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<(u8, Vec<u8>)>();
        let echo = thread::spawn(move || {
            for (kind, payload) in rx {
                writer
                    .queue_frame_with(&payload, &[(0, Value::Int(kind.into()))])
                    .unwrap();
                writer.flush().unwrap();
            }
            writer.into_inner().shutdown(Shutdown::Write).unwrap();
        });
        let mut count = 0;
        while let Some(frame) = reader.next_owned_frame().unwrap() {
            let kind = frame.value(0).and_then(|v| v.as_int()).unwrap() as u8;
            tx.send((kind.wrapping_add(1), frame.into_payload()))
                .unwrap();
            count += 1;
        }
        drop(tx);
        echo.join().unwrap();
        count
    });

    let mut client = FramedStream::connect(addr, LAYOUT).unwrap();
    client
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for i in 0..200u32 {
        let payload = i.to_le_bytes().repeat((i % 9) as usize);
        client
            .write_frame_with(&payload, &[(0, Value::Int((i % 200).into()))])
            .unwrap();
        let frame = client.next_frame().unwrap().unwrap();
        assert_eq!(
            frame.header().value(0),
            Some(Value::Int((i % 200 + 1).into()))
        );
        assert_eq!(frame.payload(), &payload[..]);
    }
    // Split the client too, with a frame already read ahead in its buffer.
    client
        .queue_frame_with(b"x", &[(0, Value::Int(0))])
        .unwrap();
    client
        .queue_frame_with(b"y", &[(0, Value::Int(0))])
        .unwrap();
    client.flush().unwrap();
    let frame = client.next_frame().unwrap().unwrap();
    assert_eq!(frame.payload(), b"x");
    let (mut reader, writer) = client.split().unwrap();
    writer.into_inner().shutdown(Shutdown::Write).unwrap();
    let rest: Vec<_> = reader.by_ref().map(|f| f.unwrap().into_payload()).collect();
    assert_eq!(rest, [b"y".to_vec()]);
    assert_eq!(server.join().unwrap(), 202);
}

#[test]
fn frames_from_a_tcp_peer_cost_few_reads() {
    /// Counts reads on the way to the socket.
    struct Counting<R>(R, usize);
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 += 1;
            self.0.read(buf)
        }
    }
    let frames: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; 16]).collect();
    let bytes = encode(BE32, &frames);
    let (client, mut server) = pair();
    server.write_all(&bytes).unwrap();
    drop(server);
    let mut reader = FrameReader::new(Counting(client, 0), BE32);
    let mut n = 0;
    while reader.next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 1000);
    // 20 000 bytes: a handful of reads at most, not one per frame.
    assert!(reader.get_ref().1 <= 10, "{} reads", reader.get_ref().1);
}
