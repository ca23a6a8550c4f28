//! The `framing` command, run as a program: every subcommand, every exit
//! code, and bytes compared with what CPython's `struct` produces. Network
//! tests use 127.0.0.1 only and every wait is bounded by a timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::BIN;

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `framing` with `args` and `stdin`, within [`LIMIT`].
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    finish(child)
}

/// Waits for `child` within [`LIMIT`], killing it if it overstays.
fn finish(child: Child) -> Output {
    common::finish_within(child, LIMIT, "framing")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a Python 3 snippet and returns its stdout. Without Python: fails
/// under CI, else returns `None` so the caller can skip the comparison.
fn python(code: &str) -> Option<Vec<u8>> {
    match Command::new("python3").arg("-c").arg(code).output() {
        Ok(o) if o.status.success() => Some(o.stdout),
        Ok(o) => panic!("python3 failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 is required in CI: {e}"
            );
            eprintln!("python3 not found ({e}): skipping the CPython comparison");
            None
        }
    }
}

/// `struct.pack(fmt, *values) + payload` for each frame, concatenated.
fn packed(fmt: &str, frames: &[(&str, &[u8])]) -> Option<Vec<u8>> {
    let body: Vec<String> = frames
        .iter()
        .map(|(values, payload)| {
            format!("out += struct.pack({fmt:?}, {values}) + bytes({payload:?})")
        })
        .collect();
    python(&format!(
        "import struct, sys\nout = b''\n{}\nsys.stdout.buffer.write(out)",
        body.join("\n")
    ))
}

#[test]
fn encode_matches_struct_pack() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&[], "!I", "5"),
        (&["--header", "<H"], "<H", "5"),
        (&["--header", "@bi", "--length-field", "1"], "@bi", "0, 5"),
        (&["--header", "i"], "i", "5"),
        (
            &[
                "--header",
                "<HBxI",
                "--length-field",
                "2",
                "--field",
                "0=0xCAFE",
                "--field",
                "1=1",
            ],
            "<HBxI",
            "0xCAFE, 1, 5",
        ),
        (
            &[
                "--header",
                ">I4s?",
                "--length-field",
                "0",
                "--field",
                "1=52494646",
                "--field",
                "2=true",
            ],
            ">I4s?",
            "5, b'RIFF', True",
        ),
        (&["--header", "!Ie", "--field", "1=1.5"], "!Ie", "5, 1.5"),
        (&["--header", "<I", "--length-adjust", "-4"], "<I", "9"),
        (&["--header", "=q"], "=q", "5"),
    ];
    for (opts, fmt, values) in cases {
        let mut args = vec!["encode"];
        args.extend_from_slice(opts);
        args.push("hello");
        let out = run(&args, b"");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        if let Some(expected) = packed(fmt, &[(values, b"hello")]) {
            assert_eq!(out.stdout, expected, "{args:?}");
        }
    }
}

#[test]
fn encode_reads_stdin_lines_and_hex() {
    let out = run(&["encode", "--header", "<H"], b"ab\n\ncd");
    assert!(out.status.success());
    assert_eq!(out.stdout, b"\x02\x00ab\x00\x00\x02\x00cd");
    let out = run(&["encode", "--hex", "--header", "<H", "00ff", ""], b"");
    assert_eq!(out.stdout, b"\x02\x00\x00\xff\x00\x00");
    let out = run(&["encode", "--hex", "--header", "<H"], b"0a0b\nzz\n");
    assert_eq!(out.status.code(), Some(1), "bad hex on stdin is bad data");
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn encode_refuses_what_does_not_fit() {
    let long = "x".repeat(256);
    let out = run(&["encode", "--header", "!B", &long], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing truncated is written");
    assert!(stderr(&out).contains("256"), "{}", stderr(&out));
    let out = run(&["encode", "--max-payload", "3", "four"], b"");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn decode_prints_struct_unpack_values_as_json() {
    let Some(stream) = packed(
        "<HbxqI?de4s",
        &[
            (
                "0xCAFE, -3, -2**63, 5, True, 2.5, float('nan'), b'ab'",
                b"hello",
            ),
            (
                "1, 127, 2**63-1, 0, False, float('-inf'), float('inf'), b''",
                b"",
            ),
        ],
    ) else {
        return;
    };
    let out = run(
        &[
            "decode",
            "--json",
            "--header",
            "<HbxqI?de4s",
            "--length-field",
            "3",
        ],
        &stream,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"fields": [51966, -3, i64::MIN, 5, true, 2.5, "nan", "61620000"], "index": 1, "offset": 0, "length": 5, "payload_hex": "68656c6c6f", "text": "hello"}),
            serde_json::json!({"fields": [1, 127, i64::MAX, 0, false, "-inf", "inf", "00000000"], "index": 2, "offset": 36, "length": 0, "payload_hex": "", "text": ""}),
        ]
    );
}

#[test]
fn decode_reads_files_and_prints_for_people() {
    let path = std::env::temp_dir().join(format!("framing-cli-{}.bin", std::process::id()));
    std::fs::write(&path, b"\x00\x00\x00\x02hi\x00\x00\x00\x02\x00\xff").unwrap();
    let out = run(&["decode", path.to_str().unwrap()], b"");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "frame 1 at byte 0: I[0]=2 | 2 bytes \"hi\"\nframe 2 at byte 6: I[0]=2 | 2 bytes 0x00ff\n"
    );
    let out = run(&["decode", "/nonexistent/framing/capture.bin"], b"");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn decode_errors_keep_earlier_frames_and_name_the_offset() {
    // A clean end, an empty stream: success.
    assert!(run(&["decode"], b"").status.success());
    // Truncated inside the payload of the second frame.
    let out = run(
        &["decode", "--json"],
        b"\x00\x00\x00\x01a\x00\x00\x00\x05ab",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the first frame is printed"
    );
    let err = stderr(&out);
    assert!(
        err.contains("byte 5") && err.contains("3 bytes missing"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    // Truncated inside a header.
    let out = run(&["decode"], b"\x00\x00");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("header"), "{}", stderr(&out));
    // A negative length, a length above the maximum, a wrong constant.
    for (args, bytes, what) in [
        (
            &["decode", "--header", "!i"][..],
            &b"\x00\x00\x00\x01a\xff\xff\xff\xfe"[..],
            "negative",
        ),
        (
            &["decode", "--max-payload", "4"][..],
            &b"\x00\x00\x00\x01a\x00\x00\x00\x05"[..],
            "maximum",
        ),
        (
            &[
                "decode",
                "--header",
                "!HH",
                "--length-field",
                "1",
                "--field",
                "0=7",
            ][..],
            &b"\x00\x07\x00\x01a\x00\x08\x00\x00"[..],
            // Both values, the header's and the layout's.
            "header value 0 is 0x8, expected the constant 0x7",
        ),
    ] {
        let out = run(args, bytes);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&out).lines().count(), 1, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("byte 5") && err.contains(what),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn decode_recovery_policies_report_in_order_and_go_on() {
    // A 7-byte frame over the maximum, discarded; then a good frame.
    let out = run(
        &[
            "decode",
            "--json",
            "--max-payload",
            "4",
            "--discard-oversize",
        ],
        b"\x00\x00\x00\x07toolong\x00\x00\x00\x02ok",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({"recovered": "discarded", "offset": 0, "length": 7})
    );
    assert_eq!(lines[1]["payload_hex"], "6f6b");
    assert_eq!(lines.len(), 2);

    // Junk before a frame with a magic number: skipped, reported, then the
    // frame; the human line's offset counts the skipped bytes.
    let args = [
        "decode",
        "--header",
        "!HH",
        "--length-field",
        "1",
        "--field",
        "0=0xcafe",
        "--resync",
    ];
    let out = run(&args, b"junk\xca\xfe\x00\x02hi");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "skipped 4 bytes from byte 0 to find the next valid header"
    );
    assert!(lines[1].starts_with("frame 1 at byte 4:"), "{text}");
    assert_eq!(lines.len(), 2, "{text}");

    // Resync needs a constant to find headers by: a usage error.
    let out = run(&["decode", "--resync"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_length_below_the_adjust_names_the_value_the_header_carried() {
    let out = run(&["decode", "--length-adjust", "-4"], b"\0\0\0\0");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("length 0 with adjust -4"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["decode", "--header", "<Hz"][..],
        &["decode", "--header", "<HI"],
        &["decode", "--header", "<4s"],
        &["decode", "--header", "<HI", "--length-field", "7"],
        &["decode", "--field", "0=1"],
        &[
            "decode",
            "--header",
            "<HI",
            "--length-field",
            "1",
            "--field",
            "0=zz",
        ],
        &[
            "decode",
            "--header",
            "<BI",
            "--length-field",
            "1",
            "--field",
            "0=256",
        ],
        &["decode", "--bogus"],
        &["encode", "--hex", "xyz"],
        &["serve", "--listen", "not an address"],
        &["frobnicate"],
    ] {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

#[test]
fn help_has_examples_for_every_subcommand() {
    for sub in ["decode", "encode", "serve", "send", "tap"] {
        let out = run(&[sub, "--help"], b"");
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(
            text.contains("Examples:") && text.contains("--header"),
            "{sub}: {text}"
        );
    }
}

/// A running `framing serve` and the address it printed.
struct Server {
    child: Child,
    addr: String,
}

fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the server never blocks on a full pipe.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    });
    let line = rx.recv_timeout(LIMIT).expect("serve printed its address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server { child, addr }
}

fn connect(addr: &str) -> TcpStream {
    common::connect_within(addr, LIMIT)
}

#[test]
fn serve_once_prints_frames_and_exits_0_on_a_clean_end() {
    let server = serve(&["--once", "--json"]);
    let mut s = connect(&server.addr);
    // Frames split byte by byte, then several coalesced in one write.
    for b in b"\x00\x00\x00\x02hi" {
        s.write_all(&[*b]).unwrap();
    }
    s.write_all(b"\x00\x00\x00\x01a\x00\x00\x00\x00\x00\x00\x00\x01b")
        .unwrap();
    drop(s);
    let out = finish(server.child);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let payloads: Vec<&str> = lines
        .iter()
        .map(|l| l["payload_hex"].as_str().unwrap())
        .collect();
    assert_eq!(payloads, ["6869", "61", "", "62"]);
    assert!(lines
        .iter()
        .all(|l| l["peer"].as_str().unwrap().starts_with("127.0.0.1:")));
}

#[test]
fn serve_once_exits_1_when_the_connection_ends_inside_a_frame() {
    let server = serve(&["--once"]);
    let mut s = connect(&server.addr);
    s.write_all(b"\x00\x00\x00\x01a\x00\x00\x00\x09abc")
        .unwrap();
    drop(s);
    let out = finish(server.child);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn serve_echo_sends_frames_back() {
    let server = serve(&["--once", "--echo", "--header", "<H"]);
    let mut s = connect(&server.addr);
    s.write_all(b"\x03\x00abc\x00\x00\x02\x00de").unwrap();
    let mut back = [0u8; 11];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"\x03\x00abc\x00\x00\x02\x00de");
    drop(s);
    assert_eq!(finish(server.child).status.code(), Some(0));
}

#[test]
fn serve_closes_a_bad_connection_and_goes_on() {
    let mut server = serve(&["--json"]);
    let mut good = connect(&server.addr);
    let mut bad = connect(&server.addr);
    bad.write_all(b"\xff\xff\xff\xff").unwrap(); // 4 GiB announced: over the maximum
    let mut rest = [0u8; 1];
    // The server closes the bad connection: we read end-of-stream (or a reset).
    assert!(matches!(bad.read(&mut rest), Ok(0) | Err(_)));
    good.write_all(b"\x00\x00\x00\x02ok").unwrap();
    drop(good);
    // The good connection's frame is printed although the bad one failed.
    let mut out = BufReader::new(server.child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(LIMIT).expect("a frame line");
    let _ = server.child.kill();
    let _ = server.child.wait();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["payload_hex"], "6f6b");
}

#[test]
fn send_writes_frames_and_reads_replies() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let mut got = [0u8; 9];
        s.read_exact(&mut got).unwrap();
        s.write_all(b"\x00\x03ack\x00\x02ok").unwrap();
        got
    });
    let out = run(
        &[
            "send",
            "--connect",
            &addr,
            "--header",
            "!H",
            "--recv",
            "2",
            "--json",
            "ping",
            "y",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(&peer.join().unwrap(), b"\x00\x04ping\x00\x01y");
    assert_eq!(
        stdout(&out),
        "{\"fields\":[3],\"index\":1,\"length\":3,\"offset\":0,\"payload_hex\":\"61636b\",\"text\":\"ack\"}\n{\"fields\":[2],\"index\":2,\"length\":2,\"offset\":5,\"payload_hex\":\"6f6b\",\"text\":\"ok\"}\n"
    );
}

#[test]
fn send_errors_exit_1() {
    // Refused: bind a port, then free it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(
        &["send", "--connect", &format!("127.0.0.1:{port}"), "hi"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot connect"), "{}", stderr(&out));
    // The peer closes before the replies asked for.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = [0u8; 6];
        s.read_exact(&mut got).unwrap();
        s.write_all(b"\x00\x00\x00\x01x").unwrap();
    });
    let out = run(&["send", "--connect", &addr, "--recv", "2", "hi"], b"");
    peer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(stderr(&out).contains("1 of 2"), "{}", stderr(&out));
}

#[test]
fn send_and_serve_talk_to_each_other() {
    let server = serve(&[
        "--once",
        "--echo",
        "--header",
        "<HBxI",
        "--length-field",
        "2",
        "--field",
        "0=0xCAFE",
    ]);
    let out = run(
        &[
            "send",
            "--connect",
            &server.addr,
            "--header",
            "<HBxI",
            "--length-field",
            "2",
            "--field",
            "0=0xCAFE",
            "--recv",
            "2",
        ],
        b"one\ntwo\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "frame 1 at byte 0: H[0]=51966 B[1]=0 I[2]=3 | 3 bytes \"one\"\nframe 2 at byte 11: H[0]=51966 B[1]=0 I[2]=3 | 3 bytes \"two\"\n"
    );
    assert_eq!(finish(server.child).status.code(), Some(0));
}

#[test]
fn demo_runs_on_loopback_and_exits_0() {
    let out = run(&["demo"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("stuck together") && text.contains("7 frames, as sent"),
        "{text}"
    );
}

#[test]
fn decode_prints_each_frame_from_stdin_as_it_arrives() {
    let mut child = Command::new(BIN)
        .args(["decode", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing decode");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // One frame and half of the next: the first must be printed while the
    // pipe stays open.
    stdin.write_all(b"\x00\x00\x00\x02hi\x00\x00").unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(LIMIT)
        .expect("the first frame printed before the input ended");
    assert_eq!(
        line,
        "{\"fields\":[2],\"index\":1,\"length\":2,\"offset\":0,\"payload_hex\":\"6869\",\"text\":\"hi\"}\n"
    );
    drop(stdin);
    assert_eq!(
        finish(child).status.code(),
        Some(1),
        "the stream ended inside a header"
    );
}

#[test]
fn serve_fits_its_connections_in_the_descriptor_limit_and_refuses_the_rest() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "prlimit is needed under CI"
        );
        eprintln!("skipped: no prlimit");
        return;
    }
    // 24 descriptors, hard limit included: room for a few connections
    // beside stdio, the listener and the event loop's own.
    let mut child = Command::new("prlimit")
        .args(["--nofile=24:24", "--", BIN, "serve", "--echo"])
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing serve under prlimit");
    let rx = lines_of(child.stderr.take().unwrap());
    let first = rx.recv_timeout(LIMIT).expect("serve printed its address");
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    // Warned at start, with the number that fits.
    let warning = line_with(&rx, "does not fit in the open-file limit");
    let fit: usize = warning
        .split("at most ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{warning}"));
    assert!((1..24).contains(&fit), "{warning}");
    // That many are served; the next ones are refused at accept (closed at
    // once), never a crash, and the log counts them.
    let mut served = Vec::new();
    for i in 0..fit {
        let mut s = connect(&addr);
        round_trip(&mut s, &[i as u8]);
        served.push(s);
    }
    for _ in 0..3 {
        let mut c = connect(&addr);
        let mut byte = [0u8; 1];
        assert!(matches!(c.read(&mut byte), Ok(0) | Err(_)), "refused");
    }
    let refused = line_with(&rx, "refused");
    assert!(
        refused.contains(&format!("{fit} connections open (--max-connections)")),
        "{refused}"
    );
    // Free them: once the server has seen them go, a new client is served.
    let ports: Vec<u16> = served
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    drop(served);
    // Their lines come in the order the server saw them close, not ours.
    let closed: Vec<String> = ports
        .iter()
        .map(|port| format!("connection from 127.0.0.1:{port}:"))
        .collect();
    lines_with_all(&rx, &closed);
    let mut good = connect(&addr);
    round_trip(&mut good, b"ok");
    kill(child);
}

#[test]
fn serve_echoes_while_nobody_reads_its_output() {
    // Stdout is a pipe nobody reads: each frame's line (80 KB of hex) is
    // more than the pipe holds. Echo must not wait for it.
    let mut server = serve(&["--echo", "--json"]);
    let mut client = connect(&server.addr);
    let payload = vec![0x5a; 40 * 1024];
    let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&payload);
    for _ in 0..3 {
        client.write_all(&frame).unwrap();
        let mut echo = vec![0u8; frame.len()];
        client
            .read_exact(&mut echo)
            .expect("the echo, within the limit");
        assert!(echo == frame, "the echo differs from the frame sent");
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// `framing serve` with every stderr line sent to a channel.
fn serve_logged(args: &[&str]) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing serve");
    let rx = lines_of(child.stderr.take().unwrap());
    let first = rx.recv_timeout(LIMIT).expect("serve printed its address");
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    (child, addr, rx)
}

/// The lines of `input`, as they come, on a channel.
fn lines_of(input: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(input).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line that contains `needle`, within [`LIMIT`] (with the lines
/// before it, for the failure message).
fn line_with(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(LIMIT) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(e) => panic!("no line with {needle:?} ({e}); saw {seen:?}"),
        }
    }
}

/// Lines containing each of `needles`, in any order, each within
/// [`LIMIT`] of the one before.
fn lines_with_all(rx: &mpsc::Receiver<String>, needles: &[String]) {
    let mut waiting: Vec<&String> = needles.iter().collect();
    let mut seen = Vec::new();
    while !waiting.is_empty() {
        match rx.recv_timeout(LIMIT) {
            Ok(line) => {
                waiting.retain(|needle| !line.contains(needle.as_str()));
                seen.push(line);
            }
            Err(e) => panic!("no lines with {waiting:?} ({e}); saw {seen:?}"),
        }
    }
}

/// Sends a frame and reads its echo back.
fn round_trip(s: &mut TcpStream, payload: &[u8]) {
    let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    s.write_all(&frame).unwrap();
    let mut echo = vec![0u8; frame.len()];
    s.read_exact(&mut echo).expect("the echo");
    assert_eq!(echo, frame);
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_closes_connections_past_the_maximum_and_says_why() {
    let (child, addr, rx) = serve_logged(&["--echo", "--max-connections", "2"]);
    let mut a = connect(&addr);
    let mut b = connect(&addr);
    round_trip(&mut a, b"a");
    round_trip(&mut b, b"b");
    // Both slots taken: the third is closed at once, and the log says why.
    let mut c = connect(&addr);
    let _ = c.write_all(b"\x00\x00\x00\x01c");
    let mut byte = [0u8; 1];
    assert!(matches!(c.read(&mut byte), Ok(0) | Err(_)), "closed");
    let refused = line_with(&rx, "refused");
    assert!(
        refused.contains("2 connections open (--max-connections)"),
        "{refused}"
    );
    // A slot freed is a slot for the next client.
    let a_port = a.local_addr().unwrap().port();
    drop(a);
    line_with(&rx, &format!("connection from 127.0.0.1:{a_port}:"));
    let mut d = connect(&addr);
    round_trip(&mut d, b"d");
    round_trip(&mut b, b"b again");
    kill(child);
}

#[test]
fn serve_closes_an_idle_connection_after_the_idle_timeout() {
    let (child, addr, rx) = serve_logged(&["--echo", "--idle-timeout", "0.3"]);
    let started = std::time::Instant::now();
    let mut idle = connect(&addr);
    let port = idle.local_addr().unwrap().port();
    let mut byte = [0u8; 1];
    assert!(matches!(idle.read(&mut byte), Ok(0) | Err(_)), "closed");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let line = line_with(&rx, &format!("connection from 127.0.0.1:{port}:"));
    assert!(line.contains("idle: no byte for 300ms"), "{line}");
    // One that keeps sending frames is not idle.
    let mut busy = connect(&addr);
    for i in 0..5u8 {
        round_trip(&mut busy, &[i; 3]);
    }
    kill(child);
}

#[test]
fn serve_closes_a_slow_frame_after_the_frame_timeout_and_serves_others() {
    let (child, addr, rx) = serve_logged(&["--echo", "--frame-timeout", "0.5"]);
    // Slowloris: a header announcing 8 MiB, then a byte every 50 ms, which
    // no idle timeout would catch.
    let mut slow = connect(&addr);
    let port = slow.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    slow.write_all(&(8u32 << 20).to_be_bytes()).unwrap();
    let trickle = thread::spawn(move || {
        for _ in 0..600 {
            if slow.write_all(b"x").is_err() {
                return true;
            }
            thread::sleep(Duration::from_millis(50)); // the attacker's pace
        }
        false
    });
    // Meanwhile a good client is served.
    let mut good = connect(&addr);
    round_trip(&mut good, b"still served");
    let line = line_with(&rx, &format!("connection from 127.0.0.1:{port}:"));
    assert!(
        line.contains("slow frame: not whole 500ms after its first byte"),
        "{line}"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(trickle.join().unwrap(), "the slow sender was cut off");
    round_trip(&mut good, b"and after");
    kill(child);
}

#[test]
fn serve_closes_an_echo_client_that_never_reads_and_serves_others() {
    let (child, addr, rx) = serve_logged(&["--echo", "--idle-timeout", "0.5"]);
    // A client that sends 1 MiB frames and never reads the echoes.
    let stalled = connect(&addr);
    let port = stalled.local_addr().unwrap().port();
    stalled.set_write_timeout(Some(LIMIT)).unwrap();
    let writer = thread::spawn(move || {
        let mut s = stalled;
        let mut frame = (1u32 << 20).to_be_bytes().to_vec();
        frame.extend(std::iter::repeat_n(7u8, 1 << 20));
        for _ in 0..64 {
            if s.write_all(&frame).is_err() {
                return true;
            }
        }
        false
    });
    let mut good = connect(&addr);
    round_trip(&mut good, b"served while the other stalls");
    let line = line_with(&rx, &format!("connection from 127.0.0.1:{port}:"));
    assert!(line.contains("the client read no echo for 500ms"), "{line}");
    assert!(
        writer.join().unwrap(),
        "the stalled client was disconnected"
    );
    // (`good` has been idle past the timeout by now: a new client.)
    round_trip(&mut connect(&addr), b"and after");
    kill(child);
}

#[test]
fn serve_logs_why_it_closed_a_connection_that_sent_a_bad_frame() {
    let (child, addr, rx) = serve_logged(&[
        "--header",
        "<HI",
        "--length-field",
        "1",
        "--field",
        "0=0xCAFE",
    ]);
    let mut bad = connect(&addr);
    let port = bad.local_addr().unwrap().port();
    // A good frame, then a wrong magic number at byte 7.
    bad.write_all(b"\xfe\xca\x01\x00\x00\x00x\xad\xde\x00\x00\x00\x00")
        .unwrap();
    let mut byte = [0u8; 1];
    // The peer itself only sees the close...
    assert!(matches!(bad.read(&mut byte), Ok(0) | Err(_)));
    // ...the server's log says why.
    let line = line_with(&rx, &format!("connection from 127.0.0.1:{port}:"));
    assert!(
        line.ends_with(
            "1 frames, 7 bytes, failed: frame at byte 7: header value 0 is 0xdead, expected the constant 0xcafe"
        ),
        "{line}"
    );
    kill(child);
}

#[test]
fn serial_framings_encode_and_decode_without_a_header() {
    for framing in ["cobs", "slip"] {
        let args = ["--framing", framing, "--trailer", "crc16-xmodem"];
        let wire = run(
            &[&["encode", "--hex"][..], &args].concat(),
            b"00c0db41\n68690a\n",
        );
        assert_eq!(wire.status.code(), Some(0), "{framing}: {}", stderr(&wire));
        let out = run(&[&["decode", "--json"][..], &args].concat(), &wire.stdout);
        assert_eq!(out.status.code(), Some(0), "{framing}: {}", stderr(&out));
        let frames: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(frames.len(), 2, "{framing}");
        assert_eq!(frames[0]["payload_hex"], "00c0db41");
        assert_eq!(frames[1]["payload_hex"], "68690a");
        assert!(frames[0].get("fields").is_none(), "no header, no fields");
        assert_eq!(frames[0]["trailer"].as_str().unwrap().len(), 4);
    }
    // A line may not hold its delimiter: refused, with the place.
    let out = run(&["encode", "--framing", "lines", "--hex", "610a62"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("delimiter at byte 1"),
        "{}",
        stderr(&out)
    );
}

/// An empty SLIP frame would be an END alone, which every reader skips:
/// refused with exit 1 and a sentence saying why, nothing written. An
/// empty COBS frame is `01 00` and is written.
#[test]
fn an_empty_slip_frame_is_refused_and_an_empty_cobs_frame_is_written() {
    let out = run(&["encode", "--framing", "slip", ""], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert!(
        stderr(&out).contains("cannot frame a payload of 0 bytes with --framing slip: an empty SLIP frame is an END byte alone"),
        "{}",
        stderr(&out)
    );
    let out = run(&["encode", "--framing", "cobs", ""], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout, [0x01, 0x00]);
}

#[test]
fn lines_with_a_custom_delimiter_and_a_maximum() {
    let out = run(
        &[
            "decode",
            "--framing",
            "lines",
            "--delimiter",
            "0d0a",
            "--max-frame",
            "4",
            "--discard-oversize",
            "--json",
        ],
        b"ok\r\ntoo long\r\nfine\r\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["payload_hex"], "6f6b");
    assert_eq!(lines[1]["recovered"], "discarded");
    assert_eq!(lines[1]["offset"], 4);
    assert_eq!(lines[2]["payload_hex"], "66696e65");
    // An unterminated line is an error naming what was held.
    let out = run(&["decode", "--framing", "lines"], b"done\npartial");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("7 bytes and no delimiter"),
        "{}",
        stderr(&out)
    );
    // Header options do not go with a framing that has no header.
    let out = run(&["decode", "--framing", "cobs", "--field", "0=1"], b"");
    assert_eq!(out.status.code(), Some(2));
}
