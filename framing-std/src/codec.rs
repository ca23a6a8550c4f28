//! The codec for tokio and for futures-io: [`FrameCodec`] implements
//! tokio-util's `Decoder` and `Encoder` (feature `tokio`), so
//! `Framed<TcpStream, FrameCodec>`, `FramedRead` and `FramedWrite` speak
//! any framing [`Layout`]; and asynchronous-codec's (feature `futures`), so
//! its `Framed` does the same over any `futures::io::AsyncRead`/`AsyncWrite`
//! (smol, async-std). Both impls run the same code: one turn of the feed
//! loop over the read buffer, one encoder.
//!
//! ```toml
//! [dependencies]
//! framing-std = { version = "0.1", features = ["tokio"] }   # or "futures"
//! tokio = { version = "1", features = ["rt", "net", "macros"] }
//! tokio-util = { version = "0.7", features = ["codec"] }
//! futures-util = { version = "0.3", features = ["sink"] }     # StreamExt::next, SinkExt::send
//! bytes = "1"
//! ```
//!
//! Three ways in:
//!
//! - [`FrameCodec`]: decodes [`Decoded`] items, each a frame or, under a
//!   layout's recovery policy, a report of what was skipped, in order.
//! - [`FramesOnly`] (`FrameCodec::new(layout).frames_only()`): decodes
//!   [`OwnedFrame<Bytes>`] only, for layouts without a policy or users who only
//!   count the reports: nothing to unwrap.
//! - [`Message`]: encodes a payload with header values of its own (a
//!   version, a message type); a plain `&[u8]` or [`Bytes`] encodes with
//!   those values zero.
//!
//! ```text
//!  layout "!H" (big-endian u16 length); the read buffer after two reads:
//!
//!  | 00 02 h i | 00 03 y o |        a frame, and most of another
//!  | 00 02 h i | 00 03 y o u |      the next read appended "u"
//!
//!  decode() -> Frame(b"hi")         split off the buffer, no copy
//!  decode() -> None                 "yo" is kept in the buffer, not copied
//!  decode() -> Frame(b"you")        after the next read, split off whole
//!  decode_eof() -> None             the stream ended on a frame boundary
//! ```
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # fn main() -> std::io::Result<()> {
//! use bytes::BytesMut;
//! use framing_std::codec::FrameCodec;
//! use framing_std::{Decoded, Layout, Value};
//! use tokio_util::codec::Decoder;
//!
//! let mut codec = FrameCodec::new(Layout::new("!H"));
//! let mut buf = BytesMut::from(&b"\x00\x02hi\x00\x03yo"[..]);
//!
//! let Some(Decoded::Frame(frame)) = codec.decode(&mut buf)? else { panic!() };
//! assert_eq!(frame.payload(), b"hi");
//! assert_eq!(frame.value(0), Some(Value::Int(2)));
//! assert_eq!(codec.decode(&mut buf)?, None); // "yo" is not a whole frame yet
//!
//! buf.extend_from_slice(b"u"); // as the next read would
//! let Some(Decoded::Frame(frame)) = codec.decode(&mut buf)? else { panic!() };
//! assert_eq!(frame.payload(), b"you");
//! assert_eq!(frame.as_bytes(), b"\x00\x03you"); // header and payload, as sent
//! assert_eq!(codec.decode_eof(&mut buf)?, None); // a clean end
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "tokio"))]
//! # fn main() {}
//! ```
//!
//! Decoding is framing-core's: the codec drives a
//! [`Decoder`](framing_core::Decoder), so it returns the frames and errors
//! that decoder returns for the same bytes, with the same stream offsets,
//! however the reads split them. The bytes of a frame stay in the read
//! buffer until the whole frame is there; then the core checks it in place
//! and it is split off and frozen ([`BytesMut::split_to`],
//! [`BytesMut::freeze`]) into a [`OwnedFrame<Bytes>`], without copying. Lines
//! (a byte-string delimiter) are kept the same way until their delimiter
//! arrives, each read's new bytes searched once. COBS and SLIP frames are
//! decoded into the decoder's buffer and copied out of it, but for a COBS
//! frame of one block and a SLIP frame with no escape whole in the buffer,
//! which are split off it (their bytes are their data). A bad
//! header is reported as soon as it arrives, not when its announced length
//! has.
//!
//! # Errors and the recovery policies
//!
//! As in the std adapters, a bad frame is an [`io::Error`] wrapping the
//! core's [`DecodeError`](framing_core::DecodeError) (find it again with
//! [`error::decode_error`]):
//!
//! | what the stream holds                          | what the codec returns |
//! |------------------------------------------------|------------------------|
//! | a negative length, a length over the maximum, a constant that differs | `Err`: [`InvalidData`](io::ErrorKind::InvalidData), the core's error with the header's offset; the codec stays failed |
//! | an end inside a header or payload ([`decode_eof`](Decoder::decode_eof)) | `Err`: [`UnexpectedEof`](io::ErrorKind::UnexpectedEof), the core's [`Truncated`](framing_core::DecodeErrorKind::Truncated) error |
//! | an oversized frame under [`Oversize::Discard`](framing_core::Oversize::Discard), bytes skipped under [`resync`](framing_core::LayoutBuilder::resync) | `Ok(Some(`[`Decoded::Recovered`]`))` (`recovery()` gives the report), then the frames after it |
//!
//! The recovery reports are items, not errors, because tokio-util's
//! `Framed` ends the stream after an error: reported as an `Err`, they would
//! stop the connection the policy is meant to keep going.
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bytes::BytesMut;
//! use framing_std::codec::FrameCodec;
//! use framing_std::{Decoded, Layout, Oversize, Recovery};
//! use tokio_util::codec::Decoder;
//!
//! let layout = Layout::builder("!H").max_payload(4).on_oversize(Oversize::Discard).build()?;
//! let mut codec = FrameCodec::new(layout);
//! let mut buf = BytesMut::from(&b"\x00\x09too long!\x00\x02ok"[..]);
//!
//! let Some(Decoded::Recovered(report)) = codec.decode(&mut buf)? else { panic!() };
//! assert_eq!(report, Recovery::Discarded { offset: 0, length: 9 });
//! let Some(Decoded::Frame(frame)) = codec.decode(&mut buf)? else { panic!() };
//! assert_eq!(frame.payload(), b"ok");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "tokio"))]
//! # fn main() {}
//! ```
//!
//! # Over TCP
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # fn main() -> std::io::Result<()> {
//! use futures_util::{SinkExt, StreamExt};
//! use framing_std::codec::FrameCodec;
//! use framing_std::{Decoded, Layout};
//! use tokio_util::codec::Framed;
//!
//! const LAYOUT: Layout = Layout::new("!I");
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! rt.block_on(async {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = tokio::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         let mut framed = Framed::new(stream, FrameCodec::new(LAYOUT));
//!         while let Some(item) = framed.next().await {
//!             match item? {
//!                 Decoded::Frame(frame) => framed.send(frame.payload_bytes()).await?, // echo
//!                 // Under a recovery policy only: a frame skipped, and where.
//!                 Decoded::Recovered(report) => eprintln!("lost: {report}"),
//!                 // Only with a layout that has one, once.
//!                 Decoded::Preface(_) => {}
//!                 _ => {} // what a later version adds (the enum is #[non_exhaustive])
//!             }
//!         }
//!         std::io::Result::Ok(())
//!     });
//!
//!     let stream = tokio::net::TcpStream::connect(addr).await?;
//!     let mut client = Framed::new(stream, FrameCodec::new(LAYOUT));
//!     client.send(&b"ping"[..]).await?;
//!     let echo = client.next().await.unwrap()?.frame().unwrap();
//!     assert_eq!(echo.payload(), b"ping");
//!     drop(client); // the server sees a clean end
//!     server.await.unwrap()
//! })
//! # }
//! # #[cfg(not(feature = "tokio"))]
//! # fn main() {}
//! ```
//!
//! # Over futures-io (smol, async-std)
//!
//! With the `futures` feature, asynchronous-codec's `Framed`, `FramedRead`
//! and `FramedWrite` take the same codec over any
//! `futures::io::AsyncRead`/`AsyncWrite`: a byte slice here.
//!
//! ```
//! # #[cfg(feature = "futures")]
//! # fn main() -> std::io::Result<()> {
//! use asynchronous_codec::FramedRead;
//! use framing_std::codec::FrameCodec;
//! use framing_std::Layout;
//! use futures_util::StreamExt;
//!
//! let wire = b"\x00\x02hi\x00\x03you";
//! smol::block_on(async {
//!     let mut frames = FramedRead::new(&wire[..], FrameCodec::new(Layout::new("!H")));
//!     let mut got = Vec::new();
//!     while let Some(item) = frames.next().await {
//!         got.push(item?.frame().unwrap().payload().to_vec());
//!     }
//!     assert_eq!(got, [b"hi".to_vec(), b"you".to_vec()]);
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "futures"))]
//! # fn main() {}
//! ```
//!
//! # Memory
//!
//! The read buffer grows with the bytes that arrive, not with the lengths
//! headers announce: the codec asks the buffer to reserve room for the rest
//! of the current frame only up to 64 KiB at a time, and a frame above the
//! layout's [`max_payload`](Layout::max_payload) is refused (or, under the
//! discard policy, dropped from the buffer as its bytes arrive, never
//! buffered whole). The codec copies no frame it decodes, except the one
//! right after a header found by resynchronisation inside the bytes of an
//! earlier read, and a truncated one at the end of the stream; for those
//! the core's buffer grows as their bytes arrive, up to the header plus
//! the maximum payload.

use std::io;
use std::ops::Range;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use framing_core::adapter::{Found, Opening, Pull, Window};
use framing_core::{Buffer, Decoded, Layout, Value};
#[cfg(feature = "tokio")]
use tokio_util::codec::{Decoder, Encoder};

use crate::buffer::GrowBuf;
use crate::error;
use crate::frame::{OwnedFrame, SharedLayout};

/// The most the codec asks the read buffer to reserve at once for the rest
/// of a frame: 64 KiB, the std readers' read size.
const RESERVE_LIMIT: usize = crate::read::DEFAULT_READ_CAPACITY;

/// The error for a broken internal invariant, or for bytes removed from the
/// read buffer behind the codec's back; never a panic.
fn lost() -> io::Error {
    io::Error::other("framing-std: bytes the codec was decoding were removed from its buffer")
}

/// tokio-util's [`Decoder`] and [`Encoder`] for frames of a [`Layout`].
///
/// Decoding yields [`Decoded`] items: each frame as a [`OwnedFrame<Bytes>`] split
/// off the read buffer without copying, and the reports of the layout's
/// recovery policies. Encoding takes a payload (`&[u8]` or [`Bytes`]) and
/// writes its header (length and constants set, other values zero) and the
/// payload into the write buffer.
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # fn main() -> std::io::Result<()> {
/// use bytes::BytesMut;
/// use framing_std::codec::FrameCodec;
/// use framing_std::{Layout, Value};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// // magic u16, version u8, a pad byte, length u32 counting the whole frame
/// const LAYOUT: Layout = Layout::builder("<HBxI")
///     .length_field(2)
///     .length_adjust(-8)
///     .constant(0, Value::Int(0xCAFE))
///     .constant(1, Value::Int(1))
///     .build_or_panic();
///
/// let mut codec = FrameCodec::new(LAYOUT);
/// let mut buf = BytesMut::new();
/// codec.encode(&b"hello"[..], &mut buf)?;
/// assert_eq!(&buf[..], b"\xfe\xca\x01\x00\x0d\x00\x00\x00hello");
///
/// let frame = codec.decode(&mut buf)?.unwrap().frame().unwrap();
/// assert_eq!(frame.value(0), Some(Value::Int(0xCAFE)));
/// assert_eq!(frame.int(1), Some(1));
/// assert_eq!(frame.payload(), b"hello");
/// assert!(buf.is_empty());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "tokio"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct FrameCodec {
    /// Judges every byte and makes every frame, error and report. Between
    /// frames it is fed a frame only once the frame lies whole in the read
    /// buffer, so it takes it in place and never copies it; its buffer
    /// (bounded by the header plus the maximum payload, allocated as used)
    /// holds only what the recovery policies and the end of the stream need.
    /// Its own copy of the layout: a plain pointer at every use, with no
    /// branch on which kind of [`SharedLayout`] the frames hold.
    decoder: framing_core::Decoder<Arc<Layout>, GrowBuf>,
    /// Shared with every [`OwnedFrame<Bytes>`] the codec makes.
    layout: SharedLayout,
    /// The one feed loop over the read buffer (tokio-util's `FramedRead`
    /// owns it and appends to it): `src[..start]` was fed, only ever the
    /// bytes the decoder's buffer holds, the last it consumed;
    /// `src[start..]` was not. Its remembered `need` keeps a frame not yet
    /// whole from being fed again until it can be.
    window: Window,
    /// Before or past the encoder's first frame (with the preface).
    opening: Opening,
}

impl FrameCodec {
    /// A codec for frames of `layout`, both ways. The frames it decodes
    /// refer to one copy of the layout the process keeps for its life,
    /// shared by every reader and codec built with an equal layout (the
    /// first 64 distinct layouts, at most 35 KiB); past those, they share
    /// a counted copy, two atomic operations a frame more.
    pub fn new(layout: Layout) -> Self {
        Self::with(SharedLayout::new(layout))
    }

    /// Like [`new`](Self::new), for a layout in a `const` or `static` item:
    /// the frames refer to it, and the process keeps no copy.
    ///
    /// ```
    /// use framing_std::codec::FrameCodec;
    /// use framing_std::Layout;
    ///
    /// const LAYOUT: Layout = Layout::new("!I");
    /// let codec = FrameCodec::from_static(&LAYOUT);
    /// assert_eq!(codec.layout(), &LAYOUT);
    /// ```
    pub fn from_static(layout: &'static Layout) -> Self {
        Self::with(SharedLayout::Static(layout))
    }

    fn with(layout: SharedLayout) -> Self {
        let limit = usize::try_from(layout.max_frame_len()).unwrap_or(usize::MAX);
        FrameCodec {
            decoder: framing_core::Decoder::new(Arc::new(*layout), GrowBuf::new(limit)),
            layout,
            window: Window::new(),
            opening: Opening::new(),
        }
    }

    /// The layout frames are decoded and encoded with.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// This codec, decoding frames only: see [`FramesOnly`].
    pub fn frames_only(self) -> FramesOnly {
        FramesOnly {
            codec: self,
            recovered: 0,
        }
    }

    /// Drops from `src` the bytes fed to the decoder that it no longer
    /// holds: all but those of a partial frame (or of a resynchronisation
    /// in progress) in its buffer, which are the last ones fed. Inline:
    /// "read more" for a line or COBS frame kept back calls it every read,
    /// nearly always to drop nothing (a call there was 20 instructions a
    /// 16-byte line in 7-byte chunks).
    #[inline(always)]
    fn release(&mut self, src: &mut BytesMut) {
        // Nothing fed is left (the usual case between frames, and always
        // when the window answered without the decoder): nothing to drop.
        // Skipping the rest here kept 7-byte reads as fast as before the
        // codec ran on `Window` (20% slower without).
        if self.window.start() == 0 {
            return;
        }
        let held = self.decoder.buffer().len();
        let drop = self.window.start().saturating_sub(held).min(src.len());
        self.drop_fed(src, drop);
    }

    /// Drops the first `n` bytes of `src`, all fed.
    #[inline(always)]
    fn drop_fed(&mut self, src: &mut BytesMut, n: usize) {
        // Nothing to drop is the usual case after a frame split off the
        // front; `BytesMut::advance` is a call, even for none.
        if n != 0 {
            src.advance(n);
            self.window.advance(n);
        }
    }

    /// The codec's turn, inline in `decode`: "read more" while the frame
    /// begun is still not whole, answered without the decoder (it said so
    /// when it kept the frame back, and room was reserved then); a frame
    /// already whole in `src` taken by the decoder's I1 (or D1) without
    /// its `Fed`, and split off; a frame begun and not whole yet kept back
    /// by its I0 (or D7), room reserved for it
    /// ([`Window::take_or_hold`]); anything else through the feed loop
    /// ([`turn`](Self::turn), out of line). In 7-byte chunks nearly every
    /// call is the first or the third. The frame is made here, in place:
    /// returned through memory from a call, it was written in words and
    /// read back in 16-byte moves, a store-forwarding stall at every frame
    /// (`perf annotate`; inline, `reader_cost`, ns a 16-byte frame: 7-byte
    /// chunks `!I` 66 -> 61, lines 78 -> 70; 64-byte chunks 41 -> 37;
    /// lines whole 34 -> 36).
    #[inline(always)]
    fn next(
        &mut self,
        src: &mut BytesMut,
        eof: bool,
    ) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        if !eof && self.window.arrived(src.len(), false) {
            if self.window.is_waiting() {
                return Ok(None);
            }
            if let Some((start, at)) = self.window.take_or_hold(src, &mut self.decoder, usize::MAX)
            {
                return self.made(src, start, Found::Item(at));
            }
            if self.window.is_waiting() {
                self.read_more(src, self.window.need());
                return Ok(None);
            }
        }
        self.turn(src, eof)
    }

    /// "Read more", the frame begun needing `need` bytes from the first
    /// unfed one ([`Pull::Read`]): fed bytes the decoder no longer holds
    /// dropped, and room reserved in `src` for the rest of the frame.
    #[inline(always)]
    fn read_more(&mut self, src: &mut BytesMut, need: usize) {
        self.release(src);
        let unfed = self.window.end() - self.window.start();
        if need > unfed {
            src.reserve((need - unfed).min(RESERVE_LIMIT));
        }
    }

    /// The codec's turn of the feed loop ([`Window::pull`]) over `src`,
    /// which tokio-util's `FramedRead` owns and appends to: "read more" is
    /// room reserved in `src` for the frame the decoder keeps back.
    #[inline(never)]
    fn turn(
        &mut self,
        src: &mut BytesMut,
        eof: bool,
    ) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        if !self.window.arrived(src.len(), eof) {
            return Err(lost());
        }
        // Between frames, the decoder keeps back a frame not whole yet (any
        // valid one: it fits the decoder's limit) until it lies whole in
        // `src`.
        let (start, found) = match self.window.pull(src, &mut self.decoder, usize::MAX) {
            Pull::Found { at, found } => (at, found),
            Pull::Read { need } => {
                self.read_more(src, need);
                return Ok(None);
            }
            Pull::End => {
                self.release(src);
                return Ok(None);
            }
            Pull::Failed(e) => return Err(error::from_decode(e)),
        };
        self.made(src, start, found)
    }

    /// The item the decoder `found` in the bytes of `src` from `start`,
    /// made: a frame or preface split off `src` (or copied from the
    /// decoder's buffer), or a report.
    #[inline(always)]
    fn made(
        &mut self,
        src: &mut BytesMut,
        start: usize,
        found: Found,
    ) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        let input = self.window.since(src, start);
        let (at, preface) = match found {
            Found::Item(at) => (at, false),
            Found::Preface(at) => (at, true),
            Found::Recovered(report) => {
                self.release(src);
                return Ok(Some(Decoded::Recovered(report)));
            }
        };
        // The head's length, as the decoder found it (recorded where the
        // frame lies whole in the input; read from the frame otherwise).
        let head = match at.head_len() {
            Some(head) => head,
            None => self.decoder.frame(input, at).header().as_bytes().len(),
        };
        // A frame whole in the input is split off `src`, no copy. One
        // assembled in the decoder's buffer is too when its bytes are the
        // last fed (still in `src`: a length frame whose head was found by
        // resynchronisation in bytes the decoder held); a delimited one is
        // copied from the buffer, where it was decoded (stuffed, escaped or
        // followed by its delimiter on the wire), and what was fed is then
        // dropped (a split takes it all with the frame).
        let bytes = match at.in_input() {
            Some(range) => self.split_fed(src, start + range.start..start + range.end)?,
            None if self.layout.delimiter().is_some() || preface => {
                let bytes = Bytes::copy_from_slice(self.decoder.buffer().as_slice());
                let fed = self.window.start();
                if fed > src.len() {
                    return Err(lost());
                }
                self.drop_fed(src, fed);
                bytes
            }
            None => {
                let (len, fed) = (self.decoder.buffer().len(), self.window.start());
                let from = fed.checked_sub(len).ok_or_else(lost)?;
                self.split_fed(src, from..fed)?
            }
        };
        debug_assert_eq!(self.window.start(), 0, "fed bytes left in src");
        if preface {
            let layout = SharedLayout::Static(&Layout::PREFACE);
            return Ok(Some(Decoded::Preface(OwnedFrame::new(bytes, head, layout))));
        }
        let layout = match self.layout.first_frame() {
            Some(first) if at.is_first_frame() => SharedLayout::Static(first),
            _ => self.layout.clone(),
        };
        Ok(Some(Decoded::Frame(OwnedFrame::new(bytes, head, layout))))
    }

    /// Splits the bytes fed so far off the front of `src`, keeping `frame`
    /// of them (what was fed before and after it, a COBS code byte or a
    /// delimiter, is cut off the split, not advanced past in `src`:
    /// `BytesMut::advance` is a call, 46 instructions a line, `truncate` a
    /// store); the window then counts from the end of what was fed.
    /// Inline: returned from a call, the `Bytes` was written in words and
    /// read back in 16-byte moves, a store-forwarding stall (`perf
    /// annotate`: a quarter of the codec's time at 16-byte frames).
    #[inline(always)]
    fn split_fed(&mut self, src: &mut BytesMut, frame: Range<usize>) -> io::Result<Bytes> {
        let fed = self.window.start();
        if fed > src.len() || frame.end > fed {
            return Err(lost());
        }
        let mut bytes = src.split_to(fed);
        self.window.advance(fed);
        bytes.truncate(frame.end);
        if frame.start != 0 {
            bytes.advance(frame.start);
        }
        Ok(bytes.freeze())
    }

    /// The encoder of both codec traits: appends the frame for `payload`
    /// to `dst`, or leaves `dst` as it was and returns the error.
    fn encode_payload(&mut self, payload: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        self.encode_message(Message::new(payload), dst)
    }

    /// As `encode_payload`, with the message's header values.
    fn encode_message(&mut self, message: Message<'_>, dst: &mut BytesMut) -> io::Result<()> {
        let Message { payload, fields } = message;
        let max = usize::try_from(self.layout.max_payload()).unwrap_or(usize::MAX);
        // Scratch space for the head (a delimited frame: the whole of it;
        // the first frame: the preface too), then room for the payload and
        // trailer, but never more than a valid frame needs.
        let scratch = self.opening.scratch_len(&self.layout, payload.len());
        let scratch = scratch.unwrap_or(usize::MAX);
        let start = dst.len();
        dst.reserve(
            scratch
                .saturating_add(payload.len().min(max))
                .saturating_add(self.layout.tail_len()),
        );
        dst.resize(start.saturating_add(scratch), 0);
        let out = &mut dst[start..];
        let encoded = self
            .opening
            .encode_parts(&self.layout, payload, fields, out);
        let (head, body, trailer) = match encoded {
            Ok(parts) => {
                let mut trailer = [0u8; 16];
                trailer[..parts.trailer().len()].copy_from_slice(parts.trailer());
                let len = parts.trailer().len();
                (parts.head().len(), parts.body(), (trailer, len))
            }
            Err(e) => {
                dst.truncate(start);
                return Err(error::from_encode(e));
            }
        };
        // The head is written in place; the body and trailer follow it.
        dst.truncate(start + head);
        dst.extend_from_slice(body);
        dst.extend_from_slice(&trailer.0[..trailer.1]);
        Ok(())
    }
}

#[cfg(feature = "tokio")]
impl Decoder for FrameCodec {
    type Item = Decoded<OwnedFrame<Bytes>>;
    type Error = io::Error;

    /// The next frame or recovery report; `Ok(None)` when `src` holds no
    /// more of either (its bytes are kept, or dropped if no frame needs
    /// them). Calling again with the same bytes and more appended goes on
    /// where this call stopped.
    ///
    /// # Errors
    /// [`InvalidData`](io::ErrorKind::InvalidData) wrapping the core's
    /// [`DecodeError`](framing_core::DecodeError) for a bad frame; the codec then returns it on every
    /// call. [`Other`](io::ErrorKind::Other) if bytes the codec was holding
    /// were removed from `src` by someone else.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        self.next(src, false)
    }

    /// Like [`decode`](Self::decode), then declares the end of the stream.
    ///
    /// # Errors
    /// As [`decode`](Self::decode), and
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) wrapping the core's
    /// [`Truncated`](framing_core::DecodeErrorKind::Truncated) error (with the
    /// missing byte count) if the stream ended inside a frame.
    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        // Whatever waits (a partial header, a frame not whole) goes to the
        // decoder now, with the end declared: a frame, a last report, the
        // clean end, or `Truncated`.
        self.next(src, true)
    }
}

#[cfg(feature = "tokio")]
impl Encoder<&[u8]> for FrameCodec {
    type Error = io::Error;

    /// Appends the frame for `payload` to `dst`: its header (the length and
    /// constants set, every other value zero), then the payload.
    ///
    /// # Errors
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) wrapping the core's
    /// [`EncodeError`](framing_core::EncodeError) if the payload is longer
    /// than the layout's maximum or its length does not fit the length
    /// field; `dst` is then left as it was.
    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        self.encode_payload(payload, dst)
    }
}

#[cfg(feature = "tokio")]
impl Encoder<Bytes> for FrameCodec {
    type Error = io::Error;

    /// As the `&[u8]` encoder.
    ///
    /// # Errors
    /// As the `&[u8]` encoder.
    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        Encoder::<&[u8]>::encode(self, &payload, dst)
    }
}

#[cfg(feature = "tokio")]
impl Encoder<Message<'_>> for FrameCodec {
    type Error = io::Error;

    /// Appends the frame for `message`: its header (the length, the
    /// constants and the message's values set, every other value zero),
    /// then its payload.
    ///
    /// # Errors
    /// As the `&[u8]` encoder, and `InvalidInput` wrapping
    /// [`EncodeError`](framing_core::EncodeError) for a value that names no
    /// field, the length or a constant, or does not fit its field; `dst` is
    /// then left as it was.
    fn encode(&mut self, message: Message<'_>, dst: &mut BytesMut) -> io::Result<()> {
        self.encode_message(message, dst)
    }
}

/// A frame to encode with header values of its own (a version, a message
/// type): its payload and `(index, value)` pairs, `index` into the tuple
/// `struct.unpack` returns, as
/// [`Layout::encode_with`](framing_core::Layout::encode_with) and
/// [`FrameWriter::write_frame_with`](crate::FrameWriter::write_frame_with)
/// take them. [`FrameCodec`] and [`FramesOnly`] encode it as tokio-util's
/// `Encoder<Message>` (asynchronous-codec's `Encoder` takes one item type,
/// and there it is `&[u8]`).
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # fn main() -> std::io::Result<()> {
/// use bytes::BytesMut;
/// use framing_std::codec::{FrameCodec, Message};
/// use framing_std::{Layout, Value};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// // magic u16, message type u8, a pad byte, length u32
/// const LAYOUT: Layout = Layout::builder("<HBxI")
///     .length_field(2)
///     .constant(0, Value::Int(0xCAFE))
///     .build_or_panic();
///
/// let mut codec = FrameCodec::new(LAYOUT);
/// let mut buf = BytesMut::new();
/// codec.encode(Message::new(b"hi").with(&[(1, Value::Int(7))]), &mut buf)?;
/// assert_eq!(&buf[..], b"\xfe\xca\x07\x00\x02\x00\x00\x00hi"); // struct.pack('<HBxI', 0xCAFE, 7, 2)
///
/// let frame = codec.decode(&mut buf)?.unwrap().frame().unwrap();
/// assert_eq!(frame.int(1), Some(7));
///
/// // The length and the constants are the layout's to set.
/// let e = codec.encode(Message::new(b"").with(&[(0, Value::Int(1))]), &mut buf).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(buf.is_empty());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "tokio"))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Message<'a> {
    /// The payload.
    pub payload: &'a [u8],
    /// Header values other than the length and the constants, as
    /// `(index, value)`; values not named are zero.
    pub fields: &'a [(usize, Value<'a>)],
}

impl<'a> Message<'a> {
    /// A message of `payload`, with no header values of its own.
    pub const fn new(payload: &'a [u8]) -> Self {
        Message {
            payload,
            fields: &[],
        }
    }

    /// The same message with header values `fields`.
    pub const fn with(self, fields: &'a [(usize, Value<'a>)]) -> Self {
        Message {
            payload: self.payload,
            fields,
        }
    }
}

/// [`FrameCodec`] for those who want frames only: its decoder yields
/// [`OwnedFrame<Bytes>`] instead of [`Decoded`], so a tokio read is
/// `framed.next().await` → `io::Result<OwnedFrame<Bytes>>`, with nothing to unwrap.
/// Made by [`FrameCodec::frames_only`].
///
/// A layout without a recovery policy gives no reports, so nothing is lost.
/// Under one ([`Oversize::Discard`](framing_core::Oversize::Discard),
/// [`resync`](framing_core::LayoutBuilder::resync)), the reports are
/// skipped and counted ([`recovered`](Self::recovered)); use [`FrameCodec`]
/// itself to see each one in order with the frames. Encoding is
/// `FrameCodec`'s.
///
/// ```
/// # #[cfg(feature = "tokio")]
/// # fn main() -> std::io::Result<()> {
/// use futures_util::{SinkExt, StreamExt};
/// use framing_std::codec::FrameCodec;
/// use framing_std::Layout;
/// use tokio_util::codec::Framed;
///
/// const LAYOUT: Layout = Layout::new("!I");
///
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// rt.block_on(async {
///     let (a, b) = tokio::io::duplex(1024);
///     let mut left = Framed::new(a, FrameCodec::new(LAYOUT).frames_only());
///     let mut right = Framed::new(b, FrameCodec::new(LAYOUT).frames_only());
///     left.send(&b"ping"[..]).await?;
///     let frame = right.next().await.unwrap()?; // a OwnedFrame<Bytes>, no Decoded
///     assert_eq!(frame.payload(), b"ping");
///     Ok(())
/// })
/// # }
/// # #[cfg(not(feature = "tokio"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct FramesOnly {
    codec: FrameCodec,
    recovered: u64,
}

impl FramesOnly {
    /// Frames of `layout`, frames only: `FrameCodec::new(layout).frames_only()`.
    pub fn new(layout: Layout) -> Self {
        FrameCodec::new(layout).frames_only()
    }

    /// The layout frames are decoded and encoded with.
    pub fn layout(&self) -> &Layout {
        self.codec.layout()
    }

    /// How many recovery reports were skipped so far (0 without a policy).
    pub fn recovered(&self) -> u64 {
        self.recovered
    }

    /// The codec, given back.
    pub fn into_inner(self) -> FrameCodec {
        self.codec
    }

    #[inline]
    fn next(&mut self, src: &mut BytesMut, eof: bool) -> io::Result<Option<OwnedFrame<Bytes>>> {
        loop {
            match self.codec.next(src, eof)? {
                Some(Decoded::Frame(frame)) => return Ok(Some(frame)),
                Some(Decoded::Recovered(_)) => self.recovered += 1,
                // A preface, or an item a later framing-core may add: not a frame.
                Some(_) => {}
                None => return Ok(None),
            }
        }
    }
}

#[cfg(feature = "tokio")]
impl Decoder for FramesOnly {
    type Item = OwnedFrame<Bytes>;
    type Error = io::Error;

    /// The next frame; recovery reports are skipped. `Ok(None)` when `src`
    /// holds no whole frame yet.
    ///
    /// # Errors
    /// As [`FrameCodec`]'s `decode`.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<OwnedFrame<Bytes>>> {
        self.next(src, false)
    }

    /// As [`decode`](Self::decode), then declares the end of the stream.
    ///
    /// # Errors
    /// As [`FrameCodec`]'s `decode_eof`.
    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<OwnedFrame<Bytes>>> {
        self.next(src, true)
    }
}

#[cfg(feature = "tokio")]
impl<T> Encoder<T> for FramesOnly
where
    FrameCodec: Encoder<T, Error = io::Error>,
{
    type Error = io::Error;

    /// As [`FrameCodec`]'s encoders (`&[u8]`, [`Bytes`], [`Message`]).
    ///
    /// # Errors
    /// As [`FrameCodec`]'s encoders.
    fn encode(&mut self, item: T, dst: &mut BytesMut) -> io::Result<()> {
        self.codec.encode(item, dst)
    }
}

#[cfg(feature = "futures")]
impl asynchronous_codec::Decoder for FramesOnly {
    type Item = OwnedFrame<Bytes>;
    type Error = io::Error;

    /// As the tokio `Decoder::decode` of [`FramesOnly`].
    ///
    /// # Errors
    /// As the tokio `Decoder::decode`.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<OwnedFrame<Bytes>>> {
        self.next(src, false)
    }

    /// As the tokio `Decoder::decode_eof` of [`FramesOnly`].
    ///
    /// # Errors
    /// As the tokio `Decoder::decode_eof`.
    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<OwnedFrame<Bytes>>> {
        self.next(src, true)
    }
}

#[cfg(feature = "futures")]
impl asynchronous_codec::Encoder for FramesOnly {
    type Item<'a> = &'a [u8];
    type Error = io::Error;

    /// As [`FrameCodec`]'s.
    ///
    /// # Errors
    /// As [`FrameCodec`]'s.
    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        self.codec.encode_payload(payload, dst)
    }
}

/// asynchronous-codec's `Decoder` (the futures-io counterpart of
/// tokio-util's): the same turn of the feed loop as the tokio `Decoder`.
#[cfg(feature = "futures")]
impl asynchronous_codec::Decoder for FrameCodec {
    type Item = Decoded<OwnedFrame<Bytes>>;
    type Error = io::Error;

    /// As the tokio `Decoder::decode`: the next frame or recovery report,
    /// `Ok(None)` when `src` holds no more of either.
    ///
    /// # Errors
    /// As the tokio `Decoder::decode`.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        self.next(src, false)
    }

    /// As the tokio `Decoder::decode_eof`: declares the end of the stream.
    ///
    /// # Errors
    /// As the tokio `Decoder::decode_eof`: `UnexpectedEof` if the stream
    /// ended inside a frame.
    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Decoded<OwnedFrame<Bytes>>>> {
        self.next(src, true)
    }
}

/// asynchronous-codec's `Encoder`, for payloads as `&[u8]`: the same
/// encoder as the tokio `Encoder`.
#[cfg(feature = "futures")]
impl asynchronous_codec::Encoder for FrameCodec {
    type Item<'a> = &'a [u8];
    type Error = io::Error;

    /// As the tokio `Encoder::encode`.
    ///
    /// # Errors
    /// As the tokio `Encoder::encode`: `InvalidInput` for a payload that
    /// cannot be encoded, `dst` left as it was.
    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        self.encode_payload(payload, dst)
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;

    /// A partial header stays in the read buffer, untouched however often
    /// `decode` sees it; so does a frame that is not whole yet.
    #[test]
    fn partial_frames_are_kept_in_place_across_calls() {
        let mut codec = FrameCodec::new(Layout::new("!I"));
        let mut src = BytesMut::from(&b"\x00\x00"[..]);
        for piece in [&b""[..], b"", b"\x00", b"\x03", b"x", b"y"] {
            src.extend_from_slice(piece);
            let held = src.to_vec();
            assert_eq!(codec.decode(&mut src).unwrap(), None);
            assert_eq!(src, held);
            assert_eq!(codec.decoder.offset(), 0); // nothing fed yet
        }
        src.extend_from_slice(b"z");
        let frame = codec.decode(&mut src).unwrap().unwrap();
        assert_eq!(frame.frame().unwrap().as_bytes(), b"\x00\x00\x00\x03xyz");
        assert!(src.is_empty());
        assert_eq!(codec.decoder.buffer().len(), 0); // never copied
    }

    /// Bytes not yet fed, taken back by the buffer's owner and replaced,
    /// are judged afresh: what the codec remembered of the old ones (a
    /// frame of 14 bytes on the way) does not hold back a shorter frame.
    #[test]
    fn unfed_bytes_taken_back_are_judged_again() {
        let mut codec = FrameCodec::new(Layout::new("!I"));
        let mut src = BytesMut::from(&b"\x00\x00\x00\x0aab"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert_eq!(codec.decoder.offset(), 0); // kept back, nothing fed
        src.clear();
        src.extend_from_slice(b"\x00\x00\x00\x01z");
        let frame = codec.decode(&mut src).unwrap().unwrap();
        assert_eq!(frame.frame().unwrap().payload(), b"z");
        assert!(src.is_empty());
    }

    #[test]
    fn a_buffer_emptied_behind_the_codec_is_an_error_not_a_panic() {
        let layout = Layout::builder("!HH")
            .length_field(1)
            .constant(0, Value::Int(0xBEEF))
            .resync(true)
            .build()
            .unwrap();
        let mut codec = FrameCodec::new(layout);
        // A bad header: the decoder resynchronises and keeps the last three
        // bytes, which might begin a header.
        let mut src = BytesMut::from(&b"\x01\x02\x03\x04\xbe"[..]);
        assert_eq!(codec.decode(&mut src).unwrap(), None);
        assert_eq!(&src[..], b"\x03\x04\xbe");
        src.clear();
        let e = codec.decode(&mut src).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other);
    }
}
