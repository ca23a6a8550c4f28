//! `decode --pcap FILE`: the frames of every TCP connection in a pcap or
//! pcapng capture, both directions, printed as `tap` prints them (the same
//! line, the same JSON keys) with the capture's timestamps.
//!
//! Two well-kept crates read the capture, so that this module only puts
//! TCP streams back in order: `pcap-parser` (the rusticata project's, used
//! by Suricata; fuzzed) reads both file formats, every block type and both
//! byte orders, from a bounded buffer; `etherparse` slices Ethernet (VLAN
//! tags included), Linux cooked captures, IPv4, IPv6 and TCP without
//! allocating and rejects what is malformed instead of panicking. Writing
//! either parser again here would be a second, less tested copy of each.
//!
//! Reassembly, per direction of each connection: a segment's sequence
//! number gives its stream offset; bytes already delivered
//! (retransmissions, overlaps) are dropped, the first copy wins; segments
//! ahead of a gap wait until it is filled. What waits, and what the
//! decoders hold of frames not yet whole, is bounded across the whole
//! capture by `--max-buffered`: a direction that would pass it stops
//! decoding with the reason. A direction that ends (FIN, RST, or the end of
//! the capture) inside a frame, or with bytes still missing, is reported
//! as cut, with the offset.
//!
//! The client (direction "up") is the sender of the SYN; with no SYN in the
//! capture, the sender of a SYN-ACK is the server; with neither, the peer
//! with the lower port is the server (equal ports: the first packet's
//! sender is the client).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use framing_core::{Buffer, DecodeErrorKind, Decoded, Decoder, Full, Layout};
use pcap_parser::{Block, Linktype, PcapBlockOwned, PcapError};
use serde_json::{json, Map, Value as Json};

use crate::options::{DownHeaderArgs, HeaderArgs, Side};
use crate::serve::header_format;
use crate::watch::{Ctx, Dir, Line, ShowArgs, Stats, View};
use crate::Fail;

/// `decode`'s options for a capture.
#[derive(Args, Debug, Clone)]
pub struct PcapArgs {
    /// Read a pcap or pcapng capture instead of a byte stream: every TCP
    /// connection in it is put back in order (by sequence numbers) and both
    /// of its directions decoded, "up" with the layout options (with
    /// --protocol: the client side), "down" with the --down-* options over
    /// them (with --protocol: the server side). The client is the SYN's
    /// sender; with no SYN captured, the peer with the lower port is the
    /// server. Lines are the tap's (--json: "ts" is the capture's time,
    /// "conn", "peer" (the client), "dir", "index", "offset"), in capture
    /// order. A direction cut inside a frame, or missing bytes, is
    /// reported as an error line with its offset, and makes the exit code
    /// 1.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    pub pcap: Option<PathBuf>,
    /// With --pcap: bytes held across all connections in segments waiting
    /// for a gap to fill and in frames not yet whole; a direction that
    /// would pass it stops decoding, reported.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024, requires = "pcap")]
    pub max_buffered: u64,
    /// With --pcap: connections tracked at once (about 1.6 KiB each,
    /// besides what --max-buffered bounds; a connection is forgotten once
    /// both directions ended); the packets of more are skipped and counted.
    #[arg(long, value_name = "N", default_value_t = 100_000, requires = "pcap")]
    pub max_connections: usize,
    #[command(flatten)]
    pub down: DownHeaderArgs,
}

/// How far ahead of the next byte expected a segment may start (TCP's
/// largest window, 2^30): beyond, it is not this stream's, and is dropped.
const MAX_AHEAD: u64 = 1 << 30;

/// What a segment waiting past a gap costs besides its bytes (its `Vec`
/// and its node in the map), counted in --max-buffered so that many tiny
/// segments cannot hold more than it says.
const ENTRY_COST: usize = 64;

/// The capture reader's buffer: the largest block it takes at first, then
/// at most.
const BLOCK_BUFFER: usize = 1 << 20;
const MAX_BLOCK: usize = 64 << 20;

/// A decoder's buffer: a `Vec` that grows with the bytes that arrive,
/// never past `limit` (framing-std's is private to it).
#[derive(Debug)]
struct Grow {
    bytes: Vec<u8>,
    limit: usize,
}

impl Buffer for Grow {
    fn as_slice(&self) -> &[u8] {
        &self.bytes
    }
    fn capacity(&self) -> usize {
        self.limit
    }
    fn extend_from_slice(&mut self, data: &[u8]) -> Result<(), Full> {
        match self.bytes.len().checked_add(data.len()) {
            Some(n) if n <= self.limit => {
                self.bytes.extend_from_slice(data);
                Ok(())
            }
            _ => Err(Full),
        }
    }
    fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
        if self.bytes.is_empty() && self.bytes.capacity() > 64 * 1024 {
            // A large frame passed: give its memory back.
            self.bytes = Vec::new();
        }
    }
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.bytes.len());
        self.bytes.drain(..n);
    }
}

/// What the capture's packets come to, for the summary.
#[derive(Default)]
struct Counts {
    packets: u64,
    tcp: u64,
    not_tcp: u64,
    fragments: u64,
    truncated: u64,
    malformed: u64,
    other_link: u64,
    retransmitted: u64,
    out_of_window: u64,
    over_connections: u64,
}

/// Where lines go, and what every connection shares.
struct Sink {
    view: View,
    out: BufWriter<io::StdoutLock<'static>>,
    stats: Stats,
    /// Bytes waiting in gaps and in decoders, all connections.
    held: usize,
    max_held: usize,
    /// Whether a direction ended in an error.
    failed: bool,
    /// The first failed write to stdout.
    write_error: Option<io::Error>,
    counts: Counts,
}

impl Sink {
    fn write(&mut self, line: Option<Line>) {
        if self.write_error.is_some() {
            return;
        }
        let bytes = match line {
            None => return,
            Some(Line::Ready(bytes)) => bytes,
            Some(Line::Later(_, make)) => make(),
        };
        if let Err(e) = self.out.write_all(&bytes) {
            self.write_error = Some(e);
        }
    }

    /// An error line, with the keys of a frame's (`tap`'s error line,
    /// without its "forwarding goes on").
    fn error(&mut self, ctx: &Ctx, why: &str, offset: Option<u64>) {
        self.failed = true;
        self.stats.failed(ctx.dir);
        if !self.view.shows(ctx.dir) {
            return;
        }
        let ts = crate::watch::stamp(ctx);
        let mut line = if self.view.json {
            let mut obj = Map::new();
            obj.insert("error".into(), json!(why));
            if let Some(offset) = offset {
                obj.insert("offset".into(), json!(offset));
            }
            View::keys(&mut obj, ctx, ts);
            Json::Object(obj).to_string()
        } else {
            format!("{}error: {why}", self.view.prefix(ctx, &ts))
        };
        line.push('\n');
        self.write(Some(Line::Ready(line.into_bytes())));
    }
}

/// One direction of a connection, put back in order and decoded.
struct Half {
    dir: Dir,
    /// The sequence number of the stream's first byte (offset 0), once
    /// known: the SYN's plus one, or the first segment's.
    base: Option<u32>,
    /// Bytes delivered in order: the stream offset of the next one.
    delivered: u64,
    /// Segments past a gap, by stream offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    /// What `ahead` costs: its bytes, and [`ENTRY_COST`] a segment.
    ahead_bytes: usize,
    /// Where the sender's FIN is, once seen.
    fin_at: Option<u64>,
    syn: bool,
    decoder: Decoder<Layout, Grow>,
    frames: u64,
    /// The stream offset where the next item begins.
    next_start: u64,
    /// Decoding stopped (an error was printed); bytes are still counted.
    stopped: bool,
    /// The direction has ended and was reported.
    ended: bool,
}

impl Half {
    fn new(dir: Dir, layout: Layout) -> Half {
        let limit = usize::try_from(layout.max_frame_len()).unwrap_or(usize::MAX);
        Half {
            dir,
            base: None,
            delivered: 0,
            ahead: BTreeMap::new(),
            ahead_bytes: 0,
            fin_at: None,
            syn: false,
            decoder: Decoder::new(
                layout,
                Grow {
                    bytes: Vec::new(),
                    limit,
                },
            ),
            frames: 0,
            next_start: 0,
            stopped: false,
            ended: false,
        }
    }

    /// Takes a segment: `seq` its sequence number, `payload` its data.
    fn segment(&mut self, seg: &Segment<'_>, ctx: &Ctx, sink: &mut Sink) {
        if self.ended {
            return;
        }
        let mut seq = seg.seq;
        if seg.syn {
            // The SYN takes a sequence number; data (TCP Fast Open) follows it.
            seq = seq.wrapping_add(1);
            if self.delivered == 0 && self.ahead.is_empty() {
                self.base = Some(seq);
                self.syn = true;
            }
        }
        let base = *self.base.get_or_insert(seq);
        // Relative to the next byte expected (sequence numbers wrap; a
        // stream may pass 4 GiB).
        let next = base.wrapping_add(self.delivered as u32);
        let rel = i64::from(seq.wrapping_sub(next) as i32);
        let start = self.delivered as i64 + rel;
        let end = start + seg.payload.len() as i64;
        if seg.fin && end >= 0 && self.fin_at.is_none() {
            self.fin_at = Some(end as u64);
        }
        if !seg.payload.is_empty() {
            if end <= self.delivered as i64 {
                sink.counts.retransmitted += 1;
            } else {
                let skip = (self.delivered as i64 - start).max(0) as usize;
                let at = (start + skip as i64) as u64;
                let data = &seg.payload[skip..];
                if at == self.delivered {
                    self.deliver(data, ctx, sink);
                    self.drain(ctx, sink);
                } else if at - self.delivered > MAX_AHEAD {
                    sink.counts.out_of_window += 1;
                } else {
                    self.wait(at, data, ctx, sink);
                }
            }
        }
        if let Some(fin) = self.fin_at {
            if self.delivered >= fin && self.ahead.is_empty() {
                self.end("the sender closed (FIN)", ctx, sink);
            }
        }
    }

    /// Bytes waiting past a gap.
    fn waiting(&self) -> usize {
        self.ahead.values().map(Vec::len).sum()
    }

    /// Keeps `data`, which starts at `at`, past a gap.
    fn wait(&mut self, at: u64, data: &[u8], ctx: &Ctx, sink: &mut Sink) {
        if self.stopped {
            // Not decoded any more: only the count of bytes matters, and
            // bytes past a gap are not counted.
            return;
        }
        match self.ahead.get(&at) {
            Some(kept) if kept.len() >= data.len() => {
                sink.counts.retransmitted += 1;
                return;
            }
            Some(kept) => {
                let n = kept.len() + ENTRY_COST;
                self.ahead_bytes -= n;
                sink.held -= n;
            }
            None => {}
        }
        self.ahead_bytes += data.len() + ENTRY_COST;
        sink.held += data.len() + ENTRY_COST;
        self.ahead.insert(at, data.to_vec());
        if sink.held > sink.max_held {
            let why = format!(
                "reassembly would hold more than --max-buffered {} bytes (bytes {} to {} are \
                 missing, {} bytes wait after them); decoding of this direction stops",
                sink.max_held,
                self.delivered,
                self.ahead.keys().next().copied().unwrap_or(at),
                self.waiting()
            );
            self.stop(&why, Some(self.delivered), ctx, sink);
        }
    }

    /// Delivers what waited and is no longer past a gap.
    fn drain(&mut self, ctx: &Ctx, sink: &mut Sink) {
        while let Some(entry) = self.ahead.first_entry() {
            let at = *entry.key();
            if at > self.delivered {
                break;
            }
            let data = entry.remove();
            self.ahead_bytes -= data.len() + ENTRY_COST;
            sink.held -= data.len() + ENTRY_COST;
            let end = at + data.len() as u64;
            if end <= self.delivered {
                continue;
            }
            let skip = (self.delivered - at) as usize;
            self.deliver(&data[skip..], ctx, sink);
        }
    }

    /// Decoding stops here, with `why` printed.
    fn stop(&mut self, why: &str, offset: Option<u64>, ctx: &Ctx, sink: &mut Sink) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        sink.held -= self.ahead_bytes;
        self.ahead_bytes = 0;
        self.ahead.clear();
        let buffered = self.decoder.buffer().len();
        sink.held -= buffered;
        self.decoder = Decoder::new(
            *self.decoder.layout(),
            Grow {
                bytes: Vec::new(),
                limit: 0,
            },
        );
        sink.error(ctx, why, offset);
    }

    /// Feeds the decoder the next bytes of the stream.
    fn deliver(&mut self, mut input: &[u8], ctx: &Ctx, sink: &mut Sink) {
        self.delivered += input.len() as u64;
        if self.stopped {
            return;
        }
        let before = self.decoder.buffer().len();
        loop {
            let start = self.next_start;
            let mut is_frame = false;
            let line = match self.decoder.decode(&mut input) {
                Ok(Some(Decoded::Frame(frame))) => {
                    is_frame = true;
                    self.frames += 1;
                    sink.view.frame_line(ctx, &frame, self.frames, start)
                }
                Ok(Some(Decoded::Preface(p))) => sink.view.preface_line(ctx, p.payload()),
                Ok(Some(Decoded::Recovered(report))) => sink.view.report_line(ctx, &report),
                // An item a later framing-core may add: its bytes count, no line.
                Ok(Some(_)) => None,
                Ok(None) => break,
                Err(e) => {
                    let after = self.decoder.buffer().len();
                    sink.held = sink.held + after - before;
                    let why = e.to_string();
                    self.stop(&why, Some(e.offset()), ctx, sink);
                    return;
                }
            };
            self.next_start = self.decoder.offset();
            sink.stats.item(self.dir, self.next_start - start, is_frame);
            sink.write(line);
        }
        let after = self.decoder.buffer().len();
        sink.held = sink.held + after - before;
        if sink.held > sink.max_held {
            let why = format!(
                "reassembly would hold more than --max-buffered {} bytes ({} of a frame not yet \
                 whole here); decoding of this direction stops",
                sink.max_held, after
            );
            let at = self.next_start;
            self.stop(&why, Some(at), ctx, sink);
        }
    }

    /// The direction has ended (`how`): report a gap or a frame cut short.
    fn end(&mut self, how: &str, ctx: &Ctx, sink: &mut Sink) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.stopped {
            return;
        }
        let hint = if self.syn {
            ""
        } else {
            " (no SYN captured: the capture may begin inside this connection)"
        };
        if let Some((&at, _)) = self.ahead.iter().next() {
            let why = format!(
                "cut: bytes {} to {} are missing from the capture ({} bytes after them), then {how}",
                self.delivered,
                at,
                self.waiting()
            );
            let offset = self.delivered;
            self.stop(&why, Some(offset), ctx, sink);
            return;
        }
        let before = self.decoder.buffer().len();
        match self.decoder.finish() {
            Ok(None) => {}
            Ok(Some(report)) => {
                let line = sink.view.report_line(ctx, &report);
                sink.write(line);
            }
            Err(e) => {
                let why = if matches!(e.kind(), DecodeErrorKind::Truncated { .. }) {
                    format!("cut mid-frame: {how}: {e}{hint}")
                } else {
                    format!("{e}{hint}")
                };
                self.stop(&why, Some(e.offset()), ctx, sink);
                return;
            }
        }
        sink.held = sink.held + self.decoder.buffer().len() - before;
    }
}

/// A TCP segment from the capture.
struct Segment<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
    payload: &'a [u8],
}

/// Why a packet is not a TCP segment.
enum Skip {
    NotTcp,
    Fragment,
    Malformed,
    OtherLink,
}

/// The TCP segment in a packet of link type `link`.
fn segment(link: Linktype, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let sliced = match link.0 {
        // Ethernet.
        1 => SlicedPacket::from_ethernet(data),
        // Linux cooked capture v1 (`tcpdump -i any`).
        113 => SlicedPacket::from_linux_sll(data),
        // Linux cooked capture v2: the protocol in its first two bytes, 20
        // bytes of header.
        276 => match data.get(20..) {
            Some(rest) => SlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([data[0], data[1]])),
                rest,
            ),
            None => return Err(Skip::Malformed),
        },
        // Raw IP.
        12 | 14 | 101 | 228 | 229 => SlicedPacket::from_ip(data),
        // BSD loopback: a 4-byte address family, then IP.
        0 | 108 => match data.get(4..) {
            Some(rest) => SlicedPacket::from_ip(rest),
            None => return Err(Skip::Malformed),
        },
        _ => return Err(Skip::OtherLink),
    }
    .map_err(|_| Skip::Malformed)?;
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => {
            if ip.is_payload_fragmented() {
                return Err(Skip::Fragment);
            }
            (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            )
        }
        Some(NetSlice::Ipv6(ip)) => {
            if ip.is_payload_fragmented() {
                return Err(Skip::Fragment);
            }
            (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            )
        }
        _ => return Err(Skip::NotTcp),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Err(Skip::NotTcp);
    };
    Ok(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    })
}

/// A connection: its two directions, "up" from the client.
struct Conn {
    id: u64,
    client: SocketAddr,
    halves: [Half; 2],
}

impl Conn {
    fn ctx(&self, dir: Dir, at: SystemTime) -> Ctx {
        Ctx {
            conn: self.id,
            peer: self.client,
            dir,
            at: Some(at),
        }
    }

    /// Ends both directions that have not ended (`how`).
    fn end(&mut self, how: &str, at: SystemTime, sink: &mut Sink) {
        for i in 0..2 {
            let ctx = self.ctx(self.halves[i].dir, at);
            self.halves[i].end(how, &ctx, sink);
        }
    }

    fn done(&self) -> bool {
        self.halves.iter().all(|h| h.ended)
    }
}

/// The connections of a capture, by their two endpoints (in order).
struct Conns {
    live: HashMap<(SocketAddr, SocketAddr), Conn>,
    next_id: u64,
    layouts: [Layout; 2],
    max: usize,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Conns {
    fn packet(&mut self, seg: &Segment<'_>, at: SystemTime, sink: &mut Sink) {
        let k = key(seg.src, seg.dst);
        if let Some(conn) = self.live.get_mut(&k) {
            // A new SYN (not a copy of the first) on these endpoints: a new
            // connection reusing them.
            let dir = usize::from(seg.src != conn.client);
            let half = &conn.halves[dir];
            let fresh_syn =
                seg.syn && !seg.ack && (half.base != Some(seg.seq.wrapping_add(1)) || half.ended);
            if fresh_syn {
                let mut old = self.live.remove(&k).expect("present");
                old.end("a new connection reused its addresses", at, sink);
            }
        }
        if !self.live.contains_key(&k) {
            if !seg.syn && seg.payload.is_empty() {
                // A bare ACK, FIN or RST of no connection tracked (the
                // last ACK after both FINs, say): nothing to decode.
                return;
            }
            if self.live.len() >= self.max {
                sink.counts.over_connections += 1;
                return;
            }
            let client = if seg.syn && !seg.ack {
                seg.src
            } else if seg.syn {
                seg.dst
            } else if seg.dst.port() < seg.src.port() {
                seg.src
            } else if seg.src.port() < seg.dst.port() {
                seg.dst
            } else {
                seg.src
            };
            self.next_id += 1;
            sink.stats
                .connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.live.insert(
                k,
                Conn {
                    id: self.next_id,
                    client,
                    halves: [
                        Half::new(Dir::Up, self.layouts[0]),
                        Half::new(Dir::Down, self.layouts[1]),
                    ],
                },
            );
        }
        let conn = self.live.get_mut(&k).expect("present");
        let dir = if seg.src == conn.client {
            Dir::Up
        } else {
            Dir::Down
        };
        let ctx = conn.ctx(dir, at);
        conn.halves[usize::from(dir == Dir::Down)].segment(seg, &ctx, sink);
        if seg.rst {
            conn.end("the connection was reset (RST)", at, sink);
        }
        if conn.done() {
            self.live.remove(&k);
        }
    }

    /// The end of the capture: every connection still open ends.
    fn finish(&mut self, at: SystemTime, sink: &mut Sink) {
        let mut left: Vec<Conn> = self.live.drain().map(|(_, c)| c).collect();
        left.sort_by_key(|c| c.id);
        for mut conn in left {
            conn.end("the capture ended", at, sink);
        }
    }
}

/// The time `units` (of `per_second` each) after the epoch, plus `offset`
/// seconds; the epoch itself if that is out of range.
fn time(units: u64, per_second: u64, offset: i64) -> SystemTime {
    let per_second = per_second.max(1);
    let secs = (units / per_second) as i64;
    let nanos = (u128::from(units % per_second) * 1_000_000_000 / u128::from(per_second)) as u32;
    // RFC 3339 (the "ts" key) ends with the year 9999.
    let secs = secs.saturating_add(offset).min(253_402_300_799);
    u64::try_from(secs)
        .ok()
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::new(s, nanos)))
        .unwrap_or(UNIX_EPOCH)
}

/// An interface of a pcapng section: its link type and clock.
struct Interface {
    link: Linktype,
    per_second: u64,
    offset: i64,
}

/// `framing decode --pcap FILE`.
pub fn decode(path: &Path, json: bool, header: &HeaderArgs, args: &PcapArgs) -> Result<(), Fail> {
    let up = header.layout_of(Side::Client)?;
    let down = args.down.over(header).layout().map_err(|e| match e {
        Fail::Usage(m) => Fail::Usage(format!("down: {m}")),
        other => other,
    })?;
    if args.max_connections == 0 {
        return Err(Fail::Usage(
            "invalid --max-connections 0: give at least 1".into(),
        ));
    }
    let show = ShowArgs {
        json,
        hexdump: false,
        color: "auto".into(),
        snaplen: None,
        matches: Vec::new(),
        min_len: None,
        max_len: None,
    };
    let view = View::new(&show, [header_format(&up), header_format(&down)], None)?;
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Fail::Data(format!("cannot open {name}: {e}")))?;
    let mut reader = pcap_parser::create_reader(BLOCK_BUFFER, file).map_err(|e| {
        Fail::Data(match e {
            PcapError::Eof => format!("{name}: empty file, not a capture"),
            PcapError::HeaderNotRecognized => {
                format!("{name}: byte 0: not a pcap or pcapng capture (unknown magic number)")
            }
            PcapError::ReadError => format!("{name}: cannot read"),
            e => format!("{name}: byte 0: bad capture header: {e:?}"),
        })
    })?;
    let mut sink = Sink {
        view,
        out: BufWriter::new(io::stdout().lock()),
        stats: Stats::default(),
        held: 0,
        max_held: usize::try_from(args.max_buffered).unwrap_or(usize::MAX),
        failed: false,
        write_error: None,
        counts: Counts::default(),
    };
    let mut conns = Conns {
        live: HashMap::new(),
        next_id: 0,
        layouts: [up, down],
        max: args.max_connections,
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy: Option<(Linktype, u64)> = None;
    let mut last = UNIX_EPOCH;
    let mut capacity = BLOCK_BUFFER;
    let mut broken: Option<String> = None;
    loop {
        if sink.write_error.is_some() {
            break;
        }
        let at = reader.consumed();
        match reader.next() {
            Ok((len, block)) => {
                let packet: Option<(SystemTime, Linktype, &[u8], bool)> = match &block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let per_second = if h.is_nanosecond_precision() {
                            1_000_000_000
                        } else {
                            1_000_000
                        };
                        legacy = Some((h.network, per_second));
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (link, per_second) = legacy.unwrap_or((Linktype(1), 1_000_000));
                        let units = u64::from(b.ts_sec)
                            .saturating_mul(per_second)
                            .saturating_add(u64::from(b.ts_usec));
                        let data = &b.data[..(b.caplen as usize).min(b.data.len())];
                        Some((time(units, per_second, 0), link, data, b.caplen < b.origlen))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        // Interface numbers start again in each section.
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            link: idb.linktype,
                            per_second: idb.ts_resolution().unwrap_or(1_000_000),
                            offset: idb.ts_offset(),
                        });
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match interfaces.get(epb.if_id as usize) {
                            Some(i) => {
                                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let data = &epb.data[..(epb.caplen as usize).min(epb.data.len())];
                                Some((
                                    time(units, i.per_second, i.offset),
                                    i.link,
                                    data,
                                    epb.caplen < epb.origlen,
                                ))
                            }
                            None => {
                                broken = Some(format!(
                                    "{name}: byte {at}: a packet of interface {} before that \
                                     interface was described",
                                    epb.if_id
                                ));
                                break;
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => match interfaces.first() {
                        // No time of its own: the last packet's.
                        Some(i) => {
                            let data = &spb.data[..(spb.origlen as usize).min(spb.data.len())];
                            Some((last, i.link, data, (spb.origlen as usize) > spb.data.len()))
                        }
                        None => None,
                    },
                    PcapBlockOwned::NG(_) => None,
                };
                if let Some((ts, link, data, truncated)) = packet {
                    last = ts;
                    sink.counts.packets += 1;
                    match segment(link, data) {
                        Ok(seg) => {
                            sink.counts.tcp += 1;
                            conns.packet(&seg, ts, &mut sink);
                        }
                        Err(_) if truncated => sink.counts.truncated += 1,
                        Err(Skip::NotTcp) => sink.counts.not_tcp += 1,
                        Err(Skip::Fragment) => sink.counts.fragments += 1,
                        Err(Skip::Malformed) => sink.counts.malformed += 1,
                        Err(Skip::OtherLink) => sink.counts.other_link += 1,
                    }
                }
                drop(block);
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                let before = reader.data().len();
                if reader.refill().is_err() {
                    broken = Some(format!("{name}: byte {at}: cannot read"));
                    break;
                }
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // The buffer is full and the block is not whole in it.
                    if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                        broken = Some(format!(
                            "{name}: byte {at}: a block of more than {capacity} bytes: not \
                             read (the largest taken is {MAX_BLOCK})"
                        ));
                        break;
                    }
                    capacity *= 2;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                    broken = Some(format!(
                        "{name}: byte {at}: a block of more than {capacity} bytes: not read \
                         (the largest taken is {MAX_BLOCK})"
                    ));
                    break;
                }
                capacity *= 2;
                let _ = reader.refill();
            }
            Err(PcapError::UnexpectedEof) => {
                broken = Some(format!(
                    "{name}: byte {at}: the capture ends inside a block (cut short)"
                ));
                break;
            }
            Err(e) => {
                broken = Some(format!("{name}: byte {at}: bad block: {}", describe(&e)));
                break;
            }
        }
    }
    conns.finish(last, &mut sink);
    let flushed = sink.out.flush();
    if let Some(e) = sink.write_error.take().or(flushed.err()) {
        return Err(Fail::Data(format!("cannot write output: {e}")));
    }
    let c = &sink.counts;
    let mut summary = sink.stats.summary(&[Dir::Up, Dir::Down]);
    summary = summary.replacen(", 0 refused", "", 1);
    eprintln!(
        "{summary}; {} packets: {} TCP, {} not TCP, {} IP fragments, {} cut by the snap length, \
         {} malformed, {} of another link type; {} segments retransmitted, {} out of window, {} \
         packets over --max-connections",
        c.packets,
        c.tcp,
        c.not_tcp,
        c.fragments,
        c.truncated,
        c.malformed,
        c.other_link,
        c.retransmitted,
        c.out_of_window,
        c.over_connections
    );
    if let Some(why) = broken {
        return Err(Fail::Data(why));
    }
    if sink.failed {
        return Err(Fail::Data(
            "a direction of a connection ended in an error (see its line)".into(),
        ));
    }
    Ok(())
}

/// A parse error from the capture reader, without its input bytes.
fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("{kind:?}"),
        PcapError::OwnedNomError(_, kind) => format!("{kind:?}"),
        PcapError::ReadError => "cannot read".into(),
        PcapError::HeaderNotRecognized => "not a pcap or pcapng block".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_out_of_range_are_clamped_not_a_panic() {
        let far = time(u64::MAX, 1, i64::MAX);
        let ctx = Ctx {
            conn: 1,
            peer: "127.0.0.1:1".parse().unwrap(),
            dir: Dir::Up,
            at: Some(far),
        };
        assert_eq!(crate::watch::stamp(&ctx), "9999-12-31T23:59:59.000000Z");
        assert_eq!(time(1_500_000, 1_000_000, -10), UNIX_EPOCH);
        assert_eq!(
            time(1_500_000, 1_000_000, 0),
            UNIX_EPOCH + Duration::from_millis(1500)
        );
    }

    #[test]
    fn a_connection_costs_little_memory() {
        eprintln!("Conn: {} bytes", std::mem::size_of::<Conn>());
        assert!(std::mem::size_of::<Conn>() < 4096);
    }
}
