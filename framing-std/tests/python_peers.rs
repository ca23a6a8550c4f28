//! Real peers: a Python 3 program framing messages as the classic socket
//! tutorial does (`struct.pack('i', len(msg))`, native 4-byte int, no
//! byte-order prefix) talks to the Rust reader and writer over 127.0.0.1.
//!
//! Needs `python3` on PATH: without it the tests fail when `CI` is set and
//! are skipped (with a message) otherwise.

mod common;

use std::io::{self, BufRead, BufReader, Read};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use common::message;
use framing_std::{FrameReader, FrameWriter, Layout};

/// Native int, as `struct.pack('i', n)` on this machine.
const NATIVE_I: Layout = Layout::new("i");
const COUNT: usize = 2000;

/// `python3` on PATH, or `None` (a failure under CI).
fn python() -> Option<PathBuf> {
    let names: &[&str] = if cfg!(windows) {
        &["python3.exe", "python.exe"]
    } else {
        &["python3"]
    };
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is not on PATH, and CI is set: the Python peer tests must run"
        );
        eprintln!("skipped: python3 is not on PATH (set CI to make this a failure)");
    }
    found
}

/// Starts `peer.py` with `args`; returns it with its stdout after reading
/// the port it listens on.
fn start_peer(python: &PathBuf, args: &[&str]) -> (Child, BufReader<ChildStdout>, u16) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/peer.py");
    let mut child = Command::new(python)
        .arg("-u")
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read the port");
    let port = line.trim().parse().unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("peer.py printed {line:?} instead of a port")
    });
    (child, out, port)
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to peer.py");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
fn a_python_sender_in_random_pieces_reaches_the_rust_reader() {
    let Some(python) = python() else { return };
    let (mut child, _out, port) = start_peer(&python, &["send", &COUNT.to_string(), "7"]);
    let mut reader = FrameReader::new(connect(port), NATIVE_I);
    for i in 0..COUNT {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            other => {
                let _ = child.kill();
                panic!("message {i}: {other:?}")
            }
        };
        assert_eq!(frame.header().length_value(), message(i).len() as i128);
        assert!(frame.payload() == message(i), "message {i} differs");
    }
    assert!(reader.next_frame().unwrap().is_none(), "a clean end");
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_rust_writer_reaches_a_python_reader() -> io::Result<()> {
    let Some(python) = python() else {
        return Ok(());
    };
    let (mut child, mut out, port) = start_peer(&python, &["recv", &COUNT.to_string()]);
    // A small batch, so queued frames are written in many batches too.
    let mut writer = FrameWriter::with_capacity(4096, connect(port), NATIVE_I);
    for i in 0..COUNT {
        match i % 3 {
            0 => writer.write_frame(&message(i))?,
            _ => writer.queue_frame(&message(i))?,
        }
        if i % 10 == 0 {
            writer.flush()?;
        }
    }
    writer.flush()?;
    writer.get_ref().shutdown(Shutdown::Write)?;
    let mut report = String::new();
    out.read_to_string(&mut report)?;
    let status = child.wait()?;
    assert!(
        status.success(),
        "peer.py failed: {status}, said {report:?}"
    );
    assert_eq!(report.trim(), format!("ok {COUNT}"));
    // Nothing comes back; the connection ends cleanly.
    assert_eq!(writer.into_inner().read(&mut [0; 1])?, 0);
    Ok(())
}
