//! `decode`, `encode`, `serve` and `send`.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use framing_core::Layout;
use framing_std::{error, Decoded, FrameReader, FrameWriter, Recovery};
use serde_json::json;

use crate::options::{hex_bytes, HeaderArgs};
use crate::show;
use crate::Fail;

/// One sentence for an I/O error from a frame reader: the core's message
/// (which names the byte offset) when there is one.
fn describe(e: &io::Error) -> String {
    match error::decode_error(e) {
        Some(d) => d.to_string(),
        None => e.to_string(),
    }
}

/// How frames are printed.
#[derive(Clone, Copy)]
struct Printer<'a> {
    json: bool,
    peer: Option<&'a SocketAddr>,
}

impl Printer<'_> {
    fn line(&self, frame: &framing_core::Frame<'_>, number: u64, offset: u64) -> String {
        let mut line = if self.json {
            let extra: Vec<(&str, serde_json::Value)> = match self.peer {
                Some(p) => vec![("peer", json!(p.to_string()))],
                None => vec![],
            };
            show::json_line(frame, &extra)
        } else {
            let text = show::human_line(frame, number, offset);
            match self.peer {
                Some(p) => format!("{p}: {text}"),
                None => text,
            }
        };
        line.push('\n');
        line
    }

    fn report(&self, report: &framing_core::Recovery) -> String {
        let mut line = if self.json {
            let extra: Vec<(&str, serde_json::Value)> = match self.peer {
                Some(p) => vec![("peer", json!(p.to_string()))],
                None => vec![],
            };
            show::recovery_json(report, &extra)
        } else {
            match self.peer {
                Some(p) => format!("{p}: {report}"),
                None => report.to_string(),
            }
        };
        line.push('\n');
        line
    }
}

/// What reading a stream of frames came to.
struct Tally {
    frames: u64,
    bytes: u64,
}

/// Reads frames until the end (or `limit` frames), writing a line for each
/// to `out`, and calling `each` with every frame's payload.
fn pump<R: Read>(
    reader: &mut FrameReader<R>,
    printer: Printer<'_>,
    out: &mut dyn Write,
    flush_each: bool,
    limit: Option<u64>,
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> (Tally, Result<(), Fail>) {
    let mut tally = Tally {
        frames: 0,
        bytes: 0,
    };
    let layout = *reader.layout();
    let result = loop {
        if limit.is_some_and(|n| tally.frames >= n) {
            break Ok(());
        }
        let frame = match reader.next_item() {
            Ok(Some(Decoded::Frame(frame))) => frame,
            Ok(Some(Decoded::Recovered(report))) => {
                // Under --resync or --discard-oversize: say what was
                // dropped, in order with the frames, and go on.
                tally.bytes = match report {
                    Recovery::Discarded { offset, length } => {
                        let head = layout.head_len(usize::try_from(length).unwrap_or(usize::MAX));
                        offset + head as u64 + length + layout.trailer_len() as u64
                    }
                    Recovery::Skipped { offset, bytes } => offset + bytes,
                    Recovery::Corrupt { offset, length, .. } => offset + length,
                    _ => tally.bytes,
                };
                let flush = flush_each && !reader.frame_ready();
                let written = out
                    .write_all(printer.report(&report).as_bytes())
                    .and_then(|()| if flush { out.flush() } else { Ok(()) });
                if let Err(e) = written {
                    break Err(Fail::Data(format!("cannot write output: {e}")));
                }
                continue;
            }
            Ok(None) => match limit {
                Some(n) => {
                    break Err(Fail::Data(format!(
                        "connection closed after {} of {n} frames",
                        tally.frames
                    )))
                }
                None => break Ok(()),
            },
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break Err(Fail::Data(format!(
                    "timed out waiting for frame {}",
                    tally.frames + 1
                )))
            }
            Err(e) => break Err(Fail::Data(describe(&e))),
        };
        let line = printer.line(&frame, tally.frames + 1, tally.bytes);
        if let Err(e) = out.write_all(line.as_bytes()) {
            break Err(Fail::Data(format!("cannot write output: {e}")));
        }
        tally.frames += 1;
        tally.bytes += (frame.header().as_bytes().len()
            + frame.payload().len()
            + frame.trailer().len()) as u64;
        if let Err(e) = each(frame.payload()) {
            break Err(Fail::Data(format!("cannot send: {e}")));
        }
        // Live output: flush once the frames already read are printed,
        // before the reader waits for more, so a live peer sees each
        // frame at once and a bulk input pays one flush a read.
        if flush_each && !reader.frame_ready() {
            if let Err(e) = out.flush() {
                break Err(Fail::Data(format!("cannot write output: {e}")));
            }
        }
    };
    (tally, result)
}

pub fn decode(file: Option<&Path>, json: bool, header: &HeaderArgs) -> Result<(), Fail> {
    let layout = header.layout()?;
    let input: Box<dyn Read> = match file {
        Some(path) => Box::new(
            File::open(path)
                .map_err(|e| Fail::Data(format!("cannot open {}: {e}", path.display())))?,
        ),
        None => Box::new(io::stdin().lock()),
    };
    let mut reader = FrameReader::new(input, layout);
    let mut out = BufWriter::new(io::stdout().lock());
    let printer = Printer { json, peer: None };
    // A file is read to its end: buffer the output. Stdin may be a live peer
    // waiting for each frame to show: print each one as it comes.
    let live = file.is_none();
    let (_, result) = pump(&mut reader, printer, &mut out, live, None, |_| Ok(()));
    let flushed = out.flush();
    result?;
    flushed.map_err(|e| Fail::Data(format!("cannot write output: {e}")))
}

/// Calls `each` with every payload: the arguments, or stdin's lines.
fn for_each_payload(
    payloads: &[String],
    hex: bool,
    mut each: impl FnMut(&[u8]) -> Result<(), Fail>,
) -> Result<(), Fail> {
    if !payloads.is_empty() {
        for p in payloads {
            if hex {
                let bytes = hex_bytes(p)
                    .ok_or_else(|| Fail::Usage(format!("payload {p:?} is not hex bytes")))?;
                each(&bytes)?;
            } else {
                each(p.as_bytes())?;
            }
        }
        return Ok(());
    }
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let n = stdin
            .read_until(b'\n', &mut line)
            .map_err(|e| Fail::Data(format!("cannot read stdin: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if hex {
            let text = String::from_utf8_lossy(&line);
            let bytes = hex_bytes(&text)
                .ok_or_else(|| Fail::Data(format!("stdin line {number} is not hex bytes")))?;
            each(&bytes)?;
        } else {
            each(&line)?;
        }
    }
    Ok(())
}

fn encode_error(format: &str, payload: &[u8], e: &io::Error) -> Fail {
    match error::encode_error(e) {
        Some(err) => Fail::Data(format!(
            "cannot frame a payload of {} bytes with header {format:?}: {err}",
            payload.len(),
        )),
        None => Fail::Data(format!("cannot write: {e}")),
    }
}

pub fn encode(payloads: &[String], hex: bool, header: &HeaderArgs) -> Result<(), Fail> {
    let layout = header.layout()?;
    let mut writer = FrameWriter::new(BufWriter::new(io::stdout().lock()), layout);
    for_each_payload(payloads, hex, |payload| {
        writer
            .queue_frame(payload)
            .map_err(|e| encode_error(&header.format, payload, &e))
    })?;
    writer
        .flush()
        .map_err(|e| Fail::Data(format!("cannot write output: {e}")))
}

fn resolve(addr: &str, what: &str) -> Result<Vec<SocketAddr>, Fail> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| Fail::Usage(format!("invalid {what} address {addr:?}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Fail::Usage(format!(
            "{what} address {addr:?} resolves to nothing"
        )));
    }
    Ok(addrs)
}

/// Serves one connection; returns its tally and how it ended.
fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    layout: Layout,
    json: bool,
    echo: bool,
    log: &Log,
) -> (Tally, Result<(), Fail>) {
    let mut writer = match echo.then(|| stream.try_clone()).transpose() {
        Ok(w) => w.map(|s| FrameWriter::new(s, layout)),
        Err(e) => {
            return (
                Tally {
                    frames: 0,
                    bytes: 0,
                },
                Err(Fail::Data(e.to_string())),
            )
        }
    };
    let mut reader = FrameReader::new(stream, layout);
    let printer = Printer {
        json,
        peer: Some(&peer),
    };
    let mut out = log.clone();
    pump(
        &mut reader,
        printer,
        &mut out,
        true,
        None,
        |payload| match &mut writer {
            Some(w) => w.write_frame(payload),
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

pub fn serve(
    listen: &str,
    json: bool,
    echo: bool,
    once: bool,
    header: &HeaderArgs,
) -> Result<(), Fail> {
    let layout = header.layout()?;
    let addrs = resolve(listen, "listen")?;
    let listener = TcpListener::bind(&addrs[..])
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    eprintln!("listening on {local}");
    let (log, writer) = Log::start();
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if out_of_descriptors(&e) => {
                // Every accept would fail the same way until a connection
                // closes: pause instead of spinning (nginx pauses 500 ms),
                // and say so once a pause.
                eprintln!("framing: accept failed: {e}; pausing accepts for 500 ms");
                std::thread::sleep(ACCEPT_PAUSE);
                continue;
            }
            Err(e) => {
                eprintln!("framing: accept failed: {e}");
                continue;
            }
        };
        if once {
            let (tally, result) = serve_one(stream, peer, layout, json, echo, &log);
            // Every line written before the summary and the exit.
            drop(log);
            if let Some(writer) = writer {
                let _ = writer.join();
            }
            summary(&peer, &tally, &result);
            return result;
        }
        let log = log.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("serve {peer}"))
            .spawn(move || {
                let (tally, result) = serve_one(stream, peer, layout, json, echo, &log);
                summary(&peer, &tally, &result);
            });
        if let Err(e) = spawned {
            // The connection moved into the closure and was dropped with
            // it: closed. The others go on.
            eprintln!("{peer}: not served: cannot start a thread for it: {e}");
        }
    }
}

/// The lines `serve` prints, written to stdout by a thread of their own, so
/// that a connection never waits for stdout: when stdout does not keep up
/// (a pipe nobody reads), lines past [`LOG_BACKLOG`] are dropped, whole,
/// and counted, and the count is printed once stdout takes lines again.
#[derive(Clone)]
struct Log {
    lines: mpsc::SyncSender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

/// Lines `serve` keeps for a slow stdout before it drops them.
const LOG_BACKLOG: usize = 4096;

impl Log {
    /// The log, and the thread that writes it (`None` if it could not be
    /// started: then nothing is printed, and connections are still served).
    fn start() -> (Log, Option<std::thread::JoinHandle<()>>) {
        let (lines, rx) = mpsc::sync_channel::<Vec<u8>>(LOG_BACKLOG);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&dropped);
        let writer = std::thread::Builder::new()
            .name("serve output".into())
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

/// How long `serve` stops accepting when descriptors run out.
const ACCEPT_PAUSE: Duration = Duration::from_millis(500);

/// `EMFILE` or `ENFILE`: the process or the system is out of descriptors.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

pub fn send(
    connect: &str,
    payloads: &[String],
    hex: bool,
    recv: u64,
    json: bool,
    timeout: f64,
    header: &HeaderArgs,
) -> Result<(), Fail> {
    let layout = header.layout()?;
    let timeout = Duration::try_from_secs_f64(timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            Fail::Usage(format!(
                "invalid --timeout {timeout}: give a positive number of seconds"
            ))
        })?;
    let addrs = resolve(connect, "connect")?;
    let stream = TcpStream::connect(&addrs[..])
        .map_err(|e| Fail::Data(format!("cannot connect to {connect}: {e}")))?;
    let net = |e: io::Error| Fail::Data(format!("connection to {connect}: {e}"));
    let mut writer = FrameWriter::new(stream.try_clone().map_err(net)?, layout);
    for_each_payload(payloads, hex, |payload| {
        writer
            .queue_frame(payload)
            .map_err(|e| encode_error(&header.format, payload, &e))
    })?;
    writer.flush().map_err(net)?;
    if recv == 0 {
        return Ok(());
    }
    stream.set_read_timeout(Some(timeout)).map_err(net)?;
    let mut reader = FrameReader::new(stream, layout);
    let mut out = BufWriter::new(io::stdout().lock());
    let printer = Printer { json, peer: None };
    let (_, result) = pump(&mut reader, printer, &mut out, true, Some(recv), |_| Ok(()));
    let flushed = out.flush();
    result?;
    flushed.map_err(|e| Fail::Data(format!("cannot write output: {e}")))
}
