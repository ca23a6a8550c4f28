//! Frames over tokio's [`AsyncRead`] and [`AsyncWrite`] (feature `tokio`):
//! the async [`FrameReader`], [`StreamReader`] and [`FrameWriter`].
//!
//! They are the blocking readers and writer of the crate root, awaited: the
//! same methods, the same read buffer, the same encoder and queue, and the
//! same results for the same bytes however the reads split them. Each read
//! runs the one feed loop the blocking readers run; only the inner reader's
//! `poll_read` differs. `next_frame().await` lends a [`Frame`] borrowed from
//! the read buffer: no copy, no allocation per frame. For tokio-util's
//! `Framed` (a `Stream` of owned frames and a `Sink`), see
//! [`FrameCodec`](crate::FrameCodec).
//!
//! ```text
//!  reads:  | 00 02 h i 00 | 03 y o u |
//!
//!  next_frame().await -> Frame(b"hi")     a slice of the read buffer
//!  next_frame().await -> Frame(b"you")    once the second read completed it
//!  next_frame().await -> None             ended on a frame boundary
//! ```
//!
//! ```
//! use framing_std::tokio::{FrameReader, FrameWriter};
//! use framing_std::Layout;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! // Any AsyncWrite: a TcpStream's write half, a Vec here.
//! let mut writer = FrameWriter::new(Vec::new(), Layout::new("!H"));
//! writer.write_frame(b"hi").await?;
//! writer.queue_frame(b"you").await?; // batched until the flush
//! writer.flush().await?;
//!
//! // Any AsyncRead: a TcpStream, or the bytes written, here.
//! let wire = writer.into_inner();
//! let mut reader = FrameReader::new(&wire[..], Layout::new("!H"));
//! // next_frame skips the reports of a recovery policy (a layout with
//! // Oversize::Discard or resync); next_item returns them too.
//! while let Some(frame) = reader.next_frame().await? {
//!     println!("{:?}", frame.payload());
//! }
//! assert!(reader.is_at_boundary());
//! # Ok(())
//! # }
//! ```
//!
//! # Cancel safety
//!
//! The readers keep every byte and every decoder state in themselves, never
//! in a future: the only await is the inner reader's `poll_read`, and what
//! it returns is recorded in the read buffer in the same poll. So every
//! reader method is cancel safe: dropping the future (the losing branch of
//! `tokio::select!`, a `timeout`) loses no byte, and calling again
//! continues. The writer never leaves part of a frame in the stream;
//! [`FrameWriter::queue_frame`] takes the frame if and only if it completes
//! (see [`FrameWriter`]).
//!
//! [`AsyncRead`]: ::tokio::io::AsyncRead
//! [`AsyncWrite`]: ::tokio::io::AsyncWrite

use core::task::Context;

use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Reads into `room` with tokio's `poll_read`: the number of bytes read.
#[inline]
fn poll_read<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    room: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(room);
    ready!(reader.poll_read(cx, &mut buf))?;
    Poll::Ready(Ok(buf.filled().len()))
}

crate::async_adapters::async_adapters! {
    read: AsyncRead, poll_read;
    write: AsyncWrite, shutdown, poll_shutdown;
    name: "tokio";
}
