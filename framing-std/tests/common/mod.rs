//! Helpers shared by the integration tests: encoders, scripted readers and
//! writers, a deterministic random generator, loopback socket pairs.
#![allow(dead_code)]

use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use framing_std::Layout;

/// Header + payload of each payload, concatenated (the core's encoder).
pub fn encode(layout: Layout, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let mut frame = vec![0; layout.header_len() + p.len()];
        let n = layout.encode(p, &mut frame).expect("encodable payload");
        out.extend_from_slice(&frame[..n]);
    }
    out
}

/// xorshift64*: small, deterministic, good enough for split points.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// Message `i` of the Python peer tests: the same formula as `peer.py`.
pub fn message(i: usize) -> Vec<u8> {
    let len = if i % 97 == 50 {
        70_000
    } else {
        (i * 7919) % 300
    };
    (0..len).map(|k| ((i * 31 + k) % 251) as u8).collect()
}

/// Random payloads: mostly small, some empty, some larger than `big`.
pub fn payloads(rng: &mut Rng, count: usize, big: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let len = match rng.range(0, 9) {
                0 => 0,
                1 => rng.range(big, big * 3),
                _ => rng.range(1, 40),
            };
            (0..len).map(|k| (i * 7 + k) as u8).collect()
        })
        .collect()
}

/// One step of a [`Script`]ed reader.
pub enum Step {
    /// Bytes to deliver (over as many reads as the caller's buffer needs).
    Data(Vec<u8>),
    /// An error to return once.
    Fail(io::ErrorKind),
}

/// A reader that plays a script, then reports the end of the stream, and
/// counts its `read` calls.
pub struct Script {
    steps: std::collections::VecDeque<Step>,
    pub reads: usize,
}

impl Script {
    pub fn new(steps: Vec<Step>) -> Self {
        Script {
            steps: steps.into(),
            reads: 0,
        }
    }
    /// The stream delivered in the given chunks, one per read at most.
    pub fn chunks(bytes: &[u8], sizes: impl IntoIterator<Item = usize>) -> Self {
        let mut steps = Vec::new();
        let mut rest = bytes;
        for n in sizes {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(n.min(rest.len()));
            steps.push(Step::Data(a.to_vec()));
            rest = b;
        }
        if !rest.is_empty() {
            steps.push(Step::Data(rest.to_vec()));
        }
        Script::new(steps)
    }
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        match self.steps.pop_front() {
            None => Ok(0),
            Some(Step::Fail(kind)) => Err(io::Error::new(kind, "scripted")),
            Some(Step::Data(mut data)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                if n < data.len() {
                    data.drain(..n);
                    self.steps.push_front(Step::Data(data));
                }
                Ok(n)
            }
        }
    }
}

/// A writer that records each call (the slices it was given) and accepts
/// what its `accept` function allows: `Ok(n)` to take up to `n` bytes,
/// `Err(kind)` to fail.
pub struct Recorder<F> {
    pub out: Vec<u8>,
    /// For each call, the slices offered (pointer and length).
    pub calls: Vec<Vec<(*const u8, usize)>>,
    pub flushes: usize,
    accept: F,
}

impl<F: FnMut(usize) -> Result<usize, io::ErrorKind>> Recorder<F> {
    pub fn new(accept: F) -> Self {
        Recorder {
            out: Vec::new(),
            calls: Vec::new(),
            flushes: 0,
            accept,
        }
    }
}

/// A recorder that takes everything.
pub fn sink() -> Recorder<impl FnMut(usize) -> Result<usize, io::ErrorKind>> {
    Recorder::new(Ok)
}

impl<F: FnMut(usize) -> Result<usize, io::ErrorKind>> Write for Recorder<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls
            .push(bufs.iter().map(|b| (b.as_ptr(), b.len())).collect());
        let offered: usize = bufs.iter().map(|b| b.len()).sum();
        let n = (self.accept)(offered)
            .map_err(io::Error::from)?
            .min(offered);
        let mut left = n;
        for b in bufs {
            let take = left.min(b.len());
            self.out.extend_from_slice(&b[..take]);
            left -= take;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

/// A connected loopback pair `(client, server)`, each with a 10 s read
/// timeout so a bug fails the test instead of hanging it.
pub fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_nodelay(true).expect("nodelay");
    }
    (client, server)
}

/// The core error inside an `io::Error`, which must be there.
pub fn core_kind(e: &io::Error) -> framing_std::DecodeErrorKind {
    framing_std::error::decode_error(e)
        .unwrap_or_else(|| panic!("no DecodeError inside {e:?}"))
        .kind()
}
