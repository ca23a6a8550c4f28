//! A typed header for a crate that has framing-core only through
//! framing-std: `#[framing(crate = "framing_std::framing_core")]`.

use std::io::Cursor;

use framing_std::{FrameReader, FrameWriter};

#[derive(framing_std::framing_core::Header, Debug, PartialEq)]
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
