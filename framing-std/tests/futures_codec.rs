//! `FrameCodec` with asynchronous-codec's `Framed` over a loopback TCP pair
//! on smol (futures-io): the same frames, reports and errors as with tokio.
#![cfg(feature = "futures")]

use asynchronous_codec::{Framed, FramedRead};
use futures_util::{SinkExt, StreamExt};
use smol::io::AsyncWriteExt;
use smol::net::{TcpListener, TcpStream};

use framing_std::codec::FrameCodec;
use framing_std::Decoded;
use framing_std::{Layout, Oversize, Recovery, Value};

const LAYOUT: Layout = Layout::builder("<BI")
    .length_field(1)
    .constant(0, Value::Int(0x7e))
    .max_payload(1 << 20)
    .build_or_panic();

fn payloads() -> Vec<Vec<u8>> {
    (0..60usize)
        .map(|i| (0..(i * 7919) % 300_000).map(|j| (i + j) as u8).collect())
        .collect()
}

async fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (client, server) =
        futures_util::future::join(TcpStream::connect(addr), listener.accept()).await;
    Ok((client?, server?.0))
}

#[test]
fn frames_echo_over_loopback_tcp() {
    smol::block_on(async {
        let (client, server) = pair().await.unwrap();
        let echo = smol::spawn(async move {
            let mut framed = Framed::new(server, FrameCodec::from_static(&LAYOUT));
            let mut n = 0;
            while let Some(item) = framed.next().await {
                let Decoded::Frame(frame) = item? else {
                    panic!("a clean stream reported something")
                };
                assert_eq!(frame.value(0), Some(Value::Int(0x7e)));
                framed.send(frame.payload()).await?;
                n += 1;
            }
            std::io::Result::Ok(n)
        });

        let framed = Framed::new(client, FrameCodec::new(LAYOUT));
        // The sink's items borrow the payloads for as long as the task runs.
        let sent: &'static [Vec<u8>] = Box::leak(payloads().into_boxed_slice());
        let (mut sink, mut stream) = framed.split();
        let writer = smol::spawn(async move {
            for p in sent {
                sink.send(&p[..]).await?;
            }
            sink.close().await?;
            std::io::Result::Ok(())
        });
        let mut got = Vec::new();
        while let Some(item) = stream.next().await {
            got.push(item.unwrap().frame().unwrap().payload().to_vec());
        }
        writer.await.unwrap();
        assert_eq!(got.len(), payloads().len());
        assert!(got == payloads(), "the echoed payloads differ");
        assert_eq!(echo.await.unwrap(), payloads().len());
    });
}

#[test]
fn a_connection_cut_inside_a_frame_is_unexpected_eof() {
    smol::block_on(async {
        let (mut client, server) = pair().await.unwrap();
        client
            .write_all(b"\x7e\x02\x00\x00\x00ok\x7e\x05\x00\x00\x00ab")
            .await
            .unwrap();
        client.close().await.unwrap();
        drop(client);
        let mut framed = FramedRead::new(server, FrameCodec::new(LAYOUT));
        let first = framed.next().await.unwrap().unwrap();
        assert_eq!(first.frame().unwrap().payload(), b"ok");
        let err = framed.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
    });
}

#[test]
fn reports_are_items_and_the_stream_goes_on() {
    smol::block_on(async {
        let (mut client, server) = pair().await.unwrap();
        let layout = Layout::builder("!H")
            .max_payload(4)
            .on_oversize(Oversize::Discard)
            .build()
            .unwrap();
        client
            .write_all(b"\x00\x09too long!\x00\x02ok")
            .await
            .unwrap();
        client.close().await.unwrap();
        drop(client);
        let mut framed = FramedRead::new(server, FrameCodec::new(layout));
        let mut items = Vec::new();
        while let Some(item) = framed.next().await {
            items.push(match item.unwrap() {
                Decoded::Frame(f) => Ok(f.payload().to_vec()),
                Decoded::Recovered(r) => Err(r),
                Decoded::Preface(p) => panic!("no preface, yet {:?}", p.payload()),
                other => panic!("not expected here: {other:?}"),
            });
        }
        assert_eq!(
            items,
            [
                Err(Recovery::Discarded {
                    offset: 0,
                    length: 9
                }),
                Ok(b"ok".to_vec())
            ]
        );
    });
}

/// `frames_only` under asynchronous-codec: `OwnedFrame<Bytes>` items, the reports
/// of a discard policy skipped and counted.
#[test]
fn frames_only_yields_frames_and_counts_the_reports() {
    let layout = Layout::builder("!H")
        .max_payload(4)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let wire = b"\x00\x02hi\x00\x09too long!\x00\x03you";
    smol::block_on(async {
        let mut frames = FramedRead::new(&wire[..], FrameCodec::new(layout).frames_only());
        let mut got = Vec::new();
        while let Some(frame) = frames.next().await {
            got.push(frame.unwrap().payload().to_vec());
        }
        assert_eq!(got, [b"hi".to_vec(), b"you".to_vec()]);
        assert_eq!(frames.decoder().recovered(), 1);
    });
}
