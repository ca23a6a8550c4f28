//! `decode`, `encode` and `send`, and the printing and reading that `serve`
//! and `tap` share.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use framing_core::websocket::{Masking, WsHeader};
use framing_core::{Layout, Value};
use framing_std::{error, Decoded, FrameReader, FrameWriter, Recovery};
use serde_json::json;

use crate::options::{hex_bytes, HeaderArgs};
use crate::show;
use crate::Fail;

/// One sentence for an I/O error from a frame reader: the core's message
/// (which names the byte offset) when there is one.
pub(crate) fn describe(e: &io::Error) -> String {
    match error::decode_error(e) {
        Some(d) => d.to_string(),
        None => e.to_string(),
    }
}

/// How frames are printed.
#[derive(Clone, Copy)]
pub(crate) struct Printer<'a> {
    pub(crate) json: bool,
    pub(crate) peer: Option<&'a SocketAddr>,
    /// The direction through a tap: `"up"` (client to upstream) or `"down"`.
    pub(crate) dir: Option<&'static str>,
}

impl Printer<'_> {
    /// The keys a JSON line gets besides the frame's.
    fn extra(&self) -> Vec<(&'static str, serde_json::Value)> {
        let mut extra = Vec::new();
        if let Some(p) = self.peer {
            extra.push(("peer", json!(p.to_string())));
        }
        if let Some(d) = self.dir {
            extra.push(("dir", json!(d)));
        }
        extra
    }

    /// What a readable line starts with: `PEER: ` or `PEER up: `.
    fn prefix(&self) -> String {
        match (self.peer, self.dir) {
            (Some(p), Some(d)) => format!("{p} {d}: "),
            (Some(p), None) => format!("{p}: "),
            (None, Some(d)) => format!("{d}: "),
            (None, None) => String::new(),
        }
    }

    fn line(&self, frame: &framing_core::Frame<'_>, number: u64, offset: u64) -> String {
        let mut line = if self.json {
            let mut extra = self.extra();
            extra.push(("index", json!(number)));
            extra.push(("offset", json!(offset)));
            show::json_line(frame, &extra)
        } else {
            format!(
                "{}{}",
                self.prefix(),
                show::human_line(frame, number, offset)
            )
        };
        line.push('\n');
        line
    }

    /// The preface's line: `{"preface_hex": ...}`, or `preface: N bytes ...`.
    fn preface(&self, bytes: &[u8]) -> String {
        let mut line = if self.json {
            show::preface_json(bytes, &self.extra())
        } else {
            format!("{}{}", self.prefix(), show::preface_human(bytes))
        };
        line.push('\n');
        line
    }

    fn report(&self, report: &framing_core::Recovery) -> String {
        let mut line = if self.json {
            show::recovery_json(report, &self.extra())
        } else {
            format!("{}{report}", self.prefix())
        };
        line.push('\n');
        line
    }
}

/// What reading a stream of frames came to.
pub(crate) struct Tally {
    pub(crate) frames: u64,
    pub(crate) bytes: u64,
    /// The stream offset a decoding error names, if reading ended in one.
    pub(crate) error_offset: Option<u64>,
}

/// A stall that a timeout cut short, with the sentence saying which: `pump`
/// reports it as it is instead of as a plain timeout.
#[derive(Debug)]
pub(crate) struct Stalled(pub(crate) String);

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stalled {}

/// Reads frames until the end (or `limit` frames), writing a line for each
/// to `out`, and calling `each` with every frame's payload. `wait` is called
/// before each frame is asked for (serve starts its timeouts there).
pub(crate) fn pump<R: Read>(
    reader: &mut FrameReader<R>,
    printer: Printer<'_>,
    out: &mut dyn Write,
    flush_each: bool,
    limit: Option<u64>,
    mut wait: impl FnMut(&mut FrameReader<R>),
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> (Tally, Result<(), Fail>) {
    let mut tally = Tally {
        frames: 0,
        bytes: 0,
        error_offset: None,
    };
    let layout = *reader.layout();
    let result = loop {
        if limit.is_some_and(|n| tally.frames >= n) {
            break Ok(());
        }
        wait(reader);
        if layout.delimiter().is_some() {
            // A delimited frame's bytes on the wire are not its bytes
            // (stuffed, escaped, delimited): offsets are the reader's.
            tally.bytes = reader.offset();
        }
        let frame = match reader.next_item() {
            Ok(Some(Decoded::Frame(frame))) => frame,
            Ok(Some(Decoded::Preface(preface))) => {
                // Once, before the first frame: the protocol's greeting.
                let bytes = preface.payload();
                tally.bytes += bytes.len() as u64;
                let line = printer.preface(bytes);
                let flush = flush_each && !reader.frame_ready();
                let written = out.write_all(line.as_bytes()).and_then(|()| {
                    if flush {
                        out.flush()
                    } else {
                        Ok(())
                    }
                });
                if let Err(e) = written {
                    break Err(Fail::Data(format!("cannot write output: {e}")));
                }
                continue;
            }
            Ok(Some(Decoded::Recovered(report))) => {
                // Under --resync or --discard-oversize: say what was
                // dropped, in order with the frames, and go on.
                tally.bytes = match report {
                    Recovery::Discarded { offset, length } => {
                        let head = layout.head_len(usize::try_from(length).unwrap_or(usize::MAX));
                        offset + head as u64 + length + layout.trailer_len() as u64
                    }
                    Recovery::Skipped { offset, bytes } => offset + bytes,
                    Recovery::Corrupt { offset, length, .. }
                    | Recovery::BadFrameEnd { offset, length } => offset + length,
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
            // An item a later framing-core may add: not a frame; go on.
            Ok(Some(_)) => continue,
            Ok(None) => match limit {
                Some(n) => {
                    break Err(Fail::Data(format!(
                        "connection closed after {} of {n} frames",
                        tally.frames
                    )))
                }
                None => break Ok(()),
            },
            Err(e) if e.get_ref().is_some_and(|inner| inner.is::<Stalled>()) => {
                break Err(Fail::Data(e.to_string()))
            }
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
            Err(e) => {
                tally.error_offset = error::decode_error(&e).map(|d| d.offset());
                break Err(Fail::Data(describe(&e)));
            }
        };
        let line = printer.line(&frame, tally.frames + 1, tally.bytes);
        if let Err(e) = out.write_all(line.as_bytes()) {
            break Err(Fail::Data(format!("cannot write output: {e}")));
        }
        tally.frames += 1;
        // The frame end, outside the trailer, is in none of the three.
        let read_with = frame.header().layout();
        tally.bytes +=
            (frame.header().as_bytes().len() + frame.payload().len() + read_with.tail_len()) as u64;
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
    if layout.delimiter().is_some() {
        tally.bytes = reader.offset();
    }
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
    let printer = Printer {
        json,
        peer: None,
        dir: None,
    };
    // A file is read to its end: buffer the output. Stdin may be a live peer
    // waiting for each frame to show: print each one as it comes.
    let live = file.is_none();
    let (_, result) = pump(
        &mut reader,
        printer,
        &mut out,
        live,
        None,
        |_| {},
        |_| Ok(()),
    );
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

fn encode_error(header: &HeaderArgs, payload: &[u8], e: &io::Error) -> Fail {
    // Delimited framings have no header to name.
    let with = match header.framing.as_str() {
        "length" => format!("header {:?}", header.format),
        framing => format!("--framing {framing}"),
    };
    match error::encode_error(e) {
        Some(err) => Fail::Data(format!(
            "cannot frame a payload of {} bytes with {with}: {err}",
            payload.len(),
        )),
        None => Fail::Data(format!("cannot write: {e}")),
    }
}

/// A WebSocket frame for a layout whose frames are masked (a client's):
/// `payload` masked with a fresh key, the first byte (FIN, RSV, opcode)
/// from `fields`' value 0.
fn masked_frame(fields: &[(usize, Value<'_>)], payload: &[u8]) -> Result<Vec<u8>, Fail> {
    use std::hash::{BuildHasher, Hasher};
    let first = match fields.iter().find(|(i, _)| *i == 0) {
        Some((_, Value::Int(v))) => u8::try_from(*v).ok(),
        _ => None,
    }
    .ok_or_else(|| Fail::Usage("--field 0 is the frame's first byte: 0 to 255".into()))?;
    // RFC 6455 5.3: a key from a strong source, fresh for every frame
    // (std's hasher keys are random per process; the hasher mixes in a
    // counter so that every frame's differs).
    static FRAMES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(FRAMES.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let key = (h.finish() as u32).to_be_bytes();
    let mut head = WsHeader::new(first & 0x0f).masked(key);
    head.fin = first & 0x80 != 0;
    head.rsv = (first >> 4) & 7;
    let mut out = vec![0u8; payload.len() + framing_core::websocket::MAX_HEAD];
    let n = head
        .encode(payload, &mut out)
        .map_err(|e| Fail::Data(format!("cannot frame a payload: {e}")))?;
    out.truncate(n);
    Ok(out)
}

/// Whether `layout`'s frames are masked WebSocket frames, which the
/// writers do not encode (they take no key).
fn masks(layout: &Layout) -> bool {
    layout.websocket_masking() == Some(Masking::Required)
}

pub fn encode(payloads: &[String], hex: bool, header: &HeaderArgs) -> Result<(), Fail> {
    let layout = header.layout()?;
    let values = header.field_values(&layout)?;
    let fields: Vec<_> = values.iter().map(|(i, v)| (*i, v.as_value())).collect();
    if masks(&layout) {
        let mut out = BufWriter::new(io::stdout().lock());
        let write = |e: io::Error| Fail::Data(format!("cannot write output: {e}"));
        for_each_payload(payloads, hex, |payload| {
            out.write_all(&masked_frame(&fields, payload)?)
                .map_err(write)
        })?;
        return out.flush().map_err(write);
    }
    let mut writer = FrameWriter::new(BufWriter::new(io::stdout().lock()), layout);
    for_each_payload(payloads, hex, |payload| {
        writer
            .queue_frame_with(payload, &fields)
            .map_err(|e| encode_error(header, payload, &e))
    })?;
    writer
        .flush()
        .map_err(|e| Fail::Data(format!("cannot write output: {e}")))
}

pub(crate) fn resolve(addr: &str, what: &str) -> Result<Vec<SocketAddr>, Fail> {
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
    let values = header.field_values(&layout)?;
    let fields: Vec<_> = values.iter().map(|(i, v)| (*i, v.as_value())).collect();
    if masks(&layout) {
        let mut out = BufWriter::new(stream.try_clone().map_err(net)?);
        for_each_payload(payloads, hex, |payload| {
            out.write_all(&masked_frame(&fields, payload)?).map_err(net)
        })?;
        out.flush().map_err(net)?;
    } else {
        let mut writer = FrameWriter::new(stream.try_clone().map_err(net)?, layout);
        for_each_payload(payloads, hex, |payload| {
            writer
                .queue_frame_with(payload, &fields)
                .map_err(|e| encode_error(header, payload, &e))
        })?;
        writer.flush().map_err(net)?;
    }
    if recv == 0 {
        return Ok(());
    }
    stream.set_read_timeout(Some(timeout)).map_err(net)?;
    // With --protocol, the replies are the server side's.
    let replies = match header.protocol {
        Some(_) => header.layout_of(crate::options::Side::Server)?,
        None => layout,
    };
    let mut reader = FrameReader::new(stream, replies);
    let mut out = BufWriter::new(io::stdout().lock());
    let printer = Printer {
        json,
        peer: None,
        dir: None,
    };
    let (_, result) = pump(
        &mut reader,
        printer,
        &mut out,
        true,
        Some(recv),
        |_| {},
        |_| Ok(()),
    );
    let flushed = out.flush();
    result?;
    flushed.map_err(|e| Fail::Data(format!("cannot write output: {e}")))
}
