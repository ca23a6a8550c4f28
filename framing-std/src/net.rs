//! A duplex adapter: frames both ways over one stream, a `TcpStream` by
//! default.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};

use framing_core::{Decoded, Frame, Layout, Value};

use crate::frame::OwnedFrame;
use crate::read::{FrameReader, Rx, DEFAULT_READ_CAPACITY};
use crate::write::{FrameWriter, Tx, DEFAULT_WRITE_CAPACITY};

/// Frames both ways over one stream: a [`FrameReader`] and a [`FrameWriter`]
/// sharing it. For a `TcpStream` there are [`connect`](Self::connect),
/// [`accept`](Self::accept) and [`split`](Self::split) (one thread reading,
/// another writing).
///
/// ```
/// use std::net::TcpListener;
/// use framing_std::{FramedStream, Layout};
///
/// const LAYOUT: Layout = Layout::new("!I");
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let server = std::thread::spawn(move || -> std::io::Result<()> {
///     let (peer, _) = FramedStream::accept(&listener, LAYOUT)?;
///     // A zero-copy echo: the frame borrows the reader, the writer is apart.
///     let (mut reader, mut writer) = peer.split()?;
///     while let Some(frame) = reader.next_frame()? {
///         writer.write_frame(frame.payload())?;
///     }
///     Ok(())
/// });
///
/// let mut client = FramedStream::connect(addr, LAYOUT)?;
/// client.write_frame(b"ping")?;
/// assert_eq!(client.next_frame()?.unwrap().payload(), b"ping");
/// drop(client); // the server sees a clean end
/// server.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Without `split`, a borrowed frame cannot be written back on the same
/// `FramedStream` (it borrows the whole stream):
///
/// ```compile_fail,E0499
/// # fn echo(peer: &mut framing_std::FramedStream) -> std::io::Result<()> {
/// while let Some(frame) = peer.next_frame()? {
///     peer.write_frame(frame.payload())?; // error[E0499]: `*peer` borrowed twice
/// }
/// # Ok(())
/// # }
/// ```
///
/// Either split it (above), or take the frame owned
/// ([`next_owned_frame`](Self::next_owned_frame), one copy per frame):
///
/// ```
/// # fn echo(peer: &mut framing_std::FramedStream) -> std::io::Result<()> {
/// while let Some(frame) = peer.next_owned_frame()? {
///     peer.write_frame(frame.payload())?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FramedStream<S = TcpStream> {
    stream: S,
    rx: Rx,
    tx: Tx,
}

impl<S: Read + Write> FramedStream<S> {
    /// Frames of `layout` both ways over `stream`, with the default read
    /// and batch sizes.
    pub fn new(stream: S, layout: Layout) -> Self {
        Self::with_capacity(
            DEFAULT_READ_CAPACITY,
            DEFAULT_WRITE_CAPACITY,
            stream,
            layout,
        )
    }

    /// Like [`new`](Self::new), with the read size of
    /// [`FrameReader::with_capacity`] and the batch size of
    /// [`FrameWriter::with_capacity`].
    pub fn with_capacity(read: usize, write: usize, stream: S, layout: Layout) -> Self {
        FramedStream {
            stream,
            rx: Rx::new(layout, read),
            tx: Tx::new(layout, write),
        }
    }

    /// The next frame, borrowed. As [`FrameReader::next_frame`]: the frame
    /// borrows the whole `FramedStream`, so it cannot be written back with
    /// [`write_frame`](Self::write_frame) while it lives; for a zero-copy
    /// echo, [`split`](Self::split) first (see the type's docs).
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`].
    pub fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
        self.rx.next_frame(&mut self.stream)
    }

    /// The next frame or recovery report, borrowed. As
    /// [`FrameReader::next_item`].
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`].
    pub fn next_item(&mut self) -> io::Result<Option<Decoded<Frame<'_>>>> {
        self.rx.next_item(&mut self.stream)
    }

    /// The next frame, owned. As [`FrameReader::next_owned_frame`].
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`].
    pub fn next_owned_frame(&mut self) -> io::Result<Option<OwnedFrame>> {
        self.rx.next_owned_frame(&mut self.stream)
    }

    /// The next frame or recovery report, owned. As
    /// [`FrameReader::next_owned_item`].
    ///
    /// # Errors
    /// As [`FrameReader::next_frame`].
    pub fn next_owned_item(&mut self) -> io::Result<Option<Decoded<OwnedFrame>>> {
        self.rx.next_owned_item(&mut self.stream)
    }

    /// Writes queued frames and a frame holding `payload`. As
    /// [`FrameWriter::write_frame`].
    ///
    /// # Errors
    /// As [`FrameWriter::write_frame`].
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.tx.write_frame(&mut self.stream, payload, &[])
    }

    /// As [`FrameWriter::write_frame_with`].
    ///
    /// # Errors
    /// As [`FrameWriter::write_frame_with`].
    pub fn write_frame_with(
        &mut self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        self.tx.write_frame(&mut self.stream, payload, fields)
    }

    /// Queues a frame. As [`FrameWriter::queue_frame`].
    ///
    /// # Errors
    /// As [`FrameWriter::queue_frame`].
    pub fn queue_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.tx.queue_frame(&mut self.stream, payload, &[])
    }

    /// As [`FrameWriter::queue_frame_with`].
    ///
    /// # Errors
    /// As [`FrameWriter::queue_frame_with`].
    pub fn queue_frame_with(
        &mut self,
        payload: &[u8],
        fields: &[(usize, Value<'_>)],
    ) -> io::Result<()> {
        self.tx.queue_frame(&mut self.stream, payload, fields)
    }

    /// Writes the queued frames and flushes the stream. As
    /// [`FrameWriter::flush`].
    ///
    /// # Errors
    /// As [`FrameWriter::flush`].
    pub fn flush(&mut self) -> io::Result<()> {
        self.tx.flush(&mut self.stream)
    }
}

impl<S> FramedStream<S> {
    /// The layout frames are read and written with.
    pub fn layout(&self) -> &Layout {
        self.tx.layout()
    }

    /// Whether the reading side holds no byte of an undelivered frame. As
    /// [`FrameReader::is_at_boundary`].
    pub fn is_at_boundary(&self) -> bool {
        self.rx.is_at_boundary()
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.tx.queued()
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably (to set timeouts, say). Reading or writing it
    /// directly bypasses the framing.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream, given back. Bytes read but not delivered, and frames
    /// queued but not written, are dropped.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl FramedStream<TcpStream> {
    /// Connects to `addr` (each address in turn, as
    /// [`TcpStream::connect`]) and frames the connection with `layout`.
    ///
    /// # Errors
    /// The connection error.
    pub fn connect<A: ToSocketAddrs>(addr: A, layout: Layout) -> io::Result<Self> {
        Ok(Self::new(TcpStream::connect(addr)?, layout))
    }

    /// Accepts the next connection on `listener` and frames it with
    /// `layout`; returns it with the peer's address.
    ///
    /// # Errors
    /// The accept error.
    pub fn accept(listener: &TcpListener, layout: Layout) -> io::Result<(Self, SocketAddr)> {
        let (stream, peer) = listener.accept()?;
        Ok((Self::new(stream, layout), peer))
    }

    /// Splits into a reader and a writer over two handles of the same
    /// socket ([`TcpStream::try_clone`]), for a reading thread and a writing
    /// one. Bytes already read and frames already queued go with their side.
    ///
    /// # Errors
    /// The error of `try_clone`; the stream is then dropped.
    pub fn split(self) -> io::Result<(FrameReader<TcpStream>, FrameWriter<TcpStream>)> {
        let write = self.stream.try_clone()?;
        Ok((
            FrameReader::from_parts(self.stream, self.rx),
            FrameWriter::from_parts(write, self.tx),
        ))
    }
}
