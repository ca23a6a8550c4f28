//! `tap --pcap-out FILE`: what the tap forwards, as a pcapng capture that
//! Wireshark and tshark open.
//!
//! The tap sees two TCP connections (client to tap, tap to upstream) and
//! forwards bytes between them; the capture shows the one connection they
//! stand for, client to upstream, synthesised: Ethernet, IPv4 (IPv6 when
//! either address is IPv6, an IPv4 one then mapped), TCP with a handshake
//! (SYN, SYN-ACK, ACK), consistent sequence and acknowledgement numbers,
//! each read's bytes as segments of at most [`MAX_SEGMENT`] bytes, a FIN
//! for each half-close and an RST for a connection that ended otherwise.
//! `etherparse` builds the packets (checksums included) and `pcap-parser`
//! writes the blocks, the crates `decode --pcap` reads them with.
//!
//! The file is written from the event loop through a 64 KiB buffer,
//! flushed when a connection ends and at exit; a failed write is logged
//! once and ends the capture (the tap goes on).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use etherparse::PacketBuilder;
use pcap_parser::{
    EnhancedPacketBlock, InterfaceDescriptionBlock, Linktype, PcapNGOption, SectionHeaderBlock,
    ToVec,
};

use crate::output::Output;

/// The most payload one synthesised segment carries (an IPv4 packet is at
/// most 65,535 bytes, headers included).
pub(crate) const MAX_SEGMENT: usize = 65_000;

/// The client's and the server's made-up MAC addresses.
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

struct Capture {
    out: Option<BufWriter<File>>,
    log: Output,
}

impl Capture {
    fn write(&mut self, block: io::Result<Vec<u8>>) {
        let Some(out) = &mut self.out else { return };
        if let Err(e) = block.and_then(|b| out.write_all(&b)) {
            self.log.log(format!(
                "framing: cannot write the --pcap-out capture: {e}; it stops here"
            ));
            self.out = None;
        }
    }
}

/// The capture file, shared by every connection.
pub(crate) struct PcapOut {
    file: Mutex<Capture>,
}

fn gen<T: ToVec>(mut block: T) -> io::Result<Vec<u8>> {
    block
        .to_vec()
        .map_err(|e| io::Error::other(format!("cannot serialise a block: {e:?}")))
}

impl PcapOut {
    /// Creates `path` and writes the section and interface headers.
    pub(crate) fn create(path: &Path, log: Output) -> io::Result<Arc<PcapOut>> {
        let mut out = BufWriter::with_capacity(64 * 1024, File::create(path)?);
        let shb = SectionHeaderBlock {
            block_type: 0,
            block_len1: 0,
            bom: 0,
            major_version: 1,
            minor_version: 0,
            section_len: -1,
            options: Vec::new(),
            block_len2: 0,
        };
        let idb = InterfaceDescriptionBlock {
            block_type: 0,
            block_len1: 0,
            linktype: Linktype::ETHERNET,
            reserved: 0,
            snaplen: 0,
            options: vec![PcapNGOption {
                code: pcap_parser::OptionCode::IfName,
                len: 3,
                value: Cow::Borrowed(b"tap"),
            }],
            block_len2: 0,
            // Microseconds.
            if_tsresol: 6,
            if_tsoffset: 0,
        };
        out.write_all(&gen(shb)?)?;
        out.write_all(&gen(idb)?)?;
        out.flush()?;
        Ok(Arc::new(PcapOut {
            file: Mutex::new(Capture {
                out: Some(out),
                log,
            }),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Capture> {
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&self) {
        let mut file = self.lock();
        if let Some(out) = &mut file.out {
            if let Err(e) = out.flush() {
                file.write(Err(e));
            }
        }
    }

    /// Starts connection number `conn` from `client` to `server`: writes
    /// its handshake and returns what records its bytes.
    pub(crate) fn connection(
        self: &Arc<Self>,
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
    ) -> Arc<Recorder> {
        // Initial sequence numbers: any, but different per connection.
        let isn = (conn as u32).wrapping_mul(0x9E37_79B9);
        let rec = Arc::new(Recorder {
            file: Arc::clone(self),
            state: Mutex::new(State {
                ends: [client, server],
                next: [isn, isn ^ 0x5555_5555],
                closed: [false, false],
            }),
        });
        {
            let mut s = rec.lock();
            rec.packet(&mut s, 0, Flags::Syn, &[]);
            s.next[0] = s.next[0].wrapping_add(1);
            rec.packet(&mut s, 1, Flags::SynAck, &[]);
            s.next[1] = s.next[1].wrapping_add(1);
            rec.packet(&mut s, 0, Flags::Ack, &[]);
        }
        rec
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin,
    Rst,
}

struct State {
    /// Client, server.
    ends: [SocketAddr; 2],
    /// The next sequence number each way (0: up, from the client).
    next: [u32; 2],
    /// Whether each way has sent its FIN.
    closed: [bool; 2],
}

/// Records one connection's packets.
pub(crate) struct Recorder {
    file: Arc<PcapOut>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes forwarded in direction `dir` (0: up, 1: down).
    pub(crate) fn data(&self, dir: usize, bytes: &[u8]) {
        let mut s = self.lock();
        for chunk in bytes.chunks(MAX_SEGMENT) {
            self.packet(&mut s, dir, Flags::Data, chunk);
            s.next[dir] = s.next[dir].wrapping_add(chunk.len() as u32);
        }
    }

    /// Direction `dir`'s sender closed (a half-close passed on).
    pub(crate) fn fin(&self, dir: usize) {
        let mut s = self.lock();
        if s.closed[dir] {
            return;
        }
        s.closed[dir] = true;
        self.packet(&mut s, dir, Flags::Fin, &[]);
        s.next[dir] = s.next[dir].wrapping_add(1);
    }

    /// The connection ended: an RST if it did not end with both FINs.
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        if !(s.closed[0] && s.closed[1]) {
            let dir = usize::from(s.closed[0]);
            s.closed = [true, true];
            self.packet(&mut s, dir, Flags::Rst, &[]);
        }
        drop(s);
        self.file.flush();
    }

    /// Writes one packet from side `dir`.
    fn packet(&self, s: &mut State, dir: usize, flags: Flags, payload: &[u8]) {
        let (src, dst) = (s.ends[dir], s.ends[1 - dir]);
        let (src_mac, dst_mac) = if dir == 0 {
            (CLIENT_MAC, SERVER_MAC)
        } else {
            (SERVER_MAC, CLIENT_MAC)
        };
        let eth = PacketBuilder::ethernet2(src_mac, dst_mac);
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => eth.ipv4(a.octets(), b.octets(), 64),
            (a, b) => eth.ipv6(v6(a), v6(b), 64),
        };
        let seq = s.next[dir];
        let ack = s.next[1 - dir];
        let tcp = ip.tcp(src.port(), dst.port(), seq, 65_535);
        let tcp = match flags {
            Flags::Syn => tcp.syn(),
            Flags::SynAck => tcp.syn().ack(ack),
            Flags::Ack => tcp.ack(ack),
            Flags::Data => tcp.ack(ack).psh(),
            Flags::Fin => tcp.ack(ack).fin(),
            Flags::Rst => tcp.ack(ack).rst(),
        };
        let mut frame = Vec::with_capacity(tcp.size(payload.len()));
        let built = tcp
            .write(&mut frame, payload)
            .map_err(|e| io::Error::other(format!("cannot build a packet: {e}")));
        let block = built.and_then(|()| {
            let micros = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
                .unwrap_or(0);
            gen(EnhancedPacketBlock {
                block_type: 0,
                block_len1: 0,
                if_id: 0,
                ts_high: (micros >> 32) as u32,
                ts_low: micros as u32,
                caplen: frame.len() as u32,
                origlen: frame.len() as u32,
                data: &frame,
                options: Vec::new(),
                block_len2: 0,
            })
        });
        self.file.lock().write(block);
    }
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}
