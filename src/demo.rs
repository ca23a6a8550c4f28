//! `framing demo`: the stream "sticking" problem on loopback, then the same
//! traffic through the codec. Threads hand off with channels, never sleeps.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

use framing_core::Layout;
use framing_std::{FrameReader, FrameWriter};

use crate::Fail;

const SMALL: [&str; 5] = ["hello", "world", "how", "are", "you"];
const LARGE_LEN: usize = 1 << 20;
const LAYOUT: Layout = Layout::new("!I");

fn large() -> Vec<u8> {
    (0..LARGE_LEN).map(|i| (i % 251) as u8).collect()
}

/// A connected pair on 127.0.0.1.
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
    if bytes.len() > 40 {
        format!("{text:?}...")
    } else {
        format!("{text:?}")
    }
}

/// Part 1: what a raw `recv` returns.
fn raw() -> io::Result<()> {
    println!("== 1. Raw TCP: what a read really returns ==\n");
    let (mut tx, mut rx) = pair()?;
    let (sent, wait_sent) = mpsc::channel();
    let (read, wait_read) = mpsc::channel::<()>();
    let sender = thread::spawn(move || -> io::Result<()> {
        for msg in SMALL {
            tx.write_all(msg.as_bytes())?;
        }
        let _ = sent.send(());
        let _ = wait_read.recv();
        tx.write_all(&[0, 0])?; // half of a 4-byte header
        let _ = sent.send(());
        let _ = wait_read.recv();
        tx.write_all(&large())?;
        Ok(())
    });

    let _ = wait_sent.recv();
    let mut buf = vec![0u8; 64 * 1024];
    let n = rx.read(&mut buf[..1024])?;
    println!("sender: {} quick small sends: {:?}", SMALL.len(), SMALL);
    println!(
        "receiver: one read(1024) returned {n} bytes: {}",
        show(&buf[..n])
    );
    println!("          -> the messages stuck together; where does one end?\n");
    let _ = read.send(());

    let _ = wait_sent.recv();
    let n = rx.read(&mut buf[..4])?;
    println!("sender: the first 2 bytes of a 4-byte length header");
    println!("receiver: read(4) returned {n} bytes, not 4");
    println!("          -> the classic `recv(4)` then `recv(length)` receiver is wrong too\n");
    let _ = read.send(());

    let mut pieces = Vec::new();
    let mut total = 0;
    while total < LARGE_LEN {
        let n = rx.read(&mut buf)?;
        if n == 0 {
            break;
        }
        pieces.push(n);
        total += n;
    }
    println!("sender: one send of {LARGE_LEN} bytes");
    println!(
        "receiver: read(65536) calls returned it in {} pieces: {}{} bytes",
        pieces.len(),
        pieces
            .iter()
            .take(6)
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if pieces.len() > 6 { ", ..." } else { "" }
    );
    println!("          -> one message, many pieces\n");
    sender
        .join()
        .map_err(|_| io::Error::other("sender panicked"))?
}

/// Part 2: the same traffic, framed.
fn framed() -> io::Result<()> {
    println!(
        "== 2. The same traffic through framing (header \"!I\": a big-endian u32 length) ==\n"
    );
    let (tx, rx) = pair()?;
    let sender = thread::spawn(move || -> io::Result<()> {
        let mut writer = FrameWriter::new(tx, LAYOUT);
        for msg in SMALL {
            writer.write_frame(msg.as_bytes())?;
        }
        // A frame whose header is split across two sends.
        let mut header = [0u8; 4];
        LAYOUT
            .encode_header(5, &mut header)
            .map_err(io::Error::other)?;
        let stream = writer.get_mut();
        stream.write_all(&header[..2])?;
        stream.flush()?;
        stream.write_all(&header[2..])?;
        stream.write_all(b"split")?;
        writer.write_frame(&large())?;
        Ok(())
    });

    let mut reader = FrameReader::new(rx, LAYOUT);
    let expected_large = large();
    let mut count = 0;
    while let Some(frame) = reader.next_frame()? {
        count += 1;
        let payload = frame.payload();
        if payload.len() == LARGE_LEN {
            let ok = payload == expected_large.as_slice();
            println!(
                "frame {count}: {} bytes, {}",
                payload.len(),
                if ok {
                    "every byte as sent"
                } else {
                    "CORRUPTED"
                }
            );
            if !ok {
                return Err(io::Error::other("the large frame was corrupted"));
            }
        } else {
            println!("frame {count}: {} bytes {}", payload.len(), show(payload));
        }
    }
    sender
        .join()
        .map_err(|_| io::Error::other("sender panicked"))??;
    let expected = SMALL.len() + 2;
    println!("\nthe stream ended on a frame boundary: {count} frames, as sent");
    if count != expected {
        return Err(io::Error::other(format!(
            "expected {expected} frames, got {count}"
        )));
    }
    println!("-> whatever the reads returned, every message came out whole and alone.");
    Ok(())
}

pub fn run() -> Result<(), Fail> {
    raw()
        .and_then(|()| framed())
        .map_err(|e| Fail::Data(format!("demo failed: {e}")))
}
