//! Captures in and out (issue 26, item 4): `tap --pcap-out` writes a pcapng
//! that `decode --pcap` reads back to the same frames; hand-built captures
//! (bytes written here) with segments out of order, retransmitted and
//! overlapping decode correctly; a connection cut mid-frame is reported;
//! hostile capture files end in an error, never a panic. On 127.0.0.1;
//! every wait is bounded by a timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use common::BIN;

const LIMIT: Duration = Duration::from_secs(60);

/// A fresh directory under the target directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pcap-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for `child` within [`LIMIT`], killing it if it overstays.
fn finish(child: Child) -> Output {
    common::finish_within(child, LIMIT, "the child")
}

/// `framing ARGS`, to its end.
fn framing(args: &[&str]) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing");
    finish(child)
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    common::json_lines(&String::from_utf8_lossy(out))
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

/// An upstream that echoes every byte of one connection.
fn echo_upstream() -> (String, thread::JoinHandle<()>) {
    common::echo_upstream_within(LIMIT)
}

/// Runs `tap --once --pcap-out` (with `layout`'s options) between a
/// client and an echo upstream; the client sends `frames` and reads them
/// back. Returns the tap's output, where the capture is, and the
/// upstream's port.
fn tapped_capture(dir: &Path, frames: &[Vec<u8>], layout: &[&str]) -> (Output, PathBuf, u16) {
    let (upstream, echo) = echo_upstream();
    let port: u16 = upstream.rsplit(':').next().unwrap().parse().unwrap();
    let capture = dir.join("tap.pcapng");
    let mut child = Command::new(BIN)
        .args(["tap", "--once", "--json", "--listen", "127.0.0.1:0"])
        .args(["--upstream", &upstream, "--pcap-out"])
        .arg(&capture)
        .args(layout)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing tap");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first
        .strip_prefix("listening on ")
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    // The rest of stderr, read meanwhile: a pipe left unread would stall
    // the tap.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        let _ = tx.send(err);
    });
    let mut client = TcpStream::connect(&addr).unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    let all: Vec<u8> = frames.concat();
    // In two writes, the second cutting a frame, to make segments that
    // do not match frames.
    let cut = all.len() / 2 + 1;
    client.write_all(&all[..cut]).unwrap();
    client.write_all(&all[cut..]).unwrap();
    let mut back = vec![0; all.len()];
    client.read_exact(&mut back).unwrap();
    assert_eq!(back, all);
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    echo.join().unwrap();
    let out = finish(child);
    let err = rx.recv_timeout(LIMIT).unwrap_or_default();
    assert!(out.status.success(), "tap failed: {err}");
    (out, capture, port)
}

/// The lines without their "ts" (the tap stamps a line when the frame was
/// forwarded, the capture when its bytes were read).
fn without_ts(lines: Vec<Value>) -> Vec<Value> {
    lines
        .into_iter()
        .map(|mut v| {
            let ts = v.as_object_mut().unwrap().remove("ts").expect("a ts key");
            assert!(ts.as_str().unwrap().ends_with('Z'), "{ts}");
            v
        })
        .collect()
}

#[test]
fn a_capture_written_by_tap_pcap_out_decodes_to_the_frames_the_tap_printed() {
    let dir = scratch("roundtrip");
    let big = vec![b'x'; 200_000];
    let frames = vec![
        frame(b"hello"),
        frame(b""),
        frame("h\u{e9}llo w\u{f6}rld".as_bytes()),
        frame(&big),
        frame(&[0xff, 0x00, 0x01]),
    ];
    let (tap, capture, _) = tapped_capture(&dir, &frames, &[]);
    let decoded = framing(&["decode", "--json", "--pcap", capture.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&decoded.stderr);
    assert!(decoded.status.success(), "{err}");
    assert!(err.contains("up: 5 frames"), "{err}");
    let mut want = without_ts(json_lines(&tap.stdout));
    let mut got = without_ts(json_lines(&decoded.stdout));
    // Per direction, in order: the tap and the capture may interleave
    // the two directions differently.
    for lines in [&mut want, &mut got] {
        lines.sort_by_key(|v| (v["dir"].as_str().unwrap().to_string(), v["index"].as_u64()));
    }
    assert_eq!(got.len(), 10);
    assert_eq!(got, want);
    assert_eq!(got[0]["text"], "hello");
    assert_eq!(got[3]["length"], 200_000);
}

// ---- hand-built captures ----

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 40000);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 7000);

/// An Ethernet II / IPv4 / TCP packet (checksums left zero: readers of
/// captures do not check them).
fn packet(src: ([u8; 4], u16), dst: ([u8; 4], u16), seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut p = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = (20 + 20 + data.len()) as u16;
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&src.0);
    p.extend_from_slice(&dst.0);
    p.extend_from_slice(&src.1.to_be_bytes());
    p.extend_from_slice(&dst.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(data);
    p
}

/// A classic pcap file (microseconds, Ethernet) of `packets`, one a
/// millisecond from 2026-01-01T00:00:00Z.
fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        f.extend_from_slice(&1_767_225_600u32.to_le_bytes());
        f.extend_from_slice(&((i as u32) * 1000).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

/// `decode --pcap` of a capture made of `bytes`, with `args`.
fn decode_capture(dir: &Path, bytes: &[u8], args: &[&str]) -> (Output, Vec<Value>) {
    let path = dir.join("capture.pcap");
    std::fs::write(&path, bytes).unwrap();
    let out = framing(
        &[
            &["decode", "--json", "--pcap", path.to_str().unwrap()][..],
            args,
        ]
        .concat(),
    );
    let lines = json_lines(&out.stdout);
    (out, lines)
}

fn payloads(lines: &[Value], dir: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|v| v["dir"] == dir && v.get("text").is_some())
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn segments_out_of_order_retransmitted_and_overlapping_are_put_back_in_order() {
    let dir = scratch("reorder");
    // Client stream: three frames, 4 + 5, 4 + 6, 4 + 3 bytes = 26 bytes.
    let up = [frame(b"hello"), frame(b"world!"), frame(b"end")].concat();
    let down = [frame(b"ok"), frame(b"bye")].concat();
    let (c, s) = (1000u32, 5000u32);
    let packets = vec![
        packet(CLIENT, SERVER, c, SYN, &[]),
        packet(SERVER, CLIENT, s, SYN | ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK, &[]),
        // Bytes 0..7, then 15..26 before 7..15, then 0..7 again, then an
        // overlap of 5..12, then 7..15.
        packet(CLIENT, SERVER, c + 1, ACK | PSH, &up[0..7]),
        packet(CLIENT, SERVER, c + 1 + 15, ACK | PSH, &up[15..26]),
        packet(CLIENT, SERVER, c + 1, ACK | PSH, &up[0..7]),
        // The server's reply, in the middle of it, out of order too.
        packet(SERVER, CLIENT, s + 1 + 6, ACK | PSH, &down[6..]),
        packet(CLIENT, SERVER, c + 1 + 5, ACK | PSH, &up[5..12]),
        packet(CLIENT, SERVER, c + 1 + 7, ACK | PSH, &up[7..15]),
        packet(SERVER, CLIENT, s + 1, ACK | PSH, &down[..6]),
        packet(CLIENT, SERVER, c + 1 + 26, ACK | FIN, &[]),
        packet(SERVER, CLIENT, s + 1 + 13, ACK | FIN, &[]),
    ];
    let (out, lines) = decode_capture(&dir, &pcap(&packets), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(payloads(&lines, "up"), ["hello", "world!", "end"]);
    assert_eq!(payloads(&lines, "down"), ["ok", "bye"]);
    // The client is the SYN's sender, whatever the ports.
    assert!(
        lines.iter().all(|v| v["peer"] == "10.0.0.1:40000"),
        "{lines:?}"
    );
    let offsets: Vec<u64> = lines
        .iter()
        .filter(|v| v["dir"] == "up")
        .map(|v| v["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 9, 19]);
    // A frame is stamped with the packet that made it whole: "hello"
    // (bytes 0..9) with the overlap (5..12, 7 ms in); "world!" (9..19)
    // and "end" (19..26) with the late 7..15 (8 ms), which joins what
    // waited.
    let ts = |text: &str| lines.iter().find(|v| v["text"] == text).unwrap()["ts"].clone();
    assert_eq!(ts("hello"), "2026-01-01T00:00:00.007000Z");
    assert_eq!(ts("world!"), "2026-01-01T00:00:00.008000Z");
    assert_eq!(ts("end"), "2026-01-01T00:00:00.008000Z");
    assert_eq!(ts("ok"), "2026-01-01T00:00:00.009000Z");
    assert!(err.contains("retransmitted"), "{err}");
}

#[test]
fn a_connection_cut_mid_frame_is_reported_with_its_offset() {
    let dir = scratch("cut");
    let (c, s) = (7u32, 9u32);
    let mut up = frame(b"whole");
    // A frame announcing 100 bytes, of which 10 arrive.
    up.extend_from_slice(&100u32.to_be_bytes());
    up.extend_from_slice(b"0123456789");
    let base = vec![
        packet(CLIENT, SERVER, c, SYN, &[]),
        packet(SERVER, CLIENT, s, SYN | ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK | PSH, &up),
        packet(SERVER, CLIENT, s + 1, ACK | PSH, &frame(b"fine")),
    ];
    // Cut by the end of the capture, and by a reset.
    for (how, extra) in [
        ("the capture ended", vec![]),
        (
            "reset",
            vec![packet(CLIENT, SERVER, c + 1 + up.len() as u32, RST, &[])],
        ),
    ] {
        let packets = [base.clone(), extra].concat();
        let (out, lines) = decode_capture(&dir, &pcap(&packets), &[]);
        assert_eq!(out.status.code(), Some(1), "{how}");
        assert_eq!(payloads(&lines, "up"), ["whole"]);
        assert_eq!(payloads(&lines, "down"), ["fine"]);
        let error = lines
            .iter()
            .find(|v| v.get("error").is_some())
            .unwrap_or_else(|| panic!("no error line: {lines:?}"));
        assert_eq!(error["dir"], "up");
        assert_eq!(error["offset"], 9);
        let why = error["error"].as_str().unwrap();
        assert!(why.contains("cut mid-frame") && why.contains(how), "{why}");
        assert_eq!(lines.iter().filter(|v| v.get("error").is_some()).count(), 1);
    }
}

#[test]
fn a_gap_never_filled_is_reported_and_the_other_direction_still_decodes() {
    let dir = scratch("gap");
    let up = [frame(b"one"), frame(b"two"), frame(b"three")].concat();
    let packets = vec![
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(SERVER, CLIENT, 50, SYN | ACK, &[]),
        packet(CLIENT, SERVER, 2, ACK | PSH, &up[..7]),
        // Bytes 7..14 were never captured.
        packet(CLIENT, SERVER, 2 + 14, ACK | PSH, &up[14..]),
        packet(SERVER, CLIENT, 51, ACK | PSH, &frame(b"reply")),
        packet(CLIENT, SERVER, 2 + up.len() as u32, ACK | FIN, &[]),
        packet(SERVER, CLIENT, 51 + 9, ACK | FIN, &[]),
    ];
    let (out, lines) = decode_capture(&dir, &pcap(&packets), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(payloads(&lines, "up"), ["one"]);
    assert_eq!(payloads(&lines, "down"), ["reply"]);
    let error = lines.iter().find(|v| v.get("error").is_some()).unwrap();
    assert_eq!(error["offset"], 7);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("bytes 7 to 14 are missing"),
        "{error}"
    );
}

#[test]
fn without_a_syn_the_lower_port_is_the_server_and_sequence_numbers_may_wrap() {
    let dir = scratch("nosyn");
    let up = [frame(b"first"), frame(b"second")].concat();
    // The client's sequence numbers wrap past 2^32 inside the second frame.
    let c = u32::MAX - 10;
    let packets = vec![
        packet(SERVER, CLIENT, 77, ACK | PSH, &frame(b"banner")),
        packet(CLIENT, SERVER, c, ACK | PSH, &up[..12]),
        packet(CLIENT, SERVER, c.wrapping_add(12), ACK | PSH, &up[12..]),
    ];
    let (out, lines) = decode_capture(&dir, &pcap(&packets), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(payloads(&lines, "up"), ["first", "second"]);
    assert_eq!(payloads(&lines, "down"), ["banner"]);
    assert_eq!(lines[0]["dir"], "down");
    assert!(lines.iter().all(|v| v["peer"] == "10.0.0.1:40000"));
}

#[test]
fn two_connections_on_the_same_ports_are_numbered_apart_and_use_protocol_sides() {
    let dir = scratch("two");
    // Netstrings both ways; a second connection reuses the addresses.
    let mut packets = Vec::new();
    for (n, isn) in [(1u32, 100u32), (2, 900)] {
        let req = format!("3:c{n}x,");
        packets.push(packet(CLIENT, SERVER, isn, SYN, &[]));
        packets.push(packet(SERVER, CLIENT, 3, SYN | ACK, &[]));
        packets.push(packet(CLIENT, SERVER, isn + 1, ACK | PSH, req.as_bytes()));
        packets.push(packet(SERVER, CLIENT, 4, ACK | PSH, b"2:ok,"));
        packets.push(packet(CLIENT, SERVER, isn + 1 + 6, ACK | FIN, &[]));
        packets.push(packet(SERVER, CLIENT, 4 + 5, ACK | FIN, &[]));
        // The last ACK, after both FINs: no connection of its own.
        packets.push(packet(CLIENT, SERVER, isn + 1 + 6 + 1, ACK, &[]));
    }
    let (out, lines) = decode_capture(&dir, &pcap(&packets), &["--protocol", "netstring"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let seen: Vec<(u64, String, String)> = lines
        .iter()
        .map(|v| {
            (
                v["conn"].as_u64().unwrap(),
                v["dir"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String, String)> = [
        (1, "up", "c1x"),
        (1, "down", "ok"),
        (2, "up", "c2x"),
        (2, "down", "ok"),
    ]
    .iter()
    .map(|(c, d, t)| (*c, d.to_string(), t.to_string()))
    .collect();
    assert_eq!(seen, want);
    assert!(err.contains("summary: 2 connections"), "{err}");
}

#[test]
fn a_gap_past_max_buffered_stops_that_direction_and_memory_stays_bounded() {
    let dir = scratch("budget");
    let mut packets = vec![
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(CLIENT, SERVER, 2, ACK | PSH, &frame(b"a")),
    ];
    // 64 segments of 1000 bytes after a gap of one byte: 64,000 bytes wait.
    for i in 0..64u32 {
        packets.push(packet(
            CLIENT,
            SERVER,
            2 + 6 + i * 1000,
            ACK | PSH,
            &[b'z'; 1000],
        ));
    }
    let (out, lines) = decode_capture(&dir, &pcap(&packets), &["--max-buffered", "10000"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(payloads(&lines, "up"), ["a"]);
    let error = lines.iter().find(|v| v.get("error").is_some()).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("--max-buffered 10000"),
        "{error}"
    );
    assert_eq!(error["offset"], 5);
}

#[test]
fn hostile_capture_files_end_in_an_error_with_an_offset_never_a_panic() {
    let dir = scratch("hostile");
    let good = pcap(&[
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(CLIENT, SERVER, 2, ACK | PSH, &frame(b"abc")),
        packet(SERVER, CLIENT, 8, ACK | PSH, &frame(b"de")),
    ]);
    let path = dir.join("bad.pcap");
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not a capture at all".to_vec(),
        // A record announcing 4 GiB.
        [
            &good[..24],
            &[
                0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ][..],
        ]
        .concat(),
        // A pcapng section header announcing a huge block.
        [
            &0x0a0d_0d0au32.to_le_bytes()[..],
            &0xffff_fff0u32.to_le_bytes(),
            &0x1a2b_3c4du32.to_le_bytes(),
            &[1, 0, 0, 0],
        ]
        .concat(),
    ];
    // Every truncation, and every byte flipped, of a small good capture.
    for n in 0..good.len() {
        cases.push(good[..n].to_vec());
        let mut flipped = good.clone();
        flipped[n] ^= 0xff;
        cases.push(flipped);
    }
    for (i, bytes) in cases.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        let out = framing(&["decode", "--pcap", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "case {i}: exit {code:?}, stderr {err}"
        );
        assert!(!err.contains("panicked"), "case {i}: {err}");
        if code == Some(1) && i < 4 {
            assert!(
                err.contains("byte ") || err.contains("empty"),
                "case {i}: {err}"
            );
        }
    }
}

// ---- dissectors (issue 26, item 5) ----

/// `tshark` on PATH, or `None` with a message saying the test skipped.
fn tshark() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("tshark"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!(
            "skipped: tshark is not installed (Debian: apt-get install tshark; .ci/run tries \
             to): the generated dissector was not run"
        );
    }
    found
}

/// `framing encode` of `payloads` with `layout`'s options.
fn encode(layout: &[&str], payloads: &[&str]) -> Vec<u8> {
    let out = framing(&[&["encode"][..], layout, payloads].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs the dissector `framing dissector LAYOUT` writes under tshark on
/// `capture`; returns, per direction ("up": to `port`), one entry per
/// frame: its header values, then payload and trailer hex.
fn tshark_frames(
    tshark: &Path,
    dir: &Path,
    capture: &Path,
    layout: &[&str],
    values: usize,
    port: u16,
) -> Vec<(String, Vec<String>)> {
    let out = framing(&[&["dissector"][..], layout].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = dir.join("proto.lua");
    std::fs::write(&script, &out.stdout).unwrap();
    let mut cmd = Command::new(tshark);
    cmd.arg("-X")
        .arg(format!("lua_script:{}", script.display()))
        .args(["-d", &format!("tcp.port=={port},framing"), "-r"])
        .arg(capture)
        .args(["-T", "fields", "-E", "aggregator=|", "-e", "tcp.dstport"]);
    for i in 0..values {
        cmd.args(["-e", &format!("framing.v{i}")]);
    }
    cmd.args([
        "-e",
        "framing.length",
        "-e",
        "framing.payload",
        "-e",
        "framing.trailer",
    ]);
    cmd.args(["-e", "_ws.expert.message"]);
    let out = finish(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {err}");
    assert!(!err.contains("Lua Error"), "{err}");
    let mut frames = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let dir = if cols[0] == port.to_string() {
            "up"
        } else {
            "down"
        };
        let expert = cols[cols.len() - 1];
        // TCP's own notes (a SYN, say) are not this dissector's.
        for ours in [
            "constant",
            "frame end",
            "payload length",
            "varint",
            "ASCII length",
            "preface has no end",
            "cut short",
            "checksum",
        ] {
            assert!(!expert.contains(ours), "expert info: {expert}");
        }
        let per: Vec<Vec<&str>> = cols[1..cols.len() - 1]
            .iter()
            .map(|c| {
                if c.is_empty() {
                    Vec::new()
                } else {
                    c.split('|').collect()
                }
            })
            .collect();
        // A frame per payload length; an empty payload has no payload
        // field, so those of the others do not line up with the lengths.
        let mut payloads = per[values + 1].iter();
        for (k, length) in per[values].iter().enumerate() {
            let mut row: Vec<String> = per[..values].iter().map(|v| v[k].to_string()).collect();
            let payload = if *length == "0" {
                String::new()
            } else {
                payloads.next().expect("a payload").replace(':', "")
            };
            row.push(short(&payload));
            row.push(
                per[values + 2]
                    .get(k)
                    .map_or(String::new(), |s| s.replace(':', "")),
            );
            frames.push((dir.to_string(), row));
        }
    }
    frames
}

/// Hex shortened for a readable failure: its length and ends.
fn short(hex: &str) -> String {
    if hex.len() <= 64 {
        return hex.to_string();
    }
    format!(
        "{}..{} ({} digits)",
        &hex[..16],
        &hex[hex.len() - 16..],
        hex.len()
    )
}

/// What `decode --pcap` says of each frame, as [`tshark_frames`] does.
fn decoded_frames(capture: &Path, layout: &[&str]) -> Vec<(String, Vec<String>)> {
    let out = framing(
        &[
            &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
            layout,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
        .iter()
        .map(|v| {
            let mut row: Vec<String> = v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| match f {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            row.push(short(v["payload_hex"].as_str().unwrap()));
            row.push(
                v.get("trailer")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            );
            (v["dir"].as_str().unwrap().to_string(), row)
        })
        .collect()
}

fn by_dir(mut frames: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    // Stable: each direction keeps its order.
    frames.sort_by(|a, b| a.0.cmp(&b.0));
    frames
}

#[test]
fn the_generated_dissector_under_tshark_sees_the_frames_decode_pcap_sees() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector");
    let layout = [
        "--header",
        "<HBxI",
        "--length-field",
        "2",
        "--field",
        "0=0xCAFE",
        "--trailer",
        "crc32",
    ];
    let big = "y".repeat(100_000);
    let payloads = ["hello", "", "w\u{f6}rld", &big, "last"];
    let bytes = encode(
        &["--field", "1=7"]
            .iter()
            .chain(&layout)
            .copied()
            .collect::<Vec<_>>(),
        &payloads,
    );
    let (_, capture, port) = tapped_capture(&dir, &[bytes], &layout);
    let want = decoded_frames(&capture, &layout);
    assert_eq!(want.len(), 10, "{want:?}");
    let got = tshark_frames(&tshark, &dir, &capture, &layout, 3, port);
    assert_eq!(by_dir(got), by_dir(want));
}

#[test]
fn the_generated_mqtt_dissector_reads_varint_lengths_split_across_segments() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-mqtt");
    // MQTT: a 1-byte header, then the remaining length as a varint; the
    // second frame's varint (200 = c8 01) is cut between two segments.
    let mut up = vec![0x10, 3, b'a', b'b', b'c', 0x30, 0xc8];
    let cut = up.len();
    up.push(0x01);
    up.extend(std::iter::repeat_n(b'p', 200));
    up.extend_from_slice(&[0xc0, 0x00]);
    let down = [0x20u8, 2, 0, 0];
    let (c, s) = (100u32, 200u32);
    let packets = vec![
        packet(CLIENT, SERVER, c, SYN, &[]),
        packet(SERVER, CLIENT, s, SYN | ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK | PSH, &up[..cut]),
        packet(CLIENT, SERVER, c + 1 + cut as u32, ACK | PSH, &up[cut..]),
        packet(SERVER, CLIENT, s + 1, ACK | PSH, &down),
    ];
    let capture = dir.join("mqtt.pcap");
    std::fs::write(&capture, pcap(&packets)).unwrap();
    let layout = ["--protocol", "mqtt", "--name", "framing"];
    let want = decoded_frames(&capture, &layout[..2]);
    assert_eq!(want.len(), 4, "{want:?}");
    let got = tshark_frames(&tshark, &dir, &capture, &layout, 1, SERVER.1);
    assert_eq!(by_dir(got), by_dir(want));
}

#[test]
fn the_generated_dissector_flags_a_wrong_constant_as_expert_info() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-expert");
    let layout = [
        "--header",
        "!HH",
        "--length-field",
        "1",
        "--field",
        "0=0xCAFE",
    ];
    let mut up = encode(&layout, &["ok"]);
    up.extend_from_slice(&[0xBE, 0xEF, 0, 1, b'x']);
    let packets = vec![
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(CLIENT, SERVER, 2, ACK | PSH, &up),
    ];
    let capture = dir.join("expert.pcap");
    std::fs::write(&capture, pcap(&packets)).unwrap();
    // decode --pcap stops there with an error line; the dissector marks it.
    let out = framing(
        &[
            &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
            &layout,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out.stdout);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("expected the constant"),
        "{lines:?}"
    );
    let script = dir.join("proto.lua");
    let lua = framing(&[&["dissector", "--port", "7000"][..], &layout].concat());
    std::fs::write(&script, &lua.stdout).unwrap();
    let out = finish(
        Command::new(&tshark)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display()))
            .arg("-r")
            .arg(&capture)
            .args([
                "-T",
                "fields",
                "-e",
                "framing.v0",
                "-e",
                "_ws.expert.message",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("value 0 is 48879, expected the constant 51966"),
        "{text}"
    );
}

/// A Linux cooked (v1) / IPv6 / TCP packet between [::1]:`src` and
/// [::2]:`dst` (the last byte of each address is `src_host`/`dst_host`).
fn sll6(src: (u8, u16), dst: (u8, u16), seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd];
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[6, 64]);
    for host in [src.0, dst.0] {
        let mut addr = [0u8; 16];
        addr[15] = host;
        p.extend_from_slice(&addr);
    }
    p.extend_from_slice(&src.1.to_be_bytes());
    p.extend_from_slice(&dst.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(data);
    p
}

#[test]
fn linux_cooked_ipv6_captures_decode_and_other_packets_are_counted_and_skipped() {
    let dir = scratch("sll6");
    let (client, server) = ((1u8, 50_000u16), (2u8, 443u16));
    let mut bytes = pcap(&[
        sll6(client, server, 10, SYN, &[]),
        sll6(client, server, 11, ACK | PSH, &frame(b"over v6")),
        // Not TCP: an ARP request.
        [
            &[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06][..],
            &[0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 10, 0, 0, 2],
        ]
        .concat(),
        sll6(server, client, 99, ACK | PSH, &frame(b"back")),
    ]);
    // Link type 113: Linux cooked capture v1.
    bytes[20..24].copy_from_slice(&113u32.to_le_bytes());
    let (out, lines) = decode_capture(&dir, &bytes, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(payloads(&lines, "up"), ["over v6"]);
    assert_eq!(payloads(&lines, "down"), ["back"]);
    assert_eq!(lines[0]["peer"], "[::1]:50000");
    assert!(err.contains("4 packets: 3 TCP, 1 not TCP"), "{err}");
}

#[test]
fn a_dissector_for_two_layouts_names_each_directions_fields_and_finds_short_frames() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-two");
    // Up: a 2-byte length; down: a 4-byte length then a 2-byte code. The
    // last up frame (2 bytes, empty) is shorter than down's header.
    let up = [encode(&["--header", "!H"], &["abc", "hi", ""])].concat();
    let down = [&2u32.to_be_bytes()[..], &[0, 9], b"ok", &[0, 0, 0, 0, 0, 1]].concat();
    let packets = vec![
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(SERVER, CLIENT, 50, SYN | ACK, &[]),
        packet(CLIENT, SERVER, 2, ACK | PSH, &up),
        packet(SERVER, CLIENT, 51, ACK | PSH, &down),
    ];
    let capture = dir.join("two.pcap");
    std::fs::write(&capture, pcap(&packets)).unwrap();
    let layout = [
        "--header",
        "!H",
        "--down-header",
        "!IH",
        "--down-length-field",
        "0",
    ];
    let decoded = decoded_frames(&capture, &layout);
    assert_eq!(decoded.len(), 5, "{decoded:?}");
    assert_eq!(decoded[4].1, ["0", "1", "", ""]);
    let lua = framing(&[&["dissector", "--port", "7000"][..], &layout].concat());
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("proto.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let out = finish(
        Command::new(&tshark)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display()))
            .arg("-r")
            .arg(&capture)
            .args(["-T", "fields", "-E", "aggregator=|", "-e", "tcp.dstport"])
            .args([
                "-e",
                "framing.up.v0",
                "-e",
                "framing.down.v0",
                "-e",
                "framing.down.v1",
            ])
            .args(["-e", "framing.length"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Lua Error"), "{err}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('|') || l.ends_with('2'))
        .collect();
    assert!(rows.contains(&"7000\t3|2|0\t\t\t3|2|0"), "{text}");
    assert!(rows.contains(&"40000\t\t2|0\t9|1\t2|0"), "{text}");
}

#[test]
fn the_generated_dissector_checks_every_trailer_checksum_in_its_byte_order() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-crc");
    for (trailer, extra) in [
        ("crc32", &[][..]),
        ("crc32c", &["--trailer-byte-order", "big"][..]),
        ("crc16-xmodem", &["--trailer-covers", "payload"][..]),
        ("crc16-modbus", &[][..]),
        ("crc16-ccitt-false", &[][..]),
    ] {
        let layout: Vec<&str> = [&["--header", "<H", "--trailer", trailer][..], extra].concat();
        let mut up = encode(&layout, &["first", "", "third one"]);
        let good = up.len();
        // A fourth frame whose payload is corrupted after encoding.
        let mut bad = encode(&layout, &["spoilt"]);
        bad[3] ^= 0x20;
        up.extend_from_slice(&bad);
        let packets = vec![
            packet(CLIENT, SERVER, 1, SYN, &[]),
            packet(CLIENT, SERVER, 2, ACK | PSH, &up),
        ];
        let capture = dir.join(format!("{trailer}.pcap"));
        std::fs::write(&capture, pcap(&packets)).unwrap();
        let lua = framing(&[&["dissector", "--port", "7000"][..], &layout].concat());
        assert!(
            lua.status.success(),
            "{}",
            String::from_utf8_lossy(&lua.stderr)
        );
        let script = dir.join(format!("{trailer}.lua"));
        std::fs::write(&script, &lua.stdout).unwrap();
        let out = finish(
            Command::new(&tshark)
                .arg("-X")
                .arg(format!("lua_script:{}", script.display()))
                .arg("-r")
                .arg(&capture)
                .args(["-T", "fields", "-E", "aggregator=|", "-e", "framing.length"])
                .args(["-e", "_ws.expert.message"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn tshark"),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("Lua Error"), "{trailer}: {err}");
        let row = text
            .lines()
            .find(|l| l.starts_with("5|"))
            .unwrap_or_else(|| panic!("{trailer}: {text}"));
        assert!(row.starts_with("5|0|9|6\t"), "{trailer}: {row}");
        // Only the spoilt frame's checksum is wrong.
        assert_eq!(row.matches("checksum is").count(), 1, "{trailer}: {row}");
        // decode --pcap agrees: three frames, then the bad checksum.
        let decoded = framing(
            &[
                &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
                &layout,
            ]
            .concat(),
        );
        let lines = json_lines(&decoded.stdout);
        assert_eq!(lines.len(), 4, "{trailer}: {lines:?}");
        assert_eq!(lines[3]["offset"], good as u64, "{trailer}");
        assert!(
            lines[3]["error"].as_str().unwrap().contains("checksum"),
            "{trailer}: {lines:?}"
        );
    }
}

#[test]
fn the_generated_http2_dissector_shows_the_preface_then_the_frames() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-http2");
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let settings = [0u8, 0, 0, 4, 0, 0, 0, 0, 0];
    let mut headers = vec![0u8, 0, 3, 1, 4, 0, 0, 0, 1];
    headers.extend_from_slice(b"abc");
    let up = [&preface[..], &settings, &headers].concat();
    let mut reply = vec![0u8, 0, 6, 4, 0, 0, 0, 0, 0];
    reply.extend_from_slice(&[0, 3, 0, 0, 0, 100]);
    let packets = vec![
        packet(CLIENT, SERVER, 1, SYN, &[]),
        packet(SERVER, CLIENT, 50, SYN | ACK, &[]),
        // The preface cut between two segments.
        packet(CLIENT, SERVER, 2, ACK | PSH, &up[..10]),
        packet(CLIENT, SERVER, 12, ACK | PSH, &up[10..]),
        packet(SERVER, CLIENT, 51, ACK | PSH, &reply),
    ];
    let capture = dir.join("h2.pcap");
    std::fs::write(&capture, pcap(&packets)).unwrap();
    let decoded = framing(&[
        "decode",
        "--json",
        "--pcap",
        capture.to_str().unwrap(),
        "--protocol",
        "http2",
    ]);
    assert!(
        decoded.status.success(),
        "{}",
        String::from_utf8_lossy(&decoded.stderr)
    );
    let lines = json_lines(&decoded.stdout);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["preface_hex"], hex(preface));
    let lua = framing(&["dissector", "--protocol", "http2", "--name", "framing"]);
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("h2.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let out = finish(
        Command::new(&tshark)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display()))
            .args(["-d", "tcp.port==7000,framing", "-r"])
            .arg(&capture)
            .args(["-T", "fields", "-E", "aggregator=|", "-e", "tcp.dstport"])
            .args([
                "-e",
                "framing.preface",
                "-e",
                "framing.up.v1",
                "-e",
                "framing.down.v1",
                "-e",
                "framing.length",
            ])
            .args(["-e", "framing.payload"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Lua Error"), "{err}");
    // The client's side has the preface, the server's not: two layouts,
    // so framing.up.* and framing.down.*.
    let want_up = format!("7000\t{}\t4|1\t\t0|3\t616263", hex(preface));
    assert!(text.lines().any(|l| l == want_up), "{text}{err}");
    assert!(
        text.lines().any(|l| l == "40000\t\t\t4\t6\t000300000064"),
        "{text}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A capture of one connection: the client sends `up` cut into segments
/// of `step` bytes (cutting lengths, digits and payloads), the server
/// `down` in one.
fn segmented_capture(dir: &Path, name: &str, up: &[u8], step: usize, down: &[u8]) -> PathBuf {
    let (c, s) = (100u32, 5000u32);
    let mut packets = vec![
        packet(CLIENT, SERVER, c, SYN, &[]),
        packet(SERVER, CLIENT, s, SYN | ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK, &[]),
    ];
    for (k, chunk) in up.chunks(step).enumerate() {
        let seq = c + 1 + (k * step) as u32;
        packets.push(packet(CLIENT, SERVER, seq, ACK | PSH, chunk));
    }
    if !down.is_empty() {
        packets.push(packet(SERVER, CLIENT, s + 1, ACK | PSH, down));
    }
    let capture = dir.join(format!("{name}.pcap"));
    std::fs::write(&capture, pcap(&packets)).unwrap();
    capture
}

#[test]
fn the_generated_dissector_reads_ascii_lengths_netstring_syslog_and_hex() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-ascii");
    let big = "z".repeat(300);
    let hex_layout = [
        "--header",
        "!B",
        "--ascii-length",
        "hex",
        "--length-end",
        "0d0a",
        "--ascii-max-digits",
        "4",
        "--frame-end",
        "0d0a",
    ];
    for (name, layout, values) in [
        ("netstring", &["--protocol", "netstring"][..], 0),
        ("syslog", &["--protocol", "syslog-octet"][..], 0),
        (
            "netstring-options",
            &[
                "--header",
                "",
                "--ascii-length",
                "dec",
                "--length-end",
                "3a",
                "--frame-end",
                "2c",
            ][..],
            0,
        ),
        ("hex", &hex_layout[..], 1),
    ] {
        let up = encode(layout, &["hello", "", &big, "w\u{f6}rld", "last"]);
        let down = encode(layout, &["ok", "fine"]);
        // Segments of 3 bytes cut every length's digits and end bytes.
        let capture = segmented_capture(&dir, name, &up, 3, &down);
        let want = decoded_frames(&capture, layout);
        assert_eq!(want.len(), 7, "{name}: {want:?}");
        let with_name: Vec<&str> = [layout, &["--name", "framing"]].concat();
        let got = tshark_frames(&tshark, &dir, &capture, &with_name, values, SERVER.1);
        assert_eq!(by_dir(got), by_dir(want), "{name}");
    }
}

#[test]
fn the_generated_netstring_dissector_marks_a_malformed_length_and_stops_there() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-ascii-bad");
    let layout = ["--protocol", "netstring"];
    // A good frame, a length with no digits, then a good-looking frame in
    // a later segment: decode --pcap stops at the bad length, the
    // dissector marks it and leaves the rest of the direction alone.
    let up = b"2:ok,x:oops,3:abc,";
    let capture = segmented_capture(&dir, "bad", &up[..], 11, b"");
    let out = framing(
        &[
            &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
            &layout,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["payload_hex"], "6f6b", "{lines:?}");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("no digits"),
        "{lines:?}"
    );
    let lua = framing(&["dissector", "--protocol", "netstring", "--port", "7000"]);
    let script = dir.join("bad.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let out = finish(
        Command::new(&tshark)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display()))
            .arg("-r")
            .arg(&capture)
            .args(["-T", "fields", "-E", "aggregator=|"])
            .args(["-e", "framing_netstring.length", "-e", "_ws.expert.message"])
            .args(["-e", "_ws.col.Info"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Lua Error"), "{err}");
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    // The first segment: the good frame, then the bad length's expert info.
    assert!(
        rows.iter().any(|r| r.starts_with("2\t")
            && r.contains("the ASCII length has no digits (0x78 came first)")),
        "{text}"
    );
    // The next segment (":abc,") is not dissected as a frame.
    assert!(!text.contains("\n3\t"), "{text}");
    assert!(text.contains("not dissected"), "{text}");
}

/// Runs the dissector in `script` under tshark on `capture` (the server on
/// `port`), protocol `name`; returns each PDU as tshark's JSON has it,
/// with "up" or "down", in capture order.
fn tshark_pdus(
    tshark: &Path,
    script: &Path,
    capture: &Path,
    port: u16,
    name: &str,
) -> Vec<(String, serde_json::Map<String, Value>)> {
    let out = finish(
        Command::new(tshark)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display()))
            .args(["-d", &format!("tcp.port=={port},{name}"), "-r"])
            .arg(capture)
            .args([
                "-T",
                "json",
                "--no-duplicate-keys",
                "-J",
                &format!("tcp {name}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tshark"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {err}");
    assert!(!err.contains("Lua Error"), "{err}");
    let packets: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tshark's JSON");
    let mut pdus = Vec::new();
    for p in packets {
        let layers = &p["_source"]["layers"];
        let dir = if layers["tcp"]["tcp.dstport"].as_str() == Some(port.to_string().as_str()) {
            "up"
        } else {
            "down"
        };
        let items = match &layers[name] {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        for item in items {
            // An item with no fields is its text.
            let item = match item {
                Value::Object(fields) => fields,
                other => [("text".to_string(), other)].into_iter().collect(),
            };
            pdus.push((dir.to_string(), item));
        }
    }
    pdus
}

/// A PDU of [`tshark_pdus`] as [`decoded_frames`] has a frame: the values
/// of the fields `PREFIX.vN` (N from 0), the payload and trailer hex.
fn pdu_row(pdu: &serde_json::Map<String, Value>, prefix: &str) -> Vec<String> {
    let text = |key: &str| {
        pdu.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace(':', "")
    };
    let mut row: Vec<String> = (0..)
        .map(|i| format!("{prefix}v{i}"))
        .take_while(|k| pdu.contains_key(k))
        .map(|k| text(&k))
        .collect();
    let name = prefix.split('.').next().unwrap();
    row.push(short(&text(&format!("{name}.payload"))));
    row.push(text(&format!("{name}.trailer")));
    row
}

#[test]
fn the_generated_postgres_dissector_reads_the_startup_message_then_typed_messages() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-postgres");
    // The StartupMessage (no type byte: a length counting itself, then
    // protocol 3.0 and its parameters), cut between two segments; then
    // two queries in one segment. The server: AuthenticationOk, then
    // ReadyForQuery, each a typed message.
    let params = [&196_608u32.to_be_bytes()[..], b"user\0pg\0\0"].concat();
    let startup = [&((params.len() + 4) as u32).to_be_bytes()[..], &params].concat();
    let query = |sql: &str| {
        let body = [sql.as_bytes(), b"\0"].concat();
        [&b"Q"[..], &((body.len() + 4) as u32).to_be_bytes(), &body].concat()
    };
    let auth = [&b"R"[..], &8u32.to_be_bytes(), &0u32.to_be_bytes()].concat();
    let ready = [&b"Z"[..], &5u32.to_be_bytes(), b"I"].concat();
    let (c, s) = (100u32, 5000u32);
    let queries = [query("select 1"), query("")].concat();
    let packets = vec![
        packet(CLIENT, SERVER, c, SYN, &[]),
        packet(SERVER, CLIENT, s, SYN | ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK, &[]),
        packet(CLIENT, SERVER, c + 1, ACK | PSH, &startup[..6]),
        packet(CLIENT, SERVER, c + 7, ACK | PSH, &startup[6..]),
        packet(SERVER, CLIENT, s + 1, ACK | PSH, &[auth, ready].concat()),
        packet(
            CLIENT,
            SERVER,
            c + 1 + startup.len() as u32,
            ACK | PSH,
            &queries,
        ),
    ];
    let capture = dir.join("pg.pcap");
    std::fs::write(&capture, pcap(&packets)).unwrap();
    let want = decoded_frames(&capture, &["--protocol", "postgres"]);
    assert_eq!(want.len(), 5, "{want:?}");
    let lua = framing(&["dissector", "--protocol", "postgres", "--name", "pg"]);
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("pg.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "pg");
    let got: Vec<(String, Vec<String>)> = pdus
        .iter()
        .map(|(dir, pdu)| {
            // The first frame's fields are pg.up.first.vN; the others'
            // pg.up.vN and pg.down.vN.
            let prefix = if pdu.contains_key("pg.up.first.v0") {
                "pg.up.first.".to_string()
            } else {
                format!("pg.{dir}.")
            };
            (dir.clone(), pdu_row(pdu, &prefix))
        })
        .collect();
    // decode shows a type byte ('c') as hex too.
    assert_eq!(by_dir(got), by_dir(want));
    // Only the client's first frame is the startup message.
    assert_eq!(
        pdus.iter()
            .filter(|(_, p)| p.contains_key("pg.up.first.v0"))
            .count(),
        1
    );
}

#[test]
fn the_generated_dissector_shows_a_preface_until_given_bytes_then_the_frames() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-preface-until");
    let layout = [
        "--header",
        "!H",
        "--preface-until",
        "0d0a0d0a",
        "--preface-max",
        "200",
    ];
    let request = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: framing\r\n\r\n";
    let up = [&request[..], &encode(&layout, &["hello", "", "third"])].concat();
    // The preface is the client's: the server's replies are frames only.
    let down = encode(&layout, &["ok"]);
    // Segments of 5 bytes: the preface's end bytes are cut too.
    let capture = segmented_capture(&dir, "until", &up, 5, &down);
    let out = framing(
        &[
            &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
            &layout,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = |v: &Value| -> Vec<String> {
        match v.get("preface_hex") {
            Some(p) => vec!["preface".into(), p.as_str().unwrap().into()],
            None => {
                let mut row: Vec<String> = v["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
                row.push(v["payload_hex"].as_str().unwrap().into());
                row
            }
        }
    };
    let want: Vec<(String, Vec<String>)> = json_lines(&out.stdout)
        .iter()
        .map(|v| (v["dir"].as_str().unwrap().to_string(), row(v)))
        .collect();
    assert_eq!(want.len(), 5, "{want:?}");
    assert_eq!(want[0].1, ["preface".to_string(), hex(request)]);
    let lua = framing(&[&["dissector"][..], &layout].concat());
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("until.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let got: Vec<(String, Vec<String>)> = pdus
        .iter()
        .map(|(dir, pdu)| match pdu.get("framing.preface") {
            Some(p) => (
                dir.clone(),
                vec!["preface".into(), p.as_str().unwrap().replace(':', "")],
            ),
            None => {
                // The two directions' layouts differ: framing.up.vN.
                let mut row = pdu_row(pdu, &format!("framing.{dir}."));
                row.pop();
                (dir.clone(), row)
            }
        })
        .collect();
    assert_eq!(by_dir(got), by_dir(want));

    // A preface longer than --preface-max: expert info, and the rest of
    // that direction is not dissected (decode --pcap stops there too).
    let short: Vec<&str> = [&layout[..4], &["--preface-max", "16"]].concat();
    let lua = framing(&[&["dissector", "--port", "7000"][..], &short].concat());
    let script = dir.join("short.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let up: Vec<_> = pdus.iter().filter(|(d, _)| d == "up").collect();
    assert!(!up.is_empty());
    assert!(
        up.iter().all(|(_, p)| !p.contains_key("framing.length")),
        "{up:?}"
    );
    let text = format!("{pdus:?}");
    assert!(
        text.contains("the preface has no end bytes in its first 16 bytes"),
        "{text}"
    );
}

#[test]
fn the_generated_redis_dissector_walks_resp_values_split_across_segments() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-redis");
    // Commands (arrays of bulk strings, an inline-free pipeline) cut into
    // segments of 4 bytes; replies of every shape in one segment: simple,
    // error, integer, null bulk, bulk, RESP3 map, attribute + value,
    // nested arrays, empty array, verbatim, null, double, boolean, big
    // number, set, push.
    let up = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n";
    let down = concat!(
        "+OK\r\n-ERR no\r\n:42\r\n$-1\r\n$5\r\nhello\r\n%1\r\n+a\r\n:1\r\n",
        "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n*2\r\n*1\r\n:1\r\n*0\r\n\r\n*0\r\n",
        "=7\r\ntxt:abc\r\n_\r\n,1.5\r\n#t\r\n(123\r\n~2\r\n+x\r\n+y\r\n>2\r\n+m\r\n:1\r\n*-1\r\n"
    )
    .replace("*0\r\n\r\n", "*0\r\n");
    let capture = segmented_capture(&dir, "redis", up, 4, down.as_bytes());
    let out = framing(&[
        "decode",
        "--json",
        "--pcap",
        capture.to_str().unwrap(),
        "--protocol",
        "redis",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Vec<(String, Vec<String>)> = json_lines(&out.stdout)
        .iter()
        .map(|v| {
            (
                v["dir"].as_str().unwrap().to_string(),
                vec![
                    v["resp"].as_str().unwrap().to_string(),
                    v["payload_hex"].as_str().unwrap().to_string(),
                ],
            )
        })
        .collect();
    assert_eq!(want.len(), 3 + 17, "{want:?}");
    let lua = framing(&["dissector", "--protocol", "redis", "--name", "framing"]);
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("redis.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let got: Vec<(String, Vec<String>)> = pdus
        .iter()
        .map(|(dir, pdu)| {
            let text = |k: &str| {
                pdu.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .replace(':', "")
            };
            (
                dir.clone(),
                vec![
                    pdu.get("framing.resp")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    text("framing.payload"),
                ],
            )
        })
        .collect();
    assert_eq!(by_dir(got), by_dir(want));
    assert!(!format!("{pdus:?}").contains("_ws.expert"), "{pdus:?}");

    // A bad type byte: expert info (decode says the same), then the rest
    // of the direction is not dissected.
    let capture = segmented_capture(&dir, "bad", b"+OK\r\n?x\r\n+later\r\n", 9, b"");
    let out = framing(&[
        "decode",
        "--json",
        "--pcap",
        capture.to_str().unwrap(),
        "--protocol",
        "redis",
    ]);
    let lines = json_lines(&out.stdout);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("0x3f is not a RESP type byte"),
        "{lines:?}"
    );
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let text = format!("{pdus:?}");
    assert!(text.contains("0x3f is not a RESP type byte"), "{text}");
    assert!(text.contains("not dissected"), "{text}");
    assert!(!text.contains("6c61746572"), "{text}");
}

#[test]
fn the_generated_lines_dissector_cuts_at_the_delimiter_and_stops_at_a_line_too_long() {
    let Some(tshark) = tshark() else { return };
    let dir = scratch("dissector-lines");
    let layout = [
        "--framing",
        "lines",
        "--delimiter",
        "0d0a",
        "--max-frame",
        "400",
    ];
    let big = "q".repeat(300);
    let up = encode(&layout, &["hello", "", &big, "w\u{f6}rld", "last"]);
    let down = encode(&layout, &["ok", "fine"]);
    // Segments of 3 bytes cut the delimiters too.
    let capture = segmented_capture(&dir, "lines", &up, 3, &down);
    let rows = |capture: &Path, layout: &[&str]| -> (Option<i32>, Vec<Value>) {
        let out = framing(
            &[
                &["decode", "--json", "--pcap", capture.to_str().unwrap()][..],
                layout,
            ]
            .concat(),
        );
        (out.status.code(), json_lines(&out.stdout))
    };
    let (code, lines) = rows(&capture, &layout);
    assert_eq!(code, Some(0));
    let want: Vec<(String, Vec<String>)> = lines
        .iter()
        .map(|v| {
            (
                v["dir"].as_str().unwrap().to_string(),
                vec![v["payload_hex"].as_str().unwrap().to_string()],
            )
        })
        .collect();
    assert_eq!(want.len(), 7, "{want:?}");
    let lua = framing(&[&["dissector"][..], &layout].concat());
    assert!(
        lua.status.success(),
        "{}",
        String::from_utf8_lossy(&lua.stderr)
    );
    let script = dir.join("lines.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let got: Vec<(String, Vec<String>)> = pdus
        .iter()
        .map(|(dir, pdu)| {
            assert_eq!(pdu["framing.frame_end"], "0d:0a", "{pdu:?}");
            let payload = pdu
                .get("framing.payload")
                .and_then(Value::as_str)
                .unwrap_or("")
                .replace(':', "");
            (dir.clone(), vec![payload])
        })
        .collect();
    assert_eq!(by_dir(got), by_dir(want));
    assert!(!format!("{pdus:?}").contains("_ws.expert"), "{pdus:?}");

    // A line longer than --max-frame: decode stops there with an error,
    // the dissector marks it and leaves the rest of the direction alone.
    let short = [
        "--framing",
        "lines",
        "--delimiter",
        "0d0a",
        "--max-frame",
        "5",
    ];
    let capture = segmented_capture(&dir, "long", b"hi\r\nthis is long\r\nok\r\n", 8, b"");
    let (code, lines) = rows(&capture, &short);
    assert_eq!(code, Some(1), "{lines:?}");
    assert_eq!(lines[0]["payload_hex"], "6869");
    assert!(lines[1]["error"].is_string(), "{lines:?}");
    let lua = framing(&[&["dissector"][..], &short].concat());
    let script = dir.join("long.lua");
    std::fs::write(&script, &lua.stdout).unwrap();
    let pdus = tshark_pdus(&tshark, &script, &capture, SERVER.1, "framing");
    let text = format!("{pdus:?}");
    assert!(text.contains("a line longer than 5 bytes"), "{text}");
    assert!(text.contains("not dissected"), "{text}");
    assert!(!text.contains("\"6f:6b\""), "{text}");
}
