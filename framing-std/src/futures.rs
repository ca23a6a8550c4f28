//! Frames over the `futures-io` [`AsyncRead`] and [`AsyncWrite`] (feature
//! `futures`: smol, async-std, `futures::io`): the async [`FrameReader`],
//! [`StreamReader`] and [`FrameWriter`].
//!
//! The same types as [`crate::tokio`]'s, over the other traits: the
//! blocking readers and writer of the crate root, awaited, with the same
//! methods, the same read buffer, the same encoder and queue, and the same
//! results for the same bytes. `next_frame().await` lends a [`Frame`]
//! borrowed from the read buffer: no copy, no allocation per frame. For
//! asynchronous-codec's `Framed`, see [`FrameCodec`](crate::FrameCodec).
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
//! use framing_std::futures::{FrameReader, FrameWriter};
//! use framing_std::Layout;
//!
//! # smol::block_on(async {
//! // Any AsyncWrite: a smol TcpStream, a Vec here.
//! let mut writer = FrameWriter::new(Vec::new(), Layout::new("!H"));
//! writer.write_frame(b"hi").await?;
//! writer.queue_frame(b"you").await?; // batched until the flush
//! writer.close().await?; // flushes
//!
//! // Any AsyncRead: a smol TcpStream, or the bytes written, here.
//! let wire = writer.into_inner();
//! let mut reader = FrameReader::new(&wire[..], Layout::new("!H"));
//! // next_frame skips the reports of a recovery policy (a layout with
//! // Oversize::Discard or resync); next_item returns them too.
//! assert_eq!(reader.next_frame().await?.unwrap().payload(), b"hi");
//! assert_eq!(reader.next_frame().await?.unwrap().payload(), b"you");
//! assert!(reader.next_frame().await?.is_none());
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Cancel safety
//!
//! As in [`crate::tokio`]: every reader method is cancel safe (dropping the
//! future loses no byte; calling again continues), and the writer never
//! leaves part of a frame in the stream.
//!
//! [`AsyncRead`]: futures_io::AsyncRead
//! [`AsyncWrite`]: futures_io::AsyncWrite

use core::task::Context;

use futures_io::{AsyncRead, AsyncWrite};

/// Reads into `room` with futures-io's `poll_read`.
#[inline]
fn poll_read<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    room: &mut [u8],
) -> Poll<io::Result<usize>> {
    reader.poll_read(cx, room)
}

crate::async_adapters::async_adapters! {
    read: AsyncRead, poll_read;
    write: AsyncWrite, close, poll_close;
    name: "futures-io";
}
