//! `framing tap` between real sockets on 127.0.0.1: every byte forwarded
//! unchanged both ways, half-closes included, and the frames printed as
//! `decode` prints them. Every wait is bounded by a timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use common::BIN;

const LIMIT: Duration = Duration::from_secs(60);

/// Waits for `child` within [`LIMIT`], killing it if it overstays.
fn finish(child: Child) -> Output {
    common::finish_within(child, LIMIT, "the child")
}

/// `python3` on PATH, or `None` (a failure under CI).
fn python() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("python3"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is not on PATH, and CI is set: the tap tests with Python peers must run"
        );
        eprintln!("skipped: python3 is not on PATH (set CI to make this a failure)");
    }
    found
}

/// Starts `framing tap --once` to `upstream` with `args`; returns it and
/// the address it listens on.
fn tap(upstream: &str, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "tap",
            "--once",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framing tap");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = stderr.read_line(&mut line);
        let _ = tx.send(line);
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        eprint!("{rest}");
    });
    let line = rx.recv_timeout(LIMIT).expect("tap printed its address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, addr)
}

/// The JSON lines of `out`'s stdout for direction `dir`, without the
/// keys every line has ("ts", "conn", "peer", "dir"), and without the
/// "index", "offset" and "text" of frames: all checked here.
fn lines(out: &Output, dir: &str) -> Vec<Value> {
    let mut index = 0;
    let mut next_offset = 0;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["dir"] == dir)
        .map(|mut v| {
            let obj = v.as_object_mut().unwrap();
            let peer = obj.remove("peer").expect("a peer key");
            assert!(peer.as_str().unwrap().starts_with("127.0.0.1:"), "{peer}");
            obj.remove("dir");
            let ts = obj.remove("ts").expect("a ts key");
            assert!(ts.as_str().unwrap().ends_with('Z'), "{ts}");
            assert_eq!(obj.remove("conn"), Some(json!(1)));
            if let Some(hex) = obj.get("payload_hex").cloned() {
                // A frame: numbered in its direction, at the offset its
                // header says (8-byte headers here), text when UTF-8.
                index += 1;
                assert_eq!(obj.remove("index"), Some(json!(index)));
                let offset = obj.remove("offset").unwrap().as_u64().unwrap();
                assert!(offset >= next_offset, "{offset} < {next_offset}");
                next_offset = offset + 8 + hex.as_str().unwrap().len() as u64 / 2;
                if let Some(text) = obj.remove("text") {
                    let bytes: Vec<u8> = (0..hex.as_str().unwrap().len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex.as_str().unwrap()[i..i + 2], 16).unwrap())
                        .collect();
                    assert_eq!(text.as_str().unwrap().as_bytes(), bytes);
                }
            }
            v
        })
        .collect()
}

#[test]
fn python_peers_get_their_bytes_through_the_tap_and_the_frames_are_printed() {
    let Some(python) = python() else { return };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/tap_peers.py");
    for seed in [1, 2] {
        let mut peers = Command::new(&python)
            .arg("-u")
            .arg(script)
            .arg(seed.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python3");
        let mut stdout = BufReader::new(peers.stdout.take().unwrap());
        let mut port = String::new();
        stdout.read_line(&mut port).expect("the server's port");
        let upstream = format!("127.0.0.1:{}", port.trim());
        let (tap, addr) = tap(
            &upstream,
            &[
                "--json",
                "--header",
                "<HBxI",
                "--length-field",
                "2",
                "--field",
                "0=0xCAFE",
                "--down-resync",
            ],
        );
        let tap_port = addr.rsplit(':').next().unwrap();
        writeln!(peers.stdin.take().unwrap(), "{tap_port}").unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut report = String::new();
            let _ = stdout.read_to_string(&mut report);
            let _ = tx.send(report);
        });
        let peers = finish(peers);
        assert!(
            peers.status.success(),
            "the Python peers: {}",
            String::from_utf8_lossy(&peers.stderr)
        );
        let report: Value = serde_json::from_str(&rx.recv_timeout(LIMIT).unwrap()).unwrap();
        let out = finish(tap);
        // Up has a bad frame and no recovery policy: exit 1.
        assert_eq!(out.status.code(), Some(1));

        // Up: the frames before the corrupt one, then the error at its
        // offset; the frames after it were forwarded (the Python side
        // checked every byte) but not printed.
        let up = &report["up"];
        let offset = up["corrupt"]["offset"].as_u64().unwrap();
        let mut expected: Vec<Value> = up["frames"].as_array().unwrap()[..17].to_vec();
        expected.push(json!({
            "error": format!(
                "frame at byte {offset}: header value 0 is 0xdead, expected the constant 0xcafe"
            ),
            "offset": offset,
        }));
        assert_eq!(lines(&out, "up"), expected, "seed {seed}");

        // Down, under --down-resync: the corrupt frame is reported as
        // skipped, every other frame printed, the last one sent after the
        // client's half-close included.
        let down = &report["down"];
        let frames = down["frames"].as_array().unwrap();
        let mut expected: Vec<Value> = frames[..11].to_vec();
        expected.push(json!({
            "recovered": "skipped",
            "offset": down["corrupt"]["offset"],
            "bytes": down["corrupt"]["length"],
        }));
        expected.extend_from_slice(&frames[11..]);
        assert_eq!(lines(&out, "down"), expected, "seed {seed}");
    }
}

#[test]
fn a_truncated_stream_is_reported_with_its_offset_and_forwarded_as_it_was() {
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let (tap, addr) = tap(&upstream.local_addr().unwrap().to_string(), &[]);
    let mut client = TcpStream::connect(&addr).unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    let (mut server, _) = upstream.accept().unwrap();
    server.set_read_timeout(Some(LIMIT)).unwrap();
    // A frame, then a frame that ends inside its payload; then the client
    // half-closes.
    let sent = b"\x00\x00\x00\x02hi\x00\x00\x00\x09abc";
    client.write_all(sent).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got, sent, "forwarded unchanged, the end included");
    // The half-close crossed; the other way is still open.
    server.write_all(b"\x00\x00\x00\x03yes").unwrap();
    drop(server);
    let mut back = Vec::new();
    client.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"\x00\x00\x00\x03yes");
    drop(client);
    let out = finish(tap);
    assert_eq!(out.status.code(), Some(1), "up was truncated");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut up: Vec<&str> = text.lines().filter(|l| l.contains(" up: ")).collect();
    let down: Vec<&str> = text.lines().filter(|l| l.contains(" down: ")).collect();
    assert_eq!(up.len(), 2, "{text}");
    assert!(up
        .remove(0)
        .ends_with("up: frame 1 at byte 0: I[0]=2 | 2 bytes \"hi\""));
    assert!(
        up[0].ends_with(
            "up: error: stream ended inside the payload of the frame at byte 6: \
             6 bytes missing (forwarding goes on)"
        ),
        "{}",
        up[0]
    );
    assert_eq!(down.len(), 1, "{text}");
    assert!(down[0].ends_with("down: frame 1 at byte 0: I[0]=3 | 3 bytes \"yes\""));
}

#[test]
fn tap_usage_errors_exit_2() {
    for args in [
        &["--listen", "127.0.0.1:0", "--upstream", "nowhere:x"][..],
        &[
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:1",
            "--down-header",
            "!Q!",
        ],
    ] {
        let out = Command::new(BIN).arg("tap").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // --down-header starts afresh: --field 0=... applies only up.
    let out = Command::new(BIN)
        .args([
            "tap",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:1",
        ])
        .args(["--header", "<HI", "--length-field", "1", "--field", "0=7"])
        .args(["--down-header", "!Q!"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("down: invalid --header \"!Q!\""), "{err}");
}
