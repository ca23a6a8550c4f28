//! The `embedded_reader` property: `framing_core::embedded`'s readers over an
//! `embedded_io::Read` that returns short reads of any size and
//! `Interrupted` now and then, with read buffers of any size, give the same
//! frames, recovery reports and errors as one whole decode. With the
//! `embedded-io-async` feature, so do `framing_core::embedded_async`'s
//! readers over the same reads, pending before each one, both polled to
//! completion and cancelled: each future dropped at its first `Pending` and
//! the call made again (see [`Drive`]).
//!
//! Needs only `framing-core` with its `embedded-io` feature (and
//! `embedded-io-async` for the async drives), `embedded-io`
//! (`embedded-io-async`) and `std`. It refers to the shared checks as
//! `crate::checks`, so the replay test (`framing-core/tests/fuzz_corpus.rs`)
//! includes both files with `#[path]`, as `mod checks; mod embedded_checks;`;
//! `cfg(feature = "embedded-io-async")` is framing-core's feature there and
//! the fuzz crate's own (on by default) here.
//!
//! ```text
//!  | layout spec | buffer | read size | flags | n | n read steps | stream bytes ... |
//! ```
//!
//! - layout spec and buffer: as `split_equivalence` (`checks::Spec`,
//!   `checks::capacity`); the buffer is the `FrameReader`'s decoder's.
//! - read size: the read buffer lent to the readers: `r < 192` gives
//!   `1 + r % 64` bytes, else one of [`LARGE_READS`].
//! - flags: bit 0 owns the layout (`Decoder<Layout, _>`) instead of sharing
//!   it (`Decoder<&Layout, _>`); bits 1-2 add 0-3 bytes to the streaming
//!   decoder's one-header buffer.
//! - read steps (at most 31, repeated until the stream is read): `s % 4 == 0`
//!   is an `Interrupted` error (never two in a row), else a read of at most
//!   `1 + s / 4` bytes (1..=64). No steps: every read fills what it is given.
//!
//! Every recovery policy the spec allows is run: with and without
//! `Oversize::Discard`, and with and without resynchronisation when the
//! spec has constants; and every [`Drive`].

use core::borrow::Borrow;

use embedded_io::{ErrorKind, ErrorType, Read};
use framing_core::embedded::{Error, FrameReader, StreamReader};
use framing_core::{Buffer, Decoded, Decoder, Event, Frame, Layout, SliceBuffer, StreamDecoder};

use crate::checks::{capacity, out_of, run_whole, Input, Joiner, Out, Spec, BIG_BUFFER};

/// Read buffer sizes above 64 bytes, chosen by a read size byte of 192 up.
pub const LARGE_READS: [usize; 4] = [65, 100, 256, 1024];

/// What one `read` call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Returns at most this many bytes (at least one, unless at the end).
    Read(usize),
    /// Fails with `Interrupted`.
    Interrupted,
}

/// An in-memory `embedded_io::Read` that follows its script of steps over
/// and over. It refuses to be read into an empty buffer (a reader that does
/// that takes the `Ok(0)` for the end of the stream) and to be read far more
/// often than the stream needs.
#[derive(Debug)]
struct Scripted<'a> {
    data: &'a [u8],
    steps: &'a [Step],
    next: usize,
    last_interrupted: bool,
    reads: usize,
    max_reads: usize,
}

impl<'a> Scripted<'a> {
    fn new(data: &'a [u8], steps: &'a [Step]) -> Self {
        Scripted {
            data,
            steps,
            next: 0,
            last_interrupted: false,
            reads: 0,
            // Every read but an `Interrupted` one (never two in a row) and
            // the last gives at least one byte.
            max_reads: 2 * data.len() + 4,
        }
    }
}

impl ErrorType for Scripted<'_> {
    type Error = ErrorKind;
}

impl Read for Scripted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.reads += 1;
        assert!(
            self.reads <= self.max_reads,
            "{} reads for {} bytes: no progress",
            self.reads,
            self.max_reads / 2 - 2
        );
        assert!(!buf.is_empty(), "read into an empty buffer");
        let step = if self.steps.is_empty() {
            Step::Read(usize::MAX)
        } else {
            let step = self.steps[self.next % self.steps.len()];
            self.next += 1;
            step
        };
        let max = match step {
            Step::Interrupted if !self.last_interrupted => {
                self.last_interrupted = true;
                return Err(ErrorKind::Interrupted);
            }
            Step::Interrupted => usize::MAX,
            Step::Read(n) => n,
        };
        self.last_interrupted = false;
        let n = max.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// How the readers under test are driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    /// `framing_core::embedded`'s blocking readers over [`Scripted`].
    Blocking,
    /// `framing_core::embedded_async`'s readers over the same reads,
    /// pending once before each; every future polled to completion.
    #[cfg(feature = "embedded-io-async")]
    Async,
    /// As `Async`, but every future is dropped at its first `Pending` and
    /// the call made again: the readers' cancel safety.
    #[cfg(feature = "embedded-io-async")]
    Cancelled,
}

/// Every drive this build has.
pub fn drives() -> Vec<Drive> {
    #[allow(unused_mut)]
    let mut drives = vec![Drive::Blocking];
    #[cfg(feature = "embedded-io-async")]
    drives.extend([Drive::Async, Drive::Cancelled]);
    drives
}

/// The async side: a reader that pends, and a poll loop.
#[cfg(feature = "embedded-io-async")]
mod paced {
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll, Waker};

    use embedded_io::{ErrorKind, ErrorType};

    use super::Scripted;

    /// [`Scripted`] as an `embedded_io_async::Read` that returns `Pending`
    /// once before each read. Whether the next read pends is the reader's
    /// state, not the future's: a read future dropped at its `Pending` has
    /// taken no bytes, and the call made again reads at once.
    #[derive(Debug)]
    pub struct Paced<'a> {
        pub inner: Scripted<'a>,
        pend: bool,
    }

    impl<'a> Paced<'a> {
        pub fn new(inner: Scripted<'a>) -> Self {
            Paced { inner, pend: true }
        }
    }

    impl ErrorType for Paced<'_> {
        type Error = ErrorKind;
    }

    impl embedded_io_async::Read for Paced<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
            if self.pend {
                self.pend = false;
                YieldOnce(false).await;
            }
            self.pend = true;
            embedded_io::Read::read(&mut self.inner, buf)
        }
    }

    /// `Pending` once (waking itself), then ready.
    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Polls `f` once.
    pub fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Polls `f` until it is ready (a bounded number of times: the readers
    /// under test never wait for anything but [`Paced`]).
    pub fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = core::pin::pin!(f);
        for _ in 0..10_000_000u32 {
            if let Poll::Ready(out) = poll_once(f.as_mut()) {
                return out;
            }
        }
        panic!("a future that never completes")
    }
}

/// Runs the future `$fut` to completion ([`paced::block_on`]) or, when
/// `$cancel`, makes it again and polls it once until it is ready at its
/// first poll, dropping each one that pends: a cancellation at every
/// `Pending`. `$fut` is an expression evaluated anew each time; its output
/// must not borrow what it borrows.
#[cfg(feature = "embedded-io-async")]
macro_rules! drive {
    ($cancel:expr, $fut:expr) => {{
        if $cancel {
            let mut polls = 0u32;
            loop {
                polls += 1;
                assert!(polls < 10_000_000, "a call that never completes");
                if let core::task::Poll::Ready(out) = paced::poll_once(core::pin::pin!($fut)) {
                    break out;
                }
                // Dropped at `Pending`: cancelled. Call again.
            }
        } else {
            paced::block_on($fut)
        }
    }};
}

#[cfg(feature = "embedded-io-async")]
use framing_core::embedded_async;

/// A `FrameReader`, blocking or async, over the scripted reads.
enum Frames<'b, 'a, L, B> {
    Blocking(FrameReader<'b, Scripted<'a>, L, B>),
    #[cfg(feature = "embedded-io-async")]
    Async(
        embedded_async::FrameReader<'b, paced::Paced<'a>, L, B>,
        bool,
    ),
}

impl<'b, 'a, L: Borrow<Layout>, B: Buffer> Frames<'b, 'a, L, B> {
    fn new(drive: Drive, inner: Scripted<'a>, decoder: Decoder<L, B>, buf: &'b mut [u8]) -> Self {
        match drive {
            Drive::Blocking => Frames::Blocking(FrameReader::new(inner, decoder, buf)),
            #[cfg(feature = "embedded-io-async")]
            Drive::Async | Drive::Cancelled => Frames::Async(
                embedded_async::FrameReader::new(paced::Paced::new(inner), decoder, buf),
                drive == Drive::Cancelled,
            ),
        }
    }

    /// `next` (or, with `frames_only`, `next_frame`), the item passed to
    /// `see`: the futures are dropped before this returns, so what `see`
    /// makes of the item cannot borrow the reader.
    fn next_with<T>(
        &mut self,
        frames_only: bool,
        mut see: impl FnMut(Decoded<Frame<'_>>) -> T,
    ) -> Result<Option<T>, Error<ErrorKind>> {
        match self {
            Frames::Blocking(r) if frames_only => {
                Ok(r.next_frame()?.map(|f| see(Decoded::Frame(f))))
            }
            Frames::Blocking(r) => Ok(r.next_item()?.map(see)),
            #[cfg(feature = "embedded-io-async")]
            Frames::Async(r, cancel) => drive!(*cancel, async {
                if frames_only {
                    Ok::<_, Error<ErrorKind>>(r.next_frame().await?.map(|f| see(Decoded::Frame(f))))
                } else {
                    Ok(r.next_item().await?.map(&mut see))
                }
            }),
        }
    }

    fn decoder(&self) -> &Decoder<L, B> {
        match self {
            Frames::Blocking(r) => r.decoder(),
            #[cfg(feature = "embedded-io-async")]
            Frames::Async(r, _) => r.decoder(),
        }
    }

    /// The stream bytes not read yet.
    fn unread(&self) -> &[u8] {
        match self {
            Frames::Blocking(r) => r.get_ref().data,
            #[cfg(feature = "embedded-io-async")]
            Frames::Async(r, _) => r.get_ref().inner.data,
        }
    }
}

/// A `StreamReader`, blocking or async, over the scripted reads.
enum Events<'b, 'a, L, B> {
    Blocking(StreamReader<'b, Scripted<'a>, L, B>),
    #[cfg(feature = "embedded-io-async")]
    Async(
        embedded_async::StreamReader<'b, paced::Paced<'a>, L, B>,
        bool,
    ),
}

impl<'b, 'a, L: Borrow<Layout>, B: Buffer> Events<'b, 'a, L, B> {
    fn new(
        drive: Drive,
        inner: Scripted<'a>,
        decoder: StreamDecoder<L, B>,
        buf: &'b mut [u8],
    ) -> Self {
        match drive {
            Drive::Blocking => Events::Blocking(StreamReader::new(inner, decoder, buf)),
            #[cfg(feature = "embedded-io-async")]
            Drive::Async | Drive::Cancelled => Events::Async(
                embedded_async::StreamReader::new(paced::Paced::new(inner), decoder, buf),
                drive == Drive::Cancelled,
            ),
        }
    }

    /// `next_event`, the event passed to `see` (as [`Frames::next_with`]).
    fn next_with<T>(
        &mut self,
        mut see: impl FnMut(Event<'_>) -> T,
    ) -> Result<Option<T>, Error<ErrorKind>> {
        match self {
            Events::Blocking(r) => Ok(r.next_event()?.map(&mut see)),
            #[cfg(feature = "embedded-io-async")]
            Events::Async(r, cancel) => drive!(*cancel, async {
                Ok::<_, Error<ErrorKind>>(r.next_event().await?.map(&mut see))
            }),
        }
    }

    fn decoder(&self) -> &StreamDecoder<L, B> {
        match self {
            Events::Blocking(r) => r.decoder(),
            #[cfg(feature = "embedded-io-async")]
            Events::Async(r, _) => r.decoder(),
        }
    }
}

/// Where a borrowed slice lies: in the read buffer or not.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    len: usize,
}

impl Span {
    fn of(buf: &[u8]) -> Self {
        Span {
            start: buf.as_ptr() as usize,
            len: buf.len(),
        }
    }

    /// Whether `bytes` lies inside this span.
    fn holds(&self, bytes: &[u8]) -> bool {
        let p = bytes.as_ptr() as usize;
        p >= self.start && p + bytes.len() <= self.start + self.len
    }
}

/// A decode error from a reader, or a panic for any other error: the
/// script's `Interrupted` must never surface.
fn decode_error(e: Error<ErrorKind>) -> framing_core::DecodeError {
    match e {
        Error::Decode(e) => e,
        other => panic!("the reader returned {other:?}"),
    }
}

/// What [`run_frame_reader`] sees of a frame: its length and whether its
/// header and its payload lie in the read buffer.
struct Seen {
    whole: usize,
    header_here: bool,
    payload_here: bool,
}

/// Reads every item with `FrameReader::next_item` (or, with `frames_only`,
/// every frame with `next_frame`) until the end or an error.
fn run_frame_reader<L: Borrow<Layout>>(
    drive: Drive,
    layout: &Layout,
    decoder: Decoder<L, SliceBuffer<'_>>,
    read_size: usize,
    stream: &[u8],
    steps: &[Step],
    frames_only: bool,
) -> Vec<Out> {
    let mut read_buf = vec![0u8; read_size];
    let span = Span::of(&read_buf);
    let mut reader = Frames::new(drive, Scripted::new(stream, steps), decoder, &mut read_buf);
    let mut out = Vec::new();
    // Whether the last item was a frame borrowed from the read buffer (or
    // there was none): the decoder was then left between frames with
    // nothing buffered, so the next frame is kept whole in the read buffer
    // if it fits. (After a report it may not be: the decoder goes on past a
    // discarded payload or skipped bytes into the next frame. `next_frame`
    // hides the reports, so only `next` is checked.)
    let mut zero_copy = !frames_only;
    loop {
        // Each item consumes at least one byte; the end may add a report.
        assert!(out.len() <= stream.len() + 2, "no progress: {out:?}");
        let got = reader.next_with(frames_only, |item| {
            let seen = match &item {
                Decoded::Frame(f) => Some(Seen {
                    whole: f.header().as_bytes().len() + f.payload().len() + f.trailer().len(),
                    header_here: span.holds(f.header().as_bytes()),
                    payload_here: span.holds(f.payload()),
                }),
                _ => None,
            };
            (seen, out_of(layout, item))
        });
        match got {
            Ok(Some((seen, item))) => {
                if let Some(Seen {
                    whole,
                    header_here: here,
                    payload_here,
                }) = seen
                {
                    // (Delimited frames are decoded into the decoder's buffer, or
                    // found where a read ended: no such promise.)
                    if zero_copy && whole <= read_size && layout.delimiter().is_none() {
                        assert!(
                            here,
                            "a {whole}-byte frame copied past a {read_size}-byte read buffer"
                        );
                    }
                    if here {
                        assert!(payload_here, "header and payload apart");
                    }
                    zero_copy = here && !frames_only;
                } else {
                    assert!(!frames_only, "next_frame returned a report");
                    zero_copy = false;
                }
                out.push(item);
            }
            Ok(None) => {
                assert!(reader.decoder().is_at_boundary(), "ended inside a frame");
                assert_eq!(
                    reader.decoder().offset(),
                    stream.len() as u64,
                    "ended before the end of the stream"
                );
                assert_eq!(
                    reader.next_with(false, |_| ()).map(|d| d.is_some()),
                    Ok(false),
                    "after the end"
                );
                assert_eq!(reader.unread(), &[] as &[u8], "bytes left unread");
                break;
            }
            Err(e) => {
                let e = decode_error(e);
                out.push(Out::Err(e));
                let again = reader.next_with(false, |_| ()).map(|d| d.is_some());
                assert_eq!(
                    again,
                    Err(Error::Decode(e)),
                    "a failed reader repeats its error"
                );
                assert_eq!(reader.decoder().failure(), Some(e));
                break;
            }
        }
    }
    out
}

/// Reads every event with `StreamReader::next_event`, joined into frames.
fn run_stream_reader<L: Borrow<Layout>>(
    drive: Drive,
    layout: &Layout,
    decoder: StreamDecoder<L, SliceBuffer<'_>>,
    read_size: usize,
    stream: &[u8],
    steps: &[Step],
) -> Vec<Out> {
    let mut read_buf = vec![0u8; read_size];
    let span = Span::of(&read_buf);
    let mut reader = Events::new(drive, Scripted::new(stream, steps), decoder, &mut read_buf);
    let mut out = Vec::new();
    let mut joiner = Joiner::default();
    let mut events = 0usize;
    loop {
        events += 1;
        // A header, a piece and an end per byte at most, and the end.
        assert!(events <= 3 * stream.len() + 3, "no progress: {out:?}");
        let got = reader.next_with(|event| {
            if let Event::Payload(piece) = event {
                assert!(span.holds(piece), "a payload piece copied");
            }
            joiner.event(layout, event)
        });
        match got {
            Ok(Some(joined)) => out.extend(joined),
            Ok(None) => {
                assert_eq!(reader.decoder().remaining(), None, "ended inside a frame");
                assert_eq!(
                    reader.decoder().offset(),
                    stream.len() as u64,
                    "ended before the end of the stream"
                );
                let again = reader.next_with(|_| ()).map(|e| e.is_some());
                assert_eq!(again, Ok(false), "after the end");
                break;
            }
            Err(e) => {
                let e = decode_error(e);
                out.push(Out::Err(e));
                let again = reader.next_with(|_| ()).map(|e| e.is_some());
                assert_eq!(
                    again,
                    Err(Error::Decode(e)),
                    "a failed reader repeats its error"
                );
                break;
            }
        }
    }
    out
}

/// Both readers over one layout, against one whole decode each.
#[allow(clippy::too_many_arguments)]
fn check_layout(
    drive: Drive,
    spec: &Spec<'_>,
    cap: usize,
    read_size: usize,
    owned: bool,
    stream_extra: usize,
    stream: &[u8],
    steps: &[Step],
) -> bool {
    let Some(layout) = spec.build(spec.max_payload) else {
        return false;
    };
    let whole = run_whole(layout, cap, &[stream]);
    for frames_only in [false, true] {
        let mut storage = vec![0u8; cap];
        let buf = SliceBuffer::new(&mut storage);
        let got = if owned {
            let decoder = Decoder::new(layout, buf);
            run_frame_reader(
                drive,
                &layout,
                decoder,
                read_size,
                stream,
                steps,
                frames_only,
            )
        } else {
            let decoder = Decoder::new(&layout, buf);
            run_frame_reader(
                drive,
                &layout,
                decoder,
                read_size,
                stream,
                steps,
                frames_only,
            )
        };
        let want: Vec<Out> = whole
            .iter()
            .filter(|o| !(frames_only && matches!(o, Out::Recovered(_))))
            .cloned()
            .collect();
        assert_eq!(
            got, want,
            "{drive:?} FrameReader (next_frame: {frames_only}), read buffer {read_size}, steps {steps:?}"
        );
    }

    // The streaming reader equals the whole-frame decoder when the maximum
    // payload, not the buffer, is the limit (and the frames have a length).
    if layout.delimiter().is_some() {
        return true;
    }
    let clamped_max = spec
        .max_payload
        .min((BIG_BUFFER - layout.max_head_len() - layout.trailer_len()) as u64);
    let clamped = spec
        .build(clamped_max)
        .expect("a lower max_payload builds too");
    let reference = run_whole(clamped, BIG_BUFFER, &[stream]);
    let mut storage = vec![0u8; clamped.min_buffer_len() + stream_extra];
    let buf = SliceBuffer::new(&mut storage);
    let got = if owned {
        run_stream_reader(
            drive,
            &clamped,
            StreamDecoder::new(clamped, buf),
            read_size,
            stream,
            steps,
        )
    } else {
        run_stream_reader(
            drive,
            &clamped,
            StreamDecoder::new(&clamped, buf),
            read_size,
            stream,
            steps,
        )
    };
    assert_eq!(
        got, reference,
        "{drive:?} StreamReader, read buffer {read_size}, steps {steps:?}"
    );
    true
}

/// `embedded_reader`: for a layout, a decoder buffer, a read buffer size,
/// a script of short and interrupted reads and stream bytes from `data`,
/// `FrameReader::next_item` gives exactly the frames, reports and error of one
/// whole decode, `next_frame` the same without the reports, and
/// `StreamReader` those of the streaming reference; `Interrupted` never
/// surfaces, no byte is lost or read twice, a failed reader repeats its
/// error, payload pieces are never copied, and a frame that fits the read
/// buffer is borrowed from it unless the one before was not. All of this
/// for every [`Drive`]: the async readers, polled to completion or
/// cancelled at every `Pending`, equal the blocking ones.
pub fn embedded_reader(data: &[u8]) -> bool {
    let mut input = Input::new(data);
    let Some(spec) = Spec::parse(&mut input) else {
        return false;
    };
    let Some(layout) = spec.build(spec.max_payload) else {
        return false;
    };
    let cap = capacity(&mut input, &layout);
    let r = input.byte();
    let read_size = if r < 192 {
        1 + usize::from(r % 64)
    } else {
        LARGE_READS[usize::from(r) % LARGE_READS.len()]
    };
    let flags = input.byte();
    let owned = flags & 1 != 0;
    let stream_extra = usize::from((flags >> 1) & 3);
    let n_steps = usize::from(input.byte() % 32);
    let steps: Vec<Step> = input
        .take(n_steps)
        .iter()
        .map(|&s| {
            if s % 4 == 0 {
                Step::Interrupted
            } else {
                Step::Read(1 + usize::from(s / 4))
            }
        })
        .collect();
    let stream = input.rest();

    let mut exercised = false;
    let resyncs: &[bool] = if spec.constants.is_empty() {
        &[false]
    } else {
        &[false, true]
    };
    for drive in drives() {
        for discard in [false, true] {
            for &resync in resyncs {
                let policy = Spec {
                    discard,
                    resync,
                    ..spec.clone()
                };
                exercised |= check_layout(
                    drive,
                    &policy,
                    cap,
                    read_size,
                    owned,
                    stream_extra,
                    stream,
                    &steps,
                );
            }
        }
    }
    exercised
}
