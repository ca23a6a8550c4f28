//! The async readers and writer of `framing_std::tokio` (feature `tokio`):
//! the same items, frames, events and errors as the blocking readers for
//! streams split at every byte, mixed or coalesced, through a reader that
//! pends before every read, with every future dropped at every `Pending`
//! (cancel safety); over loopback TCP with `timeout`s cancelling reads
//! mid-frame; and the writer: round trips, the high-water mark, and
//! cancellation at every `Pending` of a writer that takes a few bytes at a
//! time. Every await on a socket is bounded by a timeout; no sleeps.
#![cfg(feature = "tokio")]

#[macro_use]
mod async_common;
mod common;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::{payloads, Rng};
use framing_std::tokio::{FrameReader, FrameWriter};
use framing_std::{Layout, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pend {
            self.pend = false;
            self.pendings += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pend = true;
        let n = self.chunks.read(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

reader_equivalence!(tokio, Trickle);

/// A writer that pends before every write, then takes at most `max` bytes
/// (from the first slice only); `stuck` makes it pend until released.
struct Stingy {
    out: Vec<u8>,
    max: usize,
    pend: bool,
    stuck: bool,
    pendings: usize,
    flushes: usize,
    shut: bool,
}

impl Stingy {
    fn new(max: usize) -> Self {
        Stingy {
            out: Vec::new(),
            max,
            pend: true,
            stuck: false,
            pendings: 0,
            flushes: 0,
            shut: false,
        }
    }

    fn pending(&mut self, cx: &mut Context<'_>) -> bool {
        if self.stuck || self.pend {
            self.pend = false;
            self.pendings += 1;
            cx.waker().wake_by_ref();
            return true;
        }
        self.pend = true;
        false
    }
}

impl AsyncWrite for Stingy {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending(cx) {
            return Poll::Pending;
        }
        let n = buf.len().min(self.max);
        self.out.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending(cx) {
            return Poll::Pending;
        }
        self.flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending(cx) {
            return Poll::Pending;
        }
        self.shut = true;
        Poll::Ready(Ok(()))
    }
}

fn done(r: io::Result<()>) -> io::Result<()> {
    r
}

/// The blocking writer's bytes for the same frames.
fn blocking_bytes(layout: Layout, frames: &[Vec<u8>]) -> Vec<u8> {
    async_common::encode(layout, frames)
}

#[test]
fn the_writer_writes_what_the_blocking_writer_writes_cancelled_at_every_pending() {
    let layout = Layout::builder("<BI")
        .length_field(1)
        .constant(0, Value::Int(0x7e))
        .build()
        .unwrap();
    let frames = payloads(&mut Rng::new(11), 60, 500);
    for max in [1, 3, 7, 4096] {
        let mut w = FrameWriter::with_capacity(256, Stingy::new(max), layout);
        w.set_high_water_mark(300);
        for (i, p) in frames.iter().enumerate() {
            if i % 3 == 0 {
                // Cancelled at every Pending: the frame is taken once, by
                // the call that completes.
                block_on!(true, w.queue_frame(p), done).unwrap();
                assert!(w.queued() <= 300 + 5 + p.len(), "over the mark");
            } else {
                // Not dropped: polled until it completes.
                block_on!(false, w.write_frame(p), done).unwrap();
                assert_eq!(w.queued(), 0, "write_frame wrote everything");
            }
        }
        block_on!(true, w.shutdown(), done).unwrap();
        assert_eq!(w.queued(), 0);
        assert!(w.get_ref().shut);
        assert!(w.get_ref().pendings > 0);
        assert_eq!(
            w.get_ref().out,
            blocking_bytes(layout, &frames),
            "max {max}"
        );
    }
}

#[test]
fn at_the_high_water_mark_a_frame_waits_and_is_not_taken_if_dropped() {
    let layout = Layout::new("!H");
    let mut w = FrameWriter::with_capacity(1 << 20, Stingy::new(usize::MAX), layout);
    w.set_high_water_mark(10);
    w.get_mut().stuck = true;
    let mut cx = Context::from_waker(std::task::Waker::noop());
    // Below the mark, frames are queued without a write.
    for _ in 0..2 {
        let mut fut = std::pin::pin!(w.queue_frame(b"abcd"));
        assert!(fut.as_mut().poll(&mut cx).is_ready());
    }
    assert_eq!(w.queued(), 12);
    // At the mark, the next frame waits for the queue; dropped, it was
    // never taken.
    for _ in 0..5 {
        let mut fut = std::pin::pin!(w.queue_frame(b"late"));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(w.queued(), 12, "a waiting frame takes no room");
    {
        let mut fut = std::pin::pin!(w.write_frame(b"late"));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(w.queued(), 12);
    w.get_mut().stuck = false;
    block_on!(false, w.queue_frame(b"late"), done).unwrap();
    block_on!(false, w.flush(), done).unwrap();
    assert_eq!(w.queued(), 0);
    assert_eq!(w.get_ref().flushes, 1);
    let frames = [b"abcd".to_vec(), b"abcd".to_vec(), b"late".to_vec()];
    assert_eq!(w.get_ref().out, blocking_bytes(layout, &frames));
}

#[test]
fn an_unencodable_frame_is_invalid_input_and_nothing_is_queued() {
    let layout = Layout::new("!B");
    let mut w = FrameWriter::new(Vec::new(), layout);
    let e = block_on!(false, w.queue_frame(&[0; 300]), done).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(framing_std::error::encode_error(&e).is_some());
    assert_eq!(w.queued(), 0);
    let e = block_on!(false, w.write_frame_with(b"x", &[(5, Value::Int(1))]), done).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(w.get_ref().is_empty());
}

/// Awaits `fut`, failing the test if it takes more than 10 s.
async fn bounded<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("timed out")
}

#[test]
fn frames_cross_loopback_tcp_with_reads_cancelled_mid_frame() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let layout = Layout::builder("!I").max_payload(1 << 20).build().unwrap();
        let sent = payloads(&mut Rng::new(12), 300, 70_000);
        let listener = bounded(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let to_send = sent.clone();
        let sender = tokio::spawn(async move {
            let (socket, _) = bounded(listener.accept()).await.unwrap();
            let mut w = FrameWriter::new(socket, layout);
            for (i, p) in to_send.iter().enumerate() {
                if i % 2 == 0 {
                    bounded(w.queue_frame(p)).await.unwrap();
                } else {
                    bounded(w.write_frame(p)).await.unwrap();
                }
            }
            bounded(w.shutdown()).await.unwrap();
        });
        let socket = bounded(tokio::net::TcpStream::connect(addr)).await.unwrap();
        let mut reader = FrameReader::with_capacity(4096, socket, layout);
        let mut got = Vec::new();
        let mut cancelled = 0usize;
        loop {
            // A very short timeout: many reads are dropped mid-frame, and
            // each next call goes on where the dropped one stopped.
            match tokio::time::timeout(Duration::from_micros(20), reader.next_frame()).await {
                Err(_) => {
                    cancelled += 1;
                    assert!(cancelled < 10_000_000, "no progress");
                }
                Ok(Ok(Some(frame))) => got.push(frame.payload().to_vec()),
                Ok(Ok(None)) => break,
                Ok(Err(e)) => panic!("{e}"),
            }
        }
        bounded(sender).await.unwrap();
        assert_eq!(got.len(), sent.len());
        assert!(got == sent, "the frames sent, in order");
        assert!(reader.is_at_boundary());
    });
}

#[test]
fn a_truncated_tcp_stream_is_unexpected_eof() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use tokio::io::AsyncWriteExt;
        let listener = bounded(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let sender = tokio::spawn(async move {
            let (mut socket, _) = bounded(listener.accept()).await.unwrap();
            bounded(socket.write_all(b"\x00\x02hi\x00\x09abc"))
                .await
                .unwrap();
            bounded(socket.shutdown()).await.unwrap();
        });
        let socket = bounded(tokio::net::TcpStream::connect(addr)).await.unwrap();
        let mut reader = FrameReader::new(socket, Layout::new("!H"));
        let frame = bounded(reader.next_frame()).await.unwrap().unwrap();
        assert_eq!(frame.payload(), b"hi");
        let e = bounded(reader.next_frame()).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let core = framing_std::error::decode_error(&e).unwrap();
        assert!(core.is_truncated());
        bounded(sender).await.unwrap();
    });
}
