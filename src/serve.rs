//! `serve`: a thread per connection, with a cap on connections and timeouts
//! that a bad client cannot outwait; and the non-blocking output both `serve`
//! and `tap` print through.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use framing_core::Layout;
use framing_std::{FrameReader, FrameWriter};

use crate::commands::{pump, resolve, Printer, Stalled, Tally};
use crate::options::HeaderArgs;
use crate::Fail;

/// What a client may cost `serve`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once; more are closed at accept.
    pub max_connections: usize,
    /// How long a connection may send nothing between frames, and how long
    /// an echo may wait for a client that does not read.
    pub idle: Duration,
    /// How long a frame may take from its first byte to its last.
    pub frame: Duration,
}

/// The read buffer of a served connection: small, as most connections wait
/// more than they read; a longer frame grows it as its bytes arrive.
const SERVE_READ_CAPACITY: usize = 16 * 1024;

/// The stack of a connection's thread: it parses and prints, nothing deep.
pub(crate) const CONNECTION_STACK: usize = 256 * 1024;

/// Parses a number of seconds given to option `name`.
pub fn seconds(value: f64, name: &str) -> Result<Duration, Fail> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            Fail::Usage(format!(
                "invalid {name} {value}: give a positive number of seconds"
            ))
        })
}

/// A socket whose reads end at a deadline: `idle` after [`begin`] when no
/// byte of a frame is held, or `frame` after the first byte of one. A read
/// past the deadline is a `TimedOut` error carrying [`Stalled`] with the
/// reason.
///
/// [`begin`]: Self::begin
struct Deadlines {
    stream: TcpStream,
    limits: Limits,
    /// When the wait for the next frame began.
    since: Instant,
    /// When the first byte of the frame being read arrived (or was already
    /// held when the wait began).
    started: Option<Instant>,
    /// The read timeout last set on the socket.
    timeout: Option<Duration>,
}

impl Deadlines {
    fn new(stream: TcpStream, limits: Limits) -> Self {
        Deadlines {
            stream,
            limits,
            since: Instant::now(),
            started: None,
            timeout: None,
        }
    }

    /// A new wait for a frame; `at_boundary`: no byte of it is held yet.
    fn begin(&mut self, at_boundary: bool) {
        let now = Instant::now();
        self.since = now;
        self.started = (!at_boundary).then_some(now);
    }

    fn stalled(&self) -> io::Error {
        let why = match self.started {
            None => format!(
                "idle: no byte for {:?} (--idle-timeout); closed",
                self.limits.idle
            ),
            Some(_) => format!(
                "slow frame: not whole {:?} after its first byte (--frame-timeout); closed",
                self.limits.frame
            ),
        };
        io::Error::new(io::ErrorKind::TimedOut, Stalled(why))
    }
}

impl Read for Deadlines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let deadline = match self.started {
                None => self.since + self.limits.idle,
                Some(first) => first + self.limits.frame,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.stalled());
            }
            // Round up to whole milliseconds, so that the timeout is set
            // again only when the deadline moved, not before every read.
            let timeout = Duration::from_millis(left.as_millis() as u64 + 1);
            if self.timeout != Some(timeout) {
                self.stream.set_read_timeout(Some(timeout))?;
                self.timeout = Some(timeout);
            }
            match self.stream.read(buf) {
                Ok(n) => {
                    if n > 0 && self.started.is_none() {
                        self.started = Some(Instant::now());
                    }
                    return Ok(n);
                }
                // The socket's timeout: the loop checks the deadline.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Serves one connection; returns its tally and how it ended.
fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    layout: Layout,
    json: bool,
    echo: bool,
    limits: Limits,
    log: &Log,
) -> (Tally, Result<(), Fail>) {
    let no_frames = || Tally {
        frames: 0,
        bytes: 0,
        error_offset: None,
    };
    // An echo waits at most the idle timeout for a client that does not
    // read: then the connection is closed; it stalls alone meanwhile.
    let writer = echo
        .then(|| {
            let s = stream.try_clone()?;
            s.set_write_timeout(Some(limits.idle))?;
            io::Result::Ok(FrameWriter::new(s, layout))
        })
        .transpose();
    let mut writer = match writer {
        Ok(w) => w,
        Err(e) => return (no_frames(), Err(Fail::Data(e.to_string()))),
    };
    let mut reader =
        FrameReader::with_capacity(SERVE_READ_CAPACITY, Deadlines::new(stream, limits), layout);
    let printer = Printer {
        json,
        peer: Some(&peer),
        dir: None,
    };
    let mut out = log.clone();
    pump(
        &mut reader,
        printer,
        &mut out,
        true,
        None,
        |reader| {
            let at_boundary = reader.is_at_boundary();
            reader.get_mut().begin(at_boundary);
        },
        |payload| match &mut writer {
            Some(w) => w.write_frame(payload).map_err(|e| match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                    e.kind(),
                    format!(
                        "the client read no echo for {:?} (--idle-timeout); closed",
                        limits.idle
                    ),
                ),
                _ => e,
            }),
            None => Ok(()),
        },
    )
}

fn summary(peer: &SocketAddr, tally: &Tally, result: &Result<(), Fail>) {
    let end = match result {
        Ok(()) => "ended on a frame boundary".to_string(),
        Err(Fail::Data(m) | Fail::Usage(m)) => format!("failed: {m}"),
    };
    eprintln!(
        "connection from {peer}: {} frames, {} bytes, {end}",
        tally.frames, tally.bytes
    );
}

/// Counts a connection while it is served.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Says why connections were closed at accept, at most once a second (a
/// flood of them must not turn into a flood of lines).
struct Refusals {
    count: u64,
    last: Option<Instant>,
}

impl Refusals {
    fn refuse(&mut self, peer: &SocketAddr, max: usize) {
        self.count += 1;
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        let others = self.count - 1;
        let more = match others {
            0 => String::new(),
            n => format!(" ({n} more since the last such line)"),
        };
        eprintln!("refused {peer}: {max} connections open (--max-connections); closed{more}");
        self.count = 0;
        self.last = Some(now);
    }
}

pub fn serve(
    listen: &str,
    json: bool,
    echo: bool,
    once: bool,
    limits: Limits,
    header: &HeaderArgs,
) -> Result<(), Fail> {
    let layout = header.layout()?;
    if limits.max_connections == 0 {
        return Err(Fail::Usage(
            "invalid --max-connections 0: give at least 1".into(),
        ));
    }
    let addrs = resolve(listen, "listen")?;
    let listener = TcpListener::bind(&addrs[..])
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    eprintln!("listening on {local}");
    let (log, writer) = Log::start();
    let active = Arc::new(AtomicUsize::new(0));
    let mut refusals = Refusals {
        count: 0,
        last: None,
    };
    loop {
        let (stream, peer) = match accept(&listener) {
            Some(c) => c,
            None => continue,
        };
        if once {
            let (tally, result) = serve_one(stream, peer, layout, json, echo, limits, &log);
            // Every line written before the summary and the exit.
            drop(log);
            if let Some(writer) = writer {
                let _ = writer.join();
            }
            summary(&peer, &tally, &result);
            return result;
        }
        // Only this thread adds connections: the count cannot overshoot.
        if active.load(Ordering::Relaxed) >= limits.max_connections {
            drop(stream);
            refusals.refuse(&peer, limits.max_connections);
            continue;
        }
        active.fetch_add(1, Ordering::Relaxed);
        let slot = Slot(Arc::clone(&active));
        let log = log.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("serve {peer}"))
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let (tally, result) = serve_one(stream, peer, layout, json, echo, limits, &log);
                // Free before saying so: a client that reads the summary
                // may connect again at once.
                drop(slot);
                summary(&peer, &tally, &result);
            });
        if let Err(e) = spawned {
            // The connection and its slot moved into the closure and were
            // dropped with it: closed and uncounted. The others go on.
            eprintln!("{peer}: not served: cannot start a thread for it: {e}");
        }
    }
}

/// The next connection, or `None` after an accept error (logged; out of
/// descriptors, after a pause).
pub(crate) fn accept(listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
    match listener.accept() {
        Ok(c) => Some(c),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        Err(e) if out_of_descriptors(&e) => {
            // Every accept would fail the same way until a connection
            // closes: pause instead of spinning (nginx pauses 500 ms), and
            // say so once a pause.
            eprintln!("framing: accept failed: {e}; pausing accepts for 500 ms");
            std::thread::sleep(ACCEPT_PAUSE);
            None
        }
        Err(e) => {
            eprintln!("framing: accept failed: {e}");
            None
        }
    }
}

/// The lines `serve` and `tap` print, written to stdout by a thread of their
/// own, so that a connection never waits for stdout: when stdout does not
/// keep up (a pipe nobody reads), lines past [`LOG_BACKLOG`] are dropped,
/// whole, and counted, and the count is printed once stdout takes lines
/// again.
#[derive(Clone)]
pub(crate) struct Log {
    lines: mpsc::SyncSender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

/// Lines kept for a slow stdout before they are dropped.
const LOG_BACKLOG: usize = 4096;

impl Log {
    /// The log, and the thread that writes it (`None` if it could not be
    /// started: then nothing is printed, and connections are still served).
    pub(crate) fn start() -> (Log, Option<std::thread::JoinHandle<()>>) {
        let (lines, rx) = mpsc::sync_channel::<Vec<u8>>(LOG_BACKLOG);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&dropped);
        let writer = std::thread::Builder::new()
            .name("output".into())
            .spawn(move || {
                let stdout = io::stdout();
                for line in rx {
                    let mut out = stdout.lock();
                    let lost = counted.swap(0, Ordering::Relaxed);
                    if lost > 0 {
                        let _ = writeln!(
                            out,
                            "framing: {lost} lines not printed: stdout did not keep up"
                        );
                    }
                    let _ = out.write_all(&line).and_then(|()| out.flush());
                }
            });
        let writer = match writer {
            Ok(handle) => Some(handle),
            Err(e) => {
                eprintln!("framing: cannot start the output thread: {e}; frames are not printed");
                None
            }
        };
        (Log { lines, dropped }, writer)
    }
}

impl Write for Log {
    /// Sends `buf` as one line, or drops and counts it if the output thread
    /// is that far behind. Never blocks.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.lines.try_send(buf.to_vec()).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How long accepting stops when descriptors run out.
const ACCEPT_PAUSE: Duration = Duration::from_millis(500);

/// `EMFILE` or `ENFILE`: the process or the system is out of descriptors.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}
