//! Helpers the CLI's integration tests share: the binary, a child waited
//! for with a deadline, JSON lines, loopback peers with timeouts, and the
//! Python interpreter with the peers' libraries.
//! Each test file uses a part of them.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// The `framing` command built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_framing");

/// Runs `command` with `input` on its stdin (written from a thread, so a
/// child that writes a lot before reading all of it cannot stall), its
/// stdout and stderr captured, within `limit` (see [`finish_within`]).
pub fn run_fed(mut command: Command, input: &[u8], limit: Duration, what: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut stdin = child.stdin.take().expect("a piped stdin");
    let input = input.to_vec();
    thread::spawn(move || {
        // A child that exits without reading it all closes the pipe: its
        // own status says what went wrong.
        let _ = stdin.write_all(&input);
    });
    finish_within(child, limit, what)
}

/// Waits for `child` (named `what` in the failure) at most `limit`; kills
/// it and fails the test after that, so no test hangs.
pub fn finish_within(child: Child, limit: Duration, what: &str) -> Output {
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap_or_else(|e| panic!("wait for {what}: {e}")),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("{what} did not finish within {limit:?}");
        }
    }
}

/// Each line of `text` as JSON; a line that is not fails the test, named.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// A loopback connection whose reads time out after `limit`.
pub fn connect_within(addr: &str, limit: Duration) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    s
}

/// A loopback server that echoes one connection until it closes (or a
/// read waits longer than `limit`): its address and thread.
pub fn echo_upstream_within(limit: Duration) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(limit)).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if s.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    });
    (addr, handle)
}

/// The interpreter with the libraries, or `None` (a failure under CI).
pub fn python() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("FRAMING_PYTHON") {
                let p = PathBuf::from(p);
                assert!(p.is_file(), "FRAMING_PYTHON={} is not a file", p.display());
                return Some(p);
            }
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python3");
            if venv.is_file() {
                return Some(venv);
            }
            let found = std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("python3"))
                    .find(|p| p.is_file())
            });
            if found.is_none() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "no python3 (FRAMING_PYTHON, target/pyenv or PATH), and CI is set: \
                     the Python peer tests must run"
                );
                eprintln!("skipped: no python3 (set CI to make this a failure)");
            }
            found
        })
        .clone()
}
