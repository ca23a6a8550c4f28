//! `tap`: a man in the middle that forwards every byte unchanged, both ways,
//! and prints the frames it sees go by.
//!
//! Each direction has a forwarder thread: it reads a chunk, writes it on,
//! and only then hands a copy to the direction's decoder thread, over a
//! channel that never blocks (and past [`BEHIND_LIMIT`] bytes not yet
//! decoded, stops taking chunks: decoding that direction ends with a
//! report, forwarding goes on). The decoder is framing-std's
//! [`FrameReader`] over the chunks, printing through the same non-blocking
//! [`Log`] as `serve`: forwarding never waits on decoding or printing, and a
//! bad frame stops only the printing.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use framing_core::Layout;
use framing_std::FrameReader;
use serde_json::json;

use crate::commands::{pump, resolve, Printer, Tally};
use crate::options::{DownHeaderArgs, HeaderArgs};
use crate::serve::{accept, Log, CONNECTION_STACK};
use crate::Fail;

/// The most a direction's decoder may lag behind its forwarder.
const BEHIND_LIMIT: usize = 64 * 1024 * 1024;

/// The most a forwarder reads at once.
const CHUNK: usize = 64 * 1024;

/// A direction's decoder thread, which returns how decoding went.
type DecoderThread = thread::JoinHandle<(Tally, Result<(), Fail>)>;

/// How long connecting to the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a forwarder hands its decoder.
enum Chunk {
    /// Bytes forwarded, in order.
    Bytes(Vec<u8>),
    /// The decoder fell [`BEHIND_LIMIT`] bytes behind at this offset: no
    /// more bytes come.
    Behind(u64),
    /// Reading the sender failed: the stream ends with this error.
    Failed(io::ErrorKind, String),
}

/// The decoder's side of a direction: the forwarded chunks as a [`Read`].
struct Chunks {
    rx: mpsc::Receiver<Chunk>,
    current: Vec<u8>,
    pos: usize,
    behind: Arc<AtomicUsize>,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(Chunk::Bytes(bytes)) => {
                    self.behind.fetch_sub(bytes.len(), Ordering::Relaxed);
                    self.current = bytes;
                    self.pos = 0;
                }
                Ok(Chunk::Behind(at)) => {
                    return Err(io::Error::other(format!(
                        "decoding fell {BEHIND_LIMIT} bytes behind the traffic at byte {at}: \
                         not decoded from there on (forwarding goes on)"
                    )))
                }
                Ok(Chunk::Failed(kind, why)) => return Err(io::Error::new(kind, why)),
                // The forwarder is done: the end of the stream.
                Err(mpsc::RecvError) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The forwarder's side of a direction.
struct Feeder {
    tx: Option<mpsc::Sender<Chunk>>,
    behind: Arc<AtomicUsize>,
    /// Bytes forwarded so far.
    offset: u64,
}

impl Feeder {
    /// Hands `bytes` (already forwarded) to the decoder, never waiting.
    fn feed(&mut self, bytes: &[u8]) {
        let at = self.offset;
        self.offset += bytes.len() as u64;
        let Some(tx) = &self.tx else { return };
        let sent = if self.behind.load(Ordering::Relaxed) + bytes.len() > BEHIND_LIMIT {
            let _ = tx.send(Chunk::Behind(at));
            false
        } else {
            self.behind.fetch_add(bytes.len(), Ordering::Relaxed);
            tx.send(Chunk::Bytes(bytes.to_vec())).is_ok()
        };
        if !sent {
            // Behind, or the decoder stopped at a bad frame: decode no more.
            self.tx = None;
        }
    }

    fn fail(&mut self, e: &io::Error) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Chunk::Failed(e.kind(), e.to_string()));
        }
    }
}

/// One direction: `"up"` from the client to the upstream, `"down"` back.
struct Direction {
    name: &'static str,
    layout: Layout,
}

/// Copies `from` to `to` until `from` ends, handing every chunk to `feeder`
/// after it is written; then propagates the end: a half-close as a
/// half-close, an error as a shutdown of both connections.
fn forward(mut from: TcpStream, mut to: TcpStream, mut feeder: Feeder) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => {
                // The sender half-closed: so does the tap, to the receiver.
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                feeder.fail(&e);
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
        };
        if let Err(e) = to.write_all(&buf[..n]) {
            // The receiver is gone: nothing more can be forwarded this way,
            // and the sender should learn it, as it would without the tap.
            // What it may not have received is not printed.
            feeder.fail(&io::Error::new(
                e.kind(),
                format!("forwarding failed at byte {}: {e}", feeder.offset),
            ));
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
            return;
        }
        feeder.feed(&buf[..n]);
    }
}

/// Decodes and prints one direction's frames; returns how it went.
fn decode(
    chunks: Chunks,
    direction: &Direction,
    peer: SocketAddr,
    json: bool,
    log: &Log,
) -> (Tally, Result<(), Fail>) {
    let mut reader = FrameReader::new(chunks, direction.layout);
    let printer = Printer {
        json,
        peer: Some(&peer),
        dir: Some(direction.name),
    };
    let mut out = log.clone();
    let (tally, result) = pump(
        &mut reader,
        printer,
        &mut out,
        true,
        None,
        |_| {},
        |_| Ok(()),
    );
    if let Err(Fail::Data(why) | Fail::Usage(why)) = &result {
        // In order with the frames: what stopped the printing, and where.
        let mut line = if json {
            let mut obj = serde_json::Map::new();
            obj.insert("error".into(), json!(why));
            if let Some(offset) = tally.error_offset {
                obj.insert("offset".into(), json!(offset));
            }
            obj.insert("peer".into(), json!(peer.to_string()));
            obj.insert("dir".into(), json!(direction.name));
            serde_json::Value::Object(obj).to_string()
        } else {
            format!(
                "{peer} {}: error: {why} (forwarding goes on)",
                direction.name
            )
        };
        line.push('\n');
        let _ = out.write_all(line.as_bytes());
    }
    (tally, result)
}

/// Starts one direction: its decoder thread, and the feeder for its
/// forwarder.
fn start(
    direction: Direction,
    peer: SocketAddr,
    json: bool,
    log: &Log,
) -> io::Result<(Feeder, DecoderThread)> {
    let (tx, rx) = mpsc::channel();
    let behind = Arc::new(AtomicUsize::new(0));
    let chunks = Chunks {
        rx,
        current: Vec::new(),
        pos: 0,
        behind: Arc::clone(&behind),
    };
    let log = log.clone();
    let decoder = thread::Builder::new()
        .name(format!("tap {peer} {} decoder", direction.name))
        .stack_size(CONNECTION_STACK)
        .spawn(move || decode(chunks, &direction, peer, json, &log))?;
    let feeder = Feeder {
        tx: Some(tx),
        behind,
        offset: 0,
    };
    Ok((feeder, decoder))
}

/// How a direction went, for the connection's summary line.
fn outcome(name: &str, joined: thread::Result<(Tally, Result<(), Fail>)>) -> (String, bool) {
    match joined {
        Ok((tally, result)) => {
            let end = match &result {
                Ok(()) => "ended on a frame boundary".to_string(),
                Err(Fail::Data(m) | Fail::Usage(m)) => format!("failed: {m}"),
            };
            (
                format!(
                    "{name}: {} frames, {} bytes, {end}",
                    tally.frames, tally.bytes
                ),
                result.is_ok(),
            )
        }
        Err(_) => (format!("{name}: the decoder failed"), false),
    }
}

/// Taps one connection: connects it to the upstream and forwards both ways
/// until both have ended. Returns whether both directions decoded cleanly.
fn tap_one(
    client: TcpStream,
    peer: SocketAddr,
    upstream: &[SocketAddr],
    layouts: (Layout, Layout),
    json: bool,
    log: &Log,
) -> bool {
    let server = match connect(upstream) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connection from {peer}: cannot connect to the upstream: {e}; closed");
            return false;
        }
    };
    // The tap forwards what it reads at once; Nagle would hold it back.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let handles = (|| -> io::Result<_> {
        let up = Direction {
            name: "up",
            layout: layouts.0,
        };
        let down = Direction {
            name: "down",
            layout: layouts.1,
        };
        let (up_feeder, up_decoder) = start(up, peer, json, log)?;
        let (down_feeder, down_decoder) = start(down, peer, json, log)?;
        let (c2, s2) = (client.try_clone()?, server.try_clone()?);
        let down_forwarder = thread::Builder::new()
            .name(format!("tap {peer} down"))
            .stack_size(CONNECTION_STACK)
            .spawn(move || forward(s2, c2, down_feeder))?;
        Ok((up_feeder, up_decoder, down_forwarder, down_decoder))
    })();
    let (up_feeder, up_decoder, down_forwarder, down_decoder) = match handles {
        Ok(h) => h,
        Err(e) => {
            eprintln!("connection from {peer}: not tapped: {e}; closed");
            return false;
        }
    };
    forward(client, server, up_feeder);
    let _ = down_forwarder.join();
    let (up, up_ok) = outcome("up", up_decoder.join());
    let (down, down_ok) = outcome("down", down_decoder.join());
    eprintln!("connection from {peer}: {up}; {down}");
    up_ok && down_ok
}

fn connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// `framing tap`.
pub fn tap(
    listen: &str,
    upstream: &str,
    json: bool,
    once: bool,
    up: &HeaderArgs,
    down: &DownHeaderArgs,
) -> Result<(), Fail> {
    let up_layout = up.layout()?;
    let down_layout = down.over(up).layout().map_err(|e| match e {
        Fail::Usage(m) => Fail::Usage(format!("down: {m}")),
        other => other,
    })?;
    let upstream_addrs = resolve(upstream, "upstream")?;
    let addrs = resolve(listen, "listen")?;
    let listener = TcpListener::bind(&addrs[..])
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
    eprintln!("listening on {local}, forwarding to {upstream}");
    let (log, writer) = Log::start();
    let layouts = (up_layout, down_layout);
    loop {
        let Some((client, peer)) = accept(&listener) else {
            continue;
        };
        if once {
            let clean = tap_one(client, peer, &upstream_addrs, layouts, json, &log);
            drop(log);
            if let Some(writer) = writer {
                let _ = writer.join();
            }
            return if clean {
                Ok(())
            } else {
                Err(Fail::Data(format!(
                    "the connection from {peer} had a bad frame, a truncated stream or an error"
                )))
            };
        }
        let log = log.clone();
        let upstream_addrs = upstream_addrs.clone();
        let spawned = thread::Builder::new()
            .name(format!("tap {peer}"))
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                tap_one(client, peer, &upstream_addrs, layouts, json, &log);
            });
        if let Err(e) = spawned {
            eprintln!("{peer}: not tapped: cannot start a thread for it: {e}");
        }
    }
}
