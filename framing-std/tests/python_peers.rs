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

/// Lengths no `struct` code describes, and checksum trailers, against
/// `lengths_peer.py`: HTTP/2 frame headers (`!3sBBI`, a 3-byte length
/// written with `n.to_bytes(3, 'big')`), protobuf-delimited messages
/// (LEB128 lengths) and `zlib.crc32` trailers under resynchronisation.
mod lengths {
    use std::io::{self, BufRead, BufReader, Read};
    use std::net::{Shutdown, TcpStream};
    use std::path::Path;
    use std::process::{Child, ChildStdout, Command, Stdio};
    use std::time::Duration;

    use framing_std::framing_core::Checksum;
    use framing_std::{Decoded, FrameReader, FrameWriter, FramedStream, Layout, Recovery, Value};

    use super::{connect, python};

    const HTTP2: Layout = Layout::builder("!3sBBI").length_field(0).build_or_panic();
    const DELIMITED: Layout = Layout::builder("").varint_length().build_or_panic();
    /// magic u16 0xF00D, length u32, then the payload and its CRC-32.
    const CRC: Layout = Layout::builder(">HI")
        .length_field(1)
        .constant(0, Value::Int(0xF00D))
        .trailer(Checksum::Crc32)
        .resync(true)
        .build_or_panic();

    // The formulas of `lengths_peer.py`.
    const H2_SPECIAL: [usize; 9] = [0, 1, 255, 256, 16383, 16384, 65535, 65536, 100_000];
    const DELIMITED_SPECIAL: [usize; 14] = [
        0,
        1,
        126,
        127,
        128,
        129,
        255,
        300,
        16382,
        16383,
        16384,
        16385,
        (1 << 21) - 1,
        1 << 21,
    ];
    const CORRUPT: usize = 17;
    const JUNK_AFTER: usize = 29;
    const JUNK_LEN: u64 = 7;

    fn payload(i: usize, n: usize) -> Vec<u8> {
        (0..n).map(|k| ((i * 31 + k) % 251) as u8).collect()
    }

    fn h2_length(i: usize) -> usize {
        H2_SPECIAL.get(i).copied().unwrap_or(i * 7919 % 300)
    }

    /// (type, flags, stream).
    fn h2_fields(i: usize) -> (u8, u8, u32) {
        (
            (i % 10) as u8,
            (i * 37 % 256) as u8,
            (i as u64 * 2_654_435_761 % (1 << 32)) as u32,
        )
    }

    /// HTTP/2 frame header `i`, written out by hand.
    fn h2_header(i: usize) -> Vec<u8> {
        let n = h2_length(i) as u32;
        let (kind, flags, stream) = h2_fields(i);
        let mut h = n.to_be_bytes()[1..].to_vec();
        h.extend_from_slice(&[kind, flags]);
        h.extend_from_slice(&stream.to_be_bytes());
        h
    }

    fn delimited_length(i: usize) -> usize {
        DELIMITED_SPECIAL.get(i).copied().unwrap_or(i * 7919 % 300)
    }

    fn crc_length(i: usize) -> usize {
        i * 7919 % 300
    }

    /// A reference LEB128 encoder, apart from the crate's.
    fn leb128(mut n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(low);
                return out;
            }
            out.push(low | 0x80);
        }
    }

    /// A running `lengths_peer.py`, killed if the test ends before it does.
    struct Peer {
        child: Child,
        out: BufReader<ChildStdout>,
        port: u16,
    }

    impl Peer {
        fn start(python: &Path, args: &[&str]) -> Peer {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/lengths_peer.py");
            let mut child = Command::new(python)
                .arg("-u")
                .arg(script)
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start python3");
            let out = BufReader::new(child.stdout.take().expect("stdout"));
            let mut peer = Peer {
                child,
                out,
                port: 0,
            };
            let mut line = String::new();
            peer.out.read_line(&mut line).expect("read the port");
            peer.port = line
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("lengths_peer.py printed {line:?} instead of a port"));
            peer
        }

        /// Everything else it prints, once it has exited successfully.
        fn finish(&mut self) -> io::Result<String> {
            let mut report = String::new();
            self.out.read_to_string(&mut report)?;
            let status = self.child.wait()?;
            assert!(
                status.success(),
                "lengths_peer.py failed: {status}, said {report:?}"
            );
            Ok(report)
        }
    }

    impl Drop for Peer {
        fn drop(&mut self) {
            // Only this child, and a no-op once it was waited for.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[test]
    fn python_http2_frames_in_random_pieces_reach_the_rust_reader() {
        const COUNT: usize = 400;
        let Some(python) = python() else { return };
        let mut peer = Peer::start(&python, &["send-http2", &COUNT.to_string(), "11"]);
        // A small read buffer: frames cross reads, and the long ones grow it.
        let mut reader = FrameReader::with_capacity(1500, connect(peer.port), HTTP2);
        for i in 0..COUNT {
            let frame = match reader.next_frame() {
                Ok(Some(frame)) => frame,
                other => panic!("frame {i}: {other:?}"),
            };
            let n = h2_length(i);
            let (kind, flags, stream) = h2_fields(i);
            assert_eq!(frame.header().as_bytes(), &h2_header(i)[..], "frame {i}");
            assert_eq!(frame.header().length_value(), n as i128, "frame {i}");
            assert_eq!(
                frame.value(0),
                Some(Value::Bytes(&(n as u32).to_be_bytes()[1..])),
                "frame {i}"
            );
            assert_eq!(frame.int(1), Some(i128::from(kind)), "frame {i}");
            assert_eq!(frame.int(2), Some(i128::from(flags)), "frame {i}");
            assert_eq!(frame.int(3), Some(i128::from(stream)), "frame {i}");
            assert!(
                frame.payload() == payload(i, n),
                "frame {i}: payload differs"
            );
        }
        assert!(reader.next_frame().unwrap().is_none(), "a clean end");
        assert_eq!(peer.finish().unwrap().trim(), format!("sent {COUNT}"));
    }

    #[test]
    fn python_delimited_messages_in_random_pieces_reach_the_rust_reader() {
        const COUNT: usize = 300;
        let Some(python) = python() else { return };
        let mut peer = Peer::start(&python, &["send-delimited", &COUNT.to_string(), "12"]);
        let stream = connect(peer.port);
        let mut framed = FramedStream::with_capacity(4096, 4096, stream, DELIMITED);
        let mut varint_sizes = [0usize; 5];
        for i in 0..COUNT {
            let frame = match framed.next_frame() {
                Ok(Some(frame)) => frame,
                other => panic!("message {i}: {other:?}"),
            };
            let n = delimited_length(i);
            let head = frame.header().as_bytes();
            assert_eq!(head, &leb128(n as u64)[..], "message {i}");
            assert_eq!(frame.header().length_value(), n as i128, "message {i}");
            assert!(frame.trailer().is_empty());
            assert!(
                frame.payload() == payload(i, n),
                "message {i}: payload differs"
            );
            varint_sizes[head.len()] += 1;
        }
        // Varints of 1, 2, 3 and 4 bytes all came through.
        assert_eq!(varint_sizes[0], 0);
        assert!(varint_sizes[1..].iter().all(|&k| k > 0), "{varint_sizes:?}");
        assert!(framed.next_frame().unwrap().is_none(), "a clean end");
        assert_eq!(peer.finish().unwrap().trim(), format!("sent {COUNT}"));
    }

    #[test]
    fn a_corrupt_python_crc32_frame_is_reported_and_the_next_one_read() {
        const COUNT: usize = 60;
        let Some(python) = python() else { return };
        let mut peer = Peer::start(&python, &["send-crc", &COUNT.to_string(), "13"]);
        let mut reader = FrameReader::with_capacity(512, connect(peer.port), CRC);
        // What the reader must deliver, worked out here: frames, the
        // corrupt one as a report, the junk as skipped bytes.
        let mut want = Vec::new();
        let mut offset = 0u64;
        for i in 0..COUNT {
            let body = payload(i, crc_length(i));
            let mut head = vec![0xf0, 0x0d];
            head.extend_from_slice(&(body.len() as u32).to_be_bytes());
            let carried = Checksum::Crc32.checksum(&[&head[..], &body].concat());
            let length = (head.len() + body.len() + 4) as u64;
            if i == CORRUPT {
                let mut bad = body.clone();
                bad[body.len() / 2] ^= 0x40;
                want.push(Err(Recovery::Corrupt {
                    offset,
                    length,
                    computed: Checksum::Crc32.checksum(&[&head[..], &bad].concat()),
                    carried,
                }));
            } else {
                want.push(Ok((i, head, body, carried)));
            }
            offset += length;
            if i == JUNK_AFTER {
                want.push(Err(Recovery::Skipped {
                    offset,
                    bytes: JUNK_LEN,
                }));
                offset += JUNK_LEN;
            }
        }
        let mut reports = Vec::new();
        for (k, expected) in want.iter().enumerate() {
            let item = match reader.next_item() {
                Ok(Some(item)) => item,
                other => panic!("item {k}: {other:?}"),
            };
            match (item, expected) {
                (Decoded::Frame(f), Ok((i, head, body, carried))) => {
                    assert_eq!(f.header().as_bytes(), &head[..], "frame {i}");
                    assert_eq!(f.int(0), Some(0xF00D));
                    assert_eq!(f.header().length_value(), body.len() as i128);
                    assert!(f.payload() == &body[..], "frame {i}: payload differs");
                    assert_eq!(f.trailer(), carried.to_be_bytes(), "frame {i}");
                }
                (Decoded::Recovered(r), Err(w)) => {
                    assert_eq!(r, *w, "item {k}");
                    reports.push(r);
                }
                (got, w) => panic!("item {k}: got {got:?}, expected {w:?}"),
            }
        }
        assert!(reader.next_item().unwrap().is_none(), "a clean end");
        // Python's own account (zlib.crc32) of what it corrupted.
        let said = peer.finish().unwrap();
        let mut lines = said.lines();
        let nums = |line: Option<&str>, tag: &str| -> Vec<u64> {
            let line = line.unwrap_or_else(|| panic!("no {tag} line in {said:?}"));
            let mut words = line.split_whitespace();
            assert_eq!(words.next(), Some(tag), "{said:?}");
            words.map(|w| w.parse().unwrap()).collect()
        };
        let Recovery::Corrupt {
            offset,
            length,
            computed,
            carried,
        } = reports[0]
        else {
            panic!("{reports:?}")
        };
        assert_eq!(
            nums(lines.next(), "corrupt"),
            [offset, length, u64::from(computed), u64::from(carried)]
        );
        assert_eq!(
            reports[1],
            Recovery::Skipped {
                offset: nums(lines.next(), "skipped")[0],
                bytes: JUNK_LEN
            }
        );
        assert_eq!(lines.next(), Some(&*format!("sent {COUNT}")));
        assert_eq!(reports.len(), 2);
    }

    /// The report lines of a `recv-*` peer: `frame I` and the numbers
    /// after, each line checked against `want(i)`.
    fn check_report(report: &str, count: usize, want: impl Fn(usize) -> Vec<u64>) {
        let mut lines = report.lines();
        for i in 0..count {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("report ends before frame {i}: {report:?}"));
            let mut words = line.split_whitespace();
            assert_eq!(words.next(), Some("frame"), "{line}");
            assert_eq!(words.next(), Some(&*i.to_string()), "{line}");
            let got: Vec<u64> = words.map(|w| w.parse().unwrap()).collect();
            assert_eq!(got, want(i), "frame {i}");
        }
        assert_eq!(lines.next(), Some(&*format!("ok {count}")));
        assert_eq!(lines.next(), None);
    }

    fn crc32(bytes: &[u8]) -> u64 {
        u64::from(Checksum::Crc32.checksum(bytes))
    }

    fn write_timeout(stream: TcpStream) -> TcpStream {
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }

    #[test]
    fn rust_http2_frames_reach_a_python_parser() -> io::Result<()> {
        const COUNT: usize = 300;
        let Some(python) = python() else {
            return Ok(());
        };
        let mut peer = Peer::start(&python, &["recv-http2", &COUNT.to_string()]);
        let stream = write_timeout(connect(peer.port));
        let mut writer = FrameWriter::with_capacity(4096, stream, HTTP2);
        for i in 0..COUNT {
            let (kind, flags, stream) = h2_fields(i);
            let fields = [
                (1, Value::Int(kind.into())),
                (2, Value::Int(flags.into())),
                (3, Value::Int(stream.into())),
            ];
            let body = payload(i, h2_length(i));
            match i % 3 {
                0 => writer.write_frame_with(&body, &fields)?,
                _ => writer.queue_frame_with(&body, &fields)?,
            }
        }
        writer.flush()?;
        writer.get_ref().shutdown(Shutdown::Write)?;
        let report = peer.finish()?;
        check_report(&report, COUNT, |i| {
            let (kind, flags, stream) = h2_fields(i);
            let n = h2_length(i);
            vec![
                n as u64,
                kind.into(),
                flags.into(),
                stream.into(),
                crc32(&payload(i, n)),
            ]
        });
        // Nothing comes back; the connection ends cleanly.
        assert_eq!(writer.into_inner().read(&mut [0; 1])?, 0);
        Ok(())
    }

    #[test]
    fn rust_delimited_messages_reach_a_python_parser() -> io::Result<()> {
        const COUNT: usize = 200;
        let Some(python) = python() else {
            return Ok(());
        };
        let mut peer = Peer::start(&python, &["recv-delimited", &COUNT.to_string()]);
        let stream = write_timeout(connect(peer.port));
        let mut writer = FrameWriter::with_capacity(4096, stream, DELIMITED);
        for i in 0..COUNT {
            let body = payload(i, delimited_length(i));
            match i % 3 {
                0 => writer.write_frame(&body)?,
                _ => writer.queue_frame(&body)?,
            }
        }
        writer.flush()?;
        writer.get_ref().shutdown(Shutdown::Write)?;
        let report = peer.finish()?;
        check_report(&report, COUNT, |i| {
            let n = delimited_length(i);
            vec![
                n as u64,
                leb128(n as u64).len() as u64,
                crc32(&payload(i, n)),
            ]
        });
        assert_eq!(writer.into_inner().read(&mut [0; 1])?, 0);
        Ok(())
    }
}
