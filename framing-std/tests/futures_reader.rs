//! The async readers and writer of `framing_std::futures` (feature
//! `futures`, the futures-io traits): the same items, frames, events and
//! errors as the blocking readers for streams split at every byte, mixed or
//! coalesced, through a reader that pends before every read, with every
//! future dropped at every `Pending`; a round trip over a byte slice and
//! over loopback TCP on smol (bounded by a timeout; no sleeps).
#![cfg(feature = "futures")]

#[macro_use]
mod async_common;
mod common;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::{payloads, Rng};
use framing_std::futures::{FrameReader, FrameWriter};
use framing_std::Layout;
use futures_io::AsyncRead;

/// A reader that returns `Pending` (waking at once) before every read,
/// then the next of its chunks (or as much as fits).
struct Trickle {
    chunks: async_common::Chunks,
    pend: bool,
    pendings: usize,
}

impl Trickle {
    fn new(data: &[u8], sizes: &[usize]) -> Self {
        Trickle {
            chunks: async_common::Chunks::new(data, sizes),
            pend: true,
            pendings: 0,
        }
    }

    fn rest(&self) -> Vec<u8> {
        self.chunks.rest()
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pend {
            self.pend = false;
            self.pendings += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pend = true;
        Poll::Ready(Ok(self.chunks.read(buf)))
    }
}

reader_equivalence!(futures, Trickle);

#[test]
fn frames_round_trip_through_a_byte_slice() {
    let layout = Layout::new("!I");
    let sent = payloads(&mut Rng::new(21), 200, 70_000);
    smol::block_on(async {
        let mut writer = FrameWriter::new(Vec::new(), layout);
        for (i, p) in sent.iter().enumerate() {
            if i % 2 == 0 {
                writer.queue_frame(p).await.unwrap();
            } else {
                writer.write_frame(p).await.unwrap();
            }
        }
        writer.close().await.unwrap();
        assert_eq!(writer.queued(), 0);
        let wire = writer.into_inner();
        assert_eq!(
            wire,
            async_common::encode(layout, &sent),
            "the blocking writer's bytes"
        );
        let mut reader = FrameReader::with_capacity(1000, &wire[..], layout);
        let mut got = Vec::new();
        while let Some(frame) = reader.next_frame().await.unwrap() {
            got.push(frame.payload().to_vec());
        }
        assert!(got == sent);
        assert_eq!(reader.offset(), wire.len() as u64);
    });
}

#[test]
fn frames_cross_loopback_tcp_on_smol() {
    let layout = Layout::builder("!I").max_payload(1 << 20).build().unwrap();
    let sent = payloads(&mut Rng::new(22), 200, 70_000);
    smol::block_on(smol::future::or(
        async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let to_send = sent.clone();
            let sender = smol::spawn(async move {
                let (socket, _) = listener.accept().await.unwrap();
                let mut w = FrameWriter::new(socket, layout);
                for p in &to_send {
                    w.queue_frame(p).await.unwrap();
                }
                w.close().await.unwrap();
            });
            let socket = smol::net::TcpStream::connect(addr).await.unwrap();
            let mut reader = framing_std::futures::StreamReader::new(socket, layout);
            let mut got: Vec<Vec<u8>> = Vec::new();
            while let Some(event) = reader.next_event().await.unwrap() {
                match event {
                    framing_std::Event::Header(_) => got.push(Vec::new()),
                    framing_std::Event::Payload(piece) => got.last_mut().unwrap().extend(piece),
                    framing_std::Event::End
                    | framing_std::Event::Recovered(_)
                    | framing_std::Event::Preface(_) => {}
                    other => panic!("not expected here: {other:?}"),
                }
            }
            sender.await;
            assert!(got == sent);
        },
        async {
            smol::Timer::after(Duration::from_secs(20)).await;
            panic!("timed out");
        },
    ));
}
