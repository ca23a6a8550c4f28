//! The event loop `serve` and `tap` share: one thread runs every
//! connection (a tokio `current_thread` runtime), a second prints
//! ([`Output`]). Whatever the number of connections, the process has these
//! two threads.
//!
//! One thread is also what orders the output: `tap` queues a frame's line
//! right after the frame's last byte was written on, with no await between,
//! and nothing else runs meanwhile; so lines are queued in the order their
//! bytes were forwarded, both directions of every connection together.
//!
//! Every byte a connection sends is read through a [`Wire`]: the socket's
//! read half, with the deadlines (`--idle-timeout` between frames,
//! `--frame-timeout` from a frame's first byte), the budget of bytes held
//! in frames not yet whole across all connections (`--max-buffered`), and
//! for `tap` the forwarding of every byte read (bounded by
//! `--write-timeout`). framing-std's async [`FrameReader`] reads frames
//! from it: decoding is framing-std's, never done here.
//!
//! [`FrameReader`]: framing_std::tokio::FrameReader

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use clap::Args;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::time::Sleep;

use framing_std::tokio::{FrameReader, FrameWriter};
use framing_std::{error, Decoded};

use crate::commands::{describe, Stalled};
use crate::output::Output;
use crate::watch::{Ctx, Stats, View};
use crate::Fail;

/// What a client may cost, for `serve` and `tap` alike.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Connections served at once; more are refused at accept (accepted
    /// and closed at once, counted, and logged at most once a second).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Close a connection that sends nothing for SECS between frames
    /// (tap: that carries no byte either way for SECS).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub idle_timeout: f64,
    /// Close a connection whose frame is not whole SECS after its first
    /// byte (a slow or stalled sender).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub frame_timeout: f64,
    /// Close a connection whose peer takes in nothing of what is written to
    /// it (serve: the echo; tap: the bytes forwarded) for SECS; the others
    /// go on meanwhile. Default: the --idle-timeout.
    #[arg(long, value_name = "SECS")]
    pub write_timeout: Option<f64>,
    /// Bytes held in frames not yet whole, across all connections: a
    /// connection whose bytes take the total past BYTES is closed, with the
    /// reason logged, and new connections are refused while it is past.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_buffered: u64,
}

/// [`LimitArgs`], checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) idle: Duration,
    pub(crate) frame: Duration,
    pub(crate) write: Duration,
    pub(crate) max_buffered: usize,
}

/// The longest wait an option can ask for (a year): a deadline is an
/// `Instant` plus the wait, which must not overflow.
const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a number of seconds given to option `name` (more than a year is
/// a year).
pub(crate) fn seconds(value: f64, name: &str) -> Result<Duration, Fail> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|t| !t.is_zero())
        .map(|t| t.min(MAX_WAIT))
        .ok_or_else(|| {
            Fail::Usage(format!(
                "invalid {name} {value}: give a positive number of seconds"
            ))
        })
}

impl LimitArgs {
    /// The limits, or a usage error.
    pub(crate) fn limits(&self) -> Result<Limits, Fail> {
        if self.max_connections == 0 {
            return Err(Fail::Usage(
                "invalid --max-connections 0: give at least 1".into(),
            ));
        }
        let idle = seconds(self.idle_timeout, "--idle-timeout")?;
        Ok(Limits {
            max_connections: self.max_connections,
            idle,
            frame: seconds(self.frame_timeout, "--frame-timeout")?,
            write: match self.write_timeout {
                Some(s) => seconds(s, "--write-timeout")?,
                None => idle,
            },
            max_buffered: usize::try_from(self.max_buffered).unwrap_or(usize::MAX),
        })
    }
}

/// The runtime: one thread, this one.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Fail> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Fail::Data(format!("cannot start the event loop: {e}")))
}

/// The listen backlog: connections the kernel completes before they are
/// accepted (std's 128 overflows under a burst of clients, which then wait
/// for SYN retries).
const BACKLOG: u32 = 4096;

/// Listens on the first of `addrs` that can be bound.
pub(crate) fn listen(addrs: &[SocketAddr]) -> io::Result<TcpListener> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address");
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let bound = socket.and_then(|s| {
            s.set_reuseaddr(true)?;
            s.bind(*addr)?;
            s.listen(BACKLOG)
        });
        match bound {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Descriptors kept for what is not a connection: stdio, the listener, the
/// event loop's own, a refused connection being closed.
const RESERVED_DESCRIPTORS: u64 = 16;

/// Raises the soft limit on open descriptors to the hard limit (as Go's
/// runtime does at start: the soft limit of 1024 is a relic of `select`,
/// which nothing here uses), and returns how many connections fit in it at
/// `per_connection` descriptors each: at most `max`, with a warning when
/// fewer. The `rlimit` crate makes the calls (safe code: this workspace
/// denies `unsafe`, and `setrlimit` through `libc` is an unsafe call).
pub(crate) fn fit_connections(max: usize, per_connection: u64, out: &Output) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(soft) => soft,
        Err(e) => {
            out.log(format!(
                "framing: cannot raise the open-file limit: {e}; --max-connections {max} is not checked"
            ));
            return max;
        }
    };
    let fit = limit.saturating_sub(RESERVED_DESCRIPTORS) / per_connection;
    let fit = usize::try_from(fit).unwrap_or(usize::MAX).max(1);
    if fit < max {
        out.log(format!(
            "framing: warning: --max-connections {max} does not fit in the open-file limit \
             ({limit}, the hard limit; {per_connection} per connection): at most {fit} \
             connections are served, more are refused"
        ));
        fit
    } else {
        max
    }
}

/// The signals that stop `serve` and `tap`: SIGINT and SIGTERM.
pub(crate) struct Signals {
    int: Signal,
    term: Signal,
}

impl Signals {
    pub(crate) fn new() -> Result<Signals, Fail> {
        let fail = |e: io::Error| Fail::Data(format!("cannot handle signals: {e}"));
        Ok(Signals {
            int: signal(SignalKind::interrupt()).map_err(fail)?,
            term: signal(SignalKind::terminate()).map_err(fail)?,
        })
    }

    /// The next SIGINT or SIGTERM.
    pub(crate) async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

/// How long accepting stops when descriptors run out.
const ACCEPT_PAUSE: Duration = Duration::from_millis(500);

/// Why connections were refused since the last line about it.
#[derive(Default)]
struct Refusals {
    count: u64,
    why: String,
    last: Option<Instant>,
}

/// A connection being served: counted until dropped.
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the accept loop shares with the connections.
pub(crate) struct Shared {
    pub(crate) limits: Limits,
    /// Bytes held in frames not yet whole, all connections together.
    pub(crate) held: Arc<AtomicUsize>,
    pub(crate) out: Output,
    pub(crate) stats: Arc<Stats>,
}

/// Accepts connections until a signal, handing each to `serve_one` (which
/// spawns it) with its number and slot; refuses those past a limit at
/// accept. `max`: the connections that fit.
pub(crate) async fn accept_loop(
    listener: &TcpListener,
    shared: &Shared,
    max: usize,
    signals: &mut Signals,
    mut serve_one: impl FnMut(TcpStream, SocketAddr, u64, Slot),
) {
    let active = Arc::new(AtomicUsize::new(0));
    let mut refusals = Refusals::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut number = 0u64;
    loop {
        let accepted = tokio::select! {
            biased;
            () = signals.next() => break,
            _ = tick.tick() => {
                flush_refusals(&mut refusals, &shared.out);
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) if matches!(e.raw_os_error(), Some(23 | 24)) => {
                // Out of descriptors (EMFILE, ENFILE), although the limit
                // leaves room: something else holds them. Every accept
                // would fail the same way until one closes: pause (as
                // nginx does), still answering signals.
                shared.out.log(format!(
                    "framing: accept failed: {e}; pausing accepts for 500 ms"
                ));
                tokio::select! {
                    () = signals.next() => break,
                    () = tokio::time::sleep(ACCEPT_PAUSE) => continue,
                }
            }
            Err(e) => {
                shared.out.log(format!("framing: accept failed: {e}"));
                continue;
            }
        };
        let open = active.load(Ordering::Relaxed);
        let held = shared.held.load(Ordering::Relaxed);
        let why = if open >= max {
            Some(format!("{max} connections open (--max-connections)"))
        } else if held >= shared.limits.max_buffered {
            Some(format!(
                "{held} bytes held in frames in flight (--max-buffered {})",
                shared.limits.max_buffered
            ))
        } else {
            None
        };
        if let Some(why) = why {
            // Accepted and closed at once: the client learns at once,
            // instead of waiting in the backlog.
            drop(stream);
            shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            refusals.count += 1;
            refusals.why = why;
            let now = Instant::now();
            if refusals
                .last
                .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
            {
                flush_refusals(&mut refusals, &shared.out);
            }
            let _ = peer;
            continue;
        }
        active.fetch_add(1, Ordering::Relaxed);
        number += 1;
        shared.stats.connections.fetch_add(1, Ordering::Relaxed);
        serve_one(stream, peer, number, Slot(Arc::clone(&active)));
    }
    flush_refusals(&mut refusals, &shared.out);
}

/// Logs the refusals not yet logged, one line with their exact count.
fn flush_refusals(refusals: &mut Refusals, out: &Output) {
    if refusals.count == 0 {
        return;
    }
    out.log(format!(
        "refused {} connections: {}; closed at accept",
        refusals.count, refusals.why
    ));
    refusals.count = 0;
    refusals.last = Some(Instant::now());
}

/// When the bytes of a connection last moved (either way, for `tap`), in
/// milliseconds since `epoch`.
#[derive(Debug)]
pub(crate) struct Activity {
    epoch: Instant,
    last: AtomicU64,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
        })
    }

    fn touch(&self, now: Instant) {
        let ms = u64::try_from(now.duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// Where `tap` forwards what a [`Wire`] reads: at most one read's bytes
/// wait, and the next read waits for them (the sender is slowed to the
/// receiver's pace, and the tap holds one read per direction).
#[derive(Debug)]
struct Tee {
    to: OwnedWriteHalf,
    pending: Vec<u8>,
    written: usize,
    /// When the pending bytes first had to wait for the receiver.
    blocked: Option<Instant>,
}

/// A connection's read half, as framing-std's readers see it: see the
/// module's documentation.
#[derive(Debug)]
pub(crate) struct Wire {
    read: OwnedReadHalf,
    tee: Option<Tee>,
    limits: Limits,
    /// Whether frames are still decoded (the deadlines and the budget are
    /// about frames; a direction whose decoding stopped is only forwarded).
    decoding: bool,
    /// When the wait for the next frame began.
    since: Instant,
    /// When the first byte of the frame being read arrived.
    started: Option<Instant>,
    activity: Arc<Activity>,
    /// The one timer: the read deadline, or the write deadline while a
    /// forward waits.
    sleep: Pin<Box<Sleep>>,
    held: Arc<AtomicUsize>,
    /// Bytes of `held` that are this wire's.
    charged: usize,
    /// Bytes read so far.
    total: u64,
    /// Stream offset just past the last frame returned.
    settled: u64,
    /// `tap --pcap-out`: records what is read, and the half-close, as
    /// direction 0 (up) or 1 (down) of its connection.
    record: Option<(Arc<crate::pcap_out::Recorder>, usize)>,
}

impl Wire {
    /// A wire over `read`, forwarding to `tee` if given.
    pub(crate) fn new(
        read: OwnedReadHalf,
        tee: Option<OwnedWriteHalf>,
        limits: Limits,
        activity: Arc<Activity>,
        held: Arc<AtomicUsize>,
    ) -> Wire {
        let now = Instant::now();
        Wire {
            read,
            tee: tee.map(|to| Tee {
                to,
                pending: Vec::new(),
                written: 0,
                blocked: None,
            }),
            limits,
            decoding: true,
            since: now,
            started: None,
            activity,
            sleep: Box::pin(tokio::time::sleep_until((now + limits.idle).into())),
            held,
            charged: 0,
            total: 0,
            settled: 0,
            record: None,
        }
    }

    /// Records what this wire reads, and its sender's end, in `rec` as
    /// direction `dir` (0: up, 1: down).
    pub(crate) fn recording(
        mut self,
        rec: Option<Arc<crate::pcap_out::Recorder>>,
        dir: usize,
    ) -> Wire {
        self.record = rec.map(|r| (r, dir));
        self
    }

    /// A new wait for a frame, with the reader's offset after the last one;
    /// `at_boundary`: no byte of the next frame is held yet.
    pub(crate) fn begin(&mut self, offset: u64, at_boundary: bool) {
        let now = Instant::now();
        self.since = now;
        self.started = (!at_boundary).then_some(now);
        self.settle(offset);
    }

    /// Gives back to the budget the bytes of frames already returned.
    fn settle(&mut self, offset: u64) {
        self.settled = offset;
        let held = usize::try_from(self.total.saturating_sub(offset)).unwrap_or(usize::MAX);
        if held < self.charged {
            self.held.fetch_sub(self.charged - held, Ordering::Relaxed);
            self.charged = held;
        }
    }

    /// Decodes no more: what comes is only forwarded.
    pub(crate) fn stop_decoding(&mut self) {
        self.decoding = false;
        self.started = None;
        self.held.fetch_sub(self.charged, Ordering::Relaxed);
        self.charged = 0;
    }

    /// Whether `deadline` has passed, arming the timer for it if not.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, deadline: Instant) -> bool {
        let deadline = tokio::time::Instant::from_std(deadline);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx).is_ready()
    }

    /// Writes on what was read and not yet forwarded.
    fn poll_forward(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some(tee) = &mut self.tee else {
                return Poll::Ready(Ok(()));
            };
            if tee.written == tee.pending.len() {
                tee.pending.clear();
                tee.written = 0;
                tee.blocked = None;
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut tee.to).poll_write(cx, &tee.pending[tee.written..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the receiver took nothing",
                    )))
                }
                Poll::Ready(Ok(n)) => {
                    tee.written += n;
                    self.activity.touch(Instant::now());
                }
                Poll::Ready(Err(e)) => {
                    return Poll::Ready(Err(io::Error::new(
                        e.kind(),
                        Stalled(format!("forwarding failed: {e}")),
                    )))
                }
                Poll::Pending => {
                    let blocked = *tee.blocked.get_or_insert_with(Instant::now);
                    let write = self.limits.write;
                    if self.poll_deadline(cx, blocked + write) {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            Stalled(format!(
                                "the receiver took nothing for {write:?} (--write-timeout); closed"
                            )),
                        )));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Waits until the socket has bytes (or its end) to read, within the
    /// deadlines. The reader's buffer is allocated at its first read: an
    /// idle connection that waits here first holds none.
    pub(crate) async fn readable(&mut self) -> io::Result<()> {
        let mut byte = [0u8; 1];
        loop {
            let deadline = self.read_deadline();
            tokio::select! {
                // A peek, not `readable()`, which may complete with nothing
                // to read (at once, for a socket just accepted).
                peeked = self.read.peek(&mut byte) => return peeked.map(drop),
                () = tokio::time::sleep_until(deadline.into()) => {
                    // The other direction may have moved the deadline.
                    if self.read_deadline() <= Instant::now() {
                        return Err(self.stalled());
                    }
                }
            }
        }
    }

    /// Forwards what was read and not yet forwarded.
    pub(crate) async fn forward(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_forward(cx)).await
    }

    /// Forwards what is pending, then half-closes the receiver: the sender
    /// ended.
    pub(crate) async fn end(&mut self) -> io::Result<()> {
        self.forward().await?;
        if let Some(tee) = &mut self.tee {
            tee.to.shutdown().await?;
        }
        if let Some((rec, dir)) = &self.record {
            rec.fin(*dir);
        }
        Ok(())
    }

    /// Reads and forwards until the sender ends (for a direction no longer
    /// decoded).
    pub(crate) async fn pass(&mut self) -> io::Result<()> {
        let mut scratch = vec![0u8; 16 * 1024];
        loop {
            let n = poll_fn(|cx| {
                let mut buf = ReadBuf::new(&mut scratch);
                ready!(Pin::new(&mut *self).poll_read(cx, &mut buf))?;
                Poll::Ready(io::Result::Ok(buf.filled().len()))
            })
            .await?;
            if n == 0 {
                return self.end().await;
            }
        }
    }

    /// The error for a deadline that passed.
    fn stalled(&self) -> io::Error {
        let why = match self.started {
            Some(_) if self.decoding => format!(
                "slow frame: not whole {:?} after its first byte (--frame-timeout; {} bytes of it \
                 received); closed",
                self.limits.frame,
                self.total.saturating_sub(self.settled)
            ),
            _ => format!(
                "idle: no byte for {:?} (--idle-timeout); closed",
                self.limits.idle
            ),
        };
        io::Error::new(io::ErrorKind::TimedOut, Stalled(why))
    }

    /// When the wait for bytes ends.
    fn read_deadline(&self) -> Instant {
        match self.started {
            Some(first) if self.decoding => first + self.limits.frame,
            _ => self.since.max(self.activity.last()) + self.limits.idle,
        }
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.held.fetch_sub(self.charged, Ordering::Relaxed);
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // What was read last goes on before anything more is read.
        ready!(this.poll_forward(cx))?;
        let before = buf.filled().len();
        loop {
            match Pin::new(&mut this.read).poll_read(cx, buf) {
                Poll::Ready(Ok(())) => break,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    let deadline = this.read_deadline();
                    if !this.poll_deadline(cx, deadline) {
                        return Poll::Pending;
                    }
                    // The other direction may have moved the deadline.
                    if this.read_deadline() <= Instant::now() {
                        return Poll::Ready(Err(this.stalled()));
                    }
                }
            }
        }
        let read = &buf.filled()[before..];
        if read.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let now = Instant::now();
        this.activity.touch(now);
        this.total += read.len() as u64;
        if let Some((rec, dir)) = &this.record {
            rec.data(*dir, read);
        }
        if let Some(tee) = &mut this.tee {
            tee.pending.extend_from_slice(read);
        }
        if this.decoding {
            if this.started.is_none() {
                this.started = Some(now);
            }
            this.charged += read.len();
            let held = this.held.fetch_add(read.len(), Ordering::Relaxed) + read.len();
            if held > this.limits.max_buffered {
                return Poll::Ready(Err(io::Error::other(Stalled(format!(
                    "{held} bytes held in frames in flight across all connections, over \
                     --max-buffered {} ({} of them this connection's); closed",
                    this.limits.max_buffered, this.charged
                )))));
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Connects to the first of `addrs` that answers within `timeout`.
pub(crate) async fn connect(addrs: &[SocketAddr], timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address");
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = e,
            Err(_) => last = io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"),
        }
    }
    Err(last)
}

/// How long the printer may take to print what is queued at a shutdown
/// (the whole of it must end within a second of the signal).
pub(crate) const SHUTDOWN_DRAIN: Duration = Duration::from_millis(700);

/// Stops after a signal: no more lines, the queued ones printed for up to
/// [`SHUTDOWN_DRAIN`] (the line being written is finished), then the
/// summary on stderr. A second signal meanwhile exits at once.
pub(crate) async fn shut_down(out: &Output, signals: &mut Signals, summary: String) {
    let deadline = Instant::now() + SHUTDOWN_DRAIN;
    out.close(Some(deadline));
    tokio::select! {
        () = out.done() => {}
        () = tokio::time::sleep_until(deadline.into()) => {}
        () = signals.next() => std::process::exit(130),
    }
    finish(
        out,
        summary,
        Some(Instant::now() + Duration::from_millis(100)),
    );
}

/// Waits for the printer (until `until`), then prints the summary.
pub(crate) fn finish(out: &Output, summary: String, until: Option<Instant>) {
    out.close(None);
    let printed = out.wait(until);
    let mut line = format!(
        "{summary}; {} lines printed, {} not printed",
        printed.printed, printed.lost
    );
    if !printed.finished {
        line.push_str(" (stdout took nothing: its last line may be cut)");
    }
    eprintln!("{line}");
}

/// How reading a direction's frames ended.
pub(crate) enum End {
    /// On a frame boundary, the sender done.
    Clean,
    /// A bad frame or a stream cut inside one (the reason, and the offset it
    /// names): decoding stops; forwarding may go on.
    Decode(String, Option<u64>),
    /// The connection must close: a deadline, the budget, a failed read or
    /// write (the reason).
    Closed(String),
}

/// What a direction came to: frames, the offset past the last one, how it
/// ended.
pub(crate) struct Tally {
    pub(crate) frames: u64,
    pub(crate) bytes: u64,
    pub(crate) end: End,
}

/// Reads `reader`'s frames until the end, queueing a line for each (after
/// its bytes were forwarded, and after its echo was written when `echo` is
/// given).
pub(crate) async fn read_frames(
    reader: &mut FrameReader<Wire>,
    ctx: Ctx,
    view: &View,
    out: &Output,
    stats: &Stats,
    mut echo: Option<&mut FrameWriter<OwnedWriteHalf>>,
    write_timeout: Duration,
) -> Tally {
    let mut frames = 0u64;
    let end = loop {
        let offset = reader.offset();
        let at_boundary = reader.is_at_boundary();
        reader.get_mut().begin(offset, at_boundary);
        if reader.allocated() == 0 {
            // Nothing read yet: wait for bytes before the reader's first
            // read allocates its buffer (most connections wait more than
            // they read).
            if let Err(e) = reader.get_mut().readable().await {
                break End::Closed(e.to_string());
            }
        }
        let item = reader.next_item().await;
        let is_frame = matches!(item, Ok(Some(Decoded::Frame(_))));
        let line = match item {
            Ok(Some(Decoded::Frame(frame))) => {
                frames += 1;
                let line = view.frame_line(&ctx, &frame, frames, offset);
                if let Some(writer) = echo.as_deref_mut() {
                    match tokio::time::timeout(write_timeout, writer.write_frame(frame.payload()))
                        .await
                    {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => break End::Closed(format!("cannot send: {e}")),
                        Err(_) => {
                            break End::Closed(format!(
                                "the client read no echo for {write_timeout:?} \
                                 (--write-timeout); closed"
                            ))
                        }
                    }
                }
                line
            }
            Ok(Some(Decoded::Recovered(report))) => view.report_line(&ctx, &report),
            Ok(Some(Decoded::Preface(preface))) => view.preface_line(&ctx, preface.payload()),
            // An item a later framing-core may add: its bytes count, no line.
            Ok(Some(_)) => None,
            Ok(None) => break End::Clean,
            Err(e) => match error::decode_error(&e) {
                Some(d) => break End::Decode(describe(&e), Some(d.offset())),
                None => break End::Closed(e.to_string()),
            },
        };
        if let Err(e) = reader.get_mut().forward().await {
            break End::Closed(e.to_string());
        }
        if reader.offset() > offset {
            // A frame; or a preface, or a report of what was skipped: their
            // bytes count, not as a frame.
            stats.item(ctx.dir, reader.offset() - offset, is_frame);
        }
        if let Some(line) = line {
            out.frame(line);
        }
    };
    Tally {
        frames,
        bytes: reader.offset(),
        end,
    }
}
