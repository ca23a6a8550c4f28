//! A framed echo server and client over TCP, std only.
//!
//! `cargo run -p framing-std --example echo` starts a server on a free
//! loopback port in a thread, connects, sends three messages, prints the
//! echoes and exits. `echo server ADDR` runs only the server (until killed);
//! `echo client ADDR MESSAGE...` only the client.

use std::io;
use std::net::TcpListener;
use std::thread;

use framing_std::{FramedStream, Layout};

/// A 4-byte big-endian length, then the payload.
const LAYOUT: Layout = Layout::new("!I");

/// Echoes every frame of every connection, one thread per connection.
fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (peer, addr) = FramedStream::accept(&listener, LAYOUT)?;
        thread::spawn(move || -> io::Result<()> {
            // Zero-copy: each frame is borrowed from the reader's buffer
            // and written from there; split so the writer is apart.
            let (mut reader, mut writer) = peer.split()?;
            loop {
                match reader.next_frame() {
                    Ok(Some(frame)) => writer.write_frame(frame.payload())?,
                    Ok(None) => {
                        eprintln!("{addr}: closed on a frame boundary");
                        return Ok(());
                    }
                    Err(e) => {
                        // The peer sees only a close: say here why.
                        eprintln!("{addr}: closed: {e}");
                        return Err(e);
                    }
                }
            }
        });
    }
}

fn client(addr: &str, messages: &[String]) -> io::Result<()> {
    let mut stream = FramedStream::connect(addr, LAYOUT)?;
    for message in messages {
        stream.write_frame(message.as_bytes())?;
        let echo = stream
            .next_owned_frame()?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "server closed"))?;
        println!("echo: {}", String::from_utf8_lossy(echo.payload()));
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, addr] if mode == "server" => serve(TcpListener::bind(addr)?),
        [mode, addr, messages @ ..] if mode == "client" => client(addr, messages),
        [] => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?.to_string();
            thread::spawn(move || serve(listener));
            let messages = ["hello", "framed", "world"].map(String::from);
            client(&addr, &messages)
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: echo [server ADDR | client ADDR MESSAGE...]",
        )),
    }
}
