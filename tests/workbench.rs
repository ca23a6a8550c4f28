//! `serve` and `tap` as a workbench (issue 26): lines in forwarding order
//! with their keys, filters, refusals counted exactly, a clean shutdown on
//! SIGTERM, and a tap that passes a close on. On 127.0.0.1; every wait is
//! bounded by a timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::BIN;

const LIMIT: Duration = Duration::from_secs(30);

/// A running `framing` with its stderr lines on a channel and its stdout
/// gathered until it closes.
struct Running {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
    stdout: mpsc::Receiver<String>,
    /// The stdout pipe held open and never read, for [`start_unread`].
    _unread: Option<std::process::ChildStdout>,
}

fn start(args: &[&str]) -> Running {
    start_in(args, true)
}

/// [`start`], with stdout a pipe nobody reads: the printer blocks once it
/// is full.
fn start_unread(args: &[&str]) -> Running {
    start_in(args, false)
}

fn start_in(args: &[&str], read_stdout: bool) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing");
    let (tx, stderr) = mpsc::channel();
    let err = BufReader::new(child.stderr.take().unwrap());
    thread::spawn(move || {
        for line in err.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (tx, stdout) = mpsc::channel();
    let mut out = child.stdout.take().unwrap();
    let mut unread = None;
    if read_stdout {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            let _ = tx.send(text);
        });
    } else {
        unread = Some(out);
    }
    let first = stderr.recv_timeout(LIMIT).expect("the address line");
    let addr = first
        .strip_prefix("listening on ")
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    Running {
        child,
        addr,
        stderr,
        stdout,
        _unread: unread,
    }
}

impl Running {
    /// Waits for the exit (killing it past [`LIMIT`]); its code and stdout.
    fn finish(mut self) -> (Option<i32>, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let out = self.stdout.recv_timeout(LIMIT).expect("stdout closed");
                return (status.code(), out);
            }
            if started.elapsed() > LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("framing did not exit within {LIMIT:?}");
            }
            // The exit is not an event this thread can wait on with a
            // timeout: stdout closing is.
            if let Ok(out) = self.stdout.recv_timeout(Duration::from_millis(50)) {
                let status = self.child.wait().unwrap();
                return (status.code(), out);
            }
        }
    }

    /// The first stderr line containing `needle` (with the lines before).
    fn line_with(&self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.stderr.recv_timeout(LIMIT) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!("no line with {needle:?} ({e}); saw {seen:?}"),
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

fn connect(addr: &str) -> TcpStream {
    common::connect_within(addr, LIMIT)
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

fn json_lines(text: &str) -> Vec<Value> {
    common::json_lines(text)
}

/// An upstream that echoes every byte of one connection.
fn echo_upstream() -> (String, thread::JoinHandle<()>) {
    common::echo_upstream_within(LIMIT)
}

#[test]
fn tap_prints_requests_and_replies_in_the_order_they_were_forwarded() {
    let (upstream, server) = echo_upstream();
    let tap = start(&[
        "tap",
        "--once",
        "--json",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
    ]);
    let mut client = connect(&tap.addr);
    // Request, reply, request, reply...: each reply is forwarded after its
    // request, so printed after it.
    let n = 30;
    for i in 0..n {
        let payload = format!("request {i}");
        client.write_all(&frame(payload.as_bytes())).unwrap();
        let mut back = vec![0u8; 4 + payload.len()];
        client.read_exact(&mut back).unwrap();
        assert_eq!(back, frame(payload.as_bytes()));
    }
    drop(client);
    let (code, out) = tap.finish();
    server.join().unwrap();
    assert_eq!(code, Some(0), "{out}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2 * n, "{out}");
    let mut last_ts = String::new();
    let mut offset = 0u64;
    for (i, pair) in lines.chunks(2).enumerate() {
        let payload = format!("request {i}");
        for (line, dir) in pair.iter().zip(["up", "down"]) {
            assert_eq!(line["dir"], dir, "line {i}: {line}");
            assert_eq!(line["conn"], 1);
            assert_eq!(line["index"], i as u64 + 1);
            assert_eq!(line["offset"], offset);
            assert_eq!(line["text"], payload.as_str());
            assert_eq!(line["length"], payload.len());
            assert!(line["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
            // RFC 3339 in UTC with microseconds: in order as text.
            let ts = line["ts"].as_str().unwrap().to_string();
            assert_eq!(ts.len(), "2026-01-01T00:00:00.000000Z".len(), "{ts}");
            assert!(ts >= last_ts, "{ts} before {last_ts}");
            last_ts = ts;
        }
        offset += 4 + payload.len() as u64;
    }
}

#[test]
fn tap_filters_choose_what_is_printed_and_everything_is_forwarded() {
    // Header: a type (H), a length (I).
    let (upstream, server) = echo_upstream();
    let tap = start(&[
        "tap",
        "--once",
        "--json",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--header",
        "!HI",
        "--length-field",
        "1",
        "--match",
        "0=7",
        "--dir",
        "up",
        "--min-len",
        "2",
        "--max-len",
        "4",
        "--snaplen",
        "3",
    ]);
    let frames: &[(u16, &[u8])] = &[
        (7, b"abcd"),   // printed, cut to 3 bytes
        (8, b"abcd"),   // another type
        (7, b"a"),      // too short
        (7, b"abcdef"), // too long
        (7, b"xy"),     // printed
    ];
    let mut wire = Vec::new();
    for (kind, payload) in frames {
        wire.extend_from_slice(&kind.to_be_bytes());
        wire.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        wire.extend_from_slice(payload);
    }
    let mut client = connect(&tap.addr);
    client.write_all(&wire).unwrap();
    let mut back = vec![0u8; wire.len()];
    client.read_exact(&mut back).unwrap();
    assert_eq!(back, wire, "every byte forwarded both ways");
    drop(client);
    let (code, out) = tap.finish();
    server.join().unwrap();
    assert_eq!(code, Some(0), "{out}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["index"], 1);
    assert_eq!(lines[0]["payload_hex"], "616263");
    assert_eq!(lines[0]["caplen"], 3);
    assert_eq!(lines[0]["length"], 4);
    assert_eq!(lines[0]["text"], "abc");
    assert_eq!(lines[1]["index"], 5);
    assert_eq!(lines[1]["offset"], 6 * 4 + 4 + 4 + 1 + 6);
    assert_eq!(lines[1]["payload_hex"], "7879");
    assert!(lines.iter().all(|l| l["dir"] == "up"));
}

#[test]
fn tap_hexdump_shows_offset_hex_and_ascii_columns() {
    let (upstream, server) = echo_upstream();
    let tap = start(&[
        "tap",
        "--once",
        "--hexdump",
        "--color",
        "never",
        "--dir",
        "down",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
    ]);
    let mut client = connect(&tap.addr);
    let payload = b"0123456789abcdefXYZ";
    client.write_all(&frame(payload)).unwrap();
    let mut back = vec![0u8; 4 + payload.len()];
    client.read_exact(&mut back).unwrap();
    drop(client);
    let (code, out) = tap.finish();
    server.join().unwrap();
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].ends_with(" down: frame 1 at byte 0: I[0]=19 | 19 bytes \"0123456789abcdefXYZ\""),
        "{out}"
    );
    assert!(lines[0].contains(" #1 127.0.0.1:"), "{out}");
    assert!(!lines[0].contains('\x1b'), "no colour with --color never");
    assert!(lines[1].trim_start().starts_with("0000:"), "{out}");
    assert!(
        lines[1].contains("30 31") && lines[1].ends_with("0123456789abcdef"),
        "{out}"
    );
    assert!(
        lines[2].trim_start().starts_with("0010:") && lines[2].ends_with("XYZ"),
        "{out}"
    );
}

#[test]
fn serve_refuses_past_max_connections_and_counts_every_refusal() {
    let serve = start(&[
        "serve",
        "--echo",
        "--listen",
        "127.0.0.1:0",
        "--max-connections",
        "1",
    ]);
    let mut held = connect(&serve.addr);
    held.write_all(&frame(b"hi")).unwrap();
    let mut back = [0u8; 6];
    held.read_exact(&mut back).unwrap();
    // Five more: each accepted and closed at once.
    for _ in 0..5 {
        let mut c = connect(&serve.addr);
        let mut byte = [0u8; 1];
        assert!(matches!(c.read(&mut byte), Ok(0) | Err(_)), "refused");
    }
    let first = serve.line_with("refused");
    assert!(
        first.contains("1 connections open (--max-connections)"),
        "{first}"
    );
    serve.signal("TERM");
    // The refusal lines add up to exactly 5, and the summary says so.
    let mut total = 0u64;
    let mut count = |line: &str| {
        let n: u64 = line
            .strip_prefix("refused ")
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        total += n;
    };
    count(&first);
    let summary = loop {
        let line = serve
            .stderr
            .recv_timeout(LIMIT)
            .expect("the summary after SIGTERM");
        if line.starts_with("refused ") {
            count(&line);
        }
        if line.starts_with("summary:") {
            break line;
        }
    };
    assert_eq!(total, 5, "{summary}");
    assert!(
        summary.starts_with("summary: 1 connections, 5 refused"),
        "{summary}"
    );
    let (code, _) = serve.finish();
    assert_eq!(code, Some(0));
    drop(held);
}

#[test]
fn sigterm_while_printing_leaves_whole_lines_a_summary_and_exit_0() {
    let serve = start(&["serve", "--json", "--listen", "127.0.0.1:0"]);
    let mut client = connect(&serve.addr);
    client.set_write_timeout(Some(LIMIT)).unwrap();
    // 64 KiB frames: 128 KiB lines, 6 MiB of them queued at once, so the
    // signal comes while lines are being written.
    let big = frame(&vec![b'x'; 64 * 1024]);
    for _ in 0..50 {
        client.write_all(&big).unwrap();
    }
    let sender = thread::spawn(move || {
        // Keep sending until the server is gone (bounded).
        for _ in 0..100_000 {
            if client.write_all(&big).is_err() {
                return;
            }
        }
    });
    let signalled = Instant::now();
    serve.signal("TERM");
    let summary = serve.line_with("summary:");
    let (code, out) = serve.finish();
    let took = signalled.elapsed();
    assert_eq!(code, Some(0), "{summary}");
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    // Every line whole, and as many as the summary says were printed.
    let lines = json_lines(&out);
    assert!(out.is_empty() || out.ends_with('\n'));
    let printed: usize = summary
        .split("; ")
        .find_map(|part| part.split_once(" lines printed").map(|(n, _)| n))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    assert_eq!(lines.len(), printed, "{summary}");
    assert!(
        lines.iter().all(|l| l["length"] == 65536),
        "whole frames only"
    );
    sender.join().unwrap();
}

#[test]
fn tap_closes_the_client_when_the_upstream_closes_and_the_upstream_when_the_client_does() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = listener.local_addr().unwrap().to_string();
    let tap = start(&[
        "tap",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--idle-timeout",
        "60",
    ]);
    // The upstream closes at once: the client sees the end.
    let mut client = connect(&tap.addr);
    let (server, _) = listener.accept().unwrap();
    drop(server);
    let mut byte = [0u8; 1];
    assert!(matches!(client.read(&mut byte), Ok(0) | Err(_)), "closed");
    drop(client);
    tap.line_with("connection from");
    // The client closes: the upstream sees the end.
    let client = connect(&tap.addr);
    let (mut server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(LIMIT)).unwrap();
    drop(client);
    assert!(matches!(server.read(&mut byte), Ok(0) | Err(_)), "closed");
    drop(server);
    tap.line_with("connection from");
    tap.signal("INT");
    tap.line_with("summary: 2 connections, 0 refused");
    let (code, _) = tap.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn serve_closes_a_connection_that_takes_the_frames_in_flight_past_max_buffered() {
    let serve = start(&[
        "serve",
        "--echo",
        "--listen",
        "127.0.0.1:0",
        "--max-buffered",
        "4096",
    ]);
    // A frame of 1 MiB announced, 8 KiB of it sent: past the budget.
    let mut greedy = connect(&serve.addr);
    let port = greedy.local_addr().unwrap().port();
    greedy.write_all(&(1u32 << 20).to_be_bytes()).unwrap();
    let _ = greedy.write_all(&[7u8; 8192]);
    let mut byte = [0u8; 1];
    assert!(matches!(greedy.read(&mut byte), Ok(0) | Err(_)), "closed");
    let line = serve.line_with(&format!("connection from 127.0.0.1:{port}:"));
    assert!(line.contains("over --max-buffered 4096"), "{line}");
    // The budget is given back: a small frame is served.
    let mut good = connect(&serve.addr);
    good.write_all(&frame(b"ok")).unwrap();
    let mut back = [0u8; 6];
    good.read_exact(&mut back).unwrap();
    assert_eq!(&back, &frame(b"ok")[..]);
    serve.signal("TERM");
    let (code, _) = serve.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn huge_timeouts_are_capped_not_a_crash() {
    let serve = start(&[
        "serve",
        "--echo",
        "--listen",
        "127.0.0.1:0",
        "--idle-timeout",
        "1e18",
        "--frame-timeout",
        "1e18",
        "--write-timeout",
        "1e18",
    ]);
    let mut c = connect(&serve.addr);
    c.write_all(&frame(b"a")).unwrap();
    let mut back = [0u8; 5];
    c.read_exact(&mut back).unwrap();
    c.write_all(&[0, 0]).unwrap(); // half a header: the frame deadline
    serve.signal("TERM");
    let (code, _) = serve.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn tap_closes_both_sides_when_a_receiver_takes_nothing_for_the_write_timeout() {
    // An upstream that accepts and never reads.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = listener.local_addr().unwrap().to_string();
    let tap = start(&[
        "tap",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &upstream,
        "--write-timeout",
        "0.5",
    ]);
    let client = connect(&tap.addr);
    let (stuck, _) = listener.accept().unwrap();
    let port = client.local_addr().unwrap().port();
    client.set_write_timeout(Some(LIMIT)).unwrap();
    let writer = thread::spawn(move || {
        let mut client = client;
        let chunk = frame(&vec![1u8; 1 << 20]);
        // Until the tap gives up (bounded: far more than the buffers hold).
        for _ in 0..1000 {
            if client.write_all(&chunk).is_err() {
                return true;
            }
        }
        false
    });
    let line = tap.line_with(&format!("connection from 127.0.0.1:{port}:"));
    assert!(
        line.contains("the receiver took nothing for 500ms (--write-timeout); closed"),
        "{line}"
    );
    assert!(writer.join().unwrap(), "the client was disconnected");
    drop(stuck);
    tap.signal("TERM");
    let (code, _) = tap.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn color_always_colours_the_direction_and_never_and_auto_off_a_terminal_do_not() {
    for (color, coloured) in [("always", true), ("never", false), ("auto", false)] {
        let serve = start(&[
            "serve",
            "--once",
            "--color",
            color,
            "--listen",
            "127.0.0.1:0",
        ]);
        let mut c = connect(&serve.addr);
        c.write_all(&frame(b"hi")).unwrap();
        drop(c);
        let (code, out) = serve.finish();
        assert_eq!(code, Some(0));
        assert_eq!(out.lines().count(), 1, "{out}");
        assert_eq!(
            out.contains("\x1b[32mup\x1b[0m: "),
            coloured,
            "{color}: {out:?}"
        );
        assert!(
            out.ends_with("frame 1 at byte 0: I[0]=2 | 2 bytes \"hi\"\n"),
            "{out:?}"
        );
    }
}

#[test]
fn the_summary_counts_frames_not_the_preface() {
    let serve = start(&[
        "serve",
        "--echo",
        "--listen",
        "127.0.0.1:0",
        "--preface",
        "50524921",
    ]);
    let mut c = connect(&serve.addr);
    let mut wire = b"PRI!".to_vec();
    wire.extend(frame(b"one"));
    wire.extend(frame(b"two"));
    c.write_all(&wire).unwrap();
    // The echoes: the writer's preface, then the two frames.
    let mut back = vec![0u8; wire.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(back, wire);
    drop(c);
    let closed = serve.line_with("ended on");
    assert!(closed.contains(": 2 frames, 18 bytes"), "{closed}");
    serve.signal("TERM");
    let summary = serve.line_with("summary:");
    // 4 preface bytes and two 7-byte frames: 2 frames, 18 bytes.
    assert!(summary.contains(": 2 frames (18 bytes)"), "{summary}");
    let (code, _) = serve.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn a_second_signal_during_the_drain_exits_at_once() {
    // stdout is a pipe nobody reads: once it is full the printer blocks,
    // so the drain after the first signal cannot end by itself.
    let serve = start_unread(&["serve", "--echo", "--listen", "127.0.0.1:0"]);
    let mut c = connect(&serve.addr);
    let big = frame(&[b'x'; 60_000]);
    let mut back = vec![0u8; big.len()];
    for _ in 0..8 {
        c.write_all(&big).unwrap();
        c.read_exact(&mut back).unwrap();
    }
    serve.signal("TERM");
    serve.signal("INT");
    let mut child = serve.child;
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(LIMIT) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
            panic!("no exit within {LIMIT:?} after two signals");
        }
    };
    // 130: the second signal's exit, not the drain's (0 after its summary).
    assert_eq!(status.code(), Some(130), "{status}");
}
