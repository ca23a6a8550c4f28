//! A typed header for a crate that has framing-core only through
//! framing-std: `#[framing(crate = "framing_std::framing_core")]`.

use std::io::Cursor;

use framing_std::{FrameReader, FrameWriter};

#[derive(framing_std::framing_core::Header, Clone, Copy, Debug, PartialEq)]
#[framing(
    crate = "framing_std::framing_core",
    byte_order = "network",
    max_payload = 1024
)]
struct Msg {
    #[framing(constant = 0xCAFE)]
    magic: u16,
    kind: u8,
    #[framing(length)]
    len: u16,
}

#[test]
fn typed_frames_through_the_std_reader_and_writer() {
    let mut writer = FrameWriter::new(Vec::new(), Msg::LAYOUT);
    for (kind, payload) in [(1u8, &b"hello"[..]), (2, b""), (3, b"world!")] {
        let msg = Msg {
            magic: 0,
            kind,
            len: 0,
        };
        writer.write_frame_with(payload, &msg.values()).unwrap();
    }
    writer.flush().unwrap();
    let wire = writer.into_inner();
    assert_eq!(&wire[..5], b"\xca\xfe\x01\x00\x05");
    let mut reader = FrameReader::new(Cursor::new(wire), Msg::LAYOUT);
    let mut got = Vec::new();
    while let Some(frame) = reader.next_frame().unwrap() {
        let view = frame.view::<Msg>().unwrap();
        got.push((view.kind(), frame.payload().to_vec()));
        assert_eq!(
            frame.typed::<Msg>().unwrap().len as usize,
            frame.payload().len()
        );
    }
    assert_eq!(
        got,
        [(1, b"hello".to_vec()), (2, vec![]), (3, b"world!".to_vec())]
    );
}

/// The frames of the tests below: a header of each kind and a payload.
fn sent() -> Vec<(u8, Vec<u8>)> {
    (0..50u8)
        .map(|i| (i, vec![i; usize::from(i) * 17]))
        .collect()
}

/// The bytes of `sent()`, as each header's own encoding gives them.
fn wire() -> Vec<u8> {
    let mut wire = Vec::new();
    let mut out = vec![0u8; 2048];
    for (kind, payload) in sent() {
        let msg = Msg {
            magic: 0,
            kind,
            len: 0,
        };
        let n = msg.encode(&payload, &mut out).unwrap();
        wire.extend_from_slice(&out[..n]);
    }
    wire
}

/// A frame read back: the view's kind (checked against the by-value read
/// and the length) and the payload.
fn typed_frame(frame: &framing_std::Frame<'_>) -> (u8, Vec<u8>) {
    let view = frame.view::<Msg>().unwrap();
    assert_eq!(view.magic(), 0xCAFE);
    assert_eq!(usize::from(view.len()), frame.payload().len());
    assert_eq!(frame.typed::<Msg>(), Some(view.get()));
    (view.kind(), frame.payload().to_vec())
}

/// Typed headers through tokio's writer and reader, across an in-memory
/// pipe of 7 bytes: every read is short and many pend.
#[cfg(feature = "tokio")]
#[test]
fn typed_frames_through_the_tokio_reader_and_writer() {
    use framing_std::tokio::{FrameReader, FrameWriter};
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let (tx, rx) = tokio::io::duplex(7);
        let write = async move {
            let mut writer = FrameWriter::new(tx, Msg::LAYOUT);
            for (kind, payload) in sent() {
                let msg = Msg {
                    magic: 0,
                    kind,
                    len: 0,
                };
                writer.write_frame_with(&payload, &msg.values()).await?;
            }
            writer.flush().await
            // Dropping the writer closes the pipe: the reader's end.
        };
        let read = async move {
            let mut reader = FrameReader::with_capacity(16, rx, Msg::LAYOUT);
            let mut got = Vec::new();
            while let Some(frame) = reader.next_frame().await? {
                got.push(typed_frame(&frame));
            }
            std::io::Result::Ok(got)
        };
        let (written, got) = tokio::join!(write, read);
        written.unwrap();
        got.unwrap()
    });
    assert_eq!(got, sent());
}

/// Typed headers through the futures-io writer and reader (on smol): the
/// writer writes what each header's own encoding gives, and the reader,
/// 5 bytes a read, gives them back.
#[cfg(feature = "futures")]
#[test]
fn typed_frames_through_the_futures_reader_and_writer() {
    use framing_std::futures::{FrameReader, FrameWriter};
    smol::block_on(async {
        let mut writer = FrameWriter::new(Vec::new(), Msg::LAYOUT);
        for (kind, payload) in sent() {
            let msg = Msg {
                magic: 0,
                kind,
                len: 0,
            };
            writer
                .write_frame_with(&payload, &msg.values())
                .await
                .unwrap();
        }
        writer.flush().await.unwrap();
        let bytes = writer.into_inner();
        assert_eq!(bytes, wire());
        let mut reader = FrameReader::with_capacity(5, &bytes[..], Msg::LAYOUT);
        let mut got = Vec::new();
        while let Some(frame) = reader.next_frame().await.unwrap() {
            got.push(typed_frame(&frame));
        }
        assert_eq!(got, sent());
    });
}

/// The same frames through the blocking reader, 3 bytes a read.
#[test]
fn typed_frames_through_the_std_reader_in_short_reads() {
    let mut reader = FrameReader::with_capacity(3, Cursor::new(wire()), Msg::LAYOUT);
    let mut got = Vec::new();
    while let Some(frame) = reader.next_frame().unwrap() {
        got.push(typed_frame(&frame));
    }
    assert_eq!(got, sent());
}
